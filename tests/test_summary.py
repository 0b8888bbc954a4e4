"""The values the dashboard and the report share."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from consolidated_factory import NOT_SHARED, PARTNERS, PERIODS, make_consolidated

from rmp_workbook import rag, summary


def test_tiles_follow_the_history():
    c = make_consolidated()
    tiles = {t.key: t for t in summary.kpi_tiles(c)}
    assert list(tiles) == ["K01", "K02", "K03", "K04", "K05"]
    assert tiles["K01"].partners_differ and not tiles["K02"].partners_differ
    assert tiles["K01"].by_partner[PARTNERS[1]][-1] == pytest.approx(88.0)
    assert tiles["K03"].change == pytest.approx(3)
    slas = summary.sla_tiles(c)
    assert [t.rag for t in slas] == ["Green", "Red"]


def test_tiles_without_reconciled_rows_use_the_partners_mean():
    c = make_consolidated()
    c.tables = {k: v for k, v in c.tables.items() if k != "kpis"}
    k01 = next(t for t in summary.kpi_tiles(c) if t.key == "K01")
    assert k01.current == pytest.approx((91.5 + 88.0 + 91.5) / 3)


def test_heat_map_leaves_closed_risks_out():
    heat = summary.heat_map(make_consolidated())
    assert heat[(4, 4)] == ["R02"]
    assert heat[(3, 4)] == ["R01"]  # R06 (3, 4) is closed
    assert sum(len(v) for v in heat.values()) == 5


def test_only_an_explicit_yes_shares_a_testimonial():
    c = make_consolidated()
    t = c.tables["testimonials"].copy()
    t.loc[len(t)] = {**t.iloc[0].to_dict(), "testimonial": "blank consent", "may_be_shared": None}
    t.loc[len(t)] = {**t.iloc[0].to_dict(), "testimonial": "lower yes", "may_be_shared": " yes "}
    c.tables["testimonials"] = t
    words = [r["testimonial"] for r in summary.shareable_testimonials(c)]
    assert NOT_SHARED not in words and "blank consent" not in words
    assert "lower yes" in words and len(words) == 3


def test_top_gaps_put_red_first():
    gaps = summary.top_gaps(make_consolidated(), limit=6)
    severities = [g.severity for g in gaps]
    assert severities == sorted(severities, key=lambda s: s != "Red")
    assert len(gaps) == 6


def test_top_gaps_give_each_item_one_place():
    c = make_consolidated()
    first = c.gaps[0]
    # The same KPI found by a second rule (worsening as well as below target).
    c.gaps = [*c.gaps, replace(first, severity="Amber", rule="kpi-worsening")]
    top = summary.top_gaps(c, limit=20)
    items = [(g.area, g.item) for g in top]
    assert len(items) == len(set(items))
    assert [g for g in top if (g.area, g.item) == (first.area, first.item)] == [first]


def test_shareable_keeps_only_an_explicit_yes():
    table = pd.DataFrame(
        {"testimonial": ["a", "b", "c", "d"], "may_be_shared": ["Yes", "No", None, " yes "]}
    )
    assert summary.shareable(table)["testimonial"].tolist() == ["a", "d"]
    assert summary.shareable(table.drop(columns="may_be_shared")).empty


def test_held_back_testimonials_counts_those_not_shared():
    c = make_consolidated()
    assert summary.held_back_testimonials(c) == 1
    c.tables["testimonials"] = c.tables["testimonials"].iloc[0:0]
    assert summary.held_back_testimonials(c) == 0


def test_headline_counts_measures_risks_and_partners():
    c = make_consolidated()
    tiles = summary.kpi_tiles(c) + summary.sla_tiles(c)
    off = sum(t.rag in ("Amber", "Red") for t in tiles)
    red = sum(
        rag.heat_zone(r["likelihood"], r["impact"], c.thresholds) == "Red"
        for r in summary.open_risks(c)
    )
    line = summary.headline(c)
    assert line == (
        f"{off} of {len(tiles)} measures off target, "
        f"{red} red risk{'s' if red != 1 else ''}, awaiting 1 partner"
    )
    c.expected_partners = list(c.partners)
    assert summary.headline(c).endswith("every partner in")
    c.tables["risks"] = c.tables["risks"].iloc[0:0]
    assert ", no red risks, " in summary.headline(c)


def test_submission_status_names_the_missing_partner():
    rows = summary.submission_status(make_consolidated())
    assert [r[0] for r in rows] == [*PARTNERS, "Tailspin Logistics"]
    assert rows[-1][1] == "Missing"


def test_health_has_a_series_per_partner_and_the_joint_view():
    behaviours, names, scores = summary.health(make_consolidated())
    assert names == [*PARTNERS, "Joint"]
    assert all(len(scores[n]) == len(behaviours) == 8 for n in names)
    c = make_consolidated()
    c.health_by_partner = pd.DataFrame()
    assert summary.health(c)[1] == ["Joint"]


def test_earlier_periods_follow_the_partner_whose_figure_was_kept():
    c = make_consolidated()
    k01 = next(t for t in summary.kpi_tiles(c) if t.key == "K01")
    source = c.tables["kpis"].query("kpi_id == 'K01'")["source"].iloc[0]
    hist = c.kpi_history[(c.kpi_history["kpi_id"] == "K01") & (c.kpi_history["partner"] == source)]
    assert k01.actuals == pytest.approx(hist["actual"].tolist())
    # Contoso's lower figures never leak into the kept trend.
    assert k01.actuals[3] != pytest.approx(k01.by_partner[PARTNERS[1]][3])


def test_submission_status_reads_the_ledgers_words():
    c = make_consolidated()
    subs = c.submissions.copy()
    subs["status"] = ["current", "current", "superseded"]
    subs["errors"] = [0, 2, 0]
    subs["warnings"] = [0, 1, 0]
    newer = subs.iloc[[2]].assign(status="current", file="fabrikam-v2.xlsx")
    c.submissions = pd.concat([subs, newer], ignore_index=True)
    rows = {r[0]: r for r in summary.submission_status(c)}
    assert rows[PARTNERS[0]][1] == "Received"
    assert rows[PARTNERS[1]][1] == "Invalid (2 errors)"  # the state rmp status gives
    assert rows[PARTNERS[2]][1:3] == ("Received", "fabrikam-v2.xlsx")


def _tile(by_partner: dict[str, list[float | None]], actuals: list[float | None]) -> summary.Tile:
    periods = [f"2026-{m:02d}" for m in range(1, len(actuals) + 1)]
    return summary.Tile(
        kind="KPI",
        key="K01",
        name="On-time delivery",
        unit="%",
        direction="Higher is better",
        target=95.0,
        amber=90.0,
        periods=periods,
        actuals=actuals,
        targets=[95.0] * len(actuals),
        by_partner=by_partner,
    )


def test_partner_series_keeps_every_partner_of_a_small_relationship():
    series = {"A": [90.0, 91.0], "B": [90.0, 91.0], "C": [None, None]}
    assert _tile(series, [90.0, 91.0]).partner_series() == series


def test_partner_series_of_a_network_keeps_the_partners_that_differ_most():
    actuals = [90.0, 91.0, 92.0]
    by_partner = {f"P{i:02d}": list(actuals) for i in range(20)}
    by_partner["P03"] = [80.0, 91.0, 92.0]  # one period off
    by_partner["P07"] = [80.0, 81.0, 82.0]  # three periods off
    by_partner["P11"] = [80.0, 81.0, None]  # two periods off
    shown = _tile(by_partner, actuals).partner_series(limit=2)
    assert list(shown) == ["P07", "P11"]
    assert shown["P07"] == [80.0, 81.0, 82.0]


def test_chart_health_series_caps_partners_and_keeps_joint():
    names = [f"P{i}" for i in range(10)] + ["Joint"]
    scores = {n: [3.0, 3.0] for n in names}
    scores["P4"] = [1.0, 5.0]
    scores["P8"] = [3.0, 5.0]
    assert summary.chart_health_series([*names[:4], "Joint"], scores, limit=6) == [
        *names[:4],
        "Joint",
    ]
    assert summary.chart_health_series(names, scores, limit=2) == ["P4", "P8", "Joint"]


def test_a_period_read_twice_keeps_each_partners_last_figure():
    """A partner with two rows in a period (a correction): its last row is its figure; when
    the kept partner's last row is blank, its earlier figure still carries the trend."""
    c = make_consolidated()
    source = c.tables["kpis"].query("kpi_id == 'K02'")["source"].iloc[0]
    other = next(p for p in PARTNERS if p != source)
    hist = c.kpi_history
    k02 = hist[(hist["kpi_id"] == "K02") & (hist["period"] == PERIODS[2])]
    extra = pd.concat([k02[k02["partner"] == source], k02[k02["partner"] == other]])
    extra["actual"] = [None, 9.75]  # the source's correction is blank; the other's is 9.75
    c.kpi_history = pd.concat([hist, extra], ignore_index=True)
    k02_tile = next(t for t in summary.kpi_tiles(c) if t.key == "K02")
    assert k02_tile.actuals[2] == pytest.approx(2.1)  # the source's earlier figure, not a mean
    assert k02_tile.by_partner[other][2] == pytest.approx(9.75)
    assert k02_tile.by_partner[source][2] is None
    assert k02_tile.partners_differ
