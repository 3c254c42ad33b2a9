"""What a `dvc repro` run printed: which stages ran, and what DVC said when it failed.

Read only to report and to show DVC's own words, never to decide what went wrong: that is asked
of the files, the interpreter and the remote before or after the run (dvc.py, remote.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from toolkit import output
from toolkit.errors import DvcError

_RAN = re.compile(r"^Running stage '(?P<stage>[^']+)'")
_SKIPPED = re.compile(
    r"^(?:Stage '(?P<stage>[^']+)' (?:didn't change, skipping|(?P<cached>is cached - skipping run))"
    r"|Pulling data for stage: '(?P<pulled>[^']+)')"  # pulled, not run (unless it runs after)
)
_FAILED_STAGE = re.compile(r"^ERROR: failed to reproduce '(?P<stage>[^']+)': (?P<why>.*)")
# dvc quotes the offending source line of a file it cannot parse: "3 │   cmd: [unclosed", "4".
_SOURCE_LINE = re.compile(r"^\d+(?:\s|$)")


def parse(log: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Stage names that ran, that were skipped, and the skipped ones restored from the run-cache."""
    ran: list[str] = []
    skipped: list[str] = []
    restored: list[str] = []
    for line in log.splitlines():
        if m := _RAN.match(line):
            if m["stage"] not in ran:
                ran.append(m["stage"])
        elif m := _SKIPPED.match(line):
            stage = m["stage"] or m["pulled"]
            if stage not in skipped:
                skipped.append(stage)
            if m["cached"] and stage not in restored:
                restored.append(stage)
    return (
        tuple(ran),
        tuple(s for s in skipped if s not in ran),
        tuple(s for s in restored if s not in ran),
    )


def error(log: str, root: Path) -> DvcError:
    """A one- or two-sentence DvcError from a failed `dvc repro` log, in DVC's own words."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if m := _FAILED_STAGE.match(line):
            last = _stage_output(lines[:i], m["stage"])
            hint = f" (its last output: {last})" if last else ""
            return DvcError(
                f"dvc repro failed in stage '{m['stage']}' of {root / 'dvc.yaml'}: {m['why']}{hint}. "
                f"Fix it and rerun `toolkit repro`; `dvc repro {m['stage']}` shows the stage alone."
            )
    return DvcError(
        f"dvc repro failed in {root}: {_words(lines).rstrip('.')}. "
        "Fix the pipeline (dvc.yaml, params.yaml) and rerun `toolkit repro`."
    )


def _stage_output(lines: list[str], stage: str) -> str | None:
    """The last line a stage's command printed (None when it never ran or printed nothing)."""
    starts = [i for i, line in enumerate(lines) if (m := _RAN.match(line)) and m["stage"] == stage]
    printed = [x for x in lines[starts[-1] + 1 :] if not x.startswith("> ")] if starts else []
    return printed[-1] if printed else None


def _words(lines: list[str]) -> str:
    """What DVC said went wrong: its last ERROR line, else its last two lines (no source quotes)."""
    errors = [x for x in lines if x.startswith("ERROR:")]
    if errors:
        return errors[-1].removeprefix("ERROR: ")
    said = [x for x in lines if not _SOURCE_LINE.match(x) and not x.startswith("$ dvc ")]
    return " ".join(said[-2:]) if said else "no output"


# DVC's advice for a laptop ("git add dvc.lock", autostage, "dvc push"): noise in a CI log, where
# the toolkit commits nothing and pushes through `toolkit repro --push`.
_ADVICE = re.compile(
    r"^(?:To (?:track the changes with git|enable auto staging), run:"
    r"|Use `dvc push` to send your updates to remote storage\.)$"
)


class Echo:
    """Echo dvc's lines as informational lines, leaving out its laptop advice when asked."""

    def __init__(self, advice: bool) -> None:
        self.advice = advice
        self.in_advice = False

    def __call__(self, line: str) -> None:
        if not self.advice:
            if _ADVICE.match(line.strip()):
                self.in_advice = True
                return
            if self.in_advice and (not line.strip() or line.startswith(("\t", "  "))):
                return  # the advice's blank lines and its indented command
            self.in_advice = False
        output.info(line)


def last_error(log: str) -> str:
    """DVC's last error line (its support footer dropped), to show: why `dvc push` failed."""
    lines = [x.strip() for x in log.split("Having any troubles?")[0].splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith("ERROR:")]
    last = errors[-1] if errors else (lines[-1] if lines else "no output")
    return last.removeprefix("ERROR: ").removeprefix("unexpected error - ").rstrip(".")


def unpulled(log: str) -> tuple[str, ...]:
    """Stages `dvc repro --pull` tried to pull, then ran: their outputs were not on the remote."""
    ran, _, _ = parse(log)
    tried = {m["pulled"] for line in log.splitlines() if (m := _SKIPPED.match(line)) and m["pulled"]}
    return tuple(s for s in ran if s in tried)
