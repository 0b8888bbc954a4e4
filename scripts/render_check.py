"""The rendering check: does every cell's text fit the cell it is printed in?

    python scripts/render_check.py consolidated.xlsx                 # every sheet
    python scripts/render_check.py consolidated.xlsx --sheet Dashboard --pdf

Reads the workbook with openpyxl (column widths, row heights, merged ranges,
fonts, wrapping) and measures each text with the font's real metrics (Liberation
Sans, metric-compatible with Arial, through Pillow), as a spreadsheet would lay
it out. It reports, as a printed page would show them:

- ``clipped``: one-line text wider than its cell (or merged range) with a
  neighbour holding a value, so the text is cut or runs into it;
- ``cut-lines``: wrapped text needing more lines than its row's height holds
  (LibreOffice prints a row at its stored height, however long the text);
- ``word-broken``: a word wider than its wrapping cell, broken mid-word (a path
  or web address, which has no words to break at, may break anywhere);
- ``hashes``: a number too wide for its cell (shown as ``###``);
- ``too-short``: a row lower than one line of its text.

Widths use Excel's conversion (7 pixels per character of Arial 10, 96 dpi), a
little narrower than LibreOffice's, so text that fits here fits in both. With
``--pdf`` the chosen sheet is also printed alone through LibreOffice and the
number of pages and the printed scale of its text are reported (``pdfinfo``,
``pdftotext -bbox``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from PIL import ImageFont

POINTS_PER_WIDTH_UNIT = 5.25
"""Excel: a stored column width of w characters is 7·w pixels (Arial 10) = 5.25·w points."""
CELL_PADDING = 3.5
"""Points a cell keeps free left and right of its text, together."""
INDENT = 7.5
"""Points one indent level moves the text (three spaces of the default font)."""
LINE_HEIGHT = 1.2
"""A wrapped line's height as a multiple of the font size (Excel's autofit for Arial)."""
ROW_PADDING = 1.5
"""Points a row keeps above and below its lines, together."""
DEFAULT_ROW_HEIGHT = 15.0


@dataclass(frozen=True)
class Misfit:
    """One cell whose text does not fit as printed."""

    sheet: str
    cell: str
    kind: str
    text: str
    detail: str

    def __str__(self) -> str:
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"{self.sheet}!{self.cell} {self.kind}: {shown!r} ({self.detail})"


# --------------------------------------------------------------------------- fonts

_FONT_FILES = {
    (False, False): "LiberationSans-Regular.ttf",
    (True, False): "LiberationSans-Bold.ttf",
    (False, True): "LiberationSans-Italic.ttf",
    (True, True): "LiberationSans-BoldItalic.ttf",
}
_MONO_FILES = {
    (False, False): "LiberationMono-Regular.ttf",
    (True, False): "LiberationMono-Bold.ttf",
    (False, True): "LiberationMono-Italic.ttf",
    (True, True): "LiberationMono-BoldItalic.ttf",
}
_SCALE = 20  # fonts are loaded 20 times larger, so rounding of advances does not count


@cache
def _font_file(name: str) -> str:
    """A font file for ``name``: found by fontconfig, else matplotlib's DejaVu (wider)."""
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", name], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.SubprocessError):
        pass
    from matplotlib import font_manager

    return str(font_manager.findfont("DejaVu Sans"))


@cache
def _font(name: str, bold: bool, italic: bool) -> ImageFont.FreeTypeFont:
    mono = "courier" in name.lower() or "mono" in name.lower()
    wanted = (_MONO_FILES if mono else _FONT_FILES)[(bold, italic)]
    base = Path(_font_file("Liberation Mono" if mono else "Liberation Sans"))
    path = base.with_name(wanted) if base.with_name(wanted).exists() else base
    return ImageFont.truetype(str(path), 10 * _SCALE)


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False,
               font: str = "Arial") -> float:  # fmt: skip
    """The width of one line of ``text`` in points at ``size`` points."""
    return _font(font, bold, italic).getlength(text) * size / (10 * _SCALE)


# --------------------------------------------------------------------------- layout


