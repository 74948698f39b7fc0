"""User text is data, never template source (issue 10 §1).

folium/branca render each element's output a second time as Jinja2 source, so before the fix
a zone named ``{{7*7}}`` showed as ``49``, ``Depot {#3 east`` crashed the run and a name
calling ``os.makedirs`` created a folder. Here every text field of the bundled scenario (layer
names and ids, scenario name/description, network provenance, station type, segment and
corridor names) carries Jinja2 payloads, one distinct marker per field, and the run is checked:
it succeeds, nothing appears on disk, and every output shows each field's text literally —
map.html (decoded, and in Chromium), compare.html, a sweep's per-budget maps, the briefing.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from devtools import browser as chromium
from tests.helpers_cli import Case, invoke

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

#: The Jinja2 constructs the issue lists; each must come out exactly as written.
JINJA = ("{{7*7}}", "{% if 1 %}x{% endif %}", "{{ config }}", "{{A}}", "{#")


def payload(field: str, pwned: Path) -> str:
    """A field's text: a marker, every Jinja2 construct, and an os-calling expression.

    ``{#`` (an unclosed comment) comes last: evaluated, it swallows the rest or crashes.
    """
    call = ("{{ cycler.__init__.__globals__.os.makedirs('" + str(pwned / field)
            + "', exist_ok=True) }}")
    return f"F[{field}] " + " ".join(JINJA[:-1]) + f" {call} " + JINJA[-1] + " end"


FIELDS_TOML = ("scenario.name", "scenario.name_en", "scenario.description",
               "network.provenance", "segment.name", "segment.name_en", "station_type.name",
               "station_type.name_en", "corridor.name")
FIELDS_LAYERS = {  # layer file → properties set to a payload
    "zones.geojson": ("name",),
    "fleet.geojson": ("name",),
    "candidates.geojson": ("name",),
    "existing.geojson": ("name",),
    "h2_supply.geojson": ("name",),
    "substations.geojson": ("name",),
    "sensitive.geojson": ("name",),
}


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string is a JSON string here


def _set_toml(case: Case, pwned: Path) -> dict[str, str]:
    """Put a payload into every name/description/provenance of scenario.toml."""
    lines = case.toml.read_text(encoding="utf-8").splitlines()
    section = "scenario"
    out, used = [], {}
    for line in lines:
        m = re.match(r"^\s*\[\[?\s*([a-z_.]+)\s*\]?\]", line)
        if m:
            section = {"segments": "segment", "station_types": "station_type",
                       "corridors": "corridor"}.get(m.group(1), m.group(1))
        m = re.match(r"^(name|name_en|description|provenance) = ", line)
        field = f"{section}.{m.group(1)}" if m else ""
        if field in FIELDS_TOML:
            text = payload(field, pwned)
            used[field] = text
            line = f"{m.group(1)} = {_toml_string(text)}"
        out.append(line)
    case.toml.write_text("\n".join(out) + "\n", encoding="utf-8")
    missing = set(FIELDS_TOML) - set(used)
    assert not missing, f"test set-up: fields not found {missing}"
    return used


def _set_layers(case: Case, pwned: Path) -> dict[str, str]:
    used = {}
    for name, props in FIELDS_LAYERS.items():
        doc = case.layer(name)
        for prop in props:
            field = f"{name.removesuffix('.geojson')}.{prop}"
            text = payload(field, pwned)
            for f in doc["features"]:
                f["properties"][prop] = text
            used[field] = text
        case.save(name, doc)
    # a zone id lands in the stations' zone column, and in report/CSV keys
    zones = case.layer("zones.geojson")
    zid = payload("zones.zone_id", pwned)
    old = zones["features"][0]["properties"]["zone_id"]
    zones["features"][0]["properties"]["zone_id"] = zid
    case.save("zones.geojson", zones)
    while f'zone = "{old}"' in case.toml.read_text(encoding="utf-8"):  # every requirement
        case.sub(f'zone = "{old}"', f"zone = {_toml_string(zid)}")
    used["zones.zone_id"] = zid
    return used


def _decoded(page: str) -> str:
    """The page's text as a reader gets it: JSON \\u escapes and HTML entities resolved."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    text = text.replace('\\"', '"').replace("\\/", "/")
    return html.unescape(text)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Case, dict[str, str], Path]:
    root = tmp_path_factory.mktemp("jinja")
    pwned = root / "pwned"
    case = Case(root).fast()
    texts = _set_toml(case, pwned) | _set_layers(case, pwned)
    res = case.run()
    assert res.exit_code == 0, res.output
    return case, texts, pwned


def _assert_nothing_on_disk(pwned: Path) -> None:
    assert not pwned.exists(), f"a payload ran: {sorted(p.name for p in pwned.iterdir())}"


def test_run_succeeds_and_runs_no_payload(hostile):
    _case, _texts, pwned = hostile
    _assert_nothing_on_disk(pwned)


