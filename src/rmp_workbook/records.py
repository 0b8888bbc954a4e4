"""Plain values the stages hand each other: submissions, records, the consolidated view.

Nothing here reads or writes files. The reader produces :class:`Submission`;
the ledger stores it; reconciliation and gap rules produce :class:`Consolidated`,
which the dashboard writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rmp_workbook.config import Thresholds
from rmp_workbook.findings import Finding, Severity
from rmp_workbook.values import fold_text

if TYPE_CHECKING:
    import pandas as pd


PROVENANCE_COLUMNS = ("_partner", "_period", "_submission_id", "_file", "_row", "_received_at")
"""Columns the ledger adds to every record frame, beside the sheet's own column keys.

A *record frame* (``Ledger.frames``) holds, for one sheet, one row per record of
every current (not superseded) submission of a relationship up to a period:
the schema's column keys (typed values), then ``_partner`` (the submitting
organisation), ``_period`` (the submission's reporting period, ``YYYY-MM``),
``_submission_id``, ``_file`` (the file name), ``_row`` (zero-based row in the
partner's sheet) and ``_received_at`` (datetime). Reconciliation consumes them.
"""


@dataclass
class SubmissionMeta:
    """Who sent a workbook, for which relationship and period."""

    relationship_id: str = ""
    relationship_name: str = ""
    partner: str = ""
    period: str = ""
    """``YYYY-MM``."""
    schema_version: str = ""
    generated_at: str = ""
    template_id: str = ""


@dataclass
class Record:
    """One typed row of a table sheet, or the fields of a form sheet."""

    sheet: str
    """The schema sheet key, e.g. ``kpis``."""
    row: int
    """Zero-based row index in the partner's sheet (for findings and provenance)."""
    values: dict[str, Any]
    """Column key -> typed value (str, int, float, datetime.date, or None)."""
    key: str | None = None
    """The row's key as :func:`rmp_workbook.values.stored_key` makes it, when the validator
    worked it out (it does for its duplicate check, in the reader processes); None when
    not given or not whole. The ledger stores it."""


class WithFindings:
    """Its ``findings`` split by severity (a submission's, a validated file's)."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]


@dataclass
class Submission(WithFindings):
    """Everything read from one partner's workbook."""

    path: str
    sha256: str
    meta: SubmissionMeta
    records: dict[str, list[Record]] = field(default_factory=dict)
    """Sheet key -> valid records (rows with errors are left out)."""
    findings: list[Finding] = field(default_factory=list)
    received_at: dt.datetime | None = None
    """The file's modification time: decides which of two files for one period is newer."""
    released: dict[str, int] | None = None
    """Sheet key -> how many records there were, once :meth:`release` dropped them."""

    def release(self) -> None:
        """Drop the records (once the ledger holds them), keeping how many there were:
        a merge of many workbooks then holds one workbook's rows at a time."""
        if self.released is None:
            self.released = self.record_counts()
        self.records = {}

    def record_counts(self) -> dict[str, int]:
        """Sheet key -> number of valid records, also after :meth:`release`."""
        if self.released is not None:
            return dict(self.released)
        return {k: len(v) for k, v in self.records.items()}

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass
class Gap:
    """One way the relationship falls short."""

    area: str
    """KPIs, SLA, Risks, Bottlenecks, Actions, Stages, Health check, Contacts, Submissions."""
    item: str
    partners: str
    value: Any
    target: Any
    severity: str
    """``Red`` or ``Amber``."""
    since: str
    """A period ``YYYY-MM`` or an ISO date."""
    next_step: str
    rule: str = ""
    """The gap rule's stable code, e.g. ``kpi-below-target``."""


@dataclass(frozen=True)
class Retired:
    """An open item of a partner who has left, taken out of the current view.

    It is listed by the ``partner-left-open-items`` gap until it is reassigned: a current
    partner's return names a current owner (or reports the item), or the config does.
    """

    sheet: str
    """The sheet key: ``kpis``, ``sla``, ``risks``, ``bottlenecks`` or ``actions``."""
    item: str
    """The item's label, e.g. ``R07 Depot lease ends`` or ``K02 Defects``."""
    partner: str
    """The partner who has left and to whom the item belongs."""
    why: str
    """``owner`` (it names the partner as owner) or ``reported`` (only it reported it)."""
    key: tuple[str, ...] = ()
    """The item's identity on its sheet (KPI ID; SLA service and measure; register ID)."""
    row: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """The reconciled row of a register item (risk, bottleneck, action), so the current
    partners' next templates can carry it for reassignment; empty for KPIs and SLA lines."""


@dataclass
class Consolidated:
    """The reconciled state of a relationship for one period: what the dashboard shows."""

    relationship_id: str
    relationship_name: str
    period: str
    partners: list[str]
    """Partners that submitted for the period."""
    expected_partners: list[str]
    tables: dict[str, pd.DataFrame]
    """Sheet key -> reconciled rows: the schema's column keys plus ``partners``
    (who reported the row, comma separated) and ``source`` (whose figure was kept)."""
    kpi_history: pd.DataFrame
    """Columns kpi_id, kpi, unit, direction, target, amber, period, partner, actual;
    one row per KPI, period and partner, every period in the ledger up to ``period``."""
    sla_history: pd.DataFrame
    """Columns service, measure, direction, target, period, partner, actual."""
    discrepancies: pd.DataFrame
    """Columns sheet, item, column, values (partner: value; …), reconciled, rule,
    difference, plus one column per partner holding its value (only for relationships of
    at most ``reconcile.MAX_PARTNER_COLUMNS`` partners; beyond, ``values`` summarises)."""
    gaps: list[Gap]
    submissions: pd.DataFrame
    """Columns file, sha256, partner, period, received_at, schema_version, status."""
    data_quality: pd.DataFrame
    """Columns file, sheet, cell, column, code, severity, message: everything left out."""
    restatements: pd.DataFrame
    """Columns sheet, item, period, partner, previous, restated, file."""
    ledger: str = ""
    generated_at: dt.datetime | None = None
    inputs: list[tuple[str, str]] = field(default_factory=list)
    """(path, sha256) of every input file of the run."""
    health_by_partner: pd.DataFrame | None = None
    """Columns behaviour, partner, score: each partner's own health check."""
    notices: list[str] = field(default_factory=list)
    """Short lines the Dashboard shows under the partners, e.g. a proposed restatement of a
    closed month awaiting a decision (:mod:`rmp_workbook.published`)."""
    plan_changes: pd.DataFrame | None = None
    """Columns period, seen_at, seen_by, change, item, before, after: how the plan (the
    relationship config) changed, version to version (:mod:`rmp_workbook.plan`)."""
    thresholds: Thresholds = field(default_factory=lambda: Thresholds.model_validate({}))
    """The config's thresholds the gaps were found with; every output colours by them."""
    as_of: dt.date | None = None
    """The day gaps were aged against: the period's last day unless ``--as-of`` was given."""
    former_partners: dict[str, str] = field(default_factory=dict)
    """Partners who have left the relationship by this period -> the day they left (ISO)."""
    due_dates: dict[str, dt.date] = field(default_factory=dict)
    """Period -> the day its workbooks were due back (the config's ``due``; empty without)."""
    retired: list[Retired] = field(default_factory=list)
    """Open items of the former partners, left out of ``tables``, the tiles and the heat
    map: the ``partner-left-open-items`` gap lists them (their history stays)."""

    signoff: SignoffState | None = None
    """The month's joint sign-off (:mod:`rmp_workbook.signoff`); None while the
    relationship has never recorded one."""

    @property
    def due(self) -> dt.date | None:
        """The day this period's workbooks were due back, or None (no ``due`` in the config)."""
        return self.due_dates.get(self.period)


@dataclass
class SignoffState:
    """Who has approved a month (``rmp signoff record``) and what their agreed values did."""

    expected: list[str]
    """The partners whose approval the month needs (members for the period)."""
    approved: dict[str, dt.date] = field(default_factory=dict)
    """Partner -> the day it approved the month (Approve the month: Yes)."""
    refused: list[str] = field(default_factory=list)
    """Partners who answered No to Approve the month."""
    agreed: int = 0
    """Discrepancies whose reconciled value is now the partners' agreed value."""
    disputed: int = 0
    """Discrepancies where partners recorded different agreed values."""
    provenance: dict[str, dict[Any, str]] = field(default_factory=dict)
    """Sheet key -> reconciled row (frame index) -> which values were agreed, when, by whom."""
    restatements: list[SignoffRestatement] = field(default_factory=list)
    """The month was closed before some of its sign-offs were recorded and their agreed
    values differ from the published figures: the restatements that proposes, oldest first."""
    unchecked: int = 0
    """Sign-offs recorded after the close not yet compared with the published figures."""

    @property
    def awaiting(self) -> list[str]:
        """Expected partners who have not approved the month, in the expected order."""
        return [p for p in self.expected if p not in self.approved]


@dataclass(frozen=True, slots=True)
class SourceSubmission:
    """One current submission a :class:`RecordSource` holds, up to the period."""

    id: Any
    """The source's id of the submission (the ledger's integer id)."""
    partner: str
    """The partner's name as the submission gives it."""
    period: str
    """The submission's reporting period, ``YYYY-MM``."""
    received_at: dt.datetime | None
    sheets: frozenset[str]
    """Keys of the sheets holding at least one of its records."""


Check = Callable[[Consolidated, Thresholds, dt.date], Iterable[Gap]]
"""A gap rule's check: the view, the thresholds and the day gaps are aged against."""


@dataclass(frozen=True)
class GapRule:
    """One registered gap rule (:data:`rmp_workbook.gaps.RULES`)."""

    code: str
    area: str
    title: str
    severity: str
    """How severity is decided, in words (for the docs)."""
    thresholds: tuple[str, ...]
    """Names of the :class:`~rmp_workbook.config.Thresholds` fields the rule reads."""
    check: Check


@dataclass(frozen=True)
class SignoffRestatement:
    """The restatement proposed when a sign-off recorded after its month's close agreed
    values that differ from the published figures, and its outcome."""

    id: int
    status: str
    """``proposed``, ``accepted`` or ``rejected``."""
    changes: str
    """``K01 Actual 91.5 → 90, …``: published → agreed."""
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    reason: str | None = None

    def text(self) -> str:
        """What became of it, in words (the audit pack's Sign-offs table)."""
        if self.status == "proposed":
            return (
                f"Restatement {self.id} proposed ({self.changes}): not published; "
                f"rmp restatement accept {self.id} or reject {self.id}"
            )
        when = f" on {self.decided_at:%Y-%m-%d} by {self.decided_by}" if self.decided_at else ""
        why = f" ({self.reason})" if self.reason else ""
        if self.status == "accepted":
            return f"Restatement {self.id} accepted{when}{why}: republished ({self.changes})"
        return (
            f"Restatement {self.id} rejected{when}{why}: the published figures stand "
            f"({self.changes} not published)"
        )


@dataclass(frozen=True)
class StoredSignoff:
    """A partner's latest sign-off workbook for a month, as the ledger holds it."""

    id: int
    period: str
    partner: str
    file: str
    approved: bool | None
    approved_by: str | None
    approved_on: dt.date | None
    recorded_at: dt.datetime
    after_close: str | None = None
    """None: recorded while its month was open. ``checking``: recorded after the close,
    not yet compared with the published figures; ``equal``: its agreed values change no
    published figure; ``proposed``: they do, and :attr:`restatement` decides."""
    restatement: SignoffRestatement | None = None
    counts: bool = True
    """Whether its agreed values are in the views: not while its restatement awaits a
    decision or was rejected, nor before it is compared."""

    @property
    def day(self) -> dt.date:
        """The day it counts from: its approval date, else the day it was recorded."""
        return self.approved_on or self.recorded_at.date()


@dataclass(frozen=True)
class StoredAgreement:
    """One agreed value of a partner's latest sign-off workbook for a month."""

    period: str
    partner: str
    sheet: str
    item: str
    column: str
    keys: dict[str, str]
    figures: dict[str, str]
    value: Any
    reason: str
    day: dt.date
    counts: bool = True
    """Its sign-off's :attr:`StoredSignoff.counts`."""

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.sheet, self.column, fold_text(self.item))
