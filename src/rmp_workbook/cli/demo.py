"""``rmp demo``: the whole monthly cycle on a sample relationship, in one folder."""

from __future__ import annotations

import os

import click

from rmp_workbook.cli.options import handle_errors
from rmp_workbook.wording import plural


def _rel(path: os.PathLike[str] | str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


@click.command()
@click.argument("folder", default="rmp-demo", type=click.Path(file_okay=False))
@click.option("--seed", default=2026, show_default=True, help="Seed of the sample data.")
@handle_errors
def demo(folder: str, seed: int) -> None:
    """Run the whole monthly cycle on a realistic sample relationship.

    Three partners (an SME, its customer and a logistics partner) over six
    months, with disagreements, an SLA breach, a late resubmission and a
    restated figure. rmp writes each partner's template, fills the workbooks
    as people do, validates them, merges what is in on the due day, writes a
    reminder e-mail draft to the partner still missing (FOLDER/outbox/),
    merges again when its late workbook arrives, writes the consolidated
    workbook and a chart report, and pre-fills next month's workbooks from
    the ledger. FOLDER (default ./rmp-demo) is created or refreshed.

    One partner's September workbook holds two typing mistakes (a likelihood
    typed "high", an e-mail without @), as real workbooks do: rmp lists them
    with their cells, leaves those rows out of the merge and writes an
    annotated copy to FOLDER/feedback/. The demo still exits 0: the mistakes
    are part of the sample, and the demo itself succeeded.

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
        f"({plural(v['files'], 'file')}: {v['valid']} valid, {v['invalid']} with errors, "
        f"{plural(v['warnings'], 'warning')})"
    )
    click.echo(
        f"Ledger: {_rel(result.folder / 'rmp-ledger.sqlite')} ({result.recorded('recorded')} "
        f"workbooks, {result.recorded('rows_added')} rows, {result.recorded('superseded')} "
        f"superseded, {plural(result.recorded('restatements'), 'restatement')})"
    )
    due = result.due.isoformat() if result.due else "?"
    for p in result.late:
        when = p.received_on.isoformat() if p.received_on else "?"
        click.echo(f"Late: {p.partner} (due {due}, came {when}): rmp status --period {m.period}")
    for path in result.reminders:
        click.echo(f"Reminder e-mail draft, the day after the due day: {_rel(path)}")
    if m.output is not None:
        click.echo(
            f"Consolidated workbook: {_rel(m.output)} ({s['discrepancies']} discrepancies, "
            f"{s['gaps']} gaps, {s['red_gaps']} red)"
        )
    if m.left_out:
        files = {f.file for f in m.left_out}
        click.echo(
            f"Mistakes found: {_n(len(m.left_out), 'error')} in {_n(len(files), 'workbook')}; "
            "those rows were left out of the merge:"
        )
        for f in m.left_out:
            click.echo(f"  {os.path.basename(f.file or '')} {f.ref}: {f.message}")
    if m.feedback:
        click.echo(
            f"Feedback for partners: {_rel(m.feedback[0].parent)}/ "
            f"({_n(len(m.feedback), 'annotated copy', 'annotated copies')}: the cells to fix "
            "are marked and listed on a Problems sheet)"
        )
    if result.signoff:
        published = f"; {m.period} closed and published (rmp close)" if result.closed else ""
        click.echo(
            f"Sign-off: {_rel(result.signoff[0].parent)}/ "
            f"({result.signoff_line or 'recorded'}){published}"
        )
    if result.charts:
        click.echo(f"Report: {_rel(result.charts[0].parent)}/ ({len(result.charts)} files)")
    click.echo(f"Next month's workbooks, pre-filled: {_rel(result.next_month[0].parent)}/")
    click.echo(f"Done in {result.seconds:.1f} s. Open the consolidated workbook first.")
