"""Reconciliation: match partners' rows, show where they disagree, keep one reconciled view.

Pure functions over the ledger's record frames (see
:data:`rmp_workbook.records.PROVENANCE_COLUMNS`); nothing here reads or writes
files. :func:`consolidate` is the entry point; the rules are documented in
``docs/reconciliation.md``, whose tables :func:`matching_keys_markdown` generates.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from rmp_workbook import forked
from rmp_workbook.config import Thresholds
from rmp_workbook.findings import UsageError
from rmp_workbook.formulas import compute_row
from rmp_workbook.gaps import OWNED_OPEN, find_gaps, is_open_item
from rmp_workbook.plain import (
    LABEL_COLUMNS,
    clean,
    format_value,
    item_key,
    item_label,
    norm_key,
    norm_text,
    percent,
)
from rmp_workbook.records import Consolidated, Retired, SourceSubmission
from rmp_workbook.schema import REMOVE, SCHEMA, SHEETS, ColType, Sheet, SheetKind
from rmp_workbook.values import row_keyer

DISCREPANCY_COLUMNS = (
    "sheet",
    "item",
    "column",
    "values",
    "reconciled",
    "rule",
    "difference",
)
"""The fixed columns of ``Consolidated.discrepancies``; one column per partner follows
when the relationship has at most :data:`MAX_PARTNER_COLUMNS` partners."""

MAX_PARTNER_COLUMNS = 8
"""Up to this many partners, discrepancies carry one column per partner and ``values``
lists every partner's value. Beyond it (a supplier network of hundreds of partners) a
column per partner would be nearly all blank and grow with partners squared, so only the
``values`` summary is kept: the distinct values, how many partners gave each, and for
numbers who gave the smallest and the largest."""

MAX_LISTED_VALUES = 5
"""Distinct values a many-partner ``values`` summary lists before "N other values"."""

SUBMISSION_COLUMNS = (
    "file",
    "sha256",
    "partner",
    "period",
    "received_at",
    "schema_version",
    "status",
)
DATA_QUALITY_COLUMNS = ("file", "sheet", "cell", "column", "code", "severity", "message")
RESTATEMENT_COLUMNS = ("sheet", "item", "period", "partner", "previous", "restated", "file")
KPI_HISTORY_COLUMNS = (
    "kpi_id",
    "kpi",
    "unit",
    "direction",
    "target",
    "amber",
    "period",
    "partner",
    "actual",
)
SLA_HISTORY_COLUMNS = ("service", "measure", "direction", "target", "period", "partner", "actual")
HEALTH_BY_PARTNER_COLUMNS = ("behaviour", "partner", "score")

COMPARED_TYPES = frozenset(
    {
        ColType.TEXT,
        ColType.NUMBER,
        ColType.PERCENT,
        ColType.INTEGER,
        ColType.SCORE,
        ColType.CHOICE,
        ColType.DATE,
        ColType.EMAIL,
        ColType.PHONE,
    }
)
"""Column types whose values partners must agree on. Long text (comments,
evidence, mitigation) is each partner's own wording and is never compared."""

NOT_COMPARED = {
    "relationship": "each partner describes the relationship from its own side",
    "health": "each partner scores its own perception; differences are perception gaps",
}
"""Sheets whose rows are not compared across partners, and why."""

NUMERIC_TYPES = frozenset(
    {ColType.NUMBER, ColType.PERCENT, ColType.INTEGER, ColType.SCORE, ColType.FORMULA}
)

# --------------------------------------------------------------------------- values


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def relative_difference(values: Iterable[float]) -> float:
    """(largest - smallest) / largest magnitude; 0 when all values are equal."""
    nums = [float(v) for v in values]
    if not nums:
        return 0.0
    spread = max(nums) - min(nums)
    scale = max(abs(v) for v in nums)
    if spread == 0:
        return 0.0
    return spread / scale


def _same(a: Any, b: Any, col_type: ColType) -> bool:
    """Whether two non-blank values agree, ignoring case and spacing (digits only for phones)."""
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return a == b
    if col_type is ColType.PHONE:
        return re.sub(r"\D", "", str(a)) == re.sub(r"\D", "", str(b))
    return norm_key(a, col_type) == norm_key(b, col_type)


# --------------------------------------------------------------------------- partners


class PartnerNames:
    """One spelling per partner: names differing only by case or spacing are one partner.

    Expected partners' spellings win; otherwise the first spelling seen is kept.
    """

    def __init__(self, expected: Sequence[str]) -> None:
        self._canon: dict[str, str] = {}
        self.order: list[str] = []
        self._rank: dict[str, int] | None = None
        for name in expected:
            self.add(name)

    def add(self, name: Any) -> str:
        text = " ".join(str(name).split()) if clean(name) is not None else ""
        key = text.casefold()
        if key not in self._canon:
            self._canon[key] = text
            self.order.append(text)
            self._rank = None
        return self._canon[key]

    def __call__(self, name: Any) -> str:
        return self.add(name)

    @property
    def rank(self) -> dict[str, int]:
        """Spelling -> position in :attr:`order` (worked out once per new partner)."""
        if self._rank is None:
            self._rank = {n: i for i, n in enumerate(self.order)}
        return self._rank

    def sort(self, names: Iterable[str]) -> list[str]:
        rank = self.rank
        return sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n))

    def named_by(self, owner: Any, among: Iterable[str]) -> str | None:
        """The partner among ``among`` that an Owner cell names, or None.

        The owner names a partner when, ignoring case and spacing, one contains
        the other (``Northwind`` names ``Northwind Ltd``; so does
        ``Northwind Ltd (operations)``). Owners shorter than three characters
        name nobody; when several partners match, the one named exactly wins, else
        the longest name.
        """
        text = norm_text(owner) if clean(owner) is not None else ""
        if len(text) < 3:
            return None
        hits = [p for p in among if norm_text(p) and (text in norm_text(p) or norm_text(p) in text)]
        if not hits:
            return None
        # The partner named exactly wins (``Contoso`` beside ``Contoso Rail plc``).
        hits.sort(key=lambda p: (norm_text(p) == text, len(p)), reverse=True)
        return hits[0]


# --------------------------------------------------------------------------- rows


