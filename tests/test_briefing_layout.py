"""Briefing layout with hostile or unusual text: nothing runs off its place, nothing is drawn
as an empty box.

Found with a run whose names were 500 characters long, held tabs, a bell character and
emoji: the plan's title ran under the page heading, a zone table ran under the page footer
(a 500-character name wrapped to 24 lines), the map legend's type names took a dozen lines,
and a tab, a bell or an emoji came out as a missing-glyph box although a CJK font was there.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from siting import briefing
from siting.briefing.cartography import zone_letter
from siting.briefing.context import TITLE_MIN_PT, PageContext, fit_title, new_page
from siting.briefing.tables import (
    MAX_CELL_LINES,
    PAGE_BOTTOM,
    Named,
    Table,
    TableFlow,
    flow_pages,
    layout_rows,
    table_block,
)
from siting.briefing.text import fit_ref, text_width_pt, wrap_width
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


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.texts]


def test_a_table_that_does_not_fit_continues_on_the_next_pages(rc):
    """A table stopped above the page foot and said "... n more rows"; the rows were left out
    of the document. Now they continue on pages of their own, title and header repeated."""
    ctx = _ctx(rc, "t")
    fig = Figure(figsize=briefing.PAGE_SIZE_IN)
    rows = [[Named(f"{LONG} {k}", f"Z{k:02d}"), str(k)] for k in range(20)]
    table = Table(["zone", "n"], rows, [0.7, 0.3], ["left", "right"], wrap=[True, False],
                  total=["total", "190"])
    rest: list[TableFlow] = []
    bottom = table_block(fig, ctx, "Stations by zone", table, 0.03, 0.6, 0.55, rest=rest)
    assert bottom >= PAGE_BOTTOM and len(rest) == 1
    shown = [t for t in _texts(fig) if "… [" in t]  # a row's last line
    assert 0 < len(shown) < 20
    assert f"... {20 - len(shown)} more on the following pages" in _texts(fig)
    pages, end = flow_pages(ctx, "Key figures", rest)
    assert len(pages) >= 2 and end >= PAGE_BOTTOM
    for page in pages:
        texts = _texts(page)
        assert "Key figures (continued)" in texts
        assert "Stations by zone (continued)" in texts and "zone" in texts  # header again
        assert min(t.get_position()[1] for t in page.texts if t.get_text().startswith(
            ("LLLL", "total", "..."))) > PAGE_BOTTOM
    every = [t for f in (fig, *pages) for t in _texts(f)]
    # each row once, its name cut (four lines) and ending with its id; the total at the end
    assert [t.split("[")[-1] for t in every if "… [" in t] == [f"Z{k:02d}]" for k in range(20)]
    assert every.count("total") == 1 and "total" in _texts(pages[-1])
    assert rest[0].left == 0 and ctx.cut_tables == {"Stations by zone"}


def test_a_table_with_no_room_says_where_it_is(rc):
    ctx = _ctx(rc, "t")
    fig = Figure(figsize=briefing.PAGE_SIZE_IN)
    table = Table(["corridor", "km"], [["G70", "48.4"]], [0.7, 0.3], ["left", "right"])
    rest: list[TableFlow] = []
    table_block(fig, ctx, "Truck corridors", table, 0.03, 0.13, 0.55, rest=rest)
    assert _texts(fig) == ["Truck corridors", "... rows on the following pages: 1"]
    pages, _ = flow_pages(ctx, "Key figures", rest)
    assert len(pages) == 1 and {"Truck corridors (continued)", "G70"} <= set(_texts(pages[0]))
    assert ctx.cut_tables == set()  # nothing was cut
    # no room even for the title: nothing on this page, the whole table on the next
    fig, rest = Figure(figsize=briefing.PAGE_SIZE_IN), []
    assert table_block(fig, ctx, "Truck corridors", table, 0.03, 0.08, 0.55, rest=rest) == 0.08
    assert _texts(fig) == []
    assert "Truck corridors" in _texts(flow_pages(ctx, "Key figures", rest)[0][0])


def test_a_cut_name_ends_with_its_id(rc):
    lines = wrap_width(LONG, 100, 8, max_lines=4, ref="S01")
    assert len(lines) == 4 and lines[-1].endswith("… [S01]")
    assert all(text_width_pt(line, 8) <= 100 for line in lines)
    assert wrap_width("short", 100, 8, max_lines=4, ref="S01") == ["short"]
    # an id too long to end a line takes lines of its own
    lines = wrap_width(LONG, 100, 8, max_lines=4, ref="X" * 40)
    assert len(lines) == 4 and lines[1].endswith("…") and lines[2].startswith("[XXX")


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


def test_a_cut_label_ends_with_its_id_on_one_line(rc):
    assert fit_ref("Sanitation", "SEG1", 200, 8) == "Sanitation"
    label = fit_ref(LONG, "SEG1", 120, 8)
    assert "\n" not in label and label.endswith("… [SEG1]")
    assert text_width_pt(label, 8) <= 120
    # an id too long to end the line: on a line of its own
    label = fit_ref(LONG, "S" * 12, 60, 8)
    assert label.split("\n")[0].endswith("…") and label.split("\n")[1].startswith("[SSS")


def test_zone_letters_run_past_z():
    assert [zone_letter(k) for k in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


def _panel(fonts: briefing.Fonts, n_types: int, label: str, zones: int) -> tuple[
        Figure, PageContext, list[TableFlow]]:
    """The map page's side panel of a plan with ``n_types`` station types named ``label``
    and ``zones`` zones marked with a letter (their names too long for the map)."""
    import geopandas as gpd

    from siting.briefing.map_panel import draw_panel
    from siting.run_folder import RunData
    from siting.symbology import TypeSymbol

    styles = {f"T{k:02d}": TypeSymbol(f"T{k:02d}", f"{label} {k}", "#1f77b4", "?", "swap")
              for k in range(n_types)}
    ctx = PageContext(lang="en", fonts=fonts, title="t", styles=styles,
                      zone_names={f"Z{k}": f"{LONG[:200]} {k}" for k in range(zones)},
                      weight_unit="vehicles", report=make_report())
    data = RunData(run_dir=Path("run"), report=ctx.report,
                   stations=gpd.GeoDataFrame({"station_type": ["T00"] * 3}))
    fig = Figure(figsize=briefing.PAGE_SIZE_IN)
    rest = draw_panel(fig, data, ctx, [(zone_letter(k), f"Z{k}") for k in range(zones)])
    return fig, ctx, rest


def test_the_map_panel_ends_above_the_page_foot(rc):
    """Fourteen station types with long names and three zones named only in the key drew the
    legend over the page footer and the headline under the page's edge: now the panel
    shrinks, and what still has no room continues on the next page, each name (cut: with its
    id) once."""
    fig, ctx, rest = _panel(rc, 14, "Battery swap station for heavy trucks " * 3, 3)
    renderer = FigureCanvasAgg(fig).get_renderer()
    low = min(t.get_window_extent(renderer).y0 for t in fig.texts if t.get_text())
    assert low >= PAGE_BOTTOM * fig.bbox.height
    texts = _texts(fig)
    assert any(x.startswith("2025: 300 of 400 new-energy vehicles") for x in texts)  # headline
    shown = [k for k in range(14) if any(f"[T{k:02d}]" in x for x in texts)]
    assert 0 < len(shown) < 14 and "... rows on the following pages: 3" in texts
    assert [f.title for f in rest] == ["Legend", "Zones marked with a letter"]
    pages, end = flow_pages(ctx, "Plan map", rest)
    assert len(pages) == 1 and end >= PAGE_BOTTOM
    later = _texts(pages[0])
    assert {"Plan map (continued)", "Legend (continued)",
            "Zones marked with a letter (continued)"} <= set(later)
    assert [row[1].ref for row in rest[0].table.rows] == [
        f"T{k:02d}" for k in range(14) if k not in shown]
    assert all(f.left == 0 for f in rest)  # every row drawn
    assert [row[1].ref for row in rest[1].table.rows] == ["Z0", "Z1", "Z2"]
    marks = [t.get_text() for ax in pages[0].axes for t in ax.texts]
    assert [x for x in marks if x.isalpha()] == list("ABC")  # ringed as on the map
    assert "Legend" in ctx.cut_tables


def test_a_short_legend_is_drawn_whole_at_its_size(rc):
    fig, ctx, rest = _panel(rc, 3, "swap", 1)
    assert rest == [] and ctx.cut_tables == {"Zones marked with a letter"}
    texts = {t.get_text(): t.get_fontsize() for t in fig.texts}
    assert [texts[f"swap {k} ({3 if k == 0 else 0})"] for k in range(3)] == [8.5] * 3
    assert any(x.endswith("… [Z0]") for x in texts)
