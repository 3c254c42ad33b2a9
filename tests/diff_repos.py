"""Real DVC repositories with history for the diff tests (built with real `dvc init`/`dvc repro`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.gitrepo import commit_all, git, write_files

# The stage command: writes every file named in a JSON spec ({path: text}).
GEN = """\
import json, pathlib, sys
spec = json.loads(pathlib.Path(sys.argv[1]).read_text())
for name, text in spec.items():
    path = pathlib.Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
"""

ROOT_DVC_YAML = """\
stages:
  train:
    cmd: python gen.py spec.json
    deps:
      - gen.py
      - spec.json
    params:
      - lr
      - conf/extra.yaml:
          - model.depth
          - model.opt
    metrics:
      - eval/metrics.json:
          cache: false
      - eval/cached.json
    plots:
      - eval/roc.json:
          cache: false
          x: fpr
          y: tpr
metrics:
  - top.yaml
plots:
  - roc_curve:
      x: fpr
      y:
        eval/roc.json: tpr
      title: ROC
"""

SUB_DVC_YAML = """\
stages:
  subtrain:
    cmd: python ../gen.py subspec.json
    deps:
      - subspec.json
    params:
      - alpha
    metrics:
      - scores.yaml:
          cache: false
"""


def dvc(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real dvc (as a subprocess) in `repo`."""
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True, env=env
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed in {repo}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def dvc_json(repo: Path, *args: str) -> Any:
    """`dvc ... --json` parsed (Python's json reads DVC's NaN/Infinity tokens)."""
    return json.loads(dvc(repo, *args, "--json").stdout or "{}")


def _version(
    metrics: dict[str, Any],
    cached: dict[str, Any],
    top: str,
    params: str,
    extra: str,
    sub_params: str,
    scores: str,
) -> dict[str, str]:
    spec = {
        "eval/metrics.json": json.dumps(metrics),
        "eval/cached.json": json.dumps(cached),
        "eval/roc.json": json.dumps({"roc": [{"fpr": 0.0, "tpr": 0.0}, {"fpr": 1.0, "tpr": 1.0}]}),
    }
    return {
        "spec.json": json.dumps(spec),
        "top.yaml": top,
        "params.yaml": params,
        "conf/extra.yaml": extra,
        "sub/params.yaml": sub_params,
        "sub/subspec.json": json.dumps({"scores.yaml": scores}),
    }


V1 = _version(
    metrics={
        "acc": 0.5,
        "loss": 0.7,
        "nested": {"f1": 0.8, "deep": {"x": 1, "y": 2.5}},
        "name": "rf",
        "gone": 3,
        "flag": True,
        "lst": [1, 2],
        "nothing": None,
        "nan": float("nan"),
        "inf": float("inf"),
        "int_to_float": 1,
    },
    cached={"auc": 0.9, "per_class": {"a": 0.1, "b": 0.2}},
    top="a: 1\nb:\n  c: 2\n  d: text\nlr_e: 1e-3\n",
    params="lr: 0.1\nepochs: 10\nlayers: [64, 32]\nflag: true\nopt:\n  name: adam\n  beta: 0.9\nold_key: 1\n",
    extra="model:\n  depth: 3\n  opt: {name: sgd, momentum: 0.9}\n  width: 5\nother: 1\n",
    sub_params="alpha: 0.5\nbeta: 1\n",
    scores="r2: 0.75\nmse: 12\n",
)

V2 = _version(
    metrics={
        "acc": 0.6,
        "loss": 0.65,
        "nested": {"f1": 0.7, "deep": {"x": 1, "y": 3}},
        "name": "gbm",
        "new": 4,
        "flag": False,
        "lst": [1, 3],
        "nothing": None,
        "nan": float("nan"),
        "inf": 2.0,
        "int_to_float": 1.0,
    },
    cached={"auc": 0.93, "per_class": {"a": 0.15, "b": 0.2}, "added": 1},
    top="a: 2\nb:\n  d: other\nlr_e: 2e-3\n",
    params=(
        "lr: 0.2\nepochs: 10\nlayers: [64, 64]\nflag: false\nopt:\n  name: adam\n  beta: 0.95\nnew_key: x\n"
    ),
    extra="model:\n  depth: 4\n  opt: {name: sgd, momentum: 0.8}\n  width: 6\nother: 2\n",
    sub_params="alpha: 0.25\nbeta: 2\n",
    scores="r2: 0.8\nmse: 10\n",
)


def build(path: Path) -> dict[str, str]:
    """A DVC repo at `path`: `main` (V1) and `feature` (V2), both reproduced; returns their shas."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    dvc(path, "init", "-q")
    write_files(path, {"gen.py": GEN, "dvc.yaml": ROOT_DVC_YAML, "sub/dvc.yaml": SUB_DVC_YAML})
    write_files(path, V1)
    dvc(path, "repro", "-q", "--all-pipelines")
    shas = {"main": commit_all(path, "v1")}
    git(path, "checkout", "-q", "-b", "feature")
    write_files(path, V2)
    dvc(path, "repro", "-q", "--all-pipelines")
    shas["feature"] = commit_all(path, "v2")
    git(path, "checkout", "-q", "main")
    return shas


TEMPLATED_DVC_YAML = """\
vars:
  - cfg.yaml:models,paths
  - inline: {unused: 1}
