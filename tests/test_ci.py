"""`toolkit ci` end to end: a scaffolded project's PR check, run as GitHub Actions runs it.

The project is scaffolded with `toolkit new`, its baseline reproduced and committed on main once
per session (per xdist worker); each test copies it, opens a "pull request" (a branch that changes
a param, merged into main the way actions/checkout presents it), and runs `toolkit ci` in a
subprocess with the runner's environment, a real payload adapted to the commits, and the
GitHub-compatible test server as GITHUB_API_URL.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.gh_helpers import PR, REPO, actions_env, adapt_event, parse_outputs, seed_busy_pr
from tests.github_server import READONLY_TOKEN, TOKEN, Fault, GitHubServer, rate_limit
from tests.gitrepo import commit_all, git
from tests.scaffold_helpers import isolated_env
from toolkit import sticky
from toolkit.marker import parse_marker

NASTY_TITLE = "`rm -rf /`; $(curl evil) | <script>"
NASTY_BODY = "<script>alert(1)</script>\n::add-mask::x\n::error::injected\n$(touch PWNED)"
NASTY = ("$(curl evil)", "<script>", "rm -rf", "::error::injected", "touch PWNED")


def _toolkit(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory: pytest.TempPathFactory, _git_config: Path) -> Path:
    """A folder holding `demo/` (scaffolded, baseline reproduced and committed on main) and its
    DVC remote; built once, copied by every test."""
    base = tmp_path_factory.mktemp("scaffold")
    env = isolated_env(_git_config)
    done = _toolkit(["new", "demo"], base, env)
    assert done.returncode == 0, done.stderr
    demo = base / "demo"
    done = _toolkit(["repro"], demo, env)
    assert done.returncode == 0, done.stderr
    for cmd in (["add", "-A"], ["commit", "-q", "-m", "Baseline metrics"]):
        subprocess.run(["git", *cmd], cwd=demo, env=env, check=True, capture_output=True)
    # The baseline's data on the project's DVC remote (a folder beside it), as CI would find it.
    dvc = subprocess.run([sys.executable, "-m", "dvc", "push"], cwd=demo, env=env, capture_output=True)
    assert dvc.returncode == 0, dvc.stderr
    return base


@dataclass
class PullRequest:
    root: Path  # the checkout (the merge commit, as actions/checkout leaves it)
    base_sha: str
    head_sha: str
    merge_sha: str


def open_pr(
    reproduced: Path,
    dest: Path,
    *,
    c: str = "0.01",
    gate_min: str | None = None,
    evaluate_suffix: str = "",
    reproduce: bool = False,
) -> PullRequest:
    """Copy the project; branch `feature` changes train.C (and maybe a gate); check out the merge.

    The branch commits the change alone (its dvc.lock and metrics out of date), or with
    `reproduce` what `dvc repro` made of it, as a careful author would.
    """
    shutil.copytree(reproduced, dest, symlinks=True)
    root = dest / "demo"
    base_sha = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "-b", "feature")
    params = root / "params.yaml"
    params.write_text(re.sub(r"C: [0-9.]+", f"C: {c}", params.read_text()))
    if gate_min is not None:
        config = root / "toolkit.yaml"
        config.write_text(re.sub(r"min: [0-9.]+", f"min: {gate_min}", config.read_text()))
    if evaluate_suffix:
        script = root / "src" / "evaluate.py"
        script.write_text(script.read_text() + evaluate_suffix)
    if reproduce:
        env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
        done = _toolkit(["repro"], root, env)
        assert done.returncode == 0, done.stderr
    head_sha = commit_all(root, "Change C")
    git(root, "checkout", "-q", "--detach", base_sha)
    git(root, "merge", "-q", "--no-ff", "-m", "Merge feature into main", "feature")
    return PullRequest(root, base_sha, head_sha, git(root, "rev-parse", "HEAD"))


@dataclass
class Run:
    proc: subprocess.CompletedProcess[str]
    env: dict[str, str]

    @property
    def summary(self) -> str:
        return Path(self.env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")

    @property
    def outputs(self) -> dict[str, str]:
        return parse_outputs(Path(self.env["GITHUB_OUTPUT"]))

    @property
    def report(self) -> str:
        return (Path(self.env["RUNNER_TEMP"]) / "toolkit-report.md").read_text(encoding="utf-8")

    def overhead(self) -> float:
        m = re.search(
            r"toolkit ci: [0-9.]+ s in total, [0-9.]+ s in the pipeline, ([0-9.]+) s", self.proc.stderr
        )
        assert m, self.proc.stderr
        return float(m.group(1))

    def everything(self, gh: GitHubServer) -> bytes:
        files = [Path(self.env[k]).read_bytes() for k in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")]
        files += [p.read_bytes() for p in Path(self.env["RUNNER_TEMP"]).iterdir() if p.is_file()]
        return b"\n".join([self.proc.stdout.encode(), self.proc.stderr.encode(), *files, gh.received()])


def run_ci(
    pr: PullRequest,
    gh: GitHubServer,
    runner: Path,
    *,
    token: str = TOKEN,
    changes: dict[str, object] | None = None,
    event: str = "pull_request",
) -> Run:
    """`toolkit ci` with the environment of a GitHub Actions step on a pull_request event."""
    payload = adapt_event(
        "pull_request_synchronize.payload.json",
        runner.parent / f"{runner.name}-event.json",
        {
            "pull_request.base.sha": pr.base_sha,
            "pull_request.base.ref": "main",
            "pull_request.head.sha": pr.head_sha,
            "pull_request.head.ref": "feature",
            "pull_request.title": NASTY_TITLE,
            "pull_request.body": NASTY_BODY,
            **(changes or {}),
        },
    )
    env = {**os.environ, **actions_env(runner, event=event, event_path=payload, api_url=gh.url, token=token)}
    env["GITHUB_SHA"] = pr.merge_sha
    proc = _toolkit(["ci"], pr.root, env)
    return Run(proc, env)


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        gh.add_pr(REPO, PR)
        yield gh


def ours(gh: GitHubServer) -> list[dict[str, object]]:
    return [c for c in gh.comments(REPO, PR) if sticky.is_ours(c, "default")]


def assert_clean(run: Run, gh: GitHubServer) -> None:
    """No token anywhere (but the mask command), no untrusted payload text anywhere."""
    data = run.everything(gh).replace(f"::add-mask::{TOKEN}".encode(), b"")
    assert TOKEN.encode() not in data
    assert READONLY_TOKEN.encode() not in data
    for text in NASTY:
        assert text.encode() not in data, text
    assert not list(Path(run.env["RUNNER_TEMP"]).parent.glob("**/PWNED"))


def test_pr_check_posts_one_comment_through_reruns(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    seed_busy_pr(github, 250)
    pr = open_pr(reproduced, tmp_path / "w")
    run = run_ci(pr, github, tmp_path / "runner")
    assert run.proc.returncode == 0, run.proc.stderr
    assert run.proc.stdout.splitlines()[0] == f"::add-mask::{TOKEN}"
    assert "::error" not in run.proc.stdout

    mine = ours(github)
    assert len(mine) == 1
    body = str(mine[0]["body"])
    assert body == run.report
    fields = parse_marker(body)
    assert fields is not None
    assert fields["id"] == "default" and fields["head"] == pr.head_sha != pr.merge_sha
    # The time of the push that made this head (the payload's updated_at): orders reports.
    assert fields["time"] == str(int(datetime(2019, 5, 15, 15, 20, 33, tzinfo=UTC).timestamp()))
    assert "train.C" in body
    # The head is named as reviewers know it (the PR branch), not as "workspace".
    assert "Comparing `main` (`" in body and "→ `feature` (workspace)" in body
    assert run.summary.strip() == run.report.strip()
    outputs = run.outputs
    assert outputs["failed-gates"] == "0"
    assert outputs["comment-url"] == mine[0]["html_url"]
    assert outputs["report-path"] == str(Path(run.env["RUNNER_TEMP"]) / "toolkit-report.md")
    assert outputs["verdict"] and "\n" not in outputs["verdict"]
    # 250 comments: 3 pages to find ours, 1 create, the last page again for a racing run's,
    # and the comment once more in case an older run wrote over it meanwhile.
    methods = [r.method for r in github.requests()]
    assert methods == ["GET"] * 3 + ["POST", "GET", "GET"]
    assert "6 GitHub API requests" in run.proc.stderr
    assert_clean(run, github)
    print(f"first run overhead: {run.overhead():.2f} s")

    rerun = run_ci(pr, github, tmp_path / "runner2")
    assert rerun.proc.returncode == 0, rerun.proc.stderr
    assert len(ours(github)) == 1
    assert ours(github)[0]["id"] == mine[0]["id"]
    assert str(ours(github)[0]["body"]) == rerun.report
    # The pipeline was already reproduced in this checkout, so the body changed: one PATCH,
    # then the comment is read back once (an older run may have written after us).
    assert [r.method for r in github.requests()][len(methods) :] == ["GET"] * 3 + ["PATCH", "GET"]
    # Once more with the same results: identical body, 3 pages read and nothing written.
    seen = len(github.requests())
    again = run_ci(pr, github, tmp_path / "runner2b")
    assert again.proc.returncode == 0, again.proc.stderr
    assert [r.method for r in github.requests()][seen:] == ["GET"] * 3
    assert "The report comment is up to date" in again.proc.stderr
    assert_clean(rerun, github)
    print(f"rerun overhead: {rerun.overhead():.2f} s")

    # A re-run of an older run (older payload, older head) must not overwrite the newer report.
    older = run_ci(
        pr,
        github,
        tmp_path / "runner3",
        changes={"pull_request.updated_at": "2019-05-15T15:00:00Z", "pull_request.head.sha": pr.base_sha},
    )
    assert older.proc.returncode == 0, older.proc.stderr
    assert "Kept the report comment of a newer commit" in older.proc.stderr
    assert "::notice title=toolkit ci%3A comment kept::Kept the report comment" in older.proc.stdout
    assert [str(c["body"]) for c in ours(github)] == [rerun.report]


def test_failing_gate_exits_3_with_an_annotation(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    # The PR's code also tries to read the token: the pipeline runs without it.
    spy = "\nimport os, pathlib\npathlib.Path('seen.txt').write_text(repr(os.environ.get('GITHUB_TOKEN')))\n"
    pr = open_pr(reproduced, tmp_path / "w", gate_min="0.999", evaluate_suffix=spy)
    run = run_ci(pr, github, tmp_path / "runner")
    assert run.proc.returncode == 3, run.proc.stderr
    assert (pr.root / "seen.txt").read_text() == "None"
    lines = (pr.root / "toolkit.yaml").read_text().splitlines()
    gate_line = next(i for i, line in enumerate(lines, 1) if "metric: accuracy" in line)
    errors = [line for line in run.proc.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(f"::error file=toolkit.yaml,line={gate_line},title=")
    assert "accuracy" in errors[0]
    assert run.outputs["failed-gates"] == "1"
    assert len(ours(github)) == 1  # the report is posted all the same
    assert run.summary
    assert_clean(run, github)


def test_fork_pr_with_read_only_token_warns_and_passes(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")
    run = run_ci(
        pr,
        github,
        tmp_path / "runner",
        token=READONLY_TOKEN,
        changes={"pull_request.head.repo.full_name": "evil-fork/Hello-World"},
    )
    assert run.proc.returncode == 0, run.proc.stderr
    warnings = [
        line for line in run.proc.stdout.splitlines()
        if line.startswith("::warning") and "title=Committed results out of date" not in line
    ]
    assert len(warnings) == 1
    assert "not posted" in warnings[0] and "fork" in warnings[0]
    assert "pull-requests: write" in warnings[0].replace("%0A", "\n")
    assert "from a fork" in run.proc.stderr
    assert github.comments(REPO, PR) == []
    assert run.summary.strip() == run.report.strip()
    assert run.outputs["comment-url"] == ""
    assert run.outputs["failed-gates"] == "0"
    data = run.everything(github).replace(f"::add-mask::{READONLY_TOKEN}".encode(), b"")
    assert READONLY_TOKEN.encode() not in data


def test_bad_token_fails_after_writing_the_summary(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")
    run = run_ci(pr, github, tmp_path / "runner", token="ghs_WRONGTOKEN999")
    assert run.proc.returncode == 1
    assert "Error: " in run.proc.stderr and "GITHUB_TOKEN" in run.proc.stderr
    assert "Traceback" not in run.proc.stderr
    assert run.summary and run.outputs["failed-gates"] == "0"
    assert b"ghs_WRONGTOKEN999" not in run.everything(github).replace(b"::add-mask::ghs_WRONGTOKEN999", b"")


def test_push_event_writes_the_summary_and_posts_nothing(
    reproduced: Path, github: GitHubServer, tmp_path: Path, events_dir: Path
) -> None:
    work = tmp_path / "w"
    shutil.copytree(reproduced, work, symlinks=True)
    root = work / "demo"
    sha = git(root, "rev-parse", "HEAD")
    payload = adapt_event("push_with-new-branch.payload.json", tmp_path / "push.json", {"after": sha})
    runner = tmp_path / "runner"
    env = {
        **os.environ,
        **actions_env(runner, event="push", event_path=payload, api_url=github.url, token=TOKEN),
    }
    env["GITHUB_SHA"] = sha
    proc = _toolkit(["ci"], root, env)
    assert proc.returncode == 0, proc.stderr
    assert github.requests() == []
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().startswith("<!-- toolkit:report")
    assert parse_outputs(Path(env["GITHUB_OUTPUT"]))["comment-url"] == ""


def test_outside_actions_prints_the_report_and_touches_no_network(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")
    git(pr.root, "checkout", "-q", "feature")
    env = {**os.environ, "GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN}
    out = tmp_path / "report.md"
    proc = _toolkit(["ci", "-o", str(out)], pr.root, env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<!-- toolkit:report id=default head=")
    assert proc.stdout == out.read_text()
    assert "→ `feature` (workspace)" in proc.stdout  # the checked-out branch names the head
    assert not [line for line in proc.stdout.splitlines() if line.startswith("::")]
    assert github.requests() == []
    assert TOKEN not in proc.stdout + proc.stderr
    assert "overhead" in proc.stderr


def test_two_concurrent_ci_runs_through_faults_leave_one_comment(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    seed_busy_pr(github, 120)
    github.faults.extend([Fault(502), rate_limit(retry_after=1), Fault(503, method="POST")])
    barrier = threading.Barrier(2, timeout=60)
    posts = itertools.count()

    def hook(method: str, path: str) -> None:
        # Hold the first two POSTs until both runs have listed and found nothing: the worst
        # interleaving, every time (a retried POST passes straight through).
        if method == "POST" and next(posts) < 2:
            barrier.wait()

    github.hook = hook
    prs = [open_pr(reproduced, tmp_path / f"w{i}", c="1.0") for i in range(2)]
    runs: list[Run] = []
    threads = [
        threading.Thread(target=lambda p=p, i=i: runs.append(run_ci(p, github, tmp_path / f"r{i}")))
        for i, p in enumerate(prs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert [r.proc.returncode for r in runs] == [0, 0], [r.proc.stderr for r in runs]
    assert len(github.requests("POST")) >= 2  # both created (one after a 503)
    assert len(ours(github)) == 1
    assert str(ours(github)[0]["body"]) in {r.report for r in runs}
    for run in runs:
        assert_clean(run, github)


def test_no_token_in_actions_leaves_the_comment_to_workflow_run(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    # The generated pull-request workflow: no token, the report goes out as an artifact.
    pr = open_pr(reproduced, tmp_path / "w", c="1.0")
    run = run_ci(pr, github, tmp_path / "runner", token="")
    assert run.proc.returncode == 0, run.proc.stderr
    assert "::warning" not in run.proc.stdout
    assert "left to a workflow_run workflow (pr-comment.yml)" in run.proc.stderr
    assert github.requests() == []
    assert run.summary


def test_unsupported_event_says_what_is_supported(tmp_path: Path, events_dir: Path) -> None:
    env = {
        **os.environ,
        **actions_env(
            tmp_path / "runner",
            event="issue_comment",
            event_path=events_dir / "issue_comment_created.payload.json",
        ),
    }
    proc = _toolkit(["ci"], tmp_path, env)
    assert proc.returncode == 1
    assert "pull_request, push, workflow_dispatch, schedule" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_shallow_checkout_of_the_merge_commit(reproduced: Path, github: GitHubServer, tmp_path: Path) -> None:
    # What actions/checkout leaves: the merge commit alone (fetch-depth 1), no base, no branches,
    # no DVC cache; the base must be fetched and the data pulled from the DVC remote.
    pr = open_pr(reproduced, tmp_path / "w")
    clone = tmp_path / "w" / "checkout"  # beside demo/, so the relative DVC remote URL resolves
    clone.mkdir()
    git(clone, "init", "-q")
    git(clone, "remote", "add", "origin", pr.root.as_uri())
    git(clone, "fetch", "-q", "--depth=1", "origin", f"+{pr.merge_sha}:refs/remotes/pull/{PR}/merge")
    git(clone, "checkout", "-q", "--detach", pr.merge_sha)
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    missing = subprocess.run(["git", "cat-file", "-e", f"{pr.base_sha}^{{commit}}"], cwd=clone)
    assert missing.returncode != 0

    run = run_ci(PullRequest(clone, pr.base_sha, pr.head_sha, pr.merge_sha), github, tmp_path / "r")
    assert run.proc.returncode == 0, run.proc.stderr
    mine = ours(github)
    assert len(mine) == 1 and str(mine[0]["body"]) == run.report
    assert f"`{pr.base_sha[:7]}`" in run.report and "train.C" in run.report
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"  # not unshallowed
    assert_clean(run, github)


# -- issue 9: untrusted pull requests ---------------------------------------------------------


def test_outside_actions_the_report_goes_to_the_repos_git_folder_never_through_a_symlink(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")
    # Someone planted /tmp/toolkit-report.md -> a file of ours, hoping we overwrite it.
    shared_tmp = tmp_path / "shared-tmp"
    shared_tmp.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.symlink(victim, shared_tmp / "toolkit-report.md")
    env = {**os.environ, "TMPDIR": str(shared_tmp), "TMP": str(shared_tmp), "TEMP": str(shared_tmp)}
    proc = _toolkit(["ci"], pr.root, env)
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "precious\n"
    mine = pr.root / ".git" / "toolkit" / "toolkit-report.md"
    assert mine.read_text() == proc.stdout
    assert f"Report written to {mine}" in proc.stderr
    # A symlink at the per-repo path is refused too, and nothing is written through it.
    mine.unlink()
    os.symlink(victim, mine)
    proc = _toolkit(["ci"], pr.root, env)
    assert proc.returncode == 1 and "cannot write the report" in proc.stderr
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize(
    ("api_url", "needle"),
    [("https://[::1", "GITHUB_API_URL"), ("http://127.0.0.1:99999999", "GITHUB_API_URL")],
)
def test_a_bad_api_url_is_a_clear_error_after_the_summary(
    reproduced: Path, github: GitHubServer, tmp_path: Path, api_url: str, needle: str
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")
    runner = tmp_path / "runner"
    payload = adapt_event(
        "pull_request_synchronize.payload.json",
        tmp_path / "event.json",
        {"pull_request.base.sha": pr.base_sha, "pull_request.head.sha": pr.head_sha},
    )
    env = {**os.environ, **actions_env(runner, event_path=payload, api_url=api_url, token=TOKEN)}
    proc = _toolkit(["ci"], pr.root, env)
    assert proc.returncode == 1, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr and "bug" not in proc.stderr
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().startswith("<!-- toolkit:report")


def test_non_object_items_in_the_comment_list_fail_after_the_summary(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")
    github.faults.append(Fault(status=200, body=["not a comment", 42], method="GET"))
    run = run_ci(pr, github, tmp_path / "runner")
    assert run.proc.returncode == 1
    assert "not an object with an id" in run.proc.stderr and "bug" not in run.proc.stderr
    assert run.summary


def test_a_payload_sha_that_is_an_option_is_refused(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")
    run = run_ci(pr, github, tmp_path / "runner", changes={"pull_request.head.sha": "--output=/tmp/x"})
    assert run.proc.returncode == 1
    assert "pull_request.head.sha" in run.proc.stderr and "not a commit sha" in run.proc.stderr
    assert not Path("/tmp/x").exists()
    assert github.requests() == []


def test_two_trust_zones_end_to_end_for_a_fork(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    """The generated workflows' flow: the PR job runs `toolkit ci` with no token (its gate fails
    the check) and keeps the report file; the workflow_run job posts it with `toolkit comment`,
    finding the fork's PR by head branch and sha."""
    pr = open_pr(reproduced, tmp_path / "w", gate_min="0.999")
    pr_job = run_ci(pr, github, tmp_path / "runner", token="")
    assert pr_job.proc.returncode == 3, pr_job.proc.stderr  # the gate still fails the check
    assert github.requests() == []
    artifact = Path(pr_job.env["RUNNER_TEMP"]) / "toolkit-report.md"
    forged = artifact.read_text().replace("head=", "head=ffffffffffffffffffffffffffffffffffffffff x=")

    # The workflow_run job: default branch, write token, the artifact as data.
    artifact.write_text(forged)
    github.add_pull(REPO, 9, head_label="forker:feature", head_sha=pr.head_sha)
    event = tmp_path / "workflow_run.json"
    event.write_text(
        json.dumps(
            {
                "workflow_run": {
                    "id": 42,
                    "event": "pull_request",
                    "head_sha": pr.head_sha,
                    "head_branch": "feature",
                    "created_at": "2026-03-01T12:00:00Z",
                    "pull_requests": [],
                    "head_repository": {"full_name": "forker/Hello-World", "owner": {"login": "forker"}},
                },
                "repository": {"full_name": REPO},
            }
        )
    )
    env = {
        **os.environ,
        **actions_env(tmp_path / "poster", event="workflow_run", event_path=event, api_url=github.url,
                      token=TOKEN),
    }
    poster = _toolkit(["comment", "--body-file", str(artifact)], tmp_path, env)
    assert poster.returncode == 0, poster.stderr
    (posted,) = [c for c in github.comments(REPO, 9) if sticky.is_ours(c, "default")]
    assert parse_marker(str(posted["body"])) == {"id": "default", "head": pr.head_sha, "time": "1772366400"}
    assert "accuracy" in str(posted["body"])


