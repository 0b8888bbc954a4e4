"""``rmp signoff template`` and ``rmp signoff record``: from the ledger to the partners'
sign-off workbooks, and back.

:func:`write_signoff_templates` lists the month's discrepancies as the ledger's view has
them and writes one sign-off workbook per partner of the month;
:func:`record_signoffs` reads the returned ones, checks them against the month as the
ledger now holds it, and stores each file without errors (a file with any error is not
recorded: its agreed values and approval are one statement). A sign-off for a month
already closed is then compared with the published figures: agreed values that differ
become a proposed restatement (:func:`rmp_workbook.close.propose_signoff`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmp_workbook.close import SignoffComparison, propose_signoff
from rmp_workbook.config import RelationshipConfig
from rmp_workbook.findings import (
    SignoffUnknownDiscrepancy,
    SignoffUnknownPartner,
    SignoffWrongPeriod,
    UsageError,
    WrongRelationship,
)
from rmp_workbook.ledger import Ledger
from rmp_workbook.ledger.versions import current_user
from rmp_workbook.merge import consolidated_view
from rmp_workbook.records import Consolidated
from rmp_workbook.signoff import (
    REF,
    SIGNOFF_SHEET,
    DiscrepancyRef,
    SignoffReturn,
    discrepancy_refs,
    read_signoff,
    signoff_file_name,
    write_signoff_workbook,
)
from rmp_workbook.template import check_period, refuse_existing
from rmp_workbook.values import norm

__all__ = ["RecordReport", "record_signoffs", "write_signoff_templates"]


def _relationship(led: Ledger, config: RelationshipConfig | None, wanted: str | None) -> str:
    from rmp_workbook.ledger import relationship_in

    return relationship_in(led, wanted, config)


def _partners(c: Consolidated, config: RelationshipConfig | None) -> list[str]:
    """Who signs the month off: the config's members for it, else the view's partners."""
    if config is not None and config.partners:
        return [p.name for p in config.members(c.period)]
    return list(c.expected_partners or c.partners)


def write_signoff_templates(
    ledger: str | os.PathLike[str],
    period: str,
    folder: str | os.PathLike[str],
    *,
    config: RelationshipConfig | None = None,
    relationship_id: str | None = None,
    overwrite: bool = False,
    generated_at: dt.datetime | None = None,
) -> tuple[list[Path], int]:
    """One sign-off workbook per partner of ``period`` into ``folder``: the paths, and how
    many discrepancies each lists. Nothing is written when one exists already, unless
    ``overwrite``."""
    period = check_period(period)
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; -o names a folder")
    with Ledger(ledger, create=False) as led:
        rel = _relationship(led, config, relationship_id)
        known = led.submissions_frame(rel)
        if not (known["period"].astype(str) == period).any():
            raise UsageError(f"the ledger holds no workbooks for {period}: run rmp merge first")
        c = consolidated_view(led, rel, period, config=config)
    refs = discrepancy_refs(c)
    partners = _partners(c, config)
    paths = [out / signoff_file_name(p, period) for p in partners]
    if not overwrite:
        refuse_existing(paths)
    written = [
        write_signoff_workbook(path, c, p, refs, generated_at=generated_at)
        for p, path in zip(partners, paths, strict=True)
    ]
    return written, len(refs)


@dataclass
class RecordReport:
    """What ``rmp signoff record`` did with each file."""

    ledger: str
    files: list[SignoffReturn] = field(default_factory=list)
    lines: dict[str, str] = field(default_factory=dict)
    """Period -> the Dashboard's sign-off line for it after recording."""
    closed: list[SignoffComparison] = field(default_factory=list)
    """Closed months whose sign-offs recorded now were compared with the published
    figures: the restatement each proposes, if any."""

    @property
    def exit_code(self) -> int:
        """0 every file recorded (or already), 1 some file has errors, 2 none readable."""
        if self.files and all(f.fatal for f in self.files):
            return 2
        return 1 if any(f.errors for f in self.files) else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger,
            "files": [f.to_dict() for f in self.files],
            "signoff": self.lines,
            "closed_months": [
                {
                    "period": c.period,
                    "differs": c.proposal is not None,
                    # The same changes as the proposal's, named for a sign-off.
                    "changes": []
                    if c.proposal is None
                    else [
                        {
                            "sheet": ch.sheet,
                            "item": ch.item,
                            "column": ch.column,
                            "published": ch.previous,
                            "agreed": ch.proposed,
                            "text": ch.text(),
                        }
                        for ch in c.proposal.changes
                    ],
                    "proposed_restatement": None
                    if c.proposal is None
                    else {
                        **c.proposal.to_dict(),
                        "accept": f"rmp restatement accept {c.proposal.id}",
                        "reject": f"rmp restatement reject {c.proposal.id}",
                    },
                }
                for c in self.closed
            ],
            "exit_code": self.exit_code,
        }

    def closed_texts(self) -> list[str]:
        """One line per closed month compared: equal, or the restatement proposed."""
        out = []
        for c in self.closed:
            p = c.proposal
            if p is None:
                out.append(
                    f"{c.period} is closed: the agreed values equal the published figures; "
                    "nothing to restate."
                )
                continue
            changes = ", ".join(ch.text() for ch in p.changes) or p.summary()
            out.append(
                f"{c.period} is closed: the agreed values differ from the published figures "
                f"(published → agreed: {changes}); recorded as proposed restatement {p.id}, "
                f"not published. Accept it with rmp restatement accept {p.id} "
                f"(or reject {p.id})."
            )
        return out


