"""Stale results and config first (issue 10): `dvc status` at the top of diff/report/gates, gates
refusing stale results, `toolkit ci` checking toolkit.yaml before the pipeline and naming
uncommitted changes on a laptop.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

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
    assert json.loads(out)["stale"] == {
        "stages": ["prep"], "params": ["config.toml:prep"], "deps": [], "missing": [], "unchecked": []
    }

    code, out, err = _run(repo, monkeypatch, "report", "--base", "feature")
    assert code == 0
    lines = out.splitlines()
    headline = "⚠️ Stale results, not a verdict: the quality gate passes on them"
    assert lines[1] == f"## {headline}" and lines[3] == "> [!WARNING]"  # never "✅ ... passes"
    assert "stage prep is out of date" in lines[4]
    assert out.index("stale") < out.index("Comparing")

    code, out, err = _run(repo, monkeypatch, "gates", "--base", "feature")
    assert code == 1
    assert "stale" in err and "`toolkit repro`" in err and "--allow-stale" in err
    assert "pass" not in out  # no table: the gates were not evaluated
    code, out, err = _run(repo, monkeypatch, "gates", "--base", "feature", "--allow-stale")
    assert code == 0, err
    assert "stage prep is out of date" in err and "pass" in out
    assert out.splitlines()[-1] == headline  # the report's verdict, word for word

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

    def spy(root: Path, tracked: Any = None) -> object:
        calls.append(root)
        return real(root, tracked)

    monkeypatch.setattr(stale, "_dvc_status", spy)
    monkeypatch.setattr(stale, "MAX_HASH_BYTES", 10)  # gen.py alone is more
    assert stale.check(repo) is None and calls == [repo]
    _make_stale(repo)
    found = stale.check(repo)
    assert found is not None and found.stages == ("prep",) and found.params == ("config.toml:prep",)


# -- a fresh clone lacks DVC-tracked data: the fix is to pull it, not to reproduce ----------------

FRESH_DVC_YAML = """\
stages:
  make:
    cmd: python gen.py make.json
    deps:
      - gen.py
      - make.json
    outs:
      - data
  use:
    cmd: python gen.py use.json
    deps:
      - gen.py
      - use.json
      - data/x.csv
      - raw.csv
    metrics:
      - m.json:
          cache: false
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo whose data (a stage's output folder, a `dvc add`ed file) is on its DVC remote."""
    from tests.diff_repos import GEN
    from tests.diff_repos import dvc as real_dvc

    top = tmp_path_factory.mktemp("fresh")
    origin = top / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    real_dvc(origin, "init", "-q")
    real_dvc(origin, "remote", "add", "-d", "store", "../store")
    write_files(origin, {
        "gen.py": GEN, "dvc.yaml": FRESH_DVC_YAML, "raw.csv": "r\n1\n",
        "make.json": json.dumps({"data/x.csv": "x\n1\n", "data/y.csv": "y\n2\n"}),
        "use.json": json.dumps({"m.json": json.dumps({"acc": 0.9})}),
        "toolkit.yaml": "gates:\n  - metric: acc\n    min: 0.5\n  - metric: acc\n    max: 1\n",
    })
    real_dvc(origin, "add", "-q", "raw.csv")
    real_dvc(origin, "repro", "-q")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "v1")
    real_dvc(origin, "push", "-q")
    return top


@pytest.fixture
def fresh(published: Path, tmp_path: Path) -> Path:
    shutil.copytree(published, tmp_path / "top", symlinks=True)
    clone = tmp_path / "top" / "clone"
    git(tmp_path / "top", "clone", "-q", str(tmp_path / "top" / "origin"), str(clone))
    assert not (clone / "data").exists() and not (clone / "raw.csv").exists()
    return clone


