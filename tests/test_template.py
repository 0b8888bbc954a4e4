"""The partner workbook: written by rmp, read back by openpyxl, python-calamine and LibreOffice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import convert, load_render_check
from openpyxl.formula.translate import Translator
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from rmp_workbook import schema
from rmp_workbook.config import RelationshipConfig, example_config_text, load_config
from rmp_workbook.findings import UsageError
from rmp_workbook.schema import ColType, SheetKind
from rmp_workbook.template import (
    INPUT_ROWS,
    TEMPLATE_GENERATED_AT,
    check_period,
    input_message,
    regenerate,
    slugify,
    template_file_name,
    write_template,
)

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "workbook_templates"
GENERATED_AT = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
PARTNER = "Northwind Ltd"
PERIOD = "2026-11"
PREFILL: dict[str, list[dict[str, object]]] = {
    "risks": [
        {"risk_id": "R01", "risk": "Key engineer leaves", "likelihood": 3, "impact": 4},
        {"risk_id": "R02", "risk": "Customs delays", "likelihood": 2, "status": "Open"},
    ],
    "actions": [{"action_id": "A01", "action": "Joint review", "due": dt.date(2026, 12, 15)}],
    "kpis": [{"kpi_id": "K01", "comment": "Carried over"}],
    "stages": [{"stage": "Working together", "status": "In progress", "progress": 0.6}],
}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> RelationshipConfig:
    path = tmp_path_factory.mktemp("config") / "rmp.toml"
    path.write_text(example_config_text(), encoding="utf-8")
    return load_config(path)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory, config: RelationshipConfig) -> Path:
    return write_template(
        tmp_path_factory.mktemp("wb") / "northwind.xlsx",
        relationship_id=config.id,
        relationship_name=config.name,
        partner=PARTNER,
        period=PERIOD,
        config=config,
        prefill=PREFILL,
        generated_at=GENERATED_AT,
    )


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(
        tmp_path_factory.mktemp("blank") / "blank.xlsx",
        relationship_id="acme",
        relationship_name="Acme & Co",
        partner="Acme",
        period="2026-01",
    )


@pytest.fixture(scope="module")
def opx(workbook: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(workbook)


def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def expected_rows(sheet: schema.Sheet, config: RelationshipConfig) -> int:
    """How many data rows each table starts with in the ``workbook`` fixture."""
    if sheet.kind is SheetKind.FIXED:
        return len(sheet.fixed_rows)
    return {
        "kpis": len(config.kpis),
        "sla": len(config.sla),
        "contacts": 1,
        "risks": 2,
        "actions": 1,
    }.get(sheet.key, 0)


# -- structure (openpyxl) ---------------------------------------------------------------


def test_sheets_in_schema_order_meta_very_hidden(opx: openpyxl.Workbook) -> None:
    assert opx.sheetnames == list(schema.SHEET_ORDER)
    assert opx[schema.META_SHEET].sheet_state == "veryHidden"
    for name in opx.sheetnames[:-1]:
        assert opx[name].sheet_state == "visible", name


def test_every_header_exactly_once_on_its_sheet(opx: openpyxl.Workbook) -> None:
    for sheet in schema.SHEETS:
        ws = opx[sheet.name]
        counts = Counter(c.value for row in ws.iter_rows() for c in row if c.value is not None)
        for header in sheet.headers:
            assert counts[header] == 1, (sheet.name, header, counts[header])
        if sheet.kind is SheetKind.FORM:
            assert [c.value for c in ws[1]] == list(schema.FORM_HEADERS)
            labels = [
                ws.cell(schema.FORM_FIRST_ROW + 1 + i, 1).value for i in range(len(sheet.columns))
            ]
            assert labels == list(sheet.headers)
        else:
            header_row = [c.value for c in ws[schema.HEADER_ROW + 1]]
            assert header_row == list(sheet.headers)


def test_tables_named_styled_and_sized(opx: openpyxl.Workbook, config: RelationshipConfig) -> None:
    for sheet in schema.table_sheets():
        ws = opx[sheet.name]
        assert list(ws.tables) == [sheet.table_name]
        table = ws.tables[sheet.table_name]
        rows = max(1, expected_rows(sheet, config))
        last = get_column_letter(len(sheet.columns))
        assert table.ref == f"A1:{last}{1 + rows}", sheet.name
        assert [c.name for c in table.tableColumns] == list(sheet.headers)
        assert table.tableStyleInfo.name.startswith("TableStyleMedium")


def _dv_for(ws: Any, row: int, col: int) -> Any:
    """The data validation covering a cell (1-based row/col), or None."""
    ref = f"{get_column_letter(col)}{row}"
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert len(found) <= 1, ref
    return found[0] if found else None


def _column_dim(ws: Any, j: int) -> Any:
    """The column dimension covering 1-based column ``j`` (Excel groups equal columns)."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= j <= (dim.max or dim.min):
            return dim
    raise AssertionError(f"{ws.title}: no width for column {j}")


