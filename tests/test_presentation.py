"""Issue 14: outputs a review board can be handed — one symbology, one language, readable pages.

One shrunken copy of the bundled scenario is run twice (two budgets), compared, swept and
briefed; the outputs are then read as their readers would: the pages in headless Chromium at
1366×768 (offline), the GeoPackage's styles, the briefing's pages, the CSVs, the console.

* compare.html and explorer.html: the maps are visible and large, no panel covers another,
  the maps of compare.html move together, figures are formatted (no raw floats, True/False
  or ``2024.0``), the explorer's slider shows each budget's own plan;
* map.html: the legend is not cut, a popup opens clear of the title box, zone labels do not
  overlap each other or a station;
* each station type has one colour, the scenario's, in map.html, compare.html,
  explorer.html, the GeoPackage styles, the briefing's legend and curve.png; demand uses none;
* Chinese outputs hold no English word outside a short list of units and proper names.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest
from matplotlib.colors import to_hex
from matplotlib.image import imread
from pyproj import CRS

from devtools import browser as chromium
from siting import briefing
from siting.report import read_report
from siting.symbology import DEMAND_SHARE_CLASSES, symbols_from_types

try:
    from tests.test_errors_catalog import Case, invoke
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from test_errors_catalog import Case, invoke

pytestmark = pytest.mark.slow

VIEW = {"width": 1366, "height": 768}
HAS_CHROMIUM = Path(chromium.CHROMIUM_PATH).exists()
#: English words a Chinese output may hold: units, programs, standards and CRS names, and
#: the ids of the data (site, supply and substation ids are codes, not words).
ALLOWED = {"kWh", "kg", "km", "kW", "MW", "kV", "CNY", "HiGHS", "CBC", "siting", "Leaflet",
           "OSM", "OpenStreetMap", "SOURCES", "md", "WGS", "UTM", "EPSG", "GCJ", "CGCS",
           "CO"}  # CO₂: a formula
#: A word: two or more Latin letters in a row (ids such as C012 or G70 hold one letter).
WORD = re.compile(r"[A-Za-z]{2,}")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("present")
    case = Case(root).fast(time_limit_s=20, every=30)
    out: dict[str, Path] = {"case": case.toml.parent}
    outputs: dict[str, str] = {}
    for name, budget in (("a", None), ("b", "40000000.0")):
        if budget is not None:
            text = case.toml.read_text(encoding="utf-8")
            text, n = re.subn(r"(?m)^total = .*$", f"total = {budget}", text)
            assert n == 1
            case.toml.write_text(text, encoding="utf-8")
        res = invoke("run", str(case.toml), "--out", str(root / name), "--basemap", "none")
        assert res.exit_code == 0, res.output
        out[name] = root / name
        outputs[f"run_{name}"] = res.output
    res = invoke("compare", str(out["a"]), str(out["b"]), "--out", str(root / "cmp"))
    assert res.exit_code == 0, res.output
    out["cmp"] = root / "cmp"
    outputs["compare"] = res.output
    res = invoke("sweep", str(case.toml), "--budgets", "32,40,48", "--out", str(root / "sw"),
                 "--basemap", "none")
    assert res.exit_code == 0, res.output
    out["sw"] = root / "sw"
    outputs["sweep"] = res.output
    res = invoke("brief", str(out["a"]))
    assert res.exit_code == 0, res.output
    outputs["brief"] = res.output
    (root / "console.json").write_text(json.dumps(outputs, ensure_ascii=False),
                                       encoding="utf-8")
    out["console"] = root / "console.json"
    return out


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium.CHROMIUM_PATH,
                               args=list(chromium.CHROMIUM_ARGS))
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport=VIEW)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:")) else r.abort())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(400)
    return page, errors


def _rect(page, selector: str) -> dict:
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {l: r.left, t: r.top, r: r.right, b: r.bottom}; }", selector)


def _settled_rect(page, selector: str, timeout_ms: int = 5000) -> dict:
    """The element's box once it has stayed put for 0.2 s, read no sooner than 0.45 s after
    it shows: the map's own pan clear of the panels starts 0.3 s after a popup opens."""
    page.wait_for_selector(selector, timeout=timeout_ms)
    page.wait_for_timeout(450)
    last, still = _rect(page, selector), 0
    for _ in range(timeout_ms // 100):
        page.wait_for_timeout(100)
        now = _rect(page, selector)
        still = still + 1 if now == last else 0
        if still >= 2:
            return now
        last = now
    raise AssertionError(f"{selector} still moving after {timeout_ms} ms")


def _rects(page, selector: str) -> list[dict]:
    return page.evaluate(
        "(s) => Array.from(document.querySelectorAll(s)).filter(e => e.offsetParent !== null"
        " && getComputedStyle(e).visibility !== 'hidden').map(e => {"
        " const r = e.getBoundingClientRect();"
        " return {l: r.left, t: r.top, r: r.right, b: r.bottom}; })", selector)


def _overlap(a: dict, b: dict) -> bool:
    return a["l"] < b["r"] - 0.5 and b["l"] < a["r"] - 0.5 and a["t"] < b["b"] - 0.5 \
        and b["t"] < a["b"] - 0.5


def _inside_view(r: dict) -> bool:
    return r["l"] >= 0 and r["t"] >= 0 and r["r"] <= VIEW["width"] and r["b"] <= VIEW["height"]


RAW_NUMBER = re.compile(r"\d\.\d{4,}|\b(True|False|nan|None)\b|\b20\d\d\.0\b")


# --------------------------------------------------------------------------- compare.html
@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="chromium not installed")
def test_compare_page_at_1366x768(runs, browser):
    page, errors = _open(browser, runs["cmp"] / "compare.html")
    try:
        assert errors == []
        for side in ("a", "b"):
            m = _rect(page, f"#map-{side}")
            assert m["r"] - m["l"] > 600 and m["b"] - m["t"] > 480, m  # two large maps
            assert _inside_view(m)
            # the panels over each map sit inside it and cover nothing else
            pane = f"#map-{side} + .label, #map-{side} ~ .legend"
            boxes = _rects(page, pane) + _rects(page, f"#map-{side} .leaflet-control-layers")
            assert len(boxes) == 3
            for k, a in enumerate(boxes):
                assert m["l"] <= a["l"] and a["r"] <= m["r"] + 1 and m["t"] <= a["t"], a
                for b in boxes[k + 1:]:
                    assert not _overlap(a, b), (a, b)
            # collapsed: the legend is a one-line summary, the layer list a button
            legend = _rects(page, f"#map-{side} ~ .legend")[0]
            assert legend["b"] - legend["t"] < 40
            ctl = _rects(page, f"#map-{side} .leaflet-control-layers")[0]
            assert ctl["r"] - ctl["l"] < 60
        # the two maps pan and zoom together
        box = _rect(page, "#map-a")
        page.mouse.move((box["l"] + box["r"]) / 2, (box["t"] + box["b"]) / 2)
        page.mouse.down()
        page.mouse.move((box["l"] + box["r"]) / 2 + 140, (box["t"] + box["b"]) / 2 + 60,
                        steps=8)
        page.mouse.up()
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(600)
        centres = page.evaluate("window.sitingMaps.map(m => [m.getCenter().lat, "
                                "m.getCenter().lng, m.getZoom()])")
        assert centres[0] == pytest.approx(centres[1], abs=1e-9)
        # the figures: formatted, in the run's language
        text = page.locator("#kpis").inner_text()
        assert not RAW_NUMBER.search(text), RAW_NUMBER.search(text)
        assert "万元" in text and "%" in text and "个百分点" in text
        changes = page.locator("#changes").inner_text()
        assert not RAW_NUMBER.search(changes)
        # every changed station is marked on its map, and listed
        marked = page.locator(".siting-mark-new, .siting-mark-removed, .siting-mark-type, "
                              ".siting-mark-year").count()
        rows = page.locator("#changes tr.new, #changes tr.removed, #changes tr.type_changed, "
                            "#changes tr.year_changed").count()
        new_or_removed = page.locator("#changes tr.new, #changes tr.removed").count()
        assert marked == 2 * rows - new_or_removed > 0
    finally:
        page.close()


