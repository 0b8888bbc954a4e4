"""What executives see is what they should see: text that fits, honest sparklines and charts,
a headline, words and dates as people write them, privacy, and a network's Dashboard.

Each test reads the written workbook (openpyxl, python-calamine, the XML itself); the
rendering check (``scripts/render_check.py``) measures every cell's text with the font's
metrics, and the slow tests print through LibreOffice.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from consolidated_factory import NOT_SHARED, make_consolidated, make_network
from python_calamine import CalamineWorkbook

from rmp_workbook import summary
from rmp_workbook.dashboard import DASHBOARD, write_consolidated
from rmp_workbook.dashboard.page import MAX_PARTNER_ROWS, sparkline_axis

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def check():
    return _script("render_check")


def load(path: Path, **kw) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path, **kw)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return write_consolidated(make_consolidated(), tmp_path_factory.mktemp("p") / "c.xlsx")


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> Path:
    return write_consolidated(make_network(245), tmp_path_factory.mktemp("n") / "net.xlsx")


def texts(path: Path, sheet: str) -> list[str]:
    """Every text cell of a sheet, read by python-calamine (a second reader)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [v for row in rows for v in row if isinstance(v, str) and v]


def sheet_xml(path: Path, sheet: str) -> str:
    wb = load(path)
    index = wb.sheetnames.index(sheet) + 1
    with zipfile.ZipFile(path) as zf:
        return zf.read(f"xl/worksheets/sheet{index}.xml").decode()


# ---------------------------------------------------------------- text fits


def test_every_sheets_text_fits_its_cells(book, check):
    assert [str(m) for m in check.misfits(book)] == []


def test_a_networks_text_fits_its_cells(network, check):
    assert [str(m) for m in check.misfits(network)] == []


def test_long_measure_names_wrap_instead_of_being_clipped(tmp_path, check):
    c = make_consolidated()
    c.sla_history = c.sla_history.assign(
        measure=c.sla_history["measure"].str.replace(
            "First response (hours)", "First response to a priority-one incident (working hours)"
        )
    )
    path = write_consolidated(c, tmp_path / "long.xlsx")
    labels = [v for v in texts(path, DASHBOARD) if v.startswith("Help desk:")]
    assert labels == ["Help desk: First response to a priority-one incident (working hours)"]
    assert check.misfits(path, [DASHBOARD]) == []


# ---------------------------------------------------------------- headline and wording


def test_headline_is_the_third_line(book):
    line = texts(book, DASHBOARD)[2]
    assert line == summary.headline(make_consolidated())[:1].upper() + (
        summary.headline(make_consolidated())[1:] + "."
    )
    assert re.fullmatch(r"\d+ of \d+ measures off target, .+, awaiting 1 partner\.", line)


def test_footer_date_is_iso_and_written(book):
    footer = load(book)[DASHBOARD].oddFooter.right.text
    assert "&D" not in footer and re.search(r"\b2026-12-04\b", footer)


def test_restatements_use_the_workbooks_names(tmp_path):
    c = make_consolidated()
    c.restatements = pd.DataFrame(
        [{"sheet": "kpis", "item": "K04", "column": "actual", "previous": 1.0, "restated": 2.0}]
    )
    path = write_consolidated(c, tmp_path / "r.xlsx")
    ws = load(path)["Restatements"]
    row = {ws.cell(1, i).value: ws.cell(2, i).value for i in range(1, ws.max_column + 1)}
    assert (row["Sheet"], row["Column"]) == ("KPIs", "Actual")
    assert ws.cell(2, 5).number_format == "#,##0"  # 1 and 2, not 1.0 and 2.0


def test_whole_numbers_are_not_shown_with_a_decimal(book):
    ws = load(book)["KPIs"]
    headers = [c.value for c in ws[1]]
    target = headers.index("Target") + 1
    assert ws.cell(2, target).number_format == "#,##0"


def test_a_link_formula_shows_as_its_words_and_address(tmp_path):
    c = make_consolidated()
    kpis = c.tables["kpis"].copy()
    kpis.loc[0, "comment"] = '=HYPERLINK("https://pod.example/11","Proof-of-delivery log")'
    c.tables["kpis"] = kpis
    path = write_consolidated(c, tmp_path / "l.xlsx")
    found = texts(path, "KPIs")
    assert "Proof-of-delivery log (https://pod.example/11)" in found
    assert not [t for t in found if "HYPERLINK" in t]


def test_submissions_show_the_start_of_the_digest_and_about_all_of_it(book):
    subs = texts(book, "Submissions")
    assert "aaaaaaaaaaaa…" in subs and "a" * 64 not in subs
    assert "a" * 64 in texts(book, "About")


