"""The pull-request report: one Markdown body a reviewer reads in ten seconds.

Rendered from the Jinja2 templates in `templates/report/`, with every name (metric, param, path,
branch) passed through an escaping filter, and kept under GitHub's comment limit by collapsing,
then dropping the least important rows with a visible note.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit import marker
from toolkit.config import ReportOptions
from toolkit.errors import ToolkitError
from toolkit.markdown import code, escape
from toolkit.metrics import format_int
from toolkit.plots import md_name
from toolkit.results import Comparison, Entry, GateResult, ReproResult, Revision

if TYPE_CHECKING:  # jinja2 is imported only when a report is rendered
    from jinja2.sandbox import SandboxedEnvironment

    from toolkit.committed import Committed
    from toolkit.plots import RenderedPlot
    from toolkit.verdict import Verdict

LIMIT = 65536
_VALUE_MAX = 40  # characters of a non-numeric value shown in a table cell
_MIN_VISIBLE = 10  # metric rows kept in view however tight the budget
_PROBLEMS_SHOWN = 20
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Production:
    """The version in a registry stage (`report: {production: NAME#STAGE}`) and its metric values."""

    label: str  # e.g. "classifier#prod"
    version: str | None  # None when no version holds the stage yet
    values: Mapping[tuple[str, str], Any]  # (path, key) -> value at that version's commit

    _HEADLINE = 10  # rows: the gated metrics, then the most changed, as the metrics table orders them


def production_values(root: Path, label: str, config: Any, environ: Mapping[str, str]) -> Production:
    """Metric values of the version `label` (NAME#STAGE) names, read from its commit."""
    from toolkit import compare
    from toolkit.errors import RegistryError, RevisionError
    from toolkit.registry import state, tags

    spec = tags.parse_spec(label)
    if spec is None:  # config validation makes this unreachable
        return Production(label, None, {})
    try:
        version, _ = state.load(root).resolve(spec)
    except RegistryError:
        return Production(label, None, {})
    try:
        at = compare.compare(root, version.commit, version.commit, environ=environ, config=config)
    except RevisionError as exc:  # the production commit cannot be fetched: report without it
        from toolkit.output import warn

        warn(f"{label} ({version.version}) is left out of the report: {exc.message}")
        return Production(label, None, {})
    return Production(label, version.version, {(e.path, e.key): e.new for e in at.metrics})


# --- formatting filters ------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """A metric/param value for a table cell: 4 significant digits, "—" when absent, escaped."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return format_int(value)
    if isinstance(value, float):
        return _float(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if len(text) > _VALUE_MAX:
        text = text[: _VALUE_MAX - 1] + "…"
    return md_name(text)


def _float(value: float, sign: bool = False) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return ("+" if sign and value > 0 else "") + ("∞" if value > 0 else "-∞")
    plus = "+" if sign else ""
    if value == 0:
        return "0"
    a = abs(value)
    if 1e-4 <= a < 1e4:
        return f"{value:{plus}.4g}"
    if 1e4 <= a < 1e15:
        return f"{value:{plus}.0f}"
    return f"{value:{plus}.3e}"


def format_change(entry: Entry) -> str:
    """The change column: signed difference, or new/removed/changed for the other cases."""
    if entry.status == "added":
        return "new"
    if entry.status == "removed":
        return "removed"
    if entry.diff is not None:
        if isinstance(entry.diff, int) and not isinstance(entry.diff, bool):
            return format_int(entry.diff, sign=True) if entry.diff else "0"
        return _float(float(entry.diff), sign=True)
    return "changed" if entry.status == "modified" else ""


def format_rel(entry: Entry) -> str:
    """The relative change in percent, "—" when it has no meaning (no base, base 0)."""
    if entry.rel is None or not math.isfinite(entry.rel):
        return "—"
    from toolkit.metrics import format_percent

    return format_percent(entry.rel)


def format_mark(entry: Entry) -> str:
    """🟢 better, 🔴 worse (direction as in `toolkit diff`), blank otherwise."""
    if entry.improved is True:
        return "🟢"
    if entry.improved is False:
        return "🔴"
    return ""


def format_revision(rev: Revision) -> str:
    """`main` (a1b2c3d), or just the short sha / workspace when that is all there is."""
    if rev.is_workspace:
        return "workspace" if rev.name in ("", "workspace") else f"{md_name(rev.name)} (workspace)"
    if not rev.name or (rev.sha and rev.sha.startswith(rev.name)):
        return code(rev.short)
    return f"{md_name(rev.name)} ({code(rev.short)})"


def _safe_url(url: str | None) -> str | None:
    """An http(s) URL made safe inside `[text](url)`, or None."""
    if not url or not url.startswith(("https://", "http://")):
        return None
    out = []
    for c in url:
        if c in "()<>\"'` \\" or not c.isprintable() or c.isspace():
            out.append("".join(f"%{b:02X}" for b in c.encode("utf-8")))
        else:
            out.append(c)
    return "".join(out)


def _safe_dag(dag_md: str | None) -> str | None:
    """`dvc dag --md` output, only when it is one closed mermaid block that cannot break out."""
    if not dag_md:
        return None
    text = dag_md.strip().replace("\r\n", "\n")
    lines = text.split("\n")
    if len(lines) < 3 or lines[0].strip() != "```mermaid" or lines[-1].strip() != "```":
        return None
    inner = lines[1:-1]
    if any("```" in line or "~~~" in line or ("<" in line and "details" in line.lower()) for line in inner):
        return None
    return text


# --- jinja environment -------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    """The one cached sandboxed Jinja environment for the report templates."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from toolkit.resources import templates_dir

    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir() / "report")),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML: the filters below do the escaping
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=escape,
        code=md_name,
        value=format_value,
        change=format_change,
        rel=format_rel,
        mark=format_mark,
        rev=format_revision,
        count=lambda n: f"{n:,}",
    )
    return env


