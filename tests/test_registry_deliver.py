"""`toolkit model deliver` and the client's release/deployment methods, over HTTP against the
GitHub-compatible test server (no mocks)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github_server import READONLY_TOKEN, TOKEN, Fault, GitHubServer, rate_limit
from tests.gitrepo import commit_all, git, write_files
from tests.registry_helpers import artifact_repo, orphan_commit, tag_at, toolkit
from toolkit.errors import GitHubError
from toolkit.github import Client, ServerError, ValidationError

REPO = "octo/models"
LOCK = """\
schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps: []
    outs:
    - path: model.pkl
      md5: {md5}
"""


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_repo(REPO)
        yield gh


@pytest.fixture
def promoted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = artifact_repo(tmp_path / "repo")
    assert toolkit(repo, monkeypatch, "model", "register", "churn", "--version", "v1.0.0")[0] == 0
    assert (
        toolkit(repo, monkeypatch, "model", "promote", "churn", "--version", "v1.0.0", "--stage", "prod")[0]
        == 0
    )
    return repo


def _actions_env(monkeypatch: pytest.MonkeyPatch, gh: GitHubServer, token: str = TOKEN) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_RUN_ID", "77")


def test_deliver_publishes_release_assets_and_deployment(
    promoted: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _actions_env(monkeypatch, github)
    commit = git(promoted, "rev-parse", "HEAD")
    code, out, err = toolkit(promoted, monkeypatch, "model", "deliver", "refs/tags/churn#prod#1")
    assert code == 0, err
    [release] = github.releases[REPO]
    assert (release["tag_name"], release["name"], release["target_commitish"]) == (
        "churn@v1.0.0",
        "churn v1.0.0",
        commit,
    )
    assert release["body"].startswith("# Model card: churn v1.0.0")
    assets = {a["name"]: a for a in github.assets[release["id"]]}
    assert set(assets) == {"model.pkl", "model.pkl.sha256", "churn-v1.0.0-model-card.md"}
    model = (promoted / "model.pkl").read_bytes()
    assert github.asset_data[assets["model.pkl"]["id"]] == model
    digest = hashlib.sha256(model).hexdigest()
    assert github.asset_data[assets["model.pkl.sha256"]["id"]] == f"{digest}  model.pkl\n".encode()
    assert assets["churn-v1.0.0-model-card.md"]["content_type"] == "text/markdown"
    [deployment] = github.deployments[REPO]
    assert (deployment["environment"], deployment["ref"]) == ("prod", commit)
    states = [s["state"] for s in github.statuses[deployment["id"]]]
    assert states == ["in_progress", "success"]
    final = github.statuses[deployment["id"]][-1]
    assert final["environment_url"] == release["html_url"]
    assert final["log_url"] == f"https://github.example/{REPO}/actions/runs/77"
    assert digest in out
    assert TOKEN.encode() not in github.received()

    # A re-run (e.g. after a flaky step) reuses the release and uploads nothing twice.
    code, _, err = toolkit(promoted, monkeypatch, "model", "deliver", "churn#prod#1")
    assert code == 0, err
    assert len(github.releases[REPO]) == 1 and len(github.assets[release["id"]]) == 3
    assert len(github.deployments[REPO]) == 2


def test_a_failed_upload_marks_the_deployment_failed(
    promoted: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _actions_env(monkeypatch, github)

    def reject_uploads(method: str, path: str) -> None:
        if method == "POST" and path.endswith("/assets"):
            github.faults.append(
                Fault(status=422, body={"message": "Validation Failed", "errors": ["bad asset"]})
            )

    github.hook = reject_uploads
    code, _, err = toolkit(promoted, monkeypatch, "model", "deliver", "churn#prod#1")
    assert code == 1 and "422" in err and "bad asset" in err
    [deployment] = github.deployments[REPO]
    assert [s["state"] for s in github.statuses[deployment["id"]]] == ["in_progress", "failure"]


def test_a_read_only_token_is_told_the_permissions(
    promoted: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _actions_env(monkeypatch, github, READONLY_TOKEN)
    code, _, err = toolkit(promoted, monkeypatch, "model", "deliver", "churn#prod#1")
    assert code == 1
    assert "contents: write" in err and "deployments: write" in err
    assert github.releases.get(REPO, []) == []


def test_deliver_refusals(promoted: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = toolkit(promoted, monkeypatch, "model", "deliver", "churn#prod#1")
    assert code == 1 and "GITHUB_TOKEN" in err  # outside Actions, nothing set
    _actions_env(monkeypatch, github)
    code, _, err = toolkit(promoted, monkeypatch, "model", "deliver", "churn@v1.0.0")
    assert code == 1 and "not a stage assignment" in err
    (promoted / "model.pkl").unlink()
    code, _, err = toolkit(promoted, monkeypatch, "model", "deliver", "churn#prod#1")
    assert code == 1 and "dvc pull model.pkl" in err
    assert github.requests() == []  # nothing was sent


def test_a_stage_tag_on_an_unreviewed_commit_is_not_delivered(
    promoted: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Anyone who can push a tag: a commit no branch holds, registered and staged, checked out."""
    _actions_env(monkeypatch, github)
    sha = orphan_commit(promoted, {"model.pkl": "not reviewed"})
    now = int(time.time())
    tag_at(promoted, "churn@v6.6.6", sha, now)
    tag_at(promoted, "churn#prod#2", sha, now + 1)
    git(promoted, "checkout", "-q", "churn#prod#2")  # as deploy.yml's checkout of the tag
    code, out, err = toolkit(promoted, monkeypatch, "model", "deliver", "refs/tags/churn#prod#2")
    assert code == 1 and out == "", err
    assert f"`churn#prod#2` (commit {sha}) is not on the default branch `main`" in err
    assert github.requests() == []  # no release, no deployment
    git(promoted, "checkout", "-q", "main")
    assert toolkit(promoted, monkeypatch, "model", "deliver", "refs/tags/churn#prod#1")[0] == 0


