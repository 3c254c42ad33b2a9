"""Integers beyond float range in metrics, params and plots, end to end on a real DVC repository.

A float holds up to about 1.8e308; JSON, YAML and TOML files hold integers of any length (Python
reads up to 4,300 digits). Where `dvc metrics diff` / `dvc params diff` answer (two integers: an
exact integer difference), `toolkit diff --json` answers token for token the same; where DVC stops
with "int too large to convert to float" (such an integer and a float), the difference is the
nearest float, an infinity. Gates treat such an integer as no finite number (as NaN and inf):
they fail at the head, and a drop cannot be measured against it at the base. Tables show it as
`1e+400`, never as hundreds of digits.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import diff_repos
from tests.gitrepo import commit_all, git, write_files
from tests.report_mermaid import check_xychart, mermaid_blocks
from tests.test_diff_differential import Token, assert_matches_dvc, loads
from toolkit.cli import cli

BIG = 10**400
B = str(BIG)  # 401 digits

DVC_YAML = """\
stages:
  train:
    cmd: python gen.py spec.json
    deps:
      - gen.py
      - spec.json
    params:
      - seed
      - lr
      - big
      - conf.toml:
          - width
    metrics:
      - eval/metrics.json:
          cache: false
      - eval/scores.yaml:
          cache: false
      - eval/stats.toml:
          cache: false
    plots:
      - eval/curve.json:
          cache: false
          x: step
          y: loss
"""

TOOLKIT_YAML = """\
gates:
  - metric: roc_auc
    min: 0.5
    max_drop: 0.01
  - metric: loss
    max_drop_pct: 5
"""


def _version(metrics: str, scores: str, stats: str, curve: str, params: str, conf: str) -> dict[str, str]:
    spec = {"eval/metrics.json": metrics, "eval/scores.yaml": scores, "eval/stats.toml": stats}
    spec["eval/curve.json"] = curve
    return {"spec.json": json.dumps(spec), "params.yaml": params, "conf.toml": conf}


def _curve(rows: list[str]) -> str:
    return "[" + ", ".join(rows) + "]"


MAIN = _version(
    f'{{"roc_auc": 0.91, "loss": 0.3, "steps": 10, "grown": 7, "huge": {B}, "flip": -{B}, "same": {B}}}',
    f"count: 3\nbig: {B}\n",
    f"n = 7\nbig = {B}\n",
    _curve([f'{{"step": {i}, "loss": {1 / (i + 1)}}}' for i in range(10)]),
    f"seed: 1\nlr: 0.1\nbig: {B}\n",
    "width = 3\n",
)
# Integers meet integers only: DVC answers, with exact integer differences.
INTS = _version(
    f'{{"roc_auc": 0.91, "loss": 0.3, "steps": {B}, "grown": {2 * BIG}, "huge": 3, "flip": {B},'
    f' "same": {B}}}',
    f"count: -{B}\nbig: {BIG + 1}\n",
    f"n = {B}\nbig = 5\n",
    _curve([f'{{"step": {i}, "loss": {1 / (i + 2)}}}' for i in range(10)]),
    f"seed: {B}\nlr: 0.1\nbig: {BIG - 1}\n",
    f"width = {B}\n",
)
# Floats meet such integers: DVC stops with "int too large to convert to float". The curve has
# extreme finite values (1e308), an infinite row, a NaN row and a row with a 401-digit integer.
CURVE = [f'{{"step": {i}, "loss": {1.7e308 / 99 * i!r}}}' for i in range(100)]
CURVE += ['{"step": 100, "loss": Infinity}', '{"step": 101, "loss": NaN}', f'{{"step": 102, "loss": {B}}}']
MIXED = _version(
    f'{{"roc_auc": {B}, "loss": -{B}, "steps": 10.5, "grown": 7, "huge": 0.5, "flip": Infinity,'
    f' "same": {B}}}',
    "count: .inf\nbig: 2.5\n",
    "n = 7\nbig = nan\n",
    _curve(CURVE),
    f"seed: 1\nlr: {B}\nbig: 0.5\n",
    "width = 3\n",
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`main`, `ints` (integer pairs only) and `mixed` (floats against them), each reproduced."""
    path = tmp_path_factory.mktemp("huge") / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    diff_repos.dvc(path, "init", "-q")
    write_files(path, {"gen.py": diff_repos.GEN, "dvc.yaml": DVC_YAML, "toolkit.yaml": TOOLKIT_YAML, **MAIN})
    diff_repos.dvc(path, "repro", "-q")
    commit_all(path, "finite metrics, some integers beyond float range")
    for branch, files in (("ints", INTS), ("mixed", MIXED)):
        git(path, "checkout", "-q", "-b", branch, "main")
        write_files(path, files)
        diff_repos.dvc(path, "repro", "-q")
        commit_all(path, branch)
    git(path, "checkout", "-q", "main")
    return path


