"""OSM tags beyond the road class: GDAL's ``other_tags`` column of a line layer exported from
an OSM file (QGIS, ogr2ogr), and posted speed limits (``maxspeed``) in every input format.

The GDAL layers here are made by GDAL itself (pyogrio's OSM driver reading a small OSM XML
file), so the ``other_tags`` text is the real format, escapes included.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pyogrio
import pytest
from scipy.sparse.csgraph import dijkstra

from siting.network import (
    RoadNetwork,
    from_lines,
    from_networkx,
    load_network,
    read_npz,
    save_network,
)
from siting.scenario import DEFAULT_SPEEDS_KPH, NetworkSpec
from siting.travel_times import adjacency_csr, edge_weights_s

# A block near Suizhou. Way 100 (A-B) is one-way with a 15 km/h limit; way 101 (B-C-D-A) is
# the two-way detour; way 102 (B-E) is primary with a limit above its class speed; 103 is
# private; 104 a motorway (one-way by implication); 105 a bridge (layer 1) crossing 100 and
# 101's far side with no shared node. Unreadable limits: 'signals' (101), 'CN:urban' (105).
NODES = {1: (113.380, 31.690), 2: (113.385, 31.690), 3: (113.385, 31.693),
         4: (113.380, 31.693), 5: (113.390, 31.690), 6: (113.3825, 31.688),
         7: (113.3825, 31.695), 8: (113.395, 31.690), 9: (113.395, 31.695)}
WAYS = [
    (100, [1, 2], {"highway": "residential", "oneway": "yes", "maxspeed": "15"}),
    (101, [2, 3, 4, 1], {"highway": "residential", "maxspeed": "signals",
                         "description": 'say "hi" => x, y\\z', "name:en": "Ring, \"West\""}),
    (102, [2, 5], {"highway": "primary", "maxspeed": "60 mph", "lanes": "2"}),
    (103, [5, 8], {"highway": "residential", "access": "private"}),
    (104, [5, 9], {"highway": "motorway"}),
    (105, [6, 7], {"highway": "primary", "bridge": "yes", "layer": "1",
                   "maxspeed": "CN:urban"}),
]
A, B = NODES[1], NODES[2]


def _xml_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def write_osm(path: Path, ways=WAYS) -> Path:
    """The ways as an OSM XML file."""
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="t">']
    lines += [f'  <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>'
              for i, (lon, lat) in NODES.items()]
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{_xml_escape(k)}" v="{_xml_escape(v)}"/>'
                  for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def osm_and_gdal_layer(tmp_path: Path, ways) -> tuple[RoadNetwork, RoadNetwork]:
    """The networks of ``ways`` from the OSM file and from its GDAL export (a GeoPackage)."""
    osm = write_osm(tmp_path / "block.osm", ways)
    gdal_export(osm, tmp_path / "lines.gpkg")
    return (load_network(NetworkSpec(path=osm)),
            load_network(NetworkSpec(path=tmp_path / "lines.gpkg")))


def gdal_export(osm: Path, dst: Path):
    """What QGIS does: GDAL's OSM driver reads the file's ``lines`` layer, saved as ``dst``."""
    gdf = pyogrio.read_dataframe(osm, layer="lines")
    assert "other_tags" in gdf.columns and "oneway" not in gdf.columns  # GDAL's default
    pyogrio.write_dataframe(gdf, dst, encoding="UTF-8" if dst.suffix == ".shp" else None)
    return gdf


def node_at(net: RoadNetwork, lonlat: tuple[float, float]) -> int:
    d = np.hypot(net.lon - lonlat[0], net.lat - lonlat[1])
    assert d.min() < 1e-6
    return int(np.argmin(d))


def drive_s(net: RoadNetwork, a: tuple[float, float], b: tuple[float, float],
            vehicle: str = "heavy") -> float:
    w = edge_weights_s(net, DEFAULT_SPEEDS_KPH, vehicle)
    return float(dijkstra(adjacency_csr(net, w), indices=node_at(net, a))[node_at(net, b)])


def directed_edges(net: RoadNetwork) -> dict[tuple, tuple[str, float | None]]:
    """Directed edges keyed by their end coordinates: (road class, posted limit or None)."""
    limits = (net.edge_maxspeed_kph if net.edge_maxspeed_kph is not None
              else np.full(net.n_edges, np.nan))
    out = {}
    for u, v, c, m in zip(net.edge_u, net.edge_v, net.edge_class, limits, strict=True):
        key = tuple(round(float(x), 6) for x in (net.lon[u], net.lat[u], net.lon[v], net.lat[v]))
        out[key] = (str(c), None if math.isnan(m) else round(float(m), 3))
    return out


# --------------------------------------------------------------------------- other_tags
def test_gdal_line_layer_oneway_in_other_tags_makes_the_route_longer_one_way(tmp_path):
    path = tmp_path / "lines.gpkg"
    gdal_export(write_osm(tmp_path / "block.osm"), path)
    net = load_network(NetworkSpec(path=path))
    ab, ba = drive_s(net, A, B), drive_s(net, B, A)
    # A->B on way 100 (474 m at its 15 km/h limit: 114 s); B->A round the block (way 101:
    # 333 + 474 + 333 m at 20 km/h, 205 s). Read as two-way, both would be 474 m at 20 km/h.
    assert ba > 1.5 * ab
    # the same as the OSM file gives
    osm = load_network(NetworkSpec(path=tmp_path / "block.osm"))
    assert (ab, ba) == pytest.approx((drive_s(osm, A, B), drive_s(osm, B, A)), rel=1e-9)


@pytest.mark.parametrize("suffix", [".gpkg", ".shp"])
def test_gdal_line_layer_gives_the_osm_files_network(tmp_path, suffix):
    """Direction (tagged and implied), the private road, the bridge's level and the posted
    limits of the GDAL export are read as from the OSM file: the same directed edges."""
    osm = write_osm(tmp_path / "block.osm")
    gdal_export(osm, tmp_path / f"lines{suffix}")
    from_osm = load_network(NetworkSpec(path=osm))
    from_layer = load_network(NetworkSpec(path=tmp_path / f"lines{suffix}"))
    assert directed_edges(from_layer) == directed_edges(from_osm)
    assert from_layer.dropped == {"no access": 1}  # way 103, access=private
    assert from_layer.components().n_components == from_osm.components().n_components == 2
    assert from_layer.unread_maxspeed == from_osm.unread_maxspeed == {"signals": 1,
                                                                      "CN:urban": 1}


def test_columns_win_over_other_tags():
    import geopandas as gpd
    from shapely.geometry import LineString

    lines = [LineString([(A[0], A[1] + k / 1000), (B[0], B[1] + k / 1000)]) for k in range(4)]
    g = gpd.GeoDataFrame(
        {"highway": ["primary"] * 4,
         "oneway": ["no", None, "", "-1"],
         "maxspeed": [30, None, np.nan, "20"],
         "other_tags": ['"oneway"=>"yes","maxspeed"=>"25"'] * 3 + ['"access"=>"no"']},
        geometry=lines, crs="EPSG:4326")
    for i in range(3):
        net = from_lines(g.iloc[[i]])
        limit = float(net.edge_maxspeed_kph[0])
        assert (net.n_edges, limit) == ((2, 30) if i == 0 else (1, 25)), i
    net = from_lines(g.iloc[[0, 3]].assign(access=[None, "yes"]))  # column over other_tags
    assert net.dropped == {} and net.n_edges == 2 + 1  # feature 3: oneway against, kept
    net = from_lines(g.iloc[[0, 3]], oneway_column="oneway")
    assert net.dropped == {"no access": 1}
    # a layer of its own making: columns named as the OSM tags are read too
    plain = g.drop(columns="other_tags").assign(access=["private", None, "yes", None],
                                                area=[None, "yes", None, None])
    net = from_lines(plain)
    assert net.dropped == {"no access": 1, "area": 1}
    assert net.n_posted_limits == 2  # feature 3 ("20"), both ways: no oneway_column here


def test_truncated_other_tags_keeps_the_tags_before_the_cut(caplog):
    import geopandas as gpd
    from shapely.geometry import LineString

    g = gpd.GeoDataFrame({"highway": ["primary"], "osm_id": ["100"],
                          "other_tags": ['"oneway"=>"yes","name:en"=>"Long Str']},
                         geometry=[LineString([A, B])], crs="EPSG:4326")
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        net = from_lines(g, source="roads.shp")
    assert net.n_edges == 1
    assert ("roads.shp: feature 1 (osm_id '100'): the other_tags text could not be read to "
            "its end (1 such feature(s)") in caplog.text


# --------------------------------------------------------------------------- parser
@pytest.mark.parametrize(("text", "tags", "whole"), [
    ('"oneway"=>"yes","maxspeed"=>"60","lanes"=>"2"',
     {"oneway": "yes", "maxspeed": "60", "lanes": "2"}, True),
    (r'"note"=>"a \"b\" => c, d","k"=>"v\\"', {"note": 'a "b" => c, d', "k": "v\\"}, True),
    ('"we=>ird","x"=>"1"', {}, False),  # a key alone: not hstore
    ('"a"=>"x\ny" , "b" => NULL, "c"=>""', {"a": "x\ny", "c": ""}, True),
    ('"oneway"=>"yes","name"=>"cut', {"oneway": "yes"}, False),  # Shapefile's 254-byte cut
    ('{"oneway": "-1", "layer": 1}', {"oneway": "-1", "layer": "1"}, True),  # tags_format=json
    ("{broken", {}, False),
    ("", {}, True), (None, {}, True), (float("nan"), {}, True), ("  ", {}, True),
])
def test_parse_other_tags(text, tags, whole):
    from siting.network.tags import parse_other_tags

    assert parse_other_tags(text) == (tags, whole)


def test_parse_other_tags_reads_what_gdal_writes(tmp_path):
    """Every way's tags back from GDAL's other_tags text, quotes, '=>' and commas included."""
    from siting.network.tags import parse_other_tags

    gdf = pyogrio.read_dataframe(write_osm(tmp_path / "block.osm"), layer="lines")
    for (_, _, tags), text, hw in zip(WAYS, gdf["other_tags"], gdf["highway"], strict=True):
        assert parse_other_tags(text) == ({k: v for k, v in tags.items() if k != "highway"},
                                          True)
        assert hw == tags["highway"]


@pytest.mark.parametrize(("raw", "kph"), [
    ("60", 60.0), (" 60 ", 60.0), ("60 km/h", 60.0), ("60kmh", 60.0), ("25.5", 25.5),
    ("30 mph", 48.28032), ("30mph", 48.28032), ("10 knots", 18.52), ("50;60", 50.0),
    ("60; signals", 60.0), (["50", "30"], 30.0), (45, 45.0), (45.0, 45.0),
    ("none", math.nan), ("", math.nan), (None, math.nan), (float("nan"), math.nan),
    (0, math.nan), ("0", math.nan),
    ("CN:urban", None), ("signals", None), ("walk", None), ("variable", None),
    ("50,5", None), ("-30", None), ("1000", None), (True, None),
])
def test_maxspeed_kph(raw, kph):
    from siting.network.tags import maxspeed_kph

    got = maxspeed_kph(raw)
    if kph is None:
        assert got is None
    elif math.isnan(kph):
        assert got is not None and math.isnan(got)
    else:
        assert got == pytest.approx(kph)


# --------------------------------------------------------------------------- maxspeed
def test_posted_limit_below_the_class_speed_lowers_it_above_does_not(tmp_path):
    net = load_network(NetworkSpec(path=write_osm(tmp_path / "block.osm")))
    heavy = net.edge_speeds_kph(DEFAULT_SPEEDS_KPH, "heavy")
    light = net.edge_speeds_kph(DEFAULT_SPEEDS_KPH, "light")
    a, b, e = node_at(net, A), node_at(net, B), node_at(net, NODES[5])
    ab = np.flatnonzero((net.edge_u == a) & (net.edge_v == b))
    be = np.flatnonzero((net.edge_u == b) & (net.edge_v == e))
    assert heavy[ab].tolist() == [15.0] and light[ab].tolist() == [15.0]  # residential 20/25
    assert heavy[be].tolist() == [40.0] and light[be].tolist() == [50.0]  # 96.6 km/h: class
    assert drive_s(net, A, B) == pytest.approx(net.edge_length_m[ab[0]] / (15 / 3.6))
    others = np.setdiff1d(np.arange(net.n_edges), ab)
    plain = replace(net, edge_maxspeed_kph=None)
    assert np.array_equal(heavy[others], plain.edge_speeds_kph(DEFAULT_SPEEDS_KPH,
                                                               "heavy")[others])


def test_graphml_maxspeed_matches_the_osm_file(tmp_path):
    """The OSM file as a graph with every way's tags on its edges (as osmnx keeps them),
    saved as GraphML: the same directed edges, classes and posted limits."""
    import networkx as nx

    G = nx.MultiDiGraph(crs="epsg:4326")
    for n, (lon, lat) in NODES.items():
        G.add_node(n, x=lon, y=lat)
    for _, refs, tags in WAYS:
        for a, b in itertools.pairwise(refs):
            G.add_edge(a, b, **tags)
            if tags.get("oneway") != "yes" and tags["highway"] != "motorway":
                G.add_edge(b, a, **tags)
    nx.write_graphml(G, tmp_path / "block.graphml")
    net = load_network(NetworkSpec(path=tmp_path / "block.graphml"))
    osm = load_network(NetworkSpec(path=write_osm(tmp_path / "block.osm")))
    assert directed_edges(net) == directed_edges(osm)
    # counted per graph edge: way 101's three segments both ways, the bridge both ways
    assert net.unread_maxspeed == {"signals": 6, "CN:urban": 2}
    # an osmnx edge merged from ways with different limits: the lowest
    H = nx.DiGraph()
    H.add_edge(1, 2, highway="primary", maxspeed="['50', '30 mph']")
    for n in (1, 2):
        H.nodes[n].update(x=NODES[n][0], y=NODES[n][1])
    assert from_networkx(H).edge_maxspeed_kph.tolist() == [pytest.approx(48.28032)]


def test_unread_maxspeed_is_warned_and_kept_in_npz(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="siting.network"):
        net = load_network(NetworkSpec(path=write_osm(tmp_path / "block.osm")))
    assert ("maxspeed of 2 source roads holds no speed limit siting reads ('CN:urban' 1, "
            "'signals' 1); their road-class speed is used") in caplog.text
    assert net.n_posted_limits == 3  # A->B, B->E and E->B
    back = read_npz(save_network(net, tmp_path / "net.npz"))
    assert np.array_equal(back.edge_maxspeed_kph, net.edge_maxspeed_kph, equal_nan=True)
    assert back.unread_maxspeed == net.unread_maxspeed
    # a network without limits stores none
    plain = read_npz(save_network(replace(net, edge_maxspeed_kph=None, unread_maxspeed={}),
                                  tmp_path / "plain.npz"))
    assert plain.edge_maxspeed_kph is None and plain.unread_maxspeed == {}


# ----------------------------------------------------------------- maxspeed:hgv, by direction
# Way 102 (B-E, primary: 50 km/h light, 40 heavy) with a limit for heavy goods vehicles and
# one per direction (forward = B->E, as drawn).
LIMITED = (102, [2, 5], {"highway": "primary", "maxspeed:forward": "20",
                         "maxspeed:backward": "45", "maxspeed:hgv": "30"})
E = NODES[5]


def edge_speeds(net: RoadNetwork) -> dict[tuple, tuple[float, float]]:
    """Directed edges keyed by their end coordinates: (light, heavy) speed, km/h."""
    light, heavy = (net.edge_speeds_kph(DEFAULT_SPEEDS_KPH, v) for v in ("light", "heavy"))
    return {tuple(round(float(x), 6) for x in (net.lon[u], net.lat[u], net.lon[v], net.lat[v])):
            (round(float(a), 3), round(float(b), 3))
            for u, v, a, b in zip(net.edge_u, net.edge_v, light, heavy, strict=True)}


def osmnx_graph(ways):
    """The ways as osmnx builds a graph: each way's tags on its edges, ``reversed`` True on
    the edges of a two-way road that run against the way's direction."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    for n, (lon, lat) in NODES.items():
        G.add_node(n, x=lon, y=lat)
    for _, refs, tags in ways:
        for a, b in itertools.pairwise(refs):
            G.add_edge(a, b, reversed=False, **tags)
            if tags.get("oneway") != "yes" and tags["highway"] != "motorway":
                G.add_edge(b, a, reversed=True, **tags)
    return G


