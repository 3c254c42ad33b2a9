"""toolkit.git: root discovery, revisions (fetching what shallow/single-branch clones lack), objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import commit_all, git, make_repo, write_files
from toolkit import git as tgit
from toolkit.errors import GitError, RevisionError


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A repo with `main` (2 commits), `feature` (1 more) and a tag."""
    repo = make_repo(tmp_path / "origin", {"a.txt": "1\n", "dir/b.json": '{"x": 1}'})
    write_files(repo, {"a.txt": "2\n"})
    commit_all(repo, "main 2")
    git(repo, "tag", "v1")
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"a.txt": "3\n"})
    commit_all(repo, "feature")
    git(repo, "checkout", "-q", "main")
    return repo


def test_find_root_from_subfolder(origin: Path) -> None:
    assert tgit.find_root(origin / "dir") == origin.resolve()


def test_find_root_outside_git(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not inside a git repository"):
        tgit.find_root(tmp_path)


def test_ensure_revision_local(origin: Path) -> None:
    main = git(origin, "rev-parse", "main")
    assert tgit.ensure_revision(origin, "main") == main
    assert tgit.ensure_revision(origin, main[:8]) == main
    assert tgit.ensure_revision(origin, "feature~1") == main
    assert tgit.ensure_revision(origin, "v1") == main


@pytest.mark.parametrize("bad", ["nope", "deadbeef", "-x", "a b", ""])
def test_unknown_revision_names_it(origin: Path, bad: str) -> None:
    with pytest.raises(RevisionError) as err:
        tgit.ensure_revision(origin, bad)
    assert repr(bad) in err.value.message or f"`{bad}`" in err.value.message


def test_shallow_clone_fetches_branch_with_depth(origin: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", origin.as_uri(), str(work))
    assert tgit.is_shallow(work)
    assert tgit.resolve(work, "main") is None
    main = git(origin, "rev-parse", "main")
    assert tgit.ensure_revision(work, "main") == main
    assert tgit.ensure_revision(work, "origin/main") == main
    assert tgit.is_shallow(work)
    # Only what was missing: one more commit, not main's whole history.
    assert git(work, "rev-list", "--count", "--all") == "2"


def test_shallow_clone_fetches_sha(origin: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", origin.as_uri(), str(work))
    first = git(origin, "rev-parse", "main~1")
    assert tgit.ensure_revision(work, first) == first


def test_full_single_branch_clone_is_not_truncated(origin: Path, tmp_path: Path) -> None:
    """--depth is passed only to shallow clones: a full clone keeps its whole history."""
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--single-branch", "--branch", "feature", origin.as_uri(), str(work))
    git(origin, "checkout", "-q", "-b", "other", "main~1")
    write_files(origin, {"c.txt": "x"})
    other = commit_all(origin, "other")
    assert not tgit.is_shallow(work)
    assert tgit.ensure_revision(work, "other") == other
    assert not tgit.is_shallow(work)
    assert git(work, "rev-list", "--count", "origin/other") == "2"
    assert git(work, "rev-list", "--count", "HEAD") == "3"


def test_object_reader(origin: Path) -> None:
    main = git(origin, "rev-parse", "main")
    tree = tgit.list_tree(origin, main)
    assert set(tree) == {"a.txt", "dir/b.json"}
    with tgit.ObjectReader(origin) as reader:
        assert reader.read(tree["a.txt"]) == b"2\n"
        assert reader.read(f"{main}:dir/b.json") == b'{"x": 1}'
        assert reader.read("0" * 40) is None
        assert reader.resolve("main") == main
        assert reader.resolve("v1") == main
        assert reader.resolve("nope") is None
        assert reader.read(tree["a.txt"]) == b"2\n"  # still usable after a miss


def test_list_workspace_includes_untracked_not_ignored(origin: Path) -> None:
    write_files(origin, {"new.txt": "", ".gitignore": "ignored/\n", "ignored/x": ""})
    files = tgit.list_workspace(origin)
    assert "new.txt" in files and "a.txt" in files
    assert not any(f.startswith("ignored/") for f in files)


def test_fetch_auth_env_only_in_actions_with_a_token() -> None:
    assert tgit.fetch_auth_env({"GITHUB_TOKEN": "t"}) == {}
    assert tgit.fetch_auth_env({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com"}) == {}
    env = tgit.fetch_auth_env(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_TOKEN": "ghs_SECRET",
            "GITHUB_SERVER_URL": "https://ghe.example.com/",
            "GIT_CONFIG_COUNT": "1",
        }
    )
    assert env["GIT_CONFIG_COUNT"] == "2"
    assert env["GIT_CONFIG_KEY_1"] == "http.https://ghe.example.com/.extraheader"
    import base64

    value = env["GIT_CONFIG_VALUE_1"]
    assert value.startswith("AUTHORIZATION: basic ")
    assert base64.b64decode(value.split()[-1]) == b"x-access-token:ghs_SECRET"
    assert "ghs_SECRET" not in value  # only ever encoded, and only in the environment


def test_shallow_fetch_works_with_actions_credentials_set(
    origin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The auth header is scoped to the server URL: a fetch from another remote is unaffected.
    clone = tmp_path / "shallow-auth"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{origin}", str(clone))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_SECRET")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    assert tgit.ensure_revision(clone, "main") == git(origin, "rev-parse", "main")


def test_fetch_hint_only_when_a_remote_could_have_it(origin: Path, tmp_path: Path) -> None:
    # No `origin` remote: nothing is fetched and no `git fetch` is suggested.
    with pytest.raises(RevisionError) as err:
        tgit.ensure_revision(origin, "nope")
    assert "no `origin` remote" in err.value.message and "git fetch" not in err.value.message
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    # A relative name (HEAD~5) resolves only locally: no fetch hint either.
    with pytest.raises(RevisionError) as err:
        tgit.ensure_revision(clone, "HEAD~5")
    assert "git fetch" not in err.value.message and "origin" not in err.value.message
    # A branch that could be on origin: tried, then the fetch hint.
    with pytest.raises(RevisionError) as err:
        tgit.ensure_revision(clone, "no-such-branch")
    assert "git fetch origin no-such-branch" in err.value.message


def test_commit_and_push_without_origin_changes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "1"})
    write_files(repo, {"a.txt": "2"})
    with pytest.raises(GitError) as err:
        tgit.commit_and_push(repo, "retrain", "Retrain", {})
    assert "has no remote `origin`; add it (`git remote add origin URL`)" in err.value.message
    assert "repository exists" not in err.value.message
    assert tgit.current_branch(repo) == "main" and (repo / "a.txt").read_text() == "2"


def test_commit_and_push_failure_shows_gits_reason(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "1"})
    missing = tmp_path / "missing.git"
    git(repo, "remote", "add", "origin", str(missing))
    with pytest.raises(GitError) as err:
        tgit.commit_and_push(repo, "retrain", "Retrain", {})
    assert f"to origin: '{missing}' does not appear to be a git repository;" in err.value.message
