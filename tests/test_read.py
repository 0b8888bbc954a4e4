"""Reading filled workbooks: every application's file gives the same typed rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import convert
from fill import (
    GOOD_APPENDED,
    GOOD_ROWS,
    PARTNER,
    PERIOD,
    RELATIONSHIP_ID,
    fill,
    fill_good,
    find_row,
    make_template,
    set_error_cells,
)
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from rmp_workbook.read import read_raw, vba_module_names
from rmp_workbook.schema import META_SHEET, SCHEMA, SCHEMA_VERSION, STAGES
from rmp_workbook.validate import read_workbook


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, Path]:
    """A good workbook filled through openpyxl, and LibreOffice's .xlsx, .ods and .xls of it."""
    tmp = tmp_path_factory.mktemp("read")
    template = make_template(tmp / "template.xlsx")
    good = fill_good(template, tmp / "good.xlsx")
    return {
        "template": template,
        "openpyxl": good,
        "lo-xlsx": convert(soffice, good, "xlsx:Calc MS Excel 2007 XML", tmp / "lo"),
        "lo-ods": convert(soffice, good, "ods", tmp / "lo"),
        "lo-xls": convert(soffice, good, "xls", tmp / "lo"),
    }


def _typed(path: Path) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    sub = read_workbook(path)
    return {k: [(r.row, r.values) for r in v] for k, v in sub.records.items()}


def test_good_file_is_valid_with_its_identity(books: dict[str, Path]) -> None:
    sub = read_workbook(books["openpyxl"])
    assert sub.findings == [] and sub.valid
    assert (sub.meta.relationship_id, sub.meta.partner, sub.meta.period) == (
        RELATIONSHIP_ID, PARTNER, PERIOD
    )  # fmt: skip
    assert sub.meta.schema_version == SCHEMA_VERSION
    assert sub.sha256 == hashlib.sha256(books["openpyxl"].read_bytes()).hexdigest()
    assert sub.received_at == dt.datetime.fromtimestamp(
        books["openpyxl"].stat().st_mtime, tz=dt.UTC
    )


def test_every_row_typed_as_filled(books: dict[str, Path]) -> None:
    typed = _typed(books["openpyxl"])
    risks = {v["risk_id"]: v for _, v in typed["risks"]}
    appended = GOOD_APPENDED["Risks"][0]["Risk ID"]
    assert set(risks) == {"R01", "R02", appended}, "the row appended below the table is read"
    assert risks["R01"]["score"] == 12 and risks["R01"]["raised_on"] == dt.date(2026, 9, 1)
    kpis = {v["kpi_id"]: v for _, v in typed["kpis"]}
    assert kpis["K02"]["actual"] == 1250.0, "'1,250.00' typed as text"
    stages = {v["stage"]: v for _, v in typed["stages"]}
    assert stages["Knowledge"]["progress"] == pytest.approx(0.91), "'91 %' typed as text"
    assert stages["Knowledge"]["status"] == "In progress"
    assert set(stages) == {r["Stage"] for r in GOOD_ROWS["Stages"]}, "unfilled stages left out"
    for sheet in ("contacts", "sla", "bottlenecks", "successes", "testimonials", "actions"):
        assert len(typed[sheet]) == len(GOOD_ROWS[SCHEMA[sheet].name])
    for sheet in ("development", "information", "communications", "value", "exit"):
        assert len(typed[sheet]) == len(GOOD_ROWS[SCHEMA[sheet].name]), sheet
    flows = {v["flow_id"]: v for _, v in typed["information"]}
    assert (flows["I02"]["how"], flows["I02"]["frequency"]) == ("API / EDI", "Daily")
    assert flows["I02"]["owner"] is None
    (_, comm), (_, value) = typed["communications"][0], typed["value"][0]
    assert comm["next_due"] == dt.date(2026, 12, 10), "10/12/2026 typed as text, day first"
    assert value["realised"] == 45000.0 and value["estimated"] == 120000.0
    assert typed["exit"][0][1]["notice_days"] == 90
    appended_row = find_row(books["openpyxl"], "Risks", "Risk ID", appended) - 1
    assert (appended_row, appended) in [(r, v["risk_id"]) for r, v in typed["risks"]]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lo-xlsx", "lo-ods", "lo-xls"])
