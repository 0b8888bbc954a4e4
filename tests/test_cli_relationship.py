"""``--relationship`` and ``--config`` name the relationship the same way in every command.

Either names it alone; both given must agree, or the command stops with exit 2 naming
the two IDs (one relationship's view with another's partners and thresholds would be
silently wrong). Real workbooks: templates from the config, typed through openpyxl,
merged into a ledger.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_rmp
from months import CO, FAB, NW, Relationship, config_text, form_values, type_into

from rmp_workbook.ledger import Ledger
from rmp_workbook.template import template_file_name

OTHER = config_text(NW, "Fabrikam Services", id="NW-FB", name="Northwind–Fabrikam")
"""Another relationship's config: its ID is NW-FB, the ledger's relationship is NW-CT."""


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Relationship:
    """NW-CT's September, merged with its config; NW-FB's config beside it."""
    rel = Relationship(tmp_path_factory.mktemp("rel"))
    for partner in (NW, CO):
        rel.returned("2026-09", partner, {"KPIs": [{"KPI ID": "K01", "Actual": 96}]})
    rel.merge("2026-09")
    (rel.root / "other.toml").write_text(OTHER, encoding="utf-8")
    return rel


def _commands(rel: Relationship, out: Path) -> dict[str, list[str]]:
    """Each command that takes both options, run on September, writing under ``out``."""
    ledger = ["--ledger", str(rel.ledger)]
    returned = str(rel.root / "returned" / "2026-09")
    words = {
        "status": ("status --period 2026-09", None),
        "report": ("report --period 2026-09", "report"),
        "audit": ("audit --from 2026-09 --to 2026-09", "audit.xlsx"),
        "handbook": ("handbook --period 2026-09", "rmp.pdf"),
        "signoff template": ("signoff template --period 2026-09", "signoff"),
        "close": ("close --period 2026-09", "closed.xlsx"),
        "restatement list": ("restatement list", None),
        "merge": (f"merge {returned} --period 2026-09", "merged.xlsx"),
        "history": ("history --kpi K01", None),
    }
    commands = {
        name: [*line.split(), *ledger, *(["-o", str(out / target)] if target else [])]
        for name, (line, target) in words.items()
    }
    return {**commands, "validate": ["validate", returned]}


@pytest.mark.parametrize(
    "command",
    ["status", "report", "audit", "handbook", "signoff template", "close",
     "restatement list", "merge", "validate", "history"],
)  # fmt: skip
def test_relationship_and_config_that_differ_stop_the_command(
    merged: Relationship, tmp_path: Path, command: str
) -> None:
    args = _commands(merged, tmp_path)[command]
    proc = run_rmp(*args, "--relationship", "NW-CT", "--config", str(merged.root / "other.toml"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--relationship NW-CT" in proc.stderr, proc.stderr
    assert "relationship ID NW-FB" in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written
    with Ledger(merged.ledger, create=False) as led:  # nothing recorded or published
        assert led.publications("NW-CT", "2026-09") == []
        assert sorted(led.relationships()["relationship_id"]) == ["NW-CT"]
        assert len(led.submissions_frame("NW-CT")) == 2


@pytest.mark.parametrize("command", ["status", "report"])
def test_relationship_and_config_that_agree_or_stand_alone_work(
    merged: Relationship, tmp_path: Path, command: str
) -> None:
    config = str(merged.config_path)
    for extra in (
        ["--relationship", "NW-CT", "--config", config],
        ["--relationship", "nw-ct", "--config", config],  # IDs compare ignoring case
        ["--relationship", "NW-CT"],
        ["--config", config],
    ):
        proc = run_rmp(*_commands(merged, tmp_path)[command], *extra)
        assert proc.returncode == 0, (extra, proc.stdout + proc.stderr)
        if command == "status":
            assert "NW-CT" in proc.stdout and NW in proc.stdout and CO in proc.stdout
        else:
            assert (tmp_path / "report" / "summary.pdf").stat().st_size > 0


def test_a_restatement_is_accepted_with_its_own_relationships_config_only(
    tmp_path: Path,
) -> None:
    """Accepting publishes the month again: with another relationship's config it would
    publish that relationship's partners and thresholds, so it stops instead."""
    rel = Relationship(tmp_path / "rel")
    for partner in (NW, CO):
        rel.returned("2026-09", partner, {"KPIs": [{"KPI ID": "K01", "Actual": 96}]})
    rel.merge("2026-09")
    ledger = ["--ledger", str(rel.ledger)]
    closed = run_rmp("close", "--period", "2026-09", *ledger)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    rel.returned("2026-09", NW, {"KPIs": [{"KPI ID": "K01", "Actual": 91}]})  # late
    rel.merge("2026-09")
    other = tmp_path / "other.toml"
    other.write_text(OTHER, encoding="utf-8")

    refused = run_rmp("restatement", "accept", "1", *ledger, "--config", str(other))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "relationship NW-CT" in refused.stderr and "NW-FB" in refused.stderr
    with Ledger(rel.ledger, create=False) as led:
        assert [p.status for p in led.proposals("NW-CT")] == ["proposed"]
        assert len(led.publications("NW-CT", "2026-09", latest=False)) == 1

    accepted = run_rmp("restatement", "accept", "1", *ledger, "--config", str(rel.config_path))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    with Ledger(rel.ledger, create=False) as led:
        assert [p.status for p in led.proposals("NW-CT")] == ["accepted"]
        assert len(led.publications("NW-CT", "2026-09", latest=False)) == 2


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> tuple[Relationship, Relationship]:
    """One ledger holding two relationships' September: NW-CT's, then NW-FB's."""
    root = tmp_path_factory.mktemp("two")
    ct = Relationship(root / "ct")
    fb = Relationship(root / "fb", config=OTHER, ledger=str(ct.ledger))
    for rel, partner, actual in ((ct, NW, 96), (ct, CO, 93), (fb, NW, 81), (fb, FAB, 82)):
        rel.returned("2026-09", partner, {"KPIs": [{"KPI ID": "K01", "Actual": actual}]})
    ct.merge("2026-09")
    fb.merge("2026-09")
    return ct, fb


