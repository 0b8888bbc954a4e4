"""The workbook a partner fills in, written with xlsxwriter from :mod:`rmp_workbook.schema`.

Nothing here restates a header: the Guide, every sheet, table, format and validation
is derived from :data:`~rmp_workbook.schema.SHEETS`. :func:`write_template` is the
one entry point; ``python -m rmp_workbook.template workbook_templates/`` regenerates
the committed blank template and example config.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from rmp_workbook import schema, textfit
from rmp_workbook.atomic import atomic_output, atomic_write_text, safe_file_name
from rmp_workbook.cells import a1, quote_sheet
from rmp_workbook.config import RelationshipConfig, example_config_text
from rmp_workbook.findings import UsageError
from rmp_workbook.formulas import compute, excel_at
from rmp_workbook.rag import BLUE, GREY, NAVY, PALE_BLUE
from rmp_workbook.schema import ColType, Column, Sheet, SheetKind
from rmp_workbook.values import fold_text, row_key

__all__ = [
    "check_period",
    "partner_file_stem",
    "partner_template_paths",
    "refuse_existing",
    "regenerate",
    "slugify",
    "template_file_name",
    "write_partner_templates",
    "write_template",
]

INPUT_ROWS = 1000
"""How many rows below a table's header validation and unlocked cells reach."""

TABLE_STYLE = "Table Style Medium 2"

TEMPLATE_GENERATED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""The fixed ``generated_at`` of the committed blank template, so it regenerates identically."""

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

PROTECTION = {
    "objects": False,
    "scenarios": False,
    "format_cells": False,
    "format_columns": True,
    "format_rows": True,
    "insert_columns": False,
    "insert_rows": True,
    "insert_hyperlinks": False,
    "delete_columns": False,
    "delete_rows": True,
    "select_locked_cells": True,
    "sort": True,
    "autofilter": True,
    "pivot_tables": False,
    "select_unlocked_cells": True,
}
"""Sheet protection without a password: it guards headers and formulas from slips, not people."""

_LOCKED_TEXT = "#404040"
_FONT_SIZE = 11
"""The workbook's font size (xlsxwriter's default, Calibri 11). Text is measured with
:mod:`rmp_workbook.textfit`'s Arial widths, a little wider than Calibri: it fits in both."""
_ONE_LINE = (ColType.TEXT, ColType.EMAIL, ColType.PHONE, ColType.CHOICE, ColType.PERIOD)
"""Column types whose cells do not wrap: a value wider than its column is cut by the next."""
_WIDEST_FITTED = 48.0
"""Pre-filled one-line text widens its column up to this width (characters), no further."""
_NUMBER_FORMATS = {
    ColType.INTEGER: "0",
    ColType.SCORE: "0",
    ColType.NUMBER: "#,##0.00",
    ColType.PERCENT: "0.0%",
    ColType.DATE: "yyyy-mm-dd",
    ColType.FORMULA: "0",
    # Text format stops Excel turning 2026-11 into a date or +44 20 into a number.
    # Long text stays General: Excel shows ### for text-format cells over 255 characters.
    ColType.TEXT: "@",
    ColType.PERIOD: "@",
    ColType.EMAIL: "@",
    ColType.PHONE: "@",
}


def check_period(value: str) -> str:
    """``value`` when it is a month written ``YYYY-MM``; UsageError otherwise."""
    text = str(value).strip()
    if not PERIOD_PATTERN.match(text):
        raise UsageError(f"period {value!r} is not a month written YYYY-MM, e.g. 2026-11")
    return text


