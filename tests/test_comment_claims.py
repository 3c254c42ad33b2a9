"""What a report body claims against what the comment job knows: the report id and the verdict.

In pr-comment.yml the body is an artifact of the pull request's run, written by the PR's code
(which can replace the toolkit itself). Its marker names a report id and its text a verdict; the
comment keeps the id of toolkit.yaml where `toolkit comment` runs (the default branch's), and
puts GitHub's record of the run above the text. Over HTTP to the test server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.gh_helpers import PR, REPO, actions_env, adapt_event
from tests.github_server import BOT, TOKEN, GitHubServer
from tests.gitrepo import make_repo
from toolkit import sticky
from toolkit.cli import cli
from toolkit.marker import format_marker, parse_marker

RUN_URL = "https://github.com/Codertocat/Hello-World/actions/runs/30433643"  # its html_url
SAME_SHA = "c0ffee0000000000000000000000000000000002"
PASSING = "## ✅ All quality gates pass\n\nNothing to see here.\n"


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_pr(REPO, PR)
        yield gh


def invoke(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, args, env=env)


def run_env(
    github: GitHubServer, tmp_path: Path, changes: dict[str, Any] | None = None, name: str = "run"
) -> dict[str, str]:
    """A step of pr-comment.yml for the same-repo run of the fixture, with `changes` to it."""
    event = adapt_event("workflow_run.same-repo.json", tmp_path / f"{name}.json", changes)
    return actions_env(
        tmp_path / name, event="workflow_run", event_path=event, api_url=github.url, token=TOKEN
    )


def bot_comments(gh: GitHubServer) -> list[dict[str, Any]]:
    return [c for c in gh.comments(REPO, PR) if (c.get("user") or {}).get("login") == BOT["login"]]


def post(github: GitHubServer, tmp_path: Path, text: str | bytes, env: dict[str, str]) -> Result:
    body = tmp_path / "report.md"
    body.write_bytes(text.encode() if isinstance(text, str) else text)
    return invoke(["comment", "--body-file", str(body)], env)


# -- the report id is configuration ---------------------------------------------------------------


@pytest.mark.parametrize("claimed", ["nightly", "default-2", "a:b/c+d.e-f_g", "x" * 200])
def test_a_body_naming_another_report_id_is_posted_under_the_configured_one(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, claimed: str
) -> None:
    monkeypatch.chdir(tmp_path)
    # Another workflow's report on the same PR, by the same bot: a body claiming its id must
    # not overwrite (or delete) it.
    other = github.add_comment(REPO, PR, format_marker("nightly") + "\nThe nightly report.\n")
    result = post(
        github, tmp_path, format_marker(claimed, head="f" * 40) + "\n" + PASSING, run_env(github, tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert [c for c in bot_comments(github) if c["id"] == other["id"]] == [other]
    (posted,) = [c for c in bot_comments(github) if c["id"] != other["id"]]
    assert sticky.is_ours(posted, "default") and posted["body"].count("toolkit:report") == 1
    assert parse_marker(posted["body"]) == {"id": "default", "head": SAME_SHA, "time": "1772452800"}
    assert posted["body"].endswith("\n" + PASSING)
    assert not github.requests("DELETE") and not github.requests("PATCH")
    (warning,) = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert warning.startswith("::warning title=toolkit comment%3A report id::")
    assert f"names report `{claimed}`" in warning and "posted as `default`" in warning


def test_a_body_naming_the_configured_id_is_not_warned_of(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = post(github, tmp_path, format_marker("default") + "\n" + PASSING, run_env(github, tmp_path))
    assert result.exit_code == 0, result.output
    assert "::warning" not in result.stdout and "Warning" not in result.stderr
    assert len(bot_comments(github)) == 1


def test_six_pushes_with_six_report_ids_keep_one_comment(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for n in range(1, 7):
        sha = str(n) * 40
        env = run_env(
            github,
            tmp_path,
            {
                "workflow_run.head_sha": sha,
                "workflow_run.created_at": f"2026-03-0{n}T12:00:00Z",
                "workflow_run.pull_requests": [{"number": PR, "head": {"ref": "changes", "sha": sha}}],
            },
            name=f"push-{n}",
        )
        result = post(github, tmp_path, format_marker(f"push-{n}") + f"\n## push {n}\n", env)
        assert result.exit_code == 0, result.output
    (comment,) = bot_comments(github)
    assert parse_marker(comment["body"]) == {"id": "default", "head": "6" * 40, "time": "1772798400"}
    assert comment["body"].endswith("\n## push 6\n")
    assert len(github.requests("POST")) == 1 and len(github.requests("PATCH")) == 5


@pytest.mark.parametrize("prefix", ["", "ml/"], ids=["root", "subfolder"])
def test_the_report_id_is_the_checked_out_toolkit_yaml(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    # What pr-comment.yml checks out of the default branch: the requirements file, toolkit.yaml
    # and .dvc/ of the DVC root (here the git root, or ml/); the step runs in that root.
    checkout = make_repo(
        tmp_path / "checkout",
        {
            "requirements.txt": "mlops-toolkit==0.1.0\n",
            f"{prefix}toolkit.yaml": "report:\n  id: models\n",
            f"{prefix}.dvc/config": "",
        },
    )
    monkeypatch.chdir(checkout / prefix)
    result = post(github, tmp_path, format_marker("default") + "\n" + PASSING, run_env(github, tmp_path))
    assert result.exit_code == 0, result.output
    (comment,) = bot_comments(github)
    assert sticky.is_ours(comment, "models") and not sticky.is_ours(comment, "default")
    assert "names report `default`" in result.stdout


def test_a_broken_toolkit_yaml_on_the_default_branch_is_an_error(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = make_repo(tmp_path / "checkout", {"toolkit.yaml": "report:\n  id: [not, an, id]\n"})
    monkeypatch.chdir(checkout)
    result = post(github, tmp_path, PASSING, run_env(github, tmp_path))
    assert result.exit_code == 1 and "toolkit.yaml" in result.stderr and "report.id" in result.stderr
    assert "Traceback" not in result.output and github.requests() == []


def test_on_a_laptop_the_other_id_is_a_warning_line(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(make_repo(tmp_path / "clone", {"toolkit.yaml": "report:\n  id: models\n"}))
    env = {"GH_TOKEN": TOKEN, "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": REPO}
    body = tmp_path / "r.md"
    body.write_text(format_marker("nightly") + "\n## from a laptop\n")
    result = invoke(["comment", "--body-file", str(body), "--pr", str(PR)], env)
    assert result.exit_code == 0, result.output
    assert "Warning: the body's marker names report `nightly`" in result.stderr
    (comment,) = bot_comments(github)
    assert sticky.is_ours(comment, "models")
    # No workflow run, no verdict line: the body follows the marker.
    assert comment["body"].split("\n", 1)[1] == "## from a laptop\n"


# -- GitHub's verdict on the run, above the body ---------------------------------------------------


@pytest.mark.parametrize(
    ("conclusion", "headline"),
    [
        ("failure", "❌ **The ML report check failed**"),
        ("timed_out", "❌ **The ML report check timed out**"),
        ("startup_failure", "❌ **The ML report check failed to start**"),
        ("success", "✅ **The ML report check passed**"),
        ("cancelled", "⚠️ **The ML report check was cancelled**"),
        ("neutral", "ℹ️ **The ML report check ended neutral**"),
        (None, "⚠️ **The ML report check has no conclusion yet**"),
        ("brand_new", "⚠️ **The ML report check ended `brand_new`**"),
    ],
)
def test_githubs_verdict_on_the_run_heads_the_comment(
    github: GitHubServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    conclusion: str | None,
    headline: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    # The PR's body says every gate passes, whatever the run did.
    result = post(
        github, tmp_path, PASSING, run_env(github, tmp_path, {"workflow_run.conclusion": conclusion})
    )
    assert result.exit_code == 0, result.output
    (comment,) = bot_comments(github)
    lines = comment["body"].split("\n")
    assert lines[1] == f"{headline} on `c0ffee0` ([run]({RUN_URL})). Below: the report that run wrote."
    assert lines[2] == "" and "\n".join(lines[3:]) == PASSING


def test_a_fork_runs_failure_is_said_above_its_body(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    github.add_pull(REPO, 7, head_label="forker:improve-model", head_sha="c0ffee" + "0" * 33 + "1")
    event = adapt_event("workflow_run.fork.json", tmp_path / "fork.json")
    env = actions_env(
        tmp_path / "fork", event="workflow_run", event_path=event, api_url=github.url, token=TOKEN
    )
    body = tmp_path / "r.md"
    body.write_text(format_marker("default") + "\n" + PASSING)
    assert invoke(["comment", "--body-file", str(body)], env).exit_code == 0
    (comment,) = github.comments(REPO, 7)
    assert comment["body"].split("\n")[1].startswith("❌ **The ML report check failed** on `c0ffee0`")
    assert "/actions/runs/30433642))" in comment["body"].split("\n")[1]


@pytest.mark.parametrize(
    "html_url",
    [
        "javascript:alert(1)",
        "https://evil.example/Codertocat/Hello-World/actions/runs/30433643",
        "https://github.com/x) [click here](https://evil.example",
        "https://github.com/x\n\n## ✅ passed",
        "",
        None,
        42,
    ],
)
def test_the_verdict_line_takes_no_markup_from_the_payload(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, html_url: object
) -> None:
    monkeypatch.chdir(tmp_path)
    changes = {"workflow_run.html_url": html_url, "workflow_run.name": "ML *report* @octo-org/admins [x](y)"}
    result = post(github, tmp_path, PASSING, run_env(github, tmp_path, changes))
    assert result.exit_code == 0, result.output
    (comment,) = bot_comments(github)
    line = comment["body"].split("\n")[1]
    # Not GitHub's page of this repository: the link is built from the server, repository and id.
    assert line == (
        "✅ **The ML \\*report\\* @\u200bocto-org/admins \\[x\\]\\(y\\) check passed** on `c0ffee0` "
        f"([run]({RUN_URL})). Below: the report that run wrote."
    )


def test_a_nameless_run_without_id_still_gets_a_verdict(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    changes = {
        "workflow_run.name": "",
        "workflow_run.id": None,
        "workflow_run.html_url": None,
        "workflow_run.conclusion": "failure",
    }
    assert post(github, tmp_path, PASSING, run_env(github, tmp_path, changes)).exit_code == 0
    (comment,) = bot_comments(github)
    line = comment["body"].split("\n")[1]
    assert line == "❌ **The pull request check failed** on `c0ffee0`. Below: the report that run wrote."


# -- bodies that are empty but for a marker, or end lines with CR ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<!-- toolkit:report id=default -->",
        "<!-- toolkit:report id=default -->\n",
        "<!-- toolkit:report id=default head=" + "f" * 40 + " -->\r\n\r\n \t\r\n",
        "<!-- toolkit:report id=nightly -->\r",
        "<!-- toolkit:report id=default -->\r\r\r",
    ],
)
def test_a_body_with_only_the_marker_is_refused(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = post(github, tmp_path, text, run_env(github, tmp_path))
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output
    assert f"{tmp_path / 'report.md'} holds only the report marker" in result.stderr
    assert github.requests() == []


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_line_ends_are_posted_as_newlines(
    github: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newline: str
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [
        format_marker("default"),
        "## Report",
        "",
        "| metric | base | head |",
        "|---|---|---|",
        "| roc_auc | 0.9 | 0.91 |",
        "",
        "```",
        "code",
        "```",
        "",
    ]
    result = post(github, tmp_path, newline.join(lines), run_env(github, tmp_path))
    assert result.exit_code == 0, result.output
    (comment,) = bot_comments(github)
    body = comment["body"]
    assert "\r" not in body and "\\x0d" not in body and body.count("toolkit:report") == 1
    rest = body.split("\n\n", 1)[1]  # after the marker and the verdict paragraph
    assert rest == "\n".join(lines[1:])
