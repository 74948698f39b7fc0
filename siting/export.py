"""Output writers: the run folder's GeoJSON, report, GeoPackage, CSV, map and Shapefiles.

:func:`write_outputs` writes the output contract (see the design notes) into a temporary
sibling folder and renames it into place only when every file is complete, so an error or
Ctrl-C never leaves a half-written run and never destroys the previous one:

- ``stations.geojson`` — chosen stations, always WGS84 (RFC 7946), every ``STATION_COLUMNS``
  property; plus ``stations_<CRS>.geojson`` (e.g. ``stations_EPSG4547.geojson``) when another
  output CRS is asked for, with that CRS named in the file;
- ``report.json`` — ``result.report`` plus ``output_crs``; UTF-8, keys sorted, floats rounded,
  so re-running a scenario rewrites it byte for byte (only ``solver.seconds`` and
  ``timings`` vary between runs);
- ``results.gpkg`` — layers ``stations``, ``demand``, ``candidates``, ``coverage_areas``,
  ``zones``, ``roads`` and any extra layers, in the output CRS, with QGIS styles stored in the
  GeoPackage ``layer_styles`` table (QGIS applies them when the layers are opened);
- ``summary.csv`` — one row per station, UTF-8 with BOM (Excel), Chinese headers for
  ``lang="zh"``;
- ``map.html`` — through the ``map_writer`` callable (see :mod:`siting.maps`);
- optionally Shapefiles (:func:`write_shapefile`): GBK-encoded with ``.cpg``, ASCII field
  names of at most 10 characters, a ``shapefile_fields.csv`` listing the full column names.

``GCJ-02``/``BD-09`` output shifts the coordinates for overlay on Amap/Baidu basemaps; the
files are then labelled EPSG:4326 (there is no EPSG code for either), and say so.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping

from siting import i18n, qml
from siting._atomic import atomic_dir, check_output_dir
from siting._csv import write_csv
from siting._reproducible import output_date_iso
from siting.crs import WGS84, crs_slug, is_shift, parse_crs, to_output_crs
from siting.names import zone_names
from siting.report import Report
from siting.results import STATION_COLUMNS, SitingResult
from siting.scenario import input_paths
from siting.symbology import symbols_from_types

logger = logging.getLogger(__name__)

MapWriter = Callable[[SitingResult, Path], Any]

#: Files every run folder holds (map.html only when a map writer is given).
CONTRACT_FILES: tuple[str, ...] = ("map.html", "stations.geojson", "report.json",
                                   "results.gpkg", "summary.csv")
#: Core GeoPackage layers, in write order.
GPKG_LAYERS: tuple[str, ...] = ("stations", "demand", "candidates", "coverage_areas", "zones",
                                "roads")
#: GeoPackage version written (``application_id`` GPKG, ``user_version`` 10200).
GPKG_VERSION = "1.2"
#: Decimal places of written coordinates: degrees (1e-8 deg ~ 1 mm) and metres (1 mm).
DEGREE_DECIMALS = 8
METRE_DECIMALS = 3
#: Decimal places of floats in report.json and GeoJSON properties.
FLOAT_DECIMALS = 6

#: Shapefile (DBF) field names: at most 10 ASCII characters.
SHAPEFILE_FIELDS: dict[str, str] = {
    "station_type": "st_type", "capacity_unit": "cap_unit", "served_demand": "srv_demand",
    "served_energy": "srv_energy", "n_demand_served": "n_srv_dem", "demand_id": "demand_id",
    "vehicle_class": "veh_class", "energy_unit": "en_unit", "threshold_s": "thresh_s",
    "served_share": "srv_share", "served_by": "served_by", "allowed_types": "allow_type",
    "rule_outcome": "rule_out", "threshold_min": "thresh_min", "capex_factor": "capex_fac",
}
SHAPEFILE_LAYERS: tuple[str, ...] = ("stations", "demand", "candidates", "coverage_areas")


# =========================================================================== entry points
@dataclass(frozen=True)
class OutputOptions:
    """How a run folder is written: the options of ``siting run`` (and of each sweep point).

    Attributes
    ----------
    lang
        ``"zh"`` or ``"en"``; None = the scenario's.
    basemap, cdn, tianditu_key
        Map options (see :func:`siting.maps.build_map`).
    crs
        CRS of the exported layers; None = the scenario's ``output_crs``.
    shapefile
        Also write Shapefiles.
    """

    lang: str | None = None
    basemap: str = "osm"
    cdn: bool = False
    tianditu_key: str | None = None
    crs: str | None = None
    shapefile: bool = False


def write_run(result: SitingResult, out_dir: str | Path, options: OutputOptions) -> Path:
    """Write a run folder — map and exports — with the same options wherever it is written
    (``siting run``, ``siting demo``, each budget of ``siting sweep``)."""
    from siting.maps import write_map

    lang = options.lang or result.scenario.lang

    def map_writer(res: SitingResult, path: Path) -> None:
        write_map(res, path, lang=lang, basemap=options.basemap, cdn=options.cdn,
                  tianditu_key=options.tianditu_key)

    return write_outputs(result, out_dir, crs=options.crs or result.scenario.output_crs,
                         lang=lang, map_writer=map_writer, shapefile=options.shapefile)


def write_outputs(
    result: SitingResult,
    out_dir: str | Path,
    *,
    crs: str | None = None,
    lang: str | None = None,
    map_writer: MapWriter | None = None,
    shapefile: bool = False,
) -> Path:
    """Write a run's output folder atomically.

    Parameters
    ----------
    result
        The solved plan (GeoDataFrames in WGS84).
    out_dir
        The run folder. Created, or replaced as a whole if it holds a previous run (it must
        then contain ``report.json``; any other non-empty folder is refused).
    crs
        Output CRS of the GeoPackage, the extra ``stations_<CRS>.geojson``, the Shapefiles
        and the x/y columns of ``summary.csv``: ``EPSG:xxxx``, ``CGCS2000``, ``GCJ-02``,
        ``BD-09`` ... (see :func:`siting.crs.parse_crs`). Default WGS84 (EPSG:4326).
        ``stations.geojson`` is WGS84 whatever this says.
    lang
        ``"zh"`` or ``"en"`` for the CSV headers and style labels; default the scenario's.
    map_writer
        ``map_writer(result, path)`` writes ``map.html`` (e.g. :func:`siting.maps.write_map`
        with options bound). None: no map is written.
    shapefile
        Also write Shapefiles into ``<out_dir>/shapefile/`` (see :func:`write_shapefile`).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    ScenarioError
        ``out_dir`` is a file, or a non-empty folder that is not a previous run.
    """
    out = Path(out_dir)
    target = parse_crs(crs, where="output_crs") if crs else WGS84
    lang = _lang(result, lang)
    with atomic_dir(out, kind="run", inputs=input_paths(result.scenario)) as tmp:
        stations = result.stations
        if stations.crs is not None and stations.crs.to_epsg() != 4326:
            stations = stations.to_crs(WGS84)
        _write_text(tmp / "stations.geojson", geojson_text(stations, name="stations",
                                                          first=STATION_COLUMNS))
        if target != WGS84:
            name = f"stations_{crs_slug(target)}"
            _write_text(tmp / f"{name}.geojson", geojson_text(
                to_output_crs(stations, target), name=name, first=STATION_COLUMNS,
                crs_name=target))
        _write_text(tmp / "report.json", report_text(result.report, output_crs=target))
        write_geopackage(result, tmp / "results.gpkg", crs=target, lang=lang)
        write_summary_csv(result, tmp / "summary.csv", crs=target, lang=lang)
        if shapefile:
            write_shapefile(result, tmp / "shapefile", target)
        if map_writer is not None:
            map_writer(result, tmp / "map.html")
    logger.info("wrote %s", out)
    return out


def check_replaceable(out: Path, *, inputs: Iterable[Path] = ()) -> None:
    """Refuse an output path that is a file, an input, or a non-empty folder that is not a
    siting run (see :func:`siting._atomic.check_output_dir`)."""
    check_output_dir(out, "run", inputs=inputs)


def _lang(result: SitingResult, lang: str | None) -> str:
    lang = lang or getattr(result.scenario, "lang", "zh")
    return lang if lang in i18n.LANGS else "en"


def _summary_headers(lang: str, *, year: object, wu: str) -> dict[str, str]:
    """summary.csv headers by column: the ``csv.*`` labels of :mod:`siting.i18n`, filled with
    the figures' ``year`` and the demand weight unit ``wu``."""
    return {k.removeprefix("csv."): i18n.t(k, lang, year=year, wu=wu)
            for k in i18n.LABELS[lang] if k.startswith("csv.")}


