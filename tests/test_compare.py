"""toolkit.compare: the engine over real git (and DVC) repositories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests import diff_repos
from tests.gitrepo import commit_all, git, make_repo, write_files
from toolkit.compare import compare
from toolkit.config import Config
from toolkit.errors import MetricsFileError, RevisionError
from toolkit.results import Comparison, Entry

DVC_YAML = """\
stages:
  evaluate:
    cmd: python evaluate.py
    params:
      - train
    metrics:
      - eval/metrics.json:
          cache: false
    plots:
      - eval/roc.csv:
          cache: false
          x: fpr
          y: tpr
      - eval/cm.png:
          cache: false
"""


def _entries(entries: list[Entry]) -> dict[tuple[str, str], Entry]:
    return {(e.path, e.key): e for e in entries}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path / "repo",
        {
            "dvc.yaml": DVC_YAML,
            "params.yaml": "train:\n  lr: 0.1\n  epochs: 3\nprepare:\n  split: 0.2\n",
            "eval/metrics.json": json.dumps({"acc": 0.8, "loss": 0.5, "per": {"a": 1}}),
            "eval/roc.csv": "fpr,tpr\n0,0\n1,1\n",
        },
    )


def _compare(repo: Path, base: str | None = "main", head: str | None = None, **kw: object) -> Comparison:
    return compare(repo, base, head, environ=kw.pop("environ", {}), config=kw.pop("config", Config()), **kw)  # type: ignore[arg-type]


def test_workspace_head_by_default(repo: Path) -> None:
    write_files(repo, {"eval/metrics.json": json.dumps({"acc": 0.9, "loss": 0.5, "per": {"a": 2}})})
    result = _compare(repo)
    assert result.head.is_workspace and result.base.sha == git(repo, "rev-parse", "main")
    e = _entries(result.metrics)
    assert e[("eval/metrics.json", "acc")].status == "modified"
    assert e[("eval/metrics.json", "acc")].improved is True
    assert e[("eval/metrics.json", "loss")].status == "unchanged"  # unchanged entries included
    assert e[("eval/metrics.json", "per.a")].diff == 1
    p = _entries(result.params)
    assert p[("params.yaml", "train.lr")].status == "unchanged"
    assert ("params.yaml", "prepare.split") in p  # params.yaml is shown whole, as in DVC
    assert result.problems == []


def test_missing_file_at_one_revision_is_a_problem(repo: Path) -> None:
    git(repo, "rm", "-q", "eval/metrics.json")
    commit_all(repo, "lose metrics")
    result = _compare(repo, "main~1", "main")
    assert [(p.path, p.revision, p.kind) for p in result.problems] == [
        ("eval/metrics.json", "main", "missing")
    ]
    assert "eval/metrics.json" in result.problems[0].message and "main (" in result.problems[0].message
    assert {e.status for e in result.metrics} == {"removed"}
    # In the workspace the message says how to produce it.
    ws = _compare(repo, "main~1")
    assert "dvc repro" in ws.problems[0].message and ws.problems[0].revision == "workspace"


def test_metrics_file_declared_only_at_head(repo: Path) -> None:
    write_files(repo, {"dvc.yaml": DVC_YAML + "metrics:\n  - extra.yaml\n", "extra.yaml": "x: 1\n"})
    result = _compare(repo)
    assert result.problems == []
    assert _entries(result.metrics)[("extra.yaml", "x")].status == "added"


def test_malformed_file_names_file_and_revision(repo: Path) -> None:
    write_files(repo, {"eval/metrics.json": "{broken"})
    sha = commit_all(repo, "broken")
    write_files(repo, {"eval/metrics.json": "{}"})
    with pytest.raises(
        MetricsFileError, match=rf"eval/metrics\.json at main \({sha[:7]}\) is not valid JSON"
    ):
        _compare(repo)
    with pytest.raises(MetricsFileError, match=r"params\.yaml at the workspace is not valid YAML"):
        write_files(repo, {"eval/metrics.json": "{}", "params.yaml": "a: [\n"})
        _compare(repo, "main~1")


def test_python_params_file_is_reported(repo: Path) -> None:
    write_files(repo, {"dvc.yaml": DVC_YAML + "params:\n  - conf.py\n", "conf.py": "LR = 1\n"})
    (problem,) = _compare(repo).problems
    assert (problem.path, problem.kind) == ("conf.py", "unreadable")


def test_default_base_from_pull_request_event(repo: Path, tmp_path: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    write_files(repo, {"a": "1"})
    commit_all(repo, "second")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"ref": "main", "sha": first}}}))
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    result = _compare(repo, None, environ=env)
    assert result.base.sha == first and result.base.name == "main"
    # Not a PR event: the payload is ignored, main is the base.
    env["GITHUB_EVENT_NAME"] = "push"
    assert _compare(repo, None, environ=env).base.sha == git(repo, "rev-parse", "main")


def test_default_base_from_config_then_origin_main(repo: Path, tmp_path: Path) -> None:
    git(repo, "branch", "release")
    assert _compare(repo, None, config=Config(base="release")).base.name == "release"
    git(repo, "branch", "-m", "main", "trunk")
    with pytest.raises(RevisionError, match="tried `main` and `origin/main`"):
        _compare(repo, None)
    git(repo, "update-ref", "refs/remotes/origin/main", "trunk")
    assert _compare(repo, None).base.name == "origin/main"


def test_plots(repo: Path) -> None:
    write_files(repo, {"eval/roc.csv": "fpr,tpr\n0,0\n0.5,0.8\n1,1\n", "eval/cm.png": b"\x89PNG"})
    result = _compare(repo, with_plots=True)
    plots = {p.definition.id: p for p in result.plots}
    roc = plots["eval/roc.csv"]
    assert roc.definition.x == "fpr" and roc.definition.y == ("tpr",)
    assert roc.base == [{"fpr": 0, "tpr": 0}, {"fpr": 1, "tpr": 1}]
    assert roc.head is not None and len(roc.head) == 3
    cm = plots["eval/cm.png"]
    assert cm.definition.image and cm.base is None and cm.head is None
    assert [(p.path, p.revision) for p in result.problems] == [("eval/cm.png", "main")]
    assert _compare(repo).plots == []  # only when asked
    write_files(repo, {"eval/roc.csv": "fpr,tpr\n0,0\n", "dvc.yaml": DVC_YAML + "plots:\n  - bad.json\n"})
    write_files(repo, {"bad.json": "[{"})
    result = _compare(repo, with_plots=True)
    (bad,) = [p for p in result.problems if p.path == "bad.json"]
    assert bad.kind == "unreadable" and "bad.json at the workspace is not valid JSON" in bad.message


@pytest.fixture(scope="module")
def dvc_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cached") / "repo"
    diff_repos.build(path)
    return path


def test_cached_metrics_come_from_the_dvc_cache(dvc_repo: Path) -> None:
    result = _compare(dvc_repo, "main", "feature")
    assert result.problems == []
    e = _entries(result.metrics)
    assert e[("eval/cached.json", "auc")].old == 0.9 and e[("eval/cached.json", "auc")].new == 0.93


def test_cached_metrics_not_in_cache_are_reported(dvc_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(dvc_repo), str(clone))
    result = _compare(clone, "main", "feature")
    problems = {(p.path, p.revision, p.kind) for p in result.problems}
    assert problems == {
        ("eval/cached.json", "main", "not-in-cache"),
        ("eval/cached.json", "feature", "not-in-cache"),
    }
    message = result.problems[0].message
    # A commit's file: pulled with that commit checked out (`toolkit repro --pull` is the workspace's).
    assert "`dvc pull eval/cached.json` with main checked out" in message
    # Its keys are not silently dropped: nothing to compare, but the files' other metrics are.
    assert not any(e.path == "eval/cached.json" for e in result.metrics)
    assert any(e.path == "eval/metrics.json" for e in result.metrics)
    # The workspace lacks the file too (gitignored, never pulled): reported, with the fix.
    ws = _compare(clone, "main")
    assert {(p.revision, p.kind) for p in ws.problems if p.path == "eval/cached.json"} == {
        ("main", "not-in-cache"),
        ("workspace", "not-in-cache"),
    }


def test_legacy_cache_layout(dvc_repo: Path, tmp_path: Path) -> None:
    """DVC 2 caches (.dvc/cache/XX/REST) are read too."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(dvc_repo), str(clone))
    new_layout = dvc_repo / ".dvc" / "cache" / "files" / "md5"
    for sub in new_layout.iterdir():
        shutil.copytree(sub, clone / ".dvc" / "cache" / sub.name)
    result = _compare(clone, "main", "feature")
    assert not [p for p in result.problems if p.path == "eval/cached.json"]
    assert _entries(result.metrics)[("eval/cached.json", "auc")].new == 0.93


def test_declared_folder_expands_to_its_files(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"dvc.yaml": "metrics:\n  - m\n", "m/x.json": '{"a": 1}', "m/sub/y.yaml": "b: 2\n"},
    )
    write_files(repo, {"m/sub/y.yaml": "b: 3\n", "m/z.json": '{"c": 1}'})
    e = _entries(_compare(repo).metrics)
    assert e[("m/sub/y.yaml", "b")].diff == 1
    assert e[("m/x.json", "a")].status == "unchanged"
    assert e[("m/z.json", "c")].status == "added"
