"""Queries: reading the ledger back (record frames, submissions, restatements,
findings, history, pre-fill rows and the record source for reconciliation).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Text,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from rmp_workbook.findings import LedgerError
from rmp_workbook.ledger.engine import LedgerEngine
from rmp_workbook.ledger.tables import (
    _PERIOD,
    _SQL_TYPES,
    CURRENT,
    record_table_name,
)
from rmp_workbook.records import PROVENANCE_COLUMNS, SourceSubmission
from rmp_workbook.schema import ColType, Sheet
from rmp_workbook.values import is_blank, item_key, item_key_text

if TYPE_CHECKING:
    import pandas as pd


class Queries(LedgerEngine):
    """The ledger's query methods (part of :class:`~rmp_workbook.ledger.Ledger`)."""

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
        """Records of current submissions with the provenance columns, oldest first, and
        ``_key``, the row's stored key (:func:`~rmp_workbook.values.stored_key`)."""
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
                rt.c.row_key.label("_key"),
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
        """Sheet key -> record frame (records.PROVENANCE_COLUMNS): every record of every current
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

        Columns sheet, item (as the restating workbook spells it), item_key
        (:func:`~rmp_workbook.values.item_key`), column, period (of the figure), partner,
        previous, restated, previous_file, file, previous_submission_id, submission_id,
        submitted_period, received_at, recorded_at. ``item`` selects an item however it
        is spelt (``k01`` finds ``K01``).
        """
        import pandas as pd

        rs = self.tables["restatements"]
        new = self.tables["submissions"].alias("new")
        old = self.tables["submissions"].alias("old")
        q = (
            select(
                rs.c.sheet,
                rs.c.item,
                rs.c.item_key,
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
            .order_by(rs.c.sheet, rs.c.item_key, rs.c.period, rs.c.partner, rs.c.id)
        )
        if period is not None:
            q = q.where(new.c.period <= period)
        if current_only:
            q = q.where(new.c.status == CURRENT)
        if sheet is not None:
            q = q.where(rs.c.sheet == sheet)
        if item is not None:
            q = q.where(rs.c.item_key == item_key_text(item))
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

        One row per (KPI, period, partner), the KPI known by its key whatever its
        spelling (``K01``, ``k01`` and `` K01 `` are one KPI): the figure from the latest
        current submission that reports it (the ID as the latest workbook spells it), the
        file it came from and when that file was received, how often it was restated and each
        restatement in words. ``kpi_id`` selects a KPI however it is spelt.
        Columns kpi_id, kpi, unit, direction, target, amber, period, partner, actual,
        file, received_at, submission_id, restated, restatements.
        """
        import pandas as pd

        sheet = next(s for s in self.sheets if s.key == "kpis")
        with self._read() as conn:
            rows = self._record_rows(conn, sheet, relationship_id, partner=partner)
        wanted = None if kpi_id is None else item_key_text(kpi_id)
        latest: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
        spelt: dict[str, Any] = {}
        for r in rows:  # ordered oldest first: the last one wins
            if r["_key"] is None:
                continue
            item = item_key(sheet, r["_key"])
            if wanted is None or item == wanted:
                latest[(item, r["period"], r["_partner"])] = r
                spelt[item] = r["kpi_id"]
        restated = self.restatements_frame(
            relationship_id, sheet="kpis", item=kpi_id, partner=partner
        )
        words: dict[tuple[Any, Any, Any], list[str]] = {}
        for r in restated.itertuples(index=False):
            words.setdefault((r.item_key, r.period, r.partner), []).append(
                f"{r.column} {_fmt(r.previous)} → {_fmt(r.restated)} in {r.file}"
                f" (was {r.previous_file})"
            )
        out = []
        for key in sorted(latest, key=lambda k: (str(k[0]), str(k[1]), str(k[2]))):
            r = latest[key]
            said = words.get(key, [])
            out.append(
                {
                    "kpi_id": spelt[key[0]],  # one spelling a KPI: its latest
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
        set to ``next_period`` and Actual and Comment blank. Every sheet the schema carries
        forward (``Sheet.carry_forward``: contacts, risks, bottlenecks, actions and the plan
        areas) gives its rows still open by ``Sheet.closed`` (risks not Closed, actions not
        Done …), from the partner's latest current workbook before ``next_period``.
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
                best: dict[Any, tuple[tuple[Any, ...], dict[str, Any]]] = {}
                # Own workbook first, then the others in partner order: the first
                # definition of a line wins and keeps its place.
                order = [own_id] if own_id is not None else []
                order += [i for p, i in sorted(latest.items()) if p != partner]
                lines: list[dict[str, Any]] = []
                seen: set[Any] = set()
                for sub_id in order:
                    rows = self._record_rows(conn, sheet, relationship_id, submission_id=sub_id)
                    # A workbook may carry several periods of a line: keep its latest.
                    for r in rows:
                        k = _line(sheet, ident, r)
                        rank = (str(r[sheet.period] or ""),) if sheet.period else ()
                        if k not in best or rank >= best[k][0]:
                            best[k] = (rank, r)
                    for r in rows:
                        k = _line(sheet, ident, r)
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
            # Registers and plans carry their open rows forward: the schema says which
            # sheets (Sheet.carry_forward) and which statuses end a row (Sheet.closed).
            for sheet in self.sheets:
                if not sheet.carry_forward or sheet.period:
                    continue
                rows = (
                    self._record_rows(conn, sheet, relationship_id, submission_id=own_id)
                    if own_id is not None
                    else []
                )
                out[sheet.key] = [
                    _input_values(sheet, r)
                    for r in rows
                    if sheet.status is None or sheet.is_open(r[sheet.status])
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


def _line(sheet: Sheet, ident: list[str], row: dict[str, Any]) -> Any:
    """What a KPI or SLA line is known by from month to month: its item key (``K01`` and
    ``k01`` are one line), or its key cells as they are when they are not whole."""
    key = row["_key"]
    return item_key(sheet, key) if key is not None else tuple(row[c] for c in ident)


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

    def __init__(self, ledger: Queries, relationship_id: str, period: str) -> None:
        self.ledger = ledger
        self.relationship_id = relationship_id
        self.period = period
        self._submissions: list[SourceSubmission] | None = None

    def submissions(self) -> list[SourceSubmission]:
        """Every current submission up to the period, in (period, partner, id) order, with
        the sheets holding its records."""
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

    def reopen(self) -> None:
        """Connections of its own for a forked copy of the process (:meth:`Ledger.reopen`)."""
        self.ledger.reopen()

    def records(
        self,
        sheet: Sheet,
        submission_ids: Sequence[Any],
        columns: Sequence[str] | None = None,
        period: str | None = None,
    ) -> Iterator[tuple[Any, int, tuple[Any, ...]]]:
        """(submission id, row index, values in ``sheet.columns`` order) of the sheet's
        records in those submissions, by submission then row; read :data:`IDS_PER_QUERY`
        submissions at a time. ``columns``: only these, in this order. ``period``: on a
        per-period sheet, only the rows of that month and those without one (the ledger
        stores a month as ``YYYY-MM``)."""
        rt = self.ledger.tables[record_table_name(sheet)]
        where = []
        if period is not None and sheet.period is not None:
            month = rt.c[sheet.period]
            where.append(or_(month == period, month.is_(None)))
        wanted = [sheet.column(k) for k in columns] if columns is not None else sheet.columns
        columns_ = [rt.c[c.key] for c in wanted]
        texts = [i for i, c in enumerate(wanted) if _SQL_TYPES[c.type] is Text]
        ids = list(submission_ids)
        with self.ledger._read() as conn:
            for start in range(0, len(ids), self.IDS_PER_QUERY):
                q = (
                    select(rt.c.submission_id, rt.c.row_index, *columns_)
                    .where(rt.c.submission_id.in_(ids[start : start + self.IDS_PER_QUERY]), *where)
                    .order_by(rt.c.submission_id, rt.c.row_index, rt.c.record_id)
                )
                for r in conn.execute(q).all():
                    values = r[2:]
                    for i in texts:
                        v = values[i]
                        if v is not None and (not v or v.isspace()):
                            values = tuple(
                                None if j in texts and is_blank(x) else x
                                for j, x in enumerate(values)
                            )
                            break
                    yield (r[0], r[1], values)
