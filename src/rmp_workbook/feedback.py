"""The annotated feedback copy of a partner's workbook: what to fix, in their own file.

:func:`write_feedback` writes a new ``.xlsx`` next to nothing the partner sent
(the input is never modified): every problem cell is filled red (error) or amber
(warning) and carries a comment with the message; a ``Problems`` sheet comes first
and lists every problem with a link to its cell.

- ``.xlsx`` / ``.xlsm``: the partner's own workbook, loaded with openpyxl (which
  uses defusedxml when it is installed) and saved as ``.xlsx``: every value,
  table, data validation and the very hidden metadata sheet are kept; macros are
  not copied; charts and images are not kept (openpyxl drops them).
- ``.ods`` / ``.xls`` (openpyxl cannot open them), or a workbook
  openpyxl fails on: the values of every sheet, read with python-calamine,
  annotated the same way (a workbook too large for openpyxl: of the sheets
  with problems only).
- a file that failed the container check: the ``Problems`` sheet alone.

Partner text is always written as text: nothing becomes a formula or a link.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from rmp_workbook.atomic import atomic_output, safe_file_name
from rmp_workbook.cells import a1, quote_sheet, safe_sheet_name
from rmp_workbook.container import Limits, check_container
from rmp_workbook.findings import Finding, Severity, UsageError
from rmp_workbook.values import norm

if TYPE_CHECKING:
    from rmp_workbook.validate import Report

FILLS = {
    Severity.ERROR: PatternFill("solid", fgColor="FFC7CE"),
    Severity.WARNING: PatternFill("solid", fgColor="FFEB9C"),
}
"""Light red for errors, amber for warnings (Excel's own 'bad' and 'neutral' colours)."""

PROBLEMS_SHEET = "Problems"
PROBLEM_HEADERS = ("Severity", "Sheet", "Cell", "Column", "Value", "Problem", "How to fix", "Code")
_WIDTHS = (9, 14, 7, 16, 18, 42, 36, 16)
"""Column widths (characters) of the Problems sheet: about 160 in all, so that with text
wrapped it prints on one landscape A4 page width at nearly full size."""
AUTHOR = "rmp"
OPENPYXL_MAX_CELLS = 2_000_000
"""Above this many cells (by the sheets' extents) openpyxl would need gigabytes of memory:
such a workbook gets the values copy of its problem sheets instead."""


FEEDBACK_SUFFIX = ".feedback.xlsx"


def feedback_path(path: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> Path:
    """Where the feedback copy goes: ``<out_dir>/<stem>.feedback.xlsx``.

    A non-xlsx input keeps its type in the name (``plan-ods.feedback.xlsx``) so
    ``plan.ods`` and ``plan.xlsx`` in one folder do not share a feedback file.
    Characters a file system may refuse become ``_``; a device name (``CON``) gets a ``_``.
    """
    path = Path(path)
    stem = re.sub(r"[^\w\-. ()&+,]+", "_", path.stem).strip(" .") or "workbook"
    suffix = path.suffix.lower().lstrip(".")
    if suffix and suffix != "xlsx":
        stem = f"{stem[:100]}-{re.sub(r'[^a-z0-9]', '', suffix)[:8]}"
    return Path(out_dir) / safe_file_name(f"{stem[:110]}{FEEDBACK_SUFFIX}")


def _unique(out: Path, taken: set[str]) -> Path:
    stem, n = out.name.removesuffix(FEEDBACK_SUFFIX), 2
    while out.name.casefold() in taken:
        out, n = out.with_name(f"{stem}-{n}{FEEDBACK_SUFFIX}"), n + 1
    taken.add(out.name.casefold())
    return out


def write_feedback(
    path: str | os.PathLike[str],
    findings: Iterable[Finding],
    out_dir: str | os.PathLike[str],
    *,
    limits: Limits | None = None,
    taken: set[str] | None = None,
) -> Path:
    """Write the annotated copy of the workbook at ``path`` into ``out_dir``; return its path.

    ``taken`` holds the names (case-folded) this run already wrote: a file with the same
    name from another folder gets ``-2``, ``-3``… rather than overwriting that copy.

    ``findings`` are those of this file (validation's; the container check's are
    added when no finding of their code is given). ``limits`` default to
    :meth:`Limits.from_env`. The file is written atomically.
    """
    path = Path(path)
    limits = limits or Limits.from_env()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = feedback_path(path, out_dir)
    if taken is not None:
        out = _unique(out, taken)
    if out.resolve() == path.resolve():
        raise UsageError(f"{out}: the feedback copy would overwrite the partner's file")
    info = check_container(path, limits)
    given = list(findings)
    # The reader reports the container's findings in its own words (macros name modules).
    known = {f.code for f in given}
    problems = _dedupe([*given, *(f for f in info.findings if f.code not in known)])

    copy: tuple[Workbook, dict[str, str]] | None = None
    cells = sum(rows * cols for rows, cols in info.extents.values())
    if info.ok and info.kind in ("xlsx", "xlsm") and cells <= OPENPYXL_MAX_CELLS:
        copy = _openpyxl_copy(path)
    if copy is None and info.ok:
        # Every sheet of a file openpyxl cannot open (.ods, .xls); of a huge one, only the
        # sheets with problems, to bound memory.
        every = cells <= OPENPYXL_MAX_CELLS
        copy = _calamine_copy(path, problems, limits, every_sheet=every)
    if copy is None:
        wb = Workbook()
        wb.remove(wb.active)
        sheet_map: dict[str, str] = {}
        if info.ok:
            problems.append(
                Finding(note="The workbook could not be copied; its problems are listed here.")
            )
    else:
        wb, sheet_map = copy

    titles = {ws.title for ws in wb.worksheets}
    placed = _annotate(wb, problems, sheet_map, limits)
    _add_problems_sheet(wb, problems, sheet_map, titles, placed, limits)
    _save_atomic(wb, out)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for f in findings:
        key = (f.code, f.sheet, f.row, f.col, f.note, str(f.value))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _openpyxl_copy(path: Path) -> tuple[Workbook, dict[str, str]] | None:
    """The partner's workbook as openpyxl reads it; None when openpyxl cannot."""
    try:
        with warnings.catch_warnings():
            # openpyxl says it drops extensions (x14 validations, slicers): known and accepted.
            warnings.simplefilter("ignore", UserWarning)
            wb = load_workbook(path, keep_vba=False, keep_links=False, rich_text=False)
    except Exception:  # openpyxl raises many kinds on odd files; calamine gets its turn
        return None
    wb.template = False
    return wb, {name: name for name in wb.sheetnames}


def _calamine_copy(
    path: Path, findings: list[Finding], limits: Limits, *, every_sheet: bool = True
) -> tuple[Workbook, dict[str, str]] | None:
    """A new workbook holding the values of every sheet (or of the sheets with problems)."""
    import python_calamine

    wanted = {norm(f.sheet) for f in findings if f.sheet}
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        meta = {m.name: m for m in book.sheets_metadata}
        wb = Workbook()
        wb.remove(wb.active)
        taken: set[str] = set()
        sheet_map: dict[str, str] = {}
        for name in book.sheet_names:
            if not every_sheet and norm(name) not in wanted:
                continue
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            title = safe_sheet_name(name, taken)
            taken.add(title)
            sheet_map[name] = title
            ws = wb.create_sheet(title)
            for r, row in enumerate(rows[: limits.max_rows], start=1):
                for c, value in enumerate(row[: limits.max_cols], start=1):
                    if value != "" and value is not None:
                        _set_value(ws.cell(r, c), value, limits)
            visibility = str(getattr(meta.get(name), "visible", "")).lower()
            if "veryhidden" in visibility:
                ws.sheet_state = "veryHidden"
            elif "hidden" in visibility:
                ws.sheet_state = "hidden"
            for col in range(1, min(len(rows[0]) if rows else 0, limits.max_cols) + 1):
                ws.column_dimensions[_letter(col)].width = 16
        return wb, sheet_map
    except Exception:  # any reader failure: the Problems sheet alone still helps
        return None


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _clean_text(text: str, limits: Limits) -> str:
    """Text Excel accepts in a cell: control characters escaped, not over the cell limit.

    XML cannot hold most control characters; Excel writes them as ``_xHHHH_``,
    which Excel and python-calamine read back as the character itself.
    """
    text = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)
    return text[: limits.max_string]


def _set_value(cell: Cell, value: Any, limits: Limits) -> None:
    """Write a value; text stays text even when it starts with '=' (no formula, no link)."""
    if isinstance(value, str):
        cell.value = _clean_text(value, limits)
        cell.data_type = "s"
    elif isinstance(value, bool | int | float):
        cell.value = value
    elif isinstance(value, dt.datetime):
        cell.value = value
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, dt.time):
        cell.value = value
        cell.number_format = "hh:mm:ss"
    else:
        _set_value(cell, str(value), limits)


