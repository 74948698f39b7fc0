"""Reading the scenario's vector layers: checked, repaired where safe, returned in WGS84.

:func:`read_layer` is the single entry point for every input layer (fleet points, candidate
sites, zones, supply sites ...). It reads any format GDAL knows through pyogrio (GeoPackage,
GeoJSON, Shapefile ...) plus plain CSV tables with lon/lat columns (:func:`read_table`), and
stops at the first problem with a one-line message naming the file, the row (1-based feature
number, in file order) and the fix.

What is checked, in order:

1. the file exists and GDAL can open it (else :class:`~siting._errors.ScenarioError`);
2. it has features and a geometry column;
3. the required columns exist (a missing one gets a "did you mean" suggestion; a column that
   differs only in letter case is accepted and renamed);
4. no feature has an empty geometry, and geometries are of the expected family
   (``"point"``, ``"line"``, ``"polygon"`` or ``"any"``; single-part multi-points become
   points when points are expected);
5. the CRS: the file's own, else the scenario's ``crs`` for the layer, else
   :class:`~siting._errors.CRSMismatchError`; projected CRSs are reprojected;
6. every feature lies in China (73-136 E, 3-54 N) after reprojection, with a hint when the
   coordinates look like swapped lon/lat or like metres labelled as degrees;
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
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from siting import tables
from siting._errors import CRSMismatchError, InputDataError, ScenarioError
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
        No CRS anywhere, or coordinates outside China after reprojection.
    """
    if isinstance(spec, (str, Path)):
        spec = LayerSpec(path=Path(spec))
    if getattr(spec, "path", None) is None:
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
        _check_unique(gdf[id_column], path, what, id_column)
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
    if not path.exists():
        msg = (f"{path}: cannot read {what} layer: file not found; check path in [{what}] of "
               "the scenario")
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
        gdf = _read_with_encoding(path, spec.layer, encoding)
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
    """Encodings to try, in order: ``[None]`` lets GDAL decide (a .cpg or DBF id exists)."""
    if path.suffix.lower() != ".shp":
        return [None]
    cpg = [p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ".cpg"]
    if cpg:
        return [None]
    info = pyogrio.read_info(path)
    if str(info.get("encoding", "")).upper() not in ("ISO-8859-1", "LATIN1", ""):
        return [None]  # the DBF language id names a code page; GDAL honours it
    return ["utf-8", "gbk"]


def _read_with_encoding(path: Path, layer: str | None,
                        encodings: list[str | None]) -> gpd.GeoDataFrame:
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
        if enc not in (None, "utf-8"):
            logger.info("%s: no .cpg file; text decoded as %s", path, enc.upper())
        return gdf
    msg = f"text is neither UTF-8 nor GBK ({last}); add a .cpg file naming the encoding"
    raise ValueError(msg)


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


def _ids(gdf: pd.DataFrame, id_column: str | None) -> list[str] | None:
    if id_column is None or id_column not in gdf.columns:
        return None
    return [_text(v) for v in gdf[id_column]]


def _where(path: Path, row: int, ids: list[str] | None) -> str:
    """``"<path>: row <n> (id '<x>')"`` for the 0-based position ``row``."""
    ident = f" (id '{ids[row]}')" if ids is not None and ids[row] != "" else ""
    return f"{path}: row {tables.row_number(path, row)}{ident}"


def _check_column(s: pd.Series, kind: str, path: Path, what: str, col: str,
                  ids: list[str] | None) -> pd.Series:
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
    checks = (
        (was_missing, lambda i: "is empty (NaN)", "fill it in"),
        (np.isnan(arr) & ~was_missing,
         lambda i: f"has {_show(s.iloc[i])}, not a number", "give a number"),
        (np.isinf(arr), lambda i: f"is {arr[i]}", "give a finite number"),
        (arr < 0, lambda i: f"is negative ({_num(arr[i])})", "give a value >= 0"),
    )
    if kind == "int":
        frac = np.isfinite(arr) & (np.abs(arr - np.round(arr)) > 1e-9)
        checks = (*checks, (frac, lambda i: f"is {_num(arr[i])}, not a whole number",
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


def _check_unique(s: pd.Series, path: Path, what: str, col: str) -> None:
    dup = s.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((s == s.iloc[i]).to_numpy())[0])
        n, m = tables.row_number(path, i), tables.row_number(path, first)
        msg = (f"{path}: row {n} (id '{s.iloc[i]}'): duplicate {col} (also row "
               f"{m}); give every feature of the {what} layer its own {col}")
        raise InputDataError(msg)


# --------------------------------------------------------------------------- geometry
def _check_geometries(gdf: gpd.GeoDataFrame, path: Path, what: str, geom: str,
                      ids: list[str] | None) -> gpd.GeoDataFrame:
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
                     ids: list[str] | None) -> gpd.GeoDataFrame:
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
                   "(first: row %d, %s); check them in QGIS", path, invalid.size, what,
                   first + 1, reason)
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
              ids: list[str] | None) -> tuple[gpd.GeoDataFrame, str]:
    """Reproject to EPSG:4326; return the frame and the coordinate convention to undo."""
    coords = spec.coords
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
    if not src.equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs(WGS84)
    if coords != "wgs84" and not src.is_geographic:
        logger.warning("%s: coords = %s is set but the layer is projected (%s); GCJ-02/BD-09 "
                       "apply to lon/lat only, shifting anyway", path, coords, src.to_string())
    return gdf, coords


def _check_degrees(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: list[str] | None,
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


def _check_in_china(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: list[str] | None,
                    coords: str) -> None:
    w, e, s, n = CHINA_BBOX
    b = shapely.bounds(gdf.geometry.values)

    def inside(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (x0 >= w) & (x1 <= e) & (y0 >= s) & (y1 <= n)

    ok = inside(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    if ok.all():
        return
    i = int(np.flatnonzero(~ok)[0])
    swapped = inside(b[:, 1], b[:, 0], b[:, 3], b[:, 2])
    if swapped[~ok].all():
        fix = "lon/lat look swapped; put longitude in x (first) and latitude in y (second)"
    else:
        fix = (f"check the layer's CRS (the file's own, or crs in [{what}]) and that the "
               "data is in China")
    label = "GCJ-02" if coords == "gcj02" else "BD-09" if coords == "bd09" else "WGS84"
    msg = (f"{_where(path, i, ids)}: coordinates ({_num(b[i, 0])}, {_num(b[i, 1])}) ({label} "
           f"lon/lat) are outside China (73-136 E, 3-54 N); {fix}")
    raise CRSMismatchError(msg)


# --------------------------------------------------------------------------- small helpers
def _text(v: Any) -> str:
    """A cell as text: ``1.0`` -> ``"1"``, missing -> ``""``."""
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        if float(v).is_integer():
            return str(int(v))
    if isinstance(v, (bytes, bytearray)):
        return v.decode("utf-8", "replace")
    return str(v)


def _show(v: Any) -> str:
    return repr(_text(v)) if v is not None else "nothing"


def _num(x: float) -> str:
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
