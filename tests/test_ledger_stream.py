"""Recording workbooks one by one in one transaction: ``Ledger.recording()`` and ``Recorder``."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from test_ledger import (
    CONTOSO,
    NORTH,
    REL,
    at,
    kpi,
    ledger,  # noqa: F401  (fixture)
    make_submission,
    snapshot,
)

from rmp_workbook.findings import LedgerError
from rmp_workbook.ledger import Ledger, Recorder, RecordResult
from rmp_workbook.records import Record, Submission

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


def restated(result: RecordResult) -> list[tuple[Any, ...]]:
    """Restatements without ledger ids (they follow the order workbooks were added in)."""
    return sorted(
        (r.partner, r.sheet, r.item, r.column, r.period, r.previous, r.restated,
         r.previous_file, r.file)
        for r in result.restatements
    )  # fmt: skip


def superseded(result: RecordResult) -> list[tuple[str, str, str, str]]:
    return sorted((s.partner, s.period, s.old_file, s.new_file) for s in result.superseded)


def stored(led: Ledger) -> dict[str, Any]:
    """The ledger's submissions and restatements, told by file name instead of id."""
    st, rt = led.tables["submissions"], led.tables["restatements"]
    with led.engine.connect() as conn:
        files = {r.id: r.file_name for r in conn.execute(select(st.c.id, st.c.file_name))}
        subs = sorted(
            (r.file_name, r.status, files.get(r.superseded_by)) for r in conn.execute(select(st))
        )
        rests = sorted(
            (r.sheet, r.item, r.column, r.period, r.partner, r.previous_value, r.restated_value,
             files[r.previous_submission_id], files[r.submission_id])
            for r in conn.execute(select(rt))
        )  # fmt: skip
    return {"submissions": subs, "restatements": rests}


def record_one_by_one(led: Ledger, subs: list[Submission]) -> RecordResult:
    with led.recording() as rec:
        for sub in subs:
            rec.add(sub)
    return rec.result


# -- one transaction -------------------------------------------------------------


def test_a_failing_block_writes_nothing(ledger: Ledger) -> None:  # noqa: F811
    ledger.record([make_submission(NORTH, "2026-10", received_at=at(2, 11))])
    before = snapshot(ledger)
    with pytest.raises(RuntimeError, match="stop"), ledger.recording() as rec:
        rec.add(make_submission(NORTH, "2026-11", kpis=[kpi("K01", "2026-10", 50.0)]))
        rec.add(make_submission(CONTOSO, "2026-11"))
        assert len(rec.result.recorded) == 2
        raise RuntimeError("stop")
    assert snapshot(ledger) == before
    # The recorder is spent: it refuses more workbooks.
    with pytest.raises(LedgerError, match="recording has ended"):
        rec.add(make_submission(CONTOSO, "2026-12"))


