"""Truck corridors as flows for the flow-refuelling location model (arc-cover form).

A corridor is a daily flow of trucks between an origin and a destination. Its path is the
fastest route on the road network for the corridor's vehicle class. A station "lies on the path"
when the site is within ``detour_km / 2`` straight-line distance of the path (a detour of
``detour_km`` there and back); its position along the path is its projection onto it.

The trip is a round trip (out and back, cyclic length ``C = 2L``) and each on-path station appears
twice on it. Following Capar et al. (2013), the flow is refuelable with range ``R`` when, at every
station position *q* on the cycle, some open station lies in the stretch ``(q − R, q]`` behind it
(distance measured along the cycle, a lone station counting at distance ``C``). That gives one
set ``K_q`` of options per check point, and the model's constraint ``h_f ≤ Σ_{o ∈ K_q} x_o`` for
every *q*. A path with ``2L ≤ R`` is covered by any single on-path station.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from siting._errors import NetworkError
from siting.network import RoadNetwork
from siting.scenario import Corridor
from siting.travel_times import adjacency_csr, edge_weights_s


@dataclass(frozen=True)
class Flow:
    """One corridor prepared for the model.

    Attributes
    ----------
    corridor_id, name
        From the scenario.
    weight
        Objective weight of covering the flow (trucks per day × corridor weight).
    arc_sets
        Option index arrays; the flow counts as covered only if each set has an open option.
    path
        The route as a LineString in the network's metric CRS.
    length_km
        One-way length of the route.
    """

    corridor_id: str
    name: str
    weight: float
    arc_sets: list[np.ndarray]
    path: shapely.LineString
    length_km: float


def corridor_flows(corridors: list[Corridor], net: RoadNetwork, site_xy: np.ndarray,
                   options: pd.DataFrame, speeds_kph: dict[str, dict[str, float]], *,
                   weight_factor: float = 1.0, max_snap_m: float = float("inf")) -> list[Flow]:
    """Route each corridor and list, per check point, the options that keep it refuelable.

    Parameters
    ----------
    corridors
        The scenario's corridors (origin/destination in WGS84 lon/lat).
    net
        Road network.
    site_xy
        (n_sites, 2) site coordinates in ``net.crs``.
    options
        Options table (``site_idx``, ``serves``).
    speeds_kph
        Speed table used to find the fastest route.
    weight_factor
        Multiplies ``trucks_per_day`` to give the flow's objective weight.
    max_snap_m
        An origin or destination farther than this from the nearest road node is an error.

    Raises
    ------
    NetworkError
        A corridor's origin and destination are not connected by the network, or an end
        lies more than ``max_snap_m`` from it.
    """
    flows = []
    to_metric = _transformer(net.crs)
    for c in corridors:
        ox, oy = to_metric(*c.origin)
        dx, dy = to_metric(*c.destination)
        (o_node, d_node), snap_m = net.snap(np.array([ox, dx]), np.array([oy, dy]))
        for end, point, dist in zip(("origin", "destination"), (c.origin, c.destination),
                                    snap_m, strict=True):
            if not dist <= max_snap_m:
                msg = (f"corridor '{c.id}': {end} {tuple(point)} is {dist:,.0f} m from the "
                       f"nearest road (limit network.max_snap_m = {max_snap_m:,.0f} m); give "
                       f"lon/lat (WGS84) of a point on the network")
                raise NetworkError(msg)
        if int(o_node) == int(d_node):
            msg = (f"corridor '{c.id}': origin {tuple(c.origin)} and destination "
                   f"{tuple(c.destination)} snap to the same road node, so the trucks would "
                   "drive nowhere; give the two ends of the trip on different roads")
            raise NetworkError(msg)
        path_nodes = _route(net, int(o_node), int(d_node),
                            edge_weights_s(net, speeds_kph, c.vehicle_class))
        if path_nodes is None:
            msg = (f"corridor '{c.id}': no road path from origin {c.origin} to destination "
                   f"{c.destination}; check the network connects them or move the end points")
            raise NetworkError(msg)
        coords = np.column_stack([net.x[path_nodes], net.y[path_nodes]])
        line = shapely.LineString(coords) if len(coords) > 1 else shapely.LineString(
            [coords[0], coords[0] + 1e-3])
        length = float(line.length)
        opt = np.flatnonzero([c.pathway in s for s in options["serves"].to_numpy()])
        sites = options["site_idx"].to_numpy()[opt]
        pts = shapely.points(site_xy[sites])
        near = shapely.distance(pts, line) <= c.detour_km * 1000.0 / 2.0
        opt, pos = opt[near], shapely.line_locate_point(line, pts[near])
        arc_sets = _arc_cover_sets(opt, pos, length, c.range_km * 1000.0)
        flows.append(Flow(c.id, c.name or c.id, c.trucks_per_day * weight_factor, arc_sets, line,
                          length / 1000.0))
    return flows


def _arc_cover_sets(opt: np.ndarray, pos: np.ndarray, length_m: float,
                    range_m: float) -> list[np.ndarray]:
    """Check-point option sets for a round trip of cyclic length ``2 * length_m``."""
    if not len(opt):
        return [np.empty(0, dtype=int)]  # uncoverable: an empty set forces h_f = 0
    cycle = 2.0 * length_m
    ev_opt = np.concatenate([opt, opt])
    ev_pos = np.concatenate([pos, cycle - pos])
    sets = []
    seen: set[tuple[int, ...]] = set()
    # Check points are the exact event positions: rounding them would let a station within
    # the rounding step of q count as "behind" q and so cover its own check point.
    tol = max(1e-6, 1e-9 * cycle)
    for q in np.unique(ev_pos):
        d = np.mod(q - ev_pos, cycle)
        d[(d <= tol) | (d >= cycle - tol)] = cycle  # the station at q itself: a full lap
        members = tuple(sorted(set(ev_opt[d <= range_m].tolist())))
        if members not in seen:
            seen.add(members)
            sets.append(np.array(members, dtype=int))
    return sets


def _route(net: RoadNetwork, origin: int, dest: int, weights_s: np.ndarray) -> np.ndarray | None:
    """Node indices of the fastest path, or None if unreachable."""
    A = adjacency_csr(net, weights_s)
    dist, pred = dijkstra(A, directed=True, indices=origin, return_predecessors=True)
    if not np.isfinite(dist[dest]):
        return None
    path = [dest]
    while path[-1] != origin:
        path.append(int(pred[path[-1]]))
    return np.array(path[::-1])


def _transformer(crs: str):
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return lambda lon, lat: tr.transform(lon, lat)


def flows_gdf(flows: list[Flow], crs: str) -> gpd.GeoDataFrame:
    """The flows' routes as WGS84 lines (for maps and exports)."""
    return gpd.GeoDataFrame(
        {"corridor_id": [f.corridor_id for f in flows], "name": [f.name for f in flows],
         "weight": [f.weight for f in flows], "length_km": [f.length_km for f in flows]},
        geometry=[f.path for f in flows], crs=crs,
    ).to_crs("EPSG:4326")
