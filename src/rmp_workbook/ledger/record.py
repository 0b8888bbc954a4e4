"""Recording: writing submissions to the ledger, superseding and restatements.

:meth:`Ledger.record` writes a whole run in one transaction: duplicates (same
file content) add nothing, a newer workbook from a partner for a period
supersedes the older one (both stay), and a past period's KPI or SLA figure
that a newer workbook reports differently is recorded as a restatement.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from sqlalchemy import (
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from rmp_workbook.findings import LedgerError
from rmp_workbook.ledger.coerce import _Uncoercible
from rmp_workbook.ledger.engine import LedgerEngine, _now, _utc_naive
from rmp_workbook.ledger.publish import (
    Proposal,
    latest_publication_id,
    propose,
    propose_restated,
    withdraw_superseded,
)
from rmp_workbook.ledger.queries import _fmt
from rmp_workbook.ledger.tables import (
    _NUMERIC,
    _PERIOD,
    CURRENT,
    PROPOSED,
    SUPERSEDED,
    record_table_name,
)
from rmp_workbook.ledger.versions import current_user
from rmp_workbook.records import Submission
from rmp_workbook.schema import Sheet
from rmp_workbook.values import is_blank, is_missing, item_key, stored_key

# ---------------------------------------------------------------------------
# Results of a record run


@dataclass
class RecordedSubmission:
    """A workbook newly written to the ledger."""

    id: int
    path: str
    file: str
    relationship_id: str
    partner: str
    period: str
    sha256: str
    status: str
    """``current``, or ``superseded`` when a newer workbook for the period was already there."""
    superseded_by: int | None
    rows: int


@dataclass
class Duplicate:
    """A workbook whose content (sha256) the ledger already holds: nothing was added."""

    path: str
    sha256: str
    existing_id: int | None
    """The submission holding the same content; None when it is an earlier file of this run
    that was itself left out."""
    existing_file: str
    current: bool = True
    """False when the submission holding the same content was since replaced by a newer one."""


@dataclass
class Supersession:
    """A newer workbook from a partner for a period replaced an older one (both are kept)."""

    relationship_id: str
    partner: str
    period: str
    old_id: int
    old_file: str
    new_id: int
    new_file: str
    changes: list[str] = field(default_factory=list)
    """What the newer workbook reports differently for its period, e.g. ``K01 Actual 96.5 → 95``."""


@dataclass
class Ambiguity:
    """Two or more workbooks of one run from one partner for one period, none provably newer:
    same 'Prepared on' date (or none) and the same file time. None of them was recorded."""

    relationship_id: str
    partner: str
    period: str
    paths: list[str]


@dataclass
class Restatement:
    """A past period's figure that a newer workbook reports differently."""

    relationship_id: str
    sheet: str
    item: str
    column: str
    period: str
    partner: str
    previous: float | None
    restated: float | None
    previous_submission_id: int
    previous_file: str
    submission_id: int
    file: str
    item_key: str = ""
    """The item's key (:func:`~rmp_workbook.values.item_key`), whatever its spelling."""


@dataclass
class RecordResult:
    """What :meth:`Ledger.record` did."""

    recorded: list[RecordedSubmission] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    superseded: list[Supersession] = field(default_factory=list)
    restatements: list[Restatement] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    """Workbooks for a published (closed) month: recorded as proposed restatements."""
    rows: dict[str, int] = field(default_factory=dict)
    """Sheet key -> record rows written."""

    @property
    def changed(self) -> bool:
        return bool(self.recorded)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@dataclass
class _SubState:
    """A submission's place in the supersede and restatement bookkeeping of a run."""

    id: int
    file: str
    period: str
    received_at: dt.datetime | None
    current: bool
    prepared_on: dt.date | None = None
    """The workbook's own 'Prepared on' date (Relationship sheet), when filled in."""

    @property
    def order(self) -> tuple[str, dt.datetime, int]:
        return (self.period, self.received_at or dt.datetime.min, self.id)


