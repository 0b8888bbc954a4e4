"""The sample relationship's story: who the partners are and what they write each month.

Three organisations run one collaborative relationship: an SME supplier
(Northwind Components Ltd), its customer (Contoso Engineering plc) and a
logistics partner (Fabrikam Logistics). :func:`build_relationship` makes, from a
fixed seed, every workbook they send, with the awkward things real months bring:
partners disagreeing on a figure, an SLA breach, a perception gap, a testimonial
that may not be shared, a figure restated later, a late and then resubmitted
file, and text that looks like a formula. Pure: no files.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rmp_workbook.config import (
    KpiConfig,
    ManagerConfig,
    PartnerConfig,
    RelationshipConfig,
    SlaConfig,
)
from rmp_workbook.schema import BEHAVIOURS, STAGES

Style = Literal["tidy", "messy"]
Rows = dict[str, list[dict[str, Any]]]

UTC = dt.UTC

# ---------------------------------------------------------------------------
# Periods and dates
# ---------------------------------------------------------------------------


def period_add(period: str, months: int) -> str:
    """``YYYY-MM`` moved by ``months`` (negative goes back)."""
    year, month = (int(p) for p in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(period: str) -> dt.date:
    year, month = (int(p) for p in period.split("-"))
    return dt.date(year, month, 1)


def month_end(period: str) -> dt.date:
    return month_start(period_add(period, 1)) - dt.timedelta(days=1)


def slug(name: str) -> str:
    """A file-name-safe lower-case form of an organisation name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# ---------------------------------------------------------------------------
# The cast
# ---------------------------------------------------------------------------

SUPPLIER, CUSTOMER, LOGISTICS = 0, 1, 2
"""Partner roles, as indices into the partner list."""


@dataclass(frozen=True)
class _Person:
    name: str
    role: str
    responsibility: str
    email: str
    phone: str
    level: int


@dataclass(frozen=True)
class _Org:
    name: str
    style: Style
    """How carefully this organisation's staff fill in workbooks."""
    contacts: tuple[_Person, ...]
    receipt_day: int
    """Day of the following month the workbook usually arrives."""


ORGS: tuple[_Org, ...] = (
    _Org(
        "Northwind Components Ltd",
        "tidy",
        (
            _Person(
                "Aisha Khan",
                "Relationship manager",
                "Runs the RMP day to day and chairs the monthly review.",
                "aisha.khan@northwind.example",
                "+44 113 496 0571",
                1,
            ),
            _Person(
                "Tom Bradley",
                "Operations director",
                "Production capacity, delivery performance and quality escalations.",
                "tom.bradley@northwind.example",
                "+44 113 496 0112",
                2,
            ),
            _Person(
                "Daniel Okafor",
                "Quality engineer",
                "Non-conformance reports, FMEA and first-article inspection.",
                "daniel.okafor@northwind.example",
                "+44 113 496 0389",
                1,
            ),
            _Person(
                "Priya Nair",
                "Managing director",
                "Executive sponsor; signs off the framework agreement.",
                "priya.nair@northwind.example",
                "+44 113 496 0100",
                3,
            ),
        ),
        receipt_day=3,
    ),
    _Org(
        "Contoso Engineering plc",
        "messy",
        (
            _Person(
                "Sarah Whitfield",
                "Supplier relationship manager",
                "Owns the supplier relationship and the joint savings tracker.",
                "sarah.whitfield@contoso.example",
                "+44 1332 496 021",
                1,
            ),
            _Person(
                "Raj Patel",
                "Accounts payable lead",
                "Invoice queries and credit notes.",
                "raj.patel@contoso.example",
                "+44 1332 496 077",
                1,
            ),
            _Person(
                "Mark Jensen",
                "Head of procurement",
                "Commercial decisions, forecasts and volume commitments.",
                "mark.jensen@contoso.example",
                "+44 1332 496 050",
                2,
            ),
            _Person(
                "Helen Ashworth",
                "Chief operating officer",
                "Executive sponsor for Contoso.",
                "helen.ashworth@contoso.example",
                "+44 1332 496 001",
                3,
            ),
        ),
        receipt_day=5,
    ),
    _Org(
        "Fabrikam Logistics",
        "messy",
        (
            _Person(
                "Liam O'Connor",
                "Account manager",
                "Transport planning for the Leeds–Derby lane and the consignment warehouse.",
                "liam.oconnor@fabrikam.example",
                "+44 161 496 0433",
                1,
            ),
            _Person(
                "Kasia Nowak",
                "Warehouse supervisor",
                "Goods-in and consignment stock at the Wakefield warehouse.",
                "",
                "+44 1924 496 018",
                1,
            ),
            _Person(
                "Graham Reid",
                "Logistics director",
                "Fleet, drivers and escalations on delivery performance.",
                "graham.reid@fabrikam.example",
                "+44 161 496 0200",
                2,
            ),
        ),
        receipt_day=6,
    ),
)

RELATIONSHIP_ID = "NWC-2026"
RELATIONSHIP_NAME = "Northwind–Contoso precision components partnership"

GENERATED_AT = dt.datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
"""Fixed so that regenerating the sample gives the same files."""

DEADLINE_DAY = 7
"""Workbooks are due by the 7th of the following month."""

MISTAKES_AT = 3
"""Index of the month (0 = the first) whose customer workbook holds typing mistakes."""

_MISTAKES: tuple[tuple[str, str, str, str, str], ...] = (
    # (sheet key, key column, row key, column key, what the person typed)
    ("risks", "risk_id", "R01", "likelihood", "high"),  # a word where the 1-5 scale belongs
    ("contacts", "name", "Raj Patel", "email", "raj.patel.contoso.example"),  # no @
)
"""Two everyday typing mistakes in the customer's workbook, so the demo shows feedback."""


