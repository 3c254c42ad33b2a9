"""Drift results as a terminal table and as Markdown: verdict, drifted columns first, a chart each.

Column names and values come from the data files, so they are escaped everywhere (markdown.py),
and chart labels go through plots.py's Mermaid rules and palette (grey reference, red current).
"""

from __future__ import annotations

from toolkit.markdown import escape, table
from toolkit.monitor.drift import ColumnResult, DatasetResult, Distribution
from toolkit.monitor.stattests import TESTS
from toolkit.plots import PALETTE_LINE, md_name, mermaid_label, mermaid_number

MAX_CHARTS = 10


def safe_name(text: object) -> str:
    """A column or file name from the data: inline code or escaped text, never a link or @mention."""
    # A zero-width space after `@` keeps GitHub from notifying whoever the data names.
    return md_name(text).replace("@", "@\u200b")


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
    return [*result.drifted, *(c for c in result.columns if not c.drift)]


def text(result: DatasetResult) -> str:
    """A plain table for the terminal."""
    rows = [("column", "type", "test", "score", "drift when", "drift", "PSI")]
    for c in _ordered(result):
        rows.append(
            (
                c.name + (" (target)" if c.target else ""),
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
    lines += [f"note: {c.name}: {c.note}" for c in result.columns if c.note]
    return "\n".join(lines)


def markdown(result: DatasetResult, *, heading: str = "###") -> str:
    """The Markdown section: verdict, the table (drifted columns first), a chart per drifted column."""
    icon = "🔴" if result.dataset_drift else "🟢"
    parts = [
        f"{icon} **{escape(verdict(result))}**",
        f"Reference {safe_name(result.reference)} ({result.reference_rows} rows) vs current "
        f"{safe_name(result.current)} ({result.current_rows} rows).",
    ]
    rows = []
    for c in _ordered(result):
        name = safe_name(c.name) + (" (target)" if c.target else "")
        status = "**drift**" if c.drift else ("no drift" if c.test else escape(c.note or "not tested"))
        test = escape(TESTS[c.test].label) if c.test else "–"
        rows.append([name, c.type, test, number(c.score), escape(_rule(c)), status, number(c.psi)])
    parts.append(table(["Column", "Type", "Test", "Score", "Drift when", "Result", "PSI"], rows, "lllrlrr"))
    charts = [c for c in result.drifted if c.distribution is not None]
    if charts:
        parts.append(f"{heading} Drifted columns")
        for c in charts[:MAX_CHARTS]:
            assert c.distribution is not None
            parts.append(f"{heading}# {safe_name(c.name)}\n\n" + chart(c.name, c.distribution))
        if len(charts) > MAX_CHARTS:
            parts.append(f"<sub>{len(charts) - MAX_CHARTS} more drifted columns not drawn.</sub>")
    return "\n\n".join(parts) + "\n"


def chart(name: str, dist: Distribution) -> str:
    """A Mermaid xychart: share of rows per bin or category, reference grey bars, current red line.

    xychart-beta draws two bar series on top of each other, so the current side is a line.
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
    title = mermaid_label(f"{name} - reference grey bars, current red line", 120)
    lines = [
        "```mermaid",
        PALETTE_LINE,
        "xychart-beta",
        f"    title {title}",
        f"    x-axis {mermaid_label(name, 40)} [{', '.join(labels)}]",
        f'    y-axis "share of rows" 0 --> {mermaid_number(min(1.0, top * 1.1), 2)}',
        f"    bar [{', '.join(mermaid_number(v, 3) for v in dist.reference)}]",
        f"    line [{', '.join(mermaid_number(v, 3) for v in dist.current)}]",
        "```",
    ]
    return "\n".join(lines)
