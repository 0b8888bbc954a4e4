"""``rmp demo``: the whole monthly cycle on a realistic sample relationship.

template -> partners fill -> validate -> merge (ledger, reconcile, gaps,
consolidated workbook) -> report -> next month's templates pre-filled from
the ledger. Everything lands in one folder a newcomer can open.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rmp_workbook.merge import MergeResult
from rmp_workbook.validate import Report

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


def _next_period(period: str) -> str:
    year, month = (int(x) for x in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}"


def run_demo(
    out_dir: str | os.PathLike[str], *, seed: int = 2026, step: Step | None = None
) -> DemoResult:
    """Run the monthly cycle on the sample relationship into ``out_dir``."""
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.merge import merge
    from rmp_workbook.report import write_report
    from rmp_workbook.sample import build_relationship, write_sample
    from rmp_workbook.template import write_partner_templates
    from rmp_workbook.validate import validate_paths

    say = step or (lambda _msg: None)
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sample = build_relationship(seed)
    config = sample.config
    period = sample.periods[-1]

    say(f"1/6 template: one workbook per partner for {period}")
    # The folder is laid out as the README's relationship folder: rmp.toml, one folder of
    # templates per month, returned/, the ledger, the consolidated workbook, feedback/, report/.
    templates = write_partner_templates(out / period, config, period)

    say(f"2/6 fill: {len(sample.workbooks)} workbooks come back over {len(sample.periods)} months")
    returned_dir = out / "returned"
    if returned_dir.exists():
        shutil.rmtree(returned_dir)
    written = write_sample(returned_dir, seed)
    config_path = out / "rmp.toml"
    shutil.move(str(written[0]), config_path)
    returned = written[1:]

    say("3/6 validate: every cell of every workbook")
    validation = validate_paths([returned_dir])

    say("4/6 merge: ledger, reconciliation, gaps, consolidated workbook")
    ledger_path = out / "rmp-ledger.sqlite"
    if ledger_path.exists():
        ledger_path.unlink()  # the demo starts from an empty history every time
    today = max(w.received_at for w in sample.workbooks).date() + dt.timedelta(days=1)
    merged = merge(
        [returned_dir],
        ledger=ledger_path,
        output=out / f"consolidated-{period}.xlsx",
        config=config,
        feedback_dir=out / "feedback",
        today=today,
    )

    say("5/6 report: chart images and a one-page PDF")
    charts: list[Path] = []
    if merged.consolidated is not None:
        charts = write_report(merged.consolidated, out / "report", config.thresholds)

    nxt = _next_period(period)
    say(f"6/6 next month: {nxt} workbooks pre-filled from the ledger")
    led = Ledger(ledger_path)
    try:
        prefill = {p.name: led.prefill_rows(config.id, p.name, nxt) for p in config.partners}
    finally:
        led.close()
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
    )
