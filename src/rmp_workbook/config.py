"""The relationship config (TOML): partners, agreed KPIs and SLA lines, thresholds.

``rmp template --config`` pre-fills workbooks from it; ``rmp merge`` takes the
expected partners and the gap and reconciliation thresholds from it.
"""

from __future__ import annotations

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


class RelationshipConfig(_Strict):
    id: str
    name: str
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
