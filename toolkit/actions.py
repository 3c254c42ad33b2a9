"""The GitHub Actions runtime: run context from the environment, workflow commands, summary, outputs.

Everything takes `environ` as a parameter; nothing here talks to the network (see github.py).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from toolkit.errors import ToolkitError
from toolkit.inert import controls
from toolkit.output import Command, write_line

SUPPORTED_EVENTS = ("pull_request", "push", "workflow_dispatch", "schedule")
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
#: GitHub shows at most 1 MiB of job summary per step.
SUMMARY_LIMIT = 1024 * 1024
_ZERO_SHA = "0" * 40

AnnotationKind = Literal["error", "warning", "notice"]


@dataclass(frozen=True)
class RunContext:
    """Where and why this run happens: event, repository, pull request, revisions, URLs, token."""

    in_actions: bool
    event_name: str | None
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)
    repository: str | None = None  # "owner/name"
    pr_number: int | None = None
    base_sha: str | None = None
    base_ref: str | None = None
    head_sha: str | None = None  # the PR's own head commit, never the merge commit
    head_ref: str | None = None
    fork: bool = False
    #: When the PR last changed (`pull_request.updated_at`, epoch seconds): orders reports of
    #: successive pushes, even a force-push back to an older commit, and a re-run of an old run.
    pr_updated: int | None = None
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    run_url: str | None = None
    token: str | None = field(default=None, repr=False)
    #: workflow_run events: the run whose report is posted, and the fork's `owner:branch`
    #: to look its pull request up by when `pull_requests` is empty (always, for forks).
    source_run_id: int | None = None
    head_label: str | None = None
    #: workflow_run events: GitHub's record of how that run ended (`conclusion`, None while it
    #: runs), its page, and its workflow's name; never what the run uploaded.
    source_conclusion: str | None = None
    source_url: str | None = None
    source_workflow: str | None = None

    @property
    def is_pull_request(self) -> bool:
        """True for a pull_request event with a PR number."""
        return self.event_name == "pull_request" and self.pr_number is not None

    @property
    def owner(self) -> str | None:
        """The repository's owner, or None."""
        return self.repository.split("/", 1)[0] if self.repository else None

    @property
    def name(self) -> str | None:
        """The repository's name without the owner, or None."""
        return self.repository.split("/", 1)[1] if self.repository else None


def _run_url(server_url: str, repository: str | None, run_id: str | None) -> str | None:
    return f"{server_url}/{repository}/actions/runs/{run_id}" if repository and run_id else None


