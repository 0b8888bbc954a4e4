"""Findings (problems found in a workbook) as data, and the exception tree for failures.

A finding is a value: one class per kind with a stable kebab-case ``code``, a
title, a description and a message template. Each instance knows where it is
(file, sheet, cell) and the value found. Failures that stop a run are
exceptions under :class:`RmpError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from rmp_workbook.cells import a1, quote_sheet


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass
class Finding:
    """Base class of every finding. Subclasses set the class variables."""

    code: ClassVar[str] = "finding"
    title: ClassVar[str] = "Finding"
    description: ClassVar[str] = "A problem found in a workbook."
    template: ClassVar[str] = "{note}"
    severity: ClassVar[Severity] = Severity.ERROR

    file: str = ""
    sheet: str = ""
    row: int | None = None
    """Zero-based row index, None when the finding is not about one cell."""
    col: int | None = None
    """Zero-based column index."""
    column: str = ""
    """The column header (or form label) the cell belongs to."""
    value: Any = None
    note: str = ""
    hint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    registry: ClassVar[dict[str, type[Finding]]] = {}
    """Every finding class by code: the docs' catalogue is generated from it."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code in Finding.registry and Finding.registry[cls.code] is not cls:
            raise TypeError(f"finding code {cls.code!r} is used twice")
        Finding.registry[cls.code] = cls

    @property
    def cell(self) -> str:
        """The A1 address, or '' when the finding is not about one cell."""
        if self.row is None or self.col is None:
            return ""
        return a1(self.row, self.col)

    @property
    def ref(self) -> str:
        """``Sheet!A1``, the sheet alone, or ''."""
        if self.cell:
            return f"{quote_sheet(self.sheet)}!{self.cell}"
        return self.sheet

    @property
    def message(self) -> str:
        fields = {
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "column": self.column,
            "value": self.value,
            "note": self.note,
            **self.extra,
        }
        text = self.template.format(**fields)
        return f"{text} {self.hint}".strip() if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "ref": self.ref,
            "column": self.column,
            "row": None if self.row is None else self.row + 1,
            "value": _jsonable(self.value),
            "message": self.message,
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


class RmpError(Exception):
    """Base of every failure that stops an rmp run; the CLI turns it into one line."""

    exit_code = 2


class ConfigError(RmpError):
    """A relationship config file is missing, unreadable or inconsistent."""


class UsageError(RmpError):
    """A command was called with arguments that cannot work."""


class LedgerError(RmpError):
    """The ledger cannot be opened, migrated or written (nothing was changed)."""


class LedgerBusy(LedgerError):
    """Another run holds the ledger's write lock for longer than the wait allowed."""


class PeriodClosed(RmpError):
    """A month published with ``rmp close`` cannot be closed again with new figures: they
    change only through an accepted restatement (``rmp restatement accept``)."""

    exit_code = 1


class OutputError(RmpError):
    """An output file or folder cannot be written (read-only, a folder, a full disk)."""


class MailError(RmpError):
    """The SMTP server cannot be reached, refuses the connection or the log-in."""


# --- Findings about a partner's workbook (reader and validator) -------------------------------
#
# ``fatal`` marks findings that mean the input is not a readable RMP workbook at all
# (``rmp validate`` exits 2 for them, 1 for any other error).


class NotAWorkbook(Finding):
    code = "not-a-workbook"
    title = "Not a workbook"
    description = (
        "The file cannot be opened as a spreadsheet (.xlsx, .xlsm, .xls, .ods), or it is a "
        "spreadsheet with none of the RMP sheets."
    )
    template = "This file is not an RMP workbook: {note}."
    fatal: ClassVar[bool] = True


class InternalError(Finding):
    code = "internal-error"
    title = "Internal error"
    description = "rmp failed unexpectedly on this file; the message says where. Please report it."
    template = "internal error reading {file}: {note}"
    fatal: ClassVar[bool] = True


class SkippedFile(Finding):
    code = "skipped-file"
    title = "Skipped file"
    description = (
        "A file in a folder that is not a workbook to check: an office lock file "
        "(``~$name.xlsx``, ``.~lock.name.xlsx#``) or a file that is not a spreadsheet."
    )
    template = "Skipped: {note}."
    severity = Severity.WARNING


class MissingSheet(Finding):
    code = "missing-sheet"
    title = "Missing sheet"
    description = "A sheet of the template is not in the workbook (deleted or renamed)."
    template = "The sheet '{sheet}' is missing."


