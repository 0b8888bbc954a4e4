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

Parts: :mod:`.tables` (table definitions), :mod:`.coerce` (stored value types),
:mod:`.engine` (URL, connections, locking, migrations), :mod:`.record` (writing a run,
supersede, restatements), :mod:`.queries` (reading it back), :mod:`.publish` (closed months
and proposed restatements), :mod:`.store` (:class:`Ledger`).
"""

from rmp_workbook.ledger.engine import BUSY_TIMEOUT_ENV, DEFAULT_BUSY_TIMEOUT
from rmp_workbook.ledger.publish import FigureChange, Proposal, Publication
from rmp_workbook.ledger.queries import LedgerSource
from rmp_workbook.ledger.record import (
    Ambiguity,
    Duplicate,
    RecordedSubmission,
    Recorder,
    RecordResult,
    Restatement,
    Supersession,
)
from rmp_workbook.ledger.store import HistoryReport, Ledger, kpi_history, relationship_in
from rmp_workbook.ledger.tables import (
    CURRENT,
    LEDGER_VERSION,
    PROPOSED,
    RECORD_PREFIX,
    REJECTED,
    SUPERSEDED,
    build_metadata,
    record_table_name,
)

__all__ = [
    "BUSY_TIMEOUT_ENV",
    "CURRENT",
    "DEFAULT_BUSY_TIMEOUT",
    "LEDGER_VERSION",
    "PROPOSED",
    "RECORD_PREFIX",
    "REJECTED",
    "SUPERSEDED",
    "Ambiguity",
    "Duplicate",
    "FigureChange",
    "HistoryReport",
    "Ledger",
    "LedgerSource",
    "Proposal",
    "Publication",
    "RecordResult",
    "RecordedSubmission",
    "Recorder",
    "Restatement",
    "Supersession",
    "build_metadata",
    "kpi_history",
    "record_table_name",
    "relationship_in",
]
