"""A partner who leaves: its open items leave the current view, a gap lists them until they
are reassigned, its history stays, and the health check averages current partners only.

Real files month after month: templates from the config pre-filled from the ledger, typed
through openpyxl, merged into one ledger; the consolidated workbooks are read back with
openpyxl.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from months import CO, FAB, K01, NW, Relationship, config_text, member, sheet_rows

from rmp_workbook.merge import MergeResult
from rmp_workbook.records import Consolidated

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")


def _config(k02_owner: str) -> str:
    """Three partners, Fabrikam leaving on 20 March; K02's owner as given."""
    k02 = {"id": "K02", "name": "Defects", "unit": "%", "direction": "Lower is better",
           "target": 2, "amber": 4, "owner": k02_owner}  # fmt: skip
    return config_text(
        NW, CO, member(FAB, left=dt.date(2026, 3, 20)), kpis=[K01, k02], due="day 10"
    )


def _kpis(k01: float, k02: float) -> list[dict[str, Any]]:
    return [{"KPI ID": "K01", "Actual": k01}, {"KPI ID": "K02", "Actual": k02}]


def _health(trust: int) -> list[dict[str, Any]]:
    return [{"Behaviour": "Trust", "Score": trust}, {"Behaviour": "Openness", "Score": 4}]


RISK_R07 = {"Risk ID": "R07", "Risk": "Depot lease ends", "Likelihood": 4, "Impact": 5,
            "Owner": FAB, "Status": "Open", "Raised on": dt.datetime(2026, 2, 3)}  # fmt: skip
RISK_R01 = {"Risk ID": "R01", "Risk": "Driver shortage", "Likelihood": 2, "Impact": 3,
            "Owner": NW, "Status": "Open", "Raised on": dt.datetime(2026, 2, 3)}  # fmt: skip
ACTION_A03 = {"Action ID": "A03", "Area": "Exit strategy", "Action": "Hand over the depot keys",
              "Owner": FAB, "Due": dt.datetime(2026, 6, 30), "Status": "Open"}  # fmt: skip


def _view(result: MergeResult) -> Consolidated:
    assert result.exit_code == 0, result.to_dict()
    assert result.consolidated is not None
    return result.consolidated


def _ids(c: Consolidated, key: str, col: str) -> list[str]:
    return [str(v) for v in c.tables[key][col]]


def _texts(path: Path | None, sheet: str) -> set[str]:
    assert path is not None
    ws = openpyxl.load_workbook(path)[sheet]
    return {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}


def _left_gap(c: Consolidated) -> list[tuple[str, str]]:
    return [(g.item, str(g.value)) for g in c.gaps if g.rule == "partner-left-open-items"]


def _run(tmp_path: Path) -> tuple[Relationship, Consolidated, Consolidated]:
    rel = Relationship(tmp_path / "rel", _config(k02_owner=FAB))
    fab = {"KPIs": _kpis(95, 3), "Risks": [RISK_R07], "Actions": [ACTION_A03],
           "Health check": _health(1)}  # fmt: skip
    for period in ("2026-02", "2026-03"):
        rel.returned(period, NW, {"KPIs": _kpis(96, 1.5), "Risks": [RISK_R01],
                                  "Health check": _health(4)})  # fmt: skip
        rel.returned(period, CO, {"KPIs": _kpis(96, 1.5), "Health check": _health(4)})
        rel.returned(period, FAB, fab)
        if period == "2026-02":
            _view(rel.merge(period))
    march = _view(rel.merge("2026-03"))
    # April: Fabrikam left on 20 March. The others' templates carry the joint registers.
    assert FAB not in rel.config.former("2026-03") and FAB in rel.config.former("2026-04")
    rel.returned("2026-04", NW, {"KPIs": _kpis(97, 1.0), "Health check": _health(4)})
    rel.returned("2026-04", CO, {"KPIs": _kpis(97, 1.0), "Health check": _health(5)})
    april = _view(rel.merge("2026-04"))
    return rel, march, april


