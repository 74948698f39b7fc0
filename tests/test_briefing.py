"""The review-board briefing, built on a run folder fabricated here (no pipeline needed)."""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib import font_manager
from matplotlib.image import imread
from pyproj import Transformer
from shapely.geometry import LineString, Point, box

from siting import briefing
from siting._errors import CRSMismatchError, InputDataError, ScenarioError
from siting.briefing import build
from siting.briefing import fonts as fonts_mod
from siting.briefing import text as text_layout

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext missing: apt-get install poppler-utils")
HAS_CJK = briefing.find_cjk_font() is not None
needs_cjk = pytest.mark.skipif(not HAS_CJK, reason="no CJK font: apt-get install fonts-noto-cjk")

# Station types and stations of the fabricated plan (WGS84 lon/lat around Suizhou).
TYPES = {
    "swap": {"name": "换电站", "capacity_unit": "kWh/day", "color": "#1f77b4", "glyph": "换",
             "family": "swap"},
    "charging_hub": {"name": "直流快充站", "capacity_unit": "kWh/day", "color": "#2ca02c",
                     "glyph": "充", "family": "charging"},
    "hydrogen": {"name": "加氢站", "capacity_unit": "kg/day", "color": "#d62728", "glyph": "氢",
                 "family": "hydrogen"},
}
STATIONS = [
    # site_id, name, type, lon, lat, capex CNY, capacity, zone, year, existing, served
    ("S01", "城东换电站", "swap", 113.430, 31.700, 6_000_000, 8_000, "chengdong", 2024,
     False, 42.0),
    ("S02", "烈山大道快充站", "charging_hub", 113.376, 31.705, 3_500_000, 12_000, "", 2024,
     False, 35.5),
    ("H01", "淅河化工园加氢站", "hydrogen", 113.482, 31.697, 15_000_000, 1_000, "xihe", 2025,
     False, 12.0),
    ("S03", "Depot $A$ 1", "swap", 113.390, 31.660, 6_000_000, 8_000, "", 2025, False, 20.25),
    ("E01", "公交停保场", "charging_hub", 113.370, 31.690, 0, 6_000, "", 2024, True, 18.0),
]
BUDGET = 40_000_000.0
SPENT = 30_500_000.0  # the new stations' capex above, summed by hand


def _report(*, schematic: bool = True, lang: str | None = None) -> dict:
    """A complete report.json (the typed Report's shape) agreeing with ``STATIONS``."""
    by_type = {}
    for tid, info in TYPES.items():
        rows = [s for s in STATIONS if s[2] == tid]
        by_type[tid] = {"name": info["name"], "count": len(rows),
                        "new": sum(not s[9] for s in rows),
                        "existing": sum(s[9] for s in rows),
                        "capex": float(sum(s[5] for s in rows)), "capacity": 0.0,
                        "capacity_unit": info["capacity_unit"],
                        "served_demand": float(sum(s[10] for s in rows)),
                        "served_vehicles": float(sum(s[10] for s in rows)),
                        "served_energy": 0.0, "color": info["color"], "glyph": info["glyph"],
                        "family": info["family"]}
    scenario = {"name": "随州市专用车队充换电与加氢站布局", "name_en": "Suizhou fleet stations",
                "years": [2024, 2025], "weight": "vehicles", "weight_unit": "NEV vehicles"}
    if lang:
        scenario["lang"] = lang

    def year(y: int, nev: float, share: float, new: int, spent: float) -> dict:
        return {"year": y, "nev_vehicles": nev, "vehicles_covered": nev * share,
                "demand_weight": nev, "weight_covered": nev * share, "coverage_share": share,
                "energy_kwh_per_day": 10 * nev, "energy_kwh_per_day_served": 10 * nev * share,
                "h2_kg_per_day": 50.0, "h2_kg_per_day_served": 40.0, "new_stations": new,
                "stations_open": new + 1, "spent": spent, "budget": 20_000_000.0}

    return {
        "siting_version": "0.1.0",
        "scenario": scenario,
        "budget": BUDGET,
        "budget_by_year": {"2024": 20_000_000.0, "2025": 20_000_000.0},
        "spent": SPENT,
        "objective": 127.75,
        "coverage_share": 0.6234,
        "headline": {"year": 2025, "unit": "NEV vehicles", "covered": 249.36, "total": 400.0,
                     "share": 0.6234, "vehicles_covered": 249.36, "vehicles_total": 400.0},
        "by_type": by_type,
        "by_zone": {"chengdong": {"count": 1, "by_type": {"swap": 1}, "capex": 6_000_000.0},
                    "xihe": {"count": 1, "by_type": {"hydrogen": 1}, "capex": 15_000_000.0},
                    "(outside zones)": {"count": 3, "by_type": {"charging_hub": 2, "swap": 1},
                                        "capex": 9_500_000.0}},
        "by_year": {"2024": year(2024, 250.0, 0.51, 2, 9_500_000.0),
                    "2025": year(2025, 400.0, 0.6234, 2, 21_000_000.0)},
        "by_segment": {"sanitation": {"name": "环卫", "coverage_share": 0.8125,
                                      "demand_weight": 80.0},
                       "logistics": {"name": "物流配送", "coverage_share": 0.4,
                                     "demand_weight": 124.9}},
        "by_pathway": {"swap": {"coverage_share": 0.7, "demand_weight": 100.0},
                       "hydrogen": {"coverage_share": 0.3, "demand_weight": 20.0}},
        "station_years": [
            {"site_id": s[0], "station_type": s[2], "year": 2025, "vehicles": s[10],
             "energy_kwh_per_day": 0.0 if s[2] == "hydrogen" else 100.0 * s[10],
             "capacity_kwh_per_day": None if s[2] == "hydrogen" else float(s[6]),
             "h2_kg_per_day": 5.0 * s[10] if s[2] == "hydrogen" else 0.0,
             "capacity_h2_kg_per_day": float(s[6]) if s[2] == "hydrogen" else None,
             "utilisation": (5.0 * s[10] if s[2] == "hydrogen" else 100.0 * s[10]) / s[6]}
            for s in STATIONS],
        "corridors": [],
        "zone_requirements": [{"zone": "xihe", "pathway": "hydrogen", "station_type": None,
                               "min": 1, "by_year": 2025}],
        "solver": {"name": "highs", "status": "optimal", "gap": 0.0, "bound": 127.75,
                   "seconds": 1.234, "capacitated": True, "variables": 321,
                   "constraints": 654},
        "inputs": {"demand_points": 88, "fleet_points": 40, "candidates": 25,
                   "existing_stations": 1, "options": 60, "excluded_options": 0,
                   "network_nodes": 1500, "network_edges": 3100, "corridors": 0},
        "network": {"source": "schematic line layer data/suizhou/roads.gpkg",
                    "schematic": schematic, "crs": "EPSG:32649"},
        "data_provenance": "Fleet sizes are assumptions (PROVENANCE-MARKER-7).",
    }


