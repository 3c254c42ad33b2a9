"""The DVC default remote past one machine: set it up, and say what is wrong when it fails.

`configure` is what `toolkit new --remote` (and `toolkit init --remote`) run: `dvc remote add` and
`dvc remote modify`, never a credential. `ask` probes the remote in a child process through DVC's
filesystem layer (`toolkit.remote_probe`, which names a fault by its exception type and S3 error
code), `explain` gives the setting or credential to fix; `preflight` proves the remote answers
before a pull trusts it (DVC treats a missing bucket as an empty remote). Only `toolkit remote
check` imports DVC in this process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from toolkit import proc
from toolkit.errors import ConfigError, DvcError
from toolkit.remote_probe import Kind, Outcome

NAME = "storage"  # the remote's name in .dvc/config (scaffold.REMOTE_NAME)
# Written to .dvc/config for S3 remotes so that a dead endpoint fails in seconds, not minutes.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 60
# botocore's attempts per request (its default, 5 in legacy mode, makes a dead endpoint slow).
MAX_ATTEMPTS = "2"
# The first contact with the remote (the preflight listing, `toolkit remote check`) must end by
# then: an endpoint that accepts connections but never answers would otherwise take s3fs's retries
# times botocore's attempts times the read timeout (~10 minutes). TOOLKIT_REMOTE_TIMEOUT overrides.
DEADLINE = 60.0


def deadline(environ: Mapping[str, str]) -> float:
    """Seconds the first contact with the remote may take (TOOLKIT_REMOTE_TIMEOUT, default 60)."""
    try:
        value = float(environ.get("TOOLKIT_REMOTE_TIMEOUT", DEADLINE))
    except ValueError:
        return DEADLINE
    return value if value > 0 else DEADLINE

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z0-9-]{1,40}$")


@dataclass(frozen=True)
class RemoteSpec:
    """A remote as `--remote URL [--endpoint-url URL] [--region R]` asked for it."""

    url: str
    endpoint_url: str | None = None
    region: str | None = None

    @property
    def is_s3(self) -> bool:
        """True for s3:// (AWS or any S3-compatible store)."""
        return self.url.startswith("s3://")

    @property
    def bucket(self) -> str | None:
        """The bucket of an s3:// URL."""
        return self.url[len("s3://"):].split("/", 1)[0] if self.is_s3 else None

    @property
    def keys(self) -> str:
        """The objects under the prefix, as an IAM resource/condition pattern (`team/proj/*`)."""
        prefix = self.url[len("s3://"):].partition("/")[2].strip("/") if self.is_s3 else ""
        return f"{prefix}/*" if prefix else "*"

    @property
    def requirement(self) -> str:
        """The DVC line of requirements.txt: the extra that reaches this remote."""
        return "dvc[s3]>=3.49" if self.is_s3 else "dvc>=3.49"


def parse(url: str, endpoint_url: str | None = None, region: str | None = None) -> RemoteSpec:
    """Validate the options; credentials in any of them are refused (they would be committed)."""
    url = url.strip()
    if not url or any(ord(c) < 32 for c in url):
        raise ConfigError("--remote needs a URL such as s3://BUCKET/PREFIX or a local folder.")
    if "://" in url:
        scheme, _, rest = url.partition("://")
        if scheme != "s3":
            raise ConfigError(
                f"--remote {url}: only s3:// (AWS S3, MinIO, Ceph, R2, ...) or a local folder is "
                "supported; for another store run `dvc remote add -d` yourself."
            )
        bucket = rest.split("/", 1)[0]
        if "@" in bucket or ":" in bucket:
            raise ConfigError(
                f"--remote {_redact(url)}: credentials do not belong in the URL (it is committed "
                "in .dvc/config); give the bare s3://BUCKET/PREFIX and set AWS credentials in the "
                "environment or an OIDC role."
            )
        if not _BUCKET.match(bucket):
            raise ConfigError(
                f"--remote {url}: `{bucket}` is not an S3 bucket name (3-63 lowercase letters, "
                "digits, dots and hyphens)."
            )
    elif endpoint_url or region:
        raise ConfigError("--endpoint-url and --region apply to an s3:// --remote only.")
    if endpoint_url is not None:
        endpoint_url = endpoint_url.strip()
        scheme, sep, rest = endpoint_url.partition("://")
        host = rest.split("/", 1)[0]
        if scheme not in ("http", "https") or not sep or not host:
            raise ConfigError(
                f"--endpoint-url {_redact(endpoint_url)}: expected http(s)://HOST[:PORT], e.g. "
                "https://minio.example.com."
            )
        if "@" in host:
            raise ConfigError(
                f"--endpoint-url {_redact(endpoint_url)}: credentials do not belong in the URL "
                "(it is committed in .dvc/config); pass the bare http(s)://HOST[:PORT]."
            )
    if region is not None and not _REGION.match(region.strip()):
        raise ConfigError(f"--region {region!r}: expected an AWS region name such as eu-west-1.")
    return RemoteSpec(url=url, endpoint_url=endpoint_url, region=region.strip() if region else None)


def _redact(url: str) -> str:
    """url with any user:password@ part replaced, for messages."""
    return re.sub(r"://[^/@]*@", "://***@", url)


