"""`toolkit ci [--base REV] [-o FILE]`: the whole pull-request check.

context -> base reachable -> dvc pull/repro -> diff -> gates -> report -> PR comment (pull_request
events in Actions) -> job summary -> step outputs -> annotations -> exit 0 / 1 / 3.
Outside GitHub Actions the same steps run and the report is printed; nothing touches the network.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit import actions, proc
from toolkit.errors import GitHubError, ToolkitError
from toolkit.output import group, info, warn, write, write_line
from toolkit.results import Comparison, GateResult, Revision

if TYPE_CHECKING:
    from toolkit.committed import Committed
    from toolkit.config import Config

REPORT_NAME = "toolkit-report.md"


def run(*, base: str | None, output: Path | None, environ: Mapping[str, str], cwd: Path) -> int:
    """Run the PR check; 0 when every gate passes, 3 when one fails, 1 on an error."""
    started = time.monotonic()
    ctx = actions.context_from_env(environ)
    if ctx.in_actions and ctx.token:
        actions.mask(ctx.token)
    if ctx.token:
        # The pipeline runs the PR's code as our user: it must not read the token from /proc.
        proc.harden()
    try:
        return _run(ctx, base=base, output=output, environ=environ, cwd=cwd, started=started)
    except ToolkitError as exc:
        message = _scrub(exc.message, ctx.token)
        if ctx.in_actions:
            write_line(actions.annotation("error", message, title="toolkit ci"))
        if message != exc.message:
            raise ToolkitError(message) from None
        raise


def _run(
    ctx: actions.RunContext,
    *,
    base: str | None,
    output: Path | None,
    environ: Mapping[str, str],
    cwd: Path,
    started: float,
) -> int:
    from toolkit import compare, dvc, gates, report
    from toolkit.config import load_config
    from toolkit.verdict import judge

    root = dvc.find_root(cwd)
    config = load_config(root)
    # Inputs first: a typo in toolkit.yaml or a missing base costs seconds, not a training run.
    gates.validate(config, compare.declared_metrics(root) if config.gates else [])
    # On a laptop, what the report compares is the working tree: say what is not committed.
    uncommitted = () if ctx.in_actions else _uncommitted(root)
    if ctx.is_pull_request:
        info(
            f"Pull request #{ctx.pr_number} of {ctx.repository}: "
            f"{actions.escape_data(ctx.head_ref or '?')} ({(ctx.head_sha or '?')[:7]}) into "
            f"{actions.escape_data(ctx.base_ref or '?')} ({(ctx.base_sha or '?')[:7]})"
            + (" from a fork" if ctx.fork else "")
        )

    # The base: --base, else the PR's base commit, else compare's default (toolkit.yaml `base:`,
    # main, origin/main), made reachable now (fetched from a shallow clone if need be); compare
    # then names it as the user or the event did (`main`, not a bare sha).
    base_rev = base or (ctx.base_sha if ctx.is_pull_request else None)
    compare.resolve_base(root, base_rev, environ, config)
    report_path = _report_path(output, environ, root)

    if ctx.in_actions:  # a stage command may print a secret param it interpolates: GitHub hides it
        from toolkit.masking import workspace_secrets

        for value in workspace_secrets(root, config.secret_keys):
            actions.mask(value)
    # dvc.repro folds its own log into a `::group::`; the pipeline never sees the token.
    pipeline_env = proc.child_env(environ)
    repro = dvc.repro(
        root, pull=_use_remote(ctx, root), environ=pipeline_env, advice=False, all_pipelines=True
    )
    if config.report.dag:
        from toolkit import dag

        dag_md = dag.markdown(root)  # from the parsed dvc.yaml: no `dvc dag` process
    else:
        dag_md = None
    info(f"dvc repro: {repro.summary()}")

    comparison = compare.compare(
        root, base, None, environ=environ, config=config, with_plots=config.report.plots
    )
    # The workspace is the checkout after `dvc repro`: name it as reviewers know it (the PR's
    # branch in Actions, the current branch on a laptop).
    head_name = ctx.head_ref if ctx.is_pull_request else _current_branch(root)
    if head_name:
        comparison.head = Revision(name=head_name, sha=None)
    committed = _committed(root, head_name)
    results = gates.evaluate(config, comparison)
    failed = [g for g in results if not g.passed]
    verdict = judge(results, committed=committed, fail_on_committed=config.ci.fail_on_stale_results)

    marker_fields = _marker_fields(root, ctx)
    body = report.render(
        comparison,
        results,
        options=config.report,
        marker_fields=marker_fields,
        repro=repro,
        uncommitted=uncommitted,
        run_url=ctx.run_url,
        dag_md=dag_md,
        production=(
            report.production_values(root, config.report.production, config, environ)
            if config.report.production
            else None
        ),
        verdict=verdict,
        committed=committed,
    )
    report.save(report_path, body, follow_symlinks=output is not None)
    info(f"Report written to {report_path}")

    if not ctx.in_actions:
        write(body if body.endswith("\n") else body + "\n")
        if committed is not None:
            warn(committed.message())
        for g in failed:
            warn(f"quality gate failed: {g.reason}")
        info(verdict.headline)
        _timing(started, repro.seconds)
        return verdict.exit_code

    with group("Report", environ):
        write(actions.verbatim(body))  # metric names and values come from the PR: inert here

    comment_url = ""
    hard_error: ToolkitError | None = None
    if not ctx.is_pull_request:
        info(f"No PR comment on a `{ctx.event_name}` event; the report is in the job summary.")
    elif not ctx.token:
        # The generated workflows: this job runs the PR's code and holds no token; the report
        # file is uploaded and a workflow_run workflow (pr-comment.yml) posts it.
        info(
            f"No GITHUB_TOKEN for this step: the report comment is left to a workflow_run workflow "
            f"(pr-comment.yml) posting {report_path}; give the step a token to post it from here."
        )
    else:
        from toolkit.github import ForbiddenError

        try:
            comment_url = _comment(ctx, environ, body, config.report.id, marker_fields)
        except ForbiddenError as exc:
            # A fork's read-only token (or a job without the permission): the gates still decide.
            _no_comment(_scrub(exc.message, ctx.token))
        except GitHubError as exc:
            hard_error = GitHubError(_scrub(exc.message, ctx.token))

    actions.append_summary(environ, body)
    actions.set_outputs(
        environ,
        {
            "verdict": verdict.headline,
            "failed-gates": len(failed),
            "report-path": str(report_path),
            "comment-url": comment_url,
        },
    )
    _annotate(root, config, failed, comparison, committed, verdict.committed_fails)
    info(verdict.headline)
    _timing(started, repro.seconds)
    if hard_error is not None:
        raise hard_error
    return verdict.exit_code


def _committed(root: Path, head_name: str | None) -> Committed | None:
    """What the checked-out commit holds that `dvc repro` just gave differently."""
    from toolkit import committed, dvc

    return committed.check(root, "HEAD", label=head_name or "HEAD", remote=dvc.has_remote(root))


def _annotate(
    root: Path,
    config: Config,
    failed: list[GateResult],
    comparison: Comparison,
    committed: Committed | None,
    committed_fails: bool,
) -> None:
    """`::error`/`::warning` lines on the files at fault, paths relative to the git root."""
    from toolkit.compare import root_prefix
    from toolkit.problems import group as group_problems

    prefix = root_prefix(root)

    def in_repo(path: str) -> str:
        return f"{prefix}/{path}" if prefix else path

    config_file = in_repo(_relative(config.path, root) if config.path else "toolkit.yaml")
    for g in failed:
        write_line(
            actions.annotation(
                "error", g.reason, file=config_file, line=g.line, title=f"Quality gate: {g.metric}"
            )
        )
    if committed is not None:
        kind: actions.AnnotationKind = "error" if committed_fails else "warning"
        for path in committed.files[:10]:
            write_line(
                actions.annotation(
                    kind, committed.message(), file=in_repo(path), title="Committed results out of date"
                )
            )
    for item in group_problems(comparison.problems)[:10]:
        message = item.first.message
        if len(item.paths) > 1:
            message += f" The same for {len(item.paths) - 1} more: {', '.join(item.paths[1:6])}" + (
                " ..." if len(item.paths) > 6 else "."
            )
        write_line(
            actions.annotation("warning", message, file=in_repo(item.first.path), title="toolkit diff")
        )


def _uncommitted(root: Path) -> tuple[str, ...]:
    """Files with changes git has not committed (before the pipeline runs), as `git status` lists them."""
    done = proc.run(
        ["git", "status", "--porcelain", "--untracked-files=normal", "--", "."], cwd=root, check=False
    )
    if done.returncode != 0:
        return ()
    return tuple(
        line[3:].strip('"') for line in done.stdout.decode(errors="replace").splitlines() if len(line) > 3
    )


def _comment(
    ctx: actions.RunContext,
    environ: Mapping[str, str],
    body: str,
    report_id: str,
    marker_fields: Mapping[str, str],
) -> str:
    from toolkit import sticky
    from toolkit.commands.comment import require_repo_and_token
    from toolkit.github import Client

    repo, token = require_repo_and_token(ctx)
    assert ctx.pr_number is not None
    time_field = marker_fields.get("time")
    with Client(ctx.api_url, token) as client:
        outcome = sticky.upsert_comment(
            client,
            repo,
            ctx.pr_number,
            body,
            report_id=report_id,
            head_sha=marker_fields.get("head"),
            head_time=int(time_field) if time_field else None,
            login=sticky.bot_login(environ),
            summary_hint=ctx.run_url,
        )
        info(f"{outcome.describe()} ({client.requests_sent} GitHub API requests)")
    if outcome.action == "skipped-older":
        write_line(actions.annotation("notice", outcome.describe(), title="toolkit ci: comment kept"))
    return outcome.url or ""


def _marker_fields(root: Path, ctx: actions.RunContext) -> dict[str, str]:
    """head=<sha> time=<epoch>: lets a later run tell whether the posted report is newer.

    The time is the PR's `updated_at` from the event (when the push happened: re-runs of an old
    run keep their old payload, and a force-push back to an older commit still counts as newer);
    without a PR event it is the head commit's time.
    """
    sha = ctx.head_sha
    if not sha:
        done = proc.run(["git", "rev-parse", "HEAD"], cwd=root, check=False)
        sha = done.stdout.decode().strip() if done.returncode == 0 else None
    if not sha:
        return {}
    fields = {"head": sha}
    stamp = ctx.pr_updated if ctx.pr_updated is not None else _commit_time(root, sha)
    if stamp is not None:
        fields["time"] = str(stamp)
    return fields


def _current_branch(root: Path) -> str | None:
    done = proc.run(["git", "symbolic-ref", "--short", "-q", "HEAD"], cwd=root, check=False)
    name = done.stdout.decode(errors="replace").strip()
    return name if done.returncode == 0 and name else None


def _commit_time(root: Path, sha: str) -> int | None:
    done = proc.run(
        ["git", "log", "-1", "--format=%ct", "--end-of-options", sha, "--"], cwd=root, check=False
    )
    try:
        return int(done.stdout.decode().strip()) if done.returncode == 0 else None
    except ValueError:
        return None


def _report_path(output: Path | None, environ: Mapping[str, str], root: Path) -> Path:
    """-o FILE; in Actions the runner's temp folder; elsewhere inside this repo's git folder.

    Never a fixed name in the shared temp folder, where anyone can plant a symlink to a file
    of ours for the report to overwrite.
    """
    if output is not None:
        return output
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("RUNNER_TEMP"):
        return Path(environ["RUNNER_TEMP"]) / REPORT_NAME
    done = proc.run(["git", "rev-parse", "--absolute-git-dir"], cwd=root, check=False)
    git_dir = done.stdout.decode(errors="replace").strip()
    if done.returncode != 0 or not git_dir:
        raise ToolkitError(f"cannot find the git folder of {root}; pass -o FILE for the report.")
    return Path(git_dir) / "toolkit" / REPORT_NAME


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _no_comment(reason: str) -> None:
    write_line(
        actions.annotation(
            "warning",
            f"The report comment was not posted: {reason} The report is in the job summary.",
            title="toolkit ci: no PR comment",
        )
    )


def _scrub(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def _timing(started: float, pipeline: float) -> None:
    total = time.monotonic() - started
    info(
        f"toolkit ci: {total:.2f} s in total, {pipeline:.2f} s in the pipeline, "
        f"{max(0.0, total - pipeline):.2f} s overhead"
    )


# -- the DVC remote on pull requests (issue 13) ----------------------------------------------------


def _use_remote(ctx: actions.RunContext, root: Path) -> bool:
    """Pull from the DVC remote unless there is none, or a fork's PR cannot reach a cloud one."""
    from toolkit import dvc

    remote = dvc.default_remote(root)
    if remote is None:
        return False
    if ctx.is_pull_request and ctx.fork and remote.local_path is None:
        # GitHub gives a fork's pull request no OIDC token, so no role and no credentials.
        info(
            f"Pull request from a fork: reproducing without the DVC remote `{remote.name}` "
            f"({remote.url}); GitHub gives forks no OIDC token to reach it, so every stage whose "
            "results are not in the runner's cache runs."
        )
        return False
    return True