def test_libreoffice_copies_give_identical_typed_rows(books: dict[str, Path], kind: str) -> None:
    expected = _typed(books["openpyxl"])
    assert _typed(books[kind]) == expected
    assert read_workbook(books[kind]).findings == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lo-xlsx", "lo-ods"])
def test_very_hidden_sheet_comes_back_hidden_and_is_still_read(
    books: dict[str, Path], kind: str
) -> None:
    original = CalamineWorkbook.from_path(str(books["openpyxl"])).sheets_metadata
    copy = CalamineWorkbook.from_path(str(books[kind])).sheets_metadata
    assert next(m for m in original if m.name == META_SHEET).visible == SheetVisibleEnum.VeryHidden
    assert next(m for m in copy if m.name == META_SHEET).visible == SheetVisibleEnum.Hidden
    raw = read_raw(books[kind])
    assert raw.meta is not None and raw.meta["relationship_id"] == RELATIONSHIP_ID
    assert (
        read_workbook(books[kind]).meta.template_id
        == read_raw(books["openpyxl"]).meta["template_id"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lo-xlsx", "lo-ods"])
def test_libreoffice_keeps_percent_text_as_text_still_coerced(
    books: dict[str, Path], kind: str
) -> None:
    grid = CalamineWorkbook.from_path(str(books[kind])).get_sheet_by_name("Stages").to_python()
    assert "91 %" in [c for row in grid for c in row]
    stages = {v["stage"]: v for _, v in _typed(books[kind])["stages"]}
    assert stages["Knowledge"]["progress"] == pytest.approx(0.91)


def test_lost_metadata_falls_back_to_the_relationship_form(
    books: dict[str, Path], tmp_path: Path
) -> None:
    copy = fill(books["template"], tmp_path / "copy.xlsx", remove_sheets=[META_SHEET])
    sub = read_workbook(copy)
    assert sub.valid
    assert (sub.meta.relationship_id, sub.meta.partner, sub.meta.period) == (
        RELATIONSHIP_ID, PARTNER, PERIOD
    )  # fmt: skip
    assert sub.meta.template_id == ""


def test_form_disagreeing_with_metadata_warns_and_metadata_wins(
    books: dict[str, Path], tmp_path: Path
) -> None:
    path = fill(books["template"], tmp_path / "x.xlsx", form={"Partner organisation": "Contoso"})
    sub = read_workbook(path)
    assert [(f.ref, f.code, f.value) for f in sub.findings if f.code != "incomplete"] == [
        ("Relationship!B4", "meta-mismatch", "Contoso")
    ]
    assert sub.valid and sub.meta.partner == PARTNER


def test_names_matched_forgivingly(tmp_path: Path) -> None:
    """Sheet and header case, spacing, '*', column order, extra columns and sheets."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Notes"
    ws["A1"] = "anything"
    ws = wb.create_sheet(" risks ")
    ws.append(["Comment (mine)", "impact", "LIKELIHOOD", "Risk *", "risk_id", "Status"])
    ws.append(["x", 4, 3.0, "Key engineer leaves", "R01", "open"])
    ws.append([None, None, None, None, None, None])
    ws.append(["only a comment", None, None, None, None, None])
    ws.append([None, 2, "1", "Currency", "R02", None])
    form = wb.create_sheet("RELATIONSHIP")
    form.append(["Field", "Value"])
    form.append(["relationship id", "NW-CT-2026"])
    form.append(["Partner organisation*", "Northwind Ltd"])
    form.append(["Reporting Period", dt.datetime(2026, 11, 1)])
    form.append(["Relationship name", "N–C"])
    wb.save(tmp_path / "loose.xlsx")
    sub = read_workbook(tmp_path / "loose.xlsx")
    assert sub.meta.period == "2026-11" and sub.meta.partner == "Northwind Ltd"
    risks = [(r.row, r.values["risk_id"], r.values["likelihood"], r.values["impact"],
              r.values["status"]) for r in sub.records["risks"]]  # fmt: skip
    assert risks == [(1, "R01", 3, 4, "Open"), (4, "R02", 1, 2, None)]
    rows = {(f.sheet, f.code, f.column) for f in sub.findings}
    # the row holding only an unknown column's value is blank: no finding, no record
    assert ("Stages", "missing-sheet", "") in rows
    assert not [f for f in sub.findings if f.sheet in (" risks ", "RELATIONSHIP")
                and f.code != "missing-optional-column"]  # fmt: skip
    missing = {f.column for f in sub.findings if f.code == "missing-optional-column"
               and f.sheet == " risks "}  # fmt: skip
    assert missing == {"Category", "Owner", "Mitigation", "Raised on", "Review by"}


def test_missing_sheet_and_column(books: dict[str, Path], tmp_path: Path) -> None:
    path = fill(books["template"], tmp_path / "x.xlsx", remove_sheets=["Successes"])
    wb = openpyxl.load_workbook(path)
    wb["Risks"]["B1"] = "What could happen"  # the required Risk header renamed
    wb.save(path)
    found = {(f.sheet, f.column, f.code) for f in read_workbook(path).findings
             if f.code != "incomplete"}  # fmt: skip
    assert found == {("Successes", "", "missing-sheet"), ("Risks", "Risk", "missing-column")}


def test_workbook_older_than_a_sheet_only_warns_it_lacks_it(
    books: dict[str, Path], tmp_path: Path
) -> None:
    path = fill(books["template"], tmp_path / "old.xlsx", remove_sheets=["Value creation"])
    wb = openpyxl.load_workbook(path)
    meta = wb[META_SHEET]
    version_cell = next(r[1] for r in meta.iter_rows() if r[0].value == "schema_version")
    version_cell.value = "1.0"  # generated before the plan-area sheets existed
    wb.save(path)
    sub = read_workbook(path)
    found = [f for f in sub.findings if f.code != "incomplete"]  # the template is unfilled
    assert [(f.sheet, f.code, str(f.severity)) for f in found] == [
        ("Value creation", "sheet-not-in-template", "warning")
    ]
    assert sub.valid and "value" not in sub.records


def test_unfilled_fixed_items_are_left_out(books: dict[str, Path]) -> None:
    raw = read_raw(books["template"])
    assert raw.sheets["stages"].rows == [] and raw.sheets["health"].rows == []
    grid = CalamineWorkbook.from_path(str(books["template"])).get_sheet_by_name("Stages")
    assert [row[0] for row in grid.to_python()[1:9]] == list(STAGES)


@pytest.mark.parametrize(
    ("content", "code", "reason"),
    [(b"Name,Value\nx,1\n", "not-a-workbook", "not a spreadsheet"),
     (b"", "empty-file", "empty"),
     (b"PK\x03\x04garbage", "corrupt-file", "damaged")],
)  # fmt: skip
def test_not_a_workbook(tmp_path: Path, content: bytes, code: str, reason: str) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(content)
    sub = read_workbook(path)
    # The container check refuses these before python-calamine opens them.
    assert [f.code for f in sub.findings] == [code]
    assert reason in sub.findings[0].message and "\n" not in sub.findings[0].message
    assert not sub.valid and sub.records == {}


def test_spreadsheet_without_rmp_sheets(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b"])
    wb.save(tmp_path / "other.xlsx")
    sub = read_workbook(tmp_path / "other.xlsx")
    assert [f.code for f in sub.findings] == ["not-a-workbook"]
    assert "none of the RMP sheets" in sub.findings[0].message


def _fake_vba_project(*modules: str) -> bytes:
    """A compound file header sector and directory entries naming streams, as Office writes."""
    entries = b""
    for name, kind in [("Root Entry", 5), ("VBA", 1), ("dir", 2), ("_VBA_PROJECT", 2),
                       *((m, 2) for m in modules), ("PROJECT", 2)]:  # fmt: skip
        raw = (name + "\0").encode("utf-16-le")
        entry = raw.ljust(64, b"\0") + len(raw).to_bytes(2, "little") + bytes([kind])
        entries += entry.ljust(128, b"\0")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".ljust(512, b"\0") + entries


def test_macros_are_named(books: dict[str, Path], tmp_path: Path) -> None:
    assert vba_module_names(_fake_vba_project("ThisWorkbook", "Module1")) == [
        "ThisWorkbook", "Module1"
    ]  # fmt: skip
    path = tmp_path / "with-macros.xlsm"
    with zipfile.ZipFile(books["openpyxl"]) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", _fake_vba_project("Module1"))
    sub = read_workbook(path)
    assert [(f.code, f.severity.value) for f in sub.findings] == [("macros", "warning")]
    assert "Module1" in sub.findings[0].message and "xl/vbaProject.bin" in sub.findings[0].message
    assert sub.valid and sub.records["risks"]


def test_excel_error_cells_are_seen(books: dict[str, Path], tmp_path: Path) -> None:
    rows = {"SLA": [{"Service": "Help desk", "Measure": "Resolution", "Period": "2026-11",
                     "Target": "=1/0", "Actual": 3}]}  # fmt: skip
    path = set_error_cells(fill(books["template"], tmp_path / "e.xlsx", rows=rows),
                           {"SLA": {"C2": "#DIV/0!"}})  # fmt: skip
    sub = read_workbook(path)
    assert [(f.ref, f.code, f.value) for f in sub.findings if f.code != "incomplete"] == [
        ("SLA!C2", "formula-error", "#DIV/0!")
    ]
    assert sub.records["sla"] == []


def test_error_cells_are_seen_in_parts_read_again(
    books: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the container check's kept budget the worksheet is read again from the file."""
    from rmp_workbook import container

    monkeypatch.setattr(container, "KEPT_BYTES", 0)
    rows = {"SLA": [{"Service": "Help desk", "Measure": "Resolution", "Period": "2026-11",
                     "Target": "=1/0", "Actual": 3}]}  # fmt: skip
    path = set_error_cells(fill(books["template"], tmp_path / "e.xlsx", rows=rows),
                           {"SLA": {"C2": "#DIV/0!"}})  # fmt: skip
    codes = [(f.ref, f.code) for f in read_workbook(path).findings if f.code != "incomplete"]
    assert codes == [("SLA!C2", "formula-error")]


def test_error_values_are_looked_for_only_where_the_check_saw_them(
    books: dict[str, Path], tmp_path: Path
) -> None:
    from rmp_workbook.container import check_container

    rows = {"SLA": [{"Service": "Help desk", "Measure": "Resolution", "Period": "2026-11",
                     "Target": "=1/0", "Actual": 3}]}  # fmt: skip
    with_error = set_error_cells(fill(books["template"], tmp_path / "e.xlsx", rows=rows),
                                 {"SLA": {"C2": "#DIV/0!"}})  # fmt: skip
    clean = fill(books["template"], tmp_path / "c.xlsx", rows=rows)
    assert check_container(with_error).error_values is True
    assert check_container(clean).error_values is False
    assert check_container(books["lo-ods"]).error_values is None  # .ods: the reader scans itself
    # A clean workbook's cells are still read in full: only the error scan is skipped.
    assert read_workbook(clean).records["sla"]


def test_cells_of_a_style_are_found_from_the_sheets_xml() -> None:
    """The percent look-up finds the cells of the percentage styles straight from the XML."""
    from rmp_workbook.read import _styled_cells

    xml = (
        b'<cols><col min="8" max="8" style="9"/></cols><sheetData>'
        b'<row r="7" s="9" customFormat="1"><c r="G7" s="4"><v>1</v></c>'
        b'<c s="9" t="n"\n r="H7"><v>0.91</v></c><c r="I7"/><c r="J7" s="19"/>'
        b'<c r="AH7" s="12"><v>0.5</v></c></row></sheetData>'
    )
    assert _styled_cells(xml, {9, 12}) == {b"H7", b"AH7"}, "s before r; not the row's style"
    assert _styled_cells(xml, {4}) == {b"G7"}
    assert _styled_cells(xml, set()) == set() and _styled_cells(xml, {5}) == set()
