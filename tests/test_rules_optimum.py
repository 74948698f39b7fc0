"""Siting rules change the optimal plan: candidate rules (siting.candidates) feeding the MIP.

Two candidate sites: A next to the demand, B far from it. A hand-built coverage matrix says
only A can reach the demand. A rule that excludes A (a school within the setback, or no
hydrogen supply within delivery distance) must change the optimum from "A, everything covered"
to "nothing covered" — or to the costlier on-site-production type at A when the budget allows.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from shapely.geometry import Point

from siting.candidates import RuleLayers, build_options
from siting.model import ModelInput, SitingModel
from siting.scenario import Scenario

A = (113.400, 31.700)
B = (113.500, 31.700)   # ~9.5 km east of A
CRS = "EPSG:32649"


def _scenario(**extra) -> Scenario:
    base = {
        "name": "rules", "years": [2025], "base_dir": "/tmp", "source_file": "/tmp/s.toml",
        "network": {"path": "/tmp/roads.geojson"},
        "demand": {"path": "/tmp/fleet.geojson"},
        "candidates": {"path": "/tmp/c.geojson"},
        "segments": [{"id": "trucks", "vehicle_class": "heavy", "threshold_min": 10,
                      "kwh_per_km": 1.5, "h2_kg_per_km": 0.08, "nev_share": {"2025": 1.0},
                      "pathway_split": {"hydrogen": 1.0}}],
        "station_types": [
            {"id": "h2", "serves": ["hydrogen"], "capex": 10e6, "capacity": 500,
             "capacity_unit": "kg/day"},
            {"id": "h2_onsite", "serves": ["hydrogen"], "capex": 19e6, "capacity": 500,
             "capacity_unit": "kg/day", "onsite_production": True},
        ],
        "budget": {"total": 12e6},
    }
    base.update(extra)
    return Scenario.model_validate(base)


def _candidates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"site_id": ["A", "B"], "allowed_types": ["h2;h2_onsite", "h2"]},
                            geometry=[Point(*A), Point(*B)], crs="EPSG:4326")


def _solve(sc: Scenario, rules: RuleLayers) -> tuple[float, set[tuple[str, str]]]:
    _, options = build_options(_candidates(), None, sc, rules, CRS)
    reaches = (options["site_id"] == "A").to_numpy()  # only site A reaches the demand
    cover = sp.csr_matrix(reaches.astype(float)[None, :])
    mi = ModelInput(weight=np.array([10.0]), energy=np.array([100.0]), year=np.array([0]),
                    cover=cover, option_site=options["site_idx"].to_numpy(),
                    option_cost=options["capex"].to_numpy(float),
                    option_capacity=options["capacity"].to_numpy(float),
                    option_existing=options["existing"].to_numpy(bool),
                    budget_total=sc.budget.total)
    sol = SitingModel.from_input(mi, capacitated=True).solve()
    chosen = options.iloc[np.flatnonzero(sol.open_year >= 0)]
    return sol.objective, set(zip(chosen["site_id"], chosen["station_type"]))


def _supply(lon: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"supply_id": ["S"], "kg_per_day": [1000.0]},
                            geometry=[Point(lon, A[1])], crs="EPSG:4326")


def test_setback_changes_the_optimum():
    school = gpd.GeoDataFrame({"category": ["school"], "name": ["一中"]},
                              geometry=[Point(A[0] + 0.0003, A[1])], crs="EPSG:4326")  # ~28 m
    free = _scenario()
    obj, plan = _solve(free, RuleLayers())
    assert obj == 10.0 and plan == {("A", "h2")}
    ruled = _scenario(setbacks={"sites": {"path": "/tmp/s.geojson"},
                                "distance_m": {"school": 50.0}})
    obj, plan = _solve(ruled, RuleLayers(sensitive=school))
    # A is excluded for every hydrogen type; B cannot reach the demand
    assert obj == 0.0 and plan <= {("B", "h2")}


def test_hydrogen_supply_rule_changes_the_optimum():
    far = _supply(A[0] - 0.45)   # ~43 km west of A, ~52 km from B
    sc = _scenario(hydrogen={"supply": {"path": "/tmp/h.geojson"}, "delivery_km": 30})
    obj, plan = _solve(sc, RuleLayers(supply=far))
    assert obj == 0.0 and plan == set()  # delivered H2 excluded; on-site type over budget
    rich = _scenario(hydrogen={"supply": {"path": "/tmp/h.geojson"}, "delivery_km": 30},
                     budget={"total": 20e6})
    obj, plan = _solve(rich, RuleLayers(supply=far))
    assert obj == 10.0 and plan == {("A", "h2_onsite")}  # the costlier type fills the gap
    near = _supply(A[0] - 0.1)   # ~9.5 km
    obj, plan = _solve(sc, RuleLayers(supply=near))
    assert obj == 10.0 and plan == {("A", "h2")}
