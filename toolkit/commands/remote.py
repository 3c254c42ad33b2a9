"""`toolkit remote check`: is the default DVC remote reachable, readable and writable?

Through DVC's own filesystem layer (dvc-s3 for s3://), in this process: list the remote, write a
small probe object, read it back, delete it (`toolkit.remote_probe`). The probe is a file at the
remote's top that DVC never reads (its data lives under files/ and runs/), and it is deleted even
when reading it back fails, so no check leaves anything a later pull could take for a result.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from toolkit import output
from toolkit import remote as remotes
from toolkit.errors import DvcError


@contextlib.contextmanager
def _aws_env(environ: Mapping[str, str]) -> Iterator[None]:
    """os.environ as environ plus bounded retries, for the in-process S3 client; then restored."""
    wanted = remotes.remote_env(environ)
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
    """The probe within `seconds`: an endpoint that never answers is an error, not a hang.

    The probe runs in a daemon thread; on time-out the command fails and the process exits (a
    probe already written then stays at the remote's top, where DVC never reads).
    """
    import threading

    from toolkit.remote_probe import ProbeFailed, probe

    failed: list[BaseException] = []

    def target() -> None:
        try:
            probe(root, name, write=True, say=output.info)
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=target, name="toolkit-remote-check", daemon=True)
    thread.start()
    thread.join(seconds)
    rerun = "`toolkit remote check`"
    if thread.is_alive():
        raise remotes.failure(root, "the check", "endpoint", f"no answer within {seconds:g} s", rerun)
    if failed and isinstance(failed[0], ProbeFailed):
        found = failed[0].outcome
        raise remotes.failure(root, found.step or "the check", found.kind, found.detail.rstrip("."), rerun)
    if failed:
        raise failed[0]


def _dvc_root(cwd: Path) -> Path | None:
    here = cwd.resolve()
    return next((f for f in (here, *here.parents) if (f / ".dvc").is_dir()), None)
