"""The fast row typer gives exactly what the pydantic models give, cell by tricky cell.

:func:`rmp_workbook.rows.fast_row` types the common cell types inline and sends the rest
through the column's coercer; whenever it cannot type a row the validator falls back to the
row's pydantic model. Here every input column of every sheet gets each tricky value in
turn, and three things must agree: the fast typer (when it answers) with the model, values
AND their Python types (91 is not 91.0) and recorded notes (guesses, decimal commas);
and ``validate_sheet`` with the fast typer with ``validate_sheet`` with only the models
(records and findings).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from pydantic import ValidationError

from rmp_workbook import validate
from rmp_workbook.read import CellError, RawRow, RawSheet
from rmp_workbook.rows import fast_row, row_model
from rmp_workbook.schema import SCHEMA, SHEETS, ColType, Column, SheetKind
from rmp_workbook.validate import validate_sheet

TRICKY: list[Any] = [
    None, "", "   ", "\t\n", " x ", "a" * 2001, "b" * 121, "91%", " 91 % ", "91", "60", 60, 60.0,
    1, 1.0, 0, 0.0, -0.0, 0.91, 100, 100.0, 100.5, 101.0, -1.0, -0.5, 3, 3.0, 3.5, 5, 6.0, 1e308,
    math.inf, -math.inf, math.nan, True, False, "1,250", "£1 250.50", "1e3", "inf", "nan",
    "93,5", "1.250,50", "1,250.50", "80,5%",
    "#REF!", " #n/a ", "Err:502", CellError("#DIV/0!"), "12:30", "Open", " open ", "OPEN",
    "in  progress", "in_progress", "Complete*", "yes", "Y", "no", "TRUE", "high", "Very high",
    "2026-11", "Nov 2026", "11/2026", "2026/13", "2026 Nov", "2026-11-05", "05/11/2026",
    "5th Nov 2026", "31/02/2026", "46000", 46000.0, 46000, 46000.5, 2958466.0,
    dt.datetime(2026, 11, 5), dt.datetime(2026, 11, 5, 13, 30), dt.date(2026, 11, 5),
    dt.time(13, 30), "a@b.co", "mailto:a@b.co", "not an email", "+44 20 7946 0000", "phone",
    "-", "n/a", 10**400,
]  # fmt: skip
BIG = TRICKY[-1]  # no float holds it: the coercer raises OverflowError


def _good(col: Column) -> Any:
    """A value the column takes as it is, as a spreadsheet stores it."""
    kind = col.type
    if kind is ColType.CHOICE:
        return col.choices[0]
    if kind in (ColType.INTEGER, ColType.SCORE):
        return float(col.minimum if col.minimum is not None else 1)  # calamine gives floats
    if kind is ColType.NUMBER:
        return 7.5
    if kind is ColType.PERCENT:
        return 0.5
    if kind is ColType.DATE:
        return dt.datetime(2026, 10, 1)
    if kind is ColType.PERIOD:
        return "2026-10"
    if kind is ColType.EMAIL:
        return "a@b.co"
    if kind is ColType.PHONE:
        return "+44 1"
    if kind is ColType.FORMULA:
        return None
    return "Text"


def _base(sheet_key: str) -> dict[str, Any]:
    sheet = SCHEMA[sheet_key]
    values = {c.key: _good(c) for c in sheet.columns}
    if sheet.kind is SheetKind.FIXED:
        values[sheet.columns[0].key] = sheet.fixed_rows[0]
    return values


def _exact(values: dict[str, Any]) -> list[tuple[str, type, str]]:
    """Values with their types; repr tells -0.0 from 0.0 and 91 from 91.0."""
    return [(k, type(v), repr(v)) for k, v in values.items()]


def _by_model(sheet_key: str, values: dict[str, Any]) -> tuple[Any, list[Any]]:
    context: dict[str, Any] = {}
    try:
        dumped = row_model(sheet_key).model_validate(values, context=context).model_dump()
    except (ValidationError, OverflowError):
        return None, []
    return dumped, context.get("notes", [])


CASES = [
    (sheet.key, col.key, value)
    for sheet in SHEETS
    for col in sheet.columns
    if col.is_input
    for value in TRICKY
]


def test_fast_typer_agrees_with_the_model_on_every_tricky_cell() -> None:
    answered = 0
    for sheet_key, key, value in CASES:
        values = _base(sheet_key) | {key: value}
        expected, guesses = _by_model(sheet_key, values)
        context: dict[str, Any] = {}
        try:
            fast = fast_row(sheet_key)(values, context)
        except OverflowError:  # 10**400 as a float: the model's coercer raises it too
            assert value is BIG and expected is None
            continue
        if fast is None:
            continue  # the validator then asks the model: nothing to compare
        answered += 1
        assert expected is not None, (sheet_key, key, value)
        assert _exact(fast) == _exact(expected), (sheet_key, key, value)
        assert context.get("notes", []) == guesses, (sheet_key, key, value)
    assert answered > len(CASES) // 4  # the fast path does carry most cells


@pytest.mark.parametrize(
    ("sheet_key", "key", "value", "typed", "guess"),
    [
        ("contacts", "name", "  Aisha  ", "Aisha", None),  # text trimmed
        ("stages", "progress", 0.91, 0.91, None),  # a fraction kept
        ("stages", "progress", 1.0, 1.0, None),  # 100% kept
        ("stages", "progress", 60.0, 0.6, "60%"),  # guessed, and the guess recorded
        ("stages", "progress", "91%", 0.91, None),  # a typed sign: no guess
        ("risks", "likelihood", 3.0, 3, None),  # 3.0 in an integer column is the int 3
        ("risks", "likelihood", 3, 3, None),
        ("kpis", "target", 95, 95.0, None),  # an int in a number column is a float
        ("risks", "status", " mitigating ", "Mitigating", None),  # a choice in other case
        ("stages", "status", "in  PROGRESS", "In progress", None),
        ("risks", "raised_on", dt.datetime(2026, 9, 1, 10, 30), dt.date(2026, 9, 1), None),
        ("risks", "raised_on", dt.date(2026, 9, 1), dt.date(2026, 9, 1), None),
        ("kpis", "period", "Nov 2026", "2026-11", None),
    ],
)
def test_common_cells_take_the_fast_path_with_the_models_result(
    sheet_key: str, key: str, value: Any, typed: Any, guess: str | None
) -> None:
    values = _base(sheet_key) | {key: value}
    context: dict[str, Any] = {}
    fast = fast_row(sheet_key)(values, context)
    assert fast is not None
    assert type(fast[key]) is type(typed) and fast[key] == typed
    expected, guesses = _by_model(sheet_key, values)
    assert expected is not None and _exact(fast) == _exact(expected)
    assert [g[4] for g in context.get("notes", [])] == ([guess] if guess else [])
    assert context.get("notes", []) == guesses


@pytest.mark.parametrize(
    ("sheet_key", "key", "value"),
    [
        ("contacts", "role", "   "),  # whitespace only: blank
        ("contacts", "name", "   "),  # ... in a required column
        ("contacts", "role", "r" * 5000),  # text too long
        ("kpis", "target", math.inf),
        ("kpis", "target", math.nan),
        ("kpis", "target", True),  # a bool is not a number
        ("stages", "progress", 1.5),  # 1 < x <= 100: the coercer guesses 1.5%
        ("risks", "likelihood", 3.5),
        ("risks", "likelihood", 9.0),  # out of range
        ("risks", "status", "Pending"),
        ("kpis", "actual", "#REF!"),
        ("kpis", "actual", CellError("#DIV/0!")),
    ],
)
def test_cells_the_fast_path_refuses_are_the_models_to_judge(
    sheet_key: str, key: str, value: Any
) -> None:
    values = _base(sheet_key) | {key: value}
    expected, guesses = _by_model(sheet_key, values)
    context: dict[str, Any] = {}
    fast = fast_row(sheet_key)(values, context)
    if expected is None:
        assert fast is None
    else:
        assert fast is not None and _exact(fast) == _exact(expected)
        assert context.get("notes", []) == guesses


def _sheet(sheet_key: str, rows: list[dict[str, Any]]) -> RawSheet:
    sheet = SCHEMA[sheet_key]
    cols = {c.key: i for i, c in enumerate(sheet.columns)}
    rs = RawSheet(sheet=sheet, name=sheet.name, headers={c.key: c.header for c in sheet.columns})
    for r, values in enumerate(rows, start=1):
        rs.rows.append(RawRow(r, dict(values), columns=cols))
    return rs


def _outcome(rs: RawSheet) -> tuple[list[Any], list[dict[str, Any]]]:
    records, found = validate_sheet(rs, file="f.xlsx", period="2026-10")
    return (
        [(r.sheet, r.row, _exact(r.values)) for r in records],
        [f.to_dict() for f in found],
    )


@pytest.mark.parametrize("sheet_key", [s.key for s in SHEETS])
def test_validate_sheet_is_the_same_with_and_without_the_fast_typer(
    sheet_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = SCHEMA[sheet_key]
    rows = [_base(sheet_key)]
    # 10**400 raises OverflowError with and without the fast typer alike: left out.
    rows += [
        _base(sheet_key) | {c.key: v}
        for c in sheet.columns
        if c.is_input
        for v in TRICKY
        if v is not BIG
    ]
    if sheet.kind is SheetKind.FORM:  # one form per sheet: each row a sheet of its own
        sheets = [_sheet(sheet_key, [row]) for row in rows]
    else:
        sheets = [_sheet(sheet_key, rows)]
    fast = [_outcome(rs) for rs in sheets]
    monkeypatch.setattr(validate, "fast_row", lambda key: lambda values, context: None)
    slow = [_outcome(rs) for rs in sheets]
    assert fast == slow
    assert sum(len(records) for records, _ in fast) > 0  # some rows were typed
