"""Outputs get the permissions any file the user creates gets (the umask), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fill import make_template

from rmp_workbook.atomic import atomic_output, safe_file_name, user_file_mode
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


# ------------------------------------------------ an interrupted write keeps the old output


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_an_interrupted_report_pdf_keeps_the_previous_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consolidated_factory import make_consolidated
    from matplotlib.figure import Figure

    from rmp_workbook.report import FILES, write_report

    out = tmp_path / "report"
    write_report(make_consolidated(), out)
    pdf = out / FILES["summary"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert before[pdf.name].startswith(b"%PDF")
    real = Figure.savefig

    def half_a_pdf(self: Figure, fname: object, *args: object, **kwargs: object) -> None:
        if str(fname).endswith(".pdf"):
            Path(str(fname)).write_bytes(b"%PDF-1.4 half")  # the crash comes mid-file
            raise OSError("disk full")
        real(self, fname, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Figure, "savefig", half_a_pdf)
    with pytest.raises(OSError, match="disk full"):
        write_report(make_consolidated(), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()}.keys() == before.keys()
    assert pdf.read_bytes() == before[pdf.name]
    assert _temporaries(out) == []


def test_an_interrupted_rmp_template_keeps_the_previous_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from xlsxwriter.workbook import Workbook

    from rmp_workbook.cli import cli

    target = tmp_path / "nw.xlsx"
    args = ["template", "--relationship", "Alliance", "--partner", "Northwind Ltd",
            "--period", "2026-11", "-o", str(target)]  # fmt: skip
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    before = target.read_bytes()
    assert openpyxl.load_workbook(target)["Relationship"]  # a real workbook to lose

    def crash_while_zipping(self: Workbook) -> None:
        Path(self.filename).write_bytes(before[: len(before) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "close", crash_while_zipping)
    second = CliRunner().invoke(cli, [*args[:-2], "--relationship-id", "other", "-o", str(target)])
    assert second.exit_code != 0
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["nw.xlsx"]


# ------------------------------------------------ names that are safe on every system

DEVICES = ["CON", "PRN", "AUX", "NUL", "COM1", "LPT1", "con", "Nul", "com9", "lpt3"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("tail", ["", ".xlsx", ".feedback.xlsx", " .txt", ".", " "])
def test_a_device_name_never_names_the_device(device: str, tail: str) -> None:
    name = safe_file_name(device + tail)
    base = name.split(".")[0].rstrip(" ").upper()
    assert base != device.upper() and base.startswith(device.upper())
    assert not name.endswith((".", " "))
    assert name.endswith(tail.strip(" ").rstrip("."))


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ('a<b>c:d"e/f\\g|h?i*j.xlsx', "a_b_c_d_e_f_g_h_i_j.xlsx"),
        ("report. . ", "report"),
        ("notes .", "notes"),
        ("..", "file"),
        ("", "file"),
        ("tab\there.eml", "tab_here.eml"),
        ("console.xlsx", "console.xlsx"),  # only the exact device name is reserved
        ("com10.xlsx", "com10.xlsx"),
        ("Northwind Ltd.feedback.xlsx", "Northwind Ltd.feedback.xlsx"),
    ],
)
def test_safe_file_name(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


@pytest.mark.parametrize("partner", ["CON", "prn", "Aux.", "NUL ", "COM1", "lpt1", 'a<>:"/\\|?*'])
def test_names_from_partners_are_safe(partner: str) -> None:
    from rmp_workbook.feedback import feedback_path
    from rmp_workbook.mail import Kind, draft_file_name
    from rmp_workbook.signoff import signoff_file_name
    from rmp_workbook.template import template_file_name

    names = [
        template_file_name(partner, "2026-11"),
        template_file_name(partner, ""),
        signoff_file_name(partner, "2026-11"),
        draft_file_name(partner, "2026-11", Kind.TEMPLATES),
        feedback_path(Path(f"{partner}.xlsx"), "out").name,
    ]
    for name in names:
        assert name == safe_file_name(name), name
        assert name.split(".")[0].rstrip(" ").upper() not in {
            "CON", "PRN", "AUX", "NUL", "COM1", "LPT1"
        }, name  # fmt: skip
        assert not set(name) & set('<>:"/\\|?*'), name


def test_a_feedback_copy_of_con_xlsx_is_written_under_a_safe_name(tmp_path: Path) -> None:
    template = make_template(tmp_path / "con.xlsx", partner="CON")
    wb = openpyxl.load_workbook(template)
    wb["Risks"]["A2"], wb["Risks"]["B2"], wb["Risks"]["D2"], wb["Risks"]["E2"] = "R01", "Late", 9, 2
    wb.save(template)
    report = validate_paths([template])
    out = write_feedback(template, report.findings, tmp_path / "feedback")
    assert out.name == "con_.feedback.xlsx"
    assert openpyxl.load_workbook(out).sheetnames
