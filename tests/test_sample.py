"""The sample relationship: its planted situations, and workbooks filled as people fill them.

Filled files are read back with a second reader (python-calamine, openpyxl, and
LibreOffice for one file) and compared, cell by cell, with the rows that were typed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from rmp_workbook.config import load_config
from rmp_workbook.sample import (
    SampleRelationship,
    build_relationship,
    config_toml,
    fill_many,
    fill_workbook,
    write_sample,
)
from rmp_workbook.sample.story import DEADLINE_DAY, month_end
from rmp_workbook.schema import (
    FORM_FIRST_ROW,
    FORM_LABEL_COL,
    FORM_VALUE_COL,
    META_SHEET,
    RELATIONSHIP,
    SCHEMA,
    ColType,
    Column,
    Sheet,
    SheetKind,
)

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture(scope="module")
def rel() -> SampleRelationship:
    return build_relationship()


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_sample(out)
    return out


def last_books(rel: SampleRelationship) -> dict[str, Any]:
    return {p: rel.current(p, rel.periods[-1]) for p in rel.partners}


def kpi_actual(rel: SampleRelationship, partner: str, period: str, kpi_id: str) -> float:
    """What the partner reported for the period in that period's own (current) workbook."""
    book = rel.current(partner, period)
    return next(
        r["actual"] for r in book.rows["kpis"] if r["kpi_id"] == kpi_id and r["period"] == period
    )


def worse(direction: str, before: float, after: float) -> bool:
    return after < before if direction == "Higher is better" else after > before


# --- the generated data -----------------------------------------------------------------


def test_build_is_reproducible_and_seeded() -> None:
    assert build_relationship(2026) == build_relationship(2026)
    assert build_relationship(7).workbooks != build_relationship(2026).workbooks


def test_partners_periods_and_files(rel: SampleRelationship) -> None:
    assert rel.partners == [
        "Northwind Components Ltd",
        "Contoso Engineering plc",
        "Fabrikam Logistics",
    ]
    assert rel.periods == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    names = [w.file_name for w in rel.workbooks]
    assert len(names) == len(set(names)) == 3 * 6 + 1
    assert all(re.fullmatch(r"[a-z-]+_\d{4}-\d{2}(_v2)?\.xlsx", n) for n in names)
    arrivals = [w.received_at for w in rel.workbooks]
    assert arrivals == sorted(arrivals)


def test_every_row_uses_schema_columns(rel: SampleRelationship) -> None:
    for book in rel.workbooks:
        assert set(book.relationship) <= {c.key for c in RELATIONSHIP.columns}
        for key, rows in book.rows.items():
            sheet = SCHEMA[key]
            known = {c.key for c in sheet.input_columns}
            for row in rows:
                assert set(row) <= known, (book.file_name, key, set(row) - known)
                for col in sheet.columns:
                    if col.required:
                        assert row.get(col.key) not in (None, ""), (book.file_name, key, col.key)
                    if col.choices and row.get(col.key):
                        assert row[col.key] in col.choices
            if sheet.kind is SheetKind.FIXED:
                assert [r[sheet.columns[0].key] for r in rows] == list(sheet.fixed_rows)


def test_each_partner_reports_every_kpi_every_month(rel: SampleRelationship) -> None:
    ids = [k.id for k in rel.config.kpis]
    assert len(ids) == 5
    for partner in rel.partners:
        for period in rel.periods:
            rows = rel.current(partner, period).rows["kpis"]
            assert [r["kpi_id"] for r in rows if r["period"] == period] == ids


def test_one_kpi_disagreement_beyond_tolerance(rel: SampleRelationship) -> None:
    tolerance = rel.config.thresholds.numeric_tolerance
    apart = []
    for period in rel.periods:
        for kpi in rel.config.kpis:
            values = [kpi_actual(rel, p, period, kpi.id) for p in rel.partners]
            if (max(values) - min(values)) / max(abs(v) for v in values) > tolerance:
                apart.append((kpi.id, period))
    kpi_id, period, by_partner = rel.scenario.kpi_disagreement
    assert apart == [(kpi_id, period)]
    assert by_partner == {p: kpi_actual(rel, p, period, kpi_id) for p in rel.partners}


