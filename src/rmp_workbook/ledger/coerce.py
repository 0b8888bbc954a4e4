"""Value coercion: the ledger stores what the schema says, or refuses the run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticCustomError

from rmp_workbook.schema import ColType
from rmp_workbook.values import to_number


class _Uncoercible(Exception):
    pass


def _to_float(v: Any) -> float:
    # Text is read as a person typed it (values.to_number: "93,5" is 93.5; "1,250" reads
    # two ways and is refused), never by dropping every comma.
    try:
        number = to_number(v)
    except PydanticCustomError:
        raise _Uncoercible from None
    if number is None:
        raise _Uncoercible
    return number


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
