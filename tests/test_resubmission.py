"""Which of a partner's workbooks for a month wins, and what a replaced workbook no longer does.

Within one run a workbook's own 'Prepared on' date decides, then its file time; a tie is
refused. Across runs the later merge wins. Real workbooks, filled through openpyxl.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import openpyxl
import pytest
from conftest import run_rmp
from fill import RELATIONSHIP_ID
from test_merge import CONTOSO, NORTH, TODAY, kpi, workbook

from rmp_workbook.ledger import Ledger
from rmp_workbook.merge import merge

P = "2026-11"


def version(
    folder: Path,
    name: str,
    k01: object,
    *,
    prepared: dt.datetime | None,
    mtime: dt.datetime,
    partner: str = NORTH,
) -> Path:
    """Northwind's November workbook with K01 = ``k01``, 'Prepared on' typed, saved at ``mtime``."""
    path = workbook(folder, partner, P, name=name,
                    kpis=[kpi("K01", P, k01), kpi("K02", P, 4)])  # fmt: skip
    if prepared is not None:
        wb = openpyxl.load_workbook(path)
        ws = wb["Relationship"]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Prepared on")
        ws.cell(row, 2).value = prepared
        wb.save(path)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def current_files(ledger: Path) -> list[str]:
    with Ledger(ledger) as led:
        subs = led.submissions_frame(RELATIONSHIP_ID, P)
    return sorted(subs[subs["status"] == "current"]["file"])


