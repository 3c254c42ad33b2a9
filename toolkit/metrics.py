"""Flatten metrics/params files and diff them into `Entry` objects, with DVC's old/new/diff.

Where this differs from `dvc metrics diff` / `dvc params diff` on purpose (DVC is silent or wrong):

- metrics: list values are kept and compared as values (DVC drops them); `null` leaves are kept
  (DVC drops them); bools are values, not numbers, so they get no `diff` (DVC computes
  `True - False`) and `true` differs from `1`;
- NaN equals NaN (unchanged; DVC reports NaN -> NaN as modified); a metric that turns NaN is
  `improved: false` (worse), one that stops being NaN `improved: true`;
- a key that is `null` on one side and absent on the other is added/removed (DVC cannot tell);
- params: lists are compared as DVC shows them, their Python string form (`"[1, 2]"`), so
  `old`/`new` stay identical to `dvc params diff --json`;
- dates (YAML timestamps) become ISO strings, so the JSON output never fails;
- an integer beyond the range of a float (above about 1.8e308) minus a float, where DVC stops with
  "int too large to convert to float", gives the float the exact difference rounds to, as IEEE
  arithmetic rounds an overflow: `Infinity` or `-Infinity` (NaN with NaN); a difference of two
  integers too long for Python to print (more than 4,300 digits) is `Infinity`/`-Infinity` too.
  Such an integer is no finite number to a gate (`is_finite_number`), like NaN and infinities.

`old`, `new` and `diff` are otherwise exactly DVC's: `diff` is `new - old` in Python arithmetic,
unrounded, only when both sides are numbers (two integers: the exact integer difference).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from toolkit.results import Direction, Entry, Status

_ABSENT: Any = object()
_PLAIN = frozenset((float, int, str, bool, type(None)))
#: The least integer that rounds to infinity as a float (halfway between the largest float, about
#: 1.8e308, and 2**1024): integers from here on are beyond float range, and float() refuses them.
_FLOAT_OVERFLOW = 2**1024 - 2**970
#: Integers this short always print: Python's digit limit is 0 (none) or at least 640 digits.
_PRINTABLE_BITS = 3 * sys.int_info.str_digits_check_threshold
#: Integers up to this size are shown in full (every 64-bit integer is); larger ones in exponent form.
_INT_SHOWN = 10**20

# Entry is a frozen dataclass, whose generated __init__ costs nine object.__setattr__ calls; with
# thousands of keys that is a visible share of `toolkit diff`'s run time, so build entries by
# filling __dict__ directly while Entry stays a plain (dict-based, no __post_init__) dataclass.
_FAST_ENTRY = not hasattr(Entry, "__slots__") and not hasattr(Entry, "__post_init__")
_new = object.__new__


def _entry(fields: dict[str, Any]) -> Entry:
    if _FAST_ENTRY:
        e = _new(Entry)
        e.__dict__.update(fields)
        return e
    return Entry(**fields)


def format_percent(rel: float, *, sign: bool = True) -> str:
    """A relative change as every output shows it: `+1.50%`, `-12.3%`, `+<0.01%`, `0%`."""
    pct = rel * 100
    if pct == 0:
        return "0%"
    lead = ("+" if pct > 0 else "-") if sign else ("" if pct > 0 else "-")
    if abs(pct) < 0.01:
        return f"{lead}<0.01%"
    return f"{lead}{abs(pct):.2f}%" if abs(pct) < 10 else f"{lead}{abs(pct):.1f}%"


def is_number(value: Any) -> TypeGuard[int | float]:
    """True for ints and floats, False for bools (which Python counts as ints)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> TypeGuard[int | float]:
    """A number (bools are not) that is neither NaN nor infinite nor an integer beyond the range of
    a float (above about 1.8e308): the only kind a gate can judge, and `float()` can convert."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return -_FLOAT_OVERFLOW < value < _FLOAT_OVERFLOW


def non_finite_text(value: float | int) -> str:
    """`NaN`, `inf`, `-inf`, or `1e+400 (beyond float range)`: how every table and message names a
    number that is not finite."""
    if isinstance(value, int):
        return f"{_exponent_form(value)} (beyond float range)"
    if math.isnan(value):
        return "NaN"
    return "inf" if value > 0 else "-inf"


def _exponent_form(value: int, sign: bool = False) -> str:
    """An integer to 6 significant digits in exponent form, as `.6g` writes a float: `1.23457e+400`."""
    from decimal import Decimal

    magnitude = abs(value)
    if magnitude.bit_length() > 256:
        # Decimal(int) is quadratic in the digits (0.5 ms at 4,300): keep the leading 9 or so,
        # with a sticky last digit so the rounding of the rest stays exact.
        scale = int(math.log10(magnitude)) - 8
        lead, rest = divmod(magnitude, 10**scale)
        shown = Decimal(lead * 10 + (rest != 0)).scaleb(scale - 1)
    else:
        shown = Decimal(magnitude)
    mantissa, _, exponent = f"{shown:{'+' if sign else ''}.5e}".partition("e")
    if value < 0:
        mantissa = "-" + mantissa.lstrip("+")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def format_int(value: int, *, sign: bool = False) -> str:
    """An integer in full up to 20 digits (every 64-bit value), beyond that `1.23457e+400`.

    A metrics file may hold an integer of up to 4,300 digits (what Python reads): in full it would
    fill a table, and a PR comment's 65,536 characters with it.
    """
    if -_INT_SHOWN < value < _INT_SHOWN:
        return f"{value:+d}" if sign else str(value)
    return _exponent_form(value, sign)


def format_number(value: Any) -> str:
    """A number as people write it: integers plain, floats to 6 significant digits, NaN/inf/-inf."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return non_finite_text(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
    elif not is_finite_number(value):  # an integer beyond float range
        return _exponent_form(value)
    return f"{value:.6g}"


