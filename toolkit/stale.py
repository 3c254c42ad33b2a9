"""Is the workspace's pipeline out of date? What `dvc status` says, mostly without running dvc.

`dvc status` is a Python process importing dvc (0.7 s or more), which would make every
`toolkit diff` of the workspace 8x slower. Its answer for a stage with a dvc.lock entry comes
from three comparisons this module makes itself: the command, the params values, and the md5 of
each dependency (a file's content; a folder's manifest, as dvc-data computes it). Hashing is
bounded (MAX_HASH_BYTES); past it, or for a DVC 2 lock (md5 of text with CRLF folded), the
real `dvc status --json` answers instead. tests/test_stale.py checks both against dvc.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit import dvcfiles, formats
from toolkit.errors import ToolkitError
from toolkit.results import Stale

MAX_HASH_BYTES = 256 * 1024 * 1024


class _AskDvc(Exception):
    """This check cannot answer as dvc would: run `dvc status`."""


class _Hasher:
    def __init__(self, root: Path, ignore: dvcfiles.IgnoreRules) -> None:
        self.root = root
        self.ignore = ignore
        self.budget = MAX_HASH_BYTES

    def file_md5(self, path: Path) -> str:
        size = path.stat().st_size
        self.budget -= size
        if self.budget < 0:
            raise _AskDvc
        digest = hashlib.md5()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def md5(self, rel: str) -> str | None:
        """DVC's md5 of a file, or `<md5>.dir` of a folder; None when it is missing."""
        full = self.root / rel
        if full.is_file():
            return self.file_md5(full)
        if not full.is_dir():
            return None
        files = []
        for folder, dirs, names in os.walk(full):
            dirs.sort()
            for name in names:
                path = Path(folder) / name
                if not self.ignore.ignored(path.relative_to(self.root).as_posix()):
                    files.append(path)
        if sum(path.stat().st_size for path in files) > self.budget:
            raise _AskDvc  # a data folder: dvc's own state cache knows its hash without reading it
        entries = [
            {"md5": self.file_md5(path), "relpath": path.relative_to(full).as_posix()} for path in files
        ]
        entries.sort(key=lambda e: e["relpath"])
        manifest = json.dumps(entries, sort_keys=True).encode()
        return hashlib.md5(manifest).hexdigest() + ".dir"


def _lookup(data: Any, key: str) -> Any:
    if isinstance(data, dict) and key in data:
        return data[key]
    node = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node


def _changed_params(stage: dvcfiles.Stage, read: dvcfiles.Reader) -> list[str]:
    locked = stage.lock.get("params") if stage.lock else None
    locked = locked if isinstance(locked, dict) else {}
    changed: list[str] = []
    for file, keys in stage.params.items():
        rel = posixpath.relpath(file, stage.wdir or ".")
        before = locked.get(rel)
        before = before if isinstance(before, dict) else {}
        raw = read(file)
        try:
            now = formats.parse(file, raw, "the workspace") if raw is not None else {}
        except ToolkitError:
            now = None
        if not isinstance(now, dict):
            changed.append(file)
            continue
        for key in keys or sorted(set(before) | set(now)):
            try:
                value = _lookup(now, key)
            except KeyError:
                value = KeyError
            if key not in before or value is KeyError or before[key] != value:
                changed.append(f"{file}:{key}")
    return changed


