"""Road networks from any source, as one compact array structure (:class:`RoadNetwork`).

Sources (:func:`load_network` dispatches on ``spec.path``'s suffix, or downloads):

- online OpenStreetMap through osmnx (``spec.place`` or ``spec.bbox``), with osmnx's HTTP cache
  and our own ``.npz`` cache of the finished network in ``spec.cache_dir`` (local files of
  5 MB or more are cached there too, see :func:`load_network`);
- OSM files ``.osm``, ``.osm.bz2``, ``.osm.pbf`` read in one pass with pyosmium;
- GraphML (osmnx or any networkx graph with ``x``/``y`` node coordinates);
- GIS line layers (GeoPackage, Shapefile, GeoJSON), noded into a routable graph;
- ``.npz`` files written by :func:`save_network` (e.g. a network fetched once, used offline).

OSM sources share one fleet road filter and one set of one-way rules (see :mod:`siting._osm`).
Every way/line vertex becomes a node (no simplification), so snapping is to the real road shape
and :meth:`RoadNetwork.edges_gdf` draws the real geometry. Edge lengths are great-circle
(haversine) metres between consecutive vertices; ``x``/``y`` are in the UTM zone of the
network's mean position (EPSG:326xx), e.g. EPSG:32649 for Suizhou.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from siting import _osm
from siting._errors import CRSMismatchError, InputDataError, NetworkError

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

    from siting.scenario import NetworkSpec

logger = logging.getLogger(__name__)

#: File suffixes :func:`load_network` reads.
SUPPORTED_SUFFIXES: tuple[str, ...] = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".graphml",
                                       ".gpkg", ".shp", ".geojson", ".json", ".npz")
_LINE_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json")
#: Local road files at least this large (bytes, a shapefile's sidecar files included) are
#: parsed once and kept as ``.npz`` in ``network.cache_dir`` (see :func:`load_network`);
#: smaller ones, such as the bundled demo network, are simply read again.
LOCAL_CACHE_MIN_BYTES = 5 * 2**20
#: Version of what the cache of local files stores; bump it whenever parsing changes the
#: result (filter, noding, lengths ...), so that old cache entries are no longer used.
LOCAL_CACHE_FORMAT = 1
_SIDECAR_SUFFIXES = {".shp": (".dbf", ".shx", ".prj", ".cpg", ".DBF", ".SHX", ".PRJ", ".CPG")}
#: NetworkSpec fields read while parsing a file (they are part of the cache key).
_PARSE_FIELDS = ("crs", "coords", "layer", "class_column", "oneway_column", "schematic",
                 "provenance")
_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf")

#: Mean Earth radius (m) for haversine lengths.
EARTH_RADIUS_M = 6_371_008.8

#: Chinese road-class names (planning/survey data) -> OSM highway class used for speeds.
CLASS_ALIASES: dict[str, str] = {
    "高速公路": "motorway", "高速": "motorway", "城市快速路": "trunk", "快速路": "trunk",
    "国道": "trunk", "主干路": "primary", "主干道": "primary", "省道": "secondary",
    "次干路": "secondary", "次干道": "secondary", "县道": "tertiary", "支路": "residential",
    "乡道": "unclassified", "村道": "unclassified", "匝道": "motorway_link",
}

#: Largest share of nodes outside the main component before :func:`load_network` warns.
COMPONENT_WARN_SHARE = 0.95
_NPZ_FORMAT = 1
# what a truncated or damaged .npz raises (np.load, zipfile, zlib, json, the dataclass checks)
_NPZ_ERRORS = (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
_TRUTHY = frozenset({"yes", "true", "1", "y", "t", "forward", "ft", "是", "单向"})
_BACKWARD = frozenset({"-1", "reverse", "backward", "tf", "反向"})


# --------------------------------------------------------------------------- small helpers
def haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray,
                lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres between WGS84 points (degrees), vectorised."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def utm_crs(lon: np.ndarray | float, lat: np.ndarray | float) -> str:
    """The WGS84 UTM zone CRS of the mean position, e.g. ``"EPSG:32649"`` (Suizhou).

    Northern-hemisphere zones are EPSG:326xx, southern EPSG:327xx.
    """
    mlon = float(np.mean(lon))
    mlat = float(np.mean(lat))
    zone = int(np.clip(np.floor((mlon + 180.0) / 6.0) + 1, 1, 60))
    return f"EPSG:{(32600 if mlat >= 0 else 32700) + zone}"


def normalise_class(raw: object) -> str:
    """A road class as one lower-case string; osmnx lists like ``"['primary', 'secondary']"``
    give their first element; missing values give ``"road"``."""
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else None
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return "road"
    s = str(raw).strip()
    if s.startswith("[") and s.endswith("]"):
        try:
            items = ast.literal_eval(s)
        except (ValueError, SyntaxError):
            items = [p.strip(" '\"") for p in s[1:-1].split(",")]
        s = str(items[0]).strip() if len(items) else ""
    return s.lower() if s else "road"


def _class_speed(cls: str, speeds: dict[str, dict[str, float]], vehicle_class: str) -> float:
    """Speed (km/h) for one road class: exact, alias, ``_link`` base, then ``road``."""
    key = normalise_class(cls)
    tries = [key, CLASS_ALIASES.get(key, ""), CLASS_ALIASES.get(str(cls).strip(), "")]
    if key.endswith("_link"):
        tries.append(key[: -len("_link")])
    tries.append("road")
    for t in tries:
        if t and t in speeds:
            entry = speeds[t]
            if vehicle_class not in entry:
                msg = (f"speeds table entry '{t}' has no speed for vehicle class "
                       f"'{vehicle_class}'; add it (km/h)")
                raise ValueError(msg)
            v = float(entry[vehicle_class])
            if not v > 0:
                msg = f"speeds table entry '{t}'.{vehicle_class} must be > 0 km/h, got {v}"
                raise ValueError(msg)
            return v
    msg = f"speeds table has no entry for road class '{cls}' and no 'road' fallback; add 'road'"
    raise ValueError(msg)


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


# --------------------------------------------------------------------------- the data structure
@dataclass(frozen=True, eq=False)
class ComponentReport:
    """Weakly connected components of a road network."""

    n_components: int
    #: Share of nodes in the largest component (0..1).
    largest_share: float
    #: Component label per node (int32).
    labels: np.ndarray
    #: Label of the largest component.
    largest_label: int


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road graph as flat numpy arrays (nodes by index, edges as index pairs).

    Attributes
    ----------
    node_id
        int64 original node ids (OSM ids, or 0..n-1 for line layers).
    lon, lat
        float64 WGS84 degrees.
    x, y
        float64 metres in ``crs``.
    crs
        Metric CRS of ``x``/``y`` (UTM zone of the mean position), e.g. ``"EPSG:32649"``.
    edge_u, edge_v
        int32 node indices; directed, so two-way roads appear twice.
    edge_length_m
        float64 metres (great-circle along the road shape).
    edge_class
        object array of road classes (OSM ``highway`` values or the line layer's class).
    source
        Human description of where the network comes from.
    schematic
        True when the network is drawn or generated, not surveyed.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: str
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_class: np.ndarray
    source: str
    schematic: bool = False

    def __post_init__(self) -> None:
        n = len(self.node_id)
        for name in ("lon", "lat", "x", "y"):
            if len(getattr(self, name)) != n:
                msg = f"RoadNetwork.{name} has {len(getattr(self, name))} values, expected {n}"
                raise ValueError(msg)
        m = len(self.edge_u)
        for name in ("edge_v", "edge_length_m", "edge_class"):
            if len(getattr(self, name)) != m:
                msg = f"RoadNetwork.{name} has {len(getattr(self, name))} values, expected {m}"
                raise ValueError(msg)
        if m and (min(self.edge_u.min(), self.edge_v.min()) < 0
                  or max(self.edge_u.max(), self.edge_v.max()) >= n):
            msg = "RoadNetwork edge_u/edge_v must be node indices in 0..n_nodes-1"
            raise ValueError(msg)

    # ------------------------------------------------------------------ sizes
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_id)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.edge_u)

    # ------------------------------------------------------------------ speeds
    def edge_speeds_kph(self, speeds: dict[str, dict[str, float]],
                        vehicle_class: str) -> np.ndarray:
        """Free-flow speed of every directed edge (km/h).

        Parameters
        ----------
        speeds
            ``{road_class: {"light": kph, "heavy": kph}}`` (e.g.
            ``NetworkSpec.speed_table()``). A class is looked up as is (lower-cased; osmnx
            lists give their first element), then through :data:`CLASS_ALIASES` (Chinese
            class names), then without ``_link``, then as ``"road"``.
        vehicle_class
            ``"light"`` or ``"heavy"``.

        Returns
        -------
        numpy.ndarray
            float64 km/h, one per edge.
        """
        if self.n_edges == 0:
            return np.zeros(0)
        classes, inv = np.unique(self.edge_class.astype(str), return_inverse=True)
        per_class = np.array([_class_speed(c, speeds, vehicle_class) for c in classes])
        return per_class[inv.ravel()]

    # ------------------------------------------------------------------ geometry
    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.x, self.y]))

    @cached_property
    def _to_metric(self) -> Transformer:
        return Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 degrees -> metres in :attr:`crs`."""
        x, y = self._to_metric.transform(np.asarray(lon, dtype=np.float64),
                                         np.asarray(lat, dtype=np.float64))
        return np.asarray(x), np.asarray(y)

    def snap(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each point (KD-tree).

        Parameters
        ----------
        x, y
            Point coordinates in metres of :attr:`crs` (see :meth:`project`).

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            int64 node indices and float64 straight-line distances (m). Use
            :meth:`island_nodes` to find points that landed off the main component.
        """
        pts = np.column_stack([np.atleast_1d(np.asarray(x, dtype=np.float64)),
                               np.atleast_1d(np.asarray(y, dtype=np.float64))])
        dist, idx = self._tree.query(pts)
        return np.asarray(idx, dtype=np.int64), np.asarray(dist, dtype=np.float64)

    # ------------------------------------------------------------------ connectivity
    @cached_property
    def _components(self) -> ComponentReport:
        n = self.n_nodes
        if n == 0:
            return _component_report(np.zeros(0, dtype=np.int32))
        g = coo_matrix((np.ones(self.n_edges, dtype=np.int8), (self.edge_u, self.edge_v)),
                       shape=(n, n)).tocsr()
        _, labels = connected_components(g, directed=True, connection="weak")
        return _component_report(labels)

    def components(self) -> ComponentReport:
        """Weakly connected components: count, largest share and a label per node."""
        return self._components

    def largest_component_mask(self) -> np.ndarray:
        """Boolean per node: True when the node is in the largest weak component."""
        rep = self._components
        return rep.labels == rep.largest_label

    def island_nodes(self, node_idx: np.ndarray) -> np.ndarray:
        """Boolean per given node index: True when it is *not* in the largest component."""
        idx = np.asarray(node_idx, dtype=np.int64)
        return ~self.largest_component_mask()[idx]

    # ------------------------------------------------------------------ exports
    def edges_gdf(self, *, merge: bool = False) -> gpd.GeoDataFrame:
        """Undirected road segments as WGS84 lines (for maps).

        Parameters
        ----------
        merge
            Join consecutive segments of the same road class and one-way flag into longer
            lines (far fewer rows for maps; ``u``/``v`` are then -1).

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326, one row per node pair (or merged line): ``u``, ``v`` (node indices),
            ``road_class``, ``length_m``, ``oneway`` (True when only one direction exists).
        """
        import geopandas as gpd

        u = np.asarray(self.edge_u, dtype=np.int64)
        v = np.asarray(self.edge_v, dtype=np.int64)
        a, b = np.minimum(u, v), np.maximum(u, v)
        key = a * self.n_nodes + b
        uniq, first = np.unique(key, return_index=True)
        # a pair is two-way when both directions exist (parallel edges do not count)
        fwd = np.zeros(len(uniq), dtype=bool)
        bwd = np.zeros(len(uniq), dtype=bool)
        pos = np.searchsorted(uniq, key)
        fwd[pos[u <= v]] = True
        bwd[pos[u > v]] = True
        eu, ev = u[first], v[first]
        coords = np.stack([np.column_stack([self.lon[eu], self.lat[eu]]),
                           np.column_stack([self.lon[ev], self.lat[ev]])], axis=1)
        geom = shapely.linestrings(coords) if len(coords) else []
        gdf = gpd.GeoDataFrame(
            {"u": eu, "v": ev, "road_class": self.edge_class[first].astype(str),
             "length_m": self.edge_length_m[first], "oneway": ~(fwd & bwd)},
            geometry=geom, crs="EPSG:4326")
        if not merge or len(gdf) == 0:
            return gdf
        rows = []
        for (cls, ow), grp in gdf.groupby(["road_class", "oneway"], sort=True):
            merged = shapely.line_merge(shapely.multilinestrings(grp.geometry.values),
                                        directed=bool(ow))
            for line in shapely.get_parts(merged):
                c = shapely.get_coordinates(line)
                length = float(haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]).sum())
                rows.append((cls, bool(ow), length, line))
        cls_, ow_, len_, geom_ = zip(*rows, strict=True)
        return gpd.GeoDataFrame({"u": -1, "v": -1, "road_class": list(cls_),
                                 "length_m": list(len_), "oneway": list(ow_)},
                                geometry=list(geom_), crs="EPSG:4326")

    def to_networkx(self) -> nx.MultiDiGraph:
        """The network as a networkx MultiDiGraph keyed by node index (for tests/tools).

        Nodes carry ``x`` (lon), ``y`` (lat), ``node_id``; edges ``length`` (m) and
        ``highway`` (road class). Graph attribute ``crs`` is ``"EPSG:4326"``.
        """
        import networkx as nx

        g = nx.MultiDiGraph(crs="EPSG:4326")
        g.add_nodes_from((i, {"x": float(self.lon[i]), "y": float(self.lat[i]),
                              "node_id": int(self.node_id[i])}) for i in range(self.n_nodes))
        g.add_edges_from((int(u), int(v), {"length": float(ln), "highway": str(c)})
                         for u, v, ln, c in zip(self.edge_u, self.edge_v, self.edge_length_m,
                                                self.edge_class, strict=True))
        return g


def _component_report(labels: np.ndarray) -> ComponentReport:
    """Component sizes and the largest one from labels 0..k-1 (one per node)."""
    labels = np.asarray(labels, dtype=np.int32)
    if len(labels) == 0:
        return ComponentReport(0, 0.0, labels, -1)
    sizes = np.bincount(labels)
    big = int(np.argmax(sizes))
    return ComponentReport(len(sizes), float(sizes[big] / len(labels)), labels, big)


# --------------------------------------------------------------------------- assembling
def _make_network(lon: np.ndarray, lat: np.ndarray, node_id: np.ndarray, u: np.ndarray,
                  v: np.ndarray, length: np.ndarray, cls: np.ndarray, *, source: str,
                  schematic: bool, crs: str | None = None) -> RoadNetwork:
    """Drop unused nodes and self-loops, project, and build the RoadNetwork."""
    keep = u != v
    u, v, length, cls = u[keep], v[keep], length[keep], cls[keep]
    if len(u) == 0:
        msg = f"{source}: no usable road segments (empty network); check the data covers roads"
        raise NetworkError(msg)
    used = np.zeros(len(lon), dtype=bool)
    used[u] = True
    used[v] = True
    remap = np.cumsum(used) - 1
    lon, lat, node_id = lon[used], lat[used], node_id[used]
    u, v = remap[u], remap[v]
    crs = crs or utm_crs(lon, lat)
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return RoadNetwork(
        node_id=np.asarray(node_id, dtype=np.int64), lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64), x=np.asarray(x, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64), crs=crs, edge_u=u.astype(np.int32),
        edge_v=v.astype(np.int32), edge_length_m=np.asarray(length, dtype=np.float64),
        edge_class=np.asarray(cls, dtype=object), source=source, schematic=schematic)


def _from_pieces(node_key: np.ndarray, vlon: np.ndarray, vlat: np.ndarray, start: np.ndarray,
                 piece_class: np.ndarray, piece_oneway: np.ndarray, *, keys_are_ids: bool,
                 source: str, schematic: bool) -> RoadNetwork:
    """Build a network from polylines given as flat vertex arrays.

    Piece ``k`` is vertices ``start[k]:start[k+1]``; vertices sharing a ``node_key`` are one
    node (a junction). Consecutive vertices of a piece form an edge, in both directions
    unless ``piece_oneway`` is 1 (digitised direction) or -1 (against it).
    """
    nv = len(node_key)
    n_pieces = len(start) - 1
    if nv < 2 or n_pieces < 1:
        msg = f"{source}: no usable road segments (empty network); check the data covers roads"
        raise NetworkError(msg)
    uniq, first, inv = np.unique(node_key, return_index=True, return_inverse=True)
    inv = inv.ravel()
    piece_of = np.repeat(np.arange(n_pieces), np.diff(start))
    valid = np.ones(nv - 1, dtype=bool)
    valid[start[1:-1] - 1] = False          # no segment across a piece boundary
    k = np.nonzero(valid)[0]
    pu, pv = inv[k], inv[k + 1]
    length = haversine_m(vlon[k], vlat[k], vlon[k + 1], vlat[k + 1])
    p = piece_of[k]
    d = piece_oneway[p]
    cls = piece_class[p]
    fwd, bwd = d >= 0, d <= 0
    u = np.concatenate([pu[fwd], pv[bwd]])
    v = np.concatenate([pv[fwd], pu[bwd]])
    ln = np.concatenate([length[fwd], length[bwd]])
    c = np.concatenate([cls[fwd], cls[bwd]])
    ids = uniq if keys_are_ids else np.arange(len(uniq))
    return _make_network(vlon[first], vlat[first], ids, u, v, ln, c, source=source,
                         schematic=schematic)


# --------------------------------------------------------------------------- networkx / GraphML
def from_networkx(G: nx.Graph, *, source: str = "networkx graph", schematic: bool = False,
                  coords: str = "wgs84") -> RoadNetwork:
    """A RoadNetwork from a networkx graph (osmnx graphs included).

    Parameters
    ----------
    G
        Nodes need ``x``/``y`` (or ``lon``/``lat``) coordinates in ``G.graph["crs"]``
        (default EPSG:4326). Edges may carry ``length`` (m; else the straight great-circle
        distance) and ``highway`` (road class; else ``"road"``). Undirected graphs give both
        directions.
    source
        Description kept on the network.
    schematic
        Mark the network as drawn/generated rather than surveyed.
    coords
        {"wgs84", "gcj02", "bd09"}: convention of geographic node coordinates.

    Returns
    -------
    RoadNetwork
    """
    nodes = list(G.nodes)
    if not nodes:
        msg = f"{source}: the graph has no nodes (empty network); check the file"
        raise NetworkError(msg)
    xs = np.empty(len(nodes))
    ys = np.empty(len(nodes))
    for i, (n, d) in enumerate(G.nodes(data=True)):
        try:
            xs[i] = float(d["x"] if "x" in d else d["lon"])
            ys[i] = float(d["y"] if "y" in d else d["lat"])
        except (KeyError, TypeError, ValueError):
            msg = (f"{source}: node {n!r} has no numeric x/y (or lon/lat) coordinates; every "
                   "node needs them")
            raise NetworkError(msg) from None
    crs = CRS.from_user_input(G.graph.get("crs") or "EPSG:4326")
    if not crs.is_geographic or crs.to_epsg() != 4326:
        xs, ys = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
        xs, ys = np.asarray(xs), np.asarray(ys)
    xs, ys = _apply_coords_flag(xs, ys, coords)
    _check_degrees(xs, ys, source)
    try:
        ids = np.array([int(n) for n in nodes], dtype=np.int64)
    except (TypeError, ValueError):
        ids = np.arange(len(nodes), dtype=np.int64)
    index = {n: i for i, n in enumerate(nodes)}
    us, vs, lens, classes = [], [], [], []
    for a, b, d in G.edges(data=True):
        us.append(index[a])
        vs.append(index[b])
        ln = d.get("length")
        try:
            lens.append(float(ln) if ln is not None else np.nan)
        except (TypeError, ValueError):
            lens.append(np.nan)
        classes.append(normalise_class(d.get("highway")))
    u = np.asarray(us, dtype=np.int64)
    v = np.asarray(vs, dtype=np.int64)
    length = np.asarray(lens, dtype=np.float64)
    missing = ~np.isfinite(length)
    if missing.any():
        length[missing] = haversine_m(xs[u[missing]], ys[u[missing]], xs[v[missing]],
                                      ys[v[missing]])
    cls = np.asarray(classes, dtype=object)
    if not G.is_directed():
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        length = np.concatenate([length, length])
        cls = np.concatenate([cls, cls])
    return _make_network(xs, ys, ids, u, v, length, cls, source=source, schematic=schematic)


# --------------------------------------------------------------------------- line layers
def from_lines(gdf: gpd.GeoDataFrame, *, class_column: str = "highway",
               oneway_column: str | None = None, level_column: str | None = "layer",
               snap_m: float = 1.0, source: str = "line layer", schematic: bool = False,
               ) -> RoadNetwork:
    """Node a GIS line layer into a routable network.

    Lines are split at every vertex, at shared endpoints and at crossings with other lines;
    a line end within ``snap_m`` of another line is joined to it (undershoots/overshoots of
    hand-drawn data), and junction points within ``snap_m`` of each other become one node.

    Parameters
    ----------
    gdf
        LineString/MultiLineString features with a CRS (any; converted internally).
    class_column
        Column with the road class (OSM ``highway`` values or Chinese class names, see
        :data:`CLASS_ALIASES`); a missing column or empty value gives ``"road"``.
    oneway_column
        Column saying a line is one-way in its digitised direction (yes/true/1/是) or against
        it (-1/reverse); None = all lines two-way.
    level_column
        If this column exists, crossing lines are joined only when their values are equal
        (grade separation: bridges, tunnels; OSM ``layer`` convention, missing = 0).
    snap_m
        Snapping tolerance in metres.
    source, schematic
        Kept on the network.

    Returns
    -------
    RoadNetwork
        ``node_id`` is 0..n-1.
    """
    if gdf.crs is None:
        msg = f"{source}: the line layer has no CRS; set one (e.g. EPSG:4326) before noding"
        raise CRSMismatchError(msg)
    gdf = _check_line_geometry(gdf, source)
    plane = _NodingPlane.for_layer(gdf)
    parts = gdf.explode(index_parts=False)
    lines = shapely.transform(np.asarray(parts.geometry.values, dtype=object), plane.forward)
    lines = shapely.remove_repeated_points(lines, 0.0)
    degenerate = shapely.length(lines) <= 0
    if degenerate.any():
        logger.warning("%s: %d zero-length line part(s) ignored", source, int(degenerate.sum()))
    parts = parts[~degenerate]
    lines = lines[~degenerate]
    if len(lines) == 0:
        msg = f"{source}: no line with non-zero length (empty network); check the layer"
        raise NetworkError(msg)
    if class_column in parts.columns:
        classes = np.array([_layer_class(c) for c in parts[class_column]], dtype=object)
    else:
        logger.info("%s: no '%s' column; every line is road class 'road'", source,
                    class_column)
        classes = np.full(len(parts), "road", dtype=object)
    if oneway_column is not None:
        if oneway_column not in parts.columns:
            msg = (f"{source}: one-way column '{oneway_column}' not found (columns: "
                   f"{[c for c in parts.columns if c != 'geometry']}); fix network.oneway_column")
            raise InputDataError(msg)
        oneway = np.array([_oneway_code(v) for v in parts[oneway_column]], dtype=np.int8)
    else:
        if "oneway" in parts.columns:
            logger.info("%s: an 'oneway' column exists but network.oneway_column is not set; "
                        "all lines are treated as two-way", source)
        oneway = np.zeros(len(parts), dtype=np.int8)
    level = None
    if level_column and level_column in parts.columns:
        level = pd.to_numeric(parts[level_column], errors="coerce").fillna(0).to_numpy()
    tol = snap_m / plane.metres_per_unit
    xy, line_of, special = _node_geometry(lines, level, tol)
    keys = _junction_keys(xy, special, tol)  # moves joined points to their mean
    vlon, vlat = plane.to_wgs84(xy)
    start = np.concatenate([[0], np.nonzero(np.diff(line_of))[0] + 1, [len(line_of)]])
    piece = line_of[start[:-1]]
    return _from_pieces(keys, np.asarray(vlon), np.asarray(vlat), start, classes[piece],
                        oneway[piece], keys_are_ids=False, source=source, schematic=schematic)


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
    label = f"row {i}"
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
    # crossings and touches between different lines (same level only)
    a, b = tree.query(lines, predicate="intersects")
    m = a < b
    if level is not None:
        m &= level[a] == level[b]
    a, b = a[m], b[m]
    split_line: list[np.ndarray] = []
    split_xy: list[np.ndarray] = []
    if len(a):
        inter = shapely.intersection(lines[a], lines[b])
        pts, which = shapely.get_coordinates(inter, return_index=True)
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


def _apply_coords_flag(lon: np.ndarray, lat: np.ndarray,
                       coords: str) -> tuple[np.ndarray, np.ndarray]:
    """Shift GCJ-02 / BD-09 degrees to WGS84 (siting.crs, imported lazily)."""
    if coords in (None, "wgs84"):
        return lon, lat
    from siting import crs as _crs  # lazy: optional at import time

    if coords == "gcj02":
        out = _crs.gcj02_to_wgs84(np.asarray(lon), np.asarray(lat))
    elif coords == "bd09":
        out = _crs.bd09_to_wgs84(np.asarray(lon), np.asarray(lat))
    else:
        msg = f"unknown coordinate convention '{coords}'; use wgs84, gcj02 or bd09"
        raise ValueError(msg)
    return np.asarray(out[0], dtype=np.float64), np.asarray(out[1], dtype=np.float64)


def _check_degrees(lon: np.ndarray, lat: np.ndarray, source: str) -> None:
    if (not np.all(np.isfinite(lon)) or not np.all(np.isfinite(lat))
            or np.abs(lon).max() > 180 or np.abs(lat).max() > 90):
        msg = (f"{source}: coordinates are not valid WGS84 degrees after reprojection; the "
               "declared CRS is probably wrong - set network.crs to the data's real CRS")
        raise CRSMismatchError(msg)


def _read_line_layer(spec: NetworkSpec, path: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path, layer=spec.layer) if spec.layer else gpd.read_file(path)
    except Exception as e:  # pyogrio raises several error types for unreadable files
        msg = f"{path}: cannot read the line layer ({_one_line(e)}); check the file and layer"
        raise NetworkError(msg) from None
    if len(gdf) == 0:
        msg = f"{path}: the line layer has no features (empty network); check the file/layer"
        raise NetworkError(msg)
    if gdf.crs is None:
        if spec.crs is None:
            msg = (f"{path}: the line layer has no CRS; set network.crs in the scenario "
                   "(e.g. 'EPSG:4326', or 'EPSG:4547' for CGCS2000 3-degree zone 38)")
            raise CRSMismatchError(msg)
        gdf = gdf.set_crs(spec.crs)
    elif spec.crs is not None and CRS.from_user_input(spec.crs) != gdf.crs:
        logger.warning("%s: file CRS %s used; network.crs=%s ignored", path,
                       gdf.crs.to_string(), spec.crs)
    gdf = _check_line_geometry(gdf, str(path))
    lonlat = shapely.get_coordinates(gdf.to_crs("EPSG:4326").geometry.values)
    _check_degrees(lonlat[:, 0], lonlat[:, 1], str(path))
    if spec.coords != "wgs84":
        def shift(c: np.ndarray) -> np.ndarray:
            lon, lat = _apply_coords_flag(c[:, 0], c[:, 1], spec.coords)
            return np.column_stack([lon, lat])

        gdf = gdf.to_crs("EPSG:4326")
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, shift), crs="EPSG:4326")
    return gdf  # in its own CRS (noding happens there), or WGS84 after a shift


# --------------------------------------------------------------------------- npz cache
def save_network(net: RoadNetwork, path: str | Path, *, compress: bool = True,
                 cache_meta: dict[str, Any] | None = None) -> Path:
    """Write a network to a compact ``.npz`` (atomic: temp file then rename).

    Read it back with :func:`load_network` (suffix ``.npz``) or :func:`read_npz`. The file
    also holds the weak component of every node, so reading it needs no graph search.

    Parameters
    ----------
    net
        The network.
    path
        Output file; its folder is created.
    compress
        Deflate the arrays (about 2x smaller). Off, the file also keeps the projected
        ``x``/``y``, and a 7-million-node network is written in ~1 s instead of ~40 s and
        read in ~2 s instead of ~5 s (the cache of local files uses that).
    cache_meta
        JSON-serialisable description of what the file caches (used by
        :func:`load_network`'s cache of local files to recognise its own entries).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        The folder or file cannot be written (no temp file is left behind).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    classes, codes = np.unique(net.edge_class.astype(str), return_inverse=True)
    meta = {"format": _NPZ_FORMAT, "source": net.source, "schematic": bool(net.schematic),
            "crs": net.crs}
    if cache_meta is not None:
        meta["cache"] = cache_meta
    code_type = np.uint8 if len(classes) <= 256 else np.int32
    arrays = {"node_id": net.node_id, "lon": net.lon, "lat": net.lat, "edge_u": net.edge_u,
              "edge_v": net.edge_v, "edge_length_m": net.edge_length_m, "classes": classes,
              "class_code": codes.ravel().astype(code_type),
              "component": net.components().labels,
              "meta": np.array(json.dumps(meta, ensure_ascii=False))}
    if not compress:  # reading then skips the reprojection (~40% of the read time)
        arrays.update(x=net.x, y=net.y)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            (np.savez_compressed if compress else np.savez)(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_npz(path: str | Path) -> RoadNetwork:
    """Read a network written by :func:`save_network`.

    Raises
    ------
    NetworkError
        The file is missing, truncated, corrupt, of another format version, or not a
        network file.
    """
    return _read_npz_meta(path)[0]


def _npz_meta(path: Path) -> dict[str, Any]:
    """The ``meta`` record of a network file (reads nothing else; {} when unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except _NPZ_ERRORS:
        return {}
    return meta if isinstance(meta, dict) else {}


def _read_npz_meta(path: str | Path) -> tuple[RoadNetwork, dict[str, Any]]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != _NPZ_FORMAT:
                msg = (f"{path}: network cache format {meta.get('format')} is not "
                       f"{_NPZ_FORMAT}; delete the file to rebuild it")
                raise NetworkError(msg)
            lon, lat = z["lon"], z["lat"]
            crs = meta["crs"]
            if "x" in z.files and "y" in z.files:
                x, y = z["x"], z["y"]
            else:
                x, y = Transformer.from_crs("EPSG:4326", crs,
                                            always_xy=True).transform(lon, lat)
            net = RoadNetwork(
                node_id=z["node_id"], lon=lon, lat=lat, x=np.asarray(x), y=np.asarray(y),
                crs=crs, edge_u=z["edge_u"], edge_v=z["edge_v"],
                edge_length_m=z["edge_length_m"],
                edge_class=z["classes"].astype(object)[z["class_code"]],
                source=meta["source"], schematic=bool(meta["schematic"]))
            if "component" in z.files:  # written since the cache of local files
                labels = z["component"]
                if len(labels) != net.n_nodes:
                    msg = f"{len(labels)} component labels for {net.n_nodes} nodes"
                    raise ValueError(msg)
                # RoadNetwork.components() is a cached_property: fill its slot
                net.__dict__["_components"] = _component_report(labels)
    except _NPZ_ERRORS as e:
        if isinstance(e, NetworkError):
            raise
        msg = f"{path}: not a siting network file ({_one_line(e)}); delete it or re-fetch"
        raise NetworkError(msg) from None
    return net, meta


def cache_key(spec: NetworkSpec) -> str:
    """Key of the online query (place or bbox + road filter) naming its ``.npz`` cache."""
    query = {"place": spec.place, "bbox": list(spec.bbox) if spec.bbox else None,
             "filter": _osm.overpass_truck_filter(), "format": _NPZ_FORMAT}
    digest = hashlib.sha1(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]
    kind = "bbox" if spec.bbox else "place"
    return f"roads-{kind}-{digest}"


# --------------------------------------------------------------------------- loading
def _one_line(e: BaseException) -> str:
    return re.sub(r"\s+", " ", str(e)).strip()[:300] or type(e).__name__


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in (".osm.pbf", ".osm.bz2", ".osm.gz"):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _describe(spec: NetworkSpec, auto: str) -> str:
    return f"{auto}; {spec.provenance}" if spec.provenance else auto


def _load_online(spec: NetworkSpec, osmnx_settings: dict[str, Any] | None) -> RoadNetwork:
    cache_dir = Path(spec.cache_dir)
    cached = cache_dir / f"{cache_key(spec)}.npz"
    if cached.is_file():
        logger.info("road network from cache %s", cached)
        return read_npz(cached)
    what = f"place '{spec.place}'" if spec.place else f"bbox {list(spec.bbox or ())}"
    import requests
    from osmnx._errors import InsufficientResponseError

    try:
        G = _osm.download_graph(place=spec.place, bbox=spec.bbox,
                                http_cache=cache_dir / "http", settings=osmnx_settings)
    except InsufficientResponseError as e:
        msg = (f"no drivable roads found for {what} ({_one_line(e)}; empty network); check "
               "the place name or bbox [west, south, east, north] in WGS84 degrees")
        raise NetworkError(msg) from None
    except (requests.RequestException, OSError, ValueError, TypeError) as e:
        msg = (f"cannot download OSM roads for {what}: {_one_line(e)}; check the internet "
               "connection or the Overpass server (osmnx_settings overpass_url), or give "
               "network.path (an .osm.pbf extract)")
        raise NetworkError(msg) from None
    auto = f"OpenStreetMap via Overpass/osmnx ({what}, fleet road filter)"
    net = from_networkx(G, source=_describe(spec, auto), schematic=spec.schematic)
    save_network(net, cached)
    logger.info("road network cached in %s", cached)
    return net


def _load_path(spec: NetworkSpec, path: Path) -> RoadNetwork:
    suffix = _suffix(path)
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if suffix not in SUPPORTED_SUFFIXES:
        msg = f"{path}: unsupported road network format '{suffix}'; use one of {supported}"
        raise NetworkError(msg)
    if not path.is_file():
        msg = f"{path}: road network file not found; check network.path ({supported})"
        raise NetworkError(msg)
    if suffix == ".npz":
        return read_npz(path)
    cache = _LocalCache.for_file(spec, path)  # keyed before parsing: a file changing now
    net = cache.read() if cache is not None else None  # gets a new key next time
    if net is not None:
        return net
    net = _parse_file(spec, path, suffix)
    if cache is not None:
        cache.write(net)
    return net


def _parse_file(spec: NetworkSpec, path: Path, suffix: str) -> RoadNetwork:
    """Read an OSM, GraphML or line-layer file into a network (no cache)."""
    if suffix in _OSM_SUFFIXES:
        return _parse_osm(spec, path)
    if suffix == ".graphml":
        import networkx as nx

        try:
            G = nx.read_graphml(path)
        except Exception as e:  # malformed XML raises several error types
            msg = f"{path}: cannot read GraphML ({_one_line(e)}); check the file"
            raise NetworkError(msg) from None
        if spec.crs and "crs" not in G.graph:
            G.graph["crs"] = spec.crs
        return from_networkx(G, source=_describe(spec, f"GraphML {path.name}"),
                             schematic=spec.schematic, coords=spec.coords)
    gdf = _read_line_layer(spec, path)
    kind = "schematic line layer" if spec.schematic else "line layer"
    return from_lines(gdf, class_column=spec.class_column, oneway_column=spec.oneway_column,
                      source=_describe(spec, f"{kind} {path.name}"), schematic=spec.schematic)


def _parse_osm(spec: NetworkSpec, path: Path) -> RoadNetwork:
    if spec.coords != "wgs84":
        logger.warning("%s: OSM data is WGS84; network.coords=%s ignored", path, spec.coords)
    try:
        ways = _osm.read_osm_ways(path)
    except RuntimeError as e:
        msg = f"{path}: cannot read the OSM file ({_one_line(e)}); check it is not truncated"
        raise NetworkError(msg) from None
    if ways.n_missing:
        logger.info("%s: %d way nodes without location (outside the extract) dropped",
                    path, ways.n_missing)
    if ways.n_ways == 0:
        msg = (f"{path}: no drivable roads found (empty network; kept highway classes: "
               f"{', '.join(_osm.TRUCK_HIGHWAYS)}); check the extract covers the area")
        raise NetworkError(msg)
    return _from_pieces(ways.node_ref, ways.lon, ways.lat, ways.start, ways.highway,
                        ways.oneway, keys_are_ids=True,
                        source=_describe(spec, f"OpenStreetMap file {path.name}"),
                        schematic=spec.schematic)


# --------------------------------------------------------------------------- cache of local files
def _source_files(path: Path) -> list[Path]:
    """The file and the sidecar files its reader also uses (shapefile .dbf/.shx/...,
    GeoPackage write-ahead log)."""
    files = [path]
    if path.suffix.lower() == ".shp":
        files += [path.with_suffix(s) for s in _SIDECAR_SUFFIXES[".shp"]]
    elif path.suffix.lower() == ".gpkg":
        files.append(path.with_name(path.name + "-wal"))
    return [f for f in files if f is path or f.is_file()]


@dataclass(frozen=True)
class _LocalCache:
    """The ``.npz`` cache entry of one local road file, as parsed with one spec.

    The key covers the resolved path, size and modification time (ns) of the file and its
    sidecars, the spec fields used while parsing, the OSM road filter and
    :data:`LOCAL_CACHE_FORMAT`; any change gives another entry. A file holds its key in its
    ``meta`` record, so a renamed, stale or damaged file is never taken for a hit.
    """

    path: Path
    key: str
    origin: str
    files: tuple[tuple[str, int, int], ...]

    @classmethod
    def for_file(cls, spec: NetworkSpec, path: Path) -> _LocalCache | None:
        """The entry for ``path`` parsed with ``spec``; None below the size threshold."""
        src = path.resolve()
        stats = [(f, f.stat()) for f in _source_files(src)]
        if sum(st.st_size for _, st in stats) < LOCAL_CACHE_MIN_BYTES:
            return None
        files = tuple((f.name, st.st_size, st.st_mtime_ns) for f, st in stats)
        state = {"origin": str(src), "files": files, "filter": _osm.overpass_truck_filter(),
                 "spec": {k: getattr(spec, k) for k in _PARSE_FIELDS},
                 "format": [LOCAL_CACHE_FORMAT, _NPZ_FORMAT]}
        key = hashlib.sha1(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", src.name)[:48]
        return cls(Path(spec.cache_dir) / f"roads-file-{stem}-{key[:16]}.npz", key, str(src),
                   files)

    def read(self) -> RoadNetwork | None:
        """The cached network, or None (no entry; a damaged or stale one is ignored)."""
        if not self.path.is_file():
            return None
        try:
            net, meta = _read_npz_meta(self.path)
        except NetworkError as e:
            logger.warning("road network cache ignored and rebuilt: %s", e)
            return None
        if meta.get("cache", {}).get("key") != self.key:
            logger.warning("road network cache %s belongs to another file or version; "
                           "rebuilding it", self.path)
            return None
        logger.info("road network %s from cache %s", self.origin, self.path)
        return net

    def write(self, net: RoadNetwork) -> None:
        """Store ``net``; a cache folder that cannot be written only costs a warning."""
        meta = {"key": self.key, "origin": self.origin, "files": self.files}
        try:
            save_network(net, self.path, compress=False, cache_meta=meta)
        except OSError as e:
            logger.warning("cannot write the road network cache %s (%s); the file is parsed "
                           "again next time - set network.cache_dir to a writable folder",
                           self.path, _one_line(e))
            return
        logger.info("road network cached in %s", self.path)
        self._drop_outdated()

    def _drop_outdated(self) -> None:
        """Delete entries of earlier versions of the same file (they can never be hit)."""
        stem = self.path.name.rsplit("-", 1)[0]
        for other in self.path.parent.glob(f"{stem}-*.npz"):
            if other == self.path:
                continue
            cached = _npz_meta(other).get("cache", {})
            if (cached.get("origin") == self.origin
                    and [tuple(f) for f in cached.get("files", [])] != list(self.files)):
                with contextlib.suppress(OSError):
                    other.unlink()
                    logger.info("outdated road network cache %s removed", other)


def load_network(spec: NetworkSpec, *,
                 osmnx_settings: dict[str, Any] | None = None) -> RoadNetwork:
    """Load the road network a scenario names.

    Parameters
    ----------
    spec
        ``NetworkSpec``: ``path`` (suffix picks the reader, see :data:`SUPPORTED_SUFFIXES`),
        or ``place`` / ``bbox`` (WGS84 ``[west, south, east, north]``) to download from
        OpenStreetMap through osmnx; downloads are cached in ``spec.cache_dir`` (osmnx HTTP
        cache in ``http/`` and the finished network as ``roads-*.npz``), so a second call
        needs no network access. Local OSM, GraphML and line-layer files of at least
        :data:`LOCAL_CACHE_MIN_BYTES` (5 MB) are parsed once and kept there too
        (``roads-file-<name>-<key>.npz``); the next call with the same file and settings
        reads that instead. The key covers the resolved path, size and modification time
        of the file (and of a shapefile's sidecars), the fields used while parsing (``crs``,
        ``coords``, ``layer``, ``class_column``, ``oneway_column``, ``schematic``,
        ``provenance``) and :data:`LOCAL_CACHE_FORMAT`, so editing or replacing the file
        rebuilds it (entries of the file's earlier versions are deleted). A damaged or stale
        entry is rebuilt, and a folder that cannot be written only logs a warning. Delete
        the folder to clear the cache.
    osmnx_settings
        Extra ``osmnx.settings`` values for a download (e.g. ``{"overpass_url": ...}`` for a
        mirror, ``{"requests_timeout": 300}``), restored afterwards.

    Returns
    -------
    RoadNetwork
        Logs a warning when the largest weakly connected component holds less than 95% of
        the nodes.

    Raises
    ------
    NetworkError
        Missing/unsupported/unreadable file, failed download, or no usable roads.
    CRSMismatchError
        A line layer without CRS (and no ``network.crs``), or coordinates that are not
        degrees after reprojection.
    InputDataError
        A line layer feature that is not a line.
    """
    if spec.path is not None:
        net = _load_path(spec, Path(spec.path))
    elif spec.place is not None or spec.bbox is not None:
        net = _load_online(spec, osmnx_settings)
    else:  # pragma: no cover - NetworkSpec validates this
        msg = "network: give one of path, place or bbox"
        raise NetworkError(msg)
    rep = net.components()
    logger.info("road network: %d nodes, %d directed edges, %d component(s) (%s)",
                net.n_nodes, net.n_edges, rep.n_components, net.source)
    if rep.largest_share < COMPONENT_WARN_SHARE:
        logger.warning(
            "road network %s: the largest connected part holds only %.1f%% of %d nodes "
            "(%d parts); points snapped to the other parts cannot reach most stations - "
            "check for missing links or a too-strict extract", net.source,
            100 * rep.largest_share, net.n_nodes, rep.n_components)
    return net
