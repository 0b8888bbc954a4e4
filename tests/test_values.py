"""How a cell becomes a value: numbers, decimal commas, percents, dates, months, text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic_core import PydanticCustomError

from rmp_workbook.schema import SCHEMA
from rmp_workbook.values import (
    as_number,
    as_text,
    norm,
    to_bool,
    to_choice,
    to_date,
    to_integer,
    to_number,
    to_percent,
    to_period,
    to_text,
)

D = dt.date(2026, 11, 5)


def _code(fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(PydanticCustomError) as info:
        fn(*args, **kw)
    return info.value.type


@pytest.mark.parametrize(
    ("given", "expected"),
    [(3, 3.0), (3.5, 3.5), ("3.5", 3.5), ("1 250", 1250.0), ("1,250,000", 1250000.0),
     ("1.250.000", 1250000.0), ("£1,250.50", 1250.5), ("1,250.50", 1250.5),
     ("1.250,50", 1250.5), ("1 250,50", 1250.5), ("1'250.5", 1250.5), ("91%", 91.0),
     (" 7 ", 7.0), ("0.125", 0.125), ("12.5", 12.5), ("", None), (None, None)],
)  # fmt: skip
def test_numbers(given: Any, expected: Any) -> None:
    assert to_number(given) == expected


class _Info:
    """What a coercion sees of pydantic's ValidationInfo: the context it notes into."""

    def __init__(self) -> None:
        self.context: dict[str, Any] = {}


@pytest.mark.parametrize(
    ("given", "expected"),
    [("93,5", 93.5), ("1,5", 1.5), ("80,5%", 80.5), ("-0,25", -0.25), (",5", 0.5),
     ("0,250", 0.25), ("1.250,50", 1250.5), ("€ 12,99", 12.99)],
)  # fmt: skip
def test_a_decimal_comma_is_read_and_noted(given: str, expected: float) -> None:
    info = _Info()
    assert to_number(given, info, column="actual") == expected
    assert info.context["notes"] == [("decimal-comma", "actual", given, expected, f"{expected:g}")]


@pytest.mark.parametrize(
    ("given", "readings"),
    [("1,250", "1250 or 1.25"), ("1.250", "1250 or 1.25"), ("-12,500", "-12500 or -12.5"),
     ("£1,250", "1250 or 1.25"), ("100,000%", "100000 or 100")],
)  # fmt: skip
def test_a_number_that_reads_two_ways_is_refused(given: str, readings: str) -> None:
    with pytest.raises(PydanticCustomError) as info:
        to_number(given)
    assert info.value.type == "ambiguous-number"
    assert info.value.message() == readings
    assert "Retype it" in info.value.context["hint"]


def test_a_number_cell_is_never_ambiguous() -> None:
    # Excel and LibreOffice store a typed 1,250 as the number 1250: only text is parsed.
    assert to_number(1250.0) == 1250.0 and to_number(1.25) == 1.25


@pytest.mark.parametrize("given", ["abc", "1.2.3", "12,34,5", "1,250.5,0", "1,,5", True,
                                   float("nan")])  # fmt: skip
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
     (60, 0.6, True), ("60", 0.6, True), (1, 1.0, False), (0, 0.0, False),
     ("80,5%", 0.805, False)],
)  # fmt: skip
def test_percent(given: Any, expected: float, guessed: bool) -> None:
    info = _Info()
    assert to_percent(given, info, column="progress") == pytest.approx(expected)  # type: ignore[arg-type]
    codes = [n[0] for n in info.context.get("notes", [])]
    assert ("guessed-percent" in codes) is guessed


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


def test_typed_values_as_numbers_and_text() -> None:
    """The one home of "a typed value as a figure / as text" the outputs and RAG rules use."""
    import decimal

    import numpy as np
    import pandas as pd

    assert as_number(3) == as_number(np.int64(3)) == as_number(decimal.Decimal("3")) == 3.0
    for nothing in (None, float("nan"), float("inf"), pd.NA, pd.NaT, True, "12", ""):
        assert as_number(nothing) is None
    assert [as_text(v) for v in (None, float("nan"), pd.NaT, pd.NA)] == ["", "", "", ""]
    assert [as_text(v) for v in ("K01", 91.5, D, " x ")] == ["K01", "91.5", "2026-11-05", " x "]
