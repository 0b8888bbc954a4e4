"""Typed row models derived from the schema, with the coercions people need.

One pydantic model per sheet (:func:`row_model`), built with ``create_model``
from :data:`rmp_workbook.schema.SCHEMA`: each column becomes a field with its
type, allowed values (``Literal``), range (``ge``/``le``) and requiredness.
Cells arrive as spreadsheets store them (numbers as text, ``"91%"``, ``3.0``
for 3, Excel date serials, ``"Nov 2026"``…); ``BeforeValidator`` coercions turn
them into clean values or raise a :class:`PydanticCustomError` whose type is a
finding code (``type-error``, ``out-of-range``, ``not-in-list``, ``required``)
and whose context carries a hint for the person who filled the cell.

A coercion that has to guess (60 in a 0-100% column) records the guess in the
validation context (``context["guesses"]``) so the validator reports it as a
``guessed-percent`` warning: it is never silent.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, create_model
from pydantic_core import PydanticCustomError

from rmp_workbook.schema import SCHEMA, SCHEMA_VERSION, SHEETS, ColType, Column, Sheet, SheetKind

EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day zero of Excel's (1900) date serials, allowing for its 1900 leap-year bug."""

_SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31
_BLANK_STRINGS = {"", "-", "—", "–", "n/a"}

_MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}

_TRUE = {"yes", "y", "true", "1", "1.0", "ja", "oui", "si", "x"}
_FALSE = {"no", "n", "false", "0", "0.0", "nein", "non"}

# Words people type on a 1-5 scale instead of the number: shown in the hint, never applied.
_SCALE_WORDS = {"very low": 1, "low": 2, "medium": 3, "moderate": 3, "high": 4, "very high": 5}


_NORM_DROP = re.compile(r"[\s_]+")


@functools.lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    return _NORM_DROP.sub("", text.casefold()).rstrip("*")


def norm(text: str) -> str:
    """A name compared forgivingly: case, spaces, underscores and a trailing ``*`` ignored."""
    # Headers, choices and IDs recur across rows and files: the cache pays for itself.
    return _norm(text if type(text) is str else str(text))


def is_blank(value: Any) -> bool:
    """True for an empty cell: None, '' or whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def _err(code: str, message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, message, ctx)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- Scalar coercions ------------------------------------------------------------------------


def to_text(value: Any) -> str | None:
    """Any cell to text: 3.0 -> '3', dates to ISO, whitespace trimmed, blank -> None."""
    if type(value) is str:  # nearly every text cell: the checks below are for the rest
        return value.strip() or None
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return _show(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_NUM_CLEAN = re.compile(r"[\s\u00a0\u202f,'£$€]")


def to_number(value: Any) -> float | None:
    """A number from a number or from text such as '1,250', '£1 250.50', '91%' (-> 91)."""
    kind = type(value)
    if kind is float and value - value == 0.0:  # finite: inf - inf and NaN are NaN
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise _err("type-error", "a number", hint="Type a number such as 12.5.")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _err("type-error", "a number", hint="Type a number such as 12.5.")
        return float(value)
    if isinstance(value, str):
        text = _NUM_CLEAN.sub("", value.strip()).rstrip("%")
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise _err("type-error", "a number", hint="Type a number such as 12.5 (digits only).")


def to_integer(value: Any, *, column: Column | None = None) -> int | None:
    """A whole number: 3, 3.0 and '3' are 3; 3.5 and 'high' are type errors."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float and value.is_integer():
        return int(value)
    if is_blank(value):
        return None
    try:
        number = to_number(value)
    except PydanticCustomError:
        number = None
    if number is None or not number.is_integer():
        raise _err("type-error", "a whole number", hint=_integer_hint(value, column))
    return int(number)


def _integer_hint(value: Any, column: Column | None) -> str:
    if column is None:
        return "Type a whole number."
    lo, hi = column.minimum, column.maximum
    span = f" from {_show(lo)} to {_show(hi)}" if lo is not None and hi is not None else ""
    hint = f"Type a whole number{span}."
    word = str(value).strip().casefold()
    meanings = {
        m.group(2).strip().casefold(): int(m.group(1)) for m in _HELP_SCALE.finditer(column.help)
    }
    if word in meanings:
        hint += f" '{_show(value)}' is {meanings[word]} on this scale."
    elif column.type is ColType.SCORE and word in _SCALE_WORDS:
        hint += f" {word.capitalize()} {column.header.lower()} is {_SCALE_WORDS[word]}."
    return hint


