"""`toolkit monitor` on a real scaffold: trained with the real dvc, the production model from a registry
tag, the batch shifted through params.yaml, the report, exit codes and Actions outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.gitrepo import commit_all, git
from tests.report_mermaid import check_xychart, mermaid_blocks
from tests.scaffold_helpers import dvc, isolated_env
from toolkit import dvc as tdvc
from toolkit import scaffold
from toolkit.cli import cli
from toolkit.monitor.production import production_revision


def _tag(repo: Path, name: str, rev: str, when: int) -> None:
    env = {**os.environ, "GIT_COMMITTER_DATE": f"{when} +0000"}
    subprocess.run(["git", "tag", "-a", name, rev, "-m", name], cwd=repo, env=env, check=True)


def _set_params(repo: Path, section: str, **values: object) -> None:
    path = repo / "params.yaml"
    data = yaml.safe_load(path.read_text())
    data[section].update(values)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, _git_config: Path) -> Iterator[Path]:
    """A scaffold trained once and committed, its commit tagged `model#prod#1`."""
    env = isolated_env(_git_config)
    base = tmp_path_factory.mktemp("monitor")
    made = scaffold.create(base / "churn", environ=env, cwd=base)
    tdvc.repro(made.root, environ=env)
    subprocess.run(["git", "add", "-A"], cwd=made.root, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "trained"], cwd=made.root, env=env, check=True)
    yield made.root


def monitor(
    repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str, env: dict[str, str] | None = None
) -> Result:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["monitor", *args], env=env)
    assert "Traceback" not in result.output
    return result


def test_monitor_lifecycle_on_a_real_project(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained = git(project, "rev-parse", "HEAD")
    _tag(project, "model#prod#1", trained, 1_700_000_000)

    # 1. The batch looks like the training data: no alert, everything checked.
    out, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    out.write_text("")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    result = monitor(project, monkeypatch, "-o", str(tmp_path / "calm.md"), "--fail-on-drift", env=env)
    assert result.exit_code == 0, result.output
    report = (tmp_path / "calm.md").read_text()
    assert report.startswith("<!-- toolkit:report id=model-monitoring alert=no -->")
    assert "Model monitoring: no drift" in report and "`model#prod#1`" in report and trained[:7] in report
    assert "No dataset drift" in report
    assert "**Prediction drift**: no drift" in report
    assert "**Performance** on 200 labelled rows: 2 gate(s) passed" in report
    assert "alert=false" in out.read_text()
    assert "Model monitoring: no drift" in summary.read_text()

    # 2. The production batch moves one standard deviation: data, predictions and accuracy drift.
    _set_params(project, "production", shift=1.0)
    dvc(project, "repro", "production_batch")
    result = monitor(project, monkeypatch, "-o", str(tmp_path / "drift.md"), "--fail-on-drift", env=env)
    assert result.exit_code == 3, result.output
    report = (tmp_path / "drift.md").read_text()
    assert report.startswith("<!-- toolkit:report id=model-monitoring alert=yes -->")
    assert "Dataset drift detected" in report
    assert "**Prediction drift**: **drift**" in report
    assert "Model monitoring: data drift, prediction drift and performance decay detected" in report
    blocks = mermaid_blocks(report)
    assert len(blocks) >= 2  # a chart per drifted column, and the predictions
    for block in blocks:
        check_xychart(block)
    table_rows = [line for line in report.splitlines() if line.startswith("| `")]
    first_clean = next(i for i, row in enumerate(table_rows) if "**drift**" not in row)
    assert all("**drift**" not in row for row in table_rows[first_clean:])  # drifted columns first
    assert "gate(s) failed" in report and "❌" in report
    assert "alert=true" in out.read_text()

    # 3. main moves on (retrained): the reference stays the production tag's training data.
    _set_params(project, "train", C=0.5)
    dvc(project, "repro")
    commit_all(project, "retrained")
    result = monitor(project, monkeypatch)
    assert result.exit_code == 0 and "`model#prod#1`" in result.stdout

    # 4. Unassigning prod falls back to main.
    _tag(project, "model#prod!#2", trained, 1_700_000_100)
    assert production_revision(project, None).name == "main"
    result = monitor(project, monkeypatch)
    assert result.exit_code == 0 and "`main`" in result.stdout


def test_production_revision_reads_gto_tags(project: Path) -> None:
    first = git(project, "rev-list", "--max-parents=0", "HEAD")
    head = git(project, "rev-parse", "HEAD")
    _tag(project, "other#prod#1", first, 1_700_000_200)
    _tag(project, "sub/dir=churn#prod#1", head, 1_700_000_300)
    _tag(project, "churn@v1.0.0", first, 1_700_000_400)  # a registration is not an assignment
    latest = production_revision(project, None)
    assert (latest.name, latest.sha, latest.artifact) == ("sub/dir=churn#prod#1", head, "sub/dir:churn")
    named = production_revision(project, "other")
    assert (named.name, named.sha) == ("other#prod#1", first)
    assert production_revision(project, "nobody").name == "main"


def test_missing_pieces_are_errors_or_notes(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No labels in the batch: performance is skipped with a note, the rest still runs.
    unlabelled = tmp_path / "batch.csv"
    lines = (project / "data/production/batch.csv").read_text().splitlines()
    unlabelled.write_text("\n".join(",".join(line.split(",")[:-1]) for line in lines) + "\n")
    result = monitor(project, monkeypatch, "--current", str(unlabelled))
    assert result.exit_code == 0, result.output
    assert "**Performance**: not checked: the batch has no \\`malignant\\` column" in result.stdout

    # A model that cannot score these columns: prediction drift and performance are notes.
    three = "a,b,malignant\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40))
    (tmp_path / "ref3.csv").write_text(three)
    (tmp_path / "cur3.csv").write_text(three)
    result = monitor(
        project,
        monkeypatch,
        "--reference",
        str(tmp_path / "ref3.csv"),
        "--current",
        str(tmp_path / "cur3.csv"),
    )
    assert result.exit_code == 0, result.output
    assert "**Prediction drift**: not checked: the model could not score the data" in result.stdout
    assert "**Performance**: not checked: the model could not score the batch" in result.stdout

    # The production commit's training data are not in the DVC cache: exit 1 with the fix.
    cache = project / ".dvc" / "cache"
    backup = tmp_path / "cache"
    shutil.move(cache, backup)
    try:
        result = monitor(project, monkeypatch)
        assert result.exit_code == 1
        assert "data/prepared/train.csv" in result.output and "dvc pull" in result.output
    finally:
        shutil.move(backup, cache)


def test_the_shape_limits_of_toolkit_yaml_hold_for_monitor(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = project / "toolkit.yaml"
    saved = settings.read_text()
    assert "drift:" not in saved
    columns = len((project / "data/prepared/train.csv").read_text().splitlines()[0].split(","))
    try:
        settings.write_text(saved + f"drift:\n  max_columns: {columns - 1}\n")
        result = monitor(project, monkeypatch)
        assert result.exit_code == 1
        assert f"data/prepared/train.csv has {columns} columns, more than the {columns - 1}" in result.output
        assert "`drift.max_columns` in toolkit.yaml" in result.output
        settings.write_text(saved + "drift:\n  max_cells: 100\n")
        result = monitor(project, monkeypatch)
        assert result.exit_code == 1 and "`drift.max_cells` in toolkit.yaml" in result.output
    finally:
        settings.write_text(saved)
    assert monitor(project, monkeypatch).exit_code == 0
