"""`toolkit new`: render templates/project/ into a folder, then git init, dvc init and commit.

Everything is checked before the first write (non-empty folder, conflicts, missing git); a failure
after that removes exactly what this run created, so no half-made project is left behind.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit import __version__, proc
from toolkit.errors import ScaffoldError, ToolkitError
from toolkit.resources import templates_dir

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

    from toolkit.remote import RemoteSpec

#: Files ending in this are Jinja2 templates (rendered, suffix dropped); others are copied as-is.
TEMPLATE_SUFFIX = ".j2"
PYTHON_VERSION = "3.12"  # what the generated workflows set up
REMOTE_NAME = "storage"
BRANCH = "main"
# Only for the first commit, when the user has no git identity configured.
FALLBACK_IDENTITY = ("mlops-toolkit", "mlops-toolkit@users.noreply.github.com")
_SKIP = ("__pycache__", ".pyc", ".DS_Store")


@dataclass
class Scaffold:
    """What `create` made."""

    root: Path
    files: list[str]  # relative paths, forward slashes, in writing order
    git: bool = False  # git init / dvc init / first commit done
    new_repo: bool = False  # False when PATH was already a git repository
    commit: str | None = None
    storage: Path | None = None  # the local DVC remote folder
    remote: RemoteSpec | None = None  # --remote: the DVC default remote asked for
    _created: list[Path] = field(default_factory=list, repr=False)
    _staged: bool = field(default=False, repr=False)


def project_name(folder: str) -> str:
    """A slug-safe project name from a folder name ("My Model!" -> "my-model")."""
    slug = re.sub(r"[^a-z0-9._]+", "-", folder.lower()).strip("-._")
    return slug or "ml-project"


def storage_name(root: Path) -> str:
    """The local DVC remote's folder name, a sibling of the project."""
    return f"{project_name(root.name)}-dvc-storage"


#: Pinned actions for the generated workflows: {OWNER/NAME: {"sha": ..., "version": ...}}.
PINS_FILE = "actions-pins.yaml"
_PIN = re.compile(r"^[0-9a-f]{40}$")


@functools.cache
def action_pins() -> dict[str, str]:
    """{OWNER/NAME: "OWNER/NAME@SHA # VERSION"} from the shipped pins file, each SHA checked."""
    import yaml

    path = templates_dir() / PINS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pins: dict[str, str] = {}
    for action, pin in data.items():
        if not (isinstance(pin, dict) and _PIN.match(str(pin.get("sha", ""))) and pin.get("version")):
            raise ToolkitError(
                f"{path}: the pin of {action} needs a 40-hex `sha` and a `version`; "
                "reinstall mlops-toolkit."
            )
        pins[action] = f"{action}@{pin['sha']} # {pin['version']}"
    return pins


def context(root: Path, toolkit_requirement: str, remote: RemoteSpec | None = None) -> dict[str, object]:
    """The template variables for a project at root."""
    return {
        # An S3 remote (`--remote s3://...`) adds dvc[s3] and the OIDC steps.
        "remote_s3": bool(remote and remote.is_s3),
        "remote_url": remote.url if remote else None,
        "remote_endpoint": remote.endpoint_url if remote else None,
        "remote_region": remote.region if remote else None,
        "remote_bucket": remote.bucket if remote else None,
        "remote_keys": remote.keys if remote else None,
        "dvc_requirement": remote.requirement if remote else "dvc>=3.49",
        # Where the DVC project and the requirements are, from the git root (`toolkit init`
        # adopts repos whose DVC root is a subfolder); a new project has both at the top.
        "working_directory": ".",
        "dvc_prefix": "",
        "requirements_file": "requirements.txt",
        # The branch the workflows treat as the default (`toolkit init` passes the repository's).
        "default_branch": "main",
        "toolkit_requirement": toolkit_requirement,
        "uses": action_pins(),
        "name": project_name(root.name),
        "folder": root.name,
        "python_version": PYTHON_VERSION,
        "remote_name": REMOTE_NAME,
        "storage_dir": storage_name(root),
    }


