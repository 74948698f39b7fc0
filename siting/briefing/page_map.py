"""Page 1 of the briefing: the plan on a static map, with its legend and the headline.

Roads, coverage areas, zones and stations are drawn in metres — in the run's output CRS when it
is a projected one (``--crs EPSG:4547``), else in the UTM zone of the data — so the scale bar is
true, with a north arrow, the CRS named in a corner and, for schematic road networks, the red
caveat. Stations carry the map's symbols (type colour, glyph, shape; existing ones hollow) and
their number in the station table; zone names are placed clear of the stations and of each
other (a zone whose name finds no free place is marked with a letter, named in the panel's
key). The side panel (:mod:`siting.briefing.map_panel`) ends above the page foot; what it
has no room for continues on the next page.
"""

from __future__ import annotations

from collections.abc import Callable
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
    ZONE_INK,
    centre_lonlat,
    line_segments,
    map_extent,
    north_angle_deg,
    north_arrow,
    polygon_patches,
    scale_bar,
    zone_letter,
    zone_marker,
)
from siting.briefing.context import PAGE_SIZE_IN, PageContext, draw_caveat, draw_symbol, new_page
from siting.briefing.map_panel import draw_panel
from siting.briefing.tables import flow_pages
from siting.briefing.text import text_width_pt
from siting.crs import layer_utm_crs, parse_crs
from siting.run_folder import RunData
from siting.symbology import ZONE_COLOR

__all__ = ["MAX_MAP_LABELS", "map_crs", "page_map"]

#: Stations are numbered on the map (and the number repeated in the table) up to this count.
MAX_MAP_LABELS: int = 60
#: Road drawing width (points) and grey by OSM class; other classes get the last entry.
_ROAD_STYLE: dict[str, tuple[float, str]] = {
    "motorway": (1.6, "#8a8a8a"), "trunk": (1.4, "#8a8a8a"), "primary": (1.1, "#9a9a9a"),
    "secondary": (0.9, "#a6a6a6"), "tertiary": (0.7, "#b0b0b0"), "other": (0.4, "#c4c4c4"),
}
#: The map's frame on the page (figure fractions).
_MAP_RECT = (0.03, 0.09, 0.64, 0.81)
_SYMBOL_PT = 11.0
#: Font size (pt) of the letters marking zones whose names have no room on the map.
_MARKER_PT = 7.5

_Limits = tuple[tuple[float, float], tuple[float, float]]
_Box = tuple[float, float, float, float]


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


def page_map(data: RunData, ctx: PageContext) -> list[Figure]:
    """The map page of a run (layers in EPSG:4326, drawn in :func:`map_crs`), then the page
    continuing its legend when the panel has no room for all of it (none usually)."""
    schematic = bool(data.report.network.schematic)
    heading = ctx.label("brief.page_map")
    fig = new_page(ctx, heading)
    zone_key: list[tuple[str, str]] = []
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
        zone_key = _draw_zone_names(ax, proj["zones"], limits, ctx, taken)
        _draw_furniture(ax, limits, crs, ctx)
    rest = draw_panel(fig, data, ctx, zone_key)
    draw_caveat(fig, ctx, schematic)
    return [fig, *flow_pages(ctx, heading, rest)[0]]


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
                   limits: _Limits) -> list[_Box]:
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
        for k, (x, y) in enumerate(zip(st.geometry.x, st.geometry.y, strict=True), start=1):
            _on_halo(ax.annotate, 2.0, 8, str(k), (x, y), xytext=(6, 4),
                     textcoords="offset points", fontsize=7, fontweight="bold")
            w = text_width_pt(str(k), 7) * k_pt
            taken.append((x + 6 * k_pt, y + 4 * k_pt, x + 6 * k_pt + w, y + 12 * k_pt))
    return taken


def _on_halo(draw: Callable[..., Any], halo: float, zorder: float, *args: Any,
             **kw: Any) -> None:
    """``draw(*args, **kw)`` (``ax.text``, ``ax.annotate``) on a white halo ``halo`` points
    wide: the halo is an outline drawn first, the text is drawn over it as text (drawn through
    a path effect, it would be outlines in the PDF, which no one can search or copy)."""
    draw(*args, zorder=zorder, path_effects=[patheffects.Stroke(linewidth=halo,
                                                                 foreground="white")], **kw)
    draw(*args, zorder=zorder + 0.01, **kw)


def _draw_zone_names(ax: Any, zones: gpd.GeoDataFrame | None, limits: _Limits,
                     ctx: PageContext, taken: list[_Box]) -> list[tuple[str, str]]:
    """Each zone's name at its top edge, moved down into the zone or up when it would cover
    a station, a number or another name; larger zones are placed first. A zone whose name
    finds no free place is marked with a letter instead (placed likewise; where it covers
    something when nothing is free): returns (letter, zone id) of those, in the layer's
    order, for the panel's key — so every zone is named on the page."""
    if zones is None:
        return []
    k_pt = _m_per_pt(ax, limits)
    fs = 8.0
    ids = (zones["zone_id"].astype(str) if "zone_id" in zones.columns
           else pd.Series("", index=zones.index))
    order = np.argsort(-zones.geometry.area.to_numpy(), kind="stable")
    boxes = list(taken)
    h = fs * 1.3 * k_pt
    unplaced = []
    for i in order:
        name = ctx.zone(ids.iloc[i])
        w = text_width_pt(name, fs, bold=True) * k_pt
        box = _free_box(zones.geometry.iloc[i].bounds, w, h, limits, boxes)
        if box is None:
            unplaced.append(i)
            continue
        _on_halo(ax.text, 2.5, 4, (box[0] + box[2]) / 2, box[1], name, fontsize=fs,
                 color=ZONE_INK, ha="center", va="bottom", fontweight="bold")
        boxes.append(box)
    key = []
    for k, i in enumerate(sorted(unplaced)):
        letter = zone_letter(k)
        size = (text_width_pt(letter, _MARKER_PT, bold=True) + 0.9 * _MARKER_PT) * k_pt
        bounds = zones.geometry.iloc[i].bounds
        box = _free_box(bounds, size, size, limits, boxes) or _free_box(
            bounds, size, size, limits, [])
        x, y = ((box[0] + box[2]) / 2, box[1] + size / 2) if box else (
            (bounds[0] + bounds[2]) / 2, bounds[3])
        zone_marker(ax, x, y, letter, fontsize=_MARKER_PT)
        boxes.append((x - size / 2, y - size / 2, x + size / 2, y + size / 2))
        key.append((letter, str(ids.iloc[i])))
    return key


def _free_box(bounds: tuple[float, ...], w: float, h: float, limits: _Limits,
              boxes: list[_Box]) -> _Box | None:
    """A ``w`` × ``h`` box (metres) centred on a zone's top edge, or a little below or above,
    inside the map and clear of ``boxes``; None when there is none."""
    (mx0, mx1), (my0, my1) = limits
    x0, _, x1, top = bounds
    x = min(max((x0 + x1) / 2, mx0 + w / 2), mx1 - w / 2)
    for y in (top, top - 1.2 * h, top + 1.0 * h, top - 2.4 * h, top - 3.6 * h, top + 2.2 * h):
        box = (x - w / 2, y, x + w / 2, y + h)
        inside = mx0 <= box[0] and box[2] <= mx1 and my0 <= y and box[3] <= my1
        if inside and not any(_overlap(box, b) for b in boxes):
            return box
    return None


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
