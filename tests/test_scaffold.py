"""`toolkit new` and toolkit.scaffold: real git, real dvc, the generated pipeline really trained."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from filelock import FileLock

from tests.gitrepo import git, make_repo, write_files
from tests.scaffold_helpers import METRIC_KEYS, STAGES, dvc, isolated_env, tree
from toolkit import dvc as tdvc
from toolkit import proc, scaffold
from toolkit.cli import cli
from toolkit.results import ReproResult

EXPECTED_FILES = {
    ".dvcignore",
    ".github/workflows/deploy.yml",
    ".github/workflows/main.yml",
    ".github/workflows/pull-request.yml",
    ".github/workflows/pr-comment.yml",
    ".gitignore",
    "README.md",
    "dvc.yaml",
    "params.yaml",
    "requirements.txt",
    "src/evaluate.py",
    "src/prepare.py",
    "src/smoke_test.py",
    "src/train.py",
    "toolkit.yaml",
    # monitoring (issue 12)
    ".github/workflows/monitor.yml",
    ".github/workflows/retrain.yml",
    "src/production_batch.py",
}


@dataclass(frozen=True)
class Reproduced:
    """A scaffolded project (with git), reproduced once and then again."""

    root: Path
    commit: str | None
    first: ReproResult
    second: ReproResult


def _scaffold_and_repro(base: Path, env: Mapping[str, str]) -> Reproduced:
    made = scaffold.create(base / "demo", environ=env, cwd=base)
    first = tdvc.repro(made.root, environ=env)
    second = tdvc.repro(made.root, environ=env)
    return Reproduced(made.root, made.commit, first, second)


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory: pytest.TempPathFactory, _git_config: Path) -> Reproduced:
    """One reproduced scaffold for the whole run, built by the first xdist worker that needs it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, shared by its workers
    shared, record = base / "shared-scaffold", base / "shared-scaffold.json"
    with FileLock(str(base / "shared-scaffold.lock")):
        if not record.exists():
            shared.mkdir()
            made = _scaffold_and_repro(shared, isolated_env(_git_config))
            record.write_text(json.dumps(asdict(made), default=str))
    data = json.loads(record.read_text())
    runs = [
        ReproResult(tuple(r["ran"]), tuple(r["skipped"]), r["seconds"], r["log"])
        for r in (data["first"], data["second"])
    ]
    return Reproduced(Path(data["root"]), data["commit"], *runs)


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


# -- rendering ----------------------------------------------------------------------------------


def test_render_produces_every_project_file(tmp_path: Path) -> None:
    files = scaffold.render(tmp_path / "My Model!")
    assert set(files) == EXPECTED_FILES
    readme = files["README.md"].decode()
    assert readme.startswith("# my-model\n")
    assert "../my-model-dvc-storage" in readme
    assert "mlops-toolkit==" in files["requirements.txt"].decode()
    for rel, content in files.items():
        text = content.decode()
        assert "{%" not in text and "{{ " not in text.replace("${{ ", ""), rel
    # Non-template files are copied byte for byte.
    source = scaffold.templates_dir() / "project"
    assert files["dvc.yaml"] == (source / "dvc.yaml").read_bytes()


@pytest.mark.parametrize(
    ("folder", "name"),
    [("demo", "demo"), ("My Model!", "my-model"), ("__", "ml-project"), ("a.b_c", "a.b_c")],
)
def test_project_name(folder: str, name: str) -> None:
    assert scaffold.project_name(folder) == name


def test_dvc_yaml_declares_the_pipeline_metrics_and_plots(tmp_path: Path) -> None:
    spec = yaml.safe_load(scaffold.render(tmp_path / "p")["dvc.yaml"])
    assert list(spec["stages"]) == list(STAGES)
    for stage in spec["stages"].values():
        assert stage["deps"] and stage["params"] and stage["outs"]
    assert spec["stages"]["evaluate"]["metrics"] == [{"eval/metrics.json": {"cache": False}}]
    plots = {next(iter(p)): next(iter(p.values())) for p in spec["plots"]}
    assert plots["confusion"]["template"] == "confusion"
    assert (plots["confusion"]["x"], plots["confusion"]["y"]) == (
        "actual",
        {"eval/plots/confusion.json": "predicted"},
    )
    assert set(plots) == {"roc", "precision_recall", "confusion"}


