"""The one wrapper for subprocesses.

Every child gets the token-free environment (`child_env`), runs in its own process group, and
that whole group is ended when the toolkit is interrupted (SIGINT) or terminated (SIGTERM), so no
`dvc repro` is left running and holding DVC's lock.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from toolkit.errors import ToolkitError

#: Run DVC through the interpreter the toolkit runs in, so an unactivated venv still works; `-P`
#: keeps the working directory off sys.path, so a `dvc.py` committed in a PR is never imported.
DVC = (sys.executable, "-P", "-m", "dvc")

#: Credentials no child ever needs: the pipeline runs the pull request's own code.
SECRET_VARS = frozenset(
    (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_PAT",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    )
)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwinds like KeyboardInterrupt (rollbacks run), exit 128+N."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """130 for SIGINT, 143 for SIGTERM, as a shell reports them."""
        return 128 + self.signum


def child_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` (default: os.environ) without the tokens, for any child process."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k not in SECRET_VARS}


def install_signal_handlers() -> None:
    """Turn SIGINT and SIGTERM into `Interrupted` (call from the main thread only)."""

    def on_signal(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError, AttributeError):
            signal.signal(sig, on_signal)


def harden() -> None:
    """Make this process's /proc entries (environ: the token) unreadable by its own children.

    Linux only: PR_SET_DUMPABLE=0 gives /proc/<pid>/environ to root, so a pipeline stage running
    as the same user cannot read the token the toolkit was started with.
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0


def _end_group(child: subprocess.Popen[bytes]) -> None:
    """Stop the child's whole process group: SIGINT, SIGTERM, then SIGKILL, each after a grace period."""
    if child.poll() is not None:
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGKILL)  # stragglers of an exited leader
        return
    # SIGINT first: DVC then releases its lock files as on Ctrl-C.
    for sig, grace in ((signal.SIGINT, 3.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(child.pid, sig)
        except (OSError, AttributeError):
            with contextlib.suppress(OSError):
                child.send_signal(sig)
        try:
            child.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(OSError, AttributeError):
        os.killpg(child.pid, signal.SIGKILL)


def _popen(
    cmd: Sequence[str], *, cwd: Path | str | None, env: Mapping[str, str] | None, **kwargs: object
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(  # type: ignore[call-overload]
            list(cmd),
            cwd=cwd,
            env=child_env(env),
            start_new_session=os.name == "posix",
            **kwargs,
        )
    except FileNotFoundError as exc:
        raise ToolkitError(f"`{cmd[0]}` is not installed or not on PATH; install it and retry.") from exc


def popen(
    cmd: Sequence[str], *, cwd: Path | str | None = None, env: Mapping[str, str] | None = None,
    **kwargs: object,
) -> subprocess.Popen[bytes]:
    """Start a long-lived child (git cat-file) with the token-free environment, in its own group."""
    return _popen(cmd, cwd=cwd, env=env, **kwargs)


def run(
    cmd: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `cmd`, capturing output; raise ToolkitError when it cannot start or (with check) fails.

    Past `timeout` seconds the child's whole group is stopped and subprocess.TimeoutExpired raised.
    """
    child = _popen(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        out, err = child.communicate(input, timeout=timeout)
    except BaseException:
        _end_group(child)
        raise
    proc = subprocess.CompletedProcess(list(cmd), child.returncode, out, err)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()
        last = detail[-1] if detail else f"exit code {proc.returncode}"
        raise ToolkitError(f"`{' '.join(cmd[:3])}` failed in {cwd or '.'}: {last}")
    return proc


def stream(
    cmd: Sequence[str],
    *,
    on_line: Callable[[str], None],
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    """Run `cmd` with stderr merged into stdout, pass each line to on_line; return (code, output)."""
    child = _popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)
    lines: list[str] = []
    assert child.stdout is not None
    try:
        for raw in child.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            lines.append(line)
            on_line(line)
        child.wait()
    except BaseException:
        _end_group(child)
        raise
    finally:
        child.stdout.close()
    return child.returncode, "\n".join(lines)
