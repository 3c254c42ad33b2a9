"""Helpers for the GitHub-side tests: adapted payloads, Actions env, GITHUB_OUTPUT parsing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.github_server import BOT, OTHER_BOT, USER, GitHubServer
from tests.gitrepo import EVENTS
from toolkit.marker import format_marker

REPO = "Codertocat/Hello-World"  # the repository of the pull_request payloads
PR = 2


def adapt_event(source: str, dest: Path, changes: Mapping[str, Any] | None = None) -> Path:
    """Copy the payload `source` to `dest`, setting only `changes` ({"a.b.c": value})."""
    data = json.loads((EVENTS / source).read_text(encoding="utf-8"))
    for dotted, value in (changes or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node[key]
        node[leaf] = value
    dest.write_text(json.dumps(data), encoding="utf-8")
    return dest


def actions_env(
    tmp: Path,
    *,
    event: str = "pull_request",
    event_path: Path | None = None,
    api_url: str | None = None,
    token: str | None = None,
    repository: str = REPO,
) -> dict[str, str]:
    """The variables a GitHub Actions job step sees (files created under `tmp`)."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REPOSITORY": repository,
        "GITHUB_SHA": "9" * 40,  # the merge commit: never what we report as head
        "GITHUB_REF": f"refs/pull/{PR}/merge" if event == "pull_request" else "refs/heads/main",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "123456789",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKFLOW": "pr",
        "GITHUB_JOB": "check",
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GITHUB_OUTPUT": str(tmp / "output.txt"),
        "GITHUB_ENV": str(tmp / "env.txt"),
        "RUNNER_TEMP": str(tmp / "runner-temp"),
    }
    (tmp / "runner-temp").mkdir(exist_ok=True)
    for name in ("summary.md", "output.txt", "env.txt"):
        (tmp / name).touch()
    if event_path is not None:
        env["GITHUB_EVENT_PATH"] = str(event_path)
    if api_url is not None:
        env["GITHUB_API_URL"] = api_url
    if token is not None:
        env["GITHUB_TOKEN"] = token
    if event == "pull_request":
        env["GITHUB_BASE_REF"] = "master"
        env["GITHUB_HEAD_REF"] = "changes"
    return env


def parse_outputs(path: Path) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file the way the runner does (name=value and name<<DELIM blocks)."""
    out: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            while lines[i] != delimiter:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        else:
            name, value_ = line.split("=", 1)
            out[name] = value_
    return out


def seed_busy_pr(gh: GitHubServer, n: int = 250) -> None:
    """`n` comments, among them look-alikes of ours that must never be touched."""
    ours = format_marker("default")
    lookalikes = [
        (f"> {ours}\n> quoting the bot's report", USER),  # a quote: marker not on the first line
        (f"{ours}\nA user pasted the marker on the first line.", USER),
        (f"{ours}\nAnother bot's report with our very marker.", OTHER_BOT),
        (f"{ours}\nWritten by an account deleted since.", None),
        (f"{format_marker('nightly')}\nOur bot, another workflow's report id.", BOT),
        ("Our bot, no marker at all.", BOT),
        ("<!-- toolkit:report id=default\nalmost a marker -->", BOT),
    ]
    step = n // (len(lookalikes) + 1)
    for i in range(n):
        if i % step == step // 2 and lookalikes:
            body, user = lookalikes.pop(0)
        else:
            body, user = f"LGTM {i}", USER
        gh.add_comment(REPO, PR, body, user=user)
    assert not lookalikes
