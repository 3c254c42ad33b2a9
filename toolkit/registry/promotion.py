"""Promotion gates: the candidate version's metrics against the version that holds the stage now.

The rules are `toolkit.yaml`'s `gates:` plus `promotion: {STAGE: [gates]}`, evaluated by
`toolkit.gates` on a comparison whose base is the stage's holder and whose head is the candidate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.config import Config
from toolkit.registry.state import Version
from toolkit.results import Comparison, GateResult


@dataclass(frozen=True)
class Evaluation:
    """The gate results of one promotion (empty when no gate applies)."""

    results: list[GateResult]
    comparison: Comparison | None

    @property
    def failed(self) -> list[GateResult]:
        """The gates that did not pass."""
        return [r for r in self.results if not r.passed]


def revision(name: str, version: Version) -> str:
    """How to name a version as a revision (NAME@vX.Y.Z, or the commit of an unregistered one)."""
    return f"{name}@{version.version}" if version.registered and version.active else version.commit


def evaluate(
    root: Path,
    config: Config,
    stage: str,
    name: str,
    candidate: Version,
    holder: Version | None,
    environ: Mapping[str, str],
) -> Evaluation:
    """Evaluate the promotion gates of `stage`; without a holder only absolute rules can fail."""
    from toolkit import compare, gates

    rules = config.promotion_gates(stage)
    if not rules.gates:
        return Evaluation([], None)
    head = revision(name, candidate)
    # Without a holder the candidate is its own base: drops are 0, min/max still apply.
    base = revision(name, holder) if holder is not None else head
    comparison = compare.compare(root, base, head, environ=environ, config=rules, with_plots=False)
    return Evaluation(gates.evaluate(rules, comparison), comparison)


def failure_lines(failed: Sequence[GateResult]) -> list[str]:
    """One line per failed gate, for the tag message."""
    return [f"- {r.metric} {r.rule}: {' '.join(r.reason.split())}" for r in failed]