def _run(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output and "This is a bug" not in result.output, result.output
    return result


def _diff_json(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    result = _run(repo, monkeypatch, "diff", *args, "--json")
    assert result.exit_code == 0, result.output
    return loads(result.stdout)  # type: ignore[no-any-return]


def _long_digit_runs(text: str) -> list[str]:
    return re.findall(r"\d{25,}", text)


@pytest.mark.parametrize(("a", "b"), [("main", "ints"), ("ints", "main")])
@pytest.mark.parametrize("all_keys", [False, True])
def test_integer_pairs_match_dvc_token_for_token(
    repo: Path, monkeypatch: pytest.MonkeyPatch, a: str, b: str, all_keys: bool
) -> None:
    extra = ("--all",) if all_keys else ()
    ours = _diff_json(repo, monkeypatch, "--base", a, "--head", b, *extra)
    for section in ("metrics", "params"):
        theirs = diff_repos.dvc(repo, section, "diff", a, b, *extra, "--json")
        assert theirs.returncode == 0, theirs.stderr
        theirs_json = loads(theirs.stdout)
        assert_matches_dvc(ours[section], theirs_json)
        for path, keys in theirs_json.items():  # every key DVC reports is compared
            assert set(keys) <= set(ours[section][path]), path
    m = ours["metrics"]["eval/metrics.json"]
    sign = 1 if a == "main" else -1
    assert m["steps"]["diff"] == sign * (BIG - 10)  # exact, as DVC prints it
    assert m["grown"]["diff"] == sign * (2 * BIG - 7)
    if a == "main":  # 1e400 -> 3: exactly -100%, rounded once
        assert m["huge"]["rel"] == -1.0
    else:  # 3 -> 1e400: a relative change beyond float range is left out
        assert "rel" not in m["huge"]
    assert ours["params"]["params.yaml"]["seed"]["diff"] == sign * (BIG - 1)
    assert ("same" in m) is all_keys


def test_floats_against_integers_beyond_float_range_where_dvc_stops(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for section in ("metrics", "params"):
        theirs = diff_repos.dvc(repo, section, "diff", "main", "mixed", "--json", check=False)
        assert theirs.returncode != 0 and "int too large to convert to float" in theirs.stderr
    ours = _diff_json(repo, monkeypatch, "--base", "main", "--head", "mixed")
    m = ours["metrics"]["eval/metrics.json"]
    assert (m["roc_auc"]["old"], m["roc_auc"]["new"], m["roc_auc"]["diff"]) == (0.91, BIG, "Infinity")
    assert isinstance(m["roc_auc"]["diff"], Token) and "rel" not in m["roc_auc"]
    assert (m["loss"]["new"], m["loss"]["diff"]) == (-BIG, "-Infinity")
    assert (m["huge"]["diff"], m["huge"]["rel"]) == ("-Infinity", -1.0)  # exactly -100%, rounded
    assert m["flip"]["diff"] == "Infinity"  # -1e400 -> inf: the infinite side outweighs
    assert ours["metrics"]["eval/scores.yaml"]["big"]["diff"] == "-Infinity"
    assert ours["metrics"]["eval/stats.toml"]["big"]["diff"] == "NaN"
    params = ours["params"]["params.yaml"]
    assert (params["lr"]["diff"], params["big"]["diff"]) == ("Infinity", "-Infinity")


@pytest.mark.parametrize("fmt", [(), ("--md",)])
@pytest.mark.parametrize(("a", "b"), [("main", "mixed"), ("mixed", "main"), ("main", "ints")])
def test_tables_show_such_integers_in_exponent_form(
    repo: Path, monkeypatch: pytest.MonkeyPatch, fmt: tuple[str, ...], a: str, b: str
) -> None:
    result = _run(repo, monkeypatch, "diff", "--base", a, "--head", b, "--all", *fmt)
    assert result.exit_code == 0, result.output
    assert not _long_digit_runs(result.stdout), result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) < 160
    assert re.search(r"1e\\?\+400", result.stdout)


def test_gates_fail_on_such_an_integer_at_the_head(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(repo, monkeypatch, "gates", "--base", "main", "--head", "mixed")
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["roc_auc", "min", "0.5", "0.91", "1e+400", "FAIL"]
    assert lines[3].split() == ["loss", "max_drop_pct", "5", "0.3", "-1e+400", "FAIL"]
    assert (
        "FAIL: roc_auc is 1e+400 (beyond float range) at the head: a diverged or broken run cannot "
        "pass `max_drop 0.01` (toolkit.yaml line 2)" in lines
    )
    assert (
        "FAIL: loss is -1e+400 (beyond float range) at the head: a diverged or broken run cannot "
        "pass `max_drop_pct 5` (toolkit.yaml line 5)" in lines
    )
    assert not _long_digit_runs(result.output)


def test_a_drop_against_such_an_integer_at_the_base_passes_with_a_warning(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run(repo, monkeypatch, "gates", "--base", "mixed", "--head", "main")
    assert result.exit_code == 0, result.output
    assert (
        "Warning: roc_auc is 1e+400 (beyond float range) at the base, so `max_drop 0.01` cannot be "
        "computed against it; it passes unchecked (the head is 0.91) (toolkit.yaml line 2)"
    ) in result.stderr
    assert "loss is -1e+400 (beyond float range) at the base" in result.stderr
    assert not _long_digit_runs(result.output)


def test_local_ci_fails_the_gate_and_writes_the_report(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    work = tmp_path / "repo"
    shutil.copytree(repo, work, symlinks=True)
    git(work, "checkout", "-q", "mixed")
    report = tmp_path / "report.md"
    result = _run(work, monkeypatch, "ci", "--base", "main", "-o", str(report))
    assert result.exit_code == 3, result.output
    body = report.read_text(encoding="utf-8")
    assert "| `roc_auc` | min 0.5 | 0.91 | 1e+400 | ❌ |" in body
    assert r"roc\_auc is 1e\+400 \(beyond float range\) at the head" in body
    assert not _long_digit_runs(body), _long_digit_runs(body)[:1]
    assert len(body) < 12_000
    (chart,) = [b for b in mermaid_blocks(body) if b[2] == "xychart-beta"]
    series = check_xychart(chart)
    assert '"loss (×1e+308)"' in chart[5]  # the y axis names the unit: values are plain decimals
    assert max(max(s) for s in series) == pytest.approx(1.7, abs=0.01)
    assert len("\n".join(chart)) < 1500
    assert "3 rows not drawn (head 3): `loss` is infinite, not a number or beyond float" in body
    assert "unreadable" not in body


def test_promotion_refuses_such_an_integer_and_the_model_card_shows_it_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.gitrepo import make_repo
    from tests.registry_helpers import Clock, toolkit

    dvc_yaml = "artifacts:\n  churn:\n    path: model.pkl\n    type: model\nmetrics:\n  - eval/metrics.json\n"
    gates = "gates:\n  - metric: roc_auc\n    min: 0.8\n"
    repo = make_repo(tmp_path / "repo", {"dvc.yaml": dvc_yaml, "toolkit.yaml": gates, "model.pkl": "0"})
    clock = Clock(monkeypatch)
    for version, roc_auc in (("v1.0.0", "0.9"), ("v2.0.0", B)):
        write_files(repo, {"model.pkl": version, "eval/metrics.json": f'{{"roc_auc": {roc_auc}}}'})
        commit_all(repo, f"model {version}")
        clock.tick()
        assert toolkit(repo, monkeypatch, "model", "register", "churn", "--version", version)[0] == 0
    clock.tick()
    promote = ("model", "promote", "churn", "--stage", "prod", "--version")
    assert toolkit(repo, monkeypatch, *promote, "v1.0.0")[0] == 0
    clock.tick()
    code, out, err = toolkit(repo, monkeypatch, *promote, "v2.0.0")
    assert code == 3, out + err
    assert "FAIL: roc_auc is 1e+400 (beyond float range) at the head: a diverged or broken run" in out
    code, out, err = toolkit(repo, monkeypatch, "model", "card", "churn@v2.0.0")
    assert code == 0, err
    assert "| eval/metrics.json | roc\\_auc | 1e\\+400 |" in out
    assert not _long_digit_runs(out)
