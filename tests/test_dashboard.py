"""The consolidated workbook, proven by reading it back: openpyxl, its XML parts, LibreOffice."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pandas as pd
import pytest
from consolidated_factory import (
    FORMULA_LIKE,
    KPIS,
    NOT_SHARED,
    PARTNERS,
    PERIODS,
    SLAS,
    make_consolidated,
)
from openpyxl.utils.cell import range_boundaries

from rmp_workbook import __version__
from rmp_workbook.dashboard import CHART_DATA, DASHBOARD, DATA_SHEETS, write_consolidated
from rmp_workbook.records import Consolidated
from rmp_workbook.schema import BEHAVIOURS, SCHEMA, STAGES

NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "x14": "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main",
    "xm": "http://schemas.microsoft.com/office/excel/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
ROOT = Path(__file__).resolve().parent.parent


def load(path: Path, **kw) -> openpyxl.Workbook:
    # openpyxl drops the x14 extensions (sparklines, 2010 data bars) it cannot read, and says so.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path, **kw)


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its XML part inside the package, via workbook.xml and its rels."""
    with zipfile.ZipFile(path) as zf:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    out = {}
    for s in wb.find("main:sheets", NS):
        target = targets[s.get(f"{{{NS['r']}}}id")]
        out[s.get("name")] = "xl/" + target.lstrip("/").removeprefix("xl/")
    return out


