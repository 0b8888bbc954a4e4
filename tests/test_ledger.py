"""The ledger keeps every figure's history: on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.util
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import event

from rmp_workbook.findings import Finding, LedgerBusy, LedgerError
from rmp_workbook.ledger import LEDGER_VERSION, Ledger, record_table_name
from rmp_workbook.records import PROVENANCE_COLUMNS, Record, Submission, SubmissionMeta
from rmp_workbook.schema import KPIS, SCHEMA, SHEETS

SRC = Path(__file__).resolve().parent.parent / "src"
REL = "ACME-2026"
NORTH = "Northwind Ltd"
CONTOSO = "Contoso plc"


def at(day: int, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, 9, 30)


def kpi(kpi_id: str, period: str, actual: float | None, **kw: Any) -> dict[str, Any]:
    return {
        "kpi_id": kpi_id,
        "kpi": {"K01": "On-time delivery", "K02": "Invoice accuracy"}.get(kpi_id, kpi_id),
        "unit": "%",
        "direction": "Higher is better",
        "target": 95.0,
        "amber": 90.0,
        "period": period,
        "actual": actual,
        "owner": NORTH,
        **kw,
    }


def make_submission(
    partner: str = NORTH,
    period: str = "2026-11",
    *,
    kpis: list[dict[str, Any]] | None = None,
    sla: list[dict[str, Any]] | None = None,
    risks: list[dict[str, Any]] | None = None,
    extra: dict[str, list[dict[str, Any]]] | None = None,
    received_at: dt.datetime | None = None,
    name: str | None = None,
    salt: str = "",
    findings: list[Finding] | None = None,
) -> Submission:
    """A submission as the reader would produce it; its sha256 follows its content."""
    if kpis is None:
        kpis = [kpi("K01", period, 91.5), kpi("K02", period, 99.0)]
    sheets: dict[str, list[dict[str, Any]]] = {
        "relationship": [
            {
                "relationship_id": REL,
                "relationship_name": "Acme supply",
                "partner": partner,
                "period": period,
                "prepared_by": "A. Khan",
                "prepared_on": dt.date(2026, 12, 2),
            }
        ],
        "kpis": kpis,
        "sla": sla
        if sla is not None
        else [
            {
                "service": "Help desk",
                "measure": "First response (hours)",
                "target": 4.0,
                "direction": "At most",
                "period": period,
                "actual": 3.5,
                "owner": partner,
            }
        ],
        "risks": risks
        if risks is not None
        else [
            {
                "risk_id": "R01",
                "risk": "Key engineer leaves",
                "likelihood": 3,
                "impact": 4,
                "score": 12,
                "owner": partner,
                "status": "Open",
                "raised_on": dt.date(2026, 9, 1),
            },
            {
                "risk_id": "R02",
                "risk": "Port strike",
                "likelihood": 2,
                "impact": 5,
                "score": 10,
                "owner": partner,
                "status": "Closed",
            },
        ],
        "contacts": [
            {
                "name": "Aisha Khan",
                "organisation": partner,
                "email": "aisha@example.com",
                "escalation_level": 1,
            },
        ],
        "actions": [
            {
                "action_id": "A01",
                "area": "Metrics",
                "action": "Agree KPI definitions",
                "owner": partner,
                "status": "Open",
                "due": dt.date(2027, 1, 31),
            },
            {
                "action_id": "A02",
                "area": "Communications",
                "action": "Monthly call",
                "owner": partner,
                "status": "Done",
            },
        ],
        "bottlenecks": [
            {
                "bottleneck_id": "B01",
                "problem": "Slow approvals",
                "status": "Open",
                "raised_on": dt.date(2026, 10, 1),
            },
        ],
        **(extra or {}),
    }
    records = {
        key: [Record(key, i + 1, dict(values)) for i, values in enumerate(rows)]
        for key, rows in sheets.items()
    }
    fingerprint = repr(sorted((k, [r.values for r in v]) for k, v in records.items()))
    sha = hashlib.sha256((fingerprint + partner + period + salt).encode()).hexdigest()
    return Submission(
        path=f"/in/{name or f'{partner.split()[0].lower()}-{period}{salt}.xlsx'}",
        sha256=sha,
        meta=SubmissionMeta(
            relationship_id=REL,
            relationship_name="Acme supply",
            partner=partner,
            period=period,
            schema_version="1.0",
        ),
        records=records,
        findings=findings or [],
        received_at=received_at,
    )


@pytest.fixture
def ledger(ledger_url: str):
    with Ledger(ledger_url) as led:
        yield led


def snapshot(led: Ledger) -> dict[str, Any]:
    """Every table's rows, for before/after comparisons."""
    from sqlalchemy import select

    out = {}
    with led.engine.connect() as conn:
        for name, table in led.tables.items():
            out[name] = sorted((tuple(map(str, r)) for r in conn.execute(select(table))), key=repr)
    return out


# -- recording -----------------------------------------------------------------


