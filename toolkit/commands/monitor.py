"""`toolkit monitor`: the production batch against the production model's training data.

Three modes, so each workflow job holds only the permission it needs:

- `toolkit monitor [-o FILE]` (contents: read) computes data drift, prediction drift and
  performance decay, prints the report (job summary and `alert` output in Actions) and writes it to
  FILE with a marker saying whether it alerts;
- `toolkit monitor --issue [--from-report FILE]` (issues: write) keeps the one open issue
  labelled `model-monitoring` in line with the report, computing it first unless FILE is given;
- `toolkit monitor --dispatch-retrain --from-report FILE` (actions: write) starts `retrain.yml`
  when the report alerts; `toolkit monitor --open-pr BRANCH --body-file FILE` (contents and
  pull-requests: write) commits the retrained pipeline on BRANCH, pushes it and opens the PR.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit import actions, output
from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from toolkit.config import Config

ALERT_EXIT = 3
RETRAIN_WORKFLOW = "retrain.yml"


def run(
    *,
    reference: str | None,
    current: str | None,
    target: str | None,
    model: str | None,
    output_file: Path | None,
    from_report: Path | None,
    issue: bool,
    dispatch_retrain: bool,
    open_pr: str | None,
    body_file: Path | None,
    fail_on_drift: bool,
    environ: Mapping[str, str],
    cwd: Path,
) -> int:
    """Run the mode the options ask for; 3 with --fail-on-drift when the report alerts."""
    from toolkit.config import load_config
    from toolkit.dvc import settings_root
    from toolkit.git import find_root

    root = find_root(cwd)
    config = load_config(settings_root(cwd))
    if open_pr is not None:
        return _open_pr(root, open_pr, body_file, environ)
    if from_report is not None:
        report, alert = read_report(from_report)
    else:
        report, alert = _compute(root, cwd, config, reference, current, target, model, environ)
        if output_file is not None:
            _save(output_file, report)
        # Column names and values come from data files: in Actions, no line may run as a command.
        output.write(actions.verbatim(report) if output.in_github_actions(environ) else report)
        if output.in_github_actions(environ):
            actions.append_summary(environ, report.split("\n", 1)[1])
            actions.set_outputs(environ, {"alert": "true" if alert else "false"})
    if issue or dispatch_retrain:
        if dispatch_retrain and not config.monitor.retrain:
            output.info(
                "Retraining on drift is off (`monitor: {retrain: true}` in toolkit.yaml turns it on)."
            )
            dispatch_retrain = False
        _post(environ, config.monitor.issue_label, report, alert, issue=issue, dispatch=dispatch_retrain)
    return ALERT_EXIT if fail_on_drift and alert else 0


def _compute(
    root: Path,
    cwd: Path,
    config: Config,
    reference: str | None,
    current: str | None,
    target: str | None,
    model: str | None,
    environ: Mapping[str, str],
) -> tuple[str, bool]:
    import dataclasses

    import pandas as pd

    from toolkit.marker import format_marker
    from toolkit.monitor import drift, production, render, sources
    from toolkit.monitor.issue import REPORT_ID

    opts = config.monitor
    prod = production.production_revision(root, model or opts.model)
    output.info(f"Production model: {prod.name} ({prod.sha[:7]})")
    target = target or opts.target
    if reference is not None:
        ref_source, ref_cwd = sources.parse_source(reference, cwd), cwd
    else:  # the training data of the production model, read at its commit
        ref_source, ref_cwd = sources.Source(f"{prod.name}:{opts.reference}", opts.reference, prod.sha), root
    if current is not None:
        cur_source, cur_cwd = sources.parse_source(current, cwd), cwd
    else:
        cur_source, cur_cwd = sources.Source(opts.current, opts.current), root
    ref = sources.read(ref_source, ref_cwd, config.drift)
    cur = sources.read(cur_source, cur_cwd, config.drift)
    data = drift.compare_frames(ref, cur, ref_source, cur_source, config.drift, target=target)
    result = render.MonitorResult(production=prod, data=data)

    features = [str(c) for c in ref.columns if str(c) != target]
    loaded, why = production.load_model(root, prod, opts.artifact)
    ref_scores = cur_scores = None
    if loaded is not None:
        ref_scores, why = production.predict(loaded, ref, features)
        if ref_scores is not None:
            cur_scores, why = production.predict(loaded, cur, features)
    if ref_scores is None or cur_scores is None:
        result = dataclasses.replace(result, prediction_note=why)
    else:
        column = drift.prepare_scores("prediction", pd.Series(ref_scores), pd.Series(cur_scores))
        scored = drift.score_column(column, config.drift.columns.get("prediction"))
        result = dataclasses.replace(result, prediction=scored)

    note: str | None
    if cur_scores is not None and target is not None and target in cur.columns:
        labelled = cur[target].notna().to_numpy()
        y = cur[target].to_numpy()[labelled]
        batch = production.batch_metrics(y.astype(int), cur_scores[labelled], opts.threshold)
        base = production.production_metrics(root, prod, opts.metrics)
        comparison, gates, note = production.performance_gates(config, prod, base, batch, opts.metrics)
        if base is None:
            note = f"{opts.metrics} at {prod.name} could not be read: the gates had nothing to compare with."
        result = dataclasses.replace(
            result, comparison=comparison, gates=gates, performance_note=note, labelled_rows=len(y)
        )
    else:
        if cur_scores is None:
            note = "the model could not score the batch (see prediction drift)"
        elif target is None:
            note = "no target column set (`monitor.target` in toolkit.yaml, or --target)"
        else:
            note = f"the batch has no `{target}` column (labels)"
        result = dataclasses.replace(result, performance_note=note)
    body = render.monitor_markdown(result, run_url=actions.run_url(environ))
    marker = format_marker(REPORT_ID, alert="yes" if result.alert else "no")
    return marker + "\n" + body, result.alert


def read_report(path: Path) -> tuple[str, bool]:
    """A report written by `toolkit monitor -o FILE`, and whether it alerts (from its marker)."""
    from toolkit.marker import parse_marker
    from toolkit.monitor.issue import REPORT_ID

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolkitError(
            f"cannot read the monitoring report {path}: {getattr(exc, 'strerror', None) or exc}; "
            "write it with `toolkit monitor -o FILE` first."
        ) from None
    fields = parse_marker(text)
    if fields is None or fields.get("id") != REPORT_ID or fields.get("alert") not in ("yes", "no"):
        raise ToolkitError(
            f"{path} is not a report of `toolkit monitor -o FILE` (its first line has no monitoring "
            "marker); pass the file that command wrote."
        )
    from toolkit.inert import controls, markdown_document

    # The file crossed from another job as an artifact: made inert again (a no-op on what
    # `toolkit monitor -o` wrote) before the bot posts it.
    body = text.split("\n", 1)[1] if "\n" in text else ""
    return markdown_document(controls(body)), fields["alert"] == "yes"


def _save(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ToolkitError(
            f"cannot write the report to {path}: {exc.strerror}; pick a writable path."
        ) from None


def _post(
    environ: Mapping[str, str], label: str, report: str, alert: bool, *, issue: bool, dispatch: bool
) -> None:
    from toolkit import sticky
    from toolkit.errors import GitHubError
    from toolkit.github import Client
    from toolkit.monitor.issue import sync_issue

    ctx = actions.context_from_env(environ, require_supported=False)
    if ctx.in_actions and ctx.token:
        actions.mask(ctx.token)
    if not ctx.repository:
        raise ToolkitError("GITHUB_REPOSITORY is not set; set it to `owner/name` (GitHub Actions sets it).")
    if not ctx.token:
        needs = "issues: write" if issue else "actions: write"
        raise GitHubError(
            "GITHUB_TOKEN is not set; give the step `env: GITHUB_TOKEN: ${{ github.token }}` and the "
            f"job `permissions: {needs}`."
        )
    repo, token = ctx.repository, ctx.token
    with Client(ctx.api_url, token) as client:
        if issue:
            outcome = sync_issue(
                client,
                repo,
                report,
                drift=alert,
                label=label,
                login=sticky.bot_login(environ),
                summary_hint=ctx.run_url,
            )
            output.info(outcome.describe())
            if ctx.in_actions:
                actions.set_outputs(environ, {"issue-url": outcome.url or "", "issue-action": outcome.action})
        if dispatch:
            if not alert:
                output.info("No drift: retraining not dispatched.")
                return
            ref = environ.get("GITHUB_REF_NAME") or "main"
            client.dispatch_workflow(repo, RETRAIN_WORKFLOW, ref, {"reason": "drift"})
            output.info(f"Dispatched {RETRAIN_WORKFLOW} on {ref}.")


def _open_pr(root: Path, branch: str, body_file: Path | None, environ: Mapping[str, str]) -> int:
    from toolkit import git
    from toolkit.commands.comment import require_repo_and_token
    from toolkit.github import Client, ForbiddenError, ValidationError

    if body_file is None:
        raise ToolkitError(
            "--open-pr needs --body-file FILE (the report, e.g. from `toolkit report -o FILE`)."
        )
    try:
        body = body_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolkitError(f"cannot read {body_file}: {getattr(exc, 'strerror', None) or exc}.") from None
    from toolkit.inert import controls, markdown_document

    body = markdown_document(controls(body))  # posted under the bot's name: nobody is notified
    ctx = actions.context_from_env(environ, require_supported=False)
    if ctx.in_actions and ctx.token:
        actions.mask(ctx.token)
    repo, token = require_repo_and_token(ctx)
    base = git.current_branch(root) or "main"
    git.commit_and_push(root, branch, "Retrain on the current data (toolkit monitor)", environ)
    with Client(ctx.api_url, token) as client:
        try:
            pull = client.create_pull(
                repo,
                title="Retrain the model on the current data",
                head=branch,
                base=base,
                body=body[:60_000],
            )
        except ValidationError:
            # The one retraining PR is open already: the force-push above refreshed it.
            existing = client.list_pulls(repo, head=f"{ctx.owner}:{branch}")
            if not existing:
                raise
            pull = existing[0]
        except ForbiddenError as exc:
            raise ForbiddenError(
                f"{exc.message.split(':', 1)[0]}: the token may not open pull requests (403). Give the "
                "job `permissions: {contents: write, pull-requests: write}` and allow it in the "
                "repository's Settings > Actions > General > 'Allow GitHub Actions to create and "
                "approve pull requests'."
            ) from None
    number = int(pull["number"])
    output.info(f"Opened pull request #{number}: {pull.get('html_url', '')}")
    output.write_line(str(number))
    if ctx.in_actions:
        actions.set_outputs(environ, {"pr-number": number, "pr-url": pull.get("html_url", "")})
    return 0
