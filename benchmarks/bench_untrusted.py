"""Time and peak memory of `toolkit diff` on the hostile files of issue 9 (run by hand, not a test).

Each attack is a git repo in a temp folder; `toolkit diff` runs in a child with a 2 GB address
space limit and a 60 s timeout, and the script prints its exit code, wall time and peak RSS
(os.wait4). Before issue 9 the /dev/zero symlink grew past 6 GB in 9 s and the alias bomb without
end; after, each is refused (exit 1) in well under a second. Usage:

    .venv/bin/python benchmarks/bench_untrusted.py [--toolkit-src DIR]

--toolkit-src runs another checkout's `toolkit` package (PYTHONPATH) for a before/after table.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT = 2 * 1024**3
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _repo(base: Path, name: str, files: dict[str, str | bytes], link: str | None = None) -> Path:
    repo = base / name
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    if link:
        (repo / "eval").mkdir(exist_ok=True)
        os.symlink(link, repo / "eval" / "m.json")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=b", "-c", "user.email=b@example.invalid", "commit", "-qm", "x")
    return repo


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _measure(repo: Path, args: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    start = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "toolkit", *args], cwd=repo, env=env, preexec_fn=_limit,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = start + 60
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            code = str(os.waitstatus_to_exitcode(status))
            break
        if time.monotonic() > deadline:
            child.kill()
            _, _, usage = os.wait4(child.pid, 0)
            code = "timeout"
            break
        time.sleep(0.01)
    child.returncode = 0  # reaped by wait4 above: Popen must not wait for it again
    return code, time.monotonic() - start, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolkit-src", type=Path, help="run this checkout's toolkit instead")
    opts = parser.parse_args()
    env = dict(os.environ)
    if opts.toolkit_src:
        env["PYTHONPATH"] = str(opts.toolkit_src.resolve())
    metrics = "metrics:\n  - eval/m.json\n"
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cases = [
            ("symlink to /dev/zero (workspace)", _repo(base, "z", {"dvc.yaml": metrics}, "/dev/zero"), []),
            ("YAML alias bomb (9 lines)", _repo(base, "b", {"dvc.yaml": "metrics:\n  - eval/m.yaml\n",
                                                            "eval/m.yaml": BOMB}), []),
            ("5,000-deep JSON", _repo(base, "d", {"dvc.yaml": metrics,
                                                  "eval/m.json": "[" * 5000 + "]" * 5000}), []),
            ("5,000-digit integer", _repo(base, "i", {"dvc.yaml": metrics,
                                                      "eval/m.json": '{"a": ' + "9" * 5000 + "}"}), []),
            ("40 MB committed metrics file",
             _repo(base, "l", {"dvc.yaml": metrics, "eval/m.json": b"[" + b"1," * 20_000_000 + b"1]"}),
             ["--base", "HEAD", "--head", "HEAD"]),
        ]
        print(f"{'attack':36} {'exit':>7} {'seconds':>8} {'peak MB':>8}")
        for name, repo, args in cases:
            code, seconds, peak = _measure(repo, ["diff", *args], env)
            print(f"{name:36} {code:>7} {seconds:8.2f} {peak:8.0f}")


if __name__ == "__main__":
    main()
