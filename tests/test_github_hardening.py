"""The client against a misbehaving server or a malformed setting: a clear GitHubError, never a bug."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.gh_helpers import PR, REPO
from tests.github_server import TOKEN, Fault, GitHubServer
from toolkit.errors import GitHubError
from toolkit.github import AuthError, Client, RateLimitError


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_pr(REPO, PR)
        yield gh


def client(gh: GitHubServer, token: str = TOKEN) -> Client:
    return Client(gh.url, token, sleep=lambda s: None)


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    """call()'s result; fails (instead of hanging the suite) when it does not return in time."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert out, f"still paginating after {seconds} s"
    return out[0]


def test_a_link_next_loop_stops(github: GitHubServer) -> None:
    for i in range(3):
        github.add_comment(REPO, PR, f"c{i}")
    github.pagination = "loop"
    comments = _within(30, lambda: client(github).list_comments(REPO, PR))
    assert [c["body"] for c in comments][:3] == ["c0", "c1", "c2"]
    assert len(github.requests("GET")) == 2  # page 1, then its `next` (page 1 again): stop


def test_pagination_stops_at_the_page_cap(github: GitHubServer) -> None:
    github.pagination = "endless"
    assert _within(60, lambda: client(github).list_comments(REPO, PR)) == []
    assert len(github.requests("GET")) == 100  # 100 pages of 100: 10,000 comments at most


def test_non_object_items_in_a_list_are_a_clear_error(github: GitHubServer) -> None:
    github.faults.append(Fault(status=200, body=[{"id": 1, "body": "x"}, "surprise", 3]))
    with pytest.raises(GitHubError, match="listed str 'surprise', not an object with an id"):
        client(github).list_comments(REPO, PR)


@pytest.mark.parametrize("token", [TOKEN + "\n", TOKEN + " ", "", "ghs_\x00x"])
def test_a_token_with_whitespace_is_refused_before_any_request(github: GitHubServer, token: str) -> None:
    with pytest.raises(AuthError, match="trailing newline"):
        client(github, token)
    assert github.requests() == []


@pytest.mark.parametrize(
    "url", ["https://[::1", "http://127.0.0.1:99999999", "https://exa mple.com", "ftp://x", "https://"]
)
def test_a_bad_api_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(GitHubError, match="GITHUB_API_URL"):
        Client(url, TOKEN)


@pytest.mark.parametrize("reset", ["1e400", "99999999999999999999", "nan", "-inf"])
def test_an_overflowing_rate_limit_reset_is_a_clear_error(github: GitHubServer, reset: str) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    for _ in range(6):
        github.faults.append(Fault(status=403, headers=headers, body={"message": "API rate limit exceeded"}))
    with pytest.raises(RateLimitError, match="rate-limited"):
        client(github).list_comments(REPO, PR)
