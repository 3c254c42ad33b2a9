"""Untrusted text made inert: no control or bidi characters, no workflow commands, no mentions or references.

Metric names, values, paths and branch names come from the pull request. In the terminal they
must not move the cursor, reorder what is shown or start a GitHub Actions workflow command (a
line beginning with `::`); in Markdown they must not notify people, reference issues or become
links.

Markdown is judged as GitHub renders it, not as it is written: character references (`&#64;`,
`&commat;`, with or without `;`), backslash escapes and percent-escapes are decoded, tags that
the sanitiser unwraps are dropped, and a letter of any script before `@` is no word boundary
(GitHub's filters use ASCII classes). Every `@` followed by anything but a space, and every `#`,
`GH-` and `/issues/` (`/pull/`, `/discussions/`) followed by anything but a space or a letter,
gets a zero-width space after it: invisible, and no mention filter, issue reference or issue URL
matches across it. Only code that surely
renders as code is left as written (see `markdown_document`).
"""

from __future__ import annotations

import bisect
import html
import html.entities
import re
from collections.abc import Callable

# C0 and C1 controls (tab and newline are layout, handled by the callers), DEL, and the Unicode
# characters that reorder or hide text (bidi embeddings/overrides/isolates, marks).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)
# A line the Actions runner would read as a command: `::name ...::` or the old `##[name]` form.
_COMMAND = re.compile(r"^(\s*)(::|##\[)", re.M)
ZWSP = "\u200b"

# What GitHub decodes before its filters look at text, read every way it may be read. Literal, as
# in an autolink: nothing decoded. Raw, as in an HTML block or a tag: HTML5 character references
# (`;` optional, any number of leading zeros), backslashes literal. Markdown: CommonMark's
# references (`;` required, at most 7 digits) and backslash escapes. Raw and Markdown each with
# tags kept, and dropped (the sanitiser may unwrap a tag, merging the text around it), and with
# percent-escapes decoded, which matter in link targets.
_PERCENT = r"|%[0-7][0-9A-Fa-f]"
_TAG = r"|</?[A-Za-z][^<>]*>"
_RAW = r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)" + _PERCENT
_MARKDOWN = r"\\[!-/:-@\[-`{-~]|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]*);" + _PERCENT
_READINGS = [re.compile(units) for units in ("(?!)", _RAW, _RAW + _TAG, _MARKDOWN, _MARKDOWN + _TAG)]
# Insert a zero-width space after each match (positions in the rendered text).
# An issue number is digits: `#prod`, `GH-pages` or `/issues/new` reference nothing and are left
# alone, but anything that may hide or become a digit (markup, a reference, an escape) is not.
_NUMBER_MAY_FOLLOW = r"(?![\s\u200b]|[^\W\d_])"
_REFERENCES = re.compile(
    r"[@\uff20](?![\s\u200b])"  # @mention, @org/team, owner/repo@sha
    r"|[#\uff03](?![#\uff03])" + _NUMBER_MAY_FOLLOW  # #12, owner/repo#12 (not `##` of a heading)
    + r"|(?i:gh)-" + _NUMBER_MAY_FOLLOW  # GH-12
    + r"|(?i:/(?:issues|pulls?|discussions))/" + _NUMBER_MAY_FOLLOW  # https://github.com/o/r/issues/12
)
_LINKS = re.compile(r":(?=//)|(?i:www)(?=\.)")  # bare scheme:// and www. links (e-mail: the @ rule)
# Text without these renders none of the above however it is read (escapes only repeat a character).
_MAYBE_REFERENCES = re.compile(r"[@#\uff20\uff03&%<]|(?i:gh|issues|pull|discussions)")
_MAYBE_LINKS = re.compile(r"[:&%<]|(?i:www)")
# Markdown structure, read conservatively (see `_code`).
_EOL = re.compile(r"\r\n|\r|\n")
_FENCE_LIKE = re.compile(r"[ \t>*+\-0-9.)]*(?:```|~~~)")  # a fence in any container
_OPENER = re.compile(r"(`{3,})[^`]*\Z|(~{3,}).*\Z")
_CLOSER = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*\Z")
_HTML_START = re.compile(r"(?:[ \t>]|[-+*](?=[ \t])|[0-9]{1,9}[.)](?=[ \t]))*<")
_RAW_BLOCKS = [  # HTML blocks that a blank line does not end: start after `<`, end
    (re.compile(r"!--"), re.compile(r"-->")),
    (re.compile(r"!\[CDATA\["), re.compile(r"\]\]>")),
    (re.compile(r"!"), re.compile(r">")),
    (re.compile(r"\?"), re.compile(r"\?>")),
    (re.compile(r"(?i:script|pre|style|textarea)"), re.compile(r"(?i)</(?:script|pre|style|textarea)>")),
]
_SPAN_SCAN = re.compile(r"`+|[\\<\[$:wW]")
_WWW = re.compile(r"(?i:www)\\?\.")
_RUN_OR_PIPE = re.compile(r"`+|\|")
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# The few names HTML5 decodes without `;` (`&ampx` is `&x`), longest first.
_LEGACY = re.compile("|".join(sorted((n for n in html.entities.html5 if not n.endswith(";")), key=len)[::-1]))


