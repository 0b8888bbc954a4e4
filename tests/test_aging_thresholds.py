"""Aging against the period's end, and the config's thresholds in every output.

Real workbooks month after month: templates from the config (pre-filled from the
ledger after the first month), typed through openpyxl, merged into one ledger.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import run_rmp
from months import CO, CONFIG, NW, Relationship

from rmp_workbook.rag import ZONE_FILLS

# The consolidated workbook has sparklines, which openpyxl cannot read (and says so).
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:openpyxl")


def _month(rel: Relationship, period: str, *, risk: dict[str, Any] | None = None) -> None:
    """Both partners return the period's workbook: an overdue action, an old bottleneck."""
    for partner in (NW, CO):
        rows: dict[str, list[dict[str, Any]]] = {
            "KPIs": [{"KPI ID": "K01", "Actual": 96}],
            "Contacts": [
                {"Name": f"{partner} lead", "Email": f"lead@{partner.split()[0].lower()}.example",
                 "Escalation level": 3},
            ],
            "Actions": [
                {"Action ID": "A01", "Action": "Sign the data-sharing agreement", "Owner": NW,
                 "Due": dt.datetime(2026, 9, 20), "Status": "Open"},
            ],
            "Bottlenecks": [
                {"Bottleneck ID": "B01", "Problem": "Slow approvals", "Owner": NW,
                 "Raised on": dt.datetime(2026, 8, 1), "Status": "Open"},
            ],
        }  # fmt: skip
        if risk:
            rows["Risks"] = [risk]
        rel.returned(period, partner, rows)


def _values(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _gap(path: Path, rule: str) -> dict[str, Any]:
    rows = _values(path, "Gaps")
    header = rows[0]
    found = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[header.index("Rule")] == rule]
    assert len(found) == 1, found
    return found[0]


