"""toolkit.dvcfiles: what a revision declares, resolved as DVC resolves it."""

from __future__ import annotations

import pytest

from toolkit import dvcfiles
from toolkit.errors import DvcError


def _project(files: dict[str, str]) -> dvcfiles.Project:
    def read(path: str) -> bytes | None:
        return files[path].encode() if path in files else None

    return dvcfiles.load_project(files, read, "main (abc1234)")


def test_discovery_nested_and_dvcignore() -> None:
    files = {
        "dvc.yaml": "metrics: [m.json]\n",
        "sub/dvc.yaml": "metrics: [m.json]\n",
        "sub/deeper/dvc.yaml": "metrics: [../x.json]\n",
        "ignored/dvc.yaml": "metrics: [m.json]\n",
        "sub/skip/dvc.yaml": "metrics: [m.json]\n",
        ".dvc/tmp/dvc.yaml": "metrics: [m.json]\n",
        ".dvcignore": "# comment\nignored/\n",
        "sub/.dvcignore": "skip\n",
    }
    project = _project(files)
    assert project.dvcfiles == ["dvc.yaml", "sub/dvc.yaml", "sub/deeper/dvc.yaml"]
    assert list(project.metrics) == ["m.json", "sub/m.json", "sub/x.json"]


def test_ignore_rules() -> None:
    rules = dvcfiles.IgnoreRules({".dvcignore": "/top\n*.tmp\n!keep.tmp\nlogs/**\ndata/\n"})
    assert rules.ignored("top/dvc.yaml")
    assert not rules.ignored("a/top/dvc.yaml")
    assert rules.ignored("x/y.tmp") and not rules.ignored("x/keep.tmp")
    assert rules.ignored("logs/a/dvc.yaml")
    assert rules.ignored("data/dvc.yaml") and not rules.ignored("data")


def test_stage_outputs_wdir_cache_and_lock() -> None:
    files = {
        "dvc.yaml": (
            "stages:\n"
            "  train:\n"
            "    cmd: x\n"
            "    wdir: src\n"
            "    metrics:\n"
            "      - ../eval/m.json:\n"
            "          cache: false\n"
            "      - ../eval/cached.json\n"
            "    plots:\n"
            "      - ../eval/roc.csv:\n"
            "          x: fpr\n"
            "          y: tpr\n"
            "          cache: false\n"
            "      - ../eval/cm.png\n"
            "metrics:\n"
            "  - eval/cached.json\n"
        ),
        "dvc.lock": (
            "schema: '2.0'\n"
            "stages:\n"
            "  train:\n"
            "    cmd: x\n"
            "    outs:\n"
            "      - path: ../eval/cached.json\n"
            "        hash: md5\n"
            "        md5: 0123456789abcdef0123456789abcdef\n"
            "      - path: ../eval/m.json\n"
            "        md5: ffffffffffffffffffffffffffffffff\n"
        ),
    }
    project = _project(files)
    assert project.metrics == {"eval/m.json": False, "eval/cached.json": True}
    cached = project.outs["eval/cached.json"]
    assert (cached.md5, cached.legacy, cached.cached) == ("0123456789abcdef0123456789abcdef", False, True)
    assert project.outs["eval/m.json"].legacy  # no `hash: md5`: DVC 2 layout first
    plots = {p.definition.id: p for p in project.plots}
    roc = plots["eval/roc.csv"]
    assert (roc.definition.x, roc.definition.y, roc.cached) == ("fpr", ("tpr",), False)
    assert plots["eval/cm.png"].definition.image and plots["eval/cm.png"].cached


