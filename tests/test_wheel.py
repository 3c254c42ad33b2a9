"""The wheel ships the project templates, and `toolkit new` works from it alone."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.gitrepo import REPO_ROOT
from tests.scaffold_helpers import tree
from toolkit import scaffold


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the checkout, as `pip install .` would build it."""
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO_ROOT)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = out.glob("mlops_toolkit-*.whl")
    return built


def test_wheel_contains_the_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    source = REPO_ROOT / "templates" / "project"
    expected = {
        "toolkit/templates/project/" + p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "toolkit/templates/project/dvc.yaml" in expected
    assert "toolkit/templates/project/.github/workflows/pull-request.yml.j2" in expected
    assert expected <= names, sorted(expected - names)
    assert "toolkit/py.typed" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_toolkit_new_runs_from_the_unpacked_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import toolkit.resources as r; print(r.templates_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()) == site / "toolkit" / "templates"
    made = subprocess.run(
        [sys.executable, "-m", "toolkit", "new", "proj", "--no-git"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )
    assert made.returncode == 0, made.stderr
    root = elsewhere / "proj"
    assert tree(root) == scaffold.render(root)
