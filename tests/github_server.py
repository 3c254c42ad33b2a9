"""A GitHub-compatible REST server on 127.0.0.1 for the comment path, built from github-contract.md.

Serves the issue-comments endpoints (list with Link pagination, create, update, delete), checks the
token, enforces the 65,536-character body limit, answers 403 "Resource not accessible by
integration" to read-only tokens, and replays queued faults (5xx, rate limits, dropped
connections). Every request is logged, raw, so tests can count requests and look for the token.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

TOKEN = "ghs_SECRETTOKEN123"
READONLY_TOKEN = "ghs_READONLYTOKEN456"
BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
OTHER_BOT = {"login": "cml-bot[bot]", "id": 1000001, "type": "Bot"}
USER = {"login": "octocat", "id": 583231, "type": "User"}
BODY_LIMIT = 65536
DOCS = "https://docs.github.com/rest"

_LIST = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments$")
_ONE = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)$")
# Releases, assets and deployments (toolkit model deliver).
_RELEASE_BY_TAG = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/releases/tags/(?P<tag>[^/]+)$")
_RELEASES = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/releases$")
_ASSETS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/releases/(?P<id>\d+)/assets$")
_DEPLOYMENTS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/deployments$")
_STATUSES = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/deployments/(?P<id>\d+)/statuses$")
# A workflow run's artifacts (pr-comment.yml downloads the report of the pull request's run).
_RUN_ARTIFACTS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/actions/runs/(?P<run>\d+)/artifacts$")
_ARTIFACT_ZIP = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/actions/artifacts/(?P<id>\d+)/zip$")
_BLOB = re.compile(r"^/_blobs/(?P<id>\d+)\.zip$")  # the short-lived URL an archive redirects to


@dataclass
class Fault:
    """A canned answer served instead of the real one (first matching fault in the queue)."""

    status: int = 502
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None  # only for this method (None: any)
    delay: float = 0.0  # seconds to stall before answering (timeouts)
    drop: bool = False  # close the connection without an answer


def rate_limit(*, retry_after: int | None = None, reset_in: int | None = None, status: int = 403) -> Fault:
    """A primary rate-limit answer: `retry-after`, or `x-ratelimit-remaining: 0` + reset."""
    headers = {"x-ratelimit-limit": "1000", "x-ratelimit-used": "1000"}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    if reset_in is not None:
        headers["x-ratelimit-remaining"] = "0"
        headers["x-ratelimit-reset"] = str(int(time.time()) + reset_in)
    return Fault(
        status=status,
        headers=headers,
        body={"message": "API rate limit exceeded for installation.", "documentation_url": DOCS},
    )


@dataclass
class Request:
    """One request as the server received it."""

    method: str
    path: str  # without the prefix
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0

    def raw(self) -> bytes:
        """Everything the client sent, for leak checks."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items() if k.lower() != "authorization")
        return f"{self.method} {self.path}?{self.query}\n{head}\n".encode() + self.body


