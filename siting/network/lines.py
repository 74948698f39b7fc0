"""GIS line layers (GeoPackage, Shapefile, GeoJSON) noded into a routable road network.

Lines are split at every vertex, at shared endpoints and at crossings with other lines (of the
same ``layer`` level; a bridge or tunnel without one is at level 1 or -1, see
:func:`_levels`); a line end on another line joins it at any level, and line ends within the
snapping tolerance of another line of their level are joined to it. Noding happens in the
layer's own CRS (see :class:`_NodingPlane`), so lines straight where they were drawn stay
straight.

An OSM file needs none of this: its ways join only at shared nodes (:mod:`siting.network.osm`),
so a bridge crossing a road without one never joins it, and a way that ends on another at a
shared node joins it whatever their ``layer``. Line layers have no node ids: the levels keep
crossings apart, and a line's end on another line stands for the shared node.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from siting._cells import is_blank
from siting._errors import CRSMismatchError, InputDataError, NetworkError
from siting.crs import WGS84, shift_geometries
from siting.network.graph import (
    EARTH_RADIUS_M,
    RoadNetwork,
    check_degrees,
    from_pieces,
    normalise_class,
    one_line,
)
from siting.network.osm import ACCESS_KEYS, closed_reason, line_drop_reason, oneway_direction
from siting.network.tags import LIMIT_FIELDS, LIMIT_TAGS, LayerTags, MaxspeedTally

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

_TRUTHY = frozenset({"yes", "true", "1", "y", "t", "forward", "ft", "是", "单向"})

_BACKWARD = frozenset({"-1", "reverse", "backward", "tf", "反向"})
#: ``bridge``/``tunnel`` values that mean none (Geofabrik's shapefiles write T/F).
_NO_STRUCTURE = frozenset({"no", "false", "0", "f", "n", "否"})
#: ``tunnel`` values at ground level: a passage through a building is under no road.
_GROUND_TUNNELS = frozenset({"building_passage"})


def _layer_class(value: object) -> str:
    """A line layer's class value as given (stripped); lists/empty handled by
    :func:`normalise_class`."""
    if isinstance(value, str) and value.strip() and not value.strip().startswith("["):
        return value.strip()
    return normalise_class(value)


def _oneway_code(value: object) -> int:
    """Line-layer one-way value -> 1 (digitised direction), -1 (against it) or 0 (both)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0
    if isinstance(value, (bool, np.bool_)):
        return 1 if value else 0
    if isinstance(value, (int, np.integer, float, np.floating)):
        return 1 if value > 0 else (-1 if value < 0 else 0)
    s = str(value).strip().lower()
    if s in _TRUTHY:
        return 1
    if s in _BACKWARD:
        return -1
    return 0


