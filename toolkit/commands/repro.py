"""`toolkit repro`: reproduce the DVC pipeline of the project around the current folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from toolkit import dvc, output
from toolkit.errors import DvcError


def find_pipeline_root(cwd: Path) -> Path:
    """The nearest folder at or above cwd that holds a dvc.yaml."""
    here = cwd.resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").is_file():
            return folder
    raise DvcError(
        f"no dvc.yaml in {here} or any folder above it; run `toolkit repro` inside a DVC project "
        "(or create one with `toolkit new PATH`)."
    )


def run(*, pull: bool, push: bool, environ: Mapping[str, str], cwd: Path) -> int:
    """Reproduce the pipeline and print which stages ran and which were up to date."""
    root = find_pipeline_root(cwd)
    # At the DVC root, every dvc.yaml of the project (as `toolkit ci` does); in a subfolder with
    # its own dvc.yaml, that pipeline (as `dvc repro` there).
    whole = (root / ".dvc").is_dir()
    result = dvc.repro(root, pull=pull, push=push, environ=environ, all_pipelines=whole)
    output.write_line(f"Reproduced {root}: {result.summary()}.")
    return 0
