"""Who has sent the month's workbook: ``rmp status --period P``.

For each partner expected for the period (the config's members that month, else the
partners the ledger knows), the state of its return, from the ledger and optionally
a folder of returned files not merged yet:

``received``
    a current workbook is in the ledger (or a valid one waits in the folder);
``late``
    received after the due day (the file's time, else when it was merged);
``invalid``
    the workbook in hand has errors (their number is given);
``missing``
    nothing for the period.

Workbooks a newer one replaced are ``superseded`` (listed with the file that replaced
them). Files for another month (``wrong period``) or from an organisation that is not a
partner (``unknown sender``) are listed apart. Nothing is written anywhere.

This module is the one home of these states: ``rmp status``, the Dashboard's partner
block and header, and the consolidated workbook's Submissions sheet all call
:func:`ledger_states` / :func:`file_state`, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmp_workbook.findings import UnknownPartner, UsageError, WrongPeriod

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from rmp_workbook.config import RelationshipConfig
    from rmp_workbook.ledger import Ledger

RECEIVED, LATE, INVALID, MISSING = "received", "late", "invalid", "missing"
SUPERSEDED, WRONG_PERIOD, UNKNOWN_SENDER = "superseded", "wrong period", "unknown sender"
STATES = (RECEIVED, LATE, INVALID, MISSING, SUPERSEDED, WRONG_PERIOD, UNKNOWN_SENDER)
"""Every state a return can be in, as ``rmp status``, the Dashboard and the Submissions
sheet name it."""

_NOT_CURRENT = ("superseded", "rejected", "invalid", "failed")
"""Ledger statuses of a file that no longer counts (``current`` is the one that does)."""


@dataclass
class Replaced:
    """A workbook a newer one from the same partner replaced."""

    file: str
    replaced_by: str


@dataclass
class PartnerStatus:
    """One expected partner's return for the period."""

    partner: str
    state: str
    """``received``, ``late``, ``invalid`` or ``missing`` (the worst that applies)."""
    file: str = ""
    received_on: dt.date | None = None
    merged: bool = False
    """True when the workbook is in the ledger; False when it waits in the folder."""
    late: bool = False
    errors: int = 0
    warnings: int = 0
    replaced: list[Replaced] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    """Other valid-looking files of this partner in the folder, not merged yet."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "state": self.state,
            "file": self.file,
            "received_on": self.received_on.isoformat() if self.received_on else None,
            "merged": self.merged,
            "late": self.late,
            "errors": self.errors,
            "warnings": self.warnings,
            "superseded": [{"file": r.file, "replaced_by": r.replaced_by} for r in self.replaced],
            "waiting": list(self.waiting),
        }


@dataclass
class StrayFile:
    """A file in the folder that is not a return for this period from a partner."""

    file: str
    code: str
    """``wrong-period``, ``unknown-partner``, or the code that makes it unreadable."""
    partner: str
    period: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "code": self.code,
            "partner": self.partner,
            "period": self.period,
            "message": self.message,
        }


@dataclass
class StatusReport:
    """The state of every expected partner's return for one period."""

    relationship_id: str
    period: str
    due: dt.date | None
    partners: list[PartnerStatus] = field(default_factory=list)
    wrong_period: list[StrayFile] = field(default_factory=list)
    unknown_sender: list[StrayFile] = field(default_factory=list)
    unreadable: list[StrayFile] = field(default_factory=list)
    in_ledger: bool = True
    """False when the ledger holds no workbook of this relationship yet (before its first
    merge): every partner is then missing, which the text says once."""

    def count(self, state: str) -> int:
        return sum(p.state == state for p in self.partners)

    @property
    def complete(self) -> bool:
        """Every expected partner's workbook is in and has no errors, and no stray file."""
        return (
            all(p.state in (RECEIVED, LATE) for p in self.partners)
            and not self.wrong_period
            and not self.unknown_sender
            and not self.unreadable
        )

    @property
    def exit_code(self) -> int:
        return 0 if self.complete else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "relationship_id": self.relationship_id,
            "period": self.period,
            "due": self.due.isoformat() if self.due else None,
            "in_ledger": self.in_ledger,
            "partners": [p.to_dict() for p in self.partners],
            "wrong_period": [s.to_dict() for s in self.wrong_period],
            "unknown_sender": [s.to_dict() for s in self.unknown_sender],
            "unreadable": [s.to_dict() for s in self.unreadable],
            "summary": {
                "expected": len(self.partners),
                "in": sum(p.state != MISSING for p in self.partners),
                "missing": self.count(MISSING),
                "late": sum(p.late for p in self.partners),
                "invalid": self.count(INVALID),
                "superseded": sum(len(p.replaced) for p in self.partners),
                "wrong_period": len(self.wrong_period),
                "unknown_sender": len(self.unknown_sender),
                "unreadable": len(self.unreadable),
                "exit_code": self.exit_code,
            },
        }


