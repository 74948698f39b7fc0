"""Tests for siting.candidates: zones, hydrogen supply, setbacks, grid, existing stations."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Point, box

from siting._errors import InputDataError
from siting.candidates import RuleLayers, build_options
from siting.scenario import Scenario

METRIC = "EPSG:32649"
ORIGIN = (113.38, 31.69)  # Suizhou, WGS84 lon/lat
_TO_M = Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)
_TO_LL = Transformer.from_crs(METRIC, "EPSG:4326", always_xy=True)
_OX, _OY = _TO_M.transform(*ORIGIN)
GEOD = Geod(ellps="WGS84")

STATION_TYPES = [
    {"id": "swap", "serves": ["swap"], "capex": 5_000_000, "capacity": 8000, "grid_kw": 1200},
    {"id": "charging_hub", "serves": ["charging"], "capex": 2_000_000, "capacity": 6000,
     "grid_kw": 2400},
    {"id": "h2_delivered", "serves": ["hydrogen"], "capex": 12_000_000, "capacity": 1000,
     "capacity_unit": "kg/day"},
    {"id": "h2_onsite", "serves": ["hydrogen"], "capex": 20_000_000, "capacity": 500,
     "capacity_unit": "kg/day", "onsite_production": True},
]
SEGMENTS = [
    {"id": "sanitation", "vehicle_class": "light", "threshold_min": 15, "kwh_per_km": 1.2,
     "h2_kg_per_km": 0.08, "nev_share": {2025: 0.4},
     "pathway_split": {"swap": 0.5, "charging": 0.3, "hydrogen": 0.2}},
]


def ll(dx_m: float, dy_m: float) -> Point:
    """The WGS84 point ``dx_m`` east and ``dy_m`` north of ORIGIN (UTM 49N offsets)."""
    return Point(*_TO_LL.transform(_OX + dx_m, _OY + dy_m))


def geodesic_m(a: Point, b: Point) -> float:
    """Ellipsoidal distance, m — independent of the module's projected computation."""
    return GEOD.inv(a.x, a.y, b.x, b.y)[2]


def make_scenario(tmp_path: Path, *, hydrogen: bool = True, setbacks: bool = True,
                  grid: bool = True, existing: bool = False, lang: str = "en") -> Scenario:
    """A scenario whose rule layers point at files in ``tmp_path`` (written empty); rule
    outcomes in ``lang`` (English here, so the texts below read as the rules)."""
    def layer(name: str) -> dict:
        p = tmp_path / name
        p.touch()
        return {"path": str(p)}

    raw: dict = {
        "name": "candidates test", "years": [2025], "lang": lang,
        "network": {"path": str(tmp_path / "roads.graphml")},
        "demand": layer("fleet.gpkg"), "candidates": layer("cand.gpkg"),
        "segments": SEGMENTS, "station_types": STATION_TYPES, "budget": {"total": 1e8},
        "zones": layer("zones.gpkg"),
        "base_dir": str(tmp_path), "source_file": str(tmp_path / "scenario.toml"),
    }
    if existing:
        raw["existing"] = layer("existing.gpkg")
    if hydrogen:
        raw["hydrogen"] = {"supply": layer("supply.gpkg"), "delivery_km": 30}
    if setbacks:
        raw["setbacks"] = {"sites": layer("sensitive.gpkg"),
                           "distance_m": {"school": 100.0, "hospital": 0.0}}
    if grid:
        raw["grid"] = {"substations": layer("subs.gpkg")}
    return Scenario.model_validate(raw)


