"""Chart images and a one-page PDF summary of a relationship, for e-mail and slides.

``write_report`` draws, from the same :mod:`summary` values as the dashboard:
KPI trends with their target band, a RAG summary, the health check radar (one
line per partner), the risk heat map and a one-page landscape PDF bringing them
together with the top gaps. matplotlib is imported only here, inside the
function, with the Agg canvas (no display, no pyplot state), so ``rmp --help``
stays fast.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmp_workbook import __version__, summary
from rmp_workbook.atomic import atomic_output
from rmp_workbook.config import RelationshipConfig, Thresholds
from rmp_workbook.rag import NAVY, SERIES_COLOURS, SLATE, ZONE_FILLS, heat_zone, risk_legend
from rmp_workbook.records import Consolidated
from rmp_workbook.summary import Tile

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


SERIES = SERIES_COLOURS
ZONES = ZONE_FILLS
LIKELIHOOD = ("Rare", "Unlikely", "Possible", "Likely", "Almost certain")
IMPACT = ("Negligible", "Minor", "Moderate", "Major", "Severe")

FILES = {
    "kpi_trends": "kpi-trends.png",
    "rag_summary": "rag-summary.png",
    "health_radar": "health-radar.png",
    "risk_heat_map": "risk-heat-map.png",
    "summary": "summary.pdf",
}
"""What ``write_report`` writes, by role."""


def write_report(
    c: Consolidated, out_dir: str | os.PathLike[str], thresholds: Thresholds | None = None
) -> list[Path]:
    """Write the PNG charts and the one-page PDF into ``out_dir``; return their paths.

    An image with nothing to show (no KPIs, no health check) is left out.
    """
    t = thresholds or c.thresholds
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kpis, slas = summary.kpi_tiles(c), summary.sla_tiles(c)
    behaviours, names, scores = summary.health(c)
    written: list[Path] = []

    if kpis:
        fig = _figure(11, 3.2 * math.ceil(len(kpis) / 3))
        _kpi_grid(fig, kpis)
        fig.suptitle(
            f"{c.relationship_name}: KPI trends to {c.period}", color=NAVY, fontweight="bold"
        )
        written.append(_save(fig, out / FILES["kpi_trends"]))
    if kpis or slas:
        tiles = kpis + slas
        fig = _figure(8, 0.9 + 0.42 * len(tiles))
        _rag_table(fig.add_axes((0.02, 0.02, 0.96, 0.86)), tiles)
        fig.suptitle(f"{c.relationship_name}: status {c.period}", color=NAVY, fontweight="bold")
        written.append(_save(fig, out / FILES["rag_summary"]))
    if names:
        fig = _figure(6.5, 6.2)
        _radar(fig.add_subplot(projection="polar"), behaviours, names, scores)
        written.append(_save(fig, out / FILES["health_radar"]))
    fig = _figure(7, 5.6)
    _heat_map(fig.add_subplot(), summary.heat_map(c), t)
    written.append(_save(fig, out / FILES["risk_heat_map"]))
    written.append(
        _save(_one_page(c, kpis, slas, behaviours, names, scores, t), out / FILES["summary"])
    )
    return written


# ---------------------------------------------------------------- figures


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout=None)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    """Save atomically: a reader never sees half an image."""
    metadata: dict[str, Any] = {"Creator": f"rmp {__version__}"}
    if path.suffix == ".pdf":
        metadata["Title"] = path.stem
    with atomic_output(path) as tmp:
        fig.savefig(tmp, metadata=metadata, facecolor="white")
    return path


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8, colors=SLATE)
    ax.grid(axis="y", color="#E0E0E0", linewidth=0.6)
    ax.set_axisbelow(True)


def _kpi_grid(fig: Figure, tiles: list[Tile]) -> None:
    cols = min(3, len(tiles))
    rows = math.ceil(len(tiles) / cols)
    legend: dict[str, Any] = {}
    for i, tile in enumerate(tiles):
        ax = fig.add_subplot(rows, cols, i + 1)
        _trend(ax, tile)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    # One legend for every chart, under them: a legend inside a chart hides its lines.
    fig.legend(
        list(legend.values()),
        list(legend),
        loc="lower center",
        ncol=min(6, len(legend)),
        fontsize=8,
        frameon=False,
    )
    fig.subplots_adjust(left=0.06, right=0.98, top=0.85, bottom=0.14, hspace=0.6, wspace=0.25)


def _trend(ax: Axes, tile: Tile, small: bool = False) -> None:
    """A KPI's reconciled figure per period, its target and the amber band beyond it."""
    x = list(range(len(tile.periods)))
    labels = [p[2:] if small else p for p in tile.periods]
    target = [v if v is not None else math.nan for v in tile.targets]
    if tile.amber is not None and any(not math.isnan(v) for v in target):
        ax.fill_between(
            x,
            target,
            [tile.amber] * len(x),
            color=ZONES[summary.AMBER],
            alpha=0.35,
            linewidth=0,
            label="Amber band",
        )
    ax.plot(
        x,
        target,
        color=summary.RAG_COLOURS[summary.GREEN],
        linestyle="--",
        linewidth=1.4,
        label="Target",
    )
    if tile.partners_differ:
        for j, (partner, values) in enumerate(tile.partner_series().items()):
            ys = [v if v is not None else math.nan for v in values]
            ax.plot(
                x, ys, color=SERIES[j % len(SERIES)], linestyle=":", linewidth=1.1, label=partner
            )
    ys = [v if v is not None else math.nan for v in tile.actuals]
    ax.plot(x, ys, color=NAVY, marker="o", markersize=3.5, linewidth=2, label="Actual")
    unit = f" ({tile.unit})" if tile.unit else ""
    _style(ax)
    if small:
        # Thumbnails: first and last period only, a short title coloured by status.
        ax.set_xticks([x[0], x[-1]], [labels[0], labels[-1]])
        colour = summary.RAG_COLOURS[tile.rag]
        ax.set_title(_clip(tile.label, 24), fontsize=7.5, color=colour, loc="left", weight="bold")
        ax.tick_params(labelsize=6)
        return
    ax.set_xticks(x, labels)
    # The title sits above the RAG badge so that a long KPI name never runs under it.
    title = f"{tile.label}{unit}"
    ax.set_title(title, fontsize=9.5, color=NAVY, loc="left", fontweight="bold", pad=18)
    badge = {"boxstyle": "round,pad=0.25", "facecolor": summary.RAG_COLOURS[tile.rag], "ec": "none"}
    ax.text(
        1.0,
        1.02,
        tile.rag,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        color="white",
        fontweight="bold",
        bbox=badge,
    )


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    text = f"{value:+,.1f}" if signed else f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def _rag_table(ax: Axes, tiles: list[Tile]) -> None:
    """One line per KPI and SLA line: status, figure now, target and change."""
    ax.set_axis_off()
    n = len(tiles)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, n + 1)
    heads = ((0.02, "Status"), (0.16, "Measure"), (0.74, "Now"), (0.85, "Target"), (0.98, "Change"))
    for x, label in heads:
        ax.text(
            x,
            n + 0.4,
            label,
            fontsize=8,
            color=SLATE,
            fontweight="bold",
            ha="right" if x > 0.6 else "left",
        )
    for i, tile in enumerate(tiles):
        y = n - i - 0.5
        colour = summary.RAG_COLOURS[tile.rag]
        ax.add_patch(_rect((0.02, y - 0.35), 0.12, 0.7, colour))
        ax.text(
            0.08,
            y,
            tile.rag,
            ha="center",
            va="center",
            fontsize=7.5,
            color="white",
            fontweight="bold",
        )
        ax.text(0.16, y, _clip(tile.label, 40), va="center", fontsize=8.5)
        ax.text(
            0.74, y, _fmt(tile.current), va="center", ha="right", fontsize=8.5, fontweight="bold"
        )
        ax.text(0.85, y, _fmt(tile.target), va="center", ha="right", fontsize=8.5, color=SLATE)
        ax.text(
            0.98,
            y,
            _fmt(tile.change, signed=True),
            va="center",
            ha="right",
            fontsize=8.5,
            color=SLATE,
        )
        ax.axhline(y - 0.5, color="#E0E0E0", linewidth=0.5)


