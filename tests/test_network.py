"""Tests of siting.network: every source format, noding, speeds, snapping, components, cache.

Expected values are derived from the hand-written fixture (tests/fixtures/network/tiny.osm)
and from geometry built in the tests; lengths are recomputed with pyproj's great-circle
(spherical Geod), independently of the code under test.
"""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString, Point

from siting._errors import CRSMismatchError, DownloadError, InputDataError, NetworkError
from siting.network import (
    RoadNetwork,
    from_lines,
    from_networkx,
    load_network,
    read_npz,
    save_network,
    utm_crs,
)
from siting.scenario import DEFAULT_SPEEDS_KPH, NetworkSpec

FIXTURES = Path(__file__).parent / "fixtures" / "network"
TINY_OSM = FIXTURES / "tiny.osm"
SPHERE = Geod(a=6_371_008.8, f=0.0)
DEG_M = 111_194.9  # metres per degree of latitude on that sphere

# Tiny fixture: the node coordinates (lon, lat) by OSM id, and the directed edges expected
# after filtering (service 104, private 105 and footway 106 dropped; motorway 108 one-way by
# implication; 102 one-way forward; 103 one-way reversed; 107 cut at the missing node 999).
TINY_NODES = {1: (113.370, 31.690), 2: (113.375, 31.690), 3: (113.380, 31.690),
              4: (113.375, 31.695), 5: (113.375, 31.685), 6: (113.385, 31.690),
              7: (113.390, 31.690), 10: (113.400, 31.700), 11: (113.410, 31.705),
              12: (113.390, 31.670), 13: (113.392, 31.671)}
TINY_EDGES = {
    (1, 2): "primary", (2, 1): "primary", (2, 3): "primary", (3, 2): "primary",
    (4, 2): "residential", (2, 4): "residential", (2, 5): "residential",
    (5, 2): "residential", (3, 6): "secondary", (7, 6): "tertiary_link",
    (10, 11): "motorway", (12, 13): "unclassified", (13, 12): "unclassified",
}


def great_circle(lon1, lat1, lon2, lat2) -> float:
    return float(SPHERE.inv(lon1, lat1, lon2, lat2)[2])


def edge_dict(net: RoadNetwork) -> dict[tuple[int, int], tuple[float, str]]:
    ids = net.node_id
    return {(int(ids[u]), int(ids[v])): (float(ln), str(c))
            for u, v, ln, c in zip(net.edge_u, net.edge_v, net.edge_length_m, net.edge_class,
                                   strict=True)}


def assert_tiny(net: RoadNetwork) -> None:
    assert sorted(net.node_id.tolist()) == sorted(TINY_NODES)
    got = edge_dict(net)
    assert len(got) == net.n_edges == len(TINY_EDGES)
    assert {k: v[1] for k, v in got.items()} == TINY_EDGES
    for (a, b), (length, _) in got.items():
        assert length == pytest.approx(great_circle(*TINY_NODES[a], *TINY_NODES[b]), rel=1e-9)
    for i, nid in enumerate(net.node_id):
        assert (net.lon[i], net.lat[i]) == pytest.approx(TINY_NODES[int(nid)], abs=1e-7)


def osm_to_pbf(src: Path, dst: Path) -> Path:
    import osmium

    with osmium.SimpleWriter(str(dst)) as w:
        for obj in osmium.FileProcessor(str(src)):
            if obj.is_node():
                w.add_node(obj)
            elif obj.is_way():
                w.add_way(obj)
    return dst


# --------------------------------------------------------------------------- OSM files
def test_osm_xml_filter_oneway_lengths_and_components(caplog):
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        net = load_network(NetworkSpec(path=TINY_OSM))
    assert_tiny(net)
    assert net.crs == "EPSG:32649"
    rep = net.components()
    assert rep.n_components == 3
    assert rep.largest_share == pytest.approx(7 / 11)
    assert "largest connected part holds only 63.6%" in caplog.text
    main = {int(i) for i in net.node_id[net.largest_component_mask()]}
    assert main == {1, 2, 3, 4, 5, 6, 7}
    # labels agree with networkx's weak components
    nxg = net.to_networkx()
    comps = sorted((sorted(c) for c in nx.weakly_connected_components(nxg)), key=len)
    assert [len(c) for c in comps] == [2, 2, 7]
    for c in comps:
        assert len({int(rep.labels[i]) for i in c}) == 1


def test_osm_bz2_and_pbf_match_xml(tmp_path):
    import bz2
    import gzip

    bz = tmp_path / "tiny.osm.bz2"
    bz.write_bytes(bz2.compress(TINY_OSM.read_bytes()))
    gz = tmp_path / "Tiny.OSM.GZ"
    gz.write_bytes(gzip.compress(TINY_OSM.read_bytes()))
    pbf = osm_to_pbf(TINY_OSM, tmp_path / "tiny.osm.pbf")
    for p in (bz, gz, pbf):
        assert_tiny(load_network(NetworkSpec(path=p)))


def test_pbf_grid_scales_and_splits_at_shared_nodes(tmp_path):
    """A 60x60 grid of ways (each row/column one way crossing all others at shared nodes)."""
    import osmium

    k = 60
    step = 0.001
    pbf = tmp_path / "grid.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as w:
        for j in range(k):
            for i in range(k):
                w.add_node(osmium.osm.mutable.Node(
                    id=j * k + i + 1, location=(113.3 + i * step, 31.6 + j * step)))
        for j in range(k):
            w.add_way(osmium.osm.mutable.Way(id=j + 1, nodes=[j * k + i + 1 for i in range(k)],
                                             tags={"highway": "secondary"}))
        for i in range(k):
            w.add_way(osmium.osm.mutable.Way(id=1000 + i,
                                             nodes=[j * k + i + 1 for j in range(k)],
                                             tags={"highway": "residential",
                                                   "oneway": "yes" if i == 0 else "no"}))
    net = load_network(NetworkSpec(path=pbf))
    assert net.n_nodes == k * k
    # 2 * k ways of k-1 segments, both directions except the one-way column
    assert net.n_edges == 2 * (2 * k * (k - 1)) - (k - 1)
    assert net.components().n_components == 1
    # a horizontal edge: 0.001 deg of longitude at its latitude
    e = np.nonzero((net.node_id[net.edge_u] == 1) & (net.node_id[net.edge_v] == 2))[0]
    assert net.edge_length_m[e[0]] == pytest.approx(great_circle(113.3, 31.6, 113.301, 31.6))


def test_empty_osm_is_an_error(tmp_path):
    p = tmp_path / "paths.osm"
    p.write_text("""<?xml version='1.0' encoding='UTF-8'?><osm version="0.6">
      <node id="1" version="1" lat="31.69" lon="113.37"/>
      <node id="2" version="1" lat="31.69" lon="113.38"/>
      <way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>
    </osm>""", encoding="utf-8")
    with pytest.raises(NetworkError, match="no drivable roads"):
        load_network(NetworkSpec(path=p))


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(NetworkError, match=r"not found.*\.osm\.pbf"):
        load_network(NetworkSpec(path=tmp_path / "nope.osm.pbf"))
    bad = tmp_path / "roads.csv"
    bad.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(NetworkError, match=r"roads\.csv.*unsupported.*\.graphml"):
        load_network(NetworkSpec(path=bad))
    garbage = tmp_path / "broken.osm.pbf"
    garbage.write_bytes(b"not a pbf at all")
    with pytest.raises(NetworkError, match=r"broken\.osm\.pbf"):
        load_network(NetworkSpec(path=garbage))


