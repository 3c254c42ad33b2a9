"""toolkit.yaml: optional settings (gates, metric directions, base override, report options)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

from toolkit.errors import ConfigError
from toolkit.metrics import is_finite_number
from toolkit.results import Direction

FILENAME = "toolkit.yaml"

_LOWER_WORDS = frozenset(
    "loss error errors err rmse mse mae mape rmsle latency time duration seconds ms size bytes "
    "fpr fnr logloss perplexity cost".split()
)
# One search per key (thousands in big files): a listed word, or any word ending in loss/error.
_LOWER_NAME = re.compile(
    r"(?<![a-z0-9])(?:" + "|".join(sorted(_LOWER_WORDS)) + r")(?![a-z0-9])"
    r"|(?:loss|error)(?![a-z0-9])"
)
_REPORT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class GateSpec:
    """One entry of `gates:` as written; gates.py validates the rule."""

    spec: dict[str, Any]
    line: int  # 1-based line of the entry in toolkit.yaml


@dataclass(frozen=True)
class ReportOptions:
    """The `report:` section."""

    id: str = "default"  # keeps two workflows' reports apart on one PR
    plots: bool = True
    dag: bool = True
    max_rows: int = 50  # metric rows shown before the rest collapse into <details>
    production: str | None = None  # NAME#STAGE: show that version's values beside base and head


@dataclass(frozen=True)
class Config:
    """The whole toolkit.yaml; every field has a zero-config default."""

    path: Path | None = None  # None when there is no toolkit.yaml
    base: str | None = None
    gates: tuple[GateSpec, ...] = ()
    directions: dict[str, Direction] = field(default_factory=dict)  # "key" or "path:key"
    report: ReportOptions = ReportOptions()
    # `promotion: {STAGE: [gates]}`: extra gates for `toolkit model promote --stage STAGE`.
    promotion: dict[str, tuple[GateSpec, ...]] = field(default_factory=dict)

    def promotion_gates(self, stage: str) -> Config:
        """This config with the gates a promotion to `stage` must pass (`gates:` + `promotion:`)."""
        import dataclasses

        return dataclasses.replace(self, gates=(*self.gates, *self.promotion.get(stage, ())))
    drift: DriftOptions = field(default_factory=lambda: DriftOptions())
    monitor: MonitorOptions = field(default_factory=lambda: MonitorOptions())
    ci: CiOptions = field(default_factory=lambda: CiOptions())
    # Param keys whose values are never shown (`secrets:`; see toolkit/masking.py).
    secret_keys: tuple[str, ...] = field(default_factory=lambda: _default_secret_keys())
    registry: RegistryOptions = field(default_factory=lambda: RegistryOptions())

    def shown_direction(self, path: str, key: str) -> Direction | None:
        """Direction set in toolkit.yaml, else the one of a well-known name, else None (neutral)."""
        for name in (f"{path}:{key}", key):
            if name in self.directions:
                return self.directions[name]
        return known_direction(key)

    def direction_for(self, path: str, key: str) -> Direction:
        """Direction set for `path:key` or `key` in toolkit.yaml, else inferred from the name."""
        for name in (f"{path}:{key}", key):
            if name in self.directions:
                return self.directions[name]
        return infer_direction(key)


def _default_secret_keys() -> tuple[str, ...]:
    from toolkit.masking import DEFAULT_SECRET_KEYS

    return DEFAULT_SECRET_KEYS


#: Names ML metrics go by (the leaf of a key, lower case): headline rows, gate suggestions.
KNOWN_METRICS = frozenset(
    "accuracy acc balanced_accuracy auc roc_auc pr_auc average_precision ap f1 f1_score fbeta "
    "precision recall sensitivity specificity mcc kappa r2 r2_score explained_variance iou miou "
    "map ndcg bleu rouge top1 top5 top_1 top_5 loss logloss log_loss rmse mse mae mape rmsle "
    "error perplexity brier score".split()
)


def is_known_metric(key: str) -> bool:
    """True when the key's last part is a well-known metric name (`eval.roc_auc`, `test/f1`)."""
    leaf = re.split(r"[./]", key)[-1].lower()
    return leaf in KNOWN_METRICS or leaf.removeprefix("val_").removeprefix("test_") in KNOWN_METRICS


