"""Data sheets of the consolidated workbook: the reconciled schema sheets, gaps,
discrepancies, submissions, data quality and restatements, each an Excel table.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from rmp_workbook import summary, textfit
from rmp_workbook.cells import a1
from rmp_workbook.dashboard.cells import (
    NUMBER_FORMATS,
    RAG_FILLS,
    SLATE,
    _frame_columns,
    _unique_headers,
    _write_cells,
    write_value,
)
from rmp_workbook.dashboard.state import WriterState
from rmp_workbook.formulas import compute, excel, inputs
from rmp_workbook.schema import SCHEMA, ColType, Column, Sheet
from rmp_workbook.signoff import source_texts
from rmp_workbook.values import is_missing
from rmp_workbook.wording import link_text, plural


class Tables(WriterState):
    """Writes Excel tables and the data sheets."""

    def _table(
        self,
        ws: Worksheet,
        first_row: int,
        name: str,
        headers: Sequence[str],
        columns: Sequence[Sequence[Any]],
        formats: Sequence[Format],
        widths: Sequence[float] | None = None,
        first_col: int = 0,
        formulas: dict[int, tuple[str, dict[str, int]]] | None = None,
    ) -> int:
        """Write an Excel table of ``columns`` (one list per header) with its own cell
        formats; returns the last row used."""
        f = self.f
        date_fmt = f.cell(num_format="yyyy-mm-dd")
        datetime_fmt = f.cell(num_format="yyyy-mm-dd hh:mm")
        nrows = len(columns[0]) if columns else 0
        if formulas:
            self._formula_cells(
                ws, first_row + 1, first_col, columns, formats, formulas, date_fmt, datetime_fmt
            )
        else:
            _write_cells(ws, first_row + 1, first_col, columns, formats, date_fmt, datetime_fmt)
        if widths:
            widths = self._fit_rows(ws, first_row + 1, columns, formats, widths)
        last_row = first_row + max(nrows, 1)
        table_name = self._unique_table_name(name)
        ws.add_table(
            first_row,
            first_col,
            last_row,
            first_col + len(headers) - 1,
            {
                "name": table_name,
                "style": "Table Style Light 1",
                "banded_rows": False,
                "autofilter": True,
                "columns": [
                    {"header": h, "header_format": f.header()} for h in _unique_headers(headers)
                ],
            },
        )
        # Two lines at least, so headers line up; more when a narrow column wraps its header.
        header_height = 30.0
        if widths:
            header_height = max(
                header_height,
                *(
                    textfit.height_for(h, textfit.column_points(w) - textfit.PADDING, bold=True)
                    for h, w in zip(headers, widths, strict=False)
                ),
            )
        ws.set_row(first_row, header_height)
        if widths:
            for i, w in enumerate(widths):
                ws.set_column(first_col + i, first_col + i, w)
        return last_row

    @staticmethod
    def _formula_cells(
        ws: Worksheet,
        first_row: int,
        first_col: int,
        columns: Sequence[Sequence[Any]],
        formats: Sequence[Format],
        formulas: dict[int, tuple[str, dict[str, int]]],
        date_fmt: Format,
        datetime_fmt: Format,
    ) -> None:
        """Write a block whose formula columns hold live formulas with cached results."""
        for r, row in enumerate(zip(*columns, strict=True), start=first_row):
            for i, value in enumerate(row):
                col = first_col + i
                if i in formulas and not is_missing(value):
                    expr, refs = formulas[i]
                    cell_refs = {k: a1(r, first_col + j) for k, j in refs.items()}
                    # Written only where reconciliation gave a value: the inputs are there.
                    ws.write_formula(
                        r, col, excel(expr, cell_refs, guarded=False), formats[i], value
                    )
                else:
                    is_dt = isinstance(value, dt.datetime)
                    write_value(ws, r, col, value, formats[i], datetime_fmt if is_dt else date_fmt)

    @staticmethod
    def _fit_rows(
        ws: Worksheet,
        first_row: int,
        columns: Sequence[Sequence[Any]],
        formats: Sequence[Format],
        widths: Sequence[float],
    ) -> list[float]:
        """Give rows with wrapped text the height they need, measured in the font; widen a
        wrapped column (up to ``MAX_WIDTH``) to its longest word, so no word breaks in two.
        Returns the widths.

        Excel fits such rows when it opens the file, LibreOffice does not: an
        explicit height keeps long text readable in both.
        """
        widths = list(widths)
        heights: dict[int, float] = {}
        for i, fmt in enumerate(formats):
            if not fmt.text_wrap or i >= len(widths) or i >= len(columns):
                continue
            size = float(fmt.font_size or 10)
            bold = bool(fmt.bold)
            # Text of at most this many characters fits on one line whatever its letters
            # (the widest, @ and W, are about the font size wide): only longer is measured.
            sure = textfit.column_points(widths[i]) - textfit.PADDING
            fits = int(sure / (size * 1.02))
            longer = [
                (r, value)
                for r, value in enumerate(columns[i], start=first_row)
                if value.__class__ is str and (len(value) > fits or "\n" in value)
            ]
            # A word of at most `fits` characters fits the column whatever its letters:
            # only values holding a longer one are measured word by word.
            widest = max(
                (
                    textfit.longest_word(v, size, bold=bold)
                    for v in {v for _, v in longer}
                    if max(map(len, v.split()), default=0) > fits
                ),
                default=0.0,
            )
            needed = textfit.column_width(widest + textfit.PADDING)
            if needed > widths[i]:
                widths[i] = min(math.ceil(needed * 2) / 2, MAX_WIDTH)
                sure = textfit.column_points(widths[i]) - textfit.PADDING
                fits = int(sure / (size * 1.02))
            points = textfit.column_points(widths[i])
            # Value -> the row height it needs, 0 for one line: a column repeats its values.
            measured: dict[str, float] = {}
            for r, value in longer:
                if len(value) <= fits and "\n" not in value:
                    continue
                height = measured.get(value)
                if height is None:
                    lines = len(textfit.wrap(value, points, size, bold=bold))
                    height = textfit.row_height(min(lines, 15), size) if lines > 1 else 0.0
                    measured[value] = height
                if height > heights.get(r, 0):
                    heights[r] = height
        for r in sorted(heights):
            ws.set_row(r, heights[r])
        return widths

    def _unique_table_name(self, name: str) -> str:
        candidate, n = name, 2
        while candidate.lower() in self.table_names:
            candidate, n = f"{name}{n}", n + 1
        self.table_names.add(candidate.lower())
        return candidate

    def _column_format(self, col: Column) -> Format:
        if col.type in (ColType.LONG_TEXT, ColType.TEXT, ColType.EMAIL, ColType.CHOICE):
            # Wrapped, with the row as tall as the text: never cut at the column's edge.
            return self.f.cell(text_wrap=True)
        if col.type in NUMBER_FORMATS:
            return self.f.cell(num_format=NUMBER_FORMATS[col.type])
        return self.f.cell()

    def _data_sheet_setup(self, ws: Worksheet, ncols: int, landscape: bool = True) -> None:
        ws.freeze_panes(1, 1)
        ws.hide_gridlines(0)
        if landscape:
            ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.set_footer("&L&8rmp – &A&R&8Page &P of &N")

    def _schema_sheet(self, sheet: Sheet) -> None:
        key = sheet.key
        ws = self.data_ws[key]
        frame = self.c.tables.get(key)
        held_back = 0
        if key == "testimonials" and frame is not None:
            # A workbook executives forward holds only testimonials cleared for sharing;
            # the others stay in the ledger.
            shared = summary.shareable(frame)
            held_back = len(frame) - len(shared)
            frame = shared
        cols = list(sheet.columns)
        headers = [c.header for c in cols] + ["Partners", "Source"]
        keys = [c.key for c in cols] + ["partners", "source"]
        columns = _frame_columns(frame, keys)
        if frame is not None:  # an agreed value names who agreed it, and when
            columns[-1] = source_texts(self.c, key, list(frame.index), columns[-1])
        wrap = self.f.cell(text_wrap=True)
        formats = [self._column_format(c) for c in cols] + [wrap, wrap]
        for i, col in enumerate(cols):
            if col.type in (ColType.LONG_TEXT, ColType.TEXT):
                columns[i] = [link_text(v) if v.__class__ is str else v for v in columns[i]]
            elif col.type is ColType.NUMBER:
                formats[i] = self.f.cell(num_format=number_format(columns[i]))
        formulas: dict[int, tuple[str, dict[str, int]]] = {}
        for i, col in enumerate(cols):
            if col.type is ColType.FORMULA and col.formula:
                # The schema's expression over column keys becomes an A1 formula per row;
                # the cached result is the value reconciliation computed.
                at = {c.key: j for j, c in enumerate(cols)}
                refs = {k: at[k] for k in inputs(col)}
                formulas[i] = (col.formula, refs)
                results = columns[i]
                for r, value in enumerate(results):
                    if is_missing(value):
                        results[r] = compute(col, {k: columns[j][r] for k, j in refs.items()})
        widths = [c.width for c in cols] + [26, 18]
        self._table(
            ws,
            0,
            sheet.table_name or re.sub(r"\W", "", sheet.name.title()) + "Table",
            headers,
            columns,
            formats,
            widths,
            formulas=formulas,
        )
        if held_back:
            ws.write_string(
                max(len(columns[0]), 1) + 2,
                0,
                f"{plural(held_back, 'testimonial')} not cleared for sharing "
                f"{'is' if held_back == 1 else 'are'} held back: "
                f"{'it stays' if held_back == 1 else 'they stay'} in the ledger.",
                self.f(italic=True, font_color=SLATE),
            )
        self._data_sheet_setup(ws, len(headers))

    def _gaps_sheet(self) -> None:
        ws = self.gaps_ws
        headers = [
            "Severity",
            "Area",
            "Item",
            "Partners",
            "Value",
            "Target",
            "Since",
            "Next step",
            "Rule",
        ]
        gaps = self.c.gaps
        columns = [
            [g.severity for g in gaps],
            [g.area for g in gaps],
            [g.item for g in gaps],
            [g.partners for g in gaps],
            [g.value for g in gaps],
            [g.target for g in gaps],
            [g.since for g in gaps],
            [g.next_step for g in gaps],
            [g.rule for g in gaps],
        ]
        f = self.f
        wrap = f.cell(text_wrap=True)
        formats = [
            f.cell(bold=True),
            f.cell(),
            wrap,
            wrap,
            f.cell(num_format="General", align="left", text_wrap=True),
            f.cell(num_format="General", align="left", text_wrap=True),
            f.cell(),
            wrap,
            f.cell(font_color=SLATE),
        ]
        # An area is a sheet's name ("Exit and continuity plan"): one line, up to 26 wide.
        area = min(26.0, max(14.0, textfit.width_for([str(g.area) for g in gaps])))
        # Value and Target hold text too ("done by 2026-10-15"): wide enough for a date
        # after a few words, and wrapped.
        last = self._table(
            ws, 0, "GapsTable", headers, columns, formats, [10, area, 40, 24, 20, 20, 12, 48, 26]
        )
        self._rag_text_formats(ws, 1, 0, last, 0)
        self._data_sheet_setup(ws, len(headers))

    def _frame_sheet(
        self,
        ws: Worksheet,
        frame: pd.DataFrame | None,
        name: str,
        known: dict[str, tuple[str, float]],
    ) -> None:
        keys = list(frame.columns) if frame is not None and len(frame.columns) else list(known)
        # Columns the map does not know are partners' own values (discrepancies): text or number.
        headers = [known.get(c, (str(c), 18.0))[0] for c in keys]
        widths = [known.get(c, (str(c), 18.0))[1] for c in keys]
        columns = _frame_columns(frame, keys)
        if "sheet" in keys and "column" in keys:
            # The ledger's keys ("kpis", "actual") as the workbook names them (KPIs, Actual).
            s_i, c_i = keys.index("sheet"), keys.index("column")
            columns[c_i] = [
                _column_header(sheet, col)
                for sheet, col in zip(columns[s_i], columns[c_i], strict=True)
            ]
            columns[s_i] = [_sheet_name(sheet) for sheet in columns[s_i]]
        if "sha256" in keys:
            # The start identifies the file; the full digest is on the About sheet.
            i = keys.index("sha256")
            columns[i] = [
                v[:12] + "…" if v.__class__ is str and len(v) > 12 else v for v in columns[i]
            ]
        f = self.f
        formats = [
            f.cell(num_format=_PERCENT_COLUMNS[c])
            if c in _PERCENT_COLUMNS
            else f.cell(font_name="Courier New", font_size=8)
            if c == "sha256"
            else f.cell(text_wrap=w >= 18, num_format="General" if w >= 30 else number_format(v))
            for c, w, v in zip(keys, widths, columns, strict=True)
        ]
        self._table(ws, 0, name, headers, columns, formats, widths)
        self._data_sheet_setup(ws, len(headers))

    def _rag_text_formats(
        self, ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int
    ) -> None:
        for rag, colour in RAG_FILLS.items():
            ws.conditional_format(
                first_row,
                first_col,
                last_row,
                last_col,
                {
                    "type": "cell",
                    "criteria": "==",
                    "value": f'"{rag}"',
                    "format": self.f(
                        bg_color=colour,
                        font_color="#FFFFFF" if rag != summary.AMBER else "#000000",
                        bold=True,
                    ),
                },
            )


MAX_WIDTH = 45.0
"""Widest a data column grows to hold its longest word."""


def number_format(values: Sequence[Any]) -> str:
    """A column's number format: thousands for whole numbers, else as typed (1, not 1.0)."""
    numbers = [v for v in values if v.__class__ in (int, float) and v == v]
    return "#,##0" if all(float(v).is_integer() for v in numbers) else "General"