def resolve(wb: openpyxl.Workbook, ref: str) -> list:
    """The values of a sheet-qualified range such as ``'Chart data'!$D$4:$I$4``."""
    sheet, _, area = ref.lstrip("=").rpartition("!")
    sheet = sheet.strip("'").replace("''", "'")
    min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    ws = wb[sheet]
    return [
        ws.cell(r, c).value
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


@pytest.fixture(scope="module")
def consolidated() -> Consolidated:
    return make_consolidated()


@pytest.fixture(scope="module")
def book(tmp_path_factory, consolidated) -> Path:
    return write_consolidated(consolidated, tmp_path_factory.mktemp("dash") / "consolidated.xlsx")


@pytest.fixture(scope="module")
def wb(book):
    return load(book)


@pytest.fixture(scope="module")
def wb_values(book):
    return load(book, data_only=True)


def dashboard_rows(wb) -> dict[str, list]:
    """Dashboard rows keyed by their column-B label."""
    ws = wb[DASHBOARD]
    return {
        row[1].value: [c.value for c in row]
        for row in ws.iter_rows()
        if len(row) > 1 and isinstance(row[1].value, str)
    }


# ---------------------------------------------------------------- structure


def test_dashboard_is_first_and_every_sheet_is_there(wb):
    assert wb.sheetnames[0] == DASHBOARD
    expected = {SCHEMA[k].name for k in DATA_SHEETS} | {
        "Charts",
        "Gaps",
        "Discrepancies",
        "Submissions",
        "Data quality",
        "Restatements",
        CHART_DATA,
        "About",
    }
    assert expected <= set(wb.sheetnames)
    assert wb.active.title == DASHBOARD


def test_reconciled_sheets_are_tables_with_schema_headers(wb, consolidated):
    for key in DATA_SHEETS:
        sheet = SCHEMA[key]
        ws = wb[sheet.name]
        assert len(ws.tables) == 1, sheet.name
        table = next(iter(ws.tables.values()))
        headers = [c.value for c in ws[1]]
        assert headers == [*sheet.headers, "Partners", "Source"]
        assert [c.name for c in table.tableColumns] == headers
        assert table.autoFilter is not None
        _, min_row, _, max_row = range_boundaries(table.ref)
        rows = consolidated.tables.get(key)
        if key == "testimonials" and rows is not None:  # only those cleared for sharing
            rows = rows[rows["may_be_shared"] == "Yes"]
        # A sheet with no rows is still a table: its header and one blank row.
        assert max_row - min_row == (len(rows) if rows is not None and len(rows) else 1)
        assert ws.freeze_panes == "B2"
    for name in ("Gaps", "Discrepancies", "Submissions", "Data quality", "Restatements"):
        assert len(wb[name].tables) == 1, name
        assert wb[name].freeze_panes == "B2"


def test_reconciled_values_come_through_typed(wb_values, consolidated):
    ws = wb_values["Risks"]
    cols = {c.value: i for i, c in enumerate(ws[1])}
    frame = consolidated.tables["risks"]
    for i, rec in enumerate(frame.to_dict("records"), start=2):
        row = [c.value for c in ws[i]]
        assert row[cols["Risk ID"]] == rec["risk_id"]
        assert row[cols["Score"]] == rec["likelihood"] * rec["impact"]
        assert row[cols["Raised on"]].date() == rec["raised_on"]
    gaps = wb_values["Gaps"]
    assert gaps.max_row - 1 == len(consolidated.gaps)
    assert [c.value for c in gaps[2]][:3] == [
        consolidated.gaps[0].severity,
        consolidated.gaps[0].area,
        consolidated.gaps[0].item,
    ]


def test_about_names_the_run_and_its_inputs(wb_values, consolidated):
    values = [c.value for row in wb_values["About"].iter_rows() for c in row]
    assert __version__ in values
    assert consolidated.ledger in values
    for path, sha in consolidated.inputs:
        assert path in values and sha in values
    assert any(getattr(v, "year", None) == 2026 for v in values)


# ---------------------------------------------------------------- the Dashboard


def test_dashboard_tiles_show_each_kpi_and_sla(wb_values):
    rows = dashboard_rows(wb_values)
    for kid, name, _unit, direction, target, amber, actuals in KPIS:
        row = rows[f"{kid} {name}"]
        now, tgt, change, status = row[3], row[4], row[5], row[7]
        assert now == pytest.approx(actuals[-1])
        assert tgt == pytest.approx(target)
        assert change == pytest.approx(actuals[-1] - actuals[-2])
        lower = direction.startswith("Lower")
        met = actuals[-1] <= target if lower else actuals[-1] >= target
        near = actuals[-1] <= amber if lower else actuals[-1] >= amber
        assert status == ("Green" if met else "Amber" if near else "Red")
    for service, measure, direction, target, actuals in SLAS:
        row = rows[f"{service}: {measure}"]
        met = actuals[-1] <= target if direction == "At most" else actuals[-1] >= target
        assert row[7] == ("Green" if met else "Red")
    # The breached dispatch SLA and the missing workshop KPI are Red, whatever the rule code.
    assert rows["Logistics: Orders dispatched in 24h (%)"][7] == "Red"
    assert rows["K04 Joint workshops held"][7] == "Red"
    assert rows["K01 On-time delivery"][7] == "Amber"


def test_dashboard_shows_submissions_stages_health_gaps(wb_values, consolidated):
    rows = dashboard_rows(wb_values)
    assert rows["Tailspin Logistics"][2] == "Missing"
    for partner in PARTNERS:
        assert rows[partner][2].lower().startswith("received")
    for stage in STAGES:
        assert stage in rows
    assert rows["Working together"][4] == pytest.approx(0.6)
    hb = consolidated.health_by_partner
    for behaviour in BEHAVIOURS:
        scores = hb[hb["behaviour"] == behaviour]["score"].tolist()
        assert rows[behaviour][2:5] == scores
    values = [c.value for row in wb_values[DASHBOARD].iter_rows() for c in row]
    reds = [g for g in consolidated.gaps if g.severity == "Red"]
    for gap in reds:
        assert gap.item in values
    # Risk heat map: every open risk ID sits once; the closed one is left out.
    open_ids = {r["risk_id"] for r in consolidated.tables["risks"].to_dict("records")} - {"R06"}
    placed = [v for v in values if isinstance(v, str) and re.fullmatch(r"R\d\d(, R\d\d)*", v)]
    assert sorted(i for v in placed for i in v.split(", ")) == sorted(open_ids)


def test_non_shareable_testimonials_never_reach_the_dashboard(wb_values, consolidated):
    texts = [c.value for row in wb_values[DASHBOARD].iter_rows() for c in row]
    joined = "\n".join(v for v in texts if isinstance(v, str))
    assert NOT_SHARED not in joined
    assert "Tom Berg" not in joined
    shared = consolidated.tables["testimonials"]
    for rec in shared[shared["may_be_shared"] == "Yes"].to_dict("records"):
        assert rec["testimonial"] in joined
    # Nor the Testimonials sheet of a workbook executives forward: it stays in the ledger,
    # and the sheet says one is held back.
    sheet = [c.value for row in wb_values["Testimonials"].iter_rows() for c in row]
    assert NOT_SHARED not in sheet and "Tom Berg" not in sheet
    assert any(isinstance(v, str) and v.startswith("1 testimonial not cleared") for v in sheet)


def test_dashboard_has_sparklines_over_numbers(book, wb_values):
    part = sheet_parts(book)[DASHBOARD]
    with zipfile.ZipFile(book) as zf:
        xml = ET.fromstring(zf.read(part))
    groups = xml.findall(".//x14:sparklineGroup", NS)
    assert groups, "no sparklines on the Dashboard"
    assert {g.get("type") for g in groups} == {"column"}
    refs = [f.text for f in xml.findall(".//x14:sparkline/xm:f", NS)]
    assert len(refs) == len(KPIS) + len(SLAS)
    for ref in refs:
        values = resolve(wb_values, ref)
        assert len(values) == len(PERIODS)
        assert all(isinstance(v, (int, float)) for v in values), ref


def test_dashboard_conditional_formats(book):
    part = sheet_parts(book)[DASHBOARD]
    with zipfile.ZipFile(book) as zf:
        xml = zf.read(part).decode()
    found = set(re.findall(r'<cfRule type="(\w+)"', xml))
    assert {"dataBar", "colorScale", "expression", "cellIs"} <= found
    # No traffic-light dots beside Change: the Status column says it once, in words.
    assert "iconSet" not in found


def test_dashboard_prints_on_one_landscape_page(wb):
    ws = wb[DASHBOARD]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # 1 is the OOXML default, which writers leave out.
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight or 1) == (1, 1)
    assert ws.print_area
    assert ws.sheet_view.showGridLines is False


