"""toolkit.monitor.render: the headline names what alerted (data drift, prediction drift, performance
decay); the performance table."""

from __future__ import annotations

import itertools
import re

import pytest

from toolkit.config import Config, GateSpec
from toolkit.monitor.drift import ColumnResult, DatasetResult
from toolkit.monitor.production import Production, performance_gates
from toolkit.monitor.render import MonitorResult, monitor_markdown
from toolkit.results import GateResult

PROD = Production("model#prod#1", "a" * 40, "model")


def _result(data: bool, prediction: bool, gate_failed: bool) -> MonitorResult:
    dataset = DatasetResult(
        columns=[],
        share=0.5 if data else 0.0,
        share_threshold=0.5,
        reference="r.csv",
        current="c.csv",
        reference_rows=10,
        current_rows=10,
        dataset_drift=data,
    )
    scores = ColumnResult(
        "prediction", "numerical", "ks", 0.01 if prediction else 0.5, 0.05, prediction, 0.0, 10, 10
    )
    gate = GateResult(
        "accuracy", "eval/metrics.json", "accuracy", "max_drop 0.01", 0.9, 0.8, not gate_failed, "x"
    )
    return MonitorResult(PROD, dataset, prediction=scores, gates=[gate], labelled_rows=10)


def headline(result: MonitorResult) -> str:
    return monitor_markdown(result).splitlines()[0]


@pytest.mark.parametrize(
    ("data", "prediction", "gate_failed"), list(itertools.product([False, True], repeat=3))
)
def test_the_headline_says_what_alerted(data: bool, prediction: bool, gate_failed: bool) -> None:
    result = _result(data, prediction, gate_failed)
    found = [
        name
        for name, on in (
            ("data drift", data),
            ("prediction drift", prediction),
            ("performance decay", gate_failed),
        )
        if on
    ]
    assert result.alert is bool(found)
    line = headline(result)
    if not found:
        assert line == "## 🟢 Model monitoring: no drift"
        return
    assert line.startswith("## 🔴 Model monitoring: ") and line.endswith(" detected")
    said = line.removeprefix("## 🔴 Model monitoring: ").removesuffix(" detected")
    assert said.replace(" and ", ", ").split(", ") == found
    assert " or " not in line  # never "drift or decay": the report knows which


def test_performance_decay_alone_is_not_called_drift() -> None:
    assert headline(_result(False, False, True)) == "## 🔴 Model monitoring: performance decay detected"
    assert headline(_result(True, False, True)) == (
        "## 🔴 Model monitoring: data drift and performance decay detected"
    )


def test_a_production_metric_beyond_float_range_is_shown_and_leaves_the_drop_unchecked() -> None:
    """An integer of 401 digits in the production version's metrics file: `inf`, never a crash."""
    config = Config(gates=(GateSpec(spec={"metric": "roc_auc", "max_drop": 0.01}, line=2),))
    production = Production("churn#prod#1", "a" * 40, "churn")
    base, batch = {"roc_auc": 10**400, "accuracy": 0.9}, {"roc_auc": 0.8, "accuracy": 0.85}
    comparison, gates, note = performance_gates(config, production, base, batch, "m.json")
    assert note is None and [g.passed for g in gates] == [True] and gates[0].warning
    data = DatasetResult([], 0.0, 0.5, "reference.csv", "current.csv", 10, 10)
    result = MonitorResult(production, data, comparison=comparison, gates=gates, labelled_rows=10)
    md = monitor_markdown(result)
    row = next(line for line in md.splitlines() if line.startswith("| `roc_auc`"))
    assert row.split("|")[2:5] == [" inf ", " 0.8 ", " -inf "]
    assert not re.search(r"\d{25,}", md)
