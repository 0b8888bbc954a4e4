"""Typing rows into a template the way a person does, with openpyxl.

The Relationship form is filled by label, fixed sheets by their first-column item,
list sheets by header into the table and then below it. ``messy`` pastes some
numbers as text (``"1,250.00"``, ``"91%"``) and leaves a row or two outside the
table. Files are saved reproducibly (fixed zip and document times).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rmp_workbook.atomic import atomic_output
from rmp_workbook.sample.story import UTC, Style
from rmp_workbook.schema import (
    FORM_FIRST_ROW,
    FORM_LABEL_COL,
    FORM_VALUE_COL,
    HEADER_ROW,
    META_SHEET,
    RELATIONSHIP,
    SCHEMA,
    ColType,
    Column,
    Sheet,
    SheetKind,
)

# ---------------------------------------------------------------------------
# Filling a template as a person would
# ---------------------------------------------------------------------------

_INERT_LEADS = ("=", "+", "-", "@")
"""A cell starting with one of these is typed with a leading apostrophe: text, not a formula."""


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().rstrip("*").strip().casefold()


def _key_text(value: object) -> str:
    """A key value as the template and the reader compare it (trimmed, case-blind)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip().lower()


def _number_text(value: float) -> str:
    """A number as someone pastes it from an e-mail: ``1,250.00`` or ``2.4``.

    Never ``1,250``: that reads two ways and is refused (``ambiguous-number``).
    """
    if abs(value) >= 1000:
        return f"{value:,.2f}"
    return f"{value:g}"


class _Typist:
    """Puts values into cells the way a person does; ``messy`` pastes some as text."""

    def __init__(self, style: Style, rng: random.Random) -> None:
        if style not in ("tidy", "messy"):
            raise ValueError(f"style must be 'tidy' or 'messy', got {style!r}")
        self.messy = style == "messy"
        self.rng = rng

    def _chance(self, p: float) -> bool:
        return self.messy and self.rng.random() < p

    def put(self, cell: Any, value: object, col: Column, *, unit: str = "") -> None:
        if value is None or value == "":
            cell.value = None
            return
        if cell.value not in (None, "") and _key_text(cell.value) == _key_text(value):
            return  # pre-filled by the template: left as it is
        if isinstance(value, dt.datetime | dt.date):
            cell.value = value  # typed as a date: Excel stores a serial with the column's format
            return
        if isinstance(value, bool):
            cell.value = "Yes" if value else "No"
            return
        if isinstance(value, int | float):
            if col.type is ColType.PERCENT and self._chance(0.3):
                self._text(cell, f"{value * 100:g}%")
            elif col.key == "actual" and unit == "%" and self._chance(0.35):
                self._text(cell, f"{value:g}%")
            elif col.type in (ColType.NUMBER, ColType.INTEGER) and self._chance(0.15):
                self._text(cell, _number_text(float(value)))
            else:
                cell.value = value
            return
        self._text(cell, str(value))

    @staticmethod
    def _text(cell: Any, text: str) -> None:
        cell.value = text
        if text.startswith(_INERT_LEADS):
            # What Excel stores for '=HYPERLINK(…): a string with the quote prefix, never a formula.
            cell.data_type = "s"
            cell.quotePrefix = True


def _header_map(ws: Any, sheet: Sheet) -> dict[str, int]:
    """Column key -> 1-based column index, found by header text on the header row."""
    found = {
        _norm(c.value): c.column
        for c in ws[HEADER_ROW + 1]
        if c.value is not None and str(c.value).strip()
    }
    out = {}
    for col in sheet.columns:
        if _norm(col.header) in found:
            out[col.key] = found[_norm(col.header)]
    return out


def _table(ws: Any, sheet: Sheet) -> Any:
    tables = ws.tables
    if sheet.table_name in tables:
        return tables[sheet.table_name]
    return next(iter(tables.values()), None)


