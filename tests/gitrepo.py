"""Plain helpers for building real git repositories in temporary folders."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The project's own webhook payloads, written from GitHub's documented schema (see README there).
EVENTS = REPO_ROOT / "tests" / "fixtures" / "github-events"
#: The team's shared/ folder, beside a developer's checkout and in CI, absent from a plain clone.
#: Tests use it only as an extra check (real payloads, verified pins) and skip saying so without it.
SHARED = REPO_ROOT.parent / "shared"
SHARED_EVENTS = SHARED / "fixtures" / "github-events"


def git(repo: Path, *args: str) -> str:
    """Run git in `repo`, return stripped stdout; fail the test loudly on error."""
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {repo}:\n{proc.stderr}")
    return proc.stdout.strip()


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write `files` ({relative path: content}) under root, creating folders."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def commit_all(repo: Path, message: str = "commit") -> str:
    """Stage everything and commit; return the new commit's sha."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(path: Path, files: Mapping[str, str | bytes] | None = None) -> Path:
    """A git repo on branch `main` at `path`, with `files` in a first commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    if files:
        write_files(path, files)
    commit_all(path, "initial")
    return path