def from_lines(gdf: gpd.GeoDataFrame, *, class_column: str = "highway",
               oneway_column: str | None = None, level_column: str | None = "layer",
               snap_m: float = 1.0, source: str = "line layer", schematic: bool = False,
               ) -> RoadNetwork:
    """Node a GIS line layer into a routable network.

    Lines are split at every vertex, at shared endpoints and at crossings with other lines;
    a line end within ``snap_m`` of another line is joined to it (undershoots/overshoots of
    hand-drawn data), and junction points within ``snap_m`` of each other become one node.

    A layer that GDAL's OSM driver made (QGIS opening an ``.osm``/``.osm.pbf`` file, its
    ``lines`` layer saved as GeoPackage or Shapefile) keeps most tags in one ``other_tags``
    column (:func:`siting.network.tags.parse_other_tags`); they are read as an OSM file's
    tags would be. Per feature, a column named as the tag wins over ``other_tags``.

    Parameters
    ----------
    gdf
        LineString/MultiLineString features with a CRS (any; converted internally).
    class_column
        Column with the road class (OSM ``highway`` values or Chinese class names, see
        :data:`CLASS_ALIASES`); a missing column or empty value gives ``"road"``. Lines of
        a class the fleet road filter leaves out (footway, cycleway, service, track,
        construction ..., :data:`siting.network.osm.NON_FLEET_HIGHWAYS`) are dropped and
        counted in :attr:`RoadNetwork.dropped`, as for OSM files; so are lines tagged
        ``area=yes`` or ``access``/``motor_vehicle``/``motorcar`` = private/no (a column of
        that name, or ``other_tags``).
    oneway_column
        Column saying a line is one-way in its digitised direction (yes/true/1/是) or against
        it (-1/reverse); None = all lines two-way, except in a layer with ``other_tags``:
        there the ``oneway`` tag (and OSM's implied one-way motorways and roundabouts) sets
        the direction, as :func:`siting.network.osm.oneway_direction` does for OSM files.
        Where ``oneway_column``'s value is empty, ``other_tags`` decides.
    level_column
        If this column (or, with ``other_tags``, this tag) exists, crossing lines are joined
        only when their values are equal (grade separation: bridges, tunnels; OSM ``layer``
        convention, missing = 0); a ``bridge`` (column or tag: yes/T/viaduct ...) at 0 is at
        1, a ``tunnel`` at -1 (:func:`_levels`). A line's end on another line joins it at
        any level. None: every crossing joins.
    snap_m
        Snapping tolerance in metres.
    source, schematic
        Kept on the network.

    Returns
    -------
    RoadNetwork
        ``node_id`` is 0..n-1. A ``maxspeed`` column or tag gives the posted limits
        (:attr:`RoadNetwork.edge_maxspeed_kph`, read by
        :func:`siting.network.tags.maxspeed_kph`); ``maxspeed:hgv``/``maxspeed_hgv`` those
        of heavy vehicles, ``maxspeed:forward``/``:backward`` those of the digitised
        direction or against it (:meth:`siting.network.tags.MaxspeedTally.limits`).
    """
    if gdf.crs is None:
        msg = f"{source}: the line layer has no CRS; set one (e.g. EPSG:4326) before noding"
        raise CRSMismatchError(msg)
    gdf = _check_line_geometry(gdf, source)
    attrs = _line_attributes(gdf, class_column, oneway_column, level_column, source)
    plane = _NodingPlane.for_layer(gdf)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    parts, feature = shapely.get_parts(geoms, return_index=True)
    lines = shapely.transform(parts, plane.forward)
    lines = shapely.remove_repeated_points(lines, 0.0)
    degenerate = shapely.length(lines) <= 0
    if degenerate.any():
        logger.warning("%s: %d zero-length line part(s) ignored", source, int(degenerate.sum()))
    lines, feature = lines[~degenerate], feature[~degenerate]
    if len(lines) == 0:
        msg = f"{source}: no line with non-zero length (empty network); check the layer"
        raise NetworkError(msg)
    kept, dropped = _fleet_filter([attrs.drop[f] for f in feature], source)
    lines, feature = lines[kept], feature[kept]
    level = attrs.level[feature] if attrs.level is not None else None
    tol = snap_m / plane.metres_per_unit
    xy, line_of, special = _node_geometry(lines, level, tol)
    keys = _junction_keys(xy, special, tol)  # moves joined points to their mean
    vlon, vlat = plane.to_wgs84(xy)
    start = np.concatenate([[0], np.nonzero(np.diff(line_of))[0] + 1, [len(line_of)]])
    piece = feature[line_of[start[:-1]]]
    return from_pieces(keys, np.asarray(vlon), np.asarray(vlat), start,
                       attrs.road_class[piece], attrs.oneway[piece], keys_are_ids=False,
                       source=source, schematic=schematic, dropped=dropped,
                       piece_limits=attrs.limits[piece],
                       unread_maxspeed=attrs.unread_maxspeed)


@dataclass(frozen=True)
class _LineAttributes:
    """What a line layer's attributes say about each feature."""

    road_class: np.ndarray        # object
    oneway: np.ndarray            # int8: 1, -1, 0
    level: np.ndarray | None      # float grade level (None: the layer gives none)
    limits: np.ndarray            # float32 (n, 4) posted limits, km/h (tags.LIMIT_FIELDS)
    drop: list[str | None]        # why the fleet road filter leaves it out (None = kept)
    unread_maxspeed: dict[str, int]


