"""Build ledger-style record frames in memory from compact row dicts.

``submission("Northwind Ltd", "2026-11", kpis=[kpi(actual=91)])`` is one
partner's workbook; ``combine(sub1, sub2, …)`` stacks submissions into the
``{sheet_key: DataFrame}`` that ``Ledger.frames`` returns: every schema column
of the sheet plus the provenance columns, blanks as None.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pandas as pd

from rmp_workbook.records import PROVENANCE_COLUMNS
from rmp_workbook.schema import SCHEMA

_ids = itertools.count(1)

Frames = dict[str, pd.DataFrame]


def row(sheet_key: str, **values: Any) -> dict[str, Any]:
    """A row of a sheet: the schema's example row overridden by ``values``."""
    sheet = SCHEMA[sheet_key]
    return {**sheet.example, **values}


def kpi(**values: Any) -> dict[str, Any]:
    return row("kpis", **values)


def sla(**values: Any) -> dict[str, Any]:
    return row("sla", **values)


def risk(**values: Any) -> dict[str, Any]:
    return row("risks", **values)


def contact(**values: Any) -> dict[str, Any]:
    return row("contacts", **values)


def stage(**values: Any) -> dict[str, Any]:
    return row("stages", **values)


def submission(
    partner: str,
    period: str,
    *,
    received_at: dt.datetime | None = None,
    file: str | None = None,
    **sheets: list[dict[str, Any]],
) -> Frames:
    """One partner's submission: sheet key -> rows (unknown column keys fail loudly)."""
    sub_id = f"S{next(_ids)}"
    received = received_at or dt.datetime.fromisoformat(f"{period}-28T12:00:00")
    out: Frames = {}
    for key, rows in sheets.items():
        sheet = SCHEMA[key]
        columns = [c.key for c in sheet.columns]
        records = []
        for i, values in enumerate(rows):
            unknown = set(values) - set(columns)
            if unknown:
                raise KeyError(f"{key} has no column(s) {sorted(unknown)}")
            rec: dict[str, Any] = {c: values.get(c) for c in columns}
            rec.update(
                {
                    "_partner": partner,
                    "_period": period,
                    "_submission_id": sub_id,
                    "_file": file or f"{partner} {period}.xlsx",
                    "_row": i,
                    "_received_at": received,
                }
            )
            records.append(rec)
        out[key] = pd.DataFrame(records, columns=[*columns, *PROVENANCE_COLUMNS], dtype=object)
    return out


def combine(*subs: Frames) -> Frames:
    """Stack submissions into one record frame per sheet."""
    out: Frames = {}
    for sub in subs:
        for key, frame in sub.items():
            out[key] = frame if key not in out else pd.concat([out[key], frame], ignore_index=True)
    return out
