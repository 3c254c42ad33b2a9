"""example-project/ is exactly what `toolkit new example-project --no-git` generates."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.gitrepo import REPO_ROOT
from tests.scaffold_helpers import tree
from toolkit.cli import cli

EXAMPLE = REPO_ROOT / "example-project"
# What reproducing the example in place adds; never generated, never compared.
_REPRO_PRODUCTS = ("dvc.lock", "eval/", "data/", "models/", ".dvc/")
_FIX = "regenerate it: rm -rf example-project && toolkit new example-project --no-git"


def _kept(rel: str) -> bool:
    parts = rel.split("/")
    return not rel.startswith(_REPRO_PRODUCTS) and "__pycache__" not in parts and rel != ".dvc"


def test_example_project_matches_a_fresh_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["new", "example-project", "--no-git"])
    assert result.exit_code == 0, result.output
    fresh = tree(tmp_path / "example-project")
    committed = {rel: data for rel, data in tree(EXAMPLE).items() if _kept(rel)}
    assert sorted(committed) == sorted(fresh), f"example-project's files differ; {_FIX}"
    stale = [rel for rel in fresh if committed[rel] != fresh[rel]]
    assert not stale, f"example-project is out of date in {stale}; {_FIX}"