def _line_attributes(gdf: gpd.GeoDataFrame, class_column: str, oneway_column: str | None,
                     level_column: str | None, source: str) -> _LineAttributes:
    """Road class, direction, grade level, posted limit and filter outcome per feature."""
    if class_column in gdf.columns:
        classes = np.array([_layer_class(c) for c in gdf[class_column]], dtype=object)
    else:
        logger.info("%s: no '%s' column; every line is road class 'road'", source,
                    class_column)
        classes = np.full(len(gdf), "road", dtype=object)
    tags = LayerTags(gdf)
    if tags.incomplete:
        i = tags.incomplete[0]
        logger.warning("%s: %s: the %s text could not be read to its end (%d such "
                       "feature(s); a Shapefile cuts text at 254 bytes); the tags before the "
                       "cut are used - save the layer as GeoPackage to keep them all", source,
                       _feature_label(gdf, i), tags.tag_column, len(tags.incomplete))
    tally = MaxspeedTally()
    limits = np.full((len(gdf), len(LIMIT_FIELDS)), np.nan, dtype=np.float32)
    present = [k for k in LIMIT_TAGS if tags.has(k)]
    for i, row in enumerate(zip(*(tags.values(k) for k in present), strict=True)):
        if not all(is_blank(v) for v in row):
            limits[i] = tally.limits(dict(zip(present, row, strict=True)).get)
    drop = [line_drop_reason(c) for c in classes]
    closed_keys = [k for k in ("area", *ACCESS_KEYS) if tags.has(k)]
    if closed_keys:
        closed = [closed_reason({k: _tag_text(v) for k, v in zip(closed_keys, row, strict=True)})
                  for row in zip(*(tags.values(k) for k in closed_keys), strict=True)]
        drop = [d or r for d, r in zip(drop, closed, strict=True)]
    return _LineAttributes(classes, _oneway(gdf, classes, oneway_column, tags, source),
                           _levels(tags, level_column, len(gdf)), limits, drop,
                           dict(tally.unread))


def _levels(tags: LayerTags, level_column: str | None, n: int) -> np.ndarray | None:
    """Grade level per feature: ``level_column``'s number (missing or not a number: 0); where
    that is 0, 1 for a bridge and -1 for a tunnel (``bridge``/``tunnel`` given and not
    no/false/0/F: OSM's bridges pass over what they cross, tunnels under it; Geofabrik's
    shapefiles write 0 for a missing ``layer``). None: no ``level_column``, or the layer has
    neither it nor ``bridge``/``tunnel``."""
    if not level_column:
        return None
    keys = [k for k in (level_column, "bridge", "tunnel") if tags.has(k)]
    if not keys:
        return None
    level = np.zeros(n)
    if level_column in keys:
        raw = pd.Series(tags.values(level_column), dtype=object)
        level = pd.to_numeric(raw, errors="coerce").fillna(0).to_numpy(dtype=np.float64,
                                                                       copy=True)
    flat = level == 0
    for key, up, ground in (("tunnel", -1.0, _GROUND_TUNNELS), ("bridge", 1.0, frozenset())):
        if key in keys:
            text = ["" if is_blank(v) else str(_tag_text(v)).strip().lower()
                    for v in tags.values(key)]
            structure = np.array([bool(t) and t not in _NO_STRUCTURE and t not in ground
                                  for t in text], dtype=bool)
            level[flat & structure] = up
    return level


def _oneway(gdf: gpd.GeoDataFrame, classes: np.ndarray, oneway_column: str | None,
            tags: LayerTags, source: str) -> np.ndarray:
    """One-way code (int8: 1, -1, 0) per feature: ``oneway_column`` where it has a value,
    else, in a layer with ``other_tags``, OSM's rules (:func:`oneway_direction`)."""
    n = len(gdf)
    if oneway_column is not None and oneway_column not in gdf.columns:
        msg = (f"{source}: one-way column '{oneway_column}' not found (columns: "
               f"{[c for c in gdf.columns if c != 'geometry']}); fix network.oneway_column")
        raise InputDataError(msg)
    if tags.tag_column is not None:
        osm = {k: tags.values(k) for k in ("oneway", "junction")}
        codes = [oneway_direction({"highway": c, "oneway": _tag_text(ow), "junction": j})
                 for c, ow, j in zip(classes, osm["oneway"], osm["junction"], strict=True)]
        osm_code = np.array(codes, dtype=np.int8)
    else:
        osm_code = np.zeros(n, dtype=np.int8)
        if oneway_column is None and "oneway" in gdf.columns:
            logger.warning("%s: the layer has a column 'oneway' but network.oneway_column is "
                           "not set, so every road is two-way; set oneway_column = \"oneway\" "
                           "in [network] to use it", source)
    if oneway_column is None:
        return osm_code
    given = gdf[oneway_column].tolist()
    read = _oneway_code
    if _geofabrik_oneway(given):
        logger.info("%s: column '%s' holds only F/T/B: read as Geofabrik's shapefiles write "
                    "it (F = one-way as drawn, T = against it, B = both ways)", source,
                    oneway_column)
        read = _geofabrik_code
    codes = [osm_code[i] if is_blank(v) else read(v) for i, v in enumerate(given)]
    return np.array(codes, dtype=np.int8)


