"""Is a workbook one the run expects? The period being merged, a partner of the config.

``rmp merge --period P`` and ``rmp validate --period P --config rmp.toml`` call
:func:`check_identity` on every workbook they read: a workbook for another month is
``wrong-period``, one from an organisation that is not a partner for the workbook's
month is ``unknown-partner``. Both are errors on the Relationship sheet's cell, and a
merge records neither file, so the ledger is untouched by them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rmp_workbook.findings import Finding, UnknownPartner, WrongPeriod
from rmp_workbook.schema import FORM_FIRST_ROW, FORM_VALUE_COL, RELATIONSHIP

if TYPE_CHECKING:
    from rmp_workbook.config import RelationshipConfig
    from rmp_workbook.records import Submission
    from rmp_workbook.validate import FileResult

IDENTITY_CODES = frozenset({WrongPeriod.code, UnknownPartner.code})
"""Codes :func:`check_identity` gives: a workbook with one of them is not merged."""


def _cell(sub: Submission, key: str) -> tuple[int, int]:
    """Where the Relationship sheet's field ``key`` is (the template's layout)."""
    index = [c.key for c in RELATIONSHIP.columns].index(key)
    records = sub.records.get(RELATIONSHIP.key) or []
    first = records[0].row if records else FORM_FIRST_ROW
    return first + index, FORM_VALUE_COL


def identity_findings(
    sub: Submission, *, period: str | None, config: RelationshipConfig | None
) -> list[Finding]:
    """The ``wrong-period`` and ``unknown-partner`` findings of one workbook.

    A partner named with other case or spacing than in the config is the config's
    partner: ``sub.meta.partner`` is set to the config's spelling, so the ledger keeps
    one name per partner.
    """
    meta, file = sub.meta, sub.path
    sheet = RELATIONSHIP.name
    found: list[Finding] = []
    if period and meta.period and meta.period != period:
        row, col = _cell(sub, "period")
        found.append(
            WrongPeriod(
                file=file, sheet=sheet, row=row, col=col,
                column=RELATIONSHIP.column("period").header, value=meta.period,
                note=f"is another month than {period}, the period being merged or checked",
                hint=f"This is the {meta.period} workbook: send the {period} workbook instead "
                f"(a new one is written by rmp template --period {period}). "
                "A merge leaves this file out.",
            )
        )  # fmt: skip
    if config is not None and config.partners and meta.partner:
        found.extend(_partner_findings(sub, config))
    return found


def _partner_findings(sub: Submission, config: RelationshipConfig) -> list[Finding]:
    meta = sub.meta
    partner = config.partner(meta.partner)
    month = meta.period
    if partner is not None and (not month or partner.member_in(month)):
        meta.partner = partner.name
        return []
    members = config.members(month) if month else config.partners
    names = ", ".join(p.name for p in members) or "none"
    if partner is None:
        note = f"is not a partner of {config.id}"
        hint = (
            f"The partners for {month or 'this period'} are: {names}. Correct the Partner "
            "organisation cell, or add the organisation to the config's partners (with the "
            "date it joined). A merge leaves this file out."
        )
    else:
        note = f"is not a partner of {config.id} in {month} ({partner.membership()})"
        hint = (
            f"The partners for {month} are: {names}. If the dates are wrong, correct them in "
            "the config. A merge leaves this file out."
        )
    row, col = _cell(sub, "partner")
    return [
        UnknownPartner(
            file=sub.path, sheet=RELATIONSHIP.name, row=row, col=col,
            column=RELATIONSHIP.column("partner").header, value=meta.partner,
            note=note, hint=hint,
        )
    ]  # fmt: skip


def check_identity(
    result: FileResult, *, period: str | None, config: RelationshipConfig | None
) -> list[Finding]:
    """Add :func:`identity_findings` to a validated file's findings; return them."""
    sub = result.submission
    if sub is None or not result.readable or result.skipped:
        return []
    found = identity_findings(sub, period=period, config=config)
    result.findings.extend(found)
    if sub.findings is not result.findings:
        sub.findings.extend(found)
    return found
