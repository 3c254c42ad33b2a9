"""Which registry tags the toolkit trusts: dated no later than now, on commits the default branch holds.

Dates: tag dates order the registry (see `refs`), so a tag dated in the future would hold its stage
against every later change. A registry tag dated after now plus `SKEW` is refused, by name; "now"
is the later of this machine's clock and the newest commit on the default branch (a clock behind
the repository's own history does not refuse tags written on a correct one).

Commits: a tag can be pushed on any commit, also one no branch holds (`git commit-tree`), which
never went through review or branch protection. `describe` and `deliver` (deploy.yml) act only on
tags whose commit the default branch holds, and `show` warns about the others. The default branch
is origin's HEAD, else the event payload's `repository.default_branch` (GitHub Actions: checkout
sets no origin/HEAD), else `main`, else `master`; read as `origin/NAME` when that is here (what
the server has), else the local branch. `registry: require-default-branch: false` in toolkit.yaml
lets other commits through; it is read from the default branch, never from the tagged commit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from toolkit import git
from toolkit.errors import ConfigError, GitError, RegistryError, TooLargeError
from toolkit.registry.refs import Branch, Event, Tags

#: Clock skew allowed between the machine that wrote a tag and the one reading it, in seconds.
SKEW = 3600
#: At most this many tags are named, one line each, in `show`'s warning.
SHOWN = 10


@dataclass(frozen=True)
class Default:
    """The default branch: its name (None when nothing says which) and its tip here (None: absent)."""

    name: str | None
    tip: Branch | None

    def looked_for(self) -> str:
        """What was looked for, for a message: `origin/develop` or `develop`, or main and master."""
        names = [self.name] if self.name else ["main", "master"]
        return " or ".join(f"`origin/{n}` or `{n}`" for n in names)


def default_branch(found: Tags, environ: Mapping[str, str] | None = None) -> Default:
    """The default branch: origin's HEAD, else the Actions event payload's, else `main`, else `master`."""
    name = None
    target = found.symrefs.get("refs/remotes/origin/HEAD", "")
    if target.startswith("refs/remotes/origin/"):
        name = target.removeprefix("refs/remotes/origin/")
    elif environ is not None and environ.get("GITHUB_EVENT_PATH"):
        from toolkit import actions

        repository = actions.context_from_env(environ, require_supported=False).payload.get("repository")
        named = repository.get("default_branch") if isinstance(repository, Mapping) else None
        name = named if isinstance(named, str) and named else None
    for candidate in [name] if name else ["main", "master"]:
        for ref in (f"refs/remotes/origin/{candidate}", f"refs/heads/{candidate}"):
            if ref in found.branches:
                return Default(candidate, found.branches[ref])
    return Default(name, None)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).isoformat()


def check_dates(found: Tags, default: Default, now: float | None = None) -> None:
    """Refuse registry tags dated after now (clock or the default branch's tip, the later) + SKEW."""
    clock = time.time() if now is None else now
    newest = max(clock, default.tip.time if default.tip else 0)
    late = sorted((e for e in found.events if e.time > newest + SKEW), key=lambda e: e.tag)
    if not late:
        return
    first = late[0]
    others = ", ".join(f"`{e.tag}`" for e in late[1:4]) + (", ..." if late[4:] else "")
    more = f" (so are {others})" if others else ""
    raise RegistryError(
        f"the registry tag `{first.tag}` is dated {first.timestamp}, in the future{more}: "
        f"now is {_iso(newest)}, {SKEW // 60} minutes of clock skew allowed, and a tag from the future "
        "would hold its stage against every later change. Delete it "
        f"(`git tag -d '{first.tag}'`, and `git push origin ':refs/tags/{first.tag}'` if it was "
        "pushed) and tag again with the right date."
    )


def reviewed(root: Path, tip: Branch) -> frozenset[str]:
    """The names of the tags whose commit `tip` holds (one `git for-each-ref --merged`)."""
    listed = git.run(
        root, "for-each-ref", f"--merged={tip.commit}", "--format=%(refname:lstrip=2)", "refs/tags"
    )
    if listed.returncode != 0:
        detail = listed.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"cannot list the tags `{tip.label}` holds in {root}: "
            f"{detail[-1] if detail else 'git failed'}; check the clone (`git fsck`)."
        )
    return frozenset(listed.stdout.decode("utf-8", errors="replace").splitlines())


