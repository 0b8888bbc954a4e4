"""Chart images and the one-page PDF summary, checked as files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from consolidated_factory import NOT_SHARED, make_consolidated
from PIL import Image

from rmp_workbook.records import Consolidated
from rmp_workbook.report import FILES, write_report


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> list[Path]:
    return write_report(make_consolidated(), tmp_path_factory.mktemp("report"))


def pdf_text(pdf: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(pdf: Path) -> int:
    # Page objects in matplotlib's uncompressed page tree; pdfinfo agrees where installed.
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(rf"Pages:\s+{pages}\b", info), info
    return pages


def test_every_image_and_the_pdf_are_written(report):
    assert sorted(p.name for p in report) == sorted(FILES.values())
    assert not [p for p in report[0].parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("role", ["kpi_trends", "rag_summary", "health_radar", "risk_heat_map"])
def test_images_are_real_pictures(report, role):
    path = next(p for p in report if p.name == FILES[role])
    assert path.stat().st_size > 15_000
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.width >= 500 and img.height >= 300
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50  # not a blank canvas


def test_rag_colours_show_in_the_summary_image(report):
    path = next(p for p in report if p.name == FILES["rag_summary"])
    with Image.open(path) as img:
        pixels = {rgb for _, rgb in img.convert("RGB").getcolors(maxcolors=1_000_000)}
    for hex_colour in ("#C62828", "#F9A825", "#2E7D32"):  # Red, Amber, Green
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in pixels, hex_colour


def test_pdf_is_one_page_with_the_summary(report):
    pdf = next(p for p in report if p.suffix == ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    consolidated = make_consolidated()
    assert consolidated.relationship_name in text
    assert "Top gaps" in text
    assert "K01 On-time delivery" in text
    assert NOT_SHARED not in text


def test_an_empty_relationship_gets_the_heat_map_and_the_pdf(tmp_path):
    empty = pd.DataFrame()
    c = Consolidated(
        "R1", "New relationship", "2026-11", [], ["A"], {}, empty, empty, empty, [], empty, empty,
        empty,
    )  # fmt: skip
    written = write_report(c, tmp_path)
    assert sorted(p.name for p in written) == sorted([FILES["risk_heat_map"], FILES["summary"]])
    assert pdf_pages(tmp_path / FILES["summary"]) == 1


def test_importing_the_report_module_does_not_load_matplotlib():
    code = "import sys, rmp_workbook.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