def _dvc(root: Path, environ: Mapping[str, str], *args: str) -> None:
    done = proc.run([*proc.DVC, *args], cwd=root, env=environ, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        last = lines[-1].removeprefix("ERROR: ") if lines else f"exit code {done.returncode}"
        raise DvcError(f"`dvc {' '.join(args)}` failed in {root}: {last}")


def configure(root: Path, spec: RemoteSpec, environ: Mapping[str, str], name: str = NAME) -> None:
    """Make spec the default remote of the DVC repo at root (.dvc/config; no credentials)."""
    _dvc(root, environ, "remote", "add", "--force", "--default", name, spec.url)
    settings: list[tuple[str, str]] = []
    if spec.is_s3:
        if spec.endpoint_url:
            settings.append(("endpointurl", spec.endpoint_url))
        if spec.region:
            settings.append(("region", spec.region))
        settings += [("connect_timeout", str(CONNECT_TIMEOUT)), ("read_timeout", str(READ_TIMEOUT))]
    for key, value in settings:
        _dvc(root, environ, "remote", "modify", name, key, value)


def remote_env(environ: Mapping[str, str]) -> dict[str, str]:
    """environ with bounded botocore retries (unless the user chose their own)."""
    env = dict(environ)
    env.setdefault("AWS_MAX_ATTEMPTS", MAX_ATTEMPTS)
    env.setdefault("AWS_RETRY_MODE", "standard")
    return env


# -- what went wrong, and the fix ------------------------------------------------------------------

_FIXES: dict[str, str] = {
    "bucket": "its bucket `{bucket}` does not exist{at}; fix the bucket in .dvc/config "
    "(`dvc remote modify {name} url s3://BUCKET/PREFIX`) or create the bucket",
    "credentials": "no AWS credentials were found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(or AWS_PROFILE) on this machine, or in GitHub Actions the role ARN under `ci:` in toolkit.yaml",
    "expired": "the AWS credentials have expired; refresh them (`aws sso login`, or a new OIDC "
    "session in CI) and retry",
    "invalid": "the AWS credentials are not valid for this endpoint; check AWS_ACCESS_KEY_ID, "
    "AWS_SECRET_ACCESS_KEY and the endpoint/region in .dvc/config",
    "denied": "the credentials may not do this on `{url}` (a read-only role cannot push); use "
    "credentials or a role whose policy allows s3:ListBucket, s3:GetObject and, to push, s3:PutObject",
    "endpoint": "its endpoint{at} does not answer; check `endpointurl` in .dvc/config "
    "(`dvc remote modify {name} endpointurl URL`) and the network",
}


def explain(kind: Kind, remote_name: str, url: str, endpoint: str | None) -> str:
    """The fix for a remote fault of this kind (remote_probe.classify names it)."""
    bucket = url[len("s3://"):].split("/", 1)[0] if url.startswith("s3://") else url
    at = f" at {endpoint}" if endpoint else ""
    return _FIXES[kind].format(bucket=bucket, at=at, name=remote_name, url=url)


def failure(root: Path, action: str, kind: Kind | None, detail: str, rerun: str) -> DvcError:
    """A DvcError naming the default remote, what failed and the fix (detail when kind is None)."""
    from toolkit import dvc

    remote = dvc.default_remote(root)
    if remote is None:
        return DvcError(f"{action} failed in {root}: {detail}. Then rerun {rerun}.")
    endpoint = dvc.remote_option(root, remote.name, "endpointurl")
    where = f"the DVC remote `{remote.name}` ({remote.url}{', ' + endpoint if endpoint else ''})"
    if kind is not None:
        fix = explain(kind, remote.name, remote.url, endpoint)
        return DvcError(f"{action} failed for {where}: {fix}. Then rerun {rerun}.")
    return DvcError(f"{action} failed for {where}: {detail}. Check `dvc remote list`, then rerun {rerun}.")


def ask(root: Path, environ: Mapping[str, str], *, write: bool) -> Outcome:
    """Probe the default remote in a child process (list; with write, also write and delete).

    The child goes through DVC's filesystem layer and reports the fault's kind from exception
    types and S3 error codes (`toolkit.remote_probe`); past the deadline it is stopped and the
    endpoint named.
    """
    import subprocess
    import sys

    from toolkit import dvc
    from toolkit.remote_probe import parse_output

    remote = dvc.default_remote(root)
    if remote is None:
        return Outcome()
    seconds = deadline(environ)
    mode = "write" if write else "list"
    try:
        done = proc.run(
            [sys.executable, "-P", "-m", "toolkit.remote_probe", str(root), remote.name, mode],
            cwd=root, env=remote_env(proc.child_env(environ)), check=False, timeout=seconds,
        )
    except subprocess.TimeoutExpired:
        return Outcome("listing" if not write else "the probe", "endpoint", f"no answer within {seconds:g} s")
    found = parse_output(done.stdout) if done.returncode == 0 else None
    if found is None:  # the probe itself could not run (DVC missing, a broken .dvc/config, ...)
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        return Outcome("opening", None, lines[-1].removeprefix("ERROR: ") if lines else "no output")
    return found


def preflight(root: Path, environ: Mapping[str, str], rerun: str) -> None:
    """List the default remote once before a pull trusts it; a fault is a named DvcError.

    DVC reads a missing bucket as an empty remote, so a pull would "succeed" with nothing; a
    remote whose prefix holds nothing yet (never pushed) is fine.
    """
    from toolkit import dvc

    remote = dvc.default_remote(root)
    if remote is None or remote.local_path is not None:
        return
    found = ask(root, environ, write=False)
    if found.step is not None:
        raise failure(root, found.step, found.kind, found.detail.rstrip("."), rerun)