def format_signed(value: float | int) -> str:
    """A change with its sign, to 6 significant digits: `+0.0123`, `-2`, `+inf`, `-inf`, `NaN`."""
    if isinstance(value, float) and not math.isfinite(value):
        return non_finite_text(value) if value != value or value < 0 else "+inf"
    if isinstance(value, int) and not is_finite_number(value):
        return _exponent_form(value, sign=True)
    return f"{value:+.6g}"


def format_value(value: Any) -> str:
    """A value as a table cell shows it: numbers to 6 significant digits, NaN/inf/-inf, JSON for the rest."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else non_finite_text(value)
    if isinstance(value, int):
        return format_int(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)  # NaN/Infinity as DVC prints them


def _leaf(value: Any, lists_as_str: bool) -> Any:
    if isinstance(value, list):
        return str(value) if lists_as_str else [_leaf(v, False) for v in value]
    if isinstance(value, dict) and not lists_as_str:
        return {str(k): _leaf(v, False) for k, v in value.items()}
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return value


def flatten(data: Any, *, lists_as_str: bool = False) -> dict[str, Any]:
    """Nested mappings -> {"a.b.c": leaf}; empty mappings vanish, a top-level scalar is key ""."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        _walk(data, "", out, lists_as_str)
    elif data is not None and data != [] and data != "":
        out[""] = _leaf(data, lists_as_str)
    return out


def _walk(node: dict[Any, Any], prefix: str, out: dict[str, Any], lists_as_str: bool) -> None:
    plain = _PLAIN
    for key, value in node.items():
        name = f"{prefix}{key}"
        if type(value) in plain:  # the common case first: thousands of numbers
            out[name] = value
        elif isinstance(value, dict):
            _walk(value, name + ".", out, lists_as_str)
        elif isinstance(value, (list, _dt.date, _dt.time)):
            out[name] = _leaf(value, lists_as_str)
        else:
            out[name] = value


