"""The registry's state, folded from its tags the way gto folds them: show, history, who holds a stage.

Registrations and deregistrations are read first, then stage tags: a stage tag points at a commit,
and its version is the version registered on that commit (or, when none is, the commit's full sha,
as gto reports it). A version holds a stage while its latest tag for that stage is an assignment;
when several do, the one assigned most recently is the stage's version (gto's default `show`).

"Most recently" is in registry order (`refs`): gto's tagger-date order, except that of one
artifact's tags a higher `#N` is never older than a lower one. Where a tag's date disagrees with
its counter (a clock off, or a date chosen to pin a stage), gto keeps the date order and the
toolkit does not: it reads what deploy.yml, started by the newest tag, delivers. `load` refuses
tags dated in the future (`trust`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import RegistryError
from toolkit.registry import tags
from toolkit.registry.refs import Event, Tags
from toolkit.registry.trust import Default

PRIORITY = {"deprecate": 2, "register": 3, "deregister": 4, "assign": 5, "unassign": 6}
EVENT_NAME = {
    "deprecate": "deprecation",
    "register": "registration",
    "deregister": "deregistration",
    "assign": "assignment",
    "unassign": "unassignment",
}


@dataclass
class Version:
    """One version of an artifact: a registered semver, or a commit only assigned to a stage."""

    artifact: str
    version: str  # vX.Y.Z, or the commit sha when it was never registered
    commit: str
    direct: list[Event] = field(default_factory=list)  # registrations and deregistrations
    stages: dict[str, list[Event]] = field(default_factory=dict)  # stage -> assign/unassign tags

    @property
    def registered(self) -> bool:
        """Explicitly registered (a `NAME@vX.Y.Z` tag exists)."""
        return any(e.name.action == "register" for e in self.direct)

    @property
    def active(self) -> bool:
        """Not deregistered (its latest registration tag is a registration)."""
        if self.direct:
            return self.direct[-1].name.action == "register"
        return any(self.stages.values())

    def holds(self, stage: str) -> Event | None:
        """The assignment by which this version holds `stage` now, or None."""
        events = self.stages.get(stage)
        if events and events[-1].name.action == "assign":
            return events[-1]
        return None


@dataclass
class Artifact:
    """Every version and event of one artifact name."""

    name: str
    versions: dict[str, Version] = field(default_factory=dict)  # by version name
    events: list[Event] = field(default_factory=list)  # every tag, oldest first
    deprecations: list[Event] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Not deprecated (its latest event is not a deprecation)."""
        return bool(self.events) and self.events[-1].name.action != "deprecate"

    def registered_versions(self) -> list[Version]:
        """Active registered versions, highest semver first."""
        found = [v for v in self.versions.values() if v.registered and v.active]
        return sorted(found, key=lambda v: tags.semver_key(v.version), reverse=True)

    def latest(self) -> Version | None:
        """The highest active registered version (by semver, not by time)."""
        found = self.registered_versions()
        return found[0] if found else None

    def find(self, version: str) -> Version | None:
        """The version named `version`, or None."""
        return self.versions.get(version)

    def at_commit(self, commit: str, *, active_only: bool = True) -> Version | None:
        """The registered version on `commit` (the highest when several), or None."""
        found = [
            v
            for v in self.versions.values()
            if v.commit == commit and v.registered and (v.active or not active_only)
        ]
        found.sort(key=lambda v: tags.semver_key(v.version), reverse=True)
        return found[0] if found else None

    def _holders(self) -> list[tuple[Event, Version, str]]:
        out = []
        for v in self.versions.values():
            if not v.active:
                continue
            for stage in v.stages:
                held = v.holds(stage)
                if held is not None:
                    out.append((held, v, stage))
        out.sort(key=lambda item: item[0].sort_key, reverse=True)
        return out

    def stages(self) -> set[str]:
        """Stages some version of this artifact holds."""
        return {stage for _, _, stage in self._holders()}

    def holder(self, stage: str) -> Version | None:
        """The version that holds `stage` now (assigned most recently among those holding it)."""
        for _, v, s in self._holders():
            if s == stage:
                return v
        return None

    def stage_history(self, stage: str) -> list[Version]:
        """The versions still in `stage`, oldest assignment first: what a rollback walks back through.

        A version enters at each assignment (moving to the end) and leaves at an unassignment,
        so one rolled back from (`NAME#STAGE!#N`) is never rolled back to until promoted again.
        These are the versions gto counts as assigned to the stage; the last active one holds it.
        """
        held: dict[str, Version] = {}
        for e in self.events:
            if e.name.stage != stage or e.name.action not in ("assign", "unassign"):
                continue
            v = self.version_of(e)
            if v is None:
                continue
            held.pop(v.version, None)
            if e.name.action == "assign":
                held[v.version] = v
        return list(held.values())

    def rollback_target(self, stage: str) -> Version | None:
        """The version a rollback of `stage` gives it to: the one before the holder in its history."""
        current = self.holder(stage)
        if current is None:
            return None
        for v in reversed(self.stage_history(stage)):
            if v.version != current.version and v.active:
                return v
        return None

    def former_holders(self, stage: str) -> list[Version]:
        """Every version other than the holder that was ever assigned `stage`, oldest first."""
        current = self.holder(stage)
        found: dict[str, Version] = {}
        for e in self.events:
            if e.name.action == "assign" and e.name.stage == stage:
                v = self.version_of(e)
                if v is not None and (current is None or v.version != current.version):
                    found.setdefault(v.version, v)
        return list(found.values())

    def version_of(self, event: Event) -> Version | None:
        """The version a tag is about."""
        if event.name.version is not None:
            return self.versions.get(event.name.version)
        return self.at_commit(event.commit, active_only=False) or self.versions.get(event.commit)


