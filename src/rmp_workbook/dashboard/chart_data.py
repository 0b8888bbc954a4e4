"""The Chart data sheet: the figures behind the charts and sparklines."""

from __future__ import annotations

from typing import Any

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from rmp_workbook import summary
from rmp_workbook.cells import col_letter, quote_sheet
from rmp_workbook.dashboard.cells import (
    IMPACT,
    LIKELIHOOD,
    NAVY,
    _columns,
)
from rmp_workbook.dashboard.tables import Tables
from rmp_workbook.schema import SCHEMA


class ChartData(Tables):
    """Writes the Chart data sheet and records where each series sits."""

    def _chart_data(self) -> None:
        ws, f = self.cd, self.f
        ws.write_string(
            0,
            0,
            "Chart data: the figures behind the charts and sparklines (written by rmp)",
            f(bold=True, font_size=12, font_color=NAVY),
        )
        ws.set_column(0, 0, 30)
        ws.set_column(1, 1, 22)
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.set_column(2, 2, 9)
        ws.set_column(3, 3 + max(len(self.periods), 6), 10)
        row = 2
        num_fmt = f.cell(num_format="#,##0.0##")
        for kind, tiles, label in (
            ("KPI", self.kpis, "KPI trends"),
            ("SLA", self.slas, "Service level trends"),
        ):
            ws.write_string(row, 0, label, f(bold=True, font_color=NAVY))
            row += 1
            headers = [kind if kind == "SLA" else "KPI ID", "Series", "Unit", *self.periods]
            rows: list[list[Any]] = []
            first = row + 1
            for tile in tiles:
                positions: dict[str, int] = {}
                series = [("Actual", tile.actuals)]
                if any(t is not None for t in tile.targets):
                    series.append(("Target", tile.targets))
                if tile.partners_differ:
                    series += [
                        (p, v)
                        for p, v in tile.partner_series().items()
                        if any(x is not None for x in v)
                    ]
                for name, values in series:
                    positions[name] = first + len(rows)
                    rows.append(
                        [tile.key if kind == "KPI" else tile.name, name, tile.unit, *values]
                    )
                self.trend_rows[(kind, tile.key if kind == "KPI" else tile.name)] = positions
            formats = [f.cell(), f.cell(), f.cell()] + [num_fmt] * len(self.periods)
            self.trend_header[kind] = row
            columns = _columns(rows, len(headers))
            row = self._table(ws, row, f"{kind}TrendData", headers, columns, formats) + 2
        # Health check: one column per partner, then the joint view.
        ws.write_string(row, 0, "Health check", f(bold=True, font_color=NAVY))
        row += 1
        self.health_pos = (row, 0)
        rows = [
            [b, *(self.health_scores[s][i] for s in self.health_series)]
            for i, b in enumerate(self.behaviours)
        ]
        row = (
            self._table(
                ws,
                row,
                "HealthData",
                ["Behaviour", *self.health_series],
                _columns(rows, 1 + len(self.health_series)),
                [f.cell()] + [f.cell(num_format="0.0")] * len(self.health_series),
            )
            + 2
        )
        # Stage progress.
        ws.write_string(row, 0, "Life-cycle stages", f(bold=True, font_color=NAVY))
        row += 1
        self.stage_pos = (row, 0)
        # A stage nobody reported charts as 0% (the bar chart has no blanks); its status says so.
        rows = [[s, st or "Not reported", p or 0.0] for s, st, p in self.stages]
        row = (
            self._table(
                ws,
                row,
                "StageData",
                ["Stage", "Status", "Progress"],
                _columns(rows, 3),
                [f.cell(), f.cell(), f.cell(num_format="0%")],
            )
            + 2
        )
        # Open risks per likelihood and impact, from the Risks sheet (formulas with results).
        ws.write_string(
            row,
            0,
            "Open risks by likelihood (rows) and impact (columns)",
            f(bold=True, font_color=NAVY),
        )
        row += 1
        self._risk_counts(ws, row)

    def _risk_counts(self, ws: Worksheet, row: int) -> None:
        f = self.f
        risks = SCHEMA["risks"]
        cols = {c.key: i for i, c in enumerate(risks.columns)}
        n = max(len(self.c.tables.get("risks", pd.DataFrame())), 1)
        rng = {
            k: f"{quote_sheet(risks.name)}!${col_letter(cols[k])}$2:${col_letter(cols[k])}${n + 1}"
            for k in ("likelihood", "impact", "status")
        }
        heat = summary.heat_map(self.c)
        ws.write_string(row, 0, "Likelihood", f.header())
        for imp in range(1, 6):
            ws.write_number(row, imp, imp, f.header(num_format=f'0 "{IMPACT[imp - 1]}"'))
        for k, lik in enumerate(range(5, 0, -1), start=1):
            ws.write_number(
                row + k, 0, lik, f.cell(bold=True, num_format=f'0 "{LIKELIHOOD[lik - 1]}"')
            )
            for imp in range(1, 6):
                formula = (
                    f"=COUNTIFS({rng['likelihood']},{lik},{rng['impact']},{imp},"
                    f'{rng["status"]},"<>Closed")'
                )
                ws.write_formula(
                    row + k,
                    imp,
                    formula,
                    f.cell(num_format="0", align="center"),
                    len(heat[(lik, imp)]),
                )