def _split_ref(ref: str) -> tuple[str, int, str, int]:
    m = re.fullmatch(r"([A-Z]+)(\d+):([A-Z]+)(\d+)", ref)
    if not m:
        raise ValueError(f"not a table range: {ref!r}")
    return m.group(1), int(m.group(2)), m.group(3), int(m.group(4))


def _a1_formula(sheet: Sheet, col: Column, cols: Mapping[str, int], row: int) -> str:
    """The calculated column's formula in plain A1 form, as a person types it below a table."""
    from openpyxl.utils import get_column_letter

    assert col.formula is not None
    keys = list(dict.fromkeys(re.findall(r"\{(\w+)\}", col.formula)))
    cell = {k: f"{get_column_letter(cols[k])}{row}" for k in keys}
    expr = re.sub(r"\{(\w+)\}", lambda m: cell[m.group(1)], col.formula)
    blanks = ",".join(f'{cell[k]}=""' for k in keys)
    return f'=IF(OR({blanks}),"",{expr})'


def _fill_form(ws: Any, values: Mapping[str, Any], typist: _Typist) -> None:
    rows = {
        _norm(ws.cell(r, FORM_LABEL_COL + 1).value): r
        for r in range(FORM_FIRST_ROW + 1, ws.max_row + 1)
    }
    for col in RELATIONSHIP.columns:
        if col.key not in values:
            continue
        r = rows.get(_norm(col.header))
        if r is None:
            raise ValueError(f"{ws.title}: no field labelled {col.header!r}")
        cell = ws.cell(r, FORM_VALUE_COL + 1)
        typist.put(cell, values[col.key], col)


def _fill_fixed(ws: Any, sheet: Sheet, rows: Sequence[Mapping[str, Any]], typist: _Typist) -> None:
    cols = _header_map(ws, sheet)
    first = sheet.columns[0]
    where = {
        _norm(ws.cell(r, cols[first.key]).value): r
        for r in range(HEADER_ROW + 2, ws.max_row + 1)
        if ws.cell(r, cols[first.key]).value
    }
    for row in rows:
        r = where.get(_norm(row.get(first.key)))
        if r is None:
            raise ValueError(f"{sheet.name}: no row for {row.get(first.key)!r}")
        for col in sheet.input_columns[1:]:
            if col.key in row and col.key in cols:
                typist.put(ws.cell(r, cols[col.key]), row[col.key], col)


