"""dvc.yaml / dvc.lock / .dvcignore: what one revision declares as metrics, params and plots.

Pure functions over a file listing and a `read(path) -> bytes | None` callback, so the same code
serves a git commit (read from git objects) and the workspace (read from disk). Paths in the
result are relative to the repository root with forward slashes, as DVC resolves them: relative to
the declaring dvc.yaml's folder and the stage's `wdir`.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from toolkit import formats
from toolkit.errors import DvcError, MetricsFileError
from toolkit.results import PlotDef

Reader = Callable[[str], "bytes | None"]

PROJECT_FILE = "dvc.yaml"
LOCK_FILE = "dvc.lock"
DEFAULT_PARAMS = "params.yaml"
IGNORE_FILE = ".dvcignore"


class Out:
    """A file DVC tracks at this revision: where its content lives in the cache."""

    # Plain classes, not dataclasses: this module is on `toolkit diff`'s start-up path.
    __slots__ = ("cached", "legacy", "md5", "path")

    def __init__(self, path: str, md5: str | None, legacy: bool, cached: bool) -> None:
        self.path = path
        self.md5 = md5  # None when dvc.lock has no hash for it (never reproduced/committed)
        self.legacy = legacy  # DVC 2 hash (no `hash: md5`): try the legacy cache layout first
        self.cached = cached  # `cache: true` (the default): git does not hold it


class PlotSpec:
    """A declared plot and whether its data file is a DVC-cached output."""

    __slots__ = ("cached", "definition")

    def __init__(self, definition: PlotDef, cached: bool) -> None:
        self.definition = definition
        self.cached = cached


class Stage:
    """A pipeline stage (or a `.dvc` file) as `dvc dag` draws it: its name and the paths it links."""

    __slots__ = ("cmd", "deps", "lock", "name", "outs", "params", "wdir")

    def __init__(
        self,
        name: str,
        deps: list[str],
        outs: list[str],
        *,
        cmd: Any = None,
        params: dict[str, list[str]] | None = None,
        lock: dict[str, Any] | None = None,
    ) -> None:
        self.name = name  # DVC's addressing: `train`, `sub/dvc.yaml:train`, `data.dvc`
        self.deps = deps  # paths relative to the DVC root, params files included
        self.outs = outs
        self.cmd = cmd  # as rendered (templates resolved)
        self.params = params or {}  # params file -> keys ([] = the whole file)
        self.lock = lock  # this stage's dvc.lock entry (paths relative to its wdir), if any
        self.wdir = ""


class Project:
    """Everything one revision declares, across all of its dvc.yaml files."""

    def __init__(self) -> None:
        self.stages: list[Stage] = []  # in declaration order, foreach/matrix expanded
        self.dvcfiles: list[str] = []
        self.metrics: dict[str, bool] = {}  # path -> cached
        self.params: dict[str, list[str]] = {}  # path -> keys ([] = whole file)
        self.default_params: set[str] = set()  # params files shown only when present
        self.plots: list[PlotSpec] = []
        self.outs: dict[str, Out] = {}  # every stage output, by path
        # Values stages interpolate from `vars:` files: {file: {dotted key: value}}
        self.tracked_vars: dict[str, dict[str, Any]] = {}


# --------------------------------------------------------------------------------------------
# .dvcignore


def _translate(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


class _Rule:
    __slots__ = ("dir_only", "negate", "regex")

    def __init__(self, regex: re.Pattern[str], negate: bool, dir_only: bool) -> None:
        self.regex = regex
        self.negate = negate
        self.dir_only = dir_only


class IgnoreRules:
    """The gitignore-style patterns of every .dvcignore, each relative to its own folder."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.rules: list[_Rule] = []
        for path in sorted(files, key=lambda p: p.count("/")):
            base = posixpath.dirname(path)
            for raw in files[path].splitlines():
                line = raw.rstrip()
                if not line or line.startswith("#"):
                    continue
                negate = line.startswith("!")
                if negate:
                    line = line[1:]
                dir_only = line.endswith("/")
                line = line.rstrip("/")
                if not line:
                    continue
                anchored = "/" in line
                line = line.lstrip("/")
                body = _translate(line)
                prefix = re.escape(base + "/") if base else ""
                regex = prefix + body if anchored else prefix + "(?:.*/)?" + body
                self.rules.append(_Rule(re.compile(f"^{regex}$"), negate, dir_only))

    def ignored(self, path: str) -> bool:
        """True when `path` (a file) or one of its folders is ignored."""
        if not self.rules:
            return False
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            is_dir = depth < len(parts)
            hit = False
            for rule in self.rules:
                if rule.dir_only and not is_dir:
                    continue
                if rule.regex.match(sub):
                    hit = not rule.negate
            if hit:
                return True
        return False