def _newer(new: _SubState, old: _SubState) -> bool | None:
    """Is ``new`` newer than ``old``, two workbooks of one run for one partner and period?

    Their own 'Prepared on' dates decide when both are filled in and differ, then their
    received times (file modification times). None when those are equal: nothing tells
    which is newer. When a received time is unknown (a workbook not read from a file), the
    one recorded later wins.
    """
    if new.prepared_on and old.prepared_on and new.prepared_on != old.prepared_on:
        return new.prepared_on > old.prepared_on
    if new.received_at is not None and old.received_at is not None:
        if new.received_at != old.received_at:
            return new.received_at > old.received_at
        return None
    return new.id > old.id


def _prepared_on(sub: Submission) -> dt.date | None:
    form = sub.records.get("relationship") or []
    value = form[0].values.get("prepared_on") if form else None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


@dataclass
class _RunSubmission:
    """A submission written by this recording: what restatements and results need of it."""

    state: _SubState
    relationship_id: str
    partner: str
    history: bool
    """It holds period-sheet rows for periods before its own."""
    recorded: RecordedSubmission


class Recorder:
    """Writes submissions to the ledger one by one, all in one transaction.

    Made by :meth:`Ledger.recording`. :meth:`add` writes a submission's rows at once
    (through a buffer of a few thousand rows), so the caller may drop the submission's
    records when it returns. What it keeps between submissions is small: one entry per
    submission and partner, never a record row. When the ``with`` block ends,
    restatements are worked out from the ledger (a stream of the run's partners' rows,
    one row key at a time) before the commit. ``result`` tells what was done.
    """

    FLUSH_ROWS = 5000
    """Record and finding rows buffered before they are written."""

    PARTNERS_PER_QUERY = 500
    """Partners whose rows one restatement query reads (bound parameters stay few)."""

    def __init__(self, ledger: Recording, conn: Connection) -> None:
        self.result = RecordResult()
        self._ledger = ledger
        self._conn = conn
        self._now = _now()
        self._open = True
        self._relationships: dict[str, str | None] = {}
        """Relationship -> its name, for relationships this run has met."""
        self._partners: set[tuple[str, str]] = set()
        """(relationship, partner) the ledger already knew."""
        self._new_partners: dict[tuple[str, str], str] = {}
        """(relationship, partner) new in this run -> the earliest period it sent."""
        self._mine: dict[int, _RunSubmission] = {}
        self._ties: set[tuple[str, str, str]] = set()
        """(relationship, partner, period) where two workbooks of this run tie."""
        self._before: dict[tuple[str, str, str], int] = {}
        """(relationship, partner, period) -> the earlier run's current submission this run
        superseded (made current again if this run's workbooks for it are withdrawn)."""
        self._rows: dict[str, list[list[Any]]] = {}
        self._findings: list[dict[str, Any]] = []
        self._buffered = 0
        self._published: dict[tuple[str, str], int | None] = {}
        """(relationship, period) -> its latest publication's id (None: not closed)."""
        self._late: list[tuple[int, str, str, str, int]] = []
        """Workbooks of this run for a closed month: (id, relationship, partner, period,
        publication id); each becomes a proposed restatement when the run ends."""

    def add(self, sub: Submission) -> None:
        """Write one submission (or count it as a duplicate); LedgerError if it cannot be.

        A LedgerError leaves nothing of this submission behind: the caller may go on
        with the others or leave the block to write nothing at all.
        """
        if not self._open:
            raise LedgerError("this recording has ended: start a new one to add workbooks")
        led, conn, result = self._ledger, self._conn, self.result
        file_name = led._identify(sub)
        meta = sub.meta
        rel, partner, period = meta.relationship_id, meta.partner, meta.period
        subs_t = led.tables["submissions"]
        same = conn.execute(
            select(subs_t.c.id, subs_t.c.file_name, subs_t.c.status)
            .where(subs_t.c.relationship_id == rel, subs_t.c.sha256 == sub.sha256)
            .limit(1)
        ).first()
        if same is not None:
            result.duplicates.append(
                Duplicate(sub.path, sub.sha256, same.id, same.file_name, same.status == CURRENT)
            )
            return
        rows, history = led._coerce(sub, file_name)

        self._relationship(rel, meta.relationship_name)
        self._partner(rel, partner, period)
        if (rel, period) not in self._published:
            self._published[rel, period] = latest_publication_id(conn, led.tables, rel, period)
        # A month closed with `rmp close` takes no new workbook: it is kept as a proposal.
        closed = self._published[rel, period]
        older_row = conn.execute(
            select(subs_t.c.id, subs_t.c.file_name, subs_t.c.received_at)
            .where(
                subs_t.c.relationship_id == rel,
                subs_t.c.partner == partner,
                subs_t.c.period == period,
                subs_t.c.status == CURRENT,
            )
            .order_by(subs_t.c.id.desc())
            .limit(1)
        ).first()
        received = _utc_naive(sub.received_at)
        sub_id = conn.execute(
            insert(subs_t).returning(subs_t.c.id),
            {
                "relationship_id": rel,
                "partner": partner,
                "period": period,
                "file_name": file_name,
                "path": str(sub.path),
                "sha256": sub.sha256,
                "received_at": received,
                "recorded_at": self._now,
                "schema_version": meta.schema_version or None,
                "status": CURRENT if closed is None else PROPOSED,
                "errors": len(sub.errors),
                "warnings": len(sub.warnings),
            },
        ).scalar_one()
        state = _SubState(sub_id, file_name, period, received, closed is None, _prepared_on(sub))
        superseded_by: int | None = None
        if closed is not None:
            self._late.append((sub_id, rel, partner, period, closed))
        elif older_row is not None:
            mine = self._mine.get(older_row.id)
            older = mine.state if mine is not None else None
            # Across runs the later merge wins; within a run, the newer workbook.
            newer = True if older is None else _newer(state, older)
            if newer is None:
                self._ties.add((rel, partner, period))
                newer = True  # for now: the whole group is withdrawn when the run ends
            if older is None:
                self._before.setdefault((rel, partner, period), older_row.id)
                older = _SubState(
                    older_row.id, older_row.file_name, period, older_row.received_at, True
                )
            if newer:
                self._supersede(older.id, sub_id)
                result.superseded.append(
                    Supersession(rel, partner, period, older.id, older.file, sub_id, file_name)
                )
            else:
                # A workbook older than the one already recorded for the period.
                state.current = False
                superseded_by = older.id
                self._supersede(sub_id, older.id)
                result.superseded.append(
                    Supersession(rel, partner, period, sub_id, file_name, older.id, older.file)
                )

        written = 0
        for sheet_key, sheet_rows in rows.items():
            for row in sheet_rows:
                row[0] = sub_id
            self._rows.setdefault(sheet_key, []).extend(sheet_rows)
            result.rows[sheet_key] = result.rows.get(sheet_key, 0) + len(sheet_rows)
            written += len(sheet_rows)
        for f in sub.findings:
            self._findings.append(
                {
                    "submission_id": sub_id,
                    "sheet": f.sheet or None,
                    "cell": f.cell or None,
                    "row": f.row,
                    "column": f.column or None,
                    "code": f.code,
                    "severity": str(f.severity),
                    "message": f.message,
                    "value": None if f.value is None else str(f.value),
                }
            )
        recorded = RecordedSubmission(
            sub_id, str(sub.path), file_name, rel, partner, period, sub.sha256,
            PROPOSED if closed is not None else CURRENT if state.current else SUPERSEDED,
            superseded_by, written,
        )  # fmt: skip
        result.recorded.append(recorded)
        self._mine[sub_id] = _RunSubmission(state, rel, partner, history, recorded)
        self._buffered += written + len(sub.findings)
        if self._buffered >= self.FLUSH_ROWS:
            self._flush()

    # -- bookkeeping ----------------------------------------------------------

    def _relationship(self, rel: str, name: str) -> None:
        conn, rel_t = self._conn, self._ledger.tables["relationships"]
        if rel not in self._relationships:
            known = conn.execute(select(rel_t.c.name).where(rel_t.c.id == rel)).first()
            if known is None:
                conn.execute(insert(rel_t), {"id": rel, "name": name, "created_at": self._now})
                self._relationships[rel] = name
                return
            self._relationships[rel] = known.name
        if not self._relationships[rel] and name:
            # The first workbook left the name blank: take the first one given.
            self._relationships[rel] = name
            conn.execute(update(rel_t).where(rel_t.c.id == rel).values(name=name))

    def _partner(self, rel: str, partner: str, period: str) -> None:
        key = (rel, partner)
        if key in self._new_partners:
            self._new_partners[key] = min(self._new_partners[key], period)
            return
        if key in self._partners:
            return
        pt = self._ledger.tables["partners"]
        known = self._conn.execute(
            select(pt.c.id).where(pt.c.relationship_id == rel, pt.c.name == partner)
        ).first()
        if known is None:
            self._new_partners[key] = period
        else:
            self._partners.add(key)

    def _supersede(self, old: int, new: int) -> None:
        subs_t = self._ledger.tables["submissions"]
        self._conn.execute(
            update(subs_t).where(subs_t.c.id == old).values(status=SUPERSEDED, superseded_by=new)
        )
        mine = self._mine.get(old)
        if mine is not None:
            # A workbook of this run superseded by a later one of the same run.
            mine.state.current = False
            mine.recorded.status = SUPERSEDED
            mine.recorded.superseded_by = new

    def _flush(self) -> None:
        led, conn = self._ledger, self._conn
        for sheet in led.sheets:
            rows = self._rows.pop(sheet.key, None)
            if rows:
                led._insert_rows(conn, sheet, rows)
        if self._findings:
            conn.execute(insert(led.tables["findings"]), self._findings)
            self._findings = []
        self._buffered = 0

    def _finish(self) -> None:
        """Write what is buffered, the new partners and the restatements."""
        self._flush()
        if self._new_partners:
            self._conn.execute(
                insert(self._ledger.tables["partners"]),
                [
                    {
                        "relationship_id": r,
                        "name": p,
                        "first_period": first,
                        "created_at": self._now,
                    }
                    for (r, p), first in self._new_partners.items()
                ],
            )
        self._withdraw_ties()
        self._changes()
        self._restate()
        if self._late:
            self.result.proposals = propose(
                self._conn, self._ledger.tables, self._ledger.sheets, self._late,
                by=current_user(), now=self._now,
            )  # fmt: skip
        if self.result.superseded:  # a later workbook replaced: its proposals go
            withdraw_superseded(self._conn, self._ledger.tables, by=current_user(), now=self._now)
        if self.result.restatements:  # of a closed month's figures: proposed, not in force
            self.result.proposals += propose_restated(
                self._conn, self._ledger.tables, self.result.restatements,
                by=current_user(), now=self._now,
            )  # fmt: skip
        order = {s.key: i for i, s in enumerate(self._ledger.sheets)}
        self.result.rows = dict(sorted(self.result.rows.items(), key=lambda kv: order[kv[0]]))

    # -- resubmissions --------------------------------------------------------

    def _withdraw_ties(self) -> None:
        """Take back every workbook of this run for a partner and period where two tie.

        Nothing shows which of them is newer, so none is recorded: the earlier run's
        workbook for the period, if any, is current again.
        """
        if not self._ties:
            return
        led, conn, result = self._ledger, self._conn, self.result
        subs_t = led.tables["submissions"]
        for key in sorted(self._ties):
            rel, partner, period = key
            ids = [
                sid
                for sid, m in self._mine.items()
                if (m.relationship_id, m.partner, m.state.period) == key
            ]
            gone = set(ids)
            before = self._before.get(key)
            if before is not None:
                conn.execute(
                    update(subs_t)
                    .where(subs_t.c.id == before)
                    .values(status=CURRENT, superseded_by=None)
                )
            for sheet in led.sheets:
                table = led.tables[record_table_name(sheet)]
                conn.execute(delete(table).where(table.c.submission_id.in_(ids)))
            conn.execute(delete(led.tables["findings"]).where(
                led.tables["findings"].c.submission_id.in_(ids)
            ))  # fmt: skip
            conn.execute(update(subs_t).where(subs_t.c.id.in_(ids)).values(superseded_by=None))
            conn.execute(delete(subs_t).where(subs_t.c.id.in_(ids)))
            paths = [self._mine[sid].recorded.path for sid in ids]
            for sid in ids:
                recorded = self._mine.pop(sid).recorded
                result.recorded.remove(recorded)
            result.superseded = [
                x for x in result.superseded if x.old_id not in gone and x.new_id not in gone
            ]
            result.ambiguous.append(Ambiguity(rel, partner, period, paths))
        # Row counts of what stays.
        result.rows = {}
        for sheet in led.sheets:
            table = led.tables[record_table_name(sheet)]
            mine = list(self._mine)
            if not mine:
                break
            n = conn.execute(
                select(func.count()).select_from(table).where(table.c.submission_id.in_(mine))
            ).scalar_one()
            if n:
                result.rows[sheet.key] = n

    def _changes(self) -> None:
        """For each replacement, what the newer workbook says differently for its period."""
        led, conn = self._ledger, self._conn
        for sup in self.result.superseded:
            ids = (sup.old_id, sup.new_id)
            for sheet in led.sheets:
                if sheet.period is None:
                    continue
                table = led.tables[record_table_name(sheet)]
                compared = [
                    c for c in sheet.columns if c.type in _NUMERIC and c.key not in sheet.keys
                ]
                keys = [k for k in sheet.keys if k != sheet.period]
                rows = conn.execute(
                    select(
                        table.c.submission_id,
                        table.c.row_key,
                        *(table.c[k] for k in keys),
                        *(table.c[c.key] for c in compared),
                    )
                    .where(table.c.submission_id.in_(ids), table.c[sheet.period] == sup.period)
                    .order_by(table.c.row_index)
                ).all()
                # Rows are matched by their stored key (K01 and k01 are one row); a row
                # without a whole key by its key cells as they are.
                seen: dict[int, dict[Any, tuple[Any, ...]]] = {i: {} for i in ids}
                spelt: dict[int, dict[Any, str]] = {i: {} for i in ids}
                order: dict[Any, None] = {}
                for r in rows:
                    raw = tuple(r[2 : 2 + len(keys)])
                    item = r[1] if r[1] is not None else raw
                    seen[r[0]].setdefault(item, tuple(r[2 + len(keys) :]))
                    spelt[r[0]].setdefault(item, " / ".join(str(v) for v in raw))
                    order.setdefault(item)
                for item in order:
                    old = seen[sup.old_id].get(item)
                    new = seen[sup.new_id].get(item)
                    # Named as the newer workbook spells it.
                    name = spelt[sup.new_id].get(item) or spelt[sup.old_id][item]
                    if old is None or new is None:
                        what = "added" if old is None else "removed"
                        sup.changes.append(f"{sheet.name} {name} {what}")
                        continue
                    for col, a, b in zip(compared, old, new, strict=True):
                        if not _same(a, b):
                            sup.changes.append(f"{name} {col.header} {_fmt(a)} → {_fmt(b)}")

    # -- restatements ---------------------------------------------------------

    def _restate(self) -> None:
        """Restatements of this run's current submissions, measured against the ledger.

        A figure a submission gives for an earlier period is compared with the same
        figure in the latest earlier current submission of the same partner holding
        that row. Worked out once every submission is in, so the order they were added
        in does not matter. The partners' rows are read as a stream ordered by partner
        and row key, so no more than one key's rows are held at a time.
        """
        targets: dict[str, dict[str, dict[int, _RunSubmission]]] = {}
        for mine in self._mine.values():
            if mine.state.current and mine.history:
                of_rel = targets.setdefault(mine.relationship_id, {})
                of_rel.setdefault(mine.partner, {})[mine.state.id] = mine
        found: list[tuple[tuple[Any, ...], dict[str, Any], Restatement]] = []
        period_sheets = [s for s in self._ledger.sheets if s.period]
        for rel, of_rel in sorted(targets.items()):
            partners = sorted(of_rel)
            for start in range(0, len(partners), self.PARTNERS_PER_QUERY):
                chunk = partners[start : start + self.PARTNERS_PER_QUERY]
                mine_of = {sid: m for p in chunk for sid, m in of_rel[p].items()}
                for index, sheet in enumerate(period_sheets):
                    found += self._restate_sheet(index, sheet, rel, chunk, mine_of)
        found.sort(key=lambda f: f[0])
        if found:
            self._conn.execute(
                insert(self._ledger.tables["restatements"]), [row for _, row, _ in found]
            )
        self.result.restatements = [r for _, _, r in found]

    def _restate_sheet(
        self,
        index: int,
        sheet: Sheet,
        rel: str,
        partners: list[str],
        mine_of: dict[int, _RunSubmission],
    ) -> list[tuple[tuple[Any, ...], dict[str, Any], Restatement]]:
        assert sheet.period is not None
        led = self._ledger
        rt, st = led.tables[record_table_name(sheet)], led.tables["submissions"]
        compared = [c.key for c in sheet.columns if c.type in _NUMERIC and c.key not in sheet.keys]
        latest = max(m.state.period for m in mine_of.values())
        names = [k for k in sheet.keys if k != sheet.period]
        nnames = len(names)
        q = (
            select(
                st.c.id.label("s_id"),
                st.c.period.label("s_period"),
                st.c.file_name.label("s_file"),
                rt.c.row_index.label("r_index"),
                rt.c[sheet.period].label("r_period"),
                st.c.partner.label("s_partner"),
                rt.c.row_key.label("r_key"),
                *(rt.c[k].label(f"k{i}") for i, k in enumerate(names)),
                *(rt.c[c].label(f"v{i}") for i, c in enumerate(compared)),
            )
            .join(st, st.c.id == rt.c.submission_id)
            .where(
                st.c.relationship_id == rel,
                st.c.partner.in_(partners),
                st.c.status == CURRENT,
                st.c.period <= latest,
                # A row without a whole key cannot be followed from month to month.
                rt.c.row_key.is_not(None),
            )
            # Each partner's rows of a key together (the stored key: K01 and k01 are one
            # row), oldest submission first (_SubState.order).
            .order_by(
                st.c.partner,
                rt.c.row_key,
                st.c.period,
                st.c.received_at.nulls_first(),
                st.c.id,
                rt.c.record_id,
            )
            .execution_options(stream_results=True, yield_per=2000)
        )
        if sheet.period in sheet.keys:
            # Rows of the latest period of this run restate nothing.
            q = q.where(rt.c[sheet.period] < latest)
        out: list[tuple[tuple[Any, ...], dict[str, Any], Restatement]] = []
        group: tuple[Any, ...] | None = None
        # First row of the submission being read, and of the one before it, for this key.
        this: tuple[int, str, tuple[Any, ...]] | None = None
        before: tuple[int, str, tuple[Any, ...]] | None = None
        for r in self._conn.execute(q):
            sid, speriod, sfile, row_index, row_period = r[0], r[1], r[2], r[3], r[4]
            partner, key = r[5], r[6]
            values = tuple(r[7 + nnames :])
            if (partner, key) != group:
                group, this, before = (partner, key), None, None
            if this is None or this[0] != sid:
                before, this = this, (sid, sfile, values)
            mine = mine_of.get(sid)
            if mine is None or before is None or row_period is None or row_period >= speriod:
                continue
            # The item as the newer workbook spells it; item_key whatever the spelling.
            item = " / ".join(str(v) for v in r[7 : 7 + nnames])
            period = row_period if sheet.period in sheet.keys else ""
            prev_id, prev_file, prev_values = before
            for ci, (col, new, old) in enumerate(zip(compared, values, prev_values, strict=True)):
                # A blank in the newer workbook reports nothing: it restates nothing.
                if new is None or _same(old, new):
                    continue
                row = {
                    "relationship_id": rel,
                    "sheet": sheet.key,
                    "item": item,
                    "item_key": item_key(sheet, key),
                    "column": col,
                    "period": period,
                    "partner": partner,
                    "previous_value": old,
                    "restated_value": new,
                    "previous_submission_id": prev_id,
                    "submission_id": sid,
                    "recorded_at": self._now,
                }
                restatement = Restatement(
                    rel, sheet.key, item, col, period, partner, old, new,
                    prev_id, prev_file, sid, sfile, row["item_key"],
                )  # fmt: skip
                out.append(((speriod, rel, partner, index, row_index, ci), row, restatement))
        return out