def _write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


# =========================================================================== JSON
def clean_value(v: Any) -> Any:
    """A JSON-ready copy of ``v``: numpy scalars to Python, floats rounded, NaN/inf to None.

    Floats are rounded to ``FLOAT_DECIMALS`` places; non-zero values smaller than that keep
    three significant digits (a MIP gap of 1e-9 stays 1e-09). Dict keys become strings,
    tuples/sets lists (sets sorted), paths and other objects strings.
    """
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not math.isfinite(x):
            return None
        r = round(x, FLOAT_DECIMALS)
        if r == 0.0 and x != 0.0:
            r = float(f"{x:.3g}")
        return r + 0.0  # no -0.0
    if isinstance(v, Mapping):
        return {str(k): clean_value(val) for k, val in v.items()}
    if isinstance(v, (set, frozenset)):
        return sorted((clean_value(x) for x in v), key=str)
    if isinstance(v, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return [clean_value(x) for x in list(v)]
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "model_dump"):
        return clean_value(v.model_dump())
    return str(v)


def report_text(report: Report | Mapping[str, Any], *, output_crs: str = WGS84) -> str:
    """report.json content: ``report`` plus ``output_crs``; sorted keys, 2-space indent.

    Parameters
    ----------
    report
        The result's report (not modified).
    output_crs
        Stored as ``report["output_crs"]``.

    Returns
    -------
    str
        UTF-8-ready JSON text (non-ASCII kept as is), ending with a newline.
    """
    doc = report.to_dict() if isinstance(report, Report) else copy.deepcopy(dict(report))
    doc["output_crs"] = output_crs
    return json.dumps(clean_value(doc), ensure_ascii=False, indent=2, sort_keys=True,
                      allow_nan=False) + "\n"


