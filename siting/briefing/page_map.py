"""Page 1 of the briefing: the plan on a static map, with its legend and the headline.

Roads, coverage areas, zones and stations are drawn in metres — in the run's output CRS when it
is a projected one (``--crs EPSG:4547``), else in the UTM zone of the data — so the scale bar is
true, with a north arrow, the CRS named in a corner and, for schematic road networks, the red
caveat. Stations carry the map's symbols (type colour, glyph, shape; existing ones hollow) and
their number in the station table; zone names are placed clear of the stations and of each
other (a name that finds no free place is left to the station table).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from pyproj import CRS

from siting.briefing.cartography import (
    centre_lonlat,
    line_segments,
    map_extent,
    north_angle_deg,
    north_arrow,
    polygon_patches,
    scale_bar,
)
from siting.briefing.context import PAGE_SIZE_IN, PageContext, draw_caveat, draw_symbol, new_page
from siting.briefing.text import text_width_pt, wrap_width
from siting.crs import layer_utm_crs, parse_crs
from siting.report_text import corridor_text, headline_text, money_text
from siting.run_folder import RunData
from siting.symbology import ROAD_COLOR, ZONE_COLOR

__all__ = ["MAX_MAP_LABELS", "map_crs", "page_map"]

#: Stations are numbered on the map (and the number repeated in the table) up to this count.
MAX_MAP_LABELS: int = 60
#: Road drawing width (points) and grey by OSM class; other classes get the last entry.
_ROAD_STYLE: dict[str, tuple[float, str]] = {
    "motorway": (1.6, "#8a8a8a"), "trunk": (1.4, "#8a8a8a"), "primary": (1.1, "#9a9a9a"),
    "secondary": (0.9, "#a6a6a6"), "tertiary": (0.7, "#b0b0b0"), "other": (0.4, "#c4c4c4"),
}
#: The map's frame on the page (figure fractions) and the side panel's left edge.
_MAP_RECT = (0.03, 0.09, 0.64, 0.81)
_PANEL_X = 0.695
_SYMBOL_PT = 11.0
#: Lines a station type's legend entry may take (its name cut with "…", then the count).
_LEGEND_LINES = 3

_Limits = tuple[tuple[float, float], tuple[float, float]]


def map_crs(data: RunData, layers: list[gpd.GeoDataFrame]) -> CRS:
    """The CRS the map is drawn in: the run's output CRS when projected (metres), else the
    UTM zone of the data."""
    out = data.report.output_crs
    if out:
        try:
            crs = CRS.from_user_input(parse_crs(out))
        except Exception:  # GCJ-02/BD-09 and other non-EPSG conventions: draw in UTM
            crs = None
        if crs is not None and crs.is_projected:
            return crs
    return CRS.from_user_input(layer_utm_crs(layers[0]))


def page_map(data: RunData, ctx: PageContext) -> Figure:
    """The map page of a run (layers in EPSG:4326, drawn in :func:`map_crs`)."""
    schematic = bool(data.report.network.schematic)
    fig = new_page(ctx, ctx.label("brief.page_map"))
    ax = fig.add_axes(_MAP_RECT)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#777777")
    layers = [g for g in (data.stations, data.coverage_areas, data.zones, data.roads)
              if g is not None and len(g)]
    if not layers:
        ax.text(0.5, 0.5, ctx.label("brief.no_features"), ha="center", va="center",
                transform=ax.transAxes, fontsize=12, color="#777777")
    else:
        crs = map_crs(data, layers)
        proj = {k: (g.to_crs(crs) if g is not None and len(g) else None)
                for k, g in (("stations", data.stations), ("coverage", data.coverage_areas),
                             ("zones", data.zones), ("roads", data.roads))}
        limits = map_extent(proj, ax)
        _draw_roads(ax, proj["roads"], limits)
        _draw_coverage(ax, proj["coverage"], ctx)
        _draw_zone_lines(ax, proj["zones"])
        taken = _draw_stations(ax, proj["stations"], ctx, limits)
        _draw_zone_names(ax, proj["zones"], limits, ctx, taken)
        _draw_furniture(ax, limits, crs, ctx)
    y = _legend(fig, data, ctx)
    _facts(fig, ctx, y)
    draw_caveat(fig, ctx, schematic)
    return fig


def _draw_roads(ax: Any, roads: gpd.GeoDataFrame | None, limits: _Limits) -> None:
    """Roads clipped to the map (plus a margin), width and grey by road class."""
    if roads is None:
        return
    xlim, ylim = limits
    pad = 0.05 * (xlim[1] - xlim[0])
    clipped = roads.geometry.clip_by_rect(xlim[0] - pad, ylim[0] - pad, xlim[1] + pad,
                                          ylim[1] + pad)
    cls = (roads["road_class"].fillna("").astype(str).to_numpy()
           if "road_class" in roads.columns else np.full(len(roads), "other"))
    keep = ~clipped.is_empty.to_numpy()
    named = [c for k in _ROAD_STYLE if k != "other" for c in (k, f"{k}_link")]
    for klass, (width, color) in _ROAD_STYLE.items():
        if klass == "other":
            sel = keep & ~np.isin(cls, named)
        else:
            sel = keep & np.isin(cls, [klass, f"{klass}_link"])
        if sel.any():
            ax.add_collection(LineCollection(line_segments(clipped[sel]), colors=color,
                                             linewidths=width, zorder=1, capstyle="round"))


def _draw_coverage(ax: Any, cov: gpd.GeoDataFrame | None, ctx: PageContext) -> None:
    """Coverage areas merged per station type, tinted with the type's colour."""
    if cov is None:
        return
    types = (cov["station_type"].astype(str) if "station_type" in cov.columns
             else pd.Series("", index=cov.index))
    for tid, grp in cov.groupby(types):
        merged = shapely.union_all(shapely.make_valid(grp.geometry.to_numpy()))
        color = ctx.styles[tid].color if tid in ctx.styles else "#7f7f7f"
        ax.add_collection(PatchCollection(polygon_patches([merged]), facecolor=color,
                                          edgecolor=color, alpha=0.12, linewidth=0.4, zorder=2))