def _role_of(p_idx: int, partners: int) -> int:
    """The role a partner plays (with two partners the supplier also ships)."""
    if p_idx == CUSTOMER:
        return CUSTOMER
    return LOGISTICS if p_idx == LOGISTICS and partners > 2 else SUPPLIER


def _roles(partners: int) -> dict[int, int]:
    """Role -> index of the partner playing it (with two partners the supplier also ships)."""
    return {SUPPLIER: 0, CUSTOMER: 1, LOGISTICS: 2 if partners > 2 else 0}


# ---------------------------------------------------------------------------
# What the generator returns
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleWorkbook:
    """One workbook a partner sends: what it holds and when it arrives."""

    partner: str
    period: str
    file_name: str
    received_at: dt.datetime
    relationship: dict[str, Any]
    """Relationship form values by column key."""
    rows: Rows
    """Sheet key -> rows (column key -> value) in the order the person types them."""
    style: Style = "tidy"
    supersedes: str | None = None
    """The file this one replaces (a resubmission for the same partner and period)."""


@dataclass(frozen=True)
class Scenario:
    """Where the sample plants each situation the engine must notice."""

    kpi_disagreement: tuple[str, str, dict[str, float]]
    """(KPI ID, period, partner -> actual) with figures more than 1% apart."""
    worsening_kpi: tuple[str, tuple[str, ...]]
    """(KPI ID, the periods in which it got worse than the month before)."""
    sla_breach: tuple[str, str, str, float, float]
    """(service, measure, period, actual, target)."""
    risk_disagreement: tuple[str, dict[str, tuple[int, int]]]
    """(risk ID, partner -> (likelihood, impact))."""
    high_risk: tuple[str, int]
    """(risk ID, score)."""
    risk_review_overdue: tuple[str, dt.date]
    stage_disagreement: tuple[str, dict[str, str]]
    """(stage, partner -> status)."""
    stage_overdue: tuple[str, dt.date]
    contact_without_email: tuple[str, str]
    """(partner, contact name)."""
    no_executive_sponsor: tuple[str, ...]
    """Partners listing no escalation-level-3 contact."""
    perception_gap: tuple[str, dict[str, int]]
    """(behaviour, partner -> score) in the last period."""
    long_open_bottleneck: tuple[str, dt.date]
    private_testimonial: tuple[str, str]
    """(partner, from person) of the testimonial marked May be shared: No."""
    overdue_action: tuple[str, dt.date]
    restatement: tuple[str, str, str, float, float, str]
    """(partner, KPI ID, period, previous, restated, file restating it)."""
    late_file: tuple[str, str, str, str]
    """(partner, period, the late file, the file superseding it)."""
    formula_texts: tuple[tuple[str, str, str, str, str], ...]
    """(file, sheet key, column key, row key, text) of text beginning = + - or @."""
    typing_mistakes: tuple[tuple[str, str, str, str, str], ...] = ()
    """(file, sheet key, column key, row key, what was typed) of values a person got wrong:
    ``rmp validate`` reports each at its cell, ``rmp merge`` leaves its row out."""


@dataclass
class SampleRelationship:
    """The sample: its config, its months and every workbook in order of arrival."""

    config: RelationshipConfig
    periods: list[str]
    workbooks: list[SampleWorkbook]
    scenario: Scenario
    seed: int
    generated_at: dt.datetime = GENERATED_AT

    @property
    def partners(self) -> list[str]:
        return [p.name for p in self.config.partners]

    def current(self, partner: str, period: str) -> SampleWorkbook:
        """The workbook that counts for a partner and period (the latest to arrive)."""
        found = [w for w in self.workbooks if w.partner == partner and w.period == period]
        if not found:
            raise KeyError((partner, period))
        return max(found, key=lambda w: w.received_at)


# ---------------------------------------------------------------------------
# The relationship config
# ---------------------------------------------------------------------------


def make_config(partners: int) -> RelationshipConfig:
    roles = _roles(partners)
    name = [o.name for o in ORGS]
    supplier, customer, logistics = (name[roles[r]] for r in (SUPPLIER, CUSTOMER, LOGISTICS))
    # The relationship manager runs the RMP day to day: every Guide names them to ask.
    manager = ORGS[0].contacts[0]
    return RelationshipConfig(
        id=RELATIONSHIP_ID,
        name=RELATIONSHIP_NAME,
        due=DEADLINE_DAY,
        manager=ManagerConfig(name=manager.name, email=manager.email, phone=manager.phone),
        partners=[
            PartnerConfig(name=o.name, contact=o.contacts[0].name, email=o.contacts[0].email)
            for o in ORGS[:partners]
        ],
        kpis=[
            KpiConfig(id="K01", name="On-time delivery", unit="%", target=95, amber=90,
                      owner=logistics),
            KpiConfig(id="K02", name="Defects per 1,000 parts", unit="ppt",
                      direction="Lower is better", target=2.0, amber=3.5, owner=supplier),
            KpiConfig(id="K03", name="Invoice accuracy", unit="%", target=98, amber=95,
                      owner=customer),
            KpiConfig(id="K04", name="Joint savings in the month", unit="GBP", target=15000,
                      amber=10000, owner=customer),
            KpiConfig(id="K05", name="Order-to-delivery lead time", unit="days",
                      direction="Lower is better", target=10, amber=14, owner=logistics),
        ],
        sla=[
            SlaConfig(service="Inbound delivery", measure="Deliveries in booked slot (%)",
                      target=98, direction="At least", owner=logistics),
            SlaConfig(service="Supplier quality", measure="NCR first response (working days)",
                      target=2, direction="At most", owner=supplier),
            SlaConfig(service="Invoicing", measure="Invoice query resolved (days)",
                      target=5, direction="At most", owner=customer),
        ],
    )  # fmt: skip