def slugify(text: str) -> str:
    """A lower-case ASCII slug for ids and file names: ``Acme & Co`` -> ``acme-co``."""
    # Separate words first, so a dash or symbol with no ASCII form still splits them.
    words = re.sub(r"[\W_]+", "-", text)
    ascii_text = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def template_id(relationship_id: str, partner: str, period: str, generated_at: str) -> str:
    """A short stable id of one generated template (same inputs, same id)."""
    basis = "|".join((schema.SCHEMA_VERSION, relationship_id, partner, period, generated_at))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def write_template(
    path: str | os.PathLike[str],
    *,
    relationship_id: str,
    relationship_name: str,
    partner: str,
    period: str,
    config: RelationshipConfig | None = None,
    prefill: Mapping[str, Sequence[Mapping[str, object]]] | None = None,
    generated_at: dt.datetime | None = None,
) -> Path:
    """Write the workbook one partner fills in for one period; return its path.

    ``period`` is ``YYYY-MM`` (or ``""`` for a blank template). ``config`` pre-fills the
    agreed KPIs and SLA lines for the period (Actual blank) and the partner's contact.
    ``prefill`` maps a sheet key to rows (column key -> value), e.g. last month's open
    risks; a row with the same key as a config row completes it. With ``generated_at``
    the file is byte-for-byte reproducible. The file is written atomically.
    """
    if period:
        period = check_period(period)
    _check_prefill(prefill or {})
    when = generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = when.isoformat(timespec="seconds")
    identity = {
        "relationship_id": relationship_id,
        "relationship_name": relationship_name,
        "partner": partner,
        "period": period,
    }
    meta = {
        "schema_version": schema.SCHEMA_VERSION,
        **identity,
        "generated_at": stamp,
        "template_id": template_id(relationship_id, partner, period, stamp),
    }
    rows = {
        sheet.key: _initial_rows(sheet, identity, config, prefill or {}) for sheet in schema.SHEETS
    }

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, suffix=".xlsx") as tmp:
        workbook = Workbook(
            str(tmp),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        _Writer(workbook, identity, meta, config, when).write(rows)
        workbook.close()
    return target


PREFILL_NOTE = "_note"
"""A pre-filled row may carry this key: its text is written as a note on the row's Owner
cell (its first cell on a sheet without one), e.g. ``Owner left the relationship: reassign``."""


def _check_prefill(prefill: Mapping[str, Sequence[Mapping[str, object]]]) -> None:
    for key, rows in prefill.items():
        if key not in schema.SCHEMA:
            raise UsageError(
                f"prefill names no sheet {key!r}; sheets are {', '.join(schema.SCHEMA)}"
            )
        sheet = schema.SCHEMA[key]
        known = {c.key for c in sheet.columns}
        for row in rows:
            unknown = set(row) - known - {PREFILL_NOTE}
            if unknown:
                raise UsageError(
                    f"prefill for {sheet.name} has unknown columns {', '.join(sorted(unknown))}"
                )
            if sheet.kind is SheetKind.FIXED:
                item = row.get(sheet.columns[0].key)
                if item not in sheet.fixed_rows:
                    raise UsageError(f"prefill for {sheet.name}: {item!r} is not a fixed row")


def _initial_rows(
    sheet: Sheet,
    identity: Mapping[str, str],
    config: RelationshipConfig | None,
    prefill: Mapping[str, Sequence[Mapping[str, object]]],
) -> list[dict[str, object]]:
    """The rows a sheet starts with: config rows first, then prefill rows."""
    period = identity["period"]
    if sheet.kind is SheetKind.FORM:
        row: dict[str, object] = (
            dict(prefill.get(sheet.key, [{}])[0]) if prefill.get(sheet.key) else {}
        )
        row.update({k: v for k, v in identity.items() if sheet_has(sheet, k)})
        return [row]

    base: list[dict[str, object]] = []
    if config is not None and sheet.key == "kpis":
        base = [
            {
                "kpi_id": k.id,
                "kpi": k.name,
                "unit": k.unit,
                "direction": k.direction,
                "target": k.target,
                "amber": k.amber,
                "period": period,
                "owner": k.owner,
            }
            for k in config.kpis
            if config.reports_kpi(identity["partner"], k.id)
        ]
    elif config is not None and sheet.key == "sla":
        base = [
            {
                "service": s.service,
                "measure": s.measure,
                "target": s.target,
                "direction": s.direction,
                "period": period,
                "owner": s.owner,
            }
            for s in config.sla
        ]
    elif config is not None and sheet.key == "contacts":
        base = [
            {"name": p.contact, "organisation": p.name, "email": p.email, "escalation_level": 1}
            for p in config.partners
            if p.contact and fold_text(p.name) == fold_text(identity["partner"])
        ]

    for given in prefill.get(sheet.key, ()):
        extra = dict(given)
        if sheet.period and not extra.get(sheet.period):
            extra[sheet.period] = period
        key = row_key(sheet, extra)
        match = next((r for r in base if key and row_key(sheet, r) == key), None)
        if match is not None:
            # The config's agreed fields (target, amber, owner…) win over last month's values;
            # the row keeps its key as first spelt.
            match.update(
                {
                    k: v
                    for k, v in extra.items()
                    if v is not None and v != "" and match.get(k) in (None, "")
                }
            )
        else:
            base.append(extra)

    if sheet.kind is SheetKind.FIXED:
        first = sheet.columns[0].key
        by_item = {r.get(first): r for r in base}
        return [{**by_item.get(item, {}), first: item} for item in sheet.fixed_rows]
    return base


def sheet_has(sheet: Sheet, key: str) -> bool:
    return any(c.key == key for c in sheet.columns)


def _cached_value(col: Column, row: Mapping[str, object]) -> object:
    """The formula's value for a pre-filled row, so readers that do not recalculate see it."""
    value = compute(col, row)
    return "" if value is None else value


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def input_message(col: Column) -> str:
    """What the cell's pop-up says: the column help, and whether it must be filled."""
    text = col.help + (" Required." if col.required else "")
    return _clip(text, 255)


def _column_width(col: Column, rows: Sequence[Mapping[str, object]], *, bold: bool) -> float:
    """A table column's width: the schema's, widened so that its header breaks only between
    words and pre-filled one-line text (a KPI or SLA name, an owner, an e-mail) is not cut
    by the next column."""
    width = col.width
    word = textfit.longest_word(col.header, _FONT_SIZE, bold=True) + textfit.PADDING
    width = max(width, math.ceil(textfit.column_width(word) * 2) / 2)
    if col.type in _ONE_LINE:
        texts = [str(v) for r in rows if isinstance(v := r.get(col.key), str) and v]
        if texts:
            fitted = textfit.width_for(texts, _FONT_SIZE, bold=bold)
            width = max(width, min(_WIDEST_FITTED, fitted))
    return width


def _validation(col: Column, first_cell: str) -> dict[str, Any] | None:
    """xlsxwriter data-validation options for a column; ``first_cell`` anchors custom formulas."""
    c = first_cell
    opts: dict[str, Any]
    if col.type is ColType.CHOICE:
        source = list(col.choices)
        if len(",".join(source)) > 255:
            raise ValueError(f"{col.header}: choice list longer than Excel's 255 characters")
        opts = {"validate": "list", "source": source}
        error = "Please pick one of: " + ", ".join(col.choices) + "."
    elif col.type in (ColType.SCORE, ColType.INTEGER):
        lo, hi = int(col.minimum or 0), int(col.maximum if col.maximum is not None else 10**9)
        opts = {"validate": "integer", "criteria": "between", "minimum": lo, "maximum": hi}
        error = f"Please type a whole number from {lo} to {hi}."
    elif col.type is ColType.PERCENT:
        opts = {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1}
        error = "Please type a percentage from 0% to 100%, e.g. 85%."
    elif col.type is ColType.NUMBER:
        low = col.minimum if col.minimum is not None else -(10**15)
        high = col.maximum if col.maximum is not None else 10**15
        opts = {"validate": "decimal", "criteria": "between", "minimum": low, "maximum": high}
        error = "Please type a number only, without units or words, e.g. 91.5."
    elif col.type is ColType.DATE:
        opts = {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.date(2000, 1, 1),
            "maximum": dt.date(2099, 12, 31),
        }
        error = "Please type a date, e.g. 2026-11-30."
    elif col.type is ColType.PERIOD:
        # Text functions only, so Excel and LibreOffice agree; a date typed here is a number
        # of length 5 and fails, which is what we want (the period is text).
        opts = {
            "validate": "custom",
            "value": (
                f'=AND(LEN({c})=7,MID({c},5,1)="-",ISNUMBER(VALUE(LEFT({c},4))),'
                f'VALUE(LEFT({c},4))>=1900,ISNUMBER(FIND(MID({c},6,1),"01")),'
                f'ISNUMBER(FIND(MID({c},7,1),"0123456789")),'
                f"VALUE(RIGHT({c},2))>=1,VALUE(RIGHT({c},2))<=12)"
            ),
        }
        error = "Please type the month as YYYY-MM, e.g. 2026-11."
    elif col.type is ColType.EMAIL:
        opts = {
            "validate": "custom",
            "value": f'=AND(ISNUMBER(FIND("@",{c})),ISERROR(FIND(" ",{c})))',
        }
        error = "Please type one e-mail address, e.g. name@company.com."
    elif col.type in (ColType.TEXT, ColType.LONG_TEXT, ColType.PHONE):
        opts = {"validate": "length", "criteria": "<=", "value": col.max_length}
        error = f"Please keep this to {col.max_length} characters or fewer."
    else:
        return None
    opts.update(
        {
            "ignore_blank": True,
            "input_title": _clip(col.header, 32),
            "input_message": input_message(col),
            "error_type": "stop",
            "error_title": _clip(f"Check {col.header}", 32),
            "error_message": _clip(error, 255),
        }
    )
    return opts


def describe_type(col: Column) -> str:
    """The column's type in plain words, for the Guide."""
    if col.type is ColType.CHOICE:
        return "Pick from the list: " + ", ".join(col.choices) + "."
    if col.type in (ColType.SCORE, ColType.INTEGER):
        return f"Whole number from {int(col.minimum or 0)} to {int(col.maximum or 0)}."
    return {
        ColType.TEXT: "",
        ColType.LONG_TEXT: "Text; several sentences are fine.",
        ColType.NUMBER: "A number, without units.",
        ColType.PERCENT: "A percentage from 0% to 100%.",
        ColType.DATE: "A date, e.g. 2026-11-30.",
        ColType.PERIOD: "A month written YYYY-MM, e.g. 2026-11.",
        ColType.EMAIL: "An e-mail address.",
        ColType.PHONE: "A phone number with country code.",
        ColType.FORMULA: "Calculated for you; locked.",
    }[col.type]


def guide_text(col: Column) -> str:
    """A column's line on the Guide: its help, and its type only where the help does not
    already say it (no "from 0% to 100%. A percentage from 0% to 100%.")."""
    help_text, said = col.help.strip(), col.help.casefold()
    if col.type is ColType.CHOICE:
        choices = ", ".join(col.choices)
        if said.startswith("pick"):
            return f"{help_text} The list: {choices}."
        return f"{help_text} Pick from the list: {choices}."
    repeated = {
        ColType.PERCENT: "%" in said,
        # Said once for every column, in the steps: numbers, dates, long text.
        ColType.NUMBER: True,
        ColType.DATE: True,
        ColType.LONG_TEXT: True,
        ColType.PERIOD: "yyyy-mm" in said,
        ColType.EMAIL: "e-mail" in said,
        ColType.PHONE: "phone" in said,
        ColType.FORMULA: "calculated" in said,
    }.get(col.type, False)
    if col.type is ColType.FORMULA and repeated:
        return f"{help_text} Locked."
    return help_text if repeated else f"{help_text} {describe_type(col)}".strip()


def _header_footer_text(text: str, limit: int = 90) -> str:
    """Partner text for a page header: ``&`` escaped, cut so the header keeps Excel's 255."""
    escaped = text.replace("&", "&&")
    while len(escaped) > limit:
        text = text[: max(0, min(len(text) - 1, limit - 1))]
        escaped = text.replace("&", "&&") + "…"
    return escaped


class _Writer:
    """Writes one workbook; holds its formats so each is created once."""

    def __init__(
        self,
        workbook: Workbook,
        identity: Mapping[str, str],
        meta: Mapping[str, str],
        config: RelationshipConfig | None,
        when: dt.datetime,
    ) -> None:
        self.wb = workbook
        self.identity = identity
        self.meta = meta
        self.config = config
        self.when = when
        self._formats: dict[tuple[Any, ...], Format] = {}
        self.header = workbook.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": BLUE,
                "text_wrap": True,
                "valign": "vcenter",
                "border": 1,
                "border_color": "#FFFFFF",
                "locked": True,
            }
        )

    def fmt(
        self, col: Column, *, locked: bool = False, fixed: bool = False, boxed: bool = False
    ) -> Format:
        """The cell format of a column: number format by type, unlocked unless said otherwise.

        ``boxed`` draws a light border and aligns left: a form's value cell, which has no
        table around it to show where to type.
        """
        key = (col.type, locked, fixed, boxed)
        if key not in self._formats:
            props: dict[str, Any] = {"valign": "top", "locked": locked}
            if col.type in _NUMBER_FORMATS:
                props["num_format"] = _NUMBER_FORMATS[col.type]
            if col.type is ColType.LONG_TEXT:
                props["text_wrap"] = True
            if boxed:
                # A form's value wraps: its row grows to a long name instead of cutting it.
                props.update(
                    {"border": 1, "border_color": "#BFBFBF", "align": "left", "text_wrap": True}
                )
            elif col.type in (ColType.SCORE, ColType.FORMULA, ColType.PERIOD):
                props["align"] = "center"
            if locked:
                props.update({"bg_color": GREY, "font_color": _LOCKED_TEXT})
            if col.type is ColType.FORMULA:
                props["italic"] = True
            if fixed:
                props["bold"] = True
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def plain(self, **props: Any) -> Format:
        key = ("plain", *sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    # -- the workbook ------------------------------------------------------------------

    def write(self, rows: Mapping[str, list[dict[str, object]]]) -> None:
        name = self.identity["relationship_name"] or "Relationship"
        self.wb.set_properties(
            {
                "title": f"Relationship Management Plan: {name}",
                "subject": f"{self.identity['partner']} {self.identity['period']}".strip(),
                "author": "rmp",
                "company": self.identity["partner"],
                "category": "Relationship Management Plan",
                "keywords": "RMP, BS 11000, ISO 44001",
                "comments": f"Schema {schema.SCHEMA_VERSION}; template {self.meta['template_id']}.",
                # xlsxwriter writes the created date as UTC without converting it.
                "created": (
                    self.when.astimezone(dt.UTC).replace(tzinfo=None)
                    if self.when.tzinfo
                    else self.when
                ),
            }
        )
        self.guide()
        for sheet in schema.SHEETS:
            ws = self.wb.add_worksheet(sheet.name)
            if sheet.kind is SheetKind.FORM:
                self.form(ws, sheet, rows[sheet.key][0])
            else:
                self.table(ws, sheet, rows[sheet.key])
            self.print_setup(ws, sheet.name)
            ws.protect("", PROTECTION)
        self.meta_sheet()

    def print_setup(self, ws: Worksheet, title: str) -> None:
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        ws.repeat_rows(schema.HEADER_ROW)
        name = _header_footer_text(self.identity["relationship_name"] or "Relationship")
        who = _header_footer_text(
            " · ".join(x for x in (self.identity["partner"], self.identity["period"]) if x)
        )
        ws.set_header(f"&L&B{name}&C{_header_footer_text(title)}&R{who}")
        ws.set_footer("&LRelationship Management Plan&RPage &P of &N")

    # -- sheets --------------------------------------------------------------------------

    def form(self, ws: Worksheet, sheet: Sheet, values: Mapping[str, object]) -> None:
        """Label / value / help, one field per row; only the value cells are unlocked."""
        ws.set_column(schema.FORM_LABEL_COL, schema.FORM_LABEL_COL, 28)
        ws.set_column(schema.FORM_VALUE_COL, schema.FORM_VALUE_COL, 60)
        ws.set_column(schema.FORM_HELP_COL, schema.FORM_HELP_COL, 70)
        ws.set_row(0, 22)
        for col_num, text in enumerate(schema.FORM_HEADERS):
            ws.write_string(0, col_num, text, self.header)
        label = self.plain(bold=True, bg_color=GREY, valign="top", border=1, border_color="#BFBFBF")
        helpf = self.plain(
            italic=True, font_color="#595959", text_wrap=True, valign="top", font_size=9
        )
        for i, col in enumerate(sheet.columns):
            row = schema.FORM_FIRST_ROW + i
            ws.write_string(row, schema.FORM_LABEL_COL, col.header, label)
            value_fmt = self.fmt(col, boxed=True)
            self.value(ws, row, schema.FORM_VALUE_COL, col, values.get(col.key), value_fmt)
            ws.write_string(row, schema.FORM_HELP_COL, input_message(col), helpf)
            if col.type is ColType.LONG_TEXT:
                ws.set_row(row, 60)
            dv = _validation(col, a1(row, schema.FORM_VALUE_COL))
            if dv:
                ws.data_validation(row, schema.FORM_VALUE_COL, row, schema.FORM_VALUE_COL, dv)
        ws.freeze_panes(schema.FORM_FIRST_ROW, 0)

    def table(self, ws: Worksheet, sheet: Sheet, rows: list[dict[str, object]]) -> None:
        """An Excel table from the header row down, validation reaching INPUT_ROWS rows."""
        top = schema.HEADER_ROW
        first = top + 1
        fixed = sheet.kind is SheetKind.FIXED
        last_table_row = top + max(1, len(rows))
        last_input_row = last_table_row if fixed else top + INPUT_ROWS

        columns = []
        header_height = 30.0
        for j, col in enumerate(sheet.columns):
            is_fixed = fixed and j == 0
            locked = is_fixed or not col.is_input
            cell_fmt = self.fmt(col, locked=locked, fixed=is_fixed)
            # A computed column gets its formula cell by cell below, with plain references:
            # a table's calculated-column formula ([@Likelihood]) is lost by Gnumeric.
            columns.append({"header": col.header, "header_format": self.header})
            width = _column_width(col, rows, bold=is_fixed)
            header_height = max(
                header_height,
                textfit.height_for(col.header, textfit.column_points(width), _FONT_SIZE, bold=True),
            )
            # Whole-column formats guide rows added below the table without creating cells,
            # so openpyxl's ws.append still lands right under the table.
            ws.set_column(j, j, width, None if (fixed or locked) else cell_fmt)
        # As tall as the header that wraps to the most lines ("Notice period (days)").
        ws.set_row(top, header_height)
        ws.add_table(
            top,
            0,
            last_table_row,
            len(sheet.columns) - 1,
            {
                "name": sheet.table_name,
                "style": TABLE_STYLE,
                "columns": columns,
                "autofilter": True,
            },
        )
        for i, values in enumerate(rows):
            r = first + i
            for j, col in enumerate(sheet.columns):
                is_fixed = fixed and j == 0
                cell_fmt = self.fmt(col, locked=is_fixed or not col.is_input, fixed=is_fixed)
                if col.formula:
                    ws.write_formula(
                        r, j, excel_at(sheet, col, r), cell_fmt, _cached_value(col, values)
                    )
                else:
                    self.value(ws, r, j, col, values.get(col.key), cell_fmt)
            note = values.get(PREFILL_NOTE)
            if note:
                keys = [c.key for c in sheet.columns]
                at = keys.index(sheet.owner) if sheet.owner in keys else 0
                ws.write_comment(r, at, str(note), {"visible": False, "author": "rmp"})
        if not rows:
            for j, col in enumerate(sheet.columns):
                if col.formula:
                    ws.write_formula(
                        first, j, excel_at(sheet, col, first), self.fmt(col, locked=True), ""
                    )
        for j, col in enumerate(sheet.columns):
            if (fixed and j == 0) or not col.is_input:
                continue
            dv = _validation(col, a1(first, j))
            if dv:
                ws.data_validation(first, j, last_input_row, j, dv)
        ws.freeze_panes(first, 1 if fixed else 0)

    def value(
        self, ws: Worksheet, row: int, col_num: int, col: Column, value: object, cell_fmt: Format
    ) -> None:
        """One value written with the type its column expects."""
        if value is None or value == "":
            ws.write_blank(row, col_num, None, cell_fmt)
        elif isinstance(value, bool):
            if col.choices == schema.YES_NO:
                ws.write_string(row, col_num, "Yes" if value else "No", cell_fmt)
            else:
                ws.write_boolean(row, col_num, value, cell_fmt)
        elif isinstance(value, dt.datetime | dt.date):
            ws.write_datetime(row, col_num, value, cell_fmt)
        elif isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                ws.write_blank(row, col_num, None, cell_fmt)
            else:
                ws.write_number(row, col_num, value, cell_fmt)
        else:
            text = str(value)
            if col.type is ColType.DATE:
                try:
                    ws.write_datetime(row, col_num, dt.date.fromisoformat(text[:10]), cell_fmt)
                    return
                except ValueError:
                    pass
            ws.write_string(row, col_num, text, cell_fmt)

    def guide(self) -> None:
        """The first sheet: what the RMP is and how to fill every sheet, from the schema."""
        ws = self.wb.add_worksheet(schema.GUIDE_SHEET)
        ws.hide_gridlines(2)
        ws.set_column(0, 0, 2)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 2, 100)
        text_points = textfit.column_points(100)  # column C, where the paragraphs wrap
        label_points = textfit.column_points(30)  # column B, the bold labels

        banner = self.plain(
            bold=True,
            font_size=18,
            font_color="#FFFFFF",
            bg_color=NAVY,
            valign="vcenter",
            indent=1,
        )
        sub = self.plain(font_size=11, font_color="#FFFFFF", bg_color=NAVY, valign="top", indent=1)
        heading = self.plain(
            bold=True, font_size=13, font_color=NAVY, bottom=2, bottom_color=NAVY, valign="bottom"
        )
        sheet_heading = self.plain(
            bold=True, font_size=11, font_color=NAVY, bg_color=PALE_BLUE, valign="vcenter"
        )
        link = self.plain(
            bold=True,
            font_size=11,
            font_color="#0563C1",
            bg_color=PALE_BLUE,
            underline=1,
            valign="vcenter",
        )
        body = self.plain(text_wrap=True, valign="top")
        label = self.plain(bold=True, valign="top", text_wrap=True)
        required = self.plain(bold=True, valign="top", text_wrap=True, font_color="#C00000")

        name = self.identity["relationship_name"] or "your relationship"
        row = 0

        def para(text: str, fmt: Format = body, lbl: str = "", lbl_fmt: Format = label) -> None:
            nonlocal row
            if lbl:
                ws.write_string(row, 1, lbl, lbl_fmt)
            ws.write_string(row, 2, text, fmt)
            # Lines as the words wrap, measured: a row stored this high never cuts its text.
            lines = max(
                len(textfit.wrap(text, text_points, _FONT_SIZE)),
                len(textfit.wrap(lbl, label_points, _FONT_SIZE, bold=True)) if lbl else 1,
            )
            ws.set_row(row, 15 * lines + 3)
            row += 1

        def head(text: str) -> None:
            nonlocal row
            row += 1
            ws.merge_range(row, 1, row, 2, text, heading)
            ws.set_row(row, 22)
            row += 1

        title = f"Relationship Management Plan — {name}"
        # The title on one line at 18 pt, else at 16 pt; a longer one wraps, never cut.
        indent = 7.5  # points of the banner's one-level indent
        room = textfit.column_points(2) + label_points + text_points - 2 * textfit.PADDING - indent
        size = next((z for z in (18, 16) if textfit.text_width(title, z, bold=True) <= room), 16)
        lines = len(textfit.wrap(title, room, size, bold=True))
        if size != 18 or lines > 1:
            banner = self.plain(
                bold=True, font_size=size, font_color="#FFFFFF", bg_color=NAVY,
                valign="vcenter", indent=1, text_wrap=lines > 1,
            )  # fmt: skip
        ws.merge_range(row, 0, row, 2, title, banner)
        ws.set_row(row, max(36, size * textfit.LINE * lines + 12))
        row += 1
        due = self.due_date()
        who = ", ".join(
            x
            for x in (
                self.identity["partner"] and f"for {self.identity['partner']}",
                self.identity["period"] and f"period {self.identity['period']}",
                due and f"due back {due:%A} {due.isoformat()}",
                f"schema {schema.SCHEMA_VERSION}",
            )
            if x
        )
        ws.merge_range(row, 0, row, 2, f"Monthly workbook {who}", sub)
        ws.set_row(row, 20)
        row += 1

        head("What this workbook is")
        para(
            "The Relationship Management Plan (RMP) is how the partners of a collaborative "
            "business relationship (BS 11000 / ISO 44001) agree, run and review the way they "
            "work together: who is involved, the objectives, the KPIs and service levels, the "
            "joint risks, what slows things down, what went well and the joint action plan."
        )
        para(
            "Each partner fills in this workbook every month. The relationship manager checks "
            "the returned workbooks, asks for corrections by sheet and cell, and combines every "
            "partner's answers into one dashboard for the executives."
        )

        head("How to fill it in")
        steps = [
            "Start with the Relationship sheet: check the pre-filled identity, then type your "
            "name and today's date.",
            "Go through the sheets in order (tabs at the bottom). Click a cell to see what "
            "belongs there; cells with a drop-down arrow only accept the listed values.",
            "Add rows directly under a table. Type each item on its own row; do not merge cells.",
            "Type numbers without units (91.5, not 91.5 days; a percentage may be typed as "
            "91%) and dates as 2026-11-30. Text cells take several sentences where needed.",
            "Leave a cell empty when you do not know; never type 'n/a' or '-' in number or "
            "date cells.",
            "Do not rename sheets, change headers or move columns: the relationship manager's "
            "tools find your answers by sheet name and header.",
            "Save the file as .xlsx and send it back "
            + (f"by {due:%A} {due.isoformat()}." if due else "before the monthly deadline."),
        ]
        for n, step in enumerate(steps, 1):
            para(step, lbl=f"Step {n}")

        head("Colour legend")
        any_input = schema.Column("x", "x", ColType.TEXT, "")
        calc = schema.Column("x", "x", ColType.FORMULA, "")
        ws.write_string(row, 1, "Header", self.header)
        para("Column headers and field names. Locked: do not change them.")
        ws.write_string(row, 1, "Type here", self.fmt(any_input, boxed=True))
        para(
            "Input cells: white or banded cells in the tables, and the Value column on the "
            "Relationship sheet. They are unlocked; a message tells you what belongs there."
        )
        ws.write_string(row, 1, "Filled for you", self.fmt(any_input, locked=True, fixed=True))
        para("Fixed items (stages, behaviours) written for you. Locked.")
        ws.write_string(row, 1, "Calculated", self.fmt(calc, locked=True))
        para("Calculated cells, such as the risk Score. Locked: they update themselves.")
        para(
            "The sheets are protected without a password only to prevent accidental changes to "
            "headers and formulas; you can still sort, filter, insert rows and resize columns.",
        )

        head("The sheets")
        para(
            "Every sheet and column, with what belongs there. Columns in red are required: "
            "a row with any of them blank is sent back."
        )
        for sheet in schema.SHEETS:
            row += 1
            ws.write_url(row, 1, f"internal:{quote_sheet(sheet.name)}!A1", link, string=sheet.name)
            ws.write_string(row, 2, sheet.help, sheet_heading)
            ws.set_row(row, 20)
            row += 1
            if sheet.kind is SheetKind.FIXED:
                para(
                    f"One row per {sheet.columns[0].header.lower()}, already listed: "
                    + ", ".join(sheet.fixed_rows)
                    + "."
                )
            for col in sheet.columns:
                text = guide_text(col)
                if col.required:
                    para(text + " Required.", lbl=col.header, lbl_fmt=required)
                else:
                    para(text, lbl=col.header)

        head("Who to ask")
        manager = self.config.manager if self.config else None
        if manager is not None:
            reach = ", ".join(x for x in (manager.email, manager.phone) if x)
            para(
                f"{manager.name}{f' ({reach})' if reach else ''} checks the returned workbooks: "
                "ask them about anything in this workbook.",
                lbl="Relationship manager",
            )
        else:
            para("Questions about this workbook go to the relationship manager who sent it to you.")
        partners = [p for p in (self.config.partners if self.config else []) if p.contact]
        for p in partners:
            para(" ".join(x for x in (p.contact, p.email and f"<{p.email}>") if x), lbl=p.name)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_footer("&LRelationship Management Plan&RPage &P of &N")
        ws.protect("", PROTECTION)
        ws.activate()

    def due_date(self) -> dt.date | None:
        """When this month's workbook is due back, from the config's due day; None without."""
        period = self.identity["period"]
        due_date = getattr(self.config, "due_date", None)  # the config's ``due``, when set
        if not period or due_date is None:
            return None
        day = due_date(period)
        return day if isinstance(day, dt.date) else None

    def meta_sheet(self) -> None:
        ws = self.wb.add_worksheet(schema.META_SHEET)
        ws.set_column(0, 0, 20)
        ws.set_column(1, 1, 40)
        for i, key in enumerate(schema.META_KEYS):
            ws.write_string(i, 0, key)
            ws.write_string(i, 1, str(self.meta.get(key, "")))
        ws.protect("", PROTECTION)
        ws.very_hidden()


