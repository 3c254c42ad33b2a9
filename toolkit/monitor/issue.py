"""The one open monitoring issue: created on drift, updated while it lasts, closed when data recover.

Same rules as the sticky PR comment (sticky.py): ours = our marker on the body's first line AND
written by our bot AND labelled `model-monitoring`; the oldest of ours is kept, later duplicates
(left by runs that raced) are closed as duplicates of it; after creating, we list again so two
concurrent runs converge. An unchanged report writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from toolkit.marker import format_marker, parse_marker
from toolkit.sticky import DEFAULT_BOT_LOGIN, fit_body

if TYPE_CHECKING:
    from toolkit.github import Client

REPORT_ID = "model-monitoring"
LABEL_COLOR = "d62728"
TITLE = "Model monitoring: drift or decay in production"
PERMISSIONS_HINT = "permissions:\n  contents: read\n  issues: write"

Action = Literal["created", "updated", "unchanged", "closed", "none"]


@dataclass(frozen=True)
class IssueOutcome:
    """What sync_issue did."""

    action: Action
    number: int | None
    url: str | None
    duplicates_closed: int = 0

    def describe(self) -> str:
        """One line for the log."""
        text = {
            "created": "Opened the monitoring issue",
            "updated": "Updated the monitoring issue",
            "unchanged": "The monitoring issue is up to date",
            "closed": "Closed the monitoring issue: the data recovered",
            "none": "No drift and no open monitoring issue: nothing to do",
        }[self.action]
        if self.url:
            text += f": {self.url}"
        if self.duplicates_closed:
            text += f" (closed {self.duplicates_closed} duplicate{'s' if self.duplicates_closed > 1 else ''})"
        return text


def issue_body(report: str, *, drift: bool) -> str:
    """The issue body: our marker, then the report."""
    return format_marker(REPORT_ID, drift="yes" if drift else "no") + "\n" + report


def is_ours(issue: Mapping[str, Any], login: str, label: str) -> bool:
    """Our marker on the first line, written by our bot, carrying the label."""
    user = issue.get("user")
    if not isinstance(user, Mapping) or user.get("login") != login:
        return False
    if login.endswith("[bot]") and user.get("type") != "Bot":
        return False
    labels = {lab.get("name") if isinstance(lab, Mapping) else lab for lab in issue.get("labels") or ()}
    if label not in labels:
        return False
    body = issue.get("body")
    fields = parse_marker(body if isinstance(body, str) else None)
    return fields is not None and fields.get("id") == REPORT_ID


def sync_issue(
    client: Client,
    repo: str,
    report: str,
    *,
    drift: bool,
    label: str = REPORT_ID,
    login: str = DEFAULT_BOT_LOGIN,
    summary_hint: str | None = None,
) -> IssueOutcome:
    """Create, update or close the one monitoring issue so it matches this run's verdict."""
    from toolkit.github import ForbiddenError

    try:
        return _sync(client, repo, report, drift, label, login, summary_hint)
    except ForbiddenError as exc:
        raise ForbiddenError(
            f"{exc.message.split(':', 1)[0]}: the token may not write issues (403). Give the job "
            f"that runs `toolkit monitor --issue` this `permissions:` block:\n{PERMISSIONS_HINT}"
        ) from None


def _sync(
    client: Client, repo: str, report: str, drift: bool, label: str, login: str, summary_hint: str | None
) -> IssueOutcome:
    ours = _ours(client, repo, label, login)
    if not drift:
        if not ours:
            return IssueOutcome("none", None, None)
        closed = 0
        for issue in ours:
            note = (
                "The production data no longer drift from the training data; closing.\n\n"
                + fit_body(report, 60_000, summary_hint=summary_hint)
                if issue is ours[0]
                else f"Duplicate of #{ours[0]['number']}; closing."
            )
            client.create_comment(repo, int(issue["number"]), note)
            client.update_issue(repo, int(issue["number"]), state="closed", state_reason="completed")
            closed += 1
        keep = ours[0]
        return IssueOutcome("closed", int(keep["number"]), _url(keep), closed - 1)

    body = fit_body(issue_body(report, drift=True), summary_hint=summary_hint)
    created_number: int | None = None
    if not ours:
        client.ensure_label(repo, label, LABEL_COLOR, "Drift or decay found by toolkit monitor")
        created = client.create_issue(repo, TITLE, body, [label])
        created_number = int(created["number"])
        # Another run may have opened its own meanwhile: converge on the oldest.
        ours = _ours(client, repo, label, login)
        if not any(int(i["number"]) == created_number for i in ours):
            ours = sorted([*ours, created], key=lambda i: int(i["number"]))
    keep = ours[0]
    action: Action
    if keep.get("body") == body:
        action = "created" if int(keep["number"]) == created_number else "unchanged"
    else:
        keep = {**keep, **client.update_issue(repo, int(keep["number"]), body=body)}
        action = "updated"
    duplicates = 0
    for issue in ours[1:]:
        client.create_comment(repo, int(issue["number"]), f"Duplicate of #{keep['number']}; closing.")
        client.update_issue(repo, int(issue["number"]), state="closed", state_reason="not_planned")
        duplicates += 1
    return IssueOutcome(action, int(keep["number"]), _url(keep), duplicates)


def _ours(client: Client, repo: str, label: str, login: str) -> list[dict[str, Any]]:
    issues = client.list_issues(repo, label=label, state="open")
    return sorted((i for i in issues if is_ours(i, login, label)), key=lambda i: int(i["number"]))


def _url(issue: Mapping[str, Any]) -> str | None:
    url = issue.get("html_url")
    return str(url) if url else None
