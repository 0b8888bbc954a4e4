"""Joint sign-off in the ledger (part of :class:`~rmp_workbook.ledger.Ledger`).

Each returned sign-off workbook is one row of ``signoffs`` (who, which month, the
approval) with its agreed values in ``signoff_agreements``. A partner's latest workbook
for a month is the one that counts; an earlier one stays, as superseded submissions do.
The same file recorded twice adds nothing.

A sign-off recorded after its month was closed (``rmp close``) is ``checking`` until it
is compared with the published figures (:func:`rmp_workbook.close.propose_signoff`):
``equal`` when its agreed values change none of them (it counts), else it becomes a
proposed restatement and its agreed values count only once that is accepted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from rmp_workbook.agreed import column_of, value_from_text, value_text
from rmp_workbook.ledger.engine import LedgerEngine, _now
from rmp_workbook.ledger.publish import (
    ACCEPTED,
    SIGNOFF_KIND,
    FigureChange,
    Proposal,
    insert_proposal,
    latest_publication_id,
)
from rmp_workbook.ledger.tables import PROPOSED
from rmp_workbook.records import SignoffRestatement, StoredAgreement, StoredSignoff

if TYPE_CHECKING:
    from rmp_workbook.signoff import SignoffReturn

CHECKING, EQUAL = "checking", "equal"
"""``signoffs.after_close``: recorded after the close, not yet compared; compared, and
its agreed values change no published figure. (``proposed``: a restatement decides.)"""


class SignoffStore(LedgerEngine):
    """Recording and reading sign-offs."""

    _signoff_trial: frozenset[int] = frozenset()

    @contextmanager
    def signoff_trial(self, ids: Iterable[int]) -> Iterator[None]:
        """Within the block, sign-offs ``ids`` count in the views as if in force: the
        month as it would be if their agreed values were published."""
        before = self._signoff_trial
        self._signoff_trial = before | frozenset(ids)
        try:
            yield
        finally:
            self._signoff_trial = before

    def record_signoff(self, ret: SignoffReturn, *, recorded_by: str) -> int | None:
        """Store a checked sign-off workbook and its agreed values in one transaction;
        return its id. A sign-off for a closed month is stored ``checking``: it counts
        nowhere until compared with the published figures.

        Returns None when the same file (by content) is recorded for the relationship
        already: nothing is added then.
        """
        signoffs = self.tables["signoffs"]
        agreements = self.tables["signoff_agreements"]
        with self.transaction() as conn:
            seen = conn.execute(
                select(signoffs.c.id).where(
                    signoffs.c.relationship_id == ret.relationship_id,
                    signoffs.c.sha256 == ret.sha256,
                )
            ).first()
            if seen is not None:
                return None
            closed = latest_publication_id(conn, self.tables, ret.relationship_id, ret.period)
            new_id = conn.execute(
                insert(signoffs).values(
                    relationship_id=ret.relationship_id,
                    period=ret.period,
                    partner=ret.partner,
                    file_name=ret.path.replace("\\", "/").rsplit("/", 1)[-1],
                    sha256=ret.sha256,
                    approved=None if ret.approved is None else ("Yes" if ret.approved else "No"),
                    approved_by=ret.approved_by,
                    approved_on=ret.approved_on,
                    recorded_at=_now(),
                    recorded_by=recorded_by,
                    after_close=None if closed is None else CHECKING,
                )
            ).inserted_primary_key
            assert new_id is not None
            new_id = new_id[0]
            if ret.agreements:
                conn.execute(
                    insert(agreements),
                    [
                        {
                            "signoff_id": new_id,
                            "sheet": a.ref.sheet,
                            "item": a.ref.item,
                            "column": a.ref.column,
                            "item_keys": json.dumps(a.ref.keys, ensure_ascii=False),
                            "figures": json.dumps(a.ref.figures, ensure_ascii=False),
                            "agreed_value": value_text(a.value),
                            "reason": a.reason,
                        }
                        for a in ret.agreements
                    ],
                )
        return int(new_id)

    def unchecked_signoffs(self, relationship_id: str, period: str) -> list[int]:
        """Ids of the month's sign-offs recorded after its close and not compared yet."""
        t = self.tables["signoffs"]
        with self._read() as conn:
            found = conn.execute(
                select(t.c.id)
                .where(
                    t.c.relationship_id == relationship_id,
                    t.c.period == period,
                    t.c.after_close == CHECKING,
                )
                .order_by(t.c.id)
            ).scalars()
            return [int(i) for i in found]

    def settle_signoffs(
        self,
        relationship_id: str,
        period: str,
        ids: Sequence[int],
        changes: Sequence[FigureChange],
        *,
        differ: bool,
        by: str,
    ) -> Proposal | None:
        """Conclude the comparison of sign-offs ``ids`` (all ``checking``) with the month's
        published figures, in one transaction: when they do not ``differ`` they are
        ``equal`` and count; else they become one proposed restatement (returned) of
        ``changes``, and count once it is accepted. Sign-offs another run concluded
        meanwhile are left alone."""
        so = self.tables["signoffs"]
        now = _now()
        with self.transaction() as conn:
            rows = conn.execute(
                select(so.c.id, so.c.partner, so.c.file_name)
                .where(so.c.id.in_(list(ids)), so.c.after_close == CHECKING)
                .order_by(so.c.id)
            ).all()
            if not rows:
                return None
            mine = [r.id for r in rows]
            if not differ:
                conn.execute(update(so).where(so.c.id.in_(mine)).values(after_close=EQUAL))
                return None
            pub_id = latest_publication_id(conn, self.tables, relationship_id, period)
            if pub_id is None:  # not closed after all: nothing to restate
                conn.execute(update(so).where(so.c.id.in_(mine)).values(after_close=None))
                return None
            proposal = insert_proposal(
                conn, self.tables, kind=SIGNOFF_KIND, relationship_id=relationship_id,
                period=period, partner=", ".join(dict.fromkeys(r.partner for r in rows)),
                file=", ".join(r.file_name for r in rows), submission_id=None,
                previous_submission_id=None, previous_file=None, publication_id=pub_id,
                changes=list(changes), now=now, by=by,
            )  # fmt: skip
            conn.execute(
                update(so)
                .where(so.c.id.in_(mine))
                .values(after_close=PROPOSED, proposal_id=proposal.id)
            )
        return proposal

    def signoffs(self, relationship_id: str, period: str | None = None) -> list[StoredSignoff]:
        """Each partner's latest sign-off of each month (of ``period`` only, when given)."""
        t, rp = self.tables["signoffs"], self.tables["restatement_proposals"]
        q = (
            select(
                t,
                rp.c.status.label("rp_status"),
                rp.c.changes.label("rp_changes"),
                rp.c.decided_at.label("rp_decided_at"),
                rp.c.decided_by.label("rp_decided_by"),
                rp.c.reason.label("rp_reason"),
            )
            .outerjoin(rp, rp.c.id == t.c.proposal_id)
            .where(t.c.relationship_id == relationship_id)
            .order_by(t.c.id)
        )
        if period is not None:
            q = q.where(t.c.period == period)
        with self._read() as conn:
            rows = conn.execute(q).all()
        latest: dict[tuple[str, str], StoredSignoff] = {}
        for r in rows:
            restatement = _restatement(r) if r.proposal_id is not None else None
            latest[(r.period, r.partner)] = StoredSignoff(
                id=r.id,
                period=r.period,
                partner=r.partner,
                file=r.file_name,
                approved=None if r.approved is None else r.approved == "Yes",
                approved_by=r.approved_by,
                approved_on=r.approved_on,
                recorded_at=r.recorded_at,
                after_close=r.after_close,
                restatement=restatement,
                counts=r.id in self._signoff_trial
                or r.after_close in (None, EQUAL)
                or (restatement is not None and restatement.status == ACCEPTED),
            )
        return list(latest.values())

    def signoff_agreements(
        self, relationship_id: str, upto_period: str | None = None
    ) -> tuple[list[StoredSignoff], list[StoredAgreement]]:
        """The counting sign-offs up to ``upto_period`` and the agreed values they hold
        (each says whether it :attr:`~StoredAgreement.counts` in the views)."""
        counting = [
            s
            for s in self.signoffs(relationship_id)
            if upto_period is None or s.period <= upto_period
        ]
        if not counting:
            return [], []
        by_id = {s.id: s for s in counting}
        t = self.tables["signoff_agreements"]
        with self._read() as conn:
            rows = conn.execute(
                select(t).where(t.c.signoff_id.in_(list(by_id))).order_by(t.c.id)
            ).all()
        out = []
        for r in rows:
            s = by_id[r.signoff_id]
            out.append(
                StoredAgreement(
                    period=s.period,
                    partner=s.partner,
                    sheet=r.sheet,
                    item=r.item,
                    column=r.column,
                    keys=json.loads(r.item_keys),
                    figures=json.loads(r.figures),
                    value=value_from_text(column_of(r.sheet, r.column), r.agreed_value),
                    reason=r.reason,
                    day=s.day,
                    counts=s.counts,
                )
            )
        return counting, out


def _restatement(row: Any) -> SignoffRestatement:
    changes = [FigureChange(**c) for c in json.loads(row.rp_changes or "[]")]
    shown = ", ".join(c.text() for c in changes[:3]) + (", …" if len(changes) > 3 else "")
    decided = row.rp_decided_at
    return SignoffRestatement(
        id=int(row.proposal_id),
        status=str(row.rp_status),
        changes=shown or "the published figures",
        decided_at=decided if isinstance(decided, dt.datetime) else None,
        decided_by=row.rp_decided_by,
        reason=row.rp_reason,
    )
