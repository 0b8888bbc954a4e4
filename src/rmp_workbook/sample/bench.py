"""Many large partner workbooks for the benchmark: one template, filled ``n`` times."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rmp_workbook.atomic import atomic_write_text
from rmp_workbook.config import KpiConfig, PartnerConfig, RelationshipConfig
from rmp_workbook.sample.fill import fill_workbook
from rmp_workbook.sample.folder import template_time
from rmp_workbook.sample.story import (
    UTC,
    Rows,
    config_toml,
    make_config,
    month_end,
    month_start,
    period_add,
    slug,
    trend,
)
from rmp_workbook.schema import (
    ACTION_AREAS,
    BEHAVIOURS,
    CHANNELS,
    CONFIDENTIALITY,
    FREQUENCIES,
    INFO_METHODS,
    STAGES,
)

# ---------------------------------------------------------------------------
# Many large workbooks, for the benchmark
# ---------------------------------------------------------------------------

_BENCH_ORGS = (
    "Adatum Tooling Ltd", "Alpine Ski House", "Coho Vineyard", "Fourth Coffee",
    "Litware Analytics", "Lucerne Publishing", "Proseware Systems", "Tailspin Aerospace",
    "Wide World Importers", "Wingtip Toys", "Woodgrove Bank", "Relecloud Services",
    "Trey Research", "VanArsdel Ltd", "Humongous Insurance", "Graphic Design Institute",
    "Blue Yonder Airlines", "City Power & Light", "Margie's Travel", "School of Fine Art",
)  # fmt: skip
_FIRST = ("Amelia", "Oliver", "Isla", "Noah", "Freya", "Arjun", "Chloe", "Mohammed", "Grace",
          "Ethan", "Zara", "Lucas", "Hannah", "Kwame", "Sofia", "James", "Mei", "Owen")  # fmt: skip
_LAST = ("Patel", "Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans", "Wilson",
         "Thomas", "Roberts", "Chen", "Walker", "Wright", "Green", "Hughes", "Khan")  # fmt: skip
_ROLES = ("Account manager", "Operations lead", "Quality engineer", "Buyer", "Planner",
          "Finance business partner", "Programme manager", "Logistics coordinator")  # fmt: skip
_RISK_TOPICS = (
    "Single source for a critical raw material",
    "Key person leaves the account team",
    "Forecast volumes drop after a programme delay",
    "Cyber incident on a shared system",
    "Energy price rise erodes agreed margins",
    "Customs delays on imported components",
    "Quality escape reaches the end customer",
    "Currency movement on euro-priced parts",
    "Warehouse capacity runs out at peak",
    "Tooling failure stops the line",
    "Late engineering changes disrupt the build plan",
    "Regulatory change on packaging waste",
)
_EXTRA_KPIS = (
    KpiConfig(id="K06", name="Forecast accuracy", unit="%", target=90, amber=85),
    KpiConfig(id="K07", name="First-pass yield", unit="%", target=97, amber=94),
    KpiConfig(id="K08", name="Expedite cost", unit="GBP", direction="Lower is better",
              target=2000, amber=4000),
    KpiConfig(id="K09", name="CO2 per delivery", unit="kg", direction="Lower is better",
              target=45, amber=55),
    KpiConfig(id="K10", name="Open non-conformances", unit="count",
              direction="Lower is better", target=3, amber=6),
)  # fmt: skip


def bench_config(n: int) -> RelationshipConfig:
    """A relationship with ``n`` partners, 10 KPIs and 3 SLA lines, for :func:`fill_many`."""
    base = make_config(3)
    names = [
        _BENCH_ORGS[i % len(_BENCH_ORGS)] + (f" {i // len(_BENCH_ORGS) + 1}" if i >= 20 else "")
        for i in range(n)
    ]
    kpis = [
        k.model_copy(update={"owner": names[j % n]})
        for j, k in enumerate([*base.kpis, *_EXTRA_KPIS])
    ]
    sla = [s.model_copy(update={"owner": names[j % n]}) for j, s in enumerate(base.sla)]
    return RelationshipConfig(
        id="BENCH-2026",
        name="Benchmark supply network",
        partners=[PartnerConfig(name=name) for name in names],
        kpis=kpis,
        sla=sla,
    )


def _bench_rows(
    rng: random.Random, config: RelationshipConfig, partner: str, plist: Sequence[str]
) -> Rows:
    """A large, plausible workbook: every period's KPIs and SLA, long registers."""
    n = len(plist)
    org = partner.split()[0].lower()
    rows: Rows = {"kpis": [], "sla": []}
    for kpi in config.kpis:
        target = float(kpi.target or 0)
        down = kpi.direction == "Lower is better"
        start = target * (1.25 if down else 0.93)
        series = trend(rng, n, start, target * (0.95 if down else 1.01), 1)
        for i, period in enumerate(plist):
            rows["kpis"].append(
                {
                    "kpi_id": kpi.id, "kpi": kpi.name, "unit": kpi.unit,
                    "direction": kpi.direction, "target": kpi.target, "amber": kpi.amber,
                    "period": period, "actual": max(0.0, series[i]), "owner": kpi.owner,
                    "comment": "Month-end figure from the shared tracker." if i % 5 == 0 else "",
                }
            )  # fmt: skip
    for sla in config.sla:
        target = float(sla.target or 0)
        for period in plist:
            wobble = rng.uniform(-0.05, 0.05) * max(target, 1)
            rows["sla"].append(
                {
                    "service": sla.service, "measure": sla.measure, "target": sla.target,
                    "direction": sla.direction, "period": period,
                    "actual": round(target + wobble, 1), "owner": sla.owner, "comment": "",
                }
            )  # fmt: skip
    first = month_start(plist[0])
    days = (month_end(plist[-1]) - first).days

    def some_day() -> dt.date:
        return first + dt.timedelta(days=rng.randrange(days))

    rows["risks"] = [
        {
            "risk_id": f"R{j + 1:02d}",
            "risk": f"{rng.choice(_RISK_TOPICS)} (line {rng.randint(1, 9)}).",
            "category": rng.choice(("Commercial", "Operational", "People", "Reputational")),
            "likelihood": rng.randint(1, 5),
            "impact": rng.randint(1, 5),
            "owner": rng.choice(config.partners).name,
            "mitigation": "Reviewed at the monthly relationship meeting; owner reports progress.",
            "status": rng.choice(("Open", "Mitigating", "Mitigating", "Closed")),
            "raised_on": some_day(),
            "review_by": month_end(plist[-1]) + dt.timedelta(days=rng.randint(-20, 90)),
        }
        for j in range(30)
    ]
    people = [(f, last) for f in _FIRST for last in _LAST]
    rng.shuffle(people)
    rows["contacts"] = [
        {
            "name": f"{f} {last}",
            "organisation": partner,
            "role": rng.choice(_ROLES),
            "responsibility": "Day-to-day contact for the relationship.",
            "email": f"{f.lower()}.{last.lower()}@{org}.example",
            "phone": f"+44 20 7946 0{rng.randint(100, 999)}",
            "escalation_level": 1 + (j % 3),
        }
        for j, (f, last) in enumerate(people[:20])
    ]
    rows["successes"] = [
        {
            "date": some_day(),
            "success": f"Joint improvement {j + 1} delivered on time and under budget.",
            "value_created": f"£{rng.randint(2, 60) * 500:,} a year saved.",
            "contributors": f"{partner} and partners",
        }
        for j in range(15)
    ]
    rows["testimonials"] = [
        {
            "date": some_day(),
            "from_person": f"{f} {last}",
            "organisation": partner,
            "testimonial": "Working together has made problems smaller and decisions faster.",
            "may_be_shared": rng.choice(("Yes", "Yes", "No")),
        }
        for f, last in people[20:26]
    ]
    rows["bottlenecks"] = [
        {
            "bottleneck_id": f"B{j + 1:02d}",
            "problem": f"Hand-over {j + 1} between teams waits for sign-off.",
            "raised_on": some_day(),
            "impact": rng.choice(("Low", "Medium", "High")),
            "owner": rng.choice(config.partners).name,
            "action": "Owner to agree a faster route at the next review.",
            "status": rng.choice(("Open", "In progress", "Resolved")),
            "resolved_on": None,
        }
        for j in range(12)
    ]
    rows["actions"] = [
        {
            "action_id": f"A{j + 1:02d}",
            "area": rng.choice(ACTION_AREAS),
            "action": f"Joint action {j + 1}: agree, do and report back.",
            "owner": rng.choice(config.partners).name,
            "due": some_day() + dt.timedelta(days=60),
            "status": rng.choice(("Open", "In progress", "Done")),
            "done_on": None,
        }
        for j in range(20)
    ]
    rows["stages"] = [
        {"stage": s, "status": "Complete" if k < 4 else "In progress", "progress": 1.0 if k < 4
         else round(rng.uniform(0.1, 0.9), 2), "owner": partner}
        for k, s in enumerate(STAGES)
    ]  # fmt: skip
    rows["health"] = [{"behaviour": b, "score": rng.randint(2, 5)} for b in BEHAVIOURS]
    names = [p.name for p in config.partners]
    rows["development"] = [
        {
            "need_id": f"D{j + 1:02d}", "need": f"Skills need {j + 1}: joint tooling.",
            "partner": rng.choice(names), "people": f"{rng.randint(2, 40)} people",
            "action": "Course and coaching.", "owner": rng.choice(names),
            "due": some_day() + dt.timedelta(days=60),
            "status": rng.choice(("Identified", "Planned", "In progress", "Met")),
        }
        for j in range(6)
    ]  # fmt: skip
    rows["information"] = [
        {
            "flow_id": f"I{j + 1:02d}", "information": f"Shared data set {j + 1}.",
            "from_partner": rng.choice(names), "to_partner": rng.choice(names),
            "how": rng.choice(INFO_METHODS), "frequency": rng.choice(FREQUENCIES),
            "confidentiality": rng.choice(CONFIDENTIALITY), "owner": rng.choice(names),
        }
        for j in range(6)
    ]  # fmt: skip
    rows["communications"] = [
        {
            "comm_id": f"C{j + 1:02d}", "audience": rng.choice(("Joint board", "Operations")),
            "message": f"Relationship update {j + 1}.", "channel": rng.choice(CHANNELS),
            "frequency": rng.choice(("Weekly", "Monthly", "Quarterly")), "owner": rng.choice(names),
            "last_done": some_day(), "next_due": some_day() + dt.timedelta(days=30),
        }
        for j in range(6)
    ]  # fmt: skip
    rows["value"] = [
        {
            "initiative_id": f"V{j + 1:02d}", "initiative": f"Joint initiative {j + 1}.",
            "goal": "Lower total cost.", "estimated": (est := rng.randint(10, 200) * 1000),
            "realised": round(est * rng.uniform(0.2, 1.1), -2), "unit": "GBP",
            "sharing": "50/50 gain share.", "target_date": some_day() + dt.timedelta(days=90),
            "owner": rng.choice(names), "status": rng.choice(("Agreed", "Delivered")),
        }
        for j in range(6)
    ]  # fmt: skip
    rows["exit"] = [
        {
            "scenario_id": f"X{j + 1:02d}", "trigger": f"Exit scenario {j + 1}.",
            "service": "Core service", "measure": "Transition to another vendor.",
            "owner": rng.choice(names), "notice_days": 90, "last_reviewed": some_day(),
            "status": rng.choice(("Draft", "Agreed", "Tested")),
        }
        for j in range(3)
    ]  # fmt: skip
    return rows


