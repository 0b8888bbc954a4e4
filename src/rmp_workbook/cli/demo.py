"""``rmp demo``: the whole monthly cycle on a sample relationship, in one folder."""

from __future__ import annotations

import os

import click

from rmp_workbook.cli.options import handle_errors


def _rel(path: os.PathLike[str] | str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


@click.command()
@click.argument("folder", default="rmp-demo", type=click.Path(file_okay=False))
@click.option("--seed", default=2026, show_default=True, help="Seed of the sample data.")
@handle_errors
def demo(folder: str, seed: int) -> None:
    """Run the whole monthly cycle on a realistic sample relationship.

    Three partners (an SME, its customer and a logistics partner) over six
    months, with disagreements, an SLA breach, a late resubmission and a
    restated figure. rmp writes each partner's template, fills the workbooks
    as people do, validates them, merges them into a ledger, writes the
    consolidated workbook and a chart report, and pre-fills next month's
    workbooks from the ledger. FOLDER (default ./rmp-demo) is created or
    refreshed.

    \b
    Example:
      rmp demo
      rmp demo /tmp/rmp-demo --seed 7
    """
    from rmp_workbook.demo import run_demo

    result = run_demo(folder, seed=seed, step=lambda msg: click.echo(msg, err=True))
    m = result.merged
    s = m.summary()
    v = result.validation.summary()
    click.echo("")
    click.echo(f"Sample relationship: {_rel(result.config)}")
    click.echo(f"Templates sent to partners: {_rel(result.templates[0].parent)}/")
    click.echo(
        f"Workbooks that came back: {_rel(result.returned[0].parent)}/ "
        f"({v['files']} files: {v['valid']} valid, {v['invalid']} with errors, "
        f"{v['warnings']} warnings)"
    )
    click.echo(
        f"Ledger: {_rel(result.folder / 'rmp-ledger.sqlite')} ({s['recorded']} workbooks, "
        f"{s['rows_added']} rows, {s['superseded']} superseded, "
        f"{s['restatements']} restatement(s))"
    )
    if m.output is not None:
        click.echo(
            f"Consolidated workbook: {_rel(m.output)} ({s['discrepancies']} discrepancies, "
            f"{s['gaps']} gaps, {s['red_gaps']} red)"
        )
    if m.feedback:
        click.echo(
            f"Feedback for partners: {_rel(m.feedback[0].parent)}/ ({len(m.feedback)} files)"
        )
    if result.charts:
        click.echo(f"Report: {_rel(result.charts[0].parent)}/ ({len(result.charts)} files)")
    click.echo(f"Next month's workbooks, pre-filled: {_rel(result.next_month[0].parent)}/")
    click.echo(f"Done in {result.seconds:.1f} s. Open the consolidated workbook first.")
