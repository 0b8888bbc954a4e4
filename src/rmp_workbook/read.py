"""Read a partner's workbook (.xlsx, .xlsm, .xls, .ods) into raw rows.

Only the sheets the schema needs are read (python-calamine, no formatting), so
hundreds of files per merge stay fast. Sheets and columns are matched by name,
forgiving case, spacing, underscores and a trailing ``*``; column order, extra
columns and extra sheets do not matter. Every row below the header is read,
including rows a person appended below the Excel table.

Blank rows are skipped: a row is blank when every *input* column is blank (a
formula column such as Risks' Score does not count). On a FIXED sheet (Stages,
Health check) a row holding only its pre-filled item is an unfilled item and is
left out of the raw rows too, so an untouched stage reports nothing rather than
an empty record.

:func:`open_workbook` is the single place a file is first opened. Typing the raw rows
is :mod:`rmp_workbook.validate`'s job (``read_workbook`` lives there): this module never
imports it, so data flows one way, file → raw rows → typed rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import operator
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from python_calamine import CalamineError, CalamineWorkbook

from rmp_workbook.container import STYLES_PART, ContainerInfo, Limits, check_container
from rmp_workbook.findings import (
    CorruptFile,
    Finding,
    Macros,
    MissingColumn,
    MissingOptionalColumn,
    MissingSheet,
    NotAWorkbook,
    NoteUnderTable,
    RenamedColumn,
    RenamedSheet,
    SheetNotInTemplate,
)
from rmp_workbook.schema import (
    FORM_LABEL_COL,
    FORM_VALUE_COL,
    GUIDE_SHEET,
    HEADER_ROW,
    META_KEYS,
    META_SHEET,
    SHEETS,
    ColType,
    Sheet,
    SheetKind,
    added_after,
)
from rmp_workbook.suggest import did_you_mean, suggest
from rmp_workbook.values import is_blank, norm

T = TypeVar("T")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SCAN_ROWS = 10
"""How far down a table sheet the header row is looked for (the template puts it in row 0)."""


class WorkbookOpenError(Exception):
    """The file cannot be opened as a spreadsheet; the message says why in plain words."""

    def __init__(self, reason: str, finding: Finding | None = None) -> None:
        super().__init__(reason)
        self.finding = finding
        """The container check's finding (zip-bomb, password-protected...), when it refused."""


class CellError(str):
    """A spreadsheet error value (``#DIV/0!``, ``#REF!`` …) found in a cell."""

    __slots__ = ()


class RawRow:
    """One row of a table sheet (or the fields of a form) as stored, by column key.

    ``row`` is the zero-based row in the partner's sheet (a form: the first field's row).
    ``cells`` maps a column key to the zero-based (row, col) of the cell its value came
    from: give it, or give ``columns`` (column key -> col, shared by every row of a
    table) and it is built from them when first asked for (only rows with findings are).
    """

    __slots__ = ("_cells", "_columns", "row", "values")

    def __init__(
        self,
        row: int,
        values: dict[str, Any],
        cells: dict[str, tuple[int, int]] | None = None,
        *,
        columns: dict[str, int] | None = None,
    ) -> None:
        self.row = row
        self.values = values
        self._cells = cells
        self._columns = columns if columns is not None else {}

    @property
    def cells(self) -> dict[str, tuple[int, int]]:
        """Column key -> zero-based (row, col) of the cell the value came from."""
        if self._cells is None:
            row = self.row
            self._cells = {key: (row, c) for key, c in self._columns.items()}
        return self._cells

    def cell(self, key: str) -> tuple[int, int]:
        """The (row, col) of one column's cell, without building :attr:`cells`."""
        if self._cells is not None:
            return self._cells[key]
        return (self.row, self._columns[key])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RawRow):
            return NotImplemented
        return (self.row, self.values, self.cells) == (other.row, other.values, other.cells)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        return f"RawRow(row={self.row!r}, values={self.values!r}, cells={self.cells!r})"


@dataclass
class RawSheet:
    sheet: Sheet
    name: str
    """The sheet's name as spelled in the workbook."""
    headers: dict[str, str] = field(default_factory=dict)
    """Column key -> header (or form label) as written in the workbook."""
    rows: list[RawRow] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    """Keys of columns not found on the sheet."""
    header_row: int | None = None
    """Zero-based row of a table's header; None for a form or a sheet without one."""
    renamed: dict[str, int] = field(default_factory=dict)
    """Column key -> zero-based col of the renamed header it was read from."""
    guesses: dict[str, list[str]] = field(default_factory=dict)
    """Missing column key -> headers it may have been renamed to (ambiguous, not read)."""
    notes: list[tuple[int, int, str, str]] = field(default_factory=list)
    """(row, col, column key, text) of notes typed under the table: not read as rows."""
    columns: dict[str, int] = field(default_factory=dict)
    """Column key -> zero-based column where a table sheet has it."""