class SheetNotInTemplate(Finding):
    code = "sheet-not-in-template"
    title = "Sheet newer than the workbook"
    description = (
        "A sheet added to the template after this workbook was generated is not in it: the "
        "workbook is read without it. Next month's template has the sheet."
    )
    template = (
        "The sheet '{sheet}' is not in this workbook (it was generated before the sheet was "
        "added); nothing is read for it this time."
    )
    severity = Severity.WARNING


class MissingColumn(Finding):
    code = "missing-column"
    title = "Missing column"
    description = (
        "A required column (or form field) is not on its sheet: its header was deleted or "
        "renamed, so none of its values can be read. Every filled row of that sheet is left "
        "out (the message counts them) until the column is put back."
    )
    template = "The column '{column}' is missing from the sheet '{sheet}'."


class MissingOptionalColumn(Finding):
    code = "missing-optional-column"
    title = "Missing optional column"
    description = "An optional column (or form field) is not on its sheet; its values are blank."
    template = "The optional column '{column}' is missing from the sheet '{sheet}'."
    severity = Severity.WARNING


class RenamedSheet(Finding):
    code = "renamed-sheet"
    title = "Renamed sheet"
    description = (
        "A sheet of the template is missing but one other sheet plainly stands for it "
        '("Successes Dec", "KPI\'s"); it was read as that sheet.'
    )
    template = "The sheet '{sheet}' was read as the sheet '{note}'."
    severity = Severity.WARNING


class RenamedColumn(Finding):
    code = "renamed-column"
    title = "Renamed column"
    description = (
        "A column's header is missing but one other header plainly stands for it "
        '("Actual (Dec)" for Actual); its values were read as that column.'
    )
    template = "The column '{value}' on the sheet '{sheet}' was read as '{note}'."
    severity = Severity.WARNING


class NoteUnderTable(Finding):
    code = "note-under-table"
    title = "Note under a table ignored"
    description = (
        "A single text cell typed below a table after a blank row: a note, not a row. It is "
        "not read as data (a row with one cell would only be reported as incomplete)."
    )
    template = "{column}: the note {value!r} under the table was ignored."
    severity = Severity.WARNING


class StatusContradictsProgress(Finding):
    code = "status-contradicts-progress"
    title = "Status contradicts progress"
    description = (
        "A stage's Status and Progress % disagree: 'Not started' with progress above 0%, or "
        "'Complete' with progress below 100%. Both values are kept as typed."
    )
    template = "{column}: {value!r} contradicts the status '{note}'."
    severity = Severity.WARNING


class TypeErrorFinding(Finding):
    code = "type-error"
    title = "Wrong type of value"
    description = "A cell holds a value of the wrong kind: text where a number or date belongs."
    template = "{column}: {value!r} is not {note}."


class OutOfRange(Finding):
    code = "out-of-range"
    title = "Out of range"
    description = "A number outside its allowed range, or a text longer than allowed."
    template = "{column}: {value!r} is out of range ({note})."


class NotInList(Finding):
    code = "not-in-list"
    title = "Not in the list"
    description = "A cell holds a value that is not one of the column's allowed values."
    template = "{column}: {value!r} is not one of the allowed values."


class Required(Finding):
    code = "required"
    title = "Required value missing"
    description = "A required cell of a filled row (or a required form field) is blank."
    template = "{column} is required but blank."


class DuplicateKey(Finding):
    code = "duplicate-key"
    title = "Duplicate row"
    description = (
        "Two rows of a sheet have the same key (e.g. two risks R01, or KPI K01 twice for one "
        "period); the later row is left out."
    )
    template = "{column} {value!r} appears twice on this sheet ({note})."


class WrongRelationship(Finding):
    code = "wrong-relationship"
    title = "Wrong relationship"
    description = "The workbook belongs to another relationship than the one being checked."
    template = "This workbook is for relationship {value!r}, not {note!r}."


class WrongPeriod(Finding):
    code = "wrong-period"
    title = "Wrong period"
    description = (
        "A row reports a period after the workbook's reporting period, the Relationship "
        "sheet's period disagrees with the period the workbook was generated for, or the "
        "workbook is for another month than the one being merged or checked (``--period``): "
        "such a workbook is not merged and changes nothing in the ledger."
    )
    template = "{column}: {value!r} {note}."


class KpiNotAgreed(Finding):
    code = "kpi-not-agreed"
    title = "KPI not agreed"
    description = (
        "With a relationship config, a KPI ID the config does not list: its figure is "
        "reconciled and shown, but it is not an agreed KPI and is not put in other "
        "partners' workbooks."
    )
    template = (
        "{column}: {value!r} is not a KPI agreed in the config; add it to "
        "[[relationship.kpis]] in rmp.toml, or use the agreed KPI ID."
    )
    severity = Severity.WARNING


