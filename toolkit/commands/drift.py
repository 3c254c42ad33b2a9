"""`toolkit drift --reference SRC --current SRC`: per-column drift with Evidently's default tests.

`--json` prints `{"dataset_drift", "share", "columns": {COL: {type, test, score, threshold, drift,
psi}}}`; a column that cannot be tested (every value missing on one side) has `test`, `score`,
`threshold` and `psi` null and is left out of the share. `--fail-on-drift` exits 3 on dataset drift.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toolkit import actions, output
from toolkit.config import Config
from toolkit.errors import ToolkitError

DRIFT_EXIT = 3  # like a failed gate


def load_settings(cwd: Path) -> Config:
    """toolkit.yaml of the repository around `cwd` (or of `cwd` itself outside a repository)."""
    from toolkit.config import load_config
    from toolkit.dvc import settings_root

    try:
        root = settings_root(cwd)
    except ToolkitError:
        root = cwd
    return load_config(root)


def run(
    *,
    reference: str,
    current: str,
    target: str | None,
    fmt: str,
    fail_on_drift: bool,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Compare the two tables and print the result; 3 with --fail-on-drift when the dataset drifts."""
    from toolkit.monitor import drift, render, sources
    from toolkit.monitor.columns import clip

    config = load_settings(cwd)
    ref_source = sources.parse_source(reference, cwd)
    cur_source = sources.parse_source(current, cwd)
    ref = sources.read(ref_source, cwd, config.drift)
    cur = sources.read(cur_source, cwd, config.drift)
    result = drift.compare_frames(ref, cur, ref_source, cur_source, config.drift, target=target)
    del ref, cur
    for column in result.columns:
        if column.note and column.test is None:
            output.warn(f"column {clip(column.name)!r}: {column.note}.")
    if fmt == "json":
        text = json.dumps(_finite(drift.as_json(result)), indent=2) + "\n"
    elif fmt == "md":
        text = render.markdown(result)
    else:
        text = render.text(result) + "\n"
    # Column names come from the data files: in Actions, no line of them may run as a command.
    output.write(actions.verbatim(text) if output.in_github_actions(environ) and fmt != "json" else text)
    return DRIFT_EXIT if fail_on_drift and result.dataset_drift else 0


def _finite(value: Any) -> Any:
    """Strict JSON: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value
