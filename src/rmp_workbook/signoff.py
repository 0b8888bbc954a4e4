"""Joint sign-off: each partner settles the month's discrepancies and approves the month.

``rmp signoff template`` writes one small workbook per partner (:func:`write_signoff_workbook`):
a table with one row per discrepancy of the month (each partner's figure, the reconciled
value) with an Agreed value and a Reason to fill, and an approval block (name, date,
Yes/No). ``rmp signoff record`` reads them back (:func:`read_signoff`) and the ledger keeps
them. From then on :func:`apply_signoff` puts the agreed value in place of the reconciled one
wherever every partner concerned recorded the same value, with its provenance, and
:func:`signoff_line` says on the Dashboard who has approved the month.

Nothing here opens the ledger (:mod:`rmp_workbook.ledger.signoff` stores, and
:mod:`rmp_workbook.signoff_cycle` runs the commands), so reconciliation's caller and the
Dashboard can use it without an import cycle.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic_core import PydanticCustomError
from xlsxwriter.workbook import Workbook

from rmp_workbook import schema
from rmp_workbook.agreed import column_of as _column
from rmp_workbook.agreed import value_from_text, value_text
from rmp_workbook.atomic import atomic_output, safe_file_name
from rmp_workbook.cells import a1
from rmp_workbook.findings import (
    Finding,
    NotASignoff,
    Severity,
    SignoffAgreedValue,
    SignoffApproval,
    SignoffDuplicate,
    SignoffReasonMissing,
    SignoffUnknownDiscrepancy,
)
from rmp_workbook.formulas import compute_row
from rmp_workbook.gaps import find_gaps
from rmp_workbook.plain import clean, format_value, item_label, norm_key, norm_text
from rmp_workbook.rag import BLUE, GREY, NAVY, SLATE
from rmp_workbook.reconcile import DISCREPANCY_COLUMNS, period_end
from rmp_workbook.records import Consolidated, SignoffState, StoredAgreement, StoredSignoff
from rmp_workbook.rows import type_cell
from rmp_workbook.schema import SCHEMA, SHEETS, ColType, Column, Sheet
from rmp_workbook.template import _NUMBER_FORMATS, _validation, partner_file_stem
from rmp_workbook.values import to_choice, to_date, to_text

__all__ = [
    "DiscrepancyRef",
    "SignoffReturn",
    "StoredAgreement",
    "StoredSignoff",
    "apply_signoff",
    "discrepancy_refs",
    "read_signoff",
    "signoff_audit_frame",
    "signoff_file_name",
    "signoff_line",
    "source_texts",
    "write_signoff_workbook",
]

SIGNOFF_SHEET = "Sign-off"
META_SHEET = "_rmp_signoff"
KIND = "rmp-signoff"
"""The metadata's ``kind``: what tells a sign-off workbook from a partner's monthly one."""

REF, AGREED, REASON = "Ref", "Agreed value", "Reason"
APPROVED_BY, APPROVAL_DATE, APPROVE = "Approved by (name)", "Date", "Approve the month"
YES_NO = ("Yes", "No")

_HEADER_ROW = 4
"""Zero-based row of the table's header (title, subtitle, instructions above it)."""
_META_KEYS = (
    "kind",
    "schema_version",
    "relationship_id",
    "relationship_name",
    "partner",
    "period",
    "generated_at",
)
_INPUT = "#FFF2CC"
"""Pale yellow: the cells a partner types in (the rest is locked)."""
_PROTECTION = {
    "objects": False,
    "scenarios": False,
    "format_cells": False,
    "format_columns": True,
    "format_rows": True,
    "insert_columns": False,
    "insert_rows": False,
    "delete_columns": False,
    "delete_rows": False,
    "select_locked_cells": True,
    "sort": False,
    "autofilter": True,
    "select_unlocked_cells": True,
}
"""Protection without a password, against slips: no rows inserted, moved or deleted."""

_BY_NAME = {s.name: s for s in SHEETS}


# --------------------------------------------------------------------------- values


