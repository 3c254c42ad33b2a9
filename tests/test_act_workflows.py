"""The generated workflows, run by act against a repository and GitHub on this machine.

See tests/act/harness.py for the set-up and tests/act/standins.py for the stand-ins of the hosted
actions (checkout, setup-python, cache, upload-artifact, download-artifact). Everything the
workflows do themselves (expressions, `if:`, outputs, `needs`, `fromJSON`, shell steps,
environment, the toolkit) runs for real. What does not run here, and why:

- `environment:` protection rules (deploy.yml's stage environment): act has no environments; the
  job runs as if approved.
- `aws-actions/configure-aws-credentials`: only in the workflows of an S3 remote, which these
  tests do not generate (no OIDC token exists outside GitHub); its `if:` on the role variable is
  covered by tests/test_workflows.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.act.harness import ActRun, World, make_subfolder_world, make_world, toolkit
from tests.github_server import GitHubServer
from tests.gitrepo import git
from toolkit.marker import format_marker, parse_marker

pytestmark = pytest.mark.slow


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server


@pytest.fixture
def world(tmp_path: Path, gh: GitHubServer) -> World:
    return make_world(tmp_path, gh)


def _push(before: str, after: str, ref: str = "refs/heads/main") -> dict[str, Any]:
    return {"ref": ref, "before": before, "after": after, "created": before == "0" * 40,
            "deleted": False, "forced": False, "head_commit": {"id": after}, "pusher": {"name": "octocat"}}


def _commit_params(world: World, branch: str, message: str, **train: float) -> str:
    """Commit new `train:` params on `branch` of the developer's clone, push it; its sha."""
    params_file = world.clone / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params["train"].update(train)
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    git(world.clone, "commit", "-q", "-am", message)
    world.publish(branch)
    return git(world.clone, "rev-parse", "HEAD")


def _pull_request(world: World, number: int, branch: str, action: str) -> tuple[dict[str, Any], str, str]:
    head, base, merge = world.open_pull_request(number, branch)
    repo = {"full_name": world.repo}
    payload = {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number, "title": f"Tune {branch}", "body": None, "state": "open",
            "updated_at": "2026-03-02T12:00:00Z",
            "head": {"ref": branch, "sha": head, "repo": repo},
            "base": {"ref": "main", "sha": base, "repo": repo},
        },
    }
    return payload, head, merge


def _report_run(
    world: World, run: ActRun, number: int, branch: str, head: str, *, feed: bool = True
) -> ActRun:
    """pr-comment.yml for the finished pull-request run `run` (its artifact fed to the API)."""
    files = world.artifact_files(run, "toolkit-report")
    if files and feed:  # GitHub keeps what the run uploaded; the API serves it to pr-comment.yml
        world.gh.add_artifact(world.repo, run.run_id, "toolkit-report", files)
    payload = {
        "action": "completed",
        "workflow_run": {
            "id": run.run_id, "name": "ML report", "event": "pull_request", "status": "completed",
            "conclusion": "success" if run.returncode == 0 else "failure",
            "head_branch": branch, "head_sha": head,
            "pull_requests": [{"number": number, "head": {"ref": branch, "sha": head},
                               "base": {"ref": "main", "sha": git(world.clone, "rev-parse", "main")}}],
            "head_repository": {"full_name": world.repo}, "repository": {"full_name": world.repo},
        },
    }
    return world.run("pr-comment.yml", "workflow_run", payload, sha=git(world.clone, "rev-parse", "main"))


def test_main_reproduces_and_pushes_on_a_push(world: World) -> None:
    before = git(world.clone, "rev-parse", "HEAD")
    sha = _commit_params(world, "main", "Lower C on main", C=0.5)
    run = world.run("main.yml", "push", _push(before, sha), sha=sha)
    assert run.returncode == 0 and run.job_succeeded("Reproduce and push"), run.log
    # The pipeline ran again for the new param and pushed its outputs and run-cache entries.
    assert run.step_lines("Running stage 'train'"), run.log
    assert run.step_lines("$ dvc push --run-cache"), run.log
    # The committed results were not those of C=0.5: the step says so.
    assert run.step_lines("::warning title=Stale results::dvc repro changed committed files"), run.log
    assert run.step_lines(" dvc.lock ") and not run.step_lines("Press RETURN"), run.log  # no pager
    # The DVC cache was saved for main (restored by later pull requests).
    assert list((world.store / "cache" / "refs%2Fheads%2Fmain").glob("dvc-Linux-*"))


