"""``rmp mail``: the month's messages to partners, as drafts or sent."""

from __future__ import annotations

import sys
from typing import Any

import click

from rmp_workbook.cli.options import (
    echo_json,
    handle_errors,
    json_option,
    ledger_option,
    output_option,
    period_option,
    writing,
)


def format_result(result: Any, send: bool) -> str:
    """What the relationship manager reads: one line per partner."""
    lines = []
    for d in result.drafts:
        where = d.path.name if d.path else ""
        if d.sent is None:
            lines.append(f"  {d.partner}: {where} to {', '.join(d.to)}")
        elif d.sent:
            lines.append(f"  {d.partner}: sent to {', '.join(d.to)}")
        else:
            lines.append(f"  {d.partner}: NOT sent to {', '.join(d.to)}: {d.error}")
    for n in result.not_written:
        lines.append(f"  {n.partner}: no message, {n.reason}")
    for path in result.unmatched:
        lines.append(f"  {path.name}: names no partner of the config; not sent")
    from rmp_workbook.wording import plural

    head = f"{plural(len(result.drafts), f'{result.kind} message')} for {result.period}"
    if send:
        sent = sum(bool(d.sent) for d in result.drafts)
        head += f", {sent} sent through {result.server}"
    return "\n".join([head, *lines])


@click.command("mail")
@period_option
@click.option(
    "--kind",
    type=click.Choice(["templates", "feedback", "reminders"]),
    required=True,
    help="templates: each partner's workbook for the month; feedback: each annotated copy "
    "with the problems to fix; reminders: to partners whose workbook is not in the ledger.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    required=True,
    metavar="FILE",
    help="The relationship config (rmp.toml): partners' e-mail addresses, sender, SMTP server.",
)
@click.option(
    "--files",
    "folder",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="The folder of the month's templates (templates, reminders) or of the feedback "
    "copies `rmp merge --feedback` wrote (feedback).",
)
@ledger_option
@click.option(
    "--from", "sender", metavar="ADDRESS", help="The sender (default: the config's mail.from)."
)
@click.option(
    "--due",
    metavar="YYYY-MM-DD",
    help="The date the workbooks are due, said in every message (default: from the "
    "config's due day).",
)
@output_option("The outbox folder: one .eml draft per partner is written there.")
@click.option(
    "--send",
    is_flag=True,
    help="Also send the messages through the SMTP server in RMP_SMTP_URL or the config "
    "(user name and password from RMP_SMTP_USER and RMP_SMTP_PASSWORD).",
)
@json_option
@handle_errors
def mail(
    period: str | None,
    kind: str,
    config_path: str,
    folder: str | None,
    ledger: str,
    sender: str | None,
    due: str | None,
    output: str,
    send: bool,
    as_json: bool,
) -> None:
    """Write the month's e-mails to partners: one draft (.eml) per partner.

    Each message is addressed to the partner's e-mail in the config, has its
    workbook or annotated copy attached and says in plain words what it is,
    by when, and (feedback) what to fix. Open a draft in your mail program to
    check and send it, or pass --send to send them all through SMTP: a
    recipient the server refuses is reported and the others still go.

    \b
    Exit codes:
      0  a message for every partner that needs one (and, with --send, all sent)
      1  some partner got no message (no address, no workbook) or was refused
      2  misuse, or the SMTP server cannot be reached

    \b
    Examples:
      rmp mail --config rmp.toml --period 2026-11 --kind templates --files 2026-11/ \\
          --due 2026-12-07 -o outbox/
      rmp mail --config rmp.toml --period 2026-11 --kind feedback --files feedback/ -o outbox/
      RMP_SMTP_URL=smtp://mail.example.com:587 rmp mail --config rmp.toml \\
          --period 2026-11 --kind reminders --ledger rmp-ledger.sqlite -o outbox/ --send
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.mail import build_drafts, parse_due, send_drafts, smtp_server, write_drafts

    if not period:
        raise click.UsageError("--period is required, e.g. --period 2026-11")
    config = load_config(config_path)
    # Resolve the server first: a missing or malformed address fails before any file is written.
    server = smtp_server(config) if send else None
    result = build_drafts(
        config,
        period,
        kind,
        folder=folder,
        ledger=ledger if kind == "reminders" else None,
        sender=sender,
        due=parse_due(due),
    )
    with writing(output):
        write_drafts(result, output)
    if server is not None and result.drafts:
        send_drafts(result, server)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(format_result(result, send))
    sys.exit(result.exit_code)