def _same(a: Any, b: Any) -> bool:
    """Whether two agreed values are one value (numbers to rounding, text ignoring case)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return norm_key(a) == norm_key(b)


def _key_text(value: Any) -> str:
    return norm_key(format_value(value))


# --------------------------------------------------------------------------- the discrepancies


@dataclass(frozen=True)
class DiscrepancyRef:
    """One discrepancy of a month as a sign-off workbook lists it."""

    ref: str
    """``D1``, ``D2``…: the row's Ref in the sign-off table."""
    sheet: str
    """Schema sheet key, e.g. ``kpis``."""
    item: str
    """The item's readable name, as the Discrepancies sheet shows it."""
    column: str
    """Schema column key, e.g. ``actual``."""
    keys: dict[str, str]
    """The item's key values (text), to find its reconciled row and history."""
    figures: dict[str, str]
    """Partner -> its figure as shown (the figures the agreement settles)."""
    values: str
    """Every partner's value in one text (``A: 91; B: 88``), also for many partners."""
    reconciled: Any
    rule: str

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.sheet, self.column, norm_text(self.item))

    @property
    def partners(self) -> list[str]:
        return list(self.figures)

    def to_json(self) -> str:
        return json.dumps(
            {
                "sheet": self.sheet,
                "item": self.item,
                "column": self.column,
                "keys": self.keys,
                "figures": self.figures,
                "values": self.values,
                "reconciled": value_text(self.reconciled),
                "rule": self.rule,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, ref: str, text: str) -> DiscrepancyRef:
        d = json.loads(text)
        col = _column(d["sheet"], d["column"])
        return cls(
            ref=ref,
            sheet=d["sheet"],
            item=d["item"],
            column=d["column"],
            keys={str(k): str(v) for k, v in d.get("keys", {}).items()},
            figures={str(k): str(v) for k, v in d.get("figures", {}).items()},
            values=str(d.get("values", "")),
            reconciled=value_from_text(col, str(d.get("reconciled", ""))),
            rule=str(d.get("rule", "")),
        )


def _sheet_and_column(sheet_name: Any, header: Any) -> tuple[Sheet, Column] | None:
    sheet = _BY_NAME.get(str(sheet_name))
    if sheet is None:
        return None
    col = next((c for c in sheet.columns if c.header == str(header)), None)
    return None if col is None else (sheet, col)


def _rows_by_label(c: Consolidated, sheet: Sheet) -> dict[str, dict[str, Any]]:
    """A sheet's reconciled rows by their item's readable name (folded); the first wins."""
    frame = c.tables.get(sheet.key)
    if frame is None or frame.empty:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        out.setdefault(norm_text(item_label(sheet, row)), row)
    return out


def discrepancy_refs(c: Consolidated) -> list[DiscrepancyRef]:
    """The month's discrepancies as the sign-off workbooks list them, in the sheet's order."""
    frame = c.discrepancies
    if frame is None or frame.empty:
        return []
    partner_cols = [p for p in frame.columns if p not in DISCREPANCY_COLUMNS]
    out: list[DiscrepancyRef] = []
    labels: dict[str, dict[str, dict[str, Any]]] = {}  # built once per sheet
    for rec in frame.to_dict("records"):
        found = _sheet_and_column(rec.get("sheet"), rec.get("column"))
        if found is None:
            continue
        sheet, col = found
        item = str(rec.get("item") or "")
        if sheet.key not in labels:
            labels[sheet.key] = _rows_by_label(c, sheet)
        row = labels[sheet.key].get(norm_text(item))
        keys = {k: format_value(row.get(k)) for k in sheet.keys} if row else {}
        figures = {
            str(p): format_value(rec.get(p)) for p in partner_cols if clean(rec.get(p)) is not None
        }
        out.append(
            DiscrepancyRef(
                ref=f"D{len(out) + 1}",
                sheet=sheet.key,
                item=item,
                column=col.key,
                keys=keys,
                figures=figures,
                values=str(rec.get("values") or ""),
                reconciled=clean(rec.get("reconciled")),
                rule=str(rec.get("rule") or ""),
            )
        )
    return out


# --------------------------------------------------------------------------- the workbook


def signoff_file_name(partner: str, period: str) -> str:
    """``Northwind Ltd``, ``2026-11`` -> ``signoff-northwind-ltd-2026-11.xlsx``."""
    return safe_file_name(f"signoff-{partner_file_stem(partner)}-{period}.xlsx")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_signoff_workbook(
    path: str | os.PathLike[str],
    c: Consolidated,
    partner: str,
    refs: Sequence[DiscrepancyRef],
    *,
    generated_at: dt.datetime | None = None,
) -> Path:
    """Write one partner's sign-off workbook for the view's month; return its path.

    Only Agreed value, Reason and the approval cells are unlocked; each carries an input
    message and a validation fitting the column it settles (a number for an Actual, the
    list for a Status). The hidden ``_rmp_signoff`` sheet says whose and which month it
    is, and what each Ref stands for.
    """
    when = generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    partners = list(dict.fromkeys(p for r in refs for p in r.figures))
    few = len(partners) <= 8
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, suffix=".xlsx") as tmp:
        wb = Workbook(
            str(tmp),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        _write_sheet(wb, c, partner, refs, partners if few else [], when)
        meta = wb.add_worksheet(META_SHEET)
        values = {
            "kind": KIND,
            "schema_version": schema.SCHEMA_VERSION,
            "relationship_id": c.relationship_id,
            "relationship_name": c.relationship_name,
            "partner": partner,
            "period": c.period,
            "generated_at": when.isoformat(timespec="seconds"),
        }
        for i, key in enumerate(_META_KEYS):
            meta.write_string(i, 0, key)
            meta.write_string(i, 1, values[key])
        for i, r in enumerate(refs, start=len(_META_KEYS)):
            meta.write_string(i, 0, "ref")
            meta.write_string(i, 1, r.ref)
            meta.write_string(i, 2, r.to_json())
        meta.protect("", _PROTECTION)
        meta.very_hidden()
        wb.close()
    return target


def _write_sheet(
    wb: Workbook,
    c: Consolidated,
    partner: str,
    refs: Sequence[DiscrepancyRef],
    partners: list[str],
    when: dt.datetime,
) -> None:
    ws = wb.add_worksheet(SIGNOFF_SHEET)
    fmt = _Formats(wb)
    headers = [REF, "Sheet", "Item", "Column"]
    widths = [7.0, 13.0, 34.0, 14.0]
    headers += partners or ["Values (partner: value)"]
    widths += [16.0] * len(partners) if partners else [44.0]
    headers += ["Reconciled", "Rule", AGREED, REASON]
    widths += [15.0, 30.0, 16.0, 44.0]
    last = len(headers) - 1
    agreed_at, reason_at = last - 1, last
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)

    title = f"Joint sign-off  ·  {c.relationship_name or c.relationship_id}  ·  {c.period}"
    ws.merge_range(0, 0, 0, last, title, fmt.title)
    ws.set_row(0, 30)
    count = len(refs)
    subtitle = (
        f"For {partner}  ·  {count} discrepanc{'y' if count == 1 else 'ies'} to settle  ·  "
        f"made {when:%Y-%m-%d} by rmp from the ledger"
    )
    ws.merge_range(1, 0, 1, last, subtitle, fmt.subtitle)
    ws.set_row(1, 18)
    steps = (
        "Where the partners' figures differ, type the value your organisation agrees in "
        f"{AGREED} and say why in {REASON} (leave {AGREED} blank to keep the reconciled "
        "value). Then approve the month at the bottom: your name, the date, and Yes. The "
        "yellow cells are the ones to fill; the rest is locked."
    )
    ws.merge_range(2, 0, 2, last, steps, fmt.steps)
    ws.set_row(2, 44)

    top = _HEADER_ROW
    if refs:
        data = []
        for r in refs:
            figures = [_shown(r.figures.get(p, "")) for p in partners] if partners else [r.values]
            data.append([r.ref, SCHEMA[r.sheet].name, r.item, _header(r), *figures,
                         r.reconciled, r.rule, None, None])  # fmt: skip
        columns = [{"header": h, "format": fmt.locked} for h in headers]
        columns[agreed_at]["format"] = fmt.agreed
        columns[reason_at]["format"] = fmt.reason
        ws.add_table(
            top,
            0,
            top + len(refs),
            last,
            {
                "name": "SignOff",
                "style": "Table Style Medium 2",
                "columns": columns,
                "autofilter": False,
            },
        )
        ws.set_row(top, 30, fmt.header)
        for i, (r, values) in enumerate(zip(refs, data, strict=True)):
            row = top + 1 + i
            ws.set_row(row, 30)  # room to read a long item and to type a reason
            col = _column(r.sheet, r.column)
            number = fmt.number(col)
            for j, v in enumerate(values[:agreed_at]):
                cell_fmt = number if (4 <= j < agreed_at - 1 and not isinstance(v, str)) else None
                _write(ws, row, j, v, cell_fmt or fmt.locked)
            ws.write_blank(row, agreed_at, None, fmt.agreed_for(col))
            ws.write_blank(row, reason_at, None, fmt.reason)
            if col is not None:
                rule = _agreed_validation(col, r, row, agreed_at)
                ws.data_validation(row, agreed_at, row, agreed_at, rule)
            ws.data_validation(
                row,
                reason_at,
                row,
                reason_at,
                {
                    "validate": "length",
                    "criteria": "<=",
                    "value": 500,
                    "ignore_blank": True,
                    "input_title": "Reason",
                    "input_message": _clip(
                        f"Why the partners agree this value for {r.item} ({_header(r)}): "
                        "a corrected source, a recount, a definition agreed. Required with "
                        "an Agreed value.",
                        255,
                    ),
                    "error_title": "Reason too long",
                    "error_message": "Please keep the reason to 500 characters or fewer.",
                },
            )
        end = top + len(refs)
    else:
        ws.merge_range(
            top,
            0,
            top,
            last,
            f"The partners' figures agree for {c.period}: nothing to settle. "
            "Approve the month below.",
            fmt.steps,
        )
        end = top

    # The approval block: label in the Item column, the value beside it.
    row = end + 2
    ws.merge_range(row, 0, row, last, "Approval", fmt.section)
    ws.set_row(row, 20)
    period_first = dt.date.fromisoformat(f"{c.period}-01")
    approval: list[tuple[str, dict[str, Any], str, str, Any]] = [
        (
            APPROVED_BY,
            {"validate": "length", "criteria": "between", "minimum": 2, "maximum": 100},
            "The name (and role) of the person who approves the month for "
            f"{partner}, e.g. Aisha Khan, Head of Operations.",
            "Please type a name of 2 to 100 characters.",
            fmt.input_text,
        ),
        (
            APPROVAL_DATE,
            {
                "validate": "date",
                "criteria": "between",
                "minimum": period_first,
                "maximum": dt.date(2099, 12, 31),
            },
            f"The day you approve the month, e.g. {period_end(c.period) + dt.timedelta(3)}.",
            f"Please type a date on or after {period_first}.",
            fmt.input_date,
        ),
        (
            APPROVE,
            {"validate": "list", "source": list(YES_NO)},
            f"Yes approves {c.period} for {partner}, with the agreed values above; No "
            "records that you do not approve it yet.",
            "Please pick Yes or No.",
            fmt.input_text,
        ),
    ]
    for label, rule, message, error, input_fmt in approval:
        row += 1
        ws.write_string(row, 2, label, fmt.label)
        ws.write_blank(row, 3, None, input_fmt)
        ws.data_validation(
            row,
            3,
            row,
            3,
            {
                **rule,
                "ignore_blank": True,
                "input_title": _clip(label, 32),
                "input_message": _clip(message, 255),
                "error_type": "stop",
                "error_title": _clip(f"Check {label}", 32),
                "error_message": error,
            },
        )
        ws.merge_range(row, 4, row, last, message, fmt.help)
        ws.set_row(row, 20)
    ws.freeze_panes(top + 1, 0)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top)
    ws.set_footer(f"&L&8{partner} · {c.period}&R&8Page &P of &N")
    ws.protect("", _PROTECTION)
    ws.activate()


