"""Smoke test of a delivered model: load it and predict a few held-out rows.

Run by .github/workflows/deploy.yml after `dvc pull` of the model and the test split, before the
release is published; a model that cannot be loaded or predicts nonsense stops the delivery.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

MODEL = Path("models/model.pkl")
TEST_CSV = Path("data/prepared/test.csv")
ROWS = 20  # enough to catch a broken model, few enough to need no threshold tuning
MIN_ACCURACY = 0.7


def main() -> int:
    """Exit 0 when the model loads and predicts the held-out rows sensibly, 1 otherwise."""
    with MODEL.open("rb") as f:
        model = pickle.load(f)  # the repository's own artifact, pulled from its DVC remote
    table = np.loadtxt(TEST_CSV, delimiter=",", skiprows=1, max_rows=ROWS)
    x, y = table[:, :-1], table[:, -1].astype(int)
    predicted = np.asarray(model.predict(x))
    proba = np.asarray(model.predict_proba(x))
    problems = []
    if predicted.shape != y.shape:
        problems.append(f"predicted {predicted.shape[0]} labels for {y.shape[0]} rows")
    if not set(np.unique(predicted)) <= {0, 1}:
        problems.append(f"labels outside 0/1: {sorted(set(np.unique(predicted)))}")
    if not np.all(np.isfinite(proba)) or not np.allclose(proba.sum(axis=1), 1.0):
        problems.append("probabilities are not finite or do not sum to 1")
    accuracy = float(np.mean(predicted == y)) if predicted.shape == y.shape else 0.0
    if accuracy < MIN_ACCURACY:
        problems.append(f"accuracy {accuracy:.2f} on {len(y)} held-out rows is below {MIN_ACCURACY}")
    for problem in problems:
        print(f"smoke test: {problem}", file=sys.stderr)
    if not problems:
        print(f"smoke test: {MODEL} predicted {len(y)} held-out rows, accuracy {accuracy:.2f}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
