"""A hand-made solved plan for map tests, and readers of a map page's embedded data."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from siting.results import SitingResult
from siting.scenario import Scenario
from tests.helpers_report import make_report

HOSTILE = "<img src=x onerror=alert(1)>"
WGS84 = "EPSG:4326"


# --------------------------------------------------------------------------- fixtures
def make_scenario(*, name: str = "随州市专用车队能源站布局", type_color: str = "#1f77b4",
                  type_name: str = "换电站") -> Scenario:
    return Scenario.model_validate({
        "name": name, "name_en": "Suizhou fleet energy stations", "years": [2025],
        "network": {"path": "roads.gpkg", "schematic": True},
        "demand": {"path": "fleet.gpkg"},
        "segments": [{
            "id": "sanitation", "name": "环卫", "name_en": "Sanitation",
            "vehicle_class": "light", "threshold_min": 15, "kwh_per_km": 1.2,
            "h2_kg_per_km": 0.1, "nev_share": {2025: 0.4},
            "pathway_split": {"swap": 0.5, "charging": 0.3, "hydrogen": 0.2}}],
        "candidates": {"path": "candidates.gpkg"},
        "station_types": [
            {"id": "swap", "name": type_name, "name_en": "Battery swap", "serves": ["swap"],
             "capex": 3e6, "capacity": 4000, "color": type_color, "glyph": "换"},
            {"id": "charging_hub", "name": "充电站", "name_en": "DC charging hub",
             "serves": ["charging"], "capex": 1.5e6, "capacity": 6000, "color": "#ff7f0e",
             "glyph": "充"},
            {"id": "hydrogen", "name": "加氢站", "name_en": "Hydrogen station",
             "serves": ["hydrogen"], "capex": 1.2e7, "capacity": 500,
             "capacity_unit": "kg/day", "color": "#2ca02c", "glyph": "氢"}],
        "budget": {"total": 5e7},
    })


STATIONS = [  # site_id, name, type, family, lon, lat, existing, capex
    ("S1", "城东换电站", "swap", "swap", 113.430, 31.700, False, 3e6),
    ("S2", "交通大道换电站", "swap", "swap", 113.395, 31.706, True, 0.0),
    ("C1", "烈山大道充电站", "charging_hub", "charging", 113.376, 31.710, False, 1.5e6),
    ("C2", "南郊充电站", "charging_hub", "charging", 113.370, 31.665, False, 1.5e6),
    ("H1", "淅河加氢站", "hydrogen", "hydrogen", 113.480, 31.697, False, 1.2e7),
]


def make_result(*, n_demand: int = 40, station_name: str | None = None, schematic: bool = True,
                scenario: Scenario | None = None, zone_name: str = "淅河化工园",
                outcome: str = "hydrogen: excluded — 120 m from a school (setback 200 m)",
                seed: int = 1) -> SitingResult:
    """A small hand-built result: 5 stations of 3 types, demand, candidates, zones, roads."""
    rng = np.random.default_rng(seed)
    rows = []
    for sid, name, typ, fam, lon, lat, existing, capex in STATIONS:
        if station_name is not None and sid == "H1":
            name = station_name
        rows.append({
            "site_id": sid, "name": name, "station_type": typ, "family": fam, "capex": capex,
            "capacity": 500.0 if fam == "hydrogen" else 4000.0,
            "capacity_unit": "kg/day" if fam == "hydrogen" else "kWh/day",
            "zone": "xihe" if sid == "H1" else "", "year": 2025, "existing": existing,
            "served_demand": 12.0, "served_energy": 800.0, "n_demand_served": 3,
            "reason": "covers 12 vehicles", "geometry": Point(lon, lat)})
    stations = gpd.GeoDataFrame(rows, crs=WGS84)

    lon = rng.uniform(113.33, 113.49, n_demand)
    lat = rng.uniform(31.60, 31.74, n_demand)
    pathway = rng.choice(["swap", "charging", "hydrogen"], n_demand)
    demand = gpd.GeoDataFrame({
        "demand_id": [f"F{i}:{p}:2025" for i, p in enumerate(pathway)],
        "fleet_id": [f"F{i}" for i in range(n_demand)],
        "name": [f"车队{i}" for i in range(n_demand)],
        "segment": "sanitation", "pathway": pathway, "vehicle_class": "light", "year": 2025,
        "vehicles": rng.uniform(1, 30, n_demand),
        "energy": rng.uniform(50, 2000, n_demand),
        "energy_unit": np.where(pathway == "hydrogen", "kg", "kWh"),
        "weight": rng.uniform(1, 30, n_demand), "threshold_s": 900.0,
        "served_share": rng.choice([0.0, 0.3, 0.7, 1.0], n_demand),
        "served_by": rng.choice(["S1", "C1", ""], n_demand),
    }, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)

    cand_pts = [(113.43, 31.70), (113.395, 31.706), (113.376, 31.71), (113.37, 31.665),
                (113.48, 31.697), (113.45, 31.67), (113.39, 31.60), (113.41, 31.72)]
    ids = ["S1", "S2", "C1", "C2", "H1", "X1", "X2", "X3"]
    outcomes = ["swap: allowed by the site; hydrogen: excluded — no supply within 30 km"] * 6 + [
        outcome, "swap: excluded — no grid capacity; charging_hub: excluded — no grid capacity"]
    candidates = gpd.GeoDataFrame({
        "site_id": ids, "name": [f"站址{i}" for i in ids],
        "allowed_types": "swap;charging_hub;hydrogen", "zone": "",
        "rule_outcome": outcomes, "chosen": [i in {"S1", "S2", "C1", "C2", "H1"} for i in ids],
    }, geometry=[Point(p) for p in cand_pts], crs=WGS84)

    coverage = gpd.GeoDataFrame(
        {"site_id": ["S1"], "station_type": ["swap"], "threshold_min": [15.0]},
        geometry=[Point(113.43, 31.70).buffer(0.03)], crs=WGS84)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["xihe", "hedian"], "name": [zone_name, "何店示范区"]},
        geometry=[Polygon([(113.47, 31.69), (113.49, 31.69), (113.49, 31.705),
                           (113.47, 31.705)]),
                  Polygon([(113.37, 31.58), (113.41, 31.58), (113.41, 31.62),
                           (113.37, 31.62)])], crs=WGS84)
    roads = gpd.GeoDataFrame(
        {"road_class": ["trunk", "primary", "primary", "motorway"]},
        geometry=[LineString([(113.365, 31.710), (113.395, 31.706), (113.430, 31.700),
                              (113.475, 31.695)]),
                  LineString([(113.376, 31.730), (113.376, 31.710), (113.377, 31.690),
                              (113.378, 31.670)]),
                  LineString([(113.400, 31.590), (113.390, 31.630), (113.385, 31.660),
                              (113.395, 31.690), (113.405, 31.715)]),
                  LineString([(113.55, 31.50), (113.45, 31.56), (113.40, 31.59)])],
        crs=WGS84)
    extras = {
        "h2_supply": gpd.GeoDataFrame({"name": ["齐星光伏制氢"], "kg_per_day": [800.0]},
                                      geometry=[Point(113.43, 31.705)], crs=WGS84),
        "corridors": gpd.GeoDataFrame({"id": ["g316"], "trucks_per_day": [120.0]},
                                      geometry=[LineString([(113.30, 31.72), (113.48, 31.695)])],
                                      crs=WGS84),
    }
    report = make_report(
        name="suizhou", budget=5e7, spent=1.8e7, coverage=0.723, schematic=schematic,
        provenance="roads: schematic waypoints (context.md); fleet: assumed from waste tonnage")
    return SitingResult(scenario=scenario or make_scenario(), stations=stations, demand=demand,
                        candidates=candidates, coverage_areas=coverage, zones=zones,
                        roads=roads, report=report, extra_layers=extras)



_EXTERNAL_REF = re.compile(
    r"""<script[^>]*\bsrc\s*=\s*["']?(?:https?:)?//|<link[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//|@import""", re.IGNORECASE)


