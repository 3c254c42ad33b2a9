"""Writing registry tags: annotated, on a clean and known commit, pushed one by one when asked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toolkit import git
from toolkit.errors import GitError, RegistryError


def resolve_ref(root: Path, ref: str | None) -> str:
    """The commit `ref` names (HEAD by default), refusing an unknown ref or a dirty HEAD."""
    name = ref or "HEAD"
    try:
        sha = git.resolve(root, name)
    except GitError as exc:  # a malformed name
        raise RegistryError(exc.message) from None
    if sha is None:
        raise RegistryError(
            f"`{name}` is not a commit in {root}; give a branch, tag or commit that exists here "
            "(`git fetch` it first if it is on the remote)."
        )
    head = git.resolve(root, "HEAD")
    if sha == head and is_dirty(root):
        raise RegistryError(
            f"the working tree of {root} has uncommitted changes, so `{name}` (HEAD) is not what "
            "would be registered; commit them (or stash them) first, then retry."
        )
    return sha


def is_dirty(root: Path) -> bool:
    """True when tracked files differ from HEAD (untracked files do not count)."""
    status = git.run(root, "status", "--porcelain", "--untracked-files=no")
    if status.returncode != 0:
        raise GitError(f"`git status` failed in {root}; check that it is a git checkout.")
    return bool(status.stdout.strip())


def create(root: Path, tag: str, sha: str, message: str, existing: frozenset[str]) -> None:
    """Create the annotated tag `tag` on `sha`, refusing to overwrite one."""
    if tag in existing:
        raise RegistryError(f"the tag `{tag}` exists already; registry tags are never moved or reused.")
    made = git.run(
        root, "tag", "--annotate", "--cleanup=whitespace", "--file=-", "--", tag, sha, input=message.encode()
    )
    if made.returncode != 0:
        if not git.has_identity(root):
            raise RegistryError(
                f"cannot create the tag `{tag}`: git does not know who you are (an annotated tag "
                "records its tagger); set `git config user.name NAME` and `git config user.email "
                "EMAIL`, then retry."
            )
        raise RegistryError(f"cannot create the tag `{tag}`: {git.reason(made.stderr, 'git tag failed')}.")


def push(root: Path, names: Sequence[str], remote: str = "origin") -> None:
    """Push exactly these tags to `remote` (nothing else)."""
    specs = [f"refs/tags/{n}:refs/tags/{n}" for n in names]
    quoted = " ".join(f"'{n}'" for n in names)
    if not git.has_remote(root, remote):
        raise RegistryError(
            f"the tag(s) were created here, but this repository has no remote `{remote}` to push "
            f"them to; add it (`git remote add {remote} URL`), then push them with "
            f"`git push {remote} {quoted}`."
        )
    pushed = git.run(root, "push", "--quiet", "--", remote, *specs)
    if pushed.returncode != 0:
        raise RegistryError(
            f"the tag(s) were created here but pushing them to `{remote}` failed "
            f"({git.reason(pushed.stderr, 'git push failed')}); push them with "
            f"`git push {remote} {quoted}`."
        )


def delete(root: Path, names: Sequence[str]) -> None:
    """Delete these local tags (ones just created and not pushed)."""
    deleted = git.run(root, "tag", "--delete", *names)
    if deleted.returncode != 0:
        quoted = " ".join(f"'{n}'" for n in names)
        raise RegistryError(
            f"cannot delete the tag(s) {quoted} again; delete them with `git tag -d {quoted}`."
        )
