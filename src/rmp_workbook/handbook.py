"""The handbook: the current agreed plan as a readable document for operational staff.

:func:`handbook_blocks` turns the reconciled view of a month into headings, paragraphs
and short tables: scope, drivers, contractual arrangements, shared systems, management
structure, contacts, stages with their next steps, then the plan areas (development,
information sharing, communications, value creation, exit and continuity), open risks
and actions. :func:`write_handbook_pdf` lays them out on A4 pages with matplotlib (Agg
canvas only, text flowing from page to page).
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmp_workbook import __version__, summary
from rmp_workbook.atomic import atomic_output
from rmp_workbook.config import RelationshipConfig
from rmp_workbook.plain import format_value
from rmp_workbook.rag import NAVY, SLATE
from rmp_workbook.records import Consolidated
from rmp_workbook.schema import SCHEMA


@dataclass(frozen=True)
class Block:
    """One piece of the handbook: a heading, a paragraph or a table."""

    kind: str
    """``title``, ``heading``, ``para``, ``note`` or ``table``."""
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    """For tables: the header row, then the data rows."""


_TEXTS = (
    ("scope", "Scope"),
    ("drivers", "Drivers and objectives"),
    ("contracts", "Contractual arrangements"),
    ("shared_systems", "Shared systems and services"),
    ("management_structure", "Management structure"),
)

_AREA_COLUMNS = {
    "development": ("need_id", "need", "partner", "owner", "due", "status"),
    "information": ("flow_id", "information", "from_partner", "to_partner", "frequency",
                    "confidentiality", "owner"),
    "communications": ("comm_id", "audience", "message", "channel", "frequency", "owner",
                       "next_due"),
    "value": ("initiative_id", "initiative", "goal", "estimated", "realised", "unit", "status"),
    "exit": ("scenario_id", "trigger", "service", "measure", "owner", "notice_days",
             "last_reviewed"),
    "risks": ("risk_id", "risk", "score", "owner", "mitigation", "status"),
    "actions": ("action_id", "area", "action", "owner", "due", "status"),
}  # fmt: skip
"""The columns of each register the handbook lists (the sheet's own order)."""


def _records(c: Consolidated, key: str) -> list[dict[str, Any]]:
    table = c.tables.get(key)
    return [] if table is None or not len(table) else table.to_dict("records")


def _text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return format_value(value) if summary.text(value) else ""


def handbook_blocks(c: Consolidated) -> list[Block]:
    """The handbook's content, in reading order, from a reconciled view."""
    blocks = [
        Block("title", c.relationship_name or c.relationship_id),
        Block("note", f"Relationship Management Plan · {c.relationship_id} · as agreed in "
                      f"{c.period} · partners: {', '.join(c.partners) or 'none yet'}"),
    ]  # fmt: skip
    forms = _records(c, "relationship")
    for key, title in _TEXTS:
        blocks.append(Block("heading", title))
        said: dict[str, list[str]] = {}
        for r in forms:
            text = summary.text(r.get(key)).strip()
            if text:
                said.setdefault(text, []).append(summary.text(r.get("partner")))
        if not said:
            blocks.append(Block("note", "Not written down yet."))
        elif len(said) == 1:
            blocks.append(Block("para", next(iter(said))))
        else:  # partners describe it differently: each in its own words
            for text, partners in said.items():
                blocks.append(Block("para", f"{', '.join(partners)}: {text}"))
    contacts = sorted(
        _records(c, "contacts"),
        key=lambda r: (-(summary.num(r.get("escalation_level")) or 0), _text(r.get("name"))),
    )
    blocks.append(Block("heading", "Contacts and escalation"))
    columns = ("name", "organisation", "role", "email", "phone", "escalation_level")
    blocks.append(_table(contacts, columns, "contacts"))
    blocks.append(Block("heading", "Life-cycle stages and next steps"))
    steps = {_text(r.get("stage")): r for r in _records(c, "stages")}
    rows = [("Stage", "Status", "Progress", "Next step", "Owner", "Target date")]
    for stage, status, progress in summary.stages(c):
        r = steps.get(stage, {})
        rows.append(
            (stage, status or "–", "–" if progress is None else f"{progress:.0%}",
             _text(r.get("next_step")), _text(r.get("owner")), _text(r.get("target_date")))
        )  # fmt: skip
    blocks.append(Block("table", rows=tuple(rows)))
    for key in ("development", "information", "communications", "value", "exit", "risks",
                "actions"):  # fmt: skip
        sheet = SCHEMA[key]
        blocks.append(Block("heading", sheet.name))
        blocks.append(Block("note", sheet.help))
        open_rows = [r for r in _records(c, key) if sheet.status is None
                     or sheet.is_open(r.get(sheet.status))]  # fmt: skip
        blocks.append(_table(open_rows, _AREA_COLUMNS[key], key))
    return blocks


def _table(records: list[dict[str, Any]], columns: tuple[str, ...], key: str) -> Block:
    if not records:
        return Block("note", "Nothing recorded yet.")
    sheet = SCHEMA[key]
    header = tuple(sheet.column(k).header for k in columns)
    return Block(
        "table", rows=(header, *(tuple(_text(r.get(k)) for k in columns) for r in records))
    )


# --------------------------------------------------------------------------- PDF


_PAGE = (8.27, 11.69)  # A4 portrait, inches
_LEFT, _RIGHT, _TOP, _BOTTOM = 0.08, 0.92, 0.94, 0.06
_LINE = 0.0135  # one 8-point line, as a fraction of the page height


def _lines(block: Block) -> Iterator[tuple[str, dict[str, Any], float]]:
    """(text, matplotlib text properties, height) for each printed line of a block."""
    if block.kind == "title":
        for line in textwrap.wrap(block.text, 48):
            yield line, {"fontsize": 18, "fontweight": "bold", "color": NAVY}, 0.032
    elif block.kind == "heading":
        yield "", {}, 0.01
        yield block.text, {"fontsize": 12, "fontweight": "bold", "color": NAVY}, 0.024
    elif block.kind in ("para", "note"):
        style = {"fontsize": 9} if block.kind == "para" else {"fontsize": 8, "color": SLATE,
                                                                "style": "italic"}  # fmt: skip
        for line in textwrap.wrap(block.text, 110) or [""]:
            yield line, style, _LINE * 1.15
    else:
        widths = _widths(block.rows)
        for i, row in enumerate(block.rows):
            cells = [textwrap.wrap(v, w) or [""] for v, w in zip(row, widths, strict=True)]
            style = {"fontsize": 7, "family": "monospace"}
            if i == 0:
                style["fontweight"] = "bold"
            for k in range(max(len(c) for c in cells)):
                text = "  ".join(
                    (c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths,
                                                                         strict=True)
                )  # fmt: skip
                yield text, style, _LINE
        yield "", {}, _LINE * 0.6


def _widths(rows: tuple[tuple[str, ...], ...], total: int = 118) -> list[int]:
    """Character widths per column: the widest text up to a fair share of the line."""
    n = len(rows[0])
    room = total - 2 * (n - 1)
    want = [max(len(r[j]) for r in rows) for j in range(n)]
    widths = [min(w, max(6, room // n)) for w in want]
    spare = room - sum(widths)
    for j in sorted(range(n), key=lambda j: want[j] - widths[j], reverse=True):
        extra = min(spare, want[j] - widths[j])
        widths[j] += max(0, extra)
        spare -= max(0, extra)
    return [max(3, w) for w in widths]


def write_handbook_pdf(c: Consolidated, path: str | os.PathLike[str]) -> Path:
    """Write the handbook of a reconciled view as an A4 PDF."""
    from matplotlib.backends.backend_pdf import PdfPages

    from rmp_workbook.report import _figure

    path = Path(path)
    title = f"{c.relationship_name or c.relationship_id} handbook"
    with (
        atomic_output(path) as tmp,
        PdfPages(tmp, metadata={"Title": title, "Creator": f"rmp {__version__}"}) as pdf,
    ):
        fig, y, page = None, _TOP, 0
        for block in handbook_blocks(c):
            for text, style, height in _lines(block):
                if fig is None or y - height < _BOTTOM:
                    if fig is not None:
                        pdf.savefig(fig)
                    page += 1
                    fig = _figure(*_PAGE)
                    fig.text(_RIGHT, 0.03, f"{c.relationship_id} · {c.period} · page {page}",
                             fontsize=7, color=SLATE, ha="right")  # fmt: skip
                    y = _TOP
                y -= height
                if text:
                    fig.text(_LEFT, y, text, va="bottom", **style)
        if fig is not None:
            pdf.savefig(fig)
    return path


def handbook_from_ledger(
    ledger: str | os.PathLike[str],
    period: str | None,
    output: str | os.PathLike[str],
    *,
    relationship_id: str | None = None,
    config: RelationshipConfig | None = None,
) -> Path:
    """Reconcile the ledger for ``period`` (default: its latest) and write the handbook."""
    from rmp_workbook.report import consolidated_from_ledger

    c = consolidated_from_ledger(ledger, period, relationship_id=relationship_id, config=config)
    return write_handbook_pdf(c, output)


__all__ = ["Block", "handbook_blocks", "handbook_from_ledger", "write_handbook_pdf"]
