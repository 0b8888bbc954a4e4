"""Row identity: ``K01``, ``k01`` and `` K01 `` are one row in every stage that matches rows.

One function (:func:`rmp_workbook.values.row_key`) decides a row's key; validation
(duplicates), reconciliation and pre-filled templates call it. Real workbooks: the
template filled through openpyxl.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fill import GOOD_FORM, PERIOD, fill, make_template

from rmp_workbook.merge import merge
from rmp_workbook.schema import SCHEMA
from rmp_workbook.template import write_template
from rmp_workbook.validate import validate_paths
from rmp_workbook.values import key_text, row_key

KPIS, CONTACTS = SCHEMA["kpis"], SCHEMA["contacts"]


@pytest.mark.parametrize("spelling", ["K01", "k01", " K01 ", "K01\u00a0", "\tk01"])
def test_every_spelling_of_a_key_is_one_key(spelling: str) -> None:
    assert row_key(KPIS, {"kpi_id": spelling, "period": "2026-11"}) == (
        "keys", ("k01", "2026-11")
    )  # fmt: skip


def test_key_cells_of_other_types_have_one_spelling() -> None:
    assert key_text(3.0) == key_text(3) == key_text("3") == "3"
    assert key_text(dt.date(2026, 11, 5)) == key_text(dt.datetime(2026, 11, 5)) == "2026-11-05"
    assert key_text(" Aisha.Khan@Example.COM ") == "aisha.khan@example.com"
    assert key_text("a @b.example", SCHEMA["contacts"].column("email").type) == "a@b.example"
    assert key_text(None) == key_text(float("nan")) == key_text("  ") == ""


def test_a_blank_key_falls_back_to_the_alternative_key_or_to_none() -> None:
    assert row_key(CONTACTS, {"name": "Ann  Lee", "email": None}) == ("alt", ("ann lee",))
    assert row_key(CONTACTS, {"name": "Ann", "email": "A@B.example"}) == (
        "keys", ("a@b.example",)
    )  # fmt: skip
    assert row_key(KPIS, {"kpi_id": "K01", "period": None}) is None
    assert row_key(SCHEMA["relationship"], {"relationship_id": "X"}) is None  # no keys


def _kpi(kpi_id: str, actual: float, period: str = PERIOD) -> dict[str, object]:
    return {"KPI ID": kpi_id, "KPI": "On-time delivery", "Unit": "%",
            "Direction": "Higher is better", "Target": 95, "Period": period,
            "Actual": actual}  # fmt: skip


def test_remembered_keys_never_stand_for_another_value() -> None:
    """The keyer remembers keys of text cells only: True == 1 in Python, yet their key
    texts differ, so neither may be answered from the other's memory."""
    from rmp_workbook.values import RowKeyer

    keyer = RowKeyer(SCHEMA["kpis"])  # a fresh one: nothing remembered yet
    assert keyer({"kpi_id": "K01", "period": "2026-11"}) == ("keys", ("k01", "2026-11"))
    assert keyer({"kpi_id": " k01", "period": "2026-11"}) == ("keys", ("k01", "2026-11"))
    assert keyer({"kpi_id": 1, "period": "2026-11"}) == ("keys", ("1", "2026-11"))
    assert keyer({"kpi_id": True, "period": "2026-11"}) == ("keys", ("True", "2026-11"))
    assert keyer({"kpi_id": 1.0, "period": "2026-11"}) == ("keys", ("1", "2026-11"))
    assert keyer({"kpi_id": ["K01"], "period": "2026-11"}) == ("keys", ("['k01']", "2026-11"))
    assert keyer({"kpi_id": None, "period": "2026-11"}) is None
    # The same answers as row_key, which every stage calls.
    for value in ("K01", 1, True, 1.0, None):
        cells = {"kpi_id": value, "period": "2026-11"}
        assert keyer(cells) == row_key(SCHEMA["kpis"], cells)


