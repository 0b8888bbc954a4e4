"""How a cell becomes a value: the one home for numbers, percents, dates, months, blanks and text.

Every stage that turns what a spreadsheet stores into a value calls these functions:
the row models (:mod:`rmp_workbook.rows`), the reader, reconciliation, the gap rules
and the consolidated workbook. Cells arrive as spreadsheets store them (numbers as
text, ``"91%"``, ``3.0`` for 3, Excel date serials, ``"Nov 2026"``, ``"93,5"``…).

A coercion that cannot read a cell raises a :class:`PydanticCustomError` whose type is a
finding code (``type-error``, ``ambiguous-number``, ``not-in-list``) and whose context
carries a hint for the person who filled the cell. A coercion that had to interpret a
cell (a decimal comma, 60 in a 0-100% column) records a note in the validation context
(``context["notes"]``), which the validator reports as a warning: it is never silent.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

from rmp_workbook.schema import ColType, Column, Sheet

EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day zero of Excel's (1900) date serials, allowing for its 1900 leap-year bug."""

_SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31
_BLANK_STRINGS = {"", "-", "—", "–", "n/a"}

_MONTHS = {
    m.lower(): i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}

_TRUE = {"yes", "y", "true", "1", "1.0", "ja", "oui", "si", "x"}
_FALSE = {"no", "n", "false", "0", "0.0", "nein", "non"}

# Words people type on a 1-5 scale instead of the number: shown in the hint, never applied.
_SCALE_WORDS = {"very low": 1, "low": 2, "medium": 3, "moderate": 3, "high": 4, "very high": 5}


_NORM_DROP = re.compile(r"[\s_]+")


@functools.lru_cache(maxsize=65536)
def _norm(text: str) -> str:
    return _NORM_DROP.sub("", text.casefold()).rstrip("*")


def norm(text: str) -> str:
    """A name compared forgivingly: case, spaces, underscores and a trailing ``*`` ignored."""
    # Headers, choices and IDs recur across rows and files: the cache pays for itself.
    return _norm(text if type(text) is str else str(text))


def is_blank(value: Any) -> bool:
    """True for an empty cell: None, '' or whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def is_missing(value: Any) -> bool:
    """True for no value at all in a data frame's sense: None, NaN, pandas' NaT and NA."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT differ from themselves
    except (TypeError, ValueError):  # pandas' NA refuses a truth value: it is missing
        return True


def as_text(value: Any) -> str:
    """A typed value's text as it stands (``str``), '' for a missing one (:func:`is_missing`)."""
    if type(value) is str:
        return value  # type: ignore[no-any-return]
    return "" if is_missing(value) else str(value)


_PERCENT_UNITS = frozenset({"%", "percent", "pct", "per cent"})


def is_percent_unit(unit: Any) -> bool:
    """True for a KPI unit meaning a percentage on the 0-100 scale (``%``, ``percent``)."""
    return isinstance(unit, str) and unit.strip().casefold() in _PERCENT_UNITS


def as_number(value: Any) -> float | None:
    """A typed value as a finite float; None for blanks, NaN, text and booleans.

    For values already typed (records, ledger and data-frame cells, numpy's numbers and
    decimals too); a cell as a person typed it goes through :func:`to_number` instead.
    """
    if value.__class__ is float:  # the common case, per row
        return value if value - value == 0.0 else None  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def err(code: str, message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, message, ctx)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- Scalar coercions ------------------------------------------------------------------------


