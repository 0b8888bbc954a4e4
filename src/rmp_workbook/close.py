"""Closing a month and deciding proposed restatements: ``rmp close`` and ``rmp restatement``.

:func:`close_month` publishes a month: its reconciled figures, gaps and consolidated
workbook are frozen in the ledger as version 1 of the month (who, when). From then on a
workbook for that month that a merge brings is a *proposed restatement*, not merged
(:mod:`rmp_workbook.ledger.publish`); :func:`decide` accepts it (the month's next version
is published, with who, when and why) or rejects it (the month stays as issued). Every
view reads a closed month's published figures (:mod:`rmp_workbook.published`).

A joint sign-off recorded after the close is compared with the published figures
(:func:`propose_signoff`): agreed values that would change them are a proposed
restatement too, decided the same way.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmp_workbook.findings import PeriodClosed, UsageError
from rmp_workbook.ledger.publish import RESTATED_KIND, SIGNOFF_KIND
from rmp_workbook.wording import plural

if TYPE_CHECKING:
    from rmp_workbook.config import RelationshipConfig
    from rmp_workbook.ledger import Ledger, Proposal, Publication
    from rmp_workbook.ledger.publish import FigureChange
    from rmp_workbook.records import Consolidated

__all__ = [
    "CloseResult",
    "Decision",
    "close_month",
    "decide",
    "list_proposals",
    "propose_signoff",
]


@dataclass
class CloseResult:
    """What ``rmp close`` did: the month's publication, or that it was published already."""

    relationship_id: str
    period: str
    publication: Publication
    new: bool
    """False when the month was closed before and nothing changed since (nothing written)."""
    output: Path | None = None
    gaps: int = 0
    figures: int = 0

    @property
    def exit_code(self) -> int:
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "relationship_id": self.relationship_id,
            "period": self.period,
            "closed": True,
            "new": self.new,
            "figures": self.figures,
            "gaps": self.gaps,
            "output": None if self.output is None else str(self.output),
            "publication": self.publication.to_dict(),
            "exit_code": self.exit_code,
        }

    def text(self) -> str:
        p = self.publication
        when = f"{p.published_at:%Y-%m-%d %H:%M} UTC by {p.published_by}"
        if not self.new:
            return (
                f"{self.relationship_id} {self.period} was closed already (version {p.version}, "
                f"{when}); nothing new since: it stands as issued."
            )
        lines = [
            f"Closed {self.relationship_id} {self.period}: version {p.version}, published {when}.",
            f"  {plural(self.figures, 'figure')} (KPI and SLA, per partner) and "
            f"{plural(self.gaps, 'gap')} frozen; consolidated workbook SHA-256 "
            f"{(p.workbook_sha256 or '')[:16]}…",
            "  A workbook for this month merged from now on is a proposed restatement: "
            "rmp restatement list.",
        ]
        if self.output is not None:
            lines.append(f"Wrote {self.output}")
        return "\n".join(lines)


@dataclass
class Decision:
    """A proposed restatement accepted or rejected, and the month's new version if any."""

    proposal: Proposal
    accepted: bool
    publication: Publication | None = None
    output: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal.to_dict(),
            "accepted": self.accepted,
            "publication": None if self.publication is None else self.publication.to_dict(),
            "output": None if self.output is None else str(self.output),
        }

    def text(self) -> str:
        p = self.proposal
        who = f"sign-off by {p.partner}" if p.kind == SIGNOFF_KIND else p.partner
        if not self.accepted:
            kept = " (its agreed values are not published)" if p.kind == SIGNOFF_KIND else ""
            return (
                f"Rejected restatement {p.id} ({who}, {p.file}) of {p.period}: "
                f"the month stays as issued{kept}."
            )
        v = self.publication
        lines = [
            f"Accepted restatement {p.id} ({who}, {p.file}) of {p.period}: {p.summary(5)}.",
        ]
        if v is not None:
            lines.append(
                f"  Published {p.period} version {v.version} ({v.published_at:%Y-%m-%d %H:%M} "
                f"UTC by {v.published_by})."
            )
        if self.output is not None:
            lines.append(f"Wrote {self.output}")
        return "\n".join(lines)


