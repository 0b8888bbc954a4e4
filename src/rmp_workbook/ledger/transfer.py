"""Copying a whole ledger between SQLite and PostgreSQL (either way): ``rmp ledger copy``.

:func:`copy_ledger` copies every table, rows and ids as they are, into an empty
ledger in one transaction of the destination, resets PostgreSQL's id sequences so
the next run's rows get fresh ids, and verifies each table by its row count and a
checksum computed the same way on both sides before it commits. Anything wrong
rolls the whole copy back: the destination is as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from rmp_workbook.findings import LedgerError
from rmp_workbook.ledger.engine import _engine_url, describe_database_error
from rmp_workbook.ledger.store import Ledger

__all__ = ["CopyResult", "TableCopy", "copy_ledger", "table_checksum"]

CHUNK_ROWS = 2000
"""Rows read and inserted at a time: memory stays flat for a ledger of any size."""

_MODULUS = 1 << 256


@dataclass(frozen=True)
class TableCopy:
    """One table as copied and verified."""

    name: str
    rows: int
    checksum: str

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.name, "rows": self.rows, "checksum": self.checksum}


@dataclass
class CopyResult:
    """What ``rmp ledger copy`` copied: the verified tables, source and destination."""

    source: str
    destination: str
    tables: list[TableCopy] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "tables": [t.to_dict() for t in self.tables],
        }


def _canonical(value: Any) -> str:
    """One text per value, the same from SQLite and PostgreSQL."""
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _row_digest(row: Sequence[Any]) -> int:
    text_ = "\x1f".join(_canonical(v) for v in row)
    return int.from_bytes(hashlib.sha256(text_.encode("utf-8")).digest(), "big")


class _Checksum:
    """The sum of every row's SHA-256 (mod 2^256): independent of the order rows come in,
    so the two databases' sort orders of text do not matter."""

    def __init__(self) -> None:
        self.total = 0
        self.rows = 0

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.total = (self.total + _row_digest(row)) % _MODULUS
            self.rows += 1

    @property
    def hex(self) -> str:
        return f"{self.total:064x}"


def _chunks(conn: Connection, table: Table) -> Iterator[list[Sequence[Any]]]:
    result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(
        select(*table.columns).order_by(*table.primary_key.columns)
    )
    for part in result.partitions(CHUNK_ROWS):
        yield [tuple(r) for r in part]


def table_checksum(conn: Connection, table: Table) -> tuple[int, str]:
    """(rows, checksum) of a table as ``rmp ledger copy`` verifies it."""
    check = _Checksum()
    for chunk in _chunks(conn, table):
        check.add(chunk)
    return check.rows, check.hex


def _self_references(table: Table) -> list[str]:
    """Columns pointing at the same table (a submission superseded by a later one):
    inserted blank first, filled once every row exists."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _copy_table(src: Connection, dst: Connection, table: Table) -> _Checksum:
    check = _Checksum()
    names = [c.name for c in table.columns]
    later = _self_references(table)
    pk = next(iter(table.primary_key.columns)).name
    pending: list[dict[str, Any]] = []
    for chunk in _chunks(src, table):
        check.add(chunk)
        rows = [dict(zip(names, row, strict=True)) for row in chunk]
        for row in rows:
            for col in later:
                if row[col] is not None:
                    pending.append({"_pk": row[pk], "_value": row[col], "_col": col})
                    row[col] = None
        dst.execute(insert(table), rows)
    for col in later:
        values = [{"_pk": p["_pk"], "_value": p["_value"]} for p in pending if p["_col"] == col]
        if values:
            dst.execute(
                update(table)
                .where(table.c[pk] == bindparam("_pk"))
                .values({col: bindparam("_value")}),
                values,
            )
    return check


def _reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """PostgreSQL: each serial id's sequence continues after the highest id copied."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's integer keys continue after the largest rowid by themselves
    prep = conn.dialect.identifier_preparer
    for table in tables:
        cols = list(table.primary_key.columns)
        if len(cols) != 1 or cols[0].type.python_type is not int:
            continue
        name, col = prep.format_table(table), prep.quote(cols[0].name)
        # setval(seq, max, true) hands out max + 1 next; an empty table starts at 1.
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :col), "
                f"COALESCE((SELECT MAX({col}) FROM {name}), 1), "
                f"EXISTS (SELECT 1 FROM {name}))"
            ),
            {"table": table.name, "col": cols[0].name},
        )


def _occupied(conn: Connection, tables: Iterable[Table]) -> dict[str, int]:
    found = {}
    for table in tables:
        if table.name == "schema_version":
            continue  # a fresh ledger notes its own creation there
        n = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if n:
            found[table.name] = n
    return found


def copy_ledger(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    busy_timeout: float | None = None,
) -> CopyResult:
    """Copy the whole ledger at ``source`` into the empty ledger at ``destination``.

    Either may be a SQLite path or a PostgreSQL URL. The destination is created
    (SQLite) or its tables are (PostgreSQL); it must hold no submissions yet. One
    transaction: after a failure the destination holds nothing of the copy.
    LedgerError says what went wrong in words.
    """
    started = time.perf_counter()
    src_url, src_path = _engine_url(source)
    dst_url, dst_path = _engine_url(destination)
    same = (src_path is not None and src_path == dst_path) or (
        src_path is None and dst_path is None and str(src_url) == str(dst_url)
    )
    if same:
        raise LedgerError("the source and the destination are the same ledger")
    created = dst_path is not None and not dst_path.exists()
    src = Ledger(source, create=False, busy_timeout=busy_timeout)
    try:
        try:
            dst = Ledger(destination, busy_timeout=busy_timeout)
        except LedgerError:
            if created and dst_path is not None:
                _remove_sqlite(dst_path)
            raise
        try:
            result = _copy(src, dst)
        except BaseException:
            dst.close()
            if created and dst_path is not None:
                _remove_sqlite(dst_path)
            raise
        dst.close()
    finally:
        src.close()
    result.seconds = time.perf_counter() - started
    return result


def _copy(src: Ledger, dst: Ledger) -> CopyResult:
    result = CopyResult(source=src.url, destination=dst.url)
    # The destination's own tables decide what is copied; both are at this rmp's layout.
    tables = list(dst.metadata.sorted_tables)
    with src._read() as read, dst.transaction() as write:
        occupied = _occupied(write, tables)
        if occupied:
            listed = ", ".join(f"{n} in {t}" for t, n in occupied.items())
            raise LedgerError(
                f"{dst.url}: the destination is not empty ({listed}); copy into a new, "
                "empty ledger (a new SQLite file, or a new PostgreSQL database)"
            )
        # The destination's creation note gives way to the source's migration history.
        write.execute(dst.tables["schema_version"].delete())
        checks: dict[str, _Checksum] = {}
        try:
            for table in tables:
                checks[table.name] = _copy_table(read, write, src.tables[table.name])
            _reset_sequences(write, tables)
        except DBAPIError as exc:
            raise LedgerError(f"{dst.url}: {describe_database_error(exc)}") from None
        for table in tables:
            rows, checksum = table_checksum(write, table)
            want = checks[table.name]
            if (rows, checksum) != (want.rows, want.hex):
                raise LedgerError(
                    f"{dst.url}: the copy of table {table.name} does not match the source "
                    f"({rows} rows, checksum {checksum[:12]}… against {want.rows} rows, "
                    f"{want.hex[:12]}…); nothing was copied"
                )
            result.tables.append(TableCopy(table.name, rows, checksum))
    return result


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
