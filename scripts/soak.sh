#!/usr/bin/env bash
# Runs the README's test command N times (default 5) on a plain clone of HEAD, as a user would hit
# it: in a fresh 0700 folder (mktemp -d), with an unrelated virtual environment first on PATH and
# a CPU-heavy job beside it. Stops at the first failing run; prints one line per run.
#
#   bash scripts/soak.sh [RUNS] [pytest args...]
set -euo pipefail
runs=${1:-5}
shift || true
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "${burner:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q "$src" "$work/mlops-toolkit"
python3 -m venv "$work/unrelated-venv"   # a `python` without the toolkit, first on PATH
python3 -c 'while True: pass' &          # the CPU-heavy neighbour
burner=$!
for i in $(seq "$runs"); do
  start=$(date +%s)
  if (cd "$work/mlops-toolkit" && PATH="$work/unrelated-venv/bin:$PATH" bash scripts/test.sh -q "$@" \
        >"$work/run-$i.log" 2>&1); then
    echo "run $i: passed in $(( $(date +%s) - start )) s: $(tail -n 1 "$work/run-$i.log")"
  else
    echo "run $i: FAILED in $(( $(date +%s) - start )) s; the log follows"
    grep -vE '^WARNING: Location' "$work/run-$i.log" | tail -n 80
    exit 1
  fi
done
