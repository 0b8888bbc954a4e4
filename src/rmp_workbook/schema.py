"""The RMP workbook layout, declared once.

Every sheet, column, type, allowed value and help text lives here. The template
writer, the reader and validator, ``rmp schema``, the docs page and the tests
all derive from :data:`SCHEMA`. Adding a column is one line in a sheet's
``columns`` tuple.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

SCHEMA_VERSION = "1.1"
"""Written into every workbook; bumped when a header, type or sheet changes."""

META_SHEET = "rmp_meta"
"""The very hidden sheet holding the workbook's identity (key in A, value in B)."""

META_KEYS = (
    "schema_version",
    "relationship_id",
    "relationship_name",
    "partner",
    "period",
    "generated_at",
    "template_id",
)

GUIDE_SHEET = "Guide"

# Where things sit on a sheet (zero-based). Readers still match by name; these
# are what the template writes and what a person filling by header expects.
HEADER_ROW = 0
"""Table sheets: the header row; data starts on the next row, in column A."""
FORM_FIRST_ROW = 1
"""Form sheets: row 0 holds the headers Field / Value / Help; fields start here."""
FORM_LABEL_COL = 0
FORM_VALUE_COL = 1
FORM_HELP_COL = 2
FORM_HEADERS = ("Field", "Value", "Help")
"""Form sheets: the headers of row 0, in columns label / value / help."""


class ColType(StrEnum):
    """What a cell holds; decides the template's validation and the reader's coercion."""

    TEXT = "text"
    LONG_TEXT = "long text"
    INTEGER = "integer"
    NUMBER = "number"
    PERCENT = "percent"
    DATE = "date"
    PERIOD = "period"
    EMAIL = "email"
    PHONE = "phone"
    CHOICE = "choice"
    SCORE = "score"
    FORMULA = "formula"

    @property
    def python_type(self) -> type:
        """The type of a typed value of this column (a choice is its text); the ledger
        stores exactly it, so a value already of it needs no coercion."""
        if self in (ColType.INTEGER, ColType.SCORE):
            return int
        if self in (ColType.NUMBER, ColType.PERCENT, ColType.FORMULA):
            return float
        if self is ColType.DATE:
            return dt.date
        return str


class SheetKind(StrEnum):
    """How a sheet is laid out."""

    FORM = "form"
    """Label in column A, value in column B, one field per row."""
    FIXED = "fixed"
    """A table whose first column is pre-filled with a fixed list of items."""
    LIST = "list"
    """A table that grows by one row per item."""


@dataclass(frozen=True)
class Column:
    """One column of a table sheet, or one field of a form sheet."""

    key: str
    header: str
    type: ColType
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    width: float = 16
    formula: str | None = None
    """For FORMULA columns: an expression over other columns' keys, e.g. ``{likelihood}*{impact}``."""
    max_length: int = 2000

    @property
    def is_input(self) -> bool:
        """True when a person types into this column (it is unlocked in the template)."""
        return self.type is not ColType.FORMULA


@dataclass(frozen=True)
class Sheet:
    """One sheet of the workbook."""

    name: str
    key: str
    kind: SheetKind
    help: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...] = ()
    """Columns that identify a row across partners and months."""
    alt_keys: tuple[str, ...] = ()
    """Used instead of ``keys`` when a key column is blank (a contact without e-mail)."""
    fixed_rows: tuple[str, ...] = ()
    """For FIXED sheets: the values of the first column, in order."""
    owner: str | None = None
    """The column naming who owns a row; the owner's partner wins reconciliation."""
    period: str | None = None
    """The column holding the reporting period, for sheets recorded per period."""
    table_name: str = ""
    example: dict[str, object] = field(default_factory=dict)
    """One realistic row, shown in the docs and used by tests."""
    status: str | None = None
    """The column saying where a row stands (Open, Done …), for registers with one."""
    closed: tuple[str, ...] = ()
    """Values of ``status`` that end a row: it is no longer open nor carried forward."""
    carry_forward: bool = False
    """Rows still open are pre-filled in next month's workbook (registers and plans)."""
    since: str = "1.0"
    """The schema version that added the sheet: a workbook generated before it may lack it."""
    label: str | None = None
    """A describing column shown after the key in an item's readable name."""

    def is_open(self, status: object) -> bool:
        """Whether a row with this status is still open (blank counts as open)."""
        text = str(status or "").strip().casefold()
        return text not in {c.casefold() for c in self.closed}

    def column(self, key: str) -> Column:
        """The column with this key; KeyError when there is none."""
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.name} has no column {key!r}")

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def input_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.is_input)