@dataclass
class RawWorkbook:
    path: Path
    sha256: str
    received_at: dt.datetime | None
    meta: dict[str, str] | None = None
    """The metadata sheet's key/value pairs; None when the sheet is gone."""
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True


def open_workbook(
    path: str | Path, limits: Limits | None = None, notes: list[Finding] | None = None
) -> CalamineWorkbook:
    """Open a spreadsheet file; WorkbookOpenError says why it cannot be read.

    The container check runs first (:func:`rmp_workbook.container.check_container`):
    a file it refuses never reaches python-calamine. Its warnings (macros) are added
    to ``notes``. ``limits`` default to :meth:`Limits.from_env`.
    """
    return _open_checked(path, limits, notes)[0]


def _open_checked(
    path: str | Path,
    limits: Limits | None = None,
    notes: list[Finding] | None = None,
    data: bytes | None = None,
) -> tuple[CalamineWorkbook, ContainerInfo]:
    """:func:`open_workbook`, and what the container check learnt about the file.

    ``data``: the file's bytes, already read; the check and calamine then read those.
    """
    path = Path(path)
    info = check_container(path, limits or Limits.from_env(), data)
    if not info.ok:
        first = info.errors[0]
        raise WorkbookOpenError(first.message, finding=first)
    if notes is not None:
        notes.extend(info.findings)
    try:
        if (len(data) if data is not None else path.stat().st_size) == 0:
            raise WorkbookOpenError("the file is empty")
        if data is not None:
            # Calamine picks its reader by content from bytes: the checked bytes, parsed.
            return CalamineWorkbook.from_filelike(io.BytesIO(data)), info
        if path.suffix.lower().lstrip(".") != info.kind:
            # Named for another format (an .xlsx saved as "plan.xls"): calamine picks its
            # reader by name from a path, by content from bytes (bounded by max_file_mb).
            return CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())), info
        return CalamineWorkbook.from_path(str(path)), info
    except WorkbookOpenError:
        raise
    except OSError as exc:
        raise WorkbookOpenError(exc.strerror or str(exc)) from None
    except Exception as exc:
        raise WorkbookOpenError(_open_reason(path, exc)) from None


def _open_reason(path: Path, exc: Exception) -> str:
    """Why calamine could not open a file, in words a relationship manager can act on."""
    if "Password" in type(exc).__name__:
        return "it is protected with a password; save a copy without a password"
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK"):
        return "it is a zip archive but not a spreadsheet, or a damaged one"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return "it is encrypted (protected with a password); save a copy without a password"
        return "it is an old Office file that is not a readable workbook"
    if b"\0" not in head:
        kind = (
            "a web page" if head.lstrip().lower().startswith((b"<!doctype", b"<html")) else "text"
        )
        return f"it is {kind}, not a spreadsheet; open it in Excel and save it as .xlsx"
    return f"it is not a spreadsheet (.xlsx, .xlsm, .xls or .ods): {type(exc).__name__}"


