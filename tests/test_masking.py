"""Secret-looking param values never reach an output: diff (table, --json, --md), report, gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.gitrepo import commit_all, make_repo, write_files
from toolkit.cli import cli
from toolkit.masking import DEFAULT_SECRET_KEYS, MASK, SecretKeys, mask, words
from toolkit.results import Entry

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    params:
      - db
      - train
      - vars.yaml:
          - connection
    metrics:
      - eval/metrics.json:
          cache: false
"""

BASE_PARAMS = """\
db:
  host: db.internal
  password: hunter2-base
  userPassword: p4ss-base-camel
  API_KEY: sk-live-base
  credentials:
    user: admin
    secret_key: s3cr3t-base
train:
  lr: 0.1
  max_tokens: 512
  auth_token: tok-unchanged
"""

SECRETS = ("hunter2", "p4ss", "sk-live", "s3cr3t", "tok-unchanged", "dsn-value")


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("db.password", True),
        ("DB_PASSWORD", True),
        ("db.userPassword", True),
        ("apiKey", True),
        ("api-key", True),
        ("openai.API_KEY", True),
        ("aws_secret_access_key", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("credentials.user", True),
        ("hf_token", True),
        ("client.Secret", True),
        ("ssh.private_key", True),
        ("max_tokens", False),
        ("tokenizer", False),
        ("train.lr", False),
        ("secretary_count", False),
        ("keyboard.api", False),
        ("passwords_checked", False),
    ],
)
def test_secret_keys_match_words_of_any_segment(key: str, secret: bool) -> None:
    assert SecretKeys(DEFAULT_SECRET_KEYS).matches(key) is secret


def test_words() -> None:
    assert words("dbPassword") == ("db", "password")
    assert words("AWS_SECRET_ACCESS_KEY") == ("aws", "secret", "access", "key")
    assert words("HTTPToken2") == ("http", "token", "2")
    assert words("--") == ()


def test_mask_keeps_the_status_and_drops_the_value() -> None:
    entries = [
        Entry("p.yaml", "db.password", "a", "b", "modified"),
        Entry("p.yaml", "db.token", "same", "same", "unchanged"),
        Entry("p.yaml", "api_key", None, "new", "added"),
        Entry("p.yaml", "lr", 1, 2, "modified", 1, 1.0),
    ]
    out = mask(entries, DEFAULT_SECRET_KEYS)
    assert [(e.old, e.new, e.status, e.masked) for e in out] == [
        (MASK, MASK, "modified", True),
        (MASK, MASK, "unchanged", True),
        (None, MASK, "added", True),
        (1, 2, "modified", False),
    ]
    assert out[0].to_json() == {"old": MASK, "new": MASK, "status": "modified", "masked": True}
    assert mask(entries, ()) == entries


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(
        tmp_path / "repo",
        {
            "dvc.yaml": DVC_YAML,
            "params.yaml": BASE_PARAMS,
            "vars.yaml": "connection:\n  dsn: dsn-value-base\n",
            "eval/metrics.json": json.dumps({"acc": 0.8}),
        },
    )
    write_files(
        path,
        {
            "params.yaml": BASE_PARAMS.replace("-base", "-head").replace("lr: 0.1", "lr: 0.2"),
            "vars.yaml": "connection:\n  dsn: dsn-value-head\n",
            "eval/metrics.json": json.dumps({"acc": 0.9}),
            "toolkit.yaml": "gates:\n  - metric: acc\n    min: 0.5\nsecrets:\n  keys: [dsn]\n",
        },
    )
    commit_all(path, "head")
    monkeypatch.chdir(path)
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("diff", "--base", "HEAD~1"),
        ("diff", "--base", "HEAD~1", "--all"),
        ("diff", "--base", "HEAD~1", "--json", "--all"),
        ("diff", "--base", "HEAD~1", "--md", "--all"),
        ("report", "--base", "HEAD~1"),
        ("gates", "--base", "HEAD~1"),
        ("diff", "--base", "HEAD~1", "--head", "HEAD", "--json", "--all"),
    ],
)
def test_no_output_shows_a_secret(repo: Path, args: tuple[str, ...]) -> None:
    out = _run(*args)
    for secret in SECRETS:
        assert secret not in out, (secret, out)
    if "gates" not in args:
        assert "password" in out and "dsn" in out  # the keys are named
        assert "max_tokens" in out.replace("\\", "") or "--all" not in args


def test_the_diff_still_says_what_changed(repo: Path) -> None:
    data = json.loads(_run("diff", "--base", "HEAD~1", "--json", "--all").splitlines()[-1])
    params = data["params"]["params.yaml"]
    assert params["db.password"] == {"old": MASK, "new": MASK, "status": "modified", "masked": True}
    assert params["train.auth_token"] == {"old": MASK, "new": MASK, "status": "unchanged", "masked": True}
    assert params["db.credentials.user"]["status"] == "unchanged" and params["db.credentials.user"]["masked"]
    assert params["db.host"] == {"old": "db.internal", "new": "db.internal", "status": "unchanged"}
    assert params["train.max_tokens"]["new"] == 512 and "masked" not in params["train.max_tokens"]
    assert data["params"]["vars.yaml"]["connection.dsn"]["status"] == "modified"
    report = _run("report", "--base", "HEAD~1")
    assert "| `db.password` | `params.yaml` | `***` | `***` | changed |" in report
    assert "| `connection.dsn` | `vars.yaml` | `***` | `***` | changed |" in report


def test_secrets_defaults_false_shows_the_defaults(repo: Path) -> None:
    (repo / "toolkit.yaml").write_text("secrets:\n  keys: [dsn]\n  defaults: false\n")
    out = _run("diff", "--base", "HEAD~1", "--json", "--all")
    assert "hunter2-head" in out and "dsn-value" not in out


def test_workspace_secrets_for_the_actions_log_mask(repo: Path) -> None:
    from toolkit.config import load_config
    from toolkit.masking import workspace_secrets

    names = load_config(repo).secret_keys
    found = workspace_secrets(repo, names)
    assert set(found) == {
        "hunter2-head", "p4ss-head-camel", "sk-live-head", "s3cr3t-head", "tok-unchanged", "dsn-value-head",
        "admin",  # credentials.user: under a secret-looking segment
    }
    (repo / "params.yaml").write_text("db:\n  password: abc\n  port: 5432\n  host: db.internal\n")
    assert workspace_secrets(repo, names) == ["dsn-value-head"]  # too short to mask: abc
    assert workspace_secrets(repo, ()) == []
    (repo / "params.yaml").write_text("db: [unclosed\n")
    assert workspace_secrets(repo, names) == ["dsn-value-head"]  # the comparison reports the file
