#!/usr/bin/env bash
# The README's first command: the main job end to end on a fresh machine.
# Installs the toolkit (non-editable) into .venv-demo, scaffolds a demo project in ./demo (DVC remote in
# ./demo-dvc-storage), reproduces a baseline on main, opens a branch that changes a param, and runs
# `toolkit ci` there, which reproduces, compares against main, evaluates the gates and prints the
# report (also written to demo/toolkit-report.md). Exit code: toolkit ci's (0 pass, 3 a gate failed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo="$root/demo"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Error: Python 3.11 or newer is needed as python3." >&2; exit 1; }
venv="$root/.venv-demo"
echo "== installing the toolkit and its dependencies (dvc, scikit-learn) into .venv-demo"
echo "   (about a minute on a fresh machine, seconds when already installed)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "$root"
export PATH="$venv/bin:$PATH"

# Only ever remove a demo this script made.
if [ -e "$demo" ]; then
  if [ -f "$demo/.toolkit-demo" ]; then
    rm -rf "$demo" "$root/demo-dvc-storage"
  else
    echo "Error: $demo exists and was not made by this script; move it away and rerun." >&2
    exit 1
  fi
fi
# A fresh machine may have no git identity; give the demo's commits one without touching config.
if ! git config user.email >/dev/null 2>&1; then
  export GIT_AUTHOR_NAME="mlops-toolkit demo" GIT_AUTHOR_EMAIL="demo@example.invalid"
  export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
fi

echo "== toolkit new demo (renders the project, git init, dvc init, first commit: a few seconds)"
toolkit new "$demo"
cd "$demo"
touch .toolkit-demo && echo ".toolkit-demo" >> .git/info/exclude

echo "== baseline on main: toolkit repro trains the model (a few seconds), then commit dvc.lock and metrics"
toolkit repro
git add -A && git commit -q -m "Baseline: reproduce the pipeline"

echo "== a pull-request branch that changes a param"
git switch -q -c tune-regularisation
python3 - <<'PY'
import re, pathlib
p = pathlib.Path("params.yaml")
text = p.read_text()
new = re.sub(r"(?m)^(\s*C:\s*)[0-9.eE+-]+", r"\g<1>0.05", text, count=1)
assert new != text, "params.yaml has no `C:` to change"
p.write_text(new)
PY
git commit -q -am "Stronger regularisation (C=0.05)"

echo "== toolkit ci: reproduces the branch (retrains: a few seconds), diffs against main, gates, report"
echo "   (not in GitHub Actions, so it prints the report and touches no network)"
set +e
toolkit ci --base main --output "$demo/toolkit-report.md"
code=$?
set -e
echo "== toolkit ci exited $code (0: gates pass, 3: a gate failed); report: $demo/toolkit-report.md"
[ "$code" -eq 0 ] || [ "$code" -eq 3 ]
