"""The one GitHub REST client: one session, the contract's headers, pagination, retries, typed errors.

`requests` is imported only here, and this module only by the commands that talk to GitHub
(`toolkit comment`, `toolkit ci` inside Actions). The token never appears in anything we surface:
every message goes through `Client.scrub`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from toolkit import __version__
from toolkit.errors import GitHubError

API_VERSION = "2022-11-28"
PER_PAGE = 100
#: GitHub refuses comment bodies longer than this many characters (422).
BODY_LIMIT = 65536

#: Tokens are printable ASCII without spaces; anything else would be refused as a header.
_TOKEN = re.compile(r"[\x21-\x7e]+")
_HOST = re.compile(r"[A-Za-z0-9.\-_\[\]:]+")
#: Pages read from one list at most (10,000 comments); a repeated `next` link also stops.
MAX_PAGES = 100

PERMISSIONS_HINT = "permissions:\n  contents: read\n  pull-requests: write"


class AuthError(GitHubError):
    """401: the token is missing, wrong or expired."""


class ForbiddenError(GitHubError):
    """403 "Resource not accessible by integration": the token may not write here (fork PRs)."""


class RateLimitError(GitHubError):
    """403/429 rate limit that did not clear within the retries or the longest wait allowed."""


class NotFoundError(GitHubError):
    """404: the repository or pull request does not exist, or the token cannot see it."""


class ValidationError(GitHubError):
    """422: GitHub rejected the request's content; `codes` are its `errors[].code` (`already_exists`)."""

    def __init__(self, message: str, codes: frozenset[str] = frozenset()) -> None:
        super().__init__(message)
        self.codes = codes


class ServerError(GitHubError):
    """5xx or a connection failure that persisted through every retry."""


