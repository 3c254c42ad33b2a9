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
from pathlib import Path

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


def workspace_secrets(root: Path, names: Sequence[str]) -> list[str]:
    """The values of secret-looking params in the workspace's params files (for `::add-mask::`).

    So a stage command that interpolates `${db.password}` does not print it in `dvc repro`'s log.
    Values under 4 characters are left out: masking `1` would blank every 1 in the log.
    """
    from toolkit import dvcfiles, formats, git, metrics, safefs
    from toolkit.compare import root_prefix
    from toolkit.errors import ToolkitError

    keys = compiled(tuple(names))
    if not keys.names:
        return []

    def read(path: str) -> bytes | None:
        return safefs.read_inside(root, path, "the workspace")

    try:
        files = git.start_listing(root, None, root_prefix(root))()
        project = dvcfiles.load_project(files, read, "the workspace")
    except ToolkitError:
        return []  # the comparison names what cannot be read
    values = [metrics.flatten(used) for used in project.tracked_vars.values()]
    for path in project.params:
        try:
            data = read(path)
            if data is not None:
                values.append(metrics.flatten(formats.parse(path, data, "the workspace")))
        except ToolkitError:
            continue
    found: list[str] = []
    for flat in values:
        for key, value in flat.items():
            text = value if isinstance(value, str) else None
            if text is not None and len(text) >= 4 and keys.matches(key) and text not in found:
                found.append(text)
    return found
