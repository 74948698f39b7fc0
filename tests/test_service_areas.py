"""Service-area polygons: every reached node inside, areas close to the exact concave hull.

The reached nodes are recomputed here row by row from ``reach.times`` (not with the module's
vectorised selection), leaving out the nodes only expressways touch, and the reference polygon
is the exact construction on every node, ``simplify(buffer(concave_hull(all nodes, 0.08),
250 m, quad_segs=4), 50 m)``, cut to the grid cells (500 m) within one cell of a road.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from siting import service_areas
from siting.pipeline import Prepared, prepare
from siting.scenario import load_scenario
from siting.service_areas import coverage_areas, service_polygons

DATA = Path(__file__).resolve().parents[1] / "data" / "suizhou"
BUFFER_M = 250.0
#: A point in UTM zone 49N (m), where the synthetic point sets sit.
ORIGIN = np.array([500_000.0, 3_500_000.0])


@pytest.fixture(scope="module")
def demo() -> Prepared:
    return prepare(load_scenario(DATA / "scenario.toml"))


def _expected(prep: Prepared, open_year: np.ndarray) -> list[dict]:
    """Per chosen option with a served segment: ids, the segment, the reached nodes."""
    sc, reach = prep.scenario, prep.reach
    out = []
    for k in np.flatnonzero(open_year >= 0):
        o = prep.options.iloc[k]
        segs = [s for s in sc.segments if any(s.pathway_split.get(p, 0) > 0 for p in o.serves)]
        if not segs:
            continue
        seg = max(segs, key=lambda s: s.threshold_min)
        site = int(o.site_idx)
        row = reach.times[seg.vehicle_class].getrow(site)
        limit = seg.threshold_min * 60.0 - reach.site_snap_m[site] / (reach.access_speed_kph / 3.6)
        nodes = row.indices[row.data <= limit]
        nodes = nodes[[_stop_ok(prep.net, int(n)) for n in nodes]]
        if len(nodes) == 0:
            nodes = np.array([reach.site_node[site]])
        out.append({"site_id": o.site_id, "station_type": o.station_type, "segment": seg.id,
                    "threshold_min": seg.threshold_min, "nodes": nodes})
    return out


def _stop_ok(net, node: int) -> bool:
    """Some road other than an expressway (motorway, motorway_link) touches the node."""
    touching = np.flatnonzero((net.edge_u == node) | (net.edge_v == node))
    return any(str(net.edge_class[e]) not in ("motorway", "motorway_link") for e in touching)


def _road_points(net) -> np.ndarray:
    """Points every <= 100 m along every road (straight between its nodes), (n, 2) m."""
    out = []
    for u, v in zip(net.edge_u, net.edge_v):
        n = int(np.hypot(net.x[v] - net.x[u], net.y[v] - net.y[u]) // 100) + 2
        f = np.linspace(0, 1, n)
        out.append(np.column_stack([net.x[u] + f * (net.x[v] - net.x[u]),
                                    net.y[u] + f * (net.y[v] - net.y[u])]))
    return np.concatenate(out)


def _exact(x: np.ndarray, y: np.ndarray) -> shapely.Geometry:
    hull = shapely.concave_hull(shapely.multipoints(np.column_stack([x, y])), ratio=0.08)
    return shapely.buffer(hull, BUFFER_M, quad_segs=4).simplify(BUFFER_M / 5)


@pytest.mark.slow
def test_demo_areas_hold_every_reached_node_and_match_the_exact_hull(demo):
    open_year = np.zeros(len(demo.options), dtype=int)  # every option chosen
    open_year[::7] = -1
    got = coverage_areas(demo.scenario, demo.net, demo.options, open_year, demo.reach)
    want = _expected(demo, open_year)

    assert got.crs.to_epsg() == 4326
    assert list(got.columns) == ["site_id", "station_type", "segment", "threshold_min",
                                 "geometry"]
    assert len(got) == len(want) > 100
    for col in ("site_id", "station_type", "segment", "threshold_min"):
        assert got[col].tolist() == [w[col] for w in want]

    polys = got.to_crs(demo.net.crs).geometry.to_numpy()
    assert shapely.is_valid(polys).all()
    roads = cKDTree(_road_points(demo.net))
    # a cell of 500 m next to a cell a road crosses: no point is farther than 2 diagonals
    # (+ 100 m sampling) from a road
    reach_m = 2 * 500.0 * np.sqrt(2) + 100.0
    foot = service_areas.road_footprint(demo.net, 2 * BUFFER_M)
    ratios = []
    for poly, w in zip(polys, want):
        x, y = demo.net.x[w["nodes"]], demo.net.y[w["nodes"]]
        assert shapely.contains_xy(poly, x, y).all(), w["site_id"]
        corners = shapely.get_coordinates(poly.boundary)
        assert roads.query(corners)[0].max() <= reach_m, w["site_id"]
        ratios.append(poly.area / shapely.intersection(_exact(x, y), foot).area)
    ratios = np.array(ratios)
    assert ratios.min() > 0.95 and ratios.max() < 1.05, (ratios.min(), ratios.max())
    assert abs(np.median(ratios) - 1.0) < 0.02


@pytest.mark.slow
def test_expressways_alone_shape_no_area_and_areas_stay_on_the_roads(demo):
    # The finding: the schematic expressway carried areas ~20 km out of town. With
    # its nodes left out, no area holds a node that only an expressway touches, and the
    # clipped areas are smaller than the hulls of every reached node.
    net = demo.net
    open_year = np.zeros(len(demo.options), dtype=int)
    got = coverage_areas(demo.scenario, net, demo.options, open_year, demo.reach)
    polys = got.to_crs(net.crs).geometry.to_numpy()
    express = [n for n in range(net.n_nodes)
               if not _stop_ok(net, n) and ((net.edge_u == n) | (net.edge_v == n)).any()]
    assert express, "the bundled network has expressway-only nodes"
    union = shapely.union_all(polys)
    inside = shapely.contains_xy(union, net.x[express], net.y[express])
    # an expressway node may lie inside an area that reaches it from town, but not all do
    assert inside.mean() < 0.5
    whole = shapely.union_all([_exact(net.x[w["nodes"]], net.y[w["nodes"]])
                               for w in _expected(demo, open_year)])
    assert union.area <= whole.area


def test_no_chosen_station_gives_an_empty_layer(demo):
    got = coverage_areas(demo.scenario, demo.net, demo.options,
                         np.full(len(demo.options), -1), demo.reach)
    assert len(got) == 0
    assert got.crs.to_epsg() == 4326
    assert {"site_id", "station_type", "segment", "threshold_min"} <= set(got.columns)


def test_station_reaching_no_node_gets_a_disc_around_its_node(demo):
    # A snap leg longer than every threshold leaves no node within reach of site 0.
    snap = demo.reach.site_snap_m.copy()
    snap[0] = 1e6
    reach = replace(demo.reach, site_snap_m=snap)
    open_year = np.where(demo.options["site_idx"].to_numpy() == 0, 0, -1)
    got = coverage_areas(demo.scenario, demo.net, demo.options, open_year, reach)
    assert len(got) == int((open_year == 0).sum()) >= 1
    node = demo.reach.site_node[0]
    for poly in got.to_crs(demo.net.crs).geometry:
        assert poly.geom_type == "Polygon" and poly.is_valid
        assert poly.contains(shapely.Point(demo.net.x[node], demo.net.y[node]))
        assert poly.area == pytest.approx(np.pi * BUFFER_M**2, rel=0.1)


def _blob(seed: int) -> np.ndarray:
    """A dense, jittered 40 m lattice over a 4 km disc with a 3 km road out east, (n, 2) m."""
    rng = np.random.default_rng(seed)
    g = np.arange(-2000.0, 2001.0, 40.0)
    gx, gy = (a.ravel() for a in np.meshgrid(g, g))
    disc = np.hypot(gx, gy) <= 2000.0
    road = np.arange(2000.0, 5000.0, 30.0)
    xy = np.column_stack([np.concatenate([gx[disc], road]),
                          np.concatenate([gy[disc], np.zeros_like(road)])])
    return xy + rng.normal(0, 5, xy.shape) + ORIGIN


def _square(side_m: float, step_m: float) -> np.ndarray:
    g = np.arange(0.0, side_m, step_m)
    return np.column_stack([a.ravel() for a in np.meshgrid(g, g)]) + ORIGIN


def test_dense_sets_match_the_exact_hull_and_hold_every_point():
    # the second set overlaps the first: cells are per set
    sets = [_blob(0), _blob(1) + np.array([3000.0, 0.0]), _square(3000.0, 50.0),
            _far_squares()]
    polys = service_polygons(sets, buffer_m=BUFFER_M)
    assert len(polys) == len(sets)
    for poly, xy in zip(polys, sets):
        assert poly.is_valid
        assert shapely.contains_xy(poly, xy[:, 0], xy[:, 1]).all()
        assert poly.area == pytest.approx(_exact(xy[:, 0], xy[:, 1]).area, rel=0.03)


def _far_squares() -> np.ndarray:
    """Two dense 1.5 km squares 100 km apart: too sparse a grid for a bitmap of its cells."""
    return np.concatenate([_square(1500.0, 50.0), _square(1500.0, 50.0) + 100_000.0])


@pytest.mark.parametrize("make", [lambda: _blob(2), _far_squares], ids=["blob", "far squares"])
def test_points_left_out_of_the_hull_are_within_sure_reach_of_an_interior_centre(make):
    # The guarantee behind thinning: a point not given to the hull is within the buffer's
    # sure reach of an interior cell centre, and the hull is checked to hold those centres.
    xy = make()
    keep, centres = service_areas._edge_points(xy, service_areas._cell_m(BUFFER_M))
    assert 0 < keep.sum() < 0.5 * len(xy)  # most points are interior here
    dist, _ = cKDTree(centres).query(xy[~keep])
    assert dist.max() <= service_areas._sure_reach_m(BUFFER_M)
    # and the kept points are exactly those of cells with an empty neighbour
    cell = np.floor((xy - xy.min(axis=0)) / service_areas._cell_m(BUFFER_M)).astype(int)
    occupied = {tuple(c) for c in cell}
    edge = [any((i + di, j + dj) not in occupied for di in (-1, 0, 1) for dj in (-1, 0, 1))
            for i, j in cell]
    assert keep.tolist() == edge


def test_polygon_of_one_point_covers_its_sure_reach_and_no_more_than_the_buffer():
    angle = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    ring = np.column_stack([np.cos(angle), np.sin(angle)])
    poly = service_polygons([ORIGIN[None, :]], buffer_m=BUFFER_M)[0]
    inner = ORIGIN + service_areas._sure_reach_m(BUFFER_M) * ring
    outer = ORIGIN + 1.001 * BUFFER_M * ring
    assert shapely.contains_xy(poly, inner[:, 0], inner[:, 1]).all()
    assert not shapely.contains_xy(poly, outer[:, 0], outer[:, 1]).any()
    assert service_areas._sure_reach_m(BUFFER_M) > 0.75 * BUFFER_M


@pytest.mark.parametrize("case", ["one point", "same point twice", "collinear", "one cell"])
def test_degenerate_sets_give_a_valid_polygon_holding_the_points(case):
    pts = {"one point": [(0.0, 0.0)],
           "same point twice": [(0.0, 0.0), (0.0, 0.0)],
           "collinear": [(d, 0.5 * d) for d in np.arange(0.0, 3000.0, 30.0)],
           "one cell": [(10.0, 10.0), (20.0, 15.0), (30.0, 12.0)]}[case]
    xy = np.asarray(pts) + ORIGIN
    poly = service_polygons([xy], buffer_m=BUFFER_M)[0]
    assert poly.geom_type == "Polygon" and poly.is_valid and not poly.is_empty
    assert shapely.contains_xy(poly, xy[:, 0], xy[:, 1]).all()
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
    # at least the disc around one point, at most the buffered bounding box
    assert 0.9 * np.pi * BUFFER_M**2 < poly.area < (span + 2 * BUFFER_M) ** 2


def test_hull_missing_an_interior_cell_is_redone_from_every_point(monkeypatch):
    # Stand in for a hull that leaves out interior cells: the first hull loses a ring around
    # the middle of the square, so the set must be hulled again from all its points.
    calls = []
    hulls = service_areas._hulls

    def bitten_first(point_sets):
        out = hulls(point_sets)
        if not calls:
            ring = shapely.box(500_700.0, 3_500_700.0, 502_300.0, 3_502_300.0).exterior
            out = shapely.difference(out, ring.buffer(400.0))
        calls.append(len(point_sets))
        return out

    monkeypatch.setattr(service_areas, "_hulls", bitten_first)
    xy = _square(3000.0, 50.0)
    poly = service_polygons([xy], buffer_m=BUFFER_M)[0]
    assert calls == [1, 1]
    assert shapely.contains_xy(poly, xy[:, 0], xy[:, 1]).all()
    assert poly.area == pytest.approx(_exact(xy[:, 0], xy[:, 1]).area, rel=0.03)


def test_bad_input_is_refused_and_no_set_gives_no_polygon():
    with pytest.raises(ValueError, match="at least one point"):
        service_polygons([np.zeros((2, 2)), np.zeros((0, 2))])
    with pytest.raises(ValueError, match="positive"):
        service_polygons([np.zeros((1, 2))], buffer_m=0.0)
    assert len(service_polygons([])) == 0
