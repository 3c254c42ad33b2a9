"""Quality gates: the `gates:` of toolkit.yaml evaluated on a comparison.

A gate names a metric (`key`, or `path:key` when the key is in several files) and one or more
rules; each rule gives one GateResult. Rules: `min` (head >= X), `max` (head <= X), `max_drop`
(head may be worse than base by at most X, in the metric's bad direction) and `max_drop_pct`
(the same, as a percentage of |base|).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from toolkit.config import Config, GateSpec
from toolkit.errors import ConfigError, GateError
from toolkit.metrics import format_number, is_finite_number, is_number, non_finite_text
from toolkit.results import Comparison, Direction, Entry, GateResult

RULES = ("min", "max", "max_drop", "max_drop_pct")
_OTHER_FIELDS = ("metric", "direction")
# Thresholds and values come from decimal text; 0.9 - 0.89 is 0.010000000000000009, which must
# still pass `max_drop: 0.01`. Compare with a tolerance far below any meaningful metric change.
_REL_TOL = 1e-9
_ABS_TOL = 1e-12


@dataclass(frozen=True)
class _Rule:
    name: str
    threshold: float

    @property
    def text(self) -> str:
        return f"{self.name} {format_number(self.threshold)}"


def evaluate(config: Config, comparison: Comparison) -> list[GateResult]:
    """One GateResult per rule of every gate in `config`, in toolkit.yaml order."""
    results: list[GateResult] = []
    for gate in config.gates:
        metric, rules, direction = _parse(config, gate)
        entry = _resolve(config, gate, metric, comparison)
        results.extend(_check(config, gate, metric, entry, rule, direction, comparison) for rule in rules)
    return results


def validate(config: Config, declared: Sequence[str]) -> None:
    """Check every gate before the pipeline runs: its rules, and a `path:key` path is declared.

    `declared` are the metrics paths (files or folders) of the workspace's dvc.yaml files. A
    bare key cannot be checked yet (the pipeline may add it); a gate naming an undeclared file
    can never pass, so it fails now, in seconds instead of after a training run.
    """
    for gate in config.gates:
        metric, _, _ = _parse(config, gate)
        left, sep, _ = metric.rpartition(":")
        left = left.removeprefix("./")
        if not sep or not left.lower().endswith(_METRIC_SUFFIXES):
            continue
        if any(left == d or left.startswith(d.rstrip("/") + "/") for d in declared):
            continue
        near = difflib.get_close_matches(left, list(declared), n=3, cutoff=0.5)
        hint = (
            f"did you mean {', '.join(f'`{n}`' for n in near)}?"
            if near
            else f"the declared metrics files are {', '.join(declared[:5]) or 'none'}."
        )
        raise GateError(
            f"the gate on `{metric}` ({_where(config, gate)}) names {left}, which no dvc.yaml "
            f"declares as metrics; fix `metric:` in toolkit.yaml: {hint}"
        )


_METRIC_SUFFIXES = (".json", ".yaml", ".yml", ".toml")


def failed(results: Sequence[GateResult]) -> list[GateResult]:
    """The results that did not pass."""
    return [r for r in results if not r.passed]


# --- toolkit.yaml validation -------------------------------------------------------------------


def _where(config: Config, gate: GateSpec) -> str:
    name = str(config.path) if config.path else "toolkit.yaml"
    return f"{name}, line {gate.line}"


def _parse(config: Config, gate: GateSpec) -> tuple[str, list[_Rule], Direction | None]:
    spec = gate.spec
    where = _where(config, gate)
    metric = spec.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        raise ConfigError(
            f"{where}: a gate needs `metric: NAME` (a metric key, or path:key); "
            "for example `- metric: roc_auc`."
        )
    metric = metric.strip()
    unknown = [str(k) for k in spec if k not in RULES and k not in _OTHER_FIELDS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown gate rule `{unknown[0]}` for metric `{metric}`; "
            f"use one of {', '.join(RULES)} (and optionally direction: higher|lower)."
        )
    rules: list[_Rule] = []
    for name in RULES:
        if name not in spec:
            continue
        raw = spec[name]
        if not is_finite_number(raw):
            shown = non_finite_text(raw) if is_number(raw) else repr(raw)
            raise ConfigError(
                f"{where}: `{name}` of the gate on `{metric}` must be a number, not {shown}; "
                f"for example `{name}: 0.01`."
            )
        if name in ("max_drop", "max_drop_pct") and raw < 0:
            raise ConfigError(
                f"{where}: `{name}` of the gate on `{metric}` must be 0 or more, not {format_number(raw)}; "
                "it is how far the metric may get worse."
            )
        rules.append(_Rule(name, float(raw)))
    if not rules:
        raise ConfigError(
            f"{where}: the gate on `{metric}` has no rule; add one of {', '.join(RULES)}, "
            "for example `max_drop: 0.01`."
        )
    direction = spec.get("direction")
    if direction is not None and direction not in ("higher", "lower"):
        raise ConfigError(
            f"{where}: `direction` of the gate on `{metric}` must be `higher` or `lower`, not {direction!r}."
        )
    return metric, rules, direction


# --- metric resolution -------------------------------------------------------------------------


def _known_paths(comparison: Comparison) -> set[str]:
    paths = {e.path for e in comparison.metrics}
    paths.update(p.path for p in comparison.problems)
    return paths


def split_metric(metric: str, paths: set[str]) -> tuple[str | None, str]:
    """`path:key` -> (path, key) using the last ':' whose left side is a known path; else (None, metric)."""
    for i in range(len(metric) - 1, 0, -1):
        if metric[i] != ":":
            continue
        left = metric[:i].removeprefix("./")
        if left in paths:
            return left, metric[i + 1 :]
    return None, metric


def _resolve(config: Config, gate: GateSpec, metric: str, comparison: Comparison) -> Entry | None:
    """The entry the gate names; None when its file could not be read (the gate then fails)."""
    paths = _known_paths(comparison)
    path, key = split_metric(metric, paths)
    if path is not None:
        for e in comparison.metrics:
            if e.path == path and e.key == key:
                return e
        if any(p.path == path for p in comparison.problems):
            return None
        raise _unknown(config, gate, metric, comparison, f"`{path}` has no key `{key}`")
    matches = [e for e in comparison.metrics if e.key == key]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        files = ", ".join(e.path for e in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise GateError(
            f"the gate on `{metric}` ({_where(config, gate)}) is ambiguous: `{key}` is in "
            f"{len(matches)} metrics files ({files}); name one as path:key, "
            f"for example `metric: {matches[0].path}:{key}`."
        )
    raise _unknown(config, gate, metric, comparison, "no metrics file has it")


def _unknown(config: Config, gate: GateSpec, metric: str, comparison: Comparison, why: str) -> GateError:
    candidates = sorted(
        {f"{e.path}:{e.key}" for e in comparison.metrics} | {e.key for e in comparison.metrics}
    )
    near = difflib.get_close_matches(metric, candidates, n=5, cutoff=0.5)
    if not near:
        near = difflib.get_close_matches(metric.rsplit(":", 1)[-1], candidates, n=5, cutoff=0.5)
    hint = (
        f"did you mean {', '.join(f'`{n}`' for n in near)}?"
        if near
        else "run `toolkit diff --all` to list the metrics."
    )
    unread = sorted({p.path for p in comparison.problems})
    if unread:
        hint += f" ({len(unread)} metrics file(s) could not be read, e.g. {unread[0]}: it may be there.)"
    return GateError(
        f"the gate on `{metric}` ({_where(config, gate)}) names a metric that does not exist "
        f"({why}); fix `metric:` in toolkit.yaml: {hint}"
    )


# --- evaluation --------------------------------------------------------------------------------


def _le(a: float, b: float) -> bool:
    """a <= b, allowing for the rounding of decimal text."""
    return a <= b or math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def _check(
    config: Config,
    gate: GateSpec,
    metric: str,
    entry: Entry | None,
    rule: _Rule,
    direction_override: Direction | None,
    comparison: Comparison,
) -> GateResult:
    path, key = (entry.path, entry.key) if entry else split_metric(metric, _known_paths(comparison))
    base_raw = entry.old if entry else None
    head_raw = entry.new if entry else None

    def result(passed: bool, reason: str, *, warning: bool = False) -> GateResult:
        return GateResult(
            metric=metric,
            path=path,
            key=key,
            rule=rule.text,
            base=base_raw,
            head=head_raw,
            passed=passed,
            reason=reason,
            line=gate.line,
            warning=warning,
        )

    if not is_finite_number(head_raw):
        if head_raw is None:
            problem = next(
                (p for p in comparison.problems if p.path == path and p.revision == comparison.head.name),
                None,
            ) or next((p for p in comparison.problems if p.path == path), None)
            why = f": {problem.message}" if problem else ""
            return result(False, f"{metric} is missing at head, so `{rule.text}` cannot pass{why}")
        if is_number(head_raw):  # NaN, infinite or beyond float range: what a diverged run writes
            return result(
                False,
                f"{metric} is {non_finite_text(head_raw)} at the head: a diverged or broken run "
                f"cannot pass `{rule.text}`",
            )
        return result(False, f"{metric} is {head_raw!r} at head, not a number, so `{rule.text}` cannot pass")

    head = float(head_raw)
    t = rule.threshold
    shown = format_number(head)
    if rule.name == "min":
        if _le(t, head):
            return result(True, f"{metric} is {shown}, at least the minimum {format_number(t)}")
        return result(False, f"{metric} is {shown}, below the minimum {format_number(t)}")
    if rule.name == "max":
        if _le(head, t):
            return result(True, f"{metric} is {shown}, at most the maximum {format_number(t)}")
        return result(False, f"{metric} is {shown}, above the maximum {format_number(t)}")

    if is_number(base_raw) and not is_finite_number(base_raw):
        # A broken base: nothing to measure a drop against, and the head fixing it must not fail.
        return result(
            True,
            f"{metric} is {non_finite_text(base_raw)} at the base, so `{rule.text}` cannot be "
            f"computed against it; it passes unchecked (the head is {shown})",
            warning=True,
        )
    if not is_finite_number(base_raw):
        what = "no base value" if base_raw is None else f"a non-numeric base value ({base_raw!r})"
        return result(True, f"{metric} has {what} to compare with, so `{rule.text}` passes")
    base = float(base_raw)
    direction: Direction = (
        direction_override
        or (entry.direction if entry and entry.direction else None)
        or config.direction_for(path or "", key)
    )
    # How much worse head is than base: a fall for higher-is-better, a rise for lower-is-better.
    worse_by = base - head if direction == "higher" else head - base
    verb = "fell" if direction == "higher" else "rose"
    if worse_by <= 0 or math.isclose(worse_by, 0.0, abs_tol=_ABS_TOL):
        return result(
            True, f"{metric} did not get worse ({format_number(base)} → {shown}, {direction} is better)"
        )
    if rule.name == "max_drop":
        amount = format_number(worse_by) if math.isfinite(worse_by) else _exact_drop(base, head, direction)
        if _le(worse_by, t):
            return result(True, f"{metric} {verb} by {amount}, within max_drop {format_number(t)}")
        return result(
            False,
            f"{metric} {verb} by {amount} ({format_number(base)} → {shown}), "
            f"more than max_drop {format_number(t)}",
        )
    # max_drop_pct
    if base == 0:
        return result(False, f"{metric} {verb} from 0 to {shown}; a change from 0 exceeds any max_drop_pct")
    pct = worse_by / abs(base) * 100
    from toolkit.metrics import format_percent

    amount = (
        format_percent(pct / 100, sign=False)  # one percent format everywhere
        if math.isfinite(pct)
        else _exact_drop(base, head, direction, percent=True)
    )
    if _le(pct, t):
        return result(True, f"{metric} {verb} by {amount}, within max_drop_pct {format_number(t)}%")
    return result(
        False,
        f"{metric} {verb} by {amount} ({format_number(base)} → {shown}), "
        f"more than max_drop_pct {format_number(t)}%",
    )


def _exact_drop(base: float, head: float, direction: Direction, *, percent: bool = False) -> str:
    """The drop (or its percentage of |base|) where float arithmetic overflows, from values near
    1.8e308 or a base near 0, computed exactly for the message: `3.4e+308`, `200.0%`, never `inf`."""
    from fractions import Fraction

    from toolkit.metrics import format_percent

    worse = Fraction(base) - Fraction(head) if direction == "higher" else Fraction(head) - Fraction(base)
    if percent:
        worse = worse / abs(Fraction(base))
    try:
        return format_percent(float(worse), sign=False) if percent else format_number(float(worse))
    except OverflowError:  # beyond float range as well
        return format_number(int(worse * 100 if percent else worse)) + ("%" if percent else "")