def make_run(tmp_path: Path, *, stations: list[tuple] | None = None, schematic: bool = True,
             lang: str | None = None, gpkg: bool = True) -> Path:
    """Write report.json, stations.geojson and results.gpkg like a `siting run` folder."""
    run = tmp_path / "run"
    run.mkdir(parents=True, exist_ok=True)
    rows = STATIONS if stations is None else stations
    (run / "report.json").write_text(
        json.dumps(_report(schematic=schematic, lang=lang), ensure_ascii=False),
        encoding="utf-8")
    gdf = gpd.GeoDataFrame({
        "site_id": [s[0] for s in rows], "name": [s[1] for s in rows],
        "station_type": [s[2] for s in rows],
        "family": ["hydrogen" if s[2] == "hydrogen" else "swap" for s in rows],
        "capex": [float(s[5]) for s in rows], "capacity": [float(s[6]) for s in rows],
        "capacity_unit": [TYPES[s[2]]["capacity_unit"] for s in rows],
        "zone": [s[7] for s in rows], "year": [s[8] for s in rows],
        "existing": [s[9] for s in rows], "served_demand": [s[10] for s in rows],
        "served_energy": [100.0] * len(rows), "n_demand_served": [3] * len(rows),
        "reason": ["test"] * len(rows),
    }, geometry=[Point(s[3], s[4]) for s in rows], crs="EPSG:4326")
    gdf.to_file(run / "stations.geojson", driver="GeoJSON")
    if gpkg:
        path = run / "results.gpkg"
        utm = "EPSG:32649"
        cov = gdf.to_crs(utm)
        cov = gpd.GeoDataFrame({"site_id": cov["site_id"], "station_type": cov["station_type"],
                                "threshold_min": 10.0},
                               geometry=cov.buffer(2500), crs=utm).to_crs("EPSG:4326")
        cov.to_file(path, layer="coverage_areas", driver="GPKG")
        zones = gpd.GeoDataFrame(
            {"zone_id": ["chengdong", "xihe"], "name": ["城东汽车电子园", "淅河化工园"]},
            geometry=[box(113.415, 31.690, 113.445, 31.712), box(113.470, 31.688, 113.495,
                                                                 31.705)], crs="EPSG:4326")
        zones.to_file(path, layer="zones", driver="GPKG")
        roads = gpd.GeoDataFrame(
            {"road_class": ["trunk", "primary", "primary", "motorway", "residential"]},
            geometry=[LineString([(113.365, 31.710), (113.430, 31.700), (113.475, 31.695)]),
                      LineString([(113.376, 31.730), (113.377, 31.690), (113.378, 31.670)]),
                      LineString([(113.400, 31.590), (113.385, 31.660), (113.405, 31.715)]),
                      LineString([(113.55, 31.50), (113.40, 31.59), (113.15, 31.75)]),
                      LineString([(113.38, 31.70), (113.39, 31.70)])], crs="EPSG:4326")
        roads.to_file(path, layer="roads", driver="GPKG")
    return run


