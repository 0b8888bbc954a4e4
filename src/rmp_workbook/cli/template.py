"""``rmp template`` and ``rmp init``: the workbooks partners fill in, and the config behind them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rmp_workbook.cli.options import handle_errors, output_option, period_option, writing

if TYPE_CHECKING:
    from rmp_workbook.config import RelationshipConfig


@click.command("template")
@click.option(
    "--relationship",
    "relationship_name",
    metavar="NAME",
    help="The relationship's full name shown on the sheets; default: the config's name. "
    "With --config it never changes the ID, and --all always shows the config's name.",
)
@click.option(
    "--relationship-id",
    metavar="ID",
    help="The short code of the relationship; default: the config's id, else a slug of NAME. "
    "With --config it must be the config's id (exit 2 otherwise).",
)
@click.option("--partner", metavar="ORG", help="The organisation that fills in this workbook.")
@period_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A relationship config (rmp.toml): pre-fills the agreed KPIs, SLA lines and contact.",
)
@click.option(
    "--all",
    "all_partners",
    is_flag=True,
    help="Write one workbook per partner listed in --config into the folder given by -o.",
)
@click.option(
    "--ledger",
    metavar="PATH_OR_URL",
    help="Pre-fill from this ledger what the partner reported before: the KPIs and SLA "
    "lines, open risks, open bottlenecks and actions, and contacts.",
)
@output_option("The workbook to write (.xlsx), or with --all the folder to write into.")
@click.option(
    "--force",
    is_flag=True,
    help="Replace workbooks that already exist at -o (they may hold a partner's answers); "
    "without it rmp refuses and writes nothing.",
)
@handle_errors
def template(
    relationship_name: str | None,
    relationship_id: str | None,
    partner: str | None,
    period: str | None,
    config_path: str | None,
    all_partners: bool,
    ledger: str | None,
    output: str,
    force: bool,
) -> None:
    """Write the Excel workbook a partner fills in for one month.

    Every sheet of the Relationship Management Plan is there, with a Guide
    first: drop-downs, input messages and validation on every input cell,
    headers and formulas locked. With --config the agreed KPIs and SLA lines
    are pre-filled for the period (Actual left blank) and the partner's
    contact is listed. An existing workbook is never replaced unless
    --force is given.

    \b
    Examples:
      rmp template --relationship "Northwind–Contoso" --partner "Northwind Ltd" \\
          --period 2026-11 -o northwind-2026-11.xlsx
      rmp template --config rmp.toml --all --period 2026-11 -o workbooks/
      rmp template --config rmp.toml --all --period 2026-12 --ledger rmp-ledger.sqlite \\
          -o workbooks/
    """
    from rmp_workbook.config import load_config, relationship_wanted
    from rmp_workbook.template import (
        check_period,
        refuse_existing,
        slugify,
        template_file_name,
        write_partner_templates,
        write_template,
    )

    # A folder that cannot be made or a file open in Excel: one line naming it, exit 2.
    with writing(output):
        if not period:
            raise click.UsageError("--period is required, e.g. --period 2026-11")
        period = check_period(period)
        config = load_config(config_path) if config_path else None
        if config is not None and relationship_id is not None:
            # Another relationship's ID on this config's KPIs and partners would make a
            # workbook the merge files under the wrong relationship: stop, write nothing.
            relationship_id = relationship_wanted(
                relationship_id, config, option="--relationship-id"
            )

        if all_partners:
            if config is None:
                raise click.UsageError("--all needs --config: the partners come from the config")
            if partner:
                raise click.UsageError("give either --partner or --all, not both")
            names = [p.name for p in config.partners]
            prefill = _prefill(ledger, config.id, names, period, config) if ledger else None
            for path in write_partner_templates(
                output, config, period, prefill=prefill, overwrite=force
            ):
                click.echo(f"Wrote {path}")
            return

        if not partner:
            raise click.UsageError("--partner is required (or --all with --config)")
        name = relationship_name or (config.name if config else None)
        if not name:
            raise click.UsageError("--relationship is required when there is no --config")
        # With a config the ID is always the config's: --relationship only renames the
        # relationship on the sheets; a slug of that name would file the workbook under a
        # relationship the config (and rmp validate/merge --config) does not know.
        rel_id = relationship_id or (config.id if config else slugify(name))
        if not rel_id:
            raise click.UsageError("cannot make an id from that name: give --relationship-id")
        if config and config.partners:
            known = [p.name for p in config.partners]
            if partner.strip().lower() not in {k.strip().lower() for k in known}:
                raise click.UsageError(
                    f"partner {partner!r} is not in {config_path}; partners: {', '.join(known)}"
                )
        target = Path(output)
        if output.endswith(("/", "\\")) or target.is_dir():
            target = target / template_file_name(partner, period)
        if not force:
            refuse_existing([target])
        rows = _prefill(ledger, rel_id, [partner], period, config)[partner] if ledger else None
        path = write_template(
            target,
            relationship_id=rel_id,
            relationship_name=name,
            partner=partner,
            period=period,
            config=config,
            prefill=rows,
        )
        click.echo(f"Wrote {path}")


def _prefill(
    ledger: str,
    relationship_id: str,
    partners: list[str],
    period: str,
    config: RelationshipConfig | None = None,
) -> dict[str, dict[str, list[dict[str, object]]]]:
    """Each partner's rows to pre-fill from what the ledger holds before ``period``."""
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.prefill import prefill_rows

    led = Ledger(ledger, create=False)
    try:
        return {p: prefill_rows(led, relationship_id, p, period, config) for p in partners}
    finally:
        led.close()


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing rmp.toml.")
@handle_errors
def init(folder: str, force: bool) -> None:
    """Start a relationship: write a commented example config, FOLDER/rmp.toml.

    It lists the relationship, its manager (named on every workbook's
    Guide), three partners, four KPIs, two SLA lines and every threshold
    with its default. Edit it, then write the month's
    workbooks with rmp template --config.

    \b
    Example:
      rmp init northwind-contoso
      rmp template --config northwind-contoso/rmp.toml --all --period 2026-11 \\
          -o northwind-contoso/2026-11/
    """
    from rmp_workbook.config import write_example_config

    with writing(folder):
        path = write_example_config(folder, overwrite=force)
    click.echo(f"Wrote {path}")
    click.echo(
        f"Next: edit it, then run rmp template --config {path} --all --period YYYY-MM -o DIR/"
    )
