"""Promotion and rollback gates on metrics that are NaN: a diverged model never passes promotion, and
a rollback (the emergency exit) goes ahead while saying which gates its target fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, git, make_repo, write_files
from tests.registry_helpers import Clock, gto_json, toolkit

DVC_YAML = """\
artifacts:
  churn:
    path: model.pkl
    type: model
metrics:
  - eval/metrics.json
"""
GATES = """\
gates:
  - metric: roc_auc
    min: 0.8
    max_drop: 0.05
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """churn v1.0.0 (roc_auc 0.75, below the floor), v2.0.0 (0.9), v3.0.0 (NaN: it diverged)."""
    path = make_repo(
        tmp_path / "repo",
        {"dvc.yaml": DVC_YAML, "toolkit.yaml": GATES, "model.pkl": "1", "eval/metrics.json": "{}"},
    )
    clock = Clock(monkeypatch)
    for version, roc_auc in (("v1.0.0", "0.75"), ("v2.0.0", "0.9"), ("v3.0.0", "NaN")):
        write_files(path, {"model.pkl": version, "eval/metrics.json": f'{{"roc_auc": {roc_auc}}}'})
        commit_all(path, f"model {version}")
        clock.tick()
        assert toolkit(path, monkeypatch, "model", "register", "churn", "--version", version)[0] == 0
    return path


def test_a_diverged_model_is_not_promoted_and_rollback_warns_about_its_targets_gates(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    clock.now += 100  # after the fixture's registrations

    def model(*args: str) -> tuple[int, str, str]:
        clock.tick()
        return toolkit(repo, monkeypatch, "model", *args)

    promote = ("promote", "churn", "--stage", "prod", "--version")
    assert model(*promote, "v1.0.0")[0] == 3  # below the floor
    assert model(*promote, "v1.0.0", "--force", "--reason", "baseline")[0] == 0
    assert model(*promote, "v2.0.0")[0] == 0

    before = git(repo, "tag", "-l")
    code, out, _ = model(*promote, "v3.0.0")
    assert code == 3, out
    for rule in ("min 0.8", "max_drop 0.05"):
        assert (
            f"FAIL: roc_auc is NaN at the head: a diverged or broken run cannot pass `{rule}`" in out
        )
    assert "None" not in out and "nan" not in out
    assert git(repo, "tag", "-l") == before  # not promoted
    code, out, _ = model(*promote, "v3.0.0", "--force", "--reason", "demo")
    assert code == 0 and "forced past failed gates" in out

    # Back to v2.0.0: its max_drop cannot be measured against v3.0.0's NaN; the warning says so.
    code, out, err = model("rollback", "churn", "--stage", "prod")
    assert code == 0, out + err
    assert "Rolled back churn prod: v3.0.0 -> v2.0.0" in out
    assert (
        "Warning: churn v2.0.0: roc_auc is NaN at the base, so `max_drop 0.05` cannot be computed "
        "against it; it passes unchecked (the head is 0.9)" in err
    )
    assert "rolling back anyway" not in err  # no gate failed

    # Back to v1.0.0, which fails both gates: warnings, not a refusal.
    code, out, err = model("rollback", "churn", "--stage", "prod")
    assert code == 0, out + err
    assert "Rolled back churn prod: v2.0.0 -> v1.0.0" in out
    assert "Warning: churn v1.0.0: roc_auc is 0.75, below the minimum 0.8 (toolkit.yaml line 2)" in err
    assert "Warning: churn v1.0.0 fails 2 gate(s); rolling back anyway" in err
    assert "FAIL:" not in out  # the table says FAIL; nothing refuses
    on = git(repo, "tag", "-l", "--format=%(contents)", "churn#prod#7")  # the rollback's assignment
    assert "Failed gates (a rollback is forced by nature):" in on and "below the minimum 0.8" in on
    shown = json.loads(model("show", "--json")[1])
    assert shown == gto_json(repo, "show") and shown["churn"]["stage"]["prod"] == "v1.0.0"

    code, _, err = model("rollback", "churn", "--stage", "prod")
    assert code == 1 and "nothing left to roll back to" in err


def test_model_card_shows_nan(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = toolkit(repo, monkeypatch, "model", "card", "churn@v3.0.0")
    assert code == 0, err
    assert "| eval/metrics.json | roc\\_auc | NaN |" in out
    assert "None" not in out and "nan" not in out