# Site layout (metres from ORIGIN):
#   A (0, 0)        inside both zones, 2 km from supply SUP1
#   B (0, 40 km)    far from any supply: delivered hydrogen excluded, on-site kept
#   C (3 km, 0)     50 m from a school: hydrogen excluded, charging kept
#   D (20 km, -20 km)  outside every zone, capex_factor 1.5
#   E (3 km, 500 m) 500 m from the school: setback met
SITES = {
    "A": ((0.0, 0.0), "swap;h2_delivered", 1.0),
    "B": ((0.0, 40_000.0), "h2_delivered;h2_onsite;charging_hub", 1.0),
    "C": ((3_000.0, 0.0), "h2_delivered; charging_hub", 1.0),
    "D": ((20_000.0, -20_000.0), "swap,charging_hub", 1.5),
    "E": ((3_000.0, 500.0), "h2_delivered", 1.0),
}


def candidates_gdf(sites: dict = SITES) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": list(sites), "name": [f"site {k}" for k in sites],
         "allowed_types": [v[1] for v in sites.values()],
         "capex_factor": [v[2] for v in sites.values()]},
        geometry=[ll(*v[0]) for v in sites.values()], crs="EPSG:4326")


def rule_layers() -> RuleLayers:
    zones = gpd.GeoDataFrame(
        # ids chosen so that alphabetical order disagrees with area order
        {"zone_id": ["aa_big", "zz_small"], "name": ["big district", "small park"]},
        geometry=[box(*ll(-10_000, -10_000).coords[0], *ll(10_000, 10_000).coords[0]),
                  box(*ll(-1_000, -1_000).coords[0], *ll(1_000, 1_000).coords[0])],
        crs="EPSG:4326")
    supply = gpd.GeoDataFrame({"supply_id": ["SUP1", "SUP2"]},
                              geometry=[ll(2_000, 0), ll(2_500, -1_000)], crs="EPSG:4326")
    sensitive = gpd.GeoDataFrame(
        {"category": ["school", "hospital", "park"],
         "name": ["No. 1 Middle School", "City Hospital", "River Park"]},
        geometry=[ll(3_000, 50), ll(0, 20), ll(1, 1)], crs="EPSG:4326")
    subs = gpd.GeoDataFrame({"substation_id": ["S_west", "S_east", "S_north"],
                             "spare_mw": [10.0, 5.0, 2.0]},
                            geometry=[ll(-5_000, 0), ll(15_000, -15_000), ll(0, 35_000)],
                            crs="EPSG:4326")
    return RuleLayers(zones=zones, supply=supply, sensitive=sensitive, substations=subs)


def options_of(options, site_id: str) -> set[str]:
    return set(options.loc[options["site_id"] == site_id, "station_type"])


def outcome(sites, site_id: str) -> str:
    return str(sites.loc[sites["site_id"] == site_id, "rule_outcome"].iloc[0])


@pytest.fixture
def built(tmp_path):
    sc = make_scenario(tmp_path)
    rules = rule_layers()
    sites, options = build_options(candidates_gdf(), None, sc, rules, METRIC)
    return sc, rules, sites, options


def test_options_table_shape_and_links(built) -> None:
    sc, _, sites, options = built
    assert list(options["option"]) == list(range(len(options)))
    assert sites.crs == "EPSG:4326"
    # every option row points at its own site
    for _, o in options.iterrows():
        assert sites["site_id"].iloc[o["site_idx"]] == o["site_id"]
        assert tuple(o["serves"]) == tuple(sc.station_type(o["station_type"]).serves)
        assert o["capacity"] == sc.station_type(o["station_type"]).capacity
        assert o["grid_kw"] == sc.station_type(o["station_type"]).grid_kw
    # no (site, type) pair twice
    assert not options.duplicated(["site_id", "station_type"]).any()
    # candidates keep their order and ids
    assert list(sites["site_id"]) == list(SITES)


def test_expected_option_set(built) -> None:
    _, _, _, options = built
    assert options_of(options, "A") == {"swap", "h2_delivered"}
    assert options_of(options, "B") == {"h2_onsite", "charging_hub"}
    assert options_of(options, "C") == {"charging_hub"}
    assert options_of(options, "D") == {"swap", "charging_hub"}
    assert options_of(options, "E") == {"h2_delivered"}


