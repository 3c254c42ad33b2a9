"""`toolkit drift` end to end: formats, --json shape, --fail-on-drift, REV:PATH, and bad data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.drift_data import CASES, table
from tests.gitrepo import commit_all, git, make_repo, write_files
from tests.report_mermaid import check_xychart, mermaid_blocks
from toolkit.cli import cli
from toolkit.monitor import render

KEYS = {"type", "test", "score", "threshold", "drift", "psi"}
# A deprecation of pandas (or numpy) is an error: the toolkit runs on the release a user gets.
pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning", "error::FutureWarning")


def drift(cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(cli, ["drift", *args])


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    table(600, "none", 5).to_csv(tmp_path / "ref.csv", index=False)
    table(637, "mean", 6).to_csv(tmp_path / "cur.csv", index=False)
    table(637, "none", 6).to_csv(tmp_path / "same.csv", index=False)
    return tmp_path


def test_json_has_the_documented_shape(tables: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = drift(
        tables, "--reference", "ref.csv", "--current", "cur.csv", "--json", monkeypatch=monkeypatch
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"dataset_drift", "share", "columns"}
    assert data["dataset_drift"] is False and data["share"] == pytest.approx(1 / 7)
    assert list(data["columns"]) == ["income", "score", "age", "city", "churned", "plan", "active"]
    for entry in data["columns"].values():
        assert set(entry) == KEYS
        assert entry["type"] in ("numerical", "categorical")
    assert data["columns"]["income"]["test"] == "ks" and data["columns"]["income"]["drift"] is True
    assert data["columns"]["city"]["type"] == "categorical"


def test_fail_on_drift_exits_3_only_on_dataset_drift(tables: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = table(637, "category", 6)
    frame["income"] += 30_000
    frame["score"] *= 3
    frame["age"] += 10
    frame.to_csv(tables / "bad.csv", index=False)
    args = ["--reference", "ref.csv", "--fail-on-drift"]
    assert drift(tables, *args, "--current", "bad.csv", monkeypatch=monkeypatch).exit_code == 3
    assert drift(tables, *args, "--current", "same.csv", monkeypatch=monkeypatch).exit_code == 0
    assert (
        drift(tables, "--reference", "ref.csv", "--current", "bad.csv", monkeypatch=monkeypatch).exit_code
        == 0
    )


def test_markdown_puts_drifted_columns_first_with_a_chart(
    tables: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = drift(tables, "--reference", "ref.csv", "--current", "cur.csv", "--md", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert "No dataset drift: 1 of 7 columns drifted" in md
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert rows[0].startswith("| `income`") and "**drift**" in rows[0]
    [block] = mermaid_blocks(md)
    reference, current = check_xychart(block)
    assert sum(reference) == pytest.approx(1, abs=0.01) and sum(current) == pytest.approx(1, abs=0.01)
    assert sum(current[len(current) // 2 :]) > sum(reference[len(reference) // 2 :])  # income moved up


def test_untrusted_names_and_values_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = "<img src=x>@admin`|"
    (tmp_path / "ref.csv").write_text(f'"{evil}",n\n' + "".join(f"a,{i}\n" for i in range(50)))
    (tmp_path / "cur.csv").write_text(f'"{evil}",n\n' + "".join(f"[x](http://e),{i}\n" for i in range(50)))
    result = drift(
        tmp_path, "--reference", "ref.csv", "--current", "cur.csv", "--md", monkeypatch=monkeypatch
    )
    assert result.exit_code == 0, result.output
    text, mermaid = result.stdout.split("```mermaid", 1)
    mermaid, after = mermaid.split("```", 1)
    for block in mermaid_blocks(result.stdout):
        check_xychart(block)
    assert "<img" not in result.stdout and "[x](http" not in text + after
    assert "&lt;img" in text and "@admin" not in text + after
    assert "<" not in mermaid.replace("-->", "") and "`" not in mermaid


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "parquet"])
def test_other_formats_give_the_same_answer(tables: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    for name in ("ref", "cur"):
        frame = table(600, "none", 5) if name == "ref" else table(637, "mean", 6)
        path = tables / f"{name}.{fmt}"
        if fmt == "tsv":
            frame.to_csv(path, sep="\t", index=False)
        elif fmt == "jsonl":
            frame.to_json(path, orient="records", lines=True)
        else:
            frame.to_parquet(path)
    base = json.loads(
        drift(
            tables, "--reference", "ref.csv", "--current", "cur.csv", "--json", monkeypatch=monkeypatch
        ).stdout
    )
    result = drift(
        tables, "--reference", f"ref.{fmt}", "--current", f"cur.{fmt}", "--json", monkeypatch=monkeypatch
    )
    assert result.exit_code == 0, result.output
    other = json.loads(result.stdout)
    assert {k: v["drift"] for k, v in other["columns"].items()} == {
        k: v["drift"] for k, v in base["columns"].items()
    }
    for name, entry in other["columns"].items():
        assert entry["score"] == pytest.approx(base["columns"][name]["score"], abs=1e-9)


def test_rev_path_reads_git_objects_and_the_dvc_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "x\n"})
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    table(600, "none", 5).to_csv(repo / "train.csv", index=False)
    table(600, "none", 5).to_csv(repo / "plain.csv", index=False)
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "train.csv"], cwd=repo, check=True)
    commit_all(repo, "data")
    # The workspace moves on: the old versions are only in git objects and the DVC cache.
    table(600, "mean", 6).to_csv(repo / "train.csv", index=False)
    (repo / "plain.csv").unlink()
    table(637, "mean", 6).to_csv(repo / "cur.csv", index=False)
    for ref in ("HEAD:train.csv", "main:plain.csv"):
        result = drift(repo, "--reference", ref, "--current", "cur.csv", "--json", monkeypatch=monkeypatch)
        assert result.exit_code == 0, result.output
        assert [k for k, v in json.loads(result.stdout)["columns"].items() if v["drift"]] == ["income"]
    # Without the cache the file cannot be read: say so, with the fix.
    git(repo, "rev-parse", "HEAD")
    subprocess.run(["rm", "-rf", str(repo / ".dvc" / "cache")], check=True)
    result = drift(repo, "--reference", "HEAD:train.csv", "--current", "cur.csv", monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "dvc pull" in result.output
    result = drift(repo, "--reference", "HEAD:nope.csv", "--current", "cur.csv", monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "nope.csv is not in HEAD" in result.output
    result = drift(
        repo, "--reference", "nosuchrev:train.csv", "--current", "cur.csv", monkeypatch=monkeypatch
    )
    assert result.exit_code == 1 and "nosuchrev" in result.output


def test_settings_come_from_toolkit_yaml(tables: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(tables)
    write_files(tables, {"toolkit.yaml": "drift:\n  share: 0.1\n  columns:\n    plan: categorical\n"})
    result = drift(
        tables, "--reference", "ref.csv", "--current", "cur.csv", "--json", monkeypatch=monkeypatch
    )
    data = json.loads(result.stdout)
    assert data["dataset_drift"] is True
    assert data["columns"]["plan"]["type"] == "categorical"
    write_files(tables, {"toolkit.yaml": "drift:\n  columns:\n    plan: {test: magic}\n"})
    result = drift(tables, "--reference", "ref.csv", "--current", "cur.csv", monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "toolkit.yaml" in result.output and "magic" in result.output


# -- bad data: exit 1, naming the file, the column and the row --------------------------------------


def _bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ref: str, cur: str, name: str = "cur.csv") -> str:
    (tmp_path / "ref.csv").write_text(ref)
    (tmp_path / name).write_text(cur)
    result = drift(tmp_path, "--reference", "ref.csv", "--current", name, monkeypatch=monkeypatch)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "bug" not in result.output
    return result.output


GOOD = "a,b\n" + "".join(f"{i},x\n" for i in range(20))


def test_a_column_missing_on_one_side_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _bad(tmp_path, monkeypatch, GOOD, "a\n" + "".join(f"{i}\n" for i in range(20)))
    assert "column `b` is in the reference ref.csv but not in the current cur.csv" in out
    out = _bad(tmp_path, monkeypatch, GOOD, "a,b,c\n1,x,2\n")
    assert "column `c` is in the current cur.csv but not in the reference ref.csv" in out
    # The fix the message gives works.
    make_repo(tmp_path, {"toolkit.yaml": "drift:\n  columns:\n    c: {ignore: true}\n"})
    result = drift(tmp_path, "--reference", "ref.csv", "--current", "cur.csv", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output


def test_mixed_types_name_the_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [f"{i},x\n" for i in range(20)]
    rows[12] = "oops,x\n"
    out = _bad(tmp_path, monkeypatch, GOOD, "a,b\n" + "".join(rows))
    assert "column `a` of cur.csv mixes numbers and text: row 13 (line 14) holds `oops`" in out


def test_numbers_on_one_side_text_on_the_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _bad(tmp_path, monkeypatch, GOOD, "a,b\n" + "".join(f"v{i},x\n" for i in range(20)))
    assert "column `a` holds numbers in ref.csv but text in cur.csv" in out


def test_empty_header_only_and_unparsable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "cur.csv is empty" in _bad(tmp_path, monkeypatch, GOOD, "")
    assert "cur.csv has no data rows" in _bad(tmp_path, monkeypatch, GOOD, "a,b\n")
    out = _bad(tmp_path, monkeypatch, GOOD, "a,b\n1,x\n2,y,3,4\n")
    assert "cur.csv cannot be parsed" in out and "line 3" in out
    assert "cur.jsonl cannot be read as jsonl" in _bad(
        tmp_path, monkeypatch, GOOD, "{not json\n", "cur.jsonl"
    )
    assert "cannot tell the format" in _bad(tmp_path, monkeypatch, GOOD, "x", "cur.xlsx")
    (tmp_path / "bin.csv").write_bytes(b"a,b\n\xff\xfe,1\n")
    result = drift(tmp_path, "--reference", "ref.csv", "--current", "bin.csv", monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "not UTF-8" in result.output
    result = drift(tmp_path, "--reference", "ref.csv", "--current", "missing.csv", monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "missing.csv does not exist" in result.output


def test_all_missing_and_constant_columns_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ref.csv").write_text("a,b,c\n" + "".join(f"{i},,5\n" for i in range(30)))
    (tmp_path / "cur.csv").write_text("a,b,c\n" + "".join(f"{i},,5\n" for i in range(30)))
    result = drift(
        tmp_path, "--reference", "ref.csv", "--current", "cur.csv", "--json", monkeypatch=monkeypatch
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["columns"]["b"] == {k: (False if k == "drift" else data["columns"]["b"][k]) for k in KEYS}
    assert data["columns"]["b"]["test"] is None and data["columns"]["b"]["score"] is None
    assert data["columns"]["c"]["score"] == 1.0
    assert "column 'b': every value is missing in the reference data; not tested" in result.stderr


def test_target_may_be_missing_from_the_current_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ref.csv").write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(30)))
    (tmp_path / "cur.csv").write_text("a\n" + "".join(f"{i}\n" for i in range(30)))
    args = ["--reference", "ref.csv", "--current", "cur.csv", "--json"]
    result = drift(tmp_path, *args, "--target", "y", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)["columns"]) == ["a"]
    result = drift(tmp_path, *args, "--target", "label", monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "target column `label` is not in the reference ref.csv" in result.output
    assert "did you mean" not in result.output


@pytest.mark.parametrize(("typo", "column"), [("malignat", "malignant"), ("Malignant", "malignant"),
                                              ("label", "Label")])
def test_a_mistyped_target_gets_a_did_you_mean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typo: str, column: str
) -> None:
    columns = ["a", "b", "c", "d", "e", "f", column]  # the column is past the ones the error lists
    rows = "".join(",".join(str(i + j) for j in range(len(columns))) + "\n" for i in range(30))
    for name in ("ref.csv", "cur.csv"):
        (tmp_path / name).write_text(",".join(columns) + "\n" + rows)
    args = ["--reference", "ref.csv", "--current", "cur.csv", "--target", typo]
    result = drift(tmp_path, *args, monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert f"target column `{typo}` is not in the reference ref.csv; did you mean `{column}`?" in said
    assert "`monitor.target` in toolkit.yaml, or --target" in said


def test_rev_path_inside_a_dvc_tracked_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "x\n"})
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    (repo / "data").mkdir()
    table(600, "none", 5).to_csv(repo / "data" / "train.csv", index=False)
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "data"], cwd=repo, check=True)
    commit_all(repo, "data folder")
    table(637, "none", 6).to_csv(repo / "cur.csv", index=False)
    ok = drift(repo, "--reference", "HEAD:data/train.csv", "--current", "cur.csv", monkeypatch=monkeypatch)
    assert ok.exit_code == 0, ok.output
    wrong = drift(repo, "--reference", "HEAD:data/nope.csv", "--current", "cur.csv", monkeypatch=monkeypatch)
    assert wrong.exit_code == 1 and "DVC-tracked folder data has no such file" in wrong.output


def test_nested_json_values_are_named_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ref.jsonl").write_text("".join(f'{{"a": {i}, "tags": ["x", "y"]}}\n' for i in range(20)))
    (tmp_path / "cur.jsonl").write_text("".join(f'{{"a": {i}, "tags": ["x"]}}\n' for i in range(20)))
    result = drift(tmp_path, "--reference", "ref.jsonl", "--current", "cur.jsonl", monkeypatch=monkeypatch)
    assert result.exit_code == 1, result.output
    assert "column `tags`" in result.output and "neither numbers nor text" in result.output


def test_in_actions_no_line_of_the_data_runs_as_a_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = '"x\n::error::pwned"'
    (tmp_path / "ref.csv").write_text(f"{name},n\n" + "".join(f"a,{i}\n" for i in range(20)))
    (tmp_path / "cur.csv").write_text(f"{name},n\n" + "".join(f"b,{i}\n" for i in range(20)))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["drift", "--reference", "ref.csv", "--current", "cur.csv"], env={"GITHUB_ACTIONS": "true"}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].split("::")[2]
    assert lines[-1] == f"::{token}::"
    assert any(line.startswith("::error::pwned") for line in lines)  # inert between the markers


def test_the_charts_show_the_most_shifted_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES["wide-600"]  # 12 of 20 columns drift; the last ones in the file moved the most
    case.reference().to_csv(tmp_path / "ref.csv", index=False)
    case.current().to_csv(tmp_path / "cur.csv", index=False)
    args = ["--reference", "ref.csv", "--current", "cur.csv"]
    columns = json.loads(drift(tmp_path, *args, "--json", monkeypatch=monkeypatch).stdout)["columns"]
    drifted = [name for name, c in columns.items() if c["drift"]]
    by_psi = sorted(drifted, key=lambda name: -columns[name]["psi"])
    assert len(drifted) > render.MAX_CHARTS and by_psi[:2] == ["c19", "c17"]

    md = drift(tmp_path, *args, "--md", monkeypatch=monkeypatch).stdout
    drawn = re.findall(r"^#### `(\w+)`$", md, flags=re.MULTILINE)
    assert drawn == by_psi[: render.MAX_CHARTS]  # the worst, worst first
    assert len(mermaid_blocks(md)) == render.MAX_CHARTS
    assert f"{len(drifted) - render.MAX_CHARTS} more drifted columns are in the table" in md
    # The table lists the drifted columns in the same order, then the others in file order.
    rows = [line.split("`")[1] for line in md.splitlines() if line.startswith("| `")]
    assert rows == by_psi + [name for name in columns if name not in drifted]
    text = drift(tmp_path, *args, monkeypatch=monkeypatch).stdout.splitlines()
    assert [line.split()[0] for line in text if "DRIFT" in line.split()] == by_psi


# Runs `toolkit drift` in a fresh interpreter where pyarrow cannot be imported, as on an install
# without the `parquet` extra (pyarrow is in the test extra, so it is present here otherwise).
NO_PYARROW = """
import sys

