"""toolkit.plots: Mermaid charts that GitHub can parse, confusion tables, resampling."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest

from tests.report_fixtures import BASE, CONFUSION, HEAD, ROC, confusion_rows, roc_rows
from tests.report_mermaid import check_xychart, mermaid_blocks
from toolkit.plots import (
    PALETTE_LINE,
    interpolate,
    mermaid_label,
    mermaid_number,
    nice_grid,
    render_plot,
    render_plots,
)
from toolkit.results import PlotData, PlotDef


def one_chart(plot: PlotData) -> tuple[str, list[list[float]]]:
    rendered = render_plot(plot, BASE, HEAD)
    assert len(rendered) == 1
    blocks = mermaid_blocks(rendered[0].markdown)
    assert len(blocks) == 1, rendered[0].markdown
    return rendered[0].markdown, check_xychart(blocks[0])


def test_roc_two_lines_on_a_shared_grid() -> None:
    md, series = one_chart(PlotData(ROC, roc_rows(0.5), roc_rows(0.3)))
    assert md.split("\n")[1] == PALETTE_LINE
    assert len(series) == 2 and len(series[0]) == 21
    assert '"ROC curve - base 1111111 grey, head 2222222 red"' in md
    assert 'x-axis "False positive rate" ["0", "0.05", "0.1", "0.15",' in md
    assert 'y-axis "True positive rate"' in md
    # Resampled, not copied: the curves start at 0, end at 1, and head (power 0.3) lies above.
    for values in series:
        assert values[0] == 0 and values[-1] == 1
    assert all(h >= b for b, h in zip(series[0], series[1], strict=True))


def test_only_one_side_gives_one_line() -> None:
    md, series = one_chart(PlotData(ROC, None, roc_rows(0.5)))
    assert len(series) == 1
    assert "head 2222222 only" in md
    md, series = one_chart(PlotData(ROC, roc_rows(0.5), []))
    assert len(series) == 1 and "base 1111111 only" in md


def test_non_finite_and_text_values_are_filtered_or_parsed() -> None:
    rows: list[dict[str, Any]] = [
        {"fpr": "0", "tpr": "0"},  # CSV gives text
        {"fpr": "0.5", "tpr": "NaN"},
        {"fpr": math.inf, "tpr": 0.5},
        {"fpr": 0.5, "tpr": math.nan},
        {"fpr": "0.5", "tpr": "0.75"},
        {"fpr": 1, "tpr": 1e-9},  # tiny: must not become 1e-09
        {"fpr": None, "tpr": 3},
    ]
    md, series = one_chart(PlotData(ROC, rows, rows))
    assert "e-" not in md.lower() and "nan" not in md.lower()
    assert 0.7 <= max(series[0]) <= 0.75


def test_no_finite_points_is_a_note_not_a_chart() -> None:
    rows = [{"fpr": math.nan, "tpr": math.inf}]
    (rendered,) = render_plot(PlotData(ROC, rows, rows), BASE, HEAD)
    assert rendered.kind == "note" and "```" not in rendered.markdown


CURVE = PlotDef("curve", "eval/curve.json", "epoch", ("score",), "simple", "Curve", "Epoch", "Score")


def test_single_x_uses_a_category_axis() -> None:
    rows = [{"epoch": 0.5, "score": 0.5}]
    md, series = one_chart(PlotData(CURVE, rows, rows))
    assert 'x-axis "Epoch" ["0.5"]' in md and series == [[0.5], [0.5]]


def test_flat_line_gets_a_y_range() -> None:
    rows = [{"epoch": x / 4, "score": 0.8} for x in range(5)]
    md, _ = one_chart(PlotData(CURVE, rows, rows))
    assert 'y-axis "Score" 0 --> 1.6' in md


UNIT_X = 'x-axis "{}" ["0", "0.05", "0.1", "0.15", "0.2", "0.25", "0.3", "0.35", "0.4", "0.45", "0.5", '


@pytest.mark.parametrize(
    ("x", "y"), [("fpr", "tpr"), ("recall", "precision"), ("FPR", "FNR"), ("false_positive_rate", "recall")]
)
def test_rate_curves_are_drawn_on_the_unit_square(x: str, y: str) -> None:
    # Only part of the square holds data (a good model, a narrow threshold sweep): still 0 to 1.
    d = PlotDef("rates", "eval/rates.json", x, (y,), "simple", "Rates", "X", "Y")
    rows = [{x: 0.1 + i / 100, y: 0.8 + i / 100} for i in range(10)]
    md, series = one_chart(PlotData(d, rows, rows))
    assert UNIT_X.format("X") in md and '"0.95", "1"]' in md
    assert 'y-axis "Y" 0 --> 1\n' in md
    assert len(series[0]) == 21 and series[0][0] == 0.8 and series[0][-1] == 0.89  # flat beyond data
    # The flat line of a single point is drawn on the square too, not on a range of its own.
    md, _ = one_chart(PlotData(d, rows[:1], rows[:1]))
    assert 'y-axis "Y" 0 --> 1\n' in md


@pytest.mark.parametrize(
    ("x", "y", "rows"),
    [
        ("fpr", "tpr", [{"fpr": 0.2, "tpr": 0.2}, {"fpr": 0.7, "tpr": 1.5}]),  # not a rate
        ("fpr", "tpr", [{"fpr": -0.5, "tpr": 0.2}, {"fpr": 1.0, "tpr": 0.9}]),
        ("epoch", "recall", [{"epoch": 0, "recall": 0.2}, {"epoch": 0.5, "recall": 0.9}]),
    ],
)
def test_other_curves_keep_their_own_range(x: str, y: str, rows: list[dict[str, float]]) -> None:
    d = PlotDef("c", "c.json", x, (y,), "simple", "C", "X", "Y")
    md, _ = one_chart(PlotData(d, rows, rows))
    assert 'y-axis "Y"\n' in md and UNIT_X.format("X") not in md


def test_default_x_is_the_step_or_row_index_and_y_the_last_field() -> None:
    d = PlotDef("loss.csv", "loss.csv")
    rows = [{"epoch_time": i, "loss": 1 / (i + 1)} for i in range(30)]
    md, series = one_chart(PlotData(d, rows, rows))
    assert 'x-axis "step" ["0", "2", "4",' in md and '"28", "30"]' in md and 'y-axis "loss"' in md
    stepped = [{"step": i * 10, "acc": i / 10} for i in range(11)]
    md, series = one_chart(PlotData(PlotDef("acc.json", "acc.json"), stepped, stepped))
    assert 'x-axis "step" ["0", "5", "10",' in md and series[0][-1] == 1


def test_several_y_fields_give_several_charts() -> None:
    d = PlotDef("train.json", "train.json", x="epoch", y=("loss", "acc"), title="Training")
    rows = [{"epoch": i, "loss": 1 / (i + 1), "acc": i / 10} for i in range(10)]
    rendered = render_plot(PlotData(d, rows, rows), BASE, HEAD)
    assert [r.title for r in rendered] == ["Training: loss", "Training: acc"]
    for r in rendered:
        check_xychart(mermaid_blocks(r.markdown)[0])


def test_bar_series_uses_categories() -> None:
    d = PlotDef("importance", "importance.json", x="feature", y=("weight",), template="bar_horizontal")
    base_rows = [{"feature": f"f{i}", "weight": i * 0.1} for i in range(5)]
    head_rows = [{"feature": f"f{i}", "weight": i * 0.2} for i in range(1, 7)]
    md, series = one_chart(PlotData(d, base_rows, head_rows))
    assert 'x-axis "feature" ["f0", "f1", "f2", "f3", "f4", "f5", "f6"]' in md
    assert series[0] == [0, 0.1, 0.2, 0.3, 0.4, 0, 0] and series[1][-1] == 1.2
    # DVC's horizontal bars put the numbers on x: the category field is found either way.
    flipped = PlotDef("imp", "imp.json", x="weight", y=("feature",), template="bar_horizontal")
    md, series = one_chart(PlotData(flipped, base_rows, head_rows))
    assert '"f6"' in md and len(series) == 2


def test_many_categories_are_capped() -> None:
    d = PlotDef("b", "b.json", x="k", y=("v",))
    rows = [{"k": f"c{i}", "v": i} for i in range(50)]
    (rendered,) = render_plot(PlotData(d, rows, rows), BASE, HEAD)
    series = check_xychart(mermaid_blocks(rendered.markdown)[0])
    assert len(series[0]) == 20 and "30 more categories not drawn" in rendered.markdown


def test_hostile_labels_cannot_break_out() -> None:
    evil = 'x" ]\n```\n%%{init: {"theme": "dark"}}%%\n<script>alert(1)</script>; `rm` #1'
    d = PlotDef(evil, "p.json", x="a", y=("b",), title=evil, x_label=evil, y_label=evil)
    rows = [{"a": i, "b": i * i} for i in range(5)]
    md, _ = one_chart(PlotData(d, rows, rows))
    assert "<script" not in md and md.count("```") == 2 and md.count("%%") == 2
    cat = PlotDef("c", "c.json", x="k", y=("v",))
    md, _ = one_chart(PlotData(cat, [{"k": evil, "v": 1}], [{"k": evil, "v": 2}]))
    assert md.count("```") == 2


def test_mermaid_label() -> None:
    assert mermaid_label('a "b"\nc') == "\"a 'b' c\""
    assert mermaid_label("") == '"-"'
    assert len(mermaid_label("x" * 500)) <= 62


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1e-9, "0.000000001"),
        (1e-15, "0"),
        (-1e-7, "-0.0000001"),
        (123456789.0, "123456789"),
        (1e20, "100000000000000000000"),
        (0.123456, "0.1235"),
        (-2.5, "-2.5"),
        (3.0, "3"),
    ],
)
def test_mermaid_number_is_a_plain_decimal(value: float, text: str) -> None:
    assert mermaid_number(value) == text


def test_mermaid_number_refuses_non_finite() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            mermaid_number(bad)


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (0, 1, ["0", "0.05", "0.1"]),  # 21 round values, 0 to 1
        (0, 29, ["0", "2", "4"]),
        (-66.55, 209.6, ["-80", "-60", "-40"]),
        (1000, 1003, ["1000", "1000.5", "1001"]),  # long labels: fewer of them
        (0.5, 0.5, ["0.5"]),
    ],
)
def test_nice_grid(lo: float, hi: float, expected: list[str]) -> None:
    grid = nice_grid(lo, hi)
    assert grid[: len(expected)] == expected
    assert float(grid[0]) <= lo and float(grid[-1]) >= hi
    assert len(grid) == 1 or 5 <= len(grid) <= 25


def test_nice_grid_labels_are_short_and_plain() -> None:
    rng = random.Random(4)
    for _ in range(300):
        lo = rng.uniform(-1, 1) * 10 ** rng.uniform(-6, 6)
        hi = lo + 10 ** rng.uniform(-6, 6)
        grid = nice_grid(lo, hi)
        assert len(set(grid)) == len(grid) >= 2
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", g) for g in grid), grid
        assert float(grid[0]) <= lo and float(grid[-1]) >= hi


def test_interpolate() -> None:
    pts = [(0.0, 0.0), (0.5, 0.2), (0.5, 0.6), (1.0, 1.0)]
    assert interpolate(pts, -1) == 0 and interpolate(pts, 2) == 1
    assert interpolate(pts, 0.25) == pytest.approx(0.1)
    assert interpolate(pts, 0.5) == 0.6  # a vertical ROC step: the last point wins
    assert interpolate(pts, 0.75) == pytest.approx(0.8)


def test_confusion_matrix_table_with_both_revisions() -> None:
    base = confusion_rows({("0", "0"): 50, ("0", "1"): 3, ("1", "0"): 5, ("1", "1"): 85})
    head = confusion_rows({("0", "0"): 51, ("0", "1"): 2, ("1", "0"): 5, ("1", "1"): 85})
    (rendered,) = render_plot(PlotData(CONFUSION, base, head), BASE, HEAD)
    assert rendered.kind == "table"
    lines = rendered.markdown.split("\n")
    assert lines[0] == "| Actual ↓ / Predicted → | `0` | `1` |"
    assert lines[2] == "| `0` | 50 → **51** | 3 → **2** |"
    assert lines[3] == "| `1` | 5 | 85 |"
    assert "base → head" in rendered.markdown
    (only_head,) = render_plot(PlotData(CONFUSION, None, head), BASE, HEAD)
    assert "| `0` | 51 | 2 |" in only_head.markdown and "no data at base" in only_head.markdown


def test_confusion_classes_sort_numerically_and_escape() -> None:
    rows = confusion_rows({("10", "2"): 1, ("2", "10"): 1, ("a|b", "a|b"): 1})
    (rendered,) = render_plot(PlotData(CONFUSION, rows, rows), BASE, HEAD)
    header = rendered.markdown.split("\n")[0]
    assert header.index("`2`") < header.index("`10`") < header.index("a\\|b")
    for line in rendered.markdown.split("\n")[:5]:
        assert line.replace("\\|", "").count("|") == 5


def test_image_and_scatter_and_missing() -> None:
    img = PlotDef("plots/importance.png", "plots/importance.png", image=True)
    (r,) = render_plot(PlotData(img, None, None), BASE, HEAD)
    assert r.kind == "image" and "`plots/importance.png`" in r.markdown and "](" not in r.markdown
    sc = PlotDef("s", "s.json", x="a", y=("b",), template="scatter")
    (r,) = render_plot(PlotData(sc, [{"a": 1, "b": 2}], None), BASE, HEAD)
    assert r.kind == "note" and "```" not in r.markdown
    (r,) = render_plot(PlotData(ROC, None, None), BASE, HEAD)
    assert r.kind == "note" and "either revision" in r.markdown


def test_two_class_columns_without_template_count_like_a_confusion_matrix() -> None:
    d = PlotDef("pairs", "pairs.csv", x="truth", y=("guess",))
    rows = [{"truth": "cat", "guess": "dog"}, {"truth": "cat", "guess": "cat"}, "not a row"]
    (r,) = render_plot(PlotData(d, None, rows), BASE, HEAD)  # type: ignore[arg-type]
    assert r.kind == "table" and "| `cat` | 1 | 1 |" in r.markdown


def test_extreme_values_never_break_the_report() -> None:
    rows = [{"fpr": -1e308, "tpr": 1.0}, {"fpr": 1e308, "tpr": 1e308}, {"fpr": 0, "tpr": -1e308}]
    for r in render_plots([PlotData(ROC, rows, rows)], BASE, HEAD):
        for block in mermaid_blocks(r.markdown):
            check_xychart(block)


def test_long_or_clashing_categories_stay_distinct() -> None:
    d = PlotDef("b", "b.json", x="k", y=("v",))
    rows = [{"k": "feature_" + "x" * 30 + str(i), "v": i} for i in range(3)] + [
        {"k": '"', "v": 1},
        {"k": "'", "v": 2},
    ]
    (rendered,) = render_plot(PlotData(d, rows, rows), BASE, HEAD)
    series = check_xychart(mermaid_blocks(rendered.markdown)[0])  # asserts distinct labels
    assert len(series[0]) == 5


def test_workspace_head_is_named_by_its_branch_and_cannot_break_the_block() -> None:
    from toolkit.plots import chart
    from toolkit.results import PlotDef, Revision

    rows = [{"fpr": 0.0, "tpr": 0.0}, {"fpr": 0.5, "tpr": 0.8}, {"fpr": 1.0, "tpr": 1.0}]
    d = PlotDef(id="roc", path="roc.json", x="fpr", y=("tpr",))
    base = Revision(name="main", sha="a" * 40)
    head = Revision(name='evil"\n```\n%%{init}%% <b>', sha=None)
    block = chart(d, rows, rows, "fpr", "tpr", base, head, title="ROC")
    lines = block.splitlines()
    title = next(line for line in lines if line.strip().startswith("title "))
    assert title.count('"') == 2 and "evil'" in title and "aaaaaaa grey" in title
    assert [line for line in lines if line.startswith("```")] == ["```mermaid", "```"]
    assert "<b>" not in block and "%%{init}" not in block


# --- numbers no plain decimal can hold, and rows no axis can show --------------------------------

BIG = 10**400  # 401 digits: JSON holds it, a float cannot
FLOAT_MAX = 1.7976931348623157e308


@pytest.mark.parametrize(
    ("scale", "unit"),
    [(1.7e308, "1e+308"), (-FLOAT_MAX, "1e+308"), (3e15, "1e+15"), (2e-320, "1e-320"), (2.5e-300, "1e-300")],
)
def test_extreme_finite_values_are_drawn_in_units_of_a_power_of_ten(scale: float, unit: str) -> None:
    """A 100-point curve of values near 1.8e308 (or 1e-320, below the normal floats): short plain
    decimals, the unit in the axis title (Mermaid's lexer reads no exponents), a bounded size."""
    rows = [{"epoch": i, "score": scale * (i / 99)} for i in range(100)]
    md, series = one_chart(PlotData(CURVE, rows, rows[:50]))
    assert f'y-axis "Score (×{unit})"' in md
    assert len(md) < 1200, len(md)  # not 21 x 2 numbers of 309 digits
    assert max(len(v) for v in re.findall(r"[-\d.]+", md.split("y-axis")[1])) <= 6
    top = max(abs(v) for s in series for v in s)
    assert 1 <= top < 10  # the values in that unit
    # The curves are the data, not zeros: head (half the rows) ends where base is halfway.
    assert series[1][-1] == pytest.approx(series[0][len(series[0]) // 2], rel=0.1)


def test_extreme_x_values_are_drawn_in_units_of_a_power_of_ten() -> None:
    rows = [{"epoch": i * 1.7e306, "score": i / 100} for i in range(100)]
    md, series = one_chart(PlotData(CURVE, rows, rows))
    assert 'x-axis "Epoch (×1e+308)" ["0", "0.1",' in md and 'y-axis "Score"' in md
    assert len(md) < 1200 and series[0][-1] == 0.99
    # The x ranges of base and head, where they differ, in exponent form under the chart.
    md, _ = one_chart(PlotData(CURVE, rows, rows[:10]))
    assert "x ranges differ (base 0–1.683e+308, head 0–1.53e+307)" in md


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, BIG, -BIG, "inf", "NaN"])
def test_rows_no_axis_can_show_are_left_out_and_the_chart_says_why(bad: Any) -> None:
    base = [{"epoch": i, "score": i / 10} for i in range(10)]
    head = [*base[:5], {"epoch": 5, "score": bad}, {"epoch": 6, "score": bad}, *base[7:]]
    head.append({"epoch": bad, "score": 0.5})
    md, series = one_chart(PlotData(CURVE, base, head))
    assert md.endswith(
        "\n\n<sub>3 rows not drawn (head 3): `score` or `epoch` is infinite, not a number or beyond "
        "float range there, which no axis can show.</sub>"
    )
    assert series[1][-1] == 0.9 and len(series) == 2
    # Both sides, one field: said once, with the count of each side.
    md, _ = one_chart(PlotData(CURVE, head[:8], head[:8]))
    assert "4 rows not drawn (base 2, head 2): `score` is infinite" in md


def test_a_curve_of_only_such_rows_is_a_note_that_says_why() -> None:
    rows = [{"epoch": 1, "score": BIG}, {"epoch": 2, "score": math.inf}]
    (rendered,) = render_plot(PlotData(CURVE, rows, None), BASE, HEAD)
    assert rendered.kind == "note"
    assert rendered.markdown.startswith("No finite `score` values in `eval/curve.json` to draw.")
    assert "2 rows not drawn (base 2): `score` is infinite" in rendered.markdown


def test_bars_leave_out_values_no_axis_can_show() -> None:
    d = PlotDef("imp", "imp.json", x="feature", y=("weight",), template="bar")
    base = [{"feature": f, "weight": w} for f, w in (("a", 1.5e308), ("b", BIG), ("c", 2e307))]
    head = [{"feature": f, "weight": w} for f, w in (("a", math.inf), ("c", 1e308), ("d", -BIG))]
    md, series = one_chart(PlotData(d, base, head))
    assert 'x-axis "feature" ["a", "c"]' in md  # b and d have no finite value on either side
    assert 'y-axis "weight (×1e+308)"' in md and series == [[1.5, 0.2], [0, 1]]
    assert "3 rows not drawn (base 1, head 2): `weight` is infinite" in md
    assert len(md) < 800


def test_a_csv_plot_with_such_numbers_is_drawn() -> None:
    from toolkit.formats import parse_rows

    lines = ["step,loss", *(f"{i},{1.6e308 / 10 * i!r}" for i in range(11)), "11,inf", "12,nan", f"13,{BIG}"]
    rows = parse_rows("loss.csv", "\n".join(lines).encode(), "main")
    assert rows[-1]["loss"] == BIG
    d = PlotDef("loss.csv", "loss.csv", x="step", y=("loss",))
    md, series = one_chart(PlotData(d, rows, rows))
    assert 'y-axis "loss (×1e+308)"' in md and max(series[0]) == 1.6
    assert "6 rows not drawn (base 3, head 3): `loss` is infinite" in md
