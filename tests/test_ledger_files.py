"""Real workbooks, filled as a person would and read by ``read_workbook``, in the ledger."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from fill import PARTNER, RELATIONSHIP_ID, fill, fill_bad, fill_good, make_template

from rmp_workbook.ledger import Ledger
from rmp_workbook.read import read_workbook
from rmp_workbook.records import Submission


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("tpl") / "template.xlsx")


@pytest.fixture(scope="module")
def good(template: Path) -> Submission:
    path = fill_good(template, template.parent / "northwind-2026-11.xlsx")
    return read_workbook(path)


def test_a_filled_workbook_is_recorded_as_read(tmp_path: Path, good: Submission) -> None:
    assert good.valid, [f.message for f in good.errors]
    with Ledger(tmp_path / "ledger.sqlite") as led:
        result = led.record([good])
        (rec,) = result.recorded
        assert rec.sha256 == hashlib.sha256(Path(good.path).read_bytes()).hexdigest()
        assert result.rows == {k: len(v) for k, v in good.records.items() if v}
        frames = led.frames(RELATIONSHIP_ID, "2026-11")
        for key, records in good.records.items():
            # Every typed value read from the file is what the ledger gives back.
            frame = frames[key]
            assert len(frame) == len(records)
            for record, (_, row) in zip(records, frame.iterrows(), strict=True):
                assert row["_row"] == record.row
                for col, value in record.values.items():
                    got = row[col]
                    if value is None:
                        assert got is None or got != got, (key, col, got)  # None or NaN
                    elif isinstance(value, dt.datetime):
                        assert got == value.date(), (key, col)
                    else:
                        assert got == value, (key, col, got, value)
        kpis = frames["kpis"]
        assert kpis[["kpi_id", "period", "actual"]].values.tolist() == [
            ["K01", "2026-11", 91.5],
            ["K02", "2026-10", 1250.0],
        ]
        assert list(frames["risks"]["risk_id"]) == ["R01", "R02", "R03"]
        assert set(kpis["_file"]) == {"northwind-2026-11.xlsx"}
        assert set(kpis["_partner"]) == {PARTNER}
        received = good.received_at
        assert received is not None
        assert kpis["_received_at"].iloc[0] == received.replace(tzinfo=None)
        subs = led.submissions_frame(RELATIONSHIP_ID)
        assert subs[["file", "partner", "period", "status"]].values.tolist() == [
            ["northwind-2026-11.xlsx", PARTNER, "2026-11", "current"]
        ]


def test_the_same_file_copied_is_a_duplicate_and_a_resaved_one_supersedes(
    tmp_path: Path, template: Path, good: Submission
) -> None:
    copy = tmp_path / "northwind-2026-11 (copy).xlsx"
    shutil.copy(good.path, copy)
    later = fill(
        template,
        tmp_path / "northwind-2026-11-v2.xlsx",
        rows={
            "KPIs": [
                {"KPI ID": "K01", "Period": "2026-11", "Actual": 93},
                {"KPI ID": "K02", "Period": "2026-10", "Actual": 1300},
            ]
        },
    )
    stamp = Path(good.path).stat().st_mtime + 3600
    os.utime(later, (stamp, stamp))
    with Ledger(tmp_path / "ledger.sqlite") as led:
        led.record([good])
        again = led.record([read_workbook(copy), read_workbook(later)])
        assert [d.path for d in again.duplicates] == [str(copy)]
        (sup,) = again.superseded
        assert (sup.old_file, sup.new_file) == ("northwind-2026-11.xlsx", later.name)
        # Same period: a supersede, not a restatement (K02 for 2026-10 was reported in
        # November's workbook both times).
        assert again.restatements == []
        kpis = led.frames(RELATIONSHIP_ID)["kpis"]
        assert kpis[["kpi_id", "actual"]].values.tolist() == [["K01", 93.0], ["K02", 1300.0]]


def test_findings_of_a_bad_workbook_are_kept_with_their_cells(
    tmp_path: Path, template: Path
) -> None:
    bad = read_workbook(fill_bad(template, tmp_path / "northwind-bad.xlsx"))
    assert bad.errors
    with Ledger(tmp_path / "ledger.sqlite") as led:
        led.record([bad])
        frame = led.findings_frame(RELATIONSHIP_ID, bad.meta.period)
        assert len(frame) == len(bad.findings) > 10
        assert sorted(zip(frame["sheet"], frame["cell"], frame["code"], strict=True)) == sorted(
            (f.sheet, f.cell or None, f.code) for f in bad.findings
        )
        assert set(frame["message"]) == {f.message for f in bad.findings}
        assert led.submissions_frame(RELATIONSHIP_ID)["errors"].tolist() == [len(bad.errors)]
        # Rows with errors were left out by the reader; the valid ones are recorded.
        risks = led.frames(RELATIONSHIP_ID)["risks"]
        assert sorted(risks["risk_id"]) == sorted(r.values["risk_id"] for r in bad.records["risks"])