def test_zone_smallest_wins_and_lists_all(built) -> None:
    _, _, sites, options = built
    z = sites.set_index("site_id")
    assert z.loc["A", "zone"] == "zz_small"
    assert set(z.loc["A", "zones"].split(";")) == {"aa_big", "zz_small"}
    assert z.loc["C", "zone"] == "aa_big"
    assert z.loc["C", "zones"] == "aa_big"
    assert z.loc["B", "zone"] == ""
    assert z.loc["D", "zone"] == ""
    assert set(options.loc[options["site_id"] == "A", "zone"]) == {"zz_small"}


def test_hydrogen_delivery_rule(built) -> None:
    _, rules, sites, options = built
    b_out = outcome(sites, "B")
    assert "h2_delivered: excluded" in b_out
    assert "delivery limit 30 km" in b_out
    # the reported distance is the distance to the nearest supply site, recomputed geodesically
    b_pt = sites.loc[sites["site_id"] == "B"].geometry.iloc[0]
    dists = {sid: geodesic_m(b_pt, g) for sid, g in zip(rules.supply["supply_id"],
                                                         rules.supply.geometry)}
    nearest = min(dists, key=dists.get)
    assert f"'{nearest}'" in b_out
    km = float(re.search(r"is ([0-9.]+) km away", b_out).group(1))
    assert km == pytest.approx(dists[nearest] / 1000.0, abs=0.1)
    # on-site production needs no supply site
    assert "h2_onsite: allowed" in b_out and "on-site hydrogen production" in b_out
    # A keeps delivered hydrogen with the nearest supply recorded
    a = options[(options["site_id"] == "A") & (options["station_type"] == "h2_delivered")].iloc[0]
    a_pt = sites.geometry.iloc[a["site_idx"]]
    d_a = {sid: geodesic_m(a_pt, g) for sid, g in zip(rules.supply["supply_id"],
                                                      rules.supply.geometry)}
    assert a["supply_id"] == min(d_a, key=d_a.get)
    assert a["supply_km"] == pytest.approx(min(d_a.values()) / 1000.0, abs=0.01)
    # non-hydrogen options carry no supply
    sw = options[(options["site_id"] == "A") & (options["station_type"] == "swap")].iloc[0]
    assert sw["supply_id"] == "" and np.isnan(sw["supply_km"])


@pytest.mark.parametrize(("dist_km", "kept"), [(29.5, True), (30.5, False)])
def test_hydrogen_delivery_limit_boundary(tmp_path, dist_km: float, kept: bool) -> None:
    sc = make_scenario(tmp_path, setbacks=False, grid=False)
    sites_in = {"P": ((dist_km * 1000.0, 0.0), "h2_delivered", 1.0)}
    rules = RuleLayers(supply=gpd.GeoDataFrame({"supply_id": ["S"]}, geometry=[ll(0, 0)],
                                               crs="EPSG:4326"))
    _, options = build_options(candidates_gdf(sites_in), None, sc, rules, METRIC)
    assert (len(options) == 1) is kept


def test_no_supply_layer_excludes_delivered_hydrogen(tmp_path) -> None:
    sc = make_scenario(tmp_path, setbacks=False, grid=False)
    sites, options = build_options(candidates_gdf(), None, sc, RuleLayers(), METRIC)
    assert "h2_delivered" not in set(options["station_type"])
    assert "no hydrogen supply" in outcome(sites, "A")
    assert "h2_onsite" in options_of(options, "B")


def test_without_hydrogen_section_no_delivery_rule(tmp_path) -> None:
    sc = make_scenario(tmp_path, hydrogen=False, setbacks=False, grid=False)
    _, options = build_options(candidates_gdf(), None, sc, RuleLayers(), METRIC)
    assert "h2_delivered" in options_of(options, "B")