# ---------------------------------------------------------------- charts


def chart_parts(book: Path) -> dict[str, ET.Element]:
    with zipfile.ZipFile(book) as zf:
        return {
            n: ET.fromstring(zf.read(n))
            for n in zf.namelist()
            if re.fullmatch(r"xl/charts/chart\d+\.xml", n)
        }


def test_charts_exist_with_their_types(book):
    charts = chart_parts(book)
    kinds = [
        el.tag.split("}")[1]
        for xml in charts.values()
        for el in xml.find("c:chart/c:plotArea", NS)
        if el.tag.endswith("Chart")
    ]
    assert kinds.count("lineChart") >= len(KPIS)
    assert kinds.count("radarChart") == 1
    assert kinds.count("barChart") >= 1 + len(SLAS)
    dirs = {b.get("val") for xml in charts.values() for b in xml.iter(f"{{{NS['c']}}}barDir")}
    assert dirs == {"bar", "col"}


def test_every_chart_series_reads_numbers(book, wb_values):
    n_series = 0
    for name, xml in chart_parts(book).items():
        for ser in xml.iter(f"{{{NS['c']}}}ser"):
            ref = ser.find("c:val/c:numRef/c:f", NS)
            assert ref is not None, name
            values = resolve(wb_values, ref.text)
            assert values and all(isinstance(v, (int, float)) for v in values), (name, ref.text)
            cache = ser.find("c:val/c:numRef/c:numCache/c:ptCount", NS)
            assert int(cache.get("val")) == len(values)
            n_series += 1
    assert n_series > len(KPIS) * 2


def test_health_radar_has_one_series_per_partner(book, wb_values):
    radar = next(x for x in chart_parts(book).values() if x.find(".//c:radarChart", NS) is not None)
    names = [
        resolve(wb_values, s.find("c:tx/c:strRef/c:f", NS).text)[0]
        for s in radar.iter(f"{{{NS['c']}}}ser")
    ]
    assert names == list(PARTNERS)


def test_partners_who_disagree_get_their_own_trend_line(book, wb_values):
    k01 = next(x for x in chart_parts(book).values() if "K01" in ET.tostring(x, encoding="unicode"))
    names = [
        resolve(wb_values, s.find("c:tx/c:strRef/c:f", NS).text)[0]
        for s in k01.iter(f"{{{NS['c']}}}ser")
    ]
    # Partners' dotted lines first, the reconciled Actual last: drawn on top of them.
    assert names[-2:] == ["Target", "Actual"]
    assert set(names[:-2]) == set(PARTNERS)