_HELP_SCALE = re.compile(r"(\d+)\s*=\s*([A-Za-z][A-Za-z \-]*?)(?=[,.;]|$)")


def to_percent(value: Any, info: ValidationInfo | None = None, *, column: str = "") -> float | None:
    """A fraction 0..1: 0.91, '91%', '91 %', '0.91'. 60 is guessed as 60% (recorded)."""
    if is_blank(value):
        return None
    had_sign = isinstance(value, str) and value.strip().endswith("%")
    number = to_number(value)
    assert number is not None
    if had_sign:
        return number / 100
    if 1 < number <= 100:
        _guess(info, column, value, number / 100, f"{_show(number)}%")
        return number / 100
    return number


def _guess(info: ValidationInfo | None, column: str, found: Any, used: Any, shown: str) -> None:
    if info is not None and isinstance(info.context, dict):
        info.context.setdefault("guesses", []).append((column, found, used, shown))


def from_serial(serial: float) -> dt.datetime:
    """An Excel date serial (1900 system) to a datetime."""
    return dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(days=serial)


_ISO_DATE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DMY_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_TEXT_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ \-]([A-Za-z]+)\.?,?[ \-](\d{4})$")

DATE_HINT = "Type a date as 2026-11-05 or 05/11/2026 (day/month/year)."


def to_date(value: Any) -> dt.date | None:
    """A date from a date cell, an Excel serial, ISO text, dd/mm/yyyy text or '5 Nov 2026'."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return from_serial(float(value)).date()
        raise _err("type-error", "a date", hint=DATE_HINT)
    if isinstance(value, str):
        text = value.strip()
        parts: tuple[int, int, int] | None = None
        if m := _ISO_DATE.match(text):
            parts = int(m.group(1)), int(m.group(2)), int(m.group(3))
        elif m := _DMY_DATE.match(text):
            parts = int(m.group(3)), int(m.group(2)), int(m.group(1))
        elif (m := _TEXT_DATE.match(text)) and m.group(2).lower() in _MONTHS:
            parts = int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))
        if parts is not None:
            try:
                return dt.date(*parts)
            except ValueError:
                pass
        else:
            try:
                return to_date(float(_NUM_CLEAN.sub("", text)))
            except (ValueError, PydanticCustomError):
                pass
    raise _err("type-error", "a date", hint=DATE_HINT)


_PERIOD_YM = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
_PERIOD_MY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{4})$")
_PERIOD_TEXT = re.compile(r"^([A-Za-z]+)\.?[\s\-,/]*(\d{4})$")
_PERIOD_TEXT_YEAR_FIRST = re.compile(r"^(\d{4})[\s\-,/]*([A-Za-z]+)\.?$")

PERIOD_HINT = "Type the month as YYYY-MM, e.g. 2026-11."


def to_period(value: Any) -> str | None:
    """A month ``YYYY-MM`` from '2026-11', '2026/11', '11/2026', 'Nov 2026' or a date."""
    if is_blank(value):
        return None
    if isinstance(value, (dt.date, int, float)) and not isinstance(value, bool):
        try:
            day = to_date(value)
        except PydanticCustomError:
            raise _err("type-error", "a month", hint=PERIOD_HINT) from None
        assert day is not None
        return f"{day.year:04d}-{day.month:02d}"
    text = str(value).strip()
    year = month = None
    if m := _PERIOD_YM.match(text):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _PERIOD_MY.match(text):
        year, month = int(m.group(2)), int(m.group(1))
    elif (m := _PERIOD_TEXT.match(text)) and m.group(1).lower() in _MONTHS:
        year, month = int(m.group(2)), _MONTHS[m.group(1).lower()]
    elif (m := _PERIOD_TEXT_YEAR_FIRST.match(text)) and m.group(2).lower() in _MONTHS:
        year, month = int(m.group(1)), _MONTHS[m.group(2).lower()]
    else:
        try:
            day = to_date(text)
        except PydanticCustomError:
            day = None
        if day is not None:
            year, month = day.year, day.month
    if year is None or month is None or not 1 <= month <= 12:
        raise _err("type-error", "a month", hint=PERIOD_HINT)
    return f"{year:04d}-{month:02d}"


def to_choice(value: Any, choices: tuple[str, ...], header: str = "") -> str | None:
    """One of ``choices``, matched ignoring case and spacing; Yes/No also from True/1/Y."""
    if is_blank(value):
        return None
    by_norm = _choice_map(choices)
    text = to_text(value) or ""
    if norm(text) in by_norm:
        return by_norm[norm(text)]
    if set(by_norm) == {"yes", "no"}:
        key = text.casefold()
        if key in _TRUE:
            return "Yes"
        if key in _FALSE:
            return "No"
    allowed = ", ".join(choices)
    raise _err("not-in-list", "one of the allowed values", hint=f"Pick one of: {allowed}.")


@functools.cache
def _choice_map(choices: tuple[str, ...]) -> dict[str, str]:
    return {norm(c): c for c in choices}


def to_bool(value: Any) -> bool | None:
    """Yes/No/True/False/1/0 (and 1.0, as LibreOffice stores booleans) to a bool."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    key = _show(value).strip().casefold() if isinstance(value, float) else str(value).casefold()
    if key.strip() in _TRUE:
        return True
    if key.strip() in _FALSE:
        return False
    raise _err("type-error", "yes or no", hint="Type Yes or No.")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def to_email(value: Any) -> str | None:
    text = to_text(value)
    if text is None:
        return None
    text = text.removeprefix("mailto:")
    if not _EMAIL.match(text):
        raise _err("type-error", "an e-mail address", hint="Type an address like name@company.com.")
    return text


