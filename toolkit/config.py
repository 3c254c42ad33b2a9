"""toolkit.yaml: optional settings (gates, metric directions, base override, report options)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

from toolkit.errors import ConfigError
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

    def direction_for(self, path: str, key: str) -> Direction:
        """Direction set for `path:key` or `key` in toolkit.yaml, else inferred from the name."""
        for name in (f"{path}:{key}", key):
            if name in self.directions:
                return self.directions[name]
        return infer_direction(key)


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
    known = {"gates", "metrics", "base", "report", "promotion"}
    for key in data:
        if key not in known:
            raise _fail(
                path, lines.get(str(key)), f"unknown setting `{key}`; expected one of {sorted(known)}."
            )

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
    )


def _top_level_lines(node: yaml.Node | None) -> dict[str, int]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


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
    unknown = set(raw) - {"id", "plots", "dag", "max_rows", "production"}
    if unknown:
        raise _fail(
            path,
            line,
            f"unknown report option(s) {sorted(unknown)}; expected id, plots, dag, max_rows, production.",
        )
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