def _draw_zone_lines(ax: Any, zones: gpd.GeoDataFrame | None) -> None:
    if zones is None:
        return
    ax.add_collection(LineCollection(line_segments(zones.geometry.boundary), colors=ZONE_COLOR,
                                     linewidths=1.2, linestyles="--", zorder=3))


def _m_per_pt(ax: Any, limits: _Limits) -> float:
    """Map metres per typographic point on the page (equal aspect)."""
    xlim, _ = limits
    width_pt = _MAP_RECT[2] * PAGE_SIZE_IN[0] * 72.0
    return (xlim[1] - xlim[0]) / width_pt


def _draw_stations(ax: Any, st: gpd.GeoDataFrame | None, ctx: PageContext,
                   limits: _Limits) -> list[tuple[float, float, float, float]]:
    """Stations with their type symbols (existing ones hollow), numbered when few enough;
    returns the boxes (x0, y0, x1, y1, metres) the symbols and numbers take."""
    if st is None:
        return []
    k_pt = _m_per_pt(ax, limits)
    taken = []
    for tid, sym in ctx.styles.items():
        sel = st[st["station_type"] == tid]
        for existing in (False, True):
            part = sel[sel["existing"] == existing]
            if len(part):
                draw_symbol(ax, part.geometry.x.to_numpy(), part.geometry.y.to_numpy(), sym,
                            existing=existing, size=_SYMBOL_PT)
    half = 0.7 * _SYMBOL_PT * k_pt
    for x, y in zip(st.geometry.x, st.geometry.y, strict=True):
        taken.append((x - half, y - half, x + half, y + half))
    if len(st) <= MAX_MAP_LABELS:
        halo = [patheffects.withStroke(linewidth=2, foreground="white")]
        for k, (x, y) in enumerate(zip(st.geometry.x, st.geometry.y, strict=True), start=1):
            ax.annotate(str(k), (x, y), xytext=(6, 4), textcoords="offset points",
                        fontsize=7, zorder=8, path_effects=halo, fontweight="bold")
            w = text_width_pt(str(k), 7) * k_pt
            taken.append((x + 6 * k_pt, y + 4 * k_pt, x + 6 * k_pt + w, y + 12 * k_pt))
    return taken


def _draw_zone_names(ax: Any, zones: gpd.GeoDataFrame | None, limits: _Limits,
                     ctx: PageContext, taken: list[tuple[float, float, float, float]]) -> None:
    """Each zone's name at its top edge, moved down into the zone or up when it would cover
    a station, a number or another name; larger zones are placed first."""
    if zones is None:
        return
    xlim, ylim = limits
    k_pt = _m_per_pt(ax, limits)
    fs = 8.0
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    ids = (zones["zone_id"].astype(str) if "zone_id" in zones.columns
           else pd.Series("", index=zones.index))
    order = np.argsort(-zones.geometry.area.to_numpy(), kind="stable")
    boxes = list(taken)
    h = fs * 1.3 * k_pt
    for i in order:
        zid, geom = ids.iloc[i], zones.geometry.iloc[i]
        name = ctx.zone(zid)
        w = text_width_pt(name, fs, bold=True) * k_pt
        x0, _, x1, top = geom.bounds
        x = min(max((x0 + x1) / 2, xlim[0] + w / 2), xlim[1] - w / 2)
        for y in (top, top - 1.2 * h, top + 1.0 * h, top - 2.4 * h, top - 3.6 * h,
                  top + 2.2 * h):
            box = (x - w / 2, y, x + w / 2, y + h)
            inside = xlim[0] <= box[0] and box[2] <= xlim[1] and ylim[0] <= y and box[3] <= ylim[1]
            if inside and not any(_overlap(box, b) for b in boxes):
                ax.text(x, y, name, fontsize=fs, color="#4a2370", ha="center", va="bottom",
                        zorder=4, path_effects=halo, fontweight="bold")
                boxes.append(box)
                break


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _draw_furniture(ax: Any, limits: _Limits, crs: CRS, ctx: PageContext) -> None:
    """Fix the limits (equal aspect), then the scale bar, north arrow and CRS note."""
    xlim, ylim = limits
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    scale_bar(ax, xlim, ylim)
    lon, lat = centre_lonlat(xlim, ylim, crs)
    north_arrow(ax, xlim, ylim, north_angle_deg(crs, lon, lat), ctx.label("brief.north"))
    epsg = crs.to_epsg()
    name = f"{crs.name} (EPSG:{epsg})" if epsg else crs.name
    out = ctx.report.output_crs
    note = ctx.label("brief.crs_note", crs=name)
    if out and out not in (f"EPSG:{epsg}",) and out != "EPSG:4326":
        note += ctx.label("brief.crs_export", crs=out)
    ax.text(0.995, 0.005, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5,
            color="#555555", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75,
                                   "pad": 1})


