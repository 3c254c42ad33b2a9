"""`toolkit new` in someone's existing repository: their index, their hooks, their signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from tests.gitrepo import git, make_repo, write_files
from tests.scaffold_helpers import tree
from toolkit import scaffold
from toolkit.cli import cli


def _hook(repo: Path, body: str) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(0o755)


def test_force_commits_only_its_own_files_and_runs_the_hooks(tmp_path: Path) -> None:
    target = make_repo(tmp_path / "repo", {"LICENSE": "MIT\n"})
    write_files(target, {"secret.env": "API_KEY=hunter2\n"})
    git(target, "add", "secret.env")  # staged by the user, not meant for this commit
    ran = tmp_path / "hook-ran"
    _hook(target, f"touch {ran}\n")
    result = CliRunner().invoke(cli, ["new", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert ran.exists()  # their secret scanner (any pre-commit hook) ran
    committed = git(target, "show", "--name-only", "--format=", "HEAD").split("\n")
    assert "secret.env" not in committed and "dvc.yaml" in committed
    assert git(target, "status", "--porcelain") == "A  secret.env"  # still staged, as they left it


def test_a_refusing_hook_rolls_everything_back(tmp_path: Path) -> None:
    target = make_repo(tmp_path / "repo", {"LICENSE": "MIT\n"})
    _hook(target, "echo 'secret scanner: refused' >&2\nexit 1\n")
    before = tree(target)
    result = CliRunner().invoke(cli, ["new", str(target), "--force"])
    assert result.exit_code == 1
    assert "secret scanner: refused" in result.stderr and "nothing was left behind" in result.stderr
    assert tree(target) == before
    assert git(target, "status", "--porcelain") == ""
    assert git(target, "rev-list", "--count", "HEAD") == "1"


def test_sigterm_rolls_back_and_exits_143(tmp_path: Path) -> None:
    target = make_repo(tmp_path / "repo", {"keep.txt": "k\n"})
    started = tmp_path / "hook-started"
    _hook(target, f"touch {started}\nsleep 120\n")
    before = tree(target)
    toolkit = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "new", str(target), "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not started.exists():
        assert time.monotonic() < deadline and toolkit.poll() is None, toolkit.communicate()
        time.sleep(0.05)
    toolkit.send_signal(signal.SIGTERM)
    _, err = toolkit.communicate(timeout=60)
    assert toolkit.returncode == 143, err.decode()
    assert tree(target) == before
    assert git(target, "status", "--porcelain") == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hook-started", "repo"]  # no storage


def test_a_symlinked_target_gets_a_remote_that_resolves(tmp_path: Path) -> None:
    real = tmp_path / "real" / "proj"
    real.mkdir(parents=True)
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "proj"
    os.symlink(real, link)
    result = CliRunner().invoke(cli, ["new", str(link), "--force"])
    assert result.exit_code == 0, result.output
    # Where DVC itself puts the remote: relative urls are relative to .dvc/config's folder.
    url = subprocess.run(
        [sys.executable, "-m", "dvc", "config", f"remote.{scaffold.REMOTE_NAME}.url"],
        cwd=real, capture_output=True, text=True, check=True,
    ).stdout.strip()
    where = (real / ".dvc" / url).resolve()
    assert where.is_dir(), (url, sorted(p.name for p in (tmp_path / "real").iterdir()))
    assert where.parent == real.parent
