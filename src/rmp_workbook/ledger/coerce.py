"""Value coercion: the ledger stores what the schema says, or refuses the run."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from rmp_workbook.schema import ColType


class _Uncoercible(Exception):
    pass


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise _Uncoercible
    if isinstance(v, (int, float)):
        f = float(v)
        if math.isnan(f):
            raise _Uncoercible
        return f
    if isinstance(v, str):
        try:
            f = float(v.strip().replace(",", ""))
        except ValueError:
            raise _Uncoercible from None
        if math.isnan(f):
            raise _Uncoercible
        return f
    raise _Uncoercible


def _to_int(v: Any) -> int:
    f = _to_float(v)
    if not f.is_integer():
        raise _Uncoercible
    return int(f)


def _to_date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            raise _Uncoercible from None
    raise _Uncoercible


def _to_text(v: Any) -> str:
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _coercer(col_type: ColType) -> Callable[[Any], Any]:
    if col_type in (ColType.INTEGER, ColType.SCORE):
        return _to_int
    if col_type in (ColType.NUMBER, ColType.PERCENT, ColType.FORMULA):
        return _to_float
    if col_type is ColType.DATE:
        return _to_date
    return _to_text


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v)