# Very long names (a review board got a briefing whose corridor table had vanished under a
# stations-by-zone table of 500-character zone names): the whole-briefing fixtures carry, beside
# the plan above, two stations and two zones with such names and more corridors, supply sites,
# levelised costs, mandates and robustness rows than each table's place on its page holds.
LONG_STATIONS = [
    ("L01", "", "swap", 113.410, 31.680, 1_000_000, 5_000, "ZL1", 2025, False, 5.0),
    ("L02", "", "hydrogen", 113.460, 31.712, 1_000_000, 500, "ZL2", 2025, False, 2.0)]
LONG_IDS = {"corridor": [f"COR{k:02d}" for k in range(1, 7)],       # the table holds 5
            "supply": [f"SUP{k:02d}" for k in range(1, 8)],         # 6
            "levelised": [f"LEV{k:02d}" for k in range(1, 10)],     # 8
            "mandate": [f"MAN{k:02d}" for k in range(1, 9)],        # 7
            "robust": [f"ROB{k:02d}" for k in range(1, 20)]}        # 18
# Beside them: more station types than the map page's legend holds, zones whose names have no
# room on the map (two without stations), a fleet segment whose name is too long for the
# chart's label, zones too long for the zone-coverage chart.
LONG_TYPES = [f"TYPE{k:02d}" for k in range(1, 13)]
EMPTY_ZONES = ["ZE1", "ZE2"]
#: A site id wider than the robustness table's id column: it wraps, never cut.
LONG_ROBUST_ID = "ROBUST_SITE_ID_0042_EAST"
LONG_SEGMENT = "SEGLONG"


def long_name(word: str) -> str:
    """A 300-character name (wrapped to more than a cell's four lines) that holds no id."""
    return (word * 300)[:300]