#: The repository variables the generated workflows read, each optional, and what each sets.
#: templates/snippets/ci-vars.j2 writes the same defaults into the workflows.
VARIABLES = {
    "TOOLKIT_RUNS_ON": "the pipeline jobs' runner: a label, or a JSON list of labels",
    "TOOLKIT_TIMEOUT_MINUTES": "the pipeline jobs' time limit",
    "TOOLKIT_AWS_REGION": "the bucket's region",
    "TOOLKIT_AWS_READ_ROLE": "pull requests, monitoring: list + get",
    "TOOLKIT_AWS_WRITE_ROLE": "main, retrain, deploy: also put",
}
RUNS_ON_DEFAULT = "ubuntu-latest"
TIMEOUT_DEFAULT = 30


def variable_lines(remote: RemoteSpec | None = None, values: Mapping[str, str] | None = None) -> list[str]:
    """`gh variable set` lines for the repository variables the workflows read.

    With values ({name: value}): a line for each. Without: every variable with its default (the
    AWS ones, with placeholder roles, only for an S3 remote).
    """
    if values is None:
        values = {"TOOLKIT_RUNS_ON": RUNS_ON_DEFAULT, "TOOLKIT_TIMEOUT_MINUTES": str(TIMEOUT_DEFAULT)}
        if remote is not None and remote.is_s3:
            role = "arn:aws:iam::ACCOUNT:role/"
            values |= {
                "TOOLKIT_AWS_REGION": remote.region or "eu-west-1",
                "TOOLKIT_AWS_READ_ROLE": f"{role}dvc-read",
                "TOOLKIT_AWS_WRITE_ROLE": f"{role}dvc-write",
            }
    commands = {name: f"gh variable set {name} --body {shlex.quote(value)}" for name, value in values.items()}
    width = max(map(len, commands.values()), default=0)
    return [f"{command:<{width}}  # {VARIABLES[name]}" for name, command in commands.items()]


def variables_note(remote: RemoteSpec | None = None) -> str:
    """What `toolkit new` and `toolkit init` print about the repository variables."""
    lines = variable_lines(remote)
    what = "runner, timeout, AWS region and roles" if len(lines) > 2 else "runner and timeout"
    return (
        f"\nThe workflows' {what} are repository variables, all optional; to change them from "
        "the defaults shown here:\n" + "".join(f"  {line}\n" for line in lines)
    )


