"""The audit pack: evidence of the relationship's success over a range of months.

:func:`build_audit` reads the ledger alone. For every month of the range it takes
the reconciled view as it was published for that month (the latest current workbooks up
to the month, gaps aged against the month's last day), so every date and figure is the
published one. From those views it builds one table per section: agreed KPI and SLA
trends with their targets, the risk register's history (raised, escalated, closed),
successes and value realised, shareable testimonials only, the health check per
behaviour, stage progress, data quality per partner, and the plan's own changes (the
config versions the ledger keeps). Sign-offs join through one hook,
:func:`_signoff_sections`. :func:`write_audit_workbook`
writes them to an Excel workbook (a Summary sheet, then one sheet per section) and
:func:`write_audit_pdf` to a PDF for the board (matplotlib, Agg canvas only).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from rmp_workbook import __version__, summary
from rmp_workbook.atomic import atomic_output
from rmp_workbook.config import RelationshipConfig
from rmp_workbook.findings import UsageError
from rmp_workbook.rag import NAVY, SLATE
from rmp_workbook.records import Consolidated
from rmp_workbook.schema import BEHAVIOURS, SCHEMA, STAGES

if TYPE_CHECKING:
    from rmp_workbook.ledger import Ledger

_PERIOD = "%Y-%m"


def months(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (``YYYY-MM``)."""
    try:
        start = dt.datetime.strptime(first, _PERIOD)
        end = dt.datetime.strptime(last, _PERIOD)
    except ValueError:
        raise UsageError(
            f"periods are months written YYYY-MM, e.g. 2026-11 (got {first!r} and {last!r})"
        ) from None
    if end < start:
        raise UsageError(f"--from {first} is after --to {last}")
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_end(period: str) -> dt.date:
    y, m = (int(x) for x in period.split("-"))
    return dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)


@dataclass
class Section:
    """One table of the pack: a sheet of the workbook."""

    title: str
    note: str
    frame: pd.DataFrame
    number_formats: dict[str, str] = field(default_factory=dict)
    """Column -> Excel number format, e.g. ``0%`` for a share."""
    empty: str = "Nothing recorded in the ledger for these months."
    """What the sheet says when the table has no rows."""


@dataclass
class AuditPack:
    """Everything the audit workbook and PDF show, as plain tables."""

    relationship_id: str
    relationship_name: str
    periods: list[str]
    generated_at: dt.datetime
    ledger: str
    headline: list[tuple[str, Any]]
    """(label, value) lines of the Summary sheet, in order."""
    sections: list[Section]

    def section(self, title: str) -> Section:
        for s in self.sections:
            if s.title == title:
                return s
        raise KeyError(title)


# --------------------------------------------------------------------------- building


def build_audit(
    led: Ledger,
    relationship_id: str,
    first: str,
    last: str,
    *,
    config: RelationshipConfig | None = None,
    generated_at: dt.datetime | None = None,
) -> AuditPack:
    """The audit pack of ``relationship_id`` from ``first`` to ``last``, from the ledger."""
    from rmp_workbook.merge import consolidated_view

    periods = months(first, last)
    known = led.submissions_frame(relationship_id)
    if known.empty:
        raise UsageError(f"the ledger {led.url} holds nothing for relationship {relationship_id!r}")
    held = sorted(set(known["period"].astype(str)))
    if not any(first <= p <= last for p in held):
        raise UsageError(
            f"the ledger holds no workbook from {first} to {last} "
            f"(it holds {held[0]} to {held[-1]})"
        )
    views = {
        p: consolidated_view(led, relationship_id, p, config=config, today=month_end(p))
        for p in periods
    }
    last_view = views[periods[-1]]
    sections = [
        _trend_section(views, "kpis"),
        _trend_section(views, "sla"),
        *_risk_sections(views),
        _value_section(views),
        _dated_section(views, "successes", "Successes", "What the partners achieved together."),
        _testimonials_section(views),
        _health_section(views),
        _stage_section(views),
        _data_quality_section(led, relationship_id, periods, last_view),
        _plan_changes_section(led, relationship_id, periods),
        *_signoff_sections(led, relationship_id, views),
    ]
    return AuditPack(
        relationship_id=relationship_id,
        relationship_name=last_view.relationship_name or relationship_id,
        periods=periods,
        generated_at=generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0),
        ledger=str(led.url),
        headline=_headline(periods, sections),
        sections=sections,
    )


