"""siting.run_folder: the one reader of finished run folders (briefing and compare)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from siting._errors import CRSMismatchError, InputDataError
from siting.compare import compare_runs
from siting.run_folder import load_run, read_report, read_stations

try:
    from tests.helpers_report import make_report
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from helpers_report import make_report


def make_run(folder: Path, stations: list[dict], *, gpkg: bool = True) -> Path:
    """A run folder as the output contract has it: report, stations, optional GeoPackage."""
    folder.mkdir(parents=True)
    n = sum(s["station_type"] == "swap" for s in stations)
    report = make_report(budget=10e6, spent=6e6, coverage=0.5, by_type={"swap": {
        "name": "换电站", "count": n, "new": n, "existing": 0, "capex": 0.0, "capacity": 0.0,
        "capacity_unit": "kWh/day", "served_demand": 0.0, "served_vehicles": 0.0,
        "served_energy": 0.0}})
    (folder / "report.json").write_text(json.dumps(report.to_dict()), encoding="utf-8")
    rows = [{k: v for k, v in s.items() if k not in ("lon", "lat")} for s in stations]
    geoms = [Point(s["lon"], s["lat"]) for s in stations]
    gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326").to_file(
        folder / "stations.geojson", driver="GeoJSON")
    if gpkg:
        utm = "EPSG:32649"  # written projected: the reader must return WGS84
        zones = gpd.GeoDataFrame({"zone_id": ["z1"], "name": ["城东"]},
                                 geometry=[box(113.40, 31.68, 113.46, 31.72)], crs="EPSG:4326")
        zones.to_crs(utm).to_file(folder / "results.gpkg", layer="zones", driver="GPKG")
        roads = gpd.GeoDataFrame({"road_class": ["primary"]}, crs="EPSG:4326",
                                 geometry=[LineString([(113.40, 31.70), (113.46, 31.70)])])
        roads.to_file(folder / "results.gpkg", layer="roads", driver="GPKG")
    return folder


S1 = {"site_id": "S1", "station_type": "swap", "name": "城东换电站", "year": 2025,
      "lon": 113.43, "lat": 31.70, "existing": False, "capex": 3e6}
S2 = {"site_id": "S2", "station_type": "swap", "name": None, "year": 2027,
      "lon": 113.39, "lat": 31.71, "existing": True, "capex": 0.0}


def test_load_run_reads_report_stations_and_layers_in_wgs84(tmp_path: Path) -> None:
    data = load_run(make_run(tmp_path / "run", [S1, S2]))
    assert data.report.coverage_share == 0.5  # the typed Report, not a dict
    assert data.stations.crs.to_epsg() == 4326
    assert list(data.stations["site_id"]) == ["S1", "S2"]
    assert list(data.stations["name"]) == ["城东换电站", "S2"]   # empty name -> the site id
    assert list(data.stations["existing"]) == [False, True]
    assert list(data.stations["zone"]) == ["", ""]              # filled in when absent
    assert data.stations.geometry.iloc[0].equals_exact(Point(113.43, 31.70), 1e-9)
    assert data.zones is not None and data.zones.crs.to_epsg() == 4326
    assert data.zones.total_bounds == pytest.approx([113.40, 31.68, 113.46, 31.72], abs=1e-6)
    assert data.roads is not None and data.coverage_areas is None  # layer absent


def test_without_layers_or_geopackage(tmp_path: Path, caplog) -> None:
    run = make_run(tmp_path / "run", [S1], gpkg=False)
    assert load_run(run, layers=False).zones is None
    assert not caplog.records                       # not asked for: no warning
    assert load_run(run).zones is None
    assert "results.gpkg not found" in caplog.text


@pytest.mark.parametrize(("edit", "match"), [
    (lambda r: (r / "report.json").unlink(), r"report\.json: not found; pass a folder"),
    (lambda r: (r / "report.json").write_text("{oops", encoding="utf-8"),
     r"report\.json: cannot be read as JSON \(.*line 1.*\); re-run"),
    (lambda r: (r / "report.json").write_text("[1, 2]", encoding="utf-8"),
     r"report\.json: top level is not a JSON object"),
    (lambda r: (r / "stations.geojson").unlink(), r"stations\.geojson: not found"),
    (lambda r: (r / "stations.geojson").write_text("<html>", encoding="utf-8"),
     r"stations\.geojson: cannot be read"),
])
def test_broken_folders_are_one_line_errors(tmp_path: Path, edit, match) -> None:
    run = make_run(tmp_path / "run", [S1], gpkg=False)
    edit(run)
    with pytest.raises(InputDataError, match=match) as info:
        load_run(run)
    assert "\n" not in str(info.value) and str(run) in str(info.value)


def test_existing_flag_written_as_text_or_missing(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", [S1, S2, S1 | {"site_id": "S3"}], gpkg=False)
    gdf = gpd.read_file(run / "stations.geojson")
    gdf["existing"] = ["False", "是", None]  # as other software may save it
    gdf.to_file(run / "stations.geojson", driver="GeoJSON")
    assert list(read_stations(run)["existing"]) == [False, True, False]


def test_stations_without_site_id(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", [S1], gpkg=False)
    gdf = gpd.read_file(run / "stations.geojson").drop(columns="site_id")
    gdf.to_file(run / "stations.geojson", driver="GeoJSON")
    with pytest.raises(InputDataError, match="column 'site_id' is missing"):
        read_stations(run)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_layer_without_crs_is_refused(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", [S1], gpkg=False)
    gpd.GeoDataFrame({"zone_id": ["z"]}, geometry=[box(0, 0, 1, 1)]).to_file(
        run / "results.gpkg", layer="zones", driver="GPKG")
    with pytest.raises(CRSMismatchError, match=r"results\.gpkg layer 'zones': has no CRS"):
        load_run(run)


def test_compare_reads_through_the_same_reader(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", [S1, S2])
    b = make_run(tmp_path / "b", [S1 | {"year": 2026}])
    cmp = compare_runs(a, b)
    st = cmp.stations.set_index("site_id")
    assert st.loc["S1", "status"] == "year_changed"
    assert st.loc["S2", "status"] == "removed"
    assert st.loc["S2", "name"] == "S2"          # named as the briefing names it
    assert read_report(a).budget == 10e6
    kpis = cmp.kpis.set_index("key")
    assert kpis.loc["stations:swap", "change"] == -1
    assert kpis.loc["stations:swap", "figure"] == "站点数：换电站"  # the run's language


def test_compare_with_an_empty_plan(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", [S1])
    b = make_run(tmp_path / "b", [])
    st = compare_runs(a, b).stations
    assert list(st["status"]) == ["removed"] and list(st["site_id"]) == ["S1"]
