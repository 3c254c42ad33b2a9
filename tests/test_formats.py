"""toolkit.formats: JSON (NaN/Infinity), YAML with DVC's YAML 1.2 rules, TOML, CSV/TSV plot rows."""

from __future__ import annotations

import datetime
import math
import random

import pytest

from toolkit import formats
from toolkit.errors import MetricsFileError

SCALARS = [
    "1e-3",
    "1.0e-3",
    "-1e-3",
    "12e03",
    "1E3",
    "1e+3",
    "+.5",
    ".5",
    "5.",
    "0.",
    "007.5",
    "010",
    "09",
    "0o10",
    "0o_7",
    "0x1F",
    "0x_1",
    "0b11",
    "-0b1",
    "1_000",
    "+12",
    "-0",
    "1:30",
    "yes",
    "no",
    "on",
    "Off",
    "y",
    "n",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "~",
    "null",
    "Null",
    "NULL",
    ".inf",
    "-.Inf",
    "+.inf",
    ".nan",
    ".NaN",
    ".NAN",
    "2020-01-01",
    "1.2.3",
    '"1"',
    "!!str 5",
    "!!float 1",
    "0.1e-2",
    "-.5e+3",
    "+.5e3",
    "abc",
]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("scalar", SCALARS)
def test_yaml_scalars_like_dvc_ruamel(scalar: str) -> None:
    """DVC reads YAML with ruamel.yaml (YAML 1.2); our fast PyYAML loader must agree."""
    from ruamel.yaml import YAML

    theirs = YAML(typ="safe").load(f"v: {scalar}\n")["v"]
    ours = formats.parse_yaml(f"v: {scalar}\n", "p.yaml", "main")["v"]
    assert _same(ours, theirs), (scalar, ours, theirs)


def test_yaml_nested_and_merge_keys() -> None:
    text = "base: &b {x: 1}\nd:\n  <<: *b\n  y: [1, 2]\n"
    assert formats.parse_yaml(text, "p.yaml", "main") == {"base": {"x": 1}, "d": {"x": 1, "y": [1, 2]}}


def test_yaml_duplicate_key_is_an_error() -> None:
    with pytest.raises(MetricsFileError, match=r"p\.yaml at main .*duplicate key 'a'.*line 2"):
        formats.parse_yaml("a: 1\na: 2\n", "p.yaml", "main")


@pytest.mark.parametrize(
    ("path", "data", "expected"),
    [
        ("m.json", b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1}', None),
        ("m.yaml", b"a: .nan\nb: .inf\nc: -.inf\nd: 1\n", None),
        ("m.yml", b"a: .nan\nb: .inf\nc: -.inf\nd: 1\n", None),
        ("m.toml", b"a = nan\nb = inf\nc = -inf\nd = 1\n", None),
        ("metrics", b"a: .nan\nb: .inf\nc: -.inf\nd: 1\n", None),  # no extension: YAML, as DVC
    ],
)
def test_non_finite_numbers_parse(path: str, data: bytes, expected: object) -> None:
    value = formats.parse(path, data, "main")
    assert math.isnan(value["a"]) and value["b"] == math.inf and value["c"] == -math.inf
    assert value["d"] == 1


HUGE = "9" * 5000
ONES = "1" * 9000
SPACED = "9_" * 4999 + "9"


@pytest.mark.parametrize(
    ("path", "text", "digits"),
    [
        ("m.json", f'{{"a": 1, "b": -{HUGE}}}', "5,000"),
        ("m.json", f'{{"text": "{ONES}", "b": {HUGE}}}', "5,000"),  # the token, not a string
        ("m.yaml", f"a: 1\nb: {HUGE}\n", "5,000"),
        ("m.yaml", f"a: {{b: [1, +{HUGE}]}}\n", "5,000"),  # the full parser
        ("m.yaml", f"a: '{ONES}'\nb: {HUGE}\n", "5,000"),  # the token itself, not the file
        ("m.toml", f"a = 1\nb = {SPACED}\n", "5,000"),  # TOML underscores are no digits
    ],
)
def test_an_integer_beyond_pythons_digit_limit_is_named_by_its_length(
    path: str, text: str, digits: str
) -> None:
    with pytest.raises(MetricsFileError) as caught:
        formats.parse(path, text.encode(), "main")
    assert f"{path} at main holds an integer of {digits} digits (Python reads no more than 4,300" in (
        caught.value.message
    )


