"""Page 2 of the briefing: the key figures.

Tiles (the final year's coverage, money, stations, corridor trucks, solver), the per-year
table beside the coverage by fleet segment and pathway, then stations by zone, the hydrogen
supply sites and the truck corridors. Every per-day or per-vehicle figure is one year's; the
year is named (the final planning year unless a row says otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from siting._format import MISSING, money, money_column, number, percent
from siting.briefing.context import (
    PAGE_SIZE_IN,
    PageContext,
    new_page,
    pathway_name,
    status_text,
)
from siting.briefing.tables import (
    Named,
    Table,
    TableFlow,
    flow_pages,
    named,
    table_block,
    zone_cell,
)
from siting.briefing.text import fit_ref, fit_width, wrap_width
from siting.report import OUTSIDE_ZONES
from siting.report_text import solver_name
from siting.run_folder import RunData

__all__ = ["page_figures", "year_table"]

#: Lines of a tile's small print (more is cut with an ellipsis, never silently).
_TILE_LINES = 3


def page_figures(data: RunData, ctx: PageContext) -> list[Figure]:
    """The key-figures page of a run, then the pages continuing the tables that did not fit
    on it (none usually)."""
    heading = ctx.label("brief.page_figures")
    fig = new_page(ctx, heading)
    _tiles(fig, data, ctx)
    rest: list[TableFlow] = []
    y = table_block(fig, ctx, ctx.label("brief.by_year"), year_table(ctx), 0.03, 0.73, 0.55,
                    rest=rest)
    y = _zone_table(fig, ctx, y - 0.03, rest)
    _corridor_table(fig, ctx, y - 0.03, rest)
    _coverage_charts(fig, ctx)
    _supply_table(fig, ctx, 0.37, rest)
    return [fig, *flow_pages(ctx, heading, rest)[0]]


def _tiles(fig: Figure, data: RunData, ctx: PageContext) -> None:
    """The row of five figure tiles at the top of the page."""
    rep = ctx.report
    h = rep.headline
    share = rep.spent / rep.budget if rep.budget else None
    n_new = int((~data.stations["existing"]).sum())
    n_old = int(data.stations["existing"].sum())
    s = rep.solver
    tiles = [
        (ctx.label("brief.tile_coverage", year=h.year),
         percent(h.vehicles_covered / h.vehicles_total if h.vehicles_total else None),
         ctx.label("brief.covered_weight", value=number(h.vehicles_covered),
                   total=number(h.vehicles_total))),
        (ctx.label("brief.spent"), money(rep.spent, ctx.lang),
         ctx.label("brief.spent_share", share=percent(share), budget=money(rep.budget,
                                                                          ctx.lang))),
        (ctx.label("brief.stations"), f"{n_new + n_old}",
         ctx.label("brief.stations_value", new=n_new, existing=n_old)),
    ]
    if rep.corridors:
        covered = sum(c.trucks_covered or 0.0 for c in rep.corridors)
        total = sum(c.trucks_per_day for c in rep.corridors)
        tiles.append((ctx.label("brief.tile_corridors"), number(covered),
                       ctx.label("brief.corridor_sub_one" if len(rep.corridors) == 1
                                 else "brief.corridor_sub", total=number(total),
                                 n=len(rep.corridors))))
    sub = (solver_name(s.name) if s.status == "optimal" else
           ctx.label("brief.solver_short_stopped", gap=percent(s.gap, 1)))
    tiles.append((ctx.label("brief.solver"), status_text(s.status, ctx), sub))
    width = (0.94 - 0.015 * (len(tiles) - 1)) / len(tiles)
    for k, (key, value, sub) in enumerate(tiles):
        x = 0.03 + k * (width + 0.015)
        fig.add_artist(Rectangle((x, 0.765), width, 0.125, facecolor="#f3f5f8",
                                 edgecolor="#d0d5dd", linewidth=0.6,
                                 transform=fig.transFigure))
        room = (width - 0.02) * PAGE_SIZE_IN[0] * 72
        fig.text(x + 0.01, 0.872, fit_width(key, room, 9), fontsize=9, color="#555555",
                 va="top")
        fig.text(x + 0.01, 0.842, fit_width(value, room, 16, bold=True), fontsize=16,
                 fontweight="bold", va="top")
        lines = wrap_width(sub, room, 7.5, max_lines=_TILE_LINES)
        fig.text(x + 0.01, 0.79 - 0.004 * max(0, len(lines) - 2), "\n".join(lines),
                 fontsize=7.5, color="#555555", va="center", linespacing=1.15)


def year_table(ctx: PageContext) -> Table:
    """By planning year (point demand): fleet, covered, share, energy and hydrogen per day
    needed and served, stations, money — each row one year, never summed."""
    rows = []
    years = list(ctx.report.by_year.values())
    money_cells = money_column([f.spent for f in years] + [f.budget for f in years], ctx.lang)
    for k, f in enumerate(years):
        rows.append([str(f.year), number(f.nev_vehicles), number(f.vehicles_covered),
                     percent(f.coverage_share),
                     f"{number(f.energy_kwh_per_day_served)} / {number(f.energy_kwh_per_day)}",
                     f"{number(f.h2_kg_per_day_served)} / {number(f.h2_kg_per_day)}",
                     str(f.new_stations), str(f.stations_open), money_cells[k],
                     money_cells[len(years) + k]])
    header = [ctx.label("field.year"), ctx.label("brief.col_nev"),
              ctx.label("brief.col_covered"), ctx.label("brief.col_coverage"),
              ctx.label("brief.col_kwh"), ctx.label("brief.col_kg"), ctx.label("brief.col_new"),
              ctx.label("brief.col_open"), ctx.label("brief.col_spent"),
              ctx.label("brief.col_budget")]
    return Table(header, rows, [0.07, 0.1, 0.1, 0.08, 0.16, 0.12, 0.07, 0.08, 0.11, 0.11],
                 ["left"] + ["right"] * 9, wrap=[True] * 10, fontsize=7.8)


def _zone_table(fig: Figure, ctx: PageContext, top: float, rest: list[TableFlow]) -> float:
    """Stations by zone: count, types and capex, zones in the layer's order; a zone of the
    zones layer without a station is listed with 0 (a reader looks for it by name)."""
    types = list(ctx.styles)
    rows: list[list[str | Named]] = []
    sep = ctx.label("rule.list_sep")
    by_zone = ctx.report.by_zone
    zones = sorted([*by_zone.items(), *((z, None) for z in ctx.zone_names if z not in by_zone)],
                   key=_zone_order(ctx))
    capex = money_column([info.capex if info else 0.0 for _, info in zones], ctx.lang)
    for (zid, info), cost in zip(zones, capex, strict=True):
        detail = sep.join(f"{ctx.type_name(t)} {n}" for t, n in sorted(
            info.by_type.items() if info else (), key=lambda kv: (
                types.index(kv[0]) if kv[0] in types else len(types), kv[0])))
        rows.append([zone_cell(ctx, str(zid)), str(info.count if info else 0),
                     ctx.fonts.safe(detail) or MISSING, cost])
    table = Table([ctx.label("field.zone"), ctx.label("brief.col_count"),
                   ctx.label("field.type"), ctx.label("brief.col_capex")], rows,
                  [0.25, 0.1, 0.5, 0.15], ["left", "right", "left", "right"],
                  wrap=[True, False, True, False], fontsize=8)
    return table_block(fig, ctx, ctx.label("brief.by_zone"), table, 0.03, top, 0.55,
                       max_rows=8, rest=rest)


def _supply_table(fig: Figure, ctx: PageContext, top: float,
                  rest: list[TableFlow]) -> float:
    """Hydrogen supply sites: capacity and the plan's use per year, kg/day."""
    rep = ctx.report
    if not rep.hydrogen_supply:
        return top
    years = [str(y) for y in rep.scenario.years]
    rows: list[list[str | Named]] = []
    for sid, s in rep.hydrogen_supply.items():
        rows.append([named(ctx, ctx.fonts.safe(s.name or sid, sid), sid), number(s.kg_per_day),
                     *(number(s.used_kg_per_day.get(y)) for y in years)])
    header = [ctx.label("brief.col_supply"), ctx.label("brief.col_supply_cap")] + [
        ctx.label("brief.col_used", year=y) for y in years]
    n = len(years)
    table = Table(header, rows, [0.4, 0.18] + [0.42 / n] * n, ["left"] + ["right"] * (n + 1),
                  wrap=[True] * (n + 2), fontsize=8)
    return table_block(fig, ctx, ctx.label("brief.h2_supply"), table, 0.62, top, 0.35,
                       max_rows=6, rest=rest)


