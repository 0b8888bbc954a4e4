"""Published months and proposed restatements (part of :class:`~rmp_workbook.ledger.Ledger`).

``rmp close`` freezes a month's figures as a *publication* (version 1; each accepted
restatement adds the next version). A workbook for a published month that a later
merge brings is recorded with status ``proposed``: it is in the ledger but in no view,
and a *proposal* row says what it would change against the published figures. Accepting
it makes it the partner's current workbook for the month; rejecting it marks it
``rejected``. Who, when and why are kept for each step. :mod:`rmp_workbook.published`
reads publications into the consolidated view; :mod:`rmp_workbook.close` drives them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection

from rmp_workbook.findings import LedgerError, UsageError
from rmp_workbook.ledger.engine import LedgerEngine, _now
from rmp_workbook.ledger.tables import (
    CURRENT,
    PROPOSED,
    REJECTED,
    SUPERSEDED,
    record_table_name,
)
from rmp_workbook.schema import Sheet
from rmp_workbook.values import fold_text, key_text

ACCEPTED = "accepted"
"""A proposal accepted: its workbook is the partner's current one for the month."""

FIGURE_SHEETS = {
    "kpis": ("kpi_history", ("kpi_id",)),
    "sla": ("sla_history", ("service", "measure")),
}
"""Sheet key -> (the published history it is measured against, the item's id columns)."""

COMPARED = ("actual", "target")
"""Figures a proposal compares with the published ones."""

SIGNOFF_KIND = "signoff"
"""A proposal's ``kind`` when sign-offs recorded after the close propose it."""

RESTATED_KIND = "restated"
"""A proposal's ``kind`` when a later month's workbook restates a closed month's figures
(its submission is that later workbook; accepting it changes no submission)."""


@dataclass
class Publication:
    """One published version of a month: its figures, and who published it, when and why."""

    id: int
    relationship_id: str
    period: str
    version: int
    published_at: dt.datetime
    published_by: str
    command: str
    reason: str | None
    proposal_id: int | None
    figures: dict[str, Any]
    fingerprint: str
    workbook_sha256: str | None
    workbook_path: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "relationship_id": self.relationship_id,
            "period": self.period,
            "version": self.version,
            "published_at": self.published_at.isoformat(timespec="seconds"),
            "published_by": self.published_by,
            "command": self.command,
            "reason": self.reason,
            "proposal_id": self.proposal_id,
            "fingerprint": self.fingerprint,
            "workbook_sha256": self.workbook_sha256,
            "workbook_path": self.workbook_path,
        }


@dataclass
class FigureChange:
    """One figure a proposed restatement would change: published -> proposed."""

    sheet: str
    item: str
    column: str
    previous: Any
    proposed: Any
    """Numbers for a KPI or SLA figure; an agreed register value may be text or a date."""

    def text(self) -> str:
        was, now = _fmt(self.previous), _fmt(self.proposed)
        return f"{self.item} {self.column.capitalize()} {was} → {now}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "item": self.item,
            "column": self.column,
            "previous": self.previous,
            "proposed": self.proposed,
        }


