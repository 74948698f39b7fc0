"""Tests for siting.export and siting._atomic: every file re-read and compared to the input."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon

from siting._atomic import MARKER, atomic_dir, atomic_write_bytes, atomic_write_text
from siting._errors import CRSMismatchError, ScenarioError
from siting.crs import gcj02_to_wgs84
from siting.export import (
    shapefile_field_names,
    write_outputs,
    write_shapefile,
)
from siting.results import STATION_COLUMNS, SitingResult
from siting.scenario import Scenario
from tests.helpers_report import make_report

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    _, _, d = GEOD.inv(np.asarray(lon1, float), np.asarray(lat1, float),
                       np.asarray(lon2, float), np.asarray(lat2, float))
    return np.asarray(d)


# ----------------------------------------------------------------------------- fixtures
def make_scenario() -> Scenario:
    return Scenario.model_validate({
        "name": "随州测试", "name_en": "Suizhou test", "years": [2025],
        "network": {"bbox": [113.3, 31.6, 113.5, 31.75]},
        "demand": {"path": "fleet.geojson"}, "candidates": {"path": "cand.geojson"},
        "segments": [{"id": "sanitation", "vehicle_class": "heavy", "threshold_min": 15,
                      "kwh_per_km": 1.5, "h2_kg_per_km": 0.1, "nev_share": {2025: 0.4},
                      "pathway_split": {"swap": 0.5, "hydrogen": 0.5}}],
        "station_types": [
            {"id": "swap", "name": "换电站", "name_en": "Battery swap", "serves": ["swap"],
             "capex": 5e6, "capacity": 8000, "color": "#1f78b4"},
            {"id": "h2", "name": "加氢站", "name_en": "Hydrogen", "serves": ["hydrogen"],
             "capex": 1.2e7, "capacity": 1000, "capacity_unit": "kg/day",
             "color": "#33a02c"},
        ],
        "budget": {"total": 3e7},
    })


STATION_XY = [(113.3812345678, 31.6923456789), (113.4801, 31.6979), (113.3903, 31.6012)]


def make_result(seconds: float = 0.5) -> SitingResult:
    sc = make_scenario()
    stations = gpd.GeoDataFrame({
        "site_id": ["c1", "c2", "e1"], "name": ["城区站", "淅河化工园站", "何店现有站"],
        "station_type": ["swap", "h2", "swap"], "family": ["swap", "hydrogen", "swap"],
        "capex": [5e6, 1.2e7, 0.0], "capacity": [8000.0, 1000.0, 8000.0],
        "capacity_unit": ["kWh/day", "kg/day", "kWh/day"], "zone": ["", "xihe", "hedian"],
        "year": [2025, 2025, 2025], "existing": [False, False, True],
        "figures_year": [2025, 2025, 2025],
        "served_demand": [12.3456789, 7.0, 0.0], "served_vehicles": [12.3456789, 7.0, 0.0],
        "served_energy": [4321.123456, 500.0, 0.0], "energy_unit": ["kWh/day", "kg/day", "kWh/day"],
        "served_h2_kg": [np.nan, np.nan, np.nan], "utilisation": [0.540140432, 0.5, 0.0],
        "n_demand_served": [3, 1, 0], "marginal_demand": [2.0, 1.0, 0.0],
        "reason": ["serves 12.3 NEV vehicles, 含中文, \"quotes\"", "H2 in 淅河",
                   "existing station"],
    }, geometry=[Point(x, y) for x, y in STATION_XY], crs="EPSG:4326")
    demand = gpd.GeoDataFrame({
        "demand_id": ["d1:swap:2025", "d2:hydrogen:2025", "d3:swap:2025", "d4:swap:2025"],
        "fleet_id": ["d1", "d2", "d3", "d4"], "segment": ["sanitation"] * 4,
        "pathway": ["swap", "hydrogen", "swap", "swap"], "year": [2025] * 4,
        "vehicles": [4.0, 7.0, 8.3456, 1.0], "energy": [480.0, 70.0, 1001.5, 120.0],
        "weight": [4.0, 7.0, 8.3456, 1.0], "served_share": [1.0, 1.0, 0.5, 0.0],
        "served_by": ["c1", "c2", "c1", ""],
    }, geometry=[Point(113.37, 31.70), Point(113.47, 31.69), Point(113.39, 31.69),
                 Point(113.30, 31.62)], crs="EPSG:4326")
    candidates = gpd.GeoDataFrame({
        "site_id": ["c1", "c2", "c3"], "name": ["城区站", "淅河化工园站", "府南"],
        "allowed_types": ["swap", "h2;swap", "swap"], "zone": ["", "xihe", ""],
        "rule_outcome": ["eligible", "eligible", "h2: excluded (no supply within 30 km)"],
        "chosen": [True, True, False], "existing": [False, False, False],
    }, geometry=[Point(x, y) for x, y in STATION_XY[:2]] + [Point(113.45, 31.67)],
        crs="EPSG:4326")
    coverage = gpd.GeoDataFrame({
        "site_id": ["c1", "c2"], "station_type": ["swap", "h2"],
        "threshold_min": [15.0, 15.0]},
        geometry=[Point(STATION_XY[0]).buffer(0.02), Point(STATION_XY[1]).buffer(0.02)],
        crs="EPSG:4326")
    zones = gpd.GeoDataFrame({"zone_id": ["xihe", "hedian"], "name": ["淅河化工园", "何店"]},
                             geometry=[Polygon([(113.47, 31.69), (113.49, 31.69), (113.49, 31.70),
                                                (113.47, 31.70)]),
                                       Point(113.39, 31.60).buffer(0.01)], crs="EPSG:4326")
    roads = gpd.GeoDataFrame({"road_class": ["primary", "trunk"]},
                             geometry=[LineString([(113.365, 31.71), (113.475, 31.695)]),
                                       LineString([(113.376, 31.73), (113.378, 31.67)])],
                             crs="EPSG:4326")
    # an extra layer in a metric CRS with a tuple column, as the pipeline may hand over
    supply = gpd.GeoDataFrame({"supply_id": ["s1"], "serves": [("a", "b")]},
                              geometry=[Point(113.48, 31.70)], crs="EPSG:4326").to_crs(32649)
    report = make_report(
        name=sc.name, budget=3e7, spent=1.7e7, coverage=0.9012345678,
        objective=19.3456789123,
        by_type={"swap": _type_figures(2), "h2": _type_figures(1)},
        by_zone={"xihe": {"count": 1, "by_type": {}, "capex": 1.0},
                 "hedian": {"count": 1, "by_type": {}, "capex": 1.0}},
        solver={"name": "highs", "status": "optimal", "gap": 1e-9, "bound": float("nan"),
                "seconds": seconds},
        timings={"model": seconds})
    return SitingResult(sc, stations, demand, candidates, coverage, zones, roads, report,
                        {"h2_supply": supply})


def _type_figures(count: int) -> dict:
    return {"name": "t", "count": count, "new": count, "existing": 0, "capex": 1.0,
            "capacity": 1.0, "capacity_unit": "kWh/day", "served_demand": 1.0,
            "served_vehicles": 1.0, "served_energy": 1.0}


def write_map(result: SitingResult, path: Path) -> None:
    path.write_text(f"<html><body>{len(result.stations)} stations</body></html>",
                    encoding="utf-8")


# ----------------------------------------------------------------------------- contract
def check_run(run: Path) -> list[str]:
    """The output-contract checks of the workspace's check_run tool, restated minimally."""
    files = ["map.html", "stations.geojson", "report.json", "results.gpkg", "summary.csv"]
    problems = [f for f in files if not (run / f).is_file() or (run / f).stat().st_size == 0]
    if problems:
        return problems
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    problems += [k for k in ("scenario", "budget", "spent", "objective", "coverage_share",
                             "by_type", "by_zone", "solver", "inputs", "data_provenance")
                 if k not in report]
    problems += [f"solver.{k}" for k in ("name", "status", "gap", "bound", "seconds")
                 if k not in report.get("solver", {})]
    if report["spent"] > report["budget"] + 1e-6:
        problems.append("overspent")
    if not 0 <= report["coverage_share"] <= 1:
        problems.append("coverage_share")
    feats = json.loads((run / "stations.geojson").read_text(encoding="utf-8"))["features"]
    if not feats:
        problems.append("no stations")
    for f in feats:
        missing = [p for p in ("site_id", "station_type", "capex", "capacity", "zone", "year",
                               "existing", "served_demand") if p not in f["properties"]]
        lon, lat = f["geometry"]["coordinates"][:2]
        if missing or not (73 <= lon <= 136 and 3 <= lat <= 54):
            problems.append(f"feature {f['properties'].get('site_id')}")
    if not (run / "summary.csv").read_bytes().startswith(b"\xef\xbb\xbf"):
        problems.append("BOM")
    return problems