class RecordSource(Protocol):
    """Records to reconcile, handed over a sheet and a few submissions at a time.

    :meth:`Ledger.source <rmp_workbook.ledger.Ledger.source>` reads them from the
    ledger; a mapping of record frames (``Ledger.frames``) is wrapped in one too.
    """

    def submissions(self) -> Sequence[SourceSubmission]:
        """Every current submission up to the period, in (period, partner, id) order."""
        ...

    def records(
        self, sheet: Sheet, submission_ids: Sequence[Any]
    ) -> Iterable[tuple[Any, int, Sequence[Any]]]:
        """(submission id, row, values) of the sheet's records in those submissions.

        Values are in ``sheet.columns`` order, typed as the ledger stores them (str,
        int, float, ``datetime.date`` or None, never blank text nor NaN); each
        submission's records come in sheet order.
        """
        ...

    def reopen(self) -> None:
        """Called in a forked copy of the process before it reads (:mod:`rmp_workbook.forked`):
        open what it reads from afresh, never using what the parent holds open."""
        ...


@dataclass(slots=True, eq=False)
class _Row:
    """One partner's record with its provenance."""

    values: tuple[Any, ...]
    """Typed values in ``sheet.columns`` order (see :func:`_at` for a column's position):
    a tuple, not a dict, as a thousand partners' registers are held at once."""
    partner: str
    period: str
    submission: str
    row: int
    received_at: dt.datetime | None
    recency: tuple[str, dt.datetime, str]
    """Sort key: later reporting period, then later receipt, wins (one per submission)."""
    key: tuple[str, tuple[str, ...]] | None = None
    """The matching key, once :func:`_key` has worked it out."""


def _recency(
    period: str, received: dt.datetime | None, submission: str
) -> tuple[str, dt.datetime, str]:
    received = received or dt.datetime.min
    if received.tzinfo is not None:
        received = received.replace(tzinfo=None)
    return (period, received, submission)


class _Sub:
    """What every row of one submission shares: built once, referenced by each row."""

    __slots__ = ("id", "partner", "period", "received_at", "recency", "sheets", "submission")

    def __init__(self, sub: SourceSubmission, partners: PartnerNames) -> None:
        self.id = sub.id
        self.sheets = sub.sheets
        self.partner = partners(sub.partner)
        self.period = sub.period
        self.submission = str(sub.id)
        self.received_at = sub.received_at
        self.recency = _recency(sub.period, sub.received_at, self.submission)


_SHARED_TYPES = frozenset({ColType.TEXT, ColType.CHOICE, ColType.PERIOD, ColType.EMAIL})
"""Short text that repeats across partners' rows (status, owner, organisation): kept once."""


def _build_rows(
    sheet: Sheet, source: RecordSource, subs: Mapping[Any, _Sub], ids: Sequence[Any]
) -> list[_Row]:
    """The sheet's rows of these submissions, straight from the source's typed values."""
    if not ids:
        return []
    at = _at(sheet)[sheet.period] if sheet.period else -1
    shared_at = [i for i, c in enumerate(sheet.columns) if c.type in _SHARED_TYPES]
    shared: dict[str, str] = {}
    out = []
    for sub_id, row, values in source.records(sheet, ids):
        s = subs[sub_id]
        rec = list(values)
        for i in shared_at:
            v = rec[i]
            if v is not None:
                rec[i] = shared.setdefault(v, v)
        if at >= 0 and rec[at] is not None:
            rec[at] = as_period(rec[at])
        out.append(
            _Row(tuple(rec), s.partner, s.period, s.submission, row, s.received_at, s.recency)
        )
    return out


class FrameSource:
    """Record frames (:data:`rmp_workbook.records.PROVENANCE_COLUMNS`) as a record source.

    Rows of submissions after ``period`` are left out; each cell is cleaned
    (NaN and blank text to None, timestamps to dates). A submission id stands for
    one partner, period and receipt time, as in the ledger's frames.
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame], period: str) -> None:
        self._frames = frames
        self._period = period
        self._cached: tuple[str, dict[Any, list[tuple[int, tuple[Any, ...]]]]] | None = None
        found: dict[str, tuple[str, str, dt.datetime | None, set[str]]] = {}
        for sheet in SHEETS:
            for prov in self._provenance(sheet):
                if prov is None:
                    continue
                sub_id, partner, sub_period, received, _row = prov
                if sub_id not in found:
                    found[sub_id] = (partner, sub_period, received, set())
                found[sub_id][3].add(sheet.key)
        self._subs = [
            SourceSubmission(i, p, per, rec, frozenset(keys))
            for i, (p, per, rec, keys) in found.items()
        ]

    def _provenance(
        self, sheet: Sheet
    ) -> Iterator[tuple[str, Any, str, dt.datetime | None, int] | None]:
        """(submission id, partner, period, received, row) of each row of the sheet's frame
        up to the period, None for a row of a later period."""
        frame = self._frames.get(sheet.key)
        if frame is None or frame.empty:
            return
        n = len(frame)
        cols = ["_period", "_received_at", "_row", "_partner", "_submission_id"]
        lists = [frame[c].tolist() if c in frame.columns else [None] * n for c in cols]
        for period, received, row, partner, sub_id in zip(*lists, strict=True):
            sub_period = clean(period)
            sub_period = as_period(sub_period) if sub_period is not None else ""
            if sub_period > self._period:
                yield None  # keeps positions aligned with the frame's rows
                continue
            if isinstance(received, pd.Timestamp):
                received = None if pd.isna(received) else received.to_pydatetime()
            elif not isinstance(received, dt.datetime):
                received = None
            row = clean(row)
            yield (
                str(clean(sub_id) or ""),
                partner,
                sub_period,
                received,
                int(row) if _is_number(row) else 0,
            )

    def submissions(self) -> Sequence[SourceSubmission]:
        return self._subs

    def reopen(self) -> None:
        """Nothing to open: the frames are in memory, the copy's own."""

    def records(
        self, sheet: Sheet, submission_ids: Sequence[Any]
    ) -> Iterable[tuple[Any, int, Sequence[Any]]]:
        if self._cached is None or self._cached[0] != sheet.key:
            by_sub: dict[Any, list[tuple[int, tuple[Any, ...]]]] = {}
            frame = self._frames.get(sheet.key)
            if frame is not None and not frame.empty:
                n = len(frame)
                names = [c.key for c in sheet.columns]
                lists = [frame[c].tolist() if c in frame.columns else [None] * n for c in names]
                values = zip(*lists, strict=True)
                for prov, vals in zip(self._provenance(sheet), values, strict=True):
                    if prov is not None:
                        by_sub.setdefault(prov[0], []).append((prov[4], tuple(map(clean, vals))))
            self._cached = (sheet.key, by_sub)
        by_sub = self._cached[1]
        return [(i, row, vals) for i in submission_ids for row, vals in by_sub.get(i, ())]


