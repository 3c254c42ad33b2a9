"""Whole-process timing of `toolkit model show --json` against `gto show --json` (run by hand).

Builds a git repo (one `git fast-import`) with 20 artifacts declared in dvc.yaml and 1,000
annotated registry tags in the GTO format over 100 commits: per artifact 30 registrations and 20
stage changes (assign/unassign across dev, staging, prod), each tag one second after the last.
Checks that both tools print the same JSON, then runs, alternating so both see the same machine
load,

    toolkit model show --json
    gto show --json

N times each (default 5) and prints both medians and the ratio. Usage:

    .venv/bin/python benchmarks/bench_registry.py [--runs N] [--tags 1000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ARTIFACTS = 20
COMMITS = 100
START = 1_767_225_600
STAGES = ("dev", "staging", "prod")


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw + b"\n"


def build_repo(path: Path, n_tags: int, env: dict[str, str]) -> None:
    """The repo, written with one `git fast-import` stream."""
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, env=env, check=True)
    dvc_yaml = "artifacts:\n" + "".join(f"  model{a}:\n    path: models/m{a}.pkl\n" for a in range(ARTIFACTS))
    who = "Bench <bench@example.invalid>"
    out = bytearray()
    for c in range(COMMITS):
        out += b"commit refs/heads/main\nmark :%d\n" % (c + 1)
        out += f"committer {who} {START + c} +0000\n".encode() + _data(f"commit {c}")
        if c:
            out += b"from :%d\n" % c
        out += b"M 644 inline dvc.yaml\n" + _data(dvc_yaml)
        out += b"M 644 inline weights.txt\n" + _data(str(c))
    t = START + COMMITS
    per = n_tags // ARTIFACTS
    registrations = per * 3 // 5
    for a in range(ARTIFACTS):
        name = f"model{a}"
        for i in range(registrations):
            commit = 1 + (i * COMMITS) // registrations
            t += 1
            out += f"tag {name}@v1.{i}.0\nfrom :{commit}\ntagger {who} {t} +0000\n".encode()
            out += _data(f"Registering artifact {name} version v1.{i}.0")
        for j in range(per - registrations):
            counter = j + 1
            i = (j * 7) % registrations
            commit = 1 + (i * COMMITS) // registrations
            stage = STAGES[j % 3]
            cancel = "!" if j % 5 == 4 else ""
            t += 1
            out += f"tag {name}#{stage}{cancel}#{counter}\nfrom :{commit}\ntagger {who} {t} +0000\n".encode()
            out += _data(f"{'Unassigning' if cancel else 'Assigning'} stage {stage} of {name} v1.{i}.0")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=env, input=bytes(out), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, env=env, check=True)
    count = subprocess.run(
        ["git", "tag", "-l"], cwd=path, env=env, capture_output=True, text=True, check=True
    )
    assert len(count.stdout.split()) == n_tags, len(count.stdout.split())


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=True)
    return time.perf_counter() - start, proc.stdout


def main() -> int:
    """Build, check, time; print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tags", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the temp repo")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    tmp = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    try:
        repo = tmp / "repo"
        build_repo(repo, args.tags, env)
        ours_cmd = [str(BIN / "toolkit"), "model", "show", "--json"]
        gto_cmd = [str(BIN / "gto"), "show", "--json"]
        _, ours = _time(ours_cmd, repo, env)  # warm-up (and .pyc files)
        _, theirs = _time(gto_cmd, repo, env)
        same = json.loads(ours) == json.loads(theirs)
        print(f"{args.tags} tags, {ARTIFACTS} artifacts: same JSON from both: {same}")
        if not same:
            print("toolkit:", ours.decode()[:2000], "\ngto:", theirs.decode()[:2000], file=sys.stderr)
            return 1
        t_ours, t_gto = [], []
        for _ in range(args.runs):
            t_ours.append(_time(ours_cmd, repo, env)[0])
            t_gto.append(_time(gto_cmd, repo, env)[0])
        mo, mg = statistics.median(t_ours), statistics.median(t_gto)
        print(f"toolkit model show --json: median {mo * 1000:.0f} ms over {args.runs} runs")
        print(f"gto show --json:           median {mg * 1000:.0f} ms over {args.runs} runs")
        print(f"ratio (gto / toolkit):     {mg / mo:.1f}x")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