# ---------------------------------------------------------------- privacy


def test_testimonials_not_cleared_stay_out_of_the_workbook(book):
    for sheet in load(book).sheetnames:
        assert not [t for t in texts(book, sheet) if NOT_SHARED in t], sheet
    held = "1 testimonial not cleared for sharing is held back: it stays in the ledger."
    assert held in texts(book, "Testimonials")


# ---------------------------------------------------------------- sparklines and change


def test_sparklines_share_a_scale_centred_on_the_target(book):
    xml = sheet_xml(book, DASHBOARD)
    groups = re.findall(r"<x14:sparklineGroup [^>]*>", xml)
    tiles = summary.kpi_tiles(make_consolidated()) + summary.sla_tiles(make_consolidated())
    assert len(groups) == len(tiles)
    axes = []
    for group in groups:
        assert 'minAxisType="custom"' in group and 'maxAxisType="custom"' in group
        low = float(re.search(r'manualMin="([^"]+)"', group).group(1))
        high = float(re.search(r'manualMax="([^"]+)"', group).group(1))
        axes.append((low, high))
    assert sorted((lo + hi) / 2 for lo, hi in axes) == pytest.approx(
        sorted(t.target for t in tiles)
    )
    for tile in tiles:
        low, high = next(a for a in axes if (a[0] + a[1]) / 2 == pytest.approx(tile.target))
        assert low <= min(v for v in tile.actuals if v is not None)
        assert high >= max(v for v in tile.actuals if v is not None)


def test_a_small_move_looks_small():
    tile = summary.kpi_tiles(make_consolidated())[0]
    tile.actuals = [91.0, 92.0, 93.0, 94.0, 95.0, 96.0]
    tile.target = 95.0
    low, high = sparkline_axis(tile)
    # 91 -> 96 spans about half the cell, not all of it (as 0 -> 96 would look).
    assert (96 - 91) / (high - low) < 0.6


def test_direction_is_marked_and_no_icon_dots(book):
    ws = load(book, data_only=True)[DASHBOARD]
    arrows = {
        row[1].value: row[6].value
        for row in ws.iter_rows()
        if isinstance(row[1].value, str) and row[1].value[:1] == "K"
    }
    assert arrows["K01 On-time delivery"] == "▲" and arrows["K02 Defect rate"] == "▼"
    assert "iconSet" not in sheet_xml(book, DASHBOARD)


# ---------------------------------------------------------------- charts


def _chart_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [
            zf.read(n).decode() for n in sorted(zf.namelist()) if n.startswith("xl/charts/chart")
        ]


def test_sla_bars_start_at_zero_and_percent_axes_end_at_100(book):
    charts = _chart_xml(book)
    sla = [x for x in charts if "barChart" in x and "lineChart" in x]
    assert sla and all('<c:min val="0"/>' in x for x in sla)
    percent = [x for x in sla if "(%)" in x]
    assert percent and all('<c:max val="100"/>' in x for x in percent)


def test_sla_bar_figures_sit_inside_the_bars_foot_clear_of_the_target_line(book):
    sla = [x for x in _chart_xml(book) if "barChart" in x and "lineChart" in x]
    assert sla
    for xml in sla:
        bars = re.search(r"<c:barChart>.*</c:barChart>", xml, re.S)
        line = re.search(r"<c:lineChart>.*</c:lineChart>", xml, re.S)
        assert bars and line
        labels = re.findall(r"<c:dLbls>.*?</c:dLbls>", bars.group(0), re.S)
        assert labels, "the bars lost their figures"
        # At the foot, white on the navy bar: above the bar a figure near its target
        # would sit on the dashed target line.
        assert all('<c:dLblPos val="inBase"/>' in lb for lb in labels)
        assert all('<a:srgbClr val="FFFFFF"/>' in lb for lb in labels)
        assert "<c:dLbls>" not in line.group(0)


def test_stage_progress_bars_sit_beside_their_figure_not_under_it(book):
    xml = sheet_xml(book, DASHBOARD)
    bars = re.findall(
        r'<conditionalFormatting sqref="([A-Z]+)(\d+):([A-Z]+)(\d+)">'
        r'<cfRule type="dataBar"[^>]*><dataBar([^>]*)>',
        xml,
    )
    assert len(bars) == 1
    col, first, last_col, last, attrs = bars[0]
    assert col == last_col == "F"
    assert 'showValue="0"' in attrs  # the bar only: its figure is in E beside it
    ws, cached = load(book)[DASHBOARD], load(book, data_only=True)[DASHBOARD]
    stages = range(int(first), int(last) + 1)
    assert all(isinstance(cached[f"E{n}"].value, (int, float)) for n in stages)
    for n in stages:
        # The bar's cell reads the figure (cached for viewers that do not recalculate).
        assert ws[f"F{n}"].value == f"=E{n}"
        assert cached[f"F{n}"].value == pytest.approx(cached[f"E{n}"].value)


