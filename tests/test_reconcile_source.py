"""Reconciling from ``Ledger.source`` gives the same view as from ``Ledger.frames``.

Real workbooks (the template filled through openpyxl) are validated and recorded in a
real ledger; then ``consolidate`` runs twice over it, once from the record frames and
once from the ledger source that reads a sheet and a few submissions at a time, and
every part of the two views is compared.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fill import RELATIONSHIP_ID, fill, make_template
from pandas.testing import assert_frame_equal

from rmp_workbook import reconcile
from rmp_workbook.ledger import Ledger, LedgerSource
from rmp_workbook.reconcile import consolidate
from rmp_workbook.records import Consolidated, Record, Submission
from rmp_workbook.schema import SCHEMA
from rmp_workbook.validate import validate_paths

NORTH = "Northwind Ltd"
CONTOSO = "Contoso plc"
FABRIKAM = "Fabrikam Logistics"
EXPECTED = [NORTH, CONTOSO, FABRIKAM]
TODAY = dt.date(2026, 12, 10)


def kpi(kpi_id: str, period: str, actual: Any, **kw: Any) -> dict[str, Any]:
    row = {"KPI ID": kpi_id, "KPI": "On-time delivery" if kpi_id.upper() == "K01" else "Defects",
           "Unit": "%" if kpi_id.upper() == "K01" else "count",
           "Direction": "Higher is better" if kpi_id.upper() == "K01" else "Lower is better",
           "Target": 95 if kpi_id.upper() == "K01" else 5,
           "Amber threshold": 90 if kpi_id.upper() == "K01" else 8,
           "Period": period, "Actual": actual, "Owner": NORTH}  # fmt: skip
    row.update(kw)
    return row


def workbook(
    folder: Path,
    partner: str,
    period: str,
    kpis: list[dict[str, Any]],
    *,
    mtime: dt.datetime,
    name: str,
    likelihood: int = 3,
    trust: int = 4,
    contacts: list[dict[str, Any]] | None = None,
    risks: list[dict[str, Any]] | None = None,
) -> Path:
    """One partner's workbook for a period, typed as a person would."""
    blank = make_template(folder / f".blank-{name}", partner=partner, period=period)
    slug = partner.split()[0].lower()
    rows = {
        "KPIs": kpis,
        "SLA": [{"Service": "Help desk", "Measure": "First response (hours)", "Target": 4,
                 "Direction": "At most", "Period": period, "Actual": 3.5 + likelihood,
                 "Owner": NORTH}],
        "Risks": risks or [
            {"Risk ID": "R01", "Risk": "Key engineer leaves", "Likelihood": likelihood,
             "Impact": 4, "Owner": NORTH, "Status": "Open",
             "Review by": dt.datetime(2026, 11, 30)},
            {"Risk ID": "R02", "Risk": "Currency swings", "Likelihood": 2, "Impact": 3,
             "Status": "Mitigating"},
        ],
        "Stages": [{"Stage": "Working together", "Status": "In progress", "Progress %": 0.5}],
        "Health check": [{"Behaviour": "Trust", "Score": trust},
                         {"Behaviour": "Openness", "Score": 3}],
        "Contacts": contacts or [
            {"Name": f"Lead of {partner}", "Organisation": partner,
             "Email": f"lead@{slug}.example", "Escalation level": 3},
        ],
        "Actions": [{"Action ID": "A01", "Area": "Risk planning", "Action": "Review risks",
                     "Owner": partner, "Due": dt.datetime(2026, 11, 15), "Status": "Open"}],
    }  # fmt: skip
    out = fill(blank, folder / name, rows=rows)
    blank.unlink()
    os.utime(out, (mtime.timestamp(), mtime.timestamp()))
    return out


