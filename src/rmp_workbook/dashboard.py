"""The consolidated workbook executives open: dashboard, charts and reconciled data.

``write_consolidated`` turns a :class:`~rmp_workbook.model.Consolidated` into one
xlsx file (xlsxwriter): a one-page ``Dashboard`` first, native charts, every
reconciled sheet as an Excel table, gaps, discrepancies, submissions, data
quality, restatements, the chart data and an ``About`` sheet. Partner text is
always written with ``write_string``; every formula rmp writes carries its
computed result, so viewers that do not recalculate still show the figures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.chart import Chart
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from rmp_workbook import __version__, summary
from rmp_workbook.cells import a1, col_letter, quote_sheet
from rmp_workbook.config import Thresholds
from rmp_workbook.model import Consolidated
from rmp_workbook.schema import SCHEMA, SCHEMA_VERSION, ColType, Column
from rmp_workbook.summary import Tile

WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "remove_timezone": True,
    "default_format_properties": {"font_name": "Arial", "font_size": 10},
}

DASHBOARD = "Dashboard"
CHARTS = "Charts"
CHART_DATA = "Chart data"
ABOUT = "About"
DATA_SHEETS = (
    "kpis",
    "sla",
    "risks",
    "stages",
    "contacts",
    "health",
    "bottlenecks",
    "successes",
    "testimonials",
    "actions",
)
"""Reconciled schema sheets, in the order the workbook shows them."""

NAVY = "#1F3864"
SLATE = "#44546A"
PALE = "#F2F4F7"
RULE = "#BFC7D5"
SERIES_COLOURS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#9467BD", "#8C564B", "#E377C2", "#17BECF")
ZONE_FILLS = {summary.RED: "#F28B82", summary.AMBER: "#FDD663", summary.GREEN: "#A8DAB5"}
RAG_FILLS = {summary.RED: "#C62828", summary.AMBER: "#F9A825", summary.GREEN: "#2E7D32"}

LIKELIHOOD = ("Rare", "Unlikely", "Possible", "Likely", "Almost certain")
IMPACT = ("Negligible", "Minor", "Moderate", "Major", "Severe")

NUMBER_FORMATS = {
    ColType.INTEGER: "0",
    ColType.SCORE: "0",
    ColType.NUMBER: "#,##0.0##",
    ColType.PERCENT: "0%",
    ColType.DATE: "yyyy-mm-dd",
    ColType.FORMULA: "0",
}


def write_consolidated(
    c: Consolidated, path: str | os.PathLike[str], thresholds: Thresholds | None = None
) -> Path:
    """Write the consolidated workbook to ``path`` atomically and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp.xlsx")
    try:
        with _collector_paused():
            workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
            _Writer(workbook, c, thresholds or Thresholds()).write()
            workbook.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the workbook is built.

    xlsxwriter keeps a small object per cell: hundreds of thousands of them make
    the collector walk the growing heap again and again (a third of the writer's
    time at 1,000 partners) though none of them is ever part of a cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------- values


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


_CellWriter = Callable[[Worksheet, int, int, Any, "Format | None", "Format | None"], Any]


def _write_blank(
    ws: Worksheet, row: int, col: int, value: Any, fmt: Format | None, date_fmt: Format | None
) -> None:
    ws.write_blank(row, col, None, fmt)


def _write_str(
    ws: Worksheet, row: int, col: int, value: str, fmt: Format | None, date_fmt: Format | None
) -> None:
    ws.write_string(row, col, value, fmt)


def _write_float(
    ws: Worksheet, row: int, col: int, value: float, fmt: Format | None, date_fmt: Format | None
) -> None:
    if value - value == 0:  # finite: NaN and infinities give NaN
        ws.write_number(row, col, value, fmt)
    elif value != value:
        ws.write_blank(row, col, None, fmt)
    else:  # an infinity is no number a cell can hold: its text, as for any other value
        ws.write_string(row, col, str(value), fmt)


def _write_int(
    ws: Worksheet, row: int, col: int, value: int, fmt: Format | None, date_fmt: Format | None
) -> None:
    ws.write_number(row, col, float(value), fmt)


def _write_bool(
    ws: Worksheet, row: int, col: int, value: bool, fmt: Format | None, date_fmt: Format | None
) -> None:
    ws.write_boolean(row, col, value, fmt)


def _write_timestamp(
    ws: Worksheet,
    row: int,
    col: int,
    value: pd.Timestamp,
    fmt: Format | None,
    date_fmt: Format | None,
) -> None:
    ws.write_datetime(row, col, value.to_pydatetime(), date_fmt or fmt)


def _write_date(
    ws: Worksheet,
    row: int,
    col: int,
    value: dt.date,
    fmt: Format | None,
    date_fmt: Format | None,
) -> None:
    ws.write_datetime(row, col, value, date_fmt or fmt)


