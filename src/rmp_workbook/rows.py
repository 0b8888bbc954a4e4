"""Typed row models derived from the schema, with the coercions people need.

One pydantic model per sheet (:func:`row_model`), built with ``create_model``
from :data:`rmp_workbook.schema.SCHEMA`: each column becomes a field with its
type, allowed values (``Literal``), range (``ge``/``le``) and requiredness.
Cells become values through :mod:`rmp_workbook.values` (the one home of that);
``BeforeValidator`` coercions call it, then check requiredness and length. A cell that
cannot be read raises a :class:`PydanticCustomError` whose type is a finding code
(``type-error``, ``out-of-range``, ``not-in-list``, ``required``) and whose context
carries a hint for the person who filled the cell. What a coercion had to interpret
(a decimal comma, 60 in a 0-100% column) is noted in the validation context
(``context["notes"]``) and reported by the validator as a warning.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, create_model
from pydantic_core import PydanticCustomError

from rmp_workbook.schema import SCHEMA, SCHEMA_VERSION, SHEETS, ColType, Column, Sheet, SheetKind
from rmp_workbook.values import (
    err,
    to_choice,
    to_date,
    to_email,
    to_integer,
    to_number,
    to_percent,
    to_period,
    to_phone,
    to_text,
)

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
                raise err(
                    "out-of-range",
                    f"at most {limit} characters",
                    hint=f"Shorten it to {limit} characters or fewer.",
                )
            return out

    elif kind is ColType.INTEGER or kind is ColType.SCORE:

        def convert(value: Any, info: Any) -> Any:
            return to_integer(value, info, column=column)

    elif kind is ColType.NUMBER or kind is ColType.FORMULA:
        key = column.key

        def convert(value: Any, info: Any) -> Any:
            return to_number(value, info, column=key)

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
            raise err("required", "a value", hint=f"Fill in {column.header}: {column.help}")
        return out

    return coerce


def type_cell(column: Column, value: Any) -> tuple[Any, list[tuple[Any, ...]]]:
    """One cell typed as the column's coercer types it in a workbook row, and the notes of
    what it had to interpret (``(code, column, found, used, shown)``, e.g. a guessed %).

    Raises :class:`PydanticCustomError` whose type is a finding code when the cell
    cannot be read; the range (``minimum``/``maximum``) is the caller's to check.
    """
    context: dict[str, Any] = {}
    typed = _coercer(column)(value, _Context(context))
    return typed, list(context.get("notes", []))


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
                # (60 records a guess): remembered per column unless it noted something.
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
                    noted = len(context.get("notes", ()))
                    hit = slow(value, coerce, base, lo, hi, info)
                    # A text read with a note (a decimal comma) must note it on every row.
                    if len(memo) < _MEMO_MAX and len(context.get("notes", ())) == noted:
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
