"""toolkit.metrics: flattening and diffing with DVC's old/new/diff and the documented improvements."""

from __future__ import annotations

import datetime
import json
import math
import sys
from decimal import Decimal
from fractions import Fraction

import pytest

from toolkit import metrics
from toolkit.config import Config
from toolkit.results import Entry


def test_flatten_nested_lists_nulls_dates() -> None:
    data = {
        "a": {"b": {"c": 1}, "empty": {}},
        "l": [1, {"x": 2}],
        "n": None,
        "d": datetime.date(2020, 1, 2),
        "s": "x",
    }
    assert metrics.flatten(data) == {
        "a.b.c": 1,
        "l": [1, {"x": 2}],
        "n": None,
        "d": "2020-01-02",
        "s": "x",
    }
    # params: lists in DVC's string form
    assert metrics.flatten({"l": [1, 2], "m": {"k": [True]}}, lists_as_str=True) == {
        "l": "[1, 2]",
        "m.k": "[True]",
    }


def test_flatten_top_level_scalar_and_empty() -> None:
    assert metrics.flatten(0.5) == {"": 0.5}
    assert metrics.flatten(None) == {}
    assert metrics.flatten({}) == {}


def test_same() -> None:
    assert metrics.same(1, 1.0)
    assert not metrics.same(True, 1)
    assert not metrics.same(1, "1")
    assert metrics.same(math.nan, math.nan)
    assert metrics.same([1, math.nan], [1, math.nan])
    assert not metrics.same([1, 2], [1, 3])
    assert not metrics.same([True], [1])


def _by_key(entries: list[Entry]) -> dict[str, Entry]:
    return {e.key: e for e in entries}


def test_diff_file_statuses_and_numbers() -> None:
    old = {
        "acc": 0.5,
        "loss": 0.4,
        "same": 2,
        "gone": 1,
        "s": "a",
        "b": True,
        "nan": math.nan,
        "l": [1],
        "z": 0,
        "n": None,
    }
    new = {
        "acc": 0.6,
        "loss": 0.5,
        "same": 2.0,
        "s": "b",
        "b": False,
        "nan": math.nan,
        "l": [2],
        "z": 1,
        "n": None,
        "added": 3,
    }
    e = _by_key(metrics.diff_file("m.json", old, new, direction_for=Config().direction_for))
    assert e["acc"].status == "modified" and e["acc"].diff == 0.6 - 0.5
    assert e["acc"].rel == (0.6 - 0.5) / 0.5
    assert e["acc"].direction == "higher" and e["acc"].improved is True
    assert e["loss"].direction == "lower" and e["loss"].improved is False
    assert e["same"].status == "unchanged" and e["same"].diff == 0.0 and e["same"].improved is None
    assert e["gone"].status == "removed" and e["gone"].new is None and e["gone"].diff is None
    assert e["added"].status == "added" and e["added"].old is None and e["added"].direction == "higher"
    assert e["s"].status == "modified" and e["s"].diff is None and e["s"].direction is None
    assert e["b"].status == "modified" and e["b"].diff is None and e["b"].direction is None
    assert e["nan"].status == "unchanged"
    assert e["l"].status == "modified" and e["l"].old == [1]
    assert e["z"].rel is None and e["z"].diff == 1  # old 0: no relative change
    assert e["n"].status == "unchanged"
    assert [k.key for k in metrics.diff_file("m", old, new)][-1] == "gone"  # removed keys last


def test_diff_file_absent_files() -> None:
    added = metrics.diff_file("m.json", None, {"a": 1})
    assert [(x.key, x.status, x.old, x.new) for x in added] == [("a", "added", None, 1)]
    removed = metrics.diff_file("m.json", {"a": 1}, None)
    assert [(x.key, x.status) for x in removed] == [("a", "removed")]
    assert metrics.diff_file("m.json", None, None) == []


def test_params_have_no_direction() -> None:
    (entry,) = metrics.diff_file("params.yaml", {"lr": 0.1}, {"lr": 0.2})
    assert entry.direction is None and entry.improved is None and entry.diff is not None


def test_fast_entries_equal_regular_ones() -> None:
    (entry,) = metrics.diff_file("p", {"a": 1}, {"a": 2}, direction_for=Config().direction_for)
    regular = Entry(
        path="p", key="a", old=1, new=2, status="modified", diff=1, rel=1.0, direction="higher", improved=True
    )
    assert entry == regular and hash(entry) == hash(regular)
    assert entry.to_json() == regular.to_json()


