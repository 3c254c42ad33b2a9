"""Plot rows -> Markdown: Mermaid `xychart-beta` charts for curves and bar series, tables for
confusion matrices, names for images. No image hosting and no Node toolchain.

The chart text (numbers Mermaid's lexer accepts, quoted labels, power-of-ten units) is written by
`toolkit.mermaid`. Rows whose value is NaN, infinite or an integer beyond float range cannot be
placed on an axis: they are left out, and a line under the chart says so.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from toolkit.markdown import code, escape
from toolkit.mermaid import PALETTE_LINE as PALETTE_LINE
from toolkit.mermaid import POINTS, axis_title, exponent_for, mermaid_label, nice_grid, shift, xychart
from toolkit.mermaid import mermaid_number as mermaid_number
from toolkit.metrics import format_number, is_finite_number
from toolkit.results import PlotData, PlotDef, Problem, Revision

MAX_CATEGORIES = 20  # bar series / confusion classes shown
_CONFUSION_TEMPLATES = frozenset({"confusion", "confusion_normalized"})
_SCATTER_TEMPLATES = frozenset({"scatter", "scatter_jitter"})

Kind = Literal["chart", "table", "image", "note"]


@dataclass(frozen=True)
class RenderedPlot:
    """One plot as Markdown, ready to go under its heading."""

    id: str
    title: str
    kind: Kind
    markdown: str


_WHY = {"not-in-cache": "not in the local DVC cache", "unreadable": "unreadable", "missing": "missing"}


def render_plots(
    plots: Sequence[PlotData], base: Revision, head: Revision, problems: Sequence[Problem] = ()
) -> list[RenderedPlot]:
    """Every plot, in the order given, as Markdown; `problems` say why a side has no data."""
    reasons: dict[tuple[str, bool], str] = {}
    for problem in problems:  # at base when named as the base is, else at head
        side = (problem.path, problem.revision == base.name)
        reasons.setdefault(side, _WHY.get(problem.kind, problem.kind))
    out: list[RenderedPlot] = []
    for plot in plots:
        path = plot.definition.path
        why = (reasons.get((path, True)), reasons.get((path, False)))
        try:
            out.extend(render_plot(plot, base, head, why))
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            # Plot files are free-form data: one odd file must not cost the whole report.
            d = plot.definition
            note = f"{md_name(d.path)} could not be drawn ({escape(type(exc).__name__)}: {escape(exc)})."
            out.append(RenderedPlot(d.id, d.title or d.id, "note", note))
    return out


def render_plot(
    plot: PlotData, base: Revision, head: Revision, why: tuple[str | None, str | None] = (None, None)
) -> list[RenderedPlot]:
    """One plot definition as one chart per y field (or a table, or a note).

    `why` says why base or head has no rows (not in the local DVC cache, unreadable, missing).
    """
    d = plot.definition
    title = d.title or d.id
    if d.image:
        return [
            RenderedPlot(
                d.id, title, "image", f"Image {md_name(d.path)}: not uploaded; see the file in the branch."
            )
        ]
    if plot.base is None and plot.head is None:
        if why[0] or why[1]:
            sides = (
                f"at base and head ({why[0]})" if why[0] == why[1]
                else f"at base ({why[0] or 'absent'}) and head ({why[1] or 'absent'})"
            )
            note = f"Not drawn: {md_name(d.path)} {sides}; see the warning above."
            return [RenderedPlot(d.id, title, "note", note)]
        return [RenderedPlot(d.id, title, "note", f"No data in {md_name(d.path)} at either revision.")]
    base_rows = None if plot.base is None else [r for r in plot.base if isinstance(r, dict)]
    head_rows = None if plot.head is None else [r for r in plot.head if isinstance(r, dict)]
    rows_base = base_rows or []
    rows_head = head_rows or []
    x_field = _x_field(d, rows_base, rows_head)
    y_fields = _y_fields(d, rows_base, rows_head, x_field)
    if not y_fields:
        return [RenderedPlot(d.id, title, "note", f"No y field found in {md_name(d.path)}.")]
    rows = rows_base + rows_head
    categorical = (
        x_field is not None
        and not _is_numeric_column(rows, x_field)
        and not _is_numeric_column(rows, y_fields[0])
    )
    if d.template in _CONFUSION_TEMPLATES or categorical:  # two class columns: count the pairs
        from toolkit.confusion import confusion_table

        md = confusion_table(d, base_rows, head_rows, x_field, y_fields[0], base, head, why)
        return [RenderedPlot(d.id, title, "table", md)]
    if d.template in _SCATTER_TEMPLATES:
        n = len(rows_head or rows_base)
        return [
            RenderedPlot(d.id, title, "note", f"Scatter plot of {n} points in {md_name(d.path)}: not drawn.")
        ]
    out = []
    for y_field in y_fields:
        chart_title = title if len(y_fields) == 1 else f"{title}: {y_field}"
        md = chart(
            d,
            base_rows,
            head_rows,
            x_field,
            y_field,
            base,
            head,
            title=chart_title,
            why=why,
        )
        out.append(RenderedPlot(d.id, chart_title, "chart" if md.startswith("```") else "note", md))
    return out


def md_name(text: object, max_len: int = 200) -> str:
    """A name as inline code, or as escaped text when it holds `<`/`>` (so no raw tag appears)."""
    s = str(text)
    if len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return escape(s) if "<" in s or ">" in s else code(s)


# --- fields ------------------------------------------------------------------------------------


def _x_field(d: PlotDef, *row_sets: list[dict[str, Any]]) -> str | None:
    """The x field; None means the row index (DVC's default x, `step`, when rows have none)."""
    if d.x:
        return d.x
    for rows in row_sets:
        if rows and "step" in rows[0]:
            return "step"
    return None


def _y_fields(
    d: PlotDef, rows_base: list[dict[str, Any]], rows_head: list[dict[str, Any]], x_field: str | None
) -> list[str]:
    if d.y:
        return list(d.y)
    for rows in (rows_head, rows_base):
        if rows:
            fields = [k for k in rows[0] if k != x_field]
            if fields:
                return [fields[-1]]  # DVC's default y: the last field
    return []


def to_float(value: Any) -> float | None:
    """A finite float from a JSON number or CSV text; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if not is_finite_number(value):  # NaN, infinite, or an integer beyond float range
            return None
        f = float(value)
    elif isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return f if math.isfinite(f) else None


def _is_numeric_column(rows: Sequence[dict[str, Any]], field: str | None) -> bool:
    if field is None:
        return True
    values = [r.get(field) for r in rows if isinstance(r, dict) and r.get(field) is not None]
    return bool(values) and all(to_float(v) is not None or _non_finite(v) for v in values)


def _non_finite(value: Any) -> bool:
    """NaN/Infinity as JSON or CSV gives them (scikit-learn's first ROC threshold is inf), or an
    integer beyond float range."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not is_finite_number(value)
    if isinstance(value, str):
        return value.strip().lower() in {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}
    return False


# --- curves ------------------------------------------------------------------------------------


def _points(
    rows: Sequence[dict[str, Any]], x_field: str | None, y_field: str
) -> tuple[list[tuple[float, float]], list[str]]:
    """The finite (x, y) points sorted by x, and for each row left out because its x or y is not
    finite, that field."""
    pts = []
    left_out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        raw_x = i if x_field is None else row.get(x_field)
        raw_y = row.get(y_field)
        x, y = to_float(raw_x), to_float(raw_y)
        if x is not None and y is not None:
            pts.append((x, y))
        elif _non_finite(raw_y):
            left_out.append(y_field)
        elif x_field is not None and _non_finite(raw_x):
            left_out.append(x_field)
    pts.sort(key=lambda p: p[0])  # stable: ties keep file order (ROC steps stay in order)
    return pts, left_out


def left_out_note(left_out: Sequence[Sequence[str]]) -> str:
    """The line under a chart that says which rows of base and head it leaves out and why ("" when
    none); `left_out` holds, per side, the field that is not finite in each row left out."""
    total = sum(len(fields) for fields in left_out)
    if not total:
        return ""
    counts = zip(("base", "head"), (len(fields) for fields in left_out), strict=True)
    sides = ", ".join(f"{side} {n}" for side, n in counts if n)
    names = " or ".join(md_name(f) for f in dict.fromkeys(f for fields in left_out for f in fields))
    rows = "row" if total == 1 else "rows"
    return (
        f"\n\n<sub>{total} {rows} not drawn ({sides}): {names} is infinite, not a number or beyond float "
        "range there, which no axis can show.</sub>"
    )


def interpolate(points: Sequence[tuple[float, float]], x: float) -> float:
    """Piecewise-linear y at x; flat beyond the ends; at a repeated x the last point wins."""
    xs = [p[0] for p in points]
    i = bisect_right(xs, x)
    if i == 0:
        return points[0][1]
    if i == len(points):
        return points[-1][1]
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    if x1 == x0:
        return y1
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def chart(
    d: PlotDef,
    rows_base: list[dict[str, Any]] | None,
    rows_head: list[dict[str, Any]] | None,
    x_field: str | None,
    y_field: str,
    base: Revision,
    head: Revision,
    *,
    title: str,
    points: int = POINTS,
    why: tuple[str | None, str | None] = (None, None),
) -> str:
    """A ```mermaid xychart-beta block (or a one-line note when there is nothing to draw)."""
    both = [r for r in (rows_base, rows_head) if r]
    if all(_is_numeric_column(rows, x_field) and _is_numeric_column(rows, y_field) for rows in both):
        return _curve_chart(d, rows_base, rows_head, x_field, y_field, base, head, title, points, why)
    return _bar_chart(d, rows_base, rows_head, x_field, y_field, base, head, title, why)


def _legend(
    title: str, base: Revision, head: Revision, sides: tuple[bool, bool],
    why: tuple[str | None, str | None] = (None, None),
) -> str:
    """The chart title, which must say which colour is which (xychart-beta draws no legend)."""
    # Shorten the plot's own title, never the colour key after it.
    short = mermaid_label(title, 40)[1:-1]
    b, h = _side_name(base), _side_name(head)
    if all(sides):
        return f"{short} - base {b} grey, head {h} red"
    if sides[0]:
        return f"{short} - base {b} only ({f'head: {why[1]}' if why[1] else 'no data at head'})"
    return f"{short} - head {h} only ({f'base: {why[0]}' if why[0] else 'no data at base'})"


def _side_name(rev: Revision) -> str:
    """A commit by its short sha; the workspace by the branch it is on, when known."""
    if rev.sha or rev.name in ("", "workspace"):
        return rev.short
    return mermaid_label(rev.name, 30)[1:-1]


def _curve_chart(
    d: PlotDef,
    rows_base: list[dict[str, Any]] | None,
    rows_head: list[dict[str, Any]] | None,
    x_field: str | None,
    y_field: str,
    base: Revision,
    head: Revision,
    title: str,
    points: int,
    why: tuple[str | None, str | None],
) -> str:
    found = [_points(rows, x_field, y_field) if rows else ([], []) for rows in (rows_base, rows_head)]
    sides = [pts for pts, _ in found]
    left_out = left_out_note([fields for _, fields in found])
    present = [bool(s) for s in sides]
    if not any(present):
        return f"No finite {md_name(y_field)} values in {md_name(d.path)} to draw." + left_out
    unit = _unit_square(d, x_field, y_field, sides)  # ROC, precision-recall: both axes 0 to 1
    x_exp = 0 if unit else exponent_for([p[0] for s in sides for p in s])
    y_exp = 0 if unit else exponent_for([p[1] for s in sides for p in s])
    ranges = [(s[0][0], s[-1][0]) if s else (0.0, 0.0) for s in sides]
    if x_exp or y_exp:  # very large or small numbers: draw them in units of a power of ten
        sides = [[(shift(x, x_exp), shift(y, y_exp)) for x, y in s] for s in sides]
    all_x = [p[0] for s in sides for p in s]
    # Category labels on round x values rather than a numeric `lo --> hi` axis: Mermaid releases
    # place the points of a numeric axis in three different ways (some drop or squeeze points),
    # while every release puts one value on each category.
    labels = nice_grid(0.0, 1.0, points) if unit else nice_grid(min(all_x), max(all_x), points)
    grid = [float(label) for label in labels]
    x_title = axis_title(d.x_label or x_field or "step", x_exp)
    x_axis = f"x-axis {x_title} [{', '.join(mermaid_label(x) for x in labels)}]"
    y_label = d.y_label or y_field
    series = [[interpolate(s, x) for x in grid] for s in sides if s]
    values = [v for s in series for v in s]
    note = ""
    if all(present) and ranges[0] != ranges[1]:
        shown = [format_number(v) for r in ranges for v in r]
        note = (
            f"\n\n<sub>x ranges differ (base {shown[0]}–{shown[1]}, head {shown[2]}–{shown[3]}); "
            "each line is held flat beyond its own data.</sub>"
        )
    legend = _legend(title, base, head, (present[0], present[1]), why)
    y_range = (0.0, 1.0) if unit else (min(values), max(values))
    return xychart(legend, x_axis, y_label, series, y_range, pinned=unit, y_exponent=y_exp) + note + left_out


#: Rates and probabilities between 0 and 1: a curve of two of them (ROC: fpr/tpr; precision-recall;
#: DET: fpr/fnr) is drawn on the unit square, so curves of different runs compare by eye.
RATE_FIELDS = frozenset(
    "fpr tpr fnr tnr recall precision sensitivity specificity false_positive_rate true_positive_rate "
    "false_negative_rate true_negative_rate".split()
)


def _unit_square(
    d: PlotDef, x_field: str | None, y_field: str, sides: Sequence[Sequence[tuple[float, float]]]
) -> bool:
    """True for a curve of two rates (by field name) whose values all lie in [0, 1]."""
    if x_field is None or x_field.lower() not in RATE_FIELDS or y_field.lower() not in RATE_FIELDS:
        return False
    return all(0.0 <= v <= 1.0 for s in sides for point in s for v in point)


def _bar_chart(
    d: PlotDef,
    rows_base: list[dict[str, Any]] | None,
    rows_head: list[dict[str, Any]] | None,
    x_field: str | None,
    y_field: str,
    base: Revision,
    head: Revision,
    title: str,
    why: tuple[str | None, str | None] = (None, None),
) -> str:
    # One field names categories, the other holds the numbers (bar_horizontal puts them the
    # other way round); with no numbers at all there is nothing to draw.
    rows = [r for r in (rows_base or []) + (rows_head or []) if isinstance(r, dict)]
    cat_field, val_field = x_field, y_field
    if not _is_numeric_column(rows, val_field) and x_field is not None and _is_numeric_column(rows, x_field):
        cat_field, val_field = y_field, x_field
    if cat_field is None or not _is_numeric_column(rows, val_field):
        return (
            f"{md_name(d.path)}: neither {md_name(x_field)} nor {md_name(y_field)} holds numbers; not drawn."
        )
    # A category is drawn when some side gives it a finite value; a row whose value is NaN,
    # infinite or beyond float range is left out (and counted, for the note under the chart).
    categories: list[str] = []
    for r in rows:
        c = str(r.get(cat_field))
        if c not in categories and to_float(r.get(val_field)) is not None:
            categories.append(c)
    dropped = max(0, len(categories) - MAX_CATEGORIES)
    categories = categories[:MAX_CATEGORIES]
    series = []
    present = []
    left_out: list[list[str]] = [[], []]
    for i, side in enumerate((rows_base, rows_head)):
        if not side:
            present.append(False)
            continue
        values: dict[str, float] = {}
        for r in side:
            if isinstance(r, dict):
                v = to_float(r.get(val_field))
                if v is not None:
                    values.setdefault(str(r.get(cat_field)), v)
                elif _non_finite(r.get(val_field)):
                    left_out[i].append(val_field)
        present.append(True)
        series.append([values.get(c, 0.0) for c in categories])
    note = left_out_note(left_out)
    if not series or not categories:
        return f"No data to draw in {md_name(d.path)}." + note
    x_axis = f"x-axis {axis_title(d.x_label or cat_field)} [{', '.join(_category_labels(categories))}]"
    y_exp = exponent_for([v for s in series for v in s])
    series = [[shift(v, y_exp) for v in s] for s in series]
    flat = [v for s in series for v in s]
    block = xychart(
        _legend(title, base, head, (present[0], present[1]), why),
        x_axis,
        d.y_label or val_field,
        series,
        (min(flat), max(flat)),
        y_exponent=y_exp,
    )
    if dropped:
        block += f"\n\n<sub>{dropped} more categories not drawn.</sub>"
    return block + note


def _category_labels(categories: Sequence[str]) -> list[str]:
    """Short quoted labels, all different (Mermaid merges categories with the same label)."""
    labels: list[str] = []
    for c in categories:
        label = mermaid_label(c, 16)
        n = 2
        while label in labels:
            label = mermaid_label(f"{c[:12]} ({n})", 18)
            n += 1
        labels.append(label)
    return labels