@pytest.fixture(scope="module")
def run_4547(tmp_path_factory) -> tuple[Path, SitingResult]:
    result = make_result()
    out = tmp_path_factory.mktemp("runs") / "run"
    write_outputs(result, out, crs="EPSG:4547", lang="zh", map_writer=write_map, shapefile=True)
    return out, result


def test_contract_holds(run_4547):
    out, _ = run_4547
    assert check_run(out) == []
    assert (out / "map.html").read_text(encoding="utf-8").endswith("3 stations</body></html>")


def test_no_temp_or_old_folders_left(run_4547):
    out, _ = run_4547
    assert [p.name for p in out.parent.iterdir()] == ["run"]


def test_stations_geojson_matches_input(run_4547):
    out, result = run_4547
    doc = json.loads((out / "stations.geojson").read_text(encoding="utf-8"))
    assert "crs" not in doc  # RFC 7946: WGS84 implied
    feats = doc["features"]
    st = result.stations
    assert len(feats) == len(st)
    for f, (_, row) in zip(feats, st.iterrows(), strict=True):
        props = f["properties"]
        assert list(props)[: len(STATION_COLUMNS)] == list(STATION_COLUMNS)
        for col in STATION_COLUMNS:
            want = row[col]
            if isinstance(want, float) and np.isnan(want):
                assert props[col] is None  # JSON has no NaN: a missing figure is null
            elif isinstance(want, float):
                assert props[col] == pytest.approx(want, abs=1e-6)
            else:
                assert props[col] == (bool(want) if isinstance(want, np.bool_) else want)
        lon, lat = f["geometry"]["coordinates"]
        assert metres(lon, lat, row.geometry.x, row.geometry.y) < 0.002
    # and GDAL reads it back the same way
    back = gpd.read_file(out / "stations.geojson", engine="pyogrio")
    assert back.crs.to_epsg() == 4326
    assert list(back["name"]) == list(st["name"])
    assert back["existing"].tolist() == [False, False, True]


