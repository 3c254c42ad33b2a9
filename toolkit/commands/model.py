"""`toolkit model ...`: the model registry (GTO tags), gated promotion, model card and delivery.

Thin: options in, `toolkit.registry` does the work, results printed here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from toolkit import output
from toolkit.errors import RegistryError

if TYPE_CHECKING:
    from toolkit.registry.operations import Plan

EXIT_GATE_FAILED = 3


def run(*, action: str, environ: Mapping[str, str], cwd: Path, **kwargs: Any) -> int:
    """Run `toolkit model ACTION`; return the exit code."""
    handler = _ACTIONS[action]
    code: int = handler(environ=environ, cwd=cwd, **kwargs)
    return code


def _root(cwd: Path) -> Path:
    from toolkit.git import find_root

    return find_root(cwd)


def register(
    *,
    name: str,
    ref: str | None,
    version: str | None,
    bump: str | None,
    message: str | None,
    push: bool,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Tag `NAME@vX.Y.Z` on REF (default HEAD)."""
    from toolkit.registry import operations, write

    if version and bump:
        raise click.UsageError("give either --version or --bump, not both.")
    root = _root(cwd)
    tag, version, sha = operations.register(root, name, ref, version, bump, message)
    output.write_line(f"Registered {name} {version} on {sha[:7]}: tag {tag}")
    if push:
        write.push(root, [tag])
        output.info(f"Pushed {tag} to origin.")
    return 0


def _print_gates(plan: Plan, base_label: str | None, head_label: str, *, rollback: bool = False) -> None:
    """The gate table; failures as FAIL lines, or for a rollback as warnings (it goes ahead)."""
    from toolkit.commands.gates import format_table, print_verdicts

    evaluation = plan.evaluation
    if not evaluation.results:
        output.write_line(f"No gates apply to stage {plan.stage} (toolkit.yaml `gates:` / `promotion:`).")
        return
    against = f"against {base_label}" if base_label else "(no version holds it yet: absolute rules only)"
    output.write_line(f"Gates for {head_label} -> {plan.stage} {against}:")
    output.write_line(format_table(evaluation.results))
    if not rollback:
        print_verdicts(evaluation.results)
        return
    for r in evaluation.results:
        if not r.passed or r.warning:
            output.warn(f"{head_label}: {' '.join(r.reason.split())} (toolkit.yaml line {r.line})")
    if evaluation.failed:
        output.warn(
            f"{head_label} fails {len(evaluation.failed)} gate(s); rolling back anyway (a rollback is "
            "the emergency exit): promote a fixed version when you have one."
        )


