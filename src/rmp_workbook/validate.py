"""Typed records and findings from raw rows; a report over many files.

:func:`validate_raw` turns a :class:`~rmp_workbook.read.RawWorkbook` into a
:class:`~rmp_workbook.records.Submission`: each row is validated by its sheet's
pydantic model (:mod:`rmp_workbook.rows`), each problem becomes a finding at
its exact cell, rows with errors are left out of ``records``. :func:`validate_paths`
checks files and folders and returns a :class:`Report`.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import os
import re
import signal
import sys
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from rmp_workbook.container import Limits, check_file_count
from rmp_workbook.findings import (
    AmbiguousNumber,
    DecimalComma,
    DuplicateKey,
    Finding,
    FormulaErrorFinding,
    GuessedPercent,
    Incomplete,
    InternalError,
    MetaMismatch,
    NotInList,
    OutOfRange,
    Required,
    Severity,
    SkippedFile,
    StatusContradictsProgress,
    TypeErrorFinding,
    WrongCalculation,
    WrongPeriod,
    WrongRelationship,
)
from rmp_workbook.formulas import compute
from rmp_workbook.formulas import computed as computed_columns
from rmp_workbook.formulas import inputs as formula_inputs
from rmp_workbook.read import WORKBOOK_SUFFIXES, CellError, RawRow, RawSheet, RawWorkbook
from rmp_workbook.records import Record, Submission, SubmissionMeta, WithFindings
from rmp_workbook.rows import fast_row, row_model
from rmp_workbook.schema import HEADER_ROW, RELATIONSHIP, ColType, Column, SheetKind
from rmp_workbook.suggest import did_you_mean, suggest
from rmp_workbook.values import (
    RowKey,
    is_blank,
    is_percent_unit,
    key_string,
    key_text,
    norm,
    row_keyer,
    to_number,
    to_period,
    to_text,
)

_ERROR_TEXT = re.compile(
    r"^(#NULL!|#DIV/0!|#VALUE!|#REF!|#NAME\?|#NUM!|#N/A|#GETTING_DATA|#SPILL!|#CALC!|"
    r"#FIELD!|#BLOCKED!|#UNKNOWN!|Err:\d{3})$",
    re.I,
)

_CODE_CLASSES: dict[str, type[Finding]] = {
    "type-error": TypeErrorFinding,
    "ambiguous-number": AmbiguousNumber,
    "out-of-range": OutOfRange,
    "not-in-list": NotInList,
    "required": Required,
    # pydantic's own codes for the schema's constraints
    "greater_than_equal": OutOfRange,
    "less_than_equal": OutOfRange,
    "greater_than": OutOfRange,
    "less_than": OutOfRange,
    "string_too_long": OutOfRange,
    "literal_error": NotInList,
    "missing": Required,
}

IDENTITY_FIELDS = ("relationship_id", "relationship_name", "partner")


def is_error_value(value: Any) -> bool:
    """True for a spreadsheet error: an error cell, or its text (#REF!, LibreOffice Err:502)."""
    if type(value) is str:
        # Every error text holds '#' or ':': most text skips the pattern.
        return ("#" in value or ":" in value) and bool(_ERROR_TEXT.match(value.strip()))
    return isinstance(value, CellError)


# --- One workbook -------------------------------------------------------------------------------


KpiRanges = Mapping[str, tuple[float | None, float | None]]
"""KPI ID -> (min, max) agreed for its Actual (:meth:`RelationshipConfig.kpi_ranges`)."""


def validate_raw(
    raw: RawWorkbook, *, relationship_id: str | None = None, ranges: KpiRanges | None = None
) -> Submission:
    """The Submission of a raw workbook: identity, typed records and every finding.

    ``ranges`` are the config's KPI ranges: an Actual outside its KPI's is an error."""
    file = str(raw.path)
    findings = list(raw.findings)
    sub = Submission(
        path=file, sha256=raw.sha256, meta=SubmissionMeta(), findings=findings,
        received_at=raw.received_at,
    )  # fmt: skip
    if not raw.readable:
        return sub
    form = raw.sheets.get(RELATIONSHIP.key)
    form_values: dict[str, Any] = {}
    if form is not None:
        records, found = validate_sheet(form, file=file)
        findings.extend(found)
        form_values = records[0].values if records else _loose_form(form)
        if records:
            sub.records[RELATIONSHIP.key] = records
    sub.meta = _identify(raw, form, form_values, findings)
    if relationship_id is not None and norm(sub.meta.relationship_id) != norm(relationship_id):
        r, c = _form_cell(form, "relationship_id")
        findings.append(
            WrongRelationship(
                file=file, sheet=form.name if form else RELATIONSHIP.name, row=r, col=c,
                column=RELATIONSHIP.column("relationship_id").header,
                value=sub.meta.relationship_id, note=relationship_id,
            )
        )  # fmt: skip
    for key, rs in raw.sheets.items():
        if key == RELATIONSHIP.key:
            continue
        records, found = validate_sheet(
            rs, file=file, period=sub.meta.period or None, ranges=ranges
        )
        findings.extend(found)
        sub.records[key] = records
    findings.extend(_incomplete(raw, file))
    return sub


@dataclass(frozen=True)
class _Expected:
    """Something every monthly workbook should hold, and what the warning says is missing."""

    sheet: str
    column: str
    note: str
    hint: str
    only_with_rows: bool = False
    """A table with no rows at all is fine (no SLA agreed); only filled rows must have it."""


EXPECTED: tuple[_Expected, ...] = (
    _Expected("relationship", "prepared_by", "Prepared by is blank", "Type your name."),
    _Expected("relationship", "prepared_on", "Prepared on is blank",
              "Type the date you completed this workbook."),
    _Expected("sla", "actual", "No service level has its Actual yet",
              "Type the level achieved in the period on each row.", only_with_rows=True),
    _Expected("stages", "status", "No life-cycle stage has a Status yet",
              "Pick where each stage stands (Not started, In progress, Complete …)."),
    _Expected("health", "score", "No behaviour has a Score yet",
              "Score each behaviour from 1 (poor) to 5 (excellent)."),
)  # fmt: skip
"""What makes a readable workbook ``incomplete`` (a warning naming each missing thing)."""


def _incomplete(raw: RawWorkbook, file: str) -> list[Finding]:
    """An ``incomplete`` warning for each expected thing that is blank throughout."""
    out: list[Finding] = []
    for want in EXPECTED:
        rs = raw.sheets.get(want.sheet)
        if rs is None or want.column in rs.missing:
            continue  # missing-sheet or a missing column already says so
        rows = rs.rows
        if want.only_with_rows and not rows:
            continue
        if any(not is_blank(r.values.get(want.column)) for r in rows):
            continue
        col = rs.sheet.column(want.column)
        if rows:
            r, c = rows[0].cells.get(want.column, (rows[0].row, None))
        else:  # nothing filled: point at the first row under the header
            top = HEADER_ROW if rs.header_row is None else rs.header_row
            r, c = top + 1, rs.columns.get(want.column)
        out.append(
            Incomplete(file=file, sheet=rs.name, row=r, col=c,
                       column=rs.headers.get(col.key, col.header), note=want.note,
                       hint=want.hint)
        )  # fmt: skip
    return out


def _loose_form(form: RawSheet) -> dict[str, Any]:
    """The identity fields of a form that failed validation, read as plain text."""
    values = form.rows[0].values if form.rows else {}
    out: dict[str, Any] = {k: to_text(values.get(k)) for k in IDENTITY_FIELDS}
    try:
        out["period"] = to_period(values.get("period"))
    except PydanticCustomError:
        out["period"] = None
    return out


def _form_cell(form: RawSheet | None, key: str) -> tuple[int | None, int | None]:
    if form is None or not form.rows or key not in form.rows[0].cells:
        return None, None
    return form.rows[0].cells[key]


def _identify(
    raw: RawWorkbook, form: RawSheet | None, form_values: dict[str, Any], findings: list[Finding]
) -> SubmissionMeta:
    """The identity from the metadata sheet, falling back to the Relationship form."""
    meta = SubmissionMeta()
    hidden = raw.meta or {}
    for key in ("schema_version", "generated_at", "template_id"):
        setattr(meta, key, hidden.get(key, ""))
    file = str(raw.path)
    for key in (*IDENTITY_FIELDS, "period"):
        from_form = form_values.get(key) or ""
        from_meta = hidden.get(key, "")
        if key == "period" and from_meta:
            with contextlib.suppress(PydanticCustomError):
                from_meta = to_period(from_meta) or ""
        setattr(meta, key, from_meta or from_form)
        if from_meta and from_form and norm(from_meta) != norm(from_form):
            r, c = _form_cell(form, key)
            cls = WrongPeriod if key == "period" else MetaMismatch
            col = RELATIONSHIP.column(key).header
            sheet = form.name if form else RELATIONSHIP.name
            if cls is WrongPeriod:
                note = f"disagrees with the period {from_meta} this workbook was generated for"
                hint = f"Set {col} back to {from_meta}, or ask for the {from_form} workbook."
            else:
                note, hint = from_meta, ""
            findings.append(
                cls(file=file, sheet=sheet, row=r, col=c, column=col, value=from_form,
                    note=note, hint=hint)
            )  # fmt: skip
    return meta


# --- One sheet ---------------------------------------------------------------------------------


def validate_sheet(
    rs: RawSheet, *, file: str = "", period: str | None = None, ranges: KpiRanges | None = None
) -> tuple[list[Record], list[Finding]]:
    """Typed records (rows without errors) and findings of one raw sheet."""
    sheet = rs.sheet
    model = row_model(sheet.key)
    quick = fast_row(sheet.key)
    records: list[Record] = []
    findings: list[Finding] = []
    seen: dict[RowKey, int] = {}
    # A missing column is reported once for the sheet, not on every row.
    missing = [c.key for c in sheet.columns if c.key in rs.missing]
    computed = [c.key for c in sheet.columns if not c.is_input and c.key not in rs.missing]
    inputs = [(c.key, c) for c in sheet.columns if c.is_input and c.key not in rs.missing]
    blank = dict.fromkeys(missing + computed)  # computed ones are recomputed from the inputs
    formulas = [c for c in computed_columns(sheet) if c.key not in rs.missing]
    checks = sheet.kind is SheetKind.FIXED or bool(sheet.period and period) or sheet.key == "kpis"
    # The config's KPI ranges, by the KPI's row key: k01 meets the range agreed for K01.
    kpi_ranges = {key_text(k): r for k, r in (ranges or {}).items()}
    keyer = row_keyer(sheet)
    for raw_row in rs.rows:
        row_findings: list[Finding] = []
        values = {**raw_row.values, **blank}
        failed: set[str] = set(missing)
        for key, col in inputs:
            value = values.get(key)
            # Per input cell: only text (or an error cell) holding '#' or ':' can be one.
            if not isinstance(value, str) or not (
                ("#" in value or ":" in value) and is_error_value(value)
            ):
                continue
            values[key] = None
            failed.add(key)
            row_findings.append(_at(FormulaErrorFinding, rs, raw_row, col, file, value))
        context: dict[str, Any] = {}
        typed: dict[str, Any] = {}
        fast = quick(values, context)
        if fast is not None:
            typed = fast
        else:
            context = {}
            typed = _model_typed(model, values, context, rs, raw_row, file, failed, row_findings)
        for code, key, found, used, shown in context.get("notes", ()):
            row_findings.append(_noted(code, rs, raw_row, sheet.column(key), file, found,
                                       used, shown))  # fmt: skip
        if not typed:
            findings.extend(row_findings)
            continue
        for col in formulas:
            typed[col.key] = compute(col, typed)
            shown = raw_row.values.get(col.key)
            if shown is not None and not _shows(shown, typed[col.key]):
                row_findings.append(_miscalculated(rs, raw_row, col, file, shown, typed))
        if checks:
            row_findings.extend(_cross_checks(rs, raw_row, typed, file, period, kpi_ranges))
        if row_findings:
            findings.extend(row_findings)
            if any(f.severity is Severity.ERROR for f in row_findings):
                continue
        found_key = keyer(typed)
        if found_key is not None and found_key in seen:
            first = sheet.keys[0] if typed.get(sheet.keys[0]) is not None else sheet.alt_keys[0]
            col = sheet.column(first)
            findings.append(
                _at(DuplicateKey, rs, raw_row, col, file, raw_row.values.get(first),
                    note=f"first on row {seen[found_key] + 1}",
                    hint="Give each row its own key, or delete the repeated row.")
            )  # fmt: skip
            continue
        if found_key is not None:
            seen[found_key] = raw_row.row
        records.append(
            Record(sheet=sheet.key, row=raw_row.row, values=typed, key=key_string(found_key))
        )
    return records, findings


_NOTED: dict[str, type[Finding]] = {
    "guessed-percent": GuessedPercent,
    "decimal-comma": DecimalComma,
}


def _noted(
    code: str, rs: RawSheet, raw_row: RawRow, col: Column, file: str, found: Any, used: Any,
    shown: str,
) -> Finding:  # fmt: skip
    """The warning for what a coercion interpreted (:func:`rmp_workbook.values.note`)."""
    if code == "decimal-comma":
        hint = f"Type it as {shown} (with a decimal point) to remove this warning."
    else:
        hint = f"Type it as {shown} to remove this warning."
    return _at(_NOTED[code], rs, raw_row, col, file, found, note=shown, hint=hint,
               extra={"used": used})  # fmt: skip


def _model_typed(
    model: Any,
    values: dict[str, Any],
    context: dict[str, Any],
    rs: RawSheet,
    raw_row: RawRow,
    file: str,
    failed: set[str],
    row_findings: list[Finding],
) -> dict[str, Any]:
    """The row through its pydantic model: typed values, or {} with a finding per bad cell."""
    sheet = rs.sheet
    try:
        return dict(model.model_validate(values, context=context).model_dump())
    except PydanticValidationError as exc:
        for err in exc.errors():
            key = str(err["loc"][0])
            if key in failed:
                continue
            failed.add(key)
            col = sheet.column(key)
            cls = _CODE_CLASSES.get(err["type"], TypeErrorFinding)
            hint = _hint(err, col)
            if cls is NotInList:
                hint = _choice_hint(col, raw_row.values.get(key), hint)
            row_findings.append(
                _at(cls, rs, raw_row, col, file, raw_row.values.get(key),
                    note=_note(err, col), hint=hint)
            )  # fmt: skip
    return {}


def _at(
    cls: type[Finding], rs: RawSheet, raw_row: RawRow, col: Column, file: str, value: Any,
    **kw: Any,
) -> Finding:  # fmt: skip
    r, c = raw_row.cells.get(col.key, (raw_row.row, None))
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # calamine reads every number as a float; show 7, not 7.0
    return cls(
        file=file, sheet=rs.name, row=r, col=c, column=rs.headers.get(col.key, col.header),
        value=value, **kw,
    )  # fmt: skip


def _note(err: Any, col: Column) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _range_text(col)
    if kind == "string_too_long":
        return f"at most {col.max_length} characters"
    if "hint" in ctx:
        return str(err["msg"])
    return str(err["msg"])


def _range_text(col: Column) -> str:
    lo, hi = col.minimum, col.maximum
    if col.type is ColType.PERCENT:
        return "from 0% to 100%"
    show = {v: int(v) if v is not None and float(v).is_integer() else v for v in (lo, hi)}
    if lo is not None and hi is not None:
        return f"from {show[lo]} to {show[hi]}"
    return f"at least {show[lo]}" if lo is not None else f"at most {show[hi]}"


def _hint(err: Any, col: Column) -> str:
    ctx = err.get("ctx") or {}
    if "hint" in ctx:
        return str(ctx["hint"])
    if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return col.help  # the column's help says what the numbers mean
    if err["type"] == "literal_error":
        return f"Pick one of: {', '.join(col.choices)}."
    return col.help


def _choice_hint(col: Column, value: Any, hint: str) -> str:
    """A drop-down's hint, led by the choice the typo most likely meant ("Compelte")."""
    if not col.choices or value is None:
        return hint
    return f"{did_you_mean(suggest(str(value), col.choices))} {hint}".strip()


def _shows(shown: Any, value: Any) -> bool:
    """Whether a computed cell shows the value rmp computes (blank when it computes none)."""
    if is_error_value(shown):
        return False
    try:
        number = to_number(shown)
    except PydanticCustomError:
        return False
    if number is None or value is None:
        return number is None and value is None
    return abs(number - value) <= 1e-9 * max(1.0, abs(value))


def _miscalculated(
    rs: RawSheet, raw_row: RawRow, col: Column, file: str, shown: Any, typed: dict[str, Any]
) -> Finding:
    """A calculated cell that shows something else than its formula gives: rmp uses its own."""
    value = typed[col.key]
    names = " and ".join(rs.sheet.column(k).header for k in formula_inputs(col))
    if value is None:
        note = f"it should be blank until {names} are filled in"
    else:
        note = f"{names} give {value:g}; rmp uses {value:g}"
    if is_error_value(shown) and not _ERROR_TEXT.match(str(shown).strip()):
        shown = CellError("#ERROR")  # an application's own error text (Gnumeric: #"IF(…)")
    return _at(WrongCalculation, rs, raw_row, col, file, shown, note=note,
               hint=f"Nothing else to do: {col.header} is calculated for you. To see it in the "
               "sheet, copy the cell from a row where it shows right.")  # fmt: skip


def _cross_checks(
    rs: RawSheet, raw_row: RawRow, typed: dict[str, Any], file: str, period: str | None,
    ranges: dict[str, tuple[float | None, float | None]],
) -> list[Finding]:  # fmt: skip
    """Checks across cells of a row: fixed items, periods after the workbook's, KPI percents."""
    sheet = rs.sheet
    out: list[Finding] = []
    if sheet.kind is SheetKind.FIXED:
        first = sheet.columns[0]
        item = typed.get(first.key)
        canon = _fixed_items(sheet.fixed_rows)
        if item is not None and norm(item) in canon:
            typed[first.key] = canon[norm(item)]
        elif item is not None:
            guess = did_you_mean(suggest(str(item), sheet.fixed_rows))
            out.append(
                _at(NotInList, rs, raw_row, first, file, raw_row.values.get(first.key),
                    hint=f"{guess} Keep the pre-filled {first.header.lower()}s: ".lstrip()
                    + f"{', '.join(sheet.fixed_rows)}.")
            )  # fmt: skip
    if sheet.period and period:
        value = typed.get(sheet.period)
        if value is not None and value > period:
            col = sheet.column(sheet.period)
            out.append(
                _at(WrongPeriod, rs, raw_row, col, file, raw_row.values.get(col.key),
                    note=f"is after this workbook's period {period}",
                    hint=f"Report figures up to {period} only; future months go in next "
                    "month's workbook.")
            )  # fmt: skip
    if sheet.key == "kpis":
        out.extend(_guess_kpi_percent(rs, raw_row, typed, file, ranges))
    if sheet.key == "stages":
        out.extend(_stage_contradictions(rs, raw_row, typed, file))
    return out


def _stage_contradictions(
    rs: RawSheet, raw_row: RawRow, typed: dict[str, Any], file: str
) -> list[Finding]:
    """A stage 'Not started' with progress above 0 %, or 'Complete' below 100 %."""
    status, progress = typed.get("status"), typed.get("progress")
    if progress is None or status not in ("Not started", "Complete"):
        return []
    if status == "Not started" and progress > 0:
        hint = "Set Status to In progress, or Progress % to 0%."
    elif status == "Complete" and progress < 1:
        hint = "Set Progress % to 100%, or Status to In progress."
    else:
        return []
    return [
        _at(StatusContradictsProgress, rs, raw_row, rs.sheet.column("progress"), file,
            f"{progress:.0%}", note=status, hint=hint)
    ]  # fmt: skip


@functools.cache
def _fixed_items(items: tuple[str, ...]) -> dict[str, str]:
    return {norm(i): i for i in items}


def _guess_kpi_percent(
    rs: RawSheet, raw_row: RawRow, typed: dict[str, Any], file: str,
    ranges: dict[str, tuple[float | None, float | None]],
) -> list[Finding]:  # fmt: skip
    """A % KPI given as a fraction (0.91) while its target is on the 0-100 scale (95);
    then an Actual outside its KPI's range is an error (never a figure in the ledger): the
    config's min/max for the KPI, else 0-100 for a % KPI."""
    actual, target = typed.get("actual"), typed.get("target")
    if actual is None:
        return []
    found = raw_row.values.get("actual")
    out: list[Finding] = []
    percent = is_percent_unit(typed.get("unit"))
    if percent and target is not None and 0 < abs(actual) <= 1 < abs(target) <= 100:
        col = rs.sheet.column("actual")
        actual = typed["actual"] = round(actual * 100, 10)
        out.append(
            _at(GuessedPercent, rs, raw_row, col, file, found, note=f"{actual:g}%",
                hint=f"The target is {target:g} (%), so type {actual:g} to remove this "
                "warning.", extra={"used": actual})
        )  # fmt: skip
    agreed = ranges.get(key_text(typed.get("kpi_id"))) if ranges else None
    if agreed is not None:
        lo, hi = agreed
        if (lo is not None and actual < lo) or (hi is not None and actual > hi):
            col = rs.sheet.column("actual")
            if lo is not None and hi is not None:
                span = f"from {lo:g} to {hi:g}"
            else:
                span = f"at least {lo:g}" if lo is not None else f"at most {hi:g}"
            out.append(
                _at(OutOfRange, rs, raw_row, col, file, found,
                    note=f"{span}, as agreed for this KPI in the relationship config",
                    hint="Check the figure; if it is right, ask the relationship manager to "
                    "widen the KPI's range.")
            )  # fmt: skip
    elif percent and not 0 <= actual <= 100:
        col = rs.sheet.column("actual")
        out.append(
            _at(OutOfRange, rs, raw_row, col, file, found,
                note="from 0 to 100, the KPI's unit is %",
                hint="Type the percentage as a number from 0 to 100, e.g. 93.5.")
        )  # fmt: skip
    return out


# --- Many files --------------------------------------------------------------------------------

_LOCK = re.compile(r"^(~\$.*|\.~lock\..*#|\.~rmp-.*|\..+\.tmp\.xlsx)$")
"""Office lock files, and the temporary files an interrupted rmp run can leave behind."""


@dataclass
class FileResult(WithFindings):
    """What validating one input file gave."""

    path: str
    submission: Submission | None = None
    findings: list[Finding] = field(default_factory=list)
    skipped: bool = False
    readable: bool = True
    """False when the file could not be read as an RMP workbook at all (exit code 2)."""

    @property
    def valid(self) -> bool:
        return not self.skipped and not self.errors

    @property
    def fatal(self) -> bool:
        """The file is not a readable RMP workbook (or rmp failed on it)."""
        return not self.skipped and not self.readable

    def to_dict(self) -> dict[str, Any]:
        meta = self.submission.meta if self.submission else None
        return {
            "path": self.path,
            "skipped": self.skipped,
            "relationship_id": meta.relationship_id if meta else "",
            "partner": meta.partner if meta else "",
            "period": meta.period if meta else "",
            "sha256": self.submission.sha256 if self.submission else "",
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "records": self.submission.record_counts() if self.submission else {},
            "problems": [f.to_dict() for f in self.findings],
        }


@dataclass
class Report:
    """Per-file results of a validation run; ``flatten`` turns findings into rows."""

    files: list[FileResult] = field(default_factory=list)
    no_input: list[str] = field(default_factory=list)
    """Paths given that held no workbook at all (a folder of other files, a missing path)."""

    @property
    def checked(self) -> list[FileResult]:
        return [f for f in self.files if not f.skipped]

    @property
    def valid(self) -> bool:
        return all(f.valid for f in self.checked)

    @property
    def submissions(self) -> list[Submission]:
        return [f.submission for f in self.checked if f.submission is not None]

    @property
    def findings(self) -> list[Finding]:
        return [x for f in self.files for x in f.findings]

    def flatten(self, fields: Sequence[str] = ("sheet", "cell", "code")) -> list[tuple[Any, ...]]:
        """One tuple per finding of the chosen fields (any key of ``Finding.to_dict``)."""
        return [tuple(f.to_dict()[k] for k in fields) for f in self.findings]

    @property
    def exit_code(self) -> int:
        """0 all valid (warnings allowed), 1 a file has errors, 2 unreadable input or misuse."""
        if self.no_input or not self.checked or any(f.fatal for f in self.checked):
            return 2
        return 0 if self.valid else 1

    def summary(self) -> dict[str, Any]:
        return {
            "files": len(self.checked),
            "valid": sum(f.valid for f in self.checked),
            "invalid": sum(not f.valid for f in self.checked),
            "unreadable": sum(f.fatal for f in self.checked),
            "skipped": sum(f.skipped for f in self.files),
            "errors": sum(len(f.errors) for f in self.checked),
            "warnings": sum(len(f.warnings) for f in self.files),
            "no_input": list(self.no_input),
            "exit_code": self.exit_code,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files], "summary": self.summary()}


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, bool]], list[str]]:
    """([(file, skip?)] in order, paths with nothing to check); folders sorted by name, flat."""
    files: list[tuple[Path, bool]] = []
    empty: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = False
            for child in sorted(path.iterdir(), key=lambda p: p.name):
                if not child.is_file():
                    # A folder named like a workbook is listed with its reason, not lost.
                    if child.is_dir() and child.suffix.lower() in WORKBOOK_SUFFIXES:
                        files.append((child, False))
                        found = True
                    continue
                skip = (
                    bool(_LOCK.match(child.name)) or child.suffix.lower() not in WORKBOOK_SUFFIXES
                )
                files.append((child, skip))
                found = found or not skip
            if not found:
                empty.append(str(path))
        elif path.is_file() and _LOCK.match(path.name):
            files.append((path, True))
            empty.append(str(path))
        elif path.is_file():
            files.append((path, False))
        else:
            empty.append(str(path))
    return files, empty


