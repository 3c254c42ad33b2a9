"""DVC as a subprocess: reproduce the pipeline, find the default remote, draw the DAG.

DVC is never imported here (it costs half a second and pulls in a lot); `proc.DVC` runs it.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from toolkit import dvclog, output, proc
from toolkit.errors import DvcError, NotDvcRepoError, ToolkitError
from toolkit.results import ReproResult

_SECTION = re.compile(r"^\[\s*'?(?P<name>[^\]]*?)'?\s*\]$")


@dataclass(frozen=True)
class Remote:
    """The default DVC remote as configured (not necessarily reachable)."""

    name: str
    url: str
    base: Path  # the folder of the config file that set the url; relative paths start there

    @property
    def local_path(self) -> Path | None:
        """The folder for a local-path remote, None for a URL (s3://, ssh://, ...)."""
        if "://" in self.url:
            return None
        path = Path(os.path.expanduser(self.url))
        return path if path.is_absolute() else (self.base / path).resolve()


def _read_config(path: Path) -> dict[str, dict[str, str]]:
    """The sections of one DVC config file (configobj-style INI); missing file -> empty."""
    from toolkit.safefs import read_settings

    text = read_settings(path)
    if text is None:
        return {}
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = _SECTION.match(line)
        if header:
            name = " ".join(header.group("name").replace('"', " ").split())
            current = sections.setdefault(name, {})
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip().strip("'\"")
    return sections


def _config_files(root: Path) -> list[Path]:
    """DVC's config levels, lowest precedence first: system, global, repo, local."""
    environ = os.environ
    system = Path(environ.get("DVC_SYSTEM_CONFIG_DIR", "/etc/xdg/dvc"))
    if "DVC_GLOBAL_CONFIG_DIR" in environ:
        global_dir = Path(environ["DVC_GLOBAL_CONFIG_DIR"])
    elif sys.platform == "darwin":
        global_dir = Path.home() / "Library" / "Application Support" / "dvc"
    elif sys.platform == "win32":
        global_dir = Path(environ.get("LOCALAPPDATA", Path.home())) / "iterative" / "dvc"
    else:
        global_dir = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "dvc"
    return [system / "config", global_dir / "config", root / ".dvc" / "config",
            root / ".dvc" / "config.local"]


def config(root: Path) -> dict[str, dict[str, tuple[str, Path]]]:
    """DVC's settings for the repo at root, every level merged (later wins), as dvc reads them.

    Each value comes with the folder of the file that set it: relative paths (`cache.dir`,
    a local remote's `url`) start there, as in DVC.
    """
    merged: dict[str, dict[str, tuple[str, Path]]] = {}
    for path in _config_files(root):
        for section, values in _read_config(path).items():
            bucket = merged.setdefault(section, {})
            for key, value in values.items():
                bucket[key] = (value, path.parent)
    return merged


def cache_dir(root: Path) -> Path:
    """The local DVC cache of the repo at root: `cache.dir` from any config level, else .dvc/cache."""
    found = config(root).get("cache", {}).get("dir")
    if found is None or not found[0]:
        return root / ".dvc" / "cache"
    value, base = found
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path).resolve()


def find_root(cwd: Path) -> Path:
    """The DVC root for `cwd`: the nearest folder holding `.dvc/`, from cwd up to the git root.

    As dvc finds it, so `dvc init --subdir` projects and commands run from any folder inside
    the repo work. A git root with a dvc.yaml but no `.dvc/` (never `dvc init`ed) still counts:
    everything the toolkit reads is there. Anything else is "not a DVC repository" with the fix.
    """
    from toolkit import git

    top = git.find_root(cwd)
    here = cwd.resolve()
    for folder in (here, *here.parents):
        if (folder / ".dvc").is_dir():
            return folder
        if folder == top:
            break
    if (top / "dvc.yaml").is_file():
        return top
    raise NotDvcRepoError(_not_dvc_message(here, top))


def settings_root(cwd: Path) -> Path:
    """Where toolkit.yaml lives for `cwd`: the DVC root, else (no DVC project) the git root."""
    from toolkit import git

    try:
        return find_root(cwd)
    except NotDvcRepoError:
        return git.find_root(cwd)


def _not_dvc_message(here: Path, top: Path) -> str:
    below = sorted(
        p.parent for pattern in ("*/.dvc", "*/*/.dvc") for p in top.glob(pattern) if p.is_dir()
    )
    if below:
        where = ", ".join(p.relative_to(top).as_posix() for p in below[:3])
        return (
            f"{here} is not inside a DVC repository: the DVC project of this git repo is in {where}; "
            f"run toolkit from there (`cd {below[0].relative_to(top).as_posix()}`)."
        )
    return (
        f"{here} is not a DVC repository (no .dvc folder between it and the git root {top}); run "
        "`dvc init` in the project's folder (`dvc init --subdir` below the git root) and retry."
    )


