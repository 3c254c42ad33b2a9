#!/usr/bin/env bash
# The README's test command: creates .venv if needed, installs the toolkit with its test extras,
# then lints, type-checks and runs the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Error: Python 3.11 or newer is needed as python3." >&2; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check toolkit tests benchmarks
.venv/bin/mypy
exec .venv/bin/pytest -n 2 "$@"
