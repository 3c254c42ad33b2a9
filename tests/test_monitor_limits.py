"""Hostile tables for `toolkit drift` and `toolkit monitor`: too wide, too long, a line too long,
JSON nested too deep. Each is refused with exit 1 naming the file, the limit and the setting that
raises it, before pandas parses it and without reading the file whole; normal tables still pass."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.drift_data import table
from toolkit.cli import cli
from toolkit.config import MAX_CELLS, MAX_COLUMNS

MiB = 1024 * 1024
#: Generous: the refusals take well under a second; a slow shared machine must not fail them.
SECONDS = 20


@pytest.fixture(autouse=True)
def _in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


def drift(ref: str, cur: str, *args: str) -> Result:
    """`toolkit drift` in the test's folder; never a traceback or "this is a bug"."""
    result = CliRunner().invoke(cli, ["drift", "--reference", ref, "--current", cur, *args])
    assert "Traceback" not in result.output and "bug" not in result.output, result.output
    return result


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files handed to pandas' parsers: a table refused by its shape never gets there."""
    import pandas as pd

    calls: list[str] = []
    for name in ("read_csv", "read_parquet"):
        real = getattr(pd, name)

        def spy(data: object, *args: object, _real: object = real, **kwargs: object) -> object:
            calls.append(os.path.basename(str(getattr(data, "name", data))))
            return _real(data, *args, **kwargs)

        monkeypatch.setattr(pd, name, spy)
    return calls