# --------------------------------------------------------------------------- GraphML / networkx
def test_graphml_undirected_projected_with_string_attributes(tmp_path):
    """A plain networkx graph in a projected CRS, attributes stored as strings."""
    from pyproj import Transformer

    to_m = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    pts = {"a": (113.37, 31.69), "b": (113.38, 31.69), "c": (113.38, 31.70)}
    G = nx.Graph(crs="EPSG:4547")
    for n, (lon, lat) in pts.items():
        x, y = to_m.transform(lon, lat)
        G.add_node(n, x=str(x), y=str(y))
    G.add_edge("a", "b", highway="['primary', 'secondary']", length="1000.5")
    G.add_edge("b", "c", highway="trunk_link")  # no length: great-circle
    path = tmp_path / "g.graphml"
    nx.write_graphml(G, path)
    net = load_network(NetworkSpec(path=path))
    assert net.n_nodes == 3 and net.n_edges == 4
    assert net.node_id.tolist() == [0, 1, 2]  # non-numeric ids -> positions
    assert np.allclose(net.lon, [113.37, 113.38, 113.38], atol=1e-7)
    assert np.allclose(net.lat, [31.69, 31.69, 31.70], atol=1e-7)
    e = edge_dict(net)
    assert e[(0, 1)] == (1000.5, "primary") and e[(1, 0)] == (1000.5, "primary")
    assert e[(1, 2)][0] == pytest.approx(great_circle(113.38, 31.69, 113.38, 31.70))
    assert e[(2, 1)][1] == "trunk_link"


def test_graphml_osmnx_roundtrip(tmp_path):
    import osmnx as ox

    net = load_network(NetworkSpec(path=TINY_OSM))
    G = net.to_networkx()
    G = nx.relabel_nodes(G, {i: int(net.node_id[i]) for i in G.nodes})
    path = tmp_path / "tiny.graphml"
    ox.save_graphml(G, path)
    back = load_network(NetworkSpec(path=path))
    assert_tiny(back)


def _osmnx_style_graph() -> nx.MultiDiGraph:
    """An osmnx-like graph (as ``graph_from_xml`` without a filter gives): a two-way
    primary road a-b-c, a one-way trunk c-d, and next to them what fleets cannot drive on."""
    pts = {1: (113.370, 31.690), 2: (113.375, 31.690), 3: (113.380, 31.690),
           4: (113.385, 31.690), 5: (113.375, 31.695), 6: (113.380, 31.695),
           7: (113.385, 31.695), 8: (113.390, 31.695)}
    G = nx.MultiDiGraph(crs="epsg:4326")
    for n, (x, y) in pts.items():
        G.add_node(n, x=x, y=y)

    def both(a, b, **tags):
        G.add_edge(a, b, **tags)
        G.add_edge(b, a, **tags)

    both(1, 2, highway="primary", osmid=10)
    both(2, 3, highway="['primary', 'service']", osmid="[10, 11]")  # merged: kept, primary
    G.add_edge(3, 4, highway="trunk", oneway=True, osmid=12)
    both(2, 5, highway="footway", osmid=13)
    both(5, 6, highway="cycleway", osmid=14)
    both(3, 6, highway="service", service="parking_aisle", osmid=15)
    both(6, 7, building="yes", osmid=16)                  # an untagged area outline
    both(4, 7, highway="residential", area="yes", osmid=17)
    both(7, 8, highway="residential", access="private", osmid=18)
    return G


EXPECTED_DROPPED = {"footway": 2, "cycleway": 2, "service": 2, "untagged": 2, "area": 2,
                    "no access": 2}


def test_graphml_gets_the_osm_fleet_road_filter(tmp_path, caplog):
    import osmnx as ox

    path = tmp_path / "all_roads.graphml"
    ox.save_graphml(_osmnx_style_graph(), path)
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        net = load_network(NetworkSpec(path=path))
    got = {k: v[1] for k, v in edge_dict(net).items()}
    assert got == {(1, 2): "primary", (2, 1): "primary", (2, 3): "primary",
                   (3, 2): "primary", (3, 4): "trunk"}
    assert sorted(net.node_id.tolist()) == [1, 2, 3, 4]  # nodes of dropped edges only: gone
    assert dict(net.dropped) == EXPECTED_DROPPED and net.n_dropped == 12
    summary = net.filter_summary()
    assert summary.startswith("12 source edges dropped by the fleet road filter (")
    for reason, n in EXPECTED_DROPPED.items():
        assert f"{reason} {n}" in summary
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(summary in m and "all_roads.graphml" in m for m in warned), warned
    # the same graph as an OSM file gives the same network (one filter for both)
    back = save_network(net, tmp_path / "n.npz")
    assert dict(read_npz(back).dropped) == EXPECTED_DROPPED  # kept in the .npz


def test_graphml_filter_matches_osm_file(tmp_path):
    """The tiny OSM fixture as an unfiltered osmnx graph (every way with its tags) -> GraphML:
    the fleet road filter leaves exactly the network read from the .osm file."""
    import osmium
    import osmnx as ox

    locs = {n.id: (n.location.lon, n.location.lat) for n in osmium.FileProcessor(
        str(TINY_OSM), osmium.osm.NODE)}
    G = nx.MultiDiGraph(crs="epsg:4326")
    for w in osmium.FileProcessor(str(TINY_OSM), osmium.osm.WAY):
        tags = {t.k: t.v for t in w.tags}
        for a, b in itertools.pairwise([nd.ref for nd in w.nodes]):
            if a not in locs or b not in locs:  # a node outside the extract cuts the way
                continue
            for n in (a, b):
                G.add_node(n, x=locs[n][0], y=locs[n][1])
            if tags.get("oneway") == "-1":
                G.add_edge(b, a, **tags)
                continue
            G.add_edge(a, b, **tags)
            if tags.get("oneway") != "yes" and tags.get("highway") != "motorway":
                G.add_edge(b, a, **tags)
    path = tmp_path / "tiny.graphml"
    ox.save_graphml(G, path)
    from_graphml = load_network(NetworkSpec(path=path))
    assert_tiny(from_graphml)
    assert from_graphml.n_dropped > 0 and set(from_graphml.dropped) >= {"service", "footway",
                                                                         "no access"}


def test_simplified_osmnx_graphml_keeps_the_road_shape(tmp_path):
    """osmnx's default (simplify=True) keeps a road's shape only in the edge's geometry: its
    inner vertices are nodes again, so points snap to the road as from the OSM file (they
    snapped to junctions only, 400 m off on a real extract) and maps draw the road."""
    import osmnx as ox

    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=113.370, y=31.690)
    G.add_node(3, x=113.380, y=31.690)
    bend = [(113.370, 31.690), (113.375, 31.695), (113.380, 31.690)]
    G.add_edge(1, 3, highway="primary", length=1500.0, geometry=LineString(bend))
    G.add_edge(3, 1, highway="primary", length=1500.0, geometry=LineString(bend[::-1]))
    G.add_edge(3, 1, highway="primary", length=900.0)  # a parallel straight road
    path = tmp_path / "simplified.graphml"
    ox.save_graphml(G, path)  # the geometry as WKT text
    net = load_network(NetworkSpec(path=path))
    assert net.n_nodes == 3  # the bend is one node for both directions
    mid = _node_near(net, 113.375, 31.695)
    a, b = _node_near(net, 113.370, 31.690), _node_near(net, 113.380, 31.690)
    e = edge_dict(net)
    ids = net.node_id
    half = great_circle(113.370, 31.690, 113.375, 31.695)
    assert e[(ids[a], ids[mid])][0] == pytest.approx(750.0)  # scaled to the edge's length
    assert e[(ids[mid], ids[b])][0] == pytest.approx(750.0 * great_circle(
        113.375, 31.695, 113.380, 31.690) / half)
    assert e[(ids[b], ids[a])] == (900.0, "primary") and net.n_edges == 5
    x, y = net.project(np.array([113.375]), np.array([31.6951]))
    assert net.snap(x, y)[1][0] < 12.0  # on the bend, not 700 m away at a junction

    # the tiny fixture, simplified by osmnx, gives the nodes and lengths of the OSM file
    from_osm = load_network(NetworkSpec(path=TINY_OSM))
    U = from_osm.to_networkx()
    for _, _, d in U.edges(data=True):
        d["osmid"] = 0
    ox.save_graphml(ox.simplify_graph(U), tmp_path / "tiny_simplified.graphml")
    back = load_network(NetworkSpec(path=tmp_path / "tiny_simplified.graphml"))
    assert back.n_nodes == from_osm.n_nodes and back.n_edges == from_osm.n_edges
    assert sorted(zip(back.lon.round(7), back.lat.round(7))) == sorted(
        zip(from_osm.lon.round(7), from_osm.lat.round(7)))
    assert back.edge_length_m.sum() == pytest.approx(from_osm.edge_length_m.sum())