class GitHubServer:
    """The server: `with GitHubServer() as gh: gh.add_pr("o/r", 2); Client(gh.url, TOKEN)...`."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self.users: dict[str, dict[str, Any]] = {TOKEN: BOT}
        self.readonly: set[str] = {READONLY_TOKEN}
        self.users[READONLY_TOKEN] = BOT
        self.prs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        #: Pull request objects for `GET /repos/{r}/pulls` (fork runs of workflow_run).
        self.faults: deque[Fault] = deque()
        self.log: list[Request] = []
        self.hook: Callable[[str, str], None] | None = None  # (method, path), before handling
        #: Misbehaving pagination: "loop" links every page to page 1 as `next`; "endless"
        #: always offers one more (empty) page.
        self.pagination: str | None = None
        self.lock = threading.RLock()
        self._next_id = 1_000_000
        self.repos: set[str] = set()  # repositories with releases/deployments endpoints
        self.releases: dict[str, list[dict[str, Any]]] = {}
        self.assets: dict[int, list[dict[str, Any]]] = {}  # release id -> assets
        self.asset_data: dict[int, bytes] = {}  # asset id -> uploaded bytes
        self.deployments: dict[str, list[dict[str, Any]]] = {}
        self.statuses: dict[int, list[dict[str, Any]]] = {}  # deployment id -> statuses
        self.artifacts: dict[int, dict[str, Any]] = {}  # artifact id -> the artifact (and "zip")
        self._epoch = datetime(2026, 1, 1, tzinfo=UTC)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._init_monitoring()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> GitHubServer:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        server = self

        class Handler(_Handler):
            gh = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`."""
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        """The API URL to use as GITHUB_API_URL (with the prefix, e.g. /api/v3)."""
        return self.origin + self.prefix

    # -- state -------------------------------------------------------------------------------

    def add_pr(self, repo: str, number: int) -> None:
        """Make PR `number` of `repo` exist (with no comments)."""
        with self.lock:
            self.prs.setdefault((repo, number), [])

    def add_comment(
        self, repo: str, number: int, body: str, user: dict[str, Any] | None = BOT
    ) -> dict[str, Any]:
        """Seed a comment (user None = a deleted account)."""
        with self.lock:
            self.add_pr(repo, number)
            comment = self._new_comment(repo, number, body, user)
            self.prs[(repo, number)].append(comment)
            return comment

    def add_pull(
        self, repo: str, number: int, *, head_label: str, head_sha: str, state: str = "open"
    ) -> None:
        """A pull request whose head is `owner:branch` at `head_sha` (listed by GET .../pulls)."""
        owner, _, branch = head_label.partition(":")
        with self.lock:
            self.add_pr(repo, number)
            self.pulls[(repo, number)] = {
                "id": 500_000_000 + number,
                "number": number,
                "state": state,
                "head": {
                    "label": head_label,
                    "ref": branch,
                    "sha": head_sha,
                    "repo": {"full_name": f"{owner}/{repo.split('/')[1]}"},
                },
                "base": {"ref": "main", "repo": {"full_name": repo}},
            }

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """A copy of the PR's comments, oldest first."""
        with self.lock:
            return [dict(c) for c in self.prs[(repo, number)]]

    def requests(self, method: str | None = None) -> list[Request]:
        """Logged requests, optionally of one method."""
        with self.lock:
            return [r for r in self.log if method is None or r.method == method]

    def received(self) -> bytes:
        """Every byte of every request (except the Authorization header), concatenated."""
        with self.lock:
            return b"\n".join(r.raw() for r in self.log)

    def _new_comment(self, repo: str, number: int, body: str, user: dict[str, Any] | None) -> dict[str, Any]:
        self._next_id += 1
        cid = self._next_id
        stamp = (self._epoch + timedelta(seconds=cid - 1_000_000)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.url}/repos/{repo}/issues/comments/{cid}",
            "html_url": f"https://github.example/{repo}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.url}/repos/{repo}/issues/{number}",
            "body": body,
            "user": dict(user) if user is not None else None,
            "created_at": stamp,
            "updated_at": stamp,
            "author_association": "NONE",
        }

    def _find(self, repo: str, cid: int) -> tuple[list[dict[str, Any]], int] | None:
        for (r, _), comments in self.prs.items():
            if r != repo:
                continue
            for i, c in enumerate(comments):
                if c["id"] == cid:
                    return comments, i
        return None

    # -- request handling --------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any] | Fault:
        """Answer one request: (status, headers, JSON body) or a Fault to replay."""
        split = urlsplit(target)
        path = split.path
        record = Request(method, path, parse_qs(split.query), headers, body)
        with self.lock:
            self.log.append(record)
        blob = _BLOB.match(path)
        if blob and method == "GET":  # signed in the URL on GitHub: no Authorization header
            found = self.artifacts.get(int(blob["id"]))
            if found is None:
                return self._status(record, 404, b"BlobNotFound", {"Content-Type": "application/xml"})
            return self._status(record, 200, found["zip"], {"Content-Type": "application/zip"})
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return self._status(record, 404, {"message": "Not Found", "documentation_url": DOCS})
            path = path[len(self.prefix) :]
            record.path = path
        if self.hook is not None:
            self.hook(method, path)
        with self.lock:
            for fault in list(self.faults):
                if fault.method in (None, method):
                    self.faults.remove(fault)
                    record.status = fault.status
                    return fault
            return self._route(record, method, path, split.query, headers, body)

    def _status(
        self, record: Request, status: int, payload: Any, extra: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        record.status = status
        return status, dict(extra or {}), payload

    def _route(
        self, record: Request, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        lower = {k.lower(): v for k, v in headers.items()}
        if not lower.get("user-agent"):
            return self._status(
                record,
                403,
                {
                    "message": "Request forbidden by administrative rules. Please make sure your "
                    "request has a User-Agent header (https://docs.github.com/en/rest/overview)."
                },
            )
        auth = lower.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if not auth:
            return self._status(
                record, 401, {"message": "Requires authentication", "documentation_url": DOCS}
            )
        if scheme.lower() not in ("bearer", "token") or token not in self.users:
            return self._status(record, 401, {"message": "Bad credentials", "documentation_url": DOCS})
        user = self.users[token]

        answer = self._route_monitoring(record, method, path, query, token, body, user)
        if answer is not None:
            return answer

        m = _LIST.match(path)
        if m:
            key = (m["repo"], int(m["number"]))
            if key not in self.prs:
                return self._status(record, 404, {"message": "Not Found", "documentation_url": DOCS})
            if method == "GET":
                return self._list(record, path, parse_qs(query), self.prs[key])
            if method == "POST":
                if token in self.readonly:
                    return self._forbidden(record)
                problem = self._check_body(body)
                if problem is not None:
                    return self._status(record, 422, problem)
                comment = self._new_comment(key[0], key[1], json.loads(body)["body"], user)
                self.prs[key].append(comment)
                return self._status(record, 201, comment, {"Location": comment["url"]})
            return self._status(record, 404, {"message": "Not Found", "documentation_url": DOCS})

        delivered = self._route_delivery(record, method, path, query, lower, body, token)
        if delivered is not None:
            return delivered
        artifacts = self._route_artifacts(record, method, path, query)
        if artifacts is not None:
            return artifacts

        m = _ONE.match(path)
        if m:
            found = self._find(m["repo"], int(m["id"]))
            if found is None:
                return self._status(record, 404, {"message": "Not Found", "documentation_url": DOCS})
            comments, index = found
            if method in ("PATCH", "DELETE") and token in self.readonly:
                return self._forbidden(record)
            if method == "GET":
                return self._status(record, 200, comments[index])
            if method == "PATCH":
                problem = self._check_body(body)
                if problem is not None:
                    return self._status(record, 422, problem)
                comment = comments[index]
                comment["body"] = json.loads(body)["body"]
                comment["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                return self._status(record, 200, comment)
            if method == "DELETE":
                del comments[index]
                return self._status(record, 204, None)
        return self._status(record, 404, {"message": "Not Found", "documentation_url": DOCS})

    # -- releases, assets, deployments (toolkit model deliver) --------------------------------

    def add_repo(self, repo: str) -> None:
        """Make `repo`'s release and deployment endpoints exist."""
        with self.lock:
            self.repos.add(repo)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _route_delivery(
        self,
        record: Request,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        token: str,
    ) -> tuple[int, dict[str, str], Any] | None:
        """Answer a release/deployment request, or None when `path` is not one of them."""
        not_found = {"message": "Not Found", "documentation_url": DOCS}
        for pattern in (_RELEASE_BY_TAG, _RELEASES, _ASSETS, _DEPLOYMENTS, _STATUSES):
            m = pattern.match(path)
            if m:
                break
        else:
            return None
        repo = m["repo"]
        if repo not in self.repos:
            return self._status(record, 404, not_found)
        if method == "POST" and token in self.readonly:
            return self._forbidden(record)
        data: Any = None
        if method == "POST" and pattern is not _ASSETS:
            try:
                data = json.loads(body or b"null")
            except ValueError:
                return self._status(record, 400, {"message": "Problems parsing JSON"})
            if not isinstance(data, dict):
                return self._status(record, 400, {"message": "Problems parsing JSON"})
        releases = self.releases.setdefault(repo, [])
        if pattern is _RELEASE_BY_TAG and method == "GET":
            tag = unquote(m["tag"])
            found = next((r for r in releases if r["tag_name"] == tag), None)
            return self._status(record, 200, found) if found else self._status(record, 404, not_found)
        if pattern is _RELEASES and method == "POST":
            tag = data.get("tag_name")
            if not isinstance(tag, str) or not tag:
                return self._status(record, 422, _invalid("Release", "tag_name", "missing_field"))
            if any(r["tag_name"] == tag for r in releases):
                return self._status(record, 422, _invalid("Release", "tag_name", "already_exists"))
            rid = self._new_id()
            release = {
                "id": rid,
                "tag_name": tag,
                "target_commitish": data.get("target_commitish") or "main",
                "name": data.get("name"),
                "body": data.get("body"),
                "draft": bool(data.get("draft")),
                "prerelease": bool(data.get("prerelease")),
                "html_url": f"https://github.example/{repo}/releases/tag/{quote(tag, safe='')}",
                "upload_url": f"{self.url}/repos/{repo}/releases/{rid}/assets{{?name,label}}",
                "assets": [],
            }
            releases.append(release)
            self.assets[rid] = []
            return self._status(record, 201, release)
        if pattern is _ASSETS:
            rid = int(m["id"])
            if rid not in self.assets:
                return self._status(record, 404, not_found)
            if method == "GET":
                return self._status(record, 200, [dict(a) for a in self.assets[rid]])
            if method != "POST":
                return self._status(record, 404, not_found)
            name = (parse_qs(query).get("name") or [""])[0]
            if not name:
                return self._status(record, 422, _invalid("ReleaseAsset", "name", "missing_field"))
            if any(a["name"] == name for a in self.assets[rid]):
                return self._status(record, 422, _invalid("ReleaseAsset", "name", "already_exists"))
            kind = headers.get("content-type")
            if not kind:
                return self._status(record, 422, _invalid("ReleaseAsset", "content_type", "missing_field"))
            aid = self._new_id()
            asset = {
                "id": aid,
                "name": name,
                "content_type": kind,
                "size": len(body),
                "state": "uploaded",
                "browser_download_url": f"https://github.example/{repo}/releases/download/{aid}/{name}",
            }
            self.assets[rid].append(asset)
            self.asset_data[aid] = body
            return self._status(record, 201, asset)
        if pattern is _DEPLOYMENTS and method == "POST":
            if not isinstance(data.get("ref"), str) or not data["ref"]:
                return self._status(record, 422, _invalid("Deployment", "ref", "missing_field"))
            did = self._new_id()
            deployment = {
                "id": did,
                "ref": data["ref"],
                "sha": data["ref"],
                "task": data.get("task", "deploy"),
                "environment": data.get("environment", "production"),
                "description": data.get("description"),
                "url": f"{self.url}/repos/{repo}/deployments/{did}",
            }
            self.deployments.setdefault(repo, []).append(deployment)
            self.statuses[did] = []
            return self._status(record, 201, deployment)
        if pattern is _STATUSES:
            did = int(m["id"])
            if did not in self.statuses:
                return self._status(record, 404, not_found)
            if method == "GET":
                return self._status(record, 200, [dict(x) for x in self.statuses[did]])
            if method != "POST":
                return self._status(record, 404, not_found)
            states = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
            if data.get("state") not in states:
                return self._status(record, 422, _invalid("DeploymentStatus", "state", "invalid"))
            status = {"id": self._new_id(), **{k: v for k, v in data.items() if isinstance(k, str)}}
            self.statuses[did].append(status)
            return self._status(record, 201, status)
        return self._status(record, 404, not_found)

    # -- workflow run artifacts ----------------------------------------------------------------

    def add_artifact(self, repo: str, run_id: int, name: str, files: dict[str, bytes]) -> dict[str, Any]:
        """An artifact of run `run_id` holding `files` ({path inside: bytes}), as a zip."""
        import io
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for rel, data in sorted(files.items()):
                archive.writestr(rel, data)
        with self.lock:
            aid = self._new_id()
            artifact = {
                "id": aid,
                "node_id": f"MDg6QXJ0aWZhY3Q{aid}",
                "name": name,
                "size_in_bytes": len(buffer.getvalue()),
                "url": f"{self.url}/repos/{repo}/actions/artifacts/{aid}",
                "archive_download_url": f"{self.url}/repos/{repo}/actions/artifacts/{aid}/zip",
                "expired": False,
                "workflow_run": {"id": run_id},
                "repo": repo,
                "zip": buffer.getvalue(),
            }
            self.artifacts[aid] = artifact
            return artifact

    def _route_artifacts(
        self, record: Request, method: str, path: str, query: str
    ) -> tuple[int, dict[str, str], Any] | None:
        """List a run's artifacts (`?name=` filters) or redirect to one's zip; None: not these paths."""
        listing, archive = _RUN_ARTIFACTS.match(path), _ARTIFACT_ZIP.match(path)
        if (listing is None and archive is None) or method != "GET":
            return None
        not_found = {"message": "Not Found", "documentation_url": DOCS}
        if listing is not None:
            wanted = parse_qs(query).get("name", [None])[0]
            found = [
                {k: v for k, v in a.items() if k not in ("repo", "zip")}
                for a in sorted(self.artifacts.values(), key=lambda a: a["id"])
                if a["repo"] == listing["repo"] and a["workflow_run"]["id"] == int(listing["run"])
                and wanted in (None, a["name"])
            ]
            return self._status(record, 200, {"total_count": len(found), "artifacts": found})
        assert archive is not None
        artifact = self.artifacts.get(int(archive["id"]))
        if artifact is None or artifact["repo"] != archive["repo"]:
            return self._status(record, 404, not_found)
        return self._status(record, 302, None, {"Location": f"{self.origin}/_blobs/{artifact['id']}.zip"})

    def _forbidden(self, record: Request) -> tuple[int, dict[str, str], Any]:
        return self._status(
            record,
            403,
            {
                "message": "Resource not accessible by integration",
                "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
                "status": "403",
            },
        )

    @staticmethod
    def _check_body(body: bytes) -> dict[str, Any] | None:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return {"message": "Problems parsing JSON", "documentation_url": DOCS}
        if not isinstance(data, dict) or not isinstance(data.get("body"), str):
            return {"message": 'Invalid request.\n\n"body" wasn\'t supplied.', "documentation_url": DOCS}
        if len(data["body"]) > BODY_LIMIT:
            return {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "IssueComment",
                        "code": "custom",
                        "field": "body",
                        "message": "body is too long (maximum is 65536 characters)",
                    }
                ],
                "documentation_url": DOCS,
            }
        return None

    def _list(
        self, record: Request, path: str, query: dict[str, list[str]], comments: list[dict[str, Any]]
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(100, max(1, int(query.get("per_page", ["30"])[0])))
        page = max(1, int(query.get("page", ["1"])[0]))
        last = max(1, -(-len(comments) // per_page))
        items = comments[(page - 1) * per_page : page * per_page]
        links = []

        def link(n: int, rel: str) -> str:
            qs = urlencode({"per_page": per_page, "page": n})
            return f'<{self.url}{path}?{qs}>; rel="{rel}"'

        if self.pagination == "loop":
            links.append(link(1, "next"))
        elif self.pagination == "endless":
            links.append(link(page + 1, "next"))
        elif page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        extra = {"Link": ", ".join(links)} if links else {}
        return self._status(record, 200, [dict(c) for c in items], extra)

    # -- issues, labels, pull requests, workflow dispatch (toolkit monitor, issue 12) ----------

    def _init_monitoring(self) -> None:
        self.issues: dict[tuple[str, int], dict[str, Any]] = {}
        self.labels: dict[str, dict[str, dict[str, Any]]] = {}
        self.pulls: dict[tuple[str, int], dict[str, Any]] = {}
        self.dispatches: list[tuple[str, str, dict[str, Any]]] = []  # (repo, workflow file, payload)

    def add_issue(
        self, repo: str, title: str, body: str, labels: list[str], user: dict[str, Any] | None = BOT
    ) -> dict[str, Any]:
        """Seed an open issue (its number shares the PR number space, as on GitHub)."""
        with self.lock:
            return self._new_issue(repo, title, body, labels, user)

    def _next_number(self, repo: str) -> int:
        used = [n for r, n in (*self.prs, *self.issues, *self.pulls) if r == repo]
        return max(used, default=0) + 1

    def _new_issue(
        self, repo: str, title: str, body: str, labels: list[str], user: dict[str, Any] | None
    ) -> dict[str, Any]:
        number = self._next_number(repo)
        self._next_id += 1
        for name in labels:
            self.labels.setdefault(repo, {}).setdefault(name, {"name": name, "color": "ededed"})
        issue = {
            "id": self._next_id,
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "state_reason": None,
            "labels": [{"name": n} for n in labels],
            "user": dict(user) if user is not None else None,
            "html_url": f"https://github.example/{repo}/issues/{number}",
        }
        self.issues[(repo, number)] = issue
        self.prs.setdefault((repo, number), [])  # its comments
        return issue

    def _route_monitoring(
        self,
        record: Request,
        method: str,
        path: str,
        query: str,
        token: str,
        body: bytes,
        user: dict[str, Any],
    ) -> tuple[int, dict[str, str], Any] | None:
        not_found = {"message": "Not Found", "documentation_url": DOCS}
        writes = method in ("POST", "PATCH", "PUT", "DELETE")
        m = re.match(
            r"^/repos/(?P<repo>[^/]+/[^/]+)/(?P<rest>issues|issues/\d+|labels|pulls|"
            r"actions/workflows/[^/]+/dispatches)$",
            path,
        )
        if m is None:
            return None
        repo, rest = m["repo"], m["rest"]
        if writes and token in self.readonly:
            return self._forbidden(record)
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return self._status(record, 400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        if rest == "issues" and method == "GET":
            q = parse_qs(query)
            wanted = set((q.get("labels", [""])[0]).split(",")) - {""}
            state = q.get("state", ["open"])[0]
            items = [
                dict(i)
                for (r, _), i in sorted(self.issues.items(), key=lambda kv: kv[0][1])
                if r == repo
                and (state == "all" or i["state"] == state)
                and wanted <= {lab["name"] for lab in i["labels"]}
            ]
            items += [  # GitHub lists pull requests among issues; clients must skip them
                {**p, "pull_request": {"url": p["url"]}}
                for (r, _), p in self.pulls.items()
                if r == repo and state in ("all", p["state"])
            ]
            return self._list(record, path, q, items)
        if rest == "issues" and method == "POST":
            if not isinstance(data, dict) or not isinstance(data.get("title"), str):
                return self._status(record, 422, {"message": "Validation Failed", "documentation_url": DOCS})
            if len(str(data.get("body") or "")) > BODY_LIMIT:
                return self._status(
                    record,
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "resource": "Issue",
                                "field": "body",
                                "code": "custom",
                                "message": "body is too long (maximum is 65536 characters)",
                            }
                        ],
                    },
                )
            issue = self._new_issue(
                repo, data["title"], str(data.get("body") or ""), list(data.get("labels") or []), user
            )
            return self._status(record, 201, issue)
        if rest.startswith("issues/"):
            issue = self.issues.get((repo, int(rest.split("/")[1])))
            if issue is None:
                return self._status(record, 404, not_found)
            if method == "GET":
                return self._status(record, 200, issue)
            if method == "PATCH" and isinstance(data, dict):
                if len(str(data.get("body") or "")) > BODY_LIMIT:
                    return self._status(record, 422, {"message": "Validation Failed"})
                for key in ("title", "body", "state", "state_reason"):
                    if key in data:
                        issue[key] = data[key]
                return self._status(record, 200, issue)
            return self._status(record, 404, not_found)
        if rest == "labels" and method == "POST":
            name = data.get("name") if isinstance(data, dict) else None
            if not isinstance(name, str) or not name:
                return self._status(record, 422, {"message": "Validation Failed"})
            if name in self.labels.get(repo, {}):
                return self._status(
                    record,
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}],
                    },
                )
            label = {"id": self._next_id, "name": name, "color": data.get("color", "ededed")}
            self.labels.setdefault(repo, {})[name] = label
            return self._status(record, 201, label)
        if rest == "pulls" and method == "GET":
            q = parse_qs(query)
            head = q.get("head", [""])[0]  # `owner:branch`, as GitHub documents it
            state = q.get("state", ["open"])[0]
            found = [
                dict(p)
                for (r, _), p in sorted(self.pulls.items())
                if r == repo and (not head or p["head"]["label"] == head) and state in ("all", p["state"])
            ]
            return self._list(record, path, q, found)
        if rest == "pulls" and method == "POST":
            if not isinstance(data, dict) or not all(
                isinstance(data.get(k), str) for k in ("title", "head", "base")
            ):
                return self._status(record, 422, {"message": "Validation Failed"})
            for p in self.pulls.values():
                if p["head"]["ref"] == data["head"] and p["state"] == "open":
                    return self._status(
                        record,
                        422,
                        {
                            "message": "Validation Failed",
                            "errors": [
                                {
                                    "resource": "PullRequest",
                                    "code": "custom",
                                    "message": f"A pull request already exists for {data['head']}.",
                                }
                            ],
                        },
                    )
            number = self._next_number(repo)
            self._next_id += 1
            pull = {
                "id": self._next_id,
                "number": number,
                "title": data["title"],
                "body": data.get("body") or "",
                "state": "open",
                "head": {"ref": data["head"], "label": f"{repo.split('/')[0]}:{data['head']}"},
                "base": {"ref": data["base"]},
                "user": dict(user),
                "url": f"{self.url}/repos/{repo}/pulls/{number}",
                "html_url": f"https://github.example/{repo}/pull/{number}",
            }
            self.pulls[(repo, number)] = pull
            self.prs.setdefault((repo, number), [])
            return self._status(record, 201, pull)
        if rest.endswith("/dispatches") and method == "POST":
            if not isinstance(data, dict) or not isinstance(data.get("ref"), str):
                return self._status(record, 422, {"message": "Invalid request: ref wasn't supplied."})
            self.dispatches.append((repo, rest.split("/")[2], data))
            return self._status(record, 204, None)
        return self._status(record, 404, not_found)