# --------------------------------------------------------------------------- explorer.html
@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="chromium not installed")
def test_explorer_shows_each_budgets_plan_at_1366x768(runs, browser):
    sweep = runs["sw"]
    with open(sweep / "curve.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    page, errors = _open(browser, sweep / "explorer.html")
    try:
        assert errors == []
        side, m = _rect(page, "#side"), _rect(page, "#map")
        assert m["r"] - m["l"] > 900 and m["b"] - m["t"] >= VIEW["height"] - 1
        assert not _overlap(side, m) and _inside_view(side)
        assert page.locator("#curve circle, #curve text").count() >= len(rows)
        for i, row in enumerate(rows):
            page.evaluate("(i) => { const s = document.getElementById('slider'); s.value = i;"
                          " s.dispatchEvent(new Event('input')); }", i)
            page.wait_for_timeout(150)
            figures = page.locator("#figures").inner_text()
            assert not RAW_NUMBER.search(figures), figures
            folder = row["运行文件夹"]
            if not folder:
                assert page.locator(".siting-station").count() == 0
                assert "没有方案" in figures
                continue
            rep = read_report(sweep / folder / "report.json")
            stations = json.loads((sweep / folder / "stations.geojson").read_text(
                encoding="utf-8"))["features"]
            # this budget's plan: its stations on the map, its headline in the panel
            assert page.locator(".siting-station").count() == len(stations)
            h = rep.headline
            assert f"{h.vehicles_covered:,.0f} / {h.vehicles_total:,.0f} 辆" in figures
            assert f"{h.vehicles_covered / h.vehicles_total:.1%}" in figures
    finally:
        page.close()


# --------------------------------------------------------------------------- map.html
@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="chromium not installed")
def test_map_panels_popups_and_labels_at_1366x768(runs, browser):
    page, errors = _open(browser, runs["a"] / "map.html")
    try:
        assert errors == []
        title, legend = _rect(page, "#siting-title"), _rect(page, "#siting-legend")
        assert _inside_view(legend) and _inside_view(title) and not _overlap(title, legend)
        # not cut: everything in the legend shows without scrolling
        assert page.evaluate("(() => { const e = document.getElementById('siting-legend');"
                             " return e.scrollHeight <= e.clientHeight + 1; })()")
        labels = _rects(page, ".siting-zone-label")
        stations = _rects(page, ".siting-station")
        assert labels and stations
        for k, a in enumerate(labels):
            assert not any(_overlap(a, s) for s in stations), a
            assert not any(_overlap(a, b) for b in labels[k + 1:]), a
            assert not _overlap(a, title) and not _overlap(a, legend)
        # a popup opens clear of the title box and the legend, inside the window
        n = page.locator(".siting-station").count()
        for k in range(n):
            # the map as it opens (reloaded after each popup): every station reachable
            # (nothing covers it), its popup clear of the panels once the map stops panning
            page.locator(".siting-station").nth(k).click(timeout=5000)
            pop = _settled_rect(page, ".leaflet-popup")
            title, legend = _rect(page, "#siting-title"), _rect(page, "#siting-legend")
            assert not _overlap(pop, title) and not _overlap(pop, legend), (k, pop)
            page.reload(wait_until="load")
            page.wait_for_timeout(400)
    finally:
        page.close()


