"""Numbers typed the way partners type them: decimal commas, ambiguous thousands, % KPIs.

Real workbooks: the template, filled through openpyxl as a person types (text in a
number cell, as Excel keeps it when the cell is formatted as text or the figure is pasted),
read back by rmp, once also after LibreOffice re-saved it. Then merged: nothing wrong
reaches the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import convert
from fill import PERIOD, fill, find_row, make_template

from rmp_workbook.ledger import kpi_history
from rmp_workbook.merge import merge
from rmp_workbook.validate import validate_paths


def _kpi(kpi_id: str, actual: Any, unit: str = "%", target: float | None = 95) -> dict[str, Any]:
    return {"KPI ID": kpi_id, "KPI": f"Measure {kpi_id}", "Unit": unit,
            "Direction": "Higher is better", "Target": target, "Period": PERIOD,
            "Actual": actual, "Owner": "Northwind Ltd"}  # fmt: skip


KPIS = [
    _kpi("K01", "93,5"),  # a decimal comma: 93.5, warned
    _kpi("K02", "1,5", unit="days", target=2),  # 1.5, not 15
    _kpi("K03", "1.250,50", unit="GBP", target=1000),  # last separator decides: 1250.5
    _kpi("K04", "1,250.50", unit="GBP", target=1000),  # 1250.5, no warning
    _kpi("K05", "80,5%"),  # 80.5, not 8.05
    _kpi("K06", "1,250", unit="count", target=1000),  # 1250 or 1.25: refused
    _kpi("K07", "1.250", unit="count", target=1000),  # the same the other way round
    _kpi("K08", 120),  # a % KPI above 100: refused
    _kpi("K09", "-3%"),  # below 0: refused
    _kpi("K10", "91%"),  # text with a sign: 91
    _kpi("K11", 0.91),  # 91% stored as a fraction (Excel's % format): 91, with the target's clue
]
EXPECTED = {"K01": 93.5, "K02": 1.5, "K03": 1250.5, "K04": 1250.5, "K05": 80.5, "K10": 91.0,
            "K11": 91.0}  # fmt: skip
REFUSED = {"K06": "ambiguous-number", "K07": "ambiguous-number", "K08": "out-of-range",
           "K09": "out-of-range"}  # fmt: skip
WARNED = {"K01": "decimal-comma", "K02": "decimal-comma", "K03": "decimal-comma",
          "K05": "decimal-comma", "K11": "guessed-percent"}  # fmt: skip


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("numbers")
    template = make_template(tmp / "template.xlsx")
    filled = fill(template, tmp / "numbers.xlsx", rows={"KPIs": KPIS})
    return {"xlsx": filled, "lo-xlsx": convert(soffice, filled, "xlsx", tmp / "lo")}


@pytest.mark.parametrize("kind", ["xlsx", "lo-xlsx"])
def test_decimal_commas_are_read_and_ambiguous_numbers_refused(
    books: dict[str, Path], kind: str
) -> None:
    path = books[kind]
    report = validate_paths([path])
    sub = report.submissions[0]
    actuals = {r.values["kpi_id"]: r.values["actual"] for r in sub.records["kpis"]}
    assert actuals == EXPECTED
    found = {(f.sheet, f.cell, f.code) for f in report.findings}
    for kpi_id, code in {**REFUSED, **WARNED}.items():
        row = find_row(books["xlsx"], "KPIs", "KPI ID", kpi_id)
        assert ("KPIs", f"H{row}", code) in found, kpi_id
    assert len(found) == len(REFUSED) + len(WARNED)
    messages = [f.message for f in report.findings]
    assert (
        "Actual: '1,250' could be 1250 or 1.25. Retype it without a thousands separator: "
        "1250, or 1.25 with a decimal point." in messages
    )
    comma = "Actual: read '93,5' as 93.5. Type it as 93.5"
    assert any(m.startswith(comma) for m in messages), messages
    assert report.exit_code == 1


def test_nothing_refused_reaches_the_ledger(books: dict[str, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    result = merge([books["xlsx"]], ledger=ledger, output=tmp_path / "c.xlsx")
    assert {f.code for f in result.left_out} == {"ambiguous-number", "out-of-range"}
    history = kpi_history(ledger).figures
    assert dict(zip(history["kpi_id"], history["actual"], strict=True)) == EXPECTED