_AT: dict[int, tuple[Sheet, dict[str, int]]] = {}


def _at(sheet: Sheet) -> dict[str, int]:
    """Column key -> position in ``sheet.columns`` (and in a row's values)."""
    hit = _AT.get(id(sheet))
    if hit is None or hit[0] is not sheet:
        hit = (sheet, {c.key: i for i, c in enumerate(sheet.columns)})
        _AT[id(sheet)] = hit
    return hit[1]


def _key(sheet: Sheet, row: _Row) -> tuple[str, tuple[str, ...]]:
    """The row's matching key: ('keys', …), ('alt', …) when a key is blank, else its own."""
    if row.key is None:
        row.key = _work_out_key(sheet, row)
    return row.key


def _work_out_key(sheet: Sheet, row: _Row) -> tuple[str, tuple[str, ...]]:
    values = row.values
    key = row_keyer(sheet).of_cells(tuple([values[i] for i in _key_positions(sheet)]))
    # Nothing to match on: the row stands alone.
    return key or ("own", (row.partner, row.submission, str(row.row)))


def _key_positions(sheet: Sheet) -> tuple[int, ...]:
    """Positions in a row's values of the sheet's key cells, in :class:`RowKeyer` order."""
    hit = _KEY_AT.get(id(sheet))
    if hit is None or hit[0] is not sheet:
        at = _at(sheet)
        hit = (sheet, tuple(at[k] for k in row_keyer(sheet).names))
        _KEY_AT[id(sheet)] = hit
    return hit[1]


_KEY_AT: dict[int, tuple[Sheet, tuple[int, ...]]] = {}


def compared_columns(sheet: Sheet) -> tuple[str, ...]:
    """The columns on which partners must agree: typed input columns, not keys, owner or
    the item's descriptive name (a KPI's name is worded as each partner likes)."""
    if sheet.key in NOT_COMPARED:
        return ()
    skip = {*sheet.keys, *sheet.alt_keys, sheet.owner, sheet.period, LABEL_COLUMNS.get(sheet.key)}
    return tuple(c.key for c in sheet.columns if c.type in COMPARED_TYPES and c.key not in skip)


# --------------------------------------------------------------------------- selection


def _with_occurrence(sheet: Sheet, rows: list[_Row]) -> list[tuple[tuple[Any, ...], _Row]]:
    """(key, row) pairs; a key repeated within one submission gets an occurrence number,
    so the second duplicate of one partner matches the other partner's second."""
    seen: dict[tuple[Any, ...], int] = {}
    out = []
    for r in rows:  # callers pass each submission's rows in sheet order
        base = _key(sheet, r)
        n = seen.get((r.partner, r.submission, base), 0)
        seen[(r.partner, r.submission, base)] = n + 1
        out.append(((*base, n), r))
    return out


