"""The Dashboard header, its partner block and the Submissions sheet give the states
``rmp status`` gives (received, late, missing, superseded, wrong period, unknown sender,
invalid), with the due day. Real files: templates from the config, typed through openpyxl,
file times set as a partner's e-mail would leave them, merged; read back with openpyxl and
python-calamine."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from months import CO, FAB, NW, Relationship, config_text
from python_calamine import CalamineWorkbook

from rmp_workbook.ledger import Ledger
from rmp_workbook.status import status

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")

CONFIG = config_text(NW, CO, FAB, due="day 10")

KPI = {"KPIs": [{"KPI ID": "K01", "Actual": 96}]}


def _calamine_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    headers = [str(h) for h in rows[0]]
    return [dict(zip(headers, r, strict=False)) for r in rows[1:]]


def _dashboard_cells(path: Path) -> list[list[Any]]:
    ws = openpyxl.load_workbook(path)["Dashboard"]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_late_missing_and_stray_files_show_as_rmp_status_says(
    tmp_path: Path, ledger_url: str
) -> None:
    rel = Relationship(tmp_path / "rel", CONFIG, ledger=ledger_url)
    # February, on time for everyone; March: Contoso's workbook comes back after the 10th
    # of April, Fabrikam's never does, and a February workbook is sent again by mistake.
    for partner in (NW, CO, FAB):
        rel.returned("2026-02", partner, KPI, received=dt.date(2026, 3, 6))
    assert rel.merge("2026-02").exit_code == 0
    nw = rel.returned("2026-03", NW, KPI, received=dt.date(2026, 4, 10))  # the due day: on time
    co = rel.returned("2026-03", CO, KPI, received=dt.date(2026, 4, 14))
    # (a February workbook not merged before: another copy, another figure)
    again = rel.returned(
        "2026-02", FAB, {"KPIs": [{"KPI ID": "K01", "Actual": 91}]}, received=dt.date(2026, 4, 8)
    )
    shutil.move(again, nw.parent / "fabrikam-resent.xlsx")  # (the file keeps its time)
    out = rel.root / "consolidated-2026-03.xlsx"
    rel.merge("2026-03", output=out)

    with Ledger(rel.ledger, create=False) as led:
        report = status(led, "2026-03", config=rel.config)
        # Without --config: the config the ledger stored with the merge says the same.
        stored = status(led, "2026-03")
    said = {p.partner: p.state for p in report.partners}
    assert said == {NW: "received", CO: "late", FAB: "missing"}
    assert report.due == stored.due == dt.date(2026, 4, 10)
    assert {p.partner: p.state for p in stored.partners} == said

    # The Dashboard: the header gives the due day and the late count; the partner block
    # gives each partner's state and the stray file.
    cells = _dashboard_cells(out)
    texts = [str(v) for row in cells for v in row if v is not None]
    header = texts[1]
    assert "due 2026-04-10" in header and "2 of 3 partners submitted (1 late)" in header
    assert "Partners and submissions, due 2026-04-10" in texts
    # (the workbooks leave blanks a return should hold: "Received (2 warnings)")
    block = {row[1]: row[2].split(" (")[0] for row in cells if row[1] in (NW, CO, FAB)}
    assert block == {NW: "Received", CO: "Late", FAB: "Missing"}
    assert any(row[1] == "fabrikam-resent.xlsx" and row[2] == "Wrong period" for row in cells)

    # The Submissions sheet, read with a second reader: every file's state and due day.
    rows = _calamine_rows(out, "Submissions")
    march = {r["Partner"]: r for r in rows if r["Period"] == "2026-03"}
    assert {p: r["State"] for p, r in march.items()} == said
    assert march[CO]["Due"] == dt.date(2026, 4, 10)
    assert march[CO]["File"] == co.name
    assert {r["State"] for r in rows if r["Period"] == "2026-02"} == {"received"}
    assert [(r["File"], r["State"]) for r in rows if r["State"] == "wrong period"] == [
        ("fabrikam-resent.xlsx", "wrong period")
    ]


def test_superseded_and_invalid_states(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel", CONFIG)
    first = rel.returned("2026-03", NW, KPI, received=dt.date(2026, 4, 2))
    rel.returned("2026-03", CO, KPI)
    rel.returned("2026-03", FAB, KPI)
    rel.merge("2026-03")
    # Northwind sends a corrected workbook: the first is superseded.
    second = first.with_name("northwind-v2.xlsx")
    rel.returned(
        "2026-03", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 97}]}, received=dt.date(2026, 4, 3)
    ).rename(second)
    out = rel.root / "c.xlsx"
    rel.merge("2026-03", output=out)
    rows = _calamine_rows(out, "Submissions")
    states = {r["File"]: r["State"] for r in rows}
    assert states[first.name] == "superseded" and states[second.name] == "received"
    with Ledger(rel.ledger, create=False) as led:
        report = status(led, "2026-03", config=rel.config)
    (nw,) = [p for p in report.partners if p.partner == NW]
    assert [r.file for r in nw.replaced] == [first.name]