def config_toml(config: RelationshipConfig) -> str:
    """The config as TOML that :func:`rmp_workbook.config.load_config` reads back."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        text = str(v).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'

    def table(header: str, data: Mapping[str, object]) -> list[str]:
        lines = [header]
        lines += [f"{k} = {value(v)}" for k, v in data.items() if v not in (None, "", [])]
        return [*lines, ""]

    dump = config.model_dump()
    lines = [
        f"# Relationship config for {config.name}.",
        "# rmp template pre-fills workbooks from it; rmp merge takes partners and thresholds.",
        "",
        *table("[relationship]", {"id": dump["id"], "name": dump["name"], "due": dump["due"]}),
    ]
    if dump.get("manager"):
        lines += table("[relationship.manager]", dump["manager"])
    for key in ("partners", "kpis", "sla"):
        for item in dump[key]:
            lines += table(f"[[relationship.{key}]]", item)
    lines += table("[relationship.thresholds]", dump["thresholds"])
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------
# Figures over time
# ---------------------------------------------------------------------------


def trend(rng: random.Random, n: int, start: float, end: float, digits: int) -> list[float]:
    """A trend with noise small enough that it never turns the wrong way twice running."""
    step = (end - start) / max(1, n - 1)
    wobble = abs(step) * 0.5
    return [round(start + step * i + rng.uniform(-wobble, wobble), digits) for i in range(n)]


def _kpi_truth(rng: random.Random, n: int) -> dict[str, list[float]]:
    k02 = trend(rng, n - 3, 2.6, 1.8, 1)
    for _ in range(3):  # defects climb three months running: the worsening KPI
        k02.append(round(k02[-1] + rng.uniform(0.45, 0.65), 1))
    savings = trend(rng, n, 8000, 17000, -2)
    return {
        "K01": trend(rng, n, 91.0, 95.5, 1),
        "K02": k02,
        "K03": trend(rng, n, 97.0, 99.0, 1),
        "K04": [float(round(v / 50) * 50) for v in savings],
        "K05": trend(rng, n, 14.0, 10.5, 1),
    }


def _sla_truth(rng: random.Random, n: int) -> dict[str, list[float]]:
    slot = [round(rng.uniform(98.2, 99.4), 1) for _ in range(n)]
    slot[n - 2] = round(rng.uniform(94.5, 95.9), 1)  # the breach
    return {
        "Inbound delivery": slot,
        "Supplier quality": [rng.choice([1.0, 1.5, 2.0]) for _ in range(n)],
        "Invoicing": [float(rng.choice([3, 4, 4, 5])) for _ in range(n)],
    }


# ---------------------------------------------------------------------------
# Registers: what each item looks like in a given month
# ---------------------------------------------------------------------------

_SCOPE = (
    "Supply of machined aluminium housings and brackets from Northwind's Leeds plant to "
    "Contoso's Derby assembly line, with Fabrikam Logistics running inbound transport and the "
    "consignment warehouse in Wakefield. Aftermarket spares are out of scope."
)
_DRIVERS = (
    "Cut Contoso's inbound lead time and defect rate; give Northwind a predictable three-year "
    "order book; share the savings from joint value engineering 50/50."
)
_CONTRACTS = (
    "Framework supply agreement FSA-2025-014 (three years from January 2026); logistics "
    "services schedule with Fabrikam; mutual NDA signed November 2025."
)
_SYSTEMS = (
    "Contoso supplier portal (forecasts and call-offs), Fabrikam track-and-trace, shared "
    "SharePoint site holding the RMP workbooks."
)
_STRUCTURE = (
    "Joint relationship board of the three executive sponsors meets quarterly; relationship "
    "managers meet monthly; operations stand-up every Tuesday at 09:00."
)


@dataclass(frozen=True)
class _Risk:
    risk_id: str
    risk: str
    category: str
    likelihood: int
    impact: int
    owner_role: int
    mitigation: str
    raised: int
    """Period index when raised."""
    closed: int | None = None


def _risks(n: int) -> tuple[_Risk, ...]:
    return (
        _Risk("R01", "Single source for 6082 aluminium bar: a mill outage would stop housing "
              "production within two weeks.", "Commercial", 3, 4, SUPPLIER,
              "Qualify a second mill (Sheffield Alloys); hold four weeks of bar stock.", 0),
        _Risk("R02", "Contoso volumes fall sharply if the EV platform launch slips, leaving "
              "Northwind's new cell idle.", "Commercial", 4, 5, CUSTOMER,
              "Quarterly volume review; Northwind to quote other Contoso programmes.", 1),
        _Risk("R03", "Driver shortages at Fabrikam's Leeds depot delay collections.",
              "Operational", 2, 3, LOGISTICS,
              "Agency drivers on standby; collections moved to 08:00.", 1),
        _Risk("R04", "Loss of the one CNC programmer who knows the housing programs.",
              "People", 2, 4, SUPPLIER, "Second programmer in training; programs documented.",
              min(2, n - 1)),
        _Risk("R05", "Cyber incident on the supplier portal exposes forecast data.",
              "Reputational", 2, 5, CUSTOMER,
              "Portal penetration test; MFA for all supplier accounts.", 0),
        _Risk("R06", "Customs delays on imported tooling inserts after the tariff changes.",
              "Operational", 3, 3, SUPPLIER,
              "Order inserts eight weeks ahead; ask the broker for pre-clearance.", max(1, n - 3)),
        _Risk("R07", "Returnable packaging not tracked, stillages lost between sites.",
              "Operational", 3, 2, LOGISTICS,
              "Stillages barcoded and counted at each collection.", 0, closed=min(3, n - 2)),
    )  # fmt: skip


# Partners' own view of the disputed risk R03: the customer feels the delays most.
_R03_VIEWS = {SUPPLIER: (3, 3), CUSTOMER: (4, 4), LOGISTICS: (2, 3)}

_STAGE_PLAN: dict[str, tuple[str, float, float, str, str, int, str]] = {
    # stage: (status, progress at first period, at last, evidence, next step, owner role,
    #         target date: "p<k>" = end of the period k from the end, or an ISO date)
    "Awareness": ("Complete", 1.0, 1.0, "Board paper on collaborative working, Oct 2025.",
                  "", SUPPLIER, "2025-10-31"),
    "Knowledge": ("Complete", 1.0, 1.0, "Relationship strategy and value case agreed.",
                  "", SUPPLIER, "2025-11-30"),
    "Internal assessment": ("Complete", 1.0, 1.0, "ISO 44001 self-assessment scored 68%.",
                            "", SUPPLIER, "2025-12-15"),
    "Partner selection": ("Complete", 1.0, 1.0, "Framework agreement FSA-2025-014 signed.",
                          "", CUSTOMER, "2025-12-31"),
    "Working together": ("In progress", 0.55, 0.8, "Joint governance running; RMP issued.",
                         "Sign the joint operating manual.", SUPPLIER, "p3"),
    "Value creation": ("In progress", 0.1, 0.45, "Value-engineering log: 6 ideas, 2 live.",
                       "Agree how joint savings are verified.", CUSTOMER, "2027-03-31"),
    "Staying together": ("Not started", 0.0, 0.0, "", "Plan the first annual review.",
                         CUSTOMER, "2027-06-30"),
    "Exit strategy": ("Not started", 0.0, 0.1, "", "Draft the exit and transition plan.",
                      CUSTOMER, "2027-03-31"),
}  # fmt: skip
_DISPUTED_STAGE = "Value creation"
_OVERDUE_STAGE = "Working together"


@dataclass(frozen=True)
class _Bottleneck:
    bottleneck_id: str
    problem: str
    raised: tuple[int, int]
    """(period index, day of month)."""
    impact: str
    owner_role: int
    action: str
    resolved: int | None = None
    """Period index when resolved."""


def _bottlenecks(n: int) -> tuple[_Bottleneck, ...]:
    return (
        _Bottleneck("B01", "Contoso goods-in rejects deliveries without a printed ASN, although "
                    "ASNs are sent electronically.", (0, 9), "High", CUSTOMER,
                    "Contoso IT to show electronic ASNs at goods-in; meanwhile Fabrikam prints "
                    "them."),
        _Bottleneck("B02", "Engineering change approvals take three weeks at Contoso.",
                    (min(1, n - 1), 14), "Medium", CUSTOMER,
                    "Fast track for changes with no form-fit-function impact.",
                    resolved=n - 2),
        _Bottleneck("B03", "06:00 collection window at Northwind is too early for the night "
                    "shift to finish packing.", (min(2, n - 1), 3), "Low", LOGISTICS,
                    "Collection moved to 08:00.", resolved=min(3, n - 1)),
    )  # fmt: skip


@dataclass(frozen=True)
class _Action:
    action_id: str
    area: str
    action: str
    owner_role: int
    due: str
    """ISO date, or "p<k>:<day>" = day of the period k from the end."""
    done: int | None = None
    """Period index when done."""


_ACTIONS = (
    _Action("A01", "Risk planning", "Qualify Sheffield Alloys as second source for 6082 bar.",
            SUPPLIER, "2027-01-31"),
    _Action("A02", "Information sharing", "Give Northwind read access to Contoso's 12-month "
            "forecast in the supplier portal.", CUSTOMER, "p5:28", done=1),
    _Action("A03", "Metrics", "Agree how joint savings are verified and who signs them off.",
            CUSTOMER, "p2:15"),
    _Action("A04", "Professional development", "Run a joint ISO 44001 awareness session for "
            "operations staff.", SUPPLIER, "p3:20", done=3),
    _Action("A05", "Exit strategy", "Draft the exit and transition plan for FSA-2025-014.",
            CUSTOMER, "2027-03-31"),
    _Action("A06", "Communications", "Publish a one-page relationship newsletter after each "
            "monthly review.", LOGISTICS, "2026-12-18"),
)  # fmt: skip
_OVERDUE_ACTION = "A03"


# The joint plan areas every partner keeps (one shared list, like the actions).
_DEVELOPMENT = (
    # (id, need, partner role, people, action, owner role, due, met at period index)
    ("D01", "ISO 44001 awareness for operations staff.", SUPPLIER, "30 operations staff",
     "Half-day joint session run by Contoso's relationship manager.", SUPPLIER, "p3:20", 3),
    ("D02", "Supplier portal training for Northwind's planners.", SUPPLIER, "6 planners",
     "Two remote sessions and a quick-reference card.", CUSTOMER, "p2:15", None),
    ("D03", "Dangerous goods awareness for milk-run drivers.", LOGISTICS, "14 drivers",
     "Accredited one-day course.", LOGISTICS, "2027-02-26", None),
)  # fmt: skip
_OVERDUE_NEED = "D02"

_INFORMATION = (
    # (id, information, from role, to role or None for all, how, how often, confidentiality,
    #  owner role or None when nobody owns the flow)
    ("I01", "12-month demand forecast.", CUSTOMER, SUPPLIER, "Shared system", "Weekly",
     "Confidential", CUSTOMER),
    ("I02", "Consignment stock levels at Wakefield.", LOGISTICS, None, "API / EDI", "Daily",
     "Internal", LOGISTICS),
    ("I03", "Quality escapes and 8D reports.", SUPPLIER, CUSTOMER, "E-mail", "As needed",
     "Confidential", None),
)  # fmt: skip
_UNOWNED_FLOW = "I03"

_COMMUNICATIONS = (
    # (id, audience, message, channel, frequency, owner role, months between, day, late)
    ("C01", "Joint relationship board", "Monthly performance review and decisions.",
     "Meeting", "Monthly", CUSTOMER, 1, 12, False),
    ("C02", "Operations staff of all partners", "One-page relationship newsletter.",
     "Newsletter", "Monthly", LOGISTICS, 1, 20, True),
    ("C03", "Executive sponsors", "Quarterly business review.", "Video call", "Quarterly",
     SUPPLIER, 3, 8, False),
)  # fmt: skip
_OVERDUE_COMMUNICATION = "C02"

_VALUE = (
    # (id, initiative, goal, estimated, realised share by the last period, unit, sharing,
    #  target date, owner role, status at the end)
    ("V01", "Value-engineered housing.", "Lower unit cost of the housing.", 38000, 0.6, "GBP",
     "50/50 gain share.", "2027-06-30", SUPPLIER, "In progress"),
    ("V02", "Milk-run consolidation.", "Fewer trucks and lower CO2.", 9600, 0.55, "GBP",
     "By volume shipped.", "p2", LOGISTICS, "In progress"),
    ("V03", "Consignment stock at Wakefield.", "Lower inventory for Contoso.", 120000, 1.0,
     "GBP", "Contoso keeps the saving; Fabrikam is paid per pallet.", "p1", CUSTOMER,
     "Delivered"),
)  # fmt: skip
_VALUE_BEHIND = "V02"

_EXIT = (
    # (id, trigger, service, measure, owner role, notice days, reviewed months ago or None,
    #  status)
    ("X01", "Framework agreement FSA-2025-014 is not renewed.", "Machined housings supply",
     "Last-time buy of 8 weeks' stock, then transition to a second source over 6 months.",
     CUSTOMER, 180, 2, "Agreed"),
    ("X02", "Fabrikam's Wakefield warehouse is unavailable.", "Consignment stock",
     "Move stock to Contoso's Leeds site within 5 working days.", LOGISTICS, 30, None,
     "Draft"),
)  # fmt: skip
_UNREVIEWED_EXIT = "X02"


def _when(spec: str, periods: Sequence[str]) -> dt.date:
    """A date written as ISO, or ``p<k>`` (end of the period k from the end), or ``p<k>:<day>``."""
    if not spec.startswith("p"):
        return dt.date.fromisoformat(spec)
    k, _, day = spec[1:].partition(":")
    period = periods[max(0, len(periods) - int(k))]
    return month_end(period) if not day else month_start(period).replace(day=int(day))


_SUCCESSES = (
    # (role, period index from start, day, success, value created, contributors)
    (SUPPLIER, 1, 18, "First-time-right rate on the new bracket reached 99.2% after the joint "
     "FMEA workshop.", "Scrap down about £4,300 a month.", "Daniel Okafor, Contoso SQE team"),
    (CUSTOMER, 2, 7, "Value-engineered housing cuts machining time by 14%.",
     "£38,000 a year, shared 50/50.", "Joint value-engineering team"),
    (LOGISTICS, 3, 22, "Milk run combines three weekly collections into two.",
     "11 t CO2 and £9,600 a year saved.", "Liam O'Connor, Tom Bradley"),
    (SUPPLIER, -1, 12, "Consignment stock went live at Fabrikam's Wakefield warehouse.",
     "Contoso inventory down £120,000.", "All three partners"),
)  # fmt: skip

_TESTIMONIALS = (
    # (role, period index, day, from, org role, words, may be shared)
    (CUSTOMER, 2, 9, "Mark Jensen", CUSTOMER, "Northwind is the first supplier that brought us "
     "a cost-down idea before we asked for one.", "Yes"),
    (SUPPLIER, 3, 14, "Tom Bradley", SUPPLIER, "The Tuesday stand-up sorts out in ten minutes "
     "what used to take a week of e-mails.", "Yes"),
    (LOGISTICS, -2, 27, "Graham Reid", LOGISTICS, "Hearing how our October slot performance "
     "hurt Contoso's line was tough, but it is why we fixed it in three weeks.", "No"),
)  # fmt: skip

_HEALTH_BASE = {
    "Trust": 4,
    "Openness": 3,
    "Communication": 4,
    "Joint problem solving": 4,
    "Commitment to shared goals": 4,
    "Value creation": 3,
    "Responsiveness": 3,
    "Knowledge sharing": 3,
}
_GAP_BEHAVIOUR = "Openness"


# ---------------------------------------------------------------------------
# Building the sample
# ---------------------------------------------------------------------------


def build_relationship(
    seed: int = 2026, partners: int = 3, periods: int = 6, end_period: str = "2026-11"
) -> SampleRelationship:
    """The sample relationship: config, and every workbook partners send, in order of arrival.

    Pure and reproducible: the same arguments give the same relationship.
    """
    if not 2 <= partners <= len(ORGS):
        raise ValueError(f"partners must be between 2 and {len(ORGS)}, got {partners}")
    if periods < 4:
        raise ValueError(
            f"periods must be at least 4 (a KPI worsens 3 months running), got {periods}"
        )
    rng = random.Random(seed)
    config = make_config(partners)
    orgs = ORGS[:partners]
    roles = _roles(partners)
    name_of = {role: orgs[idx].name for role, idx in roles.items()}
    plist = [period_add(end_period, i - periods + 1) for i in range(periods)]
    n = periods
    kpi_truth = _kpi_truth(rng, n)
    sla_truth = _sla_truth(rng, n)
    kpi_by_id = {k.id: k for k in config.kpis}

    # The situations the sample plants.
    dispute_kpi, dispute_at = "K01", n - 2
    dispute_low = round(kpi_truth["K01"][dispute_at] - rng.uniform(3.5, 5.0), 1)
    restate_kpi, restate_at = "K04", n - 2
    provisional = kpi_truth[restate_kpi][restate_at] - 2650.0
    late_partner = orgs[-1].name
    last = plist[-1]
    late_first = f"{slug(late_partner)}_{last}.xlsx"
    late_second = f"{slug(late_partner)}_{last}_v2.xlsx"
    customer = name_of[CUSTOMER]
    restating_file = f"{slug(customer)}_{last}.xlsx"
    formula_texts: list[tuple[str, str, str, str, str]] = []

    def kpi_rows(p_idx: int, i: int, *, typo: bool = False) -> list[dict[str, Any]]:
        me = orgs[p_idx].name
        rows = []
        for kpi in config.kpis:
            value = kpi_truth[kpi.id][i]
            if kpi.id == restate_kpi and i == restate_at:
                value = provisional
            if kpi.owner != me and kpi.unit == "%" and rng.random() < 0.3:
                value = float(round(value))  # a rounded copy of the owner's figure: within 1%
            comment = ""
            if kpi.id == dispute_kpi and i == dispute_at and me == customer:
                value = dispute_low
                comment = "Our goods-in log counts six part deliveries as late."
            if kpi.id == "K02" and i >= n - 2 and me == name_of[SUPPLIER]:
                comment = "New bracket die wearing faster than planned; replacement ordered."
            if kpi.id == restate_kpi and i == restate_at and me == customer:
                comment = "Provisional: two credit notes still to be booked."
            if kpi.id == "K04" and i == n - 1 and me == customer:
                comment = "-5% vs plan: two value-engineering ideas slipped to Q1."
                formula_texts.append((restating_file, "kpis", "comment", "K04", comment))
            if kpi.id == "K05" and typo:
                value = round(value / 10, 2)  # decimal point slipped; fixed in the resubmission
            rows.append(
                {
                    "kpi_id": kpi.id,
                    "kpi": kpi.name,
                    "unit": kpi.unit,
                    "direction": kpi.direction,
                    "target": kpi.target,
                    "amber": kpi.amber,
                    "period": plist[i],
                    "actual": value,
                    "owner": kpi.owner,
                    "comment": comment,
                }
            )
        if me == customer and i == restate_at + 1:
            kpi = kpi_by_id[restate_kpi]
            rows.append(
                {
                    **rows[[k.id for k in config.kpis].index(restate_kpi)],
                    "period": plist[restate_at],
                    "actual": kpi_truth[restate_kpi][restate_at],
                    "comment": "Restated: October credit notes now booked.",
                }
            )
        return rows

    def sla_rows(p_idx: int, i: int) -> list[dict[str, Any]]:
        rows = []
        for sla in config.sla:
            comment = ""
            if sla.service == "Inbound delivery" and i == n - 2:
                comment = "Two trailers stuck in the M62 closure; recovery plan agreed."
            rows.append(
                {
                    "service": sla.service,
                    "measure": sla.measure,
                    "target": sla.target,
                    "direction": sla.direction,
                    "period": plist[i],
                    "actual": sla_truth[sla.service][i],
                    "owner": sla.owner,
                    "comment": comment,
                }
            )
        return rows

    def risk_rows(p_idx: int, i: int) -> list[dict[str, Any]]:
        rows = []
        role = _role_of(p_idx, partners)
        for risk in _risks(n):
            if risk.raised > i:
                continue
            likelihood, impact = risk.likelihood, risk.impact
            if risk.risk_id == "R03":
                likelihood, impact = _R03_VIEWS[role]
            status = "Mitigating" if risk.raised < i else "Open"
            if risk.risk_id in ("R02", "R05"):
                status = "Open"
            if risk.closed is not None and i >= risk.closed:
                status = "Closed"
            raised_on = month_start(plist[risk.raised]) + dt.timedelta(
                days=4 + int(risk.risk_id[1:])
            )
            review_by = month_end(plist[i]) + dt.timedelta(days=45)
            if risk.risk_id == "R05":
                review_by = month_end(plist[n - 3])  # nobody has looked at it since
            rows.append(
                {
                    "risk_id": risk.risk_id,
                    "risk": risk.risk,
                    "category": risk.category,
                    "likelihood": likelihood,
                    "impact": impact,
                    "owner": name_of[risk.owner_role],
                    "mitigation": risk.mitigation,
                    "status": status,
                    "raised_on": raised_on,
                    "review_by": review_by,
                }
            )
        return rows

    def stage_rows(p_idx: int, i: int) -> list[dict[str, Any]]:
        rows = []
        for stage in STAGES:
            status, first, final, evidence, next_step, owner_role, target = _STAGE_PLAN[stage]
            progress = round(first + (final - first) * i / (n - 1), 2)
            if status == "Not started" and progress > 0:
                status = "In progress"  # a stage with progress has started
            if stage == _DISPUTED_STAGE and orgs[p_idx].name == customer:
                status, progress = "Not started", 0.0
                evidence = "No savings verified jointly yet."
            rows.append(
                {
                    "stage": stage,
                    "status": status,
                    "progress": progress,
                    "evidence": evidence,
                    "next_step": next_step,
                    "owner": name_of[owner_role],
                    "target_date": _when(target, plist),
                }
            )
        return rows

    def contact_rows(p_idx: int) -> list[dict[str, Any]]:
        org = orgs[p_idx]
        return [
            {
                "name": c.name,
                "organisation": org.name,
                "role": c.role,
                "responsibility": c.responsibility,
                "email": c.email,
                "phone": c.phone,
                "escalation_level": c.level,
            }
            for c in org.contacts
        ]

    health_offsets = {
        (p, b): rng.choice((0, 1)) for p in range(partners) for b in BEHAVIOURS
    }  # each partner within one point of the others

    def health_rows(p_idx: int, i: int) -> list[dict[str, Any]]:
        rows = []
        for behaviour in BEHAVIOURS:
            score = min(5, _HEALTH_BASE[behaviour] + health_offsets[(p_idx, behaviour)])
            comment = ""
            if behaviour == _GAP_BEHAVIOUR:
                if p_idx == roles[SUPPLIER]:
                    score, comment = 4, "We share cost breakdowns openly."
                elif orgs[p_idx].name == customer:
                    score = 2 if i >= n - 2 else 3
                    if i >= n - 2:
                        comment = "We heard about the die problem from our own inspectors first."
                else:
                    score = 3
            if behaviour == "Communication" and p_idx == roles[SUPPLIER] and i == n - 1:
                comment = "@Sarah Whitfield to raise the stand-up timing at the review."
                formula_texts.append(
                    (f"{slug(orgs[p_idx].name)}_{plist[i]}.xlsx", "health", "comment",
                     behaviour, comment)
                )  # fmt: skip
            rows.append({"behaviour": behaviour, "score": score, "comment": comment})
        return rows

    def bottleneck_rows(i: int) -> list[dict[str, Any]]:
        rows = []
        for b in _bottlenecks(n):
            if b.raised[0] > i:
                continue
            done = b.resolved is not None and i >= b.resolved
            rows.append(
                {
                    "bottleneck_id": b.bottleneck_id,
                    "problem": b.problem,
                    "raised_on": month_start(plist[b.raised[0]]).replace(day=b.raised[1]),
                    "impact": b.impact,
                    "owner": name_of[b.owner_role],
                    "action": b.action,
                    "status": "Resolved"
                    if done
                    else ("Open" if b.raised[0] == i else "In progress"),
                    "resolved_on": (
                        month_start(plist[b.resolved]).replace(day=11)
                        if done and b.resolved is not None
                        else None
                    ),
                }
            )
        return rows

    def action_rows(i: int) -> list[dict[str, Any]]:
        rows = []
        for a in _ACTIONS:
            done = a.done is not None and i >= min(a.done, n - 1)
            due = _when(a.due, plist)
            rows.append(
                {
                    "action_id": a.action_id,
                    "area": a.area,
                    "action": a.action,
                    "owner": name_of[a.owner_role],
                    "due": due,
                    "status": "Done" if done else ("In progress" if i > 0 else "Open"),
                    "done_on": min(due, month_end(plist[min(a.done or 0, n - 1)]))
                    if done
                    else None,
                }
            )
        return rows

    def dated(items: Sequence[tuple[Any, ...]], p_idx: int, i: int) -> list[tuple[Any, ...]]:
        """Items of this partner that happened by period i (kept on the sheet afterwards)."""
        out = []
        for item in items:
            role, when = item[0], item[1] % n
            if roles[role] == p_idx and when <= i:
                out.append(item)
        return out

    def success_rows(p_idx: int, i: int) -> list[dict[str, Any]]:
        return [
            {
                "date": month_start(plist[when % n]).replace(day=day),
                "success": text,
                "value_created": value,
                "contributors": who,
            }
            for _, when, day, text, value, who in dated(_SUCCESSES, p_idx, i)
        ]

    def testimonial_rows(p_idx: int, i: int) -> list[dict[str, Any]]:
        return [
            {
                "date": month_start(plist[when % n]).replace(day=day),
                "from_person": who,
                "organisation": name_of[org_role],
                "testimonial": words,
                "may_be_shared": shared,
            }
            for _, when, day, who, org_role, words, shared in dated(_TESTIMONIALS, p_idx, i)
        ]

    def development_rows(i: int) -> list[dict[str, Any]]:
        rows = []
        for need_id, need, role, people, action, owner, due, met in _DEVELOPMENT:
            done = met is not None and i >= min(met, n - 1)
            rows.append(
                {
                    "need_id": need_id,
                    "need": need,
                    "partner": name_of[role],
                    "people": people,
                    "action": action,
                    "owner": name_of[owner],
                    "due": _when(due, plist),
                    "status": "Met" if done else ("In progress" if i > 0 else "Planned"),
                }
            )
        return rows

    def information_rows() -> list[dict[str, Any]]:
        return [
            {
                "flow_id": flow_id,
                "information": info,
                "from_partner": name_of[source],
                "to_partner": "All partners" if to is None else name_of[to],
                "how": how,
                "frequency": often,
                "confidentiality": level,
                "owner": None if owner is None else name_of[owner],
            }
            for flow_id, info, source, to, how, often, level, owner in _INFORMATION
        ]

    def communication_rows(i: int) -> list[dict[str, Any]]:
        rows = []
        for comm_id, audience, message, channel, often, owner, every, day, late in _COMMUNICATIONS:
            # The last time it happened: in this period, or in the last period it was due;
            # a late one last happened two periods ago and was due last period.
            back = (i % every) + (2 if late else 0)
            last_done = month_start(plist[max(0, i - back)]).replace(day=day)
            due_period = period_add(plist[max(0, i - back)], every)
            rows.append(
                {
                    "comm_id": comm_id,
                    "audience": audience,
                    "message": message,
                    "channel": channel,
                    "frequency": often,
                    "owner": name_of[owner],
                    "last_done": last_done,
                    "next_due": month_start(due_period).replace(day=day - 2),
                }
            )
        return rows

    def value_rows(i: int) -> list[dict[str, Any]]:
        rows = []
        for vid, what, goal, estimate, share, unit, sharing, target, owner, status in _VALUE:
            realised = round(estimate * share * (i + 1) / n, -2)
            rows.append(
                {
                    "initiative_id": vid,
                    "initiative": what,
                    "goal": goal,
                    "estimated": estimate,
                    "realised": realised,
                    "unit": unit,
                    "sharing": sharing,
                    "target_date": _when(target, plist),
                    "owner": name_of[owner],
                    "status": status if i == n - 1 else ("In progress" if i > 0 else "Agreed"),
                }
            )
        return rows

    def exit_rows(i: int) -> list[dict[str, Any]]:
        rows = []
        for sid, trigger, service, measure, owner, notice, ago, status in _EXIT:
            reviewed = None if ago is None else month_start(plist[max(0, i - ago)]).replace(day=25)
            rows.append(
                {
                    "scenario_id": sid,
                    "trigger": trigger,
                    "service": service,
                    "measure": measure,
                    "owner": name_of[owner],
                    "notice_days": notice,
                    "last_reviewed": reviewed,
                    "status": status,
                }
            )
        return rows

    workbooks: list[SampleWorkbook] = []
    mistakes: list[tuple[str, str, str, str, str]] = []
    for i, period in enumerate(plist):
        for p_idx, org in enumerate(orgs):
            file_name = f"{slug(org.name)}_{period}.xlsx"
            lateness = 0
            if org.name == late_partner and i == n - 1:
                lateness = DEADLINE_DAY + 3 - org.receipt_day
            received = dt.datetime.combine(
                month_start(period_add(period, 1)).replace(day=org.receipt_day + lateness),
                dt.time(9 + rng.randrange(7), rng.randrange(60)),
                tzinfo=UTC,
            )
            rows: Rows = {
                "stages": stage_rows(p_idx, i),
                "contacts": contact_rows(p_idx),
                "kpis": kpi_rows(p_idx, i, typo=org.name == late_partner and i == n - 1),
                "sla": sla_rows(p_idx, i),
                "risks": risk_rows(p_idx, i),
                "bottlenecks": bottleneck_rows(i),
                "successes": success_rows(p_idx, i),
                "testimonials": testimonial_rows(p_idx, i),
                "health": health_rows(p_idx, i),
                "actions": action_rows(i),
                "development": development_rows(i),
                "information": information_rows(),
                "communications": communication_rows(i),
                "value": value_rows(i),
                "exit": exit_rows(i),
            }
            relationship = {
                "relationship_id": config.id,
                "relationship_name": config.name,
                "partner": org.name,
                "period": period,
                "prepared_by": org.contacts[0].name,
                "prepared_on": received.date(),
                "scope": _SCOPE,
                "drivers": _DRIVERS,
                "contracts": _CONTRACTS,
                "shared_systems": _SYSTEMS,
                "management_structure": _STRUCTURE,
            }
            if org.name == customer and i == min(MISTAKES_AT, n - 2):
                for sheet_key, key_col, row_key, col_key, typed in _MISTAKES:
                    row = next(r for r in rows[sheet_key] if r[key_col] == row_key)
                    row[col_key] = typed
                    mistakes.append((file_name, sheet_key, col_key, row_key, typed))
            workbooks.append(
                SampleWorkbook(org.name, period, file_name, received, relationship, rows, org.style)
            )
            if org.name == late_partner and i == n - 1:
                # The partner spots the slipped decimal point and sends the file again.
                fixed = {k: [dict(r) for r in v] for k, v in rows.items()}
                for row in fixed["kpis"]:
                    if row["kpi_id"] == "K05":
                        row["comment"] = f"Corrected: lead time was typed as {row['actual']:g}."
                        row["actual"] = kpi_truth["K05"][i]
                    if row["kpi_id"] == "K01":
                        row["comment"] = (
                            '=HYPERLINK("https://fabrikam.example/pod/' + period
                            + '","Proof-of-delivery log")'
                        )  # fmt: skip
                formula_texts.append((late_second, "kpis", "comment", "K01",
                                      fixed["kpis"][0]["comment"]))  # fmt: skip
                workbooks.append(
                    SampleWorkbook(
                        org.name,
                        period,
                        late_second,
                        received + dt.timedelta(days=1, hours=2),
                        {**relationship, "prepared_on": received.date() + dt.timedelta(days=1)},
                        fixed,
                        org.style,
                        supersedes=late_first,
                    )
                )
    workbooks.sort(key=lambda w: w.received_at)

    last_health = {
        w.partner: next(r["score"] for r in w.rows["health"] if r["behaviour"] == _GAP_BEHAVIOUR)
        for w in workbooks
        if w.period == last
    }
    scenario = Scenario(
        kpi_disagreement=(
            dispute_kpi,
            plist[dispute_at],
            {
                o.name: next(
                    r["actual"]
                    for r in _find(workbooks, o.name, plist[dispute_at]).rows["kpis"]
                    if r["kpi_id"] == dispute_kpi
                )
                for o in orgs
            },
        ),
        worsening_kpi=("K02", tuple(plist[n - 3 :])),
        sla_breach=(
            "Inbound delivery",
            config.sla[0].measure,
            plist[n - 2],
            sla_truth["Inbound delivery"][n - 2],
            float(config.sla[0].target or 0),
        ),
        risk_disagreement=(
            "R03",
            {
                o.name: next(
                    (r["likelihood"], r["impact"])
                    for r in _find(workbooks, o.name, last).rows["risks"]
                    if r["risk_id"] == "R03"
                )
                for o in orgs
            },
        ),
        high_risk=("R02", 20),
        risk_review_overdue=("R05", month_end(plist[n - 3])),
        stage_disagreement=(
            _DISPUTED_STAGE,
            {
                o.name: next(
                    r["status"]
                    for r in _find(workbooks, o.name, last).rows["stages"]
                    if r["stage"] == _DISPUTED_STAGE
                )
                for o in orgs
            },
        ),
        stage_overdue=(_OVERDUE_STAGE, _when(_STAGE_PLAN[_OVERDUE_STAGE][6], plist)),
        no_executive_sponsor=tuple(o.name for o in orgs if all(c.level < 3 for c in o.contacts)),
        contact_without_email=(name_of[LOGISTICS], "Kasia Nowak")
        if partners > 2
        else (name_of[SUPPLIER], ""),
        perception_gap=(_GAP_BEHAVIOUR, last_health),
        long_open_bottleneck=("B01", month_start(plist[0]).replace(day=9)),
        private_testimonial=(name_of[LOGISTICS], "Graham Reid"),
        overdue_action=(_OVERDUE_ACTION, _when("p2:15", plist)),
        restatement=(
            customer,
            restate_kpi,
            plist[restate_at],
            provisional,
            kpi_truth[restate_kpi][restate_at],
            restating_file,
        ),
        late_file=(late_partner, last, late_first, late_second),
        formula_texts=tuple(formula_texts),
        typing_mistakes=tuple(mistakes),
    )
    return SampleRelationship(config, plist, workbooks, scenario, seed)


def _find(workbooks: Sequence[SampleWorkbook], partner: str, period: str) -> SampleWorkbook:
    found = [w for w in workbooks if w.partner == partner and w.period == period]
    return max(found, key=lambda w: w.received_at)
