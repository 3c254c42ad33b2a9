"""`toolkit diff` end to end: output formats, errors (exit 1, no traceback), shallow clones, imports."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.gitrepo import commit_all, git, make_repo, write_files
from toolkit.cli import cli

DVC_YAML = """\
stages:
  evaluate:
    cmd: python evaluate.py
    metrics:
      - eval/metrics.json:
          cache: false
metrics:
  - eval/extra.yaml
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(
        tmp_path / "repo",
        {
            "dvc.yaml": DVC_YAML,
            "params.yaml": "lr: 0.1\n",
            "eval/metrics.json": json.dumps({"acc": 0.8, "loss": 0.5}),
            "eval/extra.yaml": "f1: 0.7\n",
        },
    )
    monkeypatch.chdir(path)
    return path


def _diff(*args: str) -> Result:
    return CliRunner().invoke(cli, ["diff", *args], catch_exceptions=False)


def _error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ") and err.count("\n") == 0, err
    return err


def test_json_table_and_md(repo: Path) -> None:
    write_files(
        repo, {"eval/metrics.json": json.dumps({"acc": 0.9, "loss": 0.5}), "params.yaml": "lr: 0.2\n"}
    )
    result = _diff("--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"metrics", "params"}
    assert data["metrics"] == {
        "eval/metrics.json": {
            "acc": {
                "old": 0.8,
                "new": 0.9,
                "diff": 0.09999999999999998,
                "status": "modified",
                "rel": 0.12499999999999997,
                "direction": "higher",
                "improved": True,
            },
        }
    }
    assert data["params"]["params.yaml"]["lr"]["diff"] == 0.1
    assert set(json.loads(_diff("--json", "--all").stdout)["metrics"]["eval/extra.yaml"]) == {"f1"}

    table = _diff().stdout
    assert "eval/metrics.json  acc" in table and "+0.1 (+12.5%) better" in table and "workspace" in table
    assert "f1" not in table  # unchanged: only with --all
    assert "f1" in _diff("--all").stdout

    md = _diff("--md").stdout
    assert md.startswith("| Path | Metric |") and "| eval/metrics.json | acc |" in md


def test_no_changes(repo: Path) -> None:
    out = _diff().stdout
    assert out.startswith("No changes in metrics or params between main (")
    assert json.loads(_diff("--json").stdout) == {"metrics": {}, "params": {}}


def test_hostile_key_names_in_markdown(repo: Path) -> None:
    hostile = {"a|b": 1, "`code`": 2, "line\nbreak": 3, "<img src=x>": 4, "**bold**": 5}
    write_files(repo, {"eval/metrics.json": json.dumps(hostile)})
    md = _diff("--md").stdout
    rows = [line for line in md.splitlines() if line.startswith("| eval/metrics.json")]
    assert len(rows) == len(hostile) + 2  # + acc, loss removed
    for row in rows:
        # Every row keeps exactly the table's five cells: no unescaped `|` leaks out.
        cells = row.replace("\\|", "").split("|")
        assert len(cells) == 7, row
    assert "a\\|b" in md and "\\`code\\`" in md and "line break" in md
    assert "<img" not in md and "&lt;img src=x&gt;" in md and "\\*\\*bold\\*\\*" in md
    table = _diff().stdout
    assert "line\\nbreak" in table  # one row per key in the terminal too


def test_control_characters_do_not_reach_the_terminal(repo: Path) -> None:
    write_files(repo, {"eval/metrics.json": json.dumps({"\x1b[31mred": 1, "acc": "a\rb"})})
    table = _diff().stdout
    assert "\x1b" not in table and "\r" not in table
    assert "\\x1b[31mred" in table and "a\\rb" in table


@pytest.mark.parametrize(
    ("where", "path", "content", "needle"),
    [
        ("base", "eval/metrics.json", '{"acc": 0.8,', "eval/metrics.json at main ("),
        ("head", "eval/metrics.json", '{"acc": NaN oops}', "eval/metrics.json at the workspace"),
        ("base", "eval/extra.yaml", "f1: [0.7\n", "eval/extra.yaml at main ("),
        ("head", "params.yaml", "lr: 0.1\n  bad: indent\n", "params.yaml at the workspace"),
    ],
)
def test_broken_files_exit_1_naming_file_and_revision(
    repo: Path, where: str, path: str, content: str, needle: str
) -> None:
    write_files(repo, {path: content})
    if where == "base":
        commit_all(repo, "broken")
        git(repo, "checkout", "-q", "HEAD~1", "--", path)  # the workspace is fine again
    err = _error(_diff("--json"))
    assert needle in err and "not valid" in err


def test_unknown_revision(repo: Path) -> None:
    err = _error(_diff("--base", "no-such-branch"))
    assert "`no-such-branch`" in err
    err = _error(_diff("--head", "deadbeef1234"))
    assert "`deadbeef1234`" in err


def test_not_a_git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "not inside a git repository" in _error(_diff())


def test_missing_file_is_a_warning_and_in_json(repo: Path) -> None:
    (repo / "eval" / "extra.yaml").unlink()
    result = _diff("--json")
    assert result.exit_code == 0
    assert (
        "Warning: metrics file eval/extra.yaml is declared in dvc.yaml but missing in the workspace"
        in result.stderr
    )
    data = json.loads(result.stdout)
    assert data["metrics"]["eval/extra.yaml"]["f1"]["status"] == "removed"
    assert data["problems"][0]["kind"] == "missing" and data["problems"][0]["revision"] == "workspace"


@pytest.mark.parametrize(
    ("name", "text", "acc"),
    [
        ("eval/metrics.json", '{"acc": NaN, "loss": Infinity, "gap": -Infinity, "l": [1, NaN]}', "NaN"),
        ("eval/metrics.yaml", "acc: .nan\nloss: .inf\ngap: -.inf\nl: [1, .NaN]\n", "acc: .nan"),
        ("eval/metrics.toml", "acc = nan\nloss = inf\ngap = -inf\nl = [1, nan]\n", "acc = nan"),
    ],
)
def test_nan_and_infinity_are_shown_as_such_never_as_none(
    repo: Path, name: str, text: str, acc: str
) -> None:
    write_files(repo, {"dvc.yaml": DVC_YAML.replace("eval/extra.yaml", name), name: text})
    commit_all(repo, "a diverged run")
    recovered = acc.replace(".nan", "0.5").replace("nan", "0.5").replace("NaN", "0.5")
    write_files(repo, {name: text.replace(acc, recovered, 1)})  # acc recovers
    commit_all(repo, "recovered")
    base_head = ("--base", "HEAD~1", "--head", "HEAD")
    out = _diff("--json", *base_head, "--all").stdout
    # DVC's tokens, as `dvc metrics diff --json` prints them (test_diff_differential compares).
    assert '"old": NaN, "new": 0.5, "diff": NaN' in out and "null" not in out
    data = json.loads(out)["metrics"][name]
    assert math.isnan(data["loss"].pop("diff"))  # inf - inf, as DVC computes it
    assert data["loss"] == {"old": math.inf, "new": math.inf, "status": "unchanged", "direction": "lower"}
    assert data["gap"]["new"] == -math.inf
    assert data["acc"]["status"] == "modified" and data["acc"]["improved"] is True  # no longer NaN

    for args in ((), ("--md",)):
        shown = _diff(*base_head, "--all", *args).stdout
        assert "None" not in shown and "null" not in shown and "nan" not in shown, shown
        for cell in ("NaN", "inf", "-inf", "1, NaN"):  # the list cell too
            assert cell in shown, (cell, shown)
    table = _diff(*base_head).stdout
    row = next(line for line in table.splitlines() if " acc " in line)
    assert row.split()[2:] == ["NaN", "0.5", "NaN", "better"]  # base, head and the change


def _toolkit(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
    )


def test_shallow_clone_of_a_pr_branch(repo: Path, tmp_path: Path) -> None:
    main = git(repo, "rev-parse", "main")
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"eval/metrics.json": json.dumps({"acc": 0.85, "loss": 0.4})})
    commit_all(repo, "better")
    git(repo, "checkout", "-q", "main")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", repo.as_uri(), str(work))
    assert git(work, "rev-parse", "--is-shallow-repository") == "true"

    proc = _toolkit(work, "diff", "--json")
    assert proc.returncode == 0, proc.stderr
    acc = json.loads(proc.stdout)["metrics"]["eval/metrics.json"]["acc"]
    assert (acc["old"], acc["new"]) == (0.8, 0.85)
    assert git(work, "rev-parse", "origin/main") == main  # fetched, nothing else
    assert git(work, "rev-parse", "--is-shallow-repository") == "true"

    # In a pull_request run the payload's base sha is the base (fetched in a fresh clone).
    work2 = tmp_path / "work2"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", repo.as_uri(), str(work2))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"ref": "main", "sha": main}}}))
    env = dict(os.environ, GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=str(event))
    proc = _toolkit(work2, "diff", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["metrics"]["eval/metrics.json"]["acc"]["old"] == 0.8


def test_diff_path_imports_no_heavy_package(repo: Path) -> None:
    write_files(repo, {"eval/metrics.json": json.dumps({"acc": 0.9})})
    probe = (
        "import sys\n"
        "from toolkit.cli import cli\n"
        "try:\n    cli.main(['diff', '--json'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "heavy = {m.split('.')[0] for m in sys.modules}\n"
        "heavy &= {'dvc', 'sklearn', 'requests', 'jinja2', 'ruamel'}\n"
        "assert 'toolkit.compare' in sys.modules\n"
        "assert not heavy, heavy\n"
        "# Plain YAML and no toolkit.yaml: PyYAML (13 ms to import) is not needed either.\n"
        "assert 'yaml' not in sys.modules, 'yaml imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '"acc"' in proc.stdout


def test_warnings_are_grouped_per_file_with_short_shas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import diff_repos

    shas = diff_repos.build(tmp_path / "repo")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "repo"), str(clone))  # no DVC cache here
    git(clone, "branch", "-q", "feature", "origin/feature")
    monkeypatch.chdir(clone)
    result = CliRunner().invoke(cli, ["diff", "--base", "main", "--head", "feature"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    cached = [w for w in warnings if "eval/cached.json" in w]
    assert len(cached) == 1, warnings  # one line for the file, both revisions named
    assert f"main ({shas['main'][:7]})" in cached[0]
    assert f"(the same at feature ({shas['feature'][:7]}))" in cached[0]
    assert shas["main"] not in result.stderr  # short shas only
