"""Registry tags the toolkit does not trust: dates in the future, dates that disagree with the `#N`
counter, writes that do not read back, and tags on commits the default branch does not hold."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, git, write_files
from tests.registry_helpers import (
    FAR_FUTURE,
    START,
    Clock,
    artifact_repo,
    gto_json,
    new_commit,
    orphan_commit,
    tag_at,
    toolkit,
)
from toolkit.config import parse_config
from toolkit.errors import ConfigError, RegistryError
from toolkit.registry import trust

HOUR = 3600


@dataclass(frozen=True)
class Repo:
    """churn v1.0.0 (first commit) and v2.0.0 (second) registered; v1.0.0 in prod (`churn#prod#1`)."""

    path: Path
    v1: str
    v2: str
    clock: Clock


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    path = artifact_repo(tmp_path / "repo")
    clock = Clock(monkeypatch)
    v1 = git(path, "rev-parse", "HEAD")
    v2 = new_commit(path, "two")
    for version, sha in (("v1.0.0", v1), ("v2.0.0", v2)):
        clock.tick()
        assert toolkit(path, monkeypatch, "model", "register", "churn", sha, "--version", version)[0] == 0
    clock.tick()
    assert (
        toolkit(path, monkeypatch, "model", "promote", "churn", "--version", "v1.0.0", "--stage", "prod")[0]
        == 0
    )
    return Repo(path, v1, v2, clock)


def _model(repo: Repo, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    repo.clock.tick()
    return toolkit(repo.path, monkeypatch, "model", *args)


def _show(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, object]]:
    code, out, err = toolkit(repo.path, monkeypatch, "model", "show", "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def _refused(got: tuple[int, str, str], *words: str) -> str:
    code, out, err = got
    assert code == 1 and "Promoted" not in out and "Rolled back" not in out, out + err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) <= 2, err
    for word in words:
        assert word in err, err
    return err


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "churn#prod#2",
        "churn#prod",
        "churn#prod!#2",
        "churn@v9.0.0",
        "churn@deprecated#2",
        "nested/dir=ranker#dev#1",
    ],
)
@pytest.mark.parametrize("ahead", ["2099", "two hours"])
def test_a_tag_dated_in_the_future_is_refused_by_name(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, tag: str, ahead: str
) -> None:
    when = FAR_FUTURE if ahead == "2099" else int(time.time()) + 2 * HOUR
    tag_at(repo.path, tag, repo.v1, when)
    before = git(repo.path, "tag", "-l")
    words = (f"the registry tag `{tag}` is dated", "in the future", f"git tag -d '{tag}'")
    _refused(_model(repo, monkeypatch, "promote", "churn", "--version", "v2.0.0", "--stage", "prod"), *words)
    assert git(repo.path, "tag", "-l") == before  # nothing written
    for args in (
        ("show", "--json"),
        ("history", "churn"),
        ("describe", "churn#prod#1"),
        ("card", "churn#prod"),
        ("rollback", "churn", "--stage", "prod"),
    ):
        _refused(_model(repo, monkeypatch, *args), *words)
    assert git(repo.path, "tag", "-l") == before

    git(repo.path, "tag", "-d", tag)
    code, out, err = _model(repo, monkeypatch, "promote", "churn", "--version", "v2.0.0", "--stage", "prod")
    assert code == 0, out + err
    assert _show(repo, monkeypatch) == gto_json(repo.path, "show")


def test_now_is_at_least_the_default_branchs_newest_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine whose clock is behind the repository's own history still reads its tags."""
    path = artifact_repo(tmp_path / "repo")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{FAR_FUTURE} +0000")
    sha = new_commit(path, "from the future")
    tag_at(path, "churn@v1.0.0", sha, FAR_FUTURE + 60)
    tag_at(path, "churn#prod#1", sha, FAR_FUTURE + HOUR // 2)
    code, out, err = toolkit(path, monkeypatch, "model", "show", "--json")
    assert code == 0, err
    assert json.loads(out)["churn"]["stage"] == {"prod": "v1.0.0"}
    tag_at(path, "churn#dev#2", sha, FAR_FUTURE + 2 * HOUR)
    _refused(toolkit(path, monkeypatch, "model", "show"), "`churn#dev#2` is dated 2099-01-01T02:00:00+00:00")


def test_check_dates_allows_the_skew_and_no_more(tmp_path: Path) -> None:
    path = artifact_repo(tmp_path / "repo")
    sha = git(path, "rev-parse", "HEAD")
    now = time.time()
    tag_at(path, "churn@v1.0.0", sha, int(now) + trust.SKEW - 60)
    from toolkit.registry import refs

    found = refs.read(path)
    default = trust.default_branch(found)
    assert default.name == "main" and default.tip is not None and default.tip.commit == sha
    trust.check_dates(found, default, now)
    trust.check_dates(found, default, now - 120)  # the branch's newest commit (made just now) says so
    with pytest.raises(RegistryError, match=r"`churn@v1\.0\.0` is dated .*, in the future"):
        trust.check_dates(found, trust.Default("main", None), now - 120)


# -- order: the #N counter where dates disagree --------------------------------------------------


@pytest.mark.parametrize("case", ["tag dated ahead, then a promotion", "promotion, then a tag dated back"])
def test_the_counter_orders_where_tag_dates_disagree_unlike_gto(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Deliberately not gto: the newest `#N` is the stage's (what deploy.yml, started by it, delivers)."""
    if case.startswith("tag dated ahead"):
        # Within the allowed skew: dated ahead of the promotion below, and not refused.
        tag_at(repo.path, "churn#prod#2", repo.v1, int(time.time()) + HOUR // 2)
        code, out, err = _model(
            repo, monkeypatch, "promote", "churn", "--version", "v2.0.0", "--stage", "prod"
        )
        assert code == 0 and "tag churn#prod#3" in out, out + err
        newest, ours, theirs = "churn#prod#3", "v2.0.0", "v1.0.0"
    else:
        code, out, err = _model(
            repo, monkeypatch, "promote", "churn", "--version", "v2.0.0", "--stage", "prod"
        )
        assert code == 0, out + err
        tag_at(repo.path, "churn#prod#3", repo.v1, START - 1000)  # the counter says newest, the date oldest
        newest, ours, theirs = "churn#prod#3", "v1.0.0", "v2.0.0"

    shown, gto_shown = _show(repo, monkeypatch), gto_json(repo.path, "show")
    assert shown["churn"]["stage"] == {"prod": ours}
    assert gto_shown["churn"]["stage"] == {"prod": theirs}  # gto: the latest date wins
    gto_shown["churn"]["stage"] = {"prod": ours}
    assert shown == gto_shown  # and nothing else differs
    code, out, err = toolkit(repo.path, monkeypatch, "model", "describe", newest, "--json")
    assert code == 0, err
    assert json.loads(out)["version"] == ours  # what deploy.yml delivers is what show says
    code, out, _ = toolkit(repo.path, monkeypatch, "model", "history", "churn", "--json")
    history, gto_history = json.loads(out), gto_json(repo.path, "history", "churn")
    assert history[0]["ref"] == newest != gto_history[0]["ref"]
    assert sorted(history, key=lambda h: h["ref"]) == sorted(gto_history, key=lambda h: h["ref"])


def test_a_promotion_that_does_not_read_back_is_undone(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tag without #N is ordered by its date alone: one dated after our write keeps the stage."""
    tag_at(repo.path, "churn#prod", repo.v1, START + 1000)  # gto's simple notation, dated later
    before = git(repo.path, "tag", "-l")
    _refused(
        _model(repo, monkeypatch, "promote", "churn", "--version", "v2.0.0", "--stage", "prod"),
        "after writing `churn#prod#2` the registry gives churn stage prod to v1.0.0 (by `churn#prod`",
        "deleted again (nothing to push)",
    )
    assert git(repo.path, "tag", "-l") == before
    assert _show(repo, monkeypatch)["churn"]["stage"] == {"prod": "v1.0.0"}


@pytest.mark.parametrize("action", ["promote", "rollback"])
def test_a_write_dated_in_the_future_is_undone(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    if action == "rollback":
        assert _model(repo, monkeypatch, "promote", "churn", "--version", "v2.0.0", "--stage", "prod")[0] == 0
    before = git(repo.path, "tag", "-l")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{FAR_FUTURE} +0000")  # this machine's clock is wrong
    args = (
        ("promote", "churn", "--version", "v2.0.0", "--stage", "prod")
        if action == "promote"
        else ("rollback", "churn", "--stage", "prod")
    )
    err = _refused(toolkit(repo.path, monkeypatch, "model", *args), "could not be read back", "in the future")
    written = (
        "`churn#prod#2` could not be read back, so it was"
        if action == "promote"
        else ("`churn#prod!#3`, `churn#prod#4` could not be read back, so they were")
    )
    assert err.startswith(f"Error: {written} deleted again (nothing to push): the registry tag "), err
    assert git(repo.path, "tag", "-l") == before


# -- commits the default branch does not hold ----------------------------------------------------


def _unreviewed(repo: Repo, where: str) -> str:
    """A commit with another model that never went through review: made with commit-tree, or on a branch."""
    if where == "no branch":
        return orphan_commit(repo.path, {"model.pkl": "not reviewed"})
    git(repo.path, "checkout", "-q", "-b", "feature")
    sha = new_commit(repo.path, "not reviewed")
    git(repo.path, "checkout", "-q", "main")
    return sha


@pytest.mark.parametrize("where", ["no branch", "another branch"])
def test_describe_refuses_tags_on_commits_the_default_branch_does_not_hold(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    sha = _unreviewed(repo, where)
    tag_at(repo.path, "churn@v6.6.6", sha, START + 100)
    tag_at(repo.path, "churn#prod#2", sha, START + 101)
    for tag in ("churn#prod#2", "refs/tags/churn@v6.6.6"):
        _refused(
            _model(repo, monkeypatch, "describe", tag, "--json"),
            f"`{tag.removeprefix('refs/tags/')}` (commit {sha}) is not on the default branch `main`",
            "only reviewed commits",
        )
    code, out, err = _model(repo, monkeypatch, "describe", "churn#prod#1", "--json")
    assert code == 0 and err == "" and json.loads(out)["commit"] == repo.v1

    # show still reads them as gto does, and says which tags describe and deliver refuse.
    code, out, err = _model(repo, monkeypatch, "show", "--json")
    assert code == 0 and json.loads(out) == gto_json(repo.path, "show")
    warned = [line for line in err.splitlines() if line.startswith("Warning: ")]
    assert len(warned) == 2, err
    for tag in ("churn@v6.6.6", "churn#prod#2"):
        assert any(
            f"`{tag}` is on commit {sha[:12]}, which the default branch `main` does not hold" in w
            for w in warned
        )


def test_the_allowance_is_read_from_the_default_branch_only(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow = "registry:\n  require-default-branch: false\n"
    sha = orphan_commit(repo.path, {"model.pkl": "not reviewed", "toolkit.yaml": allow})
    tag_at(repo.path, "churn#prod#2", sha, START + 100)
    write_files(repo.path, {"toolkit.yaml": allow})  # in the workspace, not committed: not read either
    _refused(_model(repo, monkeypatch, "describe", "churn#prod#2"), "is not on the default branch")

    commit_all(repo.path, "deliver unreviewed commits too")
    code, out, err = _model(repo, monkeypatch, "describe", "churn#prod#2")
    assert code == 0 and "churn#prod#2: assignment of churn" in out, err
    assert err.startswith("Warning: `churn#prod#2` (commit ") and "delivered anyway" in err
    code, _, err = _model(repo, monkeypatch, "show")
    assert code == 0 and err == ""

    write_files(repo.path, {"toolkit.yaml": "registry:\n  require-default-branch: 'no'\n"})
    commit_all(repo.path, "a typo")
    _refused(
        _model(repo, monkeypatch, "describe", "churn#prod#2"),
        "main:toolkit.yaml, line 1: `registry.require-default-branch` must be true or false.",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("registry: true\n", "`registry:` must be a mapping"),
        ("registry:\n  require-default-branch: 1\n", "must be true or false"),
        ("registry:\n  allow-unreviewed: true\n", "unknown setting `registry.allow-unreviewed`"),
        ("registy:\n  require-default-branch: false\n", "did you mean `registry:`?"),
    ],
)
def test_the_registry_section_is_validated(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"^toolkit\.yaml, line 1: .*") as caught:
        parse_config(text, Path("toolkit.yaml"))
    assert message in caught.value.message
    assert parse_config("registry: {}\n", Path("t")).registry.require_default_branch is True
    assert parse_config("ci: {}\n", Path("t")).registry.require_default_branch is True


# -- clones as CI makes them ---------------------------------------------------------------------


def _ci_checkout(origin: Path, clone: Path, tag: str, *, depth: int | None = None) -> Path:
    """What actions/checkout does for a pushed tag: no local branch, no origin/HEAD, detached HEAD."""
    clone.mkdir()
    git(clone, "init", "-q")
    git(clone, "remote", "add", "origin", f"file://{origin}")
    if depth is None:  # fetch-depth: 0
        git(clone, "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
    else:  # the default fetch-depth: 1, the tag alone
        git(clone, "fetch", "-q", f"--depth={depth}", "origin", f"+refs/tags/{tag}:refs/tags/{tag}")
    git(clone, "checkout", "-q", f"refs/tags/{tag}")
    return clone


@pytest.fixture
def develop(repo: Repo) -> tuple[Repo, str]:
    """The default branch is `develop`; `main` is a stale branch with an unreviewed commit, `churn#prod#2`."""
    git(repo.path, "branch", "-m", "main", "develop")
    git(repo.path, "checkout", "-q", "-b", "main")
    sha = new_commit(repo.path, "pushed to an unprotected branch")
    git(repo.path, "checkout", "-q", "develop")
    tag_at(repo.path, "churn#prod#2", sha, START + 100)
    return repo, sha


def test_a_ci_checkout_finds_the_default_branch_from_the_event_payload(
    develop: tuple[Repo, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo, unreviewed = develop
    clone = _ci_checkout(repo.path, tmp_path / "ci", "churn#prod#2")
    assert git(clone, "for-each-ref", "refs/heads") == "" and "origin/HEAD" not in git(clone, "branch", "-r")
    payload = tmp_path / "event.json"
    payload.write_text(
        json.dumps({"ref": "refs/tags/churn#prod#2", "repository": {"default_branch": "develop"}})
    )
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(payload))
    _refused(
        toolkit(clone, monkeypatch, "model", "describe", "refs/tags/churn#prod#2"),
        f"`churn#prod#2` (commit {unreviewed}) is not on the default branch `origin/develop`",
    )
    assert toolkit(clone, monkeypatch, "model", "describe", "refs/tags/churn#prod#1")[0] == 0

    # A plain clone knows origin's HEAD, without any payload.
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    git(tmp_path, "clone", "-q", str(repo.path), str(tmp_path / "plain"))
    _refused(
        toolkit(tmp_path / "plain", monkeypatch, "model", "describe", "churn#prod#2"), "`origin/develop`"
    )


def test_a_shallow_checkout_is_an_error_not_a_pass(
    develop: tuple[Repo, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo, _ = develop
    # The tag alone (fetch-depth: 1): no default branch at all.
    clone = _ci_checkout(repo.path, tmp_path / "ci", "churn#prod#1", depth=1)
    err = _refused(toolkit(clone, monkeypatch, "model", "describe", "churn#prod#1"), "this clone is shallow")
    assert "`fetch-depth: 0` in actions/checkout" in err
    # Every branch and tag one commit deep: develop is there, but not the history down to the tag.
    git(
        clone,
        "fetch",
        "-q",
        "--depth=1",
        "origin",
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
    )
    assert git(clone, "rev-parse", "origin/develop") == repo.v2  # v1 is below it, cut off
    _refused(toolkit(clone, monkeypatch, "model", "describe", "churn#prod#1"), "this clone is shallow")
    code, _, err = toolkit(clone, monkeypatch, "model", "show")
    assert code == 0 and "registry tag(s) are on the default branch" in err and "shallow" in err
    git(clone, "fetch", "-q", "--unshallow", "origin")
    assert toolkit(clone, monkeypatch, "model", "describe", "churn#prod#1")[0] == 0


def test_without_a_default_branch_nothing_is_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = artifact_repo(tmp_path / "repo")
    git(path, "branch", "-m", "main", "trunk")
    assert toolkit(path, monkeypatch, "model", "register", "churn")[0] == 0
    _refused(
        toolkit(path, monkeypatch, "model", "describe", "churn@v0.0.1"),
        "`origin/main` or `main` or `origin/master` or `master` is not in this clone",
    )
    code, _, err = toolkit(path, monkeypatch, "model", "show")
    assert code == 0 and "cannot check that the registry tags are on reviewed commits" in err
    git(path, "branch", "master")
    assert toolkit(path, monkeypatch, "model", "describe", "churn@v0.0.1")[0] == 0
