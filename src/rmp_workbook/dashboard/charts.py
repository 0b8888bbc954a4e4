"""The Charts sheet: native charts reading the Chart data sheet."""

from __future__ import annotations

from typing import Any

from xlsxwriter.chart import Chart

from rmp_workbook import summary
from rmp_workbook.dashboard.cells import (
    NAVY,
    RULE,
    SERIES_COLOURS,
    SLATE,
)
from rmp_workbook.dashboard.state import (
    CHART_DATA,
    WriterState,
)
from rmp_workbook.summary import Tile


class Charts(WriterState):
    """Writes the Charts sheet."""

    def _series_ref(self, row: int, first_col: int, last_col: int) -> list[Any]:
        return [CHART_DATA, row, first_col, row, last_col]

    def _charts(self) -> None:
        ws, f = self.charts, self.f
        ws.hide_gridlines(2)
        ws.write_string(
            0,
            0,
            f"{self.c.relationship_name}: charts for {self.c.period}",
            f(bold=True, font_size=14, font_color=NAVY),
        )
        ws.write_string(
            1, 0, "Every chart reads the Chart data sheet.", f(italic=True, font_color=SLATE)
        )
        charts: list[Chart] = []
        fc = self.trend_first_col
        lc = fc + len(self.periods) - 1
        for kind, tiles in (("KPI", self.kpis), ("SLA", self.slas)):
            for tile in tiles:
                rows = self.trend_rows[(kind, tile.key if kind == "KPI" else tile.name)]
                header_row = self.trend_header[kind]
                cats = [CHART_DATA, header_row, fc, header_row, lc]
                charts.append(
                    self._trend_chart(tile, rows, cats)
                    if kind == "KPI"
                    else self._sla_chart(tile, rows, cats)
                )
        if self.health_series:
            charts.append(self._radar_chart())
        if any(progress is not None for _, _, progress in self.stages):
            charts.append(self._stage_chart())
        if not charts:
            ws.write_string(3, 0, "No figures reported yet.", f(italic=True))
        for i, chart in enumerate(charts):
            ws.insert_chart(3 + (i // 2) * 16, (i % 2) * 8, chart, {"x_offset": 4, "y_offset": 4})
        # Two rows of charts per printed page, never a chart cut in half.
        ws.set_h_pagebreaks([3 + k * 32 for k in range(1, (len(charts) + 3) // 4 + 1)])
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    def _base_chart(self, kind: str, title: str, subtype: str | None = None) -> Chart:
        opts: dict[str, Any] = {"type": kind}
        if subtype:
            opts["subtype"] = subtype
        chart = self.wb.add_chart(opts)
        assert chart is not None
        chart.set_title({"name": title, "name_font": {"size": 11, "bold": True, "color": NAVY}})
        chart.set_size({"width": 500, "height": 300})
        chart.set_legend({"position": "bottom", "font": {"size": 8}})
        chart.set_chartarea({"border": {"color": RULE}})
        return chart

    def _trend_chart(self, tile: Tile, rows: dict[str, int], cats: list[Any]) -> Chart:
        fc, lc = self.trend_first_col, self.trend_first_col + len(self.periods) - 1
        unit = f" ({tile.unit})" if tile.unit else ""
        title = f"{tile.key} {tile.name}{unit}"
        if len(self.periods) == 1:
            # One month is no trend: bars of the figure and its target, not lone dots.
            return self._first_month_chart(tile, rows, cats, title)
        chart = self._base_chart("line", title)
        colours = {name: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, name in enumerate(rows)}
        # Partners' dotted lines first, the target next and the reconciled Actual last, so
        # it is drawn on top of the lines it agrees with.
        order = [n for n in rows if n not in ("Actual", "Target")] + [
            n for n in ("Target", "Actual") if n in rows
        ]
        for name in order:
            row = rows[name]
            line: dict[str, Any] = {"color": colours[name], "width": 2.25}
            marker: dict[str, Any] = {"type": "circle", "size": 5}
            if name == "Actual":
                line = {"color": NAVY, "width": 2.75}
                marker["fill"] = {"color": NAVY}
                marker["border"] = {"color": NAVY}
            elif name == "Target":
                line = {
                    "color": summary.RAG_COLOURS[summary.GREEN],
                    "width": 1.75,
                    "dash_type": "dash",
                }
                marker = {"type": "none"}
            else:
                line["width"] = 1.25
                line["dash_type"] = "round_dot"
            chart.add_series(
                {
                    "name": [CHART_DATA, row, 1],
                    "categories": cats,
                    "values": self._series_ref(row, fc, lc),
                    "line": line,
                    "marker": marker,
                }
            )
        chart.set_y_axis(
            {
                "name": tile.unit or None,
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                "num_font": {"size": 8},
                **_percent_cap(tile),
            }
        )
        chart.set_x_axis({"num_font": {"size": 8}})
        return chart

    def _first_month_chart(
        self, tile: Tile, rows: dict[str, int], cats: list[Any], title: str
    ) -> Chart:
        """A tile's only month as bars: its figure, its target and each partner's."""
        fc = self.trend_first_col
        chart = self._base_chart("column", title)
        for i, (name, row) in enumerate(rows.items()):
            colour = (
                NAVY
                if name == "Actual"
                else summary.RAG_COLOURS[summary.GREEN]
                if name == "Target"
                else SERIES_COLOURS[i % len(SERIES_COLOURS)]
            )
            chart.add_series(
                {
                    "name": [CHART_DATA, row, 1],
                    "categories": cats,
                    "values": self._series_ref(row, fc, fc),
                    "fill": {"color": colour},
                    "gap": 80,
                    "data_labels": {"value": True, "font": {"size": 8}},
                }
            )
        chart.set_y_axis(
            {
                "min": 0,
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                "num_font": {"size": 8},
                **_percent_cap(tile),
            }
        )
        return chart

    def _sla_chart(self, tile: Tile, rows: dict[str, int], cats: list[Any]) -> Chart:
        fc, lc = self.trend_first_col, self.trend_first_col + len(self.periods) - 1
        if len(self.periods) == 1:
            return self._first_month_chart(tile, rows, cats, f"SLA {tile.name}: actual vs target")
        chart = self._base_chart("column", f"SLA {tile.name}: actual vs target")
        chart.add_series(
            {
                "name": [CHART_DATA, rows["Actual"], 1],
                "categories": cats,
                "values": self._series_ref(rows["Actual"], fc, lc),
                "fill": {"color": NAVY},
                "gap": 80,
                # From zero a dip is short: its figure says how short. Written inside the
                # bar's foot, white on navy: above the bar it would sit on the target line
                # whenever the figure is near its target, the usual case.
                "data_labels": {
                    "value": True,
                    "position": "inside_base",
                    "font": {"size": 7, "bold": True, "color": "#FFFFFF"},
                },
            }
        )
        if "Target" not in rows:
            return chart
        target = self.wb.add_chart({"type": "line"})
        assert target is not None
        target.add_series(
            {
                "name": [CHART_DATA, rows["Target"], 1],
                "categories": cats,
                "values": self._series_ref(rows["Target"], fc, lc),
                "line": {
                    "color": summary.RAG_COLOURS[summary.RED],
                    "width": 2,
                    "dash_type": "dash",
                },
                "marker": {"type": "none"},
            }
        )
        chart.combine(target)
        chart.set_y_axis(
            {
                # Bars start at zero: an axis from 93 makes 95 look half of 98.
                "min": 0,
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                "num_font": {"size": 8},
                **_percent_cap(tile),
            }
        )
        return chart

    def _radar_chart(self) -> Chart:
        row, col = self.health_pos
        n = len(self.behaviours)
        chart = self._base_chart("radar", "Joint health check (1 = poor, 5 = excellent)", "marker")
        partners = [s for s in self.health_series if s != "Joint"] or self.health_series
        for name in partners:
            i = self.health_series.index(name)
            chart.add_series(
                {
                    "name": [CHART_DATA, row, col + 1 + i],
                    "categories": [CHART_DATA, row + 1, col, row + n, col],
                    "values": [CHART_DATA, row + 1, col + 1 + i, row + n, col + 1 + i],
                    "line": {"color": SERIES_COLOURS[i % len(SERIES_COLOURS)], "width": 2},
                    "marker": {"type": "circle", "size": 4},
                }
            )
        chart.set_y_axis({"min": 0, "max": 5, "major_unit": 1, "num_font": {"size": 7}})
        chart.set_x_axis({"num_font": {"size": 8}})
        return chart

    def _stage_chart(self) -> Chart:
        row, col = self.stage_pos
        n = len(self.stages)
        chart = self._base_chart("bar", "Life-cycle stage progress")
        chart.add_series(
            {
                "name": "Progress",
                "categories": [CHART_DATA, row + 1, col, row + n, col],
                "values": [CHART_DATA, row + 1, col + 2, row + n, col + 2],
                "fill": {"color": NAVY},
                "gap": 60,
                "data_labels": {"value": True, "num_format": "0%", "font": {"size": 8}},
            }
        )
        chart.set_x_axis(
            {
                "min": 0,
                "max": 1,
                "num_format": "0%",
                "num_font": {"size": 8},
                "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
            }
        )
        chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": {"size": 8}})
        chart.set_legend({"none": True})
        return chart


def _percent_cap(tile: Tile) -> dict[str, Any]:
    """A percentage's axis ends at 100 (not 105) when no figure is above it."""
    percent = tile.unit.strip() == "%" or tile.name.rstrip().endswith("(%)")
    figures = [v for v in (*tile.actuals, *tile.targets) if v is not None]
    if percent and figures and max(figures) <= 100:
        return {"max": 100}
    return {}
