"""``rmp ledger copy``: SQLite → PostgreSQL → SQLite, verified, in one transaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_rmp
from sqlalchemy import text
from test_merge import CONTOSO, NORTH, TODAY, kpi, workbook

from rmp_workbook.findings import LedgerError
from rmp_workbook.ledger import Ledger
from rmp_workbook.ledger.transfer import copy_ledger, table_checksum
from rmp_workbook.merge import merge


def _checksums(url: str | Path) -> dict[str, tuple[int, str]]:
    with Ledger(url, create=False) as led, led.engine.connect() as conn:
        return {name: table_checksum(conn, t) for name, t in led.tables.items()}


def _frames(url: str | Path) -> dict[str, list[tuple]]:
    """What the commands read from a ledger, as plain rows."""
    with Ledger(url, create=False) as led:
        subs = led.submissions_frame("NW-CT-2026").drop(columns=["path"])
        history = led.history("NW-CT-2026")
        restated = led.restatements_frame("NW-CT-2026")
    return {
        "submissions": [tuple(r) for r in subs.astype(str).itertuples(index=False)],
        "history": [tuple(r) for r in history.astype(str).itertuples(index=False)],
        "restatements": [tuple(r) for r in restated.astype(str).itertuples(index=False)],
    }


@pytest.fixture(scope="module")
def sqlite_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ledger: two partners over two months, a superseded file, a restatement,
    a finding."""
    folder = tmp_path_factory.mktemp("copy")
    ledger = folder / "rmp-ledger.sqlite"
    oct_ = folder / "2026-10"
    workbook(oct_, NORTH, "2026-10")
    workbook(oct_, CONTOSO, "2026-10", likelihood=9)  # out of range: a finding, row left out
    merge([oct_], ledger=ledger, output=folder / "c10.xlsx", today=TODAY)
    nov = folder / "2026-11"
    workbook(nov, NORTH, "2026-11", kpis=[kpi("K01", "2026-10", 93.0), kpi("K01", "2026-11", 94)])
    workbook(nov, CONTOSO, "2026-11")
    workbook(nov, CONTOSO, "2026-11", name="contoso-2026-11-v2.xlsx", trust=5)  # supersedes
    merge([nov], ledger=ledger, output=folder / "c11.xlsx", today=TODAY)
    return ledger


def test_sqlite_to_postgresql_to_sqlite_keeps_every_row(
    sqlite_ledger: Path, postgres_database: str, tmp_path: Path
) -> None:
    original = _checksums(sqlite_ledger)
    with Ledger(sqlite_ledger, create=False) as led:
        counts = led.counts()
    assert counts["submissions"] == 5 and counts["restatements"] >= 1 and counts["findings"] >= 1
    with Ledger(sqlite_ledger, create=False) as led, led.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT COUNT(*) FROM submissions WHERE superseded_by IS NOT NULL")
            ).scalar()
            == 1
        )

    result = copy_ledger(sqlite_ledger, postgres_database)
    assert {t.name: (t.rows, t.checksum) for t in result.tables} == original
    assert _checksums(postgres_database) == original
    assert _frames(postgres_database) == _frames(sqlite_ledger)
    with Ledger(postgres_database) as led:
        assert led.counts() == counts
        assert [m["note"] for m in led.migrations()] == [
            m["note"] for m in Ledger(sqlite_ledger, create=False).migrations()
        ]

    back = tmp_path / "back.sqlite"
    copy_ledger(postgres_database, back)
    assert _checksums(back) == original
    assert _frames(back) == _frames(sqlite_ledger)


def test_the_copy_goes_on_recording_with_fresh_ids(
    sqlite_ledger: Path, postgres_database: str, tmp_path: Path
) -> None:
    copy_ledger(sqlite_ledger, postgres_database)
    dec = tmp_path / "2026-12"
    workbook(dec, NORTH, "2026-12")
    result = merge([dec], ledger=postgres_database, output=tmp_path / "c12.xlsx", today=TODAY)
    assert result.exit_code == 0
    with Ledger(postgres_database) as led:
        subs = led.submissions_frame("NW-CT-2026")
    assert len(subs) == 6 and subs["submission_id"].is_unique
    assert subs.loc[subs["period"] == "2026-12", "submission_id"].item() == 6


def test_a_hand_copy_that_left_the_sequences_behind_is_named_in_words(
    sqlite_ledger: Path, postgres_database: str, tmp_path: Path
) -> None:
    copy_ledger(sqlite_ledger, postgres_database)
    # What a hand copy (INSERT … with the ids) leaves behind: counters that start at 1.
    with Ledger(postgres_database) as led, led.engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('submissions', 'id'), 1, false)"))
    dec = tmp_path / "2026-12"
    workbook(dec, NORTH, "2026-12")
    with pytest.raises(LedgerError) as err:
        merge([dec], ledger=postgres_database, output=tmp_path / "c12.xlsx", today=TODAY)
    message = str(err.value)
    assert "submissions" in message and "already has" in message
    assert "rmp ledger copy" in message and "Nothing was changed" in message
    assert "duplicate key value" not in message
    with Ledger(postgres_database) as led:
        assert led.counts()["submissions"] == 5


def test_only_into_an_empty_ledger_and_nothing_left_after_a_failure(
    sqlite_ledger: Path, tmp_path: Path
) -> None:
    target = tmp_path / "copy.sqlite"
    copy_ledger(sqlite_ledger, target)
    before = _checksums(target)
    with pytest.raises(LedgerError, match="destination is not empty"):
        copy_ledger(sqlite_ledger, target)
    assert _checksums(target) == before
    with pytest.raises(LedgerError, match="the same ledger"):
        copy_ledger(sqlite_ledger, str(sqlite_ledger))
    with pytest.raises(LedgerError, match="no ledger there"):
        copy_ledger(tmp_path / "missing.sqlite", tmp_path / "new.sqlite")
    assert not (tmp_path / "new.sqlite").exists()


def test_cli_copies_and_reports_each_table(sqlite_ledger: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite"
    proc = run_rmp("ledger", "copy", str(sqlite_ledger), str(target), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    tables = {t["table"]: t for t in data["tables"]}
    assert tables["submissions"]["rows"] == 5
    assert data["rows"] == sum(t["rows"] for t in data["tables"])
    assert _checksums(target) == _checksums(sqlite_ledger)
    again = run_rmp("ledger", "copy", str(sqlite_ledger), str(target))
    assert again.returncode == 2
    assert again.stderr.startswith("Error: ") and "not empty" in again.stderr
    text_proc = run_rmp("ledger", "copy", str(sqlite_ledger), str(tmp_path / "t2.sqlite"))
    assert text_proc.returncode == 0
    assert "submissions" in text_proc.stdout and "verified" in text_proc.stdout