def _skip_reason(path: Path) -> str:
    if path.name.startswith((".~rmp-",)) or path.name.endswith(".tmp.xlsx"):
        return f"{path.name} is a temporary file an interrupted rmp run left; delete it"
    if _LOCK.match(path.name):
        return f"{path.name} is an office lock file (the workbook is open somewhere)"
    return f"{path.name} is not a spreadsheet (.xlsx, .xlsm, .xls, .ods)"


def read_workbook(
    path: str | Path,
    *,
    relationship_id: str | None = None,
    limits: Limits | None = None,
    ranges: KpiRanges | None = None,
) -> Submission:
    """Read and validate one workbook: typed records, findings, identity, sha256, mtime."""
    from rmp_workbook.read import read_raw

    return validate_raw(read_raw(path, limits), relationship_id=relationship_id, ranges=ranges)


def validate_file(
    path: str | Path,
    *,
    relationship_id: str | None = None,
    limits: Limits | None = None,
    ranges: KpiRanges | None = None,
) -> FileResult:
    """Validate one file; an unexpected failure becomes an ``internal-error`` finding."""
    from rmp_workbook.read import read_raw

    try:
        raw = read_raw(path, limits)
        sub = validate_raw(raw, relationship_id=relationship_id, ranges=ranges)
    except Exception as exc:  # one bad file must not stop the run
        reason = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        finding = InternalError(file=str(path), note=reason)
        return FileResult(str(path), findings=[finding], readable=False)
    return FileResult(str(path), submission=sub, findings=sub.findings, readable=raw.readable)


