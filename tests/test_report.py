"""toolkit.report: the rendered Markdown (golden files), size budget, escaping, formatting.

The golden files live in tests/golden/; after a deliberate change to the report, regenerate them
with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py tests/test_report_cli.py` and review
the diff before committing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.report_fixtures import BASE, CONFUSION, HEAD, METRICS, ROC, comparison, confusion_rows, roc_rows
from tests.report_golden import assert_golden
from tests.report_mermaid import check_xychart, mermaid_blocks
from toolkit import marker
from toolkit.config import Config, GateSpec, ReportOptions
from toolkit.gates import evaluate
from toolkit.masking import DEFAULT_SECRET_KEYS
from toolkit.report import format_change, format_rel, format_value, render, size, truncate
from toolkit.results import Comparison, GateResult, PlotData, PlotDef, Problem, ReproResult, Revision, Stale

OPTIONS = ReportOptions()
DAG = '```mermaid\nflowchart TD\n\tnode1["prepare"]\n\tnode2["train"]\n\tnode1-->node2\n```\n'


def gate_config(*gates: dict[str, object]) -> Config:
    return Config(path=None, gates=tuple(GateSpec(g, 2 + 2 * i) for i, g in enumerate(gates)))


def realistic() -> tuple[Comparison, list[GateResult]]:
    conf_base = confusion_rows({("0", "0"): 50, ("0", "1"): 3, ("1", "0"): 5, ("1", "1"): 85})
    conf_head = confusion_rows({("0", "0"): 51, ("0", "1"): 2, ("1", "0"): 5, ("1", "1"): 85})
    comp = comparison(
        {
            "roc_auc": (0.9912, 0.9931),
            "accuracy": (0.9441, 0.951),
            "log_loss": (0.1021, 0.0934),
            "precision": (0.9659, 0.9659),
            "recall": (0.9444, 0.9444),
            "f1": (0.955, 0.955),
        },
        {"train.C": (1.0, 0.5), "train.max_iter": (1000, 1000), "prepare.test_size": (0.25, 0.25)},
        plots=[
            PlotData(ROC, roc_rows(0.5), roc_rows(0.4)),
            PlotData(CONFUSION, conf_base, conf_head),
            PlotData(PlotDef("eval/importance.png", "eval/importance.png", image=True), None, None),
        ],
    )
    gates = evaluate(
        gate_config({"metric": "roc_auc", "max_drop": 0.01}, {"metric": "log_loss", "max": 0.2}), comp
    )
    return comp, gates


def test_golden_realistic_report() -> None:
    comp, gates = realistic()
    text = render(
        comp,
        gates,
        options=OPTIONS,
        marker_fields={"head": HEAD.sha or ""},
        repro=ReproResult(("train", "evaluate"), ("prepare",), 8.25),
        run_url="https://github.com/acme/ml/actions/runs/42",
        dag_md=DAG,
    )
    assert_golden("report_realistic", text)
    lines = text.split("\n")
    assert lines[0] == marker.format_marker("default", head=HEAD.sha or "")
    assert marker.parse_marker(text) == {"id": "default", "head": HEAD.sha}
    assert lines[1] == "## ✅ Both quality gates pass"
    assert "`main` (`1111111`) → `feature` (`2222222`)" in lines[3]
    blocks = mermaid_blocks(text)
    assert len(blocks) == 2  # the ROC chart and the pipeline
    assert len(check_xychart(blocks[0])) == 2


def test_golden_failing_gate_with_problems() -> None:
    comp = comparison(
        {"roc_auc": (0.95, 0.91), "eval/extra.json::latency_ms": (30, 45)},
        {"train.C": (1.0, 10.0)},
        problems=[
            Problem(
                "eval/cached.json",
                "main",
                "not-in-cache",
                "eval/cached.json at main is not in the DVC cache; run `dvc pull` or set a remote.",
            )
        ],
        head=Revision("workspace", None),
    )
    gates = evaluate(gate_config({"metric": "roc_auc", "max_drop": 0.01, "min": 0.9}), comp)
    text = render(comp, gates, options=OPTIONS)
    assert_golden("report_failing", text)
    assert text.split("\n")[1] == "## ❌ 1 of 2 quality gates failed"
    assert "> [!WARNING]" in text and "eval/cached.json" in text
    assert "roc\\_auc fell by 0.04" in text


def test_golden_nothing_changed_no_gates() -> None:
    comp = comparison({"acc": (0.9, 0.9)}, {"seed": (1, 1)})
    text = render(comp, [], options=ReportOptions(id="nightly", dag=False))
    assert_golden("report_unchanged", text)
    assert text.startswith("<!-- toolkit:report id=nightly -->\n## No quality gates configured\n")
    assert "no metric changed" in text and "No metric changed." in text


def test_metrics_order_gated_then_largest_relative_change() -> None:
    comp = comparison(
        {"a": (1.0, 1.01), "b": (1.0, 3.0), "c": (1.0, 0.5), "d": (1.0, 1.0), "gated": (1.0, 1.0)}
    )
    gates = evaluate(gate_config({"metric": "gated", "min": 0}), comp)
    text = render(comp, gates, options=OPTIONS)
    metrics_section = text.split("### Metrics", 1)[1]
    order = re.findall(r"^\| [^|]* \| `(\w+)` \|", metrics_section, flags=re.M)
    assert order == ["gated", "b", "c", "a", "d"]


def test_visible_rows_follow_max_rows_and_the_rest_collapse() -> None:
    comp = comparison({f"m{i:02}": (1.0, 1.0 + i / 100) for i in range(1, 31)})
    text = render(comp, [], options=ReportOptions(max_rows=5))
    assert "<details><summary>25 more metrics</summary>" in text
    shown = text.split("<details>", 1)[0]
    assert shown.count("| `m") == 5 and "`m30`" in shown  # the biggest changes stay in view


def huge_comparison(n: int = 5000) -> Comparison:
    metrics = {f"group_{i // 100}.metric_{i}": (0.5, 0.5 + (i % 7) / 1000) for i in range(n)}
    metrics["roc_auc"] = (0.90, 0.95)
    metrics["error_rate"] = (0.10, 0.10)
    params = {f"p.{i}": (i, i + 1) for i in range(n)}
    return comparison(metrics, params)


def test_size_budget_with_5000_keys() -> None:
    comp = huge_comparison()
    gates = evaluate(gate_config({"metric": "error_rate", "max": 0.2}), comp)
    text = render(comp, gates, options=OPTIONS)
    assert size(text) <= 65536
    assert size(text) > 60000  # fills the room instead of dropping everything
    in_view = text.split("<details>", 1)[0]
    # The key metrics stay visible: the gate, the gated metric, the biggest relative change.
    assert "| `error_rate` | max 0.2 |" in in_view
    assert "| 🟢 | `roc_auc` |" in in_view
    assert re.search(r"_[\d,]+ more metrics left out to stay within GitHub's 65,536-character limit", text)
    assert re.search(r"_[\d,]+ more changed params left out", text)
    assert text.count("<details>") == text.count("</details>")
    assert text.endswith("\n") and "Report truncated" not in text


@pytest.mark.parametrize("limit", [20000, 8000, 3000])
def test_smaller_limits_still_fit(limit: int) -> None:
    comp = huge_comparison(2000)
    comp.plots.append(PlotData(ROC, roc_rows(0.5), roc_rows(0.4)))
    comp.problems.extend(
        Problem(f"f{i}.json", "main", "missing", f"f{i}.json is missing at main.") for i in range(40)
    )
    gates = evaluate(gate_config({"metric": "roc_auc", "min": 0.5}), comp)
    text = render(comp, gates, options=OPTIONS, dag_md=DAG, limit=limit)
    assert size(text) <= limit
    assert text.startswith("<!-- toolkit:report id=default -->\n## ✅ The quality gate passes\n")
    assert "`roc_auc`" in text


def test_truncate_closes_what_it_cuts() -> None:
    text = "a\n<details><summary>x</summary>\n\n```mermaid\n" + "line\n" * 1000
    out = truncate(text, 500)
    assert size(out) <= 500
    assert out.count("```") % 2 == 0 and out.count("<details>") == out.count("</details>")
    assert "Report truncated" in out


HOSTILE = [
    "a|b",
    "x`y``z",
    "**bold**",
    "<script>alert(1)</script>",
    "line\nbreak",
    "<img src=x onerror=alert(1)>",
    "[link](http://evil)",
    "tab\there|",
]


def table_rows(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith("|")]


def cells(row: str) -> int:
    return len(re.split(r"(?<!\\)\|", row)) - 2


def outside_code(text: str) -> str:
    """The text with inline code spans removed (Markdown is inert inside them)."""
    return re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def test_hostile_names_cannot_break_tables_or_inject_html() -> None:
    metrics = {f"{name}.json::{name}": (1.0, 2.0) for name in HOSTILE}
    params = {f"{name}::{name}": (name, name + "!") for name in HOSTILE}
    comp = comparison(
        metrics,
        params,
        problems=[Problem("<b>p|q</b>", "main`x", "missing", "<script>x</script> | broken")],
        base=Revision("<script>|main", "3" * 40),
        head=Revision("feat`|*x*\n", "4" * 40),
    )
    gate_name = f"{HOSTILE[0]}.json:{HOSTILE[0]}"
    gates = evaluate(gate_config({"metric": gate_name, "min": 0}), comp)
    text = render(comp, gates, options=OPTIONS, run_url="https://x.test/a) [evil](http://e")
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    prose = outside_code(text)
    assert "](http://evil)" not in prose and "[evil](" not in prose and "**bold**" not in prose
    for table in text.split("\n\n"):
        rows = table_rows(table)
        if rows:
            widths = {cells(r) for r in rows}
            assert len(widths) == 1, rows
    # Escaping keeps the names readable.
    assert "a\\|b" in text and "&lt;script&gt;" in text


def test_bad_dag_or_url_is_left_out() -> None:
    comp = comparison({"acc": (0.9, 0.91)})
    sneaky = "```mermaid\nflowchart TD\n```\n</details><script>x</script>\n```"
    text = render(comp, [], options=OPTIONS, dag_md=sneaky, run_url="javascript:alert(1)")
    assert "Pipeline" not in text and "javascript" not in text and "<script" not in text


def test_repro_summary_and_run_link() -> None:
    comp = comparison({"acc": (0.9, 0.91)})
    text = render(
        comp,
        [],
        options=OPTIONS,
        repro=ReproResult(("train",), ("prepare", "evaluate"), 61.0),
        run_url="https://github.com/o/r/actions/runs/7",
    )
    assert "Pipeline: `dvc repro` ran 1 stage (`train`); 2 were up to date." in text
    # No timings in the body: a rerun with the same results must leave the comment untouched.
    assert "61" not in text
    idle = render(comp, [], options=OPTIONS, repro=ReproResult((), ("a", "b", "c"), 2.5))
    assert "Pipeline: `dvc repro` found all 3 stages up to date." in idle
    cached = render(
        comp, [], options=OPTIONS, repro=ReproResult((), ("a", "b", "c"), 2.5, restored=("a", "b"))
    )
    assert (
        "Pipeline: `dvc repro` ran no stage: 2 restored from DVC's run-cache (`a`, `b`); "
        "1 was up to date." in cached
    )
    mixed = render(comp, [], options=OPTIONS, repro=ReproResult(("c",), ("a",), 1.0, restored=("a",)))
    assert "ran 1 stage (`c`); 1 restored from DVC's run-cache (`a`)." in mixed
    assert "[workflow run](https://github.com/o/r/actions/runs/7)" in text


def test_plots_can_be_switched_off() -> None:
    comp, gates = realistic()
    text = render(comp, gates, options=ReportOptions(plots=False, dag=False), dag_md=DAG)
    assert "```mermaid" not in text and "### Plots" not in text


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([], "No quality gates configured"),
        ([True], "✅ The quality gate passes"),
        ([False], "❌ The quality gate failed"),
        ([True, True], "✅ Both quality gates pass"),
        ([True, False], "❌ 1 of 2 quality gates failed"),
    ],
)
def test_verdict(results: list[bool], expected: str) -> None:
    from toolkit.verdict import judge

    gates = [GateResult("m", "p", "m", "min 0", 1, 1, ok, "r") for ok in results]
    assert judge(gates).headline == expected
    assert "\n" not in judge(gates).headline
    assert judge(gates).exit_code == (0 if all(results) else 3)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (True, "true"),
        (3, "3"),
        (0.123456, "0.1235"),
        (12345.678, "12346"),
        (0.00001234, "1.234e-05"),
        (float("nan"), "NaN"),
        ("a|b", "`a\\|b`"),
        ([1, 2], "`[1, 2]`"),
        ("x" * 100, "`" + "x" * 39 + "…`"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_format_change_and_rel() -> None:
    comp = comparison({"a": (0.5, 0.75), "b": (None, 1), "c": (2, None), "d": (0, 1), "e": (100, 100.001)})
    by_key = {e.key: e for e in comp.metrics}
    assert (format_change(by_key["a"]), format_rel(by_key["a"])) == ("+0.25", "+50.0%")
    assert (format_change(by_key["b"]), format_rel(by_key["b"])) == ("new", "—")
    assert (format_change(by_key["c"]), format_rel(by_key["c"])) == ("removed", "—")
    assert (format_change(by_key["d"]), format_rel(by_key["d"])) == ("+1", "—")
    assert format_rel(by_key["e"]) == "+<0.01%"


def test_render_does_not_import_jinja_for_diff() -> None:
    # `toolkit diff` must stay light: importing the report module must not import jinja2.
    import subprocess
    import sys

    code = "import sys, toolkit.report, toolkit.gates; print('jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_base_and_head_objects_stay_untouched() -> None:
    comp, gates = realistic()
    before = (list(comp.metrics), list(comp.params), list(comp.plots))
    render(comp, gates, options=OPTIONS)
    assert (comp.metrics, comp.params, comp.plots) == before
    assert comp.base == BASE


def test_giant_names_and_messages_still_fit() -> None:
    giant = "k" * 100_000
    comp = comparison(
        {f"{giant}{i}": (1.0, 2.0) for i in range(20)},
        {giant: ("a" * 50_000, "b")},
        problems=[Problem(giant, "main", "missing", giant)],
    )
    text = render(comp, [], options=OPTIONS, limit=65536)
    assert size(text) <= 65536
    assert text.startswith("<!-- toolkit:report id=default -->\n## No quality gates configured\n")
    assert text.count("```") % 2 == 0


def test_truncate_counts_astral_characters_twice() -> None:
    text = ("🟢" * 50 + "\n") * 2000
    out = truncate(text, 10000)
    assert size(out) <= 10000 and size(out) > 9000


def test_save_creates_folders_and_names_an_unwritable_path(tmp_path: Path) -> None:
    from toolkit.errors import ToolkitError
    from toolkit.report import save

    save(tmp_path / "a" / "b" / "report.md", "# hi\n")
    assert (tmp_path / "a" / "b" / "report.md").read_text() == "# hi\n"
    blocker = tmp_path / "file"
    blocker.write_text("mine\n")
    with pytest.raises(ToolkitError) as err:
        save(blocker / "report.md", "# hi\n")
    assert str(blocker / "report.md") in err.value.format_message()
    assert blocker.read_text() == "mine\n"  # nothing the user wrote is touched


# -- headline metrics survive big diffs; direction neutral for unknown names (issue 10) ---------


def _rows(text: str) -> list[str]:
    """The metric names of the visible metrics table, in order."""
    visible = text.split("### Metrics", 1)[1].split("<details>", 1)[0]
    return re.findall(r"^\| [🟢🔴]? \| `([^`]+)` \|", visible, re.M)


def test_headline_metrics_lead_a_5000_key_diff() -> None:
    # 5,000 per-class keys that all changed a lot, and the few numbers a reviewer looks for.
    metrics: dict[str, tuple[object, object]] = {
        f"per_class.class_{i}": (0.5, 0.5 + 0.4 * ((i * 7919) % 97) / 97) for i in range(5000)
    }
    metrics["per_class.class_2"] = (0.5, 0.9)
    metrics["per_class.class_10"] = (0.5, 0.9)  # same change: natural order, class_2 first
    metrics["test.f1"] = (0.80, 0.81)  # nested, but a well-known name
    metrics["accuracy"] = (0.90, 0.91)  # top-level
    metrics["latency_ms"] = (10.0, 10.5)  # gated
    metrics["stable"] = (1.0, 1.0)
    comp = comparison(metrics)
    gates = evaluate(gate_config({"metric": "latency_ms", "max": 50}), comp)
    rows = _rows(render(comp, gates, options=ReportOptions(max_rows=10)))
    assert rows[:3] == ["latency_ms", "test.f1", "accuracy"]  # gated, then headline by change (1.25%, 1.1%)
    assert rows[3:5] == ["per_class.class_2", "per_class.class_10"]  # biggest change, natural order
    assert "stable" not in rows and len(rows) == 10


def test_natural_order_breaks_ties() -> None:
    from toolkit.report import natural

    names = ["class_10", "class_2", "class_1", "b", "a10b", "a9b"]
    assert sorted(names, key=natural) == ["a9b", "a10b", "b", "class_1", "class_2", "class_10"]


def test_counts_and_unknown_names_are_neutral() -> None:
    comp = comparison({"Documents_evaluated": (100, 120), "test_rows": (200, 180), "roc_auc": (0.9, 0.8),
                       "val_loss": (0.5, 0.4)})
    marks = {e.key: e.improved for e in comp.metrics}
    assert marks == {"Documents_evaluated": None, "test_rows": None, "roc_auc": False, "val_loss": True}
    text = render(comp, [], options=OPTIONS)
    assert "(1 better, 1 worse)" in text
    assert re.search(r"^\|  \| `Documents_evaluated` \|", text, re.M)
    assert re.search(r"^\|  \| `test_rows` \|", text, re.M)


# -- one verdict for every output; problems grouped; plots say why (issue 16) -------------------


STALE = Stale(stages=("train",), params=("params.yaml:train.C",))
UNPULLED = Stale(stages=(), missing=("data/prepared/train.csv",), unchecked=("train",))


@pytest.mark.parametrize(
    ("stale", "results", "headline"),
    [
        (STALE, [True, True], "⚠️ Stale results, not a verdict: both quality gates pass on them"),
        (STALE, [True], "⚠️ Stale results, not a verdict: the quality gate passes on them"),
        (STALE, [True, False, True], "⚠️ Stale results, not a verdict: 1 of 3 quality gates failed on them"),
        (UNPULLED, [True, True], "⚠️ Data not pulled, not a verdict: both quality gates pass on them"),
        (UNPULLED, [], "⚠️ Data not pulled, not a verdict: no quality gates configured"),
    ],
)
def test_stale_results_never_headline_a_pass(stale: Stale, results: list[bool], headline: str) -> None:
    from toolkit.verdict import judge

    comp = comparison({"roc_auc": (0.9, 0.95)}, head=Revision("workspace", None))
    comp.stale = stale
    gates = [GateResult("roc_auc", METRICS, "roc_auc", "min 0", 0.9, 0.95, ok, "r") for ok in results]
    verdict = judge(gates, stale=stale)
    assert verdict.headline == headline and not verdict.passed
    assert verdict.exit_code == (3 if not all(results) else 0)
    text = render(comp, gates, options=OPTIONS)
    lines = text.split("\n")
    assert lines[1] == f"## {headline}"
    assert "✅" not in text.split("### Metrics")[0].replace("| ✅ |", "")  # no pass but in the table
    assert lines[3] == "> [!WARNING]" and stale.message().split(":")[0] in lines[4]
    if results:
        assert "_On the stale results above: not a verdict until they are current._" in text


def test_committed_results_out_of_date_warn_or_fail() -> None:
    from toolkit.committed import Committed
    from toolkit.verdict import judge

    comp = comparison({"roc_auc": (0.9, 0.95)})
    gates = [GateResult("roc_auc", METRICS, "roc_auc", "min 0", 0.9, 0.95, True, "r")]
    committed = Committed(("dvc.lock", "eval/metrics.json"), ("train", "evaluate"), "feature", push=True)
    warned = judge(gates, committed=committed)
    assert (warned.headline, warned.exit_code) == ("✅ The quality gate passes", 0)
    assert not warned.committed_fails
    failing = judge(gates, committed=committed, fail_on_committed=True)
    assert failing.headline == "❌ Committed results out of date; the quality gate passes"
    assert (failing.exit_code, failing.passed, failing.committed_fails) == (3, False, True)
    no_gates = judge([], committed=committed, fail_on_committed=True)
    assert no_gates.headline == "❌ Committed results out of date"
    for verdict, box in ((warned, "> [!WARNING]"), (failing, "> [!CAUTION]")):
        text = render(comp, gates, options=OPTIONS, verdict=verdict, committed=committed)
        lines = text.split("\n")
        assert lines[1] == f"## {verdict.headline}" and lines[3] == box
        assert lines[4] == (
            "> **Committed results out of date**: `dvc.lock`, `eval/metrics.json` at `feature` are not "
            "what `dvc repro` gives (stages `train`, `evaluate`); this report shows the reproduced "
            "results. To fix it, run `toolkit repro`, commit them and `dvc push` the new data (or "
            "`toolkit repro --push`)."
        )
    hostile = Committed(("a|b`.json", "<img src=x>.json"), (), "x`y|z", push=False)
    text = render(comp, gates, options=OPTIONS, committed=hostile)
    assert "<img" not in text and "To fix it, run `toolkit repro` and commit them." in text
    assert all(cells(r) == 5 for r in table_rows(text.split("### Quality gates")[1].split("###")[0]))


def _cache_problem(path: str, rev: str = "main", where: str = "main (1111111)") -> Problem:
    md5 = format(abs(hash(path)) % 16**32, "032x")
    return Problem(
        path, rev, "not-in-cache",
        f"plot file {path} at {where} is in the DVC output eval/plots (md5 {md5}) but not in the local "
        "DVC cache; run `dvc pull eval/plots` with main checked out (or `dvc fetch --all-branches "
        "eval/plots`) to fetch it.",
        where,
    )


def test_near_identical_problems_are_grouped() -> None:
    problems = [_cache_problem(f"eval/plots/class_{i}.json") for i in range(41)]
    # The same file unreadable at both revisions, and another cause at base.
    broken = "eval/metrics.json at {} is not valid JSON (Expecting value); fix the file."
    problems += [
        *(
            Problem("eval/metrics.json", rev, "unreadable", broken.format(where), where)
            for rev, where in (("main", "main (1111111)"), ("workspace", "the workspace"))
        ),
        Problem("eval/a", "main", "missing", "metrics file eval/a is not committed at main (1111111).",
                "main (1111111)"),
        # The same file, declared as a plot too: read twice, listed once.
        Problem("eval/a", "main", "missing", "plot file eval/a is not committed at main (1111111).",
                "main (1111111)"),
    ]
    comp = comparison({"acc": (0.9, 0.91)}, problems=problems)
    text = render(comp, [], options=OPTIONS)
    box = [line for line in text.split("\n") if line.startswith("> ")]
    assert box[1] == "> 43 declared files could not be read; their values are missing below."
    assert len(box) == 5, box  # the header, then one item per cause
    assert box[2].startswith("> - `eval/plots/class_0.json` and 40 more files at `main` (not-in-cache): ")
    assert box[2].endswith("The same for `eval/plots/class_1.json`, `eval/plots/class_2.json`, "
                           "`eval/plots/class_3.json`, `eval/plots/class_4.json`, `eval/plots/class_5.json` "
                           "and 35 more.")
    assert box[3].startswith("> - `eval/metrics.json` at `main`, `workspace` (unreadable): ")
    assert "\n".join(box).count("eval/metrics.json") == 2  # its item, and its mention in the message
    assert box[4].startswith("> - `eval/a` at `main` (missing)")
    assert "⚠️ 43 files unreadable" in text
    # The 41 sentences once: the report is a fraction of what it was.
    assert size(text) < 4000


def test_a_plot_not_in_the_cache_says_so_not_no_data() -> None:
    problems = [_cache_problem(ROC.path), _cache_problem(ROC.path, "feature", "feature (2222222)")]
    comp = comparison({"acc": (0.9, 0.91)}, problems=problems, plots=[PlotData(ROC, None, None)])
    text = render(comp, [], options=OPTIONS)
    plots = text.split("### Plots", 1)[1]
    assert "No data" not in plots
    assert (
        "Not drawn: `eval/plots/roc.json` at base and head (not in the local DVC cache); see the warning"
    ) in plots
    one_side = comparison(
        {"acc": (0.9, 0.91)}, problems=problems[1:], plots=[PlotData(ROC, roc_rows(0.5), None)]
    )
    chart = render(one_side, [], options=OPTIONS).split("### Plots", 1)[1]
    assert 'title "ROC curve - base 1111111 only (head: not in the local DVC cache)"' in chart
    matrix = comparison(
        {"acc": (0.9, 0.91)},
        problems=[_cache_problem(CONFUSION.path, "main")],
        plots=[PlotData(CONFUSION, None, confusion_rows({("0", "0"): 3}))],
    )
    table = render(matrix, [], options=OPTIONS).split("### Plots", 1)[1]
    assert "Counts at head 2222222 (base: not in the local DVC cache)." in table


def test_masked_params_show_the_change_never_the_value() -> None:
    from toolkit.masking import mask

    comp = comparison(
        {"acc": (0.9, 0.91)},
        {
            "db.password": ("hunter2-old", "hunter2-new"),
            "api.token": ("tok-same", "tok-same"),
            "lr": (0.1, 0.2),
        },
    )
    comp.params = mask(comp.params, DEFAULT_SECRET_KEYS)
    text = render(comp, [], options=OPTIONS)
    assert "hunter2" not in text and "tok-same" not in text
    assert "| `db.password` | `params.yaml` | `***` | `***` | changed |" in text
    assert "1 unchanged param not shown." in text and "| `lr` | `params.yaml` | 0.1 | 0.2 | +0.1 |" in text