def period_end(period: str) -> dt.date:
    """The last day of a ``YYYY-MM`` period: the day its gaps are aged against."""
    year, month = (int(x) for x in as_period(period).split("-")[:2])
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def as_period(value: Any) -> str:
    """A period as ``YYYY-MM`` (a date, ``2026-11-01`` or ``2026-11`` alike), so periods sort."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    return _period_text(str(value))


_PERIOD = re.compile(r"^(\d{4})-(\d{1,2})(?:\D|$)")


@functools.lru_cache(maxsize=4096)
def _period_text(text: str) -> str:
    text = text.strip()
    found = _PERIOD.match(text)
    return f"{found.group(1)}-{int(found.group(2)):02d}" if found else text


# --------------------------------------------------------------------------- matching


@dataclass
class _Group:
    """One item, as each partner reported it."""

    key: tuple[Any, ...]
    rows: list[_Row] = field(default_factory=list)

    def partners(self) -> set[str]:
        return {r.partner for r in self.rows}


def match(sheet: Sheet, rows: list[_Row], partners: PartnerNames) -> list[_Group]:
    """Group rows across partners by the sheet's keys.

    Rows with a blank key match by ``alt_keys`` (a contact without e-mail
    matches by name): first with another partner's keyed row of that name when
    exactly one exists, else with other keyless rows of that name.
    """
    rank = {p: i for i, p in enumerate(partners.order)}
    ordered = sorted(rows, key=lambda r: (rank.get(r.partner, len(rank)), r.partner, r.row))
    groups: dict[tuple[Any, ...], _Group] = {}
    pending: list[tuple[tuple[Any, ...], _Row]] = []
    for key, r in _with_occurrence(sheet, ordered):
        if key[0] == "alt":
            pending.append((key, r))
            continue
        groups.setdefault(key, _Group(key)).rows.append(r)
    if pending:
        by_alt: dict[tuple[Any, ...], list[_Group]] = {}
        for g in groups.values():
            if g.key[0] != "keys":
                continue
            alt = tuple(norm_key(g.rows[0].values[_at(sheet)[k]]) for k in sheet.alt_keys)
            by_alt.setdefault(alt, []).append(g)
        for key, r in pending:
            candidates = [g for g in by_alt.get(key[1], []) if r.partner not in g.partners()]
            if len(candidates) == 1:
                candidates[0].rows.append(r)
            else:
                groups.setdefault(key, _Group(key)).rows.append(r)
    # Keep the order rows were first seen: first partner's order, then the others'.
    out = list(groups.values())
    if sheet.kind is SheetKind.FIXED and sheet.fixed_rows:
        fixed = {norm_text(v): i for i, v in enumerate(sheet.fixed_rows)}
        first = _at(sheet)[sheet.keys[0]]
        out.sort(key=lambda g: fixed.get(norm_key(g.rows[0].values[first]), len(fixed)))
    return out


# --------------------------------------------------------------------------- reconciling


@dataclass
class _Choice:
    value: Any
    rule: str


def _pick(
    sheet: Sheet,
    col: str,
    owner: str | None,
    by_recency: list[_Row],
) -> _Choice:
    """The reconciled value of one column and the rule that chose it."""
    col_type = sheet.column(col).type
    i = _at(sheet)[col]
    present = [r for r in by_recency if r.values[i] is not None]
    if not present:
        return _Choice(None, "")
    if col_type is ColType.SCORE:
        if sheet.key == "health":
            scores = [float(r.values[i]) for r in present]
            return _Choice(round(sum(scores) / len(scores), 1), "Mean of the partners' scores")
        top = max(present, key=lambda r: r.values[i])
        return _Choice(top.values[i], "Higher score (prudent)")
    if owner is not None:
        for r in present:
            if r.partner == owner:
                return _Choice(r.values[i], f"Owner's figure ({owner})")
    latest = present[0]
    received = latest.received_at.date().isoformat() if latest.received_at else latest.period
    return _Choice(latest.values[i], f"Most recent submission ({latest.partner}, {received})")


def _disagree(sheet: Sheet, col: str, values: list[Any], tolerance: float) -> tuple[bool, str]:
    """Whether non-blank values disagree, and the difference as text."""
    col_type = sheet.column(col).type
    if len(values) < 2:
        return False, ""
    if col_type in NUMERIC_TYPES and all(_is_number(v) for v in values):
        rel = relative_difference(values)
        if rel > tolerance:
            return True, f"{rel:.1%} (tolerance {percent(tolerance)})"
        return False, ""
    first = values[0]
    if all(_same(first, v, col_type) for v in values[1:]):
        return False, ""
    return True, "different"


def _values_text(per_partner: Mapping[str, Any], order: Sequence[str]) -> str:
    """Each partner's value (``A: 91; B: 88``) or, for many partners, a summary of them."""
    listed = [p for p in order if p in per_partner]
    if len(listed) <= MAX_PARTNER_COLUMNS:
        return "; ".join(f"{p}: {format_value(per_partner[p])}" for p in listed)
    counts: dict[str, int] = {}
    for p in listed:
        text = format_value(per_partner[p])
        counts[text] = counts.get(text, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    parts = [f"{v} ({n} partner{'s' if n > 1 else ''})" for v, n in ranked[:MAX_LISTED_VALUES]]
    if len(ranked) > MAX_LISTED_VALUES:
        parts.append(f"{len(ranked) - MAX_LISTED_VALUES} other values")
    text = f"{len(listed)} partners: " + "; ".join(parts)
    numbers = [p for p in listed if _is_number(per_partner[p])]
    if len(numbers) == len(listed):
        low = min(numbers, key=lambda p: per_partner[p])
        high = max(numbers, key=lambda p: per_partner[p])
        text += (
            f"; lowest {low}: {format_value(per_partner[low])}"
            f", highest {high}: {format_value(per_partner[high])}"
        )
    return text


def _reconcile_group(
    sheet: Sheet,
    group: _Group,
    partners: PartnerNames,
    tolerance: float,
    partner_columns: bool = True,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    by_recency = sorted(group.rows, key=lambda r: r.recency, reverse=True)
    present_partners = partners.sort(group.partners())
    owner = None
    if sheet.owner:
        at_owner = _at(sheet)[sheet.owner]
        for r in by_recency:
            if r.values[at_owner] is not None:
                owner = partners.named_by(r.values[at_owner], present_partners)
                if owner:
                    break
    source = owner or by_recency[0].partner
    src_rows = [r for r in by_recency if r.partner == source] + [
        r for r in by_recency if r.partner != source
    ]
    out: dict[str, Any] = {}
    for i, c in enumerate(sheet.columns):
        out[c.key] = next((r.values[i] for r in src_rows if r.values[i] is not None), None)
    discrepancies = []
    compared = set(compared_columns(sheet))
    for i, c in enumerate(sheet.columns):
        score_mean = sheet.key == "health" and c.type is ColType.SCORE
        if c.key not in compared and not score_mean:
            continue
        choice = _pick(sheet, c.key, owner, by_recency)
        out[c.key] = choice.value
        if c.key not in compared or len(present_partners) < 2:
            continue
        # One value per partner: its most recent row (duplicates were split by occurrence).
        per_partner = {}
        for r in by_recency:
            if r.partner not in per_partner and r.values[i] is not None:
                per_partner[r.partner] = r.values[i]
        differ, difference = _disagree(sheet, c.key, list(per_partner.values()), tolerance)
        if not differ:
            continue
        label = item_label(sheet, out)
        discrepancies.append(
            {
                "sheet": sheet.name,
                "item": label,
                "column": c.header,
                "values": _values_text(per_partner, present_partners),
                "reconciled": choice.value,
                "rule": choice.rule,
                "difference": difference,
                **({p: per_partner.get(p) for p in present_partners} if partner_columns else {}),
            }
        )
    if sheet.kind is SheetKind.FIXED and sheet.keys:
        out[sheet.keys[0]] = _canonical_fixed(sheet, out[sheet.keys[0]])
    compute_row(sheet, out)  # the reconciled Score, from the reconciled inputs
    out["partners"] = ", ".join(present_partners)
    out["source"] = source
    return out, discrepancies


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame with exactly these columns (object dtype keeps ints, dates and None as they are)."""
    return pd.DataFrame(
        [[r.get(c) for c in columns] for r in rows], columns=list(columns), dtype=object
    )


def _or_empty(frame: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return frame


# --------------------------------------------------------------------------- entry point


def consolidate(
    frames: Mapping[str, pd.DataFrame] | RecordSource,
    *,
    relationship_id: str,
    relationship_name: str,
    period: str,
    expected_partners: Sequence[str],
    thresholds: Thresholds | None = None,
    submissions: pd.DataFrame | None = None,
    restatements: pd.DataFrame | None = None,
    data_quality: pd.DataFrame | None = None,
    today: dt.date | None = None,
    as_of: dt.date | None = None,
    former_partners: Mapping[str, str] | None = None,
    plan_owners: Mapping[tuple[str, ...], str] | None = None,
) -> Consolidated:
    """The reconciled view of a relationship for ``period``, with discrepancies and gaps.

    ``frames`` are the ledger's record frames by sheet key (sheets missing from it
    count as empty), or a :class:`RecordSource` such as ``Ledger.source(...)``,
    read one sheet at a time: a sheet's rows are reconciled, then dropped. Partners'
    names differing only by case or spacing are one partner (the expected
    partners' spelling is kept).

    Gaps are aged against ``as_of`` (``today`` is its older name): by default the
    period's last day, so a month rebuilt later gives the view that was issued.

    ``former_partners`` (name -> day it left) are partners who have left by ``period``:
    their rows no longer count in the view, and the open items they own or alone report
    are retired (``Consolidated.retired``, listed by a gap) until reassigned.
    ``plan_owners`` (:meth:`RelationshipConfig.plan_owners
    <rmp_workbook.config.RelationshipConfig.plan_owners>`) are the owners the plan names
    for KPIs and SLA lines: a current partner there reassigns the item.
    """
    thresholds = thresholds or Thresholds.model_validate({})
    period = as_period(period)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise UsageError(f"period {period!r} is not a month written YYYY-MM, e.g. 2026-11")
    as_of = as_of or today or period_end(period)
    partners = PartnerNames(expected_partners)
    leavers = _Leavers(former_partners or {}, plan_owners or {}, partners)
    source = FrameSource(frames, period) if isinstance(frames, Mapping) else frames
    listed = [s for s in source.submissions() if s.sheets and s.period <= period]
    # Partners are ranked in the order their records first appear, sheet by sheet.
    for sheet in SHEETS:
        for s in listed:
            if sheet.key in s.sheets:
                partners(s.partner)
    subs = {s.id: _Sub(s, partners) for s in listed}
    # Each partner's most recent submission (over every sheet).
    latest: dict[str, _Sub] = {}
    for sub in subs.values():
        if sub.partner not in latest or sub.recency > latest[sub.partner].recency:
            latest[sub.partner] = sub
    latest_ids = {sub.id for sub in latest.values()}

    submitted = {sub.partner for sub in subs.values() if sub.period == period}
    if (
        submissions is not None
        and not submissions.empty
        and {"partner", "period"} <= set(submissions.columns)
    ):
        statuses = submissions["status"] if "status" in submissions.columns else None
        for i, (who, when) in enumerate(
            zip(submissions["partner"].tolist(), submissions["period"].tolist(), strict=True)
        ):
            status = norm_text(statuses.iloc[i] or "") if statuses is not None else ""
            if str(when) == period and not status.startswith(
                ("superseded", "rejected", "invalid", "failed")
            ):
                submitted.add(partners(who))

    seen_partners = partners.sort(
        sub.partner for sub in subs.values() if not leavers.has_left(sub.partner)
    )
    discrepancy_partners = partners.sort(
        [*seen_partners, *(partners(p) for p in expected_partners)]
    )
    partner_columns = len(discrepancy_partners) <= MAX_PARTNER_COLUMNS
    discrepancy_columns = [*DISCREPANCY_COLUMNS, *(discrepancy_partners if partner_columns else ())]
    # The per-period sheets' rows and histories (a third of the work at 200 partners) go
    # to a forked copy of the process while the other sheets are reconciled here.
    per_period = [s for s in SHEETS if s.period]
    held = sum(1 for s in listed for sheet in per_period if sheet.key in s.sheets)
    work = functools.partial(_per_period_work, per_period, source, subs, period)
    done: dict[str, tuple[pd.DataFrame, list[tuple[Any, ...]], list[Retired]]] = {}
    health_rows: list[_Row] = []
    wanted = held >= BACKGROUND_SUBMISSIONS
    with forked.Pending(work, prepare=source.reopen, wanted=wanted) as pending:
        # Sheet by sheet: build the rows that count, reconcile them, keep the table, drop them.
        for sheet in [s for s in SHEETS if not s.period] + per_period:
            if sheet.period:
                now = pending.result()[sheet.key][0]
            elif sheet.key in CARRIED_FORWARD:
                ids = [s.id for s in listed if sheet.key in s.sheets]
                latest_subs = {str(i) for i in latest_ids}
                now = _carry_forward(sheet, _build_rows(sheet, source, subs, ids), latest_subs)
            else:
                ids = [s.id for s in listed if s.id in latest_ids and sheet.key in s.sheets]
                now = _build_rows(sheet, source, subs, ids)
            gone: list[_Row] = []
            if leavers:  # a partner who has left no longer speaks for the current view
                now, gone = leavers.split(now)
            done[sheet.key] = _reconcile_sheet(
                sheet, now, gone, partners, leavers, thresholds, discrepancy_columns,
                partner_columns,
            )  # fmt: skip
            if sheet.key == "health":
                health_rows = now
            del now, gone
        history_frames = {k: v[1] for k, v in pending.result().items() if v[1] is not None}
    # In the schema's order, whichever order they were worked out in.
    tables = {key: done[key][0] for key in (s.key for s in SHEETS)}
    all_discrepancies = [d for s in SHEETS for d in done[s.key][1]]
    leavers.retired.extend(r for s in SHEETS for r in done[s.key][2])

    rank = partners.rank
    behaviour, score = (_at(SCHEMA["health"])[k] for k in ("behaviour", "score"))
    health_by_partner = _frame(
        [
            {
                "behaviour": _canonical_fixed(SCHEMA["health"], r.values[behaviour]),
                "partner": r.partner,
                "score": r.values[score],
            }
            for r in sorted(health_rows, key=lambda r: (rank[r.partner], r.row))
            if r.values[behaviour] is not None
        ],
        HEALTH_BY_PARTNER_COLUMNS,
    )

    result = Consolidated(
        relationship_id=relationship_id,
        relationship_name=relationship_name,
        period=period,
        partners=partners.sort(submitted),
        expected_partners=[partners(p) for p in expected_partners],
        tables=tables,
        kpi_history=history_frames["kpis"],
        sla_history=history_frames["sla"],
        discrepancies=pd.DataFrame(all_discrepancies, columns=discrepancy_columns, dtype=object),
        gaps=[],
        submissions=_or_empty(submissions, SUBMISSION_COLUMNS),
        data_quality=_or_empty(data_quality, DATA_QUALITY_COLUMNS),
        restatements=_or_empty(restatements, RESTATEMENT_COLUMNS),
        health_by_partner=health_by_partner,
        thresholds=thresholds,
        as_of=as_of,
        former_partners=dict(former_partners or {}),
        retired=leavers.retired,
    )
    if leavers:
        leavers.retire_history(result)
    result.gaps = find_gaps(result, thresholds, as_of)
    return result


BACKGROUND_SUBMISSIONS = 240
"""From this many submissions holding per-period sheets (20 partners for a year), their
rows and histories are worked out by a forked copy of the process (:mod:`rmp_workbook.forked`)
while the other sheets are reconciled: below it, forking costs more than it saves."""

_HISTORY_COLUMNS = {"kpis": KPI_HISTORY_COLUMNS, "sla": SLA_HISTORY_COLUMNS}


def _per_period_work(
    sheets: Sequence[Sheet], source: RecordSource, subs: Mapping[Any, _Sub], period: str
) -> dict[str, tuple[list[_Row], pd.DataFrame | None]]:
    """Each per-period sheet's rows for ``period`` and its history (None for a sheet
    without one), a sheet at a time."""
    out: dict[str, tuple[list[_Row], pd.DataFrame | None]] = {}
    for sheet in sheets:
        columns = _HISTORY_COLUMNS.get(sheet.key)
        history = _History(sheet, columns) if columns is not None else None
        now = _per_period_rows(sheet, source, subs, period, history)
        out[sheet.key] = (now, history.frame() if history is not None else None)
    return out


def _reconcile_sheet(
    sheet: Sheet,
    now: list[_Row],
    gone: list[_Row],
    partners: PartnerNames,
    leavers: _Leavers,
    thresholds: Thresholds,
    discrepancy_columns: Sequence[str],
    partner_columns: bool,
) -> tuple[pd.DataFrame, list[tuple[Any, ...]], list[Retired]]:
    """One sheet's reconciled table, its discrepancies (tuples in ``discrepancy_columns``
    order) and the open items it retires; ``gone`` are the rows of partners who have left."""
    start = len(leavers.retired)
    out_rows = []
    # Tuples, not dicts: a thousand partners disagree on tens of thousands of values.
    found_all: list[tuple[Any, ...]] = []
    groups = match(sheet, now, partners)
    for group in groups:
        row, found = _reconcile_group(
            sheet, group, partners, thresholds.numeric_tolerance, partner_columns
        )
        if _removed(row):
            continue  # taken off the register on purpose (the latest word is Remove)
        if leavers and leavers.retire_owned(sheet, row):
            continue
        out_rows.append(row)
        found_all.extend(tuple(d.get(c) for c in discrepancy_columns) for d in found)
    table = _frame(out_rows, [*(c.key for c in sheet.columns), "partners", "source"])
    if gone:
        leavers.retire_unreported(sheet, gone, {g.key for g in groups})
    retired = leavers.retired[start:]
    del leavers.retired[start:]
    return table, found_all, retired


class _Leavers:
    """Partners who have left by the period, and the open items they leave behind."""

    def __init__(
        self,
        former: Mapping[str, str],
        plan_owners: Mapping[tuple[str, ...], str],
        partners: PartnerNames,
    ) -> None:
        self.names = {" ".join(str(p).split()).casefold(): str(p) for p in former}
        self.plan_owners = plan_owners
        self.partners = partners
        self.retired: list[Retired] = []

    def __bool__(self) -> bool:
        return bool(self.names)

    def has_left(self, partner: str) -> str | None:
        """The spelling the config gives a partner who has left, or None."""
        return self.names.get(partner.casefold())

    def owner(self, value: Any) -> str | None:
        """The partner who has left that an Owner cell names, or None.

        Every partner is a candidate, so an owner naming a current partner whose name
        contains a former one's (``Contoso Rail plc`` and ``Contoso``) is the current one.
        """
        hit = self.partners.named_by(value, [*self.partners.order, *self.names.values()])
        return self.has_left(hit) if hit else None

    def split(self, rows: list[_Row]) -> tuple[list[_Row], list[_Row]]:
        """(rows of current partners, rows of partners who have left)."""
        keep: list[_Row] = []
        gone: list[_Row] = []
        for r in rows:
            (gone if self.has_left(r.partner) else keep).append(r)
        return keep, gone

    def _retire(self, sheet: Sheet, row: Mapping[str, Any], partner: str, why: str) -> None:
        self.retired.append(
            Retired(
                sheet.key, item_label(sheet, row), partner, why, item_key(sheet, row), dict(row)
            )
        )

    def retire_owned(self, sheet: Sheet, row: dict[str, Any]) -> bool:
        """Retire a reconciled open item whose owner has left; True when it was."""
        if sheet.key not in OWNED_OPEN or not is_open_item(sheet.key, row):
            return False
        who = self.owner(row.get(sheet.owner or "owner"))
        if who is None:
            return False
        planned = self.plan_owners.get((sheet.key, *item_key(sheet, row)))
        if planned and self.owner(planned) is None:
            return False  # the config names a current owner: reassigned
        self._retire(sheet, row, who, "owner")
        return True

    def retire_unreported(self, sheet: Sheet, gone: list[_Row], current: set[Any]) -> None:
        """Retire the open items only partners who have left still report."""
        if sheet.key not in OWNED_OPEN:
            return
        for group in match(sheet, gone, self.partners):
            if group.key in current:
                continue  # a current partner reports it: it stays, by their word
            row, _ = _reconcile_group(sheet, group, self.partners, 0.0, False)
            if _removed(row) or not is_open_item(sheet.key, row):
                continue
            who = self.owner(row.get(sheet.owner or "owner")) or str(row.get("source"))
            self._retire(sheet, row, self.has_left(who) or who, "reported")

    def retire_history(self, c: Consolidated) -> None:
        """Retire the KPIs and SLA lines whose history only partners who have left report
        (no current partner gives a figure any more), and those retired by owner, so no
        tile is drawn for them."""
        for key, frame, cols in (
            ("kpis", c.kpi_history, ("kpi_id",)),
            ("sla", c.sla_history, ("service", "measure")),
        ):
            table = c.tables.get(key)
            now = set()
            if table is not None and len(table):
                now = {item_key(SCHEMA[key], r) for r in table.to_dict("records")}
            done = {r.key for r in self.retired if r.sheet == key}
            if frame is None or not len(frame):
                continue
            for ident, group in frame.groupby(list(cols), sort=False):
                values = ident if isinstance(ident, tuple) else (ident,)
                item = dict(zip(cols, values, strict=True))
                k = item_key(SCHEMA[key], item)
                if k in now or k in done:
                    continue
                who = [self.has_left(str(p)) for p in group["partner"].unique()]
                if not who or not all(who):
                    continue
                last = group.iloc[-1].to_dict()
                label = item_label(SCHEMA[key], {**last, **item})
                self.retired.append(Retired(key, label, str(who[-1]), "reported", k))
                done.add(k)


CARRIED_FORWARD = ("risks", "bottlenecks", "actions", "successes", "testimonials")
"""Registers whose items carry forward: a partner's latest row of each item over all its
submissions up to the period counts, not only the rows of its latest workbook. An item
leaves a register on purpose (a risk Closed, an action Done, a success or testimonial
marked Remove), never by a row left out."""


def _removed(row: Mapping[str, Any]) -> bool:
    """Whether a reconciled register entry was removed on purpose (Keep or remove: Remove)."""
    entry = row.get("entry")
    return entry is not None and norm_text(entry) == norm_text(REMOVE)


def _carry_forward(sheet: Sheet, rows: list[_Row], latest: set[str]) -> list[_Row]:
    """Each partner's most recent row of each keyed item, from whichever of its workbooks
    last reported it; a row without a key counts only from the partner's latest workbook."""
    best: dict[tuple[str, tuple[Any, ...]], _Row] = {}
    for key, r in _with_occurrence(sheet, rows):
        if key[0] == "own":
            if r.submission in latest:
                best[(r.partner, key)] = r
            continue
        seen = best.get((r.partner, key))
        if seen is None or r.recency > seen.recency:
            best[(r.partner, key)] = r
    return list(best.values())