@dataclass
class Proposal:
    """A workbook for a published month that came after the close, or agreed values of a
    sign-off recorded after it (``kind`` ``signoff``), and what it would change."""

    id: int
    relationship_id: str
    period: str
    partner: str
    """The partner who sent the workbook; for a sign-off, the partners who signed."""
    submission_id: int | None
    """The late workbook's submission (None for a sign-off)."""
    file: str
    """The late workbook's file name; for a sign-off, its sign-off workbooks'."""
    previous_submission_id: int | None
    previous_file: str | None
    publication_id: int
    status: str
    """``proposed``, ``accepted`` or ``rejected``."""
    proposed_at: dt.datetime
    proposed_by: str
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    changes: list[FigureChange] = field(default_factory=list)
    kind: str = "workbook"
    """``workbook`` (a late workbook for the month) or ``signoff`` (agreed values)."""

    @property
    def what(self) -> str:
        """What came after the close, in words: "Northwind Ltd sent nw.xlsx after the
        close", "Contoso plc signed off after the close with agreed values that differ"."""
        if self.kind == SIGNOFF_KIND:
            return f"{self.partner} signed off after the close with agreed values that differ"
        if self.kind == RESTATED_KIND:
            return f"{self.partner} restated it in {self.file} after the close"
        return f"{self.partner} sent {self.file} after the close"

    def status_at(self, when: dt.datetime | None) -> str:
        """The proposal's status as it stood at ``when`` (now when None)."""
        if when is not None and (self.decided_at is None or self.decided_at > when):
            return PROPOSED
        return self.status

    def summary(self, most: int = 3) -> str:
        """'K01 Actual 96 → 91, …' or 'no KPI or SLA figure changes'."""
        if not self.changes:
            if self.kind == SIGNOFF_KIND:
                return "the published figures would change"
            return "no KPI or SLA figure changes"
        shown = ", ".join(c.text() for c in self.changes[:most])
        return shown + (", …" if len(self.changes) > most else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "relationship_id": self.relationship_id,
            "period": self.period,
            "partner": self.partner,
            "file": self.file,
            "previous_file": self.previous_file,
            "submission_id": self.submission_id,
            "previous_submission_id": self.previous_submission_id,
            "publication_id": self.publication_id,
            "status": self.status,
            "proposed_at": self.proposed_at.isoformat(timespec="seconds"),
            "proposed_by": self.proposed_by,
            "decided_at": self.decided_at.isoformat(timespec="seconds")
            if self.decided_at
            else None,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "changes": [c.to_dict() for c in self.changes],
            "text": self.summary(),
        }


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "blank"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def latest_publication_id(
    conn: Connection, tables: Any, relationship_id: str, period: str
) -> int | None:
    """The id of the month's latest publication, or None when the month is not closed."""
    pub: Table = tables["publications"]
    found = conn.execute(
        select(pub.c.id)
        .where(pub.c.relationship_id == relationship_id, pub.c.period == period)
        .order_by(pub.c.version.desc())
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def insert_proposal(
    conn: Connection,
    tables: Any,
    *,
    kind: str,
    relationship_id: str,
    period: str,
    partner: str,
    file: str,
    submission_id: int | None,
    previous_submission_id: int | None,
    previous_file: str | None,
    publication_id: int,
    changes: list[FigureChange],
    now: dt.datetime,
    by: str,
) -> Proposal:
    """Record a proposed restatement of a closed month (a late workbook's, a later
    workbook's restated figures, or a sign-off's agreed values) and return it."""
    rp = tables["restatement_proposals"]
    row = {
        "relationship_id": relationship_id,
        "period": period,
        "partner": partner,
        "kind": kind,
        "submission_id": submission_id,
        "previous_submission_id": previous_submission_id,
        "publication_id": publication_id,
        "changes": json.dumps([c.to_dict() for c in changes], default=str),
        "status": PROPOSED,
        "proposed_at": now,
        "proposed_by": by,
    }
    new_id = conn.execute(insert(rp).returning(rp.c.id), row).scalar_one()
    return Proposal(
        id=int(new_id),
        relationship_id=relationship_id,
        period=period,
        partner=partner,
        submission_id=submission_id,
        file=file,
        previous_submission_id=previous_submission_id,
        previous_file=previous_file,
        publication_id=publication_id,
        status=PROPOSED,
        proposed_at=now,
        proposed_by=by,
        changes=list(changes),
        kind=kind,
    )


def propose(
    conn: Connection,
    tables: Any,
    sheets: Sequence[Sheet],
    late: Sequence[tuple[int, str, str, str, int]],
    *,
    by: str,
    now: dt.datetime,
) -> list[Proposal]:
    """Record a proposal for each late workbook: (submission id, relationship, partner,
    period, publication id), with the figures it would change against that publication."""
    st: Table = tables["submissions"]
    out = []
    for sub_id, rel, partner, period, pub_id in late:
        pub: Table = tables["publications"]
        figures = json.loads(
            conn.execute(select(pub.c.figures).where(pub.c.id == pub_id)).scalar_one()
        )
        previous = conn.execute(
            select(st.c.id, st.c.file_name).where(
                st.c.relationship_id == rel,
                st.c.partner == partner,
                st.c.period == period,
                st.c.status == CURRENT,
            )
        ).first()
        file_name = conn.execute(select(st.c.file_name).where(st.c.id == sub_id)).scalar_one()
        changes = _changes(conn, tables, sheets, sub_id, partner, period, figures)
        out.append(
            insert_proposal(
                conn, tables, kind="workbook", relationship_id=rel, period=period,
                partner=partner, file=file_name, submission_id=sub_id,
                previous_submission_id=previous.id if previous else None,
                previous_file=previous.file_name if previous else None,
                publication_id=pub_id, changes=changes, now=now, by=by,
            )
        )  # fmt: skip
    return out


def propose_restated(
    conn: Connection,
    tables: Any,
    restatements: Sequence[Any],
    *,
    by: str,
    now: dt.datetime,
) -> list[Proposal]:
    """Record a proposal for each later month's workbook that restates KPI or SLA figures
    of a closed month (``restatements``: :class:`~rmp_workbook.ledger.record.Restatement`),
    one per workbook and month, of the figures that differ from the partner's published
    ones. A restatement to the published figure proposes nothing."""
    groups: dict[tuple[str, str, str, int, int], list[Any]] = {}
    closed: dict[tuple[str, str], int | None] = {}
    for r in restatements:
        if r.sheet not in FIGURE_SHEETS or r.column not in COMPARED or not r.period:
            continue
        month = (r.relationship_id, r.period)
        if month not in closed:  # one query per month, however many restatements
            closed[month] = latest_publication_id(conn, tables, *month)
        pub_id = closed[month]
        if pub_id is not None:
            key = (r.relationship_id, r.period, r.partner, r.submission_id, pub_id)
            groups.setdefault(key, []).append(r)
    pub: Table = tables["publications"]
    out = []
    for (rel, period, partner, sub_id, pub_id), found in groups.items():
        figures = json.loads(
            conn.execute(select(pub.c.figures).where(pub.c.id == pub_id)).scalar_one()
        )
        changes = []
        for r in found:
            history, ids = FIGURE_SHEETS[r.sheet]
            published = _published_point(figures.get(history, []), ids, partner, period, r.item)
            old = _num(published.get(r.column)) if published is not None else _num(r.previous)
            new = _num(r.restated)
            if new is None or (old is not None and math.isclose(old, new, rel_tol=1e-9)):
                continue
            changes.append(FigureChange(r.sheet, r.item, r.column, old, new))
        if not changes:
            continue
        out.append(
            insert_proposal(
                conn, tables, kind=RESTATED_KIND, relationship_id=rel, period=period,
                partner=partner, file=found[0].file, submission_id=sub_id,
                previous_submission_id=found[0].previous_submission_id,
                previous_file=found[0].previous_file, publication_id=pub_id,
                changes=changes, now=now, by=by,
            )
        )  # fmt: skip
    return out


def withdraw_superseded(conn: Connection, tables: Any, *, by: str, now: dt.datetime) -> None:
    """Reject the undecided restatements of closed months proposed by later workbooks
    that were superseded since: the workbook that replaced one proposes its own."""
    rp: Table = tables["restatement_proposals"]
    st: Table = tables["submissions"]
    late = st.alias("late")
    found = conn.execute(
        select(rp.c.id, late.c.file_name)
        .join(st, st.c.id == rp.c.submission_id)
        .outerjoin(late, late.c.id == st.c.superseded_by)
        .where(rp.c.kind == RESTATED_KIND, rp.c.status == PROPOSED, st.c.status != CURRENT)
    ).all()
    for proposal_id, replaced_by in found:
        conn.execute(
            update(rp)
            .where(rp.c.id == proposal_id)
            .values(
                status=REJECTED,
                decided_at=now,
                decided_by=by,
                reason="its workbook was superseded"
                + (f" by {replaced_by}" if replaced_by else "")
                + ", which proposes its own restatements",
            )
        )


def _published_point(
    rows: list[dict[str, Any]], ids: tuple[str, ...], partner: str, period: str, item: str
) -> dict[str, Any] | None:
    """The partner's published history row of the month for ``item`` ("K01", "Help desk /
    First response"), or None."""
    who, wanted = fold_text(partner), fold_text(item)
    for r in rows:
        if fold_text(str(r.get("partner") or "")) != who or str(r.get("period")) != period:
            continue
        if fold_text(" / ".join(str(r[k]) for k in ids if r.get(k) is not None)) == wanted:
            return r
    return None


def _changes(
    conn: Connection,
    tables: Any,
    sheets: Sequence[Sheet],
    sub_id: int,
    partner: str,
    period: str,
    figures: dict[str, Any],
) -> list[FigureChange]:
    """The month's KPI and SLA figures of submission ``sub_id`` that differ from the
    partner's published ones (an item the publication lacks is new: blank -> figure)."""
    out: list[FigureChange] = []
    who = fold_text(partner)
    for sheet in sheets:
        if sheet.key not in FIGURE_SHEETS or sheet.period is None:
            continue
        history, ids = FIGURE_SHEETS[sheet.key]
        columns = [c for c in COMPARED if c in {col.key for col in sheet.columns}]
        published: dict[tuple[str, ...], dict[str, Any]] = {}
        for r in figures.get(history, []):
            if fold_text(str(r.get("partner") or "")) == who and str(r.get("period")) == period:
                published[tuple(key_text(r.get(k)) for k in ids)] = r
        rt: Table = tables[record_table_name(sheet)]
        rows = conn.execute(
            select(*(rt.c[k] for k in ids), *(rt.c[c] for c in columns))
            .where(rt.c.submission_id == sub_id, rt.c[sheet.period] == period)
            .order_by(rt.c.row_index, rt.c.record_id)
        ).all()
        seen: set[tuple[str, ...]] = set()
        for r in rows:
            key = tuple(key_text(v) for v in r[: len(ids)])
            if key in seen or all(not k for k in key):
                continue
            seen.add(key)
            item = " / ".join(str(v) for v in r[: len(ids)] if v is not None)
            before = published.get(key, {})
            for col, value in zip(columns, r[len(ids) :], strict=True):
                old, new = _num(before.get(col)), _num(value)
                if new is None and old is None:
                    continue
                if old is not None and new is not None and math.isclose(old, new, rel_tol=1e-9):
                    continue
                if new is None:
                    continue  # a blank reports nothing: it changes nothing
                out.append(FigureChange(sheet.key, item, col, old, new))
    return out


def _publication(row: Any) -> Publication:
    """A publication from its table row (figures as stored JSON, no workbook bytes)."""
    values = {k: row[k] for k in Publication.__dataclass_fields__ if k in row}
    values["figures"] = json.loads(row["figures"])
    return Publication(**values)


class Publishing(LedgerEngine):
    """Publications and proposals (part of :class:`~rmp_workbook.ledger.Ledger`)."""

    def publish(
        self,
        relationship_id: str,
        period: str,
        figures: dict[str, Any],
        fingerprint: str,
        *,
        command: str,
        by: str,
        reason: str | None = None,
        proposal_id: int | None = None,
        workbook: bytes | None = None,
        workbook_sha256: str | None = None,
        workbook_path: str | None = None,
    ) -> Publication:
        """Store the next published version of the month and return it.

        ``figures["submissions"]``, when given, lists the ids of the month's current
        submissions the figures were built from: if a merge changed them meanwhile,
        LedgerError and nothing is published.
        """
        pub, st = self.tables["publications"], self.tables["submissions"]
        now = _now()
        with self.transaction() as conn:
            if "submissions" in figures:
                current = conn.execute(
                    select(st.c.id)
                    .where(
                        st.c.relationship_id == relationship_id,
                        st.c.period == period,
                        st.c.status == CURRENT,
                    )
                    .order_by(st.c.id)
                ).scalars()
                if list(current) != list(figures["submissions"]):
                    raise LedgerError(
                        f"{self.url}: a merge recorded workbooks for {period} while it was "
                        "being published; nothing was published: run the command again"
                    )
            version = (
                conn.execute(
                    select(func.max(pub.c.version)).where(
                        pub.c.relationship_id == relationship_id, pub.c.period == period
                    )
                ).scalar()
                or 0
            ) + 1
            text = json.dumps(figures, sort_keys=True, default=str, ensure_ascii=False)
            row = {
                "relationship_id": relationship_id,
                "period": period,
                "version": version,
                "published_at": now,
                "published_by": by,
                "command": command,
                "reason": reason,
                "proposal_id": proposal_id,
                "figures": text,
                "fingerprint": fingerprint,
                "workbook": workbook,
                "workbook_sha256": workbook_sha256,
                "workbook_path": workbook_path,
            }
            new_id = conn.execute(insert(pub).returning(pub.c.id), row).scalar_one()
        return _publication({**row, "id": new_id})

    def publications(
        self, relationship_id: str, period: str | None = None, *, latest: bool = True
    ) -> list[Publication]:
        """The relationship's publications (of one month when given), oldest month first;
        with ``latest`` only each month's latest version."""
        pub = self.tables["publications"]
        q = (
            select(*(c for c in pub.c if c.name != "workbook"))
            .where(pub.c.relationship_id == relationship_id)
            .order_by(pub.c.period, pub.c.version)
        )
        if period is not None:
            q = q.where(pub.c.period == period)
        with self._read() as conn:
            rows = conn.execute(q).all()
        found = [_publication(r._mapping) for r in rows]
        if latest:
            by_period = {p.period: p for p in found}  # versions ascend: the last one wins
            found = list(by_period.values())
        return found

    def publication_workbook(self, publication_id: int) -> bytes | None:
        """The consolidated workbook stored with a publication (its bytes), if any."""
        pub = self.tables["publications"]
        with self._read() as conn:
            value = conn.execute(select(pub.c.workbook).where(pub.c.id == publication_id)).scalar()
        return None if value is None else bytes(value)

    def proposals(
        self,
        relationship_id: str | None,
        period: str | None = None,
        *,
        status: str | None = None,
        proposal_id: int | None = None,
    ) -> list[Proposal]:
        """Proposed restatements, oldest first (of one relationship, month, status or id)."""
        rp = self.tables["restatement_proposals"]
        new = self.tables["submissions"].alias("new")
        old = self.tables["submissions"].alias("old")
        q = (
            select(rp, new.c.file_name.label("file"), old.c.file_name.label("previous_file"))
            .outerjoin(new, new.c.id == rp.c.submission_id)
            .outerjoin(old, old.c.id == rp.c.previous_submission_id)
            .order_by(rp.c.id)
        )
        if relationship_id is not None:
            q = q.where(rp.c.relationship_id == relationship_id)
        if period is not None:
            q = q.where(rp.c.period == period)
        if status is not None:
            q = q.where(rp.c.status == status)
        if proposal_id is not None:
            q = q.where(rp.c.id == proposal_id)
        so = self.tables["signoffs"]
        with self._read() as conn:
            rows = conn.execute(q).all()
            files: dict[int, list[str]] = {}
            signed = [r.id for r in rows if r.kind == SIGNOFF_KIND]
            if signed:
                for pid, name in conn.execute(
                    select(so.c.proposal_id, so.c.file_name)
                    .where(so.c.proposal_id.in_(signed))
                    .order_by(so.c.id)
                ).all():
                    files.setdefault(int(pid), []).append(name)
        out = []
        for r in rows:
            values = dict(r._mapping)
            values["changes"] = [FigureChange(**c) for c in json.loads(values["changes"])]
            values["kind"] = values.get("kind") or "workbook"
            if values["kind"] == SIGNOFF_KIND:
                values["file"] = ", ".join(files.get(r.id, []))
            for drop in ("relationship_id_1",):
                values.pop(drop, None)
            out.append(Proposal(**values))
        return out

    def decide(self, proposal_id: int, *, accept: bool, by: str, reason: str | None) -> None:
        """Accept or reject a proposal in one transaction.

        Accepting makes its workbook the partner's current one for the month (the one it
        replaces is superseded); rejecting marks the workbook ``rejected``. A sign-off's
        proposal changes no submission: its agreed values count once it is accepted
        (:meth:`~rmp_workbook.ledger.signoff.SignoffStore.signoffs`). UsageError when
        there is no such proposal or it was decided already.
        """
        rp, st = self.tables["restatement_proposals"], self.tables["submissions"]
        with self.transaction() as conn:
            row = conn.execute(select(rp).where(rp.c.id == proposal_id)).first()
            if row is None:
                raise UsageError(
                    f"no proposed restatement {proposal_id} in the ledger "
                    "(`rmp restatement list` shows them)"
                )
            if row.status != PROPOSED:
                when = f"{row.decided_at:%Y-%m-%d %H:%M}" if row.decided_at else "earlier"
                raise UsageError(
                    f"proposed restatement {proposal_id} was {row.status} on {when} by "
                    f"{row.decided_by}; a decision is not changed"
                )
            now = _now()
            if row.submission_id is None or row.kind == RESTATED_KIND:
                # Agreed values of a sign-off, or figures a later month's workbook restated:
                # they count once accepted (signoffs; rmp_workbook.close._build).
                pass
            elif accept:
                current = conn.execute(
                    select(st.c.id).where(
                        st.c.relationship_id == row.relationship_id,
                        st.c.partner == row.partner,
                        st.c.period == row.period,
                        st.c.status == CURRENT,
                    )
                ).scalars()
                for old_id in list(current):
                    conn.execute(
                        update(st)
                        .where(st.c.id == old_id)
                        .values(status=SUPERSEDED, superseded_by=row.submission_id)
                    )
                conn.execute(update(st).where(st.c.id == row.submission_id).values(status=CURRENT))
            else:
                conn.execute(update(st).where(st.c.id == row.submission_id).values(status=REJECTED))
            conn.execute(
                update(rp)
                .where(rp.c.id == proposal_id)
                .values(
                    status=ACCEPTED if accept else REJECTED,
                    decided_at=now,
                    decided_by=by,
                    reason=reason,
                )
            )
