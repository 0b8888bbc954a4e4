"""The plan's own evolution: versions of the relationship config and what changed between them.

Every config a ledger run sees is kept as a version (:func:`fingerprint`: canonical
JSON and its SHA-256; the ledger stores it with the date, the period of the run and
who ran it). :func:`plan_changes` lists, version to version, what a reader of the
RMP cares about: KPIs and SLA lines added or dropped, targets, thresholds and owners
changed, partners who joined or left, thresholds of the gap rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rmp_workbook.config import RelationshipConfig

if TYPE_CHECKING:
    import pandas as pd

    from rmp_workbook.ledger import Ledger

__all__ = [
    "PLAN_CHANGE_COLUMNS",
    "PLAN_CHANGE_HEADERS",
    "ConfigVersion",
    "PlanChange",
    "config_in_force",
    "diff_configs",
    "fingerprint",
    "latest_config",
    "plan_changes",
    "plan_changes_frame",
]

PLAN_CHANGE_COLUMNS = ("period", "seen_at", "seen_by", "change", "item", "before", "after")

PLAN_CHANGE_HEADERS: dict[str, str] = {
    "period": "From period",
    "seen_at": "Seen",
    "seen_by": "Changed by",
    "change": "Change",
    "item": "Item",
    "before": "Before",
    "after": "After",
}
"""How a reader sees each of :data:`PLAN_CHANGE_COLUMNS` (the consolidated workbook's
Plan changes sheet and the audit pack's)."""


def canonical_config(config: RelationshipConfig) -> dict[str, Any]:
    """The config as plain data, every default filled in (what a version stores)."""
    return config.model_dump(mode="json", by_alias=True)


def fingerprint(config: RelationshipConfig) -> tuple[str, str]:
    """(canonical JSON, its SHA-256): two configs that mean the same have the same hash,
    whatever their comments, key order or spacing."""
    text = json.dumps(canonical_config(config), sort_keys=True, ensure_ascii=False)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_config(versions: Sequence[ConfigVersion]) -> RelationshipConfig | None:
    """The config of the last of ``versions`` (as ``Ledger.config_versions`` lists them),
    or None: none, or one stored by an rmp whose config model no longer reads it."""
    from pydantic import ValidationError as PydanticValidationError

    if not versions:
        return None
    try:
        return RelationshipConfig.model_validate(dict(versions[-1].config))
    except PydanticValidationError:
        return None


def config_in_force(
    led: Ledger,
    relationship_id: str,
    period: str,
    config: RelationshipConfig | None = None,
) -> RelationshipConfig | None:
    """The config a command uses for ``relationship_id``'s ``period``: ``config`` when one
    is given (``--config`` wins), else the version the ledger holds in force for the
    period (the last one first seen for it or an earlier month, as ``rmp merge --config``
    kept it), else None (the defaults).

    Every command that reads the ledger decides here, so a report, an audit pack or a
    status run without ``--config`` colours and ages by the same thresholds, and expects
    the same partners, as the merge that recorded the month.
    """
    if config is not None:
        return config
    return latest_config(led.config_versions(relationship_id, period))


@dataclass(frozen=True)
class ConfigVersion:
    """A config as the ledger stored it."""

    period: str
    """The period of the run that first saw it."""
    seen_at: dt.datetime
    seen_by: str
    sha256: str
    config: Mapping[str, Any]
    """:func:`canonical_config` of it."""


@dataclass(frozen=True)
class PlanChange:
    """One change to the plan between two versions of the config."""

    period: str
    """The period from which the change applies (the run that first saw it)."""
    seen_at: dt.datetime
    seen_by: str
    change: str
    """What kind of change, in words: ``KPI added``, ``Target changed``, ``Partner left`` …"""
    item: str
    """What it is about: ``K01 On-time delivery``, ``Contoso plc``, ``Help desk: First …``."""
    before: str = ""
    after: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "seen_at": self.seen_at.isoformat(),
            "seen_by": self.seen_by,
            "change": self.change,
            "item": self.item,
            "before": self.before,
            "after": self.after,
        }


_LABELS = {
    "target": "Target",
    "amber": "Amber threshold",
    "owner": "Owner",
    "name": "Name",
    "unit": "Unit",
    "direction": "Direction",
    "contact": "Contact",
    "email": "E-mail",
    "joined": "Joined",
    "left": "Left",
    "due": "Due day",
    "holidays": "Holidays",
    "mail": "Mail settings",
}


