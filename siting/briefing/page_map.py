"""Page 1 of the briefing: the plan on a static map, with its legend and the key facts.

Roads, coverage areas, zones and stations are drawn in the UTM zone of the data (metres, so the
scale bar is true), with a north arrow, the CRS named in a corner and, for schematic road
networks, the red caveat.
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
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from siting._format import money, percent
from siting.briefing.cartography import (
    centre_lonlat,
    line_segments,
    map_extent,
    north_angle_deg,
    north_arrow,
    polygon_patches,
    scale_bar,
)
from siting.briefing.context import PageContext, draw_caveat, new_page
from siting.crs import layer_utm_crs
from siting.run_folder import RunData

__all__ = ["MAX_MAP_LABELS", "page_map"]

#: Stations are numbered on the map (and the number repeated in the table) up to this count.
MAX_MAP_LABELS: int = 60
#: Road drawing width (points) and grey by OSM class; other classes get the last entry.
_ROAD_STYLE: dict[str, tuple[float, str]] = {
    "motorway": (1.6, "#8a8a8a"), "trunk": (1.4, "#8a8a8a"), "primary": (1.1, "#9a9a9a"),
    "secondary": (0.9, "#a6a6a6"), "tertiary": (0.7, "#b0b0b0"), "other": (0.4, "#c4c4c4"),
}

_Limits = tuple[tuple[float, float], tuple[float, float]]
_Handles = list[tuple[Any, str]]


def page_map(data: RunData, ctx: PageContext) -> Figure:
    """The map page of a run (layers in EPSG:4326, drawn in their UTM zone)."""
    schematic = bool((data.report.get("network") or {}).get("schematic", False))
    fig = new_page(ctx, ctx.label("brief.page_map"))
    ax = fig.add_axes((0.03, 0.09, 0.66, 0.81))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#777777")

    layers = [g for g in (data.stations, data.coverage_areas, data.zones, data.roads)
              if g is not None and len(g)]
    handles: _Handles = []
    if not layers:
        ax.text(0.5, 0.5, ctx.label("brief.no_features"), ha="center", va="center",
                transform=ax.transAxes, fontsize=12, color="#777777")
    else:
        crs = CRS.from_user_input(layer_utm_crs(layers[0]))
        proj = {k: (g.to_crs(crs) if g is not None and len(g) else None)
                for k, g in (("stations", data.stations), ("coverage", data.coverage_areas),
                             ("zones", data.zones), ("roads", data.roads))}
        limits = map_extent(proj, ax)
        _draw_roads(ax, proj["roads"], limits, ctx, handles)
        _draw_coverage(ax, proj["coverage"], ctx, handles)
        _draw_zones(ax, proj["zones"], limits, ctx, handles)
        _draw_stations(ax, proj["stations"], ctx, handles)
        _draw_furniture(ax, limits, crs, ctx)
    _map_side_panel(fig, data, ctx, handles)
    draw_caveat(fig, ctx, schematic)
    return fig


def _draw_roads(ax: Any, roads: gpd.GeoDataFrame | None, limits: _Limits, ctx: PageContext,
                handles: _Handles) -> None:
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
    handles.append((Line2D([], [], color="#9a9a9a", linewidth=1.1), ctx.label("layer.roads")))


def _draw_coverage(ax: Any, cov: gpd.GeoDataFrame | None, ctx: PageContext,
                   handles: _Handles) -> None:
    """Coverage areas merged per station type, tinted with the type's colour."""
    if cov is None:
        return
    types = (cov["station_type"].astype(str) if "station_type" in cov.columns
             else pd.Series("", index=cov.index))
    for tid, grp in cov.groupby(types):
        merged = shapely.union_all(shapely.make_valid(grp.geometry.to_numpy()))
        color = ctx.styles[tid].color if tid in ctx.styles else "#7f7f7f"
        ax.add_collection(PatchCollection(polygon_patches([merged]), facecolor=color,
                                          edgecolor=color, alpha=0.13, linewidth=0.4, zorder=2))
    handles.append((Patch(facecolor="#7f7f7f", alpha=0.25, edgecolor="#7f7f7f"),
                    ctx.label("layer.coverage")))