def same(a: Any, b: Any) -> bool:
    """Value equality where bools are not numbers and NaN equals NaN."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if is_number(a) != is_number(b):
        return False
    return bool(a == b)


def _overflowed(new: int | float, old: int | float) -> float:
    """new - old where one is an integer beyond float range and the other a float (Python raises
    OverflowError): the float nearest the exact difference, as IEEE arithmetic rounds (an infinity
    beyond float range); NaN with a NaN."""
    f = new if isinstance(new, float) else old
    if f != f:
        return math.nan
    if math.isinf(f):  # the infinite side outweighs any integer
        return f if f is new else -f
    from fractions import Fraction

    exact = Fraction(new) - Fraction(old)
    try:
        return float(exact)
    except OverflowError:
        return math.inf if exact > 0 else -math.inf


@functools.cache
def _unprintable_from(limit: int) -> int:
    """The least integer with more than `limit` digits, which Python refuses to print."""
    return 10**limit


def _printable(change: int) -> int | float:
    """An integer difference, or an infinity when it has more digits than Python prints (two
    integers of up to 4,300 digits each, the most it reads, can differ by one of 4,301)."""
    limit = sys.get_int_max_str_digits()
    if not limit or abs(change) < _unprintable_from(limit):
        return change
    return math.inf if change > 0 else -math.inf


def _ratio(new: int | float, old: int | float) -> float:
    """(new - old) / |old| exactly, rounded to a float; NaN when a side or the result is not finite."""
    for side in (new, old):
        if isinstance(side, float) and not math.isfinite(side):
            return math.nan
    from fractions import Fraction

    try:
        return float((Fraction(new) - Fraction(old)) / abs(Fraction(old)))
    except OverflowError:
        return math.nan


def _improved(direction: Direction, change: float | int, old: Any, new: Any) -> bool | None:
    if change != change:  # NaN: a metric that turned NaN got worse, one that stopped being NaN better
        old_nan, new_nan = old != old, new != new
        return None if old_nan == new_nan else old_nan
    if change == 0:
        return None
    return (change > 0) == (direction == "higher")


def diff_file(
    path: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    direction_for: Callable[[str, str], Direction | None] | None = None,
) -> list[Entry]:
    """Entries for every key of one file at base (`old`) and head (`new`); None = file absent."""
    old = old or {}
    new = new or {}
    keys = list(new)
    keys.extend(k for k in old if k not in new)
    entries: list[Entry] = []
    append = entries.append
    numeric = (int, float)
    for key in keys:
        o = old.get(key, _ABSENT)
        n = new.get(key, _ABSENT)
        to, tn = type(o), type(n)
        o_num = to in numeric  # exact types: bools are not numbers
        n_num = tn in numeric
        status: Status
        if o is _ABSENT:
            status = "added"
            o = None
        elif n is _ABSENT:
            status = "removed"
            n = None
        elif o_num and n_num:
            status = "unchanged" if o == n or (o != o and n != n) else "modified"  # NaN == NaN
        else:
            status = "unchanged" if same(o, n) else "modified"
        change: float | int | None = None
        rel: float | None = None
        direction: Direction | None = None
        improved: bool | None = None
        if o_num and n_num:
            try:
                change = n - o
            except OverflowError:  # an integer beyond float range and a float
                change = _overflowed(n, o)
                if o != 0:
                    r = _ratio(n, o)
                    rel = r if r - r == 0 else None
            else:
                if type(change) is int and change.bit_length() > _PRINTABLE_BITS:
                    change = _printable(change)
                if o != 0 and change == change:
                    try:
                        r = change / abs(o)
                    except OverflowError:  # an integer beyond float range: divide exactly
                        r = _ratio(n, o)
                    rel = r if r - r == 0 else None  # finite only
        if direction_for is not None and (o_num or n_num):
            direction = direction_for(path, key)
            if change is not None and direction is not None:  # neutral names: neither
                improved = _improved(direction, change, o, n)
        append(
            _entry(
                {
                    "path": path,
                    "key": key,
                    "old": o,
                    "new": n,
                    "status": status,
                    "diff": change,
                    "rel": rel,
                    "direction": direction,
                    "improved": improved,
                }
            )
        )
    return entries
