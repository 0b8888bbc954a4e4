"""A workbook for another month, or from an organisation that is not a partner, is refused.

Real workbooks written by the template code and filled through openpyxl, over several
months of a relationship whose partners change (dated membership in the config).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import run_rmp
from fill import RELATIONSHIP_ID, fill, make_template
from months import config_text, member
from test_merge import CONTOSO, NORTH, TODAY, counts, kpi, workbook

from rmp_workbook.config import RelationshipConfig, load_config
from rmp_workbook.ledger import Ledger
from rmp_workbook.merge import merge

FABRIKAM = "Fabrikam Services"
LITWARE = "Litware Inc"

CONFIG = config_text(
    member(NORTH, email="aisha.khan@northwind.example"),
    member(CONTOSO, joined=dt.date(2026, 1, 1)),
    member(FABRIKAM, joined="2026-01", left=dt.date(2026, 8, 1)),
    member(LITWARE, joined=dt.date(2026, 8, 17)),
    kpis=[],
    id=RELATIONSHIP_ID,
    due="working day 5",
)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "rmp.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def config(config_file: Path) -> RelationshipConfig:
    return load_config(config_file)


def reused(folder: Path, partner: str, old_period: str, name: str) -> Path:
    """Last month's workbook opened again, new figures typed, saved under this month's name:
    its Reporting period (and the hidden metadata) still say the old month."""
    path = workbook(folder, partner, old_period, name=name,
                    kpis=[kpi("K01", old_period, 70.0), kpi("K02", old_period, 9)])  # fmt: skip
    return path


def test_config_membership_and_due_dates(config: RelationshipConfig) -> None:
    assert [p.name for p in config.members("2026-07")] == [NORTH, CONTOSO, FABRIKAM]
    # Litware joined mid-August: it reports for August; Fabrikam left on 1 August: it does not.
    assert [p.name for p in config.members("2026-08")] == [NORTH, CONTOSO, LITWARE]
    # November's workbooks are due on the fifth working day of December (Mon 7 Dec 2026).
    assert config.due_date("2026-11") == dt.date(2026, 12, 7)
    assert config.partner("  northwind LTD") is not None
    old = RelationshipConfig.model_validate({"id": "X", "name": "Y", "partners": [{"name": "A"}]})
    assert old.members("1999-01")[0].name == "A" and old.due_date("2026-11") is None


def test_wrong_period_is_refused_and_ledger_untouched(
    config: RelationshipConfig, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    june = tmp_path / "2026-06"
    for p in (NORTH, CONTOSO, FABRIKAM):
        workbook(june, p, "2026-06")
    first = merge([june], ledger=ledger, output=tmp_path / "c6.xlsx", period="2026-06",
                  config=config, today=TODAY)  # fmt: skip
    assert first.exit_code == 0, first.to_dict()["skipped"]
    before = counts(ledger)

    july = tmp_path / "2026-07"
    workbook(july, CONTOSO, "2026-07")
    workbook(july, FABRIKAM, "2026-07")
    wrong = reused(july, NORTH, "2026-06", "northwind-2026-07.xlsx")
    result = merge([july], ledger=ledger, output=tmp_path / "c7.xlsx", period="2026-07",
                   config=config, today=TODAY)  # fmt: skip
    assert result.exit_code == 1
    skipped = {Path(s.path).name: s for s in result.skipped}
    assert skipped["northwind-2026-07.xlsx"].code == "wrong-period"
    reason = skipped["northwind-2026-07.xlsx"].reason
    assert "'2026-06'" in reason and "2026-07" in reason
    problems = [
        f for f in result.report.findings if f.code == "wrong-period" and f.file == str(wrong)
    ]
    assert [(f.sheet, f.cell) for f in problems] == [("Relationship", "B5")]
    ws = openpyxl.load_workbook(wrong)["Relationship"]
    assert ws["A5"].value == "Reporting period" and ws["B5"].value == "2026-06"
    # Only Contoso's and Fabrikam's July workbooks reached the ledger; Northwind's June one
    # is still the current June workbook, not superseded by the re-used file.
    after = counts(ledger)
    assert after["submissions"] == before["submissions"] + 2
    with Ledger(ledger) as led:
        june_subs = led.submissions_frame(RELATIONSHIP_ID, "2026-06")
        north = june_subs[june_subs["partner"] == NORTH]
        assert north["status"].tolist() == ["current"]
        assert north["file"].tolist() == ["northwind-2026-06.xlsx"]
    c = result.consolidated
    assert c is not None and sorted(c.partners) == [CONTOSO, FABRIKAM]
    assert len(c.expected_partners) == 3


def test_a_relationship_id_retyped_in_other_case_merges_under_the_configs_id(
    config: RelationshipConfig, tmp_path: Path
) -> None:
    """A partner who retypes the Relationship ID in lower case, with spaces, is still of
    this relationship: `rmp validate` accepts it, so the merge does too, and the ledger
    records the workbook under the config's spelling (never a second relationship)."""
    june = tmp_path / "2026-06"
    for p in (NORTH, CONTOSO, FABRIKAM):
        workbook(june, p, "2026-06")
    retyped = june / "northwind-2026-06.xlsx"
    wb = openpyxl.load_workbook(retyped)
    ws = wb["Relationship"]
    (cell,) = [
        row[1] for row in ws.iter_rows(min_row=1, max_col=2) if row[0].value == "Relationship ID"
    ]
    cell.value = f"  {RELATIONSHIP_ID.lower()} "
    wb.save(retyped)
    result = merge([june], ledger=tmp_path / "l.sqlite", output=tmp_path / "c.xlsx",
                   period="2026-06", config=config, today=TODAY)  # fmt: skip
    assert not result.skipped, result.to_dict()["skipped"]
    assert sorted(Path(p).name for p in result.merged) == sorted(
        p.name for p in june.glob("[!.]*.xlsx")
    )
    with Ledger(tmp_path / "l.sqlite") as led:
        subs = led.submissions_frame(RELATIONSHIP_ID, "2026-06")
        assert sorted(subs["partner"]) == sorted([NORTH, CONTOSO, FABRIKAM])
        assert led.relationships()["relationship_id"].tolist() == [RELATIONSHIP_ID]