def _target_sheet(wb: Workbook, f: Finding, sheet_map: dict[str, str]) -> Worksheet | None:
    """The sheet of the copy a finding points at (findings name the partner's sheet)."""
    title = sheet_map.get(f.sheet)
    if title is None and f.sheet:
        # The reader matches sheet names forgivingly ("risks " is Risks); so does this.
        wanted = norm(f.sheet)
        title = next((t for name, t in sheet_map.items() if norm(name) == wanted), None)
    if title and title in wb.sheetnames:
        return wb[title]
    return None


def _annotate(
    wb: Workbook, findings: list[Finding], sheet_map: dict[str, str], limits: Limits
) -> dict[int, str]:
    """Fill and comment every problem cell; return where each placed finding went (by id)."""
    notes: dict[tuple[str, int, int], list[Finding]] = {}
    for f in findings:
        ws = _target_sheet(wb, f, sheet_map)
        if ws is None or f.row is None or f.col is None:
            continue
        if f.row >= 1_048_576 or f.col >= 16_384:
            continue
        notes.setdefault((ws.title, f.row, f.col), []).append(f)
    placed: dict[int, str] = {}
    for (title, row, col), group in notes.items():
        ws = wb[title]
        cell = _writable_cell(ws, row + 1, col + 1)
        severity = (
            Severity.ERROR if any(f.severity is Severity.ERROR for f in group) else Severity.WARNING
        )
        cell.fill = FILLS[severity]
        text = "\n".join(f"{f.severity.upper()}: {f.message}" for f in group)
        if cell.comment is not None:
            text = f"{cell.comment.text}\n\n{text}"
        text = _clean_text(text, limits)
        comment = Comment(text, AUTHOR)
        comment.width = 320
        comment.height = min(60 + 15 * (len(text) // 45 + text.count("\n")), 600)
        cell.comment = comment
        placed.update((id(f), cell.coordinate) for f in group)
    return placed


def _writable_cell(ws: Worksheet, row: int, col: int) -> Cell:
    """The cell itself, or the top-left cell of the merged range it lies in."""
    cell = ws.cell(row, col)
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if (row, col) in {(r, c) for r, c in rng.cells}:
                return ws.cell(rng.min_row, rng.min_col)
    return cell  # type: ignore[return-value]


def _problem_text(f: Finding) -> str:
    text = f.message
    if f.hint and text.endswith(f.hint):
        text = text[: -len(f.hint)].rstrip()
    return text


def _add_problems_sheet(
    wb: Workbook,
    findings: list[Finding],
    sheet_map: dict[str, str],
    original_titles: set[str],
    placed: dict[int, str],
    limits: Limits,
) -> None:
    title = safe_sheet_name(PROBLEMS_SHEET, original_titles)
    ws = wb.create_sheet(title, 0)
    # A font without a name prints in the spreadsheet's fallback (a serif in LibreOffice):
    # headers and links take the workbook's own default font.
    normal = _normal_font(wb)
    bold = Font(name=normal.name, size=normal.sz, bold=True)
    for c, header in enumerate(PROBLEM_HEADERS, start=1):
        cell = ws.cell(1, c)
        _set_value(cell, header, limits)
        cell.font = bold
        ws.column_dimensions[_letter(c)].width = _WIDTHS[c - 1]
    order = {name: i for i, name in enumerate(wb.sheetnames)}
    rows = sorted(
        findings,
        key=lambda f: (
            bool(f.sheet),
            order.get(sheet_map.get(f.sheet, ""), -1),
            f.row if f.row is not None else -1,
            f.col if f.col is not None else -1,
        ),
    )
    wrap = Alignment(wrap_text=True, vertical="top")
    link_font = Font(name=normal.name, size=normal.sz, color="0563C1", underline="single")
    for r, f in enumerate(rows, start=2):
        cell_ref = f.cell if f.row is not None and f.col is not None else ""
        values = (
            str(f.severity).capitalize(),
            f.sheet or "(whole file)",
            cell_ref,
            f.column,
            "" if f.value is None else str(f.value),
            _problem_text(f),
            f.hint,
            f.code,
        )
        for c, value in enumerate(values, start=1):
            cell = ws.cell(r, c)
            _set_value(cell, value, limits)
            cell.alignment = wrap
        ws.cell(r, 1).fill = FILLS[f.severity]
        target = _target_sheet(wb, f, sheet_map)
        if target is not None and target.sheet_state == "visible":
            where = placed.get(id(f), "A1")
            link_cell = ws.cell(r, 3) if cell_ref else ws.cell(r, 2)
            link_cell.hyperlink = Hyperlink(
                ref=link_cell.coordinate, location=f"{quote_sheet(target.title)}!{where}"
            )
            link_cell.font = link_font
    if not rows:
        _set_value(ws.cell(2, 6), "No problems found.", limits)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{a1(max(len(rows), 1), len(PROBLEM_HEADERS) - 1)}"
    _print_one_page_wide(ws)
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = sheet is ws
    wb.active = 0


def _normal_font(wb: Workbook) -> Font:
    """The workbook's Normal style font (Calibri 11 when it names none)."""
    try:
        font = wb._named_styles["Normal"].font
    except (KeyError, AttributeError):  # a workbook without the Normal style
        font = None
    name = font.name if font is not None and font.name else "Calibri"
    size = font.sz if font is not None and font.sz else 11
    return Font(name=name, size=size)


def _print_one_page_wide(ws: Worksheet) -> None:
    """Landscape A4, as many pages down as needed but one page across, header on each."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_title_rows = "1:1"
    ws.oddFooter.right.text = "Page &P of &N"


def _save_atomic(wb: Workbook, out: Path) -> None:
    with atomic_output(out, suffix=".xlsx") as tmp:
        wb.save(tmp)


def write_report_feedback(
    report: Report, out_dir: str | os.PathLike[str], *, limits: Limits | None = None
) -> list[Path]:
    """A feedback copy for every checked file of a validation report that has problems.

    Files without findings and skipped files (lock files, other files) get none.
    Returns the paths written, in the report's order.
    """
    written: list[Path] = []
    taken: set[str] = set()
    for result in report.files:
        if result.skipped or not result.findings:
            continue
        written.append(
            write_feedback(result.path, result.findings, out_dir, limits=limits, taken=taken)
        )
    return written
