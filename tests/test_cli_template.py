"""``rmp template`` and ``rmp init``: exit codes, files written, messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_rmp
from python_calamine import CalamineWorkbook

from rmp_workbook import schema
from rmp_workbook.cli import cli
from rmp_workbook.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def rmp(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def relationship_values(path: Path) -> dict[str, object]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Relationship").to_python()
    return {r[0]: r[1] for r in rows[schema.FORM_FIRST_ROW :]}


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    code, out = rmp("init", str(tmp_path / "rel"))
    assert code == 0, out
    return tmp_path / "rel" / "rmp.toml"


def test_single_workbook_with_slug_id(tmp_path: Path) -> None:
    out = tmp_path / "nw.xlsx"
    code, text = rmp(
        "template",
        "--relationship",
        "Northwind–Contoso Alliance",
        "--partner",
        "Northwind Ltd",
        "--period",
        "2026-11",
        "-o",
        str(out),
    )
    assert code == 0, text
    assert str(out) in text
    values = relationship_values(out)
    assert values["Relationship ID"] == "northwind-contoso-alliance"
    assert values["Relationship name"] == "Northwind–Contoso Alliance"
    assert values["Partner organisation"] == "Northwind Ltd"
    assert values["Reporting period"] == "2026-11"


def test_explicit_id_and_output_folder(tmp_path: Path) -> None:
    code, text = rmp(
        "template",
        "--relationship",
        "X",
        "--relationship-id",
        "REL-9",
        "--partner",
        "Acme & Sons",
        "--period",
        "2026-02",
        "-o",
        str(tmp_path) + "/",
    )
    assert code == 0, text
    out = tmp_path / "acme-sons-2026-02.xlsx"
    assert relationship_values(out)["Relationship ID"] == "REL-9"


def test_all_partners_from_config(tmp_path: Path, config_file: Path) -> None:
    config = load_config(config_file)
    code, text = rmp(
        "template",
        "--config",
        str(config_file),
        "--all",
        "--period",
        "2026-11",
        "-o",
        str(tmp_path / "out"),
    )
    assert code == 0, text
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == sorted(
        ["northwind-ltd-2026-11.xlsx", "contoso-plc-2026-11.xlsx", "fabrikam-services-2026-11.xlsx"]
    )
    for partner in config.partners:
        path = tmp_path / "out" / f"{partner.name.lower().replace(' ', '-')}-2026-11.xlsx"
        values = relationship_values(path)
        assert values["Partner organisation"] == partner.name
        assert values["Relationship ID"] == config.id
        kpis = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("KPIs").to_python()
        assert [r[0] for r in kpis[1:]] == [k.id for k in config.kpis]


def test_one_partner_from_config(tmp_path: Path, config_file: Path) -> None:
    out = tmp_path / "c.xlsx"
    code, text = rmp(
        "template",
        "--config",
        str(config_file),
        "--partner",
        "Contoso plc",
        "--period",
        "2026-12",
        "-o",
        str(out),
    )
    assert code == 0, text
    assert relationship_values(out)["Relationship ID"] == load_config(config_file).id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--relationship", "R", "--partner", "P", "--period", "2026-13"], "YYYY-MM"),
        (["--relationship", "R", "--partner", "P", "--period", "Nov 2026"], "YYYY-MM"),
        (["--relationship", "R", "--partner", "P"], "--period is required"),
        (["--relationship", "R", "--period", "2026-11"], "--partner is required"),
        (["--partner", "P", "--period", "2026-11"], "--relationship is required"),
        (["--all", "--period", "2026-11"], "--all needs --config"),
        (["--config", "missing.toml", "--partner", "P", "--period", "2026-11"], "no such config"),
        (["--relationship", "R", "--partner", "P", "--period", "2026-11"], "Missing option"),
    ],
)
def test_misuse_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    output = [] if message == "Missing option" else ["-o", str(tmp_path / "x.xlsx")]
    code, text = rmp("template", *args, *output)
    assert code == 2, text
    assert message in text
    assert "Traceback" not in text
    assert not (tmp_path / "x.xlsx").exists()


def test_partner_must_be_in_config(tmp_path: Path, config_file: Path) -> None:
    code, text = rmp(
        "template",
        "--config",
        str(config_file),
        "--partner",
        "Nobody",
        "--period",
        "2026-11",
        "-o",
        str(tmp_path / "x.xlsx"),
    )
    assert code == 2
    assert "Northwind Ltd" in text  # lists the partners it knows


def test_partner_and_all_together_exit_2(tmp_path: Path, config_file: Path) -> None:
    code, text = rmp(
        "template",
        "--config",
        str(config_file),
        "--all",
        "--partner",
        "P",
        "--period",
        "2026-11",
        "-o",
        str(tmp_path),
    )
    assert code == 2 and "not both" in text


def test_init_writes_a_config_that_loads_and_refuses_to_overwrite(tmp_path: Path) -> None:
    code, text = rmp("init", str(tmp_path / "rel"))
    assert code == 0, text
    path = tmp_path / "rel" / "rmp.toml"
    config = load_config(path)
    assert len(config.partners) == 3 and len(config.kpis) == 4 and len(config.sla) == 2
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    code, text = rmp("init", str(tmp_path / "rel"))
    assert code == 2 and "already exists" in text
    assert path.read_text(encoding="utf-8").endswith("# edited\n")
    code, text = rmp("init", "--force", str(tmp_path / "rel"))
    assert code == 0 and not path.read_text(encoding="utf-8").endswith("# edited\n")


def test_bad_period_in_a_real_process(tmp_path: Path) -> None:
    proc = run_rmp(
        "template",
        "--relationship",
        "R",
        "--partner",
        "P",
        "--period",
        "2026-1",
        "-o",
        "x.xlsx",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error:") and "Traceback" not in proc.stderr


def test_unwritable_output_is_one_line_exit_2(tmp_path: Path, config_file: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder", encoding="utf-8")
    code, text = rmp(
        "template",
        "--relationship",
        "R",
        "--partner",
        "P",
        "--period",
        "2026-11",
        "-o",
        str(blocker / "x.xlsx"),
    )
    assert code == 2 and text.startswith("Error: cannot write")
    code, text = rmp(
        "template", "--config", str(config_file), "--all", "--period", "2026-11", "-o", str(blocker)
    )
    assert code == 2 and "is a file" in text


def _filled(path: Path) -> bytes:
    """Type an answer into a workbook as a partner would, and return its bytes."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["Relationship"]["B6"] = "Aisha Khan"
    wb.save(path)
    return path.read_bytes()