@pytest.mark.parametrize(
    ("path", "text", "digits"),
    [
        ("m.yaml", "a: 0x" + "f" * 4000 + "\n", "4,817"),  # 16**4000: 4,817 decimal digits
        ("m.yaml", "a: {b: [-0o" + "7" * 6000 + "]}\n", "5,419"),  # the full parser
        ("params.yml", "a: 1\nb: 0b" + "1" * 15000 + "\n", "4,516"),
        ("m.toml", "a = 0x" + "f" * 4000 + "\n", "4,817"),
        ("m.toml", "[t]\nx = [1, 0o" + "7" * 6000 + "]\n", "5,419"),  # TOML: no sign
    ],
)
def test_hex_octal_and_binary_integers_beyond_the_digit_limit_are_refused(
    path: str, text: str, digits: str
) -> None:
    """Python reads them without a limit, but could never print them (JSON output, a table)."""
    with pytest.raises(MetricsFileError) as caught:
        formats.parse(path, text.encode(), "main")
    assert f"{path} at main holds an integer of {digits} digits (Python reads no more than 4,300" in (
        caught.value.message
    )


@pytest.mark.parametrize("path", ["m.yaml", "m.toml"])
def test_hex_integers_up_to_the_digit_limit_are_read(path: str) -> None:
    sep = ": " if path.endswith(".yaml") else " = "
    value = formats.parse(path, f"a{sep}0x{'f' * 3500}\n".encode(), "main")["a"]
    assert value == 16**3500 - 1 and len(str(value)) == 4215


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("when: 2021-13-45\n", "ValueError: month must be in 1..12"),  # a date that does not exist
        (f"when: 2021-02-30\nnote: '{ONES}'\n", "ValueError: day is out of range"),
    ],
)
def test_other_values_python_refuses_are_not_called_integers(text: str, needle: str) -> None:
    with pytest.raises(MetricsFileError) as caught:
        formats.parse("p.yaml", text.encode(), "main")
    assert "refuses to read" in caught.value.message and needle in caught.value.message
    assert "digits" not in caught.value.message


def test_utf8_bom_is_accepted() -> None:
    assert formats.parse("m.json", b'\xef\xbb\xbf{"a": 1}', "main") == {"a": 1}


def test_toml_dates() -> None:
    value = formats.parse("p.toml", b"when = 2020-01-02\n[model]\ndepth = 3\n", "main")
    assert value == {"when": datetime.date(2020, 1, 2), "model": {"depth": 3}}


@pytest.mark.parametrize(
    ("path", "data", "needle"),
    [
        ("eval/m.json", b'{"a": 1,}', "eval/m.json at main (abc1234) is not valid JSON"),
        ("eval/m.json", b'{"a": 1', "line 1"),
        ("m.yaml", b"a: [1, 2\n", "m.yaml at main (abc1234) is not valid YAML"),
        ("m.yaml", b"a: 1\n b: 2\n", "line 2"),
        ("m.toml", b"a = \n", "m.toml at main (abc1234) is not valid TOML"),
        ("m.json", b"\xff\xfe{}", "is not UTF-8"),
    ],
)
def test_malformed_files_name_file_and_revision(path: str, data: bytes, needle: str) -> None:
    with pytest.raises(MetricsFileError) as err:
        formats.parse(path, data, "main (abc1234)")
    assert needle in err.value.message
    assert "\n" not in err.value.message


def test_plot_rows_shapes() -> None:
    rows = [{"fpr": 0, "tpr": 0.5}, {"fpr": 1, "tpr": 1}]
    assert formats.parse_rows("r.json", b'[{"fpr": 0, "tpr": 0.5}, {"fpr": 1, "tpr": 1}]', "m") == rows
    assert (
        formats.parse_rows("r.json", b'{"roc": [{"fpr": 0, "tpr": 0.5}, {"fpr": 1, "tpr": 1}]}', "m") == rows
    )
    assert formats.parse_rows("r.yaml", b"- {fpr: 0, tpr: 0.5}\n- {fpr: 1, tpr: 1}\n", "m") == rows
    assert formats.parse_rows("r.csv", b"fpr,tpr\n0,0.5\n1,1\n", "m") == rows
    assert formats.parse_rows("r.tsv", b"fpr\ttpr\n0\t0.5\n1\t1\n", "m") == rows
    assert formats.parse_rows("r.csv", b"name,v\nabc,x\n", "m") == [{"name": "abc", "v": "x"}]
    with pytest.raises(MetricsFileError, match="holds no plot rows"):
        formats.parse_rows("r.json", b'{"a": 1}', "m")


def test_suffix() -> None:
    assert formats.suffix("a/b.JSON") == ".json"
    assert formats.suffix("a.b/c") == ""
    assert formats.suffix(".hidden") == ""


# The fast path for plain YAML must agree with ruamel.yaml (what DVC reads YAML with) on every
# document it accepts; everything else it hands to PyYAML.

