"""Registry state read from tags: `toolkit model show/history --json` against gto on the same repos."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.registry_helpers import (
    Clock,
    artifact_repo,
    git,
    gto_json,
    gto_write,
    new_commit,
    toolkit,
)
from toolkit.registry import refs, state


def _ours(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> object:
    code, out, err = toolkit(repo, monkeypatch, "model", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def _same_history(repo: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict[str, object]]:
    ours = _ours(repo, monkeypatch, "history", name)
    theirs = gto_json(repo, "history", name)
    assert ours == theirs
    return ours  # type: ignore[return-value]


def test_our_tags_read_the_same_in_gto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = artifact_repo(tmp_path / "repo")
    clock = Clock(monkeypatch)
    first = git(repo, "rev-parse", "HEAD")
    clock.tick()
    assert toolkit(repo, monkeypatch, "model", "register", "churn")[0] == 0
    second = new_commit(repo, "two")
    clock.tick()
    assert toolkit(repo, monkeypatch, "model", "register", "churn", "--bump", "minor")[0] == 0
    clock.tick()
    assert (
        toolkit(
            repo, monkeypatch, "model", "register", "nested/dir:ranker", first, "--version", "v2.0.0-rc.1"
        )[0]
        == 0
    )
    for version, stage in (("v0.0.1", "prod"), ("v0.1.0", "dev"), ("v0.1.0", "prod")):
        clock.tick()
        code, out, err = toolkit(
            repo, monkeypatch, "model", "promote", "churn", "--version", version, "--stage", stage
        )
        assert code == 0, out + err
    clock.tick()
    code, out, _ = toolkit(repo, monkeypatch, "model", "rollback", "churn", "--stage", "prod")
    assert code == 0 and "v0.1.0 -> v0.0.1" in out

    ours = _ours(repo, monkeypatch, "show")
    assert ours == gto_json(repo, "show")
    assert ours == {
        "churn": {
            "version": "v0.1.0",
            "stage": {"dev": "v0.1.0", "prod": "v0.0.1"},
            "registered": True,
            "active": True,
        },
        "nested/dir:ranker": {
            "version": "v2.0.0-rc.1",
            "stage": {"dev": None, "prod": None},
            "registered": True,
            "active": True,
        },
    }
    history = _same_history(repo, monkeypatch, "churn")
    # The rollback: the bad version leaves prod, the previous one gets it back (same second).
    assert [(h["ref"], h["event"]) for h in history[:2]] == [
        ("churn#prod!#4", "unassignment"),
        ("churn#prod#5", "assignment"),
    ]
    assert {h["commit"] for h in history} == {first, second}
    _same_history(repo, monkeypatch, "nested/dir:ranker")
    tag_names = git(repo, "tag", "-l").splitlines()
    assert "nested/dir=ranker@v2.0.0-rc.1" in tag_names  # `:` is written `=` in a tag


def test_tags_gto_wrote_read_the_same_in_toolkit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = artifact_repo(tmp_path / "repo")
    first = git(repo, "rev-parse", "HEAD")
    gto_write(repo, "register", "churn", first)
    second = new_commit(repo, "two")
    gto_write(repo, "register", "churn", second, "--bump-major")
    gto_write(repo, "assign", "churn", "--version", "v0.0.1", "--stage", "prod")
    gto_write(repo, "assign", "churn", "--version", "v1.0.0", "--stage", "prod")
    third = new_commit(repo, "three")
    # An assignment with skipped registration: the stage's version is the commit's sha.
    gto_write(repo, "assign", "churn", third, "--stage", "staging", "--sr")
    gto_write(repo, "deprecate", "churn", "v1.0.0", "prod")  # unassign
    gto_write(repo, "register", "nested/dir:ranker", first)
    gto_write(repo, "deprecate", "nested/dir:ranker")

    ours = _ours(repo, monkeypatch, "show")
    assert ours == gto_json(repo, "show")
    assert ours["churn"]["stage"] == {"prod": "v0.0.1", "staging": third}  # type: ignore[index]
    assert "nested/dir:ranker" not in ours  # type: ignore[operator]
    _same_history(repo, monkeypatch, "churn")
    _same_history(repo, monkeypatch, "nested/dir:ranker")

    # Our next write continues gto's counter.
    code, out, err = toolkit(repo, monkeypatch, "model", "register", "churn", third, "--version", "v1.1.0")
    assert code == 0, err
    code, out, err = toolkit(
        repo, monkeypatch, "model", "promote", "churn", "--version", "v1.1.0", "--stage", "prod"
    )
    assert code == 0, err
    assert "churn#prod#5" in out  # gto used #1-#4 (registrations carry no #N)
    assert _ours(repo, monkeypatch, "show") == gto_json(repo, "show")


def test_lightweight_and_foreign_tags_are_ignored_but_counted(tmp_path: Path) -> None:
    repo = artifact_repo(tmp_path / "repo")
    git(repo, "tag", "churn#prod#9")  # lightweight: not an event, but its N is taken
    git(repo, "tag", "-a", "-m", "release", "v1.0.0")
    git(repo, "tag", "-a", "-m", "x", "churn@1.0.0")  # no `v`: not a registry tag
    reg = state.load(repo)
    assert reg.artifacts == {}
    assert reg.next_counter("churn") == 10


def _record(ref: str, kind: str, when: str, message: str = "", **more: str) -> str:
    """One record of `git for-each-ref --format=<refs._FORMAT>` output."""
    tagged = kind == "tag"
    fields = [
        ref,
        kind,
        more.get("obj", "b" * 40),
        "a" * 40 if tagged else "",
        "commit" if tagged else "",
        when if tagged else "",
        f"1970-01-01T00:00:0{when}+00:00" if tagged else "",
        "Ann" if tagged else "",
        "a@x" if tagged else "",
        "" if tagged else when,
        more.get("symref", ""),
        message,
    ]
    assert len(fields) == len(refs._FIELDS)
    return "\0".join(fields) + "\0\n"


def test_for_each_ref_output_with_multiline_messages() -> None:
    text = (
        _record("refs/tags/churn#prod#2", "tag", "5", "line 1\n\nline 3\n")
        + _record("refs/tags/churn@v1.0.0", "tag", "4", "reg\n")
        + _record("refs/heads/main", "commit", "3")
        + _record("refs/remotes/origin/HEAD", "commit", "3", symref="refs/remotes/origin/main")
        + _record("refs/remotes/origin/main", "commit", "2", obj="c" * 40)
    )
    found = refs.parse_output(text)
    assert [e.tag for e in found.events] == ["churn@v1.0.0", "churn#prod#2"]
    assert found.events[1].message == "line 1\n\nline 3"
    assert found.counters == {"churn": 2}
    assert found.names == {"churn#prod#2", "churn@v1.0.0"}
    assert {r: (b.commit, b.time, b.label) for r, b in found.branches.items()} == {
        "refs/heads/main": ("b" * 40, 3, "main"),
        "refs/remotes/origin/main": ("c" * 40, 2, "origin/main"),
    }
    assert found.symrefs == {"refs/remotes/origin/HEAD": "refs/remotes/origin/main"}


def _prod(repo: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """The version in prod, by our reading, checked to be gto's."""
    shown = _ours(repo, monkeypatch, "show")
    assert shown == gto_json(repo, "show")
    return shown["churn"]["stage"]["prod"]  # type: ignore[index]


