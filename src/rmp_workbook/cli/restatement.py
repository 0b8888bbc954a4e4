"""``rmp restatement``: list, accept or reject the restatements proposed for closed months."""

from __future__ import annotations

import click

from rmp_workbook.cli.options import (
    F,
    config_option,
    echo_json,
    handle_errors,
    json_option,
    ledger_option,
    output_option,
    period_option,
    relationship_option,
)


@click.group("restatement")
def restatement() -> None:
    """Decide the workbooks and sign-offs that came for a month after it was closed.

    A workbook for a closed month (`rmp close`), a later month's workbook that
    restates its figures, or a joint sign-off whose agreed values differ from its
    published figures, is recorded as a proposed restatement: listed with the
    figures it would change, on the next month's Dashboard and Restatements
    sheet, until it is accepted (the month gets a new published version) or
    rejected (the month stays as issued).

    \b
    Example:
      rmp restatement list --ledger rmp-ledger.sqlite
    """


@restatement.command("list")
@ledger_option
@config_option
@relationship_option
@period_option
@click.option(
    "--status",
    type=click.Choice(["proposed", "accepted", "rejected"]),
    help="Only the proposals with this status (default: all).",
)
@json_option
@handle_errors
def list_(
    ledger: str,
    config_path: str | None,
    relationship_id: str | None,
    period: str | None,
    status: str | None,
    as_json: bool,
) -> None:
    """List the proposed restatements: id, month, status, partner (or the
    sign-off), file and the figures each would change (published → proposed).

    \b
    Example:
      rmp restatement list --status proposed --ledger rmp-ledger.sqlite
    """
    from rmp_workbook.close import list_proposals
    from rmp_workbook.config import load_config

    config = load_config(config_path) if config_path else None
    found = list_proposals(
        ledger, config=config, relationship_id=relationship_id, period=period, status=status
    )
    if as_json:
        echo_json(found.to_dict())
    else:
        click.echo(found.text())


def _reason_option(fn: F) -> F:
    return click.option(
        "--reason", metavar="TEXT", help="Why: kept with the decision in the ledger."
    )(fn)


@restatement.command("accept")
@click.argument("proposal_id", metavar="ID", type=int)
@ledger_option
@config_option
@_reason_option
@output_option("Also write the month's new published consolidated workbook here.", False)
@json_option
@handle_errors
def accept(
    proposal_id: int,
    ledger: str,
    config_path: str | None,
    reason: str | None,
    output: str | None,
    as_json: bool,
) -> None:
    """Accept proposed restatement ID: its workbook becomes the partner's one
    for the month (a sign-off's agreed values take effect), and the month's next
    version is published (figures, gaps, consolidated workbook), with who, when
    and the reason.

    \b
    Exit codes:
      0  accepted and published
      2  no such proposal, or it was decided already

    \b
    Example:
      rmp restatement accept 3 --reason "Corrected after the audit" --config rmp.toml
    """
    from rmp_workbook.close import decide
    from rmp_workbook.config import load_config

    config = load_config(config_path) if config_path else None
    result = decide(ledger, proposal_id, accept=True, reason=reason, config=config, output=output)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(result.text())


@restatement.command("reject")
@click.argument("proposal_id", metavar="ID", type=int)
@ledger_option
@_reason_option
@json_option
@handle_errors
def reject(proposal_id: int, ledger: str, reason: str | None, as_json: bool) -> None:
    """Reject proposed restatement ID: the month stays as issued; the workbook
    (or sign-off) stays in the ledger, marked rejected, with who, when and the
    reason.

    \b
    Exit codes:
      0  rejected
      2  no such proposal, or it was decided already

    \b
    Example:
      rmp restatement reject 4 --reason "Figures not agreed with Contoso"
    """
    from rmp_workbook.close import decide

    result = decide(ledger, proposal_id, accept=False, reason=reason)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(result.text())
