"""Test helper: run a relationship month after month as its manager and partners would.

A config (``rmp.toml``) is written, each month's templates come from ``rmp template``'s
writer (pre-filled from the ledger the way ``rmp template --ledger`` does), partners type
into them through openpyxl (a row whose ID is already there is edited in place, a new
one goes in the first empty row) and ``rmp merge`` records them into one ledger.
``config_text`` writes a config with dated membership (``member(name, left=...)``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from rmp_workbook.config import RelationshipConfig, load_config
from rmp_workbook.merge import MergeResult, merge
from rmp_workbook.schema import SHEETS, SheetKind
from rmp_workbook.values import norm

NW, CO, FAB = "Northwind Ltd", "Contoso plc", "Fabrikam Services"

K01: dict[str, Any] = {"id": "K01", "name": "On-time delivery", "unit": "%", "target": 95,
                       "amber": 90, "owner": NW}  # fmt: skip
"""The KPI every month's workbooks report in these tests (Higher is better)."""

Rows = Sequence[Mapping[str, Any]]


def member(
    name: str,
    *,
    joined: dt.date | str | None = None,
    left: dt.date | str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A partner of the config: ``joined`` and ``left`` when its membership has them (a
    date, or a month as text such as ``"2026-01"``; ``left`` is the first day it is no
    longer one), contact and email in ``fields``."""
    dates = {k: v for k, v in (("joined", joined), ("left", left)) if v is not None}
    return {"name": name, **fields, **dates}


def config_text(
    *partners: str | Mapping[str, Any],
    kpis: Sequence[Mapping[str, Any]] = (K01,),
    id: str = "NW-CT",
    name: str = "Northwind–Contoso",
    **settings: Any,
) -> str:
    """An ``rmp.toml``: the relationship's ``id`` and ``name``, its ``settings`` (``due``, a
    ``thresholds`` table…), its partners (a name, or a ``member``) and its KPIs."""
    relationship: dict[str, Any] = {"id": id, "name": name, **settings}
    relationship["partners"] = [{"name": p} if isinstance(p, str) else dict(p) for p in partners]
    if kpis:
        relationship["kpis"] = [dict(k) for k in kpis]
    return toml_text({"relationship": relationship})


def toml_text(data: Mapping[str, Any]) -> str:
    """``data`` (as ``tomllib`` reads a config) written back as TOML."""
    return "\n".join(_toml_table(data, "")).lstrip("\n") + "\n"


def _toml_table(table: Mapping[str, Any], name: str, header: str = "[{}]") -> list[str]:
    """The table's own keys, then its sub-tables, then its arrays of tables."""

    def is_tables(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)

    lines = [header.format(name)] if name else []
    lines += [
        f"{k} = {_toml_value(v)}"
        for k, v in table.items()
        if not isinstance(v, Mapping) and not is_tables(v)
    ]
    prefix = f"{name}." if name else ""
    for k, v in table.items():
        if isinstance(v, Mapping):
            lines += ["", *_toml_table(v, prefix + k)]
    for k, v in table.items():
        if is_tables(v):
            for item in v:
                lines += ["", *_toml_table(item, prefix + k, "[[{}]]")]
    return lines


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


CONFIG = config_text(
    member(NW, contact="Aisha Khan", email="aisha.khan@northwind.example"),
    member(CO, contact="Tom Becker", email="tom.becker@contoso.example"),
)
"""Northwind and Contoso, partners all along, reporting K01."""


def _headers(ws: Any) -> dict[str, int]:
    return {norm(str(c.value)): c.column for c in ws[1] if c.value is not None}


def sheet_rows(path: Path, sheet_name: str) -> list[dict[str, Any]]:
    """A table sheet's non-blank rows as header -> value (read back with openpyxl)."""
    ws = openpyxl.load_workbook(path)[sheet_name]
    headers = [c.value for c in ws[1]]
    out = []
    for r in ws.iter_rows(min_row=2, values_only=True):
        row = {h: v for h, v in zip(headers, r, strict=False) if h is not None}
        if any(v not in (None, "") for v in row.values()):
            out.append(row)
    return out


def form_values(path: Path) -> dict[str, Any]:
    """The Relationship sheet as label -> value."""
    ws = openpyxl.load_workbook(path)["Relationship"]
    return {str(ws.cell(r, 1).value): ws.cell(r, 2).value for r in range(2, ws.max_row + 1)}