def _invalid(resource: str, field_name: str, code: str) -> dict[str, Any]:
    return {
        "message": "Validation Failed",
        "errors": [{"resource": resource, "code": code, "field": field_name}],
        "documentation_url": DOCS,
    }


class _Handler(BaseHTTPRequestHandler):
    gh: GitHubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = self.gh.handle(self.command, self.path, dict(self.headers.items()), body)
        if isinstance(answer, Fault):
            if answer.delay:
                time.sleep(answer.delay)
            if answer.drop:
                self.close_connection = True
                return
            status, headers, payload = answer.status, answer.headers, answer.body
        else:
            status, headers, payload = answer
        if isinstance(payload, bytes):  # a raw answer (a fault that is not JSON)
            data = payload
        else:
            data = b"" if status == 204 or payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if "content-type" not in {k.lower() for k in headers}:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-github-api-version-selected", "2022-11-28")
        self.send_header("x-ratelimit-limit", "1000")
        for name, value in headers.items():
            self.send_header(name, value)
        if "x-ratelimit-remaining" not in {k.lower() for k in headers}:
            self.send_header("x-ratelimit-remaining", "999")
            self.send_header("x-ratelimit-reset", str(int(time.time()) + 3600))
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve


def iter_leaks(token: str, *blobs: bytes | str) -> Iterator[int]:
    """Indexes of the blobs that contain `token` (empty when nothing leaked)."""
    for i, blob in enumerate(blobs):
        data = blob.encode() if isinstance(blob, str) else blob
        if token.encode() in data:
            yield i
