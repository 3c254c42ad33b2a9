"""Parsing metrics, params and plots files: JSON (NaN/Infinity too), YAML, TOML, CSV/TSV.

The format follows the extension as in DVC: `.json` JSON, `.toml` TOML, anything else YAML.
YAML is read with YAML 1.2 rules, as DVC's ruamel.yaml does (`1e-3` is a float, `yes` and `on` are
strings, `010` is ten), but through PyYAML's C parser for speed; duplicate keys are errors as in
ruamel. yaml and tomllib are imported only when such a file is read.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

from toolkit.errors import MetricsFileError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")


def suffix(path: str) -> str:
    """The lower-cased extension of `path` ('' when there is none)."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _decode(data: bytes, path: str, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MetricsFileError(
            f"{path} at {where} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8."
        ) from None


#: Nesting deeper than this is no metrics file (and would overflow recursive readers).
MAX_DEPTH = 100
#: YAML nodes after alias expansion: a few lines of anchors can otherwise stand for billions.
MAX_NODES = 2_000_000


class _HugeInteger(ValueError):
    """A decimal integer longer than Python converts (`sys.get_int_max_str_digits()`)."""

    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _int_digit_limit() -> int:
    limit = sys.get_int_max_str_digits()
    return limit if limit > 0 else sys.maxsize


def _decimal(digits: str) -> int:
    """int(digits) of a decimal token, refusing one beyond Python's limit by its length."""
    count = len(digits.lstrip("+-")) - digits.count("_")
    if count > _int_digit_limit():
        raise _HugeInteger(count)
    return int(digits)


def _printable(value: int) -> int:
    """`value`, unless its decimal form is longer than Python's limit: hexadecimal, octal and binary
    integers are read without one, but such a number could then never be printed."""
    limit = _int_digit_limit()
    if value.bit_length() > 3 * limit and abs(value) >= 10**limit:
        raise _HugeInteger(math.floor(math.log10(abs(value))) + 1)
    return value


def _check_integers(value: Any) -> None:
    """Every integer in a parsed document printable (see `_printable`), checked without recursion."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, int):
            _printable(node)


_DIGIT_RUN = re.compile(r"[0-9][0-9_]*")


def _longest_integer(text: str) -> int:
    """The digits in the longest run of them in `text` (underscores as TOML allows between them)."""
    return max((len(m) - m.count("_") for m in _DIGIT_RUN.findall(text)), default=0)


def _json_huge_integer(text: str, exc: ValueError) -> ValueError:
    """The oversized integer token json.loads refused, found by reading the integers again."""
    try:
        json.loads(text, parse_int=_decimal)
    except _HugeInteger as huge:
        return huge
    except ValueError:
        pass
    return exc


def _refused(exc: ValueError, text: str | None = None) -> str:
    """What to say about a ValueError a parser let through: an oversized integer, or the value.

    Our own integer conversions raise _HugeInteger; for a parser that converts them itself
    (tomllib), `text` is searched for the longest run of digits.
    """
    if isinstance(exc, _HugeInteger):
        digits = exc.digits
    else:
        digits = _longest_integer(text) if text is not None else 0
    limit = _int_digit_limit()
    if digits > limit:
        return f"holds an integer of {digits:,} digits (Python reads no more than {limit:,} digits)"
    return f"holds a value Python refuses to read ({type(exc).__name__}: {str(exc)[:80]})"


def _bad(path: str, where: str, what: str) -> MetricsFileError:
    return MetricsFileError(f"{path} at {where} {what}; fix the file or the commit that wrote it.")


def check_depth(value: Any, path: str, where: str) -> Any:
    """`value` when its nesting is at most MAX_DEPTH (checked without recursion), else an error."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            raise _bad(path, where, f"nests deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)
    return value


def parse(path: str, data: bytes, where: str) -> Any:
    """Parse a metrics/params file by extension; malformed -> MetricsFileError naming path and revision."""
    text = _decode(data, path, where)
    ext = suffix(path)
    if ext == ".json":
        return parse_json(text, path, where)
    if ext == ".toml":
        return parse_toml(text, path, where)
    if ext == ".py":
        raise MetricsFileError(
            f"{path} at {where} is a Python params file, which toolkit does not read; "
            "use params in YAML, JSON or TOML."
        )
    return parse_yaml(text, path, where)


