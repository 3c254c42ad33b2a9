"""Stage `evaluate`: score the model on the test split; write metrics and plot data as JSON."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn import metrics

TEST_CSV = Path("data/prepared/test.csv")
MODEL = Path("models/model.pkl")
METRICS = Path("eval/metrics.json")
PLOTS = Path("eval/plots")
LABELS = {0: "benign", 1: "malignant"}


def write_json(path: Path, data: Any) -> None:
    """Stable, diff-friendly JSON: same data, same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def r(value: float) -> float:
    """Round so that floating-point noise does not show up as a metric change."""
    return round(float(value), 6)


def main() -> None:
    """Compute scalar metrics, the ROC and precision-recall curves and the confusion rows."""
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["evaluate"]
    table = np.loadtxt(TEST_CSV, delimiter=",", skiprows=1)
    x, y = table[:, :-1], table[:, -1].astype(int)
    with MODEL.open("rb") as f:
        model = pickle.load(f)  # our own file, written by train.py

    proba = model.predict_proba(x)[:, 1]
    predicted = (proba >= params["threshold"]).astype(int)

    write_json(
        METRICS,
        {
            "accuracy": r(metrics.accuracy_score(y, predicted)),
            "precision": r(metrics.precision_score(y, predicted, zero_division=0)),
            "recall": r(metrics.recall_score(y, predicted)),
            "f1": r(metrics.f1_score(y, predicted)),
            "roc_auc": r(metrics.roc_auc_score(y, proba)),
            "average_precision": r(metrics.average_precision_score(y, proba)),
            "log_loss": r(metrics.log_loss(y, proba)),
            "test_rows": len(y),
        },
    )

    # Thresholds are left out: the first ROC threshold is infinity, which JSON cannot hold.
    fpr, tpr, _ = metrics.roc_curve(y, proba)
    write_json(PLOTS / "roc.json", [{"fpr": r(a), "tpr": r(b)} for a, b in zip(fpr, tpr)])
    precision, recall, _ = metrics.precision_recall_curve(y, proba)
    write_json(
        PLOTS / "precision_recall.json",
        [{"recall": r(a), "precision": r(b)} for a, b in zip(recall, precision)],
    )
    write_json(
        PLOTS / "confusion.json",
        [{"actual": LABELS[a], "predicted": LABELS[p]} for a, p in zip(y.tolist(), predicted.tolist())],
    )
    print(f"evaluate: accuracy {r(metrics.accuracy_score(y, predicted))} on {len(y)} test rows")


if __name__ == "__main__":
    main()
