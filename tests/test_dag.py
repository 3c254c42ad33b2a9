"""toolkit/dag.py against the real `dvc dag --md`: the same nodes and edges, no dvc process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.diff_repos import dvc
from tests.gitrepo import git, write_files
from tests.scaffold_helpers import tiny_dvc_repo
from toolkit import dag, dvcfiles

PIPELINE = """\
vars:
  - cfg.yaml
stages:
  prepare:
    cmd: python prep.py
    deps: [raw, prep.py]
    outs: [data/prepared]
  train:
    foreach: ${models}
    do:
      cmd: python train.py ${item}
      deps: [data/prepared/train.csv, train.py]
      params: [lr]
      outs:
        - models/${item}.pkl
  evaluate:
    matrix:
      model: ${models}
      split: [val, test]
    cmd: python eval.py ${item.model} ${item.split}
    deps:
      - models/${item.model}.pkl
      - data/prepared
    metrics:
      - eval/${item.model}-${item.split}.json:
          cache: false
  lonely:
    cmd: echo hi > lonely.txt
    outs: [lonely.txt]
  make_params:
    cmd: python mk.py
    outs: [conf/extra.yaml]
  uses_params:
    cmd: python use.py
    params:
      - conf/extra.yaml:
          - depth
"""

SUB = """\
stages:
  report:
    wdir: ..
    cmd: python report.py
    deps: [eval]
    outs: [reports/summary.md]
  alone:
    cmd: echo > x.txt
    outs: [x.txt]
"""


def _parts(text: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Node labels and edges (by label) of a `dvc dag --md` block."""
    labels = dict(re.findall(r'^\t(node\d+)\["(.*)"\]$', text, re.M))
    links = {(labels[a], labels[b]) for a, b in re.findall(r"^\t(node\d+)-->(node\d+)$", text, re.M)}
    return set(labels.values()), links


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dag") / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    dvc(path, "init", "-q")
    write_files(
        path,
        {
            "dvc.yaml": PIPELINE,
            "sub/dvc.yaml": SUB,
            "cfg.yaml": "models: [rf, gbm]\n",
            "params.yaml": "lr: 0.1\n",
            "raw/a.csv": "x\n1\n",
        },
    )
    dvc(path, "add", "-q", "raw")
    return path


def test_same_graph_as_dvc_dag(repo: Path) -> None:
    theirs = dvc(repo, "dag", "--md").stdout
    ours = dag.markdown(repo)
    assert ours is not None
    assert _parts(ours) == _parts(theirs)
    nodes, links = _parts(ours)
    # What the pipeline holds is really there (a test that cannot fail is a defect).
    assert {"raw.dvc", "train@rf", "evaluate@gbm-test", "sub/dvc.yaml:report", "uses_params"} <= nodes
    assert ("raw.dvc", "prepare") in links  # a `.dvc` file's output
    assert ("prepare", "train@gbm") in links  # a file inside a folder output
    assert ("evaluate@rf-val", "sub/dvc.yaml:report") in links  # a folder holding outputs, wdir
    assert ("make_params", "uses_params") in links  # a params file is a dependency too
    assert not any("lonely" in link for pair in links for link in pair)


def test_same_text_as_dvc_dag_on_one_dvc_yaml(tmp_path: Path) -> None:
    repo = tiny_dvc_repo(tmp_path / "tiny")
    assert dag.markdown(repo) == dvc(repo, "dag", "--md").stdout.strip() + "\n"
    (repo / "dvc.yaml").write_text(PIPELINE.replace("vars:\n  - cfg.yaml\n", "vars:\n  - models: [a, b]\n"))
    assert dag.markdown(repo) == dvc(repo, "dag", "--md").stdout.strip() + "\n"


def test_untrusted_names_cannot_end_the_label() -> None:
    nodes = [dvcfiles.Stage('x"]\n```', [], ["o"]), dvcfiles.Stage("y", ["o"], [])]
    text = dag.mermaid(nodes)
    assert text.count("```") == 2 and text.split("\n")[2].count('"]') == 1
    assert "\t" + "node1-->node2" in text or "\tnode2-->node1" in text


def test_a_broken_dvc_yaml_draws_nothing(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "dvc.yaml").write_text("stages: [unclosed\n")
    assert dag.markdown(tmp_path) is None
