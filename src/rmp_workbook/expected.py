"""Is a workbook one the run expects? The period being merged, a partner of the config,
the KPIs the config agrees.

``rmp merge --period P`` and ``rmp validate --period P --config rmp.toml`` call
:func:`check_identity` on every workbook they read: a workbook for another month is
``wrong-period``, one from an organisation that is not a partner for the workbook's
month is ``unknown-partner``. Both are errors on the Relationship sheet's cell, and a
merge records neither file, so the ledger is untouched by them.

:func:`kpis_not_agreed` finds the KPI rows whose KPI the config does not list
(``kpi-not-agreed``, a warning): ``rmp validate --config`` on each workbook
(:func:`check_agreed`), ``rmp merge --config`` on the period's current workbooks in the
ledger, with the config of the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic_core import PydanticCustomError

from rmp_workbook.findings import Finding, KpiNotAgreed, UnknownPartner, WrongPeriod
from rmp_workbook.schema import FORM_FIRST_ROW, FORM_VALUE_COL, KPIS, RELATIONSHIP
from rmp_workbook.values import key_text, to_period

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


KpiRow = tuple[str, int, Any, Any]
"""A KPI row as :func:`kpis_not_agreed` reads it: (file, zero-based row, KPI ID, period)."""


def kpis_not_agreed(
    config: RelationshipConfig, period: str, rows: Iterable[KpiRow]
) -> list[KpiNotAgreed]:
    """A ``kpi-not-agreed`` warning for each KPI row of ``period`` whose KPI ID the config
    does not list (``k01`` is the agreed ``K01``; the figure still counts, shown as not
    agreed). Rows for other months (a restated figure) were checked in their own month.
    A config that lists no KPIs agrees none in particular: nothing is flagged.
    """
    if not config.kpis:
        return []
    agreed = {key_text(k.id) for k in config.kpis}
    col = [c.key for c in KPIS.columns].index("kpi_id")
    header = KPIS.column("kpi_id").header
    found = []
    for file, row, kpi_id, row_period in rows:
        if kpi_id is None or key_text(kpi_id) in agreed:
            continue
        if row_period is not None and _month(row_period) != period:
            continue
        found.append(
            KpiNotAgreed(file=file, sheet=KPIS.name, row=row, col=col, column=header, value=kpi_id)
        )
    return found


def _month(value: Any) -> str | None:
    try:
        return to_period(value)
    except PydanticCustomError:
        return None


def check_agreed(
    result: FileResult, *, period: str | None, config: RelationshipConfig | None
) -> list[Finding]:
    """Add :func:`kpis_not_agreed` of a validated file (its rows for ``period``, else for
    its own month) to its findings; return them. Call before its records are released."""
    sub = result.submission
    if config is None or sub is None or not result.readable or result.skipped:
        return []
    month = period or sub.meta.period
    if not month:
        return []
    rows = [
        (sub.path, r.row, r.values.get("kpi_id"), r.values.get("period"))
        for r in sub.records.get(KPIS.key) or []
    ]
    found: list[Finding] = list(kpis_not_agreed(config, month, rows))
    result.findings.extend(found)
    if sub.findings is not result.findings:
        sub.findings.extend(found)
    return found