def test_simplified_graphml_edge_merging_a_footway_is_named(tmp_path, caplog):
    import osmnx as ox

    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=113.370, y=31.690)
    G.add_node(2, x=113.380, y=31.690)
    G.add_edge(1, 2, highway="['residential', 'footway']", length=950.0)
    path = tmp_path / "merged.graphml"
    ox.save_graphml(G, path)
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        net = load_network(NetworkSpec(path=path))
    assert net.n_edges == 1  # kept whole, as documented
    assert "1 edge(s) join a fleet road and a way the fleet road filter leaves out (first: " \
           "highway ['residential', 'footway']" in caplog.text
    assert "simplify=False" in caplog.text


def test_graphml_without_highway_is_kept_whole(tmp_path, caplog):
    G = nx.Graph(crs="EPSG:4326")
    G.add_node("a", x=113.37, y=31.69)
    G.add_node("b", x=113.38, y=31.69)
    G.add_edge("a", "b")
    path = tmp_path / "plain.graphml"
    nx.write_graphml(G, path)
    with caplog.at_level(logging.INFO, logger="siting.network"):
        net = load_network(NetworkSpec(path=path))
    assert net.n_edges == 2 and set(net.edge_class) == {"road"} and not net.dropped
    assert "no edge has a 'highway' attribute" in caplog.text


def test_graphml_with_only_footways_is_an_error(tmp_path):
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=113.37, y=31.69)
    G.add_node(2, x=113.38, y=31.69)
    G.add_edge(1, 2, highway="footway")
    G.add_edge(2, 1, highway="path")
    path = tmp_path / "paths.graphml"
    nx.write_graphml(G, path)
    with pytest.raises(NetworkError, match=r"paths\.graphml.*no drivable roads left after the "
                                           r"fleet road filter.*footway 1, path 1"):
        load_network(NetworkSpec(path=path))


def test_graphml_chinese_classes_are_fleet_roads(tmp_path):
    G = nx.Graph(crs="EPSG:4326")
    for n, x in (("a", 113.37), ("b", 113.38), ("c", 113.39)):
        G.add_node(n, x=x, y=31.69)
    G.add_edge("a", "b", highway="主干路")
    G.add_edge("b", "c", highway="人行道")  # a footpath: not a fleet road
    path = tmp_path / "cn.graphml"
    nx.write_graphml(G, path)
    net = load_network(NetworkSpec(path=path))
    assert set(net.edge_class) == {"主干路"} and dict(net.dropped) == {"人行道": 1}


@pytest.mark.slow
def test_validate_reports_what_the_graphml_filter_dropped(tmp_path):
    """The bundled scenario with its roads as an osmnx-style GraphML holding footway
    shortcuts, a service road and an untagged outline: `siting validate` shows the network
    without them and a 'road filter' row counting them."""
    import shutil

    import osmnx as ox

    from siting.scenario import load_scenario
    from siting.validate import validate_scenario

    data = Path(__file__).resolve().parents[1] / "data" / "suizhou"
    folder = tmp_path / "s"
    shutil.copytree(data, folder)
    toml = folder / "scenario.toml"
    net = load_network(load_scenario(toml).network)
    G = net.to_networkx()
    rng = np.random.default_rng(7)
    pairs = rng.choice(net.n_nodes, size=(23, 2), replace=False)
    for k, (a, b) in enumerate(pairs.tolist()):
        extra = ({"highway": "footway"} if k < 20 else {"highway": "service"} if k < 22
                 else {"building": "yes"})
        G.add_edge(a, b, **extra)
    kept = list(G.edges(keys=True))[:5]  # posted limits on three links, one unreadable
    for (a, b, k), limit in zip(kept, ["30", "20 mph", "60", "signals"], strict=False):
        G.edges[a, b, k]["maxspeed"] = limit
    G.edges[kept[4]]["maxspeed:hgv"] = "30"  # and one for heavy vehicles only
    ox.save_graphml(G, folder / "roads.graphml")
    text = toml.read_text(encoding="utf-8")
    assert 'path = "roads.geojson"' in text
    toml.write_text(text.replace('path = "roads.geojson"', 'path = "roads.graphml"', 1),
                    encoding="utf-8")
    summary = validate_scenario(toml)
    assert summary["network"] == f"{net.n_nodes} nodes, {net.n_edges} directed edges (SCHEMATIC)"
    assert summary["road filter"] == ("23 source edges dropped by the fleet road filter "
                                      "(footway 20, service 2, untagged 1)")
    assert summary["posted speed limits"] == (f"4 of {net.n_edges:,} directed edges "
                                              "(maxspeed); 1 for heavy vehicles (maxspeed:hgv)")
    assert summary["unread maxspeed"] == ("maxspeed of 1 source roads holds no speed limit "
                                          "siting reads ('signals' 1); their road-class "
                                          "speed is used")
    from typer.testing import CliRunner

    from siting.cli import app

    res = CliRunner().invoke(app, ["validate", str(toml)])
    assert res.exit_code == 0, res.output
    assert "road filter" in res.output and "footway 20" in " ".join(res.output.split())


def test_from_networkx_requires_coordinates():
    G = nx.DiGraph()
    G.add_edge(1, 2)
    with pytest.raises(NetworkError, match="node 1 has no numeric x/y"):
        from_networkx(G, source="test graph")


# --------------------------------------------------------------------------- line layers
def _cross_layer() -> gpd.GeoDataFrame:
    """Two lines crossing mid-way, a T whose stem stops 0.5 m short of the bar, a second
    stem 5 m short (not joined), and a continuation that starts 0.3 m from an end."""
    d = 1 / DEG_M
    geoms = [
        LineString([(113.37, 31.69), (113.39, 31.69)]),                   # 0 bar E-W
        LineString([(113.38, 31.68), (113.38, 31.70)]),                   # 1 crosses 0
        LineString([(113.375, 31.69 - 0.5 * d), (113.375, 31.685)]),     # 2 T, 0.5 m gap
        LineString([(113.385, 31.69 - 5 * d), (113.385, 31.685)]),       # 3 5 m gap: island
        LineString([(113.39, 31.69 + 0.3 * d), (113.40, 31.69)]),        # 4 0.3 m from 0's end
    ]
    return gpd.GeoDataFrame({"highway": ["primary", "secondary", None, "residential",
                                         "tertiary"],
                             "name": [f"road{i}" for i in range(5)]},
                            geometry=geoms, crs="EPSG:4326")


def _node_near(net: RoadNetwork, lon: float, lat: float, tol_m: float = 1.0) -> int:
    d = np.array([great_circle(lon, lat, a, b) for a, b in zip(net.lon, net.lat, strict=True)])
    hits = np.nonzero(d <= tol_m)[0]
    assert len(hits) == 1, f"expected one node near {lon},{lat}, found {len(hits)}"
    return int(hits[0])