def test_a_fresh_clone_is_told_to_pull(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = stale.check(fresh)
    assert found is not None
    assert (found.stages, found.missing, found.unchecked) == ((), ("data/x.csv", "raw.csv"), ("use",))
    assert found.headline == "Data not pulled"
    message = found.message()
    assert "run `dvc pull` (or `toolkit repro --pull`)" in message and "toolkit repro`" not in message
    assert "data/x.csv, raw.csv are not in the workspace" in message
    # dvc status (past the hash budget) says the same.
    monkeypatch.setattr(stale, "MAX_HASH_BYTES", 0)
    assert stale.check(fresh) == found
    monkeypatch.undo()

    code, out, err = _run(fresh, monkeypatch, "gates")
    assert code == 1 and "`dvc pull`" in err and "out of date" not in err
    code, out, err = _run(fresh, monkeypatch, "report")
    assert code == 0 and out.splitlines()[1] == (
        "## ⚠️ Data not pulled, not a verdict: both quality gates pass on them"
    )
    code, out, err = _run(fresh, monkeypatch, "diff", "--json")
    assert json.loads(out)["stale"]["missing"] == ["data/x.csv", "raw.csv"]

    # The fix the message gives.
    from tests.diff_repos import dvc as real_dvc

    real_dvc(fresh, "pull", "-q")
    assert stale.check(fresh) is None
    code, out, err = _run(fresh, monkeypatch, "report")
    assert out.splitlines()[1] == "## ✅ Both quality gates pass"


def test_a_fresh_clone_with_a_changed_input_is_told_both(fresh: Path) -> None:
    (fresh / "use.json").write_text(json.dumps({"m.json": json.dumps({"acc": 0.8})}))
    found = stale.check(fresh)
    assert found is not None and found.stages == ("use",) and found.deps == ("use.json",)
    assert found.missing == ("data/x.csv", "raw.csv") and found.unchecked == ()
    assert found.headline == "Stale results"
    assert "run `toolkit repro --pull` to fetch the data and bring the results up to date" in found.message()
    # A source file deleted from the workspace is a change, not missing data.
    (fresh / "gen.py").unlink()
    found = stale.check(fresh)
    assert found is not None and "gen.py" in found.deps and "gen.py" not in found.missing
    from tests.diff_repos import dvc as real_dvc

    theirs = stale.parse_status(real_dvc(fresh, "status", "--json").stdout, lambda p: p != "gen.py")
    assert theirs is not None and set(theirs.deps) == set(found.deps) and theirs.missing == found.missing


def test_parse_status_tells_missing_data_from_changes() -> None:
    text = json.dumps({
        "train": [{"changed deps": {"data/prepared/train.csv": "deleted"}},
                  {"changed outs": {"models/model.pkl": "not in cache"}}],
        "evaluate": [{"changed deps": {"models/model.pkl": "deleted", "src/evaluate.py": "modified"}}],
    })
    found = stale.parse_status(text, lambda path: not path.startswith("src/"))
    assert found is not None
    assert (found.stages, found.deps) == (("evaluate",), ("src/evaluate.py",))
    assert found.missing == ("data/prepared/train.csv", "models/model.pkl") and found.unchecked == ("train",)
    # Without knowing what DVC stores, a deleted dependency stays a change.
    plain = stale.parse_status(text)
    assert plain is not None and plain.stages == ("train", "evaluate") and plain.missing == ()


def test_local_ci_without_a_base_fails_before_the_pipeline(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "branch", "-m", "main", "trunk")  # no `main`, no origin: nothing to compare against
    git(repo, "branch", "-D", "feature")
    _make_stale(repo)  # the pipeline would run prep: it must not
    lock = (repo / "dvc.lock").read_text()
    code, out, err = _run(repo, monkeypatch, "ci", "-o", str(repo.parent / "r.md"))
    assert code == 1
    assert "no base revision to compare against" in err and "--base" in err
    assert "Running stage" not in out + err and "dvc repro" not in err
    assert (repo / "dvc.lock").read_text() == lock and not (repo.parent / "r.md").exists()
    # A base named on the command line that does not exist: the same, before the pipeline.
    code, out, err = _run(repo, monkeypatch, "ci", "--base", "nope", "-o", str(repo.parent / "r.md"))
    assert code == 1 and "nope" in err and "Running stage" not in out + err
    assert (repo / "dvc.lock").read_text() == lock


# -- committed results that `dvc repro` gives differently (toolkit ci, after the pipeline) --------


def _commit_and_repro(repo: Path, edits: dict[str, str], keep: tuple[str, ...] = ()) -> None:
    """Edit, commit (results as they were, or reproduced but `keep` as before), then reproduce."""
    from tests.diff_repos import dvc as real_dvc

    write_files(repo, edits)
    if keep:
        before = {path: (repo / path).read_text() for path in keep}
        real_dvc(repo, "repro", "-q", "--all-pipelines")
        write_files(repo, before)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "edit")
    real_dvc(repo, "repro", "-q", "--all-pipelines")


def test_committed_results_that_are_current_are_not_named(repo: Path) -> None:
    from toolkit import committed

    assert committed.check(repo) is None
    _commit_and_repro(repo, {"notes.txt": "not a dependency\n"})
    assert committed.check(repo) is None


@pytest.mark.parametrize(
    ("edit", "files", "stages"),
    [
        # A param changed and the lock was not committed; the output itself came out the same.
        ("params", ("dvc.lock",), ("prep",)),
        # A dependency changed: the lock and the git-tracked output it changed.
        ("dep", ("dvc.lock", "prep_stats.json"), ("prep",)),
        # A stage in another dvc.yaml: its own lock file.
        ("sub params", ("reports/dvc.lock",), ("reports/dvc.yaml:report",)),
    ],
)
def test_committed_results_out_of_date(
    repo: Path, edit: str, files: tuple[str, ...], stages: tuple[str, ...]
) -> None:
    from toolkit import committed

    toml = (repo / "config.toml").read_text()
    edits = {
        "params": {"config.toml": toml.replace("rows = 1000", "rows = 1001")},
        "dep": {"spec.json": json.dumps({"prep_stats.json": json.dumps({"test_rows": 7})})},
        "sub params": {"config.toml": toml.replace("top_k = 5", "top_k = 6")},
    }[edit]
    _commit_and_repro(repo, edits)
    found = committed.check(repo, label="feature")
    assert found is not None and (found.files, found.stages) == (files, stages)
    message = found.message()
    assert message.startswith(f"the committed results are out of date: {' and '.join(files)} at feature")
    assert message.endswith("run `toolkit repro` and commit " + ("it." if len(files) == 1 else "them."))
    assert not found.push  # nothing DVC stores changed here
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the fix")
    assert committed.check(repo) is None


def test_a_committed_output_that_its_own_lock_contradicts_is_named(repo: Path) -> None:
    from toolkit import committed

    # dvc.lock committed after `dvc repro`, but the old metrics file with it.
    spec = {"spec.json": json.dumps({"prep_stats.json": json.dumps({"test_rows": 7})})}
    _commit_and_repro(repo, spec, keep=("prep_stats.json",))
    found = committed.check(repo)
    assert found is not None and (found.files, found.stages) == (("prep_stats.json",), ("prep",))
