"""``rmp handbook``: the current agreed plan as a readable PDF for operational staff."""

from __future__ import annotations

import click

from rmp_workbook.cli.options import (
    config_option,
    handle_errors,
    ledger_option,
    output_option,
    period_option,
    relationship_option,
    writing,
)


@click.command("handbook")
@ledger_option
@period_option
@relationship_option
@config_option
@output_option("The PDF to write.")
@handle_errors
def handbook(
    ledger: str,
    period: str | None,
    relationship_id: str | None,
    config_path: str | None,
    output: str,
) -> None:
    """Write the plan as agreed in a month as a handbook (PDF) for operational staff.

    Scope, drivers, contractual arrangements, shared systems, management structure,
    contacts and escalation, the life-cycle stages with their next steps, then the
    development needs, information sharing, communications plan, value creation,
    exit and continuity plan, open risks and actions. Without --period: the latest
    month in the ledger.

    \b
    Example:
      rmp handbook --ledger rmp-ledger.sqlite --period 2026-11 -o rmp.pdf
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.handbook import handbook_from_ledger

    config = load_config(config_path) if config_path else None
    with writing(output):
        path = handbook_from_ledger(
            ledger, period, output, relationship_id=relationship_id, config=config
        )
    click.echo(str(path))