SUBMISSIONS_PER_READ = 64
"""Per-period sheets are read this many submissions at a time (whole partners)."""


def _per_period_rows(
    sheet: Sheet,
    source: RecordSource,
    subs: Mapping[Any, _Sub],
    period: str,
    history: _History | None,
) -> list[_Row]:
    """A per-period sheet's rows that count for ``period``, read a few partners at a time.

    Each partner's latest row of each item is worked out from that partner's records
    alone (:func:`_latest_per_item`); every such row goes to ``history``, and only the
    ones of ``period`` become rows to match. Partners are taken in name order, so the
    result is as if every partner's records were worked out at once.
    """
    by_partner: dict[str, list[Any]] = {}
    for sub in subs.values():
        if sheet.key in sub.sheets:
            by_partner.setdefault(sub.partner, []).append(sub.id)
    names = [c.key for c in sheet.columns]
    at = names.index(sheet.period or "")
    now: list[_Row] = []

    def work_out(chunk: list[str]) -> None:
        grouped: dict[str, dict[_Sub, list[_Record]]] = {p: {} for p in chunk}
        ids = [i for p in chunk for i in by_partner[p]]
        for sub_id, row, values in source.records(sheet, ids):
            s = subs[sub_id]
            grouped[s.partner].setdefault(s, []).append((s, row, values))
        for p in chunk:
            kept = _latest_per_item(sheet, grouped.pop(p), period)
            if history is not None:
                history.add(kept)
            for s, row, values, row_period, key in kept:
                if row_period == period:
                    rec = list(values)
                    rec[at] = row_period
                    now.append(
                        _Row(tuple(rec), s.partner, s.period, s.submission, row, s.received_at,
                             s.recency, key)
                    )  # fmt: skip

    chunk: list[str] = []
    size = 0
    for p in sorted(by_partner):
        chunk.append(p)
        size += len(by_partner[p])
        if size >= SUBMISSIONS_PER_READ:
            work_out(chunk)
            chunk, size = [], 0
    if chunk:
        work_out(chunk)
    return now


