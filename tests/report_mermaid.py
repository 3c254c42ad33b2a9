"""A strict checker for the Mermaid `xychart-beta` blocks the report writes.

It accepts only the statement forms that both the current Mermaid grammar and the older one GitHub
may still run parse (axis titles present, quoted labels, plain decimal numbers). The x-axis must be
a list of categories with one label per value: Mermaid releases spread the values of a numeric
`lo --> hi` axis in different ways (10.x squeezes them onto unit steps and drops the rest).
"""

from __future__ import annotations

import re

from toolkit.plots import PALETTE_LINE

NUM = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
LABEL = r'"(?:[^"`\n%]|%(?!%))+"'
_TITLE = re.compile(rf"^    title {LABEL}$")
_X_RANGE = re.compile(rf"^    x-axis {LABEL} ({NUM}) --> ({NUM})$")
_X_BAND = re.compile(rf"^    x-axis {LABEL} \[({LABEL}(?:, {LABEL})*)\]$")
_Y_AXIS = re.compile(rf"^    y-axis {LABEL}(?: ({NUM}) --> ({NUM}))?$")
_LINE = re.compile(rf"^    line \[({NUM}(?:, {NUM})*)\]$")


def mermaid_blocks(markdown: str) -> list[list[str]]:
    """The lines of every ```mermaid block (fences included)."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in markdown.split("\n"):
        if current is None and line == "```mermaid":
            current = [line]
        elif current is not None:
            current.append(line)
            if line == "```":
                blocks.append(current)
                current = None
    assert current is None, "unclosed mermaid block"
    return blocks


def check_xychart(block: list[str]) -> list[list[float]]:
    """Assert the block is a valid chart as the report writes it; return its line series."""
    assert block[0] == "```mermaid" and block[-1] == "```"
    assert block[1] == PALETTE_LINE, "the colour directive must be the first line"
    assert block[2] == "xychart-beta"
    body = block[3:-1]
    assert _TITLE.match(body[0]), body[0]
    assert not _X_RANGE.match(body[1]), "a numeric x-axis is drawn differently by Mermaid releases"
    x_band = _X_BAND.match(body[1])
    assert x_band, body[1]
    categories = re.findall(LABEL, x_band.group(1))
    assert len(set(categories)) == len(categories), "duplicate categories collapse into one"
    y = _Y_AXIS.match(body[2])
    assert y, body[2]
    if y.group(1) is not None:
        assert float(y.group(1)) < float(y.group(2))
    series = []
    for line in body[3:]:
        m = _LINE.match(line)
        assert m, line
        series.append([float(v) for v in m.group(1).split(", ")])
    assert 1 <= len(series) <= 2
    for values in series:
        assert len(values) == len(categories), "one value per category, or Mermaid drops some"
    for line in body[1:]:  # the axes and lines: numbers are plain decimals, never NaN/inf/1e-05
        numbers = line.rsplit('"', 1)[-1].replace("line [", "[")
        assert not re.search(r"nan|inf|e", numbers.lower()), line
    return series