def _rect(xy: tuple[float, float], w: float, h: float, colour: str) -> Any:
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(xy, w, h, boxstyle="round,pad=0.005", facecolor=colour, edgecolor="none")


def _radar(
    ax: Any, behaviours: list[str], names: list[str], scores: dict[str, list[float | None]]
) -> None:
    """The health check: one closed line per partner (the joint view when none scored alone).

    ``ax`` is a matplotlib ``PolarAxes``.
    """
    n = len(behaviours)
    angles = [2 * math.pi * i / n for i in range(n)] + [0.0]
    partners = [s for s in names if s != "Joint"] or names
    for j, name in enumerate(partners):
        vals = [v if v is not None else 0.0 for v in scores[name]]
        vals.append(vals[0])
        colour = SERIES[j % len(SERIES)]
        ax.plot(angles, vals, color=colour, linewidth=1.8, marker="o", markersize=3, label=name)
        ax.fill(angles, vals, color=colour, alpha=0.07)
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], fontsize=6, color=SLATE)
    ax.set_xticks(angles[:-1], [_wrap(b) for b in behaviours], fontsize=7.5)
    ax.set_title(
        "Joint health check (1 = poor, 5 = excellent)",
        fontsize=9.5,
        color=NAVY,
        fontweight="bold",
        pad=18,
    )
    ax.legend(
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=min(3, len(partners)),
        frameon=False,
    )


