"""The relationship config (TOML): partners, agreed KPIs and SLA lines, thresholds.

``rmp template --config`` pre-fills workbooks from it; ``rmp merge`` takes the
expected partners and the gap and reconciliation thresholds from it.

Partners are members for a dated span (``joined``, optionally ``left``): a partner
is expected to report, and may report, for every month it was a member on at least
one day of. ``due`` says by when a month's workbooks are due back (in the month after
it): ``"working day 5"`` or a day of the month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from rmp_workbook.atomic import atomic_write_text
from rmp_workbook.findings import ConfigError, UsageError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_DUE = re.compile(r"(?:(working|business)\s+)?day\s+(\d{1,2})|(\d{1,2})", re.IGNORECASE)


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a month written ``YYYY-MM``; ValueError otherwise."""
    m = _MONTH.fullmatch(period.strip())
    if m is None:
        raise ValueError(f"{period!r} is not a month written YYYY-MM")
    year, month = int(m.group(1)), int(m.group(2))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def next_period(period: str) -> str:
    """The month after ``period`` (``2026-12`` -> ``2027-01``)."""
    last = period_bounds(period)[1]
    after = last + dt.timedelta(days=1)
    return f"{after.year:04d}-{after.month:02d}"


def _to_day(value: Any) -> Any:
    """A date from TOML's date, a datetime, or text: ``2026-03-15`` or ``2026-03`` (the 1st)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if _MONTH.fullmatch(text):
            return period_bounds(text)[0]
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date: write it as 2026-03-15 (or 2026-03 for the 1st)"
            ) from None
    return value


class PartnerConfig(_Strict):
    name: str
    contact: str = ""
    email: str = ""
    joined: dt.date | None = Field(
        None,
        description="The first day it is a partner; it reports from that month on "
        "(blank: from the start).",
    )
    left: dt.date | None = Field(
        None,
        description="The first day it is no longer a partner; it reports up to the month "
        "before (or that month, when it left after the 1st).",
    )

    @field_validator("joined", "left", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        return _to_day(value)

    @model_validator(mode="after")
    def _left_after_joined(self) -> PartnerConfig:
        if self.joined and self.left and self.left <= self.joined:
            raise ValueError(
                f"partner {self.name!r} left ({self.left}) on or before it joined ({self.joined})"
            )
        return self

    def member_in(self, period: str) -> bool:
        """True when it was a partner on at least one day of the month ``period``."""
        first, last = period_bounds(period)
        if self.joined is not None and self.joined > last:
            return False
        return self.left is None or self.left > first

    def membership(self) -> str:
        """Its dates in words, e.g. 'joined 2026-03-01, left 2026-09-01'."""
        parts = []
        if self.joined:
            parts.append(f"joined {self.joined.isoformat()}")
        if self.left:
            parts.append(f"left {self.left.isoformat()}")
        return ", ".join(parts) or "a partner throughout"


class ManagerConfig(_Strict):
    """The relationship manager: the person partners ask, named on every workbook's Guide."""

    name: str
    email: str = ""
    phone: str = ""


class KpiConfig(_Strict):
    id: str
    name: str
    unit: str = ""
    direction: Literal["Higher is better", "Lower is better"] = "Higher is better"
    target: float | None = None
    amber: float | None = None
    owner: str = ""
    minimum: float | None = Field(
        None, alias="min", description="The lowest Actual that can be right (a % KPI: 0)."
    )
    maximum: float | None = Field(
        None, alias="max", description="The highest Actual that can be right (a % KPI: 100)."
    )
    reported_by: list[str] = Field(
        default_factory=list,
        description="The partners who report this KPI; empty: every partner. Only they get "
        "its line in their workbook.",
    )


class SlaConfig(_Strict):
    service: str
    measure: str
    target: float | None = None
    direction: Literal["At least", "At most"] = "At least"
    owner: str = ""


