"""Data sheets of the consolidated workbook: the reconciled schema sheets, gaps,
discrepancies, submissions, data quality and restatements, each an Excel table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from rmp_workbook import summary
from rmp_workbook.cells import a1
from rmp_workbook.dashboard.cells import (
    NUMBER_FORMATS,
    RAG_FILLS,
    SLATE,
    _evaluate,
    _frame_columns,
    _is_blank,
    _unique_headers,
    _write_cells,
    write_value,
)
from rmp_workbook.dashboard.state import WriterState
from rmp_workbook.schema import SCHEMA, ColType, Column


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
            self._fit_rows(ws, first_row + 1, columns, formats, widths)
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
        ws.set_row(first_row, 30)
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
                if i in formulas and not _is_blank(value):
                    expr, refs = formulas[i]
                    cell_refs = {k: a1(r, first_col + j) for k, j in refs.items()}
                    ws.write_formula(r, col, "=" + expr.format(**cell_refs), formats[i], value)
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
    ) -> None:
        """Give rows with wrapped text the height they need.

        Excel fits such rows when it opens the file, LibreOffice does not: an
        explicit height keeps long text readable in both.
        """
        lines: dict[int, int] = {}
        for i, fmt in enumerate(formats):
            if not fmt.text_wrap or i >= len(widths) or i >= len(columns):
                continue
            per_line = max(int(widths[i] * 1.1), 1)
            # Most text fits one line: only longer text or text with breaks is measured.
            longer = [
                (r, value)
                for r, value in enumerate(columns[i], start=first_row)
                if isinstance(value, str) and (len(value) > per_line or "\n" in value)
            ]
            for r, value in longer:
                if "\n" in value:
                    n = sum(math.ceil(max(len(p), 1) / per_line) for p in value.split("\n"))
                else:
                    n = -(-len(value) // per_line)
                if n > lines.get(r, 1):
                    lines[r] = n
        for r in sorted(lines):
            ws.set_row(r, 12.75 * min(lines[r], 15) + 2)

    def _unique_table_name(self, name: str) -> str:
        candidate, n = name, 2
        while candidate.lower() in self.table_names:
            candidate, n = f"{name}{n}", n + 1
        self.table_names.add(candidate.lower())
        return candidate

    def _column_format(self, col: Column) -> Format:
        if col.type is ColType.LONG_TEXT:
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

    def _schema_sheet(self, key: str) -> None:
        sheet = SCHEMA[key]
        ws = self.data_ws[key]
        frame = self.c.tables.get(key)
        cols = list(sheet.columns)
        headers = [c.header for c in cols] + ["Partners", "Source"]
        keys = [c.key for c in cols] + ["partners", "source"]
        columns = _frame_columns(frame, keys)
        formats = [self._column_format(c) for c in cols] + [self.f.cell(), self.f.cell()]
        formulas: dict[int, tuple[str, dict[str, int]]] = {}
        for i, col in enumerate(cols):
            if col.type is ColType.FORMULA and col.formula:
                # The schema's expression over column keys becomes an A1 formula per row;
                # the cached result is the value reconciliation computed.
                refs = {c.key: j for j, c in enumerate(cols) if "{" + c.key + "}" in col.formula}
                formulas[i] = (col.formula, refs)
                results = columns[i]
                for r, value in enumerate(results):
                    if _is_blank(value):
                        results[r] = _evaluate(
                            col.formula, {k: columns[j][r] for k, j in refs.items()}
                        )
        widths = [c.width for c in cols] + [26, 18]
        self._table(
            ws,
            0,
            sheet.table_name or f"{sheet.name}Table",
            headers,
            columns,
            formats,
            widths,
            formulas=formulas,
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
            f.cell(num_format="#,##0.0##", align="left", text_wrap=True),
            f.cell(num_format="#,##0.0##", align="left", text_wrap=True),
            f.cell(),
            wrap,
            f.cell(font_color=SLATE),
        ]
        # Value and Target hold text too ("3 of 5 partners"): wide enough, and wrapped.
        last = self._table(
            ws, 0, "GapsTable", headers, columns, formats, [10, 14, 40, 24, 16, 16, 12, 48, 26]
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
        f = self.f
        formats = [
            f.cell(num_format=_PERCENT_COLUMNS[c])
            if c in _PERCENT_COLUMNS
            else f.cell(font_name="Courier New", font_size=7)
            if c == "sha256"
            else f.cell(text_wrap=w >= 18, num_format="#,##0.0##" if w < 30 else "General")
            for c, w in zip(keys, widths, strict=True)
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


_PERCENT_COLUMNS = {"difference": "0.0%"}
"""Columns holding a relative difference."""

_DISCREPANCY_HEADERS = {
    "sheet": ("Sheet", 14.0),
    "item": ("Item", 34.0),
    "column": ("Column", 14.0),
    "values": ("Values (partner: value)", 44.0),
    "reconciled": ("Reconciled", 18.0),
    "rule": ("Rule", 28.0),
    "difference": ("Difference", 14.0),
}
_SUBMISSION_HEADERS = {
    "file": ("File", 30.0),
    "sha256": ("SHA-256", 46.0),
    "partner": ("Partner", 22.0),
    "period": ("Period", 10.0),
    "received_at": ("Received", 17.0),
    "schema_version": ("Schema", 9.0),
    "status": ("Status", 22.0),
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
}