def file_identity(path: Path) -> tuple[str, dt.datetime | None]:
    """The sha256 of the file's bytes and its modification time (UTC)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    return digest.hexdigest(), mtime


def _read_once(path: Path, limits: Limits) -> tuple[bytes, dt.datetime] | None:
    """The bytes and modification time (UTC) of a regular file within ``max_file_mb``.

    Read once for the hash, the container check and calamine alike; None for anything
    else (a folder, a missing or too large file), which the container check then names.
    """
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > limits.max_file_bytes:
            return None
        with path.open("rb") as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except OSError:
        return None
    return data, dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC)


def read_raw(path: str | Path, limits: Limits | None = None) -> RawWorkbook:
    """The raw rows of the schema's sheets, and findings about the workbook's layout."""
    path = Path(path)
    limits = limits or Limits.from_env()
    once = _read_once(path, limits)
    data: bytes | None = None
    mtime: dt.datetime | None = None
    if once is not None:
        data, mtime = once
        sha = hashlib.sha256(data).hexdigest()
    else:
        try:
            sha, mtime = file_identity(path)
        except OSError:  # a folder or a missing file: open_workbook says so in words
            sha = ""
    raw = RawWorkbook(path=path, sha256=sha, received_at=mtime)
    file = str(path)
    notes: list[Finding] = []
    try:
        book, info = _open_checked(path, limits, notes, data)
    except WorkbookOpenError as exc:
        raw.readable = False
        raw.findings.append(exc.finding or NotAWorkbook(file=file, note=str(exc)))
        return raw
    try:
        names = {norm(n): n for n in reversed(book.sheet_names)}
        if norm(META_SHEET) in names:
            raw.meta = _read_meta(_rows(book, names[norm(META_SHEET)]))
        located, guesses = _locate_sheets(book.sheet_names, names)
        present = [s for s in SHEETS if s.key in located]
        if not present and raw.meta is None:
            raw.readable = False
            listed = ", ".join(s.name for s in SHEETS[:4])
            raw.findings.append(
                NotAWorkbook(file=file, note=f"it has none of the RMP sheets ({listed} …)")
            )
            return raw
        # The container check saw every worksheet: most workbooks hold no error value.
        errors = (
            _error_cells(info, path if data is None else data, [located[s.key] for s in present])
            if info.error_values is not False
            else {}
        )
        spare = _SpareBook(path)
        for sheet in SHEETS:
            if sheet.key not in located:
                version = (raw.meta or {}).get("schema_version", "")
                if added_after(sheet, version):
                    # A workbook made before a sheet existed cannot have it: not an error.
                    raw.findings.append(SheetNotInTemplate(file=file, sheet=sheet.name))
                else:
                    raw.findings.append(_missing_sheet(sheet, guesses.get(sheet.key, []), file))
                continue
            name = located[sheet.key]
            if norm(name) != norm(sheet.name):
                raw.findings.append(
                    RenamedSheet(
                        file=file, sheet=name, note=sheet.name,
                        hint=f"Rename it back to '{sheet.name}' so it is found for sure.",
                    )
                )  # fmt: skip
            grid = _rows(book, name, errors.get(name), spare)
            if sheet.kind is SheetKind.FORM:
                rs = _read_form(sheet, name, grid)
            else:
                rs = _read_table(sheet, name, grid)
            raw.sheets[sheet.key] = rs
            raw.findings.extend(_missing_findings(rs, file))
            raw.findings.extend(_layout_findings(rs, file))
    except CalamineError as exc:
        # A part the container check passed can still be broken XML deeper inside.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raw.readable = False
        raw.sheets.clear()
        raw.findings = [CorruptFile(file=file, note=f"a sheet cannot be read ({reason})")]
        return raw
    finally:
        book.close()
    _read_percent_cells(raw, info, data)
    # The reader's own macro finding names the VBA modules; the container's covers .xls.
    # The container listed every part: without macro parts there is nothing to name.
    named = macro_findings(path) if info.has_macros else []
    raw.findings.extend(named or [f for f in notes if f.code == Macros.code])
    return raw


def read_meta(path: str | Path, limits: Limits | None = None) -> dict[str, str] | None:
    """A workbook's identity (the metadata sheet's key/value pairs) without reading its rows.

    None when the workbook has no metadata sheet; WorkbookOpenError when it cannot be read.
    """
    book = open_workbook(path, limits)
    try:
        names = {norm(n): n for n in reversed(book.sheet_names)}
        if norm(META_SHEET) not in names:
            return None
        return _read_meta(_rows(book, names[norm(META_SHEET)]))
    except CalamineError as exc:
        raise WorkbookOpenError(f"{path}: a sheet cannot be read ({exc})") from None
    finally:
        book.close()


# --- Sheets ------------------------------------------------------------------------------------

_NOT_RMP_SHEETS = (GUIDE_SHEET, META_SHEET, "Problems")
"""Sheets of a template or feedback copy that never stand for a renamed data sheet."""


def _locate_sheets(
    sheet_names: list[str], names: dict[str, str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each schema sheet's name in the workbook (by sheet key), and for a sheet not found the
    workbook's sheets it may have been renamed to.

    A sheet is matched by name, forgiving case and spacing; a missing one is read from a
    renamed sheet ("Successes Dec", "KPI's") only when exactly one spare sheet stands for
    it and that sheet stands for no other missing one.
    """
    located = {s.key: names[norm(s.name)] for s in SHEETS if norm(s.name) in names}
    if len(located) == len(SHEETS):
        return located, {}
    known = {norm(s.name) for s in SHEETS} | {norm(n) for n in _NOT_RMP_SHEETS}
    spare = [n for n in sheet_names if norm(n) not in known]
    guesses = {s.key: suggest(s.name, spare) for s in SHEETS if s.key not in located}
    claims = Counter(n for found in guesses.values() for n in found)
    for key, found in guesses.items():
        if len(found) == 1 and claims[found[0]] == 1:
            located[key] = found[0]
    return located, guesses


def _missing_sheet(sheet: Sheet, guesses: list[str], file: str) -> MissingSheet:
    """``missing-sheet``, naming the renamed sheets it may be when the match is ambiguous."""
    hint = ""
    if guesses:
        hint = f"{did_you_mean(guesses)} Keep one sheet named '{sheet.name}'."
    return MissingSheet(file=file, sheet=sheet.name, hint=hint)


