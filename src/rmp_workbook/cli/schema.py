"""``rmp schema``: the workbook's schema as JSON Schema or as a markdown page."""

from __future__ import annotations

import json

import click

from rmp_workbook.cli.options import handle_errors


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="JSON Schema (for tools) or a markdown page (for people).",
)
@handle_errors
def schema(fmt: str) -> None:
    """Print the workbook schema: sheets, columns, types, allowed values, keys.

    \b
    Example:
      rmp schema --format markdown > docs/schema.md
      rmp schema > rmp-workbook.schema.json
    """
    from rmp_workbook.docgen import schema_markdown
    from rmp_workbook.rows import workbook_json_schema

    if fmt == "json":
        click.echo(json.dumps(workbook_json_schema(), indent=2, ensure_ascii=False))
    else:
        click.echo(schema_markdown(), nl=False)
