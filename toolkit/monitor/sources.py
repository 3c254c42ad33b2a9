"""Data sources for drift: a file on disk or `REV:PATH` (git objects, or the DVC cache), read by pandas.

A table's shape is checked before pandas parses it, so a hostile or broken file is refused in
seconds with an error naming the limit: lines longer than MAX_LINE_BYTES, more columns than
`drift.max_columns`, more values (rows x columns) than `drift.max_cells`. Only `toolkit drift` and
`toolkit monitor` import this module (and so pandas).
"""

from __future__ import annotations

import csv
import io
import json
import mmap
import os
import posixpath
import stat
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.config import DriftOptions
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
#: The longest line (the header, one row, one JSON object) of a CSV, TSV or JSON-lines file.
MAX_LINE_BYTES = 16 * 1024 * 1024
_CHUNK = 1024 * 1024


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


def read(source: Source, cwd: Path, options: DriftOptions | None = None) -> pd.DataFrame:
    """The table of `source`, within the limits of `options`; its categorical columns read as text."""
    options = options or DriftOptions()
    categorical = {name for name, spec in options.columns.items() if spec.type == "categorical"}
    fmt = source.format  # before any reading: a wrong extension fails fast
    data: Path | bytes
    if source.rev is None:
        data = cwd / source.path
        try:
            mode = data.stat().st_mode
        except OSError:
            mode = 0
        if not stat.S_ISREG(mode):
            what = (
                "is a folder, not a file"
                if stat.S_ISDIR(mode)
                else "is not a regular file (a device, FIFO or socket)"
                if mode
                else "does not exist"
            )
            raise DataError(
                f"{source.text} {what}; pass a data file (CSV, TSV, JSON lines, Parquet) or REV:PATH."
            )
    else:
        from toolkit import compare, git

        # As in git's own `REV:PATH`, the path is relative to the repository's top folder.
        data = compare.read_at(git.find_root(cwd), source.rev, source.path)
    frame = _parse(source, fmt, data, categorical, options)
    if frame.shape[0] == 0:
        raise DataError(f"{source.text} has no data rows (only a header); give a file with data.")
    if frame.shape[1] == 0:
        raise DataError(f"{source.text} has no columns; give a table with a header row.")
    check_shape(source, frame.shape[0], frame.shape[1], options)
    return frame


def check_shape(
    source: Source, rows: int, columns: int, options: DriftOptions, *, more: bool = False
) -> None:
    """More columns than `drift.max_columns`, or more values than `drift.max_cells`: an error.

    `more`: the table has more than `rows` rows (its reading stopped there).
    """
    if columns > options.max_columns:
        raise DataError(
            f"{source.text} has {columns:,} columns, more than the {options.max_columns:,} the toolkit "
            "compares; check that it is the table you meant, or raise `drift.max_columns` in "
            "toolkit.yaml."
        )
    if rows * columns > options.max_cells:
        shape = (
            f"more than {rows - 1:,} rows of {columns:,} columns"
            if more
            else f"{rows:,} rows of {columns:,} columns ({rows * columns:,} values)"
        )
        raise DataError(
            f"{source.text} has {shape}, over the {options.max_cells:,} values (rows x columns) the "
            "toolkit loads; compare a sample of the rows, or raise `drift.max_cells` in toolkit.yaml."
        )


def _rows_allowed(columns: int, options: DriftOptions) -> int:
    return options.max_cells // max(1, columns)


def _long_line(source: Source, line: int) -> DataError:
    return DataError(
        f"{source.text}: line {line:,} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB, the longest "
        "line the toolkit reads; one line holds one row, so check that this is the CSV, TSV or "
        "JSON lines file it is named as."
    )


def _readable(data: Path | bytes) -> Path | io.BytesIO:
    return data if isinstance(data, Path) else io.BytesIO(data)


