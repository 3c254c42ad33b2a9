"""`toolkit comment` as the workflow_run poster: the body is untrusted, the event is not.

Each test replays an attack from issue 9 against the command, over HTTP to the test server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.gh_helpers import PR, REPO, actions_env
from tests.github_server import TOKEN, GitHubServer
from toolkit import sticky
from toolkit.cli import cli
from toolkit.marker import format_marker, parse_marker

FIXTURES = Path(__file__).parent / "fixtures" / "github-events"
FORK_SHA = "c0ffee0000000000000000000000000000000001"
SAME_SHA = "c0ffee0000000000000000000000000000000002"
FORK_TIME = "1772366400"  # workflow_run.created_at of workflow_run.fork.json
SAME_TIME = "1772452800"


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_pr(REPO, PR)
        yield gh


def invoke(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, args, env=env)


def run_env(github: GitHubServer, tmp_path: Path, fixture: str) -> dict[str, str]:
    return actions_env(
        tmp_path / "runner",
        event="workflow_run",
        event_path=FIXTURES / fixture,
        api_url=github.url,
        token=TOKEN,
    )


def ours(gh: GitHubServer, number: int = PR) -> list[str]:
    return [str(c["body"]) for c in gh.comments(REPO, number) if sticky.is_ours(c, "default")]


def test_same_repo_run_posts_to_the_recorded_pr_with_the_events_marker(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    body = tmp_path / "report.md"
    body.write_text(format_marker("default") + "\n## Report\n\nall good\n")
    env = run_env(github, tmp_path, "workflow_run.same-repo.json")
    result = invoke(["comment", "--body-file", str(body)], env)
    assert result.exit_code == 0, result.output
    (posted,) = ours(github)
    assert parse_marker(posted) == {"id": "default", "head": SAME_SHA, "time": SAME_TIME}
    assert posted.endswith("\n## Report\n\nall good\n")
    assert not github.requests("GET") or all("/pulls" not in r.path for r in github.requests())


def test_fork_run_finds_its_pr_by_head_branch_and_sha(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # The same branch name on another fork, and an older push of ours: neither is the PR.
    github.add_pull(REPO, 5, head_label="someone:improve-model", head_sha=FORK_SHA)
    github.add_pull(REPO, 6, head_label="forker:improve-model", head_sha="d" * 40, state="closed")
    github.add_pull(REPO, 7, head_label="forker:improve-model", head_sha=FORK_SHA)
    body = tmp_path / "report.md"
    body.write_text("## Report from a fork\n")
    env = run_env(github, tmp_path, "workflow_run.fork.json")
    result = invoke(["comment", "--body-file", str(body)], env)
    assert result.exit_code == 0, result.output
    assert ours(github, 5) == [] and ours(github, 6) == []
    (posted,) = ours(github, 7)
    assert parse_marker(posted) == {"id": "default", "head": FORK_SHA, "time": FORK_TIME}
    lookup = [r for r in github.requests("GET") if r.path.endswith("/pulls")]
    assert lookup and lookup[0].query["head"] == ["forker:improve-model"]
    assert lookup[0].query["state"] == ["open"]


def test_fork_run_whose_pr_moved_on_posts_nothing(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    github.add_pull(REPO, 7, head_label="forker:improve-model", head_sha="e" * 40)  # pushed again
    body = tmp_path / "report.md"
    body.write_text("## stale\n")
    env = run_env(github, tmp_path, "workflow_run.fork.json")
    result = invoke(["comment", "--body-file", str(body)], env)
    assert result.exit_code == 0, result.output
    assert "no open pull request has head forker:improve-model" in result.stderr
    assert github.requests("POST") == [] and github.requests("PATCH") == []


def test_a_forged_marker_time_cannot_lock_the_comment(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The PR's code writes the body: it claims to be from the year 5138.
    monkeypatch.chdir(tmp_path)
    body = tmp_path / "report.md"
    body.write_text(format_marker("default", head="f" * 40, time="99999999999") + "\n## forged\n")
    env = run_env(github, tmp_path, "workflow_run.same-repo.json")
    assert invoke(["comment", "--body-file", str(body)], env).exit_code == 0
    (posted,) = ours(github)
    assert parse_marker(posted) == {"id": "default", "head": SAME_SHA, "time": SAME_TIME}

    # A genuine later run (a newer push) still replaces it.
    later = json.loads((FIXTURES / "workflow_run.same-repo.json").read_text())
    later["workflow_run"]["head_sha"] = "1" * 40
    later["workflow_run"]["pull_requests"][0]["head"]["sha"] = "1" * 40
    later["workflow_run"]["created_at"] = "2026-03-03T12:00:00Z"
    event = tmp_path / "later.json"
    event.write_text(json.dumps(later))
    body.write_text("## genuine\n")
    result = invoke(["comment", "--body-file", str(body)], {**env, "GITHUB_EVENT_PATH": str(event)})
    assert result.exit_code == 0, result.output
    (posted,) = ours(github)
    assert posted.endswith("## genuine\n") and parse_marker(posted)["head"] == "1" * 40


def test_body_is_rechecked_mentions_and_bidi_are_inert(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    body = tmp_path / "report.md"
    body.write_text("## Report\n\ncc @octo-org/admins and @octocat \u202egnp.exe\x1b[2J\n")
    env = run_env(github, tmp_path, "workflow_run.same-repo.json")
    result = invoke(["comment", "--body-file", str(body)], env)
    assert result.exit_code == 0, result.output
    (posted,) = ours(github)
    assert "@octocat" not in posted and "@octo-org" not in posted
    assert "@\u200boctocat" in posted
    assert "\u202e" not in posted and "\x1b" not in posted


def test_body_from_a_device_or_too_big_is_refused(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = run_env(github, tmp_path, "workflow_run.same-repo.json")
    link = tmp_path / "report.md"
    os.symlink("/dev/zero", link)  # an artifact can hold a symlink
    result = invoke(["comment", "--body-file", str(link)], env)
    assert result.exit_code == 1 and "not a regular file" in result.stderr
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (5 * 1024 * 1024))
    result = invoke(["comment", "--body-file", str(big)], env)
    assert result.exit_code == 1 and "larger than 4 MiB" in result.stderr
    assert github.requests() == []


def test_a_push_run_is_not_commented_on(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    payload = json.loads((FIXTURES / "workflow_run.same-repo.json").read_text())
    payload["workflow_run"]["event"] = "push"
    event = tmp_path / "push.json"
    event.write_text(json.dumps(payload))
    body = tmp_path / "report.md"
    body.write_text("## Report\n")
    env = {**run_env(github, tmp_path, "workflow_run.same-repo.json"), "GITHUB_EVENT_PATH": str(event)}
    result = invoke(["comment", "--body-file", str(body)], env)
    assert result.exit_code == 0 and "not a pull request" in result.stderr
    assert github.requests() == []


# -- sticky: races and truncation ------------------------------------------------------------


def _report(text: str, head: str, time: int) -> str:
    return format_marker("default", head=head, time=str(time)) + f"\n## Report\n\n{text}\n"


def test_an_older_report_written_after_ours_is_replaced_again(github: GitHubServer) -> None:
    from toolkit.github import Client

    github.add_comment(REPO, PR, _report("first", "a" * 40, 1000))
    older = _report("older run, read before we wrote", "b" * 40, 1500)
    ours_body = _report("newest", "c" * 40, 2000)

    def hook(method: str, path: str) -> None:
        # The older run listed before our PATCH and writes right after it.
        if method == "GET" and "/issues/comments/" in path and github.hook is not None:
            github.hook = None
            with github.lock:
                github.prs[(REPO, PR)][0]["body"] = older

    def arm(method: str, path: str) -> None:
        if method == "PATCH":
            github.hook = hook

    github.hook = arm
    outcome = sticky.upsert_comment(
        Client(github.url, TOKEN, sleep=lambda s: None), REPO, PR, ours_body, report_id="default"
    )
    assert outcome.action == "updated" and "restored" in outcome.detail
    assert ours(github) == [ours_body]


def test_truncation_keeps_the_headline_of_a_one_line_body() -> None:
    body = format_marker("default") + "\n" + "**Gates failed:** " + "x" * 70000
    cut = sticky.fit_body(body, 65536)
    assert len(cut) <= 65536
    assert cut.startswith(format_marker("default") + "\n**Gates failed:** xxx")
    assert "Report truncated" in cut


def test_truncation_counts_real_fences_only() -> None:
    marker = format_marker("default")
    # A metric name with backticks, rendered as inline code at a line start: not a fence.
    inline = "```` ```evil ```` is a metric\n"
    block = "```mermaid\ngraph TD\n" + "a-->b\n" * 20000
    cut = sticky.fit_body(marker + "\n" + inline + block, 65536)
    assert cut.count("\n```\n") == 1  # the mermaid block is closed exactly once
    closed = sticky.fit_body(marker + "\n" + inline + "```\ncode\n```\n" + "y\n" * 40000, 65536)
    assert sticky.open_fence(closed.split("\n\n---\n")[0]) == ""
    assert "\n```\n\n---" not in closed  # nothing to close: no stray fence opened below
    assert sticky.open_fence("~~~~\nx\n~~~\n") == "~~~~"
    assert sticky.open_fence("   ```py\nx\n```\n") == ""
    assert sticky.open_fence("    ```\n") == ""  # indented code, not a fence
