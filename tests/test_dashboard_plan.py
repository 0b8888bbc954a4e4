"""The Dashboard's "Managing the relationship" block, on the sample relationship's ledger."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import run_rmp

from rmp_workbook.dashboard import DASHBOARD, DATA_SHEETS, write_consolidated
from rmp_workbook.dashboard.plan import value_text
from rmp_workbook.report import consolidated_from_ledger
from rmp_workbook.schema import SCHEMA, table_sheets

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# openpyxl does not know sparklines and icon sets; it warns and leaves them out.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("plan-dashboard")
    ledger = tmp / "rmp-ledger.sqlite"
    proc = run_rmp(
        "merge", str(SAMPLE), "--config", str(SAMPLE / "rmp.toml"), "--ledger", str(ledger),
        "-o", str(tmp / "all.xlsx"), "--jobs", "1",
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    c = consolidated_from_ledger(ledger, "2026-11")
    return write_consolidated(c, tmp / "consolidated-2026-11.xlsx")


def block(path: Path) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[DASHBOARD]
    cells = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value}
    (r0, c0) = next(k for k, v in cells.items() if v == "Managing the relationship")
    return [
        [cells.get((r, c)) for c in range(c0, c0 + 8) if cells.get((r, c)) is not None]
        for r in range(r0 + 1, r0 + 8)
    ]


def test_one_line_per_area_then_value(book: Path) -> None:
    rows = block(book)
    assert rows[0] == ["Area", "Status", "Open", "Next due", "Gaps"]
    lines = {r[0]: r[1:] for r in rows[1:6]}
    assert list(lines) == [
        "Development", "Information", "Communications", "Value creation", "Exit and continuity",
    ]  # fmt: skip
    # The sample's overdue need, unowned flow, late newsletter, milk run behind its estimate
    # and unreviewed exit scenario each give their area one Amber gap.
    assert all(line[0] == "Amber" and line[-1] == "1" for line in lines.values())
    assert lines["Development"][1:3] == [2, "2026-10-15"]
    assert lines["Communications"][1:3] == [3, "2026-10-18"]
    assert rows[6] == ["Value realised", "148,100 of 167,600 GBP (88%)"]


def test_every_table_sheet_of_the_schema_is_in_the_workbook(book: Path) -> None:
    names = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert {s.key for s in table_sheets()} <= set(DATA_SHEETS)
    for key in ("development", "information", "communications", "value", "exit"):
        assert SCHEMA[key].name in names


def test_value_text() -> None:
    assert value_text([]) == "No value initiatives recorded yet."
    assert (
        value_text([("GBP", 500.0, 0.0), ("h", 12.5, 40.0)]) == "500 of 0 GBP; 12.5 of 40 h (31%)"
    )


@pytest.mark.slow
def test_dashboard_with_the_block_prints_on_one_page(book: Path, tmp_path: Path, soffice: str):
    spec = importlib.util.spec_from_file_location(
        "screenshots", ROOT / "scripts" / "screenshots.py"
    )
    assert spec is not None and spec.loader is not None
    shots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shots)
    copy = shots.only_sheet(book, DASHBOARD, tmp_path / "dashboard-only.xlsx")
    pdf = shots.to_pdf(copy, tmp_path, soffice)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.M)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "Managing the relationship" in text and "Exit and continuity" in text