# --- what goes in, and how much of it ----------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """How much of each section is rendered; shrunk step by step to fit the limit."""

    metrics_shown: int
    metrics_extra: int
    params_shown: int
    params_extra: int
    plots: int
    dag: bool
    problems: int


@dataclass(frozen=True)
class _Data:
    metrics: list[Entry]  # most important first
    gated: Mapping[tuple[str, str], int]  # (path, key) -> position of its first gate
    changed_metrics: int
    unchanged_metrics: int
    params: list[Entry]  # changed only
    unchanged_params: int
    plots: list[RenderedPlot]


_DIGITS = re.compile(r"(\d+)")


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key where `class_2` comes before `class_10`."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part)


def _headline(entry: Entry) -> bool:
    """A top-level key or a well-known metric name (accuracy, auc, f1, loss, rmse, ...)."""
    from toolkit.config import is_known_metric

    return "." not in entry.key or is_known_metric(entry.key)


def _metric_order(entry: Entry, gated: Mapping[tuple[str, str], int]) -> tuple[Any, ...]:
    """Gated metrics first (toolkit.yaml order); then changed headline metrics; then the other
    changed ones; unchanged last. Within each: by relative change, worse first, natural order."""
    position = gated.get((entry.path, entry.key))
    if position is not None:
        return (0, float(position))
    if entry.status == "modified" and entry.diff is not None and entry.diff != 0:
        kind = 0
        size = -abs(entry.rel) if entry.rel is not None and math.isfinite(entry.rel) else -math.inf
    elif entry.status in ("added", "removed"):
        kind, size = 1, 0.0
    elif entry.status == "modified":
        kind, size = 2, 0.0
    else:
        return (4, natural(entry.path), natural(entry.key))
    tier = 1 if _headline(entry) else 2
    worse_first = 0 if entry.improved is False else 1
    return (tier, kind, size, worse_first, natural(entry.path), natural(entry.key))


