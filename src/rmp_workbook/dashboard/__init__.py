"""The consolidated workbook executives open: dashboard, charts and reconciled data.

``write_consolidated`` turns a :class:`~rmp_workbook.records.Consolidated` into one
xlsx file (xlsxwriter): a one-page ``Dashboard`` first, native charts, every
reconciled sheet as an Excel table, gaps, discrepancies, submissions, data
quality, restatements, the chart data and an ``About`` sheet. Partner text is
always written with ``write_string``; every formula rmp writes carries its
computed result, so viewers that do not recalculate still show the figures.

Parts: :mod:`.cells` (colours, formats, writing values), :mod:`.tables` (the data
sheets), :mod:`.chart_data`, :mod:`.charts`, :mod:`.page` (the Dashboard sheet) and
:mod:`.workbook` (sheet order, About, writing the file); :mod:`.state` is what they share.
"""

from rmp_workbook.dashboard.cells import write_value
from rmp_workbook.dashboard.state import ABOUT, CHART_DATA, CHARTS, DASHBOARD, DATA_SHEETS
from rmp_workbook.dashboard.workbook import WORKBOOK_OPTIONS, _Writer, write_consolidated

__all__ = [
    "ABOUT",
    "CHARTS",
    "CHART_DATA",
    "DASHBOARD",
    "DATA_SHEETS",
    "WORKBOOK_OPTIONS",
    "_Writer",
    "write_consolidated",
    "write_value",
]