def _round_geometry(g: shapely.Geometry, decimals: int) -> shapely.Geometry:
    return shapely.transform(g, lambda c: np.round(c, decimals))


def geojson_text(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    first: tuple[str, ...] = (),
    crs_name: str | None = None,
) -> str:
    """A GeoJSON FeatureCollection, one feature per line, deterministic for equal input.

    Parameters
    ----------
    gdf
        The layer. With ``crs_name`` None it must be WGS84 (EPSG:4326), as RFC 7946 wants.
    name
        The collection's ``name`` member.
    first
        Property names written first, in this order (then the other columns in frame order).
    crs_name
        Output CRS when not WGS84. ``EPSG:xxxx`` adds the (pre-RFC 7946) ``crs`` member that
        GDAL/QGIS read; ``GCJ-02``/``BD-09`` are stated in ``coordinate_convention`` only.
        Both add ``crs_name``.

    Returns
    -------
    str
        The JSON text; coordinates rounded to 1 mm (``DEGREE_DECIMALS`` for degrees,
        ``METRE_DECIMALS`` for projected CRSs), floats to ``FLOAT_DECIMALS`` places.
    """
    if crs_name is None and gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        msg = f"geojson_text: layer '{name}' is in {gdf.crs}, not WGS84; give crs_name"
        raise ValueError(msg)
    projected = gdf.crs is not None and gdf.crs.is_projected
    decimals = METRE_DECIMALS if projected else DEGREE_DECIMALS
    geom_name = gdf.geometry.name
    cols = [c for c in first if c in gdf.columns]
    cols += [c for c in gdf.columns if c not in cols and c != geom_name]
    head: dict[str, Any] = {"type": "FeatureCollection", "name": name}
    if crs_name is not None:
        head["crs_name"] = crs_name
        if is_shift(crs_name):
            head["coordinate_convention"] = (
                f"{crs_name}: Chinese web-map offset applied to WGS84 lon/lat; not a standard "
                "CRS, GIS software will treat it as WGS84")
        else:
            code = crs_name.split(":")[1]
            head["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{code}"}}
    lines = []
    records = gdf[cols].to_dict(orient="records") if cols else [{} for _ in range(len(gdf))]
    for props, geom in zip(records, gdf.geometry.values, strict=True):
        g = None
        if geom is not None and not shapely.is_empty(geom):
            g = mapping(_round_geometry(geom, decimals))
        feat = {"type": "Feature", "properties": clean_value(props), "geometry": g}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":"),
                                allow_nan=False))
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    body = ",\n".join(lines)
    return f'{head_text},"features":[\n{body}\n]}}\n' if lines else \
        f'{head_text},"features":[]}}\n'


# =========================================================================== GeoPackage
def _layers(result: SitingResult) -> dict[str, gpd.GeoDataFrame]:
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


