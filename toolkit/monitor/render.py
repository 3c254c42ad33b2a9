"""Drift results as a terminal table and as Markdown: verdict, drifted columns first, a chart each.

Column names and values come from the data files, so they are escaped everywhere (markdown.py),
and chart labels go through plots.py's Mermaid rules and palette (grey reference, red current).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from toolkit.inert import markdown_document
from toolkit.markdown import escape, table
from toolkit.metrics import is_finite_number
from toolkit.monitor.columns import clip
from toolkit.monitor.drift import ColumnResult, DatasetResult, Distribution
from toolkit.monitor.production import Production
from toolkit.monitor.stattests import TESTS
from toolkit.plots import PALETTE_LINE, md_name, mermaid_label, mermaid_number
from toolkit.results import Comparison, GateResult

MAX_CHARTS = 10
#: Characters of the Markdown table of columns: with the charts, the report stays well inside
#: the 65,536 characters of a GitHub issue or comment however many columns the tables have.
TABLE_BUDGET = 40_000


@dataclass(frozen=True)
class MonitorResult:
    """Everything `toolkit monitor` found."""

    production: Production
    data: DatasetResult
    prediction: ColumnResult | None = None
    prediction_note: str | None = None
    comparison: Comparison | None = None  # production metrics vs the batch's
    gates: list[GateResult] | None = None
    performance_note: str | None = None
    labelled_rows: int = 0

    @property
    def findings(self) -> list[str]:
        """What alerts: data drift, prediction drift, performance decay (a failed gate)."""
        found = {
            "data drift": self.data.dataset_drift,
            "prediction drift": bool(self.prediction and self.prediction.drift),
            "performance decay": any(not g.passed for g in self.gates or []),
        }
        return [name for name, on in found.items() if on]

    @property
    def alert(self) -> bool:
        """Data drift, prediction drift or a failed gate."""
        return bool(self.findings)


def safe_name(text: object) -> str:
    """A column or file name from the data: inline code or escaped text, never a link or @mention."""
    return md_name(text)


def number(value: float | None) -> str:
    """A score or share: 4 significant digits, exponent for tiny p-values, "–" when absent."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if abs(value) < 1e-4:
        return f"{value:.2e}"
    return f"{value:.4g}"


def verdict(result: DatasetResult) -> str:
    """One sentence: does the dataset drift, and how many columns do."""
    n, total = len(result.drifted), len(result.tested)
    share = (
        f"{n} of {total} columns drifted ({result.share:.0%}; "
        f"the dataset drifts at {result.share_threshold:.0%})"
    )
    return ("Dataset drift detected: " if result.dataset_drift else "No dataset drift: ") + share + "."


def _rule(c: ColumnResult) -> str:
    if c.test is None or c.threshold is None:
        return "–"
    return ("p < " if TESTS[c.test].p_value else "≥ ") + number(c.threshold)


def _ordered(result: DatasetResult) -> list[ColumnResult]:
    return [*result.worst_first, *(c for c in result.columns if not c.drift)]


