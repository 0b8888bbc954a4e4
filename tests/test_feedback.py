"""The feedback copy: the partner's own workbook, annotated, with a Problems sheet first."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from hostile_corpus import build_corpus, with_macros

from rmp_workbook.feedback import (
    FILLS,
    PROBLEM_HEADERS,
    feedback_path,
    write_feedback,
)
from rmp_workbook.findings import Finding, Severity, UsageError


class OutOfRange(Finding):
    code = "test-out-of-range"
    template = "{column}: {value} is not between 1 and 5."


class Odd(Finding):
    code = "test-odd"
    template = "{column}: {value} looks odd."
    severity = Severity.WARNING


# Test-only kinds stay out of the registry, so the docs' finding catalogue ignores them.
for _kind in (OutOfRange, Odd):
    Finding.registry.pop(_kind.code)

FORMULA_TEXT = '=HYPERLINK("http://evil.example","click")'


def partner_workbook(path: Path) -> Path:
    """A workbook like a filled template: tables, validations, a very hidden sheet, dates."""
    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    lists = wb.add_worksheet("Lists")
    lists.write_column(0, 0, ["Open", "Mitigating", "Closed"])
    risks = wb.add_worksheet("Risks")
    headers = ["Risk ID", "Risk", "Likelihood", "Impact", "Status", "Raised on"]
    rows = [
        ["R01", FORMULA_TEXT, 7, 3, "Open", dt.date(2026, 11, 2)],
        ["R02", "Supplier\x07 fails", 2, 9, "Closed", dt.date(2026, 10, 1)],
        ["R03", "+cmd|' /C calc'!A0", 3, 3, "Mitigating", dt.date(2026, 9, 30)],
    ]
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    risks.add_table(
        0,
        0,
        len(rows),
        len(headers) - 1,
        {"name": "RisksTable", "columns": [{"header": h} for h in headers]},
    )
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                risks.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            else:
                risks.write(r, c, value)
    risks.data_validation(
        1, 2, 200, 3, {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5}
    )
    risks.data_validation(1, 4, 200, 4, {"validate": "list", "source": "=Lists!$A$1:$A$3"})
    health = wb.add_worksheet("Health check")
    health.write_row(0, 0, ["Behaviour", "Score"])
    health.write_row(1, 0, ["Trust", 9])
    health.merge_range(3, 0, 3, 1, "Merged note")
    meta = wb.add_worksheet("rmp_meta")
    meta.write_column(0, 0, ["schema_version", "partner"])
    meta.write_column(0, 1, ["1.0", "Northwind Ltd"])
    meta.very_hidden()
    wb.close()
    return path


def findings_for(name: str) -> list[Finding]:
    return [
        OutOfRange(
            file=name,
            sheet="Risks",
            row=1,
            col=2,
            column="Likelihood",
            value=7,
            hint="Pick a score from 1 to 5.",
        ),
        OutOfRange(file=name, sheet="Risks", row=2, col=3, column="Impact", value=9),
        Odd(file=name, sheet="Risks", row=1, col=1, column="Risk", value=FORMULA_TEXT),
        OutOfRange(file=name, sheet="Health check", row=1, col=1, column="Score", value=9),
        Odd(file=name, sheet="Health check", row=3, col=1, column="Note", value="x"),
        Finding(file=name, sheet="Contacts", note="The sheet Contacts is missing."),
        Finding(file=name, note="=1+1 whole-file note\x01"),
    ]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def values(path: Path) -> dict[str, list[list[object]]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {
        name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in book.sheet_names
    }


def problems_rows(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(min_row=2, values_only=True)]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("feedback")
    src = partner_workbook(root / "Northwind plan.xlsx")
    before = sha(src)
    out = write_feedback(src, findings_for(src.name), root / "out")
    assert sha(src) == before
    return {"src": src, "out": out, "root": root}


@pytest.fixture(scope="module")
def converted(made: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import convert, soffice_path

    soffice = soffice_path()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return convert(soffice, made["out"], "ods", tmp_path_factory.mktemp("lo"))


def test_openpyxl_uses_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_input_is_untouched_and_output_is_new(made: dict[str, Path]) -> None:
    assert made["out"] == made["root"] / "out" / "Northwind plan.feedback.xlsx"
    assert made["out"].exists() and made["out"] != made["src"]
    leftovers = [p.name for p in made["out"].parent.iterdir() if p.name.startswith(".~rmp")]
    assert leftovers == []


def test_problems_sheet_comes_first_and_lists_everything(made: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(made["out"])
    assert wb.sheetnames == ["Problems", "Lists", "Risks", "Health check", "rmp_meta"]
    assert wb.active.title == "Problems"
    ws = wb["Problems"]
    assert tuple(c.value for c in ws[1]) == PROBLEM_HEADERS
    rows = problems_rows(ws)
    assert len(rows) == len(findings_for("x"))
    where = [(r[1], r[2], r[7]) for r in rows]
    # In workbook order: the whole-file and missing-sheet problems first, then by cell.
    assert where == [
        ("(whole file)", None, "finding"),
        ("Contacts", None, "finding"),
        ("Risks", "B2", "test-odd"),
        ("Risks", "C2", "test-out-of-range"),
        ("Risks", "D3", "test-out-of-range"),
        ("Health check", "B2", "test-out-of-range"),
        ("Health check", "B4", "test-odd"),
    ]
    likelihood = rows[3]
    assert likelihood[0] == "Error" and likelihood[3] == "Likelihood" and likelihood[4] == "7"
    assert likelihood[5] == "Likelihood: 7 is not between 1 and 5."
    assert likelihood[6] == "Pick a score from 1 to 5."
    assert ws["A4"].fill.fgColor.rgb.endswith(FILLS[Severity.WARNING].fgColor.rgb[-6:])
    assert ws["A5"].fill.fgColor.rgb.endswith(FILLS[Severity.ERROR].fgColor.rgb[-6:])


def test_hyperlinks_point_at_each_cell(made: dict[str, Path]) -> None:
    ws = openpyxl.load_workbook(made["out"])["Problems"]
    links = {c.coordinate: c.hyperlink for row in ws.iter_rows() for c in row if c.hyperlink}
    assert {k: v.location for k, v in links.items()} == {
        "C4": "Risks!B2",
        "C5": "Risks!C2",
        "C6": "Risks!D3",
        "C7": "'Health check'!B2",
        "C8": "'Health check'!A4",
    }
    assert all(v.target is None for v in links.values())
    with zipfile.ZipFile(made["out"]) as zf:
        rels = [n for n in zf.namelist() if n.endswith(".rels")]
        assert not any(b'TargetMode="External"' in zf.read(n) for n in rels)


def test_problem_cells_are_filled_and_commented(made: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(made["out"])
    risks = wb["Risks"]
    red = FILLS[Severity.ERROR].fgColor.rgb[-6:]
    amber = FILLS[Severity.WARNING].fgColor.rgb[-6:]
    assert risks["C2"].fill.fgColor.rgb.endswith(red)
    assert risks["B2"].fill.fgColor.rgb.endswith(amber)
    assert risks["D3"].fill.fgColor.rgb.endswith(red)
    assert risks["A2"].fill.fill_type is None
    assert "7 is not between 1 and 5" in risks["C2"].comment.text
    assert risks["C2"].comment.text.startswith("ERROR:")
    assert risks["B2"].comment.text.startswith("WARNING:")
    # A problem inside a merged range lands on its top-left cell.
    health = wb["Health check"]
    assert health["A4"].comment is not None and "looks odd" in health["A4"].comment.text


def test_every_original_value_is_kept(made: dict[str, Path]) -> None:
    before = values(made["src"])
    after = values(made["out"])
    assert set(after) == set(before) | {"Problems"}
    for name, rows in before.items():
        assert after[name] == rows, name


def test_partner_text_stays_text(made: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(made["out"])
    cell = wb["Risks"]["B2"]
    assert cell.value == FORMULA_TEXT and cell.data_type == "s"
    problems = wb["Problems"]
    assert all(c.data_type != "f" for row in problems.iter_rows() for c in row)
    with zipfile.ZipFile(made["out"]) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in zf.read(name), name


def test_structure_is_kept(made: dict[str, Path]) -> None:
    wb = openpyxl.load_workbook(made["out"])
    assert wb["rmp_meta"].sheet_state == "veryHidden"
    risks = wb["Risks"]
    assert list(risks.tables) == ["RisksTable"]
    assert risks.tables["RisksTable"].ref == "A1:F4"
    rules = {str(dv.sqref): dv.type for dv in risks.data_validations.dataValidation}
    assert rules == {"C2:D201": "whole", "E2:E201": "list"}
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets] == [True] + [False] * 4


def test_libreoffice_opens_the_copy(made: dict[str, Path], converted: Path) -> None:
    after = values(converted)
    assert next(iter(after)) == "Problems"
    for name, rows in values(made["src"]).items():
        if name != "rmp_meta":
            assert after[name][: len(rows)] == rows or _same_text(after[name], rows), name


def _same_text(a: list[list[object]], b: list[list[object]]) -> bool:
    # LibreOffice reads dates back as datetimes; compare what a person would see.
    def show(v: object) -> str:
        if isinstance(v, dt.date):
            return str(v)[:10]
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        # LibreOffice drops control characters Excel keeps escaped.
        return "".join(ch for ch in str(v) if ch.isprintable())

    def norm(rows: list[list[object]]) -> list[list[str]]:
        out = []
        for row in rows:
            cells = [show(v) for v in row]
            while cells and cells[-1] == "":
                cells.pop()
            out.append(cells)
        while out and not out[-1]:
            out.pop()
        return out

    return norm(a) == norm(b)


def test_macros_are_not_copied(made: dict[str, Path], tmp_path: Path) -> None:
    src = with_macros(tmp_path / "plan.xlsm", made["src"])
    out = write_feedback(src, findings_for(src.name), tmp_path / "out")
    assert out.name == "plan-xlsm.feedback.xlsx"
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if "vba" in n.lower()]
        assert b"macroEnabled" not in zf.read("[Content_Types].xml")
    rows = problems_rows(openpyxl.load_workbook(out)["Problems"])
    assert ("Warning", "macros") in {(r[0], r[7]) for r in rows}


@pytest.mark.parametrize("fmt", ["ods", "xls"])
def test_ods_and_xls_get_a_values_copy(made, tmp_path: Path, lo_convert, fmt: str) -> None:
    src = lo_convert(made["src"], fmt, tmp_path)
    before_bytes = sha(src)
    out = write_feedback(src, findings_for(src.name), tmp_path / "out")
    assert sha(src) == before_bytes
    assert out.name == f"Northwind plan-{fmt}.feedback.xlsx"
    wb = openpyxl.load_workbook(out)
    # Every sheet is copied (Contacts, with a problem, does not exist).
    assert wb.sheetnames == ["Problems", "Lists", "Risks", "Health check", "rmp_meta"]
    assert wb["rmp_meta"].sheet_state != "visible"  # .ods has no "very hidden"
    original = values(src)
    copied = values(out)
    for name in ("Risks", "Health check"):
        assert _same_text(copied[name], original[name]), name
    risks = wb["Risks"]
    assert risks["B2"].value == FORMULA_TEXT and risks["B2"].data_type == "s"
    assert "7 is not between" in risks["C2"].comment.text
    links = [c.hyperlink.location for row in wb["Problems"].iter_rows() for c in row if c.hyperlink]
    assert "Risks!C2" in links and "'Health check'!B2" in links


def test_unreadable_file_gets_the_problems_sheet_alone(tmp_path: Path) -> None:
    src = tmp_path / "plan.xlsx"
    src.write_text("Risk ID,Risk\nR01,Late\n")
    out = write_feedback(src, [], tmp_path / "out")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Problems"]
    [row] = problems_rows(wb["Problems"])
    assert row[7] == "not-a-workbook" and "CSV" in row[5]


def test_no_problems_still_writes_a_clear_sheet(made, tmp_path: Path) -> None:
    out = write_feedback(made["src"], [], tmp_path)
    ws = openpyxl.load_workbook(out)["Problems"]
    assert ws["F2"].value == "No problems found."


def test_hostile_files_leak_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    corpus = build_corpus(tmp_path / "corpus", secret)
    for name, (path, code) in corpus.items():
        if name == "folder":
            continue
        out = write_feedback(path, [], tmp_path / "out" / name)
        wb = openpyxl.load_workbook(out)
        assert wb.sheetnames == ["Problems"], name
        assert code in {r[7] for r in problems_rows(wb["Problems"])}, name
        with zipfile.ZipFile(out) as zf:
            for part in zf.namelist():
                assert b"TOP-SECRET" not in zf.read(part), (name, part)


def test_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    # A link named like a partner file that points at where the feedback would go.
    real = partner_workbook(tmp_path / "plan.feedback.xlsx")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "plan.xlsx").symlink_to(real)
    before = sha(real)
    with pytest.raises(UsageError, match="overwrite"):
        write_feedback(tmp_path / "in" / "plan.xlsx", [], tmp_path)
    assert sha(real) == before


def test_feedback_path_is_safe() -> None:
    assert feedback_path("in/plan.xlsx", "out") == Path("out/plan.feedback.xlsx")
    assert feedback_path("in/plan.ODS", "out") == Path("out/plan-ods.feedback.xlsx")
    assert feedback_path("in/..\x00:*?.xlsx", "out").name == "_.feedback.xlsx"
    assert feedback_path("in/...xlsx", "out").name == "workbook.feedback.xlsx"


def test_huge_workbook_gets_the_values_copy(made, tmp_path: Path, monkeypatch) -> None:
    import rmp_workbook.feedback as feedback

    monkeypatch.setattr(feedback, "OPENPYXL_MAX_CELLS", 10)
    out = write_feedback(made["src"], findings_for(made["src"].name), tmp_path)
    wb = openpyxl.load_workbook(out)
    # The values copy holds only the sheets with problems: no Lists, no tables.
    assert wb.sheetnames == ["Problems", "Risks", "Health check"]
    assert not wb["Risks"].tables
    assert "7 is not between" in wb["Risks"]["C2"].comment.text


@pytest.fixture(scope="module")
def template_feedback(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from rmp_workbook.template import write_template

    root = tmp_path_factory.mktemp("template")
    src = write_template(
        root / "northwind-2026-11.xlsx",
        relationship_id="ACME-2026",
        relationship_name="Acme and Northwind",
        partner="Northwind Ltd",
        period="2026-11",
        prefill={
            "risks": [
                {"risk_id": "R01", "risk": "=cmd|' /C calc'!A0", "likelihood": 9, "impact": 2},
            ],
            "kpis": [{"kpi_id": "K01", "kpi": "On-time delivery", "period": "2026-11"}],
        },
    )
    before = sha(src)
    findings = [
        OutOfRange(sheet="Risks", row=1, col=3, column="Likelihood", value=9),
        Odd(sheet="Risks", row=1, col=1, column="Risk", value="=cmd|' /C calc'!A0"),
        OutOfRange(sheet="KPIs", row=1, col=7, column="Actual", value=None),
        Finding(sheet="rmp_meta", row=0, col=1, note="The metadata was changed."),
    ]
    out = write_feedback(src, findings, root / "out")
    assert sha(src) == before
    return {"src": src, "out": out}


def test_template_copy_keeps_everything(template_feedback: dict[str, Path]) -> None:
    src = openpyxl.load_workbook(template_feedback["src"])
    out = openpyxl.load_workbook(template_feedback["out"])
    assert out.sheetnames == ["Problems", *src.sheetnames]
    for ws in src.worksheets:
        copy = out[ws.title]
        assert copy.sheet_state == ws.sheet_state, ws.title
        assert list(copy.tables) == list(ws.tables), ws.title
        assert [str(d.sqref) for d in copy.data_validations.dataValidation] == [
            str(d.sqref) for d in ws.data_validations.dataValidation
        ], ws.title
        assert copy.protection.sheet == ws.protection.sheet, ws.title
        assert copy.freeze_panes == ws.freeze_panes, ws.title
    assert out["rmp_meta"].sheet_state == "veryHidden"
    # Formulas are kept as formulas; openpyxl drops their cached results (Excel and
    # LibreOffice recalculate on opening), so typed values are compared without them.
    formulas: dict[str, set[tuple[int, int]]] = {}
    for ws in src.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.setdefault(ws.title, set()).add((cell.row - 1, cell.column - 1))
                    assert out[ws.title][cell.coordinate].value == cell.value
    assert formulas["Risks"]
    before = values(template_feedback["src"])
    after = values(template_feedback["out"])
    for name, rows in before.items():
        skip = formulas.get(name, set())
        typed = [[v for c, v in enumerate(row) if (r, c) not in skip] for r, row in enumerate(rows)]
        copy = [
            [v for c, v in enumerate(row) if (r, c) not in skip]
            for r, row in enumerate(after[name])
        ]
        assert copy == typed, name


def test_template_copy_annotations(template_feedback: dict[str, Path]) -> None:
    out = openpyxl.load_workbook(template_feedback["out"])
    risks = out["Risks"]
    assert risks["D2"].comment is not None and "9 is not between" in risks["D2"].comment.text
    assert risks["B2"].value == "=cmd|' /C calc'!A0" and risks["B2"].data_type == "s"
    # Input cells stay unlocked: a fill must not lock what the partner may edit.
    assert risks["D2"].protection.locked is False
    assert out["KPIs"]["H2"].comment is not None
    rows = problems_rows(out["Problems"])
    meta_row = next(r for r in rows if r[1] == "rmp_meta")
    # The very hidden sheet's problem is listed, without a link into a sheet no one sees.
    assert meta_row[2] == "B1"
    assert out["Problems"].cell(rows.index(meta_row) + 2, 3).hyperlink is None


def test_libreoffice_opens_the_template_copy(template_feedback, tmp_path: Path, lo_convert) -> None:
    converted = lo_convert(template_feedback["out"], "ods", tmp_path)
    after = values(converted)
    assert next(iter(after)) == "Problems"
    assert _same_text(after["Risks"], values(template_feedback["src"])["Risks"])


def test_sheet_names_match_forgivingly(made, tmp_path: Path) -> None:
    finding = OutOfRange(sheet="health CHECK", row=1, col=1, column="Score", value=9)
    out = write_feedback(made["src"], [finding], tmp_path)
    wb = openpyxl.load_workbook(out)
    assert "9 is not between" in wb["Health check"]["B2"].comment.text
    [link] = [c.hyperlink for row in wb["Problems"].iter_rows() for c in row if c.hyperlink]
    assert link.location == "'Health check'!B2"


def test_macro_warning_listed_once(made: dict[str, Path], tmp_path: Path) -> None:
    from rmp_workbook.validate import read_workbook

    src = with_macros(tmp_path / "plan.xlsm", made["src"])
    sub = read_workbook(src)
    out = write_feedback(src, sub.findings, tmp_path / "out")
    rows = problems_rows(openpyxl.load_workbook(out)["Problems"])
    assert [r[7] for r in rows].count("macros") == 1


@pytest.fixture(scope="module")
def careless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real template filled with a few problems, as a partner would send it."""
    from fill import GOOD_FORM, fill, make_template

    root = tmp_path_factory.mktemp("careless")
    template = make_template(root / "template.xlsx")
    risks = [
        {"Risk ID": f"R0{i}", "Risk": "Key engineer leaves the joint team for a competitor",
         "Likelihood": "high", "Impact": 9, "Status": "Opened"}
        for i in range(1, 5)
    ]  # fmt: skip
    return fill(template, root / "northwind-2026-11.xlsx", form=GOOD_FORM, rows={"Risks": risks})


