"""rmp_workbook: run a collaborative relationship's RMP through Excel workbooks.

The public API a script imports. Heavy modules load only when their names are used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any

from rmp_workbook.schema import SCHEMA, SCHEMA_VERSION, SHEETS, ColType, Column, Sheet, SheetKind

_LAZY = {
    "read_workbook": "rmp_workbook.read",
    "validate_paths": "rmp_workbook.validate",
    "Report": "rmp_workbook.validate",
    "workbook_json_schema": "rmp_workbook.rows",
    "check_container": "rmp_workbook.container",
    "Limits": "rmp_workbook.container",
    "write_feedback": "rmp_workbook.feedback",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rmp_workbook' has no attribute {name!r}")


__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "SHEETS",
    "ColType",
    "Column",
    "Limits",
    "Report",
    "Sheet",
    "SheetKind",
    "__version__",
    "check_container",
    "read_workbook",
    "validate_paths",
    "workbook_json_schema",
    "write_feedback",
]