def test_history_picks_the_relationship_as_every_command_does(
    two: tuple[Relationship, Relationship], merged: Relationship
) -> None:
    """``rmp history`` on a ledger of two relationships names them and stops, in the same
    words as ``rmp status``; named, or the ledger's only one, it shows that one's figures."""
    ledger = ["--ledger", str(two[0].ledger)]
    history = run_rmp("history", *ledger, "--kpi", "K01")
    status = run_rmp("status", *ledger, "--period", "2026-09")
    for proc in (history, status):
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stdout == ""
        assert "holds 2 relationships (NW-CT, NW-FB)" in proc.stderr, proc.stderr
        assert "--relationship" in proc.stderr
    assert history.stderr == status.stderr  # one rule, one message

    for named in ("NW-FB", "nw-fb"):  # IDs compare ignoring case, as with --config
        proc = run_rmp("history", *ledger, "--json", "--relationship", named)
        assert proc.returncode == 0, (named, proc.stderr)
        data = json.loads(proc.stdout)
        assert data["relationship_id"] == "NW-FB"
        figures = {(f["partner"], f["actual"]) for f in data["figures"]}
        assert figures == {(NW, 81), (FAB, 82)}

    unknown = run_rmp("history", *ledger, "--relationship", "NW-XX")
    assert unknown.returncode == 2
    assert "has no relationship 'NW-XX' (it has NW-CT, NW-FB)" in unknown.stderr

    only = run_rmp("history", "--ledger", str(merged.ledger), "--kpi", "K01")  # the only one
    assert only.returncode == 0, only.stderr
    assert "Relationship: NW-CT" in only.stdout
    assert [
        line.split() for line in only.stdout.splitlines() if line.strip().startswith("2026-09")
    ] == [["2026-09", "96", "96"]]


def test_history_takes_the_config_and_picks_its_relationship(
    two: tuple[Relationship, Relationship],
) -> None:
    """``rmp history --config`` names the relationship as every command that reads the
    ledger does: the config's ID alone picks it out of two; with ``--relationship`` both
    must agree (ignoring case), else exit 2 naming both and nothing printed."""
    ct, fb = two
    ledger = ["--ledger", str(ct.ledger)]
    for rel, figures in ((ct, {(NW, 96), (CO, 93)}), (fb, {(NW, 81), (FAB, 82)})):
        config = ["--config", str(rel.config_path)]
        rel_id = rel.config.id
        for extra in ([], ["--relationship", rel_id], ["--relationship", rel_id.lower()]):
            proc = run_rmp("history", *ledger, *config, *extra, "--json")
            assert proc.returncode == 0, (rel_id, extra, proc.stderr)
            data = json.loads(proc.stdout)
            assert data["relationship_id"] == rel_id
            assert {(f["partner"], f["actual"]) for f in data["figures"]} == figures
        text = run_rmp("history", *ledger, *config, "--kpi", "K01")
        assert text.returncode == 0, text.stderr
        assert f"Relationship: {rel_id}" in text.stdout

    differ = run_rmp("history", *ledger, "--config", str(fb.config_path),
                     "--relationship", "NW-CT")  # fmt: skip
    assert differ.returncode == 2, differ.stdout + differ.stderr
    assert differ.stdout == ""
    assert "--relationship NW-CT" in differ.stderr, differ.stderr
    assert "relationship ID NW-FB" in differ.stderr, differ.stderr
    status = run_rmp("status", *ledger, "--period", "2026-09", "--config", str(fb.config_path),
                     "--relationship", "NW-CT")  # fmt: skip
    assert differ.stderr == status.stderr  # one rule, one message


