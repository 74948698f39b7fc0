"""Reading the scenario's vector layers: checked, repaired where safe, returned in WGS84.

:func:`read_layer` is the single entry point for every input layer (fleet points, candidate
sites, zones, supply sites ...). It reads any format GDAL knows through pyogrio (GeoPackage,
GeoJSON, Shapefile ...) plus plain CSV tables with lon/lat columns (:func:`read_table`), and
stops at the first problem with a one-line message naming the file, the row (1-based feature
number, in file order) and the fix.

What is checked, in order:

1. the file exists, is a regular file (not a folder, named pipe or device) and GDAL can
   open it (else :class:`~siting._errors.ScenarioError`);
2. it has features and a geometry column;
3. the required columns exist (a missing one gets a "did you mean" suggestion; a column that
   differs only in letter case is accepted and renamed);
4. no feature has an empty geometry, and geometries are of the expected family
   (``"point"``, ``"line"``, ``"polygon"`` or ``"any"``; single-part multi-points become
   points when points are expected);
5. the CRS: the file's own, else the scenario's ``crs`` for the layer, else
   :class:`~siting._errors.CRSMismatchError`; projected CRSs are reprojected;
6. coordinates are possible lon/lat after reprojection (finite, |lon| <= 180, |lat| <= 90;
   else an error, with a hint when they look like swapped lon/lat or like metres labelled
   as degrees); features outside China (73-136 E, 3-54 N) only get a warning, with the same
   hints, since real data from elsewhere is fine;
7. column values: ``"number"`` and ``"int"`` columns must be finite and non-negative
   (``"int"`` also whole), ``"text"`` columns non-empty; ids unique;
8. invalid polygons (self-intersections, bow-ties) are **repaired** with
   ``shapely.make_valid`` (keeping the polygonal part) and a warning is logged, because such
   polygons are common in hand-digitised planning data and the repair does not move vertices;
9. coordinates flagged ``coords = "gcj02"`` / ``"bd09"`` are shifted to WGS84.

Shapefiles: the encoding comes from the ``.cpg`` file (or the DBF language id); when neither
exists GDAL assumes Latin-1, which garbles Chinese text, so UTF-8 is tried and then GBK.
"""

from __future__ import annotations

import io
import logging
import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from siting import tables
from siting._errors import CRSMismatchError, InputDataError, ScenarioError, echo
from siting._preflight import file_problem
from siting.crs import COORDS_OF_CRS, WGS84, is_shift, parse_crs, shift_geometries
from siting.scenario import LayerSpec, NetworkSpec, suggest

logger = logging.getLogger(__name__)

GeomFamily = Literal["point", "line", "polygon", "any"]
ColumnKind = Literal["number", "int", "text"]

#: Coordinates (WGS84) every feature must fall in: China's extent, generously.
CHINA_BBOX: tuple[float, float, float, float] = (73.0, 136.0, 3.0, 54.0)

_FAMILIES: dict[str, tuple[str, ...]] = {
    "point": ("Point", "MultiPoint"),
    "line": ("LineString", "MultiLineString", "LinearRing"),
    "polygon": ("Polygon", "MultiPolygon"),
    "any": ("Point", "MultiPoint", "LineString", "MultiLineString", "LinearRing", "Polygon",
            "MultiPolygon", "GeometryCollection"),
}
_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
_TABLE_SUFFIXES = (".csv", ".txt")


