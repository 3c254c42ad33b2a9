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
from tests.scaffold_helpers import isolated_env, tiny_dvc_repo
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


def _tiny_on_s3(tmp_path: Path, git_config: Path, s3: S3Server, url: str) -> tuple[Path, dict[str, str]]:
    """The two-stage pipeline with `url` (on the test server) as its default remote, committed."""
    env = aws_env(isolated_env(git_config), tmp_path)
    repo = tiny_dvc_repo(tmp_path / "repo")
    remotes.configure(repo, remotes.parse(url, s3.endpoint, "us-east-1"), env)
    _git(repo, env, "commit", "-q", "-am", "remote")
    return repo, env


@pytest.mark.parametrize("words", ["team-ml-bucket", "expired-models", "forbidden-403"])
def test_empty_prefix_of_any_bucket_name_is_a_fresh_remote(
    s3_server: S3Server, tmp_path: Path, _git_config: Path, words: str
) -> None:
    """Nothing pushed yet under the prefix: check, pull and push work, whatever the bucket is called."""
    bucket = s3_server.bucket(words)
    repo, env = _tiny_on_s3(tmp_path, _git_config, s3_server, f"s3://{bucket}/projects/churn")
    check = _toolkit(["remote", "check"], repo, env)
    assert check.returncode == 0, check.stderr
    assert "reachable, readable and writable" in check.stdout
    done = _toolkit(["repro", "--pull", "--push"], repo, env)
    assert done.returncode == 0, done.stderr
    assert "ran: a, b" in done.stdout
    assert any(k.startswith("projects/churn/files/md5/") for k in s3_server.keys(bucket))


def test_missing_bucket_and_wrong_credentials_are_named(
    s3_server: S3Server, tmp_path: Path, _git_config: Path
) -> None:
    missing = "team-ml-bucket-that-nobody-created"
    repo, env = _tiny_on_s3(tmp_path, _git_config, s3_server, f"s3://{missing}/projects/churn")
    for args in (["repro", "--pull"], ["remote", "check"]):
        done = _toolkit(args, repo, env)
        assert done.returncode == 1, done.stdout
        assert f"`storage` (s3://{missing}/projects/churn" in done.stderr
        assert f"its bucket `{missing}` does not exist at {s3_server.endpoint}" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (repo / "a.txt").exists()  # the pull stopped before any stage ran
    bucket = s3_server.bucket("team-ml-bucket")
    subprocess.run([sys.executable, "-m", "dvc", "remote", "modify", "storage", "url", f"s3://{bucket}/p"],
                   cwd=repo, env=env, check=True, capture_output=True)
    user = s3_server.user(f"user-{bucket}", ["s3:*"], bucket)
    wrong = {**env, **user, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    with s3_server.enforcing_iam():
        results = [_toolkit(args, repo, wrong) for args in (["repro", "--pull"], ["remote", "check"])]
        right = _toolkit(["remote", "check"], repo, {**env, **user})
    for done in results:
        assert done.returncode == 1, done.stdout
        assert "the AWS credentials are not valid for this endpoint" in done.stderr, done.stderr
    assert right.returncode == 0, right.stderr  # the same user with its real secret may


def test_fresh_clone_pull_brings_every_output(pushed, tmp_path: Path) -> None:
    """`toolkit repro --pull` on a fresh runner: no stage runs, and every output is in the workspace."""
    import yaml

    demo, _, env = pushed
    clone = _clone(demo, tmp_path, env)
    lock = yaml.safe_load((clone / "dvc.lock").read_text())
    outs = sorted({o["path"] for stage in lock["stages"].values() for o in stage.get("outs", [])})
    assert "data/prepared" in outs and "models/model.pkl" in outs
    assert not (clone / "data/prepared").exists()  # the clone starts without the DVC-tracked outputs
    done = _toolkit(["repro", "--pull"], clone, env)
    assert done.returncode == 0, done.stderr
    assert "Running stage" not in done.stdout + done.stderr
    assert [p for p in outs if not (clone / p).exists()] == []
    tree = [f for p in outs for f in [demo / p, *(demo / p).rglob("*")]]
    files = sorted(f.relative_to(demo) for f in tree if f.is_file())
    assert Path("data/prepared/train.csv") in files
    for path in files:
        assert (clone / path).read_bytes() == (demo / path).read_bytes(), path
    status = subprocess.run([sys.executable, "-m", "dvc", "status"], cwd=clone, env=env, capture_output=True,
                            text=True, check=True)
    assert "Data and pipelines are up to date." in status.stdout


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


def _client_error(code: str, message: str, status: int = 400) -> Exception:
    """botocore's ClientError for an S3 answer, as s3fs raises it: translated, the original as cause."""
    from botocore.exceptions import ClientError
    from s3fs.errors import translate_boto_error

    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return translate_boto_error(ClientError(response, "ListObjectsV2"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        ("NoSuchBucket", "The specified bucket does not exist", "bucket"),
        ("AccessDenied", "Access Denied", "denied"),
        ("SignatureDoesNotMatch", "The request signature we calculated does not match", "invalid"),
        ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist", "invalid"),
        ("ExpiredToken", "The provided token has expired.", "expired"),
        ("403", "Forbidden", "denied"),  # a HEAD request: no body, the status is the code
        # The words say one thing, the code another: the code wins.
        ("AccessDenied", "The specified bucket does not exist", "denied"),
        ("NoSuchBucket", "Access Denied: token expired, connection timed out", "bucket"),
        ("SlowDown", "Please reduce your request rate (the bucket is busy)", None),
    ],
)
def test_faults_are_classified_by_error_code(code: str, message: str, kind: str | None) -> None:
    from toolkit.remote_probe import classify

    assert classify(_client_error(code, message)) == kind


def test_faults_are_classified_by_exception_type() -> None:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, ReadTimeoutError

    from toolkit.remote_probe import classify

    assert classify(NoCredentialsError()) == "credentials"
    assert classify(EndpointConnectionError(endpoint_url="http://127.0.0.1:9")) == "endpoint"
    assert classify(ReadTimeoutError(endpoint_url="http://127.0.0.1:9")) == "endpoint"
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed")
        except ConnectionRefusedError as exc:
            raise OSError("listing failed") from exc
    except OSError as wrapped:
        assert classify(wrapped) == "endpoint"  # found on the cause
    # An empty prefix: s3fs's FileNotFoundError names the path (here a bucket called "...bucket")
    # and carries no error code; words in a message mean nothing.
    for words in ("team-ml-bucket/projects/churn", "NoSuchBucket: expired credentials, timed out 403"):
        assert classify(FileNotFoundError(words)) is None
        assert classify(PermissionError(words)) is None


def test_every_kind_has_a_fix_naming_the_setting() -> None:
    from typing import get_args

    from toolkit.remote_probe import Kind

    for kind in get_args(Kind):
        fix = remotes.explain(kind, "storage", "s3://b/p", "http://h")
        assert fix and "{" not in fix
    assert "bucket `b` does not exist at http://h" in remotes.explain("bucket", "storage", "s3://b/p", "http://h")
    endpoint = remotes.explain("endpoint", "storage", "s3://b/p", None)
    assert "`dvc remote modify storage endpointurl URL`" in endpoint


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
