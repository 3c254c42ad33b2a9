"""Mermaid `xychart-beta` text: plain-decimal numbers, quoted labels, round grids, power-of-ten units.

GitHub draws a Mermaid block that fails to parse as a "Syntax error" bomb, so everything written
into a chart is constrained here: numbers are plain decimals (`[+-]?digits[.digits]`, the only
form Mermaid's lexer accepts: no NaN, Infinity or exponents), labels are always quoted and can
neither close their quotes nor the code fence, and both axes always carry a title (older Mermaid
releases, which GitHub may still run, require one). Numbers too large or too small for short plain
decimals (up to 1.8e308, down to 5e-324) are drawn in units of a power of ten that the axis title
names (`loss (×1e+308)`), so a chart stays a few hundred characters whatever its values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

PALETTE_LINE = '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#9e9e9e, #d62728"}}}}%%'
POINTS = 20  # resampled points per chart: readable, and a small block
LABEL_MAX = 60


def fixed(value: float, decimals: int) -> str:
    """`value` as a plain decimal with at most `decimals` decimals (never an exponent)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    text = f"{value:.{max(0, decimals)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "", "+0") else text


def decimals_for(span: float) -> int:
    """Decimals that resolve about a thousandth of `span` (0 to 12)."""
    if not math.isfinite(span) or span <= 0:
        return 4
    return max(0, min(12, 3 - math.floor(math.log10(span))))


def mermaid_number(value: float, sig: int = 4) -> str:
    """A plain decimal Mermaid's lexer accepts: `-0.0123`, `12`, never `1e-05`, `nan` or `inf`."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    if value == 0:
        return "0"
    return fixed(value, min(12, sig - 1 - math.floor(math.log10(abs(value)))))


def mermaid_label(text: object, max_len: int = LABEL_MAX) -> str:
    """A quoted Mermaid string that cannot end itself, a line, the code fence or a directive."""
    s = str(text)
    for bad, good in (
        ("\r\n", " "),
        ("\n", " "),
        ("\r", " "),
        ('"', "'"),
        ("`", "'"),
        ("<", "‹"),
        (">", "›"),
        ("#", "♯"),
        (";", ","),
    ):
        s = s.replace(bad, good)
    while "%%" in s:  # `%%` starts a comment or a directive anywhere in a Mermaid block
        s = s.replace("%%", "%")
    s = "".join(c if c.isprintable() else " " for c in s).strip()
    if len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return f'"{s or "-"}"'


#: Beyond these magnitudes a chart's numbers are drawn in units of a power of ten.
_PLAIN_MAX = 1e12
_PLAIN_MIN = 1e-6


def exponent_for(values: Sequence[float]) -> int:
    """The power of ten a chart's numbers are drawn in units of: 0 unless they are very large or
    very small, so no value is written with more than about a dozen digits."""
    big = max((abs(v) for v in values), default=0.0)
    if big == 0 or _PLAIN_MIN <= big < _PLAIN_MAX:
        return 0
    return math.floor(math.log10(big))


def shift(value: float, exponent: int) -> float:
    """`value` / 10**exponent, exact up to the final rounding (no overflow at 1e308 or 5e-324)."""
    if exponent == 0:
        return value
    return float(Decimal(repr(value)).scaleb(-exponent))


def unit_text(exponent: int) -> str:
    """The unit an axis title names: "" or " (×1e+308)"."""
    return f" (×1e{exponent:+03d})" if exponent else ""


def axis_title(text: object, exponent: int = 0) -> str:
    """A quoted axis title with its unit, the unit never cut off by the length limit."""
    unit = unit_text(exponent)
    return f'"{mermaid_label(text, LABEL_MAX - len(unit))[1:-1]}{unit}"'


def nice_grid(lo: float, hi: float, points: int = POINTS) -> list[str]:
    """About `points` round x values covering lo..hi, as exact decimal labels ("0", "0.05", ...).

    Steps are 1, 2, 2.5 or 5 times a power of ten, so labels stay short enough to sit side by side
    under the chart (Mermaid draws every category label and never thins them out).
    """
    span = hi - lo
    if not math.isfinite(span) or span <= max(abs(lo), abs(hi)) * 1e-12:
        return [_decimal_text(Decimal(repr(lo)))] if math.isfinite(lo) else ["0"]
    best: tuple[float, list[str]] | None = None
    top = math.floor(math.log10(span))
    for exponent in range(top - 3, top + 1):
        for mantissa in ("1", "2", "2.5", "5"):
            step = Decimal(mantissa).scaleb(exponent)
            first = math.floor(Decimal(repr(lo)) / step)
            last = math.ceil(Decimal(repr(hi)) / step)
            count = last - first + 1
            if count < 2 or count > points + 5:
                continue
            labels = [_decimal_text(step * k) for k in range(first, last + 1)]
            # Each label is centred on its own slice of the ~600 px plot (about 82 characters of
            # 14 px digits): two neighbours must fit in two slices, or they overlap.
            widest_pair = max(len(a) + len(b) for a, b in pairwise(labels))
            fits = widest_pair / 2 * count <= 82
            score = abs(count - points - 1) + (0 if fits else 1000)
            if best is None or score < best[0]:
                best = (score, labels)
    if best is None:  # pragma: no cover - a 1-2-2.5-5 step always lands near `points`
        return [_decimal_text(Decimal(repr(lo))), _decimal_text(Decimal(repr(hi)))]
    return best[1]


def _decimal_text(value: Decimal) -> str:
    """A Decimal as plain text: no exponent, no trailing zeros, no "-0"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def xychart(
    title: str,
    x_axis: str,
    y_label: str,
    series: list[list[float]],
    y_range: tuple[float, float],
    *,
    pinned: bool = False,
    y_exponent: int = 0,
) -> str:
    """The xychart-beta block; `pinned`: the y axis spans y_range whatever the data; the values
    are in units of 10**y_exponent, which the y axis title names."""
    lo, hi = y_range
    # About a hundredth of the range: finer than a chart this size can show.
    decimals = max(0, decimals_for(hi - lo) - 1) if hi > lo else decimals_for(abs(lo))
    texts = [[fixed(v, decimals) for v in values] for values in series]
    y_axis = f"y-axis {axis_title(y_label, y_exponent)}"
    if pinned:
        y_axis += f" {mermaid_number(lo)} --> {mermaid_number(hi)}"
    elif len({t for values in texts for t in values}) == 1:  # a flat line: give it a range
        pad = abs(lo) or 1.0
        y_axis += f" {mermaid_number(lo - pad)} --> {mermaid_number(hi + pad)}"
    lines = [
        "```mermaid",
        PALETTE_LINE,
        "xychart-beta",
        f"    title {mermaid_label(title, 120)}",
        f"    {x_axis}",
        f"    {y_axis}",
    ]
    lines += [f"    line [{', '.join(values)}]" for values in texts]
    lines.append("```")
    return "\n".join(lines)
