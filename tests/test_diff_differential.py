"""Differential tests: `toolkit diff --json` against the real `dvc metrics diff` / `dvc params diff`.

On every key DVC reports, our `old`/`new`/`diff` must equal DVC's; every key only one side
reports must be one of the documented differences (see toolkit/metrics.py): lists and null
leaves kept, bools without a numeric diff, NaN -> NaN unchanged, non-finite numbers as null.
"""

from __future__ import annotations

import json
import math
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


def _toolkit(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _norm(value: Any) -> Any:
    """DVC prints NaN/Infinity tokens; our strict JSON prints null for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _is_gap(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> bool:
    """A key only one tool reports, or reports differently, for a documented reason."""
    if theirs is None:  # we report it, DVC does not
        assert ours is not None
        values = (ours.get("old"), ours.get("new"))
        return (
            any(isinstance(v, list) for v in values)  # DVC drops list metrics
            or values == (None, None)  # null leaves (and NaN, printed null) dropped by DVC
            or any(isinstance(v, bool) for v in values)  # True == 1 for DVC
        )
    old, new = theirs.get("old"), theirs.get("new")
    if ours is None:  # DVC reports it, we do not: NaN -> NaN is unchanged for us
        return any(isinstance(v, float) and math.isnan(v) for v in (old, new))
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
                    assert _norm(dvcs.get(field)) == mine.get(field), (path, key, field, mine, dvcs)
                    if field in dvcs and _norm(dvcs[field]) is not None:
                        assert type(dvcs[field]) is type(mine[field]), (path, key, field)
                checked += 1
            else:
                assert _is_gap(mine, dvcs), f"{path}:{key} ours={mine} dvc={dvcs}"
    assert checked > 0


@pytest.mark.parametrize(("a", "b"), [("main", "feature"), ("feature", "main")])
def test_metrics_and_params_match_dvc(repo: Path, monkeypatch: pytest.MonkeyPatch, a: str, b: str) -> None:
    ours = _toolkit(repo, monkeypatch, "--base", a, "--head", b)
    assert "problems" not in ours
    assert_matches_dvc(ours["metrics"], diff_repos.dvc_json(repo, "metrics", "diff", a, b))
    assert_matches_dvc(ours["params"], diff_repos.dvc_json(repo, "params", "diff", a, b))

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
    theirs = diff_repos.dvc_json(repo, "metrics", "diff", "main", "feature")
    mine = ours["eval/metrics.json"]
    dvcs = theirs["eval/metrics.json"]
    assert mine["lst"] == {"old": [1, 2], "new": [1, 3], "status": "modified"}
    assert "lst" not in dvcs  # DVC drops lists
    assert mine["flag"]["old"] is True and "diff" not in mine["flag"]
    assert dvcs["flag"]["diff"] == -1  # DVC subtracts bools
    assert "nan" not in mine and math.isnan(dvcs["nan"]["old"])  # NaN -> NaN: unchanged for us
    assert mine["inf"]["old"] is None and dvcs["inf"]["old"] == math.inf
    # int 1 -> float 1.0 is unchanged for both.
    assert "int_to_float" not in mine and "int_to_float" not in dvcs


def test_all_and_workspace_match_dvc(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workspace head (the default), --all, and a workspace edit that is not committed."""
    write_files(repo, {"top.yaml": "a: 5\nb:\n  c: 2\n  d: text\nlr_e: 1e-3\nfresh: 0.5\n"})
    try:
        ours = _toolkit(repo, monkeypatch, "--base", "main", "--all")
        theirs = diff_repos.dvc_json(repo, "metrics", "diff", "main", "--all")
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
        assert_matches_dvc(ours["params"], diff_repos.dvc_json(repo, "params", "diff", "main", "--all"))
    finally:
        git(repo, "checkout", "--", "top.yaml")


def test_templated_pipeline_matches_dvc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """foreach/matrix/vars, cached outputs found through templated dvc.lock stage names."""
    repo = tmp_path / "templated"
    diff_repos.build_templated(repo)
    ours = _toolkit(repo, monkeypatch, "--base", "main", "--head", "feature", "--all")
    assert "problems" not in ours
    theirs_m = diff_repos.dvc_json(repo, "metrics", "diff", "main", "feature", "--all")
    theirs_p = diff_repos.dvc_json(repo, "params", "diff", "main", "feature", "--all")
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
