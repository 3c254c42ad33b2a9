"""The pip requirement a generated project installs the toolkit with.

A scaffolded project's workflows run `pip install -r requirements.txt` on a GitHub runner, so the
toolkit line must name something a runner can install. By default it reproduces the running install,
read from the distribution's PEP 610 `direct_url.json`
(https://packaging.python.org/en/latest/specifications/direct-url/):

- no `direct_url.json`: installed from an index, so `mlops-toolkit==VERSION`;
- `vcs_info`: `mlops-toolkit @ git+URL@COMMIT` (the exact commit, never a moving branch);
- `archive_info` at an http(s) URL: `mlops-toolkit @ URL` (with its hash when pip recorded one);
- a local folder, an editable install or a local archive: a runner cannot reach your disk, so the
  version pin, with a warning that names `--toolkit-requirement`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlsplit

from toolkit import __version__
from toolkit.errors import ToolkitError

DISTRIBUTION = "mlops-toolkit"
OPTION = "--toolkit-requirement"
# PEP 508 names compare after this normalisation (PEP 503).
_NORMALISE = re.compile(r"[-_.]+")


@dataclass(frozen=True)
class Requirement:
    """The requirement line for the toolkit, where it came from, and a warning when it is a guess."""

    spec: str
    source: str  # "index", "vcs", "url", "local" or "given"
    warning: str | None = None


def _normalised(name: str) -> str:
    return _NORMALISE.sub("-", name).lower()


def names_toolkit(line: str) -> bool:
    """True when a requirements-file line installs mlops-toolkit (any version or URL)."""
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith(("#", "-")):
        return False
    try:
        return _normalised(Parsed(text).name) == DISTRIBUTION
    except InvalidRequirement:
        return False


def validate(spec: str) -> Requirement:
    """A user-given `--toolkit-requirement`: one PEP 508 requirement naming mlops-toolkit."""
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    text = spec.strip()
    if not text or any(ch in text for ch in "\r\n\0"):
        raise ToolkitError(
            f"{OPTION} must be one requirement on one line, such as "
            f"'{DISTRIBUTION}==1.2.0' or '{DISTRIBUTION} @ git+https://github.com/OWNER/REPO@COMMIT'."
        )
    try:
        parsed = Parsed(text)
    except InvalidRequirement as exc:
        raise ToolkitError(
            f"{OPTION} {text!r} is not a pip requirement ({exc}); write it as "
            f"'{DISTRIBUTION}==1.2.0' or '{DISTRIBUTION} @ URL'."
        ) from None
    if _normalised(parsed.name) != DISTRIBUTION:
        raise ToolkitError(
            f"{OPTION} {text!r} names {parsed.name!r}; it must install {DISTRIBUTION} "
            f"(for example '{DISTRIBUTION} @ git+https://github.com/OWNER/REPO@COMMIT')."
        )
    return Requirement(text, "given")


def from_direct_url(direct_url: str | None, version: str = __version__) -> Requirement:
    """The requirement for an install described by a `direct_url.json` text (None: from an index)."""
    pinned = f"{DISTRIBUTION}=={version}"
    if direct_url is None:
        return Requirement(pinned, "index")
    try:
        data = json.loads(direct_url)
        url = data["url"]
        if not isinstance(url, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        unreadable = "its install record (direct_url.json) is unreadable"
        return Requirement(pinned, "index", _warning(pinned, unreadable))
    scheme = urlsplit(url).scheme
    vcs = data.get("vcs_info")
    subdirectory = data.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if isinstance(subdirectory, str) and subdirectory else ""
    if isinstance(vcs, dict) and isinstance(vcs.get("commit_id"), str):
        if url.startswith("file:///"):
            # The same repository; pip before 23.3 rejects `git+file:///path` as a URL without a
            # host, and git reads `file://localhost/path` as `file:///path`.
            url = "file://localhost/" + url.removeprefix("file:///")
        spec = f"{DISTRIBUTION} @ {vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}{fragment}"
        if scheme == "file":
            return Requirement(spec, "vcs", _warning(spec, f"{url} is a repository on this machine"))
        return Requirement(spec, "vcs")
    archive = data.get("archive_info")
    if isinstance(archive, dict) and scheme in ("http", "https"):
        hashes = archive.get("hashes")
        digest = ""
        if isinstance(hashes, dict) and isinstance(hashes.get("sha256"), str):
            digest = f"#sha256={hashes['sha256']}"
        return Requirement(f"{DISTRIBUTION} @ {url}{digest or fragment}", "url")
    what = "an editable install" if (data.get("dir_info") or {}).get("editable") else "a local path"
    return Requirement(pinned, "local", _warning(pinned, f"it was installed from {what} ({url})"))


def _warning(spec: str, why: str) -> str:
    return (
        f"requirements.txt installs the toolkit as '{spec}', but {why}, which a GitHub runner "
        f"cannot install from; pass {OPTION} (for example "
        f"'{DISTRIBUTION} @ git+https://github.com/OWNER/REPO@COMMIT') or edit requirements.txt."
    )


def current() -> Requirement:
    """The requirement that reproduces the running install of the toolkit."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pinned = f"{DISTRIBUTION}=={__version__}"
        return Requirement(pinned, "local", _warning(pinned, "the toolkit runs from a source tree"))
    return from_direct_url(dist.read_text("direct_url.json"), dist.version)


def resolve(spec: str | None) -> Requirement:
    """`--toolkit-requirement` when given, else the running install's requirement."""
    return validate(spec) if spec is not None else current()