def _scan_lines(
    source: Source, data: Path | bytes, sep: str | None, options: DriftOptions
) -> tuple[int, bool]:
    """The header's column count, and whether the rows may be more than `drift.max_cells` allows.

    A line over MAX_LINE_BYTES anywhere is an error naming it; so is a header (`sep` given) of more
    columns than `drift.max_columns`. All before pandas parses the file.
    """
    if isinstance(data, bytes):
        return _check_lines(source, data, sep, options)
    with data.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return 0, False
        # Mapped, not read: only the pages around line ends are touched.
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return _check_lines(source, mapped, sep, options)


def _check_lines(
    source: Source, buf: bytes | mmap.mmap, sep: str | None, options: DriftOptions
) -> tuple[int, bool]:
    # Each step jumps to the last line end within MAX_LINE_BYTES + 1 bytes: none means a longer line.
    # A line ends at \n, or at \r alone as pandas also reads it (looked for only where no \n is).
    start, size = 0, len(buf)
    while size - start > MAX_LINE_BYTES:
        stop = start + MAX_LINE_BYTES + 1
        end = buf.rfind(b"\n", start, stop)
        if end < 0:
            end = buf.rfind(b"\r", start, stop)
        if end < 0:
            before = sum(_newlines(buf[i : min(i + _CHUNK, start)]) for i in range(0, start, _CHUNK))
            raise _long_line(source, before + 1)
        start = end + 1
    start = 0
    while sep is not None and start < size:  # the header: the first line not blank, as for pandas
        end = buf.find(b"\n", start, start + MAX_LINE_BYTES + 1)
        end = size if end < 0 else end
        bare = buf.find(b"\r", start, end)
        line = buf[start : end if bare < 0 or bare + 1 == end else bare]
        if line.strip():
            header = line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
            # A quoted field spanning lines is counted short here; read() checks the parsed table.
            columns = _count_fields(header, sep)
            check_shape(source, 0, columns, options)
            allowed = _rows_allowed(columns, options)
            # Rows are at most the line ends (a row takes two bytes or more): counted only when the
            # size allows more rows than the limit, as pandas parses slower when told where to stop.
            return columns, size // 2 > allowed and _line_ends(buf) > allowed
        start = end + 1 if bare < 0 or bare + 1 == end else bare + 1
    return 0, False


def _line_ends(buf: bytes | mmap.mmap) -> int:
    """Line feeds and carriage returns: at least as many as the lines, however they end."""
    import numpy as np

    data = np.frombuffer(buf, dtype=np.uint8)  # a view: nothing copied
    ends = 0
    for i in range(0, len(data), _CHUNK):
        chunk = data[i : i + _CHUNK]
        ends += int(np.count_nonzero(chunk == 10)) + int(np.count_nonzero(chunk == 13))
    del data, chunk  # before the caller closes the mapping
    return ends


def _newlines(chunk: bytes) -> int:
    """The lines ended in `chunk` (by carriage returns in a file that has no line feeds)."""
    return chunk.count(b"\n") or chunk.count(b"\r")


def _count_fields(line: str, sep: str) -> int:
    """The fields of one CSV line; a field may be as long as a line (csv's own cap is 128 KiB)."""
    cap = csv.field_size_limit()
    csv.field_size_limit(max(cap, MAX_LINE_BYTES + 1))
    try:
        return len(next(csv.reader([line], delimiter=sep), []))
    except csv.Error:  # a stray character csv refuses: count the separators instead
        return line.count(sep) + 1
    finally:
        csv.field_size_limit(cap)


