"""toolkit.actions: run context from payloads (also the real ones in shared/), commands, summary, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gh_helpers import PR, REPO, actions_env, adapt_event, parse_outputs
from tests.gitrepo import SHARED_EVENTS
from toolkit import actions
from toolkit.errors import ToolkitError

BASE_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
HEAD_SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


@pytest.mark.parametrize(
    "payload",
    [
        "pull_request_opened.payload.json",
        "pull_request_synchronize.payload.json",
        "pull_request_reopened.payload.json",
        "pull_request_opened.with-null-body.json",
    ],
)
def test_pull_request_context_from_payloads(payload: str, events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(tmp_path, event_path=events_dir / payload, token="ghs_x")
    ctx = actions.context_from_env(env)
    assert ctx.in_actions
    assert ctx.event_name == "pull_request"
    assert ctx.is_pull_request
    assert ctx.repository == REPO
    assert (ctx.owner, ctx.name) == ("Codertocat", "Hello-World")
    assert ctx.pr_number == PR
    assert (ctx.base_sha, ctx.base_ref) == (BASE_SHA, "master")
    # The PR's own head, not GITHUB_SHA (the merge commit).
    assert (ctx.head_sha, ctx.head_ref) == (HEAD_SHA, "changes")
    assert ctx.head_sha != env["GITHUB_SHA"]
    assert ctx.fork is False
    assert ctx.api_url == "https://api.github.com"
    assert ctx.run_url == f"https://github.com/{REPO}/actions/runs/123456789"
    assert ctx.token == "ghs_x"
    assert "ghs_x" not in repr(ctx)


@pytest.mark.parametrize("payload", ["pull_request_opened.fork.json", "pull_request_synchronize.fork.json"])
def test_fork_payloads(payload: str, events_dir: Path, tmp_path: Path) -> None:
    ctx = actions.context_from_env(actions_env(tmp_path, event_path=events_dir / payload))
    assert ctx.fork is True
    assert (ctx.pr_number, ctx.head_sha, ctx.base_sha) == (PR, HEAD_SHA, BASE_SHA)


def test_real_payloads_from_shared_give_the_same_context(tmp_path: Path) -> None:
    """The extra check: GitHub's real payloads, where the team's shared/ folder is present."""
    if not SHARED_EVENTS.is_dir():
        pytest.skip(f"{SHARED_EVENTS} is absent (a plain clone): only the project's payloads are used.")
    checked = 0
    for path in sorted(SHARED_EVENTS.glob("pull_request_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        pr = data["pull_request"]
        env = actions_env(tmp_path, event_path=path, repository=data["repository"]["full_name"])
        ctx = actions.context_from_env(env)
        assert (ctx.pr_number, ctx.head_sha) == (data["number"], pr["head"]["sha"])
        assert ctx.base_sha == pr["base"]["sha"]
        assert (ctx.head_ref, ctx.base_ref) == (pr["head"]["ref"], pr["base"]["ref"])
        checked += 1
    for path in sorted(SHARED_EVENTS.glob("push*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        env = actions_env(tmp_path, event="push", event_path=path)
        expected = data["after"] if data["after"].strip("0") else env["GITHUB_SHA"]
        assert actions.context_from_env(env).head_sha == expected
        checked += 1
    assert checked >= 3, f"too few real payloads found in {SHARED_EVENTS}"


def test_schedule_payload(events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(tmp_path, event="schedule", event_path=events_dir / "schedule.json")
    env["GITHUB_REF"] = "refs/heads/master"
    ctx = actions.context_from_env(env)
    assert (ctx.event_name, ctx.pr_number, ctx.head_ref) == ("schedule", None, "master")
    assert ctx.head_sha == env["GITHUB_SHA"]


def test_fork_pull_request(events_dir: Path, tmp_path: Path) -> None:
    event = adapt_event(
        "pull_request_opened.payload.json",
        tmp_path / "fork.json",
        {"pull_request.head.repo.full_name": "evil-fork/Hello-World"},
    )
    assert actions.context_from_env(actions_env(tmp_path, event_path=event)).fork is True


def test_deleted_fork_counts_as_fork(events_dir: Path, tmp_path: Path) -> None:
    event = adapt_event(
        "pull_request_closed.payload.json", tmp_path / "gone.json", {"pull_request.head.repo": None}
    )
    ctx = actions.context_from_env(actions_env(tmp_path, event_path=event))
    assert ctx.fork is True
    assert ctx.head_sha == HEAD_SHA


def test_push_context(events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(tmp_path, event="push", event_path=events_dir / "push_with-new-branch.payload.json")
    env["GITHUB_REF"] = "refs/heads/master"
    ctx = actions.context_from_env(env)
    assert ctx.event_name == "push"
    assert ctx.pr_number is None and not ctx.is_pull_request
    assert ctx.base_sha is None  # compare decides (config, main, origin/main)
    assert ctx.head_sha == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"  # payload `after`
    assert ctx.head_ref == "master"


def test_push_of_deleted_ref_falls_back_to_github_sha(events_dir: Path, tmp_path: Path) -> None:
    # push_payload.json is a tag push whose `after` is all zeros.
    env = actions_env(tmp_path, event="push", event_path=events_dir / "push_payload.json")
    ctx = actions.context_from_env(env)
    assert ctx.head_sha == env["GITHUB_SHA"]


def test_workflow_dispatch_context(events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(
        tmp_path,
        event="workflow_dispatch",
        event_path=events_dir / "workflow_dispatch_payload.json",
        repository="octo-org/octo-repo",
    )
    env["GITHUB_REF"] = "refs/heads/main"
    ctx = actions.context_from_env(env)
    assert (ctx.repository, ctx.pr_number, ctx.head_ref) == ("octo-org/octo-repo", None, "main")
    assert ctx.head_sha == env["GITHUB_SHA"]


def test_schedule_context(tmp_path: Path) -> None:
    # GitHub's schedule payload is just the cron line: a minimal payload written here.
    event = tmp_path / "schedule.json"
    event.write_text(json.dumps({"schedule": "0 3 * * *"}))
    ctx = actions.context_from_env(actions_env(tmp_path, event="schedule", event_path=event))
    assert ctx.event_name == "schedule" and ctx.pr_number is None


def test_unsupported_event_lists_supported_ones(events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(
        tmp_path, event="issue_comment", event_path=events_dir / "issue_comment_created.payload.json"
    )
    with pytest.raises(ToolkitError) as err:
        actions.context_from_env(env)
    for name in actions.SUPPORTED_EVENTS:
        assert name in err.value.message
    assert "issue_comment" in err.value.message
    # `toolkit comment --pr N` (from a workflow_run workflow) does not need a supported event.
    assert actions.context_from_env(env, require_supported=False).event_name == "issue_comment"
    # Outside Actions nothing is enforced.
    del env["GITHUB_ACTIONS"]
    assert actions.context_from_env(env).in_actions is False


def test_unreadable_and_malformed_payloads_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ToolkitError, match=r"nope\.json"):
        actions.context_from_env(actions_env(tmp_path, event_path=missing))
    broken = tmp_path / "broken.json"
    broken.write_text('{"number": 2,')
    with pytest.raises(ToolkitError, match=r"broken\.json.*not valid JSON"):
        actions.context_from_env(actions_env(tmp_path, event_path=broken))
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(ToolkitError, match="not a JSON object"):
        actions.context_from_env(actions_env(tmp_path, event_path=listed))


def test_pull_request_event_without_pull_request_object(events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(tmp_path, event_path=events_dir / "push_payload.json")
    with pytest.raises(ToolkitError, match="no `pull_request` object"):
        actions.context_from_env(env)
    del env["GITHUB_EVENT_PATH"]
    with pytest.raises(ToolkitError, match="GITHUB_EVENT_PATH is not set"):
        actions.context_from_env(env)


def test_outside_actions_defaults() -> None:
    ctx = actions.context_from_env({})
    assert not ctx.in_actions
    assert ctx.event_name is None and ctx.pr_number is None and ctx.token is None
    assert ctx.run_url is None and ctx.repository is None


def test_enterprise_urls(events_dir: Path, tmp_path: Path) -> None:
    env = actions_env(tmp_path, event_path=events_dir / "pull_request_opened.payload.json")
    env["GITHUB_API_URL"] = "https://ghe.example.com/api/v3/"
    env["GITHUB_SERVER_URL"] = "https://ghe.example.com"
    ctx = actions.context_from_env(env)
    assert ctx.api_url == "https://ghe.example.com/api/v3"
    assert ctx.run_url == f"https://ghe.example.com/{REPO}/actions/runs/123456789"


def test_bad_repository_variable(tmp_path: Path) -> None:
    env = actions_env(tmp_path, event="schedule")
    env["GITHUB_REPOSITORY"] = "not-a-repo"
    with pytest.raises(ToolkitError, match="owner/name"):
        actions.context_from_env(env)


def test_escaping() -> None:
    assert actions.escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert actions.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotation_lines_cannot_be_injected() -> None:
    line = actions.annotation(
        "error", "roc_auc fell\n::add-mask::x", file="dir,x:y/toolkit.yaml", line=7, title="Gate: a,b"
    )
    assert line == (
        "::error file=dir%2Cx%3Ay/toolkit.yaml,line=7,title=Gate%3A a%2Cb::roc_auc fell%0A::add-mask::x"
    )
    assert "\n" not in line
    assert actions.annotation("notice", "plain") == "::notice::plain"
    with pytest.raises(ValueError):
        actions.annotation("debug", "x")  # type: ignore[arg-type]


def test_mask(capsys: pytest.CaptureFixture[str]) -> None:
    actions.mask("ghs_SECRET")
    actions.mask("")
    assert capsys.readouterr().out == "::add-mask::ghs_SECRET\n"


def test_append_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    assert actions.append_summary({}, "# x") is False
    assert actions.append_summary({"GITHUB_STEP_SUMMARY": str(summary)}, "# one")
    assert actions.append_summary({"GITHUB_STEP_SUMMARY": str(summary)}, "two\n")
    assert summary.read_text() == "# one\ntwo\n"


def test_append_summary_respects_the_1_mib_step_cap(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (actions.SUMMARY_LIMIT - 5000))
    assert actions.append_summary({"GITHUB_STEP_SUMMARY": str(summary)}, "é" * 10_000)
    data = summary.read_bytes()
    assert len(data) <= actions.SUMMARY_LIMIT
    assert data.decode("utf-8").endswith("report file of this run.\n")
    # A full summary takes nothing more.
    summary.write_bytes(b"x" * actions.SUMMARY_LIMIT)
    assert actions.append_summary({"GITHUB_STEP_SUMMARY": str(summary)}, "more") is False
    assert summary.stat().st_size == actions.SUMMARY_LIMIT


def test_set_outputs(tmp_path: Path) -> None:
    out = tmp_path / "output.txt"
    env = {"GITHUB_OUTPUT": str(out)}
    assert actions.set_outputs({}, {"a": "b"}) is False
    actions.set_outputs(env, {"verdict": "2 of 2 gates passed", "failed-gates": 0, "url": None})
    actions.set_outputs(env, {"multi": "line 1\nline 2\nx=y", "other": "z"})
    text = out.read_text()
    assert "multi<<ghadelimiter_" in text
    assert parse_outputs(out) == {
        "verdict": "2 of 2 gates passed",
        "failed-gates": "0",
        "url": "",
        "multi": "line 1\nline 2\nx=y",
        "other": "z",
    }
    with pytest.raises(ValueError):
        actions.set_outputs(env, {"bad=name": "x"})


def test_multiline_delimiters_are_random(tmp_path: Path) -> None:
    out = tmp_path / "output.txt"
    for _ in range(2):
        actions.set_outputs({"GITHUB_OUTPUT": str(out)}, {"m": "a\nb"})
    delimiters = [line.split("<<")[1] for line in out.read_text().splitlines() if "<<" in line]
    assert len(set(delimiters)) == 2


def test_verbatim_stops_workflow_commands() -> None:
    text = actions.verbatim("| a |\n::error::injected\n::add-mask::x")
    lines = text.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32 and lines[-1] == f"::{token}::"
    assert lines[1:-1] == ["| a |", "::error::injected", "::add-mask::x"]
    assert actions.verbatim("x") != actions.verbatim("x")  # a fresh token every time


def test_only_the_github_client_imports_requests() -> None:
    probe = (
        "import sys\n"
        "import toolkit.actions, toolkit.sticky, toolkit.commands.ci, toolkit.commands.comment\n"
        "assert 'requests' not in sys.modules, 'requests imported'\n"
        "import toolkit.github\n"
        "assert 'requests' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True)


def test_run_url_needs_actions_a_repository_and_a_run_id() -> None:
    from toolkit.actions import run_url

    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7"}
    assert run_url(env) == "https://github.com/o/r/actions/runs/7"
    assert run_url({**env, "GITHUB_SERVER_URL": "https://ghe.example.com/"}) == (
        "https://ghe.example.com/o/r/actions/runs/7"
    )
    assert run_url({**env, "GITHUB_ACTIONS": "false"}) is None
    assert run_url({k: v for k, v in env.items() if k != "GITHUB_RUN_ID"}) is None
    assert run_url({k: v for k, v in env.items() if k != "GITHUB_REPOSITORY"}) is None