# Column constructors keep each column declaration on one line.
def text(key: str, header: str, help: str, **kw: object) -> Column:
    return Column(key, header, ColType.TEXT, help, **kw)  # type: ignore[arg-type]


def long_text(key: str, header: str, help: str, **kw: object) -> Column:
    kw.setdefault("width", 40)
    return Column(key, header, ColType.LONG_TEXT, help, **kw)  # type: ignore[arg-type]


def integer(key: str, header: str, help: str, lo: float, hi: float, **kw: object) -> Column:
    return Column(key, header, ColType.INTEGER, help, minimum=lo, maximum=hi, **kw)  # type: ignore[arg-type]


def number(key: str, header: str, help: str, **kw: object) -> Column:
    return Column(key, header, ColType.NUMBER, help, **kw)  # type: ignore[arg-type]


def percent(key: str, header: str, help: str, **kw: object) -> Column:
    return Column(key, header, ColType.PERCENT, help, minimum=0, maximum=1, **kw)  # type: ignore[arg-type]


def date(key: str, header: str, help: str, **kw: object) -> Column:
    kw.setdefault("width", 13)
    return Column(key, header, ColType.DATE, help, **kw)  # type: ignore[arg-type]


def period(key: str, header: str, help: str, **kw: object) -> Column:
    kw.setdefault("width", 11)
    return Column(key, header, ColType.PERIOD, help, **kw)  # type: ignore[arg-type]


def email(key: str, header: str, help: str, **kw: object) -> Column:
    kw.setdefault("width", 28)
    return Column(key, header, ColType.EMAIL, help, **kw)  # type: ignore[arg-type]


def phone(key: str, header: str, help: str, **kw: object) -> Column:
    return Column(key, header, ColType.PHONE, help, **kw)  # type: ignore[arg-type]


def choice(key: str, header: str, help: str, choices: tuple[str, ...], **kw: object) -> Column:
    return Column(key, header, ColType.CHOICE, help, choices=choices, **kw)  # type: ignore[arg-type]


def score(key: str, header: str, help: str, **kw: object) -> Column:
    kw.setdefault("width", 10)
    return Column(key, header, ColType.SCORE, help, minimum=1, maximum=5, **kw)  # type: ignore[arg-type]


def formula(key: str, header: str, help: str, expr: str, **kw: object) -> Column:
    kw.setdefault("width", 9)
    return Column(key, header, ColType.FORMULA, help, formula=expr, **kw)  # type: ignore[arg-type]


STAGES = (
    "Awareness",
    "Knowledge",
    "Internal assessment",
    "Partner selection",
    "Working together",
    "Value creation",
    "Staying together",
    "Exit strategy",
)

BEHAVIOURS = (
    "Trust",
    "Openness",
    "Communication",
    "Joint problem solving",
    "Commitment to shared goals",
    "Value creation",
    "Responsiveness",
    "Knowledge sharing",
)

ACTION_AREAS = (
    "Risk planning",
    "Professional development",
    "Information sharing",
    "Value creation",
    "Deficiencies",
    "Communications",
    "Metrics",
    "Exit strategy",
)

YES_NO = ("Yes", "No")

REGISTER_ENTRY = ("Keep", "Remove")
"""Successes and testimonials carry forward month after month; ``Remove`` takes one off."""
REMOVE = "Remove"
REGISTER_ENTRY_HELP = (
    "{what} stay on the register month after month. Pick Remove to take this one off "
    "for good (it is not enough to delete the row)."
)

