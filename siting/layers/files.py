"""Opening a layer's file: GIS formats through pyogrio with their text encodings, CSV tables.

:func:`read_any` reads whatever the scenario names as a GeoDataFrame, unchecked: a GIS file
GDAL opens (GeoPackage, GeoJSON, Shapefile ...), a spreadsheet's sheet
(:func:`siting.tables.read_sheet_layer`) or a CSV table with coordinate columns
(:func:`read_table`). Shapefiles: the encoding comes from the ``.cpg`` file (or the DBF
language id); when neither exists GDAL assumes Latin-1, which garbles Chinese text, so UTF-8
is tried and then GBK.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from siting import tables
from siting._errors import InputDataError, ScenarioError
from siting._preflight import file_problem
from siting.crs import WGS84, is_shift, parse_crs
from siting.layers.records import TABLE_SUFFIXES, one_line, show
from siting.scenario import LayerSpec, NetworkSpec, suggest

logger = logging.getLogger(__name__)

_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def read_table(
    path: str | Path,
    *,
    crs: str | None = WGS84,
    lon: str | None = None,
    lat: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV table of points with longitude/latitude (or x/y) columns.

    The encoding is detected: UTF-8 (with or without BOM), else GB18030 (a superset of GBK,
    what Excel on a Chinese Windows writes); so is the separator (a comma, else the
    semicolons or tabs of the header line). Columns whose every non-empty value is a number
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
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: cannot read table: file not found; check the path"
        raise ScenarioError(msg)
    df = _read_csv(path)
    lon_col, lat_col = _coordinate_columns(df, path, crs, lon, lat)
    x, y = _coordinates(df, path, lon_col), _coordinates(df, path, lat_col)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=crs)


def _read_csv(path: Path) -> pd.DataFrame:
    """The CSV file's cells: text decoded (UTF-8, else GB18030), names stripped, columns of
    numbers made numeric (:func:`_maybe_numeric`)."""
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
    sep = _delimiter(text)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, skipinitialspace=True, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        kind = {",": "comma", ";": "semicolon", "\t": "tab"}[sep]
        msg = (f"{path}: cannot read table ({kind}-separated, from its header line): "
               f"{one_line(e)}; save it as comma-separated CSV")
        raise ScenarioError(msg) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df.apply(_maybe_numeric)


def _delimiter(text: str) -> str:
    """The separator of a CSV file, from its header line: a comma, unless the header has
    none but semicolons (Excel's "CSV" where the decimal mark is a comma) or tabs."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in (";", "\t")}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _coordinate_columns(df: pd.DataFrame, path: Path, crs: str | None, lon: str | None,
                        lat: str | None) -> tuple[str, str]:
    """The (longitude or x, latitude or y) column names: ``lon``/``lat``, else found by name
    (:func:`siting.tables.coordinate_columns`); a missing one is refused."""
    pair = tables.coordinate_columns(list(df.columns), x_column=lon, y_column=lat,
                                     projected=crs is not None and CRS(crs).is_projected)
    lon_col, lat_col = (pair[0], pair[1]) if pair else (lon, lat)
    found = []
    for col, kind in ((lon_col, "longitude"), (lat_col, "latitude")):
        if col is None or col not in df.columns:
            msg = (f"{path}: no {kind} column{suggest(col or kind[:3], list(df.columns))}; "
                   f"columns are {list(df.columns)}; name the coordinate columns lon and lat")
            raise InputDataError(msg)
        found.append(col)
    return found[0], found[1]


def _coordinates(df: pd.DataFrame, path: Path, col: str) -> np.ndarray:
    """Coordinate column ``col`` as float64; a cell that is not a number is refused."""
    values = pd.to_numeric(df[col], errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy())
    if bad.size:
        cell = df[col].iloc[bad[0]]
        fix = "fix or delete the row"
        if isinstance(cell, str) and pd.notna(pd.to_numeric(cell.replace(",", "."),
                                                            errors="coerce")):
            fix = ("write numbers with a decimal point (save the CSV with '.' as decimal "
                   "mark, e.g. from Excel with English number settings)")
        msg = (f"{path}: row {bad[0] + 1}: coordinate column '{col}' has "
               f"{show(cell)}, not a number; {fix}")
        raise InputDataError(msg)
    return values.to_numpy(dtype=np.float64)


def read_any(path: Path, spec: LayerSpec | NetworkSpec, what: str) -> gpd.GeoDataFrame:
    """The layer at ``path`` as read, unchecked (see the module docstring for the formats).

    Raises :class:`~siting._errors.ScenarioError` naming the file and ``[what]`` when it is
    missing, not a regular file, unreadable, lacks the named layer or has no geometry column.
    """
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
    if path.suffix.lower() in TABLE_SUFFIXES:
        crs = WGS84
        if spec.crs is not None:
            parsed = parse_crs(spec.crs, where=f"{path}: [{what}] crs")
            crs = WGS84 if is_shift(parsed) else parsed
        gdf = read_table(path, crs=crs, lon=getattr(spec, "x_column", None),
                         lat=getattr(spec, "y_column", None))
        gdf.attrs["siting_crs_from_spec"] = True
        return gdf
    return _read_gdal(path, spec, what)


def _read_gdal(path: Path, spec: LayerSpec | NetworkSpec, what: str) -> gpd.GeoDataFrame:
    """A GIS file through pyogrio: the named layer (else the first), its text encoding found;
    GDAL's failures as one line naming the file."""
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


def read_gis_text(path: Path, layer: str | None, what: str) -> gpd.GeoDataFrame:
    """A GIS file read through pyogrio with its text encoding found as for every layer: a
    Shapefile without ``.cpg`` as UTF-8, else GBK (not GDAL's Latin-1); GeoJSON/GeoPackage
    as UTF-8, else GBK with a warning. Used for the road line layer (``what`` names it).

    Raises
    ------
    ScenarioError
        Text in neither encoding (names the file and the fix).
    """
    return _read_with_encoding(path, layer, _shapefile_encoding(path), what)


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
        # source line); pyogrio's "Could not parse column" is dropped: check_column names
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
           f"({one_line(last or ValueError())}); {fix}")
    raise ScenarioError(msg)


def _gdal_reason(e: BaseException, path: Path) -> str:
    """GDAL's complaint in user terms (its advice on driver prefixes only confuses)."""
    text = one_line(e)
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

