"""The "Plan changes" sheet: how the RMP itself changed, config version to version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rmp_workbook.plan import PLAN_CHANGE_HEADERS

if TYPE_CHECKING:
    import pandas as pd
    from xlsxwriter.worksheet import Worksheet

    from rmp_workbook.dashboard.tables import Tables

PLAN_CHANGES = "Plan changes"

_WIDTHS = {
    "period": 11.0,
    "seen_at": 17.0,
    "seen_by": 16.0,
    "change": 24.0,
    "item": 34.0,
    "before": 28.0,
    "after": 28.0,
}
_COLUMNS = {c: (PLAN_CHANGE_HEADERS[c], w) for c, w in _WIDTHS.items()}
"""Column -> (header, width) of :func:`rmp_workbook.plan.plan_changes_frame`'s columns."""


def write_plan_changes(writer: Tables, ws: Worksheet, changes: pd.DataFrame | None) -> None:
    """Every change to the plan (targets, owners, partners joined or left, KPIs added or
    dropped, thresholds), oldest first, as an Excel table; empty while the plan has one
    version (or was never given to a merge with --config)."""
    writer._frame_sheet(ws, changes, "PlanChangesTable", _COLUMNS)
