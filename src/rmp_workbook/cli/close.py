"""``rmp close``: publish a month, freezing its figures, gaps and consolidated workbook."""

from __future__ import annotations

import click

from rmp_workbook.cli.options import (
    config_option,
    echo_json,
    handle_errors,
    json_option,
    ledger_option,
    output_option,
    period_option,
    relationship_option,
)
from rmp_workbook.findings import UsageError


@click.command("close")
@period_option
@ledger_option
@config_option
@relationship_option
@output_option("Also write the published consolidated workbook here (.xlsx).", required=False)
@json_option
@handle_errors
def close(
    period: str | None,
    ledger: str,
    config_path: str | None,
    relationship_id: str | None,
    output: str | None,
    as_json: bool,
) -> None:
    """Publish the month: its reconciled figures, gaps and consolidated workbook
    are frozen in the ledger (version 1), with who closed it and when.

    From then on every view reads the month's published figures (trends and
    "change since last period" too, so the month rebuilt later is the one that
    was issued), and a workbook for it that `rmp merge --period` brings is
    recorded as a proposed restatement, not merged: see `rmp restatement`.
    Closing a closed month again changes nothing when nothing is new.

    \b
    Exit codes:
      0  closed, or closed already with nothing new
      1  closed already, and something is new: proposed restatements await a
         decision, or the figures now differ from the published ones
      2  misuse (no ledger, no workbook for the month)

    \b
    Example:
      rmp close --period 2026-11 --config rmp.toml --ledger rmp-ledger.sqlite \\
          -o published/consolidated-2026-11.xlsx
    """
    from rmp_workbook.close import close_month
    from rmp_workbook.config import load_config

    if not period:
        raise UsageError("--period is required, e.g. --period 2026-11")
    config = load_config(config_path) if config_path else None
    result = close_month(
        ledger, period, config=config, relationship_id=relationship_id, output=output
    )
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(result.text())