def _rename_columns(rs: RawSheet, header_cells: list[Any], found: dict[str, int]) -> None:
    """Missing columns read from a renamed header (``Actual (Dec)`` for Actual), in place.

    Adds column key -> col to ``found`` (and ``rs.renamed``) when exactly one unmatched
    header stands for the column and for no other missing one; the candidate headers of a
    column still missing go to ``rs.guesses``.
    """
    sheet = rs.sheet
    missing = [c for c in sheet.columns if c.key not in found]
    if not missing:
        return
    used = set(found.values())
    spare: dict[str, list[int]] = {}
    for c, value in enumerate(header_cells):
        if c not in used and isinstance(value, str) and value.strip():
            spare.setdefault(value.strip(), []).append(c)
    if not spare:
        return
    guesses = {col.key: suggest(col.header, spare) for col in missing}
    claims = Counter(h for texts in guesses.values() for h in texts)
    for key, texts in guesses.items():
        if len(texts) == 1 and claims[texts[0]] == 1 and len(spare[texts[0]]) == 1:
            found[key] = rs.renamed[key] = spare[texts[0]][0]
        elif texts:
            rs.guesses[key] = texts


class _SpareBook:
    """The workbook again with its error values taken out, opened only when needed.

    calamine refuses a whole sheet over one error value it does not know (Gnumeric saves
    a formula it cannot parse as ``#"IF(…)"``). Those cells are found in the XML anyway
    (:func:`_error_cells`) and become findings at their address; the rest of the sheet is
    read from this copy, so one bad cell never makes the workbook unreadable.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._book: CalamineWorkbook | None = None

    def sheet(self, name: str) -> list[list[Any]]:
        if self._book is None:
            self._book = CalamineWorkbook.from_filelike(io.BytesIO(_without_errors(self.path)))
        grid: list[list[Any]] = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        return grid


_ERROR_CELL = re.compile(rb'(<c\b[^>]*?)\st="e"([^>]*>)(.*?)</c>', re.S)


def _without_errors(path: Path) -> bytes:
    """An .xlsx's bytes with every error cell's type and cached value removed."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/") and b't="e"' in data:
                data = _ERROR_CELL.sub(
                    lambda m: m.group(1) + m.group(2) + _VALUE.sub(b"", m.group(3)) + b"</c>",
                    data,
                )
            dst.writestr(item, data)
    return out.getvalue()


def _rows(
    book: CalamineWorkbook,
    name: str,
    errors: dict[tuple[int, int], str] | None = None,
    spare: _SpareBook | None = None,
) -> list[list[Any]]:
    try:
        grid: list[list[Any]] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except CalamineError:
        if not errors or spare is None:  # not an error value calamine does not know
            raise
        grid = spare.sheet(name)
    for (r, c), code in (errors or {}).items():
        if r < len(grid):
            row = grid[r]
            if c >= len(row):
                row.extend([""] * (c + 1 - len(row)))
            row[c] = CellError(code)
    return grid


def _cell(grid: list[list[Any]], r: int, c: int) -> Any:
    if r < len(grid) and c < len(grid[r]):
        value = grid[r][c]
        return None if is_blank(value) else value
    return None


def _read_meta(grid: list[list[Any]]) -> dict[str, str]:
    meta: dict[str, str] = {}
    wanted = {norm(k): k for k in META_KEYS}
    for r in range(len(grid)):
        key = _cell(grid, r, 0)
        if key is not None and norm(str(key)) in wanted:
            value = _cell(grid, r, 1)
            meta[wanted[norm(str(key))]] = "" if value is None else _meta_text(value)
    return meta


def _meta_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _read_form(sheet: Sheet, name: str, grid: list[list[Any]]) -> RawSheet:
    rs = RawSheet(sheet=sheet, name=name)
    by_norm = {norm(c.header): c for c in sheet.columns} | {norm(c.key): c for c in sheet.columns}
    values: dict[str, Any] = {}
    cells: dict[str, tuple[int, int]] = {}
    for r in range(len(grid)):
        label = _cell(grid, r, FORM_LABEL_COL)
        col = by_norm.get(norm(str(label))) if label is not None else None
        if col is None or col.key in cells:
            continue
        rs.headers[col.key] = str(label).strip()
        values[col.key] = _cell(grid, r, FORM_VALUE_COL)
        cells[col.key] = (r, FORM_VALUE_COL)
    rs.missing = {c.key for c in sheet.columns if c.key not in cells}
    for col in sheet.columns:
        values.setdefault(col.key, None)
    first = min((rc[0] for rc in cells.values()), default=HEADER_ROW + 1)
    rs.rows.append(RawRow(row=first, values=values, cells=cells))
    return rs


_HEADER_MAPS: dict[int, tuple[Sheet, dict[str, str]]] = {}


def _header_map(sheet: Sheet) -> dict[str, str]:
    """Normalised header or key -> column key, built once per sheet."""
    hit = _HEADER_MAPS.get(id(sheet))
    if hit is None or hit[0] is not sheet:
        by_norm = {norm(c.header): c.key for c in sheet.columns}
        by_norm.update({norm(c.key): c.key for c in sheet.columns if norm(c.key) not in by_norm})
        hit = (sheet, by_norm)
        _HEADER_MAPS[id(sheet)] = hit
    return hit[1]