def shared_contact(email: str | None) -> dict[str, Any]:
    """The joint project officer, listed by several partners (one of them without e-mail)."""
    return {"Name": "Sam  Lee", "Organisation": "Joint office", "Email": email,
            "Escalation level": 1}  # fmt: skip


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> list[Submission]:
    """Three months of three partners: restatements, a superseded file, a partner whose
    name is typed with other case and spacing, a partner missing in November, contacts
    without e-mail, and (recorded as built, not as read) duplicate keys and blank text."""
    folder = tmp_path_factory.mktemp("returned")
    sep, oct_, nov = "2026-09", "2026-10", "2026-11"
    workbook(
        folder,
        NORTH,
        sep,
        [kpi("K01", sep, 93), kpi("K02", sep, 4)],
        mtime=dt.datetime(2026, 10, 2),
        name="north-09.xlsx",
    )
    workbook(
        folder,
        NORTH,
        oct_,
        [kpi("K01", oct_, 91.5), kpi("K02", oct_, 6)],
        mtime=dt.datetime(2026, 11, 2),
        name="north-10.xlsx",
        contacts=[
            {
                "Name": "Ann Cole",
                "Organisation": NORTH,
                "Email": "ann@northwind.example",
                "Escalation level": 3,
            },
            shared_contact(None),
        ],
    )
    workbook(
        folder,
        CONTOSO,
        oct_,
        [kpi("K01", oct_, 85), kpi("k01 ", sep, 80), kpi("K02", oct_, 6)],
        mtime=dt.datetime(2026, 11, 3),
        name="contoso-10.xlsx",
        likelihood=5,
        trust=2,
        contacts=[shared_contact("sam.lee@joint.example")],
    )
    workbook(
        folder,
        FABRIKAM,
        sep,
        [kpi("K01", sep, 70)],
        mtime=dt.datetime(2026, 10, 5),
        name="fabrikam-09.xlsx",
    )
    workbook(
        folder,
        FABRIKAM,
        oct_,
        [kpi("K01", oct_, 72), kpi("K01", oct_, 99)],  # duplicate
        mtime=dt.datetime(2026, 11, 5),
        name="fabrikam-10.xlsx",
    )
    # November: Northwind typed as "northwind  LTD", restating October's K01.
    workbook(
        folder,
        "northwind  LTD",
        nov,
        [kpi("K01", oct_, 92.0), kpi("K01", nov, 90.0), kpi("K02", nov, 9)],
        mtime=dt.datetime(2026, 12, 1),
        name="north-11.xlsx",
        trust=5,
        contacts=[
            shared_contact(None),
            {"Name": "Ann Cole", "Organisation": NORTH, "Email": None, "Escalation level": 2},
        ],
    )
    # Contoso's November twice: the later file supersedes the first.
    workbook(
        folder,
        CONTOSO,
        nov,
        [kpi("K01", nov, 60), kpi("K02", nov, 1)],
        mtime=dt.datetime(2026, 12, 1, 9),
        name="contoso-11-a.xlsx",
    )
    workbook(folder, CONTOSO, nov, [kpi("K01", nov, 88.0), kpi("K02", oct_, 7),
                                    kpi("K02", nov, 4)],
             mtime=dt.datetime(2026, 12, 3), name="contoso-11-b.xlsx", likelihood=4,
             contacts=[shared_contact("SAM.LEE@joint.example "),
                       {"Name": "Ann Cole", "Organisation": CONTOSO,
                        "Email": "ann@contoso.example", "Escalation level": 3}])  # fmt: skip
    report = validate_paths([folder], relationship_id=RELATIONSHIP_ID)
    codes = {(Path(f.file).name, f.code) for r in report.files for f in r.findings}
    assert ("fabrikam-10.xlsx", "duplicate-key") in codes  # the repeated K01 is left out
    subs = sorted(report.submissions, key=lambda s: s.received_at or dt.datetime.min)
    assert len(subs) == 8
    # Submissions built by a script rather than read: duplicate keys within one workbook
    # (matched occurrence by occurrence) and blank text, which reads as no value.
    north_oct = next(s for s in subs if Path(s.path).name == "north-10.xlsx")
    kpis = north_oct.records["kpis"]
    kpis.append(Record("kpis", 90, {**kpis[0].values, "actual": 50.0}))
    risks = north_oct.records["risks"]
    risks.append(Record("risks", 91, {**risks[0].values, "likelihood": 1}))
    contoso_nov = next(s for s in subs if Path(s.path).name == "contoso-11-b.xlsx")
    contoso_nov.records["contacts"][0].values["organisation"] = "   "
    return subs


@pytest.fixture(scope="module")
def sqlite_ledger(submissions: list[Submission], tmp_path_factory: pytest.TempPathFactory):
    led = Ledger(tmp_path_factory.mktemp("ledger") / "l.sqlite")
    for sub in submissions:  # one run per file, as monthly merges would record them
        led.record([sub])
    yield led
    led.close()


