"""A sheet added to the schema reaches every stage with no list to edit.

A child process declares one more sheet in :mod:`rmp_workbook.schema` before any other
module is imported (as if ``schema.py`` declared it), then runs the real chain: the
template carries the sheet, two partners fill it through openpyxl, ``rmp merge`` reads,
validates and records it, the ledger holds its rows in their own table, and the
consolidated workbook shows it as a data sheet with both partners' rows.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
from conftest import SRC
from test_dashboard import load

from rmp_workbook.dashboard import DATA_SHEETS
from rmp_workbook.ledger import build_metadata, record_table_name
from rmp_workbook.schema import SHEETS

TESTS = Path(__file__).parent

SCRIPT = r"""
import json, sys
from pathlib import Path

import rmp_workbook.schema as schema
from rmp_workbook.schema import Sheet, SheetKind, long_text, text

LESSONS = Sheet(
    name="Lessons learnt",
    key="lessons",
    kind=SheetKind.LIST,
    help="What the partners learnt working together.",
    keys=("lesson_id",),
    table_name="LessonsTable",
    columns=(
        text("lesson_id", "Lesson ID", "A short code, e.g. L01.", required=True, width=10),
        long_text("lesson", "Lesson", "What was learnt.", required=True),
    ),
)
schema.SHEETS = (*schema.SHEETS, LESSONS)
schema.SCHEMA[LESSONS.key] = LESSONS
schema.SHEET_ORDER = (schema.GUIDE_SHEET, *(s.name for s in schema.SHEETS), schema.META_SHEET)

# Every other module is imported from here on: it sees the sheet as schema.py's own.
from fill import fill, fill_good, make_template
from rmp_workbook.cli import cli

tmp = Path(sys.argv[1])
returned = tmp / "returned"
returned.mkdir()
lessons = {
    "Northwind Ltd": [{"Lesson ID": "L01", "Lesson": "Agree the forecast before the call-off."}],
    "Contoso plc": [{"Lesson ID": "L02", "Lesson": "Share drawings as soon as they change."}],
}
for partner, rows in lessons.items():
    slug = partner.split()[0].lower()
    template = make_template(tmp / f"{slug}-template.xlsx", partner=partner)
    good = fill_good(template, tmp / f"{slug}-good.xlsx")
    fill(good, returned / f"{slug}.xlsx", rows={"Lessons learnt": rows})
try:
    cli.main(
        args=["merge", str(returned), "--ledger", str(tmp / "ledger.sqlite"),
              "-o", str(tmp / "consolidated.xlsx"), "--period", "2026-11"],
        prog_name="rmp",
        standalone_mode=False,
    )
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"exit": code}))
"""


def test_every_schema_sheet_has_a_data_sheet_and_a_ledger_table() -> None:
    keys = [s.key for s in SHEETS]
    assert list(DATA_SHEETS) == keys
    tables = build_metadata().tables
    assert all(record_table_name(s) in tables for s in SHEETS)


def test_a_new_schema_sheet_reaches_the_ledger_and_the_consolidated_workbook(
    tmp_path: Path,
) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TESTS), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["exit"] in (0, None), done.stdout[-3000:]

    # The template the partners filled carried the sheet.
    template = openpyxl.load_workbook(tmp_path / "northwind-template.xlsx", read_only=True)
    assert "Lessons learnt" in template.sheetnames

    # The ledger keeps the sheet's rows in their own table, one per partner's row.
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        stored = sorted(
            db.execute(
                "SELECT s.partner, r.lesson_id, r.lesson FROM rec_lessons r "
                "JOIN submissions s ON s.id = r.submission_id"
            )
        )
    assert stored == [
        ("Contoso plc", "L02", "Share drawings as soon as they change."),
        ("Northwind Ltd", "L01", "Agree the forecast before the call-off."),
    ]

    # The consolidated workbook shows it as a data sheet, among the other schema sheets.
    book = load(tmp_path / "consolidated.xlsx")
    names = book.sheetnames
    assert "Lessons learnt" in names
    assert names.index("Actions") < names.index("Lessons learnt") < names.index("Gaps")
    ws = book["Lessons learnt"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ("Lesson ID", "Lesson", "Partners", "Source")
    body = sorted(r[:3] for r in rows[1:])
    assert body == [
        ("L01", "Agree the forecast before the call-off.", "Northwind Ltd"),
        ("L02", "Share drawings as soon as they change.", "Contoso plc"),
    ]
    assert ws.tables, "the rows are an Excel table, as on every data sheet"
