"""Artifacts as DVC declares them: the `artifacts:` section of every dvc.yaml.

`dvc.yaml` at the repository root declares `NAME`; `sub/dir/dvc.yaml` declares `sub/dir:NAME`, as
gto names it. Paths are made relative to the repository root.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import dvcfiles, formats, git
from toolkit.errors import DvcError, MetricsFileError, RegistryError
from toolkit.registry import tags


@dataclass(frozen=True)
class Declared:
    """One artifact of a dvc.yaml `artifacts:` section."""

    name: str  # `NAME` or `dir:NAME`
    path: str  # relative to the repository root, forward slashes
    dvcfile: str  # the dvc.yaml that declares it
    type: str | None = None
    desc: str | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)


def parse(paths: Iterable[str], read: Callable[[str], bytes | None], where: str) -> dict[str, Declared]:
    """Every declared artifact of one revision: {name: Declared}."""
    out: dict[str, Declared] = {}
    for dvcfile in dvcfiles.find_dvcfiles(paths, read):
        data = read(dvcfile)
        if data is None:
            continue
        try:
            doc = formats.parse_yaml(data.decode("utf-8", errors="replace"), dvcfile, where)
        except MetricsFileError as exc:
            raise DvcError(exc.message) from None
        section = doc.get("artifacts") if isinstance(doc, dict) else None
        if section is None:
            continue
        if not isinstance(section, dict):
            raise DvcError(f"{dvcfile} at {where}: `artifacts:` must map names to {{path: ...}}.")
        folder = posixpath.dirname(dvcfile)
        for raw_name, spec in section.items():
            name = f"{folder}:{raw_name}" if folder else str(raw_name)
            if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
                raise DvcError(
                    f"{dvcfile} at {where}: artifact `{raw_name}` needs `path:` (the file it versions)."
                )
            tags.check_name(name)
            labels = spec.get("labels") or ()
            out[name] = Declared(
                name=name,
                path=posixpath.normpath(posixpath.join(folder, spec["path"])),
                dvcfile=dvcfile,
                type=spec["type"] if isinstance(spec.get("type"), str) else None,
                desc=spec["desc"] if isinstance(spec.get("desc"), str) else None,
                labels=tuple(str(x) for x in labels) if isinstance(labels, list) else (),
            )
    return out


def at_commit(root: Path, sha: str, reader: git.ObjectReader) -> dict[str, Declared]:
    """The artifacts declared at commit `sha`."""
    tree = git.list_tree(root, sha)

    def read(path: str) -> bytes | None:
        oid = tree.get(path)
        return reader.read(oid) if oid else None

    return parse(tree, read, sha[:7])


def require(declared: dict[str, Declared], name: str, where: str) -> Declared:
    """The artifact `name`, or an error listing the declared ones."""
    tags.check_name(name)
    found = declared.get(name)
    if found is None:
        listed = ", ".join(f"`{n}`" for n in sorted(declared)) or "none"
        raise RegistryError(
            f"artifact `{name}` is not declared in any dvc.yaml at {where} (declared: {listed}); "
            "add it under `artifacts:` in dvc.yaml (path, type: model) and commit."
        )
    return found
