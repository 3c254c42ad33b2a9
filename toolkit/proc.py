"""The one wrapper for subprocesses."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from toolkit.errors import ToolkitError

#: Run DVC through the interpreter the toolkit runs in, so an unactivated venv still works.
DVC = (sys.executable, "-m", "dvc")


def run(
    cmd: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run `cmd`, capturing output; raise ToolkitError when it cannot start or (with check) fails."""
    try:
        proc = subprocess.run(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=input,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolkitError(f"`{cmd[0]}` is not installed or not on PATH; install it and retry.") from exc
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
    try:
        child = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except FileNotFoundError as exc:
        raise ToolkitError(f"`{cmd[0]}` is not installed or not on PATH; install it and retry.") from exc
    lines: list[str] = []
    assert child.stdout is not None
    with child:
        for raw in child.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            lines.append(line)
            on_line(line)
    return child.returncode, "\n".join(lines)
