"""Row models: one per sheet, typing a row as the schema says (coercions: test_values.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from rmp_workbook.rows import fast_row, row_model, workbook_json_schema
from rmp_workbook.schema import SCHEMA, SHEETS, ColType


def _errors(model: Any, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(PydanticValidationError) as info:
        model.model_validate(data)
    return {str(e["loc"][0]): e["type"] for e in info.value.errors()}


def test_row_model_types_ranges_choices_required() -> None:
    risks = row_model("risks")
    row = risks.model_validate(
        {"risk_id": 1.0, "risk": "x", "likelihood": "3", "impact": 4.0, "status": "open"}
    )
    assert (row.risk_id, row.likelihood, row.impact, row.status) == ("1", 3, 4, "Open")
    errors = _errors(risks, {"risk_id": None, "risk": "x", "likelihood": 0, "impact": "big",
                             "status": "Gone"})  # fmt: skip
    assert errors == {"risk_id": "required", "likelihood": "greater_than_equal",
                      "impact": "type-error", "status": "not-in-list"}  # fmt: skip


def test_every_sheet_has_a_model_with_every_column() -> None:
    for sheet in SHEETS:
        model = row_model(sheet.key)
        assert list(model.model_fields) == [c.key for c in sheet.columns]
        for col in sheet.columns:
            assert model.model_fields[col.key].is_required() == (col.required and col.is_input)


def test_json_schema_derives_from_the_schema() -> None:
    schema = workbook_json_schema()
    assert list(schema["properties"]) == [s.key for s in SHEETS]
    for sheet in SHEETS:
        body = schema["properties"][sheet.key]
        row = body.get("items", body)
        assert list(row["properties"]) == [c.key for c in sheet.columns]
        assert sorted(row.get("required", [])) == sorted(
            c.key for c in sheet.columns if c.required and c.is_input
        )
        for col in sheet.columns:
            prop = row["properties"][col.key]
            assert prop["title"] == col.header and prop["description"] == col.help
            text = str(prop)
            for choice in col.choices:
                assert choice in text
            if col.type is ColType.SCORE:
                assert "'minimum': 1" in text and "'maximum': 5" in text
        if sheet.keys:
            assert body["x-keys"] == list(sheet.keys)


# --- The fast path types rows exactly as the models do -----------------------------------------


def _model_or_none(sheet_key: str, values: dict[str, Any]) -> tuple[Any, list[Any]]:
    context: dict[str, Any] = {}
    try:
        typed = row_model(sheet_key).model_validate(values, context=context).model_dump()
    except PydanticValidationError:
        return None, []
    return typed, context.get("notes", [])


_MESSY = {
    ColType.TEXT: ["  padded  ", 3.0, dt.datetime(2026, 11, 5), "", "x" * 5000],
    ColType.LONG_TEXT: ["line one\nline two", 12.5, None],
    ColType.INTEGER: [3, 3.0, "3", "3.5", "high", -7, 10**6],
    ColType.SCORE: [1, 5.0, "4", 0, 6, "very high"],
    ColType.NUMBER: ["1,250", "£1 250.50", 91, "91%", "n/a", "abc", float("inf")],
    ColType.PERCENT: [0.91, "91%", 60, 150, -0.2, "x"],
    ColType.DATE: [dt.datetime(2026, 11, 5), "2026-11-05", "05/11/2026", 46000.0, "soon"],
    ColType.PERIOD: ["2026-11", "Nov 2026", dt.date(2026, 11, 1), "13/2026", "later"],
    ColType.CHOICE: ["open", " OPEN ", "yes", 1.0, "nonsense"],
    ColType.EMAIL: ["a@b.example", "mailto:a@b.example", "not an address"],
    ColType.PHONE: ["+44 20 7946 0000", "none"],
    ColType.FORMULA: [None],
}


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.key)
def test_fast_row_agrees_with_the_model_on_clean_and_messy_rows(sheet) -> None:
    fast = fast_row(sheet.key)
    rows = [dict(sheet.example), {}, {k: None for k in sheet.example}]
    for col in sheet.columns:
        for value in _MESSY[col.type]:
            rows.append({**sheet.example, col.key: value})
        rows.append({k: v for k, v in sheet.example.items() if k != col.key})
    checked = 0
    for values in rows:
        context: dict[str, Any] = {}
        got = fast(values, context)
        want, guesses = _model_or_none(sheet.key, values)
        if got is None:
            continue  # the caller falls back to the model, which decides
        checked += 1
        assert want is not None, values
        assert got == want, values
        assert [type(v) for v in got.values()] == [type(v) for v in want.values()], values
        assert list(got) == list(want)
        assert context.get("notes", []) == guesses
    if sheet.example:
        assert checked > len(sheet.columns)  # the fast path does take most rows


def test_fast_row_leaves_bad_rows_to_the_model() -> None:
    fast = fast_row("risks")
    example = SCHEMA["risks"].example
    for bad in ({"likelihood": 6}, {"likelihood": "high"}, {"status": "nonsense"}):
        assert fast({**example, **bad}, {}) is None
