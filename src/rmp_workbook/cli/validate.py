"""``rmp validate``: check partners' workbooks and say exactly what to fix."""

from __future__ import annotations

import sys
from typing import Any

import click

from rmp_workbook.cli.options import (
    echo_json,
    feedback_option,
    handle_errors,
    jobs_option,
    json_option,
    load_for_long_run,
    period_option,
)
from rmp_workbook.findings import Finding, Severity
from rmp_workbook.validate import FileResult, Report, validate_paths


def _style(text: str, **kw: Any) -> str:
    return click.style(text, **kw) if sys.stdout.isatty() else text


def format_finding(f: Finding) -> str:
    """One line: where, what and how to fix it."""
    where = f.cell or "-"
    tag = "error" if f.severity is Severity.ERROR else "warning"
    colour = "red" if f.severity is Severity.ERROR else "yellow"
    return f"    {where:<6} {_style(tag, fg=colour)} [{f.code}] {f.message}"


def format_file(result: FileResult) -> list[str]:
    """A file's heading, then its findings grouped by sheet."""
    sub = result.submission
    if result.skipped:
        return [
            f"{result.path}: " + _style("skipped", fg="yellow") + f" ({result.findings[0].note})"
        ]
    if result.fatal:
        reason = "; ".join(f.message for f in result.errors) or "it cannot be read"
        return [f"{result.path}: " + _style(reason, fg="red", bold=True)]
    who = ""
    if sub is not None and (sub.meta.partner or sub.meta.period):
        who = f" ({sub.meta.partner or '?'}, {sub.meta.period or '?'})"
    errors, warnings = len(result.errors), len(result.warnings)
    if result.valid and any(f.code == "incomplete" for f in result.findings):
        state = _style("incomplete", fg="yellow", bold=True)  # readable, but not done yet
        state += f", {warnings} warning{'s' * (warnings != 1)}"
    elif result.valid:
        state = _style("OK", fg="green", bold=True)
        if warnings:
            state += f", {warnings} warning{'s' * (warnings != 1)}"
    else:
        state = _style(f"{errors} error{'s' * (errors != 1)}", fg="red", bold=True)
        if warnings:
            state += f", {warnings} warning{'s' * (warnings != 1)}"
    lines = [f"{result.path}{who}: {state}"]
    by_sheet: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_sheet.setdefault(f.sheet or "(workbook)", []).append(f)
    for sheet, found in by_sheet.items():
        lines.append(f"  {_style(sheet, bold=True)}")
        found.sort(key=lambda f: (f.row if f.row is not None else -1, f.col or 0))
        lines.extend(format_finding(f) for f in found)
    return lines


def format_report(report: Report) -> str:
    lines: list[str] = []
    for result in report.files:
        lines.extend(format_file(result))
    for path in report.no_input:
        lines.append(f"{path}: " + _style("no workbook to check here", fg="red"))
    s = report.summary()
    unreadable = f", {s['unreadable']} unreadable" if s["unreadable"] else ""
    skipped = f", {s['skipped']} skipped" if s["skipped"] else ""
    lines.append(
        f"{s['files']} file{'s' * (s['files'] != 1)} checked: {s['valid']} valid, "
        f"{s['invalid'] - s['unreadable']} with errors{unreadable}{skipped} "
        f"({s['errors']} errors, {s['warnings']} warnings)."
    )
    return "\n".join(lines)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="FILE_OR_DIR...")
@click.option(
    "--relationship",
    "relationship_id",
    metavar="ID",
    help="The relationship ID every workbook must carry (finding wrong-relationship otherwise). "
    "Default: the config's ID; with --config it must be the config's ID (exit 2 otherwise).",
)
@period_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="The relationship config (rmp.toml): its relationship ID, its partners for the "
    "workbook's month (finding unknown-partner otherwise) and its KPIs (a KPI it does not "
    "list: warning kpi-not-agreed).",
)
@feedback_option
@jobs_option
@json_option
@handle_errors
def validate(
    paths: tuple[str, ...],
    relationship_id: str | None,
    period: str | None,
    config_path: str | None,
    feedback_dir: str | None,
    jobs: int | None,
    as_json: bool,
) -> None:
    """Check partners' workbooks and say exactly what to fix: file, sheet, cell.

    FILE_OR_DIR are workbooks (.xlsx, .xlsm, .xls, .ods) or folders of them
    (checked in name order, not recursed; lock files and other files are skipped).

    \b
    Exit codes:
      0  every workbook is valid (warnings allowed)
      1  some workbook has errors: its rows with errors are left out (a workbook for
         another month than --period, or not from a partner of --config, is not merged)
      2  some input is not a readable RMP workbook, or no workbook was given

    \b
    Example:
      rmp validate returned/2026-11/ --relationship NW-CT-2026
      rmp validate returned/2026-11/ --period 2026-11 --config rmp.toml
      rmp validate northwind-2026-11.xlsx --json > problems.json
      rmp validate returned/2026-11/ --feedback feedback/2026-11/
    """
    # Only counts and findings are shown: each workbook's rows are dropped once checked.
    from rmp_workbook.config import load_config, period_bounds, relationship_wanted
    from rmp_workbook.expected import check_agreed, check_identity

    config = load_config(config_path) if config_path else None
    if period is not None:
        try:
            period_bounds(period)
        except ValueError:
            raise click.UsageError(f"--period {period!r} is not a month written YYYY-MM") from None
    load_for_long_run("rmp_workbook.read", "rmp_workbook.rows")

    def check(result: FileResult) -> None:
        check_identity(result, period=period, config=config)
        check_agreed(result, period=period, config=config)

    report = validate_paths(
        paths,
        relationship_id=relationship_wanted(relationship_id, config),
        jobs=jobs,
        keep_records=False,
        each=check,
        ranges=config.kpi_ranges() if config else None,
    )
    written = []
    if feedback_dir:
        from rmp_workbook.feedback import write_report_feedback  # openpyxl only when asked

        written = write_report_feedback(report, feedback_dir)
    if as_json:
        echo_json({**report.to_dict(), "feedback": [str(p) for p in written]})
    else:
        click.echo(format_report(report))
        for path in written:
            click.echo(f"Feedback for the partner: {path}")
    sys.exit(report.exit_code)
