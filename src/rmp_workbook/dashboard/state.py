"""The writer's state: the workbook's sheets, the consolidation, thresholds, formats,
the computed tiles and where Chart data keeps each series (filled as the parts write).
"""

from __future__ import annotations

import datetime as dt

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from rmp_workbook import schema, summary
from rmp_workbook.config import Thresholds
from rmp_workbook.dashboard.cells import _Formats
from rmp_workbook.records import Consolidated
from rmp_workbook.schema import Sheet

DASHBOARD = "Dashboard"
CHARTS = "Charts"
CHART_DATA = "Chart data"
ABOUT = "About"


def data_sheets() -> tuple[Sheet, ...]:
    """The reconciled schema sheets the workbook shows, in the partners' workbook order.

    Read from :data:`rmp_workbook.schema.SHEETS` when the workbook is written: a sheet
    added to the schema becomes a data sheet here with no list to keep.
    """
    return tuple(schema.SHEETS)


DATA_SHEETS: tuple[str, ...] = tuple(s.key for s in data_sheets())
"""Keys of the reconciled schema sheets, in the order the workbook shows them."""


class WriterState:
    """What every part of the consolidated workbook reads; the sheets are added by
    :meth:`~rmp_workbook.dashboard.workbook._Writer.write`."""

    dash: Worksheet
    charts: Worksheet
    sheets: tuple[Sheet, ...]
    """The schema sheets written as data sheets."""
    data_ws: dict[str, Worksheet]
    gaps_ws: Worksheet
    disc_ws: Worksheet
    subs_ws: Worksheet
    dq_ws: Worksheet
    rest_ws: Worksheet
    cd: Worksheet
    about: Worksheet

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
