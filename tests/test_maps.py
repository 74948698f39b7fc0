"""Tests of siting.maps and siting._assets (no browser; see test_map_browser.py)."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from siting import _assets, maps
from siting.maps.features import round_coords
from siting.results import SitingResult
from tests.helpers_maps import (
    _EXTERNAL_REF,
    HOSTILE,
    WGS84,
    _collections,
    _inert_collections,
    _json_after,
    _marker_latlons,
    _popups,
    make_result,
    make_scenario,
    with_minor_roads,
)
from tests.helpers_report import make_report


@pytest.fixture(scope="module")
def result() -> SitingResult:
    return make_result()


@pytest.fixture(scope="module")
def page_zh(result: SitingResult) -> str:
    return maps.build_map(result, basemap="none")


# --------------------------------------------------------------------------- helpers
def test_offline_page_has_no_external_script_link_or_css_url(page_zh: str) -> None:
    assert _EXTERNAL_REF.search(page_zh) is None
    # folium's default bundle (jQuery, Bootstrap, Font Awesome, awesome-markers) is not used
    for lib in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert lib not in page_zh.lower()
    assert "cdn.jsdelivr" not in page_zh and "cdnjs" not in page_zh
    # Leaflet itself is inline, and its CSS images are data: URIs
    assert _assets.leaflet_js()[:2000] in page_zh
    assert "url(images/" not in page_zh
    assert 'url("data:image/png;base64,' in page_zh


def test_osm_page_refers_only_to_tiles(result: SitingResult) -> None:
    page = maps.build_map(result, basemap="osm")
    assert _EXTERNAL_REF.search(page) is None
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page


def test_cdn_mode_links_only_leaflet(result: SitingResult) -> None:
    page = maps.build_map(result, basemap="none", cdn=True)
    srcs = re.findall(r'<script[^>]*src="([^"]+)"', page)
    hrefs = re.findall(r'<link[^>]*href="([^"]+)"', page)
    assert srcs == [_assets.LEAFLET_CDN_JS]
    assert hrefs == [_assets.LEAFLET_CDN_CSS]
    assert _assets.leaflet_js()[:2000] not in page
    assert len(page) < len(maps.build_map(result, basemap="none")) - 100_000


def test_leaflet_css_images_are_valid_pngs() -> None:
    css = _assets.leaflet_css()
    uris = re.findall(r'url\("data:image/png;base64,([A-Za-z0-9+/=]+)"\)', css)
    assert len(uris) >= 3  # layers.png, layers-2x.png, marker-icon.png
    for b64 in uris:
        assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "sourceMappingURL" not in _assets.leaflet_js()
    assert "</script" not in _assets.leaflet_js().lower()


def test_folium_class_defaults_untouched(page_zh: str) -> None:
    import folium

    assert any("jquery" in url for _, url in folium.Map.default_js)


# --------------------------------------------------------------------------- content
def test_one_marker_per_station_with_type_icons(result: SitingResult, page_zh: str) -> None:
    icons = _json_after(page_zh, "L.divIcon(")
    station_icons = [i for i in icons if i.get("className", "").startswith("siting-station")]
    assert len(station_icons) == len(result.stations)
    # each icon carries its site id and its type's colour
    sc = result.scenario
    for icon in station_icons:
        sid = re.search(r'data-site="([^"]*)"', icon["html"]).group(1)
        row = result.stations.set_index("site_id").loc[sid]
        color = sc.station_type(row["station_type"]).color
        assert color in icon["html"]
        assert f"siting-{row['family']}" in icon["className"]
        # existing stations are outlined (white fill), new ones filled with the colour
        fill = re.search(r"background:([^;]+);", icon["html"]).group(1)
        assert fill == ("#ffffff" if row["existing"] else color)
    assert len(_marker_latlons(page_zh)) == len(result.stations)


def test_feature_group_per_station_type(result: SitingResult, page_zh: str) -> None:
    counts = result.stations["station_type"].value_counts()
    for st in result.scenario.station_types:
        assert json.dumps(f"{st.name} ({counts[st.id]})") in page_zh  # layer-control key
    assert "L.control.layers(" in page_zh


def test_title_schematic_note_legend_and_provenance(result: SitingResult, page_zh: str) -> None:
    assert f"<title>{result.scenario.name}</title>" in page_zh
    assert "示意路网" in page_zh and "schematic road network" not in page_zh  # one language
    assert 'id="siting-legend"' in page_zh
    assert "assumed from waste tonnage" in page_zh
    title = html.unescape(re.search(r'<div id="siting-title".*?</div></div>|'
                                    r'<div id="siting-title".*?siting-banner', page_zh,
                                    re.S).group(0))
    # the headline is the final year's vehicles covered of that year's fleet, and the share
    assert "2025 年：新能源车辆覆盖 289 / 400 辆（72.3%）" in re.sub(r"<[^>]+>", "", title)
    assert "已证明最优" in title  # the fixture's solver status is optimal


def test_no_schematic_note_for_surveyed_network() -> None:
    page = maps.build_map(make_result(schematic=False), basemap="none")
    assert "示意路网" not in page


def test_english_labels_and_money_units(result: SitingResult) -> None:
    page_en = maps.build_map(result, basemap="none", lang="en")
    page_zh = maps.build_map(result, basemap="none", lang="zh")
    assert "<title>Suizhou fleet energy stations</title>" in page_en
    pops_en = "\n".join(_popups(page_en))
    pops_zh = "\n".join(_popups(page_zh))
    # S1 costs 3,000,000 CNY = 300 万元 = 3.00 M CNY; H1 12,000,000 = 1,200 万元 = 12.00 M CNY
    assert "3.00 M CNY" in pops_en and "12.00 M CNY" in pops_en
    assert "300 万元" in pops_zh and "1,200 万元" in pops_zh
    # the existing S2 cost nothing: spelled as in the briefing (not "0.0 万元")
    s2 = html.unescape(re.sub(r"<[^>]+>", "|", next(p for p in _popups(page_zh) if "S2" in p)))
    assert "|0 万元|" in s2 and "0.0" not in s2
    assert "|0.00 M CNY|" in html.unescape(re.sub(r"<[^>]+>", "|", next(
        p for p in _popups(page_en) if "S2" in p)))
    assert "Battery swap (2)" in page_en


def test_station_popup_has_every_field(result: SitingResult, page_zh: str) -> None:
    pops = [p for p in _popups(page_zh) if "淅河加氢站" in p]
    assert len(pops) == 1
    text = html.unescape(re.sub(r"<[^>]+>", "|", pops[0]))
    for expected in ("加氢站", "H1", "1,200 万元", "500 kg/日", "淅河化工园", "|2025|",
                     "covers 12 vehicles"):
        assert expected in text, expected
    assert "kg/day" not in text  # units in the map's language


def test_station_popup_gives_each_year_not_a_sum() -> None:
    # issue 11: a swap station with capacity 15,000 kWh/day served 5,590 / 10,838 / 15,000
    # kWh/day in 2023-2025; the popup said 31,427 (the sum). Now one row per year.
    years = (2023, 2024, 2025)
    served = {2023: (29.1, 5590.0), 2024: (53.7, 10838.0), 2025: (77.7, 15000.0)}
    rows = [{"site_id": "S1", "station_type": "swap", "year": y, "vehicles": served[y][0],
             "energy_kwh_per_day": served[y][1], "capacity_kwh_per_day": 15000.0,
             "h2_kg_per_day": 0.0, "utilisation": served[y][1] / 15000.0} for y in years]
    base = make_result()
    report = make_report(years=years, station_years=rows)
    page = maps.build_map(dataclasses.replace(base, report=report), basemap="none")
    pop = next(p for p in _popups(page) if "城东换电站" in p)
    grid = re.search(r'<table class="grid">(.*?)</table>', pop).group(1)
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", grid)]
    for y in years:
        i = cells.index(str(y))
        vehicles, _trucks, energy, util = cells[i + 1:i + 5]
        assert vehicles == f"{served[y][0]:.1f}"
        assert energy == f"{served[y][1]:,.0f} / 15,000"
        assert util == f"{served[y][1] / 15000:.0%}"
    assert "31,428" not in pop and "31,427" not in pop


def test_demand_circles_sized_by_sqrt_energy_and_coloured_by_share(
        result: SitingResult, page_zh: str) -> None:
    demand = result.demand
    fc = [c for c in _collections(page_zh)
          if c["features"] and "radius" in c["features"][0]["properties"].get("s", {})]
    assert len(fc) == 1
    feats = fc[0]["features"]
    assert len(feats) == len(demand)
    e = np.where(demand["energy_unit"] == "kg", demand["energy"] * 33.3, demand["energy"])
    expected_r = np.maximum(3.0, 14.0 * np.sqrt(e / e.max()))
    got_r = np.array([f["properties"]["s"]["radius"] for f in feats])
    np.testing.assert_allclose(got_r, expected_r, atol=0.051)
    # greys, darkest where nothing is served: no station colour is reused
    colours = {0.0: "#252525", 0.3: "#636363", 0.7: "#a8a8a8", 1.0: "#e4e4e4"}
    for f, share in zip(feats, demand["served_share"], strict=True):
        assert f["properties"]["s"]["fillColor"] == colours[share]
    # coordinates rounded to 5 decimals and equal to the input
    for f, geom in zip(feats, demand.geometry, strict=True):
        x, y = f["geometry"]["coordinates"]
        assert (x, y) == (round(geom.x, 5), round(geom.y, 5))


def test_radius_and_share_colour_scales() -> None:
    np.testing.assert_allclose(maps.radius_px(np.array([400.0, 100.0, 25.0, 0.0]), 400.0),
                               [14.0, 7.0, 3.5, 3.0])
    assert [maps.share_color(s) for s in (0.0, 0.2, 0.5, 0.99, 1.0)] == [
        "#252525", "#636363", "#a8a8a8", "#a8a8a8", "#e4e4e4"]


def test_one_circle_per_location_with_its_pathways() -> None:
    # three pathway rows at one fleet yard used to be three stacked circles (only the top
    # one clickable); now one circle, its popup listing each pathway
    base = make_result(n_demand=3)
    d = base.demand.copy()
    d["fleet_id"] = "F0"
    d["name"] = "车队甲"
    d["pathway"] = ["swap", "charging", "hydrogen"]
    d["energy_unit"] = ["kWh", "kWh", "kg"]
    d["energy"] = [100.0, 200.0, 3.0]
    d["weight"] = d["vehicles"] = [2.0, 6.0, 2.0]
    d["served_share"] = [1.0, 0.5, 0.0]
    d = d.set_geometry(gpd.points_from_xy([113.4] * 3, [31.7] * 3, crs=WGS84))
    page = maps.build_map(dataclasses.replace(base, demand=d), basemap="none")
    fc = [c for c in _collections(page)
          if c["features"] and "radius" in c["features"][0]["properties"].get("s", {})]
    assert len(fc) == 1 and len(fc[0]["features"]) == 1
    props = fc[0]["features"][0]["properties"]
    text = html.unescape(re.sub(r"<[^>]+>", "|", props["p"]))
    for pathway in ("换电", "充电", "加氢"):
        assert f"|{pathway}|" in text
    # served share of the location, weighted: (2*1 + 6*0.5 + 2*0) / 10 = 0.5 -> "1–49%"?
    # no: 0.5 is in the 50-99% class
    assert props["s"]["fillColor"] == maps.share_color(0.5)
    assert "5.0 辆（50%）" in text


def test_candidates_and_excluded_with_reasons(result: SitingResult, page_zh: str) -> None:
    icons = _json_after(page_zh, "L.divIcon(")
    assert sum(1 for i in icons if i.get("className") == "siting-excluded") == 1
    reasons = {"hydrogen: excluded — 120 m from a school (setback 200 m)",
               "swap: excluded — no grid capacity; charging_hub: excluded — no grid capacity"}
    # X2 (setback) and X3 (no grid) are excluded for every type they allow,
    # each with its reason as tooltip; the six eligible/chosen sites are candidate dots
    tipped = [c for c in _collections(page_zh) if c["features"] and all(
        html.unescape(f["properties"].get("t", "")) in reasons for f in c["features"])]
    assert len(tipped) == 1
    assert {html.unescape(f["properties"]["t"]) for f in tipped[0]["features"]} == reasons
    dots = [c for c in _collections(page_zh) if c["features"] and all(
        "<b>站址" in f["properties"].get("p", "") for f in c["features"])]
    assert [len(c["features"]) for c in dots] == [6, 2]
    mask = maps.excluded_candidates(result.candidates)
    assert list(result.candidates.loc[mask, "site_id"]) == ["X2", "X3"]


def test_excluded_mask_keeps_partly_eligible_and_chosen_sites() -> None:
    c = pd.DataFrame({"rule_outcome": [
        "swap: allowed by the site",
        "swap: allowed by the site; hydrogen: excluded — setback",
        "hydrogen: excluded — setback; swap: excluded — no grid",
        "hydrogen: excluded — setback",
        "",
        "加氢: 排除（安全距离不足）"],
        "chosen": [False, False, False, True, False, False]})
    assert maps.excluded_candidates(c).tolist() == [False, False, True, False, False, True]
    with_flag = c.assign(eligible=[True, True, False, False, True, True])
    assert maps.excluded_candidates(with_flag).tolist() == [
        False, False, True, False, False, False]


def test_city_wide_roads_are_written_at_the_scale_they_are_simplified_to(
        result: SitingResult, monkeypatch) -> None:
    """A network simplified at ~10 m (city-wide) is written with 4 decimals (~10 m), not 5:
    the 100k-point city's map.html was 20.1 MB, mostly roads."""
    from siting.maps import layers

    def road_xy(page: str) -> list[tuple[float, float]]:
        fc = next(fc for fc in _collections(page) if fc["features"]
                  and fc["features"][0]["geometry"]["type"] == "MultiLineString")
        return [tuple(xy) for f in fc["features"] for ln in f["geometry"]["coordinates"]
                for xy in ln]

    roads = result.roads.copy()  # moved by a few metres off the fixture's round numbers
    roads["geometry"] = shapely.transform(roads.geometry.to_numpy(), lambda c: c + 3.7137e-5)
    res = SitingResult(**{**result.__dict__, "roads": roads})
    fine = road_xy(maps.build_map(res, basemap="none"))
    monkeypatch.setattr(layers, "ROAD_SEGMENTS_COARSE", 1)  # every network is city-wide
    coarse = road_xy(maps.build_map(res, basemap="none"))
    assert any(round(x, 4) != x or round(y, 4) != y for x, y in fine)  # 5 decimals used
    assert coarse and all(round(x, 4) == x and round(y, 4) == y for x, y in coarse)
    # still the same roads, within the ~10 m of the simplification and the rounding
    assert max(min(math.hypot(x - a, y - b) for a, b in fine) for x, y in coarse) < 1.5e-4


