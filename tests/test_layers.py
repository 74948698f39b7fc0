"""Tests for siting.layers: every check of read_layer on small files written here."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, Polygon

from siting._errors import CRSMismatchError, InputDataError, ScenarioError
from siting.crs import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_gcj02
from siting.layers import read_layer, read_table
from siting.scenario import LayerSpec, NetworkSpec

GEOD = Geod(ellps="WGS84")
pytestmark = [
    pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning"),
    pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning"),
]
FLEET = {"fleet_id": "text", "segment": "text", "vehicles": "number", "daily_km": "number"}


def feature(fid, lon, lat, **props):
    base = {"fleet_id": fid, "segment": "sanitation", "vehicles": 10, "daily_km": 80.0}
    base.update(props)
    return {"type": "Feature", "properties": base,
            "geometry": None if lon is None else {"type": "Point", "coordinates": [lon, lat]}}


def write_geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def good_features() -> list[dict]:
    return [feature("f1", 113.38, 31.69), feature("f2", 113.43, 31.70, vehicles=4),
            feature("f3", 113.39, 31.60, segment="logistics", daily_km=120)]


def read(path, **kw):
    spec = LayerSpec(path=path, **{k: kw.pop(k) for k in ("crs", "coords", "layer") if k in kw})
    kw.setdefault("what", "demand")
    kw.setdefault("required", FLEET)
    kw.setdefault("geom", "point")
    kw.setdefault("id_column", "fleet_id")
    return read_layer(spec, **kw)


# ----------------------------------------------------------------------------- happy paths
def test_reads_geojson_with_types(tmp_path):
    gdf = read(write_geojson(tmp_path / "fleet.geojson", good_features()))
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["fleet_id"]) == ["f1", "f2", "f3"]
    assert gdf["vehicles"].dtype == np.float64
    assert list(gdf["vehicles"]) == [10.0, 4.0, 10.0]
    assert gdf.geometry.iloc[2].x == pytest.approx(113.39)
    assert list(gdf.index) == [0, 1, 2]


def test_projected_cgcs2000_layer_is_reprojected(tmp_path):
    pts = [(113.38, 31.69), (113.475, 31.695), (113.39, 31.60)]
    t = Transformer.from_crs(4326, 4547, always_xy=True)
    xy = [t.transform(*p) for p in pts]
    gdf = gpd.GeoDataFrame({"fleet_id": ["a", "b", "c"], "segment": ["s"] * 3,
                            "vehicles": [1, 2, 3], "daily_km": [50, 60, 70]},
                           geometry=[Point(x, y) for x, y in xy], crs="EPSG:4547")
    path = tmp_path / "fleet.gpkg"
    gdf.to_file(path, layer="fleet", engine="pyogrio")
    out = read(path)
    assert out.crs.to_epsg() == 4326
    _, _, d = GEOD.inv(out.geometry.x.to_numpy(), out.geometry.y.to_numpy(),
                       [p[0] for p in pts], [p[1] for p in pts])
    assert np.max(d) < 0.01
    assert list(out["vehicles"]) == [1.0, 2.0, 3.0]


def test_case_insensitive_column_and_numeric_ids(tmp_path):
    feats = [feature(1.0, 113.38, 31.69), feature(2, 113.4, 31.7)]
    for f in feats:
        f["properties"]["Vehicles"] = f["properties"].pop("vehicles")
    gdf = read(write_geojson(tmp_path / "f.geojson", feats))
    assert list(gdf["fleet_id"]) == ["1", "2"]
    assert "vehicles" in gdf.columns and "Vehicles" not in gdf.columns


def test_int_column(tmp_path):
    feats = good_features()
    gdf = read(write_geojson(tmp_path / "f.geojson", feats),
               required={"fleet_id": "text", "vehicles": "int"})
    assert gdf["vehicles"].dtype == np.int64
    feats[1]["properties"]["vehicles"] = 2.5
    with pytest.raises(InputDataError,
                       match=r"feature 2 \(fleet_id 'f2'\): column 'vehicles' is 2.5, not"):
        read(write_geojson(tmp_path / "g.geojson", feats),
             required={"fleet_id": "text", "vehicles": "int"})


def test_optional_columns_checked_only_when_present(tmp_path):
    path = write_geojson(tmp_path / "f.geojson", good_features())
    gdf = read(path, optional={"name": "text", "capex_factor": "number"})
    assert "capex_factor" not in gdf.columns
    feats = good_features()
    feats[2]["properties"]["capex_factor"] = "high"
    feats[0]["properties"]["capex_factor"] = 1.2
    feats[1]["properties"]["capex_factor"] = 1
    with pytest.raises(InputDataError,
                       match=r"feature 3 \(fleet_id 'f3'\): column 'capex_factor' has 'high'"):
        read(write_geojson(tmp_path / "g.geojson", feats), optional={"capex_factor": "number"})


# ----------------------------------------------------------------------------- file errors
def test_missing_file(tmp_path):
    path = tmp_path / "nope.gpkg"
    with pytest.raises(ScenarioError) as e:
        read(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: cannot read demand layer: file not found;")
    assert "\n" not in msg


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage at all" * 10)
    with pytest.raises(ScenarioError, match=r"broken.gpkg: cannot read demand layer: .*; check"):
        read(path)


def test_unknown_layer_name_suggests(tmp_path):
    gdf = gpd.GeoDataFrame({"fleet_id": ["a"], "segment": ["s"], "vehicles": [1],
                            "daily_km": [5]}, geometry=[Point(113.4, 31.7)], crs=4326)
    path = tmp_path / "two.gpkg"
    gdf.to_file(path, layer="fleet_2025", engine="pyogrio")
    gdf.to_file(path, layer="roads", engine="pyogrio")
    with pytest.raises(ScenarioError, match=r"no layer 'fleet_2024' \(did you mean 'fleet_2025'"):
        read(path, layer="fleet_2024")
    assert len(read(path, layer="fleet_2025")) == 1


def test_empty_layer(tmp_path):
    with pytest.raises(InputDataError, match="demand layer has no features"):
        read(write_geojson(tmp_path / "e.geojson", []))


def test_missing_column_suggests_nearest(tmp_path):
    feats = good_features()
    for f in feats:
        f["properties"]["vehicle"] = f["properties"].pop("vehicles")
    with pytest.raises(InputDataError) as e:
        read(write_geojson(tmp_path / "f.geojson", feats))
    msg = str(e.value)
    assert "no column 'vehicles' (did you mean 'vehicle'?)" in msg
    assert "rename a column to 'vehicles'" in msg


@pytest.mark.parametrize(("bad", "expect"), [
    ("many", r"feature 2 \(fleet_id 'f2'\): column 'vehicles' has 'many', not a number; "
             r"give a number"),
    (-3, r"feature 2 \(fleet_id 'f2'\): column 'vehicles' is negative \(-3\); give a value >= 0"),
    (None, r"feature 2 \(fleet_id 'f2'\): column 'vehicles' is empty \(NaN\); fill it in"),
])
def test_bad_number_names_row_and_id(tmp_path, bad, expect):
    feats = good_features()
    feats[1]["properties"]["vehicles"] = bad
    with pytest.raises(InputDataError, match=expect) as e:
        read(write_geojson(tmp_path / "f.geojson", feats))
    assert str(e.value).startswith(str(tmp_path / "f.geojson"))


def test_empty_text(tmp_path):
    feats = good_features()
    feats[2]["properties"]["segment"] = "  "
    with pytest.raises(InputDataError,
                       match=r"feature 3 \(fleet_id 'f3'\): column 'segment' is empty"):
        read(write_geojson(tmp_path / "f.geojson", feats))


def test_duplicate_ids(tmp_path):
    feats = good_features()
    feats[2]["properties"]["fleet_id"] = "f1"
    with pytest.raises(InputDataError,
                       match=r"feature 3 \(fleet_id 'f1'\): duplicate fleet_id \(also feature 1\)"):
        read(write_geojson(tmp_path / "f.geojson", feats))


# ----------------------------------------------------------------------------- geometry
def test_wrong_geometry_family(tmp_path):
    feats = good_features()
    feats[1]["geometry"] = {"type": "LineString", "coordinates": [[113.3, 31.7], [113.4, 31.7]]}
    with pytest.raises(InputDataError, match=r"feature 2 \(fleet_id 'f2'\): geometry is a "
                                             r"LineString, but "
                                             r"the demand layer needs points"):
        read(write_geojson(tmp_path / "f.geojson", feats))


def test_empty_geometry(tmp_path):
    feats = good_features()
    feats[0]["geometry"] = None
    with pytest.raises(InputDataError, match=r"feature 1 \(fleet_id 'f1'\): empty geometry"):
        read(write_geojson(tmp_path / "f.geojson", feats))


def test_multipoints(tmp_path):
    feats = good_features()
    feats[0]["geometry"] = {"type": "MultiPoint", "coordinates": [[113.38, 31.69]]}
    gdf = read(write_geojson(tmp_path / "f.geojson", feats))
    assert gdf.geometry.iloc[0].geom_type == "Point"
    assert gdf.geometry.iloc[0].x == pytest.approx(113.38)
    feats[0]["geometry"] = {"type": "MultiPoint", "coordinates": [[113.38, 31.69], [113.4, 31.7]]}
    with pytest.raises(InputDataError,
                       match=r"feature 1 \(fleet_id 'f1'\): a MultiPoint with 2 points"):
        read(write_geojson(tmp_path / "g.geojson", feats))


def test_bowtie_polygon_is_repaired_with_warning(tmp_path, caplog):
    # bow-tie: two triangles meeting at (1, 1) in a local km grid; area 2 * (2*1/2) = 2 units
    x0, y0, u = 113.40, 31.70, 0.01
    bow = Polygon([(x0, y0), (x0 + 2 * u, y0 + 2 * u), (x0 + 2 * u, y0), (x0, y0 + 2 * u)])
    square = Polygon([(x0, y0), (x0 + u, y0), (x0 + u, y0 + u), (x0, y0 + u)])
    assert not bow.is_valid
    gdf = gpd.GeoDataFrame({"zone_id": ["z1", "z2"]}, geometry=[square, bow], crs=4326)
    path = tmp_path / "zones.gpkg"
    gdf.to_file(path, engine="pyogrio")
    with caplog.at_level(logging.WARNING, logger="siting.layers"):
        out = read_layer(LayerSpec(path=path), what="zones", required={"zone_id": "text"},
                         geom="polygon", id_column="zone_id")
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[1].area == pytest.approx(2 * u * u, rel=1e-9)
    assert out.geometry.iloc[0].equals(square)
    assert any("repaired 1 invalid polygon" in r.getMessage() and "feature 2" in r.getMessage()
               for r in caplog.records)


def test_any_geometry_accepts_mixed(tmp_path):
    gdf = gpd.GeoDataFrame({"category": ["school", "hospital", "river"]},
                           geometry=[Point(113.38, 31.69),
                                     Polygon([(113.4, 31.7), (113.41, 31.7), (113.41, 31.71)]),
                                     LineString([(113.3, 31.6), (113.4, 31.7)])], crs=4326)
    path = tmp_path / "sens.geojson"
    gdf.to_file(path, engine="pyogrio")
    out = read_layer(LayerSpec(path=path), what="setbacks.sites",
                     required={"category": "text"}, geom="any")
    assert list(out.geom_type) == ["Point", "Polygon", "LineString"]


# ----------------------------------------------------------------------------- CRS
def _shapefile_without_prj(tmp_path: Path, x: float, y: float) -> Path:
    gdf = gpd.GeoDataFrame({"fleet_id": ["a"], "segment": ["s"], "vehicles": [1],
                            "daily_km": [9]}, geometry=[Point(x, y)])
    path = tmp_path / "noprj.shp"
    gdf.to_file(path, engine="pyogrio")
    assert not path.with_suffix(".prj").exists()
    return path


def test_missing_crs_raises_with_fix(tmp_path):
    path = _shapefile_without_prj(tmp_path, 113.38, 31.69)
    with pytest.raises(CRSMismatchError) as e:
        read(path)
    assert str(e.value).startswith(
        f'{path} has no CRS; add crs = "EPSG:4326" to [demand] in the scenario')


def test_missing_crs_uses_spec_crs(tmp_path):
    x, y = Transformer.from_crs(4326, 4547, always_xy=True).transform(113.38, 31.69)
    out = read(_shapefile_without_prj(tmp_path, x, y), crs="EPSG:4547")
    assert out.geometry.iloc[0].x == pytest.approx(113.38, abs=1e-8)
    assert out.geometry.iloc[0].y == pytest.approx(31.69, abs=1e-8)


def test_metres_labelled_as_degrees(tmp_path):
    path = _shapefile_without_prj(tmp_path, 437000.0, 3507000.0)
    with pytest.raises(CRSMismatchError, match=r"feature 1 \(fleet_id 'a'\): coordinates .* "
                                               r"look like "
                                               r"metres .*EPSG:4547"):
        read(path, crs="EPSG:4326")


def test_impossible_coordinates_and_swapped(tmp_path):
    feats = good_features()
    feats[1]["geometry"]["coordinates"] = [31.70, 113.43]  # lat > 90: impossible
    with pytest.raises(CRSMismatchError, match=r"feature 2 \(fleet_id 'f2'\): coordinates "
                                               r"\(31.7, 113.43\) are not valid lon/lat.*lon/lat "
                                               r"look swapped"):
        read(write_geojson(tmp_path / "s.geojson", feats))
    feats[1]["geometry"]["coordinates"] = [200.0, 31.7]
    with pytest.raises(CRSMismatchError) as e:
        read(write_geojson(tmp_path / "x.geojson", feats))
    assert "not valid lon/lat" in str(e.value) and "look swapped" not in str(e.value)


def test_outside_china_is_a_warning(tmp_path, caplog):
    """Data from elsewhere is read (the network decides whether it is usable), with hints."""
    feats = good_features()
    feats[1]["geometry"]["coordinates"] = [2.35, 48.85]  # Paris
    with caplog.at_level(logging.WARNING, logger="siting.layers"):
        out = read(write_geojson(tmp_path / "p.geojson", feats))
    assert out.geometry.iloc[1].x == pytest.approx(2.35)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "feature 2 (fleet_id 'f2')" in warned[0]
    assert "outside China" in warned[0] and "[1 of 3 feature(s)" in warned[0]
    assert "look swapped" not in warned[0]
    caplog.clear()
    feats[1]["geometry"]["coordinates"] = [31.7, 80.0]  # valid lon/lat, but swapped Xinjiang
    with caplog.at_level(logging.WARNING, logger="siting.layers"):
        read(write_geojson(tmp_path / "w.geojson", feats))
    assert "look swapped" in caplog.records[-1].getMessage()


@pytest.mark.parametrize(("coords", "inverse"), [("gcj02", gcj02_to_wgs84),
                                                 ("bd09", bd09_to_wgs84)])
def test_gcj_and_bd_flagged_layers_are_shifted(tmp_path, coords, inverse):
    path = write_geojson(tmp_path / "amap.geojson", good_features())
    out = read(path, coords=coords)
    raw = [(113.38, 31.69), (113.43, 31.70), (113.39, 31.60)]
    ex, ey = inverse(np.array([p[0] for p in raw]), np.array([p[1] for p in raw]))
    np.testing.assert_allclose(out.geometry.x, ex, atol=1e-12)
    np.testing.assert_allclose(out.geometry.y, ey, atol=1e-12)
    # the shift is hundreds of metres, so it really happened
    _, _, d = GEOD.inv(out.geometry.x.to_numpy(), out.geometry.y.to_numpy(),
                       [p[0] for p in raw], [p[1] for p in raw])
    assert (np.asarray(d) > 100).all()


def test_spec_crs_gcj02_on_file_without_crs(tmp_path):
    gx, gy = wgs84_to_gcj02(113.38, 31.69)
    out = read(_shapefile_without_prj(tmp_path, float(gx), float(gy)), crs="GCJ-02")
    _, _, d = GEOD.inv(out.geometry.iloc[0].x, out.geometry.iloc[0].y, 113.38, 31.69)
    assert d < 0.01


# ----------------------------------------------------------------------------- encodings
def _chinese_shapefile(tmp_path: Path, keep_cpg: bool, encoding: str = "GBK") -> Path:
    gdf = gpd.GeoDataFrame({"fleet_id": ["环卫1", "物流2"], "segment": ["环卫作业", "物流配送"],
                            "vehicles": [12, 30], "daily_km": [60, 150],
                            "name": ["淅河化工园", "何店示范区"]},
                           geometry=[Point(113.48, 31.70), Point(113.39, 31.60)], crs=4326)
    path = tmp_path / "fleet.shp"
    gdf.to_file(path, encoding=encoding, engine="pyogrio")
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    return path


@pytest.mark.parametrize("keep_cpg", [True, False])
def test_gbk_shapefile(tmp_path, keep_cpg):
    out = read(_chinese_shapefile(tmp_path, keep_cpg))
    assert list(out["name"]) == ["淅河化工园", "何店示范区"]
    assert list(out["fleet_id"]) == ["环卫1", "物流2"]


def test_utf8_shapefile_without_cpg(tmp_path):
    out = read(_chinese_shapefile(tmp_path, keep_cpg=False, encoding="UTF-8"))
    assert list(out["segment"]) == ["环卫作业", "物流配送"]


# ----------------------------------------------------------------------------- CSV
CSV_TEXT = "fleet_id,segment,vehicles,daily_km,经度,纬度\n007,环卫,12,60,113.38,31.69\n" \
           "008,物流,3,150,113.43,31.70\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_read_table_encodings(tmp_path, encoding):
    path = tmp_path / "fleet.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    out = read_table(path)
    assert out.crs.to_epsg() == 4326
    assert list(out["fleet_id"]) == ["007", "008"]  # leading zeros kept
    assert list(out["segment"]) == ["环卫", "物流"]
    assert out["vehicles"].tolist() == [12, 3]
    assert out.geometry.iloc[1].x == pytest.approx(113.43)
    assert out.geometry.iloc[1].y == pytest.approx(31.70)


def test_read_layer_csv_with_gcj_flag(tmp_path):
    path = tmp_path / "fleet.csv"
    path.write_bytes(CSV_TEXT.encode("gbk"))
    out = read(path, coords="gcj02")
    ex, ey = gcj02_to_wgs84(113.38, 31.69)
    assert out.geometry.iloc[0].x == pytest.approx(float(ex), abs=1e-12)
    assert out.geometry.iloc[0].y == pytest.approx(float(ey), abs=1e-12)
    assert list(out["fleet_id"]) == ["007", "008"]


def test_read_table_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,lon,lat\na,113.4,31.7\nb,east,31.7\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"row 2: coordinate column 'lon' has 'east'"):
        read_table(path)
    path.write_text("id,long_deg,lat\na,113.4,31.7\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="no longitude column"):
        read_table(path)


def test_line_layer(tmp_path):
    gdf = gpd.GeoDataFrame({"highway": ["primary", "trunk"]},
                           geometry=[LineString([(113.36, 31.71), (113.43, 31.70)]),
                                     LineString([(113.376, 31.73), (113.378, 31.67)])], crs=4326)
    path = tmp_path / "roads.geojson"
    gdf.to_file(path, engine="pyogrio")
    out = read_layer(LayerSpec(path=path), what="network", required={"highway": "text"},
                     geom="line")
    assert shapely.get_num_coordinates(out.geometry.values).tolist() == [2, 2]
    with pytest.raises(InputDataError, match="needs polygons"):
        read_layer(LayerSpec(path=path), what="zones", required={}, geom="polygon")
    net = read_layer(NetworkSpec(path=path, coords="gcj02"), what="network",
                     required={"highway": "text"}, geom="line")
    ex, ey = gcj02_to_wgs84(113.36, 31.71)
    assert net.geometry.iloc[0].coords[0] == pytest.approx((float(ex), float(ey)), abs=1e-12)
    with pytest.raises(ScenarioError, match="names no file"):
        read_layer(NetworkSpec(place="Suizhou"), what="network", required={}, geom="line")
