"""Comparisons built by hand for the gates, plots and report tests (no git, no dvc)."""

from __future__ import annotations

import math
from typing import Any

from toolkit.config import known_direction
from toolkit.results import Comparison, Entry, PlotData, PlotDef, Problem, Revision

BASE = Revision("main", "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
HEAD = Revision("feature", "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
METRICS = "eval/metrics.json"


def entry(path: str, key: str, old: Any, new: Any, *, metric: bool = True) -> Entry:
    """An Entry filled in as the diff engine does (status, diff, rel, direction, improved)."""
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
    if old is None:
        status = "added"
    elif new is None:
        status = "removed"
    elif old == new:
        status = "unchanged"
    else:
        status = "modified"
    diff = new - old if numeric else None
    rel = diff / abs(old) if numeric and old != 0 and diff is not None else None
    direction = known_direction(key) if metric else None
    improved = None
    if direction and diff is not None and diff != 0 and not (isinstance(diff, float) and math.isnan(diff)):
        improved = (diff > 0) == (direction == "higher")
    return Entry(path, key, old, new, status, diff, rel, direction, improved)  # type: ignore[arg-type]


def comparison(
    metrics: dict[str, tuple[Any, Any]] | None = None,
    params: dict[str, tuple[Any, Any]] | None = None,
    *,
    problems: list[Problem] | None = None,
    plots: list[PlotData] | None = None,
    base: Revision = BASE,
    head: Revision = HEAD,
) -> Comparison:
    """A Comparison from {"path:key" or "key": (old, new)} (plain keys go in eval/metrics.json)."""

    def split(name: str, default: str) -> tuple[str, str]:
        return tuple(name.split("::", 1)) if "::" in name else (default, name)  # type: ignore[return-value]

    ms = [entry(*split(n, METRICS), old, new) for n, (old, new) in (metrics or {}).items()]
    ps = [entry(*split(n, "params.yaml"), old, new, metric=False) for n, (old, new) in (params or {}).items()]
    return Comparison(base, head, ms, ps, problems or [], plots or [])


def roc_rows(power: float, n: int = 50) -> list[dict[str, Any]]:
    """A ROC-like curve with scikit-learn's infinite first threshold."""
    rows: list[dict[str, Any]] = []
    for i in range(n + 1):
        fpr = i / n
        rows.append({"fpr": fpr, "tpr": fpr**power, "threshold": math.inf if i == 0 else 1 - fpr})
    return rows


def confusion_rows(pairs: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    """One row per sample, like DVC's confusion template expects."""
    return [{"actual": a, "predicted": p} for (a, p), n in pairs.items() for _ in range(n)]


ROC = PlotDef(
    "roc",
    "eval/plots/roc.json",
    "fpr",
    ("tpr",),
    "simple",
    "ROC curve",
    "False positive rate",
    "True positive rate",
)
CONFUSION = PlotDef(
    "confusion",
    "eval/plots/confusion.json",
    "actual",
    ("predicted",),
    "confusion",
    "Confusion matrix",
    "Actual",
    "Predicted",
)
