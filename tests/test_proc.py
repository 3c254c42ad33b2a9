"""toolkit.proc: children get no token, and an interrupted toolkit leaves no child running."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.gitrepo import commit_all, make_repo
from toolkit import proc


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_child_env_drops_every_token() -> None:
    env = proc.child_env({"GITHUB_TOKEN": "t", "GH_TOKEN": "t", "ACTIONS_RUNTIME_TOKEN": "t", "PATH": "/bin"})
    assert env == {"PATH": "/bin"}
    done = proc.run(["env"], env={**os.environ, "GITHUB_TOKEN": "ghs_x123"})
    assert b"ghs_x123" not in done.stdout


def _sleeping_pipeline(tmp_path: Path) -> Path:
    repo = make_repo(
        tmp_path / "r",
        {
            "dvc.yaml": "stages:\n  slow:\n    cmd: python slow.py\n    outs:\n      - out.txt\n",
            "slow.py": textwrap.dedent(
                """\
                import os, time
                open("stage.pid", "w").write(str(os.getpid()))
                time.sleep(120)
                open("out.txt", "w").write("done")
                """
            ),
            ".gitignore": "stage.pid\n",
        },
    )
    init = subprocess.run([sys.executable, "-P", "-m", "dvc", "init", "-q"], cwd=repo, capture_output=True)
    assert init.returncode == 0, init.stderr
    commit_all(repo, "dvc init")
    return repo


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_dvc_repro_and_its_stage(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    repo = _sleeping_pipeline(tmp_path)
    toolkit = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "repro"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _wait_for(repo / "stage.pid")
    stage = int((repo / "stage.pid").read_text())
    toolkit.send_signal(sig)
    _, err = toolkit.communicate(timeout=60)
    assert toolkit.returncode == code, err.decode()
    assert b"Traceback" not in err
    deadline = time.monotonic() + 10
    while _alive(stage) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(stage), "the stage outlived the toolkit"
    # DVC's lock is free: the next run reproduces (quickly, with a quick stage).
    (repo / "slow.py").write_text("open('out.txt', 'w').write('done')\n")
    again = subprocess.run(
        [sys.executable, "-m", "toolkit", "repro"], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert (repo / "out.txt").read_text() == "done"


def _peek_before_and_after_harden(unprivileged: bool) -> tuple[int, int]:
    """In a fork of this very process: read our own /proc environ, harden, read it again.

    Forked, not a new `python -c`: the child is this interpreter with `toolkit` already imported,
    so it cannot pick up another interpreter or lose the package to a path it may not read.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report two exit codes through the pipe, never return into pytest
        code = 1
        try:
            os.close(read)
            if unprivileged:
                # The pipeline runs as the job's user, not root (root reads any /proc entry).
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
                # Changing uid made this process undumpable (fs.suid_dumpable); an exec'd stage
                # process starts dumpable, so start from there.
                ctypes.CDLL(None, use_errno=True).prctl(4, 1, 0, 0, 0)
            peek = ["cat", f"/proc/{os.getpid()}/environ"]
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GITHUB_TOKEN": "x"}
            before = subprocess.run(peek, capture_output=True, env=env, cwd="/").returncode
            proc.harden()
            after = subprocess.run(peek, capture_output=True, env=env, cwd="/").returncode
            os.write(write, f"{before} {after}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        out = fh.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"the forked check failed (printed {out!r})"
    before, after = (int(x) for x in out.split())
    return before, after


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="harden() uses Linux's prctl")
def test_harden_hides_the_environment_from_children() -> None:
    # A pipeline stage reading /proc/<toolkit pid>/environ would find the token there.
    assert _peek_before_and_after_harden(unprivileged=os.getuid() == 0) == (0, 1)
