"""`toolkit model ...`: the model registry (GTO tags), gated promotion, model card and delivery."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from toolkit import output
from toolkit.errors import RegistryError

EXIT_GATE_FAILED = 3


def run(*, action: str, environ: Mapping[str, str], cwd: Path, **kwargs: Any) -> int:
    """Run `toolkit model ACTION`; return the exit code."""
    handler = _ACTIONS[action]
    return handler(environ=environ, cwd=cwd, **kwargs)


def _root(cwd: Path) -> Path:
    from toolkit.git import find_root

    return find_root(cwd)


# -- register ------------------------------------------------------------------------------------


def register(
    *,
    name: str,
    ref: str | None,
    version: str | None,
    bump: str | None,
    message: str | None,
    push: bool,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Tag `NAME@vX.Y.Z` on REF (default HEAD)."""
    from toolkit.git import ObjectReader
    from toolkit.registry import artifacts, state, tags, write

    if version and bump:
        raise click.UsageError("give either --version or --bump, not both.")
    tags.check_name(name)
    if version:
        tags.check_version(version)
    root = _root(cwd)
    sha = write.resolve_ref(root, ref)
    with ObjectReader(root) as reader:
        artifacts.require(artifacts.at_commit(root, sha, reader), name, f"{ref or 'HEAD'} ({sha[:7]})")
    reg = state.load(root)
    art = reg.artifact(name)
    if art is not None:
        here = art.at_commit(sha)
        if here is not None:
            raise RegistryError(
                f"commit {sha[:7]} is already registered as {name} {here.version}; a commit gets one "
                "version: commit the new model first, then register that commit."
            )
    if version is None:
        latest = art.latest() if art is not None else None
        if latest is None and bump:
            raise click.UsageError(f"--bump needs an earlier version of {name}; give --version vX.Y.Z.")
        version = tags.bump(latest.version if latest else None, bump or "patch")
    if art is not None and art.find(version) is not None:
        listed = ", ".join(sorted(art.versions, key=tags.semver_key))
        raise RegistryError(
            f"{name} {version} exists already (versions: {listed}); versions are never reused: "
            "pick a new one (--bump patch|minor|major)."
        )
    tag = tags.register_tag(name, version)
    text = f"Registering artifact {name} version {version}"
    if message:
        text += "\n\n" + message
    write.create(root, tag, sha, text, reg.tag_names)
    output.write_line(f"Registered {name} {version} on {sha[:7]}: tag {tag}")
    if push:
        write.push(root, [tag])
        output.info(f"Pushed {tag} to origin.")
    return 0


# -- promote / rollback --------------------------------------------------------------------------


def _candidate(root: Path, art: Any, name: str, version: str | None, ref: str | None) -> Any:
    from toolkit.registry import tags, write

    if version is not None:
        tags.check_version(version)
        found = art.find(version)
        if found is None or not found.registered or not found.active:
            listed = ", ".join(v.version for v in art.registered_versions()) or "none"
            raise RegistryError(
                f"{name} has no registered version {version} (registered: {listed}); "
                f"register it first with `toolkit model register {name} REF --version {version}`."
            )
        return found
    assert ref is not None
    sha = write.resolve_ref(root, ref)
    found = art.at_commit(sha)
    if found is None:
        raise RegistryError(
            f"no version of {name} is registered on `{ref}` ({sha[:7]}); register it first with "
            f"`toolkit model register {name} {ref}`."
        )
    return found


def _print_gates(evaluation: Any, stage: str, base_label: str | None, head_label: str) -> None:
    from toolkit.commands.gates import format_table

    if not evaluation.results:
        output.write_line(f"No gates apply to stage {stage} (toolkit.yaml `gates:` / `promotion:`).")
        return
    against = f"against {base_label}" if base_label else "(no version holds it yet: absolute rules only)"
    output.write_line(f"Gates for {head_label} -> {stage} {against}:")
    output.write_line(format_table(evaluation.results))
    for r in evaluation.failed:
        output.write_line(f"FAIL: {' '.join(r.reason.split())} (toolkit.yaml line {r.line})")