_TypedPlan = tuple[Callable[[Mapping[str, Any]], tuple[Any, ...]], "_TypeSignatures", list[int]]


class _TypeSignatures(dict[tuple[type, ...], bool]):
    """Whether a row's value types (a tuple) are each None or its column's exact type
    (bool is not int, datetime is not date): worked out once per distinct tuple."""

    def __init__(self, exact: list[type]) -> None:
        super().__init__()
        self.exact = exact

    def __missing__(self, types: tuple[type, ...]) -> bool:
        ok = self[types] = len(types) == len(self.exact) and all(
            t is e or t is type(None) for t, e in zip(types, self.exact, strict=False)
        )
        return ok


_TYPED_PLANS: dict[int, tuple[list[Any], _TypedPlan]] = {}


def _typed_plan(columns: list[Any]) -> _TypedPlan:
    """For a sheet's ``(key, exact type, coercer, type)`` columns: a getter of the row's
    values in column order, the accepted type signatures, and the float columns' positions."""
    hit = _TYPED_PLANS.get(id(columns))
    if hit is None or hit[0] is not columns:
        keys = [c[0] for c in columns]
        get = operator.itemgetter(*keys)
        take = get if len(keys) > 1 else (lambda values: (get(values),))
        exact = [c[1] for c in columns]
        floats = [i for i, e in enumerate(exact) if e is float]
        hit = (columns, (take, _TypeSignatures(exact), floats))
        _TYPED_PLANS[id(columns)] = hit
    return hit[1]