class NoPyarrow:
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPyarrow())
for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
    del sys.modules[name]
from toolkit.cli import main
sys.argv = ["toolkit", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("side", ["reference", "current"])
def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, side: str) -> None:
    table(50, "none", 1).to_parquet(tmp_path / "data.parquet")
    table(50, "none", 2).to_csv(tmp_path / "data.csv", index=False)
    files = {"reference": "data.csv", "current": "data.csv", side: "data.parquet"}
    args = ["drift", "--reference", files["reference"], "--current", files["current"]]
    result = subprocess.run(
        [sys.executable, "-c", NO_PYARROW, *args], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "data.parquet" in result.stderr and "pip install 'mlops-toolkit[parquet]'" in result.stderr
    # The blocker is what failed: with pyarrow importable the same files compare.
    ok = subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr


def test_json_lines_are_typed_as_json_says_on_any_pandas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rows(offset: int) -> str:
        return "".join(
            json.dumps(
                {
                    "created_at": 1_700_000_000 + i,  # a name pandas would read as a date
                    "date": f"2024-01-{i % 28 + 1:02d}",
                    "zip": f"{i % 7 + offset:05d}",  # declared categorical: stays text, zeros kept
                    "amount": str(i * 1.5),  # a number written as a string: a number, as in CSV
                    "flag": [True, False, None][i % 3],
                    "n": None if i % 5 == 0 else i,
                }
            )
            + "\n"
            for i in range(60)
        )

    (tmp_path / "ref.jsonl").write_text(rows(0) + "\n")  # a trailing blank line is no row
    (tmp_path / "cur.jsonl").write_text(rows(3))
    make_repo(tmp_path, {"toolkit.yaml": "drift:\n  columns:\n    zip: categorical\n"})
    args = ["--reference", "ref.jsonl", "--current", "cur.jsonl"]
    result = drift(tmp_path, *args, "--json", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    columns = json.loads(result.stdout)["columns"]
    assert {name: c["type"] for name, c in columns.items()} == {
        "created_at": "numerical",
        "date": "categorical",
        "zip": "categorical",
        "amount": "numerical",
        "flag": "categorical",
        "n": "numerical",
    }
    assert columns["created_at"]["test"] == "ks" and columns["amount"]["score"] == 1.0
    assert columns["zip"]["drift"] is True  # 00003..00009 against 00000..00006
    md = drift(tmp_path, *args, "--md", monkeypatch=monkeypatch).stdout
    assert "00009" in md and "00000" in md  # the chart's categories keep their zeros


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{not json", "line 3 is not JSON"),
        ("[1, 2]", "line 3 is not an object"),
        ('"text"', "line 3 is not an object"),
    ],
)
def test_a_bad_json_line_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, says: str
) -> None:
    good = "".join(f'{{"a": {i}}}\n' for i in range(2))
    (tmp_path / "ref.jsonl").write_text(good)
    (tmp_path / "cur.jsonl").write_text(good + line + "\n")
    result = drift(tmp_path, "--reference", "ref.jsonl", "--current", "cur.jsonl", monkeypatch=monkeypatch)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"cur.jsonl cannot be read as jsonl: {says}" in result.output
