"""The one symbology, the shared report sentences and the column formatter (no solve)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from siting import maps
from siting._format import money_column
from siting.qml import station_symbol
from siting.report_text import corridor_text, headline_text, objective_text, solver_text
from siting.scenario import StationType
from siting.symbology import (
    DEMAND_SHARE_CLASSES,
    PALETTE,
    hex_color,
    symbols_from_report,
    symbols_from_types,
)

try:
    from tests.helpers_report import make_report
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from helpers_report import make_report


def _type(tid: str, **kw: object) -> StationType:
    base = {"id": tid, "name": f"{tid} 站", "serves": ["swap"], "capex": 1e6, "capacity": 100.0}
    return StationType.model_validate(base | kw)


@pytest.mark.parametrize(("css", "want"), [
    ("#1f77b4", "#1f77b4"), ("#abc", "#aabbcc"), ("red", "#ff0000"),
    ("rgb(10, 20, 30)", "#0a141e"), ("rgba(100%, 0%, 0%, 0.5)", "#ff0000"),
    ("javascript:alert(1)", "#555555"), ("url(x)", "#555555"), ("rgb(999,0,0)", "#555555"),
])
def test_css_colours_become_hex_or_grey(css, want):
    assert hex_color(css) == want


def test_type_symbols_from_the_scenario_in_each_language():
    types = [_type("swap", glyph="换", glyph_en="S", color="#1f77b4", name_en="Swap"),
             _type("hub", serves=["charging"], glyph="充", color="not a colour"),
             _type("h2", serves=["hydrogen"], glyph="氢", color="#d62728")]
    zh = symbols_from_types(types, "zh", extra_ids=["mystery"])
    en = symbols_from_types(types, "en")
    assert list(zh) == ["swap", "hub", "h2", "mystery"]
    assert (zh["swap"].glyph, en["swap"].glyph) == ("换", "S")  # glyph_en in English
    assert en["hub"].glyph == "充"                              # no glyph_en: the glyph
    assert (zh["swap"].label, en["swap"].label) == ("swap 站", "Swap")
    assert zh["hub"].color == PALETTE[0]       # an unusable colour: a palette colour
    assert zh["mystery"].color == PALETTE[1]   # a type the scenario lacks: the next one
    assert [zh[t].shape for t in ("swap", "hub", "h2")] == ["square", "circle", "diamond"]
    assert zh["h2"].color == "#d62728" == en["h2"].color


def test_report_symbols_match_the_scenarios():
    report = make_report(by_type={"swap": {
        "name": "换电站", "name_en": "Swap", "count": 1, "new": 1, "existing": 0, "capex": 1.0,
        "capacity": 1.0, "capacity_unit": "kWh/day", "served_demand": 0.0,
        "served_vehicles": 0.0, "served_energy": 0.0, "color": "#1f77b4", "glyph": "换",
        "glyph_en": "S", "family": "swap"}})
    sym = symbols_from_report(report, "en")["swap"]
    assert (sym.color, sym.glyph, sym.shape, sym.label) == ("#1f77b4", "S", "square", "Swap")


def test_demand_greys_are_no_station_colour():
    greys = [c for _, c, _ in DEMAND_SHARE_CLASSES]
    assert all(len({c[1:3], c[3:5], c[5:7]}) == 1 for c in greys)  # r = g = b
    assert greys == sorted(greys)  # darkest where the least is served
    assert maps.share_color(0.0) == greys[0] and maps.share_color(1.0) == greys[-1]


def test_existing_stations_are_hollow_in_qgis_too():
    sym = symbols_from_types([_type("swap", glyph="换", color="#1f77b4")], "zh")["swap"]

    def colours(xml: str) -> tuple[str, str]:
        marker = ET.fromstring(xml).find("layer[@class='SimpleMarker']")
        opts = {o.get("name"): o.get("value") for o in marker.find("Option")}
        return opts["color"], opts["outline_color"]

    assert colours(station_symbol("0", sym, existing=False)) == ("31,119,180,255",
                                                                 "255,255,255,255")
    assert colours(station_symbol("1", sym, existing=True)) == ("255,255,255,255",
                                                                "31,119,180,255")


# --------------------------------------------------------------------------- sentences
def test_a_time_limited_plan_is_a_range_never_optimal():
    stopped = make_report(status="time_limit", solver={
        "name": "highs", "status": "time_limit", "gap": 0.0702, "bound": 1247.9,
        "seconds": 10.4})
    for lang, proven in (("zh", "已证明最优"), ("en", "solver: proven optimal")):
        text = solver_text(stopped, lang)
        assert proven not in text
        assert "1,247.9" in text and "7.0%" in text  # up to the bound, the gap
        assert "10.4" not in text                    # files leave the seconds out
        assert "10.4" in solver_text(stopped, lang, seconds=True)
    assert "未证明最优" in solver_text(stopped, "zh")
    assert "not proven optimal" in solver_text(stopped, "en")
    done = make_report(status="optimal")
    assert "已证明最优" in solver_text(done, "zh")
    assert "proven optimal" in objective_text(done, "en")


def test_the_objective_says_it_sums_years_and_corridor_trucks():
    """The objective is a score over every planning year (plus corridor trucks), not a count
    of vehicles: wherever it is shown, it says so, with its years and unit."""
    rep = make_report(years=(2023, 2024, 2025), corridors=[{
        "id": "c", "trucks_per_day": 80.0, "length_km": 40.0, "trucks_covered": 60.0,
        "weight": 80.0}])
    assert objective_text(rep, "en") == (
        "objective 900.0 (a score: new-energy vehicles covered, summed over 2023–2025, plus "
        "corridor trucks/day × their weight; proven optimal)")
    assert "2023–2025 各年覆盖的新能源车辆数之和，加通道货车" in objective_text(rep, "zh")
    one = make_report(years=(2025,), scenario={"name": "p", "years": [2025],
                                                "weight": "energy", "lang": "en"})
    assert objective_text(one, "en") == "objective 300.0 (kWh/day covered in 2025; proven optimal)"
    assert "2025 年覆盖的日能耗（kWh/日）" in objective_text(one, "zh")


def test_headline_is_the_final_year_and_corridors_apart():
    rep = make_report(years=(2023, 2024, 2025), coverage=0.85, vehicles=528.0)
    assert headline_text(rep, "zh") == "2025 年：新能源车辆覆盖 449 / 528 辆（85.0%）"
    assert headline_text(rep, "en") == "2025: 449 of 528 new-energy vehicles covered (85.0%)"
    assert corridor_text(rep, "zh") == ""
    rep = make_report(corridors=[{"id": "c", "trucks_per_day": 80.0, "length_km": 40.0,
                                  "trucks_covered": 60.0, "weight": 80.0}])
    assert "60 / 80" in corridor_text(rep, "zh") and "另计" in corridor_text(rep, "zh")
    assert "(1 corridor, counted apart" in corridor_text(rep, "en")
    two = make_report(corridors=[{"id": c, "trucks_per_day": 40.0, "length_km": 9.0,
                                  "trucks_covered": 30.0, "weight": 40.0} for c in "ab"])
    assert "(2 corridors, counted apart" in corridor_text(two, "en")


# --------------------------------------------------------------------------- formats
def test_money_column_has_one_number_of_decimals():
    # a briefing column once read "80.0", "1,026", "76.0"
    assert money_column([8e5, 1.026e7, 7.6e5], "zh") == ["80", "1,026", "76"]
    col = money_column([3.55e5, 1e7, None], "zh")
    assert col == ["35.5", "1,000.0", "—"]
    assert len({len(c.split(".")[1]) for c in col if "." in c}) == 1
    assert money_column([8e5, 1.2e7], "en") == ["0.80", "12.00"]


def test_excluded_sites_are_read_from_the_structured_column():
    cands = pd.DataFrame({"allowed_types": ["swap;h2", "swap;h2", "h2", "h2"],
                          "excluded_types": ["h2", "h2;swap", "h2", ""],
                          "rule_outcome": ["任意文字", "任意文字", "任意文字", "任意文字"],
                          "chosen": [False, False, True, False]})
    assert maps.excluded_candidates(cands).tolist() == [False, True, False, False]


def test_labels_of_one_language_only():
    from siting.i18n import ZH

    # a Chinese label carries no English word but units, names and codes
    allowed = {"kWh", "kg", "km", "OSM", "GCJ", "WGS", "UTM", "EPSG", "HiGHS", "CBC", "MW",
               "kW", "kV", "Leaflet", "OpenStreetMap", "GeoPackage", "SOURCES", "md", "A", "B",
               "CO"}  # CO₂: a formula
    for key, text in ZH.items():
        if key.startswith(("csv.", "layer.basemap")):
            continue
        text = re.sub(r"\{[a-z_]+\}|[\w.-]+\.(csv|png|html|md|pdf|json|gpkg|geojson)\b", "", text)
        text = re.sub(r"siting [a-z]+( --?[a-z-]+)*", "", text)  # a command line is code
        text = re.sub(r"\b[a-z_]+/", "", text)  # a folder name (plan/)
        words = set(re.findall(r"[A-Za-z]{2,}", text))
        assert words <= allowed, (key, words - allowed)