def text(result: DatasetResult) -> str:
    """A plain table for the terminal."""
    rows = [("column", "type", "test", "score", "drift when", "drift", "PSI")]
    for c in _ordered(result):
        rows.append(
            (
                clip(c.name) + (" (target)" if c.target else ""),
                c.type,
                c.test or "–",
                number(c.score),
                _rule(c),
                "DRIFT" if c.drift else ("-" if c.test else "not tested"),
                number(c.psi),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        verdict(result),
        f"reference: {result.reference} ({result.reference_rows} rows)",
        f"current:   {result.current} ({result.current_rows} rows)",
        "",
    ]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines += [f"note: {clip(c.name)}: {c.note}" for c in result.columns if c.note]
    return "\n".join(lines)


def markdown(result: DatasetResult, *, heading: str = "###") -> str:
    """The Markdown section: verdict, the table (drifted columns first), a chart per drifted column."""
    icon = "🔴" if result.dataset_drift else "🟢"
    parts = [
        f"{icon} **{escape(verdict(result))}**",
        f"Reference {safe_name(result.reference)} ({result.reference_rows} rows) vs current "
        f"{safe_name(result.current)} ({result.current_rows} rows).",
    ]
    from toolkit.report import size

    rows, used = [], 0
    ordered = _ordered(result)
    for c in ordered:
        name = safe_name(c.name) + (" (target)" if c.target else "")
        status = "**drift**" if c.drift else ("no drift" if c.test else escape(c.note or "not tested"))
        test = escape(TESTS[c.test].label) if c.test else "–"
        row = [name, c.type, test, number(c.score), escape(_rule(c)), status, number(c.psi)]
        used += sum(size(cell) + 3 for cell in row) + 2
        if used > TABLE_BUDGET:
            break
        rows.append(row)
    parts.append(table(["Column", "Type", "Test", "Score", "Drift when", "Result", "PSI"], rows, "lllrlrr"))
    if len(rows) < len(ordered):
        hidden = ordered[len(rows) :]
        drifted = sum(c.drift for c in hidden)
        parts.append(
            f"<sub>{len(hidden):,} more columns ({drifted:,} of them drifted) are left out to keep "
            "the report within GitHub's 65,536-character limit; `toolkit drift --json` lists every "
            "column.</sub>"
        )
    charts = [c for c in result.worst_first if c.distribution is not None]
    if charts:
        parts.append(f"{heading} Drifted columns")
        for c in charts[:MAX_CHARTS]:
            assert c.distribution is not None
            parts.append(f"{heading}# {safe_name(c.name)}\n\n" + chart(c.name, c.distribution))
        if len(charts) > MAX_CHARTS:
            where = "in the table" if len(rows) == len(ordered) else "in the table or left out of it"
            parts.append(
                f"<sub>The {MAX_CHARTS} most shifted (highest PSI) are drawn; "
                f"{len(charts) - MAX_CHARTS:,} more drifted columns are {where}.</sub>"
            )
    return "\n\n".join(parts) + "\n"


def chart(name: str, dist: Distribution) -> str:
    """A Mermaid xychart: share of rows per bin or category, reference grey, current red.

    Two lines, as in the PR report's charts (xychart-beta would draw two bar series on top of
    each other); the palette directive and label rules are plots.py's.
    """
    labels: list[str] = []
    for label in dist.labels:
        quoted = mermaid_label(label, 16)
        n = 2
        while quoted in labels:  # Mermaid merges categories with the same label
            quoted = mermaid_label(f"{label} ({n})", 16)
            n += 1
        labels.append(quoted)
    top = max([*dist.reference, *dist.current, 0.01])
    title = mermaid_label(f"{name} - reference grey, current red", 120)
    lines = [
        "```mermaid",
        PALETTE_LINE,
        "xychart-beta",
        f"    title {title}",
        f"    x-axis {mermaid_label(name, 40)} [{', '.join(labels)}]",
        f'    y-axis "share of rows" 0 --> {mermaid_number(min(1.0, top * 1.1), 2)}',
        f"    line [{', '.join(mermaid_number(v, 3) for v in dist.reference)}]",
        f"    line [{', '.join(mermaid_number(v, 3) for v in dist.current)}]",
        "```",
    ]
    return "\n".join(lines)


# -- toolkit monitor's report ---------------------------------------------------------------------


def monitor_markdown(result: MonitorResult, *, run_url: str | None = None) -> str:
    """The monitoring report: verdict, data drift (drifted columns first), predictions, performance."""
    from toolkit.report import format_revision

    prod = result.production
    icon = "🔴" if result.alert else "🟢"
    headline = f"{_and(result.findings)} detected" if result.alert else "no drift"
    lines = [f"## {icon} Model monitoring: {headline}", ""]
    where = format_revision(prod.revision)
    lines.append(
        f"- **Data drift**: {escape(verdict(result.data))} (current batch vs the training data of {where})"
    )
    if result.prediction is not None:
        p = result.prediction
        state = "**drift**" if p.drift else "no drift"
        lines.append(
            f"- **Prediction drift**: {state} ({escape(TESTS[p.test or 'ks'].label)} {number(p.score)})"
        )
    else:
        lines.append(f"- **Prediction drift**: not checked: {escape(result.prediction_note or 'no model')}")
    if result.gates is not None:
        failed = [g for g in result.gates if not g.passed]
        state = f"**{len(failed)} gate(s) failed**" if failed else f"{len(result.gates)} gate(s) passed"
        lines.append(f"- **Performance** on {result.labelled_rows} labelled rows: {state}")
    else:
        lines.append(f"- **Performance**: not checked: {escape(result.performance_note or 'no target')}")
    parts = ["\n".join(lines), "### Data drift\n\n" + markdown(result.data, heading="###")]
    if result.prediction is not None and result.prediction.distribution is not None:
        parts.append("### Prediction drift\n\n" + chart("prediction", result.prediction.distribution))
    if result.comparison is not None:
        rows = []
        for e in result.comparison.metrics:
            rows.append([safe_name(e.key), number(_num(e.old)), number(_num(e.new)), number(_num(e.diff))])
        perf = [table(["Metric", f"Production ({escape(prod.name)})", "Batch", "Change"], rows, "lrrr")]
        for g in result.gates or []:
            perf.append(f"- {'✅' if g.passed else '❌'} {escape(g.reason)}")
        if result.performance_note:
            perf.append(f"> {escape(result.performance_note)}")
        parts.append("### Performance on the batch\n\n" + "\n".join(perf[:1]) + "\n\n" + "\n".join(perf[1:]))
    if run_url:
        parts.append(f"<sub>[Workflow run]({run_url})</sub>")
    return markdown_document("\n\n".join(p.rstrip() for p in parts) + "\n")  # the issue body, checked whole


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not is_finite_number(value) and isinstance(value, int):  # beyond float range: the float it rounds to
        return math.inf if value > 0 else -math.inf
    return float(value)
