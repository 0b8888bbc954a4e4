"""The ledger: every submission, record, restatement and finding, kept for good.

SQLAlchemy Core tables on SQLite (a file path) or PostgreSQL (a URL). The record
tables are derived from :data:`rmp_workbook.schema.SHEETS` (one table per sheet,
one typed column per schema column), so a column added to the schema is added
to an existing ledger by a forward migration when the ledger is next opened.

:meth:`Ledger.record` writes a whole run in one transaction: duplicates (same
file content) add nothing, a newer workbook from a partner for a period
supersedes the older one (both stay), and a past period's KPI or SLA figure
that a newer workbook reports differently is recorded as a restatement.
The query methods hand pandas frames to reconciliation, history and the
template's pre-fill. See ``docs/ledger.md``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError

from rmp_workbook.findings import LedgerBusy, LedgerError
from rmp_workbook.model import PROVENANCE_COLUMNS, Submission
from rmp_workbook.schema import SHEETS, ColType, Sheet

if TYPE_CHECKING:
    import pandas as pd

    from rmp_workbook.reconcile import SourceSubmission

__all__ = [
    "LEDGER_VERSION",
    "Duplicate",
    "HistoryReport",
    "Ledger",
    "LedgerSource",
    "RecordResult",
    "RecordedSubmission",
    "Recorder",
    "Restatement",
    "Supersession",
    "build_metadata",
    "kpi_history",
    "record_table_name",
]

LEDGER_VERSION = 1
"""The ledger's own table layout version (not the workbook's schema version)."""

RECORD_PREFIX = "rec_"
"""Record tables are named ``rec_<sheet key>``, e.g. ``rec_kpis``."""

_RECORD_SYSTEM_COLUMNS = ("record_id", "submission_id", "row_index")

CURRENT = "current"
SUPERSEDED = "superseded"

DEFAULT_BUSY_TIMEOUT = 30.0
"""Seconds a run waits for another run's write lock before failing with LedgerBusy."""

BUSY_TIMEOUT_ENV = "RMP_LEDGER_WAIT"
"""Environment variable that sets the wait (seconds) when a caller gives none."""

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

_SQL_TYPES: dict[ColType, Any] = {
    ColType.TEXT: Text,
    ColType.LONG_TEXT: Text,
    ColType.INTEGER: Integer,
    ColType.NUMBER: Float,
    ColType.PERCENT: Float,
    ColType.DATE: Date,
    ColType.PERIOD: Text,
    ColType.EMAIL: Text,
    ColType.PHONE: Text,
    ColType.CHOICE: Text,
    ColType.SCORE: Integer,
    ColType.FORMULA: Float,
}

_NUMERIC = (ColType.INTEGER, ColType.NUMBER, ColType.PERCENT, ColType.SCORE, ColType.FORMULA)


def record_table_name(sheet: Sheet) -> str:
    return f"{RECORD_PREFIX}{sheet.key}"


def build_metadata(sheets: Sequence[Sheet] = SHEETS) -> MetaData:
    """The ledger's tables; one record table per sheet, derived from the schema."""
    md = MetaData()
    Table(
        "schema_version",
        md,
        Column("id", Integer, primary_key=True),
        Column("version", Integer, nullable=False),
        Column("applied_at", DateTime, nullable=False),
        Column("note", Text, nullable=False),
    )
    Table(
        "relationships",
        md,
        Column("id", Text, primary_key=True),
        Column("name", Text),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "partners",
        md,
        Column("id", Integer, primary_key=True),
        Column("relationship_id", Text, ForeignKey("relationships.id"), nullable=False),
        Column("name", Text, nullable=False),
        Column("first_period", Text),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("relationship_id", "name", name="uq_partner"),
    )
    Table(
        "submissions",
        md,
        Column("id", Integer, primary_key=True),
        Column("relationship_id", Text, ForeignKey("relationships.id"), nullable=False),
        Column("partner", Text, nullable=False),
        Column("period", Text, nullable=False),
        Column("file_name", Text, nullable=False),
        Column("path", Text, nullable=False),
        Column("sha256", Text, nullable=False),
        Column("received_at", DateTime),
        Column("recorded_at", DateTime, nullable=False),
        Column("schema_version", Text),
        Column("status", Text, nullable=False),
        Column("superseded_by", Integer, ForeignKey("submissions.id")),
        Column("errors", Integer, nullable=False, default=0),
        Column("warnings", Integer, nullable=False, default=0),
        UniqueConstraint("relationship_id", "sha256", name="uq_submission_content"),
        Index("ix_submission_partner_period", "relationship_id", "partner", "period"),
    )
    for sheet in sheets:
        clash = set(_RECORD_SYSTEM_COLUMNS) & {c.key for c in sheet.columns}
        if clash:
            raise ValueError(f"sheet {sheet.key} uses reserved ledger column(s) {sorted(clash)}")
        Table(
            record_table_name(sheet),
            md,
            Column("record_id", Integer, primary_key=True),
            Column(
                "submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True
            ),
            Column("row_index", Integer, nullable=False),
            *(Column(c.key, _SQL_TYPES[c.type]) for c in sheet.columns),
        )
    Table(
        "restatements",
        md,
        Column("id", Integer, primary_key=True),
        Column("relationship_id", Text, ForeignKey("relationships.id"), nullable=False),
        Column("sheet", Text, nullable=False),
        Column("item", Text, nullable=False),
        Column("column", Text, nullable=False),
        Column("period", Text, nullable=False),
        Column("partner", Text, nullable=False),
        Column("previous_value", Float),
        Column("restated_value", Float),
        Column("previous_submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
        Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
        Column("recorded_at", DateTime, nullable=False),
        Index("ix_restatement_item", "relationship_id", "sheet", "item"),
    )
    Table(
        "findings",
        md,
        Column("id", Integer, primary_key=True),
        Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True),
        Column("sheet", Text),
        Column("cell", Text),
        Column("row", Integer),
        Column("column", Text),
        Column("code", Text, nullable=False),
        Column("severity", Text, nullable=False),
        Column("message", Text, nullable=False),
        Column("value", Text),
    )
    return md


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


