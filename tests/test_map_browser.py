"""The map in a real browser: headless Debian Chromium driven by playwright, fully offline.

Each test copies map.html ALONE into an empty folder, opens it via file://, and blocks (and
counts) every request that is not file: or data:.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from devtools import browser as chromium
from siting import maps
from tests.helpers_maps import HOSTILE, make_result, with_minor_roads

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not Path(chromium.CHROMIUM_PATH).exists(),
                       reason=f"{chromium.CHROMIUM_PATH} not installed"),
]


@dataclass
class Opened:
    page: object
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    load_s: float = 0.0


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        # playwright gives every launch a fresh temporary --user-data-dir of its own
        b = pw.chromium.launch(executable_path=chromium.CHROMIUM_PATH,
                               args=list(chromium.CHROMIUM_ARGS))
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_map(browser, tmp_path: Path):
    pages = []

    def _open(result, **kw) -> Opened:
        folder = tmp_path / f"site{len(pages)}"
        folder.mkdir()
        src = maps.write_map(result, tmp_path / f"build{len(pages)}" / "map.html", **kw)
        html_path = folder / "map.html"
        shutil.copy(src, html_path)
        assert [p.name for p in folder.iterdir()] == ["map.html"]
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        pages.append(ctx)
        opened = Opened(page)

        def route(r) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:")):
                r.continue_()
            else:
                opened.requests.append(url)
                r.abort()

        ctx.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and opened.console_errors.append(m.text))
        page.on("pageerror", lambda e: opened.console_errors.append(str(e)))

        def dialog(d) -> None:
            opened.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        t0 = time.perf_counter()
        page.goto(html_path.as_uri(), wait_until="load")
        page.wait_for_selector(".leaflet-container")
        page.wait_for_selector(".siting-station")
        opened.load_s = time.perf_counter() - t0
        page.wait_for_timeout(300)
        return opened

    yield _open
    for ctx in pages:
        ctx.close()


def test_offline_map_renders_without_any_request(open_map) -> None:
    result = make_result()
    o = open_map(result, basemap="none")
    assert o.requests == []
    assert o.console_errors == []
    assert o.page.locator(".siting-station").count() == len(result.stations)
    n_excluded = int(maps.excluded_candidates(result.candidates).sum())
    assert o.page.locator(".siting-excluded").count() == n_excluded
    legend = o.page.locator("#siting-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    assert "图例" in text and "换电站" in text and "加氢站" in text
    assert "示意路网，未经测绘" in text and "schematic" not in text  # one language
    assert "示意路网" in o.page.locator("#siting-title").inner_text()
    assert "随州市专用车队能源站布局" in o.page.title()
    # the layer control lists every station type, and toggling one hides its markers
    control = o.page.locator(".leaflet-control-layers")
    control.hover()  # a button on screens under 1500 × 850 px: it opens on hover
    assert "加氢站 (1)" in control.inner_text()
    control.get_by_text("加氢站 (1)").click()
    assert o.page.locator(".siting-station").count() == len(result.stations) - 1
    # demand and the other vector layers are drawn on a canvas
    assert o.page.locator(".leaflet-overlay-pane canvas").count() >= 1


def test_minor_roads_of_a_city_wide_network_are_drawn_when_switched_on(
        open_map, monkeypatch) -> None:
    import re

    from siting.i18n import t
    from siting.maps import layers
    monkeypatch.setattr(layers, "ROAD_SEGMENTS_COARSE", 1)  # every network is city-wide
    o = open_map(with_minor_roads(make_result()), basemap="none")
    assert o.requests == [] and o.console_errors == []
    lazy = re.search(r"var (lazy_data_layer_\w+) = null;", o.page.content()).group(1)
    assert o.page.evaluate(f"{lazy} === null")  # not built when the page opened
    control = o.page.locator(".leaflet-control-layers")
    control.hover()
    control.get_by_text(t("layer.roads_minor", "zh")).click()
    # built once switched on: one polyline per road-class weight, every road in it
    assert o.page.evaluate(f"{lazy}.getLayers().length") == 1
    assert o.page.evaluate(f"{lazy}.getLayers()[0].getLatLngs().length") >= 1
    control.get_by_text(t("layer.roads_minor", "zh")).click()  # off, then on again
    control.get_by_text(t("layer.roads_minor", "zh")).click()
    assert o.page.evaluate(f"{lazy}.getLayers().length") == 1  # not built twice
    assert o.console_errors == []


def test_osm_map_only_requests_tiles(open_map) -> None:
    result = make_result()
    o = open_map(result, basemap="osm")
    o.page.wait_for_timeout(500)
    assert o.requests, "the OSM basemap should have asked for tiles"
    assert all(u.startswith("https://tile.openstreetmap.org/") for u in o.requests), o.requests
    tile_failures = [e for e in o.console_errors if "Failed to load resource" in e]
    assert o.console_errors == tile_failures
    assert o.page.locator(".siting-station").count() == len(result.stations)


def test_hostile_station_name_is_shown_as_text(open_map) -> None:
    result = make_result(station_name=HOSTILE, zone_name=HOSTILE)
    o = open_map(result, basemap="none")
    o.page.locator('.siting-station [data-site="H1"]').click()
    popup = o.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert HOSTILE in popup.inner_text()
    assert o.page.locator(".leaflet-popup-content img").count() == 0
    assert HOSTILE in o.page.locator(".siting-zone-label").all_inner_texts()
    o.page.wait_for_timeout(300)
    assert o.dialogs == []
    assert o.page.locator("img[src='x']").count() == 0
    assert o.console_errors == []


@pytest.mark.slow
def test_100k_demand_map_opens_and_draws_every_station(open_map) -> None:
    """A 100k-demand map opens offline with every station drawn (its load time is measured
    by benchmarks/run.py, part pipeline, not asserted here)."""
    result = make_result(n_demand=100_000, seed=3)
    o = open_map(result, basemap="none")
    assert o.requests == [] and o.console_errors == []
    assert o.page.locator(".siting-station").count() == len(result.stations)


def test_screenshot_map_writes_a_non_blank_png(tmp_path: Path) -> None:
    import matplotlib.image

    html_path = maps.write_map(make_result(), tmp_path / "map.html", basemap="none")
    png = chromium.screenshot_map(html_path, tmp_path / "shots" / "map.png", 800, 600,
                              settle_ms=300)
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(png)
    assert img.shape[:2] == (600, 800)
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    assert len(np.unique((rgb * 255).astype(np.uint8), axis=0)) > 50
    assert not (tmp_path / "shots" / "map.tmp.png").exists()


#: Right edge of a box's widest descendant beyond the box's own right edge, per box (px).
_OVERFLOW_JS = """(sel) => [...document.querySelectorAll(sel)].map(el => {
  const right = el.getBoundingClientRect().right;
  let inner = right;
  for (const d of el.querySelectorAll('*')) {
    const b = d.getBoundingClientRect();
    if (b.width) { inner = Math.max(inner, b.right); }
  }
  return inner - right;
})"""


def test_very_long_names_stay_inside_their_boxes(open_map) -> None:
    """A 400-character name without a space (and a 300-character zone name) wraps inside the
    popup, the legend and the title box; the layer list stays narrow. Before, the popup's text
    ran ~3,000 px past its bubble and the layer control covered the whole window."""
    o = open_map(make_result(station_name="L" * 400, zone_name="Z" * 300), basemap="none")
    o.page.locator('.siting-station [data-site="H1"]').click()
    o.page.locator(".leaflet-popup-content").wait_for()
    for sel in (".leaflet-popup-content-wrapper", "#siting-legend", "#siting-title"):
        assert max(o.page.evaluate(_OVERFLOW_JS, sel)) <= 2, sel
    control = o.page.locator(".leaflet-control-layers")
    control.hover()
    assert control.bounding_box()["width"] <= 362
    assert o.console_errors == []


def test_printed_map_is_a4_landscape_with_the_whole_legend(open_map, tmp_path: Path) -> None:
    """Printed (Save as PDF), the legend scrolled inside 60 % of the window and was cut
    after five rows, on a portrait Letter page; now every legend row is in the PDF, on one
    A4 landscape page, without the zoom and layer buttons."""
    import subprocess

    o = open_map(make_result(), basemap="none")
    rows = o.page.locator("#siting-legend .row").all_inner_texts()
    assert len(rows) >= 8, "test set-up: a legend longer than five rows"
    o.page.emulate_media(media="print")
    assert not o.page.locator(".leaflet-control-zoom").is_visible()
    assert not o.page.locator(".leaflet-control-layers").is_visible()
    assert o.page.evaluate("""() => { const g = document.getElementById('siting-legend');
        return g.scrollHeight <= g.clientHeight + 1; }""")
    pdf = tmp_path / "map.pdf"
    o.page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert "Pages:           1" in info
    size = next(line for line in info.splitlines() if line.startswith("Page size:")).split()
    assert (round(float(size[2])), round(float(size[4]))) == (842, 595)  # A4 landscape, pt
    text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                  text=True, check=True).stdout.split())
    labels = ["".join(r.strip().split("\n")[-1].split()) for r in rows]  # after the symbol
    assert [w for w in labels if w not in text] == []
