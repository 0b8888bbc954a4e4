"""The relationship config (TOML): partners, agreed KPIs and SLA lines, thresholds.

``rmp template --config`` pre-fills workbooks from it; ``rmp merge`` takes the
expected partners and the gap and reconciliation thresholds from it.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from rmp_workbook.findings import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PartnerConfig(_Strict):
    name: str
    contact: str = ""
    email: str = ""


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


class RelationshipConfig(_Strict):
    id: str
    name: str
    manager: ManagerConfig | None = None
    partners: list[PartnerConfig] = []
    kpis: list[KpiConfig] = []
    sla: list[SlaConfig] = []
    thresholds: Thresholds = Thresholds()
    limits: dict[str, float] = Field(
        default_factory=dict,
        description="Safety limits raised for this relationship, e.g. max_file_mb = 80 "
        "(see docs/security.md); the RMP_* environment variables win over these.",
    )

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

# The partner organisations: each gets its own workbook every month. contact and
# email are optional: the contact is pre-filled on that partner's Contacts sheet.
[[relationship.partners]]
name = "Northwind Ltd"
contact = "Aisha Khan"
email = "aisha.khan@northwind.example"

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
    path.write_text(example_config_text(), encoding="utf-8")
    return path