@dataclass
class RecordResult:
    """What :meth:`Ledger.record` did."""

    recorded: list[RecordedSubmission] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    superseded: list[Supersession] = field(default_factory=list)
    restatements: list[Restatement] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    """Sheet key -> record rows written."""

    @property
    def changed(self) -> bool:
        return bool(self.recorded)


# ---------------------------------------------------------------------------
# Value coercion: the ledger stores what the schema says, or refuses the run.


class _Uncoercible(Exception):
    pass


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise _Uncoercible
    if isinstance(v, (int, float)):
        f = float(v)
        if math.isnan(f):
            raise _Uncoercible
        return f
    if isinstance(v, str):
        try:
            f = float(v.strip().replace(",", ""))
        except ValueError:
            raise _Uncoercible from None
        if math.isnan(f):
            raise _Uncoercible
        return f
    raise _Uncoercible


def _to_int(v: Any) -> int:
    f = _to_float(v)
    if not f.is_integer():
        raise _Uncoercible
    return int(f)


def _to_date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            raise _Uncoercible from None
    raise _Uncoercible


def _to_text(v: Any) -> str:
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _coercer(col_type: ColType) -> Callable[[Any], Any]:
    if col_type in (ColType.INTEGER, ColType.SCORE):
        return _to_int
    if col_type in (ColType.NUMBER, ColType.PERCENT, ColType.FORMULA):
        return _to_float
    if col_type is ColType.DATE:
        return _to_date
    return _to_text


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v)