@dataclass
class Registry:
    """Every artifact that has registry tags, plus the per-artifact `#N` counters."""

    artifacts: dict[str, Artifact]
    counters: dict[str, int]
    tag_names: frozenset[str]
    default: Default = field(default_factory=lambda: Default(None, None))  # set by `load`

    def artifact(self, name: str) -> Artifact | None:
        """The artifact `name`, or None when it has no tags."""
        return self.artifacts.get(name)

    def next_counter(self, name: str) -> int:
        """The `N` of the artifact's next `#N` tag."""
        return self.counters.get(name, 0) + 1

    def stages(self) -> list[str]:
        """Every stage some artifact's version holds, sorted."""
        return sorted({s for a in self.artifacts.values() for s in a.stages()})

    def show(self, name: str | None = None) -> dict[str, Any]:
        """`gto show --json`: {NAME: {version, stage: {STAGE: VERSION or None}, registered, active}}."""
        stages = self.stages()
        out: dict[str, Any] = {}
        for artifact in self.artifacts.values():
            if not artifact.active or (name is not None and artifact.name != name):
                continue
            latest = artifact.latest()
            holders = {s: artifact.holder(s) for s in stages}
            out[artifact.name] = {
                "version": latest.version if latest else None,
                "stage": {s: (v.version if v else None) for s, v in holders.items()},
                "registered": True,
                "active": True,
            }
        return out

    def history(self, name: str | None = None) -> list[dict[str, Any]]:
        """`gto history --json`: every event, newest first."""
        rows = []
        for artifact in self.artifacts.values():
            if name is not None and artifact.name != name:
                continue
            for e in artifact.events:
                v = artifact.version_of(e)
                rows.append(
                    (
                        (e.rank, PRIORITY[e.name.action], e.sort_key),
                        {
                            "timestamp": e.timestamp,
                            "artifact": artifact.name,
                            "event": EVENT_NAME[e.name.action],
                            "priority": PRIORITY[e.name.action],
                            "version": None
                            if e.name.action == "deprecate"
                            else (v.version if v else e.commit),
                            "stage": e.name.stage,
                            "commit": e.commit,
                            "author": e.author,
                            "author_email": e.author_email,
                            "message": e.message,
                            "ref": e.tag,
                        },
                    )
                )
        rows.sort(key=lambda r: r[0], reverse=True)
        return [r[1] for r in rows]

    def resolve(self, spec: tags.Spec) -> tuple[Version, str]:
        """The version a NAME#STAGE / NAME@vX.Y.Z / NAME@latest names, and a label for it."""
        artifact = self.artifacts.get(spec.artifact)
        known = ", ".join(sorted(self.artifacts)) or "none yet"
        if artifact is None:
            raise RegistryError(
                f"`{spec.artifact}` has no registry tags (artifacts with tags: {known}); register a "
                f"version first with `toolkit model register {spec.artifact}`."
            )
        if spec.stage is not None:
            holder = artifact.holder(spec.stage)
            if holder is None:
                held = ", ".join(sorted(artifact.stages())) or "none"
                raise RegistryError(
                    f"no version of `{spec.artifact}` is in stage `{spec.stage}` (stages held: {held}); "
                    f"promote one with `toolkit model promote {spec.artifact} --version V "
                    f"--stage {spec.stage}`."
                )
            return holder, f"{spec.artifact}#{spec.stage}"
        if spec.version == "latest":
            latest = artifact.latest()
            if latest is None:
                raise RegistryError(f"`{spec.artifact}` has no registered version; register one first.")
            return latest, f"{spec.artifact}@{latest.version}"
        version = artifact.versions.get(spec.version or "")
        if version is None or not version.registered or not version.active:
            listed = ", ".join(v.version for v in artifact.registered_versions()) or "none"
            raise RegistryError(
                f"`{spec.artifact}` has no registered version {spec.version} (registered: {listed}); "
                "check the version or list them with `toolkit model show`."
            )
        return version, f"{spec.artifact}@{version.version}"


def build(found: Tags) -> Registry:
    """Fold the tags into the registry state."""
    artifacts: dict[str, Artifact] = {}

    def get(name: str) -> Artifact:
        return artifacts.setdefault(name, Artifact(name))

    for phase in (("deprecate",), ("register", "deregister"), ("assign", "unassign")):
        for e in found.events:
            if e.name.action not in phase:
                continue
            a = get(e.name.artifact)
            if e.name.action == "deprecate":
                a.deprecations.append(e)
            elif e.name.version is not None:
                v = a.versions.setdefault(e.name.version, Version(a.name, e.name.version, e.commit))
                v.direct.append(e)
            else:
                v = a.at_commit(e.commit, active_only=False) or a.versions.setdefault(
                    e.commit, Version(a.name, e.commit, e.commit)
                )
                assert e.name.stage is not None
                v.stages.setdefault(e.name.stage, []).append(e)
    for e in found.events:  # already oldest first
        get(e.name.artifact).events.append(e)
    return Registry(artifacts, dict(found.counters), found.names)


def load(root: Any, environ: Mapping[str, str] | None = None) -> Registry:
    """The registry state of the repository at root (one `git for-each-ref`), refusing future dates.

    `environ` (GitHub Actions' event payload) can name the default branch; see `trust`.
    """
    from toolkit.registry import refs, trust

    found = refs.read(root)
    default = trust.default_branch(found, environ)
    trust.check_dates(found, default)
    reg = build(found)
    reg.default = default
    return reg


def versions_text(versions: Iterable[Version]) -> str:
    """`v1.0.0, v1.1.0`."""
    return ", ".join(v.version for v in versions) or "none"