def _legend(fig: Figure, data: RunData, ctx: PageContext) -> float:
    """The legend right of the map: station types (their symbols, count in the plan), new and
    existing, coverage areas, zones, roads. Returns the bottom edge."""
    x = _PANEL_X
    y = 0.885
    fig.text(x, y, ctx.label("map.legend"), fontsize=10.5, fontweight="bold", va="top")
    y -= 0.035
    counts = data.stations["station_type"].value_counts().to_dict() if len(data.stations) else {}
    ax = fig.add_axes((0, 0, 1, 1), facecolor="none")
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    step = 0.03
    width_pt = (0.97 - x - 0.03) * PAGE_SIZE_IN[0] * 72
    for tid, sym in ctx.styles.items():
        draw_symbol(ax, x + 0.01, y - 0.008, sym, size=_SYMBOL_PT)
        count = f"({counts.get(tid, 0)})"
        lines = wrap_width(f"{sym.label} {count}", width_pt, 8.5)
        if len(lines) > _LEGEND_LINES:  # a very long type name: cut, the count kept
            lines = [*wrap_width(sym.label, width_pt, 8.5, max_lines=_LEGEND_LINES - 1), count]
        fig.text(x + 0.028, y, "\n".join(lines), fontsize=8.5, va="top", linespacing=1.15)
        y -= step + 0.017 * (len(lines) - 1)
    first = next(iter(ctx.styles.values()), None)
    if first is not None:
        draw_symbol(ax, x + 0.01, y - 0.008, first, size=_SYMBOL_PT)
        draw_symbol(ax, x + 0.03, y - 0.008, first, existing=True, size=_SYMBOL_PT)
        fig.text(x + 0.048, y, ctx.label("brief.legend_new_existing"), fontsize=8.5, va="top")
        y -= step
    for kind, label in (("coverage", "layer.coverage"), ("zones", "layer.zones"),
                        ("roads", "layer.roads")):
        layer = {"coverage": data.coverage_areas, "zones": data.zones,
                 "roads": data.roads}[kind]
        if layer is None or not len(layer):
            continue
        if kind == "coverage":
            ax.add_patch(_rect(x + 0.002, y - 0.016, 0.018, 0.013, "#7f7f7f", 0.25, "-"))
        elif kind == "zones":
            ax.add_patch(_rect(x + 0.002, y - 0.016, 0.018, 0.013, "none", 1.0, "--",
                               edge=ZONE_COLOR))
        else:
            ax.plot([x + 0.002, x + 0.02], [y - 0.009, y - 0.009], color=ROAD_COLOR,
                    linewidth=1.1)
        fig.text(x + 0.028, y, ctx.label(label), fontsize=8.5, va="top")
        y -= step
    return y


def _rect(x: float, y: float, w: float, h: float, face: str, alpha: float, style: str, *,
          edge: str | None = None) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=face, alpha=alpha, linestyle=style,
                     edgecolor=edge or face, linewidth=1.0)


def _facts(fig: Figure, ctx: PageContext, top: float) -> None:
    """The headline (final planning year), the money and the corridor trucks under the
    legend, wrapped to the panel."""
    rep = ctx.report
    x = _PANEL_X
    width_pt = (0.97 - x) * PAGE_SIZE_IN[0] * 72
    y = min(top - 0.02, 0.5)
    blocks = [(headline_text(rep, ctx.lang), 11.5, True), (money_text(rep, ctx.lang), 9.5, False)]
    corr = corridor_text(rep, ctx.lang)
    if corr:
        blocks.append((corr, 8.5, False))
    status = ctx.label("brief.solver_short_optimal") if rep.solver.status == "optimal" else \
        ctx.label("brief.solver_short_stopped", gap=_gap(rep))
    blocks.append((status, 8.5, False))
    for text, size, bold in blocks:
        lines = wrap_width(ctx.fonts.safe(text), width_pt, size, bold=bold)
        fig.text(x, y, "\n".join(lines), fontsize=size, va="top", linespacing=1.25,
                 fontweight="bold" if bold else "normal",
                 color="#111111" if bold else "#333333")
        y -= (len(lines) * size * 1.25 + 6) / 72 / PAGE_SIZE_IN[1]


def _gap(rep: Any) -> str:
    from siting._format import percent

    return percent(rep.solver.gap, 1)
