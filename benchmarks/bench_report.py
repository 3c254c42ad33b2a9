"""Whole-process timing of `toolkit report` on the scaffold, before/after drawing the pipeline
graph from the parsed dvc.yaml instead of a `dvc dag --md` subprocess (run by hand, not a test).

Scaffolds a project with `toolkit new`, reproduces it, commits, tunes a param on a `feature`
branch and reproduces again. Then, alternating so all see the same machine load, N times each:

    toolkit diff   --base main                       (the workspace: includes the stale check)
    toolkit diff   --base main --head HEAD           (a commit: no stale check)
    dvc status                                       (what the stale check answers without dvc)
    toolkit report --base main                       (now: toolkit/dag.py)
    toolkit report --base main, with `dvc dag --md`  (before: toolkit.dvc.dag_markdown)
    dvc dag --md                                     (the subprocess the report no longer runs)

and prints the medians. Usage:

    .venv/bin/python benchmarks/bench_report.py [--runs N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# The report as it was: the graph from `dvc dag --md` in a subprocess.
BEFORE = (
    "import sys, toolkit.dag, toolkit.dvc; toolkit.dag.markdown = toolkit.dvc.dag_markdown; "
    "from toolkit.cli import main; sys.argv = ['toolkit', *sys.argv[1:]]; main()"
)


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def build(path: Path, env: dict[str, str]) -> Path:
    _run([str(BIN / "toolkit"), "new", str(path), "--toolkit-requirement", "mlops-toolkit==0.1.0"],
         path.parent, env)
    _run([str(BIN / "toolkit"), "repro"], path, env)
    _run(["git", "add", "-A"], path, env)
    _run(["git", "commit", "-q", "-m", "reproduce"], path, env)
    _run(["git", "checkout", "-q", "-b", "feature"], path, env)
    params = path / "params.yaml"
    params.write_text(params.read_text().replace("C: 1.0 ", "C: 0.5 "))
    _run([str(BIN / "toolkit"), "repro"], path, env)
    _run(["git", "add", "-A"], path, env)
    _run(["git", "commit", "-q", "-m", "tune"], path, env)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(DVC_NO_ANALYTICS="1", PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        repo = build(tmp / "project", env)
        commands = {
            "toolkit diff": [str(BIN / "toolkit"), "diff", "--base", "main"],
            "toolkit diff --head HEAD (no stale check)": [
                str(BIN / "toolkit"), "diff", "--base", "main", "--head", "HEAD"
            ],
            "dvc status (what the stale check answers)": [sys.executable, "-m", "dvc", "status"],
            "toolkit report (now)": [str(BIN / "toolkit"), "report", "--base", "main"],
            "toolkit report (before: dvc dag)": [sys.executable, "-c", BEFORE, "report", "--base", "main"],
            "dvc dag --md": [sys.executable, "-m", "dvc", "dag", "--md"],
        }
        now = _run(commands["toolkit report (now)"], repo, env)
        before = _run(commands["toolkit report (before: dvc dag)"], repo, env)
        assert now == before, "the two reports differ"
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                start = time.perf_counter()
                _run(cmd, repo, env)
                times[name].append(time.perf_counter() - start)
        print(f"median of {args.runs} runs, whole process, {repo}:")
        for name, values in times.items():
            print(f"  {name:<42} {statistics.median(values) * 1000:7.0f} ms")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
