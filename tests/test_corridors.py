"""Tests for siting.corridors: arc-cover sets checked against a brute-force round trip."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from siting._errors import NetworkError
from siting.corridors import _arc_cover_sets, corridor_flows, flows_gdf
from siting.scenario import Corridor
from tests.helpers_net import make_net, path_net, to_lonlat, to_metric

SPEEDS = {
    "trunk": {"light": 72.0, "heavy": 54.0},
    "residential": {"light": 18.0, "heavy": 9.0},
}


def round_trip_ok(open_pos: list[float], length: float, range_: float) -> bool:
    """Drive the out-and-back cycle once, filling up to ``range_`` at every open station.

    Each station at distance ``p`` from the origin is passed twice per cycle, at ``p`` and at
    ``2L - p``. The trip works when the tank never runs dry between two stops.
    """
    cycle = 2.0 * length
    stops = sorted(s % cycle for p in open_pos for s in (p, cycle - p))
    if not stops:
        return False
    for k, here in enumerate(stops):
        nxt = stops[k + 1] if k + 1 < len(stops) else stops[0] + cycle
        fuel = range_ - (nxt - here)   # filled up here, then driven to the next stop
        if fuel < 0:
            return False
    return True


def sets_hit(sets: list[np.ndarray], open_opts: set[int]) -> bool:
    return all(any(int(o) in open_opts for o in s) for s in sets)


def gaps(open_pos: list[float], length: float) -> list[float]:
    cycle = 2.0 * length
    stops = sorted(s % cycle for p in open_pos for s in (p, cycle - p))
    return [b - a for a, b in zip(stops, [*stops[1:], stops[0] + cycle])] if stops else []


def check_all_subsets(opt: np.ndarray, pos: np.ndarray, length: float, range_: float,
                      *, tie_tol: float = 0.0) -> int:
    """Assert the equivalence for every subset of options; return how many were feasible."""
    sets = _arc_cover_sets(opt, pos, length, range_)
    where = dict(zip(opt.tolist(), pos.tolist()))
    n_ok = 0
    for r in range(len(opt) + 1):
        for sub in itertools.combinations(opt.tolist(), r):
            open_pos = [where[o] for o in sub]
            if tie_tol and any(abs(g - range_) <= tie_tol for g in gaps(open_pos, length)):
                continue
            sim = round_trip_ok(open_pos, length, range_)
            assert sets_hit(sets, set(sub)) == sim, (sub, open_pos, length, range_)
            n_ok += sim
    return n_ok


# --------------------------------------------------------------------------- pure arc sets
def test_short_path_any_single_station_covers() -> None:
    opt = np.array([4, 7, 9])
    pos = np.array([0.0, 3_000.0, 10_000.0])
    sets = _arc_cover_sets(opt, pos, 10_000.0, 20_000.0)   # 2L = R
    for o in opt:
        assert sets_hit(sets, {int(o)})
    assert not sets_hit(sets, set())


def test_no_station_on_path_is_uncoverable() -> None:
    sets = _arc_cover_sets(np.empty(0, dtype=int), np.empty(0), 5_000.0, 100_000.0)
    assert not sets_hit(sets, set())
    assert not sets_hit(sets, {0, 1, 2})


def test_long_path_hand_cases() -> None:
    L, R = 10_000.0, 12_000.0
    opt = np.array([0, 1, 2, 3])
    pos = np.array([2_000.0, 5_000.0, 7_000.0, 9_000.0])
    sets = _arc_cover_sets(opt, pos, L, R)
    assert sets_hit(sets, {1})          # middle: gaps 10 km and 10 km
    assert not sets_hit(sets, {0})      # near the origin: gap 16 km on the way back
    assert not sets_hit(sets, {3})      # near the end: gap 18 km through the origin
    assert sets_hit(sets, {0, 3})       # gaps 4, 7, 2, 7 km (cycle 20 km)
    assert sets_hit(sets, {0, 2})       # gaps 10, 6, 4 ... all <= 12 km
    assert not sets_hit(sets, {2, 3})   # 4 km ... 14 km back through the origin


@pytest.mark.parametrize("seed", range(40))
def test_brute_force_integer_positions(seed: int) -> None:
    """Integer metres make exact ties (gap == R) common: they must count as reachable."""
    rng = np.random.default_rng(seed)
    length = float(rng.integers(5, 40))
    range_ = float(rng.integers(4, 90))
    n = int(rng.integers(1, 7))
    pos = rng.integers(0, int(length) + 1, size=n).astype(float)
    if n >= 2 and rng.random() < 0.3:
        pos[1] = pos[0]                 # two options at one site
    opt = rng.permutation(20)[:n]
    check_all_subsets(opt, pos, length, range_)


@pytest.mark.parametrize("seed", range(40))
def test_brute_force_float_positions(seed: int) -> None:
    """Positions as line_locate_point gives them: arbitrary floats in metres."""
    rng = np.random.default_rng(1000 + seed)
    length = float(rng.uniform(2_000, 60_000))
    range_ = float(rng.uniform(0.3, 2.5)) * length
    n = int(rng.integers(1, 7))
    pos = rng.uniform(0, length, size=n)
    if rng.random() < 0.2:
        pos[0] = 0.0
    if n >= 2 and rng.random() < 0.2:
        pos[-1] = length
    opt = np.arange(n) * 3 + 1
    check_all_subsets(opt, pos, length, range_, tie_tol=1e-3)


def test_coverage_does_not_depend_on_a_station_at_the_check_point() -> None:
    """A lone station must not cover itself: here it sits 2 km from the origin of a 10 km path."""
    for p in (2_000.0, 2_000.0004, 1_999.99961, 2_000.1234567):
        sets = _arc_cover_sets(np.array([0]), np.array([p]), 10_000.0, 12_000.0)
        assert not sets_hit(sets, {0}), p


# --------------------------------------------------------------------------- on a network
def _corridor(range_km: float, *, pathway: str = "hydrogen", detour_km: float = 1.0,
              origin=(0.0, 0.0), destination=(10_000.0, 0.0), vc: str = "heavy") -> Corridor:
    o = to_lonlat(*origin)
    d = to_lonlat(*destination)
    return Corridor(id="c1", name="test corridor", origin=(float(o[0]), float(o[1])),
                    destination=(float(d[0]), float(d[1])), trucks_per_day=40,
                    pathway=pathway, vehicle_class=vc, range_km=range_km, detour_km=detour_km)


#: Site offsets (m) beside a 10 km west-east road with a node every 100 m; detour 1 km →
#: a station whose access leg to the road is at most 500 m (there and back) counts.
SITE_OFF = [(2_500.0, 300.0), (5_000.0, -800.0), (7_300.0, 0.0), (10_000.0, 100.0),
            (0.0, -450.0), (4_000.0, 499.0)]
ON_PATH = {0: 2_500.0, 2: 7_300.0, 3: 10_000.0, 4: 0.0, 5: 4_000.0}   # site → position (m)


def _options() -> pd.DataFrame:
    rows = []
    for s in range(len(SITE_OFF)):
        rows.append({"site_idx": s, "serves": ("hydrogen",)})
        if s in (0, 2):
            rows.append({"site_idx": s, "serves": ("swap", "charging")})
    rows.append({"site_idx": 1, "serves": ("swap", "hydrogen")})
    return pd.DataFrame(rows)


def _site_xy() -> np.ndarray:
    off = np.asarray(SITE_OFF)
    return np.column_stack(to_metric(off[:, 0], off[:, 1]))


@pytest.mark.parametrize("range_km", [25.0, 20.0, 12.0, 9.0, 6.0, 4.0])
def test_corridor_flows_on_path_network(range_km: float) -> None:
    net = path_net(101, 100.0)
    options = _options()
    flows = corridor_flows([_corridor(range_km)], net, _site_xy(), options, SPEEDS,
                           weight_factor=0.5)
    assert len(flows) == 1
    f = flows[0]
    assert f.corridor_id == "c1" and f.name == "test corridor"
    assert f.weight == pytest.approx(20.0)
    assert f.length_km == pytest.approx(10.0)
    relevant = [o for o, (s, sv) in enumerate(zip(options["site_idx"], options["serves"]))
                if "hydrogen" in sv]
    members = set().union(*[set(s.tolist()) for s in f.arc_sets])
    assert members <= {o for o in relevant if options["site_idx"][o] in ON_PATH}
    n_ok = 0
    for r in range(len(options) + 1):
        for sub in itertools.combinations(range(len(options)), r):
            open_pos = [ON_PATH[options["site_idx"][o]] for o in sub
                        if o in relevant and options["site_idx"][o] in ON_PATH]
            sim = round_trip_ok(open_pos, 10_000.0, range_km * 1000.0)
            assert sets_hit(f.arc_sets, set(sub)) == sim, (sub, open_pos)
            n_ok += sim
    if range_km >= 20.0:   # 2L <= R: any single on-path hydrogen option covers
        for o in relevant:
            assert sets_hit(f.arc_sets, {o}) == (options["site_idx"][o] in ON_PATH)
    # all on-path stations open: positions 0, 2.5, 4, 7.3, 10 km, largest cycle gap 3.3 km
    assert n_ok > 0
    # subsets with at least one on-path hydrogen option: all of them work iff 2L <= R
    n_on = sum(options["site_idx"][o] in ON_PATH for o in relevant)
    with_one = 2 ** len(options) - 2 ** (len(options) - n_on)
    assert (n_ok == with_one) == (range_km >= 20.0)


def test_route_is_fastest_not_shortest() -> None:
    """The direct road is short but slow; trucks take the longer trunk road via node 2."""
    net = make_net([(0, 0), (10_000, 0), (5_000, 3_000)],
                   [(0, 1, "residential", False), (0, 2, "trunk", False),
                    (2, 1, "trunk", False)])
    site_xy = np.column_stack(to_metric(np.array([5_000.0, 5_000.0]),
                                        np.array([3_050.0, 0.0])))
    options = pd.DataFrame({"site_idx": [0, 1], "serves": [("hydrogen",), ("hydrogen",)]})
    f = corridor_flows([_corridor(30.0, detour_km=0.5)], net, site_xy, options, SPEEDS)[0]
    assert f.length_km == pytest.approx(2 * np.hypot(5_000, 3_000) / 1000.0)
    assert sets_hit(f.arc_sets, {0})
    assert not sets_hit(f.arc_sets, {1})
    lines = flows_gdf([f], net.crs)
    assert lines.crs == "EPSG:4326"
    assert len(lines) == 1 and lines["length_km"].iloc[0] == pytest.approx(f.length_km)


def test_disconnected_corridor_raises() -> None:
    net = make_net([(0, 0), (1_000, 0), (9_000, 0), (10_000, 0)],
                   [(0, 1, "trunk", False), (2, 3, "trunk", False)])
    options = pd.DataFrame({"site_idx": [0], "serves": [("hydrogen",)]})
    with pytest.raises(NetworkError, match=r"corridor 'c1'.*no road path"):
        corridor_flows([_corridor(50.0)], net, _site_xy()[:1], options, SPEEDS)


def test_corridor_without_serving_type_is_uncoverable() -> None:
    net = path_net(11, 1_000.0)
    options = _options()
    f = corridor_flows([_corridor(500.0, pathway="charging")], net, _site_xy(),
                       options.assign(serves=[("swap",)] * len(options)), SPEEDS)[0]
    assert not sets_hit(f.arc_sets, set(range(len(options))))


def test_on_route_follows_the_roads_not_a_straight_line() -> None:
    """A station 300 m from the route in a straight line, but 3 km away by road, is off it."""
    # route 0 -> 10 km along y = 0; the station's road leaves the route at x = 0 and runs
    # parallel at y = 300 m, so reaching x = 5 km from the route is a long detour
    nodes = [(x * 1_000.0, 0.0) for x in range(11)] + [(0.0, 300.0), (5_000.0, 300.0)]
    edges = [(k, k + 1, "trunk", False) for k in range(10)] + [(0, 11, "trunk", False),
                                                                (11, 12, "trunk", False)]
    net = make_net(nodes, edges)
    site = np.column_stack(to_metric(np.array([5_000.0]), np.array([300.0])))
    options = pd.DataFrame({"site_idx": [0], "serves": [("hydrogen",)]})
    f = corridor_flows([_corridor(50.0, detour_km=1.0)], net, site, options, SPEEDS)[0]
    assert not sets_hit(f.arc_sets, {0})
    f = corridor_flows([_corridor(50.0, detour_km=11.0)], net, site, options, SPEEDS)[0]
    assert sets_hit(f.arc_sets, {0})  # within an 11 km detour by road (5.3 km each way)