def _utc_naive(value: dt.datetime | None) -> dt.datetime | None:
    """Times are stored without zone, in UTC when the zone is known."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# ---------------------------------------------------------------------------


def _engine_url(url_or_path: str | os.PathLike[str]) -> tuple[URL, Path | None]:
    """A database URL, and the SQLite file when the ledger is one."""
    raw = os.fspath(url_or_path)
    if "://" not in raw:
        path = Path(raw).expanduser().resolve()
        return URL.create("sqlite+pysqlite", database=str(path)), path
    try:
        url = make_url(raw)
    except ArgumentError:
        raise LedgerError(f"{raw}: not a database URL") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise LedgerError("an in-memory SQLite ledger would be lost: give a file path")
        return url, Path(url.database).expanduser().resolve()
    if url.get_backend_name() != "postgresql":
        raise LedgerError(f"{raw}: the ledger is a SQLite file path or a postgresql:// URL")
    return url, None


def _busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    msg = str(orig).lower()
    return "database is locked" in msg or "database is busy" in msg


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


def _wal(cur: Any, wait: float) -> None:
    """Put a SQLite ledger in WAL mode (once: it stays so), waiting like a writer would.

    Two runs creating one ledger at the same moment both switch it; the switch needs
    the database to themselves, and SQLite may answer "locked" at once instead of waiting.
    """
    import sqlite3

    end = time.monotonic() + wait
    while True:
        try:
            mode = cur.execute("PRAGMA journal_mode").fetchone()
            if mode and str(mode[0]).lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > end:
                raise
            time.sleep(0.01)


def _busy_timeout(given: float | None) -> float:
    if given is not None:
        return float(given)
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        raise LedgerError(
            f"{BUSY_TIMEOUT_ENV}={raw!r} is not a number of seconds, e.g. 30"
        ) from None
    if not 0 <= seconds <= 86400:
        raise LedgerError(f"{BUSY_TIMEOUT_ENV}={raw!r} must be between 0 and 86400 seconds")
    return seconds


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

    def __init__(self, ledger: Ledger, conn: Connection) -> None:
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
                "status": CURRENT,
                "errors": len(sub.errors),
                "warnings": len(sub.warnings),
            },
        ).scalar_one()
        state = _SubState(sub_id, file_name, period, received, True, _prepared_on(sub))
        superseded_by: int | None = None
        if older_row is not None:
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
            CURRENT if state.current else SUPERSEDED, superseded_by, written,
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
                        *(table.c[k] for k in keys),
                        *(table.c[c.key] for c in compared),
                    )
                    .where(table.c.submission_id.in_(ids), table.c[sheet.period] == sup.period)
                    .order_by(table.c.row_index)
                ).all()
                seen: dict[int, dict[tuple[Any, ...], tuple[Any, ...]]] = {i: {} for i in ids}
                order: list[tuple[Any, ...]] = []
                for r in rows:
                    item = tuple(r[1 : 1 + len(keys)])
                    seen[r[0]].setdefault(item, tuple(r[1 + len(keys) :]))
                    if item not in order:
                        order.append(item)
                for item in order:
                    old = seen[sup.old_id].get(item)
                    new = seen[sup.new_id].get(item)
                    name = " / ".join(str(v) for v in item)
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
        nkeys = len(sheet.keys)
        q = (
            select(
                st.c.id.label("s_id"),
                st.c.period.label("s_period"),
                st.c.file_name.label("s_file"),
                rt.c.row_index.label("r_index"),
                rt.c[sheet.period].label("r_period"),
                st.c.partner.label("s_partner"),
                *(rt.c[k].label(f"k{i}") for i, k in enumerate(sheet.keys)),
                *(rt.c[c].label(f"v{i}") for i, c in enumerate(compared)),
            )
            .join(st, st.c.id == rt.c.submission_id)
            .where(
                st.c.relationship_id == rel,
                st.c.partner.in_(partners),
                st.c.status == CURRENT,
                st.c.period <= latest,
            )
            # Each partner's rows of a key together, oldest submission first (_SubState.order).
            .order_by(
                st.c.partner,
                *(rt.c[k] for k in sheet.keys),
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
        period_at = sheet.keys.index(sheet.period) if sheet.period in sheet.keys else None
        out: list[tuple[tuple[Any, ...], dict[str, Any], Restatement]] = []
        group: tuple[Any, ...] | None = None
        # First row of the submission being read, and of the one before it, for this key.
        this: tuple[int, str, tuple[Any, ...]] | None = None
        before: tuple[int, str, tuple[Any, ...]] | None = None
        for r in self._conn.execute(q):
            sid, speriod, sfile, row_index, row_period = r[0], r[1], r[2], r[3], r[4]
            partner_key = tuple(r[5 : 6 + nkeys])
            values = tuple(r[6 + nkeys :])
            if partner_key != group:
                group, this, before = partner_key, None, None
            if this is None or this[0] != sid:
                before, this = this, (sid, sfile, values)
            mine = mine_of.get(sid)
            if mine is None or before is None or row_period is None or row_period >= speriod:
                continue
            partner, key = partner_key[0], partner_key[1:]
            item = " / ".join(
                str(v) for k, v in zip(sheet.keys, key, strict=True) if k != sheet.period
            )
            period = key[period_at] if period_at is not None else ""
            prev_id, prev_file, prev_values = before
            for ci, (col, new, old) in enumerate(zip(compared, values, prev_values, strict=True)):
                # A blank in the newer workbook reports nothing: it restates nothing.
                if new is None or _same(old, new):
                    continue
                row = {
                    "relationship_id": rel,
                    "sheet": sheet.key,
                    "item": item,
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
                    prev_id, prev_file, sid, sfile,
                )  # fmt: skip
                out.append(((speriod, rel, partner, index, row_index, ci), row, restatement))
        return out


class Ledger:
    """The history of every workbook a relationship's partners sent.

    ``Ledger("rmp-ledger.sqlite")`` opens (or creates) a SQLite file;
    ``Ledger("postgresql://user@host/db")`` a PostgreSQL database. Opening
    creates missing tables and adds schema columns the ledger lacks.
    ``create=False`` refuses to create a SQLite file that does not exist.
    ``busy_timeout`` (default: ``RMP_LEDGER_WAIT`` or 30 s) is how long a writer
    waits for another run's write lock before LedgerBusy.
    """

    def __init__(
        self,
        url_or_path: str | os.PathLike[str],
        *,
        busy_timeout: float | None = None,
        create: bool = True,
        sheets: Sequence[Sheet] = SHEETS,
    ) -> None:
        url, path = _engine_url(url_or_path)
        self.path = path
        self.busy_timeout = _busy_timeout(busy_timeout)
        self.sheets: tuple[Sheet, ...] = tuple(sheets)
        self.metadata = build_metadata(self.sheets)
        self.tables = self.metadata.tables
        # What messages and reports name: the file for SQLite, the URL without password.
        self.url = str(path) if path is not None else unquote(url.render_as_string(True))
        self._doing = "cannot open the ledger: "
        if path is not None:
            if not create and not path.exists():
                raise LedgerError(f"{path}: no ledger there (run `rmp merge` first)")
            if not path.parent.is_dir():
                raise LedgerError(f"{path}: the folder {path.parent} does not exist")
        self.dialect_name = url.get_backend_name()
        try:
            self.engine = self._make_engine(url)
        except ImportError as exc:
            raise LedgerError(
                f"{self.url}: the database driver is not installed ({exc.name}); "
                "for PostgreSQL: pip install 'rmp-workbook[postgres]'"
            ) from None
        self._columns = {
            s.key: [(c.key, c.type.python_type, _coercer(c.type), c.type) for c in s.columns]
            for s in self.sheets
        }
        # Where a period sheet's row period sits in a row as _coerce makes it.
        self._row_period_at = {
            s.key: 2 + [c.key for c in s.columns].index(s.period) for s in self.sheets if s.period
        }
        self._row_inserts: dict[str, tuple[str, list[tuple[int, Callable[[Any], Any]]]]] = {}
        try:
            self._migrate()
        except LedgerError:
            self.engine.dispose()
            raise
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise LedgerError(f"{self.url}: {self._doing}{_short(exc)}") from None
        self._doing = ""

    # -- connection -------------------------------------------------------

    def _make_engine(self, url: URL) -> Engine:
        if self.dialect_name == "sqlite":
            engine = create_engine(url, connect_args={"timeout": self.busy_timeout})
            busy_ms = int(self.busy_timeout * 1000)

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                # The driver must not open transactions itself: we emit BEGIN (IMMEDIATE
                # for writers) so a second writer waits for the lock instead of failing
                # later when it upgrades a read transaction.
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                _wal(cur, self.busy_timeout)
                cur.execute("PRAGMA synchronous = NORMAL")
                cur.execute("PRAGMA foreign_keys = ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection) -> None:
                write = conn.get_execution_options().get("rmp_write", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

            return engine
        return create_engine(url, connect_args={"connect_timeout": 10})

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction holding the ledger's write lock; committed on success.

        A second writer waits up to ``busy_timeout`` seconds, then LedgerBusy.
        """
        try:
            with self.engine.connect() as conn:
                conn.execution_options(rmp_write=True)
                with conn.begin():
                    if self.dialect_name == "postgresql":
                        ms = max(1, int(self.busy_timeout * 1000))
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
                        conn.execute(
                            select(func.pg_advisory_xact_lock(func.hashtext("rmp_workbook.ledger")))
                        )
                    yield conn
        except OperationalError as exc:
            if _busy(exc):
                raise LedgerBusy(
                    f"{self.url}: another run is writing to the ledger; waited "
                    f"{self.busy_timeout:g} s. Try again when it has finished."
                ) from None
            raise LedgerError(f"{self.url}: {self._doing}{_short(exc)}") from None
        except DBAPIError as exc:
            raise LedgerError(f"{self.url}: {self._doing}{_short(exc)}") from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except DBAPIError as exc:
            raise LedgerError(f"{self.url}: {self._doing}{_short(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.url!r})"

    # -- migrations -------------------------------------------------------

    def _pending_migrations(self, conn: Connection) -> tuple[list[Table], list[tuple[Table, Any]]]:
        insp = inspect(conn)
        existing = set(insp.get_table_names())
        if "schema_version" in existing:
            found = conn.execute(select(func.max(self.tables["schema_version"].c.version)))
            version = found.scalar()
            if version is not None and version > LEDGER_VERSION:
                raise LedgerError(
                    f"{self.url}: the ledger was written by a newer rmp (ledger version "
                    f"{version}, this rmp knows {LEDGER_VERSION}); upgrade rmp"
                )
        missing_tables = [t for t in self.metadata.sorted_tables if t.name not in existing]
        missing_columns: list[tuple[Table, Any]] = []
        for sheet in self.sheets:
            table = self.tables[record_table_name(sheet)]
            if table.name not in existing:
                continue
            have = {c["name"] for c in insp.get_columns(table.name)}
            missing_columns += [(table, c) for c in table.columns if c.name not in have]
        return missing_tables, missing_columns

    def _migrate(self) -> None:
        """Create missing tables and add schema columns the ledger lacks (forward only)."""
        with self._read() as conn:
            tables, columns = self._pending_migrations(conn)
        if not tables and not columns:
            return
        with self.transaction() as conn:
            # Re-check under the write lock: another run may have migrated meanwhile.
            tables, columns = self._pending_migrations(conn)
            fresh = any(t.name == "schema_version" for t in tables)
            self.metadata.create_all(conn, tables=tables, checkfirst=True)
            notes: list[str] = []
            if fresh:
                notes.append(f"created ledger version {LEDGER_VERSION}")
            elif tables:
                notes.append("added tables " + ", ".join(t.name for t in tables))
            prep = conn.dialect.identifier_preparer
            for table, col in columns:
                ddl = (
                    f"ALTER TABLE {prep.format_table(table)} ADD COLUMN "
                    f"{prep.format_column(col)} {col.type.compile(dialect=conn.dialect)}"
                )
                conn.exec_driver_sql(ddl)
                notes.append(f"added column {table.name}.{col.name}")
            if notes:
                now = _now()
                conn.execute(
                    insert(self.tables["schema_version"]),
                    [{"version": LEDGER_VERSION, "applied_at": now, "note": n} for n in notes],
                )

    def migrations(self) -> list[dict[str, Any]]:
        """Every migration applied to this ledger, oldest first."""
        sv = self.tables["schema_version"]
        with self._read() as conn:
            rows = conn.execute(select(sv).order_by(sv.c.id)).mappings().all()
        return [dict(r) for r in rows]

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

        A row is ``[submission_id (None until known), row_index, *columns in schema order]``.
        Values the validator already typed are taken as they are; only others are coerced.
        """
        period = sub.meta.period
        history = False
        out: dict[str, list[list[Any]]] = {}
        for sheet_key, records in sub.records.items():
            columns = self._columns.get(sheet_key)
            if columns is None:
                raise LedgerError(f"{name}: the ledger has no sheet {sheet_key!r}")
            period_at = self._row_period_at.get(sheet_key)
            rows: list[list[Any]] = []
            for rec in records:
                row: list[Any] = [None, rec.row]
                values = rec.values
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
                    elif _is_blank(value):
                        row.append(None)
                    else:
                        try:
                            row.append(coerce(value))
                        except _Uncoercible:
                            raise LedgerError(
                                f"{name}: sheet {sheet_key}, row {rec.row + 1}, column {key}: "
                                f"{value!r} is not a {col_type.value}"
                            ) from None
                if period_at is not None and not history:
                    row_period = row[period_at]
                    history = row_period is not None and row_period < period
                rows.append(row)
            if rows:
                out[sheet_key] = rows
        return out, history

    def _insert_rows(self, conn: Connection, sheet: Sheet, rows: list[list[Any]]) -> None:
        """Record rows (as :meth:`_coerce` makes them) in one executemany statement.

        Straight to the driver: the values are already the column types, and the
        per-row parameter handling of a Core insert costs more than the database.
        """
        sql, processors = self._row_inserts.get(sheet.key, (None, None))
        if sql is None or processors is None:
            table = self.tables[record_table_name(sheet)]
            cols = [table.c[k] for k in ("submission_id", "row_index")]
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

    # -- queries ----------------------------------------------------------

    def _record_rows(
        self,
        conn: Connection,
        sheet: Sheet,
        relationship_id: str,
        period: str | None = None,
        partner: str | None = None,
        submission_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records of current submissions with the provenance columns, oldest first."""
        rt = self.tables[record_table_name(sheet)]
        st = self.tables["submissions"]
        q = (
            select(
                *(rt.c[c.key] for c in sheet.columns),
                st.c.partner.label("_partner"),
                st.c.period.label("_period"),
                st.c.id.label("_submission_id"),
                st.c.file_name.label("_file"),
                rt.c.row_index.label("_row"),
                st.c.received_at.label("_received_at"),
            )
            .join(st, st.c.id == rt.c.submission_id)
            .where(st.c.relationship_id == relationship_id, st.c.status == CURRENT)
            .order_by(st.c.period, st.c.partner, st.c.id, rt.c.row_index, rt.c.record_id)
        )
        if period is not None:
            q = q.where(st.c.period <= period)
        if partner is not None:
            q = q.where(st.c.partner == partner)
        if submission_id is not None:
            q = q.where(st.c.id == submission_id)
        return [dict(r) for r in conn.execute(q).mappings()]

    def _frame(self, sheet: Sheet, rows: list[dict[str, Any]]) -> pd.DataFrame:
        import pandas as pd

        columns = [*(c.key for c in sheet.columns), *PROVENANCE_COLUMNS]
        frame = pd.DataFrame.from_records(rows, columns=columns)
        for c in sheet.columns:
            if c.type in (ColType.NUMBER, ColType.PERCENT, ColType.FORMULA):
                frame[c.key] = frame[c.key].astype("float64")
            elif c.type in (ColType.INTEGER, ColType.SCORE):
                frame[c.key] = frame[c.key].astype("Int64")
        frame["_submission_id"] = frame["_submission_id"].astype("int64")
        frame["_row"] = frame["_row"].astype("int64")
        frame["_received_at"] = pd.to_datetime(frame["_received_at"])
        return frame

    def source(self, relationship_id: str, period: str) -> LedgerSource:
        """The relationship's current records up to ``period`` as a record source for
        :func:`rmp_workbook.reconcile.consolidate`: read a sheet and a few submissions
        at a time, typed values as stored, no frames."""
        return LedgerSource(self, relationship_id, period)

    def frames(self, relationship_id: str, period: str | None = None) -> dict[str, pd.DataFrame]:
        """Sheet key -> record frame (model.PROVENANCE_COLUMNS): every record of every current
        submission of the relationship for periods up to ``period`` (all when None)."""
        with self._read() as conn:
            return {
                s.key: self._frame(s, self._record_rows(conn, s, relationship_id, period))
                for s in self.sheets
            }

    def submissions_frame(self, relationship_id: str, period: str | None = None) -> pd.DataFrame:
        """Every submission (current and superseded) of the relationship, or of one period.

        Columns submission_id, partner, period, file, path, sha256, received_at,
        recorded_at, schema_version, status, superseded_by, errors, warnings.
        """
        import pandas as pd

        st = self.tables["submissions"]
        q = (
            select(
                st.c.id.label("submission_id"),
                st.c.partner,
                st.c.period,
                st.c.file_name.label("file"),
                st.c.path,
                st.c.sha256,
                st.c.received_at,
                st.c.recorded_at,
                st.c.schema_version,
                st.c.status,
                st.c.superseded_by,
                st.c.errors,
                st.c.warnings,
            )
            .where(st.c.relationship_id == relationship_id)
            .order_by(st.c.period, st.c.partner, st.c.id)
        )
        if period is not None:
            q = q.where(st.c.period == period)
        with self._read() as conn:
            result = conn.execute(q)
            frame = pd.DataFrame.from_records(result.all(), columns=list(result.keys()))
        frame["superseded_by"] = frame["superseded_by"].astype("Int64")
        for col in ("received_at", "recorded_at"):
            frame[col] = pd.to_datetime(frame[col])
        return frame

    def restatements_frame(
        self,
        relationship_id: str,
        period: str | None = None,
        *,
        sheet: str | None = None,
        item: str | None = None,
        partner: str | None = None,
        current_only: bool = True,
    ) -> pd.DataFrame:
        """Every restatement recorded by submissions for periods up to ``period``.

        With ``current_only`` (the default) restatements made by a workbook that was
        itself superseded later are left out: the workbook that replaced it made its
        own restatements when it was recorded.

        Columns sheet, item, column, period (of the figure), partner, previous,
        restated, previous_file, file, previous_submission_id, submission_id,
        submitted_period, received_at, recorded_at.
        """
        import pandas as pd

        rs = self.tables["restatements"]
        new = self.tables["submissions"].alias("new")
        old = self.tables["submissions"].alias("old")
        q = (
            select(
                rs.c.sheet,
                rs.c.item,
                rs.c.column,
                rs.c.period,
                rs.c.partner,
                rs.c.previous_value.label("previous"),
                rs.c.restated_value.label("restated"),
                old.c.file_name.label("previous_file"),
                new.c.file_name.label("file"),
                rs.c.previous_submission_id,
                rs.c.submission_id,
                new.c.period.label("submitted_period"),
                new.c.received_at,
                rs.c.recorded_at,
            )
            .join(new, new.c.id == rs.c.submission_id)
            .join(old, old.c.id == rs.c.previous_submission_id)
            .where(rs.c.relationship_id == relationship_id)
            .order_by(rs.c.sheet, rs.c.item, rs.c.period, rs.c.partner, rs.c.id)
        )
        if period is not None:
            q = q.where(new.c.period <= period)
        if current_only:
            q = q.where(new.c.status == CURRENT)
        if sheet is not None:
            q = q.where(rs.c.sheet == sheet)
        if item is not None:
            q = q.where(rs.c.item == item)
        if partner is not None:
            q = q.where(rs.c.partner == partner)
        with self._read() as conn:
            result = conn.execute(q)
            frame = pd.DataFrame.from_records(result.all(), columns=list(result.keys()))
        for col in ("previous", "restated"):
            frame[col] = frame[col].astype("float64")
        for col in ("received_at", "recorded_at"):
            frame[col] = pd.to_datetime(frame[col])
        return frame

    def findings_frame(
        self, relationship_id: str, period: str | None = None, *, current_only: bool = True
    ) -> pd.DataFrame:
        """Data-quality findings of the relationship's submissions (of one period when given).

        Columns file, partner, period, submission_id, sheet, cell, column, row, code,
        severity, message, value.
        """
        import pandas as pd

        ft = self.tables["findings"]
        st = self.tables["submissions"]
        q = (
            select(
                st.c.file_name.label("file"),
                st.c.partner,
                st.c.period,
                ft.c.submission_id,
                ft.c.sheet,
                ft.c.cell,
                ft.c.column,
                ft.c.row,
                ft.c.code,
                ft.c.severity,
                ft.c.message,
                ft.c.value,
            )
            .join(st, st.c.id == ft.c.submission_id)
            .where(st.c.relationship_id == relationship_id)
            .order_by(st.c.period, st.c.partner, st.c.id, ft.c.id)
        )
        if period is not None:
            q = q.where(st.c.period == period)
        if current_only:
            q = q.where(st.c.status == CURRENT)
        with self._read() as conn:
            result = conn.execute(q)
            frame = pd.DataFrame.from_records(result.all(), columns=list(result.keys()))
        frame["row"] = frame["row"].astype("Int64")
        return frame

    def history(
        self, relationship_id: str, kpi_id: str | None = None, partner: str | None = None
    ) -> pd.DataFrame:
        """KPI figures in force by KPI, period and partner, with their provenance.

        One row per (kpi_id, period, partner): the figure from the latest current
        submission that reports it, the file it came from and when that file was
        received, how often it was restated and each restatement in words.
        Columns kpi_id, kpi, unit, direction, target, amber, period, partner, actual,
        file, received_at, submission_id, restated, restatements.
        """
        import pandas as pd

        sheet = next(s for s in self.sheets if s.key == "kpis")
        with self._read() as conn:
            rows = self._record_rows(conn, sheet, relationship_id, partner=partner)
        if kpi_id is not None:
            rows = [r for r in rows if r["kpi_id"] == kpi_id]
        latest: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
        for r in rows:  # ordered oldest first: the last one wins
            latest[(r["kpi_id"], r["period"], r["_partner"])] = r
        restated = self.restatements_frame(
            relationship_id, sheet="kpis", item=kpi_id, partner=partner
        )
        words: dict[tuple[Any, Any, Any], list[str]] = {}
        for r in restated.itertuples(index=False):
            words.setdefault((r.item, r.period, r.partner), []).append(
                f"{r.column} {_fmt(r.previous)} → {_fmt(r.restated)} in {r.file}"
                f" (was {r.previous_file})"
            )
        out = []
        for key in sorted(latest, key=lambda k: (str(k[0]), str(k[1]), str(k[2]))):
            r = latest[key]
            said = words.get(key, [])
            out.append(
                {
                    "kpi_id": r["kpi_id"],
                    "kpi": r["kpi"],
                    "unit": r["unit"],
                    "direction": r["direction"],
                    "target": r["target"],
                    "amber": r["amber"],
                    "period": r["period"],
                    "partner": r["_partner"],
                    "actual": r["actual"],
                    "file": r["_file"],
                    "received_at": r["_received_at"],
                    "submission_id": r["_submission_id"],
                    "restated": len(said),
                    "restatements": "; ".join(said),
                }
            )
        columns = [
            "kpi_id", "kpi", "unit", "direction", "target", "amber", "period", "partner",
            "actual", "file", "received_at", "submission_id", "restated", "restatements",
        ]  # fmt: skip
        frame = pd.DataFrame.from_records(out, columns=columns)
        for col in ("target", "amber", "actual"):
            frame[col] = frame[col].astype("float64")
        frame["received_at"] = pd.to_datetime(frame["received_at"])
        frame["restated"] = frame["restated"].astype("int64")
        return frame

    def prefill_rows(
        self, relationship_id: str, partner: str, next_period: str
    ) -> dict[str, list[dict[str, Any]]]:
        """Rows to pre-fill ``partner``'s workbook for ``next_period``.

        ``kpis`` and ``sla``: the agreed lines (the latest definition of each, the
        partner's own first, then lines only other partners report) with the period
        set to ``next_period`` and Actual and Comment blank. ``risks`` not Closed,
        ``bottlenecks`` not Resolved, ``actions`` not Done and every ``contacts`` row,
        from the partner's latest current workbook before ``next_period``.
        Values are keyed by column key; calculated columns are left to the template.
        """
        if not _PERIOD.match(next_period or ""):
            raise LedgerError(f"{next_period!r} is not a period (YYYY-MM)")
        schema = {s.key: s for s in self.sheets}
        before = _previous_period(next_period)
        out: dict[str, list[dict[str, Any]]] = {}
        with self._read() as conn:
            latest = self._latest_submissions(conn, relationship_id, before)
            own_id = latest.get(partner)
            for key in ("kpis", "sla"):
                sheet = schema.get(key)
                if sheet is None:
                    continue
                ident = [k for k in sheet.keys if k != sheet.period]
                best: dict[tuple[Any, ...], tuple[tuple[Any, ...], dict[str, Any]]] = {}
                # Own workbook first, then the others in partner order: the first
                # definition of a line wins and keeps its place.
                order = [own_id] if own_id is not None else []
                order += [i for p, i in sorted(latest.items()) if p != partner]
                lines: list[dict[str, Any]] = []
                seen: set[tuple[Any, ...]] = set()
                for sub_id in order:
                    rows = self._record_rows(conn, sheet, relationship_id, submission_id=sub_id)
                    # A workbook may carry several periods of a line: keep its latest.
                    for r in rows:
                        k = tuple(r[c] for c in ident)
                        rank = (str(r[sheet.period] or ""),) if sheet.period else ()
                        if k not in best or rank >= best[k][0]:
                            best[k] = (rank, r)
                    for r in rows:
                        k = tuple(r[c] for c in ident)
                        if k in seen:
                            continue
                        seen.add(k)
                        line = _input_values(sheet, best[k][1])
                        if sheet.period:
                            line[sheet.period] = next_period
                        for blank in ("actual", "comment"):
                            if blank in line:
                                line[blank] = None
                        lines.append(line)
                out[key] = lines
            open_rule: dict[str, tuple[str | None, set[str]]] = {
                "risks": ("status", {"Closed"}),
                "bottlenecks": ("status", {"Resolved"}),
                "actions": ("status", {"Done"}),
                "contacts": (None, set()),
            }
            for key, (status_col, closed) in open_rule.items():
                sheet = schema.get(key)
                if sheet is None:
                    continue
                rows = (
                    self._record_rows(conn, sheet, relationship_id, submission_id=own_id)
                    if own_id is not None
                    else []
                )
                out[key] = [
                    _input_values(sheet, r)
                    for r in rows
                    if status_col is None or r[status_col] not in closed
                ]
        return out

    def _latest_submissions(
        self, conn: Connection, relationship_id: str, period: str | None
    ) -> dict[str, int]:
        """Partner -> id of its latest current submission for a period up to ``period``."""
        st = self.tables["submissions"]
        q = (
            select(st.c.id, st.c.partner)
            .where(st.c.relationship_id == relationship_id, st.c.status == CURRENT)
            # One current submission per partner and period: period order suffices.
            .order_by(st.c.period, st.c.id)
        )
        if period is not None:
            q = q.where(st.c.period <= period)
        return {r.partner: r.id for r in conn.execute(q)}  # the last one wins

    def relationships(self) -> pd.DataFrame:
        """Every relationship in the ledger.

        Columns relationship_id, name, partners (comma separated), submissions,
        first_period, last_period.
        """
        import pandas as pd

        rt = self.tables["relationships"]
        st = self.tables["submissions"]
        pt = self.tables["partners"]
        with self._read() as conn:
            rels = conn.execute(select(rt).order_by(rt.c.id)).all()
            stats = {
                r.relationship_id: r
                for r in conn.execute(
                    select(
                        st.c.relationship_id,
                        func.count().label("n"),
                        func.min(st.c.period).label("first"),
                        func.max(st.c.period).label("last"),
                    ).group_by(st.c.relationship_id)
                )
            }
            partners: dict[str, list[str]] = {}
            for r in conn.execute(select(pt).order_by(pt.c.relationship_id, pt.c.id)):
                partners.setdefault(r.relationship_id, []).append(r.name)
        out = []
        for r in rels:
            s = stats.get(r.id)
            out.append(
                {
                    "relationship_id": r.id,
                    "name": r.name,
                    "partners": ", ".join(partners.get(r.id, [])),
                    "submissions": s.n if s else 0,
                    "first_period": s.first if s else None,
                    "last_period": s.last if s else None,
                }
            )
        columns = ["relationship_id", "name", "partners", "submissions", "first_period"]
        return pd.DataFrame.from_records(out, columns=[*columns, "last_period"])

    def counts(self) -> dict[str, int]:
        """Rows per table: what tests and ``rmp`` diagnostics compare before and after."""
        with self._read() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in self.tables.items()
                if name != "schema_version"
            }


