"""`toolkit report` and `toolkit gates` on real git repositories, through the click layer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.gitrepo import commit_all, git, make_repo, write_files
from tests.report_golden import assert_golden
from tests.report_mermaid import check_xychart, mermaid_blocks
from toolkit.cli import cli
from toolkit.report import size

DVC_YAML = """\
stages:
  evaluate:
    cmd: python evaluate.py
    params:
      - train
    metrics:
      - eval/metrics.json:
          cache: false
    plots:
      - eval/roc.json:
          cache: false
          x: fpr
          y: tpr
      - eval/confusion.json:
          cache: false
          template: confusion
          x: actual
          y: predicted
"""

GATES = """\
gates:
  - metric: roc_auc
    max_drop: 0.01
  - metric: eval/metrics.json:log_loss
    max: 0.3
"""


def roc(points: list[tuple[float, float]]) -> str:
    return json.dumps({"roc": [{"fpr": f, "tpr": t} for f, t in points]})


def confusion(pairs: dict[tuple[int, int], int]) -> str:
    rows = [{"actual": a, "predicted": p} for (a, p), n in pairs.items() for _ in range(n)]
    return json.dumps({"confusion": rows})


def metrics(roc_auc: float, log_loss: float) -> str:
    return json.dumps({"roc_auc": roc_auc, "log_loss": log_loss, "accuracy": 0.9})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """main: a trained model; the workspace on branch `feature`: a param changed, metrics moved."""
    root = make_repo(
        tmp_path / "project",
        {
            "dvc.yaml": DVC_YAML,
            "params.yaml": "train:\n  C: 1.0\n  max_iter: 100\n",
            "toolkit.yaml": GATES,
            "eval/metrics.json": metrics(0.95, 0.20),
            "eval/roc.json": roc([(0, 0), (0.1, 0.6), (0.5, 0.9), (1, 1)]),
            "eval/confusion.json": confusion({(0, 0): 40, (0, 1): 4, (1, 0): 6, (1, 1): 50}),
        },
    )
    git(root, "checkout", "-q", "-b", "feature")
    write_files(
        root,
        {
            "params.yaml": "train:\n  C: 0.5\n  max_iter: 100\n",
            "eval/metrics.json": metrics(0.955, 0.18),
            "eval/roc.json": roc([(0, 0), (0.1, 0.7), (0.5, 0.92), (1, 1)]),
            "eval/confusion.json": confusion({(0, 0): 41, (0, 1): 3, (1, 0): 6, (1, 1): 50}),
        },
    )
    monkeypatch.chdir(root)
    return root


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def normalized(text: str, root: Path) -> str:
    """The report with this run's commit shas replaced (they depend on the clock)."""
    for sha in set(re.findall(r"\b[0-9a-f]{40}\b", text)):
        text = text.replace(sha, "<sha>").replace(sha[:7], "<short>")
    return text