def test_new_ledger_has_every_table_and_a_record_table_per_sheet(ledger: Ledger) -> None:
    from sqlalchemy import inspect

    insp = inspect(ledger.engine)
    names = set(insp.get_table_names())
    assert {"schema_version", "relationships", "partners", "submissions"} <= names
    assert {"restatements", "findings"} <= names
    for sheet in SHEETS:
        cols = [c["name"] for c in insp.get_columns(record_table_name(sheet))]
        system = ["record_id", "submission_id", "row_index", "row_key"]
        assert cols == [*system, *(c.key for c in sheet.columns)]
    kpi_types = {c["name"]: type(c["type"]).__name__ for c in insp.get_columns("rec_kpis")}
    assert kpi_types["actual"] in ("FLOAT", "DOUBLE_PRECISION", "Float")
    assert kpi_types["period"] == "TEXT"
    risk_types = {c["name"]: type(c["type"]).__name__ for c in insp.get_columns("rec_risks")}
    assert risk_types["likelihood"] == "INTEGER"
    assert risk_types["raised_on"] == "DATE"
    assert [m["note"] for m in ledger.migrations()] == [f"created ledger version {LEDGER_VERSION}"]


def test_values_not_of_their_columns_type_are_coerced_or_blank(ledger: Ledger) -> None:
    """A row whose values all have their column's type is stored as it is; any other
    row goes value by value: NaN and blank text become blank, an int in a number column
    a float, a date-time a date, and True is never read as 1."""
    typed = kpi("K01", "2026-11", 91.5)
    odd = kpi("K02", "2026-11", float("nan"), target=95, unit="")
    risk = {"risk_id": "R01", "risk": "Key engineer leaves", "category": "People",
            "likelihood": 3, "impact": 4, "score": 12, "owner": NORTH, "status": "Open",
            "raised_on": dt.datetime(2026, 9, 1, 0, 0)}  # fmt: skip
    result = ledger.record([make_submission(kpis=[typed, odd], risks=[risk])])
    assert result.recorded[0].status == "current"
    kpis = ledger.frames(REL, "2026-11")["kpis"].set_index("kpi_id")
    assert kpis.loc["K01", "actual"] == 91.5 and kpis.loc["K01", "unit"] == "%"
    assert kpis.loc["K02", "target"] == 95.0
    from sqlalchemy import text

    with ledger.engine.connect() as conn:  # stored as NULL, not NaN nor ''
        stored = conn.execute(
            text("SELECT actual IS NULL, unit IS NULL FROM rec_kpis WHERE kpi_id = 'K02'")
        ).one()
    assert tuple(stored) == (True, True)
    stored_risk = ledger.frames(REL, "2026-11")["risks"].iloc[0]
    assert stored_risk["raised_on"] == dt.date(2026, 9, 1) and stored_risk["score"] == 12.0
    boolean = {"risk_id": "R02", "risk": "Price rise", "likelihood": True, "impact": 2,
               "owner": NORTH, "status": "Open"}  # fmt: skip
    with pytest.raises(LedgerError, match="likelihood"):
        ledger.record([make_submission(salt="b", risks=[boolean])])


def test_record_stores_typed_rows_with_provenance(ledger: Ledger) -> None:
    north = make_submission(received_at=at(2))
    contoso = make_submission(CONTOSO, received_at=at(3))
    result = ledger.record([north, contoso])
    assert [r.status for r in result.recorded] == ["current", "current"]
    assert not result.duplicates and not result.superseded and not result.restatements
    assert result.rows["kpis"] == 4 and result.rows["risks"] == 4

    frames = ledger.frames(REL, "2026-11")
    assert set(frames) == set(SCHEMA)
    kpis = frames["kpis"]
    assert list(kpis.columns) == [*(c.key for c in KPIS.columns), *PROVENANCE_COLUMNS]
    assert sorted(zip(kpis["_partner"], kpis["kpi_id"], kpis["actual"], strict=True)) == [
        (CONTOSO, "K01", 91.5),
        (CONTOSO, "K02", 99.0),
        (NORTH, "K01", 91.5),
        (NORTH, "K02", 99.0),
    ]
    row = kpis[(kpis["_partner"] == NORTH) & (kpis["kpi_id"] == "K02")].iloc[0]
    assert row["_file"] == "northwind-2026-11.xlsx"
    assert row["_period"] == "2026-11"
    assert row["_row"] == 2
    assert row["_received_at"] == pd.Timestamp(at(2))
    assert row["_submission_id"] == result.recorded[0].id
    risks = frames["risks"]
    assert str(risks["likelihood"].dtype) == "Int64"
    r01 = risks[(risks["_partner"] == NORTH) & (risks["risk_id"] == "R01")].iloc[0]
    assert r01["raised_on"] == dt.date(2026, 9, 1)
    assert r01["score"] == 12.0
    # An earlier period sees nothing of November.
    assert all(f.empty for f in ledger.frames(REL, "2026-10").values())

    subs = ledger.submissions_frame(REL)
    assert list(subs["partner"]) == [CONTOSO, NORTH]
    assert list(subs["status"]) == ["current", "current"]
    assert set(subs["sha256"]) == {north.sha256, contoso.sha256}
    rels = ledger.relationships()
    assert rels.to_dict(orient="records") == [
        {
            "relationship_id": REL,
            "name": "Acme supply",
            "partners": f"{NORTH}, {CONTOSO}",
            "submissions": 2,
            "first_period": "2026-11",
            "last_period": "2026-11",
        }
    ]