def test_line_layer_crossings_snapping_and_classes():
    net = from_lines(_cross_layer(), source="test layer")
    # nodes: 0's ends (east end merged with 4's start), crossing, 1's ends, T junction,
    # 2's far end, 3's two ends, 4's east end
    assert net.n_nodes == 10
    crossing = _node_near(net, 113.38, 31.69)
    nbrs = set(net.edge_v[net.edge_u == crossing].tolist())
    assert len(nbrs) == 4  # the crossing is a shared node with four arms
    t = _node_near(net, 113.375, 31.69)
    assert len(set(net.edge_v[net.edge_u == t].tolist())) == 3
    rep = net.components()
    assert rep.n_components == 2
    island = _node_near(net, 113.385, 31.685)
    assert net.island_nodes(np.array([island, crossing])).tolist() == [True, False]
    # line 4 continues line 0 through the 0.3 m snap
    east = _node_near(net, 113.40, 31.69)
    assert rep.labels[east] == rep.labels[crossing]
    classes = set(net.edge_class[net.edge_u == t].tolist())
    assert classes == {"primary", "road"}  # the T stem has no class -> "road"
    # all edges two-way, lengths equal great-circle between their nodes (within the
    # snapping moves, < 1 m)
    for u, v, ln in zip(net.edge_u, net.edge_v, net.edge_length_m, strict=True):
        assert ln == pytest.approx(great_circle(net.lon[u], net.lat[u], net.lon[v],
                                                net.lat[v]), abs=1e-6)
    total = float(net.edge_length_m.sum()) / 2
    expected = (great_circle(113.37, 31.69, 113.39, 31.69)
                + great_circle(113.38, 31.68, 113.38, 31.70)
                + great_circle(113.375, 31.69, 113.375, 31.685)
                + great_circle(113.385, 31.69, 113.385, 31.685)
                + great_circle(113.39, 31.69, 113.40, 31.69))
    assert total == pytest.approx(expected, abs=10.0)  # the two gaps (5.8 m) and snap moves


@pytest.mark.slow
@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4547"])
def test_line_layer_noded_in_its_own_crs(crs):
    """A 15 km straight avenue with side streets ending exactly on it, drawn in ``crs``.

    Reprojecting before noding would bend the long segment by > 1 m and leave the side
    streets unconnected; noding in the layer's own plane joins every one of them.
    """
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    a, b = fwd.transform(113.30, 31.60), fwd.transform(113.46, 31.60)
    geoms = [LineString([a, b])]
    for t in np.linspace(0.05, 0.95, 10):
        p = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))  # exactly on the avenue
        q = fwd.transform(*Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
                          .transform(*p))
        q = (q[0], q[1] + (0.005 if crs == "EPSG:4326" else 500.0))
        geoms.append(LineString([q, p]))
    net = from_lines(gpd.GeoDataFrame({"highway": ["trunk"] + ["residential"] * 10},
                                      geometry=geoms, crs=crs))
    assert net.components().n_components == 1
    assert net.n_nodes == 2 + 10 + 10


def test_line_layer_levels_keep_bridges_apart():
    g = gpd.GeoDataFrame({"highway": ["trunk", "primary"], "layer": [1, None]},
                         geometry=[LineString([(113.37, 31.69), (113.39, 31.69)]),
                                   LineString([(113.38, 31.68), (113.38, 31.70)])],
                         crs="EPSG:4326")
    net = from_lines(g)
    assert net.n_nodes == 4 and net.components().n_components == 2
    g["layer"] = [0, None]  # same level -> joined
    assert from_lines(g).components().n_components == 1


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_line_layer_files_oneway_and_multilines(tmp_path, suffix):
    g = gpd.GeoDataFrame(
        {"cls": ["主干路", "residential"], "dir": ["yes", "-1"]},
        geometry=[MultiLineString([[(113.37, 31.69), (113.38, 31.69)],
                                   [(113.38, 31.69), (113.38, 31.70)]]),
                  LineString([(113.39, 31.69), (113.38, 31.69)])],
        crs="EPSG:4326")
    path = tmp_path / f"roads{suffix}"
    g.to_file(path)
    spec = NetworkSpec(path=path, class_column="cls", oneway_column="dir", schematic=True,
                       provenance="drawn for a test")
    net = load_network(spec)
    assert net.schematic and "drawn for a test" in net.source
    a = _node_near(net, 113.37, 31.69)
    b = _node_near(net, 113.38, 31.69)
    c = _node_near(net, 113.38, 31.70)
    e = _node_near(net, 113.39, 31.69)
    pairs = {(int(u), int(v)) for u, v in zip(net.edge_u, net.edge_v, strict=True)}
    # digitised a->b->c one-way; the last line digitised e->b but one-way against it: b->e
    assert pairs == {(a, b), (b, c), (b, e)}
    assert set(net.edge_class.tolist()) == {"主干路", "residential"}
    speeds = net.edge_speeds_kph(DEFAULT_SPEEDS_KPH, "heavy")
    by_pair = {(int(u), int(v)): s for u, v, s in zip(net.edge_u, net.edge_v, speeds,
                                                      strict=True)}
    assert by_pair[(a, b)] == DEFAULT_SPEEDS_KPH["primary"]["heavy"]  # alias 主干路
    assert by_pair[(b, e)] == DEFAULT_SPEEDS_KPH["residential"]["heavy"]


def test_geofabrik_shapefile_oneway_f_t_b(tmp_path, caplog):
    """Geofabrik's roads shapefile: fclass for the class, oneway F (as drawn), T (against
    the drawn direction, not "true") and B (both ways)."""
    g = gpd.GeoDataFrame(
        {"fclass": ["primary", "residential", "residential"], "oneway": ["F", "T", "B"],
         "maxspeed": [0, 30, 0]},
        geometry=[LineString([(113.37, 31.69), (113.38, 31.69)]),
                  LineString([(113.38, 31.69), (113.38, 31.70)]),
                  LineString([(113.38, 31.69), (113.39, 31.69)])],
        crs="EPSG:4326")
    path = tmp_path / "gis_osm_roads_free_1.shp"
    g.to_file(path)
    with caplog.at_level(logging.INFO, logger="siting.network"):
        net = load_network(NetworkSpec(path=path, class_column="fclass",
                                       oneway_column="oneway"))
    a, b = _node_near(net, 113.37, 31.69), _node_near(net, 113.38, 31.69)
    c, e = _node_near(net, 113.38, 31.70), _node_near(net, 113.39, 31.69)
    pairs = {(int(u), int(v)) for u, v in zip(net.edge_u, net.edge_v, strict=True)}
    assert pairs == {(a, b), (c, b), (b, e), (e, b)}
    assert "Geofabrik" in caplog.text
    # a yes/no column that happens to hold T/F only is still read as true/false
    g["oneway"] = ["T", "F", "F"]
    net = from_lines(g, class_column="fclass", oneway_column="oneway")
    assert net.n_edges == 1 + 2 + 2


def _osm_export_layer() -> gpd.GeoDataFrame:
    """Two residential streets joined only by a footway, a service road off one of them, a
    road under construction crossing both: a line layer as exported from OSM (QGIS, GDAL's
    OSM driver, Geofabrik's shapefiles)."""
    return gpd.GeoDataFrame(
        {"highway": ["residential", "footway", "residential", "Service", "construction"]},
        geometry=[LineString([(113.370, 31.690), (113.375, 31.690)]),
                  LineString([(113.375, 31.690), (113.380, 31.690)]),
                  LineString([(113.380, 31.690), (113.385, 31.690)]),
                  LineString([(113.372, 31.690), (113.372, 31.695)]),
                  LineString([(113.373, 31.680), (113.373, 31.700)])],
        crs="EPSG:4326")


def test_line_layer_gets_the_osm_fleet_road_filter(tmp_path, caplog):
    """A footway between two streets is not a road for the fleet (the same data as an OSM
    file gives two separate streets); service roads and construction sites neither."""
    path = tmp_path / "osm_export.gpkg"
    _osm_export_layer().to_file(path)
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        net = load_network(NetworkSpec(path=path))
    assert set(net.edge_class.tolist()) == {"residential"}
    assert net.components().n_components == 2  # the footway no longer joins them
    assert net.n_nodes == 4  # nothing of the dropped lines is left, not even crossings
    assert dict(net.dropped) == {"footway": 1, "service": 1, "construction": 1}
    assert "3 source edges dropped by the fleet road filter" in caplog.text
    only_paths = _osm_export_layer().iloc[[1, 3]]
    with pytest.raises(NetworkError, match=r"no drivable roads left after the fleet road "
                       r"filter \(empty network; dropped: footway 1, service 1"):
        from_lines(only_paths, source="paths.gpkg")
    # a survey's own classes are still roads ("anything else counts as road")
    own = _osm_export_layer().assign(highway=["支路", "人行道", "city street", None, "x"])
    assert from_lines(own).dropped == {"人行道": 1}