def _draw_zones(ax: Any, zones: gpd.GeoDataFrame | None, limits: _Limits, ctx: PageContext,
                handles: _Handles) -> None:
    """Zone boundaries dashed, each zone's name on its top edge (clear of its stations)."""
    if zones is None:
        return
    xlim, ylim = limits
    ax.add_collection(LineCollection(line_segments(zones.geometry.boundary), colors="#6a3d9a",
                                     linewidths=1.2, linestyles="--", zorder=3))
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    ids = (zones["zone_id"].astype(str) if "zone_id" in zones.columns
           else pd.Series("", index=zones.index))
    for zid, geom in zip(ids, zones.geometry):
        x0, _, x1, top = geom.bounds
        x = (x0 + x1) / 2
        if xlim[0] <= x <= xlim[1] and ylim[0] <= top <= ylim[1]:
            ax.text(x, top, ctx.zone(zid), fontsize=8, color="#4a2370", ha="center",
                    va="bottom", zorder=4, path_effects=halo)
    handles.append((Line2D([], [], color="#6a3d9a", linewidth=1.2, linestyle="--"),
                    ctx.label("layer.zones")))


def _draw_stations(ax: Any, st: gpd.GeoDataFrame | None, ctx: PageContext,
                   handles: _Handles) -> None:
    """Stations by type (existing ones outlined), numbered when there are few enough."""
    if st is None:
        return
    for tid, style in ctx.styles.items():
        sel = st[st["station_type"] == tid]
        if not len(sel):
            continue
        new, old = sel[~sel["existing"]], sel[sel["existing"]]
        ax.scatter(new.geometry.x, new.geometry.y, s=46, marker=style.marker,
                   color=style.color, edgecolors="black", linewidths=0.5, zorder=6)
        ax.scatter(old.geometry.x, old.geometry.y, s=46, marker=style.marker,
                   facecolors="white", edgecolors=style.color, linewidths=1.6, zorder=6)
        handles.append((Line2D([], [], linestyle="", marker=style.marker, markersize=7,
                               markerfacecolor=style.color, markeredgecolor="black",
                               markeredgewidth=0.5), f"{style.label} ({len(sel)})"))
    if st["existing"].any():
        handles.append((Line2D([], [], linestyle="", marker="o", markersize=7,
                               markerfacecolor="white", markeredgecolor="#555555",
                               markeredgewidth=1.6), ctx.label("brief.legend_existing")))
    if len(st) <= MAX_MAP_LABELS:
        halo = [patheffects.withStroke(linewidth=2, foreground="white")]
        for k, (x, y) in enumerate(zip(st.geometry.x, st.geometry.y), start=1):
            ax.annotate(str(k), (x, y), xytext=(4, 3), textcoords="offset points",
                        fontsize=6.5, zorder=7, path_effects=halo)


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
    ax.text(0.995, 0.005, ctx.label("brief.crs_note", crs=f"{crs.name} (EPSG:{epsg})"),
            transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5, color="#555555",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1})


def _map_side_panel(fig: Figure, data: RunData, ctx: PageContext, handles: _Handles) -> None:
    """The legend and the key facts (budget, spent, coverage, stations) right of the map."""
    rep = data.report
    x = 0.72
    if handles:
        fig.legend([h for h, _ in handles], [lbl for _, lbl in handles], loc="upper left",
                   bbox_to_anchor=(x - 0.008, 0.9), fontsize=8.5, frameon=False,
                   borderaxespad=0.0, handlelength=1.8)
    n_new = int((~data.stations["existing"]).sum())
    n_old = int(data.stations["existing"].sum())
    facts = [
        (ctx.label("brief.budget"), money(rep.get("budget"), ctx.lang)),
        (ctx.label("brief.spent"), money(rep.get("spent"), ctx.lang)),
        (ctx.label("brief.coverage"), percent(rep.get("coverage_share"))),
        (ctx.label("brief.stations"), ctx.label("brief.stations_value", new=n_new, existing=n_old)),
    ]
    y = 0.42
    for key, value in facts:
        fig.text(x, y, key, fontsize=9, color="#555555", va="top")
        fig.text(x, y - 0.028, value, fontsize=12.5, fontweight="bold", va="top")
        y -= 0.07