def _visible(match: re.Match[str]) -> str:
    c = match.group(0)
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def controls(text: str) -> str:
    """Control and bidi characters shown as `\\xNN` / `\\uNNNN` escapes (newline and tab kept)."""
    return _UNSAFE.sub(_visible, text)


def no_commands(text: str) -> str:
    """Every line that would start a workflow command gets a zero-width space inside its `::`."""
    return _COMMAND.sub(lambda m: m.group(1) + m.group(2)[0] + ZWSP + m.group(2)[1:], text)


def terminal(text: str) -> str:
    """Text safe to print in a terminal or an Actions log: no controls, no workflow commands."""
    return no_commands(controls(text))


def no_controls(text: str) -> str:
    """Control and bidi characters replaced by U+FFFD (for Markdown, where escapes are noise)."""
    return _UNSAFE.sub("\ufffd", text)


def markdown_text(text: str) -> str:
    """Plain text (already Markdown-escaped) that cannot mention, reference an issue or link."""
    return _settled(_UNSAFE.sub("\ufffd", text), lambda s: _breaks(s, links=True))


def markdown_document(text: str) -> str:
    """A whole Markdown document in which nobody is mentioned and no issue is referenced.

    Code spans and fenced code blocks that GitHub surely renders as code are kept as written;
    anything less certain (an unbalanced backtick, HTML, links, tables that split a span) is
    treated as text, so a doubt costs an invisible character, never a notification.
    """
    return _settled(text, lambda s: _breaks(_masked(s), links=False))


def _masked(text: str) -> str:
    """The text with its sure code replaced by NULs (same length): no match starts, ends or runs there."""
    masked, last = [], 0
    for a, b in _code(text):
        masked += [text[last:a], "\0" * (b - a)]
        last = b
    masked.append(text[last:])
    return "".join(masked)


def _settled(text: str, breaks: Callable[[str], list[int]]) -> str:
    """Zero-width spaces inserted until none is wanted (one breaking `&#35;` can expose a `#`)."""
    for _ in range(8):
        points = breaks(text)
        if not points:
            break
        out, last = [], 0
        for p in sorted(set(points)):
            out += [text[last:p], ZWSP]
            last = p
        out.append(text[last:])
        text = "".join(out)
    return text


def _breaks(text: str, *, links: bool) -> list[int]:
    """Source offsets after which a zero-width space breaks a mention, reference (or link)."""
    rules = [rule for rule, maybe in ((_REFERENCES, _MAYBE_REFERENCES), (_LINKS, _MAYBE_LINKS))
             if (links or rule is _REFERENCES) and maybe.search(text)]
    points: list[int] = []
    seen: set[str] = set()
    for units in _READINGS if rules else ():
        rendered, after = _render(text, units)
        if rendered in seen:
            continue
        seen.add(rendered)
        for rule in rules:
            points += (after(m.end() - 1) for m in rule.finditer(rendered))
    return points


def _render(text: str, units: re.Pattern[str]) -> tuple[str, _After]:
    """The text as rendered, and a map from a rendered index to the source offset after it."""
    pieces: list[str] = []
    starts: list[int] = []  # rendered index where each decoded unit begins
    spans: list[tuple[int, int]] = []  # (rendered length, source end) of each decoded unit
    pos = length = 0
    for m in units.finditer(text):
        decoded = _decode(m.group())
        if decoded is None:
            continue
        value, used = decoded
        pieces += [text[pos : m.start()], value]
        length += m.start() - pos
        starts.append(length)
        spans.append((len(value), m.start() + used))
        length += len(value)
        pos = m.start() + used
    pieces.append(text[pos:])
    return "".join(pieces), _After(starts, spans)


