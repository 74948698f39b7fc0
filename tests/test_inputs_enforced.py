"""Every stated input does what the README says (issue 11 §2), end to end on the bundled data.

One run of a shrunken copy of the bundled scenario with the limits tightened until they bind:
hydrogen supply sites at 60 kg/day each, depot charging at 12 vehicles a day, one existing bus
depot with no spare capacity, corridor trucks that use energy, and one fleet point fixed to
hydrogen. The written outputs are re-read and each limit checked; validation cases run alone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest

from tests.helpers_cli import Case, error_line

SUPPLY_KG = 60.0
DEPOT_VEHICLES = 12.0


def _station_type_key(case: Case, type_id: str, key: str, value: str) -> None:
    """Set ``key = value`` in the [[station_types]] block of ``type_id`` (replaced if given)."""
    text = case.toml.read_text(encoding="utf-8")
    anchor = f'id = "{type_id}"\n'
    assert anchor in text, f"test set-up: no station type {type_id}"
    head, tail = text.split(anchor, 1)
    block, sep, rest = tail.partition("\n\n")
    block = re.sub(rf"(?m)^{key} = .*\n?", "", block).rstrip("\n")
    block = f"{key} = {value}\n" + block
    case.toml.write_text(head + anchor + block + sep + rest, encoding="utf-8")


def _logistics_swap(case: Case) -> None:
    """Give the (light) logistics vans a swap share: the bundled data has none."""
    text = case.toml.read_text(encoding="utf-8")
    text, n = re.subn(r'(?m)^(id = "logistics"\n(?:.*\n)*?)pathway_split = .*$',
                      r"\1pathway_split = { swap = 0.1, charging = 0.88, hydrogen = 0.02 }", text,
                      count=1)
    assert n == 1, "test set-up: no logistics pathway_split"
    case.toml.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> tuple[Case, dict]:
    case = Case(tmp_path_factory.mktemp("limits")).fast(time_limit_s=30, every=10)
    case.edit("h2_supply.geojson", lambda d: [f["properties"].__setitem__("kg_per_day", SUPPLY_KG)
                                              for f in d["features"]])
    _station_type_key(case, "depot_charging", "vehicles_per_day", str(DEPOT_VEHICLES))
    case.set_prop("existing.geojson", 1, "spare_capacity", 0.0)
    text = case.toml.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^segment = "[^"]*"\n', "", text)  # corridors only have this key
    text, n = re.subn(r'(?m)^(\[\[corridors\]\]\nid = "[^"]+")', r'\1\nsegment = "muck_truck"',
                      text)
    assert n >= 1
    case.toml.write_text(text, encoding="utf-8")
    fleet = case.layer("fleet.geojson")
    fixed = fleet["features"][0]["properties"]
    fixed["pathway"] = "hydrogen"
    case.save("fleet.geojson", fleet)
    res = case.run()
    assert res.exit_code == 0, res.output
    report = json.loads((case.out / "report.json").read_text(encoding="utf-8"))
    return case, {"report": report, "fixed": fixed["fleet_id"], "output": res.output}


@pytest.mark.slow
def test_hydrogen_drawn_per_supply_stays_within_kg_per_day(limited):
    _case, got = limited
    report = got["report"]
    supply = report["hydrogen_supply"]
    assert supply, "no supply figures in the report"
    for sid, s in supply.items():
        assert s["kg_per_day"] == SUPPLY_KG
        for year, used in s["used_kg_per_day"].items():
            assert used <= SUPPLY_KG + 1e-6, (sid, year, used)
        assert s["distance_basis"] in ("road", "road and straight line", "straight line")
    # delivered hydrogen served = what the supply sites deliver, per year
    st = gpd.read_file(_case_out(limited) / "results.gpkg", layer="station_years")
    for year in report["scenario"]["years"]:
        delivered = sum(s["used_kg_per_day"][str(year)] for s in supply.values())
        rows = st[(st["year"] == year) & st["station_type"].isin(["hydrogen", "integrated"])]
        assert float(rows["h2_kg_per_day"].sum()) == pytest.approx(delivered, abs=1e-3)
        assert delivered <= len(supply) * SUPPLY_KG + 1e-6


def _case_out(limited) -> Path:
    return limited[0].out


def test_no_station_exceeds_its_capacity_or_vehicle_limit_in_any_year(limited):
    out = _case_out(limited)
    st = gpd.read_file(out / "results.gpkg", layer="station_years")
    for col, cap in (("energy_kwh_per_day", "capacity_kwh_per_day"),
                     ("h2_kg_per_day", "capacity_h2_kg_per_day")):
        has = st[cap].notna()
        assert (st.loc[has, col] <= st.loc[has, cap] * (1 + 1e-6) + 1e-6).all()
    depots = st[st["station_type"] == "depot_charging"]
    assert len(depots)
    assert (depots["vehicles"] + depots["corridor_trucks"] <= DEPOT_VEHICLES + 1e-6).all()


def test_existing_station_without_spare_capacity_serves_no_one(limited):
    out = _case_out(limited)
    st = gpd.read_file(out / "results.gpkg", layer="station_years")
    e01 = st[st["site_id"] == "E01"]
    assert len(e01) == 3  # open every year
    assert (e01["vehicles"] == 0).all() and (e01["energy_kwh_per_day"] == 0).all()


def test_corridor_trucks_draw_energy_from_station_capacity(limited):
    report = limited[1]["report"]
    corridors = report["corridors"]
    assert all(c["energy_per_day"] > 0 for c in corridors)
    # the energy they take shows in the stations' final-year figures, and within capacity
    drawn = sum(s["corridor_trucks"] for s in report["station_years"])
    covered = sum((c["trucks_covered"] or 0.0) for c in corridors)
    assert drawn == pytest.approx(covered, rel=1e-4, abs=1e-4)
    assert report["objective_parts"]["corridor_trucks"] == pytest.approx(covered, rel=1e-6)


def test_fleet_point_with_a_fixed_pathway_uses_only_that_pathway(limited):
    out = _case_out(limited)
    dem = gpd.read_file(out / "results.gpkg", layer="demand")
    mine = dem[dem["fleet_id"] == limited[1]["fixed"]]
    assert len(mine) and set(mine["pathway"]) == {"hydrogen"}


def test_rule_outcome_says_how_supply_distance_was_measured(limited):
    out = _case_out(limited)
    cand = gpd.read_file(out / "results.gpkg", layer="candidates")
    text = " ".join(cand["rule_outcome"].astype(str))
    assert "道路距离" in text  # "by road", in the run's language (the bundled scenario: zh)


# --------------------------------------------------------------------------- validation
def test_light_demand_needs_a_type_for_light_vehicles(tmp_path):
    case = Case(tmp_path)
    _logistics_swap(case)
    for t in ("swap_heavy", "integrated"):
        _station_type_key(case, t, "vehicle_classes", '["heavy"]')
    line = error_line(case.validate())
    assert "no station type serves swap for light vehicles" in line


@pytest.mark.slow
def test_heavy_only_swap_serves_no_van(tmp_path):
    case = Case(tmp_path).fast(time_limit_s=30)
    _logistics_swap(case)
    _station_type_key(case, "swap_heavy", "vehicle_classes", '["heavy"]')
    res = case.run()
    assert res.exit_code == 0, res.output
    dem = gpd.read_file(case.out / "results.gpkg", layer="demand")
    st = json.loads((case.out / "stations.geojson").read_text(encoding="utf-8"))
    heavy_swap = {f["properties"]["site_id"] for f in st["features"]
                  if f["properties"]["station_type"] == "swap_heavy"}
    vans = dem[(dem["vehicle_class"] == "light") & (dem["pathway"] == "swap")]
    assert len(vans) and heavy_swap
    assert not set(vans["served_by"]) & heavy_swap


@pytest.mark.slow
def test_bad_fixed_pathway_names_the_feature(tmp_path):
    case = Case(tmp_path)
    case.set_prop("fleet.geojson", 3, "pathway", "diesel")
    line = error_line(case.validate())
    assert "feature 3" in line and "pathway 'diesel'" in line


@pytest.mark.slow
def test_corridor_ends_on_one_node_is_an_error(tmp_path):
    case = Case(tmp_path)
    text = case.toml.read_text(encoding="utf-8")
    origin = re.search(r"(?m)^origin = (\[.*\])$", text).group(1)
    lon, lat = json.loads(origin)
    text = re.sub(r"(?m)^destination = \[.*\]$", f"destination = [{lon + 1e-5}, {lat}]", text,
                  count=1)
    case.toml.write_text(text, encoding="utf-8")
    line = error_line(case.validate())
    assert "same road node" in line


@pytest.mark.slow
def test_corridor_next_to_a_fleet_point_of_its_segment_warns(tmp_path, caplog):
    case = Case(tmp_path)
    fleet = case.layer("fleet.geojson")
    muck = next(f for f in fleet["features"] if f["properties"]["segment"] == "muck_truck")
    lon, lat = muck["geometry"]["coordinates"]
    text = case.toml.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^origin = \[.*\]$", f"origin = [{lon}, {lat}]", text, count=1)
    text = re.sub(r'(?m)^(\[\[corridors\]\]\nid = "[^"]+")', r'\1\nsegment = "muck_truck"', text,
                  count=1)
    case.toml.write_text(text, encoding="utf-8")
    res = case.validate()
    assert res.exit_code == 0, res.output
    assert any("counted twice" in r.getMessage() and "'MUK" in r.getMessage()
               for r in caplog.records)


@pytest.mark.slow
def test_uncapacitated_run_says_which_limits_it_ignores(tmp_path, caplog):
    case = Case(tmp_path)
    case.sub("capacitated = true", "capacitated = false")
    res = case.validate()
    assert res.exit_code == 0, res.output
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "hydrogen supply sites' kg_per_day" in text and "not enforced" in text
