"""The sticky report comment: exactly one per pull request and report id, whatever happens.

Ours = marker on the first line with our report id AND written by our bot (a marker alone can be
quoted by anyone). The oldest of ours is the one we keep; later duplicates (left by runs that
raced: both listed, both saw nothing, both created) are deleted. After creating, we list again, so
two concurrent runs converge on the oldest comment whichever finishes first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from toolkit.marker import parse_marker

if TYPE_CHECKING:
    from toolkit.github import Client

DEFAULT_BOT_LOGIN = "github-actions[bot]"
PER_PAGE = 100  # as toolkit.github.Client lists
BODY_LIMIT = 65536

Action = Literal["created", "updated", "unchanged", "skipped-older"]


@dataclass(frozen=True)
class Outcome:
    """What upsert_comment did."""

    action: Action
    comment_id: int | None
    url: str | None
    deleted: int = 0  # duplicates removed
    detail: str = ""  # one sentence for the log

    def describe(self) -> str:
        """One line for the log."""
        verb = {
            "created": "Created the report comment",
            "updated": "Updated the report comment",
            "unchanged": "The report comment is up to date",
            "skipped-older": "Kept the report comment of a newer commit",
        }[self.action]
        line = f"{verb}: {self.url}" if self.url else verb
        if self.deleted:
            line += f" (deleted {self.deleted} duplicate{'s' if self.deleted != 1 else ''})"
        return line + (f"; {self.detail}" if self.detail else "")


def bot_login(environ: Mapping[str, str]) -> str:
    """The login our comments are written by: TOOLKIT_BOT_LOGIN, else github-actions[bot]."""
    return environ.get("TOOLKIT_BOT_LOGIN") or DEFAULT_BOT_LOGIN


def is_ours(comment: Mapping[str, Any], report_id: str, login: str = DEFAULT_BOT_LOGIN) -> bool:
    """True when `comment` starts with our marker for `report_id` and was written by `login`."""
    user = comment.get("user")
    if not isinstance(user, Mapping) or user.get("login") != login:
        return False  # deleted accounts (user null), people, other bots
    if login.endswith("[bot]") and user.get("type") != "Bot":
        return False
    body = comment.get("body")
    fields = parse_marker(body if isinstance(body, str) else None)
    return fields is not None and fields.get("id") == report_id


def fit_body(body: str, limit: int = BODY_LIMIT, *, summary_hint: str | None = None) -> str:
    """`body` cut to at most `limit` characters, marker kept, with a visible note (last resort)."""
    if len(body) <= limit:
        return body
    where = f"the [job summary]({summary_hint})" if summary_hint else "the job summary of this run"
    note = (
        "\n\n---\n> **Report truncated**: it is longer than GitHub's 65,536-character comment "
        f"limit. The full report is in {where}.\n"
    )
    room = max(0, limit - len(note) - 200)  # 200: closing tags added below
    cut = body[:room]
    # Cut at a line end, unless that would leave nothing past the marker (a one-line report):
    # then the headline itself is cut, and kept.
    marker_end = body.find("\n") if parse_marker(body) is not None else -1
    newline = cut.rfind("\n")
    if newline > marker_end + 1 and newline > 0:
        cut = cut[:newline]
    closers = ""
    fence = open_fence(cut)
    if fence:
        closers += "\n" + fence
    open_details = cut.count("<details") - cut.count("</details>")
    closers += "\n</details>" * max(0, min(open_details, 10))
    return (cut + closers + note)[:limit]


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def open_fence(text: str) -> str:
    """The fence that closes a code block still open at the end of `text` ('' if none).

    Only real fences count, as CommonMark reads them: at most 3 spaces of indent, 3+ backticks
    or tildes, no backtick in a backtick fence's info string, closed by the same character at
    least as long. A run of backticks inside inline code is no fence.
    """
    opened = ""
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if not m:
            continue
        run, rest = m.group(1), m.group(2)
        if not opened:
            if run[0] == "`" and "`" in rest:
                continue  # inline code at a line start, not a fence
            opened = run
        elif run[0] == opened[0] and len(run) >= len(opened) and not rest.strip():
            opened = ""
    return opened


def _time(fields: Mapping[str, str] | None) -> int | None:
    try:
        return int(fields["time"]) if fields and "time" in fields else None
    except ValueError:
        return None


def _newer(theirs: Mapping[str, str] | None, head_sha: str | None, head_time: int | None) -> bool:
    """True when the existing report is for a different head commit that is newer than ours."""
    if not theirs or head_time is None:
        return False
    their_time = _time(theirs)
    if their_time is None or theirs.get("head") == head_sha:
        return False
    return their_time > head_time


def upsert_comment(
    client: Client,
    repo: str,
    pr_number: int,
    body: str,
    *,
    report_id: str,
    head_sha: str | None = None,
    head_time: int | None = None,
    login: str = DEFAULT_BOT_LOGIN,
    limit: int = BODY_LIMIT,
    summary_hint: str | None = None,
) -> Outcome:
    """Create or update the one report comment on `pr_number`; delete later duplicates."""
    from toolkit.github import NotFoundError

    args = (client, repo, pr_number, body, report_id, head_sha, head_time, login, limit)
    try:
        return _upsert(*args, summary_hint)
    except _Vanished:
        pass  # deleted between our listing and our update (by a person or a racing run)
    try:
        return _upsert(*args, summary_hint)
    except _Vanished as exc:
        raise NotFoundError(str(exc)) from None


class _Vanished(Exception):
    """The comment to update disappeared between listing and updating."""


def _upsert(
    client: Client,
    repo: str,
    pr_number: int,
    body: str,
    report_id: str,
    head_sha: str | None,
    head_time: int | None,
    login: str,
    limit: int,
    summary_hint: str | None,
) -> Outcome:
    from toolkit.github import NotFoundError

    fields = parse_marker(body)
    if fields is None or fields.get("id") != report_id:
        raise ValueError("the body must start with the report marker for report_id")
    head_sha = head_sha or fields.get("head")
    head_time = head_time if head_time is not None else _time(fields)
    body = fit_body(body, limit, summary_hint=summary_hint)

    comments = client.list_comments(repo, pr_number)
    ours = _ours(comments, report_id, login)
    created_id: int | None = None
    if not ours:
        created = client.create_comment(repo, pr_number, body)
        created_id = int(created["id"])
        # Another run may have created its own in the meantime: look again and converge.
        ours = _ours(_comments_since(client, repo, pr_number, comments), report_id, login)
        if not any(c["id"] == created_id for c in ours):
            ours.append(created)
            ours.sort(key=lambda c: int(c["id"]))

    keep = ours[0]
    # The newest report among ours and every match wins; ties go to ours.
    winner_body, winner_is_ours = body, True
    best_fields: Mapping[str, str] | None = None
    for comment in ours:
        theirs = parse_marker(comment.get("body"))
        if _newer(theirs, head_sha, head_time) and (
            best_fields is None or (_time(theirs) or 0) > (_time(best_fields) or 0)
        ):
            best_fields, winner_body, winner_is_ours = theirs, str(comment["body"]), False

    action: Action
    if keep.get("body") == winner_body:
        if int(keep["id"]) == created_id:
            action = "created"
        else:
            action = "unchanged" if winner_is_ours else "skipped-older"
    else:
        try:
            keep = {**keep, **client.update_comment(repo, int(keep["id"]), winner_body)}
        except NotFoundError as exc:
            raise _Vanished(exc.message) from None
        action = "updated" if winner_is_ours else "skipped-older"

    deleted = 0
    for duplicate in ours[1:]:
        if client.delete_comment(repo, int(duplicate["id"])):
            deleted += 1

    detail = ""
    if action in ("created", "updated") and head_time is not None:
        # A run that listed before we wrote may have written an older report after us: look
        # again, and put the newest report back (bounded: two more writes at most).
        for _ in range(2):
            try:
                now = client.get_comment(repo, int(keep["id"]))
            except NotFoundError:
                break
            theirs = parse_marker(now.get("body") if isinstance(now.get("body"), str) else None)
            their_time = _time(theirs)
            if theirs is None or theirs.get("head") == head_sha or (
                their_time is not None and their_time >= head_time
            ):
                break
            try:
                keep = {**keep, **client.update_comment(repo, int(keep["id"]), body)}
            except NotFoundError:
                break
            detail = "restored it over an older report written meanwhile"
    if action == "skipped-older":
        head = (best_fields or {}).get("head", "?")[:7]
        detail = f"it reports head {head}, newer than this run's {(head_sha or '?')[:7]}"
    url = keep.get("html_url")
    return Outcome(
        action=action,
        comment_id=int(keep["id"]),
        url=str(url) if url else None,
        deleted=deleted,
        detail=detail,
    )


def _ours(comments: list[dict[str, Any]], report_id: str, login: str) -> list[dict[str, Any]]:
    return sorted((c for c in comments if is_ours(c, report_id, login)), key=lambda c: int(c["id"]))


def _comments_since(
    client: Client, repo: str, pr_number: int, before: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The comments made after `before` was listed, reading only from its last page on.

    Comments are listed oldest first and new ones only ever come last, so the last page seen
    and what follows hold every comment made since. If that page no longer starts with the same
    comment (some earlier ones were deleted and everything shifted), read everything again.
    """
    page = max(1, -(-len(before) // PER_PAGE))  # the last page `before` came from
    if page == 1:
        return client.list_comments(repo, pr_number)
    first_seen = before[(page - 1) * PER_PAGE]["id"]
    tail = client.list_comments(repo, pr_number, page=page)
    if not tail or tail[0]["id"] != first_seen:
        return client.list_comments(repo, pr_number)
    return tail