def _day(value: Any) -> dt.date | None:
    """A date from a ledger timestamp (datetime, pandas Timestamp or NaT), or None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _state(late: bool, errors: int) -> str:
    if errors:
        return INVALID
    return LATE if late else RECEIVED


def is_late(received_on: dt.date | None, due: dt.date | None) -> bool:
    """Received after the due day (a file received on the due day is on time)."""
    return bool(due and received_on and received_on > due)


def received_day(row: Mapping[str, Any]) -> dt.date | None:
    """The day a ledger submission row was received: the file's time, else its merge."""
    return _day(row.get("received_at")) or _day(row.get("recorded_at"))


def _current(ledger_status: Any) -> bool:
    text = str(ledger_status or "").strip().lower()
    return not text.startswith(_NOT_CURRENT)


def _count(value: Any) -> int:
    try:
        return int(value) if value is not None and value == value else 0
    except (TypeError, ValueError):
        return 0


def file_state(row: Mapping[str, Any], due: dt.date | None) -> str:
    """The state of one file the ledger holds: superseded, invalid, late or received."""
    if not _current(row.get("status")):
        return SUPERSEDED
    return _state(is_late(received_day(row), due), _count(row.get("errors")))


def ledger_states(
    subs: pd.DataFrame, period: str, expected: Sequence[str], due: dt.date | None
) -> dict[str, PartnerStatus]:
    """Each partner's return for ``period`` from the ledger's submissions (every expected
    partner, then any other that sent a file), in order: expected ones first."""
    by_partner: dict[str, PartnerStatus] = {p: PartnerStatus(p, MISSING) for p in expected}
    if subs is None or not len(subs) or "period" not in subs:
        return by_partner
    of_period = subs[subs["period"].astype(str) == period]
    records = of_period.to_dict("records")
    files_by_id = {
        _count(r.get("submission_id")): str(r.get("file") or "")
        for r in records
        if r.get("submission_id") is not None
    }
    for r in records:
        partner = str(r["partner"])
        ps = by_partner.get(partner)
        if ps is None:  # in the ledger from before the config said otherwise
            ps = by_partner[partner] = PartnerStatus(partner, MISSING)
        if _current(r.get("status")):
            ps.file, ps.merged = str(r.get("file") or ""), True
            ps.received_on = received_day(r)
            ps.errors, ps.warnings = _count(r.get("errors")), _count(r.get("warnings"))
        else:
            by = r.get("superseded_by")
            newer = files_by_id.get(_count(by), "") if by is not None and str(by) != "<NA>" else ""
            ps.replaced.append(Replaced(str(r.get("file") or ""), newer))
    for ps in by_partner.values():
        if ps.file:
            ps.late = is_late(ps.received_on, due)
            ps.state = _state(ps.late, ps.errors)
    return by_partner


def state_text(ps: PartnerStatus) -> str:
    """A partner's state as the Dashboard shows it: ``Late``, ``Invalid (2 errors, late)``…"""
    if ps.state == INVALID:
        text = f"invalid ({ps.errors} error{'s' * (ps.errors != 1)}{', late' * ps.late})"
    elif ps.state != MISSING and ps.warnings:
        text = f"{ps.state} ({ps.warnings} warning{'s' * (ps.warnings != 1)})"
    else:
        text = ps.state
    return text[:1].upper() + text[1:]


STRAY_STATES = {WrongPeriod.code: WRONG_PERIOD, UnknownPartner.code: UNKNOWN_SENDER}
"""Finding codes of a file a merge left out as not this month's return -> its state."""


