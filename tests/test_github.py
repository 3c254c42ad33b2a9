"""toolkit.github.Client over HTTP against the GitHub-compatible test server (no mocks)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.gh_helpers import PR, REPO
from tests.github_server import (
    BOT,
    READONLY_TOKEN,
    TOKEN,
    USER,
    Fault,
    GitHubServer,
    rate_limit,
)
from toolkit import __version__
from toolkit.errors import GitHubError
from toolkit.github import (
    PERMISSIONS_HINT,
    AuthError,
    Client,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_pr(REPO, PR)
        yield gh


class Sleeps(list[float]):
    """An injectable sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(gh: GitHubServer, token: str = TOKEN, **kwargs: object) -> Client:
    kwargs.setdefault("sleep", Sleeps())
    return Client(gh.url, token, **kwargs)  # type: ignore[arg-type]


def test_headers_on_every_request(github: GitHubServer) -> None:
    c = client(github)
    c.create_comment(REPO, PR, "hello")
    c.list_comments(REPO, PR)
    for request in github.requests():
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert headers["accept"] == "application/vnd.github+json"
        assert headers["x-github-api-version"] == "2022-11-28"
        assert headers["user-agent"] == f"mlops-toolkit/{__version__}"
    assert "SECRET" not in repr(c)


def test_crud(github: GitHubServer) -> None:
    c = client(github)
    created = c.create_comment(REPO, PR, "first")
    assert created["user"] == BOT and created["body"] == "first"
    updated = c.update_comment(REPO, created["id"], "second")
    assert updated["body"] == "second"
    assert [x["body"] for x in c.list_comments(REPO, PR)] == ["second"]
    assert c.delete_comment(REPO, created["id"]) is True
    assert c.delete_comment(REPO, created["id"]) is False  # already gone: not an error
    assert c.list_comments(REPO, PR) == []


def test_pagination_reads_every_page(github: GitHubServer) -> None:
    for i in range(250):
        github.add_comment(REPO, PR, f"comment {i}", user=USER)
    c = client(github)
    comments = c.list_comments(REPO, PR)
    assert [x["body"] for x in comments] == [f"comment {i}" for i in range(250)]
    gets = github.requests("GET")
    assert len(gets) == 3 == c.requests_sent
    assert all(r.query["per_page"] == ["100"] for r in gets)
    assert [r.query.get("page", ["1"])[0] for r in gets] == ["1", "2", "3"]


def test_server_default_page_size_is_30(github: GitHubServer) -> None:
    # The test server follows GitHub: without per_page a page has 30 items and a next link.
    import requests

    for i in range(31):
        github.add_comment(REPO, PR, f"c{i}")
    r = requests.get(
        f"{github.url}/repos/{REPO}/issues/{PR}/comments",
        headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "t"},
        timeout=5,
    )
    assert len(r.json()) == 30 and "next" in r.links and "last" in r.links


def test_enterprise_path_prefix() -> None:
    with GitHubServer(prefix="/api/v3") as gh:
        gh.add_pr(REPO, PR)
        assert gh.url.endswith("/api/v3")
        c = Client(gh.url, TOKEN)
        for i in range(120):
            gh.add_comment(REPO, PR, f"c{i}")
        assert len(c.list_comments(REPO, PR)) == 120  # the next link keeps the prefix
        assert all(r.path.startswith("/repos/") for r in gh.requests())
        # Without the prefix the server does not answer: the prefix is really used.
        with pytest.raises(NotFoundError):
            Client(gh.origin, TOKEN).list_comments(REPO, PR)


def test_retries_5xx_with_exponential_backoff(github: GitHubServer) -> None:
    github.faults.extend([Fault(502), Fault(503), Fault(500)])
    sleeps = Sleeps()
    c = client(github, sleep=sleeps)
    assert c.create_comment(REPO, PR, "after faults")["body"] == "after faults"
    assert sleeps == [1.0, 2.0, 4.0]
    assert c.requests_sent == 4
    assert len(github.comments(REPO, PR)) == 1