RELATIONSHIP = Sheet(
    name="Relationship",
    key="relationship",
    kind=SheetKind.FORM,
    help="Who this plan is for and how the relationship is set up. One value per line.",
    columns=(
        text("relationship_id", "Relationship ID", "The short code both partners use for this relationship, e.g. ACME-2026.", required=True),
        text("relationship_name", "Relationship name", "The relationship's full name.", required=True),
        text("partner", "Partner organisation", "Your organisation: the partner sending this workbook.", required=True),
        period("period", "Reporting period", "The month this workbook reports on, as YYYY-MM (e.g. 2026-11).", required=True),
        text("prepared_by", "Prepared by", "Your name."),
        date("prepared_on", "Prepared on", "The date you completed this workbook."),
        long_text("scope", "Scope", "What the relationship covers and what it does not."),
        long_text("drivers", "Drivers and objectives", "Why both organisations collaborate and what they aim to achieve together."),
        long_text("contracts", "Contractual arrangements", "Contracts, framework agreements or memoranda that govern the relationship."),
        long_text("shared_systems", "Shared systems and services", "Systems, data and services both partners use."),
        long_text("management_structure", "Management structure", "Who leads, who decides, how often the joint board meets."),
    ),
)

STAGES_SHEET = Sheet(
    name="Stages",
    key="stages",
    kind=SheetKind.FIXED,
    help="How far the relationship has come through the eight BS 11000 life-cycle stages.",
    fixed_rows=STAGES,
    keys=("stage",),
    owner="owner",
    status="status",
    closed=("Complete", "Not applicable"),
    table_name="StagesTable",
    columns=(
        text("stage", "Stage", "The life-cycle stage (pre-filled; do not change).", required=True, width=22),
        choice("status", "Status", "Pick where this stage stands.", ("Not started", "In progress", "Complete", "Not applicable"), width=15),
        percent("progress", "Progress %", "How complete the stage is, from 0% to 100%.", width=11),
        long_text("evidence", "Evidence", "What shows the progress: documents, decisions, meetings."),
        long_text("next_step", "Next step", "The next thing that moves this stage on.", width=30),
        text("owner", "Owner", "The person responsible for this stage."),
        date("target_date", "Target date", "When the stage should be complete."),
    ),
    example={"stage": "Working together", "status": "In progress", "progress": 0.6, "owner": "A. Khan"},
)

CONTACTS = Sheet(
    name="Contacts",
    key="contacts",
    kind=SheetKind.LIST,
    help="Everyone involved in the relationship on your side, and how to escalate.",
    keys=("email",),
    alt_keys=("name",),
    carry_forward=True,
    table_name="ContactsTable",
    columns=(
        text("name", "Name", "The contact's full name.", required=True, width=22),
        text("organisation", "Organisation", "The organisation the contact works for.", width=22),
        text("role", "Role", "Job title or role in the relationship, e.g. Relationship manager.", width=22),
        long_text("responsibility", "Responsibility", "What this person is responsible for in the relationship.", width=30),
        email("email", "Email", "Work e-mail address, e.g. name@company.com."),
        phone("phone", "Phone", "Phone number with country code, e.g. +44 20 7946 0000."),
        integer("escalation_level", "Escalation level", "1 = day to day, 2 = management, 3 = executive sponsor.", 1, 3, width=11),
    ),
    example={"name": "Aisha Khan", "organisation": "Northwind Ltd", "role": "Relationship manager", "email": "aisha.khan@northwind.example", "escalation_level": 1},
)

KPIS = Sheet(
    name="KPIs",
    key="kpis",
    kind=SheetKind.LIST,
    help="One row per KPI per month: the agreed KPIs are pre-filled; type the Actual.",
    keys=("kpi_id", "period"),
    owner="owner",
    period="period",
    label="kpi",
    table_name="KPIsTable",
    columns=(
        text("kpi_id", "KPI ID", "The agreed KPI code, e.g. K01. Same code every month.", required=True, width=9),
        text("kpi", "KPI", "What is measured, e.g. On-time delivery.", width=28),
        text("unit", "Unit", "The unit of the figures: %, days, GBP, count …", width=9),
        choice("direction", "Direction", "Is a higher figure better or worse?", ("Higher is better", "Lower is better"), width=17),
        number("target", "Target", "The agreed target for the period.", width=10),
        number("amber", "Amber threshold", "Between target and this figure the KPI is Amber; beyond it, Red.", width=11),
        period("period", "Period", "The month the figure is for, as YYYY-MM.", required=True),
        number("actual", "Actual", "The figure achieved in the period. A percentage may be typed as 91%.", required=True, width=10),
        text("owner", "Owner", "The organisation or person whose figure is authoritative."),
        long_text("comment", "Comment", "Anything that explains the figure.", width=30),
    ),
    example={"kpi_id": "K01", "kpi": "On-time delivery", "unit": "%", "direction": "Higher is better", "target": 95, "amber": 90, "period": "2026-11", "actual": 91.5, "owner": "Northwind Ltd"},
)

