"""docs/performance.md shows the benchmark's latest record, not numbers typed by hand."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_latest_table_is_the_recorded_run() -> None:
    record = json.loads((ROOT / "benchmarks" / "results" / "latest.json").read_text())
    page = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    shown = re.search(r"## Latest table\n\n```\n(.*?)\n```", page, re.S)
    assert shown, "docs/performance.md has no latest table"
    assert shown.group(1) == _bench().table(record)  # type: ignore[attr-defined]
    # The machine section names the run's commit.
    assert f"`{record['commit'].removesuffix('-dirty')}`" in page