def _header(r: DiscrepancyRef) -> str:
    col = _column(r.sheet, r.column)
    return col.header if col is not None else r.column


def _shown(text: str) -> Any:
    """A partner's figure as a cell value: numbers as numbers, the rest as text."""
    try:
        return float(text) if text not in ("", "nan", "inf", "-inf") else text
    except ValueError:
        return text


def _write(ws: Any, row: int, col: int, value: Any, cell_fmt: Any) -> None:
    if value is None:
        ws.write_blank(row, col, None, cell_fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "Yes" if value else "No", cell_fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, cell_fmt)
    elif isinstance(value, dt.date):
        ws.write_string(row, col, value.isoformat(), cell_fmt)
    else:
        ws.write_string(row, col, str(value), cell_fmt)


def _agreed_validation(col: Column, r: DiscrepancyRef, row: int, at: int) -> dict[str, Any]:
    """The column's own validation (a number, the list, a date…) with a message that says
    which item it settles and what the partners reported."""
    opts = _validation(col, a1(row, at)) or {"validate": "any"}
    opts["input_title"] = _clip(f"Agreed {col.header}", 32)
    opts["input_message"] = _clip(
        f"The {col.header} all partners agree for {r.item}. Reported: {r.values}.", 255
    )
    return opts


class _Formats:
    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self._by_col: dict[tuple[Any, ...], Any] = {}
        base = {"valign": "top", "font_size": 10}
        self.title = wb.add_format(
            {"bold": True, "font_size": 16, "font_color": "#FFFFFF", "bg_color": NAVY,
             "valign": "vcenter", "indent": 1}
        )  # fmt: skip
        self.subtitle = wb.add_format(
            {"font_size": 9, "font_color": "#FFFFFF", "bg_color": SLATE, "valign": "vcenter",
             "indent": 1}
        )  # fmt: skip
        self.steps = wb.add_format({**base, "text_wrap": True, "italic": True,
                                    "font_color": SLATE})  # fmt: skip
        self.header = wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": BLUE, "text_wrap": True,
             "valign": "vcenter"}
        )  # fmt: skip
        self.locked = wb.add_format({**base, "text_wrap": True, "locked": True})
        self.agreed = wb.add_format({**base, "locked": False, "bg_color": _INPUT, "border": 1,
                                     "border_color": "#BFBFBF"})  # fmt: skip
        self.reason = wb.add_format({**base, "locked": False, "bg_color": _INPUT, "border": 1,
                                     "border_color": "#BFBFBF", "text_wrap": True})  # fmt: skip
        self.section = wb.add_format(
            {"bold": True, "font_size": 11, "font_color": NAVY, "bottom": 2,
             "bottom_color": NAVY, "valign": "bottom"}
        )  # fmt: skip
        self.label = wb.add_format({**base, "bold": True, "align": "right", "valign": "vcenter",
                                    "bg_color": GREY})  # fmt: skip
        self.input_text = wb.add_format(
            {"locked": False, "bg_color": _INPUT, "border": 1, "border_color": "#BFBFBF",
             "valign": "vcenter", "num_format": "@"}
        )  # fmt: skip
        self.input_date = wb.add_format(
            {"locked": False, "bg_color": _INPUT, "border": 1, "border_color": "#BFBFBF",
             "valign": "vcenter", "num_format": "yyyy-mm-dd", "align": "left"}
        )  # fmt: skip
        self.help = wb.add_format({"italic": True, "font_size": 9, "font_color": "#595959",
                                   "valign": "vcenter", "text_wrap": True})  # fmt: skip

    def number(self, col: Column | None) -> Any:
        key = ("number", col.type if col else None)
        if key not in self._by_col:
            props: dict[str, Any] = {"valign": "top", "locked": True, "align": "right"}
            if col is not None and col.type in _NUMBER_FORMATS and col.type is not ColType.TEXT:
                props["num_format"] = _NUMBER_FORMATS[col.type]
            self._by_col[key] = self.wb.add_format(props)
        return self._by_col[key]

    def agreed_for(self, col: Column | None) -> Any:
        key = ("agreed", col.type if col else None)
        if key not in self._by_col:
            props: dict[str, Any] = {"valign": "top", "locked": False, "bg_color": _INPUT,
                                     "border": 1, "border_color": "#BFBFBF"}  # fmt: skip
            if col is not None and col.type in _NUMBER_FORMATS:
                props["num_format"] = _NUMBER_FORMATS[col.type]
            self._by_col[key] = self.wb.add_format(props)
        return self._by_col[key]


