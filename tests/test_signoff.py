"""Joint sign-off on real files: ``rmp signoff template`` writes each partner's workbook,
partners fill it (openpyxl; one saved again through LibreOffice), ``rmp signoff record``
stores it, and the month rebuilt by ``rmp merge`` carries the agreed values, their
provenance and the Dashboard's sign-off line, read back with python-calamine.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import convert, run_rmp
from fill import RELATIONSHIP_ID
from python_calamine import CalamineWorkbook
from test_merge import CONTOSO, NORTH, kpi, workbook

from rmp_workbook.config import load_config
from rmp_workbook.ledger import Ledger
from rmp_workbook.merge import consolidated_view, merge
from rmp_workbook.signoff import read_signoff, write_signoff_workbook
from rmp_workbook.signoff_cycle import record_signoffs, write_signoff_templates

CONFIG = f"""\
[relationship]
id = "{RELATIONSHIP_ID}"
name = "Northwind–Contoso"

[[relationship.partners]]
name = "{NORTH}"

[[relationship.partners]]
name = "{CONTOSO}"
"""
TODAY = dt.date(2026, 12, 10)
MADE = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)


def build_month(
    root: Path, ledger: str | Path, period: str = "2026-11", *, agree: bool = False
) -> Path:
    """A config and a merged month where the partners disagree on K01's Actual (91.5 vs
    88) and on R01's Likelihood (3 vs 4), or (``agree``) on nothing. Returns the folder of
    the partners' workbooks."""
    config_path = root / "rmp.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    folder = root / period
    workbook(folder, NORTH, period, kpis=[kpi("K01", period, 91.5), kpi("K02", period, 4)])
    workbook(folder, CONTOSO, period,
             kpis=[kpi("K01", period, 91.5 if agree else 88.0), kpi("K02", period, 4)],
             likelihood=3 if agree else 4)  # fmt: skip
    merge([folder], ledger=ledger, output=root / f"c-{period}.xlsx", period=period,
          config=load_config(config_path), today=TODAY)  # fmt: skip
    return folder


def fill_signoff(
    src: Path,
    out: Path,
    agreed: Mapping[str, tuple[Any, Any]],
    approval: tuple[Any, Any, Any] = ("Aisha Khan", dt.datetime(2026, 12, 3), "Yes"),
    *,
    cells: Mapping[str, Any] | None = None,
) -> Path:
    """Type into a sign-off workbook as a partner would: Agreed value and Reason by Ref,
    then the approval block by its labels (``cells``: any other cell by address)."""
    wb = openpyxl.load_workbook(src)
    ws = wb["Sign-off"]
    header = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Ref"), 0)
    cols = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)} if header else {}
    for r in range(header + 1, ws.max_row + 1) if header else ():
        if ws.cell(r, 1).value in agreed:
            value, reason = agreed[ws.cell(r, 1).value]
            ws.cell(r, cols["Agreed value"]).value = value
            ws.cell(r, cols["Reason"]).value = reason
    labels = dict(zip(("Approved by (name)", "Date", "Approve the month"), approval, strict=True))
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 3).value in labels:
            ws.cell(r, 4).value = labels[ws.cell(r, 3).value]
    for address, value in (cells or {}).items():
        ws[address].value = value
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def rows_of(path: Path, sheet: str) -> list[list[Any]]:
    book = CalamineWorkbook.from_path(str(path))
    rows: list[list[Any]] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return rows