def test_city_wide_minor_roads_wait_in_the_page_until_switched_on(
        result: SitingResult, monkeypatch) -> None:
    """On city-wide networks the minor roads are inert JSON in a layer that is off: the
    page neither parses nor draws them when it opens."""
    from siting.maps import layers

    res = with_minor_roads(result)

    def by_weight(*fcs: dict) -> dict[float, int]:
        """Lines per road-class weight."""
        return {f["properties"]["s"]["weight"]: len(f["geometry"]["coordinates"])
                for fc in fcs for f in fc["features"]}

    def road_layers(page: str) -> list[dict]:
        return [fc for fc in _collections(page) if fc["features"]
                and fc["features"][0]["geometry"]["type"] == "MultiLineString"]

    local = maps.build_map(res, basemap="none")
    assert _inert_collections(local) == {}  # a small network: every road drawn
    drawn = road_layers(local)
    assert len(drawn) == 1 and set(by_weight(*drawn)) == {3.0, 2.2, 1.0}
    assert "feature_group" in local and "L.geoJSON(data" not in local
    monkeypatch.setattr(layers, "ROAD_SEGMENTS_COARSE", 1)  # every network is city-wide
    city = maps.build_map(res, basemap="none")
    inert = _inert_collections(city)
    assert len(inert) == 1
    (name, minor), = inert.items()
    main = road_layers(city)
    assert len(main) == 1
    assert set(by_weight(minor)) == {1.0} and set(by_weight(*main)) == {3.0, 2.2}
    assert {**by_weight(*main), **by_weight(minor)} == by_weight(*drawn)  # every road
    # built from that data when its group is added, which the page does not do itself
    lazy = name.removesuffix("_data")
    group = re.search(rf"(\w+)\.on\(\"add\", function \(\) {{\s*if \({lazy}\)", city)
    assert group and f"{group.group(1)}.addTo(" not in city
    # ... and listed in the layer control under its own name
    from siting.i18n import t

    assert f'{json.dumps(t("layer.roads_minor", "zh"))} : {group.group(1)}' in city


