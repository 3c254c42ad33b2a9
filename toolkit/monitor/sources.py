"""Data sources for drift: a file on disk or `REV:PATH` (git objects, or the DVC cache), read by pandas.

Only `toolkit drift` and `toolkit monitor` import this module (and so pandas).
"""

from __future__ import annotations

import io
import json
import posixpath
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


class DataError(ToolkitError):
    """A data file that cannot be read or compared (named with its column and row)."""


@dataclass(frozen=True)
class Source:
    """Where one side's data comes from."""

    text: str  # as the user gave it, for messages
    path: str  # the file (relative to the repo for a revision)
    rev: str | None = None  # None: a file on disk

    @property
    def format(self) -> str:
        """csv, tsv, jsonl or parquet, from the file name."""
        suffix = posixpath.splitext(self.path.lower())[1]
        fmt = FORMATS.get(suffix)
        if fmt is None:
            raise DataError(
                f"{self.text}: cannot tell the format from `{suffix or 'no extension'}`; use a .csv, "
                ".tsv, .jsonl (JSON lines) or .parquet file."
            )
        return fmt

    def row_label(self, index: int) -> str:
        """How to find data row `index` (0-based) in the file."""
        if self.format in ("csv", "tsv"):
            return f"row {index + 1} (line {index + 2})"
        if self.format == "jsonl":
            return f"line {index + 1}"
        return f"row {index + 1}"


def parse_source(text: str, cwd: Path) -> Source:
    """A file when it exists on disk; else `REV:PATH` when it has a colon; else a missing file."""
    if not text or not text.strip():
        raise DataError("an empty data source was given; pass a file or REV:PATH.")
    if (cwd / text).exists() or ":" not in text:
        return Source(text=text, path=text)
    rev, _, path = text.partition(":")
    if not rev or not path:
        raise DataError(f"{text!r} is neither a file nor REV:PATH (e.g. main:data/train.csv).")
    return Source(text=text, path=path, rev=rev)


def read(source: Source, cwd: Path, categorical: Iterable[str] = ()) -> pd.DataFrame:
    """The table of `source`; `categorical` columns are read as text (zip codes keep their zeros)."""
    fmt = source.format  # before any reading: a wrong extension fails fast
    data: Path | io.BytesIO
    if source.rev is None:
        data = cwd / source.path
        if not data.is_file():
            what = "is a folder, not a file" if data.is_dir() else "does not exist"
            raise DataError(
                f"{source.text} {what}; pass a data file (CSV, TSV, JSON lines, Parquet) or REV:PATH."
            )
    else:
        from toolkit import compare, git

        # As in git's own `REV:PATH`, the path is relative to the repository's top folder.
        data = io.BytesIO(compare.read_at(git.find_root(cwd), source.rev, source.path))
    frame = _parse(source, fmt, data, set(categorical))
    if frame.shape[0] == 0:
        raise DataError(f"{source.text} has no data rows (only a header); give a file with data.")
    if frame.shape[1] == 0:
        raise DataError(f"{source.text} has no columns; give a table with a header row.")
    return frame


def _parse(source: Source, fmt: str, data: Path | io.BytesIO, categorical: set[str]) -> pd.DataFrame:
    import pandas as pd

    text_dtype = dict.fromkeys(categorical, str)
    try:
        with warnings.catch_warnings():
            # Mixed types within a column are reported by columns.py, with the row.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            if fmt in ("csv", "tsv"):
                return pd.read_csv(
                    data,
                    sep="," if fmt == "csv" else "\t",
                    dtype=text_dtype or None,
                    encoding="utf-8",
                    skipinitialspace=False,
                )
            if fmt == "jsonl":
                return _as_text(_read_jsonl(source, data, categorical), categorical)
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise DataError(
                    f"{source.text} is Parquet, which needs pyarrow: `pip install 'mlops-toolkit[parquet]'`, "
                    "or give CSV, TSV or JSON lines."
                ) from None
            return _as_text(pd.read_parquet(data), categorical)
    except pd.errors.EmptyDataError:
        raise DataError(f"{source.text} is empty; give a file with a header row and data.") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{source.text} is not UTF-8 text (byte {exc.start}); save it as UTF-8 and retry."
        ) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{source.text} cannot be parsed: {detail}; fix that line.") from None
    except (ValueError, OSError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{source.text} cannot be read as {fmt}: {detail}.") from None


def _read_jsonl(source: Source, data: Path | io.BytesIO, categorical: set[str]) -> pd.DataFrame:
    """One row per JSON object, typed the same on every pandas release.

    Numbers written as strings become numbers, as in CSV (not in columns declared categorical);
    dates stay text. `pandas.read_json` guesses dates and types differently across releases, and
    its switches for that are deprecated in pandas 3.1.
    """
    import pandas as pd

    raw = data.read_bytes() if isinstance(data, Path) else data.getvalue()
    records: list[dict[str, object]] = []
    for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{source.text} cannot be read as jsonl: line {number} is not JSON ({exc.msg}); "
                "fix that line."
            ) from None
        if not isinstance(record, dict):
            raise DataError(
                f"{source.text} cannot be read as jsonl: line {number} is not an object "
                '(`{"column": value, ...}`); write one object per line.'
            )
        records.append(record)
    if not records:
        raise pd.errors.EmptyDataError
    frame = pd.DataFrame.from_records(records)
    for name in frame.columns:
        column = frame[name]
        if str(name) not in categorical and pd.api.types.infer_dtype(column, skipna=True) == "string":
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.notna().sum() == column.notna().sum():
                frame[name] = numbers
    return frame


def _as_text(frame: pd.DataFrame, categorical: set[str]) -> pd.DataFrame:
    """The columns declared categorical as text (missing values stay missing)."""
    for name in categorical & {str(c) for c in frame.columns}:
        frame[name] = frame[name].astype("string").astype(object)
    return frame
