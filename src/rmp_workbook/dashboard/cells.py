"""Cells and formats of the consolidated workbook: colours, cell formats, and
writing values by type (text always as text, never a formula or link).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from rmp_workbook.rag import (  # noqa: F401  (the dashboard's modules take them from here)
    AMBER,
    GREEN,
    NAVY,
    RAG_COLOURS,
    RED,
    SERIES_COLOURS,
    SLATE,
    ZONE_FILLS,
)
from rmp_workbook.schema import ColType
from rmp_workbook.values import as_number, is_missing

PALE = "#F2F4F7"
RULE = "#BFC7D5"
RAG_FILLS = {k: RAG_COLOURS[k] for k in (RED, AMBER, GREEN)}
"""The status fills: the palette is :mod:`rmp_workbook.rag`'s, shared with the images."""

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
    if is_missing(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, pd.Timestamp):
        ws.write_datetime(row, col, value.to_pydatetime(), date_fmt or fmt)
    elif isinstance(value, (dt.datetime, dt.date)):
        ws.write_datetime(row, col, value, date_fmt or fmt)
    elif as_number(value) is not None and not isinstance(value, str):
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
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, pd.Timestamp)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    return value
