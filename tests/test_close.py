"""Closing a month (``rmp close``), late workbooks as proposed restatements, and
``rmp restatement list|accept|reject``, on real workbooks month after month.

Templates come from the config (pre-filled from the ledger), partners type into them
through openpyxl, ``rmp merge`` records them; the consolidated workbooks are read back
with openpyxl and python-calamine. The core flow runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from months import CO, NW, Relationship

from rmp_workbook.cli import cli
from rmp_workbook.ledger import Ledger
from rmp_workbook.published import published_figures
from rmp_workbook.summary import kpi_tiles

# The consolidated workbook has sparklines, which openpyxl cannot read (and says so).
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")


def _rmp(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _month(rel: Relationship, period: str, actual: float, partners: tuple[str, ...] = (NW, CO)):
    for partner in partners:
        rel.returned(period, partner, {"KPIs": [{"KPI ID": "K01", "Actual": actual}]})


def _late(rel: Relationship, period: str, partner: str, actual: float) -> Path:
    """The partner's workbook for ``period`` again, with another K01 figure."""
    return rel.returned(period, partner, {"KPIs": [{"KPI ID": "K01", "Actual": actual}]})


def _rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[sheet]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    header = values[0]
    return [dict(zip(header, r, strict=True)) for r in values[1:] if any(v is not None for v in r)]


def _calamine_text(path: Path, sheet: str) -> str:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return "\n".join(" ".join(str(v) for v in r if v not in (None, "")) for r in rows)