def promote(
    *,
    name: str,
    version: str | None,
    ref: str | None,
    stage: str,
    force: bool,
    reason: str | None,
    push: bool,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Assign STAGE to a registered version when the gates pass (or --force --reason)."""
    from toolkit.config import load_config
    from toolkit.git import ObjectReader
    from toolkit.registry import artifacts, promotion, state, tags, write

    if (version is None) == (ref is None):
        raise click.UsageError("give exactly one of --version V or --ref REF.")
    if force and not (reason and reason.strip()):
        raise click.UsageError("--force needs --reason TEXT: it is recorded in the tag message.")
    tags.check_name(name)
    tags.check_stage(stage)
    root = _root(cwd)
    reg = state.load(root)
    art = _artifact(root, reg, name)
    candidate = _candidate(root, art, name, version, ref)
    with ObjectReader(root) as reader:
        artifacts.require(
            artifacts.at_commit(root, candidate.commit, reader), name, f"{name}@{candidate.version}"
        )
    holder = art.holder(stage)
    if holder is not None and holder.version == candidate.version:
        raise RegistryError(f"{name} {candidate.version} is already in stage {stage}; nothing to do.")
    evaluation = promotion.evaluate(root, load_config(root), stage, name, candidate, holder, environ)
    _print_gates(
        evaluation,
        stage,
        f"{name} {holder.version} (holds {stage})" if holder else None,
        f"{name} {candidate.version}",
    )
    failed = evaluation.failed
    if failed and not force:
        output.write_line(
            f"Not promoted: {len(failed)} gate(s) failed. Fix the model, or override with "
            "--force --reason TEXT (recorded in the tag)."
        )
        return EXIT_GATE_FAILED
    lines = [f"Assigning stage {stage} to artifact {name} version {candidate.version}", ""]
    lines.append(f"Previous holder: {holder.version if holder else 'none'}")
    if failed:
        lines += ["", f"Forced: {' '.join((reason or '').split())}", "Failed gates:"]
        lines += promotion.failure_lines(failed)
    elif evaluation.results:
        lines.append(f"Gates: all {len(evaluation.results)} passed")
        if reason:
            lines.append(f"Reason: {' '.join(reason.split())}")
    tag = tags.assign_tag(name, stage, reg.next_counter(name))
    write.create(root, tag, candidate.commit, "\n".join(lines), reg.tag_names)
    forced = " (forced past failed gates)" if failed else ""
    output.write_line(f"Promoted {name} {candidate.version} to {stage}{forced}: tag {tag}")
    if push:
        write.push(root, [tag])
        output.info(f"Pushed {tag} to origin.")
    return 0


def rollback(
    *, name: str, stage: str, reason: str | None, push: bool, environ: Mapping[str, str], cwd: Path
) -> int:
    """Give STAGE back to the version that held it before the current one."""
    from toolkit.config import load_config
    from toolkit.registry import promotion, state, tags, write

    tags.check_name(name)
    tags.check_stage(stage)
    root = _root(cwd)
    reg = state.load(root)
    art = _artifact(root, reg, name)
    current = art.holder(stage)
    if current is None:
        raise RegistryError(f"no version of {name} is in stage {stage}, so there is nothing to roll back.")
    previous = art.previous_holder(stage)
    if previous is None:
        raise RegistryError(
            f"{name} {current.version} is the only version that has held stage {stage}; there is no "
            "earlier version to roll back to (promote one with `toolkit model promote`)."
        )
    evaluation = promotion.evaluate(root, load_config(root), stage, name, previous, current, environ)
    _print_gates(evaluation, stage, f"{name} {current.version} (holds {stage})", f"{name} {previous.version}")
    why = f"Reason: {' '.join(reason.split())}" if reason else "Reason: rollback"
    n = reg.next_counter(name)
    off = tags.assign_tag(name, stage, n, cancel=True)
    on = tags.assign_tag(name, stage, n + 1)
    off_text = [
        f"Unassigning stage {stage} from artifact {name} version {current.version}",
        "",
        f"Rollback to {previous.version}",
        why,
    ]
    on_text = [
        f"Assigning stage {stage} to artifact {name} version {previous.version}",
        "",
        f"Rollback from {current.version}",
        why,
    ]
    if evaluation.failed:
        on_text += [
            "Failed gates (a rollback is forced by nature):",
            *promotion.failure_lines(evaluation.failed),
        ]
    write.create(root, off, current.commit, "\n".join(off_text), reg.tag_names)
    write.create(root, on, previous.commit, "\n".join(on_text), reg.tag_names | {off})
    output.write_line(
        f"Rolled back {name} {stage}: {current.version} -> {previous.version} (tags {off}, {on})"
    )
    if push:
        write.push(root, [off, on])
        output.info(f"Pushed {off} and {on} to origin.")
    return 0


def _artifact(root: Path, reg: Any, name: str) -> Any:
    art = reg.artifact(name)
    if art is None:
        with_tags = ", ".join(f"`{n}`" for n in sorted(reg.artifacts)) or "none"
        raise RegistryError(
            f"{name} has no registered version (artifacts with versions: {with_tags}); register one "
            f"with `toolkit model register {name}`."
        )
    return art


# -- show / history / describe -------------------------------------------------------------------


def show(*, name: str | None, as_json: bool, environ: Mapping[str, str], cwd: Path) -> int:
    """The registry: latest version and stage holders of every artifact (gto show --json shape)."""
    from toolkit.registry import state, tags

    if name is not None:
        tags.check_name(name)
    reg = state.load(_root(cwd))
    data = reg.show(name)
    if name is not None and name not in data:
        _artifact(_root(cwd), reg, name)  # raises: no tags (or deprecated: shown as none)
    if as_json:
        output.write_line(json.dumps(data, indent=4))
        return 0
    if not data:
        output.write_line("No registered models yet; register one with `toolkit model register NAME`.")
        return 0
    stages = reg.stages()
    rows = [["name", "latest", *(f"#{s}" for s in stages)]]
    for n, d in sorted(data.items()):
        rows.append([n, d["version"] or "-", *(d["stage"][s] or "-" for s in stages)])
    output.write_line(_columns(rows))
    return 0


def history(*, name: str, as_json: bool, environ: Mapping[str, str], cwd: Path) -> int:
    """Every registry event of NAME, newest first (gto history --json fields)."""
    from toolkit.registry import state, tags

    tags.check_name(name)
    root = _root(cwd)
    reg = state.load(root)
    _artifact(root, reg, name)
    events = reg.history(name)
    if as_json:
        output.write_line(json.dumps(events, indent=4))
        return 0
    rows = [["timestamp", "event", "version", "stage", "commit", "ref"]]
    for e in events:
        rows.append(
            [e["timestamp"], e["event"], e["version"] or "-", e["stage"] or "-", e["commit"][:7], e["ref"]]
        )
    output.write_line(_columns(rows))
    return 0


def describe(*, ref: str, as_json: bool, environ: Mapping[str, str], cwd: Path) -> int:
    """What a registry tag means: artifact, version, stage, event, commit (gto check-ref shape)."""
    from toolkit import actions
    from toolkit.git import ObjectReader
    from toolkit.registry import artifacts, state, tags

    tag = ref.removeprefix("refs/tags/")
    parsed = tags.parse(tag)
    if parsed is None:
        raise RegistryError(
            f"`{ref}` is not a registry tag; expected NAME@vX.Y.Z or NAME#STAGE#N "
            "(optionally as refs/tags/...)."
        )
    root = _root(cwd)
    reg = state.load(root)
    art = reg.artifact(parsed.artifact)
    event = next((e for e in art.events if e.tag == tag), None) if art else None
    if art is None or event is None:
        raise RegistryError(
            f"there is no annotated tag `{tag}` in {root}; fetch the tags (`git fetch --tags`) "
            "or check the name."
        )
    version = art.version_of(event)
    with ObjectReader(root) as reader:
        declared = artifacts.at_commit(root, event.commit, reader).get(parsed.artifact)
    data: dict[str, Any] = {
        "artifact": parsed.artifact,
        "created_at": event.timestamp,
        "author": event.author,
        "author_email": event.author_email,
        "message": event.message,
        "commit_hexsha": event.commit,
        "tag": tag,
        "version": version.version if version else event.commit,
    }
    if parsed.stage is not None:
        data["stage"] = parsed.stage
    data["event"] = state.EVENT_NAME[parsed.action]
    data.update(name=parsed.artifact, commit=event.commit, path=declared.path if declared else None)
    if environ.get("GITHUB_OUTPUT"):
        actions.set_outputs(
            environ,
            {k: data.get(k) or "" for k in ("name", "version", "stage", "event", "commit", "tag", "path")},
        )
    if as_json:
        output.write_line(json.dumps(data, indent=4))
    else:
        stage = f" stage {parsed.stage}" if parsed.stage else ""
        output.write_line(
            f"{tag}: {data['event']} of {parsed.artifact} {data['version']}{stage} at {event.commit[:7]}"
        )
    return 0


def _columns(rows: list[list[str]]) -> str:
    from toolkit.commands.diff import _one_line

    rows = [[_one_line(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


# -- card ----------------------------------------------------------------------------------------


def card(*, spec: str, output_file: Path | None, environ: Mapping[str, str], cwd: Path) -> int:
    """Write the model card of NAME@VERSION (or NAME#STAGE, NAME@latest) as Markdown."""
    root = _root(cwd)
    text = render_card(root, spec, environ)
    if output_file is None:
        output.write(text)
    else:
        try:
            output_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise RegistryError(
                f"cannot write the model card to {output_file}: {exc.strerror or exc}."
            ) from None
        output.info(f"Wrote the model card of {spec} to {output_file}")
    return 0


def render_card(root: Path, spec_text: str, environ: Mapping[str, str]) -> str:
    """The card of a registry reference, as Markdown."""
    from toolkit import compare
    from toolkit.config import load_config
    from toolkit.git import ObjectReader
    from toolkit.registry import artifacts, card, state, tags

    spec = tags.parse_spec(spec_text)
    if spec is None:
        raise RegistryError(f"`{spec_text}` is not NAME@vX.Y.Z, NAME@latest or NAME#STAGE.")
    reg = state.load(root)
    version, _ = reg.resolve(spec)
    art = reg.artifacts[spec.artifact]
    with ObjectReader(root) as reader:
        declared = artifacts.require(
            artifacts.at_commit(root, version.commit, reader), spec.artifact, f"{version.commit[:7]}"
        )
        line = card.lineage(root, version.commit, declared, reader)
    comparison = compare.compare(
        root, version.commit, version.commit, environ=environ, config=load_config(root)
    )
    metrics: dict[str, dict[str, Any]] = {}
    for e in comparison.metrics:
        metrics.setdefault(e.path, {})[e.key] = e.new
    params: dict[str, dict[str, Any]] = {}
    for e in comparison.params:
        params.setdefault(e.path, {})[e.key] = e.new
    return card.render(
        artifact=art, version=version, declared=declared, line=line, metrics=metrics, params=params
    )


def deliver(*, ref: str, environ: Mapping[str, str], cwd: Path) -> int:
    """Publish a stage tag: release NAME@VERSION with the model, its sha256 and card; a deployment."""
    import toolkit.registry.deliver as delivery

    root = _root(cwd)
    result = delivery.deliver(root, ref, environ, card=lambda spec: render_card(root, spec, environ))
    output.write_line(result)
    return 0


_ACTIONS: dict[str, Any] = {
    "register": register,
    "promote": promote,
    "rollback": rollback,
    "show": show,
    "history": history,
    "describe": describe,
    "card": card,
    "deliver": deliver,
}
