"""The comparison engine: metrics, params (and plots) of two revisions, as `toolkit diff` shows them.

A git revision is read from git objects (one `git ls-tree -r` per commit, one `git cat-file --batch`
process for every file), the workspace from disk; DVC-cached outputs through the md5 that the
revision's dvc.lock records, from the local DVC cache. Nothing here imports dvc.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from toolkit import dvcfiles, formats, git, metrics, safefs
from toolkit.config import Config, known_direction
from toolkit.errors import MetricsFileError, RevisionError, TooLargeError
from toolkit.results import (
    Comparison,
    Direction,
    Entry,
    PlotData,
    Problem,
    ProblemKind,
    Revision,
    Stale,
)

WORKSPACE = "workspace"


# --------------------------------------------------------------------------------------------
# revisions


def _event_base(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(name, sha) of the pull request's base from the event payload, if this is a PR event."""
    if not environ.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return None
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            payload = json.load(fh)
        base = payload["pull_request"]["base"]
        sha = base["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(sha, str) or not sha:
        return None
    ref = base.get("ref") if isinstance(base, dict) else None
    return (ref if isinstance(ref, str) and ref else sha), sha


def _ensure(root: Path, rev: str, reader: git.ObjectReader | None) -> str:
    if "#" in rev or "@" in rev:
        sha = registry_revision(root, rev)
        if sha is not None:
            return sha
    sha = reader.resolve(rev) if reader is not None else None
    return sha or git.ensure_revision(root, rev)


def registry_revision(root: Path, rev: str) -> str | None:
    """The commit of a registry reference (NAME#STAGE, NAME@vX.Y.Z, NAME@latest), else None.

    Every `--base`/`--head` goes through here, so a stage or a version can be compared with like
    any branch; the registry is read from the tags (fetch them with `git fetch --tags`).
    """
    from toolkit.registry import state, tags

    spec = tags.parse_spec(rev)
    if spec is None:
        return None
    version, _ = state.load(root).resolve(spec)
    return version.commit


def resolve_base(
    root: Path,
    base: str | None,
    environ: Mapping[str, str],
    config: Config,
    reader: git.ObjectReader | None = None,
) -> Revision:
    """The base revision: `base`, else the PR base sha, else toolkit.yaml `base:`, main, origin/main."""
    if base is not None:
        return Revision(base, _ensure(root, base, reader))
    event = _event_base(environ)
    if event is not None:
        name, sha = event
        return Revision(name, _ensure(root, sha, reader))
    if config.base:
        return Revision(config.base, _ensure(root, config.base, reader))
    for name in ("main", "origin/main"):  # locally known first: no fetch when either is here
        found = reader.resolve(name) if reader is not None else git.resolve(root, name)
        if found:
            return Revision(name, found)
    try:
        return Revision("main", git.ensure_revision(root, "main"))
    except RevisionError:
        raise RevisionError(
            "no base revision to compare against: tried `main` and `origin/main` (also fetching "
            "from origin); pass --base REV or set `base:` in toolkit.yaml."
        ) from None


def _label(rev: Revision) -> str:
    if rev.sha is None:
        return "the workspace"
    if rev.name == rev.sha or rev.sha.startswith(rev.name):
        return rev.short
    return f"{rev.name} ({rev.short})"


# --------------------------------------------------------------------------------------------
# one side of the comparison


class _Side:
    """One revision: its git tree (or the workspace) and how to read a file there."""

    def __init__(self, revision: Revision, root: Path, reader: git.ObjectReader | None) -> None:
        self.revision = revision
        self.label = _label(revision)
        self.root = root
        self.reader = reader
        self.tree: dict[str, str] = {}  # path -> blob id ('' in the workspace)

    @property
    def files(self) -> Mapping[str, str]:
        return self.tree

    def read(self, path: str) -> bytes | None:
        """A file of this revision: the workspace inside the repository only, a commit from git
        objects only; bounded in size either way (see safefs)."""
        if self.revision.sha is None:
            return safefs.read_inside(self.root, path, self.label)
        safefs.check_relative(path, self.label)
        oid = self.tree.get(path)
        if oid is None or self.reader is None:
            return None
        try:
            return self.reader.read(oid, limit=safefs.MAX_FILE_BYTES)
        except TooLargeError as exc:
            raise safefs.too_large(path, self.label, exc.size) from None

    def under(self, folder: str) -> list[str]:
        """Files below `folder` (for a declared directory), sorted."""
        if self.revision.sha is None:
            base = self.root / folder
            if not base.is_dir():
                return []
            found: list[str] = []
            for dirpath, _, names in os.walk(base):
                rel = Path(dirpath).relative_to(self.root).as_posix()
                found.extend(f"{rel}/{n}" for n in names)
            return sorted(found)
        prefix = folder.rstrip("/") + "/"
        return sorted(p for p in self.tree if p.startswith(prefix))


def _cache_dirs(root: Path) -> list[Path]:
    """The local DVC cache of the DVC root (`cache.dir` at any config level, default .dvc/cache)."""
    from toolkit import dvc

    return [dvc.cache_dir(root)]


def root_prefix(root: Path) -> str:
    """The DVC root's folder relative to the git root ("" when they are the same)."""
    top = git.find_root(root)
    rel = root.resolve().relative_to(top.resolve()).as_posix()
    return "" if rel == "." else rel


def _from_cache(caches: list[Path], md5: str, legacy: bool) -> bytes | None:
    if not safefs.MD5.fullmatch(md5):
        return None  # dvcfiles refuses such hashes; never a path
    rel_new = Path("files", "md5", md5[:2], md5[2:])
    rel_old = Path(md5[:2], md5[2:])
    order = (rel_old, rel_new) if legacy else (rel_new, rel_old)
    for cache in caches:
        for rel in order:
            data = safefs.read_regular(cache / rel, f"{md5} (DVC cache)", str(cache))
            if data is not None:
                return data
    return None


def _pull_hint(side: _Side, target: str) -> str:
    """How to get a DVC-stored file of `side` into the local cache."""
    if side.revision.sha is None:
        return f"run `dvc pull {target}` (or `toolkit repro --pull`) to fetch it"
    return (
        f"run `dvc pull {target}` with {side.revision.name} checked out (or `dvc fetch "
        f"--all-branches {target}`) to fetch it"
    )


class _Loader:
    """Reads declared files at both sides, collecting problems instead of stopping at them."""

    def __init__(self, root: Path) -> None:
        self.caches = _cache_dirs(root)
        self.problems: list[Problem] = []

    def problem(self, side: _Side, path: str, kind: ProblemKind, message: str) -> None:
        self.problems.append(
            Problem(path=path, revision=side.revision.name, kind=kind, message=message, where=side.label)
        )

    def listing(self, side: _Side, project: dvcfiles.Project, out: dvcfiles.Out) -> list[str] | None:
        """The files of a DVC-cached folder output, from its `.dir` manifest in the local cache.

        Registers each file (with its own md5) in `project.outs`; None when the manifest is not
        in the local cache (or unreadable).
        """
        if not (out.md5 and out.md5.endswith(".dir")):
            return None
        raw = _from_cache(self.caches, out.md5, out.legacy)
        if raw is None:
            return None
        try:
            files = []
            for item in json.loads(raw):
                child = f"{out.path}/{item['relpath']}"
                safefs.check_relative(child, f"{side.label} (the listing {out.md5} of {out.path})")
                md5 = item.get("md5")
                if not (isinstance(md5, str) and safefs.MD5.fullmatch(md5)):
                    md5 = None
                project.outs[child] = dvcfiles.Out(child, md5, out.legacy, True)
                files.append(child)
        except (ValueError, KeyError, TypeError):
            return None
        return sorted(files)

    def expand(self, side: _Side, project: dvcfiles.Project, path: str) -> list[str]:
        """A declared path, or the files below it when it names a folder (as DVC expands it)."""
        if path in side.tree or (side.revision.sha is None and (side.root / path).is_file()):
            return [path]
        if side.revision.sha is None and (side.root / path).is_dir():
            return side.under(path)
        out = project.outs.get(path)
        if out is not None:
            # A DVC-cached folder: its files are listed in the `.dir` manifest in the cache.
            files = self.listing(side, project, out)
            if files:
                return files
        return side.under(path) or [path]

    @staticmethod
    def folder_out(project: dvcfiles.Project, path: str) -> dvcfiles.Out | None:
        """The cached folder output (`outs: [eval]`) that holds `path`, if one does."""
        parts = path.split("/")
        for i in range(len(parts) - 1, 0, -1):
            out = project.outs.get("/".join(parts[:i]))
            if out is not None and out.cached:
                return out
        return None

    def read(self, side: _Side, project: dvcfiles.Project, path: str, what: str) -> bytes | None:
        """The bytes of a declared file at `side`, or None (and a Problem) when they are not there."""
        out = project.outs.get(path)
        if out is None and side.revision.sha is not None and path not in side.tree:
            out = dvcfiles.dvc_file_out(side.read, path, side.label)
        data = side.read(path)
        if data is not None:
            return data
        folder = self.folder_out(project, path) if out is None else None
        if folder is not None:
            # Inside a folder DVC stores as a whole: the file's md5 is in the folder's manifest.
            pull = _pull_hint(side, folder.path)
            if folder.md5 is None:
                self.problem(
                    side, path, "missing",
                    f"{what} {path} at {side.label} is inside the DVC output {folder.path}, for which "
                    "dvc.lock records no hash; run `dvc repro` and commit dvc.lock.",
                )
                return None
            if self.listing(side, project, folder) is None:
                self.problem(
                    side, path, "not-in-cache",
                    f"{what} {path} at {side.label} is inside the DVC output {folder.path} (md5 "
                    f"{folder.md5}), whose listing is not in the local DVC cache; {pull}.",
                )
                return None
            out = project.outs.get(path)
            if out is None:
                self.problem(
                    side, path, "missing",
                    f"{what} {path} is not in the DVC output {folder.path} at {side.label} (its "
                    "listing has no such file); check the path in dvc.yaml.",
                )
                return None
            if out.md5:
                data = _from_cache(self.caches, out.md5, out.legacy)
                if data is not None:
                    return data
            self.problem(
                side, path, "not-in-cache",
                f"{what} {path} at {side.label} is in the DVC output {folder.path} (md5 {out.md5}) "
                f"but not in the local DVC cache; {pull}.",
            )
            return None
        if out is not None and out.cached and out.md5:
            data = _from_cache(self.caches, out.md5, out.legacy)
            if data is not None:
                return data
            self.problem(
                side,
                path,
                "not-in-cache",
                f"{what} {path} at {side.label} is stored by DVC (md5 {out.md5}) but is not in the "
                f"local DVC cache; {_pull_hint(side, path)}.",
            )
            return None
        if side.revision.sha is None:
            fix = "run `dvc repro` (or `toolkit repro`) to produce it, or `dvc pull` to fetch it"
            self.problem(
                side,
                path,
                "missing",
                f"{what} {path} is declared in dvc.yaml but missing in the workspace; {fix}.",
            )
        elif out is not None and out.cached:
            self.problem(
                side,
                path,
                "missing",
                f"{what} {path} is declared in dvc.yaml at {side.label} but its dvc.lock records no "
                "hash for it; run `dvc repro` and commit dvc.lock.",
            )
        else:
            self.problem(
                side,
                path,
                "missing",
                f"{what} {path} is declared in dvc.yaml but not committed at {side.label}; its keys "
                "show as added/removed.",
            )
        return None

    def parse(self, side: _Side, path: str, data: bytes, what: str) -> Any:
        if formats.suffix(path) == ".py":
            self.problem(
                side,
                path,
                "unreadable",
                f"{what} {path} at {side.label} is a Python file, which toolkit does not read; "
                "use YAML, JSON or TOML.",
            )
            return None
        return formats.parse(path, data, side.label)


def _select(data: Any, keys: list[str]) -> dict[str, Any]:
    """The parts of `data` that dotted `keys` name (globs per level allowed), nested as in DVC."""
    out: dict[str, Any] = {}
    for key in keys:
        _select_into(data, key.split("."), out)
    return out


def _select_into(node: Any, parts: list[str], out: dict[str, Any]) -> None:
    if not isinstance(node, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    if any(c in head for c in "*?["):
        import fnmatch

        names = [k for k in node if fnmatch.fnmatchcase(str(k), head)]
    else:
        names = [head] if head in node else []
    for name in names:
        value = node[name]
        if not rest:
            if isinstance(value, dict) and isinstance(out.get(name), dict):
                _deep_merge(out[name], value)
            else:
                out[name] = value
        elif isinstance(value, dict):
            sub = out.setdefault(name, {})
            if isinstance(sub, dict):
                _select_into(value, rest, sub)


def _deep_merge(dst: dict[str, Any], src: Mapping[str, Any]) -> None:
    """Deep-merge `src` into `dst`."""
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _deep_merge(dst[k], v)
        else:
            dst[k] = v


def _direction_for(config: Config) -> Callable[[str, str], Direction | None]:
    """`config.shown_direction`, memoised per key (names repeat across files and revisions)."""
    if config.directions:
        return config.shown_direction
    cache: dict[str, Direction | None] = {}

    def direction(path: str, key: str) -> Direction | None:
        # Without per-metric settings the direction depends on the key alone.
        if key in cache:
            return cache[key]
        found = cache[key] = known_direction(key)
        return found

    return direction


def _union(*keys: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for group in keys:
        for k in group:
            seen.setdefault(k, None)
    return list(seen)


# --------------------------------------------------------------------------------------------
# the engine


def compare(
    root: Path,
    base: str | None = None,
    head: str | None = None,
    *,
    environ: Mapping[str, str],
    config: Config,
    with_plots: bool = False,
    check_stale: bool = False,
) -> Comparison:
    """Metrics and params (and plots when asked) of base vs head; head None is the workspace.

    With check_stale and the workspace as head, `Comparison.stale` says what `dvc status` would
    call out of date.
    """
    with git.ObjectReader(root) as reader:
        base_rev = resolve_base(root, base, environ, config, reader)
        head_rev = (
            Revision(WORKSPACE, None)
            if head is None or head == WORKSPACE
            else Revision(head, _ensure(root, head, reader))
        )
        b, h = _Side(base_rev, root, reader), _Side(head_rev, root, reader)
        prefix = root_prefix(root)
        pending = [
            git.start_listing(root, b.revision.sha, prefix),
            git.start_listing(root, h.revision.sha, prefix),
        ]
        b.tree, h.tree = (finish() for finish in pending)
        pb = dvcfiles.load_project(b.files, b.read, b.label)
        ph = dvcfiles.load_project(h.files, h.read, h.label)
        loader = _Loader(root)

        metric_entries: list[Entry] = []
        direction_for = _direction_for(config)
        files_b = _union(*(loader.expand(b, pb, d) for d in pb.metrics))
        files_h = _union(*(loader.expand(h, ph, d) for d in ph.metrics))
        set_b, set_h = set(files_b), set(files_h)
        for path in _union(files_h, files_b):
            old = _load_metrics(loader, b, pb, path, path in set_b)
            new = _load_metrics(loader, h, ph, path, path in set_h)
            metric_entries.extend(metrics.diff_file(path, old, new, direction_for=direction_for))

        param_entries: list[Entry] = []
        # Like `dvc params diff`: declared params files, then values that templated stages take
        # from other `vars:` files.
        for path in _union(ph.params, pb.params, _vars_files(ph), _vars_files(pb)):
            old = _load_params(loader, b, pb, path)
            new = _load_params(loader, h, ph, path)
            param_entries.extend(metrics.diff_file(path, old, new))
        from toolkit.masking import mask

        param_entries = mask(param_entries, config.secret_keys)  # a password never reaches an output

        plots: list[PlotData] = []
        if with_plots:
            plots = _plots(loader, b, pb, h, ph)

    return Comparison(
        base=base_rev,
        head=head_rev,
        metrics=metric_entries,
        params=param_entries,
        problems=loader.problems,
        plots=plots,
        stale=_stale(root) if check_stale and head_rev.sha is None else None,
    )


def _stale(root: Path) -> Stale | None:
    from toolkit import stale

    return stale.check(root)


def _load_metrics(
    loader: _Loader, side: _Side, project: dvcfiles.Project, path: str, declared: bool
) -> dict[str, Any] | None:
    if not declared:
        return None
    data = loader.read(side, project, path, "metrics file")
    if data is None:
        return None
    return metrics.flatten(loader.parse(side, path, data, "metrics file"))


def _vars_files(project: dvcfiles.Project) -> list[str]:
    return [f for f in project.tracked_vars if f not in project.params]


def _load_params(loader: _Loader, side: _Side, project: dvcfiles.Project, path: str) -> dict[str, Any] | None:
    if path not in project.params:
        used = project.tracked_vars.get(path)
        return None if used is None else metrics.flatten(used, lists_as_str=True)
    if path in project.default_params:
        data = side.read(path)
        if data is None:
            return None
    else:
        data = loader.read(side, project, path, "params file")
        if data is None:
            return None
    value = loader.parse(side, path, data, "params file")
    keys = project.params[path]
    if keys:
        value = _select(value, keys)
    return metrics.flatten(value, lists_as_str=True)


_PLOT_SUFFIXES = (".json", ".csv", ".tsv", ".yaml", ".yml", *formats.IMAGE_SUFFIXES)


def _plot_files(loader: _Loader, side: _Side, project: dvcfiles.Project) -> list[dvcfiles.PlotSpec]:
    """The declared plots, a folder (DVCLive's `plots/metrics`) as one plot per data file in it."""
    import dataclasses

    out = []
    for spec in project.plots:
        d = spec.definition
        files = loader.expand(side, project, d.path)
        if files == [d.path]:
            out.append(spec)
            continue
        for f in files:
            kind = formats.suffix(f)
            if kind not in _PLOT_SUFFIXES:
                continue
            pid = f if d.id == d.path else f"{d.id} ({f})"
            one = dataclasses.replace(d, id=pid, path=f, image=kind in formats.IMAGE_SUFFIXES)
            out.append(dvcfiles.PlotSpec(one, spec.cached))
    return out


def _plots(loader: _Loader, b: _Side, pb: dvcfiles.Project, h: _Side, ph: dvcfiles.Project) -> list[PlotData]:
    specs: dict[str, tuple[dvcfiles.PlotSpec | None, dvcfiles.PlotSpec | None]] = {}
    for spec in _plot_files(loader, h, ph):
        specs.setdefault(spec.definition.id, (None, spec))
    for spec in _plot_files(loader, b, pb):
        got = specs.get(spec.definition.id)
        specs[spec.definition.id] = (spec, got[1] if got else None)
    out = []
    for base_spec, head_spec in specs.values():
        chosen = head_spec or base_spec
        assert chosen is not None
        rows: list[list[dict[str, Any]] | None] = []
        for side, project, one in ((b, pb, base_spec), (h, ph, head_spec)):
            if one is None:
                rows.append(None)
                continue
            path = one.definition.path
            data = loader.read(side, project, path, "plot file")
            if one.definition.image:  # listed (and checked to exist), never parsed
                rows.append(None)
                continue
            try:
                rows.append(None if data is None else formats.parse_rows(path, data, side.label))
            except MetricsFileError as exc:
                # A broken plot costs its chart, not the whole report (metrics files do fail).
                loader.problem(side, path, "unreadable", exc.message)
                rows.append(None)
        out.append(PlotData(definition=chosen.definition, base=rows[0], head=rows[1]))
    return out


def declared_metrics(root: Path) -> list[str]:
    """The metrics paths (files or folders) the workspace's dvc.yaml files declare."""
    side = _Side(Revision(WORKSPACE, None), root, None)
    side.tree = git.start_listing(root, None, root_prefix(root))()
    return list(dvcfiles.load_project(side.files, side.read, side.label).metrics)


def workspace_metrics(root: Path) -> dict[str, dict[str, Any]]:
    """Every metrics file the workspace of the DVC root declares: {path: {dotted key: value}}.

    Files that cannot be read are left out (`toolkit init` draws gate suggestions from these).
    """
    side = _Side(Revision(WORKSPACE, None), root, None)
    side.tree = git.start_listing(root, None, root_prefix(root))()
    project = dvcfiles.load_project(side.files, side.read, side.label)
    loader = _Loader(root)
    found: dict[str, dict[str, Any]] = {}
    for path in _union(*(loader.expand(side, project, d) for d in project.metrics)):
        try:
            values = _load_metrics(loader, side, project, path, True)
        except MetricsFileError:
            continue
        if values:
            found[path] = values
    return found


# --------------------------------------------------------------------------------------------
# one file at a revision (toolkit drift / toolkit monitor: `REV:PATH` sources, model artifacts)


def read_at(root: Path, rev: str, path: str) -> bytes:
    """The bytes of `path` at revision `rev`: from git objects, or from the DVC cache when DVC tracks it.

    Raises a ToolkitError naming the revision and the fix when the file is not there or its
    DVC-tracked content is not in the local cache.
    """
    path = path.strip().lstrip("/").replace("\\", "/")
    if not path or any(part == ".." for part in path.split("/")):
        raise MetricsFileError(
            f"`{rev}:{path}` does not name a file inside the repository; give REV:PATH with PATH "
            "relative to the repository root."
        )
    with git.ObjectReader(root) as reader:
        side = _Side(Revision(rev, _ensure(root, rev, reader)), root, reader)
        side.tree = git.start_listing(root, side.revision.sha or "", root_prefix(root))()
        data = side.read(path)
        if data is not None:
            return data
        project = dvcfiles.load_project(side.files, side.read, side.label)
        loader = _Loader(root)
        # A file inside a DVC-tracked folder (a stage's `outs: [data/prepared]`, or a folder
        # `dvc add`ed as `data.dvc`) is listed in the folder's manifest.
        parts = path.split("/")
        for i in range(len(parts) - 1, 0, -1):
            folder = "/".join(parts[:i])
            added = dvcfiles.dvc_file_out(side.read, folder)
            if added is not None and folder not in project.outs:
                project.outs[folder] = added
                break
        for out_path in sorted(project.outs, key=len, reverse=True):
            if path.startswith(out_path.rstrip("/") + "/"):
                listed = loader.expand(side, project, out_path)
                if path not in project.outs and listed != [out_path]:
                    raise MetricsFileError(
                        f"{path} is not in {side.label}: the DVC-tracked folder {out_path} has no such "
                        "file there; check the path."
                    )
                if path not in project.outs:
                    raise MetricsFileError(
                        f"{path} at {side.label} is inside {out_path}, which DVC tracks, but that "
                        "folder's listing is not in the local DVC cache; run `dvc pull` (or "
                        "`toolkit repro --pull`) to fetch it."
                    )
                break
        if path not in project.outs and dvcfiles.dvc_file_out(side.read, path) is None:
            raise MetricsFileError(
                f"{path} is not in {side.label}: neither committed to git nor tracked by DVC there; "
                f"check the path (`git ls-tree -r --name-only {rev}`)."
            )
        data = loader.read(side, project, path, "file")
    if data is not None:
        return data
    problem = loader.problems[-1].message if loader.problems else f"{path} is not in {side.label}."
    raise MetricsFileError(problem)