def _timeless(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """A sheet's values without the run's own time stamps."""
    ws = openpyxl.load_workbook(path)[sheet]
    return [
        tuple(
            None if isinstance(v, dt.datetime) or (isinstance(v, str) and "generated" in v) else v
            for v in r
        )
        for r in ws.iter_rows(values_only=True)
    ]


def _k01(path: Path) -> dict[str, Any]:
    (row,) = [r for r in _rows(path, "KPIs") if r["KPI ID"] == "K01"]
    return row


def test_close_then_a_late_file_is_proposed_listed_next_month_accepted_or_rejected(
    tmp_path: Path,
) -> None:
    rel = Relationship(tmp_path / "rel")
    ledger = str(rel.ledger)
    _month(rel, "2026-01", 96)
    assert rel.merge("2026-01").exit_code == 0

    issued = tmp_path / "published" / "consolidated-2026-01.xlsx"
    closed = _rmp(
        "close", "--period", "2026-01", "--config", str(rel.config_path),
        "--ledger", ledger, "-o", str(issued), "--json",
    )  # fmt: skip
    assert closed.exit_code == 0, closed.output
    said = json.loads(closed.output)
    assert said["new"] is True and said["publication"]["version"] == 1
    # The workbook's bytes are in the ledger, the file beside them is the same workbook.
    with Ledger(ledger) as led:
        (pub,) = led.publications("NW-CT", "2026-01")
        stored = led.publication_workbook(pub.id)
    assert stored == issued.read_bytes()
    assert pub.workbook_sha256 == hashlib.sha256(stored).hexdigest()
    assert pub.workbook_path == str(issued.resolve())
    assert pub.published_by and pub.command == "close"
    assert {(r["partner"], r["actual"]) for r in pub.figures["kpi_history"]} == {
        (NW, 96.0),
        (CO, 96.0),
    }

    # Closing again with nothing new changes nothing.
    again = _rmp(
        "close", "--period", "2026-01", "--ledger", ledger, "--config", str(rel.config_path)
    )
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output
    with Ledger(ledger) as led:
        assert len(led.publications("NW-CT", "2026-01", latest=False)) == 1

    # A late Northwind workbook for January: proposed, not merged.
    _late(rel, "2026-01", NW, 91)
    late = rel.merge("2026-01")
    assert late.exit_code == 0
    (proposal,) = late.to_dict()["proposed_restatements"]
    assert proposal["partner"] == NW and proposal["status"] == "proposed"
    assert proposal["path"] == str(rel.root / "returned" / "2026-01" / proposal["file"])
    assert proposal["changes"] == [
        {"sheet": "kpis", "item": "K01", "column": "actual", "previous": 96.0, "proposed": 91.0}
    ]
    assert late.summary()["proposed_restatements"] == 1
    assert late.summary()["published_version"] == 1
    # January rebuilt by that merge is the one that was issued.
    assert late.output is not None
    assert _k01(late.output)["Actual"] == 96
    assert _timeless(late.output, "Dashboard") == _timeless(issued, "Dashboard")
    assert _timeless(late.output, "KPIs") == _timeless(issued, "KPIs")
    assert late.consolidated is not None
    assert published_figures(late.consolidated)[1] == pub.fingerprint
    with Ledger(ledger) as led:
        subs = led.submissions_frame("NW-CT", "2026-01")
    assert sorted(subs["status"]) == ["current", "current", "proposed"]

    # rmp status: January's returns are the published ones; the late file replaced nothing.
    status = _rmp("status", "--period", "2026-01", "--ledger", ledger, "--json")
    assert status.exit_code == 0, status.output
    states = json.loads(status.output)
    assert states["summary"]["superseded"] == 0
    assert {p["partner"]: p["file"] for p in states["partners"]}[NW] == proposal["previous_file"]

    # Closing January now is refused: a proposal awaits a decision.
    refused = _rmp("close", "--period", "2026-01", "--ledger", ledger)
    assert refused.exit_code == 1
    assert "awaits a decision" in refused.output and "rmp restatement" in refused.output

    # February: its Dashboard and Restatements sheet list the proposal.
    _month(rel, "2026-02", 97)
    feb = rel.merge("2026-02")
    assert feb.exit_code == 0 and feb.output is not None
    dashboard = _calamine_text(feb.output, "Dashboard")
    assert "Proposed restatement 1 of 2026-01: Northwind Ltd sent" in dashboard
    assert "K01 Actual 96 → 91" in dashboard
    (row,) = _rows(feb.output, "Restatements")
    assert (row["Status"], row["Period"], row["Partner"]) == ("proposed", "2026-01", NW)
    assert (row["Previous"], row["Restated"], row["Item"]) == (96, 91, "K01")
    # February's trend reads January as published (96 for both partners).
    assert feb.consolidated is not None
    jan = feb.consolidated.kpi_history[feb.consolidated.kpi_history["period"] == "2026-01"]
    assert sorted(jan["actual"]) == [96.0, 96.0]

    # A late Contoso workbook for January too: proposal 2, which is rejected.
    late_co = _late(rel, "2026-01", CO, 80)
    merged = _rmp(
        "merge", str(late_co.parent), "--period", "2026-01", "--config", str(rel.config_path),
        "--ledger", ledger, "-o", str(tmp_path / "jan-again.xlsx"),
    )  # fmt: skip
    assert merged.exit_code == 0, merged.output
    assert (
        f"{late_co.name} is for 2026-01, which is closed: not merged, recorded as proposed "
        "restatement 2 (K01 Actual 96 → 80)"
    ) in merged.output
    assert "2026-01 is closed: it shows published version 1" in merged.output
    rejected = _rmp(
        "restatement", "reject", "2", "--ledger", ledger, "--reason", "Not agreed with Northwind"
    )
    assert rejected.exit_code == 0, rejected.output
    assert "stays as issued" in rejected.output

    accepted = _rmp(
        "restatement", "accept", "1", "--ledger", ledger, "--reason", "Corrected after audit",
        "--json",
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    decision = json.loads(accepted.output)
    assert decision["accepted"] is True
    assert decision["publication"]["version"] == 2
    assert decision["publication"]["proposal_id"] == 1
    assert decision["publication"]["reason"] == "Corrected after audit"

    listed = json.loads(_rmp("restatement", "list", "--ledger", ledger, "--json").output)
    by_id = {p["id"]: p for p in listed["proposals"]}
    assert by_id[1]["status"] == "accepted" and by_id[1]["reason"] == "Corrected after audit"
    assert by_id[2]["status"] == "rejected" and by_id[2]["reason"] == "Not agreed with Northwind"
    assert by_id[1]["decided_by"] and by_id[1]["decided_at"]
    text = _rmp("restatement", "list", "--ledger", ledger, "--status", "rejected").output
    assert "Contoso plc:" in text and "Northwind Ltd:" not in text

    # A decision stands.
    twice = _rmp("restatement", "accept", "1", "--ledger", ledger)
    assert twice.exit_code == 2 and "was accepted" in twice.output
    assert _rmp("restatement", "reject", "9", "--ledger", ledger).exit_code == 2

    # January's new version: Northwind's 91 is in; Contoso's rejected 80 is not.
    with Ledger(ledger) as led:
        versions = led.publications("NW-CT", "2026-01", latest=False)
        subs = led.submissions_frame("NW-CT", "2026-01")
    assert [v.version for v in versions] == [1, 2]
    assert {(r["partner"], r["actual"]) for r in versions[1].figures["kpi_history"]} == {
        (NW, 91.0),
        (CO, 96.0),
    }
    assert sorted(subs["status"]) == ["current", "current", "rejected", "superseded"]
    # February rebuilt: January's trend point is the new published one; both decisions
    # are on the Restatements sheet and no notice is left on the Dashboard.
    feb2 = rel.merge("2026-02")
    assert feb2.consolidated is not None and feb2.output is not None
    jan = feb2.consolidated.kpi_history[feb2.consolidated.kpi_history["period"] == "2026-01"]
    assert dict(zip(jan["partner"], jan["actual"], strict=True)) == {NW: 91.0, CO: 96.0}
    statuses = {(r["Partner"], r["Status"]) for r in _rows(feb2.output, "Restatements")}
    assert statuses == {(NW, "accepted"), (CO, "rejected")}
    assert "Proposed restatement" not in _calamine_text(feb2.output, "Dashboard")


def _with_restated_row(path: Path, period: str, actual: float) -> None:
    """Add a row restating K01 for an earlier ``period`` to a filled workbook (a copy of
    its K01 row with another period and figure), as a partner correcting history would."""
    wb = openpyxl.load_workbook(path)
    ws = wb["KPIs"]
    header = [c.value for c in ws[1]]
    k01 = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "K01")
    empty = next(r for r in range(2, ws.max_row + 2) if all(c.value in (None, "") for c in ws[r]))
    for col in range(1, len(header) + 1):
        ws.cell(empty, col).value = ws.cell(k01, col).value
    ws.cell(empty, header.index("Period") + 1).value = period
    ws.cell(empty, header.index("Actual") + 1).value = actual
    wb.save(path)


def test_trends_and_change_read_published_figures_unless_unpublished(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    assert _rmp("close", "--period", "2026-01", "--ledger", str(rel.ledger)).exit_code == 0
    _month(rel, "2026-02", 97)
    # Northwind's February workbook also says January was 90 (a restatement after the close).
    _with_restated_row(rel.root / "returned" / "2026-02" / rel.templates("2026-02")[NW].name,
                       "2026-01", 90)  # fmt: skip
    feb = rel.merge("2026-02")
    assert feb.summary()["restatements"] == 1
    c = feb.consolidated
    assert c is not None and feb.output is not None
    jan = c.kpi_history[c.kpi_history["period"] == "2026-01"]
    assert dict(zip(jan["partner"], jan["actual"], strict=True)) == {NW: 96.0, CO: 96.0}
    (tile,) = kpi_tiles(c)
    assert tile.previous == 96 and tile.change == 1
    (row,) = _rows(feb.output, "Restatements")
    assert row["Status"] == "proposed" and row["Restated"] == 90

    # --unpublished: the ledger as it stands, the restated January counts.
    out = tmp_path / "unpublished.xlsx"
    raw = _rmp(
        "merge", str(rel.root / "returned" / "2026-02"), "--period", "2026-02",
        "--config", str(rel.config_path), "--ledger", str(rel.ledger), "-o", str(out),
        "--unpublished", "--json",
    )  # fmt: skip
    assert raw.exit_code == 0, raw.output
    from rmp_workbook.report import consolidated_from_ledger

    # rmp report reads the published January; --unpublished the restated one.
    r = consolidated_from_ledger(rel.ledger, "2026-02", config=rel.config)
    jan = r.kpi_history[r.kpi_history["period"] == "2026-01"]
    assert dict(zip(jan["partner"], jan["actual"], strict=True)) == {NW: 96.0, CO: 96.0}
    u = consolidated_from_ledger(rel.ledger, "2026-02", config=rel.config, unpublished=True)
    jan = u.kpi_history[u.kpi_history["period"] == "2026-01"]
    assert dict(zip(jan["partner"], jan["actual"], strict=True)) == {NW: 90.0, CO: 96.0}
    assert _rows(out, "Restatements")[0]["Restated"] == 90
    assert "Status" not in _rows(out, "Restatements")[0]


def test_closing_needs_the_month_in_the_ledger(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    nothing = _rmp("close", "--period", "2026-03", "--ledger", str(rel.ledger))
    assert nothing.exit_code == 2 and "no workbook" in nothing.output
    assert _rmp("close", "--ledger", str(rel.ledger)).exit_code == 2


def test_an_older_ledger_gains_the_publication_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    Ledger(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE restatement_proposals")
        db.execute("DROP TABLE publications")
    with Ledger(path) as led:
        notes = [m["note"] for m in led.migrations()]
        assert led.publications("X") == [] and led.proposals("X") == []
    assert "added tables publications, restatement_proposals" in notes


class _Url(str):
    """A database URL where :class:`months.Relationship` expects a ledger path."""

    def exists(self) -> bool:
        return False  # templates are the config's, not pre-filled from the ledger


def test_close_and_restatements_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    rel = Relationship(tmp_path / "rel")
    rel.ledger = _Url(postgres_database)  # type: ignore[assignment]
    _month(rel, "2026-01", 96)
    assert rel.merge("2026-01").exit_code == 0
    assert _rmp("close", "--period", "2026-01", "--ledger", postgres_database).exit_code == 0
    _late(rel, "2026-01", NW, 91)
    (proposal,) = rel.merge("2026-01").recorded.proposals  # type: ignore[union-attr]
    assert [c.text() for c in proposal.changes] == ["K01 Actual 96 → 91"]
    _month(rel, "2026-02", 97)
    feb = rel.merge("2026-02")
    assert feb.output is not None
    assert "Proposed restatement 1 of 2026-01" in _calamine_text(feb.output, "Dashboard")
    accepted = _rmp("restatement", "accept", str(proposal.id), "--ledger", postgres_database)
    assert accepted.exit_code == 0, accepted.output
    with Ledger(postgres_database) as led:
        latest = led.publications("NW-CT", "2026-01")[-1]
        assert latest.version == 2
        data = led.publication_workbook(latest.id)
    assert data is not None and hashlib.sha256(data).hexdigest() == latest.workbook_sha256
    assert {(r["partner"], r["actual"]) for r in latest.figures["kpi_history"]} == {
        (NW, 91.0),
        (CO, 96.0),
    }
    # The publications (workbook bytes included) copy to SQLite and verify.
    from rmp_workbook.ledger.transfer import copy_ledger

    copied = copy_ledger(postgres_database, tmp_path / "copy.sqlite")
    assert {t.name: t.rows for t in copied.tables}["publications"] == 2
    with Ledger(tmp_path / "copy.sqlite") as led:
        assert led.publication_workbook(latest.id) == data
        assert [p.status for p in led.proposals("NW-CT")] == ["accepted"]


def test_a_closed_month_rebuilds_as_issued_after_an_earlier_month_is_restated(
    tmp_path: Path,
) -> None:
    rel = Relationship(tmp_path / "rel")
    ledger = str(rel.ledger)
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    assert _rmp("close", "--period", "2026-01", "--ledger", ledger).exit_code == 0
    _month(rel, "2026-02", 97)
    rel.merge("2026-02")
    feb_issued = tmp_path / "feb.xlsx"
    assert (
        _rmp("close", "--period", "2026-02", "--ledger", ledger, "-o", str(feb_issued)).exit_code
        == 0
    )
    _late(rel, "2026-01", NW, 91)
    (proposal,) = rel.merge("2026-01").recorded.proposals  # type: ignore[union-attr]
    accepted = _rmp("restatement", "accept", str(proposal.id), "--ledger", ledger)
    assert accepted.exit_code == 0, accepted.output

    # February was issued with January at 96: rebuilt, it still is.
    feb = rel.merge("2026-02")
    assert feb.consolidated is not None and feb.output is not None
    jan = feb.consolidated.kpi_history[feb.consolidated.kpi_history["period"] == "2026-01"]
    assert dict(zip(jan["partner"], jan["actual"], strict=True)) == {NW: 96.0, CO: 96.0}
    assert _timeless(feb.output, "Dashboard") == _timeless(feb_issued, "Dashboard")
    # March, open, reads January's new version.
    _month(rel, "2026-03", 98)
    march = rel.merge("2026-03")
    assert march.consolidated is not None
    jan = march.consolidated.kpi_history[march.consolidated.kpi_history["period"] == "2026-01"]
    assert dict(zip(jan["partner"], jan["actual"], strict=True)) == {NW: 91.0, CO: 96.0}


def test_nothing_is_published_when_a_merge_changed_the_month_meanwhile(tmp_path: Path) -> None:
    from rmp_workbook.findings import LedgerError

    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    with Ledger(rel.ledger) as led:
        with pytest.raises(LedgerError, match="while it was being published"):
            led.publish("NW-CT", "2026-01", {"submissions": [1]}, "x", command="close", by="me")
        assert led.publications("NW-CT") == []


def test_a_closed_months_gaps_stay_as_issued_when_the_config_changes(tmp_path: Path) -> None:
    from months import CONFIG

    from rmp_workbook.merge import merge

    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    issued = tmp_path / "issued.xlsx"
    closed = _rmp(
        "close", "--period", "2026-01", "--config", str(rel.config_path),
        "--ledger", str(rel.ledger), "-o", str(issued),
    )  # fmt: skip
    assert closed.exit_code == 0, closed.output
    # A third partner joins the plan: January, as the ledger and the new config give it,
    # would miss its workbook; as published, it did not.
    rel.set_config(
        CONFIG + '\n[[relationship.partners]]\nname = "Fabrikam Inc"\ncontact = "Li Wei"\n'
        'email = "li.wei@fabrikam.example"\n'
    )
    rebuilt = rel.merge("2026-01")
    assert rebuilt.output is not None
    assert _timeless(rebuilt.output, "Gaps") == _timeless(issued, "Gaps")
    now = merge(
        [rel.root / "returned" / "2026-01"], ledger=rel.ledger, output=tmp_path / "now.xlsx",
        period="2026-01", config=rel.config, unpublished=True,
    )  # fmt: skip
    assert now.output is not None
    assert "Fabrikam Inc" in _calamine_text(now.output, "Gaps")
    assert "Fabrikam Inc" not in _calamine_text(rebuilt.output, "Gaps")
    # Closing January again with that config is refused: its figures would differ.
    again = _rmp(
        "close", "--period", "2026-01", "--config", str(rel.config_path),
        "--ledger", str(rel.ledger),
    )  # fmt: skip
    assert again.exit_code == 1 and "differ from the published ones" in again.output


def test_a_late_file_that_changes_no_figure_is_still_proposed(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    assert _rmp("close", "--period", "2026-01", "--ledger", str(rel.ledger)).exit_code == 0
    rel.returned("2026-01", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 96, "Comment": "Checked"}]})
    (proposal,) = rel.merge("2026-01").recorded.proposals  # type: ignore[union-attr]
    assert proposal.changes == [] and proposal.summary() == "no KPI or SLA figure changes"
    _month(rel, "2026-02", 97)
    feb = rel.merge("2026-02")
    assert feb.output is not None
    (row,) = _rows(feb.output, "Restatements")
    assert (row["Item"], row["Status"], row["Previous"]) == (
        "(no KPI or SLA figure changes)",
        "proposed",
        None,
    )
    listed = _rmp("restatement", "list", "--ledger", str(rel.ledger)).output
    assert f"{proposal.id}  2026-01  proposed  Northwind Ltd" in listed


def _restated_in_february(rel: Relationship, actual: float = 90) -> Any:
    """January merged and closed; February's Northwind workbook also says January's K01
    was ``actual`` (a restatement after the close). Returns February's merge."""
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    assert _rmp("close", "--period", "2026-01", "--ledger", str(rel.ledger)).exit_code == 0
    _month(rel, "2026-02", 97)
    _with_restated_row(rel.root / "returned" / "2026-02" / rel.templates("2026-02")[NW].name,
                       "2026-01", actual)  # fmt: skip
    return rel.merge("2026-02")


def _jan_points(c: Any) -> dict[str, float]:
    jan = c.kpi_history[c.kpi_history["period"] == "2026-01"]
    return dict(zip(jan["partner"], jan["actual"], strict=True))


def test_a_later_workbook_restating_a_closed_month_is_proposed_then_accepted(
    tmp_path: Path,
) -> None:
    rel = Relationship(tmp_path / "rel")
    ledger = str(rel.ledger)
    feb = _restated_in_february(rel)
    (proposal,) = feb.recorded.proposals  # type: ignore[union-attr]
    assert (proposal.kind, proposal.period, proposal.partner) == ("restated", "2026-01", NW)
    assert [c.text() for c in proposal.changes] == ["K01 Actual 96 → 90"]
    assert feb.to_dict()["proposed_restatements"][0]["kind"] == "restated"
    # Listed, and on February's Dashboard; January stays as published meanwhile.
    listed = _rmp("restatement", "list", "--ledger", ledger, "--status", "proposed").output
    assert f"{proposal.id}  2026-01  proposed  {NW}: {proposal.file} restates it" in listed
    assert "K01 Actual 96 → 90" in listed
    assert feb.output is not None and feb.consolidated is not None
    assert (
        f"Proposed restatement {proposal.id} of 2026-01: {NW} restated it in "
        f"{proposal.file} after the close (K01 Actual 96 → 90)"
    ) in _calamine_text(feb.output, "Dashboard")
    assert _jan_points(feb.consolidated) == {NW: 96.0, CO: 96.0}
    refused = _rmp("close", "--period", "2026-01", "--ledger", ledger)
    assert refused.exit_code == 1 and "awaits a decision" in refused.output

    accepted = _rmp("restatement", "accept", str(proposal.id), "--ledger", ledger, "--reason",
                    "Recount confirmed", "-o", str(tmp_path / "jan-v2.xlsx"), "--json")  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    decision = json.loads(accepted.output)
    assert decision["publication"]["version"] == 2
    assert decision["proposal"]["decided_by"] and decision["proposal"]["reason"]
    with Ledger(ledger) as led:
        latest = led.publications("NW-CT", "2026-01")[-1]
        subs = led.submissions_frame("NW-CT")
    assert {(r["partner"], r["actual"]) for r in latest.figures["kpi_history"]} == {
        (NW, 90.0),
        (CO, 96.0),
    }
    # Accepting changed no submission: January's workbooks and February's stay current.
    assert set(subs["status"]) == {"current"}
    # February rebuilt reads January's new version; its Restatements row says accepted.
    feb2 = rel.merge("2026-02")
    assert feb2.consolidated is not None and feb2.output is not None
    assert _jan_points(feb2.consolidated) == {NW: 90.0, CO: 96.0}
    (row,) = _rows(feb2.output, "Restatements")
    assert (row["Status"], row["Restated"]) == ("accepted", 90)
    assert "Proposed restatement" not in _calamine_text(feb2.output, "Dashboard")
    # January rebuilt from the ledger is its new version.
    from rmp_workbook.report import consolidated_from_ledger

    jan = consolidated_from_ledger(rel.ledger, "2026-01", config=rel.config)
    assert _jan_points(jan) == {NW: 90.0, CO: 96.0}
    again = _rmp("close", "--period", "2026-01", "--ledger", ledger)
    assert again.exit_code == 0 and "nothing new" in again.output


def test_a_later_workbook_restating_a_closed_month_rejected(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    ledger = str(rel.ledger)
    feb = _restated_in_february(rel)
    (proposal,) = feb.recorded.proposals  # type: ignore[union-attr]
    rejected = _rmp("restatement", "reject", str(proposal.id), "--ledger", ledger)
    assert rejected.exit_code == 0 and "stays as issued" in rejected.output
    with Ledger(ledger) as led:
        assert len(led.publications("NW-CT", "2026-01", latest=False)) == 1
        (p,) = led.proposals("NW-CT")
        assert (p.status, p.kind) == ("rejected", "restated") and p.decided_by
    feb2 = rel.merge("2026-02")
    assert feb2.consolidated is not None and feb2.output is not None
    assert _jan_points(feb2.consolidated) == {NW: 96.0, CO: 96.0}
    (row,) = _rows(feb2.output, "Restatements")
    assert row["Status"] == "rejected"
    again = _rmp("close", "--period", "2026-01", "--ledger", ledger)
    assert again.exit_code == 0 and "nothing new" in again.output


def test_a_later_workbook_restating_to_the_published_figure_proposes_nothing(
    tmp_path: Path,
) -> None:
    """February says January's K01 was 96, as published, after a late January workbook
    said 91 (proposed, not decided): nothing new to propose against the publication."""
    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    assert _rmp("close", "--period", "2026-01", "--ledger", str(rel.ledger)).exit_code == 0
    _month(rel, "2026-02", 97)
    _with_restated_row(rel.root / "returned" / "2026-02" / rel.templates("2026-02")[NW].name,
                       "2026-01", 96)  # fmt: skip
    feb = rel.merge("2026-02")
    assert feb.recorded is not None and feb.recorded.proposals == []


def test_a_later_workbook_restating_a_closed_month_on_postgresql(
    tmp_path: Path, postgres_database: str
) -> None:
    rel = Relationship(tmp_path / "rel")
    rel.ledger = _Url(postgres_database)  # type: ignore[assignment]
    feb = _restated_in_february(rel)
    (proposal,) = feb.recorded.proposals  # type: ignore[union-attr]
    assert proposal.kind == "restated"
    accepted = _rmp("restatement", "accept", str(proposal.id), "--ledger", postgres_database)
    assert accepted.exit_code == 0, accepted.output
    with Ledger(postgres_database) as led:
        latest = led.publications("NW-CT", "2026-01")[-1]
    assert latest.version == 2
    assert {(r["partner"], r["actual"]) for r in latest.figures["kpi_history"]} == {
        (NW, 90.0),
        (CO, 96.0),
    }
    feb2 = rel.merge("2026-02")
    assert feb2.consolidated is not None
    assert _jan_points(feb2.consolidated) == {NW: 90.0, CO: 96.0}


def test_a_resent_later_workbook_withdraws_its_restatement_proposal(tmp_path: Path) -> None:
    """February restates January (96 → 90), then Northwind resends February saying 91:
    the first proposal is rejected, saying why; the resent workbook proposes 96 → 91."""
    rel = Relationship(tmp_path / "rel")
    feb = _restated_in_february(rel)
    (first,) = feb.recorded.proposals  # type: ignore[union-attr]
    resent = rel.returned("2026-02", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 97}]},
                          received=dt.date(2026, 3, 9))  # fmt: skip
    _with_restated_row(resent, "2026-01", 91)
    again = rel.merge("2026-02")
    (second,) = again.recorded.proposals  # type: ignore[union-attr]
    assert [c.text() for c in second.changes] == ["K01 Actual 96 → 91"]
    with Ledger(rel.ledger) as led:
        by_id = {p.id: p for p in led.proposals("NW-CT")}
    assert by_id[first.id].status == "rejected" and by_id[first.id].decided_by
    assert by_id[first.id].reason == (
        f"its workbook was superseded by {resent.name}, which proposes its own restatements"
    )
    assert by_id[second.id].status == "proposed"
    assert again.output is not None
    (row,) = _rows(again.output, "Restatements")
    assert (row["Status"], row["Restated"]) == ("proposed", 91)


def test_rmp_merge_says_a_later_workbook_restates_a_closed_month(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-01", 96)
    rel.merge("2026-01")
    assert _rmp("close", "--period", "2026-01", "--ledger", str(rel.ledger)).exit_code == 0
    _month(rel, "2026-02", 97)
    feb = rel.root / "returned" / "2026-02"
    _with_restated_row(feb / rel.templates("2026-02")[NW].name, "2026-01", 90)
    merged = _rmp(
        "merge", str(feb), "--period", "2026-02", "--config", str(rel.config_path),
        "--ledger", str(rel.ledger), "-o", str(tmp_path / "feb.xlsx"),
    )  # fmt: skip
    assert merged.exit_code == 0, merged.output
    assert (
        f"{rel.templates('2026-02')[NW].name} restates 2026-01, which is closed: not "
        "published, recorded as proposed restatement 1 (K01 Actual 96 → 90); decide with "
        "rmp restatement accept 1 or reject 1"
    ) in merged.output