# --------------------------------------------------------------------------- reading


@dataclass
class SignoffAgreement:
    """One agreed value a partner typed, with the discrepancy it settles."""

    ref: DiscrepancyRef
    value: Any
    reason: str
    row: int
    """Zero-based row in the Sign-off sheet (for findings)."""


@dataclass
class SignoffReturn:
    """A returned sign-off workbook as read: who, which month, what was agreed, approved."""

    path: str
    sha256: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    refs: dict[str, DiscrepancyRef] = field(default_factory=dict)
    agreements: list[SignoffAgreement] = field(default_factory=list)
    approved: bool | None = None
    approved_by: str | None = None
    approved_on: dt.date | None = None
    findings: list[Finding] = field(default_factory=list)
    status: str = ""
    """After recording: ``recorded``, ``already recorded`` or ``not recorded``."""

    @property
    def relationship_id(self) -> str:
        return self.meta.get("relationship_id", "")

    @property
    def partner(self) -> str:
        return self.meta.get("partner", "")

    @property
    def period(self) -> str:
        return self.meta.get("period", "")

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def fatal(self) -> bool:
        return any(getattr(f, "fatal", False) for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "relationship_id": self.relationship_id,
            "partner": self.partner,
            "period": self.period,
            "status": self.status,
            "agreed": [
                {
                    "ref": a.ref.ref,
                    "sheet": SCHEMA[a.ref.sheet].name,
                    "item": a.ref.item,
                    "column": _header(a.ref),
                    "value": value_text(a.value),
                    "reason": a.reason,
                }
                for a in self.agreements
            ],
            "approved": self.approved,
            "approved_by": self.approved_by,
            "approved_on": self.approved_on.isoformat() if self.approved_on else None,
            "problems": [f.to_dict() for f in self.findings],
        }


def _grid(book: Any, name: str) -> list[list[Any]]:
    grid: list[list[Any]] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return grid


