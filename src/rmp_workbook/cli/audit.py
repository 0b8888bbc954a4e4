"""``rmp audit``: the evidence pack of the relationship's success over a range of months."""

from __future__ import annotations

import click

from rmp_workbook.cli.options import (
    config_option,
    handle_errors,
    ledger_option,
    output_option,
    relationship_option,
    writing,
)


@click.command("audit")
@ledger_option
@click.option("--from", "first", required=True, metavar="YYYY-MM", help="The first month.")
@click.option("--to", "last", required=True, metavar="YYYY-MM", help="The last month.")
@relationship_option
@config_option
@output_option("The audit workbook to write (.xlsx).")
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also write the pack as a PDF for the board.",
)
@handle_errors
def audit(
    ledger: str,
    first: str,
    last: str,
    relationship_id: str | None,
    config_path: str | None,
    output: str,
    pdf: str | None,
) -> None:
    """Write the audit pack: evidence of the relationship's success over the months.

    From the ledger alone, with the figures as they were published each month:
    KPI and SLA trends against their targets, the risk register's history (raised,
    escalated, closed), successes and value realised against estimate, shareable
    testimonials only, the health check per behaviour, stage progress, data
    quality per partner, and the changes to the plan itself (targets, owners,
    partners, KPIs: the config versions merges with --config kept). One sheet
    per section after a Summary sheet.

    \b
    Example:
      rmp audit --ledger rmp-ledger.sqlite --from 2026-06 --to 2026-11 -o audit.xlsx --pdf audit.pdf
    """
    from rmp_workbook.audit import audit_from_ledger
    from rmp_workbook.config import load_config

    config = load_config(config_path) if config_path else None
    with writing(output):
        paths = audit_from_ledger(
            ledger, first, last, output, relationship_id=relationship_id, config=config, pdf=pdf
        )
    for path in paths:
        click.echo(str(path))