def test_epsg4547_geojson_round_trip(run_4547):
    out, result = run_4547
    path = out / "stations_EPSG4547.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["crs_name"] == "EPSG:4547"
    back = gpd.read_file(path, engine="pyogrio")
    assert back.crs.to_epsg() == 4547
    x = back.geometry.x.to_numpy()
    assert ((x > 300_000) & (x < 700_000)).all()  # Gauss-Kruger zone 38 eastings, metres
    wgs = back.to_crs(4326)
    d = metres(wgs.geometry.x, wgs.geometry.y, result.stations.geometry.x,
               result.stations.geometry.y)
    assert d.max() < 0.01
    assert list(back["site_id"]) == ["c1", "c2", "e1"]


def test_gcj02_output_round_trip(tmp_path):
    result = make_result()
    out = write_outputs(result, tmp_path / "gcj", crs="gcj02")
    doc = json.loads((out / "stations_GCJ02.geojson").read_text(encoding="utf-8"))
    assert doc["crs_name"] == "GCJ-02" and "GCJ-02" in doc["coordinate_convention"]
    xy = np.array([f["geometry"]["coordinates"] for f in doc["features"]])
    lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    st = result.stations
    assert metres(lon, lat, st.geometry.x, st.geometry.y).max() < 0.01
    assert metres(xy[:, 0], xy[:, 1], st.geometry.x, st.geometry.y).min() > 100  # shifted
    # the GeoPackage is shifted the same way (labelled 4326)
    g = gpd.read_file(out / "results.gpkg", layer="stations", engine="pyogrio")
    np.testing.assert_allclose(g.geometry.x, xy[:, 0], atol=1e-8)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["output_crs"] == "GCJ-02"


