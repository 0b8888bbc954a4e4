"""Formula columns: declared once in the schema, written into workbooks, computed in Python.

A computed column (Risks' Score) is declared once, as an expression over other columns'
keys: ``formula("score", "Score", …, "{likelihood}*{impact}")``. From that one declaration

- :func:`excel` gives the spreadsheet formula with plain cell references
  (``=IF(AND(ISNUMBER(D2),ISNUMBER(E2)),D2*E2,"")``): every application reads those, where
  structured table references (``[@Likelihood]``) are lost by Gnumeric and others;
- :func:`compute` gives the same value in Python, without ``eval``, for the validator,
  reconciliation, the consolidated workbook and the template's cached results.

The expression language is deliberately small: numbers, column keys in braces, ``+ - * /``,
unary minus and parentheses. A formula outside it is refused when first used.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rmp_workbook.cells import a1
from rmp_workbook.schema import ColType, Column, Sheet
from rmp_workbook.values import as_number

_KEY = re.compile(r"\{(\w+)\}")

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, the column keys it reads, and its syntax tree."""

    expr: str
    inputs: tuple[str, ...]
    tree: ast.expr


@functools.cache
def parse(expr: str) -> Formula:
    """The formula of an expression such as ``{likelihood}*{impact}``; ValueError if unsupported."""
    inputs = tuple(dict.fromkeys(_KEY.findall(expr)))
    try:
        tree = ast.parse(_KEY.sub(r"\1", expr), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"formula {expr!r} is not an expression: {exc.msg}") from None
    _check(tree, expr)
    return Formula(expr, inputs, tree)


def _check(node: ast.expr, expr: str) -> None:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, expr)
        _check(node.right, expr)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check(node.operand, expr)
    elif not isinstance(node, ast.Name) and not (
        isinstance(node, ast.Constant) and type(node.value) in (int, float)
    ):
        raise ValueError(f"formula {expr!r} uses {ast.unparse(node)!r}: only + - * / and numbers")


def _formula(col: Column | str) -> Formula:
    if isinstance(col, str):
        return parse(col)
    if col.formula is None:
        raise ValueError(f"column {col.key!r} has no formula")
    return parse(col.formula)


def computed(sheet: Sheet) -> tuple[Column, ...]:
    """The sheet's computed columns, in order."""
    return tuple(c for c in sheet.columns if c.type is ColType.FORMULA and c.formula)


def inputs(col: Column | str) -> tuple[str, ...]:
    """The column keys a formula reads, in order of first use."""
    return _formula(col).inputs


def compute(col: Column | str, values: Mapping[str, Any]) -> float | int | None:
    """The formula's value from typed values: None when an input is not a number (as the
    spreadsheet's formula is blank then) or on a division by zero. Whole results are ints."""
    formula = _formula(col)
    numbers: dict[str, float] = {}
    for key in formula.inputs:
        number = as_number(values.get(key))
        if number is None:
            return None
        numbers[key] = number

    def walk(node: ast.expr) -> float:
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand)
        if isinstance(node, ast.Name):
            return numbers[node.id]
        assert isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
        return float(node.value)

    try:
        result = walk(formula.tree)
    except ZeroDivisionError:
        return None
    return int(result) if result.is_integer() else result


def compute_row(sheet: Sheet, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every computed column of the sheet set from its inputs (in place)."""
    for col in computed(sheet):
        values[col.key] = compute(col, values)
    return values


def excel(col: Column | str, refs: Mapping[str, str], *, guarded: bool = True) -> str:
    """The spreadsheet formula over the given cell references (column key -> ``D2``).

    Blank while an input is not a number, so an unfilled row shows nothing rather than 0
    or ``#VALUE!``: ``=IF(AND(ISNUMBER(D2),ISNUMBER(E2)),D2*E2,"")``. ``guarded=False``
    gives the bare ``=D2*E2``, for a cell written only when its inputs are all there.
    """
    formula = _formula(col)
    body = _KEY.sub(lambda m: refs[m.group(1)], formula.expr)
    if not guarded:
        return f"={body}"
    guards = ",".join(f"ISNUMBER({refs[k]})" for k in formula.inputs)
    if not guards:
        return f"={body}"
    guard = guards if len(formula.inputs) == 1 else f"AND({guards})"
    return f'=IF({guard},{body},"")'


def excel_at(sheet: Sheet, col: Column, row: int, cols: Mapping[str, int] | None = None) -> str:
    """The formula of ``col`` on zero-based ``row``; ``cols`` maps column keys to zero-based
    columns (default: the schema's order, as the template lays the sheet out)."""
    where = cols if cols is not None else {c.key: j for j, c in enumerate(sheet.columns)}
    return excel(col, {k: a1(row, where[k]) for k in inputs(col)})
