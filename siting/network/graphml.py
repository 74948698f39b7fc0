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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
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

if TYPE_CHECKING:
    import networkx as nx

logger = logging.getLogger(__name__)

_TRUCK_SET = frozenset(TRUCK_HIGHWAYS)


# --------------------------------------------------------------------------- edge tags
def tag_values(raw: object) -> list[str]:
    """An edge attribute as a list of lower-case strings.

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
    out = [str(i).strip().lower() for i in items if i is not None]
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


def from_networkx(G: nx.Graph, *, source: str = "networkx graph", schematic: bool = False,
                  coords: str = "wgs84", fleet_filter: bool = False,
                  label: str | None = None) -> RoadNetwork:
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
    u, v, length, cls = e.u, e.v, e.length, e.cls
    missing = ~np.isfinite(length)
    if missing.any():
        length[missing] = haversine_m(xs[u[missing]], ys[u[missing]], xs[v[missing]],
                                      ys[v[missing]])
    if not G.is_directed():
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        length = np.concatenate([length, length])
        cls = np.concatenate([cls, cls])
    return make_network(xs, ys, ids, u, v, length, cls, source=source, schematic=schematic,
                        dropped=e.dropped)


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
    crs = CRS.from_user_input(G.graph.get("crs") or "EPSG:4326")
    if not crs.is_geographic or crs.to_epsg() != 4326:
        xs, ys = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(xs, ys)
    xs, ys = shift_coords(xs, ys, coords or "wgs84", "wgs84")
    check_degrees(xs, ys, source)
    return xs, ys


def _edge_arrays(G: nx.Graph, index: dict[Any, int], fleet_filter: bool) -> _Edges:
    """Edge endpoints, lengths (NaN = none given) and classes; filtered when asked."""
    us, vs, lens, classes = [], [], [], []
    dropped: Counter[str] = Counter()
    for a, b, d in G.edges(data=True):
        if fleet_filter:
            tags = edge_tags(d)
            reason = drop_reason(tags)
            if reason is not None:
                dropped[reason] += 1
                continue
            classes.append(edge_road_class(d))
        else:
            classes.append(normalise_class(d.get("highway")))
        us.append(index[a])
        vs.append(index[b])
        ln = d.get("length")
        try:
            lens.append(float(ln) if ln is not None else np.nan)
        except (TypeError, ValueError):
            lens.append(np.nan)
    return _Edges(np.asarray(us, dtype=np.int64), np.asarray(vs, dtype=np.int64),
                  np.asarray(lens, dtype=np.float64), np.asarray(classes, dtype=object),
                  dict(dropped))


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