def default_remote(root: Path) -> Remote | None:
    """The default remote (`core.remote`) of the DVC repo at root, read from its config files."""
    settings = config(root)
    name = settings.get("core", {}).get("remote", ("", root))[0]
    found = settings.get(f"remote {name}", {}).get("url") if name else None
    if found is None:
        return None
    url, base = found
    return Remote(name=name, url=url, base=base)


def remote_option(root: Path, name: str, key: str) -> str | None:
    """One setting of remote `name` (e.g. `endpointurl`), the highest config level winning."""
    value: str | None = None
    for path in _config_files(root):
        value = _read_config(path).get(f"remote {name}", {}).get(key, value)
    return value


def has_remote(root: Path) -> bool:
    """True when the DVC repo at root has a default remote configured."""
    return default_remote(root) is not None


def _unusable_reason(root: Path) -> str | None:
    """Why pull/push cannot use the default remote here, or None when it can."""
    remote = default_remote(root)
    if remote is None:
        return "no default DVC remote is configured (add one with `dvc remote add -d NAME URL`)"
    local = remote.local_path
    if local is not None and not local.is_dir():
        # A scaffolded project's remote is a folder beside the clone: absent on a CI runner.
        return (
            f"the default DVC remote `{remote.name}` is the folder {local}, which does not exist "
            "on this machine"
        )
    return None


def stage_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for dvc: the toolkit's interpreter first on PATH, so stage `python` is it."""
    env = proc.child_env(environ)
    # No analytics daemon: one process less to outlive an interrupted run.
    env.setdefault("DVC_NO_ANALYTICS", "1")
    bindir = str(Path(sys.executable).parent)
    parts = env.get("PATH", "").split(os.pathsep) if env.get("PATH") else []
    if not parts or parts[0] != bindir:
        env["PATH"] = os.pathsep.join([bindir, *parts])
    return env


def _precheck(root: Path, all_pipelines: bool) -> None:
    """Refuse, before running dvc, what would stop `dvc repro` before any stage: asked of the files."""
    import importlib.util

    try:
        installed = importlib.util.find_spec("dvc") is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        raise DvcError(
            f"dvc is not installed for {sys.executable}; install it with "
            f"`{sys.executable} -m pip install dvc` (or reinstall mlops-toolkit)."
        )
    here = root.resolve()
    if not any((folder / ".dvc").is_dir() for folder in (here, *here.parents)):
        raise DvcError(
            f"{root} has a dvc.yaml but is not a DVC repository; run `git init && dvc init` there "
            "and retry."
        )
    from toolkit import dvcfiles, formats, git, safefs
    from toolkit.errors import GitError, MetricsFileError, TooLargeError, UnsafePathError

    def read(path: str) -> bytes | None:
        return safefs.read_inside(root, path, "the workspace")

    found = [dvcfiles.PROJECT_FILE]
    if all_pipelines:
        try:
            top = git.find_root(root).resolve()
            prefix = here.relative_to(top).as_posix()
            listed = git.start_listing(root, None, "" if prefix == "." else prefix)()
            found = dvcfiles.find_dvcfiles(listed, read) or found
        except (GitError, ValueError):
            pass
    for dvcfile in found:
        for path in (dvcfile, posixpath.join(posixpath.dirname(dvcfile), dvcfiles.LOCK_FILE)):
            try:
                data = read(path)
                if data is not None:
                    formats.parse(path, data, str(root))
            except (TooLargeError, UnsafePathError):
                continue  # not the toolkit's to refuse: dvc says what it thinks of the file
            except MetricsFileError as exc:
                raise DvcError(f"{exc.message.rstrip('.')}, then rerun `toolkit repro`.") from None


def _dvc(
    root: Path, args: list[str], environ: Mapping[str, str], advice: bool = True
) -> tuple[int, str]:
    """Run one dvc command in root, echoing its output as informational lines."""
    command = f"$ dvc {' '.join(args)}"
    output.info(command)
    code, log = proc.stream([*proc.DVC, *args], on_line=dvclog.Echo(advice), cwd=root, env=stage_env(environ))
    return code, f"{command}\n{log}"


