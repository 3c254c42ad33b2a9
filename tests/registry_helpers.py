"""Helpers for the registry tests: tiny repos with declared artifacts, gto as a reference tool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.gitrepo import commit_all, git, make_repo, write_files
from toolkit.cli import cli

GTO = Path(sys.executable).parent / "gto"
DVC_YAML = """\
artifacts:
  churn:
    path: model.pkl
    type: model
"""
SUB_DVC_YAML = """\
artifacts:
  ranker:
    path: ranker.pkl
"""
START = 1_767_225_600  # 2026-01-01T00:00:00Z


def artifact_repo(path: Path) -> Path:
    """A git repo declaring `churn` (dvc.yaml) and `nested/dir:ranker` (nested/dir/dvc.yaml)."""
    make_repo(
        path,
        {
            "dvc.yaml": DVC_YAML,
            "nested/dir/dvc.yaml": SUB_DVC_YAML,
            "model.pkl": "one",
            "nested/dir/ranker.pkl": "r1",
        },
    )
    return path


def new_commit(repo: Path, text: str) -> str:
    """Change the model file and commit; return the sha."""
    write_files(repo, {"model.pkl": text})
    return commit_all(repo, f"model {text}")


FAR_FUTURE = 4_070_908_800  # 2099-01-01T00:00:00Z


def tag_at(repo: Path, tag: str, commit: str, when: int, message: str = "hand-made") -> None:
    """An annotated tag dated `when` (seconds since the epoch), as anyone who can push a tag can make."""
    env = {**os.environ, "GIT_COMMITTER_DATE": f"{when} +0000"}
    subprocess.run(
        ["git", "tag", "-a", "-m", message, tag, commit], cwd=repo, env=env, check=True, capture_output=True
    )


def orphan_commit(repo: Path, files: dict[str, str], parent: str = "HEAD") -> str:
    """A commit on top of `parent` with `files` changed, made with `git commit-tree`: no branch holds it."""
    index = repo / ".git" / "orphan-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}

    def run(*args: str, data: str | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, input=data, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    run("read-tree", parent)
    for path, text in files.items():
        blob = run("hash-object", "-w", "--stdin", data=text)
        run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = run("write-tree")
    index.unlink()
    return run("commit-tree", tree, "-p", parent, "-m", "not reviewed")


class Clock:
    """Distinct tagger dates for our writes (GIT_COMMITTER_DATE), one second apart."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.now = START

    def tick(self) -> None:
        self.now += 1
        self.monkeypatch.setenv("GIT_COMMITTER_DATE", f"{self.now} +0000")


def toolkit(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process inside repo; (exit code, stdout, stderr)."""
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output + result.stderr, result.output + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def gto(repo: Path, *args: str) -> str:
    """Run the reference `gto` in repo; fail loudly on error."""
    proc = subprocess.run([str(GTO), *args], cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"gto {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def gto_write(repo: Path, *args: str) -> None:
    """A gto write, then a pause: gto stamps tags with the wall clock (whole seconds)."""
    gto(repo, *args)
    time.sleep(1.05)


def gto_json(repo: Path, *args: str) -> Any:
    """`gto ARGS --json`, parsed."""
    return json.loads(gto(repo, *args, "--json"))


__all__ = [
    "FAR_FUTURE",
    "Clock",
    "artifact_repo",
    "commit_all",
    "git",
    "gto",
    "gto_json",
    "gto_write",
    "new_commit",
    "orphan_commit",
    "tag_at",
    "toolkit",
]