def _write_any(
    ws: Worksheet, row: int, col: int, value: Any, fmt: Format | None, date_fmt: Format | None
) -> None:
    """Any other type (numpy scalars, subclasses, decimals): tested one by one."""
    if _is_blank(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, pd.Timestamp):
        ws.write_datetime(row, col, value.to_pydatetime(), date_fmt or fmt)
    elif isinstance(value, (dt.datetime, dt.date)):
        ws.write_datetime(row, col, value, date_fmt or fmt)
    elif summary.num(value) is not None and not isinstance(value, str):
        ws.write_number(row, col, float(value), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


_WRITERS: dict[type, _CellWriter] = {
    str: _write_str,
    float: _write_float,
    int: _write_int,
    type(None): _write_blank,
    type(pd.NaT): _write_blank,
    bool: _write_bool,
    pd.Timestamp: _write_timestamp,
    dt.datetime: _write_date,
    dt.date: _write_date,
}
"""The writer for each exact type; anything else goes through ``_write_any``."""


def write_value(
    ws: Worksheet,
    row: int,
    col: int,
    value: Any,
    fmt: Format | None = None,
    date_fmt: Format | None = None,
) -> None:
    """Write one value by its type; text always as a string, never a formula or link."""
    _WRITERS.get(value.__class__, _write_any)(ws, row, col, value, fmt, date_fmt)


def _write_cells(
    ws: Worksheet,
    first_row: int,
    first_col: int,
    columns: Sequence[Sequence[Any]],
    formats: Sequence[Format],
    date_fmt: Format,
    datetime_fmt: Format,
) -> None:
    """Write a block row by row (shared strings are numbered in the order written)."""
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    cols = range(first_col, first_col + len(columns))
    for r, values in enumerate(zip(*columns, strict=True), start=first_row):
        for c, value, fmt in zip(cols, values, formats, strict=False):
            # Text and finite floats are nearly every cell: tested first, by exact type.
            kind = value.__class__
            if kind is str:
                write_string(r, c, value, fmt)
            elif kind is float and value - value == 0:
                write_number(r, c, value, fmt)
            elif value is None:
                write_blank(r, c, None, fmt)
            else:
                _WRITERS.get(kind, _write_any)(
                    ws,
                    r,
                    c,
                    value,
                    fmt,
                    datetime_fmt if isinstance(value, dt.datetime) else date_fmt,
                )


class _Formats:
    """Cached cell formats; one place decides fonts, fills and borders."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._wb = workbook
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self._wb.add_format(props)
        return self._cache[key]

    def header(self, **extra: Any) -> Format:
        return self(
            bold=True,
            font_color="#FFFFFF",
            bg_color=NAVY,
            text_wrap=True,
            valign="vcenter",
            border=1,
            border_color=RULE,
            **extra,
        )

    def cell(self, **extra: Any) -> Format:
        return self(**{"valign": "top", "bottom": 1, "bottom_color": RULE, **extra})


# --------------------------------------------------------------------------- writer


class _Writer:
    def __init__(
        self, workbook: xlsxwriter.Workbook, c: Consolidated, thresholds: Thresholds
    ) -> None:
        self.wb = workbook
        self.c = c
        self.t = thresholds
        self.f = _Formats(workbook)
        generated = c.generated_at or dt.datetime.now(dt.UTC)
        self.generated = generated.replace(tzinfo=None)
        """When the run happened (the consolidation's time, or now)."""
        self.kpis = summary.kpi_tiles(c)
        self.slas = summary.sla_tiles(c)
        self.periods = summary.periods(c)
        self.behaviours, self.health_series, self.health_scores = summary.health(c)
        # Chart data holds (and the radar draws) a handful of partners, not hundreds.
        self.health_series = summary.chart_health_series(self.health_series, self.health_scores)
        self.stages = summary.stages(c)
        self.table_names: set[str] = set()
        # Where Chart data keeps each series: (tile kind, key) -> {series name: row}.
        self.trend_rows: dict[tuple[str, str], dict[str, int]] = {}
        self.trend_first_col = 3
        self.trend_header: dict[str, int] = {}
        self.health_pos: tuple[int, int] = (0, 0)
        self.stage_pos: tuple[int, int] = (0, 0)
        self.risk_cols: dict[str, int] = {}
        self.risk_rows = 0

    def write(self) -> None:
        wb = self.wb
        wb.set_properties(
            {
                "title": f"{self.c.relationship_name} – consolidated RMP {self.c.period}",
                "subject": "Relationship Management Plan (BS 11000 / ISO 44001)",
                "author": f"rmp {__version__}",
                "comments": "The reconciled view of every partner's workbook, written by rmp.",
            }
        )
        # Sheets are created in the order executives read them; content is filled afterwards
        # because the Dashboard and charts point at later sheets.
        self.dash = wb.add_worksheet(DASHBOARD)
        self.charts = wb.add_worksheet(CHARTS)
        self.data_ws = {key: wb.add_worksheet(SCHEMA[key].name) for key in DATA_SHEETS}
        self.gaps_ws = wb.add_worksheet("Gaps")
        self.disc_ws = wb.add_worksheet("Discrepancies")
        self.subs_ws = wb.add_worksheet("Submissions")
        self.dq_ws = wb.add_worksheet("Data quality")
        self.rest_ws = wb.add_worksheet("Restatements")
        self.cd = wb.add_worksheet(CHART_DATA)
        self.about = wb.add_worksheet(ABOUT)
        self.dash.activate()
        self.dash.set_first_sheet()

        for key in DATA_SHEETS:
            self._schema_sheet(key)
        self._gaps_sheet()
        self._frame_sheet(
            self.disc_ws, self.c.discrepancies, "DiscrepanciesTable", _DISCREPANCY_HEADERS
        )
        self._frame_sheet(self.subs_ws, self.c.submissions, "SubmissionsTable", _SUBMISSION_HEADERS)
        self._frame_sheet(
            self.dq_ws, self.c.data_quality, "DataQualityTable", _DATA_QUALITY_HEADERS
        )
        self._frame_sheet(
            self.rest_ws, self.c.restatements, "RestatementsTable", _RESTATEMENT_HEADERS
        )
        self._chart_data()
        self._charts()
        self._dashboard()
        self._about()

    # ------------------------------------------------------------------ tables

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

    # ------------------------------------------------------------------ chart data

    def _chart_data(self) -> None:
        ws, f = self.cd, self.f
        ws.write_string(
            0,
            0,
            "Chart data: the figures behind the charts and sparklines (written by rmp)",
            f(bold=True, font_size=12, font_color=NAVY),
        )
        ws.set_column(0, 0, 30)
        ws.set_column(1, 1, 22)
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.set_column(2, 2, 9)
        ws.set_column(3, 3 + max(len(self.periods), 6), 10)
        row = 2
        num_fmt = f.cell(num_format="#,##0.0##")
        for kind, tiles, label in (
            ("KPI", self.kpis, "KPI trends"),
            ("SLA", self.slas, "Service level trends"),
        ):
            ws.write_string(row, 0, label, f(bold=True, font_color=NAVY))
            row += 1
            headers = [kind if kind == "SLA" else "KPI ID", "Series", "Unit", *self.periods]
            rows: list[list[Any]] = []
            first = row + 1
            for tile in tiles:
                positions: dict[str, int] = {}
                series = [("Actual", tile.actuals)]
                if any(t is not None for t in tile.targets):
                    series.append(("Target", tile.targets))
                if tile.partners_differ:
                    series += [
                        (p, v)
                        for p, v in tile.partner_series().items()
                        if any(x is not None for x in v)
                    ]
                for name, values in series:
                    positions[name] = first + len(rows)
                    rows.append(
                        [tile.key if kind == "KPI" else tile.name, name, tile.unit, *values]
                    )
                self.trend_rows[(kind, tile.key if kind == "KPI" else tile.name)] = positions
            formats = [f.cell(), f.cell(), f.cell()] + [num_fmt] * len(self.periods)
            self.trend_header[kind] = row
            columns = _columns(rows, len(headers))
            row = self._table(ws, row, f"{kind}TrendData", headers, columns, formats) + 2
        # Health check: one column per partner, then the joint view.
        ws.write_string(row, 0, "Health check", f(bold=True, font_color=NAVY))
        row += 1
        self.health_pos = (row, 0)
        rows = [
            [b, *(self.health_scores[s][i] for s in self.health_series)]
            for i, b in enumerate(self.behaviours)
        ]
        row = (
            self._table(
                ws,
                row,
                "HealthData",
                ["Behaviour", *self.health_series],
                _columns(rows, 1 + len(self.health_series)),
                [f.cell()] + [f.cell(num_format="0.0")] * len(self.health_series),
            )
            + 2
        )
        # Stage progress.
        ws.write_string(row, 0, "Life-cycle stages", f(bold=True, font_color=NAVY))
        row += 1
        self.stage_pos = (row, 0)
        # A stage nobody reported charts as 0% (the bar chart has no blanks); its status says so.
        rows = [[s, st or "Not reported", p or 0.0] for s, st, p in self.stages]
        row = (
            self._table(
                ws,
                row,
                "StageData",
                ["Stage", "Status", "Progress"],
                _columns(rows, 3),
                [f.cell(), f.cell(), f.cell(num_format="0%")],
            )
            + 2
        )
        # Open risks per likelihood and impact, from the Risks sheet (formulas with results).
        ws.write_string(
            row,
            0,
            "Open risks by likelihood (rows) and impact (columns)",
            f(bold=True, font_color=NAVY),
        )
        row += 1
        self._risk_counts(ws, row)

    def _risk_counts(self, ws: Worksheet, row: int) -> None:
        f = self.f
        risks = SCHEMA["risks"]
        cols = {c.key: i for i, c in enumerate(risks.columns)}
        n = max(len(self.c.tables.get("risks", pd.DataFrame())), 1)
        rng = {
            k: f"{quote_sheet(risks.name)}!${col_letter(cols[k])}$2:${col_letter(cols[k])}${n + 1}"
            for k in ("likelihood", "impact", "status")
        }
        heat = summary.heat_map(self.c)
        ws.write_string(row, 0, "Likelihood", f.header())
        for imp in range(1, 6):
            ws.write_number(row, imp, imp, f.header(num_format=f'0 "{IMPACT[imp - 1]}"'))
        for k, lik in enumerate(range(5, 0, -1), start=1):
            ws.write_number(
                row + k, 0, lik, f.cell(bold=True, num_format=f'0 "{LIKELIHOOD[lik - 1]}"')
            )
            for imp in range(1, 6):
                formula = (
                    f"=COUNTIFS({rng['likelihood']},{lik},{rng['impact']},{imp},"
                    f'{rng["status"]},"<>Closed")'
                )
                ws.write_formula(
                    row + k,
                    imp,
                    formula,
                    f.cell(num_format="0", align="center"),
                    len(heat[(lik, imp)]),
                )

    # ------------------------------------------------------------------ charts

    def _series_ref(self, row: int, first_col: int, last_col: int) -> list[Any]:
        return [CHART_DATA, row, first_col, row, last_col]

    def _charts(self) -> None:
        ws, f = self.charts, self.f
        ws.hide_gridlines(2)
        ws.write_string(
            0,
            0,
            f"{self.c.relationship_name}: charts for {self.c.period}",
            f(bold=True, font_size=14, font_color=NAVY),
        )
        ws.write_string(
            1, 0, "Every chart reads the Chart data sheet.", f(italic=True, font_color=SLATE)
        )
        charts: list[Chart] = []
        fc = self.trend_first_col
        lc = fc + len(self.periods) - 1
        for kind, tiles in (("KPI", self.kpis), ("SLA", self.slas)):
            for tile in tiles:
                rows = self.trend_rows[(kind, tile.key if kind == "KPI" else tile.name)]
                header_row = self.trend_header[kind]
                cats = [CHART_DATA, header_row, fc, header_row, lc]
                charts.append(
                    self._trend_chart(tile, rows, cats)
                    if kind == "KPI"
                    else self._sla_chart(tile, rows, cats)
                )
        if self.health_series:
            charts.append(self._radar_chart())
        if any(progress is not None for _, _, progress in self.stages):
            charts.append(self._stage_chart())
        if not charts:
            ws.write_string(3, 0, "No figures reported yet.", f(italic=True))
        for i, chart in enumerate(charts):
            ws.insert_chart(3 + (i // 2) * 16, (i % 2) * 8, chart, {"x_offset": 4, "y_offset": 4})
        # Two rows of charts per printed page, never a chart cut in half.
        ws.set_h_pagebreaks([3 + k * 32 for k in range(1, (len(charts) + 3) // 4 + 1)])
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    def _base_chart(self, kind: str, title: str, subtype: str | None = None) -> Chart:
        opts: dict[str, Any] = {"type": kind}
        if subtype:
            opts["subtype"] = subtype
        chart = self.wb.add_chart(opts)
        assert chart is not None
        chart.set_title({"name": title, "name_font": {"size": 11, "bold": True, "color": NAVY}})
        chart.set_size({"width": 500, "height": 300})
        chart.set_legend({"position": "bottom", "font": {"size": 8}})
        chart.set_chartarea({"border": {"color": RULE}})
        return chart

    def _trend_chart(self, tile: Tile, rows: dict[str, int], cats: list[Any]) -> Chart:
        fc, lc = self.trend_first_col, self.trend_first_col + len(self.periods) - 1
        unit = f" ({tile.unit})" if tile.unit else ""
        chart = self._base_chart("line", f"{tile.key} {tile.name}{unit}")
        for i, (name, row) in enumerate(rows.items()):
            line: dict[str, Any] = {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "width": 2.25}
            marker: dict[str, Any] = {"type": "circle", "size": 5}
            if name == "Actual":
                line = {"color": NAVY, "width": 2.75}
                marker["fill"] = {"color": NAVY}
                marker["border"] = {"color": NAVY}
            elif name == "Target":
                line = {
                    "color": summary.RAG_COLOURS[summary.GREEN],
                    "width": 1.75,
                    "dash_type": "dash",
                }
                marker = {"type": "none"}
            else:
                line["width"] = 1.25
                line["dash_type"] = "round_dot"
            chart.add_series(
                {
                    "name": [CHART_DATA, row, 1],
                    "categories": cats,
                    "values": self._series_ref(row, fc, lc),
                    "line": line,
                    "marker": marker,
                }
            )
        chart.set_y_axis(
            {
                "name": tile.unit or None,
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                "num_font": {"size": 8},
            }
        )
        chart.set_x_axis({"num_font": {"size": 8}})
        return chart

    def _sla_chart(self, tile: Tile, rows: dict[str, int], cats: list[Any]) -> Chart:
        fc, lc = self.trend_first_col, self.trend_first_col + len(self.periods) - 1
        chart = self._base_chart("column", f"SLA {tile.name}: actual vs target")
        chart.add_series(
            {
                "name": [CHART_DATA, rows["Actual"], 1],
                "categories": cats,
                "values": self._series_ref(rows["Actual"], fc, lc),
                "fill": {"color": NAVY},
                "gap": 80,
            }
        )
        if "Target" not in rows:
            return chart
        target = self.wb.add_chart({"type": "line"})
        assert target is not None
        target.add_series(
            {
                "name": [CHART_DATA, rows["Target"], 1],
                "categories": cats,
                "values": self._series_ref(rows["Target"], fc, lc),
                "line": {
                    "color": summary.RAG_COLOURS[summary.RED],
                    "width": 2,
                    "dash_type": "dash",
                },
                "marker": {"type": "none"},
            }
        )
        chart.combine(target)
        chart.set_y_axis(
            {
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                "num_font": {"size": 8},
            }
        )
        return chart

    def _radar_chart(self) -> Chart:
        row, col = self.health_pos
        n = len(self.behaviours)
        chart = self._base_chart("radar", "Joint health check (1 = poor, 5 = excellent)", "marker")
        partners = [s for s in self.health_series if s != "Joint"] or self.health_series
        for name in partners:
            i = self.health_series.index(name)
            chart.add_series(
                {
                    "name": [CHART_DATA, row, col + 1 + i],
                    "categories": [CHART_DATA, row + 1, col, row + n, col],
                    "values": [CHART_DATA, row + 1, col + 1 + i, row + n, col + 1 + i],
                    "line": {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "width": 2},
                    "marker": {"type": "circle", "size": 4},
                }
            )
        chart.set_y_axis({"min": 0, "max": 5, "major_unit": 1, "num_font": {"size": 7}})
        chart.set_x_axis({"num_font": {"size": 8}})
        return chart

    def _stage_chart(self) -> Chart:
        row, col = self.stage_pos
        n = len(self.stages)
        chart = self._base_chart("bar", "Life-cycle stage progress")
        chart.add_series(
            {
                "name": "Progress",
                "categories": [CHART_DATA, row + 1, col, row + n, col],
                "values": [CHART_DATA, row + 1, col + 2, row + n, col + 2],
                "fill": {"color": NAVY},
                "gap": 60,
                "data_labels": {"value": True, "num_format": "0%", "font": {"size": 8}},
            }
        )
        chart.set_x_axis(
            {
                "min": 0,
                "max": 1,
                "num_format": "0%",
                "num_font": {"size": 8},
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
            }
        )
        chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": {"size": 8}})
        chart.set_legend({"none": True})
        return chart

    # ------------------------------------------------------------------ dashboard

    def _dashboard(self) -> None:
        _Dashboard(self).write()

    # ------------------------------------------------------------------ about

    def _about(self) -> None:
        ws, f, c = self.about, self.f, self.c
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 70)
        ws.write_string(0, 0, "About this workbook", f(bold=True, font_size=14, font_color=NAVY))
        generated = self.generated
        facts: list[tuple[str, Any]] = [
            ("Relationship", c.relationship_name),
            ("Relationship ID", c.relationship_id),
            ("Period", c.period),
            ("Partners expected", ", ".join(c.expected_partners)),
            ("Partners submitted", ", ".join(c.partners)),
            ("Ledger", c.ledger),
            ("Time of run", generated),
            ("rmp version", __version__),
            ("Schema version", SCHEMA_VERSION),
        ]
        rows = [[k, v] for k, v in facts]
        last = self._table(
            ws,
            2,
            "AboutTable",
            ["Fact", "Value"],
            _columns(rows, 2),
            [f.cell(bold=True), f.cell(align="left", num_format="yyyy-mm-dd hh:mm")],
        )
        # Datetimes need their own format in column B; write them again over the table body.
        for i, (_, v) in enumerate(facts):
            if isinstance(v, dt.datetime):
                ws.write_datetime(
                    3 + i,
                    1,
                    v.replace(tzinfo=None),
                    f.cell(align="left", num_format="yyyy-mm-dd hh:mm"),
                )
        start = last + 2
        ws.write_string(start, 0, "Input files", f(bold=True, font_color=NAVY))
        rows = [[p, s] for p, s in c.inputs]
        self._table(
            ws,
            start + 1,
            "InputFilesTable",
            ["File", "SHA-256"],
            _columns(rows, 2),
            [f.cell(text_wrap=True), f.cell(font_name="Courier New", font_size=8)],
        )
        ws.set_column(0, 0, 40)
        ws.set_column(1, 1, 70)
        ws.set_portrait()
        ws.fit_to_pages(1, 0)


def _change_colour(tile: Tile) -> str:
    """Green when the figure moved the good way, red when the bad way."""
    change = tile.change or 0
    if not change:
        return SLATE
    better_lower = tile.direction.lower().startswith("lower") or tile.direction.lower() == "at most"
    improved = change < 0 if better_lower else change > 0
    return summary.RAG_COLOURS[summary.GREEN if improved else summary.RED]


def _unique_headers(headers: Sequence[str]) -> list[str]:
    """Table headers must be unique and non-empty (partner names could repeat a header)."""
    seen: set[str] = set()
    out = []
    for h in headers:
        base = h.strip() or "Column"
        cand, n = base, 2
        while cand.lower() in seen:
            cand, n = f"{base} ({n})", n + 1
        seen.add(cand.lower())
        out.append(cand)
    return out


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows of ``width`` values as one list per column."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(col) for col in zip(*rows, strict=True)]


_PLAIN_TYPES = frozenset(
    {str, float, int, bool, type(None), type(pd.NaT), pd.Timestamp, dt.datetime, dt.date}
)
"""Types a frame column can hand over as they are (blanks are written blank)."""


def _frame_columns(frame: pd.DataFrame | None, keys: Sequence[Any]) -> list[list[Any]]:
    """The values of ``keys`` (None where the frame lacks one), one list per key, as plain
    Python values: what ``frame.to_dict("records")`` gives, without a dict per row."""
    n = 0 if frame is None else len(frame)
    if frame is None or not n:
        return [[] for _ in keys]
    # With repeated names the last column counts, as in a record.
    position = {k: i for i, k in enumerate(frame.columns)}
    out = []
    for key in keys:
        i = position.get(key)
        if i is None:
            out.append([None] * n)
            continue
        values = frame.iloc[:, i].tolist()
        if not _PLAIN_TYPES.issuperset(map(type, values)):
            values = [_plain(_boxed(v)) for v in values]
        out.append(values)
    return out


def _boxed(value: Any) -> Any:
    """What a record holds for a value of an object or extension column."""
    if value is pd.NA:
        return None
    if isinstance(value, (np.datetime64, np.timedelta64)):
        return pd.Timestamp(value) if isinstance(value, np.datetime64) else pd.Timedelta(value)
    return value


def _plain(value: Any) -> Any:
    """numpy scalars to Python values; blanks to None."""
    if _is_blank(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, pd.Timestamp)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value


def _evaluate(expr: str, values: dict[str, Any]) -> float | None:
    """A schema formula's result for one row (products and sums of numbers only)."""
    nums = {k: summary.num(v) for k, v in values.items()}
    if any(v is None for v in nums.values()):
        return None
    try:
        result = eval(expr.format(**nums), {"__builtins__": {}}, {})
    except (SyntaxError, ZeroDivisionError, NameError, TypeError):
        return None
    return summary.num(result)


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


# --------------------------------------------------------------------------- the Dashboard

# Column plan (zero-based): a left block B..I, a gutter J and a right block K..R.
_B, _C, _D, _E, _F, _G, _H, _I = range(1, 9)
_K, _R = 10, 17
_WIDTHS = {0: 1.5, _B: 27, _C: 7, _D: 9, _E: 9, _F: 9, _G: 4.5, _H: 9, _I: 14, 9: 2}
_RIGHT_WIDTH = 10
_K_WIDTH = 13.5
_HEALTH_COLS = (_C, _D, _E, _F, _H, _I)
"""Health check columns (the narrow icon column G is skipped): partners, Joint, Spread."""


class _Dashboard:
    """Lays out the one-page Dashboard from the writer's computed values."""

    def __init__(self, w: _Writer) -> None:
        self.w = w
        self.ws = w.dash
        self.f = w.f
        self.c = w.c
        self.heights: dict[int, float] = {}

    def write(self) -> None:
        ws = self.ws
        for col, width in _WIDTHS.items():
            ws.set_column(col, col, width)
        ws.set_column(_K, _R, _RIGHT_WIDTH)
        ws.set_column(_K, _K, _K_WIDTH)
        ws.hide_gridlines(2)
        self._banner()
        left = self._partners(3)
        left = self._tiles(left + 1)
        left = self._stages(left + 1)
        left = self._health(left + 1)
        right = self._gaps(3)
        right = self._heat_map(right + 1)
        right = self._testimonials(right + 1)
        right = self._successes(right + 1)
        last = max(left, right)
        for r, height in self.heights.items():
            ws.set_row(r, height)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 1)
        ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.45)
        ws.center_horizontally()
        ws.print_area(0, 0, last, _R)
        ws.set_footer(f"&L&7{self.c.relationship_id} · {self.c.period}&R&7rmp {__version__} · &D")
        ws.set_zoom(90)

    # helpers ---------------------------------------------------------------

    def _height(self, row: int, height: float) -> None:
        """Ask for a row height; the two blocks share rows, so the tallest request wins."""
        self.heights[row] = max(height, self.heights.get(row, 0))

    def _merged(self, row: int, c0: int, c1: int, text: str, fmt: Format) -> None:
        if c1 > c0:
            self.ws.merge_range(row, c0, row, c1, "", fmt)
        self.ws.write_string(row, c0, text, fmt)

    def _section(self, row: int, c0: int, c1: int, title: str) -> int:
        fmt = self.f(
            bold=True, font_size=11, font_color=NAVY, bottom=2, bottom_color=NAVY, valign="bottom"
        )
        self._merged(row, c0, c1, title, fmt)
        self._height(row, 20)
        return row + 1

    def _head(self, row: int, cells: Sequence[tuple[Any, ...]], height: float = 16) -> int:
        """Column headings: (first col, last col, text[, alignment])."""
        for c0, c1, text, *align in cells:
            fmt = self.f(
                bold=True,
                font_size=8,
                font_color=SLATE,
                bg_color=PALE,
                text_wrap=True,
                valign="vcenter",
                bottom=1,
                bottom_color=RULE,
                align=align[0] if align else "left",
            )
            self._merged(row, c0, c1, text, fmt)
        self._height(row, height)
        return row + 1

    # blocks ----------------------------------------------------------------

    def _banner(self) -> None:
        c, f = self.c, self.f
        self._merged(
            0,
            _B,
            _R,
            c.relationship_name,
            f(
                bold=True,
                font_size=18,
                font_color="#FFFFFF",
                bg_color=NAVY,
                valign="vcenter",
                indent=1,
            ),
        )
        self._height(0, 32)
        generated = self.w.generated.strftime("%Y-%m-%d %H:%M")
        subtitle = (
            f"Relationship dashboard  ·  {c.relationship_id}  ·  period {c.period}  ·  "
            f"{len(c.partners)} of {len(c.expected_partners) or len(c.partners)} partners "
            "submitted  ·  "
            f"{len(c.gaps)} gaps  ·  generated {generated}"
        )
        self._merged(
            1,
            _B,
            _R,
            subtitle,
            f(font_size=9, font_color="#FFFFFF", bg_color=SLATE, valign="vcenter", indent=1),
        )
        self._height(1, 18)
        self._height(2, 6)

    def _partners(self, row: int) -> int:
        f, ws = self.f, self.ws
        row = self._section(row, _B, _I, "Partners and submissions")
        row = self._head(
            row, [(_B, _B, "Partner"), (_C, _E, "Status"), (_F, _H, "File"), (_I, _I, "Received")]
        )
        first = row
        cell = f.cell(font_size=9, valign="vcenter")
        for partner, status, file, received in summary.submission_status(self.c):
            ws.write_string(row, _B, partner, f.cell(font_size=9, bold=True, valign="vcenter"))
            self._merged(row, _C, _E, status, cell)
            self._merged(
                row, _F, _H, file or "–", f.cell(font_size=8, font_color=SLATE, valign="vcenter")
            )
            received = _plain(received)
            if isinstance(received, (dt.datetime, pd.Timestamp)):
                ws.write_datetime(
                    row,
                    _I,
                    pd.Timestamp(received).to_pydatetime().replace(tzinfo=None),
                    f.cell(font_size=9, num_format="yyyy-mm-dd", align="left", valign="vcenter"),
                )
            else:
                ws.write_string(row, _I, "–", cell)
            row += 1
        for criteria, fill, font in (
            ("Not received", RAG_FILLS[summary.RED], "#FFFFFF"),
            ("error", "#FFE699", "#000000"),
            ("warning", "#FFE699", "#000000"),
            ("ccepted", "#C6E0B4", "#000000"),
            ("eceived", "#C6E0B4", "#000000"),
        ):
            ws.conditional_format(
                first,
                _C,
                row - 1,
                _E,
                {
                    "type": "text",
                    "criteria": "containing",
                    "value": criteria,
                    "format": f(bg_color=fill, font_color=font),
                    "stop_if_true": True,
                },
            )
        return row

    def _tiles(self, row: int) -> int:
        w, f, ws = self.w, self.f, self.ws
        n = len(w.periods)
        row = self._section(row, _B, _I, "KPIs and service levels")
        row = self._head(
            row,
            [
                (_B, _B, "Measure"),
                (_C, _C, "Unit"),
                (_D, _D, "Now", "right"),
                (_E, _E, "Target", "right"),
                (_F, _F, "Change", "right"),
                (_G, _H, "Status", "center"),
                (_I, _I, f"Trend ({n} months)"),
            ],
            22,
        )
        first = row
        fc = w.trend_first_col
        groups = [("KPI", w.kpis, None), ("SLA", w.slas, "Service levels (SLA)")]
        for kind, tiles, label in groups:
            if label and tiles:
                self._merged(
                    row,
                    _B,
                    _I,
                    label,
                    f(italic=True, font_size=8, font_color=SLATE, bottom=1, bottom_color=RULE),
                )
                row += 1
            for tile in tiles:
                positions = w.trend_rows[(kind, tile.key if kind == "KPI" else tile.name)]
                self._tile(row, tile, positions["Actual"], fc, n)
                row += 1
        if row == first:
            self._merged(row, _B, _I, "No KPI or SLA figures for this period.", f.cell(italic=True))
            return row + 1
        ws.conditional_format(
            first,
            _G,
            row - 1,
            _G,
            {
                "type": "icon_set",
                "icon_style": "3_traffic_lights",
                "icons_only": True,
                "icons": [
                    {"criteria": ">=", "type": "number", "value": 3},
                    {"criteria": ">=", "type": "number", "value": 2},
                ],
            },
        )
        w._rag_text_formats(ws, first, _H, row - 1, _H)
        return row

    def _tile(self, row: int, tile: Tile, data_row: int, fc: int, n: int) -> None:
        f, ws = self.f, self.ws
        values = [v for v in (*tile.actuals, *tile.targets) if v is not None]
        whole = all(float(v).is_integer() for v in values)
        num_fmt = "#,##0" if whole else "#,##0.0"
        base = {"font_size": 10, "valign": "vcenter"}
        self._height(row, 21)
        ws.write_string(row, _B, tile.label, f.cell(bold=True, **base))
        ws.write_string(row, _C, tile.unit, f.cell(font_color=SLATE, **base))
        for col, value in ((_D, tile.current), (_E, tile.target)):
            if value is None:
                ws.write_string(row, col, "–", f.cell(align="right", **base))
            else:
                ws.write_number(row, col, value, f.cell(num_format=num_fmt, bold=col == _D, **base))
        change = tile.change
        cur_col, prev_col = fc + n - 1, fc + n - 2
        if change is None or n < 2:
            ws.write_string(row, _F, "–", f.cell(align="right", **base))
        else:
            # A live formula over the chart data, with its result cached for viewers.
            sheet = quote_sheet(CHART_DATA)
            formula = f"={sheet}!{a1(data_row, cur_col)}-{sheet}!{a1(data_row, prev_col)}"
            sign_fmt = "+#,##0;-#,##0;0" if whole else "+#,##0.0;-#,##0.0;0.0"
            ws.write_formula(
                row,
                _F,
                formula,
                f.cell(num_format=sign_fmt, font_color=_change_colour(tile), **base),
                change,
            )
        rag = tile.rag
        if rag in summary.RAG_SCORE:
            ws.write_number(row, _G, summary.RAG_SCORE[rag], f.cell(align="center", **base))
        else:
            ws.write_blank(row, _G, None, f.cell(**base))
        ws.write_string(row, _H, rag, f.cell(align="center", font_size=9, valign="vcenter"))
        ws.write_blank(row, _I, None, f.cell(**base))
        spark_range = f"{quote_sheet(CHART_DATA)}!{a1(data_row, fc)}:{a1(data_row, fc + n - 1)}"
        ws.add_sparkline(
            row,
            _I,
            {
                "range": spark_range,
                "type": "column",
                "series_color": "#8EA9DB",
                "last_point": True,
                "last_color": NAVY,
                "negative_points": True,
                "negative_color": RAG_FILLS[summary.RED],
            },
        )

    def _stages(self, row: int) -> int:
        f, ws = self.f, self.ws
        row = self._section(row, _B, _I, "Life-cycle stages")
        row = self._head(
            row,
            [(_B, _B, "Stage"), (_C, _D, "Status"), (_E, _F, "Progress"), (_G, _I, "Next step")],
        )
        first = row
        table = self.c.tables.get("stages")
        next_steps: dict[str, str] = {}
        if table is not None and len(table) and "next_step" in table:
            next_steps = {
                summary.text(r.get("stage")): summary.text(r.get("next_step"))
                for r in table.to_dict("records")
            }
        cell = f.cell(font_size=9, valign="vcenter")
        for stage, status, progress in self.w.stages:
            ws.write_string(row, _B, stage, f.cell(font_size=9, bold=True, valign="vcenter"))
            self._merged(row, _C, _D, status or "–", cell)
            if progress is None:
                ws.write_string(row, _E, "–", cell)
            else:
                ws.write_number(
                    row, _E, progress, f.cell(font_size=9, num_format="0%", valign="vcenter")
                )
            ws.write_blank(row, _F, None, cell)
            self._merged(
                row,
                _G,
                _I,
                next_steps.get(stage, ""),
                f.cell(font_size=8, font_color=SLATE, valign="vcenter"),
            )
            row += 1
        ws.conditional_format(
            first,
            _E,
            row - 1,
            _E,
            {
                "type": "data_bar",
                "bar_color": "#5B9BD5",
                "bar_solid": True,
                "min_type": "num",
                "min_value": 0,
                "max_type": "num",
                "max_value": 1,
            },
        )
        return row

    def _health(self, row: int) -> int:
        w, f, ws = self.w, self.f, self.ws
        row = self._section(row, _B, _I, "Joint health check (1 = poor, 5 = excellent)")
        partners = [s for s in w.health_series if s != "Joint"][: len(_HEALTH_COLS) - 2]
        shown = partners + (["Joint"] if "Joint" in w.health_series else [])
        cols = list(_HEALTH_COLS[: len(shown)])
        spread_col = _HEALTH_COLS[len(shown)]
        head: list[tuple[Any, ...]] = [(_B, _B, "Behaviour")] + [
            (col, col, name) for col, name in zip(cols, shown, strict=True)
        ]
        if len(partners) > 1:
            head.append((spread_col, spread_col, "Spread", "center"))
        used = {c0 for c0, *_ in head}
        head += [(col, col, "") for col in range(_C, spread_col) if col not in used]
        row = self._head(row, head, 30)
        first = row
        score_fmt = f.cell(font_size=9, num_format="0", align="center", valign="vcenter")
        for i, behaviour in enumerate(w.behaviours):
            ws.write_string(row, _B, behaviour, f.cell(font_size=9, bold=True, valign="vcenter"))
            values = []
            for col, name in zip(cols, shown, strict=True):
                score = w.health_scores[name][i]
                if score is None:
                    ws.write_string(row, col, "–", score_fmt)
                else:
                    ws.write_number(
                        row,
                        col,
                        score,
                        score_fmt
                        if name != "Joint"
                        else f.cell(
                            font_size=9,
                            num_format="0.0",
                            align="center",
                            bold=True,
                            valign="vcenter",
                        ),
                    )
                    if name != "Joint":
                        values.append(score)
            for col in range(_C, spread_col):
                if col not in cols:
                    ws.write_blank(row, col, None, score_fmt)
            if len(partners) > 1:
                span = f"{a1(row, cols[0])}:{a1(row, cols[len(partners) - 1])}"
                spread = max(values) - min(values) if values else 0
                ws.write_formula(row, spread_col, f"=MAX({span})-MIN({span})", score_fmt, spread)
            row += 1
        if not w.behaviours or not cols:
            return row
        ws.conditional_format(
            first,
            cols[0],
            row - 1,
            cols[-1],
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": 1,
                "mid_type": "num",
                "mid_value": 3,
                "max_type": "num",
                "max_value": 5,
                "min_color": "#F8696B",
                "mid_color": "#FFEB84",
                "max_color": "#63BE7B",
            },
        )
        if len(partners) > 1:
            ws.conditional_format(
                first,
                spread_col,
                row - 1,
                spread_col,
                {
                    "type": "cell",
                    "criteria": ">=",
                    "value": w.t.health_gap,
                    "format": f(bg_color="#FFE699", bold=True),
                },
            )
        return row

    def _gaps(self, row: int) -> int:
        f, ws = self.f, self.ws
        gaps = summary.top_gaps(self.c)
        title = f"Top gaps ({len(gaps)} of {len(self.c.gaps)})" if self.c.gaps else "Top gaps"
        row = self._section(row, _K, _R, title)
        row = self._head(
            row,
            [
                (_K, _K, "Severity"),
                (_L := _K + 1, _L, "Area"),
                (_K + 2, _K + 4, "Item"),
                (_K + 5, _R, "Next step"),
            ],
        )
        first = row
        if not gaps:
            self._merged(
                row, _K, _R, "No gaps found this period.", f.cell(italic=True, font_size=9)
            )
            return row + 1
        cell = f.cell(font_size=8, text_wrap=True, valign="top")
        for gap in gaps:
            item, step = summary.text(gap.item), summary.text(gap.next_step)
            # Two lines at most, so rows shared with the left block stay even; the Gaps
            # sheet holds the full text.
            self._height(row, 23)
            ws.write_string(
                row, _K, gap.severity, f.cell(font_size=9, align="center", valign="top")
            )
            ws.write_string(
                row, _K + 1, gap.area, f.cell(font_size=8, valign="top", text_wrap=True)
            )
            self._merged(row, _K + 2, _K + 4, item, cell)
            self._merged(row, _K + 5, _R, step, cell)
            row += 1
        self.w._rag_text_formats(ws, first, _K, row - 1, _K)
        return row

    def _heat_map(self, row: int) -> int:
        f, ws, t = self.f, self.ws, self.w.t
        heat = summary.heat_map(self.c)
        count = sum(len(v) for v in heat.values())
        row = self._section(row, _K, _R, f"Open risks: likelihood × impact ({count} open)")
        head_fmt = f(
            bold=True,
            font_size=8,
            font_color=SLATE,
            bg_color=PALE,
            text_wrap=True,
            align="center",
            valign="vcenter",
            border=1,
            border_color=RULE,
        )
        ws.write_string(row, _K, "Likelihood ↓  Impact →", head_fmt)
        for imp in range(1, 6):
            ws.write_number(
                row,
                _K + imp,
                imp,
                f(
                    bold=True,
                    font_size=8,
                    font_color=SLATE,
                    bg_color=PALE,
                    text_wrap=True,
                    align="center",
                    valign="vcenter",
                    border=1,
                    border_color=RULE,
                    num_format=f'0 "{IMPACT[imp - 1]}"',
                ),
            )
        self._height(row, 24)
        impact_row = row
        row += 1
        first = row
        ids_fmt = f(
            bold=True,
            font_size=8,
            align="center",
            valign="vcenter",
            text_wrap=True,
            border=1,
            border_color="#FFFFFF",
        )
        for lik in range(5, 0, -1):
            self._height(row, 24)
            ws.write_number(
                row,
                _K,
                lik,
                f(
                    bold=True,
                    font_size=8,
                    font_color=SLATE,
                    bg_color=PALE,
                    align="center",
                    valign="vcenter",
                    text_wrap=True,
                    border=1,
                    border_color=RULE,
                    num_format=f'0 "{LIKELIHOOD[lik - 1]}"',
                ),
            )
            for imp in range(1, 6):
                ids = heat[(lik, imp)]
                if ids:
                    ws.write_string(row, _K + imp, ", ".join(ids), ids_fmt)
                else:
                    ws.write_blank(row, _K + imp, None, ids_fmt)
            row += 1
        # Colour by zone: the cell's likelihood (column K) times its impact (header row).
        top_left = f"${col_letter(_K)}{first + 1}*{col_letter(_K + 1)}${impact_row + 1}"
        for zone, rule in (
            (summary.RED, f">={t.risk_score_red}"),
            (summary.AMBER, f">={t.risk_score_amber}"),
            (summary.GREEN, ">=1"),
        ):
            ws.conditional_format(
                first,
                _K + 1,
                row - 1,
                _K + 5,
                {
                    "type": "formula",
                    "criteria": f"={top_left}{rule}",
                    "format": f(bg_color=ZONE_FILLS[zone]),
                    "stop_if_true": True,
                },
            )
        legend = (
            (summary.RED, f"Red: score {t.risk_score_red} or more"),
            (summary.AMBER, f"Amber: {t.risk_score_amber} to {t.risk_score_red - 1}"),
            (summary.GREEN, f"Green: below {t.risk_score_amber}"),
        )
        for i, (zone, label) in enumerate(legend):
            self._merged(
                first + i,
                _K + 6,
                _R,
                label,
                f(
                    font_size=8,
                    bg_color=ZONE_FILLS[zone],
                    valign="vcenter",
                    indent=1,
                    border=1,
                    border_color="#FFFFFF",
                ),
            )
        self._merged(
            first + 3,
            _K + 6,
            _R,
            "Score = likelihood × impact.",
            f(font_size=7, italic=True, font_color=SLATE, text_wrap=True, valign="top"),
        )
        self._merged(
            first + 4,
            _K + 6,
            _R,
            "Closed risks are left out.",
            f(font_size=7, italic=True, font_color=SLATE, text_wrap=True, valign="top"),
        )
        return row

    def _testimonials(self, row: int) -> int:
        f, _ws = self.f, self.ws
        quotes = summary.shareable_testimonials(self.c)[:3]
        row = self._section(row, _K, _R, "What partners say (shared with permission)")
        if not quotes:
            self._merged(
                row,
                _K,
                _R,
                "No testimonials cleared for sharing.",
                f(italic=True, font_size=9, font_color=SLATE),
            )
            return row + 1
        for q in quotes:
            words = summary.text(q.get("testimonial"))
            who = ", ".join(
                x
                for x in (summary.text(q.get("from_person")), summary.text(q.get("organisation")))
                if x
            )
            when = q.get("date")
            when_text = (
                when.strftime("%Y-%m-%d")
                if isinstance(when, (dt.date, pd.Timestamp))
                else summary.text(when)
            )
            quote = f"“{words}”  — {who}" + (f", {when_text}" if when_text else "")
            lines = max(1, math.ceil(len(quote) / 110))
            self._height(row, 12.5 * min(lines, 3) + 4)
            self._merged(
                row,
                _K,
                _R,
                quote,
                f(
                    italic=True,
                    font_size=9,
                    text_wrap=True,
                    valign="top",
                    bottom=1,
                    bottom_color=RULE,
                ),
            )
            row += 1
        return row

    def _successes(self, row: int) -> int:
        f, ws = self.f, self.ws
        table = self.c.tables.get("successes")
        records: list[dict[Any, Any]] = []
        if table is not None and len(table):
            # The three newest, as a stable sort of every record would give them.
            (dates,) = _frame_columns(table, ["date"])
            order = sorted(range(len(dates)), key=lambda i: summary.text(dates[i]), reverse=True)
            newest = order[:3]
            records = table.iloc[newest].to_dict("records")
        row = self._section(row, _K, _R, "Recent successes")
        if not records:
            self._merged(row, _K, _R, "No successes recorded yet.", f(italic=True, font_size=9))
            return row + 1
        for rec in records[:3]:
            when = rec.get("date")
            when_text = (
                when.strftime("%Y-%m-%d")
                if isinstance(when, (dt.date, pd.Timestamp))
                else summary.text(when)
            )
            ws.write_string(row, _K, when_text, f.cell(font_size=8, font_color=SLATE))
            self._merged(
                row,
                _K + 1,
                _K + 4,
                summary.text(rec.get("success")),
                f.cell(font_size=8, bold=True, text_wrap=True),
            )
            self._merged(
                row,
                _K + 5,
                _R,
                summary.text(rec.get("value_created")),
                f.cell(font_size=8, text_wrap=True, font_color=SLATE),
            )
            self._height(row, 23)
            row += 1
        return row
