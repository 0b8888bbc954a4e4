"""The plan areas: development, information, communications, value, exit and continuity.

The sheets BS 11000 / ISO 44001 asks the plan to cover beside risks and metrics: their
gap rules, and :func:`area_lines`, the one line per area the Dashboard shows (status, how
many open, next due) with :func:`value_totals`. The rules are declared here and registered
in :data:`rmp_workbook.gaps.RULES` by one line of ``gaps.py`` (this module does not import
``gaps``, so there is no import cycle).
Every date is aged against the date the gaps are found for (the period's end, or
``--as-of``), never the day the command runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rmp_workbook.config import Thresholds
from rmp_workbook.plain import as_date, clean, day_after, format_value, item_label
from rmp_workbook.rag import AMBER, GREEN, NO_DATA, RED
from rmp_workbook.records import Check, Consolidated, Gap, GapRule
from rmp_workbook.schema import FREQUENCY_DAYS, SCHEMA, Sheet

RULES: list[GapRule] = []
"""The plan-area rules, in the order they are listed after the other rules."""


def _rule(
    code: str, area: str, title: str, severity: str, thresholds: tuple[str, ...] = ()
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(GapRule(code, area, title, severity, thresholds, check))
        return check

    return register


# --------------------------------------------------------------------------- helpers


def _rows(c: Consolidated, key: str) -> list[dict[str, Any]]:
    frame: pd.DataFrame | None = c.tables.get(key)
    if frame is None or frame.empty:
        return []
    return [{k: clean(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def _open_rows(c: Consolidated, sheet: Sheet) -> list[dict[str, Any]]:
    """The sheet's reconciled rows still open by its status (all rows without a status)."""
    rows = _rows(c, sheet.key)
    if sheet.status is None:
        return rows
    return [r for r in rows if sheet.is_open(r.get(sheet.status))]