FILE_STEM_MAX = 80
"""Longest partner slug in a template's file name."""


def template_file_name(partner: str, period: str) -> str:
    """``Northwind Ltd``, ``2026-11`` -> ``northwind-ltd-2026-11.xlsx`` (safe on every system).

    Partner text never escapes the folder (no ``/``, ``..``, ``:``), never names a
    Windows device (``CON``, ``nul``) and the name stays well under file-system limits,
    temporary-file prefix included.
    """
    stem = partner_file_stem(partner)
    return safe_file_name(f"{stem}-{period}.xlsx" if period else f"{stem}.xlsx")


def partner_file_stem(partner: str) -> str:
    """The part of every per-partner output file name that comes from the partner's name."""
    return slugify(partner)[:FILE_STEM_MAX].rstrip("-") or "partner"


def partner_template_paths(
    folder: str | os.PathLike[str], config: RelationshipConfig, period: str
) -> list[Path]:
    """Where :func:`write_partner_templates` writes each partner's workbook, in config order."""
    out = Path(folder)
    paths: list[Path] = []
    taken: set[str] = set()
    # Partners who left before the month, or join after it, get no workbook for it.
    for partner in config.members(period):
        name = template_file_name(partner.name, period)
        stem, n = name.removesuffix(".xlsx"), 2
        while name in taken:
            name, n = f"{stem}-{n}.xlsx", n + 1
        taken.add(name)
        paths.append(out / name)
    return paths


