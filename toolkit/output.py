"""All console output goes through here, so colour, `::group::` folding and quiet mode live in one place."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping

from toolkit.inert import terminal

_quiet = False
_folding = 0  # inside a GitHub Actions ::group::, informational lines go to stdout with the markers


def set_quiet(quiet: bool) -> None:
    """Silence informational lines (errors and the command's own result still print)."""
    global _quiet
    _quiet = quiet


def in_github_actions(environ: Mapping[str, str] | None = None) -> bool:
    """True inside a GitHub Actions job (GITHUB_ACTIONS=true), whatever CI says."""
    env = os.environ if environ is None else environ
    return env.get("GITHUB_ACTIONS") == "true"


class Command(str):
    """A workflow command the toolkit itself wrote (`::error ...`, `::group::`): printed as is."""

    __slots__ = ()


def write(text: str = "") -> None:
    """Write `text` to stdout (a command's result: always printed); untrusted text is made inert."""
    sys.stdout.write(text if isinstance(text, Command) else terminal(text))
    sys.stdout.flush()


def write_line(text: str = "") -> None:
    """Write one line to stdout (a command's result: always printed)."""
    write(Command(text + "\n") if isinstance(text, Command) else text + "\n")


def info(text: str) -> None:
    """An informational line on stderr, hidden by quiet mode."""
    if not _quiet:
        # Inside a folded group, stdout keeps the lines between the group markers (the runner
        # reads stdout and stderr separately, so mixing them can spill lines out of the fold).
        stream = sys.stdout if _folding else sys.stderr
        stream.write(terminal(text) + "\n")
        stream.flush()


def warn(text: str) -> None:
    """A warning line on stderr."""
    sys.stderr.write(terminal(f"Warning: {text}") + "\n")
    sys.stderr.flush()


@contextlib.contextmanager
def group(title: str, environ: Mapping[str, str] | None = None) -> Iterator[None]:
    """Fold what is printed inside into a collapsible group in GitHub Actions logs."""
    global _folding
    folded = in_github_actions(environ)
    if folded:
        write_line(Command(f"::group::{terminal(title).replace(chr(10), ' ')}"))
        _folding += 1
    else:
        info(f"== {title}")
    try:
        yield
    finally:
        if folded:
            _folding -= 1
            write_line(Command("::endgroup::"))
