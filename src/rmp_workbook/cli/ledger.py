"""``rmp ledger``: work on the ledger itself (``rmp ledger copy``)."""

from __future__ import annotations

import click

from rmp_workbook.cli.options import echo_json, handle_errors, json_option


@click.group("ledger")
def ledger() -> None:
    """Work on the ledger as a whole.

    \b
    Example:
      rmp ledger copy rmp-ledger.sqlite postgresql://rmp@db.example.com/rmp
    """


@ledger.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@json_option
@handle_errors
def copy(source: str, destination: str, as_json: bool) -> None:
    """Copy the whole ledger SRC into the new, empty ledger DST.

    Each is a SQLite file path or a PostgreSQL URL, either way round. Every
    table is copied with its ids in one transaction; PostgreSQL's id
    sequences are moved on past the copied rows; each table is verified by
    its row count and a checksum before the copy is committed. If anything
    fails, DST holds nothing of the copy (a SQLite file it created is removed).

    \b
    Exit codes:
      0  copied and verified
      2  nothing copied: SRC missing, DST not empty, a database error (said in words)

    \b
    Examples:
      rmp ledger copy rmp-ledger.sqlite postgresql://rmp@db.example.com/rmp
      rmp ledger copy postgresql://rmp@db.example.com/rmp backup-2026-11.sqlite
    """
    from rmp_workbook.ledger.transfer import copy_ledger

    result = copy_ledger(source, destination)
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"Copied {result.source} to {result.destination} in {result.seconds:.1f} s:")
    width = max(len(t.name) for t in result.tables)
    for t in result.tables:
        click.echo(f"  {t.name:<{width}}  {t.rows:>9,} rows  checksum {t.checksum[:16]}")
    click.echo(f"{result.rows:,} rows in {len(result.tables)} tables, each verified.")
