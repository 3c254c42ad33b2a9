"""`toolkit init` (toolkit/adopt.py, toolkit/commands/init.py) on repos of the shapes found in the
wild: it adds only what is missing, changes nothing else, and `toolkit report` works afterwards.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    assert _install_path(git_root) == "ml/project/requirements.txt"
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


# -- the default branch: origin's HEAD, else the checked-out branch -------------------------------


def _repo_on(path: Path, branch: str, *others: str) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", branch)
    (path / "f.txt").write_text("1\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    for name in others:
        git(path, "branch", name)
    return path


@pytest.mark.parametrize("branch", ["master", "develop", "trunk"])
def test_default_branch_is_origins_head(tmp_path: Path, branch: str) -> None:
    from toolkit import adopt

    _repo_on(tmp_path / "up", branch, "release")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "up"), str(clone))
    git(clone, "checkout", "-q", "-b", "feature")  # the checked-out branch does not decide
    assert adopt.default_branch(clone) == adopt.Branch(branch, "origin's HEAD")
    git(clone, "remote", "set-head", "origin", "release")
    assert adopt.default_branch(clone).name == "release"


@pytest.mark.parametrize(
    ("branches", "checkout", "expected", "assumed"),
    [
        (["master"], None, "master", False),  # no origin: the checked-out branch
        (["develop", "feature"], "feature", "develop", False),  # the one usual name, not a feature
        (["master", "develop", "feature"], "feature", "master", True),  # two: a guess, said so
        (["research"], None, "research", True),  # nothing usual: the checked-out branch
        (["prod"], "--detach", "prod", False),  # detached: the only branch
        (["a", "b"], "--detach", "main", True),
    ],
)
def test_default_branch_without_origin(
    tmp_path: Path, branches: list[str], checkout: str | None, expected: str, assumed: bool
) -> None:
    from toolkit import adopt

    repo = _repo_on(tmp_path / "r", *branches)
    if checkout:
        git(repo, "checkout", "-q", checkout)
    found = adopt.default_branch(repo)
    assert (found.name, found.assumed) == (expected, assumed), found


def test_default_branch_before_the_first_commit_and_with_an_origin_but_no_head(tmp_path: Path) -> None:
    from toolkit import adopt

    unborn = tmp_path / "unborn"
    unborn.mkdir()
    git(unborn, "init", "-q", "-b", "trunk")
    assert adopt.default_branch(unborn) == adopt.Branch("trunk", "the checked-out branch")
    # `git remote add` + fetch sets no origin/HEAD: origin's usual branch beats a feature branch.
    _repo_on(tmp_path / "up", "develop")
    repo = _repo_on(tmp_path / "r", "topic")
    git(repo, "remote", "add", "origin", str(tmp_path / "up"))
    git(repo, "fetch", "-q", "origin")
    assert adopt.default_branch(repo).name == "develop"


@pytest.fixture(scope="module")
def on_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_repos.build_dvclive(tmp_path_factory.mktemp("master") / "up", branch="master")


@pytest.fixture(scope="module")
def subdir_on_develop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_repos.build_subdir(tmp_path_factory.mktemp("develop") / "repo", branch="develop")


def _spy_render(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The template variables `toolkit init` renders the workflows with (the real render runs)."""
    from toolkit import scaffold

    seen: list[dict[str, object]] = []
    real = scaffold.render

    def render(*args: Any, **kwargs: Any) -> dict[str, bytes]:
        seen.append(dict(kwargs.get("overrides") or {}))
        return real(*args, **kwargs)

    monkeypatch.setattr(scaffold, "render", render)
    return seen