@pytest.mark.parametrize("encoding", ["GBK", "UTF-8"])
def test_line_layer_shapefile_without_cpg_keeps_chinese_classes(tmp_path, encoding):
    """A Chinese road Shapefile without its .cpg: the classes are read as for point layers
    (UTF-8, else GBK), not as GDAL's Latin-1 (the class column was not found, or every
    road fell back to class 'road')."""
    g = gpd.GeoDataFrame({"等级": ["主干路", "支路"], "名称": ["解放路", "青年路"]},
                         geometry=[LineString([(113.37, 31.69), (113.38, 31.69)]),
                                   LineString([(113.38, 31.69), (113.38, 31.70)])],
                         crs="EPSG:4326")
    path = tmp_path / "道路.shp"
    g.to_file(path, encoding=encoding)
    path.with_suffix(".cpg").unlink()
    net = load_network(NetworkSpec(path=path, class_column="等级"))
    assert set(net.edge_class.tolist()) == {"主干路", "支路"}
    speeds = net.edge_speeds_kph(DEFAULT_SPEEDS_KPH, "light")
    assert sorted(set(speeds.tolist())) == sorted({DEFAULT_SPEEDS_KPH["primary"]["light"],
                                                   DEFAULT_SPEEDS_KPH["residential"]["light"]})


def test_line_layer_geojson_saved_as_gbk(tmp_path, caplog):
    gj = tmp_path / "roads.geojson"
    text = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"highway": "主干路"},
         "geometry": {"type": "LineString", "coordinates": [[113.37, 31.69], [113.38, 31.69]]}}
    ]}, ensure_ascii=False)
    gj.write_bytes(text.encode("gbk"))
    with caplog.at_level(logging.WARNING):
        net = load_network(NetworkSpec(path=gj))
    assert net.edge_class.tolist() == ["主干路", "主干路"]
    assert "text is GBK, not UTF-8" in caplog.text


def test_line_layer_crs_rules(tmp_path):
    from pyproj import Transformer

    to_m = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    p0, p1 = to_m.transform(113.37, 31.69), to_m.transform(113.38, 31.69)
    g = gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[LineString([p0, p1])])
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):
        g.to_file(path)  # no .prj written
    with pytest.raises(CRSMismatchError, match=r"nocrs\.shp.*no CRS.*network\.crs"):
        load_network(NetworkSpec(path=path))
    net = load_network(NetworkSpec(path=path, crs="EPSG:4547"))
    assert np.allclose(sorted(net.lon), [113.37, 113.38], atol=1e-7)
    with pytest.raises(CRSMismatchError, match="not valid WGS84 degrees"):
        load_network(NetworkSpec(path=path, crs="EPSG:4326"))  # metres declared as degrees
    # GeoJSON is WGS84 by definition: metres written into one are caught the same way
    gj = tmp_path / "metres.geojson"
    with pytest.warns(UserWarning, match="crs"):
        g.to_file(gj)
    with pytest.raises(CRSMismatchError, match=r"metres\.geojson.*not valid WGS84"):
        load_network(NetworkSpec(path=gj))


def test_line_layer_non_line_feature_named(tmp_path):
    g = gpd.GeoDataFrame({"name": ["ok", "depot"]},
                         geometry=[LineString([(113.37, 31.69), (113.38, 31.69)]),
                                   Point(113.375, 31.695)], crs="EPSG:4326")
    path = tmp_path / "mixed.gpkg"
    g.to_file(path)
    with pytest.raises(InputDataError,
                       match=r"mixed\.gpkg: feature 2 \(name 'depot'\) has a Point"):
        load_network(NetworkSpec(path=path))


def test_line_layer_missing_oneway_column(tmp_path):
    path = tmp_path / "r.geojson"
    _cross_layer().to_file(path)
    with pytest.raises(InputDataError, match="one-way column 'dir' not found"):
        load_network(NetworkSpec(path=path, oneway_column="dir"))


def test_line_layer_gcj02_flag(tmp_path):
    import siting.crs as crs_mod
    lon = np.array([113.37, 113.38, 113.38])
    lat = np.array([31.69, 31.69, 31.70])
    glon, glat = crs_mod.wgs84_to_gcj02(lon, lat)
    g = gpd.GeoDataFrame({"highway": ["primary"]},
                         geometry=[LineString(np.column_stack([glon, glat]))], crs="EPSG:4326")
    path = tmp_path / "amap.geojson"
    g.to_file(path)
    net = load_network(NetworkSpec(path=path, coords="gcj02"))
    for lo, la in zip(lon, lat, strict=True):
        i = _node_near(net, lo, la, tol_m=1.0)
        assert great_circle(lo, la, net.lon[i], net.lat[i]) < 1.0
    raw = load_network(NetworkSpec(path=path))
    assert great_circle(113.37, 31.69, *min(zip(raw.lon, raw.lat))) > 300  # ~500 m shift


# --------------------------------------------------------------------------- methods
def test_edge_speeds_fallbacks():
    classes = np.array(["primary", "['secondary', 'tertiary']", "primary_link", "busway",
                        "Trunk", "支路", None], dtype=object)
    n = len(classes)
    net = RoadNetwork(node_id=np.arange(n + 1), lon=np.zeros(n + 1), lat=np.zeros(n + 1),
                      x=np.zeros(n + 1), y=np.zeros(n + 1), crs="EPSG:32649",
                      edge_u=np.arange(n), edge_v=np.arange(1, n + 1),
                      edge_length_m=np.ones(n), edge_class=classes, source="t")
    speeds = {"primary": {"light": 50, "heavy": 40}, "secondary": {"light": 45, "heavy": 35},
              "trunk": {"light": 70, "heavy": 55}, "residential": {"light": 22, "heavy": 18},
              "road": {"light": 30, "heavy": 25}}
    assert net.edge_speeds_kph(speeds, "heavy").tolist() == [40, 35, 40, 25, 55, 18, 25]
    assert net.edge_speeds_kph(speeds, "light").tolist() == [50, 45, 50, 30, 70, 22, 30]
    with pytest.raises(ValueError, match="no 'road' fallback"):
        net.edge_speeds_kph({"primary": {"light": 1, "heavy": 1}}, "heavy")
    with pytest.raises(ValueError, match="vehicle class 'heavy'"):
        net.edge_speeds_kph({"road": {"light": 1}}, "heavy")


def test_snap_islands_and_edges_gdf():
    net = load_network(NetworkSpec(path=TINY_OSM))
    lon = np.array([113.3751, 113.3901, 113.4080])  # near nodes 2, 12 and 11
    lat = np.array([31.6901, 31.6702, 31.7040])
    x, y = net.project(lon, lat)
    idx, dist = net.snap(x, y)
    assert net.node_id[idx].tolist() == [2, 12, 11]
    assert dist[0] == pytest.approx(great_circle(113.3751, 31.6901, 113.375, 31.690), rel=0.01)
    assert net.island_nodes(idx).tolist() == [False, True, True]
    gdf = net.edges_gdf()
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 8  # undirected segments
    ow = {tuple(sorted((int(net.node_id[u]), int(net.node_id[v])))): bool(o)
          for u, v, o in zip(gdf.u, gdf.v, gdf.oneway, strict=True)}
    assert ow == {(1, 2): False, (2, 3): False, (2, 4): False, (2, 5): False, (3, 6): True,
                  (6, 7): True, (10, 11): True, (12, 13): False}
    row = gdf[(gdf.u == 0) | (gdf.v == 0)].iloc[0]
    assert row.road_class == "primary"
    assert row.geometry.length == pytest.approx(0.005)
    merged = net.edges_gdf(merge=True)
    assert sorted(merged.road_class) == ["motorway", "primary", "residential", "secondary",
                                         "tertiary_link", "unclassified"]
    prim = merged[merged.road_class == "primary"].iloc[0]
    assert prim.length_m == pytest.approx(great_circle(113.370, 31.69, 113.380, 31.69))
    assert list(prim.geometry.coords) in ([(113.37, 31.69), (113.375, 31.69), (113.38, 31.69)],
                                          [(113.38, 31.69), (113.375, 31.69), (113.37, 31.69)])
    link = merged[merged.road_class == "tertiary_link"].iloc[0]
    assert link.oneway and list(link.geometry.coords) == [(113.39, 31.69), (113.385, 31.69)]


