"""Stage `train`: fit a scaled logistic regression on the training split and save it."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

TRAIN_CSV = Path("data/prepared/train.csv")
MODEL = Path("models/model.pkl")


def load_xy(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and target from a CSV written by prepare.py (target in the last column)."""
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return table[:, :-1], table[:, -1].astype(int)


def main() -> None:
    """Train deterministically: the same params and data give the same model."""
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["train"]
    x, y = load_xy(TRAIN_CSV)
    model: Pipeline = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=params["C"], max_iter=params["max_iter"]),
    )
    model.fit(x, y)
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    with MODEL.open("wb") as f:
        pickle.dump(model, f)
    print(f"train: fitted on {len(y)} rows, saved {MODEL}")


if __name__ == "__main__":
    main()
