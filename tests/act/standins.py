"""Stand-ins for the hosted actions the generated workflows use, for running them under act.

The real actions cannot be downloaded in the tests, so act maps each pinned `uses:` to a folder
of tests/act/actions/ (`--local-repository OWNER/NAME@SHA=FOLDER`) whose node entry point runs
`python standins.py ACTION PHASE`. Each does what its action documents, on this machine:

- checkout: init the workspace, fetch from `$GITHUB_SERVER_URL/OWNER/REPO` (the test's bare
  repository) the event's ref at `fetch-depth` (0: every branch and tag), sparse-checkout, check
  out (a branch as a local branch, anything else detached). No credentials exist to persist.
- setup-python: the machine's Python (`STANDIN_PYTHON`, the one with the toolkit) on PATH.
- cache: restore the exact `key`, else the newest entry whose key starts with a `restore-keys`
  line, from this ref's entries and then the default branch's; save in the post step (on success,
  unless the key was hit). Entries are folders under `$STANDIN_STORE/cache/`.
- upload-artifact / download-artifact: folders under `$STANDIN_STORE/artifacts/RUN_ID/NAME`;
  download-artifact with `github-token` fetches run `run-id`'s zip through the REST API
  (`GITHUB_API_URL`), as the real one does.

Inputs arrive as act passes them to node actions (`INPUT_NAME`), outputs and state go to the
`GITHUB_OUTPUT` / `GITHUB_STATE` files, failures are `::error::` lines and exit 1.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name.upper()}", default).strip()


def _lines(name: str) -> list[str]:
    return [line.strip() for line in _input(name).splitlines() if line.strip()]


def _append(variable: str, **values: str) -> None:
    with open(os.environ[variable], "a", encoding="utf-8") as f:
        for key, value in values.items():
            f.write(f"{key}={value}\n")


def _fail(message: str) -> None:
    print(f"::error::{message}")
    raise SystemExit(1)


def _store(*parts: str) -> Path:
    return Path(os.environ["STANDIN_STORE"], *parts)


def _event() -> dict:
    with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as f:
        return json.load(f)


def _git(cwd: Path, *args: str) -> str:
    print(f"[command]git {' '.join(args)}")
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        _fail(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


# -- actions/checkout --------------------------------------------------------------------------


def _refspec(ref: str, commit: str) -> tuple[list[str], str]:
    """(refspecs to fetch, what to check out) for `ref` at `commit`, as actions/checkout's
    ref-helper computes them: a tag is fetched as itself (an annotated tag stays annotated)."""
    if ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        return [f"+{commit or ref}:refs/remotes/origin/{branch}"], f"refs/remotes/origin/{branch}"
    if ref.startswith("refs/pull/"):
        local = f"refs/remotes/pull/{ref.removeprefix('refs/pull/')}"
        return [f"+{commit or ref}:{local}"], local
    if ref.startswith("refs/tags/"):
        return [f"+{ref}:{ref}"], ref
    if commit:
        return [commit], commit
    return [f"+refs/heads/{ref}*:refs/remotes/origin/{ref}*", f"+refs/tags/{ref}*:refs/tags/{ref}*"], ref


def checkout_main() -> None:
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    target = workspace / _input("path") if _input("path") else workspace
    repository = _input("repository") or os.environ["GITHUB_REPOSITORY"]
    url = f"{os.environ['GITHUB_SERVER_URL'].rstrip('/')}/{repository}"
    ref = _input("ref") or os.environ["GITHUB_REF"]
    commit = os.environ.get("GITHUB_SHA", "") if not _input("ref") else ""
    depth = int(_input("fetch-depth", "1") or "1")
    target.mkdir(parents=True, exist_ok=True)
    for child in target.iterdir():  # a fresh workspace, as on a new runner
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    _git(target, "init", "-q")
    _git(target, "remote", "add", "origin", url)
    refspecs, checkout = _refspec(ref, commit)
    if depth == 0:  # all history: every branch and tag, plus a pull request's ref
        every = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"]
        _git(target, "fetch", "-q", "--prune", "--no-recurse-submodules", "origin",
             *every, *(refspecs if ref.startswith("refs/pull/") else []))
    else:
        _git(target, "fetch", "-q", "--no-tags", f"--depth={depth}", "origin", *refspecs)
    sparse = _lines("sparse-checkout")
    if sparse:
        cone = _input("sparse-checkout-cone-mode", "true") != "false"
        _git(target, "sparse-checkout", "set", "--cone" if cone else "--no-cone", *sparse)
    if ref.startswith("refs/heads/"):
        _git(target, "checkout", "-q", "--force", "-B", ref.removeprefix("refs/heads/"), checkout)
    else:
        _git(target, "checkout", "-q", "--force", "--detach", checkout)
    if _input("persist-credentials", "true") == "true":
        print("checkout stand-in: no credentials to persist (the repository is a local folder).")
    print(f"checkout stand-in: {url} {ref} at {_git(target, 'rev-parse', 'HEAD')} (depth {depth or 'all'})")


# -- actions/setup-python ------------------------------------------------------------------------


def setup_python_main() -> None:
    python = Path(os.environ["STANDIN_PYTHON"])
    version = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    prefix = subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    wanted = _input("python-version")
    print(f"setup-python stand-in: python-version {wanted!r} asked; the machine's Python {version} "
          f"({python}) is put on PATH.")
    if _input("cache"):
        print(f"setup-python stand-in: `cache: {_input('cache')}` needs nothing here: pip installs "
              "from no index (PIP_NO_INDEX), so there are no downloads to keep.")
    with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as f:
        f.write(f"{python.parent}\n")
    _append("GITHUB_ENV", pythonLocation=prefix)
    _append("GITHUB_OUTPUT", **{"python-version": version, "python-path": str(python), "cache-hit": "false"})


# -- actions/cache ---------------------------------------------------------------------------------


def _scopes() -> list[str]:
    """This ref's entries first, then the default branch's (what a run may restore on GitHub)."""
    default = _event().get("repository", {}).get("default_branch") or "main"
    scopes = [os.environ["GITHUB_REF"], f"refs/heads/{default}"]
    return list(dict.fromkeys(scopes))


def _entry(scope: str, key: str) -> Path:
    return _store("cache", scope.replace("/", "%2F"), key.replace("/", "%2F"))


def cache_main() -> None:
    key = _input("key")
    paths = _lines("path")
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    found: Path | None = None
    hit = False
    for scope in _scopes():
        if _entry(scope, key).is_dir():
            found, hit = _entry(scope, key), True
            break
    if found is None:
        for prefix in _lines("restore-keys"):
            for scope in _scopes():
                folder = _entry(scope, "x").parent
                matches = [p for p in folder.glob("*") if p.name.replace("%2F", "/").startswith(prefix)]
                if matches:
                    found = max(matches, key=lambda p: p.stat().st_mtime_ns)
                    break
            if found is not None:
                break
    if found is not None:
        for path in paths:
            saved = found / path.replace("/", "%2F")
            if saved.is_dir():
                shutil.copytree(saved, workspace / path, dirs_exist_ok=True, symlinks=True)
        print(f"cache stand-in: restored {found.name.replace('%2F', '/')} for key {key}")
    else:
        print(f"cache stand-in: no cache entry for key {key}")
    _append("GITHUB_OUTPUT", **{"cache-hit": "true" if hit else "false"})
    _append("GITHUB_STATE", CACHE_KEY=key, CACHE_HIT="true" if hit else "false")


def cache_post() -> None:
    key = os.environ.get("STATE_CACHE_KEY", "")
    if not key or os.environ.get("STATE_CACHE_HIT") == "true":
        print(f"cache stand-in: key {key} was hit; not saving.")
        return
    entry = _entry(os.environ["GITHUB_REF"], key)
    if entry.exists():
        print(f"cache stand-in: an entry for {key} exists already; caches are immutable.")
        return
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    saved = False
    for path in _lines("path"):
        source = workspace / path
        if source.is_dir():
            shutil.copytree(source, entry / path.replace("/", "%2F"), symlinks=True)
            saved = True
    print(f"cache stand-in: {'saved' if saved else 'nothing to save for'} key {key}")


# -- actions/upload-artifact and actions/download-artifact ----------------------------------------


def upload_artifact_main() -> None:
    name = _input("name", "artifact") or "artifact"
    files: list[tuple[Path, Path]] = []  # (file, its path in the artifact)
    for pattern in _lines("path"):
        source = Path(pattern)
        if not source.is_absolute():
            source = Path(os.environ["GITHUB_WORKSPACE"]) / source
        if source.is_file():
            files.append((source, Path(source.name)))
        elif source.is_dir():
            files += [(f, f.relative_to(source)) for f in sorted(source.rglob("*")) if f.is_file()]
    if not files:
        message = (f"No files were found with the provided path: {_input('path')}. "
                   "No artifacts will be uploaded.")
        mode = _input("if-no-files-found", "warn")
        if mode == "error":
            _fail(message)
        print(f"::warning::{message}" if mode == "warn" else message)
        return
    target = _store("artifacts", os.environ["GITHUB_RUN_ID"], name)
    if target.exists():
        _fail(f"an artifact named {name} exists already in this run (artifacts are immutable).")
    for source, rel in files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / rel)
    print(f"upload-artifact stand-in: {name}: {len(files)} file(s) kept for run "
          f"{os.environ['GITHUB_RUN_ID']}")


class _NoAuthOnRedirect(urllib.request.HTTPRedirectHandler):
    """The archive URL answers 302 to a blob URL: follow it without the token, as the action does."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.remove_header("Authorization")
        return new