def _corridor_table(fig: Figure, ctx: PageContext, top: float,
                    rest: list[TableFlow]) -> float:
    """Truck corridors: trucks per day and those that refuel on the route (final plan),
    counted apart from the point demand."""
    rep = ctx.report
    if not rep.corridors:
        return top
    rows: list[list[str | Named]] = []
    for c in rep.corridors:
        name = (c.name_en or c.name) if ctx.lang == "en" else (c.name or c.name_en)
        rows.append([named(ctx, ctx.fonts.safe(name or c.id, c.id), c.id),
                     pathway_name(c.pathway, ctx),
                     number(c.trucks_per_day), number(c.trucks_covered),
                     number(c.length_km, 1)])
    table = Table([ctx.label("brief.col_corridor"), ctx.label("field.pathway"),
                   ctx.label("brief.col_trucks"), ctx.label("brief.col_trucks_covered"),
                   ctx.label("brief.col_km")], rows, [0.5, 0.12, 0.13, 0.13, 0.12],
                  ["left", "left", "right", "right", "right"], wrap=[True] * 5, fontsize=8)
    return table_block(fig, ctx, ctx.label("brief.corridors"), table, 0.03, top, 0.55,
                       max_rows=5, rest=rest)


def _zone_order(ctx: PageContext) -> Callable[[tuple[str, Any]], tuple[int, int, str]]:
    """Sort key for by_zone items: zones in the zones layer's order, then others, outside last."""
    order = {z: k for k, z in enumerate(ctx.zone_names)}

    def key(item: tuple[str, Any]) -> tuple[int, int, str]:
        zid = str(item[0])
        if not zid or zid == OUTSIDE_ZONES:
            return (2, 0, zid)
        return (0, order[zid], zid) if zid in order else (1, 0, zid)

    return key