# --------------------------------------------------------------------------- public API
def read_layer(
    spec: LayerSpec | NetworkSpec | str | Path,
    *,
    what: str,
    required: Mapping[str, str],
    geom: str,
    id_column: str | None = None,
    optional: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read, check and normalise one input layer.

    Parameters
    ----------
    spec
        The scenario's layer entry (``path``, ``layer``, ``crs``, ``coords``; a
        :class:`~siting.scenario.NetworkSpec` with a ``path`` works too), or a bare path (then
        the file must carry its own CRS and WGS84 coordinates).
    what
        The scenario section the layer comes from (``"demand"``, ``"candidates"``,
        ``"zones"``, ``"hydrogen.supply"`` ...); used in messages as ``[what]``.
    required
        ``{column: kind}`` with kind ``"number"`` (float, finite, >= 0), ``"int"`` (whole
        number >= 0) or ``"text"`` (non-empty; numbers are turned into text, ``1.0`` -> "1").
    geom
        Expected geometry family: ``"point"``, ``"line"``, ``"polygon"``, or ``"any"`` (mixed
        layers, e.g. sensitive sites drawn as points or outlines).
    id_column
        Column holding feature ids: checked unique and named in every row error.
    optional
        ``{column: kind}`` checked like ``required`` when present, ignored when absent.

    Returns
    -------
    geopandas.GeoDataFrame
        In **EPSG:4326** (WGS84 lon/lat degrees), 2-D geometries, index 0..n-1 in file order;
        checked columns converted to float64 / int64 / str.

    Raises
    ------
    ScenarioError
        The file is missing or cannot be read.
    InputDataError
        Empty layer, missing column, bad value, duplicate id or bad geometry.
    CRSMismatchError
        No CRS anywhere, or coordinates that are not possible lon/lat after reprojection.
    """
    if isinstance(spec, (str, Path)):
        spec = LayerSpec(path=Path(spec))
    if spec.path is None:
        msg = f"read_layer: the [{what}] entry names no file (path is missing)"
        raise ScenarioError(msg)
    if geom not in _FAMILIES:
        msg = f"geom must be one of {list(_FAMILIES)}, got {geom!r}"
        raise ValueError(msg)
    path = Path(spec.path)
    gdf = _read_any(path, spec, what)
    path = tables.source_of(spec, what)  # type: ignore[assignment]  # + sheet of a workbook
    if len(gdf) == 0:
        msg = (f"{path}: the {what} layer has no features; add features or point [{what}] "
               "to another file/layer")
        raise InputDataError(msg)
    gdf = gdf.reset_index(drop=True)
    checks = dict(required)
    gdf, shown = tables.apply_aliases(gdf, [*checks, *(optional or {}), id_column])  # 车辆数 ...
    gdf = _match_columns(gdf, path, what, checks, id_column)
    present_optional = {c: k for c, k in (optional or {}).items()
                        if _find_column(gdf, c) is not None}
    gdf = _match_columns(gdf, path, what, present_optional, None)
    checks.update(present_optional)
    ids = _ids(gdf, id_column)
    gdf = _check_geometries(gdf, path, what, geom, ids)
    gdf, coords = _to_wgs84(gdf, path, spec, what, ids)
    _check_in_china(gdf, path, what, ids, coords)
    for col, kind in checks.items():
        gdf[col] = _check_column(gdf[col], kind, path, what, shown.get(col, col), ids)
    if id_column is not None:
        raw_ids = gdf[id_column]
        gdf[id_column] = pd.Series(ids.values if ids is not None else [], index=gdf.index,
                                   dtype=object)
        _check_unique(gdf[id_column], raw_ids, path, what, id_column)
    if geom in ("polygon", "any"):
        gdf = _repair_polygons(gdf, path, what, ids)
    if coords != "wgs84":
        logger.info("%s: shifting %d %s features from %s to WGS84", path, len(gdf), what,
                    coords.upper())
        gdf = gdf.set_geometry(gpd.GeoSeries(
            shift_geometries(gdf.geometry.values, coords, "wgs84"), index=gdf.index, crs=WGS84))
    return gdf


def read_table(
    path: str | Path,
    *,
    crs: str | None = WGS84,
    lon: str | None = None,
    lat: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV table of points with longitude/latitude (or x/y) columns.

    The encoding is detected: UTF-8 (with or without BOM), else GB18030 (a superset of GBK,
    what Excel on a Chinese Windows writes). Columns whose every non-empty value is a number
    become numeric, unless a value has a leading zero (``"007"`` stays text, as ids often do).

    Parameters
    ----------
    path
        The ``.csv`` file.
    crs
        CRS of the coordinate columns (default WGS84 lon/lat degrees); ``None`` leaves the
        frame without CRS.
    lon, lat
        Names of the coordinate columns. Default: found by name as in Excel sheets
        (:func:`siting.tables.coordinate_columns`: ``lon``/``lat``, ``经度``/``纬度``,
        ``东经``/``北纬``, ``x``/``y``, ``X坐标``/``Y坐标`` ..., any case).

    Returns
    -------
    geopandas.GeoDataFrame
        Points in ``crs``, the coordinate columns kept as attributes.

    Raises
    ------
    ScenarioError
        The file is missing, not decodable, or not CSV.
    InputDataError
        No coordinate columns, or a coordinate that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: cannot read table: file not found; check the path"
        raise ScenarioError(msg)
    raw = path.read_bytes()
    text = None
    for enc in _TEXT_ENCODINGS:
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        msg = f"{path}: cannot read table: neither UTF-8 nor GBK text; save it as UTF-8 CSV"
        raise ScenarioError(msg)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        msg = f"{path}: cannot read table: {_one_line(e)}; save it as comma-separated CSV"
        raise ScenarioError(msg) from None
    df.columns = [str(c).strip() for c in df.columns]
    df = df.apply(_maybe_numeric)
    pair = tables.coordinate_columns(list(df.columns), x_column=lon, y_column=lat,
                                     projected=crs is not None and CRS(crs).is_projected)
    lon_col, lat_col = (pair[0], pair[1]) if pair else (lon, lat)
    for col, kind in ((lon_col, "longitude"), (lat_col, "latitude")):
        if col is None or col not in df.columns:
            msg = (f"{path}: no {kind} column{suggest(col or kind[:3], list(df.columns))}; "
                   f"columns are {list(df.columns)}; name the coordinate columns lon and lat")
            raise InputDataError(msg)
    xy = []
    for col in (lon_col, lat_col):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            msg = (f"{path}: row {bad[0] + 1}: coordinate column '{col}' has "
                   f"{_show(df[col].iloc[bad[0]])}, not a number; fix or delete the row")
            raise InputDataError(msg)
        xy.append(values.to_numpy(dtype=np.float64))
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[0], xy[1]), crs=crs)


# --------------------------------------------------------------------------- reading
def _read_any(path: Path, spec: LayerSpec | NetworkSpec, what: str) -> gpd.GeoDataFrame:
    why = file_problem(path)
    if why == "file not found":
        msg = (f"{path}: cannot read {what} layer: file not found; check path in [{what}] of "
               "the scenario")
        raise ScenarioError(msg)
    if why is not None:  # a folder, a named pipe (reading would hang), a device ...
        msg = (f"{path}: cannot read {what} layer: it {why}; give the path of a GIS file "
               f"in [{what}] of the scenario")
        raise ScenarioError(msg)
    if tables.is_spreadsheet(path):
        return tables.read_sheet_layer(spec, what)
    if path.suffix.lower() in (".csv", ".txt"):
        crs = WGS84
        if spec.crs is not None:
            parsed = parse_crs(spec.crs, where=f"{path}: [{what}] crs")
            crs = WGS84 if is_shift(parsed) else parsed
        gdf = read_table(path, crs=crs, lon=getattr(spec, "x_column", None),
                         lat=getattr(spec, "y_column", None))
        gdf.attrs["siting_crs_from_spec"] = True
        return gdf
    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        if spec.layer is not None and spec.layer not in layers:
            msg = (f"{path}: cannot read {what} layer: no layer '{spec.layer}'"
                   f"{suggest(spec.layer, layers)}; layers are {layers}; fix layer in [{what}]")
            raise ScenarioError(msg)
        if spec.layer is None and len(layers) > 1:
            logger.warning("%s has %d layers; reading the first, '%s' (set layer = ... in "
                           "[%s] to choose)", path, len(layers), layers[0], what)
        encoding = _shapefile_encoding(path)
        gdf = _read_with_encoding(path, spec.layer, encoding, what)
    except ScenarioError:
        raise
    except Exception as e:  # pyogrio/GDAL raise many types for unreadable files
        msg = (f"{path}: cannot read {what} layer: {_gdal_reason(e, path)}; check it opens in "
               "QGIS and is a GeoPackage, GeoJSON, Shapefile or CSV")
        raise ScenarioError(msg) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = (f"{path}: cannot read {what} layer: it has no geometry column; give a layer "
               "with points/lines/polygons (or a CSV with lon/lat columns)")
        raise ScenarioError(msg)
    return gdf


def _shapefile_encoding(path: Path) -> list[str | None]:
    """Encodings to try, in order: ``None`` lets GDAL decide (a .cpg or DBF id exists).

    Other formats are UTF-8 by definition (GeoJSON, GeoPackage ...), but GeoJSON saved by
    Chinese software is sometimes GBK: GB18030 (a superset of GBK) is tried when GDAL's
    UTF-8 reading fails.
    """
    if path.suffix.lower() != ".shp":
        return [None, "gb18030"]
    cpg = [p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ".cpg"]
    if cpg:
        return [None]
    info = pyogrio.read_info(path)
    if str(info.get("encoding", "")).upper() not in ("ISO-8859-1", "LATIN1", ""):
        return [None]  # the DBF language id names a code page; GDAL honours it
    return ["utf-8", "gbk"]


def _read_with_encoding(path: Path, layer: str | None, encodings: list[str | None],
                        what: str = "input") -> gpd.GeoDataFrame:
    last: Exception | None = None
    for enc in encodings:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                gdf = pyogrio.read_dataframe(path, layer=layer, encoding=enc)
        except UnicodeDecodeError as e:
            last = e
            continue
        # GDAL's warnings become one log line naming the file (not a Python warning with a
        # source line); pyogrio's "Could not parse column" is dropped: _check_column names
        # the row.
        for w in dict.fromkeys(str(w.message) for w in caught):
            if "Could not parse column" not in w:
                logger.warning("%s: GDAL: %s", path, " ".join(w.split()))
        if enc == "gb18030":
            logger.warning("%s: text is GBK, not UTF-8 as the format requires; read as GBK "
                           "(save the file as UTF-8 to silence this)", path)
        elif enc not in (None, "utf-8"):
            logger.info("%s: no .cpg file; text decoded as %s", path, enc.upper())
        return gdf
    fix = ("add a .cpg file naming the encoding" if path.suffix.lower() == ".shp"
           else "save it as UTF-8")
    msg = (f"{path}: cannot read {what} layer: text is neither UTF-8 nor GBK "
           f"({_one_line(last or ValueError())}); {fix}")
    raise ScenarioError(msg)


# --------------------------------------------------------------------------- columns
def _find_column(gdf: pd.DataFrame, name: str) -> str | None:
    if name in gdf.columns:
        return name
    lower = [c for c in gdf.columns if str(c).lower() == name.lower()]
    return lower[0] if len(lower) == 1 else None


def _match_columns(gdf: gpd.GeoDataFrame, path: Path, what: str, checks: Mapping[str, str],
                   id_column: str | None) -> gpd.GeoDataFrame:
    wanted = list(checks)
    if id_column is not None and id_column not in wanted:
        wanted.append(id_column)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    renames = {}
    for col in wanted:
        found = _find_column(gdf, col)
        if found is None:
            msg = (f"{path}: the {what} layer has no column '{col}'{suggest(col, columns)}; "
                   f"columns are {columns}; rename a column to '{col}'{tables.alias_hint(col)}")
            raise InputDataError(msg)
        if found != col:
            renames[found] = col
    if renames:
        logger.info("%s: using columns %s", path, renames)
        gdf = gdf.rename(columns=renames)
    return gdf


@dataclass(frozen=True)
class _RowIds:
    """The id of every feature (as text, in file order) and the column holding them."""

    column: str
    values: list[str]


def _ids(gdf: pd.DataFrame, id_column: str | None) -> _RowIds | None:
    if id_column is None or id_column not in gdf.columns:
        return None
    return _RowIds(id_column, [id_text(v) for v in gdf[id_column]])


def is_table(path: str | Path) -> bool:
    """True for a plain table (CSV or a spreadsheet's sheet): its records are *rows*; a GIS
    layer's are *features*."""
    if isinstance(path, tables.SheetSource):
        return True
    return Path(str(path)).suffix.lower() in _TABLE_SUFFIXES


def feature_label(source: str | Path, index: int, ident: object = None,
                  id_column: str = "id") -> str:
    """How a message names one record: ``"fleet.gpkg: feature 5 (fleet_id 'SAN005')"``.

    Parameters
    ----------
    source
        The layer's file (or a description of it; a :class:`siting.tables.SheetSource` for a
        spreadsheet's sheet).
    index
        0-based position in file order; shown 1-based, as QGIS's attribute table counts (for
        a sheet: Excel's row number, header and title rows counted).
    ident
        The record's id, if it has one (clipped in the message when long).
    id_column
        The column the id comes from.

    Returns
    -------
    str
        ``feature N`` for GIS layers, ``row N`` for CSV tables (the first record after the
        header is row 1) and sheets (Excel's row number).
    """
    word = "row" if is_table(source) else "feature"
    text = "" if ident is None else id_text(ident)
    named = f" ({id_column} {echo(text)})" if text != "" else ""
    return f"{source}: {word} {tables.row_number(source, index)}{named}"


def _where(path: Path, row: int, ids: _RowIds | None) -> str:
    """:func:`feature_label` of the 0-based position ``row``, with its id when known."""
    if ids is None:
        return feature_label(path, row)
    return feature_label(path, row, ids.values[row], ids.column)


def _check_column(s: pd.Series, kind: str, path: Path, what: str, col: str,
                  ids: _RowIds | None) -> pd.Series:
    if kind == "text":
        missing = np.flatnonzero(s.isna().to_numpy())
        if missing.size == 0:
            text = s.map(_text)
            missing = np.flatnonzero((text.str.strip() == "").to_numpy())
        if missing.size:
            msg = (f"{_where(path, missing[0], ids)}: column '{col}' is empty; fill it in "
                   f"(the {what} layer needs it)")
            raise InputDataError(msg)
        return s.map(_text).astype(str)
    if kind not in ("number", "int"):
        msg = f"unknown column kind {kind!r} for '{col}'; use 'number', 'int' or 'text'"
        raise ValueError(msg)
    values = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_bool_dtype(s) else None
    if values is None:
        msg = (f"{path}: column '{col}' of the {what} layer holds true/false values, not "
               "numbers; give numbers")
        raise InputDataError(msg)
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    was_missing = s.isna().to_numpy()
    checks: list[tuple[np.ndarray, Callable[[int], str], str]] = [
        (was_missing, lambda i: "is empty (NaN)", "fill it in"),
        (np.isnan(arr) & ~was_missing,
         lambda i: f"has {_show(s.iloc[i])}, not a number", "give a number"),
        (np.isinf(arr), lambda i: f"is {arr[i]}", "give a finite number"),
        (arr < 0, lambda i: f"is negative ({_num(float(arr[i]))})", "give a value >= 0"),
    ]
    if kind == "int":
        frac = np.isfinite(arr) & (np.abs(arr - np.round(arr)) > 1e-9)
        checks.append((frac, lambda i: f"is {_num(float(arr[i]))}, not a whole number",
                       "give a whole number"))
    for mask, describe, fix in checks:
        bad = np.flatnonzero(mask)
        if bad.size:
            i = int(bad[0])
            more = f" ({bad.size} rows)" if bad.size > 1 else ""
            msg = f"{_where(path, i, ids)}: column '{col}' {describe(i)}{more}; {fix}"
            raise InputDataError(msg)
    if kind == "int":
        return pd.Series(np.round(arr).astype(np.int64), index=s.index, name=s.name)
    return pd.Series(arr, index=s.index, name=s.name)


def _check_unique(s: pd.Series, raw: pd.Series, path: Path, what: str, col: str) -> None:
    """Refuse duplicate ids (``s``, normalised by :func:`id_text`), naming both records.

    ``raw`` holds the ids as read; when the two spellings differ (``1`` and ``1.0``) both are
    shown, since they only count as one id after normalising.
    """
    dup = s.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((s == s.iloc[i]).to_numpy())[0])
        a, b = _text(raw.iloc[first]), _text(raw.iloc[i])
        same = "" if a.strip() == b.strip() else (
            f"; {echo(b)} and {echo(a)} are the same id")
        word = "row" if is_table(path) else "feature"
        msg = (f"{feature_label(path, i, s.iloc[i], col)}: duplicate {col} (also {word} "
               f"{tables.row_number(path, first)}){same}; give every {word} of the {what} "
               f"layer its own {col}")
        raise InputDataError(msg)


