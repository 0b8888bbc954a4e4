"""A joint sign-off recorded after its month was closed, on real files.

November is merged (the partners disagree on K01's Actual, 91.5 vs 88, and on R01's
Likelihood, 3 vs 4) and closed with ``rmp close``; then ``rmp signoff template`` writes
the sign-off workbooks, partners fill them (openpyxl) and ``rmp signoff record`` stores
them. Agreed values that differ from the published figures are a proposed restatement
(``rmp restatement list|accept|reject``); the consolidated workbooks, the published
snapshot and the audit pack are read back with python-calamine and openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import run_rmp
from fill import RELATIONSHIP_ID
from test_merge import CONTOSO, NORTH, kpi, workbook
from test_signoff import build_month, fill_signoff, rows_of, table

from rmp_workbook.ledger import Ledger

# The consolidated workbook has sparklines, which openpyxl cannot read (and says so).
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")

CHANGES = "K01 Actual 91.5 → 90, R01 Key engineer leaves Likelihood 4 → 3"
"""What the partners' agreement changes against November as published."""


def _closed_month(root: Path, ledger: str | Path) -> dict[str, Any]:
    """November merged, closed (its workbook written to issued.xlsx), and each partner's
    sign-off workbook written by ``rmp signoff template``."""
    folder = build_month(root, ledger)
    config = str(root / "rmp.toml")
    closed = run_rmp("close", "--period", "2026-11", "--config", config, "--ledger",
                     str(ledger), "-o", str(root / "issued.xlsx"))  # fmt: skip
    assert closed.returncode == 0, closed.stdout + closed.stderr
    made = root / "signoff"
    proc = run_rmp("signoff", "template", "--period", "2026-11", "--config", config,
                   "--ledger", str(ledger), "-o", str(made))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return {"root": root, "ledger": str(ledger), "config": config, "folder": folder,
            "north": made / "signoff-northwind-ltd-2026-11.xlsx",
            "contoso": made / "signoff-contoso-plc-2026-11.xlsx"}  # fmt: skip


def _fill(m: dict[str, Any], agreed: dict[str, tuple[Any, Any]], folder: str) -> Path:
    """Both partners agree ``agreed`` and approve (Northwind on 3, Contoso on 4 December)."""
    out = m["root"] / folder
    fill_signoff(m["north"], out / "northwind.xlsx", agreed)
    fill_signoff(m["contoso"], out / "contoso.xlsx", agreed,
                 ("Tom Becker", dt.datetime(2026, 12, 4), "Yes"))  # fmt: skip
    return out


def _record(m: dict[str, Any], path: Path, *extra: str) -> Any:
    proc = run_rmp("signoff", "record", str(path), "--config", m["config"], "--ledger",
                   m["ledger"], *extra)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _november(m: dict[str, Any], name: str) -> Path:
    """November rebuilt by ``rmp merge`` (a closed month: as published)."""
    out = m["root"] / name
    proc = run_rmp("merge", str(m["folder"]), "--period", "2026-11", "--config", m["config"],
                   "--ledger", m["ledger"], "-o", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _dashboard_line(path: Path) -> str:
    line: str = rows_of(path, "Dashboard")[3][1]
    return line


def _k01(path: Path) -> float:
    return float({r["KPI ID"]: r["Actual"] for r in table(path, "KPIs")}["K01"])


def _snapshot_k01(ledger: str) -> tuple[int, float, dict[str, float], Any]:
    """The latest publication of November: version, reconciled K01 Actual, each partner's
    K01 point, and K01 Actual as its stored workbook's KPIs sheet says (openpyxl)."""
    with Ledger(ledger) as led:
        pub = led.publications(RELATIONSHIP_ID, "2026-11")[-1]
        data = led.publication_workbook(pub.id)
    assert data is not None
    (row,) = [r for r in pub.figures["kpis"] if r["kpi_id"] == "K01"]
    points = {r["partner"]: r["actual"] for r in pub.figures["kpi_history"] if r["kpi_id"] == "K01"}
    ws = openpyxl.load_workbook(io.BytesIO(data))["KPIs"]
    header = [c.value for c in ws[1]]
    (stored,) = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "K01"]
    return pub.version, row["actual"], points, stored[header.index("Actual")]