def type_into(
    template: Path, out: Path, *, form: Mapping[str, Any] | None = None, rows: Mapping[str, Rows]
) -> Path:
    """Type into a (possibly pre-filled) workbook: a row whose first key matches is edited,
    a FIXED sheet's row is found by its item, any other row goes in the first empty row."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Relationship"]
    labels = {norm(str(ws.cell(r, 1).value)): r for r in range(1, ws.max_row + 1)}
    for label, value in {"Prepared by": "Someone", **(form or {})}.items():
        ws.cell(labels[norm(label)], 2).value = value
    for name, values_list in rows.items():
        ws = wb[name]
        cols = _headers(ws)
        sheet = next(s for s in SHEETS if s.name == name)
        key_header = sheet.column(sheet.keys[0]).header if sheet.keys else sheet.columns[0].header
        key_col = cols[norm(key_header)]
        for values in values_list:
            target = None
            if key_header in values:
                target = next(
                    (
                        r
                        for r in range(2, ws.max_row + 1)
                        if ws.cell(r, key_col).value is not None
                        and str(ws.cell(r, key_col).value) == str(values[key_header])
                    ),
                    None,
                )
            if target is None:
                if sheet.kind is SheetKind.FIXED:
                    raise AssertionError(f"no row {values[key_header]!r} on {name}")
                target = next(
                    r
                    for r in range(2, ws.max_row + 2)
                    if all(ws.cell(r, c).value in (None, "") for c in cols.values())
                )
            for header, value in values.items():
                ws.cell(target, cols[norm(header)]).value = value
    wb.save(out)
    return out


class Relationship:
    """One relationship's folder: its config, ledger, templates and returned workbooks."""

    def __init__(self, root: Path, config: str = CONFIG, ledger: str | None = None) -> None:
        """``ledger``: a database URL (PostgreSQL) instead of the folder's SQLite file."""
        self.root = root
        self.config_path = root / "rmp.toml"
        self.ledger: Path | str = ledger or root / "rmp-ledger.sqlite"
        self._merged = False
        root.mkdir(parents=True, exist_ok=True)
        self._templates: dict[str, dict[str, Path]] = {}
        self.set_config(config)

    def set_config(self, text: str) -> None:
        self.config_path.write_text(text, encoding="utf-8")

    @property
    def config(self) -> RelationshipConfig:
        return load_config(self.config_path)

    def templates(self, period: str) -> dict[str, Path]:
        """Each partner's template for ``period``, pre-filled from the ledger once it exists
        (written once per period: before that period's merge)."""
        from click.testing import CliRunner

        if period in self._templates:
            return self._templates[period]

        from rmp_workbook.cli import cli

        folder = self.root / "templates" / period
        args = ["template", "--config", str(self.config_path), "--all", "--period", period]
        if self._merged or (isinstance(self.ledger, Path) and self.ledger.exists()):
            args += ["--ledger", str(self.ledger)]
        result = CliRunner().invoke(cli, [*args, "-o", str(folder)])
        assert result.exit_code == 0, result.output
        from rmp_workbook.template import template_file_name

        self._templates[period] = {
            p.name: folder / template_file_name(p.name, period) for p in self.config.partners
        }
        return self._templates[period]

    def returned(
        self,
        period: str,
        partner: str,
        rows: Mapping[str, Rows],
        *,
        form: Mapping[str, Any] | None = None,
        received: dt.date | None = None,
    ) -> Path:
        """The partner's workbook for ``period``, typed into its pre-filled template;
        ``received``: the day it came back (the file's time, as an e-mail leaves it)."""
        template = self.templates(period)[partner]
        out = self.root / "returned" / period / template.name
        out.parent.mkdir(parents=True, exist_ok=True)
        year, month = (int(x) for x in period.split("-"))
        prepared = dt.datetime(year + month // 12, month % 12 + 1, 2)
        type_into(template, out, form={"Prepared on": prepared, **(form or {})}, rows=rows)
        if received is not None:
            stamp = dt.datetime.combine(received, dt.time(9, 30)).timestamp()
            os.utime(out, (stamp, stamp))
        return out

    def merge(
        self, period: str, *, as_of: dt.date | None = None, output: Path | None = None
    ) -> MergeResult:
        """``rmp merge`` of the period's returned workbooks, with the config."""
        out = output or self.root / f"consolidated-{period}.xlsx"
        self._merged = True
        return merge(
            [self.root / "returned" / period],
            ledger=self.ledger,
            output=out,
            period=period,
            config=self.config,
            as_of=as_of,
        )
