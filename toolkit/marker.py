"""The hidden marker on the first line of a report: `<!-- toolkit:report id=ID key=value ... -->`."""

from __future__ import annotations

import re

PREFIX = "<!-- toolkit:report"
_SAFE = re.compile(r"^[A-Za-z0-9_.:/+-]{1,200}$")
_LINE = re.compile(r"^<!-- toolkit:report((?: [a-z_]+=[A-Za-z0-9_.:/+-]{1,200})*) -->$")


def format_marker(report_id: str, **fields: str) -> str:
    """The marker line; values are restricted to a safe alphabet so they cannot end the comment."""
    items = {"id": report_id, **fields}
    parts = []
    for key, value in items.items():
        if not isinstance(value, str) or not _SAFE.fullmatch(value):
            raise ValueError(f"unsafe marker value for {key!r}: {value!r}")
        parts.append(f"{key}={value}")
    return f"{PREFIX} {' '.join(parts)} -->"


def parse_marker(body: str | None) -> dict[str, str] | None:
    """The marker's fields when `body` starts with one, else None."""
    if not body:
        return None
    first = body.split("\n", 1)[0].rstrip("\r")
    m = _LINE.fullmatch(first)
    if not m:
        return None
    fields = dict(item.split("=", 1) for item in m.group(1).split())
    return fields if "id" in fields else None