def check(root: Path) -> Stale | None:
    """What `dvc status` would call out of date in the workspace of the DVC root (None: nothing)."""
    from toolkit import git, safefs
    from toolkit.compare import root_prefix

    if not (root / ".dvc").is_dir():
        return None  # never `dvc init`ed: dvc status cannot run there either
    files = git.start_listing(root, None, root_prefix(root))()

    def read(path: str) -> bytes | None:
        return safefs.read_inside(root, path, "the workspace")

    try:
        project = dvcfiles.load_project(files, read, "the workspace")
    except ToolkitError:
        return None  # a broken dvc.yaml is reported by the comparison itself
    ignores = [p for p in files if p.rsplit("/", 1)[-1] == dvcfiles.IGNORE_FILE]
    rules = dvcfiles.IgnoreRules({p: (read(p) or b"").decode("utf-8", errors="replace") for p in ignores})
    hasher = _Hasher(root, rules)
    tracked = _dvc_tracked(project, read)
    stages: list[str] = []
    params: list[str] = []
    deps: list[str] = []
    missing: list[str] = []
    unchecked: list[str] = []
    try:
        for stage in project.stages:
            if stage.lock is None:
                continue  # never reproduced: its results are missing, which is reported as such
            stale = stage.lock.get("cmd") != stage.cmd
            changed = _changed_params(stage, read)
            if changed:
                stale = True
                params.extend(p for p in changed if p not in params)
            absent = False
            for dep in stage.lock.get("deps") or []:
                if not isinstance(dep, dict) or not isinstance(dep.get("path"), str):
                    continue
                if dep.get("md5") is None:
                    continue
                if dep.get("hash") != "md5":
                    raise _AskDvc  # DVC 2's md5 of text files folds CRLF first
                path = posixpath.normpath(posixpath.join(stage.wdir or ".", dep["path"]))
                found = hasher.md5(path)
                if found is None and tracked(path):
                    # Never pulled (a fresh clone), not changed: `dvc pull` is the fix.
                    absent = True
                    if path not in missing:
                        missing.append(path)
                elif found != dep["md5"]:
                    stale = True
                    if path not in deps:
                        deps.append(path)
            if stale:
                stages.append(stage.name)
            elif absent:
                unchecked.append(stage.name)
    except _AskDvc:
        return _dvc_status(root, tracked)
    except OSError:
        return _dvc_status(root, tracked)
    if not stages and not missing:
        return None
    return Stale(
        stages=tuple(stages), params=tuple(params), deps=tuple(deps), missing=tuple(missing),
        unchecked=tuple(unchecked),
    )


def _dvc_tracked(project: dvcfiles.Project, read: dvcfiles.Reader) -> Callable[[str], bool]:
    """Whether a path is (inside) an output DVC stores: a cached stage output or a `.dvc` file's."""
    cached = {path for path, out in project.outs.items() if out.cached}

    def tracked(path: str) -> bool:
        parts = path.split("/")
        for i in range(len(parts), 0, -1):
            prefix = "/".join(parts[:i])
            if prefix in cached:
                return True
            try:
                if dvcfiles.dvc_file_out(read, prefix) is not None:
                    return True
            except ToolkitError:
                return False
        return False

    return tracked


def _dvc_status(root: Path, tracked: Callable[[str], bool] | None = None) -> Stale | None:
    return start_status(root, tracked)()


def start_status(
    root: Path, tracked: Callable[[str], bool] | None = None
) -> Callable[[], Stale | None]:
    """Start `dvc status --json` in the background; call the result for what is out of date.

    None when nothing is (or when dvc cannot tell: no dvc, not a DVC repo, a broken dvc.yaml;
    those are reported elsewhere). Runs no stage, so no code from the repository runs either.
    """
    from toolkit import dvc, proc

    if not (root / ".dvc").is_dir():  # never `dvc init`ed: dvc status would only fail
        return lambda: None
    env = {**dvc.stage_env(os.environ), "PYTHONSAFEPATH": "1"}
    try:
        child = proc.popen(
            [*proc.DVC, "status", "--json"], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
    except ToolkitError:
        return lambda: None

    def finish() -> Stale | None:
        out, _ = child.communicate()
        if child.returncode != 0:
            return None
        return parse_status(out.decode(errors="replace"), tracked)

    return finish


def parse_status(text: str, tracked: Callable[[str], bool] | None = None) -> Stale | None:
    """The stale stages, params and deps in `dvc status --json` output (None when none).

    A dependency dvc calls deleted that `tracked` says DVC stores is missing data (pull it), not
    a change (without `tracked`, every deleted dependency is a change).
    """
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    stages: list[str] = []
    params: list[str] = []
    deps: list[str] = []
    missing: list[str] = []
    unchecked: list[str] = []
    for stage, items in data.items():
        if not isinstance(items, list):
            continue
        stale = absent = False
        for item in items:
            if item == "changed command":
                stale = True
            elif isinstance(item, dict) and isinstance(item.get("changed deps"), dict):
                for path, how in item["changed deps"].items():
                    if isinstance(how, dict):  # a params file: {key: modified|new|deleted}
                        stale = True
                        params.extend(f"{path}:{key}" for key in how if f"{path}:{key}" not in params)
                    elif how == "deleted" and tracked is not None and tracked(str(path)):
                        absent = True
                        if path not in missing:
                            missing.append(str(path))
                    else:
                        stale = True
                        if path not in deps:
                            deps.append(str(path))
        if stale:
            stages.append(str(stage))
        elif absent:
            unchecked.append(str(stage))
    if not stages and not missing:
        return None
    return Stale(
        stages=tuple(stages), params=tuple(params), deps=tuple(deps), missing=tuple(missing),
        unchecked=tuple(unchecked),
    )
