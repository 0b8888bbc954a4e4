"""Registers across months: closed risks stay closed, registers carry forward, the config
wins over last month's values. Real workbooks: templates from the config pre-filled from
the ledger, typed through openpyxl, merged month after month into one ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from months import CO, CONFIG, NW, Relationship, form_values, sheet_rows

from rmp_workbook.merge import MergeResult

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")

KPI = [{"KPI ID": "K01", "Actual": 96}]


def _risk(status: str, risk_id: str = "R01", owner: str = NW) -> dict[str, Any]:
    return {"Risk ID": risk_id, "Risk": f"Risk {risk_id}", "Likelihood": 4, "Impact": 4,
            "Owner": owner, "Status": status, "Raised on": dt.datetime(2026, 9, 1)}  # fmt: skip


def _risks(result: MergeResult) -> dict[str, str]:
    assert result.consolidated is not None
    table = result.consolidated.tables["risks"]
    return dict(zip(table["risk_id"], table["status"], strict=True))


def _risk_gaps(result: MergeResult) -> list[str]:
    assert result.consolidated is not None
    return [g.item for g in result.consolidated.gaps if g.rule == "risk-high-score"]


def _status_discrepancies(result: MergeResult) -> list[tuple[str, str, str]]:
    assert result.consolidated is not None
    d = result.consolidated.discrepancies
    d = d[(d["sheet"] == "Risks") & (d["column"] == "Status")]
    return list(zip(d["item"], d["values"], d["rule"], strict=True))


def test_a_risk_closed_by_its_owner_stays_closed(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    rel.returned("2026-09", NW, {"KPIs": KPI, "Risks": [_risk("Open")]})
    rel.returned("2026-09", CO, {"KPIs": KPI, "Risks": [_risk("Open", "R02", CO)]})
    september = rel.merge("2026-09")
    assert _risks(september) == {"R01": "Open", "R02": "Open"}

    # Every partner's October template shows the whole joint register, not only its rows.
    for partner in (NW, CO):
        rows = sheet_rows(rel.templates("2026-10")[partner], "Risks")
        assert [(r["Risk ID"], r["Status"]) for r in rows] == [("R01", "Open"), ("R02", "Open")]

    # The owner closes R01; Contoso's copy still says Open.
    rel.returned("2026-10", NW, {"KPIs": KPI, "Risks": [{"Risk ID": "R01", "Status": "Closed"}]})
    rel.returned("2026-10", CO, {"KPIs": KPI})
    october = rel.merge("2026-10")
    assert _risks(october)["R01"] == "Closed"
    assert "R01 Risk R01" not in _risk_gaps(october)
    assert _status_discrepancies(october) == [
        ("R01 Risk R01", f"{NW}: Closed; {CO}: Open", f"Owner's figure ({NW})")
    ]

    # November: the templates mark R01 Closed for everyone. The owner's workbook leaves
    # the risk out altogether; Contoso types Open again: not the owner, so not a reopen.
    for partner in (NW, CO):
        rows = sheet_rows(rel.templates("2026-11")[partner], "Risks")
        assert ("R01", "Closed") in [(r["Risk ID"], r["Status"]) for r in rows]
    nw = rel.returned("2026-11", NW, {"KPIs": KPI})
    wb = openpyxl.load_workbook(nw)
    ws = wb["Risks"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "R01":
            for cell in row:
                if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                    cell.value = None
    wb.save(nw)
    rel.returned("2026-11", CO, {"KPIs": KPI, "Risks": [{"Risk ID": "R01", "Status": "Open"}]})
    november = rel.merge("2026-11")
    assert _risks(november)["R01"] == "Closed"
    assert _risk_gaps(november) == ["R02 Risk R02"]
    assert [d[1] for d in _status_discrepancies(november)] == [f"{NW}: Closed; {CO}: Open"]

    # A reopen comes from the owner: then the risk is open, and Red, again.
    rel.returned("2026-12", NW, {"KPIs": KPI, "Risks": [{"Risk ID": "R01", "Status": "Open"}]})
    rel.returned("2026-12", CO, {"KPIs": KPI})
    december = rel.merge("2026-12")
    assert _risks(december)["R01"] == "Open"
    assert "R01 Risk R01" in _risk_gaps(december)


def _dashboard_texts(path: Path | None) -> set[str]:
    assert path is not None
    ws = openpyxl.load_workbook(path)["Dashboard"]
    return {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}


def test_registers_carry_forward_and_are_prefilled(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    rel.returned(
        "2026-09",
        NW,
        {
            "KPIs": KPI,
            "Successes": [{"Date": dt.datetime(2026, 9, 12), "Success": "First joint bid won"}],
            "Testimonials": [
                {"Date": dt.datetime(2026, 9, 20), "From": "J. Doe", "Testimonial": "A pleasure.",
                 "May be shared": "Yes"},
            ],
            "Stages": [{"Stage": "Working together", "Status": "In progress", "Progress %": 0.6}],
            "Health check": [{"Behaviour": "Trust", "Score": 4}],
        },
        form={"Scope": "Joint logistics for the north region"},
    )  # fmt: skip
    rel.returned("2026-09", CO, {"KPIs": KPI})
    assert "First joint bid won" in _dashboard_texts(rel.merge("2026-09").output)

    # October's templates start from the last agreed values.
    nw_template = rel.templates("2026-10")[NW]
    assert [r["Success"] for r in sheet_rows(nw_template, "Successes")] == ["First joint bid won"]
    assert [r["From"] for r in sheet_rows(nw_template, "Testimonials")] == ["J. Doe"]
    stages = {r["Stage"]: r for r in sheet_rows(nw_template, "Stages")}
    assert (stages["Working together"]["Status"], stages["Working together"]["Progress %"]) == (
        "In progress",
        0.6,
    )
    assert form_values(nw_template)["Scope"] == "Joint logistics for the north region"
    trust = next(r for r in sheet_rows(nw_template, "Health check") if r["Behaviour"] == "Trust")
    assert trust["Score"] == 4
    co_template = rel.templates("2026-10")[CO]
    # A testimonial stays with the partner that recorded it; successes are joint.
    assert sheet_rows(co_template, "Testimonials") == []
    assert [r["Success"] for r in sheet_rows(co_template, "Successes")] == ["First joint bid won"]

    # Northwind returns a workbook with its registers emptied (a fresh copy): nothing vanishes.
    blank = rel.returned("2026-10", NW, {"KPIs": KPI})
    wb = openpyxl.load_workbook(blank)
    for name in ("Successes", "Testimonials"):
        for row in wb[name].iter_rows(min_row=2):
            for cell in row:
                cell.value = None
    wb.save(blank)
    rel.returned("2026-10", CO, {"KPIs": KPI})
    october = rel.merge("2026-10")
    assert october.consolidated is not None
    assert list(october.consolidated.tables["successes"]["success"]) == ["First joint bid won"]
    assert list(october.consolidated.tables["testimonials"]["from_person"]) == ["J. Doe"]
    texts = _dashboard_texts(october.output)
    assert "First joint bid won" in texts and "No successes recorded yet." not in texts

    # Removing is said on purpose: Keep or remove = Remove. Contoso's copy (pre-filled, left
    # as it was) does not bring it back, and December's templates no longer carry it.
    rel.returned(
        "2026-11",
        NW,
        {
            "KPIs": KPI,
            "Successes": [{"Date": dt.datetime(2026, 9, 12), "Keep or remove": "Remove"}],
        },
    )
    rel.returned("2026-11", CO, {"KPIs": KPI})
    november = rel.merge("2026-11")
    assert november.consolidated is not None
    assert november.consolidated.tables["successes"].empty
    assert list(november.consolidated.tables["testimonials"]["from_person"]) == ["J. Doe"]
    assert "No successes recorded yet." in _dashboard_texts(november.output)
    for partner in (NW, CO):
        assert sheet_rows(rel.templates("2026-12")[partner], "Successes") == []


AGREED = CONFIG.replace(
    'owner = "Northwind Ltd"\n',
    # K01 names both partners (one spelt as people do); K02 below names Northwind only.
    'owner = "Northwind Ltd"\nreported_by = ["Northwind Ltd", "Contoso PLC"]\n',
) + (
    '\n[[relationship.kpis]]\nid = "K02"\nname = "Defects"\nunit = "count"\n'
    'direction = "Lower is better"\ntarget = 5\namber = 8\nowner = "Northwind Ltd"\n'
    'reported_by = ["Northwind Ltd"]\n'
)


def test_the_config_wins_over_last_months_values(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel", AGREED)
    assert [k.reported_by for k in rel.config.kpis] == [[NW, "Contoso PLC"], [NW]]
    nw_rows = sheet_rows(rel.templates("2026-09")[NW], "KPIs")
    assert [r["KPI ID"] for r in nw_rows] == ["K01", "K02"]
    rel.returned("2026-09", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 96},
                                          {"KPI ID": "K02", "Actual": 4}]})  # fmt: skip
    # Contoso is asked for K01 (named however it is spelt), not for K02, and adds a KPI
    # nobody agreed.
    co_rows = sheet_rows(rel.templates("2026-09")[CO], "KPIs")
    assert [r["KPI ID"] for r in co_rows] == ["K01"]
    rel.returned("2026-09", CO, {"KPIs": [{"KPI ID": "K01", "Actual": 96},
                                          {"KPI ID": "K77", "KPI": "Smiles", "Period": "2026-09",
                                           "Actual": 3}]})  # fmt: skip
    september = rel.merge("2026-09")
    assert not [f for f in september.left_out if f.code == "required"]
    # The KPI nobody agreed is counted, and flagged with its cell on the Data quality sheet.
    assert september.consolidated is not None
    assert "K77" in set(september.consolidated.tables["kpis"]["kpi_id"])
    assert september.output is not None
    quality = openpyxl.load_workbook(september.output)["Data quality"]
    header = [c.value for c in quality[1]]
    flagged = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in quality.iter_rows(min_row=2)
    ]
    flagged = [f for f in flagged if f.get("Code") == "kpi-not-agreed"]
    assert [(f["File"], f["Sheet"], f["Cell"], f["Severity"]) for f in flagged] == [
        ("contoso-plc-2026-09.xlsx", "KPIs", "A3", "warning")
    ]

    # The target and owner change in the config: October's templates take the new values.
    rel.set_config(
        AGREED.replace("target = 95", "target = 97").replace(
            'amber = 90\nowner = "Northwind Ltd"', 'amber = 92\nowner = "Contoso plc"'
        )
    )
    for partner in (NW, CO):
        rows = {r["KPI ID"]: r for r in sheet_rows(rel.templates("2026-10")[partner], "KPIs")}
        assert (rows["K01"]["Target"], rows["K01"]["Amber threshold"], rows["K01"]["Owner"]) == (
            97,
            92,
            CO,
        )
        # The KPI nobody agreed is not pushed to the partner that never reported it.
        assert ("K77" in rows) is (partner == CO)
        assert ("K02" in rows) is (partner == NW)