class _After:
    """The source offset just after the unit that rendered a given character."""

    def __init__(self, starts: list[int], spans: list[tuple[int, int]]) -> None:
        self.starts, self.spans = starts, spans

    def __call__(self, index: int) -> int:
        i = bisect.bisect_right(self.starts, index) - 1
        if i < 0:
            return index + 1
        length, source_end = self.spans[i]
        if index < self.starts[i] + length:
            return source_end
        return source_end + (index - self.starts[i] - length) + 1


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, without its ending (CommonMark's: \\n, \\r\\n or a lone \\r)."""
    out, start = [], 0
    for m in _EOL.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def _code(text: str) -> list[tuple[int, int]]:
    """Source ranges GitHub surely renders as code (nothing in them links), in order.

    Conservative by construction: a fenced block counts only at column 0 after a blank line,
    closed by the next line that could be any fence, and only while every earlier fence-like line
    paired up so; a code span counts only within one line and one table cell, and only while
    nothing earlier in its paragraph could have swallowed a backtick (HTML, links, autolinks,
    math, an unmatched backtick). HTML blocks that run past blank lines (`<!--`, `<pre`, ...)
    hold no code at all.
    """
    exempt: list[tuple[int, int]] = []
    lines = _lines(text)
    fences = clean = after_blank = True
    raw_end: re.Pattern[str] | None = None
    i = 0
    while i < len(lines):
        a, b = lines[i]
        line = text[a:b]
        i += 1
        if _FENCE_LIKE.match(line):
            opener = _OPENER.match(line)
            if raw_end is None and fences and after_blank and opener:
                fence = opener.group(1) or opener.group(2)
                char, width = fence[0], len(fence)
                j = next((k for k in range(i, len(lines)) if _FENCE_LIKE.match(text, *lines[k])), 0)
                closer = _CLOSER.match(text[slice(*lines[j])]) if j else None
                if closer and closer.group(1)[0] == char and len(closer.group(1)) >= width:
                    exempt.append((a, lines[j][1]))
                    i, clean, after_blank = j + 1, False, False
                    continue
            fences = False
        after_blank = not line.strip(" \t")
        if raw_end is not None:
            if raw_end.search(line):
                raw_end = None
            clean = False
            continue
        if after_blank:
            clean = True
            continue
        start = _HTML_START.match(line)
        if start:
            for opens, ends in _RAW_BLOCKS:
                if opens.match(line, start.end()):
                    raw_end = None if ends.search(line, start.end() + 1) else ends
                    break
        if clean and raw_end is None:
            spans, clean = _spans(text, a, b)
            exempt += spans
        else:
            clean = False
    return exempt


def _spans(text: str, a: int, b: int) -> tuple[list[tuple[int, int]], bool]:
    """The code spans of the line text[a:b] that are surely code, and whether the line ended clean."""
    spans: list[tuple[int, int]] = []
    i = a
    while (m := _SPAN_SCAN.search(text, i, b)) is not None:
        i, c = m.start(), m.group()
        if c == "\\":
            if text.startswith((":/", ":\\/"), i + 1):
                return spans, False
            i += 2 if text[i + 1 : i + 2] in _PUNCTUATION else 1  # `\\`` is a literal backtick
        elif c[0] == "`":
            close = _closer(text, m.end(), b, len(c))
            if close is None:
                return spans, False
            spans.append((i, close))
            i = close
        elif c in "<[$" or text.startswith(("://", ":\\/"), i) or _WWW.match(text, i):
            return spans, False  # HTML, a link, math or an autolink may hold a backtick
        else:
            i += 1
    return spans, True


def _closer(text: str, start: int, end: int, width: int) -> int | None:
    """The end of the backtick run of exactly `width` closing a span, within one table cell."""
    for m in _RUN_OR_PIPE.finditer(text, start, end):
        if m.group() == "|":
            p = m.start()
            if not (text[p - 1] == "\\" and text[p - 2 : p - 1] != "\\"):
                return None  # a table would end the cell here
        elif len(m.group()) == width:
            return m.end()
    return None


def _decode(token: str) -> tuple[str, int] | None:
    """What a character reference, escape, percent-escape or tag renders as, and its length."""
    if token[0] == "\\":
        return token[1], 2
    if token[0] == "%":
        return chr(int(token[1:], 16)), 3
    if token[0] == "<":
        return "", len(token)
    if token[1] == "#":
        hexadecimal = token[2] in "xX"
        digits = token[3 if hexadecimal else 2 :].rstrip(";").lstrip("0") or "0"
        if len(digits) > 8:  # far beyond U+10FFFF: the replacement character
            return "\ufffd", len(token)
        # Python drops the control characters HTML5 keeps (with a parse error): a character, still.
        return html.unescape(f"&#{'x' if hexadecimal else ''}{digits};") or "\ufffd", len(token)
    if token.endswith(";") and token[1:] in html.entities.html5:
        return html.entities.html5[token[1:]], len(token)
    legacy = _LEGACY.match(token, 1)
    return (html.entities.html5[legacy.group()], legacy.end()) if legacy else None
