"""`toolkit model` refusals: bad names and versions, dirty trees, unknown refs, undeclared artifacts,
reused versions; and `--push`, which pushes exactly the new tag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitrepo import git, write_files
from tests.registry_helpers import Clock, artifact_repo, new_commit, toolkit


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return artifact_repo(tmp_path / "repo")


def _fails(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str, code: int = 1) -> str:
    got, out, err = toolkit(repo, monkeypatch, "model", *args)
    assert got == code, out + err
    if code == 1:
        assert err.startswith("Error: "), err
        assert len(err.strip().splitlines()) <= 2, err
    return err


@pytest.mark.parametrize("name", ["bad name", "-churn", "churn-", "a:b:c", "x" * 1 + "!"])
def test_bad_artifact_names(repo: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    assert "not a valid artifact name" in _fails(repo, monkeypatch, "register", "--", name)
    assert git(repo, "tag", "-l") == ""


@pytest.mark.parametrize(
    ("version", "hint"), [("1.2.0", "did you mean v1.2.0?"), ("v1.2", ""), ("v01.2.3", "")]
)
def test_bad_semver(repo: Path, monkeypatch: pytest.MonkeyPatch, version: str, hint: str) -> None:
    err = _fails(repo, monkeypatch, "register", "churn", "--version", version)
    assert "is not a semantic version" in err and hint in err


def test_bad_stage_name(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert toolkit(repo, monkeypatch, "model", "register", "churn")[0] == 0
    assert "not a valid stage name" in _fails(
        repo, monkeypatch, "promote", "churn", "--version", "v0.0.1", "--stage", "pr od"
    )


def test_dirty_tree_is_refused_for_head(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(repo, {"model.pkl": "changed, not committed"})
    err = _fails(repo, monkeypatch, "register", "churn")
    assert "uncommitted changes" in err and "commit them" in err
    write_files(repo, {"untracked.txt": "x"})  # an untracked file alone does not make HEAD dirty
    git(repo, "checkout", "--", "model.pkl")
    assert toolkit(repo, monkeypatch, "model", "register", "churn")[0] == 0


def test_unknown_ref(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    err = _fails(repo, monkeypatch, "register", "churn", "no-such-branch")
    assert "`no-such-branch` is not a commit" in err
    assert "not a valid revision" in _fails(repo, monkeypatch, "register", "--", "churn", "--upload-pack=x")


def test_undeclared_artifact_lists_the_declared_ones(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    err = _fails(repo, monkeypatch, "register", "nope")
    assert "artifact `nope` is not declared" in err
    assert "`churn`" in err and "`nested/dir:ranker`" in err


def test_reused_versions_and_commits(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert toolkit(repo, monkeypatch, "model", "register", "churn", "--version", "v1.0.0")[0] == 0
    assert "already registered as churn v1.0.0" in _fails(repo, monkeypatch, "register", "churn")
    new_commit(repo, "two")
    assert "churn v1.0.0 exists already" in _fails(
        repo, monkeypatch, "register", "churn", "--version", "v1.0.0"
    )
    _fails(repo, monkeypatch, "register", "churn", "--version", "v2.0.0", "--bump", "major", code=2)
    code, out, _ = toolkit(repo, monkeypatch, "model", "register", "churn")
    assert code == 0 and "churn v1.0.1" in out  # patch bump of the latest by default


def test_promote_and_rollback_refusals(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "has no registered version" in _fails(
        repo, monkeypatch, "promote", "churn", "--version", "v1.0.0", "--stage", "prod"
    )
    assert toolkit(repo, monkeypatch, "model", "register", "churn")[0] == 0
    _fails(repo, monkeypatch, "promote", "churn", "--stage", "prod", code=2)
    _fails(
        repo,
        monkeypatch,
        "promote",
        "churn",
        "--version",
        "v0.0.1",
        "--ref",
        "HEAD",
        "--stage",
        "prod",
        code=2,
    )
    assert "no registered version v9.0.0" in _fails(
        repo, monkeypatch, "promote", "churn", "--version", "v9.0.0", "--stage", "prod"
    )
    assert "nothing to roll back" in _fails(repo, monkeypatch, "rollback", "churn", "--stage", "prod")
    assert toolkit(repo, monkeypatch, "model", "promote", "churn", "--ref", "HEAD", "--stage", "prod")[0] == 0
    assert "already in stage prod" in _fails(
        repo, monkeypatch, "promote", "churn", "--version", "v0.0.1", "--stage", "prod"
    )
    assert "no earlier version" in _fails(repo, monkeypatch, "rollback", "churn", "--stage", "prod")
    new_commit(repo, "two")
    assert "register it first" in _fails(
        repo, monkeypatch, "promote", "churn", "--ref", "HEAD", "--stage", "prod"
    )


def test_show_history_describe_refusals(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = toolkit(repo, monkeypatch, "model", "show", "--json")
    assert code == 0 and json.loads(out) == {}
    assert "has no registered version" in _fails(repo, monkeypatch, "history", "churn")
    assert "is not a registry tag" in _fails(repo, monkeypatch, "describe", "refs/tags/v1.0.0")
    assert "no annotated tag `churn#prod#1`" in _fails(repo, monkeypatch, "describe", "churn#prod#1")
    code, _, err = toolkit(repo, monkeypatch, "diff", "--base", "churn#prod")
    assert code == 1 and "has no registry tags" in err


def test_describe_a_stage_tag_and_its_actions_outputs(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert toolkit(repo, monkeypatch, "model", "register", "churn", "--version", "v1.2.0")[0] == 0
    assert (
        toolkit(repo, monkeypatch, "model", "promote", "churn", "--version", "v1.2.0", "--stage", "prod")[0]
        == 0
    )
    outputs = tmp_path / "out.txt"
    outputs.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    code, out, _ = toolkit(repo, monkeypatch, "model", "describe", "refs/tags/churn#prod#1", "--json")
    assert code == 0
    data = json.loads(out)
    head = git(repo, "rev-parse", "HEAD")
    assert {k: data[k] for k in ("name", "version", "stage", "event", "commit", "path", "tag")} == {
        "name": "churn",
        "version": "v1.2.0",
        "stage": "prod",
        "event": "assignment",
        "commit": head,
        "path": "model.pkl",
        "tag": "churn#prod#1",
    }
    written = outputs.read_text()
    assert "stage<<" in written or "stage=prod" in written
    assert "prod" in written and "model.pkl" in written


def test_push_sends_exactly_the_new_tag(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "tag", "-a", "-m", "local only", "unrelated")
    code, _, err = toolkit(repo, monkeypatch, "model", "register", "churn", "--push")
    assert code == 0, err
    assert git(remote, "tag", "-l").splitlines() == ["churn@v0.0.1"]
    code, _out, err = toolkit(
        repo, monkeypatch, "model", "promote", "churn", "--version", "v0.0.1", "--stage", "prod", "--push"
    )
    assert code == 0, err
    assert sorted(git(remote, "tag", "-l").splitlines()) == ["churn#prod#1", "churn@v0.0.1"]
    # The annotated tag object itself arrives (gto on a clone reads it).
    assert git(remote, "cat-file", "-t", "churn#prod#1") == "tag"


def test_push_failure_says_how_to_push(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    git(repo, "remote", "add", "origin", str(tmp_path / "missing.git"))
    err = _fails(repo, monkeypatch, "register", "churn", "--push")
    assert "created here but pushing them to `origin` failed" in err
    assert "git push origin 'churn@v0.0.1'" in err
    assert git(repo, "tag", "-l") == "churn@v0.0.1"


def test_push_without_origin_says_there_is_none(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    err = _fails(repo, monkeypatch, "register", "churn", "--push")
    assert "this repository has no remote `origin` to push them to" in err
    assert "`git remote add origin URL`" in err and "git push origin 'churn@v0.0.1'" in err
    assert "repository exists" not in err and "access rights" not in err
    assert git(repo, "tag", "-l") == "churn@v0.0.1"


def test_push_failure_shows_gits_reason(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "missing.git"
    git(repo, "remote", "add", "origin", str(missing))
    err = _fails(repo, monkeypatch, "register", "churn", "--push")
    assert f"failed ('{missing}' does not appear to be a git repository)" in err
    assert "repository exists" not in err


def test_tagging_without_a_git_identity_names_the_fix(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    empty = repo.parent / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    # No guessing from the host name either, wherever the tests run.
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.useConfigOnly")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "true")
    err = _fails(repo, monkeypatch, "register", "churn")
    assert "cannot create the tag `churn@v0.0.1`: git does not know who you are" in err
    assert "`git config user.email EMAIL`" in err
    assert git(repo, "tag", "-l") == ""


def test_a_deprecated_artifact_leaves_show(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    clock.tick()
    assert toolkit(repo, monkeypatch, "model", "register", "churn")[0] == 0
    clock.tick()  # after the registration (a date in the past: future dates are refused)
    git(repo, "tag", "-a", "-m", "Deprecating churn", "churn@deprecated#1")
    code, out, _ = toolkit(repo, monkeypatch, "model", "show", "--json")
    assert code == 0 and json.loads(out) == {}
    assert "churn is deprecated" in _fails(repo, monkeypatch, "show", "churn")
    code, out, _ = toolkit(repo, monkeypatch, "model", "history", "churn", "--json")
    assert code == 0 and [e["event"] for e in json.loads(out)] == ["deprecation", "registration"]
