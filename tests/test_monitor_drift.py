"""toolkit.monitor.drift against Evidently 0.7's DataDriftPreset (default options), the authority.

Both size regimes (reference <= 1,000 rows: p-value tests; above: distances), four kinds of data
(no shift, a mean shift, a new category, a scale change): same tests, same drifted columns, same
scores within 1e-6.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from tests.drift_data import MOVED, SHIFTS, table
from toolkit.config import ColumnDrift, DriftOptions
from toolkit.monitor import drift, stattests
from toolkit.monitor.sources import Source

pd = pytest.importorskip("pandas")  # a core dependency; evidently is in the test extra

EVIDENTLY_METHOD = {
    "K-S p_value": "ks",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
}
REF, CUR = Source("ref.csv", "ref.csv"), Source("cur.csv", "cur.csv")


def evidently_drift(reference: Any, current: Any) -> dict[str, Any]:
    """{"share": ..., "columns": {name: (test, score, threshold)}} from Evidently's report."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    out: dict[str, Any] = {"columns": {}}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            out["share"] = metric["value"]["share"]
            out["count"] = metric["value"]["count"]
        elif config["type"].endswith("ValueDrift"):
            out["columns"][config["column"]] = (
                EVIDENTLY_METHOD[config["method"]],
                float(metric["value"]),
                float(config["threshold"]),
            )
    return out


CASES = [(rows, shift) for rows in (600, 2500) for shift in SHIFTS]


@pytest.mark.parametrize(("rows", "shift"), CASES, ids=[f"{r}-{s}" for r, s in CASES])
def test_same_tests_scores_and_drifted_columns_as_evidently(rows: int, shift: str) -> None:
    # Seeds where no unshifted column drifts by chance (at p < 0.05 that happens 1 time in 20).
    reference = table(rows, "none", seed=5)
    current = table(rows + 37, shift, seed=6)
    ours = drift.compare_frames(reference, current, REF, CUR, DriftOptions())
    theirs = evidently_drift(reference, current)

    assert {c.name for c in ours.columns} == set(theirs["columns"])
    for column in ours.columns:
        test, score, threshold = theirs["columns"][column.name]
        assert column.test == test, column.name
        assert column.threshold == threshold, column.name
        assert column.score == pytest.approx(score, abs=1e-6), column.name
        assert column.drift == stattests.TESTS[test].drifted(score, threshold), column.name
    assert ours.share == pytest.approx(theirs["share"], abs=1e-12)
    assert len(ours.drifted) == theirs["count"]
    # The data really carry the shift they are named after (and only it).
    assert {c.name for c in ours.drifted} == MOVED[shift]
    expected_regime = {"ks", "chisquare", "z"} if rows <= 1000 else {"wasserstein", "jensenshannon"}
    assert {c.test for c in ours.columns} <= expected_regime


def test_dataset_drifts_at_the_share_and_the_share_is_settable() -> None:
    reference = table(600, "none", seed=1)
    current = table(600, "category", seed=2)
    current["income"] += 20_000
    current["score"] *= 3  # three of seven columns drift
    default = drift.compare_frames(reference, current, REF, CUR, DriftOptions())
    assert len(default.drifted) == 3 and not default.dataset_drift
    lower = drift.compare_frames(reference, current, REF, CUR, DriftOptions(share=0.4))
    assert lower.dataset_drift and lower.share == pytest.approx(3 / 7)


def test_per_column_test_threshold_type_and_ignore_from_settings() -> None:
    reference = table(600, "none", seed=1)
    current = table(600, "mean", seed=2)
    options = DriftOptions(
        columns={
            "income": ColumnDrift(test="wasserstein", threshold=5.0),  # a distance that never trips
            "age": ColumnDrift(type="categorical"),
            "active": ColumnDrift(ignore=True),
        }
    )
    result = {c.name: c for c in drift.compare_frames(reference, current, REF, CUR, options).columns}
    assert "active" not in result
    assert result["income"].test == "wasserstein" and result["income"].threshold == 5.0
    assert not result["income"].drift
    assert result["age"].type == "categorical" and result["age"].test == "chisquare"


def test_psi_beside_each_column_reads_shift_as_shift() -> None:
    reference = table(2500, "none", seed=1)
    result = {
        c.name: c
        for c in drift.compare_frames(reference, table(2500, "mean", 2), REF, CUR, DriftOptions()).columns
    }
    assert result["income"].psi is not None and result["income"].psi > 0.25
    assert result["age"].psi is not None and result["age"].psi < 0.1


def test_constant_and_all_missing_columns_are_reported_not_crashes() -> None:
    reference = table(300, "none", seed=1)
    current = table(300, "none", seed=2)
    reference["const"] = 7
    current["const"] = 7
    reference["empty"] = float("nan")
    current["empty"] = 1.0
    result = {c.name: c for c in drift.compare_frames(reference, current, REF, CUR, DriftOptions()).columns}
    assert result["const"].test == "z" and result["const"].score == 1.0 and not result["const"].drift
    assert result["const"].note == "one constant value on both sides"
    assert result["empty"].test is None and result["empty"].score is None
    assert "missing in the reference" in (result["empty"].note or "")
