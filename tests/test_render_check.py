"""The rendering check (``scripts/render_check.py``) finds text that does not fit its cell."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
from conftest import load_render_check


@pytest.fixture(scope="module")
def check():
    return load_render_check()


def _book(path: Path, build) -> Path:
    wb = xlsxwriter.Workbook(
        str(path), {"default_format_properties": {"font_name": "Arial", "font_size": 10}}
    )
    ws = wb.add_worksheet("S")
    build(wb, ws)
    wb.close()
    return path


def _kinds(found) -> set[tuple[str, str]]:
    return {(m.cell, m.kind) for m in found}


def test_text_that_fits_is_not_reported(check, tmp_path):
    def build(wb, ws):
        ws.set_column(0, 0, 30)
        ws.write_string(0, 0, "Fits easily")
        ws.write_number(1, 0, 17500, wb.add_format({"num_format": "#,##0"}))
        ws.set_row(2, 40)
        ws.write_string(2, 0, "Two short lines of text here", wb.add_format({"text_wrap": True}))

    assert check.misfits(_book(tmp_path / "ok.xlsx", build)) == []


def test_clipped_text_and_text_running_over_empty_cells(check, tmp_path):
    def build(wb, ws):
        ws.set_column(0, 1, 10)
        ws.write_string(0, 0, "northwind-components-ltd_2026-11.xlsx")
        ws.write_string(0, 1, "2026-12-03")
        ws.write_string(1, 0, "runs on over empty cells")  # nothing to its right: fine

    assert _kinds(check.misfits(_book(tmp_path / "clip.xlsx", build))) == {("A1", "clipped")}


def test_wrapped_text_cut_by_its_row_height(check, tmp_path):
    text = "Review the mitigation with Contoso Engineering plc and agree actions that lower it."

    def build(wb, ws):
        ws.set_column(0, 0, 25)
        wrap = wb.add_format({"text_wrap": True, "font_size": 8})
        ws.set_row(0, 23)
        ws.write_string(0, 0, text, wrap)
        ws.write_string(1, 0, text, wrap)  # no height at all: printed one line high
        ws.set_row(2, 60)
        ws.write_string(2, 0, text, wrap)

    found = _kinds(check.misfits(_book(tmp_path / "cut.xlsx", build)))
    assert found == {("A1", "cut-lines"), ("A2", "cut-lines")}


def test_a_word_wider_than_its_wrapping_cell(check, tmp_path):
    def build(wb, ws):
        ws.set_column(0, 0, 6)
        ws.set_row(0, 45)
        ws.write_string(0, 0, "Northwind Components", wb.add_format({"text_wrap": True}))

    found = check.misfits(_book(tmp_path / "word.xlsx", build))
    assert {m.kind for m in found} == {"word-broken"}


def test_numbers_too_wide_show_hashes_and_merged_ranges_count_whole(check, tmp_path):
    def build(wb, ws):
        ws.set_column(0, 3, 4)
        ws.write_number(0, 0, 1234567, wb.add_format({"num_format": "#,##0"}))
        ws.merge_range(1, 0, 1, 3, "", None)
        ws.write_string(1, 0, "Fits four cols")

    assert _kinds(check.misfits(_book(tmp_path / "num.xlsx", build))) == {("A1", "hashes")}


def test_formula_cells_are_measured_by_their_results(check, tmp_path):
    def build(wb, ws):
        ws.set_column(0, 1, 6)
        ws.write_number(0, 0, 1)
        ws.write_formula(0, 1, "=A1+1000000000", None, 1000000001)

    assert _kinds(check.misfits(_book(tmp_path / "f.xlsx", build))) == {("B1", "hashes")}


def test_autofit_rows_lets_rows_without_a_height_grow(check, tmp_path):
    """A partner's workbook: Excel grows a row stored without a height to its wrapped text,
    so only a row with a height of its own can cut it."""
    text = "Review the mitigation with Contoso Engineering plc and agree actions that lower it."

    def build(wb, ws):
        ws.set_column(0, 0, 25)
        wrap = wb.add_format({"text_wrap": True})
        ws.write_string(0, 0, text, wrap)  # no height: grows
        ws.set_row(1, 16)
        ws.write_string(1, 0, text, wrap)  # a height of its own: cut
        ws.write_string(2, 0, "Northwind Components Ltd, clipped by its neighbour")
        ws.write_string(2, 1, "x")

    path = _book(tmp_path / "autofit.xlsx", build)
    assert _kinds(check.misfits(path)) == {("A1", "cut-lines"), ("A2", "cut-lines"),
                                          ("A3", "clipped")}  # fmt: skip
    assert _kinds(check.misfits(path, autofit_rows=True)) == {("A2", "cut-lines"),
                                                              ("A3", "clipped")}  # fmt: skip
