"""``rmp history``: the KPI trend and every restatement, as text and JSON, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_rmp
from test_ledger import CONTOSO, NORTH, REL, at, kpi, make_submission

from rmp_workbook.ledger import Ledger


@pytest.fixture(scope="module")
def ledger_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("history") / "ledger.sqlite"
    with Ledger(path) as led:
        led.record(
            [
                make_submission(
                    NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 88.0)], received_at=at(2, 11)
                ),
                make_submission(
                    CONTOSO, "2026-10", kpis=[kpi("K01", "2026-10", 87.5)], received_at=at(3, 11)
                ),
                make_submission(
                    NORTH,
                    "2026-11",
                    kpis=[
                        kpi("K01", "2026-10", 90.0),
                        kpi("K01", "2026-11", 91.0),
                        kpi("K02", "2026-11", 99.0),
                    ],
                    received_at=at(2),
                ),
            ]
        )
    return path


def test_history_prints_the_trend_and_the_restatement(ledger_path: Path) -> None:
    proc = run_rmp("history", "--ledger", str(ledger_path), "--kpi", "K01")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"Relationship: {REL} (Acme supply)" in out
    assert "K01 On-time delivery (unit %, Higher is better, target 95)" in out
    lines = [line.split() for line in out.splitlines()]
    # Columns: partners in alphabetical order (Contoso plc, Northwind Ltd).
    assert ["2026-10", "87.5", "90", "*"] in lines
    assert ["2026-11", "-", "91"] in lines
    assert "K02" not in out.split("Restatements")[0]
    assert "Restatements (1)" in out
    restated = next(line for line in out.splitlines() if line.strip().startswith("K01  2026-10"))
    assert restated.split()[:6] == ["K01", "2026-10", "Northwind", "Ltd", "actual", "88"]
    assert "northwind-2026-10.xlsx" in restated and "northwind-2026-11.xlsx" in restated
    assert "2026-12-02 09:30" in restated


def test_history_json_carries_provenance(ledger_path: Path) -> None:
    proc = run_rmp("history", "--ledger", str(ledger_path), "--partner", NORTH, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["relationship_id"] == REL
    figures = [(f["kpi_id"], f["period"], f["actual"], f["file"]) for f in data["figures"]]
    assert figures == [
        ("K01", "2026-10", 90.0, "northwind-2026-11.xlsx"),
        ("K01", "2026-11", 91.0, "northwind-2026-11.xlsx"),
        ("K02", "2026-11", 99.0, "northwind-2026-11.xlsx"),
    ]
    assert data["figures"][0]["received_at"] == "2026-12-02T09:30:00"
    assert data["figures"][0]["restated"] == 1
    (r,) = data["restatements"]
    assert (r["item"], r["period"], r["previous"], r["restated"]) == ("K01", "2026-10", 88.0, 90.0)
    assert (r["previous_file"], r["file"]) == ("northwind-2026-10.xlsx", "northwind-2026-11.xlsx")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kpi", "K99"], "no KPI 'K99' in ACME-2026; known KPIs: K01, K02"),
        (["--relationship", "NOPE"], "has no relationship 'NOPE' (it has ACME-2026)"),
        (["--partner", "Fabrikam"], "no partner 'Fabrikam' reported KPIs"),
    ],
)
def test_history_names_what_exists_when_asked_for_what_does_not(
    ledger_path: Path, args: list[str], message: str
) -> None:
    proc = run_rmp("history", "--ledger", str(ledger_path), *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == f"Error: {message}" or message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_history_without_a_ledger_fails_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    proc = run_rmp("history", "--ledger", str(missing))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"Error: {missing}: no ledger there (run `rmp merge` first)"
    assert not missing.exists()


def test_history_help_ends_with_an_example() -> None:
    proc = run_rmp("history", "--help")
    assert proc.returncode == 0
    for option in ("--ledger", "--relationship", "--kpi", "--partner", "--json"):
        assert option in proc.stdout
    lines = [line.strip() for line in proc.stdout.splitlines()]
    example = lines.index("Example:")
    assert lines[example + 1].startswith("rmp history --ledger ")
    assert lines[example + 2] == "" or lines[example + 2].startswith("rmp history ")
    assert "history" in run_rmp("--help").stdout
