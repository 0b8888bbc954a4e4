"""Each kind of bad cell is reported at its exact address, in every application's file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import convert
from fill import fill_bad, fill_good, find_row, make_template

from rmp_workbook.findings import Finding, Severity
from rmp_workbook.read import RawRow, RawSheet
from rmp_workbook.schema import SCHEMA
from rmp_workbook.validate import FileResult, read_workbook, validate_paths, validate_sheet


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("validate")
    template = make_template(tmp / "template.xlsx")
    bad = fill_bad(template, tmp / "bad.xlsx")
    return {
        "template": template,
        "good": fill_good(template, tmp / "good.xlsx"),
        "bad": bad,
        "bad-ods": convert(soffice, bad, "ods", tmp / "lo"),
        "bad-lo-xlsx": convert(soffice, bad, "xlsx:Calc MS Excel 2007 XML", tmp / "lo"),
    }


def _expected(bad: Path) -> set[tuple[str, str, str]]:
    r06 = find_row(bad, "Risks", "Risk ID", "R06")
    return {
        ("Relationship", "B4", "meta-mismatch"),
        ("Relationship", "B5", "wrong-period"),
        ("Risks", "D3", "type-error"),
        ("Risks", "E4", "out-of-range"),
        ("Risks", "I5", "not-in-list"),
        ("Risks", "B6", "required"),
        ("Risks", "A7", "duplicate-key"),
        ("Risks", f"J{r06}", "type-error"),
        ("KPIs", "H2", "guessed-percent"),
        ("KPIs", "G3", "wrong-period"),
        ("KPIs", "H4", "formula-error"),
        ("KPIs", "H5", "type-error"),
        ("Contacts", "E2", "type-error"),
        ("Contacts", "G2", "type-error"),
        ("Health check", "B2", "out-of-range"),
        ("Stages", "C2", "guessed-percent"),
        ("Testimonials", "E2", "not-in-list"),
        # Left blank by fill_bad: not errors, but the workbook is not complete either.
        ("Relationship", "B6", "incomplete"),
        ("Relationship", "B7", "incomplete"),
        ("Stages", "B2", "incomplete"),
    }


@pytest.mark.parametrize("kind", ["bad", "bad-ods", "bad-lo-xlsx"])
def test_each_bad_cell_at_its_address(books: dict[str, Path], kind: str) -> None:
    report = validate_paths([books[kind]])
    rows = report.flatten(("sheet", "cell", "code"))
    assert len(rows) == len(set(rows)), "each problem reported once"
    assert set(rows) == _expected(books["bad"])
    assert report.exit_code == 1 and not report.valid


@pytest.mark.parametrize("kind", ["bad", "bad-ods"])
def test_rows_with_errors_are_left_out(books: dict[str, Path], kind: str) -> None:
    sub = read_workbook(books[kind])
    assert [r.values["risk_id"] for r in sub.records["risks"]] == ["R01"]
    kpis = {r.values["kpi_id"]: r.values for r in sub.records["kpis"]}
    assert list(kpis) == ["K01"] and kpis["K01"]["actual"] == pytest.approx(91)
    assert sub.records["stages"][0].values["progress"] == pytest.approx(0.6)
    assert sub.records["contacts"] == [] and sub.records["health"] == []
    assert sub.meta.partner == "Northwind Ltd", "the metadata wins over the form"
    assert not sub.valid


def test_findings_say_what_to_fix(books: dict[str, Path]) -> None:
    found = {(f.sheet, f.cell): f for f in read_workbook(books["bad"]).findings}
    likelihood = found[("Risks", "D3")]
    assert (likelihood.column, likelihood.value, likelihood.severity) == (
        "Likelihood", "high", Severity.ERROR
    )  # fmt: skip
    assert "whole number from 1 to 5" in likelihood.message and "is 4" in likelihood.message
    assert "4 = major" in found[("Risks", "E4")].message, "the hint recalls the scale"
    assert "Open, Mitigating, Closed" in found[("Risks", "I5")].message
    assert found[("KPIs", "H2")].severity is Severity.WARNING
    assert "91%" in found[("KPIs", "H2")].message
    assert "#DIV/0!" in found[("KPIs", "H4")].message
    assert found[("Risks", "A7")].extra == {} and "row 2" in found[("Risks", "A7")].message
    d = found[("Risks", "E4")].to_dict()
    assert (d["ref"], d["row"], d["column"], d["value"]) == ("Risks!E4", 4, "Impact", 7)


def test_good_file_is_valid(books: dict[str, Path]) -> None:
    report = validate_paths([books["good"]])
    assert report.flatten() == [] and report.valid and report.exit_code == 0


def test_wrong_relationship(books: dict[str, Path]) -> None:
    report = validate_paths([books["good"]], relationship_id="OTHER-2026")
    assert report.flatten(("sheet", "cell", "code", "value")) == [
        ("Relationship", "B2", "wrong-relationship", "NW-CT-2026")
    ]
    assert report.exit_code == 1
    assert validate_paths([books["good"]], relationship_id="nw-ct-2026").valid


def test_folder_sorted_with_skipped_files(books: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "returned"
    folder.mkdir()
    for name in ("b-partner.xlsx", "a-partner.xlsx"):
        (folder / name).write_bytes(books["good"].read_bytes())
    (folder / "~$a-partner.xlsx").write_bytes(b"lock")
    (folder / ".~lock.b-partner.xlsx#").write_text("lock")
    (folder / "notes.txt").write_text("hello")
    (folder / "sub").mkdir()
    report = validate_paths([folder])
    checked = [Path(f.path).name for f in report.checked]
    assert checked == ["a-partner.xlsx", "b-partner.xlsx"]
    skipped = sorted(Path(f.path).name for f in report.files if f.skipped)
    assert skipped == [".~lock.b-partner.xlsx#", "notes.txt", "~$a-partner.xlsx"]
    assert {c for (c,) in report.flatten(("code",))} == {"skipped-file"}
    assert report.valid and report.exit_code == 0
    assert report.summary()["skipped"] == 3


def test_unreadable_and_missing_inputs_exit_2(books: dict[str, Path], tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook")
    report = validate_paths([books["good"], fake])
    assert report.flatten(("code",)) == [("not-a-workbook",)] and report.exit_code == 2
    assert validate_paths([tmp_path / "nowhere"]).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert validate_paths([empty]).no_input == [str(empty)]


def test_internal_error_is_one_finding(
    monkeypatch: pytest.MonkeyPatch, books: dict[str, Path]
) -> None:
    import rmp_workbook.read as read

    def boom(path: object, *args: object, **kw: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(read, "read_raw", boom)
    report = validate_paths([books["good"]])
    (finding,) = report.findings
    assert finding.code == "internal-error" and report.exit_code == 2
    assert (
        finding.message == f"internal error reading {books['good']}: RuntimeError: boom second line"
    )


def test_every_finding_code_is_documented_and_unique() -> None:
    for code, cls in Finding.registry.items():
        assert code == cls.code and cls.title and cls.description


def test_prefilled_kpis_need_their_actual(tmp_path: Path) -> None:
    """A KPI pre-filled from the config with Actual left blank must be completed."""
    from fill import fill
    from openpyxl import load_workbook

    from rmp_workbook.config import load_config
    from rmp_workbook.template import write_template

    config = load_config(Path(__file__).parent.parent / "workbook_templates" / "rmp.toml")
    partner = config.partners[0].name
    path = write_template(tmp_path / "pre.xlsx", relationship_id=config.id,
                          relationship_name=config.name, partner=partner, period="2026-11",
                          config=config)  # fmt: skip
    kpis = [k for k in config.kpis]
    found = validate_paths([path]).flatten(("sheet", "cell", "code"))
    found = [f for f in found if f[2] != "incomplete"]  # nothing else is filled in
    assert found == [("KPIs", f"H{i + 2}", "required") for i in range(len(kpis))]
    ws = load_workbook(path)["KPIs"]
    filled = [{"KPI ID": ws.cell(r, 1).value, "Actual": "95%"} for r in range(2, len(kpis) + 2)]
    done = fill(path, tmp_path / "done.xlsx", rows={"KPIs": filled})
    sub = read_workbook(done)
    assert sub.valid and [r.values["actual"] for r in sub.records["kpis"]] == [95.0] * len(kpis)


def _raw(sheet_key: str, *rows: dict[str, object]) -> RawSheet:
    """An in-memory sheet laid out as the template does: header in row 0, data from row 1."""
    sheet = SCHEMA[sheet_key]
    cols = {c.key: i for i, c in enumerate(sheet.columns)}
    rs = RawSheet(sheet=sheet, name=sheet.name, headers={c.key: c.header for c in sheet.columns})
    for r, values in enumerate(rows, start=1):
        full = {k: values.get(k) for k in cols}
        rs.rows.append(RawRow(row=r, values=full, cells={k: (r, c) for k, c in cols.items()}))
    return rs


def _codes(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.cell, f.code) for f in found]


def test_fixed_item_renamed_is_not_in_list_and_case_is_forgiven() -> None:
    records, found = validate_sheet(
        _raw("stages", {"stage": "awareness ", "status": "Complete"},
             {"stage": "Awareness stage", "status": "Complete"})
    )  # fmt: skip
    assert [r.values["stage"] for r in records] == ["Awareness"]
    assert _codes(found) == [("A3", "not-in-list")]


def test_contacts_without_email_are_keyed_by_name() -> None:
    records, found = validate_sheet(
        _raw("contacts", {"name": "Aisha Khan"}, {"name": "aisha  khan"},
             {"name": "Aisha Khan", "email": "a@x.example"})
    )  # fmt: skip
    assert _codes(found) == [("A3", "duplicate-key")]
    assert len(records) == 2


def test_kpi_periods_keyed_with_the_id() -> None:
    records, found = validate_sheet(
        _raw("kpis", {"kpi_id": "K01", "period": "2026-10", "actual": 1},
             {"kpi_id": "K01", "period": "Nov 2026", "actual": 2},
             {"kpi_id": "k01", "period": 46327.0, "actual": 3}),
        period="2026-11",
    )  # fmt: skip
    assert [r.values["period"] for r in records] == ["2026-10", "2026-11"]
    assert _codes(found) == [("A4", "duplicate-key")]


@pytest.mark.parametrize(
    ("unit", "target", "actual", "read", "guessed"),
    [("%", 95, 0.91, 91, True), ("%", 0.95, 0.91, 0.91, False), ("days", 95, 0.5, 0.5, False),
     ("%", 95, 91, 91, False), ("%", 95, "91%", 91, False)],
)  # fmt: skip
def test_kpi_percent_guess(unit: str, target: float, actual: object, read: float,
                           guessed: bool) -> None:  # fmt: skip
    records, found = validate_sheet(
        _raw("kpis", {"kpi_id": "K01", "unit": unit, "target": target, "period": "2026-11",
                      "actual": actual})
    )  # fmt: skip
    assert records[0].values["actual"] == pytest.approx(read)
    assert _codes(found) == ([("H2", "guessed-percent")] if guessed else [])


def test_error_text_and_libreoffice_error_codes_are_formula_errors() -> None:
    _, found = validate_sheet(
        _raw("risks", {"risk_id": "R01", "risk": "x", "likelihood": "#REF!", "impact": "Err:502"})
    )
    assert _codes(found) == [("D2", "formula-error"), ("E2", "formula-error")]


def test_public_api() -> None:
    import rmp_workbook
    import rmp_workbook.validate

    assert rmp_workbook.read_workbook is rmp_workbook.validate.read_workbook
    assert rmp_workbook.validate_paths is validate_paths


def test_auto_jobs_reads_in_parallel_only_for_many_files() -> None:
    from rmp_workbook.validate import PARALLEL_FROM, auto_jobs

    assert auto_jobs(1) == auto_jobs(PARALLEL_FROM - 1) == 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert auto_jobs(PARALLEL_FROM) == max(1, min(cpus or 1, 8))


def test_parallel_reading_gives_the_same_report_in_the_same_order(tmp_path: Path) -> None:
    from rmp_workbook.sample import fill_many

    fill_many(tmp_path / "returns", 3, 7)
    (tmp_path / "returns" / "rmp.toml").unlink(missing_ok=True)
    one = validate_paths([tmp_path / "returns"], jobs=1)
    two = validate_paths([tmp_path / "returns"], jobs=2)
    assert len(one.files) == 3
    assert one.to_dict() == two.to_dict()


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_result_is_handed_over_in_order_and_its_rows_can_be_dropped(
    tmp_path: Path, jobs: int
) -> None:
    from rmp_workbook.sample import fill_many

    returns = tmp_path / "returns"
    fill_many(returns, 12, 7)
    (returns / "rmp.toml").unlink(missing_ok=True)
    (returns / "notes.txt").write_text("not a workbook")
    kept = validate_paths([returns], jobs=1)
    seen: list[tuple[str, int]] = []

    def each(result: FileResult) -> None:
        # Handed over before its rows are dropped: a merge records them here.
        rows = sum(map(len, result.submission.records.values())) if result.submission else 0
        seen.append((Path(result.path).name, rows))

    streamed = validate_paths([returns], jobs=jobs, each=each, keep_records=False)
    assert [name for name, _ in seen] == sorted(p.name for p in returns.iterdir())
    assert [rows for _, rows in seen] == [
        sum(map(len, r.submission.records.values())) if r.submission else 0 for r in kept.files
    ]
    assert all(rows > 100 for name, rows in seen if name.endswith(".xlsx"))
    # The rows are gone, their counts and every finding stay in the report.
    assert all(not r.submission.records for r in streamed.files if r.submission)
    assert streamed.to_dict() == kept.to_dict()


def test_a_failing_handler_stops_the_run(tmp_path: Path) -> None:
    from rmp_workbook.sample import fill_many

    fill_many(tmp_path / "returns", 30, 7)
    (tmp_path / "returns" / "rmp.toml").unlink(missing_ok=True)
    calls = []

    def each(result: FileResult) -> None:
        calls.append(result.path)
        if len(calls) == 3:
            raise RuntimeError("the ledger refused it")

    with pytest.raises(RuntimeError, match="ledger refused"):
        validate_paths([tmp_path / "returns"], jobs=2, each=each)
    assert len(calls) == 3
