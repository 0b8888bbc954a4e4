"""Counts, figures and dates as people write them (``rmp_workbook.wording``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rmp_workbook.wording import count_list, iso_date, link_text, number, plural, with_unit


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [
        (1, "month", "1 month"),
        (2, "month", "2 months"),
        (0, "error", "0 errors"),
        (1, "error", "1 error"),
        (1, "discrepancy", "1 discrepancy"),
        (3, "discrepancy", "3 discrepancies"),
        (2, "day", "2 days"),
        (2, "person", "2 people"),
        (1.0, "restatement", "1 restatement"),
        (2, "box", "2 boxes"),
    ],
)
def test_plural(count, word, expected):
    assert plural(count, word) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (2.0, "ppt", "2 ppt"),
        (10, "days", "10 days"),
        (25000, "GBP", "25,000 GBP"),
        (0, "count", "0"),
        (91.0, "%", "91%"),
        (120, "£", "£120"),
        (1.5, "", "1.5"),
        (2.25, None, "2.25"),
        ("at least 98", "%", "at least 98%"),
        (None, "days", ""),
    ],
)
def test_with_unit_puts_a_space_where_people_do(value, unit, expected):
    assert with_unit(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.0, "1"), (2.5, "2.5"), (2.50001, "2.5"), (17500.0, "17,500"), (-3.0, "-3"), (0.1, "0.1")],
)
def test_whole_numbers_have_no_decimal_point(value, expected):
    assert number(value) == expected


def test_iso_dates_whatever_the_type():
    assert iso_date(dt.date(2026, 12, 5)) == "2026-12-05"
    assert iso_date(dt.datetime(2026, 12, 5, 17, 30)) == "2026-12-05"
    assert iso_date(pd.Timestamp("2026-12-05")) == "2026-12-05"
    assert iso_date(pd.NaT) == ""
    assert iso_date(None) == ""


def test_count_list_leaves_zero_counts_out():
    assert count_list({"error": 1, "warning": 0}) == "1 error"
    assert count_list({"error": 2, "warning": 3}) == "2 errors, 3 warnings"


def test_a_link_formula_reads_as_its_words_and_address():
    typed = '=HYPERLINK("https://fabrikam.example/pod/2026-11","Proof-of-delivery log")'
    assert link_text(typed) == "Proof-of-delivery log (https://fabrikam.example/pod/2026-11)"
    assert link_text('=hyperlink("https://x.example")') == "https://x.example"
    assert link_text("=SUM(A1:A9) was how we tracked it") == "=SUM(A1:A9) was how we tracked it"
    assert link_text("plain words") == "plain words"