SLA = Sheet(
    name="SLA",
    key="sla",
    kind=SheetKind.LIST,
    help="The service levels agreed, one row per measure per month.",
    keys=("service", "measure", "period"),
    owner="owner",
    period="period",
    table_name="SLATable",
    columns=(
        text("service", "Service", "The service covered, e.g. Help desk.", required=True, width=20),
        text("measure", "Measure", "What is measured, e.g. First response (hours).", required=True, width=24),
        number("target", "Target", "The agreed service level.", width=10),
        choice("direction", "Direction", "Must the actual be at least or at most the target?", ("At least", "At most"), width=10),
        period("period", "Period", "The month the figure is for, as YYYY-MM.", required=True),
        number("actual", "Actual", "The level achieved in the period.", width=10),
        text("owner", "Owner", "The organisation responsible for the service."),
        long_text("comment", "Comment", "Anything that explains the figure.", width=30),
    ),
    example={"service": "Help desk", "measure": "First response (hours)", "target": 4, "direction": "At most", "period": "2026-11", "actual": 3.5, "owner": "Northwind Ltd"},
)

RISKS = Sheet(
    name="Risks",
    key="risks",
    kind=SheetKind.LIST,
    help="The joint risk register. Score = Likelihood × Impact is calculated for you.",
    keys=("risk_id",),
    owner="owner",
    status="status",
    closed=("Closed",),
    carry_forward=True,
    label="risk",
    table_name="RisksTable",
    columns=(
        text("risk_id", "Risk ID", "A short code for the risk, e.g. R01. Keep it the same every month.", required=True, width=9),
        long_text("risk", "Risk", "What could go wrong, and what it would affect.", required=True, width=36),
        text("category", "Category", "e.g. Commercial, Operational, Reputational, People.", width=14),
        score("likelihood", "Likelihood", "1 = rare, 2 = unlikely, 3 = possible, 4 = likely, 5 = almost certain.", required=True, width=11),
        score("impact", "Impact", "1 = negligible, 2 = minor, 3 = moderate, 4 = major, 5 = severe.", required=True, width=9),
        formula("score", "Score", "Likelihood × Impact, from 1 to 25 (calculated).", "{likelihood}*{impact}"),
        text("owner", "Owner", "Who manages this risk."),
        long_text("mitigation", "Mitigation", "What is being done to reduce the risk.", width=32),
        choice("status", "Status", "Open, being mitigated, or closed.", ("Open", "Mitigating", "Closed"), width=12),
        date("raised_on", "Raised on", "The date the risk was first recorded."),
        date("review_by", "Review by", "The date by which the risk must be reviewed again."),
    ),
    example={"risk_id": "R01", "risk": "Key engineer leaves", "category": "People", "likelihood": 3, "impact": 4, "owner": "Northwind Ltd", "status": "Open"},
)

BOTTLENECKS = Sheet(
    name="Bottlenecks",
    key="bottlenecks",
    kind=SheetKind.LIST,
    help="Problems that slow the relationship down, and what is being done about them.",
    keys=("bottleneck_id",),
    owner="owner",
    status="status",
    closed=("Resolved",),
    carry_forward=True,
    label="problem",
    table_name="BottlenecksTable",
    columns=(
        text("bottleneck_id", "Bottleneck ID", "A short code, e.g. B01.", required=True, width=12),
        long_text("problem", "Problem", "What is getting in the way.", required=True, width=36),
        date("raised_on", "Raised on", "When the problem was first raised."),
        choice("impact", "Impact", "How much it hurts the relationship.", ("Low", "Medium", "High"), width=10),
        text("owner", "Owner", "Who is resolving it."),
        long_text("action", "Action", "What is being done.", width=32),
        choice("status", "Status", "Where the problem stands.", ("Open", "In progress", "Resolved"), width=12),
        date("resolved_on", "Resolved on", "When it was resolved."),
    ),
)