def _three_in_prod(repo: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """churn v1.0.0 -> v2.0.0 -> v3.0.0 promoted to prod, one commit each."""
    for text, version in (("one", "v1.0.0"), ("two", "v2.0.0"), ("three", "v3.0.0")):
        if text != "one":
            new_commit(repo, text)
        clock.tick()
        assert toolkit(repo, monkeypatch, "model", "register", "churn", "--version", version)[0] == 0
        clock.tick()
        code, out, err = toolkit(
            repo, monkeypatch, "model", "promote", "churn", "--version", version, "--stage", "prod"
        )
        assert code == 0, out + err


def _rollback(repo: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> tuple[int, str, str]:
    clock.tick()
    return toolkit(repo, monkeypatch, "model", "rollback", "churn", "--stage", "prod", "--reason", "r")


def test_rollback_walks_back_through_the_stage_history_as_gto_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = artifact_repo(tmp_path / "repo")
    clock = Clock(monkeypatch)
    _three_in_prod(repo, monkeypatch, clock)
    clock.tick()
    assert (
        toolkit(repo, monkeypatch, "model", "promote", "churn", "--version", "v2.0.0", "--stage", "dev")[0]
        == 0
    )
    for expected in ("v2.0.0", "v1.0.0"):  # never back to the version just rolled away from
        code, out, err = _rollback(repo, monkeypatch, clock)
        assert code == 0, out + err
        assert _prod(repo, monkeypatch) == expected
    before = git(repo, "tag", "-l")
    code, out, err = _rollback(repo, monkeypatch, clock)
    assert code == 1 and out == ""
    assert err.startswith("Error: nothing left to roll back to in stage prod: the versions that held it ")
    assert "before v1.0.0 (v2.0.0, v3.0.0) were rolled back from" in err
    assert git(repo, "tag", "-l") == before  # nothing written
    assert _prod(repo, monkeypatch) == "v1.0.0"
    # Another stage keeps its own history: dev was never touched.
    assert _ours(repo, monkeypatch, "show")["churn"]["stage"]["dev"] == "v2.0.0"  # type: ignore[index]

    # A promotion starts the walk again; a version rolled back from stays out until promoted again.
    clock.tick()
    code, _, err = toolkit(
        repo, monkeypatch, "model", "promote", "churn", "--version", "v3.0.0", "--stage", "prod"
    )
    assert code == 0, err
    assert _prod(repo, monkeypatch) == "v3.0.0"
    code, out, _ = _rollback(repo, monkeypatch, clock)
    assert code == 0 and "v3.0.0 -> v1.0.0" in out  # not v2.0.0, rolled back from before
    assert _prod(repo, monkeypatch) == "v1.0.0"
    assert _rollback(repo, monkeypatch, clock)[0] == 1
    history = _same_history(repo, monkeypatch, "churn")
    rollbacks = [h["ref"] for h in history if "Rollback from" in str(h["message"])]
    assert len(rollbacks) == 3


def test_rollback_skips_a_deregistered_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = artifact_repo(tmp_path / "repo")
    clock = Clock(monkeypatch)
    _three_in_prod(repo, monkeypatch, clock)
    gto_write(repo, "deprecate", "churn", "v2.0.0")  # deregisters it (stamped now, after the above)
    clock.now = int(time.time()) + 1
    code, out, err = _rollback(repo, monkeypatch, clock)
    assert code == 0, err
    assert "v3.0.0 -> v1.0.0" in out and _prod(repo, monkeypatch) == "v1.0.0"
    code, _, err = _rollback(repo, monkeypatch, clock)
    assert code == 1 and "nothing left to roll back to" in err and "deregistered" in err
