"""Stand-in benchmark workbooks until ``rmp_workbook.sample.fill_many`` exists.

Temporary: ``run.py`` uses ``fill_many`` as soon as it can import it, and this
file is deleted then. Shape follows the schema: 24 periods x 10 KPIs, 30 risks,
20 contacts, a metadata sheet.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import xlsxwriter

from rmp_workbook.schema import META_SHEET, SCHEMA_VERSION, SHEETS, ColType, SheetKind

ROWS = {"kpis": 240, "sla": 72, "risks": 30, "contacts": 20, "actions": 25}


def _value(col_type: ColType, rnd: random.Random, i: int, period: str) -> object:
    if col_type in (ColType.INTEGER, ColType.SCORE):
        return rnd.randint(1, 3)
    if col_type in (ColType.NUMBER,):
        return round(rnd.uniform(1, 100), 1)
    if col_type is ColType.PERCENT:
        return round(rnd.random(), 2)
    if col_type is ColType.DATE:
        return dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randint(0, 300))
    if col_type is ColType.PERIOD:
        return period
    if col_type is ColType.EMAIL:
        return f"person{i}@example.com"
    return f"text {i} {rnd.randint(0, 9999)}"


def interim_files(out_dir: Path, n: int, seed: int) -> list[Path]:
    rnd = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    periods = [f"{2025 + m // 12}-{m % 12 + 1:02d}" for m in range(24)]
    for k in range(n):
        partner = f"Partner {k:04d}"
        path = out_dir / f"partner-{k:04d}.xlsx"
        wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
        wb.add_worksheet("Guide").write(0, 0, "Guide")
        for sheet in SHEETS:
            ws = wb.add_worksheet(sheet.name)
            if sheet.kind is SheetKind.FORM:
                for r, col in enumerate(sheet.columns, start=1):
                    ws.write(r, 0, col.header)
                    value = {"partner": partner, "period": periods[-1]}.get(col.key)
                    ws.write(r, 1, value or _value(col.type, rnd, r, periods[-1]))
                continue
            for c, col in enumerate(sheet.columns):
                ws.write(0, c, col.header)
            n_rows = len(sheet.fixed_rows) or ROWS.get(sheet.key, 8)
            for r in range(n_rows):
                period = periods[r // 10 % 24]
                for c, col in enumerate(sheet.columns):
                    if c == 0 and sheet.fixed_rows:
                        value: object = sheet.fixed_rows[r]
                    elif col.type is ColType.CHOICE:
                        value = rnd.choice(col.choices)
                    elif col.type is ColType.FORMULA:
                        continue
                    else:
                        value = _value(col.type, rnd, r, period)
                    if isinstance(value, dt.date):
                        ws.write_datetime(
                            r + 1, c, value, wb.add_format({"num_format": "yyyy-mm-dd"})
                        )
                    else:
                        ws.write(r + 1, c, value)
        meta = wb.add_worksheet(META_SHEET)
        for r, (key, value) in enumerate(
            {"schema_version": SCHEMA_VERSION, "partner": partner, "period": periods[-1]}.items()
        ):
            meta.write(r, 0, key)
            meta.write(r, 1, value)
        wb.close()
        paths.append(path)
    return paths
