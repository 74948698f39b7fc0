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
from pyproj import Transformer
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
    reqs = {(r.zone, r.pathway or r.station_type, r.min, r.by_year)
            for r in scenario.zone_requirements}
    # the plan: hydrogen production at the chemical park, refuelling at 何店, and "若干"
    # (read as three) new charging/swap stations in the urban core, one of them swap
    assert reqs == {("xihe_chem", "hydrogen_onsite", 1, 2025), ("hedian", "hydrogen", 1, 2025),
                    ("urban_core", "charging_hub", 2, 2025), ("urban_core", "swap", 1, 2025)}
    assert len(scenario.corridors) >= 1
    assert all(scenario.corridor_use_per_km(c) > 0 for c in scenario.corridors)
    assert scenario.solver.name == "highs" and 0 < scenario.solver.time_limit_s <= 60
    assert scenario.station_type("integrated").h2_capacity_kg == 500
    assert sum(scenario.budget.by_year.values()) >= scenario.budget.total > 0
    # a heavy-truck chassis swap station takes no vans, and no van segment asks for swap
    assert scenario.station_type("swap_heavy").vehicle_classes == ["heavy"]
    for seg in scenario.segments:
        if seg.vehicle_class == "light":
            assert seg.pathway_split.get("swap", 0.0) == 0.0, seg.id


def test_reviewed_figures_stay_in_the_published_ranges(scenario, layers):
    """The figures issue 11 §3 flagged, against the ranges SOURCES.md §0 documents."""
    fleet = layers["fleet.geojson"]
    totals = fleet.groupby("segment")["vehicles"].sum()
    urban_residents = 600_000  # SOURCES.md §2
    assert 5.0 <= totals["sanitation"] / urban_residents * 1e4 <= 6.5
    assert 1.5 * 900 <= totals["logistics"] <= 2.5 * 900
    final = scenario.years[-1]
    by_id = {c.id: c for c in scenario.corridors}
    h2 = [c for c in scenario.corridors if c.pathway == "hydrogen"]
    assert h2 and all(c.trucks_per_day <= 10 for c in h2)  # ~22k FCVs in all China, 2024
    # a swap corridor carries fewer trucks than the point demand's own new-energy swap fleet
    swap_fleet = 0.0
    for seg in scenario.segments:
        rows = fleet[fleet["segment"] == seg.id]
        fixed = rows["pathway"].fillna("") if "pathway" in rows else ""
        free = rows["vehicles"][fixed == ""].sum()
        pinned = rows["vehicles"][fixed == "swap"].sum()
        swap_fleet += seg.nev_share[final] * (free * seg.pathway_split.get("swap", 0.0) + pinned)
    assert 0 < by_id["hedian_urban"].trucks_per_day < swap_fleet
    assert 0.06 <= scenario.hydrogen.cost_per_kg_km <= 0.10  # tube trailers, CNY/kg/km
    onsite = scenario.station_type("hydrogen_onsite")
    electrolyser_kw = onsite.grid_kw - scenario.station_type("hydrogen").grid_kw
    assert onsite.capacity * 50 / 24 <= electrolyser_kw <= onsite.capacity * 60 / 20
    assert 10 <= scenario.station_type("depot_charging").vehicles_per_day <= 20
    assert scenario.segment("muck_truck").threshold_min <= 10


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


def _usable_sites(req, layers, scenario) -> set[str]:
    """Candidates in the requirement's zone with a qualifying type that passes every rule."""
    zones = layers["zones.geojson"].to_crs(METRIC).set_index("zone_id")
    cand = layers["candidates.geojson"].to_crs(METRIC)
    sens = layers["sensitive.geojson"].to_crs(METRIC)
    supply = layers["h2_supply.geojson"].to_crs(METRIC)
    setback = scenario.setbacks.distance_m
    types = {t.id: t for t in scenario.station_types}
    ok = set()
    for _, c in cand[cand.within(zones.loc[req.zone, "geometry"])].iterrows():
        for tid in c["allowed_types"].split(";"):
            t = types[tid]
            if (req.station_type or tid) != tid or (req.pathway or t.serves[0]) not in t.serves:
                continue
            if "hydrogen" in t.serves:
                near = min(sens[sens["category"] == cat].distance(c.geometry).min() - need
                           for cat, need in setback.items())
                reach = supply.distance(c.geometry).min() <= scenario.hydrogen.delivery_km * 1e3
                if near < 0 or not (t.onsite_production or reach):
                    continue
            ok.add(c["site_id"])
    return ok