def test_utm_zone():
    assert utm_crs(113.38, 31.69) == "EPSG:32649"
    assert utm_crs(-70.0, -33.0) == "EPSG:32719"


def test_npz_write_that_fails_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    net = load_network(NetworkSpec(path=TINY_OSM))
    p = save_network(net, tmp_path / "net.npz")
    before = p.read_bytes()

    def broken(fh, **arrays):
        fh.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        save_network(net, p)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["net.npz"]


def test_npz_roundtrip(tmp_path):
    net = load_network(NetworkSpec(path=TINY_OSM))
    p = save_network(net, tmp_path / "sub" / "net.npz")
    back = load_network(NetworkSpec(path=p))
    for f in ("node_id", "lon", "lat", "x", "y", "edge_u", "edge_v", "edge_length_m"):
        assert np.array_equal(getattr(back, f), getattr(net, f)), f
    assert back.edge_class.tolist() == net.edge_class.tolist()
    assert back.source == net.source and back.crs == net.crs
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(NetworkError, match=r"junk\.npz"):
        read_npz(tmp_path / "junk.npz")


# --------------------------------------------------------------------------- online (replayed)
def _overpass_json() -> dict:
    ways = [(100, [1, 2, 3], {"highway": "primary"}),
            (101, [4, 2, 5], {"highway": "residential"}),
            (102, [3, 6], {"highway": "secondary", "oneway": "yes", "maxspeed": "20",
                           "maxspeed:hgv:forward": "15"}),
            (103, [6, 7], {"highway": "tertiary", "oneway": "-1"})]
    els = [{"type": "node", "id": i, "lon": TINY_NODES[i][0], "lat": TINY_NODES[i][1]}
           for i in range(1, 8)]
    els += [{"type": "way", "id": w, "nodes": n, "tags": t} for w, n, t in ways]
    return {"version": 0.6, "generator": "replay", "elements": els}


def _nominatim_json() -> list:
    ring = [[113.365, 31.68], [113.395, 31.68], [113.395, 31.70], [113.365, 31.70],
            [113.365, 31.68]]
    return [{"place_id": 1, "osm_type": "relation", "osm_id": 42, "lat": "31.69",
             "lon": "113.38", "boundingbox": ["31.68", "31.70", "113.365", "113.395"],
             "display_name": "Testville", "class": "boundary", "type": "administrative",
             "place_rank": 16, "importance": 0.5,
             "geojson": {"type": "Polygon", "coordinates": [ring]}}]


#: What an Overpass server's /status page says when a slot is free (osmnx reads line 5).
_STATUS = ("Connected as: 1\nCurrent time: 2024-01-01T00:00:00Z\nAnnounced endpoint: none\n"
           "Rate limit: 2\n2 slots available now.\n"
           "Currently running queries (pid, space limit, time limit, start time):\n")