PARALLEL_FROM = 20
"""Automatic ``jobs`` reads in parallel from this many workbooks: below it, starting
processes costs more than it saves."""


def auto_jobs(files: int) -> int:
    """Processes to read ``files`` workbooks with: one per CPU (at most 8) from
    :data:`PARALLEL_FROM` files, else 1."""
    if files < PARALLEL_FROM:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, 8))


def validate_paths(
    paths: Iterable[str | Path],
    *,
    relationship_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    jobs: int | None = 1,
    limits: Limits | None = None,
    each: Callable[[FileResult], None] | None = None,
    keep_records: bool = True,
    ranges: KpiRanges | None = None,
) -> Report:
    """Validate workbooks and folders of workbooks (sorted by name), reporting skipped files.

    ``progress`` is called with each file's path as it is done; ``jobs`` > 1 reads
    files in that many processes (results keep the input order), None picks
    :func:`auto_jobs` for the number of files. ``limits`` bound
    what is read (default: :meth:`Limits.from_env`); more than ``max_files``
    workbooks raise :class:`~rmp_workbook.container.TooManyFiles`.

    ``each`` is called with every result in input order as soon as it is ready (a merge
    records it in the ledger then); with ``keep_records`` False the records are then
    dropped (:meth:`Submission.release`), so memory does not grow with the files.

    ``ranges`` (:meth:`RelationshipConfig.kpi_ranges`) refuse a KPI Actual outside the
    min/max agreed for its KPI.
    """
    limits = limits or Limits.from_env()
    files, empty = expand_paths(paths)
    check_file_count(sum(not skip for _, skip in files), limits)
    report = Report(no_input=empty)
    todo = [p for p, skip in files if not skip]
    if jobs is None:
        jobs = auto_jobs(len(todo))

    def finish(result: FileResult) -> None:
        if each is not None:
            each(result)
        if not keep_records and result.submission is not None:
            result.submission.release()
        report.files.append(result)
        if progress and not result.skipped:
            progress(result.path)

    results = _results(todo, jobs, relationship_id, limits, ranges)
    try:
        for path, skip in files:
            if skip:
                finding = SkippedFile(file=str(path), note=_skip_reason(path))
                finish(FileResult(str(path), findings=[finding], skipped=True))
            else:
                finish(next(results))
    finally:
        results.close()  # a failing ``each`` stops the workers too
    return report