def run_url(environ: Mapping[str, str]) -> str | None:
    """This workflow run's page inside GitHub Actions (no payload needed), else None."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return None
    server_url = (environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")
    return _run_url(server_url, environ.get("GITHUB_REPOSITORY"), environ.get("GITHUB_RUN_ID"))


def context_from_env(environ: Mapping[str, str], *, require_supported: bool = True) -> RunContext:
    """Build the RunContext from GITHUB_* variables and the event payload at GITHUB_EVENT_PATH."""
    in_actions = environ.get("GITHUB_ACTIONS") == "true"
    event = environ.get("GITHUB_EVENT_NAME") or None
    if in_actions and require_supported and event not in SUPPORTED_EVENTS:
        raise ToolkitError(
            f"the `{event or '(unset)'}` event is not supported; run toolkit on "
            f"{', '.join(SUPPORTED_EVENTS)} (for fork PRs, post the report from a workflow_run "
            "workflow with `toolkit comment --body-file FILE --pr N`)."
        )
    payload = _load_payload(environ.get("GITHUB_EVENT_PATH"))

    repository = environ.get("GITHUB_REPOSITORY") or _get(payload, "repository", "full_name")
    if repository is not None and (not isinstance(repository, str) or repository.count("/") != 1):
        raise ToolkitError(
            f"GITHUB_REPOSITORY is {repository!r}; it must be `owner/name` (GitHub Actions sets it)."
        )
    server_url = (environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")
    api_url = (environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    run_url = _run_url(server_url, repository, environ.get("GITHUB_RUN_ID"))

    pr_number = base_sha = base_ref = head_sha = head_ref = head_label = None
    pr_updated: int | None = None
    source_run_id: int | None = None
    source_conclusion: str | None = None
    source_url: str | None = None
    source_workflow: str | None = None
    fork = False
    pr = payload.get("pull_request")
    wr = payload.get("workflow_run")
    if event == "workflow_run" and isinstance(wr, Mapping):
        # Everything here is GitHub's own record of the run, not what the run uploaded.
        head_sha = _sha(wr.get("head_sha"), "workflow_run.head_sha")
        head_ref = _str(wr.get("head_branch"))
        run_id = wr.get("id")
        source_run_id = run_id if isinstance(run_id, int) and not isinstance(run_id, bool) else None
        source_conclusion = _str(wr.get("conclusion"))
        source_workflow = _str(wr.get("name"))
        source_url = _page(wr.get("html_url"), server_url) or (
            _run_url(server_url, repository, str(source_run_id)) if source_run_id is not None else None
        )
        # When the run was created: a re-run of an older run keeps its old time.
        pr_updated = _epoch(wr.get("created_at"))
        head_repo = _get(wr, "head_repository", "full_name")
        fork = head_repo != (repository or _get(payload, "repository", "full_name"))
        owner = _get(wr, "head_repository", "owner", "login")
        if isinstance(owner, str) and head_ref:
            head_label = f"{owner}:{head_ref}"
        for item in wr.get("pull_requests") or ():
            number = _get(item, "number")
            item_head = _get(item, "head", "sha")
            if isinstance(number, int) and not isinstance(number, bool) and item_head in (None, head_sha):
                pr_number = number
                break
    elif isinstance(pr, Mapping) and event in ("pull_request", "pull_request_target", None):
        number = payload.get("number", pr.get("number"))
        if isinstance(number, int) and not isinstance(number, bool):
            pr_number = number
        base_sha = _sha(_get(pr, "base", "sha"), "pull_request.base.sha")
        base_ref = _str(_get(pr, "base", "ref"))
        head_sha = _sha(_get(pr, "head", "sha"), "pull_request.head.sha")
        head_ref = _str(_get(pr, "head", "ref"))
        pr_updated = _epoch(pr.get("updated_at"))
        head_repo = _get(pr, "head", "repo", "full_name")
        base_repo = _get(pr, "base", "repo", "full_name") or repository
        # A deleted fork leaves head.repo null: treat it as a fork (read-only token either way).
        fork = head_repo is None or head_repo != base_repo
    elif event == "pull_request" and in_actions:
        where = environ.get("GITHUB_EVENT_PATH")
        problem = (
            f"the event payload {where} has no `pull_request` object"
            if where
            else ("GITHUB_EVENT_PATH is not set")
        )
        raise ToolkitError(
            f"{problem}; on a pull_request event it must point to the webhook payload GitHub wrote."
        )
    else:
        after = _str(payload.get("after")) if event == "push" else None
        head_sha = after if after and after != _ZERO_SHA else (environ.get("GITHUB_SHA") or None)
        head_ref = environ.get("GITHUB_REF_NAME") or _branch(environ.get("GITHUB_REF"))

    return RunContext(
        in_actions=in_actions,
        event_name=event,
        payload=payload,
        repository=repository,
        pr_number=pr_number,
        base_sha=base_sha,
        base_ref=base_ref,
        head_sha=head_sha,
        head_ref=head_ref,
        fork=fork,
        pr_updated=pr_updated,
        api_url=api_url,
        server_url=server_url,
        run_url=run_url,
        token=environ.get("GITHUB_TOKEN") or None,
        source_run_id=source_run_id,
        head_label=head_label,
        source_conclusion=source_conclusion,
        source_url=source_url,
        source_workflow=source_workflow,
    )


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _sha(value: Any, where: str) -> str | None:
    """A commit sha from the payload, or None; anything else (`--option`, spaces) is an error."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _SHA.fullmatch(value):
        return value
    raise ToolkitError(
        f"the event payload's `{where}` is {str(value)[:60]!r}, not a commit sha; point "
        "GITHUB_EVENT_PATH at the JSON file GitHub wrote."
    )


def _page(value: Any, server_url: str) -> str | None:
    """A run's `html_url` when it is a plain page on this GitHub server, else None."""
    if not isinstance(value, str) or not value.startswith(server_url + "/"):
        return None
    return value if _URL.fullmatch(value) else None