def find_dvcfiles(paths: Iterable[str], read: Reader) -> list[str]:
    """Every dvc.yaml in `paths` outside .git/.dvc and not excluded by a .dvcignore, sorted."""
    candidates = []
    ignore_files = []
    for p in paths:
        name = p.rsplit("/", 1)[-1]
        if name == PROJECT_FILE:
            candidates.append(p)
        elif name == IGNORE_FILE:
            ignore_files.append(p)
    if not candidates:
        return []
    texts = {}
    for p in ignore_files:
        data = read(p)
        if data is not None:
            texts[p] = data.decode("utf-8", errors="replace")
    rules = IgnoreRules(texts)
    found = []
    for p in candidates:
        parts = p.split("/")
        if ".git" in parts[:-1] or ".dvc" in parts[:-1] or rules.ignored(p):
            continue
        found.append(p)
    return sorted(found, key=lambda p: (p.count("/"), p))


# --------------------------------------------------------------------------------------------
# templating (`vars`, `${...}`, `foreach`/`do`, `matrix`): the subset DVC documents


_INTERP = r"\$\{\s*([^}]*?)\s*\}"


class _Context:
    """Template variables, and where each top-level name came from (file, key path in it).

    DVC lists the values that stages interpolate from `vars:` files as params (`dvc params diff`
    shows them), so every lookup of such a value is noted in `tracked`.
    """

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.origin: dict[str, tuple[str, str]] = {}
        self.tracked: dict[str, dict[str, Any]] | None = None

    def copy(self) -> _Context:
        new = _Context()
        new.data = dict(self.data)
        new.origin = dict(self.origin)
        return new

    def add_file(self, path: str, data: Mapping[str, Any]) -> None:
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(self.data.get(key), dict):
                _merge(self.data[key], value)
            else:
                self.data[key] = value
            self.origin.setdefault(str(key), (path, str(key)))

    def lookup(self, ref: str) -> Any:
        parts = re.findall(r"[^.\[\]]+", ref)
        value: Any = self.data
        for part in parts:
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif (
                isinstance(value, list)
                and part.lstrip("-").isdigit()
                and -len(value) <= int(part) < len(value)
            ):
                value = value[int(part)]
            else:
                raise KeyError(ref)
        if self.tracked is not None and parts and not isinstance(value, dict):
            source = self.origin.get(parts[0])
            if source is not None:
                file, prefix = source
                self.tracked.setdefault(file, {})[".".join([prefix, *parts[1:]])] = value
        return value

    def origin_of(self, ref: str) -> tuple[str, str] | None:
        parts = re.findall(r"[^.\[\]]+", ref)
        source = self.origin.get(parts[0]) if parts else None
        return None if source is None else (source[0], ".".join([source[1], *parts[1:]]))


