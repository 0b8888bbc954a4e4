"""What careless partners do to a real template, and what rmp makes of it.

Each test writes the template, changes it with openpyxl as a person would (types 91%,
renames a sheet or a header, mistypes a drop-down, writes a note under a table), and
validates it: the figures read are the ones meant, and every guess is a finding that
names what was found.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import convert
from fill import GOOD_FORM, fill, make_template

from rmp_workbook.validate import validate_paths

KPI = {"KPI ID": "K01", "KPI": "On-time delivery", "Unit": "%", "Direction": "Higher is better",
       "Target": 95, "Amber threshold": 90, "Period": "2026-11"}  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("mistakes") / "template.xlsx")


def _records(path: Path, sheet: str) -> list[dict[str, object]]:
    [result] = validate_paths([path]).files
    assert result.submission is not None
    return [r.values for r in result.submission.records.get(sheet, [])]


def _findings(path: Path) -> list[tuple[str, str, str]]:
    """The findings of a workbook, less the incomplete warnings (sheets not filled in here)."""
    found = validate_paths([path]).flatten(("sheet", "cell", "code"))
    return [f for f in found if f[2] != "incomplete"]


def _messages(path: Path) -> dict[str, str]:
    return {
        f"{s}!{c}": m for s, c, m in validate_paths([path]).flatten(("sheet", "cell", "message"))
    }


# --- 91% ----------------------------------------------------------------------------------------


def _typed_as_percent(template: Path, out: Path) -> Path:
    """KPI Actuals typed as 91% and 100%: Excel stores 0.91 and 1 with a percentage format."""
    rows = [{**KPI, "Actual": 0.91}, {**KPI, "KPI ID": "K02", "Actual": 1},
            {**KPI, "KPI ID": "K03", "Actual": 0.93}]  # fmt: skip
    fill(template, out, form=GOOD_FORM, rows={"KPIs": rows})
    wb = openpyxl.load_workbook(out)
    wb["KPIs"]["H2"].number_format = "0%"
    wb["KPIs"]["H3"].number_format = "0.0%"
    wb.save(out)  # H4 keeps the column's number format: 0.93 typed as 0.93
    return out


def test_a_percentage_typed_as_91_percent_reads_91_without_a_warning(
    template: Path, tmp_path: Path
) -> None:
    path = _typed_as_percent(template, tmp_path / "pct.xlsx")
    actual = {r["kpi_id"]: r["actual"] for r in _records(path, "kpis")}
    assert actual == {"K01": 91, "K02": 100, "K03": 93}
    # Only the figure typed as a fraction (0.93) is a guess, and it says so.
    assert _findings(path) == [("KPIs", "H4", "guessed-percent")]


def test_91_percent_reads_the_same_when_the_check_keeps_no_part(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader looks into the parts the container check kept inflated; a workbook
    beyond the kept budget has them read again from the file, with the same result."""
    from rmp_workbook import container

    path = _typed_as_percent(template, tmp_path / "pct.xlsx")
    kept = container.check_container(path)
    assert "xl/styles.xml" in kept.kept and kept.sheet_parts["KPIs"] in kept.kept
    monkeypatch.setattr(container, "KEPT_BYTES", 0)
    assert container.check_container(path).kept == {}
    actual = {r["kpi_id"]: r["actual"] for r in _records(path, "kpis")}
    assert actual == {"K01": 91, "K02": 100, "K03": 93}
    assert _findings(path) == [("KPIs", "H4", "guessed-percent")]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["ods", "xlsx:Calc MS Excel 2007 XML"])
def test_91_percent_survives_libreoffice(
    template: Path, tmp_path: Path, soffice: str, fmt: str
) -> None:
    path = convert(
        soffice, _typed_as_percent(template, tmp_path / "pct.xlsx"), fmt, tmp_path / "lo"
    )
    actual = {r["kpi_id"]: r["actual"] for r in _records(path, "kpis")}
    assert actual == {"K01": 91, "K02": 100, "K03": 93}
    assert _findings(path) == [("KPIs", "H4", "guessed-percent")]


# --- Renamed sheets and headers -----------------------------------------------------------------


def test_a_renamed_sheet_is_read_with_a_warning(template: Path, tmp_path: Path) -> None:
    path = fill(template, tmp_path / "r.xlsx", form=GOOD_FORM, rows={
        "Successes": [{"Date": "2026-11-12", "Success": "First joint bid won"}],
        "KPIs": [{**KPI, "Actual": 91}],
    })  # fmt: skip
    wb = openpyxl.load_workbook(path)
    wb["Successes"].title = "Successes Dec"
    wb["KPIs"].title = "KPI's"
    wb.save(path)
    assert sorted(_findings(path)) == [("KPI's", "", "renamed-sheet"),
                                       ("Successes Dec", "", "renamed-sheet")]  # fmt: skip
    assert "read as the sheet 'Successes'" in _messages(path)["Successes Dec!"]
    assert [r["success"] for r in _records(path, "successes")] == ["First joint bid won"]
    assert [r["actual"] for r in _records(path, "kpis")] == [91]


def test_an_ambiguous_renamed_sheet_is_missing_with_both_named(
    template: Path, tmp_path: Path
) -> None:
    path = fill(template, tmp_path / "r.xlsx", form=GOOD_FORM)
    wb = openpyxl.load_workbook(path)
    wb["Successes"].title = "Successes Nov"
    wb.copy_worksheet(wb["Successes Nov"]).title = "Successes Dec"
    wb.save(path)
    assert _findings(path) == [("Successes", "", "missing-sheet")]
    message = _messages(path)["Successes!"]
    assert "Did you mean 'Successes Nov' or 'Successes Dec'?" in message