stages:
  eval:
    foreach: ${models}
    do:
      cmd: python gen.py ${item.name} ${item.v} ${paths.out}/${item.name}.json
      deps:
        - gen.py
      metrics:
        - ${paths.out}/${item.name}.json
  grid:
    matrix:
      lr: [1, 2]
    wdir: grid
    cmd: python ../gen.py lr ${item.lr} g${item.lr}.json ${threshold}
    metrics:
      - g${item.lr}.json:
          cache: false
"""

TEMPLATED_GEN = """\
import json, pathlib, sys
name, value, out = sys.argv[1:4]
path = pathlib.Path(out)
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(json.dumps({"score": float(value), "name": name}))
"""


def build_templated(path: Path) -> None:
    """foreach/matrix/vars templating with cached outputs: `main` and `feature`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    dvc(path, "init", "-q")
    write_files(
        path,
        {
            "gen.py": TEMPLATED_GEN,
            "dvc.yaml": TEMPLATED_DVC_YAML,
            "params.yaml": "threshold: 0.5\n",
            "grid/.gitkeep": "",
            "cfg.yaml": "models:\n  - {name: rf, v: 0.5}\n  - {name: gbm, v: 0.7}\npaths:\n  out: out\n"
            "other: 1\n",
        },
    )
    dvc(path, "repro", "-q")
    commit_all(path, "v1")
    git(path, "checkout", "-q", "-b", "feature")
    write_files(
        path,
        {
            "cfg.yaml": "models:\n  - {name: rf, v: 0.6}\n  - {name: gbm, v: 0.7}\npaths:\n  out: out\n"
            "other: 2\n",
            "dvc.yaml": TEMPLATED_DVC_YAML.replace("lr: [1, 2]", "lr: [1, 3]"),
            "params.yaml": "threshold: 0.6\n",
        },
    )
    dvc(path, "repro", "-q")
    commit_all(path, "v2")
    git(path, "checkout", "-q", "main")


NON_FINITE_DVC_YAML = """\
stages:
  train:
    cmd: python gen.py spec.json
    deps:
      - spec.json
    params:
      - lr
      - sched
      - conf.toml:
          - decay
          - floor
    metrics:
      - eval/metrics.json:
          cache: false
      - eval/scores.yaml:
          cache: false
      - eval/stats.toml:
          cache: false
"""


def _non_finite(json_text: str, yaml_text: str, toml_text: str, params: str, conf: str) -> dict[str, str]:
    spec = {"eval/metrics.json": json_text, "eval/scores.yaml": yaml_text, "eval/stats.toml": toml_text}
    return {"spec.json": json.dumps(spec), "params.yaml": params, "conf.toml": conf}


# NaN and infinities as each format writes them: a diverged run, statistics of a column with
# missing values. Each key changes between finite and not finite, or stays not finite.
NON_FINITE_MAIN = _non_finite(
    '{"roc_auc": 0.91, "loss": 0.3, "gap": -Infinity, "mean": NaN, "steps": 10, "big": 1e308,'
    ' "same_inf": Infinity, "per_class": {"a": NaN, "b": 0.5}}',
    "f1: .nan\nrmse: 1.5\nlow: -.inf\nhigh: .inf\ncount: 3\nsame_nan: .NaN\n",
    "mean = nan\nstd = 0.25\nmin = -inf\nmax = inf\nn = 7\n",
    "lr: .nan\nsched:\n  warmup: .inf\n  gamma: 0.5\n",
    "decay = 0.1\nfloor = -inf\n",
)
NON_FINITE_FEATURE = _non_finite(
    '{"roc_auc": NaN, "loss": Infinity, "gap": 1.0, "mean": 0.5, "steps": NaN, "big": Infinity,'
    ' "same_inf": Infinity, "per_class": {"a": -Infinity, "b": NaN}}',
    "f1: 0.8\nrmse: .inf\nlow: 2\nhigh: -.inf\ncount: .nan\nsame_nan: .nan\n",
    "mean = 1.5\nstd = nan\nmin = 0\nmax = -inf\nn = +inf\n",
    "lr: 0.01\nsched:\n  warmup: 5\n  gamma: .nan\n",
    "decay = nan\nfloor = 0.0\n",
)


def build_non_finite(path: Path) -> None:
    """A DVC repo whose metrics and params hold NaN/inf/-inf (JSON, YAML, TOML): `main`, `feature`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    dvc(path, "init", "-q")
    write_files(path, {"gen.py": GEN, "dvc.yaml": NON_FINITE_DVC_YAML, **NON_FINITE_MAIN})
    dvc(path, "repro", "-q")
    commit_all(path, "a run with NaN statistics")
    git(path, "checkout", "-q", "-b", "feature")
    write_files(path, NON_FINITE_FEATURE)
    dvc(path, "repro", "-q")
    commit_all(path, "a diverged run")
    git(path, "checkout", "-q", "main")
