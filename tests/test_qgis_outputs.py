"""The run folder as a planner opens it in QGIS: results.gpkg read back by QGIS itself.

The QGIS checks run in QGIS's own Python (``/usr/bin/python3`` with Debian's python3-qgis,
``QT_QPA_PLATFORM=offscreen``) and are skipped cleanly without it.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from siting.export.geopackage import write_geopackage
from siting.i18n import t
from siting.qml import layer_styles
from tests.helpers_maps import make_result

SYSTEM_PYTHON = "/usr/bin/python3"


def _has_qgis() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True,
                           check=False)
    return probe.returncode == 0


needs_qgis = pytest.mark.skipif(not _has_qgis(), reason="QGIS's python3-qgis is not installed")


def _notes(qml: str) -> str | None:
    """The ``userNotes`` custom property of a QML document, else None."""
    root = ET.fromstring(qml.split("\n", 1)[1])
    for opt in root.iterfind("customproperties/Option/Option"):
        if opt.get("name") == "userNotes":
            return opt.get("value")
    return None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_schematic_network_caveat_is_in_the_qgis_layer_notes(lang):
    """A schematic network's caveat was on the map, in the briefing and on the console, but
    nowhere in results.gpkg: a planner opening the GeoPackage in QGIS did not see it."""
    styles = layer_styles(make_result(schematic=True), lang, {})
    note = t("map.schematic_note", lang)
    for layer in ("roads", "coverage_areas"):
        assert _notes(styles[layer]) == f"<p>{note}</p>", layer
        assert "CustomProperties" in styles[layer].split("\n", 2)[1]
    assert _notes(styles["stations"]) is None
    plain = layer_styles(make_result(schematic=False), lang, {})
    for layer in ("roads", "coverage_areas", "stations", "zones"):
        assert _notes(plain[layer]) is None and "CustomProperties" not in plain[layer], layer


QGIS_NOTES = r"""
import json, sys
from qgis.core import QgsApplication, QgsLayerNotesUtils, QgsVectorLayer
app = QgsApplication([b"t"], False); app.initQgis()
out = {}
for name in ("roads", "coverage_areas", "stations"):
    layer = QgsVectorLayer(sys.argv[1] + "|layername=" + name, name, "ogr")
    out[name] = [layer.isValid(), layer.renderer().type(), QgsLayerNotesUtils.layerNotes(layer)]
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.mark.slow
@needs_qgis
def test_qgis_shows_the_schematic_caveat_as_layer_notes(tmp_path):
    gpkg = write_geopackage(make_result(schematic=True), tmp_path / "results.gpkg", lang="zh")
    res = subprocess.run([SYSTEM_PYTHON, "-c", QGIS_NOTES, str(gpkg)], capture_output=True,
                         text=True, check=False,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    note = f"<p>{t('map.schematic_note', 'zh')}</p>"
    assert got["roads"] == [True, "categorizedSymbol", note]
    assert got["coverage_areas"] == [True, "categorizedSymbol", note]
    assert got["stations"] == [True, "RuleRenderer", ""]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_legend_entry_of_the_qgis_styles_has_a_label(lang):
    """QGIS's Layers panel lists every rule, category and range with its label: the fallback
    rules of stations and candidates and the catch-all road category showed as a bare symbol
    with no text (candidates: a hollow dot beside nothing; roads: residential streets)."""
    result = make_result()
    columns = {name: [str(c) for c in gdf.columns]
               for name, gdf in (result.extra_layers or {}).items()}
    for layer, qml in layer_styles(result, lang, columns).items():
        renderer = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
        assert renderer is not None, layer
        entries = [*renderer.iter("rule"), *renderer.iter("category"), *renderer.iter("range")]
        assert all((e.get("label") or "").strip() for e in entries), (layer, [
            (e.get("filter") or e.get("value"), e.get("label")) for e in entries])


QGIS_DEMAND_ORDER = r"""
import json, sys
from qgis.core import QgsApplication, QgsFeatureRequest, QgsLayerNotesUtils, QgsVectorLayer
app = QgsApplication([b"t"], False); app.initQgis()
layer = QgsVectorLayer(sys.argv[1] + "|layername=demand", "demand", "ogr")
renderer = layer.renderer()
request = QgsFeatureRequest()
if renderer.orderByEnabled():
    request.setOrderBy(renderer.orderBy())
on_top = {}
for f in layer.getFeatures(request):  # the order QGIS draws them in: the last is on top
    on_top[f["fleet_id"]] = [f["year"], f["served_share"]]
print(json.dumps({"type": renderer.type(), "ordered": renderer.orderByEnabled(),
                  "on_top": on_top, "notes": QgsLayerNotesUtils.layerNotes(layer)},
                 ensure_ascii=False))
"""


def _stacked_demand_result():
    """make_result() with 4 locations x 3 pathways x 2 years, every row at its location."""
    import geopandas as gpd
    import numpy as np

    result = make_result()
    base = result.demand.iloc[:4].reset_index(drop=True)
    rows = []
    rng = np.random.default_rng(7)
    for year in (2025, 2024):  # the final year first: file order alone would bury it
        for pathway in ("swap", "charging", "hydrogen"):
            part = base.copy()
            part["year"], part["pathway"] = year, pathway
            part["served_share"] = rng.choice([0.0, 0.4, 1.0], len(part))
            rows.append(part)
    demand = gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), crs=base.crs)
    demand["demand_id"] = [f"{f}:{p}:{y}" for f, p, y in
                           zip(demand["fleet_id"], demand["pathway"], demand["year"],
                               strict=True)]
    return dataclasses.replace(result, demand=demand)


@pytest.mark.slow
@needs_qgis
def test_qgis_draws_each_locations_final_year_least_served_row_on_top(tmp_path):
    """Demand has a row per location, pathway and year at one point; QGIS drew them in file
    order, so a location's shade was whichever row came last (in the bundled run, 297 of 352
    locations had rows more than 50 points of served share apart)."""
    result = _stacked_demand_result()
    gpkg = write_geopackage(result, tmp_path / "results.gpkg", lang="en")
    res = subprocess.run([SYSTEM_PYTHON, "-c", QGIS_DEMAND_ORDER, str(gpkg)],
                         capture_output=True, text=True, check=False,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["type"] == "graduatedSymbol" and got["ordered"] is True
    final = result.report.final_year
    dem = result.demand
    want = {fid: [final, float(dem[(dem["fleet_id"] == fid) & (dem["year"] == final)]
                               ["served_share"].min())]
            for fid in dem["fleet_id"].unique()}
    assert got["on_top"] == want
    note = t("legend.demand_layer_note", "en", year=final, year_field="year",
             pathway_field="pathway")
    assert got["notes"] == f"<p>{note}</p>"
    assert "Filter on year or pathway" in note