def _match_header(sheet: Sheet, row: list[Any]) -> dict[str, int]:
    by_norm = _header_map(sheet)
    found: dict[str, int] = {}
    for c, value in enumerate(row):
        if isinstance(value, str) and value.strip():
            key = by_norm.get(norm(value))
            if key is not None and key not in found:
                found[key] = c
    return found


def _read_table(sheet: Sheet, name: str, grid: list[list[Any]]) -> RawSheet:
    rs = RawSheet(sheet=sheet, name=name)
    best_row, best = HEADER_ROW, _match_header(sheet, grid[HEADER_ROW]) if grid else {}
    # A header naming every column cannot be bettered: the template's always is.
    scan = 0 if len(best) == len(sheet.columns) else min(len(grid), HEADER_SCAN_ROWS)
    for r in range(scan):
        found = _match_header(sheet, grid[r])
        if len(found) > len(best):
            best_row, best = r, found
    if not best:
        rs.missing = {c.key for c in sheet.columns}
        return rs
    header_cells = grid[best_row]
    rs.header_row, rs.columns = best_row, best
    _rename_columns(rs, header_cells, best)
    rs.headers = {key: str(header_cells[c]).strip() for key, c in best.items()}
    rs.missing = {c.key for c in sheet.columns if c.key not in best}
    inputs = [c.key for c in sheet.input_columns if c.key in best]
    fixed_key = sheet.columns[0].key if sheet.kind is SheetKind.FIXED else None
    keys = list(best)
    cols = list(best.values())
    spots = [(keys.index(k), k) for k in inputs]
    take = operator.itemgetter(*cols) if len(cols) > 1 else None
    widest = max(cols)
    absent = dict.fromkeys(rs.missing)
    first_col = min(cols)
    blank_above = False
    for r in range(best_row + 1, len(grid)):
        row = grid[r]
        if take is not None and len(row) > widest:
            cells = take(row)
        else:
            width = len(row)
            cells = tuple([row[c] if c < width else None for c in cols])
        # Whitespace-only text is blank, as is_blank says: this runs for every cell.
        cleaned = [
            None if value.__class__ is str and not value.strip() else value for value in cells
        ]
        filled = [k for i, k in spots if cleaned[i] is not None]
        if blank_above and len(filled) == 1 and best[filled[0]] == first_col:
            text = cleaned[keys.index(filled[0])]
            if isinstance(text, str) and _is_note(sheet, filled[0], text):
                rs.notes.append((r, first_col, filled[0], text))
                continue
        blank_above = not filled
        if not filled or filled == [fixed_key]:
            continue
        values = dict(zip(keys, cleaned, strict=True))
        if absent:
            values.update(absent)
        rs.rows.append(RawRow(r, values, columns=best))
    return rs


def _is_note(sheet: Sheet, key: str, value: str) -> bool:
    """True when a row holding only ``value`` in column ``key`` (after a blank row) is a note.

    A note is words (an ID such as R05 is a half-filled row, reported as such) and cannot be
    a row: another required column is blank, or on a fixed sheet it is not one of the items.
    A contact's name alone is a contact.
    """
    if len(value.split()) < 2:
        return False
    if sheet.kind is SheetKind.FIXED and key == sheet.columns[0].key:
        return norm(value) not in {norm(i) for i in sheet.fixed_rows}
    return any(c.required and c.is_input and c.key != key for c in sheet.columns)


def _layout_findings(rs: RawSheet, file: str) -> list[Finding]:
    """Renamed headers read as their column, and notes under the table left out."""
    out: list[Finding] = []
    for key, c in rs.renamed.items():
        col, header = rs.sheet.column(key), rs.headers[key]
        out.append(
            RenamedColumn(
                file=file, sheet=rs.name, row=rs.header_row, col=c, column=header, value=header,
                note=col.header, hint=f"Rename the header back to '{col.header}'.",
            )
        )  # fmt: skip
    for r, c, key, text in rs.notes:
        column = rs.headers.get(key, "")
        out.append(
            NoteUnderTable(
                file=file, sheet=rs.name, row=r, col=c, column=column,
                value=text,
                hint="Write notes in a Comment column, or delete the cell; every row under "
                "the header is read as data.",
            )
        )  # fmt: skip
    return out