def test_a_first_month_draws_bars_not_lone_dots(tmp_path):
    c = make_consolidated()
    c.kpi_history = c.kpi_history[c.kpi_history["period"] == c.period]
    c.sla_history = c.sla_history[c.sla_history["period"] == c.period]
    path = write_consolidated(c, tmp_path / "first.xlsx")
    charts = [x for x in _chart_xml(path) if "radarChart" not in x and "Life-cycle" not in x]
    assert charts and all("lineChart" not in x and "barChart" in x for x in charts)
    assert "Trend (1 month)" in texts(path, DASHBOARD)
    # No change to show in a first month: a plain dash, no colour and no dot beside it.
    ws = load(path)[DASHBOARD]
    rows = [
        row
        for row in ws.iter_rows()
        if isinstance(row[1].value, str) and re.match(r"K\d\d ", row[1].value)
    ]
    assert rows and all(row[5].value == "–" for row in rows)
    # Coloured as the Target beside it: neither green nor red.
    assert all(row[5].font.color == row[4].font.color for row in rows)


# ---------------------------------------------------------------- a network


def test_a_networks_dashboard_lists_a_few_partners_and_says_where_the_rest_are(network):
    found = texts(network, DASHBOARD)
    assert f"… and {245 - MAX_PARTNER_ROWS} more on the Submissions sheet." in found
    assert "Partners and submissions (233 of 245 in)" in found
    shown = [t for t in found if t.startswith("Partner ") and t.endswith("Ltd")]
    assert len(shown) <= MAX_PARTNER_ROWS + 4  # the list, and the health check's headings


def test_a_networks_spread_is_over_every_partner(network):
    ws = load(network, data_only=True)[DASHBOARD]
    heads = [
        (c.row, c.column) for row in ws.iter_rows() for c in row if c.value == "Spread (all 233)"
    ]
    assert len(heads) == 1
    head_row, col = heads[0]
    spread = {ws.cell(r, 2).value: ws.cell(r, col).value for r in range(head_row + 1, head_row + 9)}
    # One partner scores Openness 1 where every partner shown scores 4: the spread sees it.
    assert spread["Openness"] >= 3


@pytest.mark.slow
@pytest.mark.parametrize("which", ["book", "network"])
def test_the_dashboard_prints_on_one_readable_page(which, request, check, tmp_path, soffice):
    path = request.getfixturevalue(which)
    pdf = check.print_sheet(path, DASHBOARD, tmp_path, soffice)
    assert check.pdf_pages(pdf) == 1
    # Section titles are set at 11 points: printed at 55 % or more (as the Dashboard of
    # three partners is), they stay readable; a network's is no smaller.
    scale = check.printed_scale(pdf, "Top", 11)
    assert scale is not None and scale >= 0.55, scale


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory) -> Path:
    from conftest import run_rmp

    folder = tmp_path_factory.mktemp("demo") / "demo"
    proc = run_rmp("demo", str(folder))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / "consolidated-2026-11.xlsx"


def test_the_demos_workbook_passes_the_rendering_check(demo_book, check):
    assert [str(m) for m in check.misfits(demo_book)] == []
    found = texts(demo_book, DASHBOARD)
    assert not [t for t in found if re.search(r"\d(ppt|days|GBP|count)\b|\(s\)|\(ies\)", t)]


@pytest.mark.slow
def test_the_demos_dashboard_prints_on_one_page(demo_book, check, tmp_path, soffice):
    pdf = check.print_sheet(demo_book, DASHBOARD, tmp_path, soffice)
    assert check.pdf_pages(pdf) == 1
    assert check.printed_scale(pdf, "Top", 11) >= 0.55


def test_a_long_item_is_cut_at_a_word():
    from rmp_workbook.plain import item_label
    from rmp_workbook.schema import SCHEMA

    risk = "Contoso volumes fall sharply if the EV platform launch slips beyond the second quarter."
    label = item_label(SCHEMA["risks"], {"risk_id": "R02", "risk": risk})
    assert label == "R02 Contoso volumes fall sharply if the EV platform launch…"