def to_text(value: Any) -> str | None:
    """Any cell to text: 3.0 -> '3', dates to ISO, whitespace trimmed, blank -> None."""
    if type(value) is str:  # nearly every text cell: the checks below are for the rest
        return value.strip() or None
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return _show(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_NUM_CLEAN = re.compile(r"[\s\u00a0\u202f,'£$€]")
"""What a serial typed as text may carry around its digits (to_date)."""

_NUM_DROP = re.compile(r"[\s\u00a0\u202f'\u2019£$€]")
"""Spaces (1 250), apostrophes (Swiss 1'250) and currency signs: never part of a number."""
_GROUPED = re.compile(r"^([+-]?)(\d*)([.,]\d+)*$")
_AMBIGUOUS = re.compile(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$")
"""``1,250`` or ``1.250``: a thousands separator or a decimal mark, nothing tells which."""

NUMBER_HINT = "Type a number such as 12.5 (digits only)."


class Ambiguous(ValueError):
    """A number text that reads two ways (``1,250``: 1250 or 1.25)."""

    def __init__(self, text: str, readings: tuple[float, float]) -> None:
        super().__init__(text)
        self.readings = readings


def read_number_text(text: str) -> tuple[float, bool] | None:
    """A number typed as text, and whether it was written with a decimal comma.

    The rule people expect across countries: a separator followed by one or two digits
    is the decimal mark (``93,5`` is 93.5); with both ``,`` and ``.`` the last one is the
    decimal mark (``1.250,50`` and ``1,250.50`` are 1250.5); repeated separators group
    thousands (``1,250,000``). ``1,250`` and ``1.250`` read two ways with no other clue:
    :class:`Ambiguous` is raised. None when the text is no number at all.
    """
    clean = _NUM_DROP.sub("", text).removesuffix("%")
    if "," not in clean and clean.count(".") <= 1:
        if _AMBIGUOUS.match(clean):
            raise Ambiguous(text, _readings(clean, "."))
        try:
            number = float(clean)
        except ValueError:
            return None
        return (number, False) if math.isfinite(number) else None
    m = _GROUPED.match(clean)
    if m is None:
        return None
    sign, digits = m.group(1), clean[len(m.group(1)) :]
    last = max(digits.rfind(","), digits.rfind("."))
    mark = digits[last]
    other = "." if mark == "," else ","
    whole, frac = digits[:last], digits[last + 1 :]
    if mark in whole:  # the last separator is repeated: it groups thousands (1,250,000)
        groups = digits.split(mark)
        if other in digits or not _thousands(groups):
            return None
        return float(sign + "".join(groups)), False
    if other in whole:  # both: the last is the decimal mark, the other groups thousands
        groups = whole.split(other)
        if not _thousands(groups):
            return None
        return float(f"{sign}{''.join(groups)}.{frac}"), mark == ","
    if _AMBIGUOUS.match(clean):
        raise Ambiguous(text, _readings(clean, mark))
    # One separator that cannot group thousands (93,5 · 0,250 · 1,2500): a decimal mark.
    return float(f"{sign}{whole or '0'}.{frac}"), mark == ","


def _thousands(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _readings(text: str, mark: str) -> tuple[float, float]:
    whole, frac = text.split(mark)
    return float(whole + frac), float(f"{whole}.{frac}")


def note(info: Any, code: str, column: str, found: Any, used: Any, shown: str) -> None:
    """Record what a coercion had to interpret; the validator reports it as a warning."""
    context = getattr(info, "context", None)
    if isinstance(context, dict):
        context.setdefault("notes", []).append((code, column, found, used, shown))


def to_number(value: Any, info: Any = None, *, column: str = "") -> float | None:
    """A number from a number or from text such as '1 250', '£1,250.50', '91%' (-> 91), '93,5'.

    A decimal comma is read (``93,5`` -> 93.5) and noted as ``decimal-comma``; a text that
    reads two ways (``1,250``) raises ``ambiguous-number`` (see :func:`read_number_text`).
    """
    kind = type(value)
    if kind is float and value - value == 0.0:  # finite: inf - inf and NaN are NaN
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise err("type-error", "a number", hint="Type a number such as 12.5.")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise err("type-error", "a number", hint="Type a number such as 12.5.")
        return float(value)
    if isinstance(value, str):
        try:
            read = read_number_text(value.strip())
        except Ambiguous as exc:
            big, small = (_show(r) for r in exc.readings)
            raise err(
                "ambiguous-number",
                f"{big} or {small}",
                hint=f"Retype it without a thousands separator: {big}, or {small} "
                "with a decimal point.",
            ) from None
        if read is not None:
            number, comma = read
            if comma:
                note(info, "decimal-comma", column, value, number, _show(number))
            return number
    raise err("type-error", "a number", hint=NUMBER_HINT)


def to_integer(value: Any, info: Any = None, *, column: Column | None = None) -> int | None:
    """A whole number: 3, 3.0 and '3' are 3; 3.5 and 'high' are type errors."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float and value.is_integer():
        return int(value)
    if is_blank(value):
        return None
    try:
        number = to_number(value, info, column=column.key if column else "")
    except PydanticCustomError:
        number = None
    if number is None or not number.is_integer():
        raise err("type-error", "a whole number", hint=_integer_hint(value, column))
    return int(number)


def _integer_hint(value: Any, column: Column | None) -> str:
    if column is None:
        return "Type a whole number."
    lo, hi = column.minimum, column.maximum
    span = f" from {_show(lo)} to {_show(hi)}" if lo is not None and hi is not None else ""
    hint = f"Type a whole number{span}."
    word = str(value).strip().casefold()
    meanings = {
        m.group(2).strip().casefold(): int(m.group(1)) for m in _HELP_SCALE.finditer(column.help)
    }
    if word in meanings:
        hint += f" '{_show(value)}' is {meanings[word]} on this scale."
    elif column.type is ColType.SCORE and word in _SCALE_WORDS:
        hint += f" {word.capitalize()} {column.header.lower()} is {_SCALE_WORDS[word]}."
    return hint


_HELP_SCALE = re.compile(r"(\d+)\s*=\s*([A-Za-z][A-Za-z \-]*?)(?=[,.;]|$)")


def to_percent(value: Any, info: Any = None, *, column: str = "") -> float | None:
    """A fraction 0..1: 0.91, '91%', '91 %', '0.91', '80,5%'. 60 is guessed as 60% (noted)."""
    if is_blank(value):
        return None
    had_sign = isinstance(value, str) and value.strip().endswith("%")
    number = to_number(value, info, column=column)
    assert number is not None
    if had_sign:
        return number / 100
    if 1 < number <= 100:
        note(info, "guessed-percent", column, value, number / 100, f"{_show(number)}%")
        return number / 100
    return number


def from_serial(serial: float) -> dt.datetime:
    """An Excel date serial (1900 system) to a datetime."""
    return dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(days=serial)


_ISO_DATE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DMY_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_TEXT_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ \-]([A-Za-z]+)\.?,?[ \-](\d{4})$")

DATE_HINT = "Type a date as 2026-11-05 or 05/11/2026 (day/month/year)."


def to_date(value: Any) -> dt.date | None:
    """A date from a date cell, an Excel serial, ISO text, dd/mm/yyyy text or '5 Nov 2026'."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return from_serial(float(value)).date()
        raise err("type-error", "a date", hint=DATE_HINT)
    if isinstance(value, str):
        text = value.strip()
        parts: tuple[int, int, int] | None = None
        if m := _ISO_DATE.match(text):
            parts = int(m.group(1)), int(m.group(2)), int(m.group(3))
        elif m := _DMY_DATE.match(text):
            parts = int(m.group(3)), int(m.group(2)), int(m.group(1))
        elif (m := _TEXT_DATE.match(text)) and m.group(2).lower() in _MONTHS:
            parts = int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))
        if parts is not None:
            try:
                return dt.date(*parts)
            except ValueError:
                pass
        else:
            try:
                return to_date(float(_NUM_CLEAN.sub("", text)))
            except (ValueError, PydanticCustomError):
                pass
    raise err("type-error", "a date", hint=DATE_HINT)


_PERIOD_YM = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
_PERIOD_MY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{4})$")
_PERIOD_TEXT = re.compile(r"^([A-Za-z]+)\.?[\s\-,/]*(\d{4})$")
_PERIOD_TEXT_YEAR_FIRST = re.compile(r"^(\d{4})[\s\-,/]*([A-Za-z]+)\.?$")

