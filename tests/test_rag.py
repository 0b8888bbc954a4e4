"""The one home of every RAG rule: the same figure and thresholds give the same status."""

from __future__ import annotations

import pytest

from rmp_workbook import rag
from rmp_workbook.config import Thresholds


@pytest.mark.parametrize(
    ("actual", "target", "amber", "direction", "expected"),
    [
        (96, 95, 90, "Higher is better", "Green"),
        (95, 95, 90, "Higher is better", "Green"),
        (92, 95, 90, "Higher is better", "Amber"),
        (89.9, 95, 90, "Higher is better", "Red"),
        (1.5, 2, 3, "Lower is better", "Green"),
        (2.5, 2, 3, "Lower is better", "Amber"),
        (3.5, 2, 3, "Lower is better", "Red"),
        (94, 95, None, "Higher is better", "Red"),
        (None, 95, 90, "Higher is better", "No data"),
        (94, None, 90, "Higher is better", "No data"),
    ],
)
def test_kpi_rag(actual, target, amber, direction, expected):
    assert rag.kpi_rag(actual, target, amber, direction) == expected


def test_sla_rag():
    assert rag.sla_rag(3.5, 4, "At most") == "Green"
    assert rag.sla_rag(4.5, 4, "At most") == "Red"
    assert rag.sla_rag(96.5, 98, "At least") == "Red"
    assert rag.sla_rag(None, 98, "At least") == "No data"


def test_kpi_rag_blank_direction_means_higher_is_better():
    assert rag.kpi_rag(94, 95, 90, None) == "Amber"
    assert rag.kpi_rag(float("nan"), 95, 90, "Higher is better") == "No data"


def test_risk_zones_follow_the_thresholds():
    default = Thresholds()
    strict = Thresholds(risk_score_red=12, risk_score_amber=6)
    assert [rag.risk_rag(s, default) for s in (16, 12, 9)] == ["Red", "Amber", "Green"]
    assert [rag.risk_rag(s, strict) for s in (16, 12, 9, 5)] == ["Red", "Red", "Amber", "Green"]
    assert rag.heat_zone(3, 4, strict) == "Red"
    assert rag.heat_zone(3, 4, default) == "Amber"
    assert rag.risk_legend(strict) == [
        ("Red", "Red: score 12 or more"),
        ("Amber", "Amber: 6 to 11"),
        ("Green", "Green: below 6"),
    ]


def test_days_open():
    t = Thresholds(bottleneck_days_amber=10, bottleneck_days_red=20)
    assert [rag.days_open_rag(d, t) for d in (9, 10, 20)] == ["Green", "Amber", "Red"]