def test_a_key_typed_twice_in_other_case_is_a_duplicate(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.xlsx")
    path = fill(template, tmp_path / "dup.xlsx", form=GOOD_FORM,
                rows={"KPIs": [_kpi("K01", 91), _kpi(" k01 ", 92)]})  # fmt: skip
    report = validate_paths([path])
    dups = [(f.cell, f.note) for f in report.findings if f.code == "duplicate-key"]
    assert dups == [("A3", "first on row 2")]
    assert [r.values["actual"] for r in report.submissions[0].records["kpis"]] == [91.0]
    # The validator hands its key to the ledger, which stores it (values.stored_key).
    assert [r.key for r in report.submissions[0].records["kpis"]] == [f"k01\x1f{PERIOD}"]


def test_partners_spelling_a_risk_id_differently_share_one_risk(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for partner, risk_id, likelihood in (("Northwind Ltd", "R01", 2), ("Contoso plc", " r01", 4)):
        template = make_template(tmp_path / f"t-{partner[:4]}.xlsx", partner=partner)
        fill(template, folder / f"{partner[:4]}.xlsx", form=GOOD_FORM, rows={
            "Risks": [{"Risk ID": risk_id, "Risk": "Key engineer leaves",
                       "Likelihood": likelihood, "Impact": 4, "Status": "Open"}],
        })  # fmt: skip
    result = merge([folder], ledger=tmp_path / "l.sqlite", output=tmp_path / "c.xlsx")
    assert result.consolidated is not None
    risks = result.consolidated.tables["risks"]
    assert len(risks) == 1  # one risk, reconciled: the higher likelihood, its score
    assert (risks["likelihood"].iloc[0], risks["score"].iloc[0]) == (4, 16)


def test_a_prefilled_row_is_completed_whatever_the_key_spelling(tmp_path: Path) -> None:
    """Pre-fill: a KPI given again in other case completes the config's row, not a second."""
    from fill import RELATIONSHIP_ID, RELATIONSHIP_NAME
    from openpyxl import load_workbook

    path = write_template(
        tmp_path / "t.xlsx",
        relationship_id=RELATIONSHIP_ID,
        relationship_name=RELATIONSHIP_NAME,
        partner="Northwind Ltd",
        period=PERIOD,
        prefill={
            "kpis": [
                {"kpi_id": "K01", "kpi": "On-time delivery", "target": 95},
                {"kpi_id": " k01 ", "amber": 90},
            ]
        },
    )
    ws = load_workbook(path)["KPIs"]
    ids = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value]
    assert ids == ["K01"]
    assert (ws["E2"].value, ws["F2"].value) == (95, 90)


@pytest.mark.parametrize("ledger_from", ["this rmp", "the previous rmp"])
def test_a_kpi_spelt_otherwise_next_month_is_one_kpi_in_restatements_and_history(
    tmp_path: Path, ledger_from: str
) -> None:
    """Two months of real workbooks: October says K01, November's workbook restates October
    as ' k01 '. The ledger (also one written by the previous rmp, migrated when opened)
    finds the restatement, and `rmp history` shows one KPI, whichever spelling is asked."""
    from conftest import run_rmp
    from ledger_versions import as_version_1
    from months import CONFIG, NW, Relationship

    rel = Relationship(tmp_path / "rel", CONFIG)
    rel.returned("2026-10", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 88}]})
    october = rel.merge("2026-10").recorded
    assert october is not None and october.restatements == []
    if ledger_from == "the previous rmp":
        as_version_1(rel.ledger)
    october_again = {"KPI ID": " k01 ", "KPI": "On-time delivery", "Unit": "%",
                     "Direction": "Higher is better", "Target": 95, "Period": "2026-10",
                     "Actual": 90}  # fmt: skip
    rel.returned("2026-11", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 93}, october_again]})
    november = rel.merge("2026-11")
    assert november.recorded is not None
    (restated,) = november.recorded.restatements
    assert (restated.item_key, restated.period, restated.previous, restated.restated) == (
        "k01", "2026-10", 88.0, 90.0
    )  # fmt: skip

    for asked in ("K01", "k01"):
        proc = run_rmp("history", "--ledger", str(rel.ledger), "--kpi", asked)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout
        trend = out.split("Restatements")[0]
        assert trend.count("On-time delivery") == 1  # one KPI, not K01 and k01
        lines = [line.split() for line in out.splitlines()]
        assert ["2026-10", "90", "*"] in lines and ["2026-11", "93"] in lines
        assert "Restatements (1)" in out