def view(led: Ledger, period: str, source: Any) -> Consolidated:
    return consolidate(
        source,
        relationship_id=RELATIONSHIP_ID,
        relationship_name="Northwind–Contoso",
        period=period,
        expected_partners=EXPECTED,
        submissions=led.submissions_frame(RELATIONSHIP_ID).query("period <= @period"),
        restatements=led.restatements_frame(RELATIONSHIP_ID, period),
        today=TODAY,
    )


def assert_same(a: Consolidated, b: Consolidated) -> None:
    """Every part of two views is equal: tables, discrepancies, histories, gaps."""
    for f in dataclasses.fields(Consolidated):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            assert_frame_equal(x, y, check_exact=True, obj=f.name)
        elif f.name == "tables":
            assert list(x) == list(y)
            for key in x:
                assert_frame_equal(x[key], y[key], check_exact=True, obj=f"tables[{key}]")
        else:
            assert x == y, f.name


def both(led: Ledger, period: str) -> tuple[Consolidated, Consolidated]:
    from_frames = view(led, period, led.frames(RELATIONSHIP_ID, period))
    from_source = view(led, period, led.source(RELATIONSHIP_ID, period))
    return from_frames, from_source


@pytest.mark.parametrize("period", ["2026-09", "2026-10", "2026-11"])
def test_source_gives_the_frames_view(sqlite_ledger: Ledger, period: str) -> None:
    from_frames, from_source = both(sqlite_ledger, period)
    assert_same(from_frames, from_source)
    assert len(from_source.kpi_history) and len(from_source.tables["kpis"])


def test_frames_of_later_periods_are_left_out(sqlite_ledger: Ledger) -> None:
    """Frames holding every month give October's view when asked for October."""
    everything = sqlite_ledger.frames(RELATIONSHIP_ID)
    assert "2026-11" in set(everything["kpis"]["_period"])
    october = view(sqlite_ledger, "2026-10", sqlite_ledger.source(RELATIONSHIP_ID, "2026-10"))
    assert_same(view(sqlite_ledger, "2026-10", everything), october)


def test_november_view_from_the_source(sqlite_ledger: Ledger) -> None:
    """What the compared view holds, so that the comparison above compares something."""
    c = view(sqlite_ledger, "2026-11", sqlite_ledger.source(RELATIONSHIP_ID, "2026-11"))
    # "northwind  LTD" is Northwind; Fabrikam sent nothing for November.
    assert c.partners == [NORTH, CONTOSO]
    missing = [g for g in c.gaps if g.rule == "submission-missing"]
    assert [(g.partners, g.value) for g in missing] == [(FABRIKAM, "last received 2026-10")]
    hist = c.kpi_history
    k01 = hist[hist["kpi_id"] == "K01"]
    got: dict[tuple[str, str], list[Any]] = {}
    for r in k01.itertuples():
        got.setdefault((r.period, r.partner), []).append(r.actual)
    # October's K01 as restated in November (the second K01 Northwind's October workbook
    # carried stays: November restated only the first); the superseded file's 60 is gone;
    # Contoso's September figure typed "k01 " is K01 (shown as K01).
    assert got[("2026-10", NORTH)] == [92.0, 50.0] and got[("2026-11", CONTOSO)] == [88.0]
    assert got[("2026-09", CONTOSO)] == [80] and got[("2026-10", FABRIKAM)] == [72]
    assert 60 not in set(k01["actual"])
    assert list(hist.columns) == list(reconcile.KPI_HISTORY_COLUMNS)
    kpis = c.tables["kpis"].set_index("kpi_id")
    assert kpis.loc["K01", "actual"] == 90.0  # Northwind owns the KPI: its figure
    assert kpis.loc["K01", "partners"] == f"{NORTH}, {CONTOSO}"
    contacts = c.tables["contacts"]
    # Northwind gives no e-mail for Sam Lee nor for Ann Cole: each matches by name the one
    # row of that name another partner keyed by e-mail.
    sam = contacts[contacts["name"].str.contains("Sam")]
    assert sam["partners"].tolist() == [f"{NORTH}, {CONTOSO}"]
    ann = contacts[contacts["name"] == "Ann Cole"]
    assert ann["partners"].tolist() == [f"{NORTH}, {CONTOSO}"]
    assert ann["email"].tolist() == ["ann@contoso.example"]
    assert sam["organisation"].tolist() == ["Joint office"]  # Contoso's blank text is no value


