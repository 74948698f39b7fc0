"""Tests for siting.crs: GCJ-02 / BD-09 shifts against published values, CRS names, UTM."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, Polygon

from siting._errors import CRSMismatchError
from siting.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    crs_slug,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    layer_utm_crs,
    metric_crs,
    parse_crs,
    shift_coords,
    shift_geometries,
    to_output_crs,
    utm_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance (m) between lon/lat points, computed independently with pyproj."""
    _, _, d = GEOD.inv(np.asarray(lon1, float), np.asarray(lat1, float),
                       np.asarray(lon2, float), np.asarray(lat2, float))
    return np.asarray(d)


# Published vectors -----------------------------------------------------------------------
# wandergis/coordtransform, test/app.js (the JS library most Chinese web GIS code copies):
#   wgs84togcj02(116.404, 39.915) -> [116.41024449916938, 39.91640428150164]
#   gcj02tobd09(116.404, 39.915)  -> [116.41036949371029, 39.92133699351021]
#   bd09togcj02(116.404, 39.915)  -> [116.39762729119315, 39.90865673957631]  (closed-form,
#                                     approximate inverse; ours is iterated, so within ~0.2 m)
#   gcj02towgs84(116.404, 39.915) -> [116.39775550083061, 39.91359571849836]  (one-step
#                                     approximate inverse; ours is exact, so within ~2 m)
# googollee/eviltransform, python/test.py TESTS (wgsLat, wgsLng, gcjLat, gcjLng):
EVIL = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# hujiulong/gcoord, test/unit/crs/GCJ02.spec.js (toBeCloseTo(.., 5), i.e. |diff| < 5e-6):
#   GCJ02 -> WGS84 [123, 45] -> [122.99395597, 44.99804071]
#   GCJ02 -> BD09  [123, 45] -> [123.00636499, 45.00636899]


def test_wgs_to_gcj_matches_coordtransform_exactly():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVIL)
def test_eviltransform_vectors_both_ways(wlat, wlon, glat, glon):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-6)
    assert lat == pytest.approx(glat, abs=1e-6)
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    assert metres(back_lon, back_lat, wlon, wlat) < 0.01


def test_gcoord_vectors():
    lon, lat = gcj02_to_wgs84(123.0, 45.0)
    assert abs(lon - 122.99395597) < 5e-6
    assert abs(lat - 44.99804071) < 5e-6
    blon, blat = gcj02_to_bd09(123.0, 45.0)
    assert abs(blon - 123.00636499) < 5e-6
    assert abs(blat - 45.00636899) < 5e-6


def test_bd09_matches_coordtransform():
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-9)
    assert lat == pytest.approx(39.92133699351021, abs=1e-9)
    glon, glat = bd09_to_gcj02(116.404, 39.915)
    assert metres(glon, glat, 116.39762729119315, 39.90865673957631) < 1.0
    # ours is the exact inverse: shifting forward again gives the BD-09 input back
    flon, flat = gcj02_to_bd09(glon, glat)
    assert metres(flon, flat, 116.404, 39.915) < 0.001


def test_iterative_inverse_beats_one_step():
    wlon, wlat = gcj02_to_wgs84(116.404, 39.915)
    # coordtransform's one-step answer is a couple of metres off; ours is within that
    assert metres(wlon, wlat, 116.39775550083061, 39.91359571849836) < 3.0
    # ... and exact: forward-shifting it reproduces the GCJ-02 input to < 1 mm,
    rlon, rlat = wgs84_to_gcj02(wlon, wlat)
    assert metres(rlon, rlat, 116.404, 39.915) < 0.001
    # which the one-step answer does not
    olon, olat = wgs84_to_gcj02(116.39775550083061, 39.91359571849836)
    assert metres(olon, olat, 116.404, 39.915) > 0.01


def test_suizhou_city_centre_from_context():
    # context.md: the published city-centre point 31.6901 N 113.3825 E is GCJ-02 and
    # corresponds to WGS84 about 113.3761, 31.6922 (4-decimal rounding -> allow ~50 m)
    lon, lat = gcj02_to_wgs84(113.3825, 31.6901)
    assert metres(lon, lat, 113.3761, 31.6922) < 50
    # the local offset is ~ +0.0062 deg lon, -0.0019 deg lat (GCJ minus WGS)
    assert 113.3825 - lon == pytest.approx(0.0062, abs=0.0005)
    assert 31.6901 - lat == pytest.approx(-0.0019, abs=0.0005)


def test_round_trips_under_a_centimetre():
    rng = np.random.default_rng(42)
    lon = rng.uniform(74, 135, 20_000)
    lat = rng.uniform(4, 53, 20_000)
    for fwd, inv in ((wgs84_to_gcj02, gcj02_to_wgs84), (gcj02_to_bd09, bd09_to_gcj02),
                     (wgs84_to_bd09, bd09_to_wgs84)):
        x, y = inv(*fwd(lon, lat))
        assert metres(x, y, lon, lat).max() < 0.01, fwd.__name__
        x, y = fwd(*inv(lon, lat))
        assert metres(x, y, lon, lat).max() < 0.01, inv.__name__