def test_identical_file_twice_adds_nothing_in_one_run_or_two(ledger: Ledger) -> None:
    sub = make_submission()
    first = ledger.record([sub, sub])
    assert len(first.recorded) == 1
    assert [(d.path, d.existing_id) for d in first.duplicates] == [(sub.path, first.recorded[0].id)]
    before = ledger.counts()
    rows_before = snapshot(ledger)
    again = ledger.record([make_submission(), make_submission()])
    assert not again.recorded and not again.changed
    assert len(again.duplicates) == 2
    assert ledger.counts() == before
    assert snapshot(ledger) == rows_before
    assert before["submissions"] == 1 and before["rec_kpis"] == 2


def test_second_record_of_a_whole_run_changes_no_row_count(ledger: Ledger) -> None:
    run = [
        make_submission(NORTH, "2026-10", received_at=at(2, 11)),
        make_submission(CONTOSO, "2026-10", received_at=at(3, 11)),
        make_submission(
            NORTH,
            "2026-11",
            kpis=[kpi("K01", "2026-10", 93.0), kpi("K01", "2026-11", 91.0)],
            received_at=at(2),
        ),
    ]
    first = ledger.record(run)
    assert len(first.recorded) == 3 and len(first.restatements) == 1
    before = ledger.counts()
    second = ledger.record(run)
    assert len(second.duplicates) == 3 and not second.restatements
    assert ledger.counts() == before


def test_newer_workbook_for_the_same_period_supersedes_the_older(ledger: Ledger) -> None:
    old = make_submission(kpis=[kpi("K01", "2026-11", 80.0)], received_at=at(2), salt="a")
    first = ledger.record([old])
    new = make_submission(kpis=[kpi("K01", "2026-11", 85.0)], received_at=at(4), salt="b")
    result = ledger.record([new])
    (sup,) = result.superseded
    assert (sup.old_id, sup.new_id) == (first.recorded[0].id, result.recorded[0].id)
    assert (sup.old_file, sup.new_file) == ("northwind-2026-11a.xlsx", "northwind-2026-11b.xlsx")
    # Both stay; only the newer one is current and feeds the frames.
    subs = ledger.submissions_frame(REL, "2026-11")
    assert list(zip(subs["status"], subs["superseded_by"], strict=True)) == [
        ("superseded", result.recorded[0].id),
        ("current", pd.NA),
    ]
    assert list(ledger.frames(REL, "2026-11")["kpis"]["actual"]) == [85.0]
    # Superseding is not a restatement (same period).
    assert not result.restatements

    # A workbook received before the current one but recorded in a later run: the later
    # run wins (the manager merged it last), whatever its file time.
    late = make_submission(kpis=[kpi("K01", "2026-11", 70.0)], received_at=at(3), salt="c")
    result = ledger.record([late])
    (rec,) = result.recorded
    assert (rec.status, rec.superseded_by) == ("current", None)
    (again,) = result.superseded
    assert (again.old_id, again.new_id) == (sup.new_id, rec.id)
    assert again.changes == ["K01 Actual 85 → 70"]
    assert list(ledger.frames(REL, "2026-11")["kpis"]["actual"]) == [70.0]
    assert ledger.counts()["submissions"] == 3


def test_without_received_times_the_later_recorded_workbook_wins(ledger: Ledger) -> None:
    a = make_submission(kpis=[kpi("K01", "2026-11", 1.0)], salt="a")
    b = make_submission(kpis=[kpi("K01", "2026-11", 2.0)], salt="b")
    result = ledger.record([a, b])
    assert [r.status for r in result.recorded] == ["superseded", "current"]
    assert result.recorded[0].superseded_by == result.recorded[1].id
    assert list(ledger.frames(REL)["kpis"]["actual"]) == [2.0]


