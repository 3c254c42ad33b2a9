"""The one verdict every output headlines: the report, `toolkit gates`, `toolkit ci`, the job
summary and the `verdict` step output.

The rule, in one place: results that are not current (stale workspace results, data never
pulled) never headline a pass, and the gates decide only on current results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.results import GateResult, Stale

if TYPE_CHECKING:
    from toolkit.committed import Committed

GATE_FAILED = 3


@dataclass(frozen=True)
class Verdict:
    """What the gates (and the freshness of the results) say, as one line and an exit code."""

    headline: str  # one line, no newline: the report's `##` heading and the `verdict` output
    failed: int  # gates that failed
    total: int  # gates evaluated
    passed: bool  # every gate passes, on current results, and no check failed
    exit_code: int  # 0, or 3 when a gate (or a check toolkit.yaml makes failing) failed
    committed_fails: bool = False  # committed results out of date, and `ci.fail-on-stale-results`


def _gates_phrase(gates: Sequence[GateResult]) -> tuple[bool, str]:
    """(all passed, "Both quality gates pass" / "1 of 2 quality gates failed" / ...)."""
    total = len(gates)
    bad = sum(1 for g in gates if not g.passed)
    if bad == 0:
        if total == 1:
            return True, "The quality gate passes"
        return True, "Both quality gates pass" if total == 2 else f"All {total} quality gates pass"
    if total == 1:
        return False, "The quality gate failed"
    if bad == total:
        return False, "Both quality gates failed" if total == 2 else f"All {total} quality gates failed"
    return False, f"{bad} of {total} quality gates failed"


def _lower(phrase: str) -> str:
    return phrase[:1].lower() + phrase[1:]


def judge(
    gates: Sequence[GateResult],
    *,
    stale: Stale | None = None,
    committed: Committed | None = None,
    fail_on_committed: bool = False,
) -> Verdict:
    """The verdict on `gates`, given whether the results are stale and the committed ones current.

    Stale results: "⚠️ Stale results, not a verdict: both quality gates pass on them" (or "Data
    not pulled"), exit 3 only when a gate failed. Committed results out of date with
    `ci.fail-on-stale-results`: "❌ Committed results out of date; ...", exit 3.
    """
    total = len(gates)
    failed = sum(1 for g in gates if not g.passed)
    ok, phrase = _gates_phrase(gates) if total else (True, "No quality gates configured")
    code = GATE_FAILED if failed else 0
    if stale is not None:
        on_them = f"{_lower(phrase)} on them" if total else "no quality gates configured"
        return Verdict(f"⚠️ {stale.headline}, not a verdict: {on_them}", failed, total, False, code)
    if committed is not None and fail_on_committed:
        rest = f"; {_lower(phrase)}" if total else ""
        return Verdict(f"❌ Committed results out of date{rest}", failed, total, False, GATE_FAILED, True)
    if not total:
        return Verdict(phrase, 0, 0, True, 0)
    return Verdict(f"{'✅' if ok else '❌'} {phrase}", failed, total, ok, code)
