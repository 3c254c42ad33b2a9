"""Read every registry tag of a repository, and its branch tips, with ONE `git for-each-ref` call.

Each annotated tag whose name is in the GTO format (see `toolkit.registry.tags`) becomes an Event:
the commit it points at (peeled), the tagger, the tagger date and the message. Lightweight tags are
left out, as gto leaves them out; their names still count for the next `#N`. Branches (local and
remote-tracking, with `origin/HEAD`) come along for `toolkit.registry.trust`.

Order: gto orders events by tagger date, which whoever creates a tag chooses. The `#N` counter is
the registry's own sequence (each write takes the highest `N` plus one), so where the two disagree
the counter wins: a tag with a higher `N` is never ordered before one with a lower `N` of the same
artifact (its ordering time is raised to theirs). When dates follow the counters, as they do for
every tag gto and the toolkit write on a sane clock, the order is gto's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit import git
from toolkit.errors import GitError
from toolkit.registry import tags

_FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(*objecttype)",
    "%(taggerdate:unix)",
    "%(taggerdate:iso-strict)",
    "%(taggername)",
    "%(taggeremail:trim)",
    "%(committerdate:unix)",
    "%(symref)",
    "%(if:equals=tag)%(objecttype)%(then)%(contents)%(end)",  # tag messages only, not commits'
)
_FORMAT = "%00".join(_FIELDS) + "%00"
_REFS = ("refs/tags", "refs/heads", "refs/remotes")


@dataclass(frozen=True)
class Event:
    """One annotated registry tag."""

    tag: str
    name: tags.TagName
    commit: str
    time: int  # tagger date, seconds since the epoch
    timestamp: str  # the same, ISO 8601 with the tagger's offset (as gto prints it)
    author: str
    author_email: str
    message: str
    rank: int  # the time it is ordered by: `time`, raised to that of any lower `#N` (module doc)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Ordering time, then tags without a counter (registrations), then the counter."""
        counter = self.name.counter
        return (self.rank, 0 if counter is None else 1, counter or 0)


@dataclass(frozen=True)
class Branch:
    """A branch tip: `refs/heads/NAME` or `refs/remotes/REMOTE/NAME`."""

    ref: str
    commit: str
    time: int  # committer date

    @property
    def label(self) -> str:
        """`main`, `origin/main`."""
        return self.ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")


@dataclass(frozen=True)
class Tags:
    """What the repository's refs hold for the registry."""

    events: list[Event]  # annotated registry tags, oldest first
    counters: dict[str, int]  # artifact -> highest `#N` in any of its tags (lightweight too)
    names: frozenset[str]  # every tag name in the repository
    branches: dict[str, Branch]  # full ref name -> tip, local and remote-tracking
    symrefs: dict[str, str]  # e.g. refs/remotes/origin/HEAD -> refs/remotes/origin/main


def read(root: Path) -> Tags:
    """Every registry tag of the repository at root, oldest first, and its branch tips."""
    listed = git.run(root, "for-each-ref", f"--format={_FORMAT}", *_REFS)
    if listed.returncode != 0:
        detail = listed.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"cannot list the tags of {root}: {detail[-1] if detail else 'git failed'}; "
            "run toolkit inside a git checkout."
        )
    return parse_output(listed.stdout.decode("utf-8", errors="replace"))


def parse_output(text: str) -> Tags:
    """Tags and branches from `git for-each-ref --format=<_FORMAT>` output."""
    parts = text.split("\0")
    n = len(_FIELDS)
    events: list[Event] = []
    counters: dict[str, int] = {}
    names: set[str] = set()
    branches: dict[str, Branch] = {}
    symrefs: dict[str, str] = {}
    for i in range(0, len(parts) - n + 1, n):
        ref, kind, obj, peeled, peeled_kind, unix, iso, who, email, committed, symref, message = parts[
            i : i + n
        ]
        ref = ref.lstrip("\n")
        if not ref.startswith("refs/tags/"):
            if symref:
                symrefs[ref] = symref
            elif kind == "commit" and committed.isdigit():
                branches[ref] = Branch(ref, obj, int(committed))
            continue
        ref = ref.removeprefix("refs/tags/")
        names.add(ref)
        parsed = tags.parse(ref)
        if parsed is None:
            continue
        if parsed.counter is not None:
            counters[parsed.artifact] = max(counters.get(parsed.artifact, 0), parsed.counter)
        if kind != "tag" or peeled_kind != "commit" or not unix.lstrip("-").isdigit():
            continue  # lightweight, or a tag of a tree/blob/another tag chain to no commit
        events.append(
            Event(
                tag=ref,
                name=parsed,
                commit=peeled,
                time=int(unix),
                timestamp=iso,
                author=who,
                author_email=email,
                message=message.strip(),
                rank=int(unix),
            )
        )
    events = ranked(events)
    return Tags(events, counters, frozenset(names), branches, symrefs)


def ranked(events: list[Event]) -> list[Event]:
    """The events in registry order: by date, except that per artifact a higher `#N` never sorts first."""
    import dataclasses

    by_counter = sorted(
        (e for e in events if e.name.counter is not None),
        key=lambda e: (e.name.artifact, e.name.counter, e.time),
    )
    raised: dict[int, int] = {}  # id(event) -> its rank, where raised
    artifact, floor = None, 0
    for e in by_counter:
        if e.name.artifact != artifact:
            artifact, floor = e.name.artifact, e.time
        floor = max(floor, e.time)
        if floor != e.time:
            raised[id(e)] = floor
    out = [dataclasses.replace(e, rank=raised[id(e)]) if id(e) in raised else e for e in events]
    out.sort(key=lambda e: e.sort_key)
    return out
