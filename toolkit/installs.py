"""Which requirements file an adopted repo's workflows install, and the lines it lacks.

`toolkit init` adds the toolkit (and the DVC extra that reaches the repo's remote) to the file the
repo already installs from: a `requirements.txt`, else one file of a `requirements/` folder. A file
git ignores is never used (CI would not have it); when the repo declares its packages elsewhere
(a Pipfile, pyproject.toml, environment.yml) a new file is written and that declaration named, so
the user adds the pipeline's packages to what CI installs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: DVC's scheme -> extra (dvc_objects.fs.known_implementations and dvc's extras): without the
#: extra, CI's dvc cannot reach the remote. http(s) and local folders need none.
DVC_EXTRAS = {
    "s3": "s3",
    "gs": "gs",
    "azure": "azure",
    "gdrive": "gdrive",
    "ssh": "ssh",
    "hdfs": "hdfs",
    "webhdfs": "webhdfs",
    "oss": "oss",
    "webdav": "webdav",
    "webdavs": "webdav",
}
DVC_MINIMUM = ">=3.49"  # the toolkit's own floor (pyproject.toml)
REQUIREMENTS = "requirements.txt"
#: Names for a new file when git ignores `requirements.txt`, in order.
NEW_NAMES = (REQUIREMENTS, "requirements-ci.txt", "ci-requirements.txt")
#: The file of a `requirements/` folder that CI most likely installs, best first.
FOLDER_PREFERENCE = (
    "ci", "test", "tests", "dev", "development", "base", "common", "main", "requirements",
    "prod", "production",
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass
class Choice:
    """The file the workflows install, whether it exists, and what the user should know."""

    path: Path
    exists: bool
    ignored: bool = False  # only when every name is ignored: added with `git add -f`
    notes: list[str] = field(default_factory=list)


def dvc_extra(url: str) -> str | None:
    """The dvc extra (`s3`, `gs`, `ssh`, ...) that reaches a remote URL; None: none needed."""
    found = _SCHEME.match(url)
    return DVC_EXTRAS.get(found.group(1).lower()) if found else None


def ignored(git_root: Path, paths: Iterable[Path]) -> set[Path]:
    """The paths git ignores (a tracked file is never ignored, as for `git add`)."""
    from toolkit import git

    wanted = list(paths)
    if not wanted:
        return set()
    rel = {p.relative_to(git_root).as_posix(): p for p in wanted}
    done = git.run(git_root, "check-ignore", "-z", "--stdin", input=b"\0".join(r.encode() for r in rel))
    # Exit 1: none ignored; 128: not a repository or a bad path (treated as not ignored).
    out = done.stdout.decode(errors="replace") if done.returncode == 0 else ""
    return {rel[name] for name in out.split("\0") if name in rel}


def _folder_file(folder: Path, skip: set[Path]) -> Path | None:
    files = {p.stem.lower(): p for p in sorted(folder.glob("*.txt")) if p.is_file() and p not in skip}
    for stem in FOLDER_PREFERENCE:
        if stem in files:
            return files[stem]
    return next(iter(files.values()), None) if len(files) == 1 else None


def _declarations(folders: Iterable[Path]) -> list[Path]:
    """Files that declare the repo's packages in a form `pip install -r` cannot read."""
    found = []
    for folder in folders:
        for name in ("Pipfile", "environment.yml", "environment.yaml", "setup.py"):
            if (folder / name).is_file():
                found.append(folder / name)
        if _pyproject_dependencies(folder / "pyproject.toml"):
            found.append(folder / "pyproject.toml")
    return found


def _pyproject_dependencies(path: Path) -> bool:
    """True when pyproject.toml lists packages (`[project] dependencies`, Poetry's or PDM's)."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    project = data.get("project")
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    return bool(
        (isinstance(project, dict) and project.get("dependencies"))
        or (isinstance(poetry, dict) and poetry.get("dependencies"))
    )


def _how_to_fill(declaration: Path, git_root: Path, target: str) -> str:
    if declaration.name == "Pipfile":
        return f"`pipenv requirements >> {target}`"
    if declaration.name.startswith("environment."):
        return f"add the pip names of its packages to {target}"
    # pip reads a local path in a requirements file from its working directory: the git root.
    folder = declaration.parent.relative_to(git_root).as_posix()
    project = "." if folder == "." else f"./{folder}"
    return f"add its dependencies (or a line `-e {project}` for the project itself) to {target}"


def choose(git_root: Path, dvc_root: Path) -> Choice:
    """The requirements file the workflows should install (see the module docstring)."""
    folders = list(dict.fromkeys((dvc_root, git_root)))
    rel = {folder: folder.relative_to(git_root).as_posix() for folder in folders}
    candidates = [f / name for f in folders for name in NEW_NAMES]
    candidates += [p for f in folders for p in (f / "requirements").glob("*.txt")]
    skip = ignored(git_root, candidates)
    notes = [
        f"{p.relative_to(git_root).as_posix()} is ignored by git (CI would not have it), so it is not used."
        for p in (f / REQUIREMENTS for f in folders) if p in skip and p.is_file()
    ]
    for folder in folders:
        path = folder / REQUIREMENTS
        if path.is_file() and path not in skip:
            return Choice(path, True, notes=notes)
    for folder in folders:
        if (folder / "requirements").is_dir():
            found = _folder_file(folder / "requirements", skip)
            shown = f"{rel[folder]}/requirements".removeprefix("./")
            if found is not None:
                notes.append(
                    f"the workflows install {found.relative_to(git_root).as_posix()} of {shown}/; "
                    "if CI should install another, change that path in the three workflows."
                )
                return Choice(found, True, notes=notes)
            notes.append(f"{shown}/ has several files and none is the obvious one for CI.")
    names = [dvc_root / name for name in NEW_NAMES]
    target = next((p for p in names if p not in skip), None)
    choice = Choice(target or names[0], False, ignored=target is None, notes=notes)
    shown = choice.path.relative_to(git_root).as_posix()
    if target is None:
        notes.append(f"git ignores every name tried for it, so {shown} is added with `git add -f`.")
    elif target != names[0]:
        notes.append(f"git ignores {REQUIREMENTS} here, so the workflows install {shown}.")
    for declaration in _declarations(folders):
        name = declaration.relative_to(git_root).as_posix()
        notes.append(
            f"the repository declares its packages in {name}, which the workflows do not install: "
            f"{_how_to_fill(declaration, git_root, shown)} so CI can run the pipeline."
        )
    return choice


def satisfied(lines: Iterable[str], extra: str) -> bool:
    """True when a requirements line installs dvc with `extra` (or `all`)."""
    from packaging.requirements import InvalidRequirement, Requirement

    for line in lines:
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith(("#", "-")):
            continue
        try:
            parsed = Requirement(text)
        except InvalidRequirement:
            continue
        if parsed.name.lower() == "dvc" and (extra in parsed.extras or "all" in parsed.extras):
            return True
    return False


def extra_line(lines: Iterable[str], extra: str) -> str:
    """`dvc[EXTRA]` with the version the file already asks of dvc (else the toolkit's floor)."""
    from packaging.requirements import InvalidRequirement, Requirement

    for line in lines:
        text = line.split(" #", 1)[0].strip()
        try:
            parsed = Requirement(text)
        except InvalidRequirement:
            continue
        if parsed.name.lower() == "dvc" and parsed.url is None:
            return f"dvc[{extra}]{parsed.specifier}"
    return f"dvc[{extra}]{DVC_MINIMUM}"
