"""The ``rmp`` command line: a thin layer over the library.

Each command lives in its own module under ``rmp_workbook.cli`` and is imported
only when it runs, so ``rmp --help`` starts fast (no pandas, no matplotlib).
"""

from __future__ import annotations

import importlib

import click

from rmp_workbook import __version__

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module:function, one-line help shown by `rmp --help`)
    "init": ("rmp_workbook.cli.template:init", "Write a commented example relationship config."),
    "template": ("rmp_workbook.cli.template:template", "Write the workbook a partner fills in."),
    "validate": ("rmp_workbook.cli.validate:validate", "Check workbooks and say what to fix."),
    "merge": (
        "rmp_workbook.cli.merge:merge",
        "Validate, record in the ledger, reconcile and write the consolidated workbook.",
    ),
    "close": (
        "rmp_workbook.cli.close:close",
        "Publish a month: freeze its figures, gaps and consolidated workbook.",
    ),
    "restatement": (
        "rmp_workbook.cli.restatement:restatement",
        "List, accept or reject the workbooks that came for a closed month.",
    ),
    "status": (
        "rmp_workbook.cli.status:status",
        "Who has sent the month's workbook: received, late, invalid, missing.",
    ),
    "mail": (
        "rmp_workbook.cli.mail:mail",
        "Write (and send) the month's e-mails: templates, feedback, reminders.",
    ),
    "signoff": (
        "rmp_workbook.cli.signoff:signoff",
        "Joint sign-off: each partner's agreed values and approval of the month.",
    ),
    "demo": ("rmp_workbook.cli.demo:demo", "Run the whole monthly cycle on sample data."),
    "schema": ("rmp_workbook.cli.schema:schema", "Print the workbook schema (JSON or markdown)."),
    "history": ("rmp_workbook.cli.history:history", "KPI figures by month; restatements."),
    "report": ("rmp_workbook.cli.report:report", "Draw a month's charts and one-page PDF summary."),
    "audit": (
        "rmp_workbook.cli.audit:audit",
        "Write the evidence pack of the relationship's success over months.",
    ),
    "handbook": (
        "rmp_workbook.cli.handbook:handbook",
        "Write the agreed plan as a handbook (PDF) for operational staff.",
    ),
    "ledger": ("rmp_workbook.cli.ledger:ledger", "Work on the ledger as a whole: copy it."),
}
"""Every command, in the order ``rmp --help`` lists them."""


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        target, _ = COMMANDS[name]
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_, short) in COMMANDS.items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rmp")
def cli() -> None:
    """Run a collaborative relationship's Relationship Management Plan (RMP)
    through Excel workbooks (BS 11000 / ISO 44001).

    \b
    The monthly cycle:
      rmp template  write each partner's workbook for the month
      rmp validate  check the workbooks that came back, tell partners what to fix
      rmp merge     validate, record in the ledger, reconcile, write the dashboard
      rmp status    who has sent the month's workbook, who is late or missing

    \b
    Example:
      rmp demo ./rmp-demo
    """


def main() -> None:
    """Entry point of the ``rmp`` console script."""
    cli(prog_name="rmp")
