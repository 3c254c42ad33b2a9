"""The sticky report comment and `toolkit comment`, end to end over HTTP against the test server."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.gh_helpers import PR, REPO, actions_env, adapt_event, parse_outputs, seed_busy_pr
from tests.github_server import (
    BOT,
    READONLY_TOKEN,
    TOKEN,
    USER,
    Fault,
    GitHubServer,
    rate_limit,
)
from tests.gitrepo import make_repo
from toolkit import sticky
from toolkit.cli import cli
from toolkit.github import PERMISSIONS_HINT, Client
from toolkit.marker import format_marker, parse_marker

HEAD_OLD = "a" * 40
HEAD_NEW = "b" * 40


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_pr(REPO, PR)
        yield gh


def report(text: str, *, report_id: str = "default", head: str = HEAD_OLD, time: int = 1000) -> str:
    return format_marker(report_id, head=head, time=str(time)) + f"\n## Report\n\n{text}\n"


def ours(gh: GitHubServer, report_id: str = "default") -> list[dict[str, Any]]:
    return [c for c in gh.comments(REPO, PR) if sticky.is_ours(c, report_id)]


def make_client(gh: GitHubServer, token: str = TOKEN) -> Client:
    return Client(gh.url, token, sleep=lambda s: None)


# -- the algorithm, through the client --------------------------------------------------------


def test_busy_pr_first_run_creates_one_then_updates_and_skips(github: GitHubServer) -> None:
    seed_busy_pr(github)
    before = github.comments(REPO, PR)
    c = make_client(github)

    outcome = sticky.upsert_comment(c, REPO, PR, report("v1"), report_id="default")
    assert outcome.action == "created" and outcome.deleted == 0
    mine = ours(github)
    assert len(mine) == 1 and mine[0]["body"] == report("v1")
    assert outcome.url == mine[0]["html_url"]
    assert github.comments(REPO, PR)[:250] == before  # nobody else's comment touched
    # 3 pages to look, 1 create, the last page again to look for a racing run's comment, and
    # the comment once more (an older run may have written over it meanwhile).
    assert c.requests_sent == 6
    assert [r.method for r in github.requests()] == ["GET"] * 3 + ["POST", "GET", "GET"]
    assert github.requests()[-2].query["page"] == ["3"]
    assert github.requests()[-1].path.endswith(f"/issues/comments/{mine[0]['id']}")

    n = len(github.requests())
    outcome = sticky.upsert_comment(c, REPO, PR, report("v1"), report_id="default")
    assert outcome.action == "unchanged"
    assert [r.method for r in github.requests()[n:]] == ["GET"] * 3  # no PATCH

    n = len(github.requests())
    outcome = sticky.upsert_comment(c, REPO, PR, report("v2"), report_id="default")
    assert outcome.action == "updated" and outcome.comment_id == mine[0]["id"]
    assert [r.method for r in github.requests()[n:]] == ["GET"] * 3 + ["PATCH", "GET"]
    assert [x["body"] for x in ours(github)] == [report("v2")]
    assert len(github.comments(REPO, PR)) == 251


def test_updates_the_oldest_and_deletes_later_duplicates(github: GitHubServer) -> None:
    github.add_comment(REPO, PR, "hello", user=USER)
    first = github.add_comment(REPO, PR, report("old 1"))
    github.add_comment(REPO, PR, report("old 2"))
    github.add_comment(REPO, PR, report("old 3"))
    outcome = sticky.upsert_comment(make_client(github), REPO, PR, report("new"), report_id="default")
    assert outcome.action == "updated" and outcome.deleted == 2
    assert [(c["id"], c["body"]) for c in ours(github)] == [(first["id"], report("new"))]


def test_report_ids_are_kept_apart(github: GitHubServer) -> None:
    c = make_client(github)
    sticky.upsert_comment(c, REPO, PR, report("a", report_id="default"), report_id="default")
    sticky.upsert_comment(c, REPO, PR, report("b", report_id="nightly"), report_id="nightly")
    assert len(ours(github, "default")) == 1 and len(ours(github, "nightly")) == 1


def test_older_head_does_not_overwrite_newer_report(github: GitHubServer) -> None:
    newer = report("newer", head=HEAD_NEW, time=2000)
    github.add_comment(REPO, PR, newer)
    c = make_client(github)
    outcome = sticky.upsert_comment(
        c, REPO, PR, report("older", head=HEAD_OLD, time=1000), report_id="default"
    )
    assert outcome.action == "skipped-older" and "newer" in outcome.describe()
    assert [x["body"] for x in ours(github)] == [newer]
    assert not github.requests("PATCH")
    # The newer head does replace an older report; a rerun of the same head always updates.
    sticky.upsert_comment(c, REPO, PR, report("newest", head="c" * 40, time=3000), report_id="default")
    sticky.upsert_comment(c, REPO, PR, report("rerun", head="c" * 40, time=3000), report_id="default")
    assert [x["body"] for x in ours(github)] == [report("rerun", head="c" * 40, time=3000)]


def test_newest_duplicate_wins_when_converging(github: GitHubServer) -> None:
    # Left by a race: the oldest comment holds an older report than a later duplicate.
    github.add_comment(REPO, PR, report("old", head=HEAD_OLD, time=1000))
    newer = report("new", head=HEAD_NEW, time=2000)
    github.add_comment(REPO, PR, newer)
    outcome = sticky.upsert_comment(
        make_client(github),
        REPO,
        PR,
        report("older still", head="d" * 40, time=500),
        report_id="default",
    )
    assert outcome.action == "skipped-older" and outcome.deleted == 1
    assert [x["body"] for x in ours(github)] == [newer]


@pytest.mark.parametrize("newer_first", [True, False])
def test_two_concurrent_runs_end_with_one_comment(github: GitHubServer, newer_first: bool) -> None:
    seed_busy_pr(github, 120)
    # Hold both runs at their POST until both have listed: the worst interleaving, every time.
    barrier = threading.Barrier(2, timeout=10)

    posts = itertools.count()

    def hook(method: str, path: str) -> None:
        if method == "POST" and next(posts) < 2:
            barrier.wait()

    github.hook = hook
    bodies = [report("run A", head=HEAD_OLD, time=1000), report("run B", head=HEAD_NEW, time=2000)]
    if not newer_first:
        bodies.reverse()
    outcomes: list[sticky.Outcome] = []
    errors: list[BaseException] = []

    def worker(body: str) -> None:
        try:
            outcomes.append(sticky.upsert_comment(make_client(github), REPO, PR, body, report_id="default"))
        except BaseException as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(github.requests("POST")) == 2  # both really created one
    mine = ours(github)
    assert len(mine) == 1
    assert mine[0]["body"] == report("run B", head=HEAD_NEW, time=2000)  # the newer head wins
    github.hook = None
    again = sticky.upsert_comment(make_client(github), REPO, PR, str(mine[0]["body"]), report_id="default")
    assert again.action == "unchanged"


def test_faults_before_success_create_exactly_one(github: GitHubServer) -> None:
    seed_busy_pr(github)
    github.faults.extend([Fault(502), rate_limit(retry_after=2)])
    github.faults.append(Fault(502, method="POST"))
    github.faults.append(rate_limit(reset_in=5, status=429))
    waits: list[float] = []
    c = Client(github.url, TOKEN, sleep=waits.append)
    outcome = sticky.upsert_comment(c, REPO, PR, report("x"), report_id="default")
    assert outcome.action == "created"
    assert len(ours(github)) == 1
    assert len(waits) == 4 and waits[1] == 2.0


def test_a_body_over_the_limit_is_truncated_not_rejected(github: GitHubServer) -> None:
    rows = "\n".join(f"| metric_{i} | {i} |" for i in range(8000))
    body = report("<details><summary>all</summary>\n\n```\n" + rows)
    assert len(body) > 65536
    outcome = sticky.upsert_comment(
        make_client(github),
        REPO,
        PR,
        body,
        report_id="default",
        summary_hint="https://github.com/o/r/actions/runs/1",
    )
    assert outcome.action == "created"
    sent = ours(github)[0]["body"]
    assert isinstance(sent, str)
    assert len(sent) <= 65536
    assert parse_marker(sent) == parse_marker(body)  # marker survives on the first line
    assert "Report truncated" in sent and "actions/runs/1" in sent
    assert sent.count("```") % 2 == 0 and sent.count("<details>") == sent.count("</details>")
    assert all(r.status != 422 for r in github.requests())


def test_fit_body_leaves_short_bodies_alone() -> None:
    assert sticky.fit_body("x" * 65536) == "x" * 65536
    assert len(sticky.fit_body("x\n" * 40000)) <= 65536


def test_a_body_without_the_marker_is_refused(github: GitHubServer) -> None:
    with pytest.raises(ValueError):
        sticky.upsert_comment(make_client(github), REPO, PR, "no marker", report_id="default")


# -- the command --------------------------------------------------------------------------------


def invoke(args: list[str], env: dict[str, str], input: str | None = None) -> Result:
    return CliRunner().invoke(cli, args, env=env, input=input)


@pytest.fixture
def pr_env(github: GitHubServer, events_dir: Path, tmp_path: Path) -> dict[str, str]:
    return actions_env(
        tmp_path / "runner",
        event_path=events_dir / "pull_request_synchronize.payload.json",
        api_url=github.url,
        token=TOKEN,
    )


def all_bytes(result: Result, env: dict[str, str], gh: GitHubServer) -> bytes:
    files = [Path(env[k]).read_bytes() for k in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")]
    return b"\n".join([result.stdout_bytes, result.stderr_bytes, *files, gh.received()])


def test_comment_command_in_actions(
    github: GitHubServer, pr_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seed_busy_pr(github)
    body = tmp_path / "report.md"
    body.write_text("## Metrics\n\nno marker here\n")
    result = invoke(["comment", "--body-file", str(body)], pr_env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"::add-mask::{TOKEN}"
    mine = ours(github)
    assert len(mine) == 1
    fields = parse_marker(str(mine[0]["body"]))
    # Outside a repository the report id is "default"; the head is the PR head, not GITHUB_SHA;
    # the time is the payload's pull_request.updated_at (2019-05-15T15:20:33Z).
    assert fields == {
        "id": "default",
        "head": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        "time": "1557933633",
    }
    assert mine[0]["html_url"] in result.stdout
    outputs = parse_outputs(Path(pr_env["GITHUB_OUTPUT"]))
    assert outputs == {"comment-url": mine[0]["html_url"], "action": "created"}

    again = invoke(["comment", "--body-file", str(body)], pr_env)
    assert again.exit_code == 0 and "up to date" in again.stderr
    assert len(ours(github)) == 1
    assert TOKEN.encode() not in all_bytes(result, pr_env, github).replace(
        f"::add-mask::{TOKEN}".encode(), b""
    )


def test_comment_report_id_from_toolkit_yaml_and_stdin(
    github: GitHubServer, pr_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "proj", {"toolkit.yaml": "report:\n  id: nightly\n"})
    monkeypatch.chdir(repo)
    result = invoke(["comment", "--body-file", "-"], pr_env, input="from stdin\n")
    assert result.exit_code == 0, result.output
    assert len(ours(github, "nightly")) == 1 and not ours(github, "default")
    assert str(ours(github, "nightly")[0]["body"]).endswith("\nfrom stdin\n")


def test_comment_pr_option_and_workflow_run(
    github: GitHubServer, events_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fork-safe pattern: a workflow_run workflow posts the artifact with --pr.
    monkeypatch.chdir(tmp_path)
    github.add_pr(REPO, 7)
    env = actions_env(
        tmp_path / "runner",
        event="workflow_run",
        event_path=adapt_event(
            "workflow_run.same-repo.json",
            tmp_path / "dispatch-run.json",
            {"workflow_run.event": "repository_dispatch", "workflow_run.pull_requests": []},
        ),
        api_url=github.url,
        token=TOKEN,
    )
    body = tmp_path / "r.md"
    body.write_text(report("artifact"))
    # This run was a repository_dispatch: no pull request to report on.
    no_pr = invoke(["comment", "--body-file", str(body)], env)
    assert no_pr.exit_code == 0 and "not a pull request" in no_pr.stderr
    assert github.comments(REPO, 7) == []
    result = invoke(["comment", "--body-file", str(body), "--pr", "7"], env)
    assert result.exit_code == 0, result.output
    # The marker's head and time are the run's, never what the body claimed.
    run = json.loads((events_dir / "workflow_run.same-repo.json").read_text())["workflow_run"]
    started = datetime.fromisoformat(run["created_at"].replace("Z", "+00:00"))
    trusted = format_marker("default", head=run["head_sha"], time=str(int(started.timestamp())))
    # Above the body, GitHub's own verdict on the run that wrote it.
    verdict = (
        f"✅ **The ML report check passed** on `c0ffee0` ([run]({run['html_url']})). "
        "Below: the report that run wrote.\n\n"
    )
    assert [c["body"] for c in github.comments(REPO, 7)] == [
        trusted + "\n" + verdict + report("artifact").split("\n", 1)[1]
    ]


def test_comment_needs_a_pr(github: GitHubServer, events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(
        tmp_path,
        event="push",
        event_path=events_dir / "push_with-new-branch.payload.json",
        api_url=github.url,
        token=TOKEN,
    )
    body = tmp_path / "r.md"
    body.write_text("x")
    result = invoke(["comment", "--body-file", str(body)], env)
    assert result.exit_code == 1 and "pass --pr N" in result.stderr


@pytest.mark.parametrize(
    ("token", "pr", "expected"),
    [
        ("ghs_WRONGTOKEN999", PR, ["401", "Bad credentials", "GITHUB_TOKEN"]),
        (READONLY_TOKEN, PR, ["Resource not accessible by integration", PERMISSIONS_HINT, "fork"]),
        (TOKEN, 404, ["404", "PR number"]),
    ],
)
def test_comment_errors_tell_the_fix(
    github: GitHubServer,
    pr_env: dict[str, str],
    tmp_path: Path,
    token: str,
    pr: int,
    expected: list[str],
) -> None:
    body = tmp_path / "r.md"
    body.write_text(report("x"))
    env = {**pr_env, "GITHUB_TOKEN": token}
    result = invoke(["comment", "--body-file", str(body), "--pr", str(pr)], env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.stderr
    assert token not in result.stderr
    assert not github.comments(REPO, PR)


def test_comment_without_token_or_file(pr_env: dict[str, str], tmp_path: Path) -> None:
    body = tmp_path / "r.md"
    body.write_text("x")
    env = {k: v for k, v in pr_env.items() if k != "GITHUB_TOKEN"}
    unset: dict[str, str | None] = {**env, "GITHUB_TOKEN": None}
    result = CliRunner().invoke(cli, ["comment", "--body-file", str(body)], env=unset)
    assert result.exit_code == 1 and "GITHUB_TOKEN is not set" in result.stderr
    missing = invoke(["comment", "--body-file", str(tmp_path / "nope.md")], pr_env)
    assert missing.exit_code == 1 and "nope.md" in missing.stderr


def test_comment_with_a_personal_token_login(
    github: GitHubServer, pr_env: dict[str, str], tmp_path: Path
) -> None:
    pat = "ghp_PERSONALTOKEN000"
    github.users[pat] = USER
    github.add_comment(REPO, PR, report("by the bot"), user=BOT)  # not ours under this login
    body = tmp_path / "r.md"
    body.write_text(report("by octocat"))
    env = {**pr_env, "GITHUB_TOKEN": pat, "TOOLKIT_BOT_LOGIN": str(USER["login"])}
    assert invoke(["comment", "--body-file", str(body)], env).exit_code == 0
    logins = [c["user"]["login"] for c in github.comments(REPO, PR)]
    assert logins == ["github-actions[bot]", "octocat"]


def test_two_comment_processes_race_to_one(
    github: GitHubServer, pr_env: dict[str, str], tmp_path: Path
) -> None:
    seed_busy_pr(github, 150)
    barrier = threading.Barrier(2, timeout=20)

    posts = itertools.count()

    def hook(method: str, path: str) -> None:
        if method == "POST" and next(posts) < 2:
            barrier.wait()

    github.hook = hook
    env = {**os.environ, **pr_env}
    procs = []
    for name in ("a", "b"):
        body = tmp_path / f"{name}.md"
        body.write_text(report(f"process {name}"))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "toolkit", "comment", "--body-file", str(body)],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert len(github.requests("POST")) == 2
    mine = ours(github)
    assert len(mine) == 1
    for out, err in outs:
        assert TOKEN.encode() not in err
        assert TOKEN.encode() not in out.replace(f"::add-mask::{TOKEN}".encode(), b"")


def test_comment_command_survives_faults(
    github: GitHubServer, pr_env: dict[str, str], tmp_path: Path
) -> None:
    github.faults.extend([Fault(502), rate_limit(retry_after=0), Fault(503, method="POST")])
    body = tmp_path / "r.md"
    body.write_text(report("x"))
    result = invoke(["comment", "--body-file", str(body)], pr_env)
    assert result.exit_code == 0, result.output
    assert len(ours(github)) == 1


def test_comment_deleted_between_listing_and_updating(github: GitHubServer) -> None:
    github.add_comment(REPO, PR, report("old"))
    deleted: list[dict[str, Any]] = []

    def hook(method: str, path: str) -> None:
        if method == "PATCH" and not deleted:  # someone deletes it just before our update
            with github.lock:
                deleted.append(github.prs[(REPO, PR)].pop())

    github.hook = hook
    outcome = sticky.upsert_comment(make_client(github), REPO, PR, report("new"), report_id="default")
    assert deleted and outcome.action == "created"
    assert [c["body"] for c in ours(github)] == [report("new")]


def test_comment_fills_the_marker_from_the_event_and_skips_older_runs(
    github: GitHubServer, events_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    base = "f" * 40
    body = tmp_path / "r.md"
    body.write_text(format_marker("default", base=base) + "\n## from toolkit report\n")
    newer = adapt_event(
        "pull_request_synchronize.payload.json",
        tmp_path / "newer.json",
        {"pull_request.head.sha": HEAD_NEW, "pull_request.updated_at": "2026-01-02T00:00:00Z"},
    )
    older = adapt_event(
        "pull_request_synchronize.payload.json",
        tmp_path / "older.json",
        {"pull_request.head.sha": HEAD_OLD, "pull_request.updated_at": "2026-01-01T00:00:00Z"},
    )
    env = actions_env(tmp_path / "runner", event_path=newer, api_url=github.url, token=TOKEN)
    assert invoke(["comment", "--body-file", str(body)], env).exit_code == 0
    posted = str(ours(github)[0]["body"])
    # Only the event's fields: whatever else the body's marker said is dropped.
    assert parse_marker(posted) == {"id": "default", "head": HEAD_NEW, "time": "1767312000"}
    assert posted.endswith("\n## from toolkit report\n")

    body.write_text(format_marker("default", base=base) + "\n## an older run, re-run\n")
    result = invoke(["comment", "--body-file", str(body)], {**env, "GITHUB_EVENT_PATH": str(older)})
    assert result.exit_code == 0, result.output
    assert (
        "::notice title=toolkit comment%3A kept::Kept the report comment of a newer commit" in result.stdout
    )
    assert [c["body"] for c in ours(github)] == [posted]


def test_relisting_after_create_notices_shifted_pages(github: GitHubServer) -> None:
    seed_busy_pr(github, 250)
    racer = report("a racing run", head=HEAD_NEW, time=2000)

    def hook(method: str, path: str) -> None:
        if method == "POST" and github.hook is not None:
            github.hook = None
            with github.lock:  # between our listing and our create: one deletion, one racer
                del github.prs[(REPO, PR)][0]
            github.add_comment(REPO, PR, racer)

    github.hook = hook
    outcome = sticky.upsert_comment(make_client(github), REPO, PR, report("ours"), report_id="default")
    # Page 3 no longer starts where it did: everything is read again, and the racer is found.
    assert [r.method for r in github.requests()] == ["GET"] * 3 + ["POST"] + ["GET"] * 4 + ["DELETE"]
    assert outcome.action == "skipped-older" and outcome.deleted == 1
    assert [c["body"] for c in ours(github)] == [racer]  # the racer's newer report is kept


# -- the first hour of a new user (issue 10): on a laptop ---------------------------------------


def test_local_comment_asks_for_the_token_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Neither a token, nor a repository, nor the body file: the token is named first.
    result = invoke(["comment", "--body-file", "missing.md", "--pr", "2"], {})
    assert result.exit_code == 1
    assert "no GitHub token" in result.output and "GH_TOKEN" in result.output
    assert "missing.md" not in result.output and "GITHUB_REPOSITORY" not in result.output


@pytest.mark.parametrize(
    "url",
    ["https://github.com/Codertocat/Hello-World.git", "git@github.com:Codertocat/Hello-World.git",
     "ssh://git@github.com/Codertocat/Hello-World"],
)
def test_local_comment_with_gh_token_and_the_origin_remote(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    repo = make_repo(tmp_path / "clone", {"README.md": "x\n"})
    subprocess.run(["git", "remote", "add", "origin", url], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    body = tmp_path / "r.md"
    body.write_text(report("from a laptop"))
    result = invoke(["comment", "--body-file", str(body), "--pr", str(PR)],
                    {"GH_TOKEN": TOKEN, "GITHUB_API_URL": github.url})
    assert result.exit_code == 0, result.output
    (mine,) = ours(github)
    assert "from a laptop" in mine["body"]
