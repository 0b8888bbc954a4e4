"""Every kind of value reaches the consolidated workbook as its own kind, read back by openpyxl."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from rmp_workbook.dashboard import WORKBOOK_OPTIONS, write_consolidated, write_value
from rmp_workbook.records import Consolidated

FORMULA_LIKE = ["=SUM(A1:A3)", "+44 20 7946 0000", "@Contoso", "-ve cash flow", "http://x.example"]


def _consolidated(discrepancies: pd.DataFrame) -> Consolidated:
    empty = pd.DataFrame()
    return Consolidated(
        "R1",
        "Values",
        "2026-11",
        ["A Ltd"],
        ["A Ltd"],
        {},
        empty,
        empty,
        discrepancies,
        [],
        empty,
        empty,
        empty,
    )


def _load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """The Discrepancies sheet of a workbook whose partner columns hold every kind of value."""
    frame = pd.DataFrame(
        {
            "sheet": ["KPIs"] * 5,
            "numbers": pd.Series([1.5, np.float64(2.25), 7, np.int64(8), -0.5], dtype=object),
            "floats": [0.1, np.nan, 3.0, 1e12, -2.5],
            "counts": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "whens": pd.Series(
                [
                    dt.date(2026, 11, 3),
                    dt.datetime(2026, 11, 3, 14, 30),
                    pd.Timestamp("2026-11-04 08:00"),
                    np.datetime64("2026-11-05T09:15"),
                    None,
                ],
                dtype=object,
            ),
            "received": pd.Series(
                [
                    pd.Timestamp("2026-12-01 08:00"),
                    pd.NaT,
                    pd.Timestamp("2026-12-02"),
                    pd.NaT,
                    pd.NaT,
                ],
                dtype="datetime64[us]",
            ),
            "texts": pd.Series(FORMULA_LIKE, dtype=object),
            "blanks": pd.Series([None, np.nan, pd.NaT, pd.NA, "x"], dtype=object),
            "flags": pd.Series([True, False, np.bool_(True), None, False], dtype=object),
        }
    )
    path = write_consolidated(_consolidated(frame), tmp_path_factory.mktemp("v") / "v.xlsx")
    ws = _load(path)["Discrepancies"]
    header = [c.value for c in ws[1]]
    return {h: [ws.cell(r, i + 1) for r in range(2, 7)] for i, h in enumerate(header)}


def test_numbers_are_numbers(sheet):
    for column, expected in (
        ("numbers", [1.5, 2.25, 7, 8, -0.5]),
        ("floats", [0.1, None, 3.0, 1e12, -2.5]),
        ("counts", [1, None, 3, 4, 5]),
    ):
        cells = sheet[column]
        assert [c.value for c in cells] == expected, column
        assert all(c.data_type == "n" for c in cells), column


def test_dates_and_times_are_dates_with_their_format(sheet):
    whens = sheet["whens"]
    assert [c.value for c in whens] == [
        dt.datetime(2026, 11, 3),
        dt.datetime(2026, 11, 3, 14, 30),
        dt.datetime(2026, 11, 4, 8, 0),
        dt.datetime(2026, 11, 5, 9, 15),
        None,
    ]
    assert all(c.is_date for c in whens[:4])
    # A date shows as a day; anything with a time of day shows the time too.
    assert [c.number_format for c in whens[:4]] == ["yyyy-mm-dd"] + ["yyyy-mm-dd hh:mm"] * 3
    received = sheet["received"]
    assert received[0].value == dt.datetime(2026, 12, 1, 8, 0) and received[0].is_date
    assert received[1].value is None and received[2].value == dt.datetime(2026, 12, 2)


def test_text_that_looks_like_a_formula_stays_text(sheet):
    cells = sheet["texts"]
    assert [c.value for c in cells] == FORMULA_LIKE
    assert all(c.data_type == "s" and c.hyperlink is None for c in cells)


def test_blanks_are_blank(sheet):
    # None, NaN, NaT and pd.NA leave the cell empty.
    assert [c.value for c in sheet["blanks"]] == [None, None, None, None, "x"]


def test_booleans_are_booleans(sheet):
    cells = sheet["flags"]
    assert [c.value for c in cells] == [True, False, True, None, False]
    assert [c.data_type for c in cells[:3]] == ["b"] * 3


def test_write_value_keeps_every_kind(tmp_path):
    class Name(str):
        pass

    values = [
        Name("=1+1"),
        np.float64(4.5),
        np.int32(3),
        True,
        float("nan"),
        pd.NaT,
        dt.date(2026, 1, 2),
        "plain",
        12,
    ]
    path = tmp_path / "values.xlsx"
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    ws = wb.add_worksheet()
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for col, value in enumerate(values):
        write_value(ws, 0, col, value, None, date_fmt)
    wb.close()
    cells = next(_load(path).active.iter_rows(min_row=1, max_row=1))
    got = [(c.value, c.data_type) for c in cells]
    assert got[:4] == [("=1+1", "s"), (4.5, "n"), (3, "n"), (True, "b")]
    assert got[4][0] is None and got[5][0] is None
    assert got[6] == (dt.datetime(2026, 1, 2), "d") and cells[6].number_format == "yyyy-mm-dd"
    assert got[7:] == [("plain", "s"), (12, "n")]


def test_long_wrapped_text_gets_a_taller_row(tmp_path):
    # "item" is 34 characters wide and wraps: 37 characters to a line.
    items = ["short", "x" * 100, "one\ntwo\nthree", "y" * 5000, ""]
    frame = pd.DataFrame({"sheet": ["KPIs"] * 5, "item": items})
    path = write_consolidated(_consolidated(frame), tmp_path / "rows.xlsx")
    ws = _load(path)["Discrepancies"]
    heights = [ws.row_dimensions[r].height for r in range(2, 7)]
    assert heights[0] is None and heights[4] is None
    # Three lines, three lines, at most fifteen (heights are stored in whole pixels).
    assert heights[1:4] == pytest.approx([12.75 * 3 + 2, 12.75 * 3 + 2, 12.75 * 15 + 2], abs=0.5)
