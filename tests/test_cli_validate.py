"""``rmp validate`` as a user runs it: output, --json fields and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_rmp
from fill import fill_bad, fill_good, make_template


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cli-validate")
    template = make_template(tmp / "template.xlsx")
    fake = tmp / "fake.xlsx"
    fake.write_text("this is a text file\n")
    return {
        "good": fill_good(template, tmp / "good.xlsx"),
        "bad": fill_bad(template, tmp / "bad.xlsx"),
        "fake": fake,
    }


def test_good_file_exits_0(books: dict[str, Path]) -> None:
    proc = run_rmp("validate", str(books["good"]))
    assert proc.returncode == 0, proc.stderr
    assert f"{books['good']} (Northwind Ltd, 2026-11): OK" in proc.stdout
    assert "\x1b[" not in proc.stdout, "no colours when not on a terminal"


def test_bad_file_exits_1_grouped_by_sheet(books: dict[str, Path]) -> None:
    proc = run_rmp("validate", str(books["bad"]))
    assert proc.returncode == 1 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("14 errors, 6 warnings")  # 3 of them: incomplete
    risks = lines.index("  Risks")
    assert lines[risks + 1].split()[:3] == ["D3", "error", "[type-error]"]
    assert "  Health check" in lines and "Traceback" not in proc.stdout


def test_json_has_every_documented_field(books: dict[str, Path]) -> None:
    proc = run_rmp("validate", str(books["good"]), str(books["bad"]), "--json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    good, bad = data["files"]
    assert (good["path"], good["valid"], good["partner"], good["period"]) == (
        str(books["good"]), True, "Northwind Ltd", "2026-11"
    )  # fmt: skip
    assert bad["valid"] is False and bad["errors"] == 14 and bad["warnings"] == 6
    problem = next(p for p in bad["problems"] if p["cell"] == "E4")
    assert problem == {
        "code": "out-of-range",
        "severity": "error",
        "file": str(books["bad"]),
        "sheet": "Risks",
        "cell": "E4",
        "ref": "Risks!E4",
        "column": "Impact",
        "row": 4,
        "value": 7,
        "message": problem["message"],
    }
    assert data["summary"] == {
        "files": 2, "valid": 1, "invalid": 1, "unreadable": 0, "skipped": 0, "errors": 14,
        "warnings": 6, "no_input": [], "exit_code": 1,
    }  # fmt: skip


def test_text_file_named_xlsx_exits_2_with_one_line(books: dict[str, Path]) -> None:
    proc = run_rmp("validate", str(books["fake"]))
    assert proc.returncode == 2
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"{books['fake']}: This file is not an RMP workbook: ")
    assert "not a spreadsheet" in first
    assert "Traceback" not in proc.stdout + proc.stderr


def test_misuse_exits_2(tmp_path: Path) -> None:
    assert run_rmp("validate").returncode == 2
    proc = run_rmp("validate", str(tmp_path))
    assert proc.returncode == 2 and "no workbook to check here" in proc.stdout
    proc = run_rmp("validate", str(tmp_path / "missing.xlsx"), "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["summary"]["no_input"]


def test_help_documents_exit_codes_and_an_example() -> None:
    proc = run_rmp("validate", "--help")
    assert proc.returncode == 0
    for text in ("0  every workbook is valid", "1  some workbook has errors", "2  some input",
                 "Example:", "rmp validate "):  # fmt: skip
        assert text in proc.stdout
    assert "validate" in run_rmp("--help").stdout


@pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")
def test_validate_with_a_config_flags_a_kpi_it_does_not_agree_as_merge_does(
    tmp_path: Path,
) -> None:
    """`rmp validate --config` warns kpi-not-agreed at the same cell `rmp merge --config`
    lists on the Data quality sheet: one function decides it for both. An agreed KPI in
    other case is agreed; a not-agreed KPI's row for an earlier month is not this month's."""
    import openpyxl
    from months import CO, NW, Relationship
    from test_registers import AGREED

    rel = Relationship(tmp_path / "rel", AGREED)
    rel.returned("2026-09", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 96},
                                          {"KPI ID": "K02", "Actual": 4}]})  # fmt: skip
    extra = {"KPI": "Smiles", "Unit": "count", "Direction": "Higher is better", "Actual": 3}
    book = rel.returned("2026-09", CO, {"KPIs": [
        {"KPI ID": "K01", "Actual": 96},
        {"KPI ID": "K77", "Period": "2026-09", **extra},
        {"KPI ID": " k01 ", "KPI": "On-time delivery", "Unit": "%",
         "Direction": "Higher is better", "Period": "2026-08", "Actual": 95},
        {"KPI ID": "K88", "Period": "2026-08", **extra},
    ]})  # fmt: skip

    def not_agreed(*args: str) -> list[tuple[str, str, str]]:
        proc = run_rmp("validate", str(book), "--config", str(rel.config_path), *args, "--json")
        assert proc.returncode == 0, proc.stdout + proc.stderr  # a warning only
        (file,) = json.loads(proc.stdout)["files"]
        return [(p["sheet"], p["cell"], p["severity"]) for p in file["problems"]
                if p["code"] == "kpi-not-agreed"]  # fmt: skip

    assert not_agreed() == not_agreed("--period", "2026-09") == [("KPIs", "A3", "warning")]
    # Without a config nothing is agreed or not.
    proc = run_rmp("validate", str(book), "--json")
    assert "kpi-not-agreed" not in proc.stdout

    september = rel.merge("2026-09")
    assert september.output is not None
    quality = openpyxl.load_workbook(september.output)["Data quality"]
    header = [c.value for c in quality[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True))
            for r in quality.iter_rows(min_row=2)]  # fmt: skip
    assert [(r["Sheet"], r["Cell"], r["Severity"]) for r in rows
            if r["Code"] == "kpi-not-agreed"] == [("KPIs", "A3", "warning")]  # fmt: skip
