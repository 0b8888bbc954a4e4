"""The Dashboard sheet: the one-page layout executives read first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
from xlsxwriter.format import Format

from rmp_workbook import __version__, summary, textfit
from rmp_workbook.cells import a1, col_letter, quote_sheet
from rmp_workbook.dashboard.cells import (
    IMPACT,
    LIKELIHOOD,
    NAVY,
    PALE,
    RAG_FILLS,
    RULE,
    SLATE,
    ZONE_FILLS,
    _frame_columns,
    _plain,
)
from rmp_workbook.dashboard.plan import managing_block
from rmp_workbook.dashboard.state import CHART_DATA
from rmp_workbook.dashboard.tables import Tables
from rmp_workbook.rag import risk_legend
from rmp_workbook.signoff import signoff_line
from rmp_workbook.summary import Tile
from rmp_workbook.wording import plural

if TYPE_CHECKING:
    from rmp_workbook.records import Consolidated

# --------------------------------------------------------------------------- the Dashboard

# Column plan (zero-based): a left block B..I, a gutter J and a right block K..R.
_B, _C, _D, _E, _F, _G, _H, _I = range(1, 9)
_K, _R = 10, 17
_WIDTHS = {0: 1.5, _B: 27, _C: 9, _D: 9, _E: 9, _F: 9, _G: 4.5, _H: 9, _I: 14, 9: 2}
_RIGHT_WIDTH = 10
_K_WIDTH = 13.5
_HEALTH_COLS = (_C, _D, _E, _F, _H, _I)
"""Health check columns (the narrow icon column G is skipped): partners, Joint, Spread."""
MAX_PARTNER_ROWS = 8
"""Partners the Dashboard lists at most; the rest are on the Submissions sheet."""
MAX_GAP_LINES = 4
"""Lines a top gap's text takes at most on the Dashboard (the Gaps sheet has it all)."""
FIRST_ROW = 4
"""The first row of the blocks, under the banner, subtitle and headline."""


def _points(c0: int, c1: int) -> float:
    """Printed width in points of the Dashboard's columns ``c0``..``c1``."""
    return sum(
        textfit.column_points(_WIDTHS.get(c, _K_WIDTH if c == _K else _RIGHT_WIDTH))
        for c in range(c0, c1 + 1)
    )


def _fit_words(text: str, points: float, size: float, *, bold: bool = False) -> str:
    """``text`` with any word too wide for a cell ``points`` wide cut short with "…", so a
    wrapping cell never breaks a word in the middle."""
    room = points - textfit.PADDING
    words = []
    for word in text.split(" "):
        if textfit.text_width(word, size, bold=bold) > room:
            word = textfit.shorten(word, points, size, bold=bold)
        words.append(word)
    return " ".join(words)


