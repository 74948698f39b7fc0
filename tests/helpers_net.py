"""Tiny hand-made road networks for tests (a path, a grid, one-way edges).

Nodes are given as metre offsets from a point in Suizhou in UTM zone 49N (EPSG:32649); the
builder fills the WGS84 lon/lat with pyproj and lists every two-way road as two directed edges,
as :class:`siting.network.RoadNetwork` expects.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
from pyproj import Transformer

from siting.network import RoadNetwork

METRIC = "EPSG:32649"
ORIGIN_LONLAT = (113.38, 31.69)
_TO_M = Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)
_TO_LL = Transformer.from_crs(METRIC, "EPSG:4326", always_xy=True)
X0, Y0 = _TO_M.transform(*ORIGIN_LONLAT)

#: Speeds (km/h) chosen so that times are easy to reason about: 36 km/h = 10 m/s.
SPEEDS_KPH: dict[str, dict[str, float]] = {
    "primary": {"light": 36.0, "heavy": 18.0},      # 10 m/s, 5 m/s
    "residential": {"light": 18.0, "heavy": 9.0},   # 5 m/s, 2.5 m/s
    "trunk": {"light": 72.0, "heavy": 54.0},        # 20 m/s, 15 m/s
}

#: An edge: (u, v, road_class, oneway) or (u, v, road_class, oneway, length_m).
Edge = tuple


def to_metric(dx: np.ndarray | float, dy: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (m) from the origin → absolute EPSG:32649 coordinates."""
    return np.asarray(dx, dtype=float) + X0, np.asarray(dy, dtype=float) + Y0


def to_lonlat(dx: np.ndarray | float, dy: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (m) from the origin → WGS84 lon, lat."""
    x, y = to_metric(dx, dy)
    lon, lat = _TO_LL.transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def make_net(offsets: Sequence[tuple[float, float]], edges: Sequence[Edge], *,
             source: str = "hand-made test network") -> RoadNetwork:
    """A RoadNetwork from node offsets (m) and edges.

    Each edge is ``(u, v, road_class, oneway)`` with an optional fifth item, the length in m
    (default: the straight-line distance). Two-way edges become two directed edges.
    """
    off = np.asarray(offsets, dtype=float).reshape(-1, 2)
    x, y = to_metric(off[:, 0], off[:, 1])
    lon, lat = to_lonlat(off[:, 0], off[:, 1])
    us, vs, lens, classes = [], [], [], []
    for e in edges:
        u, v, cls, oneway = e[:4]
        length = float(e[4]) if len(e) > 4 else float(np.hypot(*(off[v] - off[u])))
        pairs = [(u, v)] if oneway else [(u, v), (v, u)]
        for a, b in pairs:
            us.append(a)
            vs.append(b)
            lens.append(length)
            classes.append(cls)
    return RoadNetwork(
        node_id=np.arange(len(off), dtype=np.int64),
        lon=lon, lat=lat, x=x, y=y, crs=METRIC,
        edge_u=np.asarray(us, dtype=np.int32), edge_v=np.asarray(vs, dtype=np.int32),
        edge_length_m=np.asarray(lens, dtype=float),
        edge_class=np.asarray(classes, dtype=object),
        source=source, schematic=True,
    )


def path_net(n: int, spacing_m: float, road_class: str = "trunk") -> RoadNetwork:
    """``n`` nodes on a west-east line, ``spacing_m`` apart, two-way."""
    offsets = [(k * spacing_m, 0.0) for k in range(n)]
    return make_net(offsets, [(k, k + 1, road_class, False) for k in range(n - 1)])


def grid_offsets(nx_: int, ny: int, spacing_m: float) -> list[tuple[float, float]]:
    """Node offsets of an ``nx_`` × ``ny`` grid; node ``j * nx_ + i`` is column i, row j."""
    return [(i * spacing_m, j * spacing_m) for j in range(ny) for i in range(nx_)]


def grid_edges(nx_: int, ny: int, *, h_class: str = "primary",
               v_class: str = "residential") -> list[Edge]:
    """Two-way edges of the grid: horizontal ones of ``h_class``, vertical ones of ``v_class``."""
    edges: list[Edge] = []
    for j in range(ny):
        for i in range(nx_):
            k = j * nx_ + i
            if i + 1 < nx_:
                edges.append((k, k + 1, h_class, False))
            if j + 1 < ny:
                edges.append((k, k + nx_, v_class, False))
    return edges


def to_digraph(net: RoadNetwork, speeds: dict[str, dict[str, float]],
               vehicle_class: str) -> nx.DiGraph:
    """The network as a networkx DiGraph with ``time_s`` weights computed here, independently.

    Parallel edges keep the fastest one.
    """
    G = nx.DiGraph()
    G.add_nodes_from(range(len(net.x)))
    for u, v, length, cls in zip(net.edge_u, net.edge_v, net.edge_length_m, net.edge_class):
        t = float(length) / (speeds[str(cls)][vehicle_class] / 3.6)
        if u == v:
            continue
        if G.has_edge(int(u), int(v)) and G[int(u)][int(v)]["time_s"] <= t:
            continue
        G.add_edge(int(u), int(v), time_s=t)
    return G


def nearest_node(net: RoadNetwork, x: float, y: float) -> tuple[int, float]:
    """Brute-force nearest node (index, distance m) of an EPSG:32649 point."""
    d = np.hypot(np.asarray(net.x) - x, np.asarray(net.y) - y)
    k = int(np.argmin(d))
    return k, float(d[k])
