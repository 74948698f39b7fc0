"""The road graph type :class:`RoadNetwork`, its :class:`ComponentReport`, and the helpers
every reader shares (great-circle lengths, road-class names, assembling the arrays).

Every way/line vertex becomes a node (no simplification), so snapping is to the real road
shape and :meth:`RoadNetwork.edges_gdf` draws the real geometry. Edge lengths are
great-circle (haversine) metres between consecutive vertices; ``x``/``y`` are in the UTM zone
of the network's mean position (:func:`siting.crs.utm_crs`, EPSG:326xx/327xx), e.g.
EPSG:32649 for Suizhou.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from siting._errors import CRSMismatchError, NetworkError, echo
from siting.crs import utm_crs

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

#: Mean Earth radius (m) for haversine lengths.
EARTH_RADIUS_M = 6_371_008.8

#: Chinese road-class names (planning/survey data) -> OSM highway class used for speeds.
CLASS_ALIASES: dict[str, str] = {
    "高速公路": "motorway", "高速": "motorway", "城市快速路": "trunk", "快速路": "trunk",
    "国道": "trunk", "主干路": "primary", "主干道": "primary", "省道": "secondary",
    "次干路": "secondary", "次干道": "secondary", "县道": "tertiary", "支路": "residential",
    "乡道": "unclassified", "村道": "unclassified", "匝道": "motorway_link",
}
#: Vehicle classes that keep to the limits for heavy goods vehicles (OSM ``maxspeed:hgv``,
#: vehicles over 3.5 t): the scenario's ``heavy`` class (compactors, washers, sprinklers,
#: dump trucks). ``light`` (vans and light trucks) keeps to ``maxspeed`` only.
HGV_VEHICLE_CLASSES: frozenset[str] = frozenset({"heavy"})


# --------------------------------------------------------------------------- small helpers
def haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray,
                lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres between WGS84 points (degrees), vectorised."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


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


def one_line(e: BaseException, limit: int = 300) -> str:
    """An exception as one short line: whitespace folded; past ``limit`` characters cut at a
    word boundary and marked with an ellipsis (never mid-word)."""
    text = re.sub(r"\s+", " ", str(e)).strip()
    if len(text) > limit:
        head = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
        text = head.rstrip(" ,;:") + " …"
    return text or type(e).__name__


def check_degrees(lon: np.ndarray, lat: np.ndarray, source: str) -> None:
    """Raise :class:`CRSMismatchError` unless every coordinate is finite WGS84 degrees."""
    if (not np.all(np.isfinite(lon)) or not np.all(np.isfinite(lat))
            or np.abs(lon).max() > 180 or np.abs(lat).max() > 90):
        msg = (f"{source}: coordinates are not valid WGS84 degrees after reprojection; the "
               "declared CRS is probably wrong - set network.crs to the data's real CRS")
        raise CRSMismatchError(msg)


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
    dropped
        Edges of the source left out by the fleet road filter, by reason: a road class
        (``"footway"``, ``"service"`` ...), ``"untagged"`` (no ``highway``), ``"area"``
        (``area=yes``) or ``"no access"`` (``access``/``motor_vehicle``/``motorcar`` =
        private/no). Counted for GraphML input (see
        :func:`siting.network.graphml.from_networkx`); empty when nothing was dropped or the
        source was filtered before it was read (OSM files, Overpass downloads).
    edge_maxspeed_kph
        float32 posted speed limit per edge (km/h, the source's ``maxspeed``, or
        ``maxspeed:forward``/``maxspeed:backward`` in the edge's direction; NaN where none
        is given), or None when no edge has one. Caps :meth:`edge_speeds_kph`.
    edge_maxspeed_hgv_kph
        float32 posted limit for heavy goods vehicles per edge (km/h, ``maxspeed:hgv``, by
        direction as above; NaN where none), or None when no edge has one. Caps the speed of
        :data:`HGV_VEHICLE_CLASSES` only.
    unread_maxspeed
        ``maxspeed`` values that hold no readable limit (``"signals"``, ``"CN:urban"`` ...)
        and the number of source roads with each (see :meth:`maxspeed_summary`).
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
    dropped: Mapping[str, int] = field(default_factory=dict)
    edge_maxspeed_kph: np.ndarray | None = None
    unread_maxspeed: Mapping[str, int] = field(default_factory=dict)
    edge_maxspeed_hgv_kph: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.node_id)
        for name in ("lon", "lat", "x", "y"):
            if len(getattr(self, name)) != n:
                msg = f"RoadNetwork.{name} has {len(getattr(self, name))} values, expected {n}"
                raise ValueError(msg)
        m = len(self.edge_u)
        for name in ("edge_v", "edge_length_m", "edge_class", "edge_maxspeed_kph",
                     "edge_maxspeed_hgv_kph"):
            if getattr(self, name) is not None and len(getattr(self, name)) != m:
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

    @property
    def n_dropped(self) -> int:
        """Edges of the source left out by the fleet road filter (see :attr:`dropped`)."""
        return int(sum(self.dropped.values()))

    @property
    def n_posted_limits(self) -> int:
        """Directed edges with a posted speed limit (:attr:`edge_maxspeed_kph` or
        :attr:`edge_maxspeed_hgv_kph`)."""
        posted = np.zeros(self.n_edges, dtype=bool)
        for limits in (self.edge_maxspeed_kph, self.edge_maxspeed_hgv_kph):
            if limits is not None:
                posted |= np.isfinite(limits)
        return int(posted.sum())

    @property
    def n_hgv_limits(self) -> int:
        """Directed edges with a limit for heavy goods vehicles (:attr:`edge_maxspeed_hgv_kph`)."""
        if self.edge_maxspeed_hgv_kph is None:
            return 0
        return int(np.isfinite(self.edge_maxspeed_hgv_kph).sum())

    def filter_summary(self) -> str:
        """One line on what the fleet road filter dropped, most frequent reason first.

        Returns
        -------
        str
            e.g. ``"31 source edges dropped by the fleet road filter (footway 12, service 9,
            untagged 6, cycleway 4)"``; ``""`` when nothing was dropped.
        """
        if not self.dropped:
            return ""
        parts = sorted(self.dropped.items(), key=lambda kv: (-kv[1], kv[0]))
        detail = ", ".join(f"{k} {v:,}" for k, v in parts)
        return f"{self.n_dropped:,} source edges dropped by the fleet road filter ({detail})"

    def maxspeed_summary(self) -> str:
        """One line on the ``maxspeed`` values that hold no readable limit.

        Returns
        -------
        str
            e.g. ``"maxspeed of 12 source roads holds no speed limit siting reads ('signals'
            8, 'CN:urban' 3, 'walk' 1); their road-class speed is used"``; ``""`` when every
            value was read.
        """
        if not self.unread_maxspeed:
            return ""
        parts = sorted(self.unread_maxspeed.items(), key=lambda kv: (-kv[1], kv[0]))
        detail = ", ".join(f"{echo(k)} {v:,}" for k, v in parts[:5])
        more = f" and {len(parts) - 5} other value(s)" if len(parts) > 5 else ""
        n = sum(self.unread_maxspeed.values())
        return (f"maxspeed of {n:,} source roads holds no speed limit siting reads ({detail}"
                f"{more}); their road-class speed is used")

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
            float64 km/h, one per edge: the class speed, or the edge's posted limit
            (:attr:`edge_maxspeed_kph`) where that is lower; for the heavy class
            (:data:`HGV_VEHICLE_CLASSES`) also the limit for heavy goods vehicles
            (:attr:`edge_maxspeed_hgv_kph`). A limit above the class speed does not raise
            it: the class speeds are what working trucks drive.
        """
        if self.n_edges == 0:
            return np.zeros(0)
        classes, inv = np.unique(self.edge_class.astype(str), return_inverse=True)
        per_class = np.array([_class_speed(c, speeds, vehicle_class) for c in classes])
        speed = per_class[inv.ravel()]
        limits = [self.edge_maxspeed_kph]
        if vehicle_class in HGV_VEHICLE_CLASSES:
            limits.append(self.edge_maxspeed_hgv_kph)
        for limit in limits:
            if limit is not None:
                speed = np.fmin(speed, limit.astype(np.float64))  # NaN: no limit
        return speed

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

    def snap_within(self, x: np.ndarray, y: np.ndarray, nodes: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each point among ``nodes`` only (KD-tree over that subset).

        Parameters
        ----------
        x, y
            Point coordinates in metres of :attr:`crs`.
        nodes
            Boolean per node of the network: the nodes a point may snap to.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            int64 node indices and float64 distances (m); index -1 and distance ``inf`` when
            ``nodes`` selects no node.
        """
        pts = np.column_stack([np.atleast_1d(np.asarray(x, dtype=np.float64)),
                               np.atleast_1d(np.asarray(y, dtype=np.float64))])
        pick = np.flatnonzero(np.asarray(nodes, dtype=bool))
        if not len(pick):
            return (np.full(len(pts), -1, dtype=np.int64), np.full(len(pts), np.inf))
        dist, idx = cKDTree(np.column_stack([self.x[pick], self.y[pick]])).query(pts)
        return pick[np.asarray(idx, dtype=np.int64)], np.asarray(dist, dtype=np.float64)

    # ------------------------------------------------------------------ connectivity
    @cached_property
    def _components(self) -> ComponentReport:
        n = self.n_nodes
        if n == 0:
            return component_report(np.zeros(0, dtype=np.int32))
        g = coo_matrix((np.ones(self.n_edges, dtype=np.int8), (self.edge_u, self.edge_v)),
                       shape=(n, n)).tocsr()
        _, labels = connected_components(g, directed=True, connection="weak")
        return component_report(labels)

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

        Nodes carry ``x`` (lon), ``y`` (lat), ``node_id``; edges ``length`` (m),
        ``highway`` (road class) and, where posted, ``maxspeed`` and ``maxspeed:hgv``
        (km/h, of the edge's direction). Graph attribute ``crs`` is ``"EPSG:4326"``.
        """
        import networkx as nx

        g = nx.MultiDiGraph(crs="EPSG:4326")
        g.add_nodes_from((i, {"x": float(self.lon[i]), "y": float(self.lat[i]),
                              "node_id": int(self.node_id[i])}) for i in range(self.n_nodes))
        none = np.full(self.n_edges, np.nan)
        limits = [none if a is None else a
                  for a in (self.edge_maxspeed_kph, self.edge_maxspeed_hgv_kph)]
        g.add_edges_from((int(u), int(v), {"length": float(ln), "highway": str(c)}
                          | {k: float(m) for k, m in (("maxspeed", m), ("maxspeed:hgv", h))
                             if np.isfinite(m)})
                         for u, v, ln, c, m, h in zip(self.edge_u, self.edge_v,
                                                      self.edge_length_m, self.edge_class,
                                                      *limits, strict=True))
        return g


def component_report(labels: np.ndarray) -> ComponentReport:
    """Component sizes and the largest one from labels 0..k-1 (one per node)."""
    labels = np.asarray(labels, dtype=np.int32)
    if len(labels) == 0:
        return ComponentReport(0, 0.0, labels, -1)
    sizes = np.bincount(labels)
    big = int(np.argmax(sizes))
    return ComponentReport(len(sizes), float(sizes[big] / len(labels)), labels, big)


# --------------------------------------------------------------------------- assembling
def make_network(lon: np.ndarray, lat: np.ndarray, node_id: np.ndarray, u: np.ndarray,
                 v: np.ndarray, length: np.ndarray, cls: np.ndarray, *, source: str,
                 schematic: bool, crs: str | None = None,
                 dropped: Mapping[str, int] | None = None, maxspeed: np.ndarray | None = None,
                 unread_maxspeed: Mapping[str, int] | None = None,
                 maxspeed_hgv: np.ndarray | None = None) -> RoadNetwork:
    """Drop unused nodes and self-loops, project, and build the RoadNetwork.

    ``lon``/``lat`` are WGS84 degrees per node, ``u``/``v`` directed node indices, ``length``
    metres per edge, ``maxspeed`` and ``maxspeed_hgv`` the posted limits per edge (km/h, NaN
    = none; see :attr:`RoadNetwork.edge_maxspeed_hgv_kph`); ``crs`` defaults to
    :func:`siting.crs.utm_crs` of the used nodes.
    """
    keep = u != v
    u, v, length, cls = u[keep], v[keep], length[keep], cls[keep]
    if len(u) == 0:
        msg = f"{source}: no usable road segments (empty network); check the data covers roads"
        raise NetworkError(msg)
    limits, hgv = (None if a is None or not np.isfinite(a[keep]).any()
                   else np.asarray(a[keep], dtype=np.float32) for a in (maxspeed, maxspeed_hgv))
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
        edge_class=np.asarray(cls, dtype=object), source=source, schematic=schematic,
        dropped=dict(dropped or {}), edge_maxspeed_kph=limits,
        unread_maxspeed=dict(unread_maxspeed or {}), edge_maxspeed_hgv_kph=hgv)


