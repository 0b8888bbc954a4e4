"""Generated docs are current; docs/validate.md documents every field and exit code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_rmp
from fill import fill_bad, fill_good, make_template

from rmp_workbook.docgen import findings_markdown, schema_markdown
from rmp_workbook.findings import Finding
from rmp_workbook.rows import workbook_json_schema
from rmp_workbook.schema import SHEETS
from rmp_workbook.validate import validate_paths

DOCS = Path(__file__).resolve().parent.parent / "docs"
STALE = "is stale: run python -m rmp_workbook.docgen docs"


def test_schema_page_is_current() -> None:
    assert (DOCS / "schema.md").read_text(encoding="utf-8") == schema_markdown(), STALE


def test_findings_page_is_current() -> None:
    assert (DOCS / "findings.md").read_text(encoding="utf-8") == findings_markdown(), STALE
    for code in Finding.registry:
        if code != "finding":
            assert f"`{code}`" in findings_markdown()


def test_schema_page_names_every_sheet_and_column() -> None:
    text = schema_markdown()
    for sheet in SHEETS:
        assert f"## {sheet.name}\n" in text
        for col in sheet.columns:
            assert f"`{col.key}`" in text and col.header in text
            for choice in col.choices:
                assert choice in text


def test_rmp_schema_markdown_is_the_page() -> None:
    proc = run_rmp("schema", "--format", "markdown")
    assert proc.returncode == 0 and proc.stdout == schema_markdown()


def test_rmp_schema_json_is_the_json_schema() -> None:
    proc = run_rmp("schema")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == workbook_json_schema()
    assert run_rmp("schema", "--format", "yaml").returncode == 2


def _field_rows(section: str) -> set[str]:
    names: set[str] = set()
    for line in section.splitlines():
        m = re.match(r"^\| (`[^|]+`) \|", line)
        if m:
            names.update(re.findall(r"`([a-z_0-9]+)`", m.group(1)))
    return names


def test_validate_page_documents_every_json_field(tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.xlsx")
    fill_good(template, tmp_path / "good.xlsx")
    fill_bad(template, tmp_path / "bad.xlsx")
    data = validate_paths([tmp_path]).to_dict()
    text = (DOCS / "validate.md").read_text(encoding="utf-8")
    documented = _field_rows(text)
    problem = next(p for f in data["files"] for p in f["problems"])
    for keys in (data["files"][0], problem, data["summary"]):
        missing = set(keys) - documented
        assert not missing, f"docs/validate.md does not document {sorted(missing)}"
    for code in ("`0`", "`1`", "`2`"):
        assert f"| {code} |" in text


@pytest.mark.parametrize("page", ["schema.md", "findings.md", "validate.md"])
def test_pages_are_linked_from_readme(page: str) -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert f"docs/{page}" in readme


def test_validate_page_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / "validate.md").read_text(encoding="utf-8")
    code = re.search(r"## From Python\n\n```python\n(.*?)```", text, re.S)
    assert code is not None
    folder = tmp_path / "returned" / "2026-11"
    folder.mkdir(parents=True)
    fill_bad(make_template(tmp_path / "t.xlsx"), folder / "northwind-2026-11.xlsx")
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(code.group(1), scope)
    assert ("Risks", "E4", "out-of-range") in scope["problems"]  # type: ignore[operator]
    assert [r["risk_id"] for r in scope["risks"]] == ["R01"]  # type: ignore[attr-defined]
