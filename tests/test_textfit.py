"""Text measured as it prints (``rmp_workbook.textfit``), checked against the font itself."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from rmp_workbook import textfit

ROOT = Path(__file__).resolve().parent.parent


def _render_check():
    spec = importlib.util.spec_from_file_location(
        "render_check", ROOT / "scripts" / "render_check.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_check"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SAMPLES = (
    "Deliveries in booked slot (%)",
    "northwind-components-ltd_2026-11.xlsx",
    "Review the mitigation with Contoso Engineering plc and agree actions",
    "K05 Order-to-delivery lead time",
    "£38,000 a year, shared 50/50 – “agreed”",
)


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("bold", [False, True])
def test_widths_agree_with_the_font_file(text, bold):
    """The table's widths are Liberation Sans' (Arial's metrics), measured here by FreeType."""
    check = _render_check()
    try:
        by_font = check.text_width(text, 9, bold=bold)
    except OSError:
        pytest.skip("no Liberation Sans font file")
    assert textfit.text_width(text, 9, bold=bold) == pytest.approx(by_font, rel=0.01)


def test_unknown_characters_count_wide():
    assert textfit.text_width("ж", 10) >= textfit.text_width("M", 10)


def test_column_points_follow_excel():
    # Excel: a column 10 characters wide is 75 pixels (7 per character + 5) = 56.25 pt.
    assert textfit.column_points(10) == pytest.approx(56.25)
    assert textfit.column_width(textfit.column_points(23.5)) == pytest.approx(23.5)


def test_wrap_breaks_at_spaces_and_keeps_long_words_whole():
    lines = textfit.wrap("Agree a recovery plan with Fabrikam Logistics", 80, 8)
    assert len(lines) > 1 and " ".join(lines) == "Agree a recovery plan with Fabrikam Logistics"
    assert all(textfit.text_width(line, 8) <= 80 for line in lines)
    # A word longer than a line is broken between letters, as spreadsheets do.
    broken = textfit.wrap("supercalifragilistic", 30, 8)
    assert len(broken) > 1 and "".join(broken) == "supercalifragilistic"


def test_height_grows_with_the_lines():
    text = "Review the mitigation with Contoso Engineering plc and agree actions that lower it."
    assert textfit.height_for(text, 400, 8) == textfit.row_height(1, 8)
    assert textfit.height_for(text, 120, 8) > textfit.row_height(2, 8)


def test_shorten_cuts_at_a_word_and_fits():
    text = "Inbound delivery: Deliveries in booked slot (%)"
    short = textfit.shorten(text, 100, 9, bold=True)
    assert short.endswith("…") and textfit.text_width(short, 9, bold=True) <= 100
    assert textfit.shorten("Short", 100, 9) == "Short"
    two = textfit.shorten(text * 3, 100, 8, lines=2)
    assert len(textfit.wrap(two, 100, 8)) <= 2


def test_width_for_holds_the_widest():
    width = textfit.width_for(["a", "contoso-engineering-plc_2026-11.xlsx"], 8)
    points = textfit.column_points(width)
    assert points >= textfit.text_width("contoso-engineering-plc_2026-11.xlsx", 8) + 3


def test_remembered_widths_start_afresh_and_stay_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widths are remembered per size and weight, a bounded number of texts at a time."""
    monkeypatch.setattr(textfit, "REMEMBERED", 3)
    textfit._widths.cache_clear()
    first = [textfit.text_width(t, 11, bold=True) for t in SAMPLES]
    assert len(textfit._widths(11, True)) <= 3
    again = [textfit.text_width(t, 11, bold=True) for t in reversed(SAMPLES)]
    assert again[::-1] == first
    table = textfit.BOLD
    for text, width in zip(SAMPLES, first, strict=True):
        assert width == sum(table.get(ch, textfit.OTHER) for ch in text) * 11 / 1000
    assert textfit.text_width(SAMPLES[0], 11) < first[0]  # regular is narrower than bold
    textfit._widths.cache_clear()