def table(path: Path, sheet: str) -> list[dict[str, Any]]:
    """A consolidated sheet's rows as header -> value (python-calamine: cached values)."""
    rows = rows_of(path, sheet)
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(v != "" for v in r)]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """November merged; each partner's sign-off workbook written, filled and recorded."""
    root = tmp_path_factory.mktemp("signoff")
    ledger = root / "l.sqlite"
    folder = build_month(root, ledger)
    made = root / "signoff"
    proc = run_rmp("signoff", "template", "--period", "2026-11", "--config",
                   str(root / "rmp.toml"), "--ledger", str(ledger), "-o", str(made))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Wrote 2 sign-off workbooks for 2026-11 (2 discrepancies each)" in proc.stdout
    returned = root / "returned"
    fill_signoff(made / "signoff-northwind-ltd-2026-11.xlsx", returned / "northwind.xlsx",
                 {"D1": (90, "Deliveries recounted with the carrier"),
                  "D2": (3, "Mitigation agreed at the review")})  # fmt: skip
    # Contoso's is typed in, then saved again by LibreOffice, as a partner on it would.
    typed = fill_signoff(
        made / "signoff-contoso-plc-2026-11.xlsx",
        root / "typed" / "contoso.xlsx",
        {"D1": (90.0, "Recount"), "D2": (3, "Agreed at the review")},
        ("Tom Becker", dt.datetime(2026, 12, 4), "Yes"),
    )
    convert(shutil.which("soffice") or "soffice", typed, "xlsx", returned)
    proc = run_rmp("signoff", "record", str(returned), "--config", str(root / "rmp.toml"),
                   "--ledger", str(ledger), "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert [f["status"] for f in report["files"]] == ["recorded", "recorded"]
    assert report["signoff"] == {"2026-11": "Agreed by all partners on 2026-12-04"}
    out = root / "consolidated-2026-11.xlsx"
    merge([folder], ledger=ledger, output=out, period="2026-11",
          config=load_config(root / "rmp.toml"), today=TODAY)  # fmt: skip
    return {"root": root, "ledger": ledger, "made": made, "returned": returned, "out": out}


def test_the_signoff_workbook_is_guided(month: dict[str, Path]) -> None:
    path = month["made"] / "signoff-northwind-ltd-2026-11.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Sign-off", "_rmp_signoff"]
    assert wb["_rmp_signoff"].sheet_state == "veryHidden"
    meta = {r[0]: r[1] for r in wb["_rmp_signoff"].iter_rows(values_only=True) if r[0] != "ref"}
    assert meta["kind"] == "rmp-signoff" and meta["partner"] == NORTH
    assert (meta["period"], meta["relationship_id"]) == ("2026-11", RELATIONSHIP_ID)
    ws = wb["Sign-off"]
    assert ws.protection.sheet
    assert list(ws.tables) == ["SignOff"]
    assert ws.tables["SignOff"].ref == "A5:J7"
    assert [c.value for c in ws[5]] == ["Ref", "Sheet", "Item", "Column", NORTH, CONTOSO,
                                        "Reconciled", "Rule", "Agreed value", "Reason"]  # fmt: skip
    assert [c.value for c in ws[6]][:8] == ["D1", "KPIs", "K01 On-time delivery", "Actual", 91.5,
                                            88, 91.5, "Owner's figure (Northwind Ltd)"]  # fmt: skip
    assert [c.value for c in ws[7]][:4] == ["D2", "Risks", "R01 Key engineer leaves", "Likelihood"]
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    actual, likelihood = validations["I6"], validations["I7"]
    assert actual.type == "decimal" and actual.showInputMessage
    assert "K01 On-time delivery" in actual.prompt and "Contoso plc: 88" in actual.prompt
    assert (likelihood.type, likelihood.formula1, likelihood.formula2) == ("whole", "1", "5")
    assert validations["J6"].type == "textLength" and "Required" in validations["J6"].prompt
    by_label = {ws.cell(r, 3).value: r for r in range(8, ws.max_row + 1)}
    assert validations[f"D{by_label['Approve the month']}"].formula1 == '"Yes,No"'
    assert validations[f"D{by_label['Date']}"].type == "date"
    assert validations[f"D{by_label['Approved by (name)']}"].type == "textLength"
    # Only the cells a partner fills are unlocked.
    unlocked = {c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False}
    approval = {f"D{by_label[k]}" for k in ("Approved by (name)", "Date", "Approve the month")}
    assert unlocked == {"I6", "J6", "I7", "J7"} | approval


def test_filled_signoff_workbooks_are_not_overwritten(month: dict[str, Path]) -> None:
    root = month["root"]
    args = ["signoff", "template", "--period", "2026-11", "--ledger", str(month["ledger"]),
            "-o", str(month["made"])]  # fmt: skip
    proc = run_rmp(*args)
    assert proc.returncode == 2 and "already exist" in proc.stderr
    assert run_rmp(*args, "--force", "--config", str(root / "rmp.toml")).returncode == 0
    proc = run_rmp("signoff", "template", "--period", "2026-09", "--ledger",
                   str(month["ledger"]), "-o", str(root / "none"))  # fmt: skip
    assert proc.returncode == 2
    assert "the ledger holds no workbooks for 2026-09: run rmp merge first" in proc.stderr