def _audit_after_close(m: dict[str, Any]) -> list[Any]:
    """The audit pack's Sign-offs sheet (``rmp audit``), column After the close."""
    out = m["root"] / "audit.xlsx"
    proc = run_rmp("audit", "--ledger", m["ledger"], "--from", "2026-11", "--to", "2026-11",
                   "-o", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [r for r in rows_of(out, "Sign-offs") if any(v != "" for v in r)]
    header = next(r for r in rows if "After the close" in r)
    at = header.index("After the close")
    return [r[at] for r in rows[rows.index(header) + 1 :]]


def test_a_late_signoff_is_proposed_then_accepted_and_republished(tmp_path: Path) -> None:
    m = _closed_month(tmp_path, tmp_path / "l.sqlite")
    returned = _fill(m, {"D1": (90, "Deliveries recounted"), "D2": (3, "Mitigation agreed")},
                     "returned")  # fmt: skip
    said = _record(m, returned).stdout
    assert (
        "2026-11 is closed: the agreed values differ from the published figures (published → "
        f"agreed: {CHANGES}); recorded as proposed restatement 1, not published. Accept it "
        "with rmp restatement accept 1 (or reject 1)."
    ) in said
    assert f"2026-11: Agreement differs from the published figures ({CHANGES})" in said

    listed = run_rmp("restatement", "list", "--ledger", m["ledger"], "--status", "proposed")
    assert listed.stdout.startswith(
        f"   1  2026-11  proposed  sign-off by {CONTOSO}, {NORTH}: contoso.xlsx, northwind.xlsx"
    )
    assert CHANGES in listed.stdout
    # Until decided, November as published stands, and its Dashboard says why.
    pending = _november(m, "nov-pending.xlsx")
    assert _k01(pending) == 91.5 and _k01(m["root"] / "issued.xlsx") == 91.5
    line = _dashboard_line(pending)
    assert line == (
        f"Agreement differs from the published figures ({CHANGES}): restatement 1 proposed, "
        "not published  ·  approved by all partners on 2026-12-04"
    )
    assert not line.startswith("Agreed")
    assert _snapshot_k01(m["ledger"])[:3] == (1, 91.5, {NORTH: 91.5, CONTOSO: 88.0})
    assert (
        _audit_after_close(m)
        == [
            f"Restatement 1 proposed ({CHANGES}): not published; rmp restatement accept 1 or "
            "reject 1"
        ]
        * 2
    )
    refused = run_rmp("close", "--period", "2026-11", "--ledger", m["ledger"])
    assert refused.returncode == 1 and "awaits a decision" in refused.stderr

    out = m["root"] / "republished.xlsx"
    accepted = run_rmp("restatement", "accept", "1", "--ledger", m["ledger"], "--reason",
                       "Agreed at the review", "-o", str(out), "--json")  # fmt: skip
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    decision = json.loads(accepted.stdout)
    assert decision["proposal"]["kind"] == "signoff"
    assert decision["proposal"]["status"] == "accepted" and decision["proposal"]["decided_by"]
    assert decision["publication"]["version"] == 2
    assert decision["publication"]["command"] == "restatement accept"
    # The published snapshot holds the agreed figure (figures and the stored workbook).
    assert _snapshot_k01(m["ledger"]) == (2, 90.0, {NORTH: 90.0, CONTOSO: 90.0}, 90)
    assert _k01(out) == 90
    assert _dashboard_line(out) == (
        "Agreed by all partners on 2026-12-04 (restatement 1 accepted: republished)"
    )
    risk = table(out, "Risks")[0]
    assert (risk["Likelihood"], risk["Score"]) == (3, 12)
    rebuilt = _november(m, "nov-after.xlsx")
    assert _k01(rebuilt) == 90 and _dashboard_line(rebuilt) == _dashboard_line(out)
    assert _audit_after_close(m)[0].startswith("Restatement 1 accepted on ")
    assert "(Agreed at the review): republished" in _audit_after_close(m)[0]
    # November now stands as republished: closing it again finds nothing new.
    again = run_rmp("close", "--period", "2026-11", "--ledger", m["ledger"])
    assert again.returncode == 0 and "nothing new since" in again.stdout


def test_a_late_signoff_rejected_keeps_the_published_figures(tmp_path: Path) -> None:
    m = _closed_month(tmp_path, tmp_path / "l.sqlite")
    returned = _fill(m, {"D1": (90, "Deliveries recounted"), "D2": (3, "Mitigation agreed")},
                     "returned")  # fmt: skip
    report = json.loads(_record(m, returned, "--json").stdout)
    (closed,) = report["closed_months"]
    assert closed["period"] == "2026-11" and closed["differs"] is True
    assert [(c["item"], c["published"], c["agreed"]) for c in closed["changes"]] == [
        ("K01", 91.5, 90.0),
        ("R01 Key engineer leaves", 4, 3),
    ]
    proposal = closed["proposed_restatement"]
    assert (proposal["id"], proposal["kind"], proposal["status"]) == (1, "signoff", "proposed")
    assert proposal["accept"] == "rmp restatement accept 1"
    assert proposal["changes"] == [
        {"sheet": "kpis", "item": "K01", "column": "actual", "previous": 91.5, "proposed": 90.0},
        {"sheet": "risks", "item": "R01 Key engineer leaves", "column": "likelihood",
         "previous": 4, "proposed": 3},
    ]  # fmt: skip
    assert report["signoff"]["2026-11"].startswith("Agreement differs from the published")

    # December's Dashboard lists the undecided proposal, as for a late workbook.
    december = m["root"] / "2026-12"
    workbook(december, NORTH, "2026-12", kpis=[kpi("K01", "2026-12", 96.0)])
    workbook(december, CONTOSO, "2026-12", kpis=[kpi("K01", "2026-12", 96.0)])
    dec = m["root"] / "dec.xlsx"
    proc = run_rmp("merge", str(december), "--period", "2026-12", "--config", m["config"],
                   "--ledger", m["ledger"], "-o", str(dec))  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    text = "\n".join(" ".join(str(v) for v in r if v != "") for r in rows_of(dec, "Dashboard"))
    assert (
        f"Proposed restatement 1 of 2026-11: {CONTOSO}, {NORTH} signed off after the close "
        "with agreed values that differ (K01 Actual 91.5 → 90, R01 Key engineer leaves "
        "Likelihood 4 → 3); accept or reject it"
    ) in text
    statuses = {(r["Period"], r["Item"], r["Status"]) for r in table(dec, "Restatements")}
    assert ("2026-11", "K01", "proposed") in statuses

    rejected = run_rmp("restatement", "reject", "1", "--ledger", m["ledger"], "--reason",
                       "Contoso's count is not confirmed")  # fmt: skip
    assert rejected.returncode == 0, rejected.stderr
    assert "the month stays as issued (its agreed values are not published)" in rejected.stdout
    listed = json.loads(run_rmp("restatement", "list", "--ledger", m["ledger"], "--json").stdout)
    (p,) = listed["proposals"]
    assert (p["status"], p["reason"]) == ("rejected", "Contoso's count is not confirmed")
    assert p["decided_by"] and p["decided_at"]
    # The published figures stand, in the ledger and in November rebuilt.
    assert _snapshot_k01(m["ledger"]) == (1, 91.5, {NORTH: 91.5, CONTOSO: 88.0}, 91.5)
    rebuilt = _november(m, "nov-after.xlsx")
    assert _k01(rebuilt) == 91.5
    assert table(rebuilt, "Risks")[0]["Likelihood"] == 4
    assert _dashboard_line(rebuilt) == (
        "Published figures stand: the sign-off's differing values were rejected "
        f"(restatement 1: {CHANGES})  ·  approved by all partners on 2026-12-04"
    )
    (after,) = set(_audit_after_close(m))
    assert after.startswith("Restatement 1 rejected on ")
    assert after.endswith(
        f"(Contoso's count is not confirmed): the published figures stand ({CHANGES} not published)"
    )
    again = run_rmp("close", "--period", "2026-11", "--ledger", m["ledger"])
    assert again.returncode == 0 and "nothing new since" in again.stdout


def test_agreed_values_equal_to_the_published_ones_propose_nothing(tmp_path: Path) -> None:
    """R01's Likelihood agreed at 4, the figure November was published with: nothing to
    restate; the sign-off counts and the Dashboard says Agreed."""
    m = _closed_month(tmp_path, tmp_path / "l.sqlite")
    returned = _fill(m, {"D2": (4, "The prudent score stands")}, "returned")
    report = json.loads(_record(m, returned, "--json").stdout)
    assert report["closed_months"] == [
        {"period": "2026-11", "differs": False, "changes": [], "proposed_restatement": None}
    ]
    assert report["signoff"] == {"2026-11": "Agreed by all partners on 2026-12-04"}
    assert run_rmp("restatement", "list", "--ledger", m["ledger"]).stdout.startswith(
        "No proposed restatements"
    )
    text = _record(m, returned).stdout  # recorded before: compared already, nothing new
    assert "is closed" not in text
    rebuilt = _november(m, "nov.xlsx")
    assert _dashboard_line(rebuilt) == "Agreed by all partners on 2026-12-04"
    disc = {r["Item"]: r for r in table(rebuilt, "Discrepancies")}["R01 Key engineer leaves"]
    assert disc["Rule"].startswith(f"Agreed 2026-12-04 by {NORTH}, {CONTOSO}")
    assert set(_audit_after_close(m)) == {
        "Recorded after the close: its agreed values equal the published figures"
    }
    again = run_rmp("close", "--period", "2026-11", "--ledger", m["ledger"])
    assert again.returncode == 0 and "nothing new since" in again.stdout


def test_a_kpi_agreed_at_the_published_figure_still_moves_a_partners_point(
    tmp_path: Path,
) -> None:
    """K01 agreed at 91.5, the reconciled figure published: Contoso's own point for
    November (88 as published) becomes 91.5, so that is proposed, and only that."""
    m = _closed_month(tmp_path, tmp_path / "l.sqlite")
    returned = _fill(m, {"D1": (91.5, "Northwind's count stands")}, "returned")
    report = json.loads(_record(m, returned, "--json").stdout)
    (closed,) = report["closed_months"]
    assert [c["item"] for c in closed["proposed_restatement"]["changes"]] == [f"K01 ({CONTOSO})"]
    assert closed["proposed_restatement"]["text"] == f"K01 ({CONTOSO}) Actual 88 → 91.5"


def test_one_partner_alone_proposes_nothing_until_the_other_agrees(tmp_path: Path) -> None:
    m = _closed_month(tmp_path, tmp_path / "l.sqlite")
    agreed = {"D1": (90, "Deliveries recounted")}
    fill_signoff(m["north"], m["root"] / "a" / "northwind.xlsx", agreed)
    report = json.loads(_record(m, m["root"] / "a", "--json").stdout)
    assert [c["differs"] for c in report["closed_months"]] == [False]
    assert report["signoff"] == {"2026-11": f"Awaiting sign-off: {CONTOSO}"}
    fill_signoff(m["contoso"], m["root"] / "b" / "contoso.xlsx", agreed,
                 ("Tom Becker", dt.datetime(2026, 12, 4), "Yes"))  # fmt: skip
    report = json.loads(_record(m, m["root"] / "b", "--json").stdout)
    (closed,) = report["closed_months"]
    assert closed["proposed_restatement"]["partner"] == CONTOSO
    assert closed["proposed_restatement"]["text"] == "K01 Actual 91.5 → 90"


def test_a_late_signoff_accepted_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    m = _closed_month(tmp_path, postgres_database)
    returned = _fill(m, {"D1": (90, "Deliveries recounted"), "D2": (3, "Mitigation agreed")},
                     "returned")  # fmt: skip
    report = json.loads(_record(m, returned, "--json").stdout)
    proposal = report["closed_months"][0]["proposed_restatement"]
    assert proposal["text"] == "K01 Actual 91.5 → 90, R01 Key engineer leaves Likelihood 4 → 3"
    pending = _november(m, "nov-pending.xlsx")
    assert _k01(pending) == 91.5
    assert _dashboard_line(pending).startswith("Agreement differs from the published figures")
    accepted = run_rmp("restatement", "accept", str(proposal["id"]), "--ledger",
                       postgres_database)  # fmt: skip
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert _snapshot_k01(postgres_database) == (2, 90.0, {NORTH: 90.0, CONTOSO: 90.0}, 90)
    rebuilt = _november(m, "nov-after.xlsx")
    assert _k01(rebuilt) == 90
    assert _dashboard_line(rebuilt) == (
        "Agreed by all partners on 2026-12-04 (restatement 1 accepted: republished)"
    )


def test_a_ledger_from_before_signoff_restatements_is_migrated(tmp_path: Path) -> None:
    """A ledger whose proposals table needs a submission (as rmp wrote it before) and
    whose sign-offs lack the after-close columns: opened again, it takes a sign-off's
    proposal, with the earlier proposals kept."""
    import sqlite3

    ledger = tmp_path / "l.sqlite"
    m = _closed_month(tmp_path, ledger)
    with sqlite3.connect(ledger) as db:
        db.execute("DROP TABLE restatement_proposals")
        db.execute(
            "CREATE TABLE restatement_proposals (id INTEGER NOT NULL, relationship_id TEXT "
            "NOT NULL, period TEXT NOT NULL, partner TEXT NOT NULL, submission_id INTEGER NOT "
            "NULL, previous_submission_id INTEGER, publication_id INTEGER NOT NULL, changes "
            "TEXT NOT NULL, status TEXT NOT NULL, proposed_at DATETIME NOT NULL, proposed_by "
            "TEXT NOT NULL, decided_at DATETIME, decided_by TEXT, reason TEXT, PRIMARY KEY "
            "(id), FOREIGN KEY(submission_id) REFERENCES submissions (id))"
        )
        db.execute(
            "CREATE INDEX ix_proposal_period ON restatement_proposals (relationship_id, period)"
        )
        db.execute(
            "INSERT INTO restatement_proposals VALUES (7, ?, '2026-10', ?, 1, NULL, 1, '[]', "
            "'rejected', '2026-11-20 10:00:00', 'aisha', '2026-11-21 10:00:00', 'aisha', 'old')",
            (RELATIONSHIP_ID, NORTH),
        )
        db.execute("ALTER TABLE signoffs DROP COLUMN after_close")
        db.execute("ALTER TABLE signoffs DROP COLUMN proposal_id")
    returned = _fill(m, {"D1": (90, "Deliveries recounted")}, "returned")
    report = json.loads(_record(m, returned, "--json").stdout)
    assert report["closed_months"][0]["proposed_restatement"]["id"] == 8
    with Ledger(ledger) as led:
        notes = [n["note"] for n in led.migrations()]
        kinds = [(p.id, p.kind, p.status) for p in led.proposals(RELATIONSHIP_ID)]
    assert "restatement_proposals.submission_id may be blank (a sign-off's proposal)" in notes
    assert kinds == [(7, "workbook", "rejected"), (8, "signoff", "proposed")]


def test_the_proposals_table_is_migrated_on_postgresql(postgres_database: str) -> None:
    from sqlalchemy import create_engine, inspect, text

    Ledger(postgres_database).close()
    engine = create_engine(postgres_database)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE restatement_proposals DROP COLUMN kind"))
        conn.execute(
            text("ALTER TABLE restatement_proposals ALTER COLUMN submission_id SET NOT NULL")
        )
    with Ledger(postgres_database) as led:
        notes = [n["note"] for n in led.migrations()]
    with engine.connect() as conn:
        columns = {c["name"]: c for c in inspect(conn).get_columns("restatement_proposals")}
    engine.dispose()
    assert columns["submission_id"]["nullable"] and "kind" in columns
    assert "restatement_proposals.submission_id may be blank (a sign-off's proposal)" in notes


def test_a_signoff_stored_but_not_compared_is_compared_by_the_next_record(
    tmp_path: Path,
) -> None:
    """A run that stored the sign-offs of a closed month and stopped before comparing
    them: they count nowhere, the Dashboard line says so, and recording them again
    compares them."""
    from rmp_workbook.config import load_config
    from rmp_workbook.merge import consolidated_view
    from rmp_workbook.signoff import read_signoff, signoff_line
    from rmp_workbook.signoff_cycle import record_signoffs

    m = _closed_month(tmp_path, tmp_path / "l.sqlite")
    returned = _fill(m, {"D1": (90, "Deliveries recounted")}, "returned")
    files = sorted(returned.iterdir())
    config = load_config(m["config"])
    with Ledger(m["ledger"]) as led:
        for path in files:
            ret = read_signoff(path, today=dt.date(2026, 12, 10))
            assert led.record_signoff(ret, recorded_by="aisha") is not None
        c = consolidated_view(led, RELATIONSHIP_ID, "2026-11", config=config)
    assert c.tables["kpis"].set_index("kpi_id").loc["K01", "actual"] == 91.5
    assert signoff_line(c) == (
        "Sign-off recorded after the close, not yet compared with the published figures: "
        "run rmp signoff record again  ·  approved by all partners on 2026-12-04"
    )
    report = record_signoffs(files, m["ledger"], config=config, today=dt.date(2026, 12, 10))
    assert [f.status for f in report.files] == ["already recorded"] * 2
    (closed,) = report.closed
    assert closed.proposal is not None and closed.proposal.summary() == "K01 Actual 91.5 → 90"
    assert report.lines["2026-11"].startswith("Agreement differs from the published figures")