def wrap_lines(text: str, width: float, measure: Any) -> tuple[list[str], list[str]]:
    """Greedy word wrapping as a spreadsheet does it: (lines, words wider than ``width``)."""
    lines: list[str] = []
    too_wide: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if measure(word) > width:
                too_wide.append(word)
            candidate = f"{line} {word}" if line else word
            if line and measure(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines, too_wide


def _decimals(fmt: str) -> int:
    m = re.search(r"\.([0#]+)", fmt)
    return len(m.group(1).rstrip("#")) if m else 0


def shown_number(value: float, fmt: str) -> str:
    """How a number looks in a cell with number format ``fmt`` (the common formats)."""
    section = fmt.split(";")[0] if value >= 0 or ";" not in fmt else fmt.split(";")[1]
    literal = "".join(re.findall(r'"([^"]*)"', section))
    if fmt in ("General", ""):
        text = f"{value:.10g}"
        return text
    if "yy" in section or "hh" in section:
        return "2026-12-31 23:59"[: len(section.strip())]
    figure = value * 100 if "%" in section else value
    text = (
        f"{abs(figure):,.{_decimals(section)}f}"
        if "," in section
        else (f"{abs(figure):.{_decimals(section)}f}")
    )
    sign = "-" if value < 0 and ";" not in fmt else ("+" if section.startswith("+") else "")
    return f"{sign}{text}{'%' if '%' in section else ''}{literal}"


def _merged_map(ws: Any) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """Top-left (row, col) of each merged range -> (min_row, min_col, max_row, max_col)."""
    out = {}
    for rng in ws.merged_cells.ranges:
        out[(rng.min_row, rng.min_col)] = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
    return out


def _covered(ws: Any) -> set[tuple[int, int]]:
    cells = set()
    for rng in ws.merged_cells.ranges:
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                cells.add((r, c))
    return cells


def _col_width(ws: Any, col: int) -> float:
    """A column's printed width in points (Excel's conversion)."""
    dim = ws.column_dimensions.get(get_column_letter(col))
    width = None
    if dim is not None and dim.width:
        width = dim.width
    else:  # openpyxl files a set_column range under its first column
        for d in ws.column_dimensions.values():
            if d.min and d.max and d.min <= col <= d.max and d.width:
                width = d.width
                break
    if width is None:
        width = 8.43 + 5 / 7
    # xlsxwriter stores w + 5/7 for a width of w characters: 7·w + 5 pixels.
    return width * POINTS_PER_WIDTH_UNIT


def _row_height(ws: Any, row: int) -> float:
    dim = ws.row_dimensions.get(row)
    if dim is not None and dim.height is not None:
        return float(dim.height)
    default = ws.sheet_format.defaultRowHeight
    return float(default) if default else DEFAULT_ROW_HEIGHT


def misfits(
    path: str | Path, sheets: list[str] | None = None, *, autofit_rows: bool = False
) -> list[Misfit]:
    """Every cell of ``sheets`` (default: every visible sheet) whose text does not fit.

    ``autofit_rows``: a row stored without a custom height grows to its wrapped text, as
    Excel lays it out on opening (a partner's workbook, whose rows the partner fills);
    only rows with a height of their own (``customHeight``) can cut text then.
    """
    with warnings.catch_warnings():  # sparklines and icon sets: openpyxl cannot keep them
        warnings.simplefilter("ignore", UserWarning)
        # Cached results: a formula cell prints its value, not its expression.
        wb = openpyxl.load_workbook(path, data_only=True)
    found: list[Misfit] = []
    for ws in wb.worksheets:
        if (sheets is None and ws.sheet_state != "visible") or (
            sheets is not None and ws.title not in sheets
        ):
            continue
        found += _sheet_misfits(ws, autofit_rows=autofit_rows)
    return found


def _sheet_misfits(ws: Any, *, autofit_rows: bool = False) -> list[Misfit]:
    merged = _merged_map(ws)
    covered = _covered(ws)
    widths: dict[int, float] = {}
    heights: dict[int, float] = {}

    def width(col: int) -> float:
        if col not in widths:
            widths[col] = _col_width(ws, col)
        return widths[col]

    def height(row: int) -> float:
        if row not in heights:
            dim = ws.row_dimensions.get(row)
            custom = dim is not None and dim.height is not None  # a height of its own
            heights[row] = _row_height(ws, row) if custom or not autofit_rows else float("inf")
        return heights[row]

    hidden_cols = {
        c
        for d in ws.column_dimensions.values()
        if d.hidden and d.min and d.max
        for c in range(d.min, d.max + 1)
    }
    out: list[Misfit] = []
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if value is None or value == "" or cell.column in hidden_cols:
                continue
            r, c = cell.row, cell.column
            if (r, c) in covered and (r, c) not in merged:
                continue
            r0, c0, r1, c1 = merged.get((r, c), (r, c, r, c))
            box_w = sum(width(k) for k in range(c0, c1 + 1))
            box_h = sum(height(k) for k in range(r0, r1 + 1))
            font = cell.font
            size = float(font.sz or 10)
            bold, italic = bool(font.b), bool(font.i)
            name = font.name or "Arial"
            align = cell.alignment
            indent = float(align.indent or 0) * INDENT
            avail = box_w - CELL_PADDING - indent

            def measure(s: str, size: float = size, bold: bool = bold, italic: bool = italic,
                        name: str = name) -> float:  # fmt: skip
                return text_width(s, size, bold=bold, italic=italic, font=name)

            where = cell.coordinate
            if isinstance(value, bool):
                text = "TRUE" if value else "FALSE"
            elif isinstance(value, (int, float)):
                text = shown_number(float(value), cell.number_format or "General")
                if measure(text) > avail:
                    out.append(Misfit(ws.title, where, "hashes", text,
                                      f"{measure(text):.0f} pt in {avail:.0f} pt"))  # fmt: skip
                continue
            elif isinstance(value, (dt.datetime, dt.date)):
                text = shown_number(0, cell.number_format or "yyyy-mm-dd")
                if measure(text) > avail:
                    out.append(Misfit(ws.title, where, "hashes", text,
                                      f"{measure(text):.0f} pt in {avail:.0f} pt"))  # fmt: skip
                continue
            else:
                text = str(value)
            line_h = size * LINE_HEIGHT
            if align.wrap_text or "\n" in text:
                lines, too_wide = wrap_lines(text, avail, measure)
                need = len(lines) * line_h + ROW_PADDING
                if need > box_h + 0.5:
                    out.append(Misfit(ws.title, where, "cut-lines", text,
                                      f"{len(lines)} lines need {need:.0f} pt, row is "
                                      f"{box_h:.0f} pt"))  # fmt: skip
                for word in too_wide:
                    if "/" in word or "\\" in word:
                        continue  # a path or address may break anywhere: it has no words
                    out.append(Misfit(ws.title, where, "word-broken", text,
                                      f"{word!r} is {measure(word):.0f} pt in "
                                      f"{avail:.0f} pt"))  # fmt: skip
                continue
            if size * 1.05 > box_h + 0.5:
                out.append(Misfit(ws.title, where, "too-short", text,
                                  f"{size:.0f} pt text in a {box_h:.0f} pt row"))  # fmt: skip
            need_w = measure(text)
            if need_w <= avail:
                continue
            # One-line text may run on over empty cells to its right (left-aligned only).
            if (align.horizontal in (None, "general", "left")) and c1 == c:
                room, k = avail, c + 1
                while room < need_w and k <= ws.max_column + 50:
                    neighbour = ws.cell(row=r, column=k)
                    if neighbour.value not in (None, "") or (r, k) in covered:
                        break
                    room += width(k)
                    k += 1
                if room >= need_w:
                    continue
            out.append(Misfit(ws.title, where, "clipped", text,
                              f"{need_w:.0f} pt in {avail:.0f} pt"))  # fmt: skip
    return out


# --------------------------------------------------------------------------- printing


def pdf_pages(pdf: Path) -> int:
    """Pages of a PDF (pdfinfo)."""
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(found.group(1)) if found else 0


def printed_scale(pdf: Path, word: str, size: float, *, page: int = 1) -> float | None:
    """The scale a page was printed at: ``word``'s printed height over its font ``size``.

    A word set at ``size`` points prints with a box about 1.3 × size high at 100 %.
    """
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for m in re.finditer(r'<word xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">'
                         r"([^<]*)</word>", out):  # fmt: skip
        if m.group(3) == word:
            return (float(m.group(2)) - float(m.group(1))) / (size * 1.3)
    return None


def print_sheet(workbook: Path, sheet: str, outdir: Path, soffice: str | None = None) -> Path:
    """Print ``sheet`` alone through LibreOffice headless; the PDF's path."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from screenshots import only_sheet, slug, to_pdf

    outdir.mkdir(parents=True, exist_ok=True)
    copy = only_sheet(workbook, sheet, outdir / f"{slug(sheet)}.xlsx")
    return to_pdf(copy, outdir, soffice)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--sheet", action="append", default=None, help="a sheet to check")
    parser.add_argument("--pdf", action="store_true", help="also print each sheet, count pages")
    parser.add_argument(
        "--autofit-rows",
        action="store_true",
        help="rows without a height of their own grow to their text (a partner's workbook)",
    )
    args = parser.parse_args(argv)
    found = misfits(args.workbook, args.sheet, autofit_rows=args.autofit_rows)
    for m in found:
        print(m)
    if args.pdf:
        with tempfile.TemporaryDirectory() as tmp:
            for sheet in args.sheet or openpyxl.load_workbook(args.workbook).sheetnames:
                pdf = print_sheet(args.workbook, sheet, Path(tmp))
                print(f"{sheet}: {pdf_pages(pdf)} page(s)")
    print(f"{len(found)} cell(s) whose text does not fit", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["Misfit", "misfits", "pdf_pages", "print_sheet", "printed_scale", "text_width"]