def test_prepared_on_decides_not_the_order_files_were_copied(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    # The corrected file was prepared later but copied into the folder first.
    version(folder, "northwind.xlsx", "n/a", prepared=dt.datetime(2026, 12, 3),
            mtime=dt.datetime(2026, 12, 10))  # fmt: skip
    version(folder, "northwind-v2.xlsx", 95.0, prepared=dt.datetime(2026, 12, 5),
            mtime=dt.datetime(2026, 12, 8))  # fmt: skip
    workbook(folder, CONTOSO, P)
    ledger = tmp_path / "l.sqlite"
    result = merge([folder], ledger=ledger, output=tmp_path / "c.xlsx", period=P,
                   feedback_dir=tmp_path / "fb", today=TODAY)  # fmt: skip
    assert current_files(ledger) == ["contoso-2026-11.xlsx", "northwind-v2.xlsx"]
    # The replaced file's error (K01 'n/a') is not reported, not fed back, not exit 1.
    assert result.exit_code == 0, result.to_dict()["left_out"]
    assert not result.left_out
    assert not [p for p in result.feedback if p.name.startswith("northwind.")]
    data = result.to_dict()
    (entry,) = [f for f in data["files"] if f["path"].endswith("/northwind.xlsx")]
    assert entry["superseded_by"] == "northwind-v2.xlsx" and entry["problems"] == []
    (rep,) = data["replacements"]
    assert (rep["old"], rep["new"]) == ("northwind.xlsx", "northwind-v2.xlsx")
    assert rep["text"].startswith("northwind-v2.xlsx replaces northwind.xlsx (")
    # K01's Actual was left out of the replaced file (an error), so it is "added".
    assert "KPIs K01 added" in rep["changes"]


def test_file_time_decides_without_prepared_on_and_ties_are_refused(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    first = tmp_path / "first"
    version(first, "northwind.xlsx", 96.5, prepared=None, mtime=dt.datetime(2026, 12, 2))
    merge([first], ledger=ledger, output=tmp_path / "a.xlsx", period=P, today=TODAY)
    second = tmp_path / "second"
    same = dt.datetime(2026, 12, 6, 9, 30)
    version(second, "northwind-a.xlsx", 94.0, prepared=dt.datetime(2026, 12, 5), mtime=same)
    version(second, "northwind-b.xlsx", 93.0, prepared=dt.datetime(2026, 12, 5), mtime=same)
    with Ledger(ledger) as led:
        before = led.counts()
    result = merge([second], ledger=ledger, output=tmp_path / "b.xlsx", period=P, today=TODAY)
    assert result.exit_code == 1
    assert sorted((Path(s.path).name, s.code) for s in result.skipped) == [
        ("northwind-a.xlsx", "ambiguous-resubmission"),
        ("northwind-b.xlsx", "ambiguous-resubmission"),
    ]
    assert "same 'Prepared on' date and the same file time" in result.skipped[0].reason
    # Neither was recorded; the first run's workbook is current again; nothing else changed.
    assert current_files(ledger) == ["northwind.xlsx"]
    with Ledger(ledger) as led:
        assert led.counts() == before
    # File times alone decide when they differ.
    third = tmp_path / "third"
    version(third, "northwind-c.xlsx", 91.0, prepared=None, mtime=dt.datetime(2026, 12, 7))
    version(third, "northwind-d.xlsx", 92.0, prepared=None, mtime=dt.datetime(2026, 12, 6))
    result = merge([third], ledger=ledger, output=tmp_path / "c.xlsx", period=P, today=TODAY)
    assert result.exit_code == 0
    assert current_files(ledger) == ["northwind-c.xlsx"]
    texts = [x["text"] for x in result.replacements()]
    assert "northwind-c.xlsx replaces northwind-d.xlsx (K01 Actual 92 → 91)" in texts
    assert "northwind-c.xlsx replaces northwind.xlsx (K01 Actual 96.5 → 91)" in texts or (
        "northwind-d.xlsx replaces northwind.xlsx (K01 Actual 96.5 → 92)" in texts
    )


def test_across_runs_the_later_merge_wins(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    first = tmp_path / "first"
    version(first, "northwind-v2.xlsx", 95.0, prepared=dt.datetime(2026, 12, 5),
            mtime=dt.datetime(2026, 12, 8))  # fmt: skip
    merge([first], ledger=ledger, output=tmp_path / "a.xlsx", period=P, today=TODAY)
    # A week later the manager merges a file prepared earlier: it is what they merged last.
    second = tmp_path / "second"
    version(second, "northwind-v3.xlsx", 96.5, prepared=dt.datetime(2026, 12, 4),
            mtime=dt.datetime(2026, 12, 4))  # fmt: skip
    proc = run_rmp("merge", str(second), "--period", P, "--ledger", str(ledger),
                   "-o", str(tmp_path / "b.xlsx"))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "northwind-v3.xlsx replaces northwind-v2.xlsx (K01 Actual 95 → 96.5)" in proc.stdout
    assert current_files(ledger) == ["northwind-v3.xlsx"]
    # Merging the first folder again adds nothing and reports nothing of the replaced file.
    again = run_rmp("merge", str(first), "--period", P, "--ledger", str(ledger),
                    "-o", str(tmp_path / "c.xlsx"), "--json")  # fmt: skip
    assert again.returncode == 0, again.stdout
    data = json.loads(again.stdout)
    assert data["summary"]["duplicates"] == 1 and data["files"][0]["problems"] == []
    assert current_files(ledger) == ["northwind-v3.xlsx"]


@pytest.mark.parametrize("order", ["name", "reversed"])
def test_the_newest_wins_whatever_the_order_given(tmp_path: Path, order: str) -> None:
    folder = tmp_path / "in"
    paths = [
        version(folder, f"n{i}.xlsx", 90.0 + i, prepared=dt.datetime(2026, 12, 1 + i),
                mtime=dt.datetime(2026, 12, 20 - i))
        for i in range(3)
    ]  # fmt: skip
    given = paths if order == "name" else paths[::-1]
    ledger = tmp_path / "l.sqlite"
    result = merge(given, ledger=ledger, output=tmp_path / "c.xlsx", period=P, today=TODAY)
    assert result.exit_code == 0
    assert current_files(ledger) == ["n2.xlsx"]