_Record = tuple["_Sub", int, Sequence[Any]]
"""A record as a source gives it: its submission, its row and its values in column order."""
_ROW = operator.itemgetter(1)

_Kept = tuple["_Sub", int, Sequence[Any], str, "tuple[str, tuple[str, ...]] | None"]
"""A record kept by :func:`_latest_per_item`: submission, row, values, the row's period
(``YYYY-MM``; the submission's when blank) and its matching key (None when the period
was blank: the key then changes with the period filled in)."""


def _latest_per_item(
    sheet: Sheet, records: Mapping[_Sub, list[_Record]], period: str
) -> list[_Kept]:
    """One partner's latest record of each item of a per-period sheet, up to ``period``.

    The item's key includes the period; a key repeated within one submission gets an
    occurrence number (as in :func:`_with_occurrence`). Works on the values as the
    source gives them: no row is built for a record that is not kept.
    """
    names = [c.key for c in sheet.columns]
    at = names.index(sheet.period or "")
    key_at = _key_positions(sheet)
    keyer = row_keyer(sheet)
    best: dict[tuple[Any, ...], tuple[tuple[Any, ...], _Kept]] = {}
    seen: dict[tuple[Any, ...], int] = {}
    # By submission, then row (stable: the source's order breaks ties).
    ordered = sorted(records.items(), key=lambda kv: kv[0].submission)
    for s, row, values in (r for _s, rs in ordered for r in sorted(rs, key=_ROW)):
        row_period = values[at]
        if row_period is not None:
            row_period = as_period(row_period)
        # The row's key, its period read as a month (2026-11-01 is 2026-11).
        cells = tuple([row_period if i == at else values[i] for i in key_at])
        base = keyer.of_cells(cells) or ("own", (s.partner, s.submission, str(row)))
        n = seen.get((s.submission, base), 0)
        seen[(s.submission, base)] = n + 1
        key: tuple[str, tuple[str, ...]] | None = base
        if row_period is None:
            row_period, key = s.period, None
        if row_period > period:
            continue
        item = (*base, n)
        if item not in best or s.recency > best[item][0]:
            best[item] = (s.recency, (s, row, values, row_period, key))
    return [kept for _, kept in best.values()]