def to_phone(value: Any) -> str | None:
    text = to_text(value)
    if text is not None and not re.search(r"\d", text):
        raise _err("type-error", "a phone number", hint="Type digits, e.g. +44 20 7946 0000.")
    return text


# --- Column -> field ---------------------------------------------------------------------------


def _coercer(column: Column) -> Any:
    """The BeforeValidator function of a column: coerce, then check requiredness and length."""
    kind = column.type
    convert: Any
    # The conversion is picked once per column, not per cell.
    if kind in (ColType.TEXT, ColType.LONG_TEXT):
        limit = column.max_length

        def convert(value: Any, info: Any) -> Any:
            out = to_text(value)
            if out is not None and len(out) > limit:
                raise _err(
                    "out-of-range",
                    f"at most {limit} characters",
                    hint=f"Shorten it to {limit} characters or fewer.",
                )
            return out

    elif kind is ColType.INTEGER or kind is ColType.SCORE:

        def convert(value: Any, info: Any) -> Any:
            return to_integer(value, column=column)

    elif kind is ColType.NUMBER or kind is ColType.FORMULA:

        def convert(value: Any, info: Any) -> Any:
            return to_number(value)

    elif kind is ColType.PERCENT:

        def convert(value: Any, info: Any) -> Any:
            return to_percent(value, info, column=column.key)

    elif kind is ColType.DATE:

        def convert(value: Any, info: Any) -> Any:
            return to_date(value)

    elif kind is ColType.PERIOD:

        def convert(value: Any, info: Any) -> Any:
            return to_period(value)

    elif kind is ColType.CHOICE:
        choices, header = column.choices, column.header

        def convert(value: Any, info: Any) -> Any:
            return to_choice(value, choices, header)

    elif kind is ColType.EMAIL:

        def convert(value: Any, info: Any) -> Any:
            return to_email(value)

    elif kind is ColType.PHONE:

        def convert(value: Any, info: Any) -> Any:
            return to_phone(value)

    else:  # pragma: no cover - every ColType is handled above

        def convert(value: Any, info: Any) -> Any:
            return value

    required = column.required

    def coerce(value: Any, info: ValidationInfo) -> Any:
        out = convert(value, info)
        if out is None and required:
            raise _err("required", "a value", hint=f"Fill in {column.header}: {column.help}")
        return out

    return coerce


class _Context:
    """What a coercer sees of pydantic's ``ValidationInfo`` on the fast path: the context."""

    __slots__ = ("context",)

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context


FastRow = Any
"""``(values, context) -> typed dict or None``: see :func:`fast_row`."""


_FAIL = object()
"""A memo's mark for a text that does not type (the row goes to the pydantic model)."""