# -- without git ----------------------------------------------------------------------------------


def test_no_git_writes_only_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = _invoke("new", "proj", "--no-git")
    assert code == 0
    root = tmp_path / "proj"
    assert tree(root) == scaffold.render(root)
    assert not (root / ".git").exists() and not (root / ".dvc").exists()
    assert not (tmp_path / "proj-dvc-storage").exists()
    assert "Next steps:" in out and "git init -b main && dvc init" in out


# -- with git (the shared, reproduced scaffold) ------------------------------------------------


def test_git_scaffold_is_one_clean_commit_on_main(reproduced: Reproduced) -> None:
    root = reproduced.root
    assert git(root, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(root, "rev-list", "--count", "HEAD") == "1"
    assert reproduced.commit == git(root, "rev-parse", "HEAD")
    committed = set(git(root, "ls-files").splitlines())
    assert committed >= EXPECTED_FILES
    assert {".dvc/config", ".dvc/.gitignore"} <= committed
    assert git(root, "log", "-1", "--format=%an") == "Toolkit Tests"


def test_git_scaffold_has_a_local_remote_outside_the_repo(reproduced: Reproduced) -> None:
    root = reproduced.root
    assert tdvc.has_remote(root)
    remote = tdvc.default_remote(root)
    assert remote is not None
    assert remote.url == "../../demo-dvc-storage"  # relative, so clones beside it work too
    assert remote.local_path == (root.parent / "demo-dvc-storage").resolve()
    assert remote.local_path.is_dir()
    assert "../demo-dvc-storage" in (root / "README.md").read_text()


def test_scaffold_reproduces_with_real_dvc(reproduced: Reproduced) -> None:
    assert reproduced.first.ran == STAGES
    assert reproduced.first.skipped == ()
    metrics = json.loads((reproduced.root / "eval" / "metrics.json").read_text())
    assert set(metrics) >= METRIC_KEYS
    for key in METRIC_KEYS - {"log_loss"}:
        assert 0.0 <= metrics[key] <= 1.0, key
    assert metrics["log_loss"] > 0
    # Comfortably above the gates in toolkit.yaml.
    assert metrics["accuracy"] >= 0.93 and metrics["roc_auc"] >= 0.98
    plots = reproduced.root / "eval" / "plots"
    roc = json.loads((plots / "roc.json").read_text())
    assert roc[0] == {"fpr": 0.0, "tpr": 0.0} and roc[-1] == {"fpr": 1.0, "tpr": 1.0}
    pr = json.loads((plots / "precision_recall.json").read_text())
    assert pr and set(pr[0]) == {"precision", "recall"}
    confusion = json.loads((plots / "confusion.json").read_text())
    assert len(confusion) == metrics["test_rows"]
    assert {row["actual"] for row in confusion} == {"benign", "malignant"}


def test_second_repro_is_a_no_op(reproduced: Reproduced) -> None:
    assert reproduced.second.ran == ()
    assert reproduced.second.skipped == STAGES
    assert dvc(reproduced.root, "status").strip() == "Data and pipelines are up to date."


def test_outputs_are_ignored_and_results_are_committable(reproduced: Reproduced) -> None:
    changed = {line[3:] for line in git(reproduced.root, "status", "--porcelain", "-uall").splitlines()}
    assert changed == {
        "dvc.lock",
        "data/.gitignore",
        "models/.gitignore",
        "data/production/.gitignore",
        "eval/metrics.json",
        "eval/plots/roc.json",
        "eval/plots/precision_recall.json",
        "eval/plots/confusion.json",
    }


def test_dvc_plots_show_understands_the_plots(reproduced: Reproduced) -> None:
    shown = json.loads(dvc(reproduced.root, "plots", "show", "--json"))
    assert set(shown["data"]) == {"roc", "precision_recall", "confusion"}


def test_same_params_give_byte_identical_results(
    reproduced: Reproduced, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second, separate scaffold; its stages run directly (dvc adds nothing to determinism).
    monkeypatch.chdir(tmp_path)
    code, _, err = _invoke("new", "again", "--no-git")
    assert code == 0, err
    again = tmp_path / "again"
    for stage in STAGES:
        subprocess.run([sys.executable, f"src/{stage}.py"], cwd=again, check=True, capture_output=True)
    for rel in ("eval/metrics.json", "eval/plots/roc.json", "eval/plots/confusion.json"):
        assert (again / rel).read_bytes() == (reproduced.root / rel).read_bytes(), rel


# -- refusals --------------------------------------------------------------------------------------


def test_non_empty_folder_is_refused_before_writing(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    write_files(target, {"notes.txt": "mine\n"})
    before = tree(target)
    code, _, err = _invoke("new", str(target))
    assert code == 1
    assert str(target) in err and "--force" in err
    assert tree(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]  # no storage folder either


def test_force_adds_files_and_never_touches_existing_ones(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    mine = {"notes.txt": "mine\n", "data/raw.csv": "a,b\n1,2\n", "src/helper.py": "X = 1\n"}
    write_files(target, mine)
    code, _, err = _invoke("new", str(target), "--force")
    assert code == 0, err
    for rel, content in mine.items():
        assert (target / rel).read_text() == content
    # The first commit holds the project's files only, not the user's (data may be large).
    committed = set(git(target, "ls-files").splitlines())
    assert committed >= EXPECTED_FILES and not committed & set(mine)


def test_force_refuses_conflicts_before_writing(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    write_files(target, {"README.md": "my readme\n", "params.yaml": "lr: 1\n", "keep.txt": "k\n"})
    before = tree(target)
    code, _, err = _invoke("new", str(target), "--force", "--no-git")
    assert code == 1
    assert "README.md" in err and "params.yaml" in err and "keep.txt" not in err
    assert tree(target) == before


def test_folder_where_a_file_is_needed_is_a_conflict(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    write_files(target, {"src": "a file, not a folder\n"})
    code, _, err = _invoke("new", str(target), "--force", "--no-git")
    assert code == 1 and "src" in err
    assert tree(target) == {"src": b"a file, not a folder\n"}


def test_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, _, err = _invoke("new", str(target))
    assert code == 1
    assert "is a file" in err and str(target) in err
    assert target.read_text() == "x"


def test_missing_git_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    code, _, err = _invoke("new", str(tmp_path / "proj"))
    assert code == 1
    assert "git is not installed" in err and "--no-git" in err
    assert not (tmp_path / "proj").exists()


# -- failures midway ------------------------------------------------------------------------------


@pytest.fixture
def failing_dvc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every dvc call fail, as a broken dvc install would (after the files are written)."""
    fake = (sys.executable, "-c", "import sys; sys.exit('ERROR: dvc is broken here')")
    monkeypatch.setattr(proc, "DVC", fake)


@pytest.mark.usefixtures("failing_dvc")
def test_failure_midway_removes_a_new_project(tmp_path: Path) -> None:
    code, _, err = _invoke("new", str(tmp_path / "proj"))
    assert code == 1
    assert "dvc init" in err and "dvc is broken here" in err and "nothing was left behind" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("failing_dvc")
def test_failure_midway_keeps_what_was_there(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    write_files(target, {"keep.txt": "k\n", "data/raw.csv": "1\n"})
    before = tree(target)
    code, _, _ = _invoke("new", str(target), "--force")
    assert code == 1
    assert tree(target) == before
    assert sorted(p.name for p in target.iterdir()) == ["data", "keep.txt"]  # no .git, no .dvc
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


@pytest.mark.usefixtures("failing_dvc")
def test_failure_midway_in_an_existing_repo_unstages_and_removes(tmp_path: Path) -> None:
    target = make_repo(tmp_path / "repo", {"keep.txt": "k\n"})
    head = git(target, "rev-parse", "HEAD")
    code, _, _ = _invoke("new", str(target), "--force")
    assert code == 1
    assert git(target, "rev-parse", "HEAD") == head
    assert git(target, "status", "--porcelain") == ""
    assert sorted(p.name for p in target.iterdir()) == [".git", "keep.txt"]


def test_existing_repo_with_force_gets_a_commit_on_top(tmp_path: Path) -> None:
    target = make_repo(tmp_path / "repo", {"LICENSE": "MIT\n"})
    code, out, err = _invoke("new", str(target), "--force")
    assert code == 0, err
    assert "used the existing git repo" in out.lower()
    assert git(target, "rev-list", "--count", "HEAD") == "2"
    assert git(target, "status", "--porcelain") == ""


def test_first_commit_without_a_git_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "gitconfig"
    bare.write_text("[init]\n\tdefaultBranch = master\n")  # no user, and a different default
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(bare))
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{name}_{part}", raising=False)
    code, _, err = _invoke("new", str(tmp_path / "proj"))
    assert code == 0, err
    root = tmp_path / "proj"
    assert git(root, "log", "-1", "--format=%an <%ae>") == (
        "mlops-toolkit <mlops-toolkit@users.noreply.github.com>"
    )
    assert git(root, "symbolic-ref", "--short", "HEAD") == "main"


def test_failed_first_commit_rolls_back_after_real_dvc_init(tmp_path: Path) -> None:
    # An existing repo whose commits cannot be signed: git commit fails after dvc init succeeded.
    target = make_repo(tmp_path / "repo", {"keep.txt": "k\n"})
    git(target, "config", "commit.gpgsign", "true")
    git(target, "config", "gpg.program", "false")
    before = tree(target)
    code, _, err = _invoke("new", str(target), "--force")
    assert code == 1
    assert "git" in err and "nothing was left behind" in err
    assert tree(target) == before  # .git excluded by tree(): checked through git below
    assert git(target, "status", "--porcelain") == ""
    assert git(target, "rev-list", "--count", "HEAD") == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]  # storage folder removed


# -- CI's caches: a fresh runner with the DVC cache restored re-runs nothing ---------------------


def _fresh_runner_checkout(reproduced: Reproduced, tmp_path: Path, *, with_cache: bool) -> Path:
    """The committed, reproduced project as a new clone (what actions/checkout gives a runner),
    with .dvc/cache copied in when with_cache (what actions/cache restores)."""
    import shutil

    origin = tmp_path / "origin"
    shutil.copytree(reproduced.root, origin, symlinks=True)
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "Reproduce the pipeline")
    runner = tmp_path / "runner"
    git(tmp_path, "clone", "-q", str(origin), str(runner))
    assert not (runner / "models" / "model.pkl").exists() and not (runner / ".dvc" / "cache").exists()
    if with_cache:
        shutil.copytree(origin / ".dvc" / "cache", runner / ".dvc" / "cache", symlinks=True)
    return runner


def _ci(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    return subprocess.run(
        [sys.executable, "-m", "toolkit", "ci", "--base", "main", "-o", str(root.parent / "r.md")],
        cwd=root, env=env, capture_output=True, text=True,
    )


def test_restored_dvc_cache_reruns_no_stage(reproduced: Reproduced, tmp_path: Path) -> None:
    runner = _fresh_runner_checkout(reproduced, tmp_path, with_cache=True)
    run = _ci(runner)
    assert run.returncode == 0, run.stderr
    restored = "prepare, train, production_batch"
    assert f"dvc repro: restored from the run-cache: {restored}; up to date: evaluate" in run.stderr
    assert "Running stage" not in run.stdout + run.stderr
    report = (tmp_path / "r.md").read_text()
    assert (
        "`dvc repro` ran no stage: 3 restored from DVC's run-cache (`prepare`, `train`, `production_batch`)"
        in report
    )
    # The restored results are the committed ones: nothing differs from main.
    assert git(runner, "status", "--porcelain") == ""
    model = ("models", "model.pkl")
    assert runner.joinpath(*model).read_bytes() == reproduced.root.joinpath(*model).read_bytes()


def test_without_the_cache_a_fresh_runner_reruns_the_stages(
    reproduced: Reproduced, tmp_path: Path
) -> None:
    runner = _fresh_runner_checkout(reproduced, tmp_path, with_cache=False)
    run = _ci(runner)
    assert run.returncode == 0, run.stderr
    assert "dvc repro: ran: prepare, train, production_batch" in run.stderr


def test_new_inside_an_existing_repo_points_to_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    make_repo(tmp_path / "app", {"README.md": "# app\n"})
    monkeypatch.chdir(tmp_path)
    args = ["new", "--no-git", "--toolkit-requirement", "mlops-toolkit==0.1.0"]
    inside = CliRunner().invoke(cli, [*args, "app/ml"])
    assert inside.exit_code == 0, inside.output
    assert "inside the existing git repository" in inside.stderr and "`toolkit init" in inside.stderr
    outside = CliRunner().invoke(cli, [*args, "fresh"])
    assert outside.exit_code == 0 and "toolkit init" not in outside.stderr


def test_a_refused_new_inside_a_repo_announces_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(tmp_path / "app", {"README.md": "# app\n", "ml/notes.txt": "mine\n"})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["new", "app/ml", "--toolkit-requirement", "mlops-toolkit==0.1.0"])
    assert result.exit_code == 1
    assert "is not empty" in result.stderr
    # Checked first, announced after: nothing says a project is being made.
    assert "anyway" not in result.output and "inside the existing" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "app" / "ml").iterdir()) == ["notes.txt"]


def _next_steps(out: str) -> list[str]:
    """The indented lines right under "Next steps:" (the variables note after them is not a step)."""
    lines = out.splitlines()
    start = lines.index("Next steps:") + 1
    steps = list(itertools.takewhile(lambda line: line.startswith("  "), lines[start:]))
    return [line.strip() for line in steps]


def test_next_steps_run_as_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`toolkit new --no-git` from an install no runner can reach, by a user with no git identity:
    every printed step, run as printed, succeeds."""
    bare = tmp_path / "gitconfig"
    bare.write_text("[init]\n\tdefaultBranch = master\n[commit]\n\tgpgsign = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(bare))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("EMAIL", "")
    for name in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{name}_{part}", raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, err = _invoke("new", "proj", "--no-git")
    assert code == 0, err
    steps = _next_steps(out)
    assert "pip install -r requirements.txt" not in "\n".join(steps)  # its toolkit line cannot install
    assert any(step.startswith("git config user.name") for step in steps)
    script = "set -e\n" + "\n".join(steps) + "\n"
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    root = tmp_path / "proj"
    assert git(root, "rev-list", "--count", "HEAD") == "1" and git(root, "status", "--porcelain") == ""
    assert any((tmp_path / "proj-dvc-storage").rglob("*"))  # dvc push wrote the data there


def test_next_steps_follow_the_situation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    given = ["--toolkit-requirement", "mlops-toolkit==0.1.0"]
    code, out, err = _invoke("new", "a", "--no-git", *given)
    assert code == 0, err
    steps = _next_steps(out)
    assert steps[0] == "cd a" and steps[1] == "git init -b main && dvc init"
    assert any(step.startswith("pip install -r requirements.txt") for step in steps)  # as given
    assert not any(step.startswith("git config") for step in steps)  # the tests' identity is set
    assert steps[-1].startswith("dvc push")
    code, out, err = _invoke("new", "b", "--no-git", *given, "--remote", "s3://bucket/b")
    assert code == 0, err
    # An S3 remote needs credentials first: the check says which are missing, else dvc push runs.
    assert _next_steps(out)[-1].startswith("toolkit remote check && dvc push")
