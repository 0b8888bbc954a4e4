"""Plan-area gap rules: each fires past its boundary, aged against the period's end."""

from __future__ import annotations

import datetime as dt

import pytest
from frames import combine, contact, row, submission

from rmp_workbook.config import Thresholds
from rmp_workbook.gaps import RULES
from rmp_workbook.plan_areas import add_months, communication_due
from rmp_workbook.reconcile import consolidate
from rmp_workbook.records import Consolidated, Gap

NW, CO = "Northwind Ltd", "Contoso plc"
SEP, OCT, NOV = "2026-09", "2026-10", "2026-11"
END = {SEP: dt.date(2026, 9, 30), OCT: dt.date(2026, 10, 31), NOV: dt.date(2026, 11, 30)}
EXIT_OK = row("exit", last_reviewed=dt.date(2026, 9, 1))


def run(frames, period=NOV, thresholds=None, expected=(NW,)) -> Consolidated:
    return consolidate(
        frames,
        relationship_id="NW-CO",
        relationship_name="Northwind and Contoso",
        period=period,
        expected_partners=list(expected),
        thresholds=thresholds or Thresholds(),
        today=END[period],  # the gaps of a month are aged against its last day
    )


def month(period, partner=NW, **sheets):
    sheets.setdefault("exit", [EXIT_OK])
    sheets.setdefault("contacts", [contact(escalation_level=3)])
    return submission(partner, period, **sheets)


def gaps(c: Consolidated, code: str) -> list[Gap]:
    return [g for g in c.gaps if g.rule == code]


def test_rules_are_registered_after_the_others_with_their_thresholds():
    codes = [r.code for r in RULES]
    plan = [
        "communication-overdue",
        "development-need-overdue",
        "value-behind-estimate",
        "exit-plan-missing",
        "exit-plan-not-reviewed",
        "information-no-owner",
    ]
    assert codes[-len(plan) :] == plan
    by_code = {r.code: r for r in RULES}
    assert by_code["exit-plan-not-reviewed"].thresholds == ("exit_review_months",)
    assert by_code["value-behind-estimate"].thresholds == ("value_behind_red",)


def test_communication_overdue_over_three_months():
    """Next due 18 October: quiet at the end of September, overdue at the ends of Oct and Nov."""
    comm = row("communications", comm_id="C02", audience="Operations staff",
               last_done=dt.date(2026, 9, 20), next_due=dt.date(2026, 10, 18))  # fmt: skip
    frames = combine(*(month(p, communications=[comm]) for p in (SEP, OCT, NOV)))
    assert gaps(run(frames, SEP), "communication-overdue") == []
    [oct_gap] = gaps(run(frames, OCT), "communication-overdue")
    [nov_gap] = gaps(run(frames, NOV), "communication-overdue")
    assert (oct_gap.area, oct_gap.item, oct_gap.severity) == (
        "Communications plan", "C02 Operations staff", "Amber"
    )  # fmt: skip
    assert oct_gap.value == "13 days overdue, last done 2026-09-20"
    assert nov_gap.value == "43 days overdue, last done 2026-09-20"
    assert oct_gap.since == nov_gap.since == "2026-10-19"
    assert oct_gap.target == "done by 2026-10-18"


def test_communication_due_falls_back_to_last_done_plus_frequency():
    assert communication_due({"last_done": dt.date(2026, 10, 1), "frequency": "Weekly"}) == (
        dt.date(2026, 10, 8)
    )
    assert communication_due({"last_done": dt.date(2026, 10, 1), "frequency": "As needed"}) is None
    comm = row("communications", next_due=None, last_done=dt.date(2026, 10, 1),
               frequency="Monthly")  # fmt: skip
    assert gaps(run(month(OCT, communications=[comm]), OCT), "communication-overdue") == []
    [g] = gaps(run(month(NOV, communications=[comm]), NOV), "communication-overdue")
    assert g.target == "done by 2026-11-01" and g.since == "2026-11-02"


def test_development_need_overdue_until_met():
    need = row("development", need_id="D02", need="Portal training", due=dt.date(2026, 10, 15),
               status="In progress")  # fmt: skip
    met = {**need, "status": "Met"}
    frames = combine(
        month(SEP, development=[need]),
        month(OCT, development=[need]),
        month(NOV, development=[met]),
    )
    assert gaps(run(frames, SEP), "development-need-overdue") == []
    [g] = gaps(run(frames, OCT), "development-need-overdue")
    assert (g.item, g.value, g.since) == (
        "D02 Portal training", "16 days overdue (In progress)", "2026-10-16"
    )  # fmt: skip
    assert gaps(run(frames, NOV), "development-need-overdue") == [], "Met ends the need"
    cancelled = {**need, "status": "Cancelled"}
    assert gaps(run(month(NOV, development=[cancelled])), "development-need-overdue") == []


@pytest.mark.parametrize(
    ("realised", "status", "target", "severity"),
    [
        (40000, "In progress", dt.date(2026, 12, 31), None),  # still time
        (40000, "In progress", dt.date(2026, 11, 30), None),  # due today: not yet behind
        (60000, "In progress", dt.date(2026, 11, 29), "Amber"),  # 60% at the target date
        (40000, "In progress", dt.date(2026, 11, 29), "Red"),  # under half
        (None, "Delivered", None, "Red"),  # delivered with nothing realised
        (100000, "Delivered", None, None),  # delivered in full
        (120000, "Delivered", None, None),  # more than estimated
        (10000, "Stopped", dt.date(2026, 1, 1), None),  # stopped initiatives are closed
    ],
)
def test_value_behind_estimate(realised, status, target, severity):
    value = row("value", initiative_id="V02", initiative="Milk run", estimated=100000,
                realised=realised, unit="GBP", target_date=target, status=status)  # fmt: skip
    found = gaps(run(month(NOV, value=[value])), "value-behind-estimate")
    assert [g.severity for g in found] == ([severity] if severity else [])
    if found:
        assert found[0].target == "100000 GBP estimated"


