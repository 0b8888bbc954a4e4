"""The sample folder: ``rmp.toml`` and every partner's filled workbook, in order of arrival."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rmp_workbook.atomic import atomic_write_text
from rmp_workbook.sample.fill import fill_workbook
from rmp_workbook.sample.story import (
    UTC,
    SampleRelationship,
    build_relationship,
    config_toml,
    month_end,
    slug,
)

# ---------------------------------------------------------------------------
# The sample folder
# ---------------------------------------------------------------------------


def template_time(period: str) -> dt.datetime:
    """When the relationship manager sends the month's templates: two days before month end."""
    return dt.datetime.combine(month_end(period) - dt.timedelta(days=2), dt.time(7), tzinfo=UTC)


def set_arrival_times(out_dir: str | os.PathLike[str], sample: SampleRelationship) -> None:
    """Give each workbook in ``out_dir`` the modification time of its arrival.

    Git does not keep file times; call this after a checkout so that the newer of
    two files for one partner and period is the resubmission.
    """
    for wb in sample.workbooks:
        path = Path(out_dir) / wb.file_name
        if path.exists():
            stamp = wb.received_at.timestamp()
            os.utime(path, (stamp, stamp))


def write_sample(out_dir: str | os.PathLike[str], seed: int = 2026) -> list[Path]:
    """Write ``rmp.toml`` and every partner's filled workbook; return the paths, config first.

    Workbooks are named ``<partner-slug>_<YYYY-MM>.xlsx`` (a resubmission adds ``_v2``)
    and carry the time they arrived as their modification time.
    """
    from rmp_workbook.template import write_template

    sample = build_relationship(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "rmp.toml"
    atomic_write_text(config_path, config_toml(sample.config))
    paths = [config_path]
    with tempfile.TemporaryDirectory() as tmp:
        for wb in sample.workbooks:
            template = Path(tmp) / f"{slug(wb.partner)}_{wb.period}.xlsx"
            if not template.exists():
                write_template(
                    template,
                    relationship_id=sample.config.id,
                    relationship_name=sample.config.name,
                    partner=wb.partner,
                    period=wb.period,
                    config=sample.config,
                    generated_at=template_time(wb.period),
                )
            paths.append(
                fill_workbook(
                    template,
                    wb.rows,
                    out / wb.file_name,
                    relationship=wb.relationship,
                    style=wb.style,
                    seed=seed,
                    saved_at=wb.received_at,
                    saved_by=str(wb.relationship.get("prepared_by", "")),
                )
            )
    set_arrival_times(out, sample)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m rmp_workbook.sample OUT_DIR [SEED]``: regenerate the sample folder."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or len(args) > 2:
        print("usage: python -m rmp_workbook.sample OUT_DIR [SEED]", file=sys.stderr)
        raise SystemExit(0 if args and args[0] in ("-h", "--help") else 2)
    seed = int(args[1]) if len(args) > 1 else 2026
    paths = write_sample(args[0], seed)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files ({size / 1024:.0f} KB) to {args[0]}")