def test_a_clone_whose_default_branch_is_master(
    on_master: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(on_master), str(clone))
    git(clone, "checkout", "-q", "feature")
    git(clone, "branch", "-q", "-D", "master")  # only origin/master: as in many clones
    seen = _spy_render(monkeypatch)
    code, out = _run(clone, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "Default branch: master (origin's HEAD)" in out and "--branch" in out
    assert seen and all(o["default_branch"] == "master" for o in seen)
    assert yaml.safe_load((clone / "toolkit.yaml").read_text())["base"] == "master"
    # A local diff now has a base: master, as origin has it.
    monkeypatch.chdir(clone)
    result = CliRunner().invoke(cli, ["diff", "--json"])
    assert result.exit_code == 0, result.output
    acc = json.loads(result.stdout)["metrics"]["dvclive/metrics.json"]["eval.acc"]
    assert acc["old"] == pytest.approx(0.65) and acc["new"] == pytest.approx(0.75)


def test_a_subdir_root_whose_default_branch_is_develop(
    subdir_on_develop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_root = subdir_on_develop.parent.parent
    shutil.copytree(git_root.parent, tmp_path / "copy", symlinks=True)  # the cache beside it too
    root = tmp_path / "copy" / git_root.name / real_repos.SUBDIR
    git(root, "checkout", "-q", "feature")
    code, out = _run(root, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "Default branch: develop (the one branch here named" in out
    assert yaml.safe_load((root / "toolkit.yaml").read_text())["base"] == "develop"
    assert not (root.parent.parent / "toolkit.yaml").exists()  # the DVC root's, not the git root's
    result = CliRunner().invoke(cli, ["diff", "--json", "--all"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metrics"]["eval/metrics.json"]["acc"]["old"] == 0.81


def test_branch_option(dvclive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC, "--branch", "bad..name")
    assert code == 1 and "--branch 'bad..name' is not a valid git branch name" in out
    assert not (dvclive / ".github").exists() and not (dvclive / "toolkit.yaml").exists()
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC, "--branch", "a$(id)")
    assert code == 1 and "has characters the workflows cannot hold safely" in out
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC, "--branch", "release/2")
    assert code == 0, out
    assert "Default branch: release/2 (--branch)" in out
    assert yaml.safe_load((dvclive / "toolkit.yaml").read_text())["base"] == "release/2"


def test_a_default_branch_the_workflows_cannot_hold(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(dvclive, "checkout", "-q", "-b", "${{github.token}}")  # a valid git branch name
    git(dvclive, "branch", "-q", "-D", "main")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 1 and "the default branch (the checked-out branch)" in out and "--branch" in out
    assert not (dvclive / ".github").exists()


def test_main_writes_no_base(dvclive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "Default branch: main (the checked-out branch)" in out
    assert "base:" not in (dvclive / "toolkit.yaml").read_text()  # main is the default already


# -- the requirements file the workflows install ------------------------------------------------


def _install_path(git_root: Path) -> str:
    """The requirements file pull-request.yml's Install step reads, from the git root."""
    pr = yaml.safe_load((git_root / ".github/workflows/pull-request.yml").read_text())
    job = pr["jobs"]["report"]
    install = next(s for s in job["steps"] if s.get("name") == "Install")
    folder = install.get("working-directory") or job.get("defaults", {}).get("run", {}).get(
        "working-directory", "."
    )
    arg = str(install["run"]).removeprefix("python -m pip install -r ")
    return posixpath.normpath(posixpath.join(folder, arg))


def _run_printed_git_add(out: str, cwd: Path) -> None:
    """Run the `git add` lines `toolkit init` printed, as printed."""
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("git add")]
    assert lines, out
    for line in lines:
        done = subprocess.run(["bash", "-c", line], cwd=cwd, capture_output=True, text=True)
        assert done.returncode == 0, f"{line}: {done.stderr}"


@pytest.mark.parametrize(
    ("ignore", "name"),
    [
        ("requirements.txt", "requirements-ci.txt"),
        ("ml/project/requirements.txt", "requirements-ci.txt"),
        ("ml/**/req*.txt", "ci-requirements.txt"),
    ],
)
def test_an_ignored_requirements_file_is_never_written(
    subdir: Path, monkeypatch: pytest.MonkeyPatch, ignore: str, name: str
) -> None:
    git_root = subdir.parent.parent
    (git_root / ".gitignore").write_text(f"{ignore}\n")
    code, out = _run(git_root, monkeypatch, "init", "ml/project", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert not (subdir / "requirements.txt").exists()
    assert _install_path(git_root) == f"ml/project/{name}"
    assert f"git ignores requirements.txt here, so the workflows install ml/project/{name}" in out
    assert (subdir / name).read_text().splitlines()[-1] == SPEC
    _run_printed_git_add(out, git_root)
    staged = git(git_root, "diff", "--cached", "--name-only").splitlines()
    assert f"ml/project/{name}" in staged and len(staged) == 5


def test_when_every_name_is_ignored_the_file_is_force_added(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (dvclive / ".gitignore").write_text("*.txt\n")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "git add -f -- requirements.txt" in out and "ignores every name" in out
    _run_printed_git_add(out, dvclive)
    assert "requirements.txt" in git(dvclive, "diff", "--cached", "--name-only").splitlines()


def test_an_ignored_existing_requirements_file_is_left_alone(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (dvclive / ".gitignore").write_text("/requirements.txt\n")
    (dvclive / "requirements.txt").write_text("dvclive\n")  # a local file CI never sees
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "requirements.txt is ignored by git (CI would not have it)" in out
    assert (dvclive / "requirements.txt").read_text() == "dvclive\n"
    assert _install_path(dvclive) == "requirements-ci.txt"


@pytest.mark.parametrize(
    ("files", "chosen"),
    [
        (["base.txt", "dev.txt"], "requirements/dev.txt"),
        (["ci.txt", "dev.txt", "prod.txt"], "requirements/ci.txt"),
        (["pipeline.txt"], "requirements/pipeline.txt"),
        (["a.txt", "b.txt"], "requirements.txt"),  # no obvious one: a new file, and a note
    ],
)
def test_a_requirements_folder(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, files: list[str], chosen: str
) -> None:
    for name in files:
        (dvclive / "requirements").mkdir(exist_ok=True)
        (dvclive / "requirements" / name).write_text("pandas\n")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert _install_path(dvclive) == chosen
    assert (dvclive / chosen).read_text().splitlines()[-1] == SPEC
    if chosen == "requirements.txt":
        assert "requirements/ has several files and none is the obvious one" in out
    else:
        assert f"append {chosen}" in out and f"the workflows install {chosen} of requirements/" in out


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("Pipfile", '[packages]\npandas = "*"\n', "`pipenv requirements >> requirements.txt`"),
        ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["pandas"]\n', "`-e .`"),
        ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.11"\n', "`-e .`"),
        ("environment.yml", "dependencies:\n  - pandas\n", "pip names of its packages"),
    ],
)
def test_packages_declared_elsewhere_are_named(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, says: str
) -> None:
    (dvclive / name).write_text(text)
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert f"the repository declares its packages in {name}, which the workflows do not install" in out
    assert says in out


def test_a_pyproject_without_dependencies_is_not_named(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (dvclive / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0 and "declares its packages" not in out


@pytest.mark.parametrize(
    ("url", "line"),
    [
        ("s3://bucket/store", "dvc[s3]>=3.49"),
        ("ssh://user@host.example/srv/dvc", "dvc[ssh]>=3.49"),
        ("gdrive://0AIac4JZqHhKmUk9PDA/dvc", "dvc[gdrive]>=3.49"),
    ],
)
def test_the_repos_remote_gets_its_dvc_extra(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, url: str, line: str
) -> None:
    subprocess.run([sys.executable, "-m", "dvc", "remote", "add", "-d", "store", url],
                   cwd=dvclive, check=True, capture_output=True)
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert (dvclive / "requirements.txt").read_text().splitlines()[-2:] == [SPEC, line]


@pytest.mark.parametrize(
    ("url", "extra"),
    [
        ("s3://b/p", "s3"), ("gs://b/p", "gs"), ("azure://c/p", "azure"), ("ssh://h/p", "ssh"),
        ("gdrive://id", "gdrive"), ("hdfs://h/p", "hdfs"), ("webhdfs://h/p", "webhdfs"),
        ("oss://b/p", "oss"), ("webdav://h/p", "webdav"), ("webdavs://h/p", "webdav"),
        ("S3://b/p", "s3"), ("https://h/p", None), ("http://h/p", None), ("/mnt/store", None),
        ("../store", None), ("C:\\store", None),
    ],
)
def test_dvc_extra_per_scheme(url: str, extra: str | None) -> None:
    from toolkit import installs

    assert installs.dvc_extra(url) == extra


@pytest.mark.parametrize(
    ("existing", "added"),
    [
        ("dvc[s3]>=3.0\n", None),
        ("dvc[all]==3.50.0\n", None),
        ("DVC[gs,s3]\n", None),
        ("dvc==3.30.0\n", "dvc[s3]==3.30.0"),  # the same version, so pip can satisfy both
        ("dvc\n", "dvc[s3]"),
        ("# dvc[s3]\npandas\n", "dvc[s3]>=3.49"),
    ],
)
def test_the_extra_respects_the_dvc_line_there(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, existing: str, added: str | None
) -> None:
    (dvclive / "requirements.txt").write_text(existing)
    (dvclive / ".dvc" / "config").write_text("[core]\n    remote = store\n['remote \"store\"']\n    url = s3://b/p\n")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    expected = existing + f"{SPEC}\n" + (f"{added}\n" if added else "")
    assert (dvclive / "requirements.txt").read_text() == expected


def test_the_printed_commit_works_without_a_git_identity(
    dvclive: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bare = tmp_path / "gitconfig"
    bare.write_text("[commit]\n\tgpgsign = false\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(bare))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("EMAIL", "")
    code, out = _run(dvclive, monkeypatch, "init", "--toolkit-requirement", SPEC)
    assert code == 0, out
    steps = out.split("Review, then commit:\n")[1].split("\n\n")[0].splitlines()
    assert steps[-2].strip().startswith("git config user.name")
    done = subprocess.run(["bash", "-c", "set -e\n" + "\n".join(steps)], cwd=dvclive,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert git(dvclive, "status", "--porcelain") == ""


def test_a_metric_beyond_float_range_gets_no_gate_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.diff_repos import dvc
    from tests.gitrepo import commit_all

    files = {"dvc.yaml": "metrics:\n  - eval/metrics.json\n"}
    files["eval/metrics.json"] = json.dumps({"roc_auc": 10**400, "accuracy": 0.9})
    repo = make_repo(tmp_path / "app", files)
    dvc(repo, "init", "-q")
    commit_all(repo, "dvc init")
    code, out = _run(repo, monkeypatch, "init", "--dry-run", "--toolkit-requirement", SPEC)
    assert code == 0, out
    assert "create toolkit.yaml: 1 gate suggestions, commented out" in out
