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
- dates (YAML timestamps) become ISO strings, so the JSON output never fails.

`old`, `new` and `diff` are otherwise exactly DVC's: `diff` is `new - old` in Python arithmetic,
unrounded, only when both sides are numbers.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from toolkit.results import Direction, Entry, Status

_ABSENT: Any = object()
_PLAIN = frozenset((float, int, str, bool, type(None)))

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


def is_number(value: Any) -> bool:
    """True for ints and floats, False for bools (which Python counts as ints)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> TypeGuard[int | float]:
    """A number (bools are not) that is neither NaN nor infinite: the only kind a gate can judge."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


def non_finite_text(value: float) -> str:
    """`NaN`, `inf` or `-inf`: how every table and message names a number that is not finite."""
    if math.isnan(value):
        return "NaN"
    return "inf" if value > 0 else "-inf"


def format_number(value: Any) -> str:
    """A number as people write it: integers plain, floats to 6 significant digits, NaN/inf/-inf."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return non_finite_text(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
    return f"{value:.6g}"


def format_signed(value: float | int) -> str:
    """A change with its sign, to 6 significant digits: `+0.0123`, `-2`, `+inf`, `-inf`, `NaN`."""
    if isinstance(value, float) and not math.isfinite(value):
        return non_finite_text(value) if value != value or value < 0 else "+inf"
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
        return str(value)
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
            change = n - o
            if o != 0 and change == change:
                r = change / abs(o)
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
