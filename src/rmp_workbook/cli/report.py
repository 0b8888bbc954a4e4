"""``rmp report``: chart images and a one-page PDF summary of a month, from the ledger."""

from __future__ import annotations

import datetime as dt

import click

from rmp_workbook.cli.options import (
    as_of_option,
    config_option,
    handle_errors,
    ledger_option,
    output_option,
    period_option,
    relationship_option,
    unpublished_option,
    writing,
)
from rmp_workbook.findings import UsageError


@click.command("report")
@ledger_option
@period_option
@relationship_option
@config_option
@as_of_option
@unpublished_option
@output_option("The folder to write the images and the PDF into (created when missing).")
@handle_errors
def report(
    ledger: str,
    period: str | None,
    relationship_id: str | None,
    config_path: str | None,
    as_of: dt.datetime | None,
    unpublished: bool,
    output: str,
) -> None:
    """Draw a month's charts and one-page PDF summary from the ledger.

    Reconciles what the partners sent up to the period and writes PNG images
    (KPI trends with their target band, RAG summary, health check radar, risk
    heat map) and summary.pdf, one landscape page for e-mail and slides.

    \b
    Example:
      rmp report --ledger rmp-ledger.sqlite --period 2026-11 -o report/
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.report import report_from_ledger

    if not period:
        raise UsageError("--period is required, e.g. --period 2026-11")
    config = load_config(config_path) if config_path else None
    with writing(output):
        paths = report_from_ledger(
            ledger,
            period,
            output,
            relationship_id=relationship_id,
            config=config,
            as_of=as_of.date() if as_of else None,
            unpublished=unpublished,
        )
    for path in paths:
        click.echo(str(path))
