"""A reconciled row's values as people and rules read them: plain cells, matching keys,
display text and an item's readable name.

Shared by reconciliation, the gap rules and the outputs (which sit downstream of
reconciliation), so none of them imports another for a helper.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from rmp_workbook.schema import SHEETS, Sheet
from rmp_workbook.values import fold_text as norm_text
from rmp_workbook.values import key_text as norm_key

__all__ = [
    "as_date",
    "clean",
    "day_after",
    "format_value",
    "item_label",
    "norm_key",
    "norm_text",
    "percent",
]

LABEL_COLUMNS = {s.key: s.label for s in SHEETS if s.label}
"""A descriptive column shown after the key in an item's readable name (``Sheet.label``)."""


def clean(value: Any) -> Any:
    """A frame cell as a plain Python value: None for NaN/NaT, dates as ``datetime.date``."""
    # Called per cell: the common exact types first, the general checks after.
    kind = type(value)
    if kind is str:
        return value if value.strip() else None
    if kind is float:
        return None if value != value else value
    if kind is int or kind is dt.date or value is None:
        return value
    if value is pd.NaT:  # a blank date: NaT is a datetime too, and compares with no date
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()  # numpy scalar
        except (AttributeError, ValueError, TypeError):
            return value
        return clean(value)
    if isinstance(value, str):
        return value if value.strip() else None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def as_date(value: Any) -> dt.date | None:
    """A cell's date (a date and time gives its day); None when it holds no date (blank,
    NaN or NaT, or not a date)."""
    value = clean(value)
    return value if isinstance(value, dt.date) and value is not pd.NaT else None


def day_after(day: dt.date) -> str:
    """The day after ``day`` in ISO form: when something due on ``day`` became overdue."""
    return (day + dt.timedelta(days=1)).isoformat()


def format_value(value: Any) -> str:
    """A value as people read it: 91 not 91.0, dates in ISO form, blank as ''."""
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def percent(fraction: float) -> str:
    """0.01 -> ``1%``, 0.005 -> ``0.5%``: a tolerance as people write it."""
    return f"{fraction * 100:.2f}".rstrip("0").rstrip(".") + "%"


def item_key(sheet: Sheet, values: Mapping[str, Any]) -> tuple[str, ...]:
    """An item's identity on its sheet, whatever the period: its key cells as rows are
    matched (a KPI: its ID; an SLA line: service and measure; a register: its ID)."""
    return tuple(norm_key(values.get(k)) for k in sheet.keys if k != sheet.period)


def item_label(sheet: Sheet, values: Mapping[str, Any]) -> str:
    """A readable name for a row: its key values, then a describing column when there is one."""
    if sheet.key == "contacts":
        name, mail = format_value(values.get("name")), format_value(values.get("email"))
        return f"{name} <{mail}>" if name and mail else name or mail
    parts = [format_value(values.get(k)) for k in sheet.keys if k != sheet.period]
    label = " / ".join(p for p in parts if p)
    extra = LABEL_COLUMNS.get(sheet.key)
    if extra and format_value(values.get(extra)):
        text = format_value(values.get(extra))
        if len(text) > 60:  # cut at a word ("launch sl…" reads as a typo)
            head = text[:57]
            cut = head.rfind(" ")
            text = (head[:cut] if cut > 30 else head).rstrip(" ,;:–-") + "…"
        label = f"{label} {text}".strip()
    return label