def test_setbacks(built) -> None:
    _, rules, sites, options = built
    c_out = outcome(sites, "C")
    # hydrogen at C is 50 m from the school (setback 100 m): excluded, with the reason
    assert "h2_delivered: excluded" in c_out
    assert "school" in c_out and "No. 1 Middle School" in c_out and "setback 100 m" in c_out
    c_pt = sites.loc[sites["site_id"] == "C"].geometry.iloc[0]
    school = rules.sensitive.geometry.iloc[0]
    d = float(re.search(r"— ([0-9.]+) m from school", c_out).group(1))
    assert d == pytest.approx(geodesic_m(c_pt, school), abs=2.0)
    # the charging type at the same site is not subject to the hydrogen setback
    assert "charging_hub" in options_of(options, "C")
    # E is ~450 m from the school: setback met
    assert "h2_delivered" in options_of(options, "E")
    assert "setbacks met" in outcome(sites, "E")
    # A is 20 m from a hospital (setback 0 = none) and 1 m from a park (no rule)
    assert "h2_delivered" in options_of(options, "A")


def test_setbacks_can_apply_to_charging(tmp_path) -> None:
    sc = make_scenario(tmp_path)
    raw = sc.model_dump()
    raw["setbacks"]["applies_to"] = ["hydrogen", "charging"]
    sc2 = Scenario.model_validate(raw)
    sites, options = build_options(candidates_gdf(), None, sc2, rule_layers(), METRIC)
    assert "charging_hub" not in options_of(options, "C")
    assert "charging_hub: excluded" in outcome(sites, "C")


def test_nearest_substation(built) -> None:
    _, rules, sites, options = built
    subs = rules.substations
    for sid, pt, got in zip(sites["site_id"], sites.geometry, sites["substation"]):
        d = [geodesic_m(pt, g) for g in subs.geometry]
        assert got == subs["substation_id"].iloc[int(np.argmin(d))], sid
    assert dict(zip(sites["site_id"], sites["substation"])) == {
        "A": "S_west", "B": "S_north", "C": "S_west", "D": "S_east", "E": "S_west"}
    for _, o in options.iterrows():
        assert o["substation"] == sites["substation"].iloc[o["site_idx"]]


def test_capex_factor(built) -> None:
    sc, _, _, options = built
    for _, o in options.iterrows():
        factor = SITES[o["site_id"]][2]
        assert o["capex"] == pytest.approx(sc.station_type(o["station_type"]).capex * factor)
    d_swap = options[(options["site_id"] == "D") & (options["station_type"] == "swap")]
    assert float(d_swap["capex"].iloc[0]) == pytest.approx(7_500_000)


def test_existing_stations_are_free_fixed_options(tmp_path) -> None:
    sc = make_scenario(tmp_path, existing=True)
    existing = gpd.GeoDataFrame(
        {"site_id": ["EX1", "EX2"], "station_type": ["swap", "h2_delivered"]},
        geometry=[ll(500, 500), ll(0, 60_000)], crs="EPSG:4326")
    sites, options = build_options(candidates_gdf(), existing, sc, rule_layers(), METRIC)
    assert list(sites["site_id"]) == [*SITES, "EX1", "EX2"]
    assert list(sites["existing"]) == [False] * len(SITES) + [True, True]
    ex = options[options["existing"]]
    assert set(ex["site_id"]) == {"EX1", "EX2"}
    assert (ex["capex"] == 0.0).all()
    assert set(ex["eligible_reason"]) == {"existing station"}
    assert (options.loc[~options["existing"], "capex"] > 0).all()
    # an existing station is a fact: kept even where a new one of its type would be excluded
    assert "h2_delivered" in options_of(options, "EX2")
    assert sites.loc[sites["site_id"] == "EX1", "zone"].iloc[0] == "zz_small"
    assert sites.loc[sites["site_id"] == "EX1", "name"].iloc[0] == "EX1"


