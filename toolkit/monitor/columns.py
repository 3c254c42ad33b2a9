"""Column types (numbers are numerical, the rest categorical, or as toolkit.yaml says) and cleaning.

A column is checked before any test: present on both sides, one kind of value (numbers or text,
not both), and not entirely missing. Problems are errors naming the file, the column and the row;
an all-missing column is reported, not tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from toolkit.config import ColumnDrift
from toolkit.markdown import code
from toolkit.monitor.sources import DataError, Source
from toolkit.monitor.stattests import ColumnType

if TYPE_CHECKING:
    import pandas as pd

#: Characters of a column name in messages and the terminal table (the data may hold longer ones).
NAME_WIDTH = 80


@dataclass
class Column:
    """One column, cleaned on both sides: missing and infinite values dropped."""

    name: str
    type: ColumnType
    reference: pd.Series
    current: pd.Series
    note: str | None = None  # why it is not tested (all missing on one side)


def check_names(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    ref_source: Source,
    cur_source: Source,
    target: str | None,
    ignored: frozenset[str] = frozenset(),
) -> list[str]:
    """The columns to compare, in reference order; a column missing on one side is an error."""
    ref_cols = [str(c) for c in reference.columns if str(c) not in ignored]
    cur_cols = {str(c) for c in current.columns if str(c) not in ignored}
    if target is not None and target not in ref_cols:
        import difflib

        lower = {c.lower(): c for c in ref_cols}
        near = difflib.get_close_matches(target.lower(), list(lower), n=1, cutoff=0.6)
        raise DataError(
            f"the target column {_code(target)} is not in the reference {ref_source.text}; "
            + (f"did you mean {_code(lower[near[0]])}? Its" if near else "its")
            + f" columns are {_names(ref_cols)} (`monitor.target` in toolkit.yaml, or --target)."
        )
    only_ref = [c for c in ref_cols if c not in cur_cols and c != target]
    only_cur = [str(c) for c in current.columns if str(c) not in set(ref_cols) and str(c) not in ignored]
    if only_ref:
        raise DataError(
            f"column {_code(only_ref[0])} is in the reference {ref_source.text} but not in the current "
            f"{cur_source.text}"
            + (f" (nor {_names(only_ref[1:])})" if only_ref[1:] else "")
            + "; add it there, or set `drift: {columns: {NAME: {ignore: true}}}` in toolkit.yaml."
        )
    if only_cur:
        raise DataError(
            f"column {_code(only_cur[0])} is in the current {cur_source.text} but not in the reference "
            f"{ref_source.text}"
            + (f" (nor {_names(only_cur[1:])})" if only_cur[1:] else "")
            + "; add it there, or set `drift: {columns: {NAME: {ignore: true}}}` in toolkit.yaml."
        )
    return [c for c in ref_cols if c in cur_cols]


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(_code(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def clip(name: str, width: int = NAME_WIDTH) -> str:
    """A column name cut to `width` characters, for messages and tables."""
    return name if len(name) <= width else name[: width - 1] + "…"


def _code(name: str) -> str:
    return code(clip(name))


def _key(name: str) -> str:
    """The name as a toolkit.yaml key in a hint; NAME when it is too long to show."""
    return name if len(name) <= NAME_WIDTH else "NAME"


def prepare(
    name: str,
    reference: pd.Series,
    current: pd.Series,
    ref_source: Source,
    cur_source: Source,
    spec: ColumnDrift | None,
) -> Column:
    """Type and clean one column; mixed numbers and text are an error naming the row."""
    import pandas as pd

    wanted = spec.type if spec else None
    sides = [(reference, ref_source), (current, cur_source)]
    if wanted == "categorical":
        kind: ColumnType = "categorical"
    else:
        numeric = [_is_number_dtype(s) for s, _ in sides]
        present = [bool(s.notna().any()) for s, _ in sides]
        # A side with only missing values says nothing about the type.
        if all(n or not p for n, p in zip(numeric, present, strict=True)):
            kind = "numerical"
        else:
            for series, source in sides:
                if not _is_number_dtype(series):
                    _check_text(name, series, source, forced=wanted == "numerical")
            other = [src for (s, src), n, p in zip(sides, numeric, present, strict=True) if n and p]
            if other and wanted is None:
                text_side = next(
                    src for (s, src), n, p in zip(sides, numeric, present, strict=True) if p and not n
                )
                raise DataError(
                    f"column {_code(name)} holds numbers in {other[0].text} but text in "
                    f"{text_side.text}; make both sides the same kind, or declare it in toolkit.yaml "
                    f"(`drift: {{columns: {{{_key(name)}: categorical}}}}`)."
                )
            kind = "numerical" if wanted == "numerical" else "categorical"

    cleaned = []
    for series, _ in sides:
        if kind == "numerical":
            values = pd.to_numeric(series, errors="coerce") if not _is_number_dtype(series) else series
            if values.dtype != np.float64:
                values = values.astype(np.float64)
            finite = np.isfinite(values.to_numpy())
            cleaned.append(values[finite] if not finite.all() else values)
        else:
            cleaned.append(series.dropna())
    note = None
    for side, what in ((cleaned[0], "reference"), (cleaned[1], "current")):
        if len(side) == 0:
            note = f"every value is missing in the {what} data; not tested"
            break
    return Column(name=name, type=kind, reference=cleaned[0], current=cleaned[1], note=note)


def _is_number_dtype(series: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype))


def _check_text(name: str, series: pd.Series, source: Source, *, forced: bool) -> None:
    """A text column that is mostly numbers (or declared numerical) holding text is mixed: name the row."""
    import pandas as pd

    present = series.notna()
    as_numbers = pd.to_numeric(series.where(present), errors="coerce")
    text = present & as_numbers.isna()
    n_text = int(text.sum())
    n_numbers = int(present.sum()) - n_text
    if n_text and (forced or n_numbers >= n_text):
        index = int(np.argmax(text.to_numpy()))
        value = str(series.iloc[index])
        shown = value if len(value) <= 40 else value[:39] + "…"
        fix = (
            "fix the value"
            if forced
            else f"fix the value, or declare the column categorical in toolkit.yaml "
            f"(`drift: {{columns: {{{_key(name)}: categorical}}}}`)"
        )
        raise DataError(
            f"column {_code(name)} of {source.text} mixes numbers and text: {source.row_label(index)} "
            f"holds {code(shown)} among {n_numbers} numbers; {fix}."
        )