def _coverage_charts(fig: Figure, ctx: PageContext) -> None:
    """Coverage of the final year by fleet segment (top) and by technology pathway."""
    rep = ctx.report
    year = rep.final_year
    seg_rows = [(ctx.fonts.safe((s.name_en or s.name) if ctx.lang == "en" else
                                (s.name or s.name_en) or sid, sid), sid, s.coverage_share)
                for sid, s in rep.by_segment.items()]
    pw_rows = [(pathway_name(p, ctx), p, s.coverage_share) for p, s in rep.by_pathway.items()]
    _bar_chart(fig.add_axes((0.76, 0.575, 0.21, 0.13)), seg_rows,
               ctx.label("brief.by_segment", year=year), ctx)
    _bar_chart(fig.add_axes((0.76, 0.42, 0.21, 0.09)), pw_rows,
               ctx.label("brief.by_pathway", year=year), ctx, color="#4d7f4d")


def _bar_chart(ax: Any, rows: Sequence[tuple[str, str, float | None]], title: str,
               ctx: PageContext, *, color: str = "#4a6fa5") -> None:
    """Horizontal bars of shares (0-1) in percent, each labelled with its value; rows are
    (label, id, share), a label too long for its place cut to end with its id."""
    ax.set_title(title, fontsize=9.5, loc="right", fontweight="bold")
    ax.set_xlim(0, 100)
    if not rows:
        ax.set_yticks([])
        ax.text(50, 0.5, ctx.label("brief.no_data"), ha="center", va="center", color="#777777")
        ax.set_ylim(0, 1)
        return
    room = 0.16 * PAGE_SIZE_IN[0] * 72
    labels = [fit_ref(lbl, ctx.fonts.safe(ref, "?"), room, 8) for lbl, ref, _ in rows]
    if any(shown != " ".join(lbl.split()) for shown, (lbl, _, _) in zip(labels, rows,
                                                                        strict=True)):
        ctx.cut_tables.add(title)
    values = [100.0 * v if isinstance(v, int | float) else 0.0 for _, _, v in rows]
    ypos = np.arange(len(rows))[::-1]
    ax.barh(ypos, values, color=color, height=0.6)
    ax.set_yticks(ypos, labels, fontsize=8)
    for y, v, (_, _, raw) in zip(ypos, values, rows, strict=True):
        ax.text(min(v, 100) + 1.5 if v < 80 else v - 1.5, y, percent(raw), va="center",
                ha="left" if v < 80 else "right", fontsize=7.5,
                color="black" if v < 80 else "white")
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