_URL = re.compile(r"[A-Za-z0-9+.-]+://[A-Za-z0-9._~:/%@!$&'*+,;=?#-]+")


def _load_payload(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolkitError(
            f"cannot read the event payload {path} (GITHUB_EVENT_PATH): {exc.__class__.__name__}; "
            "point GITHUB_EVENT_PATH at the JSON file GitHub wrote, or unset it outside Actions."
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolkitError(
            f"the event payload {path} (GITHUB_EVENT_PATH) is not valid JSON (line {exc.lineno}); "
            "point GITHUB_EVENT_PATH at the JSON file GitHub wrote."
        ) from None
    if not isinstance(data, dict):
        raise ToolkitError(
            f"the event payload {path} (GITHUB_EVENT_PATH) is not a JSON object; "
            "point GITHUB_EVENT_PATH at the JSON file GitHub wrote."
        )
    return data


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _epoch(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp())


def _branch(ref: str | None) -> str | None:
    if not ref:
        return None
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


# -- workflow commands ---------------------------------------------------------------------------


def escape_data(value: object) -> str:
    """Escape a workflow-command message: `%`, CR and LF, as GitHub's own toolkit does."""
    return str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: object) -> str:
    """Escape a workflow-command property value: like escape_data plus `:` and `,`."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(
    kind: AnnotationKind,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> str:
    """The `::error file=F,line=L,title=T::message` line (likewise warning and notice)."""
    if kind not in ("error", "warning", "notice"):
        raise ValueError(f"unknown annotation kind {kind!r}")
    props = []
    if file is not None:
        props.append(f"file={escape_property(file)}")
    if line is not None:
        props.append(f"line={int(line)}")
    if title is not None:
        props.append(f"title={escape_property(title)}")
    head = f"::{kind} {','.join(props)}" if props else f"::{kind}"
    return Command(f"{head}::{escape_data(controls(message))}")


def verbatim(text: str) -> str:
    """`text` wrapped in `::stop-commands::` so no line of it runs as a workflow command."""
    token = secrets.token_hex(16)
    body = text if text.endswith("\n") else text + "\n"
    return Command(f"::stop-commands::{token}\n{controls(body)}::{token}::\n")


def mask(value: str) -> None:
    """Register `value` as a secret so GitHub hides it in every later log line."""
    if value:
        write_line(Command(f"::add-mask::{escape_data(value)}"))


def append_summary(environ: Mapping[str, str], markdown: str) -> bool:
    """Append Markdown to the job summary ($GITHUB_STEP_SUMMARY), within its 1 MiB per-step cap."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    target = Path(path)
    try:
        used = target.stat().st_size if target.exists() else 0
    except OSError:
        used = 0
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    data = text.encode("utf-8")
    room = SUMMARY_LIMIT - used
    if len(data) > room:
        note = (
            b"\n\n> **Truncated**: the job summary is limited to 1 MiB per step; "
            b"the full report is in the report file of this run.\n"
        )
        keep = max(0, room - len(note))
        data = data[:keep].decode("utf-8", errors="ignore").encode("utf-8") + note
        if len(data) > room:
            return False
    try:
        with target.open("ab") as fh:
            fh.write(data)
    except OSError as exc:
        raise ToolkitError(
            f"cannot write the job summary {path} (GITHUB_STEP_SUMMARY): {exc.strerror}."
        ) from None
    return True


def set_outputs(environ: Mapping[str, str], mapping: Mapping[str, object]) -> bool:
    """Append step outputs to $GITHUB_OUTPUT; multi-line values use a random heredoc delimiter."""
    path = environ.get("GITHUB_OUTPUT")
    if not path:
        return False
    lines = []
    for name, raw in mapping.items():
        if not name or any(c in name for c in "=\r\n<"):
            raise ValueError(f"invalid output name {name!r}")
        value = "" if raw is None else str(raw)
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:  # pragma: no cover - 128 random bits
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            lines.append(f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}")
        else:
            lines.append(f"{name}={value}")
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("".join(line + os.linesep for line in lines))
    except OSError as exc:
        raise ToolkitError(f"cannot write step outputs to {path} (GITHUB_OUTPUT): {exc.strerror}.") from None
    return True