def test_infinite_values() -> None:
    (entry,) = metrics.diff_file("p", {"a": math.inf}, {"a": 1.0}, direction_for=Config().direction_for)
    assert entry.diff == -math.inf and entry.rel is None and entry.improved is False


def test_one_percent_format_everywhere() -> None:
    from toolkit.commands.diff import format_change
    from toolkit.metrics import diff_file, format_percent
    from toolkit.report import format_rel

    assert [format_percent(r) for r in (0.0, 0.00001, -0.015, 0.125, -1.0)] == [
        "0%", "+<0.01%", "-1.50%", "+12.5%", "-100.0%"
    ]
    (entry,) = diff_file("m.json", {"acc": 0.8}, {"acc": 0.9}, direction_for=lambda p, k: "higher")
    assert format_rel(entry) == "+12.5%" and "(+12.5%)" in format_change(entry)


def test_nan_turning_up_is_worse_and_going_away_better() -> None:
    higher = {"acc": "higher", "loss": "lower"}
    old = {"acc": 0.9, "loss": math.nan, "both": math.nan, "inf": math.inf}
    new = {"acc": math.nan, "loss": 0.3, "both": math.nan, "inf": math.inf}
    e = _by_key(metrics.diff_file("m.json", old, new, direction_for=lambda p, k: higher.get(k, "higher")))
    assert e["acc"].improved is False and math.isnan(e["acc"].diff)  # diverged: worse, whichever way
    assert e["loss"].improved is True  # recovered
    assert e["both"].improved is None and e["both"].status == "unchanged"
    assert e["inf"].improved is None and e["inf"].status == "unchanged"  # inf - inf is NaN


def test_one_formatter_for_numbers_that_are_not_finite() -> None:
    assert [metrics.format_number(v) for v in (math.nan, math.inf, -math.inf, 2.0, 0.1234567, 7)] == [
        "NaN", "inf", "-inf", "2", "0.123457", "7"
    ]
    assert [metrics.format_value(v) for v in (math.nan, -math.inf, None, [1, math.nan], {"a": math.inf})] == [
        "NaN", "-inf", "-", "[1, NaN]", '{"a": Infinity}'
    ]
    assert [metrics.format_signed(v) for v in (math.nan, math.inf, -math.inf, 0.5, -2)] == [
        "NaN", "+inf", "-inf", "+0.5", "-2"
    ]
    assert [metrics.is_finite_number(v) for v in (1, 1.5, True, math.nan, math.inf, "1", None)] == [
        True, True, False, False, False, False, False
    ]


# --- integers beyond the range of a float (up to the 4,300 digits Python reads) ----------------

FLOAT_MAX = sys.float_info.max
BIG = 10**400
OVERFLOW = 2**1024 - 2**970  # the least integer a float rounds to infinity
DIGITS = (21, 308, 309, 310, 401, 1000, 4300)


def test_an_integer_beyond_float_range_is_not_finite() -> None:
    for value in (int(FLOAT_MAX), -int(FLOAT_MAX), OVERFLOW - 1, 1 - OVERFLOW, 10**308):
        assert metrics.is_finite_number(value)  # float() converts it (10**308: 309 digits)
        assert math.isfinite(float(value))
    for value in (OVERFLOW, -OVERFLOW, BIG, -BIG, 10**4299):
        with pytest.raises(OverflowError):
            float(value)
        assert not metrics.is_finite_number(value)
        assert metrics.non_finite_text(value).endswith(" (beyond float range)")


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("digits", DIGITS)
def test_long_integers_are_shown_in_exponent_form_by_every_formatter(digits: int, sign: int) -> None:
    from toolkit import report

    value = sign * int(("123456789" * 500)[:digits])
    plain = [metrics.format_value(value), metrics.format_number(value), metrics.format_int(value)]
    plain.append(report.format_value(value))
    signed = [metrics.format_signed(value), metrics.format_int(value, sign=True)]
    (entry,) = metrics.diff_file("m.json", {"m": 0}, {"m": value})
    signed.append(report.format_change(entry))
    for text in plain + signed:
        assert len(text) <= 14, text  # `-1.23457e+4299`, never thousands of digits
        assert abs(Decimal(text) - value) <= abs(value) * Decimal("1e-5"), text
    assert all(t[0] in "+-" for t in signed)


