"""Did you mean …: what a person most likely meant, or nothing when nothing is close."""

from __future__ import annotations

import pytest

from rmp_workbook.schema import SHEETS, STAGES_SHEET, YES_NO
from rmp_workbook.suggest import did_you_mean, suggest

SHEET_NAMES = [s.name for s in SHEETS]
STATUS = STAGES_SHEET.column("status").choices


@pytest.mark.parametrize(
    ("typed", "options", "meant"),
    [
        ("Successes Dec", SHEET_NAMES, ["Successes"]),
        ("KPI's", SHEET_NAMES, ["KPIs"]),
        ("Contcts", SHEET_NAMES, ["Contacts"]),
        ("Sheet1", SHEET_NAMES, []),
        ("Compelte", STATUS, ["Complete"]),
        ("Completed", STATUS, ["Complete"]),
        ("in prog", STATUS, ["In progress"]),
        ("Yse", YES_NO, ["Yes"]),
        ("Ongoing", STATUS, []),
        ("", STATUS, []),
    ],
)
def test_suggest(typed: str, options: list[str], meant: list[str]) -> None:
    assert suggest(typed, options) == meant


def test_did_you_mean_names_every_candidate() -> None:
    assert did_you_mean([]) == ""
    assert did_you_mean(["Complete"]) == "Did you mean 'Complete'?"
    assert did_you_mean(["A", "B", "C"]) == "Did you mean 'A', 'B' or 'C'?"