def _render(value: Any, ctx: _Context) -> Any:
    if isinstance(value, str):
        if "${" not in value:
            return value
        whole = re.fullmatch(_INTERP, value)
        try:
            if whole:
                return ctx.lookup(whole.group(1))
            return re.sub(_INTERP, lambda m: _scalar(ctx.lookup(m.group(1))), value)
        except KeyError:
            return value  # unknown variable: left as written (DVC would refuse the file)
    if isinstance(value, list):
        return [_render(v, ctx) for v in value]
    if isinstance(value, dict):
        return {(_render(k, ctx) if isinstance(k, str) else k): _render(v, ctx) for k, v in value.items()}
    return value


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _strings(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    else:
        yield value


def _merge(dst: dict[str, Any], src: Mapping[str, Any]) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = v


# --------------------------------------------------------------------------------------------
# dvc.yaml


def _join(base: str, *rel: str) -> str:
    path = posixpath.normpath(posixpath.join(base or ".", *rel))
    return "" if path == "." else path


def _entries(items: Any) -> list[tuple[str, dict[str, Any]]]:
    """`[str | {path: props}]` -> [(path, props)] (DVC's outs/metrics/plots list shape)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, str):
            out.append((item, {}))
        elif isinstance(item, dict):
            for path, props in item.items():
                if isinstance(props, list):  # plots: {path: [props, ...]}
                    props = props[0] if props and isinstance(props[0], dict) else {}
                out.append((str(path), props if isinstance(props, dict) else {}))
    return out


class _Parser:
    def __init__(self, read: Reader, where: str) -> None:
        self.read = read
        self.where = where
        self.project = Project()
        self._stage_params: list[dict[str, list[str]]] = []

    def _load(self, path: str, *, required: bool) -> Any:
        data = self.read(path)
        if data is None:
            if required:
                raise DvcError(f"{path} is missing at {self.where}; check the path in dvc.yaml.")
            return None
        try:
            return formats.parse(path, data, self.where)
        except MetricsFileError as exc:
            raise DvcError(f"{exc.message.rstrip('.')} (DVC cannot read it either).") from None

    def _vars(self, folder: str, items: Any, ctx: _Context) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                _merge(ctx.data, item)  # inline values: no file, never listed as params
            elif isinstance(item, str):
                name, _, keys = item.partition(":")
                path = _join(folder, name)
                data = self._load(path, required=False)
                if isinstance(data, dict):
                    if keys:
                        data = {k: data[k] for k in keys.split(",") if k in data}
                    ctx.add_file(path, data)

    def parse(self, dvcfile: str) -> None:
        folder = posixpath.dirname(dvcfile)
        raw = self.read(dvcfile)
        if raw is None:
            return
        try:
            doc = formats.parse(dvcfile, raw, self.where)
        except MetricsFileError as exc:
            raise DvcError(f"{exc.message.rstrip('.')} (DVC cannot read it either).") from None
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise DvcError(f"{dvcfile} at {self.where} is not a mapping of `stages:` etc.; fix the file.")
        self.project.dvcfiles.append(dvcfile)
        ctx = _Context()
        if b"${" in raw:  # templating: params.yaml beside dvc.yaml and `vars:` are the context
            defaults_path = _join(folder, DEFAULT_PARAMS)
            defaults = self._load(defaults_path, required=False)
            if isinstance(defaults, dict):
                ctx.add_file(defaults_path, defaults)
            self._vars(folder, doc.get("vars"), ctx)
        lock = self._lock(folder)

        stages = doc.get("stages")
        for name, definition in stages.items() if isinstance(stages, dict) else []:
            if not isinstance(definition, dict):
                continue
            for stage_name, stage, stage_ctx in self._expand(str(name), definition, ctx, folder):
                self._stage(folder, stage_name, stage, stage_ctx, lock)

        for path in doc.get("metrics") or []:
            if isinstance(path, str):
                self._metric(_join(folder, str(_render(path, ctx))), None)
        for path in doc.get("params") or []:
            if isinstance(path, str):
                self._stage_params.append({_join(folder, str(_render(path, ctx))): []})
        plots = doc.get("plots")
        for item in plots if isinstance(plots, list) else []:
            self._top_plot(folder, _render(item, ctx))

    def _lock(self, folder: str) -> dict[str, Any]:
        lock_path = _join(folder, LOCK_FILE)
        lock = self._load(lock_path, required=False)
        if not isinstance(lock, dict):
            return {}
        stages = lock.get("stages") if "schema" in lock else lock  # dvc 1.x lock had no schema
        return stages if isinstance(stages, dict) else {}

    def _expand(
        self, name: str, definition: dict[str, Any], ctx: _Context, folder: str
    ) -> Iterable[tuple[str, dict[str, Any], _Context]]:
        if "foreach" in definition and "do" in definition:
            items = _render(definition["foreach"], ctx)
            ref = definition["foreach"]
            whole = re.fullmatch(_INTERP, ref) if isinstance(ref, str) else None
            source = ctx.origin_of(whole.group(1)) if whole else None
            body = definition["do"] if isinstance(definition["do"], dict) else {}
            pairs: Iterable[tuple[Any, Any]]
            if isinstance(items, dict):
                pairs = items.items()
            elif isinstance(items, list):
                pairs = ((i if isinstance(v, (dict, list)) else v, v) for i, v in enumerate(items))
            else:
                return
            for index, (key, item) in enumerate(pairs):
                local = ctx.copy()
                local.data["item"] = item
                local.data["key"] = key
                local.origin.pop("key", None)
                local.origin.pop("item", None)
                if source is not None:  # `${item.x}` is that file's `<list>.<i>.x`
                    local.origin["item"] = (
                        source[0],
                        f"{source[1]}.{key if isinstance(items, dict) else index}",
                    )
                yield f"{name}@{key}", body, local
            return
        matrix = definition.get("matrix")
        if isinstance(matrix, dict):
            names = list(matrix)
            values = []
            for axis in names:
                vals = _render(matrix[axis], ctx)
                values.append(vals if isinstance(vals, list) else [vals])
            for combo in itertools.product(*[list(enumerate(v)) for v in values]):
                local = ctx.copy()
                local.data["item"] = {axis: v for axis, (_, v) in zip(names, combo, strict=True)}
                local.origin.pop("item", None)
                key = "-".join(
                    f"{axis}{i}" if isinstance(v, (dict, list)) else _scalar(v)
                    for axis, (i, v) in zip(names, combo, strict=True)
                )
                yield f"{name}@{key}", definition, local
            return
        yield name, definition, ctx

    def _stage(
        self,
        folder: str,
        name: str,
        stage: dict[str, Any],
        ctx: _Context,
        lock: dict[str, Any],
    ) -> None:
        local = ctx.copy()
        self._vars(folder, stage.get("vars"), local)
        if any(isinstance(v, str) and "${" in v for v in _strings(stage)):
            # Resolve the whole definition (cmd too) once, noting what it takes from files.
            local.tracked = {}
            body = {k: v for k, v in stage.items() if k not in ("vars", "foreach", "do", "matrix")}
            stage = _render(body, local)
            for file, values in local.tracked.items():
                self.project.tracked_vars.setdefault(file, {}).update(values)
            local.tracked = None
        wdir_raw = _render(stage.get("wdir") or ".", local)
        wdir = _join(folder, str(wdir_raw))
        lock_outs = {}
        lock_stage = lock.get(name)
        if isinstance(lock_stage, dict):
            for out in lock_stage.get("outs") or []:
                if isinstance(out, dict) and isinstance(out.get("path"), str):
                    lock_outs[_join(wdir, out["path"])] = out
        for section in ("outs", "metrics", "plots"):
            for raw_path, props in _entries(_render(stage.get(section), local)):
                path = _join(wdir, raw_path)
                cached = props.get("cache", True) is not False
                lo = lock_outs.get(path, {})
                md5 = _md5(lo.get("md5"), _join(folder, LOCK_FILE), path, self.where)
                self.project.outs[path] = Out(
                    path=path,
                    md5=md5,
                    legacy=lo.get("hash") != "md5",
                    cached=cached,
                )
                if section == "metrics":
                    self._metric(path, cached)
                elif section == "plots":
                    self._plot_out(path, raw_path, props, cached)
        params = _render(stage.get("params"), local)
        default = _join(wdir, DEFAULT_PARAMS)
        param_files: list[str] = []
        stage_params: list[dict[str, list[str]]] = []
        for item in params if isinstance(params, list) else []:
            if isinstance(item, str):
                stage_params.append({default: [item]})
                param_files.append(default)
            elif isinstance(item, dict):
                for file, keys in item.items():
                    target = _join(wdir, str(file))
                    param_files.append(target)
                    stage_params.append({target: [str(k) for k in keys] if isinstance(keys, list) else []})
        self._stage_params.extend(stage_params)
        deps = [
            _join(wdir, d) for d in (stage.get("deps") or []) if isinstance(d, str) and "://" not in d
        ]
        outs = [
            _join(wdir, raw)
            for section in ("outs", "metrics", "plots")
            for raw, _ in _entries(_render(stage.get(section), local))
        ]
        address = name if folder == "" else f"{_join(folder, PROJECT_FILE)}:{name}"
        node = Stage(
            address,
            [*deps, *dict.fromkeys(param_files)],
            outs,
            cmd=stage.get("cmd"),
            params=merge_params(stage_params),
            lock=lock_stage if isinstance(lock_stage, dict) else None,
        )
        node.wdir = wdir
        self.project.stages.append(node)

    def _metric(self, path: str, cached: bool | None) -> None:
        if cached is None:  # top-level entry: cached when a stage says so
            cached = self.project.metrics.get(path, False)
        self.project.metrics[path] = self.project.metrics.get(path, False) or cached

    def _add_plot(
        self, pid: str, path: str, x: Any, y: Any, props: dict[str, Any], cached: bool, image: bool
    ) -> None:
        """One PlotDef from DVC's plot properties (x a field, y a field or a list of fields)."""
        ys = (y,) if isinstance(y, str) else tuple(str(v) for v in y) if isinstance(y, list) else ()
        self.project.plots.append(
            PlotSpec(
                PlotDef(
                    id=pid,
                    path=path,
                    x=x if isinstance(x, str) else None,
                    y=ys,
                    template=_opt_str(props.get("template")),
                    title=_opt_str(props.get("title")),
                    x_label=_opt_str(props.get("x_label")),
                    y_label=_opt_str(props.get("y_label")),
                    image=image,
                ),
                cached,
            )
        )

    def _plot_out(self, path: str, raw: str, props: dict[str, Any], cached: bool) -> None:
        image = formats.suffix(raw) in formats.IMAGE_SUFFIXES
        self._add_plot(path, path, props.get("x"), props.get("y"), props, cached, image)

    def _top_plot(self, folder: str, item: Any) -> None:
        if isinstance(item, str):
            path = _join(folder, item)
            self._add_plot(path, path, None, None, {}, False, formats.suffix(path) in formats.IMAGE_SUFFIXES)
            return
        if not isinstance(item, dict):
            return
        for plot_id, props in item.items():
            props = props if isinstance(props, dict) else {}
            y = props.get("y")
            x = props.get("x")
            if isinstance(y, dict):
                # {file: field(s)}: one plot per data file, the id naming both.
                for file, fields in y.items():
                    path = _join(folder, str(file))
                    fy = fields if isinstance(fields, str) else [str(f) for f in fields or []]
                    fx = x.get(file) if isinstance(x, dict) else x
                    pid = str(plot_id) if len(y) == 1 else f"{plot_id} ({path})"
                    image = formats.suffix(path) in formats.IMAGE_SUFFIXES
                    self._add_plot(pid, path, fx, fy, props, self._is_cached(path), image)
                continue
            path = _join(folder, str(plot_id))
            image = formats.suffix(path) in formats.IMAGE_SUFFIXES
            self._add_plot(path, path, x, y, props, self._is_cached(path), image)

    def _is_cached(self, path: str) -> bool:
        out = self.project.outs.get(path)
        return bool(out and out.cached)

    def finish(self, extra_params: list[dict[str, list[str]]]) -> Project:
        # Top-level metrics/plots that are cached stage outputs (declared in a later stage file).
        for path in list(self.project.metrics):
            if self._is_cached(path):
                self.project.metrics[path] = True
        self.project.plots = [
            PlotSpec(p.definition, p.cached or self._is_cached(p.definition.path)) for p in self.project.plots
        ]
        self.project.params = merge_params([*self._stage_params, *extra_params])
        return self.project


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def merge_params(items: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    """DVC's rule: a file tracked whole anywhere is tracked whole; otherwise the union of its keys."""
    whole = {path for item in items for path, keys in item.items() if not keys}
    merged: dict[str, list[str]] = {}
    for item in items:
        for path, keys in item.items():
            bucket = merged.setdefault(path, [])
            if path in whole:
                continue
            for key in keys:
                if key not in bucket:
                    bucket.append(key)
    return merged


def load_project(paths: Iterable[str], read: Reader, where: str) -> Project:
    """Parse every dvc.yaml (and its dvc.lock) of one revision; `where` names it in errors."""
    files = paths if isinstance(paths, (set, frozenset, dict)) else set(paths)
    parser = _Parser(read, where)
    for dvcfile in find_dvcfiles(files, read):
        parser.parse(dvcfile)
    declared = {path for item in parser._stage_params for path in item}
    # params.yaml at the root is always shown when it exists, as in `dvc params diff`.
    extra: list[dict[str, list[str]]] = [{DEFAULT_PARAMS: []}] if DEFAULT_PARAMS in files else []
    project = parser.finish(extra)
    if extra and DEFAULT_PARAMS not in declared:
        project.default_params.add(DEFAULT_PARAMS)
    return project


_MD5 = re.compile(r"[0-9a-f]{32}(?:\.dir)?")


def _md5(value: Any, lock: str, path: str, where: str) -> str | None:
    """A recorded hash as DVC writes it (32 hex digits, `.dir` for folders); else an error.

    The hash names a file in the DVC cache: anything else (`../../secret`) would be a path.
    """
    if value is None:
        return None
    if isinstance(value, str) and _MD5.fullmatch(value):
        return value
    raise DvcError(
        f"{lock} at {where or 'the workspace'} records md5 {str(value)[:80]!r} for {path}, which is "
        "not an md5 hash; run `dvc repro` (or `dvc commit`) to rewrite it."
    )


def dvc_file_out(read: Reader, path: str, where: str = "") -> Out | None:
    """The out recorded by `path.dvc` (a `dvc add`ed file), or None when there is none."""
    dvc_path = path + ".dvc"
    data = read(dvc_path)
    if data is None:
        return None
    try:
        doc = formats.parse_yaml(data.decode("utf-8", errors="replace"), dvc_path, "")
    except MetricsFileError:
        return None
    folder = posixpath.dirname(dvc_path)
    for out in (doc.get("outs") or []) if isinstance(doc, dict) else []:
        if isinstance(out, dict) and _join(folder, str(out.get("path", ""))) == path:
            return Out(
                path=path,
                md5=_md5(out.get("md5"), dvc_path, path, where),
                legacy=out.get("hash") != "md5",
                cached=out.get("cache", True) is not False,
            )
    return None
