"""Test helper: run a relationship month after month as its manager and partners would.

A config (``rmp.toml``) is written, each month's templates come from ``rmp template``'s
writer (pre-filled from the ledger the way ``rmp template --ledger`` does), partners type
into them through openpyxl (a row whose ID is already there is edited in place, a new
one goes in the first empty row) and ``rmp merge`` records them into one ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from rmp_workbook.config import RelationshipConfig, load_config
from rmp_workbook.merge import MergeResult, merge
from rmp_workbook.schema import SHEETS, SheetKind
from rmp_workbook.values import norm

NW, CO = "Northwind Ltd", "Contoso plc"

CONFIG = """\
[relationship]
id = "NW-CT"
name = "Northwind–Contoso"

[[relationship.partners]]
name = "Northwind Ltd"
contact = "Aisha Khan"
email = "aisha.khan@northwind.example"

[[relationship.partners]]
name = "Contoso plc"
contact = "Tom Becker"
email = "tom.becker@contoso.example"

[[relationship.kpis]]
id = "K01"
name = "On-time delivery"
unit = "%"
direction = "Higher is better"
target = 95
amber = 90
owner = "Northwind Ltd"
"""

Rows = Sequence[Mapping[str, Any]]


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

    def __init__(self, root: Path, config_text: str = CONFIG, ledger: str | None = None) -> None:
        """``ledger``: a database URL (PostgreSQL) instead of the folder's SQLite file."""
        self.root = root
        self.config_path = root / "rmp.toml"
        self.ledger: Path | str = ledger or root / "rmp-ledger.sqlite"
        self._merged = False
        root.mkdir(parents=True, exist_ok=True)
        self._templates: dict[str, dict[str, Path]] = {}
        self.set_config(config_text)

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
    ) -> Path:
        """The partner's workbook for ``period``, typed into its pre-filled template."""
        template = self.templates(period)[partner]
        out = self.root / "returned" / period / template.name
        out.parent.mkdir(parents=True, exist_ok=True)
        year, month = (int(x) for x in period.split("-"))
        prepared = dt.datetime(year + month // 12, month % 12 + 1, 2)
        return type_into(template, out, form={"Prepared on": prepared, **(form or {})}, rows=rows)

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
