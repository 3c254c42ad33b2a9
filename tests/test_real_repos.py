"""Repos no one here wrote (issue 10): `toolkit diff --json` equals dvc's on each shape of
tests/real_repos.py, from any folder inside the DVC project, and a git repo without DVC is named
"not a DVC repository" by every command that reads the pipeline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import diff_repos, real_repos
from tests.gitrepo import git, make_repo
from tests.test_diff_differential import assert_matches_dvc
from toolkit.cli import cli


@pytest.fixture(scope="module")
def subdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_repos.build_subdir(tmp_path_factory.mktemp("subdir") / "repo")


@pytest.fixture(scope="module")
def dvclive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_repos.build_dvclive(tmp_path_factory.mktemp("dvclive") / "repo")


def _diff(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(cli, ["diff", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("a", "b"), [("main", "feature"), ("feature", "main")])
def test_subdir_project_matches_dvc(subdir: Path, monkeypatch: pytest.MonkeyPatch, a: str, b: str) -> None:
    ours = _diff(subdir, monkeypatch, "--base", a, "--head", b, "--all")
    assert "problems" not in ours, ours.get("problems")
    assert_matches_dvc(ours["metrics"], diff_repos.dvc_json(subdir, "metrics", "diff", a, b, "--all"))
    assert_matches_dvc(ours["params"], diff_repos.dvc_json(subdir, "params", "diff", a, b, "--all"))
    # The default params.yaml of the DVC root, every key (`seed` is declared by no stage).
    assert set(ours["params"]["params.yaml"]) == {"train.lr", "train.epochs", "seed"}
    # Metrics inside the cached folder output `eval`, read through its .dir manifest in the
    # cache that `cache.dir` (in .dvc/config.local) moved out of the repository.
    assert ours["metrics"]["eval/metrics.json"]["acc"]["old"] == (0.81 if a == "main" else 0.84)
    assert set(ours["metrics"]) == {"eval/metrics.json", "scores/a.json", "scores/b.json"}
    assert not (subdir / ".dvc" / "cache").exists()


def test_subdir_project_from_any_folder_inside(subdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at_root = _diff(subdir, monkeypatch, "--base", "main", "--head", "feature")
    for inner in (subdir / "eval", subdir / "scores", subdir / ".dvc"):
        assert _diff(inner, monkeypatch, "--base", "main", "--head", "feature") == at_root


def test_git_root_above_a_subdir_project_names_it(subdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(subdir.parent.parent)
    result = CliRunner().invoke(cli, ["diff"])
    assert result.exit_code == 1
    assert "not inside a DVC repository" in result.output
    assert "cd ml/project" in result.output


def test_cache_dir_is_the_one_dvc_uses(subdir: Path) -> None:
    from toolkit import dvc

    theirs = diff_repos.dvc(subdir, "cache", "dir").stdout.strip()
    assert dvc.cache_dir(subdir) == Path(theirs).resolve()


@pytest.mark.parametrize(("a", "b"), [("main", "feature"), ("feature", "main")])
def test_dvclive_toml_and_no_params_yaml_match_dvc(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, a: str, b: str
) -> None:
    ours = _diff(dvclive, monkeypatch, "--base", a, "--head", b, "--all")
    assert "problems" not in ours, ours.get("problems")
    assert_matches_dvc(ours["metrics"], diff_repos.dvc_json(dvclive, "metrics", "diff", a, b, "--all"))
    assert_matches_dvc(ours["params"], diff_repos.dvc_json(dvclive, "params", "diff", a, b, "--all"))
    assert set(ours["metrics"]) == {"dvclive/metrics.json", "prep_stats.json", "reports/summary.toml"}
    assert set(ours["params"]) == {"config.toml", "dvclive/params.yaml"}
    assert not (dvclive / "params.yaml").exists()


@pytest.mark.parametrize("command", [["diff"], ["report"], ["gates"], ["ci"]])
def test_git_repo_without_dvc_is_not_a_dvc_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    repo = make_repo(tmp_path / "plain", {"README.md": "# app\n", "toolkit.yaml": "gates: []\n"})
    (repo / "src").mkdir()
    monkeypatch.chdir(repo / "src")
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1, result.output
    assert "is not a DVC repository" in result.output
    assert "`dvc init`" in result.output
    assert "No changes" not in result.output and "Traceback" not in result.output


def test_cached_folder_metrics_need_a_pull_then_give_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = real_repos.build_subdir(tmp_path / "repo", cache=None)
    remote = tmp_path / "remote"
    diff_repos.dvc(root, "remote", "add", "-d", "store", str(remote))
    for branch in ("feature", "main"):
        git(root, "checkout", "-q", branch)
        diff_repos.dvc(root, "checkout", "-q")
        diff_repos.dvc(root, "push", "-q")
    for gone in (".dvc/cache", "eval", "scores"):  # as in a fresh clone
        shutil.rmtree(root / gone)
    ours = _diff(root, monkeypatch, "--base", "feature", "--head", "main")
    problems = {(p["path"], p["revision"]): p["message"] for p in ours["problems"]}
    message = problems[("eval/metrics.json", "feature")]
    assert "inside the DVC output eval" in message
    assert "`dvc pull eval` with feature checked out" in message
    assert "not committed" not in message
    assert "acc" not in ours["metrics"].get("eval/metrics.json", {}) or (
        ours["metrics"]["eval/metrics.json"]["acc"]["old"] is None
    )

    for branch in ("feature", "main"):  # what the messages say
        git(root, "checkout", "-q", branch)
        diff_repos.dvc(root, "pull")
    ours = _diff(root, monkeypatch, "--base", "feature", "--head", "main")
    assert "problems" not in ours
    assert ours["metrics"]["eval/metrics.json"]["acc"] == {
        "old": 0.84, "new": 0.81, "diff": 0.81 - 0.84, "status": "modified",
        "rel": (0.81 - 0.84) / 0.84, "direction": "higher", "improved": False,
    }


def test_counts_are_neutral_unless_toolkit_yaml_says(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(dvclive, repo, symlinks=True)
    ours = _diff(repo, monkeypatch, "--base", "main", "--head", "feature")["metrics"]
    rows = ours["prep_stats.json"]["test_rows"]
    assert rows["diff"] == 40 and "direction" not in rows and "improved" not in rows
    assert "improved" not in ours["reports/summary.toml"]["Documents_evaluated"]
    assert ours["reports/summary.toml"]["f1"]["improved"] is True  # a known name keeps its mark
    (repo / "toolkit.yaml").write_text("metrics:\n  test_rows:\n    direction: lower\n")
    ours = _diff(repo, monkeypatch, "--base", "main", "--head", "feature")["metrics"]
    assert ours["prep_stats.json"]["test_rows"]["improved"] is False
