"""Map furniture for the briefing's static map: projection, extent, scale bar, north arrow.

The map is drawn in metres, in the UTM zone of the data (:func:`siting.crs.layer_utm_crs`); the
scale bar is a round length (:func:`nice_scale_length`) and the north arrow points to true north,
which leans from grid north away from the zone's central meridian (:func:`north_angle_deg`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import CRS, Transformer

__all__ = [
    "centre_lonlat", "line_segments", "map_extent", "nice_scale_length", "north_angle_deg",
    "north_arrow", "polygon_patches", "scale_bar", "zone_letter", "zone_marker",
]

#: Colour of zone names and of the letters marking zones on the map.
ZONE_INK = "#4a2370"


def nice_scale_length(max_length_m: float) -> float:
    """The longest 1, 2 or 5 × 10^k metres that does not exceed ``max_length_m``.

    Parameters
    ----------
    max_length_m
        Upper bound of the scale bar, metres (> 0).

    Returns
    -------
    float
        A round length in metres.
    """
    if not max_length_m > 0:
        msg = f"scale bar bound must be positive metres, got {max_length_m}"
        raise ValueError(msg)
    base = 10.0 ** math.floor(math.log10(max_length_m))
    for m in (5.0, 2.0, 1.0):
        if m * base <= max_length_m * (1 + 1e-12):
            return m * base
    return base  # pragma: no cover - 1 × base always fits


def north_angle_deg(crs: str | CRS, lon: float, lat: float) -> float:
    """Direction of true north in a projected CRS, degrees clockwise from the grid's +y axis.

    Parameters
    ----------
    crs
        A projected CRS (e.g. ``"EPSG:32649"``).
    lon, lat
        The place, WGS84 degrees.

    Returns
    -------
    float
        Negative when true north leans west of grid north (east of a UTM zone's meridian in
        the northern hemisphere).
    """
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0 = tr.transform(lon, lat)
    x1, y1 = tr.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def polygon_patches(geoms: Iterable[shapely.Geometry]) -> list[PathPatch]:
    """Matplotlib patches for (multi)polygons, holes kept (exteriors CCW, holes CW)."""
    patches = []
    for geom in geoms:
        for poly in shapely.get_parts(shapely.orient_polygons(geom)):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords)
                                                          for r in poly.interiors]
            verts = np.concatenate(rings)
            codes = np.concatenate([
                [MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2) + [MplPath.CLOSEPOLY]
                for r in rings])
            patches.append(PathPatch(MplPath(verts, codes)))
    return patches


def line_segments(geoms: Iterable[shapely.Geometry]) -> list[np.ndarray]:
    """Coordinate arrays (n, 2) of every part of (multi)line geometries, for a LineCollection."""
    parts = shapely.get_parts(np.asarray(list(geoms), dtype=object))
    return [np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty]


def map_extent(proj: dict[str, gpd.GeoDataFrame | None],
               ax: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """Map limits (metres) around stations, coverage and zones, matching the axes' shape."""
    focus = [g for k in ("stations", "coverage", "zones") if (g := proj[k]) is not None]
    if not focus and (roads := proj["roads"]) is not None:
        focus = [roads]
    b = np.array([g.total_bounds for g in focus])
    x0, y0 = b[:, 0].min(), b[:, 1].min()
    x1, y1 = b[:, 2].max(), b[:, 3].max()
    w = max(x1 - x0, 2000.0) * 1.1
    h = max(y1 - y0, 2000.0) * 1.1
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    fig_w, fig_h = ax.figure.get_size_inches()
    pos = ax.get_position()
    box = (pos.width * fig_w) / (pos.height * fig_h)
    if w / h < box:
        w = h * box
    else:
        h = w / box
    return (cx - w / 2, cx + w / 2), (cy - h / 2, cy + h / 2)


def centre_lonlat(xlim: tuple[float, float], ylim: tuple[float, float],
                  crs: CRS) -> tuple[float, float]:
    """WGS84 (lon, lat) of the centre of map limits given in ``crs``."""
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return tr.transform((xlim[0] + xlim[1]) / 2, (ylim[0] + ylim[1]) / 2)


def scale_bar(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float]) -> float:
    """Draw a two-part scale bar in the lower left; return its length in metres."""
    w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
    length = nice_scale_length(0.25 * w)
    x0, y0, bh = xlim[0] + 0.04 * w, ylim[0] + 0.05 * h, 0.012 * h
    ax.add_patch(Rectangle((x0 - 0.015 * w, y0 - 0.035 * h), length + 0.05 * w, 0.085 * h,
                           facecolor="white", edgecolor="none", alpha=0.8, zorder=8))
    ax.add_patch(Rectangle((x0, y0), length / 2, bh, facecolor="black", edgecolor="black",
                           linewidth=0.6, zorder=9))
    ax.add_patch(Rectangle((x0 + length / 2, y0), length / 2, bh, facecolor="white",
                           edgecolor="black", linewidth=0.6, zorder=9))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    for x, text in ((x0, "0"), (x0 + length, label)):
        ax.text(x, y0 + 1.8 * bh, text, ha="center", va="bottom", fontsize=8, zorder=9)
    return length


def north_arrow(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float],
                angle_deg: float, label: str) -> None:
    """An arrow pointing to true north (``angle_deg`` clockwise from the grid's +y)."""
    w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
    size = 0.07 * h
    bx, by = xlim[1] - 0.06 * w, ylim[1] - 0.05 * h - size
    a = math.radians(angle_deg)
    tip = (bx + size * math.sin(a), by + size * math.cos(a))
    ax.annotate("", xy=tip, xytext=(bx, by), zorder=9,
                arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.4", "color": "black",
                            "linewidth": 1.8})
    ax.text(tip[0], tip[1] + 0.01 * h, label, ha="center", va="bottom", fontsize=11,
            fontweight="bold", zorder=9)


def zone_letter(k: int) -> str:
    """The letter marking the ``k``-th zone (0-based) whose name has no room on the map: A … Z,
    then AA, AB …"""
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(ord("A") + r) + out
    return out


def zone_marker(ax: Any, x: float, y: float, letter: str, *, fontsize: float = 7.5,
                **kw: Any) -> Any:
    """A zone's letter in a white ring of the zones' colour, centred on (``x``, ``y``)."""
    return ax.text(x, y, letter, fontsize=fontsize, fontweight="bold", color=ZONE_INK,
                   ha="center", va="center", zorder=7,
                   bbox={"boxstyle": "circle,pad=0.2", "facecolor": "white",
                         "edgecolor": ZONE_INK, "linewidth": 0.8}, **kw)
