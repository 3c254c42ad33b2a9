"""TOOLKIT_RUNS_ON as act evaluates the generated `runs-on:` (a label, a JSON list, or unset).

The pipeline job's `runs-on:` and `timeout-minutes:`, exactly as main.yml has them, in a job whose
one step echoes; act evaluates them with the repository variables given by `--var` and picks the
runner by the labels they yield: a job whose labels no `-P LABEL=...` maps is skipped, naming
each label (ubuntu-latest is always mapped to this machine, so that act never reaches for its
built-in Docker image). So the labels the expression yields are read off what act does. Fast (no step runs).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.act.harness import ACT
from toolkit import scaffold


@pytest.fixture(scope="module")
def main_yml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs-on")
    workflow = root / ".github" / "workflows" / "main.yml"
    workflow.parent.mkdir(parents=True)
    generated = yaml.safe_load(scaffold.render(root / "demo")[".github/workflows/main.yml"])
    job = generated["jobs"]["reproduce"]
    workflow.write_text(yaml.safe_dump({
        "name": "runs-on", "on": "push", "permissions": {},
        "jobs": {"reproduce": {"runs-on": job["runs-on"], "timeout-minutes": job["timeout-minutes"],
                               "steps": [{"run": "echo the job ran"}]}},
    }, sort_keys=False))
    (root / "event.json").write_text(json.dumps({"ref": "refs/heads/main", "repository": {
        "full_name": "octo/demo", "default_branch": "main"}}))
    return workflow


def _labels(main_yml: Path, variable: str | None, mapped: str) -> tuple[bool, list[str]]:
    """(whether the job ran, the labels act names when it skips) with `mapped` mapped."""
    root = main_yml.parents[2]
    command = [str(ACT), "push", "-C", str(root), "-W", str(main_yml), "-e", str(root / "event.json"),
               "-P", "ubuntu-latest=-self-hosted", "-P", f"{mapped}=-self-hosted",
               "--action-cache-path", str(root / "act"),
               "--artifact-server-addr", "127.0.0.1", "--cache-server-addr", "127.0.0.1",
               "--cache-server-port", "0", "--env", "GITHUB_REPOSITORY=octo/demo"]
    if variable is not None:
        command += ["--var", f"TOOLKIT_RUNS_ON={variable}"]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(root)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    skipped = [line.split("-P ", 1)[1].split("=", 1)[0] for line in done.stdout.splitlines()
               if "Skipping unsupported platform" in line]
    ran = "| the job ran" in done.stdout
    assert done.returncode == 0 and ran != bool(skipped), done.stdout + done.stderr
    return ran, skipped


@pytest.mark.parametrize(
    ("variable", "labels"),
    [
        (None, ["ubuntu-latest"]),  # unset: GitHub's hosted runner
        ("", ["ubuntu-latest"]),  # set empty: the same
        ("gpu-pool", ["gpu-pool"]),  # a label (not JSON)
        ('["self-hosted", "gpu"]', ["self-hosted", "gpu"]),  # a JSON list: every label
        ('["self-hosted"]', ["self-hosted"]),
    ],
)
def test_runs_on_takes_a_label_or_a_json_list(
    main_yml: Path, variable: str | None, labels: list[str]
) -> None:
    # Only GitHub's hosted label is mapped (act has built-in images for it, never used here).
    ran, skipped = _labels(main_yml, variable, "ubuntu-latest")
    assert (ran, skipped) == ((True, []) if labels == ["ubuntu-latest"] else (False, labels))
    ran, skipped = _labels(main_yml, variable, labels[-1])
    assert ran and not skipped
