"""Test helpers: write a template, fill it through openpyxl as a person would.

``make_template`` writes the real template (``rmp_workbook.template.write_template``);
``fill`` then types values into cells by header as a person would, finds a FIXED
sheet's row by its item, and can append rows below the Excel table. ``fill_good`` and
``fill_bad`` give a correct workbook and one with a bad cell of each kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from rmp_workbook.schema import SHEETS, SheetKind
from rmp_workbook.template import write_template
from rmp_workbook.values import norm

RELATIONSHIP_ID = "NW-CT-2026"
RELATIONSHIP_NAME = "Northwind–Contoso"
PARTNER = "Northwind Ltd"
PERIOD = "2026-11"

Rows = Sequence[Mapping[str, Any]]


def make_template(
    path: Path,
    *,
    relationship_id: str = RELATIONSHIP_ID,
    relationship_name: str = RELATIONSHIP_NAME,
    partner: str = PARTNER,
    period: str = PERIOD,
) -> Path:
    """A blank workbook for one partner and period, written by ``rmp template``'s writer."""
    return write_template(
        path,
        relationship_id=relationship_id,
        relationship_name=relationship_name,
        partner=partner,
        period=period,
        generated_at=dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC),
    )


def _header_cols(ws: Any) -> dict[str, int]:
    """Normalised header -> 1-based column of a table sheet (header in row 1)."""
    return {norm(str(c.value)): c.column for c in ws[1] if c.value is not None}


def _table_end(ws: Any) -> int:
    """The last row (1-based) of the sheet's Excel table, or of its used range."""
    for table in ws.tables.values():
        return openpyxl.utils.cell.range_boundaries(table.ref)[3]
    return ws.max_row


def fill(
    template: Path,
    out: Path,
    *,
    form: Mapping[str, Any] | None = None,
    rows: Mapping[str, Rows] | None = None,
    appended: Mapping[str, Rows] | None = None,
    remove_sheets: Sequence[str] = (),
) -> Path:
    """Type values into a copy of ``template`` as a person would, by header, and save ``out``.

    ``form``: Relationship label -> value. ``rows``: sheet name -> rows (header -> value)
    typed into the table from its first data row (FIXED sheets: into the row of the item in
    the first column). ``appended``: rows typed below the Excel table.
    """
    wb = openpyxl.load_workbook(template)
    if form:
        ws = wb["Relationship"]
        labels = {norm(str(ws.cell(r, 1).value)): r for r in range(1, ws.max_row + 1)}
        for label, value in form.items():
            ws.cell(labels[norm(label)], 2).value = value
    for name, sheet_rows in (rows or {}).items():
        ws = wb[name]
        cols = _header_cols(ws)
        sheet = next(s for s in SHEETS if s.name == name)
        next_row = 2
        for values in sheet_rows:
            if sheet.kind is SheetKind.FIXED:
                first = sheet.columns[0].header
                target = next(
                    r
                    for r in range(2, ws.max_row + 1)
                    if str(ws.cell(r, 1).value) == str(values[first])
                )
            else:
                target = next_row
                next_row += 1
            for header, value in values.items():
                ws.cell(target, cols[norm(header)]).value = value
    for name, sheet_rows in (appended or {}).items():
        ws = wb[name]
        cols = _header_cols(ws)
        row = max(_table_end(ws), ws.max_row) + 2  # one blank row, then the person's rows
        for values in sheet_rows:
            for header, value in values.items():
                ws.cell(row, cols[norm(header)]).value = value
            row += 1
    for name in remove_sheets:
        del wb[name]
    wb.save(out)
    return out


GOOD_FORM = {"Prepared by": "Aisha Khan", "Prepared on": dt.datetime(2026, 11, 28)}

