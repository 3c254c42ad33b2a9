"""The drift tests, with Evidently's default choice per column; every statistic comes from scipy.

Each test takes the cleaned reference and current values of one column (missing and infinite
values dropped) and returns its score: a p-value for ks/chisquare/z (drift when below the
threshold), a distance for wasserstein/jensenshannon (drift when at or above it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import stats
from scipy.spatial import distance

if TYPE_CHECKING:
    import pandas as pd

TestName = Literal["ks", "chisquare", "z", "wasserstein", "jensenshannon"]
ColumnType = Literal["numerical", "categorical"]

#: Evidently's switch between the small-sample p-value tests and the distances.
SMALL_REFERENCE = 1000
PSI_BINS = 10
_PSI_EPS = 1e-4  # share given to an empty bin, so PSI stays finite


@dataclass(frozen=True)
class Test:
    """One drift test: how it scores, and which way its threshold points."""

    name: TestName
    label: str  # for reports
    default_threshold: float
    p_value: bool  # True: drift when score < threshold; False: drift when score >= threshold
    numerical_only: bool

    def drifted(self, score: float, threshold: float) -> bool:
        """True when `score` crosses `threshold` the way this test reads it."""
        return score < threshold if self.p_value else score >= threshold


TESTS: dict[str, Test] = {
    "ks": Test("ks", "K-S p-value", 0.05, True, True),
    "chisquare": Test("chisquare", "chi-square p-value", 0.05, True, False),
    "z": Test("z", "Z-test p-value", 0.05, True, False),
    "wasserstein": Test("wasserstein", "Wasserstein distance (normed)", 0.1, False, True),
    "jensenshannon": Test("jensenshannon", "Jensen-Shannon distance", 0.1, False, False),
}


def default_test(kind: ColumnType, reference_rows: int, distinct: int) -> Test:
    """Evidently's default: p-value tests up to 1,000 reference rows, distances above."""
    if reference_rows <= SMALL_REFERENCE:
        if kind == "numerical" and distinct > 5:
            return TESTS["ks"]
        return TESTS["chisquare"] if distinct > 2 else TESTS["z"]
    if kind == "numerical" and distinct > 5:
        return TESTS["wasserstein"]
    return TESTS["jensenshannon"]


# -- the tests: numbers as float64 arrays, categories as pandas Series ----------------------------


def ks(reference: np.ndarray, current: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov p-value."""
    return float(stats.ks_2samp(reference, current)[1])


def wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """Wasserstein distance divided by the reference's (population) standard deviation, at least 0.001."""
    norm = max(float(np.std(reference)), 0.001)
    return float(stats.wasserstein_distance(reference, current)) / norm


def _counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray, list[object]]:
    """Counts per value over the union of both sides' values (reference order first)."""
    ref = reference.value_counts(sort=False)
    cur = current.value_counts(sort=False)
    keys = list(dict.fromkeys([*ref.index.tolist(), *cur.index.tolist()]))
    ref_counts = ref.reindex(keys, fill_value=0).to_numpy(dtype=np.float64)
    cur_counts = cur.reindex(keys, fill_value=0).to_numpy(dtype=np.float64)
    return ref_counts, cur_counts, keys


def chisquare(reference: pd.Series, current: pd.Series) -> float:
    """Pearson chi-square p-value of current counts against reference shares scaled to the current size."""
    ref, cur, _ = _counts(reference, current)
    expected = ref * (len(current) / len(reference))
    with np.errstate(divide="ignore", invalid="ignore"):
        # A value the reference never had gives an infinite statistic: p = 0, as Evidently reports.
        return float(stats.chisquare(cur, expected)[1])


def z(reference: pd.Series, current: pd.Series) -> float:
    """Two-proportion z-test p-value, the first of the sorted distinct values coded 0, the rest 1."""
    ref, cur, keys = _counts(reference, current)
    if len(keys) == 1:
        return 1.0  # one identical constant on both sides
    first = keys.index(sorted(keys)[0])  # type: ignore[type-var]
    n1, n2 = len(reference), len(current)
    p1 = (n1 - ref[first]) / n1
    p2 = (n2 - cur[first]) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    statistic = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - stats.norm.cdf(np.abs(statistic))))


def jensenshannon(
    reference: pd.Series, current: pd.Series, kind: ColumnType, reference_distinct: int
) -> float:
    """Jensen-Shannon distance (natural log) of the two distributions, without smoothing.

    Numbers with more than 20 distinct reference values are binned on Sturges edges over both
    sides; anything else is compared value by value.
    """
    if kind == "numerical" and reference_distinct > 20:
        ref_values = reference.to_numpy(dtype=np.float64)
        cur_values = current.to_numpy(dtype=np.float64)
        edges = np.histogram_bin_edges(np.concatenate([ref_values, cur_values]), bins="sturges")
        p = np.histogram(ref_values, edges)[0] / len(ref_values)
        q = np.histogram(cur_values, edges)[0] / len(cur_values)
    else:
        ref, cur, _ = _counts(reference, current)
        p, q = ref / len(reference), cur / len(current)
    return float(distance.jensenshannon(p, q))


def psi(reference: pd.Series, current: pd.Series, kind: ColumnType) -> float:
    """Population stability index over the reference's deciles (numbers) or values, empty bins smoothed."""
    if kind == "numerical" and reference.nunique() > PSI_BINS:
        ref_values = reference.to_numpy(dtype=np.float64)
        cur_values = current.to_numpy(dtype=np.float64)
        inner = np.unique(np.quantile(ref_values, np.linspace(0, 1, PSI_BINS + 1))[1:-1])
        edges = np.concatenate([[-np.inf], inner, [np.inf]])
        p = np.histogram(ref_values, edges)[0] / len(ref_values)
        q = np.histogram(cur_values, edges)[0] / len(cur_values)
    else:
        ref, cur, _ = _counts(reference, current)
        p, q = ref / len(reference), cur / len(current)
    p = np.where(p == 0, _PSI_EPS, p)
    q = np.where(q == 0, _PSI_EPS, q)
    return float(np.sum((q - p) * np.log(q / p)))


def score(
    test: Test, reference: pd.Series, current: pd.Series, kind: ColumnType, reference_distinct: int
) -> float:
    """Run `test` on one column's cleaned values."""
    numeric: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"ks": ks, "wasserstein": wasserstein}
    if test.name in numeric:
        return numeric[test.name](reference.to_numpy(dtype=np.float64), current.to_numpy(dtype=np.float64))
    if test.name == "chisquare":
        return chisquare(reference, current)
    if test.name == "z":
        return z(reference, current)
    return jensenshannon(reference, current, kind, reference_distinct)