def test_report_json(run_4547):
    out, result = run_4547
    raw = (out / "report.json").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8")
    assert "示意" in text  # ensure_ascii=False
    rep = json.loads(text)
    assert rep["output_crs"] == "EPSG:4547"
    assert rep["coverage_share"] == round(result.report.coverage_share, 6)
    assert rep["objective"] == pytest.approx(19.345679, abs=1e-12)
    assert rep["solver"]["gap"] == 1e-9  # tiny numbers keep significant digits
    assert rep["solver"]["bound"] is None  # NaN -> null
    assert rep["by_year"]["2025"]["spent"] == 1.7e7
    assert rep["inputs"]["demand_points"] == 4
    # sorted keys, 2-space indent
    assert text == json.dumps(rep, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert result.report.output_crs is None  # the input is not modified


def test_geopackage_layers_and_values(run_4547):
    out, result = run_4547
    gpkg = out / "results.gpkg"
    names = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    for layer in ("stations", "demand", "candidates", "coverage_areas", "zones", "roads",
                  "h2_supply"):
        assert layer in names
    frames = {"stations": result.stations, "demand": result.demand,
              "candidates": result.candidates, "coverage_areas": result.coverage_areas,
              "zones": result.zones, "roads": result.roads}
    for layer, src in frames.items():
        back = gpd.read_file(gpkg, layer=layer, engine="pyogrio")
        assert back.crs.to_epsg() == 4547, layer
        assert len(back) == len(src), layer
        wgs = back.to_crs(4326)
        for g0, g1 in zip(src.geometry, wgs.geometry, strict=True):
            assert g0.geom_type == g1.geom_type
            c0, c1 = shapely.get_coordinates(g0), shapely.get_coordinates(g1)
            assert metres(c0[:, 0], c0[:, 1], c1[:, 0], c1[:, 1]).max() < 0.01, layer
    dem = gpd.read_file(gpkg, layer="demand", engine="pyogrio")
    np.testing.assert_allclose(dem["served_share"], result.demand["served_share"])
    cand = gpd.read_file(gpkg, layer="candidates", engine="pyogrio")
    assert list(cand["rule_outcome"]) == list(result.candidates["rule_outcome"])
    assert cand["chosen"].tolist() == [True, True, False]
    sup = gpd.read_file(gpkg, layer="h2_supply", engine="pyogrio")
    assert sup["serves"].tolist() == ["a; b"]
    w = sup.to_crs(4326).geometry.iloc[0]
    assert metres(w.x, w.y, 113.48, 31.70) < 0.01


def test_layer_styles_table(run_4547):
    out, result = run_4547
    con = sqlite3.connect(out / "results.gpkg")
    try:
        rows = con.execute("SELECT f_table_name, f_geometry_column, styleQML, useAsDefault "
                           "FROM layer_styles ORDER BY f_table_name").fetchall()
        contents = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                               "'layer_styles'").fetchone()
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM "
                                     "gpkg_geometry_columns").fetchall())
    finally:
        con.close()
    assert contents == ("attributes",)
    styles = {r[0]: r for r in rows}
    assert {"stations", "demand", "coverage_areas", "candidates", "zones", "roads"} <= set(
        styles)
    for name, (_, geom_col, qml, default) in styles.items():
        assert geom_col == geom_cols[name]
        assert default == 1
        ET.fromstring(qml.split("\n", 1)[1])  # well-formed after the DOCTYPE line
    # every layer has its style, not only the core six (supply sites, corridors ...)
    assert set(styles) == set(geom_cols) - {"layer_styles"}
    st = ET.fromstring(styles["stations"][2].split("\n", 1)[1])
    rend = st.find("renderer-v2")
    assert rend.get("type") == "RuleRenderer"
    rules = {r.get("filter"): r for r in rend.find("rules")}
    sym = {s.get("name"): s for s in rend.find("symbols")}

    def rule(type_id: str, existing: bool):
        expr = f'"station_type" = \'{type_id}\' AND ' + (
            '"existing"' if existing else 'NOT "existing"')
        return rules[expr], sym[rules[expr].get("symbol")]

    for type_id in set(result.stations["station_type"]):
        assert rule(type_id, False)[0] is not None
    assert rule("h2", False)[0].get("label") == "加氢站（新建）"
    _new, new_sym = rule("swap", False)
    _old, old_sym = rule("swap", True)

    def props(symbol, cls):
        layer = symbol.find(f"layer[@class='{cls}']")
        return {o.get("name"): o.get("value") for o in layer.find("Option")}

    assert props(new_sym, "SimpleMarker")["color"] == "31,120,180,255"  # #1f78b4, the scenario
    assert props(old_sym, "SimpleMarker")["color"] == "255,255,255,255"  # existing: hollow
    assert props(old_sym, "SimpleMarker")["outline_color"] == "31,120,180,255"
    glyph = result.scenario.station_type("swap").glyph
    assert props(new_sym, "FontMarker")["chr"] == glyph                    # the type's glyph
    assert props(new_sym, "SimpleMarker")["name"] == "square"              # swap family
    # stations and zones are labelled
    assert st.get("labelsEnabled") == "1" and st.find("labeling") is not None
    zones = ET.fromstring(styles["zones"][2].split("\n", 1)[1])
    assert zones.get("labelsEnabled") == "1"
    dem = ET.fromstring(styles["demand"][2].split("\n", 1)[1]).find("renderer-v2")
    assert dem.get("type") == "graduatedSymbol" and dem.get("attr") == "served_share"
    ranges = [(float(r.get("lower")), float(r.get("upper"))) for r in dem.find("ranges")]
    assert ranges[0][0] == 0.0 and ranges[-1][1] == 1.0
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    # GDAL sees the table as a plain attribute layer too
    assert "layer_styles" in [str(n) for n in pyogrio.list_layers(out / "results.gpkg")[:, 0]]
    # demand is greys (no station colour reused), darkest where nothing is served
    colours = [s.find(".//Option[@name='color']").get("value") for s in dem.find("symbols")]
    assert all(len({int(v) for v in c.split(",")[:3]}) == 1 for c in colours)