_MEMO_MAX = 4096
"""Texts remembered per column: choices and months recur, free text would only grow it."""

# How a column's most common cell type is typed inline on the fast path.
_INLINE_TEXT, _INLINE_NUMBER, _INLINE_INTEGER, _INLINE_PERCENT, _INLINE_DATE = range(5)


def _inline(column: Column) -> int | None:
    kind = column.type
    if kind in (ColType.TEXT, ColType.LONG_TEXT):
        return _INLINE_TEXT
    if kind in (ColType.NUMBER, ColType.FORMULA):
        return _INLINE_NUMBER
    if kind in (ColType.INTEGER, ColType.SCORE):
        return _INLINE_INTEGER
    if kind is ColType.PERCENT:
        return _INLINE_PERCENT
    if kind is ColType.DATE:
        return _INLINE_DATE
    return None


@functools.cache
def fast_row(sheet_key: str) -> FastRow:
    """A function that types one row like ``row_model(sheet_key)`` does, without pydantic.

    It runs the same column coercers and checks the same type and range constraints.
    It returns None whenever anything fails (a coercer raises, a required key is absent,
    a value is out of range): the caller then validates the row with the pydantic model,
    which stays the source of truth for errors and their messages. Clean rows, nearly
    all of them, never build a model.

    The cell types nearly every cell has (text in a text column, a finite float in a
    number column, a date cell in a date column) are typed inline with the coercer's
    exact result; choices and months are remembered per column by their text; any
    other cell goes through the column's coercer.
    """
    sheet = SCHEMA[sheet_key]
    plan: list[tuple[Any, ...]] = []
    for column in sheet.columns:
        numeric = column.type in (ColType.INTEGER, ColType.SCORE, ColType.NUMBER, ColType.PERCENT)
        plan.append(
            (
                column.key,
                _inline(column),
                _coercer(column),
                _python_type(column),
                column.required and column.is_input,
                column.required,
                column.max_length,
                column.minimum if numeric else None,
                column.maximum if numeric else None,
                # A text's result depends on the text alone, except in a percent column
                # (60 records a guess): remembered per column.
                None if column.type is ColType.PERCENT else {},
            )
        )

    def slow(value: Any, coerce: Any, base: Any, lo: Any, hi: Any, info: _Context) -> Any:
        """One cell through its coercer and the model's type and range checks, or _FAIL."""
        try:
            value = coerce(value, info)
        except PydanticCustomError:
            return _FAIL
        if value is None:
            return None
        kind = type(value)
        if base is float:
            if kind is int:
                value = float(value)
            elif kind is not float:
                return _FAIL
        elif base is int or base is str:
            if kind is not base:
                return _FAIL
        elif base is dt.date:
            if kind is not dt.date:
                return _FAIL
        elif kind is not str:  # a Literal of choices: the coercer returned one
            return _FAIL
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            return _FAIL
        return value

    def typed(values: dict[str, Any], context: dict[str, Any]) -> dict[str, Any] | None:
        info = _Context(context)
        out: dict[str, Any] = {}
        for key, inline, coerce, base, required_key, required, limit, lo, hi, memo in plan:
            if key not in values:
                if required_key:
                    return None
                out[key] = None
                continue
            value = values[key]
            if value is None:  # every coercer gives None for None
                if required:
                    return None
                out[key] = None
                continue
            kind = value.__class__
            if inline == _INLINE_TEXT and kind is str:  # to_text, then the length check
                value = value.strip() or None
                if value is None:
                    if required:
                        return None
                elif len(value) > limit:
                    return None
                out[key] = value
                continue
            if inline == _INLINE_NUMBER and (
                (kind is float and value - value == 0.0) or kind is int  # to_number
            ):
                if kind is int:
                    value = float(value)
            elif inline == _INLINE_INTEGER and (
                kind is int or (kind is float and value.is_integer())  # to_integer
            ):
                if kind is float:
                    value = int(value)
            elif (
                inline == _INLINE_PERCENT  # to_percent of a fraction: no guess
                and kind is float
                and value - value == 0.0
                and not 1 < value <= 100
            ):
                pass
            elif inline == _INLINE_DATE and (kind is dt.datetime or kind is dt.date):
                out[key] = value.date() if kind is dt.datetime else value  # to_date
                continue
            elif memo is not None and kind is str:
                hit = memo.get(value, memo)
                if hit is memo:
                    hit = slow(value, coerce, base, lo, hi, info)
                    if len(memo) < _MEMO_MAX:
                        memo[value] = hit
                value = hit
            else:
                value = slow(value, coerce, base, lo, hi, info)
            if value is _FAIL:
                return None
            if value is not None and (
                (lo is not None and value < lo) or (hi is not None and value > hi)
            ):
                return None
            out[key] = value
        return out

    return typed