def test_report_on_a_real_repo_golden(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.md"
    result = invoke("report", "--base", "main", "-o", str(out))
    assert result.exit_code == 0, result.output
    body = out.read_text(encoding="utf-8")
    assert result.stdout == ""  # -o FILE writes the file only
    assert f"Report written to {out}" in result.stderr
    assert_golden("cli_report", normalized(body, repo))
    main_sha = git(repo, "rev-parse", "main")
    assert body.startswith(
        f"<!-- toolkit:report id=default base={main_sha} -->\n## ✅ Both quality gates pass\n"
    )
    assert "| `train.C` | `params.yaml` | 1 | 0.5 | -0.5 |" in body
    assert "| 🟢 | `log_loss` | `eval/metrics.json` | 0.2 | 0.18 | -0.02 | -10.0% |" in body
    (chart,) = [b for b in mermaid_blocks(body) if "xychart-beta" in b]
    assert len(check_xychart(chart)) == 2
    assert "| `0` | 40 → **41** | 4 → **3** |" in body


def test_report_between_two_commits(repo: Path) -> None:
    head = commit_all(repo, "feature")
    result = invoke("report", "--base", "main", "--head", "feature")
    assert result.exit_code == 0, result.output
    assert f"→ `feature` (`{head[:7]}`)" in result.stdout
    assert f"head={head}" in result.stdout.split("\n", 1)[0]


def test_gates_pass_exit_0(repo: Path) -> None:
    result = invoke("gates", "--base", "main")
    assert result.exit_code == 0, result.output
    assert re.search(r"^roc_auc\s+max_drop 0.01\s+0.95\s+0.955\s+pass$", result.stdout, flags=re.M)
    assert "✅ Both quality gates pass" in result.stdout


def test_gates_fail_exit_3_exactly_when_one_fails(repo: Path) -> None:
    write_files(repo, {"eval/metrics.json": metrics(0.93, 0.18)})  # roc_auc fell by 0.02
    result = invoke("gates", "--base", "main")
    assert result.exit_code == 3, result.output
    assert (
        "FAIL: roc_auc fell by 0.02 (0.95 → 0.93), more than max_drop 0.01 (toolkit.yaml line 2)"
        in result.stdout
    )
    assert "❌ 1 of 2 quality gates failed" in result.stdout
    # The report still renders (exit 0) and says so.
    report = invoke("report", "--base", "main")
    assert report.exit_code == 0 and "## ❌ 1 of 2 quality gates failed" in report.stdout
    # Within the allowance again: exit 0.
    write_files(repo, {"eval/metrics.json": metrics(0.941, 0.18)})
    assert invoke("gates", "--base", "main").exit_code == 0


def test_lower_is_better_gate_through_the_cli(repo: Path) -> None:
    write_files(repo, {"toolkit.yaml": "gates:\n  - metric: log_loss\n    max_drop_pct: 5\n"})
    write_files(repo, {"eval/metrics.json": metrics(0.95, 0.215)})  # +7.5%: worse
    result = invoke("gates", "--base", "main")
    assert result.exit_code == 3 and "log_loss rose by 7.50%" in result.stdout


def test_no_gates_configured(repo: Path) -> None:
    (repo / "toolkit.yaml").unlink()
    result = invoke("gates", "--base", "main")
    assert result.exit_code == 0 and "No quality gates configured" in result.stdout


@pytest.mark.parametrize(
    ("toolkit_yaml", "needles"),
    [
        ("gates:\n  - metric: roc_auc\n    max_drop: [0.01\n", ["toolkit.yaml, line 4"]),
        (
            "gates:\n  - metric: roc_auc\n    maximum: 1\n",
            ["toolkit.yaml, line 2", "unknown gate rule `maximum`"],
        ),
        ("gates:\n  - metric: roc_auc\n    min: high\n", ["toolkit.yaml, line 2", "must be a number"]),
        ("gates:\n  - metric: roc_auc\n", ["toolkit.yaml, line 2", "has no rule"]),
        ("gates:\n  - metric: roc_acu\n    min: 0.5\n", ["roc_acu", "line 2", "did you mean", "`roc_auc`"]),
        (
            "gates:\n  - metric: eval/metrics.json:logloss\n    max: 1\n",
            ["eval/metrics.json:logloss", "`eval/metrics.json:log_loss`"],
        ),
    ],
)
def test_toolkit_yaml_errors_exit_1_without_traceback(
    repo: Path, toolkit_yaml: str, needles: list[str]
) -> None:
    write_files(repo, {"toolkit.yaml": toolkit_yaml})
    for command in ("gates", "report"):
        result = invoke(command, "--base", "main")
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ")
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        for needle in needles:
            assert needle in result.output, result.output


def test_ambiguous_key_exit_1(repo: Path) -> None:
    dvc_yaml = DVC_YAML.replace(
        "    metrics:\n      - eval/metrics.json:\n          cache: false\n",
        "    metrics:\n      - eval/metrics.json:\n          cache: false\n"
        "      - eval/extra.json:\n          cache: false\n",
    )
    write_files(repo, {"dvc.yaml": dvc_yaml, "eval/extra.json": json.dumps({"roc_auc": 0.5})})
    result = invoke("gates", "--base", "main")
    assert result.exit_code == 1
    assert "ambiguous" in result.output and "eval/extra.json" in result.output
    assert (
        "metric: eval/metrics.json:roc_auc" in result.output
        or "metric: eval/extra.json:roc_auc" in result.output
    )


def test_report_size_budget_on_a_5000_key_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = {f"layer_{j}": {f"unit_{i}": 0.5 for i in range(j * 50, j * 50 + 50)} for j in range(100)}
    many_head = json.loads(json.dumps(many))
    for i in range(0, 5000, 3):
        many_head[f"layer_{i // 50}"][f"unit_{i}"] = 0.5 + (i % 11) / 100
    base_metrics = {"roc_auc": 0.9, "per_unit": many}
    head_metrics = {"roc_auc": 0.97, "per_unit": many_head}
    root = make_repo(
        tmp_path / "big",
        {
            "dvc.yaml": "metrics:\n  - metrics.json\n",
            "params.yaml": "seed: 1\n",
            "toolkit.yaml": "gates:\n  - metric: roc_auc\n    min: 0.9\n",
            "metrics.json": json.dumps(base_metrics),
        },
    )
    write_files(root, {"metrics.json": json.dumps(head_metrics)})
    monkeypatch.chdir(root)
    result = invoke("report", "--base", "main")
    assert result.exit_code == 0, result.output
    body = result.stdout.removesuffix("\n") + "\n"
    assert size(body) <= 65536
    in_view = body.split("<details>", 1)[0]
    assert "| `roc_auc` | min 0.9 | 0.9 | 0.97 | ✅ |" in in_view
    assert "| 🟢 | `roc_auc` | `metrics.json` | 0.9 | 0.97 |" in in_view
    assert re.search(r"_[\d,]+ more metrics left out to stay within GitHub's 65,536-character limit", body)


def test_scaffolded_project_pull_request_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's "done when": a PR branch of a scaffolded project that changes a param."""
    import subprocess
    import sys

    root = tmp_path / "proj"
    assert invoke("new", str(root)).exit_code == 0
    monkeypatch.chdir(root)

    def dvc_repro() -> None:
        proc = subprocess.run([sys.executable, "-m", "dvc", "repro", "-q"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    dvc_repro()
    commit_all(root, "Reproduce the pipeline")
    git(root, "checkout", "-q", "-b", "stronger-regularisation")
    params = (root / "params.yaml").read_text()
    assert "  C: 1.0 " in params
    (root / "params.yaml").write_text(params.replace("  C: 1.0 ", "  C: 0.05"))
    dvc_repro()

    result = invoke("report", "--base", "main")
    assert result.exit_code == 0, result.output
    body = result.stdout
    assert "| `train.C` | `params.yaml` | 1 | 0.05 |" in body
    assert re.search(
        r"\| [🟢🔴] \| `roc_auc` \| `eval/metrics.json` \| [\d.]+ \| [\d.]+ \| [+-][\d.]+ \|", body
    )
    charts = [b for b in mermaid_blocks(body) if "xychart-beta" in b]
    assert len(charts) == 2  # ROC and precision-recall
    for chart in charts:
        assert len(check_xychart(chart)) == 2
    assert "| Actual ↓ / Predicted → |" in body
    assert "flowchart" in body  # the pipeline from `dvc dag --md`, collapsed
    assert body.split("\n")[1] == "## ✅ Both quality gates pass"  # C=0.05 helps this dataset
    assert invoke("gates", "--base", "main").exit_code == 0
    # A stricter floor than the model reaches: the same change now fails the check.
    toolkit_yaml = (root / "toolkit.yaml").read_text()
    assert "min: 0.9 " in toolkit_yaml
    (root / "toolkit.yaml").write_text(toolkit_yaml.replace("min: 0.9 ", "min: 0.999"))
    gates = invoke("gates", "--base", "main")
    assert gates.exit_code == 3, gates.output
    assert "FAIL: accuracy is" in gates.stdout and "below the minimum 0.999" in gates.stdout
    assert invoke("report", "--base", "main").stdout.split("\n")[1] == "## ❌ 1 of 2 quality gates failed"


def test_gate_on_an_unreadable_metrics_file_fails_with_the_reason(repo: Path) -> None:
    dvc_yaml = DVC_YAML.replace(
        "      - eval/metrics.json:\n          cache: false\n",
        "      - eval/metrics.json:\n          cache: false\n"
        "      - eval/missing.json:\n          cache: false\n",
    )
    write_files(
        repo,
        {"dvc.yaml": dvc_yaml, "toolkit.yaml": "gates:\n  - metric: eval/missing.json:auc\n    min: 0.5\n"},
    )
    result = invoke("gates", "--base", "main")
    assert result.exit_code == 3, result.output
    assert "Warning:" in result.stderr and "eval/missing.json" in result.stderr
    assert "eval/missing.json:auc is missing at head" in result.stdout
    report = invoke("report", "--base", "main")
    assert report.exit_code == 0
    assert "> [!WARNING]" in report.stdout and "## ❌ The quality gate failed" in report.stdout
