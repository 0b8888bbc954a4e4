"""``rmp demo``: the whole monthly cycle on a realistic sample relationship.

template -> partners fill -> validate -> merge on the due day -> status and a
reminder to the partner still missing -> merge again when its late workbook arrives
(ledger, reconcile, gaps, consolidated workbook) -> report -> next month's templates
pre-filled from the ledger. Everything lands in one folder a newcomer can open.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rmp_workbook.atomic import atomic_write_text
from rmp_workbook.merge import MergeResult
from rmp_workbook.status import PartnerStatus
from rmp_workbook.validate import Report

if TYPE_CHECKING:
    from rmp_workbook.sample.story import SampleRelationship

Step = Callable[[str], None]


@dataclass
class DemoResult:
    """Where each output of the demo is."""

    folder: Path
    config: Path
    templates: list[Path]
    returned: list[Path]
    validation: Report
    merged: MergeResult
    charts: list[Path] = field(default_factory=list)
    next_month: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    due: dt.date | None = None
    """The day the month's workbooks were due back (the config's ``due``)."""
    missing_on_due_day: list[str] = field(default_factory=list)
    """Partners whose workbook was not in on the due day."""
    reminders: list[Path] = field(default_factory=list)
    """The reminder drafts (.eml) written to them, in ``outbox/``."""
    late: list[PartnerStatus] = field(default_factory=list)
    """Partners whose workbook came in after the due day (``rmp status``: late)."""
    first_merge: MergeResult | None = None
    """The merge on the due day (``merged`` is the one after the late workbook came)."""
    late_merge: MergeResult | None = None
    """The merge once the late workbook came (``merged`` rebuilt it after the sign-off)."""
    signoff: list[Path] = field(default_factory=list)
    """The month's sign-off workbooks (``signoff/``), as the partners returned them."""
    signoff_line: str = ""
    """What the Dashboard says of the sign-off, e.g. "Agreed by all partners on …"."""
    closed: bool = False
    """Whether ``rmp close`` published the month."""

    def recorded(self, key: str) -> int:
        """A count of both merges' summaries (workbooks ``recorded``, ``rows_added`` …)."""
        runs = [r for r in (self.first_merge, self.late_merge, self.merged) if r is not None]
        return sum(int(r.summary()[key]) for r in runs)


def _next_period(period: str) -> str:
    year, month = (int(x) for x in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}"


