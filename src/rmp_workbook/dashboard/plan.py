"""The Dashboard's "Managing the relationship" block: one line per plan area (status, how
many open, next due) and value realised against estimated, from :mod:`rmp_workbook.plan_areas`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rmp_workbook.dashboard.cells import RAG_FILLS, SLATE
from rmp_workbook.plain import format_value
from rmp_workbook.plan_areas import area_lines, value_totals

if TYPE_CHECKING:
    from rmp_workbook.dashboard.page import _Dashboard

SHORT_NAMES = {
    "Development needs": "Development",
    "Information sharing": "Information",
    "Communications plan": "Communications",
    "Value creation": "Value creation",
    "Exit and continuity plan": "Exit and continuity",
}
"""Area names short enough for the block's first column."""


def value_text(totals: list[tuple[str, float, float]]) -> str:
    """``45,000 of 120,000 GBP (38%)`` per unit, or a note when there is nothing."""
    if not totals:
        return "No value initiatives recorded yet."

    def amount(value: float) -> str:
        return f"{value:,.0f}" if abs(value) >= 1000 else format_value(value)

    parts = []
    for unit, got, estimate in totals:
        unit_text = f" {unit}" if unit else ""
        share = f" ({got / estimate:.0%})" if estimate else ""
        parts.append(f"{amount(got)} of {amount(estimate)}{unit_text}{share}")
    return "; ".join(parts)


def managing_block(d: _Dashboard, row: int, c0: int, c1: int, name_span: int = 1) -> int:
    """Write the block from ``row`` over columns ``c0``..``c1`` (the area name takes
    ``name_span`` columns, then two for the status, one for the count, two for the next due
    date and the rest for the gaps); return the row after it."""
    f, ws = d.f, d.ws
    name_end = c0 + name_span - 1
    status, count, due, gaps = name_end + 1, name_end + 3, name_end + 4, name_end + 6
    row = d._section(row, c0, c1, "Managing the relationship")
    row = d._head(
        row,
        [(c0, name_end, "Area"), (status, status + 1, "Status", "center"),
         (count, count, "Open", "center"), (due, due + 1, "Next due", "center"),
         (gaps, c1, "Gaps", "center")],
    )  # fmt: skip
    centred = f.cell(font_size=9, align="center", valign="vcenter")
    for line in area_lines(d.c, d.w.t):
        name_fmt = f.cell(font_size=9, bold=True, valign="vcenter")
        d._merged(row, c0, name_end, SHORT_NAMES.get(line.area, line.area), name_fmt)
        fill = RAG_FILLS.get(line.status)
        status_fmt = (
            f.cell(font_size=9, bold=True, font_color="#FFFFFF", bg_color=fill,
                   align="center", valign="vcenter")
            if fill
            else f.cell(font_size=9, font_color=SLATE, align="center", valign="vcenter")
        )  # fmt: skip
        d._merged(row, status, status + 1, line.status, status_fmt)
        ws.write_number(row, count, line.open, centred)
        d._merged(row, due, due + 1, line.next_due.isoformat() if line.next_due else "–", centred)
        d._merged(row, gaps, c1, str(line.gaps) if line.gaps else "–", centred)
        row += 1
    d._merged(row, c0, name_end, "Value realised", f.cell(font_size=9, bold=True,
                                                          valign="vcenter"))  # fmt: skip
    d._merged(row, status, c1, value_text(value_totals(d.c)),
              f.cell(font_size=9, font_color=SLATE, valign="vcenter"))  # fmt: skip
    return row + 1
