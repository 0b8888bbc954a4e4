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
