"""Untrusted text is inert: in Markdown (no mentions, links, bidi) and in logs (no `::` commands)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.gitrepo import make_repo, write_files
from toolkit import markdown
from toolkit.errors import ToolkitError

HOSTILE = "@octocat cc @org/team see https://evil.example www.evil.example \u202egnp.exe\x1b[2J\x07"


def test_markdown_escape_neutralises_mentions_links_and_bidi() -> None:
    out = markdown.escape(HOSTILE)
    assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", out)  # no @mention GitHub would link
    assert "https://" not in out and "www.evil" not in out
    assert "\u202e" not in out and "\x1b" not in out and "\x07" not in out
    assert "octocat" in out and "evil.example" in out  # still readable


def test_code_spans_drop_controls_and_bidi() -> None:
    out = markdown.code("loss\u202e\u2066x\x1b")
    assert out.startswith("`") and "\u202e" not in out and "\u2066" not in out and "\x1b" not in out


def test_terminal_text_cannot_start_a_workflow_command() -> None:
    from toolkit import inert

    text = inert.terminal("ok\n::error title=x::pwned\n  ::add-mask::x\n##[error]old style\n\x1b[31m")
    for line in text.split("\n"):
        assert not line.lstrip().startswith(("::", "##[")), line
    assert "\\x1b" in text


def test_a_toolkit_error_message_is_inert_when_shown(capsys: pytest.CaptureFixture[str]) -> None:
    exc = ToolkitError("bad path eval/a\n::error title=t::forged\u202e")
    exc.show()
    err = capsys.readouterr().err
    assert "\n::error" not in err and "\u202e" not in err
    assert isinstance(exc, click.ClickException)


def _lines_starting_commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith(("::", "##["))]


def test_paths_and_names_from_the_pr_cannot_forge_log_commands(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "dvc.yaml": 'metrics:\n  - "eval/a\\n::error title=Gate::forged.json"\n  - eval/m.json\n',
            "eval/m.json": json.dumps({HOSTILE: 1, "@octocat https://evil.example": 9}),
            # A failing gate puts the metric's name in prose (the reason line), not a code span.
            "toolkit.yaml": 'gates:\n  - metric: "@octocat https://evil.example"\n    min: 5\n',
        },
    )
    write_files(
        repo,
        {"eval/m.json": json.dumps({HOSTILE + "\n::warning::x": 2, "@octocat https://evil.example": 1})},
    )
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    for args in (["diff"], ["diff", "--md"], ["report"], ["gates"]):
        done = subprocess.run(
            [sys.executable, "-m", "toolkit", *args], cwd=repo, env=env, capture_output=True, text=True
        )
        assert "Traceback" not in done.stderr, done.stderr
        forged = [x for x in _lines_starting_commands(done.stdout + "\n" + done.stderr)
                  if not x.startswith(("::group::", "::endgroup::"))]
        assert forged == [], (args, forged)
        assert "\u202e" not in done.stdout + done.stderr and "\x1b" not in done.stdout + done.stderr
        if args == ["report"]:
            # Inside code spans GitHub links nothing; everywhere else nothing may link.
            prose = re.sub(r"(`+).*?\1", "", done.stdout)
            assert "@octocat" not in prose and "https://evil" not in prose
            assert "\ufffd" in done.stdout  # the bidi and escape characters, replaced
            assert "octocat" in prose and "evil.example" in prose  # the gate's reason, inert
