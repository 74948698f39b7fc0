"""One test per row of docs/errors.md: the real CLI on a copy of data/suizhou broken one way.

Each test copies the bundled scenario into ``tmp_path``, breaks exactly one thing, runs
``siting run`` (or ``siting validate``) through typer's CliRunner and checks what a user
sees: the exit code, ONE line ``error: <file>: <row/field>: <problem>; <fix>``, no traceback,
and no output folder (nor a hidden temporary one) left behind.

Runs that must solve use a shrunken fleet layer and a short solver time limit.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from siting import _checks
from siting.crs import wgs84_to_gcj02
from tests.helpers_cli import (  # noqa: F401 - re-exported for older imports
    _NOISE,
    DATA,
    Case,
    assert_no_output,
    error_line,
    invoke,
    run_error,
)
from tests.helpers_net import grid_edges, grid_offsets, make_net, to_lonlat


# =========================================================================== the scenario file
def test_missing_scenario_file(tmp_path):
    missing = tmp_path / "nowhere" / "scenario.toml"
    line = error_line(invoke("run", str(missing), "--out", str(tmp_path / "o"), "-q"))
    assert str(missing) in line and "not found" in line
    assert not (tmp_path / "o").exists()
    line = error_line(invoke("validate", str(missing)))
    assert str(missing) in line


def test_toml_syntax_error(case):
    lineno = case.line_of('weight = "vehicles"')
    case.sub('weight = "vehicles"', 'weight = "vehicles')
    run_error(case, "scenario.toml", "not valid TOML", f"line {lineno}")


def test_unknown_key(case):
    case.sub("time_limit_s = ", "time_limt_s = ")
    run_error(case, "scenario.toml", "field 'solver.time_limt_s'", "unknown key")


def test_missing_required_field(case):
    text = case.toml.read_text(encoding="utf-8")
    case.toml.write_text(re.sub(r'(?m)^name = ".*"\n', "", text, count=1), encoding="utf-8")
    run_error(case, "scenario.toml", "field 'name'", "missing")


def test_non_numeric_budget(case):
    case.sub("total = 60000000.0", 'total = "60 million"')
    run_error(case, "scenario.toml", "field 'budget.total'", "'60 million'", "number")


def test_negative_budget(case):
    case.sub("total = 60000000.0", "total = -5.0")
    run_error(case, "scenario.toml", "field 'budget.total'", "-5")


@pytest.mark.slow
def test_unknown_station_type_in_allowed_types(case):
    case.set_prop("candidates.geojson", 3, "allowed_types", "swap_heavy;hydrogn")
    run_error(case, "candidates.geojson", "'C003'", "'hydrogn'", "did you mean 'hydrogen'",
              pattern=r"(row|feature) 3\b")


def test_unknown_station_type_in_zone_requirement(case):
    case.sub('zone = "hedian"\npathway = "hydrogen"', 'zone = "hedian"\nstation_type = "hydrogn"')
    line = run_error(case, "scenario.toml", "zone_requirements", "'hydrogn'",
                     "did you mean 'hydrogen'")
    assert "Value error" not in line  # pydantic's prefix is noise to a user


def test_unknown_zone_in_requirement(case):
    case.sub('zone = "hedian"', 'zone = "hedain"')
    run_error(case, "scenario.toml", "'hedain'", "zones.geojson", "did you mean 'hedian'")


def test_unknown_segment_in_fleet(case):
    case.set_prop("fleet.geojson", 2, "segment", "sanitaton")
    run_error(case, "fleet.geojson", "'SAN002'", "'sanitaton'", "did you mean 'sanitation'",
              pattern=r"(row|feature) 2\b")


# =========================================================================== layer files
def test_missing_layer_file(case):
    case.sub('path = "fleet.geojson"', 'path = "fleet_2024.geojson"')
    run_error(case, "field 'demand.path'", "fleet_2024.geojson", "not found")


def test_wrong_format(case):
    (case.dir / "fleet.geojson").write_text("depot list\nSAN001 20 vehicles\n", encoding="utf-8")
    line = run_error(case, "fleet.geojson", "cannot read")
    assert "<DRIVER>" not in line  # GDAL's advice about driver prefixes confuses users


def test_binary_garbage_layer(case):
    (case.dir / "candidates.geojson").write_bytes(bytes(range(256)) * 4)
    run_error(case, "candidates.geojson", "cannot read")


def test_empty_layer(case):
    case.save("fleet.geojson", {"type": "FeatureCollection", "features": []})
    run_error(case, "fleet.geojson", "no features")


def test_misspelt_column_suggests(case):
    def rename(doc):
        for f in doc["features"]:
            f["properties"]["vehicle"] = f["properties"].pop("vehicles")
    case.edit("fleet.geojson", rename)
    run_error(case, "fleet.geojson", "no column 'vehicles'", "did you mean 'vehicle'")


@pytest.mark.parametrize(("value", "pattern"), [
    ("twenty", r"'twenty', not a number; give a number"),
    ("12 辆", r"'12 辆', not a number"),
    (-5, r"negative \(-5\); give a value >= 0"),
    (None, r"empty \(NaN\); fill it in"),
    (float("nan"), r"empty \(NaN\); fill it in"),        # json writes a bare NaN
    ("NaN", r"(empty \(NaN\)|'NaN', not a number)"),
    (float("inf"), r"is inf; give a finite number"),
])
def test_bad_vehicles(case, value, pattern):
    case.set_prop("fleet.geojson", 4, "vehicles", value)
    run_error(case, "fleet.geojson", "feature 4 (fleet_id 'SAN004')", "'vehicles'", pattern=pattern)


@pytest.mark.slow
@pytest.mark.parametrize(("col", "value"), [("vehicles", 1e300), ("daily_km", 25_000)])
def test_implausible_fleet_magnitudes(case, col, value):
    case.set_prop("fleet.geojson", 3, col, value)
    run_error(case, "fleet.geojson", "'SAN003'", col, "check the units",
              pattern=r"(row|feature) 3\b")


@pytest.mark.parametrize(("value", "shown"), [("cheap", "'cheap'"), (-1, "-1")])
def test_bad_capex_factor(case, value, shown):
    case.set_prop("candidates.geojson", 7, "capex_factor", value)
    run_error(case, "candidates.geojson", "'C007'", f"capex_factor is {shown}", "number >= 0",
              pattern=r"(row|feature) 7\b")


@pytest.mark.parametrize(("old", "new", "field"), [
    ("threads = 2", "threads = 100000", "solver.threads"),         # HiGHS aborted the process
    ("kwh_per_km = 1.3", "kwh_per_km = 1300", "segments.0.kwh_per_km"),       # Wh, not kWh
    ("trucks_per_day = 6.0", "trucks_per_day = 1e300", "corridors.0.trucks_per_day"),
])
def test_absurd_scenario_numbers(case, old, new, field):
    case.sub(old, new)
    run_error(case, "scenario.toml", f"field '{field}'", "less than or equal")


@pytest.mark.parametrize(("new", "expected"), [
    ("origin = [1130.398, 31.597]", "field 'corridors.1.origin.0'"),     # a slipped digit
    ("origin = [31.597, 113.398]", "field 'corridors.1.origin.1'"),      # lat/lon swapped
    ("origin = [103.398, 31.597]", "corridor 'hedian_urban': origin"),   # far off the network
])
def test_corridor_end_off_the_map(case, new, expected):
    case.sub("origin = [113.398, 31.597]", new)
    run_error(case, "scenario.toml", expected)


def test_empty_geometry(case):
    case.edit("fleet.geojson", lambda d: d["features"][4].__setitem__("geometry", None))
    run_error(case, "fleet.geojson", "feature 5 (fleet_id 'SAN005')", "empty geometry")


def test_wrong_geometry_type(case):
    case.edit("fleet.geojson", lambda d: d["features"][4].__setitem__(
        "geometry", {"type": "LineString", "coordinates": [[113.37, 31.7], [113.38, 31.7]]}))
    run_error(case, "fleet.geojson", "feature 5 (fleet_id 'SAN005')", "LineString", "point")


def test_missing_crs(case):
    fleet = gpd.read_file(case.dir / "fleet.geojson").to_crs("EPSG:4547")
    fleet.to_file(case.dir / "fleet.shp", encoding="utf-8")
    (case.dir / "fleet.prj").unlink()
    case.sub('path = "fleet.geojson"', 'path = "fleet.shp"')
    run_error(case, "fleet.shp", "no CRS", 'crs = "EPSG:4326"')


def test_metres_labelled_as_degrees(case):
    fleet = gpd.read_file(case.dir / "fleet.geojson").to_crs("EPSG:4547")
    fleet = fleet.set_crs("EPSG:4326", allow_override=True)
    fleet.to_file(case.dir / "fleet.gpkg")
    case.sub('path = "fleet.geojson"', 'path = "fleet.gpkg"')
    run_error(case, "fleet.gpkg", "feature 1 (fleet_id 'SAN001')", "metres", "EPSG:4547")


@pytest.mark.slow
def test_coordinates_outside_china(case, caplog):
    """Outside China is a warning; the point is then refused for being far from every road."""
    case.edit("fleet.geojson", lambda d: d["features"][4]["geometry"].__setitem__(
        "coordinates", [13.4, 31.7]))
    with caplog.at_level(logging.WARNING):
        run_error(case, "fleet.geojson", "feature 5 (fleet_id 'SAN005')", "from the nearest road")
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("fleet.geojson: feature 5 (fleet_id 'SAN005')" in w and "outside China" in w
               for w in warned), warned


def test_lon_lat_swapped(case):
    def swap(doc):
        for f in doc["features"]:
            f["geometry"]["coordinates"] = f["geometry"]["coordinates"][::-1]
    case.edit("candidates.geojson", swap)
    run_error(case, "candidates.geojson", "feature 1 (site_id 'C001')", "swapped")


def test_duplicate_ids(case):
    case.set_prop("fleet.geojson", 6, "fleet_id", "SAN001")
    run_error(case, "fleet.geojson", "feature 6 (fleet_id 'SAN001')", "duplicate fleet_id",
              "also feature 1")


def test_point_too_far_from_network(case):
    case.edit("fleet.geojson", lambda d: d["features"][4]["geometry"].__setitem__(
        "coordinates", [113.0, 31.3]))
    run_error(case, "fleet.geojson", "'SAN005'", "from the nearest road", "max_snap_m")


@pytest.mark.slow
def test_point_too_far_names_file_row(case):
    case.edit("fleet.geojson", lambda d: d["features"][4]["geometry"].__setitem__(
        "coordinates", [113.0, 31.3]))
    run_error(case, "fleet.geojson", pattern=r"feature 5 \(fleet_id 'SAN005'\)")


def _island(case: Case) -> str:
    """A road 15 km north of the network, joined to nothing; fleet point 5 beside it.

    Returns that point's fleet_id.
    """
    case.edit("roads.geojson", lambda d: d["features"].append({
        "type": "Feature", "properties": {"highway": "residential", "name": "孤岛路"},
        "geometry": {"type": "LineString",
                     "coordinates": [[113.30, 31.86], [113.305, 31.86], [113.31, 31.86]]}}))
    case.edit("fleet.geojson", lambda d: d["features"][4]["geometry"].__setitem__(
        "coordinates", [113.3051, 31.8604]))
    return case.layer("fleet.geojson")["features"][4]["properties"]["fleet_id"]


@pytest.mark.slow
def test_demand_on_island(case):
    case.fast()
    fid = _island(case)
    run_error(case, "fleet.geojson", f"feature 5 (fleet_id '{fid}')", "no road connects")


def test_path_escaping_scenario_folder(case):
    shutil.copy(case.dir / "fleet.geojson", case.dir.parent / "fleet_outside.geojson")
    case.sub('path = "fleet.geojson"', 'path = "../fleet_outside.geojson"')
    run_error(case, "scenario.toml", "field 'demand.path'", "leaves the scenario folder",
              "allow_outside_paths")


@pytest.mark.slow
def test_path_outside_allowed_when_asked(case):
    shutil.copy(case.dir / "fleet.geojson", case.dir.parent / "fleet_outside.geojson")
    case.sub('path = "fleet.geojson"', 'path = "../fleet_outside.geojson"')
    case.sub('output_crs = "EPSG:4326"', 'output_crs = "EPSG:4326"\nallow_outside_paths = true')
    res = case.validate()
    assert res.exit_code == 0, res.output


def test_output_folder_not_a_run(case):
    case.out.mkdir()
    (case.out / "thesis.docx").write_bytes(b"precious")
    line = error_line(case.fast().run())
    assert str(case.out) in line and "not a siting run" in line
    assert (case.out / "thesis.docx").read_bytes() == b"precious"


# =========================================================================== repaired / warned
@pytest.mark.slow
def test_self_intersecting_zone_is_repaired_with_warning(case, caplog):
    def bowtie(doc):
        f = next(f for f in doc["features"] if f["properties"]["zone_id"] == "hedian")
        ring = f["geometry"]["coordinates"][0]          # a rectangle: swap two corners
        ring[1], ring[2] = ring[2], ring[1]
        f["geometry"]["coordinates"][0] = ring
    doc = case.edit("zones.geojson", bowtie)
    row = next(i for i, f in enumerate(doc["features"]) if f["properties"]["zone_id"] == "hedian")
    assert not shapely.geometry.shape(doc["features"][row]["geometry"]).is_valid
    case.fast()
    with caplog.at_level(logging.WARNING):
        res = case.run()
    assert res.exit_code == 0, res.output
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
              and "zones.geojson" in r.getMessage()]
    assert warned and "repaired" in warned[0] and f"feature {row + 1}" in warned[0]
    # the hydrogen requirement in the (repaired) hedian zone is still met
    report = json.loads((case.out / "report.json").read_text(encoding="utf-8"))
    assert report["by_zone"]["hedian"]["by_type"].keys() & {"hydrogen", "hydrogen_onsite",
                                                            "integrated"}


def test_zone_id_of_the_outside_bucket_is_refused(case):
    """The report keys the stations outside every zone as "(outside zones)": a zone with
    that id would have its figures merged with theirs."""
    case.set_prop("zones.geojson", 3, "zone_id", "(outside zones)")
    line = error_line(case.validate())
    assert "zones.geojson: feature 3 (zone_id '(outside zones)'): this id is kept" in line
    assert "give the zone another id" in line


def test_demand_beside_a_stray_road_is_snapped_to_the_connected_network(case, caplog):
    """A short road joined to nothing, 15 m from fleet point 5: the point's nearest road. No
    site is on it, so the point goes to the nearest road that reaches the candidates."""
    fleet = case.layer("fleet.geojson")
    lon, lat = fleet["features"][4]["geometry"]["coordinates"]
    fid = fleet["features"][4]["properties"]["fleet_id"]
    case.edit("roads.geojson", lambda d: d["features"].append({
        "type": "Feature", "properties": {"highway": "residential", "name": "场内道路"},
        "geometry": {"type": "LineString",
                     "coordinates": [[lon - 0.0001, lat + 0.000135],
                                     [lon + 0.0001, lat + 0.000135]]}}))
    with caplog.at_level(logging.WARNING):
        res = case.validate()
    assert res.exit_code == 0, res.output
    warned = [r.getMessage() for r in caplog.records if "snapped to the nearest road that "
              "does connect" in r.getMessage()]
    assert len(warned) == 1, res.output
    assert warned[0].startswith(f"{case.dir / 'fleet.geojson'}: feature 5 (fleet_id '{fid}'): ")
    assert "other fleet feature" not in warned[0] and "\n" not in warned[0]
    # the new leg (to the bundled network's node 40 m away) is longer than the stray one
    new, old = map(float, re.search(r"\((\d+) m away instead of (\d+) m", warned[0]).groups())
    assert 30 < new < 50 and 10 < old < 25


def _gcj_shift(doc: dict) -> None:
    for f in doc["features"]:
        lon, lat = f["geometry"]["coordinates"]
        glon, glat = wgs84_to_gcj02(lon, lat)
        f["geometry"]["coordinates"] = [float(glon), float(glat)]


def test_gcj_offset_suspect_on_bundled_layers():
    """The heuristic itself: silent on the bundled WGS84 layers, loud once they are shifted."""
    from siting.network import load_network
    from siting.scenario import load_scenario

    net = load_network(load_scenario(DATA / "scenario.toml").network)
    for name in ("fleet.geojson", "candidates.geojson"):
        g = gpd.read_file(DATA / name)
        pts = np.column_stack([g.geometry.x, g.geometry.y])
        assert _checks.gcj_offset_suspect(pts, net, layer=name) is None
        glon, glat = wgs84_to_gcj02(pts[:, 0], pts[:, 1])
        msg = _checks.gcj_offset_suspect(np.column_stack([glon, glat]), net, layer=name)
        assert msg is not None and msg.startswith(name) and 'coords = "gcj02"' in msg


@pytest.mark.slow
def test_gcj02_data_not_flagged_warns(case, caplog):
    case.edit("fleet.geojson", _gcj_shift)
    case.edit("candidates.geojson", _gcj_shift)
    with caplog.at_level(logging.WARNING):
        res = case.validate()
    assert res.exit_code == 0, res.output
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "fleet.geojson" in warned and 'coords = "gcj02"' in warned


@pytest.mark.slow
def test_gcj02_data_flagged_is_silent(case, caplog):
    case.edit("fleet.geojson", _gcj_shift)
    case.sub('path = "fleet.geojson"', 'path = "fleet.geojson"\ncoords = "gcj02"')
    with caplog.at_level(logging.WARNING):
        res = case.validate()
    assert res.exit_code == 0, res.output
    assert not [r for r in caplog.records if "gcj02" in r.getMessage()]


# =========================================================================== infeasible / solver
@pytest.mark.slow
def test_zone_requirement_cannot_be_met(case):
    case.sub('zone = "hedian"\npathway = "hydrogen"\nmin = 1',
             'zone = "hedian"\npathway = "hydrogen"\nmin = 12')
    line = run_error(case, "hedian", "12", "eligible site", code=3)
    assert "lower the minimum" in line or "relax" in line


@pytest.mark.slow
def test_zone_requirement_over_budget(case):
    case.sub('zone = "hedian"\npathway = "hydrogen"\nmin = 1',
             'zone = "hedian"\npathway = "hydrogen"\nmin = 5')
    run_error(case, "hedian", "budget", code=3)


@pytest.mark.slow
def test_zone_requirements_conflict_found_by_solver(case):
    """Two requirements on the zone's only site: the pre-check cannot see it, the solver does."""
    case.fast()
    case.sub("[[zone_requirements]]", '[[zone_requirements]]\nzone = "xihe_service"\n'
             'station_type = "swap_heavy"\n\n[[zone_requirements]]\nzone = "xihe_service"\n'
             'pathway = "charging"\n\n[[zone_requirements]]')
    run_error(case, "xihe_service", "charging", "one-station-per-site", code=3)