class Client:
    """A GitHub REST API client: `Client(api_url, token)`, then list/create/update/delete comments."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: float | tuple[float, float] = (10.0, 30.0),
        max_retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        max_wait: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _TOKEN.fullmatch(token or ""):
            raise AuthError(
                "GITHUB_TOKEN is empty or contains whitespace or control characters (a trailing "
                "newline from a file?); set it to the token alone, e.g. "
                "`env: GITHUB_TOKEN: ${{ github.token }}`."
            )
        try:
            parts = urlsplit(api_url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.netloc or not _HOST.fullmatch(parts.netloc):
            raise GitHubError(
                f"GITHUB_API_URL {api_url[:200]!r} is not an http(s) URL; leave it unset for github.com "
                "or set it to https://HOST/api/v3 for GitHub Enterprise Server."
            )
        self.api_url = api_url.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        # Where release assets are uploaded: the API's own host (GitHub Enterprise Server,
        # /api/uploads) or, for api.github.com, uploads.github.com. The token goes nowhere else.
        self._origins = {self._origin}
        if parts.netloc.startswith("api."):
            self._origins.add((parts.scheme, "uploads." + parts.netloc.removeprefix("api.")))
        self._token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        #: HTTP requests sent (retries included), for logs and tests.
        self.requests_sent = 0
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"mlops-toolkit/{__version__}",
            }
        )

    def __repr__(self) -> str:
        return f"Client({self.api_url!r}, token=***)"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def scrub(self, text: str) -> str:
        """`text` with the token replaced by `***`."""
        return text.replace(self._token, "***") if self._token else text

    # -- comments ---------------------------------------------------------------------------

    def list_comments(self, repo: str, number: int, *, page: int = 1) -> list[dict[str, Any]]:
        """Every conversation comment of PR `number`, oldest first, from `page` (of 100) on."""
        params = {"page": page} if page > 1 else None
        path = f"/repos/{repo}/issues/{int(number)}/comments"
        return [self._item(item, path) for item in self.paginate(path, params)]

    def _item(self, item: Any, path: str) -> dict[str, Any]:
        """A list item that is an object with an integer id, else a GitHubError."""
        ident = item.get("id") if isinstance(item, dict) else None
        if not isinstance(ident, int) or isinstance(ident, bool):
            raise GitHubError(
                f"GET {self._path(path)} listed {type(item).__name__} {str(item)[:40]!r}, not an "
                "object with an id; check that GITHUB_API_URL points at the GitHub REST API."
            )
        return item

    def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        """Post a new comment on PR `number`; return it."""
        return self._object(
            self.request("POST", f"/repos/{repo}/issues/{int(number)}/comments", json={"body": body})
        )

    def update_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        """Replace the body of comment `comment_id`; return it."""
        return self._object(
            self.request("PATCH", f"/repos/{repo}/issues/comments/{int(comment_id)}", json={"body": body})
        )

    def delete_comment(self, repo: str, comment_id: int) -> bool:
        """Delete comment `comment_id`; False when it was already gone (404)."""
        try:
            self.request("DELETE", f"/repos/{repo}/issues/comments/{int(comment_id)}")
        except NotFoundError:
            return False
        return True

    def get_comment(self, repo: str, comment_id: int) -> dict[str, Any]:
        """One comment, as it is now."""
        return self._object(self.request("GET", f"/repos/{repo}/issues/comments/{int(comment_id)}"))

    def pull_for_head(self, repo: str, head_label: str, head_sha: str) -> int | None:
        """The open PR whose head is `owner:branch` at commit `head_sha` (fork runs), or None."""
        numbers = {
            int(pr["number"])
            for pr in self.list_pulls(repo, head=head_label)
            if isinstance(pr.get("number"), int)
            and isinstance(pr.get("head"), dict)
            and pr["head"].get("sha") == head_sha
        }
        return numbers.pop() if len(numbers) == 1 else None

    # -- releases and deployments (toolkit model deliver) -----------------------------------

    def get_release_by_tag(self, repo: str, tag: str) -> dict[str, Any] | None:
        """The release of tag `tag`, or None when there is none (404)."""
        try:
            response = self.request("GET", f"/repos/{repo}/releases/tags/{quote(tag, safe='')}")
        except NotFoundError:
            return None
        return self._object(response, "a release")

    def create_release(
        self, repo: str, tag: str, *, name: str, body: str, target: str | None = None
    ) -> dict[str, Any]:
        """Publish a release of `tag` (created on `target` when the tag is not on GitHub yet)."""
        payload: dict[str, Any] = {"tag_name": tag, "name": name, "body": body, "draft": False}
        if target:
            payload["target_commitish"] = target
        return self._object(self.request("POST", f"/repos/{repo}/releases", json=payload), "a release")

    def list_release_assets(self, repo: str, release_id: int) -> list[dict[str, Any]]:
        """The assets of release `release_id`."""
        return list(self.paginate(f"/repos/{repo}/releases/{int(release_id)}/assets"))

    def upload_release_asset(
        self, upload_url: str, name: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        """Upload `data` as asset `name` to a release's `upload_url` (its `{?name,label}` template)."""
        url = upload_url.split("{", 1)[0]
        response = self.request(
            "POST", url, params={"name": name}, data=data, headers={"Content-Type": content_type}
        )
        return self._object(response, "an asset")

    def create_deployment(self, repo: str, ref: str, environment: str, *, description: str) -> dict[str, Any]:
        """Create a deployment of commit `ref` to `environment` (no merge, no required checks)."""
        payload = {
            "ref": ref,
            "environment": environment,
            "description": description[:140],
            "auto_merge": False,
            "required_contexts": [],
            "task": "deploy",
        }
        return self._object(self.request("POST", f"/repos/{repo}/deployments", json=payload), "a deployment")

    def create_deployment_status(
        self,
        repo: str,
        deployment_id: int,
        state: str,
        *,
        description: str = "",
        environment_url: str | None = None,
        log_url: str | None = None,
    ) -> dict[str, Any]:
        """Set the state (in_progress, success, failure, error) of deployment `deployment_id`."""
        payload: dict[str, Any] = {"state": state, "description": description[:140]}
        if environment_url:
            payload["environment_url"] = environment_url
        if log_url:
            payload["log_url"] = log_url
        path = f"/repos/{repo}/deployments/{int(deployment_id)}/statuses"
        return self._object(self.request("POST", path, json=payload), "a deployment status")

    # -- issues, labels, pull requests, workflow dispatch (toolkit monitor, issue 12) ----------

    def list_issues(self, repo: str, *, label: str, state: str = "open") -> list[dict[str, Any]]:
        """Issues (not pull requests) carrying `label`, in `state`, oldest first."""
        params: dict[str, str | int] = {"labels": label, "state": state}
        params.update(sort="created", direction="asc")
        items = self.paginate(f"/repos/{repo}/issues", params)
        return [i for i in items if isinstance(i, dict) and "pull_request" not in i and "number" in i]

    def create_issue(self, repo: str, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        """Open an issue; return it."""
        payload = {"title": title, "body": body, "labels": labels}
        return self._object(self.request("POST", f"/repos/{repo}/issues", json=payload), "an issue")

    def update_issue(self, repo: str, number: int, **fields: Any) -> dict[str, Any]:
        """Change an issue's body, title or state (`state="closed", state_reason="completed"`)."""
        path = f"/repos/{repo}/issues/{int(number)}"
        return self._object(self.request("PATCH", path, json=fields), "an issue")

    def ensure_label(self, repo: str, name: str, color: str, description: str = "") -> None:
        """Create label `name` unless it exists (422 `already_exists` is fine)."""
        try:
            payload = {"name": name, "color": color, "description": description}
            self.request("POST", f"/repos/{repo}/labels", json=payload)
        except ValidationError as exc:
            if "already_exists" not in exc.codes:
                raise

    def create_pull(self, repo: str, *, title: str, head: str, base: str, body: str) -> dict[str, Any]:
        """Open a pull request from branch `head` into `base`; return it."""
        payload = {"title": title, "head": head, "base": base, "body": body}
        return self._object(self.request("POST", f"/repos/{repo}/pulls", json=payload), "a pull request")

    def list_pulls(self, repo: str, *, head: str, state: str = "open") -> list[dict[str, Any]]:
        """Pull requests from `head` (`owner:branch`) in `state`."""
        path = f"/repos/{repo}/pulls"
        return [self._item(p, path) for p in self.paginate(path, {"head": head, "state": state})]

    def dispatch_workflow(
        self, repo: str, workflow: str, ref: str, inputs: Mapping[str, str] | None = None
    ) -> None:
        """Start workflow file `workflow` on `ref` (workflow_dispatch); GitHub answers 204."""
        payload: dict[str, Any] = {"ref": ref}
        if inputs:
            payload["inputs"] = dict(inputs)
        self.request("POST", f"/repos/{repo}/actions/workflows/{workflow}/dispatches", json=payload)

    # -- transport --------------------------------------------------------------------------

    def paginate(self, path: str, params: Mapping[str, str | int] | None = None) -> Iterator[Any]:
        """Yield the items of every page of a list endpoint, following `Link: rel="next"`."""
        url: str | None = path
        query: dict[str, str | int] | None = {"per_page": PER_PAGE, **(params or {})}
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                break  # a `Link: next` loop, or more pages than any real list has
            seen.add(url)
            response = self.request("GET", url, params=query)
            page = self._json(response)
            if not isinstance(page, list):
                raise GitHubError(
                    f"GET {self._path(url)} returned {type(page).__name__}, not a list; "
                    "check that GITHUB_API_URL points at the GitHub REST API."
                )
            yield from page
            url = response.links.get("next", {}).get("url")
            query = None  # the next URL carries the query already

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one API request with retries; return the response or raise a GitHubError."""
        url = self._url(path_or_url)
        what = f"{method} {self._path(url)}"
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests_sent += 1
                response = self.session.request(
                    method, url, params=params, json=json, data=data, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:
                if attempt > self.max_retries:
                    raise ServerError(
                        self.scrub(
                            f"{what} failed after {attempt} attempts: cannot reach "
                            f"{self.api_url} ({type(exc).__name__}); check GITHUB_API_URL and "
                            "the runner's network, then rerun the job."
                        )
                    ) from None
                self._sleep(self._backoff(attempt))
                continue

            status = response.status_code
            if status < 300:
                return response
            if status in (403, 429) and _is_rate_limit(response):
                if attempt > self.max_retries:
                    raise RateLimitError(self._rate_limit_message(what, response)) from None
                wait = self._rate_limit_wait(response, attempt)
                if wait is None:
                    raise RateLimitError(self._rate_limit_message(what, response)) from None
                self._sleep(wait)
                continue
            if status >= 500:
                if attempt > self.max_retries:
                    raise ServerError(
                        self.scrub(
                            f"{what} failed: GitHub answered {status} {response.reason} "
                            f"{attempt} times; GitHub may be degraded, rerun the job later."
                        )
                    )
                self._sleep(self._backoff(attempt))
                continue
            raise self._error(what, response)

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise GitHubError(
                f"{response.request.method} {self._path(response.url)} did not answer JSON "
                f"({response.headers.get('Content-Type', 'no content type')}); check that "
                "GITHUB_API_URL points at the GitHub REST API (https://HOST/api/v3 on Enterprise)."
            ) from None

    def _object(self, response: requests.Response, what: str = "a comment") -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict) or "id" not in data:
            raise GitHubError(
                f"{response.request.method} {self._path(response.url)} answered without {what}; "
                "check that GITHUB_API_URL points at the GitHub REST API."
            )
        return data

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            parts = urlsplit(path_or_url)
            # Never send the token to a host other than the API's (e.g. a forged Link header).
            if (parts.scheme, parts.netloc) not in self._origins:
                raise GitHubError(
                    f"GitHub returned a link to another host ({parts.netloc}); refusing to send "
                    "the token there. Check GITHUB_API_URL."
                )
            return path_or_url
        return self.api_url + "/" + path_or_url.lstrip("/")

    def _path(self, url: str) -> str:
        return self.scrub(urlsplit(url).path)

    def _backoff(self, attempt: int) -> float:
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))

    def _rate_limit_wait(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when that is longer than max_wait."""
        headers = response.headers
        retry_after = _number(headers.get("retry-after"))
        if retry_after is not None:
            wait = max(0.0, retry_after)
        elif headers.get("x-ratelimit-remaining") == "0" and _number(headers.get("x-ratelimit-reset")):
            reset = _number(headers.get("x-ratelimit-reset")) or 0.0
            wait = max(0.0, reset - self._clock()) + 1.0
        else:
            # A secondary limit without headers: GitHub asks for at least a minute, then more.
            wait = min(self.max_wait, 60.0 * 2 ** (attempt - 1))
        return wait if wait <= self.max_wait else None

    def _rate_limit_message(self, what: str, response: requests.Response) -> str:
        reset = _number(response.headers.get("x-ratelimit-reset"))
        when = time.strftime(" until %H:%M:%S UTC", time.gmtime(reset)) if reset is not None else ""
        return self.scrub(
            f"{what} was rate-limited by GitHub{when} ({_message(response) or response.status_code}); "
            "rerun the job later, and keep API-heavy steps out of loops (GITHUB_TOKEN allows "
            "1,000 requests per hour per repository)."
        )

    def _error(self, what: str, response: requests.Response) -> GitHubError:
        status = response.status_code
        detail = _message(response)
        if status == 401:
            return AuthError(
                self.scrub(
                    f"{what}: GitHub rejected the token (401 {detail or 'Bad credentials'}); "
                    "set GITHUB_TOKEN for the step (`env: GITHUB_TOKEN: ${{ github.token }}`), "
                    "and check that it has not expired or been revoked."
                )
            )
        if status == 403:
            return ForbiddenError(
                self.scrub(
                    f"{what}: the token may not write here (403 {detail or 'Forbidden'}). "
                    "Give the job this `permissions:` block:\n"
                    f"{PERMISSIONS_HINT}\n"
                    "A pull request from a fork always gets a read-only token, whatever the "
                    "workflow asks for; there the report stays in the job summary (or post it "
                    "from a separate workflow_run workflow)."
                )
            )
        if status == 404:
            return NotFoundError(
                self.scrub(
                    f"{what}: not found (404); check the repository (GITHUB_REPOSITORY) and the "
                    "PR number, and that the token can see this repository (private repos need "
                    "`contents: read`)."
                )
            )
        if status == 422:
            return ValidationError(
                self.scrub(
                    f"{what}: GitHub rejected the request (422 {detail or 'Validation Failed'}); "
                    "fix the content it names."
                ),
                _error_codes(response),
            )
        return GitHubError(self.scrub(f"{what}: GitHub answered {status} {detail or response.reason}."))


# Where GitHub's `documentation_url` points for a rate limit: the rate-limits page (any docs
# version), or the old overview's sections. A secondary limit may come without any header.
_RATE_LIMIT_PAGE = "rate-limits-for-the-rest-api"
_RATE_LIMIT_SECTIONS = frozenset(
    ("rate-limiting", "secondary-rate-limits", "about-secondary-rate-limits", "abuse-rate-limits",
     "about-primary-rate-limits", "exceeding-the-rate-limit")
)


def _is_rate_limit(response: requests.Response) -> bool:
    """429; or 403 with a rate-limit header, or a `documentation_url` about rate limits."""
    if response.status_code == 429:
        return True
    headers = response.headers
    if "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0":
        return True
    docs = _field(response, "documentation_url")
    if not isinstance(docs, str):
        return False
    parts = urlsplit(docs)
    return parts.path.rstrip("/").endswith("/" + _RATE_LIMIT_PAGE) or parts.fragment in _RATE_LIMIT_SECTIONS


def _field(response: requests.Response, name: str) -> Any:
    """One top-level field of a JSON error body (None when there is no such body)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get(name) if isinstance(data, dict) else None


def _error_codes(response: requests.Response) -> frozenset[str]:
    """The `errors[].code` values of a 422 body (`already_exists`, `missing_field`, ...)."""
    errors = _field(response, "errors")
    return frozenset(
        str(e["code"]) for e in errors if isinstance(e, dict) and "code" in e
    ) if isinstance(errors, list) else frozenset()


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    # inf, nan and years past 9999 are no wait anyone can honour (and break time.gmtime).
    return number if math.isfinite(number) and abs(number) < 253402300800 else None


def _message(response: requests.Response) -> str:
    """GitHub's own error text: `message` plus the `errors[].message` details."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    parts = [str(data.get("message") or "")]
    for err in data.get("errors") or ():
        if isinstance(err, dict):
            text = err.get("message") or " ".join(
                str(err[k]) for k in ("resource", "field", "code") if k in err
            )
            if text:
                parts.append(str(text))
        elif isinstance(err, str):
            parts.append(err)
    return ": ".join(p for p in parts if p)[:500]
