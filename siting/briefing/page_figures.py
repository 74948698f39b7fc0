"""Page 2 of the briefing: the key figures.

Five tiles (budget, spent, coverage, stations, solver), coverage by fleet segment and by
technology pathway as bar charts, and stations by zone and by year as tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from siting._format import MISSING, as_float, money, number, percent
from siting.briefing.context import (
    PageContext,
    new_page,
    pathway_name,
    solver_name,
    status_text,
)
from siting.briefing.tables import table_axes
from siting.briefing.text import fit
from siting.run_folder import RunData

__all__ = ["page_figures"]


def page_figures(data: RunData, ctx: PageContext) -> Figure:
    """The key-figures page of a run."""
    rep = data.report
    fig = new_page(ctx, ctx.label("brief.page_figures"))
    _tiles(fig, data, ctx)
    _coverage_charts(fig, rep, ctx)
    _zone_table(fig, rep, ctx)
    _year_table(fig, rep, ctx)
    return fig


def _tiles(fig: Figure, data: RunData, ctx: PageContext) -> None:
    """The row of five figure tiles at the top of the page."""
    rep = data.report
    budget, spent = as_float(rep.get("budget")), as_float(rep.get("spent"))
    share = spent / budget if budget and spent is not None else None
    total = as_float(rep.get("demand_weight_total"))
    cover = as_float(rep.get("coverage_share"))
    # covered weight = share x total (the objective may also hold corridor flows/tie-breaks)
    covered = cover * total if cover is not None and total is not None else None
    n_new = int((~data.stations["existing"]).sum())
    n_old = int(data.stations["existing"].sum())
    solver = rep.get("solver") or {}
    tiles = [
        (ctx.label("brief.budget"), money(budget, ctx.lang), ""),
        (ctx.label("brief.spent"), money(spent, ctx.lang),
         ctx.label("brief.spent_share", share=percent(share)) if share is not None else ""),
        (ctx.label("brief.coverage"), percent(cover),
         ctx.label("brief.covered_weight", value=number(covered, 1), total=number(total, 1),
                   unit=ctx.weight_unit) if covered is not None else ""),
        (ctx.label("brief.stations"), f"{n_new + n_old}",
         ctx.label("brief.stations_value", new=n_new, existing=n_old)),
        (ctx.label("brief.solver"), status_text(solver.get("status"), ctx, short=True),
         f"{solver_name(solver.get('name'))}, gap {percent(solver.get('gap'), 2)}, "
         f"{number(solver.get('seconds'), 1, unit='s')}"),
    ]
    for k, (key, value, sub) in enumerate(tiles):
        x = 0.03 + k * 0.19
        fig.add_artist(Rectangle((x, 0.76), 0.175, 0.125, facecolor="#f3f5f8",
                                 edgecolor="#d0d5dd", linewidth=0.6,
                                 transform=fig.transFigure))
        fig.text(x + 0.01, 0.868, key, fontsize=9, color="#555555", va="top")
        fig.text(x + 0.01, 0.835, value, fontsize=16, fontweight="bold", va="top")
        fig.text(x + 0.01, 0.782, fit(sub, 38), fontsize=7.5, color="#555555", va="center")


def _coverage_charts(fig: Figure, rep: dict[str, Any], ctx: PageContext) -> None:
    """Coverage by fleet segment (left) and by technology pathway (right)."""
    seg = rep.get("by_segment") or {}
    seg_rows = [(_segment_name(sid, info, ctx), info.get("coverage_share"))
                for sid, info in seg.items()]
    pw = rep.get("by_pathway") or {}
    pw_rows = [(pathway_name(p, ctx), info.get("coverage_share")) for p, info in pw.items()]
    _bar_chart(fig.add_axes((0.14, 0.47, 0.32, 0.23)), seg_rows, ctx.label("brief.by_segment"),
               ctx)
    _bar_chart(fig.add_axes((0.62, 0.47, 0.34, 0.23)), pw_rows, ctx.label("brief.by_pathway"),
               ctx, color="#2ca02c")


def _zone_table(fig: Figure, rep: dict[str, Any], ctx: PageContext) -> None:
    """Stations by zone: count, types and capex (万元 / M CNY), zones in the layer's order."""
    types = list(ctx.styles)
    rows = []
    for zid, info in sorted((rep.get("by_zone") or {}).items(), key=_zone_order(ctx)):
        counts = info.get("by_type") or {}
        detail = ", ".join(f"{ctx.styles[t].label if t in ctx.styles else t} {n}"
                           for t, n in sorted(counts.items(), key=lambda kv: (
                               types.index(kv[0]) if kv[0] in types else len(types), kv[0])))
        rows.append([ctx.zone(str(zid)), str(info.get("count", MISSING)),
                     ctx.fonts.safe(detail), money(info.get("capex"), ctx.lang, unit=False)])
    table_axes(fig, (0.03, 0.06, 0.45, 0.27), ctx.label("brief.by_zone"),
               [ctx.label("field.zone"), ctx.label("brief.col_count"), ctx.label("field.type"),
                ctx.label("brief.col_capex")], rows, [0.28, 0.12, 0.42, 0.18],
               ["left", "right", "left", "right"], ctx)