@pytest.mark.slow
def test_infeasible_message_names_scenario_file(case):
    case.sub('zone = "hedian"\npathway = "hydrogen"\nmin = 1',
             'zone = "hedian"\npathway = "hydrogen"\nmin = 12')
    run_error(case, "scenario.toml", code=3)


@pytest.mark.slow
def test_time_limit_keeps_best_plan(case):
    """Full bundled fleet, 1 s: HiGHS stops early; the plan is written, status time_limit."""
    case.time_limit(1.0)
    res = case.run()
    assert res.exit_code == 0, res.output
    report = json.loads((case.out / "report.json").read_text(encoding="utf-8"))
    s = report["solver"]
    if s["status"] == "optimal":  # the model got fast enough to prove optimality in 1 s
        pytest.skip("bundled model solved to optimality within 1 s; no time limit to hit")
    assert s["status"] == "time_limit"
    assert s["gap"] is not None and s["gap"] > 0
    assert report["objective"] > 0 and report["spent"] <= report["budget"] + 1e-6
    stations = json.loads((case.out / "stations.geojson").read_text(encoding="utf-8"))
    assert len(stations["features"]) > 0


@pytest.mark.slow
def test_highs_missing_falls_back_to_cbc(case, monkeypatch, caplog):
    import sys

    import pulp

    monkeypatch.setitem(sys.modules, "highspy", None)  # `import highspy` raises ImportError
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    case.fast()
    with caplog.at_level(logging.WARNING):
        res = case.run()
    assert res.exit_code == 0, res.output
    report = json.loads((case.out / "report.json").read_text(encoding="utf-8"))
    assert report["solver"]["name"] == "cbc"
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "HiGHS" in warned and "CBC" in warned