def _api(url: str, token: str) -> bytes:
    request = urllib.request.Request(url, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "download-artifact-standin",
    })
    with urllib.request.build_opener(_NoAuthOnRedirect).open(request, timeout=30) as answer:
        return answer.read()


def download_artifact_main() -> None:
    name = _input("name")
    target = Path(_input("path") or os.environ["GITHUB_WORKSPACE"])
    run_id = _input("run-id")
    token = _input("github-token")
    if token:  # another run's artifact (run-id), through the REST API
        repository = _input("repository") or os.environ["GITHUB_REPOSITORY"]
        api = os.environ["GITHUB_API_URL"].rstrip("/")
        url = f"{api}/repos/{repository}/actions/runs/{run_id}/artifacts?name={name}"
        listing = json.loads(_api(url, token))
        matches = [a for a in listing.get("artifacts", []) if a.get("name") == name and not a.get("expired")]
        if not matches:
            _fail(f"Unable to download artifact(s): Artifact not found for name: {name}")
        data = _api(matches[0]["archive_download_url"], token)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            target.mkdir(parents=True, exist_ok=True)
            archive.extractall(target)
    else:
        source = _store("artifacts", os.environ["GITHUB_RUN_ID"], name)
        if not source.is_dir():
            _fail(f"Unable to download artifact(s): Artifact not found for name: {name}")
        shutil.copytree(source, target, dirs_exist_ok=True)
    _append("GITHUB_OUTPUT", **{"download-path": str(target)})
    how = f" (run {run_id}, by the API)" if token else ""
    print(f"download-artifact stand-in: {name} into {target}{how}")


ACTIONS: dict[tuple[str, str], Callable[[], None]] = {
    ("checkout", "main"): checkout_main,
    ("setup-python", "main"): setup_python_main,
    ("cache", "main"): cache_main,
    ("cache", "post"): cache_post,
    ("upload-artifact", "main"): upload_artifact_main,
    ("download-artifact", "main"): download_artifact_main,
}

if __name__ == "__main__":
    ACTIONS[(sys.argv[1], sys.argv[2])]()
