"""The ledger's engine: database URL, SQLite/PostgreSQL connections, locking, migrations.

:class:`LedgerEngine` opens the database and migrates it forward; the recording
and query parts of :class:`~rmp_workbook.ledger.Ledger` build on it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote

from sqlalchemy import (
    Table,
    bindparam,
    create_engine,
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
from rmp_workbook.ledger.coerce import _coercer
from rmp_workbook.ledger.tables import (
    LEDGER_VERSION,
    build_metadata,
    record_table_name,
)
from rmp_workbook.schema import SHEETS, Sheet
from rmp_workbook.values import item_key, item_key_text, stored_key

DEFAULT_BUSY_TIMEOUT = 30.0
"""Seconds a run waits for another run's write lock before failing with LedgerBusy."""

BUSY_TIMEOUT_ENV = "RMP_LEDGER_WAIT"
"""Environment variable that sets the wait (seconds) when a caller gives none."""


def _utc_naive(value: dt.datetime | None) -> dt.datetime | None:
    """Times are stored without zone, in UTC when the zone is known."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


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


_INHERITED: list[Engine] = []
"""Engines a forked copy inherited (:meth:`LedgerEngine.reopen`): held, so never closed there."""


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


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


_SQLITE_CONSTRAINT = re.compile(r"(UNIQUE|NOT NULL|FOREIGN KEY) constraint failed(?:: (.*))?")


def describe_database_error(exc: BaseException) -> str:
    """A database error in words: which rule a row broke, and for a taken id what to do.

    PostgreSQL and SQLite both report constraint violations in their own terms
    (``duplicate key value violates unique constraint "submissions_pkey"``); the
    commonest cause, a ledger copied by hand without moving its id sequences on,
    otherwise reads as an rmp bug.
    """
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    table = getattr(diag, "table_name", None) or ""
    constraint = getattr(diag, "constraint_name", None) or ""
    detail = (getattr(diag, "message_detail", None) or "").strip()
    kind = {"23505": "UNIQUE", "23502": "NOT NULL", "23503": "FOREIGN KEY"}.get(state or "")
    columns = ""
    if kind is None:
        m = _SQLITE_CONSTRAINT.search(str(orig))
        if m is None:
            return _short(exc)
        kind, columns = m.group(1), m.group(2) or ""
        table = columns.split(".", 1)[0] if "." in columns else table
    where = f"table {table}" if table else "a table"
    said = f" ({detail})" if detail else ""
    if kind == "UNIQUE":
        key_columns = {c.strip().split(".")[-1] for c in columns.split(",") if c.strip()}
        if constraint.endswith("_pkey") or key_columns & {"id", "record_id"}:
            return (
                f"a new row of {where} was given an id that another row already has{said}: "
                "the ledger's id counters are behind its rows, as after copying a ledger by "
                "hand. Nothing was changed. Copy it with `rmp ledger copy`, which moves the "
                "counters on, or see docs/ledger.md, 'Copying a ledger'"
            )
        return f"a row of {where} repeats one already there{said}; nothing was changed"
    if kind == "NOT NULL":
        column = getattr(diag, "column_name", None) or columns
        return f"a row of {where} has no value in {column}, which needs one; nothing was changed"
    return f"a row of {where} refers to a row that is not in the ledger{said}; nothing was changed"


class LedgerEngine:
    """Opening the ledger: its database, connections, write lock and forward migrations.

    The base of :class:`~rmp_workbook.ledger.Ledger`, whose docstring says what the
    arguments mean.
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
        self._engine_url = url
        try:
            self.engine = self._make_engine(url)
        except ImportError as exc:
            raise LedgerError(
                f"{self.url}: the database driver is not installed ({exc.name}); "
                "for PostgreSQL: pip install 'rmp-workbook[postgres]'"
            ) from None
        self._sheet = {s.key: s for s in self.sheets}
        self._columns = {
            s.key: [(c.key, c.type.python_type, _coercer(c.type), c.type) for c in s.columns]
            for s in self.sheets
        }
        # Where a period sheet's row period sits in a row as _coerce makes it
        # (after submission_id, row_index and row_key).
        self._row_period_at = {
            s.key: 3 + [c.key for c in s.columns].index(s.period) for s in self.sheets if s.period
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
            raise LedgerError(f"{self.url}: {self._doing}{describe_database_error(exc)}") from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except DBAPIError as exc:
            raise LedgerError(f"{self.url}: {self._doing}{_short(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def reopen(self) -> None:
        """Connections of its own, in a forked copy of this process (:mod:`rmp_workbook.forked`).

        The inherited engine stays referenced and is never used again: closing its
        connections here would close the parent's (the socket of a PostgreSQL connection,
        the file of a SQLite one, are shared with it)."""
        _INHERITED.append(self.engine)
        self.engine = self._make_engine(self._engine_url)

    def __enter__(self) -> Self:
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
        for table in self.metadata.sorted_tables:
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
            notes += self._fill_keys(conn, {(t.name, c.name) for t, c in columns})
            if any((t.name, c.name) == ("restatement_proposals", "kind") for t, c in columns):
                notes += self._relax_proposal_submission(conn)
            if notes:
                now = _now()
                conn.execute(
                    insert(self.tables["schema_version"]),
                    [{"version": LEDGER_VERSION, "applied_at": now, "note": n} for n in notes],
                )

    def _relax_proposal_submission(self, conn: Connection) -> list[str]:
        """A proposal's submission may be blank (a sign-off's proposal has none): an older
        ``restatement_proposals`` declared it NOT NULL. PostgreSQL drops the constraint;
        SQLite, which cannot, gets the table again with its rows copied."""
        table = self.tables["restatement_proposals"]
        column = next(
            c for c in inspect(conn).get_columns(table.name) if c["name"] == "submission_id"
        )
        if column.get("nullable", True):
            return []
        prep = conn.dialect.identifier_preparer
        name = prep.format_table(table)
        if conn.dialect.name != "sqlite":
            conn.exec_driver_sql(f"ALTER TABLE {name} ALTER COLUMN submission_id DROP NOT NULL")
        else:
            conn.exec_driver_sql(f"ALTER TABLE {name} RENAME TO _rmp_old_proposals")
            for index in table.indexes:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {prep.format_index(index)}")
            table.create(conn)
            cols = ", ".join(prep.format_column(c) for c in table.columns)
            conn.exec_driver_sql(
                f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _rmp_old_proposals"
            )
            conn.exec_driver_sql("DROP TABLE _rmp_old_proposals")
        return ["restatement_proposals.submission_id may be blank (a sign-off's proposal)"]

    def _fill_keys(self, conn: Connection, added: set[tuple[str, str]]) -> list[str]:
        """Fill in the keys a version 1 ledger lacks, from the values it holds.

        Each record row's ``row_key`` (:func:`~rmp_workbook.values.stored_key`), then each
        restatement's ``item_key``: the key of the record row it named, found by the item
        as version 1 wrote it (the key cells as stored, joined by " / ").
        """
        notes: list[str] = []
        filled: dict[str, int] = {}
        for sheet in self.sheets:
            table = self.tables[record_table_name(sheet)]
            if (table.name, "row_key") not in added or not sheet.keys:
                continue
            names = list(dict.fromkeys((*sheet.keys, *sheet.alt_keys)))
            rows = conn.execute(select(table.c.record_id, *(table.c[k] for k in names))).all()
            keys = [
                {"id": r[0], "key": stored_key(sheet, dict(zip(names, r[1:], strict=True)))}
                for r in rows
            ]
            if keys:
                conn.execute(
                    update(table).where(table.c.record_id == bindparam("_id")),
                    [{"_id": k["id"], "row_key": k["key"]} for k in keys],
                )
            filled[table.name] = len(keys)
        if filled:
            each = ", ".join(f"{name} {n}" for name, n in filled.items() if n)
            notes.append(
                f"filled row_key of {sum(filled.values())} record rows"
                + (f" ({each})" if each else "")
            )
        if ("restatements", "item_key") in added:
            notes.append(self._fill_item_keys(conn))
        return notes

    def _fill_item_keys(self, conn: Connection) -> str:
        rs = self.tables["restatements"]
        by_key = {s.key: s for s in self.sheets}
        found = conn.execute(select(rs.c.id, rs.c.sheet, rs.c.submission_id, rs.c.item)).all()
        cache: dict[tuple[str, int], dict[str, str]] = {}
        filled = []
        for r in found:
            sheet = by_key.get(r.sheet)
            if sheet is None:
                continue
            items = cache.get((r.sheet, r.submission_id))
            if items is None:
                items = cache[(r.sheet, r.submission_id)] = self._v1_items(
                    conn, sheet, r.submission_id
                )
            key = items.get(r.item, item_key_text(r.item))
            filled.append({"_id": r.id, "item_key": key})
        if filled:
            conn.execute(update(rs).where(rs.c.id == bindparam("_id")), filled)
        return f"filled restatements.item_key of {len(filled)} rows"

    def _v1_items(self, conn: Connection, sheet: Sheet, submission_id: int) -> dict[str, str]:
        """A submission's rows of a sheet: item as version 1 wrote it -> its item key."""
        table = self.tables[record_table_name(sheet)]
        names = [k for k in sheet.keys if k != sheet.period]
        rows = conn.execute(
            select(table.c.row_key, *(table.c[k] for k in names)).where(
                table.c.submission_id == submission_id, table.c.row_key.is_not(None)
            )
        ).all()
        return {" / ".join(str(v) for v in r[1:]): item_key(sheet, r[0]) for r in rows}

    def migrations(self) -> list[dict[str, Any]]:
        """Every migration applied to this ledger, oldest first."""
        sv = self.tables["schema_version"]
        with self._read() as conn:
            rows = conn.execute(select(sv).order_by(sv.c.id)).mappings().all()
        return [dict(r) for r in rows]