def _year_table(fig: Figure, rep: dict[str, Any], ctx: PageContext) -> None:
    """By planning year: new stations, spent, budget and coverage (never summed over years)."""
    rows = [[str(y), str(info.get("new_stations", MISSING)),
             money(info.get("spent"), ctx.lang, unit=False),
             money(info.get("budget"), ctx.lang, unit=False),
             percent(info.get("coverage_share"))]
            for y, info in (rep.get("by_year") or {}).items()]
    table_axes(fig, (0.52, 0.06, 0.45, 0.27), ctx.label("brief.by_year"),
               [ctx.label("field.year"), ctx.label("brief.col_new"), ctx.label("brief.col_spent"),
                ctx.label("brief.col_budget"), ctx.label("brief.col_coverage")], rows,
               [0.14, 0.2, 0.22, 0.22, 0.22], ["left", "right", "right", "right", "right"], ctx)


def _zone_order(ctx: PageContext) -> Callable[[tuple[str, Any]], tuple[int, int, str]]:
    """Sort key for by_zone items: zones in the zones layer's order, then others, outside last."""
    order = {z: k for k, z in enumerate(ctx.zone_names)}

    def key(item: tuple[str, Any]) -> tuple[int, int, str]:
        zid = str(item[0])
        if not zid or zid == "(outside zones)":
            return (2, 0, zid)
        return (0, order[zid], zid) if zid in order else (1, 0, zid)

    return key


def _segment_name(sid: str, info: dict[str, Any], ctx: PageContext) -> str:
    name = info.get("name_en") if ctx.lang == "en" and info.get("name_en") else info.get("name")
    return ctx.fonts.safe(str(name or sid), sid)


def _bar_chart(ax: Any, rows: list[tuple[str, float | None]], title: str, ctx: PageContext, *,
               color: str = "#1f77b4") -> None:
    """Horizontal bars of shares (0-1) in percent, each labelled with its value."""
    ax.set_title(title, fontsize=10.5, loc="left")
    ax.set_xlim(0, 100)
    if not rows:
        ax.set_yticks([])
        ax.text(50, 0.5, ctx.label("brief.no_data"), ha="center", va="center", color="#777777")
        ax.set_ylim(0, 1)
        return
    labels = [fit(lbl, 22) for lbl, _ in rows]
    values = [100.0 * v if isinstance(v, int | float) else 0.0 for _, v in rows]
    ypos = np.arange(len(rows))[::-1]
    ax.barh(ypos, values, color=color, height=0.6)
    ax.set_yticks(ypos, labels, fontsize=8.5)
    for y, v, (_, raw) in zip(ypos, values, rows):
        ax.text(min(v, 100) + 1.5 if v < 85 else v - 1.5, y, percent(raw), va="center",
                ha="left" if v < 85 else "right", fontsize=8,
                color="black" if v < 85 else "white")
    ax.set_xlabel(ctx.label("brief.share_axis"), fontsize=8.5)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
