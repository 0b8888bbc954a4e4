"""``rmp history``: a KPI's figures month by month, where each came from, every restatement."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click

from rmp_workbook.cli.options import (
    config_option,
    echo_json,
    handle_errors,
    json_option,
    ledger_option,
    relationship_option,
)

if TYPE_CHECKING:
    import pandas as pd

    from rmp_workbook.ledger import HistoryReport


@click.command()
@ledger_option
@config_option
@relationship_option
@click.option("--kpi", "kpi_id", metavar="ID", help="Only this KPI, e.g. K01.")
@click.option("--partner", metavar="ORG", help="Only this partner organisation's figures.")
@json_option
@handle_errors
def history(
    ledger: str,
    config_path: str | None,
    relationship_id: str | None,
    kpi_id: str | None,
    partner: str | None,
    as_json: bool,
) -> None:
    """Show KPI figures month by month from the ledger: each partner's figure,
    the file it came from, and every figure a later workbook restated.

    \b
    A figure marked * was restated: a later workbook reported a different
    value for that month. The list below the table says who, when and from
    which file. The latest workbook's figure is the one shown.

    \b
    Example:
      rmp history --ledger rmp-ledger.sqlite --config rmp.toml --kpi K01
      rmp history --ledger postgresql://rmp@db/rmp --relationship ACME-2026 --json
    """
    from rmp_workbook.config import load_config
    from rmp_workbook.ledger import kpi_history

    config = load_config(config_path) if config_path else None
    report = kpi_history(ledger, relationship_id, kpi_id, partner, config=config)
    if as_json:
        echo_json(
            {
                "ledger": report.ledger,
                "relationship_id": report.relationship_id,
                "relationship_name": report.relationship_name,
                "figures": _records(report.figures),
                "restatements": _records(report.restatements),
            }
        )
        return
    click.echo(render(report))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "isoformat"):
        try:
            return value.isoformat()
        except ValueError:  # NaT
            return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if str(value) in ("NaT", "<NA>"):
        return None
    return value


def _num(value: Any) -> str:
    v = _plain(value)
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:g}"
    return str(v)


def _table(headers: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = [indent + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return lines


def render(report: HistoryReport) -> str:
    """The report as text: one trend table per KPI, then the restatements."""
    title = report.relationship_id
    if report.relationship_name:
        title += f" ({report.relationship_name})"
    lines = [f"Ledger: {report.ledger}", f"Relationship: {title}"]
    figures = report.figures
    if figures.empty:
        lines += ["", "No KPI figures recorded."]
        return "\n".join(lines)
    partners = sorted(set(figures["partner"]))
    for kpi_id in sorted(set(figures["kpi_id"])):
        rows = figures[figures["kpi_id"] == kpi_id]
        last = rows.iloc[-1]
        head = f"{kpi_id} {_num(last['kpi'])}".strip()
        detail = [
            x
            for x in (
                f"unit {_num(last['unit'])}" if _num(last["unit"]) else "",
                _num(last["direction"]),
                f"target {_num(last['target'])}" if _num(last["target"]) else "",
            )
            if x
        ]
        lines += ["", head + (f" ({', '.join(detail)})" if detail else "")]
        cells: dict[tuple[str, str], str] = {}
        for r in rows.itertuples(index=False):
            mark = " *" if r.restated else ""
            cells[(str(r.period), str(r.partner))] = _num(r.actual) + mark
        periods = sorted({str(p) for p in rows["period"]})
        here = [p for p in partners if any((per, p) in cells for per in periods)]
        table = [[per, *(cells.get((per, p), "-") for p in here)] for per in periods]
        lines += _table(["Period", *here], table)
        files = sorted({f"{r.partner}: {r.file}" for r in rows.itertuples(index=False)})
        lines.append("  Figures from " + "; ".join(files))
    restated = report.restatements
    lines.append("")
    if restated.empty:
        lines.append("No restatements: no workbook changed a figure reported for an earlier month.")
        return "\n".join(lines)
    lines.append(f"Restatements ({len(restated)}): later workbooks that changed a past figure")
    table = [
        [
            str(r.item),
            str(r.period),
            str(r.partner),
            str(r.column),
            _num(r.previous),
            _num(r.restated),
            str(r.previous_file),
            str(r.file),
            _num(r.received_at)[:16].replace("T", " "),
        ]
        for r in restated.itertuples(index=False)
    ]
    headers = ["KPI", "Period", "Partner", "Column", "Was", "Now", "Was in", "Now in", "Received"]
    lines += _table(headers, table)
    return "\n".join(lines)