def record_signoffs(
    paths: Iterable[str | os.PathLike[str]],
    ledger: str | os.PathLike[str],
    *,
    config: RelationshipConfig | None = None,
    period: str | None = None,
    today: dt.date | None = None,
    recorded_by: str | None = None,
) -> RecordReport:
    """Read, check and store returned sign-off workbooks (folders are searched for .xlsx,
    .xlsm and .ods files).

    Each file is checked on its own: the workbook's cells (:func:`read_signoff`), then
    against the ledger: its relationship, its month (``period`` when given; a month the
    ledger holds), its partner (a member that month) and each Ref (still a discrepancy
    of the month, on the same figures). A file without errors is stored; a file with
    any is not, and its findings say what to fix where.
    """
    if period is not None:
        period = check_period(period)
    files = _expand(paths)
    if not files:
        raise UsageError("no sign-off workbook found in the paths given")
    with Ledger(ledger, create=False) as led:
        report = RecordReport(led.url)
        views: dict[tuple[str, str], Consolidated] = {}
        for path in files:
            ret = read_signoff(path, today=today)
            report.files.append(ret)
            if not ret.fatal:
                _check(ret, led, config, period, views)
            if ret.errors:
                ret.status = "not recorded"
                continue
            added = led.record_signoff(ret, recorded_by=recorded_by or current_user())
            ret.status = "recorded" if added is not None else "already recorded"
        stored = {(f.relationship_id, f.period) for f in report.files if not f.errors}
        for rel, p in sorted(stored):
            # A closed month: compare what was recorded after its close (now, or by a run
            # that stopped before comparing) with its published figures.
            compared = propose_signoff(led, rel, p, config=config, by=recorded_by)
            if compared is not None:
                report.closed.append(compared)
        for rel, p in sorted({(f.relationship_id, f.period) for f in report.files
                              if f.status == "recorded"} | {(c.relationship_id, c.period)
                              for c in report.closed}):  # fmt: skip
            from rmp_workbook.signoff import signoff_line

            line = signoff_line(consolidated_view(led, rel, p, config=config))
            if line:
                report.lines[p] = line
    return report


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out += sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and f.suffix.lower() in (".xlsx", ".xlsm", ".ods")
                and not f.name.startswith(("~$", ".~lock"))
            )
        else:
            out.append(p)
    return out


def _check(
    ret: SignoffReturn,
    led: Ledger,
    config: RelationshipConfig | None,
    period: str | None,
    views: dict[tuple[str, str], Consolidated],
) -> None:
    """Findings about the workbook against the ledger: relationship, month, partner, Refs."""
    file = ret.path
    rel = ret.relationship_id
    known = list(led.relationships()["relationship_id"])
    if (config is not None and rel != config.id) or rel not in known:
        wanted = config.id if config else ", ".join(known) or "none"
        ret.findings.append(WrongRelationship(file=file, value=rel, note=wanted))
        return
    if period is not None and ret.period != period:
        ret.findings.append(
            SignoffWrongPeriod(file=file, value=ret.period, note=f"--period is {period}")
        )
        return
    subs = led.submissions_frame(rel)
    if not (subs["period"].astype(str) == ret.period).any():
        ret.findings.append(
            SignoffWrongPeriod(
                file=file, value=ret.period, note="the ledger holds no workbooks for that month"
            )
        )
        return
    key = (rel, ret.period)
    if key not in views:
        views[key] = consolidated_view(led, rel, ret.period, config=config)
    c = views[key]
    members = _partners(c, config)
    if norm(ret.partner) not in {norm(p) for p in members}:
        ret.findings.append(
            SignoffUnknownPartner(
                file=file,
                value=ret.partner,
                note=f"not a partner in {ret.period} (partners: {', '.join(members) or 'none'})",
            )
        )
        return
    ret.meta["partner"] = next(p for p in members if norm(p) == norm(ret.partner))
    current = {r.identity: r for r in discrepancy_refs(c)}
    for a in ret.agreements:
        now = current.get(a.ref.identity)
        if now is not None and _same_figures(now, a.ref):
            continue
        note = (
            "the partners' figures changed after this sign-off workbook was made "
            f"(now {now.values}); make a new one with rmp signoff template"
            if now is not None
            else f"{a.ref.item} ({a.ref.column}) is no longer a discrepancy of {ret.period}; "
            "make a new sign-off workbook with rmp signoff template"
        )
        ret.findings.append(
            SignoffUnknownDiscrepancy(file, SIGNOFF_SHEET, a.row, 0, REF, a.ref.ref, note=note)
        )


def _same_figures(now: DiscrepancyRef, then: DiscrepancyRef) -> bool:
    """Whether the partners' figures are those the sign-off workbook showed (in any order;
    for many partners, without a column each, the values summary)."""
    if now.figures or then.figures:
        return now.figures == then.figures
    return now.values == then.values
