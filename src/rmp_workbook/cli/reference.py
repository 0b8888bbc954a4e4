"""The CLI reference page, generated from ``--help`` so it cannot drift.

Regenerate with ``python -m rmp_workbook.cli.reference docs/cli.md``.
"""

from __future__ import annotations

import sys

import click

from rmp_workbook.atomic import atomic_write_text
from rmp_workbook.cli import COMMANDS, cli


def command_help(name: str | None) -> str:
    """The ``--help`` text of ``rmp``, one of its commands or a group's subcommand
    (``"ledger copy"``), as a user sees it."""
    # The group's context settings (``-h`` beside ``--help``) as a real run applies them.
    ctx = click.Context(
        cli, info_name="rmp", terminal_width=88, max_content_width=88, **cli.context_settings
    )
    if name is None:
        return cli.get_help(ctx)
    group: click.Group = cli
    command: click.Command | None = None
    for word in name.split():
        command = group.get_command(ctx, word)
        if command is None:
            raise KeyError(name)
        ctx = click.Context(
            command,
            info_name=word,
            parent=ctx,
            terminal_width=88,
            max_content_width=88,
            **command.context_settings,
        )
        if isinstance(command, click.Group):
            group = command
    assert command is not None
    return command.get_help(ctx)


def subcommands(name: str) -> list[str]:
    """The subcommands of a command that is a group (``rmp ledger copy``), else none."""
    command = cli.get_command(click.Context(cli), name)
    return list(command.commands) if isinstance(command, click.Group) else []


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
        for sub in subcommands(name):
            text = command_help(f"{name} {sub}").rstrip()
            parts += ["", f"### rmp {name} {sub}", "", "```text", text, "```"]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = render_cli_reference()
    if args:
        atomic_write_text(args[0], text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