def _parse(
    source: Source, fmt: str, data: Path | bytes, categorical: set[str], options: DriftOptions
) -> pd.DataFrame:
    import pandas as pd

    text_dtype = dict.fromkeys(categorical, str)
    try:
        with warnings.catch_warnings():
            # Mixed types within a column are reported by columns.py, with the row.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            if fmt in ("csv", "tsv"):
                sep = "," if fmt == "csv" else "\t"
                columns, may_be_too_long = _scan_lines(source, data, sep, options)
                allowed = _rows_allowed(columns, options)
                frame = pd.read_csv(
                    _readable(data),
                    sep=sep,
                    dtype=text_dtype or None,
                    encoding="utf-8",
                    skipinitialspace=False,
                    nrows=allowed + 1 if may_be_too_long else None,  # one more says there are too many
                )
                if len(frame) > allowed:
                    check_shape(source, len(frame), max(columns, frame.shape[1]), options, more=True)
                return frame
            if fmt == "jsonl":
                return _as_text(_read_jsonl(source, data, categorical, options), categorical)
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise DataError(
                    f"{source.text} is Parquet, which needs pyarrow: `pip install 'mlops-toolkit[parquet]'`, "
                    "or give CSV, TSV or JSON lines."
                ) from None
            # The footer says the shape: a table too wide or too long is refused unread.
            meta = pq.read_metadata(_readable(data))
            check_shape(source, meta.num_rows, meta.num_columns, options)
            return _as_text(pd.read_parquet(_readable(data)), categorical)
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


def _read_jsonl(
    source: Source, data: Path | bytes, categorical: set[str], options: DriftOptions
) -> pd.DataFrame:
    """One row per JSON object, typed the same on every pandas release.

    Numbers written as strings become numbers, as in CSV (not in columns declared categorical);
    dates stay text. `pandas.read_json` guesses dates and types differently across releases, and
    its switches for that are deprecated in pandas 3.1. Lines are bounded before the file is read,
    columns and values as it is, before the table is built.
    """
    import pandas as pd

    _scan_lines(source, data, None, options)  # a line too long is refused, never read
    records: list[dict[str, object]] = []
    keys: set[str] = set()
    allowed = 0
    for number, line in enumerate(_text_lines(source, data), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise _bad_json_line(source, number, exc) from None
        if type(record) is not dict:
            raise DataError(
                f"{source.text} cannot be read as jsonl: line {number:,} is not an object "
                '(`{"column": value, ...}`); write one object per line.'
            )
        if not keys.issuperset(record):  # a new column: the table widens
            keys.update(record)
            check_shape(source, 0, len(keys), options)
            allowed = _rows_allowed(len(keys), options)
        if len(records) == allowed:
            check_shape(source, allowed + 1, len(keys), options, more=True)
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


def _text_lines(source: Source, data: Path | bytes) -> Iterator[str]:
    """The lines of a UTF-8 file, read in blocks of MAX_LINE_BYTES (no line is longer)."""
    if isinstance(data, bytes):
        yield from _decode(source, data, 0).split("\n")
        return
    with data.open("rb") as fh:
        rest, seen = b"", 0
        while chunk := fh.read(MAX_LINE_BYTES):
            block = rest + chunk
            cut = block.rfind(b"\n") + 1  # a \n byte is never inside a UTF-8 character
            rest = block[cut:]
            yield from _decode(source, block[:cut], seen).split("\n")[:-1]
            seen += block.count(b"\n", 0, cut)
        if rest:
            yield _decode(source, rest, seen)


def _decode(source: Source, data: bytes, lines_before: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = lines_before + data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{source.text} is not UTF-8 text (line {line:,}); save it as UTF-8 and retry."
        ) from None


def _bad_json_line(source: Source, number: int, exc: ValueError | RecursionError) -> DataError:
    """The error for a line of a JSON-lines file that json cannot read."""
    where = f"{source.text} cannot be read as jsonl: line {number:,}"
    if isinstance(exc, json.JSONDecodeError):
        return DataError(f"{where} is not JSON ({exc.msg}); fix that line.")
    if isinstance(exc, RecursionError):
        return DataError(
            f"{where} nests arrays or objects deeper than the JSON reader goes (about "
            f"{sys.getrecursionlimit():,} levels); a row holds plain values."
        )
    # e.g. an integer of more digits than Python converts
    return DataError(f"{where} cannot be read ({str(exc).splitlines()[0]}); fix that line.")


def _as_text(frame: pd.DataFrame, categorical: set[str]) -> pd.DataFrame:
    """The columns declared categorical as text (missing values stay missing)."""
    for name in categorical & {str(c) for c in frame.columns}:
        frame[name] = frame[name].astype("string").astype(object)
    return frame