def test_restated_past_figure_is_recorded_and_shown(ledger: Ledger) -> None:
    oct_ = make_submission(
        NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 88.0), kpi("K02", "2026-10", 97.0)],
        received_at=at(2, 11),
    )  # fmt: skip
    nov = make_submission(
        NORTH,
        "2026-11",
        kpis=[
            kpi("K01", "2026-10", 90.0),  # restated
            kpi("K02", "2026-10", 97.0),  # same figure: not a restatement
            kpi("K01", "2026-11", 91.0),
            kpi("K02", "2026-11", 98.0),
        ],
        sla=[
            {
                "service": "Help desk",
                "measure": "First response (hours)",
                "period": "2026-10",
                "actual": 5.0,
                "target": 4.0,
            },
        ],
        received_at=at(2),
    )
    # Given out of period order: October is still taken first.
    result = ledger.record([nov, oct_])
    got = sorted(
        (r.sheet, r.item, r.column, r.period, r.previous, r.restated, r.previous_file, r.file)
        for r in result.restatements
    )
    assert got == [
        ("kpis", "K01", "actual", "2026-10", 88.0, 90.0,
         "northwind-2026-10.xlsx", "northwind-2026-11.xlsx"),
        ("sla", "Help desk / First response (hours)", "actual", "2026-10", 3.5, 5.0,
         "northwind-2026-10.xlsx", "northwind-2026-11.xlsx"),
    ]  # fmt: skip
    frame = ledger.restatements_frame(REL, sheet="kpis")
    assert frame[["item", "period", "partner", "previous", "restated"]].values.tolist() == [
        ["K01", "2026-10", NORTH, 88.0, 90.0]
    ]
    assert list(frame["file"]) == ["northwind-2026-11.xlsx"]
    assert list(frame["submitted_period"]) == ["2026-11"]
    # Known as of October: nothing yet restated.
    assert ledger.restatements_frame(REL, "2026-10").empty

    # The frames keep both reports; history shows the latest in force, with the restatement.
    kpis = ledger.frames(REL, "2026-11")["kpis"]
    k01_oct = kpis[(kpis["kpi_id"] == "K01") & (kpis["period"] == "2026-10")]
    assert sorted(zip(k01_oct["_period"], k01_oct["actual"], strict=True)) == [
        ("2026-10", 88.0),
        ("2026-11", 90.0),
    ]
    hist = ledger.history(REL, "K01")
    assert hist[["period", "partner", "actual", "file", "restated"]].values.tolist() == [
        ["2026-10", NORTH, 90.0, "northwind-2026-11.xlsx", 1],
        ["2026-11", NORTH, 91.0, "northwind-2026-11.xlsx", 0],
    ]
    assert "actual 88 → 90 in northwind-2026-11.xlsx" in hist["restatements"].iloc[0]
    assert hist["received_at"].iloc[0] == pd.Timestamp(at(2))

    # December repeats the restated figure: nothing new. A blank figure restates nothing.
    dec = make_submission(
        NORTH, "2026-12",
        kpis=[kpi("K01", "2026-10", 90.0), kpi("K02", "2026-10", None),
              kpi("K01", "2026-12", 92.0)],
        received_at=at(30),
    )  # fmt: skip
    assert ledger.record([dec]).restatements == []
    # A further change is measured against the figure in force (90), not the original.
    jan = make_submission(
        NORTH, "2027-01", kpis=[kpi("K01", "2026-10", 89.0)], received_at=at(30) + dt.timedelta(9)
    )
    (again,) = ledger.record([jan]).restatements
    assert (again.previous, again.restated, again.previous_file) == (
        90.0,
        89.0,
        "northwind-2026-12.xlsx",
    )
    assert ledger.history(REL, "K01", NORTH)["restated"].tolist() == [2, 0, 0]


def test_a_superseded_workbooks_restatements_leave_the_current_view(ledger: Ledger) -> None:
    ledger.record([make_submission(NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 88.0)])])
    v1 = make_submission(
        NORTH, "2026-11", kpis=[kpi("K01", "2026-10", 90.0)], received_at=at(2), salt="v1"
    )
    assert [r.restated for r in ledger.record([v1]).restatements] == [90.0]
    # The correction of November no longer restates October: October's own figure is back.
    v2 = make_submission(
        NORTH, "2026-11", kpis=[kpi("K01", "2026-11", 91.0)], received_at=at(5), salt="v2"
    )
    result = ledger.record([v2])
    assert not result.restatements and len(result.superseded) == 1
    assert ledger.restatements_frame(REL).empty
    assert len(ledger.restatements_frame(REL, current_only=False)) == 1
    hist = ledger.history(REL, "K01")
    assert hist[["period", "actual", "file", "restated"]].values.tolist() == [
        ["2026-10", 88.0, "northwind-2026-10.xlsx", 0],
        ["2026-11", 91.0, "northwind-2026-11v2.xlsx", 0],
    ]
    # A third version restating October again is measured against October's own figure.
    v3 = make_submission(
        NORTH, "2026-11", kpis=[kpi("K01", "2026-10", 89.0)], received_at=at(6), salt="v3"
    )
    (r,) = ledger.record([v3]).restatements
    assert (r.previous, r.restated, r.previous_file) == (88.0, 89.0, "northwind-2026-10.xlsx")
    assert ledger.restatements_frame(REL)["restated"].tolist() == [89.0]


def test_a_key_spelt_differently_is_one_row_in_restatements_and_history(ledger: Ledger) -> None:
    """K01, k01 and ' K01 ' are one KPI: the ledger stores and groups by the normalised key."""
    ledger.record([make_submission(NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 88.0)],
                                   received_at=at(2, 11))])  # fmt: skip
    nov = make_submission(
        NORTH, "2026-11", kpis=[kpi("k01", "2026-10", 90.0), kpi(" K01 ", "2026-11", 91.0)],
        received_at=at(2),
    )  # fmt: skip
    (r,) = ledger.record([nov]).restatements
    assert (r.item, r.item_key, r.period, r.previous, r.restated) == (
        "k01", "k01", "2026-10", 88.0, 90.0
    )  # fmt: skip
    with ledger.engine.connect() as conn:
        keys = conn.exec_driver_sql("SELECT row_key FROM rec_kpis ORDER BY record_id").scalars()
        assert list(keys) == ["k01\x1f2026-10", "k01\x1f2026-10", "k01\x1f2026-11"]
    # Any spelling finds the one KPI; its figures carry the latest workbook's spelling.
    for asked in ("K01", "k01", " K01"):
        hist = ledger.history(REL, asked)
        assert hist[["kpi_id", "period", "actual", "restated"]].values.tolist() == [
            [" K01 ", "2026-10", 90.0, 1], [" K01 ", "2026-11", 91.0, 0],
        ]  # fmt: skip
        assert ledger.restatements_frame(REL, item=asked)["restated"].tolist() == [90.0]
    # A resubmission spelling the key otherwise changes the figure, not the row.
    again = make_submission(
        NORTH, "2026-11", kpis=[kpi("k01", "2026-10", 90.0), kpi("K01", "2026-11", 93.0)],
        received_at=at(5),
    )  # fmt: skip
    (sup,) = ledger.record([again]).superseded
    assert sup.changes == ["K01 Actual 91 → 93"]