def _limited_network(fmt: str, tmp_path: Path) -> RoadNetwork:
    ways = [LIMITED if w[0] == 102 else w for w in WAYS]
    osm = write_osm(tmp_path / "block.osm", ways)
    if fmt == "gpkg":  # GDAL's other_tags
        gdal_export(osm, tmp_path / "lines.gpkg")
        return load_network(NetworkSpec(path=tmp_path / "lines.gpkg"))
    if fmt == "graphml":
        nx.write_graphml(osmnx_graph(ways), tmp_path / "block.graphml")
        return load_network(NetworkSpec(path=tmp_path / "block.graphml"))
    net = load_network(NetworkSpec(path=osm))
    return read_npz(save_network(net, tmp_path / "net.npz")) if fmt == "npz" else net


@pytest.mark.parametrize("fmt", ["osm", "gpkg", "graphml", "npz"])
def test_hgv_limit_caps_heavy_vehicles_and_directional_limits_their_direction(tmp_path, fmt):
    net = _limited_network(fmt, tmp_path)
    speeds = edge_speeds(net)
    be, eb = (tuple(round(x, 6) for x in (*p, *q)) for p, q in ((B, E), (E, B)))
    assert speeds[be] == (20.0, 20.0)  # maxspeed:forward, for both classes
    assert speeds[eb] == (45.0, 30.0)  # maxspeed:backward; heavy: maxspeed:hgv as well
    assert (net.n_posted_limits, net.n_hgv_limits) == (3, 2)  # A->B 15, B->E, E->B
    osm = load_network(NetworkSpec(path=tmp_path / "block.osm"))
    assert speeds == edge_speeds(osm)  # every other edge as the OSM file has it


