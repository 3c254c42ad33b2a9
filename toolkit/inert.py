"""Untrusted text made inert: no control or bidi characters, no workflow commands, no mentions.

Metric names, values, paths and branch names come from the pull request. In the terminal they
must not move the cursor, reorder what is shown or start a GitHub Actions workflow command (a
line beginning with `::`); in Markdown they must not notify people or become links.
"""

from __future__ import annotations

import re

# C0 and C1 controls (tab and newline are layout, handled by the callers), DEL, and the Unicode
# characters that reorder or hide text (bidi embeddings/overrides/isolates, marks).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)
# A line the Actions runner would read as a command: `::name ...::` or the old `##[name]` form.
_COMMAND = re.compile(r"^(\s*)(::|##\[)", re.M)
ZWSP = "\u200b"
# `@name` and `@org/team` notify; `user@host` does not, nor does `@` in the middle of a word.
_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")
# Bare links GitHub turns into anchors: scheme://, www., and e-mail addresses (via the @ rule).
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}):(?=//)")
_WWW = re.compile(r"(?i)\bwww\.")


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
    """Plain text (already Markdown-escaped) that cannot mention anyone or become a link."""
    s = _UNSAFE.sub("\ufffd", text)
    s = _MENTION.sub("@" + ZWSP, s)
    s = _SCHEME.sub(lambda m: m.group(1) + ":" + ZWSP, s)
    return _WWW.sub(lambda m: m.group(0)[:3] + ZWSP + ".", s)


def mentions(text: str) -> str:
    """Every `@name` in a whole Markdown document broken with a zero-width space."""
    return _MENTION.sub("@" + ZWSP, text)
