"""Per-column drift results and the dataset verdict, Evidently's DataDriftPreset by default."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from toolkit.config import ColumnDrift, DriftOptions
from toolkit.markdown import code
from toolkit.monitor import stattests
from toolkit.monitor.columns import Column, check_names, prepare
from toolkit.monitor.sources import DataError, Source
from toolkit.monitor.stattests import ColumnType

if TYPE_CHECKING:
    import pandas as pd

CHART_BINS = 12
CHART_CATEGORIES = 12


@dataclass(frozen=True)
class Distribution:
    """Reference and current shares over the same bins or categories, for a chart."""

    labels: list[str]
    reference: list[float]
    current: list[float]


@dataclass(frozen=True)
class ColumnResult:
    """One column's test, score and verdict."""

    name: str
    type: ColumnType
    test: str | None  # None: not tested (see note)
    score: float | None
    threshold: float | None
    drift: bool
    psi: float | None
    reference_rows: int  # values tested (missing and infinite ones dropped)
    current_rows: int
    note: str | None = None
    target: bool = False
    distribution: Distribution | None = None


@dataclass(frozen=True)
class DatasetResult:
    """Every column and the dataset verdict."""

    columns: list[ColumnResult]
    share: float  # drifted / tested columns
    share_threshold: float
    reference: str
    current: str
    reference_rows: int
    current_rows: int
    dataset_drift: bool = field(default=False)

    @property
    def drifted(self) -> list[ColumnResult]:
        """The drifted columns, in column order."""
        return [c for c in self.columns if c.drift]

    @property
    def worst_first(self) -> list[ColumnResult]:
        """The drifted columns, the most shifted (highest PSI, one scale for every test) first."""
        return sorted(self.drifted, key=lambda c: -c.psi if c.psi is not None else math.inf)

    @property
    def tested(self) -> list[ColumnResult]:
        """The columns that got a score."""
        return [c for c in self.columns if c.test is not None]


def compare_frames(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    ref_source: Source,
    cur_source: Source,
    options: DriftOptions,
    *,
    target: str | None = None,
) -> DatasetResult:
    """Test every column present on both sides; the dataset drifts when the share is reached."""
    ignored = frozenset(name for name, spec in options.columns.items() if spec.ignore)
    names = check_names(reference, current, ref_source, cur_source, target, ignored)
    results: list[ColumnResult] = []
    for name in names:
        spec = options.columns.get(name)
        if spec is not None and spec.ignore:
            continue
        try:
            column = prepare(name, reference[name], current[name], ref_source, cur_source, spec)
            results.append(score_column(column, spec, target=name == target))
        except TypeError:  # lists or objects in a JSON-lines column cannot be counted or compared
            raise DataError(
                f"column {code(name)} of {ref_source.text} or {cur_source.text} holds values that are "
                "neither numbers nor text (lists or objects); flatten them, or set "
                f"`drift: {{columns: {{{name}: {{ignore: true}}}}}}` in toolkit.yaml."
            ) from None
    tested = [r for r in results if r.test is not None]
    share = sum(r.drift for r in tested) / len(tested) if tested else 0.0
    return DatasetResult(
        columns=results,
        share=share,
        share_threshold=options.share,
        reference=ref_source.text,
        current=cur_source.text,
        reference_rows=int(reference.shape[0]),
        current_rows=int(current.shape[0]),
        dataset_drift=bool(tested) and share >= options.share,
    )


def prepare_scores(name: str, reference: pd.Series, current: pd.Series) -> Column:
    """The model's scores on both sides as a numerical column (non-finite scores dropped)."""
    cleaned = [s[np.isfinite(s.to_numpy(np.float64))].astype(np.float64) for s in (reference, current)]
    note = "the model scored no row on one side; not tested" if min(map(len, cleaned)) == 0 else None
    return Column(name=name, type="numerical", reference=cleaned[0], current=cleaned[1], note=note)


def score_column(column: Column, spec: ColumnDrift | None, *, target: bool = False) -> ColumnResult:
    """The configured (else default) test on one cleaned column, with PSI and, on drift, its chart."""
    ref, cur = column.reference, column.current
    if column.note is not None:
        return ColumnResult(
            column.name, column.type, None, None, None, False, None, len(ref), len(cur), column.note, target
        )
    distinct = int(_union_distinct(ref, cur, column.type))
    if spec is not None and spec.test is not None:
        test = stattests.TESTS[spec.test]
    else:
        test = stattests.default_test(column.type, len(ref), distinct)
    threshold = spec.threshold if spec is not None and spec.threshold is not None else test.default_threshold
    ref_distinct = int(ref.nunique())
    score = stattests.score(test, ref, cur, column.type, ref_distinct)
    drifted = test.drifted(score, threshold)
    note = None
    if distinct == 1:
        note = "one constant value on both sides"
    return ColumnResult(
        name=column.name,
        type=column.type,
        test=test.name,
        score=score,
        threshold=threshold,
        drift=drifted,
        psi=stattests.psi(ref, cur, column.type),
        reference_rows=len(ref),
        current_rows=len(cur),
        note=note,
        target=target,
        distribution=distribution(ref, cur, column.type) if drifted else None,
    )


def _union_distinct(ref: pd.Series, cur: pd.Series, kind: ColumnType) -> int:
    if kind == "numerical":
        return len(np.unique(np.concatenate([ref.to_numpy(np.float64), cur.to_numpy(np.float64)])))
    return len(set(ref.unique().tolist()) | set(cur.unique().tolist()))


def distribution(ref: pd.Series, cur: pd.Series, kind: ColumnType) -> Distribution:
    """Shares per bin (numbers with many values) or per most common category, both sides."""
    from toolkit.plots import mermaid_number

    if kind == "numerical" and int(ref.nunique()) > CHART_CATEGORIES:
        r, c = ref.to_numpy(np.float64), cur.to_numpy(np.float64)
        lo, hi = float(min(r.min(), c.min())), float(max(r.max(), c.max()))
        edges = np.linspace(lo, hi, CHART_BINS + 1)
        ref_shares = np.histogram(r, edges)[0] / len(r)
        cur_shares = np.histogram(c, edges)[0] / len(c)
        labels = [mermaid_number((a + b) / 2, 3) for a, b in pairwise(edges)]
        return Distribution(labels, ref_shares.tolist(), cur_shares.tolist())
    ref_counts = ref.value_counts(normalize=True)
    cur_counts = cur.value_counts(normalize=True)
    both = ref_counts.add(cur_counts, fill_value=0).sort_values(ascending=False, kind="stable")
    keys = both.index[:CHART_CATEGORIES].tolist()
    if kind == "numerical":
        keys = sorted(keys)
    return Distribution(
        [str(k) for k in keys],
        [float(ref_counts.get(k, 0.0)) for k in keys],
        [float(cur_counts.get(k, 0.0)) for k in keys],
    )


def as_json(result: DatasetResult) -> dict[str, object]:
    """The `--json` shape: dataset_drift, share, and per column type/test/score/threshold/drift/psi."""
    columns: dict[str, Mapping[str, object]] = {}
    for c in result.columns:
        columns[c.name] = {
            "type": c.type,
            "test": c.test,
            "score": c.score,
            "threshold": c.threshold,
            "drift": c.drift,
            "psi": c.psi,
        }
    return {"dataset_drift": result.dataset_drift, "share": result.share, "columns": columns}
