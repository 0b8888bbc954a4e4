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

SCHEMA_VERSION = "1.0"
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


def table_sheets() -> Iterator[Sheet]:
    """The sheets laid out as tables (every sheet but the forms)."""
    return (s for s in SHEETS if s.kind is not SheetKind.FORM)