def _config_for(
    led: Ledger, relationship_id: str, period: str, config: RelationshipConfig | None
) -> RelationshipConfig | None:
    """The config given, else the one the ledger holds in force for the month (so a month
    republished without --config keeps its expected partners and thresholds)."""
    from rmp_workbook.plan import config_in_force

    return config_in_force(led, relationship_id, period, config)


def _build(
    led: Ledger, relationship_id: str, period: str, config: RelationshipConfig | None
) -> tuple[Consolidated, dict[str, Any], str]:
    """The month's view from the ledger (earlier closed months as published, the month
    itself as the ledger holds it), its figures to publish and their fingerprint."""
    from rmp_workbook.merge import consolidated_view
    from rmp_workbook.published import apply_published, published_figures

    config = _config_for(led, relationship_id, period, config)
    subs = led.submissions_frame(relationship_id, period)
    current = sorted(int(i) for i in subs.loc[subs["status"] == "current", "submission_id"])
    c = consolidated_view(led, relationship_id, period, config=config, published=False)
    apply_published(led, c, own=False)
    _apply_restated(led, c)
    figures, fingerprint = published_figures(c)
    figures["submissions"] = current
    return c, figures, fingerprint


def _apply_restated(led: Ledger, c: Consolidated) -> None:
    """The month's figures that later months' workbooks restated, where the restatement
    was accepted: each partner's point takes the restated figure, as an in-force
    restatement does for a month not closed (oldest first: a later one wins)."""
    import pandas as pd

    from rmp_workbook.gaps import find_gaps
    from rmp_workbook.ledger.publish import FIGURE_SHEETS, RESTATED_KIND
    from rmp_workbook.reconcile import period_end
    from rmp_workbook.values import fold_text

    accepted = [
        p
        for p in led.proposals(c.relationship_id, c.period, status="accepted")
        if p.kind == RESTATED_KIND
    ]
    changed = False
    for p in accepted:
        for ch in p.changes:
            history, ids = FIGURE_SHEETS[ch.sheet]
            frame = getattr(c, history)
            if frame is None or not len(frame) or ch.column not in frame:
                continue
            labels = [
                fold_text(" / ".join(str(r[k]) for k in ids if r.get(k) is not None))
                for r in frame.to_dict("records")
            ]
            mask = (
                (frame["period"].astype(str) == c.period)
                & (frame["partner"].astype(str).map(fold_text) == fold_text(p.partner))
                & pd.Series([label == fold_text(ch.item) for label in labels], index=frame.index)
            )
            if mask.any():
                frame.loc[mask, ch.column] = ch.proposed
                changed = True
    if changed:
        c.gaps = find_gaps(c, c.thresholds, c.as_of or period_end(c.period))


def _publish(
    led: Ledger,
    c: Consolidated,
    figures: dict[str, Any],
    fingerprint: str,
    output: str | os.PathLike[str] | None,
    *,
    command: str,
    by: str,
    reason: str | None = None,
    proposal_id: int | None = None,
) -> tuple[Publication, Path | None]:
    """Write the view's consolidated workbook (to ``output`` when given) and store the
    month's next publication with it."""
    from rmp_workbook.dashboard import write_consolidated
    from rmp_workbook.merge import check_writable

    target = Path(output) if output is not None else None
    if target is not None:
        check_writable(target)
    with tempfile.TemporaryDirectory(prefix="rmp-close-") as tmp:
        written = write_consolidated(c, target or Path(tmp) / f"consolidated-{c.period}.xlsx")
        data = written.read_bytes()
    publication = led.publish(
        c.relationship_id,
        c.period,
        figures,
        fingerprint,
        command=command,
        by=by,
        reason=reason,
        proposal_id=proposal_id,
        workbook=data,
        workbook_sha256=hashlib.sha256(data).hexdigest(),
        workbook_path=str(target.resolve()) if target is not None else None,
    )
    return publication, target


