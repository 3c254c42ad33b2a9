"""Wall time and peak memory of `toolkit drift`, optionally beside Evidently's report (run by hand).

Writes a reference and a current CSV of ROWS x 20 columns (14 float, 2 integer, 1 binary and
3 text columns; the current side has a mean shift, a scale change and a new category), then runs,
each in a fresh process and alternating so all see the same machine load,

    toolkit drift --reference ref.csv --current cur.csv --json       # this venv's toolkit
    OTHER/toolkit drift ... --json                                   # each --toolkit OTHER/toolkit
    EVIDENTLY_PYTHON -c "<pandas.read_csv both; Report([DataDriftPreset()]).run(...)>"

N times each (default 3) and prints the median wall time, the peak resident memory (ru_maxrss of
the child, from os.wait4) and the ratios, plus the size of the data itself. Evidently 0.7 needs
pandas < 3, so it is not in the toolkit's venv: pass the Python of the venv
scripts/evidently_reference.py describes (`--evidently-python /tmp/evidently-venv/bin/python`) to
run it as a peer. `--toolkit` (repeatable) times other installs of the toolkit: an older commit,
another pandas, no pyarrow. Usage:

    .venv/bin/python benchmarks/bench_drift.py [--rows 1000000] [--runs 3] [--keep]
        [--toolkit PATH ...] [--evidently-python PATH]
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

EVIDENTLY = """
import sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
print(snapshot.dict()["metrics"][0]["value"])
"""


def write_data(folder: Path, rows: int) -> tuple[Path, Path, int]:
    """The two CSV files; returns their paths and the in-memory size of one side (bytes)."""
    import numpy as np
    import pandas as pd

    def frame(seed: int, shifted: bool) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        data: dict[str, object] = {}
        for i in range(14):
            shift = 0.3 if shifted and i == 0 else 0.0
            scale = 2.0 if shifted and i == 1 else 1.0
            data[f"num{i}"] = rng.normal(shift, scale, rows).round(6)
        data["count"] = rng.integers(0, 1000, rows)
        data["days"] = rng.integers(0, 60, rows)
        data["flag"] = rng.integers(0, 2, rows)
        cities = ["Lyon", "Oslo", "Pune", "Lima", "Kyiv"] + (["Quito"] if shifted else [])
        data["city"] = rng.choice(cities, rows)
        data["plan"] = rng.choice(["free", "pro", "team"], rows)
        data["channel"] = rng.choice([f"c{k:02d}" for k in range(40)], rows)
        return pd.DataFrame(data)

    ref, cur = folder / "ref.csv", folder / "cur.csv"
    reference = frame(1, False)
    reference.to_csv(ref, index=False)
    frame(2, True).to_csv(cur, index=False)
    size = int(reference.memory_usage(deep=True).sum())
    return ref, cur, size


def measure(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3):
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}):\n{err[-2000:]}")
    if proc.stderr:
        proc.stderr.close()
    return wall, usage.ru_maxrss * 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument(
        "--toolkit", type=Path, action="append", default=[], help="another toolkit to time beside this one"
    )
    parser.add_argument("--evidently-python", type=Path, help="a Python with evidently==0.7.23 installed")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-drift-"))
    try:
        ref, cur, size = write_data(folder, args.rows)
        drift_args = ["drift", "--reference", ref.name, "--current", cur.name, "--json"]
        commands = {"toolkit drift": [str(BIN / "toolkit"), *drift_args]}
        for other in args.toolkit:
            commands[str(other)] = [str(other), *drift_args]
        if args.evidently_python:
            commands["Evidently 0.7"] = [str(args.evidently_python), "-c", EVIDENTLY, ref.name, cur.name]
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                runs[name].append(measure(cmd, folder))
        mib = 1024 * 1024
        print(
            f"data: {args.rows:,} rows x 20 columns; CSV {ref.stat().st_size / mib:.0f} MiB per side; "
            f"one side in pandas {size / mib:.0f} MiB"
        )
        first = next(iter(commands))
        t_first = statistics.median(w for w, _ in runs[first])
        m_first = max(m for _, m in runs[first])
        for name, measured in runs.items():
            wall = statistics.median(w for w, _ in measured)
            peak = max(m for _, m in measured)
            ratio = (
                ""
                if name == first
                else f"; {first} / this: time {t_first / wall:.2f}, memory {m_first / peak:.2f}"
            )
            print(
                f"{name}: median {wall:6.2f} s, peak RSS {peak / mib:7.0f} MiB "
                f"({peak / size:.1f}x one side in memory){ratio}"
            )
        print(f"({args.runs} runs each, alternating)")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