def run_demo(
    out_dir: str | os.PathLike[str], *, seed: int = 2026, step: Step | None = None
) -> DemoResult:
    """Run the monthly cycle on the sample relationship into ``out_dir``."""
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.mail import Kind, build_drafts, write_drafts
    from rmp_workbook.merge import merge
    from rmp_workbook.report import write_report
    from rmp_workbook.sample import build_relationship, write_sample
    from rmp_workbook.sample.story import DEADLINE_DAY, config_toml
    from rmp_workbook.status import MISSING, status
    from rmp_workbook.template import write_partner_templates
    from rmp_workbook.validate import validate_paths

    say = step or (lambda _msg: None)
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sample = build_relationship(seed)
    # The demo's relationship says when workbooks are due: the sample's deadline.
    config = sample.config.model_copy(update={"due": f"day {DEADLINE_DAY}"})
    period = sample.periods[-1]

    say(f"1/9 template: one workbook per partner for {period}")
    # The folder is laid out as the README's relationship folder: rmp.toml, one folder of
    # templates per month, returned/, the ledger, the consolidated workbook, feedback/, report/.
    templates = write_partner_templates(out / period, config, period)

    say(f"2/9 fill: {len(sample.workbooks)} workbooks come back over {len(sample.periods)} months")
    returned_dir = out / "returned"
    if returned_dir.exists():
        shutil.rmtree(returned_dir)
    written = write_sample(returned_dir, seed)
    config_path = out / "rmp.toml"
    written[0].unlink()
    atomic_write_text(config_path, config_toml(config))
    returned = written[1:]

    say("3/9 validate: every cell of every workbook")
    validation = validate_paths([returned_dir])

    ledger_path = out / "rmp-ledger.sqlite"
    if ledger_path.exists():
        ledger_path.unlink()  # the demo starts from an empty history every time
    due = config.due_date(period)
    assert due is not None  # the sample's config says when workbooks are due
    in_by_due = [p for p in returned if _arrived(sample, p) <= due]
    say(f"4/9 merge on the due day, {due}: the {len(in_by_due)} workbooks in by then")
    consolidated = out / f"consolidated-{period}.xlsx"
    first = merge(in_by_due, ledger=ledger_path, output=consolidated, config=config, today=due)

    say("5/9 status and reminders: who is missing, and a reminder e-mail draft to them")
    with Ledger(ledger_path) as led:
        missing = [p.partner for p in status(led, period, config=config).partners
                   if p.state == MISSING]  # fmt: skip
    outbox = out / "outbox"
    if outbox.exists():
        shutil.rmtree(outbox)
    manager = config.partners[0]  # the SME runs the plan: its contact writes the e-mails
    drafts = build_drafts(
        config, period, Kind.REMINDERS, folder=templates[0].parent, ledger=ledger_path,
        sender=f"{manager.contact} <{manager.email}>",
        now=dt.datetime.combine(due + dt.timedelta(days=1), dt.time(8), tzinfo=dt.UTC),
    )  # fmt: skip
    reminders = write_drafts(drafts, outbox)

    def merge_returned(on: dt.date) -> MergeResult:
        """Merge everything in returned/ as on day ``on``, with feedback copies."""
        return merge(
            [returned_dir],
            ledger=ledger_path,
            output=consolidated,
            config=config,
            feedback_dir=out / "feedback",
            today=on,
        )

    say("6/9 merge: the late workbook is in; ledger, reconciliation, gaps, consolidated workbook")
    today = max(w.received_at for w in sample.workbooks).date() + dt.timedelta(days=1)
    merged = merge_returned(today)
    with Ledger(ledger_path) as led:
        late = [p for p in status(led, period, config=config).partners if p.late]

    say("7/9 sign-off and close: partners agree the differences; the month is published")
    from rmp_workbook.close import close_month
    from rmp_workbook.sample.signoff import sign_off

    signed_on = today + dt.timedelta(days=2)
    made, _recorded = sign_off(ledger_path, config, period, out / "signoff", on=signed_on)
    # Rebuilt with the agreed values in place, then frozen as issued.
    late_merge = merged
    merged = merge_returned(signed_on)
    closed = close_month(ledger_path, period, config=config, output=consolidated, by="demo")
    sign_line = ""
    if merged.consolidated is not None:
        from rmp_workbook.signoff import signoff_line

        sign_line = signoff_line(merged.consolidated) or ""

    say("8/9 report: chart images and a one-page PDF")
    charts: list[Path] = []
    if merged.consolidated is not None:
        charts = write_report(merged.consolidated, out / "report", config.thresholds)

    nxt = _next_period(period)
    say(f"9/9 next month: {nxt} workbooks pre-filled from the ledger")
    with Ledger(ledger_path) as led:
        prefill = {p.name: led.prefill_rows(config.id, p.name, nxt) for p in config.partners}
    next_month = write_partner_templates(out / nxt, config, nxt, prefill=prefill)

    return DemoResult(
        folder=out,
        config=config_path,
        templates=templates,
        returned=returned,
        validation=validation,
        merged=merged,
        charts=charts,
        next_month=next_month,
        seconds=time.perf_counter() - started,
        due=due,
        missing_on_due_day=missing,
        reminders=reminders,
        late=late,
        first_merge=first,
        late_merge=late_merge,
        signoff=made,
        signoff_line=sign_line,
        closed=closed.new,
    )


def _arrived(sample: SampleRelationship, path: Path) -> dt.date:
    """The day a sample workbook came back (its file time, as the sample sets it)."""
    found = next((w for w in sample.workbooks if w.file_name == path.name), None)
    return found.received_at.date() if found else dt.date.min