def test_agreed_values_replace_the_reconciled_ones(month: dict[str, Path]) -> None:
    out = month["out"]
    kpis = {r["KPI ID"]: r for r in table(out, "KPIs")}
    assert kpis["K01"]["Actual"] == 90
    assert kpis["K01"]["Source"] == (f"{NORTH}; Actual agreed 2026-12-04 by {NORTH}, {CONTOSO}")
    assert kpis["K02"]["Source"] == NORTH  # not disputed: as reconciled
    risk = table(out, "Risks")[0]
    assert (risk["Likelihood"], risk["Score"]) == (3, 12)  # the score follows the agreed input
    assert risk["Source"].endswith(f"Likelihood agreed 2026-12-04 by {NORTH}, {CONTOSO}")
    disc = {r["Item"]: r for r in table(out, "Discrepancies")}
    k01 = disc["K01 On-time delivery"]
    assert k01["Reconciled"] == 90
    assert k01["Rule"].startswith(f"Agreed 2026-12-04 by {NORTH}, {CONTOSO}: Deliveries recounted")
    assert (k01[NORTH], k01[CONTOSO]) == (91.5, 88)  # what each partner reported stays
    dash = rows_of(out, "Dashboard")
    assert dash[3][1] == "Agreed by all partners on 2026-12-04"


def test_the_ledger_keeps_who_approved_and_what(month: dict[str, Path]) -> None:
    with Ledger(month["ledger"]) as led:
        signed, agreed = led.signoff_agreements(RELATIONSHIP_ID, "2026-11")
        notes = [m["note"] for m in led.migrations()]
    assert {(s.partner, s.approved, s.approved_by, s.approved_on) for s in signed} == {
        (NORTH, True, "Aisha Khan", dt.date(2026, 12, 3)),
        (CONTOSO, True, "Tom Becker", dt.date(2026, 12, 4)),
    }
    assert sorted((a.partner, a.sheet, a.column, a.value) for a in agreed) == [
        (CONTOSO, "kpis", "actual", 90.0),
        (CONTOSO, "risks", "likelihood", 3),
        (NORTH, "kpis", "actual", 90.0),
        (NORTH, "risks", "likelihood", 3),
    ]
    assert notes == [notes[0]] and notes[0].startswith("created ledger")
    # Recording the same files again adds nothing.
    report = record_signoffs([month["returned"]], month["ledger"], today=TODAY)
    assert [f.status for f in report.files] == ["already recorded", "already recorded"]
    assert report.exit_code == 0


def test_the_audit_table_of_signoffs(month: dict[str, Path]) -> None:
    from rmp_workbook.signoff import signoff_audit_frame

    with Ledger(month["ledger"]) as led:
        signed, agreed = led.signoff_agreements(RELATIONSHIP_ID, "2026-12")
    frame = signoff_audit_frame({"2026-11": [NORTH, CONTOSO], "2026-12": [NORTH]}, signed, agreed)
    rows = frame.to_dict("records")
    assert [(r["Month"], r["Partner"], r["Approved"], r["Approved by"]) for r in rows] == [
        ("2026-11", NORTH, "Yes", "Aisha Khan"),
        ("2026-11", CONTOSO, "Yes", "Tom Becker"),
        ("2026-12", NORTH, "Awaiting", None),
    ]
    assert rows[0]["On"] == dt.date(2026, 12, 3)
    assert rows[0]["Agreed values"] == (
        "K01 On-time delivery, Actual: 90 (Deliveries recounted with the carrier); "
        "R01 Key engineer leaves, Likelihood: 3 (Mitigation agreed at the review)"
    )


def test_the_audit_pack_has_a_signoff_section(month: dict[str, Path]) -> None:
    from rmp_workbook.audit import build_audit

    with Ledger(month["ledger"]) as led:
        pack = build_audit(led, RELATIONSHIP_ID, "2026-11", "2026-11")
    by = {s.title: s.frame for s in pack.sections}
    rows = by["Sign-offs"].to_dict("records")
    assert sorted((r["Month"], r["Partner"], r["Approved"]) for r in rows) == sorted(
        [("2026-11", NORTH, "Yes"), ("2026-11", CONTOSO, "Yes")]
    )