class _Dashboard:
    """Lays out the one-page Dashboard from the writer's computed values."""

    def __init__(self, w: Tables) -> None:
        self.w = w
        self.ws = w.dash
        self.f = w.f
        self.c = w.c
        self.heights: dict[int, float] = {}

    def write(self) -> None:
        ws = self.ws
        for col, width in _WIDTHS.items():
            ws.set_column(col, col, width)
        ws.set_column(_K, _R, _RIGHT_WIDTH)
        ws.set_column(_K, _K, _K_WIDTH)
        ws.hide_gridlines(2)
        self._banner()
        left = self._notices(self._partners(FIRST_ROW))
        left = self._tiles(left + 1)
        left = self._stages(left + 1)
        left = self._health(left + 1)
        right = self._gaps(FIRST_ROW)
        right = self._heat_map(right + 1)
        right = self._testimonials(right + 1)
        right = self._successes(right + 1)
        # The plan areas go under the shorter side (the left's first column is wide enough
        # for an area's name; on the right it takes two).
        if left <= right:
            left = managing_block(self, left + 1, _B, _I)
        else:
            right = managing_block(self, right + 1, _K, _R, name_span=2)
        last = max(left, right)
        for r, height in self.heights.items():
            ws.set_row(r, height)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 1)
        ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.45)
        ws.center_horizontally()
        ws.print_area(0, 0, last, _R)
        # The date the workbook was written, in ISO form (&D would print the viewer's locale).
        ws.set_footer(
            f"&L&7{self.c.relationship_id} · {self.c.period}"
            f"&R&7rmp {__version__} · {self.w.generated:%Y-%m-%d}"
        )
        ws.set_zoom(90)

    # helpers ---------------------------------------------------------------

    def _height(self, row: int, height: float) -> None:
        """Ask for a row height; the two blocks share rows, so the tallest request wins."""
        self.heights[row] = max(height, self.heights.get(row, 0))

    def _merged(self, row: int, c0: int, c1: int, text: str, fmt: Format) -> None:
        if c1 > c0:
            self.ws.merge_range(row, c0, row, c1, "", fmt)
        self.ws.write_string(row, c0, text, fmt)

    def _section(self, row: int, c0: int, c1: int, title: str) -> int:
        fmt = self.f(
            bold=True, font_size=11, font_color=NAVY, bottom=2, bottom_color=NAVY, valign="bottom"
        )
        self._merged(row, c0, c1, title, fmt)
        self._height(row, 20)
        return row + 1

    def _head(
        self, row: int, cells: Sequence[tuple[Any, ...]], height: float = 16, size: float = 8
    ) -> int:
        """Column headings: (first col, last col, text[, alignment])."""
        for c0, c1, text, *align in cells:
            fmt = self.f(
                bold=True,
                font_size=size,
                font_color=SLATE,
                bg_color=PALE,
                text_wrap=True,
                valign="vcenter",
                bottom=1,
                bottom_color=RULE,
                align=align[0] if align else "left",
            )
            self._merged(row, c0, c1, text, fmt)
        self._height(row, height)
        return row + 1

    # blocks ----------------------------------------------------------------

    def _banner(self) -> None:
        c, f = self.c, self.f
        self._merged(
            0,
            _B,
            _R,
            c.relationship_name,
            f(
                bold=True,
                font_size=18,
                font_color="#FFFFFF",
                bg_color=NAVY,
                valign="vcenter",
                indent=1,
            ),
        )
        self._height(0, 32)
        generated = self.w.generated.strftime("%Y-%m-%d %H:%M")
        subtitle = (
            f"Relationship dashboard  ·  {c.relationship_id}  ·  period {c.period}  ·  "
            f"{_submitted(c)}  ·  {plural(len(c.gaps), 'gap')}  ·  generated {generated}"
        )
        self._merged(
            1,
            _B,
            _R,
            subtitle,
            f(font_size=9, font_color="#FFFFFF", bg_color=SLATE, valign="vcenter", indent=1),
        )
        self._height(1, 18)
        line = summary.headline(c, self.w.kpis + self.w.slas)
        self._merged(
            2,
            _B,
            _R,
            line[:1].upper() + line[1:] + ".",
            f(bold=True, font_size=11, font_color=NAVY, bg_color=PALE, valign="vcenter", indent=1),
        )
        self._height(2, 22)
        signed = signoff_line(c)  # the month's joint sign-off, once the relationship uses it
        if signed:
            agreed = signed.startswith("Agreed by all")
            self._merged(3, _B, _R, signed, f(italic=True, font_size=9, valign="vcenter",
                         indent=1, font_color="#375623" if agreed else "#9C5700"))  # fmt: skip
        self._height(3, 16 if signed else 6)

    def _partners(self, row: int) -> int:
        f, ws = self.f, self.ws
        rows = summary.submission_status(self.c)
        # Files left out as another month's or an unknown sender's: under the partners.
        rows += [(file, state[:1].upper() + state[1:], "", None) for file, state in
                 summary.stray_files(self.c)]  # fmt: skip
        title = "Partners and submissions"
        if self.c.due:
            title += f", due {self.c.due.isoformat()}"
        if len(rows) > MAX_PARTNER_ROWS:
            received_count = sum(not r[1].startswith("Missing") for r in rows)
            title += f" ({received_count} of {len(rows)} in)"
            # A network: the partners to chase first (not received, then errors, then
            # warnings), in the config's order within each; the rest are on Submissions.
            rows = sorted(rows, key=_status_rank)
        row = self._section(row, _B, _I, title)
        row = self._head(
            row, [(_B, _B, "Partner"), (_C, _E, "Status"), (_F, _H, "File"), (_I, _I, "Received")]
        )
        first = row
        cell = f.cell(font_size=9, valign="vcenter")
        shown = rows[:MAX_PARTNER_ROWS] if len(rows) > MAX_PARTNER_ROWS else rows
        name_pts, status_pts, file_pts = _points(_B, _B), _points(_C, _E), _points(_F, _H)
        for partner, status, file, received in shown:
            self._height(row, 16)
            ws.write_string(
                row,
                _B,
                textfit.shorten(partner, name_pts, 9, bold=True),
                f.cell(font_size=9, bold=True, valign="vcenter"),
            )
            self._merged(row, _C, _E, textfit.shorten(status, status_pts, 9), cell)
            self._merged(
                row,
                _F,
                _H,
                textfit.shorten(file, file_pts, 8) if file else "–",
                f.cell(font_size=8, font_color=SLATE, valign="vcenter"),
            )
            received = _plain(received)
            if isinstance(received, dt.date) and not isinstance(received, dt.datetime):
                received = dt.datetime.combine(received, dt.time())
            if isinstance(received, (dt.datetime, pd.Timestamp)):
                ws.write_datetime(
                    row,
                    _I,
                    pd.Timestamp(received).to_pydatetime().replace(tzinfo=None),
                    f.cell(font_size=9, num_format="yyyy-mm-dd", align="left", valign="vcenter"),
                )
            else:
                ws.write_string(row, _I, "–", cell)
            row += 1
        if len(shown) < len(rows):
            self._merged(
                row,
                _B,
                _I,
                f"… and {len(rows) - len(shown)} more on the Submissions sheet.",
                f(italic=True, font_size=8, font_color=SLATE, valign="vcenter"),
            )
            row += 1
        for criteria, fill, font in (
            ("Missing", RAG_FILLS[summary.RED], "#FFFFFF"),
            ("Invalid", RAG_FILLS[summary.RED], "#FFFFFF"),
            ("Wrong period", "#FFE699", "#000000"),
            ("Unknown sender", "#FFE699", "#000000"),
            ("Late", RAG_FILLS[summary.AMBER], "#000000"),
            ("warning", "#FFE699", "#000000"),
            ("eceived", "#C6E0B4", "#000000"),
        ):
            ws.conditional_format(
                first,
                _C,
                row - 1,
                _E,
                {
                    "type": "text",
                    "criteria": "containing",
                    "value": criteria,
                    "format": f(bg_color=fill, font_color=font),
                    "stop_if_true": True,
                },
            )
        return row

    def _notices(self, row: int) -> int:
        """The view's short notices (a proposed restatement awaiting a decision) under the
        partners, one wrapped line each."""
        fmt = self.f(italic=True, font_size=8, font_color=SLATE, text_wrap=True, valign="top")
        points = _points(_B, _I)
        for line in self.c.notices:
            self._merged(row, _B, _I, _fit_words(line, points, 8), fmt)
            self._height(row, textfit.height_for(line, points, 8))
            row += 1
        return row

    def _tiles(self, row: int) -> int:
        w, f, ws = self.w, self.f, self.ws
        n = len(w.periods)
        row = self._section(row, _B, _I, "KPIs and service levels")
        row = self._head(
            row,
            [
                (_B, _B, "Measure"),
                (_C, _C, "Unit"),
                (_D, _D, "Now", "right"),
                (_E, _E, "Target", "right"),
                (_F, _F, "Change", "right"),
                (_G, _G, "Better", "center"),
                (_H, _H, "Status", "center"),
                (_I, _I, f"Trend ({plural(n, 'month')})"),
            ],
            22,
        )
        first = row
        fc = w.trend_first_col
        groups = [("KPI", w.kpis, None), ("SLA", w.slas, "Service levels (SLA)")]
        for kind, tiles, label in groups:
            if label and tiles:
                self._merged(
                    row,
                    _B,
                    _I,
                    label,
                    f(italic=True, font_size=8, font_color=SLATE, bottom=1, bottom_color=RULE),
                )
                row += 1
            for tile in tiles:
                positions = w.trend_rows[(kind, tile.key if kind == "KPI" else tile.name)]
                self._tile(row, tile, positions["Actual"], fc, n)
                row += 1
        if row == first:
            self._merged(row, _B, _I, "No KPI or SLA figures for this period.", f.cell(italic=True))
            return row + 1
        w._rag_text_formats(ws, first, _H, row - 1, _H)
        self._merged(
            row,
            _B,
            _I,
            "Better: ▲ higher is better, ▼ lower is better. Change is green when the figure moved "
            "the better way. Trend bars: one scale per row, centred on the target (a bar above "
            "the middle is above target).",
            f(italic=True, font_size=7, font_color=SLATE, text_wrap=True, valign="top"),
        )
        self._height(row, textfit.row_height(2, 7))
        return row + 1

    def _tile(self, row: int, tile: Tile, data_row: int, fc: int, n: int) -> None:
        f, ws = self.f, self.ws
        values = [v for v in (*tile.actuals, *tile.targets) if v is not None]
        whole = all(float(v).is_integer() for v in values)
        num_fmt = "#,##0" if whole else "#,##0.0"
        base = {"font_size": 10, "valign": "vcenter"}
        # A long SLA name wraps to a second line (at most), never cut at the column's edge.
        label_pts = _points(_B, _B)
        label = textfit.shorten(_fit_words(tile.label, label_pts, 10, bold=True), label_pts, 10,
                                bold=True, lines=3)  # fmt: skip
        self._height(row, max(21, textfit.height_for(label, label_pts, 10, bold=True)))
        ws.write_string(row, _B, label, f.cell(bold=True, text_wrap=True, **base))
        ws.write_string(row, _C, tile.unit, f.cell(font_color=SLATE, **base))
        for col, value in ((_D, tile.current), (_E, tile.target)):
            if value is None:
                ws.write_string(row, col, "–", f.cell(align="right", **base))
            else:
                ws.write_number(row, col, value, f.cell(num_format=num_fmt, bold=col == _D, **base))
        change = tile.change
        cur_col, prev_col = fc + n - 1, fc + n - 2
        if change is None or n < 2:
            ws.write_string(row, _F, "–", f.cell(align="right", **base))
        else:
            # A live formula over the chart data, with its result cached for viewers.
            sheet = quote_sheet(CHART_DATA)
            formula = f"={sheet}!{a1(data_row, cur_col)}-{sheet}!{a1(data_row, prev_col)}"
            sign_fmt = "+#,##0;-#,##0;0" if whole else "+#,##0.0;-#,##0.0;0.0"
            ws.write_formula(
                row,
                _F,
                formula,
                f.cell(num_format=sign_fmt, font_color=_change_colour(tile), **base),
                change,
            )
        rag = tile.rag
        better = _better(tile)
        ws.write_string(
            row, _G, better, f.cell(align="center", font_color=SLATE, font_size=9, valign="vcenter")
        )
        ws.write_string(row, _H, rag, f.cell(align="center", font_size=9, valign="vcenter"))
        ws.write_blank(row, _I, None, f.cell(**base))
        spark_range = f"{quote_sheet(CHART_DATA)}!{a1(data_row, fc)}:{a1(data_row, fc + n - 1)}"
        spark: dict[str, Any] = {
            "range": spark_range,
            # Columns: LibreOffice prints column sparklines, not line ones.
            "type": "column",
            "series_color": "#8EA9DB",
            "last_point": True,
            "last_color": NAVY,
        }
        axis = sparkline_axis(tile)
        if axis is not None:
            spark["min"], spark["max"] = axis
        ws.add_sparkline(row, _I, spark)

    def _stages(self, row: int) -> int:
        f, ws = self.f, self.ws
        row = self._section(row, _B, _I, "Life-cycle stages")
        row = self._head(
            row,
            [(_B, _B, "Stage"), (_C, _D, "Status"), (_E, _F, "Progress"), (_G, _I, "Next step")],
        )
        first = row
        table = self.c.tables.get("stages")
        next_steps: dict[str, str] = {}
        if table is not None and len(table) and "next_step" in table:
            next_steps = {
                summary.text(r.get("stage")): summary.text(r.get("next_step"))
                for r in table.to_dict("records")
            }
        cell = f.cell(font_size=9, valign="vcenter")
        for stage, status, progress in self.w.stages:
            ws.write_string(row, _B, stage, f.cell(font_size=9, bold=True, valign="vcenter"))
            self._merged(row, _C, _D, status or "–", cell)
            if progress is None:
                ws.write_string(row, _E, "–", cell)
                ws.write_blank(row, _F, None, cell)
            else:
                ws.write_number(
                    row, _E, progress, f.cell(font_size=9, num_format="0%", valign="vcenter")
                )
                # The bar sits in its own cell beside the figure: drawn under the figure, a
                # bar ending mid-number cuts it in two (LibreOffice).
                ws.write_formula(row, _F, f"={a1(row, _E)}", cell, progress)
            step = next_steps.get(stage, "")
            step_pts = _points(_G, _I)
            self._height(row, max(16, textfit.height_for(step, step_pts, 8)))
            self._merged(
                row,
                _G,
                _I,
                step,
                f.cell(font_size=8, font_color=SLATE, valign="vcenter", text_wrap=True),
            )
            row += 1
        ws.conditional_format(
            first,
            _F,
            row - 1,
            _F,
            {
                "type": "data_bar",
                "bar_color": "#5B9BD5",
                "bar_solid": True,
                "bar_only": True,
                "min_type": "num",
                "min_value": 0,
                "max_type": "num",
                "max_value": 1,
            },
        )
        return row

    def _health(self, row: int) -> int:
        w, f, ws = self.w, self.f, self.ws
        row = self._section(row, _B, _I, "Joint health check (1 = poor, 5 = excellent)")
        partners = [s for s in w.health_series if s != "Joint"][: len(_HEALTH_COLS) - 2]
        shown = partners + (["Joint"] if "Joint" in w.health_series else [])
        cols = list(_HEALTH_COLS[: len(shown)])
        spread_col = _HEALTH_COLS[len(shown)]
        # The spread is over every partner's score, not only the few shown.
        everyone = [n for n in w.health_scores if n != "Joint"]
        all_shown = len(everyone) <= len(partners)
        names = [
            _fit_words(n, _points(col, col), 7, bold=True)
            for col, n in zip(cols, shown, strict=True)
        ]
        head: list[tuple[Any, ...]] = [(_B, _B, "Behaviour")] + [
            (col, col, name) for col, name in zip(cols, names, strict=True)
        ]
        if len(everyone) > 1:
            spread_head = "Spread" if all_shown else f"Spread (all {len(everyone)})"
            head.append((spread_col, spread_col, spread_head, "center"))
        used = {c0 for c0, *_ in head}
        head += [(col, col, "") for col in range(_C, spread_col) if col not in used]
        tallest = max(
            [textfit.height_for(t, _points(c0, c1), 7, bold=True) for c0, c1, t, *_ in head] + [30]
        )
        row = self._head(row, head, tallest, size=7)
        first = row
        score_fmt = f.cell(font_size=9, num_format="0", align="center", valign="vcenter")
        for i, behaviour in enumerate(w.behaviours):
            ws.write_string(row, _B, behaviour, f.cell(font_size=9, bold=True, valign="vcenter"))
            values = []
            for col, name in zip(cols, shown, strict=True):
                score = w.health_scores[name][i]
                if score is None:
                    ws.write_string(row, col, "–", score_fmt)
                else:
                    ws.write_number(
                        row,
                        col,
                        score,
                        score_fmt
                        if name != "Joint"
                        else f.cell(
                            font_size=9,
                            num_format="0.0",
                            align="center",
                            bold=True,
                            valign="vcenter",
                        ),
                    )
                    if name != "Joint":
                        values.append(score)
            for col in range(_C, spread_col):
                if col not in cols:
                    ws.write_blank(row, col, None, score_fmt)
            if len(everyone) > 1 and all_shown:
                span = f"{a1(row, cols[0])}:{a1(row, cols[len(partners) - 1])}"
                spread = max(values) - min(values) if values else 0
                ws.write_formula(row, spread_col, f"=MAX({span})-MIN({span})", score_fmt, spread)
            elif len(everyone) > 1:
                scores = [v for n in everyone if (v := w.health_scores[n][i]) is not None]
                ws.write_number(
                    row, spread_col, max(scores) - min(scores) if scores else 0, score_fmt
                )
            row += 1
        if not w.behaviours or not cols:
            return row
        ws.conditional_format(
            first,
            cols[0],
            row - 1,
            cols[-1],
            {
                "type": "3_color_scale",
                "min_type": "num",
                "min_value": 1,
                "mid_type": "num",
                "mid_value": 3,
                "max_type": "num",
                "max_value": 5,
                "min_color": "#F8696B",
                "mid_color": "#FFEB84",
                "max_color": "#63BE7B",
            },
        )
        if len(everyone) > 1:
            ws.conditional_format(
                first,
                spread_col,
                row - 1,
                spread_col,
                {
                    "type": "cell",
                    "criteria": ">=",
                    "value": w.t.health_gap,
                    "format": f(bg_color="#FFE699", bold=True),
                },
            )
        return row

    def _gaps(self, row: int) -> int:
        f, ws = self.f, self.ws
        gaps = summary.top_gaps(self.c)
        title = f"Top gaps ({len(gaps)} of {len(self.c.gaps)})" if self.c.gaps else "Top gaps"
        row = self._section(row, _K, _R, title)
        row = self._head(
            row,
            [
                (_K, _K, "Severity"),
                (_L := _K + 1, _L, "Area"),
                (_K + 2, _K + 4, "Item"),
                (_K + 5, _R, "Next step"),
            ],
        )
        first = row
        if not gaps:
            self._merged(
                row, _K, _R, "No gaps found this period.", f.cell(italic=True, font_size=9)
            )
            return row + 1
        cell = f.cell(font_size=8, text_wrap=True, valign="top")
        item_pts, step_pts, area_pts = (
            _points(_K + 2, _K + 4),
            _points(_K + 5, _R),
            _points(_K + 1, _K + 1),
        )
        for gap in gaps:
            # As many lines as the text needs, up to a few; the Gaps sheet holds it all.
            item = textfit.shorten(summary.text(gap.item), item_pts, 8, lines=MAX_GAP_LINES)
            step = textfit.shorten(summary.text(gap.next_step), step_pts, 8, lines=MAX_GAP_LINES)
            area = _fit_words(gap.area, area_pts, 8)
            self._height(
                row,
                max(
                    textfit.height_for(item, item_pts, 8),
                    textfit.height_for(step, step_pts, 8),
                    textfit.height_for(area, area_pts, 8),
                    textfit.row_height(1, 9),
                ),
            )
            ws.write_string(
                row, _K, gap.severity, f.cell(font_size=9, align="center", valign="top")
            )
            ws.write_string(row, _K + 1, area, f.cell(font_size=8, valign="top", text_wrap=True))
            self._merged(row, _K + 2, _K + 4, item, cell)
            self._merged(row, _K + 5, _R, step, cell)
            row += 1
        self.w._rag_text_formats(ws, first, _K, row - 1, _K)
        return row

    def _heat_map(self, row: int) -> int:
        f, ws, t = self.f, self.ws, self.w.t
        heat = summary.heat_map(self.c)
        count = sum(len(v) for v in heat.values())
        row = self._section(row, _K, _R, f"Open risks: likelihood × impact ({count} open)")
        head_fmt = f(
            bold=True,
            font_size=8,
            font_color=SLATE,
            bg_color=PALE,
            text_wrap=True,
            align="center",
            valign="vcenter",
            border=1,
            border_color=RULE,
        )
        ws.write_string(row, _K, "Likelihood ↓  Impact →", head_fmt)
        for imp in range(1, 6):
            ws.write_number(
                row,
                _K + imp,
                imp,
                f(
                    bold=True,
                    font_size=8,
                    font_color=SLATE,
                    bg_color=PALE,
                    text_wrap=True,
                    align="center",
                    valign="vcenter",
                    border=1,
                    border_color=RULE,
                    num_format=f'0 "{IMPACT[imp - 1]}"',
                ),
            )
        self._height(row, 24)
        impact_row = row
        row += 1
        first = row
        ids_fmt = f(
            bold=True,
            font_size=8,
            align="center",
            valign="vcenter",
            text_wrap=True,
            border=1,
            border_color="#FFFFFF",
        )
        for lik in range(5, 0, -1):
            self._height(row, 24)
            ws.write_number(
                row,
                _K,
                lik,
                f(
                    bold=True,
                    font_size=8,
                    font_color=SLATE,
                    bg_color=PALE,
                    align="center",
                    valign="vcenter",
                    text_wrap=True,
                    border=1,
                    border_color=RULE,
                    num_format=f'0 "{LIKELIHOOD[lik - 1]}"',
                ),
            )
            for imp in range(1, 6):
                ids = heat[(lik, imp)]
                if ids:
                    ws.write_string(row, _K + imp, ", ".join(ids), ids_fmt)
                else:
                    ws.write_blank(row, _K + imp, None, ids_fmt)
            row += 1
        # Colour by zone: the cell's likelihood (column K) times its impact (header row).
        top_left = f"${col_letter(_K)}{first + 1}*{col_letter(_K + 1)}${impact_row + 1}"
        for zone, rule in (
            (summary.RED, f">={t.risk_score_red}"),
            (summary.AMBER, f">={t.risk_score_amber}"),
            (summary.GREEN, ">=1"),
        ):
            ws.conditional_format(
                first,
                _K + 1,
                row - 1,
                _K + 5,
                {
                    "type": "formula",
                    "criteria": f"={top_left}{rule}",
                    "format": f(bg_color=ZONE_FILLS[zone]),
                    "stop_if_true": True,
                },
            )
        legend = risk_legend(t)
        for i, (zone, label) in enumerate(legend):
            self._merged(
                first + i,
                _K + 6,
                _R,
                label,
                f(
                    font_size=8,
                    bg_color=ZONE_FILLS[zone],
                    valign="vcenter",
                    indent=1,
                    border=1,
                    border_color="#FFFFFF",
                ),
            )
        self._merged(
            first + 3,
            _K + 6,
            _R,
            "Score = likelihood × impact.",
            f(font_size=7, italic=True, font_color=SLATE, text_wrap=True, valign="top"),
        )
        self._merged(
            first + 4,
            _K + 6,
            _R,
            "Closed risks are left out.",
            f(font_size=7, italic=True, font_color=SLATE, text_wrap=True, valign="top"),
        )
        return row

    def _testimonials(self, row: int) -> int:
        f, _ws = self.f, self.ws
        quotes = summary.shareable_testimonials(self.c)[:3]
        row = self._section(row, _K, _R, "What partners say (shared with permission)")
        if not quotes:
            self._merged(
                row,
                _K,
                _R,
                "No testimonials cleared for sharing.",
                f(italic=True, font_size=9, font_color=SLATE),
            )
            return row + 1
        for q in quotes:
            words = summary.text(q.get("testimonial"))
            who = ", ".join(
                x
                for x in (summary.text(q.get("from_person")), summary.text(q.get("organisation")))
                if x
            )
            when = q.get("date")
            when_text = (
                when.strftime("%Y-%m-%d")
                if isinstance(when, (dt.date, pd.Timestamp))
                else summary.text(when)
            )
            quote = f"“{words}”  — {who}" + (f", {when_text}" if when_text else "")
            quote_pts = _points(_K, _R)
            quote = textfit.shorten(quote, quote_pts, 9, lines=MAX_GAP_LINES)
            self._height(row, textfit.height_for(quote, quote_pts, 9) + 2)
            self._merged(
                row,
                _K,
                _R,
                quote,
                f(
                    italic=True,
                    font_size=9,
                    text_wrap=True,
                    valign="top",
                    bottom=1,
                    bottom_color=RULE,
                ),
            )
            row += 1
        return row

    def _successes(self, row: int) -> int:
        f, ws = self.f, self.ws
        table = self.c.tables.get("successes")
        records: list[dict[Any, Any]] = []
        if table is not None and len(table):
            # The three newest, as a stable sort of every record would give them.
            (dates,) = _frame_columns(table, ["date"])
            order = sorted(range(len(dates)), key=lambda i: summary.text(dates[i]), reverse=True)
            newest = order[:3]
            records = table.iloc[newest].to_dict("records")
        row = self._section(row, _K, _R, "Recent successes")
        if not records:
            self._merged(row, _K, _R, "No successes recorded yet.", f(italic=True, font_size=9))
            return row + 1
        for rec in records[:3]:
            when = rec.get("date")
            when_text = (
                when.strftime("%Y-%m-%d")
                if isinstance(when, (dt.date, pd.Timestamp))
                else summary.text(when)
            )
            ws.write_string(row, _K, when_text, f.cell(font_size=8, font_color=SLATE))
            success_pts, value_pts = _points(_K + 1, _K + 4), _points(_K + 5, _R)
            success = textfit.shorten(
                summary.text(rec.get("success")), success_pts, 8, bold=True, lines=3
            )
            value = textfit.shorten(summary.text(rec.get("value_created")), value_pts, 8, lines=3)
            self._merged(
                row, _K + 1, _K + 4, success, f.cell(font_size=8, bold=True, text_wrap=True)
            )
            self._merged(
                row, _K + 5, _R, value, f.cell(font_size=8, text_wrap=True, font_color=SLATE)
            )
            self._height(
                row,
                max(
                    textfit.height_for(success, success_pts, 8, bold=True),
                    textfit.height_for(value, value_pts, 8),
                    textfit.row_height(1, 8),
                ),
            )
            row += 1
        return row


