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
