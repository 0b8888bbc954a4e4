"""The ledger's tables: SQLAlchemy Core definitions derived from the schema.

One record table per schema sheet (``rec_<sheet key>``), one typed column per
schema column, beside the submissions, partners, restatements and findings tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)

from rmp_workbook.schema import SHEETS, ColType, Sheet

LEDGER_VERSION = 2
"""The ledger's own table layout version (not the workbook's schema version).

2: record tables keep each row's normalised key (``row_key``) and restatements the key of
their item (``item_key``); a version 1 ledger gets both filled in when it is opened."""

RECORD_PREFIX = "rec_"
"""Record tables are named ``rec_<sheet key>``, e.g. ``rec_kpis``."""

_RECORD_SYSTEM_COLUMNS = ("record_id", "submission_id", "row_index", "row_key")

CURRENT = "current"
SUPERSEDED = "superseded"
PROPOSED = "proposed"
"""A workbook for a closed (published) month, recorded but kept out of every view until
``rmp restatement accept`` (then ``current``) or ``reject`` (then ``rejected``)."""
REJECTED = "rejected"

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
"""A reporting period, ``YYYY-MM``."""

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


def _relationship_id(*, foreign_key: bool = True) -> Column[Any]:
    """The row's relationship; ``foreign_key`` False for tables declared without the
    reference to ``relationships``."""
    refs = (ForeignKey("relationships.id"),) if foreign_key else ()
    return Column("relationship_id", Text, *refs, nullable=False)


def _month_row(*, partner: bool, foreign_key: bool = True) -> list[Column[Any]]:
    """``id``, ``relationship_id``, ``period`` (and ``partner``): the columns a row about one
    month of a relationship (and one partner) opens with."""
    columns = [
        Column("id", Integer, primary_key=True),
        _relationship_id(foreign_key=foreign_key),
        Column("period", Text, nullable=False),
    ]
    if partner:
        columns.append(Column("partner", Text, nullable=False))
    return columns


def _submission_ref(
    name: str = "submission_id", *, nullable: bool = False, index: bool | None = None
) -> Column[Any]:
    """A reference to the workbook (``submissions`` row) a row came from or concerns."""
    return Column(name, Integer, ForeignKey("submissions.id"), nullable=nullable, index=index)


def _stamp(event: str, *, nullable: bool = False) -> tuple[Column[Any], Column[Any]]:
    """``<event>_at`` and ``<event>_by``: when and by whom something was done."""
    return (
        Column(f"{event}_at", DateTime, nullable=nullable),
        Column(f"{event}_by", Text, nullable=nullable),
    )


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
        _relationship_id(),
        Column("name", Text, nullable=False),
        Column("first_period", Text),
        Column("created_at", DateTime, nullable=False),
        UniqueConstraint("relationship_id", "name", name="uq_partner"),
    )
    Table(
        "submissions",
        md,
        Column("id", Integer, primary_key=True),
        _relationship_id(),
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
            _submission_ref(index=True),
            Column("row_index", Integer, nullable=False),
            # The row's key as values.stored_key makes it (K01, k01 and " K01 " are one):
            # what restatements, history and supersede changes match rows by.
            Column("row_key", Text),
            *(Column(c.key, _SQL_TYPES[c.type]) for c in sheet.columns),
        )
    Table(
        "restatements",
        md,
        Column("id", Integer, primary_key=True),
        _relationship_id(),
        Column("sheet", Text, nullable=False),
        Column("item", Text, nullable=False),
        Column("item_key", Text),  # values.item_key: the item however it was spelt
        Column("column", Text, nullable=False),
        Column("period", Text, nullable=False),
        Column("partner", Text, nullable=False),
        Column("previous_value", Float),
        Column("restated_value", Float),
        _submission_ref("previous_submission_id"),
        _submission_ref(),
        Column("recorded_at", DateTime, nullable=False),
        Index("ix_restatement_item", "relationship_id", "sheet", "item"),
    )
    Table(
        "findings",
        md,
        Column("id", Integer, primary_key=True),
        _submission_ref(index=True),
        Column("sheet", Text),
        Column("cell", Text),
        Column("row", Integer),
        Column("column", Text),
        Column("code", Text, nullable=False),
        Column("severity", Text, nullable=False),
        Column("message", Text, nullable=False),
        Column("value", Text),
    )
    Table(
        "config_versions",
        md,
        Column("id", Integer, primary_key=True),
        # No foreign key: a config is kept from the first run that sees it, before any
        # workbook of the relationship is recorded.
        _relationship_id(foreign_key=False),
        Column("sha256", Text, nullable=False),
        Column("period", Text),
        *_stamp("seen"),
        Column("command", Text, nullable=False),
        Column("config", Text, nullable=False),
        Index("ix_config_version", "relationship_id", "id"),
    )
    _signoff_tables(md)
    _publication_tables(md)
    return md


def _signoff_tables(md: MetaData) -> None:
    """Joint sign-off (``rmp signoff record``): one row per returned sign-off workbook,
    one per agreed value in it. A partner's latest workbook for a month is the one that
    counts; earlier ones stay, as submissions do."""
    Table(
        "signoffs",
        md,
        *_month_row(partner=True),
        Column("file_name", Text, nullable=False),
        Column("sha256", Text, nullable=False),
        Column("approved", Text),
        Column("approved_by", Text),
        Column("approved_on", Date),
        *_stamp("recorded"),
        # Recorded after its month was closed: ``checking`` until compared with the
        # published figures, then ``equal`` (in force) or ``proposed`` (a restatement,
        # ``proposal_id``, decides whether its agreed values count). NULL: month open.
        Column("after_close", Text),
        Column("proposal_id", Integer),
        UniqueConstraint("relationship_id", "sha256", name="uq_signoff_content"),
        Index("ix_signoff_period", "relationship_id", "period", "partner"),
    )
    Table(
        "signoff_agreements",
        md,
        Column("id", Integer, primary_key=True),
        Column("signoff_id", Integer, ForeignKey("signoffs.id"), nullable=False, index=True),
        Column("sheet", Text, nullable=False),
        Column("item", Text, nullable=False),
        Column("column", Text, nullable=False),
        Column("item_keys", Text, nullable=False),
        Column("figures", Text, nullable=False),
        Column("agreed_value", Text, nullable=False),
        Column("reason", Text, nullable=False),
    )


def _publication_tables(md: MetaData) -> None:
    """Published months (``rmp close``) and the restatements proposed after a close."""
    Table(
        "publications",
        md,
        *_month_row(partner=False, foreign_key=False),
        Column("version", Integer, nullable=False),
        *_stamp("published"),
        Column("command", Text, nullable=False),
        Column("reason", Text),
        Column("proposal_id", Integer),
        # The published figures as canonical JSON, and its SHA-256 ("nothing new" when equal).
        Column("figures", Text, nullable=False),
        Column("fingerprint", Text, nullable=False),
        Column("workbook", LargeBinary),
        Column("workbook_sha256", Text),
        Column("workbook_path", Text),
        UniqueConstraint("relationship_id", "period", "version", name="uq_publication"),
    )
    Table(
        "restatement_proposals",
        md,
        *_month_row(partner=True, foreign_key=False),
        # ``workbook`` (NULL in older ledgers): a late workbook, its submission below;
        # ``restated``: a later month's workbook restating the month (its submission);
        # ``signoff``: agreed values recorded after the close (no submission: the
        # sign-offs name it).
        Column("kind", Text),
        _submission_ref(nullable=True),
        _submission_ref("previous_submission_id", nullable=True),
        Column("publication_id", Integer, ForeignKey("publications.id"), nullable=False),
        Column("changes", Text, nullable=False),
        Column("status", Text, nullable=False),
        *_stamp("proposed"),
        *_stamp("decided", nullable=True),
        Column("reason", Text),
        Index("ix_proposal_period", "relationship_id", "period"),
    )
