"""Hostile text and paths through the whole pipeline: shown as text everywhere, never run.

The bundled scenario (shrunken fleet) is run once with
* every candidate named ``<img src=x onerror=alert(1)>``,
* the Hedian zone named ``<script>alert(1)</script>`` and the urban-core zone's *id*
  ``<script>alert(2)</script>`` (so it lands in the stations' zone column),
* the scenario named ``<svg/onload=alert(3)>`` and a description that tries to close the
  map's inline script (``</script><script>alert(4)</script>``),
* an existing station named like a spreadsheet formula, ``=HYPERLINK(...)``.

map.html must contain them only escaped; summary.csv, report.json, stations.geojson and
results.gpkg carry them as plain text (the formula defused); the briefing draws them as text.
Scenario paths that try to leave the scenario folder are refused.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pyogrio
import pytest

from devtools import browser as chromium
from tests.helpers_cli import Case, error_line, invoke
from tests.helpers_maps import _popups

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

IMG = "<img src=x onerror=alert(1)>"
ZONE_NAME = "<script>alert(1)</script>"
ZONE_ID = "<script>alert(2)</script>"
TITLE = "<svg/onload=alert(3)>"
BREAKOUT = "</script><script>alert(4)</script>"
FORMULA = '=HYPERLINK("http://evil.example","点击")'


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    case = Case(tmp_path_factory.mktemp("hostile")).fast()

    def names(doc: dict) -> None:
        for f in doc["features"]:
            f["properties"]["name"] = IMG

    def zones(doc: dict) -> None:
        for f in doc["features"]:
            if f["properties"]["zone_id"] == "hedian":  # in zh and en outputs
                f["properties"]["name"] = f["properties"]["name_en"] = ZONE_NAME
            if f["properties"]["zone_id"] == "urban_core":
                f["properties"]["zone_id"] = ZONE_ID

    case.edit("candidates.geojson", names)
    case.edit("zones.geojson", zones)
    # the zone requirements name the renamed zone too
    case.toml.write_text(case.toml.read_text(encoding="utf-8").replace(
        'zone = "urban_core"', f"zone = {json.dumps(ZONE_ID)}"), encoding="utf-8")
    case.set_prop("existing.geojson", 1, "name", FORMULA)
    text = case.toml.read_text(encoding="utf-8")
    first = text.index('\nname = "') + 1
    end = text.index("\n", first)
    text = text[:first] + f'name = "{TITLE}"' + text[end:]
    text = text.replace('description = "', f'description = "{BREAKOUT} ', 1)
    case.toml.write_text(text, encoding="utf-8")
    res = invoke("run", str(case.toml), "--out", str(case.out), "-q", "--basemap", "none")
    assert res.exit_code == 0, res.output
    return case.out


def _stations(run_dir: Path) -> list[dict]:
    doc = json.loads((run_dir / "stations.geojson").read_text(encoding="utf-8"))
    return [f["properties"] for f in doc["features"]]


# --------------------------------------------------------------------------- map.html
def test_map_holds_hostile_text_only_escaped(run_dir):
    page = (run_dir / "map.html").read_text(encoding="utf-8")
    for raw in (IMG, ZONE_NAME, ZONE_ID, TITLE, BREAKOUT, "<img"):
        assert raw not in page, raw
    assert "alert(" not in page.replace("alert(1)", "").replace("alert(2)", "").replace(
        "alert(3)", "").replace("alert(4)", ""), "some other alert( got in"
    # ... and shown as text: the title, the provenance box, station popups
    assert f"<title>{html.escape(TITLE)}</title>" in page
    assert html.escape(BREAKOUT) in page
    popups = _popups(page)
    assert any(html.escape(IMG) in p for p in popups)
    assert any(html.escape(ZONE_NAME) in p for p in popups)  # zones shown by name
    # inline scripts are the map's own: exactly as many openings as closings
    assert page.count("<script") == page.count("</script>")


# --------------------------------------------------------------------------- data files
def test_summary_csv_is_plain_text_with_formulas_defused(run_dir):
    text = (run_dir / "summary.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    chosen = _stations(run_dir)
    assert len(rows) == len(chosen) > 0
    by_id = {r["站址编号"]: r for r in rows}
    for st in chosen:
        row = by_id[st["site_id"]]
        if st["existing"] and st["site_id"] == "E01":
            assert row["名称"] == "'" + FORMULA          # text in Excel, not a live link
        elif not st["existing"]:
            assert row["名称"] == IMG                    # not HTML-escaped: plain text
    # the zone column names the zone (its id, hostile here, stays in the GIS layers)
    assert {r["片区"] for r in rows if r["站址编号"] in ("E01", "E02")} == {"曾都城区"}


def test_report_and_geojson_carry_plain_text(run_dir):
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["scenario"]["name"] == TITLE
    assert ZONE_ID in report["by_zone"]
    assert BREAKOUT in report["data_provenance"]
    chosen = _stations(run_dir)
    assert {s["name"] for s in chosen if not s["existing"]} == {IMG}
    assert {s["name"] for s in chosen if s["site_id"] == "E01"} == {FORMULA}
    assert {s["zone"] for s in chosen if s["existing"]} == {ZONE_ID}


def test_geopackage_carries_plain_text(run_dir):
    st = pyogrio.read_dataframe(run_dir / "results.gpkg", layer="stations")
    assert set(st.loc[~st["existing"].astype(bool), "name"]) == {IMG}
    zones = pyogrio.read_dataframe(run_dir / "results.gpkg", layer="zones")
    assert ZONE_NAME in set(zones["name"]) and ZONE_ID in set(zones["zone_id"])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_briefing_draws_hostile_text_as_text(run_dir, tmp_path):
    from siting.briefing import write_briefing

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    files = write_briefing(copy, lang="en")
    text = subprocess.run(["pdftotext", "-layout", str(files[0]), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert IMG in text                                   # station table
    assert ZONE_NAME in text                             # the zone requirement sentence
    # long names wrap over lines in the station table: both ends of the text are there
    assert FORMULA[:20] in text and FORMULA[-8:] in text
    assert BREAKOUT in text                              # the provenance paragraph


# --------------------------------------------------------------------------- in a browser
@pytest.mark.browser
@pytest.mark.skipif(not Path(chromium.CHROMIUM_PATH).exists(), reason="chromium not installed")
def test_pipeline_map_in_browser_runs_no_hostile_code(run_dir, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    site = next(s["site_id"] for s in _stations(run_dir) if not s["existing"])
    page_path = tmp_path / "map.html"
    shutil.copy(run_dir / "map.html", page_path)
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium.CHROMIUM_PATH,
                                     args=list(chromium.CHROMIUM_ARGS))
        try:
            page = chromium.offline_page(browser)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_selector(".siting-station")
            assert page.title() == TITLE
            page.locator(f'.siting-station [data-site="{site}"]').first.click()
            popup = page.locator(".leaflet-popup-content")
            popup.wait_for()
            assert IMG in popup.inner_text()
            assert page.locator(".leaflet-popup-content img").count() == 0
            assert ZONE_NAME in page.locator(".siting-zone-label").all_inner_texts()
            page.wait_for_timeout(300)
            assert page.locator("img[src='x'], svg[onload]").count() == 0
        finally:
            browser.close()
    assert dialogs == []
    assert errors == []


# --------------------------------------------------------------------------- paths
@pytest.mark.parametrize(("field", "old", "new"), [
    ("demand.path", 'path = "fleet.geojson"', 'path = "../../../../etc/passwd"'),
    ("network.path", 'path = "roads.geojson"', 'path = "/etc/passwd"'),
    ("hydrogen.supply.path", 'path = "h2_supply.geojson"', 'path = "sub/../../h2.geojson"'),
])
def test_paths_may_not_leave_the_scenario_folder(tmp_path, field, old, new):
    case = Case(tmp_path)
    (tmp_path / "h2.geojson").write_text("{}", encoding="utf-8")
    case.sub(old, new)
    for res in (case.validate(), case.run()):
        line = error_line(res)
        assert f"field '{field}'" in line and "allow_outside_paths" in line
    assert not case.out.exists()


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_out_of_the_scenario_folder_is_refused(tmp_path):
    case = Case(tmp_path)
    outside = tmp_path / "secret.geojson"
    shutil.copy(case.dir / "fleet.geojson", outside)
    (case.dir / "fleet.geojson").unlink()
    (case.dir / "fleet.geojson").symlink_to(outside)
    line = error_line(case.validate())
    assert "field 'demand.path'" in line and "leaves the scenario folder" in line


def test_console_prints_markup_and_formulas_as_text(tmp_path):
    """A zone and a scenario named with rich markup, a template, a formula, a terminal escape
    sequence and a right-to-left override: the console summary shows them as they are (no
    MarkupError, no style applied, nothing evaluated), the escape as a visible symbol and the
    override closed at the end of its name, so the rest of the row reads left to right."""
    case = Case(tmp_path).fast()
    zone = "[/] [bold]Z {{7*7}} =1+1"
    escape = "\x1b[2J\x1b]0;pwned\x1b\\ \u202eevil"

    def rename(doc: dict) -> None:
        for f in doc["features"]:
            if f["properties"]["zone_id"] == "hedian":
                f["properties"]["name"] = zone
            if f["properties"]["zone_id"] == "chengdong":
                f["properties"]["name"] = escape

    case.edit("zones.geojson", rename)
    text = case.toml.read_text(encoding="utf-8")
    first = text.index('\nname = "') + 1
    end = text.index("\n", first)
    case.toml.write_text(text[:first] + 'name = "[red]S[/red] {{7*7}} \\u001b[5m"'
                         + text[end:], encoding="utf-8")
    res = case.run()
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output  # CliRunner is no terminal: rich adds no escapes itself
    flat = " ".join(res.output.split())
    shown = escape.replace("\x1b", "\u241b").replace("\u202eevil", "\u202eevil\u202c")
    assert "[red]S[/red] {{7*7}} \u241b[5m" in flat and zone in flat and shown in flat
    assert "49" not in flat.replace(",", " ").split()