# --------------------------------------------------------------------------- geometry
def _check_geometries(gdf: gpd.GeoDataFrame, path: Path, what: str, geom: str,
                      ids: _RowIds | None) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if missing.size:
        msg = (f"{_where(path, int(missing[0]), ids)}: empty geometry in the {what} layer; "
               "draw the feature or delete the row")
        raise InputDataError(msg)
    types = shapely.get_type_id(geoms)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"])[types]
    wrong = np.flatnonzero(~np.isin(names, _FAMILIES[geom]))
    if wrong.size:
        i = int(wrong[0])
        msg = (f"{_where(path, i, ids)}: geometry is a {names[i]}, but the {what} layer needs "
               f"{geom}s; give a {geom} layer")
        raise InputDataError(msg)
    geoms = shapely.force_2d(geoms)
    if geom == "point":
        multi = np.flatnonzero(names == "MultiPoint")
        if multi.size:
            parts = shapely.get_num_geometries(geoms[multi])
            many = multi[parts > 1]
            if many.size:
                msg = (f"{_where(path, int(many[0]), ids)}: a MultiPoint with "
                       f"{int(parts[parts > 1][0])} points; the {what} layer needs one point "
                       "per feature, so split it")
                raise InputDataError(msg)
            geoms = geoms.copy()
            geoms[multi] = shapely.get_geometry(geoms[multi], 0)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def _repair_polygons(gdf: gpd.GeoDataFrame, path: Path, what: str,
                     ids: _RowIds | None) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    invalid = np.flatnonzero(polygonal & ~shapely.is_valid(geoms))
    if invalid.size == 0:
        return gdf
    first = int(invalid[0])
    reason = shapely.is_valid_reason(geoms[first])
    fixed = np.array(geoms, dtype=object)
    for i in invalid:
        repaired = _polygonal_part(shapely.make_valid(geoms[i]))
        if repaired is None:
            why = shapely.is_valid_reason(geoms[i])
            msg = (f"{_where(path, int(i), ids)}: invalid polygon ({why}) with no area left "
                   "after repair; redraw it")
            raise InputDataError(msg)
        fixed[i] = repaired
    logger.warning("%s: repaired %d invalid polygon(s) in the %s layer with make_valid "
                   "(first: %s %d, %s); check them in QGIS", path, invalid.size, what,
                   "row" if is_table(path) else "feature", first + 1, reason)
    return gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))