@pytest.mark.parametrize("names", [("maxspeed_hgv", "maxspeed_forward", "maxspeed_backward"),
                                   ("maxspeed:hgv", "maxspeed:forward", "maxspeed:backward")])
def test_line_layer_columns_give_hgv_and_directional_limits(names):
    import geopandas as gpd
    from shapely.geometry import LineString

    g = gpd.GeoDataFrame({"highway": ["primary"], **{n: [v] for n, v in zip(
        names, [30, "20", 45.0], strict=True)}}, geometry=[LineString([B, E])], crs="EPSG:4326")
    speeds = edge_speeds(from_lines(g))
    assert sorted(speeds.values()) == [(20.0, 20.0), (45.0, 30.0)]
    drawn = speeds[tuple(round(x, 6) for x in (*B, *E))]
    assert drawn == (20.0, 20.0)  # forward is the digitised direction


def test_graphml_edge_of_unknown_direction_keeps_to_the_lower_limit():
    H = nx.DiGraph()  # no osmnx 'reversed' attribute: the way's direction is unknown
    H.add_edge(1, 2, highway="primary", **{"maxspeed:forward": "20", "maxspeed:backward": "45",
                                          "maxspeed:hgv:backward": "15"})
    for n in (1, 2):
        H.nodes[n].update(x=NODES[n][0], y=NODES[n][1])
    assert list(edge_speeds(from_networkx(H)).values()) == [(20.0, 15.0)]


