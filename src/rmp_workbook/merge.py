"""The monthly merge: validate every workbook, record the good ones, reconcile, write.

``merge`` is the one function ``rmp merge`` calls. It reads and validates each
file, records every usable submission in the ledger in one transaction, builds
the reconciled view of the period from the ledger, and writes the consolidated
workbook. A file that cannot be used is skipped with its reason; a row with
errors is left out with its cell address; everything else still merges.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmp_workbook.container import Limits, check_file_count
from rmp_workbook.expected import check_identity
from rmp_workbook.findings import (
    AmbiguousResubmission,
    Finding,
    OutputError,
    Severity,
    UsageError,
)
from rmp_workbook.reconcile import DATA_QUALITY_COLUMNS
from rmp_workbook.validate import FileResult, Report, expand_paths, validate_paths

if TYPE_CHECKING:
    import pandas as pd

    from rmp_workbook.config import RelationshipConfig
    from rmp_workbook.ledger import Ledger, Recorder, RecordResult
    from rmp_workbook.records import Consolidated

Progress = Callable[[str], None]
"""Called once per input file as it is done, with the file's path."""

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# File-level findings that leave a workbook's identity in doubt: it is not merged.
_IDENTITY_CODES = frozenset({"wrong-relationship", "wrong-period"})
MIN_FREE_BYTES = 4 * 1024 * 1024
"""Free space an output folder needs before a merge records anything (a consolidated
workbook of a dozen partners is a few hundred KB)."""


@dataclass
class Skipped:
    """An input file that was not merged, and why."""

    path: str
    reason: str
    code: str