def _polygonal_part(g: shapely.Geometry) -> shapely.Geometry | None:
    if isinstance(g, (shapely.Polygon, shapely.MultiPolygon)):
        return None if g.is_empty else g
    parts = [p for p in shapely.get_parts(g) if isinstance(p, (shapely.Polygon,
                                                                shapely.MultiPolygon))]
    polys = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


# --------------------------------------------------------------------------- CRS
def _to_wgs84(gdf: gpd.GeoDataFrame, path: Path, spec: LayerSpec | NetworkSpec, what: str,
              ids: _RowIds | None) -> tuple[gpd.GeoDataFrame, str]:
    """Reproject to EPSG:4326; return the frame and the coordinate convention to undo."""
    coords: str = spec.coords
    from_spec = bool(gdf.attrs.get("siting_crs_from_spec")) or gdf.crs is None
    if gdf.crs is None:
        if spec.crs is None:
            msg = (f'{path} has no CRS; add crs = "EPSG:4326" to [{what}] in the scenario '
                   "(or the CRS the coordinates are in, e.g. EPSG:4547)")
            raise CRSMismatchError(msg)
        parsed = parse_crs(spec.crs, where=f"{path}: [{what}] crs")
        if is_shift(parsed):
            coords = COORDS_OF_CRS[parsed]
            parsed = WGS84
        gdf = gdf.set_crs(parsed)
    elif spec.crs is not None:
        parsed = parse_crs(spec.crs, where=f"{path}: [{what}] crs")
        if is_shift(parsed):
            coords = COORDS_OF_CRS[parsed]
        elif not from_spec and not CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(
                parsed)):
            logger.warning("%s: the file says its CRS is %s; [%s] crs = %s is ignored", path,
                           gdf.crs.to_string(), what, parsed)
    src = CRS.from_user_input(gdf.crs)
    if src.is_geographic:
        _check_degrees(gdf, path, what, ids, src)
        _check_lonlat(gdf, path, what, ids, src.to_string())
    if not src.equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs(WGS84)
        _check_lonlat(gdf, path, what, ids, src.to_string())
    if coords != "wgs84" and not src.is_geographic:
        logger.warning("%s: coords = %s is set but the layer is projected (%s); GCJ-02/BD-09 "
                       "apply to lon/lat only, shifting anyway", path, coords, src.to_string())
    return gdf, coords


