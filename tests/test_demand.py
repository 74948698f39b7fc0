"""Tests for siting.demand: fleet points → demand points (formula recomputed by hand)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from siting._errors import InputDataError
from siting.demand import build_demand
from siting.scenario import Scenario

H2_LHV = 33.3  # kWh per kg, the value the scenario docs promise

SEGMENTS = [
    {"id": "sanitation", "vehicle_class": "light", "threshold_min": 15, "kwh_per_km": 1.2,
     "h2_kg_per_km": 0.08, "nev_share": {2024: 0.25, 2025: 0.4},
     "pathway_split": {"swap": 0.5, "charging": 0.3, "hydrogen": 0.2}},
    {"id": "logistics", "vehicle_class": "light", "threshold_min": 10, "kwh_per_km": 0.6,
     "h2_kg_per_km": 0.05, "nev_share": {2024: 0.0, 2025: 0.5},
     "pathway_split": {"charging": 1.0, "swap": 0.0}},
    {"id": "heavy", "vehicle_class": "heavy", "threshold_min": 30, "kwh_per_km": 2.0,
     "h2_kg_per_km": 0.12, "nev_share": {2024: 0.1, 2025: 0.2},
     "pathway_split": {"hydrogen": 0.75, "swap": 0.25}},
]
STATION_TYPES = [
    {"id": "swap", "serves": ["swap"], "capex": 5e6, "capacity": 8000},
    {"id": "charging_hub", "serves": ["charging"], "capex": 2e6, "capacity": 6000},
    {"id": "h2", "serves": ["hydrogen"], "capex": 12e6, "capacity": 1000,
     "capacity_unit": "kg/day"},
]


def make_scenario(weight: str = "vehicles", segments: list[dict] | None = None) -> Scenario:
    """A minimal valid scenario (layer paths need not exist for ``model_validate``)."""
    return Scenario.model_validate({
        "name": "test", "years": [2024, 2025], "weight": weight,
        "network": {"path": "/tmp/none.graphml"},
        "demand": {"path": "/tmp/fleet.gpkg"},
        "candidates": {"path": "/tmp/cand.gpkg"},
        "segments": segments if segments is not None else SEGMENTS,
        "station_types": STATION_TYPES,
        "budget": {"total": 1e8},
        "base_dir": "/tmp", "source_file": "/tmp/scenario.toml",
    })


def make_fleet(rows: list[tuple[str, str, float, float]], *, names: bool = True
               ) -> gpd.GeoDataFrame:
    """Fleet points (fleet_id, segment, vehicles, daily_km), a distinct point each."""
    data = {
        "fleet_id": [r[0] for r in rows],
        "segment": [r[1] for r in rows],
        "vehicles": [r[2] for r in rows],
        "daily_km": [r[3] for r in rows],
    }
    if names:
        data["name"] = [f"depot {r[0]}" for r in rows]
    geom = [Point(113.37 + 0.01 * k, 31.69 + 0.005 * k) for k in range(len(rows))]
    return gpd.GeoDataFrame(data, geometry=geom, crs="EPSG:4326")


FLEET_ROWS = [
    ("S1", "sanitation", 40, 80.0),
    ("L1", "logistics", 25, 150.0),
    ("H1", "heavy", 10, 200.0),
    ("S2", "sanitation", 0, 60.0),      # no vehicles: must vanish
    ("L2", "logistics", 7, 90.0),
]


def expected_rows(fleet_rows, segments, years, weight: str) -> dict[str, dict]:
    """Independent, loop-by-loop evaluation of the module docstring's formula."""
    seg = {s["id"]: s for s in segments}
    out = {}
    for fid, sid, veh, km in fleet_rows:
        s = seg[sid]
        for y in years:
            for p in ("swap", "charging", "hydrogen"):
                nev = veh * s["nev_share"][y] * s["pathway_split"].get(p, 0.0)
                if nev <= 0:
                    continue
                per_km = s["h2_kg_per_km"] if p == "hydrogen" else s["kwh_per_km"]
                energy = nev * km * per_km
                lhv = H2_LHV if p == "hydrogen" else 1.0
                w = nev if weight == "vehicles" else energy * lhv
                out[f"{fid}:{p}:{y}"] = {
                    "fleet_id": fid, "segment": sid, "pathway": p, "year": y,
                    "vehicles": nev, "energy": energy, "weight": w,
                    "energy_unit": "kg" if p == "hydrogen" else "kWh",
                    "vehicle_class": s["vehicle_class"],
                    "threshold_s": s["threshold_min"] * 60.0,
                }
    return out


