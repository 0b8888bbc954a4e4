"""Formula columns: one declaration, plain cell references in the workbook, the same value in
Python, and a bad calculated cell is a warning at its address, never a refused workbook.

The Gnumeric round trip is real: the filled template goes through ``ssconvert`` to a
.gnumeric file and back to .xlsx, then rmp reads it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fill import fill, fill_good, find_row, make_template
from python_calamine import CalamineWorkbook

from rmp_workbook.formulas import compute, computed, excel, excel_at, inputs, parse
from rmp_workbook.schema import SCHEMA, SHEETS
from rmp_workbook.validate import read_workbook, validate_paths

RISKS = SCHEMA["risks"]
SCORE = RISKS.column("score")
PLAIN_F2 = '=IF(AND(ISNUMBER(D2),ISNUMBER(E2)),D2*E2,"")'


def test_compute_is_the_spreadsheets_formula_without_eval() -> None:
    assert compute(SCORE, {"likelihood": 3, "impact": 4}) == 12
    assert compute(SCORE, {"likelihood": 3.0, "impact": 4.0}) == 12  # whole: an int
    assert compute(SCORE, {"likelihood": None, "impact": 4}) is None  # ISNUMBER false: blank
    assert compute(SCORE, {"likelihood": "3", "impact": 4}) is None  # text is no number
    assert compute(SCORE, {"likelihood": True, "impact": 4}) is None
    assert compute("({a}-{b})/{c}", {"a": 5, "b": 2, "c": 2}) == 1.5
    assert compute("{a}/{b}", {"a": 1, "b": 0}) is None
    assert compute("-{a}*2", {"a": 2}) == -4
    assert inputs(SCORE) == ("likelihood", "impact")


@pytest.mark.parametrize(
    "expr", ["{a}**{b}", "__import__('os')", "{a}.real", "{a} if {b} else 1", "len({a})", "{a"]
)
def test_only_arithmetic_is_a_formula(expr: str) -> None:
    with pytest.raises(ValueError):
        parse(expr)


def test_the_spreadsheet_formula_uses_plain_cell_references() -> None:
    assert excel_at(RISKS, SCORE, 1) == PLAIN_F2
    assert excel(SCORE, {"likelihood": "X9", "impact": "Y9"}) == (
        '=IF(AND(ISNUMBER(X9),ISNUMBER(Y9)),X9*Y9,"")'
    )
    assert excel("{a}*2", {"a": "B3"}) == '=IF(ISNUMBER(B3),B3*2,"")'


def test_every_computed_column_is_declared_in_the_schema() -> None:
    found = {(s.key, c.key) for s in SHEETS for c in computed(s)}
    assert found == {("risks", "score")}


def test_the_template_writes_plain_references_and_no_table_formula(tmp_path: Path) -> None:
    path = make_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb["Risks"]["F2"].value == PLAIN_F2
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert "[" not in cell.value, (ws.title, cell.coordinate, cell.value)
        for table in ws.tables.values():
            assert all(c.calculatedColumnFormula is None for c in table.tableColumns)


def _gnumeric_round_trip(src: Path, out: Path) -> Path:
    ssconvert = shutil.which("ssconvert")
    if ssconvert is None:
        pytest.skip("Gnumeric's ssconvert is not installed (.ci/run installs it)")
    native = out.with_suffix(".gnumeric")
    for a, b in ((src, native), (native, out)):
        subprocess.run([ssconvert, str(a), str(b)], check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("formulas")
    return fill_good(make_template(tmp / "t.xlsx"), tmp / "good.xlsx")


def test_a_gnumeric_round_trip_keeps_the_score(good: Path, tmp_path: Path) -> None:
    back = _gnumeric_round_trip(good, tmp_path / "gnumeric.xlsx")
    grid = CalamineWorkbook.from_path(str(back)).get_sheet_by_name("Risks").to_python()
    assert grid[1][5] == 12  # Gnumeric understood the formula and calculated it
    report = validate_paths([back])
    assert report.exit_code == 0, report.flatten(("sheet", "cell", "code", "message"))
    assert not [f for f in report.findings if f.code in ("wrong-calculation", "formula-error")]
    scores = {
        r.values["risk_id"]: r.values["score"] for r in report.submissions[0].records["risks"]
    }
    assert scores == {"R01": 12, "R02": 6, "R03": 5}


def _with_score(src: Path, out: Path, formula: Any) -> Path:
    wb = openpyxl.load_workbook(src)
    wb["Risks"]["F2"].value = formula
    wb.save(out)
    return out


def test_a_table_reference_gnumeric_cannot_keep_is_a_cell_warning(
    good: Path, tmp_path: Path
) -> None:
    """A workbook made by an older template: Gnumeric saves its Score as an invalid error."""
    structured = _with_score(
        good,
        tmp_path / "structured.xlsx",
        '=IF(OR(RisksTable[[#This Row],[Likelihood]]="",RisksTable[[#This Row],[Impact]]=""),'
        '"",RisksTable[[#This Row],[Likelihood]]*RisksTable[[#This Row],[Impact]])',
    )
    back = _gnumeric_round_trip(structured, tmp_path / "structured-gnumeric.xlsx")
    report = validate_paths([back])
    assert report.exit_code == 0  # readable, and only a warning
    assert report.flatten(("sheet", "cell", "code")) == [("Risks", "F2", "wrong-calculation")]
    (finding,) = report.findings
    assert finding.message.startswith(
        "Score: the cell shows '#ERROR' but Likelihood and Impact give 12; rmp uses 12."
    )
    risks = {r.values["risk_id"]: r.values for r in report.submissions[0].records["risks"]}
    assert risks["R01"]["score"] == 12 and len(risks) == 3  # no row lost


def test_a_score_typed_over_is_a_warning_and_never_used(good: Path, tmp_path: Path) -> None:
    typed = fill(good, tmp_path / "typed.xlsx", rows={"Risks": [{"Score": 99}]})
    sub = read_workbook(typed)
    assert [(f.sheet, f.cell, f.code) for f in sub.findings] == [
        ("Risks", "F2", "wrong-calculation")
    ]
    assert "shows 99 but Likelihood and Impact give 12" in sub.findings[0].message
    assert {r.values["risk_id"]: r.values["score"] for r in sub.records["risks"]}["R01"] == 12


def test_an_error_shown_in_a_computed_cell_is_a_warning(good: Path, tmp_path: Path) -> None:
    from fill import set_error_cells

    path = _with_score(good, tmp_path / "err.xlsx", "=1/0")
    set_error_cells(path, {"Risks": {"F2": "#DIV/0!"}})
    sub = read_workbook(path)
    row = find_row(good, "Risks", "Risk ID", "R01")
    assert [(f.cell, f.code, f.value) for f in sub.findings] == [
        (f"F{row}", "wrong-calculation", "#DIV/0!")
    ]


@pytest.mark.slow
def test_an_error_libreoffice_saves_in_an_ods_is_found_at_its_cell(
    good: Path, tmp_path: Path, soffice: str
) -> None:
    """An .ods keeps an error as calcext:value-type="error": found at its cell, as in xlsx."""
    from conftest import convert

    path = _with_score(good, tmp_path / "err.xlsx", "=1/0")
    ods = convert(soffice, path, "ods", tmp_path / "lo")
    sub = read_workbook(ods)
    row = find_row(good, "Risks", "Risk ID", "R01")
    assert [(f.sheet, f.cell, f.code, f.value) for f in sub.findings] == [
        ("Risks", f"F{row}", "wrong-calculation", "#DIV/0!")
    ]


def test_no_module_evaluates_text_with_eval() -> None:
    """Formula columns are computed by rmp_workbook.formulas only, never with eval()."""
    import ast

    import rmp_workbook

    root = Path(rmp_workbook.__file__).parent
    calls = [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in root.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("eval", "exec")
    ]
    assert calls == []