@pytest.mark.parametrize("target", ["--partner", "--all"])
def test_template_relationship_id_must_be_the_configs(
    merged: Relationship, tmp_path: Path, target: str
) -> None:
    """A workbook with another relationship's ID on this config's KPIs would be merged under
    the wrong relationship: ``rmp template`` stops and writes nothing; the config's ID (in
    any case) writes a workbook that carries the config's spelling and merges as NW-CT."""
    which = ["--partner", NW] if target == "--partner" else ["--all"]
    out = tmp_path / "out"
    base = ["template", "--config", str(merged.config_path), *which, "--period", "2026-10"]
    refused = run_rmp(*base, "--relationship-id", "NW-FB", "-o", str(out) + "/")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--relationship-id NW-FB" in refused.stderr, refused.stderr
    assert "relationship ID NW-CT" in refused.stderr, refused.stderr
    assert not out.exists()

    written = run_rmp(*base, "--relationship-id", "nw-ct", "-o", str(out) + "/")
    assert written.returncode == 0, written.stdout + written.stderr
    workbook = out / template_file_name(NW, "2026-10")
    assert form_values(workbook)["Relationship ID"] == "NW-CT"
    if target == "--partner":
        assert [p.name for p in out.iterdir()] == [workbook.name]
        filled = type_into(workbook, tmp_path / workbook.name, rows={"KPIs": [
            {"KPI ID": "K01", "Actual": 97}]})  # fmt: skip
        checked = run_rmp("validate", str(filled), "--config", str(merged.config_path))
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_template_named_with_a_config_keeps_the_configs_id(
    merged: Relationship, tmp_path: Path
) -> None:
    """``--relationship NAME`` with ``--config`` only renames the relationship on the
    sheets: the workbook carries the config's ID (not a slug of NAME), so it validates
    against that config and merges under its relationship."""
    name = "Northwind and Contoso, renamed"
    out = tmp_path / "out"
    written = run_rmp("template", "--config", str(merged.config_path), "--relationship", name,
                      "--partner", NW, "--period", "2026-10", "-o", str(out) + "/")  # fmt: skip
    assert written.returncode == 0, written.stdout + written.stderr
    workbook = out / template_file_name(NW, "2026-10")
    form = form_values(workbook)
    assert form["Relationship ID"] == "NW-CT"
    assert form["Relationship name"] == name
    filled = type_into(workbook, tmp_path / workbook.name, rows={"KPIs": [
        {"KPI ID": "K01", "Actual": 97}]})  # fmt: skip
    checked = run_rmp("validate", str(filled), "--config", str(merged.config_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    other = run_rmp("validate", str(filled), "--config", str(merged.root / "other.toml"))
    assert other.returncode == 1  # the ID is checked: another relationship's config refuses it
    assert "[wrong-relationship]" in other.stdout and "'NW-CT', not 'NW-FB'" in other.stdout


def test_status_says_once_that_the_ledger_holds_nothing_for_the_relationship_yet(
    merged: Relationship,
) -> None:
    """Status works before a relationship's first merge (every partner missing), and says
    why in one line; a relationship the ledger holds gets no such line."""
    ledger = ["--ledger", str(merged.ledger)]
    other = run_rmp("status", "--period", "2026-09", *ledger, "--config",
                    str(merged.root / "other.toml"))  # fmt: skip
    assert other.returncode == 1, other.stdout + other.stderr
    lines = other.stdout.splitlines()
    assert lines[0].startswith("Relationship NW-FB, period 2026-09")
    assert lines[1].strip() == (
        "The ledger holds nothing for NW-FB yet: no workbook of it has been merged, "
        "so every partner not in --returned shows as missing."
    )
    assert [line.split()[-1] for line in lines[2:4]] == ["missing", "missing"]
    assert {NW, FAB} == {line.rsplit("missing", 1)[0].strip() for line in lines[2:4]}
    assert sum("holds nothing" in line for line in lines) == 1
    assert lines[-1].startswith("0 of 2 partners in; 2 missing")
    as_json = run_rmp("status", "--period", "2026-09", *ledger, "--json", "--config",
                      str(merged.root / "other.toml"))  # fmt: skip
    assert json.loads(as_json.stdout)["in_ledger"] is False

    for named in (["--config", str(merged.config_path)], ["--relationship", "nw-ct"]):
        held = run_rmp("status", "--period", "2026-09", *ledger, *named)
        assert held.returncode == 0, held.stdout + held.stderr
        assert held.stdout.startswith("Relationship NW-CT, period 2026-09")  # the ledger's ID
        assert "holds nothing" not in held.stdout
    assert (
        json.loads(run_rmp("status", "--period", "2026-09", *ledger, "--json").stdout)["in_ledger"]
        is True
    )