class Thresholds(_Strict):
    """Numbers the reconciliation and gap rules use; every one has a sensible default."""

    numeric_tolerance: float = Field(
        0.01,
        description="Relative difference above which two partners' figures disagree (0.01 = 1%).",
    )
    risk_score_red: int = Field(15, description="An open risk scoring this or more is Red.")
    risk_score_amber: int = Field(10, description="An open risk scoring this or more is Amber.")
    bottleneck_days_amber: int = Field(30, description="A bottleneck open this many days is Amber.")
    bottleneck_days_red: int = Field(60, description="A bottleneck open this many days is Red.")
    health_gap: int = Field(
        2, description="Partners scoring a behaviour this many points apart is a perception gap."
    )
    worsening_periods: int = Field(
        3, description="A KPI worse in each of this many periods in a row is a gap."
    )
    min_contacts_per_partner: int = Field(
        1, description="Fewer contacts than this for a partner is a gap."
    )
    exit_review_months: int = Field(
        12,
        description="An exit and continuity scenario not reviewed within this many months "
        "is a gap.",
    )
    value_behind_red: float = Field(
        0.5,
        description="A value initiative due or delivered with less than this share of its "
        "estimated value realised is Red (0.5 = half).",
    )


class MailConfig(_Strict):
    """Where ``rmp mail`` sends from. Credentials never live here, only in the environment."""

    sender: str = Field(
        "",
        alias="from",
        description='The From address of every message, e.g. "Aisha Khan <aisha@nw.example>".',
    )
    smtp: str = Field(
        "",
        description="The SMTP server, e.g. smtp://mail.example.com:587 (no user name or password: "
        "those come from RMP_SMTP_USER and RMP_SMTP_PASSWORD). RMP_SMTP_URL wins over it.",
    )

    @field_validator("smtp")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.username or parts.password:
            raise ValueError(
                "the SMTP address must not hold a user name or password: set RMP_SMTP_USER "
                "and RMP_SMTP_PASSWORD in the environment instead"
            )
        return value