def test_a_renamed_header_is_read_with_a_warning(template: Path, tmp_path: Path) -> None:
    path = fill(
        template, tmp_path / "h.xlsx", form=GOOD_FORM, rows={"KPIs": [{**KPI, "Actual": 92}]}
    )
    wb = openpyxl.load_workbook(path)
    wb["KPIs"]["H1"] = "Actual (Dec)"
    wb.save(path)
    assert _findings(path) == [("KPIs", "H1", "renamed-column")]
    assert "'Actual (Dec)'" in _messages(path)["KPIs!H1"]
    assert "'Actual'" in _messages(path)["KPIs!H1"]
    assert [r["actual"] for r in _records(path, "kpis")] == [92]


def test_two_headers_that_may_be_one_column_are_named_not_read(
    template: Path, tmp_path: Path
) -> None:
    path = fill(
        template, tmp_path / "h.xlsx", form=GOOD_FORM, rows={"KPIs": [{**KPI, "Actual": 92}]}
    )
    wb = openpyxl.load_workbook(path)
    wb["KPIs"]["H1"] = "Actual Nov"
    wb["KPIs"]["K1"] = "Actual Dec"
    wb.save(path)
    found = _findings(path)
    assert ("KPIs", "", "missing-column") in found
    assert "Did you mean 'Actual Nov' or 'Actual Dec'?" in _messages(path)["KPIs!"]


# --- Drop-down typos ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("Compelte", "Complete"), ("Completed", "Complete"), ("in prog", "In progress"),
     ("Ni started", "Not started")],
)  # fmt: skip
def test_every_drop_down_typo_gets_a_did_you_mean(
    template: Path, tmp_path: Path, typed: str, meant: str
) -> None:
    path = fill(template, tmp_path / "d.xlsx", form=GOOD_FORM, rows={
        "Stages": [{"Stage": "Awareness", "Status": typed, "Progress %": 1}],
        "Bottlenecks": [{"Bottleneck ID": "B01", "Problem": "Slow approvals", "Impact": "Hihg"}],
    })  # fmt: skip
    assert sorted(_findings(path)) == [("Bottlenecks", "D2", "not-in-list"),
                                       ("Stages", "B2", "not-in-list")]  # fmt: skip
    messages = _messages(path)
    assert f"Did you mean '{meant}'?" in messages["Stages!B2"]
    assert (
        "Pick one of: Not started, In progress, Complete, Not applicable." in messages["Stages!B2"]
    )
    assert "Did you mean 'High'?" in messages["Bottlenecks!D2"]


def test_a_renamed_stage_gets_a_did_you_mean(template: Path, tmp_path: Path) -> None:
    path = fill(template, tmp_path / "s.xlsx", form=GOOD_FORM)
    wb = openpyxl.load_workbook(path)
    ws = wb["Stages"]
    ws.protection.sheet = False
    ws["A6"] = "Working togther"
    ws["B6"] = "In progress"
    wb.save(path)
    assert _findings(path) == [("Stages", "A6", "not-in-list")]
    assert "Did you mean 'Working together'?" in _messages(path)["Stages!A6"]


# --- Notes under a table ------------------------------------------------------------------------


def test_a_note_under_a_table_is_a_warning_not_a_half_filled_row(
    template: Path, tmp_path: Path
) -> None:
    risk = {"Risk ID": "R01", "Risk": "Key engineer leaves", "Likelihood": 3, "Impact": 4}
    path = fill(template, tmp_path / "n.xlsx", form=GOOD_FORM, rows={"Risks": [risk]},
                appended={"Risks": [{"Risk ID": "Note: R02 was closed by the board"},
                                    {"Risk ID": "R03"}]})  # fmt: skip
    found = _findings(path)
    row = next(r for s, c, code in found if code == "note-under-table" for r in [c])
    assert ("Risks", row, "note-under-table") in found
    assert "R02 was closed" in _messages(path)[f"Risks!{row}"]
    # The ID alone on the next row is a half-filled row: reported as such, not as a note.
    assert [code for s, c, code in found if code != "note-under-table"] == ["required"] * 3
    assert [r["risk_id"] for r in _records(path, "risks")] == ["R01"]


def test_a_contact_with_only_a_name_is_a_contact_not_a_note(template: Path, tmp_path: Path) -> None:
    path = fill(template, tmp_path / "c.xlsx", form=GOOD_FORM,
                appended={"Contacts": [{"Name": "Aisha Khan"}]})  # fmt: skip
    assert _findings(path) == []
    assert [r["name"] for r in _records(path, "contacts")] == ["Aisha Khan"]


# --- Contradictions -----------------------------------------------------------------------------


def test_a_stage_status_contradicting_its_progress_is_a_warning(
    template: Path, tmp_path: Path
) -> None:
    path = fill(template, tmp_path / "c.xlsx", form=GOOD_FORM, rows={"Stages": [
        {"Stage": "Awareness", "Status": "Complete", "Progress %": 0.8},
        {"Stage": "Knowledge", "Status": "Not started", "Progress %": 0.2},
        {"Stage": "Internal assessment", "Status": "Complete", "Progress %": 1},
        {"Stage": "Partner selection", "Status": "Not started", "Progress %": 0},
    ]})  # fmt: skip
    assert sorted(_findings(path)) == [("Stages", "C2", "status-contradicts-progress"),
                                       ("Stages", "C3", "status-contradicts-progress")]  # fmt: skip
    messages = _messages(path)
    assert "'80%' contradicts the status 'Complete'" in messages["Stages!C2"]
    assert "'20%' contradicts the status 'Not started'" in messages["Stages!C3"]
    # Warnings: both rows are still recorded as typed.
    assert len(_records(path, "stages")) == 4