@pytest.mark.parametrize("weight", ["vehicles", "energy"])
def test_rows_match_hand_formula(weight: str) -> None:
    fleet = make_fleet(FLEET_ROWS)
    dem = build_demand(fleet, make_scenario(weight))
    want = expected_rows(FLEET_ROWS, SEGMENTS, [2024, 2025], weight)

    assert set(dem["demand_id"]) == set(want)
    assert len(dem) == len(want)
    for _, r in dem.iterrows():
        e = want[r["demand_id"]]
        for col in ("fleet_id", "segment", "pathway", "energy_unit", "vehicle_class"):
            assert r[col] == e[col], (r["demand_id"], col)
        assert int(r["year"]) == e["year"]
        for col in ("vehicles", "energy", "weight", "threshold_s"):
            assert math.isclose(float(r[col]), e[col], rel_tol=1e-12), (r["demand_id"], col)


def test_spot_values_by_hand() -> None:
    """A few entries written out as arithmetic, independent of any helper."""
    fleet = make_fleet(FLEET_ROWS)
    dv = build_demand(fleet, make_scenario("vehicles")).set_index("demand_id")
    de = build_demand(fleet, make_scenario("energy")).set_index("demand_id")
    # 40 sanitation vehicles, 40 % NEV in 2025, 20 % of them hydrogen, 80 km at 0.08 kg/km
    assert dv.loc["S1:hydrogen:2025", "vehicles"] == pytest.approx(3.2)
    assert dv.loc["S1:hydrogen:2025", "energy"] == pytest.approx(3.2 * 80 * 0.08)  # 20.48 kg
    assert dv.loc["S1:hydrogen:2025", "weight"] == pytest.approx(3.2)
    assert de.loc["S1:hydrogen:2025", "weight"] == pytest.approx(20.48 * 33.3)
    # 25 logistics vehicles, 50 % NEV in 2025, all charging, 150 km at 0.6 kWh/km = 1125 kWh
    assert de.loc["L1:charging:2025", "energy"] == pytest.approx(1125.0)
    assert de.loc["L1:charging:2025", "weight"] == pytest.approx(1125.0)
    assert de.loc["L1:charging:2025", "energy_unit"] == "kWh"
    assert de.loc["L1:charging:2025", "threshold_s"] == pytest.approx(600.0)


def test_zero_shares_and_zero_vehicles_dropped() -> None:
    dem = build_demand(make_fleet(FLEET_ROWS), make_scenario())
    ids = set(dem["demand_id"])
    # logistics has nev_share 0 in 2024 and swap split 0
    assert not any(i.startswith("L1:") and i.endswith(":2024") for i in ids)
    assert "L1:swap:2025" not in ids
    # heavy has no charging split at all
    assert not any(i.startswith("H1:charging") for i in ids)
    # the fleet point with 0 vehicles yields nothing
    assert not (dem["fleet_id"] == "S2").any()
    assert (dem["vehicles"] > 0).all()
    assert (dem["energy"] > 0).all()


def test_columns_crs_and_geometry_follow_fleet_point() -> None:
    fleet = make_fleet(FLEET_ROWS)
    dem = build_demand(fleet, make_scenario())
    for col in ("demand_id", "fleet_id", "name", "segment", "pathway", "vehicle_class", "year",
                "vehicles", "energy", "energy_unit", "weight", "threshold_s"):
        assert col in dem.columns, col
    assert dem.crs == fleet.crs
    by_id = dict(zip(fleet["fleet_id"], fleet.geometry))
    names = dict(zip(fleet["fleet_id"], fleet["name"]))
    for fid, geom, name in zip(dem["fleet_id"], dem.geometry, dem["name"]):
        assert geom.equals(by_id[fid])
        assert name == names[fid]
    assert set(dem["year"].unique()) <= {2024, 2025}
    assert np.issubdtype(dem["year"].dtype, np.integer)