@dataclass
class MergeResult:
    """What a merge did: the validation report, the ledger's answer and the outputs."""

    report: Report
    relationship_id: str = ""
    period: str = ""
    skipped: list[Skipped] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    """Paths of the workbooks handed to the ledger (duplicates included)."""
    earlier: list[str] = field(default_factory=list)
    """Paths of other months' workbooks (``--period``) the ledger already holds: left alone."""
    recorded: RecordResult | None = None
    consolidated: Consolidated | None = None
    output: Path | None = None
    feedback: list[Path] = field(default_factory=list)
    published_version: int | None = None
    """The period is closed (``rmp close``): the version of it the workbook shows."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each phase: ``read_validate_record`` (reading, validating and
    recording every workbook, overlapped), ``reconcile`` (the view from the ledger, with
    gaps) and ``write`` (the consolidated workbook)."""

    @property
    def replaced(self) -> dict[str, str]:
        """Path of each workbook of this run that is not current -> the file now current.

        A newer workbook from the same partner for the same period replaced it (in this
        run or an earlier one): its findings are no longer reported, no feedback copy is
        written for it, and it does not make the exit code 1.
        """
        rec = self.recorded
        if rec is None:
            return {}
        files = {r.id: r.file for r in rec.recorded}
        files.update({x.new_id: x.new_file for x in rec.superseded})
        out = {
            r.path: files.get(r.superseded_by or -1, "a newer workbook")
            for r in rec.recorded
            if r.status == "superseded"
        }
        out.update({d.path: "a newer workbook" for d in rec.duplicates if not d.current})
        return out

    @property
    def left_out(self) -> list[Finding]:
        """Errors in merged, current workbooks: the rows (or sheets) they name were left out."""
        merged = set(self.merged) - set(self.replaced)
        return [
            f
            for r in self.report.files
            if r.path in merged
            for f in r.findings
            if f.severity is Severity.ERROR
        ]

    def replacements(self) -> list[dict[str, Any]]:
        """Each workbook a newer one replaced in this run, with what changed."""
        rec = self.recorded
        return [
            {
                "partner": x.partner,
                "period": x.period,
                "old": x.old_file,
                "new": x.new_file,
                "changes": list(x.changes),
                "text": replacement_text(x.new_file, x.old_file, x.changes),
            }
            for x in (rec.superseded if rec else [])
        ]

    def proposals(self) -> list[dict[str, Any]]:
        """Each workbook of this run for a closed month, recorded as a proposed restatement
        (not merged), with the figures it would change and the path it was read from."""
        rec = self.recorded
        if rec is None:
            return []
        paths = {r.id: r.path for r in rec.recorded}
        return [
            {**p.to_dict(), "path": paths.get(p.submission_id or -1, "")} for p in rec.proposals
        ]

    @property
    def exit_code(self) -> int:
        """0 everything merged clean, 1 something was skipped or left out, 2 nothing usable."""
        if self.output is None:
            return 2
        real_skips = [s for s in self.skipped if s.code != "skipped-file"]
        return 1 if real_skips or self.left_out else 0

    def summary(self) -> dict[str, Any]:
        rec = self.recorded
        c = self.consolidated
        return {
            "relationship_id": self.relationship_id,
            "period": self.period,
            "files": len(self.report.files),
            "merged": len(self.merged),
            "recorded": len(rec.recorded) if rec else 0,
            "duplicates": len(rec.duplicates) if rec else 0,
            "superseded": len(rec.superseded) if rec else 0,
            "restatements": len(rec.restatements) if rec else 0,
            "proposed_restatements": len(rec.proposals) if rec else 0,
            "rows_added": sum(rec.rows.values()) if rec else 0,
            "earlier_months": len(self.earlier),
            "skipped": len(self.skipped),
            "rows_left_out": len(self.left_out),
            "discrepancies": 0 if c is None else len(c.discrepancies),
            "gaps": 0 if c is None else len(c.gaps),
            "red_gaps": 0 if c is None else sum(g.severity == "Red" for g in c.gaps),
            "output": None if self.output is None else str(self.output),
            "published_version": self.published_version,
            "feedback": [str(p) for p in self.feedback],
            "exit_code": self.exit_code,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        replaced = self.replaced
        files = []
        for r in self.report.files:
            entry = r.to_dict()
            if r.path in replaced:
                # Its problems are the replaced file's, not the partner's to fix any more.
                entry["superseded_by"] = replaced[r.path]
                entry["problems"] = []
            files.append(entry)
        return {
            "summary": self.summary(),
            "replacements": self.replacements(),
            "proposed_restatements": self.proposals(),
            "skipped": [{"path": s.path, "code": s.code, "reason": s.reason} for s in self.skipped],
            "left_out": [f.to_dict() for f in self.left_out],
            "files": files,
        }


def replacement_text(new: str, old: str, changes: Sequence[str], most: int = 3) -> str:
    """'northwind-v2.xlsx replaces northwind.xlsx (K01 Actual 96.5 → 95, …)'."""
    if not changes:
        return f"{new} replaces {old} (no figure of the month changed)"
    shown = ", ".join(changes[:most]) + (", …" if len(changes) > most else "")
    return f"{new} replaces {old} ({shown})"


def _usable(result: FileResult, relationship_id: str) -> str | None:
    """Why a validated file cannot be merged, or None when it can."""
    sub = result.submission
    if result.skipped:
        return result.findings[0].message if result.findings else "skipped"
    if not result.readable or sub is None:
        reasons = "; ".join(f.message for f in result.errors)
        return reasons or "it is not a readable RMP workbook"
    meta = sub.meta
    if meta.relationship_id and meta.relationship_id != relationship_id:
        return (
            f"it belongs to relationship {meta.relationship_id!r}, not {relationship_id!r}; "
            "merge it with that relationship's workbooks"
        )
    missing = [
        label
        for label, value in (
            ("Relationship ID", meta.relationship_id),
            ("Partner organisation", meta.partner),
            ("Reporting period", meta.period),
        )
        if not value
    ]
    if missing:
        return f"the Relationship sheet does not say {', '.join(missing)}"
    if not _PERIOD.fullmatch(meta.period):
        return f"its reporting period {meta.period!r} is not a month written YYYY-MM"
    doubts = [f for f in result.errors if f.code in _IDENTITY_CODES and f.row is None]
    if doubts:
        return "; ".join(f.message for f in doubts)
    return None


def _relationship_of(results: Sequence[FileResult]) -> str:
    ids = Counter(
        r.submission.meta.relationship_id
        for r in results
        if r.submission is not None and r.readable and r.submission.meta.relationship_id
    )
    if not ids:
        return ""
    (best, n), *rest = ids.most_common()
    if rest and rest[0][1] == n:
        names = ", ".join(sorted(ids))
        raise UsageError(
            f"the workbooks belong to several relationships ({names}); "
            "say which with --relationship or --config"
        )
    return best


def _findings_upto(led: Ledger, relationship_id: str, period: str) -> pd.DataFrame:
    """Findings of the current workbooks up to ``period``: the view's history comes from
    them too, so a row left out of an earlier month belongs on the data-quality list."""
    found = led.findings_frame(relationship_id)
    if found.empty:
        return found
    return found[found["period"].astype(str) <= period].reset_index(drop=True)


def _data_quality(
    ledger_findings: pd.DataFrame, skipped: Sequence[Skipped], report: Report
) -> pd.DataFrame:
    import pandas as pd

    rows: list[dict[str, Any]] = []
    if not ledger_findings.empty:
        rows.extend(ledger_findings.reindex(columns=list(DATA_QUALITY_COLUMNS)).to_dict("records"))
    by_path = {r.path: r for r in report.files}
    for s in skipped:
        if s.code == "skipped-file":
            continue
        result = by_path.get(s.path)
        rows.append(
            {
                "file": Path(s.path).name,
                "sheet": "",
                "cell": "",
                "column": "",
                "code": s.code,
                "severity": "error",
                "message": f"Not merged: {s.reason}",
            }
        )
        if result is not None and result.readable:
            for f in result.findings:
                if f.row is not None:
                    d = f.to_dict()
                    rows.append({k: d.get(k, "") for k in DATA_QUALITY_COLUMNS})
                    rows[-1]["file"] = Path(s.path).name
    return pd.DataFrame(rows, columns=list(DATA_QUALITY_COLUMNS))


def merge(
    paths: Iterable[str | Path],
    *,
    ledger: str | os.PathLike[str] | Ledger,
    output: str | os.PathLike[str],
    period: str | None = None,
    config: RelationshipConfig | None = None,
    relationship_id: str | None = None,
    feedback_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    today: dt.date | None = None,
    as_of: dt.date | None = None,
    unpublished: bool = False,
) -> MergeResult:
    """Validate, record, reconcile and write the consolidated workbook for one period.

    ``jobs`` is how many processes read the workbooks; None picks one per CPU when
    there are many files (:func:`rmp_workbook.validate.auto_jobs`).

    ``unpublished`` builds the view from the ledger as it stands, not from the published
    figures of closed months (:mod:`rmp_workbook.published`); a workbook for a closed
    month is recorded as a proposed restatement either way.

    ``period`` defaults to the latest reporting period among the usable
    workbooks. The relationship is ``relationship_id`` or the config's (UsageError when
    they differ), else the workbooks' own. Raises UsageError when nothing can be merged.
    """
    from rmp_workbook.config import relationship_wanted
    from rmp_workbook.ledger import Ledger

    if period is not None and not _PERIOD.fullmatch(period):
        raise UsageError(f"--period {period!r} is not a month written YYYY-MM, e.g. 2026-11")
    # Check the outputs can be written before anything is read or recorded, so a merge
    # that cannot write its workbook does not half-happen.
    output = Path(output)
    try:
        check_writable(output)
        if feedback_dir is not None:
            check_writable(Path(feedback_dir), folder=True)
    except OutputError as exc:
        raise OutputError(f"{exc}; nothing was recorded") from None
    wanted = relationship_wanted(relationship_id, config)
    # Safety limits: the config's [limits] raise the defaults; RMP_MAX_* variables win.
    limits = Limits.resolve(config.limits if config else None)
    # Refuse an empty or oversized run before the ledger is opened (or created).
    paths = list(paths)
    files, empty = expand_paths(paths)
    check_file_count(sum(not skip for _, skip in files), limits)
    if not files:
        raise UsageError(f"no workbook found in {', '.join(empty) or 'the paths given'}")
    own_ledger = not isinstance(ledger, Ledger)
    led = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    try:
        started = time.perf_counter()
        result = _record_all(led, paths, wanted, progress, jobs, limits, period, config)
        result.seconds["read_validate_record"] = time.perf_counter() - started
        report, rel_id = result.report, result.relationship_id
        known = led.submissions_frame(rel_id) if rel_id else None
        if known is None or known.empty:
            if feedback_dir is not None:
                result.feedback = _write_feedback(report, feedback_dir, limits, result.replaced)
            return result
        merged = set(result.merged)
        periods = [
            r.submission.meta.period
            for r in report.files
            if r.submission is not None and r.path in merged
        ]
        result.period = period or max(periods or list(known["period"].astype(str)))
        if config is not None and config.id == rel_id:
            led.remember_config(config, result.period, command="merge")
        started = time.perf_counter()
        result.consolidated = consolidated_view(
            led,
            rel_id,
            result.period,
            config=config,
            skipped=result.skipped,
            report=report,
            as_of=as_of or today,
            published=not unpublished,
        )
        result.seconds["reconcile"] = time.perf_counter() - started
        issued = led.publications(rel_id, result.period)
        if issued and not unpublished:
            result.published_version = issued[-1].version
    finally:
        if own_ledger:
            led.close()

    from rmp_workbook.dashboard import write_consolidated

    recorded = "; the ledger has recorded this run, so running again adds nothing twice"
    try:
        started = time.perf_counter()
        result.output = write_consolidated(
            result.consolidated, output, result.consolidated.thresholds
        )
        result.seconds["write"] = time.perf_counter() - started
    except OSError as exc:
        raise OutputError(_os_reason(output, exc) + recorded) from None
    if feedback_dir is not None:
        result.feedback = _write_feedback(report, feedback_dir, limits, result.replaced)
    return result


def _record_all(
    led: Ledger,
    paths: Iterable[str | Path],
    wanted: str | None,
    progress: Progress | None,
    jobs: int | None,
    limits: Limits,
    period: str | None = None,
    config: RelationshipConfig | None = None,
) -> MergeResult:
    """Validate every file and record the usable ones in one ledger transaction.

    With the relationship known (``wanted``), each workbook is recorded as soon as it is
    validated and its rows are dropped, so memory does not grow with the number of files.
    Otherwise the relationship is the one most workbooks name, known only once all are read.
    """
    result = MergeResult(report=Report(), relationship_id=wanted or "")
    held: dict[str, set[str]] = {}

    def in_ledger(sha: str) -> bool:
        """True when the ledger holds this content for the run's relationship already."""
        rel = result.relationship_id
        if rel not in held:
            known = led.submissions_frame(rel) if rel else None
            held[rel] = set() if known is None or known.empty else set(known["sha256"].astype(str))
        return sha in held[rel]

    def take(r: FileResult, recorder: Recorder) -> None:
        sub = r.submission
        if (
            period
            and sub is not None
            and r.readable
            and sub.meta.period not in ("", period)
            and in_ledger(sub.sha256)
        ):
            # An earlier month's workbook merged in its own month (one folder kept for every
            # month): it is already in the ledger and not this month's concern.
            result.earlier.append(r.path)
            return
        found = check_identity(r, period=period, config=config)
        refused = [f for f in found if f.severity is Severity.ERROR]
        if refused:
            # Another month's workbook, or not a partner's: the ledger never sees it.
            why = "; ".join(f.message for f in refused)
            result.skipped.append(Skipped(r.path, why, refused[0].code))
            return
        reason = _usable(r, result.relationship_id)
        if reason is None and r.submission is not None:
            recorder.add(r.submission)
            result.merged.append(r.path)
            return
        code = r.findings[0].code if r.skipped and r.findings else "not-merged"
        if r.errors and not r.skipped:
            code = r.errors[0].code
        result.skipped.append(Skipped(r.path, reason or "not usable", code))

    if wanted is not None and period is not None:
        in_ledger("")  # read before the recording transaction starts
    with led.recording() as recorder:
        streaming = wanted is not None
        report = validate_paths(
            paths,
            relationship_id=wanted,
            progress=progress,
            jobs=jobs,
            limits=limits,
            each=(lambda r: take(r, recorder)) if streaming else None,
            keep_records=not streaming,
            ranges=config.kpi_ranges() if config else None,
        )
        if not streaming:
            result.relationship_id = _relationship_of(report.files)
            for r in report.files:
                take(r, recorder)
                if r.submission is not None:
                    r.submission.release()
    result.report = report
    result.recorded = recorder.result
    for tie in recorder.result.ambiguous:
        names = ", ".join(Path(p).name for p in tie.paths)
        why = AmbiguousResubmission(
            note=f"{names} are all from {tie.partner} for {tie.period}, with the same "
            "'Prepared on' date and the same file time, so none is known to be the newer; "
            "none was merged: remove the wrong one(s) and merge again"
        ).message
        for path in tie.paths:
            result.merged.remove(path)
            result.skipped.append(Skipped(path, why, AmbiguousResubmission.code))
    return result


def _os_reason(path: Path, exc: OSError) -> str:
    """One line naming the path and what the system said, in words a user can act on."""
    code = exc.errno
    if code == errno.ENOSPC or code == errno.EDQUOT:
        why = "the disk is full"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the folder is read-only or you may not write there"
    elif code == errno.EISDIR:
        why = "it is a folder, not a file"
    elif code == errno.ENAMETOOLONG:
        why = "the name is too long"
    else:
        why = (exc.strerror or str(exc)).lower()
    return f"cannot write {path}: {why}"


def check_writable(path: Path, *, folder: bool = False) -> None:
    """Raise OutputError unless ``path`` (a file, or with ``folder`` a folder) can be written.

    Creates missing folders, proves the folder takes a new file, and wants
    MIN_FREE_BYTES free; nothing else is left behind.
    """
    if folder:
        target = path
        if path.exists() and not path.is_dir():
            raise OutputError(f"cannot write into {path}: it is a file, not a folder")
    else:
        if path.is_dir():
            raise OutputError(
                f"cannot write {path}: it is a folder; -o names the workbook to write (.xlsx)"
            )
        target = path.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=target, prefix=".~rmp-probe-")
        os.close(fd)
        os.unlink(probe)
        stats = os.statvfs(target)
    except OSError as exc:
        raise OutputError(_os_reason(target if folder else path, exc)) from None
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        raise OutputError(
            f"cannot write {path}: the disk is full ({free // 1024:,} KB free, "
            f"a merge wants {MIN_FREE_BYTES // (1024 * 1024)} MB)"
        )


