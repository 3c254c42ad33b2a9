"""DVC repositories of the shapes found in the wild, built with the real `dvc` (issue 10).

Each has a default branch (`main` unless asked) and a `feature` branch, both reproduced and
committed:

- `subdir`: the DVC project in a subfolder of the git repo (`dvc init --subdir`), its cache moved
  by `cache.dir` in `.dvc/config.local`, a default `params.yaml` no stage declares whole, metrics
  inside a cached folder output (`outs: [eval]`) and a `foreach` stage with cached metrics;
- `dvclive`: the files DVCLive writes (`dvclive/metrics.json`, `dvclive/params.yaml`,
  `dvclive/plots/metrics/*.tsv` and `dvclive/dvc.yaml` declaring them), TOML params, several
  dvc.yaml files and no `params.yaml` at the root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.diff_repos import GEN, dvc
from tests.gitrepo import commit_all, git, write_files

SUBDIR = "ml/project"

SUBDIR_DVC_YAML = """\
stages:
  train:
    cmd: python gen.py spec.json
    deps:
      - gen.py
      - spec.json
    params:
      - train.lr
    outs:
      - eval
  score:
    foreach:
      - a
      - b
    do:
      cmd: python gen.py spec_${item}.json
      deps:
        - gen.py
        - spec_${item}.json
      metrics:
        - scores/${item}.json
metrics:
  - eval/metrics.json
plots:
  - eval/curve.json:
      x: step
      y: loss
"""


def _subdir_version(acc: float, loss: float, per_class: dict[str, float], lr: float, seed: int,
                    a: float, b: float) -> dict[str, str]:
    curve = [{"step": i, "loss": loss + 0.1 * (3 - i)} for i in range(4)]
    spec = {
        "eval/metrics.json": json.dumps({"acc": acc, "loss": loss, "per_class": per_class}),
        "eval/curve.json": json.dumps(curve),
        "eval/notes.txt": f"acc {acc}\n",
    }
    return {
        "spec.json": json.dumps(spec),
        "spec_a.json": json.dumps({"scores/a.json": json.dumps({"score": a})}),
        "spec_b.json": json.dumps({"scores/b.json": json.dumps({"score": b})}),
        "params.yaml": f"train:\n  lr: {lr}\n  epochs: 3\nseed: {seed}\n",
    }


SUBDIR_V1 = _subdir_version(0.81, 0.52, {"class_2": 0.7, "class_10": 0.9}, 0.1, 1, 0.5, 0.4)
SUBDIR_V2 = _subdir_version(0.84, 0.47, {"class_2": 0.75, "class_10": 0.85}, 0.05, 2, 0.55, 0.4)


def build_subdir(path: Path, *, cache: str | None = "../../../dvc-cache", branch: str = "main") -> Path:
    """The `subdir` shape at `path` (the git root, default branch `branch`); returns the DVC root
    (`path/ml/project`)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    write_files(path, {"README.md": "# not ours\n", "app/main.py": "print('hi')\n"})
    root = path / SUBDIR
    root.mkdir(parents=True)
    dvc(root, "init", "-q", "--subdir")
    if cache is not None:
        # Relative to .dvc/, as DVC resolves it: the cache beside the git repo, not in it.
        dvc(root, "config", "--local", "cache.dir", cache)
    write_files(root, {"gen.py": GEN, "dvc.yaml": SUBDIR_DVC_YAML, **SUBDIR_V1})
    dvc(root, "repro", "-q")
    commit_all(path, "v1")
    git(path, "checkout", "-q", "-b", "feature")
    write_files(root, SUBDIR_V2)
    dvc(root, "repro", "-q")
    commit_all(path, "v2")
    git(path, "checkout", "-q", branch)
    dvc(root, "checkout", "-q")
    return root


DVCLIVE_DVC_YAML = """\
params:
- params.yaml
metrics:
- metrics.json
plots:
- plots/metrics:
    x: step
"""

ROOT_DVC_YAML = """\
stages:
  prep:
    cmd: python gen.py spec.json
    deps:
      - gen.py
      - spec.json
    params:
      - config.toml:
          - prep
    metrics:
      - prep_stats.json:
          cache: false
"""

SUB_DVC_YAML = """\
stages:
  report:
    cmd: python ../gen.py spec.json
    deps:
      - spec.json
    params:
      - ../config.toml:
          - report.top_k
    metrics:
      - summary.toml:
          cache: false
"""


def _dvclive_version(accs: list[float], lr: float, rows: int, top_k: int, documents: int) -> dict[str, str]:
    steps = len(accs)
    metrics: dict[str, Any] = {
        "train": {"acc": accs[-1]}, "eval": {"acc": accs[-1] - 0.05}, "step": steps - 1
    }
    tsv = "step\tacc\n" + "".join(f"{i}\t{a}\n" for i, a in enumerate(accs))
    return {
        # What `Live.log_metric/log_param/next_step/make_summary/make_dvcyaml` write.
        "dvclive/metrics.json": json.dumps(metrics, indent=4),
        "dvclive/params.yaml": f"lr: {lr}\noptimizer: adam\n",
        "dvclive/plots/metrics/train/acc.tsv": tsv,
        "dvclive/dvc.yaml": DVCLIVE_DVC_YAML,
        "config.toml": f'[prep]\nrows = {rows}\nsplit = 0.2\n\n[report]\ntop_k = {top_k}\nname = "r"\n',
        "spec.json": json.dumps({"prep_stats.json": json.dumps({"test_rows": rows // 5})}),
        "reports/spec.json": json.dumps(
            {"summary.toml": f"Documents_evaluated = {documents}\nf1 = {0.5 + documents / 1e4}\n"}
        ),
    }


DVCLIVE_V1 = _dvclive_version([0.5, 0.6, 0.7], 0.01, 1000, 5, 100)
DVCLIVE_V2 = _dvclive_version([0.5, 0.65, 0.75, 0.8], 0.02, 1200, 10, 120)


def build_dvclive(path: Path, *, branch: str = "main") -> Path:
    """The `dvclive` shape at `path` (git root = DVC root, default branch `branch`); returns `path`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    dvc(path, "init", "-q")
    write_files(
        path,
        {"gen.py": GEN, "dvc.yaml": ROOT_DVC_YAML, "reports/dvc.yaml": SUB_DVC_YAML, **DVCLIVE_V1},
    )
    dvc(path, "repro", "-q", "--all-pipelines")
    commit_all(path, "v1")
    git(path, "checkout", "-q", "-b", "feature")
    write_files(path, DVCLIVE_V2)
    dvc(path, "repro", "-q", "--all-pipelines")
    commit_all(path, "v2")
    git(path, "checkout", "-q", branch)
    return path
