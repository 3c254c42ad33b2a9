"""Wall time of a pull-request check on a fresh runner, with and without the DVC cache restored.

What the generated `pull-request.yml` does on a new runner: a fresh clone of the repository (no
stage outputs, no `.dvc/cache`), then `actions/cache` restores `.dvc/cache` (run-cache included)
from main's last run, then `toolkit ci`. This script builds a scaffolded project, reproduces and
commits it on `main`, and times, alternating,

    fresh clone + .dvc/cache copied in   ->  toolkit ci --base main   (stages re-run: 0)
    fresh clone, no cache                ->  toolkit ci --base main   (every stage re-runs)

It prints the stages each run re-ran (parsed from `toolkit ci`'s log), both medians and the ratio.
The clone and cache copy are not timed (on a runner they are checkout and cache-restore steps).

    .venv/bin/python benchmarks/bench_ci_cache.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("GIT_AUTHOR_NAME", "bench")
    env.setdefault("GIT_AUTHOR_EMAIL", "bench@example.invalid")
    env.setdefault("GIT_COMMITTER_NAME", "bench")
    env.setdefault("GIT_COMMITTER_EMAIL", "bench@example.invalid")
    env["DVC_NO_ANALYTICS"] = "1"
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def _one(origin: Path, work: Path, env: dict[str, str], *, cache: bool) -> tuple[float, str]:
    runner = work / ("cached" if cache else "cold")
    shutil.rmtree(runner, ignore_errors=True)
    _run(["git", "clone", "-q", str(origin), str(runner)], work, env)
    if cache:
        shutil.copytree(origin / ".dvc" / "cache", runner / ".dvc" / "cache")
    start = time.perf_counter()
    done = _run([str(BIN / "toolkit"), "ci", "--base", "main", "-o", str(work / "r.md")], runner, env)
    seconds = time.perf_counter() - start
    line = next((m.group(1) for m in re.finditer(r"dvc repro: (.*)", done.stderr)), "?")
    return seconds, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = _env()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        new = ["new", "origin", "--toolkit-requirement", "mlops-toolkit"]
        _run([str(BIN / "toolkit"), "-q", *new], work, env)
        origin = work / "origin"
        _run([str(BIN / "toolkit"), "repro"], origin, env)
        _run(["git", "add", "-A"], origin, env)
        _run(["git", "commit", "-q", "-m", "Reproduce"], origin, env)
        # The scaffold's DVC remote is a folder beside the project: a runner does not have it.
        shutil.rmtree(work / "origin-dvc-storage")
        times: dict[bool, list[float]] = {True: [], False: []}
        lines: dict[bool, str] = {}
        _one(origin, work, env, cache=True)  # warm-up: bytecode, page cache
        for _ in range(args.runs):
            for cache in (True, False):
                seconds, line = _one(origin, work, env, cache=cache)
                times[cache].append(seconds)
                lines[cache] = line
    cached, cold = statistics.median(times[True]), statistics.median(times[False])
    print(f"runs: {args.runs} each, alternating")
    print(f"with the DVC cache restored: median {cached:.2f} s  ({lines[True]})")
    print(f"without it (fresh runner):   median {cold:.2f} s  ({lines[False]})")
    print(f"ratio: {cold / cached:.1f}x faster with the cache")


if __name__ == "__main__":
    main()
