"""Briefing layout with hostile or unusual text: nothing runs off its place, nothing is drawn
as an empty box.

Found with a run whose names were 500 characters long, held tabs, a bell character and
emoji: the plan's title ran under the page heading, a zone table ran under the page footer
(a 500-character name wrapped to 24 lines), the map legend's type names took a dozen lines,
and a tab, a bell or an emoji came out as a missing-glyph box although a CJK font was there.
"""

from __future__ import annotations

import warnings

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from siting import briefing
from siting.briefing.context import TITLE_MIN_PT, PageContext, fit_title, new_page
from siting.briefing.tables import MAX_CELL_LINES, PAGE_BOTTOM, Table, layout_rows, table_block
from siting.briefing.text import text_width_pt, wrap_width
from siting.i18n import t
from tests.helpers_report import make_report

LONG = "L" * 500
HEADING = "Cost, savings and mandates"


@pytest.fixture(scope="module")
def fonts() -> briefing.Fonts:
    return briefing.Fonts.resolve()


@pytest.fixture
def rc(fonts):
    with matplotlib.rc_context(briefing.briefing_rc(fonts)):
        yield fonts


def _ctx(fonts: briefing.Fonts, title: str) -> PageContext:
    return PageContext(lang="en", fonts=fonts, title=title, zone_names={}, styles={},
                       weight_unit="vehicles", report=make_report(name=title))


def _extent(fig: Figure, text: str):
    FigureCanvasAgg(fig).draw()
    art = next(t for t in fig.texts if t.get_text() == text)
    return art.get_window_extent()


@pytest.mark.parametrize("title", [
    "Suizhou fleet stations",
    "Suizhou working-fleet swap, charging and hydrogen station siting, with the corridors "
    "and the phased budget (2023-2025)",
    LONG, "line one\nline two\tthree"])
def test_the_plan_title_stays_left_of_the_page_heading(rc, title):
    fig = new_page(_ctx(rc, rc.safe(title)), HEADING)
    shown, size = fit_title(rc.safe(title), HEADING)
    assert "\n" not in shown and "\t" not in shown
    assert size >= TITLE_MIN_PT
    title_box = _extent(fig, shown)
    heading_box = _extent(fig, HEADING)
    assert title_box.x1 < heading_box.x0, (title_box, heading_box)
    if len(title) < 30:
        assert (shown, size) == (" ".join(title.split()), 17.0)  # short: whole, one line
    elif title == LONG:
        assert shown.endswith("…") and shown.startswith("LLLL")


@pytest.mark.slow
def test_a_wrapped_cell_takes_at_most_a_few_lines_and_says_it_was_cut(rc):
    table = Table(["name", "n"], [[LONG, "1"], ["短名", "2"]], [0.5, 0.5], ["left", "right"],
                  wrap=[True, False])
    laid = layout_rows(table, 0.3)
    long_cell, short_cell = laid[1][0][0], laid[2][0][0]
    assert len(long_cell) == MAX_CELL_LINES and long_cell[-1].endswith("…")
    assert short_cell == ["短名"]
    room = 0.5 * 0.3 * briefing.PAGE_SIZE_IN[0] * 72 - 6
    assert all(text_width_pt(line, table.fontsize) <= room for line in long_cell)
    # the header (siting's own words) is never cut
    head = Table([LONG, "n"], [], [0.5, 0.5], ["left", "right"])
    assert len(layout_rows(head, 0.3)[0][0][0]) > MAX_CELL_LINES


def test_wrap_width_max_lines_keeps_short_text_whole(rc):
    assert wrap_width("a b c", 200, 9, max_lines=1) == ["a b c"]
    lines = wrap_width("word " * 200, 100, 9, max_lines=2)
    assert len(lines) == 2 and lines[1].endswith("…")


def test_a_table_stops_above_the_page_bottom_and_says_how_many_more(rc):
    fig = Figure(figsize=briefing.PAGE_SIZE_IN)
    rows = [[f"{LONG} {k}", str(k)] for k in range(12)]
    table = Table(["zone", "n"], rows, [0.7, 0.3], ["left", "right"], wrap=[True, False])
    bottom = table_block(fig, _ctx(rc, "t"), "Stations by zone", table, 0.03, 0.6, 0.55)
    assert bottom >= PAGE_BOTTOM
    texts = [t.get_text() for t in fig.texts]
    more = [t for t in texts if t.startswith("...") and "more rows" in t]
    assert len(more) == 1
    shown = sum(1 for t in texts if t.startswith("LLLL") and t.endswith("…"))  # one a row
    assert f"... {12 - shown} more rows" == more[0]
    # a table that fits is drawn whole, as before
    fig2 = Figure(figsize=briefing.PAGE_SIZE_IN)
    short = Table(["zone", "n"], [["a", "1"], ["b", "2"]], [0.7, 0.3], ["left", "right"])
    table_block(fig2, _ctx(rc, "t"), "Stations by zone", short, 0.03, 0.6, 0.55)
    assert not [t for t in fig2.texts if "more rows" in t.get_text()]


@pytest.mark.parametrize("text", ["\t=1 50", "bell\x07x", "a\rb", "🚛⚡🔋 61"])
def test_safe_text_is_drawn_without_missing_glyphs(rc, text):
    shown = rc.safe(text, "ID-1")
    assert not any(ord(c) < 32 and c != "\n" for c in shown)
    fig = Figure(figsize=(3, 1))
    fig.text(0.1, 0.5, shown, fontsize=12)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).draw()
    assert not [w for w in caught if "missing from font" in str(w.message)], shown


def test_safe_keeps_drawable_text_and_marks_what_it_cannot_draw(rc):
    assert rc.safe("随州 Depot ⚡") == "随州 Depot ⚡"
    assert rc.safe("line1\nline2") == "line1\nline2"    # a line break stays one
    assert rc.safe("\t=1") == " =1"
    assert not rc.can_draw("🚛")                         # no emoji in Noto CJK/DejaVu
    assert rc.safe("🚛 车队", "C01") == "C01"            # the fallback, as for Chinese
    assert rc.safe("🚛 车队", "🚛") == "? 车队"          # no drawable fallback: marked


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_method_names_the_posted_speed_limits_when_the_network_has_them(fonts, lang):
    from types import SimpleNamespace

    from siting.briefing.page_text import _method

    texts = {}
    for limits in (0, 1234):
        rep = make_report(network={"source": "OpenStreetMap file roads.osm.pbf",
                                   "posted_limits": limits})
        ctx = PageContext(lang=lang, fonts=fonts, title="t", zone_names={}, styles={},
                          weight_unit="vehicles", report=rep)
        texts[limits] = _method(SimpleNamespace(report=rep), ctx)  # type: ignore[arg-type]
    phrase = {"en": "no faster than the posted limit on the 1,234 links that have one",
              "zh": "其中 1,234 条路段的车速不超过其标注限速"}[lang]
    assert phrase in texts[1234] and "1,234" not in texts[0]
    assert texts[1234].replace(t("brief.method_limits", lang, n="1,234"), "") == texts[0]