# ---------------------------------------------------------------- safety of partner text


def test_partner_text_is_never_a_formula(wb):
    suspects = [*FORMULA_LIKE, *PARTNERS, NOT_SHARED]
    formulas = 0
    seen_as_text: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas += 1
                    text = str(cell.value)
                    # ... or a bare cell reference (a stage's progress bar reads its figure).
                    assert re.fullmatch(
                        r"=(COUNTIFS|MAX|'Chart data'!|[A-Z]+\d+\*)[^;]*|=[A-Z]+\d+", text
                    ), text
                    assert not any(s.lstrip("=+-@") in text for s in suspects), text
                elif isinstance(cell.value, str):
                    seen_as_text.update(s for s in FORMULA_LIKE if s in cell.value)
        assert not ws._hyperlinks, ws.title
    assert formulas > 0
    assert seen_as_text == set(FORMULA_LIKE)


def test_every_formula_carries_its_result(book):
    parts = sheet_parts(book)
    checked = 0
    with zipfile.ZipFile(book) as zf:
        for name, part in parts.items():
            xml = ET.fromstring(zf.read(part))
            for c in xml.iter(f"{{{NS['main']}}}c"):
                if c.find("main:f", NS) is not None:
                    v = c.find("main:v", NS)
                    assert v is not None and v.text not in (None, ""), (name, c.get("r"))
                    checked += 1
    assert checked >= 25 + len(KPIS)