def test_5xx_retries_are_bounded(github: GitHubServer) -> None:
    github.faults.extend([Fault(502)] * 10)
    sleeps = Sleeps()
    c = client(github, sleep=sleeps, max_retries=3)
    with pytest.raises(ServerError, match=r"502.*4 times.*rerun"):
        c.list_comments(REPO, PR)
    assert len(sleeps) == 3 and c.requests_sent == 4


def test_connection_errors_are_retried_then_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    sleeps = Sleeps()
    c = Client(f"http://127.0.0.1:{port}", TOKEN, sleep=sleeps, max_retries=2)
    with pytest.raises(ServerError, match="cannot reach") as err:
        c.list_comments(REPO, PR)
    assert TOKEN not in str(err.value)
    assert sleeps == [1.0, 2.0]


def test_dropped_connection_then_success(github: GitHubServer) -> None:
    github.faults.append(Fault(drop=True))
    c = client(github)
    assert c.list_comments(REPO, PR) == []


def test_timeout_on_every_request(github: GitHubServer) -> None:
    github.faults.append(Fault(200, body=[], delay=1.0))
    sleeps = Sleeps()
    c = client(github, sleep=sleeps, timeout=0.2)
    assert c.list_comments(REPO, PR) == []  # the stalled answer timed out, the retry worked
    assert sleeps == [1.0]


def test_rate_limit_retry_after(github: GitHubServer) -> None:
    github.faults.append(rate_limit(retry_after=7))
    sleeps = Sleeps()
    assert client(github, sleep=sleeps).list_comments(REPO, PR) == []
    assert sleeps == [7.0]


def test_rate_limit_reset_header(github: GitHubServer) -> None:
    github.faults.append(rate_limit(reset_in=20))
    sleeps = Sleeps()
    assert client(github, sleep=sleeps).create_comment(REPO, PR, "x")["body"] == "x"
    assert len(sleeps) == 1 and 18 <= sleeps[0] <= 22


SECONDARY = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)


def test_429_and_secondary_limits_back_off(github: GitHubServer) -> None:
    github.faults.append(rate_limit(retry_after=3, status=429))
    github.faults.append(Fault(403, body={"message": "You have exceeded a secondary rate limit.",
                                          "documentation_url": SECONDARY}))
    sleeps = Sleeps()
    assert client(github, sleep=sleeps).list_comments(REPO, PR) == []
    assert sleeps == [3.0, 120.0]


@pytest.mark.parametrize(
    "docs",
    [
        SECONDARY,
        "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        "https://docs.github.com/en/free-pro-team@latest/rest/overview/resources-in-the-rest-api#secondary-rate-limits",
        "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
        "https://developer.github.com/v3/#abuse-rate-limits",
    ],
)
def test_a_403_rate_limit_is_known_by_its_documentation_url(github: GitHubServer, docs: str) -> None:
    """No header, and words that never say "rate limit": GitHub's documentation link tells."""
    github.faults.append(Fault(403, body={"message": "Please slow down.", "documentation_url": docs}))
    sleeps = Sleeps()
    assert client(github, sleep=sleeps).list_comments(REPO, PR) == []
    assert sleeps == [60.0]


def test_a_403_that_only_mentions_rate_limits_is_a_permissions_error(github: GitHubServer) -> None:
    """The words say rate limit; no header and the documentation link say permissions: no retry."""
    body = {"message": "Resource not accessible by integration (rate limit settings are per app)",
            "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment"}
    github.faults.append(Fault(403, body=body))
    sleeps = Sleeps()
    with pytest.raises(ForbiddenError) as err:
        client(github, sleep=sleeps).create_comment(REPO, PR, "x")
    assert sleeps == [] and PERMISSIONS_HINT in err.value.message


def test_label_exists_already_is_known_by_the_error_code(github: GitHubServer) -> None:
    c = client(github)
    c.ensure_label(REPO, "model-monitoring", "d73a4a")
    c.ensure_label(REPO, "model-monitoring", "d73a4a")  # 422 already_exists: fine
    # Another 422 whose words say "already exists" is still an error.
    body = {"message": "Validation Failed: the name already exists in another form",
            "errors": [{"resource": "Label", "code": "invalid", "field": "color"}]}
    github.faults.append(Fault(422, body=body, method="POST"))
    with pytest.raises(ValidationError) as err:
        c.ensure_label(REPO, "other", "not-a-colour")
    assert err.value.codes == frozenset({"invalid"})