def test_params_merge_like_dvc() -> None:
    files = {
        "params.yaml": "lr: 1\n",
        "dvc.yaml": (
            "stages:\n"
            "  a:\n"
            "    cmd: x\n"
            "    params:\n"
            "      - lr\n"
            "      - conf.yaml:\n"
            "          - model.depth\n"
            "      - whole.yaml:\n"
            "  b:\n"
            "    cmd: y\n"
            "    params:\n"
            "      - conf.yaml:\n"
            "          - model.width\n"
            "          - model.depth\n"
            "      - whole.yaml:\n"
            "          - only\n"
            "params:\n"
            "  - top.json\n"
        ),
        "sub/dvc.yaml": "stages:\n  c:\n    cmd: z\n    params: [alpha]\n",
    }
    project = _project(files)
    assert project.params == {
        "params.yaml": [],
        "conf.yaml": ["model.depth", "model.width"],
        "whole.yaml": [],
        "top.json": [],
        "sub/params.yaml": ["alpha"],
    }
    assert project.default_params == set()  # a stage declares params.yaml: missing is a problem


def test_default_params_only_when_present() -> None:
    assert _project({"dvc.yaml": "stages: {}\n"}).params == {}
    project = _project({"params.yaml": "a: 1\n"})
    assert project.params == {"params.yaml": []} and project.default_params == {"params.yaml"}


def test_top_level_plots_forms() -> None:
    files = {
        "eval/dvc.yaml": (
            "plots:\n"
            "  - roc.json\n"
            "  - cm.png\n"
            "  - prc.json:\n"
            "      x: recall\n"
            "      y: [precision]\n"
            "      template: simple\n"
            "  - ROC curves:\n"
            "      x: fpr\n"
            "      y:\n"
            "        a.csv: tpr\n"
            "        b.csv: [tpr, fpr]\n"
            "      title: ROC\n"
            "      x_label: FPR\n"
        ),
    }
    plots = {p.definition.id: p.definition for p in _project(files).plots}
    assert plots["eval/roc.json"].path == "eval/roc.json"
    assert plots["eval/cm.png"].image
    assert plots["eval/prc.json"].x == "recall" and plots["eval/prc.json"].y == ("precision",)
    assert plots["eval/prc.json"].template == "simple"
    a = plots["ROC curves (eval/a.csv)"]
    assert (a.path, a.x, a.y, a.title, a.x_label) == ("eval/a.csv", "fpr", ("tpr",), "ROC", "FPR")
    assert plots["ROC curves (eval/b.csv)"].y == ("tpr", "fpr")


def test_templating_foreach_matrix_vars() -> None:
    files = {
        "params.yaml": "out_dir: results\nmodels: [rf, gbm]\n",
        "dvc.yaml": (
            "vars:\n"
            "  - extra: {name: x}\n"
            "stages:\n"
            "  eval:\n"
            "    foreach: ${models}\n"
            "    do:\n"
            "      cmd: run ${item}\n"
            "      metrics:\n"
            "        - ${out_dir}/${item}.json:\n"
            "            cache: false\n"
            "  grid:\n"
            "    matrix:\n"
            "      lr: [1, 2]\n"
            "    cmd: g\n"
            "    metrics:\n"
            "      - grid/${item.lr}-${extra.name}.json:\n"
            "          cache: false\n"
        ),
    }
    assert list(_project(files).metrics) == [
        "results/rf.json",
        "results/gbm.json",
        "grid/1-x.json",
        "grid/2-x.json",
    ]


def test_malformed_dvc_yaml_names_file_and_revision() -> None:
    with pytest.raises(DvcError, match=r"sub/dvc\.yaml at main \(abc1234\) is not valid YAML"):
        _project({"sub/dvc.yaml": "stages: [\n"})


def test_dvc_file_out() -> None:
    files = {"data/m.json.dvc": f"outs:\n- md5: {'abc' * 10}ab\n  path: m.json\n  hash: md5\n"}
    out = dvcfiles.dvc_file_out(lambda p: files[p].encode() if p in files else None, "data/m.json")
    assert out is not None and (out.md5, out.legacy, out.cached) == ("abc" * 10 + "ab", False, True)
    assert dvcfiles.dvc_file_out(lambda p: None, "x.json") is None
