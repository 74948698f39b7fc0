"""Hydrogen supply sites and the stations they can deliver to.

A station that sells delivered hydrogen (not made on site) must lie within
``[hydrogen] delivery_km`` of a supply site, and the supply sites together cannot deliver more
than their ``kg_per_day``. The distance from a supply site to a station is measured **on the
roads** when the road network connects the two (tube trailers drive the roads), and in a
straight line otherwise (a supply site off the network, or on a piece of it the station is not
on); :attr:`SupplyDistances.road` records which, per pair, and the map and report say it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from siting.network import RoadNetwork
from siting.travel_times import adjacency_csr


@dataclass(frozen=True)
class SupplyDistances:
    """Distances from every supply site to every station site.

    Attributes
    ----------
    ids
        Supply site ids (``supply_id``).
    capacity
        (n_supply,) kg/day each site can deliver.
    km
        (n_sites, n_supply) distance, km (``inf``: farther than the search went by road).
    road
        (n_sites, n_supply) True where ``km`` was measured on the roads, False for straight
        lines.
    """

    ids: list[str]
    capacity: np.ndarray
    km: np.ndarray
    road: np.ndarray

    def nearest(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Per site: id of the nearest supply site, its distance (km) and basis (road?)."""
        n = self.km.shape[0]
        if not self.ids:
            return [""] * n, np.full(n, np.inf), np.zeros(n, dtype=bool)
        k = np.argmin(self.km, axis=1)
        rows = np.arange(n)
        return [self.ids[j] for j in k.tolist()], self.km[rows, k], self.road[rows, k]

    def pairs(self, site_of_option: np.ndarray, delivered: np.ndarray,
              limit_km: float) -> sp.csr_matrix:
        """(n_options, n_supply) pattern: which supply sites may deliver to which option.

        Only options that sell delivered hydrogen (``delivered``) get entries: those within
        ``limit_km``.
        """
        within = self.km[np.asarray(site_of_option, dtype=int)] <= limit_km
        within &= np.asarray(delivered, dtype=bool)[:, None]
        return sp.csr_matrix(within.astype(float))


def straight_line(site_xy: np.ndarray, supply_xy: np.ndarray, ids: list[str],
                  capacity: np.ndarray) -> SupplyDistances:
    """Distances as the crow flies (metric coordinates, m → km)."""
    d = np.hypot(site_xy[:, None, 0] - supply_xy[None, :, 0],
                 site_xy[:, None, 1] - supply_xy[None, :, 1]) / 1000.0
    return SupplyDistances(list(ids), np.asarray(capacity, dtype=float), d,
                           np.zeros(d.shape, dtype=bool))


def road_distances(net: RoadNetwork, site_xy: np.ndarray, supply_xy: np.ndarray,
                   ids: list[str], capacity: np.ndarray, *, limit_km: float,
                   max_snap_m: float) -> SupplyDistances:
    """Road distances where the network connects supply and site, straight lines elsewhere.

    One bounded shortest-path search per supply site, on edge lengths, from the site's
    nearest road node, up to ``2 × limit_km`` (pairs farther by road get ``inf``). The access
    legs (point to nearest node) are added at both ends. A supply site farther than
    ``max_snap_m`` from the roads, and pairs on network pieces that do not connect, use the
    straight line.
    """
    out = straight_line(site_xy, supply_xy, ids, capacity)
    if not len(site_xy) or not len(supply_xy):
        return out
    site_node, site_snap = net.snap(site_xy[:, 0], site_xy[:, 1])
    sup_node, sup_snap = net.snap(supply_xy[:, 0], supply_xy[:, 1])
    labels = net.components().labels
    A = adjacency_csr(net, net.edge_length_m.astype(float))
    cutoff = 2.0 * limit_km * 1000.0
    km, road = out.km.copy(), out.road.copy()
    for j in range(len(supply_xy)):
        if not sup_snap[j] <= max_snap_m:
            continue  # off the network: straight line for all its stations
        d = dijkstra(A, directed=True, indices=int(sup_node[j]), limit=cutoff)
        connected = labels[site_node] == labels[sup_node[j]]
        by_road = d[site_node] + site_snap + sup_snap[j]
        km[connected, j] = np.where(np.isfinite(by_road[connected]),
                                    by_road[connected] / 1000.0, np.inf)
        road[connected, j] = True
    return SupplyDistances(out.ids, out.capacity, km, road)