#: Geofabrik's shapefiles (``gis_osm_roads_free``): ``oneway`` is F (one-way in the drawn
#: direction), T (one-way against it) or B (both ways): T is not "true".
_GEOFABRIK_ONEWAY = {"F": 1, "T": -1, "B": 0}


def _geofabrik_code(value: object) -> int:
    return _GEOFABRIK_ONEWAY[str(value)]


def _geofabrik_oneway(values: list[object]) -> bool:
    """True when a one-way column follows Geofabrik's F/T/B convention: every value given is
    one of those capital letters and some road is two-way (B), which no yes/no column has."""
    given = {v for v in values if not is_blank(v)}
    return bool(given) and "B" in given and given <= _GEOFABRIK_ONEWAY.keys()


def _tag_text(value: object) -> str | None:
    """A column value as OSM tag text (1.0 -> "1", True -> "yes"); None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _fleet_filter(reasons: list[str | None], source: str
                  ) -> tuple[np.ndarray, dict[str, int]]:
    """Which line parts the fleet road filter keeps (footways, service roads, private
    roads ... of an OSM export are left out, :func:`siting.network.osm.line_drop_reason`,
    :func:`siting.network.osm.closed_reason`) and the counts of those left out by reason;
    no line left is a :class:`NetworkError`."""
    kept = np.array([r is None for r in reasons], dtype=bool)
    dropped = dict(Counter(r for r in reasons if r is not None))
    if not kept.any():
        detail = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
        msg = (f"{source}: no drivable roads left after the fleet road filter (empty network; "
               f"dropped: {detail}; footways, cycleways, service roads, tracks, private roads "
               "and roads under construction are left out); check the layer holds public roads")
        raise NetworkError(msg)
    return kept, dropped


@dataclass(frozen=True)
class _NodingPlane:
    """The plane lines are noded in: the layer's own CRS, so that lines straight where they
    were drawn stay straight (reprojecting first would bend long segments and open gaps of
    metres at T-junctions). Geographic layers get an affine lon/lat -> metres scaling at
    their mid latitude, which keeps straight lines straight and tolerances in ~metres."""

    crs: CRS
    lon0: float = 0.0
    lat0: float = 0.0
    kx: float = 1.0
    ky: float = 1.0
    metres_per_unit: float = 1.0

    @classmethod
    def for_layer(cls, gdf: gpd.GeoDataFrame) -> _NodingPlane:
        crs = CRS.from_user_input(gdf.crs)
        if crs.is_geographic:
            b = gdf.total_bounds
            lon0, lat0 = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            ky = EARTH_RADIUS_M * np.pi / 180
            return cls(crs, lon0, lat0, ky * np.cos(np.radians(lat0)), ky)
        unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        return cls(crs, metres_per_unit=float(unit or 1.0))

    def forward(self, c: np.ndarray) -> np.ndarray:
        """Layer coordinates -> noding plane."""
        if not self.crs.is_geographic:
            return c
        return np.column_stack([(c[:, 0] - self.lon0) * self.kx,
                                (c[:, 1] - self.lat0) * self.ky])

    def to_wgs84(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Noding plane -> WGS84 lon, lat (degrees)."""
        a, b = xy[:, 0], xy[:, 1]
        if self.crs.is_geographic:
            a, b = a / self.kx + self.lon0, b / self.ky + self.lat0
        if self.crs.to_epsg() == 4326:
            return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        lon, lat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True).transform(a, b)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _check_line_geometry(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Raise naming the first feature that is empty or not a line."""
    geoms = gdf.geometry.values
    kinds = shapely.get_type_id(geoms)  # 1 LineString, 2 LinearRing, 5 MultiLineString
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad = empty | ~np.isin(kinds, (1, 2, 5))
    if bad.any():
        i = int(np.argmax(bad))
        what = "empty geometry" if empty[i] else f"a {geoms[i].geom_type}"
        label = _feature_label(gdf, i)
        msg = (f"{source}: {label} has {what}, not a line ({int(bad.sum())} such feature(s)); "
               "the road layer must hold only LineString/MultiLineString features")
        raise InputDataError(msg)
    return gdf


def _feature_label(gdf: gpd.GeoDataFrame, i: int) -> str:
    label = f"feature {i + 1}"  # 1-based, as QGIS's attribute table counts
    for col in ("id", "road_id", "name", "NAME", "osm_id", "fid"):
        if col in gdf.columns and pd.notna(gdf[col].iloc[i]):
            return f"{label} ({col} '{gdf[col].iloc[i]}')"
    return label


def _node_geometry(lines: np.ndarray, level: np.ndarray | None,
                   snap_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices of every line with crossing/snap points inserted, in line order.

    Returns ``(xy, line_of, special)``: coordinates (metres), line index per vertex, and a
    flag for vertices that may join other lines (ends, crossings, snap points).
    """
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    coords = coords.copy()
    nv = len(coords)
    new_line = np.ones(nv, dtype=bool)
    new_line[1:] = line_of[1:] != line_of[:-1]
    step = np.zeros(nv)
    step[1:] = np.hypot(*(coords[1:] - coords[:-1]).T)
    step[new_line] = 0.0
    cum = np.cumsum(step)
    line_start = np.nonzero(new_line)[0]
    vdist = cum - cum[line_start][line_of]
    is_end = new_line.copy()
    is_end[:-1] |= new_line[1:]
    is_end[-1] = True

    tree = shapely.STRtree(lines)
    # crossings and touches between different lines: at the same level, or where one line
    # ends on the other (at any level: where a bridge comes down, an OSM file's shared node)
    a, b = tree.query(lines, predicate="intersects")
    m = a < b
    a, b = a[m], b[m]
    split_line: list[np.ndarray] = []
    split_xy: list[np.ndarray] = []
    if len(a):
        inter = shapely.intersection(lines[a], lines[b])
        pts, which = shapely.get_coordinates(inter, return_index=True)
        if level is not None:
            ends_xy = np.stack([coords[line_start], coords[np.r_[line_start[1:] - 1, nv - 1]]])
            pa, pb = a[which], b[which]
            keep = level[pa] == level[pb]
            for line in (pa, pb):
                keep |= (np.hypot(*(ends_xy[:, line] - pts).transpose(2, 0, 1)) < 1e-6).any(0)
            pts, which = pts[keep], which[keep]
        split_line += [a[which], b[which]]
        split_xy += [pts, pts]
    # line ends within snap_m of another line (not touching it): join at the projection
    ends = np.nonzero(is_end)[0]
    end_pts = shapely.points(coords[ends])
    pi, li = tree.query(end_pts, predicate="dwithin", distance=snap_m)
    own = line_of[ends[pi]]
    m = li != own
    if level is not None:
        m &= level[li] == level[own]
    pi, li = pi[m], li[m]
    if len(pi):
        gap = shapely.distance(end_pts[pi], lines[li])
        near = gap > 0
        pi, li = pi[near], li[near]
        proj = shapely.line_interpolate_point(
            lines[li], shapely.line_locate_point(lines[li], end_pts[pi]))
        split_line.append(li)
        split_xy.append(shapely.get_coordinates(proj))
    if not split_line:
        return coords, line_of, is_end
    s_line = np.concatenate(split_line)
    s_xy = np.concatenate(split_xy)
    s_dist = shapely.line_locate_point(lines[s_line], shapely.points(s_xy))
    all_line = np.concatenate([line_of, s_line])
    all_dist = np.concatenate([vdist, s_dist])
    all_xy = np.concatenate([coords, s_xy])
    all_special = np.concatenate([is_end, np.ones(len(s_line), dtype=bool)])
    kind = np.concatenate([np.zeros(nv, dtype=np.int8), np.ones(len(s_line), dtype=np.int8)])
    order = np.lexsort((kind, all_dist, all_line))
    all_line, all_xy = all_line[order], all_xy[order]
    all_special = all_special[order]
    # merge points that coincide (a crossing at an existing vertex, repeated crossings)
    dup = np.zeros(len(order), dtype=bool)
    dup[1:] = (all_line[1:] == all_line[:-1]) & (
        np.hypot(*(all_xy[1:] - all_xy[:-1]).T) < 1e-6)
    group = np.cumsum(~dup) - 1
    special = np.zeros(group[-1] + 1, dtype=bool)
    np.logical_or.at(special, group, all_special)
    keep = ~dup
    return all_xy[keep], all_line[keep], special


def _junction_keys(xy: np.ndarray, special: np.ndarray, snap_m: float) -> np.ndarray:
    """Node key per vertex: special vertices within ``snap_m`` share one (moved to their
    mean position, in place); every other vertex is its own node."""
    keys = np.arange(len(xy), dtype=np.int64) + len(xy)  # ordinary vertices: unique keys
    sp_idx = np.nonzero(special)[0]
    if len(sp_idx) == 0:
        return keys
    pts = xy[sp_idx]
    pairs = cKDTree(pts).query_pairs(snap_m, output_type="ndarray")
    n = len(sp_idx)
    g = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                   shape=(n, n)) if len(pairs) else coo_matrix((n, n), dtype=np.int8)
    _, label = connected_components(g, directed=False)
    cnt = np.bincount(label)
    cx = np.bincount(label, weights=pts[:, 0]) / cnt
    cy = np.bincount(label, weights=pts[:, 1]) / cnt
    xy[sp_idx, 0] = cx[label]
    xy[sp_idx, 1] = cy[label]
    keys[sp_idx] = label
    return keys