def _check_dv(dv: Any, col: schema.Column) -> None:
    assert dv is not None, col.header
    assert dv.promptTitle == col.header[:32]
    assert dv.prompt == input_message(col) and len(dv.prompt) <= 255
    assert dv.showInputMessage and dv.showErrorMessage
    assert dv.errorStyle in (None, "stop")
    assert dv.error and dv.errorTitle
    if col.type is ColType.CHOICE:
        assert dv.type == "list"
        assert dv.formula1 == '"' + ",".join(col.choices) + '"'
    elif col.type in (ColType.SCORE, ColType.INTEGER):
        assert dv.type == "whole"
        assert (float(dv.formula1), float(dv.formula2)) == (col.minimum, col.maximum)
    elif col.type is ColType.PERCENT:
        assert (dv.type, float(dv.formula1), float(dv.formula2)) == ("decimal", 0, 1)
    elif col.type is ColType.NUMBER:
        assert dv.type == "decimal"
    elif col.type is ColType.DATE:
        assert dv.type == "date"
    elif col.type is ColType.PERIOD:
        assert dv.type == "custom" and "LEN(" in dv.formula1 and '"-"' in dv.formula1
    elif col.type is ColType.EMAIL:
        assert dv.type == "custom" and '"@"' in dv.formula1
    else:
        assert dv.type == "textLength" and float(dv.formula1) == col.max_length


def test_validation_on_every_typed_column_reaching_far_down(opx: openpyxl.Workbook) -> None:
    for sheet in schema.table_sheets():
        ws = opx[sheet.name]
        for j, col in enumerate(sheet.columns, start=1):
            first = schema.HEADER_ROW + 2
            if not col.is_input or (sheet.kind is SheetKind.FIXED and j == 1):
                assert _dv_for(ws, first, j) is None, (sheet.name, col.header)
                continue
            _check_dv(_dv_for(ws, first, j), col)
            assert _dv_for(ws, schema.HEADER_ROW + 1, j) is None, "header is not validated"
            if sheet.kind is SheetKind.LIST:
                for row in (500, INPUT_ROWS):
                    assert _dv_for(ws, row, j) is not None, (sheet.name, col.header, row)


PLAN_AREAS = ("development", "information", "communications", "value", "exit")


def test_plan_area_sheets_have_drop_downs_and_input_help(opx: openpyxl.Workbook) -> None:
    """Development needs … Exit and continuity plan: drop-downs as the schema lists them."""
    lists = {}
    for key in PLAN_AREAS:
        sheet = schema.SCHEMA[key]
        ws = opx[sheet.name]
        assert sheet.table_name in ws.tables and ws.protection.sheet
        assert [c.value for c in ws[schema.HEADER_ROW + 1]][: len(sheet.columns)] == list(
            sheet.headers
        )
        for j, col in enumerate(sheet.columns, start=1):
            dv = _dv_for(ws, schema.HEADER_ROW + 2, j)
            assert dv is not None and dv.prompt == input_message(col), (sheet.name, col.header)
            if col.type is ColType.CHOICE:
                lists[(sheet.name, col.header)] = dv.formula1.strip('"').split(",")
    assert lists[("Information sharing", "Confidentiality")] == list(schema.CONFIDENTIALITY)
    assert lists[("Communications plan", "Frequency")] == list(schema.FREQUENCIES)
    assert lists[("Communications plan", "Channel")] == list(schema.CHANNELS)
    assert "Met" in lists[("Development needs", "Status")]
    assert lists[("Exit and continuity plan", "Status")][-1] == "Retired"
    assert "Delivered" in lists[("Value creation", "Status")]


