"""One test per row of docs/errors.md: the real CLI on a copy of data/suizhou broken one way.

Each test copies the bundled scenario into ``tmp_path``, breaks exactly one thing, runs
``siting run`` (or ``siting validate``) through typer's CliRunner and checks what a user
sees: the exit code, ONE line ``error: <file>: <row/field>: <problem>; <fix>``, no traceback,
and no output folder (nor a hidden temporary one) left behind.

Runs that must solve use a shrunken fleet layer and a short solver time limit.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from siting import _checks
from siting.cli import app
from siting.crs import wgs84_to_gcj02

DATA = Path(__file__).resolve().parents[1] / "data" / "suizhou"
#: Lines of output that may accompany an error (none today).
_NOISE = re.compile(r"^(Running HiGHS|Includes third-party)")


# =========================================================================== helpers
class Case:
    """A private copy of the bundled scenario, to break in one way."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "scenario"
        shutil.copytree(DATA, self.dir)
        self.toml = self.dir / "scenario.toml"
        self.out = root / "run_out"

    # ---- scenario text
    def sub(self, old: str, new: str) -> None:
        text = self.toml.read_text(encoding="utf-8")
        assert old in text, f"test set-up: {old!r} not in scenario.toml"
        self.toml.write_text(text.replace(old, new, 1), encoding="utf-8")

    def time_limit(self, seconds: float) -> None:
        """Set ``[solver] time_limit_s`` whatever the bundled value is."""
        text = self.toml.read_text(encoding="utf-8")
        new, n = re.subn(r"(?m)^time_limit_s = .*$", f"time_limit_s = {seconds}", text)
        assert n == 1, "test set-up: no time_limit_s line in scenario.toml"
        self.toml.write_text(new, encoding="utf-8")

    def line_of(self, needle: str) -> int:
        lines = self.toml.read_text(encoding="utf-8").splitlines()
        return next(i + 1 for i, line in enumerate(lines) if needle in line)

    # ---- layers
    def layer(self, name: str) -> dict:
        return json.loads((self.dir / name).read_text(encoding="utf-8"))

    def save(self, name: str, doc: dict) -> None:
        (self.dir / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    def edit(self, name: str, fn: Callable[[dict], None]) -> dict:
        doc = self.layer(name)
        fn(doc)
        self.save(name, doc)
        return doc

    def set_prop(self, name: str, row: int, key: str, value: object) -> None:
        """Set property ``key`` of the 1-based feature ``row``."""
        self.edit(name, lambda d: d["features"][row - 1]["properties"].__setitem__(key, value))

    def shrink(self, every: int = 30) -> None:
        """Keep every ``every``-th fleet point (fast solves)."""
        self.edit("fleet.geojson", lambda d: d.__setitem__("features", d["features"][::every]))

    def fast(self, time_limit_s: float = 20.0, every: int = 30) -> Case:
        self.shrink(every)
        self.time_limit(time_limit_s)
        return self

    # ---- CLI
    def run(self, *extra: str):
        return invoke("run", str(self.toml), "--out", str(self.out), "-q", "--basemap", "none",
                      *extra)

    def validate(self):
        return invoke("validate", str(self.toml))


def invoke(*args: str):
    """Run the real typer app in-process; stdout and stderr together in ``.output``."""
    return CliRunner().invoke(app, list(args))


def error_line(res, code: int = 2) -> str:
    """The single ``error:`` line of a failed command, after checking everything around it."""
    text = res.output
    assert res.exit_code == code, f"exit {res.exit_code}, expected {code}:\n{text}"
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    lines = [ln for ln in text.splitlines() if ln.strip() and not _NOISE.match(ln)]
    assert len(lines) == 1, f"expected ONE line, got {len(lines)}:\n{text}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def assert_no_output(case: Case) -> None:
    """Neither the run folder nor a hidden temporary sibling exists."""
    assert not case.out.exists()
    hidden = f".{case.out.name}"
    assert [p.name for p in case.out.parent.iterdir() if p.name.startswith(hidden)] == []


def run_error(case: Case, *needles: str, code: int = 2, pattern: str | None = None) -> str:
    """``siting run`` fails with one line containing every needle; no output appears."""
    line = error_line(case.run(), code)
    for n in needles:
        assert n in line, f"{n!r} not in: {line}"
    if pattern is not None:
        assert re.search(pattern, line), f"/{pattern}/ not in: {line}"
    assert_no_output(case)
    return line


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return Case(tmp_path)


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
    case.sub("total = 32000000.0", 'total = "32 million"')
    run_error(case, "scenario.toml", "field 'budget.total'", "'32 million'", "number")


def test_negative_budget(case):
    case.sub("total = 32000000.0", "total = -5.0")
    run_error(case, "scenario.toml", "field 'budget.total'", "-5")


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
    run_error(case, "fleet.geojson", "row 4 (id 'SAN004')", "'vehicles'", pattern=pattern)


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
    ("trucks_per_day = 80.0", "trucks_per_day = 1e300", "corridors.0.trucks_per_day"),
])
def test_absurd_scenario_numbers(case, old, new, field):
    case.sub(old, new)
    run_error(case, "scenario.toml", f"field '{field}'", "less than or equal")