@pytest.mark.slow
def test_problems_sheet_prints_on_one_landscape_page_width(
    careless: Path, tmp_path: Path, lo_convert
) -> None:
    import subprocess

    from rmp_workbook.validate import validate_paths

    report = validate_paths([careless])
    assert len(report.findings) >= 12
    out = write_feedback(careless, report.findings, tmp_path / "feedback")
    ws = openpyxl.load_workbook(out)["Problems"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == "$1:$1"
    assert all(ws.cell(2, c).alignment.wrap_text for c in range(1, len(PROBLEM_HEADERS) + 1))
    # Headers and links name their font (one without a name prints as a serif fallback).
    fonts = {ws.cell(r, c).font.name for r in (1, 2) for c in range(1, len(PROBLEM_HEADERS) + 1)}
    assert fonts == {"Calibri"}, fonts
    # Rendered: the Problems sheet alone, through LibreOffice, is one landscape page.
    wb = openpyxl.load_workbook(out)
    for name in wb.sheetnames[1:]:
        del wb[name]
    alone = tmp_path / "problems-only.xlsx"
    wb.save(alone)
    pdf = lo_convert(alone, "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    assert int(fields["Pages"]) == 1, info
    width, height = (float(x) for x in fields["Page size"].split()[0:3:2])
    assert width > height, info


@pytest.mark.slow
def test_feedback_copy_of_an_ods_keeps_every_sheet(
    careless: Path, tmp_path: Path, lo_convert
) -> None:
    from rmp_workbook.validate import validate_paths

    ods = lo_convert(careless, "ods", tmp_path)
    report = validate_paths([ods])
    assert {f.sheet for f in report.findings if f.code != "incomplete"} == {"Risks"}
    out = write_feedback(ods, report.findings, tmp_path / "feedback")
    wb = openpyxl.load_workbook(out)
    original = python_calamine.CalamineWorkbook.from_path(str(ods)).sheet_names
    assert wb.sheetnames == ["Problems", *original]
    assert wb["rmp_meta"].sheet_state != "visible"  # .ods has no "very hidden"
    copied, before = values(out), values(ods)
    for name in ("Guide", "Relationship", "Stages", "KPIs"):
        assert _same_text(copied[name], before[name]), name
    assert wb["Risks"]["D2"].comment is not None