class RelationshipConfig(_Strict):
    id: str
    name: str
    due: str | int | None = Field(
        None,
        description="When a month's workbooks are due back, in the month after it: "
        '"working day 5" (Monday to Friday, less the holidays) or a day of the month '
        'such as 10 or "day 10" (the month\'s last day when it is shorter).',
    )
    holidays: list[dt.date] = Field(
        default_factory=list, description="Days that are not working days, for `due`."
    )
    manager: ManagerConfig | None = None
    partners: list[PartnerConfig] = []
    kpis: list[KpiConfig] = []
    sla: list[SlaConfig] = []
    thresholds: Thresholds = Thresholds()
    mail: MailConfig = MailConfig()
    limits: dict[str, float] = Field(
        default_factory=dict,
        description="Safety limits raised for this relationship, e.g. max_file_mb = 80 "
        "(see docs/security.md); the RMP_* environment variables win over these.",
    )

    def kpi_ranges(self) -> dict[str, tuple[float | None, float | None]]:
        """KPI ID -> (min, max) its Actual must lie in, for the KPIs that set either."""
        return {
            k.id: (k.minimum, k.maximum)
            for k in self.kpis
            if k.minimum is not None or k.maximum is not None
        }

    def reports_kpi(self, partner: str, kpi_id: object) -> bool:
        """Whether ``partner`` is asked for the KPI: every KPI unless its ``reported_by``
        names other partners only (a KPI the config does not list: yes)."""
        from rmp_workbook.values import fold_text, key_text

        wanted = key_text(kpi_id)
        for k in self.kpis:
            if key_text(k.id) == wanted:
                by = {fold_text(p) for p in k.reported_by}
                return not by or fold_text(partner) in by
        return True

    @field_validator("due")
    @classmethod
    def _known_due(cls, value: str | int | None) -> str | int | None:
        if value is None:
            return None
        m = _DUE.fullmatch(str(value).strip())
        day = int(m.group(2) or m.group(3)) if m else 0
        if m is None or not 1 <= day <= (23 if m.group(1) else 31):
            raise ValueError(
                f'{value!r} is not a due day: write "working day 5" or a day of the month '
                "such as 10"
            )
        return value

    @field_validator("partners")
    @classmethod
    def _unique_partners(cls, value: list[PartnerConfig]) -> list[PartnerConfig]:
        from rmp_workbook.values import norm

        seen: dict[str, str] = {}
        for p in value:
            if norm(p.name) in seen:
                raise ValueError(f"partner {p.name!r} is listed twice (as {seen[norm(p.name)]!r})")
            seen[norm(p.name)] = p.name
        return value

    def partner(self, name: str) -> PartnerConfig | None:
        """The partner called ``name`` (case and spaces ignored), or None."""
        from rmp_workbook.values import norm

        key = norm(name)
        return next((p for p in self.partners if norm(p.name) == key), None)

    def former(self, period: str) -> dict[str, str]:
        """Partners who have left by ``period`` (no longer members) -> the day they left."""
        return {
            p.name: p.left.isoformat()
            for p in self.partners
            if p.left is not None and not p.member_in(period)
        }

    def plan_owners(self) -> dict[tuple[str, ...], str]:
        """(sheet key, *item key) -> the owner the config names, for KPIs and SLA lines:
        a change here reassigns an item a partner who has left owned."""
        from rmp_workbook.plain import item_key
        from rmp_workbook.schema import SCHEMA

        owners: dict[tuple[str, ...], str] = {}
        for k in self.kpis:
            if k.owner:
                owners[("kpis", *item_key(SCHEMA["kpis"], {"kpi_id": k.id}))] = k.owner
        for s in self.sla:
            if s.owner:
                item = {"service": s.service, "measure": s.measure}
                owners[("sla", *item_key(SCHEMA["sla"], item))] = s.owner
        return owners

    def members(self, period: str) -> list[PartnerConfig]:
        """The partners expected to report for ``period``, in config order."""
        return [p for p in self.partners if p.member_in(period)]

    def due_date(self, period: str) -> dt.date | None:
        """The day ``period``'s workbooks are due back, or None when ``due`` is not set."""
        if self.due is None:
            return None
        m = _DUE.fullmatch(str(self.due).strip())
        assert m is not None  # checked by _known_due
        day = int(m.group(2) or m.group(3))
        first, last = period_bounds(next_period(period))
        if not m.group(1):
            return min(first.replace(day=min(day, last.day)), last)
        off = set(self.holidays)
        current, count = first, 0
        while True:
            if current.weekday() < 5 and current not in off:
                count += 1
                if count == day:
                    return current
            current += dt.timedelta(days=1)

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, value: dict[str, float]) -> dict[str, float]:
        from rmp_workbook.container import Limits, LimitsError

        try:
            Limits.from_mapping(value)
        except LimitsError as exc:
            raise ValueError(str(exc)) from None
        return value


def load_config(path: str | Path) -> RelationshipConfig:
    """Read a relationship config; ConfigError says what is wrong and where."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    rel = data.get("relationship", data)
    try:
        return RelationshipConfig.model_validate(rel)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def relationship_wanted(
    relationship_id: str | None,
    config: RelationshipConfig | None,
    *,
    option: str = "--relationship",
) -> str | None:
    """The relationship a command was told to work on: ``--relationship`` or the config's
    ID (they must agree when both are given, ignoring case and spaces; the config's
    spelling is kept), or None when neither names one.

    Every command that takes both decides here. Both given and different is a UsageError
    (exit 2) naming the two: which one was meant cannot be guessed, and using either
    silently would report one relationship with another's partners and thresholds.
    ``option`` is how the command spells the ID's option in that message.
    """
    from rmp_workbook.values import norm

    if config is None:
        return relationship_id
    if relationship_id is not None and norm(relationship_id) != norm(config.id):
        raise UsageError(
            f"{option} {relationship_id} and the config's relationship ID {config.id} "
            "differ: give the config of that relationship, or leave one of them out"
        )
    return config.id


_EXAMPLE_HEAD = """\
# rmp.toml: the relationship config read by `rmp template --config` and `rmp merge`.
# Written by `rmp init`; edit it, then run for example:
#   rmp template --config rmp.toml --all --period 2026-11 -o 2026-11/
# Lines starting with # are comments. Text goes in "double quotes".

