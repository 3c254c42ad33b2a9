"""Markdown escaping: names are data and cannot break tables or inject HTML."""

from __future__ import annotations

from toolkit.markdown import code, escape, table

HOSTILE = "a|b`c`*d*<script>alert(1)</script>\nnext_[x](y)"


def _cells(row: str) -> list[str]:
    # Split a table row on unescaped pipes, as GitHub does.
    cells, cur, i = [], "", 0
    while i < len(row):
        if row[i] == "\\" and i + 1 < len(row):
            cur += row[i : i + 2]
            i += 2
            continue
        if row[i] == "|":
            cells.append(cur)
            cur = ""
        else:
            cur += row[i]
        i += 1
    cells.append(cur)
    return cells[1:-1]


def test_escape_neutralises_markup() -> None:
    out = escape(HOSTILE)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\n" not in out
    assert "\\|" in out and "\\`" in out and "\\*" in out and "\\[" in out


def test_hostile_names_keep_a_table_intact() -> None:
    md = table(["name", "value"], [[escape(HOSTILE), code(HOSTILE)], ["plain", "1"]], "lr")
    rows = md.splitlines()
    assert len(rows) == 4
    assert all(len(_cells(r)) == 2 for r in rows), rows


def test_code_span_survives_backticks() -> None:
    out = code("x`y")
    assert out.startswith("``") and out.endswith("``")
    assert code("`start") == "`` `start ``"
