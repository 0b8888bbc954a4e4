"""How wide text prints in the workbook's font, so cells can be sized to their text.

The consolidated workbook is set in Arial; LibreOffice prints it with Liberation
Sans, which has the same advance widths. The widths below are that font's (in
thousandths of the font size) for the characters partners and rmp type most;
any other character counts as a wide one, so text is never measured too short.
Column widths follow Excel's conversion (a width of ``w`` characters is
``7·w + 5`` pixels at 96 dpi), the narrower of Excel's and LibreOffice's, so what
fits here fits in both.
"""

from __future__ import annotations

import functools
import itertools
import math

_CHARS = "".join(chr(i) for i in range(32, 127)) + "–—…×→↓“”‘’£€·°±≥≤•"
_REGULAR = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
    722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
    500, 334, 260, 334, 584, 556, 1000, 1000, 584, 1000, 500, 333, 333, 222, 222, 556, 556, 333,
    400, 549, 549, 549, 350,
)  # fmt: skip
_BOLD = (
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722,
    722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611,
    611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556,
    500, 389, 280, 389, 584, 556, 1000, 1000, 584, 1000, 500, 500, 500, 278, 278, 556, 556, 333,
    400, 549, 549, 549, 350,
)  # fmt: skip
REGULAR = dict(zip(_CHARS, _REGULAR, strict=True))
BOLD = dict(zip(_CHARS, _BOLD, strict=True))
"""Advance widths (thousandths of the font size); italic shares its upright widths."""
OTHER = 1000
"""Width assumed for any character not listed (accented letters, CJK): never too short."""

PADDING = 4.0
"""Points a cell keeps free beside its text, left and right together."""
LINE = 1.2
"""A wrapped line's height as a multiple of the font size (Excel's autofit for Arial)."""
ROW_PADDING = 2.0
"""Points a row keeps above and below its lines, together."""


REMEMBERED = 1 << 16
"""Texts whose width is remembered, per font size and weight; then it starts afresh."""


class _Widths(dict[str, float]):
    """Printed widths at one font size and weight, worked out on first use: a
    consolidated workbook measures the same words (names, statuses) hundreds of
    thousands of times."""

    __slots__ = ("size", "table")

    def __init__(self, size: float, bold: bool) -> None:
        super().__init__()
        self.size = size
        self.table = BOLD if bold else REGULAR

    def __missing__(self, text: str) -> float:
        if len(self) >= REMEMBERED:
            self.clear()
        width = sum(map(self.table.get, text, itertools.repeat(OTHER, len(text))))
        self[text] = measured = width * self.size / 1000
        return measured


@functools.lru_cache(maxsize=64)
def _widths(size: float, bold: bool) -> _Widths:
    return _Widths(size, bold)


def text_width(text: str, size: float = 10, *, bold: bool = False) -> float:
    """The printed width of one line of ``text`` in points at ``size`` points."""
    return _widths(size, bold)[text]


def column_points(width: float) -> float:
    """The printed width in points of a column ``width`` characters wide (Excel's rule)."""
    return (7 * width + 5) * 0.75


def column_width(points: float) -> float:
    """The column width (characters) that prints ``points`` wide: ``column_points``' inverse."""
    return max(0.0, (points / 0.75 - 5) / 7)


def width_for(texts: list[str], size: float = 10, *, bold: bool = False) -> float:
    """The column width (characters) that holds the widest of ``texts`` on one line."""
    widest = max((text_width(t, size, bold=bold) for t in texts), default=0.0)
    return math.ceil(column_width(widest + PADDING) * 2) / 2


def wrap(text: str, points: float, size: float = 10, *, bold: bool = False) -> list[str]:
    """``text`` broken into lines at spaces as a spreadsheet wraps a cell ``points`` wide
    (a word longer than a line is broken between letters, as spreadsheets do)."""
    room = points - PADDING
    width = _widths(size, bold)
    if "\n" not in text and width[text] <= room:
        return [text]  # the whole text fits: no break can be needed
    space = width[" "]
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = width[word]
            while w > room and len(word) > 1:
                if line:
                    lines.append(line)
                    line, used = "", 0.0
                cut = len(word) - 1
                while cut > 1 and width[word[:cut]] > room:
                    cut = max(1, min(cut - 1, int(cut * room / width[word[:cut]])))
                lines.append(word[:cut])
                word = word[cut:]
                w = width[word]
            if line and used + space + w > room:
                lines.append(line)
                line, used = word, w
            else:
                line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return lines


def longest_word(text: str, size: float = 10, *, bold: bool = False) -> float:
    """Points of the widest word of ``text``: a wrapping cell narrower than this breaks it."""
    return max((text_width(w, size, bold=bold) for w in text.split()), default=0.0)


def row_height(lines: int, size: float = 10) -> float:
    """The row height in points that shows ``lines`` wrapped lines at ``size`` points."""
    return round(max(lines, 1) * size * LINE + ROW_PADDING, 2)


def height_for(text: str, points: float, size: float = 10, *, bold: bool = False) -> float:
    """The row height in points that shows all of ``text`` wrapped in a cell ``points`` wide."""
    return row_height(len(wrap(text, points, size, bold=bold)), size)


def shorten(
    text: str, points: float, size: float = 10, *, bold: bool = False, lines: int = 1
) -> str:
    """``text`` cut at a word with "…" so it fits ``lines`` lines of a cell ``points`` wide
    (unchanged when it fits)."""
    wrapped = wrap(text, points, size, bold=bold)
    if len(wrapped) <= lines and all(
        text_width(line, size, bold=bold) <= points - PADDING for line in wrapped
    ):
        return text
    kept = wrapped[:lines]
    last = kept[-1]
    room = points - PADDING - text_width("…", size, bold=bold)
    while last and text_width(last, size, bold=bold) > room:
        cut = last.rfind(" ")
        last = last[:cut] if cut > 0 else last[:-1]
    kept[-1] = last.rstrip(" ,;:–-") + "…"
    return " ".join(kept)
