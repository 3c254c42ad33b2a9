"""The plain data that flows between diff, gates, report and ci.

Nothing here touches git, dvc, the network or files; every other module agrees on these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["higher", "lower"]
Status = Literal["added", "removed", "modified", "unchanged"]
ProblemKind = Literal["missing", "not-in-cache", "unreadable"]


@dataclass(frozen=True)
class Revision:
    """One side of a comparison: a commit, or the workspace."""

    name: str  # as the user or the event named it: "main", "HEAD~1", a sha, "workspace"
    sha: str | None  # the full commit sha; None for the workspace

    @property
    def is_workspace(self) -> bool:
        """True for the working tree (uncommitted files included)."""
        return self.sha is None

    @property
    def short(self) -> str:
        """Seven hex digits, or "workspace"."""
        return self.sha[:7] if self.sha else "workspace"


@dataclass(frozen=True)
class Entry:
    """One key of one metrics or params file, compared between base and head."""

    path: str  # file path relative to the repo root, with forward slashes
    key: str  # nested keys joined with "."
    old: Any  # the value at base (JSON-able); None when absent there (see status)
    new: Any  # the value at head; None when absent there
    status: Status
    diff: float | int | None = None  # new - old, only when both are numbers (bools are not)
    rel: float | None = None  # diff / abs(old); None when old is 0 or diff is None
    direction: Direction | None = None  # metrics only: which way is better
    improved: bool | None = None  # metrics only: True better, False worse, None no numeric change
    masked: bool = False  # a secret-looking key: old/new are masking.MASK, the status still true

    def to_json(self) -> dict[str, Any]:
        """DVC's `old`/`new`/`diff` (diff only for numbers) plus our extra fields."""
        out: dict[str, Any] = {"old": self.old, "new": self.new}
        if self.diff is not None:
            out["diff"] = self.diff
        out["status"] = self.status
        if self.rel is not None:
            out["rel"] = self.rel
        if self.direction is not None:
            out["direction"] = self.direction
        if self.improved is not None:
            out["improved"] = self.improved
        if self.masked:
            out["masked"] = True
        return out


@dataclass(frozen=True)
class Problem:
    """A declared file that could not be read at one revision (reported, never skipped silently)."""

    path: str
    revision: str  # Revision.name
    kind: ProblemKind
    message: str  # one sentence naming the file, the revision and the fix
    where: str = ""  # the revision as messages name it: "main (1a2b3c4)", "the workspace"


@dataclass(frozen=True)
class PlotDef:
    """A plot declared in a dvc.yaml (stage `plots:` output or top-level `plots:`)."""

    id: str  # the plot's name: its data file, or the top-level plot id
    path: str  # data file relative to the repo root
    x: str | None = None  # field on the x axis (None: DVC's default, the row index "step")
    y: tuple[str, ...] = ()  # fields on the y axis (empty: the last field of the rows)
    template: str | None = None  # DVC template: linear, simple, scatter, confusion, bar_horizontal, ...
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    image: bool = False  # True for .png/.jpg/.svg/... (listed, never uploaded anywhere)


@dataclass(frozen=True)
class PlotData:
    """A plot's rows at base and head (None where the file is absent at that revision)."""

    definition: PlotDef
    base: list[dict[str, Any]] | None
    head: list[dict[str, Any]] | None


@dataclass
class Comparison:
    """Everything `toolkit diff` knows about two revisions."""

    base: Revision
    head: Revision
    metrics: list[Entry]  # every key present at either revision, unchanged ones included
    params: list[Entry]
    problems: list[Problem] = field(default_factory=list)
    plots: list[PlotData] = field(default_factory=list)  # filled only when asked for
    stale: Stale | None = None  # the workspace head's pipeline is out of date (`dvc status`)

    def to_json(self, *, all: bool = False) -> dict[str, Any]:
        """`{"metrics": {PATH: {KEY: {...}}}, "params": {...}}`, unchanged keys only with all."""
        out: dict[str, Any] = {"metrics": {}, "params": {}}
        for section, entries in (("metrics", self.metrics), ("params", self.params)):
            for e in entries:
                if e.status == "unchanged" and not all:
                    continue
                out[section].setdefault(e.path, {})[e.key] = e.to_json()
        return out