def test_form_validation_and_prefill(opx: openpyxl.Workbook, config: RelationshipConfig) -> None:
    ws = opx["Relationship"]
    for i, col in enumerate(schema.RELATIONSHIP.columns):
        row = schema.FORM_FIRST_ROW + 1 + i
        _check_dv(_dv_for(ws, row, schema.FORM_VALUE_COL + 1), col)
        assert ws.cell(row, schema.FORM_VALUE_COL + 1).protection.locked is False
        assert ws.cell(row, schema.FORM_LABEL_COL + 1).protection.locked is True
    values = {
        ws.cell(r, 1).value: ws.cell(r, 2).value
        for r in range(2, 2 + len(schema.RELATIONSHIP.columns))
    }
    assert values["Relationship ID"] == config.id
    assert values["Relationship name"] == config.name
    assert values["Partner organisation"] == PARTNER
    assert values["Reporting period"] == PERIOD
    assert ws.freeze_panes == "A2"


def test_protection_locks_headers_fixed_items_and_formulas(opx: openpyxl.Workbook) -> None:
    for name in schema.SHEET_ORDER:
        prot = opx[name].protection
        assert prot.sheet and not prot.password, name
    for sheet in schema.table_sheets():
        ws = opx[sheet.name]
        prot = ws.protection
        # False means "not protected", i.e. the person may do it.
        assert not (prot.insertRows or prot.sort or prot.autoFilter or prot.formatColumns)
        assert prot.insertColumns and prot.formatCells
        for j, col in enumerate(sheet.columns, start=1):
            assert ws.cell(1, j).protection.locked, (sheet.name, "header")
            fixed = sheet.kind is SheetKind.FIXED and j == 1
            if sheet.kind is SheetKind.LIST:
                # Rows added below the table inherit the column's format.
                assert _column_dim(ws, j).protection.locked is (not col.is_input)
            for r in range(2, ws.max_row + 1):
                cell = ws.cell(r, j)
                if cell.has_style:
                    assert cell.protection.locked is (fixed or not col.is_input), cell.coordinate


def test_risk_score_is_a_guarded_locked_formula_with_plain_references(
    opx: openpyxl.Workbook,
) -> None:
    ws = opx["Risks"]
    j = schema.RISKS.headers.index("Score") + 1
    table_col = ws.tables["RisksTable"].tableColumns[j - 1]
    # A table's calculated-column formula would be a structured reference: Gnumeric loses it.
    assert table_col.calculatedColumnFormula is None
    for r in (2, 3):
        cell = ws.cell(r, j)
        assert cell.value == f'=IF(AND(ISNUMBER(D{r}),ISNUMBER(E{r})),D{r}*E{r},"")'
        assert cell.protection.locked


def test_number_formats_follow_types(opx: openpyxl.Workbook) -> None:
    expected = {
        ColType.PERCENT: "0.0%",
        ColType.DATE: "yyyy-mm-dd",
        ColType.PERIOD: "@",
        ColType.TEXT: "@",
    }
    for sheet in schema.table_sheets():
        ws = opx[sheet.name]
        for j, col in enumerate(sheet.columns, start=1):
            fmt = expected.get(col.type)
            if fmt and ws.cell(2, j).has_style:
                assert ws.cell(2, j).number_format == fmt, (sheet.name, col.header)


def test_freeze_widths_and_print_setup(opx: openpyxl.Workbook, config: RelationshipConfig) -> None:
    for sheet in schema.table_sheets():
        ws = opx[sheet.name]
        assert ws.freeze_panes == ("B2" if sheet.kind is SheetKind.FIXED else "A2")
        for j, col in enumerate(sheet.columns, start=1):
            width = _column_dim(ws, j).width
            # The schema's width, or wider for a long header word or pre-filled text.
            assert col.width - 1 < width < max(col.width, 48) + 1, (sheet.name, col.header)
    for name in (s.name for s in schema.SHEETS):
        ws = opx[name]
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$1:$1"
        assert config.name in ws.oddHeader.left.text
        assert "&P" in ws.oddFooter.right.text


