"""The monitoring report's headline names what alerted: data drift, prediction drift, performance decay."""

from __future__ import annotations

import itertools

import pytest

from toolkit.monitor.drift import ColumnResult, DatasetResult
from toolkit.monitor.production import Production
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