def consolidated_view(
    led: Ledger,
    relationship_id: str,
    period: str | None = None,
    *,
    config: RelationshipConfig | None = None,
    skipped: Sequence[Skipped] = (),
    report: Report | None = None,
    today: dt.date | None = None,
    as_of: dt.date | None = None,
    published: bool = True,
    members_as_of: str | None = None,
) -> Consolidated:
    """The reconciled view of ``period`` (default: the ledger's latest) from the ledger.

    ``members_as_of``: the month whose membership says who has left (default ``period``);
    the next month's templates are pre-filled from the view with the next month's members.

    Closed months (``rmp close``) show their published figures unless ``published`` is
    False (:func:`rmp_workbook.published.apply_published`).

    Gaps are aged against ``as_of`` (``today`` is its older name), by default the
    period's last day.

    ``skipped`` and ``report`` add this run's files that never reached the ledger
    to the data-quality list.

    Without ``config``, the config the ledger holds in force for ``period``
    (:func:`rmp_workbook.plan.config_in_force`) gives the thresholds, the expected and
    former partners, the due day and the agreed KPIs, so ``rmp report`` without
    ``--config`` colours, ages and retires as the merge did.
    """
    from rmp_workbook.plan import config_in_force, plan_changes_frame
    from rmp_workbook.reconcile import consolidate
    from rmp_workbook.values import norm

    known = led.submissions_frame(relationship_id)
    if known.empty:
        raise UsageError(f"the ledger {led.url} holds nothing for relationship {relationship_id!r}")
    period = period or str(known["period"].astype(str).max())
    upto = known[known["period"].astype(str) <= period]
    # A workbook for a closed month waits for a decision (or was rejected): not merged.
    upto = upto[~upto["status"].isin(("proposed", "rejected"))]
    rels = led.relationships()
    rel = rels[rels["relationship_id"] == relationship_id]
    config = config_in_force(led, relationship_id, period, config)
    members = members_as_of or period
    former = config.former(members) if config is not None else {}
    if config and config.partners:
        # Partners who joined later or left earlier are not expected for this month.
        expected = [p.name for p in config.members(members)]
    else:  # the partners in the order the ledger first heard from them
        listed = str(rel["partners"].iloc[0] or "") if len(rel) else ""
        expected = [p.strip() for p in listed.split(",") if p.strip()]
        expected = expected or sorted(set(known["partner"].astype(str)))
        gone = {norm(p) for p in former}
        expected = [p for p in expected if norm(p) not in gone]
    name = config.name if config else ""
    if not name and len(rel):
        name = str(rel["name"].iloc[0] or "")
    c = consolidate(
        led.source(relationship_id, period),
        relationship_id=relationship_id,
        relationship_name=name or relationship_id,
        period=period,
        expected_partners=expected,
        thresholds=config.thresholds if config else None,
        submissions=upto,
        restatements=led.restatements_frame(relationship_id, period),
        data_quality=_data_quality(
            _findings_upto(led, relationship_id, period), skipped, report or Report()
        ),
        as_of=as_of or today,
        former_partners=former,
        plan_owners=config.plan_owners() if config is not None else None,
    )
    # The partners' agreed values replace the reconciled ones (rmp signoff record).
    from rmp_workbook.signoff import apply_signoff

    signed, agreed = led.signoff_agreements(relationship_id, period)
    apply_signoff(c, agreed, signed, in_use=bool(signed))
    if config is not None and config.kpis:
        c.data_quality = _with_rows(
            c.data_quality, _kpis_not_agreed(led, relationship_id, period, config)
        )
    if config is not None and config.due is not None:
        months = {str(p) for p in upto["period"].astype(str)} | {period}
        c.due_dates = {m: d for m in sorted(months) if (d := config.due_date(m)) is not None}
    c.ledger = led.url
    c.generated_at = dt.datetime.now(dt.UTC)
    c.plan_changes = plan_changes_frame(led.config_versions(relationship_id, period))
    if report is not None:
        c.inputs = [(r.path, r.submission.sha256 if r.submission else "") for r in report.checked]
    if published:
        from rmp_workbook.published import apply_published

        apply_published(led, c)
    return c