# --------------------------------------------------------------------------- files
def read_lines(path: str | Path, *, layer: str | None = None, crs: str | None = None,
               coords: str = "wgs84") -> gpd.GeoDataFrame:
    """Read and check a road line layer for :func:`from_lines`.

    Parameters
    ----------
    path
        GeoPackage, Shapefile or GeoJSON file; text as UTF-8, or GBK where the format allows
        (a Shapefile without ``.cpg``, GeoJSON saved by Chinese software), as point layers.
    layer
        Layer name inside the file (GeoPackage); None = the first.
    crs
        CRS of a file that has none of its own (``network.crs``); a file's own CRS wins.
    coords
        {"wgs84", "gcj02", "bd09"}: lon/lat convention (GCJ-02/BD-09 are shifted to WGS84).

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's own CRS (noding happens there), or WGS84 after a GCJ-02/BD-09 shift.

    Raises
    ------
    NetworkError
        The file cannot be read or has no features.
    CRSMismatchError
        No CRS (and no ``crs``), or coordinates that are not degrees in WGS84.
    InputDataError
        A feature that is not a line.
    """
    from siting._errors import ScenarioError
    from siting.layers.files import read_gis_text  # text encodings as for every layer

    try:
        gdf = read_gis_text(Path(path), layer, "road network")
    except ScenarioError:
        raise
    except Exception as e:  # pyogrio raises several error types for unreadable files
        msg = f"{path}: cannot read the line layer ({one_line(e)}); check the file and layer"
        raise NetworkError(msg) from None
    if len(gdf) == 0:
        msg = f"{path}: the line layer has no features (empty network); check the file/layer"
        raise NetworkError(msg)
    if gdf.crs is None:
        if crs is None:
            msg = (f"{path}: the line layer has no CRS; set network.crs in the scenario "
                   "(e.g. 'EPSG:4326', or 'EPSG:4547' for CGCS2000 3-degree zone 38)")
            raise CRSMismatchError(msg)
        gdf = gdf.set_crs(crs)
    elif crs is not None and CRS.from_user_input(crs) != gdf.crs:
        logger.warning("%s: file CRS %s used; network.crs=%s ignored", path,
                       gdf.crs.to_string(), crs)
    gdf = _check_line_geometry(gdf, str(path))
    lonlat = shapely.get_coordinates(gdf.to_crs(WGS84).geometry.values)
    check_degrees(lonlat[:, 0], lonlat[:, 1], str(path))
    if coords != "wgs84":
        gdf = gdf.to_crs(WGS84)
        gdf = gdf.set_geometry(shift_geometries(gdf.geometry.values, coords, "wgs84"),
                               crs=WGS84)
    return gdf
