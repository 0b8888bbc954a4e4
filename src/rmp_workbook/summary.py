"""What the dashboard and the report show, computed once from a :class:`Consolidated`.

Pure functions over plain values: RAG status per KPI and SLA line with its
trend, the risk heat map, the health check per partner, stage progress, the top
gaps, shareable testimonials and submission status. ``dashboard`` (xlsxwriter)
and ``report`` (matplotlib) both draw from these, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rmp_workbook.plain import item_key
from rmp_workbook.rag import (  # noqa: F401  (the outputs read the statuses through summary)
    AMBER,
    GREEN,
    NO_DATA,
    RAG_COLOURS,
    RAG_ORDER,
    RAG_SCORE,
    RED,
    heat_zone,
    kpi_rag,
    sla_rag,
)
from rmp_workbook.schema import BEHAVIOURS, SCHEMA, STAGES
from rmp_workbook.status import (
    INVALID,
    LATE,
    MISSING,
    RECEIVED,
    PartnerStatus,
    ledger_states,
    state_text,
)
from rmp_workbook.status import stray_files as status_stray_files
from rmp_workbook.values import as_number as num
from rmp_workbook.values import as_text as text
from rmp_workbook.wording import plural

if TYPE_CHECKING:
    import pandas as pd

    from rmp_workbook.records import Consolidated, Gap

MAX_PARTNER_SERIES = 6
"""Partner lines one chart draws at most: with more partners, those furthest from the
reconciled (or joint) figures are drawn, so a network of hundreds stays readable."""


@dataclass
class Tile:
    """One KPI or SLA line: its status now and its history."""

    kind: str
    """``KPI`` or ``SLA``."""
    key: str
    name: str
    unit: str
    direction: str
    target: float | None
    amber: float | None
    periods: list[str]
    actuals: list[float | None]
    """The reconciled figure per period (None when nobody reported it)."""
    targets: list[float | None]
    by_partner: dict[str, list[float | None]] = field(default_factory=dict)

    @property
    def current(self) -> float | None:
        return self.actuals[-1] if self.actuals else None

    @property
    def previous(self) -> float | None:
        return self.actuals[-2] if len(self.actuals) > 1 else None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, 10)

    @property
    def rag(self) -> str:
        if self.kind == "SLA":
            return sla_rag(self.current, self.target, self.direction)
        return kpi_rag(self.current, self.target, self.amber, self.direction)

    @property
    def label(self) -> str:
        return f"{self.key} {self.name}".strip() if self.kind == "KPI" else self.name

    def partner_series(self, limit: int = MAX_PARTNER_SERIES) -> dict[str, list[float | None]]:
        """The partners' series a chart draws: all of them up to ``limit`` partners, else
        the ``limit`` whose figures differ from the reconciled ones in the most periods."""
        if len(self.by_partner) <= limit:
            return dict(self.by_partner)
        import numpy as np

        # Partners by periods, blanks as NaN: a figure counts where both are known and differ.
        figures = np.array(list(self.by_partner.values()), dtype=float).reshape(
            len(self.by_partner), len(self.actuals)
        )
        actuals = np.array(self.actuals, dtype=float)
        differ = (figures != actuals) & ~np.isnan(figures) & ~np.isnan(actuals)
        misses = dict(zip(self.by_partner, differ.sum(axis=1).tolist(), strict=True))
        ranked = sorted((p for p in misses if misses[p]), key=lambda p: -misses[p])
        return {p: self.by_partner[p] for p in ranked[:limit]}

    @property
    def partners_differ(self) -> bool:
        """True when partners reported different figures for some period."""
        series = [s for s in self.by_partner.values() if s.count(None) < len(s)]
        for i in range(len(self.periods)):
            vals = {s[i] for s in series}
            vals.discard(None)
            if len(vals) > 1:
                return True
        return False


def periods(c: Consolidated) -> list[str]:
    """Every period in the histories up to the consolidated one, oldest first."""
    found: set[str] = {c.period}
    for frame in (c.kpi_history, c.sla_history):
        if frame is not None and len(frame) and "period" in frame:
            found.update(str(p) for p in frame["period"].dropna().unique())
    return sorted(p for p in found if p <= c.period)


def _reconciled(table: pd.DataFrame | None, match: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Reconciled rows matching ``match`` (column -> value), by period."""
    if table is None or not len(table) or "period" not in table:
        return {}
    rows: dict[str, dict[str, Any]] = {}
    for rec in table.to_dict("records"):
        if all(text(rec.get(k)) == v for k, v in match.items()):
            rows[text(rec.get("period"))] = rec
    return rows