def test_rate_limit_longer_than_the_cap_fails_fast(github: GitHubServer) -> None:
    github.faults.append(rate_limit(reset_in=3600))
    sleeps = Sleeps()
    with pytest.raises(RateLimitError, match=r"rate-limited.*until.*rerun the job later"):
        client(github, sleep=sleeps, max_wait=300).list_comments(REPO, PR)
    assert sleeps == []


def test_rate_limit_retries_are_bounded(github: GitHubServer) -> None:
    github.faults.extend([rate_limit(retry_after=1)] * 5)
    sleeps = Sleeps()
    with pytest.raises(RateLimitError):
        client(github, sleep=sleeps, max_retries=2).list_comments(REPO, PR)
    assert sleeps == [1.0, 1.0]


def test_401_tells_how_to_set_the_token(github: GitHubServer) -> None:
    with pytest.raises(AuthError) as err:
        client(github, token="ghs_WRONGTOKEN999").list_comments(REPO, PR)
    message = err.value.message
    assert "401" in message and "Bad credentials" in message and "GITHUB_TOKEN" in message
    assert "ghs_WRONGTOKEN999" not in message


def test_403_prints_the_permissions_block_and_explains_forks(github: GitHubServer) -> None:
    with pytest.raises(ForbiddenError) as err:
        client(github, token=READONLY_TOKEN).create_comment(REPO, PR, "x")
    message = err.value.message
    assert "Resource not accessible by integration" in message
    assert PERMISSIONS_HINT in message
    assert "permissions:\n  contents: read\n  pull-requests: write" in message
    assert "fork" in message
    assert isinstance(err.value, GitHubError)


def test_404_unknown_pr(github: GitHubServer) -> None:
    with pytest.raises(NotFoundError, match=r"404.*PR number"):
        client(github).list_comments(REPO, 999)


def test_422_shows_githubs_message(github: GitHubServer) -> None:
    with pytest.raises(ValidationError) as err:
        client(github).create_comment(REPO, PR, "x" * 65537)
    assert "body is too long (maximum is 65536 characters)" in err.value.message


def test_token_is_scrubbed_from_error_messages(github: GitHubServer) -> None:
    github.faults.append(Fault(418, body={"message": f"teapot saw {TOKEN}"}))
    with pytest.raises(GitHubError) as err:
        client(github).list_comments(REPO, PR)
    assert TOKEN not in err.value.message and "***" in err.value.message


def test_link_to_another_host_is_refused(github: GitHubServer) -> None:
    github.faults.append(
        Fault(200, body=[], headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'})
    )
    with pytest.raises(GitHubError, match="another host"):
        client(github).list_comments(REPO, PR)
    assert len(github.requests()) == 1


def test_bad_api_url() -> None:
    with pytest.raises(GitHubError, match="GITHUB_API_URL"):
        Client("api.github.com", TOKEN)


def test_token_only_in_the_authorization_header(github: GitHubServer) -> None:
    c = client(github)
    c.create_comment(REPO, PR, "body")
    assert TOKEN.encode() not in github.received()


def test_server_refuses_missing_token_and_user_agent(github: GitHubServer) -> None:
    import requests

    url = f"{github.url}/repos/{REPO}/issues/{PR}/comments"
    anonymous = requests.get(url, headers={"User-Agent": "t"}, timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Requires authentication"
    no_agent = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": ""}, timeout=5)
    assert no_agent.status_code == 403 and "User-Agent" in no_agent.json()["message"]


def test_a_server_that_is_not_the_api(github: GitHubServer) -> None:
    github.faults.append(Fault(200, body=b"<html></html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(GitHubError, match="did not answer JSON"):
        client(github).list_comments(REPO, PR)
    github.faults.append(Fault(201, body={"message": "ok"}))
    with pytest.raises(GitHubError, match="without a comment"):
        client(github).create_comment(REPO, PR, "x")
