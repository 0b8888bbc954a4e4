"""The CLI reference page, generated from ``--help`` so it cannot drift.

Regenerate with ``python -m rmp_workbook.cli.reference docs/cli.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rmp_workbook.cli import COMMANDS, cli


def command_help(name: str | None) -> str:
    """The ``--help`` text of ``rmp`` or one of its commands, as a user sees it."""
    # The group's context settings (``-h`` beside ``--help``) as a real run applies them.
    ctx = click.Context(
        cli, info_name="rmp", terminal_width=88, max_content_width=88, **cli.context_settings
    )
    if name is None:
        return cli.get_help(ctx)
    command = cli.get_command(ctx, name)
    if command is None:
        raise KeyError(name)
    sub = click.Context(
        command,
        info_name=name,
        parent=ctx,
        terminal_width=88,
        max_content_width=88,
        **command.context_settings,
    )
    return command.get_help(sub)


def render_cli_reference() -> str:
    """docs/cli.md: every command's help, in the order ``rmp --help`` lists them."""
    parts = [
        "# Command-line reference",
        "",
        "Generated from `rmp --help` by `python -m rmp_workbook.cli.reference docs/cli.md`;",
        "a test fails when this page is stale.",
        "",
        "```text",
        command_help(None).rstrip(),
        "```",
    ]
    for name in COMMANDS:
        parts += ["", f"## rmp {name}", "", "```text", command_help(name).rstrip(), "```"]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = render_cli_reference()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
