"""What a partner's next workbook starts with: the last agreed view of the relationship.

``rmp template --ledger`` pre-fills each partner's workbook from the ledger. The KPI and
SLA lines, open bottlenecks and actions and the partner's contacts come from its own
latest workbook (:meth:`Ledger.prefill_rows <rmp_workbook.ledger.Ledger.prefill_rows>`);
the registers every partner shares come from the reconciled view of the last period
reported, so nothing vanishes between months:

- ``risks``: the whole joint risk register, closed risks included (marked Closed), so
  every partner sees what the owner closed and a stale copy does not reopen it;
- ``successes``: every success recorded so far (they accumulate);
- ``testimonials``: the ones this partner recorded (others' stay private to them);
- ``stages``: the last agreed status, progress, owner and target date of each stage;
- ``relationship``: the partner's own last scope, drivers, contracts, systems and structure;
- ``health``: the partner's own last scores.

Open risks, bottlenecks and actions a partner who has left by ``next_period`` owns or
alone reported (``Consolidated.retired``) are carried into every current partner's
template, owner unchanged, with the note :data:`REASSIGN` on the Owner cell, so the
partner names a new owner; closed ones are not carried.

With a config, the agreed fields of a KPI or SLA line (name, unit, direction, target,
amber, owner) come from the config, which wins over anything pre-filled; a KPI the config
does not list is pre-filled only for a partner that reported it itself, and a KPI with
``reported_by`` only for those partners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rmp_workbook.plain import clean, norm_key, norm_text
from rmp_workbook.schema import SCHEMA
from rmp_workbook.template import PREFILL_NOTE
from rmp_workbook.values import row_key

if TYPE_CHECKING:
    from rmp_workbook.config import RelationshipConfig
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.records import Consolidated

Prefill = dict[str, list[dict[str, Any]]]

REASSIGN = "Owner left the relationship: reassign"
"""The note on the Owner cell of an open item carried from a partner who has left."""

REASSIGNED = ("risks", "bottlenecks", "actions")
"""Registers whose retired open items are carried for reassignment (KPI and SLA owners
are reassigned in the config)."""

RELATIONSHIP_TEXTS = ("scope", "drivers", "contracts", "shared_systems", "management_structure")
"""The Relationship fields carried into the next month (identity and sign-off are not)."""


def _inputs(sheet_key: str, rec: dict[str, Any]) -> dict[str, Any]:
    sheet = SCHEMA[sheet_key]
    return {c.key: clean(rec.get(c.key)) for c in sheet.columns if c.is_input}


def _table(view: Consolidated, key: str) -> list[dict[str, Any]]:
    frame = view.tables.get(key)
    return [] if frame is None or frame.empty else frame.to_dict("records")


def _reports(partner: str, listed: Any) -> bool:
    names = [norm_text(p) for p in str(clean(listed) or "").split(",")]
    return norm_text(partner) in names


def prefill_rows(
    led: Ledger,
    relationship_id: str,
    partner: str,
    next_period: str,
    config: RelationshipConfig | None = None,
) -> Prefill:
    """The rows to pre-fill ``partner``'s workbook for ``next_period`` with (see the module)."""
    from rmp_workbook.merge import consolidated_view

    out: Prefill = led.prefill_rows(relationship_id, partner, next_period)
    known = led.submissions_frame(relationship_id)
    before = sorted({str(p) for p in known["period"]} if len(known) else set())
    before = [p for p in before if p < next_period]
    # The last month's view with next month's members: who has left by then is retired.
    view = (
        consolidated_view(
            led, relationship_id, before[-1], config=config, members_as_of=next_period
        )
        if before
        else None
    )

    if config is not None and config.kpis and "kpis" in out:
        agreed = {norm_key(k.id) for k in config.kpis}
        own: set[str] = set()
        if view is not None and len(view.kpi_history):
            hist = view.kpi_history
            mine = hist[hist["partner"].map(norm_text) == norm_text(partner)]
            own = {norm_key(k) for k in mine["kpi_id"]}
        # A KPI not agreed is not pushed to partners who never reported it.
        out["kpis"] = [
            r
            for r in out["kpis"]
            if (norm_key(r.get("kpi_id")) in agreed or norm_key(r.get("kpi_id")) in own)
            and config.reports_kpi(partner, r.get("kpi_id"))
        ]
    if view is None:
        return out

    out["risks"] = [_inputs("risks", r) for r in _table(view, "risks")]
    out["successes"] = [_inputs("successes", r) for r in _table(view, "successes")]
    out["testimonials"] = [
        _inputs("testimonials", r)
        for r in _table(view, "testimonials")
        if _reports(partner, r.get("partners"))
    ]
    stages = [_inputs("stages", r) for r in _table(view, "stages")]
    out["stages"] = [r for r in stages if r.get("stage") in SCHEMA["stages"].fixed_rows]
    mine = [r for r in _table(view, "relationship") if _reports(partner, r.get("partners"))]
    if mine:
        texts = {k: clean(mine[-1].get(k)) for k in RELATIONSHIP_TEXTS}
        out["relationship"] = [{k: v for k, v in texts.items() if v is not None}]
    health = view.health_by_partner
    if health is not None and len(health):
        scores = [
            {"behaviour": clean(b), "score": clean(s)}
            for p, b, s in zip(health["partner"], health["behaviour"], health["score"], strict=True)
            if norm_text(p) == norm_text(partner)
            and clean(b) in SCHEMA["health"].fixed_rows
            and clean(s) is not None
        ]
        out["health"] = scores
    _left_behind(out, view)
    return out


def _left_behind(out: Prefill, view: Consolidated) -> None:
    """Add the open register items of partners who have left, noted for reassignment (a
    row the partner already has keeps its values and gets the note)."""
    for item in view.retired:
        if item.sheet not in REASSIGNED or not item.row:
            continue
        sheet = SCHEMA[item.sheet]
        row = _inputs(item.sheet, dict(item.row))
        rows = out.setdefault(item.sheet, [])
        key = row_key(sheet, row)
        same = next((r for r in rows if key is not None and row_key(sheet, r) == key), None)
        if same is None:
            rows.append({**row, PREFILL_NOTE: REASSIGN})
        else:
            same[PREFILL_NOTE] = REASSIGN