GOOD_ROWS: dict[str, list[dict[str, Any]]] = {
    "Stages": [
        {"Stage": "Awareness", "Status": "Complete", "Progress %": 1, "Owner": "A. Khan"},
        {"Stage": "Knowledge", "Status": "in  progress", "Progress %": "91 %"},
        {"Stage": "Working together", "Status": "In progress", "Progress %": 0.6,
         "Target date": dt.datetime(2027, 3, 31)},
    ],
    "Contacts": [
        {"Name": "Aisha Khan", "Organisation": "Northwind Ltd", "Role": "Relationship manager",
         "Email": "aisha.khan@northwind.example", "Phone": "+44 20 7946 0000",
         "Escalation level": 1},
    ],
    "KPIs": [
        {"KPI ID": "K01", "KPI": "On-time delivery", "Unit": "%", "Direction": "Higher is better",
         "Target": 95, "Amber threshold": 90, "Period": "2026-11", "Actual": 91.5,
         "Owner": "Northwind Ltd"},
        {"KPI ID": "K02", "KPI": "Invoices paid", "Unit": "count", "Direction": "Higher is better",
         "Target": 1200, "Period": "2026-10", "Actual": "1,250.00"},
    ],
    "SLA": [
        {"Service": "Help desk", "Measure": "First response (hours)", "Target": 4,
         "Direction": "At most", "Period": "2026-11", "Actual": 3.5, "Owner": "Northwind Ltd"},
    ],
    "Risks": [
        {"Risk ID": "R01", "Risk": "Key engineer leaves", "Category": "People", "Likelihood": 3,
         "Impact": 4, "Owner": "Northwind Ltd", "Status": "Open",
         "Raised on": dt.datetime(2026, 9, 1)},
        {"Risk ID": "R02", "Risk": "Currency swings", "Likelihood": 2, "Impact": 3,
         "Status": "Mitigating"},
    ],
    "Bottlenecks": [
        {"Bottleneck ID": "B01", "Problem": "Slow approvals", "Raised on": dt.datetime(2026, 10, 2),
         "Impact": "High", "Status": "Open"},
    ],
    "Successes": [
        {"Date": dt.datetime(2026, 11, 12), "Success": "First joint bid won",
         "Value created": "£120k"},
    ],
    "Testimonials": [
        {"Date": dt.datetime(2026, 11, 20), "From": "J. Doe", "Testimonial": "A pleasure.",
         "May be shared": "Yes"},
    ],
    "Health check": [
        {"Behaviour": "Trust", "Score": 4, "Comment": "Open books"},
        {"Behaviour": "Openness", "Score": 3},
    ],
    "Actions": [
        {"Action ID": "A01", "Area": "Risk planning", "Action": "Review the risk register",
         "Owner": "A. Khan", "Due": dt.datetime(2026, 12, 15), "Status": "Open"},
    ],
    "Development needs": [
        {"Need ID": "D01", "Need": "Joint planning tool training", "Partner": "Northwind Ltd",
         "People affected": "12 planners", "Action": "Two remote sessions", "Owner": "A. Khan",
         "Due": dt.datetime(2026, 12, 15), "Status": "Planned"},
    ],
    "Information sharing": [
        {"Flow ID": "I01", "Information": "Weekly demand forecast", "From": "Contoso plc",
         "To": "Northwind Ltd", "How": "Shared system", "How often": "Weekly",
         "Confidentiality": "Confidential", "Owner": "Contoso plc"},
        {"Flow ID": "I02", "Information": "Stock levels", "From": "Northwind Ltd",
         "How": "api / edi", "How often": "daily", "Confidentiality": "Internal"},
    ],
    "Communications plan": [
        {"Comm ID": "C01", "Audience": "Joint board", "Message": "Monthly review",
         "Channel": "Meeting", "Frequency": "Monthly", "Owner": "A. Khan",
         "Last done": dt.datetime(2026, 11, 12), "Next due": "10/12/2026"},
    ],
    "Value creation": [
        {"Initiative ID": "V01", "Initiative": "Shared cross-dock", "Goal": "Cut transport cost",
         "Estimated value": 120000, "Realised value": "45000", "Unit": "GBP",
         "How shared": "50/50 gain share", "Target date": dt.datetime(2027, 6, 30),
         "Owner": "Northwind Ltd", "Status": "In progress"},
    ],
    "Exit and continuity plan": [
        {"Scenario ID": "X01", "Trigger or scenario": "Contract not renewed",
         "Service to keep": "Help desk", "Continuity measure": "Transition to another vendor",
         "Owner": "Northwind Ltd", "Notice period (days)": 90,
         "Last reviewed": dt.datetime(2026, 9, 30), "Status": "Agreed"},
    ],
}  # fmt: skip

GOOD_APPENDED: dict[str, list[dict[str, Any]]] = {
    "Risks": [{"Risk ID": "R03", "Risk": "Supplier insolvency", "Likelihood": 1, "Impact": 5}],
}


