"""The declared schema is consistent: every other stage relies on these facts."""

from __future__ import annotations

import re

import pytest

from rmp_workbook.schema import (
    BEHAVIOURS,
    SCHEMA,
    SHEETS,
    STAGES,
    ColType,
    SheetKind,
    sheet_by_name,
)

EXPECTED_HEADERS = {
    "Relationship": [
        "Relationship ID",
        "Relationship name",
        "Partner organisation",
        "Reporting period",
        "Prepared by",
        "Prepared on",
        "Scope",
        "Drivers and objectives",
        "Contractual arrangements",
        "Shared systems and services",
        "Management structure",
    ],
    "Stages": ["Stage", "Status", "Progress %", "Evidence", "Next step", "Owner", "Target date"],
    "Contacts": [
        "Name",
        "Organisation",
        "Role",
        "Responsibility",
        "Email",
        "Phone",
        "Escalation level",
    ],
    "KPIs": [
        "KPI ID",
        "KPI",
        "Unit",
        "Direction",
        "Target",
        "Amber threshold",
        "Period",
        "Actual",
        "Owner",
        "Comment",
    ],
    "SLA": ["Service", "Measure", "Target", "Direction", "Period", "Actual", "Owner", "Comment"],
    "Risks": [
        "Risk ID",
        "Risk",
        "Category",
        "Likelihood",
        "Impact",
        "Score",
        "Owner",
        "Mitigation",
        "Status",
        "Raised on",
        "Review by",
    ],
    "Bottlenecks": [
        "Bottleneck ID",
        "Problem",
        "Raised on",
        "Impact",
        "Owner",
        "Action",
        "Status",
        "Resolved on",
    ],
    "Successes": ["Date", "Success", "Value created", "Contributors", "Keep or remove"],
    "Testimonials": [
        "Date",
        "From",
        "Organisation",
        "Testimonial",
        "May be shared",
        "Keep or remove",
    ],
    "Health check": ["Behaviour", "Score", "Comment"],
    "Actions": ["Action ID", "Area", "Action", "Owner", "Due", "Status", "Done on"],
}


def test_sheets_and_headers_are_the_contract() -> None:
    assert [s.name for s in SHEETS] == list(EXPECTED_HEADERS)
    for sheet in SHEETS:
        assert list(sheet.headers) == EXPECTED_HEADERS[sheet.name], sheet.name


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.key)
def test_sheet_is_well_formed(sheet) -> None:
    keys = [c.key for c in sheet.columns]
    assert len(set(keys)) == len(keys), "column keys are unique"
    assert len({h.lower() for h in sheet.headers}) == len(keys), "headers are unique"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in keys)
    for key in (*sheet.keys, *sheet.alt_keys):
        assert key in keys
    for name in (sheet.owner, sheet.period):
        assert name is None or name in keys
    for col in sheet.columns:
        assert col.help.strip(), f"{sheet.name}.{col.header} has help text"
        if col.type is ColType.CHOICE:
            assert col.choices
        if col.type is ColType.FORMULA:
            assert col.formula and not col.is_input
            for ref in re.findall(r"{(\w+)}", col.formula):
                assert ref in keys
    if sheet.kind is not SheetKind.FORM:
        assert sheet.keys and sheet.table_name
    if sheet.kind is SheetKind.FIXED:
        assert sheet.fixed_rows


def test_fixed_rows() -> None:
    assert SCHEMA["stages"].fixed_rows == STAGES and len(STAGES) == 8
    assert SCHEMA["health"].fixed_rows == BEHAVIOURS and len(BEHAVIOURS) == 8


def test_example_rows_name_real_columns() -> None:
    for sheet in SHEETS:
        for key in sheet.example:
            sheet.column(key)


def test_lookup() -> None:
    assert sheet_by_name("Health check").key == "health"
    with pytest.raises(KeyError):
        sheet_by_name("Nope")
    with pytest.raises(KeyError):
        SCHEMA["kpis"].column("nope")
