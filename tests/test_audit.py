"""``rmp audit``: the evidence pack, from a ledger of the committed sample workbooks."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import SAMPLE, merge_sample, run_rmp

from rmp_workbook.audit import build_audit, months
from rmp_workbook.findings import UsageError
from rmp_workbook.ledger import Ledger

REL = "NWC-2026"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The six sample months (three partners, one resubmission) merged as a manager would."""
    return merge_sample(tmp_path_factory.mktemp("audit"))


@pytest.fixture(scope="module")
def pack_files(ledger: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("pack")
    xlsx, pdf = out / "audit.xlsx", out / "audit.pdf"
    proc = run_rmp(
        "audit", "--ledger", str(ledger), "--from", "2026-09", "--to", "2026-11",
        "--config", str(SAMPLE / "rmp.toml"), "-o", str(xlsx), "--pdf", str(pdf),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(xlsx), str(pdf)]
    return xlsx, pdf


def table(wb: openpyxl.Workbook, sheet: str) -> list[dict[str, object]]:
    """The rows of a section sheet (title, note, blank, then the table) by header."""
    rows = list(wb[sheet].iter_rows(min_row=4, values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def test_workbook_has_a_summary_and_a_sheet_per_section(pack_files):
    wb = openpyxl.load_workbook(pack_files[0])
    assert wb.sheetnames == [
        "Summary", "KPI trends", "SLA trends", "Risk history", "Risk events", "Value creation",
        "Successes", "Testimonials", "Health check", "Stage progress", "Data quality",
        "Plan changes",
    ]  # fmt: skip
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Relationship"] == REL
    assert summary["Months"] == "2026-09 to 2026-11 (3)"
    assert summary["Workbooks received"] == "9 of 9 expected"
    assert summary["Shareable testimonials"] == 1
    assert summary["Changes to the plan"] == 0, "one plan, merged once: nothing changed"
    assert "ledger" in str(summary["Source"])
    plan = [r[0] for r in wb["Plan changes"].iter_rows(min_row=5, values_only=True)]
    assert plan[0] == "The plan did not change in these months (the ledger keeps it from 2026-11)."


def test_kpi_trends_are_the_published_figures_with_targets(pack_files, ledger):
    rows = table(openpyxl.load_workbook(pack_files[0]), "KPI trends")
    assert {r["Period"] for r in rows} == {"2026-09", "2026-10", "2026-11"}
    # Each figure is the one the consolidated view published for its month.
    with Ledger(ledger, create=False) as lg:
        from rmp_workbook.merge import consolidated_view

        nov = consolidated_view(lg, REL, "2026-11").tables["kpis"]
    published = {r["kpi_id"]: r["actual"] for r in nov.to_dict("records")}
    for r in rows:
        if r["Period"] == "2026-11":
            assert r["Actual"] == pytest.approx(published[r["KPI ID"]])
            assert r["Target"] is not None and r["Status"] in ("Green", "Amber", "Red")


def test_risks_value_testimonials_health_stages_and_quality(pack_files):
    wb = openpyxl.load_workbook(pack_files[0])
    events = table(wb, "Risk events")
    assert {e["Event"] for e in events} <= {"Raised", "Escalated", "Escalated to Red", "Closed"}
    history = {r["Risk ID"]: r for r in table(wb, "Risk history")}
    assert all(r["First in pack"] >= "2026-09" for r in history.values())
    closed = [r for r in history.values() if r["Closed in"]]
    assert all(r["Status at end"] == "Closed" for r in closed)
    value = {r["Initiative ID"]: r for r in table(wb, "Value creation")}
    assert set(value) == {"V01", "V02", "V03"}
    v3 = value["V03"]
    assert (v3["Estimated value"], v3["Realised at end"], v3["Status"]) == (
        120000,
        120000,
        "Delivered",
    )
    assert v3["Realised in period"] == v3["Realised at end"] - v3["Realised at start"]
    testimonials = table(wb, "Testimonials")
    assert [t["From"] for t in testimonials] == ["Tom Bradley"]
    assert "May be shared" not in testimonials[0]
    health = {r["Behaviour"]: r for r in table(wb, "Health check")}
    assert set(health) >= {"Trust", "Openness"}
    assert all(1 <= health["Trust"][p] <= 5 for p in ("2026-09", "2026-10", "2026-11"))
    stages = {r["Stage"]: r for r in table(wb, "Stage progress")}
    assert stages["Awareness"]["2026-11"] == 1
    quality = {r["Partner"]: r for r in table(wb, "Data quality")}
    assert len(quality) == 3
    assert all(r["Workbooks received"] == 3 for r in quality.values())
    assert sum(r["Resubmitted"] for r in quality.values()) == 1
    assert sum(r["Errors"] for r in quality.values()) >= 1  # the 'high' likelihood


def test_pdf_has_its_pages(pack_files):
    pdf = pack_files[1]
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert re.search(r"^Pages:\s+3$", info, re.M), info


def test_range_is_checked_against_the_ledger(ledger, tmp_path):
    proc = run_rmp("audit", "--ledger", str(ledger), "--from", "2027-01", "--to", "2027-03",
                   "-o", str(tmp_path / "a.xlsx"))  # fmt: skip
    assert proc.returncode == 2
    assert "holds no workbook from 2027-01 to 2027-03 (it holds 2026-06 to 2026-11)" in proc.stderr
    proc = run_rmp("audit", "--ledger", str(ledger), "--from", "2026-11", "--to", "2026-09",
                   "-o", str(tmp_path / "a.xlsx"))  # fmt: skip
    assert proc.returncode == 2 and "after --to" in proc.stderr
    assert not (tmp_path / "a.xlsx").exists()


def test_months_and_a_library_call(ledger):
    assert months("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    with pytest.raises(UsageError):
        months("Nov", "2026-12")
    with Ledger(ledger, create=False) as lg:
        pack = build_audit(lg, REL, "2026-06", "2026-06")
    assert pack.periods == ["2026-06"]
    assert [s.title for s in pack.sections][:2] == ["KPI trends", "SLA trends"]


def test_help_ends_with_an_example():
    proc = run_rmp("audit", "--help")
    assert proc.returncode == 0
    assert "rmp audit --ledger rmp-ledger.sqlite --from 2026-06 --to 2026-11" in proc.stdout


# ---------------------------------------------------------------- plan changes and sign-offs


@pytest.fixture(scope="module")
def changed_plan(ledger: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample ledger, then the same workbooks merged again under an edited plan: K01's
    target raised and the health-check gap threshold widened (the files are duplicates, so
    only the plan changes, from the latest month the ledger holds)."""
    tmp = tmp_path_factory.mktemp("changed")
    path = tmp / "rmp-ledger.sqlite"
    shutil.copy(ledger, path)
    text = (SAMPLE / "rmp.toml").read_text(encoding="utf-8")
    edited = text.replace("target = 95.0", "target = 96.0", 1).replace(
        "health_gap = 2", "health_gap = 3"
    )
    assert edited.count("96.0") == 1 and "health_gap = 3" in edited
    v2 = tmp / "v2.toml"
    v2.write_text(edited, encoding="utf-8")
    return merge_sample(tmp, config=v2)


def test_plan_changes_in_the_months_are_in_the_pack(changed_plan: Path, tmp_path: Path):
    import datetime as dt
    import getpass

    xlsx, pdf = tmp_path / "audit.xlsx", tmp_path / "audit.pdf"
    proc = run_rmp(
        "audit", "--ledger", str(changed_plan), "--from", "2026-09", "--to", "2026-11",
        "-o", str(xlsx), "--pdf", str(pdf),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(xlsx)
    rows = table(wb, "Plan changes")
    who = getpass.getuser()
    assert [
        (r["From period"], r["Changed by"], r["Change"], r["Item"], r["Before"], r["After"])
        for r in rows
    ] == [
        ("2026-11", who, "Target changed", "K01 On-time delivery", "95", "96"),
        ("2026-11", who, "Threshold changed", "health_gap", "2", "3"),
    ]
    assert all(isinstance(r["Seen"], dt.datetime) for r in rows), "when, to the minute"
    assert wb["Plan changes"]["B5"].number_format == "yyyy-mm-dd hh:mm"
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Changes to the plan"] == 2
    assert "Plan changes" in [r[0] for r in wb["Summary"].iter_rows(values_only=True)]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
        # The headline page: the changes in a column of their own, right of the figures.
        assert any(line.endswith("Plan changes") for line in lines), text
        assert any(line.endswith("2026-11 Target changed: K01 On-time delivery (95 → 96)")
                   for line in lines), text  # fmt: skip
        assert any(line.endswith("2026-11 Threshold changed: health_gap (2 → 3)")
                   for line in lines), text  # fmt: skip


def test_plan_changes_outside_the_months_are_left_out(changed_plan: Path):
    with Ledger(changed_plan, create=False) as lg:
        before = build_audit(lg, REL, "2026-06", "2026-10")
        nov = build_audit(lg, REL, "2026-11", "2026-11")
    assert before.section("Plan changes").frame.empty
    assert dict(before.headline)["Changes to the plan"] == 0
    assert len(nov.section("Plan changes").frame) == 2


def test_a_ledger_without_a_plan_says_how_to_keep_one(tmp_path: Path):
    june = tmp_path / "june"
    june.mkdir()
    for book in SAMPLE.glob("*_2026-06.xlsx"):
        shutil.copy(book, june / book.name)
    path = tmp_path / "rmp-ledger.sqlite"
    proc = run_rmp("merge", str(june), "--ledger", str(path), "-o", str(tmp_path / "c.xlsx"),
                   "--jobs", "1")  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    with Ledger(path, create=False) as lg:
        section = build_audit(lg, REL, "2026-06", "2026-06").section("Plan changes")
    assert section.frame.empty
    assert "--config rmp.toml" in section.empty


def test_sign_offs_have_one_hook_and_none_are_kept_yet(ledger: Path):
    from rmp_workbook import audit

    with Ledger(ledger, create=False) as lg:
        pack = build_audit(lg, REL, "2026-11", "2026-11")
        assert audit._signoff_sections(lg, REL, {}) == []
    assert "Sign-offs" not in [s.title for s in pack.sections]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler's pdftotext")
def test_the_first_pdf_page_holds_every_event_it_lists(changed_plan: Path, tmp_path: Path):
    """Six months: eight risk events and two plan changes, each on the first page (the page
    once ran out before the last event); a longer list says how many are left out."""
    from rmp_workbook.audit import write_audit_pdf

    with Ledger(changed_plan, create=False) as lg:
        pack = build_audit(lg, REL, "2026-06", "2026-11")
    events = pack.section("Risk events").frame
    assert len(events) == 8 and len(pack.section("Plan changes").frame) == 2
    pdf = write_audit_pdf(pack, tmp_path / "audit.pdf")
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    text = re.sub(r"[ ]+", " ", text)
    for rec in events.to_dict("records"):
        assert f"{rec['Period']} {rec['Risk ID']} {rec['Event']}" in text, rec
    assert "earlier on the" not in text

    pack.section("Risk events").frame = pd.concat([events] * 5, ignore_index=True)
    pdf = write_audit_pdf(pack, tmp_path / "long.pdf")
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    left_out = re.search(r"… (\d+) earlier on the Risk events sheet", text)
    assert left_out, text
    shown = len(re.findall(r"\d{4}-\d{2}\s+R0\d\s+(?:Raised|Closed)", text))
    assert shown + int(left_out.group(1)) == 40