@functools.cache
def _environment(folder: str) -> SandboxedEnvironment:
    # Imported here: only `toolkit new` needs Jinja2.
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        # snippets/: parts that several templates include (never written out themselves).
        loader=FileSystemLoader([folder, str(Path(folder).parent / "snippets")]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(
    root: Path,
    toolkit_requirement: str | None = None,
    remote: RemoteSpec | None = None,
    overrides: Mapping[str, object] | None = None,
) -> dict[str, bytes]:
    """Every file of the project at root: {relative path: content}, sorted by path.

    toolkit_requirement is the requirements.txt line for the toolkit (default: this version's pin);
    overrides replace template variables (`toolkit init`: where the DVC root is).
    """
    source = templates_dir() / "project"
    env = _environment(str(source))
    variables = context(root, toolkit_requirement or f"mlops-toolkit=={__version__}", remote)
    variables.update(overrides or {})
    # The requirements file as a `run:` step sees it: steps run in the DVC root.
    variables["requirements_in_root"] = posixpath.relpath(
        str(variables["requirements_file"]), str(variables["working_directory"])
    )
    files: dict[str, bytes] = {}
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        if path.is_dir() or any(part in _SKIP or part.endswith(".pyc") for part in path.parts):
            continue
        if rel.endswith(TEMPLATE_SUFFIX):
            text = env.get_template(rel).render(variables)
            files[rel.removesuffix(TEMPLATE_SUFFIX)] = text.encode("utf-8")
        else:
            files[rel] = path.read_bytes()
    return dict(sorted(files.items()))


def _conflicts(root: Path, files: Mapping[str, bytes], git: bool) -> list[str]:
    """Paths the project would write that already exist (or whose folder is a file)."""
    found: list[str] = []
    wanted = list(files)
    if git:
        wanted.append(".dvc")  # `dvc init` refuses an existing .dvc folder
    for rel in wanted:
        target = root / rel
        if target.exists() or target.is_symlink():
            found.append(rel)
            continue
        for parent in target.relative_to(root).parents:
            folder = root / parent
            if parent != Path(".") and (folder.is_symlink() or folder.exists()) and not folder.is_dir():
                found.append(parent.as_posix())
                break
    return sorted(set(found))


def _check(root: Path, files: Mapping[str, bytes], *, force: bool, git: bool,
           environ: Mapping[str, str]) -> None:
    """Refuse before writing anything: a file at PATH, no git, a non-empty folder, conflicts."""
    if root.exists() and not root.is_dir():
        raise ScaffoldError(
            f"{root} is a file, not a folder; pass the path of a new or empty folder."
        )
    if git and shutil.which("git", path=environ.get("PATH", os.defpath)) is None:
        raise ScaffoldError(
            "git is not installed or not on PATH; install git, or pass --no-git to write the "
            "project's files without a repository."
        )
    if root.is_dir() and any(root.iterdir()):
        if not force:
            raise ScaffoldError(
                f"{root} is not empty; choose a new folder, or pass --force to add the project's "
                "files to it (existing files are never changed)."
            )
        conflicts = _conflicts(root, files, git)
        if conflicts:
            shown = ", ".join(conflicts[:10])
            if len(conflicts) > 10:
                shown += f" and {len(conflicts) - 10} more"
            raise ScaffoldError(
                f"{root} already has {shown}, which the project would write; nothing was changed. "
                f"Move {'it' if len(conflicts) == 1 else 'them'} away or choose another folder."
            )


def _mkdirs(folder: Path, created: list[Path]) -> None:
    """Create folder and its missing parents, remembering each one created."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _git(root: Path, environ: Mapping[str, str], *args: str) -> str:
    try:
        done = proc.run(["git", *args], cwd=root, env=environ)
    except ToolkitError as exc:
        raise ScaffoldError(exc.message) from None
    return done.stdout.decode(errors="replace").strip()


def _dvc(root: Path, environ: Mapping[str, str], *args: str) -> None:
    done = proc.run([*proc.DVC, *args], cwd=root, env=environ, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        last = lines[-1].removeprefix("ERROR: ") if lines else f"exit code {done.returncode}"
        raise ScaffoldError(f"`dvc {' '.join(args)}` failed in {root}: {last}")


def has_identity(root: Path, environ: Mapping[str, str]) -> bool:
    """True when `git commit` in root knows its author and committer (config or environment)."""
    for kind in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        try:
            done = proc.run(["git", "var", kind], cwd=root, env=environ, check=False)
        except ToolkitError:  # no git at all: the steps that need it say so themselves
            return True
        if done.returncode != 0:
            return False
    return True


def _identity_env(root: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """environ, plus a fallback author/committer when git has no identity configured."""
    env = dict(environ)
    for kind, key in (("name", "NAME"), ("email", "EMAIL")):
        if env.get(f"GIT_AUTHOR_{key}") and env.get(f"GIT_COMMITTER_{key}"):
            continue
        configured = proc.run(["git", "config", f"user.{kind}"], cwd=root, env=env, check=False)
        if configured.returncode != 0 or not configured.stdout.strip():
            value = FALLBACK_IDENTITY[0 if kind == "name" else 1]
            env.setdefault(f"GIT_AUTHOR_{key}", value)
            env.setdefault(f"GIT_COMMITTER_{key}", value)
    return env


def _init_repo(result: Scaffold, environ: Mapping[str, str]) -> None:
    """git init on main (unless already a repo), dvc init, the local remote, the first commit."""
    root, created = result.root, result._created
    result.new_repo = not (root / ".git").exists()
    if result.new_repo:
        created.append(root / ".git")
        if proc.run(["git", "init", "-q", "-b", BRANCH], cwd=root, env=environ, check=False).returncode:
            # git < 2.28 has no -b: init, then point HEAD at main before the first commit.
            _git(root, environ, "init", "-q")
            _git(root, environ, "symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
    created.append(root / ".dvc")
    # dvc init stages its files; from here on, a rollback in an existing repo unstages ours.
    result._staged = True
    _dvc(root, environ, "init", "-q")

    if result.remote is not None:
        # --remote: as given (an s3:// URL with its endpoint and region, or a folder); no
        # credential is ever written, and nothing is created on the remote.
        from toolkit import remote as remotes

        try:
            remotes.configure(root, result.remote, environ, REMOTE_NAME)
        except ToolkitError as exc:
            raise ScaffoldError(exc.message) from None
    else:
        storage = root.parent / storage_name(root)
        if not storage.exists():
            storage.mkdir()
            created.append(storage)
        result.storage = storage
        # Given relative to the project, dvc stores it relative to .dvc/config: clones keep working.
        _dvc(root, environ, "remote", "add", "--default", REMOTE_NAME, f"../{storage.name}")

    # Only our files: with --force the folder may hold the user's own (data, say) to keep out,
    # and what they had staged stays staged (`commit -- PATHS` commits those paths alone). Their
    # hooks run (secret scanners, linters): a hook that refuses rolls everything back.
    _git(root, environ, "add", "--", *result.files, ".dvc")
    _git(
        root, _identity_env(root, environ), "commit", "-q",
        "-m", f"Scaffold {project_name(root.name)} with mlops-toolkit {__version__}",
        "--", *result.files, ".dvc",
    )
    result.commit = _git(root, environ, "rev-parse", "HEAD")
    result.git = True


def _rollback(result: Scaffold, environ: Mapping[str, str]) -> None:
    """Remove what this run created, newest first; leave everything that was there untouched."""
    root = result.root
    if result._staged and not result.new_repo:
        # Unstage our files from the pre-existing repository before deleting them.
        proc.run(
            ["git", "rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", *result.files, ".dvc"],
            cwd=root, env=environ, check=False,
        )
    for path in reversed(result._created):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink()


def create(path: Path, *, force: bool = False, git: bool = True,
           environ: Mapping[str, str], cwd: Path | None = None,
           toolkit_requirement: str | None = None, remote: RemoteSpec | None = None) -> Scaffold:
    """Scaffold the project at path (relative to cwd); see the module docstring."""
    # The real folder: DVC stores the remote relative to where .dvc/ really is, so a symlinked
    # PATH must not place the storage folder beside the link instead.
    root = Path(os.path.realpath((cwd or Path.cwd()) / path))
    files = render(root, toolkit_requirement, remote)
    _check(root, files, force=force, git=git, environ=environ)

    result = Scaffold(root=root, files=[], remote=remote)
    try:
        _mkdirs(root, result._created)
        for rel, content in files.items():
            target = root / rel
            _mkdirs(target.parent, result._created)
            with target.open("xb") as f:  # "x": never replace a file, even one made meanwhile
                result._created.append(target)
                f.write(content)
            result.files.append(rel)
        if git:
            _init_repo(result, environ)
    except BaseException as exc:
        _rollback(result, environ)
        if isinstance(exc, ToolkitError):
            raise ScaffoldError(
                f"{exc.message.rstrip('.')}; nothing was left behind in {root}. "
                "Fix that and run `toolkit new` again."
            ) from None
        if isinstance(exc, OSError):
            raise ScaffoldError(
                f"cannot write the project in {root}: {exc.strerror or exc}; nothing was left "
                "behind. Check the folder's permissions and free space."
            ) from None
        raise
    return result