def test_value_behind_red_share_is_configurable():
    value = row("value", estimated=100000, realised=40000, target_date=dt.date(2026, 11, 1))
    [g] = gaps(run(month(NOV, value=[value]), thresholds=Thresholds(value_behind_red=0.3)),
               "value-behind-estimate")  # fmt: skip
    assert g.severity == "Amber" and g.value == "40000 GBP realised (40%)"
    assert g.since == "2026-11-02"


def test_exit_plan_missing_until_a_scenario_is_in_place():
    assert [g.severity for g in gaps(run(month(NOV, exit=[])), "exit-plan-missing")] == ["Red"]
    retired = {**EXIT_OK, "status": "Retired"}
    assert len(gaps(run(month(NOV, exit=[retired])), "exit-plan-missing")) == 1
    assert gaps(run(month(NOV)), "exit-plan-missing") == []
    # No workbook at all for the period: submission-missing says it, not this rule.
    assert gaps(run({}), "exit-plan-missing") == []


def test_exit_plan_review_ages_by_months_against_the_period_end():
    """Reviewed 30 Sep 2025, 12 months allowed: due 30 Sep 2026, overdue from 1 Oct."""
    scenario = row("exit", scenario_id="X01", trigger="Contract not renewed",
                   last_reviewed=dt.date(2025, 9, 30))  # fmt: skip
    frames = combine(*(month(p, exit=[scenario]) for p in (SEP, OCT, NOV)))
    assert gaps(run(frames, SEP), "exit-plan-not-reviewed") == []
    [g] = gaps(run(frames, OCT), "exit-plan-not-reviewed")
    assert (g.item, g.value, g.target, g.since) == (
        "X01 Contract not renewed", "last reviewed 2025-09-30", "reviewed within 12 months",
        "2026-10-01",
    )  # fmt: skip
    six = Thresholds(exit_review_months=6)
    assert len(gaps(run(month(SEP, exit=[{**scenario, "last_reviewed": dt.date(2026, 3, 29)}]),
                        SEP, thresholds=six), "exit-plan-not-reviewed")) == 1  # fmt: skip
    never = {**scenario, "last_reviewed": None}
    [g] = gaps(run(month(NOV, exit=[never])), "exit-plan-not-reviewed")
    assert (g.value, g.since) == ("never reviewed", NOV)


def test_information_flow_without_owner():
    owned = row("information", flow_id="I01")
    unowned = row("information", flow_id="I03", information="8D reports", owner=None,
                  from_partner=NW)  # fmt: skip
    [g] = gaps(run(month(NOV, information=[owned, unowned])), "information-no-owner")
    assert (g.area, g.item, g.severity, g.since) == (
        "Information sharing", "I03 8D reports", "Amber", NOV
    )  # fmt: skip
    assert NW in g.next_step


def test_partners_reporting_a_plan_row_are_named():
    comm = row("communications", next_due=dt.date(2026, 11, 1))
    c = run(combine(month(NOV, communications=[comm]), month(NOV, CO, communications=[comm])),
            expected=(NW, CO))  # fmt: skip
    [g] = gaps(c, "communication-overdue")
    assert set(g.partners.split(", ")) == {NW, CO}


def test_add_months_keeps_within_the_month():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 9, 30), 12) == dt.date(2026, 9, 30)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


def test_area_lines_and_value_totals():
    from rmp_workbook.plan_areas import area_lines, value_totals

    c = run(
        month(
            NOV,
            communications=[row("communications", next_due=dt.date(2026, 11, 1)),
                            row("communications", comm_id="C02", next_due=dt.date(2026, 12, 10))],
            development=[row("development", due=dt.date(2027, 1, 15), status="Planned"),
                         row("development", need_id="D02", status="Met")],
            value=[row("value", estimated=100000, realised=45000),
                   row("value", initiative_id="V02", estimated=20000, realised=20000,
                       status="Delivered"),
                   row("value", initiative_id="V03", estimated=5000, status="Stopped")],
            exit=[{**EXIT_OK, "last_reviewed": dt.date(2026, 6, 30)}],
        )
    )  # fmt: skip
    lines = {line.area: line for line in area_lines(c)}
    assert list(lines) == [
        "Development needs", "Information sharing", "Communications plan", "Value creation",
        "Exit and continuity plan",
    ]  # fmt: skip
    comms = lines["Communications plan"]
    assert (comms.status, comms.open, comms.next_due, comms.gaps) == (
        "Amber", 2, dt.date(2026, 11, 1), 1
    )  # fmt: skip
    dev = lines["Development needs"]
    assert (dev.status, dev.open, dev.next_due) == ("Green", 1, dt.date(2027, 1, 15))
    assert (lines["Information sharing"].status, lines["Information sharing"].open) == (
        "No data", 0
    )  # fmt: skip
    value = lines["Value creation"]
    assert (value.open, value.next_due) == (1, dt.date(2027, 6, 30))
    exit_ = lines["Exit and continuity plan"]
    assert (exit_.status, exit_.next_due) == ("Green", dt.date(2027, 6, 30))
    assert value_totals(c) == [("GBP", 65000.0, 120000.0)]
    six = area_lines(c, Thresholds(exit_review_months=6))
    assert six[-1].next_due == dt.date(2026, 12, 30)