def refuse_existing(paths: Sequence[Path]) -> None:
    """UsageError naming the outputs that already exist: a filled workbook is never replaced
    silently (the CLI's ``--force`` skips this check)."""
    existing = [p for p in paths if p.exists()]
    if not existing:
        return
    shown = ", ".join(str(p) for p in existing[:3])
    more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
    verb = "exists" if len(existing) == 1 else "exist"
    raise UsageError(
        f"{shown}{more} already {verb} and may hold a partner's answers; "
        "nothing was written. Pass --force to replace, or choose another -o"
    )


def write_partner_templates(
    folder: str | os.PathLike[str],
    config: RelationshipConfig,
    period: str,
    *,
    prefill: Mapping[str, Mapping[str, Sequence[Mapping[str, object]]]] | None = None,
    generated_at: dt.datetime | None = None,
    overwrite: bool = True,
) -> list[Path]:
    """One workbook per partner of ``config`` into ``folder``; return the paths in config order.

    ``prefill`` maps a partner name to that partner's prefill (see :func:`write_template`).
    With ``overwrite`` False nothing is written when any of the workbooks already exists
    (UsageError naming them).
    """
    if not config.partners:
        raise UsageError("the config lists no partners: add [[relationship.partners]] entries")
    period = check_period(period)
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; with --all, -o names a folder")
    paths = partner_template_paths(out, config, period)
    if not overwrite:
        refuse_existing(paths)
    written: list[Path] = []
    for partner, path in zip(config.members(period), paths, strict=True):
        written.append(
            write_template(
                path,
                relationship_id=config.id,
                relationship_name=config.name,
                partner=partner.name,
                period=period,
                config=config,
                prefill=(prefill or {}).get(partner.name),
                generated_at=generated_at,
            )
        )
    return written


def regenerate(folder: str | os.PathLike[str]) -> list[Path]:
    """Write the committed blank template and example config into ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "rmp.toml"
    atomic_write_text(config_path, example_config_text())
    xlsx = write_template(
        out / "rmp-template.xlsx",
        relationship_id="",
        relationship_name="",
        partner="",
        period="",
        generated_at=TEMPLATE_GENERATED_AT,
    )
    return [xlsx, config_path]


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m rmp_workbook.template DIR``: regenerate the committed templates."""
    args = list(sys.argv[1:] if argv is None else argv)
    folder = args[0] if args else "workbook_templates"
    for written in regenerate(folder):
        print(written)


if __name__ == "__main__":
    main()
