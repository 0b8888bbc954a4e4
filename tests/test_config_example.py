"""The example relationship config that ``rmp init`` writes reads back as it says."""

from __future__ import annotations

from pathlib import Path

from rmp_workbook.config import Thresholds, example_config_text, load_config, write_example_config


def test_example_reads_back(tmp_path: Path) -> None:
    path = write_example_config(tmp_path)
    config = load_config(path)
    assert config.id and config.name
    assert len(config.partners) == 3 and all(p.contact and p.email for p in config.partners)
    assert len(config.kpis) == 4 and len({k.id for k in config.kpis}) == 4
    assert {k.direction for k in config.kpis} == {"Higher is better", "Lower is better"}
    assert len(config.sla) == 2 and {s.direction for s in config.sla} == {"At least", "At most"}
    assert config.thresholds == Thresholds()


def test_every_threshold_documented_with_its_default() -> None:
    text = example_config_text()
    lines = text.splitlines()
    for name, info in Thresholds.model_fields.items():
        line = next(i for i, ln in enumerate(lines) if ln.startswith(f"{name} = "))
        assert lines[line] == f"{name} = {info.default!r}"
        assert lines[line - 1] == f"# {info.description}"


def test_partners_and_owners_agree() -> None:
    """Every owner named in the example is one of its partners, as merge expects."""
    import tomllib

    rel = tomllib.loads(example_config_text())["relationship"]
    partners = {p["name"] for p in rel["partners"]}
    assert {k["owner"] for k in rel["kpis"]} <= partners
    assert {s["owner"] for s in rel["sla"]} <= partners
