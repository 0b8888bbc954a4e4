"""A realistic :class:`Consolidated` for dashboard and report tests.

Three partners submitted (a fourth is expected but missing), six monthly periods,
five KPIs with history, two SLA lines (one breached this month), open and closed
risks, stages, a health check per partner, discrepancies, gaps, testimonials (one
not to be shared) and partner text that starts with ``=``, ``+``, ``-`` or ``@``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from rmp_workbook.records import Consolidated, Gap
from rmp_workbook.schema import BEHAVIOURS, SCHEMA, STAGES

PERIODS = ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11")
PERIOD = PERIODS[-1]
PARTNERS = ("Northwind Ltd", "Contoso Services", "Fabrikam Co-op")
EXPECTED = (*PARTNERS, "Tailspin Logistics")

NOT_SHARED = "Internal only: the joint board was tense in October and we nearly walked away."
"""The testimonial marked "May be shared: No"; it must never reach the Dashboard."""

FORMULA_LIKE = (
    "=SUM(A1:A9) was how we tracked savings before; now it is automatic.",
    "+15% raw material cost rise from Q1",
    "-ve cash flow on the joint project account",
    "@Contoso: share the demand forecast every Monday",
)
"""Partner text that a careless writer would turn into a formula or a link."""

# kpi_id, name, unit, direction, target, amber, per-period reconciled actuals
KPIS = (
    (
        "K01",
        "On-time delivery",
        "%",
        "Higher is better",
        95,
        90,
        (96.2, 95.1, 93.8, 92.4, 91.9, 91.5),
    ),
    ("K02", "Defect rate", "%", "Lower is better", 2.0, 3.0, (2.8, 2.5, 2.1, 1.9, 1.7, 1.6)),
    ("K03", "Joint cost savings", "GBP k", "Higher is better", 50, 40, (31, 38, 44, 47, 52, 55)),
    ("K04", "Joint workshops held", "count", "Higher is better", 2, 1, (2, 1, 3, 2, 1, 0)),
    ("K05", "Invoice cycle time", "days", "Lower is better", 30, 40, (45, 41, 38, 36, 33, 31)),
)
# service, measure, direction, target, actuals
SLAS = (
    ("Help desk", "First response (hours)", "At most", 4.0, (3.1, 3.6, 4.4, 3.2, 2.9, 3.5)),
    (
        "Logistics",
        "Orders dispatched in 24h (%)",
        "At least",
        98.0,
        (98.6, 99.1, 98.2, 98.4, 98.9, 96.5),
    ),
)


def _kpi_history() -> pd.DataFrame:
    rows = []
    for kid, name, unit, direction, target, amber, actuals in KPIS:
        for i, period in enumerate(PERIODS):
            for partner in PARTNERS:
                actual = float(actuals[i])
                # Contoso counts late deliveries differently: the partners disagree on K01.
                if kid == "K01" and partner == "Contoso Services" and i >= 3:
                    actual = round(actual - 3.5, 1)
                rows.append(
                    {
                        "kpi_id": kid,
                        "kpi": name,
                        "unit": unit,
                        "direction": direction,
                        "target": float(target),
                        "amber": float(amber),
                        "period": period,
                        "partner": partner,
                        "actual": actual,
                    }
                )
    return pd.DataFrame(rows)


def _sla_history() -> pd.DataFrame:
    rows = [
        {
            "service": service,
            "measure": measure,
            "direction": direction,
            "target": target,
            "period": period,
            "partner": PARTNERS[0],
            "actual": actuals[i],
        }
        for service, measure, direction, target, actuals in SLAS
        for i, period in enumerate(PERIODS)
    ]
    return pd.DataFrame(rows)


def _frame(sheet: str, rows: list[dict]) -> pd.DataFrame:
    """Rows with every schema column (missing ones blank) plus partners and source."""
    cols = [c.key for c in SCHEMA[sheet].columns] + ["partners", "source"]
    all_partners = ", ".join(PARTNERS)
    full = [
        {
            **{k: None for k in cols},
            "partners": all_partners,
            "source": PARTNERS[0],
            **row,
        }
        for row in rows
    ]
    return pd.DataFrame(full, columns=cols)


def _tables() -> dict[str, pd.DataFrame]:
    d = dt.date
    kpis = [
        {
            "kpi_id": kid,
            "kpi": name,
            "unit": unit,
            "direction": direction,
            "target": float(target),
            "amber": float(amber),
            "period": period,
            "actual": float(actuals[i]),
            "owner": PARTNERS[0],
            "comment": FORMULA_LIKE[0] if (kid == "K03" and period == PERIOD) else None,
        }
        for kid, name, unit, direction, target, amber, actuals in KPIS
        for i, period in enumerate(PERIODS)
        if period == PERIOD  # reconciliation keeps the period's rows; history is separate
    ]
    sla = [
        {
            "service": service,
            "measure": measure,
            "target": target,
            "direction": direction,
            "period": period,
            "actual": actuals[i],
            "owner": PARTNERS[0],
        }
        for service, measure, direction, target, actuals in SLAS
        for i, period in enumerate(PERIODS)
        if period == PERIOD
    ]
    risks = [
        ("R01", "Key engineer leaves the joint team", "People", 3, 4, "Open"),
        ("R02", FORMULA_LIKE[1], "Commercial", 4, 4, "Mitigating"),
        ("R03", "Forecast data arrives late each month", "Operational", 4, 2, "Open"),
        ("R04", "Press coverage of a product recall", "Reputational", 1, 5, "Open"),
        ("R05", "Warehouse system migration slips", "Operational", 2, 3, "Open"),
        ("R06", "Exchange rate swing on EUR contracts", "Commercial", 3, 4, "Closed"),
    ]
    risk_rows = [
        {
            "risk_id": rid,
            "risk": text,
            "category": cat,
            "likelihood": lik,
            "impact": imp,
            "score": lik * imp,
            "owner": PARTNERS[i % 3],
            "mitigation": "Agreed at the joint board; reviewed monthly.",
            "status": status,
            "raised_on": d(2026, 3 + i, 10),
            "review_by": d(2026, 12, 15),
        }
        for i, (rid, text, cat, lik, imp, status) in enumerate(risks)
    ]
    progress = (1.0, 1.0, 1.0, 1.0, 0.6, 0.35, 0.1, 0.0)
    stage_rows = [
        {
            "stage": stage,
            "status": "Complete" if p == 1 else ("In progress" if p > 0 else "Not started"),
            "progress": p,
            "evidence": "Joint board minutes" if p else None,
            "next_step": None if p == 1 else "Agree the next milestone at the board",
            "owner": PARTNERS[i % 3],
            "target_date": d(2027, 1 + i % 6, 1),
        }
        for i, (stage, p) in enumerate(zip(STAGES, progress, strict=True))
    ]
    contacts = [
        ("Aisha Khan", PARTNERS[0], "Relationship manager", "aisha.khan@northwind.example", 1),
        ("Tom Berg", PARTNERS[0], "Executive sponsor", "tom.berg@northwind.example", 3),
        ("Li Wei", PARTNERS[1], "Account lead", "li.wei@contoso.example", 1),
        ("@ops-desk", PARTNERS[1], "Shared operations mailbox", "ops@contoso.example", 2),
        ("Marta Silva", PARTNERS[2], "Partnership director", "marta.silva@fabrikam.example", 3),
        ("Jon Reyes", PARTNERS[2], "Logistics coordinator", "jon.reyes@fabrikam.example", 1),
    ]
    contact_rows = [
        {
            "name": n,
            "organisation": o,
            "role": r,
            "responsibility": "Day-to-day running of the relationship",
            "email": e,
            "phone": "+44 20 7946 0000",
            "escalation_level": lvl,
            "partners": o,
            "source": o,
        }
        for n, o, r, e, lvl in contacts
    ]
    joint = (4, 3, 3, 4, 4, 3, 2, 3)
    health_rows = [
        {"behaviour": b, "score": s, "comment": "Discussed at the October joint board."}
        for b, s in zip(BEHAVIOURS, joint, strict=True)
    ]
    bottlenecks = [
        {
            "bottleneck_id": "B01",
            "problem": FORMULA_LIKE[2],
            "raised_on": d(2026, 8, 1),
            "impact": "High",
            "owner": PARTNERS[1],
            "action": "Finance teams to agree a weekly cash call.",
            "status": "Open",
        },
        {
            "bottleneck_id": "B02",
            "problem": "Purchase orders wait for two signatures",
            "raised_on": d(2026, 10, 20),
            "impact": "Medium",
            "owner": PARTNERS[0],
            "action": "Raise the single-signature limit to GBP 10k.",
            "status": "In progress",
        },
    ]
    successes = [
        {
            "date": d(2026, 9, 14),
            "success": "First joint tender won (regional hospitals)",
            "value_created": "GBP 1.2m over three years",
            "contributors": "Bid teams of all three partners",
        },
        {
            "date": d(2026, 11, 3),
            "success": "Defect rate below target for three months running",
            "value_created": "Fewer returns; about 40 hours a month saved",
            "contributors": "Quality circle",
        },
    ]
    testimonials = [
        {
            "date": d(2026, 10, 2),
            "from_person": "Marta Silva",
            "organisation": PARTNERS[2],
            "testimonial": "The weekly stand-up has cut our escalations in half.",
            "may_be_shared": "Yes",
        },
        {
            "date": d(2026, 10, 28),
            "from_person": "Tom Berg",
            "organisation": PARTNERS[0],
            "testimonial": NOT_SHARED,
            "may_be_shared": "No",
        },
        {
            "date": d(2026, 11, 12),
            "from_person": "Li Wei",
            "organisation": PARTNERS[1],
            "testimonial": FORMULA_LIKE[0],
            "may_be_shared": "Yes",
        },
    ]
    actions = [
        ("A01", "Information sharing", FORMULA_LIKE[3], PARTNERS[1], d(2026, 12, 1), "Open"),
        (
            "A02",
            "Risk planning",
            "Name a deputy for every key engineer",
            PARTNERS[0],
            d(2026, 12, 15),
            "In progress",
        ),
        (
            "A03",
            "Metrics",
            "Agree one definition of on-time delivery",
            PARTNERS[2],
            d(2026, 11, 20),
            "Open",
        ),
        (
            "A04",
            "Communications",
            "Publish the joint newsletter",
            PARTNERS[0],
            d(2026, 10, 31),
            "Done",
        ),
    ]
    action_rows = [
        {"action_id": a, "area": ar, "action": t, "owner": o, "due": due, "status": st}
        for a, ar, t, o, due, st in actions
    ]
    return {
        "kpis": _frame("kpis", kpis),
        "sla": _frame("sla", sla),
        "risks": _frame("risks", risk_rows),
        "stages": _frame("stages", stage_rows),
        "contacts": _frame("contacts", contact_rows),
        "health": _frame("health", health_rows),
        "bottlenecks": _frame("bottlenecks", bottlenecks),
        "successes": _frame("successes", successes),
        "testimonials": _frame("testimonials", testimonials),
        "actions": _frame("actions", action_rows),
    }


def _health_by_partner() -> pd.DataFrame:
    scores = {
        PARTNERS[0]: (4, 4, 3, 4, 5, 3, 2, 3),
        PARTNERS[1]: (4, 2, 3, 4, 4, 3, 2, 4),
        PARTNERS[2]: (5, 3, 4, 5, 4, 4, 3, 3),
    }
    return pd.DataFrame(
        [
            {"behaviour": b, "partner": p, "score": s[i]}
            for p, s in scores.items()
            for i, b in enumerate(BEHAVIOURS)
        ]
    )


def _discrepancies() -> pd.DataFrame:
    rows = [
        {
            "sheet": "KPIs",
            "item": "K01 On-time delivery (2026-11)",
            "column": "Actual",
            "values": "Northwind Ltd: 91.5; Contoso Services: 88; Fabrikam Co-op: 91.5",
            "reconciled": 91.5,
            "rule": "owner-wins",
            "difference": 0.0398,
            PARTNERS[0]: 91.5,
            PARTNERS[1]: 88.0,
            PARTNERS[2]: 91.5,
        },
        {
            "sheet": "Risks",
            "item": "R01 Key engineer leaves the joint team",
            "column": "Impact",
            "values": "Northwind Ltd: 4; Contoso Services: 3",
            "reconciled": 4,
            "rule": "owner-wins",
            "difference": 0.25,
            PARTNERS[0]: 4,
            PARTNERS[1]: 3,
            PARTNERS[2]: None,
        },
        {
            "sheet": "Actions",
            "item": "A01",
            "column": "Action",
            "values": f"Contoso Services: {FORMULA_LIKE[3]}; Northwind Ltd: share forecast",
            "reconciled": FORMULA_LIKE[3],
            "rule": "owner-wins",
            "difference": None,
            PARTNERS[0]: "share forecast",
            PARTNERS[1]: FORMULA_LIKE[3],
            PARTNERS[2]: None,
        },
    ]
    return pd.DataFrame(rows)


def _gaps() -> list[Gap]:
    return [
        Gap(
            "SLA",
            "Logistics: Orders dispatched in 24h (%)",
            "Northwind Ltd",
            96.5,
            98.0,
            "Red",
            PERIOD,
            "Review dispatch capacity with the warehouse lead before the next board.",
            "sla-breach",
        ),
        Gap(
            "KPIs",
            "K01 On-time delivery",
            "Northwind Ltd",
            91.5,
            95.0,
            "Amber",
            "2026-08",
            "Agree one definition of on-time delivery (action A03).",
            "kpi-below-target",
        ),
        Gap(
            "KPIs",
            "K01 On-time delivery",
            "all",
            91.5,
            95.0,
            "Red",
            "2026-09",
            "Worse four months running: put on the board agenda.",
            "kpi-worsening",
        ),
        Gap(
            "Risks",
            "R02 " + FORMULA_LIKE[1],
            "Contoso Services",
            16,
            15,
            "Red",
            "2026-05-10",
            "Hedge or re-price before the January contract review.",
            "risk-high",
        ),
        Gap(
            "Submissions",
            "Tailspin Logistics",
            "Tailspin Logistics",
            "not received",
            "received",
            "Red",
            PERIOD,
            "Chase the November workbook.",
            "submission-missing",
        ),
        Gap(
            "Health check",
            "Openness",
            "Contoso Services, Northwind Ltd",
            2,
            4,
            "Amber",
            PERIOD,
            "Discuss the perception gap in a joint workshop.",
            "health-perception-gap",
        ),
        Gap(
            "Bottlenecks",
            "B01 " + FORMULA_LIKE[2],
            "Contoso Services",
            117,
            60,
            "Red",
            "2026-08-01",
            "Escalate to the executive sponsors.",
            "bottleneck-open",
        ),
        Gap(
            "Actions",
            "A03 Agree one definition of on-time delivery",
            "Fabrikam Co-op",
            "2026-11-20",
            "",
            "Amber",
            "2026-11-20",
            "Overdue: set a new date.",
            "action-overdue",
        ),
    ]


def make_consolidated() -> Consolidated:
    """A fresh, fully populated Consolidated for November 2026."""
    received = dt.datetime(2026, 12, 3, 9, 30)
    files = [f"{p.split()[0].lower()}-{PERIOD}.xlsx" for p in PARTNERS]
    shas = [f"{i:x}" * 64 for i in (10, 11, 12)]
    submissions = pd.DataFrame(
        [
            {
                "file": files[i],
                "sha256": shas[i],
                "partner": p,
                "period": PERIOD,
                "received_at": received + dt.timedelta(hours=i),
                "schema_version": "1.0",
                "status": "accepted" if i != 1 else "accepted with warnings",
            }
            for i, p in enumerate(PARTNERS)
        ]
    )
    data_quality = pd.DataFrame(
        [
            {
                "file": files[1],
                "sheet": "KPIs",
                "cell": "H7",
                "column": "Actual",
                "code": "not-a-number",
                "severity": "error",
                "message": "'=1+1' is not a number: type the figure.",
            },
            {
                "file": files[1],
                "sheet": "Contacts",
                "cell": "E5",
                "column": "Email",
                "code": "bad-email",
                "severity": "warning",
                "message": "'li.wei(at)contoso' is not an e-mail address.",
            },
        ]
    )
    restatements = pd.DataFrame(
        [
            {
                "sheet": "KPIs",
                "item": "K03 Joint cost savings",
                "period": "2026-10",
                "partner": PARTNERS[2],
                "previous": 49.0,
                "restated": 52.0,
                "file": files[2],
            }
        ]
    )
    return Consolidated(
        relationship_id="NW-CT-FB-2026",
        relationship_name="Northwind–Contoso–Fabrikam supply alliance",
        period=PERIOD,
        partners=list(PARTNERS),
        expected_partners=list(EXPECTED),
        tables=_tables(),
        kpi_history=_kpi_history(),
        sla_history=_sla_history(),
        discrepancies=_discrepancies(),
        gaps=_gaps(),
        submissions=submissions,
        data_quality=data_quality,
        restatements=restatements,
        ledger="rmp-ledger.sqlite",
        generated_at=dt.datetime(2026, 12, 4, 8, 15),
        inputs=[(f"inbox/{f}", s) for f, s in zip(files, shas, strict=True)],
        health_by_partner=_health_by_partner(),
    )


def make_network(n: int = 245, missing: int = 12) -> Consolidated:
    """A network of ``n`` expected partners, ``missing`` of them not submitted: the three
    partners of :func:`make_consolidated` plus numbered ones, each with a health check."""
    c = make_consolidated()
    extra = [f"Partner {i:03d} Components Ltd" for i in range(1, n - len(PARTNERS) + 1)]
    expected = [*PARTNERS, *extra]
    submitted = expected[: n - missing]
    received = dt.datetime(2026, 12, 3, 9, 30)
    subs = [
        {
            "file": f"partner-{i:03d}-{PERIOD}.xlsx",
            "sha256": f"{i:064x}",
            "partner": p,
            "period": PERIOD,
            "received_at": received + dt.timedelta(minutes=i),
            "schema_version": "1.0",
            "status": "accepted",
        }
        for i, p in enumerate(submitted[len(PARTNERS) :], start=1)
    ]
    c.submissions = pd.concat([c.submissions, pd.DataFrame(subs)], ignore_index=True)
    # Every partner scores the health check; the last one sees Openness as 1 (poor).
    rows = [
        {"behaviour": b, "partner": p, "score": 1 if (p == submitted[-1] and j == 1) else 4}
        for p in submitted[len(PARTNERS) :]
        for j, b in enumerate(BEHAVIOURS)
    ]
    c.health_by_partner = pd.concat([c.health_by_partner, pd.DataFrame(rows)], ignore_index=True)
    c.partners = list(submitted)
    c.expected_partners = expected
    return c
