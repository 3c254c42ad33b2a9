"""The one monitoring issue over HTTP against the test server: create, update, close, races, faults."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.github_server import BOT, READONLY_TOKEN, TOKEN, USER, Fault, GitHubServer
from tests.gitrepo import make_repo
from toolkit.cli import cli
from toolkit.github import Client, ForbiddenError, ServerError
from toolkit.marker import format_marker
from toolkit.monitor.issue import REPORT_ID, is_ours, issue_body, sync_issue

REPO = "octo/churn"
LABEL = "model-monitoring"


@pytest.fixture
def gh() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server


def client(gh: GitHubServer, token: str = TOKEN) -> Client:
    return Client(gh.url, token, sleep=lambda s: None)


def open_issues(gh: GitHubServer) -> list[dict[str, object]]:
    return [i for (r, _), i in sorted(gh.issues.items()) if r == REPO and i["state"] == "open"]


def test_lifecycle_create_update_unchanged_close(gh: GitHubServer) -> None:
    with client(gh) as c:
        assert sync_issue(c, REPO, "no drift yet", drift=False).action == "none"
        assert gh.requests("POST") == []

        first = sync_issue(c, REPO, "income drifted", drift=True)
        assert first.action == "created" and first.number is not None
        [issue] = open_issues(gh)
        assert issue["labels"] == [{"name": LABEL}] and "income drifted" in str(issue["body"])
        assert LABEL in gh.labels[REPO]

        assert sync_issue(c, REPO, "income and age drifted", drift=True).action == "updated"
        assert "income and age" in str(open_issues(gh)[0]["body"])
        writes = len(gh.requests("POST")) + len(gh.requests("PATCH"))
        assert sync_issue(c, REPO, "income and age drifted", drift=True).action == "unchanged"
        assert len(gh.requests("POST")) + len(gh.requests("PATCH")) == writes  # nothing written

        closed = sync_issue(c, REPO, "all columns stable", drift=False)
        assert closed.action == "closed" and closed.number == first.number
        assert open_issues(gh) == []
        assert gh.issues[(REPO, first.number)]["state_reason"] == "completed"
        [comment] = gh.comments(REPO, first.number)
        assert "no longer drift" in comment["body"] and "all columns stable" in comment["body"]

        # Drift again: a new issue, not the closed one reopened.
        again = sync_issue(c, REPO, "drift again", drift=True)
        assert again.action == "created" and again.number != first.number


def test_only_our_issue_is_touched(gh: GitHubServer) -> None:
    body = issue_body("quoted by a person", drift=True)
    theirs = gh.add_issue(REPO, "copy", body, [LABEL], user=USER)  # marker, but not our bot
    unlabelled = gh.add_issue(REPO, "ours, unlabelled", body, [], user=BOT)
    other = gh.add_issue(REPO, "other report", format_marker("default") + "\nx", [LABEL], user=BOT)
    assert not is_ours(theirs, BOT["login"], LABEL) and not is_ours(other, BOT["login"], LABEL)
    with client(gh) as c:
        created = sync_issue(c, REPO, "drift", drift=True)
        assert created.action == "created"
        assert sync_issue(c, REPO, "fine", drift=False).action == "closed"
    for seeded in (theirs, unlabelled, other):
        assert gh.issues[(REPO, seeded["number"])]["state"] == "open"
        assert gh.issues[(REPO, seeded["number"])]["body"] == seeded["body"]


def test_duplicates_from_racing_runs_converge_on_the_oldest(gh: GitHubServer) -> None:
    old = gh.add_issue(REPO, "t", issue_body("a", drift=True), [LABEL])
    dup = gh.add_issue(REPO, "t", issue_body("b", drift=True), [LABEL])
    with client(gh) as c:
        outcome = sync_issue(c, REPO, "c", drift=True)
    assert outcome.number == old["number"] and outcome.duplicates_closed == 1
    assert gh.issues[(REPO, dup["number"])]["state"] == "closed"
    assert f"Duplicate of #{old['number']}" in gh.comments(REPO, dup["number"])[0]["body"]
    assert [i["number"] for i in open_issues(gh)] == [old["number"]]


def test_pull_requests_in_the_issue_list_are_skipped(gh: GitHubServer) -> None:
    with client(gh) as c:
        c.create_pull(REPO, title="retrain", head="retrain/1", base="main", body=issue_body("x", drift=True))
        assert c.list_issues(REPO, label=LABEL) == []
        assert sync_issue(c, REPO, "drift", drift=True).action == "created"


def test_server_errors_are_retried(gh: GitHubServer) -> None:
    gh.faults.extend([Fault(status=502), Fault(status=503, method="POST")])
    with client(gh) as c:
        assert sync_issue(c, REPO, "drift", drift=True).action == "created"
    assert len(open_issues(gh)) == 1
    gh.faults.extend([Fault(status=500)] * 10)
    with client(gh) as c, pytest.raises(ServerError, match="GitHub may be degraded"):
        sync_issue(c, REPO, "drift", drift=True)


def test_read_only_token_gets_the_permissions_block(gh: GitHubServer) -> None:
    with client(gh, READONLY_TOKEN) as c, pytest.raises(ForbiddenError) as raised:
        sync_issue(c, REPO, "drift", drift=True)
    assert "issues: write" in raised.value.message
    assert TOKEN not in raised.value.message and READONLY_TOKEN not in raised.value.message


def test_label_that_exists_already_is_fine(gh: GitHubServer) -> None:
    gh.labels[REPO] = {LABEL: {"name": LABEL}}
    with client(gh) as c:
        assert sync_issue(c, REPO, "drift", drift=True).action == "created"


# -- through the command: --from-report, --issue, --dispatch-retrain -----------------------------


def _env(gh: GitHubServer, tmp: Path, token: str = TOKEN) -> dict[str, str]:
    out = tmp / "out.txt"
    out.write_text("")
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "schedule",
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": gh.url,
        "GITHUB_TOKEN": token,
        "GITHUB_REF_NAME": "main",
        "GITHUB_OUTPUT": str(out),
    }


def _report(tmp: Path, alert: bool) -> Path:
    path = tmp / "monitor.md"
    path.write_text(format_marker(REPORT_ID, alert="yes" if alert else "no") + "\n## Model monitoring\n")
    return path


def test_command_posts_from_a_report_and_dispatches_only_on_drift(
    gh: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    env = _env(gh, tmp_path)
    args = ["monitor", "--from-report", str(_report(tmp_path, True)), "--issue", "--dispatch-retrain"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert len(open_issues(gh)) == 1
    assert gh.dispatches == [] and "retrain: true" in result.output  # off unless toolkit.yaml says so

    (repo / "toolkit.yaml").write_text("monitor:\n  retrain: true\n")
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert len(open_issues(gh)) == 1
    assert gh.dispatches == [(REPO, "retrain.yml", {"ref": "main", "inputs": {"reason": "drift"}})]
    assert "issue-action=created" in (tmp_path / "out.txt").read_text()
    assert "issue-action=unchanged" in (tmp_path / "out.txt").read_text()

    args = ["monitor", "--from-report", str(_report(tmp_path, False)), "--issue", "--dispatch-retrain"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert open_issues(gh) == [] and len(gh.dispatches) == 1


def test_what_the_bot_posts_from_files_mentions_nobody(
    gh: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--from-report and --open-pr --body-file post files other jobs wrote: neutralised again."""
    hostile = "ж@octocat &#64;octocat o/r#12 GH-7 https://github.com/o/r/issues/3"
    report = _report(tmp_path, True)
    report.write_text(report.read_text() + hostile + "\n")
    monkeypatch.chdir(make_repo(tmp_path / "repo"))
    args = ["monitor", "--from-report", str(report), "--issue"]
    result = CliRunner().invoke(cli, args, env=_env(gh, tmp_path))
    assert result.exit_code == 0, result.output
    [issue] = open_issues(gh)
    work = _clone_with_origin(tmp_path / "pr")
    monkeypatch.chdir(work)
    body = tmp_path / "body.md"
    body.write_text(hostile + "\n")
    (work / "dvc.lock").write_text("retrained\n")
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": gh.url, "GITHUB_TOKEN": TOKEN}
    args = ["monitor", "--open-pr", "toolkit/retrain", "--body-file", str(body)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    [pull] = gh.pulls.values()
    for posted in (issue["body"], pull["body"]):
        for live in ("ж@octocat", "&#64;octocat", "o/r#12", "GH-7", "/issues/3"):
            assert live not in posted, (live, posted)
        assert "@\u200boctocat" in posted and "#\u200b12" in posted


def test_command_refuses_a_file_that_is_not_a_monitoring_report(
    gh: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(make_repo(tmp_path / "repo"))
    bogus = tmp_path / "x.md"
    bogus.write_text("## hello\n")
    result = CliRunner().invoke(
        cli, ["monitor", "--from-report", str(bogus), "--issue"], env=_env(gh, tmp_path)
    )
    assert result.exit_code == 1 and "not a report of `toolkit monitor -o FILE`" in result.output
    assert gh.requests() == []
    env = _env(gh, tmp_path)
    del env["GITHUB_TOKEN"]
    result = CliRunner().invoke(
        cli, ["monitor", "--from-report", str(_report(tmp_path, True)), "--issue"], env=env
    )
    assert result.exit_code == 1 and "GITHUB_TOKEN is not set" in result.output


# -- the retraining pull request (retrain.yml) ------------------------------------------------------


def _clone_with_origin(tmp: Path) -> Path:
    origin = tmp / "origin.git"
    src = make_repo(tmp / "src", {"dvc.lock": "old\n"})
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(tmp / "work")], check=True)
    return tmp / "work"