def test_shift_size_is_plausible_in_china():
    lon, lat = np.array([113.38, 116.4, 121.5]), np.array([31.69, 39.9, 31.2])
    glon, glat = wgs84_to_gcj02(lon, lat)
    d = metres(lon, lat, glon, glat)
    assert ((d > 100) & (d < 1000)).all()
    blon, blat = wgs84_to_bd09(lon, lat)
    assert (metres(glon, glat, blon, blat) > 500).all()


def test_no_shift_outside_china():
    lon = np.array([2.35, 139.69, -74.0, 0.0])  # Paris, Tokyo, New York, null island
    lat = np.array([48.85, 35.69, 40.7, 0.0])
    assert not in_china(lon, lat).any()
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, wgs84_to_bd09, bd09_to_wgs84, gcj02_to_bd09,
               bd09_to_gcj02):
        x, y = fn(lon, lat)
        np.testing.assert_array_equal(x, lon)
        np.testing.assert_array_equal(y, lat)


def test_vectorised_shapes_and_nan():
    lon = np.full((3, 4), 113.38)
    lat = np.full((3, 4), 31.69)
    lat[1, 2] = np.nan
    x, y = gcj02_to_wgs84(lon, lat)
    assert x.shape == (3, 4) and y.shape == (3, 4)
    assert np.isnan(y[1, 2])
    assert np.isfinite(x[0, 0]) and x[0, 0] != 113.38
    x0, y0 = wgs84_to_gcj02(113.38, 31.69)
    assert np.ndim(x0) == 0 and float(x0) > 113.38 and float(y0) < 31.69


@pytest.mark.parametrize(("text", "expected"), [
    ("EPSG:4326", "EPSG:4326"), ("epsg:4490", "EPSG:4490"), ("EPSG:4547", "EPSG:4547"),
    ("CGCS2000", "EPSG:4490"), ("cgcs2000", "EPSG:4490"), ("WGS84", "EPSG:4326"),
    ("wgs84", "EPSG:4326"), ("GCJ-02", "GCJ-02"), ("gcj02", "GCJ-02"), ("BD-09", "BD-09"),
    ("bd09", "BD-09"), (" EPSG:32649 ", "EPSG:32649"),
])
def test_parse_crs_accepts(text, expected):
    assert parse_crs(text) == expected


@pytest.mark.parametrize("text", ["Mars", "EPSG:", "EPSG:99999", "4326x", "UTM49"])
def test_parse_crs_rejects_with_accepted_forms(text):
    with pytest.raises(CRSMismatchError) as e:
        parse_crs(text, where="scenario.toml: field 'output_crs'")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("scenario.toml: field 'output_crs'")
    for form in ("EPSG:4326", "EPSG:4490", "EPSG:4547", "CGCS2000", "GCJ-02", "BD-09"):
        assert form in msg


def test_crs_slug():
    assert crs_slug("epsg:4547") == "EPSG4547"
    assert crs_slug("gcj02") == "GCJ02"


@pytest.mark.slow
@pytest.mark.parametrize(("lon", "lat"), [(113.38, 31.69), (113.99, 30.5), (114.01, 30.5),
                                          (87.6, 43.8), (151.2, -33.9), (-0.1, 51.5),
                                          (179.9, 10.0)])
def test_metric_crs_agrees_with_geopandas(lon, lat):
    expected = gpd.GeoSeries([Point(lon, lat)], crs=4326).estimate_utm_crs().to_epsg()
    assert metric_crs(lon, lat) == f"EPSG:{expected}"


def test_metric_crs_suizhou():
    assert metric_crs(np.array([113.30, 113.48]), np.array([31.60, 31.73])) == "EPSG:32649"


@pytest.mark.slow
@pytest.mark.parametrize(("lon", "lat"), [(113.38, 31.69), (113.99, 30.5), (114.01, 30.5),
                                          (151.2, -33.9), (-0.1, 51.5)])
def test_layer_utm_crs_agrees_with_geopandas(lon, lat):
    """The bounds centre of a layer, in any CRS: the zone geopandas' estimate_utm_crs picks."""
    gdf = gpd.GeoDataFrame(geometry=[Point(lon - 0.2, lat - 0.1), Point(lon + 0.2, lat + 0.1)],
                           crs=4326)
    expected = f"EPSG:{gdf.estimate_utm_crs().to_epsg()}"
    assert layer_utm_crs(gdf) == expected
    assert layer_utm_crs(gdf.to_crs(3857).geometry) == expected  # reprojected, a GeoSeries
    with pytest.raises(CRSMismatchError, match="no CRS"):
        layer_utm_crs(gpd.GeoDataFrame(geometry=[Point(lon, lat)]))