def _canonical_fixed(sheet: Sheet, value: Any) -> Any:
    """A fixed row's name as the schema spells it (``trust`` -> ``Trust``)."""
    for v in sheet.fixed_rows:
        if norm_text(v) == norm_key(value):
            return v
    return value


class _History:
    """A per-period sheet's history (every period up to the consolidated one, per partner:
    the latest submission's figure), gathered partner by partner.

    A row is kept as its period, partner, actual and the position of its *line*: the
    other columns (item id, name, unit, direction, target…), which repeat from month to
    month, are kept once per distinct line. One spelling per item id is shown across
    partners and months (``k01`` and ``K01`` are one KPI): the most recent submission's.
    """

    def __init__(self, sheet: Sheet, columns: Sequence[str]) -> None:
        self.sheet = sheet
        self.columns = list(columns)
        self.ids = [k for k in sheet.keys if k != sheet.period]
        own = ("period", "partner", "actual")
        self.line_columns = [c for c in self.columns if c not in own]
        self.lines: dict[tuple[Any, ...], int] = {}
        self.line_values: list[tuple[Any, ...]] = []
        self.line_norms: list[tuple[str, ...]] = []
        self.line: list[int] = []
        self.period: list[str] = []
        self.partner: list[str] = []
        self.actual: list[Any] = []
        self.display: list[dict[str, tuple[tuple[Any, ...], Any]]] = [{} for _ in self.ids]

    def add(self, kept: Iterable[_Kept]) -> None:
        """Records as :func:`_latest_per_item` keeps them, partner by partner in name order."""
        names = [c.key for c in self.sheet.columns]
        keys = list(self.sheet.keys)
        take = operator.itemgetter(*(names.index(c) for c in self.line_columns))
        single = len(self.line_columns) == 1
        id_at = [self.line_columns.index(k) for k in self.ids]
        # An id's norm_key is the matching key's part for that column (not for e-mail).
        id_part = [
            keys.index(k) if k in keys and self.sheet.column(k).type is not ColType.EMAIL
            else None
            for k in self.ids
        ]  # fmt: skip
        actual_at = names.index("actual") if "actual" in names else -1
        lines, line_values, line_norms = self.lines, self.line_values, self.line_norms
        displays = self.display
        for s, _row, values, row_period, key in kept:
            vals = (take(values),) if single else take(values)
            # Types too: 95 and 95.0 are equal but each row keeps its own.
            found = (vals, tuple(map(type, vals)))
            n = lines.get(found)
            if n is None:
                parts = key[1] if key is not None and key[0] == "keys" else None
                norms = tuple(
                    ""
                    if vals[i] is None
                    else parts[j]
                    if parts is not None and j is not None
                    else norm_key(vals[i])
                    for i, j in zip(id_at, id_part, strict=True)
                )
                n = lines[found] = len(line_values)
                line_values.append(vals)
                line_norms.append(norms)
            norms = line_norms[n]
            for i, display, nk in zip(id_at, displays, norms, strict=True):
                if vals[i] is None:
                    continue
                # Most recent wins; among records of one submission, the first.
                seen = display.get(nk)
                if seen is None or s.recency > seen[0]:
                    display[nk] = (s.recency, vals[i])
            self.line.append(n)
            self.period.append(row_period)
            self.partner.append(s.partner)
            self.actual.append(values[actual_at] if actual_at >= 0 else None)

    def frame(self) -> pd.DataFrame:
        """The history by item, period and partner (object columns, as the view documents).

        Filled column by column into one block that becomes the frame's own."""
        n = len(self.line)
        lines = np.fromiter(self.line, dtype=np.int64, count=n)
        order = _sort_order(
            [
                *([self.line_norms[x][j] for x in self.line] for j in range(len(self.ids))),
                self.period,
                self.partner,
            ]
        )
        lines = lines[order]
        block = np.empty((len(self.columns), n), dtype=object)
        own = {"period": self.period, "partner": self.partner, "actual": self.actual}
        for j, c in enumerate(self.columns):
            if c in own:
                block[j] = np.fromiter(own[c], dtype=object, count=n)[order]
                continue
            i = self.line_columns.index(c)
            if c in self.ids:
                display = self.display[self.ids.index(c)]
                at = self.ids.index(c)
                per_line = np.fromiter(
                    (
                        v[i] if v[i] is None else display[norms[at]][1]
                        for v, norms in zip(self.line_values, self.line_norms, strict=True)
                    ),
                    dtype=object,
                    count=len(self.line_values),
                )
            else:
                per_line = np.fromiter(
                    (v[i] for v in self.line_values), dtype=object, count=len(self.line_values)
                )
            block[j] = per_line[lines]
        return pd.DataFrame(block.T, columns=self.columns, dtype=object, copy=False)


