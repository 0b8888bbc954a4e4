"""rmp_workbook: run a collaborative relationship's RMP through Excel workbooks.

The public API a script imports. Heavy modules load only when their names are used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from rmp_workbook.schema import SCHEMA, SCHEMA_VERSION, SHEETS, ColType, Column, Sheet, SheetKind

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "SHEETS",
    "ColType",
    "Column",
    "Sheet",
    "SheetKind",
    "__version__",
]
