"""``rmp demo`` runs the whole cycle in a fresh folder, as the README promises."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shlex
import warnings
from pathlib import Path

import openpyxl
from conftest import run_rmp
from python_calamine import CalamineWorkbook


def test_demo_runs_the_whole_cycle(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    proc = run_rmp("demo", str(folder), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = ("template", "fill", "validate", "merge", "status", "sign-off and close", "report")
    for step in (*steps, "next month"):
        assert step in proc.stderr
    # A partner is late: its workbook was missing on the due day, a reminder draft went out,
    # and rmp status, the Dashboard and the Submissions sheet call it late.
    assert "Late: Fabrikam Logistics (due 2026-12-07, came 2026-12-11)" in proc.stdout
    reminder = folder / "outbox" / "fabrikam-logistics-2026-11-reminders.eml"
    assert f"Reminder e-mail draft, the day after the due day: demo/outbox/{reminder.name}" in (
        proc.stdout
    )
    with reminder.open("rb") as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.default)
    assert msg["To"] == "Liam O'Connor <liam.oconnor@fabrikam.example>"
    assert "It was due on Monday 7 December 2026" in msg.get_body().get_content()
    assert len(proc.stdout.splitlines()) <= 16, "the demo's output stays short"
    assert "Consolidated workbook: demo/consolidated-2026-11.xlsx" in proc.stdout
    # Both partners' sign-off workbooks are recorded, then the month is closed.
    assert (
        "Sign-off: demo/signoff/ (Agreed by all partners on 2026-12-14); "
        "2026-11 closed and published (rmp close)"
    ) in proc.stdout
    closed = run_rmp("close", "--period", "2026-11", "--config", "rmp.toml", "--json",
                     cwd=folder)  # fmt: skip
    assert closed.returncode == 0, closed.stdout + closed.stderr
    assert json.loads(closed.stdout)["new"] is False  # published already, nothing changed

    assert sorted(p.name for p in (folder / "2026-11").iterdir()) == [
        "contoso-engineering-plc-2026-11.xlsx",
        "fabrikam-logistics-2026-11.xlsx",
        "northwind-components-ltd-2026-11.xlsx",
    ]
    assert len(list((folder / "returned").glob("*.xlsx"))) == 19
    assert (folder / "rmp.toml").exists() and (folder / "rmp-ledger.sqlite").exists()
    assert {p.name for p in (folder / "report").iterdir()} >= {"summary.pdf", "kpi-trends.png"}

    # The sample's two typing mistakes: listed with their cells, left out, fed back; exit 0
    # all the same, since the demo itself succeeded.
    assert "Mistakes found: 2 errors in 1 workbook" in proc.stdout
    assert "contoso-engineering-plc_2026-09.xlsx Risks!D2: Likelihood" in proc.stdout
    assert "contoso-engineering-plc_2026-09.xlsx Contacts!E3: Email" in proc.stdout
    assert "Feedback for partners: demo/feedback/" in proc.stdout
    copy = folder / "feedback" / "contoso-engineering-plc_2026-09.feedback.xlsx"
    assert [p.name for p in (folder / "feedback").iterdir()] == [copy.name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fb = openpyxl.load_workbook(copy)
    assert fb.sheetnames[0] == "Problems"
    assert fb["Risks"]["D2"].value == "high" and fb["Risks"]["D2"].comment is not None
    assert fb["Contacts"]["E3"].comment is not None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl: sparkline extensions
        wb = openpyxl.load_workbook(folder / "consolidated-2026-11.xlsx")
    assert wb.sheetnames[0] == "Dashboard"
    dash = [[c.value for c in row] for row in wb["Dashboard"].iter_rows(max_row=12)]
    assert "due 2026-12-07  ·  3 of 3 partners submitted (1 late)" in dash[1][1]
    assert [r[2] for r in dash if r[1] == "Fabrikam Logistics"] == ["Late"]
    assert wb["Discrepancies"].max_row > 1 and wb["Gaps"].max_row > 1
    quality = [tuple(c.value for c in row[:3]) for row in wb["Data quality"].iter_rows()]
    september = "contoso-engineering-plc_2026-09.xlsx"
    assert {(september, "Risks", "D2"), (september, "Contacts", "E3")} <= set(quality)

    # Next month's workbooks are pre-filled from the ledger: KPIs for 2026-12, Actual blank.
    nxt = CalamineWorkbook.from_path(str(folder / "2026-12/fabrikam-logistics-2026-12.xlsx"))
    kpis = [r for r in nxt.get_sheet_by_name("KPIs").to_python()[1:] if r[0]]
    assert kpis and {r[6] for r in kpis} == {"2026-12"} and {r[7] for r in kpis} == {""}
    risks = [r for r in nxt.get_sheet_by_name("Risks").to_python()[1:] if r[0]]
    assert risks, "open risks carried into next month"

    # Running it again refreshes the folder: the ledger starts empty, nothing doubles.
    again = run_rmp("demo", str(folder), cwd=tmp_path)
    assert again.returncode == 0
    assert (
        proc.stdout.split("Ledger:")[1].split(")")[0]
        == again.stdout.split("Ledger:")[1].split(")")[0]
    )


def test_readme_first_commands_are_the_newcomers(tmp_path: Path) -> None:
    """The README's first two commands: make and activate a virtual environment, then
    install and run the demo; the same, then install and run the tests (the very command
    .ci/run runs in its own fresh environment). The demo works as written, in an empty folder."""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```bash\n(.*?)\n(.*?)\n```", readme)
    assert first is not None, "the set-up is exactly two commands"
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert first.group(1) == venv + "pip install -e . && rmp demo"
    assert first.group(2) == venv + "pip install -e '.[test]' && pytest"
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    # .ci/run makes its own fresh virtual environment, then runs the rest of the line.
    assert first.group(2).removeprefix(venv) in ci
    assert any(line.startswith("python3 -m venv") for line in ci)
    demo = first.group(1).rpartition(" && ")[2]
    proc = run_rmp(*shlex.split(demo)[1:], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "rmp-demo" / "consolidated-2026-11.xlsx").exists()