def test_an_existing_workbook_is_never_replaced_without_force(tmp_path: Path) -> None:
    out = tmp_path / "nw.xlsx"
    args = ["template", "--relationship", "R", "--partner", "P", "--period", "2026-11"]
    code, text = rmp(*args, "-o", str(out))
    assert code == 0, text
    before = _filled(out)
    code, text = rmp(*args, "-o", str(out))
    assert code == 2 and "already exists" in text and "--force" in text, text
    assert out.read_bytes() == before
    # Into a folder: the same refusal for the file it would write there.
    (tmp_path / "p-2026-11.xlsx").write_bytes(before)
    code, text = rmp(*args, "-o", str(tmp_path) + "/")
    assert code == 2 and "p-2026-11.xlsx" in text
    code, text = rmp(*args, "-o", str(out), "--force")
    assert code == 0, text
    assert out.read_bytes() != before
    assert relationship_values(out)["Prepared by"] == ""


def test_all_refuses_when_any_partner_workbook_exists(tmp_path: Path, config_file: Path) -> None:
    args = ["template", "--config", str(config_file), "--all", "--period", "2026-11"]
    folder = tmp_path / "2026-11"
    code, text = rmp(*args, "-o", str(folder))
    assert code == 0, text
    filled = folder / "contoso-plc-2026-11.xlsx"
    before = _filled(filled)
    others = {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p != filled}
    code, text = rmp(*args, "-o", str(folder))
    assert code == 2, text
    assert (
        "contoso-plc-2026-11.xlsx" in text and "--force" in text and "nothing was written" in text
    )
    assert filled.read_bytes() == before
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p != filled} == others
    code, text = rmp(*args, "-o", str(folder), "--force")
    assert code == 0, text
    assert filled.read_bytes() != before
