"""``rmp status``: who has sent the month's workbook, who is late, who is missing."""

from __future__ import annotations

import sys

import click

from rmp_workbook.cli.options import (
    config_option,
    echo_json,
    handle_errors,
    jobs_option,
    json_option,
    ledger_option,
    period_option,
    relationship_option,
)


@click.command()
@period_option
@ledger_option
@config_option
@relationship_option
@click.option(
    "--returned",
    type=click.Path(exists=True),
    metavar="DIR",
    help="A folder of returned workbooks not merged yet: they count too, checked as "
    "rmp validate --period --config does.",
)
@jobs_option
@json_option
@handle_errors
def status(
    period: str | None,
    ledger: str,
    config_path: str | None,
    relationship_id: str | None,
    returned: str | None,
    jobs: int | None,
    as_json: bool,
) -> None:
    """For each partner expected for the month: received, late (after the due
    day), invalid (with the number of errors) or missing; which workbook replaced
    which; and files for another month or from an organisation that is not a
    partner. Reads the ledger (and --returned); changes nothing.

    \b
    Exit codes:
      0  every expected partner's workbook is in, without errors
      1  something is missing, has errors, or is for another month or sender
      2  misuse (no ledger, unknown relationship)

    \b
    Example:
      rmp status --period 2026-11 --config rmp.toml --ledger rmp-ledger.sqlite \\
          --returned returned/2026-11/
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.status import format_status
    from rmp_workbook.status import status as partner_status

    if not period:
        raise click.UsageError("--period is required, e.g. --period 2026-11")
    config = load_config(config_path) if config_path else None
    with Ledger(ledger, create=False) as led:
        report = partner_status(
            led,
            period,
            config=config,
            relationship_id=relationship_id,
            returned=returned,
            jobs=jobs,
        )
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(format_status(report))
    sys.exit(report.exit_code)