# --------------------------------------------------------------------------- one symbology
def _qml_colours(gpkg: Path) -> dict[str, set[str]]:
    """Fill colour of each station type's new-station symbol in the GeoPackage style."""
    con = sqlite3.connect(gpkg)
    try:
        qml = con.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = 'stations'"
                          " AND useAsDefault = 1").fetchone()[0]
    finally:
        con.close()
    root = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
    symbols = {s.get("name"): s for s in root.find("symbols")}
    out: dict[str, set[str]] = {}
    for rule in root.find("rules"):
        m = re.match(r'"station_type" = \'([^\']+)\' AND NOT "existing"', rule.get("filter"))
        if not m:
            continue
        layer = symbols[rule.get("symbol")].find("layer[@class='SimpleMarker']")
        rgba = {o.get("name"): o.get("value") for o in layer.find("Option")}["color"]
        r, g, b, _ = (int(v) for v in rgba.split(","))
        out.setdefault(m.group(1), set()).add(f"#{r:02x}{g:02x}{b:02x}")
    return out


def _icon_colours(page: str) -> dict[str, set[str]]:
    """Fill colour of each type's filled (new) icon in a page's ``DATA.icons``."""
    data = json.loads(re.search(r"^var DATA = (.*);$", page, re.M).group(1))
    out: dict[str, set[str]] = {}
    for key, icon in data["icons"].items():
        tid, existing, mark = key.split("|")
        if existing == "0" and not mark:
            fill = re.search(r"background:(#[0-9a-f]{6});", icon).group(1)
            out.setdefault(tid, set()).add(fill)
    return out