def _python_type(column: Column) -> Any:
    if column.type is ColType.CHOICE:
        return Literal[column.choices]  # type: ignore[valid-type]
    return column.type.python_type


def field_definition(column: Column) -> tuple[Any, Any]:
    """The ``(annotation, FieldInfo)`` pair of a column for ``create_model``."""
    extra: dict[str, Any] = {"x-header": column.header, "x-column-type": str(column.type)}
    if column.type is ColType.FORMULA:
        extra["readOnly"] = True
        extra["x-formula"] = column.formula
    if column.type is ColType.PERIOD:
        extra["pattern"] = r"^\d{4}-(0[1-9]|1[0-2])$"
    if column.type is ColType.EMAIL:
        extra["format"] = "email"
    constraints: dict[str, Any] = {}
    if column.type in (ColType.INTEGER, ColType.SCORE, ColType.NUMBER, ColType.PERCENT):
        if column.minimum is not None:
            constraints["ge"] = column.minimum
        if column.maximum is not None:
            constraints["le"] = column.maximum
    if column.type in (ColType.TEXT, ColType.LONG_TEXT):
        constraints["max_length"] = column.max_length
    base = _python_type(column)
    annotation: Any = Annotated[base, BeforeValidator(_coercer(column))]
    if column.required and column.is_input:
        info = Field(
            ...,
            title=column.header,
            description=column.help,
            json_schema_extra=extra,
            **constraints,
        )
    else:
        annotation = Annotated[base | None, BeforeValidator(_coercer(column))]
        info = Field(
            None,
            title=column.header,
            description=column.help,
            json_schema_extra=extra,
            **constraints,
        )
    return annotation, info


class RowModel(BaseModel):
    """Base of every sheet's row model."""

    model_config = ConfigDict(extra="ignore", frozen=True)


@functools.cache
def row_model(sheet_key: str) -> type[RowModel]:
    """The pydantic model of one row of a sheet (one form for FORM sheets)."""
    sheet = SCHEMA[sheet_key]
    fields = {col.key: field_definition(col) for col in sheet.columns}
    name = "".join(part.capitalize() for part in sheet.key.split("_")) + "Row"
    model: type[RowModel] = create_model(  # type: ignore[call-overload]
        name, __base__=RowModel, __doc__=sheet.help, **fields
    )
    return model


def _sheet_schema(sheet: Sheet) -> dict[str, Any]:
    row = row_model(sheet.key).model_json_schema()
    row.pop("title", None)
    extra = {"x-sheet": sheet.name, "x-kind": str(sheet.kind), "description": sheet.help}
    if sheet.kind is SheetKind.FORM:
        return {"title": sheet.name, **extra, **row}
    meta: dict[str, Any] = {"x-keys": list(sheet.keys)}
    if sheet.alt_keys:
        meta["x-alt-keys"] = list(sheet.alt_keys)
    if sheet.fixed_rows:
        meta["x-fixed-rows"] = list(sheet.fixed_rows)
    return {"title": sheet.name, **extra, **meta, "type": "array", "items": row}


def workbook_json_schema() -> dict[str, Any]:
    """The JSON Schema of a whole RMP workbook: one property per sheet, by sheet key."""
    sheets = {sheet.key: _sheet_schema(sheet) for sheet in SHEETS}
    defs: dict[str, Any] = {}
    for body in sheets.values():
        target = body.get("items", body)
        defs.update(target.pop("$defs", {}))
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://rmp-workbook.example/schema/{SCHEMA_VERSION}/workbook.json",
        "title": "RMP workbook",
        "description": "A partner's Relationship Management Plan workbook, sheet by sheet.",
        "x-schema-version": SCHEMA_VERSION,
        "type": "object",
        "properties": sheets,
        "required": [SHEETS[0].key],
    }
    if defs:
        schema["$defs"] = defs
    return schema
