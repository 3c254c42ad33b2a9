"""toolkit.monitor.render: the headline names what alerted (data drift, prediction drift, performance
decay); the performance table; thousands of columns still fit GitHub."""

from __future__ import annotations

import itertools
import re

import pytest

from toolkit.config import MAX_COLUMNS, Config, GateSpec
from toolkit.monitor import render
from toolkit.monitor.drift import ColumnResult, DatasetResult, Distribution
from toolkit.monitor.production import Production, performance_gates
from toolkit.monitor.render import MonitorResult, markdown, monitor_markdown
from toolkit.report import size
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


# -- wide tables: the report fits a GitHub issue or comment -------------------------------------------


def _wide(n: int, name_length: int, char: str = "é") -> DatasetResult:
    """`n` columns with long names full of Markdown and HTML, every other one drifted, each charted."""
    labels = [f"<b>{k}</b>|`x`" for k in range(12)]
    dist = Distribution(labels, [1 / 12] * 12, [0.5, *([0.5 / 11] * 11)])
    columns = []
    for i in range(n):
        name = f"{i:05d} <img src=x>|@team **`" + char * name_length
        drifted = i % 2 == 0
        psi = float(i) if drifted else 0.01  # the most shifted are the last drifted ones
        columns.append(
            ColumnResult(
                name, "numerical", "ks", 0.001 if drifted else 0.5, 0.05, drifted, psi, 100, 100,
                distribution=dist if drifted else None,
            )
        )
    drifted_share = sum(c.drift for c in columns) / n
    return DatasetResult(columns, drifted_share, 0.5, "r.csv", "c.csv", 100, 100, dataset_drift=True)


@pytest.mark.parametrize(
    ("n", "name_length", "char"),
    [(MAX_COLUMNS, 300, "é"), (MAX_COLUMNS, 300, "🙂"), (3_000, 20, "é"), (MAX_COLUMNS, 0, "é")],
)
def test_a_report_on_thousands_of_columns_fits_github(n: int, name_length: int, char: str) -> None:
    data = _wide(n, name_length, char)  # an emoji counts twice in GitHub's limit
    result = MonitorResult(PROD, data, performance_note="no target")
    for text in (markdown(data), monitor_markdown(result, run_url="https://example.test/run/1")):
        assert size(text) <= 65_536
        rows = [line for line in text.splitlines() if line.startswith("| ")][2:]
        assert 10 < len(rows) < n
        # The rows shown are the most shifted first; the rest are counted, not dropped silently.
        first = int(rows[0].split()[1].strip("`"))
        assert first == max(i for i in range(n) if i % 2 == 0)
        hidden = n - len(rows)
        hidden_drifted = sum(c.drift for c in data.columns) - sum("**drift**" in row for row in rows)
        assert (
            f"{hidden:,} more columns ({hidden_drifted:,} of them drifted) are left out to keep the "
            "report within GitHub's 65,536-character limit; `toolkit drift --json` lists every column."
        ) in text
        assert "more drifted columns are in the table or left out of it" in text
        assert text.count("```mermaid") == 10


def test_a_report_on_few_columns_lists_them_all() -> None:
    data = _wide(40, 300)
    md = markdown(data)
    assert len([line for line in md.splitlines() if line.startswith("| ")]) == 2 + 40
    assert "left out" not in md and "more drifted columns are in the table." in md


def test_the_terminal_table_clips_long_names() -> None:
    data = _wide(50, 1_000_000)  # a name as long as a line may be
    out = render.text(data)
    assert max(len(line) for line in out.splitlines()) < 200
    assert len(out.splitlines()) == 4 + 1 + 50