def _check_degrees(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: _RowIds | None,
                   src: CRS) -> None:
    b = shapely.bounds(gdf.geometry.values)
    # far beyond any degree value: metres (projected data) labelled as lon/lat
    bad = np.flatnonzero((np.abs(b) > 1000.0).any(axis=1))
    if bad.size:
        i = int(bad[0])
        msg = (f"{_where(path, i, ids)}: coordinates ({_num(b[i, 0])}, {_num(b[i, 1])}) look "
               f"like metres but the layer's CRS is {src.to_string()} (degrees); set the right "
               f'crs for [{what}], e.g. crs = "EPSG:4547" for CGCS2000 zone 38')
        raise CRSMismatchError(msg)


_SWAPPED_FIX = "lon/lat look swapped; put longitude in x (first) and latitude in y (second)"


def _in_box(b: np.ndarray, box: tuple[float, float, float, float],
            swap: bool = False) -> np.ndarray:
    """Rows of bounds ``b`` (minx, miny, maxx, maxy) inside ``box`` (w, e, s, n)."""
    x0, y0, x1, y1 = (b[:, 1], b[:, 0], b[:, 3], b[:, 2]) if swap else b.T
    w, e, s, n = box
    with np.errstate(invalid="ignore"):
        return (x0 >= w) & (x1 <= e) & (y0 >= s) & (y1 <= n)


