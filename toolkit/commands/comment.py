"""`toolkit comment --body-file FILE [--pr N]`: create or update the one report comment on a PR."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from toolkit import actions
from toolkit.errors import GitHubError, ToolkitError
from toolkit.marker import format_marker, parse_marker
from toolkit.output import info, write_line


def run(*, body_file: Path, pr: int | None, environ: Mapping[str, str], cwd: Path) -> int:
    """Post `body_file` as the PR's sticky report comment (created, updated or left as is)."""
    ctx = actions.context_from_env(environ, require_supported=pr is None)
    if ctx.in_actions and ctx.token:
        actions.mask(ctx.token)
    body = _read_body(body_file)
    number = pr if pr is not None else ctx.pr_number
    if number is None:
        raise ToolkitError(
            f"no pull request to comment on (event `{ctx.event_name or 'none'}`); pass --pr N, "
            "or run on a pull_request event."
        )
    repo, token = require_repo_and_token(ctx)

    # The marker says which head the report is for and when that head was pushed, so a re-run of
    # an older run cannot overwrite a newer report; the event fills in what the body lacks.
    known = {"head": ctx.head_sha, "time": str(ctx.pr_updated) if ctx.pr_updated else None}
    fields = parse_marker(body)
    if fields is None:
        report_id = _configured_report_id(cwd)
        fields = {"id": report_id}
    else:
        report_id = fields["id"]
        body = body.split("\n", 1)[1] if "\n" in body else ""
    for key, value in known.items():
        if value and key not in fields:
            fields[key] = value
    extra = {k: v for k, v in fields.items() if k != "id"}
    body = format_marker(report_id, **extra) + "\n" + body

    from toolkit import sticky
    from toolkit.github import Client

    with Client(ctx.api_url, token) as client:
        outcome = sticky.upsert_comment(
            client,
            repo,
            number,
            body,
            report_id=report_id,
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
    if not ctx.repository:
        raise ToolkitError(
            "GITHUB_REPOSITORY is not set; set it to `owner/name` (GitHub Actions sets it for you)."
        )
    if not ctx.token:
        raise GitHubError(
            "GITHUB_TOKEN is not set; give the step `env: GITHUB_TOKEN: ${{ github.token }}` "
            "and the job `permissions: pull-requests: write`."
        )
    return ctx.repository, ctx.token


def _read_body(body_file: Path) -> str:
    if str(body_file) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ToolkitError(
                f"cannot read the comment body {body_file}: {getattr(exc, 'strerror', None) or exc}; "
                "pass an existing UTF-8 Markdown file (or '-' for stdin)."
            ) from None
    if not text.strip():
        raise ToolkitError(f"the comment body {body_file} is empty; render it with `toolkit report -o FILE`.")
    return text


def _configured_report_id(cwd: Path) -> str:
    """report.id of toolkit.yaml at the repository root, or "default" outside a repository."""
    from toolkit.config import load_config

    try:
        from toolkit.git import find_root

        root = find_root(cwd)
    except ToolkitError:
        return "default"
    return load_config(root).report.id