def test_one_colour_per_station_type_everywhere(runs):
    run = runs["a"]
    from siting.scenario import load_scenario

    sc = load_scenario(runs["case"] / "scenario.toml")
    expected = {tid: s.color for tid, s in symbols_from_types(sc.station_types, "zh").items()}
    assert len(set(expected.values())) == len(expected)  # the scenario's colours differ
    demand = {c for _, c, _ in DEMAND_SHARE_CLASSES}
    assert not demand & set(expected.values())  # demand never reads as a station
    # types some budget of the sweep builds (curve.png draws those)
    planned = {t for f in runs["sw"].glob("budget_*/report.json")
               for t, v in read_report(f).by_type.items() if v.count}

    # map.html: a filled icon per new station, in its type's colour
    page = (run / "map.html").read_text(encoding="utf-8")
    stations = json.loads((run / "stations.geojson").read_text(encoding="utf-8"))["features"]
    by_site = {f["properties"]["site_id"]: f["properties"] for f in stations}
    text = html.unescape(page)
    for m in re.finditer(r'data-site="([^"]+)" style="[^"]*?background:(#[0-9a-f]{6});', text):
        props = by_site[m.group(1)]
        want = "#ffffff" if props["existing"] else expected[props["station_type"]]
        assert m.group(2) == want, props  # existing stations hollow
    # the legend of map.html lists each type in its colour
    legend = text[text.index('id="siting-legend"'):]
    for tid, color in expected.items():
        assert f"background:{color};" in legend, tid
    # compare.html and explorer.html: their icons (by type key) in the same colours
    for path in (runs["cmp"] / "compare.html", runs["sw"] / "explorer.html"):
        got = _icon_colours(path.read_text(encoding="utf-8"))
        assert got == {t: {c} for t, c in expected.items()}, path.name
    # the GeoPackage styles
    assert _qml_colours(run / "results.gpkg") == {t: {c} for t, c in expected.items()}
    # the briefing's legend: each type's marker filled with its colour
    data = briefing.load_run(run)
    fonts = briefing.Fonts.resolve()
    with matplotlib.rc_context(briefing.briefing_rc(fonts)):
        fig = briefing.render_briefing(data, lang="zh", fonts=fonts)[0]
    legend_ax = fig.axes[1]  # the panel right of the map
    faces = {to_hex(line.get_markerfacecolor()) for line in legend_ax.lines
             if line.get_markerfacecolor() not in ("none", "white")}
    assert set(expected.values()) <= faces
    # curve.png: each type built at some budget appears as its colour in the bars
    img = (imread(runs["sw"] / "curve.png")[..., :3] * 255).round().astype(int)
    pixels = {f"#{r:02x}{g:02x}{b:02x}" for r, g, b in img.reshape(-1, 3)}
    for tid in planned:
        assert expected[tid] in pixels, tid


# --------------------------------------------------------------------------- one language
def _english(text: str, allowed: set[str]) -> list[str]:
    text = re.sub(r"siting [a-z]+( --?[a-z-]+)*", " ", text)  # a command line is code
    return sorted({w for w in WORD.findall(text) if w not in allowed})


def _allowed(runs) -> set[str]:
    """ALLOWED, the ids of the data, and the words of the CRS names the outputs name."""
    words = set(ALLOWED)
    case = runs["case"]
    for name in ("candidates", "existing", "h2_supply", "substations", "sensitive", "fleet",
                 "zones"):
        doc = json.loads((case / f"{name}.geojson").read_text(encoding="utf-8"))
        for f in doc["features"]:
            for key in ("site_id", "supply_id", "substation_id", "sensitive_id", "fleet_id",
                        "zone_id"):
                words |= set(WORD.findall(str(f["properties"].get(key, ""))))
    for code in ("EPSG:32649", "EPSG:4326"):
        words |= set(WORD.findall(CRS(code).name))
    return words