def test_heat_map_counts_match_the_open_risks(wb_values, consolidated):
    ws = wb_values[CHART_DATA]
    counts = [c.value for row in ws.iter_rows() for c in row]
    anchor = next(
        i
        for i, v in enumerate(counts)
        if v == "Open risks by likelihood (rows) and impact (columns)"
    )
    width = ws.max_column
    grid = [ws.cell(anchor // width + 3 + k, 2 + j).value for k in range(5) for j in range(5)]
    open_risks = consolidated.tables["risks"].query("status != 'Closed'")
    assert sum(grid) == len(open_risks)


# ---------------------------------------------------------------- writing


def test_write_is_atomic(tmp_path, consolidated, monkeypatch):
    target = tmp_path / "c.xlsx"
    target.write_bytes(b"previous")
    from rmp_workbook import dashboard

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(dashboard._Writer, "write", boom)
    with pytest.raises(RuntimeError):
        write_consolidated(consolidated, target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["c.xlsx"]
    monkeypatch.undo()
    write_consolidated(consolidated, target)
    assert zipfile.is_zipfile(target)
    assert [p.name for p in tmp_path.iterdir()] == ["c.xlsx"]


def test_an_empty_relationship_still_writes(tmp_path):
    empty = pd.DataFrame()
    c = Consolidated(
        "R1",
        "New relationship",
        "2026-11",
        [],
        ["A Ltd"],
        {},
        empty,
        empty,
        empty,
        [],
        empty,
        empty,
        empty,
    )
    path = write_consolidated(c, tmp_path / "empty.xlsx")
    wb = load(path, data_only=True)
    assert wb.sheetnames[0] == DASHBOARD
    values = [c.value for row in wb[DASHBOARD].iter_rows() for c in row]
    assert "Missing" in values
    assert "No gaps found this period." in values


# ---------------------------------------------------------------- LibreOffice


def _screenshots():
    spec = importlib.util.spec_from_file_location(
        "screenshots", ROOT / "scripts" / "screenshots.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pdf_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


@pytest.fixture(scope="module")
def dashboard_pdf(book, tmp_path_factory, soffice) -> Path:
    """The Dashboard alone (other sheets hidden in a copy), printed by LibreOffice."""
    tmp = tmp_path_factory.mktemp("lo")
    copy = _screenshots().only_sheet(book, DASHBOARD, tmp / "dashboard-only.xlsx")
    return _screenshots().to_pdf(copy, tmp, soffice)


@pytest.mark.slow
def test_libreoffice_converts_the_whole_workbook(book, tmp_path, lo_convert):
    pdf = lo_convert(book, "pdf", tmp_path)
    assert pdf_pages(pdf) > 5


@pytest.mark.slow
def test_dashboard_prints_on_one_page_in_libreoffice(dashboard_pdf, consolidated):
    assert pdf_pages(dashboard_pdf) == 1
    text = subprocess.run(
        ["pdftotext", "-layout", str(dashboard_pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert consolidated.relationship_name in text
    assert "K01 On-time delivery" in text
    assert "Tom Berg" not in text
    # Cached results are what a viewer prints: the K01 figure, not a blank or a zero.
    assert "91.5" in text


@pytest.mark.slow
def test_dashboard_renders_to_an_image(dashboard_pdf, tmp_path):
    pngs = _screenshots().pdf_to_png(dashboard_pdf, tmp_path / "dashboard", dpi=60)
    assert len(pngs) == 1 and pngs[0].stat().st_size > 20_000


# ---------------------------------------------------------------- with the real reconciliation


def test_a_real_consolidation_writes_and_reads_back(tmp_path):
    import datetime as dt

    from frames import combine, submission

    from rmp_workbook.reconcile import consolidate
    from rmp_workbook.report import write_report

    nw, co = "Northwind Ltd", "Contoso Services"
    periods = ("2026-09", "2026-10", "2026-11")
    subs = []
    for i, period in enumerate(periods):
        for partner, delta in ((nw, 0.0), (co, -2.0 if i == 2 else 0.0)):
            subs.append(
                submission(
                    partner,
                    period,
                    kpis=[
                        {
                            "kpi_id": "K01",
                            "kpi": "On-time delivery",
                            "unit": "%",
                            "direction": "Higher is better",
                            "target": 95,
                            "amber": 90,
                            "period": period,
                            "actual": 93.0 + i + delta,
                            "owner": nw,
                        },
                        {
                            "kpi_id": "K02",
                            "kpi": "Defect rate",
                            "unit": "%",
                            "direction": "Lower is better",
                            "target": 2,
                            "amber": 3,
                            "period": period,
                            "actual": 2.6 - 0.3 * i,
                            "owner": nw,
                        },
                    ],
                    sla=[
                        {
                            "service": "Help desk",
                            "measure": "First response (hours)",
                            "target": 4,
                            "direction": "At most",
                            "period": period,
                            "actual": 3.0 + i,
                            "owner": co,
                        }
                    ],
                    risks=[
                        {
                            "risk_id": "R01",
                            "risk": "+5% steel price",
                            "likelihood": 4,
                            "impact": 4,
                            "owner": nw,
                            "status": "Open",
                        },
                        {
                            "risk_id": "R02",
                            "risk": "Key engineer leaves",
                            "likelihood": 2,
                            "impact": 3,
                            "owner": co,
                            "status": "Closed",
                        },
                    ],
                    stages=[
                        {"stage": "Awareness", "status": "Complete", "progress": 1.0},
                        {
                            "stage": "Working together",
                            "status": "In progress",
                            "progress": 0.4 + 0.1 * i,
                        },
                    ],
                    health=[
                        {"behaviour": b, "score": 3 + (j + i) % 3 - (1 if partner == co else 0)}
                        for j, b in enumerate(BEHAVIOURS)
                    ],
                    testimonials=[
                        {
                            "date": dt.date(2026, 10, 1),
                            "from_person": "Ann",
                            "testimonial": "=Great partner",
                            "may_be_shared": "Yes",
                        },
                        {
                            "date": dt.date(2026, 10, 2),
                            "from_person": "Bob",
                            "testimonial": "Keep this private",
                            "may_be_shared": "No",
                        },
                    ],
                )
            )
    c = consolidate(
        combine(*subs),
        relationship_id="NW-CO",
        relationship_name="Northwind and Contoso",
        period="2026-11",
        expected_partners=[nw, co, "Fabrikam Co-op"],
        today=dt.date(2026, 12, 1),
    )
    path = write_consolidated(c, tmp_path / "real.xlsx")
    wb = load(path, data_only=True)
    assert wb.sheetnames[0] == DASHBOARD
    rows = dashboard_rows(wb)
    assert rows["K01 On-time delivery"][3] == pytest.approx(95.0)  # the owner's figure
    assert rows["K01 On-time delivery"][7] == "Green"
    assert rows["Help desk: First response (hours)"][7] == "Red"  # 5 hours, at most 4
    assert rows["Fabrikam Co-op"][2] == "Missing"
    texts = [v for row in wb[DASHBOARD].iter_rows() for v in (c.value for c in row)]
    assert "=Great partner" in " ".join(t for t in texts if isinstance(t, str))
    assert not any("Keep this private" in t for t in texts if isinstance(t, str))
    for name, xml in chart_parts(path).items():
        for ser in xml.iter(f"{{{NS['c']}}}ser"):
            values = resolve(wb, ser.find("c:val/c:numRef/c:f", NS).text)
            assert values and all(isinstance(v, (int, float)) for v in values), name
    assert len(write_report(c, tmp_path / "report")) == 5


@pytest.mark.slow
def test_screenshot_copy_prints_only_the_chosen_sheet(book, tmp_path, soffice):
    shots = _screenshots()
    copy = shots.only_sheet(book, "Gaps", tmp_path / "gaps-only.xlsx")
    with zipfile.ZipFile(book) as original, zipfile.ZipFile(copy) as zf:
        assert sorted(zf.namelist()) == sorted(original.namelist())
    text = subprocess.run(
        ["pdftotext", "-layout", str(shots.to_pdf(copy, tmp_path, soffice)), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Next step" in text and "Escalate to the executive sponsors." in text
    assert "Partners and submissions" not in text  # the Dashboard stays out


def test_time_zone_aware_times_are_written(tmp_path):
    import datetime as dt

    c = make_consolidated()
    utc = dt.UTC
    c.generated_at = dt.datetime(2026, 12, 4, 8, 15, tzinfo=utc)
    c.submissions["received_at"] = pd.to_datetime(c.submissions["received_at"]).dt.tz_localize(utc)
    wb = load(write_consolidated(c, tmp_path / "tz.xlsx"), data_only=True)
    about = [cell.value for row in wb["About"].iter_rows() for cell in row]
    assert dt.datetime(2026, 12, 4, 8, 15) in about
    received = [cell.value for row in wb["Submissions"].iter_rows(min_row=2) for cell in row]
    assert dt.datetime(2026, 12, 3, 9, 30) in received


def test_a_reader_that_never_recalculates_sees_the_figures(book):
    """python-calamine reads cached results only, like a phone's preview or a web viewer."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(DASHBOARD)
    pad = [None] * sheet.start[1]  # calamine's rows begin at the first used column
    rows = {r[1]: r for r in (pad + row for row in sheet.to_python()) if r[1]}
    for kid, name, _unit, _direction, _target, _amber, actuals in KPIS:
        change = rows[f"{kid} {name}"][5]
        assert change == pytest.approx(actuals[-1] - actuals[-2])
    spread = [r[7] for b, r in rows.items() if b in BEHAVIOURS]  # column H
    assert spread and all(isinstance(v, float) for v in spread) and max(spread) >= 1


def test_a_kpi_without_target_or_current_figure(tmp_path):
    c = make_consolidated()
    h = c.kpi_history
    h.loc[h["kpi_id"] == "K05", "target"] = None
    c.kpi_history = h[~((h["kpi_id"] == "K04") & (h["period"] == PERIODS[-1]))]
    kpis = c.tables["kpis"]
    kpis.loc[kpis["kpi_id"] == "K05", "target"] = None
    c.tables["kpis"] = kpis[kpis["kpi_id"] != "K04"]
    path = write_consolidated(c, tmp_path / "gappy.xlsx")
    wb = load(path, data_only=True)
    rows = dashboard_rows(wb)
    assert rows["K04 Joint workshops held"][3] == "–"
    assert rows["K04 Joint workshops held"][7] == "No data"
    assert rows["K05 Invoice cycle time"][4] == "–"
    assert rows["K05 Invoice cycle time"][7] == "No data"
    for xml in chart_parts(path).values():
        for ser in xml.iter(f"{{{NS['c']}}}ser"):
            values = resolve(wb, ser.find("c:val/c:numRef/c:f", NS).text)
            assert any(isinstance(v, (int, float)) for v in values)