def test_a_model_that_is_not_the_locked_one_is_refused(
    tmp_path: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = artifact_repo(tmp_path / "repo")
    md5 = hashlib.md5(b"one").hexdigest()
    write_files(repo, {"dvc.lock": LOCK.format(md5=md5)})
    commit_all(repo, "lock")
    assert toolkit(repo, monkeypatch, "model", "register", "churn")[0] == 0
    assert (
        toolkit(repo, monkeypatch, "model", "promote", "churn", "--version", "v0.0.1", "--stage", "prod")[0]
        == 0
    )
    _actions_env(monkeypatch, github)
    write_files(repo, {"model.pkl": "something else"})
    code, _, err = toolkit(repo, monkeypatch, "model", "deliver", "churn#prod#1")
    assert code == 1 and "not the file dvc.lock records" in err
    write_files(repo, {"model.pkl": "one"})
    assert toolkit(repo, monkeypatch, "model", "deliver", "churn#prod#1")[0] == 0


# -- the client methods, with faults --------------------------------------------------------------


def _client(gh: GitHubServer, token: str = TOKEN) -> Client:
    return Client(gh.url, token, sleep=lambda _: None)


def test_release_methods_retry_server_errors_and_rate_limits(github: GitHubServer) -> None:
    c = _client(github)
    assert c.get_release_by_tag(REPO, "m@v1.0.0") is None
    github.faults.extend([Fault(status=502), rate_limit(retry_after=1)])
    release = c.create_release(REPO, "m#x@v1.0.0", name="m", body="b", target="abc")
    assert c.get_release_by_tag(REPO, "m#x@v1.0.0") == release  # '#' survives the URL
    github.faults.append(Fault(drop=True))
    asset = c.upload_release_asset(release["upload_url"], "a b.txt", b"\x00\x01", "application/octet-stream")
    assert asset["name"] == "a b.txt" and github.asset_data[asset["id"]] == b"\x00\x01"
    assert [a["name"] for a in c.list_release_assets(REPO, release["id"])] == ["a b.txt"]
    with pytest.raises(ValidationError, match="already_exists"):
        c.create_release(REPO, "m#x@v1.0.0", name="m", body="b")
    github.faults.extend([Fault(status=503)] * 5)
    with pytest.raises(ServerError):
        c.create_deployment(REPO, "abc", "prod", description="d")


def test_deployment_methods(github: GitHubServer) -> None:
    c = _client(github)
    d = c.create_deployment(REPO, "abc", "staging", description="x" * 500)
    assert len(d["description"]) == 140
    status = c.create_deployment_status(REPO, d["id"], "success", environment_url="https://e.example")
    assert (
        status["state"] == "success" and github.statuses[d["id"]][0]["environment_url"] == "https://e.example"
    )
    with pytest.raises(ValidationError):
        c.create_deployment_status(REPO, d["id"], "bogus")


def test_upload_host_is_the_api_host_or_githubs_uploads_host() -> None:
    c = Client("https://api.github.com", "t")
    assert c._url("https://uploads.github.com/repos/o/r/releases/1/assets").startswith("https://uploads.")
    with pytest.raises(GitHubError, match="another host"):
        c._url("https://uploads.evil.example/repos/o/r/releases/1/assets")
    ghes = Client("https://ghe.example/api/v3", "t")
    assert ghes._url("https://ghe.example/api/uploads/repos/o/r/releases/1/assets")
    with pytest.raises(GitHubError, match="another host"):
        ghes._url("https://uploads.ghe.example/x")