def _records(c: Consolidated, key: str) -> list[dict[str, Any]]:
    table = c.tables.get(key)
    if table is None or not len(table):
        return []
    return [{k: _clean(v) for k, v in r.items()} for r in table.to_dict("records")]


def _clean(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        # A date stays a date; a moment (when a plan change was seen) keeps its time.
        return value.date() if value == value.normalize() else value.to_pydatetime()
    return value


def _trend_section(views: dict[str, Consolidated], key: str) -> Section:
    """One row per line and month: the reconciled figure for the month, target, status."""
    sheet = SCHEMA[key]
    rows = []
    for period, c in views.items():
        for r in _records(c, key):
            if str(r.get("period") or "") != period:
                continue  # an earlier month's figure carried in the view
            actual, target = summary.num(r.get("actual")), summary.num(r.get("target"))
            direction = str(r.get("direction") or "")
            if key == "kpis":
                rag = summary.kpi_rag(actual, target, summary.num(r.get("amber")), direction)
                item = {"KPI ID": r.get("kpi_id"), "KPI": r.get("kpi"), "Unit": r.get("unit")}
                extra = {"Amber threshold": summary.num(r.get("amber"))}
            else:
                rag = summary.sla_rag(actual, target, direction)
                item = {"Service": r.get("service"), "Measure": r.get("measure")}
                extra = {}
            rows.append(
                {
                    "Period": period,
                    **item,
                    "Direction": direction,
                    "Target": target,
                    **extra,
                    "Actual": actual,
                    "Status": rag,
                    "Reported by": r.get("partners"),
                }
            )
    frame = pd.DataFrame(rows)
    if key == "kpis":
        title, note = "KPI trends", "The agreed KPIs month by month: reconciled actual vs target."
        order = ["KPI ID", "Period"]
    else:
        title, note = "SLA trends", "The service levels month by month: actual vs agreed target."
        order = ["Service", "Measure", "Period"]
    if len(frame):
        frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    else:
        frame = pd.DataFrame(columns=["Period", *(c.header for c in sheet.columns[:2])])
    return Section(title, note, frame)


def _risk_sections(views: dict[str, Consolidated]) -> list[Section]:
    """The register's history: one row per risk, and one row per event (raised, escalated,
    closed) in month order."""
    seen: dict[str, dict[str, Any]] = {}
    events: list[dict[str, Any]] = []
    first = next(iter(views))
    for period, c in views.items():
        for r in _records(c, "risks"):
            rid = str(r.get("risk_id") or "")
            if not rid:
                continue
            score = summary.num(r.get("score"))
            closed = not SCHEMA["risks"].is_open(r.get("status"))
            before = seen.get(rid)
            label = str(r.get("risk") or "")
            if before is None:
                raised_on = r.get("raised_on")
                in_range = (
                    period != first
                    or not isinstance(raised_on, dt.date)
                    or raised_on.strftime(_PERIOD) >= first
                )
                seen[rid] = before = {
                    "Risk ID": rid,
                    "Risk": label,
                    "Raised on": raised_on,
                    "First in pack": period,
                    "Score at start": score,
                    "Highest score": score,
                    "Highest in": period,
                    "Score at end": score,
                    "Status at end": r.get("status"),
                    "Escalated": 0,
                    "Closed in": period if closed else None,
                }
                if in_range:
                    events.append(_event(period, rid, label, "Raised", score, r.get("status")))
            else:
                if score is not None and (before["Score at end"] or 0) < score:
                    before["Escalated"] += 1
                    # Red by the thresholds of the month's config (its view's).
                    red = c.thresholds.risk_score_red
                    what = "Escalated to Red" if score >= red else "Escalated"
                    events.append(_event(period, rid, label, what, score, r.get("status")))
                if score is not None and score > (before["Highest score"] or 0):
                    before["Highest score"], before["Highest in"] = score, period
                if closed and before["Closed in"] is None:
                    before["Closed in"] = period
                    events.append(_event(period, rid, label, "Closed", score, r.get("status")))
                before["Score at end"] = score
                before["Status at end"] = r.get("status")
    register = pd.DataFrame(list(seen.values()))
    return [
        Section(
            "Risk history",
            "Every risk in the register during the period: how it started, peaked and ended.",
            register,
        ),
        Section(
            "Risk events",
            "When risks were raised, escalated (score went up) and closed, month by month.",
            pd.DataFrame(events, columns=["Period", "Risk ID", "Risk", "Event", "Score", "Status"]),
        ),
    ]


def _event(
    period: str, rid: str, label: str, what: str, score: float | None, status: Any
) -> dict[str, Any]:
    return {"Period": period, "Risk ID": rid, "Risk": label, "Event": what, "Score": score,
            "Status": status}  # fmt: skip


def _value_section(views: dict[str, Consolidated]) -> Section:
    """Each initiative: estimated value, realised at the start and the end of the range."""
    periods = list(views)
    start = {str(r.get("initiative_id")): r for r in _records(views[periods[0]], "value")}
    rows = []
    for r in _records(views[periods[-1]], "value"):
        vid = str(r.get("initiative_id") or "")
        estimate, realised = summary.num(r.get("estimated")), summary.num(r.get("realised"))
        before = summary.num(start.get(vid, {}).get("realised")) if vid in start else None
        rows.append(
            {
                "Initiative ID": vid,
                "Initiative": r.get("initiative"),
                "Goal": r.get("goal"),
                "Unit": r.get("unit"),
                "Estimated value": estimate,
                "Realised at start": before,
                "Realised at end": realised,
                "Realised in period": None if realised is None else realised - (before or 0),
                "Share of estimate": realised / estimate if realised and estimate else None,
                "How shared": r.get("sharing"),
                "Status": r.get("status"),
            }
        )
    return Section(
        "Value creation",
        f"Value realised against estimate, {periods[0]} to {periods[-1]}.",
        pd.DataFrame(rows),
        {"Share of estimate": "0%"},
    )


def _in_range(value: Any, periods: Sequence[str]) -> bool:
    return isinstance(value, dt.date) and periods[0] <= value.strftime(_PERIOD) <= periods[-1]


def _dated_rows(
    views: dict[str, Consolidated], key: str, keep: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Rows dated within the range, from every month's view (a row reported once and later
    dropped still counts), each once, oldest first."""
    periods = list(views)
    sheet = SCHEMA[key]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for c in views.values():
        for r in _records(c, key):
            if _in_range(r.get("date"), periods) and keep(r):
                found.setdefault(tuple(r.get(k) for k in sheet.keys), r)
    return sorted(found.values(), key=lambda r: r["date"])


def _dated_section(views: dict[str, Consolidated], key: str, title: str, note: str) -> Section:
    sheet = SCHEMA[key]
    rows = [{c.header: r.get(c.key) for c in sheet.columns} for r in _dated_rows(views, key, bool)]
    return Section(title, note, pd.DataFrame(rows, columns=list(sheet.headers)))


def _testimonials_section(views: dict[str, Consolidated]) -> Section:
    def shareable(r: dict[str, Any]) -> bool:
        # Only an explicit Yes is consent: the same test as the Dashboard's.
        return str(r.get("may_be_shared") or "").strip().lower() == "yes"

    columns = ("date", "from_person", "organisation", "testimonial")
    sheet = SCHEMA["testimonials"]
    rows = [
        {sheet.column(k).header: r.get(k) for k in columns}
        for r in _dated_rows(views, "testimonials", shareable)
    ]
    return Section(
        "Testimonials",
        "What people said, only where they agreed it may be shared.",
        pd.DataFrame(rows, columns=[sheet.column(k).header for k in columns]),
    )


def _wide(rows: dict[str, dict[str, Any]], first: str, order: Sequence[str], periods: list[str]):
    names = [n for n in order if n in rows] + [n for n in rows if n not in order]
    return pd.DataFrame(
        [{first: n, **{p: rows[n].get(p) for p in periods}} for n in names],
        columns=[first, *periods],
    )


def _health_section(views: dict[str, Consolidated]) -> Section:
    """The average of the partners' own scores per behaviour, month by month."""
    periods = list(views)
    rows: dict[str, dict[str, Any]] = {}
    for period, c in views.items():
        hb = c.health_by_partner
        if hb is None or not len(hb):
            continue
        scores: dict[str, list[float]] = {}
        for b, s in zip(hb["behaviour"], hb["score"], strict=True):
            if (v := summary.num(s)) is not None:
                scores.setdefault(summary.text(b), []).append(v)
        for b, values in scores.items():
            rows.setdefault(b, {})[period] = round(sum(values) / len(values), 2)
    return Section(
        "Health check",
        "The partners' average score per behaviour (1 poor to 5 excellent), month by month.",
        _wide(rows, "Behaviour", BEHAVIOURS, periods),
    )


def _stage_section(views: dict[str, Consolidated]) -> Section:
    periods = list(views)
    rows: dict[str, dict[str, Any]] = {}
    for period, c in views.items():
        for stage, status, progress in summary.stages(c):
            if progress is not None or status:
                row = rows.setdefault(stage, {})
                row[period] = progress
                row["Status at end"] = status
    frame = _wide(rows, "Stage", STAGES, periods)
    frame["Status at end"] = [rows.get(s, {}).get("Status at end") for s in frame["Stage"]]
    return Section(
        "Stage progress",
        "How far each life-cycle stage had come at the end of each month.",
        frame,
        {p: "0%" for p in periods},
    )


def _data_quality_section(
    led: Ledger, relationship_id: str, periods: list[str], last: Consolidated
) -> Section:
    """Per partner: workbooks received in the range, months missing, resubmissions and the
    problems found in the workbooks that count."""
    subs = led.submissions_frame(relationship_id)
    subs = subs[subs["period"].astype(str).between(periods[0], periods[-1])]
    partners = list(dict.fromkeys([*last.expected_partners, *subs["partner"].astype(str)]))
    rows = []
    for partner in partners:
        mine = subs[subs["partner"].astype(str) == partner]
        current = mine[mine["status"].astype(str) == "current"]
        got = set(current["period"].astype(str))
        errors = int(pd.to_numeric(current["errors"], errors="coerce").fillna(0).sum())
        warnings = int(pd.to_numeric(current["warnings"], errors="coerce").fillna(0).sum())
        rows.append(
            {
                "Partner": partner,
                "Months": len(periods),
                "Workbooks received": len(got),
                "Months missing": ", ".join(p for p in periods if p not in got) or None,
                "Resubmitted": int(len(mine) - len(current)),
                "Errors": errors,
                "Warnings": warnings,
                "Clean workbooks": sum(
                    1
                    for e, w in zip(current["errors"], current["warnings"], strict=True)
                    if not summary.num(e) and not summary.num(w)
                ),
            }
        )
    return Section(
        "Data quality",
        "How each partner's workbooks arrived and how clean they were (current files).",
        pd.DataFrame(rows),
    )


def _plan_changes_section(led: Ledger, relationship_id: str, periods: list[str]) -> Section:
    """Every change to the plan that took effect in the range: the differences between the
    config versions the ledger keeps (:func:`rmp_workbook.plan.plan_changes`)."""
    from rmp_workbook.plan import PLAN_CHANGE_COLUMNS, PLAN_CHANGE_HEADERS, plan_changes

    versions = led.config_versions(relationship_id, periods[-1])
    rows = [
        {PLAN_CHANGE_HEADERS[k]: getattr(c, k) or None for k in PLAN_CHANGE_COLUMNS}
        for c in plan_changes(versions)
        if periods[0] <= c.period <= periods[-1]
    ]
    if versions:
        first = versions[0].period or "its first merge"
        empty = f"The plan did not change in these months (the ledger keeps it from {first})."
    else:
        empty = (
            "The ledger keeps no plan for this relationship: give rmp merge the config "
            "(--config rmp.toml) and each change to it is kept."
        )
    return Section(
        "Plan changes",
        "How the plan itself changed: KPIs and SLA lines added or dropped, targets, owners "
        "and thresholds changed, partners who joined or left.",
        pd.DataFrame(rows, columns=[PLAN_CHANGE_HEADERS[k] for k in PLAN_CHANGE_COLUMNS]),
        {PLAN_CHANGE_HEADERS["seen_at"]: "yyyy-mm-dd hh:mm"},
        empty=empty,
    )


def _signoff_sections(
    led: Ledger, relationship_id: str, views: dict[str, Consolidated]
) -> list[Section]:
    """The months' joint sign-offs (``rmp signoff record``): per month and partner, approved
    or not, by whom, on which day, and the values it agreed. None recorded: no section."""
    from rmp_workbook.signoff import signoff_audit_frame

    signed, agreed = led.signoff_agreements(relationship_id)
    signed = [s for s in signed if s.period in views]
    if not signed:
        return []
    agreed = [a for a in agreed if a.period in views]
    expected = {p: list(v.expected_partners or v.partners) for p, v in views.items()}
    frame = signoff_audit_frame(expected, signed, agreed)
    return [
        Section(
            "Sign-offs",
            "Each partner's approval of each month and the values the partners agreed.",
            frame,
        )
    ]


def _headline(periods: list[str], sections: list[Section]) -> list[tuple[str, Any]]:
    by = {s.title: s.frame for s in sections}
    lines: list[tuple[str, Any]] = [("Months", f"{periods[0]} to {periods[-1]} ({len(periods)})")]
    kpis = by["KPI trends"]
    for label, period in (("start", periods[0]), ("end", periods[-1])):
        month = kpis[kpis["Period"] == period] if len(kpis) else kpis
        rated = month[month["Status"].isin([summary.GREEN, summary.AMBER, summary.RED])]
        if len(rated):
            share = (rated["Status"] == summary.GREEN).mean()
            lines.append((f"KPIs on target at the {label} ({period})", f"{share:.0%}"))
    events = by["Risk events"]
    for what in ("Raised", "Escalated", "Closed"):
        lines.append(
            (f"Risks {what.lower()}", int(events["Event"].str.startswith(what).sum()))
            if len(events)
            else (f"Risks {what.lower()}", 0)
        )
    value = by["Value creation"]
    if len(value):
        for unit, group in value.groupby(value["Unit"].fillna(""), sort=True):
            est = group["Estimated value"].sum(min_count=1)
            got = group["Realised at end"].sum(min_count=1)
            unit_text = f" {unit}" if unit else ""
            lines.append((f"Value realised{unit_text}", f"{_fmt(got)} of {_fmt(est)} estimated"))
    lines.append(("Successes", len(by["Successes"])))
    lines.append(("Shareable testimonials", len(by["Testimonials"])))
    health = by["Health check"]
    if len(health):
        means = [pd.to_numeric(health[p], errors="coerce").mean() for p in periods]
        known = [(p, m) for p, m in zip(periods, means, strict=True) if m == m]
        if known:
            lines.append(
                ("Average health score", " → ".join(f"{m:.1f} ({p})" for p, m in
                                                   (known[0], known[-1]))),
            )  # fmt: skip
    dq = by["Data quality"]
    if len(dq):
        lines.append(
            (
                "Workbooks received",
                f"{int(dq['Workbooks received'].sum())} of {int(dq['Months'].sum())} expected",
            )
        )
    lines.append(("Changes to the plan", len(by["Plan changes"])))
    return lines


def _fmt(value: Any) -> str:
    v = summary.num(value)
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- writing


def write_audit_workbook(pack: AuditPack, path: str | os.PathLike[str]) -> Path:
    """Write the pack as an Excel workbook: Summary, then one table sheet per section."""
    path = Path(path)
    with atomic_output(path, suffix=".xlsx") as tmp:
        _write_audit_workbook(pack, tmp)
    return path


def _write_audit_workbook(pack: AuditPack, tmp: Path) -> None:
    import xlsxwriter

    from rmp_workbook.cells import quote_sheet

    wb = xlsxwriter.Workbook(
        str(tmp),
        {"remove_timezone": True, "default_date_format": "yyyy-mm-dd", "strings_to_numbers": False,
         "strings_to_formulas": False},
    )  # fmt: skip
    title = wb.add_format({"bold": True, "font_size": 14, "font_color": NAVY})
    bold = wb.add_format({"bold": True})
    note = wb.add_format({"italic": True, "font_color": SLATE})
    formats = {
        fmt: wb.add_format({"num_format": fmt})
        for fmt in sorted({f for s in pack.sections for f in s.number_formats.values()})
    }
    ws = wb.add_worksheet("Summary")
    ws.set_column(0, 0, 42)
    ws.set_column(1, 1, 48)
    ws.write(0, 0, f"{pack.relationship_name}: audit pack", title)
    meta = [
        ("Relationship", pack.relationship_id),
        ("Generated at", pack.generated_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Source", f"the ledger {pack.ledger} (published figures only)"),
        ("rmp version", __version__),
    ]
    row = 2
    for label, value in [*meta, ("", ""), *pack.headline]:
        ws.write(row, 0, label, bold)
        ws.write(row, 1, value)
        row += 1
    row += 1
    ws.write(row, 0, "Sections", bold)
    for s in pack.sections:
        row += 1
        ws.write_url(row, 0, f"internal:{quote_sheet(s.title)}!A1", string=s.title)
        ws.write(row, 1, s.note)
    for s in pack.sections:
        sheet = wb.add_worksheet(s.title[:31])
        sheet.write(0, 0, s.title, title)
        sheet.write(1, 0, s.note, note)
        frame = s.frame
        columns = [str(c) for c in frame.columns] or ["(none)"]
        data = [[_cell(v) for v in rec] for rec in frame.itertuples(index=False)]
        first = 3
        if data:
            sheet.add_table(
                first, 0, first + len(data), len(columns) - 1,
                {"data": data, "columns": [
                    {"header": c, **({"format": formats[s.number_formats[c]]}
                                     if c in s.number_formats else {})}
                    for c in columns
                ], "style": "Table Style Light 9", "name": "T" + "".join(
                    ch for ch in s.title if ch.isalnum())},
            )  # fmt: skip
        else:
            sheet.write_row(first, 0, columns, bold)
            sheet.write(first + 1, 0, s.empty, note)
        for j, c in enumerate(columns):
            width = max([len(c), *(_shown_len(r[j]) for r in data[:200] if r[j] is not None)])
            sheet.set_column(j, j, min(max(width + 2, 9), 60))
        sheet.freeze_panes(first + 1, 0)
    wb.close()


def _shown_len(value: Any) -> int:
    """Characters a cell shows: a date-time as its yyyy-mm-dd hh:mm format, not repr."""
    if isinstance(value, dt.datetime):
        return 16
    return len(str(value))


def _cell(value: Any) -> Any:
    value = _clean(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return value
    return value


def write_audit_pdf(pack: AuditPack, path: str | os.PathLike[str]) -> Path:
    """A few landscape pages for the board: headline, KPI trends, health, stages, value."""
    from matplotlib.backends.backend_pdf import PdfPages

    from rmp_workbook.report import _figure

    path = Path(path)
    metadata = {"Title": f"{pack.relationship_name} audit pack", "Creator": f"rmp {__version__}"}
    with atomic_output(path) as tmp, PdfPages(tmp, metadata=metadata) as pdf:
        pdf.savefig(_headline_page(pack, _figure(11.69, 8.27)))
        fig = _figure(11.69, 8.27)
        if _kpi_page(pack, fig):
            pdf.savefig(fig)
        pdf.savefig(_health_stage_page(pack, _figure(11.69, 8.27)))
    return path


def _headline_page(pack: AuditPack, fig: Any) -> Any:
    fig.text(0.05, 0.93, f"{pack.relationship_name}: audit pack", fontsize=18, color=NAVY,
             fontweight="bold")  # fmt: skip
    fig.text(0.05, 0.89, f"{pack.periods[0]} to {pack.periods[-1]} · from the ledger · "
             f"generated {pack.generated_at:%Y-%m-%d}", fontsize=10, color=SLATE)  # fmt: skip
    y = 0.82
    for label, value in pack.headline:
        fig.text(0.07, y, label, fontsize=11, fontweight="bold")
        fig.text(0.38, y, str(value), fontsize=11)
        y -= 0.045
    # The right-hand column: the latest plan changes, then the latest risk events, as many
    # as the page holds; what is left out is on its sheet of the workbook.
    blocks = [
        ("Plan changes", "Plan changes", [_change_line(r) for r in
                                          pack.section("Plan changes").frame.to_dict("records")]),
        ("Risk events", "Risk events", [
            f"{r['Period']}  {r['Risk ID']}  {r['Event']}  (score {_fmt(r['Score'])})"
            for r in pack.section("Risk events").frame.to_dict("records")
        ]),
    ]  # fmt: skip
    y, step, bottom = 0.82, 0.032, 0.06
    room = int((y - bottom) / step) - 2 * len(blocks)
    for i, (title, sheet, lines) in enumerate(blocks):
        if not lines:
            continue
        later = sum(len(b[2]) for b in blocks[i + 1 :])
        # Plan changes keep at most half the column while risk events follow.
        keep = min(len(lines), room if not later else max(room // 2, room - later))
        fig.text(0.62, y, title, fontsize=11, fontweight="bold", color=NAVY)
        y -= step
        if keep < len(lines):
            keep = max(0, keep - 1)  # the line that says how many are left out
            fig.text(0.62, y, f"… {len(lines) - keep} earlier on the {sheet} sheet",
                     fontsize=8, color=SLATE, style="italic")  # fmt: skip
            y -= step
            room -= 1
        for line in lines[len(lines) - keep :]:
            fig.text(0.62, y, line if len(line) <= 72 else line[:71] + "…", fontsize=8)
            y -= step
        room -= keep
        y -= step / 2
    return fig


def _change_line(rec: dict[str, Any]) -> str:
    moved = " → ".join(str(v) for v in (rec["Before"], rec["After"]) if v)
    return f"{rec['From period']}  {rec['Change']}: {rec['Item']}" + (
        f" ({moved})" if moved else ""
    )


def _kpi_page(pack: AuditPack, fig: Any) -> bool:
    kpis = pack.section("KPI trends").frame
    if not len(kpis):
        return False
    ids = list(dict.fromkeys(kpis["KPI ID"]))[:9]
    cols = 3
    rows = (len(ids) + cols - 1) // cols
    fig.suptitle(f"KPI trends against target, {pack.periods[0]} to {pack.periods[-1]}",
                 color=NAVY, fontweight="bold")  # fmt: skip
    for i, kid in enumerate(ids, start=1):
        ax = fig.add_subplot(rows, cols, i)
        one = kpis[kpis["KPI ID"] == kid]
        ax.plot(one["Period"], one["Actual"], marker="o", color="#1F77B4", label="Actual")
        ax.plot(one["Period"], one["Target"], linestyle="--", color="#2CA02C", label="Target")
        ax.set_title(f"{kid} {one['KPI'].iloc[-1] or ''}"[:40], fontsize=9)
        _month_ticks(ax)
    fig.subplots_adjust(hspace=0.8, wspace=0.3, top=0.9, bottom=0.1)
    return True


def _month_ticks(ax: Any) -> None:
    """Small tick labels, the months slanted so that they do not overlap."""
    ax.tick_params(labelsize=7)
    ax.tick_params(axis="x", rotation=45)


def _lines_by_month(
    pack: AuditPack,
    ax: Any,
    frame: pd.DataFrame,
    label: str,
    *,
    title: str,
    ylim: tuple[float, float],
    legend: str,
    percent: bool = False,
) -> None:
    """One line per row of ``frame`` (named by its ``label`` column) across the months."""
    for rec in frame.to_dict("records"):
        values = [rec.get(p) for p in pack.periods]
        if percent:
            values = [v * 100 if v is not None else None for v in values]
        ax.plot(pack.periods, values, marker=".", label=rec[label])
    ax.set_ylim(*ylim)
    ax.set_title(title, fontsize=10, color=NAVY)
    _month_ticks(ax)
    if len(frame):
        ax.legend(fontsize=6, loc=legend)


def _health_stage_page(pack: AuditPack, fig: Any) -> Any:
    _lines_by_month(
        pack, fig.add_subplot(1, 2, 1), pack.section("Health check").frame, "Behaviour",
        title="Health check: average score per behaviour", ylim=(1, 5), legend="lower left",
    )  # fmt: skip
    _lines_by_month(
        pack, fig.add_subplot(1, 2, 2), pack.section("Stage progress").frame, "Stage",
        title="Stage progress %", ylim=(0, 100), legend="lower right", percent=True,
    )  # fmt: skip
    fig.subplots_adjust(bottom=0.15, wspace=0.25)
    return fig


def audit_from_ledger(
    ledger: str | os.PathLike[str],
    first: str,
    last: str,
    output: str | os.PathLike[str],
    *,
    relationship_id: str | None = None,
    config: RelationshipConfig | None = None,
    pdf: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Build the audit pack from the ledger and write the workbook (and the PDF when asked)."""
    from rmp_workbook.ledger import Ledger, relationship_in

    with Ledger(ledger, create=False) as lg:
        rid = relationship_in(lg, relationship_id, config)
        pack = build_audit(lg, rid, first, last, config=config)
    written = [write_audit_workbook(pack, output)]
    if pdf is not None:
        written.append(write_audit_pdf(pack, pdf))
    return written


__all__ = [
    "AuditPack",
    "Section",
    "audit_from_ledger",
    "build_audit",
    "months",
    "write_audit_pdf",
    "write_audit_workbook",
]