def from_pieces(node_key: np.ndarray, vlon: np.ndarray, vlat: np.ndarray, start: np.ndarray,
                piece_class: np.ndarray, piece_oneway: np.ndarray, *, keys_are_ids: bool,
                source: str, schematic: bool, dropped: Mapping[str, int] | None = None,
                piece_limits: np.ndarray | None = None,
                unread_maxspeed: Mapping[str, int] | None = None) -> RoadNetwork:
    """Build a network from polylines given as flat vertex arrays.

    Piece ``k`` is vertices ``start[k]:start[k+1]``; vertices sharing a ``node_key`` are one
    node (a junction). Consecutive vertices of a piece form an edge, in both directions
    unless ``piece_oneway`` is 1 (digitised direction) or -1 (against it); row ``k`` of
    ``piece_limits`` (shape ``(n_pieces, 4)``, the columns of
    :data:`siting.network.tags.LIMIT_FIELDS`) is its posted limits (km/h, NaN = none) in the
    digitised direction and against it, for every vehicle and for heavy goods vehicles.
    ``dropped`` counts what the fleet road filter left out (:attr:`RoadNetwork.dropped`),
    ``unread_maxspeed`` the limits not understood.
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
    limits = hgv = None
    if piece_limits is not None:
        lim = piece_limits[p]
        limits = np.concatenate([lim[fwd, 0], lim[bwd, 1]])
        hgv = np.concatenate([lim[fwd, 2], lim[bwd, 3]])
    ids = uniq if keys_are_ids else np.arange(len(uniq))
    return make_network(vlon[first], vlat[first], ids, u, v, ln, c, source=source,
                        schematic=schematic, dropped=dropped, maxspeed=limits,
                        unread_maxspeed=unread_maxspeed, maxspeed_hgv=hgv)
