"""Where the shipped templates are: inside the wheel, or the source tree for editable installs."""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import ToolkitError


def templates_dir() -> Path:
    """The folder holding `project/` and `report/` templates."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "project").is_dir():
            return candidate
    raise ToolkitError(
        f"the toolkit's templates are missing (looked in {here / 'templates'}); "
        "reinstall mlops-toolkit with `pip install --force-reinstall mlops-toolkit`."
    )
