"""Joint sign-off in the ledger (part of :class:`~rmp_workbook.ledger.Ledger`).

Each returned sign-off workbook is one row of ``signoffs`` (who, which month, the
approval) with its agreed values in ``signoff_agreements``. A partner's latest workbook
for a month is the one that counts; an earlier one stays, as superseded submissions do.
The same file recorded twice adds nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from rmp_workbook.agreed import column_of, value_from_text, value_text
from rmp_workbook.ledger.engine import LedgerEngine, _now
from rmp_workbook.records import StoredAgreement, StoredSignoff

if TYPE_CHECKING:
    from rmp_workbook.signoff import SignoffReturn


class SignoffStore(LedgerEngine):
    """Recording and reading sign-offs."""

    def record_signoff(self, ret: SignoffReturn, *, recorded_by: str) -> bool:
        """Store a checked sign-off workbook and its agreed values in one transaction.

        Returns False when the same file (by content) is recorded for the relationship
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
                return False
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
        return True

    def signoffs(self, relationship_id: str, period: str | None = None) -> list[StoredSignoff]:
        """Each partner's latest sign-off of each month (of ``period`` only, when given)."""
        t = self.tables["signoffs"]
        q = select(t).where(t.c.relationship_id == relationship_id).order_by(t.c.id)
        if period is not None:
            q = q.where(t.c.period == period)
        with self._read() as conn:
            rows = conn.execute(q).all()
        latest: dict[tuple[str, str], StoredSignoff] = {}
        for r in rows:
            latest[(r.period, r.partner)] = StoredSignoff(
                id=r.id,
                period=r.period,
                partner=r.partner,
                file=r.file_name,
                approved=None if r.approved is None else r.approved == "Yes",
                approved_by=r.approved_by,
                approved_on=r.approved_on,
                recorded_at=r.recorded_at,
            )
        return list(latest.values())

    def signoff_agreements(
        self, relationship_id: str, upto_period: str | None = None
    ) -> tuple[list[StoredSignoff], list[StoredAgreement]]:
        """The counting sign-offs up to ``upto_period`` and the agreed values they hold."""
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
                )
            )
        return counting, out
