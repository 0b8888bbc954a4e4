"""The declared schema is consistent: every other stage relies on these facts."""

from __future__ import annotations

import re

import pytest

from rmp_workbook.schema import (
    BEHAVIOURS,
    SCHEMA,
    SCHEMA_VERSION,
    SHEETS,
    STAGES,
    ColType,
    SheetKind,
    added_after,
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
    "Development needs": [
        "Need ID",
        "Need",
        "Partner",
        "People affected",
        "Action",
        "Owner",
        "Due",
        "Status",
    ],
    "Information sharing": [
        "Flow ID",
        "Information",
        "From",
        "To",
        "How",
        "How often",
        "Confidentiality",
        "Owner",
    ],
    "Communications plan": [
        "Comm ID",
        "Audience",
        "Message",
        "Channel",
        "Frequency",
        "Owner",
        "Last done",
        "Next due",
    ],
    "Value creation": [
        "Initiative ID",
        "Initiative",
        "Goal",
        "Estimated value",
        "Realised value",
        "Unit",
        "How shared",
        "Target date",
        "Owner",
        "Status",
    ],
    "Exit and continuity plan": [
        "Scenario ID",
        "Trigger or scenario",
        "Service to keep",
        "Continuity measure",
        "Owner",
        "Notice period (days)",
        "Last reviewed",
        "Status",
    ],
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


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.key)
def test_status_and_closed_values_are_choices(sheet) -> None:
    if sheet.status is None:
        assert not sheet.closed
        return
    choices = sheet.column(sheet.status).choices
    assert sheet.closed and set(sheet.closed) <= set(choices)
    assert not sheet.is_open(sheet.closed[0]) and sheet.is_open(None)
    assert sheet.is_open(next(c for c in choices if c not in sheet.closed))


def test_plan_areas_are_carried_forward_and_newer_than_1_0() -> None:
    for key in ("development", "information", "communications", "value", "exit"):
        sheet = SCHEMA[key]
        assert sheet.carry_forward and sheet.since == "1.1"
        assert added_after(sheet, "1.0") and not added_after(sheet, SCHEMA_VERSION)
        assert not added_after(sheet, "not a version")
    assert not added_after(SCHEMA["risks"], "1.0")


def test_every_plan_area_has_drop_downs() -> None:
    for key in ("development", "information", "communications", "value", "exit"):
        assert any(c.type is ColType.CHOICE for c in SCHEMA[key].columns), key
