"""Reconciliation: matching partners' rows, discrepancies, the reconciled value and its rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from frames import combine, contact, kpi, risk, row, stage, submission

from rmp_workbook.config import Thresholds
from rmp_workbook.findings import UsageError
from rmp_workbook.reconcile import (
    DISCREPANCY_COLUMNS,
    compared_columns,
    consolidate,
    matching_keys_markdown,
    relative_difference,
)
from rmp_workbook.records import Consolidated
from rmp_workbook.schema import SCHEMA, SHEETS

NW, CO = "Northwind Ltd", "Contoso plc"
NOV = "2026-11"
EARLY = dt.datetime(2026, 11, 20, 9, 0)
LATE = dt.datetime(2026, 11, 27, 9, 0)


def run(frames, period=NOV, expected=(NW, CO), **kw) -> Consolidated:
    return consolidate(
        frames,
        relationship_id="NW-CO",
        relationship_name="Northwind and Contoso",
        period=period,
        expected_partners=list(expected),
        today=kw.pop("today", dt.date(2026, 12, 1)),
        **kw,
    )


def discrepancies(c: Consolidated, sheet: str) -> list[dict]:
    d = c.discrepancies
    return d[d["sheet"] == sheet].to_dict("records")


def table(c: Consolidated, key: str) -> list[dict]:
    return c.tables[key].to_dict("records")


# --------------------------------------------------------------------------- KPIs


def test_kpi_disagreement_keeps_the_owners_figure_and_shows_both():
    c = run(
        combine(
            submission(NW, NOV, received_at=EARLY, kpis=[kpi(actual=91, owner="northwind")]),
            submission(CO, NOV, received_at=LATE, kpis=[kpi(actual=88, owner="Northwind")]),
        )
    )
    [d] = discrepancies(c, "KPIs")
    assert d["item"] == "K01 On-time delivery"
    assert d["column"] == "Actual"
    assert (d[NW], d[CO]) == (91, 88)
    assert d["values"] == "Northwind Ltd: 91; Contoso plc: 88"
    assert d["reconciled"] == 91
    assert d["rule"] == "Owner's figure (Northwind Ltd)"
    assert d["difference"] == "3.3% (tolerance 1%)"
    assert list(c.discrepancies.columns) == [*DISCREPANCY_COLUMNS, NW, CO]
    [k] = table(c, "kpis")
    assert (k["actual"], k["partners"], k["source"]) == (91, "Northwind Ltd, Contoso plc", NW)


def test_kpi_owner_naming_no_partner_keeps_the_most_recent_figure():
    c = run(
        combine(
            submission(NW, NOV, received_at=LATE, kpis=[kpi(actual=91, owner="Logistics team")]),
            submission(CO, NOV, received_at=EARLY, kpis=[kpi(actual=88, owner="Logistics team")]),
        )
    )
    [d] = discrepancies(c, "KPIs")
    assert d["reconciled"] == 91
    assert d["rule"] == "Most recent submission (Northwind Ltd, 2026-11-27)"
    assert table(c, "kpis")[0]["source"] == NW


@pytest.mark.parametrize(
    ("ours", "theirs", "differ"),
    [
        (100, 99, False),  # exactly 1%: not beyond the tolerance
        (100, 98.9, True),
        (91, 91.5, False),
        (0, 0, False),
        (0, 0.5, True),
    ],
)
def test_numeric_tolerance_boundary(ours, theirs, differ):
    c = run(
        combine(
            submission(NW, NOV, kpis=[kpi(actual=ours)]),
            submission(CO, NOV, kpis=[kpi(actual=theirs)]),
        )
    )
    assert len(discrepancies(c, "KPIs")) == int(differ)


def test_tolerance_comes_from_thresholds():
    frames = combine(
        submission(NW, NOV, kpis=[kpi(actual=100)]),
        submission(CO, NOV, kpis=[kpi(actual=96)]),
    )
    assert len(discrepancies(run(frames), "KPIs")) == 1
    loose = run(frames, thresholds=Thresholds(numeric_tolerance=0.05))
    assert discrepancies(loose, "KPIs") == []


def test_relative_difference():
    assert relative_difference([91, 88]) == pytest.approx(3 / 91)
    assert relative_difference([5, 5, 5]) == 0
    assert relative_difference([-2, 2]) == pytest.approx(2)


def test_item_only_one_partner_reported_is_kept_with_its_source():
    c = run(
        combine(
            submission(NW, NOV, kpis=[kpi(actual=96)]),
            submission(CO, NOV, kpis=[kpi(actual=96), kpi(kpi_id="K02", kpi="Invoices", actual=4)]),
        )
    )
    rows = {r["kpi_id"]: r for r in table(c, "kpis")}
    assert rows["K02"]["partners"] == CO
    assert rows["K02"]["source"] == CO
    assert rows["K02"]["actual"] == 4
    assert rows["K01"]["partners"] == "Northwind Ltd, Contoso plc"
    assert c.discrepancies.empty


def test_kpi_ids_match_ignoring_case_and_spaces():
    c = run(
        combine(
            submission(NW, NOV, kpis=[kpi(kpi_id="K01", actual=91, owner=CO)]),
            submission(CO, NOV, kpis=[kpi(kpi_id=" k01 ", actual=88, owner=CO)]),
        )
    )
    assert len(c.tables["kpis"]) == 1
    [d] = discrepancies(c, "KPIs")
    assert d["reconciled"] == 88


def test_per_period_sheet_counts_only_the_period_and_history_keeps_every_period():
    c = run(
        combine(
            submission(NW, "2026-09", kpis=[kpi(period="2026-09", actual=97)]),
            submission(NW, "2026-10", kpis=[kpi(period="2026-10", actual=90)]),
            # November's workbook restates October and reports November.
            submission(NW, NOV, kpis=[kpi(period="2026-10", actual=92), kpi(actual=93)]),
            submission(CO, NOV, kpis=[kpi(actual=93)]),
            submission(NW, "2026-12", kpis=[kpi(period="2026-12", actual=99)]),
        )
    )
    assert [(r["period"], r["actual"]) for r in table(c, "kpis")] == [(NOV, 93)]
    history = c.kpi_history
    assert list(history.columns) == [
        "kpi_id",
        "kpi",
        "unit",
        "direction",
        "target",
        "amber",
        "period",
        "partner",
        "actual",
    ]
    got = [(r["period"], r["partner"], r["actual"]) for r in history.to_dict("records")]
    assert got == [
        ("2026-09", NW, 97),
        ("2026-10", NW, 92),
        (NOV, CO, 93),
        (NOV, NW, 93),
    ]


def test_sla_actual_disagreement_and_history():
    sla = SCHEMA["sla"].example
    c = run(
        combine(
            submission(NW, NOV, received_at=EARLY, sla=[{**sla, "actual": 3.5, "owner": CO}]),
            submission(CO, NOV, received_at=LATE, sla=[{**sla, "actual": 5, "owner": CO}]),
        )
    )
    [d] = discrepancies(c, "SLA")
    assert (d["column"], d["reconciled"]) == ("Actual", 5)
    assert d["rule"] == "Owner's figure (Contoso plc)"
    assert d["item"] == "Help desk / First response (hours)"
    assert len(c.sla_history) == 2
    assert set(c.sla_history["partner"]) == {NW, CO}


# --------------------------------------------------------------------------- risks and stages


def test_risk_scores_take_the_higher_and_recompute_the_score():
    c = run(
        combine(
            submission(NW, NOV, risks=[risk(likelihood=3, impact=4, score=12)]),
            submission(CO, NOV, risks=[risk(likelihood=4, impact=4, score=16)]),
        )
    )
    [d] = discrepancies(c, "Risks")
    assert (d["column"], d[NW], d[CO]) == ("Likelihood", 3, 4)
    assert d["reconciled"] == 4
    assert d["rule"] == "Higher score (prudent)"
    [r] = table(c, "risks")
    assert (r["likelihood"], r["impact"], r["score"]) == (4, 4, 16)


def test_risk_score_higher_even_against_the_owner():
    c = run(
        combine(
            submission(NW, NOV, risks=[risk(impact=5, owner=NW)]),
            submission(CO, NOV, risks=[risk(impact=2, owner=NW)]),
        )
    )
    r = table(c, "risks")[0]
    assert r["impact"] == 5
    assert r["score"] == 15
    assert r["source"] == NW


def test_risk_status_disagreement_follows_the_owner():
    c = run(
        combine(
            submission(NW, NOV, received_at=LATE, risks=[risk(status="Closed", owner=CO)]),
            submission(CO, NOV, received_at=EARLY, risks=[risk(status="Open", owner=CO)]),
        )
    )
    [d] = [d for d in discrepancies(c, "Risks") if d["column"] == "Status"]
    assert (d[NW], d[CO], d["reconciled"]) == ("Closed", "Open", "Open")
    assert d["rule"] == "Owner's figure (Contoso plc)"


def test_stage_status_disagreement_owner_rule():
    c = run(
        combine(
            submission(NW, NOV, received_at=LATE, stages=[stage(status="Complete", owner=NW)]),
            submission(CO, NOV, received_at=EARLY, stages=[stage(status="In progress", owner=NW)]),
        )
    )
    [d] = discrepancies(c, "Stages")
    assert (d["item"], d["column"]) == ("Working together", "Status")
    assert d["values"] == "Northwind Ltd: Complete; Contoso plc: In progress"
    assert (d["reconciled"], d["rule"]) == ("Complete", "Owner's figure (Northwind Ltd)")


def test_choice_values_agree_ignoring_case():
    c = run(
        combine(
            submission(NW, NOV, stages=[stage(status="In progress")]),
            submission(CO, NOV, stages=[stage(status="in  Progress")]),
        )
    )
    assert c.discrepancies.empty


def test_fixed_sheet_rows_follow_the_schema_order():
    stages = [stage(stage=s, status="Not started") for s in reversed(SCHEMA["stages"].fixed_rows)]
    c = run(submission(NW, NOV, stages=stages))
    assert list(c.tables["stages"]["stage"]) == list(SCHEMA["stages"].fixed_rows)


def test_long_text_is_never_compared():
    c = run(
        combine(
            submission(NW, NOV, risks=[risk(mitigation="Cross-train two engineers")]),
            submission(CO, NOV, risks=[risk(mitigation="Hire a contractor")]),
        )
    )
    assert c.discrepancies.empty
    assert "mitigation" not in compared_columns(SCHEMA["risks"])


# --------------------------------------------------------------------------- contacts


def test_contacts_match_by_email_ignoring_case_and_compare_details():
    c = run(
        combine(
            submission(
                NW,
                NOV,
                contacts=[contact(email="Aisha.Khan@northwind.example", phone="+44 20 7946 0000")],
            ),
            submission(
                CO,
                NOV,
                contacts=[
                    contact(
                        email="aisha.khan@northwind.example",
                        phone="+442079460000",
                        role="Account director",
                    )
                ],
            ),
        )
    )
    assert len(c.tables["contacts"]) == 1
    [d] = discrepancies(c, "Contacts")
    assert d["column"] == "Role"
    assert (d[NW], d[CO]) == ("Relationship manager", "Account director")


def test_contact_without_email_matches_by_name():
    c = run(
        combine(
            submission(NW, NOV, contacts=[contact(phone="+44 1")]),
            submission(CO, NOV, contacts=[contact(email=None, name="aisha  khan", phone="+44 2")]),
        )
    )
    [r] = table(c, "contacts")
    assert r["partners"] == "Northwind Ltd, Contoso plc"
    [d] = discrepancies(c, "Contacts")
    assert (d["column"], d[NW], d[CO]) == ("Phone", "+44 1", "+44 2")


def test_contacts_without_email_on_both_sides_match_by_name():
    c = run(
        combine(
            submission(NW, NOV, contacts=[contact(email=None, name="Ben Ode", role="Buyer")]),
            submission(CO, NOV, contacts=[contact(email=None, name="BEN ODE", role="Buyer")]),
        )
    )
    [r] = table(c, "contacts")
    assert r["partners"] == "Northwind Ltd, Contoso plc"


# --------------------------------------------------------------------------- selection, edge cases


def test_register_items_carry_forward_from_earlier_workbooks():
    # A risk left out of a later workbook is still on the register (it leaves by being
    # Closed); a later period's workbook does not count yet.
    c = run(
        combine(
            submission(NW, "2026-10", risks=[risk(), risk(risk_id="R02", risk="Price rise")]),
            submission(NW, NOV, risks=[risk(likelihood=5)], relationship=[row("relationship")]),
            submission(NW, "2026-12", risks=[risk(risk_id="R09", risk="Future")]),
        ),
        expected=(NW,),
    )
    assert list(c.tables["risks"]["risk_id"]) == ["R01", "R02"]
    assert table(c, "risks")[0]["likelihood"] == 5  # the partner's latest row of R01
    c = run(
        combine(submission(NW, "2026-10", risks=[risk()]), submission(NW, NOV, kpis=[kpi()])),
        expected=(NW,),
    )
    assert list(c.tables["risks"]["risk_id"]) == ["R01"]


def test_latest_submission_is_decided_across_sheets():
    # Contacts are no register: November's workbook lists none, October's do not come back.
    c = run(
        combine(
            submission(NW, "2026-10", contacts=[contact(name="A", email="a@x.example")]),
            submission(NW, NOV, kpis=[kpi()]),
        ),
        expected=(NW,),
    )
    assert c.tables["contacts"].empty


def test_partner_missing_this_period_keeps_its_latest_state_but_is_not_submitted():
    c = run(
        combine(
            submission(NW, NOV, risks=[risk(likelihood=2)]),
            submission(CO, "2026-10", risks=[risk(likelihood=4)]),
        )
    )
    assert c.partners == [NW]
    assert table(c, "risks")[0]["likelihood"] == 4


def test_partner_names_differing_by_case_and_spacing_are_one_partner():
    c = run(
        combine(
            submission("northwind  ltd", NOV, kpis=[kpi(actual=91)]),
            submission(" Contoso PLC", NOV, kpis=[kpi(actual=91)]),
        )
    )
    assert c.partners == [NW, CO]
    assert table(c, "kpis")[0]["partners"] == "Northwind Ltd, Contoso plc"
    assert [g.rule for g in c.gaps if g.rule == "submission-missing"] == []


def test_no_rows_at_all():
    c = run({}, expected=(NW, CO))
    for sheet in SHEETS:
        frame = c.tables[sheet.key]
        assert frame.empty
        assert list(frame.columns) == [*(col.key for col in sheet.columns), "partners", "source"]
    assert c.discrepancies.empty
    assert list(c.discrepancies.columns) == [*DISCREPANCY_COLUMNS, NW, CO]
    assert c.kpi_history.empty and c.sla_history.empty
    assert c.health_by_partner is not None and c.health_by_partner.empty
    assert list(c.submissions.columns)[:4] == ["file", "sha256", "partner", "period"]
    assert c.partners == []
    assert sorted(g.item for g in c.gaps) == [
        "Contoso plc workbook for 2026-11",
        "Northwind Ltd workbook for 2026-11",
    ]


def test_single_partner_has_no_discrepancies():
    c = run(
        submission(NW, NOV, kpis=[kpi(), kpi(kpi_id="K02")], risks=[risk()]),
        expected=(NW,),
    )
    assert c.discrepancies.empty
    assert set(c.tables["kpis"]["source"]) == {NW}
    assert len(c.tables["kpis"]) == 2


def test_nan_cells_from_pandas_count_as_blank():
    frames = combine(
        submission(NW, NOV, kpis=[kpi(target=None, amber=None, actual=91)]),
        submission(CO, NOV, kpis=[kpi(target=None, amber=None, actual=91.2)]),
    )
    # A ledger may hand numbers over as float columns, blanks as NaN.
    for key in ("target", "amber", "actual"):
        frames["kpis"][key] = frames["kpis"][key].astype(float)
    c = run(frames)
    [r] = table(c, "kpis")
    assert r["target"] is None
    assert c.discrepancies.empty
    assert [g for g in c.gaps if g.area == "KPIs"] == []


def test_timestamps_and_numpy_values_are_plain_values():
    frames = submission(NW, NOV, risks=[risk(raised_on=dt.date(2026, 1, 5))])
    frames["risks"]["raised_on"] = pd.to_datetime(frames["risks"]["raised_on"])
    frames["risks"]["likelihood"] = frames["risks"]["likelihood"].astype("int64")
    c = run(frames, expected=(NW,))
    [r] = table(c, "risks")
    assert r["raised_on"] == dt.date(2026, 1, 5)
    assert r["score"] == 12 and isinstance(r["score"], int)


def test_duplicate_keys_within_one_workbook_are_both_kept():
    c = run(submission(NW, NOV, risks=[risk(), risk(risk="Same id again")]), expected=(NW,))
    assert list(c.tables["risks"]["risk"]) == ["Key engineer leaves", "Same id again"]


def test_health_by_partner_and_mean_score():
    health = [{"behaviour": "Trust", "score": 4}, {"behaviour": "openness", "score": 3}]
    c = run(
        combine(
            submission(NW, NOV, health=health),
            submission(CO, NOV, health=[{"behaviour": "Trust", "score": 2}]),
        )
    )
    got = [tuple(r.values()) for r in c.health_by_partner.to_dict("records")]
    assert got == [("Trust", NW, 4), ("Openness", NW, 3), ("Trust", CO, 2)]
    scores = {r["behaviour"]: r["score"] for r in table(c, "health")}
    assert scores == {"Trust": 3.0, "Openness": 3.0}
    assert c.discrepancies.empty


def test_pass_through_frames():
    subs = pd.DataFrame([{"file": "a.xlsx", "partner": NW, "period": NOV, "status": "current"}])
    dq = pd.DataFrame([{"file": "a.xlsx", "sheet": "KPIs", "cell": "H3", "code": "not-a-number"}])
    c = run({}, submissions=subs, data_quality=dq)
    assert c.submissions is subs and c.data_quality is dq
    assert c.partners == [NW]


def test_matching_keys_table_comes_from_the_schema():
    text = matching_keys_markdown()
    for sheet in SHEETS:
        line = next(line for line in text.splitlines() if line.startswith(f"| {sheet.name} |"))
        for key in sheet.keys:
            assert sheet.column(key).header in line
    assert "| Contacts | Email | Name |" in text
    assert "Likelihood, Impact" in text


def test_table_rows_follow_the_expected_partners_order():
    c = run(
        combine(
            submission(CO, NOV, risks=[risk(risk_id="R07", risk="Contoso's")]),
            submission(NW, NOV, risks=[risk(risk_id="R02", risk="Northwind's")]),
        ),
        expected=(NW, CO),
    )
    assert list(c.tables["risks"]["risk_id"]) == ["R02", "R07"]


def test_periods_given_as_dates_or_unpadded_months_still_match():
    frames = combine(
        submission(NW, NOV, kpis=[kpi(period=dt.date(2026, 11, 1), actual=91)]),
        submission(CO, NOV, kpis=[kpi(period="2026-11", actual=91)]),
        submission(CO, "2026-10", kpis=[kpi(period="2026-10", actual=90)]),
        submission(NW, "2026-09", kpis=[kpi(period="2026-9", actual=89)]),
    )
    c = run(frames, period="2026-11")
    assert len(c.tables["kpis"]) == 1
    assert list(c.kpi_history["period"]) == ["2026-09", "2026-10", NOV, NOV]


def test_tolerance_is_stated_as_people_write_it():
    frames = combine(
        submission(NW, NOV, kpis=[kpi(actual=100)]),
        submission(CO, NOV, kpis=[kpi(actual=99)]),
    )
    [d] = discrepancies(run(frames, thresholds=Thresholds(numeric_tolerance=0.005)), "KPIs")
    assert d["difference"] == "1.0% (tolerance 0.5%)"


@pytest.mark.parametrize("period", ["Nov 2026", "2026-13", ""])
def test_a_period_that_is_not_a_month_is_refused(period):
    with pytest.raises(UsageError, match="YYYY-MM"):
        run({}, period=period)


@pytest.mark.parametrize(
    ("owner", "named"),
    [
        ("Northwind", NW),
        ("NORTHWIND LTD (operations)", NW),
        ("contoso", CO),
        ("NW", None),  # too short to name anyone
        ("Fabrikam", None),
    ],
)
def test_owner_names_a_partner_by_prefix_or_containment(owner, named):
    c = run(
        combine(
            submission(NW, NOV, received_at=EARLY, kpis=[kpi(actual=91, owner=owner)]),
            submission(CO, NOV, received_at=LATE, kpis=[kpi(actual=88, owner=owner)]),
        )
    )
    [d] = discrepancies(c, "KPIs")
    if named:
        assert d["rule"] == f"Owner's figure ({named})"
    else:
        assert d["rule"].startswith("Most recent submission (Contoso plc")


def test_superseded_submissions_in_the_submissions_frame_do_not_count():
    subs = pd.DataFrame(
        [
            {"partner": NW, "period": NOV, "status": "superseded"},
            {"partner": CO, "period": "2026-10", "status": "current"},
        ]
    )
    c = run({}, submissions=subs)
    assert c.partners == []


# --------------------------------------------------------------------------- many partners


def test_many_partners_summarise_values_instead_of_a_column_each():
    # A supplier network: twelve partners report one KPI; a column per partner would
    # grow with partners squared, so beyond eight the values text summarises them.
    names = [f"Supplier {i:02d}" for i in range(1, 13)]
    figures = [90, 90, 90, 90, 90, 90, 90, 85, 85, 80, 70, 95]
    c = run(
        combine(
            *(
                submission(n, NOV, received_at=EARLY, kpis=[kpi(actual=a, owner="")])
                for n, a in zip(names, figures, strict=True)
            )
        ),
        expected=names,
    )
    assert list(c.discrepancies.columns) == list(DISCREPANCY_COLUMNS)
    [d] = discrepancies(c, "KPIs")
    assert d["column"] == "Actual"
    assert d["values"] == (
        "12 partners: 90 (7 partners); 85 (2 partners); 80 (1 partner); 70 (1 partner); "
        "95 (1 partner); lowest Supplier 11: 70, highest Supplier 12: 95"
    )
    assert d["difference"] == "26.3% (tolerance 1%)"


def test_eight_partners_still_get_a_column_each():
    names = [f"Supplier {i}" for i in range(1, 9)]
    c = run(
        combine(
            *(
                submission(n, NOV, received_at=EARLY, kpis=[kpi(actual=80 + i, owner="")])
                for i, n in enumerate(names)
            )
        ),
        expected=names,
    )
    assert list(c.discrepancies.columns) == [*DISCREPANCY_COLUMNS, *names]
    [d] = discrepancies(c, "KPIs")
    assert [d[n] for n in names] == [80 + i for i in range(8)]
    assert d["values"] == "; ".join(f"{n}: {80 + i}" for i, n in enumerate(names))