def _balanced(text: str) -> str:
    """The bracketed literal at the start of ``text`` (strings respected)."""
    depth, in_str, esc = 0, False, False
    for i, ch in enumerate(text):
        if in_str:
            esc, in_str = (not esc and ch == "\\"), in_str and (esc or ch != '"')
            continue
        if ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[:i + 1]
    raise ValueError("unbalanced literal")


def _json_after(page: str, marker: str) -> list:
    """Every object/array literal following ``marker`` in the page, decoded as JSON.

    folium writes JS literals with trailing commas; those are dropped before decoding.
    """
    out = []
    for m in re.finditer(re.escape(marker), page):
        rest = page[m.end():].lstrip()
        if not rest.startswith(("{", "[")):
            continue  # a variable (a lazy layer's parsed data), not a literal
        lit = _balanced(rest)
        out.append(json.loads(re.sub(r",(\s*[}\]])", r"\1", lit)))
    return out


def _collections(page: str) -> list[dict]:
    return _json_after(page, "L.geoJSON(")


def _inert_collections(page: str) -> dict[str, dict]:
    """The lazy layers' data (``<script type="application/json" id=...>``) by element id."""
    return {i: json.loads(d) for i, d in re.findall(
        r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.S)}


def _marker_latlons(page: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in
            re.findall(r"L\.marker\(\s*\[([-\d.]+),\s*([-\d.]+)\]", page)]


def _popups(page: str) -> list[str]:
    """Popup HTML strings (stations' bindPopup and every data layer's ``p``)."""
    out = [json.loads(s) for s in re.findall(r'\.bindPopup\(("(?:[^"\\]|\\.)*")', page)]
    for fc in _collections(page):
        out += [f["properties"]["p"] for f in fc["features"] if "p" in f["properties"]]
    return out


# --------------------------------------------------------------------------- offline assets


def with_minor_roads(result: SitingResult) -> SitingResult:
    """``result`` with its roads doubled: the copies are residential streets nearby."""
    minor = result.roads.copy()
    minor["road_class"] = "residential"
    minor["geometry"] = shapely.transform(minor.geometry.to_numpy(), lambda c: c + 2e-3)
    roads = gpd.GeoDataFrame(pd.concat([result.roads, minor], ignore_index=True),
                             crs=result.roads.crs)
    return SitingResult(**{**result.__dict__, "roads": roads})