@pytest.mark.parametrize(("tags", "limits", "unread"), [
    ({}, (None, None, None, None), {}),
    ({"maxspeed": "50"}, (50, 50, None, None), {}),
    ({"maxspeed": "50", "maxspeed:forward": "30"}, (30, 50, None, None), {}),
    ({"maxspeed": "50", "maxspeed:backward": "signals"}, (50, 50, None, None), {"signals": 1}),
    ({"maxspeed": "50", "maxspeed:forward": "none"}, (50, 50, None, None), {}),
    ({"maxspeed:hgv": "60", "maxspeed:hgv:backward": "40 mph"}, (None, None, 60, 64.37376), {}),
])
def test_maxspeed_tally_limits(tags, limits, unread):
    from siting.network.tags import MaxspeedTally

    tally = MaxspeedTally()
    got = tally.limits(tags.get)
    assert [None if math.isnan(x) else pytest.approx(x) for x in got] == list(limits)
    assert dict(tally.unread) == unread


# --------------------------------------------------------------------------- bridges, tunnels
@pytest.mark.parametrize("structure", [{"bridge": "yes"}, {"tunnel": "yes"},
                                       {"bridge": "viaduct", "layer": "0"}])
def test_gdal_layer_bridge_without_layer_does_not_join_the_roads_it_crosses(tmp_path,
                                                                          structure):
    """Way 105 crosses ways 100 and 101 with no shared node: the OSM file never joins it
    there, and neither does its GDAL layer (a bridge is above, a tunnel below)."""
    ways = [(105, [6, 7], {"highway": "primary", **structure}) if w[0] == 105 else w
            for w in WAYS]
    from_osm, from_layer = osm_and_gdal_layer(tmp_path, ways)
    assert from_layer.components().n_components == from_osm.components().n_components == 2
    assert directed_edges(from_layer) == directed_edges(from_osm)