def _page_texts(browser, path: Path, *, slider: bool = False) -> str:
    """What a reader can see: the page's text, every popup and tooltip (and, for the
    explorer, the panel at every slider position)."""
    page, errors = _open(browser, path)
    try:
        assert errors == []
        texts = [page.locator("body").inner_text()]
        texts += page.evaluate("""(() => {
          const out = [];
          const maps = window.sitingMaps || (window.sitingMap ? [window.sitingMap] :
            Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k]));
          maps.forEach(m => m.eachLayer(l => {
            const ps = [l.getPopup && l.getPopup(), l.getTooltip && l.getTooltip()];
            ps.forEach(p => { if (p) { const c = p.getContent();
              const d = document.createElement('div'); d.innerHTML = c;
              out.push(d.textContent); } });
          }));
          document.querySelectorAll('.leaflet-control-layers label').forEach(
            e => out.push(e.textContent));
          return out; })()""")
        if slider:
            n = int(page.locator("#slider").get_attribute("max"))
            for i in range(n + 1):
                page.evaluate("(i) => { const s = document.getElementById('slider');"
                              " s.value = i; s.dispatchEvent(new Event('input')); }", i)
                texts.append(page.locator("#side").inner_text())
        return "\n".join(texts)
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="chromium not installed")
def test_chinese_outputs_hold_no_english_words(runs, browser):
    allowed = _allowed(runs)
    found: dict[str, list[str]] = {}
    found["map.html"] = _english(_page_texts(browser, runs["a"] / "map.html"), allowed)
    found["compare.html"] = _english(_page_texts(browser, runs["cmp"] / "compare.html"),
                                     allowed)
    found["explorer.html"] = _english(
        _page_texts(browser, runs["sw"] / "explorer.html", slider=True), allowed)
    # CSVs: every header and cell but the id columns
    for name, path, ids in (
            ("summary.csv", runs["a"] / "summary.csv", ("站址编号", "类型编号")),
            ("compare_stations.csv", runs["cmp"] / "compare_stations.csv", ("站址编号",)),
            ("compare_kpis.csv", runs["cmp"] / "compare_kpis.csv", ()),
            ("curve.csv", runs["sw"] / "curve.csv", ("运行文件夹",))):
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        cells = [c for r in rows for k, c in r.items() if k not in ids] + list(rows[0])
        found[name] = _english("\n".join(cells), allowed)
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        text = subprocess.run([pdftotext, "-layout", str(runs["a"] / "briefing.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        found["briefing.pdf"] = _english(text, allowed)
    console = json.loads(runs["console"].read_text(encoding="utf-8"))
    for name, text in console.items():
        # file paths are the user's; the rest is the summary
        found[f"console {name}"] = _english(re.sub(r"/\S+", " ", text), allowed)
    bad = {k: v for k, v in found.items() if v}
    assert not bad, json.dumps(bad, ensure_ascii=False)


def test_english_run_names_types_zones_and_segments_in_english(runs, tmp_path):
    res = invoke("run", str(runs["case"] / "scenario.toml"), "--out", str(tmp_path / "en"),
                 "--basemap", "none", "--lang", "en", "-q")
    assert res.exit_code == 0, res.output
    raw = (tmp_path / "en" / "map.html").read_text(encoding="utf-8")
    page = html.unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)),
                                raw))
    from siting.scenario import load_scenario

    sc = load_scenario(runs["case"] / "scenario.toml")
    for st in sc.station_types:
        assert st.name_en in page and st.name not in page, st.id
    zones = json.loads((runs["case"] / "zones.geojson").read_text(encoding="utf-8"))
    for f in zones["features"]:
        assert f["properties"]["name_en"] in page
    rows = list(csv.DictReader(io.StringIO((tmp_path / "en" / "summary.csv").read_text(
        encoding="utf-8-sig"))))
    assert {r["type_name"] for r in rows} <= {st.name_en for st in sc.station_types}
    assert all(not re.search(r"[\u4e00-\u9fff]", r["reason"]) for r in rows)
    # brief defaults to the run's language
    res = invoke("brief", str(tmp_path / "en"))
    assert res.exit_code == 0, res.output
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "en" / "briefing.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "Key figures" in text and "关键指标" not in text

