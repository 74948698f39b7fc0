"""``results.gpkg``: every layer in the output CRS, titled in the run's language, GeoPackage 1.2,
QGIS styles embedded."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from siting import qml
from siting._reproducible import output_date_iso
from siting.crs import WGS84, parse_crs, to_output_crs
from siting.export.json_files import clean_value
from siting.i18n import t
from siting.results import SitingResult

logger = logging.getLogger(__name__)

#: Core GeoPackage layers, in write order.
GPKG_LAYERS: tuple[str, ...] = ("stations", "demand", "candidates", "coverage_areas", "zones",
                                "roads")
#: Label key of each layer's title (``gpkg_contents.identifier``), in the run's language: the
#: name the QGIS plugin gives the layer, as the map's legend names it.
LAYER_TITLES: dict[str, str] = {
    "stations": "layer.stations", "demand": "layer.demand", "candidates": "layer.candidates",
    "coverage_areas": "layer.coverage", "zones": "layer.zones", "roads": "layer.roads",
    "h2_supply": "layer.h2_supply", "substations": "layer.substations",
    "sensitive": "layer.sensitive_sites", "corridors": "layer.corridors",
    "robustness": "layer.robustness"}
#: GeoPackage version written (``application_id`` GPKG, ``user_version`` 10200).
GPKG_VERSION = "1.2"


# =========================================================================== GeoPackage
def result_layers(result: SitingResult) -> dict[str, gpd.GeoDataFrame]:
    layers: dict[str, gpd.GeoDataFrame] = {
        "stations": result.stations, "demand": result.demand,
        "candidates": result.candidates, "coverage_areas": result.coverage_areas,
    }
    if result.zones is not None:
        layers["zones"] = result.zones
    if result.roads is not None:
        layers["roads"] = result.roads
    for name, gdf in (result.extra_layers or {}).items():
        key = re.sub(r"\W", "_", str(name)) or "layer"
        layers[key if key not in layers else f"extra_{key}"] = gdf
    return layers


def gis_ready(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """Copy in ``crs`` with only GDAL-writable column types (lists etc. become text)."""
    out = to_output_crs(gdf, crs) if gdf.crs is not None else gdf.set_crs(WGS84)
    geom = out.geometry.name
    for col in out.columns:
        if col == geom:
            continue
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.map(_cell_text).astype(object)
    return out


def _cell_text(v: Any) -> Any:
    if isinstance(v, (list, tuple, set, frozenset, np.ndarray)):
        return "; ".join(str(x) for x in v)
    if isinstance(v, Mapping):
        return json.dumps(clean_value(v), ensure_ascii=False, sort_keys=True)
    if v is None or isinstance(v, (str, bool, int, float, np.generic)):
        return v
    return str(v)


def write_geopackage(result: SitingResult, path: str | Path, *, crs: str = WGS84,
                     lang: str = "zh") -> Path:
    """Write every layer of ``result`` into one GeoPackage, with QGIS styles.

    Parameters
    ----------
    result
        The solved plan.
    path
        The ``.gpkg`` file (replaced if it exists).
    crs
        Output CRS (see :func:`siting.crs.to_output_crs`); default EPSG:4326.
    lang
        Language of the layers' titles (:data:`LAYER_TITLES`) and of the styles' legend labels.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    target = parse_crs(crs)
    # OGR_CURRENT_DATE fixes gpkg_contents.last_change (reruns write identical files)
    layers = result_layers(result)
    with _gdal_config(OGR_SQLITE_SYNCHRONOUS="OFF", OGR_CURRENT_DATE=output_date_iso()):
        for k, (name, gdf) in enumerate(layers.items()):
            # GeoPackage 1.2: what GDAL 3.6 / QGIS 3.22 LTR read without a "partially
            # supported" warning (GDAL 3.7+ writes 1.4 by default); the first layer creates
            # the file, so it sets the version
            extra = {"VERSION": GPKG_VERSION} if k == 0 else {}
            gis_ready(gdf, target).to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                                            **extra)
        if result.station_years is not None:  # a table: one row per station and year
            pyogrio.write_dataframe(result.station_years, path, layer="station_years",
                                    driver="GPKG")
    write_layer_styles(path, _styles(result, lang, {name: [str(c) for c in gdf.columns]
                                                    for name, gdf in layers.items()}))
    write_layer_titles(path, {name: t(key, lang) for name, key in LAYER_TITLES.items()})
    return path


@contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    """Set GDAL config options for the duration of the block, then restore them.

    ``OGR_SQLITE_SYNCHRONOUS=OFF`` skips an fsync per layer (7x faster GeoPackage writing);
    durability comes from the atomic folder swap instead.
    """
    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


#: QGIS's layer_styles table (as QGIS creates it in a GeoPackage).
_LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256),
    f_table_schema TEXT(256),
    f_table_name TEXT(256),
    f_geometry_column TEXT(256),
    styleName TEXT(30),
    styleQML TEXT,
    styleSLD TEXT,
    useAsDefault BOOLEAN,
    description TEXT,
    owner TEXT(30),
    ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""


def write_layer_styles(path: str | Path, styles: Mapping[str, str]) -> None:
    """Store QML styles in a GeoPackage's ``layer_styles`` table, as QGIS does.

    Parameters
    ----------
    path
        An existing GeoPackage.
    styles
        ``{layer name: QML text}``; layers not in the GeoPackage are skipped. Each becomes the
        layer's default style (``useAsDefault = 1``), replacing an earlier default.
    """
    con = sqlite3.connect(str(path))
    try:
        with con:
            geom_cols = dict(con.execute(
                "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
            con.execute(_LAYER_STYLES_DDL)
            registered = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = "
                                     "'layer_styles'").fetchone()
            if registered is None:
                con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, "
                            "description, last_change) VALUES ('layer_styles', 'attributes', "
                            "'layer_styles', 'QGIS layer styles', ?)", (output_date_iso(),))
            for layer, qml in styles.items():
                if layer not in geom_cols:
                    continue
                con.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?",
                            (layer,))
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                    (layer, geom_cols[layer], f"siting {layer}", qml,
                     "written by siting", output_date_iso()))
    finally:
        con.close()


def write_layer_titles(path: str | Path, titles: Mapping[str, str]) -> None:
    """Give a GeoPackage's layers human-readable titles (``gpkg_contents.identifier``).

    Parameters
    ----------
    path
        An existing GeoPackage.
    titles
        ``{layer name: title}``; layers not in the GeoPackage are skipped. The GeoPackage
        standard wants identifiers unique: a title another table already has as its identifier
        is not given (the layer keeps its name as its identifier).
    """
    con = sqlite3.connect(str(path))
    try:
        with con:
            for layer, title in titles.items():
                taken = con.execute("SELECT 1 FROM gpkg_contents WHERE identifier = ? AND "
                                    "table_name <> ?", (title, layer)).fetchone()
                if taken is None:
                    con.execute("UPDATE gpkg_contents SET identifier = ? WHERE table_name = ?",
                                (title, layer))
    finally:
        con.close()


# --------------------------------------------------------------------------- QML
def _rgba(color: str | None, alpha: int = 255) -> str:
    """CSS colour -> QGIS ``"r,g,b,a"`` (see :func:`siting.qml.rgba`)."""
    return qml.rgba(color, alpha)


def _styles(result: SitingResult, lang: str,
            layers: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """QML per GeoPackage layer (see :mod:`siting.qml`): every layer styled, stations and
    zones labelled, in the one symbology of the map and the briefing."""
    if layers is None:
        layers = {name: [str(c) for c in gdf.columns]
                  for name, gdf in result_layers(result).items()}
    return qml.layer_styles(result, lang, layers)