def _tile(
    kind: str,
    key: str,
    name: str,
    hist: pd.DataFrame,
    recon: dict[str, dict[str, Any]],
    all_periods: list[str],
    partners: list[str],
) -> Tile:
    first = hist.iloc[-1] if len(hist) else {}
    # The item's history by period (rows in frame order); figures are made numbers once.
    by_period: dict[Any, tuple[list[Any], list[float | None], list[Any]]] = {}
    if len(hist):
        names, figures, raw_targets = (
            hist[k].to_numpy(dtype=object) for k in ("partner", "actual", "target")
        )
        for period, rows in hist.groupby("period", sort=False).indices.items():
            by_period[period] = (
                names[rows].tolist(),
                [
                    a if a.__class__ is float and a - a == 0 else num(a)
                    for a in figures[rows].tolist()
                ],
                raw_targets[rows].tolist(),
            )
    actuals: list[float | None] = []
    targets: list[float | None] = []
    by_partner: dict[str, list[float | None]] = {p: [] for p in partners}
    per_period: list[list[float | None]] = []
    # Reconciliation keeps one partner's figure (``source``) for the current period; earlier
    # periods follow the same partner, so the trend does not jump between partners.
    source = next((text(r.get("source")) for r in reversed(recon.values()) if r.get("source")), "")
    for period in all_periods:
        group = by_period.get(period)
        rec = recon.get(period)
        names, figures, period_targets = group if group is not None else ([], [], [])
        values = [v for v in figures if v is not None]
        last = dict(zip(names, figures, strict=True))
        kept = None
        if source:
            kept = last.get(source)
            if kept is None and source in last:  # its last row is blank: an earlier one
                mine = [v for p, v in zip(names, figures, strict=True) if p == source]
                kept = next((v for v in reversed(mine) if v is not None), None)
        if rec is not None and num(rec.get("actual")) is not None:
            actuals.append(num(rec.get("actual")))
        elif kept is not None:
            actuals.append(kept)
        else:
            # Nobody's figure was kept: the partners' mean stands in.
            actuals.append(round(sum(values) / len(values), 10) if values else None)
        tgt = num(rec.get("target")) if rec is not None else None
        if tgt is None and group is not None:
            tgt = next((num(t) for t in period_targets if num(t) is not None), None)
        targets.append(tgt)
        # Each partner's last figure for the period.
        per_period.append(list(map(last.get, partners)))
    if len(by_partner) == len(partners):
        for partner, series in zip(partners, zip(*per_period, strict=True), strict=False):
            by_partner[partner] = list(series)
    else:  # a name given twice gets its figures twice, period by period
        for figures in per_period:
            for partner, value in zip(partners, figures, strict=True):
                by_partner[partner].append(value)
    known = [t for t in targets if t is not None]
    target = targets[-1] if targets and targets[-1] is not None else (known[-1] if known else None)
    latest = recon.get(all_periods[-1]) if all_periods else None
    amber = num(latest.get("amber")) if latest else None
    if amber is None and "amber" in hist and len(hist):
        amber = num(hist["amber"].iloc[-1])
    return Tile(
        kind=kind,
        key=key,
        name=name,
        unit=text(first.get("unit", "")) if len(hist) else "",
        direction=text(first.get("direction", "")) if len(hist) else "",
        target=target,
        amber=amber,
        periods=list(all_periods),
        actuals=actuals,
        targets=targets,
        by_partner=by_partner,
    )


def _retired(c: Consolidated, sheet_key: str) -> set[tuple[str, ...]]:
    """The keys of the items of a sheet retired from the view (a partner has left)."""
    return {r.key for r in c.retired if r.sheet == sheet_key}


def kpi_tiles(c: Consolidated) -> list[Tile]:
    """One tile per KPI in the history, in KPI ID order."""
    hist = c.kpi_history
    if hist is None or not len(hist):
        return []
    all_periods = periods(c)
    hist = hist[hist["period"].astype(str) <= c.period]
    tiles = []
    retired = _retired(c, "kpis")
    for kid, group in hist.groupby("kpi_id", sort=True):
        if item_key(SCHEMA["kpis"], {"kpi_id": kid}) in retired:
            continue  # owned or reported only by a partner who has left: a gap says so
        name = text(group["kpi"].dropna().iloc[-1]) if group["kpi"].notna().any() else ""
        recon = _reconciled(c.tables.get("kpis"), {"kpi_id": str(kid)})
        tiles.append(_tile("KPI", str(kid), name, group, recon, all_periods, list(c.partners)))
    return tiles


