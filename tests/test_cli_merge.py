"""``rmp merge`` as a user runs it: exit codes, the summary, --json, --feedback."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_rmp
from test_merge import CONTOSO, NORTH, kpi, workbook


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("returned")
    workbook(folder, NORTH, "2026-11")
    workbook(folder, CONTOSO, "2026-11", kpis=[kpi("K01", "2026-11", 85.0)])
    return folder


def test_clean_merge_exits_0_and_says_where(returned: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.xlsx"
    proc = run_rmp("merge", str(returned), "--ledger", str(tmp_path / "l.sqlite"), "-o", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 of 2 files merged: 2 new" in proc.stdout
    assert re.search(rf"Wrote {re.escape(str(out))} \(merged in \d+\.\d s\)", proc.stdout)
    assert out.exists()
    again = run_rmp("merge", str(returned), "--ledger", str(tmp_path / "l.sqlite"), "-o", str(out))
    assert again.returncode == 0
    assert "0 new, 2 already in the ledger" in again.stdout


def test_json_and_exit_1_when_something_is_left_out(returned: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(returned, folder)
    (folder / "minutes.xlsx").write_text("meeting notes", encoding="utf-8")
    out = tmp_path / "c.xlsx"
    proc = run_rmp(
        "merge", str(folder), "--ledger", str(tmp_path / "l.sqlite"), "-o", str(out), "--json"
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["merged"] == 2 and data["summary"]["exit_code"] == 1
    seconds = data["summary"]["seconds"]
    assert set(seconds) == {"read_validate_record", "reconcile", "write"}
    assert all(v > 0 for v in seconds.values())
    assert [(Path(s["path"]).name, s["code"]) for s in data["skipped"]] == [
        ("minutes.xlsx", "not-a-workbook")
    ]
    assert out.exists()


def test_misuse_exits_2_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = run_rmp("merge", str(tmp_path / "empty"), "-o", str(tmp_path / "c.xlsx"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no workbook" in proc.stderr
    assert "Traceback" not in proc.stderr
    bad_period = run_rmp("merge", str(tmp_path), "--period", "Nov", "-o", str(tmp_path / "c.xlsx"))
    assert bad_period.returncode == 2 and "YYYY-MM" in bad_period.stderr


def test_only_junk_writes_nothing_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_text("junk", encoding="utf-8")
    out = tmp_path / "c.xlsx"
    proc = run_rmp("merge", str(tmp_path / "a.xlsx"), "--ledger", str(tmp_path / "l.sqlite"),
                   "-o", str(out))  # fmt: skip
    assert proc.returncode == 2
    assert "nothing could be merged" in proc.stdout
    assert not out.exists()


def test_template_prefilled_from_the_ledger(returned: Path, tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    ledger = tmp_path / "l.sqlite"
    assert run_rmp("merge", str(returned), "--ledger", str(ledger), "-o", str(tmp_path / "c.xlsx"))
    out = tmp_path / "next.xlsx"
    proc = run_rmp("template", "--relationship", "Northwind–Contoso", "--relationship-id",
                   "NW-CT-2026", "--partner", NORTH, "--period", "2026-12",
                   "--ledger", str(ledger), "-o", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    wb = CalamineWorkbook.from_path(str(out))
    kpis = wb.get_sheet_by_name("KPIs").to_python()
    assert [(r[0], r[6], r[7]) for r in kpis[1:] if r[0]] == [
        ("K01", "2026-12", ""),
        ("K02", "2026-12", ""),
    ]
    risks = wb.get_sheet_by_name("Risks").to_python()
    assert [r[0] for r in risks[1:] if r[0]] == ["R01"]
    nowhere = str(tmp_path / "none.sqlite")
    missing = run_rmp("template", "--relationship", "X", "--partner", NORTH, "--period",
                      "2026-12", "--ledger", nowhere, "-o", str(tmp_path / "new.xlsx"))  # fmt: skip
    assert missing.returncode == 2 and "no ledger" in missing.stderr


def test_long_commands_keep_the_collector_off_what_they_imported() -> None:
    import subprocess
    import sys

    code = (
        "import gc, sys\n"
        "from rmp_workbook.cli.options import load_for_long_run\n"
        "assert gc.get_freeze_count() == 0\n"
        "load_for_long_run('rmp_workbook.ledger', 'rmp_workbook.dashboard')\n"
        "assert 'sqlalchemy' in sys.modules and 'xlsxwriter' in sys.modules\n"
        "print(gc.get_freeze_count(), gc.get_threshold()[0], gc.isenabled())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    frozen, young, enabled = proc.stdout.split()
    assert int(frozen) > 50_000  # SQLAlchemy, xlsxwriter, pydantic … are out of its way
    # Cycles are still collected, but not every 700 new objects: a run's cells die young.
    assert int(young) >= 10_000 and enabled == "True"
