"""`toolkit init` (toolkit/adopt.py, toolkit/commands/init.py) on repos of the shapes found in the
wild: it adds only what is missing, changes nothing else, and `toolkit report` works afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests import real_repos
from tests.gitrepo import git, make_repo
from tests.test_workflows import actionlint_command
from toolkit.cli import cli

SPEC = "mlops-toolkit==0.1.0"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("adopt")
    return {
        "subdir": real_repos.build_subdir(base / "subdir"),
        "dvclive": real_repos.build_dvclive(base / "dvclive"),
    }


@pytest.fixture
def subdir(built: dict[str, Path], tmp_path: Path) -> Path:
    """A fresh copy of the subdir shape (its cache lives beside the git repo: copied too)."""
    git_root = built["subdir"].parent.parent
    shutil.copytree(git_root.parent, tmp_path / "copy", symlinks=True)
    return tmp_path / "copy" / git_root.name / real_repos.SUBDIR


@pytest.fixture
def dvclive(built: dict[str, Path], tmp_path: Path) -> Path:
    shutil.copytree(built["dvclive"], tmp_path / "live", symlinks=True)
    return tmp_path / "live"


def _run(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output and "This is a bug" not in result.output, result.output
    return result.exit_code, result.output


def _status(git_root: Path) -> list[str]:
    return git(git_root, "status", "--porcelain", "--untracked-files=all").splitlines()


def test_dry_run_prints_the_plan_and_writes_nothing(subdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git_root = subdir.parent.parent
    before = _status(git_root)
    code, out = _run(subdir / "eval", monkeypatch, "init", "--dry-run", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "DVC project in ml/project" in out
    for name in ("pull-request.yml", "pr-comment.yml", "main.yml"):
        assert f"create .github/workflows/{name}" in out
    assert "create ml/project/toolkit.yaml: 4 gate suggestions" in out
    assert "create ml/project/requirements.txt" in out
    assert "Dry run: nothing was written." in out
    assert "git add" not in out
    assert _status(git_root) == before


def test_subdir_project_is_adopted_and_reported(subdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git_root = subdir.parent.parent
    before = set(_status(git_root))
    head = git(git_root, "rev-parse", "HEAD")
    code, out = _run(git_root, monkeypatch, "init", "ml/project", "--toolkit-requirement", SPEC)
    assert code == 0, out
    # The plan comes first, then the one `git add` line; nothing was committed.
    assert out.index("toolkit init plan") < out.index("git add --")
    added = set(_status(git_root)) - before
    assert added == {
        "?? .github/workflows/pull-request.yml",
        "?? .github/workflows/pr-comment.yml",
        "?? .github/workflows/main.yml",
        "?? ml/project/toolkit.yaml",
        "?? ml/project/requirements.txt",
    }
    assert git(git_root, "rev-parse", "HEAD") == head and git(git_root, "diff", "--cached") == ""
    line = next(x for x in out.splitlines() if "git add --" in x)  # paths from the cwd
    assert sorted(line.split()[3:]) == sorted(p[3:] for p in added)

    pr = yaml.safe_load((git_root / ".github/workflows/pull-request.yml").read_text())
    steps = pr["jobs"]["report"]["steps"]
    # Every run step runs in the DVC root: paths in `run:` are relative to it.
    assert pr["jobs"]["report"]["defaults"] == {"run": {"working-directory": "ml/project"}}
    assert any("toolkit ci" in str(s.get("run")) for s in steps)
    install = next(s for s in steps if s.get("name") == "Install")
    assert install["run"] == "python -m pip install -r requirements.txt"
    cache = next(s for s in steps if s.get("name") == "Restore the DVC cache")
    assert cache["with"]["path"] == "ml/project/.dvc/cache"
    assert (subdir / "requirements.txt").read_text().splitlines()[-1] == SPEC

    # The suggestions are commented out: the file is valid and sets no gate...
    text = (subdir / "toolkit.yaml").read_text()
    assert yaml.safe_load(text) is None
    assert "#   - metric: eval/metrics.json:acc" in text and "#   - metric: eval/metrics.json:loss" in text
    code, out = _run(subdir, monkeypatch, "gates", "--base", "feature", "--head", "main")
    assert code == 0 and "No quality gates configured" in out
    # ...and each one, uncommented, is a gate `toolkit gates` evaluates.
    (subdir / "toolkit.yaml").write_text(
        "\n".join(x.replace("# ", "", 1) if x.startswith(("# gates", "#   ", "#     ")) else x
                  for x in text.splitlines()) + "\n"
    )
    code, out = _run(subdir, monkeypatch, "gates", "--base", "feature", "--head", "main")
    assert code == 3, out  # acc fell from 0.84 to 0.81: more than 1% worse
    assert "eval/metrics.json:acc" in out and "eval/metrics.json:loss" in out

    code, out = _run(subdir, monkeypatch, "report", "--base", "feature", "--head", "main")
    assert code == 0, out
    assert "`eval/metrics.json`" in out and "not committed" not in out
    assert "#### eval/curve.json" in out  # a plot inside the cached folder output, from the cache


def test_adopted_workflows_are_lint_clean(subdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git_root = subdir.parent.parent
    code, out = _run(subdir, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    files = sorted(str(p) for p in (git_root / ".github" / "workflows").glob("*.yml"))
    assert len(files) == 3
    zizmor = Path(sys.executable).parent / "zizmor"
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    done = subprocess.run([str(zizmor), "--offline", *files], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint is not available (see tests/test_workflows.py)")
    done = subprocess.run([*command, *files], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dvclive_repo_with_requirements_gets_one_line(dvclive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (dvclive / "requirements.txt").write_text("dvc>=3.49\ndvclive  # logging")  # no final newline
    git(dvclive, "add", "requirements.txt")
    git(dvclive, "commit", "-q", "-m", "requirements")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "append requirements.txt" in out
    assert (dvclive / "requirements.txt").read_text() == f"dvc>=3.49\ndvclive  # logging\n{SPEC}\n"
    assert git(dvclive, "diff", "--name-only").splitlines() == ["requirements.txt"]  # nothing else
    pr = (dvclive / ".github/workflows/pull-request.yml").read_text()
    assert "working-directory" not in pr
    text = (dvclive / "toolkit.yaml").read_text()
    # Well-known names only: no gate on `step`, `test_rows` or `Documents_evaluated`.
    assert "dvclive/metrics.json:eval.acc" in text and "reports/summary.toml:f1" in text
    assert "step" not in text.replace("steps", "") and "test_rows" not in text
    code, out = _run(dvclive, monkeypatch, "report", "--base", "feature", "--head", "main")
    assert code == 0, out
    assert "dvclive/plots/metrics/train/acc.tsv" in out  # the plots folder, one chart per file

    # Run again: the requirements already name the toolkit; every file it would create exists.
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 1
    assert "requirements.txt already installs the toolkit" in out
    for name in ("pull-request.yml", "pr-comment.yml", "main.yml"):
        assert f".github/workflows/{name}" in out.split("Error:")[1]
    assert "toolkit.yaml" in out.split("Error:")[1] and "nothing was written" in out


def test_one_existing_file_refuses_everything(dvclive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (dvclive / "toolkit.yaml").write_text("base: main\n")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 1
    assert "create toolkit.yaml: 3 gate suggestions, commented out  (exists: refused)" in out
    assert "Error: toolkit.yaml already exists" in out
    assert not (dvclive / ".github").exists() and not (dvclive / "requirements.txt").exists()
    assert (dvclive / "toolkit.yaml").read_text() == "base: main\n"
    code, out = _run(dvclive, monkeypatch, "init", "--dry-run", "--toolkit-requirement", SPEC)
    assert code == 1 and "toolkit.yaml already exists" in out


def test_not_a_dvc_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "app", {"main.py": "print(1)\n"})
    code, out = _run(repo, monkeypatch, "init")
    assert code == 1
    assert "is not a DVC repository" in out and "`dvc init`" in out
    assert _status(repo) == []


def test_foreach_matrix_repo_is_adopted_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import diff_repos

    repo = tmp_path / "templated"
    diff_repos.build_templated(repo)
    code, out = _run(repo, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    text = (repo / "toolkit.yaml").read_text()
    assert "#   - metric: out/rf.json:score" in text  # foreach outputs, cached
    assert "#   - metric: grid/g1.json:score" in text  # matrix outputs in a wdir
    code, out = _run(repo, monkeypatch, "report", "--base", "main", "--head", "feature")
    assert code == 0, out
    assert "`grid/g3.json`" in out and '["grid@1"]' in out  # the pipeline graph too


# -- toolkit init --remote: the same remote set-up as `toolkit new --remote` ------------------------


def test_init_with_an_s3_remote(dvclive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (dvclive / "requirements.txt").write_text("dvc>=3.49\n")
    url, endpoint = "s3://ml-bucket/team/live", "http://127.0.0.1:9000"
    code, out = _run(
        dvclive, monkeypatch,
        "init", "--toolkit-requirement", SPEC, "--remote", url, "--endpoint-url", endpoint,
    )
    assert code == 0, out
    assert f"remote .dvc/config: DVC default remote `storage`: {url} (no credentials written)" in out
    config = (dvclive / ".dvc" / "config").read_text()
    assert "remote = storage" in config and f"url = {url}" in config and f"endpointurl = {endpoint}" in config
    assert (dvclive / "requirements.txt").read_text() == f"dvc>=3.49\n{SPEC}\ndvc[s3]>=3.49\n"
    pr = (dvclive / ".github/workflows/pull-request.yml").read_text()
    assert "aws-actions/configure-aws-credentials@" in pr  # the read-only OIDC role, for S3 only
    for path in [*dvclive.rglob("*.yml"), dvclive / ".dvc" / "config", dvclive / "requirements.txt"]:
        text = path.read_text()
        assert "aws_secret_access_key" not in text.lower() and "AKIA" not in text, path


def test_init_remote_refuses_a_repo_that_has_a_default_remote(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    subprocess.run(
        [sys.executable, "-m", "dvc", "remote", "add", "-d", "mine", str(tmp_path / "store")],
        cwd=dvclive, check=True, capture_output=True,
    )
    before = (dvclive / ".dvc" / "config").read_text()
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC, "--remote", "s3://bkt/p")
    assert code == 1
    assert "Error: a default DVC remote (`mine`:" in out and "nothing was written" in out
    assert (dvclive / ".dvc" / "config").read_text() == before
    assert not (dvclive / ".github").exists() and not (dvclive / "toolkit.yaml").exists()


def test_init_remote_options_need_remote(dvclive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(dvclive, monkeypatch, "init", "--region", "eu-west-1")
    assert code == 2 and "--endpoint-url and --region need --remote" in out
    code, out = _run(dvclive, monkeypatch, "init", "--remote", "s3://AKIAX:secret@bucket/p")
    assert code == 1 and not (dvclive / ".github").exists()