[relationship]
# A short code both partners use; it is written into every workbook.
id = "NW-CT-2026"
# The relationship's full name, shown on every sheet and the dashboard.
name = "Northwind–Contoso Logistics Alliance"
# When a month's workbooks are due back, in the month after it: "working day 5"
# (Monday to Friday) or a day of the month such as 10. `rmp status` calls a workbook
# that arrives later "late". Days off for "working day": holidays = [2026-12-25, ...]
due = "working day 5"

# The partner organisations: each gets its own workbook every month. contact and
# email are optional: the contact is pre-filled on that partner's Contacts sheet.
# joined (and left, when a partner leaves) are dates: a partner is expected, and may
# send workbooks, for every month it was a partner on at least one day of; `left` is
# the first day it is no longer one. A workbook from any other organisation is refused
# (unknown-partner).
[[relationship.partners]]
name = "Northwind Ltd"
contact = "Aisha Khan"
email = "aisha.khan@northwind.example"
joined = 2026-01-01

[[relationship.partners]]
name = "Contoso plc"
contact = "Tom Becker"
email = "tom.becker@contoso.example"

[[relationship.partners]]
name = "Fabrikam Services"
contact = "Lena Novak"
email = "lena.novak@fabrikam.example"

# The relationship manager: every workbook's Guide names them as the person to ask.
[relationship.manager]
name = "Priya Shah"
email = "priya.shah@northwind.example"
phone = "+44 20 7946 0100"

# The agreed KPIs, pre-filled on every partner's KPIs sheet each month (Actual left blank).
# direction is "Higher is better" or "Lower is better". Between target and amber the
# KPI is Amber; beyond amber it is Red. owner is whose figure is authoritative.
[[relationship.kpis]]
id = "K01"
name = "On-time delivery"
unit = "%"
direction = "Higher is better"
target = 95
amber = 90
owner = "Northwind Ltd"

[[relationship.kpis]]
id = "K02"
name = "Order lead time"
unit = "days"
direction = "Lower is better"
target = 5
amber = 7
owner = "Northwind Ltd"

[[relationship.kpis]]
id = "K03"
name = "Invoice accuracy"
unit = "%"
direction = "Higher is better"
target = 99
amber = 97
owner = "Contoso plc"

[[relationship.kpis]]
id = "K04"
name = "Joint cost savings"
unit = "GBP"
direction = "Higher is better"
target = 25000
amber = 15000
owner = "Contoso plc"

# The agreed service levels, pre-filled on every partner's SLA sheet each month.
# direction is "At least" or "At most": must the actual reach or stay under the target?
[[relationship.sla]]
service = "Help desk"
measure = "First response (hours)"
target = 4
direction = "At most"
owner = "Fabrikam Services"

[[relationship.sla]]
service = "Warehouse"
measure = "Orders picked same day (%)"
target = 98
direction = "At least"
owner = "Northwind Ltd"

# Who `rmp mail` writes from, and the SMTP server `rmp mail --send` uses. The server's
# user name and password are never written here: set RMP_SMTP_USER and RMP_SMTP_PASSWORD
# in the environment (RMP_SMTP_URL, when set, wins over smtp).
[relationship.mail]
from = "Aisha Khan <aisha.khan@northwind.example>"
# smtp = "smtp://mail.northwind.example:587"

# Numbers the reconciliation and gap rules use. Every one is optional: the value
# shown is the default used when the line is left out.
[relationship.thresholds]
"""


def example_config_text() -> str:
    """The commented example ``rmp.toml`` that ``rmp init`` writes; :func:`load_config` reads it.

    The thresholds section is generated from :class:`Thresholds`, so its defaults and
    descriptions cannot drift from the model.
    """
    lines = [_EXAMPLE_HEAD.rstrip("\n")]
    for name, info in Thresholds.model_fields.items():
        lines.append(f"# {info.description}")
        value = info.default
        lines.append(f"{name} = {json.dumps(value) if isinstance(value, str) else value!r}")
    return "\n".join(lines) + "\n"


def write_example_config(folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write :func:`example_config_text` to ``folder/rmp.toml``; ConfigError if it exists."""
    path = Path(folder) / "rmp.toml"
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} already exists; edit it, or pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, example_config_text())
