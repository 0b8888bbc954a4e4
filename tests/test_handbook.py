"""``rmp handbook``: the agreed plan as a PDF, read back with poppler's pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import merge_sample, run_rmp

from rmp_workbook.handbook import handbook_blocks
from rmp_workbook.report import consolidated_from_ledger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return merge_sample(tmp_path_factory.mktemp("handbook"))


def test_blocks_follow_the_plan(ledger: Path) -> None:
    c = consolidated_from_ledger(ledger, "2026-11")
    blocks = handbook_blocks(c)
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert headings == [
        "Scope", "Drivers and objectives", "Contractual arrangements",
        "Shared systems and services", "Management structure", "Contacts and escalation",
        "Life-cycle stages and next steps", "Development needs", "Information sharing",
        "Communications plan", "Value creation", "Exit and continuity plan", "Risks", "Actions",
    ]  # fmt: skip
    tables = [b for b in blocks if b.kind == "table"]
    stages = next(t for t in tables if t.rows[0][0] == "Stage")
    assert len(stages.rows) == 9 and stages.rows[1][0] == "Awareness"
    development = next(t for t in tables if t.rows[0][0] == "Need ID")
    assert [r[0] for r in development.rows[1:]] == ["D02", "D03"], "Met needs are left out"
    contacts = next(t for t in tables if t.rows[0][0] == "Name")
    assert contacts.rows[1][-1] == "3", "the executive sponsors come first"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler's pdftotext")
def test_pdf_reads_as_the_plan(ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "rmp.pdf"
    proc = run_rmp("handbook", "--ledger", str(ledger), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    for words in ("Scope", "Contacts and escalation", "Exit and continuity plan",
                  "Supplier portal training", "NWC-2026 · 2026-11 · page 1"):  # fmt: skip
        assert words in text, words


def test_help_ends_with_an_example() -> None:
    proc = run_rmp("handbook", "--help")
    assert proc.returncode == 0
    assert "rmp handbook --ledger rmp-ledger.sqlite --period 2026-11 -o rmp.pdf" in proc.stdout