def repro(
    root: Path, *, pull: bool = False, push: bool = False, environ: Mapping[str, str],
    advice: bool = True, all_pipelines: bool = False,
) -> ReproResult:
    """Run `dvc repro` in root (pulling/pushing the cache when asked and possible)."""
    start = time.monotonic()
    logs: list[str] = []
    runs_before = _run_cache_entries(root)
    rerun = "`toolkit repro`"
    reason = _unusable_reason(root) if (pull or push) else None
    if reason:
        wanted = " and ".join(w for w, on in (("pull", pull), ("push", push)) if on)
        then = (
            "reproducing from the local cache" if pull else "the outputs stay in the local cache"
        ) + (", nothing is pushed" if pull and push else "")
        output.info(f"Skipping the DVC {wanted}: {reason}; {then}.")
    use_remote = (pull or push) and reason is None  # a plain `toolkit repro` never goes online
    _precheck(root, all_pipelines)
    if use_remote:
        from toolkit import remote as remotes

        # Bounded retries for S3; and a missing bucket must fail here, as DVC reads it as empty.
        environ = remotes.remote_env(environ)
        rerun = "`toolkit repro" + (" --pull" if pull else "") + (" --push" if push else "") + "`"
        remotes.preflight(root, environ, rerun)
    with output.group("dvc repro", environ):
        # Every dvc.yaml of the project (`dvc repro` alone takes only the one in its folder).
        args = ["repro", "--all-pipelines"] if all_pipelines else ["repro"]
        if pull and use_remote:
            # Not --allow-missing: that skips an unchanged stage without fetching its outputs, and
            # the steps after a pull read them. An output not on the remote is reproduced instead.
            args.append("--pull")
        code, log = _dvc(root, args, environ, advice)
        logs.append(log)
        if code != 0:
            raise _remote_error(log, root, environ, rerun) if use_remote else dvclog.error(log, root)
        if unpulled := dvclog.unpulled(log):
            output.warn(
                f"the outputs of {', '.join(unpulled)} were not on the DVC remote (was `dvc push` "
                "run?); reproduced them instead."
            )
        if push and use_remote:
            # The outputs first, then the run-cache entries: an entry on the remote always has
            # its outputs there too, so a push cut short never leaves a stage result that a
            # later `--pull` restores without its files (DVC itself pushes entries first).
            for step in (["push"], ["push", "--run-cache"]):
                push_code, push_log = _dvc(root, step, environ, advice)
                logs.append(push_log)
                if push_code != 0:
                    found = remotes.ask(root, environ, write=True)  # the store says what is wrong
                    action = f"`dvc {' '.join(step)}`"
                    raise remotes.failure(root, action, found.kind, dvclog.last_error(push_log), rerun)
    ran, skipped, restored = dvclog.parse(log)
    from_remote = _from_remote(root, restored, runs_before) if use_remote and pull else ()
    return ReproResult(
        ran=ran, skipped=skipped, seconds=time.monotonic() - start, log="\n".join(logs),
        restored=restored, from_remote=from_remote,
    )


def _remote_error(log: str, root: Path, environ: Mapping[str, str], rerun: str) -> DvcError:
    """A failed repro that used the remote: the remote named when the store reports a fault."""
    from toolkit import remote as remotes

    found = remotes.ask(root, environ, write=False)
    if found.kind is not None:
        return remotes.failure(root, "dvc repro", found.kind, found.detail, rerun)
    return dvclog.error(log, root)


def _run_cache_entries(root: Path) -> set[Path]:
    """The run-cache entry files in the local cache (.dvc/cache/runs/XX/KEY/VALUE)."""
    runs = root / ".dvc" / "cache" / "runs"
    return {p for p in runs.glob("*/*/*") if p.is_file()} if runs.is_dir() else set()


def _from_remote(root: Path, restored: tuple[str, ...], before: set[Path]) -> tuple[str, ...]:
    """The restored stages whose run-cache entry this repro pulled from the remote.

    A restored stage's outputs in the new dvc.lock equal those of the entry it came from; an
    entry file that was not in the local run-cache before the repro came from the remote.
    """
    if not restored:
        return ()
    import yaml

    new = _run_cache_entries(root) - before
    if not new:
        return ()
    try:
        lock = yaml.safe_load((root / "dvc.lock").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ()

    def outs(entry: object) -> frozenset[tuple[str, str]]:
        items = entry.get("outs") if isinstance(entry, dict) else None
        return frozenset(
            (str(o.get("path")), str(o.get("md5") or o.get("hash") or ""))
            for o in items or () if isinstance(o, dict)
        )

    pulled: set[frozenset[tuple[str, str]]] = set()
    for path in new:
        try:
            pulled.add(outs(yaml.safe_load(path.read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
    stages = lock.get("stages", {}) if isinstance(lock, dict) else {}
    return tuple(s for s in restored if outs(stages.get(s)) in pulled and outs(stages.get(s)))


def dag_markdown(root: Path) -> str | None:
    """The pipeline as a Mermaid graph (`dvc dag --md`), or None when dvc cannot draw it."""
    try:
        # Runs no stage, so no code from the repository may run either: safe paths everywhere.
        env = {**stage_env(os.environ), "PYTHONSAFEPATH": "1"}
        done = proc.run([*proc.DVC, "dag", "--md"], cwd=root, env=env, check=False)
    except ToolkitError:
        return None
    text = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0 or "```mermaid" not in text:
        return None
    return text + "\n"
