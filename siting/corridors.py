"""Truck corridors as flows for the flow-refuelling location model (arc-cover form).

A corridor is a daily flow of trucks between an origin and a destination. Its path is the
fastest route on the road network for the corridor's vehicle class. A station "lies on the path"
when a truck can leave the path, drive to the station and come back to the path within
``detour_km`` **on the roads** (shortest road distances from the path's nodes to the station
and back, plus the station's access legs); its position along the path is that of the path
node the detour leaves from.

Refuelling draws on the stations' daily capacity: a covered corridor's trucks take
``trucks_per_day × 2 × length × use per km`` (kWh, or kg of hydrogen) a day at the on-route
stations of its pathway (the model decides how it splits between them), and count against
their vehicles-per-day limits. The use per km comes from the corridor's ``segment`` (or its
own ``kwh_per_km``/``h2_kg_per_km``); the corridor's trucks must not also be in the fleet
layer, or they count twice (:func:`warn_overlaps`).

The trip is a round trip (out and back, cyclic length ``C = 2L``) and each on-path station appears
twice on it. Following Capar et al. (2013), the flow is refuelable with range ``R`` when, at every
station position *q* on the cycle, some open station lies in the stretch ``(q − R, q]`` behind it
(distance measured along the cycle, a lone station counting at distance ``C``). That gives one
set ``K_q`` of options per check point, and the model's constraint ``h_f ≤ Σ_{o ∈ K_q} x_o`` for
every *q*. A path with ``2L ≤ R`` is covered by any single on-path station.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from siting._errors import NetworkError
from siting.crs import point_xy
from siting.network import RoadNetwork
from siting.scenario import Corridor
from siting.travel_times import adjacency_csr, edge_weights_s

log = logging.getLogger(__name__)


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
    #: Daily energy the covered flow takes on its route (kWh, or kg for hydrogen).
    energy: float = 0.0
    #: 0 = kWh pool, 1 = hydrogen kg pool.
    unit: int = 0
    #: Trucks per day (against vehicles-per-day limits).
    vehicles: float = 0.0
    #: Options where the trucks may refuel (the on-route options of the pathway).
    draw_options: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros(0, dtype=int))


def corridor_flows(corridors: list[Corridor], net: RoadNetwork, site_xy: np.ndarray,
                   options: pd.DataFrame, speeds_kph: dict[str, dict[str, float]], *,
                   weight_factor: float = 1.0, max_snap_m: float = float("inf"),
                   use_per_km: dict[str, float] | None = None) -> list[Flow]:
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
    use_per_km
        Energy use of a corridor's trucks per km (kWh/km, or kg/km for hydrogen) by corridor
        id (:meth:`siting.scenario.Scenario.corridor_use_per_km`); missing = 0 (no draw).

    Raises
    ------
    NetworkError
        A corridor's origin and destination are not connected by the network, or an end
        lies more than ``max_snap_m`` from it.
    """
    flows = []
    to_metric = _transformer(net.crs)
    lengths = net.edge_length_m.astype(float)
    fwd, rev = adjacency_csr(net, lengths), adjacency_csr(net, lengths, reverse=True)
    site_node, site_snap = net.snap(site_xy[:, 0], site_xy[:, 1]) if len(site_xy) else (
        np.zeros(0, int), np.zeros(0))
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
        line = shapely.LineString(coords)
        length = float(line.length)
        opt = np.flatnonzero([c.pathway in s and c.vehicle_class in _classes(options, k)
                              for k, s in enumerate(options["serves"].to_numpy())])
        sites = options["site_idx"].to_numpy()[opt]
        detour, pos = _road_detours(fwd, rev, path_nodes, coords, site_node[sites],
                                    site_snap[sites], limit_m=c.detour_km * 1000.0)
        near = detour <= c.detour_km * 1000.0
        opt, pos = opt[near], pos[near]
        arc_sets = _arc_cover_sets(opt, pos, length, c.range_km * 1000.0)
        per_km = (use_per_km or {}).get(c.id, 0.0)
        flows.append(Flow(c.id, c.name or c.id, c.trucks_per_day * weight_factor, arc_sets, line,
                          length / 1000.0,
                          energy=c.trucks_per_day * 2.0 * length / 1000.0 * per_km,
                          unit=1 if c.pathway == "hydrogen" else 0,
                          vehicles=c.trucks_per_day, draw_options=opt))
    return flows


def _classes(options: pd.DataFrame, k: int) -> tuple[str, ...]:
    if "vehicle_classes" not in options.columns:
        return ("light", "heavy")
    # an object column of tuples (see candidates); pandas-stubs type a cell as a scalar
    return tuple(cast("tuple[str, ...]", options["vehicle_classes"].iat[k]))


def _road_detours(fwd: object, rev: object, path_nodes: np.ndarray, coords: np.ndarray,
                  site_nodes: np.ndarray, site_snap_m: np.ndarray, *, limit_m: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per site: the shortest road detour from the path and back (m), and its position along
    the path (m from the origin: that of the path node the detour leaves from).

    Sites farther than ``limit_m`` get ``inf``.
    """
    n = len(site_nodes)
    if not n:
        return np.zeros(0), np.zeros(0)
    cum = np.r_[0.0, np.cumsum(np.hypot(*np.diff(coords, axis=0).T))]
    where = {int(v): cum[k] for k, v in enumerate(path_nodes.tolist())}
    out_d, _, out_src = dijkstra(fwd, directed=True, indices=path_nodes, min_only=True,
                                 return_predecessors=True, limit=limit_m)
    back_d = dijkstra(rev, directed=True, indices=path_nodes, min_only=True, limit=limit_m)
    detour = out_d[site_nodes] + back_d[site_nodes] + 2.0 * site_snap_m
    src = out_src[site_nodes]
    pos = np.array([where.get(int(s), 0.0) for s in src.tolist()])
    return np.where(np.isfinite(detour), detour, np.inf), pos


def warn_overlaps(corridors: list[Corridor], fleet: gpd.GeoDataFrame, segment_class: dict[str,
                  str], metric_crs: str, *, radius_m: float = 2000.0) -> list[str]:
    """Warnings for corridors whose trucks may already be in the fleet layer.

    A corridor that starts or ends within ``radius_m`` of a fleet point of its own segment (or,
    without a segment, of a segment of its vehicle class) probably carries that fleet's
    trucks: counted twice, once as point demand and once on the corridor. Returns the
    messages (also logged).
    """
    if not corridors or not len(fleet):
        return []
    pts = point_xy(fleet, metric_crs)
    to_metric = _transformer(metric_crs)
    seg = fleet["segment"].astype(str).to_numpy()
    ids = fleet["fleet_id"].astype(str).to_numpy()
    out = []
    for c in corridors:
        same = (seg == c.segment) if c.segment else np.array(
            [segment_class.get(s) == c.vehicle_class for s in seg])
        if not same.any():
            continue
        for end, (lon, lat) in (("origin", c.origin), ("destination", c.destination)):
            x, y = to_metric(lon, lat)
            d = np.hypot(pts[same, 0] - x, pts[same, 1] - y)
            k = int(np.argmin(d))
            if d[k] <= radius_m:
                msg = (f"corridor '{c.id}': its {end} is {d[k]:,.0f} m from fleet point "
                       f"'{ids[same][k]}' of the same {'segment' if c.segment else 'class'}; if "
                       "the corridor's trucks are that fleet's, remove them from the fleet layer "
                       "or the corridor (they would be counted twice)")
                log.warning(msg)
                out.append(msg)
                break
    return out


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