def _better(tile: Tile) -> str:
    """▲ where a higher figure is better, ▼ where a lower one is, blank when not said."""
    direction = tile.direction.lower()
    if direction.startswith("lower") or direction == "at most":
        return "▼"
    if direction.startswith("higher") or direction == "at least":
        return "▲"
    return ""


def sparkline_axis(tile: Tile) -> tuple[float, float] | None:
    """One vertical scale for a tile's sparkline, centred on its target.

    Excel scales each sparkline to its own figures, so 91 → 96 fills the cell as 0 → 96
    would. Centred on the target, with room for the furthest figure and at least a tenth
    of the target either side, a bar above the middle is above target and a small move
    looks small. Without a target the figures' own range is widened the same way.
    """
    figures = [v for v in tile.actuals if v is not None]
    if not figures:
        return None
    centre = tile.target if tile.target is not None else (max(figures) + min(figures)) / 2
    reach = max(abs(v - centre) for v in figures) * 1.15
    half = max(reach, abs(centre) * 0.1, 1e-9 if centre else 1.0)
    return (round(centre - half, 6), round(centre + half, 6))


def _status_rank(row: tuple[str, str, str, Any]) -> int:
    """Which partners a network's Dashboard lists first: missing, invalid, late, stray
    files, then warnings."""
    status = row[1].lower()
    for rank, start in enumerate(("missing", "invalid", "late", "wrong period", "unknown")):
        if status.startswith(start):
            return rank
    return 5 if "warning" in status else 6


def _submitted(c: Consolidated) -> str:
    """The header's word on the returns: "due 2026-12-07 · 2 of 3 partners submitted
    (1 late)", in the states ``rmp status`` gives."""
    n = summary.submission_counts(c)
    expected = len(c.expected_partners) or len(c.partners)
    words = f"{n['in']} of {plural(expected, 'partner')} submitted"
    notes = [f"{n[k]} {k}" for k in (summary.LATE, summary.INVALID) if n[k]]
    if notes:
        words += f" ({', '.join(notes)})"
    return f"due {c.due.isoformat()}  ·  {words}" if c.due else words


def _change_colour(tile: Tile) -> str:
    """Green when the figure moved the good way, red when the bad way."""
    change = tile.change or 0
    if not change:
        return SLATE
    better_lower = tile.direction.lower().startswith("lower") or tile.direction.lower() == "at most"
    improved = change < 0 if better_lower else change > 0
    return summary.RAG_COLOURS[summary.GREEN if improved else summary.RED]
