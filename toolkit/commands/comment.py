"""`toolkit comment --body-file FILE [--pr N]`: create or update the one report comment on a PR.

The body is untrusted data (in the generated workflows it is an artifact uploaded by the job that
ran the pull request's code, which may have replaced the toolkit itself): it is read with a size
cap, re-checked (no control or bidi characters, no mentions), and its marker is replaced by one
this command writes from trusted sources only: the report id from toolkit.yaml where the command
runs (the default branch's, in pr-comment.yml), the event's head sha and time. A body that names
another report id is posted under the configured one, with a warning. On a `workflow_run` event
a first line written from GitHub's record of the run (how it concluded, its page) sits above the
body, and the pull request is the one GitHub recorded for the run, or (fork runs, where GitHub
records none) the open pull request whose head is the run's `owner:branch` at the run's head sha.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

from toolkit import actions
from toolkit.errors import GitHubError, ToolkitError
from toolkit.inert import controls, markdown_document
from toolkit.marker import format_marker, parse_marker
from toolkit.output import info, warn, write_line

#: Bodies larger than this are refused unread (a report is cut to 65,536 characters anyway).
MAX_BODY_BYTES = 4 * 1024 * 1024


def run(*, body_file: Path, pr: int | None, environ: Mapping[str, str], cwd: Path) -> int:
    """Post `body_file` as the PR's sticky report comment (created, updated or left as is)."""
    event = environ.get("GITHUB_EVENT_NAME")
    ctx = _local(
        actions.context_from_env(environ, require_supported=pr is None and event != "workflow_run"),
        environ,
        cwd,
    )
    if ctx.in_actions and ctx.token:
        actions.mask(ctx.token)
    _require_token(ctx)  # the token first: nothing else matters without one
    body = _read_body(body_file)
    if event == "workflow_run" and ctx.payload and pr is None:
        source_event = actions._get(ctx.payload, "workflow_run", "event")
        if source_event != "pull_request":
            info(f"The workflow run was for a `{source_event}` event, not a pull request: no comment.")
            return 0
    repo, token = require_repo_and_token(ctx)

    # Whatever the body says, it is one report of this PR: the id is configuration, head and
    # time are the event's, and on a workflow_run GitHub's verdict on the run comes first.
    report_id = _configured_report_id(cwd)
    body = _without_marker(body, report_id, body_file, ctx)
    body = markdown_document(controls(body))
    body = _trusted_marker(report_id, ctx) + "\n" + _run_status(ctx) + body

    from toolkit import sticky
    from toolkit.github import Client

    with Client(ctx.api_url, token) as client:
        number = pr if pr is not None else ctx.pr_number
        if number is None and event == "workflow_run" and ctx.head_label and ctx.head_sha:
            number = client.pull_for_head(repo, ctx.head_label, ctx.head_sha)
            if number is None:
                warn(
                    f"no open pull request has head {ctx.head_label} at {ctx.head_sha[:7]} (closed, "
                    "or pushed again since); no comment posted."
                )
                return 0
        if number is None:
            raise ToolkitError(
                f"no pull request to comment on (event `{ctx.event_name or 'none'}`); pass --pr N, "
                "or run on a pull_request or workflow_run event."
            )
        outcome = sticky.upsert_comment(
            client,
            repo,
            number,
            body,
            report_id=report_id,
            head_sha=ctx.head_sha,
            head_time=ctx.pr_updated,
            login=sticky.bot_login(environ),
            summary_hint=ctx.run_url,
        )
    if ctx.in_actions and outcome.action == "skipped-older":
        write_line(actions.annotation("notice", outcome.describe(), title="toolkit comment: kept"))
    else:
        info(outcome.describe())
    if outcome.url:
        write_line(outcome.url)
    if ctx.in_actions:
        actions.set_outputs(environ, {"comment-url": outcome.url or "", "action": outcome.action})
    return 0


def require_repo_and_token(ctx: actions.RunContext) -> tuple[str, str]:
    """The repository and token to comment with, or a ToolkitError telling what to set."""
    token = _require_token(ctx)
    if not ctx.repository:
        raise ToolkitError(
            "GITHUB_REPOSITORY is not set and no `origin` remote names a GitHub repository; set it "
            "to `owner/name` (GitHub Actions sets it for you)."
        )
    return ctx.repository, token


def _require_token(ctx: actions.RunContext) -> str:
    if not ctx.token:
        where = (
            "give the step `env: GITHUB_TOKEN: ${{ github.token }}` and the job "
            "`permissions: pull-requests: write`"
            if ctx.in_actions
            else "set GITHUB_TOKEN or GH_TOKEN to a token that may write pull requests (e.g. "
            "`export GH_TOKEN=$(gh auth token)`)"
        )
        raise GitHubError(f"no GitHub token: GITHUB_TOKEN is not set; {where}.")
    return ctx.token


_REMOTE = re.compile(r"^(?:[a-z+]+://(?:[^@/]+@)?[^/]+/|[^@/:]+@[^:/]+:)(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")