def test_existing_id_clash_is_an_error(tmp_path) -> None:
    sc = make_scenario(tmp_path, existing=True)
    existing = gpd.GeoDataFrame({"site_id": ["C"], "station_type": ["swap"]},
                                geometry=[ll(500, 500)], crs="EPSG:4326")
    with pytest.raises(InputDataError, match=r"site_id 'C'.*own ids") as ei:
        build_options(candidates_gdf(), existing, sc, rule_layers(), METRIC,
                      existing_source="existing.gpkg")
    assert "existing.gpkg" in str(ei.value)


def test_unknown_allowed_type_suggests(tmp_path) -> None:
    sc = make_scenario(tmp_path)
    bad = dict(SITES)
    bad["B"] = (SITES["B"][0], "h2_onsite;h2_deliverd", 1.0)
    with pytest.raises(InputDataError) as ei:
        build_options(candidates_gdf(bad), None, sc, rule_layers(), METRIC, source="cand.gpkg")
    msg = str(ei.value)
    assert "cand.gpkg" in msg and "feature 2" in msg and "site_id 'B'" in msg
    assert "'h2_deliverd'" in msg and "did you mean 'h2_delivered'" in msg
    assert "\n" not in msg


def test_empty_allowed_types_is_an_error(tmp_path) -> None:
    sc = make_scenario(tmp_path)
    bad = dict(SITES)
    bad["D"] = (SITES["D"][0], " ; ", 1.0)
    with pytest.raises(InputDataError, match=r"feature 4 \(site_id 'D'\).*empty"):
        build_options(candidates_gdf(bad), None, sc, rule_layers(), METRIC)


def test_no_rules_every_allowed_type_is_an_option(tmp_path) -> None:
    sc = make_scenario(tmp_path, hydrogen=False, setbacks=False, grid=False)
    sites, options = build_options(candidates_gdf(), None, sc, RuleLayers(), METRIC)
    want = {(k, t.strip()) for k, v in SITES.items()
            for t in v[1].replace(",", ";").split(";")}
    assert set(zip(options["site_id"], options["station_type"])) == want
    assert (sites["zone"] == "").all() and (sites["substation"] == "").all()


def test_rule_outcomes_are_in_the_scenario_language(tmp_path):
    # issue 14: a Chinese run showed English rule outcomes; now the same rules read in the
    # run's language, types by name, with the structured excluded_types beside the text
    en = make_scenario(tmp_path, lang="en")
    zh = make_scenario(tmp_path, lang="zh")
    sites_en, _ = build_options(candidates_gdf(), None, en, rule_layers(), METRIC)
    sites_zh, _ = build_options(candidates_gdf(), None, zh, rule_layers(), METRIC)
    assert list(sites_en["excluded_types"]) == list(sites_zh["excluded_types"])
    assert list(sites_en["n_excluded"]) == list(sites_zh["n_excluded"])
    for text in sites_zh["rule_outcome"]:
        assert not re.search(r"\b(excluded|allowed|supply|setback|km|away)\b", text), text
    assert any("排除" in text for text in sites_zh["rule_outcome"])


def test_spare_figures_of_existing_stations_are_read_as_numeric_columns_are():
    from siting.candidates import _spare

    sites = gpd.GeoDataFrame({"site_id": ["E1", "E2", "E3", "E4", "E5", "E6"],
                              "spare_capacity": ["1,200", 35.5, None, "１２", True, -1.0]},
                             geometry=[Point(0, 0)] * 6, crs=4326)
    read = [_spare(sites, i, "spare_capacity", "existing.xlsx") for i in range(4)]
    assert read == [1200.0, 35.5, None, 12.0]
    for i, shown in ((4, "True"), (5, "-1.0")):
        with pytest.raises(InputDataError, match=rf"existing.xlsx: station 'E{i + 1}': "
                           rf"spare_capacity = {shown}; give a number >= 0"):
            _spare(sites, i, "spare_capacity", "existing.xlsx")
    assert _spare(sites, 0, "spare_vehicles_per_day", "existing.xlsx") is None