def allows_other_commits(root: Path, tip: Branch) -> bool:
    """True when toolkit.yaml on the default branch says `registry: require-default-branch: false`."""
    from toolkit import safefs
    from toolkit.config import FILENAME, parse_config

    where = f"{tip.label}:{FILENAME}"
    try:
        with git.ObjectReader(root) as reader:
            data = reader.read(f"{tip.commit}:{FILENAME}", limit=safefs.MAX_SETTINGS_BYTES)
        if data is None:
            return False
        text = data.decode("utf-8")
    except TooLargeError:
        raise ConfigError(f"{where} is over {safefs.MAX_SETTINGS_BYTES} bytes; shorten it.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {where}: {exc}; fix the file on {tip.label}.") from None
    return not parse_config(text, Path(where)).registry.require_default_branch


def require_reviewed(root: Path, default: Default, event: Event) -> str | None:
    """Refuse a tag whose commit the default branch does not hold; a warning when toolkit.yaml allows it."""
    tip = default.tip
    if tip is not None and event.tag in reviewed(root, tip):
        return None
    what = f"`{event.tag}` (commit {event.commit})"
    if tip is not None and allows_other_commits(root, tip):
        return (
            f"{what} is not on the default branch `{tip.label}`; delivered anyway, as "
            f"`registry: require-default-branch: false` in toolkit.yaml on {tip.label} allows."
        )
    if git.is_shallow(root):
        raise RegistryError(
            f"cannot tell whether {what} is on the default branch: this clone is shallow. Fetch the "
            "whole history: `fetch-depth: 0` in actions/checkout, or `git fetch --unshallow`."
        )
    if tip is None:
        raise RegistryError(
            f"cannot tell whether {what} is on the default branch: {default.looked_for()} is not in "
            "this clone. Fetch the branches (`fetch-depth: 0` in actions/checkout, or `git fetch origin`)."
        )
    raise RegistryError(
        f"{what} is not on the default branch `{tip.label}`: only reviewed commits (merged into it) "
        f"are delivered. Merge it through a pull request and tag the merged commit (`git fetch` first "
        f"if it was merged since), or allow other commits with `registry: require-default-branch: "
        f"false` in toolkit.yaml on {tip.label}."
    )


def unreviewed_warnings(root: Path, default: Default, events: Iterable[Event]) -> list[str]:
    """`show`'s warnings: the tags on commits the default branch does not hold (describe refuses them)."""
    events = list(events)
    if not events:
        return []
    tip = default.tip
    if tip is None:
        return [
            f"cannot check that the registry tags are on reviewed commits: {default.looked_for()} is "
            "not in this clone; `toolkit model describe` and `deliver` refuse them until it is."
        ]
    held = reviewed(root, tip)
    off = [e for e in events if e.tag not in held]
    if not off or allows_other_commits(root, tip):
        return []
    if git.is_shallow(root):
        return [
            f"cannot check that {len(off)} registry tag(s) are on the default branch `{tip.label}`: "
            "this clone is shallow (`git fetch --unshallow`)."
        ]
    lines = [
        f"`{e.tag}` is on commit {e.commit[:12]}, which the default branch `{tip.label}` does not hold: "
        "`toolkit model describe` and `deliver` refuse it."
        for e in off[:SHOWN]
    ]
    if len(off) > SHOWN:
        lines.append(f"... and {len(off) - SHOWN} more registry tags off `{tip.label}`.")
    return lines