def test_unknown_and_departed_partners_are_refused(
    config: RelationshipConfig, tmp_path: Path
) -> None:
    ledger = tmp_path / "l.sqlite"
    aug = tmp_path / "2026-08"
    workbook(aug, NORTH, "2026-08")
    workbook(aug, CONTOSO, "2026-08")
    workbook(aug, LITWARE, "2026-08")
    workbook(aug, FABRIKAM, "2026-08")  # left on 1 August
    workbook(aug, "Acme Corp", "2026-08")  # never a partner
    # A partner typed in other case on the sheet of a blank made without the config.
    blank = make_template(tmp_path / "blank.xlsx", partner="contoso PLC", period="2026-08")
    fill(blank, aug / "contoso-late.xlsx", rows={"KPIs": [kpi("K01", "2026-08", 88.0)]})
    result = merge([aug], ledger=ledger, output=tmp_path / "c.xlsx", period="2026-08",
                   config=config, today=TODAY)  # fmt: skip
    skipped = {Path(s.path).name: s for s in result.skipped}
    assert {n: s.code for n, s in skipped.items()} == {
        "acme-2026-08.xlsx": "unknown-partner",
        "fabrikam-2026-08.xlsx": "unknown-partner",
    }
    assert "left 2026-08-01" in skipped["fabrikam-2026-08.xlsx"].reason
    assert LITWARE in skipped["acme-2026-08.xlsx"].reason
    assert result.exit_code == 1
    c = result.consolidated
    assert c is not None
    # Never "5 of 4": the view has the three current partners, expected three.
    assert sorted(c.partners) == sorted([NORTH, CONTOSO, LITWARE])
    assert sorted(c.expected_partners) == sorted([NORTH, CONTOSO, LITWARE])
    with Ledger(ledger) as led:
        subs = led.submissions_frame(RELATIONSHIP_ID, "2026-08")
    assert sorted(set(subs["partner"])) == sorted([NORTH, CONTOSO, LITWARE])
    # A workbook from a partner for a month it was a member of is still accepted later.
    late = tmp_path / "late"
    workbook(late, FABRIKAM, "2026-07")
    again = merge([late], ledger=ledger, output=tmp_path / "c2.xlsx", config=config, today=TODAY)
    assert again.exit_code == 0 and again.merged