def test_name_defaults_to_fleet_id() -> None:
    dem = build_demand(make_fleet(FLEET_ROWS, names=False), make_scenario())
    assert (dem["name"] == dem["fleet_id"]).all()


def test_ids_unique_and_stable_under_row_order() -> None:
    sc = make_scenario("energy")
    fleet = make_fleet(FLEET_ROWS)
    a = build_demand(fleet, sc)
    b = build_demand(fleet, sc)
    assert a["demand_id"].is_unique
    assert list(a["demand_id"]) == list(b["demand_id"])
    # shuffled input: same ids carry the same figures and the same point
    perm = [4, 2, 0, 3, 1]
    shuffled = fleet.iloc[perm].reset_index(drop=True)
    c = build_demand(shuffled, sc)
    assert set(c["demand_id"]) == set(a["demand_id"])
    ai = a.set_index("demand_id")
    ci = c.set_index("demand_id").loc[ai.index]
    np.testing.assert_allclose(ci["energy"].to_numpy(), ai["energy"].to_numpy())
    np.testing.assert_allclose(ci["weight"].to_numpy(), ai["weight"].to_numpy())
    assert all(g1.equals(g2) for g1, g2 in zip(ci.geometry, ai.geometry))


def test_unknown_segment_names_feature_id_and_suggestion() -> None:
    rows = [*FLEET_ROWS[:2], ("X9", "sanitaton", 5, 50.0), *FLEET_ROWS[2:]]
    fleet = make_fleet(rows)
    with pytest.raises(InputDataError) as ei:
        build_demand(fleet, make_scenario(), source="fleet.gpkg")
    msg = str(ei.value)
    assert "fleet.gpkg" in msg
    assert "feature 3" in msg            # 1-based feature number of the bad row
    assert "X9" in msg
    assert "sanitaton" in msg
    assert "did you mean 'sanitation'" in msg
    assert "\n" not in msg


def test_a_list_as_pathway_is_refused_in_one_line() -> None:
    """A GeoJSON attribute holding a list (hypothesis found ``[]``) stopped validate with an
    internal error (numpy's 'truth value of an empty array'); it is a bad pathway."""
    fleet = make_fleet(FLEET_ROWS)
    fleet["pathway"] = [None, [], None, None, None]
    with pytest.raises(InputDataError) as ei:
        build_demand(fleet, make_scenario(), source="fleet.geojson")
    assert str(ei.value) == ("fleet.geojson: feature 2 (fleet_id 'L1'): pathway '[]' is not "
                             "one of ['swap', 'charging', 'hydrogen']; leave it blank to use "
                             "the segment's pathway_split")


def test_no_positive_share_gives_empty_frame() -> None:
    segs = [dict(SEGMENTS[1], nev_share={2024: 0.0, 2025: 0.0})]
    sc = Scenario.model_validate({
        "name": "t", "years": [2024, 2025], "network": {"path": "/tmp/n.graphml"},
        "demand": {"path": "/tmp/f.gpkg"}, "candidates": {"path": "/tmp/c.gpkg"},
        "segments": segs, "station_types": STATION_TYPES, "budget": {"total": 1.0},
    })
    dem = build_demand(make_fleet([("L1", "logistics", 10, 50.0)]), sc)
    assert len(dem) == 0
    assert "demand_id" in dem.columns


def test_empty_fleet_gives_empty_frame_with_columns() -> None:
    dem = build_demand(make_fleet(FLEET_ROWS).iloc[:0], make_scenario())
    assert len(dem) == 0
    assert {"demand_id", "energy", "weight", "threshold_s"} <= set(dem.columns)
    assert dem.crs == "EPSG:4326"
