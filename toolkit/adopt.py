"""`toolkit init`: adopt an existing git + DVC repository (a plan of changes, then the writes).

Only what is missing is added, and nothing else is touched: the CI workflows `toolkit new`
writes (rendered by toolkit/scaffold.py, with the DVC root's `working-directory` when it is a
subfolder, and the repository's default branch), a toolkit.yaml in the DVC root whose gate
suggestions (drawn from the metrics the repo declares) are left commented out, with `base:` when
the default branch is not `main`, and the toolkit (and the DVC extra for the repo's remote) in the
requirements file the workflows install (toolkit/installs.py chooses it). The plan is built
completely before the first write, and refused as a whole when a file it would create exists.
Each kind of change is one small function returning `Change`s, so another (a DVC remote, say) is
one more function in `plan()`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from toolkit import scaffold
from toolkit.errors import ScaffoldError, ToolkitError

if TYPE_CHECKING:
    from toolkit.remote import RemoteSpec

#: The workflows an adopted repo gets: the pull-request check, its comment, the main pipeline.
#: (deploy/monitor/retrain need the scaffold's model registry and production batch.)
WORKFLOWS = (
    ".github/workflows/pull-request.yml",
    ".github/workflows/pr-comment.yml",
    ".github/workflows/main.yml",
)
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Change:
    """One file `toolkit init` creates or appends to, or the DVC remote it sets (`--remote`)."""

    path: Path  # absolute
    action: Literal["create", "append", "remote"]
    content: bytes  # the whole file (create) or the text added at its end (append)
    why: str  # shown in the plan


@dataclass(frozen=True)
class Branch:
    """The repository's default branch, and how it was found (shown to the user)."""

    name: str
    source: str  # "origin's HEAD", "the checked-out branch", ...
    assumed: bool = False  # nothing named it: a guess the user should check


GIVEN = "--branch"


def _given_branch(git_root: Path, name: str) -> Branch:
    """`--branch NAME`, when git accepts NAME as a branch name."""
    from toolkit import git

    done = None if name.startswith("-") else git.run(git_root, "check-ref-format", "--branch", name)
    if done is None or done.returncode != 0 or done.stdout.decode(errors="replace").strip() != name:
        raise ToolkitError(
            f"--branch {name!r} is not a valid git branch name; pass the name of the branch pull "
            "requests merge into, such as main or master."
        )
    return Branch(name, GIVEN)


#: What the workflows may hold as a branch name: it lands in YAML and in `run:` lines, so no
#: quote, bracket, `$`, `{` or space (all valid in git branch names).
_SAFE_BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]*$")


def _safe(branch: Branch) -> Branch:
    if not _SAFE_BRANCH.match(branch.name):
        given = branch.source == GIVEN
        raise ToolkitError(
            f"{'--branch' if given else f'the default branch ({branch.source})'} {branch.name!r} "
            "has characters the workflows cannot hold safely (letters, digits and . _ / + - only); "
            + ("pass another." if given else "pass --branch NAME with the branch pull requests merge into.")
        )
    return branch


#: Names a default branch usually has: preferred, in this order, over a feature branch checked out.
CONVENTIONAL_BRANCHES = ("main", "master", "develop", "trunk")