@pytest.mark.parametrize(("new", "expected"), [
    ("origin = [1130.392, 31.606]", "field 'corridors.1.origin.0'"),     # a slipped digit
    ("origin = [31.606, 113.392]", "field 'corridors.1.origin.1'"),      # lat/lon swapped
    ("origin = [103.392, 31.606]", "corridor 'hedian_urban': origin"),   # far off the network
])
def test_corridor_end_off_the_map(case, new, expected):
    case.sub("origin = [113.392, 31.606]", new)
    run_error(case, "scenario.toml", expected)


def test_empty_geometry(case):
    case.edit("fleet.geojson", lambda d: d["features"][4].__setitem__("geometry", None))
    run_error(case, "fleet.geojson", "row 5 (id 'SAN005')", "empty geometry")


def test_wrong_geometry_type(case):
    case.edit("fleet.geojson", lambda d: d["features"][4].__setitem__(
        "geometry", {"type": "LineString", "coordinates": [[113.37, 31.7], [113.38, 31.7]]}))
    run_error(case, "fleet.geojson", "row 5 (id 'SAN005')", "LineString", "point")


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
    run_error(case, "fleet.gpkg", "row 1 (id 'SAN001')", "metres", "EPSG:4547")


def test_coordinates_outside_china(case):
    case.edit("fleet.geojson", lambda d: d["features"][4]["geometry"].__setitem__(
        "coordinates", [13.4, 31.7]))
    run_error(case, "fleet.geojson", "row 5 (id 'SAN005')", "outside China")


def test_lon_lat_swapped(case):
    def swap(doc):
        for f in doc["features"]:
            f["geometry"]["coordinates"] = f["geometry"]["coordinates"][::-1]
    case.edit("candidates.geojson", swap)
    run_error(case, "candidates.geojson", "row 1 (id 'C001')", "swapped")


def test_duplicate_ids(case):
    case.set_prop("fleet.geojson", 6, "fleet_id", "SAN001")
    run_error(case, "fleet.geojson", "row 6 (id 'SAN001')", "duplicate fleet_id", "row 1")


def test_point_too_far_from_network(case):
    case.edit("fleet.geojson", lambda d: d["features"][4]["geometry"].__setitem__(
        "coordinates", [113.0, 31.3]))
    run_error(case, "fleet.geojson", "'SAN005'", "from the nearest road", "max_snap_m")


def test_point_too_far_names_file_row(case):
    case.edit("fleet.geojson", lambda d: d["features"][4]["geometry"].__setitem__(
        "coordinates", [113.0, 31.3]))
    run_error(case, "fleet.geojson", pattern=r"(row|feature) 5 \(id 'SAN005'\)")


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


