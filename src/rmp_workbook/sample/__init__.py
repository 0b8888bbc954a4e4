"""A realistic sample relationship, and workbooks filled in the way people fill them.

Used by ``rmp demo``, the benchmark, the docs' screenshots and many tests.

- :func:`build_relationship` (pure): the config and every workbook's rows, with the
  situations the engine must notice listed in :class:`Scenario`;
- :func:`fill_workbook`: types rows into a template with openpyxl, tidily or messily;
- :func:`write_sample`: the whole sample folder (``python -m rmp_workbook.sample DIR``);
- :func:`fill_many`: many large workbooks for the benchmark.
"""

from __future__ import annotations

from rmp_workbook.sample.bench import bench_config, fill_many
from rmp_workbook.sample.fill import fill_workbook
from rmp_workbook.sample.folder import main, set_arrival_times, write_sample
from rmp_workbook.sample.story import (
    SampleRelationship,
    SampleWorkbook,
    Scenario,
    Style,
    build_relationship,
    config_toml,
    slug,
)

__all__ = [
    "SampleRelationship",
    "SampleWorkbook",
    "Scenario",
    "Style",
    "bench_config",
    "build_relationship",
    "config_toml",
    "fill_many",
    "fill_workbook",
    "main",
    "set_arrival_times",
    "slug",
    "write_sample",
]
