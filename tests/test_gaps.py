"""Gap rules: each fires past its boundary and stays quiet at or before it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from frames import combine, contact, kpi, risk, row, sla, stage, submission

from rmp_workbook.config import Thresholds
from rmp_workbook.gaps import RULES, find_gaps, next_period, rules_markdown
from rmp_workbook.rag import kpi_rag
from rmp_workbook.reconcile import consolidate
from rmp_workbook.records import Consolidated, Gap

NW, CO = "Northwind Ltd", "Contoso plc"
NOV = "2026-11"
TODAY = dt.date(2026, 12, 1)


def run(frames, expected=(NW,), thresholds=None, **kw) -> Consolidated:
    return consolidate(
        frames,
        relationship_id="NW-CO",
        relationship_name="Northwind and Contoso",
        period=kw.pop("period", NOV),
        expected_partners=list(expected),
        thresholds=thresholds or Thresholds(),
        today=TODAY,
        **kw,
    )


def gaps(c: Consolidated, code: str) -> list[Gap]:
    return [g for g in c.gaps if g.rule == code]


def one(c: Consolidated, code: str) -> Gap:
    [g] = gaps(c, code)
    return g


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


# --------------------------------------------------------------------------- KPIs


@pytest.mark.parametrize(
    ("actual", "severity"),
    [(96, None), (95, None), (94.9, "Amber"), (90, "Amber"), (89.9, "Red")],
)
def test_kpi_below_target_higher_is_better(actual, severity):
    c = run(submission(NW, NOV, kpis=[kpi(target=95, amber=90, actual=actual)]))
    assert [g.severity for g in gaps(c, "kpi-below-target")] == ([severity] if severity else [])


@pytest.mark.parametrize(
    ("actual", "severity"),
    [(3, None), (4, "Amber"), (5, "Amber"), (5.1, "Red")],
)
def test_kpi_below_target_lower_is_better(actual, severity):
    row_ = kpi(direction="Lower is better", unit="days", target=3, amber=5, actual=actual)
    c = run(submission(NW, NOV, kpis=[row_]))
    assert [g.severity for g in gaps(c, "kpi-below-target")] == ([severity] if severity else [])


def test_kpi_below_target_without_amber_threshold_is_red():
    c = run(submission(NW, NOV, kpis=[kpi(target=95, amber=None, actual=94)]))
    g = one(c, "kpi-below-target")
    assert (g.area, g.item, g.value, g.target, g.severity) == (
        "KPIs",
        "K01 On-time delivery",
        94,
        95,
        "Red",
    )
    assert g.partners == NW
    assert "Northwind Ltd" in g.next_step


@pytest.mark.parametrize(
    ("unit", "target", "words"),
    [
        ("days", 10, "back to 10 days."),
        ("ppt", 2.0, "back to 2 ppt."),
        ("%", 95, "back to 95%."),
        ("GBP", 25000, "back to 25,000 GBP."),
        ("count", 4, "back to 4."),
    ],
)
def test_kpi_next_step_writes_the_target_with_its_unit(unit, target, words):
    row_ = kpi(unit=unit, target=target, amber=None, actual=target - 1)
    assert one(run(submission(NW, NOV, kpis=[row_])), "kpi-below-target").next_step.endswith(words)


def test_kpi_with_no_target_is_no_gap():
    c = run(submission(NW, NOV, kpis=[kpi(target=None, amber=None, actual=1)]))
    assert gaps(c, "kpi-below-target") == []
    nan = submission(NW, NOV, kpis=[kpi(target=None, actual=1)])
    nan["kpis"]["target"] = nan["kpis"]["target"].astype(float)
    assert gaps(run(nan), "kpi-below-target") == []


def test_kpi_rag_ignores_an_amber_threshold_on_the_wrong_side():
    assert kpi_rag(94, 95, 97, "Higher is better") == "Red"
    assert kpi_rag(4, 3, 2, "Lower is better") == "Red"
    assert kpi_rag(None, 95, 90, "Higher is better") == "No data"


def test_kpi_below_target_since_the_first_period_of_the_run():
    c = run(
        combine(
            submission(NW, "2026-08", kpis=[kpi(period="2026-08", actual=92)]),
            submission(NW, "2026-09", kpis=[kpi(period="2026-09", actual=96)]),
            submission(NW, "2026-10", kpis=[kpi(period="2026-10", actual=93)]),
            submission(NW, NOV, kpis=[kpi(actual=94)]),
        )
    )
    assert one(c, "kpi-below-target").since == "2026-10"


def _trend(*figures: float, direction="Higher is better") -> Consolidated:
    periods = ["2026-07", "2026-08", "2026-09", "2026-10", NOV][-len(figures) :]
    subs = [
        submission(NW, p, kpis=[kpi(period=p, actual=a, direction=direction)])
        for p, a in zip(periods, figures, strict=True)
    ]
    return run(combine(*subs))


def test_kpi_worsening_over_three_periods():
    g = one(_trend(99, 98, 97, 96), "kpi-worsening")
    assert g.severity == "Amber"
    assert g.value == "99 → 98 → 97 → 96"
    assert g.since == "2026-09"


@pytest.mark.parametrize(
    "figures",
    [
        (98, 97, 96),  # only two periods of decline
        (99, 98, 98, 96),  # a flat month breaks the run
        (99, 98, 97, 98),  # improving now
        (96, 97, 98, 99),
    ],
)
def test_kpi_not_worsening(figures):
    assert gaps(_trend(*figures), "kpi-worsening") == []


def test_kpi_worsening_lower_is_better_and_threshold():
    c = _trend(1, 2, 3, direction="Lower is better")
    assert gaps(c, "kpi-worsening") == []
    frames = combine(
        *[
            submission(NW, p, kpis=[kpi(period=p, actual=a, direction="Lower is better")])
            for p, a in [("2026-09", 1), ("2026-10", 2), (NOV, 3)]
        ]
    )
    c2 = run(frames, thresholds=Thresholds(worsening_periods=2))
    assert one(c2, "kpi-worsening").since == "2026-10"


def test_kpi_worsening_uses_the_source_partners_figures():
    subs = []
    for p, ours, theirs in [("2026-08", 99, 90), ("2026-09", 98, 95), ("2026-10", 97, 96)]:
        subs.append(submission(NW, p, kpis=[kpi(period=p, actual=ours, owner=NW)]))
        subs.append(submission(CO, p, kpis=[kpi(period=p, actual=theirs, owner=NW)]))
    subs.append(submission(NW, NOV, kpis=[kpi(actual=96, owner=NW)]))
    subs.append(submission(CO, NOV, kpis=[kpi(actual=97, owner=NW)]))
    c = run(combine(*subs), expected=(NW, CO))
    assert one(c, "kpi-worsening").value == "99 → 98 → 97 → 96"


# --------------------------------------------------------------------------- SLA


@pytest.mark.parametrize(
    ("direction", "actual", "breach"),
    [
        ("At most", 4, False),
        ("At most", 4.5, True),
        ("At least", 4, False),
        ("At least", 3.9, True),
    ],
)
def test_sla_breach(direction, actual, breach):
    c = run(submission(NW, NOV, sla=[sla(direction=direction, target=4, actual=actual)]))
    found = gaps(c, "sla-breach")
    assert len(found) == int(breach)
    if breach:
        assert found[0].severity == "Red"
        assert found[0].target == f"{direction} 4"


# --------------------------------------------------------------------------- risks


@pytest.mark.parametrize(
    ("likelihood", "impact", "severity"),
    [(3, 5, "Red"), (4, 3, "Amber"), (2, 5, "Amber"), (3, 3, None)],
)
def test_risk_high_score_boundaries(likelihood, impact, severity):
    c = run(submission(NW, NOV, risks=[risk(likelihood=likelihood, impact=impact)]))
    assert [g.severity for g in gaps(c, "risk-high-score")] == ([severity] if severity else [])


def test_closed_risk_is_no_gap():
    c = run(
        submission(
            NW, NOV, risks=[risk(likelihood=5, impact=5, status="Closed", review_by=days_ago(9))]
        )
    )
    assert gaps(c, "risk-high-score") == gaps(c, "risk-review-overdue") == []


def test_risk_high_score_since_raised_on():
    c = run(
        submission(NW, NOV, risks=[risk(likelihood=5, impact=5, raised_on=dt.date(2026, 3, 2))])
    )
    g = one(c, "risk-high-score")
    assert (g.value, g.since) == (25, "2026-03-02")


def test_risk_review_overdue():
    assert (
        gaps(run(submission(NW, NOV, risks=[risk(review_by=TODAY)])), "risk-review-overdue") == []
    )
    g = one(run(submission(NW, NOV, risks=[risk(review_by=days_ago(1))])), "risk-review-overdue")
    assert (g.severity, g.since, g.value) == ("Amber", TODAY.isoformat(), "1 days overdue")


# --------------------------------------------------- bottlenecks, actions, stages


@pytest.mark.parametrize(
    ("days", "severity"),
    [(29, None), (30, "Amber"), (59, "Amber"), (60, "Red")],
)
def test_bottleneck_open_too_long(days, severity):
    b = {"bottleneck_id": "B01", "problem": "Slow approvals", "raised_on": days_ago(days)}
    c = run(submission(NW, NOV, bottlenecks=[{**b, "status": "Open"}]))
    assert [g.severity for g in gaps(c, "bottleneck-open-too-long")] == (
        [severity] if severity else []
    )
    resolved = run(submission(NW, NOV, bottlenecks=[{**b, "status": "Resolved"}]))
    assert gaps(resolved, "bottleneck-open-too-long") == []


def test_action_overdue():
    a = {"action_id": "A01", "action": "Agree exit plan", "status": "In progress"}
    assert gaps(run(submission(NW, NOV, actions=[{**a, "due": TODAY}])), "action-overdue") == []
    done = {**a, "due": days_ago(5), "status": "Done"}
    assert gaps(run(submission(NW, NOV, actions=[done])), "action-overdue") == []
    g = one(run(submission(NW, NOV, actions=[{**a, "due": days_ago(5)}])), "action-overdue")
    assert (g.item, g.severity, g.value) == ("A01 Agree exit plan", "Amber", "5 days overdue")
    assert g.since == days_ago(4).isoformat()


@pytest.mark.parametrize(
    ("status", "target", "fires"),
    [
        ("In progress", days_ago(1), True),
        (None, days_ago(1), True),
        ("In progress", TODAY, False),
        ("Complete", days_ago(1), False),
        ("Not applicable", days_ago(1), False),
    ],
)
def test_stage_overdue(status, target, fires):
    c = run(submission(NW, NOV, stages=[stage(status=status, target_date=target)]))
    assert len(gaps(c, "stage-overdue")) == int(fires)


# --------------------------------------------------------------------------- health, contacts


@pytest.mark.parametrize(("theirs", "fires"), [(2, True), (3, False), (5, False), (6, True)])
def test_health_perception_gap(theirs, fires):
    c = run(
        combine(
            submission(NW, NOV, health=[{"behaviour": "Trust", "score": 4}]),
            submission(CO, NOV, health=[{"behaviour": "trust", "score": theirs}]),
        ),
        expected=(NW, CO),
    )
    found = gaps(c, "health-perception-gap")
    assert len(found) == int(fires)
    if fires:
        assert found[0].item == "Trust"
        assert found[0].value == f"Northwind Ltd: 4; Contoso plc: {theirs}"


def test_health_single_partner_has_no_perception_gap():
    c = run(submission(NW, NOV, health=[{"behaviour": "Trust", "score": 1}]))
    assert gaps(c, "health-perception-gap") == []


def test_contacts_rules():
    c = run(
        combine(
            submission(NW, NOV, contacts=[contact(escalation_level=3)]),
            submission(
                CO, NOV, contacts=[contact(email="b@contoso.example", name="B", escalation_level=1)]
            ),
            submission("Fabrikam", NOV, kpis=[kpi()]),
        ),
        expected=(NW, CO, "Fabrikam"),
    )
    too_few = gaps(c, "contacts-too-few")
    assert [(g.partners, g.severity, g.value) for g in too_few] == [("Fabrikam", "Red", 0)]
    assert [g.partners for g in gaps(c, "contacts-no-escalation")] == [CO]


def test_contacts_minimum_is_a_threshold():
    frames = submission(NW, NOV, contacts=[contact(escalation_level=3)])
    assert gaps(run(frames), "contacts-too-few") == []
    c = run(frames, thresholds=Thresholds(min_contacts_per_partner=2))
    g = one(c, "contacts-too-few")
    assert (g.severity, g.value, g.target) == ("Amber", 1, "at least 2")


# --------------------------------------------------------------------------- submissions, ordering


def test_missing_partner_submission():
    subs = pd.DataFrame(
        [
            {"file": "c.xlsx", "partner": "contoso PLC", "period": "2026-09", "status": "current"},
            {"file": "n.xlsx", "partner": NW, "period": NOV, "status": "current"},
        ]
    )
    c = run(
        submission(NW, NOV, relationship=[row("relationship")]),
        expected=(NW, CO),
        submissions=subs,
    )
    g = one(c, "submission-missing")
    assert (g.partners, g.severity, g.since, g.value) == (
        CO,
        "Red",
        "2026-10",
        "last received 2026-09",
    )


def test_every_expected_partner_submitted_is_no_gap():
    c = run(
        combine(submission(NW, NOV, kpis=[kpi()]), submission("CONTOSO plc", NOV, kpis=[kpi()])),
        expected=(NW, CO),
    )
    assert gaps(c, "submission-missing") == []


def test_red_first_then_rule_order():
    c = run(
        submission(
            NW,
            NOV,
            kpis=[kpi(actual=92)],  # Amber
            risks=[risk(likelihood=5, impact=4)],  # Red
            actions=[{"action_id": "A01", "action": "X", "due": days_ago(3)}],  # Amber
            contacts=[contact(escalation_level=3)],
        ),
        expected=(NW, CO),  # Contoso missing: Red
    )
    got = [(g.severity, g.rule) for g in c.gaps]
    assert got == [
        ("Red", "submission-missing"),
        ("Red", "risk-high-score"),
        ("Amber", "kpi-below-target"),
        ("Amber", "action-overdue"),
    ]


def test_find_gaps_on_a_consolidated_view_directly():
    c = run(submission(NW, NOV, kpis=[kpi(actual=50)], contacts=[contact(escalation_level=3)]))
    c.gaps = []
    again = find_gaps(c, Thresholds(), TODAY)
    assert [g.rule for g in again] == ["kpi-below-target"]
    assert all(isinstance(g, Gap) and dataclasses.is_dataclass(g) for g in again)


def test_rule_codes_are_unique_kebab_case_and_documented():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    table = rules_markdown()
    fields = set(Thresholds.model_fields)
    for r in RULES:
        assert r.code == r.code.lower() and " " not in r.code
        assert f"`{r.code}`" in table
        assert set(r.thresholds) <= fields


def test_next_period():
    assert next_period("2026-11") == "2026-12"
    assert next_period("2026-12") == "2027-01"
