"""Probe the default DVC remote through DVC's own filesystem layer; name a fault by its type.

What went wrong is read from the exception, never from its words: the S3 error code that botocore
puts on the `ClientError` s3fs keeps as the `__cause__` of the OSError it raises (NoSuchBucket,
AccessDenied, SignatureDoesNotMatch, ExpiredToken, ...), or the class of a botocore or socket
error (no credentials, no connection). `toolkit remote check` probes in-process; the preflight of
`toolkit repro --pull/--push` runs `python -m toolkit.remote_probe ROOT REMOTE MODE` as a child it
can stop at the deadline, which prints one JSON line. Importing this module imports no DVC.
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, get_args

Kind = Literal["bucket", "credentials", "expired", "invalid", "denied", "endpoint"]

#: The probe object `toolkit remote check` writes at the remote's top (DVC reads only files/, runs/).
PROBE_PREFIX = "toolkit-remote-check-"

# S3 error codes (ClientError.response["Error"]["Code"]); a HEAD request has no body, so only the
# HTTP status stands for the code there.
_CODES: dict[str, Kind] = {
    "NoSuchBucket": "bucket",
    "ExpiredToken": "expired",
    "ExpiredTokenException": "expired",
    "TokenRefreshRequired": "expired",
    "RequestExpired": "expired",
    "InvalidAccessKeyId": "invalid",
    "InvalidClientTokenId": "invalid",
    "SignatureDoesNotMatch": "invalid",
    "InvalidToken": "invalid",
    "AuthorizationHeaderMalformed": "invalid",
    "InvalidSecurity": "invalid",
    "AccessDenied": "denied",
    "AllAccessDisabled": "denied",
    "AccountProblem": "denied",
    "403": "denied",
}
_KINDS: frozenset[str] = frozenset(get_args(Kind))


@dataclass(frozen=True)
class Outcome:
    """What the probe found: the step that failed (None: every step passed), its kind, the error."""

    step: str | None = None
    kind: Kind | None = None  # None when the failure is of no kind the toolkit knows a fix for
    detail: str = ""  # the exception as text, to show (never to decide anything by)


class ProbeFailed(Exception):
    """One step of the probe failed; `outcome` says which and why."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """exc, then its causes and contexts, each once."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [e for e in (item.__cause__, item.__context__) if e is not None]


def _botocore() -> Any:
    try:
        import botocore.exceptions
    except ImportError:  # a remote type without the s3 extra: only builtin types tell
        return None
    return botocore.exceptions


def classify(exc: BaseException) -> Kind | None:
    """The kind of a remote fault from the exception's types and S3 error codes (None: unknown)."""
    boto = _botocore()
    for item in _chain(exc):
        if boto is not None:
            if isinstance(item, boto.ClientError):
                error = item.response.get("Error") or {}
                status = (item.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
                kind = _CODES.get(str(error.get("Code") or "")) or _CODES.get(str(status))
                if kind is not None:
                    return kind
                continue
            if isinstance(item, (boto.NoCredentialsError, boto.PartialCredentialsError,
                                 boto.CredentialRetrievalError, boto.ProfileNotFound)):
                return "credentials"
            if isinstance(item, (boto.TokenRetrievalError, boto.SSOError)):
                return "expired"
            if isinstance(item, (boto.ConnectionError, boto.HTTPClientError)):
                return "endpoint"
        if isinstance(item, (ConnectionError, TimeoutError)):
            return "endpoint"
    return None


def describe(exc: BaseException) -> str:
    """The exception (and the error it translates) as one line, for messages."""
    cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
    return " ".join(f"{type(exc).__name__}: {exc}{cause}".split())[:600]


def probe(root: Path, name: str, *, write: bool, say: Callable[[str], None] = lambda _: None) -> None:
    """List remote `name` of the DVC repo at root; with write, also write, read back, delete a probe.

    Raises ProbeFailed naming the step. A prefix with nothing under it yet (never pushed) lists as
    FileNotFoundError with no error code: the bucket answered, so that passes; a missing bucket
    carries NoSuchBucket. The probe object is deleted even when reading it back fails.
    """
    step = "opening"
    probe_path: str | None = None
    fs: Any = None
    try:
        from dvc.repo import Repo  # heavy: imported only when probing

        with Repo(str(root)) as repo:
            found = repo.cloud.get_remote(name)
            fs, path = found.fs, found.path
            step = "listing"
            try:
                fs.ls(path)
            except FileNotFoundError as exc:
                if classify(exc) is not None:
                    raise
            say(f"  listed {path}")
            if not write:
                return
            step = "writing a probe object"
            probe_path = fs.join(path, f"{PROBE_PREFIX}{uuid.uuid4().hex}")
            data = b"mlops-toolkit remote check\n"
            fs.pipe_file(probe_path, data)
            say(f"  wrote {probe_path}")
            step = "reading the probe object back"
            if fs.cat_file(probe_path) != data:
                wrong = f"the probe object {probe_path} read back different bytes"
                raise ProbeFailed(Outcome(step, None, wrong))
            say("  read it back")
            step = "deleting the probe object"
            fs.rm_file(probe_path)
            probe_path = None
            say("  deleted it")
    except ProbeFailed:
        _remove(fs, probe_path)
        raise
    except Exception as exc:
        if step != "writing a probe object":
            _remove(fs, probe_path)
        raise ProbeFailed(Outcome(step, classify(exc), describe(exc))) from None


def _remove(fs: Any, path: str | None) -> None:
    if fs is not None and path is not None:
        with contextlib.suppress(Exception):  # the probe's own failure is what gets reported
            fs.rm_file(path)


def main(argv: list[str]) -> int:
    """`python -m toolkit.remote_probe ROOT REMOTE list|write`: print the Outcome as one JSON line."""
    root, name, mode = argv
    try:
        probe(Path(root), name, write=mode == "write")
        outcome = Outcome()
    except ProbeFailed as failed:
        outcome = failed.outcome
    sys.stdout.write("\n" + json.dumps(asdict(outcome)) + "\n")
    return 0


def parse_output(stdout: bytes) -> Outcome | None:
    """The Outcome the child printed on its last line, None when it printed none."""
    lines = stdout.decode(errors="replace").strip().splitlines()
    try:
        data = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    return Outcome(
        step=data.get("step") if isinstance(data.get("step"), str) else None,
        kind=kind if kind in _KINDS else None,
        detail=str(data.get("detail") or ""),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