def test_a_version_1_ledger_gets_its_keys_filled_in(ledger_url: str) -> None:
    """A ledger the previous rmp wrote (no row_key, no item_key) is migrated forward when
    opened: every row's normalised key and every restatement's item key are filled in,
    and rows it holds are one row with a later workbook's other spelling."""
    from ledger_versions import as_version_1, columns

    with Ledger(ledger_url) as led:
        led.record([make_submission(NORTH, "2026-09", kpis=[kpi("K01", "2026-09", 80.0)],
                                    received_at=at(2, 10))])  # fmt: skip
        sla_oct = {"service": "Help desk", "measure": "First response (hours)",
                   "period": "2026-09", "actual": 5.0, "target": 4.0}  # fmt: skip
        led.record([make_submission(
            NORTH, "2026-10", kpis=[kpi("K01", "2026-09", 82.0), kpi("K01", "2026-10", 88.0)],
            sla=[sla_oct], received_at=at(2, 11),
        )])  # fmt: skip
    as_version_1(ledger_url)
    assert "row_key" not in columns(ledger_url, "rec_kpis")
    assert "item_key" not in columns(ledger_url, "restatements")

    with Ledger(ledger_url) as led:
        notes = [m["note"] for m in led.migrations()]
        assert notes[0] == "created ledger version 1"
        assert {"added column rec_kpis.row_key", "added column restatements.item_key",
                "filled restatements.item_key of 2 rows"} <= set(notes)  # fmt: skip
        assert (
            "filled row_key of 17 record rows (rec_contacts 2, rec_kpis 3, rec_sla 2, rec_risks 4,"
            " rec_bottlenecks 2, rec_actions 4)"
        ) in notes
        assert {m["version"] for m in led.migrations()[1:]} == {LEDGER_VERSION}
        restated = led.restatements_frame(REL)
        assert sorted(zip(restated["item"], restated["item_key"], strict=True)) == [
            ("Help desk / First response (hours)", "help desk\x1ffirst response (hours)"),
            ("K01", "k01"),
        ]
        # November spells the KPI otherwise and restates October: one row across months.
        nov = make_submission(
            NORTH, "2026-11", kpis=[kpi(" k01", "2026-10", 90.0), kpi("k01", "2026-11", 91.0)],
            received_at=at(2),
        )  # fmt: skip
        (r,) = led.record([nov]).restatements
        assert (r.item_key, r.period, r.previous, r.restated) == ("k01", "2026-10", 88.0, 90.0)
        hist = led.history(REL, "K01")
        assert hist[["kpi_id", "period", "actual", "restated"]].values.tolist() == [
            ["k01", "2026-09", 82.0, 1], ["k01", "2026-10", 90.0, 1], ["k01", "2026-11", 91.0, 0],
        ]  # fmt: skip
    # Opening again migrates nothing more.
    with Ledger(ledger_url) as led:
        assert [m["note"] for m in led.migrations()] == notes


def test_a_relationship_name_given_later_fills_a_blank_one(ledger: Ledger) -> None:
    first = make_submission()
    first.meta.relationship_name = ""
    ledger.record([first])
    assert ledger.relationships()["name"].tolist() == [""]
    ledger.record([make_submission(CONTOSO)])
    assert ledger.relationships()["name"].tolist() == ["Acme supply"]


def test_other_partners_figures_are_never_restatements(ledger: Ledger) -> None:
    ledger.record([make_submission(NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 88.0)])])
    result = ledger.record(
        [make_submission(CONTOSO, "2026-11", kpis=[kpi("K01", "2026-10", 70.0)])]
    )
    assert result.restatements == []


def test_findings_are_kept_per_submission(ledger: Ledger) -> None:
    bad = Finding(
        file="northwind-2026-11.xlsx", sheet="Risks", row=6, col=3, column="Likelihood", value=9,
        note="Likelihood must be 1 to 5.",
    )  # fmt: skip
    ledger.record([make_submission(findings=[bad])])
    frame = ledger.findings_frame(REL, "2026-11")
    columns = ["file", "sheet", "cell", "column", "code", "severity", "message"]
    assert frame[columns].values.tolist() == [
        ["northwind-2026-11.xlsx", "Risks", "D7", "Likelihood", "finding", "error",
         "Likelihood must be 1 to 5."],
    ]  # fmt: skip
    assert ledger.submissions_frame(REL)["errors"].tolist() == [1]
    assert ledger.findings_frame(REL, "2026-10").empty


# -- one transaction -----------------------------------------------------------