def test_a_partner_who_left_leaves_the_current_view_not_the_history(tmp_path: Path) -> None:
    rel, march, april = _run(tmp_path)

    # March, Fabrikam still a partner: its risk, action and KPI are in the view.
    assert "R07" in _ids(march, "risks", "risk_id")
    assert "A03" in _ids(march, "actions", "action_id")
    assert "K02" in _ids(march, "kpis", "kpi_id")
    assert not _left_gap(march) and not march.retired

    # April: they are retired from the reconciled rows, the tiles and the heat map...
    assert _ids(april, "risks", "risk_id") == ["R01"]
    assert "A03" not in _ids(april, "actions", "action_id")
    assert _ids(april, "kpis", "kpi_id") == ["K01"]
    assert sorted((r.sheet, r.item, r.partner) for r in april.retired) == [
        ("actions", "A03 Hand over the depot keys", FAB),
        ("kpis", "K02 Defects", FAB),
        ("risks", "R07 Depot lease ends", FAB),
    ]
    # ... and one gap lists them until they are reassigned.
    ((item, value),) = _left_gap(april)
    assert item == f"{FAB} left on 2026-03-20"
    assert sorted(value.split(", ")) == ["A03 Hand over the depot keys", "K02 Defects",
                                         "R07 Depot lease ends"]  # fmt: skip

    # The consolidated workbook, read back: no R07 on Risks or the Dashboard's heat map,
    # no K02 tile; the gap is on the Gaps sheet.
    out = rel.root / "consolidated-2026-04.xlsx"
    assert [r["Risk ID"] for r in sheet_rows(out, "Risks")] == ["R01"]
    # (the top gaps list the gap's next step, which names them: left out here)
    dashboard = {t for t in _texts(out, "Dashboard") if not t.startswith("Agree who takes")}
    assert any("K01" in t or "On-time" in t for t in dashboard)
    assert not any("R07" in t for t in dashboard)
    assert not any("K02" in t or "Defects" in t for t in dashboard)
    assert not any("Defects" in t for t in _texts(out, "Chart data"))
    assert any("R07" in t for t in _texts(out, "Gaps"))
    march_dash = _texts(rel.root / "consolidated-2026-03.xlsx", "Dashboard")
    assert any("R07" in t for t in march_dash) and any("Defects" in t for t in march_dash)

    # History stays: Fabrikam's figures are in April's KPI history and in the ledger.
    hist = april.kpi_history
    fab = hist[hist["partner"] == FAB]
    assert sorted(set(fab["period"].astype(str))) == ["2026-02", "2026-03"]
    from rmp_workbook.ledger import Ledger

    with Ledger(rel.ledger, create=False) as led:
        subs = led.submissions_frame("NW-CT")
    assert sorted(subs[subs["partner"] == FAB]["period"].astype(str)) == ["2026-02", "2026-03"]


def test_health_check_counts_current_partners_only(tmp_path: Path) -> None:
    _rel, march, april = _run(tmp_path)
    trust = {
        c.period: dict(zip(c.tables["health"]["behaviour"], c.tables["health"]["score"],
                           strict=True))["Trust"]
        for c in (march, april)
    }  # fmt: skip
    assert trust == {"2026-03": 3.0, "2026-04": 4.5}  # (4+4+1)/3, then (4+5)/2
    assert set(april.health_by_partner["partner"]) == {NW, CO}
    gaps = {c.period: [g.item for g in c.gaps if g.rule == "health-perception-gap"]
            for c in (march, april)}  # fmt: skip
    assert gaps["2026-03"] and not gaps["2026-04"]


def test_reassigned_items_come_back(tmp_path: Path) -> None:
    rel, _march, _april = _run(tmp_path)
    # Contoso takes over K02 in the config; Northwind names itself owner of R07 in a new
    # April workbook. A03 stays with Fabrikam: it is still listed.
    rel.set_config(_config(k02_owner=CO))
    again = {**RISK_R07, "Owner": NW}
    rel.returned("2026-04", NW, {"KPIs": _kpis(97, 1.0), "Risks": [again],
                                 "Health check": _health(4)})  # fmt: skip
    april = _view(rel.merge("2026-04"))
    assert "K02" in _ids(april, "kpis", "kpi_id")
    assert "R07" in _ids(april, "risks", "risk_id")
    ((_item, value),) = _left_gap(april)
    assert value == "A03 Hand over the depot keys"
    out = rel.root / "consolidated-2026-04.xlsx"
    assert any("Defects" in t for t in _texts(out, "Dashboard"))


def test_an_owner_naming_a_current_partner_is_not_retired() -> None:
    """A current partner whose name contains a former one's keeps its items; the former
    partner's own open risk is retired, its closed one simply leaves the view."""
    from frames import combine, risk, submission

    from rmp_workbook.reconcile import consolidate

    rail, old = "Contoso Rail plc", "Contoso"
    frames = combine(
        submission(old, "2026-02", risks=[risk(risk_id="R09", owner=old, status="Open"),
                                          risk(risk_id="R10", owner=old, status="Closed")]),
        submission(rail, "2026-04", risks=[risk(risk_id="R01", owner=rail, status="Open"),
                                           risk(risk_id="R02", owner=old, status="Open")]),
    )  # fmt: skip
    c = consolidate(
        frames, relationship_id="X", relationship_name="X", period="2026-04",
        expected_partners=[rail], former_partners={old: "2026-03-01"},
    )  # fmt: skip
    assert list(c.tables["risks"]["risk_id"]) == ["R01"]
    assert sorted((r.key, r.partner, r.why) for r in c.retired) == [
        (("r02",), old, "owner"),
        (("r09",), old, "reported"),
    ]
    assert [g.partners for g in c.gaps if g.rule == "partner-left-open-items"] == [old]