def _gis_ready(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
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
        Language of the style legend labels.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    target = parse_crs(crs)
    # OGR_CURRENT_DATE fixes gpkg_contents.last_change (reruns write identical files)
    layers = _layers(result)
    with _gdal_config(OGR_SQLITE_SYNCHRONOUS="OFF", OGR_CURRENT_DATE=output_date_iso()):
        for k, (name, gdf) in enumerate(layers.items()):
            # GeoPackage 1.2: what GDAL 3.6 / QGIS 3.22 LTR read without a "partially
            # supported" warning (GDAL 3.7+ writes 1.4 by default); the first layer creates
            # the file, so it sets the version
            extra = {"VERSION": GPKG_VERSION} if k == 0 else {}
            _gis_ready(gdf, target).to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                                            **extra)
        if result.station_years is not None:  # a table: one row per station and year
            pyogrio.write_dataframe(result.station_years, path, layer="station_years",
                                    driver="GPKG")
    write_layer_styles(path, _styles(result, lang, {name: [str(c) for c in gdf.columns]
                                                    for name, gdf in layers.items()}))
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


# --------------------------------------------------------------------------- QML
def _rgba(color: str | None, alpha: int = 255) -> str:
    """CSS colour -> QGIS ``"r,g,b,a"`` (see :func:`siting.qml.rgba`)."""
    return qml.rgba(color, alpha)


