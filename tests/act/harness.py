"""Run a generated workflow under act (nektos/act) against a repository and GitHub on this machine.

`World` is one project as GitHub would hold it: a bare repository served to the checkout
stand-in as `$GITHUB_SERVER_URL/OWNER/NAME` (a file:// URL), the REST API served by
tests/github_server.py on 127.0.0.1, a shared DVC remote folder, and a store for the cache and
artifact stand-ins (tests/act/standins.py). `World.run` starts act in host mode
(`-P ubuntu-latest=-self-hosted`, no Docker) with each pinned action mapped to its stand-in, the
event payload in a file, and act's cache and artifact servers bound to 127.0.0.1. The workflow
files act reads are those of the commit GitHub would take them from (a clone at that commit).

One difference from GitHub's runners remains: act's host mode runs each step on a pseudo-terminal
(GitHub's steps have no terminal), so a step that pages or colours its output when it sees one
does so here; the workflows must not depend on either.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.github_server import TOKEN, GitHubServer
from tests.gitrepo import git
from toolkit.resources import templates_dir

HERE = Path(__file__).resolve().parent
ACT = Path(sys.executable).parent / "act"
#: The hosted actions the generated workflows use, each replaced by a folder of tests/act/actions/.
STANDINS = ("checkout", "setup-python", "cache", "upload-artifact", "download-artifact")
RUN_TIMEOUT = 600  # seconds for one act run (a pipeline on a busy 2-core machine)


def local_repositories(server_url: str) -> list[str]:
    """`--local-repository` arguments: each pinned `actions/NAME@SHA` to its stand-in folder.

    act resolves actions on GITHUB_SERVER_URL (as GitHub Enterprise Server does), so the
    mapping names that URL.
    """
    pins = yaml.safe_load((templates_dir() / "actions-pins.yaml").read_text(encoding="utf-8"))
    args = []
    for name in STANDINS:
        sha = pins[f"actions/{name}"]["sha"]
        args += ["--local-repository", f"{server_url}/actions/{name}@{sha}={HERE / 'actions' / name}"]
    return args


@dataclass
class ActRun:
    """What one act run did."""

    workflow: str
    event: str
    run_id: int
    returncode: int
    log: str
    seconds: float

    def job_succeeded(self, job: str) -> bool | None:
        """True/False as act reports job `job` (its name), None when it did not run."""
        results = re.findall(rf"^\[[^\]]*/{re.escape(job)}\s*\] 🏁  Job (succeeded|failed)$", self.log, re.M)
        return None if not results else results[-1] == "succeeded"

    def step_lines(self, text: str) -> list[str]:
        return [line for line in self.log.splitlines() if text in line]


@dataclass
class World:
    """A GitHub repository (bare repo + API), a developer's clone, a DVC remote, and act's state."""

    root: Path
    gh: GitHubServer
    repo: str = "octo/demo"
    runs: list[ActRun] = field(default_factory=list)
    _next_run: int = 9000

    @property
    def server(self) -> Path:
        """The folder GITHUB_SERVER_URL points at: OWNER/NAME below it is the bare repository."""
        return self.root / "github"

    @property
    def bare(self) -> Path:
        return self.server / self.repo

    @property
    def clone(self) -> Path:
        """The developer's working copy."""
        return self.root / "demo"

    @property
    def store(self) -> Path:
        return self.root / "standin-store"

    @property
    def remote(self) -> Path:
        """The DVC remote every runner reaches (a shared folder, as a mounted volume would be)."""
        return self.root / "dvc-remote"

    def publish(self, *refspecs: str) -> None:
        """`git push` from the developer's clone to the GitHub repository."""
        git(self.clone, "push", "-q", "--force", "origin", *refspecs)

    def open_pull_request(self, number: int, branch: str, base: str = "main") -> tuple[str, str, str]:
        """GitHub's refs for PR `number`: refs/pull/N/head and a test merge refs/pull/N/merge."""
        head = git(self.clone, "rev-parse", branch)
        base_sha = git(self.clone, "rev-parse", base)
        scratch = self.root / "merge"
        if scratch.exists():
            shutil.rmtree(scratch)
        git(self.root, "clone", "-q", "--no-checkout", str(self.bare), str(scratch))
        git(scratch, "fetch", "-q", str(self.clone), head)
        git(scratch, "checkout", "-q", "--detach", base_sha)
        git(scratch, "merge", "-q", "--no-ff", "-m", f"Merge {head} into {base_sha}", head)
        merge = git(scratch, "rev-parse", "HEAD")
        git(scratch, "push", "-q", "--force", "origin", f"{head}:refs/pull/{number}/head",
            f"{merge}:refs/pull/{number}/merge")
        self.gh.add_pr(self.repo, number)
        return head, base_sha, merge

    def repository(self) -> dict[str, Any]:
        owner, name = self.repo.split("/")
        return {"full_name": self.repo, "name": name, "owner": {"login": owner, "type": "User"},
                "default_branch": "main", "private": False}

    def run(self, workflow: str, event: str, payload: dict[str, Any], *, sha: str,
            variables: dict[str, str] | None = None) -> ActRun:
        """Run `.github/workflows/WORKFLOW` of commit `sha` under act for `event` with `payload`."""
        self._next_run += 1
        run_id = self._next_run
        workdir = self.root / f"act-{run_id}"
        git(self.root, "clone", "-q", "--no-checkout", str(self.bare), str(workdir))
        git(workdir, "checkout", "-q", "--detach", sha)
        event_file = self.root / f"event-{run_id}.json"
        event_file.write_text(json.dumps({**payload, "repository": self.repository()}), encoding="utf-8")
        command = [
            str(ACT), event, "-C", str(workdir), "-W", str(workdir / ".github" / "workflows" / workflow),
            "-e", str(event_file), "-P", "ubuntu-latest=-self-hosted", "--no-skip-checkout",
            *local_repositories(f"file://{self.server}"), "--defaultbranch", "main",
            "--artifact-server-addr", "127.0.0.1", "--cache-server-addr", "127.0.0.1",
            "--cache-server-port", "0", "--cache-server-path", str(self.root / "act-cache-server"),
            "--action-cache-path", str(self.root / "act-actions"),
            "--env", f"GITHUB_REPOSITORY={self.repo}", "--env", f"GITHUB_RUN_ID={run_id}",
            "--env", f"GITHUB_SERVER_URL=file://{self.server}", "--env", f"GITHUB_API_URL={self.gh.url}",
            "-s", f"GITHUB_TOKEN={TOKEN}",
        ]
        for name, value in (variables or {}).items():
            command += ["--var", f"{name}={value}"]
        started = time.monotonic()
        done = subprocess.run(command, env=self._env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
        seconds = time.monotonic() - started
        result = ActRun(workflow, event, run_id, done.returncode, done.stdout + done.stderr, seconds)
        self.runs.append(result)
        (self.root / f"act-{run_id}.log").write_text(result.log, encoding="utf-8")
        print(f"act {event} {workflow}: exit {done.returncode} in {result.seconds:.1f} s")
        return result

    def _env(self) -> dict[str, str]:
        """act's environment, which host mode hands to every step: the system, no developer state."""
        home = self.root / "home"
        home.mkdir(exist_ok=True)
        return {
            "PATH": os.pathsep.join(p for p in ("/usr/local/bin", "/usr/bin", "/bin") if Path(p).is_dir()),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "GIT_CONFIG_GLOBAL": os.environ["GIT_CONFIG_GLOBAL"],
            "GIT_CONFIG_NOSYSTEM": "1",
            "DVC_NO_ANALYTICS": "1",
            # The stand-ins (tests/act/standins.py): the Python with the toolkit, their code, their
            # cache and artifact folders. pip may install nothing from an index: every requirement
            # must already be satisfied by that Python (no network in the tests).
            "STANDIN_PYTHON": sys.executable,
            "STANDIN_LIB": str(HERE),
            "STANDIN_STORE": str(self.store),
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            **{k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
        }

    def artifact_files(self, run: ActRun, name: str) -> dict[str, bytes]:
        """The files of artifact `name` that run `run` uploaded (its upload-artifact stand-in)."""
        folder = self.store / "artifacts" / str(run.run_id) / name
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def toolkit(cwd: Path, *args: str) -> str:
    """Run the toolkit (this checkout's) in cwd; fail the test with its output on an error."""
    done = subprocess.run([sys.executable, "-m", "toolkit", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"toolkit {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def dvc(cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"dvc {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def make_world(root: Path, gh: GitHubServer, *, shared_remote: bool = True) -> World:
    """A scaffolded project, reproduced and committed on main, pushed to the GitHub repository.

    shared_remote: the DVC remote is a folder every runner reaches (holding the data and model);
    else the scaffold's own, a folder beside the developer's clone that no runner has.
    """
    world = World(root, gh)
    toolkit(root, "new", "demo", "--toolkit-requirement", "mlops-toolkit==0.1.0")
    if shared_remote:
        world.remote.mkdir()
        dvc(world.clone, "remote", "add", "--default", "--force", "storage", str(world.remote))
    toolkit(world.clone, "repro")
    git(world.clone, "add", "-A")
    git(world.clone, "commit", "-q", "-m", "Reproduce the pipeline")
    dvc(world.clone, "push", "-q")
    world.bare.parent.mkdir(parents=True)
    git(root, "init", "-q", "--bare", "-b", "main", str(world.bare))
    git(world.clone, "remote", "add", "origin", f"file://{world.bare}")
    world.publish("main")
    gh.add_repo(world.repo)
    return world


def make_subfolder_world(root: Path, gh: GitHubServer) -> World:
    """A git repository whose DVC project is the subfolder ml/ (`dvc init --subdir`), adopted by
    `toolkit init` at the git root, reproduced and committed on main, pushed to GitHub."""
    world = World(root, gh)
    top = world.clone
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    (top / "README.md").write_text("A repository with its ML project in ml/.\n")
    toolkit(root, "new", "ml-project", "--no-git", "--toolkit-requirement", "mlops-toolkit==0.1.0")
    project = top / "ml"
    shutil.move(root / "ml-project", project)
    shutil.rmtree(project / ".github")  # `toolkit init` writes the workflows at the git root
    (project / "toolkit.yaml").unlink()  # and its own toolkit.yaml
    dvc(project, "init", "-q", "--subdir")
    toolkit(project, "repro")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "An ML project in ml/")
    toolkit(project, "init", "--toolkit-requirement", "mlops-toolkit==0.1.0")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "Adopt mlops-toolkit")
    world.bare.parent.mkdir(parents=True)
    git(root, "init", "-q", "--bare", "-b", "main", str(world.bare))
    git(top, "remote", "add", "origin", f"file://{world.bare}")
    world.publish("main")
    gh.add_repo(world.repo)
    return world