def _text(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _label(field: str) -> str:
    return _LABELS.get(field, field.replace("_", " ").capitalize())


def _keyed(rows: Sequence[Mapping[str, Any]], key: Sequence[str]) -> dict[tuple[str, ...], Any]:
    return {tuple(str(r.get(k, "")).strip().casefold() for k in key): r for r in rows}


_LISTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # config key, what one entry is called, the fields that identify it
    ("partners", "Partner", ("name",)),
    ("kpis", "KPI", ("id",)),
    ("sla", "SLA line", ("service", "measure")),
)


def _describe(kind: str, row: Mapping[str, Any]) -> str:
    if kind == "KPI":
        return f"{row.get('id', '')} {row.get('name', '')}".strip()
    if kind == "SLA line":
        return f"{row.get('service', '')}: {row.get('measure', '')}"
    return str(row.get("name", ""))


def diff_configs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(change, item, before, after) from ``old`` to ``new`` (both :func:`canonical_config`)."""
    out: list[tuple[str, str, str, str]] = []
    for field in ("id", "name"):
        if old.get(field) != new.get(field):
            label = "Relationship ID changed" if field == "id" else "Relationship name changed"
            out.append((label, "Relationship", _text(old.get(field)), _text(new.get(field))))
    for key, kind, ident in _LISTS:
        before = _keyed(old.get(key) or [], ident)
        after = _keyed(new.get(key) or [], ident)
        added, dropped = ("joined", "left") if kind == "Partner" else ("added", "dropped")
        for k, row in after.items():
            if k not in before:
                out.append((f"{kind} {added}", _describe(kind, row), "", _summary(kind, row)))
        for k, row in before.items():
            if k not in after:
                out.append((f"{kind} {dropped}", _describe(kind, row), _summary(kind, row), ""))
        for k, row in after.items():
            if k not in before:
                continue
            was = before[k]
            for field in sorted(set(row) | set(was)):
                if field in ident or was.get(field) == row.get(field):
                    continue
                if kind == "Partner" and field == "left" and row.get(field):
                    change = "Partner left"
                else:
                    change = f"{_label(field)} changed"
                out.append(
                    (change, _describe(kind, row), _text(was.get(field)), _text(row.get(field)))
                )
    old_t, new_t = old.get("thresholds") or {}, new.get("thresholds") or {}
    for field in sorted(set(old_t) | set(new_t)):
        if old_t.get(field) != new_t.get(field):
            out.append(
                ("Threshold changed", field, _text(old_t.get(field)), _text(new_t.get(field)))
            )
    handled = {"id", "name", "partners", "kpis", "sla", "thresholds", "limits"}
    for field in sorted((set(old) | set(new)) - handled):
        if old.get(field) != new.get(field):
            out.append(
                (f"{_label(field)} changed", "Relationship", _text(old.get(field)),
                 _text(new.get(field)))
            )  # fmt: skip
    old_l, new_l = old.get("limits") or {}, new.get("limits") or {}
    for field in sorted(set(old_l) | set(new_l)):
        if old_l.get(field) != new_l.get(field):
            out.append(("Limit changed", field, _text(old_l.get(field)), _text(new_l.get(field))))
    return out


def _summary(kind: str, row: Mapping[str, Any]) -> str:
    if kind == "KPI":
        parts = [f"target {_text(row.get('target'))}"]
        if row.get("owner"):
            parts.append(f"owner {row['owner']}")
        return ", ".join(parts)
    if kind == "SLA line":
        return f"{row.get('direction', '')} {_text(row.get('target'))}".strip()
    return str(row.get("email") or row.get("contact") or "")


def plan_changes(versions: Sequence[ConfigVersion]) -> list[PlanChange]:
    """Every change from each version to the next, oldest first.

    The first version is the plan as it started: it yields no change.
    """
    changes: list[PlanChange] = []
    for old, new in itertools.pairwise(versions):
        for change, item, before, after in diff_configs(old.config, new.config):
            changes.append(
                PlanChange(new.period, new.seen_at, new.seen_by, change, item, before, after)
            )
    return changes


def plan_changes_frame(versions: Sequence[ConfigVersion]) -> pd.DataFrame:
    """:func:`plan_changes` as a frame with :data:`PLAN_CHANGE_COLUMNS`, oldest first."""
    import pandas as pd

    rows = [c.to_dict() | {"seen_at": c.seen_at} for c in plan_changes(versions)]
    return pd.DataFrame.from_records(rows, columns=list(PLAN_CHANGE_COLUMNS))