def test_pull_request_report_comment_update_and_failing_gate(world: World) -> None:
    """pull-request.yml -> its report artifact -> pr-comment.yml: one comment, kept up to date."""
    git(world.clone, "checkout", "-q", "-b", "tune")
    _commit_params(world, "tune", "Lower C", C=0.5)
    payload, head, merge = _pull_request(world, 1, "tune", "opened")
    first = world.run("pull-request.yml", "pull_request", payload, sha=merge)
    assert first.returncode == 0 and first.job_succeeded("Reproduce, compare and report"), first.log
    report = world.artifact_files(first, "toolkit-report")
    assert list(report) == ["report.md"] and b"train.C" in report["report.md"], report
    assert world.gh.comments(world.repo, 1) == []  # the PR's own run writes nothing to GitHub

    # A run that left no report (it failed before writing one): nothing is posted, nothing fails.
    missing = _report_run(world, first, 1, "tune", head, feed=False)
    assert missing.returncode == 0 and missing.job_succeeded("Post the report comment"), missing.log
    assert missing.step_lines("Artifact not found for name: toolkit-report"), missing.log
    assert not missing.step_lines("Main Post the report comment") and world.gh.comments(world.repo, 1) == []

    post = _report_run(world, first, 1, "tune", head)
    assert post.returncode == 0 and post.job_succeeded("Post the report comment"), post.log
    (comment,) = world.gh.comments(world.repo, 1)
    assert "train.C" in comment["body"] and head in comment["body"].splitlines()[0], comment["body"]
    assert "❌" not in comment["body"], comment["body"]  # the gates pass

    # A second push: a new report, the same one comment, updated.
    _commit_params(world, "tune", "Lower C more", C=0.3)
    payload, head2, merge2 = _pull_request(world, 1, "tune", "synchronize")
    second = world.run("pull-request.yml", "pull_request", payload, sha=merge2)
    assert second.returncode == 0, second.log
    assert _report_run(world, second, 1, "tune", head2).returncode == 0
    (updated,) = world.gh.comments(world.repo, 1)
    assert updated["id"] == comment["id"] and updated["body"] != comment["body"]
    assert head2 in updated["body"].splitlines()[0] and "0.3" in updated["body"]

    # A change that breaks the gates: the check fails, the report is still kept and posted.
    _commit_params(world, "tune", "Regularise everything away", C=1e-6)
    payload, head3, merge3 = _pull_request(world, 1, "tune", "synchronize")
    failing = world.run("pull-request.yml", "pull_request", payload, sha=merge3)
    assert failing.returncode != 0 and failing.job_succeeded("Reproduce, compare and report") is False
    assert failing.step_lines("Success - Main Keep the report for the comment"), failing.log
    post = _report_run(world, failing, 1, "tune", head3)
    assert post.returncode == 0, post.log
    (final,) = world.gh.comments(world.repo, 1)
    assert final["id"] == comment["id"] and head3 in final["body"].splitlines()[0]
    assert "\n- ❌ " in final["body"], final["body"]  # the failed gate, named
    assert final["body"].split("\n")[1].startswith("❌ **The ML report check failed** on `"), final["body"]

    # A hostile push: the PR's own workflow file (pull_request runs take it from the PR) writes
    # the report instead of the toolkit: another workflow's report id, a forged head and time,
    # "all gates pass", CRLF line ends; then the check fails.
    nightly = dict(world.gh.add_comment(world.repo, 1, format_marker("nightly") + "\nThe nightly report.\n"))
    forged = format_marker("nightly", head="f" * 40, time="99999999999")
    (world.clone / "hostile.sh").write_text(
        'mkdir -p "$RUNNER_TEMP/toolkit-report"\n'
        f"printf '{forged}\\r\\n## ✅ All quality gates pass\\r\\n\\r\\nMerge away.\\r\\n' "
        '> "$RUNNER_TEMP/toolkit-report/report.md"\n'
        "exit 1\n"
    )
    workflow = world.clone / ".github" / "workflows" / "pull-request.yml"
    ci_step = 'run: toolkit ci --output "$RUNNER_TEMP/toolkit-report/report.md"'
    assert ci_step in workflow.read_text()
    workflow.write_text(workflow.read_text().replace(ci_step, "run: sh hostile.sh"))
    git(world.clone, "add", "-A")
    git(world.clone, "commit", "-q", "-m", "Nothing to see here")
    world.publish("tune")
    payload, head4, merge4 = _pull_request(world, 1, "tune", "synchronize")
    hostile = world.run("pull-request.yml", "pull_request", payload, sha=merge4)
    assert hostile.returncode != 0 and hostile.step_lines("Success - Main Keep the report for the comment")
    assert b"\r\n## \xe2\x9c\x85 All" in world.artifact_files(hostile, "toolkit-report")["report.md"]
    post = _report_run(world, hostile, 1, "tune", head4)
    assert post.returncode == 0 and post.job_succeeded("Post the report comment"), post.log
    assert post.step_lines("the body's marker names report `nightly`"), post.log
    # One report comment, updated; the other workflow's report untouched; nothing else posted.
    assert [c["id"] for c in world.gh.comments(world.repo, 1)] == [comment["id"], nightly["id"]]
    (kept,) = [c for c in world.gh.comments(world.repo, 1) if c["id"] == nightly["id"]]
    assert kept == nightly
    (hijacked,) = [c for c in world.gh.comments(world.repo, 1) if c["id"] == comment["id"]]
    lines = hijacked["body"].split("\n")
    assert parse_marker(lines[0]) == {"id": "default", "head": head4}, lines[0]
    assert lines[1].startswith(f"❌ **The ML report check failed** on `{head4[:7]}`"), lines[1]
    assert lines[2:] == ["", "## ✅ All quality gates pass", "", "Merge away.", ""], lines