class UnknownPartner(Finding):
    code = "unknown-partner"
    title = "Not a partner"
    description = (
        "With a config, the workbook comes from an organisation that is not one of the "
        "relationship's partners for its period (never listed, not yet joined, or already "
        "left). It is not merged."
    )
    template = "{column}: {value!r} {note}."


class AmbiguousResubmission(Finding):
    code = "ambiguous-resubmission"
    title = "Two versions, no way to tell which is newer"
    description = (
        "A merge was given two different workbooks from one partner for one period with the "
        "same 'Prepared on' date and the same file time, so neither can be taken as the "
        "newer one. Neither is merged; remove the wrong one and merge again."
    )
    template = "{note}."


class FormulaErrorFinding(Finding):
    code = "formula-error"
    title = "Formula error"
    description = "A cell shows a spreadsheet error such as #DIV/0!, #REF! or #VALUE!."
    template = "{column}: the cell shows the error {value}."


class Incomplete(Finding):
    code = "incomplete"
    title = "Incomplete workbook"
    description = (
        "Something every monthly workbook should hold is still blank: who prepared it and "
        "when, every SLA Actual, the Stages or the Health check. What is there is read; the "
        "warning names what to fill in (`rmp validate` shows the workbook as incomplete, "
        "not OK)."
    )
    template = "{note}."
    severity = Severity.WARNING


class WrongCalculation(Finding):
    code = "wrong-calculation"
    title = "Calculated cell disagrees"
    description = (
        "A calculated cell (Risks' Score) shows an error or another value than its formula "
        "gives from the row's figures, e.g. after it was typed over or another application "
        "could not keep the formula. rmp calculates it again and uses its own value."
    )
    template = "{column}: the cell shows {value!r} but {note}."
    severity = Severity.WARNING


class MetaMismatch(Finding):
    code = "meta-mismatch"
    title = "Identity disagrees"
    description = (
        "The Relationship sheet names another relationship or partner than the hidden "
        "metadata the workbook was generated with; the metadata is used."
    )
    template = "{column}: the sheet says {value!r} but the workbook was generated for {note!r}."
    severity = Severity.WARNING


class GuessedPercent(Finding):
    code = "guessed-percent"
    title = "Percentage guessed"
    description = (
        "A percentage written on another scale than expected (0.91 for a KPI in % with a "
        "target of 95, or 60 for a 0-100% progress); rmp read it as the percentage shown."
    )
    template = "{column}: read {value!r} as {note}."
    severity = Severity.WARNING


class DecimalComma(Finding):
    code = "decimal-comma"
    title = "Decimal comma read"
    description = (
        "A number typed with a decimal comma (``93,5``, ``1.250,50``); rmp read the comma as "
        "the decimal mark (93.5, 1250.5). Check the figure shown is the one meant."
    )
    template = "{column}: read {value!r} as {note}."
    severity = Severity.WARNING


class AmbiguousNumber(Finding):
    code = "ambiguous-number"
    title = "Number reads two ways"
    description = (
        "A number typed as text with one separator and three digits after it (``1,250`` or "
        "``1.250``): it could be a thousand and more, or a number with a decimal mark. rmp "
        "does not guess; the row is left out until the figure is retyped."
    )
    template = "{column}: {value!r} could be {note}."


class Macros(Finding):
    code = "macros"
    title = "Workbook contains macros"
    description = (
        "The workbook carries VBA macros (or LibreOffice Basic). rmp never runs them, but "
        "partners should send a workbook without macros (.xlsx)."
    )
    template = "The workbook contains macros: {note}."
    severity = Severity.WARNING


# --- Findings about a returned sign-off workbook (``rmp signoff record``) --------------------
#
# A sign-off workbook with any error is not recorded at all: its agreed values and its
# approval are one statement by the partner, stored together or not at all.


class NotASignoff(Finding):
    code = "signoff-not-a-signoff"
    title = "Not a sign-off workbook"
    description = (
        "``rmp signoff record`` was given a file that is not a sign-off workbook made by "
        "``rmp signoff template`` (a partner's monthly workbook, say, or a sign-off workbook "
        "whose hidden identity sheet was removed)."
    )
    template = "This is not a sign-off workbook: {note}."
    fatal: ClassVar[bool] = True


