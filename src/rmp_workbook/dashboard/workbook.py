"""The consolidated workbook as a whole: its options, the order of its sheets, the
About sheet, and writing it atomically.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlsxwriter

from rmp_workbook import __version__
from rmp_workbook.atomic import atomic_output
from rmp_workbook.config import Thresholds
from rmp_workbook.dashboard.cells import (
    NAVY,
    _columns,
)
from rmp_workbook.dashboard.chart_data import ChartData
from rmp_workbook.dashboard.charts import Charts
from rmp_workbook.dashboard.page import _Dashboard
from rmp_workbook.dashboard.plan_changes import PLAN_CHANGES, write_plan_changes
from rmp_workbook.dashboard.state import (
    ABOUT,
    CHART_DATA,
    CHARTS,
    DASHBOARD,
    data_sheets,
)
from rmp_workbook.dashboard.tables import (
    _DATA_QUALITY_HEADERS,
    _DISCREPANCY_HEADERS,
    _RESTATEMENT_HEADERS,
    _SUBMISSION_HEADERS,
)
from rmp_workbook.records import Consolidated
from rmp_workbook.schema import SCHEMA_VERSION
from rmp_workbook.status import submission_rows

WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "remove_timezone": True,
    "default_format_properties": {"font_name": "Arial", "font_size": 10},
}


def write_consolidated(
    c: Consolidated, path: str | os.PathLike[str], thresholds: Thresholds | None = None
) -> Path:
    """Write the consolidated workbook to ``path`` atomically and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, suffix=".xlsx") as tmp, _collector_paused():
        workbook = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        _Writer(workbook, c, thresholds or c.thresholds).write()
        workbook.close()
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


class _Writer(ChartData, Charts):
    """Writes every sheet of the consolidated workbook."""

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
        self.sheets = data_sheets()
        self.data_ws = {s.key: wb.add_worksheet(s.name) for s in self.sheets}
        self.gaps_ws = wb.add_worksheet("Gaps")
        self.disc_ws = wb.add_worksheet("Discrepancies")
        self.subs_ws = wb.add_worksheet("Submissions")
        self.dq_ws = wb.add_worksheet("Data quality")
        self.rest_ws = wb.add_worksheet("Restatements")
        self.plan_ws = wb.add_worksheet(PLAN_CHANGES)
        self.cd = wb.add_worksheet(CHART_DATA)
        self.about = wb.add_worksheet(ABOUT)
        self.dash.activate()
        self.dash.set_first_sheet()

        for sheet in self.sheets:
            self._schema_sheet(sheet)
        self._gaps_sheet()
        self._frame_sheet(
            self.disc_ws, self.c.discrepancies, "DiscrepanciesTable", _DISCREPANCY_HEADERS
        )
        # Every file with its state and due day, as rmp status gives them (status.py).
        submissions = submission_rows(
            self.c.submissions,
            self.c.period,
            self.c.expected_partners,
            self.c.due_dates,
            self.c.data_quality,
        )
        self._frame_sheet(self.subs_ws, submissions, "SubmissionsTable", _SUBMISSION_HEADERS)
        self._frame_sheet(
            self.dq_ws, self.c.data_quality, "DataQualityTable", _DATA_QUALITY_HEADERS
        )
        self._frame_sheet(
            self.rest_ws, self.c.restatements, "RestatementsTable", _RESTATEMENT_HEADERS
        )
        write_plan_changes(self, self.plan_ws, self.c.plan_changes)
        self._chart_data()
        self._charts()
        self._dashboard()
        self._about()

    # ------------------------------------------------------------------ dashboard

    def _dashboard(self) -> None:
        _Dashboard(self).write()

    # ------------------------------------------------------------------ about

    def _about(self) -> None:
        ws, f, c = self.about, self.f, self.c
        ws.write_string(0, 0, "About this workbook", f(bold=True, font_size=14, font_color=NAVY))
        generated = self.generated
        facts: list[tuple[str, Any]] = [
            ("Relationship", c.relationship_name),
            ("Relationship ID", c.relationship_id),
            ("Period", c.period),
            ("Partners expected", _names(c.expected_partners)),
            ("Partners submitted", _names(c.partners)),
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
            [
                f.cell(bold=True),
                f.cell(align="left", num_format="yyyy-mm-dd hh:mm", text_wrap=True),
            ],
            [30, 62],
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
            [30, 62],  # a SHA-256 in 8-point Courier is 58 characters of Arial wide
        )
        ws.set_portrait()
        ws.set_paper(9)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.fit_to_pages(1, 0)


def _names(names: list[str], limit: int = 20) -> str:
    """Partner names for the About sheet; a network's are counted, not listed."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{len(names)} partners (each is on the Dashboard or the Submissions sheet)"