def bytes_read() -> int:
    """Bytes this process has read through read() calls so far (Linux's /proc/self/io rchar)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("/proc/self/io has no rchar line")


def sparse_line(path: Path, head: bytes, size: int, tail: bytes = b"") -> None:
    """`head`, then NUL bytes up to `size` (a hole, written in no time: one long line), then `tail`."""
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)
        fh.seek(0, os.SEEK_END)
        fh.write(tail)


OK_CSV = "a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(40))
OK_JSONL = "".join(json.dumps({"a": i, "b": i % 3}) + "\n" for i in range(40))


# -- columns ----------------------------------------------------------------------------------------


def _wide_csv(path: Path, columns: int, sep: str = ",") -> None:
    header = sep.join(f"c{i}" for i in range(columns))
    row = sep.join(str(i % 7) for i in range(columns))
    path.write_text(header + "\n" + row + "\n" + row + "\n")


@pytest.mark.parametrize(
    ("name", "side"),
    [("wide.csv", "current"), ("wide.tsv", "current"), ("wide.csv", "reference")],
)
def test_two_hundred_thousand_columns_are_refused_before_parsing(
    tmp_path: Path, parsed: list[str], name: str, side: str
) -> None:
    _wide_csv(tmp_path / name, 200_000, "\t" if name.endswith(".tsv") else ",")
    assert (tmp_path / name).stat().st_size > 2 * MiB
    (tmp_path / "ok.csv").write_text(OK_CSV)
    ref, cur = ("ok.csv", name) if side == "current" else (name, "ok.csv")
    start = time.perf_counter()
    result = drift(ref, cur)
    assert time.perf_counter() - start < SECONDS
    assert result.exit_code == 1, result.output
    assert f"{name} has 200,000 columns, more than the {MAX_COLUMNS:,}" in result.output
    assert "`drift.max_columns` in toolkit.yaml" in result.output
    assert name not in parsed  # refused from its header line, never parsed
    assert len(result.output) < 1000  # one message, not a listing of the columns


@pytest.mark.parametrize("layout", ["one line", "a key per line"])
def test_json_lines_with_too_many_keys_are_refused_as_they_are_read(tmp_path: Path, layout: str) -> None:
    (tmp_path / "ok.jsonl").write_text(OK_JSONL)
    if layout == "one line":
        lines = [json.dumps({f"c{i}": 1 for i in range(200_000)})]
    else:  # every row brings a new key: the table would be rows x keys, mostly empty
        lines = [json.dumps({"a": i, "b": 1, f"k{i}": 1}) for i in range(20_000)]
    (tmp_path / "wide.jsonl").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    result = drift("ok.jsonl", "wide.jsonl")
    assert time.perf_counter() - start < SECONDS
    assert result.exit_code == 1, result.output
    assert "wide.jsonl has" in result.output and f"columns, more than the {MAX_COLUMNS:,}" in result.output
    assert "`drift.max_columns`" in result.output


def test_a_parquet_file_too_wide_is_refused_from_its_footer(tmp_path: Path, parsed: list[str]) -> None:
    pa = pytest.importorskip("pyarrow")  # the parquet extra; test_monitor_deps checks it is installed
    import pyarrow.parquet as pq

    one = pa.array([1.0, 2.0])
    pq.write_table(pa.table({f"c{i}": one for i in range(MAX_COLUMNS + 1)}), tmp_path / "wide.parquet")
    (tmp_path / "ok.csv").write_text(OK_CSV)
    result = drift("ok.csv", "wide.parquet")
    assert result.exit_code == 1, result.output
    assert f"wide.parquet has {MAX_COLUMNS + 1:,} columns, more than the {MAX_COLUMNS:,}" in result.output
    assert "`drift.max_columns`" in result.output
    assert "wide.parquet" not in parsed


def test_the_column_limit_is_a_setting_and_its_fix_works(tmp_path: Path) -> None:
    table(300, "none", 5).to_csv(tmp_path / "ref.csv", index=False)  # seven columns
    table(300, "mean", 6).to_csv(tmp_path / "cur.csv", index=False)
    (tmp_path / "toolkit.yaml").write_text("drift:\n  max_columns: 6\n")
    result = drift("ref.csv", "cur.csv")
    assert result.exit_code == 1
    assert "ref.csv has 7 columns, more than the 6 the toolkit compares" in result.output
    assert "raise `drift.max_columns` in toolkit.yaml" in result.output
    (tmp_path / "toolkit.yaml").write_text("drift:\n  max_columns: 7\n")
    result = drift("ref.csv", "cur.csv", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["columns"]) == 7


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("max_columns: 0", "`drift.max_columns` must be a whole number of at least 1 (default 5,000)"),
        ("max_cells: -5", "`drift.max_cells` must be a whole number of at least 1 (default 100,000,000)"),
        ("max_cells: 2.5", "`drift.max_cells` must be a whole number"),
        ("max_columns: lots", "`drift.max_columns` must be a whole number"),
        ("max_columns: true", "`drift.max_columns` must be a whole number"),
        ("max_colums: 10", "did you mean `drift.max_columns`?"),
        ("max_cell: 10", "did you mean `drift.max_cells`?"),
    ],
)
def test_the_limits_in_toolkit_yaml_are_checked(tmp_path: Path, setting: str, says: str) -> None:
    (tmp_path / "ok.csv").write_text(OK_CSV)
    (tmp_path / "toolkit.yaml").write_text(f"drift:\n  {setting}\n")
    result = drift("ok.csv", "ok.csv")
    assert result.exit_code == 1 and "toolkit.yaml" in result.output
    assert says in result.output


def test_a_limit_written_as_a_float_is_a_whole_number(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text(OK_CSV)
    (tmp_path / "toolkit.yaml").write_text("drift:\n  max_cells: 1e9\n  max_columns: 2.0\n")
    assert drift("ok.csv", "ok.csv").exit_code == 0


# -- values (rows x columns) ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_more_values_than_max_cells_are_refused_and_the_limit_is_a_setting(
    tmp_path: Path, parsed: list[str], fmt: str
) -> None:
    frame = table(300, "none", 5)  # 300 rows x 7 columns = 2,100 values
    path = tmp_path / f"cur.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    table(200, "none", 6).to_csv(tmp_path / "ref.csv", index=False)  # 1,400 values
    (tmp_path / "toolkit.yaml").write_text("drift:\n  max_cells: 2000\n")
    result = drift("ref.csv", path.name)
    assert result.exit_code == 1, result.output
    assert f"{path.name} has" in result.output and "rows of 7 columns" in result.output
    assert "over the 2,000 values (rows x columns) the toolkit loads" in result.output
    assert "raise `drift.max_cells` in toolkit.yaml" in result.output
    if fmt == "parquet":
        assert "300 rows of 7 columns (2,100 values)" in result.output
        assert path.name not in parsed  # the footer says the shape
    else:  # reading stopped one row past the limit: 2,000 // 7 = 285 rows are allowed
        assert "more than 285 rows of 7 columns" in result.output
    (tmp_path / "toolkit.yaml").write_text("drift:\n  max_cells: 2100\n")
    result = drift("ref.csv", path.name)
    assert result.exit_code == 0, result.output


def test_a_tiny_parquet_file_of_a_hundred_million_values_is_refused_unread(
    tmp_path: Path, parsed: list[str]
) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    # Run-length encoding: 101,000,000 missing values take a few hundred KB on disk.
    chunk = pa.table({"a": pa.nulls(1_000_000, pa.float64())})
    with pq.ParquetWriter(tmp_path / "bomb.parquet", chunk.schema) as writer:
        for _ in range(MAX_CELLS // 1_000_000 + 1):
            writer.write_table(chunk)
    assert (tmp_path / "bomb.parquet").stat().st_size < 4 * MiB
    (tmp_path / "ok.csv").write_text("a\n" + "".join(f"{i}\n" for i in range(40)))
    before = bytes_read()
    result = drift("ok.csv", "bomb.parquet")
    assert bytes_read() - before < 16 * MiB
    assert result.exit_code == 1, result.output
    assert f"bomb.parquet has 101,000,000 rows of 1 columns (101,000,000 values), over the {MAX_CELLS:,}" in (
        result.output
    )
    assert "bomb.parquet" not in parsed


# -- a line too long --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "tail", "line"),
    [
        ("long.csv", b"a,b\n1,", b"", 2),  # one 500 MiB line after the header
        ("long.csv", b"a,", b"\n1,2\n", 1),  # the header itself
        ("long.tsv", b"a\tb\n1\t2\n3\t\"", b'"\n5\t6\n', 3),  # a field in the middle of the file
        ("long.jsonl", b'{"a": 1, "b": 2}\n{"a": "', b'"}\n', 2),
    ],
)
def test_a_500_mib_line_is_refused_without_reading_it(
    tmp_path: Path, parsed: list[str], name: str, head: bytes, tail: bytes, line: int
) -> None:
    sparse_line(tmp_path / name, head, 500 * MiB, tail)
    (tmp_path / "ok.csv").write_text(OK_CSV)
    (tmp_path / "ok.jsonl").write_text(OK_JSONL)
    ok = "ok.jsonl" if name.endswith(".jsonl") else "ok.csv"
    before = bytes_read()
    start = time.perf_counter()
    result = drift(ok, name)
    assert time.perf_counter() - start < SECONDS
    assert bytes_read() - before < 64 * MiB  # at most one line's limit of it, never 500 MiB
    assert result.exit_code == 1, result.output
    assert f"{name}: line {line} is longer than 16 MiB, the longest line the toolkit reads" in result.output
    assert name not in parsed


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_lines_up_to_the_limit_are_read_whatever_ends_them(tmp_path: Path, end: str) -> None:
    # Two rows holding a 15 MiB text each: long, but within the limit.
    big = "x" * (15 * MiB)
    rows = "".join(f"{i},{big if i < 2 else 'y'}{end}" for i in range(30))
    (tmp_path / "ref.csv").write_bytes(f"a,t{end}{rows}".encode())
    result = drift("ref.csv", "ref.csv", "--json")
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["columns"]) == {"a", "t"}


# -- JSON nesting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [5_000, 2_000_000])
def test_deeply_nested_json_is_named_not_a_crash(tmp_path: Path, depth: int) -> None:
    (tmp_path / "ok.jsonl").write_text(OK_JSONL)
    nested = "[" * depth + "]" * depth
    two = "".join(OK_JSONL.splitlines(keepends=True)[:2])
    (tmp_path / "deep.jsonl").write_text(two + '{"a": 1, "b": ' + nested + "}\n")
    result = drift("ok.jsonl", "deep.jsonl")
    assert result.exit_code == 1, result.output
    assert "deep.jsonl cannot be read as jsonl: line 3 nests arrays or objects deeper than" in result.output
    assert "a row holds plain values" in result.output


# -- files that are no files ------------------------------------------------------------------------


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "ok.csv").write_text(OK_CSV)
    result = drift("ok.csv", "pipe.csv")  # opening a FIFO for reading would block forever
    assert result.exit_code == 1
    assert "pipe.csv is not a regular file (a device, FIFO or socket)" in result.output


# -- names as long as a line may be -----------------------------------------------------------------


def test_a_huge_column_name_is_clipped_in_messages_and_tables(tmp_path: Path) -> None:
    huge = "n" * (4 * MiB)
    (tmp_path / "ref.csv").write_text(f"a,{huge}\n" + "".join(f"{i},{i % 3}\n" for i in range(40)))
    (tmp_path / "cur.csv").write_text(OK_CSV)
    result = drift("ref.csv", "cur.csv")  # the long column is missing from the current side
    assert result.exit_code == 1
    assert "is in the reference ref.csv but not in the current cur.csv" in result.output
    assert "nnnnnnn…`" in result.output and len(result.output) < 1000
    result = drift("ref.csv", "ref.csv")
    assert result.exit_code == 0, result.output
    assert len(result.stdout) < 2000  # every row of the terminal table is as wide as the longest name