def default_branch(git_root: Path) -> Branch:
    """origin's HEAD, else the checked-out branch when it is a usual default name (or nothing
    better is known), else the one usual name among the branches; HEAD may be detached or unborn."""
    from toolkit import git

    done = git.run(git_root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    ref = done.stdout.decode(errors="replace").strip()
    prefix = "refs/remotes/origin/"
    if done.returncode == 0 and ref.startswith(prefix) and len(ref) > len(prefix):
        return Branch(ref.removeprefix(prefix), "origin's HEAD")
    current = git.current_branch(git_root)  # also before the first commit
    if current in CONVENTIONAL_BRANCHES:
        return Branch(current, "the checked-out branch")
    listed = git.run(git_root, "for-each-ref", "--format=%(refname)", "refs/heads/", prefix)
    refs = listed.stdout.decode(errors="replace").split() if listed.returncode == 0 else []
    known = {r.removeprefix("refs/heads/").removeprefix(prefix) for r in refs}
    usual = [name for name in CONVENTIONAL_BRANCHES if name in known]
    if len(usual) == 1:
        return Branch(usual[0], f"the one branch here named {' or '.join(CONVENTIONAL_BRANCHES)}")
    if usual:
        return Branch(usual[0], f"the first of the branches {', '.join(usual)}", assumed=True)
    if current:
        return Branch(current, "the checked-out branch", assumed=True)
    local = [r.removeprefix("refs/heads/") for r in refs if r.startswith("refs/heads/")]
    if len(local) == 1:
        return Branch(local[0], "the only branch (HEAD is detached)")
    return Branch(scaffold.BRANCH, "HEAD is detached and no branch is named like a default", assumed=True)


@dataclass
class Plan:
    """Everything `toolkit init` would do in one repository."""

    git_root: Path
    dvc_root: Path
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    branch: Branch = field(default_factory=lambda: Branch("main", "assumed"))
    remote: RemoteSpec | None = None  # `--remote`: set as the DVC default remote
    existing_remote: str | None = None  # the default remote the repo already has, if any
    force_add: set[Path] = field(default_factory=set)  # created files git ignores (`git add -f`)
    has_origin: bool = False  # the git repo has a remote named origin

    def rel(self, path: Path) -> str:
        """path relative to the git root, with forward slashes."""
        return path.relative_to(self.git_root).as_posix()


def _rel(path: Path, start: Path) -> str:
    rel = path.relative_to(start).as_posix()
    return "." if rel in ("", ".") else rel


def plan(path: Path, toolkit_requirement: str, remote: RemoteSpec | None = None,
         branch: str | None = None) -> Plan:
    """What `toolkit init` would change in the repo around `path` (nothing is written here)."""
    from toolkit import dvc, git

    dvc_root = dvc.find_root(path).resolve()
    git_root = git.find_root(dvc_root).resolve()
    chosen = _safe(_given_branch(git_root, branch) if branch is not None else default_branch(git_root))
    result = Plan(git_root=git_root, dvc_root=dvc_root, branch=chosen, remote=remote)
    result.has_origin = git.run(git_root, "remote", "get-url", "origin").returncode == 0
    requirements, req_change = _requirements(result, toolkit_requirement)
    result.changes += _workflows(result, toolkit_requirement, requirements)
    result.changes += _toolkit_yaml(result)
    result.changes += req_change
    result.changes += _remote(result)
    return result


def conflicts(p: Plan) -> list[str]:
    """Files the plan would create that already exist (relative to the git root)."""
    found = []
    for change in p.changes:
        if change.action == "create" and (change.path.exists() or change.path.is_symlink()):
            found.append(p.rel(change.path))
        if change.action == "remote" and p.existing_remote:
            found.append(f"a default DVC remote ({p.existing_remote})")
    return found


def _requirements(p: Plan, spec: str) -> tuple[Path, list[Change]]:
    """The requirements file the workflows install, and the lines it lacks: the toolkit, and
    DVC's extra for the remote (`--remote`, else the default remote the repo has)."""
    from toolkit import dvc, installs
    from toolkit.requirement import names_toolkit

    url = p.remote.url if p.remote is not None else None
    if url is None:
        existing = dvc.default_remote(p.dvc_root)
        url = existing.url if existing is not None else None
    extra = installs.dvc_extra(url) if url else None
    choice = installs.choose(p.git_root, p.dvc_root)
    p.notes += choice.notes
    if choice.ignored:
        p.force_add.add(choice.path)
    candidate = choice.path
    if choice.exists:
        text = candidate.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()
        wanted = [] if any(names_toolkit(line) for line in lines) else [spec]
        if not wanted:
            p.notes.append(f"{p.rel(candidate)} already installs the toolkit.")
        if extra and not installs.satisfied(lines, extra):
            wanted.append(installs.extra_line(lines, extra))
        if not wanted:
            return candidate, []
        lead = "" if not text or text.endswith("\n") else "\n"
        why = f"add {', '.join(f'`{w}`' for w in wanted)} (the workflows install this file)"
        added = lead + "".join(f"{w}\n" for w in wanted)
        return candidate, [Change(candidate, "append", added.encode(), why)]
    dvc_line = installs.extra_line([], extra) if extra else None
    body = (
        "# What the CI workflows install (`pip install -r`): add what your pipeline's stages need.\n"
        f"{spec}\n" + (f"{dvc_line}\n" if dvc_line else "")
    )
    why = f"installs `{spec}`" + (f" and `{dvc_line}`" if dvc_line else "") + " in the workflows"
    return candidate, [Change(candidate, "create", body.encode(), why)]


def _remote(p: Plan) -> list[Change]:
    """`--remote`: the DVC default remote (in .dvc/config, never a credential)."""
    if p.remote is None:
        return []
    from toolkit import dvc

    current = dvc.default_remote(p.dvc_root)
    if current is not None:
        p.existing_remote = f"`{current.name}`: {current.url}"
    why = f"DVC default remote `{scaffold.REMOTE_NAME}`: {p.remote.url} (no credentials written)"
    return [Change(p.dvc_root / ".dvc" / "config", "remote", b"", why)]


def _workflows(p: Plan, spec: str, requirements: Path) -> list[Change]:
    sub = _rel(p.dvc_root, p.git_root)
    files = scaffold.render(
        p.dvc_root,
        spec,
        remote=p.remote,
        overrides={
            "working_directory": sub,
            "dvc_prefix": "" if sub == "." else sub + "/",
            "requirements_file": p.rel(requirements),
            "default_branch": p.branch.name,
        },
    )
    where = "" if sub == "." else f" (in {sub})"
    return [
        Change(p.git_root / name, "create", files[name], f"runs `toolkit` on GitHub Actions{where}")
        for name in WORKFLOWS
    ]


def _toolkit_yaml(p: Plan) -> list[Change]:
    from toolkit import compare, config
    from toolkit.metrics import is_finite_number

    try:
        found = compare.workspace_metrics(p.dvc_root)
    except ToolkitError as exc:  # a broken dvc.yaml: still adopt, without suggestions
        p.notes.append(f"no gate suggestions: {exc.message}")
        found = {}
    ranked: list[tuple[int, str, str, Any]] = []
    for path, values in found.items():
        for key, value in values.items():
            if not is_finite_number(value):  # NaN, inf, an integer beyond float range: no gate
                continue
            if config.is_known_metric(key):  # `step`, `test_rows`: no gate to suggest
                ranked.append((0, path, key, value))
    ranked.sort(key=lambda r: (r[0], r[1].count("/"), r[1], r[2]))
    lines = [
        "# Settings for `toolkit ci` / `toolkit gates` (written by `toolkit init`). Every setting is",
        "# optional. A gate fails the pull-request check (exit code 3) when a metric breaks its rule.",
    ]
    if ranked:
        lines += [
            "# Suggested from the metrics this repository declares; uncomment the ones you want:",
            "# gates:",
        ]
        for _, path, key, value in ranked[:MAX_SUGGESTIONS]:
            direction = config.infer_direction(key)
            lines += [
                f"#   - metric: {path}:{key}    # now {value:.6g}, {direction} is better",
                "#     max_drop_pct: 1    # may get at most 1% worse than on the base branch",
            ]
        why = f"{min(len(ranked), MAX_SUGGESTIONS)} gate suggestions, commented out"
    else:
        lines += [
            "# No well-known metric (accuracy, auc, f1, loss, rmse, ...) was found in the workspace;",
            "# run `dvc repro` first, or name a metric yourself:",
            "# gates:",
            "#   - metric: PATH:KEY",
            "#     max_drop: 0.01",
        ]
        why = "commented-out settings"
    if p.branch.name != scaffold.BRANCH:
        lines += [
            "",
            f"# The default branch ({p.branch.source}): what `toolkit diff`, `report` and `gates`",
            "# compare against without --base (a pull request's check uses the PR's own base).",
            f"base: {_yaml_scalar(p.branch.name)}",
        ]
        why += f"; `base: {p.branch.name}`"
    text = "\n".join(lines) + "\n"
    return [Change(p.dvc_root / config.FILENAME, "create", text.encode(), why)]


def _yaml_scalar(text: str) -> str:
    """text as one YAML scalar that reads back as the same string."""
    import yaml

    dumped: str = yaml.safe_dump(text, default_flow_style=True, width=10_000)
    return dumped.removesuffix("\n...\n").strip()


def check(p: Plan) -> None:
    """Refuse the plan, naming each file, when a file it would create exists."""
    found = conflicts(p)
    if found:
        raise ScaffoldError(
            f"{', '.join(found)} already exist{'s' if len(found) == 1 else ''} in {p.git_root}; "
            "toolkit init changes no existing file or setting, so nothing was written. Move "
            f"{'it' if len(found) == 1 else 'them'} away, or leave out the option that needs it "
            "(or keep yours and skip `toolkit init`)."
        )


def apply(p: Plan, environ: Mapping[str, str] | None = None) -> None:
    """Write the plan; refuses (writing nothing) when a file it would create exists."""
    check(p)
    for change in p.changes:
        if change.action == "remote":
            from toolkit import remote

            assert p.remote is not None
            remote.configure(p.dvc_root, p.remote, environ if environ is not None else os.environ)
            continue
        change.path.parent.mkdir(parents=True, exist_ok=True)
        if change.action == "create":
            with open(change.path, "xb") as fh:
                fh.write(change.content)
        else:
            with open(change.path, "ab") as fh:
                fh.write(change.content)