def test_one_kpi_worsens_three_months_running(rel: SampleRelationship) -> None:
    owner = rel.partners[0]
    runs = {}
    for kpi in rel.config.kpis:
        series = [kpi_actual(rel, owner, p, kpi.id) for p in rel.periods]
        flags = [worse(kpi.direction, a, b) for a, b in itertools.pairwise(series)]
        longest = run = 0
        for flag in flags:
            run = run + 1 if flag else 0
            longest = max(longest, run)
        runs[kpi.id] = (longest, flags)
    kpi_id, periods = rel.scenario.worsening_kpi
    assert runs[kpi_id][0] >= 3 and runs[kpi_id][1][-3:] == [True, True, True]
    assert periods == tuple(rel.periods[-3:])
    assert all(longest < 3 for k, (longest, _) in runs.items() if k != kpi_id)


def test_one_sla_breach(rel: SampleRelationship) -> None:
    breaches = set()
    for book in rel.workbooks:
        for r in book.rows["sla"]:
            ok = (
                r["actual"] >= r["target"]
                if r["direction"] == "At least"
                else (r["actual"] <= r["target"])
            )
            if not ok:
                breaches.add((r["service"], r["measure"], r["period"], r["actual"], r["target"]))
    assert breaches == {rel.scenario.sla_breach}


def test_risk_register_situations(rel: SampleRelationship) -> None:
    books = last_books(rel)
    last_day = month_end(rel.periods[-1])
    risk_id, views = rel.scenario.risk_disagreement
    seen = {
        p: next((r["likelihood"], r["impact"]) for r in b.rows["risks"] if r["risk_id"] == risk_id)
        for p, b in books.items()
    }
    assert seen == views and len(set(seen.values())) == 3
    high_id, high_score = rel.scenario.high_risk
    for book in books.values():
        scores = {r["risk_id"]: r["likelihood"] * r["impact"] for r in book.rows["risks"]}
        assert scores[high_id] == high_score >= rel.config.thresholds.risk_score_red
        stale = [
            r["risk_id"]
            for r in book.rows["risks"]
            if r["review_by"] < last_day and r["status"] != "Closed"
        ]
        assert stale == [rel.scenario.risk_review_overdue[0]]


def test_stage_situations(rel: SampleRelationship) -> None:
    books = last_books(rel)
    stage, statuses = rel.scenario.stage_disagreement
    seen = {
        p: next(r["status"] for r in b.rows["stages"] if r["stage"] == stage)
        for p, b in books.items()
    }
    assert seen == statuses and len(set(seen.values())) == 2
    last_day = month_end(rel.periods[-1])
    for book in books.values():
        late = [
            r["stage"]
            for r in book.rows["stages"]
            if r["target_date"] < last_day and r["status"] != "Complete"
        ]
        assert late == [rel.scenario.stage_overdue[0]]


def test_contacts_one_without_email(rel: SampleRelationship) -> None:
    books = last_books(rel)
    missing = [
        (p, r["name"]) for p, b in books.items() for r in b.rows["contacts"] if not r["email"]
    ]
    assert missing == [rel.scenario.contact_without_email]
    no_sponsor = [
        p for p, b in books.items() if all(r["escalation_level"] < 3 for r in b.rows["contacts"])
    ]
    assert no_sponsor == list(rel.scenario.no_executive_sponsor) == ["Fabrikam Logistics"]
    for partner, book in books.items():
        assert {r["organisation"] for r in book.rows["contacts"]} == {partner}
        assert all(str(r["phone"]).startswith("+44 ") for r in book.rows["contacts"])


def test_perception_gap_on_one_behaviour(rel: SampleRelationship) -> None:
    books = last_books(rel)
    gap = rel.config.thresholds.health_gap
    spread = {}
    for behaviour in SCHEMA["health"].fixed_rows:
        scores = [
            next(r["score"] for r in b.rows["health"] if r["behaviour"] == behaviour)
            for b in books.values()
        ]
        spread[behaviour] = max(scores) - min(scores)
    behaviour, _ = rel.scenario.perception_gap
    assert [b for b, s in spread.items() if s >= gap] == [behaviour]