def test_a_city_wide_network_without_road_classes_is_drawn_whole(
        result: SitingResult, monkeypatch) -> None:
    """No road of a weighted class: nothing would be drawn when the map opens, so the
    roads are not split."""
    from siting.maps import layers

    res = with_minor_roads(result)
    res = SitingResult(**{**res.__dict__, "roads": res.roads.drop(columns="road_class")})
    monkeypatch.setattr(layers, "ROAD_SEGMENTS_COARSE", 1)
    page = maps.build_map(res, basemap="none")
    assert _inert_collections(page) == {}
    roads = [fc for fc in _collections(page) if fc["features"]
             and fc["features"][0]["geometry"]["type"] == "MultiLineString"]
    assert len(roads) == 1 and roads[0]["features"][0]["geometry"]["coordinates"]


def test_zones_coverage_roads_and_extra_layers_drawn(result: SitingResult, page_zh: str) -> None:
    fcs = _collections(page_zh)
    tips = [re.sub(r"<[^>]+>", "", f["properties"].get("t", "")) for fc in fcs
            for f in fc["features"]]
    assert "淅河化工园" in tips and "何店示范区" in tips
    # roads: one multi-line per road-class weight, 5-decimal coordinates, all 4 roads present
    road_fc = [fc for fc in fcs if fc["features"]
               and fc["features"][0]["geometry"]["type"] == "MultiLineString"]
    assert len(road_fc) == 1
    lines = [ln for f in road_fc[0]["features"] for ln in f["geometry"]["coordinates"]]
    assert len(lines) == 4
    for ln in lines:
        for x, y in ln:
            assert round(x, 5) == x and round(y, 5) == y
    # coverage polygon in its type colour, light fill
    cov = [f for fc in fcs for f in fc["features"]
           if f["geometry"]["type"] == "Polygon" and f["properties"].get("s", {}).get(
               "fillColor") == "#1f77b4"]
    assert len(cov) == 1
    assert "氢源" in page_zh and "货运通道" in page_zh
    assert any("齐星光伏制氢" in p for p in _popups(page_zh))