def test_zone_requirements_can_be_met(layers, scenario):
    """Each required zone holds enough candidate sites of a qualifying type passing the rules."""
    for req in scenario.zone_requirements:
        sites = _usable_sites(req, layers, scenario)
        assert len(sites) >= req.min, (req.zone, req.pathway or req.station_type, sites)
    # the urban requirement asks for NEW hubs: the existing bus-depot posts are another type
    assert set(layers["existing.geojson"]["station_type"]) == {"depot_charging"}


def test_corridor_trucks_are_not_fleet_trucks(layers, scenario):
    """No fleet point of a corridor's segment (or class) within 2 km of its ends (no double
    count; recomputed in UTM, not with siting's own check)."""
    fleet = layers["fleet.geojson"].to_crs(METRIC)
    cls = {s.id: s.vehicle_class for s in scenario.segments}
    to_m = Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)
    for c in scenario.corridors:
        same = (fleet["segment"] == c.segment if c.segment
                else fleet["segment"].map(cls) == c.vehicle_class)
        assert same.any(), c.id  # the check has something to check
        pts = fleet[same]
        for end in (c.origin, c.destination):
            x, y = to_m.transform(*end)
            d = np.hypot(pts.geometry.x - x, pts.geometry.y - y).min()
            assert d > 2000.0, (c.id, end, d)


@pytest.mark.slow
def test_bundled_plan_meets_the_plan_requirements(scenario, tmp_path):
    """A short solve of the bundled data: every zone requirement met by stations of the
    right type in the right zone (re-read from stations.geojson), within the budget."""
    from siting import pipeline

    sc = scenario.model_copy(update={"solver": scenario.solver.model_copy(
        update={"time_limit_s": 5.0})})
    pipeline.run(sc, tmp_path / "out", basemap="none")
    st = gpd.read_file(tmp_path / "out" / "stations.geojson").to_crs(METRIC)
    zones = gpd.read_file(DATA / "zones.geojson").to_crs(METRIC).set_index("zone_id")
    serves = {t.id: set(t.serves) for t in scenario.station_types}
    for req in scenario.zone_requirements:
        inside = st[st.within(zones.loc[req.zone, "geometry"]) & (st["year"] <= req.by_year)]
        ok = [t for t in inside["station_type"]
              if (req.station_type == t) or (req.pathway in serves[t])]
        assert len(ok) >= req.min, (req.zone, req.pathway or req.station_type)
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["spent"] <= scenario.budget.total + 1e-6
    assert 0.4 <= report["headline"]["share"] <= 0.95  # partial: the budget binds


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


def test_rule_layers_have_sensible_values(layers, scenario):
    h2 = layers["h2_supply.geojson"]
    assert set(h2["kind"]) <= {"production", "storage_hub"}
    assert (h2["kg_per_day"] > 0).all() and h2["supply_id"].is_unique
    # the bus-depot posts already charge the buses: little is spare for the working fleets
    ex = layers["existing.geojson"]
    depot = scenario.station_type("depot_charging")
    assert (ex["spare_vehicles_per_day"] < depot.vehicles_per_day / 2).all()
    assert (ex["spare_capacity"] < depot.capacity / 10).all()
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
@pytest.mark.slow
def test_generator_is_byte_identical(generator, tmp_path):
    written = generator.generate(tmp_path, generator.SEED)
    assert {p.name for p in written} == set(LAYER_COLUMNS) | {"scenario.toml"}
    for p in written:
        assert p.read_bytes() == (DATA / p.name).read_bytes(), p.name


@pytest.mark.slow
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


def test_no_hydrogen_candidate_in_the_urban_core(layers, scenario):
    """GB 50516 4.0.2 keeps grade-one hydrogen stations out of the city centre."""
    core = layers["zones.geojson"].set_index("zone_id").loc["urban_core", "geometry"]
    h2 = {t.id for t in scenario.station_types if "hydrogen" in t.serves}
    cand = layers["candidates.geojson"]
    inside = cand[cand.within(core)]
    assert len(inside) >= 5
    for types in inside["allowed_types"]:
        assert not set(types.split(";")) & h2, types
