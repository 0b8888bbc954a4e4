"""Config versions and plan changes: what changed in the RMP from one month to the next."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
import warnings
from pathlib import Path

from months import CO, FAB, K01, NW, Relationship, config_text, member, toml_text

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
    plan = tomllib.loads(first.read_text(encoding="utf-8"))["relationship"]
    kpis = {k["id"]: k for k in plan["kpis"]}
    kpis["K01"]["target"] = 97
    kpis["K03"]["owner"] = NW
    plan["thresholds"]["health_gap"] = 3
    # Fabrikam leaves, Tailspin joins, K04 is dropped, K05 added.
    plan["partners"] = [p for p in plan["partners"] if p["name"] != "Fabrikam Services"]
    plan["partners"].append(member("Tailspin Toys", email="ops@tailspin.example"))
    del kpis["K04"]
    kpis["K05"] = {"id": "K05", "name": "Carbon per delivery", "unit": "kg",
                   "direction": "Lower is better", "target": 2.5, "owner": NW}  # fmt: skip
    plan["kpis"] = list(kpis.values())
    second = tmp_path / "b.toml"
    second.write_text(toml_text({"relationship": plan}), encoding="utf-8")

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


K02 = {"id": "K02", "name": "Defects", "unit": "count", "direction": "Lower is better",
       "target": 5, "amber": 8, "owner": NW}  # fmt: skip
PLAN_V1 = config_text(NW, CO, kpis=[K01, K02], id="NW-CT-2026")
# November's plan: K01's target up, K02 dropped, Fabrikam joins.
PLAN_V2 = config_text(NW, CO, FAB, kpis=[{**K01, "target": 97}], id="NW-CT-2026")


def test_each_config_a_merge_sees_is_kept_and_the_workbook_lists_the_changes(
    ledger_url: str, tmp_path: Path
) -> None:
    import getpass

    import openpyxl

    from rmp_workbook.config import RelationshipConfig
    from rmp_workbook.ledger import Ledger
    from rmp_workbook.merge import consolidated_view

    rel = Relationship(tmp_path / "rel", PLAN_V1, ledger=ledger_url)
    plans: dict[str, RelationshipConfig] = {}
    for period, text in (("2026-10", PLAN_V1), ("2026-11", PLAN_V2)):
        rel.set_config(text)
        plans[period] = rel.config
        kpis = [{"KPI ID": k.id, "Actual": 96} for k in rel.config.kpis]
        for partner in (NW, CO):
            rel.returned(period, partner, {"KPIs": kpis})
        rel.merge(period, as_of=dt.date(2026, 12, 2), output=tmp_path / f"c-{period}.xlsx")
    # The same plan again adds no version.
    rel.merge("2026-11", as_of=dt.date(2026, 12, 2), output=tmp_path / "again.xlsx")

    with Ledger(ledger_url) as led:
        versions = led.config_versions("NW-CT-2026")
        october = consolidated_view(led, "NW-CT-2026", "2026-10")
    assert [(v.period, v.sha256) for v in versions] == [
        ("2026-10", fingerprint(plans["2026-10"])[1]),
        ("2026-11", fingerprint(plans["2026-11"])[1]),
    ]
    assert {v.seen_by for v in versions} == {getpass.getuser()}
    assert versions[1].config == canonical_config(plans["2026-11"])
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
