"""toolkit.monitor.render: the monitoring report's performance table."""

from __future__ import annotations

import re

from toolkit.config import Config, GateSpec
from toolkit.monitor.drift import DatasetResult
from toolkit.monitor.production import Production, performance_gates
from toolkit.monitor.render import MonitorResult, monitor_markdown


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