def find_row(path: Path, sheet: str, header: str, value: Any) -> int:
    """The 1-based row of ``sheet`` whose ``header`` column holds ``value`` (openpyxl)."""
    ws = openpyxl.load_workbook(path)[sheet]
    col = _header_cols(ws)[norm(header)]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == value)


def fill_good(template: Path, out: Path) -> Path:
    """A correctly filled workbook, one row appended below the Risks table."""
    return fill(template, out, form=GOOD_FORM, rows=GOOD_ROWS, appended=GOOD_APPENDED)


def set_error_cells(path: Path, errors: Mapping[str, Mapping[str, str]]) -> Path:
    """Give formula cells the cached error value Excel saves (``t="e"``), in place.

    openpyxl writes formulas without results; Excel stores ``=1/0`` as
    ``<c r="H3" t="e"><f>1/0</f><v>#DIV/0!</v></c>``. ``errors``: sheet -> cell -> error.
    """
    import re
    import shutil
    import zipfile

    from rmp_workbook.container import check_container

    parts = check_container(path).sheet_parts
    tmp = path.with_suffix(".tmp" + path.suffix)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        patch = {parts[sheet]: cells for sheet, cells in errors.items()}
        for item in src.infolist():
            data = src.read(item.filename)
            for ref, code in patch.get(item.filename, {}).items():
                cell = re.compile(rf'<c r="{ref}"([^>]*?)>(<f>[^<]*</f>)(<v>[^<]*</v>|<v ?/>)?</c>')
                data, n = cell.subn(
                    lambda m, code=code, ref=ref: (
                        f'<c r="{ref}"{m.group(1)} t="e">{m.group(2)}<v>{code}</v></c>'.replace(
                            ' t="str"', ""
                        )
                    ),
                    data.decode(),
                )
                assert n == 1, f"no formula in {ref} of {item.filename}"
                data = data.encode()
            dst.writestr(item, data)
    shutil.move(tmp, path)
    return path


BAD_FORM = {"Partner organisation": "Contoso Ltd", "Reporting period": "2026-10"}

BAD_ROWS: dict[str, list[dict[str, Any]]] = {
    "Risks": [
        {"Risk ID": "R01", "Risk": "Fine", "Likelihood": 2, "Impact": 2},
        {"Risk ID": "R02", "Risk": "Word for a number", "Likelihood": "high", "Impact": 3},
        {"Risk ID": "R03", "Risk": "Impact too big", "Likelihood": 2, "Impact": 7},
        {"Risk ID": "R04", "Risk": "Odd status", "Likelihood": 2, "Impact": 2, "Status": "Pending"},
        {"Risk ID": "R05", "Likelihood": 2, "Impact": 2},
        {"Risk ID": "R01", "Risk": "Same ID again", "Likelihood": 1, "Impact": 1},
    ],
    "KPIs": [
        {"KPI ID": "K01", "Unit": "%", "Target": 95, "Period": "2026-11", "Actual": 0.91},
        {"KPI ID": "K02", "Period": "2027-01", "Actual": 5},
        {"KPI ID": "K03", "Period": "2026-11", "Actual": "=1/0"},
        {"KPI ID": "K04", "Period": "Nov 2026", "Actual": "about 5"},
    ],
    "Contacts": [
        {"Name": "Aisha Khan", "Email": "aisha at northwind", "Escalation level": 2.5},
    ],
    "Health check": [{"Behaviour": "Trust", "Score": 6}],
    "Stages": [{"Stage": "Awareness", "Progress %": 60}],
    "Testimonials": [
        {"Date": "05/11/2026", "From": "J. Doe", "Testimonial": "Good", "May be shared": "maybe"}
    ],
}

BAD_APPENDED: dict[str, list[dict[str, Any]]] = {
    "Risks": [{"Risk ID": "R06", "Risk": "Bad date", "Likelihood": 1, "Impact": 1,
               "Raised on": "31/02/2026"}],
}  # fmt: skip


def fill_bad(template: Path, out: Path) -> Path:
    """A workbook with one bad cell of each kind (see BAD_ROWS), as Excel would save it."""
    fill(template, out, form=BAD_FORM, rows=BAD_ROWS, appended=BAD_APPENDED)
    return set_error_cells(out, {"KPIs": {"H4": "#DIV/0!"}})