def test_geopackage_version_reads_in_gdal_36(run_4547):
    # GDAL 3.7+ writes GeoPackage 1.4, which GDAL 3.6 / QGIS 3.22 LTR open with "may only be
    # partially supported"; the file says 1.2
    out, _ = run_4547
    con = sqlite3.connect(out / "results.gpkg")
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    assert app_id == 0x47504B47  # "GPKG"
    assert version == 10200
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo:
        res = subprocess.run([ogrinfo, "-so", "-q", str(out / "results.gpkg")],
                             capture_output=True, text=True, check=True)
        assert "partially supported" not in res.stdout + res.stderr


def test_summary_csv(run_4547):
    out, result = run_4547
    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(result.stations)
    assert list(rows[0])[:4] == ["站址编号", "名称", "类型编号", "类型"]
    assert [r["站址编号"] for r in rows] == ["c1", "c2", "e1"]
    assert [r["类型"] for r in rows] == ["换电站", "加氢站", "换电站"]
    assert [r["现有站"] for r in rows] == ["否", "否", "是"]
    assert rows[0]["选址理由"] == result.stations["reason"].iloc[0]  # quotes and commas survive
    assert float(rows[1]["投资（元）"]) == 1.2e7
    assert float(rows[0]["经度（WGS84）"]) == pytest.approx(STATION_XY[0][0], abs=1e-7)
    x = float(rows[0]["X（EPSG:4547）"])
    assert 300_000 < x < 700_000