def _check_lonlat(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: _RowIds | None,
                  src: str) -> None:
    """Refuse coordinates no place on Earth has: non-finite, |lon| > 180 or |lat| > 90."""
    b = shapely.bounds(gdf.geometry.values)
    ok = _in_box(b, (-180.0, 180.0, -90.0, 90.0))
    if ok.all():
        return
    i = int(np.flatnonzero(~ok)[0])
    if not np.isfinite(b[i]).all():
        msg = (f"{_where(path, i, ids)}: coordinates cannot be converted from {src} to WGS84 "
               f"lon/lat (they lie outside the area {src} covers); check the CRS of the "
               f"layer (the file's own, or crs in [{what}])")
        raise CRSMismatchError(msg)
    swapped = _in_box(b, (-180.0, 180.0, -90.0, 90.0), swap=True)
    fix = (_SWAPPED_FIX if swapped[~ok].all() else
           f"check the CRS of the layer (the file's own, or crs in [{what}])")
    msg = (f"{_where(path, i, ids)}: coordinates ({_num(b[i, 0])}, {_num(b[i, 1])}) are not "
           "valid lon/lat (longitude -180..180, latitude -90..90); " + fix)
    raise CRSMismatchError(msg)


def _check_in_china(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: _RowIds | None,
                    coords: str) -> str | None:
    """Warn (once per layer) about features outside China; return the warning text.

    siting is built for Chinese cities, and data placed outside China is more often a wrong
    CRS or swapped columns than a foreign city, so the warning carries those hints; but real
    data from elsewhere (an OSM extract of Helsinki) works. Features that do not reach the
    road network are refused later (see :func:`siting._checks.check_layers_overlap`).
    """
    b = shapely.bounds(gdf.geometry.values)
    ok = _in_box(b, CHINA_BBOX)
    if ok.all():
        return None
    bad = np.flatnonzero(~ok)
    i = int(bad[0])
    if _in_box(b, CHINA_BBOX, swap=True)[~ok].all():
        fix = _SWAPPED_FIX
    else:
        fix = (f"if the data should be in China, check the CRS of the layer (the file's own, "
               f"or crs in [{what}])")
    label = "GCJ-02" if coords == "gcj02" else "BD-09" if coords == "bd09" else "WGS84"
    text = (f"{_where(path, i, ids)}: coordinates ({_num(b[i, 0])}, {_num(b[i, 1])}) ({label} "
            f"lon/lat) are outside China (73-136 E, 3-54 N) [{bad.size} of {len(b)} "
            f"feature(s) of the {what} layer]; {fix}")
    logger.warning("%s", text)
    return text