def test_bottleneck_testimonial_and_action_situations(rel: SampleRelationship) -> None:
    books = last_books(rel)
    last_day = month_end(rel.periods[-1])
    days_red = rel.config.thresholds.bottleneck_days_red
    for book in books.values():
        long_open = [
            r["bottleneck_id"]
            for r in book.rows["bottlenecks"]
            if r["status"] != "Resolved" and (last_day - r["raised_on"]).days >= days_red
        ]
        assert long_open == [rel.scenario.long_open_bottleneck[0]]
        overdue = [
            r["action_id"]
            for r in book.rows["actions"]
            if r["status"] != "Done" and r["due"] < last_day
        ]
        assert overdue == [rel.scenario.overdue_action[0]]
    private = [
        (p, r["from_person"])
        for p, b in books.items()
        for r in b.rows["testimonials"]
        if r["may_be_shared"] == "No"
    ]
    assert private == [rel.scenario.private_testimonial]
    assert any(r["may_be_shared"] == "Yes" for b in books.values() for r in b.rows["testimonials"])


def test_restated_figure(rel: SampleRelationship) -> None:
    partner, kpi_id, period, previous, restated, file_name = rel.scenario.restatement
    assert kpi_actual(rel, partner, period, kpi_id) == previous
    book = next(w for w in rel.workbooks if w.file_name == file_name)
    assert book.period > period
    rows = [r for r in book.rows["kpis"] if r["kpi_id"] == kpi_id and r["period"] == period]
    assert [r["actual"] for r in rows] == [restated]
    assert abs(restated - previous) / previous > 0.01


def test_late_and_superseding_file(rel: SampleRelationship) -> None:
    partner, period, first, second = rel.scenario.late_file
    books = {w.file_name: w for w in rel.workbooks}
    assert books[second].supersedes == first
    assert books[first].partner == books[second].partner == partner
    assert books[first].period == books[second].period == period
    assert books[second].received_at > books[first].received_at
    assert books[first].received_at.day > DEADLINE_DAY
    assert rel.current(partner, period).file_name == second
    changed = [
        (a["kpi_id"], a["actual"], b["actual"])
        for a, b in zip(books[first].rows["kpis"], books[second].rows["kpis"], strict=True)
        if a["actual"] != b["actual"]
    ]
    assert len(changed) == 1


def test_formula_looking_text(rel: SampleRelationship) -> None:
    texts = rel.scenario.formula_texts
    assert {t[-1][0] for t in texts} >= {"=", "-", "@"}
    books = {w.file_name: w for w in rel.workbooks}
    for file_name, sheet, column, _, text in texts:
        assert text in [r.get(column) for r in books[file_name].rows[sheet]]


def test_two_partners_and_bad_arguments() -> None:
    small = build_relationship(seed=1, partners=2, periods=4)
    assert len(small.partners) == 2 and len(small.periods) == 4
    assert len(set(small.scenario.kpi_disagreement[2].values())) == 2
    with pytest.raises(ValueError):
        build_relationship(partners=1)
    with pytest.raises(ValueError):
        build_relationship(periods=3)


def test_config_toml_round_trips(rel: SampleRelationship, tmp_path: Path) -> None:
    path = tmp_path / "rmp.toml"
    path.write_text(config_toml(rel.config), encoding="utf-8")
    assert load_config(path) == rel.config


# --- reading filled workbooks back ---------------------------------------------------------


def typed(value: Any, col: Column) -> Any:
    """A cell as read back, turned into what was meant: people's text numbers included."""
    if value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and col.type in (ColType.NUMBER, ColType.INTEGER, ColType.PERCENT):
        text = value.replace(",", "").strip()
        if text.endswith("%"):
            number = float(text[:-1])
            return number / 100 if col.type is ColType.PERCENT else number
        return float(text)
    return value


def meant(value: Any) -> Any:
    return None if value == "" else value


def same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) < 1e-9
    return a == b


def calamine_rows(path: Path, sheet: Sheet) -> list[dict[str, Any]]:
    """A table sheet's non-blank rows, by column key, found by header text."""
    data = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet.name).to_python()
    index = {h: i for i, h in enumerate(data[0])}
    out = []
    for raw in data[1:]:
        row = {c.key: typed(raw[index[c.header]], c) for c in sheet.columns}
        if any(row[c.key] is not None for c in sheet.input_columns):
            out.append(row)
    return out