def _num(value: Any) -> float | None:
    value = clean(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, kept within the month (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def communication_due(row: dict[str, Any]) -> dt.date | None:
    """When a communication is next due: its Next due, else Last done plus its frequency."""
    due = as_date(row.get("next_due"))
    if due is not None:
        return due
    last = as_date(row.get("last_done"))
    days = FREQUENCY_DAYS.get(str(row.get("frequency") or ""))
    return last + dt.timedelta(days=days) if last is not None and days else None


def _who(row: dict[str, Any], fallback: str) -> str:
    return str(row.get("owner") or fallback)


def _partners(row: dict[str, Any]) -> str:
    return str(row.get("partners") or "")


# --------------------------------------------------------------------------- rules


@_rule(
    "communication-overdue",
    "Communications plan",
    "A planned communication's Next due date (else Last done plus its Frequency) has passed",
    "Amber",
)
def _communication_overdue(c: Consolidated, t: Thresholds, as_of: dt.date) -> Iterator[Gap]:
    sheet = SCHEMA["communications"]
    for row in _open_rows(c, sheet):
        due = communication_due(row)
        if due is None or due >= as_of:
            continue
        last = as_date(row.get("last_done"))
        yield Gap(
            area=sheet.name,
            item=item_label(sheet, row),
            partners=_partners(row),
            value=f"{(as_of - due).days} days overdue"
            + (f", last done {last.isoformat()}" if last else ""),
            target=f"done by {due.isoformat()}",
            severity=AMBER,
            since=day_after(due),
            next_step=(
                f"Ask {_who(row, 'the owner')} to hold it and record Last done and Next due."
            ),
        )


@_rule(
    "development-need-overdue",
    "Development needs",
    "A development need not Met (nor Cancelled) is past its Due date",
    "Amber",
)
def _development_overdue(c: Consolidated, t: Thresholds, as_of: dt.date) -> Iterator[Gap]:
    sheet = SCHEMA["development"]
    for row in _open_rows(c, sheet):
        due = as_date(row.get("due"))
        if due is None or due >= as_of:
            continue
        yield Gap(
            area=sheet.name,
            item=item_label(sheet, row),
            partners=_partners(row),
            value=f"{(as_of - due).days} days overdue ({row.get('status') or 'no status'})",
            target=f"met by {due.isoformat()}",
            severity=AMBER,
            since=day_after(due),
            next_step=f"Agree with {_who(row, 'the owner')} how and when the need is met.",
        )


@_rule(
    "value-behind-estimate",
    "Value creation",
    "A value initiative Delivered, or past its Target date, has realised less than estimated",
    "Red below `value_behind_red` of the estimate; Amber otherwise",
    ("value_behind_red",),
)
def _value_behind(c: Consolidated, t: Thresholds, as_of: dt.date) -> Iterator[Gap]:
    sheet = SCHEMA["value"]
    for row in _open_rows(c, sheet):
        estimate, realised = _num(row.get("estimated")), _num(row.get("realised")) or 0.0
        if estimate is None or estimate <= 0 or realised >= estimate:
            continue
        target = as_date(row.get("target_date"))
        delivered = str(row.get("status") or "") == "Delivered"
        if not delivered and (target is None or target >= as_of):
            continue  # still time to realise it
        share = realised / estimate
        unit = format_value(row.get("unit"))
        unit = f" {unit}" if unit else ""
        yield Gap(
            area=sheet.name,
            item=item_label(sheet, row),
            partners=_partners(row),
            value=f"{format_value(realised)}{unit} realised ({share:.0%})",
            target=f"{format_value(estimate)}{unit} estimated",
            severity=RED if share < t.value_behind_red else AMBER,
            since=day_after(target) if target is not None and target < as_of else c.period,
            next_step=(
                f"Review the estimate with {_who(row, 'the initiative owner')}: agree how to "
                f"realise the rest, or restate the estimate at the joint board."
            ),
        )


@_rule(
    "exit-plan-missing",
    "Exit and continuity plan",
    "No exit and continuity scenario is in place (none listed, or all Retired)",
    "Red",
)
def _exit_plan_missing(c: Consolidated, t: Thresholds, as_of: dt.date) -> Iterator[Gap]:
    sheet = SCHEMA["exit"]
    # With no workbook for the period, submission-missing already says what is wrong.
    if not c.partners or _open_rows(c, sheet):
        return
    yield Gap(
        area=sheet.name,
        item="Exit and continuity plan",
        partners=", ".join(c.partners),
        value="none in place",
        target="at least one agreed scenario",
        severity=RED,
        since=c.period,
        next_step=(
            "Agree a joint exit strategy: for each trigger, how the service is kept going "
            "(e.g. transition to another vendor), and list it on the Exit and continuity plan "
            "sheet."
        ),
    )


@_rule(
    "exit-plan-not-reviewed",
    "Exit and continuity plan",
    "An exit and continuity scenario was not reviewed within N months (or never)",
    "Amber",
    ("exit_review_months",),
)
def _exit_plan_not_reviewed(c: Consolidated, t: Thresholds, as_of: dt.date) -> Iterator[Gap]:
    sheet = SCHEMA["exit"]
    months = max(1, t.exit_review_months)
    for row in _open_rows(c, sheet):
        reviewed = as_date(row.get("last_reviewed"))
        due = add_months(reviewed, months) if reviewed is not None else None
        if due is not None and due >= as_of:
            continue
        yield Gap(
            area=sheet.name,
            item=item_label(sheet, row),
            partners=_partners(row),
            value=f"last reviewed {reviewed.isoformat()}" if reviewed else "never reviewed",
            target=f"reviewed within {months} months",
            severity=AMBER,
            since=day_after(due) if due is not None else c.period,
            next_step=(
                f"Review the scenario with {_who(row, 'its owner')} and both partners, and "
                f"record the date in Last reviewed."
            ),
        )


@_rule(
    "information-no-owner",
    "Information sharing",
    "An information flow names no owner",
    "Amber",
)
def _information_no_owner(c: Consolidated, t: Thresholds, as_of: dt.date) -> Iterator[Gap]:
    sheet = SCHEMA["information"]
    for row in _open_rows(c, sheet):
        if row.get("owner"):
            continue
        source = row.get("from_partner")
        usually = f" (usually {source}, who provides it)" if source else ""
        yield Gap(
            area=sheet.name,
            item=item_label(sheet, row),
            partners=_partners(row),
            value="no owner",
            target="an owner accountable for the flow",
            severity=AMBER,
            since=c.period,
            next_step=(f"Agree who owns the flow{usually} and fill in Owner."),
        )


# --------------------------------------------------------------------------- summary lines

AREAS = ("development", "information", "communications", "value", "exit")
"""The plan-area sheets, in the order the Dashboard lists them."""


@dataclass(frozen=True)
class AreaLine:
    """One area of the plan at a glance."""

    area: str
    """The sheet's name, e.g. ``Communications plan``."""
    status: str
    """Red or Amber (its worst gap), Green (rows and no gap) or No data (no rows)."""
    open: int
    """Rows still open (flows and communications: all listed)."""
    next_due: dt.date | None
    """The earliest date something is due next (may be past: then there is a gap)."""
    gaps: int


def _next_due(key: str, row: dict[str, Any], t: Thresholds) -> dt.date | None:
    if key == "development":
        return as_date(row.get("due"))
    if key == "communications":
        return communication_due(row)
    if key == "value":
        if str(row.get("status") or "") == "Delivered":
            return None
        return as_date(row.get("target_date"))
    if key == "exit":
        reviewed = as_date(row.get("last_reviewed"))
        return add_months(reviewed, max(1, t.exit_review_months)) if reviewed else None
    return None


def area_lines(c: Consolidated, thresholds: Thresholds | None = None) -> list[AreaLine]:
    """Status, open count and next due date of every plan area, from the reconciled view
    and its gaps."""
    t = thresholds or Thresholds()
    lines = []
    for key in AREAS:
        sheet = SCHEMA[key]
        rows = _open_rows(c, sheet)
        if key == "value":  # delivered initiatives stay listed for their value, not as open
            rows = [r for r in rows if str(r.get("status") or "") != "Delivered"]
        found = [g for g in c.gaps if g.area == sheet.name]
        if any(g.severity == RED for g in found):
            status = RED
        elif found:
            status = AMBER
        else:
            status = GREEN if _rows(c, key) else NO_DATA
        dues = [d for r in rows if (d := _next_due(key, r, t)) is not None]
        lines.append(AreaLine(sheet.name, status, len(rows), min(dues, default=None), len(found)))
    return lines


def value_totals(c: Consolidated) -> list[tuple[str, float, float]]:
    """(unit, realised, estimated) over the initiatives not Stopped, per unit, largest first."""
    totals: dict[str, list[float]] = {}
    for row in _open_rows(c, SCHEMA["value"]):
        estimate = _num(row.get("estimated"))
        if estimate is None:
            continue
        unit = format_value(row.get("unit"))
        pair = totals.setdefault(unit, [0.0, 0.0])
        pair[0] += _num(row.get("realised")) or 0.0
        pair[1] += estimate
    return sorted(((u, r, e) for u, (r, e) in totals.items()), key=lambda x: -x[2])
