"""The writer's state: the workbook's sheets, the consolidation, thresholds, formats,
the computed tiles and where Chart data keeps each series (filled as the parts write).
"""

from __future__ import annotations

import datetime as dt

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from rmp_workbook import summary
from rmp_workbook.config import Thresholds
from rmp_workbook.dashboard.cells import _Formats
from rmp_workbook.records import Consolidated

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


class WriterState:
    """What every part of the consolidated workbook reads; the sheets are added by
    :meth:`~rmp_workbook.dashboard.workbook._Writer.write`."""

    dash: Worksheet
    charts: Worksheet
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
