"""An agreed value (``rmp signoff``) as text and back: how a sign-off workbook's hidden
sheet and the ledger keep it, typed again by the schema column it settles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rmp_workbook.plain import clean
from rmp_workbook.schema import SCHEMA, ColType, Column

__all__ = ["column_of", "value_from_text", "value_text"]


def column_of(sheet_key: str, column_key: str) -> Column | None:
    sheet = SCHEMA.get(sheet_key)
    if sheet is None:
        return None
    return next((c for c in sheet.columns if c.key == column_key), None)


def value_text(value: Any) -> str:
    """An agreed value as the ledger stores it: numbers in full, dates in ISO form."""
    value = clean(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def value_from_text(col: Column | None, text: str) -> Any:
    """A stored agreed value typed as its column holds values."""
    if col is None or not text:
        return text or None
    if col.type in (ColType.INTEGER, ColType.SCORE):
        return int(float(text))
    if col.type in (ColType.NUMBER, ColType.PERCENT, ColType.FORMULA):
        return float(text)
    if col.type is ColType.DATE:
        return dt.date.fromisoformat(text)
    return text