def fill_many(
    out_dir: str | os.PathLike[str],
    n: int,
    seed: int = 2026,
    *,
    periods: int = 24,
    end_period: str = "2026-11",
) -> list[Path]:
    """Write ``n`` large partner workbooks (and their ``rmp.toml``) for the benchmark.

    Each holds ``periods`` months of 10 KPIs and 3 SLA lines, 30 risks, 20 contacts,
    and long registers. The template is written once and filled ``n`` times.
    """
    import openpyxl  # noqa: F401  (fail early, before the template is written)

    from rmp_workbook import template as template_module

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = random.Random(seed)
    config = bench_config(n)
    plist = [period_add(end_period, i - periods + 1) for i in range(periods)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "rmp.toml", config_toml(config))
    when = template_time(end_period)
    stamp = when.isoformat(timespec="seconds")
    paths = []
    with tempfile.TemporaryDirectory() as tmp:
        template = template_module.write_template(
            Path(tmp) / "template.xlsx",
            relationship_id=config.id,
            relationship_name=config.name,
            partner=config.partners[0].name,
            period=end_period,
            config=config,
            generated_at=when,
        )
        data = template.read_bytes()
        for i, partner in enumerate(config.partners):
            name = partner.name
            received = dt.datetime.combine(
                month_start(period_add(end_period, 1)), dt.time(8), tzinfo=UTC
            ) + dt.timedelta(hours=i)
            path = fill_workbook(
                io.BytesIO(data),
                _bench_rows(rng, config, name, plist),
                out / f"{slug(name)}_{end_period}.xlsx",
                relationship={"partner": name, "prepared_by": "Benchmark", "prepared_on":
                              received.date()},
                style="messy" if i % 2 else "tidy",
                seed=seed,
                saved_at=received,
                meta={
                    "partner": name,
                    "template_id": template_module.template_id(config.id, name, end_period, stamp),
                },
            )  # fmt: skip
            os.utime(path, (received.timestamp(), received.timestamp()))
            paths.append(path)
    return paths
