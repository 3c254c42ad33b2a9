"""Wall time and peak memory of `toolkit drift` against Evidently's report (run by hand, not a test).

Writes a reference and a current CSV of ROWS x 20 columns (14 float, 2 integer, 1 binary and
3 text columns; the current side has a mean shift, a scale change and a new category), then runs,
each in a fresh process and alternating so both see the same machine load,

    toolkit drift --reference ref.csv --current cur.csv --json
    python -c "<pandas.read_csv both files; Evidently Report([DataDriftPreset()]).run(...)>"

N times each (default 3) and prints the median wall time, the peak resident memory (ru_maxrss of
the child, from os.wait4) and the ratios, plus the size of the data itself. Usage:

    .venv/bin/python benchmarks/bench_drift.py [--rows 1000000] [--runs 3] [--keep]
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
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-drift-"))
    try:
        ref, cur, size = write_data(folder, args.rows)
        ours_cmd = [str(BIN / "toolkit"), "drift", "--reference", ref.name, "--current", cur.name, "--json"]
        theirs_cmd = [sys.executable, "-c", EVIDENTLY, ref.name, cur.name]
        ours: list[tuple[float, int]] = []
        theirs: list[tuple[float, int]] = []
        for _ in range(args.runs):
            ours.append(measure(ours_cmd, folder))
            theirs.append(measure(theirs_cmd, folder))
        t_ours = statistics.median(w for w, _ in ours)
        t_theirs = statistics.median(w for w, _ in theirs)
        m_ours = max(m for _, m in ours)
        m_theirs = max(m for _, m in theirs)
        mib = 1024 * 1024
        print(
            f"data: {args.rows:,} rows x 20 columns; CSV {ref.stat().st_size / mib:.0f} MiB per side; "
            f"one side in pandas {size / mib:.0f} MiB"
        )
        print(
            f"toolkit drift : median {t_ours:6.2f} s, peak RSS {m_ours / mib:7.0f} MiB "
            f"({m_ours / size:.1f}x one side in memory)"
        )
        print(f"Evidently 0.7 : median {t_theirs:6.2f} s, peak RSS {m_theirs / mib:7.0f} MiB")
        print(
            f"ratio (toolkit / Evidently): time {t_ours / t_theirs:.2f}, memory {m_ours / m_theirs:.2f} "
            f"({args.runs} runs each, alternating)"
        )
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