def parse_json(text: str, path: str, where: str) -> Any:
    """JSON with Python's NaN/Infinity/-Infinity extension (what scikit-learn and DVC write)."""
    try:
        return check_depth(json.loads(text), path, where)
    except json.JSONDecodeError as exc:
        raise MetricsFileError(
            f"{path} at {where} is not valid JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}); fix the file or the commit that wrote it."
        ) from None
    except RecursionError:
        raise _bad(path, where, f"nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # the only one json lets through: an integer beyond Python's limit
        raise _bad(path, where, _refused(_json_huge_integer(text, exc))) from None


def parse_toml(text: str, path: str, where: str) -> Any:
    """TOML via the standard library's tomllib."""
    import tomllib

    try:
        value = check_depth(tomllib.loads(text), path, where)
        if _RADIX.search(text):  # hexadecimal, octal or binary integers, read without a digit limit
            _check_integers(value)
        return value
    except tomllib.TOMLDecodeError as exc:
        raise MetricsFileError(
            f"{path} at {where} is not valid TOML ({exc}); fix the file or the commit that wrote it."
        ) from None
    except RecursionError:
        raise _bad(path, where, f"nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # tomllib converts integers itself: one beyond Python's limit
        raise _bad(path, where, _refused(exc, text)) from None


_RADIX = re.compile(r"0[xob]")


# YAML 1.2 core-schema scalars as ruamel.yaml (DVC's parser) resolves them: no yes/no/on/off
# booleans, no sexagesimal numbers, exponents without a dot are floats, 0o octal, 010 is ten.
_BOOL = r"^(?:true|True|TRUE|false|False|FALSE)$"
_FLOAT = r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$"""
_INT = r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o?[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$"""
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_TIMESTAMP = r"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"


def _to_int(text: str) -> int | None:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    if not digits:
        return None
    if digits.startswith("0b"):
        return sign * _printable(int(digits[2:], 2))
    if digits.startswith("0x"):
        return sign * _printable(int(digits[2:], 16))
    if digits.startswith("0o"):
        return sign * _printable(int(digits[2:], 8))
    return sign * _decimal(digits)


def _to_float(text: str) -> float:
    body = text.replace("_", "").lower()
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if body == ".inf":
        return sign * float("inf")
    if body == ".nan":
        return float("nan")
    return sign * float(body)


_loader: Any = None


def _yaml_loader() -> Any:
    """A PyYAML loader (C parser when available) with YAML 1.2 core-schema scalars, built once."""
    global _loader
    if _loader is not None:
        return _loader
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    # YAML 1.2 resolvers as in ruamel.yaml (what DVC uses): no yes/no/on/off booleans, no
    # sexagesimal numbers, exponents without a dot are floats, 0o octal, leading zeros decimal.
    resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in base.yaml_implicit_resolvers.items():
        kept = [
            (tag, rx)
            for tag, rx in entries
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        ]
        resolvers[first] = kept
    Loader.yaml_implicit_resolvers = resolvers
    rules = [
        ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
        ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
        ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ]
    for tag, pattern, firsts in rules:
        Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(firsts))

    def construct_int(loader: Any, node: Any) -> Any:
        text = str(loader.construct_scalar(node))
        value = _to_int(text)
        return text if value is None else value

    def construct_float(loader: Any, node: Any) -> float:
        return _to_float(str(loader.construct_scalar(node)))

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        # ruamel.yaml (and so DVC) refuses duplicate keys; PyYAML would keep the last silently.
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                dup = key in seen
                seen.add(key)
            except TypeError:
                continue
            if dup:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def construct_map(loader: Any, node: Any) -> Any:
        data: dict[Any, Any] = {}
        yield data
        value = construct_mapping(loader, node)
        data.update(value)

    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    Loader.add_constructor("tag:yaml.org,2002:float", construct_float)
    Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
    _loader = Loader
    return Loader


def parse_yaml(text: str, path: str, where: str) -> Any:
    """YAML (1.2 scalars, as DVC reads it); a syntax error names the line."""
    fast = _simple_yaml(text)
    if fast is not _UNSUPPORTED:
        return check_depth(fast, path, where)
    node, loader = compose_yaml(text, path, where)
    if node is None:
        return None
    import yaml

    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, where) from None
    except RecursionError:
        raise _bad(path, where, f"nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an oversized integer, a date that does not exist
        raise _bad(path, where, _refused(exc)) from None
    finally:
        loader.dispose()


def compose_yaml(text: str, path: str, where: str, *, syntax_errors: bool = False) -> tuple[Any, Any]:
    """(root node, loader) of a YAML document, its alias expansion and nesting bounded.

    With syntax_errors, a yaml.YAMLError is raised as is. The node graph is checked before
    anything is built from it: a few lines of nested anchors
    (an alias bomb) would otherwise expand to billions of values, and a self-referencing anchor
    to an endless structure. The caller constructs the document and disposes of the loader.
    """
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_nodes(node, path, where)
    except yaml.YAMLError as exc:
        loader.dispose()
        if syntax_errors:
            raise  # the caller reports the marks itself
        raise _yaml_error(exc, path, where) from None
    except BaseException:
        loader.dispose()
        raise
    return node, loader


def _check_nodes(root: Any, path: str, where: str) -> None:
    """Expanded size and depth of a YAML node graph, iteratively, each shared node counted once."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        value = node.value
        children = (
            [n for pair in value for n in pair] if isinstance(value, list) and value and
            isinstance(value[0], tuple) else value if isinstance(value, list) else []
        )
        if finished:
            visiting.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise _bad(path, where, f"expands to more than {MAX_NODES:,} values (YAML aliases)")
            if depth[key] > MAX_DEPTH:
                raise _bad(path, where, f"nests deeper than {MAX_DEPTH} levels")
            continue
        if key in size:
            continue
        visiting.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in visiting:
                raise _bad(path, where, "has an anchor that refers to itself")
            if id(child) not in size:
                stack.append((child, False))


def _yaml_error(exc: Exception, path: str, where: str) -> MetricsFileError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "invalid YAML"
    at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return MetricsFileError(
        f"{path} at {where} is not valid YAML ({problem}{at}); fix the file or the commit that wrote it."
    )


# --------------------------------------------------------------------------------------------
# A fast path for the plain YAML that dvc.yaml, dvc.lock and params files almost always are:
# block mappings and sequences, plain or simply quoted scalars, one-line flow lists/maps. It
# answers only when it is sure (anything else -> _UNSUPPORTED, and PyYAML reads the file), so
# `toolkit diff` does not pay for importing PyYAML on every run. Tested against ruamel.yaml.

_UNSUPPORTED: Any = object()
_SCALAR_RX: dict[str, re.Pattern[str]] = {}


class _Unsupported(Exception):
    pass


def _rx(name: str, pattern: str) -> re.Pattern[str]:
    rx = _SCALAR_RX.get(name)
    if rx is None:
        rx = _SCALAR_RX[name] = re.compile(pattern, re.X)
    return rx


def _plain(text: str) -> Any:
    """A plain scalar resolved by YAML 1.2 core rules (ruamel's), or _Unsupported."""
    if text in _NULL:
        return None
    first = text[0]
    if first in "-?:" and (len(text) == 1 or text[1] == " "):
        raise _Unsupported
    if first in ",[]{}#&*!|>'\"%@`<=" or ": " in text or " #" in text or text.endswith(":"):
        raise _Unsupported
    if text != text.strip():
        raise _Unsupported
    if first in "tTfF" and _rx("bool", _BOOL).match(text):
        return text[0] in "tT"
    if first in "-+0123456789.":
        if _rx("float", _FLOAT).match(text):
            return _to_float(text)
        if first != "." and _rx("int", _INT).match(text):
            value = _to_int(text)
            if value is None:
                raise _Unsupported
            return value
        if _rx("ts", _TIMESTAMP).match(text):
            raise _Unsupported  # dates: leave them to the full parser
    return text


def _scalar(text: str) -> Any:
    if text.startswith('"'):
        body = text[1:-1]
        if len(text) < 2 or not text.endswith('"') or '"' in body or "\\" in body:
            raise _Unsupported
        return body
    if text.startswith("'"):
        body = text[1:-1]
        if len(text) < 2 or not text.endswith("'") or "'" in body.replace("''", ""):
            raise _Unsupported
        return body.replace("''", "'")
    if text.startswith("["):
        if not text.endswith("]"):
            raise _Unsupported
        body = text[1:-1].strip()
        if not body:
            return []
        if any(c in body for c in "[]{}\"'"):
            raise _Unsupported
        items = [item.strip() for item in body.split(",")]
        if "" in items:
            raise _Unsupported
        return [_plain(item) for item in items]
    if text.startswith("{"):
        if not text.endswith("}"):
            raise _Unsupported
        body = text[1:-1].strip()
        if not body:
            return {}
        if any(c in body for c in "[]{}\"'"):
            raise _Unsupported
        out: dict[Any, Any] = {}
        for item in body.split(","):
            key, sep, value = item.strip().partition(": ")
            if not sep or not key:
                raise _Unsupported
            k = _plain(key.strip())
            if k in out or isinstance(k, (list, dict)):
                raise _Unsupported
            out[k] = _plain(value.strip())
        return out
    return _plain(text)


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    for raw in text.split("\n"):
        line = raw.rstrip(" \r")
        content = line.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        indent = len(line) - len(content)
        if " #" in content:
            if "'" in content or '"' in content:
                raise _Unsupported  # is that `#` inside quotes? the full parser decides
            content = content[: content.index(" #")].rstrip(" ")  # a trailing comment
        if "\t" in line:
            raise _Unsupported
        if content.startswith(("---", "...", "%")):
            raise _Unsupported
        out.append((indent, content))
    return out


def _key_value(content: str) -> tuple[Any, str]:
    if content.startswith(('"', "'")):
        quote = content[0]
        end = content.find(quote, 1)
        if end < 0 or content[end + 1 : end + 2] != ":":
            raise _Unsupported
        key: Any = _scalar(content[: end + 1])
        rest = content[end + 2 :]
    else:
        idx = content.find(": ")
        if idx < 0:
            if not content.endswith(":"):
                raise _Unsupported
            idx = len(content) - 1
        key = _plain(content[:idx])
        rest = content[idx + 1 :]
    if rest and not rest.startswith(" "):
        raise _Unsupported
    return key, rest.strip()


class _Block:
    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines
        self.i = 0

    def value(self, indent: int) -> Any:
        ind, content = self.lines[self.i]
        if ind != indent:
            raise _Unsupported
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def nested(self, parent: int, allow_same_indent_seq: bool) -> Any:
        if self.i >= len(self.lines):
            return None
        ind, content = self.lines[self.i]
        if ind > parent:
            return self.value(ind)
        if allow_same_indent_seq and ind == parent and (content == "-" or content.startswith("- ")):
            return self.sequence(ind)
        return None

    def mapping(self, indent: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        while self.i < len(self.lines):
            ind, content = self.lines[self.i]
            if ind < indent:
                break
            if ind > indent or content == "-" or content.startswith("- "):
                raise _Unsupported
            key, rest = _key_value(content)
            if key in out or isinstance(key, (list, dict)):
                raise _Unsupported  # duplicate keys are errors in DVC: let the full parser say so
            self.i += 1
            if rest:
                out[key] = _scalar(rest)
                if self.i < len(self.lines) and self.lines[self.i][0] > indent:
                    raise _Unsupported  # a multi-line scalar
            else:
                out[key] = self.nested(indent, allow_same_indent_seq=True)
        return out

    def sequence(self, indent: int) -> list[Any]:
        out: list[Any] = []
        while self.i < len(self.lines):
            ind, content = self.lines[self.i]
            if ind < indent:
                break
            if ind > indent or not (content == "-" or content.startswith("- ")):
                if ind == indent:
                    break  # a mapping key after a same-indent sequence
                raise _Unsupported
            item = content[1:].lstrip(" ")
            if not item:
                self.i += 1
                out.append(self.nested(indent, allow_same_indent_seq=False))
                continue
            inner = indent + (len(content) - len(item))
            if item == "-" or item.startswith("- ") or _is_key(item):
                self.lines[self.i] = (inner, item)  # "- key: v" opens a mapping at that column
                out.append(self.value(inner))
            else:
                self.i += 1
                out.append(_scalar(item))
                if self.i < len(self.lines) and self.lines[self.i][0] > indent:
                    raise _Unsupported
        return out


def _is_key(item: str) -> bool:
    if item.startswith(("[", "{")):
        return False
    if item.startswith(('"', "'")):
        end = item.find(item[0], 1)
        return end > 0 and item[end + 1 : end + 2] == ":"
    return ": " in item or item.endswith(":")


def _simple_yaml(text: str) -> Any:
    """The document when it is plain block YAML; _UNSUPPORTED otherwise."""
    try:
        lines = _lines(text)
        if not lines:
            return None
        block = _Block(lines)
        first_indent, first = lines[0]
        if first_indent != 0:
            return _UNSUPPORTED
        if not (first == "-" or first.startswith("- ")) and not _is_key(first):
            if len(lines) == 1:
                return _scalar(first)
            return _UNSUPPORTED
        value = block.value(0)
        if block.i != len(lines):
            return _UNSUPPORTED
        return value
    except (_Unsupported, ValueError, IndexError, RecursionError):
        return _UNSUPPORTED


def _number(text: str) -> Any:
    """'1' -> 1, '0.5' -> 0.5, anything else unchanged (CSV cells are text)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_rows(path: str, data: bytes, where: str) -> list[dict[str, Any]]:
    """Plot rows from JSON/YAML (a list of objects, or an object holding one) or CSV/TSV with a header."""
    ext = suffix(path)
    text = _decode(data, path, where)
    if ext in (".csv", ".tsv"):
        import csv
        import io

        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if ext == ".tsv" else ",")
        try:
            return [{k: _number(v) if isinstance(v, str) else v for k, v in row.items()} for row in reader]
        except csv.Error as exc:
            raise MetricsFileError(
                f"{path} at {where} is not valid {ext[1:].upper()} ({exc}); fix the file."
            ) from None
    value = parse_json(text, path, where) if ext == ".json" else parse_yaml(text, path, where)
    if isinstance(value, dict):
        # DVC accepts {"name": [rows...]}: the first list value holds the rows.
        value = next((v for v in value.values() if isinstance(v, list)), None)
    if not isinstance(value, list):
        raise MetricsFileError(
            f"{path} at {where} holds no plot rows; write a list of objects (or an object whose "
            "value is that list)."
        )
    return [row if isinstance(row, dict) else {"value": row} for row in value]