def test_fit_bounds_cover_the_data(result: SitingResult, page_zh: str) -> None:
    b = json.loads(re.search(r"map\.fitBounds\((\[\[[^\]]*\],\[[^\]]*\]\])", page_zh).group(1))
    (south, west), (north, east) = b
    pts = pd.concat([result.stations.geometry, result.demand.geometry,
                     result.candidates.geometry])
    assert south <= pts.y.min() and north >= pts.y.max()
    assert west <= pts.x.min() and east >= pts.x.max()
    zb = result.zones.total_bounds
    assert south <= zb[1] and north >= zb[3]


# --------------------------------------------------------------------------- escaping
def test_hostile_text_is_escaped_everywhere() -> None:
    sc = make_scenario(name=HOSTILE, type_name=HOSTILE)
    res = make_result(station_name=HOSTILE, scenario=sc, zone_name=HOSTILE, outcome=HOSTILE)
    res.extra_layers["h2_supply"].loc[0, "name"] = HOSTILE
    res = dataclasses.replace(
        res, report=res.report.model_copy(update={"data_provenance": HOSTILE}))
    for lang in ("zh", "en"):
        page = maps.build_map(res, basemap="none", lang=lang)
        assert "<img" not in page.lower()
        assert "onerror=alert(1)>" not in page
    page = maps.build_map(res, basemap="none")
    escaped = html.escape(HOSTILE)
    assert f"<title>{escaped}</title>" in page
    assert any(escaped in p for p in _popups(page))  # shown as text inside popups


