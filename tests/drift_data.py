"""Tables with known shifts for the drift tests: mean shift, new category, scale change, none."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
