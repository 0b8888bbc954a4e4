"""docs/reconciliation.md: its generated tables are current and its worked example runs."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from rmp_workbook.config import Thresholds
from rmp_workbook.gaps import RULES, rules_markdown
from rmp_workbook.reconcile import matching_keys_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "reconciliation.md"


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_doc_holds_the_generated_tables():
    doc = text()
    assert matching_keys_markdown() in doc, "regenerate the matching keys table"
    assert rules_markdown() in doc, "regenerate the gap rules table"


def test_doc_names_every_rule_code_and_threshold():
    doc = text()
    for rule in RULES:
        assert f"`{rule.code}`" in doc
    for name, field in Thresholds.model_fields.items():
        assert f"| `{name}` | {field.default} |" in doc


def _run_example(heading: str) -> str:
    """Run the first Python block after ``heading`` and check it prints the text block
    after it, exactly; that text."""
    doc = text()
    example = doc[doc.index(heading) :]
    code = re.search(r"```python\n(.*?)```", example, re.S)
    shown = re.search(r"```text\n(.*?)```", example, re.S)
    assert code and shown
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code.group(1), str(DOC), "exec"), {"__name__": "docs_example"})
    assert out.getvalue() == shown.group(1)
    return shown.group(1)


def test_worked_example_prints_what_the_doc_shows():
    assert "Owner's figure (Northwind Ltd)" in _run_example("## Worked example")


def test_plan_areas_worked_example_prints_what_the_doc_shows():
    shown = _run_example("## Worked example: managing the relationship")
    for code_ in ("communication-overdue", "development-need-overdue", "value-behind-estimate",
                  "exit-plan-not-reviewed", "information-no-owner"):  # fmt: skip
        assert code_ in shown