def test_map_shows_every_field_literally(hostile):
    case, texts, pwned = hostile
    page = (case.out / "map.html").read_text(encoding="utf-8")
    decoded = _decoded(page)
    shown = {f: t in decoded for f, t in texts.items()}
    # fields the map does not draw: fleet point names appear as demand popup titles only when
    # a point has one (all have here); sensitive/substation names sit in hidden layers' popups
    # (zone ids are not drawn: the map names zones by their names)
    missing = sorted(f for f, ok in shown.items() if not ok and f not in (
        "scenario.name_en", "segment.name_en", "station_type.name_en", "scenario.description",
        "zones.zone_id"))
    assert missing == [], f"not shown literally: {missing}"
    assert "F[zones.name] 49" not in decoded
    # the raw Jinja2 openers never reach the file: only their character references
    for field, text in texts.items():
        assert text not in page, f"{field}: raw text in the page source"
    _assert_nothing_on_disk(pwned)


def test_english_map_shows_english_names_literally(hostile, tmp_path):
    case, texts, pwned = hostile
    run = tmp_path / "en"
    res = invoke("run", str(case.toml), "--out", str(run), "-q", "--basemap", "none",
                 "--lang", "en")
    assert res.exit_code == 0, res.output
    decoded = _decoded((run / "map.html").read_text(encoding="utf-8"))
    for field in ("scenario.name_en", "segment.name_en", "station_type.name_en"):
        assert texts[field] in decoded, field
    _assert_nothing_on_disk(pwned)


def test_compare_page_shows_names_literally(hostile, tmp_path):
    case, texts, pwned = hostile
    res = invoke("compare", str(case.out), str(case.out), "--out", str(tmp_path / "cmp"))
    assert res.exit_code == 0, res.output
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    decoded = _decoded(page)
    # compare.html is built without a template engine: names go in escaped, once
    for field in ("scenario.name", "zones.name", "candidates.name", "station_type.name"):
        assert texts[field] in decoded, field
    for field, text in texts.items():
        assert text not in page, f"{field}: raw text in the page source"
    assert "F[zones.name] 49" not in decoded
    _assert_nothing_on_disk(pwned)


@pytest.mark.slow
# long hostile type names must not push curve.png's legend out of the figure
@pytest.mark.filterwarnings("error:Tight layout not applied")
def test_sweep_maps_show_names_literally(hostile, tmp_path):
    case, texts, pwned = hostile
    res = invoke("sweep", str(case.toml), "--budgets", "40,60", "--out", str(tmp_path / "sw"),
                 "-q", "--basemap", "none")
    assert res.exit_code == 0, res.output
    pages = sorted((tmp_path / "sw").glob("*/map.html"))
    assert len(pages) == 2
    for p in pages:
        decoded = _decoded(p.read_text(encoding="utf-8"))
        assert texts["station_type.name"] in decoded
        assert texts["zones.name"] in decoded
    # the budget explorer: one page for the whole sweep, no template engine either
    explorer = (tmp_path / "sw" / "explorer.html").read_text(encoding="utf-8")
    decoded = _decoded(explorer)
    for field in ("scenario.name", "zones.name", "candidates.name", "station_type.name"):
        assert texts[field] in decoded, field
    for field, text in texts.items():
        assert text not in explorer, f"{field}: raw text in explorer.html"
    _assert_nothing_on_disk(pwned)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_briefing_draws_payloads_as_text(hostile, tmp_path):
    from siting.briefing import write_briefing

    case, texts, pwned = hostile
    copy = tmp_path / "run"
    shutil.copytree(case.out, copy)
    files = write_briefing(copy, lang="zh")
    text = subprocess.run(["pdftotext", "-raw", str(files[0]), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    # long texts wrap over lines: compare without white space; the marker and the first
    # constructs must be there, unevaluated
    for field in ("scenario.name", "zones.name"):
        assert re.sub(r"\s+", "", texts[field])[:40] in flat, field
    _assert_nothing_on_disk(pwned)


@pytest.mark.browser
@pytest.mark.skipif(not Path(chromium.CHROMIUM_PATH).exists(), reason="chromium not installed")
def test_map_in_browser_shows_payloads(hostile, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    case, texts, _pwned = hostile
    page_path = tmp_path / "map.html"
    shutil.copy(case.out / "map.html", page_path)
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium.CHROMIUM_PATH,
                                     args=list(chromium.CHROMIUM_ARGS))
        try:
            page = chromium.offline_page(browser)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_selector(".siting-station")
            assert page.title() == texts["scenario.name"]
            assert texts["scenario.name"] in page.locator("#siting-title").inner_text()
            # text content: a label the page hides to keep labels apart still holds its text
            labels = page.locator(".siting-zone-label").all_text_contents()
            assert texts["zones.name"] in labels
            page.locator(".leaflet-control-layers").hover()  # opens the collapsed list
            control = page.locator(".leaflet-control-layers").inner_text()
            assert texts["station_type.name"] in control
        finally:
            browser.close()
    assert errors == []