@pytest.mark.parametrize(("text", "closed"), [
    ("plain 名称", "plain 名称"),
    ("abc\u202exyz", "abc\u202exyz\u202c"),                  # an override left open
    ("\u202ex\u202c tail", "\u202ex\u202c tail"),            # closed by the user: as is
    ("\u2067a\u202eb", "\u2067a\u202eb\u202c\u2069"),       # nested: inner first
    ("\u202e\u2067x\u2069", "\u202e\u2067x\u2069\u202c"),  # an isolate closes itself
    ("a\u2069\u202c", "a\u2069\u202c"),                      # stray closers: nothing added
])
def test_close_bidi(text: str, closed: str) -> None:
    from siting._escape import close_bidi, html_text

    assert close_bidi(text) == closed
    assert html_text(text) == html.escape(closed)


def test_a_right_to_left_override_in_a_name_stops_at_the_name() -> None:
    name = "\u202eC009 站"  # shows as "站 900C", and without a close would turn what follows
    page = maps.build_map(make_result(station_name=name), basemap="none")
    shown = [p for p in _popups(page) if "\u202e" in p]
    assert shown and all("\u202eC009 站\u202c" in p for p in shown)


def test_hostile_station_colour_is_replaced() -> None:
    bad = "red;background:url(https://evil.example/x.png)"
    page = maps.build_map(make_result(scenario=make_scenario(type_color=bad)), basemap="none")
    assert "evil.example" not in page
    assert _EXTERNAL_REF.search(page) is None