def _styles(result: SitingResult, lang: str,
            layers: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """QML per GeoPackage layer (see :mod:`siting.qml`): every layer styled, stations and
    zones labelled, in the one symbology of the map and the briefing."""
    if layers is None:
        layers = {name: [str(c) for c in gdf.columns] for name, gdf in _layers(result).items()}
    return qml.layer_styles(result, lang, layers)


# =========================================================================== CSV
def summary_frame(result: SitingResult, *, crs: str = WGS84, lang: str = "zh") -> pd.DataFrame:
    """The station table as it goes into summary.csv (headers in ``lang``).

    Parameters
    ----------
    result
        The solved plan.
    crs
        When not WGS84, x/y columns in that CRS are added after lon/lat.
    lang
        ``"zh"`` (Chinese headers, 是/否, 换电/充电/加氢) or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        One row per station, ``STATION_COLUMNS`` plus ``type_name`` and coordinates.
    """
    st = result.stations
    lang = lang if lang in i18n.LANGS else "en"
    symbols = symbols_from_types(getattr(result.scenario, "station_types", []), lang)
    df = pd.DataFrame({c: st[c].to_numpy() for c in STATION_COLUMNS if c in st.columns})
    if "station_type" in df.columns:
        pos = list(df.columns).index("station_type") + 1
        df.insert(pos, "type_name", [symbols[t].label if t in symbols else t
                                     for t in df["station_type"]])
    yes, no = i18n.t("word.yes", lang), i18n.t("word.no", lang)
    if "existing" in df.columns:
        df["existing"] = [yes if bool(v) else no for v in df["existing"]]
    if "family" in df.columns:
        df["family"] = [i18n.t(f"pathway.{v}", lang) if f"pathway.{v}" in i18n.LABELS[lang]
                        else v for v in df["family"]]
    if "zone" in df.columns:  # the zone's name in the language, not its id
        names = zone_names(result.zones, lang)
        df["zone"] = [names.get(str(z), str(z)) if isinstance(z, str) and z else ""
                      for z in df["zone"]]
    units = {"kWh/day": i18n.t("unit.kwh_day", lang), "kg/day": i18n.t("unit.kg_day", lang)}
    for col in ("capacity_unit", "energy_unit"):
        if col in df.columns:
            df[col] = [units.get(str(u), u) for u in df[col]]
    geoms = st.geometry.to_crs(WGS84) if st.crs is not None else st.geometry
    reps = shapely.point_on_surface(geoms.values) if len(st) else np.array([])
    df["lon"] = np.round(shapely.get_x(reps), 7) if len(st) else []
    df["lat"] = np.round(shapely.get_y(reps), 7) if len(st) else []
    for col in ("capex",):
        if col in df.columns:
            df[col] = df[col].astype(float).round(2)
    for col in ("capacity", "served_demand", "served_vehicles", "served_energy", "served_h2_kg",
                "marginal_demand"):
        if col in df.columns:
            df[col] = df[col].astype(float).round(3)
    if "utilisation" in df.columns:
        df["utilisation"] = df["utilisation"].astype(float).round(4)
    year = result.report.final_year
    wu = result.report.scenario.weight_unit
    if lang == "zh":
        wu = "辆" if result.report.scenario.weight == "vehicles" else "kWh/日"
    headers = _summary_headers(lang, year=year, wu=wu)
    if crs != WGS84 and len(st):
        out = to_output_crs(st, crs).geometry
        pts = shapely.point_on_surface(out.values)
        nd = METRE_DECIMALS if out.crs is not None and out.crs.is_projected else 7
        slug = crs_slug(crs)
        df[f"x_{slug}"] = np.round(shapely.get_x(pts), nd)
        df[f"y_{slug}"] = np.round(shapely.get_y(pts), nd)
        if lang == "zh":
            headers[f"x_{slug}"] = f"X（{crs}）"
            headers[f"y_{slug}"] = f"Y（{crs}）"
    return df.rename(columns=headers)


def write_summary_csv(result: SitingResult, path: str | Path, *, crs: str = WGS84,
                      lang: str = "zh") -> Path:
    """Write summary.csv: UTF-8 with BOM (so Excel shows Chinese), CRLF-free, one row per
    station. See :func:`summary_frame` for the columns.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    df = summary_frame(result, crs=parse_crs(crs), lang=lang)
    return write_csv(path, df)


# =========================================================================== Shapefile
def shapefile_field_names(columns: list[str]) -> dict[str, str]:
    """Map column names to unique DBF field names of at most 10 ASCII characters.

    Known columns use :data:`SHAPEFILE_FIELDS`; others are reduced to ASCII letters, digits
    and ``_``, cut to 10 characters, and numbered when they would collide (``field_1`` for a
    name with no ASCII letters at all).
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        base = SHAPEFILE_FIELDS.get(col) or re.sub(r"[^A-Za-z0-9_]", "", str(col))[:10]
        if not base:
            base = "field"
        name = base
        k = 1
        while name.lower() in used or name == "field":
            suffix = f"_{k}"
            name = base[: 10 - len(suffix)] + suffix
            k += 1
        used.add(name.lower())
        out[col] = name
    return out


def _gbk_safe(v: Any, max_bytes: int = 254) -> Any:
    """Text that GBK can encode, at most ``max_bytes`` bytes (the DBF field limit)."""
    if not isinstance(v, str):
        return v
    data = v.encode("gbk", errors="replace")
    if len(data) > max_bytes:
        data = data[:max_bytes]
    return data.decode("gbk", errors="ignore")


def write_shapefile(result: SitingResult, out_dir: str | Path,
                    crs: str | None = None) -> list[Path]:
    """Write stations, demand, candidates and coverage areas as GBK Shapefiles.

    For desktop GIS that still expects Shapefiles (common in Chinese planning offices):
    text is encoded GBK (characters GBK lacks become ``?``, text is cut at 254 bytes) and a
    ``.cpg`` file says so; field names are ASCII, at most 10 characters, listed with the full
    column names in ``shapefile_fields.csv`` (UTF-8 with BOM).

    Parameters
    ----------
    result
        The solved plan.
    out_dir
        Folder (created if needed).
    crs
        Output CRS (default WGS84); see :func:`siting.crs.to_output_crs`.

    Returns
    -------
    list of pathlib.Path
        The ``.shp`` files written (empty layers are skipped).
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = parse_crs(crs) if crs else WGS84
    layers = _layers(result)
    written = []
    rows = [("layer", "field", "column")]
    for name in SHAPEFILE_LAYERS:
        gdf = layers.get(name)
        if gdf is None or len(gdf) == 0:
            logger.info("shapefile: layer %s is empty, not written", name)
            continue
        ready = _gis_ready(gdf, target)
        geom = ready.geometry.name
        names = shapefile_field_names([c for c in ready.columns if c != geom])
        ready = ready.rename(columns=names)
        for col in names.values():
            if ready[col].dtype == object or pd.api.types.is_string_dtype(ready[col]):
                ready[col] = ready[col].map(_gbk_safe).astype(object)
        path = folder / f"{name}.shp"
        ready.to_file(path, driver="ESRI Shapefile", encoding="GBK", engine="pyogrio")
        cpg = path.with_suffix(".cpg")
        if not cpg.exists() or cpg.read_text(encoding="ascii", errors="replace").strip() \
                .upper() not in ("GBK", "CP936", "936"):
            cpg.write_text("GBK", encoding="ascii")
        rows += [(name, short, full) for full, short in names.items()]
        written.append(path)
    write_csv(folder / "shapefile_fields.csv", rows[1:], header=rows[0])
    return written


__all__ = [
    "CONTRACT_FILES", "GPKG_LAYERS", "clean_value", "geojson_text", "report_text",
    "shapefile_field_names", "summary_frame", "write_geopackage", "write_layer_styles",
    "write_outputs", "write_shapefile", "write_summary_csv",
]
