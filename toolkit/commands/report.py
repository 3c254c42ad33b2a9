"""`toolkit report`: the pull-request report as Markdown, printed (and written with -o FILE)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from toolkit import output


def run(
    *, base: str | None, head: str | None, output: Path | None, environ: Mapping[str, str], cwd: Path
) -> int:
    """Compare base and head, evaluate the gates and print the report (exit 0 even if gates fail)."""
    from toolkit import actions, compare, gates, report
    from toolkit.config import load_config
    from toolkit.dvc import find_root as dvc_root

    root = dvc_root(cwd)
    config = load_config(root)
    comparison = compare.compare(
        root, base, head, environ=environ, config=config, with_plots=config.report.plots,
        check_stale=True,
    )
    if comparison.stale is not None:
        from toolkit.output import warn

        warn(comparison.stale.message())
    results = gates.evaluate(config, comparison)
    dag_md = None
    if config.report.dag:
        from toolkit import dag

        dag_md = dag.markdown(root)  # from the parsed dvc.yaml: no `dvc dag` process
    fields = {
        name: rev.sha for name, rev in (("base", comparison.base), ("head", comparison.head)) if rev.sha
    }
    body = report.render(
        comparison,
        results,
        options=config.report,
        marker_fields=fields,
        run_url=actions.run_url(environ),
        dag_md=dag_md,
        production=(
            report.production_values(root, config.report.production, config, environ)
            if config.report.production
            else None
        ),
    )
    if output is not None:
        # -o FILE: the report goes to the file only (as `dvc ... -o` does), not both.
        report.save(output, body)
        from toolkit.output import info

        info(f"Report written to {output}")
        return 0
    _print(body)
    return 0


def _print(body: str) -> None:
    output.write(body if body.endswith("\n") else body + "\n")
