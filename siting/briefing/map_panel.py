"""The side panel of the map page: the legend, the key to the zones the map marks with a letter
and, under them, the final year's headline, the money, the corridor trucks and the solver.

The panel ends above the page foot. It is drawn at its normal size when it fits; else smaller
(7.5 pt, a name on two lines at most); else the station types and zone letters that do not
fit continue as tables on a page right after the map ("Legend (continued)"), and the panel
says how many follow. A name too long for its lines is cut to end with its id ("… [id]").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from siting.briefing.cartography import zone_marker
from siting.briefing.context import PAGE_SIZE_IN, PageContext, draw_symbol
from siting.briefing.tables import (
    PAGE_BOTTOM,
    Table,
    TableFlow,
    draw_row_symbols,
    line_height,
    named,
)
from siting.briefing.text import wrap_width
from siting.report_text import corridor_text, headline_text, money_text
from siting.run_folder import RunData
from siting.symbology import ROAD_COLOR, ZONE_COLOR

__all__ = ["PANEL_X", "draw_panel"]

#: The panel's left edge and the top of its title (page fractions).
PANEL_X = 0.695
_TOP = 0.885
#: Height of the legend's title; of the zone key's title; space above the headline.
_TITLE_H, _KEY_TITLE_H, _GAP = 0.035, 0.03, 0.02
#: The headline starts this high at most (lower when the legend is long).
_FACTS_TOP = 0.5
#: Where an entry's text starts, right of its symbol (page fraction).
_TEXT_DX = 0.028
_SYMBOL_PT = 11.0
#: Width of the tables continuing the legend on the next page (page fraction).
_FLOW_WIDTH = 0.45


@dataclass(frozen=True)
class _Scale:
    """A size of the panel: font size (pt), lines a name may take, one-line entry height."""

    size: float
    lines: int
    step: float

    def height(self, lines: Sequence[str]) -> float:
        """Height of an entry of ``lines`` (page fraction)."""
        return self.step + self.size * 1.2 / 72.0 / PAGE_SIZE_IN[1] * (len(lines) - 1)


#: The panel's sizes, tried in turn until it fits.
_SCALES = (_Scale(8.5, 3, 0.03), _Scale(7.5, 2, 0.025))


def draw_panel(fig: Figure, data: RunData, ctx: PageContext,
               zone_key: Sequence[tuple[str, str]]) -> list[TableFlow]:
    """Draw the map page's side panel; ``zone_key`` holds (letter, zone id) of the zones the
    map marks with a letter. Returns the tables continuing the legend and the key (their
    entries that did not fit; none usually), for :func:`~siting.briefing.tables.flow_pages`."""
    facts = _fact_blocks(ctx)
    counts = data.stations["station_type"].value_counts().to_dict() if len(data.stations) else {}
    layers = [k for k, g in (("coverage", data.coverage_areas), ("zones", data.zones),
                             ("roads", data.roads)) if g is not None and len(g)]
    for scale in _SCALES:
        types = [_type_lines(ctx, tid, f"({counts.get(tid, 0)})", scale) for tid in ctx.styles]
        keys = [_key_lines(ctx, zid, scale) for _, zid in zone_key]
        th, kh = [scale.height(x) for x, _ in types], [scale.height(x) for x, _ in keys]
        fixed = (_TITLE_H + (len(layers) + bool(types)) * scale.step + _GAP
                 + (_KEY_TITLE_H if keys else 0.0) + sum(h for *_, h in facts))
        room = _TOP - PAGE_BOTTOM - fixed
        n_types, n_keys = len(th), len(kh)
        if sum(th) + sum(kh) <= room:
            break
    else:  # not even at the smallest size: what does not fit continues on the next page
        room -= scale.step * (bool(th) + bool(kh))  # the lines saying how many follow
        n_types = _count(th, room)
        n_keys = _count(kh, room - sum(th[:n_types])) if n_types == len(th) else 0
    for cut, title in ((types[:n_types], "map.legend"), (keys[:n_keys], "brief.zone_key")):
        if any(c for _, c in cut):  # the method text then says where the full names are
            ctx.cut_tables.add(ctx.label(title))
    y = _legend(fig, ctx, [x for x, _ in types[:n_types]], len(types) - n_types, layers, scale)
    if keys:
        y = _key(fig, ctx, [x for x, _ in keys[:n_keys]], zone_key[:n_keys], len(keys) - n_keys,
                 y, scale)
    _facts(fig, facts, min(y - _GAP, _FACTS_TOP))
    return _rest(ctx, counts, list(ctx.styles)[n_types:], zone_key[n_keys:])


def _count(heights: Sequence[float], room: float) -> int:
    """How many of the first entries of ``heights`` fit in ``room``."""
    used, n = 0.0, 0
    while n < len(heights) and used + heights[n] <= room:
        used += heights[n]
        n += 1
    return n


def _type_lines(ctx: PageContext, tid: str, count: str,
                scale: _Scale) -> tuple[list[str], bool]:
    """A station type's legend text: its name and count, the name cut to end with the type's
    id when it takes more than the scale's lines; and whether it was cut."""
    label = ctx.styles[tid].label
    width_pt = (0.97 - PANEL_X - 0.03) * PAGE_SIZE_IN[0] * 72
    lines = wrap_width(f"{label} {count}", width_pt, scale.size)
    if len(lines) <= scale.lines:
        return lines, False
    return [*wrap_width(label, width_pt, scale.size, max_lines=scale.lines - 1,
                        ref=ctx.fonts.safe(tid, "?")), count], True