SUCCESSES = Sheet(
    name="Successes",
    key="successes",
    kind=SheetKind.LIST,
    help="What the relationship achieved: wins worth telling the board about.",
    keys=("date", "success"),
    table_name="SuccessesTable",
    columns=(
        date("date", "Date", "When it happened.", required=True),
        long_text("success", "Success", "What was achieved.", required=True, width=40),
        long_text("value_created", "Value created", "The value for either partner: money saved, time, quality.", width=32),
        text("contributors", "Contributors", "Who made it happen.", width=24),
        choice("entry", "Keep or remove", REGISTER_ENTRY_HELP.format(what="Successes"), REGISTER_ENTRY, width=14),
    ),
)

TESTIMONIALS = Sheet(
    name="Testimonials",
    key="testimonials",
    kind=SheetKind.LIST,
    help="What people say about working together. Only 'May be shared: Yes' appears on the dashboard.",
    keys=("date", "from_person"),
    table_name="TestimonialsTable",
    columns=(
        date("date", "Date", "When it was said or written.", required=True),
        text("from_person", "From", "Who said it.", required=True, width=20),
        text("organisation", "Organisation", "Their organisation.", width=20),
        long_text("testimonial", "Testimonial", "Their words.", required=True, width=48),
        choice("may_be_shared", "May be shared", "Has the person agreed that this may be shown to others?", YES_NO, required=True, width=10),
        choice("entry", "Keep or remove", REGISTER_ENTRY_HELP.format(what="Testimonials"), REGISTER_ENTRY, width=14),
    ),
)

HEALTH = Sheet(
    name="Health check",
    key="health",
    kind=SheetKind.FIXED,
    help="How your organisation sees the relationship's behaviours, scored 1 (poor) to 5 (excellent).",
    fixed_rows=BEHAVIOURS,
    keys=("behaviour",),
    table_name="HealthTable",
    columns=(
        text("behaviour", "Behaviour", "The behaviour assessed (pre-filled; do not change).", required=True, width=28),
        score("score", "Score", "1 = poor, 2 = weak, 3 = fair, 4 = good, 5 = excellent."),
        long_text("comment", "Comment", "An example that explains the score.", width=48),
    ),
)

ACTIONS = Sheet(
    name="Actions",
    key="actions",
    kind=SheetKind.LIST,
    help="The joint plan for how the relationship is managed.",
    keys=("action_id",),
    owner="owner",
    status="status",
    closed=("Done",),
    carry_forward=True,
    label="action",
    table_name="ActionsTable",
    columns=(
        text("action_id", "Action ID", "A short code, e.g. A01.", required=True, width=10),
        choice("area", "Area", "Which part of the relationship plan the action belongs to.", ACTION_AREAS, width=22),
        long_text("action", "Action", "What will be done.", required=True, width=40),
        text("owner", "Owner", "Who does it."),
        date("due", "Due", "When it is due."),
        choice("status", "Status", "Where the action stands.", ("Open", "In progress", "Done"), width=12),
        date("done_on", "Done on", "When it was done."),
    ),
)

FREQUENCIES = (
    "Real time",
    "Daily",
    "Weekly",
    "Fortnightly",
    "Monthly",
    "Quarterly",
    "Half-yearly",
    "Yearly",
    "As needed",
)
"""How often something happens; the gap rules read the interval from :data:`FREQUENCY_DAYS`."""

FREQUENCY_DAYS: dict[str, int] = {
    "Daily": 1,
    "Weekly": 7,
    "Fortnightly": 14,
    "Monthly": 31,
    "Quarterly": 92,
    "Half-yearly": 183,
    "Yearly": 366,
}
"""The longest gap between two occurrences of a frequency, in days (real time and as needed
have none)."""

CONFIDENTIALITY = ("Public", "Internal", "Confidential", "Restricted")

INFO_METHODS = ("Shared system", "API / EDI", "File transfer", "E-mail", "Report", "Meeting", "Other")

CHANNELS = (
    "Meeting",
    "Video call",
    "E-mail",
    "Newsletter",
    "Intranet",
    "Workshop",
    "Report",
    "Other",
)

