"""Counts, figures and dates as people write them, for every message and sheet rmp writes.

``plural(1, "month")`` is "1 month", ``plural(3, "discrepancy")`` "3 discrepancies";
``with_unit(2.0, "ppt")`` is "2 ppt", ``with_unit(25000, "GBP")`` "25,000 GBP" and
``with_unit(91, "%")`` "91%"; ``number(1.0)`` is "1"; ``iso_date`` writes 2026-12-05
whatever the locale. One home, so no sheet says "1 months" or "10days".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

_IRREGULAR = {"person": "people", "was": "were", "is": "are", "has": "have", "this": "these"}
_NO_SPACE_UNITS = frozenset({"%", "‰", "°", "°C", "°F", "£", "€", "$"})
"""Units written straight after the figure (91%); every other unit gets a space (10 days)."""
_PREFIX_UNITS = frozenset({"£", "€", "$"})
"""Units written before the figure (£120)."""


def plural_of(word: str) -> str:
    """The plural of an English noun as rmp uses them (risk → risks, discrepancy → …ies)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def plural(count: float, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, the word in the plural unless the count is exactly one."""
    shown = number(count)
    return f"{shown} {word if count == 1 else (many or plural_of(word))}"


def number(value: Any, decimals: int = 2) -> str:
    """A figure as people write it: 1 not 1.0, 2.5 not 2.50, 25,000 with its separator."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    try:
        figure = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(figure):
        return ""
    rounded = round(figure, decimals)
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")


def with_unit(value: Any, unit: Any, decimals: int = 2) -> str:
    """A figure with its unit: "2 ppt", "10 days", "25,000 GBP", "91%", "£120"."""
    shown = number(value, decimals) if not isinstance(value, str) else value.strip()
    unit_text = "" if unit is None else str(unit).strip()
    if not unit_text or not shown:
        return shown
    if unit_text in _PREFIX_UNITS:
        return f"{unit_text}{shown}"
    if unit_text in _NO_SPACE_UNITS:
        return f"{shown}{unit_text}"
    if unit_text == "count":  # "0 count" reads wrong: a count is its number
        return shown
    return f"{shown} {unit_text}"


def iso_date(value: Any) -> str:
    """A date (or a datetime's date) as 2026-12-05; text is returned as it is."""
    if value is None or value != value:  # None, NaN and pandas' NaT
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    to_pydatetime = getattr(value, "to_pydatetime", None)  # a pandas Timestamp
    if callable(to_pydatetime):
        try:
            return to_pydatetime().date().isoformat()
        except ValueError:  # NaT
            return ""
    return str(value)


def count_list(counts: dict[str, float]) -> str:
    """Counts as words: {"error": 2, "warning": 1} gives "2 errors, 1 warning" (zeros left out)."""
    return ", ".join(plural(n, word) for word, n in counts.items() if n)


_HYPERLINK = re.compile(
    r'^\s*=\s*HYPERLINK\(\s*"([^"]*)"\s*(?:[,;]\s*"([^"]*)"\s*)?\)\s*$', re.IGNORECASE
)


def link_text(text: str) -> str:
    """A link formula a partner typed, as the words and address it shows:
    ``=HYPERLINK("https://x.example/pod","POD log")`` is "POD log (https://x.example/pod)".
    Any other text is returned unchanged (it stays text, never a formula)."""
    found = _HYPERLINK.match(text) if "(" in text else None
    if found is None:
        return text
    url, label = found.group(1), found.group(2)
    return f"{label} ({url})" if label and label != url else url