def test_failure_midway_leaves_the_ledger_exactly_as_before(ledger: Ledger) -> None:
    ledger.record([make_submission(NORTH, "2026-10", received_at=at(2, 11))])
    before = snapshot(ledger)
    statements: list[str] = []

    def fail_on_risks(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
        if statement.lstrip().upper().startswith("INSERT INTO REC_RISKS"):
            raise RuntimeError("disk full (injected)")

    event.listen(ledger.engine, "before_cursor_execute", fail_on_risks)
    try:
        run = [
            make_submission(NORTH, "2026-11", received_at=at(2),
                            kpis=[kpi("K01", "2026-10", 50.0), kpi("K01", "2026-11", 1.0)]),
            make_submission(CONTOSO, "2026-11", received_at=at(3)),
            make_submission(NORTH, "2026-10", received_at=at(9, 11), salt="v2"),
        ]  # fmt: skip
        with pytest.raises(RuntimeError, match="injected"):
            ledger.record(run)
    finally:
        event.remove(ledger.engine, "before_cursor_execute", fail_on_risks)
    # The failure came after submissions and other sheets' rows had been written ...
    inserts = [s.split("(")[0].split()[-1].strip('"') for s in statements if "INSERT" in s]
    assert "submissions" in inserts and "rec_kpis" in inserts
    assert inserts.index("rec_kpis") < inserts.index("rec_risks")
    # ... and none of it stayed.
    assert snapshot(ledger) == before
    # The ledger still works, and the same run records in full.
    result = ledger.record(run)
    assert len(result.recorded) == 3 and len(result.superseded) == 1


def test_refuses_a_run_with_an_unidentified_workbook_before_writing(ledger: Ledger) -> None:
    good = make_submission()
    bad = make_submission(CONTOSO)
    bad.meta.period = "Nov 2026"
    with pytest.raises(LedgerError, match="period is 'Nov 2026'"):
        ledger.record([good, bad])
    typo = make_submission(CONTOSO, kpis=[kpi("K01", "2026-11", "ninety")])  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match=r"sheet kpis, row 2, column actual: 'ninety'"):
        ledger.record([good, typo])
    assert ledger.counts()["submissions"] == 0


