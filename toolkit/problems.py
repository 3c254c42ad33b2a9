"""Problems grouped for reading: one item per cause, not one per file and revision.

A folder of 41 plot files that are not in the local DVC cache gives 41 sentences that differ only
in the file name and its hash, and a file unreadable at both revisions gives two; the report and
the annotations show each such group once, naming its files and revisions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from toolkit.results import Problem

_HASH = re.compile(r"\b[0-9a-f]{32}(?:\.dir)?\b")


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one kind whose messages differ only in the file, its hash and the revision."""

    first: Problem  # its message stands for the group
    paths: tuple[str, ...]  # every file, in order of appearance
    revisions: tuple[str, ...]  # every revision (Revision.name), in order of appearance

    @property
    def kind(self) -> str:
        """missing, not-in-cache or unreadable."""
        return self.first.kind


def _shape(problem: Problem) -> str:
    """The message with its file, revision and hashes blanked: equal shapes, one cause."""
    text = problem.message
    for part, mark in ((problem.path, "\0path\0"), (problem.where, "\0rev\0")):
        if part:  # whole names only: the file `a` is not every letter a
            text = re.sub(rf"(?<![\w./-]){re.escape(part)}(?![\w/-])", mark, text)
    return _HASH.sub("\0hash\0", text)


def group(problems: Sequence[Problem]) -> list[ProblemGroup]:
    """Problems merged by (kind, message shape), in order of first appearance."""
    found: dict[tuple[str, str], list[Problem]] = {}
    seen: set[tuple[str, str, str]] = set()
    for problem in problems:
        once = (problem.path, problem.revision, problem.kind)
        if once in seen:
            continue  # one file read twice (declared as metrics and as a plot): one problem
        seen.add(once)
        found.setdefault((problem.kind, _shape(problem)), []).append(problem)
    return [
        ProblemGroup(
            first=items[0],
            paths=tuple(dict.fromkeys(p.path for p in items)),
            revisions=tuple(dict.fromkeys(p.revision for p in items)),
        )
        for items in found.values()
    ]


def files(problems: Sequence[Problem]) -> int:
    """How many different files the problems are about."""
    return len({p.path for p in problems})