def _missing_findings(rs: RawSheet, file: str) -> list[Finding]:
    """A finding per input column not on the sheet, saying what that costs and how to fix it."""
    out: list[Finding] = []
    form = rs.sheet.kind is SheetKind.FORM
    header_row = HEADER_ROW if rs.header_row is None else rs.header_row
    for col in rs.sheet.columns:
        if col.key not in rs.missing or not col.is_input:
            continue
        if form:
            put_back = (
                f"type the label '{col.header}' in column A and the value beside it, or copy "
                "the sheet from a fresh template"
            )
        else:
            put_back = (
                f"type the header '{col.header}' in row {header_row + 1} above its values, "
                "or copy the sheet from a fresh template"
            )
        # Renamed to more than one header: which one it is, else how to put it back.
        fix = _missing_column_hint(col.header, rs.guesses.get(col.key, []))
        fix = fix or f"Put it back: {put_back}."
        if col.required or col.key in rs.sheet.keys:
            rows = 0 if form else len(rs.rows)
            lost = {0: "", 1: "Its one filled row is left out until it is back. "}.get(
                rows, f"Its {rows} filled rows are left out until it is back. "
            )
            hint = f"{lost}{fix}"
            out.append(MissingColumn(file=file, sheet=rs.name, column=col.header, hint=hint,
                                     extra={"rows_left_out": rows}))  # fmt: skip
        else:
            hint = f"Its values are read as blank. {fix}"
            out.append(MissingOptionalColumn(file=file, sheet=rs.name, column=col.header,
                                             hint=hint))  # fmt: skip
    return out


def _missing_column_hint(header: str, guesses: list[str]) -> str:
    """Which renamed headers a missing column may be, when more than one could be."""
    return f"{did_you_mean(guesses)} Keep one column headed '{header}'." if guesses else ""


# --- What calamine does not tell: percentage cells, error cells and macros ---------------------

PERCENT_CANDIDATE_MAX = 10.0
"""A number cell is looked up for a percentage format only when it is at most this (1000 %):
larger ones were not typed as a percentage of a figure on the 0-100 scale."""


def _read_percent_cells(raw: RawWorkbook, info: ContainerInfo, data: bytes | None = None) -> None:
    """Read a number column's cell shown as a percentage (typed ``91%``) as 91, not 0.91.

    The Guide tells partners a percentage may be typed as 91%; Excel and LibreOffice then
    store 0.91 with a percentage format, which python-calamine does not report. Number
    columns (KPI and SLA figures, targets) hold figures on the scale of their unit, so the
    figure shown (91) is the one meant. Only sheets holding a small fraction in a number
    column are looked up (an .xlsx: only sheets using a percentage style at all), in the
    parts the container check kept, else in the file (``data``, its bytes when read).
    """
    if info.kind not in ("xlsx", "xlsm", "ods"):
        return
    sheets = [rs for rs in raw.sheets.values() if _number_keys(rs)]
    if info.kind == "ods":
        wanted = {rs.name: cells for rs in sheets if (cells := _percent_candidates(rs))}
        if not wanted:
            return
        found = _ods_percent_cells(raw.path if data is None else io.BytesIO(data), wanted)
    else:
        with _Parts(info, raw.path if data is None else data) as parts:
            found = _xlsx_percent_cells(parts, sheets)
    for rs in raw.sheets.values():
        shown = found.get(rs.name)
        if not shown:
            continue
        numbers = _number_keys(rs)
        for raw_row in rs.rows:
            for key in numbers:
                if raw_row.cells.get(key) in shown:
                    raw_row.values[key] = round(raw_row.values[key] * 100, 10)


_PERCENT_FORMAT_IDS = {9, 10}
"""Excel's built-in number formats ``0%`` and ``0.00%``."""


