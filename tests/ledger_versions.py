"""Test helper: turn a ledger into one as an earlier rmp wrote it (ledger version 1).

Version 1 is version 2 without the normalised keys: no ``row_key`` column on the record
tables, no ``item_key`` on restatements, and one schema_version row saying version 1. The
tables are otherwise the same, so a ledger written now and stripped of those columns is
what the previous rmp left behind; the next open must migrate it forward.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlalchemy import create_engine, inspect, text


def as_version_1(url_or_path: str | os.PathLike[str]) -> None:
    """Strip a (closed) ledger back to the version 1 layout, its rows kept."""
    raw = os.fspath(url_or_path)
    url = raw if "://" in raw else f"sqlite:///{Path(raw).resolve()}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            insp = inspect(conn)
            for name in insp.get_table_names():
                have = {c["name"] for c in insp.get_columns(name)}
                for column in {"row_key", "item_key"} & have:
                    conn.exec_driver_sql(f'ALTER TABLE "{name}" DROP COLUMN {column}')
            conn.exec_driver_sql("DELETE FROM schema_version")
            conn.execute(
                text(
                    "INSERT INTO schema_version (version, applied_at, note) "
                    "VALUES (1, :at, 'created ledger version 1')"
                ),
                {"at": dt.datetime(2026, 10, 1, 9, 0)},
            )
    finally:
        engine.dispose()


def columns(url_or_path: str | os.PathLike[str], table: str) -> list[str]:
    """A table's column names as the database has them."""
    raw = os.fspath(url_or_path)
    url = raw if "://" in raw else f"sqlite:///{Path(raw).resolve()}"
    engine = create_engine(url)
    try:
        return [c["name"] for c in inspect(engine).get_columns(table)]
    finally:
        engine.dispose()
