"""The plan-area sheets carry their open rows into next month's workbook, read back from file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl

from rmp_workbook.ledger import Ledger
from rmp_workbook.records import Record, Submission, SubmissionMeta
from rmp_workbook.schema import SCHEMA, SCHEMA_VERSION
from rmp_workbook.template import write_template

REL, NW = "NW-CO", "Northwind Ltd"

ROWS: dict[str, list[dict[str, Any]]] = {
    "development": [
        {"need_id": "D01", "need": "Portal training", "due": dt.date(2026, 12, 15),
         "status": "In progress"},
        {"need_id": "D02", "need": "ISO 44001 awareness", "status": "Met"},
    ],
    "information": [
        {"flow_id": "I01", "information": "Demand forecast", "how": "Shared system",
         "frequency": "Weekly", "confidentiality": "Confidential", "owner": NW},
    ],
    "communications": [
        {"comm_id": "C01", "audience": "Joint board", "channel": "Meeting",
         "frequency": "Monthly", "last_done": dt.date(2026, 11, 12),
         "next_due": dt.date(2026, 12, 10)},
    ],
    "value": [
        {"initiative_id": "V01", "initiative": "Shared cross-dock", "estimated": 120000.0,
         "realised": 45000.0, "unit": "GBP", "status": "In progress"},
        {"initiative_id": "V02", "initiative": "Paperless invoicing", "status": "Stopped"},
        {"initiative_id": "V03", "initiative": "Consignment stock", "estimated": 50000.0,
         "realised": 50000.0, "status": "Delivered"},
    ],
    "exit": [
        {"scenario_id": "X01", "trigger": "Contract not renewed", "notice_days": 90,
         "last_reviewed": dt.date(2026, 9, 30), "status": "Agreed"},
        {"scenario_id": "X02", "trigger": "Old warehouse closes", "status": "Retired"},
    ],
}  # fmt: skip


def submission(period: str) -> Submission:
    meta = SubmissionMeta(REL, "Northwind and Contoso", NW, period, SCHEMA_VERSION)
    records = {
        key: [
            Record(key, i, {c.key: values.get(c.key) for c in SCHEMA[key].columns})
            for i, values in enumerate(rows)
        ]
        for key, rows in ROWS.items()
    }
    return Submission(
        path=f"/inbox/northwind-{period}.xlsx",
        sha256=period.ljust(64, "0"),
        meta=meta,
        records=records,
        received_at=dt.datetime.fromisoformat(f"{period}-28T10:00:00"),
    )


def test_open_plan_rows_are_pre_filled_next_month(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as led:
        led.record([submission("2026-11")])
        prefill = led.prefill_rows(REL, NW, "2026-12")
    ids = {key: [next(iter(r.values())) for r in prefill[key]] for key in ROWS}
    assert ids == {
        "development": ["D01"],  # Met is closed
        "information": ["I01"],
        "communications": ["C01"],
        "value": ["V01", "V03"],  # Stopped is closed; Delivered stays for its value
        "exit": ["X01"],  # Retired is closed
    }
    out = write_template(
        tmp_path / "northwind-2026-12.xlsx", relationship_id=REL,
        relationship_name="Northwind and Contoso", partner=NW, period="2026-12",
        prefill=prefill,
    )  # fmt: skip
    wb = openpyxl.load_workbook(out)

    def table(name: str) -> list[dict[str, Any]]:
        rows = list(wb[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(r)]

    comms = table("Communications plan")
    assert [(r["Comm ID"], r["Next due"]) for r in comms] == [("C01", dt.datetime(2026, 12, 10))]
    value = table("Value creation")
    assert [(r["Initiative ID"], r["Realised value"]) for r in value] == [
        ("V01", 45000), ("V03", 50000)
    ]  # fmt: skip
    assert [r["Scenario ID"] for r in table("Exit and continuity plan")] == ["X01"]
    assert [r["Need ID"] for r in table("Development needs")] == ["D01"]
    assert table("Information sharing")[0]["Confidentiality"] == "Confidential"