def _cell(grid: list[list[Any]], r: int, c: int) -> Any:
    if r < len(grid) and c < len(grid[r]):
        v = grid[r][c]
        return None if v is None or (isinstance(v, str) and not v.strip()) else v
    return None


def read_signoff(path: str | os.PathLike[str], *, today: dt.date | None = None) -> SignoffReturn:
    """Read a returned sign-off workbook (python-calamine) and check every cell it can
    without the ledger: Refs, agreed values by the column they settle, reasons, approval.

    Never raises on the file's content: an unreadable file or one that is not a sign-off
    workbook gives a ``fatal`` finding.
    """
    from rmp_workbook.read import WorkbookOpenError, file_identity, open_workbook

    p = Path(path)
    out = SignoffReturn(str(p))
    try:
        out.sha256, _ = file_identity(p)
        book = open_workbook(p)
    except WorkbookOpenError as exc:
        if exc.finding is not None:
            exc.finding.file = str(p)
            out.findings.append(exc.finding)
        else:
            out.findings.append(NotASignoff(file=str(p), note=str(exc)))
        return out
    except OSError as exc:
        out.findings.append(NotASignoff(file=str(p), note=exc.strerror or str(exc)))
        return out
    try:
        names = {n.casefold(): n for n in book.sheet_names}
        if META_SHEET.casefold() not in names or SIGNOFF_SHEET.casefold() not in names:
            out.findings.append(
                NotASignoff(
                    file=str(p),
                    note="it has no Sign-off sheet made by rmp signoff template "
                    "(a partner's monthly workbook goes to rmp merge)",
                )
            )
            return out
        meta = _grid(book, names[META_SHEET.casefold()])
        grid = _grid(book, names[SIGNOFF_SHEET.casefold()])
    except Exception as exc:  # calamine's own errors on a damaged sheet
        out.findings.append(NotASignoff(file=str(p), note=f"a sheet cannot be read ({exc})"))
        return out
    finally:
        book.close()
    for r in range(len(meta)):
        key = to_text(_cell(meta, r, 0)) or ""
        if key == "ref":
            ref, text = to_text(_cell(meta, r, 1)), to_text(_cell(meta, r, 2))
            if ref and text:
                try:
                    out.refs[ref] = DiscrepancyRef.from_json(ref, text)
                except (ValueError, KeyError, TypeError):
                    continue  # a damaged entry: its row is then an unknown Ref
        elif key in _META_KEYS:
            out.meta[key] = to_text(_cell(meta, r, 1)) or ""
    if out.meta.get("kind") != KIND:
        out.findings.append(
            NotASignoff(file=str(p), note="its hidden identity sheet is not rmp's sign-off one")
        )
        return out
    _read_table(out, grid)
    _read_approval(out, grid, today or dt.date.today())
    return out


def _read_table(out: SignoffReturn, grid: list[list[Any]]) -> None:
    header_row = next(
        (r for r in range(len(grid)) if norm_text(_cell(grid, r, 0) or "") == norm_text(REF)),
        None,
    )
    if header_row is None:
        return  # no discrepancies to settle: the approval alone
    cols = {norm_text(str(v)): j for j, v in enumerate(grid[header_row]) if to_text(v)}
    agreed_at, reason_at = cols.get(norm_text(AGREED)), cols.get(norm_text(REASON))
    if agreed_at is None or reason_at is None:
        out.findings.append(
            NotASignoff(file=out.path, note=f"the {AGREED} or {REASON} column is missing")
        )
        return
    seen: dict[str, int] = {}
    for r in range(header_row + 1, len(grid)):
        ref_value = _cell(grid, r, 0)
        if ref_value is None:
            break
        ref = to_text(ref_value) or ""
        agreed, reason = _cell(grid, r, agreed_at), to_text(_cell(grid, r, reason_at)) or ""
        if ref in seen:
            note = f"first in row {seen[ref] + 1}"
            out.findings.append(
                SignoffDuplicate(out.path, SIGNOFF_SHEET, r, 0, REF, ref, note=note)
            )
            continue
        seen[ref] = r
        d = out.refs.get(ref)
        if d is None:
            note = (
                "this workbook lists no such discrepancy; make a new sign-off workbook "
                "with rmp signoff template"
            )
            out.findings.append(
                SignoffUnknownDiscrepancy(out.path, SIGNOFF_SHEET, r, 0, REF, ref, note=note)
            )
            continue
        if agreed is None:
            continue  # the reconciled value stands
        col = _column(d.sheet, d.column)
        typed, problem, hint = _typed(col, agreed)
        if problem:
            column = f"{AGREED} ({d.item}, {_header(d)})"
            out.findings.append(
                SignoffAgreedValue(
                    out.path, SIGNOFF_SHEET, r, agreed_at, column, agreed, note=problem, hint=hint
                )
            )
            continue
        if not reason:
            out.findings.append(
                SignoffReasonMissing(out.path, SIGNOFF_SHEET, r, reason_at, REASON, typed)
            )
            continue
        out.agreements.append(SignoffAgreement(d, typed, reason, r))


def _typed(col: Column | None, value: Any) -> tuple[Any, str, str]:
    """The agreed value typed as its column's values are, or what it is not and a hint."""
    if col is None:
        return to_text(value), "", ""
    try:
        typed, _notes = type_cell(col, value)
    except PydanticCustomError as exc:
        return None, exc.message(), str((exc.context or {}).get("hint", ""))
    if typed is None:
        return None, "a value", ""
    if isinstance(typed, (int, float)):
        lo, hi = col.minimum, col.maximum
        if col.type is ColType.PERCENT:
            lo, hi = (0.0 if lo is None else lo), (1.0 if hi is None else hi)
        if (lo is not None and typed < lo) or (hi is not None and typed > hi):
            shown = f"from {format_value(lo)}" if lo is not None else ""
            shown += f" to {format_value(hi)}" if hi is not None else ""
            return None, f"in range ({shown.strip()})", ""
    return typed, "", ""


