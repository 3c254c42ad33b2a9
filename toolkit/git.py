"""git: the repo root, revisions (fetching what a shallow clone lacks) and reading files at a commit.

Files of a commit are read through ONE `git cat-file --batch` process per command (`ObjectReader`)
and trees are listed with one `git ls-tree -r` per commit, never one process per file.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from toolkit import proc
from toolkit.errors import GitError, RevisionError, TooLargeError, ToolkitError

_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def _is_hex(text: str, min_len: int = 7) -> bool:
    return min_len <= len(text) <= 40 and all(c in _HEXDIGITS for c in text)


# Never let git ask for a password or open an editor in CI: fail instead.
_ENV_EXTRA = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "", "LC_ALL": "C"}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(_ENV_EXTRA)
    return env


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return proc.run(("git", *args), cwd=root, env=_env(), check=False)


def run(root: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run one git command in root, never prompting; the caller checks the return code."""
    return proc.run(("git", *args), cwd=root, env=_env(), input=input, check=False)


def find_root(cwd: Path) -> Path:
    """The top folder of the git repository that contains `cwd`."""
    if not cwd.is_dir():
        raise GitError(f"{cwd} is not a folder; run toolkit from inside your project's git checkout.")
    if not any(name in os.environ for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CEILING_DIRECTORIES")):
        # Fast path (no process): the nearest folder holding `.git` (a folder, or a file for
        # worktrees and submodules) is what `git rev-parse --show-toplevel` would print.
        here = cwd.resolve()
        for folder in (here, *here.parents):
            if (folder / ".git").exists():
                return folder
    result = _git(cwd, "rev-parse", "--show-toplevel")
    top = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or not top:
        raise GitError(
            f"{cwd} is not inside a git repository; run toolkit from your project's checkout "
            "(or create one with `git init`)."
        )
    return Path(top)


def is_shallow(root: Path) -> bool:
    """True when the repository is a shallow clone (`--depth`)."""
    result = _git(root, "rev-parse", "--is-shallow-repository")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def _check_name(rev: str) -> None:
    if not rev or rev.startswith("-") or any(c.isspace() or ord(c) < 32 for c in rev):
        raise RevisionError(
            f"{rev!r} is not a valid revision name; give a branch, tag or commit (e.g. main, HEAD~1)."
        )


def resolve(root: Path, rev: str) -> str | None:
    """The full commit sha `rev` names locally, or None when it is not known here."""
    _check_name(rev)
    result = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    sha = result.stdout.decode().strip()
    return sha if result.returncode == 0 and _is_hex(sha, 40) else None


def fetch_auth_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Git config (as environment, never argv or a file) that lets a fetch use GITHUB_TOKEN.

    The generated workflows check out with `persist-credentials: false`, so a private repo's
    base commit can only be fetched with the job's token; it is scoped to the Actions server URL
    and handed to git as `http.<server>/.extraheader`, as actions/checkout does.
    """
    token = environ.get("GITHUB_TOKEN")
    server = (environ.get("GITHUB_SERVER_URL") or "").rstrip("/")
    if environ.get("GITHUB_ACTIONS") != "true" or not token or not server.startswith("https://"):
        return {}
    try:
        n = int(environ.get("GIT_CONFIG_COUNT") or "0")
    except ValueError:
        n = 0
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": str(n + 1),
        f"GIT_CONFIG_KEY_{n}": f"http.{server}/.extraheader",
        f"GIT_CONFIG_VALUE_{n}": f"AUTHORIZATION: basic {basic}",
    }


def _fetch(root: Path, shallow: bool, refspec: str) -> bool:
    args = ["fetch", "--no-tags", "--quiet"]
    if shallow:
        # Only a shallow clone gets --depth: on a full clone it would truncate the history.
        args.append("--depth=1")
    args += ["origin", refspec]
    env = _env()
    env.update(fetch_auth_env(os.environ))
    return proc.run(("git", *args), cwd=root, env=env, check=False).returncode == 0


def ensure_revision(root: Path, rev: str) -> str:
    """The full sha of `rev`, fetching it from `origin` first when this clone lacks it."""
    sha = resolve(root, rev)
    if sha:
        return sha
    branch = rev.removeprefix("origin/").removeprefix("refs/heads/")
    if branch and not rev.startswith("refs/"):
        # Fetched by an earlier run (a branch name resolves only as its remote-tracking ref).
        sha = resolve(root, f"refs/remotes/origin/{branch}")
        if sha:
            return sha
    has_origin = _git(root, "remote", "get-url", "origin").returncode == 0
    if not has_origin or any(c in rev for c in "~^:{"):
        # Nothing to fetch from, or a name only this clone can resolve (HEAD~1, main^): no hint
        # to fetch what could not be on a remote.
        where = "" if has_origin else " (and there is no `origin` remote to fetch it from)"
        raise RevisionError(
            f"revision `{rev}` is not in this repository{where}; check the name (a branch, tag "
            "or commit, e.g. main or HEAD~1)."
        )
    shallow = is_shallow(root)
    attempts: list[tuple[str, str]] = []  # (refspec to fetch, name to resolve afterwards)
    if _is_hex(rev):
        attempts.append((rev, "FETCH_HEAD"))
    if branch and not rev.startswith("refs/tags/"):
        attempts.append(
            (f"refs/heads/{branch}:refs/remotes/origin/{branch}", f"refs/remotes/origin/{branch}")
        )
    if not _is_hex(rev):
        attempts.append((rev, "FETCH_HEAD"))
    for refspec, name in attempts:
        if _fetch(root, shallow, refspec):
            sha = resolve(root, rev) or resolve(root, name)
            if sha:
                return sha
    hint = (
        " This is a shallow clone: `git fetch --unshallow origin` makes older commits available."
        if shallow
        else ""
    )
    raise RevisionError(
        f"revision `{rev}` is not in this repository and could not be fetched from `origin`; "
        f"check the name (a branch, tag or commit) or fetch it with `git fetch origin {rev}`.{hint}"
    )


def start_listing(root: Path, sha: str | None, prefix: str = "") -> Callable[[], dict[str, str]]:
    """Start listing commit `sha`'s files (None: the working tree) in the background.

    Call the result for {path with forward slashes: blob id} ('' for working-tree files); two
    listings started together overlap, which is most of their cost. With `prefix` (a folder
    relative to the git root, e.g. a `dvc init --subdir` project), only the files below it, with
    paths relative to it.
    """
    if sha is None:
        args = ["ls-files", "-z", "--full-name", "--cached", "--others", "--exclude-standard"]
    else:
        args = ["ls-tree", "-r", "-z", "--full-tree", sha]
    try:
        p = proc.popen(
            ["git", *args], cwd=root, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except ToolkitError as exc:
        raise GitError("`git` is not installed or not on PATH; install it and retry.") from exc

    def finish() -> dict[str, str]:
        out, err = p.communicate()
        if p.returncode != 0:
            detail = err.decode(errors="replace").strip().splitlines()
            what = f"commit {sha[:7]}" if sha else f"the working tree in {root}"
            raise GitError(
                f"cannot list the files of {what}: {detail[-1] if detail else 'git failed'}; "
                "check that the clone is complete (`git fsck`)."
            )
        files: dict[str, str] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            if sha is None:
                files[record.decode("utf-8", errors="surrogateescape")] = ""
                continue
            meta, _, path = record.partition(b"\t")
            mode, kind, oid = meta.split(b" ")
            # Blobs only: submodules (commit) have no content here; symlinks (120000) would be
            # read as their target path, which DVC would not do either.
            if kind == b"blob" and mode != b"120000":
                files[path.decode("utf-8", errors="surrogateescape")] = oid.decode()
        if prefix:
            cut = len(prefix) + 1
            start = prefix + "/"
            return {p[cut:]: oid for p, oid in files.items() if p.startswith(start)}
        return files

    return finish


def list_tree(root: Path, sha: str) -> dict[str, str]:
    """Every file of commit `sha`: {path with forward slashes: blob id} (one `git ls-tree -r`)."""
    return start_listing(root, sha)()


def list_workspace(root: Path) -> list[str]:
    """Files of the working tree git knows or would add (tracked + untracked, not ignored)."""
    return list(start_listing(root, None)())


class ObjectReader:
    """Reads git objects through one long-lived `git cat-file --batch` process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = proc.popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.root,
                    env=_env(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except ToolkitError as exc:
                raise GitError("`git` is not installed or not on PATH; install it and retry.") from exc
        return self._proc

    def read(self, spec: str, *, limit: int | None = None) -> bytes | None:
        """The content of the object `spec` (a blob id or `rev:path`), None when it does not exist.

        An object larger than `limit` bytes is skipped unread: TooLargeError.
        """
        if "\n" in spec:
            return None
        p = self._start()
        assert p.stdin is not None and p.stdout is not None
        try:
            p.stdin.write(spec.encode("utf-8", errors="surrogateescape") + b"\n")
            p.stdin.flush()
            header = p.stdout.readline()
        except BrokenPipeError as exc:
            raise GitError(f"`git cat-file` stopped unexpectedly in {self.root}.") from exc
        if not header:
            raise GitError(f"`git cat-file` stopped unexpectedly in {self.root}.")
        parts = header.split()
        if len(parts) != 3 or parts[-1] in (b"missing", b"ambiguous"):
            return None
        size = int(parts[2])
        if limit is not None and size > limit:
            left = size + 1
            while left > 0:  # skip the content, so the next read stays in step
                left -= len(p.stdout.read(min(left, 1 << 20)) or b"\0" * left)
            raise TooLargeError(f"git object {spec} is {size} bytes, over the {limit}-byte limit.", size)
        data = p.stdout.read(size + 1)  # content + LF
        return data[:size]

    def resolve(self, rev: str) -> str | None:
        """The commit sha `rev` names (any `git rev-parse` syntax), None when unknown here."""
        try:
            _check_name(rev)
        except RevisionError:
            return None
        p = self._start()
        assert p.stdin is not None and p.stdout is not None
        try:
            p.stdin.write(f"{rev}^{{commit}}\n".encode("utf-8", errors="surrogateescape"))
            p.stdin.flush()
            header = p.stdout.readline()
        except BrokenPipeError as exc:
            raise GitError(f"`git cat-file` stopped unexpectedly in {self.root}.") from exc
        parts = header.split()
        if len(parts) != 3 or parts[1] != b"commit":
            return None
        p.stdout.read(int(parts[2]) + 1)
        sha = parts[0].decode()
        return sha if _is_hex(sha, 40) else None

    def read_many(self, oids: Mapping[str, str]) -> dict[str, bytes]:
        """Read several blobs: {key: blob id} -> {key: content} (absent objects are left out)."""
        out: dict[str, bytes] = {}
        for key, oid in oids.items():
            data = self.read(oid)
            if data is not None:
                out[key] = data
        return out

    def close(self) -> None:
        """Stop the git process."""
        if self._proc is not None:
            p, self._proc = self._proc, None
            if p.stdin:
                p.stdin.close()
            if p.stdout:
                p.stdout.close()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - git hung
                p.kill()
                p.wait()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- branches and pushes (toolkit monitor --open-pr, toolkit model --push) --------------------------


def has_remote(root: Path, name: str) -> bool:
    """True when the repository at root has a remote called `name` (asked of git)."""
    return _git(root, "remote", "get-url", name).returncode == 0


def has_identity(root: Path) -> bool:
    """True when git knows who commits and tags here (`git var GIT_COMMITTER_IDENT` succeeds)."""
    return _git(root, "var", "GIT_COMMITTER_IDENT").returncode == 0


def reason(stderr: bytes, fallback: str) -> str:
    """git's own words for a failure, to show: its first `fatal:`/`error:` line, else its last line."""
    lines = [x.strip() for x in stderr.decode(errors="replace").splitlines() if x.strip()]
    said = [x for x in lines if x.startswith(("fatal: ", "error: "))]
    found = said[0] if said else lines[-1] if lines else fallback
    return found.removeprefix("fatal: ").removeprefix("error: ").rstrip(".")


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    result = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    name = result.stdout.decode(errors="replace").strip()
    return name if result.returncode == 0 and name else None


def commit_and_push(root: Path, branch: str, message: str, environ: Mapping[str, str]) -> str:
    """Commit every change of the working tree on `branch` (made afresh) and force-push it to `origin`.

    Pushes with the job token the way `ensure_revision` fetches (an extraheader in the
    environment, never argv or a file), since the workflows check out without credentials.
    """
    _check_name(branch)
    if not has_remote(root, "origin"):
        raise GitError(
            f"cannot push branch {branch}: the repository in {root} has no remote `origin`; add it "
            "(`git remote add origin URL`) or run from a clone of the repository."
        )
    steps: list[tuple[str, ...]] = [
        ("switch", "-C", branch),
        ("add", "-A"),
        ("-c", "user.name=github-actions[bot]",
         "-c", "user.email=41898282+github-actions[bot]@users.noreply.github.com",
         "commit", "-q", "--allow-empty", "-m", message),
    ]
    for args in steps:
        result = _git(root, *args)
        if result.returncode != 0:
            detail = result.stderr.decode(errors="replace").strip().splitlines()
            raise GitError(
                f"`git {' '.join(args[-3:] if args[0] == '-c' else args)}` failed in {root}: "
                f"{detail[-1] if detail else 'git failed'}; check the branch name and the checkout."
            )
    env = _env()
    env.update(fetch_auth_env(environ))
    pushed = proc.run(("git", "push", "--quiet", "origin", f"+HEAD:refs/heads/{branch}"), cwd=root, env=env,
                      check=False)
    if pushed.returncode != 0:
        raise GitError(
            f"cannot push branch {branch} to origin: {reason(pushed.stderr, 'git push failed')}; "
            "give the job `permissions: contents: write` and GITHUB_TOKEN in its environment."
        )
    return resolve(root, "HEAD") or ""