def calamine_form(path: Path) -> dict[str, Any]:
    data = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(RELATIONSHIP.name).to_python()
    by_label = {r[FORM_LABEL_COL]: r[FORM_VALUE_COL] for r in data[FORM_FIRST_ROW:]}
    return {c.key: typed(by_label[c.header], c) for c in RELATIONSHIP.columns}


def mismatches(path: Path, book: Any) -> Iterator[tuple[str, int, str, Any, Any]]:
    for key, rows in book.rows.items():
        sheet = SCHEMA[key]
        got = calamine_rows(path, sheet)
        assert len(got) == len(rows), (path.name, key, len(got), len(rows))
        for i, (want, have) in enumerate(zip(rows, got, strict=True)):
            for col, value in want.items():
                if not same(meant(value), have[col]):
                    yield key, i, col, value, have[col]
    form = calamine_form(path)
    for col, value in book.relationship.items():
        if not same(meant(value), form[col]):
            yield "relationship", 0, col, value, form[col]


def test_every_filled_workbook_holds_what_was_typed(
    rel: SampleRelationship, sample_dir: Path
) -> None:
    for book in rel.workbooks:
        path = sample_dir / book.file_name
        assert list(mismatches(path, book)) == [], book.file_name


def test_folder_contents_and_arrival_times(rel: SampleRelationship, sample_dir: Path) -> None:
    files = sorted(p.name for p in sample_dir.iterdir())
    assert files == sorted(["rmp.toml", *(w.file_name for w in rel.workbooks)])
    assert load_config(sample_dir / "rmp.toml") == rel.config
    mtimes = [(sample_dir / w.file_name).stat().st_mtime for w in rel.workbooks]
    assert mtimes == sorted(mtimes) and len(set(mtimes)) == len(mtimes)
    _, _, first, second = rel.scenario.late_file
    assert (sample_dir / second).stat().st_mtime > (sample_dir / first).stat().st_mtime
    total = sum((sample_dir / f).stat().st_size for f in files)
    assert total < 1_500_000


def test_identity_and_metadata_survive_filling(rel: SampleRelationship, sample_dir: Path) -> None:
    for book in rel.workbooks[:4]:
        wb = openpyxl.load_workbook(sample_dir / book.file_name)
        meta = wb[META_SHEET]
        assert meta.sheet_state == "veryHidden"
        values = {meta.cell(r, 1).value: meta.cell(r, 2).value for r in range(1, meta.max_row + 1)}
        assert values["partner"] == book.partner
        assert values["period"] == book.period
        assert wb.properties.lastModifiedBy == book.relationship["prepared_by"]