def test_integers_up_to_20_digits_stay_exact_in_tables() -> None:
    assert metrics.format_value(99_999_999_999_999_999_999) == "99999999999999999999"
    assert metrics.format_value(-(2**63)) == "-9223372036854775808"
    assert metrics.format_int(10**20) == "1e+20"


def _nearest_float_difference(new: int | float, old: int | float) -> int | float:
    """new - old as DVC computes it, and where Python cannot (an integer beyond float range and a
    float), the float nearest the exact difference: an infinity, or NaN with a NaN."""
    if isinstance(new, int) and isinstance(old, int):
        return new - old
    f = new if isinstance(new, float) else old
    if math.isnan(f):
        return math.nan
    if math.isinf(f):
        return f if f is new else -f
    exact = Fraction(new) - Fraction(old)
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


OTHERS = [0.5, -2.0, 0.0, FLOAT_MAX, -FLOAT_MAX, math.inf, -math.inf, math.nan, 0, 3, -BIG * 3, BIG + 1]


def _id(value: object) -> str:
    return f"{'-' if value < 0 else ''}int{len(str(abs(value)))}" if isinstance(value, int) else str(value)


@pytest.mark.parametrize("big", [BIG, -BIG, OVERFLOW], ids=_id)
@pytest.mark.parametrize("other", OTHERS, ids=_id)
@pytest.mark.parametrize("big_is_new", [True, False])
def test_an_integer_beyond_float_range_against_any_number(big: int, other: float, big_is_new: bool) -> None:
    old, new = (other, big) if big_is_new else (big, other)
    (e,) = metrics.diff_file("m.json", {"m": old}, {"m": new}, direction_for=lambda p, k: "higher")
    expected = _nearest_float_difference(new, old)
    assert e.status == "modified"
    assert type(e.diff) is type(expected)
    assert e.diff == expected or (expected != expected and e.diff != e.diff)
    # The relative change: exact, rounded once; none when it is not a finite float.
    if old == 0 or any(isinstance(v, float) and not math.isfinite(v) for v in (old, new)):
        assert e.rel is None
    else:
        try:
            rel: float | None = float((Fraction(new) - Fraction(old)) / abs(Fraction(old)))
        except OverflowError:
            rel = None
        assert e.rel == rel
    if expected != expected:
        assert e.improved is (new == new)  # stopping being NaN is better
    else:
        assert e.improved is (expected > 0)
    # The JSON document can be written, and read back by Python with its default digit limit.
    back = json.loads(json.dumps(e.to_json()))
    assert back["old"] == old or old != old
    assert back["new"] == new or new != new


def test_a_difference_longer_than_python_prints_is_infinite() -> None:
    """Two integers of 4,300 digits (the most Python reads) can differ by one of 4,301."""
    top = 10**4300 - 1
    (e,) = metrics.diff_file("m.json", {"m": -top}, {"m": top})
    assert e.diff == math.inf and e.rel == 2.0
    (e,) = metrics.diff_file("m.json", {"m": top}, {"m": -top})
    assert e.diff == -math.inf and e.rel == -2.0
    (e,) = metrics.diff_file("m.json", {"m": top}, {"m": 1})
    assert e.diff == 1 - top and e.rel == -1.0  # 4,300 digits: printed exactly, as DVC does
    assert json.loads(json.dumps(e.to_json()))["diff"] == 1 - top


def test_exponent_form_rounds_as_decimal_does_on_every_length() -> None:
    """The leading digits are cut from long integers (fast); the rounding is still exact: ties to
    even, a tie broken by a non-zero digit far behind it."""
    import random

    def exact(value: int) -> str:
        mantissa, _, exponent = f"{Decimal(value):+.5e}".partition("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"

    rng = random.Random(7)
    values = [10**k + d for k in (21, 80, 308, 309, 400, 4299) for d in (-1, 0, 1)]
    values += [int(lead + "0" * 400) for lead in ("1234565", "1234575", "9999995", "9999994")]
    values += [int("1234565" + "0" * 399 + "1"), int("9999994" + "9" * 300)]
    values += [rng.randrange(10**20, 10 ** rng.randint(21, 4299)) for _ in range(200)]
    for value in values:
        for signed in (value, -value):
            assert metrics.format_int(signed, sign=True) == exact(signed), signed
