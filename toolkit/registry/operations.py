"""The registry's write operations and look-ups, as plain functions the `toolkit model` command calls.

Each write checks everything first (names, versions, refs, declarations, reuse) and only then
creates its annotated tag(s); promotion and rollback are split into a plan (gates evaluated,
nothing written) and its application, so the command can print the gate table in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit import git, output
from toolkit.errors import RegistryError
from toolkit.registry import artifacts, promotion, state, tags, trust, write
from toolkit.registry.promotion import Evaluation
from toolkit.registry.refs import Event
from toolkit.registry.state import Artifact, Registry, Version


def load_artifact(reg: Registry, name: str) -> Artifact:
    """The artifact `name`, or an error naming the ones that have versions."""
    art = reg.artifact(name)
    if art is None:
        with_tags = ", ".join(f"`{n}`" for n in sorted(reg.artifacts)) or "none"
        raise RegistryError(
            f"{name} has no registered version (artifacts with versions: {with_tags}); register one "
            f"with `toolkit model register {name}`."
        )
    return art


def _require_declared(root: Path, name: str, sha: str, where: str) -> artifacts.Declared:
    with git.ObjectReader(root) as reader:
        return artifacts.require(artifacts.at_commit(root, sha, reader), name, where)


# -- register ------------------------------------------------------------------------------------


def register(
    root: Path, name: str, ref: str | None, version: str | None, bump: str | None, message: str | None
) -> tuple[str, str, str]:
    """Tag `NAME@vX.Y.Z` on REF (default HEAD); return (tag, version, commit)."""
    tags.check_name(name)
    if version:
        tags.check_version(version)
    sha = write.resolve_ref(root, ref)
    _require_declared(root, name, sha, f"{ref or 'HEAD'} ({sha[:7]})")
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
            raise RegistryError(f"--bump needs an earlier version of {name}; give --version vX.Y.Z.")
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
    return tag, version, sha


# -- promote / rollback --------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A stage change, checked and gated, not yet written."""

    registry: Registry
    name: str
    stage: str
    candidate: Version
    holder: Version | None
    evaluation: Evaluation


def _candidate(root: Path, art: Artifact, version: str | None, ref: str | None) -> Version:
    name = art.name
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
    at = art.at_commit(sha)
    if at is None:
        raise RegistryError(
            f"no version of {name} is registered on `{ref}` ({sha[:7]}); register it first with "
            f"`toolkit model register {name} {ref}`."
        )
    return at


def plan_promotion(
    root: Path,
    config: Any,
    name: str,
    stage: str,
    version: str | None,
    ref: str | None,
    environ: Mapping[str, str],
) -> Plan:
    """Check a promotion and evaluate its gates (nothing is written)."""
    tags.check_name(name)
    tags.check_stage(stage)
    reg = state.load(root, environ)
    art = load_artifact(reg, name)
    candidate = _candidate(root, art, version, ref)
    _require_declared(root, name, candidate.commit, f"{name}@{candidate.version}")
    holder = art.holder(stage)
    if holder is not None and holder.version == candidate.version:
        raise RegistryError(f"{name} {candidate.version} is already in stage {stage}; nothing to do.")
    evaluation = promotion.evaluate(root, config, stage, name, candidate, holder, environ)
    return Plan(reg, name, stage, candidate, holder, evaluation)


def apply_promotion(root: Path, plan: Plan, reason: str | None) -> str:
    """Write the stage tag of `plan` (the caller decided about failed gates); return its name."""
    failed = plan.evaluation.failed
    v = plan.candidate.version
    lines = [f"Assigning stage {plan.stage} to artifact {plan.name} version {v}", ""]
    lines.append(f"Previous holder: {plan.holder.version if plan.holder else 'none'}")
    if failed:
        lines += ["", f"Forced: {' '.join((reason or '').split())}", "Failed gates:"]
        lines += promotion.failure_lines(failed)
    elif plan.evaluation.results:
        lines.append(f"Gates: all {len(plan.evaluation.results)} passed")
        if reason:
            lines.append(f"Reason: {' '.join(reason.split())}")
    tag = tags.assign_tag(plan.name, plan.stage, plan.registry.next_counter(plan.name))
    write.create(root, tag, plan.candidate.commit, "\n".join(lines), plan.registry.tag_names)
    _verify(root, plan, [tag])
    return tag


def _verify(root: Path, plan: Plan, written: list[str]) -> None:
    """Re-read the registry: unless the stage now is the plan's version, delete what was written and fail."""
    quoted = ", ".join(f"`{t}`" for t in written)
    try:
        art = state.load(root).artifact(plan.name)
    except RegistryError as exc:
        write.delete(root, written)
        raise RegistryError(
            f"{quoted} could not be read back, so {'it was' if len(written) == 1 else 'they were'} "
            f"deleted again (nothing to push): {exc.message}"
        ) from None
    holder = art.holder(plan.stage) if art is not None else None
    if holder is not None and holder.version == plan.candidate.version:
        return
    write.delete(root, written)
    held = holder.holds(plan.stage) if holder is not None else None
    now = f"{holder.version} (by `{held.tag}`, dated {held.timestamp})" if holder and held else "no version"
    raise RegistryError(
        f"after writing {quoted} the registry gives {plan.name} stage {plan.stage} to {now}, not "
        f"{plan.candidate.version}, so {'it was' if len(written) == 1 else 'they were'} deleted again "
        "(nothing to push): tags without `#N` are "
        f"ordered by their dates alone. Check them with `toolkit model history {plan.name}`, and this "
        "machine's clock (and GIT_COMMITTER_DATE)."
    )


