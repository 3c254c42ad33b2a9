"""toolkit.gates: every rule passing and failing, metric resolution, and toolkit.yaml errors."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from tests.report_fixtures import comparison
from toolkit.config import Config, GateSpec
from toolkit.errors import ConfigError, GateError
from toolkit.gates import evaluate, split_metric
from toolkit.results import Comparison, Problem

CFG_PATH = Path("/repo/toolkit.yaml")


def config(*gates: dict[str, Any], directions: dict[str, Any] | None = None) -> Config:
    specs = tuple(GateSpec(spec=g, line=3 + 2 * i) for i, g in enumerate(gates))
    return Config(path=CFG_PATH, gates=specs, directions=directions or {})


def one(gate: dict[str, Any], comp: Comparison, **kw: Any) -> Any:
    results = evaluate(config(gate, **kw), comp)
    assert len(results) == 1
    return results[0]


# --- rules: pass and fail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "head", "passed"),
    [
        ({"min": 0.9}, 0.91, True),
        ({"min": 0.9}, 0.9, True),
        ({"min": 0.9}, 0.89, False),
        ({"max": 50}, 49.5, True),
        ({"max": 50}, 50, True),
        ({"max": 50}, 50.1, False),
    ],
)
def test_min_max(rule: dict[str, float], head: float, passed: bool) -> None:
    r = one({"metric": "score", **rule}, comparison({"score": (0.5, head)}))
    assert r.passed is passed
    assert r.head == head and r.base == 0.5
    assert r.rule == f"{next(iter(rule))} {next(iter(rule.values()))}"
    assert r.line == 3 and r.path == "eval/metrics.json" and r.key == "score"
    assert ("below" in r.reason or "above" in r.reason) is (not passed)


@pytest.mark.parametrize(
    ("base", "head", "passed"),
    [
        (0.90, 0.95, True),  # improved
        (0.90, 0.89, True),  # fell by 0.01 exactly (0.010000000000000009 in floats)
        (0.90, 0.885, False),  # fell by 0.015
    ],
)
def test_max_drop_higher_is_better(base: float, head: float, passed: bool) -> None:
    r = one({"metric": "roc_auc", "max_drop": 0.01}, comparison({"roc_auc": (base, head)}))
    assert r.passed is passed, r.reason
    assert r.rule == "max_drop 0.01"
    if not passed:
        assert "fell by 0.015" in r.reason and "max_drop 0.01" in r.reason


@pytest.mark.parametrize(
    ("base", "head", "passed"),
    [
        (0.30, 0.20, True),  # a lower loss is better
        (0.30, 0.31, True),  # rose by 0.01 exactly
        (0.30, 0.35, False),  # rose by 0.05
    ],
)
def test_max_drop_lower_is_better(base: float, head: float, passed: bool) -> None:
    # `log_loss` is lower-is-better by name: a "drop" is a rise.
    r = one({"metric": "log_loss", "max_drop": 0.01}, comparison({"log_loss": (base, head)}))
    assert r.passed is passed, r.reason
    if not passed:
        assert "rose by 0.05" in r.reason


def test_direction_override_in_gate_and_config() -> None:
    comp = comparison({"score": (10.0, 12.0)})
    assert one({"metric": "score", "max_drop": 1}, comp).passed  # higher is better: improved
    assert not one({"metric": "score", "max_drop": 1, "direction": "lower"}, comp).passed
    # The config's per-metric direction is used when the entry has none.
    comp.metrics[0] = dataclasses.replace(comp.metrics[0], direction=None)
    assert not one({"metric": "score", "max_drop": 1}, comp, directions={"score": "lower"}).passed


@pytest.mark.parametrize(
    ("key", "base", "head", "passed"),
    [
        ("accuracy", 0.80, 0.77, True),  # fell 3.75%
        ("accuracy", 0.80, 0.75, False),  # fell 6.25%
        ("latency_ms", 40, 41.6, True),  # rose 4%
        ("latency_ms", 40, 43, False),  # rose 7.5%
        ("latency_ms", -40, -38, True),  # relative to |base|: lower is better, fell 5% of 40
    ],
)
def test_max_drop_pct(key: str, base: float, head: float, passed: bool) -> None:
    r = one({"metric": key, "max_drop_pct": 5}, comparison({key: (base, head)}))
    assert r.passed is passed, r.reason
    assert r.rule == "max_drop_pct 5"
    if not passed:
        assert "%" in r.reason and "max_drop_pct 5%" in r.reason


def test_max_drop_pct_from_zero() -> None:
    assert not one({"metric": "error", "max_drop_pct": 50}, comparison({"error": (0, 0.1)})).passed
    assert one({"metric": "error", "max_drop_pct": 50}, comparison({"error": (0, 0)})).passed


def test_several_rules_give_several_results() -> None:
    results = evaluate(
        config({"metric": "acc", "min": 0.5, "max_drop": 0.1}), comparison({"acc": (0.9, 0.7)})
    )
    assert [(r.rule, r.passed) for r in results] == [("min 0.5", True), ("max_drop 0.1", False)]


def test_new_metric_passes_drop_rules_with_a_reason() -> None:
    comp = comparison({"acc": (None, 0.9)})
    for rule in ({"max_drop": 0.01}, {"max_drop_pct": 1}):
        r = one({"metric": "acc", **rule}, comp)
        assert r.passed and "no base value" in r.reason
    assert not one({"metric": "acc", "min": 0.95}, comp).passed


@pytest.mark.parametrize("head", [math.nan, "high", True, [1, 2]])
def test_non_numeric_or_nan_head_fails(head: Any) -> None:
    r = one({"metric": "acc", "min": 0}, comparison({"acc": (0.9, head)}))
    assert not r.passed
    assert "not a number" in r.reason or "nan" in r.reason.lower()


NON_FINITE = [math.nan, math.inf, -math.inf]
ALL_RULES = [{"min": 0.5}, {"max": 0.99}, {"max_drop": 0.01}, {"max_drop_pct": 5}]


@pytest.mark.parametrize("head", NON_FINITE)
@pytest.mark.parametrize("base", [0.9, None, *NON_FINITE])
@pytest.mark.parametrize("rule", ALL_RULES)
@pytest.mark.parametrize("key", ["roc_auc", "loss"])  # higher and lower is better
def test_a_non_finite_head_fails_every_rule_saying_why(
    key: str, rule: dict[str, float], base: Any, head: float
) -> None:
    r = one({"metric": key, **rule}, comparison({key: (base, head)}))
    assert not r.passed and not r.warning
    shown = "NaN" if math.isnan(head) else "inf" if head > 0 else "-inf"
    assert r.reason == (
        f"{key} is {shown} at the head: a diverged or broken run cannot pass `{r.rule}`"
    )


@pytest.mark.parametrize("base", NON_FINITE)
@pytest.mark.parametrize("rule", [{"max_drop": 0.01}, {"max_drop_pct": 5}])
def test_drop_against_a_non_finite_base_passes_unchecked_and_says_so(
    rule: dict[str, float], base: float
) -> None:
    """A base run that diverged: no drop can be measured, and the head that fixes it may merge."""
    r = one({"metric": "roc_auc", **rule}, comparison({"roc_auc": (base, 0.8)}))
    assert r.passed and r.warning
    shown = "NaN" if math.isnan(base) else "inf" if base > 0 else "-inf"
    assert f"roc_auc is {shown} at the base" in r.reason
    assert "cannot be computed" in r.reason and "0.8" in r.reason
    # The absolute rules judge the head alone: no warning, the usual verdict.
    floor = one({"metric": "roc_auc", "min": 0.9}, comparison({"roc_auc": (base, 0.8)}))
    assert not floor.passed and not floor.warning and "below the minimum" in floor.reason


# Integers beyond float range (a float holds up to about 1.8e308; a metrics file may hold an
# integer of 4,300 digits): no finite number, as NaN and infinities are not.
BEYOND = {10**400: "1e+400", -(10**400): "-1e+400", 2**1024 - 2**970: "1.79769e+308"}


def diffed(key: str, base: Any, head: Any) -> Comparison:
    """A comparison of one metric as the diff engine builds it."""
    from tests.report_fixtures import BASE, HEAD, METRICS
    from toolkit.metrics import diff_file

    old = {} if base is None else {key: base}
    entries = diff_file(METRICS, old, {key: head}, direction_for=Config().direction_for)
    return Comparison(BASE, HEAD, entries, [], [], [])


@pytest.mark.parametrize("head", list(BEYOND), ids=list(BEYOND.values()))
@pytest.mark.parametrize("base", [0.9, 7, None, math.nan, 10**400])
@pytest.mark.parametrize("rule", ALL_RULES)
@pytest.mark.parametrize("key", ["roc_auc", "loss"])
def test_an_integer_beyond_float_range_at_the_head_fails_every_rule(
    key: str, rule: dict[str, float], base: Any, head: int
) -> None:
    r = one({"metric": key, **rule}, diffed(key, base, head))
    assert not r.passed and not r.warning
    assert r.reason == (
        f"{key} is {BEYOND[head]} (beyond float range) at the head: a diverged or broken run "
        f"cannot pass `{r.rule}`"
    )


@pytest.mark.parametrize("base", list(BEYOND), ids=list(BEYOND.values()))
@pytest.mark.parametrize("rule", [{"max_drop": 0.01}, {"max_drop_pct": 5}])
def test_drop_against_a_base_beyond_float_range_passes_unchecked_and_says_so(
    rule: dict[str, float], base: int
) -> None:
    r = one({"metric": "roc_auc", **rule}, diffed("roc_auc", base, 0.8))
    assert r.passed and r.warning
    assert r.reason == (
        f"roc_auc is {BEYOND[base]} (beyond float range) at the base, so `{r.rule}` cannot be "
        "computed against it; it passes unchecked (the head is 0.8)"
    )
    floor = one({"metric": "roc_auc", "min": 0.9}, diffed("roc_auc", base, 0.8))
    assert not floor.passed and not floor.warning and "below the minimum" in floor.reason


@pytest.mark.parametrize(
    ("rule", "base", "head", "amount"),
    [
        ({"max_drop": 0.01}, 1.7e308, -1.7e308, "3.4e+308 (1.7e+308 → -1.7e+308), more than max_drop 0.01"),
        ({"max_drop_pct": 5}, 1.7e308, -1.7e308, "200.0% (1.7e+308 → -1.7e+308), more than max_drop_pct 5%"),
        ({"max_drop_pct": 5}, 5e-324, -1.0, "2.02402e+325% (4.94066e-324 → -1), more than max_drop_pct 5%"),
    ],
)
def test_a_drop_too_large_for_a_float_is_measured_exactly(
    rule: dict[str, float], base: float, head: float, amount: str
) -> None:
    """Finite values whose difference (or its share of a base near 0) overflows: never `by inf`."""
    r = one({"metric": "roc_auc", **rule}, diffed("roc_auc", base, head))
    assert not r.passed and r.reason == f"roc_auc fell by {amount}"
    r = one({"metric": "loss", **rule}, diffed("loss", -base, -head))  # lower is better
    assert not r.passed and r.reason.startswith(f"loss rose by {amount.split(' ')[0]} ")


def test_finite_values_give_no_warning() -> None:
    results = evaluate(
        config({"metric": "acc", "min": 0.5, "max": 1, "max_drop": 0.1, "max_drop_pct": 50}),
        comparison({"acc": (0.9, 0.85)}),
    )
    assert [r.passed for r in results] == [True] * 4 and not any(r.warning for r in results)


def test_metric_removed_at_head_fails() -> None:
    r = one({"metric": "acc", "max_drop": 1}, comparison({"acc": (0.9, None)}))
    assert not r.passed and "missing at head" in r.reason


def test_unreadable_file_fails_the_gate_with_the_problem() -> None:
    problem = Problem(
        "eval/other.json", "feature", "not-in-cache", "eval/other.json is not in the DVC cache."
    )
    comp = comparison({"acc": (0.9, 0.9)}, problems=[problem])
    r = one({"metric": "eval/other.json:auc", "min": 0.5}, comp)
    assert not r.passed and "not in the DVC cache" in r.reason
    assert r.path == "eval/other.json" and r.key == "auc"


# --- resolution -------------------------------------------------------------------------------


def test_path_key_and_ambiguous_key() -> None:
    comp = comparison({"a.json::acc": (0.5, 0.6), "b.json::acc": (0.7, 0.6)})
    with pytest.raises(GateError) as err:
        evaluate(config({"metric": "acc", "min": 0}), comp)
    msg = err.value.message
    assert "ambiguous" in msg and "a.json" in msg and "b.json" in msg
    assert "metric: a.json:acc" in msg and "line 3" in msg
    r = one({"metric": "b.json:acc", "min": 0.65}, comp)
    assert (r.path, r.key, r.head, r.passed) == ("b.json", "acc", 0.6, False)
    assert one({"metric": "./a.json:acc", "min": 0.55}, comp).passed


def test_split_metric_uses_the_last_colon_with_a_known_path() -> None:
    paths = {"c:/odd:path.json", "m.json"}
    assert split_metric("c:/odd:path.json:key", paths) == ("c:/odd:path.json", "key")
    assert split_metric("m.json:a:b", paths) == ("m.json", "a:b")
    assert split_metric("plain", paths) == (None, "plain")
    assert split_metric("nope.json:key", paths) == (None, "nope.json:key")


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("roc_acu", "roc_auc"), ("eval/metrics.json:rocauc", "eval/metrics.json:roc_auc")],
)
def test_unknown_metric_lists_near_matches(metric: str, expected: str) -> None:
    comp = comparison({"roc_auc": (0.9, 0.9), "accuracy": (0.8, 0.8)})
    with pytest.raises(GateError) as err:
        evaluate(config({"metric": metric, "min": 0}), comp)
    msg = err.value.message
    assert f"`{metric}`" in msg and "does not exist" in msg and "line 3" in msg
    assert f"`{expected}`" in msg and "did you mean" in msg


def test_unknown_metric_without_near_matches_points_to_diff() -> None:
    with pytest.raises(GateError, match="toolkit diff --all"):
        evaluate(config({"metric": "zzzzzz", "min": 0}), comparison({"roc_auc": (0.9, 0.9)}))


# --- toolkit.yaml errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gate", "needle"),
    [
        ({"metric": "acc", "minimum": 0.5}, "unknown gate rule `minimum`"),
        ({"metric": "acc", "min": "high"}, "must be a number"),
        ({"metric": "acc", "min": True}, "must be a number"),
        ({"metric": "acc", "max": math.nan}, "must be a number"),
        ({"metric": "acc", "max": 10**400}, "must be a number, not 1e+400 (beyond float range); "),
        ({"metric": "acc", "max_drop": -(10**300)}, "must be 0 or more, not -1e+300;"),
        ({"metric": "acc", "max_drop": -1}, "must be 0 or more"),
        ({"metric": "acc"}, "has no rule"),
        ({"min": 0.5}, "needs `metric: NAME`"),
        ({"metric": "acc", "min": 0, "direction": "up"}, "must be `higher` or `lower`"),
    ],
)
def test_bad_gate_names_file_and_line(gate: dict[str, Any], needle: str) -> None:
    cfg = config({"metric": "acc", "min": 0}, gate)  # the bad gate is the second: line 5
    with pytest.raises(ConfigError) as err:
        evaluate(cfg, comparison({"acc": (0.5, 0.6)}))
    msg = err.value.message
    assert needle in msg
    assert msg.startswith(f"{CFG_PATH}, line 5: ")


def test_no_gates_no_results() -> None:
    assert evaluate(Config(), comparison({"acc": (0.5, 0.6)})) == []


def test_unknown_metric_mentions_unreadable_files() -> None:
    problem = Problem("eval/cached.json", "feature", "not-in-cache", "eval/cached.json is not in the cache.")
    comp = comparison({"acc": (0.9, 0.9)}, problems=[problem])
    with pytest.raises(GateError, match=r"could not be read, e\.g\. eval/cached\.json"):
        evaluate(config({"metric": "roc_auc", "min": 0}), comp)


def test_gates_command_fails_a_diverged_run_and_warns_on_a_diverged_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from tests.gitrepo import commit_all, make_repo, write_files
    from toolkit.cli import cli

    repo = make_repo(
        tmp_path / "repo",
        {
            "dvc.yaml": "metrics:\n  - eval/metrics.json\n",
            "toolkit.yaml": "gates:\n  - metric: roc_auc\n    min: 0.5\n    max_drop: 0.01\n",
            "eval/metrics.json": '{"roc_auc": 0.9}',
        },
    )
    monkeypatch.chdir(repo)
    write_files(repo, {"eval/metrics.json": '{"roc_auc": NaN}'})
    commit_all(repo, "a diverged run")

    def gates() -> Any:
        return CliRunner().invoke(cli, ["gates", "--base", "HEAD~1", "--head", "HEAD"])

    result = gates()
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["roc_auc", "min", "0.5", "0.9", "NaN", "FAIL"]
    assert (
        "FAIL: roc_auc is NaN at the head: a diverged or broken run cannot pass `max_drop 0.01` "
        "(toolkit.yaml line 2)" in lines
    )
    assert "None" not in result.output and "nan" not in result.output

    write_files(repo, {"eval/metrics.json": '{"roc_auc": 0.85}'})
    commit_all(repo, "fixed")
    result = gates()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[2].split() == ["roc_auc", "max_drop", "0.01", "NaN", "0.85", "pass"]
    assert (
        "Warning: roc_auc is NaN at the base, so `max_drop 0.01` cannot be computed against it; it "
        "passes unchecked (the head is 0.85) (toolkit.yaml line 2)" in result.stderr
    )