def test_summary_csv_english(tmp_path):
    out = write_outputs(make_result(), tmp_path / "en", lang="en")
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text("utf-8-sig"))))
    assert rows[1]["type_name"] == "Hydrogen" and rows[2]["existing"] == "yes"
    assert not [k for k in rows[0] if k.startswith("x_")]
    assert not (out / "map.html").exists()  # no map writer, no map
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "report.json", "results.gpkg",
                                                    "stations.geojson", "summary.csv",
                                                    "summary.xlsx"]


def test_summary_xlsx_holds_the_csv_table_typed(run_4547):
    """summary.xlsx, re-read by calamine: the CSV's table cell for cell (text as text,
    numbers as numbers), and an about sheet naming the final year, the solver's outcome and
    the data's provenance."""
    from python_calamine import CalamineWorkbook

    out, result = run_4547
    rows = list(csv.reader(io.StringIO((out / "summary.csv").read_text("utf-8-sig"))))
    wb = CalamineWorkbook.from_path(str(out / "summary.xlsx"))
    assert wb.sheet_names == ["站点", "按年度", "说明"]
    cells = wb.get_sheet_by_index(0).to_python()
    assert cells[0] == rows[0]
    assert len(cells) == len(rows) == len(result.stations) + 1
    for got, want in zip(cells[1:], rows[1:], strict=True):
        for g, w in zip(got, want, strict=True):
            if isinstance(g, float):
                assert g == pytest.approx(float(w), rel=1e-12)
            else:
                assert g == w
    assert [r[0] for r in cells[1:]] == ["c1", "c2", "e1"]
    rep = result.report
    years = wb.get_sheet_by_name("按年度").to_python()
    assert years[0][:4] == ["年份", "新能源车辆（辆）", "已覆盖（辆）", "覆盖率"]
    assert len(years) == len(rep.by_year) + 1
    for row, y in zip(years[1:], rep.by_year.values(), strict=True):
        got = dict(zip(years[0], row, strict=True))
        assert got["年份"] == y.year and got["当年投资（元）"] == pytest.approx(y.spent)
        assert got["已覆盖（辆）"] == pytest.approx(y.vehicles_covered)
    import openpyxl

    book = openpyxl.load_workbook(out / "summary.xlsx")
    row = {h.value: c.number_format for h, c in zip(book["按年度"][1], book["按年度"][2],
                                                    strict=True)}
    assert (row["覆盖率"], row["当年投资（元）"], row["年份"]) == ("0.0%", "#,##0", "0")
    station = {h.value: c.number_format for h, c in zip(book["站点"][1], book["站点"][2],
                                                        strict=True)}
    assert station["投资（元）"] == "#,##0" and station["利用率（2025年）"] == "0.0%"
    about = dict(wb.get_sheet_by_name("说明").to_python())
    assert str(rep.final_year) in about["数据口径"]
    assert about["数据来源"] == rep.data_provenance
    assert "求解" in about and "HiGHS" in about["求解"]
    assert about["方案"] == result.scenario.name


