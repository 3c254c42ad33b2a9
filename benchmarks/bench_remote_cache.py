"""Wall time of the pull-request check on a fresh clone: S3 remote with the run-cache, or none.

moto's S3 server runs on 127.0.0.1 (in-process, as in the tests) with the real dvc-s3. A scaffold
pointed at it (`toolkit new --remote s3://...`) is reproduced and pushed (`toolkit repro --push`:
outputs and run-cache) and committed on main. Then, alternating,

    fresh clone, remote set          ->  toolkit ci --base main   (pulls from S3; stages re-run: 0)
    fresh clone, remote removed      ->  toolkit ci --base main   (every stage whose output is
                                                                   not in git re-runs)

The clone is not timed (on a runner it is the checkout step). Prints the stages each run re-ran,
how many of the outputs dvc.lock declares were in the workspace afterwards (the steps after the
check read them), both medians and the ratio.

    .venv/bin/python benchmarks/bench_remote_cache.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
_RAN = re.compile(r"^Running stage '([^']+)'", re.M)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI", "AWS_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for who in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{who}_NAME", "bench")
        env.setdefault(f"GIT_{who}_EMAIL", "bench@example.invalid")
    env.update(
        DVC_NO_ANALYTICS="1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"),
        AWS_CONFIG_FILE=str(tmp / "none"),
    )
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        sys.exit(f"{' '.join(args)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def _outputs_present(clone: Path) -> str:
    """`N/M`: how many of the outputs in the clone's dvc.lock exist in its workspace."""
    import yaml

    lock = yaml.safe_load((clone / "dvc.lock").read_text(encoding="utf-8")) or {}
    outs = {o["path"] for stage in lock.get("stages", {}).values() for o in stage.get("outs", [])}
    return f"{sum((clone / p).exists() for p in outs)}/{len(outs)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-remote-") as tmpdir:
            tmp = Path(tmpdir)
            env = _env(tmp)
            client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                  aws_access_key_id="bench", aws_secret_access_key="bench")
            client.create_bucket(Bucket="bench")
            toolkit = [str(BIN / "toolkit")]
            _run([*toolkit, "new", "demo", "--remote", "s3://bench/demo", "--endpoint-url", endpoint],
                 tmp, env)
            demo = tmp / "demo"
            _run([*toolkit, "repro", "--push"], demo, env)
            _run(["git", "add", "-A"], demo, env)
            _run(["git", "commit", "-q", "-m", "Baseline"], demo, env)

            times: dict[str, list[float]] = {"remote": [], "none": []}
            ran: dict[str, set[str]] = {"remote": set(), "none": set()}
            present: dict[str, list[str]] = {"remote": [], "none": []}
            for i in range(runs):
                for kind in ("remote", "none"):
                    clone = tmp / f"{kind}-{i}"
                    _run(["git", "clone", "-q", str(demo), str(clone)], tmp, env)
                    if kind == "none":
                        _run([str(BIN / "dvc"), "remote", "remove", "storage"], clone, env)
                    start = time.perf_counter()
                    log = _run([*toolkit, "ci", "--base", "main"], clone, env)
                    times[kind].append(time.perf_counter() - start)
                    ran[kind] |= set(_RAN.findall(log))
                    present[kind].append(_outputs_present(clone))
            with_remote, without = statistics.median(times["remote"]), statistics.median(times["none"])
            print(f"runs: {runs} each (fresh clone every time), moto S3 on {endpoint}")
            for label, kind, median in (("S3 remote + run-cache", "remote", with_remote),
                                        ("no remote", "none", without)):
                print(f"{label + ':':22} median {median:.2f} s, re-ran {sorted(ran[kind]) or 'none'}, "
                      f"outputs present after: {', '.join(sorted(set(present[kind])))}")
            print(f"ratio: {with_remote / without:.2f}x the time ({without / with_remote:.1f}x faster)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