def test_unknown_solver_name(case):
    case.sub('name = "highs"', 'name = "gurobi"')
    run_error(case, "field 'solver.name'", "'gurobi'")


# =========================================================================== the CLI's printing
def test_brackets_in_messages_survive(case):
    case.save("fleet.geojson", {"type": "FeatureCollection", "features": []})
    run_error(case, "fleet.geojson", "[demand]")


# =========================================================================== checks, stage by stage
# The checks of siting/_checks.py and siting/_resources.py (called by pipeline.prepare), tested
# directly on the bundled data and on hand-made networks.


def _prepare(case: Case):
    """Coverage and snapped nodes computed stage by stage (as pipeline.prepare does, but
    without the checks prepare may run itself)."""
    from types import SimpleNamespace

    from siting.candidates import build_options
    from siting.coverage import demand_site_times, option_coverage, site_reach
    from siting.crs import point_xy as _xy
    from siting.demand import build_demand
    from siting.network import load_network
    from siting.pipeline import read_inputs
    from siting.scenario import load_scenario

    sc = load_scenario(case.toml)
    inputs = read_inputs(sc)
    net = load_network(sc.network)
    demand = build_demand(inputs.fleet, sc)
    sites, options = build_options(inputs.candidates, inputs.existing, sc, inputs.rules,
                                   net.crs)
    node, snap = net.snap(*_xy(demand, net.crs).T)
    cutoffs = demand.groupby("vehicle_class")["threshold_s"].max().to_dict()
    reach = site_reach(net, _xy(sites, net.crs), cutoffs, sc.network.speed_table(),
                       access_speed_kph=sc.network.access_speed_kph)
    times = demand_site_times(reach, node, snap, demand["vehicle_class"].to_numpy(),
                              demand["threshold_s"].to_numpy(dtype=float))
    cover = option_coverage(times, demand["pathway"].to_numpy(), options)
    return SimpleNamespace(net=net, demand=demand, reach=reach, cover=cover), node


@pytest.mark.slow
def test_check_reachable_on_bundled_island(case):
    import scipy.sparse as sp

    from siting._errors import NetworkError
    from siting.layers import read_layer

    _island(case)
    prep, node = _prepare(case)
    fleet = read_layer(case.dir / "fleet.geojson", what="demand", required={}, geom="point")
    with pytest.raises(NetworkError) as e:
        _checks.check_reachable(prep.cover, prep.net, node, prep.reach.site_node,
                                demand_ids=prep.demand["fleet_id"], fleet_ids=fleet["fleet_id"],
                                source=str(case.dir / "fleet.geojson"))
    msg = str(e.value)
    assert "\n" not in msg and "fleet.geojson: feature 5 (fleet_id 'SAN005')" in msg
    assert "(1 fleet feature(s) affected)" in msg and "3 node(s)" in msg
    # the untouched bundled data pass
    ok = Case(case.dir.parent / "ok")
    prep, node = _prepare(ok)
    _checks.check_reachable(prep.cover, prep.net, node, prep.reach.site_node,
                            demand_ids=prep.demand["fleet_id"], source="fleet")
    # ... but not when nothing is within any threshold
    empty = sp.csr_matrix(prep.cover.shape)
    with pytest.raises(NetworkError, match=r"^fleet: none of the \d+ demand points can reach"):
        _checks.check_reachable(empty, prep.net, node, prep.reach.site_node,
                                demand_ids=prep.demand["fleet_id"], source="fleet")


def test_check_reachable_hand_made():
    """Two separate roads; sites only on the first. Demand on the second is stranded."""
    import scipy.sparse as sp

    from siting._errors import NetworkError

    net = make_net([(0, 0), (100, 0), (200, 0), (0, 5000), (100, 5000)],
                   [(0, 1, "primary", False), (1, 2, "primary", False),
                    (3, 4, "residential", False)])
    cover = sp.csr_matrix(np.array([[1.0], [0.0], [0.0]]))
    # demand 0 at node 2 (with the site), demands 1-2 at nodes 4 and 3 (the island)
    with pytest.raises(NetworkError) as e:
        _checks.check_reachable(cover, net, [2, 4, 3], [0], demand_ids=["a", "b", "c"],
                                fleet_ids=["a", "b", "c"], source="f.gpkg")
    assert str(e.value).startswith("f.gpkg: feature 2 (fleet_id 'b'): ")
    assert "(2 node(s))" in str(e.value) and "(2 fleet feature(s) affected)" in str(e.value)
    # without fleet ids the id alone is named
    with pytest.raises(NetworkError, match=r"^f.gpkg: fleet_id 'b': "):
        _checks.check_reachable(cover, net, [2, 4, 3], [0], demand_ids=["a", "b", "c"],
                                source="f.gpkg")
    # a site on the island too: everything connected, and demand 0 is covered
    _checks.check_reachable(cover, net, [2, 4, 3], [0, 3], demand_ids=["a", "b", "c"],
                            source="f.gpkg")
    # no demand: nothing to check
    _checks.check_reachable(sp.csr_matrix((0, 1)), net, [], [0], demand_ids=[], source="f")


