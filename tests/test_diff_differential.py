"""Differential tests: `toolkit diff --json` against the real `dvc metrics diff` / `dvc params diff`.

On every key DVC reports, our `old`/`new`/`diff` must equal DVC's, NaN and infinities down to the
JSON tokens DVC prints (`NaN`, `Infinity`, `-Infinity`); every key only one side reports must be
one of the documented differences (see toolkit/metrics.py): lists and null leaves kept, bools
without a numeric diff, NaN -> NaN unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import diff_repos
from tests.gitrepo import git, write_files
from toolkit.cli import cli


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("differential") / "repo"
    diff_repos.build(path)
    return path


class Token(str):
    """A NaN/Infinity/-Infinity token, kept as the text printed: equal only to the same token."""


def loads(text: str) -> Any:
    """JSON with DVC's non-finite tokens kept as Token (so NaN equals NaN, and the text is checked)."""
    return json.loads(text, parse_constant=Token)


def _toolkit(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return loads(result.stdout)  # type: ignore[no-any-return]


def _dvc(repo: Path, *args: str) -> Any:
    return loads(diff_repos.dvc(repo, *args, "--json").stdout or "{}")


def _is_gap(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> bool:
    """A key only one tool reports, or reports differently, for a documented reason."""
    if theirs is None:  # we report it, DVC does not
        assert ours is not None
        values = (ours.get("old"), ours.get("new"))
        return (
            any(isinstance(v, list) for v in values)  # DVC drops list metrics
            or values == (None, None)  # null leaves dropped by DVC
            or any(isinstance(v, bool) for v in values)  # True == 1 for DVC
        )
    old, new = theirs.get("old"), theirs.get("new")
    if ours is None:  # DVC reports it, we do not: NaN -> NaN is unchanged for us
        return old == new == "NaN"
    if isinstance(old, bool) or isinstance(new, bool):
        # Bools are not numbers for us: same old/new, no diff.
        return ours["old"] == old and ours["new"] == new and "diff" not in ours
    return False


def assert_matches_dvc(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Same old/new/diff on every key DVC reports; anything else a documented gap."""
    checked = 0
    for path in set(ours) | set(theirs):
        our_keys = ours.get(path, {})
        their_keys = theirs.get(path, {})
        for key in set(our_keys) | set(their_keys):
            mine, dvcs = our_keys.get(key), their_keys.get(key)
            if mine is not None and dvcs is not None:
                if _is_gap(mine, dvcs):
                    continue
                for field in ("old", "new", "diff"):
                    assert dvcs.get(field) == mine.get(field), (path, key, field, mine, dvcs)
                    if field in dvcs:
                        assert type(dvcs[field]) is type(mine[field]), (path, key, field)
                checked += 1
            else:
                assert _is_gap(mine, dvcs), f"{path}:{key} ours={mine} dvc={dvcs}"
    assert checked > 0


@pytest.mark.parametrize(("a", "b"), [("main", "feature"), ("feature", "main")])
def test_metrics_and_params_match_dvc(repo: Path, monkeypatch: pytest.MonkeyPatch, a: str, b: str) -> None:
    ours = _toolkit(repo, monkeypatch, "--base", a, "--head", b)
    assert "problems" not in ours
    assert_matches_dvc(ours["metrics"], _dvc(repo, "metrics", "diff", a, b))
    assert_matches_dvc(ours["params"], _dvc(repo, "params", "diff", a, b))

    # The cases the issue lists are really there (a test that cannot fail is a defect).
    metrics = ours["metrics"]
    assert set(metrics) == {"eval/metrics.json", "eval/cached.json", "top.yaml", "sub/scores.yaml"}
    assert metrics["eval/metrics.json"]["nested.deep.y"]["diff"] == (0.5 if a == "main" else -0.5)
    assert metrics["eval/metrics.json"]["name"]["new"] == ("gbm" if a == "main" else "rf")
    assert metrics["eval/cached.json"]["added"]["status"] == ("added" if a == "main" else "removed")
    assert metrics["top.yaml"]["lr_e"]["old"] == (0.001 if a == "main" else 0.002)  # YAML 1.2 float
    params = ours["params"]
    assert set(params) == {"params.yaml", "conf/extra.yaml", "sub/params.yaml"}
    # Stage params with keys: only those keys (and everything below them).
    assert set(params["conf/extra.yaml"]) == {"model.depth", "model.opt.momentum"}
    assert set(params["sub/params.yaml"]) == {"alpha"}


def test_documented_differences_are_real(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ours = _toolkit(repo, monkeypatch, "--base", "main", "--head", "feature")["metrics"]
    theirs = _dvc(repo, "metrics", "diff", "main", "feature")
    mine = ours["eval/metrics.json"]
    dvcs = theirs["eval/metrics.json"]
    assert mine["lst"] == {"old": [1, 2], "new": [1, 3], "status": "modified"}
    assert "lst" not in dvcs  # DVC drops lists
    assert mine["flag"]["old"] is True and "diff" not in mine["flag"]
    assert dvcs["flag"]["diff"] == -1  # DVC subtracts bools
    assert "nan" not in mine and dvcs["nan"]["old"] == "NaN"  # NaN -> NaN: unchanged for us
    assert mine["inf"]["old"] == dvcs["inf"]["old"] == "Infinity"  # as DVC prints it
    # int 1 -> float 1.0 is unchanged for both.
    assert "int_to_float" not in mine and "int_to_float" not in dvcs


def test_all_and_workspace_match_dvc(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workspace head (the default), --all, and a workspace edit that is not committed."""
    write_files(repo, {"top.yaml": "a: 5\nb:\n  c: 2\n  d: text\nlr_e: 1e-3\nfresh: 0.5\n"})
    try:
        ours = _toolkit(repo, monkeypatch, "--base", "main", "--all")
        theirs = _dvc(repo, "metrics", "diff", "main", "--all")
        assert ours["metrics"]["top.yaml"]["a"] == {
            "old": 1,
            "new": 5,
            "diff": 4,
            "status": "modified",
            "rel": 4.0,
        }  # `a` is no known metric name: neutral, neither better nor worse
        assert ours["metrics"]["eval/metrics.json"]["acc"]["direction"] == "higher"
        assert ours["metrics"]["top.yaml"]["b.c"]["status"] == "unchanged"
        assert_matches_dvc(ours["metrics"], theirs)
        assert_matches_dvc(ours["params"], _dvc(repo, "params", "diff", "main", "--all"))
    finally:
        git(repo, "checkout", "--", "top.yaml")


def test_templated_pipeline_matches_dvc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """foreach/matrix/vars, cached outputs found through templated dvc.lock stage names."""
    repo = tmp_path / "templated"
    diff_repos.build_templated(repo)
    ours = _toolkit(repo, monkeypatch, "--base", "main", "--head", "feature", "--all")
    assert "problems" not in ours
    theirs_m = _dvc(repo, "metrics", "diff", "main", "feature", "--all")
    theirs_p = _dvc(repo, "params", "diff", "main", "feature", "--all")
    assert_matches_dvc(ours["metrics"], theirs_m)
    assert_matches_dvc(ours["params"], theirs_p)
    assert ours["metrics"]["out/rf.json"]["score"]["diff"] == 0.6 - 0.5
    assert ours["metrics"]["grid/g3.json"]["score"]["status"] == "added"
    # Values the stages take from cfg.yaml are params too (and only those: not `other`).
    assert set(ours["params"]["cfg.yaml"]) == {
        "models.0.name",
        "models.0.v",
        "models.1.name",
        "models.1.v",
        "paths.out",
    }
    assert set(ours["params"]) == {"params.yaml", "cfg.yaml"}


@pytest.fixture(scope="module")
def non_finite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("non-finite") / "repo"
    diff_repos.build_non_finite(path)
    return path


@pytest.mark.parametrize(("a", "b"), [("main", "feature"), ("feature", "main")])
@pytest.mark.parametrize("all_keys", [False, True])
def test_nan_and_infinity_match_dvc_token_for_token(
    non_finite: Path, monkeypatch: pytest.MonkeyPatch, a: str, b: str, all_keys: bool
) -> None:
    """JSON, YAML and TOML files whose values turn NaN/inf/-inf, or stop being so: DVC's JSON."""
    extra = ("--all",) if all_keys else ()
    ours = _toolkit(non_finite, monkeypatch, "--base", a, "--head", b, *extra)
    assert "problems" not in ours
    for section in ("metrics", "params"):
        theirs = _dvc(non_finite, section, "diff", a, b, *extra)
        assert_matches_dvc(ours[section], theirs)
        # Every key DVC reports is compared (nothing skipped as a "gap" but NaN -> NaN).
        for path, keys in theirs.items():
            for key, entry in keys.items():
                assert key in ours[section][path] or entry["old"] == entry["new"] == "NaN", (path, key)

    metrics = ours["metrics"]
    if a == "main":  # a diverged run: 0.91 -> NaN, printed as DVC prints it
        turned = metrics["eval/metrics.json"]["roc_auc"]
        assert (turned["old"], turned["new"], turned["diff"]) == (0.91, "NaN", "NaN")
        assert turned["improved"] is False
        assert metrics["eval/metrics.json"]["loss"]["new"] == "Infinity"
        assert metrics["eval/stats.toml"]["max"]["new"] == "-Infinity"
        assert metrics["eval/scores.yaml"]["f1"]["old"] == "NaN"
        assert ours["params"]["params.yaml"]["sched.warmup"]["diff"] == "-Infinity"
    assert ("same_inf" in metrics["eval/metrics.json"]) is all_keys  # inf -> inf is unchanged
    assert ("same_nan" in metrics["eval/scores.yaml"]) is all_keys  # NaN -> NaN too (DVC: modified)
