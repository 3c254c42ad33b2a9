"""The DVC remote on S3-compatible storage: `new --remote`, `remote check`, the run-cache, faults.

Everything runs against moto's S3 server on 127.0.0.1 with the real dvc and dvc-s3: one clone
reproduces and pushes, a fresh clone pulls and reproduces.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.s3_server import SECRET, S3Server, aws_env, free_port, s3_server
from tests.scaffold_helpers import isolated_env
from toolkit import remote as remotes
from toolkit.errors import ConfigError

__all__ = ["s3_server"]  # the session fixture, imported for this module


def _toolkit(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600):
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout,
    )


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def pushed(
    tmp_path_factory: pytest.TempPathFactory, _git_config: Path, s3_server: S3Server
) -> tuple[Path, str, dict[str, str]]:
    """A scaffold on an S3 remote, reproduced, committed and pushed (`repro --push`)."""
    base = tmp_path_factory.mktemp("s3proj")
    env = aws_env(isolated_env(_git_config), base)
    bucket = s3_server.bucket()
    done = _toolkit(
        ["new", "demo", "--remote", f"s3://{bucket}/ml", "--endpoint-url", s3_server.endpoint,
         "--region", "us-east-1"], base, env,
    )
    assert done.returncode == 0, done.stderr
    demo = base / "demo"
    done = _toolkit(["repro", "--push"], demo, env)
    assert done.returncode == 0, done.stderr
    _git(demo, env, "add", "-A")
    _git(demo, env, "commit", "-q", "-m", "Baseline")
    return demo, bucket, env


def _clone(demo: Path, tmp_path: Path, env: dict[str, str]) -> Path:
    clone = tmp_path / "clone"
    _git(tmp_path, env, "clone", "-q", str(demo), str(clone))
    return clone


def test_new_remote_writes_the_remote_and_no_credentials(pushed, s3_server: S3Server) -> None:
    demo, bucket, _ = pushed
    config = (demo / ".dvc" / "config").read_text()
    assert f"url = s3://{bucket}/ml" in config
    assert f"endpointurl = {s3_server.endpoint}" in config
    assert "region = us-east-1" in config and "connect_timeout = 10" in config
    assert "dvc[s3]" in (demo / "requirements.txt").read_text()
    # The secret was in the environment of new, repro and push: in no file of the project.
    for path in demo.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert b"AKIATESTTOOLKIT" not in data, path
            assert b"secret_access_key" not in data, path
    # The outputs and the run-cache reached the bucket, and they are all that did.
    keys = s3_server.keys(bucket)
    assert any(k.startswith("ml/files/md5/") for k in keys)
    assert any(k.startswith("ml/runs/") for k in keys)
    assert not [k for k in keys if remotes.NAME in k or "probe" in k]


def test_fresh_clone_ci_reruns_nothing_and_reports_the_same_metrics(pushed, tmp_path: Path) -> None:
    demo, _, env = pushed
    clone = _clone(demo, tmp_path, env)
    done = _toolkit(["ci", "--base", "HEAD"], clone, env)
    assert done.returncode == 0, done.stderr
    log = done.stdout + done.stderr
    assert "Running stage" not in log
    assert "up to date: prepare, train, evaluate, production_batch" in log
    assert json.loads((clone / "eval/metrics.json").read_text()) == json.loads(
        (demo / "eval/metrics.json").read_text()
    )
    # Without the remote the same clone has to run every stage again.
    shutil.rmtree(clone)
    clone = _clone(demo, tmp_path, env)
    subprocess.run([sys.executable, "-m", "dvc", "remote", "remove", "storage"], cwd=clone, env=env,
                   check=True, capture_output=True)
    done = _toolkit(["repro"], clone, env)
    assert done.returncode == 0, done.stderr
    assert "ran: prepare, train, production_batch" in done.stdout


def test_stage_results_come_from_the_remote_run_cache(pushed, tmp_path: Path) -> None:
    """A commit whose dvc.lock is stale: the fresh clone restores what another clone pushed."""
    demo, _, env = pushed
    work = _clone(demo, tmp_path, env)
    params = (work / "params.yaml").read_text()
    assert "rows: 200" in params
    (work / "params.yaml").write_text(params.replace("rows: 200", "rows: 150", 1))
    done = _toolkit(["repro", "--pull", "--push"], work, env)
    assert done.returncode == 0, done.stderr
    assert "ran: production_batch" in done.stdout
    _git(work, env, "commit", "-q", "-m", "Smaller batch (dvc.lock not committed)", "params.yaml")
    fresh = tmp_path / "fresh"
    _git(tmp_path, env, "clone", "-q", str(work), str(fresh))
    done = _toolkit(["repro", "--pull"], fresh, env)
    assert done.returncode == 0, done.stderr
    assert "Running stage" not in done.stdout + done.stderr
    assert "restored from the remote's run-cache: production_batch" in done.stdout
    batch = "data/production/batch.csv"
    assert (fresh / batch).read_bytes() == (work / batch).read_bytes()
    # Restored again from the now-local run-cache: not from the remote this time.
    (fresh / "dvc.lock").write_text(_git(fresh, env, "show", "HEAD:dvc.lock"))
    done = _toolkit(["repro", "--pull"], fresh, env)
    assert done.returncode == 0, done.stderr
    assert "restored from the run-cache: production_batch" in done.stdout
    assert "remote's run-cache" not in done.stdout


def test_wrong_bucket_is_exit_1_naming_the_remote(pushed, tmp_path: Path) -> None:
    demo, _, env = pushed
    clone = _clone(demo, tmp_path, env)
    subprocess.run([sys.executable, "-m", "dvc", "remote", "modify", "storage", "url", "s3://no-such-bucket-x/ml"],
                   cwd=clone, env=env, check=True, capture_output=True)
    # A plain `toolkit repro` never goes online (no preflight): the wrong bucket does not stop it.
    offline = _toolkit(["repro"], clone, env)
    assert offline.returncode == 0, offline.stderr
    done = _toolkit(["ci", "--base", "HEAD"], clone, env)
    assert done.returncode == 1
    assert "`storage` (s3://no-such-bucket-x/ml" in done.stderr
    assert "bucket `no-such-bucket-x` does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    check = _toolkit(["remote", "check"], clone, env)
    assert check.returncode == 1 and "bucket `no-such-bucket-x` does not exist" in check.stderr


def test_missing_credentials_name_the_fix(pushed, tmp_path: Path) -> None:
    demo, _, env = pushed
    clone = _clone(demo, tmp_path, env)
    bare = aws_env(env, tmp_path, credentials=False)
    for args in (["repro", "--pull"], ["remote", "check"]):
        done = _toolkit(args, clone, bare)
        assert done.returncode == 1, done.stdout
        assert "`storage`" in done.stderr and "no AWS credentials were found" in done.stderr
        assert "AWS_ACCESS_KEY_ID" in done.stderr


def test_read_only_credentials_pull_but_cannot_push(pushed, tmp_path: Path, s3_server: S3Server) -> None:
    """moto enforcing IAM: a list+get user reproduces from the remote; its push fails, named."""
    demo, bucket, env = pushed
    reader = {**env, **s3_server.user(f"reader-{bucket}", ["s3:ListBucket", "s3:GetObject"], bucket)}
    clone = _clone(demo, tmp_path, env)
    params = (clone / "params.yaml").read_text()
    (clone / "params.yaml").write_text(params.replace("rows: 200", "rows: 120", 1))
    before = sorted(s3_server.keys(bucket))
    with s3_server.enforcing_iam():
        done = _toolkit(["repro", "--pull", "--push"], clone, reader)
        check = _toolkit(["remote", "check"], clone, reader)
        wrong = _toolkit(["remote", "check"], clone, {**reader, "AWS_SECRET_ACCESS_KEY": "not-the-secret"})
    assert done.returncode == 1, done.stdout
    assert "Running stage 'production_batch'" in done.stdout + done.stderr  # the pull worked
    assert f"`storage` (s3://{bucket}/ml" in done.stderr
    assert "a read-only role cannot push" in done.stderr and "s3:PutObject" in done.stderr
    assert check.returncode == 1 and "writing a probe object failed" in check.stderr
    assert "a read-only role cannot push" in check.stderr
    assert wrong.returncode == 1 and "not valid for this endpoint" in wrong.stderr, wrong.stderr
    # Nothing reached the remote: no output, no run-cache entry, no probe.
    assert sorted(s3_server.keys(bucket)) == before


def test_unreachable_endpoint_fails_in_bounded_time(pushed, tmp_path: Path) -> None:
    demo, _, env = pushed
    clone = _clone(demo, tmp_path, env)
    closed = f"http://127.0.0.1:{free_port()}"
    subprocess.run([sys.executable, "-m", "dvc", "remote", "modify", "storage", "endpointurl", closed],
                   cwd=clone, env=env, check=True, capture_output=True)
    for args in (["repro", "--pull"], ["remote", "check"]):
        start = time.monotonic()
        done = _toolkit(args, clone, env, timeout=120)
        took = time.monotonic() - start
        assert done.returncode == 1
        assert f"its endpoint at {closed} does not answer" in done.stderr
        assert took < 60, took


def test_silent_endpoint_fails_by_the_deadline(pushed, tmp_path: Path) -> None:
    """An endpoint that accepts connections and never answers: exit 1 at TOOLKIT_REMOTE_TIMEOUT."""
    import socket

    demo, _, env = pushed
    clone = _clone(demo, tmp_path, env)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes the handshakes; nobody ever reads or answers
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        subprocess.run([sys.executable, "-m", "dvc", "remote", "modify", "storage", "endpointurl", endpoint],
                       cwd=clone, env=env, check=True, capture_output=True)
        for args in (["repro", "--pull"], ["remote", "check"]):
            start = time.monotonic()
            done = _toolkit(args, clone, {**env, "TOOLKIT_REMOTE_TIMEOUT": "4"}, timeout=120)
            took = time.monotonic() - start
            assert done.returncode == 1, done.stdout
            assert f"its endpoint at {endpoint} does not answer" in done.stderr
            assert took < 40, took


def test_remote_check_writes_reads_and_deletes_a_probe(pushed, tmp_path: Path, s3_server: S3Server) -> None:
    demo, bucket, env = pushed
    before = set(s3_server.keys(bucket))
    done = _toolkit(["remote", "check"], demo, env)
    assert done.returncode == 0, done.stderr
    assert f"`storage` (s3://{bucket}/ml" in done.stdout and "reachable, readable and writable" in done.stdout
    for step in ("listed", "wrote", "read it back", "deleted it"):
        assert step in done.stderr + done.stdout
    assert set(s3_server.keys(bucket)) == before  # the probe is gone


def test_remote_check_without_a_remote(tmp_path: Path, _git_config: Path) -> None:
    env = isolated_env(_git_config)
    _git(tmp_path, env, "init", "-q")
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=tmp_path, env=env, check=True)
    done = _toolkit(["remote", "check"], tmp_path, env)
    assert done.returncode == 1 and "no default DVC remote" in done.stderr


def test_empty_prefix_passes_the_check(s3_server: S3Server, tmp_path: Path, _git_config: Path) -> None:
    env = aws_env(isolated_env(_git_config), tmp_path)
    bucket = s3_server.bucket()
    url = f"s3://{bucket}/nothing-yet"
    done = _toolkit(["new", "p", "--no-git", "--remote", url, "--endpoint-url", "http://x"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert f"dvc remote add -d storage {url}" in done.stdout
    assert "dvc remote modify storage endpointurl http://x" in done.stdout
    project = tmp_path / "p"
    _git(project, env, "init", "-q")
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=project, env=env, check=True)
    remotes.configure(project, remotes.parse(url, s3_server.endpoint), env)
    done = _toolkit(["remote", "check"], project, env)
    assert done.returncode == 0, done.stderr
    assert s3_server.keys(bucket) == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("s3://KEY:SECRET@bucket/x",), "credentials do not belong in the URL"),
        (("s3://bkt/x", "https://user:pw@minio.example.com"), "credentials do not belong in the URL"),
        (("gs://bucket/x",), "only s3://"),
        (("s3://Bad_Bucket/x",), "is not an S3 bucket name"),
        (("../folder", "https://minio.example.com"), "s3:// --remote only"),
        (("s3://bkt/x", "ftp://host"), "expected http(s)://HOST"),
        (("s3://bucket/x", None, "eu west"), "expected an AWS region"),
    ],
)
def test_parse_refuses_bad_options(args: tuple[str | None, ...], fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        remotes.parse(*args)  # type: ignore[arg-type]
    assert fragment in err.value.message
    assert "SECRET" not in err.value.message and ":pw@" not in err.value.message


def test_parse_accepts_s3_and_folders() -> None:
    spec = remotes.parse("s3://my-bucket/team/proj", "https://minio.example.com:9000", "eu-west-1")
    assert spec.is_s3 and spec.bucket == "my-bucket" and spec.requirement == "dvc[s3]>=3.49"
    local = remotes.parse("../storage")
    assert not local.is_s3 and local.requirement == "dvc>=3.49"


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("An error occurred (NoSuchBucket) when calling ListObjectsV2", "bucket `b` does not exist"),
        ("Unable to locate credentials", "no AWS credentials"),
        ("An error occurred (ExpiredToken): The provided token has expired", "have expired"),
        ("An error occurred (InvalidAccessKeyId)", "not valid for this endpoint"),
        ("PermissionError: Access Denied", "a read-only role cannot push"),
        ("Could not connect to the endpoint URL", "does not answer"),
    ],
)
def test_diagnose_names_the_fix(text: str, fix: str) -> None:
    found = remotes.diagnose(text, "storage", "s3://b/p", "http://h")
    assert found is not None and fix in found


def test_diagnose_leaves_unknown_errors() -> None:
    assert remotes.diagnose("stage train failed: ZeroDivisionError", "storage", "s3://b/p", None) is None


def test_s3_readme_shows_least_privilege_policies() -> None:
    from toolkit import scaffold

    spec = remotes.parse("s3://team-bucket/ml/demo", "https://minio.example.com", "eu-west-1")
    files = scaffold.render(Path("/nowhere/demo"), "mlops-toolkit==0.1.0", spec)
    readme = files["README.md"].decode()
    assert '"Resource": "arn:aws:s3:::team-bucket/ml/demo/*"' in readme
    assert '"s3:prefix": ["ml/demo/*"]' in readme
    assert "repo:OWNER/REPO:pull_request" in readme
    assert 'read-write role, `"sub": "repo:OWNER/REPO:ref:refs/heads/main"` alone' in readme
    # Read-only lists and gets; only the read-write role may put and delete.
    policy = readme.split("permissions policy", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert json.loads(policy)["Statement"][1]["Action"] == "s3:GetObject"
    assert "s3:PutObject" not in policy
    assert b"dvc[s3]" in files["requirements.txt"]
    plain = scaffold.render(Path("/nowhere/demo"), "mlops-toolkit==0.1.0")
    assert b"dvc[s3]" not in plain["requirements.txt"] and b"sts:AssumeRole" not in plain["README.md"]


@pytest.mark.parametrize(("payload", "fork"), [("pull_request_opened.fork.json", True),
                                                 ("pull_request_opened.payload.json", False)])
def test_fork_pull_requests_reproduce_without_a_cloud_remote(
    tmp_path: Path, events_dir: Path, capsys: pytest.CaptureFixture[str], payload: str, fork: bool
) -> None:
    """GitHub gives a fork's pull request no OIDC token: `toolkit ci` skips the S3 remote, saying so."""
    from toolkit import actions
    from toolkit.commands.ci import _use_remote

    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text(
        "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://team-bucket/ml\n"
    )
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
           "GITHUB_EVENT_PATH": str(events_dir / payload), "GITHUB_REPOSITORY": "Codertocat/Hello-World"}
    ctx = actions.context_from_env(env)
    assert ctx.fork is fork
    assert _use_remote(ctx, tmp_path) is not fork
    said = capsys.readouterr()
    skipped = "reproducing without the DVC remote `storage` (s3://team-bucket/ml)"
    assert (skipped in said.err + said.out) is fork
    # A local folder remote is not skipped for forks: it needs no credentials.
    config = (tmp_path / ".dvc" / "config").read_text()
    (tmp_path / ".dvc" / "config").write_text(config.replace("s3://team-bucket/ml", "../x"))
    assert _use_remote(ctx, tmp_path) is True


def test_summary_names_the_stages_from_the_remote() -> None:
    from toolkit.results import ReproResult

    result = ReproResult(ran=("evaluate",), skipped=("prepare", "train", "batch"), seconds=1.0,
                         restored=("train", "batch"), from_remote=("train",))
    assert result.summary() == (
        "ran: evaluate; restored from the remote's run-cache: train; restored from the run-cache: batch; "
        "up to date: prepare (1.0 s)"
    )
