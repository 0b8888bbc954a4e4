"""``rmp demo`` runs the whole cycle in a fresh folder, as the README promises."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
from conftest import run_rmp
from python_calamine import CalamineWorkbook


def test_demo_runs_the_whole_cycle(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    proc = run_rmp("demo", str(folder), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for step in ("template", "fill", "validate", "merge", "report", "next month"):
        assert step in proc.stderr
    assert "Consolidated workbook: demo/consolidated-2026-11.xlsx" in proc.stdout

    assert sorted(p.name for p in (folder / "1-templates").iterdir()) == [
        "contoso-engineering-plc-2026-11.xlsx",
        "fabrikam-logistics-2026-11.xlsx",
        "northwind-components-ltd-2026-11.xlsx",
    ]
    assert len(list((folder / "2-returned").glob("*.xlsx"))) == 19
    assert (folder / "rmp.toml").exists() and (folder / "rmp-ledger.sqlite").exists()
    assert {p.name for p in (folder / "report").iterdir()} >= {"summary.pdf", "kpi-trends.png"}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl: sparkline extensions
        wb = openpyxl.load_workbook(folder / "consolidated-2026-11.xlsx")
    assert wb.sheetnames[0] == "Dashboard"
    assert wb["Discrepancies"].max_row > 1 and wb["Gaps"].max_row > 1

    # Next month's workbooks are pre-filled from the ledger: KPIs for 2026-12, Actual blank.
    nxt = CalamineWorkbook.from_path(str(folder / "6-next-month/fabrikam-logistics-2026-12.xlsx"))
    kpis = [r for r in nxt.get_sheet_by_name("KPIs").to_python()[1:] if r[0]]
    assert kpis and {r[6] for r in kpis} == {"2026-12"} and {r[7] for r in kpis} == {""}
    risks = [r for r in nxt.get_sheet_by_name("Risks").to_python()[1:] if r[0]]
    assert risks, "open risks carried into next month"

    # Running it again refreshes the folder: the ledger starts empty, nothing doubles.
    again = run_rmp("demo", str(folder), cwd=tmp_path)
    assert again.returncode == 0
    assert (
        proc.stdout.split("Ledger:")[1].split(")")[0]
        == again.stdout.split("Ledger:")[1].split(")")[0]
    )