def _relationship(led: Ledger, config: RelationshipConfig | None, wanted: str | None) -> str:
    from rmp_workbook.ledger import relationship_in

    return relationship_in(led, wanted, config)


def _user(by: str | None) -> str:
    from rmp_workbook.ledger.versions import current_user

    return by or current_user()


def close_month(
    ledger: str | os.PathLike[str] | Ledger,
    period: str,
    *,
    config: RelationshipConfig | None = None,
    relationship_id: str | None = None,
    output: str | os.PathLike[str] | None = None,
    by: str | None = None,
) -> CloseResult:
    """Publish ``period``: freeze its figures, gaps and consolidated workbook in the ledger.

    A month closed already is not closed again: when nothing changed since, the result
    says so (``new`` False); when a proposed restatement awaits a decision, or the figures
    differ from the published ones, PeriodClosed (exit 1) says what to do instead.
    """
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.merge import _PERIOD

    if not _PERIOD.fullmatch(period or ""):
        raise UsageError(f"--period {period!r} is not a month written YYYY-MM, e.g. 2026-11")
    led = ledger if isinstance(ledger, Ledger) else Ledger(ledger, create=False)
    try:
        rel = _relationship(led, config, relationship_id)
        subs = led.submissions_frame(rel, period)
        if not len(subs) or not (subs["status"] == "current").any():
            raise UsageError(
                f"the ledger holds no workbook of {rel} for {period}: merge the month "
                "(rmp merge --period) before closing it"
            )
        if config is not None and config.id == rel:
            led.remember_config(config, period, command="close")
        earlier = led.publications(rel, period)
        previous = earlier[-1] if earlier else None
        if previous is not None:
            pending = led.proposals(rel, period, status="proposed")
            said = (
                f"{rel} {period} was closed on {previous.published_at:%Y-%m-%d %H:%M} UTC by "
                f"{previous.published_by} (version {previous.version})"
            )
            if pending:
                ids = ", ".join(str(p.id) for p in pending)
                raise PeriodClosed(
                    f"{said}; {plural(len(pending), 'proposed restatement')} of it "
                    f"({ids}) {'awaits' if len(pending) == 1 else 'await'} a decision: "
                    "rmp restatement accept ID or reject ID. "
                    "It is not closed again"
                )
        c, figures, fingerprint = _build(led, rel, period, config)
        if previous is not None:
            if previous.fingerprint != fingerprint:
                raise PeriodClosed(
                    f"{said}; its figures as the ledger and config give them now differ from "
                    "the published ones (a changed config, or a restatement accepted but not "
                    "published). A published month changes only through rmp restatement "
                    "accept; rebuild it as issued with rmp merge --period or rmp report"
                )
            return CloseResult(
                rel,
                period,
                previous,
                new=False,
                gaps=len(previous.figures.get("gaps", [])),
                figures=_count(previous.figures),
            )
        publication, out = _publish(
            led, c, figures, fingerprint, output, command="close", by=_user(by)
        )
        return CloseResult(
            rel,
            period,
            publication,
            new=True,
            output=out,
            gaps=len(figures.get("gaps", [])),
            figures=_count(figures),
        )
    finally:
        if not isinstance(ledger, Ledger):
            led.close()


def _count(figures: dict[str, Any]) -> int:
    return len(figures.get("kpi_history", [])) + len(figures.get("sla_history", []))


