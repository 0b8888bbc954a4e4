"""``rmp validate --feedback DIR``: annotated copies for the partners, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from conftest import run_rmp

from rmp_workbook.template import write_template


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("returned")
    write_template(
        folder / "northwind.xlsx",
        relationship_id="ACME-2026",
        relationship_name="Acme and Northwind",
        partner="Northwind Ltd",
        period="2026-11",
        prefill={"risks": [{"risk_id": "R01", "risk": "Supplier fails", "likelihood": 9,
                            "impact": 2}]},
    )  # fmt: skip
    (folder / "notes.xlsx").write_text("Risk ID,Risk\nR01,Late\n")
    return folder


def test_feedback_copies_for_files_with_problems(returned: Path, tmp_path: Path) -> None:
    out = tmp_path / "feedback"
    proc = run_rmp("validate", str(returned), "--feedback", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr  # notes.xlsx is unreadable
    assert "Traceback" not in proc.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == ["northwind.feedback.xlsx", "notes.feedback.xlsx"]
    for name in written:
        assert f"Feedback for the partner: {out / name}" in proc.stdout
    wb = openpyxl.load_workbook(out / "northwind.feedback.xlsx")
    assert wb.sheetnames[0] == "Problems"
    problems = list(wb["Problems"].iter_rows(min_row=2, values_only=True))
    [likelihood] = [r for r in problems if r[1] == "Risks" and r[3] == "Likelihood"]
    assert likelihood[0] == "Error" and likelihood[4] == "9"
    cell = wb["Risks"][likelihood[2]]
    assert cell.value == 9 and cell.comment is not None
    notes = openpyxl.load_workbook(out / "notes.feedback.xlsx")
    assert notes.sheetnames == ["Problems"]
    # The partners' files are left as they were.
    assert (returned / "notes.xlsx").read_text() == "Risk ID,Risk\nR01,Late\n"


def test_json_lists_the_feedback_files(returned: Path, tmp_path: Path) -> None:
    out = tmp_path / "fb"
    proc = run_rmp("validate", str(returned / "northwind.xlsx"), "--feedback", str(out), "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["feedback"] == [str(out / "northwind.feedback.xlsx")]
    assert Path(data["feedback"][0]).exists()


def test_no_feedback_without_the_option(returned: Path, tmp_path: Path) -> None:
    proc = run_rmp("validate", str(returned / "northwind.xlsx"), cwd=tmp_path)
    assert proc.returncode == 1
    assert "Feedback for the partner" not in proc.stdout
    assert list(tmp_path.iterdir()) == []
