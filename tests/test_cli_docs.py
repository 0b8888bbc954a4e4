"""Every command is documented, teaches by example, and the CLI reference is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_rmp

from rmp_workbook.cli import COMMANDS, cli
from rmp_workbook.cli.reference import command_help, render_cli_reference

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render_cli_reference(), (
        "docs/cli.md is stale: run python -m rmp_workbook.cli.reference docs/cli.md"
    )


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_has_help_and_example(name: str) -> None:
    text = command_help(name)
    assert "Example" in text, f"rmp {name} --help ends with an example"
    command = cli.get_command(None, name)  # type: ignore[arg-type]
    assert command is not None and command.help
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            assert param.help, f"rmp {name} {param.opts[0]} has help text"


def test_help_runs_as_a_program() -> None:
    proc = run_rmp("--help")
    assert proc.returncode == 0
    assert "Usage: rmp" in proc.stdout
    for name in COMMANDS:
        assert name in proc.stdout


def test_subcommands_have_help_and_example() -> None:
    from rmp_workbook.cli.reference import subcommands

    found = [(name, sub) for name in COMMANDS for sub in subcommands(name)]
    assert ("ledger", "copy") in found
    for name, sub in found:
        assert "Example" in command_help(f"{name} {sub}"), f"rmp {name} {sub} has an example"
