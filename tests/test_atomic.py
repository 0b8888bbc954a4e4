"""Outputs get the permissions any file the user creates gets (the umask), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fill import make_template

from rmp_workbook.atomic import atomic_output, user_file_mode
from rmp_workbook.feedback import write_feedback
from rmp_workbook.validate import validate_paths


@pytest.fixture(params=[0o022, 0o027, 0o077])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_template_and_feedback_copy_follow_the_umask(tmp_path: Path, umask: int) -> None:
    plain = tmp_path / "typed-by-hand.txt"
    plain.write_text("x")  # what any file the user creates gets
    expected = _mode(plain)
    assert expected == 0o666 & ~umask == user_file_mode()

    template = make_template(tmp_path / "northwind-2026-11.xlsx")
    assert _mode(template) == expected
    wb = openpyxl.load_workbook(template)
    wb["Risks"]["D2"] = 9  # likelihood out of range: a problem to annotate
    wb["Risks"]["A2"] = "R01"
    wb["Risks"]["B2"] = "Late"
    wb["Risks"]["E2"] = 2
    wb.save(template)
    report = validate_paths([template])
    assert report.findings
    out = write_feedback(template, report.findings, tmp_path / "feedback")
    assert _mode(out) == expected
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".~rmp-")]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