DEVELOPMENT = Sheet(
    name="Development needs",
    key="development",
    kind=SheetKind.LIST,
    help="Training and skills the relationship needs (professional development), and how they are met.",
    keys=("need_id",),
    owner="owner",
    status="status",
    closed=("Met", "Cancelled"),
    carry_forward=True,
    since="1.1",
    label="need",
    table_name="DevelopmentTable",
    columns=(
        text("need_id", "Need ID", "A short code, e.g. D01. Keep it the same every month.", required=True, width=9),
        long_text("need", "Need", "The training or skills need, e.g. Joint planning tool training.", required=True, width=34),
        text("partner", "Partner", "The organisation whose people have the need.", width=20),
        text("people", "People affected", "Who, or how many, e.g. 12 warehouse planners.", width=20),
        long_text("action", "Action", "How the need will be met: course, coaching, secondment …", width=32),
        text("owner", "Owner", "Who makes sure the need is met."),
        date("due", "Due", "When the need should be met."),
        choice("status", "Status", "Where the need stands.", ("Identified", "Planned", "In progress", "Met", "Cancelled"), width=12),
    ),
    example={"need_id": "D01", "need": "Joint planning tool training", "partner": "Contoso plc", "people": "12 planners", "owner": "Contoso plc", "due": dt.date(2026, 12, 15), "status": "Planned"},
)

INFORMATION = Sheet(
    name="Information sharing",
    key="information",
    kind=SheetKind.LIST,
    help="What information the partners gather and share, how, how often and how confidential it is.",
    keys=("flow_id",),
    owner="owner",
    carry_forward=True,
    since="1.1",
    label="information",
    table_name="InformationTable",
    columns=(
        text("flow_id", "Flow ID", "A short code, e.g. I01. Keep it the same every month.", required=True, width=9),
        long_text("information", "Information", "What is shared, e.g. Weekly demand forecast.", required=True, width=32),
        text("from_partner", "From", "The organisation that provides it.", width=18),
        text("to_partner", "To", "The organisation (or organisations) that receive it.", width=18),
        choice("how", "How", "How it is shared.", INFO_METHODS, width=14),
        choice("frequency", "How often", "How often it is shared.", FREQUENCIES, width=12),
        choice("confidentiality", "Confidentiality", "How it must be handled: Public, Internal, Confidential or Restricted.", CONFIDENTIALITY, width=14),
        text("owner", "Owner", "Who is accountable for the flow (every flow needs one)."),
    ),
    example={"flow_id": "I01", "information": "Weekly demand forecast", "from_partner": "Contoso plc", "to_partner": "Northwind Ltd", "how": "Shared system", "frequency": "Weekly", "confidentiality": "Confidential", "owner": "Contoso plc"},
)

COMMUNICATIONS = Sheet(
    name="Communications plan",
    key="communications",
    kind=SheetKind.LIST,
    help="Who is told what, through which channel and how often; when it was last done and is next due.",
    keys=("comm_id",),
    owner="owner",
    carry_forward=True,
    since="1.1",
    label="audience",
    table_name="CommunicationsTable",
    columns=(
        text("comm_id", "Comm ID", "A short code, e.g. C01. Keep it the same every month.", required=True, width=9),
        text("audience", "Audience", "Who it is for, e.g. Joint board, warehouse staff.", required=True, width=22),
        long_text("message", "Message", "What is communicated, e.g. Monthly performance review.", width=32),
        choice("channel", "Channel", "How it reaches the audience.", CHANNELS, width=12),
        choice("frequency", "Frequency", "How often it happens.", FREQUENCIES, width=12),
        text("owner", "Owner", "Who makes it happen."),
        date("last_done", "Last done", "When it last happened."),
        date("next_due", "Next due", "When it must next happen."),
    ),
    example={"comm_id": "C01", "audience": "Joint board", "message": "Monthly performance review", "channel": "Meeting", "frequency": "Monthly", "owner": "Northwind Ltd", "last_done": dt.date(2026, 11, 12), "next_due": dt.date(2026, 12, 10)},
)

