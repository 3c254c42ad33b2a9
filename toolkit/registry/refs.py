"""Read every registry tag of a repository with ONE `git for-each-ref` call.

Each annotated tag whose name is in the GTO format (see `toolkit.registry.tags`) becomes an Event:
the commit it points at (peeled), the tagger, the tagger date and the message. Lightweight tags are
left out, as gto leaves them out; their names still count for the next `#N`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit import git
from toolkit.errors import GitError
from toolkit.registry import tags

_FIELDS = (
    "%(refname:lstrip=2)",
    "%(objecttype)",
    "%(*objectname)",
    "%(*objecttype)",
    "%(taggerdate:unix)",
    "%(taggerdate:iso-strict)",
    "%(taggername)",
    "%(taggeremail:trim)",
    "%(contents)",
)
_FORMAT = "%00".join(_FIELDS) + "%00"


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

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Tagger time, then tags without a counter (registrations), then the counter."""
        counter = self.name.counter
        return (self.time, 0 if counter is None else 1, counter or 0)


@dataclass(frozen=True)
class Tags:
    """What the repository's tags hold for the registry."""

    events: list[Event]  # annotated registry tags, oldest first
    counters: dict[str, int]  # artifact -> highest `#N` in any of its tags (lightweight too)
    names: frozenset[str]  # every tag name in the repository


def read(root: Path) -> Tags:
    """Every registry tag of the repository at root, oldest first."""
    listed = git.run(root, "for-each-ref", f"--format={_FORMAT}", "refs/tags")
    if listed.returncode != 0:
        detail = listed.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(
            f"cannot list the tags of {root}: {detail[-1] if detail else 'git failed'}; "
            "run toolkit inside a git checkout."
        )
    return parse_output(listed.stdout.decode("utf-8", errors="replace"))


def parse_output(text: str) -> Tags:
    """Tags from `git for-each-ref --format=<_FORMAT>` output."""
    parts = text.split("\0")
    n = len(_FIELDS)
    events: list[Event] = []
    counters: dict[str, int] = {}
    names: set[str] = set()
    for i in range(0, len(parts) - n + 1, n):
        ref, kind, peeled, peeled_kind, unix, iso, who, email, message = parts[i : i + n]
        ref = ref.lstrip("\n")
        names.add(ref)
        parsed = tags.parse(ref)
        if parsed is None:
            continue
        if parsed.counter is not None:
            counters[parsed.artifact] = max(counters.get(parsed.artifact, 0), parsed.counter)
        if kind != "tag" or peeled_kind != "commit" or not unix:
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
            )
        )
    events.sort(key=lambda e: e.sort_key)
    return Tags(events, counters, frozenset(names))