def sla_tiles(c: Consolidated) -> list[Tile]:
    """One tile per SLA service and measure."""
    hist = c.sla_history
    if hist is None or not len(hist):
        return []
    all_periods = periods(c)
    hist = hist[hist["period"].astype(str) <= c.period]
    tiles = []
    retired = _retired(c, "sla")
    for (service, measure), group in hist.groupby(["service", "measure"], sort=False):
        if item_key(SCHEMA["sla"], {"service": service, "measure": measure}) in retired:
            continue
        recon = _reconciled(c.tables.get("sla"), {"service": service, "measure": measure})
        tile = _tile(
            "SLA",
            f"{service}",
            f"{service}: {measure}",
            group,
            recon,
            all_periods,
            list(c.partners),
        )
        tile.unit = ""
        tiles.append(tile)
    return tiles


def open_risks(c: Consolidated) -> list[dict[str, Any]]:
    """Risks not closed, with a likelihood and an impact from 1 to 5."""
    table = c.tables.get("risks")
    if table is None or not len(table):
        return []
    out = []
    for rec in table.to_dict("records"):
        lik, imp = num(rec.get("likelihood")), num(rec.get("impact"))
        if text(rec.get("status")).strip().lower() == "closed" or lik is None or imp is None:
            continue
        if 1 <= lik <= 5 and 1 <= imp <= 5:
            out.append({**rec, "likelihood": int(lik), "impact": int(imp)})
    return out


def heat_map(c: Consolidated) -> dict[tuple[int, int], list[str]]:
    """(likelihood, impact) -> IDs of the open risks in that cell."""
    cells: dict[tuple[int, int], list[str]] = {
        (lik, imp): [] for lik in range(1, 6) for imp in range(1, 6)
    }
    for risk in open_risks(c):
        cells[(risk["likelihood"], risk["impact"])].append(text(risk.get("risk_id")))
    return cells


def health(c: Consolidated) -> tuple[list[str], list[str], dict[str, list[float | None]]]:
    """Behaviours, series names and scores per series: one per partner, then ``Joint``."""
    behaviours = list(BEHAVIOURS)
    series: dict[str, list[float | None]] = {}
    hb = c.health_by_partner
    if hb is not None and len(hb):
        for b in hb["behaviour"]:
            if text(b) not in behaviours:
                behaviours.append(text(b))
        # One pass: each partner's scores by behaviour, the last row for a behaviour winning.
        by_partner: dict[Any, dict[str, float | None]] = {}
        for p, b, s in zip(hb["partner"], hb["behaviour"], hb["score"], strict=True):
            by_partner.setdefault(p, {})[text(b)] = num(s)
        partners = [p for p in c.partners if p in by_partner]
        known = set(partners)
        for p in hb["partner"].unique():
            if text(p) not in known:
                partners.append(text(p))
                known.add(text(p))
        for partner in partners:
            scores = by_partner.get(partner, {})
            series[partner] = [scores.get(b) for b in behaviours]
    joint = c.tables.get("health")
    if joint is not None and len(joint):
        scores = {text(r.get("behaviour")): num(r.get("score")) for r in joint.to_dict("records")}
        series["Joint"] = [scores.get(b) for b in behaviours]
    return behaviours, list(series), series


def chart_health_series(
    names: list[str], scores: dict[str, list[float | None]], limit: int = MAX_PARTNER_SERIES
) -> list[str]:
    """The health series a chart draws: every partner up to ``limit``, else the ``limit``
    partners furthest from the joint view; ``Joint`` stays last when present."""
    partners = [n for n in names if n != "Joint"]
    if len(partners) <= limit:
        return list(names)
    joint = scores.get("Joint", [])

    def distance(name: str) -> float:
        return sum(
            abs(v - j)
            for v, j in zip(scores[name], joint, strict=False)
            if v is not None and j is not None
        )

    keep = set(sorted(partners, key=lambda n: -distance(n))[:limit])
    return [n for n in names if n in keep or n == "Joint"]


def stages(c: Consolidated) -> list[tuple[str, str, float | None]]:
    """(stage, status, progress 0..1) in life-cycle order."""
    table = c.tables.get("stages")
    rows = {} if table is None else {text(r.get("stage")): r for r in table.to_dict("records")}
    out = []
    for stage in list(STAGES) + [s for s in rows if s not in STAGES]:
        rec = rows.get(stage, {})
        out.append((stage, text(rec.get("status")), num(rec.get("progress"))))
    return out


