"""Demand summed into hexagons, for maps with more demand points than a browser draws well.

Pointy-top hexagons in axial coordinates (q, r) on a metric CRS (the UTM zone of the data);
the cells are returned in WGS84.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting.crs import layer_utm_crs
from siting.maps.values import energy_kwh, numbers

__all__ = ["aggregate_demand_hex", "auto_hex_size"]


def aggregate_demand_hex(
    demand: gpd.GeoDataFrame,
    *,
    size_m: float | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Sum demand points into pointy-top hexagons of side ``size_m`` in a metric CRS.

    Parameters
    ----------
    demand
        Demand points in WGS84 with ``energy`` (daily), ``energy_unit`` (``kWh``/``kg``),
        ``weight`` and ``served_share`` (0-1); missing columns count as 0 (share) or 1.
    size_m
        Hexagon side (= circumradius) in metres; default: chosen from the extent so that
        the bounding box holds about 3,000 cells (at least 250 m).
    crs
        Metric CRS for the binning; default the UTM zone of the points
        (:func:`siting.crs.layer_utm_crs`).

    Returns
    -------
    GeoDataFrame
        One row per non-empty cell, EPSG:4326 hexagon polygons, with ``n_points``,
        ``energy_kwh`` (kg of hydrogen at 33.3 kWh/kg), ``weight``, ``served_weight``,
        ``served_share`` (weight-averaged) and ``size_m``.
    """
    pts = demand.to_crs(crs or layer_utm_crs(demand))
    x = pts.geometry.x.to_numpy(float)
    y = pts.geometry.y.to_numpy(float)
    size = float(size_m) if size_m else auto_hex_size(x, y)
    q, r = _hex_index(x, y, size)
    frame = pd.DataFrame({
        "q": q, "r": r,
        "energy_kwh": energy_kwh(demand),
        "weight": numbers(demand, "weight", 1.0),
    })
    frame["served_weight"] = frame["weight"] * np.clip(numbers(demand, "served_share", 0.0), 0, 1)
    frame["n_points"] = 1
    cells = frame.groupby(["q", "r"], sort=True).sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(cells["weight"] > 0, cells["served_weight"] / cells["weight"], 0.0)
    cells["served_share"] = share
    cells["size_m"] = size
    polys = _hexagons(cells["q"].to_numpy(), cells["r"].to_numpy(), size)
    out = gpd.GeoDataFrame(cells, geometry=polys, crs=pts.crs).to_crs("EPSG:4326")
    return out


def auto_hex_size(x: np.ndarray, y: np.ndarray, n_target: int = 3000) -> float:
    """Hexagon side (m) giving about ``n_target`` cells over the extent of metric ``x``, ``y``:
    a multiple of 50 m between 250 m and 20 km."""
    if not len(x):
        return 250.0
    area = float((x.max() - x.min()) * (y.max() - y.min()))
    size = math.sqrt(area / (n_target * 1.5 * math.sqrt(3))) if area > 0 else 0.0
    return float(min(max(round(size / 50) * 50, 250.0), 20_000.0))


def _hex_index(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the pointy-top hexagon of side ``size`` holding each point."""
    qf = (math.sqrt(3) / 3 * x - y / 3) / size
    rf = (2 / 3 * y) / size
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def _hexagons(q: np.ndarray, r: np.ndarray, size: float) -> np.ndarray:
    cx = size * math.sqrt(3) * (q + r / 2)
    cy = size * 1.5 * r
    ang = np.deg2rad(30 + 60 * np.arange(7))
    xs = cx[:, None] + size * np.cos(ang)[None, :]
    ys = cy[:, None] + size * np.sin(ang)[None, :]
    return shapely.polygons(np.stack([xs, ys], axis=-1))
