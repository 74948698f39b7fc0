"""Input sanity checks that need several inputs at once (layers against the road network).

:func:`siting.layers.read_layer` checks each layer on its own. Some mistakes only show when
layers meet the network:

- :func:`gcj_offset_suspect` — points copied from Amap/Tencent (GCJ-02) or Baidu (BD-09) but
  not flagged with ``coords = "gcj02"`` sit a few hundred metres off the roads, in one
  direction. Undoing the offset brings them markedly closer to the roads; the check measures
  that and returns a warning text (the data may still be right, so it is never an error).
- :func:`check_reachable` — demand points whose nearest road belongs to a piece of the
  network that holds no candidate site can never be served, whatever the budget; and a
  scenario in which no demand point reaches any option within its threshold cannot produce a
  plan worth drawing. Both raise :class:`~siting._errors.NetworkError`.
- :func:`check_layers_overlap` — a layer lying entirely away from the road network (another
  city, a wrong CRS) is refused with one line naming it.
- :func:`check_speed_classes` — a ``network.speeds_kph`` entry for a road class that neither
  the defaults nor the network know (a typo) would silently change nothing.
- :func:`check_class_column` — a ``network.class_column`` that the line layer does not have
  would make every road the default class (slower, and coverage drops without a word).
- :func:`warn_unused_setbacks` — a ``setbacks.distance_m`` category that no sensitive site has.

Distances are metres in the network's metric CRS; input points are WGS84 lon/lat degrees.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely

from siting._errors import InputDataError, NetworkError, ScenarioError, echo
from siting.crs import is_shift, parse_crs, shift_coords
from siting.network import RoadNetwork

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

logger = logging.getLogger(__name__)

#: Fewer points than this: the median distance says too little to judge an offset.
MIN_POINTS = 5
#: The offset is suspected when undoing it shrinks the median road distance by this share ...
MIN_DROP_SHARE = 0.4
#: ... and by at least this many metres (dense urban networks leave little room: with roads
#: every 200 m, a 500 m offset moves points only 30-60 m off the nearest road line) ...
MIN_DROP_M = 25.0
#: ... and this share of the points individually gets closer.
MIN_CLOSER_SHARE = 0.65
#: At most this many points are measured (an even sample of larger layers).
MAX_POINTS = 5000
#: Roads farther than this from every point's bounding box are ignored (m); larger than any
#: GCJ-02/BD-09 offset in China (about 1.2 km).
SEARCH_MARGIN_M = 3000.0


# --------------------------------------------------------------------------- GCJ-02 heuristic
def _road_lines(net: RoadNetwork, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """Undirected road segments (shapely lines, metres) with an end inside ``bbox``."""
    u, v = np.asarray(net.edge_u), np.asarray(net.edge_v)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pairs = np.unique(np.column_stack([lo, hi]), axis=0) if len(u) else np.empty((0, 2), int)
    x0, y0, x1, y1 = bbox

    def inside(i: np.ndarray) -> np.ndarray:
        return (net.x[i] >= x0) & (net.x[i] <= x1) & (net.y[i] >= y0) & (net.y[i] <= y1)

    pairs = pairs[inside(pairs[:, 0]) | inside(pairs[:, 1])] if len(pairs) else pairs
    coords = np.stack([np.column_stack([net.x[pairs[:, 0]], net.y[pairs[:, 0]]]),
                       np.column_stack([net.x[pairs[:, 1]], net.y[pairs[:, 1]]])], axis=1)
    return shapely.linestrings(coords) if len(pairs) else np.empty(0, dtype=object)


def _road_distances(net: RoadNetwork, tree: shapely.STRtree, lon: np.ndarray,
                    lat: np.ndarray) -> np.ndarray:
    x, y = net.project(lon, lat)
    _, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    return np.asarray(dist, dtype=float)


def gcj_offset_suspect(points_lonlat: npt.ArrayLike, net: RoadNetwork, *,
                       layer: str = "layer", min_points: int = MIN_POINTS,
                       min_drop_share: float = MIN_DROP_SHARE, min_drop_m: float = MIN_DROP_M,
                       min_closer_share: float = MIN_CLOSER_SHARE) -> str | None:
    """Warning text if points labelled WGS84 look like unflagged GCJ-02 (or BD-09) data.

    Each point's distance to the nearest road *line* is measured as given and after undoing
    a GCJ-02 offset (and a BD-09 offset). Data really in WGS84 drift away from the roads when
    "un-shifted"; shifted data come back onto them. An offset is suspected when, for the
    better of the two conventions, the median distance drops by more than ``min_drop_share``
    and by more than ``min_drop_m`` metres, and at least ``min_closer_share`` of the points
    get closer.

    Parameters
    ----------
    points_lonlat
        (n, 2) longitudes and latitudes, degrees, as labelled (WGS84).
    net
        The road network (its metric CRS is used for distances).
    layer
        Names the layer in the message, e.g. ``"data/x/fleet.geojson (section demand)"``.
    min_points, min_drop_share, min_drop_m, min_closer_share
        Thresholds (see the module constants).

    Returns
    -------
    str or None
        One line naming the layer, the median distances and the ``coords = "gcj02"`` (or
        ``"bd09"``) fix; None when nothing is suspicious or there are too few points.
    """
    pts = np.asarray(points_lonlat, dtype=float).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < max(min_points, 1) or net.n_edges == 0:
        return None
    if len(pts) > MAX_POINTS:
        pts = pts[np.linspace(0, len(pts) - 1, MAX_POINTS).astype(int)]
    lon, lat = pts[:, 0], pts[:, 1]
    shifted = {flag: shift_coords(lon, lat, flag, "wgs84") for flag in ("gcj02", "bd09")}
    xs, ys = [], []
    for lo, la in [(lon, lat), *shifted.values()]:
        x, y = net.project(lo, la)
        xs.append(x)
        ys.append(y)
    allx, ally = np.concatenate(xs), np.concatenate(ys)
    bbox = (allx.min() - SEARCH_MARGIN_M, ally.min() - SEARCH_MARGIN_M,
            allx.max() + SEARCH_MARGIN_M, ally.max() + SEARCH_MARGIN_M)
    lines = _road_lines(net, bbox)
    if len(lines) == 0:
        return None
    tree = shapely.STRtree(lines)
    d0 = _road_distances(net, tree, lon, lat)
    m0 = float(np.median(d0))
    best: tuple[float, str, float, float] | None = None
    for flag, (slon, slat) in shifted.items():
        d1 = _road_distances(net, tree, slon, slat)
        m1 = float(np.median(d1))
        closer = float(np.mean(d1 < d0))
        ok = (m1 < (1.0 - min_drop_share) * m0 and m0 - m1 > min_drop_m
              and closer >= min_closer_share)
        logger.debug("%s: median road distance %.1f m as given, %.1f m as %s (%.0f%% closer)",
                     layer, m0, m1, flag, 100 * closer)
        if ok and (best is None or m1 < best[0]):
            best = (m1, flag, closer, m0)
    if best is None:
        return None
    m1, flag, closer, m0 = best
    name = "GCJ-02 (Amap/Tencent)" if flag == "gcj02" else "BD-09 (Baidu)"
    return (f"{layer}: points lie {m0:.0f} m (median) from the nearest road as given but "
            f"{m1:.0f} m once a {name} offset is undone ({closer:.0%} get closer); they look "
            f"like {name} coordinates: if so, add coords = \"{flag}\" to the layer's section "
            "in the scenario")


def _flagged_shift(spec: Any) -> bool:
    """True when the layer is already declared GCJ-02/BD-09 (``coords`` or ``crs``)."""
    if getattr(spec, "coords", "wgs84") != "wgs84":
        return True
    crs = getattr(spec, "crs", None)
    if crs is None:
        return False
    try:
        return is_shift(parse_crs(crs))
    except Exception:  # an unparsable crs has been reported by read_layer already
        return False


def warn_gcj_suspects(sc: Any, net: RoadNetwork, **layers: Any) -> list[str]:
    """Run :func:`gcj_offset_suspect` on point layers and log each suspicion as a warning.

    Parameters
    ----------
    sc
        The :class:`~siting.scenario.Scenario`; ``sc.<name>`` is each layer's spec (layers
        already flagged ``coords = "gcj02"``/``"bd09"`` or with a GCJ-02/BD-09 ``crs`` are
        skipped).
    net
        The road network.
    **layers
        ``name=GeoDataFrame`` (EPSG:4326 points, as returned by ``read_layer``), e.g.
        ``demand=inputs.fleet, candidates=inputs.candidates, existing=inputs.existing``;
        None values are skipped.

    Returns
    -------
    list of str
        The warnings logged.
    """
    out = []
    for name, gdf in layers.items():
        spec = getattr(sc, name, None)
        if gdf is None or spec is None or _flagged_shift(spec) or not len(gdf):
            continue
        geoms = gdf.geometry.values
        pts = shapely.get_coordinates(geoms[shapely.get_type_id(geoms) == 0])
        text = gcj_offset_suspect(pts, net, layer=f"{spec.path} (section {name})")
        if text is not None:
            logger.warning("%s", text)
            out.append(text)
    return out


# --------------------------------------------------------------------------- reachability
def check_reachable(cover: sp.spmatrix, net: RoadNetwork, demand_node: npt.ArrayLike,
                    site_node: npt.ArrayLike, *, demand_ids: Sequence[object],
                    source: str | Path, fleet_ids: Sequence[object] | None = None
                    ) -> None:
    """Refuse demand that no road connects to any candidate, or a run where nothing is covered.

    Parameters
    ----------
    cover
        (n_demand, n_options) coverage matrix (an entry = the option can serve the demand).
    net
        The road network.
    demand_node
        Snapped node index of each demand point (``RoadNetwork.snap``).
    site_node
        Snapped node index of each site, candidates and existing stations
        (``SiteReach.site_node``).
    demand_ids
        Fleet id of each demand point (``demand["fleet_id"]``), named in the message.
    source
        The fleet layer's file, named in the message.
    fleet_ids
        The fleet layer's ids in file order, to report the file's row number; without it the
        message names the id only.

    Raises
    ------
    NetworkError
        A demand point's nearest road is on a network piece without any candidate site (the
        first such fleet feature is named, and how many there are), or no demand point
        reaches any option within its threshold.
    """
    n_demand = cover.shape[0]
    if n_demand == 0:
        return
    dnode = np.asarray(demand_node, dtype=np.int64)
    snode = np.asarray(site_node, dtype=np.int64)
    ids = [str(i) for i in demand_ids]
    comp = net.components()
    labels = np.asarray(comp.labels)
    site_parts = np.unique(labels[snode]) if len(snode) else np.empty(0, dtype=labels.dtype)
    stranded = np.flatnonzero(~np.isin(labels[dnode], site_parts))
    if len(stranded):
        k = int(stranded[0])
        part = labels[dnode[k]]
        size = int(np.sum(labels == part))
        where = _fleet_where(source, ids[k], fleet_ids)
        n_fleet = len({ids[i] for i in stranded})
        msg = (f"{where}: its nearest road is on a piece of the network ({size} node(s)) that "
               "no road connects to any candidate site, so it can never be served; connect "
               "that road to the network, move the point onto the connected roads, or add a "
               f"candidate there ({n_fleet} fleet feature(s) affected)")
        raise NetworkError(msg)
    if cover.nnz == 0:
        msg = (f"{source}: none of the {n_demand} demand points can reach any candidate "
               "station within its segment's threshold_min; raise the segments' threshold_min, "
               "add candidate sites near the fleets, or check the road speeds")
        raise NetworkError(msg)


def _fleet_where(source: str | Path, fleet_id: str, fleet_ids: Sequence[object] | None) -> str:
    from siting.layers import feature_label

    if fleet_ids is not None:
        row = next((r for r, f in enumerate(fleet_ids) if str(f) == fleet_id), None)
        if row is not None:
            return feature_label(source, row, fleet_id, "fleet_id")
    return f"{source}: fleet_id {echo(fleet_id)}"


# --------------------------------------------------------------------------- layers vs network
def check_layers_overlap(net: RoadNetwork, layers: Sequence[tuple[str, Any, Any]], *,
                         margin_m: float) -> None:
    """Refuse a layer of which no feature comes near the road network.

    Parameters
    ----------
    net
        The road network (``lon``/``lat`` of its nodes, WGS84 degrees).
    layers
        ``(section, path, GeoDataFrame)`` per layer, frames in EPSG:4326 as returned by
        :func:`siting.layers.read_layer`; None frames are skipped.
    margin_m
        How far outside the network's bounding box a feature may lie (metres; the scenario's
        ``network.max_snap_m``).

    Raises
    ------
    NetworkError
        One line naming the first such layer, its extent and the network's.

    Notes
    -----
    The test is on bounding boxes (a feature's box against the network's, widened by
    ``margin_m``), so it only catches layers that are clearly elsewhere; single points too
    far from any road are reported per feature by the snapping check.
    """
    if net.n_nodes == 0:
        return
    lon, lat = np.asarray(net.lon, dtype=float), np.asarray(net.lat, dtype=float)
    w, e, s, n = float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())
    dlat = margin_m / 111_320.0
    coslat = max(np.cos(np.radians(min(max(abs(s), abs(n)), 89.0))), 1e-6)
    dlon = min(margin_m / (111_320.0 * coslat), 360.0)
    box = (w - dlon, e + dlon, s - dlat, n + dlat)
    for section, path, gdf in layers:
        if gdf is None or not len(gdf):
            continue
        b = shapely.bounds(gdf.geometry.values)
        near = ((b[:, 2] >= box[0]) & (b[:, 0] <= box[1])
                & (b[:, 3] >= box[2]) & (b[:, 1] <= box[3]))
        if near.any():
            continue
        lw, ls, le, ln = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()),
                          float(b[:, 3].max()))
        msg = (f"{path}: none of the {len(gdf)} feature(s) of the {section} layer comes within "
               f"{margin_m:,.0f} m of the road network: the layer spans lon {lw:.4f}..{le:.4f}, "
               f"lat {ls:.4f}..{ln:.4f}, the network lon {w:.4f}..{e:.4f}, lat {s:.4f}..{n:.4f}; "
               "check the layer's CRS (or lon/lat order) and that the network covers the same "
               "area")
        raise NetworkError(msg)


def check_speed_classes(speeds_kph: dict[str, Any], net: RoadNetwork, *, source: str,
                        defaults: Sequence[str]) -> None:
    """Refuse ``network.speeds_kph`` road classes that match no road.

    A class is known when it is one of the default classes (OSM ``highway`` values) or a
    class of the network's roads (as the speed lookup sees them: lower case). Anything else
    is a typo the run would silently ignore.

    Raises
    ------
    ScenarioError
        Naming the scenario file, the class, the closest known class and the known ones.
    """
    from siting.network import normalise_class
    from siting.scenario import suggest

    if not speeds_kph:
        return
    in_net = {normalise_class(c) for c in np.unique(np.asarray(net.edge_class).astype(str))}
    known = set(defaults) | in_net
    for cls in speeds_kph:
        if cls in known:
            continue
        names = sorted(known)
        shown = names if len(names) <= 30 else [*names[:30], "…"]
        msg = (f"{source}: field 'network.speeds_kph': road class {echo(cls)} is neither a "
               f"default class nor a class of the network's roads{suggest(cls, names)}; use "
               f"one of {shown} (lower case)")
        raise ScenarioError(msg)


def check_class_column(gdf: gpd.GeoDataFrame, column: str, *, path: Path | str,
                       explicit: bool) -> gpd.GeoDataFrame:
    """Find the road-class column of a network line layer; return the layer, column named
    exactly ``column``.

    A column differing only in letter case is accepted (and renamed). A column that is
    missing is an error when the scenario names it (``network.class_column`` given), since
    every road would then get the slowest default class; when the scenario relies on the
    default (``"highway"``) it is a warning.

    Raises
    ------
    InputDataError
        The named column is not in the layer; the message suggests the closest column.
    """
    from siting.scenario import suggest

    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    if column in columns:
        return gdf
    same = [c for c in columns if c.lower() == column.lower()]
    if len(same) == 1:
        logger.info("%s: using column '%s' as network.class_column '%s'", path, same[0], column)
        return gdf.rename(columns={same[0]: column})
    if explicit:
        msg = (f"{path}: the road layer has no column {echo(column)} (network.class_column)"
               f"{suggest(column, columns)}; columns are {columns}; fix class_column in "
               "[network] of the scenario")
        raise InputDataError(msg)
    logger.warning("%s: the road layer has no '%s' column, so every road counts as class "
                   "'road' (30/25 km/h); set network.class_column to the column holding the "
                   "road class (columns: %s)", path, column, columns)
    return gdf


def warn_unused_setbacks(distance_m: dict[str, float], categories: pd.Series, *,
                         path: Path | str, column: str) -> list[str]:
    """Warn about ``setbacks.distance_m`` categories that no sensitive site has.

    Such a setback protects nothing (often a spelling or language mismatch: ``school`` in the
    scenario, ``学校`` in the layer). Returns the categories warned about.
    """
    from siting.scenario import suggest

    present = sorted({str(c) for c in categories})
    unused = [c for c in distance_m if c not in present]
    for c in unused:
        logger.warning("%s: setbacks.distance_m category '%s' matches no site (column '%s' "
                       "has %s)%s; that setback protects nothing - fix the category name",
                       path, c, column, present[:20], suggest(c, present))
    return unused


__all__ = ["check_class_column", "check_layers_overlap", "check_reachable",
           "check_speed_classes", "gcj_offset_suspect", "warn_gcj_suspects",
           "warn_unused_setbacks"]