class SignoffWrongPeriod(Finding):
    code = "signoff-wrong-period"
    title = "Sign-off for another month"
    description = (
        "The sign-off workbook is for another month than the one being recorded "
        "(``--period``), or for a month the ledger holds no workbooks for."
    )
    template = "This sign-off workbook is for {value!r}: {note}."


class SignoffUnknownPartner(Finding):
    code = "signoff-unknown-partner"
    title = "Sign-off from a non-partner"
    description = (
        "The sign-off workbook was made for an organisation that is not a partner of the "
        "relationship in its month (per the config's membership, or the ledger's partners)."
    )
    template = "This sign-off workbook is for {value!r}, {note}."


class SignoffUnknownDiscrepancy(Finding):
    code = "signoff-unknown-discrepancy"
    title = "Not a discrepancy of the month"
    description = (
        "A row of the sign-off table does not stand for a discrepancy of the month as the "
        "ledger now holds it: its Ref was changed or copied, or a partner resent a workbook "
        "after the sign-off workbook was made, so the figures it settles changed."
    )
    template = "{column} {value!r}: {note}."


class SignoffAgreedValue(Finding):
    code = "signoff-agreed-value"
    title = "Agreed value of the wrong kind"
    description = (
        "An Agreed value cannot be the item's value: text where the column holds a number, "
        "a date that is not a date, a value not in the column's list, or out of its range."
    )
    template = "{column}: {value!r} is not {note}."


class SignoffReasonMissing(Finding):
    code = "signoff-reason-missing"
    title = "Agreed value without a reason"
    description = (
        "An Agreed value is given without a Reason. The reason is what makes the agreed "
        "figure auditable later, so it is required."
    )
    template = "{column} is blank: say why the partners agree {value!r}."


class SignoffApproval(Finding):
    code = "signoff-approval-incomplete"
    title = "Approval incomplete"
    description = (
        "The month is approved (Approve the month: Yes) without the name of the person "
        "approving or the date; or the date is not a date or lies in the future; or Approve "
        "the month is not Yes or No."
    )
    template = "{column}: {note}."


class SignoffDuplicate(Finding):
    code = "signoff-duplicate-row"
    title = "Discrepancy listed twice"
    description = (
        "Two rows of the sign-off table carry the same Ref (a row was copied); which agreed "
        "value counts cannot be told."
    )
    template = "{column} {value!r} appears twice ({note})."


# --- Container findings: what the check before parsing reports (rmp_workbook.container) ------
#
# File-level, no sheet or cell; each means no parser opens the file (``fatal``). The
# container check also reports ``not-a-workbook`` and ``macros`` (defined above).


class EmptyFile(Finding):
    code = "empty-file"
    title = "Empty file"
    description = "The file holds no bytes at all, often a failed download or save."
    template = "The file is empty (0 bytes): save the workbook again and resend it."
    fatal: ClassVar[bool] = True


class CorruptFile(Finding):
    code = "corrupt-file"
    title = "Damaged file"
    description = "The workbook's container is damaged or incomplete, e.g. cut short in transit."
    template = "The workbook is damaged and cannot be read: {note}. Save it again and resend it."
    fatal: ClassVar[bool] = True


class PasswordProtected(Finding):
    code = "password-protected"
    title = "Password-protected workbook"
    description = "The workbook is encrypted with a password, so it cannot be read."
    template = (
        "The workbook is protected with a password, so it cannot be read. Please send a copy "
        "without a password (File > Info > Protect Workbook > Encrypt with Password, clear "
        "the password, save)."
    )
    fatal: ClassVar[bool] = True


class TooLarge(Finding):
    code = "too-large"
    title = "Too large"
    description = "The file, one of its parts or one of its sheets exceeds a configured limit."
    template = "The workbook is too large to read safely: {note}."
    fatal: ClassVar[bool] = True


class ZipBomb(Finding):
    code = "zip-bomb"
    title = "Suspicious compression"
    description = (
        "A part of the workbook would unpack to far more than its packed size or than it "
        "declares (a 'zip bomb'); it was refused before unpacking."
    )
    template = "The workbook was refused as a possible zip bomb: {note}."
    fatal: ClassVar[bool] = True


class XmlEntities(Finding):
    code = "xml-entities"
    title = "XML entity declarations"
    description = (
        "An XML part declares a DOCTYPE or entities, used by 'billion laughs' and external "
        "entity (XXE) attacks; Excel never writes them."
    )
    template = "The workbook was refused: {note}. Save it again from Excel or LibreOffice."
    fatal: ClassVar[bool] = True