PERIOD_HINT = "Type the month as YYYY-MM, e.g. 2026-11."


def to_period(value: Any) -> str | None:
    """A month ``YYYY-MM`` from '2026-11', '2026/11', '11/2026', 'Nov 2026' or a date."""
    if is_blank(value):
        return None
    if isinstance(value, (dt.date, int, float)) and not isinstance(value, bool):
        try:
            day = to_date(value)
        except PydanticCustomError:
            raise err("type-error", "a month", hint=PERIOD_HINT) from None
        assert day is not None
        return f"{day.year:04d}-{day.month:02d}"
    text = str(value).strip()
    year = month = None
    if m := _PERIOD_YM.match(text):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _PERIOD_MY.match(text):
        year, month = int(m.group(2)), int(m.group(1))
    elif (m := _PERIOD_TEXT.match(text)) and m.group(1).lower() in _MONTHS:
        year, month = int(m.group(2)), _MONTHS[m.group(1).lower()]
    elif (m := _PERIOD_TEXT_YEAR_FIRST.match(text)) and m.group(2).lower() in _MONTHS:
        year, month = int(m.group(1)), _MONTHS[m.group(2).lower()]
    else:
        try:
            day = to_date(text)
        except PydanticCustomError:
            day = None
        if day is not None:
            year, month = day.year, day.month
    if year is None or month is None or not 1 <= month <= 12:
        raise err("type-error", "a month", hint=PERIOD_HINT)
    return f"{year:04d}-{month:02d}"


