"""Are the results a branch committed the ones its pipeline gives? Checked after `dvc repro`.

A pull request that changes a param but commits no new dvc.lock (or the old metrics) gets a
report from CI's own reproduction; this names what the branch itself should have committed.
A stage's committed results are out of date when its dvc.lock entry at the commit records other
inputs (command, params, dependency hashes) than the one `dvc repro` just wrote. Outputs are not
compared with the reproduction (a stage that re-ran on a runner without the cache may differ
in the last digit); a git-tracked output is named when it changed along with an out-of-date
stage, or when its committed content is not what the committed dvc.lock records for it.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit import dvcfiles
from toolkit.errors import ToolkitError


@dataclass(frozen=True)
class Committed:
    """Files the commit holds that are not what `dvc repro` gives: results out of date."""

    files: tuple[str, ...]  # dvc.lock files and git-tracked outputs, relative to the DVC root
    stages: tuple[str, ...]  # stages whose committed dvc.lock entry is out of date
    revision: str  # how the commit is named ("the pull request's commit", "HEAD")
    push: bool = False  # DVC-stored outputs changed and a DVC remote is set: push them too

    def fix(self) -> str:
        """What to run and commit."""
        them = "it" if len(self.files) == 1 else "them"
        if self.push:
            return (
                f"run `toolkit repro`, commit {them} and `dvc push` the new data (or `toolkit repro --push`)"
            )
        return f"run `toolkit repro` and commit {them}"

    def message(self) -> str:
        """One sentence: the files, the stages, the fix."""
        stages = ", ".join(self.stages[:8]) + (" ..." if len(self.stages) > 8 else "")
        which = f" (stage{'s' if len(self.stages) != 1 else ''} {stages})" if self.stages else ""
        return (
            f"the committed results are out of date: {_list(self.files)} at {self.revision} "
            f"{'is' if len(self.files) == 1 else 'are'} not what `dvc repro` gives{which}; {self.fix()}."
        )


def _list(items: tuple[str, ...]) -> str:
    shown = list(items[:8])
    if len(items) > 8:
        return ", ".join(shown) + f" and {len(items) - 8} more"
    return " and ".join([", ".join(shown[:-1]), shown[-1]]) if len(shown) > 1 else shown[0]


def _inputs(lock: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """What a dvc.lock entry says a stage's results were made from."""
    deps = {}
    for dep in lock.get("deps") or []:
        if isinstance(dep, dict) and isinstance(dep.get("path"), str):
            deps[dep["path"]] = (dep.get("md5"), dep.get("etag"), dep.get("checksum"))
    return lock.get("cmd"), lock.get("params") or {}, deps


def _out_md5(lock: dict[str, Any], rel: str) -> tuple[str | None, bool]:
    """(md5 dvc.lock records for an output path relative to the stage's wdir, DVC 3 hash)."""
    for out in lock.get("outs") or []:
        if isinstance(out, dict) and out.get("path") == rel:
            md5 = out.get("md5")
            return (md5 if isinstance(md5, str) else None), out.get("hash") == "md5"
    return None, False


def _lock_file(stage: dvcfiles.Stage) -> str:
    folder, sep, _ = stage.name.partition(f"/{dvcfiles.PROJECT_FILE}:")  # `sub/dvc.yaml:train`
    return f"{folder}/{dvcfiles.LOCK_FILE}" if sep else dvcfiles.LOCK_FILE


def check(
    root: Path, rev: str = "HEAD", *, label: str | None = None, remote: bool = False
) -> Committed | None:
    """What commit `rev` holds out of date, against the workspace after `dvc repro` (None: nothing).

    A commit or workspace whose dvc.yaml cannot be read gives None: the comparison reports that.
    """
    from toolkit import git, safefs
    from toolkit.compare import root_prefix
    from toolkit.errors import TooLargeError

    prefix = root_prefix(root)
    with git.ObjectReader(root) as reader:
        sha = reader.resolve(rev)
        if sha is None:
            return None  # no commit yet: nothing was committed to be out of date
        pending = [git.start_listing(root, sha, prefix), git.start_listing(root, None, prefix)]
        tree, listed = (finish() for finish in pending)

        def at_commit(path: str) -> bytes | None:
            oid = tree.get(path)
            if oid is None:
                return None
            try:
                return reader.read(oid, limit=safefs.MAX_FILE_BYTES)
            except TooLargeError:
                return None

        def in_workspace(path: str) -> bytes | None:
            return safefs.read_inside(root, path, "the workspace")

        try:
            then = dvcfiles.load_project(tree, at_commit, label or rev)
            now = dvcfiles.load_project(listed, in_workspace, "the workspace")
        except ToolkitError:
            return None
        return _compare(then, now, at_commit, in_workspace, label or rev, remote)


def _compare(
    then: dvcfiles.Project,
    now: dvcfiles.Project,
    at_commit: Callable[[str], bytes | None],
    in_workspace: Callable[[str], bytes | None],
    label: str,
    remote: bool,
) -> Committed | None:
    committed = {stage.name: stage for stage in then.stages}
    files: list[str] = []
    stages: list[str] = []
    push = False

    def name(path: str) -> None:
        if path not in files:
            files.append(path)

    for stage in now.stages:
        lock = stage.lock
        if lock is None:
            continue  # not reproduced (not part of the pipeline `dvc repro` ran)
        old = committed.get(stage.name)
        old_lock = old.lock if old is not None else None
        stale = old_lock is None or _inputs(old_lock) != _inputs(lock)
        if stale:
            stages.append(stage.name)
            name(_lock_file(stage))
        for path in stage.outs:
            out = now.outs.get(path)
            if out is None:
                continue
            rel = posixpath.relpath(path, stage.wdir or ".")
            if out.cached:
                if stale and _out_md5(old_lock or {}, rel)[0] != _out_md5(lock, rel)[0]:
                    push = True
                continue
            data = at_commit(path)
            if stale:
                if data != in_workspace(path):
                    name(path)
                continue
            # Current inputs: the committed output must be what the committed dvc.lock records.
            recorded, md5_hash = _out_md5(old_lock or {}, rel)
            if data is not None and md5_hash and recorded and hashlib.md5(data).hexdigest() != recorded:
                if stage.name not in stages:
                    stages.append(stage.name)
                name(path)
    if not files:
        return None
    return Committed(tuple(files), tuple(stages), label, push and remote)