def test_guide_is_generated_from_the_schema(opx: openpyxl.Workbook) -> None:
    ws = opx[schema.GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert ws.merged_cells.ranges, "the banner is merged"
    for sheet in schema.SHEETS:
        assert sheet.help in text
        for col in sheet.columns:
            assert col.help in text, (sheet.name, col.header)
    assert "Colour legend" in text and "Who to ask" in text
    assert "Aisha Khan" in text  # the partners' contacts from the config
    unlocked = [c for row in ws.iter_rows() for c in row if c.has_style and not c.protection.locked]
    assert [c.value for c in unlocked] == ["Type here"]  # only the legend's sample


def test_meta_sheet_identity(opx: openpyxl.Workbook, config: RelationshipConfig) -> None:
    ws = opx[schema.META_SHEET]
    meta = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert list(meta) == list(schema.META_KEYS)
    assert meta["schema_version"] == schema.SCHEMA_VERSION
    assert meta["relationship_id"] == config.id
    assert meta["partner"] == PARTNER and meta["period"] == PERIOD
    assert meta["generated_at"] == GENERATED_AT.isoformat()
    assert meta["template_id"] and len(meta["template_id"]) == 16


# -- values (calamine) ------------------------------------------------------------------


def _records(path: Path, sheet: schema.Sheet) -> list[dict[str, Any]]:
    rows = calamine_rows(path, sheet.name)
    header = rows[schema.HEADER_ROW]
    return [dict(zip(header, r, strict=False)) for r in rows[schema.HEADER_ROW + 1 :]]


def test_kpi_and_sla_rows_prefilled_from_config(workbook: Path, config: RelationshipConfig) -> None:
    kpis = _records(workbook, schema.KPIS)
    assert [r["KPI ID"] for r in kpis] == [k.id for k in config.kpis]
    for row, kpi in zip(kpis, config.kpis, strict=True):
        assert row["KPI"] == kpi.name and row["Direction"] == kpi.direction
        assert row["Target"] == kpi.target and row["Amber threshold"] == kpi.amber
        assert row["Period"] == PERIOD and row["Actual"] == ""
    assert kpis[0]["Comment"] == "Carried over"  # prefill completed the config row
    sla = _records(workbook, schema.SLA)
    assert [(r["Service"], r["Measure"], r["Period"]) for r in sla] == [
        (s.service, s.measure, PERIOD) for s in config.sla
    ]
    contacts = _records(workbook, schema.CONTACTS)
    assert [(c["Name"], c["Organisation"]) for c in contacts] == [("Aisha Khan", PARTNER)]


def test_prefilled_rows_and_fixed_items(workbook: Path) -> None:
    risks = _records(workbook, schema.RISKS)
    assert [(r["Risk ID"], r["Score"]) for r in risks] == [("R01", 12), ("R02", "")]
    actions = _records(workbook, schema.ACTIONS)
    assert actions[0]["Action ID"] == "A01" and actions[0]["Due"] == dt.date(2026, 12, 15)
    for sheet in (schema.STAGES_SHEET, schema.HEALTH):
        rows = _records(workbook, sheet)
        assert [r[sheet.columns[0].header] for r in rows] == list(sheet.fixed_rows)
    stages = {r["Stage"]: r for r in _records(workbook, schema.STAGES_SHEET)}
    assert stages["Working together"]["Status"] == "In progress"
    assert stages["Working together"]["Progress %"] == 0.6


def test_blank_list_tables_have_one_empty_row(blank: Path) -> None:
    for sheet in schema.table_sheets():
        if sheet.kind is SheetKind.LIST:
            assert all(v in ("", None) for r in _records(blank, sheet) for v in r.values())
    rel = calamine_rows(blank, "Relationship")
    assert rel[1][1] == "acme" and rel[4][1] == "2026-01"


def test_same_inputs_same_bytes(tmp_path: Path, config: RelationshipConfig) -> None:
    kwargs: dict[str, Any] = {
        "relationship_id": config.id,
        "relationship_name": config.name,
        "partner": PARTNER,
        "period": PERIOD,
        "config": config,
        "prefill": PREFILL,
        "generated_at": GENERATED_AT,
    }
    a = write_template(tmp_path / "a.xlsx", **kwargs)
    b = write_template(tmp_path / "b.xlsx", **kwargs)
    assert a.read_bytes() == b.read_bytes()
    assert openpyxl.load_workbook(a).properties.created == GENERATED_AT.replace(tzinfo=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"], "no temporary file"


def test_bad_arguments_raise(tmp_path: Path) -> None:
    base: dict[str, Any] = {"relationship_id": "x", "relationship_name": "X", "partner": "P"}
    with pytest.raises(UsageError, match="YYYY-MM"):
        write_template(tmp_path / "a.xlsx", period="2026-13", **base)
    with pytest.raises(UsageError, match="no sheet"):
        write_template(tmp_path / "a.xlsx", period=PERIOD, prefill={"nope": []}, **base)
    with pytest.raises(UsageError, match="unknown columns"):
        write_template(tmp_path / "a.xlsx", period=PERIOD, prefill={"risks": [{"x": 1}]}, **base)
    with pytest.raises(UsageError, match="not a fixed row"):
        write_template(
            tmp_path / "a.xlsx", period=PERIOD, prefill={"stages": [{"stage": "Dating"}]}, **base
        )
    assert not list(tmp_path.iterdir())


# -- the committed template -------------------------------------------------------------


def _summary(path: Path) -> dict[str, Any]:
    """Everything a person sees or is guided by, without timestamps."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        cells = {
            c.coordinate: (
                c.value,
                c.number_format,
                c.protection.locked,
                c.alignment.horizontal,
                c.alignment.wrap_text,
                c.fill.fgColor.rgb,
                c.font.b,
                c.border.left.style,
            )
            for row in ws.iter_rows()
            for c in row
            if c.value is not None or c.has_style
        }
        if ws.title == schema.META_SHEET:
            cells.pop("B6", None)  # generated_at
            cells.pop("B7", None)  # template_id depends on it
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.prompt, dv.error)
                for dv in ws.data_validations.dataValidation
            ),
            "tables": {
                n: (ws.tables[n].ref, [c.name for c in ws.tables[n].tableColumns])
                for n in ws.tables
            },
            "freeze": ws.freeze_panes,
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "protected": ws.protection.sheet,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        }
    return out


def test_committed_templates_are_current(tmp_path: Path) -> None:
    fresh = regenerate(tmp_path)
    stale = (
        "workbook_templates/ is stale: "
        "run PYTHONPATH=src python -m rmp_workbook.template workbook_templates/"
    )
    assert (COMMITTED / "rmp.toml").read_text(encoding="utf-8") == fresh[1].read_text(
        encoding="utf-8"
    ), stale
    assert _summary(COMMITTED / "rmp-template.xlsx") == _summary(fresh[0]), stale
    meta = openpyxl.load_workbook(fresh[0])[schema.META_SHEET]
    assert meta["B6"].value == TEMPLATE_GENERATED_AT.isoformat()


# -- a person filling it in with openpyxl -----------------------------------------------


@pytest.fixture(scope="module")
def filled(workbook: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbook filled by header name, as a script or a person with openpyxl would."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb["KPIs"]
    col = {c.value: c.column for c in ws[1]}
    for r, actual in zip(range(2, ws.max_row + 1), (91.5, 6, 99.2, 18000), strict=True):
        ws.cell(r, col["Actual"], actual)
    ws = wb["Risks"]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(3, col["Impact"], 5)  # R02 gets its impact: Score becomes 10
    before = ws.max_row
    ws.append(
        {col["Risk ID"]: "R03", col["Risk"]: "New supplier", col["Likelihood"]: 1, col["Impact"]: 2}
    )
    assert ws.max_row == before + 1 == 4, "append lands right under the table"
    rel = wb["Relationship"]
    labels = {rel.cell(r, 1).value: r for r in range(2, rel.max_row + 1)}
    rel.cell(labels["Prepared by"], 2, "Aisha Khan")
    out = tmp_path_factory.mktemp("filled") / "filled.xlsx"
    wb.save(out)
    return out


def test_person_filling_with_openpyxl_saves_a_clean_file(filled: Path) -> None:
    wb = openpyxl.load_workbook(filled)
    assert wb.sheetnames == list(schema.SHEET_ORDER)
    assert wb[schema.META_SHEET].sheet_state == "veryHidden"
    assert wb["Risks"].tables["RisksTable"].ref == "A1:K3"
    assert _dv_for(wb["Risks"], 4, 4) is not None, "the appended row is validated"
    kpis = _records(filled, schema.KPIS)
    assert [r["Actual"] for r in kpis] == [91.5, 6, 99.2, 18000]
    risks = _records(filled, schema.RISKS)
    assert [r["Risk ID"] for r in risks] == ["R01", "R02", "R03"]
    assert calamine_rows(filled, "Relationship")[5][1] == "Aisha Khan"


# -- LibreOffice ------------------------------------------------------------------------

_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def convert_recalculating(soffice: str, src: Path, outdir: Path) -> Path:
    """Convert to xlsx through LibreOffice set to recalculate every formula on load."""
    return convert(soffice, src, "xlsx", outdir, registry=_RECALC)


@pytest.fixture(scope="module")
def via_libreoffice(
    soffice: str, workbook: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    outdir = tmp_path_factory.mktemp("lo")
    return {fmt: convert(soffice, workbook, fmt, outdir) for fmt in ("xlsx", "ods")}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_keeps_sheets_headers_and_prefilled_rows(
    via_libreoffice: dict[str, Path], workbook: Path, fmt: str
) -> None:
    converted = via_libreoffice[fmt]
    assert CalamineWorkbook.from_path(str(converted)).sheet_names == list(schema.SHEET_ORDER)
    for sheet in schema.SHEETS:
        rows = calamine_rows(converted, sheet.name)
        if sheet.kind is SheetKind.FORM:
            assert rows[0][:3] == list(schema.FORM_HEADERS)
            assert [r[0] for r in rows[1 : 1 + len(sheet.columns)]] == list(sheet.headers)
            assert [r[1] for r in rows[1:5]] == [
                r[1] for r in calamine_rows(workbook, sheet.name)[1:5]
            ]
            continue
        assert rows[schema.HEADER_ROW][: len(sheet.columns)] == list(sheet.headers)
        original = [
            r for r in _records(workbook, sheet) if any(v not in ("", None) for v in r.values())
        ]
        again = [
            r for r in _records(converted, sheet) if any(v not in ("", None) for v in r.values())
        ]
        key = sheet.columns[0].header
        assert [r[key] for r in again] == [r[key] for r in original], sheet.name
    kpis = _records(converted, schema.KPIS)
    assert {r["Period"] for r in kpis} == {PERIOD}
    meta = calamine_rows(converted, schema.META_SHEET)
    assert meta[0] == ["schema_version", schema.SCHEMA_VERSION]


@pytest.mark.slow
def test_libreoffice_keeps_validations_tables_and_protection(
    via_libreoffice: dict[str, Path],
) -> None:
    wb = openpyxl.load_workbook(via_libreoffice["xlsx"])
    for sheet in schema.table_sheets():
        ws = wb[sheet.name]
        assert ws.protection.sheet, sheet.name
        assert sheet.table_name in ws.tables, sheet.name
        for j, col in enumerate(sheet.columns, start=1):
            if col.is_input and not (sheet.kind is SheetKind.FIXED and j == 1):
                dv = _dv_for(ws, 2, j)
                assert dv is not None and dv.prompt == input_message(col), (sheet.name, col.header)
    assert wb[schema.META_SHEET].sheet_state in ("hidden", "veryHidden")


@pytest.mark.slow
def test_libreoffice_recalculates_score_and_agrees_with_period_and_email_rules(
    soffice: str, filled: Path, opx: openpyxl.Workbook, tmp_path: Path
) -> None:
    # The table formula works in a second application once a person types the inputs.
    risks = _records(convert_recalculating(soffice, filled, tmp_path), schema.RISKS)
    assert [(r["Risk ID"], r["Score"]) for r in risks[:2]] == [("R01", 12), ("R02", 10)]

    # The custom validation formulas give the same verdicts in LibreOffice as in Python.
    cases = {
        "Period": {
            "2026-11": True,
            "1999-01": True,
            "2026-13": False,
            "2026-1": False,
            "2026/11": False,
            "abcd-11": False,
            "2026-00": False,
            "26-11-01": False,
        },
        "Email": {
            "a@b.example": True,
            "name@company.com": True,
            "no-at-sign": False,
            "two words@x.com": False,
        },
    }
    sheets = {"Period": ("KPIs", "G"), "Email": ("Contacts", "E")}
    check = openpyxl.Workbook()
    ws = check.active
    ws.title = "Check"
    expected = []
    row = 1
    for name, verdicts in cases.items():
        sheet, letter = sheets[name]
        dv = _dv_for(opx[sheet], 2, ord(letter) - 64)
        origin = f"{letter}2"
        for text, ok in verdicts.items():
            # Put the text where the formula's relative reference points, the formula beside it.
            formula = Translator("=" + dv.formula1, origin=origin).translate_formula(
                f"{letter}{row}"
            )
            ws[f"{letter}{row}"] = text
            ws[f"{letter}{row}"].data_type = "s"
            ws.cell(row, 26, formula)
            expected.append((text, ok))
            row += 1
    src = tmp_path / "rules.xlsx"
    check.save(src)
    out = convert_recalculating(soffice, src, tmp_path / "out")
    got = [c.value for c in openpyxl.load_workbook(out, data_only=True)["Check"]["Z"]]
    # An error (text that is not a number) counts as a rejection, as in the validation itself.
    assert [g is True for g in got] == [ok for _, ok in expected], list(
        zip(expected, got, strict=True)
    )


# -- helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2026-11", True), (" 2026-01 ", True), ("2026-13", False), ("2026-1", False), ("", False)],
)
def test_check_period(text: str, ok: bool) -> None:
    if ok:
        assert check_period(text) == text.strip()
    else:
        with pytest.raises(UsageError):
            check_period(text)


def test_file_names_are_safe() -> None:
    assert slugify("Northwind–Contoso / Ltd.") == "northwind-contoso-ltd"
    assert template_file_name("Société Générale", "2026-11") == "societe-generale-2026-11.xlsx"
    assert template_file_name("???", "2026-11") == "partner-2026-11.xlsx"


def test_prefill_adds_rows_beyond_config_and_sets_the_period(
    tmp_path: Path, config: RelationshipConfig
) -> None:
    extra = {"kpis": [{"kpi_id": "K09", "kpi": "Extra"}], "sla": [{"service": "S", "measure": "M"}]}
    path = write_template(
        tmp_path / "x.xlsx",
        relationship_id="r",
        relationship_name="R",
        partner="Contoso plc",
        period="2027-01",
        config=config,
        prefill=extra,
        generated_at=dt.datetime(2027, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    )
    kpis = _records(path, schema.KPIS)
    assert [(r["KPI ID"], r["Period"]) for r in kpis][-2:] == [
        ("K04", "2027-01"),
        ("K09", "2027-01"),
    ]
    assert _records(path, schema.SLA)[-1]["Period"] == "2027-01"
    assert _records(path, schema.CONTACTS)[0]["Name"] == "Tom Becker"  # Contoso's contact
    created = openpyxl.load_workbook(path).properties.created
    assert created == dt.datetime(2027, 1, 2, 1, 4)  # stored in UTC


def _guide_lines(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_guide_says_each_thing_once(opx: openpyxl.Workbook) -> None:
    """The Guide explains how to type numbers, dates and rows once, not on every column,
    and its advice on percentages is what rmp reads without a warning."""
    lines = _guide_lines(opx[schema.GUIDE_SHEET])
    text = "\n".join(lines)
    for said_once in ("several sentences", "without units", "2026-11-30", "rows directly under"):
        assert text.count(said_once) == 1, said_once
    assert "One row per item" not in text
    assert text.count("typed as 91%") == 2  # the step, and the KPI Actual column's help
    assert "from 0% to 100%. A percentage" not in text  # the help already says it
    # Apart from the column lines (sheets share some columns), no paragraph is repeated.
    column_lines = {c.help for sheet in schema.SHEETS for c in sheet.columns}
    paragraphs = [line.removesuffix(" Required.") for line in lines if len(line) > 40]
    repeated = {p for p in paragraphs if paragraphs.count(p) > 1} - column_lines
    assert not repeated, repeated


def test_guide_names_the_relationship_manager(opx: openpyxl.Workbook, blank: Path) -> None:
    ws = opx[schema.GUIDE_SHEET]
    lines = _guide_lines(ws)
    who = lines.index("Who to ask")
    assert lines[who + 1] == "Relationship manager"
    assert "Priya Shah (priya.shah@northwind.example, +44 20 7946 0100)" in lines[who + 2]
    # Without a config, the Guide still says whom to ask.
    plain = _guide_lines(openpyxl.load_workbook(blank)[schema.GUIDE_SHEET])
    assert "the relationship manager who sent it to you" in plain[plain.index("Who to ask") + 1]


def test_guide_shows_the_due_date_from_the_config(tmp_path: Path) -> None:
    from rmp_workbook.config import RelationshipConfig

    if "due" not in RelationshipConfig.model_fields:
        pytest.skip("this config has no due day")
    import re

    text = example_config_text()
    if re.search(r"^due = ", text, re.M):
        text = re.sub(r"^due = .*$", "due = 7", text, count=1, flags=re.M)
    else:
        text = text.replace("[relationship]\n", "[relationship]\ndue = 7\n", 1)
    path = tmp_path / "rmp.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    out = write_template(tmp_path / "nw.xlsx", relationship_id=config.id,
                         relationship_name=config.name, partner=PARTNER, period="2026-11",
                         config=config)  # fmt: skip
    lines = _guide_lines(openpyxl.load_workbook(out)[schema.GUIDE_SHEET])
    text = "\n".join(lines)
    assert "due back Monday 2026-12-07" in text
    assert "send it back by Monday 2026-12-07." in text
    blank = write_template(tmp_path / "b.xlsx", relationship_id="x", relationship_name="X",
                           partner="P", period="2026-11")  # fmt: skip
    plain = "\n".join(_guide_lines(openpyxl.load_workbook(blank)[schema.GUIDE_SHEET]))
    assert "due back" not in plain and "before the monthly deadline" in plain


# -- rendering: text fits its cells ---------------------------------------------------


def test_headers_and_pre_filled_names_fit_their_cells(tmp_path: Path, config) -> None:
    """Measured as printed (scripts/render_check.py): no header broken mid-word or cut
    ("Confidentiality", "Notice period (days)"), no pre-filled SLA measure, owner or
    e-mail cut by the next column, no Guide paragraph cut by its row, a long relationship
    name wraps in the banner. Rows the partner fills grow to their text (autofit)."""
    long = config.model_copy(
        update={
            "name": "Northwind–Contoso precision components partnership for the EV platform",
            "sla": [
                s.model_copy(update={"measure": "NCR first response (working days)",
                                     "owner": "Northwind Components Ltd"})
                for s in config.sla
            ],
        }
    )  # fmt: skip
    prefill = {
        "contacts": [{"name": "Daniel Okafor", "organisation": "Northwind Components Ltd",
                      "email": "daniel.okafor@northwind.example", "phone": "+44 113 496 0389"}],
        "exit": [{"scenario_id": "X01", "trigger": "Contract not renewed",
                  "owner": "Contoso Engineering plc", "notice_days": 180}],
    }  # fmt: skip
    book = write_template(
        tmp_path / "long.xlsx", relationship_id=long.id, relationship_name=long.name,
        partner=PARTNER, period=PERIOD, config=long, prefill=prefill, generated_at=GENERATED_AT,
    )  # fmt: skip
    found = load_render_check().misfits(book, autofit_rows=True)
    assert [str(m) for m in found] == []
    opx = openpyxl.load_workbook(book)
    assert opx["Exit and continuity plan"].row_dimensions[1].height > 30, "three header lines"
