"""Stage `prepare`: split scikit-learn's breast-cancer dataset into train and test CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

OUT_DIR = Path("data/prepared")
TARGET = "malignant"


def write_csv(path: Path, header: list[str], rows: list[list[float]], labels: list[int]) -> None:
    """Write one row per sample: the features, then the 0/1 target."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([*header, TARGET])
        for features, label in zip(rows, labels, strict=True):
            writer.writerow([*features, label])


def main() -> None:
    """Load the dataset (bundled with scikit-learn, so offline) and split it reproducibly."""
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))["prepare"]
    data = load_breast_cancer()
    # In the dataset 0 means malignant; make malignant the positive class (1) for the metrics.
    y = (data.target == 0).astype(int)
    x_train, x_test, y_train, y_test = train_test_split(
        data.data,
        y,
        test_size=params["test_size"],
        random_state=params["random_state"],
        stratify=y,
    )
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    header = [str(name) for name in data.feature_names]
    write_csv(OUT_DIR / "train.csv", header, x_train.tolist(), y_train.tolist())
    write_csv(OUT_DIR / "test.csv", header, x_test.tolist(), y_test.tolist())
    print(f"prepare: {len(y_train)} training rows, {len(y_test)} test rows in {OUT_DIR}")


if __name__ == "__main__":
    main()