class Recording(LedgerEngine):
    """The ledger's recording methods (part of :class:`~rmp_workbook.ledger.Ledger`)."""

    # -- recording --------------------------------------------------------

    def _identify(self, sub: Submission) -> str:
        """The submission's file name, once its relationship, partner, sha256 and period hold."""
        meta = sub.meta
        name = PurePath(sub.path).name or sub.path
        for label, given in (
            ("relationship ID", meta.relationship_id),
            ("partner", meta.partner),
            ("sha256", sub.sha256),
        ):
            if not given or not str(given).strip():
                raise LedgerError(f"{name}: cannot record a workbook without its {label}")
        if not _PERIOD.match(meta.period or ""):
            raise LedgerError(f"{name}: cannot record a workbook whose period is {meta.period!r}")
        return name

    def _coerce(self, sub: Submission, name: str) -> tuple[dict[str, list[list[Any]]], bool]:
        """The submission's record rows in the ledger's column types, and whether a period
        sheet holds a row for a period before the submission's own (a possible restatement).

        A row is ``[submission_id (None until known), row_index, row_key, *columns in schema
        order]``, its key as :func:`~rmp_workbook.values.stored_key` makes it. Values the
        validator already typed are taken as they are; only others are coerced.
        """
        period = sub.meta.period
        history = False
        out: dict[str, list[list[Any]]] = {}
        for sheet_key, records in sub.records.items():
            columns = self._columns.get(sheet_key)
            if columns is None:
                raise LedgerError(f"{name}: the ledger has no sheet {sheet_key!r}")
            sheet = self._sheet[sheet_key]
            keyed = bool(sheet.keys)
            period_at = self._row_period_at.get(sheet_key)
            take, typed_as, floats = _typed_plan(columns)
            rows: list[list[Any]] = []
            for rec in records:
                values = rec.values
                key = rec.key
                if key is None and keyed:
                    key = stored_key(sheet, values)
                # The validator's rows: every value None or of its column's exact type, no
                # blank text nor NaN. Checked for the whole row at once, then taken as is.
                try:
                    cells = take(values)
                except KeyError:
                    cells = None
                if (
                    cells is not None
                    and typed_as[tuple(map(type, cells))]
                    and "" not in cells
                    and not any(cells[i] != cells[i] for i in floats if cells[i] is not None)
                ):
                    row: list[Any] = [None, rec.row, key, *cells]
                else:
                    row = [None, rec.row, key, *self._coerced(name, sheet_key, rec, columns)]
                if period_at is not None and not history:
                    row_period = row[period_at]
                    history = row_period is not None and row_period < period
                rows.append(row)
            if rows:
                out[sheet_key] = rows
        return out, history

    @staticmethod
    def _coerced(name: str, sheet_key: str, rec: Any, columns: list[Any]) -> list[Any]:
        """A record's values coerced one by one to their columns' types."""
        values = rec.values
        row: list[Any] = []
        for key, exact, coerce, col_type in columns:
            value = values.get(key)
            if value is None:
                row.append(None)
                continue
            kind = type(value)
            if kind is exact:
                # Exact type: bool is not taken for int, nor datetime for date.
                blank = (kind is float and value != value) or (kind is str and not value)
                row.append(None if blank else value)
            elif is_missing(value) or is_blank(value):
                row.append(None)
            else:
                try:
                    row.append(coerce(value))
                except _Uncoercible:
                    raise LedgerError(
                        f"{name}: sheet {sheet_key}, row {rec.row + 1}, column {key}: "
                        f"{value!r} is not a {col_type.value}"
                    ) from None
        return row

    def _insert_rows(self, conn: Connection, sheet: Sheet, rows: list[list[Any]]) -> None:
        """Record rows (as :meth:`_coerce` makes them) in one executemany statement.

        Straight to the driver: the values are already the column types, and the
        per-row parameter handling of a Core insert costs more than the database.
        """
        sql, processors = self._row_inserts.get(sheet.key, (None, None))
        if sql is None or processors is None:
            table = self.tables[record_table_name(sheet)]
            cols = [table.c[k] for k in ("submission_id", "row_index", "row_key")]
            cols += [table.c[c.key] for c in sheet.columns]
            prep = conn.dialect.identifier_preparer
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            sql = (
                f"INSERT INTO {prep.format_table(table)} "
                f"({', '.join(prep.format_column(c) for c in cols)}) "
                f"VALUES ({', '.join([mark] * len(cols))})"
            )
            processors = []
            for i, c in enumerate(cols):
                bind = c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
                if bind is not None:
                    processors.append((i, bind))
            self._row_inserts[sheet.key] = (sql, processors)
        for i, process in processors:
            for row in rows:
                if row[i] is not None:
                    row[i] = process(row[i])
        conn.exec_driver_sql(sql, [tuple(r) for r in rows])

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        """A :class:`Recorder` whose submissions are written in one transaction.

        ``with ledger.recording() as rec: rec.add(sub)`` writes each submission as it is
        added; restatements are worked out when the block ends, then all is committed.
        If the block raises, nothing of it is written. ``rec.result`` tells what was done.
        """
        with self.transaction() as conn:
            rec = Recorder(self, conn)
            try:
                yield rec
                rec._finish()
            finally:
                rec._open = False

    def record(self, submissions: Sequence[Submission]) -> RecordResult:
        """Write the submissions in one transaction; on any failure nothing is written.

        Submissions are taken in period order (then the order given). A workbook whose
        content the ledger holds is a duplicate and adds nothing.
        """
        for sub in submissions:
            self._identify(sub)  # refuse an unidentified workbook before writing anything
        if not submissions:
            return RecordResult()
        with self.recording() as rec:
            for sub in sorted(submissions, key=lambda s: s.meta.period):  # stable
                rec.add(sub)
        return rec.result