# --------------------------------------------------------------------------- basemaps
def test_basemap_choices(result: SitingResult) -> None:
    with pytest.raises(ValueError, match="tianditu_key"):
        maps.build_map(result, basemap="tianditu")
    with pytest.raises(ValueError, match="basemap 'google'"):
        maps.build_map(result, basemap="google")
    with pytest.raises(ValueError, match="language 'fr'"):
        maps.build_map(result, lang="fr")
    page = maps.build_map(result, basemap="tianditu", tianditu_key="abc123")
    assert "tianditu.gov.cn/vec_w/wmts" in page and "tianditu.gov.cn/cva_w/wmts" in page
    assert page.count("tk=abc123") == 2
    none = maps.build_map(result, basemap="none")
    assert "L.tileLayer(" not in none and "{z}" not in none
    assert "background: #f2efe9" in none


def test_amap_shifts_every_geometry_to_gcj02(result: SitingResult, page_zh: str) -> None:
    from siting.crs import wgs84_to_gcj02

    page = maps.build_map(result, basemap="amap")
    assert "webrd0{s}.is.autonavi.com" in page
    wgs = np.array(_marker_latlons(page_zh))
    gcj = np.array(_marker_latlons(page))
    d_lat, d_lon = (gcj - wgs).T
    # the local offset near Suizhou (context.md): GCJ - WGS ≈ +0.0062° lon, -0.0019° lat
    assert np.all(np.abs(d_lon - 0.0062) < 0.0008) and np.all(np.abs(d_lat + 0.0019) < 0.0008)
    lon, lat = wgs84_to_gcj02(result.stations.geometry.x, result.stations.geometry.y)
    np.testing.assert_allclose(np.sort(gcj[:, 1]), np.sort(lon), atol=1e-9)
    np.testing.assert_allclose(np.sort(gcj[:, 0]), np.sort(lat), atol=1e-9)
    # data layers (roads) are shifted too, by the same formula (then rounded to 5 decimals)
    def first_road_xy(p: str) -> tuple[float, float]:
        fc = next(c for c in _collections(p) if c["features"]
                  and c["features"][0]["geometry"]["type"] == "MultiLineString")
        return tuple(fc["features"][0]["geometry"]["coordinates"][0][0])
    x0, y0 = first_road_xy(page_zh)
    x1, y1 = first_road_xy(page)
    ex, ey = wgs84_to_gcj02(x0, y0)
    assert abs(x1 - float(ex)) < 2e-5 and abs(y1 - float(ey)) < 2e-5


# --------------------------------------------------------------------------- hexagons
def test_hexagon_aggregation_conserves_and_assigns_by_containment() -> None:
    res = make_result(n_demand=3000, seed=7)
    demand = res.demand
    cells = maps.aggregate_demand_hex(demand, size_m=1000.0, crs="EPSG:32649")
    assert cells.crs.equals(WGS84)
    assert cells["n_points"].sum() == len(demand)
    e = np.where(demand["energy_unit"] == "kg", demand["energy"] * 33.3, demand["energy"])
    assert math.isclose(cells["energy_kwh"].sum(), e.sum(), rel_tol=1e-9)
    # recompute each cell's totals independently: points inside the hexagon (metric CRS)
    cm = cells.to_crs("EPSG:32649")
    pm = demand.to_crs("EPSG:32649")
    np.testing.assert_allclose(cm.area, 1.5 * math.sqrt(3) * 1000.0**2, rtol=1e-6)
    joined = gpd.sjoin(pm.assign(e_kwh=e), cm[["geometry"]], predicate="within")
    assert len(joined) == len(demand)  # every point in exactly one hexagon
    sums = joined.groupby("index_right").agg(
        e=("e_kwh", "sum"), n=("e_kwh", "size"), w=("weight", "sum"),
        sw=("served_share", lambda s: float((s * pm.loc[s.index, "weight"]).sum())))
    sums = sums.reindex(cm.index)
    np.testing.assert_allclose(cm["energy_kwh"], sums["e"])
    np.testing.assert_array_equal(cm["n_points"], sums["n"])
    np.testing.assert_allclose(cm["served_share"], sums["sw"] / sums["w"])