def _sheet_name(key: Any) -> Any:
    """A schema sheet's key ("kpis") as the workbook names it ("KPIs"); others unchanged."""
    return SCHEMA[key].name if isinstance(key, str) and key in SCHEMA else key


def _column_header(sheet: Any, key: Any) -> Any:
    """A column's key ("actual") as its sheet's header ("Actual"); others unchanged."""
    if isinstance(sheet, str) and sheet in SCHEMA and isinstance(key, str):
        for col in SCHEMA[sheet].columns:
            if col.key == key:
                return col.header
    return key


_PERCENT_COLUMNS = {"difference": "0.0%"}
"""Columns holding a relative difference."""

_DISCREPANCY_HEADERS = {
    "sheet": ("Sheet", 14.0),
    "item": ("Item", 34.0),
    "column": ("Column", 14.0),
    "values": ("Values (partner: value)", 44.0),
    "reconciled": ("Reconciled", 18.0),
    "rule": ("Rule", 28.0),
    "difference": ("Difference", 22.0),
}
_SUBMISSION_HEADERS = {
    "file": ("File", 30.0),
    "sha256": ("SHA-256 (start)", 15.0),
    "partner": ("Partner", 22.0),
    "period": ("Period", 10.0),
    "due": ("Due", 11.0),
    "received_at": ("Received", 17.0),
    "state": ("State", 14.0),
    "schema_version": ("Schema", 9.0),
    "status": ("Ledger status", 22.0),
    "submission_id": ("Submission", 11.0),
    "path": ("Path", 36.0),
    "recorded_at": ("Recorded", 17.0),
    "superseded_by": ("Superseded by", 12.0),
    "errors": ("Errors", 8.0),
    "warnings": ("Warnings", 9.0),
}
_DATA_QUALITY_HEADERS = {
    "file": ("File", 28.0),
    "sheet": ("Sheet", 14.0),
    "cell": ("Cell", 8.0),
    "column": ("Column", 16.0),
    "code": ("Code", 20.0),
    "severity": ("Severity", 10.0),
    "message": ("Message", 60.0),
}
_RESTATEMENT_HEADERS = {
    "sheet": ("Sheet", 14.0),
    "item": ("Item", 32.0),
    "period": ("Period", 10.0),
    "partner": ("Partner", 22.0),
    "previous": ("Previous", 12.0),
    "restated": ("Restated", 12.0),
    "file": ("File", 30.0),
    "column": ("Column", 14.0),
    "previous_file": ("Previous file", 30.0),
    "previous_submission_id": ("Previous submission", 12.0),
    "submission_id": ("Submission", 11.0),
    "submitted_period": ("Submitted for", 11.0),
    "received_at": ("Received", 17.0),
    "recorded_at": ("Recorded", 17.0),
    "status": ("Status", 22.0),
}