def test_shapefiles(run_4547):
    out, result = run_4547
    folder = out / "shapefile"
    for name in ("stations", "demand", "candidates", "coverage_areas"):
        shp = folder / f"{name}.shp"
        assert shp.is_file()
        assert shp.with_suffix(".cpg").read_text(encoding="ascii").strip().upper() in (
            "GBK", "CP936", "936")
        info = pyogrio.read_info(shp)
        assert all(len(f) <= 10 and f.isascii() for f in info["fields"])
    back = gpd.read_file(folder / "stations.shp", engine="pyogrio")
    assert back.crs.to_epsg() == 4547
    assert list(back["name"]) == list(result.stations["name"])
    assert list(back["st_type"]) == list(result.stations["station_type"])
    np.testing.assert_allclose(back["srv_demand"], result.stations["served_demand"], atol=1e-6)
    # the DBF really is GBK: the raw bytes contain the GBK encoding of a name
    assert "淅河化工园站".encode("gbk") in (folder / "stations.dbf").read_bytes()
    fields = list(csv.reader(io.StringIO(
        (folder / "shapefile_fields.csv").read_text(encoding="utf-8-sig"))))
    assert ["stations", "srv_demand", "served_demand"] in fields


def test_shapefile_field_names():
    names = shapefile_field_names(["served_demand", "a_very_long_column_name",
                                   "a_very_long_column_other", "服务", "需求", "site_id"])
    assert names["served_demand"] == "srv_demand"
    assert names["site_id"] == "site_id"
    assert len(set(names.values())) == len(names)
    assert all(len(v) <= 10 and v.isascii() for v in names.values())


def test_write_shapefile_standalone_wgs84(tmp_path):
    paths = write_shapefile(make_result(), tmp_path / "shp")
    assert [p.name for p in paths] == ["stations.shp", "demand.shp", "candidates.shp",
                                       "coverage_areas.shp"]
    back = gpd.read_file(paths[1], engine="pyogrio")
    assert back.crs.to_epsg() == 4326
    np.testing.assert_allclose(back.geometry.x, make_result().demand.geometry.x)


# ----------------------------------------------------------------------------- stability
def test_byte_identical_rerun(tmp_path):
    out = tmp_path / "run"
    write_outputs(make_result(), out, crs="EPSG:4547", map_writer=write_map)
    first = {n: (out / n).read_bytes() for n in ("stations.geojson", "report.json",
                                                 "stations_EPSG4547.geojson", "summary.csv")}
    write_outputs(make_result(), out, crs="EPSG:4547", map_writer=write_map)
    for n, data in first.items():
        assert (out / n).read_bytes() == data, n
    # only the timing fields differ when the solve took longer
    write_outputs(make_result(seconds=9.25), out, crs="EPSG:4547", map_writer=write_map)
    assert (out / "stations.geojson").read_bytes() == first["stations.geojson"]
    a = json.loads(first["report.json"])
    b = json.loads((out / "report.json").read_bytes())
    assert b["solver"]["seconds"] == 9.25 and b["timings"]["model"] == 9.25
    for rep in (a, b):
        rep["solver"].pop("seconds")
        rep.pop("timings")
    assert a == b


# ----------------------------------------------------------------------------- atomicity
def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize("exc", [RuntimeError("map failed"), KeyboardInterrupt()])
def test_failing_map_writer_keeps_previous_run(tmp_path, exc):
    out = tmp_path / "run"
    write_outputs(make_result(), out, map_writer=write_map)
    before = _snapshot(out)

    def broken(result, path):
        path.write_text("half a map", encoding="utf-8")
        raise exc

    changed = replace(make_result(), report=make_result().report.model_copy(update={"spent": 1.0}))
    with pytest.raises(type(exc)):
        write_outputs(changed, out, map_writer=broken)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_failure_on_first_run_leaves_nothing(tmp_path):
    def broken(result, path):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_outputs(make_result(), tmp_path / "new", map_writer=broken)
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_replace_foreign_folder_or_file(tmp_path):
    home = tmp_path / "documents"
    home.mkdir()
    (home / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(ScenarioError, match="not a siting run"):
        write_outputs(make_result(), home)
    assert (home / "thesis.docx").read_bytes() == b"precious"
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ScenarioError, match="is a file, not a folder"):
        write_outputs(make_result(), f)
    empty = tmp_path / "empty"
    empty.mkdir()
    write_outputs(make_result(), empty)
    assert (empty / "report.json").is_file()