def _key_lines(ctx: PageContext, zid: str, scale: _Scale) -> tuple[list[str], bool]:
    """A zone's entry in the key: its name, cut to end with its id when too long; and whether
    it was cut."""
    width_pt = (0.97 - PANEL_X - _TEXT_DX) * PAGE_SIZE_IN[0] * 72
    name = ctx.zone(zid)
    lines = wrap_width(name, width_pt, scale.size, max_lines=scale.lines,
                       ref=ctx.fonts.safe(zid, "?"))
    return lines, "".join(name.split()) != "".join("".join(lines).split())


def _overlay(fig: Figure) -> Any:
    """Axes over the whole page in page fractions, for the panel's symbols."""
    ax = fig.add_axes((0, 0, 1, 1), facecolor="none")
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return ax


def _more(fig: Figure, text: str, y: float, scale: _Scale) -> float:
    """The line saying how many entries continue on the next page; returns its bottom."""
    fig.text(PANEL_X, y, text, fontsize=scale.size, va="top", color="#555555")
    return y - scale.step


def _legend(fig: Figure, ctx: PageContext, types: list[list[str]], more: int,
            layers: list[str], scale: _Scale) -> float:
    """The legend: the first station types (their symbols, count in the plan), a line saying
    how many follow, new and existing, coverage areas, zones, roads. Returns its bottom."""
    x, y = PANEL_X, _TOP
    fig.text(x, y, ctx.label("map.legend"), fontsize=10.5, fontweight="bold", va="top")
    y -= _TITLE_H
    ax = _overlay(fig)
    syms = list(ctx.styles.values())
    for sym, lines in zip(syms, types, strict=False):
        draw_symbol(ax, x + 0.01, y - 0.008, sym, size=_SYMBOL_PT)
        fig.text(x + _TEXT_DX, y, "\n".join(lines), fontsize=scale.size, va="top",
                 linespacing=1.15)
        y -= scale.height(lines)
    if more:
        y = _more(fig, ctx.label("brief.more_rows", n=more), y, scale)
    if syms:
        draw_symbol(ax, x + 0.01, y - 0.008, syms[0], size=_SYMBOL_PT)
        draw_symbol(ax, x + 0.03, y - 0.008, syms[0], existing=True, size=_SYMBOL_PT)
        fig.text(x + 0.048, y, ctx.label("brief.legend_new_existing"), fontsize=scale.size,
                 va="top")
        y -= scale.step
    for kind in layers:
        if kind == "coverage":
            ax.add_patch(_rect(x + 0.002, y - 0.016, "#7f7f7f", 0.25, "-"))
        elif kind == "zones":
            ax.add_patch(_rect(x + 0.002, y - 0.016, "none", 1.0, "--", edge=ZONE_COLOR))
        else:
            ax.plot([x + 0.002, x + 0.02], [y - 0.009, y - 0.009], color=ROAD_COLOR,
                    linewidth=1.1)
        fig.text(x + _TEXT_DX, y, ctx.label(f"layer.{kind}"), fontsize=scale.size, va="top")
        y -= scale.step
    return y


def _rect(x: float, y: float, face: str, alpha: float, style: str, *,
          edge: str | None = None) -> Rectangle:
    return Rectangle((x, y), 0.018, 0.013, facecolor=face, alpha=alpha, linestyle=style,
                     edgecolor=edge or face, linewidth=1.0)


