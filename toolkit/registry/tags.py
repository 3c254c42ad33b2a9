"""The GTO tag format: parse and format registry tag names, check names and semantic versions.

The format (as `gto` 1.x writes and reads it; `gto` is the reference in the tests):

- artifact name: ``[a-zA-Z0-9]`` optionally followed by ``[a-zA-Z0-9-/_]*`` ending in
  ``[a-zA-Z0-9]``; an artifact declared in ``sub/dir/dvc.yaml`` is ``sub/dir:NAME``, written
  ``sub/dir=NAME`` inside a tag (``:`` cannot appear in a git tag name).
- ``NAME@vX.Y.Z`` registers version ``vX.Y.Z`` (full semver: prerelease and build allowed) on the
  tagged commit; ``NAME@vX.Y.Z!#N`` deregisters it.
- ``NAME#STAGE#N`` assigns STAGE (same rule as a name) to the version at the tagged commit;
  ``NAME#STAGE!#N`` unassigns it. ``NAME@deprecated#N`` deprecates the whole artifact.
- ``N`` is one counter per artifact over all its tags that carry one: the next tag gets the highest
  ``N`` seen plus one. Without ``#N`` (gto's "simple" notation) a tag can exist only once.
- Only annotated tags count; their tagger date orders the events (latest wins), and the message is
  free text (who, why, gate results).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from toolkit.errors import RegistryError

Action = Literal["register", "deregister", "assign", "unassign", "deprecate"]

_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9\-/_]*[a-zA-Z0-9])?"
_DIR = r"[a-zA-Z0-9\-_./]+"
SEMVER = (
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_NAME_RE = re.compile(f"^{_NAME}$")
_FULLNAME_RE = re.compile(f"^(?:{_DIR}:)?{_NAME}$")
_VERSION_RE = re.compile(f"^v{SEMVER}$")
_TAG_RE = re.compile(
    rf"^(?P<artifact>(?:{_DIR}=)?{_NAME})"
    rf"(?:(?:#(?P<stage>{_NAME})|@(?P<version>v{SEMVER}))(?P<cancel>!?)|@(?P<deprecated>deprecated))"
    r"(?:#(?P<counter>[0-9]+))?$"
)
# What `--base`/`--head` and the commands accept: NAME#STAGE, NAME@vX.Y.Z, NAME@latest.
_SPEC_RE = re.compile(
    rf"^(?P<artifact>(?:{_DIR}:)?{_NAME})(?:#(?P<stage>{_NAME})|@(?P<version>latest|v{SEMVER}))$"
)


@dataclass(frozen=True)
class TagName:
    """What a registry tag's name says."""

    artifact: str  # with `:` (the tag writes `=`)
    action: Action
    version: str | None = None
    stage: str | None = None
    counter: int | None = None


@dataclass(frozen=True)
class Spec:
    """A reference to a registry entry: NAME#STAGE, NAME@vX.Y.Z or NAME@latest."""

    artifact: str
    stage: str | None = None
    version: str | None = None  # "latest" or a version


def parse(tag: str) -> TagName | None:
    """The parts of a registry tag name, or None when `tag` is not in the GTO format."""
    m = _TAG_RE.match(tag)
    if m is None:
        return None
    artifact = m["artifact"].replace("=", ":")
    counter = int(m["counter"]) if m["counter"] else None
    if m["deprecated"]:
        return TagName(artifact, "deprecate", counter=counter)
    cancel = m["cancel"] == "!"
    if m["version"]:
        return TagName(
            artifact, "deregister" if cancel else "register", version=m["version"], counter=counter
        )
    return TagName(artifact, "unassign" if cancel else "assign", stage=m["stage"], counter=counter)


def parse_spec(text: str) -> Spec | None:
    """NAME#STAGE / NAME@vX.Y.Z / NAME@latest, or None when `text` is none of them."""
    m = _SPEC_RE.match(text)
    if m is None:
        return None
    return Spec(m["artifact"], stage=m["stage"], version=m["version"])


def in_tag(artifact: str) -> str:
    """The artifact name as a tag writes it (`:` becomes `=`)."""
    return artifact.replace(":", "=")


def register_tag(artifact: str, version: str) -> str:
    """`NAME@vX.Y.Z`."""
    return f"{in_tag(artifact)}@{version}"


def assign_tag(artifact: str, stage: str, counter: int, *, cancel: bool = False) -> str:
    """`NAME#STAGE#N` (or `NAME#STAGE!#N` with cancel)."""
    return f"{in_tag(artifact)}#{stage}{'!' if cancel else ''}#{counter}"


def check_name(name: str) -> None:
    """Refuse an artifact name gto could not read."""
    if not _FULLNAME_RE.match(name):
        raise RegistryError(
            f"{name!r} is not a valid artifact name: use letters, digits, '-', '_' and '/', starting "
            "and ending with a letter or digit (`dir:NAME` for one declared in dir/dvc.yaml)."
        )


def is_name(text: str) -> bool:
    """True for a valid stage (or plain artifact) name."""
    return _NAME_RE.match(text) is not None


def check_stage(stage: str) -> None:
    """Refuse a stage name gto could not read."""
    if not _NAME_RE.match(stage):
        raise RegistryError(
            f"{stage!r} is not a valid stage name: use letters, digits, '-', '_' and '/', starting "
            "and ending with a letter or digit (e.g. prod, staging)."
        )


def check_version(version: str) -> str:
    """`version` if it is `v` + semantic version (v1.2.0, v1.0.0-rc.1), else a ToolkitError."""
    if not _VERSION_RE.match(version):
        hint = f" (did you mean v{version}?)" if _VERSION_RE.match("v" + version) else ""
        raise RegistryError(
            f"{version!r} is not a semantic version{hint}; write it as vMAJOR.MINOR.PATCH, e.g. v1.2.0."
        )
    return version


def semver_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """A sort key giving semver precedence (a release sorts after its prereleases; build ignored)."""
    m = _VERSION_RE.match(version)
    if m is None:
        return (-1, -1, -1, -1, ())
    pre = m["pre"]
    idents: tuple[tuple[int, int | str], ...] = ()
    if pre:
        # Numeric identifiers sort before alphanumeric ones and compare as numbers.
        idents = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return (int(m["major"]), int(m["minor"]), int(m["patch"]), 0 if pre else 1, idents)


def is_version(text: str) -> bool:
    """True for `v` + a semantic version."""
    return _VERSION_RE.match(text) is not None


def bump(version: str | None, part: str) -> str:
    """The next version: v0.0.1 when there is none, else `part` (major|minor|patch) bumped."""
    if version is None:
        return "v0.0.1"
    m = _VERSION_RE.match(version)
    if m is None:  # pragma: no cover - callers pass registered (checked) versions
        raise RegistryError(f"cannot bump {version!r}: it is not a semantic version.")
    major, minor, patch = int(m["major"]), int(m["minor"]), int(m["patch"])
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"
