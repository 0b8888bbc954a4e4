"""``rmp merge``: the monthly run over the workbooks that came back."""

from __future__ import annotations

import datetime as dt
import os
import sys
from contextlib import nullcontext
from typing import Any

import click

from rmp_workbook.cli.options import (
    as_of_option,
    echo_json,
    feedback_option,
    handle_errors,
    jobs_option,
    json_option,
    ledger_option,
    load_for_long_run,
    output_option,
    period_option,
    unpublished_option,
)
from rmp_workbook.wording import plural


def _style(text: str, **kw: Any) -> str:
    return click.style(text, **kw) if sys.stdout.isatty() else text


def format_result(result: Any) -> str:
    """The short summary a relationship manager reads after the run."""
    s = result.summary()
    lines = []
    if result.period:
        lines.append(f"Relationship {s['relationship_id']}, period {s['period']}")
    lines.append(
        f"  {s['merged']} of {plural(s['files'], 'file')} merged: {s['recorded']} new, "
        f"{s['duplicates']} already in the ledger, {s['superseded']} superseded an earlier file"
    )
    if s["earlier_months"]:
        lines.append(
            f"  {plural(s['earlier_months'], 'workbook')} of other months already in the "
            "ledger: left alone"
        )
    lines.append(
        f"  {plural(s['rows_added'], 'row')} added to the ledger; "
        f"{plural(s['restatements'], 'restatement')}"
    )
    for x in result.replacements():
        lines.append(f"  {x['text']}")
    for p in result.recorded.proposals if result.recorded else []:
        said = (
            f"restates {p.period}, which is closed: not published, recorded as"
            if p.kind == "restated"
            else f"is for {p.period}, which is closed: not merged, recorded as"
        )
        lines.append(
            _style(
                f"  {p.file} {said} proposed restatement {p.id} ({p.summary()}); decide with "
                f"rmp restatement accept {p.id} or reject {p.id}",
                fg="yellow",
            )
        )
    if result.skipped:
        lines.append(_style(f"  {plural(len(result.skipped), 'file')} not merged:", fg="yellow"))
        lines.extend(f"    {os.path.basename(x.path)}: {x.reason}" for x in result.skipped)
    left_out = result.left_out
    if left_out:
        lines.append(_style(f"  {plural(len(left_out), 'problem')} left rows out:", fg="yellow"))
        for f in left_out[:20]:
            where = f"{f.sheet}!{f.cell}" if f.cell else (f.sheet or "(workbook)")
            lines.append(f"    {os.path.basename(f.file)} {where}: {f.message}")
        if len(left_out) > 20:
            lines.append(f"    … and {len(left_out) - 20} more (see the Data quality sheet)")
    if result.consolidated is not None:
        lines.append(
            f"  {plural(s['discrepancies'], 'discrepancy')} between partners; "
            f"{plural(s['gaps'], 'gap')}, {s['red_gaps']} red"
        )
    if result.output is not None:
        took = sum(result.seconds.values())
        closed = (
            f"; {result.period} is closed: it shows published version {result.published_version}"
            if result.published_version
            else ""
        )
        lines.append(_style(f"Wrote {result.output} (merged in {took:.1f} s{closed})", fg="green"))
    else:
        lines.append(_style("No consolidated workbook: nothing could be merged.", fg="red"))
    for path in result.feedback:
        lines.append(f"Feedback for the partner: {path}")
    return "\n".join(lines)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="FILE_OR_DIR...")
@period_option
@ledger_option
@output_option("Where to write the consolidated workbook (.xlsx).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="The relationship config (rmp.toml): expected partners and thresholds.",
)
@click.option(
    "--relationship",
    "relationship_id",
    metavar="ID",
    help="Merge only this relationship's workbooks (default: the config's, or the workbooks'). "
    "With --config it must be the config's ID (exit 2 otherwise).",
)
@feedback_option
@as_of_option
@unpublished_option
@jobs_option
@json_option
@handle_errors
def merge(
    paths: tuple[str, ...],
    period: str | None,
    ledger: str,
    output: str,
    config_path: str | None,
    relationship_id: str | None,
    feedback_dir: str | None,
    as_of: dt.datetime | None,
    unpublished: bool,
    jobs: int | None,
    as_json: bool,
) -> None:
    """Validate partners' workbooks, record them in the ledger, reconcile what
    partners disagree on, find the gaps and write the consolidated workbook.

    FILE_OR_DIR are workbooks or folders of them. Every file is validated as
    `rmp validate` does: a file that is not a usable RMP workbook is skipped
    with its reason, a row with errors is left out and listed with its cell,
    and everything else still merges. The same file merged twice adds nothing.

    \b
    Exit codes:
      0  every workbook merged clean (warnings allowed)
      1  some file was skipped or some rows were left out (listed)
      2  misuse, or nothing could be merged

    \b
    Example:
      rmp merge returned/2026-11/ --config rmp.toml --ledger rmp-ledger.sqlite \\
          -o consolidated-2026-11.xlsx --feedback feedback/
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.merge import merge as run_merge
    from rmp_workbook.validate import expand_paths

    load_for_long_run("rmp_workbook.ledger", "rmp_workbook.dashboard", "rmp_workbook.read")

    config = load_config(config_path) if config_path else None
    files, _ = expand_paths(paths)
    total = sum(not skip for _, skip in files)
    show_bar = not as_json and sys.stderr.isatty() and total > 3
    bar_cm: Any = (
        click.progressbar(length=total, label="Reading workbooks", file=sys.stderr)
        if show_bar
        else nullcontext()
    )
    with bar_cm as bar:
        result = run_merge(
            paths,
            ledger=ledger,
            output=output,
            period=period,
            config=config,
            relationship_id=relationship_id,
            feedback_dir=feedback_dir,
            progress=(lambda _path: bar.update(1)) if show_bar else None,
            jobs=jobs,
            as_of=as_of.date() if as_of else None,
            unpublished=unpublished,
        )
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(format_result(result))
    sys.exit(result.exit_code)
