from __future__ import annotations

import pytest

from rmp_workbook.cells import (
    a1,
    abs_area,
    col_index,
    col_letter,
    parse_a1,
    quote_sheet,
    ref,
    safe_sheet_name,
)


@pytest.mark.parametrize(
    ("idx", "letters"),
    [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")],
)
def test_column_letters_round_trip(idx: int, letters: str) -> None:
    assert col_letter(idx) == letters
    assert col_index(letters) == idx
    assert col_index(letters.lower()) == idx


def test_a1() -> None:
    assert a1(0, 0) == "A1"
    assert a1(6, 4) == "E7"
    assert parse_a1("E7") == (6, 4)
    assert parse_a1("$AB$10") == (9, 27)
    with pytest.raises(ValueError):
        parse_a1("7E")
    with pytest.raises(ValueError):
        col_letter(-1)


def test_quoting() -> None:
    assert quote_sheet("KPIs") == "KPIs"
    assert quote_sheet("Health check") == "'Health check'"
    assert quote_sheet("O'Brien") == "'O''Brien'"
    assert quote_sheet("AB12") == "'AB12'"
    assert ref("Health check", 2, 1) == "'Health check'!B3"
    assert abs_area("KPIs", 1, 0, 8, 0) == "=KPIs!$A$2:$A$9"


def test_safe_sheet_name() -> None:
    assert safe_sheet_name("Acme [UK]: a/b?") == "Acme  UK   a b"
    assert len(safe_sheet_name("x" * 50)) == 31
    assert safe_sheet_name("KPIs", {"kpis"}) == "KPIs (2)"
    assert safe_sheet_name("''") == "Sheet"