def test_gcj_offset_suspect_sparse_network():
    """Roads 1 km apart: points 20 m off the roads, then GCJ-shifted, are spotted; others not."""
    n = 9
    net = make_net(grid_offsets(n, n, 1000.0), grid_edges(n, n))
    rng = np.random.default_rng(7)
    # points 20 m north of the horizontal roads, spread along them
    dx = rng.uniform(500, 7500, 60)
    dy = rng.integers(1, n - 2, 60) * 1000.0 + 20.0
    lon, lat = to_lonlat(dx, dy)
    truth = np.column_stack([lon, lat])
    assert _checks.gcj_offset_suspect(truth, net) is None
    glon, glat = wgs84_to_gcj02(lon, lat)
    msg = _checks.gcj_offset_suspect(np.column_stack([glon, glat]), net, layer="depots.csv")
    assert msg is not None and msg.startswith("depots.csv: ") and 'coords = "gcj02"' in msg
    m = re.search(r"lie (\d+) m \(median\).* but (\d+) m once", msg)
    assert m and int(m.group(1)) > 150 and int(m.group(2)) <= 25
    # points scattered with no relation to the roads are not flagged (several seeds)
    for seed in range(5):
        r = np.random.default_rng(seed)
        lon, lat = to_lonlat(r.uniform(0, 8000, 80), r.uniform(0, 8000, 80))
        assert _checks.gcj_offset_suspect(np.column_stack([lon, lat]), net) is None, seed
    # too few points: no judgement
    assert _checks.gcj_offset_suspect(np.column_stack([glon, glat])[:4], net) is None


@pytest.mark.slow
def test_warn_gcj_suspects_skips_flagged_layers(case, caplog):
    from siting.network import load_network
    from siting.pipeline import read_inputs
    from siting.scenario import load_scenario

    case.edit("fleet.geojson", _gcj_shift)
    case.edit("candidates.geojson", _gcj_shift)
    sc = load_scenario(case.toml)
    inputs = read_inputs(sc)
    net = load_network(sc.network)
    with caplog.at_level(logging.WARNING, logger="siting._checks"):
        got = _checks.warn_gcj_suspects(sc, net, demand=inputs.fleet,
                                        candidates=inputs.candidates, existing=None)
    assert len(got) == 2 and "fleet.geojson (section demand)" in got[0]
    assert "candidates.geojson (section candidates)" in got[1]
    assert [r.getMessage() for r in caplog.records] == got
    case.sub('path = "fleet.geojson"', 'path = "fleet.geojson"\ncoords = "gcj02"')
    sc = load_scenario(case.toml)
    inputs = read_inputs(sc)  # now shifted back to WGS84 on reading
    assert _checks.warn_gcj_suspects(sc, net, demand=inputs.fleet) == []


# --------------------------------------------------------------------------- memory
def test_estimate_run_bytes_grows_with_inputs():
    from siting import _resources as R

    base = R.estimate_run_bytes(0, 0, 0.0, 0, 0)
    assert base == int(R.BASE_BYTES)
    small = R.estimate_run_bytes(2919, 196, 0.16, 2861, 9610)
    # the bundled run measured ~0.6 GB peak: the estimate is of that order, on the high side
    assert 0.5e9 < small < 1.5e9
    pairs = 100_000 * 2_000 * 0.3
    big = R.estimate_run_bytes(100_000, 2_000, 0.3, 500_000, 1_200_000)
    assert big > R.BYTES_PER_PAIR * pairs          # dominated by the allocation columns
    assert R.estimate_run_bytes(10, 10, 5.0, 0, 0) == R.estimate_run_bytes(10, 10, 1.0, 0, 0)
    # the settings that shrink the model shrink the estimate, below what the pairs would need
    uncap = R.estimate_run_bytes(100_000, 2_000, 0.3, 500_000, 1_200_000, capacitated=False)
    nearest = R.estimate_run_bytes(100_000, 2_000, 0.3, 500_000, 1_200_000,
                                   max_alloc_options=10)
    assert uncap < R.BYTES_PER_PAIR * pairs and nearest < R.BYTES_PER_PAIR * pairs
    assert nearest < big and uncap < big
    # the synthetic city of benchmarks/README.md: 3.7 GB measured uncapacitated, 19.3 GB
    # capacitated (one allocation column per pair); the estimates are on the high side
    city = dict(n_demand=100_074, n_options=4_299, density=15.5e6 / (100_074 * 4_299),
                n_nodes=200_236, n_edges=800_000, n_sites=2_000)
    assert 3.7e9 < R.estimate_run_bytes(**city, capacitated=False) < 2 * 3.7e9
    assert 19.3e9 < R.estimate_run_bytes(**city) < 2 * 19.3e9


def test_check_fits_reports_gb(monkeypatch):
    from siting import _errors
    from siting import _resources as R

    monkeypatch.setattr(R, "available_bytes", lambda: int(2e9))
    R.check_fits(1.5e9, "ok")                       # 1.5 GB of 2 GB (80 % usable = 1.6)
    with pytest.raises(_errors.ResourceError) as e:
        R.check_fits(R.estimate_run_bytes(100_000, 2_000, 0.3, 500_000, 1_200_000),
                     "x/scenario.toml: the MIP")
    msg = str(e.value)
    assert isinstance(e.value, MemoryError) and e.value.exit_code == 2
    assert msg.startswith("x/scenario.toml: the MIP: needs about ") and "\n" not in msg
    need = float(re.search(r"needs about ([\d.]+) GB", msg).group(1))
    assert need == pytest.approx(R.estimate_run_bytes(100_000, 2_000, 0.3, 500_000,
                                                      1_200_000) / 1e9, abs=0.05)
    assert "only 2.0 GB is available" in msg


def test_check_file_size(tmp_path, monkeypatch):
    from siting import _errors
    from siting import _resources as R

    big = tmp_path / "china-latest.osm.pbf"
    with open(big, "wb") as f:                      # a sparse 1.2 GB file: no disk used
        f.truncate(1_200_000_000)
    assert R.file_bytes_in_memory(big) == 1_200_000_000 * R.FILE_FACTORS[".osm.pbf"]
    monkeypatch.setattr(R, "available_bytes", lambda: int(16e9))
    with pytest.raises(_errors.ResourceError) as e:
        R.check_file_size(big, "network.path", network=True)
    msg = str(e.value)
    assert msg.startswith(f"{big} (field 'network.path', 1,200 MB on disk, about 240.0 GB")
    assert "16.0 GB is available" in msg
    small = tmp_path / "roads.geojson"
    small.write_text("{}" * 1000)
    R.check_file_size(small, "network.path", network=True)
    assert R.file_bytes_in_memory(small, network=True) == 2000 * 10 * R.NETWORK_LINE_FACTOR
    R.check_file_size(tmp_path / "absent.gpkg", "demand.path")   # reported elsewhere
    # a Shapefile counts its .dbf
    (tmp_path / "a.shp").write_bytes(b"0" * 100)
    (tmp_path / "a.dbf").write_bytes(b"0" * 900)
    assert R.file_bytes_in_memory(tmp_path / "a.shp") == 1000 * R.FILE_FACTORS[".shp"]


@pytest.mark.parametrize("name", ["city.osm.gz", "CITY.OSM.GZ", "city.osm.bz2", "city.osm.pbf"])
def test_compressed_osm_estimated_like_pbf(tmp_path, name):
    """Every compressed OSM form is ~10x smaller on disk than the XML it holds: the same
    factor for all of them (one suffix helper for the loader and the estimate)."""
    from siting import _resources as R
    from siting._files import file_suffix
    from siting.network import SUPPORTED_SUFFIXES

    p = tmp_path / name
    p.write_bytes(b"0" * 1000)
    assert file_suffix(p) in SUPPORTED_SUFFIXES  # what the loader reads it as
    assert R.file_bytes_in_memory(p, network=True) == 1000 * R.FILE_FACTORS[".osm.pbf"]
    xml = tmp_path / "city.osm"
    xml.write_bytes(b"0" * 1000)
    assert R.file_bytes_in_memory(p) == 10 * R.file_bytes_in_memory(xml)


def test_graphml_network_of_footways_only(case):
    """A GraphML road file holding only ways fleets cannot drive: one line, exit 2."""
    import networkx as nx

    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=113.37, y=31.69)
    G.add_node(2, x=113.38, y=31.69)
    G.add_edge(1, 2, highway="footway")
    G.add_edge(2, 1, highway="cycleway")
    nx.write_graphml(G, case.dir / "roads.graphml")
    case.sub('path = "roads.geojson"', 'path = "roads.graphml"')
    line = run_error(case, "roads.graphml", "no drivable roads left after the fleet road "
                     "filter", "footway 1", "cycleway 1")
    assert line.endswith("check the graph covers public roads")


