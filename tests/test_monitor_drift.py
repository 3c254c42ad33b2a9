"""toolkit drift against Evidently 0.7's DataDriftPreset, the authority, on the pandas a user gets.

Evidently 0.7 needs pandas < 3, so it does not run here: scripts/evidently_reference.py ran it, in
a venv of its own, on the seeded tables of tests/drift_data.py and wrote its verdicts to
tests/fixtures/evidently/. Here `toolkit drift --json` reads the same tables as CSV files (with the
case's `drift:` settings in toolkit.yaml) and must give the same column types, tests, thresholds
and drift flags, scores within 1e-6, and the same share and dataset verdict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from tests.drift_data import CASES, csv_digest, table
from toolkit.cli import cli
from toolkit.config import ColumnDrift, DriftOptions, load_config
from toolkit.monitor import drift, stattests
from toolkit.monitor.sources import Source

FIXTURES = Path(__file__).parent / "fixtures" / "evidently"
REGENERATE = "regenerate them: see scripts/evidently_reference.py"
REF, CUR = Source("ref.csv", "ref.csv"), Source("cur.csv", "cur.csv")
# A deprecation of pandas (or numpy) is an error: the toolkit runs on the release a user gets.
pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning", "error::FutureWarning")


def evidently(name: str) -> dict[str, Any]:
    """Evidently's verdict on case `name`, as the reference script wrote it."""
    path = FIXTURES / f"{name}.json"
    assert path.is_file(), f"{path} is missing; {REGENERATE}"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_every_case_has_its_reference_and_no_reference_is_stale() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(CASES), REGENERATE
    for name, case in CASES.items():
        data = evidently(name)
        assert data["settings"] == case.settings, f"{name}: the settings changed; {REGENERATE}"
        assert data["versions"]["evidently"] == "0.7.23"


@pytest.fixture(params=["python", "pyarrow"])
def string_storage(request: pytest.FixtureRequest) -> Iterator[str]:
    """pandas 3 keeps text in pyarrow when it is installed (the `parquet` extra), else in Python."""
    import pandas as pd

    with pd.option_context("mode.string_storage", request.param):
        yield request.param


@pytest.mark.parametrize("route", ["csv", "frame"])
@pytest.mark.parametrize("name", list(CASES))
def test_toolkit_drift_gives_evidentlys_verdict(
    name: str, route: str, string_storage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """csv: `toolkit drift --json` on the tables as files; frame: compare_frames on them in memory."""
    case, theirs = CASES[name], evidently(name)
    reference, current = case.reference(), case.current()
    # The tables are the ones Evidently saw (same seeds, same generator, same CSV text).
    for side, frame in (("reference", reference), ("current", current)):
        digest = theirs["data"][side]["csv_sha256"]
        assert csv_digest(frame) == digest, f"{name}: the {side} table changed; {REGENERATE}"
        frame.to_csv(tmp_path / f"{side}.csv", index=False)
    (tmp_path / "toolkit.yaml").write_text(yaml.safe_dump({"drift": case.settings or None}), encoding="utf-8")
    if route == "csv":
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(
            cli, ["drift", "--reference", "reference.csv", "--current", "current.csv", "--json"]
        )
        assert result.exit_code == 0, result.output
        ours = json.loads(result.stdout)
    else:
        options = load_config(tmp_path).drift
        text = [c for c in reference.columns if isinstance(reference[c].dtype, pd.StringDtype)]
        assert all(reference[c].dtype.storage == string_storage for c in text), reference.dtypes
        ours = drift.as_json(drift.compare_frames(reference, current, REF, CUR, options))

    assert list(ours["columns"]) == list(theirs["columns"])  # same columns, in file order
    for column, expected in theirs["columns"].items():
        got = ours["columns"][column]
        assert (got["type"], got["test"], got["threshold"]) == (
            expected["type"],
            expected["test"],
            expected["threshold"],
        ), column
        assert got["score"] == pytest.approx(expected["score"], abs=1e-6), column
        assert got["drift"] is expected["drift"], column
    assert ours["share"] == pytest.approx(theirs["dataset"]["share"], abs=1e-12)
    assert sum(c["drift"] for c in ours["columns"].values()) == theirs["dataset"]["count"]
    assert ours["dataset_drift"] is theirs["dataset"]["drift"]
    # The data really carry the shift they are named after (and only it).
    if case.moved is not None:
        assert {c for c, v in ours["columns"].items() if v["drift"]} == case.moved
    if not case.settings:
        small = len(reference) <= stattests.SMALL_REFERENCE
        regime = {"ks", "chisquare", "z"} if small else {"wasserstein", "jensenshannon"}
        assert {c["test"] for c in ours["columns"].values()} <= regime


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