@pytest.mark.parametrize(
    "shared_remote",
    [
        False,
        # A reachable remote: `toolkit repro --pull` must leave every output the monitor reads.
        True,
    ],
    ids=["scaffold-remote", "shared-remote"],
)
def test_monitor_on_schedule_keeps_one_issue_and_dispatches_retraining(
    tmp_path: Path, gh: GitHubServer, shared_remote: bool
) -> None:
    world = make_world(tmp_path, gh, shared_remote=shared_remote)
    toolkit_yaml = world.clone / "toolkit.yaml"
    toolkit_yaml.write_text(toolkit_yaml.read_text().replace("retrain: false", "retrain: true"))
    params_file = world.clone / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params["production"]["shift"] = 1.0  # the production batch drifts
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    git(world.clone, "commit", "-q", "-am", "Production data drifts; retrain on drift")
    world.publish("main")
    sha = git(world.clone, "rev-parse", "HEAD")
    schedule = {"schedule": "17 6 * * *"}
    first = world.run("monitor.yml", "schedule", schedule, sha=sha)
    assert first.returncode == 0, first.log
    for job in ("Drift and decay", "Keep the monitoring issue", "Start retraining"):
        assert first.job_succeeded(job), (job, first.log)
    issues = [i for (repo, _), i in world.gh.issues.items() if repo == world.repo]
    assert len(issues) == 1 and issues[0]["state"] == "open", issues
    assert [(repo, name, data["ref"]) for repo, name, data in world.gh.dispatches] == [
        (world.repo, "retrain.yml", "main")
    ]
    second = world.run("monitor.yml", "schedule", schedule, sha=sha)
    assert second.returncode == 0, second.log
    again = [i for (repo, _), i in world.gh.issues.items() if repo == world.repo]
    assert [i["number"] for i in again] == [issues[0]["number"]] and again[0]["state"] == "open"


