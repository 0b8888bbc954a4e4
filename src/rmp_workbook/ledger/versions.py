"""Versions of the relationship config the ledger has seen (part of :class:`Ledger`).

Every run that hands the ledger a config (``rmp merge --config``) keeps it when it
differs from the last one kept for the relationship: its canonical JSON, SHA-256, the
period of the run, when and who. :mod:`rmp_workbook.plan` turns them into plan changes.
"""

from __future__ import annotations

import getpass
import json

from sqlalchemy import insert, select

from rmp_workbook.config import RelationshipConfig
from rmp_workbook.ledger.engine import LedgerEngine, _now
from rmp_workbook.plan import ConfigVersion, fingerprint


def current_user() -> str:
    """Who runs the command, as the operating system knows them ("unknown" if it does not)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no password-file entry (a bare container)
        return "unknown"


class ConfigVersions(LedgerEngine):
    """Keeping and reading the config versions."""

    def remember_config(
        self,
        config: RelationshipConfig,
        period: str | None,
        *,
        command: str,
        seen_by: str | None = None,
    ) -> bool:
        """Keep ``config`` as a new version unless it is the relationship's latest already.

        Returns True when a version was added. A config changed back to an earlier
        version is a new version too: the plan changed (back) then.
        """
        text, sha = fingerprint(config)
        table = self.tables["config_versions"]
        with self.transaction() as conn:
            latest = conn.execute(
                select(table.c.sha256)
                .where(table.c.relationship_id == config.id)
                .order_by(table.c.id.desc())
                .limit(1)
            ).scalar()
            if latest == sha:
                return False
            conn.execute(
                insert(table).values(
                    relationship_id=config.id,
                    sha256=sha,
                    period=period,
                    seen_at=_now(),
                    seen_by=seen_by if seen_by is not None else current_user(),
                    command=command,
                    config=text,
                )
            )
        return True

    def config_versions(
        self, relationship_id: str, upto_period: str | None = None
    ) -> list[ConfigVersion]:
        """The relationship's config versions in the order they were seen.

        With ``upto_period``, only those first seen for that period or an earlier one.
        """
        table = self.tables["config_versions"]
        q = select(table).where(table.c.relationship_id == relationship_id).order_by(table.c.id)
        if upto_period is not None:
            q = q.where(table.c.period <= upto_period)
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [
            ConfigVersion(
                period=r.period or "",
                seen_at=r.seen_at,
                seen_by=r.seen_by,
                sha256=r.sha256,
                config=json.loads(r.config),
            )
            for r in rows
        ]
