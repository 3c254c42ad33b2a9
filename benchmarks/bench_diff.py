"""Whole-process timing of `toolkit diff` against `dvc metrics diff` (run by hand, not a test).

Builds two DVC repos in a temp folder (20 and 5,000 metric keys, nested, across two metrics files,
plus params.yaml), each with history: `main` and a `feature` branch that changes most values.
Then runs, alternating so both see the same machine load,

    toolkit diff --base main --head feature --json
    dvc metrics diff main feature --json

N times each (default 7) and prints both medians and the ratio. Usage:

    .venv/bin/python benchmarks/bench_diff.py [--runs N] [--keys 20,5000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)


def _metrics(keys: int, seed: int) -> tuple[dict[str, object], dict[str, object]]:
    """Two nested metric documents with `keys` leaves in total."""
    rng = random.Random(seed)
    half = keys // 2
    docs: list[dict[str, object]] = [{}, {}]
    for i in range(keys):
        doc = docs[0] if i < half else docs[1]
        group = doc.setdefault(f"group{i % 50}", {})
        assert isinstance(group, dict)
        group[f"metric_{i}"] = round(rng.random(), 6)
    return docs[0], docs[1]


def build_repo(path: Path, keys: int, env: dict[str, str]) -> None:
    """A DVC repo with `keys` metric keys on main and changed values on feature."""
    path.mkdir(parents=True)
    _run(["git", "init", "-q", "-b", "main"], path, env)
    _run([sys.executable, "-m", "dvc", "init", "-q"], path, env)
    (path / "eval").mkdir()
    (path / "dvc.yaml").write_text(
        "stages:\n"
        "  evaluate:\n"
        "    cmd: python evaluate.py\n"
        "    params:\n"
        "      - train\n"
        "    metrics:\n"
        "      - eval/metrics.json:\n"
        "          cache: false\n"
        "      - eval/extra.json:\n"
        "          cache: false\n"
    )
    for branch, seed in (("main", 1), ("feature", 2)):
        if branch == "feature":
            _run(["git", "checkout", "-q", "-b", "feature"], path, env)
        first, second = _metrics(keys, seed)
        (path / "eval" / "metrics.json").write_text(json.dumps(first, indent=2))
        (path / "eval" / "extra.json").write_text(json.dumps(second, indent=2))
        (path / "params.yaml").write_text(
            f"train:\n  lr: {0.01 * seed}\n  epochs: {10 * seed}\n  layers: [64, 32]\n"
            "prepare:\n  split: 0.2\n"
        )
        (path / "evaluate.py").write_text("print('evaluate')\n")
        _run(["git", "add", "-A"], path, env)
        _run(["git", "commit", "-q", "-m", branch], path, env)
    _run(["git", "checkout", "-q", "main"], path, env)


def time_pair(repo: Path, runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Alternate the two commands `runs` times each; return their wall times."""
    toolkit = [str(BIN / "toolkit"), "diff", "--base", "main", "--head", "feature", "--json"]
    dvc = [str(BIN / "dvc"), "metrics", "diff", "main", "feature", "--json"]
    # Warm up both (page cache, .pyc files) and check they agree on the number of keys.
    out_t = subprocess.run(toolkit, cwd=repo, env=env, check=True, capture_output=True).stdout
    out_d = subprocess.run(dvc, cwd=repo, env=env, check=True, capture_output=True).stdout
    n_t = sum(len(v) for v in json.loads(out_t)["metrics"].values())
    n_d = sum(len(v) for v in json.loads(out_d).values())
    if n_t != n_d:
        raise SystemExit(f"toolkit reports {n_t} changed metric keys but dvc {n_d} in {repo}")
    t_times: list[float] = []
    d_times: list[float] = []
    for i in range(runs):
        order = [(toolkit, t_times), (dvc, d_times)]
        if i % 2:
            order.reverse()
        for cmd, sink in order:
            start = time.perf_counter()
            subprocess.run(cmd, cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)
            sink.append(time.perf_counter() - start)
    return t_times, d_times


def main() -> int:
    """Build the repos, time both tools, print medians and ratios."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keys", default="20,5000")
    parser.add_argument("--keep", action="store_true", help="keep the temp repos")
    args = parser.parse_args()

    env = dict(os.environ)
    # Both tools run from compiled bytecode, as after `pip install`: dvc's site-packages already
    # hold .pyc files, and an editable toolkit checkout gets them on the warm-up run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        DVC_NO_ANALYTICS="1",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-diff-"))
    try:
        header = f"{'keys':>6}  {'dvc median':>11}  {'toolkit median':>14}  {'ratio':>6}"
        print(f"{header}   ({args.runs} runs each, alternating)")
        for keys in (int(k) for k in args.keys.split(",")):
            repo = tmp / f"repo{keys}"
            build_repo(repo, keys, env)
            t_times, d_times = time_pair(repo, args.runs, env)
            t_med, d_med = statistics.median(t_times), statistics.median(d_times)
            print(f"{keys:>6}  {d_med * 1000:>9.0f}ms  {t_med * 1000:>12.0f}ms  {d_med / t_med:>5.1f}x")
    finally:
        if args.keep:
            print(f"repos kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