def table_extents(path: Path) -> dict[str, tuple[int, int]]:
    """Sheet name -> (last row inside its table, last row with data), 1-based."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        for table in ws.tables.values():
            last_in = int(re.findall(r"\d+", table.ref)[-1])
            last_data = max(
                (c.row for row in ws.iter_rows() for c in row if c.value not in (None, "")),
                default=0,
            )
            out[ws.title] = (last_in, last_data)
    return out


def test_rows_pasted_below_tables(rel: SampleRelationship, sample_dir: Path) -> None:
    outside = {}
    for book in rel.workbooks:
        extents = table_extents(sample_dir / book.file_name)
        beyond = {s: e for s, e in extents.items() if e[1] > e[0]}
        if book.style == "tidy":
            assert beyond == {}, book.file_name
        outside.update({(book.file_name, s): e for s, e in beyond.items()})
    # Some messy files have rows under a table, and those rows were read back above.
    assert len(outside) >= 3
    assert all(last_data - last_in <= 2 for last_in, last_data in outside.values())


def number_cells(path: Path) -> Iterator[tuple[str, Column, Any]]:
    for sheet in SCHEMA.values():
        if sheet.kind is SheetKind.FORM:
            continue
        data = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet.name).to_python()
        index = {h: i for i, h in enumerate(data[0])}
        for raw in data[1:]:
            for col in sheet.columns:
                if col.type in (ColType.NUMBER, ColType.INTEGER, ColType.PERCENT):
                    yield sheet.name, col, raw[index[col.header]]


def test_messy_files_paste_numbers_as_text_tidy_files_do_not(
    rel: SampleRelationship, sample_dir: Path
) -> None:
    kinds: dict[str, set[str]] = {"tidy": set(), "messy": set()}
    for book in rel.workbooks:
        for _, _, value in number_cells(sample_dir / book.file_name):
            if isinstance(value, str) and value:
                kind = (
                    "percent" if value.endswith("%") else "thousands" if "," in value else "plain"
                )
                kinds[book.style].add(kind)
    assert kinds["tidy"] == set()
    assert kinds["messy"] == {"percent", "thousands", "plain"}


def test_dates_are_real_dates(rel: SampleRelationship, sample_dir: Path) -> None:
    book = rel.workbooks[-1]
    wb = openpyxl.load_workbook(sample_dir / book.file_name)
    ws = wb[SCHEMA["risks"].name]
    headers = [c.value for c in ws[1]]
    raised = ws.cell(2, headers.index("Raised on") + 1)
    assert raised.is_date and isinstance(raised.value, dt.datetime)


def test_formula_looking_text_stays_text(rel: SampleRelationship, sample_dir: Path) -> None:
    for file_name, sheet_key, column, _, text in rel.scenario.formula_texts:
        path = sample_dir / file_name
        sheet = SCHEMA[sheet_key]
        values = [r[column] for r in calamine_rows(path, sheet)]
        assert text in values
        wb = openpyxl.load_workbook(path)
        cells = [c for row in wb[sheet.name].iter_rows() for c in row if c.value == text]
        assert cells and all(c.data_type == "s" for c in cells)
    # No formula anywhere in the sheet XML holds the partner's text.
    file_name = next(t[0] for t in rel.scenario.formula_texts if t[-1].startswith("="))
    with zipfile.ZipFile(sample_dir / file_name) as z:
        xml = "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        )
    assert "HYPERLINK" not in " ".join(re.findall(r"<f>(.*?)</f>", xml))


def test_fill_is_byte_reproducible(
    rel: SampleRelationship, sample_dir: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    write_sample(again)
    for book in rel.workbooks:
        assert (again / book.file_name).read_bytes() == (sample_dir / book.file_name).read_bytes()


def all_cells(path: Path) -> dict[str, list[list[Any]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def test_committed_sample_data_is_current(rel: SampleRelationship, sample_dir: Path) -> None:
    """Fails when the schema or template changed: run python -m rmp_workbook.sample sample_data/."""
    committed = sorted(p.name for p in SAMPLE_DATA.iterdir() if p.suffix in (".xlsx", ".toml"))
    assert committed == sorted(p.name for p in sample_dir.iterdir())
    for name in committed:
        if name.endswith(".toml"):
            assert (SAMPLE_DATA / name).read_text() == (sample_dir / name).read_text()
        else:
            assert all_cells(SAMPLE_DATA / name) == all_cells(sample_dir / name), name


def test_fill_rejects_unknown_style(sample_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="style"):
        fill_workbook(
            sample_dir / "rmp.toml",
            {},
            tmp_path / "x.xlsx",
            style="sloppy",  # type: ignore[arg-type]
        )


@pytest.mark.slow
def test_libreoffice_keeps_a_messy_workbook(
    rel: SampleRelationship, sample_dir: Path, tmp_path: Path, lo_convert: Any
) -> None:
    """Saved again by LibreOffice: every typed value stays, formulas compute, text stays text."""
    _, _, _, second = rel.scenario.late_file
    book = next(w for w in rel.workbooks if w.file_name == second)
    assert any(e[1] > e[0] for e in table_extents(sample_dir / second).values())
    src = tmp_path / "in" / second
    src.parent.mkdir()
    shutil.copy(sample_dir / second, src)
    converted = lo_convert(src, "xlsx", tmp_path / "out")
    assert list(mismatches(converted, book)) == []
    for risk in calamine_rows(converted, SCHEMA["risks"]):
        assert risk["score"] == risk["likelihood"] * risk["impact"]


# --- the benchmark's workbooks -------------------------------------------------------------


def test_fill_many_writes_large_realistic_workbooks(tmp_path: Path) -> None:
    paths = fill_many(tmp_path, 3, seed=5)
    assert len(paths) == 3 and len({p.name for p in paths}) == 3
    config = load_config(tmp_path / "rmp.toml")
    assert len(config.partners) == 3 and len(config.kpis) == 10
    for path, partner in zip(paths, config.partners, strict=True):
        assert 30_000 < path.stat().st_size < 120_000
        kpis = calamine_rows(path, SCHEMA["kpis"])
        assert len(kpis) == 24 * 10
        assert len({r["period"] for r in kpis}) == 24
        assert all(isinstance(r["actual"], float) for r in kpis)
        assert len(calamine_rows(path, SCHEMA["risks"])) == 30
        assert len(calamine_rows(path, SCHEMA["contacts"])) == 20
        assert calamine_form(path)["partner"] == partner.name
        wb = openpyxl.load_workbook(path, read_only=True)
        meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(values_only=True)}
        wb.close()
        assert meta["partner"] == partner.name


def test_fill_many_is_reproducible(tmp_path: Path) -> None:
    a = fill_many(tmp_path / "a", 2, seed=9, periods=6)
    b = fill_many(tmp_path / "b", 2, seed=9, periods=6)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


# --- the project's own reader -------------------------------------------------------------


def test_typing_mistakes_are_planted_in_one_earlier_workbook(rel: SampleRelationship) -> None:
    mistakes = rel.scenario.typing_mistakes
    assert [(m[0], m[1], m[2], m[4]) for m in mistakes] == [
        ("contoso-engineering-plc_2026-09.xlsx", "risks", "likelihood", "high"),
        ("contoso-engineering-plc_2026-09.xlsx", "contacts", "email", "raj.patel.contoso.example"),
    ]
    books = {w.file_name: w for w in rel.workbooks}
    for file_name, sheet, column, _, typed_value in mistakes:
        assert typed_value in [r.get(column) for r in books[file_name].rows[sheet]]
    # Only that file: the months after it are typed correctly again.
    typed_anywhere = [
        w.file_name
        for w in rel.workbooks
        for rows in w.rows.values()
        for r in rows
        if r.get("likelihood") == "high" or (r.get("email") and "@" not in r["email"])
    ]
    assert typed_anywhere == ["contoso-engineering-plc_2026-09.xlsx"] * 2


def _mistake_key(sheet_key: str) -> str:
    return {"risks": "risk_id", "contacts": "name"}[sheet_key]


def test_every_sample_file_reads_back_with_exactly_the_planted_findings(
    rel: SampleRelationship, sample_dir: Path
) -> None:
    """Every file is valid but the one with typing mistakes, which has exactly those errors,
    each at the cell that holds the mistyped value; every other row reads back as typed."""
    from rmp_workbook.validate import read_workbook

    planted = rel.scenario.typing_mistakes
    for book in rel.workbooks:
        path = sample_dir / book.file_name
        sub = read_workbook(path, relationship_id=rel.config.id)
        mine = [m for m in planted if m[0] == book.file_name]
        found = sorted((f.sheet, f.column, f.value, f.code) for f in sub.findings)
        want = sorted((SCHEMA[m[1]].name, SCHEMA[m[1]].column(m[2]).header, m[4], "type-error")
                      for m in mine)  # fmt: skip
        assert found == want, (book.file_name, sub.findings)
        assert sub.valid == (not mine)
        if mine:
            wb = openpyxl.load_workbook(path, read_only=True)
            for f in sub.findings:
                assert wb[f.sheet][f.cell].value == f.value, (f.sheet, f.cell)
            wb.close()
        assert (sub.meta.partner, sub.meta.period) == (book.partner, book.period)
        for key, rows in book.rows.items():
            left_out = {m[3] for m in mine if m[1] == key}
            rows = [r for r in rows if not left_out or r[_mistake_key(key)] not in left_out]
            got = [r.values for r in sub.records[key]]
            assert len(got) == len(rows), (book.file_name, key)
            for want_row, have in zip(rows, got, strict=True):
                wrong = {
                    c: (v, have.get(c))
                    for c, v in want_row.items()
                    if not same(meant(v), have.get(c))
                }
                assert wrong == {}, (book.file_name, key)
        form = sub.records["relationship"][0].values
        assert {c: form.get(c) for c in book.relationship} == book.relationship


@pytest.fixture(scope="module")
def submissions(rel: SampleRelationship, sample_dir: Path) -> dict[str, Any]:
    from rmp_workbook.validate import read_workbook

    return {
        w.file_name: read_workbook(sample_dir / w.file_name, relationship_id=rel.config.id)
        for w in rel.workbooks
    }


def consolidated(rel: SampleRelationship, submissions: dict[str, Any], period: str) -> Any:
    """Reconcile the current workbooks up to ``period``, as ``rmp merge`` would."""
    from frames import combine, submission

    from rmp_workbook.reconcile import consolidate

    subs = []
    for w in rel.workbooks:
        if w.period > period or rel.current(w.partner, w.period) is not w:
            continue  # a superseded file, or a later month
        sheets = {
            key: [r.values for r in records]
            for key, records in submissions[w.file_name].records.items()
        }
        subs.append(
            submission(
                w.partner,
                w.period,
                received_at=w.received_at.replace(tzinfo=None),
                file=w.file_name,
                **sheets,
            )
        )
    return consolidate(
        combine(*subs),
        relationship_id=rel.config.id,
        relationship_name=rel.config.name,
        period=period,
        expected_partners=rel.partners,
        thresholds=rel.config.thresholds,
        today=month_end(period) + dt.timedelta(days=10),
    )


def test_reconciling_the_sample_finds_what_it_promises(
    rel: SampleRelationship, submissions: dict[str, Any]
) -> None:
    scenario = rel.scenario
    last = consolidated(rel, submissions, rel.periods[-1])
    gaps = {(g.rule, g.item.split(" ")[0]) for g in last.gaps}
    assert ("kpi-worsening", scenario.worsening_kpi[0]) in gaps
    assert ("risk-high-score", scenario.high_risk[0]) in gaps
    assert ("risk-review-overdue", scenario.risk_review_overdue[0]) in gaps
    assert ("action-overdue", scenario.overdue_action[0]) in gaps
    assert ("bottleneck-open-too-long", scenario.long_open_bottleneck[0]) in gaps
    rules = {g.rule: g for g in last.gaps}
    assert scenario.stage_overdue[0] in rules["stage-overdue"].item
    assert scenario.perception_gap[0] in rules["health-perception-gap"].item
    assert "contacts-no-escalation" in rules
    assert "submission-missing" not in rules
    disputed = {
        (d["sheet"], d["item"].split(" ")[0]) for d in last.discrepancies.to_dict("records")
    }
    assert ("Risks", scenario.risk_disagreement[0]) in disputed
    assert any(sheet == "Stages" for sheet, _ in disputed)
    partner, kpi_id, period, _, restated, _ = scenario.restatement
    history = last.kpi_history
    kept = history[
        (history.kpi_id == kpi_id) & (history.period == period) & (history.partner == partner)
    ]
    assert kept.actual.tolist() == [restated]

    october = consolidated(rel, submissions, scenario.kpi_disagreement[1])
    breaches = [g.item for g in october.gaps if g.rule == "sla-breach"]
    assert breaches == [f"{scenario.sla_breach[0]} / {scenario.sla_breach[1]}"]
    kpi_rows = october.discrepancies[october.discrepancies.sheet == "KPIs"]
    assert [i.split(" ")[0] for i in kpi_rows.item] == [scenario.kpi_disagreement[0]]


def test_ledger_sees_the_resubmission_and_the_restatement(
    rel: SampleRelationship, sample_dir: Path, tmp_path: Path
) -> None:
    """Recorded newest file first, the file times still make the resubmission win."""
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.validate import read_workbook

    partner, period, first, second = rel.scenario.late_file
    paths = sorted(sample_dir.glob("*.xlsx"), key=lambda p: p.name, reverse=True)
    assert paths.index(sample_dir / second) < paths.index(sample_dir / first)
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        result = ledger.record([read_workbook(p, relationship_id=rel.config.id) for p in paths])
        assert [(s.partner, s.period, s.old_file, s.new_file) for s in result.superseded] == [
            (partner, period, first, second)
        ]
        current = ledger.submissions_frame(rel.config.id, period)
        status = dict(zip(current.file, current.status, strict=True))
        assert status[second] == "current" and status[first] == "superseded"
        who, kpi_id, when, previous, restated, file_name = rel.scenario.restatement
        found = [
            (r.partner, r.period, r.previous, r.restated, r.file)
            for r in result.restatements
            if r.item.startswith(kpi_id)
        ]
        assert found == [(who, when, previous, restated, file_name)]
