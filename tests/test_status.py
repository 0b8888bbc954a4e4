"""``rmp status``: each expected partner's return for a month, from the ledger and a folder.

Real workbooks (template code, filled through openpyxl) merged over two months, with the
mistakes people make: a late return, one with errors, a corrected resend, last month's
file sent again, a workbook from an organisation that is not a partner, and one missing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import run_rmp
from fill import RELATIONSHIP_ID
from months import config_text, member
from test_merge import CONTOSO, NORTH, TODAY, kpi, workbook

from rmp_workbook.config import load_config
from rmp_workbook.ledger import Ledger
from rmp_workbook.merge import merge
from rmp_workbook.status import format_status, status

FABRIKAM = "Fabrikam Services"
LITWARE = "Litware Inc"
TAILSPIN = "Tailspin Toys"

CONFIG = config_text(
    NORTH,
    CONTOSO,
    member(FABRIKAM, left=dt.date(2026, 10, 1)),
    LITWARE,
    member(TAILSPIN, joined=dt.date(2026, 10, 15)),
    kpis=[],
    id=RELATIONSHIP_ID,
    due="working day 5",
)


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(config, ledger, folder of November files not merged yet)."""
    root = tmp_path_factory.mktemp("status")
    config_path = root / "rmp.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    config = load_config(config_path)
    ledger = root / "l.sqlite"
    october = root / "2026-10"
    for p in (NORTH, CONTOSO, LITWARE, TAILSPIN):
        workbook(october, p, "2026-10", mtime=dt.datetime(2026, 11, 3))
    merge([october], ledger=ledger, output=root / "c10.xlsx", period="2026-10", config=config,
          today=TODAY)  # fmt: skip
    merged = root / "2026-11"
    # November is due on the 5th working day of December: Monday 7 December 2026.
    workbook(merged, NORTH, "2026-11", mtime=dt.datetime(2026, 12, 2))
    workbook(merged, NORTH, "2026-11", name="northwind-2026-11-v2.xlsx",
             kpis=[kpi("K01", "2026-11", 95.0), kpi("K02", "2026-11", 4)],
             mtime=dt.datetime(2026, 12, 4))  # fmt: skip
    workbook(merged, CONTOSO, "2026-11", mtime=dt.datetime(2026, 12, 9, 8),
             kpis=[kpi("K01", "2026-11", "n/a"), kpi("K02", "2026-11", 4)])  # fmt: skip
    merge([merged], ledger=ledger, output=root / "c11.xlsx", period="2026-11", config=config,
          today=TODAY)  # fmt: skip
    folder = root / "returned"
    workbook(folder, LITWARE, "2026-11", mtime=dt.datetime(2026, 12, 7, 17))
    workbook(
        folder, NORTH, "2026-10", name="northwind-resent.xlsx", kpis=[kpi("K01", "2026-10", 70.0)]
    )  # last month's file, typed over
    workbook(folder, "Acme Corp", "2026-11")
    return config_path, ledger, folder


def test_status_from_the_ledger_alone(cycle: tuple[Path, Path, Path]) -> None:
    config_path, ledger, _ = cycle
    with Ledger(ledger) as led:
        report = status(led, "2026-11", config=load_config(config_path))
    assert report.due == dt.date(2026, 12, 7)
    states = {p.partner: p for p in report.partners}
    # Fabrikam left on 1 October: not expected. Tailspin joined mid-October: expected.
    assert list(states) == [NORTH, CONTOSO, LITWARE, TAILSPIN]
    assert states[NORTH].state == "received" and states[NORTH].file == "northwind-2026-11-v2.xlsx"
    assert [(r.file, r.replaced_by) for r in states[NORTH].replaced] == [
        ("northwind-2026-11.xlsx", "northwind-2026-11-v2.xlsx")
    ]
    assert states[CONTOSO].state == "invalid" and states[CONTOSO].late
    assert states[CONTOSO].errors == 1 and states[CONTOSO].received_on == dt.date(2026, 12, 9)
    assert states[LITWARE].state == "missing" and states[TAILSPIN].state == "missing"
    assert report.exit_code == 1
    text = format_status(report)
    assert "period 2026-11, due 2026-12-07" in text
    assert "superseded northwind-2026-11.xlsx, replaced by northwind-2026-11-v2.xlsx" in text
    assert "2 of 4 partners in; 2 missing, 1 late, 1 with errors." in text


def test_status_with_the_returned_folder(cycle: tuple[Path, Path, Path]) -> None:
    config_path, ledger, folder = cycle
    with Ledger(ledger) as led:
        report = status(led, "2026-11", config=load_config(config_path), returned=folder)
    states = {p.partner: p for p in report.partners}
    assert states[LITWARE].state == "received" and not states[LITWARE].merged
    assert states[LITWARE].received_on == dt.date(2026, 12, 7) and not states[LITWARE].late
    assert [(s.file, s.period) for s in report.wrong_period] == [
        ("northwind-resent.xlsx", "2026-10")
    ]
    assert [(s.file, s.partner) for s in report.unknown_sender] == [
        ("acme-2026-11.xlsx", "Acme Corp")
    ]
    assert states[TAILSPIN].state == "missing"
    # The already merged files of the folder are not counted twice.
    assert states[NORTH].file == "northwind-2026-11-v2.xlsx" and states[NORTH].merged


def test_rmp_status_exit_codes_and_json(cycle: tuple[Path, Path, Path], tmp_path: Path) -> None:
    config_path, ledger, folder = cycle
    proc = run_rmp("status", "--period", "2026-11", "--config", str(config_path),
                   "--ledger", str(ledger), "--returned", str(folder), "--json")  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"] == {
        "expected": 4, "in": 3, "missing": 1, "late": 1, "invalid": 1, "superseded": 1,
        "wrong_period": 1, "unknown_sender": 1, "unreadable": 0, "exit_code": 1,
    }  # fmt: skip
    # October: everyone expected sent a valid workbook on time.
    october = run_rmp("status", "--period", "2026-10", "--config", str(config_path),
                      "--ledger", str(ledger))  # fmt: skip
    assert october.returncode == 0, october.stdout
    assert "4 of 4 partners in; 0 missing, 0 late, 0 with errors." in october.stdout
    missing = run_rmp("status", "--period", "2026-11", "--ledger", str(tmp_path / "none.sqlite"))
    assert missing.returncode == 2 and "none.sqlite" in missing.stderr
