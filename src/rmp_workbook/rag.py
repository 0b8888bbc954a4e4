"""Red, Amber, Green: every RAG rule, its thresholds and its colours, in one place.

The gap rules (:mod:`rmp_workbook.gaps`), the dashboard tiles and heat map
(:mod:`rmp_workbook.summary`, :mod:`rmp_workbook.dashboard`) and the images and PDF
(:mod:`rmp_workbook.report`) all decide colours here, with the thresholds of the
relationship config (:class:`~rmp_workbook.config.Thresholds`), so one config gives
one colour for one figure in every output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rmp_workbook.values import as_number as number
from rmp_workbook.values import fold_text

if TYPE_CHECKING:
    from rmp_workbook.config import Thresholds

GREEN, AMBER, RED, NO_DATA = "Green", "Amber", "Red", "No data"
RAG_ORDER = (RED, AMBER, GREEN, NO_DATA)
"""Worst first: the order statuses are listed and counted in."""
RAG_SCORE = {GREEN: 3, AMBER: 2, RED: 1}
"""Numbers behind the traffic-light icon set."""

# --------------------------------------------------------------------------- palette

RAG_COLOURS = {GREEN: "#2E7D32", AMBER: "#F9A825", RED: "#C62828", NO_DATA: "#9E9E9E"}
"""Solid fills of a status (tiles, badges, gap severities) in the workbook and the images."""
ZONE_FILLS = {RED: "#F28B82", AMBER: "#FDD663", GREEN: "#A8DAB5"}
"""The lighter fills of the risk heat map's zones (text stays readable on them)."""
NAVY = "#1F3864"
SLATE = "#44546A"
BLUE = "#2F5597"
GREY = "#E7E6E6"
PALE_BLUE = "#D9E1F2"
"""Headings, rules and table headers of every workbook, image and PDF rmp writes."""
SERIES_COLOURS = ("#1F77B4", "#FF7F0E", "#2CA02C", "#9467BD", "#8C564B", "#E377C2", "#17BECF")
"""One line colour per partner in the charts, in partner order."""


def text_colour(rag: str) -> str:
    """Black on Amber, white on the darker fills: the readable text on a status fill."""
    return "#000000" if rag == AMBER else "#FFFFFF"


# --------------------------------------------------------------------------- rules


def lower_is_better(direction: Any) -> bool:
    """Whether a KPI or SLA Direction (``Lower is better``, ``At most``) wants small figures;
    blank or anything else means higher is better (``At least``)."""
    words = fold_text(direction or "")
    return words in ("lower is better", "at most")


def is_worse(actual: float, target: float, direction: Any) -> bool:
    """Whether ``actual`` misses ``target`` given a KPI or SLA direction."""
    return actual > target if lower_is_better(direction) else actual < target


def kpi_rag(actual: Any, target: Any, amber: Any, direction: Any) -> str:
    """A KPI figure's status: Green on target; Amber worse than target but not beyond the
    Amber threshold (inclusive); Red beyond it, or with no Amber threshold, or with one on
    the wrong side of the target; No data without a figure or a target."""
    a, t, m = number(actual), number(target), number(amber)
    if a is None or t is None:
        return NO_DATA
    if not is_worse(a, t, direction):
        return GREEN
    if m is None:
        return RED
    if lower_is_better(direction):
        return AMBER if t <= m and a <= m else RED
    return AMBER if m <= t and a >= m else RED


def sla_rag(actual: Any, target: Any, direction: Any) -> str:
    """A service level's status: Green when met, Red when breached (no Amber band)."""
    a, t = number(actual), number(target)
    if a is None or t is None:
        return NO_DATA
    return RED if is_worse(a, t, direction) else GREEN


def risk_rag(score: Any, thresholds: Thresholds) -> str:
    """An open risk's status by its score (Likelihood × Impact)."""
    s = number(score)
    if s is None:
        return NO_DATA
    if s >= thresholds.risk_score_red:
        return RED
    return AMBER if s >= thresholds.risk_score_amber else GREEN


def heat_zone(likelihood: int, impact: int, thresholds: Thresholds) -> str:
    """The zone of a heat-map cell: the status of a risk scoring likelihood × impact."""
    return risk_rag(likelihood * impact, thresholds)


def risk_legend(thresholds: Thresholds) -> list[tuple[str, str]]:
    """(status, words) for the heat map's legend, worst first."""
    red, amber = thresholds.risk_score_red, thresholds.risk_score_amber
    return [
        (RED, f"Red: score {red} or more"),
        (AMBER, f"Amber: {amber} to {red - 1}" if red - 1 > amber else f"Amber: {amber}"),
        (GREEN, f"Green: below {amber}"),
    ]


def days_open_rag(days: int, thresholds: Thresholds) -> str:
    """A bottleneck's status by how many days it has been open."""
    if days >= thresholds.bottleneck_days_red:
        return RED
    return AMBER if days >= thresholds.bottleneck_days_amber else GREEN
