"""Config versions and plan changes: what changed in the RMP from one month to the next."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path

import pytest

from rmp_workbook.config import load_config, write_example_config
from rmp_workbook.plan import ConfigVersion, canonical_config, fingerprint, plan_changes


def _version(path: Path, period: str, day: int) -> ConfigVersion:
    config = load_config(path)
    _, sha = fingerprint(config)
    return ConfigVersion(period, dt.datetime(2026, 12, day), "rita", sha, canonical_config(config))


def test_the_same_plan_has_the_same_hash_whatever_its_layout(tmp_path: Path) -> None:
    path = write_example_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    relaid = tmp_path / "relaid.toml"
    # Comments dropped, blank lines added, a default written out: the same plan.
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    relaid.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    assert fingerprint(load_config(path)) == fingerprint(load_config(relaid))
    changed = tmp_path / "changed.toml"
    changed.write_text(text.replace("target = 95", "target = 96"), encoding="utf-8")
    assert fingerprint(load_config(path))[1] != fingerprint(load_config(changed))[1]
    assert json.loads(fingerprint(load_config(path))[0])["kpis"][0]["target"] == 95


def test_changes_month_to_month(tmp_path: Path) -> None:
    first = write_example_config(tmp_path / "a")
    text = first.read_text(encoding="utf-8")
    second = tmp_path / "b.toml"
    edited = (
        text.replace("target = 95", "target = 97")  # K01's target
        .replace(
            'owner = "Contoso plc"\n\n[[relationship.kpis]]\nid = "K04"',
            'owner = "Northwind Ltd"\n\n[[relationship.kpis]]\nid = "K04"',
        )  # K03's owner
        .replace("health_gap = 2", "health_gap = 3")
    )
    # Fabrikam leaves, Tailspin joins, K04 is dropped, K05 added.
    start = edited.index('[[relationship.partners]]\nname = "Fabrikam Services"')
    end = edited.index("\n\n", start) + 2  # Fabrikam's block ends at a blank line
    edited = (
        edited[:start]
        + ('[[relationship.partners]]\nname = "Tailspin Toys"\nemail = "ops@tailspin.example"\n\n')
        + edited[end:]
    )
    start = edited.index('[[relationship.kpis]]\nid = "K04"')
    end = edited.index("# The agreed service levels")
    edited = (
        edited[:start]
        + (
            '[[relationship.kpis]]\nid = "K05"\nname = "Carbon per delivery"\nunit = "kg"\n'
            'direction = "Lower is better"\ntarget = 2.5\nowner = "Northwind Ltd"\n\n'
        )
        + edited[end:]
    )
    second.write_text(edited, encoding="utf-8")

    versions = [_version(first, "2026-10", 1), _version(second, "2026-11", 2)]
    changes = plan_changes(versions)
    got = {(c.change, c.item, c.before, c.after) for c in changes}
    assert ("Target changed", "K01 On-time delivery", "95", "97") in got
    assert ("Owner changed", "K03 Invoice accuracy", "Contoso plc", "Northwind Ltd") in got
    assert ("Partner joined", "Tailspin Toys", "", "ops@tailspin.example") in got
    assert ("Partner left", "Fabrikam Services", "lena.novak@fabrikam.example", "") in got
    assert ("KPI dropped", "K04 Joint cost savings", "target 25000, owner Contoso plc", "") in got
    assert ("KPI added", "K05 Carbon per delivery", "", "target 2.5, owner Northwind Ltd") in got
    assert ("Threshold changed", "health_gap", "2", "3") in got
    assert all(c.period == "2026-11" and c.seen_by == "rita" for c in changes)
    assert len(changes) == len(got) == 7, sorted(got)
    # The first version is where the plan starts: no change; the same plan twice: none.
    assert plan_changes(versions[:1]) == []
    assert plan_changes([versions[0], _version(first, "2026-11", 3)]) == []


PLAN_V1 = """\
[relationship]
id = "NW-CT-2026"
name = "Northwind–Contoso"

[[relationship.partners]]
name = "Northwind Ltd"

[[relationship.partners]]
name = "Contoso plc"

[[relationship.kpis]]
id = "K01"
name = "On-time delivery"
unit = "%"
target = 95
amber = 90
owner = "Northwind Ltd"

[[relationship.kpis]]
id = "K02"
name = "Defects"
unit = "count"
direction = "Lower is better"
target = 5
amber = 8
owner = "Northwind Ltd"
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "rmp-ledger.sqlite")
    return request.getfixturevalue("postgres_database")


def test_each_config_a_merge_sees_is_kept_and_the_workbook_lists_the_changes(
    ledger_url: str, tmp_path: Path
) -> None:
    import getpass

    import openpyxl
    from test_merge import CONTOSO, NORTH, TODAY, workbook

    from rmp_workbook.ledger import Ledger
    from rmp_workbook.merge import consolidated_view, merge

    v1 = tmp_path / "v1.toml"
    v1.write_text(PLAN_V1, encoding="utf-8")
    # November's plan: K01's target up, K02 dropped, Fabrikam joins.
    v2 = tmp_path / "v2.toml"
    v2.write_text(
        PLAN_V1.replace("target = 95", "target = 97").split('[[relationship.kpis]]\nid = "K02"')[0]
        + '[[relationship.partners]]\nname = "Fabrikam Services"\n',
        encoding="utf-8",
    )
    for period, config in (("2026-10", v1), ("2026-11", v2)):
        folder = tmp_path / period
        workbook(folder, NORTH, period)
        workbook(folder, CONTOSO, period)
        merge(
            [folder], ledger=ledger_url, output=tmp_path / f"c-{period}.xlsx",
            config=load_config(config), today=TODAY,
        )  # fmt: skip
    # The same plan again adds no version.
    merge([tmp_path / "2026-11"], ledger=ledger_url, output=tmp_path / "again.xlsx",
          config=load_config(v2), today=TODAY)  # fmt: skip

    with Ledger(ledger_url) as led:
        versions = led.config_versions("NW-CT-2026")
        october = consolidated_view(led, "NW-CT-2026", "2026-10")
    assert [(v.period, v.sha256) for v in versions] == [
        ("2026-10", fingerprint(load_config(v1))[1]),
        ("2026-11", fingerprint(load_config(v2))[1]),
    ]
    assert {v.seen_by for v in versions} == {getpass.getuser()}
    assert versions[1].config == canonical_config(load_config(v2))
    assert october.plan_changes is not None and october.plan_changes.empty

    with warnings.catch_warnings():  # openpyxl drops the sparklines' extension, noisily
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(tmp_path / "c-2026-11.xlsx")
    assert wb.sheetnames.index("Plan changes") == wb.sheetnames.index("Restatements") + 1
    ws = wb["Plan changes"]
    assert list(ws.tables) == ["PlanChangesTable"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["From period", "Seen", "Changed by", "Change", "Item", "Before", "After"]
    got = {(r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows[1:]}
    who = getpass.getuser()
    assert got == {
        ("2026-11", who, "Target changed", "K01 On-time delivery", "95", "97"),
        ("2026-11", who, "KPI dropped", "K02 Defects", "target 5, owner Northwind Ltd", ""),
        ("2026-11", who, "Partner joined", "Fabrikam Services", "", ""),
    }
    assert all(isinstance(r[1], dt.datetime) for r in rows[1:])