@dataclass(frozen=True)
class Stale:
    """What `dvc status` says is out of date in the workspace: results that are not current."""

    stages: tuple[str, ...]  # stages whose deps, params or command changed since dvc.lock
    params: tuple[str, ...] = ()  # "params.yaml:train.lr" (file:key) or a whole params file
    deps: tuple[str, ...] = ()  # changed dependency files (params files excluded)
    # DVC-tracked inputs absent from the workspace (a fresh clone that never pulled), and the
    # stages that take them and are otherwise current: not out of date, just not checkable.
    missing: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        """"Stale results" when a stage is out of date, else "Data not pulled"."""
        return "Stale results" if self.stages else "Data not pulled"

    def to_json(self) -> dict[str, list[str]]:
        """The `stale` object of `toolkit diff --json`."""
        return {
            "stages": list(self.stages),
            "params": list(self.params),
            "deps": list(self.deps),
            "missing": list(self.missing),
            "unchecked": list(self.unchecked),
        }

    def message(self) -> str:
        """One or two sentences naming the stages, params or missing data, and the fix."""
        missing = _names(self.missing)
        if not self.stages:
            unchecked = _names(self.unchecked)
            return (
                f"the workspace lacks DVC-tracked data: {missing} {_be(self.missing)} not in the "
                f"workspace, so {_stages(self.unchecked)} {unchecked} cannot be checked against "
                "dvc.lock; run `dvc pull` (or `toolkit repro --pull`) to fetch "
                f"{'it' if len(self.missing) == 1 else 'them'}."
            )
        what = []
        if self.params:
            what.append(f"params {_names(self.params)}")
        if self.deps:
            what.append(_names(self.deps))
        changed = f" ({' and '.join(what)} changed since dvc.lock)" if what else ""
        stages = f"{_stages(self.stages)} {_names(self.stages)} {_be(self.stages)} out of date{changed}"
        if self.missing:
            return (
                f"the workspace results are stale: {stages}, and the DVC-tracked data {missing} "
                f"{_be(self.missing)} not in the workspace; run `toolkit repro --pull` to fetch the "
                "data and bring the results up to date."
            )
        return f"the workspace results are stale: {stages}; run `toolkit repro` to bring them up to date."


def _names(items: tuple[str, ...], shown: int = 8) -> str:
    return ", ".join(items[:shown]) + (" ..." if len(items) > shown else "")


def _stages(items: tuple[str, ...]) -> str:
    return "stage" if len(items) == 1 else "stages"


def _be(items: tuple[str, ...]) -> str:
    return "is" if len(items) == 1 else "are"


@dataclass(frozen=True)
class GateResult:
    """One quality gate evaluated on a comparison."""

    metric: str  # as written in toolkit.yaml ("roc_auc" or "eval/metrics.json:latency_ms")
    path: str | None  # the resolved metrics file (None when it could not be resolved)
    key: str | None  # the resolved key
    rule: str  # human-readable rule: "max_drop 0.01", "min 0.9", "max 50"
    base: Any  # the metric's value at base (None if absent)
    head: Any  # the metric's value at head (None if absent)
    passed: bool
    reason: str  # one sentence for logs and annotations, e.g. "roc_auc fell by 0.02 (max_drop 0.01)"
    line: int | None = None  # line of the gate in toolkit.yaml, for annotations
    warning: bool = False  # passed without the check it names (the base was NaN or infinite): say so


@dataclass(frozen=True)
class ReproResult:
    """What `dvc repro` did."""

    ran: tuple[str, ...]  # stages that ran
    skipped: tuple[str, ...]  # stages that did not run: up to date, or restored from the run-cache
    seconds: float
    log: str = ""
    restored: tuple[str, ...] = ()  # the skipped stages whose results came from DVC's run-cache
    from_remote: tuple[str, ...] = ()  # the restored stages whose run-cache entry the remote gave

    def summary(self) -> str:
        """One line for logs: which stages ran, came from the run-cache, or were up to date."""
        up_to_date = [s for s in self.skipped if s not in self.restored]
        local = [s for s in self.restored if s not in self.from_remote]
        parts = [
            f"{label}: {', '.join(stages)}"
            for label, stages in (
                ("ran", self.ran),
                ("restored from the remote's run-cache", self.from_remote),
                ("restored from the run-cache", local),
                ("up to date", up_to_date),
            )
            if stages
        ]
        return f"{'; '.join(parts) or 'no stages'} ({self.seconds:.1f} s)"
