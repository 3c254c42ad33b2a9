"""The click layer: help, version, python -m, and the import budget of light commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import cli

COMMANDS = ("new", "repro", "diff", "report", "gates", "comment", "ci")
HEAVY = ("dvc", "sklearn", "requests")


def test_help_lists_every_command_with_a_purpose() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    lines = result.output.split("Commands:", 1)[1].strip("\n").splitlines()
    listed = {line.split()[0]: line for line in lines if line[:2] == "  " and line[2:3] != " "}
    for name in COMMANDS:
        assert name in listed, name
        assert len(listed[name].split()) > 2, f"{name} has no one-line purpose"


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_help_imports_no_heavy_package() -> None:
    code = (
        "from toolkit.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass"
    )
    loaded = _imported_after(code)
    assert "toolkit" in loaded  # the probe really ran the CLI
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_python_dash_m_toolkit_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "toolkit, version" in proc.stdout


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["diff", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_process_exit_codes_and_messages(tmp_path: Path) -> None:
    # Through the real entry point (main() ends the process itself): codes and stderr intact.
    def toolkit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "toolkit", *args], cwd=tmp_path, capture_output=True, text=True
        )

    outside = toolkit("diff")
    assert outside.returncode == 1
    assert outside.stderr.startswith("Error: ") and "not inside a git repository" in outside.stderr
    assert "Traceback" not in outside.stderr
    usage = toolkit("diff", "--nope")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    helped = toolkit("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("Usage: ")


# -- toolkit model (issue 11) ---------------------------------------------------------------------

REGISTRY_HEAVY = (*HEAVY, "gto", "numpy", "pandas", "scipy", "yaml", "jinja2")


def test_model_show_imports_nothing_heavy(tmp_path: Path) -> None:
    from tests.gitrepo import git, make_repo

    repo = make_repo(tmp_path / "repo", {"dvc.yaml": "artifacts:\n  churn:\n    path: m.pkl\n"})
    git(repo, "tag", "-a", "-m", "Registering", "churn@v1.0.0")
    git(repo, "tag", "-a", "-m", "Assigning", "churn#prod#1")
    code = (
        "import os, io, contextlib\n"
        f"os.chdir({str(repo)!r})\n"
        "from toolkit.cli import cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n        cli.main(['model', 'show', '--json'], standalone_mode=False)\n"
        "    except SystemExit as done:\n        assert done.code == 0, done.code\n"
        "assert '\"prod\": \"v1.0.0\"' in out.getvalue(), out.getvalue()"
    )
    loaded = _imported_after(code)
    assert "toolkit" in loaded
    assert not loaded & set(REGISTRY_HEAVY), loaded & set(REGISTRY_HEAVY)


def test_model_group_lists_its_commands() -> None:
    result = CliRunner().invoke(cli, ["model", "--help"])
    assert result.exit_code == 0
    for name in ("register", "promote", "rollback", "show", "history", "describe", "card", "deliver"):
        assert f"  {name} " in result.output, name

# -- monitoring commands (issue 12) --------------------------------------------------------------

DATA_HEAVY = ("pandas", "scipy", "numpy", "sklearn", "dvc", "requests")


def test_monitoring_commands_are_listed() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "drift" in result.output and "monitor" in result.output


def test_help_and_drift_help_import_no_data_library() -> None:
    for argv in (["--help"], ["drift", "--help"], ["monitor", "--help"]):
        code = (
            "from toolkit.cli import cli\n"
            f"try:\n    cli.main({argv!r}, standalone_mode=False)\nexcept SystemExit:\n    pass"
        )
        loaded = _imported_after(code)
        assert "toolkit" in loaded
        assert not loaded & set(DATA_HEAVY), (argv, loaded & set(DATA_HEAVY))


# -- the first hour of a new user (issue 10) ---------------------------------------------------


def test_quiet_after_the_subcommand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = CliRunner().invoke(cli, ["-q", "repro"])
    after = CliRunner().invoke(cli, ["repro", "-q"])
    bad = CliRunner().invoke(cli, ["repro", "-x"])
    assert after.exit_code == before.exit_code == 1  # no dvc.yaml: the same error, no usage error
    assert after.output == before.output and "no such option" not in after.output
    assert bad.exit_code == 2  # other unknown options stay usage errors


def test_json_and_md_together_is_a_usage_error() -> None:
    drift = ["drift", "--reference", "a", "--current", "b"]
    for args in (["diff", "--json", "--md"], [*drift, "--md", "--json"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "--json and --md cannot be used together" in result.output