def _read_approval(out: SignoffReturn, grid: list[list[Any]], today: dt.date) -> None:
    found: dict[str, tuple[int, Any]] = {}
    wanted = {norm_text(x): x for x in (APPROVED_BY, APPROVAL_DATE, APPROVE)}
    for r in range(len(grid)):
        label = _cell(grid, r, 2)
        if label is not None and norm_text(str(label)) in wanted:
            found.setdefault(wanted[norm_text(str(label))], (r, _cell(grid, r, 3)))
    if len(found) < 3:
        out.findings.append(
            NotASignoff(file=out.path, note="its approval block (name, date, Yes/No) is missing")
        )
        return

    def finding(label: str, note: str) -> None:
        r, value = found[label]
        out.findings.append(SignoffApproval(out.path, SIGNOFF_SHEET, r, 3, label, value, note=note))

    name = to_text(found[APPROVED_BY][1])
    out.approved_by = name
    try:
        answer = to_choice(found[APPROVE][1], YES_NO)
    except PydanticCustomError:
        finding(APPROVE, "pick Yes or No")
        answer = None
    try:
        day = to_date(found[APPROVAL_DATE][1])
    except PydanticCustomError:
        finding(APPROVAL_DATE, f"{found[APPROVAL_DATE][1]!r} is not a date; type e.g. {today}")
        day = None
        answer = answer if answer != "Yes" else None
    out.approved_on = day
    if day is not None and day > today:
        finding(APPROVAL_DATE, f"{day} is in the future; type the day of approval")
    if answer == "Yes":
        if not name:
            finding(APPROVED_BY, "the month is approved (Yes) but nobody is named; type your name")
        if day is None and found[APPROVAL_DATE][1] is None:
            finding(APPROVAL_DATE, "the month is approved (Yes) without a date; type the date")
    out.approved = None if answer is None else answer == "Yes"


# --------------------------------------------------------------------------- applying


@dataclass
class _Outcome:
    agreed: bool
    value: Any = None
    text: str = ""
    """The rule text: who agreed when, or why the agreement does not apply."""
    by: list[str] = field(default_factory=list)
    day: dt.date | None = None


def _settle(group: Sequence[StoredAgreement], involved: Sequence[str], figures: Mapping[str, str]
            ) -> _Outcome:  # fmt: skip
    """Whether these partners' agreed values settle a discrepancy whose partners and
    current figures are given."""
    if figures and any(figures.get(p) != g.figures.get(p) for g in group for p in g.figures):
        signed = "; ".join(f"{p}: {v}" for p, v in group[0].figures.items())
        return _Outcome(False, text=f"agreed on earlier figures ({signed}); the figures changed "
                        "since, so sign off again")  # fmt: skip
    by_partner = {g.partner: g for g in group}
    first = group[0].value
    if any(not _same(first, g.value) for g in group[1:]):
        said = "; ".join(f"{g.partner}: {format_value(g.value)}" for g in group)
        return _Outcome(False, text=f"agreed values differ ({said}): still a discrepancy")
    waiting = [p for p in involved if p not in by_partner]
    if waiting:
        who = ", ".join(by_partner)
        return _Outcome(False, text=f"agreed value {format_value(first)} from {who}, awaiting "
                        + ", ".join(waiting))  # fmt: skip
    names = [p for p in involved if p in by_partner] + [p for p in by_partner if p not in involved]
    day = max(g.day for g in group)
    return _Outcome(True, first, f"agreed {day.isoformat()} by {', '.join(names)}", names, day)


def _latest_groups(
    agreements: Iterable[StoredAgreement],
) -> dict[tuple[str, tuple[str, str, str]], list[StoredAgreement]]:
    """Agreements by (period, identity); one per partner (its latest workbook's)."""
    out: dict[tuple[str, tuple[str, str, str]], dict[str, StoredAgreement]] = {}
    for a in agreements:
        out.setdefault((a.period, a.identity), {})[a.partner] = a
    return {k: list(v.values()) for k, v in out.items()}


def apply_signoff(
    c: Consolidated,
    agreements: Sequence[StoredAgreement],
    signoffs: Sequence[StoredSignoff],
    *,
    in_use: bool,
) -> None:
    """Put the partners' agreed values in the view of ``c.period`` (in place).

    A discrepancy of the month takes the agreed value when every partner with a figure
    recorded the same value on the figures that still stand: the reconciled row's value
    (and anything calculated from it), the Discrepancies sheet's Reconciled and Rule
    (``agreed 2026-12-03 by A, B``), and the KPI or SLA history the trends read. A
    register item (a risk, a contact…) keeps an earlier month's agreement while its
    figures stay as they were; a KPI or SLA figure is agreed for its own month only, and
    earlier months' agreed figures replace the partners' figures in the history.
    Differing agreed values leave the discrepancy open and say so. Gaps are found again.
    Agreed values that do not count (recorded after the month's close, their restatement
    not accepted) change nothing; the Dashboard line says what became of them.
    ``in_use``: the relationship has recorded a sign-off (any month), so the Dashboard
    says who has approved this one.
    """
    expected = list(c.expected_partners or c.partners)
    state = SignoffState(expected=expected)
    seen: set[int] = set()
    for s in signoffs:
        if s.period != c.period:
            continue
        if s.approved:
            state.approved[s.partner] = s.day
        elif s.approved is False:
            state.refused.append(s.partner)
        if s.restatement is not None and s.restatement.id not in seen:
            seen.add(s.restatement.id)
            state.restatements.append(s.restatement)
        elif s.after_close == "checking" and not s.counts:
            state.unchecked += 1
    state.restatements.sort(key=lambda r: r.id)
    # Agreed values recorded after the close count once they are published (accepted).
    groups = _latest_groups(a for a in agreements if a.period <= c.period and a.counts)
    provenance: dict[str, dict[Any, list[str]]] = {}
    changed = _apply_to_discrepancies(c, groups, state, provenance)
    changed |= _apply_to_history(c, groups)
    state.provenance = {k: {i: "; ".join(v) for i, v in d.items()} for k, d in provenance.items()}
    if in_use:
        c.signoff = state
    if changed:
        c.gaps = find_gaps(c, c.thresholds, c.as_of or period_end(c.period))