@pytest.mark.slow
def test_large_demand_is_aggregated_and_small() -> None:
    res = make_result(n_demand=100_000, seed=3)
    page = maps.build_map(res, basemap="none")
    size_mb = len(page.encode("utf-8")) / 1e6
    assert size_mb < 20, size_mb
    # no per-point circles: the demand layer is hexagon polygons carrying all 100k points
    fcs = _collections(page)
    hexes = [f for fc in fcs for f in fc["features"]
             if f["geometry"]["type"] == "Polygon" and len(f["geometry"]["coordinates"][0]) == 7]
    assert 50 < len(hexes) < 5000
    counts = [int(re.search(r"<td>([\d,]+)</td>", f["properties"]["p"]).group(1)
                  .replace(",", "")) for f in hexes]
    assert sum(counts) == 100_000
    assert "六边形" in page
    assert not any("radius" in f["properties"].get("s", {}) for fc in fcs
                   for f in fc["features"])


def test_write_map_is_atomic_and_creates_folder(result: SitingResult, tmp_path) -> None:
    target = tmp_path / "out" / "map.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    written = maps.write_map(result, target, basemap="none", lang="en")
    assert written == target
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Suizhou fleet energy stations" in text
    assert not target.with_suffix(".tmp").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["map.html"]
    nested = maps.write_map(result, tmp_path / "a" / "b" / "map.html", basemap="none")
    assert nested.is_file()


def test_shapely_rounding_helper_keeps_geometry_types() -> None:
    g = np.array([Point(113.123456789, 31.987654321),
                  LineString([(113.1, 31.1), (113.2000049, 31.2)])])
    r = shapely.get_coordinates(round_coords(g))
    np.testing.assert_array_equal(r, [[113.12346, 31.98765], [113.1, 31.1], [113.2, 31.2]])


def test_demand_layer_per_year_with_only_the_last_shown() -> None:
    res = make_result(n_demand=30)
    later = res.demand.assign(year=2027, demand_id=res.demand["demand_id"].str.replace(
        "2025", "2027"))
    demand = gpd.GeoDataFrame(pd.concat([res.demand, later], ignore_index=True), crs=WGS84)
    res2 = SitingResult(**{**res.__dict__, "demand": demand})
    page = maps.build_map(res2, basemap="none")
    groups = dict(re.findall(r'"(\\u9700\\u6c42\\u70b9 \d{4})" : (feature_group_\w+)', page))
    assert sorted(groups) == [r"\u9700\u6c42\u70b9 2025", r"\u9700\u6c42\u70b9 2027"]
    shown = {k for k, v in groups.items()
             if re.search(rf"\b{v}\.addTo\(map_", page)}
    assert shown == {r"\u9700\u6c42\u70b9 2027"}
    circles = [c for c in _collections(page) if c["features"]
               and "radius" in c["features"][0]["properties"].get("s", {})]
    assert [len(c["features"]) for c in circles] == [30, 30]


def test_projected_input_is_refused_with_the_layer_named() -> None:
    from siting._errors import CRSMismatchError

    res = make_result()
    bad = SitingResult(**{**res.__dict__, "roads": res.roads.to_crs("EPSG:32649")})
    with pytest.raises(CRSMismatchError, match=r"SitingResult\.roads: .*EPSG:32649.*to_crs"):
        maps.build_map(bad, basemap="none")


def test_tianditu_key_is_url_quoted(result: SitingResult) -> None:
    page = maps.build_map(result, basemap="tianditu", tianditu_key=' k"{x}<y> ')
    assert "tk=k%22%7Bx%7D%3Cy%3E" in page
    assert '"{x}<y>' not in page


def test_substations_and_sensitive_sites_start_hidden() -> None:
    res = make_result()
    pt = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(113.4, 31.7)], crs=WGS84)
    res.extra_layers.update({"substations": pt, "sensitive": pt})
    page = maps.build_map(res, basemap="none")
    groups = dict(re.findall(r'"([^"]+)" : (feature_group_\w+)', page))
    shown = {json.loads(f'"{k}"') for k, v in groups.items()
             if re.search(rf"\b{v}\.addTo\(map_", page)}
    assert {"氢源", "货运通道"} <= shown
    assert not {"变电站", "敏感目标"} & shown
    assert {"变电站", "敏感目标"} <= {json.loads(f'"{k}"') for k in groups}