def promote(
    *,
    name: str,
    version: str | None,
    ref: str | None,
    stage: str,
    force: bool,
    reason: str | None,
    push: bool,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Assign STAGE to a registered version when the gates pass (or --force --reason)."""
    from toolkit.config import load_config
    from toolkit.registry import operations, write

    if (version is None) == (ref is None):
        raise click.UsageError("give exactly one of --version V or --ref REF.")
    if force and not (reason and reason.strip()):
        raise click.UsageError("--force needs --reason TEXT: it is recorded in the tag message.")
    root = _root(cwd)
    plan = operations.plan_promotion(root, load_config(root), name, stage, version, ref, environ)
    holder = plan.holder
    _print_gates(
        plan,
        f"{name} {holder.version} (holds {stage})" if holder else None,
        f"{name} {plan.candidate.version}",
    )
    failed = plan.evaluation.failed
    if failed and not force:
        output.write_line(
            f"Not promoted: {len(failed)} gate(s) failed. Fix the model, or override with "
            "--force --reason TEXT (recorded in the tag)."
        )
        return EXIT_GATE_FAILED
    tag = operations.apply_promotion(root, plan, reason)
    forced = " (forced past failed gates)" if failed else ""
    output.write_line(f"Promoted {name} {plan.candidate.version} to {stage}{forced}: tag {tag}")
    if push:
        write.push(root, [tag])
        output.info(f"Pushed {tag} to origin.")
    return 0


def rollback(
    *, name: str, stage: str, reason: str | None, push: bool, environ: Mapping[str, str], cwd: Path
) -> int:
    """Give STAGE to the version before the current one in its history (never one rolled back from)."""
    from toolkit.config import load_config
    from toolkit.registry import operations, write

    root = _root(cwd)
    plan = operations.plan_rollback(root, load_config(root), name, stage, environ)
    assert plan.holder is not None
    current, previous = plan.holder.version, plan.candidate.version
    _print_gates(plan, f"{name} {current} (holds {stage})", f"{name} {previous}", rollback=True)
    off, on = operations.apply_rollback(root, plan, reason)
    output.write_line(f"Rolled back {name} {stage}: {current} -> {previous} (tags {off}, {on})")
    if push:
        write.push(root, [off, on])
        output.info(f"Pushed {off} and {on} to origin.")
    return 0


def show(*, name: str | None, as_json: bool, environ: Mapping[str, str], cwd: Path) -> int:
    """The registry: latest version and stage holders of every artifact (gto show --json shape)."""
    from toolkit.registry import operations, state, tags, trust

    root = _root(cwd)
    if name is not None:
        tags.check_name(name)
    reg = state.load(root, environ)
    data = reg.show(name)
    if name is not None and name not in data:
        operations.load_artifact(reg, name)  # no tags: an error naming the ones with tags
        raise RegistryError(f"{name} is deprecated (its latest tag is `{name}@deprecated`).")
    shown = (e for n in data for e in reg.artifacts[n].events)
    for warning in trust.unreviewed_warnings(root, reg.default, shown):
        output.warn(warning)
    if as_json:
        output.write_line(json.dumps(data, indent=4))
        return 0
    if not data:
        output.write_line("No registered models yet; register one with `toolkit model register NAME`.")
        return 0
    stages = reg.stages()
    rows = [["name", "latest", *(f"#{s}" for s in stages)]]
    for n, d in sorted(data.items()):
        rows.append([n, d["version"] or "-", *(d["stage"][s] or "-" for s in stages)])
    output.write_line(_columns(rows))
    return 0


def history(*, name: str, as_json: bool, environ: Mapping[str, str], cwd: Path) -> int:
    """Every registry event of NAME, newest first (gto history --json fields)."""
    from toolkit.registry import operations, state, tags

    tags.check_name(name)
    reg = state.load(_root(cwd), environ)
    operations.load_artifact(reg, name)
    events = reg.history(name)
    if as_json:
        output.write_line(json.dumps(events, indent=4))
        return 0
    rows = [["timestamp", "event", "version", "stage", "commit", "ref"]]
    for e in events:
        rows.append(
            [e["timestamp"], e["event"], e["version"] or "-", e["stage"] or "-", e["commit"][:7], e["ref"]]
        )
    output.write_line(_columns(rows))
    return 0


def describe(*, ref: str, as_json: bool, environ: Mapping[str, str], cwd: Path) -> int:
    """What a registry tag means; in GitHub Actions also as step outputs."""
    from toolkit import actions
    from toolkit.registry import operations

    data = operations.describe(_root(cwd), ref, environ)
    if environ.get("GITHUB_OUTPUT"):
        keys = ("name", "version", "stage", "event", "commit", "tag", "path")
        actions.set_outputs(environ, {k: data.get(k) or "" for k in keys})
    if as_json:
        output.write_line(json.dumps(data, indent=4))
    else:
        stage = f" stage {data['stage']}" if "stage" in data else ""
        what = f"{data['event']} of {data['name']} {data['version']}{stage}"
        output.write_line(f"{data['tag']}: {what} at {data['commit'][:7]}")
    return 0


def _columns(rows: list[list[str]]) -> str:
    from toolkit.commands.diff import _one_line

    rows = [[_one_line(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def card(*, spec: str, output_file: Path | None, environ: Mapping[str, str], cwd: Path) -> int:
    """Write the model card of NAME@VERSION (or NAME#STAGE, NAME@latest) as Markdown."""
    from toolkit.registry import card as cards

    text = cards.build(_root(cwd), spec, environ)
    if output_file is None:
        output.write(text)
        return 0
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot write the model card to {output_file}: {exc.strerror or exc}.") from None
    output.info(f"Wrote the model card of {spec} to {output_file}")
    return 0


def deliver(*, ref: str, environ: Mapping[str, str], cwd: Path) -> int:
    """Publish a stage tag: release NAME@VERSION with the model, its sha256 and card; a deployment."""
    import toolkit.registry.card as cards
    import toolkit.registry.deliver as delivery

    root = _root(cwd)
    output.write_line(
        delivery.deliver(root, ref, environ, card=lambda spec: cards.build(root, spec, environ))
    )
    return 0


_ACTIONS: dict[str, Any] = {
    "register": register,
    "promote": promote,
    "rollback": rollback,
    "show": show,
    "history": history,
    "describe": describe,
    "card": card,
    "deliver": deliver,
}
