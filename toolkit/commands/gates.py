"""`toolkit gates`: evaluate the quality gates of toolkit.yaml; exit 3 when one fails."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from toolkit import output
from toolkit.errors import ToolkitError
from toolkit.results import GateResult


def format_table(results: Sequence[GateResult]) -> str:
    """A plain-text table of the results (metric, rule, base, head, result), aligned for a terminal."""
    from toolkit.metrics import format_number

    def cell(value: object) -> str:
        text = "—" if value is None else format_number(value)
        return " ".join(text.split())  # one line, whatever the value holds

    rows = [("metric", "rule", "base", "head", "result")]
    rows += [
        (" ".join(r.metric.split()), r.rule, cell(r.base), cell(r.head), "pass" if r.passed else "FAIL")
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


def print_verdicts(results: Sequence[GateResult]) -> None:
    """A FAIL line per failed gate, and a warning per gate that passed without its check."""
    for r in results:
        text = f"{' '.join(r.reason.split())} (toolkit.yaml line {r.line})"
        if not r.passed:
            output.write_line(f"FAIL: {text}")
        elif r.warning:
            output.warn(text)


def run(
    *, base: str | None, head: str | None, environ: Mapping[str, str], cwd: Path, allow_stale: bool = False
) -> int:
    """Print the gates table and a verdict; return 3 when any gate fails, else 0."""
    from toolkit import compare, gates
    from toolkit.config import load_config
    from toolkit.dvc import find_root
    from toolkit.verdict import judge

    root = find_root(cwd)
    config = load_config(root)
    if not config.gates:
        output.write_line("No quality gates configured; add `gates:` to toolkit.yaml to set some.")
        return 0
    comparison = compare.compare(
        root, base, head, environ=environ, config=config, with_plots=False, check_stale=True
    )
    if comparison.stale is not None:
        if not allow_stale:
            # Gates on results the pipeline no longer produces would pass (or fail) the wrong thing.
            raise ToolkitError(
                f"{comparison.stale.message().rstrip('.')}; the gates were not evaluated "
                "(pass --allow-stale to evaluate them anyway)."
            )
        output.warn(comparison.stale.message())
    from toolkit.commands.diff import warn_problems

    warn_problems(comparison.problems)  # a gate on an unreadable file fails; say why up front
    results = gates.evaluate(config, comparison)
    output.write_line(format_table(results))
    print_verdicts(results)
    verdict = judge(results, stale=comparison.stale)  # the report's headline, word for word
    output.write_line(verdict.headline)
    return verdict.exit_code
