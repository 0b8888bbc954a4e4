"""``rmp signoff``: the month's joint sign-off (``template``, then ``record``)."""

from __future__ import annotations

import os
import sys

import click

from rmp_workbook.cli.options import (
    config_option,
    echo_json,
    handle_errors,
    json_option,
    ledger_option,
    period_option,
    relationship_option,
)


@click.group("signoff")
def signoff() -> None:
    """Settle the month's discrepancies and approve the month, partner by partner.

    \b
    Example:
      rmp signoff template --period 2026-11 --config rmp.toml -o signoff/2026-11/
      rmp signoff record returned-signoff/2026-11/ --config rmp.toml
    """


@signoff.command("template")
@period_option
@ledger_option
@config_option
@relationship_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="The folder to write one sign-off workbook per partner into.",
)
@click.option("--force", is_flag=True, help="Replace sign-off workbooks that already exist.")
@handle_errors
def template(
    period: str | None,
    ledger: str,
    config_path: str | None,
    relationship_id: str | None,
    output: str,
    force: bool,
) -> None:
    """Write one sign-off workbook per partner of the month into DIR.

    Each lists the month's discrepancies as the ledger reconciles them (each
    partner's figure and the reconciled value) with an Agreed value and a Reason
    to fill, and an approval block: name, date, Approve the month (Yes/No). Run
    it after rmp merge; send each partner its file.

    \b
    Example:
      rmp signoff template --period 2026-11 --config rmp.toml \\
          --ledger rmp-ledger.sqlite -o signoff/2026-11/
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.signoff_cycle import write_signoff_templates

    if not period:
        raise click.UsageError("--period is required, e.g. --period 2026-11")
    config = load_config(config_path) if config_path else None
    paths, count = write_signoff_templates(
        ledger,
        period,
        output,
        config=config,
        relationship_id=relationship_id,
        overwrite=force,
    )
    noun = "discrepancy" if count == 1 else "discrepancies"
    click.echo(f"Wrote {len(paths)} sign-off workbooks for {period} ({count} {noun} each):")
    for p in paths:
        click.echo(f"  {os.fspath(p)}")


@signoff.command("record")
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="FILE_OR_DIR...")
@ledger_option
@config_option
@period_option
@json_option
@handle_errors
def record(
    paths: tuple[str, ...],
    ledger: str,
    config_path: str | None,
    period: str | None,
    as_json: bool,
) -> None:
    """Check returned sign-off workbooks and store them in the ledger.

    Every cell is checked: the month (--period when given) and partner, each
    Ref, each Agreed value against the column it settles (a number for an
    Actual), a Reason for each, and the approval (Yes needs a name and a date).
    A file with any error is not recorded (its agreed values and approval are
    one statement); its problems are listed with their cells. From then on rmp
    merge shows each agreed value in place of the reconciled one, with who
    agreed it and when. For a month already closed (rmp close), agreed values
    that differ from the published figures are a proposed restatement (published
    → agreed), published only once accepted with rmp restatement accept.

    \b
    Exit codes:
      0  every file recorded (or recorded before)
      1  some file has errors and was not recorded (listed)
      2  misuse, or no file is a readable sign-off workbook

    \b
    Example:
      rmp signoff record returned-signoff/2026-11/ --config rmp.toml \\
          --ledger rmp-ledger.sqlite
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.signoff_cycle import record_signoffs

    config = load_config(config_path) if config_path else None
    report = record_signoffs(paths, ledger, config=config, period=period)
    if as_json:
        echo_json(report.to_dict())
    else:
        for f in report.files:
            name = os.path.basename(f.path)
            who = f" ({f.partner}, {f.period})" if f.partner else ""
            agreed = f"{len(f.agreements)} agreed value{'s' if len(f.agreements) != 1 else ''}"
            approval = {True: "approved", False: "not approved", None: "approval blank"}
            click.echo(f"{name}{who}: {f.status}; {agreed}, {approval[f.approved]}")
            for problem in f.findings:
                where = f" {problem.ref}" if problem.ref else ""
                click.echo(f"  {problem.severity}{where}: {problem.message}")
        for said in report.closed_texts():
            click.echo(said)
        for period_, line in sorted(report.lines.items()):
            click.echo(f"{period_}: {line}")
    sys.exit(report.exit_code)