def _input_values(sheet: Sheet, row: dict[str, Any]) -> dict[str, Any]:
    return {c.key: row.get(c.key) for c in sheet.columns if c.is_input}


def _previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "blank"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


@dataclass
class HistoryReport:
    """What ``rmp history`` shows: KPI figures in force and every restatement."""

    ledger: str
    relationship_id: str
    relationship_name: str
    figures: pd.DataFrame
    """:meth:`Ledger.history` columns."""
    restatements: pd.DataFrame
    """:meth:`Ledger.restatements_frame` columns, KPI restatements only."""


def kpi_history(
    url_or_path: str | os.PathLike[str],
    relationship_id: str | None = None,
    kpi_id: str | None = None,
    partner: str | None = None,
) -> HistoryReport:
    """Open an existing ledger and gather a relationship's KPI history.

    Without ``relationship_id`` the ledger's only relationship is used. Unknown
    relationships, KPIs and partners raise UsageError naming the known ones.
    """
    from rmp_workbook.findings import UsageError

    with Ledger(url_or_path, create=False) as ledger:
        rels = ledger.relationships()
        known = list(rels["relationship_id"])
        if not known:
            raise LedgerError(f"{ledger.url}: the ledger holds no submissions yet")
        if relationship_id is None:
            if len(known) > 1:
                raise UsageError(
                    "the ledger holds several relationships; choose one with --relationship: "
                    + ", ".join(known)
                )
            relationship_id = known[0]
        elif relationship_id not in known:
            raise UsageError(
                f"no relationship {relationship_id!r} in the ledger; it holds " + ", ".join(known)
            )
        name = rels.loc[rels["relationship_id"] == relationship_id, "name"].iloc[0] or ""
        everything = ledger.history(relationship_id)
        if kpi_id is not None and kpi_id not in set(everything["kpi_id"]):
            raise UsageError(
                f"no KPI {kpi_id!r} in {relationship_id}; known KPIs: "
                + (", ".join(sorted(set(everything["kpi_id"]))) or "none")
            )
        if partner is not None and partner not in set(everything["partner"]):
            raise UsageError(
                f"no partner {partner!r} reported KPIs in {relationship_id}; known: "
                + (", ".join(sorted(set(everything["partner"]))) or "none")
            )
        figures = ledger.history(relationship_id, kpi_id=kpi_id, partner=partner)
        restated = ledger.restatements_frame(
            relationship_id, sheet="kpis", item=kpi_id, partner=partner
        )
        return HistoryReport(ledger.url, relationship_id, str(name), figures, restated)


