"""Stage `production_batch`: a stand-in for production data, written to data/production/batch.csv.

It samples rows of the same dataset (with their labels, so `toolkit monitor` can also measure the
model's accuracy on them). `production.shift` moves every feature by that many standard deviations:
set it to 1.0 and `toolkit monitor` reports drift. For real data, see "Monitoring" in README.md.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import yaml
from sklearn.datasets import load_breast_cancer

OUT = Path("data/production/batch.csv")
TARGET = "malignant"


def main() -> None:
    """Sample `production.rows` rows reproducibly and apply the configured shift."""
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["production"]
    data = load_breast_cancer()
    rng = np.random.default_rng(params["random_state"])
    rows = rng.choice(len(data.target), size=params["rows"], replace=False)
    x = data.data[rows] + params["shift"] * data.data.std(axis=0)
    y = (data.target[rows] == 0).astype(int)  # malignant is the positive class, as in prepare.py
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([*(str(n) for n in data.feature_names), TARGET])
        for features, label in zip(x.tolist(), y.tolist(), strict=True):
            writer.writerow([*features, label])
    print(f"production_batch: {len(y)} rows (shift {params['shift']}) in {OUT}")


if __name__ == "__main__":
    main()