@pytest.mark.parametrize("layer", [{}, {"layer": "1"}])
def test_bridge_ending_on_a_road_joins_it_as_in_the_osm_file(tmp_path, layer):
    """A bridge from node 6 over way 100 down to node 3, a middle node of way 101: joined
    there (a shared node), not where it crosses way 100."""
    ways = [(105, [6, 3], {"highway": "primary", "bridge": "yes", **layer}) if w[0] == 105
            else w for w in WAYS]
    from_osm, from_layer = osm_and_gdal_layer(tmp_path, ways)
    assert from_layer.components().n_components == from_osm.components().n_components == 1
    assert directed_edges(from_layer) == directed_edges(from_osm)
    assert from_layer.n_nodes == from_osm.n_nodes


@pytest.mark.parametrize(("over", "joined"), [
    ({"bridge": "F", "tunnel": "F", "layer": 0}, True),
    ({"bridge": "T", "tunnel": "F", "layer": 0}, False),   # Geofabrik: layer 0 = not tagged
    ({"bridge": "F", "tunnel": "T", "layer": 0}, False),
    ({"bridge": "T", "tunnel": "F", "layer": -1}, True),   # a layer given: it decides
    ({"bridge": True, "tunnel": None, "layer": None}, False),
    ({"bridge": "no", "tunnel": "building_passage", "layer": None}, True),
    ({"bridge": np.nan, "tunnel": "", "layer": np.nan}, True),
])
def test_geofabrik_bridge_and_tunnel_columns_set_the_level(over, joined):
    """Geofabrik's gis_osm_roads_free: bridge/tunnel T/F, layer 0 where OSM has none. The
    road under the crossing line is at level -1 in one case, at 0 (F/F/0) otherwise."""
    import geopandas as gpd
    from shapely.geometry import LineString

    mid = ((A[0] + B[0]) / 2, A[1])
    under = {"bridge": "F", "tunnel": "F", "layer": -1 if over["layer"] == -1 else 0}
    g = gpd.GeoDataFrame([{"fclass": "primary", **under}, {"fclass": "primary", **over}],
                         geometry=[LineString([A, B]), LineString([(mid[0], mid[1] - 0.002),
                                                                  (mid[0], mid[1] + 0.002)])],
                         crs="EPSG:4326")
    if over["layer"] is None:
        g = g.drop(columns="layer")
    net = from_lines(g, class_column="fclass")
    assert net.components().n_components == (1 if joined else 2)
