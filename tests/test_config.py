"""toolkit.yaml: defaults, settings, direction inference and errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.config import Config, infer_direction, load_config
from toolkit.errors import ConfigError


def test_missing_file_is_the_default(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg == Config()
    assert cfg.report.id == "default"


def test_full_file(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text(
        "base: develop\n"
        "gates:\n"
        "  - metric: roc_auc\n"
        "    max_drop: 0.01\n"
        "  - metric: eval/metrics.json:latency_ms\n"
        "    max: 50\n"
        "metrics:\n"
        "  throughput: {direction: higher}\n"
        "  eval/metrics.json:score: lower\n"
        "report:\n"
        "  id: nightly\n"
        "  plots: false\n"
    )
    cfg = load_config(tmp_path)
    assert cfg.base == "develop"
    assert [g.line for g in cfg.gates] == [3, 5]
    assert cfg.gates[1].spec == {"metric": "eval/metrics.json:latency_ms", "max": 50}
    assert cfg.report.id == "nightly" and cfg.report.plots is False and cfg.report.dag is True
    assert cfg.direction_for("eval/metrics.json", "score") == "lower"
    assert cfg.direction_for("other.json", "score") == "higher"
    assert cfg.direction_for("x.json", "throughput") == "higher"
    assert cfg.direction_for("x.json", "val.loss") == "lower"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("roc_auc", "higher"),
        ("accuracy", "higher"),
        ("log_loss", "lower"),
        ("train.logloss", "lower"),
        ("rmse", "lower"),
        ("mean_absolute_error", "lower"),
        ("latency_ms", "lower"),
        ("fit_time", "lower"),
        ("model_size", "lower"),
        ("precision", "higher"),
    ],
)
def test_infer_direction(key: str, expected: str) -> None:
    assert infer_direction(key) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("gates:\n  - metric: [unclosed\n", "line 2"),
        ("gates: {metric: x}\n", "line 1"),
        ("gates:\n  - just-a-string\n", "line 2"),
        ("- a\n- b\n", "line 1"),
        ("colour: red\n", "unknown setting `colour`"),
        ("metrics:\n  acc: sideways\n", "direction must be"),
        ("report:\n  id: 'has space'\n", "report.id"),
        ("report:\n  max_rows: 0\n", "max_rows"),
        ("base: ''\n", "base"),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "toolkit.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    message = err.value.format_message()
    assert "toolkit.yaml" in message
    assert needle in message


def test_empty_file_is_the_default(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text("# nothing yet\n")
    assert load_config(tmp_path).gates == ()


# -- promotion: and report.production (issue 11) ---------------------------------------------------


def test_promotion_gates_per_stage(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text(
        "gates:\n"
        "  - metric: roc_auc\n"
        "    max_drop: 0.01\n"
        "promotion:\n"
        "  prod:\n"
        "    - metric: accuracy\n"
        "      min: 0.95\n"
        "  staging: []\n"
        "report:\n"
        "  production: churn#prod\n"
    )
    cfg = load_config(tmp_path)
    assert [(g.spec, g.line) for g in cfg.promotion["prod"]] == [({"metric": "accuracy", "min": 0.95}, 6)]
    assert [g.spec["metric"] for g in cfg.promotion_gates("prod").gates] == ["roc_auc", "accuracy"]
    assert [g.spec["metric"] for g in cfg.promotion_gates("dev").gates] == ["roc_auc"]
    assert cfg.report.production == "churn#prod"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("promotion: [prod]\n", 1, "must map stage names"),
        ("promotion:\n  pr od: []\n", 2, "not a valid stage name"),
        ("promotion:\n  prod: {metric: x}\n", 2, "must be a list"),
        ("promotion:\n  prod:\n    - accuracy\n", 3, "each gate must be a mapping"),
        ("report:\n  production: main\n", 1, "must name a registry entry"),
    ],
)
def test_promotion_and_production_errors(tmp_path: Path, text: str, line: int, message: str) -> None:
    (tmp_path / "toolkit.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(tmp_path)
    assert f"line {line}:" in info.value.message

# -- drift: and monitor: (issue 12) ----------------------------------------------------------------


def test_drift_and_monitor_sections(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text(
        "drift:\n"
        "  share: 0.3\n"
        "  columns:\n"
        "    zip: categorical\n"
        "    income: {test: wasserstein, threshold: 0.2}\n"
        "    id: {ignore: true}\n"
        "monitor:\n"
        "  model: churn\n"
        "  target: label\n"
        "  threshold: 0.4\n"
        "  retrain: true\n"
    )
    cfg = load_config(tmp_path)
    assert cfg.drift.share == 0.3
    assert cfg.drift.columns["zip"].type == "categorical"
    assert (cfg.drift.columns["income"].test, cfg.drift.columns["income"].threshold) == ("wasserstein", 0.2)
    assert cfg.drift.columns["id"].ignore is True
    assert (cfg.monitor.model, cfg.monitor.target, cfg.monitor.threshold) == ("churn", "label", 0.4)
    assert cfg.monitor.retrain is True
    assert cfg.monitor.current == "data/production/batch.csv"  # defaults fit the scaffold


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("drift: [a]\n", "`drift:` must be a mapping"),
        ("drift:\n  share: 0\n", "drift.share"),
        ("drift:\n  share: true\n", "drift.share"),
        ("drift:\n  sharre: 0.5\n", "unknown setting `drift.sharre`; did you mean `drift.share`?"),
        ("drift:\n  columns:\n    a: text\n", "type must be numerical or categorical"),
        ("drift:\n  columns:\n    a: {test: psi}\n", "test must be one of ks, chisquare, z"),
        ("drift:\n  columns:\n    a: {type: categorical, test: ks}\n", "needs numbers"),
        ("drift:\n  columns:\n    a: {threshold: -1}\n", "threshold must be a positive number"),
        ("drift:\n  columns:\n    a: {threshold: 1" + "0" * 400 + "}\n", "threshold must be a positive"),
        ("monitor:\n  threshold: 2\n", "monitor.threshold"),
        ("monitor:\n  retrain: yes please\n", "monitor.retrain"),
        ("monitor:\n  model: ''\n", "monitor.model"),
        ("monitor:\n  modle: x\n", "unknown setting `monitor.modle`; did you mean `monitor.model`?"),
        ("monitor:\n  targt: label\n", "unknown setting `monitor.targt`; did you mean `monitor.target`?"),
        ("drift:\n  columns:\n    a: {tset: ks}\n", "a.tset`; did you mean `drift.columns.a.test`?"),
        ("report:\n  max_row: 3\n", "unknown setting `report.max_row`; did you mean `report.max_rows`?"),
        ("monitor:\n  colour: red\n", "`monitor:` takes model, reference, current, target, artifact"),
    ],
)
def test_drift_and_monitor_errors_name_the_setting(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "toolkit.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "toolkit.yaml" in err.value.format_message() and needle in err.value.format_message()


# -- `ci:`: the runner, timeout and AWS roles it held are repository variables now --------------


def test_ci_section_is_refused_with_the_variable_commands_for_its_values(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text(
        "gates: []\nci:\n  runs-on: [self-hosted, gpu]\n  timeout-minutes: 120\n  aws:\n"
        "    region: eu-west-1\n    read-role: arn:aws:iam::123456789012:role/ml-ro\n"
        "    write-role: arn:aws:iam::123456789012:role/ml-rw\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    message = err.value.message
    moved = "`ci.runs-on`, `ci.timeout-minutes` and `ci.aws` are no longer read"
    assert f"toolkit.yaml, line 2: {moved}" in message
    assert "then delete those keys" in message
    for line in (
        """gh variable set TOOLKIT_RUNS_ON --body '["self-hosted", "gpu"]'""",
        "gh variable set TOOLKIT_TIMEOUT_MINUTES --body 120",
        "gh variable set TOOLKIT_AWS_REGION --body eu-west-1",
        "gh variable set TOOLKIT_AWS_READ_ROLE --body arn:aws:iam::123456789012:role/ml-ro",
        "gh variable set TOOLKIT_AWS_WRITE_ROLE --body arn:aws:iam::123456789012:role/ml-rw",
    ):
        assert f"\n  {line}" in message, line
    assert load_config(tmp_path / "nowhere").path is None


@pytest.mark.parametrize(
    ("text", "shown", "hidden"),
    [
        ("ci:\n  runs-on: 'a b'\n", ["TOOLKIT_RUNS_ON --body 'a b'"], ["TOOLKIT_TIMEOUT_MINUTES"]),
        ("ci:\n  aws: {}\n", ["TOOLKIT_RUNS_ON --body ubuntu-latest"], []),
        # A value that would break the message into a workflow command is left out.
        ('ci:\n  runs-on: "x\\n::error::y"\n  timeout-minutes: true\n', ["TOOLKIT_RUNS_ON --body ubuntu"],
         ["::error", "TOOLKIT_TIMEOUT_MINUTES --body True"]),
    ],
)
def test_moved_ci_keys_are_refused(tmp_path: Path, text: str, shown: list[str], hidden: list[str]) -> None:
    (tmp_path / "toolkit.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    message = err.value.message
    moved = "`ci.runs-on`, `ci.timeout-minutes` and `ci.aws` are no longer read"
    assert f"toolkit.yaml, line 1: {moved}" in message
    assert all(f"gh variable set {s}" in message for s in shown), message
    assert not any(h in message for h in hidden), message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("ci:\n  fail-on-stale-result: true\n", "did you mean `ci.fail-on-stale-results`?"),
        ("ci:\n  runner: x\n", "unknown setting `ci.runner`"),
        ("ci:\n  fail-on-stale-results: 1\n", "`ci.fail-on-stale-results` must be true or false."),
        ("ci: [1]\n", "`ci:` must be a mapping"),
    ],
)
def test_ci_errors_name_the_setting(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "toolkit.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "toolkit.yaml" in err.value.message and needle in err.value.message


def test_ci_section_keeps_what_toolkit_ci_does(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text("ci:\n  fail-on-stale-results: true\n")
    assert load_config(tmp_path).ci.fail_on_stale_results is True
    (tmp_path / "toolkit.yaml").write_text("ci:\n")
    assert load_config(tmp_path).ci.fail_on_stale_results is False


def test_top_level_typo_gets_did_you_mean_and_its_line(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text("base: main\n\ngate:\n  - metric: acc\n    min: 0.9\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "toolkit.yaml, line 3: unknown setting `gate`; did you mean `gates:`?" in err.value.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("gates:\n\t- metric: acc\n", 2),  # a tab as the whole indentation
        ("gates:\n  - metric: acc\n\tmin: 0.9\n", 3),  # a tab after a mapping
        ("report:\n  id: x\n \t\n", 3),  # spaces, then a tab, on an otherwise empty line
        ("report:\n\tid: x\n", 2),
    ],
)
def test_a_tab_is_called_a_tab(tmp_path: Path, text: str, line: int) -> None:
    (tmp_path / "toolkit.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert err.value.message.endswith(
        f"toolkit.yaml, line {line}: a tab character indents this line; YAML indents with spaces only, "
        "so replace the tab with spaces."
    )
    said = err.value.message.split("toolkit.yaml, ", 1)[1]
    assert "token" not in said and "violates" not in said


def test_a_tab_inside_a_value_is_fine_and_other_syntax_errors_are_not_tabs(tmp_path: Path) -> None:
    (tmp_path / "toolkit.yaml").write_text('base: "a\tb"\n')
    assert load_config(tmp_path).base == "a\tb"
    (tmp_path / "toolkit.yaml").write_text("gates:\n  - metric: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    said = err.value.message.split("toolkit.yaml, ", 1)[1]
    assert "tab" not in said and "fix the YAML syntax there" in said


def test_secrets_and_stale_results_settings(tmp_path: Path) -> None:
    from toolkit.masking import DEFAULT_SECRET_KEYS

    assert load_config(tmp_path).secret_keys == DEFAULT_SECRET_KEYS
    assert load_config(tmp_path).ci.fail_on_stale_results is False
    (tmp_path / "toolkit.yaml").write_text(
        "secrets:\n  keys: [dsn, connectionString]\nci:\n  fail-on-stale-results: true\n"
    )
    cfg = load_config(tmp_path)
    assert cfg.secret_keys == (*DEFAULT_SECRET_KEYS, "dsn", "connectionString")
    assert cfg.ci.fail_on_stale_results is True
    (tmp_path / "toolkit.yaml").write_text("secrets:\n  keys: [dsn]\n  defaults: false\n")
    assert load_config(tmp_path).secret_keys == ("dsn",)
    (tmp_path / "toolkit.yaml").write_text("secrets:\n  defaults: false\n")
    assert load_config(tmp_path).secret_keys == ()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("secrets: [password]\n", "`secrets:` must be a mapping (keys, defaults)"),
        ("secrets:\n  key: [dsn]\n", "unknown setting `secrets.key`; did you mean `secrets.keys`?"),
        ("secrets:\n  keys: dsn\n", "`secrets.keys` must be a list of key names"),
        ("secrets:\n  keys: ['', '--']\n", "`secrets.keys` must be a list of key names"),
        ("secrets:\n  defaults: no\n", "`secrets.defaults` must be true or false."),
        ("secret:\n  keys: [dsn]\n", "unknown setting `secret`; did you mean `secrets:`?"),
    ],
)
def test_secrets_errors_name_the_setting(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "toolkit.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert needle in err.value.message and "toolkit.yaml, line 1" in err.value.message