def _timeless(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A sheet's values without the run's own time stamps (when it was generated)."""
    return [
        tuple(
            None if isinstance(v, dt.datetime) or (isinstance(v, str) and "generated" in v) else v
            for v in r
        )
        for r in rows
    ]


def test_gaps_age_against_the_period_end_and_a_rebuilt_month_is_the_issued_one(
    tmp_path: Path,
) -> None:
    rel = Relationship(tmp_path / "rel")
    _month(rel, "2026-09")
    issued = rel.merge("2026-09").output
    assert issued is not None
    # 30 September, not the day the test runs: 10 days past 20 September, 60 days since 1 August.
    action = _gap(issued, "action-overdue")
    assert (action["Value"], action["Severity"]) == ("10 days overdue", "Amber")
    bottleneck = _gap(issued, "bottleneck-open-too-long")
    assert (bottleneck["Value"], bottleneck["Severity"]) == ("60 days open", "Red")

    _month(rel, "2026-10")
    october = rel.merge("2026-10").output
    assert october is not None
    assert _gap(october, "action-overdue")["Value"] == "41 days overdue"

    # September rebuilt after October was merged: the workbook that was issued.
    rebuilt = rel.merge("2026-09", output=tmp_path / "rebuilt-2026-09.xlsx").output
    assert rebuilt is not None
    for sheet in ("Gaps", "Dashboard", "Discrepancies"):
        assert _timeless(_values(rebuilt, sheet)) == _timeless(_values(issued, sheet)), sheet

    # --as-of ages against the day given instead.
    out = tmp_path / "as-of.xlsx"
    proc = run_rmp(
        "merge", str(rel.root / "returned" / "2026-09"), "--config", str(rel.config_path),
        "--ledger", str(rel.ledger), "--period", "2026-09", "--as-of", "2026-10-15",
        "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _gap(out, "action-overdue")["Value"] == "25 days overdue"
    report = tmp_path / "report"
    proc = run_rmp(
        "report", "--ledger", str(rel.ledger), "--config", str(rel.config_path),
        "--period", "2026-09", "--as-of", "2026-10-15", "-o", str(report),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


STRICT = CONFIG + "\n[relationship.thresholds]\nrisk_score_red = 12\nrisk_score_amber = 6\n"
R01 = {"Risk ID": "R01", "Risk": "Key engineer leaves", "Likelihood": 3, "Impact": 4,
       "Owner": NW, "Status": "Open", "Raised on": dt.datetime(2026, 9, 1)}  # fmt: skip


def _red_pixels(png: Path) -> int:
    from PIL import Image

    red = ZONE_FILLS["Red"].lstrip("#")
    want = tuple(int(red[i : i + 2], 16) for i in (0, 2, 4))
    image = Image.open(png).convert("RGB")
    return sum(n for n, colour in image.getcolors(1 << 24) or [] if colour == want)


def _report(rel: Relationship, out: Path) -> Path:
    proc = run_rmp(
        "report", "--ledger", str(rel.ledger), "--config", str(rel.config_path),
        "--period", "2026-09", "-o", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_the_config_thresholds_colour_every_output(tmp_path: Path) -> None:
    rel = Relationship(tmp_path / "rel", STRICT)
    _month(rel, "2026-09", risk=R01)
    out = rel.merge("2026-09").output
    assert out is not None
    # Score 12 is Red with risk_score_red = 12 (Amber by the default 15).
    gap = _gap(out, "risk-high-score")
    assert (gap["Severity"], gap["Target"]) == ("Red", "below 12")
    dashboard = openpyxl.load_workbook(out)["Dashboard"]
    texts = {c.value for row in dashboard.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"Red: score 12 or more", "Amber: 6 to 11", "Green: below 6"} <= texts
    rules = [
        r.formula[0]
        for cf in dashboard.conditional_formatting
        for r in cf.rules
        if r.formula and "*" in r.formula[0]
    ]
    assert any(f.endswith(">=12") for f in rules) and any(f.endswith(">=6") for f in rules)

    strict = _report(rel, tmp_path / "strict")
    rel.set_config(CONFIG)
    default = _report(rel, tmp_path / "default")
    # Two more heat-map cells (3×4 and 4×3) are in the Red zone with the stricter config.
    assert _red_pixels(strict / "risk-heat-map.png") > 1.2 * _red_pixels(
        default / "risk-heat-map.png"
    )
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    words = subprocess.run(
        ["pdftotext", "-layout", str(strict / "summary.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert any("Red" in line and "R01" in line for line in words.splitlines()), words


def _rmp(*args: str) -> None:
    proc = run_rmp(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_without_config_every_command_colours_by_the_config_the_ledger_holds(
    tmp_path: Path,
) -> None:
    """The merge with --config kept risk_score_red = 12; report, audit, a merge again and
    the library's view, all without --config, colour by it, not by the default 15."""
    from rmp_workbook.report import consolidated_from_ledger

    rel = Relationship(tmp_path / "rel", STRICT)
    _month(rel, "2026-09", risk={**R01, "Impact": 2})  # score 6
    rel.merge("2026-09")
    _month(rel, "2026-10", risk=R01)  # score 12: Red by the kept config, Amber by default
    merged = rel.merge("2026-10").output
    assert merged is not None
    assert _gap(merged, "risk-high-score")["Severity"] == "Red"
    rel.config_path.unlink()  # nothing on disk to fall back on
    ledger = str(rel.ledger)

    view = consolidated_from_ledger(ledger, "2026-10")
    assert view.thresholds.risk_score_red == 12
    gaps = [(g.rule, g.severity) for g in view.gaps if g.rule == "risk-high-score"]
    assert gaps == [("risk-high-score", "Red")]

    again = tmp_path / "again.xlsx"
    _rmp("merge", str(rel.root / "returned" / "2026-10"), "--ledger", ledger,
         "--period", "2026-10", "-o", str(again))  # fmt: skip
    for sheet in ("Gaps", "Dashboard"):
        assert _timeless(_values(again, sheet)) == _timeless(_values(merged, sheet)), sheet

    audit = tmp_path / "audit.xlsx"
    _rmp("audit", "--ledger", ledger, "--from", "2026-09", "--to", "2026-10", "-o", str(audit))
    events = _values(audit, "Risk events")  # a title and a note above the table
    header = events.index(("Period", "Risk ID", "Risk", "Event", "Score", "Status"))
    assert [(r[0], r[1], r[3], r[4]) for r in events[header + 1 :]] == [
        ("2026-09", "R01", "Raised", 6),
        ("2026-10", "R01", "Escalated to Red", 12),
    ]

    report = tmp_path / "report"
    _rmp("report", "--ledger", ledger, "--period", "2026-10", "-o", str(report))
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    words = subprocess.run(
        ["pdftotext", "-layout", str(report / "summary.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert any("Red" in line and "R01" in line for line in words.splitlines()), words