def test_one_utm_rule_everywhere():
    import siting.network as network

    assert metric_crs is utm_crs and network.utm_crs is utm_crs
    assert utm_crs(np.array([113.3, np.nan]), np.array([31.6, np.nan])) == "EPSG:32649"
    assert utm_crs(180.0, 10.0) == "EPSG:32601"  # the antimeridian wraps to zone 1
    with pytest.raises(ValueError, match="no finite"):
        utm_crs(np.array([np.nan]), np.array([np.nan]))


@pytest.mark.parametrize(("src", "dst"), [("gcj02", "wgs84"), ("bd09", "wgs84"),
                                          ("wgs84", "gcj02"), ("wgs84", "bd09"),
                                          ("gcj02", "bd09"), ("bd09", "gcj02")])
def test_shift_coords_dispatch(src, dst):
    lon, lat = np.array([113.38, 116.404]), np.array([31.69, 39.915])
    x, y = shift_coords(lon, lat, src, dst)
    back_lon, back_lat = shift_coords(x, y, dst, src)
    assert np.allclose(back_lon, lon, atol=1e-9) and np.allclose(back_lat, lat, atol=1e-9)
    assert metres(lon, lat, x, y).min() > 100  # really moved (hundreds of metres)
    direct = {("gcj02", "wgs84"): gcj02_to_wgs84, ("bd09", "wgs84"): bd09_to_wgs84,
              ("wgs84", "gcj02"): wgs84_to_gcj02, ("wgs84", "bd09"): wgs84_to_bd09,
              ("gcj02", "bd09"): gcj02_to_bd09, ("bd09", "gcj02"): bd09_to_gcj02}[(src, dst)]
    assert np.array_equal(np.column_stack(direct(lon, lat)), np.column_stack([x, y]))
    line = shift_geometries([LineString(zip(lon, lat, strict=True))], src, dst)[0]
    assert np.allclose(shapely.get_coordinates(line), np.column_stack([x, y]))


def test_shift_coords_identity_and_unknown():
    lon, lat = np.array([113.38]), np.array([31.69])
    x, y = shift_coords(lon, lat, "wgs84")
    assert np.array_equal(x, lon) and np.array_equal(y, lat) and x is not lon
    with pytest.raises(ValueError, match="unknown coordinate convention 'gcj'"):
        shift_coords(lon, lat, "gcj")


def _sample() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c"]},
        geometry=[Point(113.38, 31.69),
                  LineString([(113.36, 31.71), (113.43, 31.70), (113.475, 31.695)]),
                  Polygon([(113.47, 31.69), (113.49, 31.69), (113.49, 31.70), (113.47, 31.70)])],
        crs="EPSG:4326")


def test_to_output_crs_epsg4547_round_trip():
    gdf = _sample()
    out = to_output_crs(gdf, "EPSG:4547")
    assert out.crs.to_epsg() == 4547
    # independent: pyproj transformer on the point
    t = Transformer.from_crs(4326, 4547, always_xy=True)
    ex, ey = t.transform(113.38, 31.69)
    assert out.geometry.iloc[0].x == pytest.approx(ex, abs=1e-6)
    assert out.geometry.iloc[0].y == pytest.approx(ey, abs=1e-6)
    assert 300_000 < ex < 700_000  # zone 38, CM 114 E, false easting 500 km (no zone prefix)
    back = out.to_crs(4326)
    for g0, g1 in zip(gdf.geometry, back.geometry, strict=True):
        c0 = shapely.get_coordinates(g0)
        c1 = shapely.get_coordinates(g1)
        assert metres(c0[:, 0], c0[:, 1], c1[:, 0], c1[:, 1]).max() < 0.01
    assert gdf.geometry.iloc[0].x == 113.38  # input untouched


@pytest.mark.parametrize(("target", "fn"), [("GCJ-02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_to_output_crs_shifts_every_vertex(target, fn):
    gdf = _sample()
    out = to_output_crs(gdf, target)
    assert out.crs.to_epsg() == 4326
    for g0, g1 in zip(gdf.geometry, out.geometry, strict=True):
        c0 = shapely.get_coordinates(g0)
        c1 = shapely.get_coordinates(g1)
        ex, ey = fn(c0[:, 0], c0[:, 1])
        np.testing.assert_allclose(c1[:, 0], ex, atol=1e-12)
        np.testing.assert_allclose(c1[:, 1], ey, atol=1e-12)
        assert g1.geom_type == g0.geom_type
    assert list(out["site_id"]) == ["a", "b", "c"]
    assert gdf.geometry.iloc[0].x == 113.38


def test_to_output_crs_gcj_from_projected_input_and_missing_crs():
    gdf = _sample().to_crs(32649)
    out = to_output_crs(gdf, "GCJ-02")
    ex, ey = wgs84_to_gcj02(113.38, 31.69)
    assert out.geometry.iloc[0].x == pytest.approx(float(ex), abs=1e-8)
    assert out.geometry.iloc[0].y == pytest.approx(float(ey), abs=1e-8)
    with pytest.raises(CRSMismatchError, match="no CRS"):
        to_output_crs(_sample().set_crs(None, allow_override=True), "EPSG:4547")