_WORDS = [
    "a",
    "lr",
    "yes",
    "no",
    "on",
    "1e-3",
    "010",
    "0o7",
    "true",
    "False",
    "null",
    "~",
    "",
    "x y",
    "a:b",
    "http://h/p",
    "-1",
    "+.5",
    ".inf",
    "-.inf",
    ".nan",
    "1_000",
    "0x1F",
    "2020-01-02",
    "it's",
    'say "hi"',
    "#tag",
    "a #b",
    "- x",
    "x: y",
    "[1]",
    "{a: 1}",
    "*ref",
    "&anc",
    "!tag",
    "|",
    ">",
    "%",
    "@",
    "`",
    "<<",
    "=",
    "1.5",
    "3",
    "1:30",
    "é",
    "tab\there",
    " lead",
    "trail ",
    "multi\nline",
    "back\\slash",
    "0",
    "-0",
    "1e5",
    "12e03",
    "-",
    "?",
    ":",
    ",",
    "a,b",
    "[",
    "}",
]


def _random_value(rng: random.Random, depth: int = 0) -> object:
    r = rng.random()
    if depth > 3 or r < 0.3:
        if rng.random() < 0.6:
            return rng.choice(_WORDS)
        if rng.random() < 0.5:
            return rng.choice([0.1, 1, -3, 1e-7, 2.5e10, True, False, None, math.inf, 10**20])
        return "".join(rng.choice("abc:-# '\"x1.[]{},_") for _ in range(rng.randint(1, 6)))
    if r < 0.65:
        keys = ["a", "b", "stages", "outs", "md5", "1", "true", "on", "x y", "k:v"]
        return {
            rng.choice(keys) + str(rng.randint(0, 3)): _random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 4))
        }
    return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _documents() -> list[str]:
    import io

    import yaml
    from ruamel.yaml import YAML

    rng = random.Random(7)
    docs = []
    for _ in range(400):
        data = {"root": _random_value(rng)}
        docs.append(
            yaml.safe_dump(
                data,
                default_flow_style=rng.choice([False, None]),
                sort_keys=False,
                allow_unicode=True,
                indent=rng.choice([2, 4]),
            )
        )
        out = io.StringIO()
        dumper = YAML()
        dumper.indent(mapping=rng.choice([2, 4]), sequence=rng.choice([2, 4]), offset=rng.choice([0, 2]))
        dumper.dump(data, out)
        docs.append(out.getvalue())
    # Comments, blank lines and CRLF, as people write params files.
    docs += (
        [d.replace("\n", "  # note\n", 3) for d in docs[:200]]
        + [d.replace("\n", "\r\n") for d in docs[200:300]]
        + [
            "a: 1\nb:\n- x\n- y\nc: 2\n",
            "- a: 1\n  b: 2\n- c\n",
            "k:\n  - - 1\n    - 2\n",
            "a: 'it''s'\n",
            "x: [1, 2, a]\ny: {a: 1, b: 2}\n",
            "a:\n\n  b: 1  # trailing\n# full line\n",
            "0.5\n",
            "a: b: c\n",
            "a:\n  - 1\n  b: 2\n",
            "key : v\n",
            "a:1\n",
            "? a\n: b\n",
            "a: 1\na: 2\n",
            "a: 'x # y'\n",
            "a: x#y\n",
            "<<: {a: 1}\n",
            "schema: '2.0'\nstages:\n  train:\n    cmd: python t.py --lr 0.1\n    outs:\n    - path: m.json\n"
            "      hash: md5\n      md5: 0123abc\n      size: 12\n",
        ]
    )
    return docs


def _same_tree(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_fast_yaml_path_agrees_with_ruamel() -> None:
    from ruamel.yaml import YAML

    loader = YAML(typ="safe")
    fast = 0
    for text in _documents():
        ours = formats._simple_yaml(text)
        if ours is formats._UNSUPPORTED:
            continue
        fast += 1
        assert _same_tree(ours, loader.load(text)), text
        assert _same_tree(formats.parse_yaml(text, "f.yaml", "main"), ours)
    assert fast > 500  # the fast path really answers for plain documents


def test_fast_yaml_path_declines_what_it_does_not_know() -> None:
    for text in [
        "a: &x 1\nb: *x\n",
        "a: |\n  text\n",
        "a: !!str 1\n",
        "a: 1\na: 2\n",
        "a:\n\tb: 1\n",
        "d: 2020-01-02\n",
        "a: 'x # y'\n",
        "a: [1,\n  2]\n",
        "---\na: 1\n",
        "<<: {a: 1}\n",
    ]:
        assert formats._simple_yaml(text) is formats._UNSUPPORTED, text