def _kpis_not_agreed(
    led: Ledger, relationship_id: str, period: str, config: RelationshipConfig
) -> list[dict[str, Any]]:
    """:func:`~rmp_workbook.expected.kpis_not_agreed` of the period's current workbooks in
    the ledger, with this run's config, as data-quality rows."""
    from rmp_workbook.expected import kpis_not_agreed
    from rmp_workbook.schema import SCHEMA

    sheet = SCHEMA["kpis"]
    source = led.source(relationship_id, period)
    subs = {s.id: s for s in source.submissions() if s.period == period and "kpis" in s.sheets}
    if not subs:
        return []
    files = led.submissions_frame(relationship_id, period)
    file_of = dict(zip(files["submission_id"], files["file"], strict=True)) if len(files) else {}
    rows = (
        (str(file_of.get(sub_id, "")), row, kpi_id, row_period)
        for sub_id, row, (kpi_id, row_period) in source.records(
            sheet, list(subs), columns=("kpi_id", "period"), period=period
        )
    )
    out = []
    for finding in kpis_not_agreed(config, period, rows):
        d = finding.to_dict()
        out.append({k: d.get(k, "") for k in DATA_QUALITY_COLUMNS})
    return out


def _with_rows(frame: pd.DataFrame, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``frame`` with these data-quality rows after its own."""
    import pandas as pd

    if not rows:
        return frame
    extra = pd.DataFrame(rows, columns=list(DATA_QUALITY_COLUMNS))
    return extra if frame is None or frame.empty else pd.concat([frame, extra], ignore_index=True)


def _write_feedback(
    report: Report,
    out_dir: str | os.PathLike[str],
    limits: Limits | None = None,
    replaced: Mapping[str, str] | None = None,
) -> list[Path]:
    """Annotated copies of the partners' own files that have problems (not of files a
    newer workbook replaced: the partner has sent the newer one)."""
    from rmp_workbook.feedback import write_feedback

    written: list[Path] = []
    taken: set[str] = set()
    for r in report.checked:
        if r.findings and r.readable and r.path not in (replaced or {}):
            try:
                written.append(
                    write_feedback(r.path, r.findings, out_dir, limits=limits, taken=taken)
                )
            except OSError as exc:
                raise OutputError(_os_reason(Path(exc.filename or out_dir), exc)) from None
    return written
