"""Stale results and config first (issue 10): `dvc status` at the top of diff/report/gates, gates
refusing stale results, `toolkit ci` checking toolkit.yaml before the pipeline and naming
uncommitted changes on a laptop.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import real_repos
from tests.gitrepo import git, write_files
from toolkit import stale
from toolkit.cli import cli

GATES = "gates:\n  - metric: dvclive/metrics.json:eval.acc\n    min: 0.1\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_repos.build_dvclive(tmp_path_factory.mktemp("stale") / "repo")


@pytest.fixture
def repo(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path / "repo", symlinks=True)
    return tmp_path / "repo"


def _run(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout, result.stderr


def _make_stale(repo: Path) -> None:
    toml = repo / "config.toml"
    toml.write_text(toml.read_text().replace("rows = 1000", "rows = 1001"))


def test_parse_status_names_stages_params_and_deps() -> None:
    text = json.dumps({
        "prep": [{"changed deps": {"gen.py": "modified", "config.toml": {"prep": "modified"}}}],
        "train": ["changed command"],
        "always": ["always changed"],
        "pulled": [{"changed outs": {"eval": "deleted"}}],
    })
    found = stale.parse_status(text)
    assert found is not None
    assert found.stages == ("prep", "train")
    assert found.params == ("config.toml:prep",)
    assert found.deps == ("gen.py",)
    message = found.message()
    assert "stages prep, train are out of date" in message and "`toolkit repro`" in message
    assert stale.parse_status("{}") is None
    assert stale.parse_status("not json") is None


def test_fresh_workspace_is_not_stale(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _run(repo, monkeypatch, "diff", "--base", "feature", "--json")
    assert code == 0
    assert "stale" not in err and "stale" not in json.loads(out)


def test_stale_workspace(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "toolkit.yaml").write_text(GATES)
    _make_stale(repo)
    code, out, err = _run(repo, monkeypatch, "diff", "--base", "feature")
    assert code == 0
    assert "stage prep is out of date (params config.toml:prep changed since dvc.lock)" in err
    code, out, err = _run(repo, monkeypatch, "diff", "--base", "feature", "--json")
    assert json.loads(out)["stale"] == {"stages": ["prep"], "params": ["config.toml:prep"], "deps": []}

    code, out, err = _run(repo, monkeypatch, "report", "--base", "feature")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("## ") and lines[3] == "> [!WARNING]"
    assert "stage prep is out of date" in lines[4]
    assert out.index("stale") < out.index("Comparing")

    code, out, err = _run(repo, monkeypatch, "gates", "--base", "feature")
    assert code == 1
    assert "stale" in err and "`toolkit repro`" in err and "--allow-stale" in err
    assert "pass" not in out  # no table: the gates were not evaluated
    code, out, err = _run(repo, monkeypatch, "gates", "--base", "feature", "--allow-stale")
    assert code == 0, err
    assert "stage prep is out of date" in err and "pass" in out

    # A commit as head is what it is: no status check.
    code, out, err = _run(repo, monkeypatch, "gates", "--base", "feature", "--head", "main")
    assert code == 0 and "stale" not in err

    # The fix the message gives.
    code, out, err = _run(repo, monkeypatch, "repro")
    assert code == 0, err
    code, out, err = _run(repo, monkeypatch, "gates", "--base", "feature")
    assert code == 0 and "stale" not in err


@pytest.mark.parametrize(
    ("gates", "expected"),
    [
        (GATES.replace("metrics.json", "metric.json"), "did you mean `dvclive/metrics.json`"),
        ("gates:\n  - metric: eval.acc\n    max_dorp: 0.1\n", "unknown gate rule `max_dorp`"),
        ("gate:\n  - metric: eval.acc\n", "toolkit.yaml"),
    ],
)
def test_ci_checks_toolkit_yaml_before_the_pipeline(
    repo: Path, monkeypatch: pytest.MonkeyPatch, gates: str, expected: str
) -> None:
    (repo / "toolkit.yaml").write_text(gates)
    _make_stale(repo)  # the pipeline would run prep: it must not
    lock = (repo / "dvc.lock").read_text()
    code, out, err = _run(repo, monkeypatch, "ci", "--base", "feature", "-o", str(repo.parent / "r.md"))
    assert code == 1
    assert expected in err
    assert "Running stage" not in out + err
    assert (repo / "dvc.lock").read_text() == lock
    assert not (repo.parent / "r.md").exists()


def test_local_ci_names_uncommitted_changes(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "toolkit.yaml").write_text(GATES)
    _make_stale(repo)
    report = repo.parent / "r.md"
    code, _out, err = _run(repo, monkeypatch, "ci", "--base", "feature", "-o", str(report))
    assert code == 0, err
    body = report.read_text()
    header = body.split("Comparing")[0]
    assert "> A local run with uncommitted changes: `config.toml`, `toolkit.yaml`." in header
    assert "stale" not in header  # ci reproduced the pipeline first
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tune")
    code, _out, err = _run(repo, monkeypatch, "ci", "--base", "feature", "-o", str(report))
    assert code == 0, err
    assert "uncommitted" not in report.read_text()


# -- toolkit/stale.py answers as `dvc status` does ---------------------------------------------


def _theirs(root: Path) -> tuple[set[str], set[str], set[str]]:
    from tests.diff_repos import dvc as real_dvc

    found = stale.parse_status(real_dvc(root, "status", "--json").stdout)
    return (set(found.stages), set(found.params), set(found.deps)) if found else (set(), set(), set())


def _ours(root: Path) -> tuple[set[str], set[str], set[str]]:
    found = stale.check(root)
    return (set(found.stages), set(found.params), set(found.deps)) if found else (set(), set(), set())


DIR_PIPELINE = """\
stages:
  count:
    cmd: python -c "import os; print(len(os.listdir('data')))" > n.txt
    deps:
      - data
    outs:
      - n.txt
  build:
    wdir: sub
    cmd: python ../gen.py ../spec.json
    deps:
      - ../gen.py
    params:
      - ../params.yaml:
          - model
