"""``merge`` end to end on real workbooks: filled through openpyxl, some re-saved by LibreOffice."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fill import RELATIONSHIP_ID, fill, make_template
from sqlalchemy import event

from rmp_workbook.findings import UsageError
from rmp_workbook.ledger import Ledger
from rmp_workbook.merge import merge
from rmp_workbook.wording import link_text

NORTH = "Northwind Ltd"
CONTOSO = "Contoso plc"
TODAY = dt.date(2026, 12, 2)
INJECTIONS = ['=HYPERLINK("http://x.example","click")', "+44 20 7946 0000", "-5% vs plan", "@team"]
SHOWN = [link_text(text) for text in INJECTIONS]


def kpi(kpi_id: str, period: str, actual: Any, **kw: Any) -> dict[str, Any]:
    row = {"KPI ID": kpi_id, "KPI": "On-time delivery" if kpi_id == "K01" else "Defects",
           "Unit": "%" if kpi_id == "K01" else "count",
           "Direction": "Higher is better" if kpi_id == "K01" else "Lower is better",
           "Target": 95 if kpi_id == "K01" else 5, "Amber threshold": 90 if kpi_id == "K01" else 8,
           "Period": period, "Actual": actual, "Owner": NORTH}  # fmt: skip
    row.update(kw)
    return row


def workbook(
    folder: Path,
    partner: str,
    period: str,
    *,
    kpis: list[dict[str, Any]] | None = None,
    likelihood: int = 3,
    stage_status: str = "In progress",
    trust: int = 4,
    sla_actual: float = 3.5,
    comment: str = "",
    name: str | None = None,
    mtime: dt.datetime | None = None,
) -> Path:
    """One partner's filled workbook for a period, as a person would type it."""
    folder.mkdir(parents=True, exist_ok=True)
    slug = partner.split()[0].lower()
    blank = make_template(folder / f".blank-{slug}-{period}.xlsx", partner=partner, period=period)
    rows = {
        "KPIs": kpis if kpis is not None else [kpi("K01", period, 91.5), kpi("K02", period, 4)],
        "SLA": [{"Service": "Help desk", "Measure": "First response (hours)", "Target": 4,
                 "Direction": "At most", "Period": period, "Actual": sla_actual,
                 "Owner": NORTH, "Comment": comment}],
        "Risks": [{"Risk ID": "R01", "Risk": "Key engineer leaves", "Likelihood": likelihood,
                   "Impact": 4, "Owner": NORTH, "Status": "Open",
                   "Mitigation": comment or "Pair engineers"}],
        "Stages": [{"Stage": "Working together", "Status": stage_status, "Progress %": 0.5}],
        "Health check": [{"Behaviour": "Trust", "Score": trust}],
        "Contacts": [{"Name": f"Lead of {partner}", "Organisation": partner,
                      "Email": f"lead@{slug}.example", "Escalation level": 3,
                      "Phone": "+44 20 7946 0000"}],
        "Testimonials": [{"Date": dt.datetime(2026, 11, 20), "From": "J. Doe",
                          "Testimonial": comment or "A pleasure.", "May be shared": "Yes"}],
    }  # fmt: skip
    out = fill(blank, folder / (name or f"{slug}-{period}.xlsx"), rows=rows)
    blank.unlink()
    if comment.startswith("="):
        # Typed as text (Excel: a leading apostrophe); openpyxl would store a formula.
        wb = openpyxl.load_workbook(out)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value == comment:
                        cell.data_type = "s"
        wb.save(out)
    if mtime is not None:
        os.utime(out, (mtime.timestamp(), mtime.timestamp()))
    return out


def counts(ledger_path: Path) -> dict[str, int]:
    with_ledger = Ledger(ledger_path)
    try:
        return with_ledger.counts()
    finally:
        with_ledger.close()