def test_demand_on_island(case):
    case.fast()
    fid = _island(case)
    run_error(case, "fleet.geojson", f"row 5 (id '{fid}')", "no road connects")


def test_path_escaping_scenario_folder(case):
    shutil.copy(case.dir / "fleet.geojson", case.dir.parent / "fleet_outside.geojson")
    case.sub('path = "fleet.geojson"', 'path = "../fleet_outside.geojson"')
    run_error(case, "scenario.toml", "field 'demand.path'", "leaves the scenario folder",
              "allow_outside_paths")


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
    assert warned and "repaired" in warned[0] and f"row {row + 1}" in warned[0]
    # the hydrogen requirement in the (repaired) hedian zone is still met
    report = json.loads((case.out / "report.json").read_text(encoding="utf-8"))
    assert report["by_zone"]["hedian"]["by_type"].keys() & {"hydrogen", "hydrogen_onsite",
                                                            "integrated"}


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


def test_gcj02_data_not_flagged_warns(case, caplog):
    case.edit("fleet.geojson", _gcj_shift)
    case.edit("candidates.geojson", _gcj_shift)
    with caplog.at_level(logging.WARNING):
        res = case.validate()
    assert res.exit_code == 0, res.output
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "fleet.geojson" in warned and 'coords = "gcj02"' in warned


def test_gcj02_data_flagged_is_silent(case, caplog):
    case.edit("fleet.geojson", _gcj_shift)
    case.sub('path = "fleet.geojson"', 'path = "fleet.geojson"\ncoords = "gcj02"')
    with caplog.at_level(logging.WARNING):
        res = case.validate()
    assert res.exit_code == 0, res.output
    assert not [r for r in caplog.records if "gcj02" in r.getMessage()]


# =========================================================================== infeasible / solver
def test_zone_requirement_cannot_be_met(case):
    case.sub('zone = "hedian"\npathway = "hydrogen"\nmin = 1',
             'zone = "hedian"\npathway = "hydrogen"\nmin = 12')
    line = run_error(case, "hedian", "12", "eligible site", code=3)
    assert "lower the minimum" in line or "relax" in line


def test_zone_requirement_over_budget(case):
    case.sub('zone = "hedian"\npathway = "hydrogen"\nmin = 1',
             'zone = "hedian"\npathway = "hydrogen"\nmin = 3')
    run_error(case, "hedian", "budget", code=3)


@pytest.mark.slow
def test_zone_requirements_conflict_found_by_solver(case):
    """Two requirements on the zone's only site: the pre-check cannot see it, the solver does."""
    case.fast()
    case.sub("[[zone_requirements]]", '[[zone_requirements]]\nzone = "xihe_service"\n'
             'station_type = "swap_heavy"\n\n[[zone_requirements]]\nzone = "xihe_service"\n'
             'pathway = "charging"\n\n[[zone_requirements]]')
    run_error(case, "xihe_service", "charging", "one-station-per-site", code=3)


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


# =========================================================================== checks to be wired
# The functions below live in siting/_checks.py and siting/_resources.py; the lead calls them
# from pipeline.prepare. Until then they are tested directly, on the bundled data and on
# hand-made networks.
try:
    from tests.helpers_net import grid_edges, grid_offsets, make_net, to_lonlat
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from helpers_net import grid_edges, grid_offsets, make_net, to_lonlat


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
    assert "\n" not in msg and "fleet.geojson: row 5 (id 'SAN005')" in msg
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
    assert str(e.value).startswith("f.gpkg: row 2 (id 'b'): ")
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


def test_mip_too_big_for_memory_cli(case, monkeypatch):
    """The input files fit (0.45 GB est.) but the bundled MIP (~0.8 GB est.) does not."""
    from siting import _resources as R

    monkeypatch.setattr(R, "available_bytes", lambda: int(0.7e9))
    case.time_limit(1.0)  # until it is wired, the run goes on to solve
    line = run_error(case, "scenario.toml: the MIP", "GB of memory", "0.7 GB is available")
    assert "roads.geojson" not in line