def _fill_list(
    ws: Any, sheet: Sheet, rows: Sequence[Mapping[str, Any]], typist: _Typist, rng: random.Random
) -> None:
    from copy import copy

    cols = _header_map(ws, sheet)
    missing = [c.header for c in sheet.columns if c.key not in cols]
    if missing:
        raise ValueError(f"{sheet.name}: no column headed {', '.join(missing)}")
    table = _table(ws, sheet)
    if table is None:
        first_col, top, last_col, last = "A", HEADER_ROW + 1, "A", HEADER_ROW + 2
    else:
        first_col, top, last_col, last = _split_ref(table.ref)
    inputs = [c for c in sheet.columns if c.is_input]
    style_row = top + 1

    def blank(r: int) -> bool:
        return all(ws.cell(r, cols[c.key]).value in (None, "") for c in inputs)

    def key_of(values: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(_key_text(values.get(k)) for k in sheet.keys)

    existing: dict[tuple[str, ...], int] = {}
    for r in range(top + 1, last + 1):
        if not blank(r):
            existing.setdefault(tuple(_key_text(ws.cell(r, cols[k]).value) for k in sheet.keys), r)
    used: set[int] = set()
    free = [r for r in range(top + 1, last + 1) if blank(r)]
    next_row = last + 1
    placed: list[int] = []
    for row in rows:
        match = existing.get(key_of(row)) if sheet.keys else None
        if match is not None and match not in used:
            r = match
        elif free:
            r = free.pop(0)
        else:
            r, next_row = next_row, next_row + 1
        used.add(r)
        placed.append(r)
        fresh = r > last
        for col in sheet.columns:
            cell = ws.cell(r, cols[col.key])
            if fresh:
                cell._style = copy(ws.cell(style_row, cols[col.key])._style)
            if not col.is_input:
                # The template's calculated column stays; a new row gets the formula typed in.
                if fresh or cell.value in (None, ""):
                    cell.value = _a1_formula(sheet, col, cols, r)
                continue
            if col.key in row:
                typist.put(cell, row[col.key], col, unit=str(row.get("unit") or ""))
    # Rows the template offered but this person does not need are deleted.
    for r in range(top + 1, last + 1):
        if r not in used and not blank(r):
            for col in inputs:
                ws.cell(r, cols[col.key]).value = None
    if table is None:
        return
    appended = [r for r in placed if r > last]
    new_last = max([last, *appended])
    if appended and typist.messy and len(appended) >= 2 and rng.random() < 0.5:
        # Pasted below the table: Excel does not stretch the table over pasted rows.
        new_last = max(last, appended[-1] - rng.choice((1, 2)))
    ref = f"{first_col}{top}:{last_col}{new_last}"
    table.ref = ref
    if table.autoFilter is not None:
        table.autoFilter.ref = ref


def _patch_meta(wb: Any, meta: Mapping[str, object]) -> None:
    ws = wb[META_SHEET]
    rows = {str(ws.cell(r, 1).value or ""): r for r in range(1, ws.max_row + 1)}
    for key, value in meta.items():
        r = rows.get(key)
        if r is None:
            r = ws.max_row + 1
            ws.cell(r, 1).value = key
        ws.cell(r, 2).value = str(value)


_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def _save_frozen(wb: Any, path: Path, saved_at: dt.datetime) -> None:
    """Save so the same content gives the same bytes: fixed zip times and document times."""
    buf = io.BytesIO()
    wb.save(buf)
    stamp = saved_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, suffix=".xlsx") as tmp:
        tmp.write_bytes(out.getvalue())


def fill_workbook(
    template_path: str | os.PathLike[str] | io.BytesIO,
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    out_path: str | os.PathLike[str],
    *,
    relationship: Mapping[str, Any] | None = None,
    style: Style = "tidy",
    seed: int | str = 0,
    saved_at: dt.datetime | None = None,
    saved_by: str = "",
    meta: Mapping[str, object] | None = None,
) -> Path:
    """Type ``rows`` (sheet key -> rows of column key -> value) into a template; return the path.

    The Relationship form is filled by label, fixed sheets by their first-column item,
    list sheets by header into the table's rows, then below it (the table grows over
    the new rows, except, in the ``messy`` style, a row or two pasted under it). A
    row whose key matches a pre-filled row completes that row. ``messy`` also pastes
    some numbers as text (``"1,250.00"``, ``"91%"``). Text starting with ``=`` stays
    text. ``seed`` and ``saved_at`` make the file reproducible byte for byte.
    ``meta`` overwrites values of the hidden metadata sheet (for bulk copies).
    """
    import openpyxl

    out = Path(out_path)
    rng = random.Random(f"{seed}|{out.name}")
    typist = _Typist(style, rng)
    wb = openpyxl.load_workbook(template_path)
    if relationship:
        _fill_form(wb[RELATIONSHIP.name], relationship, typist)
    for key, sheet_rows in rows.items():
        sheet = SCHEMA[key]
        if sheet.kind is SheetKind.FORM:
            if sheet_rows:
                _fill_form(wb[sheet.name], sheet_rows[0], typist)
        elif sheet.kind is SheetKind.FIXED:
            _fill_fixed(wb[sheet.name], sheet, sheet_rows, typist)
        else:
            _fill_list(wb[sheet.name], sheet, sheet_rows, typist, rng)
    if meta:
        _patch_meta(wb, meta)
    when = (saved_at or dt.datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    wb.properties.modified = when
    if saved_by:
        wb.properties.lastModifiedBy = saved_by
    _save_frozen(wb, out, saved_at or dt.datetime.now(UTC))
    return out