def _end_with_parent(parent: int | None) -> None:
    """In a worker: end when the run that started it ends, even by ``kill -9``.

    A merge reads while it holds the ledger's write lock; a worker left behind by a killed
    run would keep its output pipes open and read on for nobody.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:  # the run ended before that took effect
        os._exit(1)


def _results(
    todo: Sequence[Path],
    jobs: int,
    relationship_id: str | None,
    limits: Limits,
    ranges: KpiRanges | None = None,
) -> Generator[FileResult, None, None]:
    """Each file's result in order; with ``jobs`` > 1 read ahead in worker processes, a
    few files per worker at most, so finished results never pile up unread."""
    if jobs <= 1 or len(todo) <= 1:
        for path in todo:
            yield validate_file(path, relationship_id=relationship_id, limits=limits, ranges=ranges)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    def start(path: Path) -> Future[FileResult]:
        return pool.submit(
            validate_file, path, relationship_id=relationship_id, limits=limits, ranges=ranges
        )

    import multiprocessing

    # A forkserver's workers are its children, not this process's.
    parent = os.getpid() if multiprocessing.get_start_method() in ("fork", "spawn") else None
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_end_with_parent, initargs=(parent,)
    ) as pool:
        queued = iter(todo)
        pending = collections.deque(start(p) for p in itertools.islice(queued, jobs * 4))
        try:
            while pending:
                result = pending.popleft().result()
                pending.extend(start(p) for p in itertools.islice(queued, 1))
                yield result
        finally:
            for future in pending:
                future.cancel()