def test_later_months_keep_the_agreement(month: dict[str, Path]) -> None:
    """December: K01's November figure in the trend is the agreed one; R01's likelihoods
    are still 3 and 4, so November's agreement on them stands; December awaits sign-off."""
    root = month["root"]
    folder = root / "2026-12"
    workbook(folder, NORTH, "2026-12", kpis=[kpi("K01", "2026-12", 96.0)])
    workbook(folder, CONTOSO, "2026-12", kpis=[kpi("K01", "2026-12", 96.0)], likelihood=4)
    out = root / "consolidated-2026-12.xlsx"
    config = load_config(root / "rmp.toml")
    merge([folder], ledger=month["ledger"], output=out, period="2026-12", config=config,
          today=TODAY)  # fmt: skip
    with Ledger(month["ledger"]) as led:
        c = consolidated_view(led, RELATIONSHIP_ID, "2026-12", config=config)
    hist = c.kpi_history
    november = hist[(hist["kpi_id"] == "K01") & (hist["period"] == "2026-11")]
    assert sorted(november["actual"]) == [90.0, 90.0]
    risk = table(out, "Risks")[0]
    assert risk["Likelihood"] == 3 and "Likelihood agreed 2026-12-04" in risk["Source"]
    assert rows_of(out, "Dashboard")[3][1] == f"Awaiting sign-off: {NORTH}, {CONTOSO}"


def test_every_cell_is_checked(month: dict[str, Path], tmp_path: Path) -> None:
    made = month["made"] / "signoff-northwind-ltd-2026-11.xlsx"
    bad = fill_signoff(
        made,
        tmp_path / "bad" / "northwind.xlsx",
        {"D1": ("ninety", "Recount"), "D2": (3, None)},
        ("", dt.datetime(2027, 1, 5), "Yes"),
    )
    ret = read_signoff(bad, today=TODAY)
    assert [(f.code, f.cell) for f in ret.findings] == [
        ("signoff-agreed-value", "I6"),
        ("signoff-reason-missing", "J7"),
        ("signoff-approval-incomplete", "D11"),
        ("signoff-approval-incomplete", "D10"),
    ]
    assert "'ninety' is not a number" in ret.findings[0].message
    assert "in the future" in ret.findings[2].message
    out_of_range = fill_signoff(made, tmp_path / "range.xlsx", {"D2": (7, "x")},
                                cells={"A6": "D9"})  # fmt: skip
    ret = read_signoff(out_of_range, today=TODAY)
    assert [(f.code, f.cell) for f in ret.findings] == [
        ("signoff-unknown-discrepancy", "A6"),
        ("signoff-agreed-value", "I7"),
    ]
    assert "from 1 to 5" in ret.findings[1].message
    copied = fill_signoff(made, tmp_path / "copied.xlsx", {}, cells={"A7": "D1"})
    assert [(f.code, f.cell) for f in read_signoff(copied, today=TODAY).findings] == [
        ("signoff-duplicate-row", "A7")
    ]


def test_record_refuses_what_does_not_fit(month: dict[str, Path], tmp_path: Path) -> None:
    root, ledger = month["root"], month["ledger"]
    config = load_config(root / "rmp.toml")
    folder = tmp_path / "returned"
    fill_signoff(month["made"] / "signoff-contoso-plc-2026-11.xlsx", folder / "a-bad.xlsx",
                 {"D1": ("ninety", "Recount")})  # fmt: skip
    with Ledger(ledger) as led:
        c = consolidated_view(led, RELATIONSHIP_ID, "2026-11", config=config)
    from rmp_workbook.signoff import discrepancy_refs

    stranger = write_signoff_workbook(folder / "b-stranger.xlsx", c, "Acme Corp",
                                      discrepancy_refs(c))  # fmt: skip
    fill_signoff(stranger, stranger, {})
    shutil.copy(root / "2026-11" / "northwind-2026-11.xlsx", folder / "c-monthly.xlsx")
    proc = run_rmp("signoff", "record", str(folder), "--config", str(root / "rmp.toml"),
                   "--ledger", str(ledger), "--json")  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert [(f["status"], [(p["code"], p["cell"]) for p in f["problems"]]) for f in files] == [
        ("not recorded", [("signoff-agreed-value", "I6")]),
        ("not recorded", [("signoff-unknown-partner", "")]),
        ("not recorded", [("signoff-not-a-signoff", "")]),
    ]
    # The wrong month, named by --period; text output names file, cell and what to do.
    proc = run_rmp("signoff", "record", str(month["returned"] / "northwind.xlsx"), "--ledger",
                   str(ledger), "--period", "2026-10")  # fmt: skip
    assert proc.returncode == 1
    assert "northwind.xlsx (Northwind Ltd, 2026-11): not recorded" in proc.stdout
    assert "'2026-11': --period is 2026-10" in proc.stdout
    proc = run_rmp("signoff", "record", str(folder / "c-monthly.xlsx"), "--ledger", str(ledger))
    assert proc.returncode == 2
    with Ledger(ledger) as led:
        assert {s.partner for s in led.signoffs(RELATIONSHIP_ID)} == {NORTH, CONTOSO}