# -- concurrency ---------------------------------------------------------------

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from rmp_workbook.ledger import Ledger
    with Ledger(sys.argv[1]) as led, led.transaction():
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", flush=True)
    """
)


def test_second_writer_waits_then_fails_clearly_or_proceeds(
    ledger: Ledger, ledger_url: str
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, ledger_url, "3"],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        # Readers are not blocked by a writer.
        assert ledger.submissions_frame(REL).empty and ledger.history(REL).empty
        impatient = Ledger(ledger_url, busy_timeout=0.5)
        t0 = time.monotonic()
        with pytest.raises(
            LedgerBusy, match=r"another run is writing to the ledger; waited 0\.5 s"
        ):
            impatient.record([make_submission()])
        waited = time.monotonic() - t0
        impatient.close()
        assert 0.4 <= waited < 2.5
        assert ledger.counts()["submissions"] == 0
        # A patient writer waits for the other run to finish, then records.
        patient = Ledger(ledger_url, busy_timeout=30)
        t0 = time.monotonic()
        result = patient.record([make_submission()])
        assert time.monotonic() - t0 > 0.5
        assert len(result.recorded) == 1
        patient.close()
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
        holder.wait()


# -- migrations ----------------------------------------------------------------


def test_opening_with_a_newer_schema_adds_the_missing_column(ledger_url: str) -> None:
    older_kpis = dataclasses.replace(
        KPIS, columns=tuple(c for c in KPIS.columns if c.key != "comment")
    )
    older = tuple(older_kpis if s.key == "kpis" else s for s in SHEETS)
    with Ledger(ledger_url, sheets=older) as led:
        led.record([make_submission(NORTH, "2026-10", kpis=[kpi("K01", "2026-10", 1.0)])])
        assert "comment" not in led.frames(REL)["kpis"].columns

    with Ledger(ledger_url) as led:
        notes = [m["note"] for m in led.migrations()]
        assert notes[-1] == "added column rec_kpis.comment"
        led.record(
            [make_submission(NORTH, "2026-11", kpis=[kpi("K01", "2026-11", 2.0, comment="Late")])]
        )
        kpis = led.frames(REL)["kpis"]
        assert kpis["comment"].isna().tolist() == [True, False]
        assert kpis["comment"].iloc[1] == "Late"
    # Opening again migrates nothing more.
    with Ledger(ledger_url) as led:
        assert [m["note"] for m in led.migrations()] == notes


def test_a_sheet_added_to_the_schema_gets_its_table(ledger_url: str) -> None:
    from sqlalchemy import inspect

    without = tuple(s for s in SHEETS if s.key != "successes")
    with Ledger(ledger_url, sheets=without) as led:
        assert "rec_successes" not in inspect(led.engine).get_table_names()
        led.record([make_submission()])
    with Ledger(ledger_url) as led:
        assert led.migrations()[-1]["note"] == "added tables rec_successes"
        extra = {"successes": [{"date": dt.date(2026, 11, 3), "success": "Joint bid won"}]}
        led.record([make_submission(CONTOSO, extra=extra)])
        assert led.frames(REL)["successes"]["success"].tolist() == ["Joint bid won"]


def test_a_ledger_from_a_newer_rmp_is_refused(ledger: Ledger, ledger_url: str) -> None:
    from sqlalchemy import insert

    with ledger.transaction() as conn:
        conn.execute(
            insert(ledger.tables["schema_version"]),
            {"version": LEDGER_VERSION + 1, "applied_at": dt.datetime.now(), "note": "future"},
        )
    with pytest.raises(LedgerError, match="written by a newer rmp"):
        Ledger(ledger_url)


def test_missing_or_foreign_sqlite_files_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger there"):
        Ledger(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()
    not_db = tmp_path / "book.xlsx"
    not_db.write_bytes(b"PK\x03\x04 this is a zip, not a database" * 40)
    with pytest.raises(
        LedgerError, match=r"book\.xlsx: cannot open the ledger: file is not a database"
    ):
        Ledger(not_db)
    with pytest.raises(LedgerError, match="folder"):
        Ledger(tmp_path / "no-such-dir" / "l.sqlite")
    with pytest.raises(LedgerError, match="SQLite file path or a postgresql"):
        Ledger("mysql://u@h/db")
    if importlib.util.find_spec("psycopg2") is None:
        with pytest.raises(LedgerError, match=r"driver is not installed \(psycopg2\)"):
            Ledger("postgresql+psycopg2://u@h/db")


def test_postgresql_urls_without_driver_use_psycopg(postgres_database: str) -> None:
    plain = postgres_database.replace("postgresql+psycopg://", "postgresql://")
    with Ledger(plain) as led:
        assert led.engine.dialect.driver == "psycopg"
        assert led.record([make_submission()]).changed
        assert led.url.startswith("postgresql+psycopg://postgres@/")


def test_an_unreachable_server_fails_in_one_clear_line(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(LedgerError) as caught:
        Ledger(f"postgresql://rmp@/rmp?host={tmp_path}")
    message = str(caught.value)
    assert message.startswith(f"postgresql+psycopg://rmp@/rmp?host={tmp_path}: cannot open")
    assert "No such file or directory" in message and "\n" not in message


def test_sqlite_ledger_uses_wal(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as led, led.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# -- queries for the template and the dashboard -----------------------------------


def test_prefill_rows_for_next_month(ledger: Ledger) -> None:
    ledger.record(
        [
            make_submission(NORTH, "2026-10", kpis=[kpi("K09", "2026-10", 1.0)]),
            make_submission(
                NORTH,
                "2026-11",
                kpis=[kpi("K02", "2026-11", 99.0), kpi("K01", "2026-11", 91.5, comment="ok")],
            ),
            make_submission(CONTOSO, "2026-11", kpis=[kpi("K03", "2026-11", 5.0, unit="days")]),
        ]
    )
    rows = ledger.prefill_rows(REL, NORTH, "2026-12")
    carried = {s.key for s in SHEETS if s.carry_forward}
    assert set(rows) == {"kpis", "sla", *carried}
    assert carried >= {"risks", "bottlenecks", "actions", "contacts", "development", "exit"}
    # The partner's own lines in its order, then lines only the other partner reports;
    # K09 was dropped after October.
    assert [(r["kpi_id"], r["period"], r["actual"], r["comment"]) for r in rows["kpis"]] == [
        ("K02", "2026-12", None, None),
        ("K01", "2026-12", None, None),
        ("K03", "2026-12", None, None),
    ]
    assert rows["kpis"][2]["unit"] == "days"
    assert rows["kpis"][0]["target"] == 95.0
    assert set(rows["kpis"][0]) == {c.key for c in KPIS.columns}
    assert [(r["service"], r["period"], r["actual"]) for r in rows["sla"]] == [
        ("Help desk", "2026-12", None)
    ]
    assert [r["risk_id"] for r in rows["risks"]] == ["R01"]  # R02 is closed
    assert "score" not in rows["risks"][0]  # calculated by the template
    assert rows["risks"][0]["raised_on"] == dt.date(2026, 9, 1)
    assert [r["action_id"] for r in rows["actions"]] == ["A01"]
    assert [r["bottleneck_id"] for r in rows["bottlenecks"]] == ["B01"]
    assert [r["email"] for r in rows["contacts"]] == ["aisha@example.com"]
    # A partner that never sent a workbook gets the agreed lines and nothing else.
    newcomer = ledger.prefill_rows(REL, "Fabrikam", "2026-12")
    assert [r["kpi_id"] for r in newcomer["kpis"]] == ["K03", "K02", "K01"]
    assert newcomer["risks"] == [] and newcomer["contacts"] == []
    # Only workbooks before the month being pre-filled count.
    assert [r["kpi_id"] for r in ledger.prefill_rows(REL, NORTH, "2026-11")["kpis"]] == ["K09"]


def test_record_frames_feed_reconciliation_in_the_documented_shape(ledger: Ledger) -> None:
    ledger.record([make_submission()])
    for key, frame in ledger.frames(REL, "2026-11").items():
        sheet = SCHEMA[key]
        assert list(frame.columns) == [*(c.key for c in sheet.columns), *PROVENANCE_COLUMNS]
    # The shape holds for empty frames too.
    frames = ledger.frames("NO-SUCH", "2026-11")
    assert all(f.empty for f in frames.values())
    assert list(frames["kpis"].columns)[-len(PROVENANCE_COLUMNS) :] == list(PROVENANCE_COLUMNS)


# -- performance ---------------------------------------------------------------


def test_two_hundred_workbooks_record_in_a_few_seconds(tmp_path: Path) -> None:
    partners = [f"Partner {i:02d}" for i in range(20)]
    periods = [f"2026-{m:02d}" for m in range(1, 11)]
    subs = []
    for p in partners:
        for per in periods:
            kpis = [kpi(f"K{k:02d}", per, 90.0 + k) for k in range(60)]
            risks = [
                {"risk_id": f"R{r:03d}", "risk": "Something could go wrong " * 3,
                 "likelihood": 1 + r % 5, "impact": 1 + r % 4, "owner": p, "status": "Open"}
                for r in range(120)
            ]  # fmt: skip
            actions = [
                {"action_id": f"A{a:03d}", "action": "Do a thing", "status": "Open"}
                for a in range(116)
            ]
            subs.append(make_submission(p, per, kpis=kpis, risks=risks, extra={"actions": actions}))
    rows = sum(len(v) for s in subs for v in s.records.values())
    assert len(subs) == 200 and rows >= 200 * 300
    with Ledger(tmp_path / "big.sqlite") as led:
        t0 = time.perf_counter()
        result = led.record(subs)
        elapsed = time.perf_counter() - t0
        assert len(result.recorded) == 200
        assert led.counts()["rec_risks"] == 200 * 120
    assert elapsed < 5.0, f"recording {rows} rows took {elapsed:.1f} s"


# -- hand-over to reconciliation ---------------------------------------------------


def test_reconciliation_takes_the_restated_figure_from_the_ledger(ledger: Ledger) -> None:
    from rmp_workbook.reconcile import consolidate

    def sub(partner: str, period: str, *figures: tuple[str, float], day: int) -> Submission:
        kpis = [kpi("K01", p, v) for p, v in figures]
        return make_submission(partner, period, kpis=kpis, received_at=at(day, int(period[5:])))

    ledger.record(
        [
            sub(NORTH, "2026-10", ("2026-10", 88.0), day=2),
            sub(CONTOSO, "2026-10", ("2026-10", 90.0), day=3),
            sub(NORTH, "2026-11", ("2026-10", 90.0), ("2026-11", 91.0), day=2),
            sub(CONTOSO, "2026-11", ("2026-11", 91.0), day=3),
        ]
    )
    view = consolidate(
        ledger.frames(REL, "2026-11"),
        relationship_id=REL,
        relationship_name="Acme supply",
        period="2026-11",
        expected_partners=[NORTH, CONTOSO],
        submissions=ledger.submissions_frame(REL, "2026-11"),
        restatements=ledger.restatements_frame(REL, "2026-11"),
        data_quality=ledger.findings_frame(REL, "2026-11"),
    )
    hist = view.kpi_history
    october = hist[(hist["kpi_id"] == "K01") & (hist["period"] == "2026-10")]
    assert sorted(zip(october["partner"], october["actual"], strict=True)) == [
        (CONTOSO, 90.0),
        (NORTH, 90.0),
    ]
    assert view.restatements[
        ["item", "period", "partner", "previous", "restated"]
    ].values.tolist() == [["K01", "2026-10", NORTH, 88.0, 90.0]]
    kpis = view.tables["kpis"]
    assert kpis[kpis["kpi_id"] == "K01"]["actual"].tolist() == [91.0]
    assert sorted(view.partners) == sorted([NORTH, CONTOSO])


def test_prefill_rows_write_next_months_workbook(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    from rmp_workbook.template import write_template

    with Ledger(tmp_path / "l.sqlite") as led:
        led.record([make_submission(NORTH, "2026-11")])
        prefill = led.prefill_rows(REL, NORTH, "2026-12")
    out = write_template(
        tmp_path / "northwind-2026-12.xlsx",
        relationship_id=REL,
        relationship_name="Acme supply",
        partner=NORTH,
        period="2026-12",
        prefill=prefill,
    )
    book = CalamineWorkbook.from_path(str(out))

    def table(name: str) -> list[dict[str, Any]]:
        rows = book.get_sheet_by_name(name).to_python()
        header = rows[0]
        return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v != "" for v in r)]

    kpis = table("KPIs")
    assert [(r["KPI ID"], r["Period"], r["Actual"]) for r in kpis] == [
        ("K01", "2026-12", ""),
        ("K02", "2026-12", ""),
    ]
    assert kpis[0]["Target"] == 95
    assert [r["Risk ID"] for r in table("Risks")] == ["R01"]
    assert [r["Action ID"] for r in table("Actions")] == ["A01"]
    assert [r["Email"] for r in table("Contacts")] == ["aisha@example.com"]


def test_a_figure_given_as_text_is_read_as_a_person_typed_it(ledger: Ledger) -> None:
    """A number column's text is read by values.to_number: a decimal comma is a decimal mark,
    a figure that reads two ways is refused; commas are never simply dropped."""
    sub = make_submission(kpis=[kpi("K01", "2026-11", "93,5"), kpi("K02", "2026-11", " 97 ")])
    ledger.record([sub])
    assert ledger.frames(REL)["kpis"]["actual"].tolist() == [93.5, 97.0]
    ambiguous = make_submission(CONTOSO, kpis=[kpi("K01", "2026-11", "1,250")])
    with pytest.raises(LedgerError, match=r"column actual: '1,250' is not a number"):
        ledger.record([ambiguous])