def _is_percent_format(code: str) -> bool:
    """True when an Excel number format shows a percentage (a ``%`` outside quotes)."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)
    return "%" in code


def _xlsx_percent_styles(styles_xml: bytes | None) -> frozenset[int]:
    """Indexes of the cell styles (``s="N"``) whose number format is a percentage."""
    if styles_xml is None:
        return frozenset()
    return _parsed_once(_parse_percent_styles, styles_xml)


_PARSED: dict[tuple[Any, ...], Any] = {}
_PARSED_KEPT = 64


def _parsed_once(parse: Callable[..., T], *parts: bytes) -> T:
    """``parse(*parts)``, remembered for those bytes: partners' workbooks come from a few
    templates and applications, so most share their styles and workbook parts byte for
    byte, and each distinct one is parsed once per process."""
    key = (parse, *parts)
    hit = _PARSED.get(key)
    if hit is None:
        if len(_PARSED) >= _PARSED_KEPT:
            _PARSED.clear()
        hit = _PARSED[key] = parse(*parts)
    return cast(T, hit)


def _parse_percent_styles(data: bytes) -> frozenset[int]:
    from defusedxml.ElementTree import fromstring

    root = fromstring(data)
    ns = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
    custom = {
        int(el.get("numFmtId", "-1")): el.get("formatCode", "") for el in root.iter(f"{ns}numFmt")
    }
    percent = _PERCENT_FORMAT_IDS | {i for i, code in custom.items() if _is_percent_format(code)}
    xfs = root.find(f"{ns}cellXfs")
    if xfs is None:
        return frozenset()
    return frozenset(
        i for i, xf in enumerate(xfs.findall(f"{ns}xf")) if int(xf.get("numFmtId", "0")) in percent
    )


def _styled_cells(data: bytes, styles: Set[int]) -> set[bytes]:
    """References (``b"H7"``) of the cells of a worksheet part whose style is one of
    ``styles``: found from the style attribute, which few cells carry (percentages are
    rare), in one pass of the regex engine, not a Python step per cell of the sheet."""
    # Most sheets use none of the styles: a plain search per style says so fastest.
    if not any(f's="{i}"'.encode() in data for i in styles):
        return set()
    # A literal start lets the regex engine skip ahead; the space before it is checked
    # per match (a look-behind would test every position of the part).
    pattern = re.compile(rb's="(?:' + b"|".join(str(i).encode() for i in sorted(styles)) + rb')"')
    found: set[bytes] = set()
    for m in pattern.finditer(data):
        if not data[m.start() - 1 : m.start()].isspace():
            continue  # the end of another attribute's name ("cs=")
        start = data.rfind(b"<", 0, m.start())  # attribute values hold no "<": the tag's start
        if data[start : start + 2] != b"<c" or not data[start + 2 : start + 3].isspace():
            continue  # a row's or another element's style
        ref = _REF_ATTR.search(data, start, data.find(b">", m.end()))
        if ref is not None:
            found.add(ref.group(1) + ref.group(2))
    return found


def _number_keys(rs: RawSheet) -> list[str]:
    return [c.key for c in rs.sheet.columns if c.type is ColType.NUMBER]


def _percent_candidates(rs: RawSheet) -> set[tuple[int, int]]:
    """The (row, col) of the sheet's number cells small enough to be a percentage's
    fraction (0.91 shown as 91%)."""
    numbers = _number_keys(rs)
    cells: set[tuple[int, int]] = set()
    for raw_row in rs.rows:
        values = raw_row.values
        for key in numbers:
            value = values.get(key)
            if value.__class__ is float and 0 < abs(value) <= PERCENT_CANDIDATE_MAX:
                cells.add(raw_row.cell(key))
    return cells


def _xlsx_percent_cells(parts: _Parts, sheets: list[RawSheet]) -> dict[str, set[tuple[int, int]]]:
    """Of the :func:`_percent_candidates` of each sheet, those whose style shows a
    percentage; a sheet none of whose cells has such a style is not gone through."""
    from rmp_workbook.cells import a1

    out: dict[str, set[tuple[int, int]]] = {}
    try:
        styles = _xlsx_percent_styles(parts.part(STYLES_PART))
        if not styles:
            return out
        for rs in sheets:
            xml = parts.sheet(rs.name)
            styled = _styled_cells(xml, styles) if xml is not None else None
            if not styled:
                continue
            hits = {(r, c) for r, c in _percent_candidates(rs) if a1(r, c).encode() in styled}
            if hits:
                out[rs.name] = hits
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        return out
    return out


class _Parts:
    """The XML parts of an .xlsx/.xlsm the reader looks into itself: those the container
    check kept inflated (:attr:`ContainerInfo.kept`), else read again from ``source``."""

    def __init__(self, info: ContainerInfo, source: Path | bytes) -> None:
        self.info = info
        self.source = source
        self._zip: zipfile.ZipFile | None = None

    def part(self, name: str) -> bytes | None:
        """The inflated part, None when the file has no such part."""
        hit = self.info.kept.get(name)
        if hit is not None:
            return hit
        if self._zip is None:
            source = self.source
            self._zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        try:
            return self._zip.read(name)
        except KeyError:
            return None

    def sheet(self, name: str) -> bytes | None:
        """The worksheet part of the sheet called ``name``."""
        part = self.info.sheet_parts.get(name)
        return None if part is None else self.part(part)

    def __enter__(self) -> _Parts:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._zip is not None:
            self._zip.close()


_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def _ods_cells(fh: Any) -> Iterator[tuple[str | None, int, int, int, Any]]:
    """Each cell of an .ods ``content.xml``: (sheet, row, first column, columns it repeats
    over, element), rows and columns zero-based, once the cell's element is complete."""
    from defusedxml.ElementTree import iterparse

    table = None
    row = col = 0
    for event, el in iterparse(fh, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag == f"{_ODS_TABLE}table":
                table, row = el.get(f"{_ODS_TABLE}name"), 0
            elif tag == f"{_ODS_TABLE}table-row":
                col = 0
            continue
        if tag == f"{_ODS_TABLE}table-row":
            row += int(el.get(f"{_ODS_TABLE}number-rows-repeated", "1"))
            el.clear()
        elif tag in (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell"):
            repeat = int(el.get(f"{_ODS_TABLE}number-columns-repeated", "1"))
            yield table, row, col, repeat, el
            col += repeat


def _ods_percent_cells(
    path: Path | io.BytesIO, wanted: dict[str, set[tuple[int, int]]]
) -> dict[str, set[tuple[int, int]]]:
    """Of the ``wanted`` cells of each sheet of an .ods, those of value type percentage."""
    out: dict[str, set[tuple[int, int]]] = {}
    try:
        with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
            for table, row, col, repeat, el in _ods_cells(fh):
                cells = wanted.get(table or "")
                if cells and el.get(f"{_ODS_OFFICE}value-type") == "percentage":
                    hits = {(row, c) for c in range(col, col + repeat)} & cells
                    out.setdefault(table or "", set()).update(hits)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        return out
    return out


_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF_ATTR = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


ErrorCells = dict[str, dict[tuple[int, int], str]]


def _error_cells(info: ContainerInfo, source: Path | bytes, sheet_names: list[str]) -> ErrorCells:
    """Cells showing an error (#DIV/0! …): calamine reads them as blank, so look in the XML."""
    if info.kind in ("xlsx", "xlsm"):
        with _Parts(info, source) as parts:
            return _xlsx_error_cells(parts, sheet_names)
    if info.kind == "ods":
        return _ods_error_cells(source if isinstance(source, Path) else io.BytesIO(source),
                                sheet_names)  # fmt: skip
    return {}


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"


def _ods_error_cells(path: Path | io.BytesIO, sheet_names: list[str]) -> ErrorCells:
    """Error cells of an .ods (``calcext:value-type="error"``), by zero-based (row, col)."""
    out: ErrorCells = {}
    wanted = set(sheet_names)
    try:
        with zipfile.ZipFile(path) as zf:
            if b'value-type="error"' not in zf.read("content.xml"):
                return {}
            with zf.open("content.xml") as fh:
                for table, row, col, _repeat, el in _ods_cells(fh):
                    if table in wanted and el.get(f"{_ODS_CALCEXT}value-type") == "error":
                        text = "".join(el.itertext()).strip() or "#ERROR"
                        out.setdefault(table, {})[(row, col)] = text
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        return out
    return out


def _xlsx_error_cells(parts: _Parts, sheet_names: list[str]) -> ErrorCells:
    """Cells holding an error value (``t="e"``) in an .xlsx/.xlsm."""
    from rmp_workbook.cells import col_index

    out: ErrorCells = {}
    try:
        for name in sheet_names:
            data = parts.sheet(name)
            if data is None or b't="e"' not in data:
                continue
            for m in _CELL.finditer(data):
                attrs = m.group(1)
                ref = _REF_ATTR.search(attrs)
                if b't="e"' not in attrs or ref is None:
                    continue
                value = _VALUE.search(m.group(2) or b"")
                code = value.group(1).decode("utf-8", "replace") if value else "#ERROR"
                rc = (int(ref.group(2)) - 1, col_index(ref.group(1).decode()))
                out.setdefault(name, {})[rc] = code
    except (zipfile.BadZipFile, KeyError, ValueError):
        return out
    return out


_VBA_STANDARD = {"vba", "dir", "_vba_project", "project", "projectwm", "projectlk", "root entry"}


def macro_findings(path: Path) -> list[Finding]:
    """A ``macros`` warning naming the VBA modules (or Basic parts) of a workbook."""
    if not zipfile.is_zipfile(path):
        return []
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            vba = [n for n in names if re.search(r"vbaProject.*\.bin$", n, re.I)]
            basic = [n for n in names if n.startswith("Basic/") and n.endswith(".xml")]
            basic = [n for n in basic if not n.endswith(("script-lc.xml", "script-lb.xml"))]
            modules = sorted({m for n in vba for m in vba_module_names(zf.read(n))})
    except (zipfile.BadZipFile, OSError, KeyError):
        return []
    if not vba and not basic:
        return []
    parts = ", ".join(vba + basic)
    note = f"modules {', '.join(modules)} in {parts}" if modules else parts
    return [Macros(file=str(path), note=note, extra={"parts": vba + basic, "modules": modules})]


def vba_module_names(data: bytes) -> list[str]:
    """Stream names in a vbaProject.bin (a compound file): the VBA modules, best effort."""
    found: list[str] = []
    for off in range(0, len(data) - 128 + 1, 128):
        entry = data[off : off + 128]
        size = int.from_bytes(entry[64:66], "little")
        if entry[66] != 2 or not 4 <= size <= 64 or size % 2:
            continue
        try:
            name = entry[: size - 2].decode("utf-16-le")
        except UnicodeDecodeError:
            continue
        if not name.isprintable() or entry[size - 2 : size] != b"\0\0":
            continue
        if name.casefold() in _VBA_STANDARD or name.startswith("__SRP_") or name[0] < " ":
            continue
        found.append(name)
    return found