def _local(ctx: actions.RunContext, environ: Mapping[str, str], cwd: Path) -> actions.RunContext:
    """Outside Actions: GH_TOKEN (the gh CLI's) when GITHUB_TOKEN is unset, and the repository
    from the `origin` remote when GITHUB_REPOSITORY is."""
    token = ctx.token or environ.get("GH_TOKEN") or None
    repository = ctx.repository
    if repository is None:
        from toolkit import git

        try:
            done = git.run(git.find_root(cwd), "remote", "get-url", "origin")
        except ToolkitError:
            done = None
        if done is not None and done.returncode == 0:
            found = _REMOTE.match(done.stdout.decode(errors="replace").strip())
            repository = found["repo"] if found else None
    return dataclasses.replace(ctx, token=token, repository=repository)


def _read_body(body_file: Path) -> str:
    stdin = str(body_file) == "-"
    data = sys.stdin.buffer.read(MAX_BODY_BYTES + 1) if stdin else _read_regular(body_file)
    if len(data) > MAX_BODY_BYTES:
        raise ToolkitError(
            f"the comment body {body_file} is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB; "
            "pass the report `toolkit report -o FILE` wrote."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolkitError(
            f"the comment body {body_file} is not UTF-8 text; pass the Markdown report "
            "`toolkit report -o FILE` wrote."
        ) from None
    if not text.strip():
        raise ToolkitError(f"the comment body {body_file} is empty; render it with `toolkit report -o FILE`.")
    # CRLF or a lone CR ends a line in Markdown; as LF it is no `\x0d` in the comment.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_regular(body_file: Path) -> bytes:
    """At most MAX_BODY_BYTES + 1 bytes of a regular file (never a FIFO or device)."""
    try:
        fd = os.open(body_file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ToolkitError(
            f"cannot read the comment body {body_file}: {exc.strerror or exc}; "
            "pass an existing UTF-8 Markdown file (or '-' for stdin)."
        ) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ToolkitError(
                f"the comment body {body_file} is not a regular file; pass the Markdown report "
                "`toolkit report -o FILE` wrote."
            )
        return fh.read(MAX_BODY_BYTES + 1)


def _without_marker(body: str, report_id: str, body_file: Path, ctx: actions.RunContext) -> str:
    """The body after its marker line, if any; a marker naming another report id is warned of."""
    fields = parse_marker(body)
    if fields is None:
        return body
    rest = body.split("\n", 1)[1] if "\n" in body else ""
    if not rest.strip():
        raise ToolkitError(
            f"the comment body {body_file} holds only the report marker, no report; pass the "
            "Markdown report `toolkit report -o FILE` wrote."
        )
    if fields["id"] != report_id:
        message = (
            f"the body's marker names report `{fields['id']}`, but this comment is report "
            f"`{report_id}` (report.id of toolkit.yaml where `toolkit comment` runs); posted as "
            f"`{report_id}`."
        )
        if ctx.in_actions:
            write_line(actions.annotation("warning", message, title="toolkit comment: report id"))
        else:
            warn(message)
    return rest


def _trusted_marker(report_id: str, ctx: actions.RunContext) -> str:
    """The marker line: the configured report id, and head and time from the event only."""
    trusted = {"head": ctx.head_sha, "time": str(ctx.pr_updated) if ctx.pr_updated else None}
    return format_marker(report_id, **{k: v for k, v in trusted.items() if v})


#: workflow_run.conclusion -> (icon, what the check did).
_CONCLUSIONS = {
    "success": ("✅", "passed"),
    "failure": ("❌", "failed"),
    "timed_out": ("❌", "timed out"),
    "startup_failure": ("❌", "failed to start"),
    "cancelled": ("⚠️", "was cancelled"),
    "action_required": ("⚠️", "waits for approval"),
    "skipped": ("⚠️", "was skipped"),
    "stale": ("⚠️", "went stale"),
    "neutral": ("ℹ️", "ended neutral"),
}


def _run_status(ctx: actions.RunContext) -> str:
    """On a workflow_run event, the paragraph above the body: GitHub's verdict on the run."""
    if ctx.event_name != "workflow_run":
        return ""
    from toolkit.markdown import code, escape

    conclusion = ctx.source_conclusion
    if conclusion in _CONCLUSIONS:
        icon, verb = _CONCLUSIONS[conclusion]
    elif conclusion is None:
        icon, verb = "⚠️", "has no conclusion yet"
    else:
        icon, verb = "⚠️", f"ended {code(conclusion)}"
    name = escape(ctx.source_workflow or "pull request")
    line = f"{icon} **The {name} check {verb}**"
    if ctx.head_sha:
        line += f" on {code(ctx.head_sha[:7])}"
    if ctx.source_url:
        line += f" ([run]({ctx.source_url}))"
    return line + ". Below: the report that run wrote.\n\n"


def _configured_report_id(cwd: Path) -> str:
    """report.id of toolkit.yaml where the command runs (trusted configuration, never the body's
    claim), or "default" outside a repository."""
    from toolkit.config import load_config

    try:
        from toolkit.dvc import settings_root

        root = settings_root(cwd)
    except ToolkitError:
        return "default"
    return load_config(root).report.id
