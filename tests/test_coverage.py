"""Tests for siting.coverage on hand-made networks, checked against networkx shortest paths."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from siting.coverage import (
    MIN_TIME_S,
    demand_site_times,
    option_coverage,
    reconnect_stranded,
    site_reach,
)
from tests.helpers_net import (
    SPEEDS_KPH,
    grid_edges,
    grid_offsets,
    make_net,
    nearest_node,
    to_digraph,
    to_metric,
)

ACCESS_KPH = 15.0
ACCESS_MS = ACCESS_KPH / 3.6


def _xy(offsets: list[tuple[float, float]]) -> np.ndarray:
    off = np.asarray(offsets, dtype=float).reshape(-1, 2)
    return np.column_stack(to_metric(off[:, 0], off[:, 1]))


def expected_times(net, site_xy: np.ndarray, dem_xy: np.ndarray, dem_class: np.ndarray,
                   thresholds: np.ndarray) -> dict[tuple[int, int], float]:
    """(demand, site) → drive time, s, within threshold: networkx paths plus straight legs."""
    graphs = {vc: to_digraph(net, SPEEDS_KPH, vc) for vc in set(dem_class)}
    site_snap = [nearest_node(net, *p) for p in site_xy]
    out = {}
    for i, p in enumerate(dem_xy):
        node, snap = nearest_node(net, *p)
        dist = nx.single_source_dijkstra_path_length(graphs[dem_class[i]], node,
                                                     weight="time_s")
        for j, (snode, ssnap) in enumerate(site_snap):
            if snode not in dist:
                continue
            t = dist[snode] + (snap + ssnap) / ACCESS_MS
            if t <= thresholds[i]:
                out[(i, j)] = t
    return out


def run_coverage(net, site_xy, dem_xy, dem_class, thresholds):
    cutoffs = {vc: float(thresholds[dem_class == vc].max()) for vc in set(dem_class)}
    fractions: list[float] = []
    reach = site_reach(net, site_xy, cutoffs, SPEEDS_KPH, access_speed_kph=ACCESS_KPH,
                       progress=fractions.append)
    d_node, d_snap = net.snap(dem_xy[:, 0], dem_xy[:, 1])
    st = demand_site_times(reach, np.asarray(d_node), np.asarray(d_snap, dtype=float),
                           dem_class, thresholds)
    return reach, st, fractions


@pytest.fixture(scope="module")
def grid_case():
    """A 6 × 5 grid, 400 m blocks: fast west-east primaries, slow north-south residentials.

    Extra: one diagonal one-way shortcut (3 → 14) and one long, curvy vertical (length 900 m).
    """
    nx_, ny, s = 6, 5, 400.0
    edges = grid_edges(nx_, ny)
    edges.append((3, 14, "primary", True))
    edges = [e if e[:2] != (7, 13) else (7, 13, "residential", False, 900.0) for e in edges]
    net = make_net(grid_offsets(nx_, ny, s), edges)
    rng = np.random.default_rng(7)
    site_off = [(410.0, 395.0), (1600.0, 1200.0), (2000.0, 0.0), (800.0, 1590.0)]
    dem_off = [tuple(p) for p in rng.uniform([-50, -50], [2050, 1650], size=(40, 2))]
    dem_off += [(1600.0, 1200.0)]  # same point as site 1 (a node): zero drive
    dem_off += [(2000.0, 0.0)]     # same point as site 2 (a node)
    n = len(dem_off)
    dem_class = np.array(["light" if k % 3 else "heavy" for k in range(n)], dtype=object)
    thresholds = np.where(dem_class == "light", 240.0, 420.0)
    thresholds[-2:] = 60.0
    return net, _xy(site_off), _xy(dem_off), dem_class, thresholds


def test_site_times_equal_networkx(grid_case) -> None:
    net, site_xy, dem_xy, dem_class, thr = grid_case
    _, st, fractions = run_coverage(net, site_xy, dem_xy, dem_class, thr)
    want = expected_times(net, site_xy, dem_xy, dem_class, thr)
    assert st.shape == (len(dem_xy), len(site_xy))
    got = {(int(i), int(j)): float(v) for i, j, v in zip(*sp.find(st))}
    # a stored explicit value of exactly 0 would be lost by sp.find; there must be none anyway
    assert st.nnz == len(got)
    assert set(got) == set(want)
    for key, t in want.items():
        assert got[key] == pytest.approx(max(t, MIN_TIME_S), rel=1e-9, abs=1e-9), key
    # the case is not trivial: some pairs in, some out, both classes involved
    assert 10 < len(want) < 0.9 * st.shape[0] * st.shape[1]
    assert {dem_class[i] for i, _ in want} == {"light", "heavy"}
    assert fractions and fractions[-1] == pytest.approx(1.0)


def test_no_near_ties_in_grid_case(grid_case) -> None:
    """Guard for the test above: no pair sits within 1 ms of its threshold."""
    net, site_xy, dem_xy, dem_class, thr = grid_case
    big = np.full_like(thr, 1e9)
    every = expected_times(net, site_xy, dem_xy, dem_class, big)
    assert all(abs(t - thr[i]) > 1e-3 for (i, _), t in every.items())


def test_thresholds_cut_pairs(grid_case) -> None:
    net, site_xy, dem_xy, dem_class, thr = grid_case
    big = np.full_like(thr, 1e9)
    _, st_all, _ = run_coverage(net, site_xy, dem_xy, dem_class, big)
    _, st, _ = run_coverage(net, site_xy, dem_xy, dem_class, thr)
    all_pairs = {(int(i), int(j)): float(v) for i, j, v in zip(*sp.find(st_all))}
    kept = {(int(i), int(j)) for i, j, _ in zip(*sp.find(st))}
    dropped = [k for k, t in all_pairs.items() if t > thr[k[0]]]
    assert dropped, "the thresholds should cut some reachable pairs"
    assert kept == {k for k, t in all_pairs.items() if t <= thr[k[0]]}
    assert not (kept & set(dropped))


def test_demand_on_site_node_is_stored(grid_case) -> None:
    net, site_xy, dem_xy, dem_class, thr = grid_case
    _, st, _ = run_coverage(net, site_xy, dem_xy, dem_class, thr)
    n = len(dem_xy)
    for i, j in ((n - 2, 1), (n - 1, 2)):
        v = st[i, j]
        assert v >= 1e-3
        assert v <= 1e-3 + 1e-9
    # also survives the expansion to options
    options = pd.DataFrame({"site_idx": [1, 2], "serves": [("swap", "charging"), ("swap",)]})
    cov = option_coverage(st, np.array(["swap"] * n, dtype=object), options)
    assert cov[n - 2, 0] >= 1e-3 and cov[n - 1, 1] >= 1e-3


def test_one_way_edge_direction() -> None:
    """A → B is one-way: a vehicle at A reaches a site at C; a vehicle at C cannot reach A."""
    net = make_net([(0, 0), (1000, 0), (2000, 0)],
                   [(0, 1, "primary", True), (1, 2, "primary", False)])
    site_xy = _xy([(0, 0), (2000, 0)])
    dem_xy = _xy([(0, 0), (2000, 0)])
    cls = np.array(["light", "light"], dtype=object)
    thr = np.array([1e4, 1e4])
    _, st, _ = run_coverage(net, site_xy, dem_xy, cls, thr)
    # demand 0 (at A) → site 1 (at C): 2000 m at 10 m/s
    assert st[0, 1] == pytest.approx(200.0)
    # demand 1 (at C) → site 0 (at A): no road
    assert (1, 0) not in {(int(i), int(j)) for i, j, _ in zip(*sp.find(st))}
    assert st.nnz == 3  # (0,0), (0,1), (1,1)


def test_unreached_class_and_speeds_by_class() -> None:
    """Heavy trucks drive the same road at half the speed; the access legs are class-free."""
    net = make_net([(0, 0), (1000, 0)], [(0, 1, "primary", False)])
    site_xy = _xy([(1000, 30)])      # 30 m off the end node
    dem_xy = _xy([(0, -40), (0, -40)])  # 40 m off the start node
    cls = np.array(["light", "heavy"], dtype=object)
    thr = np.array([1e4, 1e4])
    _, st, _ = run_coverage(net, site_xy, dem_xy, cls, thr)
    legs = 70.0 / ACCESS_MS
    assert st[0, 0] == pytest.approx(100.0 + legs)
    assert st[1, 0] == pytest.approx(200.0 + legs)
    # exactly at the threshold is kept (<=), just below is not
    _, st_eq, _ = run_coverage(net, site_xy, dem_xy, cls, np.array([100.0 + legs, 199.0]))
    assert st_eq[0, 0] == pytest.approx(100.0 + legs)
    assert st_eq.nnz == 1


def test_option_coverage_respects_pathways(grid_case) -> None:
    net, site_xy, dem_xy, dem_class, thr = grid_case
    _, st, _ = run_coverage(net, site_xy, dem_xy, dem_class, thr)
    n = len(dem_xy)
    paths = np.array(["swap", "charging", "hydrogen"] * (n // 3 + 1), dtype=object)[:n]
    options = pd.DataFrame({
        "site_idx": [0, 0, 1, 2, 3, 3],
        "serves": [("swap",), ("charging",), ("swap", "charging", "hydrogen"), ("hydrogen",),
                   ("charging",), ("hydrogen",)],
    })
    cov = option_coverage(st, paths, options)
    assert cov.shape == (n, len(options))
    assert sp.issparse(cov) and cov.format == "csr"
    want = {}
    for (i, j), t in {(int(i), int(j)): float(v) for i, j, v in zip(*sp.find(st))}.items():
        for o, (site, serves) in enumerate(zip(options["site_idx"], options["serves"])):
            if site == j and paths[i] in serves:
                want[(i, o)] = t
    got = {(int(i), int(o)): float(v) for i, o, v in zip(*sp.find(cov))}
    assert cov.nnz == len(got)
    assert got.keys() == want.keys()
    for k, t in want.items():
        assert got[k] == pytest.approx(t, rel=1e-12)
    # every pathway appears and at least one compatible-but-far pair is absent
    assert {paths[i] for i, _ in got} == {"swap", "charging", "hydrogen"}


def test_empty_inputs() -> None:
    net = make_net([(0, 0), (1000, 0)], [(0, 1, "primary", False)])
    reach = site_reach(net, _xy([(0, 0)]), {"light": 100.0}, SPEEDS_KPH,
                       access_speed_kph=ACCESS_KPH)
    st = demand_site_times(reach, np.zeros(0, dtype=int), np.zeros(0), np.zeros(0, dtype=object),
                           np.zeros(0))
    assert st.shape == (0, 1) and st.nnz == 0
    # a demand of a class the reach was not computed for gets no entries
    st2 = demand_site_times(reach, np.array([0]), np.array([0.0]),
                            np.array(["heavy"], dtype=object), np.array([1e4]))
    assert st2.shape == (1, 1) and st2.nnz == 0
    cov = option_coverage(st2, np.array(["swap"], dtype=object),
                          pd.DataFrame({"site_idx": [0], "serves": [("charging",)]}))
    assert cov.shape == (1, 1) and cov.nnz == 0


def _main_and_stray():
    """A 2 km main road (nodes 0-1-2) and a stray 100 m piece (3-4) 300 m north of node 1."""
    return make_net([(0, 0), (1000, 0), (2000, 0), (1000, 300), (1100, 300)],
                    [(0, 1, "primary", False), (1, 2, "primary", False),
                     (3, 4, "residential", False)])


def test_reconnect_stranded_moves_points_off_a_piece_without_sites():
    net = _main_and_stray()
    xy = np.column_stack(to_metric(np.array([1000.0, 1100.0, 2000.0]),
                                   np.array([310.0, 320.0, 5.0])))
    node, snap_m = net.snap(xy[:, 0], xy[:, 1])
    assert node.tolist() == [3, 4, 2]
    sites = np.array([0])
    got = reconnect_stranded(net, xy, node, snap_m, sites, max_snap_m=400.0)
    # the two points beside the stray piece go to the main road's nearest node
    assert got.moved.tolist() == [0, 1]
    assert got.node.tolist() == [1, 1, 2]
    assert got.snap_m[:2] == pytest.approx([310.0, np.hypot(100.0, 320.0)])
    assert got.snap_m[2] == pytest.approx(snap_m[2])
    # the input arrays are left as they were
    assert node.tolist() == [3, 4, 2]
    # within a tighter limit only the nearer one moves
    got = reconnect_stranded(net, xy, node, snap_m, sites, max_snap_m=320.0)
    assert got.moved.tolist() == [0] and got.node.tolist() == [1, 4, 2]
    # a site on the stray piece makes it a piece worth reaching: nothing moves
    got = reconnect_stranded(net, xy, node, snap_m, np.array([0, 4]), max_snap_m=400.0)
    assert got.moved.tolist() == [] and got.node.tolist() == [3, 4, 2]
    # no site at all: nothing to move to
    got = reconnect_stranded(net, xy, node, snap_m, np.zeros(0, dtype=np.int64),
                             max_snap_m=400.0)
    assert got.moved.tolist() == [] and got.node.tolist() == [3, 4, 2]


def test_snap_within_a_node_subset():
    net = _main_and_stray()
    x, y = to_metric(np.array([1000.0]), np.array([290.0]))
    mask = np.array([True, True, True, False, False])
    node, dist = net.snap_within(x, y, mask)
    assert node.tolist() == [1] and dist == pytest.approx([290.0])
    node, dist = net.snap_within(x, y, np.zeros(5, dtype=bool))
    assert node.tolist() == [-1] and np.isinf(dist).all()