def _key(fig: Figure, ctx: PageContext, keys: list[list[str]],
         zone_key: Sequence[tuple[str, str]], more: int, top: float, scale: _Scale) -> float:
    """The key to the zones marked with a letter (their names have no room on the map): the
    first ones, then a line saying how many follow. Returns its bottom."""
    y = top - 0.005
    fig.text(PANEL_X, y, ctx.label("brief.zone_key"), fontsize=9.5, fontweight="bold",
             va="top")
    y -= _KEY_TITLE_H - 0.005
    ax = _overlay(fig)
    for lines, (letter, _) in zip(keys, zone_key, strict=True):
        zone_marker(ax, PANEL_X + 0.01, y - 0.008, letter, fontsize=scale.size - 1)
        fig.text(PANEL_X + _TEXT_DX, y, "\n".join(lines), fontsize=scale.size, va="top",
                 linespacing=1.15)
        y -= scale.height(lines)
    if more:
        y = _more(fig, ctx.label("brief.rows_follow" if not keys else "brief.more_rows",
                                 n=more), y, scale)
    return y


def _fact_blocks(ctx: PageContext) -> list[tuple[list[str], float, bool, float]]:
    """The headline (final planning year), the money, the corridor trucks and the solver's
    outcome: (lines wrapped to the panel, font size, bold, height as a page fraction)."""
    rep = ctx.report
    width_pt = (0.97 - PANEL_X) * PAGE_SIZE_IN[0] * 72
    blocks = [(headline_text(rep, ctx.lang), 11.5, True), (money_text(rep, ctx.lang), 9.5, False)]
    corr = corridor_text(rep, ctx.lang)
    if corr:
        blocks.append((corr, 8.5, False))
    status = ctx.label("brief.solver_short_optimal") if rep.solver.status == "optimal" else \
        ctx.label("brief.solver_short_stopped", gap=_gap(rep))
    blocks.append((status, 8.5, False))
    out = []
    for text, size, bold in blocks:
        lines = wrap_width(ctx.fonts.safe(text), width_pt, size, bold=bold)
        out.append((lines, size, bold, (len(lines) * size * 1.25 + 6) / 72 / PAGE_SIZE_IN[1]))
    return out


def _facts(fig: Figure, blocks: list[tuple[list[str], float, bool, float]], top: float) -> None:
    """The headline blocks from ``top`` down."""
    y = top
    for lines, size, bold, height in blocks:
        fig.text(PANEL_X, y, "\n".join(lines), fontsize=size, va="top", linespacing=1.25,
                 fontweight="bold" if bold else "normal",
                 color="#111111" if bold else "#333333")
        y -= height


def _gap(rep: Any) -> str:
    from siting._format import percent

    return percent(rep.solver.gap, 1)


def _rest(ctx: PageContext, counts: dict[Any, int], types: list[str],
          zone_key: Sequence[tuple[str, str]]) -> list[TableFlow]:
    """The station types and zone letters left out of the panel, as tables for the page after
    the map (their titles marked continued): symbol or letter, name (cut: "… [id]"), count."""
    flows = []
    if types:
        syms = [ctx.styles[t] for t in types]
        table = Table(["", ctx.label("field.type"), ctx.label("brief.col_count")],
                      [["", named(ctx, s.label, t), str(counts.get(t, 0))]
                       for t, s in zip(types, syms, strict=True)],
                      [0.08, 0.74, 0.18], ["left", "left", "right"], wrap=[False, True, False])

        def symbols(fig: Figure, first: int, tops: list[float]) -> None:
            draw_row_symbols(fig, 0.03 + 0.016, tops, syms[first:first + len(tops)],
                             [False] * len(tops), table.fontsize, _SYMBOL_PT)

        flows.append(TableFlow(ctx.label("map.legend"), table, _FLOW_WIDTH, on_rows=symbols,
                               titled=True))
    if zone_key:
        key = Table(["", ctx.label("field.zone")],
                    [["", named(ctx, ctx.zone(zid), zid)] for _, zid in zone_key],
                    [0.08, 0.92], ["left", "left"], wrap=[False, True])

        def letters(fig: Figure, first: int, tops: list[float]) -> None:
            ax, lh = _overlay(fig), line_height(key.fontsize)
            for top, (letter, _) in zip(tops, zone_key[first:], strict=False):
                zone_marker(ax, 0.03 + 0.016, top - 0.75 * lh, letter, fontsize=key.fontsize - 1)

        flows.append(TableFlow(ctx.label("brief.zone_key"), key, _FLOW_WIDTH, on_rows=letters,
                               titled=True))
    return flows