def test_october_duplicates_are_matched_by_occurrence(sqlite_ledger: Ledger) -> None:
    from_frames, c = both(sqlite_ledger, "2026-10")
    risks = c.tables["risks"]
    r01 = risks[risks["risk_id"] == "R01"]
    # Northwind's second R01 (a duplicate within its workbook) stands as its own item.
    assert sorted(r01["partners"]) == [NORTH, f"{NORTH}, {CONTOSO}, {FABRIKAM}"]
    k01 = c.tables["kpis"][c.tables["kpis"]["kpi_id"] == "K01"]
    assert len(k01) == 2 and set(k01["actual"]) == {91.5, 50.0}
    found = c.discrepancies[(c.discrepancies["sheet"] == "Risks")]
    assert "Likelihood" in set(found["column"])
    assert_same(from_frames, c)


def test_submissions_list_the_sheets_they_hold(sqlite_ledger: Ledger) -> None:
    listed = sqlite_ledger.source(RELATIONSHIP_ID, "2026-11").submissions()
    assert [(s.partner, s.period) for s in listed] == [
        (FABRIKAM, "2026-09"),
        (NORTH, "2026-09"),
        (CONTOSO, "2026-10"),
        (FABRIKAM, "2026-10"),
        (NORTH, "2026-10"),
        (CONTOSO, "2026-11"),
        ("northwind  LTD", "2026-11"),
    ]  # fmt: skip  (current only: Contoso's first November file was superseded)
    assert all({"kpis", "risks", "contacts", "health"} <= s.sheets for s in listed)
    assert not any("successes" in s.sheets for s in listed)
    assert [s.period for s in sqlite_ledger.source(RELATIONSHIP_ID, "2026-09").submissions()] == [
        "2026-09",
        "2026-09",
    ]


def test_one_submission_per_read_gives_the_same_view(
    sqlite_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading one partner and one submission id per query changes nothing."""
    expected = view(sqlite_ledger, "2026-11", sqlite_ledger.frames(RELATIONSHIP_ID, "2026-11"))
    monkeypatch.setattr(LedgerSource, "IDS_PER_QUERY", 1)
    monkeypatch.setattr(reconcile, "SUBMISSIONS_PER_READ", 1)
    assert_same(
        expected, view(sqlite_ledger, "2026-11", sqlite_ledger.source(RELATIONSHIP_ID, "2026-11"))
    )


def test_records_come_typed_by_submission_and_row(sqlite_ledger: Ledger) -> None:
    source = sqlite_ledger.source(RELATIONSHIP_ID, "2026-11")
    ids = [s.id for s in source.submissions()]
    got = list(source.records(SCHEMA["risks"], ids[::-1]))
    assert [r[0] for r in got] == sorted(r[0] for r in got)
    names = [c.key for c in SCHEMA["risks"].columns]
    first = dict(zip(names, got[0][2], strict=True))
    assert isinstance(first["likelihood"], int) and isinstance(first["score"], float)
    assert first["review_by"] == dt.date(2026, 11, 30)
    assert list(source.records(SCHEMA["risks"], [])) == []


def test_postgresql_source_gives_the_same_view(
    submissions: list[Submission], sqlite_ledger: Ledger, postgres_database: str
) -> None:
    with Ledger(postgres_database) as pg:
        for sub in submissions:
            pg.record([sub])
        for period in ("2026-10", "2026-11"):
            from_pg = view(pg, period, pg.source(RELATIONSHIP_ID, period))
            from_frames, from_sqlite = both(sqlite_ledger, period)
            assert_same(view(pg, period, pg.frames(RELATIONSHIP_ID, period)), from_pg)
            # Submission ids and the ledger's address differ between the ledgers only.
            for a, b in ((from_pg, from_sqlite), (from_pg, from_frames)):
                assert_same(
                    dataclasses.replace(a, submissions=b.submissions, restatements=b.restatements),
                    b,
                )