def test_open_pr_pushes_the_branch_opens_one_pr_and_refreshes_it(
    gh: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _clone_with_origin(tmp_path)
    monkeypatch.chdir(work)
    body = tmp_path / "report.md"
    body.write_text("## Report\n\naccuracy 0.95 -> 0.97\n")
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": gh.url, "GITHUB_TOKEN": TOKEN}
    (work / "dvc.lock").write_text("retrained\n")
    args = ["monitor", "--open-pr", "toolkit/retrain", "--body-file", str(body)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    [pull] = gh.pulls.values()
    assert result.stdout.strip().splitlines()[-1] == str(pull["number"])
    assert pull["head"]["ref"] == "toolkit/retrain" and pull["base"]["ref"] == "main"
    assert "accuracy 0.95 -> 0.97" in pull["body"]
    pushed = subprocess.run(
        ["git", "show", "refs/heads/toolkit/retrain:dvc.lock"],
        cwd=tmp_path / "origin.git",
        capture_output=True,
        text=True,
        check=True,
    )
    assert pushed.stdout == "retrained\n"

    # Drift again later: the branch is rebuilt and force-pushed; the one PR is reused.
    subprocess.run(["git", "switch", "-q", "main"], cwd=work, check=True)
    (work / "dvc.lock").write_text("retrained again\n")
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert len(gh.pulls) == 1 and result.stdout.strip().splitlines()[-1] == str(pull["number"])


def test_open_pr_without_permission_says_what_to_allow(
    gh: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = _clone_with_origin(tmp_path)
    monkeypatch.chdir(work)
    body = tmp_path / "report.md"
    body.write_text("## Report\n")
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": gh.url, "GITHUB_TOKEN": READONLY_TOKEN}
    result = CliRunner().invoke(
        cli, ["monitor", "--open-pr", "toolkit/retrain", "--body-file", str(body)], env=env
    )
    assert result.exit_code == 1
    assert "pull-requests: write" in result.output and "Allow GitHub Actions to create" in result.output
    assert READONLY_TOKEN not in result.output


def test_open_pr_without_a_body_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["monitor", "--open-pr", "toolkit/retrain"])
    assert result.exit_code == 2 and "--body-file" in result.output