@pytest.fixture(scope="module")
def two_partners(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """October and November from two partners who disagree on a KPI, a risk and a stage."""
    folder = tmp_path_factory.mktemp("returned")
    workbook(folder, NORTH, "2026-10", mtime=dt.datetime(2026, 11, 2))
    workbook(folder, CONTOSO, "2026-10", mtime=dt.datetime(2026, 11, 3))
    workbook(folder, NORTH, "2026-11", sla_actual=6, trust=5, comment=INJECTIONS[0],
             mtime=dt.datetime(2026, 12, 1))  # fmt: skip
    workbook(folder, CONTOSO, "2026-11",
             kpis=[kpi("K01", "2026-11", 85.0), kpi("K02", "2026-11", 4)],
             likelihood=5, stage_status="Complete", trust=2, comment=INJECTIONS[1],
             mtime=dt.datetime(2026, 12, 1, 10))  # fmt: skip
    return folder


@pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")
def test_two_partners_disagreeing(two_partners: Path, tmp_path: Path) -> None:
    out = tmp_path / "consolidated.xlsx"
    result = merge([two_partners], ledger=tmp_path / "l.sqlite", output=out, today=TODAY)
    assert result.exit_code == 0, result.to_dict()["left_out"]
    assert result.relationship_id == RELATIONSHIP_ID and result.period == "2026-11"
    assert len(result.merged) == 4 and result.recorded and len(result.recorded.recorded) == 4
    c = result.consolidated
    assert c is not None
    found = {(d["sheet"], d["column"]) for d in c.discrepancies.to_dict("records")}
    assert {("KPIs", "Actual"), ("Risks", "Likelihood"), ("Stages", "Status")} <= found
    kpi_row = c.discrepancies[
        (c.discrepancies["sheet"] == "KPIs") & (c.discrepancies["column"] == "Actual")
    ].iloc[0]
    assert kpi_row[NORTH] == 91.5 and kpi_row[CONTOSO] == 85.0
    assert kpi_row["reconciled"] == 91.5  # the owner's (Northwind's) figure
    rules = {g.rule for g in c.gaps}
    assert {"sla-breach", "health-perception-gap", "risk-high-score"} <= rules
    assert out.exists()
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "Dashboard"


def test_duplicates_and_second_merge_change_nothing(two_partners: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    copy = tmp_path / "copy"
    shutil.copytree(two_partners, copy)
    first = merge([two_partners], ledger=ledger, output=tmp_path / "a.xlsx", today=TODAY)
    before = counts(ledger)
    # The same files again, and a copy under another name: nothing is added.
    second = merge([two_partners, copy], ledger=ledger, output=tmp_path / "b.xlsx", today=TODAY)
    assert counts(ledger) == before
    assert second.recorded is not None and not second.recorded.recorded
    assert len(second.recorded.duplicates) == 8
    assert second.exit_code == 0 and second.output is not None
    assert first.consolidated is not None and second.consolidated is not None
    assert len(first.consolidated.discrepancies) == len(second.consolidated.discrepancies)


def test_superseding_file_and_restatement(two_partners: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    merge([two_partners], ledger=ledger, output=tmp_path / "a.xlsx", today=TODAY)
    late = tmp_path / "late"
    # Northwind sends November again, correcting October's K01 (a restatement).
    workbook(late, NORTH, "2026-11", name="northwind-2026-11-v2.xlsx",
             kpis=[kpi("K01", "2026-10", 93.0), kpi("K01", "2026-11", 92.0),
                   kpi("K02", "2026-11", 4)],
             mtime=dt.datetime(2026, 12, 5))  # fmt: skip
    result = merge([late], ledger=ledger, output=tmp_path / "b.xlsx", today=TODAY)
    assert result.recorded is not None
    assert len(result.recorded.superseded) == 1
    assert [(r.item, r.period, r.previous, r.restated) for r in result.recorded.restatements] == [
        ("K01", "2026-10", 91.5, 93.0)
    ]
    c = result.consolidated
    assert c is not None and len(c.restatements) == 1
    north_now = c.kpi_history[
        (c.kpi_history["kpi_id"] == "K01")
        & (c.kpi_history["partner"] == NORTH)
        & (c.kpi_history["period"] == "2026-11")
    ]
    assert north_now["actual"].tolist() == [92.0]
    subs = Ledger(ledger).submissions_frame(RELATIONSHIP_ID, "2026-11")
    assert sorted(subs["status"]) == ["current", "current", "superseded"]


def test_bad_files_are_skipped_and_bad_rows_left_out(two_partners: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(two_partners, folder)
    (folder / "notes.xlsx").write_text("not a workbook", encoding="utf-8")
    (folder / "~$northwind-2026-11.xlsx").write_bytes(b"lock")
    bad = workbook(folder, "Fabrikam Logistics", "2026-11", name="fabrikam-2026-11.xlsx",
                   kpis=[kpi("K01", "2026-11", "high"), kpi("K02", "2026-11", 3)])  # fmt: skip
    assert bad.exists()
    out = tmp_path / "c.xlsx"
    result = merge([folder], ledger=tmp_path / "l.sqlite", output=out, today=TODAY)
    assert result.exit_code == 1
    skipped = {Path(s.path).name: s.code for s in result.skipped}
    assert skipped == {"notes.xlsx": "not-a-workbook", "~$northwind-2026-11.xlsx": "skipped-file"}
    assert [(Path(f.file).name, f.sheet, f.cell, f.code) for f in result.left_out] == [
        ("fabrikam-2026-11.xlsx", "KPIs", "H2", "type-error")
    ]
    assert out.exists()
    c = result.consolidated
    assert c is not None
    dq = c.data_quality
    assert {"not-a-workbook", "type-error"} <= set(dq["code"])
    kpis = c.tables["kpis"]
    assert "Fabrikam Logistics" in ",".join(kpis["partners"].astype(str))  # K02 still merged


def test_failure_midway_leaves_ledger_and_previous_output(
    two_partners: Path, tmp_path: Path
) -> None:
    ledger_path = tmp_path / "l.sqlite"
    out = tmp_path / "c.xlsx"
    october = tmp_path / "oct"
    october.mkdir()
    for f in two_partners.glob("*-2026-10.xlsx"):
        shutil.copy2(f, october)
    merge([october], ledger=ledger_path, output=out, today=TODAY)
    before_counts, before_bytes = counts(ledger_path), out.read_bytes()

    led = Ledger(ledger_path)

    def fail_on_risks(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO REC_RISKS"):
            raise RuntimeError("disk full (injected)")

    event.listen(led.engine, "before_cursor_execute", fail_on_risks)
    try:
        with pytest.raises(RuntimeError, match="injected"):
            merge([two_partners], ledger=led, output=out, today=TODAY)
    finally:
        event.remove(led.engine, "before_cursor_execute", fail_on_risks)
        led.close()
    assert counts(ledger_path) == before_counts
    assert out.read_bytes() == before_bytes


@pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")
def test_partner_text_stays_inert(two_partners: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.xlsx"
    merge([two_partners], ledger=tmp_path / "l.sqlite", output=out, today=TODAY)
    wb = openpyxl.load_workbook(out)
    seen: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str):
                    continue
                if cell.data_type == "f":
                    assert not any(text in value for text in INJECTIONS), (
                        ws.title,
                        cell.coordinate,
                    )
                    assert "HYPERLINK" not in value.upper(), (ws.title, cell.coordinate)
                elif value in SHOWN:
                    seen.add(value)
                assert cell.hyperlink is None or not str(cell.hyperlink.target or "").startswith(
                    "http://x.example"
                )
    # A typed link formula is shown as its words and address, as plain text.
    assert {SHOWN[0], SHOWN[1]} <= seen
    assert SHOWN[0] == "click (http://x.example)"


def test_nothing_to_merge_is_misuse(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no workbook"):
        merge([tmp_path / "empty"], ledger=tmp_path / "l.sqlite", output=tmp_path / "c.xlsx")
    with pytest.raises(UsageError, match="YYYY-MM"):
        merge([tmp_path], ledger=tmp_path / "l.sqlite", output=tmp_path / "c.xlsx", period="11/26")


def test_libreoffice_resaved_workbooks_merge_alike(
    two_partners: Path, tmp_path: Path, lo_convert
) -> None:
    """The same workbooks re-saved by LibreOffice (as .ods and .xlsx) give the same view."""
    resaved = tmp_path / "resaved"
    resaved.mkdir()
    for f in sorted(two_partners.glob("*-2026-11.xlsx")):
        fmt = "ods" if f.name.startswith("northwind") else "xlsx"
        converted = lo_convert(f, fmt, tmp_path / "lo" / f.stem)
        shutil.copy2(converted, resaved / converted.name)
        mtime = f.stat().st_mtime  # the same arrival order as the originals
        os.utime(resaved / converted.name, (mtime, mtime))
    direct = merge(sorted(two_partners.glob("*-2026-11.xlsx")), ledger=tmp_path / "a.sqlite",
                   output=tmp_path / "a.xlsx", today=TODAY)  # fmt: skip
    via_lo = merge([resaved], ledger=tmp_path / "b.sqlite", output=tmp_path / "b.xlsx", today=TODAY)
    assert via_lo.exit_code == 0, via_lo.to_dict()["left_out"]
    assert direct.consolidated is not None and via_lo.consolidated is not None
    cols = ["sheet", "item", "column", "reconciled"]
    a = direct.consolidated.discrepancies[cols].astype(str).values.tolist()
    b = via_lo.consolidated.discrepancies[cols].astype(str).values.tolist()
    assert a == b
