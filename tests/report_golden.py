"""Golden files for rendered reports: tests/golden/NAME.md.

To accept a deliberate change of the report, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py tests/test_report_cli.py
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, text: str) -> None:
    """Compare `text` with tests/golden/NAME.md (or write it when UPDATE_GOLDEN=1)."""
    path = GOLDEN / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.is_file(), f"{path} is missing; run with UPDATE_GOLDEN=1 to create it, then review it."
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"the report differs from {path}; if the change is intended, rerun with UPDATE_GOLDEN=1 "
        "and review the diff."
    )