def to_choice(value: Any, choices: tuple[str, ...], header: str = "") -> str | None:
    """One of ``choices``, matched ignoring case and spacing; Yes/No also from True/1/Y."""
    if is_blank(value):
        return None
    by_norm = _choice_map(choices)
    text = to_text(value) or ""
    if norm(text) in by_norm:
        return by_norm[norm(text)]
    if set(by_norm) == {"yes", "no"}:
        key = text.casefold()
        if key in _TRUE:
            return "Yes"
        if key in _FALSE:
            return "No"
    allowed = ", ".join(choices)
    raise err("not-in-list", "one of the allowed values", hint=f"Pick one of: {allowed}.")


@functools.cache
def _choice_map(choices: tuple[str, ...]) -> dict[str, str]:
    return {norm(c): c for c in choices}


def to_bool(value: Any) -> bool | None:
    """Yes/No/True/False/1/0 (and 1.0, as LibreOffice stores booleans) to a bool."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    key = _show(value).strip().casefold() if isinstance(value, float) else str(value).casefold()
    if key.strip() in _TRUE:
        return True
    if key.strip() in _FALSE:
        return False
    raise err("type-error", "yes or no", hint="Type Yes or No.")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def to_email(value: Any) -> str | None:
    text = to_text(value)
    if text is None:
        return None
    text = text.removeprefix("mailto:")
    if not _EMAIL.match(text):
        raise err("type-error", "an e-mail address", hint="Type an address like name@company.com.")
    return text


def to_phone(value: Any) -> str | None:
    text = to_text(value)
    if text is not None and not re.search(r"\d", text):
        raise err("type-error", "a phone number", hint="Type digits, e.g. +44 20 7946 0000.")
    return text


# --- Row identity --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _key_str(text: str) -> str:
    return " ".join(text.split()).casefold()


def key_text(value: Any, col_type: ColType | None = None) -> str:
    """One key cell as rows are matched: ``K01``, ``k01`` and `` K01 `` are all ``k01``.

    Case and runs of spaces are ignored, numbers and dates take one spelling (3.0 is
    ``3``, a date is ISO), an e-mail address ignores its spaces; blank is ''.
    """
    if type(value) is str:  # the common case, per key cell
        text = _key_str(value)
        return text.replace(" ", "") if col_type is ColType.EMAIL else text
    if is_missing(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Real):  # numpy's numbers from a data frame too
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.6g}"
    text = _key_str(str(value))
    return text.replace(" ", "") if col_type is ColType.EMAIL else text


RowKey = tuple[str, tuple[str, ...]]
"""``("keys", parts)``, or ``("alt", parts)`` when a row is known by its alternative keys."""


def fold_text(value: Any) -> str:
    """A text compared ignoring case and runs of spaces (partner names, statuses)."""
    return _key_str(value if type(value) is str else str(value))


def row_key(sheet: Sheet, values: Mapping[str, Any]) -> RowKey | None:
    """The key that makes a row the same row everywhere: validation (duplicates), the
    ledger, restatements, history, reconciliation and pre-filled templates all call this.

    The sheet's key columns (``Sheet.keys``) through :func:`key_text`; when one is blank,
    its alternative keys (a contact without e-mail: the name); None when neither is whole
    or the sheet has no keys.
    """
    return row_keyer(sheet)(values)


class RowKeyer:
    """:func:`row_key` for one sheet, for code that keys rows by the thousand: its key
    columns are looked up once, and the key of cells holding text is remembered, since
    partners' rows repeat the same IDs and months (K01 for 2026-11) file after file."""

    KEPT = 200_000
    """Key cells remembered (then forgotten all at once): bounds the memory."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.keys = tuple((k, sheet.column(k).type) for k in sheet.keys)
        self.alts = tuple((k, sheet.column(k).type) for k in sheet.alt_keys)
        self.names = tuple(k for k, _t in (*self.keys, *self.alts))
        """The key columns, then the alternative keys: the order :meth:`of_cells` takes."""
        self._memo: dict[tuple[Any, ...], RowKey | None] = {}

    def __call__(self, values: Mapping[str, Any]) -> RowKey | None:
        if not self.keys:
            return None
        get = values.get
        return self.of_cells(tuple([get(k) for k in self.names]))

    def of_cells(self, cells: tuple[Any, ...]) -> RowKey | None:
        """The key of a row whose key cells hold ``cells``, in :attr:`names` order."""
        try:
            hit = self._memo.get(cells, _UNSEEN)
        except TypeError:  # an unhashable value: worked out, not remembered
            hit = None
        if hit is not _UNSEEN and hit is not None:
            return hit
        key = self._work_out(cells)
        # Only text and blanks are remembered: a text equals only the same text, while
        # True == 1 although their key texts differ.
        if hit is _UNSEEN and all(c is None or c.__class__ is str for c in cells):
            if len(self._memo) >= self.KEPT:
                self._memo.clear()
            self._memo[cells] = key
        return key

    def _work_out(self, cells: tuple[Any, ...]) -> RowKey | None:
        if not self.keys:
            return None
        n = len(self.keys)
        parts = _key_parts(self.keys, cells[:n])
        if parts is not None:
            return ("keys", parts)
        if self.alts:
            parts = _key_parts(self.alts, cells[n:])
            if parts is not None:
                return ("alt", parts)
        return None


_UNSEEN: Any = object()
_KeyPlan = tuple[tuple[str, ColType], ...]


def _key_parts(plan: _KeyPlan, cells: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The :func:`key_text` of each of these key cells; None when one is blank."""
    parts = []
    for (_key, col_type), value in zip(plan, cells, strict=True):
        # Text, the common case, without a call more.
        if value.__class__ is str and col_type is not ColType.EMAIL:
            text = _key_str(value)
        else:
            text = key_text(value, col_type)
        if not text:
            return None
        parts.append(text)
    return tuple(parts)


