"""GitHub-flavoured Markdown helpers: names are data, never markup."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from toolkit.inert import markdown_text, no_controls

# Characters that GitHub Markdown gives meaning to inside a table cell or inline text.
_MD_SPECIAL = {c: f"\\{c}" for c in "\\`*_[]()#+!~|{}"}


def escape(text: object) -> str:
    """Make any text safe as inline Markdown: no HTML, no emphasis/code/links, no table breaks,
    no @mentions, no bare links, no control or bidi characters."""
    s = html.escape(str(text), quote=False)  # <, >, & -> entities: no injected HTML
    s = "".join(_MD_SPECIAL.get(c, c) for c in s)
    # Newlines would end a table row; keep the content visible on one line.
    s = s.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return markdown_text(s)


def code(text: object) -> str:
    """Inline code that cannot be broken out of (backticks, pipes and newlines neutralised)."""
    s = no_controls(str(text).replace("\r", " ").replace("\n", " ")) or " "  # `` is no span
    longest = run = 0
    for c in s:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    # `|` ends a table cell even inside code spans on GitHub; its escape works there.
    body = s.replace("|", "\\|")
    return f"{fence}{pad}{body}{pad}{fence}"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: str | None = None) -> str:
    """A GitHub table from already-escaped cells; align is one of l/r/c per column."""
    align = align or "l" * len(headers)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)