def known_direction(key: str) -> Direction | None:
    """Which way is better for a well-known name (`lower` for loss, error, latency, ...), else None.

    A count or an unknown name (`Documents_evaluated`, `test_rows`) is neutral: the report marks
    it neither better nor worse unless toolkit.yaml gives it a direction.
    """
    if _LOWER_NAME.search(key.rsplit(".", 1)[-1].lower()):
        return "lower"
    return "higher" if is_known_metric(key) else None


def infer_direction(key: str) -> Direction:
    """`lower` for names like loss, error, rmse, mae, latency, time, size; otherwise `higher`."""
    leaf = key.rsplit(".", 1)[-1].lower()
    return "lower" if _LOWER_NAME.search(leaf) else "higher"


def _fail(path: Path, line: int | None, message: str) -> ConfigError:
    where = f"{path}, line {line}" if line else str(path)
    return ConfigError(f"{where}: {message}")


def load_config(root: Path) -> Config:
    """Read `root/toolkit.yaml`; a missing file is the default config, a malformed one an error."""
    from toolkit import safefs
    from toolkit.errors import MetricsFileError

    path = root / FILENAME
    try:
        # Inside the repository, a regular file, at most 1 MiB (a PR may commit toolkit.yaml).
        data = safefs.read_inside(root, FILENAME, "the workspace", safefs.MAX_SETTINGS_BYTES)
        if data is None:
            return Config()
        text = data.decode("utf-8")
    except MetricsFileError as exc:
        raise ConfigError(f"{exc.message.rstrip('.')} ({path}); fix or remove the file.") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read {path}: {exc}; fix or remove the file.") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """toolkit.yaml's text as a Config; `path` names it in errors (a file, or `main:toolkit.yaml`)."""
    import yaml  # lazily: `toolkit diff` without a toolkit.yaml need not load PyYAML

    from toolkit import formats
    from toolkit.errors import MetricsFileError

    # The same YAML 1.2 reading as every other file (`1e-3` is a float, `yes` a string), with
    # alias expansion and nesting bounded.
    loader = None
    try:
        try:
            node, loader = formats.compose_yaml(text, str(path), "the workspace", syntax_errors=True)
        except MetricsFileError as exc:
            raise ConfigError(exc.message) from None
        data = loader.construct_document(node) if node is not None else None
    except (ValueError, RecursionError) as exc:
        raise _fail(path, None, f"a value cannot be read ({str(exc)[:80]}); fix it.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        line = mark.line + 1 if mark is not None else None
        if mark is not None and _tab_at(text, mark.line, mark.index):
            raise _fail(
                path, line, "a tab character indents this line; YAML indents with spaces only, so "
                "replace the tab with spaces."
            ) from None
        context = getattr(exc, "context_mark", None)
        if context is not None and context.line + 1 != line:
            problem = f"{problem} (for what starts on line {context.line + 1})"
        raise _fail(path, line, f"{problem}; fix the YAML syntax there.") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return Config(path=path)
    if not isinstance(data, dict):
        raise _fail(
            path, 1, "expected a mapping with `gates:`, `metrics:`, `base:`, `report:` or `promotion:`."
        )

    lines = _top_level_lines(node)
    known = {
        "gates", "metrics", "base", "report", "promotion", "drift", "monitor", "ci", "secrets", "registry"
    }
    for key in data:
        if key not in known:
            near = _near(str(key), known)
            hint = f"did you mean `{near}:`?" if near else f"expected one of {sorted(known)}."
            raise _fail(path, lines.get(str(key)), f"unknown setting `{key}`; {hint}")

    base = data.get("base")
    if base is not None and (not isinstance(base, str) or not base.strip()):
        raise _fail(path, lines.get("base"), "`base:` must be a branch, tag or commit name.")

    return Config(
        path=path,
        base=base,
        gates=_gates(path, data.get("gates"), node, lines),
        directions=_directions(path, data.get("metrics"), lines),
        report=_report(path, data.get("report"), lines),
        promotion=_promotion(path, data.get("promotion"), node, lines),
        drift=_drift(path, data.get("drift"), lines),
        monitor=_monitor(path, data.get("monitor"), lines),
        ci=_ci(path, data.get("ci"), lines),
        secret_keys=_secrets(path, data.get("secrets"), lines),
        registry=_registry(path, data.get("registry"), lines),
    )


def _top_level_lines(node: yaml.Node | None) -> dict[str, int]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def _tab_at(text: str, line: int, index: int) -> bool:
    """True when the YAML error at (line, index) is a tab: in the line's indentation, or at the mark."""
    rows = text.split("\n")
    row = rows[line] if 0 <= line < len(rows) else ""
    indent = row[: len(row) - len(row.lstrip(" \t"))]
    return "\t" in indent or (0 <= index < len(text) and text[index] == "\t")


def _near(name: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to a mistyped `name`, if one is close."""
    import difflib

    found = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _check_keys(
    path: Path, section: str, raw: dict[Any, Any], allowed: Sequence[str], line: int | None
) -> None:
    """An unknown key in a section: its name, a did-you-mean when one is close, else the choices."""
    for key in raw:
        if key in allowed:
            continue
        near = _near(str(key), allowed)
        hint = f"did you mean `{section}.{near}`?" if near else f"`{section}:` takes {', '.join(allowed)}."
        raise _fail(path, line, f"unknown setting `{section}.{key}`; {hint}")


def _gates(
    path: Path,
    raw: Any,
    node: yaml.Node | None,
    lines: dict[str, int],
    key: str = "gates",
    where: str = "`gates:`",
) -> tuple[GateSpec, ...]:
    import yaml

    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(path, lines.get(key), f"{where} must be a list of `- metric: NAME` entries.")
    item_lines: list[int] = []
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.SequenceNode):
                item_lines = [item.start_mark.line + 1 for item in v.value]
    specs = []
    for i, item in enumerate(raw):
        line = item_lines[i] if i < len(item_lines) else lines.get(key, 0)
        if not isinstance(item, dict):
            raise _fail(path, line, "each gate must be a mapping like `- metric: roc_auc`.")
        specs.append(GateSpec(spec=dict(item), line=line))
    return tuple(specs)


def _promotion(
    path: Path, raw: Any, node: yaml.Node | None, lines: dict[str, int]
) -> dict[str, tuple[GateSpec, ...]]:
    import yaml

    if raw is None:
        return {}
    line = lines.get("promotion")
    if not isinstance(raw, dict):
        raise _fail(path, line, "`promotion:` must map stage names to gate lists, e.g. `prod: [...]`.")
    stage_node = None
    if isinstance(node, yaml.MappingNode):
        stage_node = next((v for k, v in node.value if k.value == "promotion"), None)
    stage_lines = _top_level_lines(stage_node)
    from toolkit.registry.tags import is_name  # the stage-name rule of the GTO format

    out: dict[str, tuple[GateSpec, ...]] = {}
    for stage, gates in raw.items():
        if not isinstance(stage, str) or not is_name(stage):
            raise _fail(
                path,
                stage_lines.get(str(stage), line),
                f"`promotion:` stage {stage!r} is not a valid stage name (letters, digits, -, _, /).",
            )
        out[stage] = _gates(path, gates, stage_node, stage_lines, key=stage, where=f"`promotion: {stage}:`")
    return out


def _directions(path: Path, raw: Any, lines: dict[str, int]) -> dict[str, Direction]:
    if raw is None:
        return {}
    line = lines.get("metrics")
    if not isinstance(raw, dict):
        raise _fail(path, line, "`metrics:` must map metric names to `{direction: higher|lower}`.")
    out: dict[str, Direction] = {}
    for name, settings in raw.items():
        direction = settings.get("direction") if isinstance(settings, dict) else settings
        if direction not in ("higher", "lower"):
            raise _fail(
                path, line, f"metric `{name}`: direction must be `higher` or `lower`, not {direction!r}."
            )
        out[str(name)] = direction
    return out


def _report(path: Path, raw: Any, lines: dict[str, int]) -> ReportOptions:
    if raw is None:
        return ReportOptions()
    line = lines.get("report")
    if not isinstance(raw, dict):
        raise _fail(path, line, "`report:` must be a mapping (id, plots, dag, max_rows).")
    defaults = ReportOptions()
    _check_keys(path, "report", raw, ("id", "plots", "dag", "max_rows", "production"), line)
    production = raw.get("production")
    if production is not None:
        from toolkit.registry.tags import parse_spec

        if not isinstance(production, str) or parse_spec(production) is None:
            raise _fail(path, line, "`report.production` must name a registry entry such as `model#prod`.")
    report_id = raw.get("id", defaults.id)
    if not isinstance(report_id, str) or not _REPORT_ID.fullmatch(report_id):
        raise _fail(path, line, "`report.id` must be 1-64 letters, digits, `_`, `.` or `-`.")
    for flag in ("plots", "dag"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise _fail(path, line, f"`report.{flag}` must be true or false.")
    max_rows = raw.get("max_rows", defaults.max_rows)
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise _fail(path, line, "`report.max_rows` must be a positive whole number.")
    return ReportOptions(
        id=report_id,
        plots=raw.get("plots", defaults.plots),
        dag=raw.get("dag", defaults.dag),
        max_rows=max_rows,
        production=production,
    )


# --------------------------------------------------------------------------------------------
# drift: and monitor: (toolkit drift / toolkit monitor)

DRIFT_TESTS = ("ks", "chisquare", "z", "wasserstein", "jensenshannon")
COLUMN_TYPES = ("numerical", "categorical")
#: Defaults of `drift.max_columns` and `drift.max_cells`: wide embeddings fit, 200,000 columns do not.
MAX_COLUMNS = 5_000
MAX_CELLS = 100_000_000


@dataclass(frozen=True)
class ColumnDrift:
    """One entry of `drift.columns:`: a type, a test and a threshold, each optional."""

    type: str | None = None  # numerical | categorical (None: inferred from the data)
    test: str | None = None  # one of DRIFT_TESTS (None: Evidently's default for the column)
    threshold: float | None = None  # None: the test's default (0.05 p-value, 0.1 distance)
    ignore: bool = False


@dataclass(frozen=True)
class DriftOptions:
    """The `drift:` section."""

    share: float = 0.5  # the dataset drifts when at least this share of columns drift
    columns: dict[str, ColumnDrift] = field(default_factory=dict)
    max_columns: int = MAX_COLUMNS  # a wider table is refused before it is parsed
    max_cells: int = MAX_CELLS  # rows x columns of one table, so memory stays bounded


@dataclass(frozen=True)
class MonitorOptions:
    """The `monitor:` section: where `toolkit monitor` finds the data and the model."""

    model: str | None = None  # registry artifact name (None: any `*#prod` tag)
    reference: str = "data/prepared/train.csv"  # training data, read at the production revision
    current: str = "data/production/batch.csv"  # the production batch, in the workspace
    target: str | None = None  # label column (None: none, so no performance check)
    artifact: str = "models/model.pkl"  # the pickled model, read at the production revision
    metrics: str = "eval/metrics.json"  # the production version's own metrics
    threshold: float = 0.5  # probability at or above which the positive class is predicted
    issue_label: str = "model-monitoring"
    retrain: bool = False  # on drift, `--dispatch-retrain` starts retrain.yml


def _drift(path: Path, raw: Any, lines: dict[str, int]) -> DriftOptions:
    if raw is None:
        return DriftOptions()
    line = lines.get("drift")
    if not isinstance(raw, dict):
        raise _fail(path, line, "`drift:` must be a mapping with `share:` and/or `columns:`.")
    _check_keys(path, "drift", raw, ("share", "columns", "max_columns", "max_cells"), line)
    share = raw.get("share", 0.5)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise _fail(path, line, "`drift.share` must be a number above 0 and at most 1 (default 0.5).")
    columns_raw = raw.get("columns") or {}
    if not isinstance(columns_raw, dict):
        raise _fail(
            path, line, "`drift.columns` must map column names to a type or to {type, test, threshold}."
        )
    columns: dict[str, ColumnDrift] = {}
    for name, spec in columns_raw.items():
        columns[str(name)] = _column_drift(path, line, str(name), spec)
    max_columns = _count(path, line, raw, "max_columns", MAX_COLUMNS)
    max_cells = _count(path, line, raw, "max_cells", MAX_CELLS)
    return DriftOptions(share=float(share), columns=columns, max_columns=max_columns, max_cells=max_cells)


def _count(path: Path, line: int | None, raw: dict[str, Any], key: str, default: int) -> int:
    """A limit of `drift:`: a whole number of at least 1 (`1e9` is accepted as 1,000,000,000)."""
    value = raw.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(path, line, f"`drift.{key}` must be a whole number of at least 1 (default {default:,}).")
    return value


def _column_drift(path: Path, line: int | None, name: str, spec: Any) -> ColumnDrift:
    where = f"`drift.columns.{name}`"
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict):
        raise _fail(
            path, line, f"{where} must be `numerical`, `categorical` or a mapping of type, test, threshold."
        )
    _check_keys(path, f"drift.columns.{name}", spec, ("type", "test", "threshold", "ignore"), line)
    kind = spec.get("type")
    if kind is not None and kind not in COLUMN_TYPES:
        raise _fail(path, line, f"{where}: type must be numerical or categorical, not {kind!r}.")
    test = spec.get("test")
    if test is not None and test not in DRIFT_TESTS:
        raise _fail(path, line, f"{where}: test must be one of {', '.join(DRIFT_TESTS)}, not {test!r}.")
    if test in ("ks", "wasserstein") and kind == "categorical":
        raise _fail(path, line, f"{where}: the {test} test needs numbers; use chisquare, z or jensenshannon.")
    threshold = spec.get("threshold")
    if threshold is not None and (not is_finite_number(threshold) or threshold <= 0):
        raise _fail(path, line, f"{where}: threshold must be a positive number.")
    ignore = spec.get("ignore", False)
    if not isinstance(ignore, bool):
        raise _fail(path, line, f"{where}: ignore must be true or false.")
    return ColumnDrift(
        type=kind, test=test, threshold=None if threshold is None else float(threshold), ignore=ignore
    )


def _monitor(path: Path, raw: Any, lines: dict[str, int]) -> MonitorOptions:
    if raw is None:
        return MonitorOptions()
    line = lines.get("monitor")
    fields: tuple[str, ...] = ("model", "reference", "current", "target", "artifact", "metrics")
    fields += ("threshold", "issue_label", "retrain")
    if not isinstance(raw, dict):
        raise _fail(path, line, f"`monitor:` must be a mapping ({', '.join(fields)}).")
    _check_keys(path, "monitor", raw, fields, line)
    values: dict[str, Any] = {}
    for name in fields:
        if name not in raw:
            continue
        value = raw[name]
        if name == "retrain":
            if not isinstance(value, bool):
                raise _fail(path, line, "`monitor.retrain` must be true or false.")
            values[name] = value
        elif name == "threshold":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                raise _fail(path, line, "`monitor.threshold` must be a probability between 0 and 1.")
            values[name] = float(value)
        elif not isinstance(value, str) or not value.strip() or any(ord(c) < 32 for c in value):
            raise _fail(path, line, f"`monitor.{name}` must be a non-empty name or path.")
        else:
            values[name] = value.strip()
    return MonitorOptions(**values)


# --------------------------------------------------------------------------------------------
# ci: what `toolkit ci` does beyond the gates. The runner, timeout and AWS roles it once held come
# from repository variables now (which a pull request cannot change); a toolkit.yaml that still
# has them gets an error with the `gh variable set` lines for its values, never a silent default.

_CI_VARIABLES = {
    ("runs-on",): "TOOLKIT_RUNS_ON",
    ("timeout-minutes",): "TOOLKIT_TIMEOUT_MINUTES",
    ("aws", "region"): "TOOLKIT_AWS_REGION",
    ("aws", "read-role"): "TOOLKIT_AWS_READ_ROLE",
    ("aws", "write-role"): "TOOLKIT_AWS_WRITE_ROLE",
}


def _moved_ci(path: Path, raw: Any, line: int | None) -> ConfigError:
    """The error for a `ci:` section: where its settings live now, as commands."""
    import json

    from toolkit.scaffold import variable_lines

    values: dict[str, str] = {}
    for keys, name in _CI_VARIABLES.items():
        value = raw
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, list) and all(isinstance(x, str) for x in value):
            value = json.dumps(value)
        if isinstance(value, int | str) and not isinstance(value, bool):
            text = str(value)
            if text.isprintable() and 0 < len(text) <= 200:  # one plain line of the message
                values[name] = text
    lines = variable_lines(values=values) if values else variable_lines()
    return _fail(
        path, line,
        "`ci.runs-on`, `ci.timeout-minutes` and `ci.aws` are no longer read: the workflows take the "
        "runner, timeout and AWS roles from repository variables, which a pull request cannot "
        "change. Set them with these commands (GitHub CLI; or Settings > Secrets and variables > "
        "Actions), then delete those keys:\n"
        + "\n".join(f"  {line}" for line in lines),
    )


@dataclass(frozen=True)
class CiOptions:
    """The `ci:` section: what `toolkit ci` does beyond the gates."""

    # `toolkit ci` fails (exit 3) when the branch's committed dvc.lock/outputs are not what
    # `dvc repro` gives; false: a warning at the top of the report.
    fail_on_stale_results: bool = False


#: Keys of `ci:` that moved to repository variables (an error naming the variables).
_MOVED_CI_KEYS = ("runs-on", "timeout-minutes", "aws")


def _ci(path: Path, raw: Any, lines: dict[str, int]) -> CiOptions:
    if raw is None:
        return CiOptions()
    line = lines.get("ci")
    if not isinstance(raw, dict):
        raise _fail(path, line, "`ci:` must be a mapping (fail-on-stale-results).")
    if any(key in raw for key in _MOVED_CI_KEYS):
        raise _moved_ci(path, raw, line)
    _check_keys(path, "ci", raw, ("fail-on-stale-results",), line)
    fail_stale = raw.get("fail-on-stale-results", False)
    if not isinstance(fail_stale, bool):
        raise _fail(path, line, "`ci.fail-on-stale-results` must be true or false.")
    return CiOptions(fail_on_stale_results=fail_stale)


# --------------------------------------------------------------------------------------------
# secrets: param keys whose values no output shows


def _secrets(path: Path, raw: Any, lines: dict[str, int]) -> tuple[str, ...]:
    from toolkit.masking import DEFAULT_SECRET_KEYS, words

    if raw is None:
        return DEFAULT_SECRET_KEYS
    line = lines.get("secrets")
    if not isinstance(raw, dict):
        raise _fail(
            path, line, "`secrets:` must be a mapping (keys, defaults), e.g. `secrets: {keys: [dsn]}`."
        )
    _check_keys(path, "secrets", raw, ("keys", "defaults"), line)
    keys = raw.get("keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) and words(k) for k in keys):
        raise _fail(
            path, line, "`secrets.keys` must be a list of key names such as [dsn, connection_string]."
        )
    defaults = raw.get("defaults", True)
    if not isinstance(defaults, bool):
        raise _fail(path, line, "`secrets.defaults` must be true or false.")
    return (*(DEFAULT_SECRET_KEYS if defaults else ()), *keys)


# --------------------------------------------------------------------------------------------
# registry: which commits `toolkit model describe`/`deliver` act on (read from the default branch)


@dataclass(frozen=True)
class RegistryOptions:
    """The `registry:` section."""

    #: Deliver only registry tags on commits the default branch holds (reviewed, merged code).
    require_default_branch: bool = True


def _registry(path: Path, raw: Any, lines: dict[str, int]) -> RegistryOptions:
    if raw is None:
        return RegistryOptions()
    line = lines.get("registry")
    if not isinstance(raw, dict):
        raise _fail(path, line, "`registry:` must be a mapping (require-default-branch).")
    _check_keys(path, "registry", raw, ("require-default-branch",), line)
    value = raw.get("require-default-branch", True)
    if not isinstance(value, bool):
        raise _fail(path, line, "`registry.require-default-branch` must be true or false.")
    return RegistryOptions(require_default_branch=value)