@dataclass
class ProposalList:
    """``rmp restatement list``: the proposals asked for."""

    relationship_id: str
    proposals: list[Proposal] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "relationship_id": self.relationship_id,
            "proposals": [p.to_dict() for p in self.proposals],
        }

    def text(self) -> str:
        if not self.proposals:
            return f"No proposed restatements for {self.relationship_id}."
        lines = []
        for p in self.proposals:
            decided = ""
            if p.decided_at is not None:
                decided = f" on {p.decided_at:%Y-%m-%d} by {p.decided_by}"
                if p.reason:
                    decided += f" ({p.reason})"
            who = f"sign-off by {p.partner}" if p.kind == SIGNOFF_KIND else p.partner
            file = f"{p.file} restates it" if p.kind == RESTATED_KIND else p.file
            lines.append(
                f"{p.id:>4}  {p.period}  {p.status}{decided}  {who}: {file} "
                f"(recorded after the close on {p.proposed_at:%Y-%m-%d}) — {p.summary(5)}"
            )
        return "\n".join(lines)


def list_proposals(
    ledger: str | os.PathLike[str],
    *,
    config: RelationshipConfig | None = None,
    relationship_id: str | None = None,
    period: str | None = None,
    status: str | None = None,
) -> ProposalList:
    """The relationship's proposed restatements (of one month, with one status)."""
    from rmp_workbook.ledger import Ledger

    with Ledger(ledger, create=False) as led:
        rel = _relationship(led, config, relationship_id)
        return ProposalList(rel, led.proposals(rel, period, status=status))


def decide(
    ledger: str | os.PathLike[str],
    proposal_id: int,
    *,
    accept: bool,
    reason: str | None = None,
    by: str | None = None,
    config: RelationshipConfig | None = None,
    output: str | os.PathLike[str] | None = None,
) -> Decision:
    """Accept or reject proposed restatement ``proposal_id``.

    Accepting makes its workbook the partner's one for the month and publishes the
    month's next version (figures, gaps, consolidated workbook; who, when, why);
    rejecting keeps the month as issued. Both are recorded. UsageError when there is no
    such proposal or it was decided already.
    """
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.values import norm

    with Ledger(ledger, create=False) as led:
        found = led.proposals(None, proposal_id=proposal_id)
        if not found:
            raise UsageError(
                f"no proposed restatement {proposal_id} in the ledger "
                "(rmp restatement list shows them)"
            )
        rel = found[0].relationship_id
        if config is not None and norm(config.id) != norm(rel):
            # Another relationship's partners and thresholds would be published for it.
            raise UsageError(
                f"restatement {proposal_id} is of relationship {rel}, the config's relationship "
                f"ID is {config.id}: give {rel}'s config, or none"
            )
        led.decide(proposal_id, accept=accept, by=_user(by), reason=reason)
        proposal = led.proposals(rel, proposal_id=proposal_id)[0]
        if not accept:
            return Decision(proposal, accepted=False)
        c, figures, fingerprint = _build(led, rel, proposal.period, config)
        publication, out = _publish(
            led,
            c,
            figures,
            fingerprint,
            output,
            command="restatement accept",
            by=_user(by),
            reason=reason,
            proposal_id=proposal_id,
        )
        return Decision(proposal, accepted=True, publication=publication, output=out)


@dataclass
class SignoffComparison:
    """A closed month's sign-offs recorded after the close, compared with its published
    figures: the restatement they propose, or None when they change none of them."""

    relationship_id: str
    period: str
    signoffs: list[int]
    proposal: Proposal | None = None


