"""`toolkit new PATH`: scaffold a DVC + scikit-learn project with its CI workflows."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit import output, requirement, scaffold

if TYPE_CHECKING:
    from toolkit.remote import RemoteSpec


def _shown(path: Path, cwd: Path) -> str:
    """path relative to cwd when it is below it, else absolute; quoted for a shell."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return shlex.quote(str(path) if rel.startswith("..") else rel)


def run(
    *,
    path: Path,
    force: bool,
    no_git: bool,
    toolkit_requirement: str | None = None,
    remote_url: str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Create the project and print what was made and what to do next."""
    from toolkit import remote as remotes

    spec = remotes.parse(remote_url, endpoint_url, region) if remote_url is not None else None
    toolkit = requirement.resolve(toolkit_requirement)
    enclosing = _enclosing_repo(cwd / path)
    made = scaffold.create(
        path, force=force, git=not no_git, environ=environ, cwd=cwd, toolkit_requirement=toolkit.spec,
        remote=spec,
    )
    where = _shown(made.root, cwd)
    output.write_line(f"Created {made.root} ({len(made.files)} files):")
    for rel in made.files:
        output.write_line(f"  {rel}")
    if made.git and made.commit:
        verb = "initialized git on branch main" if made.new_repo else "used the existing git repo"
        output.write_line(f"{verb.capitalize()}, ran dvc init, committed {made.commit[:7]}.")
    if spec is not None and made.git:
        output.write_line(
            f"DVC remote `{scaffold.REMOTE_NAME}` (default): {spec.url}"
            + (f" at {spec.endpoint_url}" if spec.endpoint_url else "")
            + " (no credentials written; `toolkit remote check` tests it)."
        )
    if made.storage is not None:
        output.write_line(
            f"DVC remote `{scaffold.REMOTE_NAME}` (default): {made.storage} (a local folder; "
            "see the README to use shared storage)."
        )
    if enclosing is not None:
        output.warn(
            f"{made.root} is {'' if enclosing == made.root else 'inside '}the existing git repository "
            f"{enclosing}; to add the CI "
            "workflows and toolkit.yaml to a DVC project there instead, run "
            f"`toolkit init {shlex.quote(str(enclosing))}`."
        )

    output.write_line(f"requirements.txt installs the toolkit as: {toolkit.spec}")
    if toolkit.warning:
        output.warn(toolkit.warning)

    output.write_line("")
    output.write_line("Next steps:")
    for step in _next_steps(made, spec, toolkit, where, environ):
        output.write_line(f"  {step}")
    output.write_line(
        "Then push to GitHub: pull requests get a metrics report comment and quality gates "
        "(toolkit.yaml)."
    )
    output.write(scaffold.variables_note(spec))
    return 0


def _next_steps(made: scaffold.Scaffold, spec: RemoteSpec | None, toolkit: requirement.Requirement,
                where: str, environ: Mapping[str, str]) -> list[str]:
    """Commands that work as printed, in order, in the situation `toolkit new` left."""
    storage = scaffold.storage_name(made.root)
    steps = [f"cd {where}"]
    if not made.git:
        steps += ["git init -b main && dvc init"]
        if spec is None:
            steps += [f"mkdir -p ../{storage} && dvc remote add -d {scaffold.REMOTE_NAME} ../{storage}"]
        else:
            steps += [f"dvc remote add -d {scaffold.REMOTE_NAME} {shlex.quote(spec.url)}"]
            if spec.endpoint_url:
                endpoint = shlex.quote(spec.endpoint_url)
                steps += [f"dvc remote modify {scaffold.REMOTE_NAME} endpointurl {endpoint}"]
            if spec.region:
                steps += [f"dvc remote modify {scaffold.REMOTE_NAME} region {spec.region}"]
    if toolkit.installable:
        steps += ["pip install -r requirements.txt   # the project's needs, the toolkit included"]
    else:
        # pip cannot install the toolkit's line (see the warning); the toolkit runs here already.
        steps += [
            "grep -viE '^mlops[-_.]toolkit' requirements.txt | pip install -r /dev/stdin"
            "   # all but the toolkit, which is installed here"
        ]
    steps += ["toolkit repro                     # prepare, train, evaluate (seconds)"]
    if not scaffold.has_identity(made.root, environ):
        steps += ['git config user.name "Your Name" && git config user.email you@example.com']
    steps += ['git add -A && git commit -m "Reproduce the pipeline"   # dvc.lock and eval/']
    if spec is not None and spec.is_s3:
        steps += ["toolkit remote check && dvc push  # once the remote's credentials are set"]
    else:
        steps += ["dvc push                          # the data and model to the DVC remote"]
    return steps


def _enclosing_repo(path: Path) -> Path | None:
    """The existing git repository PATH is inside, if any (adopting it is `toolkit init`'s job)."""
    from toolkit.errors import ToolkitError
    from toolkit.git import find_root

    existing = path if path.is_dir() else path.parent
    while not existing.is_dir() and existing != existing.parent:
        existing = existing.parent
    try:
        return find_root(existing).resolve()
    except ToolkitError:
        return None