def test_rmp_validate_period_and_config(config_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    workbook(folder, NORTH, "2026-07")
    reused(folder, CONTOSO, "2026-06", "contoso-2026-07.xlsx")
    workbook(folder, "Acme Corp", "2026-07")
    proc = run_rmp("validate", str(folder), "--period", "2026-07", "--config", str(config_file),
                   "--json")  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    files = {Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
    codes = {
        n: [p["code"] for p in f["problems"] if p["severity"] == "error"] for n, f in files.items()
    }
    assert codes == {
        "acme-2026-07.xlsx": ["unknown-partner"],
        "contoso-2026-07.xlsx": ["wrong-period"],
        "northwind-2026-07.xlsx": [],
    }
    text = run_rmp("validate", str(folder / "contoso-2026-07.xlsx"), "--period", "2026-07")
    assert text.returncode == 1
    assert "[wrong-period] Reporting period: '2026-06' is another month than 2026-07" in text.stdout
    # Without --period or --config nothing changes: the files are valid as they are.
    plain = run_rmp("validate", str(folder))
    assert plain.returncode == 0, plain.stdout
    bad = run_rmp("validate", str(folder), "--period", "July")
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr


def test_cli_merge_reports_wrong_period(config_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    workbook(folder, NORTH, "2026-07")
    reused(folder, CONTOSO, "2026-06", "contoso-2026-07.xlsx")
    shutil.copy(folder / "contoso-2026-07.xlsx", folder / "contoso-copy.xlsx")
    out = tmp_path / "c.xlsx"
    proc = run_rmp("merge", str(folder), "--period", "2026-07", "--config", str(config_file),
                   "--ledger", str(tmp_path / "l.sqlite"), "-o", str(out), "--json")  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert sorted((Path(s["path"]).name, s["code"]) for s in data["skipped"]) == [
        ("contoso-2026-07.xlsx", "wrong-period"),
        ("contoso-copy.xlsx", "wrong-period"),
    ]
    assert data["summary"]["recorded"] == 1


def test_templates_only_for_the_months_members(config: RelationshipConfig, tmp_path: Path) -> None:
    from rmp_workbook.template import write_partner_templates

    july = write_partner_templates(tmp_path / "07", config, "2026-07")
    august = write_partner_templates(tmp_path / "08", config, "2026-08")
    assert [p.name for p in july] == [
        "northwind-ltd-2026-07.xlsx", "contoso-plc-2026-07.xlsx", "fabrikam-services-2026-07.xlsx",
    ]  # fmt: skip
    assert [p.name for p in august] == [
        "northwind-ltd-2026-08.xlsx", "contoso-plc-2026-08.xlsx", "litware-inc-2026-08.xlsx",
    ]  # fmt: skip


def test_one_folder_for_every_month(config: RelationshipConfig, tmp_path: Path) -> None:
    """Last month's workbooks, merged last month, stay in the folder: --period leaves them be."""
    ledger = tmp_path / "l.sqlite"
    returned = tmp_path / "returned"
    for p in (NORTH, CONTOSO):
        workbook(returned, p, "2026-06")
    june = merge([returned], ledger=ledger, output=tmp_path / "c6.xlsx", period="2026-06",
                 config=config, today=TODAY)  # fmt: skip
    assert june.exit_code == 0
    for p in (NORTH, CONTOSO):
        workbook(returned, p, "2026-07")
    july = merge([returned], ledger=ledger, output=tmp_path / "c7.xlsx", period="2026-07",
                 config=config, today=TODAY)  # fmt: skip
    assert july.exit_code == 0, july.to_dict()["skipped"]
    assert july.summary()["earlier_months"] == 2 and july.summary()["recorded"] == 2
    # A June workbook never merged is still refused when July is merged.
    reused(returned, FABRIKAM, "2026-06", "fabrikam-2026-07.xlsx")
    again = merge([returned], ledger=ledger, output=tmp_path / "c7.xlsx", period="2026-07",
                  config=config, today=TODAY)  # fmt: skip
    assert [(Path(s.path).name, s.code) for s in again.skipped] == [
        ("fabrikam-2026-07.xlsx", "wrong-period")
    ]


def test_a_partner_who_left_and_still_owns_items_is_a_gap(
    config: RelationshipConfig, tmp_path: Path
) -> None:
    aug = tmp_path / "2026-08"
    kpis = [kpi("K01", "2026-08", 91.5), kpi("K02", "2026-08", 4, Owner=FABRIKAM)]
    workbook(aug, NORTH, "2026-08", kpis=kpis)
    workbook(aug, CONTOSO, "2026-08", kpis=kpis)
    result = merge([aug], ledger=tmp_path / "l.sqlite", output=tmp_path / "c.xlsx",
                   period="2026-08", config=config, today=TODAY)  # fmt: skip
    c = result.consolidated
    assert c is not None and c.former_partners == {FABRIKAM: "2026-08-01"}
    (gap,) = [g for g in c.gaps if g.rule == "partner-left-open-items"]
    assert gap.item == f"{FABRIKAM} left on 2026-08-01" and gap.value == "K02 Defects"
    assert gap.severity == "Amber"
    # Not a gap in July, when Fabrikam was still a partner.
    jul = tmp_path / "2026-07"
    workbook(jul, NORTH, "2026-07", kpis=[kpi("K02", "2026-07", 4, Owner=FABRIKAM)])
    july = merge([jul], ledger=tmp_path / "l7.sqlite", output=tmp_path / "c7.xlsx",
                 period="2026-07", config=config, today=TODAY)  # fmt: skip
    assert july.consolidated is not None
    assert not [g for g in july.consolidated.gaps if g.rule == "partner-left-open-items"]
