"""networkx graphs and GraphML files (osmnx or any graph with node coordinates).

A GraphML file read as a road network gets the fleet road filter of OSM files
(:func:`siting.network.osm.drop_reason`): an osmnx graph built without that filter (e.g.
``graph_from_xml`` or ``network_type="all"``) holds footways, cycleways, service roads and
the outlines of untagged areas, which fleet vehicles cannot drive on. What is dropped is counted
by reason in :attr:`RoadNetwork.dropped <siting.network.graph.RoadNetwork>`.
"""

from __future__ import annotations

import ast
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import CRS, Transformer

from siting._errors import NetworkError
from siting.crs import shift_coords
from siting.network.graph import (
    CLASS_ALIASES,
    RoadNetwork,
    check_degrees,
    haversine_m,
    make_network,
    normalise_class,
    one_line,
)
from siting.network.osm import ACCESS_KEYS, BLOCKED_ACCESS, TRUCK_HIGHWAYS, drop_reason
from siting.network.tags import MaxspeedTally

if TYPE_CHECKING:
    import networkx as nx

logger = logging.getLogger(__name__)

_TRUCK_SET = frozenset(TRUCK_HIGHWAYS)


# --------------------------------------------------------------------------- edge tags
def tag_values(raw: object, *, lower: bool = True) -> list[str]:
    """An edge attribute as a list of strings (lower-case unless ``lower`` is False).

    osmnx keeps the merged ways' values of a simplified edge as a list, written to GraphML
    as text (``"['primary', 'service']"``); both forms give ``["primary", "service"]``.
    Missing values (None, NaN, empty text) give ``[]``.
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return []
    if isinstance(raw, (list, tuple, set)):
        items: list[Any] = list(raw)
    else:
        text = str(raw).strip()
        items = [text]
        if text.startswith("[") and text.endswith("]"):
            try:
                parsed = ast.literal_eval(text)
                items = list(parsed) if isinstance(parsed, (list, tuple)) else [parsed]
            except (ValueError, SyntaxError):
                items = [p.strip(" '\"") for p in text[1:-1].split(",")]
    out = [str(i).strip() for i in items if i is not None]
    out = [v.lower() for v in out] if lower else out
    return [v for v in out if v and v != "nan"]


def _is_fleet_class(value: str) -> bool:
    return value in _TRUCK_SET or CLASS_ALIASES.get(value) in _TRUCK_SET


def edge_road_class(data: dict[str, Any]) -> str | None:
    """The road class of a networkx edge for the filter: the first ``highway`` value the
    fleet road filter keeps (a Chinese class name counts as its OSM class, see
    :data:`~siting.network.graph.CLASS_ALIASES`), else the first value; None when untagged."""
    highway = tag_values(data.get("highway"))
    return next((h for h in highway if _is_fleet_class(h)), highway[0]) if highway else None


def edge_tags(data: dict[str, Any]) -> dict[str, str]:
    """The OSM tags of a networkx edge, one value each, for :func:`drop_reason`.

    An osmnx edge merged from several ways has lists; the edge is as open as its most open
    way: ``highway`` is :func:`edge_road_class` (Chinese class names as their OSM class),
    ``area`` is ``"yes"`` only when every value is, and an access tag blocks only when every
    value does.
    """
    tags: dict[str, str] = {}
    cls = edge_road_class(data)
    if cls is not None:
        tags["highway"] = CLASS_ALIASES.get(cls, cls)
    area = tag_values(data.get("area"))
    if area and all(a == "yes" for a in area):
        tags["area"] = "yes"
    for key in ACCESS_KEYS:
        vals = tag_values(data.get(key))
        if vals and all(v in BLOCKED_ACCESS for v in vals):
            tags[key] = vals[0]
    return tags


# --------------------------------------------------------------------------- conversion
@dataclass(frozen=True)
class _Edges:
    u: np.ndarray        # int64 node positions
    v: np.ndarray
    length: np.ndarray   # float64 metres, NaN where the graph gives none
    cls: np.ndarray      # object road classes
    dropped: dict[str, int]
    shapes: list[np.ndarray | None]  # the edge's ``geometry`` vertices (graph CRS) or None
    limits: np.ndarray   # float32 (n, 2) posted limits, km/h (NaN = none): maxspeed, hgv
    mixed: list[str] = field(default_factory=list)  # kept edges merged with dropped ways
    unread_maxspeed: dict[str, int] = field(default_factory=dict)


def from_networkx(G: nx.Graph, *, source: str = "networkx graph", schematic: bool = False,
                  coords: str = "wgs84", fleet_filter: bool = False,
                  label: str | None = None) -> RoadNetwork:
    """A RoadNetwork from a networkx graph (osmnx graphs included).

    Parameters
    ----------
    G
        Nodes need ``x``/``y`` (or ``lon``/``lat``) coordinates in ``G.graph["crs"]``
        (default EPSG:4326). Edges may carry ``length`` (m; else the straight great-circle
        distance), ``highway`` (road class; else ``"road"``), ``maxspeed`` (posted limit,
        the lowest of an osmnx list; :func:`siting.network.tags.maxspeed_kph`), ``maxspeed:hgv``
        and ``maxspeed:forward``/``:backward`` (see :func:`_edge_limits`), and ``geometry``
        (the road's shape, a LineString or its WKT, as osmnx keeps it on simplified edges: its
        inner vertices become nodes, see :func:`_with_shapes`). Undirected graphs give both
        directions.
    source
        Description kept on the network.
    schematic
        Mark the network as drawn/generated rather than surveyed.
    coords
        {"wgs84", "gcj02", "bd09"}: convention of geographic node coordinates.
    fleet_filter
        Drop the edges the OSM fleet road filter drops (:func:`siting.network.osm.drop_reason`
        on the edge's ``highway``, ``area``, ``access``, ``motor_vehicle``, ``motorcar``),
        counted by reason in :attr:`RoadNetwork.dropped`. A graph none of whose edges has a
        ``highway`` attribute is not OSM data: it is kept whole (every edge a ``"road"``).
    label
        Names the graph in error messages (e.g. its file path); default ``source``.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        No nodes, a node without numeric coordinates, or no edge left after the filter.
    CRSMismatchError
        Coordinates that are not degrees after reprojection.
    """
    where = label or source
    nodes = list(G.nodes)
    if not nodes:
        msg = f"{where}: the graph has no nodes (empty network); check the file"
        raise NetworkError(msg)
    xs, ys = _node_lonlat(G, where, coords)
    try:
        ids = np.array([int(n) for n in nodes], dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        ids = np.arange(len(nodes), dtype=np.int64)
    if fleet_filter and not any("highway" in d for _, _, d in G.edges(data=True)):
        logger.info("%s: no edge has a 'highway' attribute; the fleet road filter is not "
                    "applied and every edge is road class 'road'", where)
        fleet_filter = False
    e = _edge_arrays(G, {n: i for i, n in enumerate(nodes)}, fleet_filter)
    if fleet_filter and len(e.u) == 0 and e.dropped:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(e.dropped.items()))
        msg = (f"{where}: no drivable roads left after the fleet road filter (empty network; "
               f"dropped: {detail}; kept highway classes: {', '.join(TRUCK_HIGHWAYS)}); check "
               "the graph covers public roads")
        raise NetworkError(msg)
    if e.mixed:
        logger.warning(
            "%s: %d edge(s) join a fleet road and a way the fleet road filter leaves out "
            "(first: highway %s; osmnx merged them when it simplified the graph); they are "
            "kept whole, so vehicles may be routed over the footway or service part - for "
            "the exact OSM filter save the graph unsimplified (simplify=False) or simplify "
            "it with edge_attrs_differ=['highway']", where, len(e.mixed), e.mixed[0])
    xs, ys, ids, e = _with_shapes(G, e, xs, ys, ids, where, coords)
    u, v, length, cls, limits = e.u, e.v, e.length, e.cls, e.limits
    missing = ~np.isfinite(length)
    if missing.any():
        length[missing] = haversine_m(xs[u[missing]], ys[u[missing]], xs[v[missing]],
                                      ys[v[missing]])
    if not G.is_directed():
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        length = np.concatenate([length, length])
        cls = np.concatenate([cls, cls])
        limits = np.concatenate([limits, limits])
    return make_network(xs, ys, ids, u, v, length, cls, source=source, schematic=schematic,
                        dropped=e.dropped, maxspeed=limits[:, 0],
                        unread_maxspeed=e.unread_maxspeed, maxspeed_hgv=limits[:, 1])


def _with_shapes(G: nx.Graph, e: _Edges, lon: np.ndarray, lat: np.ndarray, ids: np.ndarray,
                 source: str, coords: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Edges]:
    """Edges with a ``geometry`` (a simplified osmnx graph) split at its inner vertices.

    Each inner vertex becomes a node (shared by the edge's two directions and parallel
    copies: keyed by the end-node pair and the position to 1e-7 degrees), so that points
    snap to the road's real shape, as from the OSM file, not only to its junctions, and maps
    draw the road, not a chord. The pieces' lengths are great-circle metres scaled to add
    up to the edge's ``length``. Returns lon, lat, node ids and edges, extended.
    """
    shaped = np.array([k for k, sh in enumerate(e.shapes) if sh is not None], dtype=np.int64)
    if not len(shaped):
        return lon, lat, ids, e
    parts = [e.shapes[k] for k in shaped]
    counts = np.array([len(sh) for sh in parts], dtype=np.int64)
    raw = np.concatenate(parts)
    vlon, vlat = _to_lonlat(G, raw[:, 0].copy(), raw[:, 1].copy(), source, coords)
    edge = np.repeat(shaped, counts)                       # edge index per vertex
    start = np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.arange(len(raw)) - start                      # position along the shape
    a, b = e.u[edge], e.v[edge]
    first, last = start, start + np.repeat(counts, counts) - 1
    # drawn from v to u? read it backwards
    flip = (haversine_m(vlon[first], vlat[first], lon[a], lat[a])
            > haversine_m(vlon[last], vlat[last], lon[a], lat[a]))
    src = np.where(flip, last - pos, first + pos)
    vlon, vlat = vlon[src], vlat[src]
    inner = (pos > 0) & (pos < np.repeat(counts, counts) - 1)
    key = np.column_stack([np.minimum(a, b), np.maximum(a, b), np.round(vlon * 1e7),
                           np.round(vlat * 1e7)]).astype(np.int64)[inner]
    uniq, first_of, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
    node = np.where(pos == 0, a, b)
    node[inner] = len(lon) + inv.ravel()
    lon = np.concatenate([lon, vlon[inner][first_of]])
    lat = np.concatenate([lat, vlat[inner][first_of]])
    ids = np.concatenate([ids, ids.max(initial=0) + 1 + np.arange(len(uniq), dtype=np.int64)])
    seg = np.flatnonzero(edge[1:] == edge[:-1])            # vertex i -> i + 1, same edge
    su, sv = node[seg], node[seg + 1]
    piece = haversine_m(lon[su], lat[su], lon[sv], lat[sv])
    total = np.bincount(edge[seg], weights=piece, minlength=len(e.u))[edge[seg]]
    given = e.length[edge[seg]]
    scale = np.where(np.isfinite(given) & (total > 0), given / np.where(total > 0, total, 1),
                     1.0)
    keep = np.ones(len(e.u), dtype=bool)
    keep[shaped] = False
    edges = _Edges(np.concatenate([e.u[keep], su]), np.concatenate([e.v[keep], sv]),
                   np.concatenate([e.length[keep], piece * scale]),
                   np.concatenate([e.cls[keep], e.cls[edge[seg]]]), e.dropped, [],
                   np.concatenate([e.limits[keep], e.limits[edge[seg]]]),
                   unread_maxspeed=e.unread_maxspeed)
    return lon, lat, ids, edges


def _node_lonlat(G: nx.Graph, source: str, coords: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat degrees of every node, in ``G.nodes`` order."""
    n = G.number_of_nodes()
    xs = np.empty(n)
    ys = np.empty(n)
    for i, (node, d) in enumerate(G.nodes(data=True)):
        try:
            xs[i] = float(d["x"] if "x" in d else d["lon"])
            ys[i] = float(d["y"] if "y" in d else d["lat"])
        except (KeyError, TypeError, ValueError):
            msg = (f"{source}: node {node!r} has no numeric x/y (or lon/lat) coordinates; "
                   "every node needs them")
            raise NetworkError(msg) from None
    return _to_lonlat(G, xs, ys, source, coords)


def _to_lonlat(G: nx.Graph, xs: np.ndarray, ys: np.ndarray, source: str,
               coords: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in the graph's CRS (``G.graph["crs"]``, default WGS84; GCJ-02/BD-09 as
    ``coords`` says) as WGS84 lon/lat degrees."""
    crs = CRS.from_user_input(G.graph.get("crs") or "EPSG:4326")
    if not crs.is_geographic or crs.to_epsg() != 4326:
        xs, ys = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    xs, ys = shift_coords(xs, ys, coords or "wgs84", "wgs84")
    check_degrees(xs, ys, source)
    return xs, ys


def _edge_arrays(G: nx.Graph, index: dict[Any, int], fleet_filter: bool) -> _Edges:
    """Edge endpoints, lengths (NaN = none given), classes and posted limits (``maxspeed``,
    ``maxspeed:hgv``, see :func:`_edge_limits`); filtered when asked."""
    us, vs, lens, classes = [], [], [], []
    limits: list[tuple[float, float]] = []
    tally = MaxspeedTally()
    shapes: list[np.ndarray | None] = []
    mixed: list[str] = []
    dropped: Counter[str] = Counter()
    for a, b, d in G.edges(data=True):
        if fleet_filter:
            tags = edge_tags(d)
            reason = drop_reason(tags)
            if reason is not None:
                dropped[reason] += 1
                continue
            classes.append(edge_road_class(d))
            values = tag_values(d.get("highway"))
            if any(not _is_fleet_class(h) for h in values):
                mixed.append(str(values))
        else:
            classes.append(normalise_class(d.get("highway")))
        us.append(index[a])
        vs.append(index[b])
        shapes.append(_edge_shape(d.get("geometry")))
        limits.append(_edge_limits(d, tally, G.is_directed()))
        ln = d.get("length")
        try:
            lens.append(float(ln) if ln is not None else np.nan)
        except (TypeError, ValueError):
            lens.append(np.nan)
    return _Edges(np.asarray(us, dtype=np.int64), np.asarray(vs, dtype=np.int64),
                  np.asarray(lens, dtype=np.float64), np.asarray(classes, dtype=object),
                  dict(dropped), shapes, np.asarray(limits, dtype=np.float32).reshape(-1, 2),
                  mixed, dict(tally.unread))


def _edge_limits(d: dict[str, Any], tally: MaxspeedTally, directed: bool
                 ) -> tuple[float, float]:
    """An edge's posted limits (km/h, NaN = none), for every vehicle and for heavy goods
    vehicles, in its direction: osmnx's ``reversed`` (False: the way's direction, True:
    against it) picks ``maxspeed:forward`` or ``:backward``; an edge without it (or merged
    from both, or of an undirected graph) keeps to the lower of the two."""
    fwd, bwd, hgv_fwd, hgv_bwd = tally.limits(lambda k: tag_values(d.get(k), lower=False)
                                              or None)
    rev = set(tag_values(d.get("reversed"))) if directed else set()
    if rev == {"false"}:
        return fwd, hgv_fwd
    if rev == {"true"}:
        return bwd, hgv_bwd
    return float(np.fmin(fwd, bwd)), float(np.fmin(hgv_fwd, hgv_bwd))


def _edge_shape(raw: object) -> np.ndarray | None:
    """The vertices of an edge's ``geometry`` (osmnx keeps the road's shape there when it
    simplifies a graph: a shapely LineString, written to GraphML as WKT text); None when the
    edge has none or it is not a line of at least three vertices (no vertex in between)."""
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return None
    geom = raw
    if isinstance(raw, str):
        try:
            geom = shapely.from_wkt(raw)
        except shapely.errors.GEOSException:
            return None
    if not isinstance(geom, shapely.LineString):
        return None
    xy = shapely.get_coordinates(geom)
    return xy if len(xy) >= 3 and np.isfinite(xy).all() else None


# --------------------------------------------------------------------------- files
def read_graphml(path: str | Path, *, source: str, schematic: bool = False,
                 coords: str = "wgs84", crs: str | None = None) -> RoadNetwork:
    """The fleet road network of a GraphML file (osmnx's or any networkx graph's).

    Parameters
    ----------
    path
        The ``.graphml`` file.
    source, schematic
        Kept on the network.
    coords
        {"wgs84", "gcj02", "bd09"}: convention of geographic node coordinates.
    crs
        CRS of the node coordinates when the graph does not say (``G.graph["crs"]``);
        default EPSG:4326.

    Returns
    -------
    RoadNetwork
        Filtered with the OSM fleet road filter (see :func:`from_networkx`); the edges left
        out are counted in :attr:`RoadNetwork.dropped`.

    Raises
    ------
    NetworkError
        The file is not readable GraphML, or has no usable roads.
    """
    import networkx as nx

    try:
        G = nx.read_graphml(path)
    except Exception as e:  # malformed XML raises several error types
        msg = f"{path}: cannot read GraphML ({one_line(e)}); check the file"
        raise NetworkError(msg) from None
    if crs and "crs" not in G.graph:
        G.graph["crs"] = crs
    return from_networkx(G, source=source, schematic=schematic, coords=coords,
                         fleet_filter=True, label=str(path))