def stray_files(data_quality: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """(file, state, message) of each file a merge left out as another month's (``wrong
    period``) or from an organisation that is not a partner (``unknown sender``), from the
    view's data-quality rows."""
    if data_quality is None or not len(data_quality) or "code" not in data_quality:
        return []
    out = []
    for r in data_quality.to_dict("records"):
        state = STRAY_STATES.get(str(r.get("code")))
        message = str(r.get("message") or "")
        if state and message.startswith("Not merged"):
            out.append((str(r.get("file") or ""), state, message))
    return out


def submission_rows(
    subs: pd.DataFrame | None,
    period: str,
    expected: Sequence[str],
    due_dates: Mapping[str, dt.date],
    data_quality: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The Submissions sheet: every file with its state and due day, a line per expected
    partner with nothing for ``period`` (missing), and each file the merge left out as
    another month's or an unknown sender's (from ``data_quality``)."""
    import pandas as pd

    frame = subs.copy() if subs is not None else pd.DataFrame()
    if len(frame) and "period" in frame:
        records = frame.to_dict("records")
        frame.insert(
            min(4, len(frame.columns)),
            "due",
            [due_dates.get(str(r.get("period"))) for r in records],
        )
        at = list(frame.columns).index("received_at") + 1 if "received_at" in frame else 0
        frame.insert(
            at,
            "state",
            [file_state(r, due_dates.get(str(r.get("period")))) for r in records],
        )
    extra: list[dict[str, Any]] = []
    states = ledger_states(subs if subs is not None else frame, period, expected, None)
    for ps in states.values():
        if ps.state == MISSING and not ps.replaced:
            extra.append(
                {"partner": ps.partner, "period": period, "due": due_dates.get(period),
                 "state": MISSING}
            )  # fmt: skip
    for file, state, message in stray_files(data_quality):
        extra.append({"file": file, "state": state, "status": message})
    if extra:
        frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    return frame


def status(
    ledger: Ledger,
    period: str,
    *,
    config: RelationshipConfig | None = None,
    relationship_id: str | None = None,
    returned: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
) -> StatusReport:
    """The state of each expected partner's return for ``period``.

    ``returned`` is a folder (or file) of returned workbooks not merged yet: they are
    validated as ``rmp validate --period --config`` does; files already in the ledger
    are not counted twice. Raises UsageError when the relationship is unknown.
    """
    from rmp_workbook.config import period_bounds, relationship_wanted
    from rmp_workbook.ledger import relationship_in

    try:
        period_bounds(period)
    except ValueError:
        raise UsageError(
            f"--period {period!r} is not a month written YYYY-MM, e.g. 2026-11"
        ) from None
    # The ledger's relationship (in its spelling) as every command picks it; but a named
    # one need not be in the ledger yet: status works before the first merge.
    rel_id = relationship_wanted(relationship_id, config)
    try:
        rel_id = relationship_in(ledger, relationship_id, config)
    except UsageError:
        if rel_id is None:
            raise
    # Without --config, the config the ledger holds for the period: who was a partner
    # then, and the due day (the states the merge's Dashboard shows).
    from rmp_workbook.plan import config_in_force

    config = config_in_force(ledger, rel_id, period, config)
    report = StatusReport(rel_id, period, config.due_date(period) if config else None)

    subs = ledger.submissions_frame(rel_id)
    report.in_ledger = len(subs) > 0
    # A file that came after the month was closed (rmp close) is a proposed restatement,
    # not the month's return: the month's returns are the published ones.
    subs = subs[~subs["status"].isin(("proposed", "rejected"))] if len(subs) else subs
    if config is not None and config.partners:
        expected = [p.name for p in config.members(period)]
    else:
        rels = ledger.relationships()
        row = rels[rels["relationship_id"] == rel_id]
        listed = str(row["partners"].iloc[0] or "") if len(row) else ""
        expected = [p.strip() for p in listed.split(",") if p.strip()]
    by_partner = ledger_states(subs, period, expected, report.due)

    if returned is not None:
        known = set(subs["sha256"].astype(str)) if len(subs) else set()
        _folder(report, by_partner, returned, known, period, config, rel_id, jobs)

    for ps in by_partner.values():
        if ps.file:
            ps.late = is_late(ps.received_on, report.due)
            ps.state = _state(ps.late, ps.errors)
    report.partners = list(by_partner.values())
    return report


def _folder(
    report: StatusReport,
    by_partner: dict[str, PartnerStatus],
    returned: str | os.PathLike[str],
    known: set[str],
    period: str,
    config: RelationshipConfig | None,
    rel_id: str,
    jobs: int | None,
) -> None:
    """Add the returned files not merged yet: each partner's newest, and the strays."""
    from rmp_workbook.expected import check_identity
    from rmp_workbook.validate import FileResult, validate_paths

    def check(result: FileResult) -> None:
        check_identity(result, period=period, config=config)

    found = validate_paths(
        [Path(returned)], relationship_id=rel_id, jobs=jobs, keep_records=False, each=check
    )
    pending: list[FileResult] = []
    for r in found.checked:
        name = Path(r.path).name
        sub = r.submission
        if sub is not None and sub.sha256 in known:
            continue  # merged already: the ledger part says what became of it
        codes = {f.code for f in r.errors}
        partner = sub.meta.partner if sub else ""
        month = sub.meta.period if sub else ""
        if not r.readable or sub is None or "wrong-relationship" in codes:
            why = "; ".join(f.message for f in r.errors) or "not a readable RMP workbook"
            code = r.errors[0].code if r.errors else "not-a-workbook"
            report.unreadable.append(StrayFile(name, code, partner, month, why))
        elif WrongPeriod.code in codes and month != period:
            msg = next(f.message for f in r.errors if f.code == WrongPeriod.code)
            report.wrong_period.append(StrayFile(name, WrongPeriod.code, partner, month, msg))
        elif UnknownPartner.code in codes:
            msg = next(f.message for f in r.errors if f.code == UnknownPartner.code)
            report.unknown_sender.append(StrayFile(name, UnknownPartner.code, partner, month, msg))
        else:
            pending.append(r)
    # A file waiting in the folder is the partner's newest: it will replace what the
    # ledger holds when it is merged. Of several, the latest file time is shown.
    for r in sorted(pending, key=lambda r: os.stat(r.path).st_mtime):
        sub = r.submission
        assert sub is not None
        ps = by_partner.get(sub.meta.partner)
        if ps is None:
            ps = by_partner[sub.meta.partner] = PartnerStatus(sub.meta.partner, MISSING)
        if ps.file and not ps.merged:
            ps.waiting.append(ps.file)
        elif ps.file:
            ps.replaced.append(Replaced(ps.file, Path(r.path).name))
        ps.file, ps.merged = Path(r.path).name, False
        ps.received_on = dt.datetime.fromtimestamp(os.stat(r.path).st_mtime).date()
        ps.errors, ps.warnings = len(r.errors), len(r.warnings)


def format_status(report: StatusReport) -> str:
    """The text ``rmp status`` prints: one line per expected partner, then the strays."""
    due = f", due {report.due.isoformat()}" if report.due else ""
    lines = [f"Relationship {report.relationship_id}, period {report.period}{due}"]
    if not report.in_ledger:
        lines.append(
            f"  The ledger holds nothing for {report.relationship_id} yet: no workbook of it "
            "has been merged, so every partner not in --returned shows as missing."
        )
    width = max((len(p.partner) for p in report.partners), default=0)
    for p in report.partners:
        if p.state == MISSING:
            lines.append(f"  {p.partner:<{width}}  missing")
            continue
        when = f" on {p.received_on.isoformat()}" if p.received_on else ""
        where = "" if p.merged else " (in the folder, not merged yet)"
        state = p.state
        if p.state == INVALID:
            state = f"invalid ({p.errors} error{'s' * (p.errors != 1)}{', late' * p.late})"
        line = f"  {p.partner:<{width}}  {state:<8}  {p.file}{when}{where}"
        lines.append(line)
        for r in p.replaced:
            lines.append(f"  {'':<{width}}  superseded {r.file}, replaced by {r.replaced_by}")
        for w in p.waiting:
            lines.append(f"  {'':<{width}}  also in the folder: {w}")
    for s in report.wrong_period:
        lines.append(f"  Another month: {s.file} is {s.partner or '?'}'s workbook for {s.period}")
    for s in report.unknown_sender:
        lines.append(f"  Not a partner in {report.period}: {s.file} is from {s.partner!r}")
    for s in report.unreadable:
        lines.append(f"  Not usable: {s.file}: {s.message}")
    d = report.to_dict()["summary"]
    lines.append(
        f"{d['in']} of {d['expected']} partners in; {d['missing']} missing, {d['late']} late, "
        f"{d['invalid']} with errors."
    )
    return "\n".join(lines)