# --------------------------------------------------------------------------- small helpers
def _text(v: Any) -> str:
    """A cell as text: ``1.0`` -> ``"1"``, missing -> ``""``."""
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        if float(v).is_integer():
            return str(int(v))
    if isinstance(v, (bytes, bytearray)):
        return v.decode("utf-8", "replace")
    return str(v)


_INTEGRAL_TEXT = re.compile(r"^\+?(-?\d+)\.0*$")


def id_text(v: Any) -> str:
    """An id cell as text, the same whichever way the file stores it.

    Integral numbers lose their decimals (``1.0`` and ``"1.0"`` -> ``"1"``, as ``1`` and
    ``"1"``), surrounding spaces are dropped, missing -> ``""``. Other text is kept as is
    (``"007"`` stays ``"007"``).
    """
    text = _text(v).strip()
    m = _INTEGRAL_TEXT.match(text)
    return m.group(1) if m else text


def _show(v: Any) -> str:
    return echo(_text(v)) if v is not None else "nothing"


def _num(x: float) -> str:
    """A number for a message: short, and never hundreds of digits (``1e+300``)."""
    if not math.isfinite(x) or abs(x) >= 1e15:
        return f"{x:.6g}"
    return f"{x:.6g}" if abs(x) < 1e5 else f"{x:.1f}"


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _gdal_reason(e: BaseException, path: Path) -> str:
    """GDAL's complaint in user terms (its advice on driver prefixes only confuses)."""
    text = _one_line(e)
    if "not recognized as being in a supported file format" in text:
        return "not a GIS file GDAL recognises (wrong content for its extension?)"
    return text.replace(f"'{path}' ", "").replace(str(path), "the file")


_LEADING_ZERO = re.compile(r"^[+-]?0\d")


def _maybe_numeric(s: pd.Series) -> pd.Series:
    """Numeric version of a text column if every value is a number (ids like 007 stay text)."""
    present = s.dropna()
    if present.empty or present.str.strip().str.match(_LEADING_ZERO).any():
        return s
    values = pd.to_numeric(s, errors="coerce")
    if values[s.notna()].isna().any():
        return s
    return values


__all__ = ["CHINA_BBOX", "read_layer", "read_table"]