def _apply_to_discrepancies(
    c: Consolidated,
    groups: Mapping[tuple[str, tuple[str, str, str]], list[StoredAgreement]],
    state: SignoffState,
    provenance: dict[str, dict[Any, list[str]]],
) -> bool:
    frame = c.discrepancies
    if frame is None or frame.empty or not groups:
        return False
    by_identity: dict[tuple[str, str, str], list[tuple[str, list[StoredAgreement]]]] = {}
    for (period, identity), group in groups.items():
        by_identity.setdefault(identity, []).append((period, group))
    partner_cols = [p for p in frame.columns if p not in DISCREPANCY_COLUMNS]
    changed = False
    for idx, rec in zip(frame.index, frame.to_dict("records"), strict=True):
        found = _sheet_and_column(rec.get("sheet"), rec.get("column"))
        if found is None:
            continue
        sheet, col = found
        identity = (sheet.key, col.key, norm_text(str(rec.get("item") or "")))
        candidates = sorted(by_identity.get(identity, []), key=lambda pg: pg[0], reverse=True)
        if sheet.period:  # a month's figure: only that month's agreement settles it
            candidates = [pg for pg in candidates if pg[0] == c.period]
        if not candidates:
            continue
        figures = {
            str(p): format_value(rec.get(p)) for p in partner_cols if clean(rec.get(p)) is not None
        }
        involved = list(figures) or list(state.expected)
        period, group = candidates[0]
        outcome = _settle(group, involved, figures)
        if not outcome.agreed and period != c.period:
            continue  # an earlier month's agreement on other figures: this month's own matter
        rule = str(rec.get("rule") or "")
        if not outcome.agreed:
            if outcome.text.startswith("agreed values differ"):
                state.disputed += 1
            frame.at[idx, "rule"] = f"{rule}; {outcome.text}" if rule else outcome.text
            continue
        state.agreed += 1
        said = {g.partner: g.reason for g in group}
        reasons = "; ".join(dict.fromkeys(said[p] for p in outcome.by if said.get(p)))
        text = outcome.text[:1].upper() + outcome.text[1:]
        frame.at[idx, "reconciled"] = outcome.value
        frame.at[idx, "rule"] = _clip(f"{text}: {reasons}" if reasons else text, 250)
        if _set_in_table(c, sheet, col, group[0], str(rec.get("item") or ""), outcome.value,
                         provenance, f"{col.header} {outcome.text}"):  # fmt: skip
            changed = True
    return changed


def _matches(sheet: Sheet, row: Mapping[str, Any], keys: Mapping[str, str], item: str) -> bool:
    if keys and all(k in keys for k in sheet.keys):
        return all(_key_text(row.get(k)) == norm_key(keys[k]) for k in sheet.keys)
    return norm_text(item_label(sheet, row)) == norm_text(item)


def _set_in_table(
    c: Consolidated,
    sheet: Sheet,
    col: Column,
    a: StoredAgreement,
    item: str,
    value: Any,
    provenance: dict[str, dict[Any, list[str]]],
    text: str,
) -> bool:
    frame = c.tables.get(sheet.key)
    if frame is None or frame.empty:
        return False
    hit = False
    for idx, row in zip(frame.index, frame.to_dict("records"), strict=True):
        if not _matches(sheet, row, a.keys, item):
            continue
        row[col.key] = value
        compute_row(sheet, row)  # a risk's score follows an agreed likelihood
        for k in frame.columns:
            if k in row and not _same_cell(frame.at[idx, k], row[k]):
                frame.at[idx, k] = row[k]
        provenance.setdefault(sheet.key, {}).setdefault(idx, []).append(text)
        hit = True
    return hit


def _same_cell(a: Any, b: Any) -> bool:
    a, b = clean(a), clean(b)
    return a is b or (a is not None and b is not None and type(a) is type(b) and a == b)


_HISTORY = {"kpis": "kpi_history", "sla": "sla_history"}


def _apply_to_history(
    c: Consolidated, groups: Mapping[tuple[str, tuple[str, str, str]], list[StoredAgreement]]
) -> bool:
    """Agreed KPI and SLA actuals of every month up to the view's, in the history the
    trends read: each partner's figure for that month becomes the agreed one."""
    changed = False
    for (period, (sheet_key, column, _item)), group in groups.items():
        attr = _HISTORY.get(sheet_key)
        if attr is None or column != "actual":
            continue
        hist: pd.DataFrame | None = getattr(c, attr)
        if hist is None or hist.empty:
            continue
        sheet = SCHEMA[sheet_key]
        ids = [k for k in sheet.keys if k != sheet.period]
        keys = group[0].keys
        if not all(k in keys for k in ids):
            continue
        mask = hist["period"].astype(str) == period
        for k in ids:
            mask &= hist[k].map(_key_text) == norm_key(keys[k])
        if not mask.any():
            continue
        figures = {
            str(p): format_value(v)
            for p, v in zip(hist.loc[mask, "partner"], hist.loc[mask, "actual"], strict=True)
            if clean(v) is not None
        }
        involved = list(group[0].figures) or list(figures)
        outcome = _settle(group, involved, figures)
        if not outcome.agreed:
            continue
        hist.loc[mask, "actual"] = outcome.value
        changed = True
    return changed


