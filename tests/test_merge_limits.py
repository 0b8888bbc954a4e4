"""``rmp merge`` takes its safety limits from the relationship config and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from rmp_workbook.config import RelationshipConfig
from rmp_workbook.merge import merge

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture
def one_month() -> list[Path]:
    files = sorted(SAMPLE.glob("*_2026-06.xlsx"))
    assert len(files) == 3
    return files


def test_config_limits_refuse_before_reading(
    one_month: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RMP_MAX_COLS", raising=False)
    config = RelationshipConfig(id="NWC-2026", name="x", limits={"max_cols": 2})
    result = merge(
        one_month, ledger=tmp_path / "l.sqlite", output=tmp_path / "c.xlsx", config=config
    )
    assert result.merged == []
    assert {s.code for s in result.skipped} == {"too-large"}
    assert all("max_cols" in f.message for r in result.report.files for f in r.errors)


def test_environment_wins_over_config(
    one_month: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RMP_MAX_COLS", "200")
    config = RelationshipConfig(id="NWC-2026", name="x", limits={"max_cols": 2})
    result = merge(
        one_month, ledger=tmp_path / "l.sqlite", output=tmp_path / "c.xlsx", config=config
    )
    assert sorted(result.merged) == sorted(str(p) for p in one_month)