def test_a_view_rebuilt_without_the_config_retires_the_same(tmp_path: Path) -> None:
    """rmp report without --config: the plan the ledger stored says who had left."""
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.merge import consolidated_view

    rel, _march, april = _run(tmp_path)
    with Ledger(rel.ledger, create=False) as led:
        again = consolidated_view(led, "NW-CT", "2026-04")
        march = consolidated_view(led, "NW-CT", "2026-03")
    assert again.former_partners == {FAB: "2026-03-20"}
    assert FAB not in again.expected_partners
    assert sorted(r.item for r in again.retired) == sorted(r.item for r in april.retired)
    assert again.due == dt.date(2026, 5, 10)
    assert "R07" in _ids(march, "risks", "risk_id") and not march.retired


def _noted(path: Path, sheet: str, key: str) -> dict[str, tuple[Any, str | None]]:
    """A register's rows read back with openpyxl: key -> (Owner, the Owner cell's note)."""
    ws = openpyxl.load_workbook(path)[sheet]
    cols = {c.value: c.column for c in ws[1]}
    out = {}
    for r in range(2, ws.max_row + 1):
        ident = ws.cell(r, cols[key]).value
        if ident is not None:
            owner = ws.cell(r, cols["Owner"])
            out[str(ident)] = (owner.value, owner.comment.text if owner.comment else None)
    return out


def test_current_partners_templates_carry_the_departed_partners_open_items(
    tmp_path: Path,
) -> None:
    """The month after Fabrikam left, the others' templates carry its open risk and action
    (owner still Fabrikam, a note asks to reassign); closed items are not. Once
    Northwind returns the risk as its own, the gap no longer lists it and it is current."""
    from rmp_workbook.prefill import REASSIGN

    rel = Relationship(tmp_path / "rel", _config(k02_owner=CO))
    closed = {**RISK_R07, "Risk ID": "R08", "Risk": "Old lease", "Status": "Closed"}
    done = {**ACTION_A03, "Action ID": "A04", "Action": "Return the badges", "Status": "Done"}
    rel.returned("2026-02", NW, {"KPIs": _kpis(96, 1.5), "Risks": [RISK_R01]})
    rel.returned("2026-02", CO, {"KPIs": _kpis(96, 1.5)})
    rel.returned("2026-02", FAB, {"KPIs": _kpis(95, 3), "Risks": [RISK_R07, closed],
                                  "Actions": [ACTION_A03, done]})  # fmt: skip
    _view(rel.merge("2026-02"))
    for partner in (NW, CO):
        rel.returned("2026-03", partner, {"KPIs": _kpis(96, 1.5)})
    march = _view(rel.merge("2026-03"))
    assert "R07" in _ids(march, "risks", "risk_id") and not march.retired

    # April's templates (rmp template --all --ledger), read back with openpyxl.
    templates = rel.templates("2026-04")
    assert not templates[FAB].exists()  # Fabrikam is no longer sent one
    for partner in (NW, CO):
        risks = _noted(templates[partner], "Risks", "Risk ID")
        assert risks["R07"] == (FAB, REASSIGN)
        # A closed item is not carried for reassignment: the joint register shows R08
        # Closed, as every closed risk, without a note; the closed action is not there.
        assert risks["R08"] == (FAB, None)
        assert "A04" not in _noted(templates[partner], "Actions", "Action ID")
        assert risks.get("R01", (NW, None)) == (NW, None)  # a current partner's: no note
        assert _noted(templates[partner], "Actions", "Action ID")["A03"] == (FAB, REASSIGN)

    # Returned untouched, they are still retired and listed by the gap.
    rel.returned("2026-04", CO, {"KPIs": _kpis(97, 1.0)})
    rel.returned("2026-04", NW, {"KPIs": _kpis(97, 1.0)})
    april = _view(rel.merge("2026-04"))
    ((_item, value),) = _left_gap(april)
    assert sorted(value.split(", ")) == ["A03 Hand over the depot keys", "R07 Depot lease ends"]
    assert "R07" not in _ids(april, "risks", "risk_id")

    # Northwind names itself owner of R07 on the pre-filled row: the gap lists only A03.
    rel.returned("2026-04", NW, {"KPIs": _kpis(97, 1.0), "Risks": [{"Risk ID": "R07",
                                                                    "Owner": NW}]})  # fmt: skip
    april = _view(rel.merge("2026-04"))
    ((_item, value),) = _left_gap(april)
    assert value == "A03 Hand over the depot keys"
    risks = april.tables["risks"]
    assert dict(zip(risks["risk_id"], risks["owner"], strict=True))["R07"] == NW
    out = rel.root / "consolidated-2026-04.xlsx"
    assert {r["Risk ID"]: r["Owner"] for r in sheet_rows(out, "Risks")}["R07"] == NW
    # May's template carries the reassigned risk without a note, A03 still with one.
    may = rel.templates("2026-05")[CO]
    assert _noted(may, "Risks", "Risk ID")["R07"] == (NW, None)
    assert _noted(may, "Actions", "Action ID")["A03"] == (FAB, REASSIGN)
