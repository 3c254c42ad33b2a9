"""`toolkit init [PATH] [--dry-run]`: adopt an existing git + DVC repo (see toolkit/adopt.py)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit import output

if TYPE_CHECKING:
    from toolkit.adopt import Plan


def run(
    *,
    path: Path | None,
    dry_run: bool,
    toolkit_requirement: str | None = None,
    branch: str | None = None,
    remote_url: str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Print the plan, then (unless --dry-run) write it and print the `git add` line."""
    from toolkit import adopt, requirement, scaffold
    from toolkit import remote as remotes

    toolkit = requirement.resolve(toolkit_requirement)
    spec = remotes.parse(remote_url, endpoint_url, region) if remote_url is not None else None
    target = cwd / path if path is not None else cwd
    plan = adopt.plan(target, toolkit.spec, spec, branch)
    sub = plan.dvc_root.relative_to(plan.git_root).as_posix()
    where = plan.git_root if sub == "." else f"{plan.git_root} (DVC project in {sub})"
    output.write_line(f"toolkit init plan for {where}:")
    taken = set(adopt.conflicts(plan))
    for change in plan.changes:
        rel = plan.rel(change.path)
        mark = "  (exists: refused)" if rel in taken else ""
        output.write_line(f"  {change.action:<6} {rel}: {change.why}{mark}")
    for note in plan.notes:
        output.write_line(f"  note: {note}")
    _say_branch(plan)
    if toolkit.warning:
        output.warn(toolkit.warning)
    if dry_run:
        output.write_line("Dry run: nothing was written.")
        adopt.check(plan)  # the same refusal a real run would give
        return 0
    adopt.apply(plan, environ)
    paths = [_shown(change.path, cwd) for change in plan.changes if change.path not in plan.force_add]
    forced = [_shown(path, cwd) for path in sorted(plan.force_add)]
    output.write_line("Written; nothing was committed. Review, then commit:")
    if paths:
        output.write_line(f"  git add -- {' '.join(paths)}")
    if forced:
        output.write_line(f"  git add -f -- {' '.join(forced)}   # ignored by .gitignore")
    if not scaffold.has_identity(plan.git_root, environ):
        output.write_line('  git config user.name "Your Name" && git config user.email you@example.com')
    output.write_line('  git commit -m "Adopt mlops-toolkit: CI workflows and toolkit.yaml"')
    output.write(scaffold.variables_note(spec))
    return 0


def _say_branch(plan: Plan) -> None:
    """Which branch the workflows and toolkit.yaml name, why, and how to pick another."""
    from toolkit import adopt

    branch = plan.branch
    uses = "main.yml runs on pushes to it" + (
        f", and toolkit.yaml's `base: {branch.name}` makes it what local diffs compare against"
        if branch.name != "main" else ""
    )
    text = f"default branch: {branch.name} ({branch.source}); {uses}."
    if branch.source != adopt.GIVEN:
        text += " Another: pass --branch NAME."
    if branch.assumed:
        output.warn(f"no default branch is known, so it is assumed: {text}")
    else:
        output.write_line(f"  {text[0].upper()}{text[1:]}")


def _shown(path: Path, cwd: Path) -> str:
    rel = os.path.relpath(path, cwd)
    return shlex.quote(rel)