def add_long_names(run: Path) -> None:
    """Give a :func:`make_run` folder (made with ``LONG_STATIONS``) the long names and rows."""
    st = gpd.read_file(run / "stations.geojson")
    long_rows = st["site_id"].isin([s[0] for s in LONG_STATIONS])
    st.loc[long_rows, "name"] = long_name("城东换电站Depot")
    st.to_file(run / "stations.geojson", driver="GeoJSON")
    doc = json.loads((run / "report.json").read_text(encoding="utf-8"))
    for zid, tid in (("ZL1", "swap"), ("ZL2", "hydrogen")):
        doc["by_zone"][zid] = {"name": long_name("淅河化工园区Zone"), "count": 1,
                               "by_type": {tid: 1}, "capex": 1_000_000.0}
    doc["corridors"] = [{"id": c, "name": long_name("Corridor通道"), "pathway": "hydrogen",
                         "trucks_per_day": 6.0, "trucks_covered": 3.0, "length_km": 40.0,
                         "weight": 6.0, "covered": 0.5} for c in LONG_IDS["corridor"]]
    doc["hydrogen_supply"] = {s: {"name": long_name("Supply氢源"), "kg_per_day": 500.0,
                                  "used_kg_per_day": {"2024": 10.0, "2025": 20.0}}
                              for s in LONG_IDS["supply"]}
    doc["economics"] = {
        "discount_rate": 0.08, "operating_days": 330, "electricity_cny_per_kwh": 0.8,
        "hydrogen_cny_per_kg": 35.0, "diesel_co2_kg_per_l": 2.6, "grid_co2_kg_per_kwh": 0.58,
        "grid_factor_source": "test", "hydrogen_co2_kg_per_kg": 0.0,
        "levelised_by_type": {t: 1.5 for t in LONG_IDS["levelised"]},
        "levelised_unit_by_type": {t: "CNY/kWh" for t in LONG_IDS["levelised"]}}
    doc["mandates"] = [{"key": m, "kind": "custom", "label": long_name("Mandate约束"),
                        "coverage_with": 0.62, "coverage_without": 0.63, "spent_with": 3e7,
                        "spent_without": 2.9e7, "coverage_gained": 0.01, "money_saved": 1e6,
                        "binding": True} for m in LONG_IDS["mandate"]]
    doc["robustness"] = {
        "samples": 20, "seed": 1, "no_regret_share": 0.9, "own_share_mean": 0.64,
        "base_share_mean": 0.6, "regret_mean": 0.02, "regret_p90": 0.04, "regret_max": 0.06,
        "stations": [{"site_id": r, "station_type": "swap", "name": long_name("Robust稳健"),
                      "chosen_share": 0.5, "in_base_plan": True}
                     for r in [*LONG_IDS["robust"], LONG_ROBUST_ID]]}
    for k, tid in enumerate(LONG_TYPES):
        doc["by_type"][tid] = {
            "name": long_name(f"类型Type{k}"), "count": 0, "new": 0, "existing": 0,
            "capex": 0.0, "capacity": 0.0, "capacity_unit": "kWh/day", "served_demand": 0.0,
            "served_vehicles": 0.0, "served_energy": 0.0, "family": "charging"}
    for row in doc["robustness"]["stations"][::2]:
        row["station_type"] = LONG_TYPES[0]
    doc["by_segment"][LONG_SEGMENT] = {"name": long_name("车队细分Segment"),
                                       "coverage_share": 0.5, "demand_weight": 3.0}
    doc["zone_coverage"] = {z: {"year": 2025, "coverage_share": 0.3, "demand_weight": 5.0}
                            for z in ("ZL1", *EMPTY_ZONES)}
    (run / "report.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    zones = gpd.read_file(run / "results.gpkg", layer="zones")
    more = gpd.GeoDataFrame(
        {"zone_id": ["ZL1", "ZL2", *EMPTY_ZONES],
         "name": [long_name("淅河化工园区Zone")] * 2 + [long_name("空白片区Empty"), "无站片区"]},
        geometry=[box(113.405, 31.675, 113.415, 31.685), box(113.455, 31.708, 113.465, 31.716),
                  box(113.355, 31.650, 113.365, 31.658), box(113.500, 31.660, 113.505, 31.664)],
        crs="EPSG:4326")
    pd.concat([zones, more], ignore_index=True).to_file(run / "results.gpkg", layer="zones",
                                                        driver="GPKG", mode="w")


def pdf_text(path: Path, mode: str = "-layout") -> str:
    """The PDF's text: laid out as on the page, or ``-raw`` in drawing order (a cell's lines
    one after the other, not interleaved with the cells beside it)."""
    out = subprocess.run([PDFTOTEXT, mode, str(path), "-"], capture_output=True,
                         text=True, check=True)
    return out.stdout


def pdf_pages(path: Path) -> int:
    return pdf_text(path).count("\f")


def ink_share(png: Path) -> float:
    """Share of pixels that are not (near) white."""
    img = imread(png)[..., :3]
    return float((img.min(axis=2) < 0.9).mean())


def red_pixels(png: Path, *, below: float = 0.0) -> int:
    """Red pixels of the page (in its bottom ``1 - below`` share when ``below`` > 0)."""
    img = imread(png)[..., :3]
    img = img[int(below * img.shape[0]):]
    return int(((img[..., 0] > 0.6) & (img[..., 1] < 0.25) & (img[..., 2] < 0.25)).sum())


# --------------------------------------------------------------------------- whole briefing
# Writing a briefing takes seconds (font subsetting, two renderers), so each fixture writes one
# and several tests read it.
@pytest.fixture(scope="module")
def zh_briefing(tmp_path_factory) -> tuple[Path, list[Path], list[str]]:
    """The default (Chinese, schematic network) briefing; also the matplotlib warnings. The
    plan has long names too (:func:`add_long_names`)."""
    run = make_run(tmp_path_factory.mktemp("zh"), stations=STATIONS + LONG_STATIONS)
    add_long_names(run)
    (run / "briefing-99.png").write_bytes(b"stale")   # from an earlier, longer briefing
    (run / "briefing-notes.png").write_bytes(b"keep")  # not a page: left alone
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = briefing.write_briefing(run)
    return run, files, [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def en_briefing(tmp_path_factory) -> tuple[Path, list[Path]]:
    """English, surveyed network, written to a custom PDF path; long names as in Chinese."""
    base = tmp_path_factory.mktemp("en")
    run = make_run(base, stations=STATIONS + LONG_STATIONS, schematic=False)
    add_long_names(run)
    out = base / "elsewhere" / "board.pdf"
    return run, briefing.write_briefing(run, lang="en", out_pdf=out)


@needs_cjk
def test_zh_files_pages_and_pngs(zh_briefing) -> None:
    run, files, caught = zh_briefing
    assert not [m for m in caught if "missing from font" in m]
    pdf, pngs = files[0], files[1:]
    assert pdf == run / "briefing.pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert [p.name for p in pngs] == [f"briefing-{i}.png" for i in range(1, len(pngs) + 1)]
    # map, figures, the table page (the method follows it there when it fits): one PNG a
    # page, as many as the PDF's pages (counted by its page objects)
    assert len(pngs) >= 3
    assert len(pngs) == len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    for p in pngs:
        assert p.is_file()
        assert 0.01 < ink_share(p) < 0.9, p  # neither blank nor a solid block
    assert not (run / "briefing-99.png").exists()
    assert (run / "briefing-notes.png").read_bytes() == b"keep"
    assert not [p for p in run.iterdir() if p.name.startswith(".briefing")]  # no temp files


@needs_pdftotext
@needs_cjk
def test_zh_pdf_text_has_names_figures_and_caveat(zh_briefing) -> None:
    _, files, _ = zh_briefing
    text = pdf_text(files[0])
    assert text.count("\f") == len(files) - 1  # one PNG per PDF page
    flat = re.sub(r"\s+", "", text)
    for s in STATIONS:  # every station name, `$` kept literal (no mathtext)
        assert re.sub(r"\s+", "", s[1]) in flat, s[1]
    assert "随州市专用车队充换电与加氢站布局" in flat
    assert "4,000万元" in flat      # budget 40,000,000 CNY
    assert "3,050万元" in flat      # spent 30,500,000 CNY
    assert "62.3%" in flat          # coverage share 0.6234
    assert "81.2%" in flat          # sanitation segment 0.8125
    assert "1,500" in flat          # capex of the hydrogen station in 万元
    assert "示意路网" in flat        # schematic caveat
    assert "PROVENANCE-MARKER-7" in text
    assert "HiGHS" in text and "已证明最优" in flat
    assert "optimal" not in text  # one language: the status in Chinese only


@needs_pdftotext
@needs_cjk
def test_zh_pdf_embeds_the_cjk_font_as_truetype(zh_briefing) -> None:
    _, files, _ = zh_briefing
    out = subprocess.run(["pdffonts", str(files[0])], capture_output=True, text=True,
                         check=True)
    rows = out.stdout.splitlines()[2:]
    assert any("NotoSansCJK" in r for r in rows), out.stdout
    for r in rows:
        assert " yes " in r, r              # embedded
        assert "CID TrueType" in r or "TrueType" in r, r
    assert "Mismatch" not in out.stderr     # the embedded program matches its declared type


@needs_pdftotext
def test_en_labels_and_custom_pdf_path(en_briefing) -> None:
    run, files = en_briefing
    assert files[0].name == "board.pdf" and files[0].is_file()
    assert [p.name for p in files[1:]] == [f"board-{i}.png" for i in range(1, len(files))]
    assert not (run / "briefing.pdf").exists()
    text = pdf_text(files[0])
    assert "Suizhou fleet stations" in text
    assert "40.00 M CNY" in text and "30.50 M CNY" in text
    assert "62.3%" in text
    assert "SCHEMATIC" not in text  # no caveat for a surveyed network
    assert "Depot $A$ 1" in text
    if HAS_CJK:
        assert "公交停保场" in re.sub(r"\s+", "", text)


@needs_cjk
def test_schematic_caveat_is_red_on_the_map(zh_briefing, en_briefing) -> None:
    # the strip under the map (a hydrogen station's red symbol on the map does not count)
    assert red_pixels(zh_briefing[1][1], below=0.91) > 500   # schematic: red caveat
    assert red_pixels(en_briefing[1][1], below=0.91) == 0    # surveyed network: none


@needs_pdftotext
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_long_names_leave_no_table_or_row_out(request, lang: str) -> None:
    """Every table's title and every row of the long-name plan is in the PDF: a table that
    does not fit its place continues on the next pages, a cut name ends with its id."""
    from siting.i18n import t

    if lang == "zh" and not HAS_CJK:
        pytest.skip("no CJK font")
    files = request.getfixturevalue(f"{lang}_briefing")[1]
    text = pdf_text(files[0])
    assert text.count("\f") == len(files) - 1  # one PNG per PDF page

    def flat(s: str) -> str:
        return re.sub(r"\s+", "", s)

    for key in ("brief.page_map", "brief.page_figures", "brief.page_commission",
                "brief.page_robustness", "brief.page_stations", "brief.by_year",
                "brief.by_zone", "brief.corridors", "brief.h2_supply", "brief.levelised",
                "brief.mandates", "brief.robust_table", "brief.method_title",
                "brief.caveat_title"):
        assert flat(t(key, lang, year=2025)) in flat(text), key
    # every row is there: the long names cut, each with its id
    ids = [s[0] for s in LONG_STATIONS] + ["ZL1", "ZL2"] + [
        i for group in LONG_IDS.values() for i in group]
    assert [i for i in ids if i not in text] == []
    # wrapped over lines in its cell, not cut: whole in drawing order
    assert LONG_ROBUST_ID in flat(pdf_text(files[0], "-raw"))
    assert long_name("Corridor通道") not in flat(text)  # cut ...
    assert flat(t("brief.names_cut", lang)) in flat(text)  # ... and said so
    assert flat(t("brief.continued", lang)) in flat(text)
    pages = text.split("\f")[:-1]
    for i, page in enumerate(pages, start=1):  # nothing drawn under or over the page footer
        footer = t("brief.page_of", lang, i=i, n=len(pages))
        assert re.fullmatch(rf"siting 0\.1\.0\s+{re.escape(footer)}",
                            page.rstrip().splitlines()[-1].strip()), page[-300:]


@needs_pdftotext
@needs_cjk  # the names are Chinese
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_type_zone_and_segment_is_named(request, lang: str) -> None:
    """Twelve more station types than the map's panel holds, zones whose names have no room
    on the map (two without stations), a fleet segment too long for the chart's label: each
    is named where the reader looks for it — whole, or cut and ending with its id — and the
    panel's headline is still on the map page (the legend ran over the page footer, and the
    headline under the page's edge; a zone name with no room was left out of the PDF; chart
    labels were cut with "…" alone)."""
    from siting.i18n import t
    from siting.report_text import headline_text
    from siting.run_folder import read_report

    run, files = request.getfixturevalue(f"{lang}_briefing")[:2]
    pages = pdf_text(files[0]).split("\f")[:-1]

    def flat(s: str) -> str:
        return re.sub(r"\s+", "", s)

    def heading(key: str) -> str:
        return flat("\n".join(p for p in pages if flat(t(key, lang)) in flat(p[:400])))

    def unnamed(where: str, names: dict[str, str]) -> list[str]:
        return [i for i, name in names.items() if flat(name) not in where and f"[{i}]" not in
                where]

    doc = json.loads((run / "report.json").read_text(encoding="utf-8"))
    layer = gpd.read_file(run / "results.gpkg", layer="zones")
    zones = dict(zip(layer["zone_id"], layer["name"], strict=True))
    map_pages = heading("brief.page_map")  # the map page and the page continuing its panel
    assert unnamed(map_pages, {k: v["name"] for k, v in doc["by_type"].items()}) == []
    assert unnamed(map_pages, zones) == []
    assert set(LONG_TYPES) | {"ZL1", "ZL2", "ZE1"} <= set(re.findall(r"\[(\w+)\]", map_pages))
    assert flat(headline_text(read_report(run), lang)) in flat(pages[0])
    assert unnamed(heading("brief.page_figures"),
                   {k: v["name"] for k, v in doc["by_segment"].items()}) == []
    assert f"[{LONG_SEGMENT}]" in heading("brief.page_figures")
    # the stations-by-zone table lists every zone, those without a station with 0
    assert unnamed(heading("brief.page_figures"), zones) == []
    assert unnamed(heading("brief.page_commission"),
                   {k: zones[k] for k in doc["zone_coverage"]}) == []


@pytest.mark.slow
@needs_pdftotext
def test_long_station_list_splits_over_pages(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = [(f"X{i:03d}", f"站点{i:03d}", ("swap", "charging_hub", "hydrogen")[i % 3],
             113.30 + 0.2 * rng.random(), 31.60 + 0.15 * rng.random(), 1_000_000, 5_000, "",
             2024 + i % 2, i % 17 == 0, float(i)) for i in range(200)]
    run = make_run(tmp_path, stations=rows)
    files = briefing.write_briefing(run)
    n = pdf_text(files[0]).count("\f")
    tables = math.ceil(200 / briefing.ROWS_PER_PAGE)
    # map, figures, the table pages; the method text starts under the table's end
    assert 2 + tables <= n <= 2 + tables + 1
    flat = re.sub(r"\s+", "", pdf_text(files[0]))
    for i in range(200):
        assert (f"站点{i:03d}" if HAS_CJK else f"X{i:03d}") in flat


def test_without_results_gpkg_and_without_stations(tmp_path: Path) -> None:
    fonts = briefing.Fonts.resolve()
    for run in (make_run(tmp_path / "a", gpkg=False),
                make_run(tmp_path / "b", stations=[], gpkg=False)):
        data = briefing.load_run(run)
        assert data.roads is None and data.zones is None
        with matplotlib.rc_context(briefing.briefing_rc(fonts)):
            figs = briefing.render_briefing(data, lang="en", fonts=fonts)
            for fig in figs:
                fig.canvas.draw()  # draws without error
        # map, figures, the station table with the method text flowing on below it: no
        # mostly empty page
        assert 3 <= len(figs) <= 4
        method = [k for k, f in enumerate(figs) if any(
            t.get_text() in ("Method", "方法") for t in f.texts)]
        assert method == [2]


# --------------------------------------------------------------------------- fonts
@needs_cjk
def test_chinese_text_uses_the_cjk_font() -> None:
    fonts = briefing.Fonts.resolve()
    with matplotlib.rc_context(briefing.briefing_rc(fonts)):
        fig = matplotlib.figure.Figure(figsize=(3, 1))
        txt = fig.text(0.1, 0.5, "淅河化工园加氢站", fontsize=14)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        path = font_manager.findfont(txt.get_fontproperties(), fallback_to_default=False)
    assert "CJK" in Path(path).name or "Han" in Path(path).name, path
    assert not [w for w in caught if "missing from font" in str(w.message)]
    # the glyphs are really in that face: every character maps to a glyph index > 0
    face = font_manager.get_font(path)
    cmap = face.get_charmap()
    assert all(cmap.get(ord(c), 0) > 0 for c in "淅河化工园加氢站")


@needs_pdftotext
def test_no_cjk_font_falls_back_to_english_without_boxes(tmp_path: Path, monkeypatch,
                                                         caplog) -> None:
    real = briefing.find_cjk_font
    monkeypatch.setattr(fonts_mod, "find_cjk_font",
                        lambda **kw: real(families=("No Such CJK Font",), file_globs=()))
    run = make_run(tmp_path)
    with caplog.at_level(logging.WARNING, logger="siting.briefing"), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = briefing.write_briefing(run)  # zh asked (default) -> English
    assert files[0] == run / "briefing.pdf"
    assert any("CJK" in r.getMessage() for r in caplog.records)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    text = pdf_text(files[0])
    assert not re.search(r"[\u4e00-\u9fff]", text)  # nothing Chinese was drawn
    assert "Suizhou fleet stations" in text            # name_en replaces the Chinese title
    assert "S01" in text and "H01" in text              # site ids replace Chinese names
    assert "Depot $A$ 1" in text


# --------------------------------------------------------------------------- map furniture
@given(st.floats(min_value=0.5, max_value=5e6, allow_nan=False))
def test_nice_scale_length_is_round_and_close(bound: float) -> None:
    got = briefing.nice_scale_length(bound)
    k = math.floor(math.log10(got))
    mantissa = got / 10 ** k
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9
    assert got <= bound * (1 + 1e-9)
    assert got > bound / 2.5 - 1e-9  # the next round step would exceed the bound


def test_north_angle_matches_meridian_convergence() -> None:
    lon, lat = 113.4, 31.7  # UTM 49N, central meridian 111 E
    expected = -math.degrees(math.atan(math.tan(math.radians(lon - 111)) *
                                       math.sin(math.radians(lat))))
    assert briefing.north_angle_deg("EPSG:32649", lon, lat) == pytest.approx(expected, abs=0.02)
    assert briefing.north_angle_deg("EPSG:32649", 111.0, lat) == pytest.approx(0, abs=1e-6)


@needs_cjk
def test_map_page_is_metric_with_true_scale_bar(tmp_path: Path) -> None:
    data = briefing.load_run(make_run(tmp_path))
    fonts = briefing.Fonts.resolve()
    with matplotlib.rc_context(briefing.briefing_rc(fonts)):
        fig = briefing.render_briefing(data, lang="zh", fonts=fonts)[0]
    ax = fig.axes[0]
    # station markers sit at their UTM 49N coordinates (independent pyproj transform)
    tr = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    expected = {tuple(np.round(tr.transform(s[3], s[4]), 3)) for s in STATIONS}
    drawn = {tuple(np.round(xy, 3)) for line in ax.lines
             for xy in np.asarray(line.get_xydata()) if len(xy)}
    assert expected <= drawn
    # the scale bar: two halves whose total width equals the km label, and < 1/4 of the map
    halves = [p for p in ax.patches if p.get_zorder() == 9]
    length = sum(p.get_width() for p in halves)
    labels = [t.get_text() for t in ax.texts if t.get_text().endswith(" km")]
    assert len(labels) == 1
    assert length == pytest.approx(float(labels[0].split()[0]) * 1000)
    width = np.diff(ax.get_xlim())[0]
    assert width / 10 < length <= width / 4
    # map aspect: x and y metres per inch equal (no distortion)
    bbox = ax.get_position()
    fw, fh = fig.get_size_inches()
    sx = width / (bbox.width * fw)
    sy = np.diff(ax.get_ylim())[0] / (bbox.height * fh)
    assert sx == pytest.approx(sy, rel=1e-6)


# --------------------------------------------------------------------------- text helpers
def test_wrap_respects_width_for_chinese_and_latin() -> None:
    zh = "采用带预算约束的最大覆盖选址模型，在总投资不超过预算的前提下选择站点及其类型。" * 3
    lines = text_layout.wrap(zh, 30)
    assert "".join(lines) == zh
    assert all(text_layout.display_width(line) <= 31 for line in lines)  # +1: closing punctuation
    en = "A budgeted maximal covering location model chooses sites and station types " * 4
    lines = text_layout.wrap(en, 40)
    assert " ".join(lines).split() == en.split()
    assert all(len(line) <= 40 for line in lines)


# --------------------------------------------------------------------------- errors
def test_missing_files_and_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"report\.json"):
        briefing.write_briefing(tmp_path)
    run = make_run(tmp_path)
    (run / "stations.geojson").unlink()
    with pytest.raises(InputDataError, match=r"stations\.geojson"):
        briefing.write_briefing(run)
    run = make_run(tmp_path)
    with pytest.raises(ScenarioError, match="fr"):
        briefing.write_briefing(run, lang="fr")
    (run / "report.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"report\.json"):
        briefing.write_briefing(run)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_gpkg_layer_without_crs_is_refused(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    naive = gpd.GeoDataFrame({"zone_id": ["z"], "name": ["z"]},
                             geometry=[box(113.4, 31.6, 113.5, 31.7)])
    naive.to_file(run / "results.gpkg", layer="zones", driver="GPKG", mode="w")
    with pytest.raises(CRSMismatchError, match="zones"):
        briefing.load_run(run)


def test_language_comes_from_report(tmp_path: Path) -> None:
    run = make_run(tmp_path, lang="en")
    data = briefing.load_run(run)
    fonts = briefing.Fonts.resolve()
    assert build.resolve_lang(None, data.report, fonts, run) == "en"
    assert build.resolve_lang("zh", data.report, fonts, run) == ("zh" if HAS_CJK else "en")


@needs_cjk
def test_font_subset_covers_every_drawn_character(tmp_path: Path) -> None:
    # the subset is cut from the data before drawing; what is drawn must be inside it
    data = briefing.load_run(make_run(tmp_path))
    fonts = briefing.Fonts.resolve()
    for lang in ("zh", "en"):
        with matplotlib.rc_context(briefing.briefing_rc(fonts)):
            figs = briefing.render_briefing(data, lang=lang, fonts=fonts)
        drawn = set(fonts_mod.figure_chars(figs))
        assert drawn <= set(build.data_chars(data, lang)), drawn - set(
            build.data_chars(data, lang))


def test_map_and_coordinates_follow_a_projected_output_crs(tmp_path: Path) -> None:
    # issue 14: with --crs EPSG:4547 the map said "UTM zone 49N" while the exports were in
    # CGCS2000 / 3-degree GK; now it is drawn in the run's projected output CRS, says so, and
    # the station table gives each site's x, y in it
    run = make_run(tmp_path)
    doc = json.loads((run / "report.json").read_text(encoding="utf-8"))
    doc["output_crs"] = "EPSG:4547"
    (run / "report.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    data = briefing.load_run(run)
    fonts = briefing.Fonts.resolve()
    with matplotlib.rc_context(briefing.briefing_rc(fonts)):
        figs = briefing.render_briefing(data, lang="en", fonts=fonts)
    ax = figs[0].axes[0]
    notes = [t.get_text() for t in ax.texts if "EPSG" in t.get_text()]
    assert len(notes) == 1 and "EPSG:4547" in notes[0] and "UTM" not in notes[0]
    tr = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    drawn = {tuple(np.round(xy, 3)) for line in ax.lines
             for xy in np.asarray(line.get_xydata()) if len(xy)}
    for s in STATIONS:
        assert tuple(np.round(tr.transform(s[3], s[4]), 3)) in drawn, s[0]
    table = " ".join(t.get_text() for t in figs[2].texts)
    assert "x, y (EPSG:4547, m)" in table
    for s in STATIONS:
        x, y = tr.transform(s[3], s[4])
        assert f"{x:.0f}, {y:.0f}" in table, s[0]
    # the totals row: capex of the new stations (existing ones cost nothing), in M CNY
    assert f"total ({len(STATIONS)} stations)" in table
    assert f"{SPENT / 1e6:,.2f}" in table


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_station_table_headers_break_between_words(lang: str) -> None:
    """Every header of the station table fits its column without splitting a Latin word
    (``utilisation`` came out as ``utilisati`` / ``on``)."""
    from siting.briefing import page_stations as PS
    from siting.briefing.tables import Table, layout_rows
    from siting.i18n import t

    if lang == "zh" and not HAS_CJK:
        pytest.skip("no CJK font")
    keys = ["brief.col_no", "field.name", "field.type", "field.zone", "brief.col_year",
            "brief.col_capex", "field.capacity", "brief.col_vehicles_day",
            "brief.col_energy_day", "brief.col_util", "brief.col_lonlat"]
    header = [t(k, lang, year=2025, crs="WGS84") for k in keys]
    assert len(header) == len(PS._WIDTHS)
    fonts = briefing.Fonts.resolve()
    with matplotlib.rc_context(briefing.briefing_rc(fonts)):
        laid = layout_rows(Table(header, [], PS._WIDTHS, PS._ALIGNS, PS._WRAP, fontsize=8),
                           PS._WIDTH)
    for text, lines in zip(header, laid[0][0], strict=True):
        latin = re.findall(r"[A-Za-z0-9]+", text)
        got = [w for line in lines for w in re.findall(r"[A-Za-z0-9]+", line)]
        assert got == latin, (text, lines)


def test_stopped_solver_tile_shows_its_whole_sentence(tmp_path: Path) -> None:
    """The key-figures page's solver tile: "stopped at the time limit: within 40.0% of the
    best possible (not proven optimal)" is three lines in English; only two were kept, and the
    page said "... (not" (the bundled scenario's English briefing)."""
    from siting.i18n import t

    run = make_run(tmp_path)
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    report["solver"].update(status="time_limit", gap=0.4, bound=212.9)
    report["corridors"] = [{  # a fifth tile: the tiles narrower, as in the bundled plan
        "covered": 1.0, "energy_per_day": 58.1, "energy_unit": "kg/day", "id": "c1",
        "length_km": 48.4, "name": "淅河化工园 → G70", "name_en": "", "pathway": "hydrogen",
        "trucks_covered": 6.0, "trucks_per_day": 6.0, "weight": 6.0}]
    (run / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    fonts = briefing.Fonts.resolve()
    with matplotlib.rc_context(briefing.briefing_rc(fonts)):
        figs = briefing.render_briefing(briefing.load_run(run), lang="en", fonts=fonts)
    want = t("brief.solver_short_stopped", "en", gap="40.0%")
    tile = [x.get_text() for x in figs[1].texts if x.get_text().startswith(want[:20])]
    assert len(tile) == 1
    assert " ".join(tile[0].split("\n")) == want