VALUE = Sheet(
    name="Value creation",
    key="value",
    kind=SheetKind.LIST,
    help="Joint initiatives that create value: the shared goal, the value estimated and realised so far.",
    keys=("initiative_id",),
    owner="owner",
    status="status",
    closed=("Stopped",),
    carry_forward=True,
    since="1.1",
    label="initiative",
    table_name="ValueTable",
    columns=(
        text("initiative_id", "Initiative ID", "A short code, e.g. V01. Keep it the same every month.", required=True, width=11),
        long_text("initiative", "Initiative", "What the partners do together, e.g. Shared warehouse.", required=True, width=30),
        long_text("goal", "Goal", "The shared goal it serves.", width=28),
        number("estimated", "Estimated value", "The value expected in total, in the unit.", width=12),
        number("realised", "Realised value", "The value realised so far, in the same unit.", width=12),
        text("unit", "Unit", "GBP, hours, tonnes CO2 …", width=9),
        long_text("sharing", "How shared", "How the value is shared between partners, e.g. 50/50 gain share.", width=24),
        date("target_date", "Target date", "When the estimated value should be realised in full."),
        text("owner", "Owner", "Who leads the initiative."),
        choice("status", "Status", "Where the initiative stands.", ("Idea", "Agreed", "In progress", "Delivered", "Stopped"), width=12),
    ),
    example={"initiative_id": "V01", "initiative": "Shared cross-dock", "goal": "Cut transport cost", "estimated": 120000, "realised": 45000, "unit": "GBP", "sharing": "50/50 gain share", "target_date": dt.date(2027, 6, 30), "owner": "Northwind Ltd", "status": "In progress"},
)

EXIT = Sheet(
    name="Exit and continuity plan",
    key="exit",
    kind=SheetKind.LIST,
    help="The joint exit strategy: for each trigger, how the service is kept going (e.g. transition to another vendor).",
    keys=("scenario_id",),
    owner="owner",
    status="status",
    closed=("Retired",),
    carry_forward=True,
    since="1.1",
    label="trigger",
    table_name="ExitTable",
    columns=(
        text("scenario_id", "Scenario ID", "A short code, e.g. X01. Keep it the same every month.", required=True, width=11),
        long_text("trigger", "Trigger or scenario", "What would end or disrupt the relationship, e.g. Contract not renewed.", required=True, width=30),
        text("service", "Service to keep", "The service that must continue, e.g. Help desk.", width=18),
        long_text("measure", "Continuity measure", "How the service is kept going, e.g. Transition to another vendor within 90 days.", width=34),
        text("owner", "Owner", "Who keeps the plan up to date."),
        integer("notice_days", "Notice period (days)", "The notice either partner must give, in days, e.g. 90.", 0, 3650, width=11),
        date("last_reviewed", "Last reviewed", "When the partners last reviewed this part of the plan together."),
        choice("status", "Status", "Draft, agreed by both partners, tested in an exercise, or retired.", ("Draft", "Agreed", "Tested", "Retired"), width=10),
    ),
    example={"scenario_id": "X01", "trigger": "Contract not renewed", "service": "Help desk", "measure": "Transition to another vendor within 90 days", "owner": "Fabrikam Services", "notice_days": 90, "last_reviewed": dt.date(2026, 9, 30), "status": "Agreed"},
)


SHEETS: tuple[Sheet, ...] = (
    RELATIONSHIP,
    STAGES_SHEET,
    CONTACTS,
    KPIS,
    SLA,
    RISKS,
    BOTTLENECKS,
    SUCCESSES,
    TESTIMONIALS,
    HEALTH,
    ACTIONS,
    DEVELOPMENT,
    INFORMATION,
    COMMUNICATIONS,
    VALUE,
    EXIT,
)
"""The data sheets in workbook order (the Guide comes first, the metadata sheet last)."""

SCHEMA: dict[str, Sheet] = {s.key: s for s in SHEETS}
"""Sheets by key."""

SHEET_ORDER: tuple[str, ...] = (GUIDE_SHEET, *(s.name for s in SHEETS), META_SHEET)


def sheet_by_name(name: str) -> Sheet:
    """The sheet with this exact name; KeyError when there is none."""
    for sheet in SHEETS:
        if sheet.name == name:
            return sheet
    raise KeyError(name)


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10"`` -> ``(1, 10)``, comparable; text that is not a version sorts first."""
    try:
        return tuple(int(part) for part in str(version).strip().split("."))
    except ValueError:
        return ()


def added_after(sheet: Sheet, version: str) -> bool:
    """Whether ``sheet`` came into the schema after a workbook of schema ``version`` was made."""
    found = version_key(version)
    return bool(found) and found < version_key(sheet.since)


def carried_forward() -> Iterator[Sheet]:
    """The sheets whose open rows are pre-filled in next month's workbook."""
    return (s for s in SHEETS if s.carry_forward)


def table_sheets() -> Iterator[Sheet]:
    """The sheets laid out as tables (every sheet but the forms)."""
    return (s for s in SHEETS if s.kind is not SheetKind.FORM)