# -- the branch's own results out of date (the pull request commits no new dvc.lock) ----------

STALE_FILES = (
    "dvc.lock", "eval/plots/roc.json", "eval/plots/precision_recall.json", "eval/plots/confusion.json",
    "eval/metrics.json",
)


def test_a_pr_whose_committed_results_are_out_of_date_is_told(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w")  # changes train.C, commits neither dvc.lock nor metrics
    params = pr.root / "params.yaml"
    params.write_text(params.read_text() + "db:\n  password: hunter2-in-the-pr\n")
    run = run_ci(pr, github, tmp_path / "runner")
    assert run.proc.returncode == 0, run.proc.stderr
    # A secret param: masked in the log by GitHub (`::add-mask::`), `***` in the report.
    assert "::add-mask::hunter2-in-the-pr" in run.proc.stdout.splitlines()
    out = run.everything(github).decode().replace("::add-mask::hunter2-in-the-pr", "")
    assert "hunter2" not in out and "| `db.password` | `params.yaml` | — | `***` | new |" in run.report
    lines = run.report.split("\n")
    assert lines[1] == "## ✅ Both quality gates pass"  # the gates judged CI's own reproduction
    assert lines[3] == "> [!WARNING]"
    files = ", ".join(f"`{f}`" for f in STALE_FILES)
    assert lines[4] == (
        f"> **Committed results out of date**: {files} at `feature` are not what `dvc repro` gives "
        "(stages `train`, `evaluate`); this report shows the reproduced results. To fix it, run "
        "`toolkit repro`, commit them and `dvc push` the new data (or `toolkit repro --push`)."
    )
    assert run.summary.strip() == run.report.strip()
    assert str(ours(github)[0]["body"]) == run.report
    annotations = [
        line for line in run.proc.stdout.splitlines()
        if line.startswith("::") and "title=Committed results out of date" in line
    ]
    assert [line.split(",title=")[0] for line in annotations] == [f"::warning file={f}" for f in STALE_FILES]
    assert all("run `toolkit repro`, commit them" in line for line in annotations)
    assert run.outputs["verdict"] == "✅ Both quality gates pass"

    # toolkit.yaml can make it a failing check (exit 3, as a failed gate), still naming each file.
    config = pr.root / "toolkit.yaml"
    config.write_text(config.read_text() + "\nci:\n  fail-on-stale-results: true\n")
    failing = run_ci(pr, github, tmp_path / "runner2")
    assert failing.proc.returncode == 3, failing.proc.stderr
    assert failing.outputs["verdict"] == "❌ Committed results out of date; both quality gates pass"
    assert failing.outputs["failed-gates"] == "0"
    assert failing.report.split("\n")[1:4] == [f"## {failing.outputs['verdict']}", "", "> [!CAUTION]"]
    errors = [line for line in failing.proc.stdout.splitlines() if line.startswith("::error ")]
    assert [line.split(",title=")[0] for line in errors] == [f"::error file={f}" for f in STALE_FILES]
    assert_clean(failing, github)


def test_a_pr_that_commits_its_reproduced_results_is_not_told(
    reproduced: Path, github: GitHubServer, tmp_path: Path
) -> None:
    pr = open_pr(reproduced, tmp_path / "w", reproduce=True)
    config = pr.root / "toolkit.yaml"
    config.write_text(config.read_text() + "\nci:\n  fail-on-stale-results: true\n")
    run = run_ci(pr, github, tmp_path / "runner")
    assert run.proc.returncode == 0, run.proc.stderr
    assert "Committed results" not in run.report and "Committed results" not in run.proc.stdout
    assert "train.C" in run.report and run.outputs["verdict"] == "✅ Both quality gates pass"
    assert "found all 4 stages up to date" in run.report  # nothing left for CI to reproduce