def _wrap(label: str, width: int = 14) -> str:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _heat_map(
    ax: Axes, heat: dict[tuple[int, int], list[str]], t: Thresholds, small: bool = False
) -> None:
    """Likelihood (up) by impact (across), zones by score, the open risks' IDs in their cells."""
    for lik in range(1, 6):
        for imp in range(1, 6):
            zone = heat_zone(lik, imp, t)
            ax.add_patch(_rect((imp - 0.48, lik - 0.48), 0.96, 0.96, ZONES[zone]))
            ids = heat[(lik, imp)]
            if ids:
                ax.text(
                    imp,
                    lik,
                    _wrap(", ".join(ids), 9),
                    ha="center",
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                )
    ax.set_xlim(0.5, 5.5)
    ax.set_ylim(0.5, 5.5)
    if small:
        ax.set_xticks(range(1, 6), [str(i) for i in range(1, 6)], fontsize=7)
        ax.set_yticks(range(1, 6), [str(i) for i in range(1, 6)], fontsize=7)
    else:
        ax.set_xticks(range(1, 6), [f"{i}\n{IMPACT[i - 1]}" for i in range(1, 6)], fontsize=7)
        ax.set_yticks(range(1, 6), [f"{LIKELIHOOD[i - 1]} {i}" for i in range(1, 6)], fontsize=7)
    ax.set_xlabel("Impact", fontsize=8, color=SLATE)
    ax.set_ylabel("Likelihood", fontsize=8, color=SLATE)
    count = sum(len(v) for v in heat.values())
    ax.set_title(
        f"Open risks ({count})" if small else f"Open risks: likelihood × impact ({count} open)",
        fontsize=9.5,
        color=NAVY,
        fontweight="bold",
    )
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_aspect("equal")
    if not small:  # the zones' thresholds, as the dashboard's legend words them
        from matplotlib.patches import Patch

        ax.legend(
            handles=[Patch(facecolor=ZONES[z], label=words) for z, words in risk_legend(t)],
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=7,
            frameon=False,
        )