_KEYERS: dict[int, tuple[Sheet, RowKeyer]] = {}


def row_keyer(sheet: Sheet) -> RowKeyer:
    """The sheet's :class:`RowKeyer`, made once (a Sheet holds a dict: not hashable, so
    it is known by its id)."""
    hit = _KEYERS.get(id(sheet))
    if hit is None or hit[0] is not sheet:
        hit = (sheet, RowKeyer(sheet))
        _KEYERS[id(sheet)] = hit
    return hit[1]


KEY_SEPARATOR = "\x1f"
"""Between the parts of a stored key. It is white space to :meth:`str.split`, so
:func:`key_text` never leaves one inside a part: a stored key reads back one way only."""

ALT_KEY_MARK = "\x1e"
"""Before a stored key made of a row's alternative keys (white space as well)."""


def stored_key(sheet: Sheet, values: Mapping[str, Any]) -> str | None:
    """A row's key (:func:`row_key`) as the one text the ledger stores and groups by.

    The parts joined by :data:`KEY_SEPARATOR`, an alternative key marked by
    :data:`ALT_KEY_MARK`: ``K01`` for November 2026 is ``"k01\x1f2026-11"``. None when the
    row has no whole key.
    """
    return key_string(row_key(sheet, values))


def key_string(key: RowKey | None) -> str | None:
    """A :func:`row_key` as :func:`stored_key` writes it."""
    if key is None:
        return None
    kind, parts = key
    text = KEY_SEPARATOR.join(parts)
    return ALT_KEY_MARK + text if kind == "alt" else text


def item_key(sheet: Sheet, stored: str) -> str:
    """A stored key without its period part: what a KPI or SLA line is known by from month
    to month (restatements and history group by it). Unchanged on a sheet without period."""
    if sheet.period is None or sheet.period not in sheet.keys or stored.startswith(ALT_KEY_MARK):
        return stored
    parts = stored.split(KEY_SEPARATOR)
    del parts[sheet.keys.index(sheet.period)]
    return KEY_SEPARATOR.join(parts)


def item_key_text(item: str, separator: str = " / ") -> str:
    """An item as people write it (``K01``, or ``Helpdesk / First response`` for a line of
    several key cells) as the :func:`item_key` it names."""
    return KEY_SEPARATOR.join(key_text(part) for part in item.split(separator))