def test_bad_crs_is_refused_before_writing(tmp_path):
    with pytest.raises(CRSMismatchError, match="output_crs: unknown CRS 'UTM'"):
        write_outputs(make_result(), tmp_path / "r", crs="UTM")
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_swaps_and_cleans(tmp_path):
    out = tmp_path / "a" / "b"
    with atomic_dir(out) as tmp:
        assert tmp.name == f".b.tmp-{os.getpid()}" and tmp.parent == out.parent
        (tmp / "x.txt").write_text("1")
        assert not out.exists()
    assert (out / "x.txt").read_text() == "1"
    with pytest.raises(ValueError), atomic_dir(out) as tmp:
        (tmp / "x.txt").write_text("2")
        raise ValueError
    assert (out / "x.txt").read_text() == "1"
    assert sorted(p.name for p in out.parent.iterdir()) == ["b"]
    with atomic_dir(out) as tmp:
        (tmp / "y.txt").write_text("3")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "y.txt"]


def test_atomic_write_text_and_bytes(tmp_path):
    p = tmp_path / "f.csv"
    atomic_write_text(p, "名称\n", encoding="utf-8-sig")
    assert p.read_bytes() == "\ufeff名称\n".encode()
    atomic_write_bytes(p, b"new")
    assert p.read_bytes() == b"new"
    assert [q.name for q in tmp_path.iterdir()] == ["f.csv"]

    with pytest.raises(TypeError):
        atomic_write_bytes(p, "not bytes")  # type: ignore[arg-type]
    assert p.read_bytes() == b"new"
    assert [q.name for q in tmp_path.iterdir()] == ["f.csv"]


def test_empty_result_still_writes(tmp_path):
    r = make_result()
    empty = replace(r, stations=r.stations.iloc[0:0], coverage_areas=r.coverage_areas.iloc[0:0])
    out = write_outputs(empty, tmp_path / "empty", crs="EPSG:4547")
    doc = json.loads((out / "stations.geojson").read_text(encoding="utf-8"))
    assert doc["features"] == []
    rows = (out / "summary.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1
    assert len(gpd.read_file(out / "results.gpkg", layer="stations", engine="pyogrio")) == 0


def test_geopackage_layers_are_titled_in_the_runs_language(run_4547, tmp_path):
    """Each layer's title (gpkg_contents.identifier, the name the QGIS plugin gives the layer)
    is the map legend's, in the run's language: a Chinese run's layers were loaded into QGIS as
    stations, demand, coverage_areas ..."""
    from siting.export.geopackage import write_geopackage, write_layer_titles
    from siting.i18n import t

    def titles(gpkg: Path) -> dict[str, str]:
        with sqlite3.connect(gpkg) as con:
            return dict(con.execute("SELECT table_name, identifier FROM gpkg_contents"))

    zh = titles(run_4547[0] / "results.gpkg")
    want = {"stations": "layer.stations", "demand": "layer.demand",
            "candidates": "layer.candidates", "coverage_areas": "layer.coverage",
            "zones": "layer.zones", "roads": "layer.roads", "h2_supply": "layer.h2_supply"}
    assert {k: zh[k] for k in want} == {k: t(v, "zh") for k, v in want.items()}
    assert zh["stations"] == "站点" and zh["coverage_areas"] == "服务范围"
    assert zh["layer_styles"] == "layer_styles"  # tables without a title keep their name
    en = titles(write_geopackage(make_result(), tmp_path / "en.gpkg", lang="en"))
    assert {k: en[k] for k in want} == {k: t(v, "en") for k, v in want.items()}
    assert en["stations"] == "Stations" and en["coverage_areas"] == "Coverage areas"
    # identifiers are unique in a GeoPackage: a title another table has is not given
    write_layer_titles(tmp_path / "en.gpkg", {"roads": "Zones", "no_such_layer": "x"})
    assert titles(tmp_path / "en.gpkg")["roads"] == "Roads"
