"""A blank date cell stays blank: as None, never as pandas' NaT, for every gap rule.

Real workbooks: templates from the config, typed through openpyxl with some date cells
left blank, merged into a ledger; the ledger's record frames, with their date columns as
pandas timestamps (a blank is NaT), reconciled again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from months import CO, NW, Relationship

from rmp_workbook.ledger import Ledger
from rmp_workbook.plain import as_date, clean, format_value
from rmp_workbook.reconcile import consolidate
from rmp_workbook.schema import SCHEMA, ColType

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")


@pytest.mark.parametrize("blank", [pd.NaT, np.datetime64("NaT"), float("nan"), None, " "])
def test_a_blank_cell_is_none_as_a_date_and_blank_as_text(blank: Any) -> None:
    assert clean(blank) is None
    assert as_date(blank) is None
    assert format_value(blank) == ""


def test_a_timestamp_is_its_day() -> None:
    stamp = pd.Timestamp("2026-09-12 10:30")
    assert clean(stamp) == as_date(stamp) == dt.date(2026, 9, 12)
    assert as_date(np.datetime64("2026-09-12")) == dt.date(2026, 9, 12)


ROWS: dict[str, list[dict[str, Any]]] = {
    "KPIs": [{"KPI ID": "K01", "Actual": 96}],
    "Communications plan": [
        {"Comm ID": "C01", "Audience": "Joint board", "Frequency": "Monthly", "Owner": NW,
         "Last done": dt.datetime(2026, 8, 12)},
        {"Comm ID": "C02", "Audience": "Warehouse staff", "Frequency": "Monthly", "Owner": CO},
    ],
    "Actions": [
        {"Action ID": "A01", "Action": "Agree the escalation route", "Owner": NW,
         "Status": "Open"},
        {"Action ID": "A02", "Action": "Sign the data-sharing agreement", "Owner": NW,
         "Due": dt.datetime(2026, 9, 20), "Status": "Open"},
    ],
}  # fmt: skip
"""September as both partners return it: C01's Next due, C02's dates and A01's Due are
left blank; A02 is overdue."""


def _gap_rows(path: Path, *rules: str) -> list[tuple[str, str, str]]:
    """(rule, item, value) of the Gaps sheet's rows of these rules, read with openpyxl."""
    rows = list(openpyxl.load_workbook(path)["Gaps"].iter_rows(values_only=True))
    at = {h: i for i, h in enumerate(rows[0])}
    return sorted(
        (r[at["Rule"]], r[at["Item"]], r[at["Value"]]) for r in rows[1:] if r[at["Rule"]] in rules
    )


RULES = ("communication-overdue", "action-overdue")
EXPECTED = [
    ("action-overdue", "A02 Sign the data-sharing agreement", "10 days overdue"),
    # Next due blank: Last done plus a month; C02 has neither, so it is not overdue.
    ("communication-overdue", "C01 Joint board", "18 days overdue, last done 2026-08-12"),
]


def test_blank_dates_reach_the_gap_rules_as_blank(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel")
    for partner in (NW, CO):
        rel.returned("2026-09", partner, ROWS)
    merged = rel.merge("2026-09")
    assert merged.output is not None
    assert _gap_rows(merged.output, *RULES) == EXPECTED

    # The same records as frames, their date columns as pandas reads dates: blank is NaT.
    with Ledger(rel.ledger, create=False) as led:
        frames = led.frames("NW-CT", "2026-09")
    for key, frame in frames.items():
        for column in SCHEMA[key].columns:
            if column.type is ColType.DATE and column.key in frame:
                frame[column.key] = pd.to_datetime(frame[column.key])
    assert frames["communications"]["next_due"].isna().all()
    assert frames["actions"]["due"].isna().sum() == 2  # A01 from each partner
    view = consolidate(
        frames,
        relationship_id="NW-CT",
        relationship_name="Northwind–Contoso",
        period="2026-09",
        expected_partners=[NW, CO],
    )
    found = sorted((g.rule, g.item, g.value) for g in view.gaps if g.rule in RULES)
    assert found == EXPECTED
    comms = view.tables["communications"].set_index("comm_id")
    assert comms.at["C01", "next_due"] is None
    assert comms.at["C01", "last_done"] == dt.date(2026, 8, 12)