def _prepare(comparison: Comparison, gates: Sequence[GateResult], options: ReportOptions) -> _Data:
    gated: dict[tuple[str, str], int] = {}
    for g in gates:
        if g.path is not None and g.key is not None:
            gated.setdefault((g.path, g.key), len(gated))
    metrics = sorted(comparison.metrics, key=lambda e: _metric_order(e, gated))
    changed = sum(1 for e in metrics if e.status != "unchanged")
    params = sorted((e for e in comparison.params if e.status != "unchanged"), key=lambda e: (e.path, e.key))
    plots: list[RenderedPlot] = []
    if options.plots and comparison.plots:
        from toolkit.plots import render_plots

        plots = render_plots(comparison.plots, comparison.base, comparison.head, comparison.problems)
    return _Data(
        metrics=metrics,
        gated=gated,
        changed_metrics=changed,
        unchanged_metrics=len(metrics) - changed,
        params=params,
        unchanged_params=len(comparison.params) - len(params),
        plots=plots,
    )


def _full_layout(data: _Data, options: ReportOptions, has_dag: bool, problems: int) -> _Layout:
    # In view: gated metrics and changed ones, up to max_rows; the rest collapses into <details>.
    important = sum(1 for e in data.metrics if e.status != "unchanged" or (e.path, e.key) in data.gated)
    shown = min(important, options.max_rows)
    pshown = min(len(data.params), options.max_rows)
    return _Layout(
        metrics_shown=shown,
        metrics_extra=len(data.metrics) - shown,
        params_shown=pshown,
        params_extra=len(data.params) - pshown,
        plots=len(data.plots),
        dag=has_dag,
        problems=problems,
    )


def render(
    comparison: Comparison,
    gates: list[GateResult],
    *,
    options: ReportOptions,
    marker_fields: Mapping[str, str] | None = None,
    repro: ReproResult | None = None,
    run_url: str | None = None,
    dag_md: str | None = None,
    limit: int = LIMIT,
    production: Production | None = None,
    uncommitted: Sequence[str] = (),
    verdict: Verdict | None = None,
    committed: Committed | None = None,
) -> str:
    """The report as Markdown: marker line, verdict, gates, metrics, params, plots, pipeline.

    The verdict is `verdict.judge` of the gates and the comparison's staleness unless given.
    """
    from toolkit import problems as grouping
    from toolkit.verdict import judge

    if verdict is None:
        verdict = judge(gates, stale=comparison.stale)
    data = _prepare(comparison, gates, options)
    dag = _safe_dag(dag_md) if options.dag else None
    problem_groups = grouping.group(comparison.problems)
    fixed = {
        "marker": marker.format_marker(options.id, **(marker_fields or {})),
        "verdict": verdict.headline,
        "comparison": comparison,
        "committed": committed,
        "committed_fails": verdict.committed_fails,
        "gates": gates,
        "failed": [g for g in gates if not g.passed],
        "repro": repro,
        "uncommitted": list(uncommitted),
        "run_url": _safe_url(run_url),
        "dag_md": dag,
        "changed_metrics": data.changed_metrics,
        "unchanged_metrics": data.unchanged_metrics,
        "better": sum(1 for e in data.metrics if e.improved is True),
        "worse": sum(1 for e in data.metrics if e.improved is False),
        "unchanged_params": data.unchanged_params,
        "total_params": len(data.params),
        "total_metrics": len(data.metrics),
        "total_plots": len(data.plots),
        "total_problems": grouping.files(comparison.problems),
        "limit": limit,
        "production": production,
        "production_rows": [
            (e, production.values.get((e.path, e.key))) for e in data.metrics[: Production._HEADLINE]
        ]
        if production is not None
        else [],
    }
    template = environment().get_template("report.md.j2")

    def draw(layout: _Layout) -> str:
        m_end = layout.metrics_shown + layout.metrics_extra
        p_end = layout.params_shown + layout.params_extra
        text = template.render(
            **fixed,
            metrics_shown=data.metrics[: layout.metrics_shown],
            metrics_extra=data.metrics[layout.metrics_shown : m_end],
            metrics_dropped=len(data.metrics) - m_end,
            params_shown=data.params[: layout.params_shown],
            params_extra=data.params[layout.params_shown : p_end],
            params_dropped=len(data.params) - p_end,
            plots=data.plots[: layout.plots],
            plots_dropped=len(data.plots) - layout.plots,
            show_dag=layout.dag and dag is not None,
            problems=problem_groups[: layout.problems],
            problems_dropped=len(problem_groups) - layout.problems,
        )
        # Sections are separated generously in the templates; one blank line is enough.
        return _BLANK_LINES.sub("\n\n", text).strip("\n") + "\n"

    layout = _full_layout(data, options, dag is not None, min(len(problem_groups), _PROBLEMS_SHOWN))
    text = draw(layout)
    if size(text) <= limit:
        return text
    return _fit(draw, layout, limit)


