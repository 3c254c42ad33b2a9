"""Write Evidently's verdicts on the drift test cases to tests/fixtures/evidently/ (run by hand).

`toolkit drift` follows Evidently 0.7's DataDriftPreset; the tests check it against the files this
script writes, on the pandas a user gets. Evidently 0.7 needs pandas < 3, so it runs here, in a
venv of its own, never in the toolkit's:

    python3 -m venv /tmp/evidently-venv
    /tmp/evidently-venv/bin/pip install evidently==0.7.23 'pandas<3'
    /tmp/evidently-venv/bin/python scripts/evidently_reference.py

For every case of `tests/drift_data.py` (same seeded tables, same `drift:` settings) it writes
CASE.json: per column Evidently's column type, test, score (p-value or distance), threshold and
drift flag; the share and count of drifted columns and the dataset verdict; and the sha256 of
both tables as CSV, so a test notices when the tables it builds are no longer the ones Evidently
saw. Scores come from DataDriftPreset; the drift flags and column types from the legacy
DataDriftTable and DatasetDriftMetric, and the script stops if the two APIs disagree.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "evidently"
EVIDENTLY = "0.7.23"
#: Evidently's names of the tests, as toolkit drift --json names them.
METHODS = {
    "K-S p_value": "ks",
    "chi-square p_value": "chisquare",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
}
TYPES = {"num": "numerical", "cat": "categorical"}


def _method(name: str) -> str:
    """A test as toolkit drift names it: Evidently shows its label, or the name it was given."""
    if name in METHODS.values():
        return name
    return METHODS[name]


def evidently_options(frame: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """The `drift:` section as Evidently's arguments: columns, types, per-column tests and thresholds."""
    import pandas as pd

    specs = {
        name: ({"type": spec} if isinstance(spec, str) else spec)
        for name, spec in (settings.get("columns") or {}).items()
    }
    columns = [str(c) for c in frame.columns if not specs.get(str(c), {}).get("ignore")]
    numerical, categorical = [], []
    for name in columns:
        dtype = frame[name].dtype
        inferred = (
            "numerical"
            if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            else "categorical"
        )
        kind = specs.get(name, {}).get("type") or inferred
        (numerical if kind == "numerical" else categorical).append(name)
    typed = any("type" in spec for spec in specs.values())
    return {
        "columns": columns,
        "numerical": numerical if typed else None,
        "categorical": categorical if typed else None,
        "method": {n: s["test"] for n, s in specs.items() if s.get("test")},
        "threshold": {n: float(s["threshold"]) for n, s in specs.items() if s.get("threshold") is not None},
        "share": float(settings.get("share", 0.5)),
    }


def run_preset(reference: Any, current: Any, opts: dict[str, Any]) -> dict[str, Any]:
    """DataDriftPreset (Evidently 0.7's API): share, count and per column (test, score, threshold)."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    preset = DataDriftPreset(
        columns=opts["columns"],
        drift_share=opts["share"],
        per_column_method=opts["method"] or None,
        per_column_threshold=opts["threshold"] or None,
    )
    if opts["numerical"] is not None:
        definition = DataDefinition(
            numerical_columns=opts["numerical"], categorical_columns=opts["categorical"]
        )
        ref: Any = Dataset.from_pandas(reference, data_definition=definition)
        cur: Any = Dataset.from_pandas(current, data_definition=definition)
    else:
        ref, cur = reference, current
    snapshot = Report([preset]).run(current_data=cur, reference_data=ref)
    out: dict[str, Any] = {"columns": {}}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            out["share"], out["count"] = metric["value"]["share"], int(metric["value"]["count"])
        elif config["type"].endswith("ValueDrift"):
            out["columns"][config["column"]] = (
                _method(config["method"]),
                float(metric["value"]),
                float(config["threshold"]),
            )
    return out


def run_legacy(reference: Any, current: Any, opts: dict[str, Any]) -> dict[str, Any]:
    """DataDriftTable and DatasetDriftMetric (the legacy API): drift flags, column types, verdict."""
    from evidently.legacy.metrics import DataDriftTable, DatasetDriftMetric
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    mapping = ColumnMapping(
        numerical_features=opts["numerical"] if opts["numerical"] is not None else None,
        categorical_features=opts["categorical"] if opts["numerical"] is not None else None,
        target=None,
        prediction=None,
    )
    common = {
        "columns": opts["columns"],
        "per_column_stattest": opts["method"] or None,
        "per_column_stattest_threshold": opts["threshold"] or None,
    }
    report = Report(
        metrics=[DataDriftTable(**common), DatasetDriftMetric(**common, drift_share=opts["share"])]
    )
    report.run(reference_data=reference, current_data=current, column_mapping=mapping)
    table, dataset = (m["result"] for m in report.as_dict()["metrics"])
    return {"table": table, "dataset": dataset}


def reference_for(name: str, case: Any) -> dict[str, Any]:
    """Evidently's verdict on one case, as written to CASE.json."""
    from tests.drift_data import csv_digest

    reference, current = case.reference(), case.current()
    opts = evidently_options(reference, case.settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        preset = run_preset(reference, current, opts)
        legacy = run_legacy(reference, current, opts)
    by_column = legacy["table"]["drift_by_columns"]
    if set(by_column) != set(preset["columns"]):
        raise SystemExit(f"{name}: the two Evidently APIs test different columns")
    columns: dict[str, dict[str, Any]] = {}
    for column in opts["columns"]:  # file order
        test, score, threshold = preset["columns"][column]
        old = by_column[column]
        if (_method(old["stattest_name"]), float(old["stattest_threshold"])) != (test, threshold) or abs(
            float(old["drift_score"]) - score
        ) > 1e-12:
            raise SystemExit(
                f"{name}: the two Evidently APIs disagree on column {column}: {old} vs {test, score}"
            )
        columns[column] = {
            "type": TYPES[old["column_type"]],
            "test": test,
            "score": score,
            "threshold": threshold,
            "drift": bool(old["drift_detected"]),
        }
    dataset = legacy["dataset"]
    if int(dataset["number_of_drifted_columns"]) != preset["count"]:
        raise SystemExit(f"{name}: the two Evidently APIs count different drifted columns")
    return {
        "case": name,
        "generated_by": "scripts/evidently_reference.py",
        "versions": {pkg: version(pkg) for pkg in ("evidently", "pandas", "numpy", "scipy")},
        "data": {
            "reference": {"rows": len(reference), "csv_sha256": csv_digest(reference)},
            "current": {"rows": len(current), "csv_sha256": csv_digest(current)},
        },
        "settings": case.settings,
        "dataset": {
            "drift": bool(dataset["dataset_drift"]),
            "share": preset["share"],
            "count": preset["count"],
            "share_threshold": opts["share"],
        },
        "columns": columns,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", nargs="*", help="case names (default: every case)")
    args = parser.parse_args()
    if version("evidently") != EVIDENTLY:
        raise SystemExit(f"the reference is Evidently {EVIDENTLY}; this venv has {version('evidently')}.")
    sys.path.insert(0, str(ROOT))
    from tests.drift_data import CASES

    unknown = set(args.cases) - set(CASES)
    if unknown:
        raise SystemExit(f"unknown case(s) {sorted(unknown)}; known: {', '.join(CASES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.cases or CASES:
        data = reference_for(name, CASES[name])
        (OUT / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        drifted = [c for c, v in data["columns"].items() if v["drift"]]
        print(f"{name}: {len(drifted)} of {len(data['columns'])} drifted {drifted}")


if __name__ == "__main__":
    main()
