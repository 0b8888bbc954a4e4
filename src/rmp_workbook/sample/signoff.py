"""The sample relationship's joint sign-off, as its partners would do it (``rmp demo``).

Each partner's sign-off workbook (``rmp signoff template``) is filled with openpyxl: the
first discrepancies settled at the reconciled value with a reason, the month approved by
the partner's contact; then ``rmp signoff record`` stores them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rmp_workbook.atomic import atomic_output
from rmp_workbook.config import RelationshipConfig
from rmp_workbook.signoff import AGREED, APPROVAL_DATE, APPROVE, APPROVED_BY, REASON, REF
from rmp_workbook.signoff_cycle import RecordReport, record_signoffs, write_signoff_templates

SETTLED = 2
"""How many of the month's discrepancies the sample's partners settle."""


def fill_signoff(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    agreed: Mapping[str, tuple[Any, str]],
    approval: tuple[str, dt.date, str],
) -> Path:
    """Type into a sign-off workbook as a partner does: each Ref's Agreed value and Reason,
    then Approved by, Date and Approve the month; save it as ``out``."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb["Sign-off"]
    header = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == REF), 0)
    if header:
        cols = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
        for r in range(header + 1, ws.max_row + 1):
            if ws.cell(r, 1).value in agreed:
                value, reason = agreed[ws.cell(r, 1).value]
                ws.cell(r, cols[AGREED]).value = value
                ws.cell(r, cols[REASON]).value = reason
    name, day, answer = approval
    typed = {APPROVED_BY: name, APPROVAL_DATE: dt.datetime.combine(day, dt.time()), APPROVE: answer}
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 3).value in typed:
            ws.cell(r, 4).value = typed[ws.cell(r, 3).value]
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, suffix=".xlsx") as tmp:
        wb.save(tmp)
    return target


def sign_off(
    ledger: str | os.PathLike[str],
    config: RelationshipConfig,
    period: str,
    folder: str | os.PathLike[str],
    *,
    on: dt.date,
) -> tuple[list[Path], RecordReport]:
    """Write the month's sign-off workbooks into ``folder``, fill each as its partner would
    (``folder/returned``) and record them. Returns the blank workbooks and the report."""
    out = Path(folder)
    made, _count = write_signoff_templates(ledger, period, out, config=config, overwrite=True)
    import openpyxl

    ws = openpyxl.load_workbook(made[0])["Sign-off"] if made else None
    settle: dict[str, tuple[Any, str]] = {}
    if ws is not None:
        header = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == REF), 0)
        cols = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)} if header else {}
        for r in range(header + 1, ws.max_row + 1) if header else ():
            ref = ws.cell(r, 1).value
            if not ref or len(settle) >= SETTLED:
                break
            reconciled = ws.cell(r, cols["Reconciled"]).value
            if reconciled not in (None, ""):
                settle[ref] = (reconciled, "Checked together at the monthly review")
    returned = []
    for partner, path in zip(config.members(period), made, strict=True):
        who = partner.contact or f"Lead of {partner.name}"
        returned.append(fill_signoff(path, out / "returned" / path.name, settle, (who, on, "Yes")))
    return made, record_signoffs(returned, ledger, config=config, today=on)
