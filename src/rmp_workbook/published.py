"""Published months in the consolidated view: the figures ``rmp close`` froze.

:func:`published_figures` is what a publication stores of a month's view (each partner's
KPI and SLA figures of the month, the reconciled KPI and SLA rows, the gaps) and its
fingerprint. :func:`apply_published` puts the published figures of every closed month up
to the view's period back into a view built from the ledger: trends and "change since
last period" then read what was issued, whatever a later workbook restated, and a closed
month rebuilt later is the one that was issued. It also lists the proposed restatements
(late workbooks for closed months) on the Restatements sheet and the Dashboard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from rmp_workbook.ledger.publish import RESTATED_KIND
from rmp_workbook.plain import clean

if TYPE_CHECKING:
    import pandas as pd

    from rmp_workbook.ledger import Ledger, Proposal, Publication
    from rmp_workbook.records import Consolidated

HISTORIES = ("kpi_history", "sla_history")
"""The view's per-partner histories a publication freezes for its month."""

RECONCILED = ("kpis", "sla")
"""The reconciled tables a publication keeps (the month's rows)."""

PROPOSED = "proposed"
MAX_NOTICES = 3
"""Proposed restatements the Dashboard names; the rest are counted."""


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or not len(frame):
        return []
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    value = clean(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def published_figures(c: Consolidated) -> tuple[dict[str, Any], str]:
    """What a publication of ``c``'s month stores, and its fingerprint (SHA-256 of the
    canonical JSON): two views with the same figures have the same fingerprint."""
    figures: dict[str, Any] = {"period": c.period, "partners": list(c.partners)}
    for name in HISTORIES:
        frame = getattr(c, name)
        if frame is not None and len(frame) and "period" in frame:
            frame = frame[frame["period"].astype(str) == c.period]
        figures[name] = _records(frame)
    for key in RECONCILED:
        figures[key] = _records(c.tables.get(key))
    figures["gaps"] = [
        {
            "area": g.area,
            "item": g.item,
            "partners": g.partners,
            "value": _plain(g.value),
            "target": _plain(g.target),
            "severity": g.severity,
            "since": g.since,
            "next_step": g.next_step,
            "rule": g.rule,
        }
        for g in c.gaps
    ]
    figures["discrepancies"] = 0 if c.discrepancies is None else len(c.discrepancies)
    text = json.dumps(figures, sort_keys=True, default=str, ensure_ascii=False)
    return json.loads(text), hashlib.sha256(text.encode("utf-8")).hexdigest()


def apply_published(led: Ledger, c: Consolidated, *, own: bool = True) -> None:
    """Put the published figures of the closed months up to ``c.period`` into ``c``.

    Each closed month reads its latest version; when the view's own month is closed, the
    earlier months read the versions that stood when it was published. With ``own`` False
    the view's own month is left as the ledger has it (``rmp close`` and an accepted
    restatement build the month's next version so). Gaps are worked out again from the
    published histories; proposed restatements are listed.
    """
    import pandas as pd

    from rmp_workbook.gaps import find_gaps
    from rmp_workbook.records import Gap

    versions = [
        p for p in led.publications(c.relationship_id, latest=False) if p.period <= c.period
    ]
    issued = (
        None if not own else next((p for p in reversed(versions) if p.period == c.period), None)
    )
    # A closed month reads the earlier months as they stood when it was published, so it
    # rebuilds as issued even after an earlier month's restatement was accepted.
    pubs: dict[str, Publication] = {}
    for p in versions:  # oldest version first: the last one standing wins
        if p.period != c.period and (issued is None or p.published_at <= issued.published_at):
            pubs[p.period] = p
    if issued is not None:
        pubs[c.period] = issued
    if pubs:
        for name in HISTORIES:
            frame = getattr(c, name)
            if frame is None:
                continue
            keep = frame[~frame["period"].astype(str).isin(pubs)] if len(frame) else frame
            rows = [r for p in pubs.values() for r in p.figures.get(name, [])]
            extra = pd.DataFrame.from_records(rows, columns=list(frame.columns))
            merged = pd.concat([keep, extra], ignore_index=True) if len(extra) else keep.copy()
            for col in frame.columns:
                if str(frame[col].dtype) != "object":
                    merged[col] = merged[col].astype(frame[col].dtype)
            # Month order (stable): the same whichever months were published.
            setattr(c, name, merged.sort_values("period", kind="stable").reset_index(drop=True))
        end = _month_end(c.period)
        if issued is not None and c.as_of in (None, end) and "gaps" in issued.figures:
            # The month's own gaps as issued, whatever the config says now; --as-of ages
            # them afresh.
            c.gaps = [Gap(**g) for g in issued.figures["gaps"]]
        else:
            c.gaps = find_gaps(c, c.thresholds, c.as_of or end)
    _list_proposals(led, c, pubs, issued)


def _month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _list_proposals(
    led: Ledger, c: Consolidated, pubs: dict[str, Publication], issued: Publication | None
) -> None:
    """Proposed restatements on the Restatements sheet (with a status column) and, while
    undecided, on the Dashboard. A closed month's view lists them as they stood when it
    was published, so rebuilding it gives the one that was issued."""
    import pandas as pd

    at = issued.published_at if issued is not None else None
    proposals = [
        p
        for p in led.proposals(c.relationship_id)
        if p.period <= c.period and (at is None or p.proposed_at <= at)
    ]
    if not proposals and not pubs:
        return
    frame = c.restatements
    base = frame.copy() if frame is not None else pd.DataFrame()
    restated = {
        (p.submission_id, p.period): p.status_at(at) for p in proposals if p.kind == RESTATED_KIND
    }
    if len(base):
        base["status"] = [
            _restatement_status(r, pubs, restated) for r in base.to_dict(orient="records")
        ]
    elif "status" not in base.columns:
        base["status"] = pd.Series(dtype=object)
    # A later workbook's restatements are rows of the sheet already: their status says.
    rows = [
        row
        for p in proposals
        if p.kind != RESTATED_KIND
        for row in _proposal_rows(p, p.status_at(at))
    ]
    if rows:
        extra = pd.DataFrame.from_records(rows)
        base = pd.concat([base, extra], ignore_index=True) if len(base) else extra
        base = base.reindex(columns=[*frame.columns, "status"] if frame is not None else None)
    c.restatements = base
    pending = [p for p in proposals if p.status_at(at) == PROPOSED and p.period < c.period]
    c.notices.extend(proposal_notices(pending))


def _restatement_status(
    row: dict[str, Any], pubs: dict[str, Publication], restated: dict[tuple[Any, Any], str]
) -> str:
    """A restatement a later workbook made: in force, or for a closed month (recorded
    after its close) the status of the restatement it proposed (``proposed``,
    ``accepted``, ``rejected``), or not published when it proposed none (a figure that is
    not a KPI or SLA figure, or equal to the published one)."""
    pub = pubs.get(str(row.get("period")))
    sub = row.get("submission_id")
    found = restated.get((int(sub) if sub == sub and sub is not None else None, row.get("period")))
    if pub is not None and found is not None:
        return found  # its proposal's status, whichever version was published since
    when = row.get("recorded_at")
    if pub is not None and when is not None and when == when and when > pub.published_at:
        return "after close: not published"
    return "in force"


def _proposal_rows(p: Proposal, status: str) -> list[dict[str, Any]]:
    common = {
        "period": p.period,
        "partner": p.partner,
        "file": p.file,
        "previous_file": p.previous_file,
        "submission_id": p.submission_id,
        "previous_submission_id": p.previous_submission_id,
        "recorded_at": p.proposed_at,
        "status": status,
    }
    if not p.changes:
        return [{"sheet": "", "item": "(no KPI or SLA figure changes)", "column": "", **common}]
    return [
        {
            "sheet": ch.sheet,
            "item": ch.item,
            "column": ch.column,
            "previous": ch.previous,
            "restated": ch.proposed,
            **common,
        }
        for ch in p.changes
    ]


def proposal_notices(pending: list[Proposal]) -> list[str]:
    """Short Dashboard lines for the undecided proposed restatements."""
    lines = [
        f"Proposed restatement {p.id} of {p.period}: {p.what} ({p.summary(2)}); "
        "accept or reject it with rmp restatement."
        for p in pending[:MAX_NOTICES]
    ]
    if len(pending) > MAX_NOTICES:
        lines.append(
            f"… and {len(pending) - MAX_NOTICES} more proposed restatements on the "
            "Restatements sheet."
        )
    return lines
