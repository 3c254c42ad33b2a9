"""The pipeline graph as `dvc dag --md` draws it, from the parsed dvc.yaml files (no dvc process).

`dvc dag --md` took 0.8 s of the report's 1.0 s (a Python process importing dvc); the same graph
comes from what dvcfiles.py already parses. DVC's rules (dvc/repo/graph.py, dvc/commands/dag.py):
a node per stage (`name` in the root dvc.yaml, `path/dvc.yaml:name` elsewhere, `foreach`/`matrix`
expanded as `name@key`) and per `.dvc` file; an edge from stage A to stage B when a dependency of
B (params files included) is an output of A, inside one, or holds one; one Mermaid block with
each weakly connected component in turn, its nodes and edges sorted by name.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from toolkit import dvcfiles, formats
from toolkit.errors import ToolkitError


def stages(root: Path) -> list[dvcfiles.Stage]:
    """Every stage of the workspace of the DVC root, then every `.dvc` file, in DVC's order."""
    from toolkit import git, safefs
    from toolkit.compare import root_prefix

    files = git.start_listing(root, None, root_prefix(root))()

    def read(path: str) -> bytes | None:
        return safefs.read_inside(root, path, "the workspace")

    project = dvcfiles.load_project(files, read, "the workspace")
    found = list(project.stages)
    rules = None
    for path in sorted(files):
        if not path.endswith(".dvc") or path.startswith(".dvc/"):
            continue
        if rules is None:
            ignores = [p for p in files if p.rsplit("/", 1)[-1] == dvcfiles.IGNORE_FILE]
            rules = dvcfiles.IgnoreRules(
                {p: (read(p) or b"").decode("utf-8", errors="replace") for p in ignores}
            )
        if rules.ignored(path):
            continue
        stage = _dvc_file(path, read(path))
        if stage is not None:
            found.append(stage)
    return found


def _dvc_file(path: str, data: bytes | None) -> dvcfiles.Stage | None:
    if data is None:
        return None
    try:
        doc = formats.parse_yaml(data.decode("utf-8", errors="replace"), path, "the workspace")
    except ToolkitError:
        return None
    if not isinstance(doc, dict):
        return None
    folder = posixpath.dirname(path)

    def paths(items: object) -> list[str]:
        found = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                found.append(posixpath.normpath(posixpath.join(folder or ".", item["path"])))
        return found

    deps = [d for d in paths(doc.get("deps")) if "://" not in d]
    return dvcfiles.Stage(path, deps, paths(doc.get("outs")))


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def edges(nodes: list[dvcfiles.Stage]) -> list[tuple[str, str]]:
    """(upstream, downstream) for every dependency on another stage's output."""
    found: dict[tuple[str, str], None] = {}
    for stage in nodes:
        for dep in stage.deps:
            for other in nodes:
                if other is stage:
                    continue
                if any(_overlap(dep, out) for out in other.outs):
                    found[(other.name, stage.name)] = None
    return list(found)


def _label(name: str) -> str:
    """A stage name inside `["..."]`: no quote, fence or line break of the (untrusted) name ends it."""
    return "".join(" " if ord(c) < 32 else _ENTITIES.get(c, c) for c in name)


# Mermaid's entity codes: the characters that could end the label, the block or add markup.
_ENTITIES = {'"': "#quot;", "`": "#96;", "<": "#lt;", ">": "#gt;"}


def mermaid(nodes: list[dvcfiles.Stage]) -> str:
    """The graph as `dvc dag --md` prints it."""
    names = list(dict.fromkeys(stage.name for stage in nodes))
    links = edges(nodes)
    parent = {name: name for name in names}

    def top(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for a, b in links:
        parent[top(a)] = top(b)
    components: dict[str, list[str]] = {}
    for name in names:  # in DVC's stage order: a component comes when its first stage does
        components.setdefault(top(name), []).append(name)
    lines = ["```mermaid", "flowchart TD"]
    count = 0
    for members in components.values():
        ids: dict[str, str] = {}
        for name in sorted(members):
            count += 1
            ids[name] = f"node{count}"
            lines.append(f'\t{ids[name]}["{_label(name)}"]')
        for a, b in sorted(link for link in links if link[0] in ids):
            lines.append(f"\t{ids[a]}-->{ids[b]}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def markdown(root: Path) -> str | None:
    """The workspace pipeline of the DVC root as a Mermaid block, None when it cannot be read."""
    try:
        return mermaid(stages(root))
    except ToolkitError:
        return None
