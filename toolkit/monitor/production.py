"""The model in production: its revision (registry tag), its predictions on both sides, its metrics.

The production revision is the commit of the latest `NAME#prod` assignment among the registry's
GTO tags (`NAME#prod#N`, or `NAME#prod` without a counter; `NAME#prod!#N` unassigns), read with
git directly (no gto import); without one, `main`.
"""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolkit import proc
from toolkit.errors import RevisionError, ToolkitError
from toolkit.results import Comparison, GateResult, Revision

if TYPE_CHECKING:
    import pandas as pd

    from toolkit.config import Config

_STAGE_TAG = re.compile(r"^(?P<name>[^#@!]+)#prod(?P<unassign>!)?(?:#(?P<n>\d+))?$")
#: The scaffold's own metrics (src/evaluate.py), computed on the labelled batch.
METRICS_PATH = "eval/metrics.json"


@dataclass(frozen=True)
class Production:
    """Where the production model comes from."""

    name: str  # the tag (`churn#prod#3`) or `main`
    sha: str
    artifact: str | None  # the registry artifact name, None for the main fallback

    @property
    def revision(self) -> Revision:
        """As a Revision, for tables and reports."""
        return Revision(self.name, self.sha)


def production_revision(root: Path, model: str | None) -> Production:
    """The latest `*#prod` assignment still in force (of `model` when given), else `main`."""
    result = proc.run(
        (
            "git",
            "for-each-ref",
            "--sort=creatordate",
            "--format=%(refname:strip=2)%09%(objectname)%09%(*objectname)",
            "refs/tags",
        ),
        cwd=root,
        check=False,
    )
    current: dict[str, tuple[str, str] | None] = {}  # artifact -> (tag, commit) or None
    order: list[str] = []
    for line in result.stdout.decode(errors="replace").splitlines():
        tag, _, rest = line.partition("\t")
        m = _STAGE_TAG.match(tag)
        if m is None:
            continue
        obj, _, peeled = rest.partition("\t")
        name = m["name"].replace("=", ":")
        if model is not None and name != model:
            continue
        current[name] = None if m["unassign"] else (tag, peeled or obj)
        if name in order:
            order.remove(name)
        order.append(name)
    for name in reversed(order):
        found = current[name]
        if found is not None:
            return Production(found[0], found[1], name)
    from toolkit import git

    sha = git.resolve(root, "main") or git.resolve(root, "origin/main")
    if sha is None:
        what = f"no `{model}#prod` tag" if model else "no `NAME#prod` registry tag"
        raise RevisionError(
            f"{what} and no `main` branch to take the production model from; promote a model "
            "(`toolkit model promote NAME --stage prod`) or set `monitor.model` in toolkit.yaml."
        )
    return Production("main", sha, None)


def load_model(root: Path, production: Production, artifact: str) -> tuple[Any, str | None]:
    """The pickled model at the production revision, or (None, why not)."""
    from toolkit.compare import read_at

    try:
        data = read_at(root, production.sha, artifact)
    except ToolkitError as exc:
        return None, exc.message
    try:
        # The repository's own artifact at its production commit, written by its own pipeline:
        # as trusted as the code this job already runs (never a file from a pull request).
        return pickle.loads(data), None
    except Exception as exc:  # any unpickling failure (missing module, other format)
        return None, f"{artifact} at {production.name} could not be loaded ({type(exc).__name__}: {exc})"


def predict(model: Any, frame: pd.DataFrame, features: Sequence[str]) -> tuple[np.ndarray | None, str | None]:
    """Positive-class probabilities (or predictions) of `model` on `frame`, or (None, why not)."""
    try:
        x = frame[list(features)].to_numpy()
        if hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(x))
            return (proba[:, -1] if proba.ndim == 2 else proba).astype(np.float64), None
        return np.asarray(model.predict(x), dtype=np.float64), None
    except Exception as exc:  # a model that cannot score these columns
        return None, f"the model could not score the data ({type(exc).__name__}: {str(exc)[:200]})"


def batch_metrics(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> dict[str, float | int]:
    """The scaffold's evaluation metrics (src/evaluate.py) on the labelled batch."""
    from sklearn import metrics

    predicted = (proba >= threshold).astype(int)
    out: dict[str, float | int] = {
        "accuracy": metrics.accuracy_score(y_true, predicted),
        "precision": metrics.precision_score(y_true, predicted, zero_division=0),
        "recall": metrics.recall_score(y_true, predicted, zero_division=0),
        "f1": metrics.f1_score(y_true, predicted, zero_division=0),
    }
    if len(np.unique(y_true)) == 2:
        out["roc_auc"] = metrics.roc_auc_score(y_true, proba)
        out["average_precision"] = metrics.average_precision_score(y_true, proba)
        out["log_loss"] = metrics.log_loss(y_true, proba, labels=[0, 1])
    rounded: dict[str, float | int] = {k: round(float(v), 6) for k, v in out.items()}
    rounded["test_rows"] = len(y_true)
    return rounded


def production_metrics(root: Path, production: Production, path: str) -> dict[str, Any] | None:
    """The production version's own metrics file (flattened), None when it cannot be read."""
    from toolkit.compare import read_at
    from toolkit.metrics import flatten

    try:
        data = json.loads(read_at(root, production.sha, path))
    except (ToolkitError, ValueError):
        return None
    return flatten(data) if isinstance(data, dict) else None


def performance_gates(
    config: Config, production: Production, base: dict[str, Any] | None, batch: dict[str, Any], path: str
) -> tuple[Comparison, list[GateResult], str | None]:
    """The batch's metrics against production's, through the gates of toolkit.yaml."""
    from toolkit.errors import GateError
    from toolkit.gates import evaluate
    from toolkit.metrics import diff_file

    entries = diff_file(path, base, batch, direction_for=config.direction_for)
    comparison = Comparison(
        base=production.revision, head=Revision("production batch", None), metrics=entries, params=[]
    )
    try:
        return comparison, evaluate(config, comparison), None
    except GateError as exc:
        return comparison, [], f"the gates could not be evaluated on the batch: {exc.message}"