def test_differing_agreed_values_stay_a_discrepancy(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    folder = build_month(tmp_path, ledger)
    config = load_config(tmp_path / "rmp.toml")
    made, _ = write_signoff_templates(ledger, "2026-11", tmp_path / "so", config=config,
                                      generated_at=MADE)  # fmt: skip
    north = fill_signoff(made[0], tmp_path / "r" / "n.xlsx", {"D1": (90, "Recount")})
    report = record_signoffs([north], ledger, config=config, today=TODAY)
    assert report.lines == {"2026-11": f"Awaiting sign-off: {CONTOSO}"}
    with Ledger(ledger) as led:
        c = consolidated_view(led, RELATIONSHIP_ID, "2026-11", config=config)
    k01 = c.discrepancies.iloc[0]
    assert k01["reconciled"] == 91.5  # one partner's agreed value settles nothing
    assert k01["rule"].endswith(f"agreed value 90 from {NORTH}, awaiting {CONTOSO}")
    contoso = fill_signoff(made[1], tmp_path / "r" / "c.xlsx", {"D1": (89, "Our count")},
                           ("Tom Becker", dt.datetime(2026, 12, 4), "Yes"))  # fmt: skip
    report = record_signoffs([contoso], ledger, config=config, today=TODAY)
    assert report.lines == {
        "2026-11": "Agreed by all partners on 2026-12-04  ·  1 agreed value still differs "
        "(see Discrepancies)"
    }
    out = tmp_path / "c.xlsx"
    merge([folder], ledger=ledger, output=out, period="2026-11", config=config, today=TODAY)
    disc = {r["Item"]: r for r in table(out, "Discrepancies")}["K01 On-time delivery"]
    assert disc["Reconciled"] == 91.5
    assert disc["Rule"] == (
        f"Owner's figure (Northwind Ltd); agreed values differ ({NORTH}: 90; {CONTOSO}: 89): "
        "still a discrepancy"
    )
    assert {r["KPI ID"]: r["Actual"] for r in table(out, "KPIs")}["K01"] == 91.5


def test_a_resent_workbook_reopens_the_agreement(tmp_path: Path) -> None:
    """Contoso resends November with another K01 after the sign-off workbooks were made:
    a sign-off on the old figures is refused, and one recorded before no longer applies."""
    ledger = tmp_path / "l.sqlite"
    folder = build_month(tmp_path, ledger)
    config = load_config(tmp_path / "rmp.toml")
    made, _ = write_signoff_templates(ledger, "2026-11", tmp_path / "so", config=config)
    north = fill_signoff(made[0], tmp_path / "r" / "n.xlsx", {"D1": (90, "Recount")})
    contoso = fill_signoff(made[1], tmp_path / "r" / "c.xlsx", {"D1": (90, "Recount")})
    assert record_signoffs([north], ledger, config=config, today=TODAY).exit_code == 0
    resent = tmp_path / "resent"
    workbook(resent, CONTOSO, "2026-11", kpis=[kpi("K01", "2026-11", 87.0)], likelihood=4,
             name="contoso-v2.xlsx", mtime=dt.datetime(2026, 12, 5))  # fmt: skip
    merge([resent], ledger=ledger, output=tmp_path / "c.xlsx", period="2026-11", config=config,
          today=TODAY)  # fmt: skip
    report = record_signoffs([contoso], ledger, config=config, today=TODAY)
    problem = report.files[0].findings[0]
    assert (problem.code, problem.cell) == ("signoff-unknown-discrepancy", "A6")
    assert "figures changed" in problem.message and "Contoso plc: 87" in problem.message
    with Ledger(ledger) as led:
        c = consolidated_view(led, RELATIONSHIP_ID, "2026-11", config=config)
    k01 = c.discrepancies.iloc[0]
    assert k01["reconciled"] == 91.5 and "agreed on earlier figures" in k01["rule"]
    assert folder.exists()


def test_a_month_without_discrepancies_is_approved_alone(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    folder = build_month(tmp_path, ledger, agree=True)
    config = load_config(tmp_path / "rmp.toml")
    made, count = write_signoff_templates(ledger, "2026-11", tmp_path / "so", config=config)
    assert count == 0
    ws = openpyxl.load_workbook(made[0])["Sign-off"]
    assert ws["A5"].value.startswith("The partners' figures agree for 2026-11")
    assert not ws.tables
    north = fill_signoff(made[0], tmp_path / "r" / "n.xlsx", {})
    contoso = fill_signoff(made[1], tmp_path / "r" / "c.xlsx", {},
                           ("Tom Becker", dt.datetime(2026, 12, 4), "No"))  # fmt: skip
    report = record_signoffs([north, contoso], ledger, config=config, today=TODAY)
    assert [(f.status, f.approved) for f in report.files] == [
        ("recorded", True),
        ("recorded", False),
    ]
    assert report.lines == {"2026-11": f"Not approved by {CONTOSO}"}
    # Contoso approves after all: its latest sign-off counts.
    again = fill_signoff(made[1], tmp_path / "r" / "c2.xlsx", {},
                         ("Tom Becker", dt.datetime(2026, 12, 8), "Yes"))  # fmt: skip
    report = record_signoffs([again], ledger, config=config, today=TODAY)
    assert report.lines == {"2026-11": "Agreed by all partners on 2026-12-08"}
    out = tmp_path / "c.xlsx"
    merge([folder], ledger=ledger, output=out, period="2026-11", config=config, today=TODAY)
    assert rows_of(out, "Dashboard")[3][1] == "Agreed by all partners on 2026-12-08"


def test_a_ledger_without_signoff_tables_gains_them(tmp_path: Path) -> None:
    ledger = tmp_path / "old.sqlite"
    Ledger(ledger).close()
    import sqlite3

    with sqlite3.connect(ledger) as conn:
        conn.execute("DROP TABLE signoff_agreements")
        conn.execute("DROP TABLE signoffs")
    with Ledger(ledger) as led:
        notes = [m["note"] for m in led.migrations()]
        assert led.signoffs("X") == []
    assert notes[-1] == "added tables signoffs, signoff_agreements"


def test_record_on_postgresql(postgres_database: str, tmp_path: Path) -> None:
    build_month(tmp_path, postgres_database)
    config = load_config(tmp_path / "rmp.toml")
    made, count = write_signoff_templates(postgres_database, "2026-11", tmp_path / "so",
                                          config=config)  # fmt: skip
    assert count == 2
    filled = [
        fill_signoff(made[0], tmp_path / "r" / "n.xlsx", {"D1": (90, "Recount")}),
        fill_signoff(made[1], tmp_path / "r" / "c.xlsx", {"D1": (90, "Recount")},
                     ("Tom Becker", dt.datetime(2026, 12, 4), "Yes")),
    ]  # fmt: skip
    report = record_signoffs(filled, postgres_database, config=config, today=TODAY)
    assert [f.status for f in report.files] == ["recorded", "recorded"]
    assert report.lines == {"2026-11": "Agreed by all partners on 2026-12-04"}
    with Ledger(postgres_database) as led:
        c = consolidated_view(led, RELATIONSHIP_ID, "2026-11", config=config)
        signed = led.signoffs(RELATIONSHIP_ID, "2026-11")
    assert {s.partner for s in signed} == {NORTH, CONTOSO}
    assert c.tables["kpis"].set_index("kpi_id").loc["K01", "actual"] == 90.0
    assert c.discrepancies.iloc[0]["rule"].startswith(f"Agreed 2026-12-04 by {NORTH}, {CONTOSO}")


def test_the_sample_partners_sign_off(tmp_path: Path) -> None:
    """``rmp demo``'s partners settle the first discrepancies at the reconciled value."""
    from rmp_workbook.sample.signoff import sign_off

    ledger = tmp_path / "l.sqlite"
    build_month(tmp_path, ledger)
    config = load_config(tmp_path / "rmp.toml")
    made, report = sign_off(ledger, config, "2026-11", tmp_path / "signoff", on=TODAY)
    assert [p.name for p in made] == ["signoff-northwind-ltd-2026-11.xlsx",
                                      "signoff-contoso-plc-2026-11.xlsx"]  # fmt: skip
    assert [(f.status, len(f.agreements)) for f in report.files] == [("recorded", 2)] * 2
    assert report.lines == {"2026-11": "Agreed by all partners on 2026-12-10"}
    with Ledger(ledger) as led:
        c = consolidated_view(led, RELATIONSHIP_ID, "2026-11", config=config)
    assert list(c.discrepancies["reconciled"]) == [91.5, 4]
    assert all(r.startswith("Agreed 2026-12-10 by") for r in c.discrepancies["rule"])
