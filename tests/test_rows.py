"""Row models and coercions: what people type becomes clean values, or a finding code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from rmp_workbook.rows import (
    fast_row,
    norm,
    row_model,
    to_bool,
    to_choice,
    to_date,
    to_integer,
    to_number,
    to_percent,
    to_period,
    to_text,
    workbook_json_schema,
)
from rmp_workbook.schema import SCHEMA, SHEETS, ColType

D = dt.date(2026, 11, 5)


def _code(fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(PydanticCustomError) as info:
        fn(*args, **kw)
    return info.value.type


@pytest.mark.parametrize(
    ("given", "expected"),
    [(3, 3.0), (3.5, 3.5), ("3.5", 3.5), ("1,250", 1250.0), ("1 250", 1250.0),
     ("£1,250.50", 1250.5), ("91%", 91.0), (" 7 ", 7.0), ("", None), (None, None)],
)  # fmt: skip
def test_numbers(given: Any, expected: Any) -> None:
    assert to_number(given) == expected


@pytest.mark.parametrize("given", ["abc", "1.2.3", True, float("nan")])
def test_not_numbers(given: Any) -> None:
    assert _code(to_number, given) == "type-error"


def test_integers_from_floats_and_text() -> None:
    assert to_integer(3.0) == 3
    assert to_integer("4") == 4
    assert _code(to_integer, 2.5) == "type-error"
    assert _code(to_integer, "high") == "type-error"


def test_score_hint_names_the_scale() -> None:
    col = SCHEMA["risks"].column("likelihood")
    with pytest.raises(PydanticCustomError) as info:
        to_integer("high", column=col)
    hint = info.value.context["hint"]
    assert hint == "Type a whole number from 1 to 5. High likelihood is 4."
    with pytest.raises(PydanticCustomError) as info:
        to_integer("likely", column=col)
    assert "'likely' is 4" in info.value.context["hint"]


@pytest.mark.parametrize(
    ("given", "expected", "guessed"),
    [("91%", 0.91, False), ("91 %", 0.91, False), (0.91, 0.91, False), ("0.91", 0.91, False),
     (60, 0.6, True), ("60", 0.6, True), (1, 1.0, False), (0, 0.0, False)],
)  # fmt: skip
def test_percent(given: Any, expected: float, guessed: bool) -> None:
    class Info:
        def __init__(self) -> None:
            self.context: dict[str, Any] = {}

    info = Info()
    assert to_percent(given, info, column="progress") == pytest.approx(expected)  # type: ignore[arg-type]
    assert bool(info.context.get("guesses")) is guessed


@pytest.mark.parametrize(
    ("given", "expected"),
    [(dt.datetime(2026, 11, 5, 10, 30), D), (D, D), (46331, D), (46331.0, D), ("46331", D),
     ("2026-11-05", D), ("2026-11-05T10:00:00", D), ("2026-11-05 10:00", D), ("05/11/2026", D),
     ("5.11.2026", D), ("5 Nov 2026", D), ("5 November 2026", D), ("", None)],
)  # fmt: skip
def test_dates(given: Any, expected: Any) -> None:
    assert to_date(given) == expected


@pytest.mark.parametrize("given", ["31/02/2026", "tomorrow", "2026-13-01", -5, True])
def test_not_dates(given: Any) -> None:
    assert _code(to_date, given) == "type-error"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("2026-11", "2026-11"), ("2026-1", "2026-01"), ("2026/11", "2026/11".replace("/", "-")),
     ("11/2026", "2026-11"), ("Nov 2026", "2026-11"), ("November 2026", "2026-11"),
     ("nov-2026", "2026-11"), ("2026 Nov", "2026-11"), (dt.datetime(2026, 11, 1), "2026-11"),
     (dt.date(2026, 11, 30), "2026-11"), (46327.0, "2026-11"), ("2026-11-01", "2026-11")],
)  # fmt: skip
def test_periods(given: Any, expected: str) -> None:
    assert to_period(given) == expected


@pytest.mark.parametrize("given", ["2026-13", "Novembre", "soon", "13/2026"])
def test_not_periods(given: Any) -> None:
    assert _code(to_period, given) == "type-error"


def test_choices_forgive_case_and_spacing() -> None:
    choices = ("Not started", "In progress", "Complete")
    assert to_choice("in  progress", choices) == "In progress"
    assert to_choice(" COMPLETE ", choices) == "Complete"
    assert to_choice("Inprogress", choices) == "In progress"
    assert _code(to_choice, "Done", choices) == "not-in-list"


@pytest.mark.parametrize(
    ("given", "expected"),
    [(True, "Yes"), (False, "No"), (1.0, "Yes"), (0.0, "No"), ("y", "Yes"), ("TRUE", "Yes"),
     ("no", "No"), ("0", "No")],
)  # fmt: skip
def test_yes_no(given: Any, expected: str) -> None:
    assert to_choice(given, ("Yes", "No")) == expected


def test_bool() -> None:
    assert to_bool(1.0) is True and to_bool("No") is False and to_bool(None) is None
    assert _code(to_bool, "maybe") == "type-error"


def test_text() -> None:
    assert to_text(12.0) == "12"
    assert to_text(dt.datetime(2026, 11, 5)) == "2026-11-05"
    assert to_text("  R01 ") == "R01"
    assert to_text("   ") is None


def test_norm() -> None:
    assert norm("Risk ID *") == norm("risk_id") == norm(" RISK  ID") == "riskid"


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
    return typed, context.get("guesses", [])


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
        assert context.get("guesses", []) == guesses
    if sheet.example:
        assert checked > len(sheet.columns)  # the fast path does take most rows


def test_fast_row_leaves_bad_rows_to_the_model() -> None:
    fast = fast_row("risks")
    example = SCHEMA["risks"].example
    for bad in ({"likelihood": 6}, {"likelihood": "high"}, {"status": "nonsense"}):
        assert fast({**example, **bad}, {}) is None