def _sort_order(columns: Sequence[list[Any]]) -> Any:
    """Positions that sort rows by these columns (stable): one integer key, not a tuple per row."""
    n = len(columns[0]) if columns else 0
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for col in columns:
        rank = {v: i for i, v in enumerate(sorted(set(col)))}
        span *= max(1, len(rank))
        if span >= 2**62:  # too many distinct values to combine: sort tuples instead
            rows = list(zip(*columns, strict=True))
            return np.array(sorted(range(n), key=rows.__getitem__), dtype=np.int64)
        key = key * max(1, len(rank)) + np.fromiter(map(rank.__getitem__, col), np.int64, n)
    return np.argsort(key, kind="stable")


def matching_keys_markdown() -> str:
    """The docs table: how each sheet's rows are matched, compared and reconciled."""
    lines = [
        "| Sheet | Matched by | When a key is blank | Rows that count | Compared columns "
        "| Owner column |",
        "|---|---|---|---|---|---|",
    ]
    for s in SHEETS:
        keys = ", ".join(s.column(k).header for k in s.keys) or "(not matched: one row per partner)"
        alt = ", ".join(s.column(k).header for k in s.alt_keys) or "—"
        counts = (
            f"rows whose {s.column(s.period).header} is the period"
            if s.period
            else "each partner's latest row of each item"
            if s.key in CARRIED_FORWARD
            else "latest submission"
        )
        compared = ", ".join(s.column(k).header for k in compared_columns(s))
        if s.key in NOT_COMPARED:
            compared = f"none: {NOT_COMPARED[s.key]}"
        owner = s.column(s.owner).header if s.owner else "—"
        lines.append(f"| {s.name} | {keys} | {alt} | {counts} | {compared or '—'} | {owner} |")
    return "\n".join(lines) + "\n"