# --------------------------------------------------------------------------- outputs


def signoff_line(c: Consolidated) -> str | None:
    """The Dashboard's sign-off line: "Agreed by all partners on 2026-12-03", or who is
    awaited; None while the relationship has never recorded a sign-off.

    When sign-offs recorded after the month's close agreed values that differ from the
    published figures, the line says so first and never reads "Agreed" while the
    restatement awaits a decision or after it was rejected.
    """
    s = c.signoff
    if s is None:
        return None
    extra = ""
    if s.disputed:
        n = s.disputed
        extra = f"  ·  {n} agreed value{'s' if n > 1 else ''} still differ{'' if n > 1 else 's'}"
        extra += " (see Discrepancies)"
    pending = [r for r in s.restatements if r.status == "proposed"]
    last = s.restatements[-1] if s.restatements else None
    approvals = _approvals(s)
    # Beside a restatement not published, the approvals are not "Agreed": say "approved".
    approved = _approvals(s, "approved by all partners on")
    approved = approved[:1].lower() + approved[1:]
    if pending:
        r = pending[0]
        more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
        head = (
            f"Agreement differs from the published figures ({_clip(r.changes, 90)}): restatement "
            f"{r.id}{more} proposed, not published"
        )
    elif last is not None and last.status == "rejected":
        head = (
            "Published figures stand: the sign-off's differing values were rejected "
            f"(restatement {last.id}: {_clip(last.changes, 90)})"
        )
    elif s.unchecked:
        head = (
            "Sign-off recorded after the close, not yet compared with the published figures: "
            "run rmp signoff record again"
        )
    else:
        if last is not None and not s.awaiting and s.approved:
            approvals += f" (restatement {last.id} accepted: republished)"
        return approvals + extra
    return "  ·  ".join(p for p in (head, approved) if p) + extra


def _approvals(s: SignoffState, all_approved: str = "Agreed by all partners on") -> str:
    """ "Agreed by all partners on 2026-12-03", or who has not approved yet."""
    if not s.awaiting and s.approved:
        day = max(s.approved.values())
        return f"{all_approved} {day.isoformat()}"
    parts = []
    refused = [p for p in s.expected if p in s.refused]
    if refused:
        parts.append("Not approved by " + ", ".join(refused))
    waiting = [p for p in s.awaiting if p not in refused]
    if waiting:
        parts.append("Awaiting sign-off: " + ", ".join(waiting))
    return "; ".join(parts)


def source_texts(c: Consolidated, sheet_key: str, index: Sequence[Any], sources: list[Any]
                 ) -> list[Any]:  # fmt: skip
    """A reconciled sheet's Source column with the provenance of agreed values:
    ``Northwind Ltd; Actual agreed 2026-12-03 by Northwind Ltd, Contoso plc``."""
    s = c.signoff
    marks = getattr(s, "provenance", {}).get(sheet_key) if s is not None else None
    if not marks:
        return sources
    out = list(sources)
    for i, idx in enumerate(index):
        mark = marks.get(idx)
        if mark:
            out[i] = f"{out[i]}; {mark}" if clean(out[i]) is not None else mark
    return out


SIGNOFF_AUDIT_COLUMNS = (
    "Month",
    "Partner",
    "Approved",
    "Approved by",
    "On",
    "Agreed values",
    "After the close",
)
"""The audit pack's Sign-offs table (:func:`signoff_audit_frame`)."""


def signoff_audit_frame(
    expected: Mapping[str, Sequence[str]],
    signoffs: Sequence[StoredSignoff],
    agreements: Sequence[StoredAgreement],
) -> pd.DataFrame:
    """Per month (``expected``: month -> its partners) and partner: approved or not, by
    whom, on which day, and the values it agreed (``K01 On-time delivery, Actual: 90 —
    recount``). A partner with no sign-off for a month reads "Awaiting". A sign-off
    recorded after its month was closed says what became of its agreed values (After the
    close): equal to the published figures, or the restatement they proposed and its
    outcome."""
    latest = {(s.period, s.partner): s for s in signoffs}
    agreed: dict[tuple[str, str], list[str]] = {}
    for a in agreements:
        col = _column(a.sheet, a.column)
        what = f"{a.item}, {col.header if col else a.column}: {format_value(a.value)}"
        agreed.setdefault((a.period, a.partner), []).append(
            f"{what} ({a.reason})" if a.reason else what
        )
    rows = []
    for period in sorted(expected):
        names = list(dict.fromkeys([*expected[period], *(p for m, p in latest if m == period)]))
        for partner in names:
            s = latest.get((period, partner))
            answer = (
                "Awaiting" if s is None or s.approved is None else "Yes" if s.approved else "No"
            )
            rows.append(
                (
                    period,
                    partner,
                    answer,
                    s.approved_by if s else None,
                    s.approved_on if s else None,
                    "; ".join(agreed.get((period, partner), [])) or None,
                    _after_close(s),
                )
            )
    return pd.DataFrame(rows, columns=list(SIGNOFF_AUDIT_COLUMNS), dtype=object)


def _after_close(s: StoredSignoff | None) -> str | None:
    """What became of a sign-off recorded after its month's close (None: before it)."""
    if s is None or s.after_close is None:
        return None
    if s.restatement is not None:
        return s.restatement.text()
    if s.after_close == "equal":
        return "Recorded after the close: its agreed values equal the published figures"
    return "Recorded after the close: not yet compared with the published figures"
