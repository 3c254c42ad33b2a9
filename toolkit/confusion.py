"""Confusion matrices as Markdown tables: counts per (actual, predicted) class, base against head."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from toolkit.markdown import escape
from toolkit.plots import MAX_CATEGORIES, md_name, to_float
from toolkit.results import PlotDef, Revision


def _counts(rows: Sequence[dict[str, Any]], x: str, y: str) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for r in rows:
        if isinstance(r, dict):
            k = (str(r.get(x)), str(r.get(y)))
            out[k] = out.get(k, 0) + 1
    return out


def _class_order(labels: set[str]) -> list[str]:
    def key(s: str) -> tuple[int, float, str]:
        f = to_float(s)
        return (0, f, s) if f is not None else (1, 0.0, s)

    return sorted(labels, key=key)


def confusion_table(
    d: PlotDef,
    rows_base: list[dict[str, Any]] | None,
    rows_head: list[dict[str, Any]] | None,
    x_field: str | None,
    y_field: str,
    base: Revision,
    head: Revision,
    why: tuple[str | None, str | None] = (None, None),
) -> str:
    """Counts per (actual, predicted) as a Markdown table, cells `base → head` where they differ.

    `why` says why base or head has no rows (not in the local DVC cache, unreadable, missing).
    """
    x = x_field or "actual"
    counts_base = _counts(rows_base or [], x, y_field)
    counts_head = _counts(rows_head or [], x, y_field)
    labels = {k[0] for k in (*counts_base, *counts_head)} | {k[1] for k in (*counts_base, *counts_head)}
    classes = _class_order(labels)
    dropped = max(0, len(classes) - MAX_CATEGORIES)
    classes = classes[:MAX_CATEGORIES]
    corner = f"{escape(d.x_label or x)} ↓ / {escape(d.y_label or y_field)} →"
    header = "| " + " | ".join([corner, *(md_name(c) for c in classes)]) + " |"
    sep = "| --- |" + " ---: |" * len(classes)
    lines = [header, sep]
    for actual in classes:
        cells = [md_name(actual)]
        for predicted in classes:
            b = counts_base.get((actual, predicted), 0) if rows_base is not None else None
            h = counts_head.get((actual, predicted), 0) if rows_head is not None else None
            if b is None:
                cells.append(str(h))
            elif h is None:
                cells.append(str(b))
            elif b == h:
                cells.append(str(h))
            else:
                cells.append(f"{b} → **{h}**")
        lines.append("| " + " | ".join(cells) + " |")
    if rows_base is not None and rows_head is not None:
        caption = (
            f"Counts at head {escape(head.short)}; `base → head` where base {escape(base.short)} differs."
        )
    elif rows_head is not None:
        gone = f"base: {why[0]}" if why[0] else "no data at base"
        caption = f"Counts at head {escape(head.short)} ({escape(gone)})."
    else:
        gone = f"head: {why[1]}" if why[1] else "no data at head"
        caption = f"Counts at base {escape(base.short)} ({escape(gone)})."
    if dropped:
        caption += f" {dropped} more classes not shown."
    return "\n".join(lines) + "\n\n" + caption