"""


@pytest.mark.parametrize(
    "edit",
    ["nothing", "params", "dep file", "command", "sub params", "dir file", "dir new file", "ignored file",
     "params deleted key"],
)
def test_stale_check_agrees_with_dvc_status(repo: Path, tmp_path: Path, edit: str) -> None:
    from tests.diff_repos import GEN
    from tests.diff_repos import dvc as real_dvc

    write_files(
        repo,
        {
            "dvc.yaml": (repo / "dvc.yaml").read_text() + DIR_PIPELINE.removeprefix("stages:\n"),
            "data/a.txt": "a\n", "data/b/c.txt": "c\n", "gen.py": GEN, "sub/.keep": "",
            "params.yaml": "model:\n  depth: 3\n  width: 2\nother: 1\n", ".dvcignore": "*.tmp\n",
        },
    )
    real_dvc(repo, "repro", "-q", "--all-pipelines")
    assert _ours(repo) == _theirs(repo) == (set(), set(), set())
    toml = repo / "config.toml"
    if edit == "params":
        toml.write_text(toml.read_text().replace("rows = 1000", "rows = 7"))
    elif edit == "dep file":
        (repo / "gen.py").write_text(GEN + "# changed\n")
    elif edit == "command":
        (repo / "dvc.yaml").write_text((repo / "dvc.yaml").read_text().replace("> n.txt", ">n.txt"))
    elif edit == "sub params":
        toml.write_text(toml.read_text().replace("top_k = 5", "top_k = 6"))
    elif edit == "dir file":
        (repo / "data/b/c.txt").write_text("changed\n")
    elif edit == "dir new file":
        (repo / "data/d.txt").write_text("new\n")
    elif edit == "ignored file":
        (repo / "data/scratch.tmp").write_text("ignored\n")
    elif edit == "params deleted key":
        (repo / "params.yaml").write_text("model:\n  depth: 3\nother: 2\n")
    ours, theirs = _ours(repo), _theirs(repo)
    assert ours == theirs
    assert bool(ours[0]) == (edit not in ("nothing", "ignored file"))


def test_repro_at_the_dvc_root_takes_every_dvc_yaml(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = repo / "config.toml"
    toml.write_text(toml.read_text().replace("top_k = 5", "top_k = 6"))  # reports/dvc.yaml only
    found = stale.check(repo)
    assert found is not None and found.stages == ("reports/dvc.yaml:report",)
    code, out, err = _run(repo, monkeypatch, "repro")
    assert code == 0, err
    assert "ran: reports/dvc.yaml:report" in out
    assert stale.check(repo) is None


def test_past_the_hash_budget_dvc_status_answers(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = stale._dvc_status

    def spy(root: Path) -> object:
        calls.append(root)
        return real(root)

    monkeypatch.setattr(stale, "_dvc_status", spy)
    monkeypatch.setattr(stale, "MAX_HASH_BYTES", 10)  # gen.py alone is more
    assert stale.check(repo) is None and calls == [repo]
    _make_stale(repo)
    found = stale.check(repo)
    assert found is not None and found.stages == ("prep",) and found.params == ("config.toml:prep",)
