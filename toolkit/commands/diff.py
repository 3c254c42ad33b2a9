"""`toolkit diff`: metrics and params of two revisions as a terminal table, JSON or Markdown.

`--json` is `{"metrics": {PATH: {KEY: {old, new, diff, ...}}}, "params": {...}}` with DVC's
`old`/`new`/`diff`, plus `"problems"` when a declared file could not be read. A number that is not
finite is written exactly as DVC writes it, as the tokens `NaN`, `Infinity` and `-Infinity` (which
Python's `json` reads), never as `null`: a diverged metric must not look like an absent one.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit import output
from toolkit.metrics import format_signed, format_value
from toolkit.results import Comparison, Entry, Problem


def run(
    *,
    base: str | None,
    head: str | None,
    show_all: bool,
    fmt: str,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Compare base and head and print the result; 0 on success (errors raise ToolkitError)."""
    from toolkit.compare import compare
    from toolkit.config import load_config
    from toolkit.dvc import find_root

    # A diff allocates tens of thousands of small objects that all live until the end: the
    # cyclic collector's passes over them are pure overhead (~10% at 5,000 keys).
    collecting = gc.isenabled()
    gc.disable()
    try:
        root = find_root(cwd)
        comparison = compare(root, base, head, environ=environ, config=load_config(root), check_stale=True)
        if comparison.stale is not None:
            output.warn(comparison.stale.message())
        warn_problems(comparison.problems)
        if fmt == "json":
            output.write_line(render_json(comparison, show_all=show_all))
        elif fmt == "md":
            output.write_line(render_markdown(comparison, show_all=show_all))
        else:
            output.write_line(render_table(comparison, show_all=show_all))
    finally:
        if collecting:
            gc.enable()
    return 0


def warn_problems(problems: Sequence[Problem]) -> None:
    """One warning per file and kind of problem, naming every revision it happened at."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        groups.setdefault((problem.path, problem.kind), []).append(problem)
    for group in sorted(groups.values(), key=lambda g: g[0].path):
        text = group[0].message
        others = [p.where for p in group[1:] if p.where]
        if others:
            text = f"{text.rstrip('.')} (the same at {', '.join(others)})."
        output.warn(text)


def render_json(comparison: Comparison, *, show_all: bool = False) -> str:
    """The `--json` document, NaN and infinities as DVC's `NaN`/`Infinity`/`-Infinity` tokens."""
    data: dict[str, Any] = comparison.to_json(all=show_all)
    if comparison.stale is not None:
        data["stale"] = comparison.stale.to_json()
    if comparison.problems:
        data["problems"] = [
            {"path": p.path, "revision": p.revision, "kind": p.kind, "message": p.message}
            for p in comparison.problems
        ]
    return json.dumps(data, check_circular=False)


def format_change(entry: Entry) -> str:
    """'+0.0123 (+1.5%) better', 'added', 'removed', 'changed', or '' when unchanged."""
    if entry.status in ("added", "removed"):
        return entry.status
    if entry.status == "unchanged":
        return ""
    if entry.diff is not None:
        text = format_signed(entry.diff)
        if entry.rel is not None:
            from toolkit.metrics import format_percent

            text += f" ({format_percent(entry.rel)})"
        if entry.improved is not None:
            text += " better" if entry.improved else " worse"
        return text
    return "changed" if entry.status == "modified" else ""


def _shown(entries: Sequence[Entry], show_all: bool) -> list[Entry]:
    return [e for e in entries if show_all or e.status != "unchanged"]


_CONTROL = {i: f"\\x{i:02x}" for i in [*range(32), 127]} | {10: "\\n", 13: "\\r", 9: "\\t"}


def _one_line(text: str) -> str:
    """One table line: newlines and terminal control characters (names are data) made visible."""
    return text.translate(_CONTROL)


def render_table(comparison: Comparison, *, show_all: bool = False) -> str:
    """An aligned plain-text table per section (Path, Key, base, head, Change)."""
    base, head = comparison.base, comparison.head
    blocks = []
    for title, entries in (("Metric", comparison.metrics), ("Param", comparison.params)):
        shown = _shown(entries, show_all)
        if not shown:
            continue
        headers = ["Path", title, _rev_title(base), _rev_title(head), "Change"]
        rows = [
            [
                _one_line(e.path),
                _one_line(e.key),
                _one_line(format_value(e.old)),
                _one_line(format_value(e.new)),
                format_change(e),
            ]
            for e in shown
        ]
        widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        blocks.append("\n".join(lines))
    if not blocks:
        return f"No changes in metrics or params between {_rev_title(base)} and {_rev_title(head)}."
    return "\n\n".join(blocks)


def _rev_title(rev: Any) -> str:
    return (
        "workspace"
        if rev.sha is None
        else f"{rev.name}"
        if rev.name == rev.short
        else f"{rev.name} ({rev.short})"
    )


def render_markdown(comparison: Comparison, *, show_all: bool = False) -> str:
    """GitHub tables per section; every name and value is escaped (they are data, not markup)."""
    from toolkit.markdown import escape, table

    base, head = comparison.base, comparison.head
    blocks = []
    for title, entries in (("Metric", comparison.metrics), ("Param", comparison.params)):
        shown = _shown(entries, show_all)
        if not shown:
            continue
        headers = ["Path", title, escape(_rev_title(base)), escape(_rev_title(head)), "Change"]
        rows = [
            [
                escape(e.path),
                escape(e.key),
                escape(format_value(e.old)),
                escape(format_value(e.new)),
                escape(format_change(e)),
            ]
            for e in shown
        ]
        blocks.append(table(headers, rows, "llrrr"))
    if not blocks:
        return (
            f"No changes in metrics or params between {escape(_rev_title(base))} and "
            f"{escape(_rev_title(head))}."
        )
    return "\n\n".join(blocks)