def test_rows_are_written_as_they_are_added(
    ledger: Ledger,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a small buffer, rows reach the database before the block ends."""
    monkeypatch.setattr(Recorder, "FLUSH_ROWS", 3)
    inserts: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO"):
            inserts.append(statement.split("(")[0].split()[-1].strip('"'))

    event.listen(ledger.engine, "before_cursor_execute", seen)
    try:
        with ledger.recording() as rec:
            north = make_submission(NORTH, "2026-11")
            rec.add(north)
            rows = sum(len(v) for v in north.records.values())
            assert rows > 3 and "rec_kpis" in inserts and "rec_risks" in inserts
            # The caller may drop the records: they are in the ledger already.
            north.records = {}
            rec.add(make_submission(CONTOSO, "2026-11"))
            assert "restatements" not in inserts
    finally:
        event.remove(ledger.engine, "before_cursor_execute", seen)
    assert rec.result.recorded[0].rows == rows
    kpis = ledger.frames(REL, "2026-11")["kpis"]
    assert sorted(set(kpis["_partner"])) == [CONTOSO, NORTH]
    assert ledger.counts()["submissions"] == 2


def test_a_refused_workbook_leaves_no_trace_and_the_others_go_on(
    ledger: Ledger,  # noqa: F811
) -> None:
    typo = make_submission(CONTOSO, kpis=[kpi("K01", "2026-11", "ninety")])  # type: ignore[arg-type]
    nameless = make_submission(CONTOSO, salt="x")
    nameless.meta.partner = " "
    with ledger.recording() as rec:
        rec.add(make_submission(NORTH))
        with pytest.raises(LedgerError, match=r"row 2, column actual: 'ninety'"):
            rec.add(typo)
        with pytest.raises(LedgerError, match="without its partner"):
            rec.add(nameless)
        rec.add(make_submission(CONTOSO, "2026-11", salt="ok"))
    assert [r.partner for r in rec.result.recorded] == [NORTH, CONTOSO]
    subs = ledger.submissions_frame(REL)
    assert sorted(subs["file"]) == ["contoso-2026-11ok.xlsx", "northwind-2026-11.xlsx"]
    assert set(ledger.frames(REL)["kpis"]["actual"]) == {91.5, 99.0}


def test_duplicates_within_and_across_runs(ledger: Ledger) -> None:  # noqa: F811
    north = make_submission()
    with ledger.recording() as rec:
        rec.add(north)
        rec.add(make_submission())  # same content
    (dup,) = rec.result.duplicates
    assert (dup.existing_id, dup.existing_file) == (rec.result.recorded[0].id, north.path[4:])
    before = ledger.counts()
    with ledger.recording() as again:
        again.add(make_submission())
    assert len(again.result.duplicates) == 1 and not again.result.recorded
    assert ledger.counts() == before


# -- supersessions and restatements do not depend on the order of adding -----------


def nov_restating_oct(salt: str = "", value: float = 90.0, **kw: Any) -> Submission:
    return make_submission(
        NORTH, "2026-11", salt=salt,
        kpis=[kpi("K01", "2026-10", value), kpi("K02", "2026-10", 97.0),
              kpi("K01", "2026-11", 91.0)],
        **kw,
    )  # fmt: skip


def run_of_three() -> list[Submission]:
    """October, a November that restates it and a later November version: period order."""
    return [
        make_submission(
            NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 88.0), kpi("K02", "2026-10", 97.0)],
            received_at=at(2, 11),
        ),
        make_submission(CONTOSO, "2026-10", kpis=[kpi("K01", "2026-10", 70.0)]),
        nov_restating_oct("a", 90.0, received_at=at(2)),
        nov_restating_oct("b", 93.0, received_at=at(5)),
    ]  # fmt: skip


@pytest.mark.parametrize("order", ["period", "reverse"])
def test_restatements_and_supersessions_whatever_the_order(
    ledger: Ledger,  # noqa: F811
    order: str,
) -> None:
    subs = run_of_three()
    result = record_one_by_one(ledger, subs if order == "period" else subs[::-1])
    # Only the November in force at the end restates October, against October's own figure.
    assert restated(result) == [
        (NORTH, "kpis", "K01", "actual", "2026-10", 88.0, 93.0,
         "northwind-2026-10.xlsx", "northwind-2026-11b.xlsx"),
    ]  # fmt: skip
    assert superseded(result) == [
        (NORTH, "2026-11", "northwind-2026-11a.xlsx", "northwind-2026-11b.xlsx")
    ]
    status = {r.file: (r.status, r.superseded_by) for r in result.recorded}
    ids = {r.file: r.id for r in result.recorded}
    assert status["northwind-2026-11a.xlsx"] == ("superseded", ids["northwind-2026-11b.xlsx"])
    assert status["northwind-2026-11b.xlsx"] == ("current", None)
    assert stored(ledger)["restatements"] == [
        ("kpis", "K01", "actual", "2026-10", NORTH, 88.0, 93.0,
         "northwind-2026-10.xlsx", "northwind-2026-11b.xlsx"),
    ]  # fmt: skip
    frame = ledger.restatements_frame(REL)
    assert frame[["item", "previous", "restated", "file"]].values.tolist() == [
        ["K01", 88.0, 93.0, "northwind-2026-11b.xlsx"]
    ]


def test_a_late_earlier_period_in_a_later_run_is_measured_once(ledger: Ledger) -> None:  # noqa: F811
    """November recorded alone restates nothing; October arriving later is the baseline."""
    first = ledger.record([nov_restating_oct(received_at=at(2))])
    assert first.restatements == []
    oct_ = make_submission(NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 88.0)])
    # October's own figures are not restatements of November's report of them.
    assert ledger.record([oct_]).restatements == []


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed sample workbooks, with their arrival times as file times."""
    from rmp_workbook.sample.folder import set_arrival_times
    from rmp_workbook.sample.story import build_relationship

    out = tmp_path_factory.mktemp("sample")
    for path in SAMPLE_DATA.glob("*.xlsx"):
        shutil.copy(path, out / path.name)
    set_arrival_times(out, build_relationship())
    return out


def read_sample(folder: Path) -> list[Submission]:
    from rmp_workbook.validate import read_workbook

    subs = [read_workbook(p) for p in sorted(folder.glob("*.xlsx"))]
    return sorted(subs, key=lambda s: (s.meta.period, s.received_at or dt.datetime.min))


def test_real_workbooks_give_the_same_ledger_in_any_order(
    sample_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rmp_workbook.sample.story import build_relationship

    scenario = build_relationship().scenario
    subs = read_sample(sample_folder)
    assert len({s.meta.period for s in subs}) > 2
    outcomes = []
    for name, order in (("period", subs), ("reverse", subs[::-1])):
        with Ledger(tmp_path / f"{name}.sqlite") as led:
            result = record_one_by_one(led, order)
            outcomes.append((restated(result), superseded(result), stored(led)))
    # Record, given newest first, reading one partner per restatement query.
    monkeypatch.setattr(Recorder, "PARTNERS_PER_QUERY", 1)
    with Ledger(tmp_path / "record.sqlite") as led:
        result = led.record(subs[::-1])
        outcomes.append((restated(result), superseded(result), stored(led)))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    rests, sups, _ = outcomes[0]
    partner, period, first, second = scenario.late_file
    assert sups == [(partner, period, first, second)]
    who, kpi_id, when, previous, restated_value, file_name = scenario.restatement
    assert (who, "kpis", kpi_id, "actual", when, previous, restated_value) in [
        (r[0], r[1], r[2].split(" ")[0], r[3], r[4], r[5], r[6]) for r in rests
    ]
    assert file_name in {r[8] for r in rests}


def test_records_dropped_after_add_are_all_in_the_ledger(
    sample_folder: Path, tmp_path: Path
) -> None:
    subs = read_sample(sample_folder)
    # Resubmissions add their rows too: count per partner, period and sheet in total.
    totals: dict[tuple[str, str, str], int] = {}
    for s in subs:
        for key, records in s.records.items():
            if records:
                k = (s.meta.partner, s.meta.period, key)
                totals[k] = totals.get(k, 0) + len(records)
    with Ledger(tmp_path / "l.sqlite") as led:
        with led.recording() as rec:
            for sub in subs:
                rec.add(sub)
                sub.records = {}
        counted: dict[tuple[str, str, str], int] = {}
        for sheet in led.sheets:
            table = led.tables[f"rec_{sheet.key}"]
            st = led.tables["submissions"]
            q = select(st.c.partner, st.c.period, table.c.record_id).join(
                st, st.c.id == table.c.submission_id
            )
            with led.engine.connect() as conn:
                for r in conn.execute(q):
                    k = (r.partner, r.period, sheet.key)
                    counted[k] = counted.get(k, 0) + 1
    assert counted == totals
    assert sum(rec.result.rows.values()) == sum(totals.values())


# -- values already typed are taken as they are ------------------------------------


def test_typed_values_are_kept_and_others_coerced_or_refused(ledger: Ledger) -> None:  # noqa: F811
    sub = make_submission()
    (r01, r02) = sub.records["risks"]
    r01.values.update(likelihood=3.0, impact="4", score=12, raised_on=dt.datetime(2026, 9, 1, 8))
    r02.values.update(risk_id=7, score=float("nan"), review_by="2026-12-31")
    with ledger.recording() as rec:
        rec.add(sub)
    risks = ledger.frames(REL)["risks"].set_index("risk")
    first, second = risks.loc["Key engineer leaves"], risks.loc["Port strike"]
    assert (first["likelihood"], first["impact"], first["score"]) == (3, 4, 12.0)
    assert first["raised_on"] == dt.date(2026, 9, 1)
    assert second["risk_id"] == "7"
    assert second["score"] is None or second["score"] != second["score"]
    assert second["review_by"] == dt.date(2026, 12, 31)

    # A bool is not an integer to the ledger, nor a date-time's time a date.
    flag = make_submission(CONTOSO)
    flag.records["risks"][0].values["likelihood"] = True
    with pytest.raises(LedgerError, match="column likelihood: True is not a score"):
        ledger.record([flag])
    odd = make_submission(CONTOSO, salt="b")
    odd.records["kpis"].append(Record("kpis", 9, {"kpi_id": "K09", "actual": dt.date(2026, 1, 1)}))
    with pytest.raises(LedgerError, match=r"column actual: datetime\.date"):
        ledger.record([odd])
    assert ledger.counts()["submissions"] == 1
