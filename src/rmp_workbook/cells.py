"""Cell addressing: the only place that knows A1 notation and sheet-name quoting."""

from __future__ import annotations

import re

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


def col_letter(col: int) -> str:
    """Zero-based column index to letters: 0 -> A, 27 -> AB."""
    if col < 0:
        raise ValueError(f"column index must be >= 0, got {col}")
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """Column letters to zero-based index: A -> 0, AB -> 27."""
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            raise ValueError(f"not a column: {letters!r}")
        n = n * 26 + ord(ch) - 64
    return n - 1


def a1(row: int, col: int) -> str:
    """Zero-based (row, col) to an A1 address: (0, 0) -> A1."""
    return f"{col_letter(col)}{row + 1}"


def parse_a1(ref: str) -> tuple[int, int]:
    """An A1 address to zero-based (row, col)."""
    m = _A1.match(ref.strip())
    if not m:
        raise ValueError(f"not an A1 address: {ref!r}")
    return int(m.group(2)) - 1, col_index(m.group(1))


def quote_sheet(name: str) -> str:
    """A sheet name as it must appear in a formula or reference."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name)
    if plain and not re.fullmatch(r"[A-Za-z]{1,3}[0-9]+", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def ref(sheet: str, row: int, col: int) -> str:
    """A sheet-qualified address: ``'Health check'!B3``."""
    return f"{quote_sheet(sheet)}!{a1(row, col)}"


def area(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """A range in A1 notation: ``A1:C10``."""
    return f"{a1(first_row, first_col)}:{a1(last_row, last_col)}"


def abs_area(sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """An absolute sheet-qualified range for chart series: ``='KPIs'!$A$2:$A$9``."""
    return (
        f"={quote_sheet(sheet)}!${col_letter(first_col)}${first_row + 1}"
        f":${col_letter(last_col)}${last_row + 1}"
    )


_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def safe_sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name made from arbitrary text (partner names)."""
    clean = _INVALID_SHEET_CHARS.sub(" ", name).strip().strip("'") or "Sheet"
    clean = "".join(ch for ch in clean if ch.isprintable())[:31] or "Sheet"
    taken = {t.lower() for t in (taken or set())}
    candidate, n = clean, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
        n += 1
    return candidate