def test_check_scenario_files(monkeypatch):
    from siting import _errors
    from siting import _resources as R
    from siting.scenario import load_scenario

    sc = load_scenario(DATA / "scenario.toml")
    monkeypatch.setattr(R, "available_bytes", lambda: int(8e9))
    R.check_scenario_files(sc)
    monkeypatch.setattr(R, "available_bytes", lambda: int(0.45e9))  # base 0.4 GB + roads
    with pytest.raises(_errors.ResourceError, match=r"roads.geojson \(field 'network.path'"):
        R.check_scenario_files(sc)


def test_not_enough_memory_cli(case, monkeypatch):
    from siting import _resources as R

    monkeypatch.setattr(R, "available_bytes", lambda: int(0.3e9))
    case.fast(time_limit_s=2.0)
    run_error(case, "roads.geojson", "GB of memory", "0.3 GB is available")


def test_unknown_output_crs_fails_before_solving(case):
    case.sub('output_crs = "EPSG:4326"', 'output_crs = "EPSG:99999"')
    run_error(case, "scenario.toml", "field 'output_crs'", "99999", "EPSG:4547")


def test_unknown_layer_name(case):
    case.sub('path = "fleet.geojson"', 'path = "fleet.geojson"\nlayer = "fleets"')
    run_error(case, "fleet.geojson", "no layer 'fleets'", "did you mean 'fleet'")


@pytest.mark.slow
def test_mip_too_big_for_memory_cli(case, monkeypatch):
    """The input files fit (0.45 GB est.) but the bundled MIP (~0.8 GB est.) does not."""
    from siting import _resources as R

    monkeypatch.setattr(R, "available_bytes", lambda: int(0.7e9))
    case.time_limit(1.0)  # until it is wired, the run goes on to solve
    line = run_error(case, "scenario.toml: the MIP", "GB of memory", "0.7 GB is available")
    assert "roads.geojson" not in line


# =========================================================================== issue 10: options
# Options and the output folder are checked before anything is loaded. The tests replace the
# loaders with a trap: if a command loads the scenario, a run folder or solves anything before
# refusing a bad option, the trap turns it into an internal error (exit 1) and the test fails.
class _Loaded(Exception):
    pass


@pytest.fixture
def trap(monkeypatch):
    """Make every loader raise, so a check that runs late shows up as exit 1."""
    import siting.briefing
    import siting.compare
    import siting.pipeline
    import siting.scenario

    def boom(*args, **kwargs):
        raise _Loaded("loaded before the options were checked")

    for mod, name in ((siting.scenario, "load_scenario"), (siting.pipeline, "prepare"),
                      (siting.pipeline, "run"), (siting.compare, "compare_runs"),
                      (siting.briefing, "write_briefing")):
        monkeypatch.setattr(mod, name, boom)
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return boom


