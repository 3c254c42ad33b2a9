"""example-project/ is exactly what `toolkit new example-project --no-git` generates."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.gitrepo import REPO_ROOT
from tests.scaffold_helpers import tree
from toolkit import __version__
from toolkit.cli import cli

EXAMPLE = REPO_ROOT / "example-project"
# What reproducing the example in place adds; never generated, never compared.
_REPRO_PRODUCTS = ("dvc.lock", "eval/", "data/", "models/", ".dvc/")
# Pinned, so the example does not depend on how the toolkit running the test was installed.
REQUIREMENT = f"mlops-toolkit=={__version__}"
_FIX = (
    "regenerate it: rm -rf example-project && toolkit new example-project --no-git "
    f"--toolkit-requirement {REQUIREMENT}"
)


def _kept(rel: str) -> bool:
    parts = rel.split("/")
    return not rel.startswith(_REPRO_PRODUCTS) and "__pycache__" not in parts and rel != ".dvc"


def test_example_project_matches_a_fresh_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["new", "example-project", "--no-git", "--toolkit-requirement", REQUIREMENT]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    fresh = tree(tmp_path / "example-project")
    committed = {rel: data for rel, data in tree(EXAMPLE).items() if _kept(rel)}
    assert sorted(committed) == sorted(fresh), f"example-project's files differ; {_FIX}"
    stale = [rel for rel in fresh if committed[rel] != fresh[rel]]
    assert not stale, f"example-project is out of date in {stale}; {_FIX}"
