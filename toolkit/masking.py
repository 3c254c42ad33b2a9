"""Param values whose key looks like a secret (a password, a token, an API key) are never shown.

A key matches when one of its dotted segments holds the words of a secret name in a row,
case-insensitively, words split at `_`, `-`, spaces and camelCase: `db.password`, `DB_PASSWORD`,
`apiKey`, `aws_secret_access_key` and `credentials.user` match; `max_tokens` and `tokenizer` do
not (`tokens` is not `token`). The entry keeps its status, so a report still says a masked value
changed, or did not, without the value: `old` and `new` become MASK.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence

from toolkit.results import Entry

MASK = "***"
#: Secret names masked unless `secrets: {defaults: false}` in toolkit.yaml.
DEFAULT_SECRET_KEYS = (
    "password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "access_key",
    "private_key", "credential", "credentials",
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(text: str) -> tuple[str, ...]:
    """`dbPassword` -> (db, password); `AWS_SECRET_ACCESS_KEY` -> (aws, secret, access, key)."""
    return tuple(w.lower() for w in _WORD.findall(text))


class SecretKeys:
    """Compiled secret names: which keys to mask."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        self._patterns = [w for w in (words(n) for n in self.names) if w]
        self.segment = functools.lru_cache(maxsize=4096)(self._segment)

    def _segment(self, segment: str) -> bool:
        found = words(segment)
        for pattern in self._patterns:
            n = len(pattern)
            if any(found[i : i + n] == pattern for i in range(len(found) - n + 1)):
                return True
        return False

    def matches(self, key: str) -> bool:
        """True when a segment of the dotted `key` names a secret."""
        return bool(self._patterns) and any(self.segment(part) for part in key.split("."))


@functools.lru_cache(maxsize=8)
def compiled(names: Sequence[str]) -> SecretKeys:
    """The matcher for a tuple of names (cached: one per configuration)."""
    return SecretKeys(names)


def mask(entries: list[Entry], names: Sequence[str]) -> list[Entry]:
    """`entries` with the values of secret-looking keys replaced by MASK (status kept)."""
    keys = compiled(tuple(names))
    if not keys.names:
        return entries
    out = []
    for e in entries:
        if keys.matches(e.key):
            e = dataclasses.replace(
                e,
                old=None if e.old is None else MASK,
                new=None if e.new is None else MASK,
                diff=None,
                rel=None,
                improved=None,
                masked=True,
            )
        out.append(e)
    return out
