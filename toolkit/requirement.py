"""The pip requirement a generated project installs the toolkit with.

A scaffolded project's workflows run `pip install -r requirements.txt` on a GitHub runner, so the
toolkit line must name something a runner can install. By default it reproduces the running install,
read from the distribution's PEP 610 `direct_url.json`
(https://packaging.python.org/en/latest/specifications/direct-url/):

- no `direct_url.json`: installed from an index, so `mlops-toolkit==VERSION`;
- `vcs_info`: `mlops-toolkit @ git+URL@COMMIT` (the exact commit, never a moving branch);
- `archive_info` at an http(s) URL: `mlops-toolkit @ URL` (with its hash when pip recorded one);
- a local folder or an editable install that is a git checkout whose `origin` a runner can reach
  (https, ssh, git://): `mlops-toolkit @ git+ORIGIN@HEAD`, warning when that commit is on none of
  origin's branches as far as the local refs know (a runner could not fetch it) or when the
  checkout has uncommitted changes (the commit is not what runs here); a `git+file://` install
  of such a repository likewise;
- any other folder, or a local archive: a runner cannot reach your disk, so the version pin, with
  a warning that names `--toolkit-requirement`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
    source: str  # "index", "vcs", "url", "checkout", "local" or "given"
    warning: str | None = None
    installable: bool = True  # False: `pip install` of spec fails here too (not on an index, not pushed)


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
        if scheme == "file" and vcs.get("vcs", "git") == "git":
            pushed = from_checkout(_local_path(url), version, commit=vcs["commit_id"], fragment=fragment)
            if pushed is not None:
                return pushed
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
    editable = isinstance(data.get("dir_info"), dict) and data["dir_info"].get("editable")
    what = "an editable install" if editable else "a local path"
    if scheme == "file" and isinstance(data.get("dir_info"), dict):
        found = from_checkout(_local_path(url), version, fragment=fragment)
        if found is not None:
            return found
    return Requirement(
        pinned, "local", _warning(pinned, f"it was installed from {what} ({url})"), installable=False
    )


def _local_path(url: str) -> Path:
    from urllib.request import url2pathname  # imports http.client: only here

    return Path(url2pathname(urlsplit(url).path))


_SCP = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]{2,}):(?P<path>(?!//).+)$")
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def runner_url(url: str) -> str | None:
    """`git+URL` that pip on another machine can clone from origin's URL, or None (a path, file://,
    this machine, plain http); a password or token in it is dropped, never written."""
    scp = _SCP.match(url)
    if scp and "://" not in url:  # git's scp-like syntax: `git@github.com:org/repo.git`
        host, path = scp["host"], scp["path"]
        if host.lower() in _LOOPBACK:
            return None
        user = f"{scp['user']}@" if scp["user"] else ""
        return f"git+ssh://{user}{host}/{path.lstrip('/')}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower().replace("git+ssh", "ssh").replace("ssh+git", "ssh")
    if scheme not in ("https", "ssh", "git") or not parts.hostname or parts.hostname in _LOOPBACK:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    if scheme == "ssh" and parts.username:  # the ssh login (`git@`), never a password
        netloc = f"{parts.username}@{netloc}"
    return "git+" + urlunsplit((scheme, netloc, parts.path, "", ""))


def _git(folder: Path, *args: str) -> str | None:
    """stdout of one git command in folder, or None when it fails (or git is missing)."""
    from toolkit import git
    from toolkit.errors import ToolkitError

    try:
        done = git.run(folder, *args)
    except ToolkitError:
        return None
    return done.stdout.decode(errors="replace").strip() if done.returncode == 0 else None


def from_checkout(folder: Path, version: str = __version__, *, commit: str | None = None,
                  fragment: str = "") -> Requirement | None:
    """`mlops-toolkit @ git+ORIGIN@COMMIT` for a git checkout whose origin a runner can reach,
    else None. commit defaults to the checkout's HEAD (which then must hold no uncommitted change)."""
    if not folder.is_dir():
        return None
    top = _git(folder, "rev-parse", "--show-toplevel")
    origin = _git(folder, "remote", "get-url", "origin")
    url = runner_url(origin) if origin else None
    if top is None or url is None:
        return None
    sha = _git(folder, "rev-parse", "--verify", "--quiet", f"{commit or 'HEAD'}^{{commit}}")
    if sha is None:
        return None
    if not fragment:
        sub = Path(folder).resolve().relative_to(Path(top).resolve()).as_posix()
        fragment = "" if sub == "." else f"#subdirectory={sub}"
    spec = f"{DISTRIBUTION} @ {url}@{sha}{fragment}"
    shown = url.removeprefix("git+")  # without a token the origin URL may hold
    problems = []
    pushed = _git(folder, "for-each-ref", "--contains", sha, "--format=%(refname)", "refs/remotes/origin/")
    if not pushed:
        problems.append(
            f"commit {sha[:12]} is on none of origin's branches as far as {top} knows, so a runner "
            f"cannot fetch it from {shown}: push it (or `git fetch` if it is there)"
        )
    if commit is None and _git(folder, "status", "--porcelain", "--untracked-files=no"):
        problems.append(
            f"{top} has uncommitted changes, which that commit does not hold: commit and push them, "
            "or runners run other code than you do"
        )
    warning = None
    if problems:
        warning = (
            f"the toolkit's requirement is '{spec}' (your checkout's origin and commit), "
            f"but {'; and '.join(problems)}. Or pass {OPTION} to name another."
        )
    return Requirement(spec, "checkout", warning, installable=bool(pushed))


def _warning(spec: str, why: str) -> str:
    return (
        f"the toolkit's requirement is '{spec}', but {why}, which a GitHub runner "
        f"cannot install from; pass {OPTION} (for example "
        f"'{DISTRIBUTION} @ git+https://github.com/OWNER/REPO@COMMIT') or edit that line."
    )


def current() -> Requirement:
    """The requirement that reproduces the running install of the toolkit."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        found = from_checkout(Path(__file__).resolve().parent.parent)
        if found is not None:
            return found
        pinned = f"{DISTRIBUTION}=={__version__}"
        why = "the toolkit runs from a source tree"
        return Requirement(pinned, "local", _warning(pinned, why), installable=False)
    return from_direct_url(dist.read_text("direct_url.json"), dist.version)


def resolve(spec: str | None) -> Requirement:
    """`--toolkit-requirement` when given, else the running install's requirement."""
    return validate(spec) if spec is not None else current()