def size(text: str) -> int:
    """Length as GitHub may count it (UTF-16 code units: never less than the characters)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _fit(draw: Any, layout: _Layout, limit: int) -> str:
    """Shrink the layout, least important first, until the report fits."""

    def fits(candidate: _Layout) -> bool:
        return size(draw(candidate)) <= limit

    # 1. Rows collapsed in <details>: keep the same share of the extra metrics and params.
    def extra(keep: float) -> _Layout:
        return replace(
            layout,
            metrics_extra=math.floor(layout.metrics_extra * keep),
            params_extra=math.floor(layout.params_extra * keep),
        )

    if fits(extra(0.0)):
        lo, hi = 0, 1000  # per-mille kept
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(extra(mid / 1000)):
                lo = mid
            else:
                hi = mid - 1
        best = extra(lo / 1000)
        # Fill the remaining room row by row (the per-mille steps are coarse for big tables).
        while best.metrics_extra < layout.metrics_extra and fits(
            replace(best, metrics_extra=best.metrics_extra + 1)
        ):
            best = replace(best, metrics_extra=best.metrics_extra + 1)
        return draw(best)
    layout = extra(0.0)
    # 2. The pipeline graph, then plots from the last.
    layout = replace(layout, dag=False)
    while layout.plots > 0 and not fits(layout):
        layout = replace(layout, plots=layout.plots - 1)
    if fits(layout):
        return str(draw(layout))
    # 3. Rows in view: params first, then metrics down to the most important few.
    layout = replace(layout, params_shown=min(layout.params_shown, _MIN_VISIBLE))
    while layout.metrics_shown > _MIN_VISIBLE and not fits(layout):
        layout = replace(layout, metrics_shown=max(_MIN_VISIBLE, layout.metrics_shown // 2))
    layout = replace(layout, problems=min(layout.problems, 5))
    text = str(draw(layout))
    if size(text) <= limit:
        return text
    return truncate(text, limit)


def truncate(text: str, limit: int) -> str:
    """Cut at a line boundary, close an open code fence or <details>, and say so (last resort)."""
    note = (
        "\n\n**Report truncated** to fit GitHub's 65,536-character limit; "
        "run `toolkit report` for all of it.\n"
    )
    budget = limit - size(note) - 32
    end, used = len(text), 0
    for i, c in enumerate(text):  # the longest prefix that fits, counted as size() counts
        used += 2 if ord(c) > 0xFFFF else 1
        if used > budget:
            end = i
            break
    cut = text[:end]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else cut
    tail = ""
    if cut.count("```") % 2:
        tail += "```\n"
    if cut.count("<details>") > cut.count("</details>"):
        tail += "\n</details>\n"
    return cut + tail + note


def save(path: Path, body: str, *, follow_symlinks: bool = True) -> None:
    """Write the report to `path`, creating its folder; a clear error when that is not possible.

    Without follow_symlinks, neither the file nor its folder may be a symlink (the file is opened
    with O_NOFOLLOW): a default location must not be redirected to overwrite something else.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if follow_symlinks:
            path.write_text(body, encoding="utf-8")
            return
        if path.parent.is_symlink():
            raise ToolkitError(f"{path.parent} is a symlink; refusing to write the report through it.")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as fh:
            fh.write(body)
    except OSError as exc:
        raise ToolkitError(
            f"cannot write the report to {path}: {exc.strerror or exc}; pass -o/--output with a "
            "writable path."
        ) from None
