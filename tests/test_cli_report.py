"""``rmp report``: exit codes, output files, and its help."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import run_rmp

from rmp_workbook.records import Record, Submission, SubmissionMeta
from rmp_workbook.schema import BEHAVIOURS, SCHEMA_VERSION

NW, CO = "Northwind Ltd", "Contoso Services"
PERIODS = ("2026-09", "2026-10", "2026-11")


def _submission(partner: str, period: str, i: int) -> Submission:
    meta = SubmissionMeta("NW-CO", "Northwind and Contoso", partner, period, SCHEMA_VERSION)
    kpis = [
        Record(
            "kpis",
            0,
            {
                "kpi_id": "K01",
                "kpi": "On-time delivery",
                "unit": "%",
                "direction": "Higher is better",
                "target": 95.0,
                "amber": 90.0,
                "period": period,
                "actual": 92.0 + i,
                "owner": NW,
            },
        ),
    ]
    risks = [
        Record(
            "risks",
            0,
            {
                "risk_id": "R01",
                "risk": "Key engineer leaves",
                "likelihood": 4,
                "impact": 4,
                "score": 16,
                "owner": NW,
                "status": "Open",
            },
        )
    ]
    health = [
        Record("health", j, {"behaviour": b, "score": 3 + (j % 2)})
        for j, b in enumerate(BEHAVIOURS)
    ]
    return Submission(
        path=f"/inbox/{partner.split()[0].lower()}-{period}.xlsx",
        sha256=f"{i}{partner[0]}".ljust(64, "0"),
        meta=meta,
        records={"kpis": kpis, "risks": risks, "health": health},
        received_at=dt.datetime.fromisoformat(f"{period}-28T10:00:00"),
    )


@pytest.fixture
def ledger(tmp_path):
    from rmp_workbook.ledger import Ledger

    path = tmp_path / "rmp-ledger.sqlite"
    with Ledger(path) as lg:
        lg.record([_submission(p, period, i) for i, period in enumerate(PERIODS) for p in (NW, CO)])
    return path


def test_report_writes_the_images_and_the_pdf(ledger, tmp_path):
    out = tmp_path / "report"
    proc = run_rmp("report", "--ledger", str(ledger), "--period", "2026-11", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "health-radar.png",
            "kpi-trends.png",
            "rag-summary.png",
            "risk-heat-map.png",
            "summary.pdf",
        ]
    )
    assert all(str(out / n) in proc.stdout for n in names)


def test_report_needs_a_period_and_an_existing_ledger(ledger, tmp_path):
    proc = run_rmp("report", "--ledger", str(ledger), "-o", str(tmp_path / "r"))
    assert proc.returncode == 2 and "--period" in proc.stderr
    proc = run_rmp(
        "report",
        "--ledger",
        str(tmp_path / "none.sqlite"),
        "--period",
        "2026-11",
        "-o",
        str(tmp_path / "r"),
    )
    assert proc.returncode == 2 and proc.stderr.startswith("Error:")
    assert "Traceback" not in proc.stderr


def test_report_names_an_unknown_relationship(ledger, tmp_path):
    proc = run_rmp(
        "report",
        "--ledger",
        str(ledger),
        "--period",
        "2026-11",
        "--relationship",
        "X",
        "-o",
        str(tmp_path / "r"),
    )
    assert proc.returncode == 2
    assert re.search(r"no relationship 'X' \(it has NW-CO\)", proc.stderr)


def test_report_help_ends_with_an_example():
    proc = run_rmp("report", "--help")
    assert proc.returncode == 0
    assert "rmp report --ledger rmp-ledger.sqlite --period 2026-11 -o report/" in proc.stdout


def test_consolidated_from_the_ledger_feeds_the_dashboard(ledger, tmp_path):
    from rmp_workbook.dashboard import write_consolidated
    from rmp_workbook.report import consolidated_from_ledger

    c = consolidated_from_ledger(ledger, "2026-11")
    assert c.relationship_id == "NW-CO" and c.partners == [NW, CO]
    assert c.ledger == str(ledger)
    assert sorted(p for p, _ in c.inputs) == [
        "/inbox/contoso-2026-11.xlsx",
        "/inbox/northwind-2026-11.xlsx",
    ]
    assert list(c.kpi_history["period"].unique()) == list(PERIODS)
    path = write_consolidated(c, tmp_path / "consolidated.xlsx")
    from test_dashboard import load

    wb = load(path, data_only=True)
    values = [cell.value for row in wb["Dashboard"].iter_rows() for cell in row]
    assert "K01 On-time delivery" in values and 94.0 in values
