"""Tables with known shifts for the drift tests, and the cases checked against Evidently.

Everything here is seeded, so `scripts/evidently_reference.py` (in Evidently's own venv) and the
tests (on the pandas a user gets) build the same tables from the same code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

SHIFTS = ("none", "mean", "category", "scale")
#: The columns each shift moves (the test data leave the others alone).
MOVED = {"none": set(), "mean": {"income"}, "category": {"city"}, "scale": {"score"}}


def table(rows: int, shift: str, seed: int) -> pd.DataFrame:
    """A table of `rows` rows; `shift` moves one column of it (see MOVED)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    cities = ["Lyon", "Oslo", "Pune"]
    city_p = [0.5, 0.3, 0.2]
    if shift == "category":
        cities, city_p = [*cities, "Quito"], [0.35, 0.25, 0.15, 0.25]
    income = rng.normal(50_000 + (9_000 if shift == "mean" else 0), 12_000, rows)
    score = rng.normal(0.0, 2.5 if shift == "scale" else 1.0, rows)
    frame = pd.DataFrame(
        {
            "income": income,
            "score": score,
            "age": rng.integers(18, 80, rows),  # many integer values: KS / Wasserstein
            "city": rng.choice(cities, rows, p=city_p),
            "churned": rng.integers(0, 2, rows),  # a 0/1 number: z-test / Jensen-Shannon
            "plan": rng.integers(1, 4, rows),  # three numbers: chi-square / Jensen-Shannon
            "active": rng.choice([True, False], rows),  # booleans are categorical
        }
    )
    # Missing and infinite values are dropped before testing, as Evidently does. (Its dataset count
    # drops infinities only in columns that also have NaN, so both go in the same column here.)
    frame.loc[frame.index[::37], "income"] = np.nan
    frame.loc[frame.index[5], "income"] = np.inf
    return frame


def three_drifted(rows: int, seed: int) -> pd.DataFrame:
    """A new city, income up by 20,000 and score three times as wide: three of seven columns drift."""
    frame = table(rows, "category", seed)
    frame["income"] += 20_000
    frame["score"] *= 3
    return frame


def many_columns(rows: int, seed: int, moved: dict[str, float]) -> pd.DataFrame:
    """Twenty numerical columns `c00`..`c19`; each in `moved` has its mean shifted by that many sds."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame({f"c{i:02d}": rng.normal(moved.get(f"c{i:02d}", 0.0), 1.0, rows) for i in range(20)})


@dataclass(frozen=True)
class Case:
    """Two tables and the `drift:` section of toolkit.yaml they are compared under."""

    reference: Callable[[], pd.DataFrame]
    current: Callable[[], pd.DataFrame]
    settings: dict[str, Any] = field(default_factory=dict)
    moved: frozenset[str] | None = None  # the columns that must drift (None: not asserted)


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    # Both size regimes (<= 1,000 reference rows: p-value tests; above: distances), four kinds of data.
    for rows in (600, 2500):
        for shift in SHIFTS:
            cases[f"{rows}-{shift}"] = Case(
                reference=lambda rows=rows: table(rows, "none", 5),
                current=lambda rows=rows, shift=shift: table(rows + 37, shift, 6),
                moved=frozenset(MOVED[shift]),
            )
    # The `drift:` settings: the share, and per column a type, a test, a threshold, ignore.
    moved3 = frozenset({"city", "income", "score"})
    cases["share-default"] = Case(lambda: table(600, "none", 1), lambda: three_drifted(600, 2), moved=moved3)
    cases["share-0.4"] = Case(
        lambda: table(600, "none", 1), lambda: three_drifted(600, 2), {"share": 0.4}, moved=moved3
    )
    cases["columns-small"] = Case(
        lambda: table(600, "none", 1),
        lambda: table(600, "mean", 2),
        {
            "columns": {
                "income": {"test": "wasserstein", "threshold": 5.0},  # a distance that never trips
                "age": "categorical",
                "score": {"test": "jensenshannon"},
                "city": {"test": "jensenshannon", "threshold": 0.05},
                "active": {"ignore": True},
            }
        },
    )
    cases["columns-large"] = Case(
        lambda: table(2500, "none", 5),
        lambda: table(2537, "scale", 6),
        {
            "share": 0.3,
            "columns": {
                "plan": "categorical",
                "city": {"test": "chisquare"},
                "income": {"test": "ks", "threshold": 0.01},
                "score": {"threshold": 0.3},
                "age": {"test": "jensenshannon", "threshold": 0.05},
                "active": {"test": "z"},
            },
        },
    )
    # Wide data with many drifted columns (the report draws the worst ones).
    shifts = {f"c{i:02d}": 0.1 * (i + 1) for i in range(0, 20, 2)} | {"c19": 3.0, "c17": 2.0}
    cases["wide-600"] = Case(
        lambda: many_columns(600, 7, {}),
        lambda: many_columns(600, 8, shifts),
        moved=None,
    )
    return cases


CASES = _cases()


def csv_digest(frame: pd.DataFrame) -> str:
    """sha256 of the table as CSV: the fixtures name the exact data they were computed on."""
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