class LedgerSource:
    """A relationship's current records up to a period, for reconciliation.

    Implements :class:`rmp_workbook.reconcile.RecordSource`: the submissions list
    comes from one small query, records from one query per sheet and group of
    submissions (:data:`IDS_PER_QUERY` at most), so memory holds one group's rows,
    never every record at once. Values are the stored typed values; text that is
    blank (spaces only) reads as None, as in :meth:`Ledger.frames`' consumers.
    A run recording meanwhile changes nothing read: the submissions are listed once,
    and a recorded submission's records never change (superseding only marks it).
    """

    IDS_PER_QUERY = 100
    """Submission ids per query: bounds the rows held at once (and stays far within every
    backend's limit on bound parameters)."""

    def __init__(self, ledger: Ledger, relationship_id: str, period: str) -> None:
        self.ledger = ledger
        self.relationship_id = relationship_id
        self.period = period
        self._submissions: list[SourceSubmission] | None = None

    def submissions(self) -> list[SourceSubmission]:
        """Every current submission up to the period, in (period, partner, id) order, with
        the sheets holding its records."""
        from rmp_workbook.reconcile import SourceSubmission

        if self._submissions is None:
            st = self.ledger.tables["submissions"]
            sheets = self.ledger.sheets
            holds = [
                select(rt.c.record_id)
                .where(rt.c.submission_id == st.c.id)
                .exists()
                .label(f"holds_{i}")
                for i, rt in enumerate(self.ledger.tables[record_table_name(s)] for s in sheets)
            ]
            q = (
                select(st.c.id, st.c.partner, st.c.period, st.c.received_at, *holds)
                .where(
                    st.c.relationship_id == self.relationship_id,
                    st.c.status == CURRENT,
                    st.c.period <= self.period,
                )
                .order_by(st.c.period, st.c.partner, st.c.id)
            )
            with self.ledger._read() as conn:
                rows = conn.execute(q).all()
            self._submissions = [
                SourceSubmission(
                    id=r[0],
                    partner=r[1],
                    period=r[2],
                    received_at=r[3],
                    sheets=frozenset(s.key for s, held in zip(sheets, r[4:], strict=True) if held),
                )
                for r in rows
            ]
        return self._submissions

    def records(
        self, sheet: Sheet, submission_ids: Sequence[Any]
    ) -> Iterator[tuple[Any, int, tuple[Any, ...]]]:
        """(submission id, row index, values in ``sheet.columns`` order) of the sheet's
        records in those submissions, by submission then row; read :data:`IDS_PER_QUERY`
        submissions at a time."""
        rt = self.ledger.tables[record_table_name(sheet)]
        columns = [rt.c[c.key] for c in sheet.columns]
        texts = [i for i, c in enumerate(sheet.columns) if _SQL_TYPES[c.type] is Text]
        ids = list(submission_ids)
        with self.ledger._read() as conn:
            for start in range(0, len(ids), self.IDS_PER_QUERY):
                q = (
                    select(rt.c.submission_id, rt.c.row_index, *columns)
                    .where(rt.c.submission_id.in_(ids[start : start + self.IDS_PER_QUERY]))
                    .order_by(rt.c.submission_id, rt.c.row_index, rt.c.record_id)
                )
                for r in conn.execute(q).all():
                    values = r[2:]
                    for i in texts:
                        v = values[i]
                        if v is not None and (not v or v.isspace()):
                            values = tuple(
                                None if j in texts and _blank(x) else x
                                for j, x in enumerate(values)
                            )
                            break
                    yield (r[0], r[1], values)


def _blank(value: Any) -> bool:
    return isinstance(value, str) and (not value or value.isspace())
