"""Helpers for the scaffold, dvc and workflow tests: environments, tiny DVC repos, file trees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.gitrepo import git, make_repo, write_files

STAGES = ("prepare", "train", "evaluate", "production_batch")  # the last: the monitored batch
METRIC_KEYS = {
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "average_precision",
    "log_loss",
}


def isolated_env(git_config: Path) -> dict[str, str]:
    """os.environ as conftest's autouse fixture leaves it, for session-scoped fixtures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "RUNNER_"))}
    env.update(
        GIT_CONFIG_GLOBAL=str(git_config),
        GIT_CONFIG_NOSYSTEM="1",
        DVC_NO_ANALYTICS="1",
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    return env


def dvc(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run the real dvc in repo; fail the test loudly on error."""
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed in {repo}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root ({relative posix path: bytes}), .git excluded."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


# A two-stage pipeline that runs in a fraction of a second: a -> b, each reading params.yaml.
TINY_STAGE_PY = """\
import sys

import yaml

name, out, *inputs = sys.argv[1:]
value = yaml.safe_load(open("params.yaml"))[name]
text = "".join(open(path).read() for path in inputs) + str(value)
open(out, "w").write(text)
"""
TINY_DVC_YAML = """\
stages:
  a:
    cmd: python stage.py a a.txt
    deps: [stage.py]
    params: [a]
    outs: [a.txt]
  b:
    cmd: python stage.py b b.txt a.txt
    deps: [stage.py, a.txt]
    params: [b]
    outs: [b.txt]
"""


def tiny_dvc_repo(path: Path, *, remote: Path | None = None) -> Path:
    """A git + DVC repo at path with the two-stage pipeline, committed (not yet reproduced)."""
    make_repo(path, {"params.yaml": "a: 1\nb: 2\n", "dvc.yaml": TINY_DVC_YAML, "stage.py": TINY_STAGE_PY})
    dvc(path, "init", "-q")
    if remote is not None:
        remote.mkdir(parents=True, exist_ok=True)
        dvc(path, "remote", "add", "-d", "store", os.path.relpath(remote, path))
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "dvc init")
    return path


__all__ = ["METRIC_KEYS", "STAGES", "dvc", "isolated_env", "tiny_dvc_repo", "tree", "write_files"]
