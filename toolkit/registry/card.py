"""The model card: what a registered version is, from git alone (metrics, params, data, history).

Everything in it comes from the repository (names, messages, values), so every piece of text is
escaped as Markdown data: no HTML, links, mentions or table breaks can be injected.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit import formats, git
from toolkit.errors import MetricsFileError, RegistryError
from toolkit.inert import markdown_document
from toolkit.markdown import code, escape, table
from toolkit.metrics import format_value
from toolkit.registry.artifacts import Declared
from toolkit.registry.state import EVENT_NAME, Artifact, Version


@dataclass(frozen=True)
class DataVersion:
    """A dependency of the stage that produced the artifact, with its dvc.lock hash."""

    path: str
    hash: str | None
    size: int | None


@dataclass(frozen=True)
class Lineage:
    """The stage that produced the artifact at a commit, its deps and the artifact's own hash."""

    stage: str | None
    deps: list[DataVersion]
    md5: str | None


def lineage(root: Path, sha: str, declared: Declared, reader: git.ObjectReader) -> Lineage:
    """The producing stage of `declared.path` in the dvc.lock next to its dvc.yaml, at `sha`."""
    folder = posixpath.dirname(declared.dvcfile)
    lock_path = posixpath.join(folder, "dvc.lock") if folder else "dvc.lock"
    data = reader.read(f"{sha}:{lock_path}")
    if data is None:
        return Lineage(None, [], None)
    try:
        doc = formats.parse_yaml(data.decode("utf-8", errors="replace"), lock_path, sha[:7])
    except MetricsFileError:
        return Lineage(None, [], None)
    stages = doc.get("stages") if isinstance(doc, dict) else None
    for stage, spec in (stages or {}).items() if isinstance(stages, dict) else ():
        if not isinstance(spec, dict):
            continue
        wdir = posixpath.join(folder, str(spec.get("wdir") or "."))
        for out in spec.get("outs") or []:
            if not isinstance(out, dict):
                continue
            if posixpath.normpath(posixpath.join(wdir, str(out.get("path")))) != declared.path:
                continue
            deps = [
                DataVersion(
                    posixpath.normpath(posixpath.join(wdir, str(d.get("path")))),
                    _hash(d),
                    d.get("size") if isinstance(d.get("size"), int) else None,
                )
                for d in spec.get("deps") or []
                if isinstance(d, dict)
            ]
            return Lineage(str(stage), deps, _hash(out))
    return Lineage(None, [], None)


def _hash(item: Mapping[str, Any]) -> str | None:
    for key in ("md5", "etag", "checksum"):
        value = item.get(key)
        if isinstance(value, str):
            return value
    return None


def render(
    *,
    artifact: Artifact,
    version: Version,
    declared: Declared,
    line: Lineage,
    metrics: Mapping[str, Mapping[str, Any]],
    params: Mapping[str, Mapping[str, Any]],
) -> str:
    """The card as Markdown."""
    name = artifact.name
    out = [f"# Model card: {escape(name)} {escape(version.version)}", ""]
    facts = [
        ("Artifact", code(name)),
        ("Version", code(version.version)),
        ("Commit", code(version.commit)),
        ("Path", code(declared.path)),
    ]
    if declared.type:
        facts.append(("Type", escape(declared.type)))
    if declared.desc:
        facts.append(("Description", escape(declared.desc)))
    if declared.labels:
        facts.append(("Labels", ", ".join(escape(x) for x in declared.labels)))
    if line.md5:
        facts.append(("Artifact md5 (dvc.lock)", code(line.md5)))
    stages = sorted(s for s in version.stages if version.holds(s))
    facts.append(("Stages held", ", ".join(code(s) for s in stages) or "none"))
    out += [table(["", ""], [[f"**{k}**", v] for k, v in facts]), ""]

    out += ["## Metrics", ""]
    rows = [
        [escape(p), escape(k), escape(format_value(v))] for p, kv in metrics.items() for k, v in kv.items()
    ]
    out += [
        table(["File", "Metric", "Value"], rows, "llr") if rows else "No metrics declared at this commit.",
        "",
    ]

    out += ["## Parameters", ""]
    rows = [
        [escape(p), escape(k), escape(format_value(v))] for p, kv in params.items() for k, v in kv.items()
    ]
    out += [
        table(["File", "Parameter", "Value"], rows, "llr") if rows else "No parameters at this commit.",
        "",
    ]

    out += ["## Data versions", ""]
    if line.stage is None:
        out += ["No dvc.lock stage produces this artifact at this commit.", ""]
    else:
        out += [f"Trained by stage {code(line.stage)} on (hashes from dvc.lock):", ""]
        rows = [
            [code(d.path), code(d.hash or "-"), escape(d.size if d.size is not None else "-")]
            for d in line.deps
        ]
        out += [table(["Dependency", "Hash", "Size"], rows, "llr") if rows else "No dependencies.", ""]

    out += ["## Registry history", ""]
    rows = []
    for e in artifact.events:
        v = artifact.version_of(e)
        if v is None or v.version != version.version:
            continue
        first = " ".join(e.message.split())  # one table row, whatever the message holds
        rows.append(
            [
                escape(e.timestamp),
                escape(EVENT_NAME[e.name.action]),
                escape(e.name.stage or ""),
                code(e.tag),
                escape(e.author),
                escape(first[:300]),
            ]
        )
    out += [table(["When", "Event", "Stage", "Tag", "By", "Message"], rows) if rows else "No events.", ""]
    return markdown_document("\n".join(out))  # the release body: checked whole, as the PR comment


def build(root: Path, spec_text: str, environ: Mapping[str, str]) -> str:
    """The card of a registry reference (NAME@vX.Y.Z, NAME@latest, NAME#STAGE), as Markdown."""
    from toolkit import compare
    from toolkit.config import load_config
    from toolkit.registry import artifacts, state, tags

    spec = tags.parse_spec(spec_text)
    if spec is None:
        raise RegistryError(f"`{spec_text}` is not NAME@vX.Y.Z, NAME@latest or NAME#STAGE.")
    reg = state.load(root, environ)
    version, _ = reg.resolve(spec)
    with git.ObjectReader(root) as reader:
        declared = artifacts.require(
            artifacts.at_commit(root, version.commit, reader), spec.artifact, version.commit[:7]
        )
        line = lineage(root, version.commit, declared, reader)
    at = compare.compare(root, version.commit, version.commit, environ=environ, config=load_config(root))
    metrics: dict[str, dict[str, Any]] = {}
    for e in at.metrics:
        metrics.setdefault(e.path, {})[e.key] = e.new
    params: dict[str, dict[str, Any]] = {}
    for e in at.params:
        params.setdefault(e.path, {})[e.key] = e.new
    return render(
        artifact=reg.artifacts[spec.artifact],
        version=version,
        declared=declared,
        line=line,
        metrics=metrics,
        params=params,
    )