SEVERITY_ORDER = {"Red": 0, "Amber": 1}


def top_gaps(c: Consolidated, limit: int = 8) -> list[Gap]:
    """The gaps to look at first: Red before Amber, then as found; one per item, so a
    KPI both below target and worsening takes one place (its most severe gap)."""
    ranked = sorted(
        enumerate(c.gaps), key=lambda ig: (SEVERITY_ORDER.get(ig[1].severity, 2), ig[0])
    )
    seen: set[tuple[str, str]] = set()
    out: list[Gap] = []
    for _, gap in ranked:
        if (gap.area, gap.item) in seen:
            continue
        seen.add((gap.area, gap.item))
        out.append(gap)
        if len(out) == limit:
            break
    return out


def shareable_testimonials(c: Consolidated) -> list[dict[str, Any]]:
    """Testimonials whose author agreed to share them, newest first.

    Only an explicit ``Yes`` counts: a blank or anything else is not consent.
    """
    table = c.tables.get("testimonials")
    if table is None or not len(table):
        return []
    # Records of the shared rows only: a dict per row of a long table costs more than the test.
    rows = shareable(table).to_dict("records")
    return sorted(rows, key=lambda r: text(r.get("date")), reverse=True)


def shareable(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a Testimonials table whose author agreed to share them ("Yes" only)."""
    if "may_be_shared" not in table:
        return table.iloc[0:0]
    shared = [text(v).strip().lower() == "yes" for v in table["may_be_shared"].tolist()]
    return table.loc[shared]


def held_back_testimonials(c: Consolidated) -> int:
    """How many testimonials are not cleared for sharing (they stay in the ledger only)."""
    table = c.tables.get("testimonials")
    if table is None or not len(table):
        return 0
    return len(table) - len(shareable_testimonials(c))


def headline(
    c: Consolidated,
    tiles: list[Tile] | None = None,
) -> str:
    """One line an executive reads first, e.g. "3 of 8 measures off target, 2 red risks,
    awaiting 1 partner" (risks coloured by the view's thresholds)."""

    tiles = tiles if tiles is not None else kpi_tiles(c) + sla_tiles(c)
    rated = [t for t in tiles if t.rag != NO_DATA]
    off = sum(t.rag != GREEN for t in rated)
    if not rated:
        measures = "no measures reported"
    elif off:
        measures = f"{off} of {plural(len(rated), 'measure')} off target"
    else:
        measures = f"all {plural(len(rated), 'measure')} on target"
    red_risks = sum(
        heat_zone(r["likelihood"], r["impact"], c.thresholds) == RED for r in open_risks(c)
    )
    risks = f"{plural(red_risks, 'red risk')}" if red_risks else "no red risks"
    missing = [p for p in c.expected_partners if p not in set(c.partners)]
    waiting = f"awaiting {plural(len(missing), 'partner')}" if missing else "every partner in"
    return f"{measures}, {risks}, {waiting}"


def submission_status(c: Consolidated) -> list[tuple[str, str, str, Any]]:
    """(partner, state, file, received on) per expected partner (and any other submitter),
    the states ``rmp status`` gives (:func:`rmp_workbook.status.ledger_states`)."""
    states = ledger_states(c.submissions, c.period, c.expected_partners, c.due)
    for partner in c.partners:  # a view built without the ledger's rows
        if partner not in states or states[partner].state == MISSING:
            states[partner] = PartnerStatus(partner, RECEIVED)
    return [(ps.partner, state_text(ps), ps.file, ps.received_on) for ps in states.values()]


def stray_files(c: Consolidated) -> list[tuple[str, str]]:
    """(file, state) of each file the merge left out as another month's or an unknown
    sender's (:func:`rmp_workbook.status.stray_files`)."""
    return [(file, state) for file, state, _ in status_stray_files(c.data_quality)]


def submission_counts(c: Consolidated) -> dict[str, int]:
    """How many expected partners are in, late, invalid and missing (for the header)."""
    states = ledger_states(c.submissions, c.period, c.expected_partners, c.due)
    shown = [s for p, s in states.items() if p in set(c.expected_partners) or s.file]
    count = {k: sum(s.state == k for s in shown) for k in (RECEIVED, LATE, INVALID, MISSING)}
    count["in"] = len(shown) - count[MISSING]
    return count
