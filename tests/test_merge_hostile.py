"""``rmp merge`` over hostile files beside good ones, and partner text in names.

The hostile corpus is the one ``rmp validate`` is proven against (tests/hostile_corpus.py);
here it sits in one folder with good workbooks and goes through a whole merge.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from conftest import run_rmp
from hostile_corpus import build_corpus
from python_calamine import CalamineWorkbook
from test_hostile import run_measured

from rmp_workbook import dashboard
from rmp_workbook.config import load_config
from rmp_workbook.feedback import feedback_path
from rmp_workbook.sample.bench import fill_many
from rmp_workbook.schema import SCHEMA
from rmp_workbook.template import template_file_name, write_partner_templates

SECRET = "TOP-SECRET-merge-5ec7e7"
MAX_SECONDS = 60
MAX_RSS_MB = 600
# Sheets that hold partners' data (the Dashboard and About carry the time of the run).
DATA_SHEETS = (
    *(SCHEMA[key].name for key in dashboard.DATA_SHEETS),
    "Gaps",
    "Discrepancies",
    "Chart data",
)


def sheets(path: Path) -> dict[str, list[list[object]]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}


def holds(path: Path, needle: bytes) -> bool:
    """Whether a file holds ``needle``, raw or inside any zip member."""
    data = path.read_bytes()
    if needle in data:
        return True
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return any(needle in zf.read(n) for n in zf.namelist())
    return False


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory):
    """One measured merge of the whole corpus beside three good workbooks, and a clean one."""
    base = tmp_path_factory.mktemp("merge-hostile")
    secret = base / "secret.txt"
    secret.write_text(SECRET)
    good = fill_many(base / "good", 3)
    inbox = base / "inbox"
    shutil.copytree(base / "good", inbox)
    corpus = build_corpus(base / "corpus", secret)
    for path, _code in corpus.values():
        shutil.move(str(path), inbox / path.name)
    # A link to a file that is not a workbook at all, dressed as one.
    (inbox / "link-to-secret.xlsx").symlink_to(secret)
    config = str(base / "good" / "rmp.toml")

    proc, seconds, rss_mb = run_measured(
        "-m", "rmp_workbook", "merge", str(inbox), "--config", config,
        "--ledger", str(base / "ledger.sqlite"), "-o", str(base / "out" / "consolidated.xlsx"),
        "--feedback", str(base / "feedback"),
    )  # fmt: skip
    clean = run_rmp(
        "merge", str(base / "good"), "--config", config,
        "--ledger", str(base / "clean.sqlite"), "-o", str(base / "clean.xlsx"),
    )  # fmt: skip
    assert clean.returncode == 0, clean.stdout + clean.stderr
    bad = sorted([p.name for p, _ in corpus.values()] + ["link-to-secret.xlsx"])
    return base, proc, seconds, rss_mb, bad, [p.name for p in good]


def test_good_workbooks_still_merge_and_bad_ones_are_listed(hostile_run) -> None:
    base, proc, seconds, rss_mb, bad, good = hostile_run
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "Traceback" not in output and proc.stderr == "", output
    assert f"{len(good)} of " in proc.stdout and " merged: " in proc.stdout
    lines = proc.stdout.splitlines()
    for name in bad:
        [line] = [ln for ln in lines if ln.strip().startswith(f"{name}: ")]
        assert len(line.strip()) > len(name) + 20, line  # a reason, not just the name
    assert seconds < MAX_SECONDS, seconds
    assert rss_mb < MAX_RSS_MB, rss_mb
    assert (base / "out" / "consolidated.xlsx").is_file()


def test_consolidated_workbook_holds_nothing_from_the_bad_files(hostile_run) -> None:
    base, _proc, _s, _r, bad, good = hostile_run
    got = sheets(base / "out" / "consolidated.xlsx")
    clean = sheets(base / "clean.xlsx")
    for name in DATA_SHEETS:
        assert got[name] == clean[name], name
    # Submissions lists the good files only; Data quality names each bad one, not its content.
    submitted = {str(r[i]) for r in got["Submissions"][1:] for i in range(len(r))}
    assert not any(b in submitted for b in bad)
    listed = [r[0] for r in got["Data quality"][1:]]
    assert sorted(n for n in listed if n in bad) == bad
    assert not any(g in listed for g in good)
    with sqlite3.connect(base / "ledger.sqlite") as db:
        stored = [" ".join(map(str, row)) for row in db.execute("SELECT * FROM submissions")]
    assert len(stored) == len(good)
    assert not any(b in row for row in stored for b in bad)


def test_the_secret_an_external_entity_points_at_appears_nowhere(hostile_run) -> None:
    base, proc, *_ = hostile_run
    assert SECRET not in proc.stdout + proc.stderr
    written = [
        p
        for folder in ("out", "feedback")
        if (base / folder).exists()
        for p in (base / folder).rglob("*")
        if p.is_file()
    ]
    written += [p for p in base.glob("ledger.sqlite*") if p.is_file()]
    assert any(p.name == "consolidated.xlsx" for p in written)
    assert any(p.name == "ledger.sqlite" for p in written)
    for path in written:
        assert not holds(path, SECRET.encode()), path
    # The check can see a secret when one is there.
    assert holds(base / "secret.txt", SECRET.encode())


# --------------------------------------------------------------------------- names from partners

HOSTILE_NAMES = [
    "../../escape",
    "a/b",
    "a\\b",
    "C:relative",
    "star*and?pipe|",
    "..",
    "...",
    "con",
    "x" * 300,
    "Ünïcödé & Co",
    "株式会社",
    "Tab\there\nnewline",
]


def hostile_config(path: Path, names: list[str]) -> Path:
    lines = ["[relationship]", 'id = "HOST-1"', 'name = "Hostile names"', ""]
    for n in names:
        escaped = n.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
        escaped = escaped.replace("\n", "\\n")
        lines += ["[[relationship.partners]]", f'name = "{escaped}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_template_file_name_is_one_safe_file_name(name: str) -> None:
    got = template_file_name(name, "2026-11")
    assert "/" not in got and "\\" not in got and ":" not in got and "*" not in got
    assert got.endswith("-2026-11.xlsx") and not got.startswith(".")
    assert len(got.encode()) <= 120
    assert got.isascii() and got.isprintable()


def test_template_all_writes_every_hostile_partner_inside_the_folder(tmp_path: Path) -> None:
    config = hostile_config(tmp_path / "rmp.toml", HOSTILE_NAMES)
    out = tmp_path / "deep" / "templates"
    proc = run_rmp(
        "template", "--config", str(config), "--all", "--period", "2026-11", "-o", str(out)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = sorted(out.iterdir())
    assert len(written) == len(HOSTILE_NAMES)  # none overwrote another, none escaped
    assert not list(tmp_path.glob("escape*")) and not list((tmp_path / "deep").glob("escape*"))
    assert {p.parent for p in written} == {out}
    # Each template says whose it is: the partner's own name, not its file-safe form.
    partners = set()
    for path in written:
        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_name("Relationship").to_python()
        partners |= {str(c) for r in rows for c in r}
    assert all(n in partners for n in HOSTILE_NAMES if "\n" not in n and "\t" not in n)


def test_partner_templates_in_process_match_the_config(tmp_path: Path) -> None:
    config = load_config(hostile_config(tmp_path / "rmp.toml", HOSTILE_NAMES))
    written = write_partner_templates(tmp_path / "out", config, "2026-11")
    assert len(set(written)) == len(HOSTILE_NAMES)
    assert all(p.parent == tmp_path / "out" and p.is_file() for p in written)


@pytest.mark.parametrize(
    "file_name",
    ["..xlsx", "...xlsx", " .xlsx", "x" * 250 + ".xlsx", "a:b*c?.xlsx", "tab\tname.xlsx"],
)
def test_feedback_copy_name_stays_in_its_folder(tmp_path: Path, file_name: str) -> None:
    out = feedback_path(tmp_path / "in" / file_name, tmp_path / "fb")
    assert out.parent == tmp_path / "fb"
    assert not out.name.startswith(".") and out.name.endswith(".feedback.xlsx")
    assert len(out.name.encode()) < 255
    assert not any(ch in out.name for ch in ':*?\t"<>|')


def test_merge_of_partners_with_hostile_names(tmp_path: Path) -> None:
    """Workbooks whose partner field is hostile text merge; feedback copies stay in the folder."""
    names = ["../../escape", "a/b:c*d", "..", "x" * 200, '=HYPERLINK("http://x")']
    config = hostile_config(tmp_path / "rmp.toml", names)
    templates = tmp_path / "templates"
    proc = run_rmp(
        "template", "--config", str(config), "--all", "--period", "2026-11", "-o", str(templates)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_rmp(
        "merge", str(templates), "--config", str(config), "--ledger", str(tmp_path / "l.sqlite"),
        "-o", str(tmp_path / "out.xlsx"), "--feedback", str(tmp_path / "fb"),
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), output
    assert "Traceback" not in output
    got = sheets(tmp_path / "out.xlsx")
    assert all(len(n) <= 31 for n in got)
    subs = {str(c) for r in got["Submissions"] for c in r}
    assert all(n in subs for n in names)
    # Partner text is stored as text: never a formula in the consolidated workbook.
    with zipfile.ZipFile(tmp_path / "out.xlsx") as zf:
        assert not any(b"<f>HYPERLINK" in zf.read(n) for n in zf.namelist())
    fb = list((tmp_path / "fb").iterdir()) if (tmp_path / "fb").exists() else []
    assert all(p.parent == tmp_path / "fb" for p in fb)
    assert not list(tmp_path.parent.glob("escape*"))
    assert sorted(os.listdir(tmp_path)) == ["fb", "l.sqlite", "out.xlsx", "rmp.toml", "templates"]


def test_feedback_copies_of_files_with_one_name_in_two_folders_both_survive(
    tmp_path: Path,
) -> None:
    """``rmp merge north/ south/`` where both partners sent ``rmp.xlsx``: two copies."""
    from fill import BAD_ROWS, fill, make_template

    for folder, partner in (("north", "Northwind Ltd"), ("south", "Southwind plc")):
        (tmp_path / folder).mkdir()
        template = make_template(tmp_path / f"{folder}-blank.xlsx", partner=partner)
        fill(template, tmp_path / folder / "rmp.xlsx", rows=BAD_ROWS)
    proc = run_rmp(
        "merge", str(tmp_path / "north"), str(tmp_path / "south"),
        "--ledger", str(tmp_path / "l.sqlite"), "-o", str(tmp_path / "out.xlsx"),
        "--feedback", str(tmp_path / "fb"),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    copies = sorted((tmp_path / "fb").iterdir())
    assert len(copies) == 2, copies
    partners = set()
    for copy in copies:
        rows = CalamineWorkbook.from_path(str(copy)).get_sheet_by_name("Relationship")
        partners |= {str(c) for r in rows.to_python() for c in r}
    assert {"Northwind Ltd", "Southwind plc"} <= partners


def test_validate_feedback_keeps_both_copies_of_one_name_too(tmp_path: Path) -> None:
    from fill import BAD_ROWS, fill, make_template

    for folder in ("north", "south"):
        (tmp_path / folder).mkdir()
        template = make_template(tmp_path / f"{folder}-blank.xlsx")
        fill(template, tmp_path / folder / "Plan.xlsx", rows=BAD_ROWS)
    proc = run_rmp(
        "validate", str(tmp_path / "north"), str(tmp_path / "south"),
        "--feedback", str(tmp_path / "fb"),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    names = sorted(p.name for p in (tmp_path / "fb").iterdir())
    assert names == ["Plan-2.feedback.xlsx", "Plan.feedback.xlsx"]
