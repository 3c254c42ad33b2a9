"""The click layer: parse options, hand them to `toolkit.commands.<name>.run`, exit with its code.

Command modules are imported only when their command runs, so `toolkit --help` and `toolkit diff`
never import dvc, scikit-learn or requests.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from toolkit import __version__


def _dispatch(name: str, **kwargs: Any) -> None:
    module = importlib.import_module(f"toolkit.commands.{name}")
    code = module.run(environ=os.environ, cwd=Path.cwd(), **kwargs)
    sys.exit(code)


class _Group(click.Group):
    """`toolkit diff -q` means `toolkit -q diff`: the quiet flag is taken before or after the command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        quiet = [a for a in args[:end] if a in ("-q", "--quiet")]
        if quiet and args[:1] not in (["-q"], ["--quiet"]):
            args = ["--quiet", *(a for a in args[:end] if a not in ("-q", "--quiet")), *args[end:]]
        return super().parse_args(ctx, args)


def _one_format(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """--json and --md choose one output: both at once is a usage error, not the last one wins."""
    if value:
        chosen = ctx.meta.setdefault("toolkit_formats", [])
        chosen.append(param.name)
        if len(chosen) > 1:
            raise click.UsageError("--json and --md cannot be used together; choose one.", ctx)
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toolkit")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
def cli(quiet: bool) -> None:
    """GitOps CI/CD for machine-learning repos: scaffold, reproduce, diff, gate and report."""
    from toolkit.output import set_quiet

    set_quiet(quiet)


def _remote_options(command: Any) -> Any:
    """--remote URL [--endpoint-url URL] [--region R], shared by `new` and `init`."""
    for option in reversed(
        (
            click.option("--remote", "remote_url", metavar="URL",
                         help="The DVC default remote: s3://BUCKET/PREFIX or a folder."),
            click.option("--endpoint-url", metavar="URL",
                         help="S3-compatible endpoint (MinIO, Ceph, R2); s3:// only."),
            click.option("--region", metavar="R", help="The bucket's region; s3:// only."),
        )
    ):
        command = option(command)
    return command


def _check_remote_options(remote_url: str | None, endpoint_url: str | None, region: str | None) -> None:
    if remote_url is None and (endpoint_url or region):
        raise click.UsageError("--endpoint-url and --region need --remote s3://BUCKET/PREFIX.")


@cli.command(short_help="Scaffold a DVC + scikit-learn project with CI workflows.")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Write into a non-empty folder (never overwrites files).")
@click.option("--no-git", is_flag=True, help="Do not run git init, dvc init or the first commit.")
@click.option(
    "--toolkit-requirement",
    metavar="SPEC",
    help="How requirements.txt installs the toolkit (default: the running install, e.g. "
    "'mlops-toolkit @ git+URL@COMMIT' or 'mlops-toolkit==VERSION').",
)
@_remote_options
def new(
    path: Path,
    force: bool,
    no_git: bool,
    toolkit_requirement: str | None,
    remote_url: str | None,
    endpoint_url: str | None,
    region: str | None,
) -> None:
    """Scaffold a DVC-tracked scikit-learn project at PATH (default remote: a folder beside it)."""
    _check_remote_options(remote_url, endpoint_url, region)
    _dispatch(
        "new", path=path, force=force, no_git=no_git, toolkit_requirement=toolkit_requirement,
        remote_url=remote_url, endpoint_url=endpoint_url, region=region,
    )


# -- adopting an existing DVC repo (issue 10): toolkit init -----------------------------------------


@cli.command(short_help="Adopt an existing git + DVC repo: add the CI workflows and toolkit.yaml.")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--dry-run", is_flag=True, help="Print the plan only; write nothing.")
@click.option(
    "--toolkit-requirement",
    metavar="SPEC",
    help="How the requirements install the toolkit (default: the running install).",
)
@click.option(
    "--branch",
    metavar="NAME",
    help="The default branch the workflows and toolkit.yaml name (default: origin's HEAD, else "
    "the checked-out branch).",
)
@_remote_options
def init(
    path: Path | None,
    dry_run: bool,
    toolkit_requirement: str | None,
    branch: str | None,
    remote_url: str | None,
    endpoint_url: str | None,
    region: str | None,
) -> None:
    """Add what the toolkit needs to the DVC repo around PATH (default: here); change nothing else."""
    _check_remote_options(remote_url, endpoint_url, region)
    _dispatch(
        "init", path=path, dry_run=dry_run, toolkit_requirement=toolkit_requirement, branch=branch,
        remote_url=remote_url, endpoint_url=endpoint_url, region=region,
    )


@cli.command(short_help="Reproduce the DVC pipeline (dvc repro).")
@click.option("--pull", is_flag=True, help="Pull what the stages need from the DVC remote first.")
@click.option("--push", is_flag=True, help="Push outputs to the DVC remote afterwards.")
def repro(pull: bool, push: bool) -> None:
    """Reproduce the pipeline with `dvc repro`, pulling and pushing the cache when asked."""
    _dispatch("repro", pull=pull, push=push)


_base = click.option(
    "--base",
    metavar="REV",
    help="Base revision, or a registry entry NAME#STAGE, NAME@vX.Y.Z, NAME@latest "
    "(default: PR base, main, origin/main).",
)
_head = click.option(
    "--head", metavar="REV", help="Head revision or registry entry (default: the workspace)."
)


@cli.command(short_help="Diff metrics and params between two revisions.")
@_base
@_head
@click.option("--all", "show_all", is_flag=True, help="Include unchanged keys.")
@click.option("--json", "as_json", is_flag=True, callback=_one_format,
              help="Print JSON (dvc metrics diff --json shape).")
@click.option("--md", "as_md", is_flag=True, callback=_one_format, help="Print a Markdown table.")
def diff(base: str | None, head: str | None, show_all: bool, as_json: bool, as_md: bool) -> None:
    """Compare metrics and params of two revisions (base vs head)."""
    fmt = "json" if as_json else "md" if as_md else "table"
    _dispatch("diff", base=base, head=head, show_all=show_all, fmt=fmt)


@cli.command(short_help="Render the Markdown report: metrics, params, plots, gates.")
@_base
@_head
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report to FILE.")
def report(base: str | None, head: str | None, output: Path | None) -> None:
    """Render the pull-request report as Markdown."""
    _dispatch("report", base=base, head=head, output=output)


@cli.command(short_help="Evaluate the quality gates of toolkit.yaml (exit 3 on failure).")
@_base
@_head
@click.option("--allow-stale", is_flag=True, help="Evaluate even when the workspace results are out of date.")
def gates(base: str | None, head: str | None, allow_stale: bool) -> None:
    """Evaluate the gates in toolkit.yaml; exit 3 when one fails."""
    _dispatch("gates", base=base, head=head, allow_stale=allow_stale)


@cli.command(short_help="Create or update the one report comment on a pull request.")
@click.option(
    "--body-file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Markdown file with the report ('-' for stdin).",
)
@click.option("--pr", type=click.IntRange(min=1), help="PR number (default: from the event).")
def comment(body_file: Path, pr: int | None) -> None:
    """Keep exactly one report comment on the pull request up to date."""
    _dispatch("comment", body_file=body_file, pr=pr)


@cli.command(short_help="The whole PR check: repro, diff, gates, report, comment.")
@_base
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Write the report to FILE (default: toolkit-report.md in $RUNNER_TEMP in GitHub Actions, "
    "else in the repository's .git/toolkit/ folder).",
)
def ci(base: str | None, output: Path | None) -> None:
    """The whole PR check; posts in GitHub Actions, prints elsewhere."""
    _dispatch("ci", base=base, output=output)


# -- toolkit model: the registry (issue 11) ------------------------------------------------------


@cli.group(short_help="Model registry: versions and stages as GTO git tags, gated promotion.")
def model() -> None:
    """Register model versions and promote them between stages as annotated git tags (GTO format)."""


def _model(action: str, **kwargs: Any) -> None:
    # Not `_dispatch`: its first parameter is called `name`, which the model commands pass too.
    module = importlib.import_module("toolkit.commands.model")
    sys.exit(module.run(action=action, environ=os.environ, cwd=Path.cwd(), **kwargs))


_push = click.option("--push", is_flag=True, help="Push exactly the new tag(s) to origin.")


@model.command("register", short_help="Tag NAME@vX.Y.Z on a commit.")
@click.argument("name")
@click.argument("ref", required=False)
@click.option("--version", metavar="vX.Y.Z", help="The version (default: the latest, patch bumped).")
@click.option("--bump", type=click.Choice(["major", "minor", "patch"]), help="Bump the latest version.")
@click.option("-m", "--message", help="Why: added to the tag message.")
@_push
def model_register(
    name: str, ref: str | None, version: str | None, bump: str | None, message: str | None, push: bool
) -> None:
    """Register artifact NAME (declared in dvc.yaml `artifacts:`) at REF (default HEAD)."""
    _model("register", name=name, ref=ref, version=version, bump=bump, message=message, push=push)


@model.command("promote", short_help="Assign a stage, gated on metrics (exit 3 on failure).")
@click.argument("name")
@click.option("--version", metavar="vX.Y.Z", help="The registered version to promote.")
@click.option("--ref", metavar="REF", help="The commit whose registered version to promote.")
@click.option("--stage", required=True, help="The stage, e.g. prod.")
@click.option("--force", is_flag=True, help="Promote even when gates fail (needs --reason).")
@click.option("--reason", metavar="TEXT", help="Why; recorded in the tag message.")
@_push
def model_promote(
    name: str, version: str | None, ref: str | None, stage: str, force: bool, reason: str | None, push: bool
) -> None:
    """Promote a version of NAME to STAGE if it is no worse than the version holding STAGE."""
    _model(
        "promote",
        name=name,
        version=version,
        ref=ref,
        stage=stage,
        force=force,
        reason=reason,
        push=push,
    )


@model.command("rollback", short_help="Give a stage back to its previous version.")
@click.argument("name")
@click.option("--stage", required=True, help="The stage to roll back.")
@click.option("--reason", metavar="TEXT", help="Why; recorded in the tag message.")
@_push
def model_rollback(name: str, stage: str, reason: str | None, push: bool) -> None:
    """Reassign STAGE to the version of NAME that held it before the current one."""
    _model("rollback", name=name, stage=stage, reason=reason, push=push)


@model.command("show", short_help="Latest version and stages of each model.")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (gto show --json shape).")
def model_show(name: str | None, as_json: bool) -> None:
    """Show the registry: each model's latest version and the version in each stage."""
    _model("show", name=name, as_json=as_json)


@model.command("history", short_help="Registry events of a model, newest first.")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (gto history --json fields).")
def model_history(name: str, as_json: bool) -> None:
    """Every registration and stage change of NAME, newest first."""
    _model("history", name=name, as_json=as_json)


@model.command("describe", short_help="What a registry tag means.")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def model_describe(ref: str, as_json: bool) -> None:
    """Name, version, stage, event and commit of a registry tag (REF or refs/tags/REF)."""
    _model("describe", ref=ref, as_json=as_json)


@model.command("card", short_help="Model card (Markdown) of a version.")
@click.argument("spec", metavar="NAME@VERSION")
@click.option("-o", "--output", "output_file", type=click.Path(path_type=Path), help="Write to FILE.")
def model_card(spec: str, output_file: Path | None) -> None:
    """Metrics, params, data versions and history of NAME@VERSION (or NAME#STAGE, NAME@latest)."""
    _model("card", spec=spec, output_file=output_file)


@model.command("deliver", short_help="Release and deployment for a pushed stage tag (in Actions).")
@click.argument("ref")
def model_deliver(ref: str) -> None:
    """GitHub release NAME@VERSION with the model, its sha256 and card, and a deployment status."""
    _model("deliver", ref=ref)

# -- monitoring (issue 12): toolkit drift, toolkit monitor -----------------------------------------


@cli.command(short_help="Per-column data drift between two tables.")
@click.option("--reference", required=True, metavar="SRC", help="Reference data: a file or REV:PATH.")
@click.option("--current", required=True, metavar="SRC", help="Current data: a file or REV:PATH.")
@click.option("--target", metavar="COL", help="The label column (may be absent from the current data).")
@click.option("--json", "as_json", is_flag=True, callback=_one_format, help="Print JSON.")
@click.option("--md", "as_md", is_flag=True, callback=_one_format,
              help="Print Markdown with a chart per drifted column.")
@click.option("--fail-on-drift", is_flag=True, help="Exit 3 when the dataset drifts.")
def drift(
    reference: str, current: str, target: str | None, as_json: bool, as_md: bool, fail_on_drift: bool
) -> None:
    """Compare the current data with the reference, column by column.

    SRC is a CSV, TSV, JSON-lines or Parquet file, or REV:PATH (the file at a git revision,
    DVC-tracked files through the DVC cache).
    """
    _dispatch(
        "drift",
        reference=reference,
        current=current,
        target=target,
        fmt="json" if as_json else "md" if as_md else "table",
        fail_on_drift=fail_on_drift,
    )



@cli.command(short_help="Drift and decay in production; keeps one issue.")
@click.option("--reference", metavar="SRC", help="Reference data (default: monitor.reference at production).")
@click.option("--current", metavar="SRC", help="Current batch (default: monitor.current in toolkit.yaml).")
@click.option("--target", metavar="COL", help="The label column (default: monitor.target).")
@click.option("--model", metavar="NAME", help="Registry artifact whose NAME#prod tag names production.")
@click.option("-o", "--output", "output_file", type=click.Path(path_type=Path), help="Also write the report.")
@click.option(
    "--from-report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Use a report written by `toolkit monitor -o FILE` instead of computing one.",
)
@click.option("--issue", is_flag=True, help="Keep the one open `model-monitoring` issue up to date.")
@click.option("--dispatch-retrain", is_flag=True, help="On drift, start the retrain.yml workflow.")
@click.option("--open-pr", metavar="BRANCH", help="Commit the workspace on BRANCH, push, open the PR.")
@click.option("--body-file", type=click.Path(path_type=Path, dir_okay=False), help="PR body for --open-pr.")
@click.option("--fail-on-drift", is_flag=True, help="Exit 3 when the report alerts.")
def monitor(
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
) -> None:
    """Compare the production batch with the production model's training data.

    Data drift per column, prediction drift when the model loads, and performance through the
    gates when the batch has labels; in GitHub Actions, the job summary and the `alert` output.
    """
    if open_pr is not None and body_file is None:
        raise click.UsageError("--open-pr needs --body-file FILE (the pull request's report).")
    _dispatch(
        "monitor",
        reference=reference,
        current=current,
        target=target,
        model=model,
        output_file=output_file,
        from_report=from_report,
        issue=issue,
        dispatch_retrain=dispatch_retrain,
        open_pr=open_pr,
        body_file=body_file,
        fail_on_drift=fail_on_drift,
    )


# -- the DVC remote (issue 13): toolkit remote check ----------------------------------------------


@cli.group(short_help="The DVC remote: is it reachable and writable.")
def remote() -> None:
    """The project's default DVC remote."""


@remote.command("check", short_help="List, write, read back and delete a probe on the remote.")
def remote_check() -> None:
    """Is the default DVC remote reachable and writable; if not, which setting or credential to fix."""
    _dispatch("remote", action="check")


def main() -> None:
    """Console-script entry point; unexpected errors become one line, not a traceback."""
    from toolkit import proc

    proc.install_signal_handlers()
    try:
        cli.main(prog_name="toolkit", standalone_mode=True)
    except SystemExit as done:
        # The command has finished and closed what it opened: skip the interpreter's teardown
        # (freeing every object one by one), which is ~8% of a 5,000-key `toolkit diff`.
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if isinstance(done.code, str):
            sys.stderr.write(done.code + "\n")
        for stream in (sys.stdout, sys.stderr):
            # A closed pipe (`toolkit diff | head`) has nothing left to keep.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    except proc.Interrupted as stop:
        # Children were stopped (their whole process groups) and rollbacks ran while unwinding.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write("Aborted.\n")
            sys.stderr.flush()
        os._exit(stop.exit_code)
    except KeyboardInterrupt:  # pragma: no cover - a SIGINT before the handlers were installed
        sys.stderr.write("Aborted.\n")
        sys.exit(130)
    except Exception as exc:
        # Anything a user can cause is a ToolkitError; reaching here is a bug in the toolkit.
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        sys.stderr.write(
            f"Error: unexpected {type(exc).__name__}: {exc}. This is a bug in mlops-toolkit; "
            "rerun with TOOLKIT_DEBUG=1 for the traceback and report it.\n"
        )
        sys.exit(1)
