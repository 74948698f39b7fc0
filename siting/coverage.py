"""Who can be served by what: sparse demand × option coverage from network travel times.

A demand point *i* can use option *o* (a station type at a site) when the type serves *i*'s
pathway and the drive from *i* to the site is within *i*'s segment threshold:

``t(i, o) = T_c[site(o), node(i)] + (snap_i + snap_site) / access_speed``

where ``T_c`` is the travel-time matrix of *i*'s vehicle class, computed once per class by one
bounded multi-source shortest-path run *to* the candidate sites (reverse graph), cut off at the
largest threshold of that class. Everything stays sparse: the result is a CSR matrix whose stored
values are travel times in seconds (never 0: a 1 ms floor keeps a same-node pair stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.network import RoadNetwork
from siting.travel_times import edge_weights_s, travel_times

#: Smallest stored travel time (s), so that a zero-time pair is not dropped by sparse algebra.
MIN_TIME_S = 1e-3


@dataclass(frozen=True)
class SiteReach:
    """Travel times from every road node to each site, per vehicle class.

    Attributes
    ----------
    site_node, site_snap_m
        Nearest road node of each site (index into the network) and the distance to it, m.
    times
        ``{vehicle_class: csr (n_sites, n_nodes)}``: seconds from a node to the site's node,
        stored only within ``cutoff_s[vehicle_class]``.
    cutoff_s
        Search cutoff per vehicle class, s.
    access_speed_kph
        Speed of the straight-line legs between points and their snapped nodes.
    """

    site_node: np.ndarray
    site_snap_m: np.ndarray
    times: dict[str, sp.csr_matrix]
    cutoff_s: dict[str, float]
    access_speed_kph: float

    def access_s(self, snap_m: np.ndarray) -> np.ndarray:
        """Seconds needed for straight-line legs of ``snap_m`` metres."""
        return np.asarray(snap_m, dtype=float) / (self.access_speed_kph / 3.6)


@dataclass(frozen=True)
class Reconnected:
    """Demand snapped past a network piece that no candidate site is on
    (:func:`reconnect_stranded`).

    Attributes
    ----------
    node, snap_m
        Every point's node and the distance to it, m (moved points changed).
    moved
        Indices of the points moved to a piece that holds a site.
    """

    node: np.ndarray
    snap_m: np.ndarray
    moved: np.ndarray


def reconnect_stranded(net: RoadNetwork, xy: np.ndarray, node: np.ndarray,
                       snap_m: np.ndarray, site_node: np.ndarray, max_snap_m: float
                       ) -> Reconnected:
    """Move points whose nearest road is on a network piece without any site to the nearest
    road of a piece that has one, when that road is within ``max_snap_m``.

    Real extracts hold many small pieces joined to nothing (service roads of a yard, a road
    cut by the extract's edge); a depot beside one would otherwise never reach a station.
    Points with no such road within ``max_snap_m`` keep their node
    (:func:`siting._checks.check_reachable` then names them).

    Parameters
    ----------
    net
        The road network.
    xy
        (n, 2) point coordinates in ``net.crs`` (metres).
    node, snap_m
        Each point's nearest node (:meth:`RoadNetwork.snap`) and the distance to it.
    site_node
        Snapped node of every site.
    max_snap_m
        Longest straight leg allowed from a point to its road, m.
    """
    node = np.asarray(node, dtype=np.int64)
    snap_m = np.asarray(snap_m, dtype=float)
    labels = np.asarray(net.components().labels)
    if not len(node) or not len(site_node):
        return Reconnected(node, snap_m, np.zeros(0, dtype=np.int64))
    served = np.isin(labels, np.unique(labels[np.asarray(site_node, dtype=np.int64)]))
    stranded = np.flatnonzero(~served[node])
    if not len(stranded):
        return Reconnected(node, snap_m, np.zeros(0, dtype=np.int64))
    new_node, new_m = net.snap_within(xy[stranded, 0], xy[stranded, 1], served)
    ok = new_m <= max_snap_m
    moved = stranded[ok]
    node, snap_m = node.copy(), snap_m.copy()
    node[moved], snap_m[moved] = new_node[ok], new_m[ok]
    return Reconnected(node, snap_m, moved)


def site_reach(net: RoadNetwork, site_xy: np.ndarray, cutoffs_s: dict[str, float],
               speeds_kph: dict[str, dict[str, float]], *, access_speed_kph: float,
               client: object | None = None,
               progress: Callable[[float], None] | None = None) -> SiteReach:
    """Snap sites to the network and run one bounded search per vehicle class.

    Parameters
    ----------
    net
        The road network.
    site_xy
        (n_sites, 2) site coordinates in ``net.crs`` (metres).
    cutoffs_s
        ``{vehicle_class: cutoff}`` — usually the largest threshold of the class's segments.
    speeds_kph
        Speed table ``{road_class: {vehicle_class: km/h}}``.
    access_speed_kph
        Speed for the legs between a point and its nearest node.
    client
        Optional dask.distributed client passed to the travel-time engine.
    progress
        Called with the fraction done.
    """
    site_node, site_snap = net.snap(site_xy[:, 0], site_xy[:, 1])
    times: dict[str, sp.csr_matrix] = {}
    classes = sorted(cutoffs_s)
    for k, vc in enumerate(classes):
        w = edge_weights_s(net, speeds_kph, vc)
        times[vc] = travel_times(net, site_node, w, cutoffs_s[vc], reverse=True, client=client)
        if progress:
            progress((k + 1) / len(classes))
    return SiteReach(np.asarray(site_node), np.asarray(site_snap, dtype=float), times,
                     dict(cutoffs_s), access_speed_kph)


def demand_site_times(reach: SiteReach, demand_node: np.ndarray, demand_snap_m: np.ndarray,
                      demand_class: np.ndarray, threshold_s: np.ndarray) -> sp.csr_matrix:
    """Sparse (n_demand, n_sites) drive times, s, kept only where within the demand's threshold.

    Parameters
    ----------
    reach
        From :func:`site_reach`.
    demand_node, demand_snap_m
        Nearest node of each demand point and the distance to it.
    demand_class
        Vehicle class of each demand point.
    threshold_s
        Longest acceptable drive of each demand point, s.
    """
    n = len(demand_node)
    n_sites = len(reach.site_node)
    rows, cols, vals = [], [], []
    site_access = reach.access_s(reach.site_snap_m)
    for vc, T in reach.times.items():
        sel = np.flatnonzero(np.asarray(demand_class) == vc)
        if not len(sel):
            continue
        # (len(sel), n_sites). The columns are taken from the CSR matrix itself: converting
        # it to CSC first took 4.6 s of the 100k city's coverage stage (two 2,000 × 200k
        # matrices of 70-78M entries), taking them directly 0.7 s (2026-12-07)
        block = sp.csr_matrix(T)[:, np.asarray(demand_node)[sel]].T.tocoo()
        t = (block.data + reach.access_s(demand_snap_m[sel][block.row])
             + site_access[block.col])
        keep = t <= threshold_s[sel][block.row]
        rows.append(sel[block.row[keep]])
        cols.append(block.col[keep])
        vals.append(np.maximum(t[keep], MIN_TIME_S))
    if not rows:
        return sp.csr_matrix((n, n_sites))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n, n_sites))


def option_coverage(site_times: sp.csr_matrix, demand_pathway: np.ndarray,
                    options: pd.DataFrame, demand_class: np.ndarray | None = None
                    ) -> sp.csr_matrix:
    """Expand demand × site times to demand × option, keeping pairs whose type serves the
    demand's pathway and vehicle class.

    Parameters
    ----------
    site_times
        (n_demand, n_sites) from :func:`demand_site_times`.
    demand_pathway
        Pathway of each demand row.
    options
        The options table of :func:`siting.candidates.build_options` (``site_idx``,
        ``serves``, and ``vehicle_classes`` when types are limited to some classes).
    demand_class
        Vehicle class of each demand row (None: every type serves every class).

    Returns
    -------
    scipy.sparse.csr_matrix
        (n_demand, n_options), values = travel time in seconds.
    """
    n_dem, n_sites = site_times.shape
    n_opt = len(options)
    site_idx = options["site_idx"].to_numpy()
    serves = options["serves"].to_numpy()
    classes = (options["vehicle_classes"].to_numpy() if "vehicle_classes" in options.columns
               and demand_class is not None else None)
    out = sp.csr_matrix((n_dem, n_opt))
    pathway = np.asarray(demand_pathway)
    vclass = (np.asarray(demand_class) if classes is not None
              else np.full(n_dem, "", dtype=object))
    for p, vc in sorted(set(zip(pathway.tolist(), vclass.tolist()))):
        opt = np.flatnonzero([p in s and (classes is None or vc in classes[k])
                              for k, s in enumerate(serves)])
        if not len(opt):
            continue
        S = sp.csr_matrix((np.ones(len(opt)), (site_idx[opt], opt)), shape=(n_sites, n_opt))
        mask = sp.diags(((pathway == p) & (vclass == vc)).astype(float))
        out = out + (mask @ site_times) @ S
    out = out.tocsr()
    out.eliminate_zeros()
    out.sort_indices()
    return out
