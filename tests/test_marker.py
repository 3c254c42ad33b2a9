"""The hidden report marker: round trip, strictness, and safety of values."""

from __future__ import annotations

import pytest

from toolkit.marker import format_marker, parse_marker


def test_round_trip() -> None:
    line = format_marker("default", head="0123abc", time="1700000000")
    assert line == "<!-- toolkit:report id=default head=0123abc time=1700000000 -->"
    assert parse_marker(line + "\n## Report\n") == {
        "id": "default",
        "head": "0123abc",
        "time": "1700000000",
    }


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "## Report\n<!-- toolkit:report id=default -->",  # not on the first line
        "> <!-- toolkit:report id=default -->",  # quoted by someone else
        "<!-- toolkit:report head=abc -->",  # no id
        "<!-- toolkit:reporter id=default -->",
        "<!-- toolkit:report id=a b -->",
    ],
)
def test_rejects_anything_but_our_first_line(body: str | None) -> None:
    assert parse_marker(body) is None


@pytest.mark.parametrize("value", ["a b", "x-->y", "<script>", "", "a\nb"])
def test_unsafe_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        format_marker("default", head=value)