def test_deploy_on_a_pushed_stage_tag_creates_the_release(world: World) -> None:
    toolkit(world.clone, "model", "register", "classifier", "--version", "v1.0.0")
    toolkit(world.clone, "model", "promote", "classifier", "--version", "v1.0.0", "--stage", "prod")
    tags = git(world.clone, "tag", "--list").split()
    stage_tag = next(t for t in tags if t.startswith("classifier#prod#"))
    git(world.clone, "push", "-q", "origin", "--tags")
    sha = git(world.clone, "rev-parse", f"{stage_tag}^{{commit}}")
    run = world.run("deploy.yml", "push", _push("0" * 40, sha, f"refs/tags/{stage_tag}"), sha=sha)
    assert run.returncode == 0, run.log
    assert run.job_succeeded("Read the stage tag") and run.job_succeeded("Smoke-test and release"), run.log
    (release,) = world.gh.releases[world.repo]
    assert release["tag_name"] == "classifier@v1.0.0"
    names = {a["name"] for a in world.gh.assets[release["id"]]}
    assert any(n.endswith(".pkl") for n in names), names
    (deployment,) = world.gh.deployments[world.repo]
    assert deployment["environment"] == "prod"
    assert [s["state"] for s in world.gh.statuses[deployment["id"]]][-1] == "success"


def test_a_subfolder_project_adopted_by_init(tmp_path: Path, gh: GitHubServer) -> None:
    """`toolkit init` of a `dvc init --subdir` project: its workflows run every step in ml/."""
    world = make_subfolder_world(tmp_path, gh)
    workflows = sorted(p.name for p in (world.clone / ".github" / "workflows").iterdir())
    assert workflows == ["main.yml", "pr-comment.yml", "pull-request.yml"]
    before = git(world.clone, "rev-parse", "HEAD~1")
    sha = git(world.clone, "rev-parse", "HEAD")
    main = world.run("main.yml", "push", _push(before, sha), sha=sha)
    assert main.returncode == 0 and main.job_succeeded("Reproduce and push"), main.log
    reproduced = main.step_lines("| Reproduced ")
    assert reproduced and all("/hostexecutor/ml:" in line for line in reproduced), main.log  # in ml/
    assert list((world.store / "cache" / "refs%2Fheads%2Fmain").glob("*/ml%2F.dvc%2Fcache")), main.log

    # The default branch names this project's report; a pull request cannot rename it.
    settings = world.clone / "ml" / "toolkit.yaml"
    settings.write_text(settings.read_text() + "\nreport:\n  id: ml-report\n")
    git(world.clone, "commit", "-q", "-am", "Name the report")
    world.publish("main")
    git(world.clone, "checkout", "-q", "-b", "tune")
    params_file = world.clone / "ml" / "params.yaml"
    params = yaml.safe_load(params_file.read_text())
    params["train"]["C"] = 0.5
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    settings.write_text(settings.read_text().replace("id: ml-report", "id: pr-chosen"))
    git(world.clone, "commit", "-q", "-am", "Lower C")
    world.publish("tune")
    payload, head, merge = _pull_request(world, 1, "tune", "opened")
    run = world.run("pull-request.yml", "pull_request", payload, sha=merge)
    assert run.returncode == 0, run.log
    assert run.step_lines("cache stand-in: restored"), run.log  # main's DVC cache, by its ml/ path
    report = world.artifact_files(run, "toolkit-report")
    assert b"train.C" in report["report.md"], report
    post = _report_run(world, run, 1, "tune", head)
    assert post.returncode == 0 and len(world.gh.comments(world.repo, 1)) == 1, post.log
    # The report's marker says the PR's id; the comment has the default branch's ml/toolkit.yaml's.
    assert report["report.md"].startswith(b"<!-- toolkit:report id=pr-chosen "), report
    (comment,) = world.gh.comments(world.repo, 1)
    assert parse_marker(comment["body"]) == {"id": "ml-report", "head": head}, comment["body"]
    assert post.step_lines("the body's marker names report `pr-chosen`"), post.log
