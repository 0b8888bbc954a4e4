"""Incomplete workbooks are named as such, and a deleted column never loses rows silently.

Real workbooks: the template, filled (or not) through openpyxl, a column deleted as a
person deletes one (the cells to its right move left).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import run_rmp
from fill import GOOD_FORM, fill, fill_good, make_template

from rmp_workbook.validate import read_workbook, validate_paths


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("incomplete") / "template.xlsx")


def _incomplete(path: Path) -> list[tuple[str, str, str]]:
    sub = read_workbook(path)
    return [(f.sheet, f.cell, f.message) for f in sub.findings if f.code == "incomplete"]


def test_an_untouched_template_is_incomplete_not_ok(template: Path) -> None:
    assert _incomplete(template) == [
        ("Relationship", "B6", "Prepared by is blank. Type your name."),
        ("Relationship", "B7", "Prepared on is blank. Type the date you completed this workbook."),
        ("Stages", "B2", "No life-cycle stage has a Status yet. Pick where each stage stands "
                         "(Not started, In progress, Complete …)."),
        ("Health check", "B2", "No behaviour has a Score yet. Score each behaviour from 1 (poor) "
                               "to 5 (excellent)."),
    ]  # fmt: skip
    report = validate_paths([template])
    assert report.exit_code == 0  # warnings: the partner can still send what there is
    out = run_rmp("validate", str(template))
    assert out.returncode == 0
    assert f"{template} (Northwind Ltd, 2026-11): incomplete, 4 warnings" in out.stdout
    assert ": OK" not in out.stdout


def test_sla_rows_without_any_actual_are_named(template: Path, tmp_path: Path) -> None:
    sla = [{"Service": "Help desk", "Measure": "First response (hours)", "Target": 4,
            "Direction": "At most", "Period": "2026-11"},
           {"Service": "Help desk", "Measure": "Resolution (days)", "Target": 2,
            "Direction": "At most", "Period": "2026-11"}]  # fmt: skip
    blank = fill(template, tmp_path / "sla.xlsx", form=GOOD_FORM, rows={"SLA": sla})
    assert ("SLA", "F2", "No service level has its Actual yet. Type the level achieved in the "
            "period on each row.") in _incomplete(blank)  # fmt: skip
    sla[1]["Actual"] = 1.5
    one = fill(template, tmp_path / "sla-one.xlsx", form=GOOD_FORM, rows={"SLA": sla})
    assert [x for x in _incomplete(one) if x[0] == "SLA"] == []


def test_a_complete_workbook_has_no_incomplete_warning(template: Path, tmp_path: Path) -> None:
    assert _incomplete(fill_good(template, tmp_path / "good.xlsx")) == []


def _delete_column(src: Path, out: Path, sheet: str, header: str) -> Path:
    wb = openpyxl.load_workbook(src)
    ws = wb[sheet]
    col = next(c.column for c in ws[1] if c.value == header)
    ws.delete_cols(col)
    wb.save(out)
    return out


def test_a_deleted_required_column_is_an_error_that_counts_the_rows(
    template: Path, tmp_path: Path
) -> None:
    good = fill_good(template, tmp_path / "good.xlsx")
    path = _delete_column(good, tmp_path / "no-actual.xlsx", "KPIs", "Actual")
    report = validate_paths([path])
    assert report.exit_code == 1
    (missing,) = [f for f in report.findings if f.code == "missing-column"]
    assert (missing.sheet, missing.column) == ("KPIs", "Actual")
    assert missing.message == (
        "The column 'Actual' is missing from the sheet 'KPIs'. Its 2 filled rows are left out "
        "until it is back. Put it back: type the header 'Actual' in row 1 above its values, or "
        "copy the sheet from a fresh template."
    )
    sub = report.submissions[0]
    assert sub.records["kpis"] == []  # nothing half-read reaches the ledger
    assert len(sub.records["risks"]) == 3  # the other sheets are read as usual


def test_a_deleted_optional_column_is_a_warning_saying_its_values_are_blank(
    template: Path, tmp_path: Path
) -> None:
    good = fill_good(template, tmp_path / "good.xlsx")
    path = _delete_column(good, tmp_path / "no-comment.xlsx", "Risks", "Mitigation")
    (missing,) = [f for f in read_workbook(path).findings if f.code == "missing-optional-column"]
    assert "Its values are read as blank. Put it back: type the header 'Mitigation'" in (
        missing.message
    )