def _run_folder(path: Path) -> Path:
    """A folder that looks like a finished run (for compare/brief option checks)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "report.json").write_text(json.dumps(_REPORT), encoding="utf-8")
    (path / "stations.geojson").write_text(
        '{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    return path


@pytest.mark.parametrize(("args", "needles"), [
    (["run", "{toml}", "--lang", "fr"], ["--lang 'fr'", "zh", "en"]),
    (["run", "{toml}", "--basemap", "bogus"], ["--basemap 'bogus'", "osm", "none"]),
    (["run", "{toml}", "--basemap", "tianditu"], ["--basemap tianditu", "key",
                                                  "--tianditu-key", "TIANDITU_KEY"]),
    (["run", "{toml}", "--crs", "EPSG:5773"], ["--crs", "EPSG:5773", "vertical"]),
    (["run", "{toml}", "--crs", "EPSG:4978"], ["--crs", "EPSG:4978", "geocentric"]),
    (["demo", "--lang", "fr", "--out", "{out}"], ["--lang 'fr'"]),
    (["demo", "--basemap", "tianditu", "--out", "{out}"], ["--basemap tianditu"]),
    (["sweep", "{toml}", "--lang", "fr"], ["--lang 'fr'"]),
    (["sweep", "{toml}", "--basemap", "bogus"], ["--basemap 'bogus'"]),
    (["sweep", "{toml}", "--basemap", "tianditu"], ["--basemap tianditu", "--tianditu-key"]),
    (["compare", "{run}", "{run}", "--lang", "fr", "--out", "{out}"], ["--lang 'fr'"]),
    (["brief", "{run}", "--lang", "fr"], ["--lang 'fr'"]),
])
def test_bad_option_refused_before_loading(case, trap, args, needles):
    run = _run_folder(case.dir.parent / "a_run")
    argv = [a.format(toml=case.toml, out=case.out, run=run) for a in args]
    line = error_line(invoke(*argv))
    for n in needles:
        assert n in line, f"{n!r} not in: {line}"
    assert not case.out.exists()


def test_tianditu_key_from_the_environment_passes_the_check(case, trap, monkeypatch):
    """With a key (here from TIANDITU_KEY) the option check passes and loading starts."""
    monkeypatch.setenv("TIANDITU_KEY", "k")
    res = invoke("run", str(case.toml), "--basemap", "tianditu", "--out", str(case.out))
    assert res.exit_code == 1 and "loaded before the options were checked" in res.output


@contextlib.contextmanager
def _cannot_write(folder: Path):
    """Make ``folder`` read-only for this process, for the duration of the block.

    As an ordinary user, chmod 555 is enough. Root writes anywhere, so as root the effective
    user id is dropped to ``nobody`` for the block (the real id stays root, so it comes back).
    """
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    dropped = False
    try:
        if os.geteuid() == 0:
            os.setegid(65534)
            os.seteuid(65534)
            dropped = True
        yield
    finally:
        if dropped:
            os.seteuid(0)
            os.setegid(0)
        folder.chmod(mode)


@pytest.fixture
def open_tmp():
    """A temporary folder anyone may traverse (``tmp_path`` is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="siting-ro-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_read_only_output_parent_refused_before_loading(case, trap, open_tmp):
    parent = open_tmp / "shared"
    parent.mkdir()
    (parent / "keep.txt").write_text("x")
    out = parent / "run_out"
    import siting._preflight  # noqa: F401  (imported while the files can still be read)

    with _cannot_write(parent):
        res = invoke("run", str(case.toml), "--out", str(out), "-q")
    line = error_line(res)
    assert f"--out {out}" in line and "cannot be written" in line
    assert sorted(p.name for p in parent.iterdir()) == ["keep.txt"]  # nothing left, nothing lost


def test_read_only_previous_run_refused(case, trap, open_tmp):
    """An earlier run folder that cannot be written cannot be replaced: refused up front."""
    open_tmp.chmod(0o777)
    out = _run_folder(open_tmp / "run_out")
    before = sorted(p.name for p in out.iterdir())
    import siting._preflight  # noqa: F401

    with _cannot_write(out):
        res = invoke("run", str(case.toml), "--out", str(out), "-q")
    line = error_line(res)
    assert "the output folder cannot be written" in line
    assert sorted(p.name for p in out.iterdir()) == before
    assert sorted(p.name for p in open_tmp.iterdir()) == ["run_out"]


@pytest.mark.parametrize("command", ["run", "sweep", "compare", "demo"])
def test_output_parent_cannot_be_created(case, trap, command):
    blocker = case.dir.parent / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "sub" / "run_out"
    run = _run_folder(case.dir.parent / "a_run")
    argv = {"run": ["run", str(case.toml)], "sweep": ["sweep", str(case.toml)],
            "compare": ["compare", str(run), str(run)], "demo": ["demo"]}[command]
    line = error_line(invoke(*argv, "--out", str(out)))
    assert f"--out {out}" in line and f"{blocker} is a file" in line
    assert blocker.read_text() == "not a folder"


def test_output_path_is_a_file(case, trap):
    case.out.write_text("precious")
    line = error_line(case.run())
    assert f"--out {case.out}" in line and "is a file" in line
    assert case.out.read_text() == "precious"


def test_brief_run_folder_not_writable(case, trap, open_tmp):
    run = _run_folder(open_tmp / "a_run")
    import siting._preflight  # noqa: F401

    with _cannot_write(run):
        line = error_line(invoke("brief", str(run)))
    assert f"RUN_DIR {run}" in line and "cannot be written" in line


def test_output_probe_leaves_nothing_and_deletes_nothing(tmp_path):
    from siting._preflight import check_output_writable

    out = tmp_path / "old_run"
    out.mkdir()
    (out / "report.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("mine")
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert check_output_writable(out) == out
    assert check_output_writable(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before


def test_basemap_list_matches_the_map_writer():
    from siting._preflight import BASEMAPS
    from siting.maps import BASEMAPS as MAP_BASEMAPS

    assert BASEMAPS == MAP_BASEMAPS


# =========================================================================== issue 10: values
def test_misspelt_class_column(case):
    case.sub('class_column = "highway"', 'class_column = "highwya"')
    run_error(case, "roads.geojson", "no column 'highwya'", "did you mean 'highway'",
              "class_column")


def test_vertical_output_crs_in_scenario(case):
    case.sub('output_crs = "EPSG:4326"', 'output_crs = "EPSG:4978"')
    run_error(case, "scenario.toml", "field 'output_crs'", "geocentric", "2-D")


def test_unknown_road_class_in_speeds(case):
    case.sub("max_snap_m = 2000.0", "max_snap_m = 2000.0\n"
             "speeds_kph = { primry = { light = 45.0, heavy = 35.0 } }")
    run_error(case, "scenario.toml", "speeds_kph", "'primry'", "did you mean 'primary'")


def test_empty_pathway_split(case):
    case.sub("pathway_split = { charging = 1.0 }", "pathway_split = {}")
    run_error(case, "scenario.toml", "field 'segments.1.pathway_split'",
              "[[segments]] entry 2, id 'municipal'", "pathway_split is empty")


@pytest.mark.parametrize("year", ["-2023", "20230", "1800", "100000000000000000000"])
def test_year_out_of_range(case, year):
    case.sub("years = [2023, 2024, 2025]", f"years = [{year}, 2024, 2025]")
    run_error(case, "scenario.toml", "field 'years.0'", "1900" if year in ("-2023", "1800")
              else "2200")


def test_year_out_of_range_in_table_keys(case):
    case.sub('by_year = { "2023"', 'by_year = { "100000000000000000000"')
    run_error(case, "scenario.toml", "field 'budget.by_year.", "2200")


def test_corridor_origin_equals_destination(case):
    case.sub("destination = [113.378, 31.7]", "destination = [113.398, 31.597]")
    run_error(case, "scenario.toml", "field 'corridors.1' ([[corridors]] entry 2, "
              "id 'hedian_urban')", "origin and destination are the same point")


@pytest.mark.slow
def test_corridor_ends_on_one_node(case):
    case.sub("destination = [113.378, 31.7]", "destination = [113.39801, 31.59701]")
    run_error(case, "scenario.toml", "corridor 'hedian_urban'", "snap to the same road node")


def test_negative_hydrogen_supply(case):
    case.set_prop("h2_supply.geojson", 2, "kg_per_day", -500)
    run_error(case, "h2_supply.geojson", "feature 2 (supply_id 'H2_YUCHAI')", "'kg_per_day'",
              "negative")


@pytest.mark.slow
def test_setback_category_matching_no_site_warns(case, caplog):
    case.sub("school = 50.0", "shcool = 50.0")
    with caplog.at_level(logging.WARNING):
        res = case.validate()
    assert res.exit_code == 0, res.output
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    hit = [w for w in warned if "'shcool'" in w]
    assert len(hit) == 1 and "matches no site" in hit[0] and "did you mean 'school'" in hit[0]
    assert "sensitive.geojson" in hit[0]


@pytest.mark.parametrize(("first", "second"), [(1.0, 1), ("1.0", 1), (7, "7.00"), (" C9", "C9")])
def test_ids_equal_after_normalising_are_duplicates(case, first, second):
    def ids(doc):
        doc["features"][0]["properties"]["site_id"] = first
        doc["features"][1]["properties"]["site_id"] = second
    case.edit("candidates.geojson", ids)
    line = run_error(case, "candidates.geojson", "feature 2", "duplicate site_id",
                     "also feature 1")
    if str(first).strip() != str(second).strip():
        assert "are the same id" in line


def test_integral_float_ids_read_as_whole_numbers(tmp_path):
    from siting.layers import id_text

    assert [id_text(v) for v in (1.0, "1.0", 1, "1", " 007 ", "007", "1.5", None, "C1")] == [
        "1", "1", "1", "1", "007", "007", "1.5", "", "C1"]


@pytest.mark.parametrize(("budgets", "needle"), [
    ("inf", "budget inf is not a finite number"),
    ("10,nan", "budget nan is not a finite number"),
    ("-5,10", "budget -5 is negative"),
    ("1" + "0" * 300, "is too large"),
    ("10,abc", "'abc' is not a number"),
    (",", "give at least one budget"),
    ("10.001,10.004", "both give run folder budget_0010.00M"),
    ("20,20", "both give run folder budget_0020.00M"),
])
def test_bad_sweep_budgets(case, trap, budgets, needle):
    line = error_line(invoke("sweep", str(case.toml), "--budgets", budgets, "--out",
                             str(case.out)))
    assert "--budgets" in line and needle in line, line
    assert len(line) < 250
    assert not case.out.exists()


def test_sweep_range_options(case, trap):
    line = error_line(invoke("sweep", str(case.toml), "--from", "nan", "--out", str(case.out)))
    assert "--from nan" in line
    line = error_line(invoke("sweep", str(case.toml), "--from", "2", "--to", "1"))
    assert "--from must be smaller than --to" in line


def test_sweep_budgets_sharing_a_folder_never_overwrite():
    """The sweep itself refuses such budgets too (a library caller skips the CLI)."""
    from siting._errors import ScenarioError
    from siting.sweep import budget_folder, check_budgets

    assert budget_folder(32e6) == "budget_0032.00M"
    check_budgets(np.array([10e6, 10.01e6]))
    with pytest.raises(ScenarioError, match=r"budget_0010\.00M"):
        check_budgets(np.array([10.004e6, 10.001e6]))


def test_toml_nested_very_deep(case):
    case.toml.write_text("name = 'x'\nz = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    run_error(case, "scenario.toml", "nested too deeply")


def test_nul_byte_in_paths(case, trap):
    line = error_line(invoke("run", str(case.toml) + "\x00x", "-q"))
    assert "scenario" in line and "NUL" in line
    line = error_line(invoke("run", str(case.toml), "--out", "a\x00b", "-q"))
    assert "--out" in line and "NUL" in line
    line = error_line(invoke("validate", "x\x00.toml"))
    assert "NUL" in line


def test_nul_byte_in_layer_path(case):
    case.sub('path = "fleet.geojson"', 'path = "fleet\\u0000.geojson"')
    run_error(case, "scenario.toml", "field 'demand.path'", "NUL")


#: A stand-in report.json for folders that must look like runs but are never read (the option
#: checks refuse before reading); the real shape is tested on `real_run` below.
_REPORT: dict = {
    "siting_version": "0.1.0",
    "scenario": {"name": "t", "name_en": "t", "file": "scenario.toml", "years": [2025],
                 "weight": "vehicles", "lang": "en", "weight_unit": "NEV vehicles"},
    "budget": 1e6, "budget_by_year": {}, "spent": 5e5, "objective": 1.0,
    "coverage_share": 0.5, "demand_weight_total": 2.0,
    "by_type": {"t1": {"name": "T", "count": 1, "new": 1, "capex": 5e5, "capacity": 10.0,
                       "capacity_unit": "kWh/day", "served_demand": 1.0}},
    "by_zone": {}, "by_year": {"2025": {"new_stations": 1, "spent": 5e5, "budget": None,
                                        "coverage_share": 0.5, "demand_weight": 2.0}},
    "by_segment": {}, "by_pathway": {}, "corridors": [], "zone_requirements": [], "grid": {},
    "solver": {"name": "highs", "status": "optimal", "gap": 0.0, "bound": 1.0, "seconds": 0.1},
    "inputs": {"demand_points": 2}, "network": {"source": "x", "schematic": False},
    "data_provenance": "", "timings": {},
}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """One real run folder (small fleet, short time limit), shared by the report.json tests."""
    case = Case(tmp_path_factory.mktemp("real_run"))
    case.fast(time_limit_s=5.0)
    res = case.run()
    assert res.exit_code == 0, res.output
    return case.out


def _broken_copy(run: Path, dest: Path, edit: Callable[[dict], None]) -> Path:
    shutil.copytree(run, dest)
    report = json.loads((dest / "report.json").read_text(encoding="utf-8"))
    edit(report)
    (dest / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return dest


def _first_type(r: dict) -> str:
    return next(iter(r["by_type"]))


@pytest.mark.parametrize(("edit", "shown"), [
    (lambda r: r.__setitem__("by_type", "x"), "key 'by_type' holds text 'x' where a table"),
    (lambda r: r["by_type"][_first_type(r)].__setitem__("count", "many"),
     ".count' holds text 'many' where a whole number belongs"),
    (lambda r: r.__setitem__("scenario", [1]), "key 'scenario' holds a list where a table"),
    (lambda r: r.__setitem__("solver", "optimal"), "key 'solver' holds text 'optimal'"),
    (lambda r: r.__setitem__("budget", True), "key 'budget' holds true where a number belongs"),
    (lambda r: r["solver"].__setitem__("gap", "0.1"), "key 'solver.gap' holds text '0.1'"),
    (lambda r: r["headline"].__setitem__("year", "2025"),
     "key 'headline.year' holds text '2025' where a whole number belongs"),
])
@pytest.mark.parametrize("command", ["brief", "compare"])
def test_report_json_with_wrong_types(real_run, tmp_path, command, edit, shown):
    bad = _broken_copy(real_run, tmp_path / "bad", edit)
    args = (["brief", str(bad)] if command == "brief"
            else ["compare", str(real_run), str(bad), "--out", str(tmp_path / "cmp")])
    line = error_line(invoke(*args))
    assert str(bad / "report.json") in line and shown in line, line
    assert not (tmp_path / "cmp").exists() and not (bad / "briefing.pdf").exists()


@pytest.mark.slow
def test_report_json_missing_a_needed_key(real_run, tmp_path):
    bad = _broken_copy(real_run, tmp_path / "bad", lambda r: r.pop("headline"))
    line = error_line(invoke("brief", str(bad)))
    assert f"{bad / 'report.json'}: key 'headline' is missing; " in line, line
    assert "{" not in line  # the enclosing table is not echoed
    assert not (bad / "briefing.pdf").exists()


def test_report_json_as_written_passes(real_run):
    """A report as written passes; so does one lacking keys (they show as unknown)."""
    from siting._run_report import check_report

    report = json.loads((real_run / "report.json").read_text(encoding="utf-8"))
    assert check_report(report, "r.json") is report
    del report["headline"], report["solver"]["gap"]
    assert check_report(report, "r.json") is report


def test_fifo_as_layer_does_not_hang(case):
    fifo = case.dir / "candidates.geojson"
    fifo.unlink()
    os.mkfifo(fifo)
    released = threading.Event()

    def release_reader() -> None:
        # Only a reader that opened the pipe is waiting: give it data so the test cannot
        # hang on a version that opens pipes (it then fails on the message instead).
        if not released.wait(10):
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK) if _has_reader(fifo) else None
            if fd is not None:
                os.write(fd, b"{}")
                os.close(fd)

    t = threading.Thread(target=release_reader, daemon=True)
    t.start()
    try:
        line = run_error(case, "candidates.geojson", "named pipe")
    finally:
        released.set()
    assert "field 'candidates.path'" in line


def _has_reader(fifo: Path) -> bool:
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: nobody has it open for reading
        return False
    return True


def test_device_as_layer(case):
    case.sub('output_crs = "EPSG:4326"', 'output_crs = "EPSG:4326"\nallow_outside_paths = true')
    case.sub('path = "existing.geojson"', 'path = "/dev/zero"')
    run_error(case, "scenario.toml", "field 'existing.path'", "/dev/zero", "is a device")


def test_folder_and_empty_path_as_layer(case):
    (case.dir / "layers").mkdir()
    case.sub('path = "fleet.geojson"', 'path = "layers"')
    line = run_error(case, "field 'demand.path'", "is a folder")
    assert "not a GIS file" not in line
    case.sub('path = "layers"', 'path = ""')
    line = run_error(case, "field 'demand.path'", "path is empty")


@pytest.mark.slow
def test_bom_at_start_of_scenario_is_accepted(case):
    case.toml.write_bytes(b"\xef\xbb\xbf" + case.toml.read_bytes())
    res = case.validate()
    assert res.exit_code == 0, res.output


@pytest.mark.slow
def test_gbk_geojson_is_read(case, caplog):
    from siting.layers import read_layer

    doc = case.layer("candidates.geojson")
    (case.dir / "candidates.geojson").write_bytes(
        json.dumps(doc, ensure_ascii=False).encode("gbk"))
    with caplog.at_level(logging.WARNING):
        gdf = read_layer(case.dir / "candidates.geojson", what="candidates",
                         required={"site_id": "text"}, geom="point", id_column="site_id")
    assert list(gdf["name"]) == [f["properties"]["name"] for f in doc["features"]]
    assert any("GBK" in r.getMessage() for r in caplog.records)
    res = case.validate()
    assert res.exit_code == 0, res.output


def test_unreadable_scenario_is_one_line(open_tmp):
    scenario = open_tmp / "scenario.toml"
    scenario.write_text("name = 'x'\n", encoding="utf-8")
    scenario.chmod(0o000)
    # imported while they can still be read (as root the block below runs as nobody, who may
    # not read the Python installation's own modules)
    import siting._preflight
    import siting.scenario
    import siting.validate  # noqa: F401

    with _cannot_write(open_tmp):
        res = invoke("validate", str(scenario))
    line = error_line(res)
    assert str(scenario) in line and "permission denied" in line.lower()


def test_road_layer_features_counted_from_one(case):
    case.edit("roads.geojson", lambda d: d["features"][0].__setitem__(
        "geometry", {"type": "Point", "coordinates": [113.38, 31.69]}))
    line = run_error(case, "roads.geojson", "feature 1 ", "Point")
    assert "row 0" not in line and "feature 0" not in line


def test_csv_tables_count_rows(case):
    import pandas as pd

    fleet = gpd.read_file(case.dir / "fleet.geojson")
    table = pd.DataFrame(fleet.drop(columns="geometry"))
    table["lon"], table["lat"] = fleet.geometry.x, fleet.geometry.y
    table.loc[3, "segment"] = "sanitaton"
    table.to_csv(case.dir / "fleet.csv", index=False)
    case.sub('path = "fleet.geojson"', 'path = "fleet.csv"')
    run_error(case, "fleet.csv: row 4 (fleet_id 'SAN004')", "'sanitaton'")


def test_long_values_are_clipped_in_messages(case):
    case.sub("threads = 2", "threads = 1" + "0" * 300)
    line = run_error(case, "field 'solver.threads'", "…")
    assert len(line) < 300


@pytest.mark.slow
def test_long_layer_values_are_clipped(case):
    case.set_prop("fleet.geojson", 2, "segment", "x" * 300)
    line = run_error(case, "fleet.geojson", "feature 2 (fleet_id 'SAN002')", "…")
    assert len(line) < 400


@pytest.mark.parametrize(("old", "new", "field"), [
    ("total = 60000000.0", "total = true", "budget.total"),
    ("threads = 2", "threads = true", "solver.threads"),
    ("capex = 6000000.0", "capex = false", "station_types.0.capex"),
    ("trucks_per_day = 6.0", "trucks_per_day = true", "corridors.0.trucks_per_day"),
])
def test_bool_is_not_a_number(case, old, new, field):
    case.sub(old, new)
    run_error(case, "scenario.toml", f"field '{field}'", "true/false is not a number")


def test_text_is_not_a_number(case):
    case.sub("total = 60000000.0", 'total = "60000000"')
    run_error(case, "scenario.toml", "field 'budget.total'", "'60000000'", "without quotes")


# =========================================================================== issue 10: anywhere
def _finnish_case(root: Path) -> Path:
    """A small scenario in Helsinki: a grid of streets, depots and candidate sites."""
    from shapely.geometry import LineString, Point

    folder = root / "helsinki"
    folder.mkdir()
    lon0, lat0, step = 24.93, 60.165, 0.004         # ~220 m east-west, ~450 m north-south
    lines, classes = [], []
    for k in range(6):
        lines.append(LineString([(lon0, lat0 + k * step), (lon0 + 5 * step, lat0 + k * step)]))
        lines.append(LineString([(lon0 + k * step, lat0), (lon0 + k * step, lat0 + 5 * step)]))
        classes += ["residential", "secondary" if k == 2 else "residential"]
    gpd.GeoDataFrame({"highway": classes}, geometry=lines, crs=4326).to_file(
        folder / "roads.geojson")
    fleet = [Point(lon0 + (i % 5 + 0.5) * step, lat0 + (i // 5 + 0.5) * step) for i in range(10)]
    gpd.GeoDataFrame({"fleet_id": [f"F{i}" for i in range(10)], "segment": ["vans"] * 10,
                      "vehicles": [10] * 10, "daily_km": [100] * 10},
                     geometry=fleet, crs=4326).to_file(folder / "fleet.geojson")
    sites = [Point(lon0 + 1.0 * step, lat0 + 1.0 * step), Point(lon0 + 4 * step, lat0 + 4 * step)]
    gpd.GeoDataFrame({"site_id": ["S1", "S2"], "allowed_types": ["hub", "hub"]},
                     geometry=sites, crs=4326).to_file(folder / "candidates.geojson")
    (folder / "scenario.toml").write_text("""
name = "Helsinki test"
years = [2025]
lang = "en"

[network]
path = "roads.geojson"
max_snap_m = 500.0

[demand]
path = "fleet.geojson"

[candidates]
path = "candidates.geojson"

[[segments]]
id = "vans"
vehicle_class = "light"
threshold_min = 10.0
kwh_per_km = 0.3
h2_kg_per_km = 0.02
nev_share = { "2025" = 0.5 }
pathway_split = { charging = 1.0 }

[[station_types]]
id = "hub"
serves = ["charging"]
capex = 1000000.0
capacity = 100000.0

[budget]
total = 1000000.0

[solver]
time_limit_s = 20.0
""", encoding="utf-8")
    return folder / "scenario.toml"


def test_layers_outside_china_can_be_used(tmp_path, caplog):
    toml = _finnish_case(tmp_path)
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        res = invoke("run", str(toml), "--out", str(out), "-q", "--basemap", "none")
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["inputs"]["fleet_points"] == 10 and report["coverage_share"] > 0
    stations = gpd.read_file(out / "stations.geojson")
    assert len(stations) == 1 and stations.geometry.x.iloc[0] > 24.9   # still in Helsinki
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("fleet.geojson" in w and "outside China" in w for w in warned), warned


def test_layer_entirely_outside_the_network(tmp_path):
    toml = _finnish_case(tmp_path)
    cand = gpd.read_file(toml.parent / "candidates.geojson")
    cand.geometry = gpd.points_from_xy([113.38, 113.39], [31.69, 31.70], crs=4326)  # Suizhou
    cand.to_file(toml.parent / "candidates.geojson")
    line = error_line(invoke("run", str(toml), "--out", str(tmp_path / "o"), "-q"))
    assert "candidates.geojson" in line
    assert "none of the 2 feature(s) of the candidates layer" in line
    assert "lon 113.3800..113.3900" in line


def test_existing_stations_elsewhere_named_by_their_own_file(case):
    case.edit("existing.geojson", lambda d: [f["geometry"].__setitem__("coordinates",
                                                                       [116.4, 39.9])
                                             for f in d["features"]])
    run_error(case, "existing.geojson", "none of the", "existing layer")


@pytest.mark.slow
def test_existing_station_id_also_a_candidate(case):
    case.set_prop("existing.geojson", 1, "site_id", "C001.0")  # "C001.0" stays text
    case.set_prop("existing.geojson", 2, "site_id", "C002")
    run_error(case, "existing.geojson: feature 2 (site_id 'C002')",
              "the same site_id as", "candidates.geojson: feature 2 (site_id 'C002')")

# =========================================================================== commission (issue 13)
def _no_zone_requirements(case: Case) -> None:
    text = case.toml.read_text(encoding="utf-8")
    new = re.sub(r"(?ms)^\[\[zone_requirements\]\]\n.*?(?=^\[)", "", text)
    assert new != text, "test set-up: no zone requirements in scenario.toml"
    case.toml.write_text(new, encoding="utf-8")


def test_target_out_of_range(case):
    line = error_line(case.run("--target", "1.5"))
    assert "--target 1.5" in line and "between 0 and 1" in line
    assert_no_output(case)


@pytest.mark.slow
def test_target_above_the_demand_in_reach(case):
    case.fast(time_limit_s=10.0)
    case.sub("threshold_min = 10.0", "threshold_min = 0.5")  # logistics vans reach nothing
    line = error_line(case.run("--target", "0.99"), 3)
    assert "target: 99 % of the 2025 demand" in line and "cannot be met" in line
    assert "of that demand reaches any candidate station" in line
    assert_no_output(case)


@pytest.mark.slow
def test_target_blocked_by_the_yearly_caps(case):
    case.fast(time_limit_s=10.0)
    _no_zone_requirements(case)
    text = case.toml.read_text(encoding="utf-8")  # fast() dropped the caps: put tight ones
    new, n = re.subn(r"(?m)^(\[budget\]\ntotal = .*\n)",
                     r'\1by_year = { "2023" = 0.0, "2024" = 0.0, "2025" = 2500000.0 }\n', text)
    assert n == 1, "test set-up: no [budget] total in scenario.toml"
    case.toml.write_text(new, encoding="utf-8")
    line = error_line(case.run("--target", "0.9"), 3)
    assert "cannot be met" in line and "yearly budget caps (budget.by_year) block it" in line
    assert "raise budget.by_year" in line
    assert_no_output(case)


def test_bad_targets_list(case):
    res = invoke("sweep", str(case.toml), "--targets", "0.6,x", "--out", str(case.out))
    line = error_line(res)
    assert "--targets '0.6,x'" in line and "0.6,0.7,0.8,0.9,1.0" in line
    assert not case.out.exists()


def _no_uncertainty(case: Case) -> None:
    text = case.toml.read_text(encoding="utf-8")
    new = re.sub(r"(?ms)^# `siting robust`.*?(?=^\[\[corridors\]\]|\Z)", "", text)
    new = re.sub(r"(?ms)^\[uncertainty(\.segments\.[a-z_]+)?\]\n.*?(?=^\[|\Z)", "", new)
    assert "[uncertainty" not in new and new != text, "test set-up: [uncertainty] not removed"
    case.toml.write_text(new, encoding="utf-8")


def test_robust_without_uncertainty(case):
    _no_uncertainty(case)
    res = invoke("robust", str(case.toml), "--out", str(case.out), "-q")
    line = error_line(res)
    assert "no [uncertainty] section" in line and "vehicles = [0.8, 1.2]" in line
    assert not case.out.exists()


def test_robust_on_a_least_cost_scenario(case):
    case.sub("[solver]", "[objective]\ntarget_share = 0.9\n\n[solver]")
    line = error_line(invoke("robust", str(case.toml), "--out", str(case.out), "-q"))
    assert "siting robust compares coverage plans" in line and "target_share" in line


@pytest.mark.slow
def test_robust_dask_scheduler_unreachable(case):
    res = invoke("robust", str(case.toml), "--out", str(case.out), "-q", "--dask",
                 "tcp://127.0.0.1:9")
    line = error_line(res)
    assert "--dask tcp://127.0.0.1:9: cannot connect to the Dask scheduler" in line
    assert not case.out.exists()


def test_uncertainty_range_reversed(case):
    case.sub("[uncertainty]\nseed = 20231\nsamples = 50\nvehicles = [0.8, 1.2]",
             "[uncertainty]\nseed = 20231\nsamples = 50\nvehicles = [1.2, 0.8]")
    run_error(case, "scenario.toml", "field 'uncertainty.vehicles'", "low <= high")


def test_uncertainty_unknown_segment(case):
    case.sub("[uncertainty.segments.muck_truck]", "[uncertainty.segments.muck_truk]")
    run_error(case, "scenario.toml", "uncertainty.segments", "'muck_truk'",
              "did you mean 'muck_truck'")


def test_economics_unknown_station_type(case):
    case.sub("[solver]", "[economics.station_types.swap_hevy]\nlifetime_years = 8\n\n[solver]")
    run_error(case, "scenario.toml", "economics.station_types", "'swap_hevy'",
              "did you mean 'swap_heavy'")


def test_zone_coverage_unknown_zone(case):
    case.sub("[solver]", "[[zone_coverage]]\nzone = \"hedain\"\nmin_share = 0.8\n\n[solver]")
    run_error(case, "scenario.toml", "zone_coverage zone 'hedain'", "zones.geojson",
              "did you mean 'hedian'")


def test_zone_coverage_year_not_planned(case):
    case.sub("[solver]", "[[zone_coverage]]\nzone = \"hedian\"\nmin_share = 0.8\nby_year = "
             "2030\n\n[solver]")
    run_error(case, "scenario.toml", "zone_coverage by_year 2030", "not one of years")


@pytest.mark.slow
def test_zone_coverage_floor_cannot_be_met(case):
    case.fast(time_limit_s=10.0)
    case.sub("threshold_min = 10.0", "threshold_min = 0.5")
    case.sub("[solver]", "[[zone_coverage]]\nzone = \"urban_core\"\nmin_share = 1.0\n\n"
             "[solver]")
    line = run_error(case, "zone 'urban_core' covered at least 100 % in 2025", "cannot be met",
                     code=3)
    assert "reaches any candidate station" in line


def test_public_errors_module_holds_every_class_with_its_exit_code():
    """``siting.errors`` is the public home of the classes; the private module re-exports the
    same objects, so an ``except`` on either catches what siting raises."""
    from siting import _errors, errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert getattr(_errors, name) is cls and issubclass(cls, errors.SitingError)
    assert errors.InfeasibleError.exit_code == errors.SolverError.exit_code == 3
    assert errors.InputDataError.exit_code == errors.OutputError.exit_code == 2
    assert issubclass(errors.OutputError, OSError) and issubclass(errors.ScenarioError, ValueError)