def _one_page(
    c: Consolidated,
    kpis: list[Tile],
    slas: list[Tile],
    behaviours: list[str],
    names: list[str],
    scores: dict[str, list[float | None]],
    t: Thresholds,
) -> Figure:
    """A4 landscape: title, RAG summary, KPI trends, health radar, heat map, top gaps."""
    fig = _figure(11.69, 8.27)
    fig.patch.set_facecolor("white")
    fig.text(0.03, 0.955, c.relationship_name, fontsize=17, fontweight="bold", color=NAVY)
    generated = c.generated_at.strftime("%Y-%m-%d %H:%M") if c.generated_at else ""
    fig.text(
        0.03,
        0.925,
        f"Relationship summary  ·  {c.relationship_id}  ·  period {c.period}  ·  "
        f"{len(c.partners)} of {len(c.expected_partners) or len(c.partners)} partners "
        "submitted  ·  "
        f"{len(c.gaps)} gaps  ·  generated {generated}  ·  rmp {__version__}",
        fontsize=8.5,
        color=SLATE,
    )
    tiles = kpis + slas
    if tiles:
        _rag_table(fig.add_axes((0.03, 0.52, 0.42, 0.37)), tiles[:10])
    # Up to six KPI trend thumbnails.
    for i, tile in enumerate(kpis[:6]):
        ax = fig.add_axes((0.05 + (i % 3) * 0.15, 0.29 - (i // 3) * 0.21, 0.11, 0.13))
        _trend(ax, tile, small=True)
    if names:
        _radar(fig.add_axes((0.52, 0.53, 0.22, 0.3), projection="polar"), behaviours, names, scores)
    _heat_map(fig.add_axes((0.8, 0.56, 0.17, 0.28)), summary.heat_map(c), t, small=True)
    gaps = summary.top_gaps(c, 8)
    fig.text(0.53, 0.42, "Top gaps", fontsize=11, fontweight="bold", color=NAVY)
    y = 0.39
    for gap in gaps:
        colour = summary.RAG_COLOURS.get(gap.severity, SLATE)
        fig.text(
            0.53,
            y,
            f" {gap.severity} ",
            fontsize=7.5,
            color="white",
            fontweight="bold",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": colour, "edgecolor": "none"},
        )
        fig.text(0.585, y, _clip(f"{gap.area}: {summary.text(gap.item)}", 70), fontsize=8)
        fig.text(
            0.585,
            y - 0.02,
            _clip(summary.text(gap.next_step), 90),
            fontsize=7,
            color=SLATE,
            style="italic",
        )
        y -= 0.045
    if not gaps:
        fig.text(0.53, y, "No gaps found this period.", fontsize=8.5, color=SLATE)
    return fig


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------- from the ledger


def consolidated_from_ledger(
    ledger: str | os.PathLike[str],
    period: str | None,
    *,
    relationship_id: str | None = None,
    config: RelationshipConfig | None = None,
    today: dt.date | None = None,
    as_of: dt.date | None = None,
    unpublished: bool = False,
) -> Consolidated:
    """Reconcile what the ledger holds for a relationship up to ``period`` (default: the
    ledger's latest period).

    The relationship is ``relationship_id`` or the config's, or the ledger's only one
    (:func:`~rmp_workbook.ledger.relationship_in`); the expected partners and thresholds
    come from ``config``, else from the config the ledger holds for the period.
    """
    from rmp_workbook.ledger import Ledger, relationship_in
    from rmp_workbook.merge import consolidated_view

    with Ledger(ledger, create=False) as lg:
        wanted = relationship_in(lg, relationship_id, config)
        c = consolidated_view(
            lg, wanted, period, config=config, as_of=as_of or today, published=not unpublished
        )
        current = lg.submissions_frame(wanted, period)
    current = current[current["status"] == "current"] if len(current) else current
    c.inputs = [
        (str(p or f), str(s))
        for p, f, s in zip(
            current.get("path", []),
            current.get("file", []),
            current.get("sha256", []),
            strict=False,
        )
    ]
    return c


def report_from_ledger(
    ledger: str | os.PathLike[str],
    period: str,
    out_dir: str | os.PathLike[str],
    *,
    relationship_id: str | None = None,
    config: RelationshipConfig | None = None,
    as_of: dt.date | None = None,
    unpublished: bool = False,
) -> list[Path]:
    """Reconcile the ledger for ``period`` and write the report's images and PDF; gaps are
    aged against ``as_of`` (default: the period's last day)."""
    c = consolidated_from_ledger(
        ledger,
        period,
        relationship_id=relationship_id,
        config=config,
        as_of=as_of,
        unpublished=unpublished,
    )
    return write_report(c, out_dir, c.thresholds)


__all__ = ["FILES", "consolidated_from_ledger", "report_from_ledger", "write_report"]