def plan_rollback(root: Path, config: Any, name: str, stage: str, environ: Mapping[str, str]) -> Plan:
    """The rollback of `stage` one step back through its history, gated for the record (nothing is written).

    The target is the version that held the stage before the current holder and was not rolled
    back from since (see `Artifact.stage_history`): v3 -> v2 -> v1, never back to v3.
    """
    tags.check_name(name)
    tags.check_stage(stage)
    reg = state.load(root, environ)
    art = load_artifact(reg, name)
    current = art.holder(stage)
    if current is None:
        raise RegistryError(f"no version of {name} is in stage {stage}, so there is nothing to roll back.")
    previous = art.rollback_target(stage)
    if previous is None:
        former = art.former_holders(stage)
        why = (
            f"{current.version} is the only version that has held it"
            if not former
            else f"the versions that held it before {current.version} ({state.versions_text(former)}) "
            "were rolled back from, unassigned or deregistered"
        )
        raise RegistryError(
            f"nothing left to roll back to in stage {stage}: {why}, so there is no earlier version of "
            f"{name} to give it to; promote one with `toolkit model promote {name} --version V "
            f"--stage {stage}`."
        )
    evaluation = promotion.evaluate(root, config, stage, name, previous, current, environ)
    return Plan(reg, name, stage, previous, current, evaluation)


def apply_rollback(root: Path, plan: Plan, reason: str | None) -> tuple[str, str]:
    """Unassign the current holder and assign the previous one; return both tag names."""
    assert plan.holder is not None
    current, previous = plan.holder, plan.candidate
    why = f"Reason: {' '.join(reason.split())}" if reason else "Reason: rollback"
    n = plan.registry.next_counter(plan.name)
    off = tags.assign_tag(plan.name, plan.stage, n, cancel=True)
    on = tags.assign_tag(plan.name, plan.stage, n + 1)
    off_text = [
        f"Unassigning stage {plan.stage} from artifact {plan.name} version {current.version}",
        "",
        f"Rollback to {previous.version}",
        why,
    ]
    on_text = [
        f"Assigning stage {plan.stage} to artifact {plan.name} version {previous.version}",
        "",
        f"Rollback from {current.version}",
        why,
    ]
    if plan.evaluation.failed:
        on_text.append("Failed gates (a rollback is forced by nature):")
        on_text += promotion.failure_lines(plan.evaluation.failed)
    write.create(root, off, current.commit, "\n".join(off_text), plan.registry.tag_names)
    try:
        write.create(root, on, previous.commit, "\n".join(on_text), plan.registry.tag_names | {off})
    except RegistryError:
        write.delete(root, [off])
        raise
    _verify(root, plan, [off, on])
    return off, on


# -- describe ------------------------------------------------------------------------------------


def find_tag(
    root: Path, ref: str, environ: Mapping[str, str]
) -> tuple[Registry, Artifact, Event, tags.TagName]:
    """The registry event of the tag `ref` (`NAME...` or `refs/tags/NAME...`), on a reviewed commit.

    A tag on a commit the default branch does not hold is refused (see `trust`), unless toolkit.yaml
    on the default branch allows such commits: then it is a warning.
    """
    tag = ref.removeprefix("refs/tags/")
    parsed = tags.parse(tag)
    if parsed is None:
        raise RegistryError(
            f"`{ref}` is not a registry tag; expected NAME@vX.Y.Z or NAME#STAGE#N "
            "(optionally as refs/tags/...)."
        )
    reg = state.load(root, environ)
    art = reg.artifact(parsed.artifact)
    event = next((e for e in art.events if e.tag == tag), None) if art else None
    if art is None or event is None:
        raise RegistryError(
            f"there is no annotated tag `{tag}` in {root}; fetch the tags (`git fetch --tags`, or "
            "`fetch-depth: 0` in actions/checkout) or check the name."
        )
    warning = trust.require_reviewed(root, reg.default, event)
    if warning is not None:
        output.warn(warning)
    return reg, art, event, parsed


def describe(root: Path, ref: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """What a registry tag means, in `gto check-ref --json`'s fields plus name, commit and path."""
    _, art, event, parsed = find_tag(root, ref, environ)
    version = art.version_of(event)
    with git.ObjectReader(root) as reader:
        declared = artifacts.at_commit(root, event.commit, reader).get(parsed.artifact)
    data: dict[str, Any] = {
        "artifact": parsed.artifact,
        "created_at": event.timestamp,
        "author": event.author,
        "author_email": event.author_email,
        "message": event.message,
        "commit_hexsha": event.commit,
        "tag": event.tag,
        "version": version.version if version else event.commit,
    }
    if parsed.stage is not None:
        data["stage"] = parsed.stage
    data["event"] = state.EVENT_NAME[parsed.action]
    data.update(name=parsed.artifact, commit=event.commit, path=declared.path if declared else None)
    return data