def propose_signoff(
    led: Ledger,
    relationship_id: str,
    period: str,
    *,
    config: RelationshipConfig | None = None,
    by: str | None = None,
) -> SignoffComparison | None:
    """Compare the month's sign-offs recorded after its close with its published figures.

    The month is built twice from the ledger, as it stands (published) and with those
    sign-offs' agreed values in force; figures that differ (a reconciled KPI or SLA
    figure, a partner's trend point, a register value a discrepancy settles) become one
    proposed restatement, published -> agreed. Without a difference the sign-offs count
    from now on. None when no sign-off awaits comparison.
    """
    ids = led.unchecked_signoffs(relationship_id, period)
    if not ids:
        return None
    base, base_figures, base_fp = _build(led, relationship_id, period, config)
    with led.signoff_trial(ids):
        agreed, agreed_figures, agreed_fp = _build(led, relationship_id, period, config)
    changes = signoff_changes(base, base_figures, agreed, agreed_figures)
    proposal = led.settle_signoffs(
        relationship_id, period, ids, changes, differ=bool(changes) or base_fp != agreed_fp,
        by=_user(by),
    )  # fmt: skip
    return SignoffComparison(relationship_id, period, ids, proposal)


def signoff_changes(
    base: Consolidated,
    base_figures: dict[str, Any],
    agreed: Consolidated,
    agreed_figures: dict[str, Any],
) -> list[FigureChange]:
    """The figures that differ between a month as published and with agreed values in
    force: reconciled KPI and SLA Actuals and Targets, each partner's trend point where
    the reconciled figure stays (the partners agreed it, so each line takes it), and any
    other value a discrepancy settles (a risk's Likelihood)."""
    from rmp_workbook.ledger.publish import COMPARED, FIGURE_SHEETS, FigureChange
    from rmp_workbook.plain import clean

    out: list[FigureChange] = []
    for sheet_key, (history, ids) in FIGURE_SHEETS.items():
        before = _keyed(base_figures.get(sheet_key, []), ids)
        moved: set[tuple[str, ...]] = set()
        for key, row in _keyed(agreed_figures.get(sheet_key, []), ids).items():
            was = before.get(key, {})
            for col in COMPARED:
                old, new = clean(was.get(col)), clean(row.get(col))
                if _differ(old, new):
                    moved.add(key)
                    out.append(FigureChange(sheet_key, _item(row, ids), col, old, new))
        points = _keyed(base_figures.get(history, []), (*ids, "partner"))
        for key, row in _keyed(agreed_figures.get(history, []), (*ids, "partner")).items():
            if key[: len(ids)] in moved:
                continue  # the reconciled figure's change says it
            old, new = clean(points.get(key, {}).get("actual")), clean(row.get("actual"))
            if _differ(old, new):
                item = f"{_item(row, ids)} ({row.get('partner')})"
                out.append(FigureChange(sheet_key, item, "actual", old, new))
    # Any other value a discrepancy settles: as the Discrepancies sheet reconciles it.
    settled = _settled(base)
    for (sheet_key, column, item), value in _settled(agreed).items():
        if sheet_key in FIGURE_SHEETS and column in COMPARED:
            continue  # said above, from the published figures
        old = settled.get((sheet_key, column, item))
        if _differ(old, value):
            out.append(FigureChange(sheet_key, item, column, old, value))
    return out


def _keyed(
    rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> dict[tuple[str, ...], dict[str, Any]]:
    from rmp_workbook.values import key_text

    return {tuple(key_text(r.get(k)) for k in keys): r for r in rows}


def _item(row: dict[str, Any], ids: tuple[str, ...]) -> str:
    return " / ".join(str(row[k]) for k in ids if row.get(k) is not None)


def _differ(old: Any, new: Any) -> bool:
    """Whether a published value and an agreed one differ (numbers to rounding)."""
    import math

    if old is None or new is None:
        return new is not None  # a blank agreed value changes nothing
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return not math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-12)
    from rmp_workbook.plain import norm_key

    return bool(norm_key(old) != norm_key(new))


def _settled(c: Consolidated) -> dict[tuple[str, str, str], Any]:
    """The view's discrepancies: (sheet key, column key, item) -> reconciled value."""
    from rmp_workbook.plain import clean
    from rmp_workbook.signoff import discrepancy_refs

    return {(r.sheet, r.column, r.item): clean(r.reconciled) for r in discrepancy_refs(c)}
