"""`toolkit remote check`: is the default DVC remote reachable, readable and writable?

Through DVC's own filesystem layer (dvc-s3 for s3://), the only place the toolkit imports DVC:
list the remote, write a small probe object, read it back, delete it. The probe is a file at the
remote's top that DVC never reads (its data lives under files/ and runs/), and it is deleted even
when reading it back fails, so no check leaves anything a later pull could take for a result.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from toolkit import output
from toolkit import remote as remotes
from toolkit.errors import DvcError

PROBE_PREFIX = "toolkit-remote-check-"


@contextlib.contextmanager
def _aws_env(environ: Mapping[str, str]) -> Iterator[None]:
    """os.environ as environ plus bounded retries, for the in-process S3 client; then restored."""
    from toolkit.remote import remote_env

    wanted = remote_env(environ)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(wanted)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(*, action: str = "check", environ: Mapping[str, str], cwd: Path) -> int:
    """Check the default remote of the DVC repo around cwd; 0 when usable, 1 naming the fix."""
    from toolkit import dvc
    from toolkit.commands.repro import find_pipeline_root

    root = _dvc_root(cwd) or find_pipeline_root(cwd)
    remote = dvc.default_remote(root)
    if remote is None:
        raise DvcError(
            f"{root} has no default DVC remote; add one with `dvc remote add -d storage "
            "s3://BUCKET/PREFIX` (or `toolkit new --remote URL`)."
        )
    endpoint = dvc.remote_option(root, remote.name, "endpointurl")
    where = f"`{remote.name}` ({remote.url}{', endpoint ' + endpoint if endpoint else ''})"
    output.info(f"Checking the DVC remote {where}")
    with _aws_env(environ):
        _bounded(root, remote.name, remotes.deadline(environ))
    output.write_line(f"The DVC remote {where} is reachable, readable and writable.")
    return 0


def _bounded(root: Path, name: str, seconds: float) -> None:
    """_check within `seconds`: an endpoint that never answers is an error, not a hang.

    The check runs in a daemon thread; on time-out the command fails and the process exits (a
    probe already written then stays at the remote's top, where DVC never reads).
    """
    import threading

    failed: list[BaseException] = []

    def target() -> None:
        try:
            _check(root, name)
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=target, name="toolkit-remote-check", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise remotes.failure(
            root, "the check", f"no answer within {seconds:g} s (timed out)", "`toolkit remote check`"
        )
    if failed:
        raise failed[0]


def _dvc_root(cwd: Path) -> Path | None:
    here = cwd.resolve()
    return next((f for f in (here, *here.parents) if (f / ".dvc").is_dir()), None)


def _check(root: Path, name: str) -> None:
    from toolkit.remote import failure

    step = "opening"
    probe: str | None = None
    fs: Any = None
    try:
        from dvc.repo import Repo  # heavy: only this command imports DVC

        with Repo(str(root)) as repo:
            found = repo.cloud.get_remote(name)
            fs, path = found.fs, found.path
            step = "listing"
            try:
                fs.ls(path)
            except FileNotFoundError as exc:
                # An empty prefix (nothing pushed yet) is fine; a missing bucket is not.
                if "bucket" in str(exc).lower():
                    raise
            output.info(f"  listed {found.path}")
            step = "writing a probe object"
            probe = fs.join(path, f"{PROBE_PREFIX}{uuid.uuid4().hex}")
            data = b"mlops-toolkit remote check\n"
            fs.pipe_file(probe, data)
            output.info(f"  wrote {probe}")
            step = "reading the probe object back"
            if fs.cat_file(probe) != data:
                raise DvcError(f"the probe object {probe} read back different bytes")
            output.info("  read it back")
            step = "deleting the probe object"
            fs.rm_file(probe)
            probe = None
            output.info("  deleted it")
    except DvcError:
        raise
    except Exception as exc:
        # s3fs turns botocore's ClientError into a PermissionError with the message only; the
        # error code (SignatureDoesNotMatch, AccessDenied, ...) is on its cause.
        cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
        text = f"{type(exc).__name__}: {exc}{cause}".replace("\n", " ")[:600]
        if probe is not None and fs is not None and step != "writing a probe object":
            with contextlib.suppress(Exception):
                fs.rm_file(probe)
        raise failure(root, step, text, "`toolkit remote check`") from None