class _Replay(BaseHTTPRequestHandler):
    """A local stand-in for Overpass (``/api/status``, ``/api/interpreter``) and Nominatim
    (``/nominatim/search``) answering with recorded responses; every request is logged."""

    log: ClassVar[list[tuple[str, str]]] = []
    _payload = staticmethod(_overpass_json)
    _places = staticmethod(_nominatim_json)

    def _send(self, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.log.append((self.path, body))
        self._send(json.dumps(self._payload()).encode())

    def do_GET(self) -> None:  # http.server API
        self.log.append((self.path, ""))
        if self.path.split("?")[0].endswith("/status"):
            self._send(_STATUS.encode(), "text/plain")
        else:
            self._send(json.dumps(self._places()).encode())

    def log_message(self, *args: object) -> None:
        pass


def _paths(log: list[tuple[str, str]]) -> list[str]:
    return [p.split("?")[0] for p, _ in log]


@pytest.fixture
def no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # never send these via a proxy
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def replay_server(no_proxy):
    _Replay.log = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", _Replay.log
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def dead_url(no_proxy):
    """An http URL on this machine where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _osmnx_state() -> tuple:
    import osmnx as ox

    return (ox.settings.overpass_url, ox.settings.nominatim_url, ox.settings.cache_folder,
            ox.settings.requests_timeout, socket.getaddrinfo)


@pytest.mark.slow
def test_online_bbox_download_then_caches(tmp_path, replay_server):
    url, log = replay_server
    before = _osmnx_state()
    settings = {"overpass_url": f"{url}/api", "overpass_rate_limit": False,
                "requests_timeout": 10}
    spec = NetworkSpec(bbox=(113.365, 31.68, 113.395, 31.70), cache_dir=tmp_path / "osm")
    net = load_network(spec, osmnx_settings=settings)
    assert _paths(log) == ["/api/status", "/api/interpreter"]  # reachable?, then the query
    query = log[1][1]
    assert "motorway_link" in query and "private" in query  # the truck filter was sent
    assert _osmnx_state() == before
    expected = {k: v for k, v in TINY_EDGES.items() if max(k) <= 7}
    expected[(7, 6)] = "tertiary"
    got = edge_dict(net)
    assert {k: v[1] for k, v in got.items()} == expected
    for (a, b), (length, _) in got.items():
        assert length == pytest.approx(great_circle(*TINY_NODES[a], *TINY_NODES[b]), rel=1e-3)
    cached = list((tmp_path / "osm").glob("roads-bbox-*.npz"))
    assert len(cached) == 1
    # second call: our .npz cache, no request
    again = load_network(spec, osmnx_settings=settings)
    assert len(log) == 2
    assert edge_dict(again) == got
    for n in (net, again):  # way 102's posted limits, below its class speed (35 km/h heavy)
        heavy, light = (n.edge_speeds_kph(DEFAULT_SPEEDS_KPH, v) for v in ("heavy", "light"))
        assert n.n_posted_limits == n.n_hgv_limits == 1
        limited = np.isfinite(n.edge_maxspeed_kph)
        assert (heavy[limited].tolist(), light[limited].tolist()) == ([15.0], [20.0])
    # without our cache, osmnx's HTTP cache still answers (and no server is asked)
    cached[0].unlink()
    assert edge_dict(load_network(spec, osmnx_settings=settings)) == got
    assert len(log) == 2


@pytest.mark.slow
def test_online_place_geocodes_then_downloads(tmp_path, replay_server):
    url, log = replay_server
    settings = {"overpass_url": f"{url}/api", "nominatim_url": f"{url}/nominatim/",
                "overpass_rate_limit": False, "requests_timeout": 10}
    net = load_network(NetworkSpec(place="Testville", cache_dir=tmp_path),
                       osmnx_settings=settings)
    assert _paths(log) == ["/nominatim/search", "/api/status", "/api/interpreter"]
    assert net.n_nodes == 7 and "Testville" in net.source


def test_online_empty_area_is_network_error(tmp_path, replay_server, monkeypatch):
    url, log = replay_server
    monkeypatch.setattr(_Replay, "_payload", staticmethod(
        lambda: {"version": 0.6, "elements": []}))
    spec = NetworkSpec(bbox=(113.365, 31.68, 113.395, 31.70), cache_dir=tmp_path / "osm")
    with pytest.raises(NetworkError, match="no drivable roads found for bbox"):
        load_network(spec, osmnx_settings={"overpass_url": f"{url}/api",
                                           "overpass_rate_limit": False})
    assert _paths(log) == ["/api/status", "/api/interpreter"]
    assert not (tmp_path / "osm").exists()  # the cache folder it made is gone


@pytest.mark.slow
def test_online_unknown_place_names_the_geocoder(tmp_path, replay_server, monkeypatch):
    url, log = replay_server
    monkeypatch.setattr(_Replay, "_places", staticmethod(list))
    spec = NetworkSpec(place="Nowhereville", cache_dir=tmp_path / "osm")
    with pytest.raises(DownloadError) as e:
        load_network(spec, osmnx_settings={"nominatim_url": f"{url}/nominatim/",
                                           "overpass_url": f"{url}/api"})
    msg = str(e.value)
    assert e.value.service == "nominatim"
    assert msg.startswith("the geocoder (Nominatim)") and "found no place 'Nowhereville'" in msg
    assert "--bbox" in msg and "\n" not in msg
    assert _paths(log) == ["/nominatim/search"]  # Overpass never asked
    assert not (tmp_path / "osm").exists()


def test_online_overpass_unreachable_names_overpass(tmp_path, dead_url):
    before = _osmnx_state()
    spec = NetworkSpec(bbox=(113.365, 31.68, 113.395, 31.70), cache_dir=tmp_path / "osm")
    with pytest.raises(DownloadError) as e:
        load_network(spec, osmnx_settings={"overpass_url": f"{dead_url}/api",
                                           "requests_timeout": 5})
    msg = str(e.value)
    assert e.value.service == "overpass"
    assert f"the Overpass API at {dead_url}/api cannot be reached" in msg
    assert "connection was refused" in msg and "--overpass-url URL" in msg
    assert msg.endswith("on a connected machine)") and "\n" not in msg
    assert "network.path" in msg
    assert not (tmp_path / "osm").exists()
    assert _osmnx_state() == before


@pytest.mark.slow
def test_online_geocoder_unreachable_names_nominatim(tmp_path, dead_url):
    before = _osmnx_state()
    spec = NetworkSpec(place="Suizhou", cache_dir=tmp_path / "osm")
    with pytest.raises(DownloadError) as e:
        load_network(spec, osmnx_settings={"nominatim_url": f"{dead_url}/nominatim/",
                                           "overpass_url": f"{dead_url}/api",
                                           "requests_timeout": 5})
    msg = str(e.value)
    assert e.value.service == "nominatim"
    assert msg.startswith(f"the geocoder (Nominatim) at {dead_url}/nominatim/ cannot geocode "
                          "place 'Suizhou'")
    assert "--nominatim-url URL" in msg and "--bbox" in msg and "Overpass" not in msg
    assert not (tmp_path / "osm").exists()
    assert _osmnx_state() == before


def test_failed_download_keeps_an_existing_cache_folder(tmp_path, dead_url):
    cache = tmp_path / "osm"
    cache.mkdir()
    (cache / "mine.txt").write_text("not siting's")
    spec = NetworkSpec(bbox=(113.365, 31.68, 113.395, 31.70), cache_dir=cache)
    with pytest.raises(DownloadError):
        load_network(spec, osmnx_settings={"overpass_url": f"{dead_url}/api",
                                           "requests_timeout": 5})
    assert sorted(p.name for p in cache.iterdir()) == ["mine.txt"]  # only http/ removed


def test_failure_reason_is_short_and_whole():
    from siting.network.download import failure_reason

    long = RuntimeError("word " * 200)
    text = failure_reason(long)
    assert len(text) <= 302 and text.endswith(" …")
    assert all(w == "word" for w in text[:-2].split())  # cut between words, never inside one


# --------------------------------------------------------------------------- `siting network fetch`
def _fetch(*args: str):
    from typer.testing import CliRunner

    from siting.cli import app

    return CliRunner().invoke(app, ["network", "fetch", *args])


def _one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["bbox", "place"])
def test_fetch_cli_downloads_saves_and_caches(tmp_path, replay_server, how):
    url, log = replay_server
    where = (["--bbox", "113.365,31.68,113.395,31.70"] if how == "bbox"
             else ["--place", "Testville", "--nominatim-url", f"{url}/nominatim/"])
    args = [*where, "--cache-dir", str(tmp_path / "cache"), "--overpass-url", f"{url}/api"]
    res = _fetch(str(tmp_path / "out" / "roads.npz"), *args)
    assert res.exit_code == 0, res.output
    n_edges = sum(1 for k in TINY_EDGES if max(k) <= 7)  # the replayed ways: nodes 1..7
    assert f"7 nodes, {n_edges} edges" in res.output
    queries = [p for p in _paths(log) if p.endswith("/interpreter")]
    assert len(queries) == 1
    net = read_npz(tmp_path / "out" / "roads.npz")
    assert sorted(net.node_id.tolist()) == list(range(1, 8)) and net.n_edges == n_edges
    assert len(list((tmp_path / "cache").glob(f"roads-{how}-*.npz"))) == 1
    n = len(log)
    again = _fetch(str(tmp_path / "again.npz"), *args)  # from the cache: no request at all
    assert again.exit_code == 0, again.output
    assert len(log) == n
    assert edge_dict(read_npz(tmp_path / "again.npz")) == edge_dict(net)


def test_fetch_cli_offline_overpass(tmp_path, dead_url, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default --cache-dir is .cache/osm here
    res = _fetch("roads.npz", "--bbox", "113.365,31.68,113.395,31.70",
                 "--overpass-url", f"{dead_url}/api")
    line = _one_error_line(res)
    assert line.startswith("error: cannot download OSM roads for bbox [113.365, 31.68, 113.395,")
    assert f"the Overpass API at {dead_url}/api cannot be reached" in line
    assert "--overpass-url URL" in line and line.endswith("on a connected machine)")
    assert list(tmp_path.iterdir()) == []  # no .cache/, no roads.npz


@pytest.mark.slow
def test_fetch_cli_offline_geocoder(tmp_path, dead_url):
    res = _fetch(str(tmp_path / "roads.npz"), "--place", "Suizhou, Hubei", "--cache-dir",
                 str(tmp_path / "c" / "osm"), "--nominatim-url", f"{dead_url}/",
                 "--overpass-url", f"{dead_url}/api")
    line = _one_error_line(res)
    assert line.startswith(f"error: the geocoder (Nominatim) at {dead_url}/ cannot geocode "
                           "place 'Suizhou, Hubei'")
    assert "--nominatim-url URL" in line and line.endswith("no geocoding needed)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "needle"), [
    ([], "exactly one of --place or --bbox"),
    (["--bbox", "1,2,3"], "four numbers"),
    (["--bbox", "1,2,3,4,5"], "four numbers"),
    (["--bbox", "113.4,31.6,east,31.7"], "four numbers"),
    (["--bbox", "113.4,31.6,113.3,31.7"], "west < east"),
])
def test_fetch_cli_bad_options(tmp_path, args, needle):
    line = _one_error_line(_fetch(str(tmp_path / "r.npz"), *args, "--cache-dir",
                                  str(tmp_path / "c")))
    assert needle in line
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- cache of local files
NET_FIELDS = ("node_id", "lon", "lat", "x", "y", "edge_u", "edge_v", "edge_length_m")


def assert_same_network(a: RoadNetwork, b: RoadNetwork) -> None:
    for f in NET_FIELDS:
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert a.edge_class.tolist() == b.edge_class.tolist()
    assert (a.source, a.crs, a.schematic) == (b.source, b.crs, b.schematic)
    assert np.array_equal(a.components().labels, b.components().labels)
    speeds = DEFAULT_SPEEDS_KPH
    np.testing.assert_array_equal(a.edge_speeds_kph(speeds, "heavy"),
                                  b.edge_speeds_kph(speeds, "heavy"))


@pytest.fixture
def parse_calls(monkeypatch):
    """Cache every file (threshold 0) and count the real parses; ``calls.fail = True``
    makes parsing raise, so a load that still works came from the cache."""
    import siting.network.load as network

    monkeypatch.setattr(network, "LOCAL_CACHE_MIN_BYTES", 0)
    real = network._parse_file

    class Calls:
        n = 0
        fail = False

    def spy(*args, **kwargs):
        if Calls.fail:
            raise AssertionError("parsed although the cache should have answered")
        Calls.n += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(network, "_parse_file", spy)
    return Calls


def _cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("roads-file-*.npz"))


def test_local_file_cache_second_load_reads_cache(tmp_path, parse_calls, caplog):
    src = tmp_path / "city.osm"
    src.write_bytes(TINY_OSM.read_bytes())
    spec = NetworkSpec(path=src, cache_dir=tmp_path / "cache", provenance="test extract")
    first = load_network(spec)
    assert parse_calls.n == 1
    (entry,) = _cache_files(tmp_path / "cache")
    assert entry.name.startswith("roads-file-city.osm-")
    parse_calls.fail = True
    with caplog.at_level(logging.INFO, logger="siting.network"):
        again = load_network(spec)
    assert "from cache" in caplog.text
    assert_tiny(again)
    assert_same_network(again, first)
    assert_same_network(read_npz(entry), first)  # the entry itself, read independently
    assert not list((tmp_path / "cache").glob("*.tmp"))


def test_cached_graphml_keeps_the_filter_counts(tmp_path, parse_calls, caplog):
    import osmnx as ox

    path = tmp_path / "all_roads.graphml"
    ox.save_graphml(_osmnx_style_graph(), path)
    spec = NetworkSpec(path=path, cache_dir=tmp_path / "cache")
    first = load_network(spec)
    parse_calls.fail = True
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        again = load_network(spec)
    assert_same_network(again, first)
    assert dict(again.dropped) == EXPECTED_DROPPED
    assert again.filter_summary() in caplog.text  # reported again, though not parsed


def test_small_local_files_are_not_cached(tmp_path):
    assert_tiny(load_network(NetworkSpec(path=TINY_OSM, cache_dir=tmp_path / "cache")))
    assert not (tmp_path / "cache").exists()


def test_local_file_cache_follows_file_changes(tmp_path, parse_calls):
    import os

    src = tmp_path / "city.osm"
    src.write_bytes(TINY_OSM.read_bytes())
    spec = NetworkSpec(path=src, cache_dir=tmp_path / "cache")
    load_network(spec)
    (old,) = _cache_files(tmp_path / "cache")
    # touched (same bytes, newer time): parsed again, the entry of the old version replaced
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert_tiny(load_network(spec))
    assert parse_calls.n == 2
    (touched,) = _cache_files(tmp_path / "cache")
    assert touched != old
    # rewritten: the way 100 becomes a trunk road, and the new network says so
    src.write_text(TINY_OSM.read_text(encoding="utf-8").replace(
        '<tag k="highway" v="primary"/>', '<tag k="highway" v="trunk"/>'), encoding="utf-8")
    changed = load_network(spec)
    assert parse_calls.n == 3
    assert {v[1] for k, v in edge_dict(changed).items() if k in ((1, 2), (2, 3))} == {"trunk"}
    (entry,) = _cache_files(tmp_path / "cache")
    assert "trunk" in read_npz(entry).edge_class.tolist()
    parse_calls.fail = True
    assert edge_dict(load_network(spec)) == edge_dict(changed)


@pytest.mark.parametrize("damage", ["truncate", "junk", "other key"])
def test_damaged_cache_entry_is_rebuilt(tmp_path, parse_calls, caplog, damage):
    src = tmp_path / "city.osm"
    src.write_bytes(TINY_OSM.read_bytes())
    spec = NetworkSpec(path=src, cache_dir=tmp_path / "cache")
    first = load_network(spec)
    (entry,) = _cache_files(tmp_path / "cache")
    if damage == "truncate":
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    elif damage == "junk":
        entry.write_bytes(b"PK\x03\x04 not a zip")
    else:  # a valid network file, but not this file's entry (copied in by hand)
        other = NetworkSpec(path=TINY_OSM, cache_dir=tmp_path / "elsewhere")
        save_network(load_network(other), entry)
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        again = load_network(spec)
    assert "cache" in caplog.text and ("rebuilt" in caplog.text or "rebuilding" in caplog.text)
    assert parse_calls.n == 2 + (damage == "other key")
    assert_same_network(again, first)
    assert_same_network(read_npz(entry), first)  # rewritten in place
    parse_calls.fail = True
    assert_same_network(load_network(spec), first)


def test_cache_key_covers_parse_settings(tmp_path, parse_calls):
    g = gpd.GeoDataFrame({"highway": ["primary", "residential"], "cls": ["高速公路", "支路"]},
                         geometry=[LineString([(113.37, 31.69), (113.38, 31.69)]),
                                   LineString([(113.38, 31.69), (113.38, 31.70)])],
                         crs="EPSG:4326")
    path = tmp_path / "roads.gpkg"
    g.to_file(path)
    by_osm = NetworkSpec(path=path, cache_dir=tmp_path / "cache")
    by_cls = NetworkSpec(path=path, cache_dir=tmp_path / "cache", class_column="cls")
    a, b = load_network(by_osm), load_network(by_cls)
    assert parse_calls.n == 2 and len(_cache_files(tmp_path / "cache")) == 2
    assert set(a.edge_class.tolist()) == {"primary", "residential"}
    assert set(b.edge_class.tolist()) == {"高速公路", "支路"}
    parse_calls.fail = True  # each spec finds its own entry
    assert load_network(by_osm).edge_class.tolist() == a.edge_class.tolist()
    assert load_network(by_cls).edge_class.tolist() == b.edge_class.tolist()
    schematic = NetworkSpec(path=path, cache_dir=tmp_path / "cache", schematic=True)
    parse_calls.fail = False
    assert load_network(schematic).schematic
    assert parse_calls.n == 3 and len(_cache_files(tmp_path / "cache")) == 3


def test_cache_watches_shapefile_sidecars(tmp_path, parse_calls):
    import os

    g = gpd.GeoDataFrame({"highway": ["primary"]},
                         geometry=[LineString([(113.37, 31.69), (113.38, 31.69)])],
                         crs="EPSG:4326")
    path = tmp_path / "roads.shp"
    g.to_file(path)
    spec = NetworkSpec(path=path, cache_dir=tmp_path / "cache")
    load_network(spec)
    load_network(spec)
    assert parse_calls.n == 1
    # the road classes live in the .dbf: editing it alone must not hit the old entry
    g.assign(highway=["trunk"]).to_file(tmp_path / "other.shp")
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes((tmp_path / "other.dbf").read_bytes())
    st = dbf.stat()
    os.utime(dbf, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert load_network(spec).edge_class.tolist() == ["trunk", "trunk"]
    assert parse_calls.n == 2


def test_unwritable_cache_folder_only_warns(tmp_path, parse_calls, caplog):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder should be")
    spec = NetworkSpec(path=TINY_OSM, cache_dir=blocker / "cache")
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        assert_tiny(load_network(spec))
    assert "cannot write the road network cache" in caplog.text
    assert blocker.read_text().startswith("a file")
    assert list(tmp_path.iterdir()) == [blocker]


def test_uncompressed_npz_keeps_xy_and_components(tmp_path):
    net = load_network(NetworkSpec(path=TINY_OSM))
    small = save_network(net, tmp_path / "z.npz")
    big = save_network(net, tmp_path / "raw.npz", compress=False)
    with np.load(big) as z, np.load(small) as zc:
        assert {"x", "y", "component"} <= set(z.files)
        assert "x" not in zc.files and "component" in zc.files
    for p in (small, big):
        back = read_npz(p)
        assert_same_network(back, net)
        assert back.components().n_components == 3
        assert back.components().largest_share == pytest.approx(7 / 11)


def test_line_layer_oneway_column_left_unused_is_warned(caplog):
    g = gpd.GeoDataFrame({"highway": ["primary", "primary"], "oneway": ["yes", "no"]},
                         geometry=[LineString([(113.37, 31.69), (113.38, 31.69)]),
                                   LineString([(113.38, 31.69), (113.38, 31.70)])],
                         crs="EPSG:4326")
    with caplog.at_level(logging.WARNING):
        two_way = from_lines(g, source="roads.gpkg")
    (msg,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert msg.startswith("roads.gpkg: the layer has a column 'oneway' but "
                          "network.oneway_column is not set")
    assert two_way.n_edges == 4
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        one_way = from_lines(g, source="roads.gpkg", oneway_column="oneway")
    assert one_way.n_edges == 3 and not caplog.records
