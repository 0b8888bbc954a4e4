"""scripts/same_workbook.py tells identical workbooks from ones that differ in one cell."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "same_workbook", ROOT / "scripts" / "same_workbook.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _book(path: Path, value: float) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_string(0, 0, "Figure")
    ws.write_number(1, 0, value)
    wb.close()
    return path


def test_compare_finds_the_part_that_differs(tmp_path):
    compare = _script().compare
    a = _book(tmp_path / "a.xlsx", 1.5)
    time.sleep(1.1)  # a later creation time: docProps/core.xml differs and is left out
    b = _book(tmp_path / "b.xlsx", 1.5)
    c = _book(tmp_path / "c.xlsx", 2.5)
    assert compare(a, b) == []
    assert compare(a, c) == ["xl/worksheets/sheet1.xml"]
