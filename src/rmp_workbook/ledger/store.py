"""The :class:`Ledger` (engine, recording and queries together), ``relationship_in``
and ``kpi_history``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rmp_workbook.ledger.publish import Publishing
from rmp_workbook.ledger.queries import Queries
from rmp_workbook.ledger.record import Recording
from rmp_workbook.ledger.signoff import SignoffStore
from rmp_workbook.ledger.versions import ConfigVersions
from rmp_workbook.values import item_key_text

if TYPE_CHECKING:
    import pandas as pd

    from rmp_workbook.config import RelationshipConfig


class Ledger(Recording, Queries, ConfigVersions, Publishing, SignoffStore):
    """The history of every workbook a relationship's partners sent.

    ``Ledger("rmp-ledger.sqlite")`` opens (or creates) a SQLite file;
    ``Ledger("postgresql://user@host/db")`` a PostgreSQL database. Opening
    creates missing tables and adds schema columns the ledger lacks.
    ``create=False`` refuses to create a SQLite file that does not exist.
    ``busy_timeout`` (default: ``RMP_LEDGER_WAIT`` or 30 s) is how long a writer
    waits for another run's write lock before LedgerBusy.
    """


def relationship_in(
    lg: Ledger, relationship_id: str | None, config: RelationshipConfig | None = None
) -> str:
    """The relationship a command works on in ``lg``: ``--relationship`` or the config's ID
    (:func:`~rmp_workbook.config.relationship_wanted`), else the ledger's only one.

    The ledger's spelling of the ID is returned (IDs compare ignoring case and spaces,
    as ``relationship_wanted`` compares them). UsageError (exit 2) when the ledger holds
    none, holds several and none is named, or does not hold the one named.
    """
    from rmp_workbook.config import relationship_wanted
    from rmp_workbook.findings import UsageError
    from rmp_workbook.values import norm

    wanted = relationship_wanted(relationship_id, config)
    ids = [str(r) for r in lg.relationships()["relationship_id"]]
    if not ids:
        raise UsageError(f"{lg.url} holds no submissions yet (run `rmp merge` first)")
    if wanted is None:
        if len(ids) != 1:
            raise UsageError(
                f"{lg.url} holds {len(ids)} relationships ({', '.join(ids)}): "
                "name one with --relationship ID"
            )
        return ids[0]
    if wanted in ids:
        return wanted
    same = [i for i in ids if norm(i) == norm(wanted)]
    if len(same) == 1:
        return same[0]
    raise UsageError(f"{lg.url} has no relationship {wanted!r} (it has {', '.join(ids)})")


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
    config: RelationshipConfig | None = None,
) -> HistoryReport:
    """Open an existing ledger and gather a relationship's KPI history.

    The relationship is chosen by :func:`relationship_in` from ``relationship_id`` and
    ``config``. Unknown relationships, KPIs and partners raise UsageError naming the
    known ones.
    """
    from rmp_workbook.findings import UsageError

    with Ledger(url_or_path, create=False) as ledger:
        relationship_id = relationship_in(ledger, relationship_id, config)
        rels = ledger.relationships()
        name = rels.loc[rels["relationship_id"] == relationship_id, "name"].iloc[0] or ""
        everything = ledger.history(relationship_id)
        known_kpis = {item_key_text(str(k)) for k in everything["kpi_id"]}
        if kpi_id is not None and item_key_text(kpi_id) not in known_kpis:
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
