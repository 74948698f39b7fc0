"""The bundled Suizhou scenario (data/suizhou/) and the script that generates it.

Checks are recomputed independently of the generator: graphs from the written line endpoints,
areas and distances in UTM 49N, totals from the written layers.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from scipy.spatial import cKDTree

from siting.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "suizhou"
SCRIPT = ROOT / "scripts" / "make_suizhou_data.py"
METRIC = "EPSG:32649"

#: Contract columns of each layer (docs/internals.md and the task brief).
LAYER_COLUMNS: dict[str, tuple[str, set[str]]] = {
    "roads.geojson": ("LineString", {"highway", "name"}),
    "fleet.geojson": ("Point", {"fleet_id", "name", "segment", "vehicles", "daily_km", "kind"}),
    "candidates.geojson": ("Point", {"site_id", "name", "allowed_types", "capex_factor"}),
    "existing.geojson": ("Point", {"site_id", "name", "allowed_types", "station_type"}),
    "zones.geojson": ("Polygon", {"zone_id", "name", "name_en"}),
    "h2_supply.geojson": ("Point", {"supply_id", "name", "kind", "kg_per_day"}),
    "sensitive.geojson": ("Point", {"category", "name"}),
    "substations.geojson": ("Point", {"substation_id", "name", "voltage_kv", "spare_mw"}),
}

#: Published zone areas, km² (context.md); urban_core has none.
PUBLISHED_KM2 = {"chengdong": 11.5, "tiebei": 9.0, "xihe_chem": 7.0, "funan": 17.0,
                 "zhanqian": 7.5, "xihe_service": 5.0, "hedian": 23.5}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(DATA / "scenario.toml")


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(DATA / name) for name in LAYER_COLUMNS}


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_suizhou_data", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_suizhou_data"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _road_graph(roads: gpd.GeoDataFrame) -> nx.MultiGraph:
    G = nx.MultiGraph()
    for k, (geom, hw) in enumerate(zip(roads.geometry, roads["highway"])):
        xy = np.asarray(geom.coords)
        a = (round(xy[0, 0], 6), round(xy[0, 1], 6))
        b = (round(xy[-1, 0], 6), round(xy[-1, 1], 6))
        G.add_edge(a, b, key=k, highway=hw)
    return G


# --------------------------------------------------------------------------- scenario
def test_scenario_loads_with_the_plan_settings(scenario):
    assert scenario.years == [2023, 2024, 2025]
    assert scenario.weight == "vehicles" and scenario.lang == "zh"
    assert scenario.name and scenario.name_en
    assert scenario.network.schematic is True and scenario.network.provenance
    assert {s.id for s in scenario.segments} == {"sanitation", "municipal", "logistics",
                                                 "muck_truck"}
    for seg in ("sanitation", "municipal", "logistics"):  # the plan's 40 % by 2025
        s = scenario.segment(seg)
        assert s.nev_share[2025] == pytest.approx(0.40)
        assert s.nev_share[2023] < s.nev_share[2024] < s.nev_share[2025]
    types = {t.id for t in scenario.station_types}
    assert {"swap_heavy", "charging_hub", "depot_charging", "hydrogen", "hydrogen_onsite",
            "integrated"} <= types
    assert scenario.station_type("hydrogen_onsite").onsite_production
    assert set(scenario.station_type("integrated").serves) == {"swap", "charging", "hydrogen"}
    reqs = {(r.zone, r.pathway, r.by_year) for r in scenario.zone_requirements}
    assert {("xihe_chem", "hydrogen", 2025), ("hedian", "hydrogen", 2025)} <= reqs
    assert len(scenario.corridors) >= 2
    assert scenario.solver.name == "highs" and 0 < scenario.solver.time_limit_s <= 60
    assert scenario.station_type("integrated").h2_capacity_kg == 500
    assert sum(scenario.budget.by_year.values()) >= scenario.budget.total > 0


def test_every_layer_reads_with_contract_columns_in_wgs84(layers):
    for name, (geom_type, cols) in LAYER_COLUMNS.items():
        gdf = layers[name]
        assert len(gdf) > 0, name
        assert cols <= set(gdf.columns), (name, cols - set(gdf.columns))
        assert gdf.crs.to_epsg() == 4326, name
        assert set(gdf.geom_type) == {geom_type}, name
        assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any(), name
        w, s, e, n = gdf.total_bounds
        assert w > 113.0 and e < 113.7 and s > 31.4 and n < 31.8, name


# --------------------------------------------------------------------------- roads
def test_roads_form_one_dominant_routable_graph(layers):
    roads = layers["roads.geojson"]
    G = _road_graph(roads)
    assert G.number_of_nodes() >= 2000
    sizes = sorted((len(c) for c in nx.connected_components(G)), reverse=True)
    assert sizes[0] / G.number_of_nodes() >= 0.99
    assert set(roads["highway"]) <= {"motorway", "motorway_link", "trunk", "primary",
                                     "secondary", "tertiary", "residential"}
    assert roads["schematic"].all()
    named = set(roads["name"])
    for road in ("G70福银高速", "麻竹高速", "烈山大道", "迎宾大道", "编钟大道", "季梁大道",
                 "神农大道", "白云大道", "舜井大道", "沿河大道", "解放路", "汉东路"):
        assert road in named, road
    assert any("交通大道" in n for n in named) and any("淅河大道" in n for n in named)


def test_lines_are_noded_no_crossing_inside_a_piece(layers):
    """Two pieces may only meet at endpoints (the generator nodes every crossing)."""
    roads = layers["roads.geojson"].to_crs(METRIC)
    geoms = roads.geometry.to_numpy()
    tree = gpd.GeoSeries(geoms).sindex
    left, right = tree.query(geoms, predicate="crosses")
    assert len(left) == 0, f"{len(left)} crossing pairs, e.g. rows {left[:3]} × {right[:3]}"


def test_expressways_join_the_network_only_through_ramps(layers):
    roads = layers["roads.geojson"]
    G = _road_graph(roads)
    ramp_nodes = 0
    for node in G.nodes:
        classes = {d["highway"] for _, _, d in G.edges(node, data=True)}
        if "motorway" in classes:
            assert classes <= {"motorway", "motorway_link"}, (node, classes)
            ramp_nodes += "motorway_link" in classes
    assert ramp_nodes >= 6  # three interchanges × two ramp feet, plus the service area
    # and the expressways are reachable from the city (same component as the core)
    comp = max(nx.connected_components(G), key=len)
    motorway_nodes = {u for u, v, d in G.edges(data=True) if d["highway"] == "motorway"}
    assert motorway_nodes <= comp


def test_loader_sees_a_dominant_component(scenario):
    from siting import network
    net = network.load_network(scenario.network)
    assert len(net.node_id) >= 2000
    assert net.components().largest_share >= 0.99
    assert net.schematic


# --------------------------------------------------------------------------- fleet
def test_fleet_points_totals_and_demand_size(layers, scenario):
    fleet = layers["fleet.geojson"]
    assert 300 <= len(fleet) <= 800
    assert fleet["fleet_id"].is_unique
    assert set(fleet["segment"]) == {s.id for s in scenario.segments}
    assert set(fleet["kind"]) <= {"depot", "work_area", "yard"}
    assert (fleet["vehicles"] > 0).all() and (fleet["daily_km"] > 0).all()
    # totals agree with the derivation table in SOURCES.md
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|", text, flags=re.M))
    assert set(table) == set(fleet["segment"])
    sums = fleet.groupby("segment")["vehicles"].sum()
    for seg, total in table.items():
        assert sums[seg] == int(total), seg
    # demand rows = points × pathways with a share × years, must stay small
    paths = {s.id: sum(v > 0 for v in s.pathway_split.values()) for s in scenario.segments}
    rows = sum(paths[s] for s in fleet["segment"]) * len(scenario.years)
    assert rows <= 8000


def test_points_lie_near_the_road_network(layers, scenario):
    roads = layers["roads.geojson"].to_crs(METRIC)
    ends = np.array([c for g in roads.geometry for c in (g.coords[0], g.coords[-1])])
    tree = cKDTree(ends)
    for name in ("fleet.geojson", "candidates.geojson", "existing.geojson"):
        pts = layers[name].to_crs(METRIC)
        d, _ = tree.query(np.column_stack([pts.geometry.x, pts.geometry.y]))
        assert d.max() < 500.0, (name, d.max())
        assert d.max() < scenario.network.max_snap_m


# --------------------------------------------------------------------------- candidates
def test_candidates_allow_only_known_types(layers, scenario):
    cand = layers["candidates.geojson"]
    assert len(cand) >= 60
    assert cand["site_id"].is_unique
    known = {t.id for t in scenario.station_types}
    for types in cand["allowed_types"]:
        parts = types.split(";")
        assert parts and set(parts) <= known, types
    assert (cand["capex_factor"] > 0).all()
    ex = layers["existing.geojson"]
    assert set(ex["station_type"]) <= known
    assert not set(ex["site_id"]) & set(cand["site_id"])


def test_zone_requirements_can_be_met(layers, scenario):
    """Each required zone holds a candidate that serves hydrogen and passes every rule."""
    zones = layers["zones.geojson"].to_crs(METRIC).set_index("zone_id")
    cand = layers["candidates.geojson"].to_crs(METRIC)
    sens = layers["sensitive.geojson"].to_crs(METRIC)
    supply = layers["h2_supply.geojson"].to_crs(METRIC)
    h2_types = {t.id: t for t in scenario.station_types if "hydrogen" in t.serves}
    setback = scenario.setbacks.distance_m
    for req in scenario.zone_requirements:
        poly = zones.loc[req.zone, "geometry"]
        ok = []
        for _, c in cand[cand.within(poly)].iterrows():
            types = [h2_types[t] for t in c["allowed_types"].split(";") if t in h2_types]
            if not types:
                continue
            near = min((sens[sens["category"] == cat].distance(c.geometry).min() - need)
                       for cat, need in setback.items())
            supplied = supply.distance(c.geometry).min() <= scenario.hydrogen.delivery_km * 1e3
            if near >= 0 and any(t.onsite_production or supplied for t in types):
                ok.append(c["site_id"])
        assert ok, f"no usable hydrogen candidate in zone {req.zone}"


def test_setback_layer_bites_somewhere(layers, scenario):
    """The illustrative sensitive sites exclude hydrogen at a few corridor candidates."""
    cand = layers["candidates.geojson"].to_crs(METRIC)
    sens = layers["sensitive.geojson"].to_crs(METRIC)
    assert set(sens["category"]) <= set(scenario.setbacks.distance_m)
    h2 = cand[cand["allowed_types"].str.contains("hydrogen")]
    blocked = 0
    for _, c in h2.iterrows():
        for cat, need in scenario.setbacks.distance_m.items():
            if sens[sens["category"] == cat].distance(c.geometry).min() < need:
                blocked += 1
                break
    assert 1 <= blocked < len(h2)


# --------------------------------------------------------------------------- zones and rules
def test_zone_ids_and_areas_match_published_figures(layers):
    zones = layers["zones.geojson"]
    assert set(zones["zone_id"]) == {"xihe_chem", "hedian", "chengdong", "tiebei", "funan",
                                     "zhanqian", "xihe_service", "urban_core"}
    areas = zones.to_crs(METRIC).set_index("zone_id").area / 1e6
    for zid, km2 in PUBLISHED_KM2.items():
        assert areas[zid] == pytest.approx(km2, rel=0.03), zid
    # parks do not overlap each other (a site belongs to one zone)
    m = zones.to_crs(METRIC).geometry.to_numpy()
    for i in range(len(m)):
        for j in range(i + 1, len(m)):
            assert m[i].intersection(m[j]).area < 1e3


def test_rule_layers_have_sensible_values(layers):
    h2 = layers["h2_supply.geojson"]
    assert set(h2["kind"]) <= {"production", "storage_hub"}
    assert (h2["kg_per_day"] > 0).all() and h2["supply_id"].is_unique
    subs = layers["substations.geojson"].set_index("substation_id")
    assert subs.loc["SS_BIANZHONG", "voltage_kv"] == 500
    assert subs.loc["SS_LIANGSHUI", "voltage_kv"] == 110
    assert (subs["spare_mw"] > 0).all()


def test_provenance_files_say_what_is_schematic():
    prov = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    src = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    assert "schematic" in prov.lower() and "make_suizhou_data.py" in prov
    assert "ASSUMPTION" in src and "GB 50516" in src


# --------------------------------------------------------------------------- generator
def test_generator_is_byte_identical(generator, tmp_path):
    written = generator.generate(tmp_path, generator.SEED)
    assert {p.name for p in written} == set(LAYER_COLUMNS) | {"scenario.toml"}
    for p in written:
        assert p.read_bytes() == (DATA / p.name).read_bytes(), p.name


def test_generator_seed_changes_the_mesh_not_the_plan(generator, tmp_path):
    generator.generate(tmp_path, generator.SEED + 1)
    assert (tmp_path / "roads.geojson").read_bytes() != (DATA / "roads.geojson").read_bytes()
    for name in ("zones.geojson", "h2_supply.geojson", "substations.geojson"):
        new = json.loads((tmp_path / name).read_text(encoding="utf-8"))["features"]
        assert new == json.loads((DATA / name).read_text(encoding="utf-8"))["features"], name
    fleet = gpd.read_file(tmp_path / "fleet.geojson")
    ref = gpd.read_file(DATA / "fleet.geojson")
    assert fleet.groupby("segment")["vehicles"].sum().equals(
        ref.groupby("segment")["vehicles"].sum())


def test_split_total_sums_and_stays_positive(generator):
    rng = np.random.default_rng(0)
    for total, n in ((10, 10), (470, 200), (61, 58)):
        parts = generator.split_total(total, n, rng)
        assert len(parts) == n and sum(parts) == total and min(parts) >= 1
    with pytest.raises(ValueError):
        generator.split_total(3, 4, rng)


@pytest.mark.slow
def test_bundled_budget_gives_partial_coverage(scenario):
    from siting import pipeline
    sc = scenario.model_copy(update={"solver": scenario.solver.model_copy(
        update={"time_limit_s": 30.0})})
    result, _ = pipeline.solve_scenario(sc)
    share = result.report.coverage_share
    assert 0.4 <= share <= 0.95
    assert result.report.spent <= scenario.budget.total + 1e-6


def test_no_hydrogen_candidate_in_the_urban_core(layers, scenario):
    """GB 50516 4.0.2 keeps grade-one hydrogen stations out of the city centre."""
    core = layers["zones.geojson"].set_index("zone_id").loc["urban_core", "geometry"]
    h2 = {t.id for t in scenario.station_types if "hydrogen" in t.serves}
    cand = layers["candidates.geojson"]
    inside = cand[cand.within(core)]
    assert len(inside) >= 5
    for types in inside["allowed_types"]:
        assert not set(types.split(";")) & h2, types
