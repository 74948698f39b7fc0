"""Point layers kept as tables: Excel workbooks (``.xlsx``, ``.xls``) and Chinese column names.

Planning offices keep fleet registers (车辆台账), plot lists and station lists in Excel. Any
point layer of a scenario (fleet, candidates, existing stations, hydrogen supply,
substations, sensitive sites) may be a sheet of a workbook: one row per point, the
coordinates in two columns. :func:`read_sheet` reads it with pandas and python-calamine
(``.xlsx``/``.xlsm`` and the older ``.xls``: :mod:`siting.workbook`) and
:func:`siting.layers.read_layer` checks it like any other layer. Hidden rows and columns are
read like the others, with a warning; column names must take one row (a merged two-level
header is refused with the fix): :mod:`siting.sheet_layout`. A cell merged down over several
data rows counts on each of them, as Excel shows it (:mod:`siting.sheet_merged`).

Rows are numbered **as Excel shows them** (the header row counts: with the column names in
row 1, the first point is row 2), and messages name the file and the sheet:
``fleet.xlsx, sheet '车辆台账': row 7 (id 'SAN006'): column '车辆数' has 'twenty' ...``.
Because the number a message shows is the data row's position plus the header row, a fully
empty row between data rows is refused (deleting it fixes the numbering for good); empty rows
after the last point are ignored.

Columns
-------
Coordinates are found by name (see :data:`LON_NAMES` ...) unless the layer's section sets
``x_column``/``y_column``: longitude/latitude in degrees (WGS84, or GCJ-02 with
``coords = "gcj02"``, BD-09 with ``coords = "bd09"``), or x/y in the CRS given by ``crs``
(e.g. ``EPSG:4547``). Cells may hold numbers, numbers stored as text, or degrees written
as ``113°22′48″`` / ``113度22分48秒`` (with an optional E/N or 东经/北纬). Chinese surveyors
write X for the **northing** and Y for the easting; when the x column holds values that can
only be northings and the y column eastings (a projected CRS), the two are swapped, with a
warning.

The columns siting needs (``fleet_id``, ``vehicles`` ...) may carry the Chinese names of
:data:`COLUMN_ALIASES` (编号, 车辆数 ...) in any layer format: :func:`apply_aliases` maps
them. Header names are compared after Unicode NFKC normalisation (full-width letters and
brackets become ASCII), ignoring letter case, spaces and a unit in brackets
(``车辆数（辆）`` is ``车辆数``).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from siting._cells import is_blank
from siting._errors import InputDataError, ScenarioError
from siting.crs import WGS84, is_shift, parse_crs
from siting.scenario import LayerSpec, NetworkSpec, suggest
from siting.sheet_formulas import refuse_unsaved_formulas
from siting.sheet_layout import (
    Merge,
    SheetLayout,
    hidden_sheets,
    read_layout,
    two_level_message,
    two_level_rows,
    warn_hidden,
)
from siting.sheet_merged import (
    fill_merged,
    merged_note,
    refuse_merged_counts,
    refuse_merged_ids,
    warn_across,
    warn_merged,
)
from siting.workbook import open_workbook, pick_sheet, read_cells, sheet_names, wanted_sheet

logger = logging.getLogger(__name__)

#: File suffixes read as Excel workbooks.
SPREADSHEET_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xls")
#: File suffixes read as tables of points (workbooks and delimited text).
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".txt", *SPREADSHEET_SUFFIXES)

#: Column names accepted for the canonical columns, in order of preference (compared after
#: :func:`header_key`). The canonical name itself (any letter case) always wins.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "fleet_id": ("编号", "车队编号", "台账编号", "单位编号", "序号"),
    "site_id": ("编号", "站点编号", "地块编号", "候选点编号", "序号"),
    "supply_id": ("编号", "氢源编号", "供氢点编号", "序号"),
    "substation_id": ("编号", "变电站编号", "序号"),
    "zone_id": ("编号", "分区编号", "区域编号"),
    "name": ("名称", "站点名称", "场站名称", "单位名称", "车队名称", "地块名称"),
    "segment": ("车辆类别", "车辆类型", "车型", "细分", "作业类型"),
    "vehicles": ("车辆数", "车辆数量", "车数", "数量", "台数"),
    "daily_km": ("日均里程", "日均行驶里程", "日行驶里程", "日均公里数"),
    "allowed_types": ("可建类型", "可建站型", "允许类型"),
    "capex_factor": ("造价系数", "投资系数"),
    "station_type": ("站型", "站点类型", "类型"),
    "kg_per_day": ("供氢能力", "日供氢量", "日产氢量"),
    "spare_mw": ("剩余容量", "富余容量", "可用容量"),
    "category": ("类别", "敏感类型", "用地类型"),
}
#: Columns read when present, whatever the layer (display names, cost factors, H2 output).
OPTIONAL_COLUMNS: tuple[str, ...] = ("name", "capex_factor", "kg_per_day")
#: Names of longitude / latitude columns (degrees).
LON_NAMES: tuple[str, ...] = ("lon", "lng", "long", "longitude", "经度", "东经", "经度坐标")
LAT_NAMES: tuple[str, ...] = ("lat", "latitude", "纬度", "北纬", "纬度坐标")
#: Names of projected x / y columns (metres in the layer's ``crs``).
X_NAMES: tuple[str, ...] = ("x", "x坐标", "坐标x", "横坐标", "东坐标", "easting")
Y_NAMES: tuple[str, ...] = ("y", "y坐标", "坐标y", "纵坐标", "北坐标", "northing")

_BRACKETS = re.compile(r"[(\[【{][^)\]】}]*[)\]】}]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")  # 1,200 and 440,228.5
_DMS = re.compile(
    r"^(?P<d>\d+(?:\.\d+)?)\s*[°度]\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*['′’分]\s*)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|″|”|''|′′|秒)\s*)?$")
_HEMISPHERE = re.compile(r"^(东经|北纬|[EN])\s*|\s*(东经|北纬|[EN])$", re.IGNORECASE)


# --------------------------------------------------------------------------- row labels
class SheetSource(str):
    """How messages name one sheet: ``"<file>, sheet '<name>'"``, with Excel's row numbers.

    A ``str`` (it is formatted into messages as is) that also knows the file, the sheet and
    the header row, so :func:`row_number` can turn a data row's 0-based position into the
    row number Excel shows.
    """

    path: Path
    sheet: str
    header_row: int

    def __new__(cls, path: str | Path, sheet: str, header_row: int = 1) -> SheetSource:
        self = super().__new__(cls, f"{path}, sheet '{sheet}'")
        self.path = Path(path)
        self.sheet = sheet
        self.header_row = header_row
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (dask, multiprocessing) keep the type
        return (SheetSource, (self.path, self.sheet, self.header_row))


def row_number(source: object, index: int) -> int:
    """The 1-based number a message shows for the record at 0-based ``index``.

    Excel's row number (the header row and any rows above it counted) for a
    :class:`SheetSource`, else ``index + 1`` (features of a GIS layer, rows of a CSV after
    its header).
    """
    if isinstance(source, SheetSource):
        return index + source.header_row + 1
    return index + 1


def is_spreadsheet(path: str | Path) -> bool:
    """True for files read as Excel workbooks (:data:`SPREADSHEET_SUFFIXES`)."""
    return Path(str(path)).suffix.lower() in SPREADSHEET_SUFFIXES


def source_of(spec: LayerSpec | NetworkSpec | str | Path, what: str = "input",
              ) -> Path | SheetSource:
    """What messages about a layer call it: the path, or ``"<path>, sheet '<name>'"``.

    Also refuses table options on a file that cannot use them (``sheet`` and
    ``header_row`` on anything but a workbook, ``x_column``/``y_column`` on a GIS layer):
    silently ignoring a key the user set is as bad as a misspelt key.

    Raises
    ------
    ScenarioError
        A table option is set for a file that cannot use it, or the sheet does not exist.
    """
    if isinstance(spec, (str, Path)):
        return Path(spec)
    path = Path(str(spec.path))
    header_row = getattr(spec, "header_row", 1)
    if is_spreadsheet(path):
        return SheetSource(path, _sheet_name(path, spec, what), header_row)
    bad = [k for k, v in (("sheet", getattr(spec, "sheet", None)),
                          ("header_row", header_row != 1)) if v]
    kind = "an Excel workbook"
    if path.suffix.lower() not in TABLE_SUFFIXES:
        bad += [k for k in ("x_column", "y_column") if getattr(spec, k, None)]
        kind = "a table (.xlsx, .xls, .csv)" if len(bad) and bad[0][0] in "xy" else kind
    if bad:
        verb = "applies" if len(bad) == 1 else "apply"
        msg = (f"{path}: {' and '.join(bad)} in [{what}] {verb} only to {kind}, and this file "
               f"is not one; remove {' and '.join(bad)} from [{what}]")
        raise ScenarioError(msg)
    return path


# --------------------------------------------------------------------------- column names
def header_key(name: object) -> str:
    """A column name as compared: NFKC, lower case, no spaces, no unit in brackets."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = _BRACKETS.sub("", text)
    return re.sub(r"\s+", "", text).rstrip(":")


#: :func:`header_key` of every name siting reads a column by (a hidden one is warned about).
_READ_NAMES: frozenset[str] = frozenset(header_key(n) for n in (
    *COLUMN_ALIASES, *(a for names in COLUMN_ALIASES.values() for a in names), *LON_NAMES,
    *LAT_NAMES, *X_NAMES, *Y_NAMES))

#: Header keys of the columns holding counts that add up over rows (车辆数): a merged cell
#: over rows of such a column is refused, not copied down.
_COUNT_NAMES: frozenset[str] = frozenset(header_key(n) for n in (
    "vehicles", *COLUMN_ALIASES["vehicles"]))


#: Header keys of the id columns (编号 ...): a merged cell over rows of one is refused.
_ID_NAMES: frozenset[str] = frozenset(header_key(n) for key, names in COLUMN_ALIASES.items()
                                      if key.endswith("_id") for n in (key, *names))


def find_column(columns: Iterable[object], names: Sequence[str]) -> str | None:
    """The first column (in the order of ``names``) whose :func:`header_key` is one of them."""
    keys: dict[str, str] = {}
    for c in columns:
        keys.setdefault(header_key(c), str(c))
    for n in names:
        hit = keys.get(header_key(n))
        if hit is not None:
            return hit
    return None


def apply_aliases(gdf: gpd.GeoDataFrame, wanted: Iterable[str | None],
                  ) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Rename Chinese (or other listed) column names to the canonical names siting reads.

    Parameters
    ----------
    gdf
        A layer as read.
    wanted
        Canonical column names the caller needs (``None`` entries are skipped). A name
        already present (in any letter case) is left alone; otherwise the first column
        matching one of its :data:`COLUMN_ALIASES` is renamed to it. The optional columns
        siting reads when present (:data:`OPTIONAL_COLUMNS`) are always wanted.

    Returns
    -------
    (geopandas.GeoDataFrame, dict)
        The frame (renamed copy, or the same frame) and ``{canonical: original}`` for the
        renamed columns, so messages can name the column the user wrote.
    """
    present = {str(c).lower() for c in gdf.columns}
    renames: dict[str, str] = {}
    taken: set[str] = set()
    for col in dict.fromkeys(w for w in (*wanted, *OPTIONAL_COLUMNS) if w):
        if col.lower() in present or col not in COLUMN_ALIASES:
            continue
        free = [c for c in gdf.columns if str(c) not in taken and c != gdf.geometry.name]
        hit = find_column(free, COLUMN_ALIASES[col])
        if hit is not None:
            renames[hit] = col
            taken.add(hit)
    if not renames:
        return gdf, {}
    logger.info("using columns %s", ", ".join(f"{a} as {b}" for a, b in renames.items()))
    return gdf.rename(columns=renames), {v: k for k, v in renames.items()}


def alias_hint(col: str) -> str:
    """``" (or 车辆数)"`` naming the first Chinese alias of ``col``, or ``""``."""
    names = COLUMN_ALIASES.get(col)
    return f" (or {names[0]})" if names else ""


def coordinate_columns(columns: Sequence[object], *, x_column: str | None = None,
                       y_column: str | None = None, projected: bool = False,
                       ) -> tuple[str, str, bool] | None:
    """Pick the coordinate columns of a table.

    Parameters
    ----------
    columns
        The table's column names.
    x_column, y_column
        Names given in the scenario (matched exactly, then as :func:`header_key`); both or
        neither.
    projected
        The layer's ``crs`` is projected: x/y columns are preferred over lon/lat ones.

    Returns
    -------
    (str, str, bool) or None
        The x (longitude/easting) column, the y column, and whether they were found by a
        lon/lat name; ``None`` when the table has no pair of coordinate columns (or a given
        name is not a column).
    """
    if x_column or y_column:
        found = [find_column(columns, (n,)) if n else None for n in (x_column, y_column)]
        if found[0] is None or found[1] is None:
            return None
        return found[0], found[1], False
    lonlat = (find_column(columns, LON_NAMES), find_column(columns, LAT_NAMES))
    xy = (find_column(columns, X_NAMES), find_column(columns, Y_NAMES))
    order = [(xy, False), (lonlat, True)] if projected else [(lonlat, True), (xy, False)]
    for (x, y), is_lonlat in order:
        if x is not None and y is not None:
            return x, y, is_lonlat
    return None


# --------------------------------------------------------------------------- cells
def parse_coordinate(value: object) -> float | None:
    """A coordinate cell as a float, or ``None`` when it is not one.

    Accepts numbers, numbers stored as text (full-width digits too), and degrees written as
    ``113°22′48″``, ``113度22分48秒``, ``113.38°``, with an optional ``E``/``N`` or
    ``东经``/``北纬`` before or after. Booleans and dates are not coordinates.
    """
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if not isinstance(value, str):
        return None
    text = number_text(_HEMISPHERE.sub("", unicodedata.normalize("NFKC", value).strip()))
    if _NUMBER.match(text):
        v = float(text)
        return v if math.isfinite(v) else None
    m = _DMS.match(text)
    if m is None:
        return None
    d, mi, s = (float(m.group(k) or 0.0) for k in ("d", "m", "s"))
    if mi >= 60 or s >= 60:
        return None
    return d + mi / 60.0 + s / 3600.0


def number_text(text: str) -> str:
    """A number typed as text, as Python reads numbers.

    Full-width digits, signs and commas become ASCII (NFKC: ``１，２００`` is ``1,200``),
    surrounding spaces go, and commas are dropped when they group the digits by three
    (``1,200``, ``440,228.5``). Any other comma is kept, so a decimal comma (``113,38``,
    ``12,5``) stays text that is not a number, and the cell is refused rather than read as
    11338 or 125.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    return text.replace(",", "") if _GROUPED.match(text) else text


def _shown(v: object) -> str:
    text = str(v)
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --------------------------------------------------------------------------- workbooks
def _sheet_name(path: Path, spec: LayerSpec | NetworkSpec, what: str = "input") -> str:
    with open_workbook(path, what) as book:
        return pick_sheet(book, path, spec, what)[0]


def read_sheet(
    path: str | Path,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    x_column: str | None = None,
    y_column: str | None = None,
    crs: str | None = None,
    what: str = "input",
) -> gpd.GeoDataFrame:
    """Read one sheet of an Excel workbook as points.

    Parameters
    ----------
    path
        The ``.xlsx``/``.xlsm`` or ``.xls`` file (read by python-calamine).
    sheet
        Sheet name; default the first sheet Excel shows, hidden ones skipped (a warning names
        the others when there are several).
    header_row
        Row holding the column names, as Excel numbers rows (rows above it, e.g. a title,
        are skipped).
    x_column, y_column
        Coordinate columns; default found by name (:func:`coordinate_columns`).
    crs
        CRS of the coordinates as the scenario gives it (``EPSG:4547``, ``GCJ-02`` ...).
        Default: WGS84 for lon/lat columns; none for x/y columns (the caller then asks the
        user for one).
    what
        The scenario section, for messages (``"demand"`` ...).

    Returns
    -------
    geopandas.GeoDataFrame
        One point per data row in sheet order, every column kept (cells as Excel holds
        them: numbers, text), in ``crs`` (``attrs["siting_crs_from_spec"]`` is set: the CRS
        comes from the scenario, not the file).

    Raises
    ------
    ScenarioError
        The file or sheet cannot be read.
    InputDataError
        No coordinate columns, column names in two rows, an empty row between data rows, or
        a coordinate cell that is empty or not a number; the message gives the sheet,
        Excel's row number and the column.
    """
    spec = LayerSpec(path=Path(path), crs=crs, sheet=sheet, header_row=header_row,
                     x_column=x_column, y_column=y_column)
    return _read(Path(path), spec, what)


def read_sheet_layer(spec: LayerSpec | NetworkSpec, what: str) -> gpd.GeoDataFrame:
    """:func:`read_sheet` with the options of a scenario's layer section (used by
    :func:`siting.layers.read_layer`)."""
    return _read(Path(str(spec.path)), spec, what)


def _read(path: Path, spec: LayerSpec | NetworkSpec, what: str) -> gpd.GeoDataFrame:
    crs = None
    if spec.crs is not None:
        parsed = parse_crs(spec.crs, where=f"{path}: [{what}] crs")
        crs = WGS84 if is_shift(parsed) else parsed
    projected = crs is not None and CRS.from_user_input(crs).is_projected
    with open_workbook(path, what) as book:
        source, df, names, layout, merged = _sheet_table(book, path, spec, what)
        cols = coordinate_columns(list(df.columns), x_column=getattr(spec, "x_column", None),
                                  y_column=getattr(spec, "y_column", None), projected=projected)
        if cols is None:
            raise InputDataError(_no_coordinates(book, source, spec, what, list(df.columns)))
    x_col, y_col, is_lonlat = cols
    if projected and is_lonlat:
        msg = (f"{source}: columns '{x_col}'/'{y_col}' hold longitude/latitude (degrees) but "
               f"crs = \"{spec.crs}\" in [{what}] is a projected CRS (metres); remove crs, or "
               "name the coordinate columns with x_column/y_column")
        raise InputDataError(msg)
    if len(df) == 0:
        msg = (f"{source}: no data rows below the column names in row {source.header_row}; "
               f"fill in the sheet, or point [{what}] to another sheet (sheet = ...)")
        raise InputDataError(msg)
    def used(name: str) -> bool:
        return name in (x_col, y_col) or header_key(name) in _READ_NAMES

    warn_hidden(source, layout, len(df), names, used)
    if what == "demand":  # the fleet's 车辆数 (数量 in another layer is not read as one)
        refuse_merged_counts(source, merged, names,
                             lambda name: header_key(name) in _COUNT_NAMES)
    refuse_merged_ids(source, merged, names, lambda name: header_key(name) in _ID_NAMES)
    warn_merged(source, merged, names, used)
    warn_across(source, layout, len(df), names, used)
    empty = df.map(is_blank).to_numpy(dtype=bool)
    if empty.any():  # a formula without a saved result reads as an empty cell
        refuse_unsaved_formulas(source, len(df), layout.xml)
    _refuse_blank_rows(empty, source)
    x = _coordinates(df, x_col, source, "longitude" if is_lonlat else "x")
    y = _coordinates(df, y_col, source, "latitude" if is_lonlat else "y")
    if projected and not is_lonlat:
        x, y = _surveyors_xy(x, y, x_col, y_col, source)
    if crs is None and is_lonlat:
        crs = WGS84
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=crs)
    gdf.attrs["siting_crs_from_spec"] = True
    return gdf


def _sheet_table(book: pd.ExcelFile, path: Path, spec: LayerSpec | NetworkSpec, what: str,
                 ) -> tuple[SheetSource, pd.DataFrame, list[str], SheetLayout, list[Merge]]:
    """The chosen sheet's table (:func:`_tidy`, merged cells over data rows filled down), the
    names in its header row from column A, its layout (hidden rows, merged cells) and the
    merged ranges filled down; a two-level header is refused."""
    sheet, _ = pick_sheet(book, path, spec, what, warn=True)
    source = SheetSource(path, sheet, int(getattr(spec, "header_row", 1)))
    layout = read_layout(path, sheet)
    raw = read_cells(book, sheet, source.header_row - 1)
    first = raw.iloc[0].tolist() if len(raw) else []
    rows = two_level_rows(layout, source.header_row, list(raw.columns), first, parse_coordinate)
    if rows is not None:  # a merged group title over 编号 | 类型 | 数量 ...
        head = read_cells(book, sheet, None, rows[1])
        raise InputDataError(two_level_message(source, layout, head, rows, what))
    cells = raw.map(lambda v: (None if v.strip() == "" else v.strip())
                    if isinstance(v, str) else v)
    cells, merged = fill_merged(cells, layout, source.header_row)
    return source, _tidy(cells), [str(c).strip() for c in raw.columns], layout, merged


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Headers as text, empty unnamed columns dropped, empty rows after the last one dropped
    (``df``: text cells stripped, blank -> None)."""
    names = [str(c).strip() for c in df.columns]
    df.columns = pd.Index(names, dtype=object)
    keep = [not (n.startswith("Unnamed:") and df.iloc[:, i].map(is_blank).all())
            for i, n in enumerate(names)]
    df = df.loc[:, keep]
    # pandas trims trailing empty rows of .xlsx but not always of .xls
    filled = ~df.map(is_blank).all(axis=1).to_numpy()
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return df.iloc[:last].reset_index(drop=True)


def _refuse_blank_rows(empty: np.ndarray, source: SheetSource) -> None:
    """Refuse a row whose every cell is empty (``empty``: per cell) above rows with data."""
    blank = np.flatnonzero(empty.all(axis=1))
    if blank.size:
        n = row_number(source, int(blank[0]))
        more = f" ({blank.size} empty rows)" if blank.size > 1 else ""
        msg = (f"{source}: row {n} is empty but rows below it hold data{more}; delete the "
               "empty row(s) (siting numbers rows as Excel does, so they cannot be skipped)")
        raise InputDataError(msg)


def _coordinates(df: pd.DataFrame, col: str, source: SheetSource, kind: str) -> np.ndarray:
    values = df[col].tolist()
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if is_blank(v):
            why, fix = merged_note(source, i, col) or ("", f"fill in the {kind} or delete "
                                                           "the row")
            msg = (f"{source}: row {row_number(source, i)}: column '{col}' is empty"
                   f"{f' ({why})' if why else ''}; {fix}")
            raise InputDataError(msg)
        parsed = parse_coordinate(v)
        if parsed is None:
            example = ("decimal degrees such as 113.38, or 113°22′48″" if kind in (
                "longitude", "latitude") else "metres, such as 440228.2")
            fix = f"give a number ({example})"
            if i == 0 and len(values) > 1 and parse_coordinate(values[1]) is not None:
                fix = ("if it is a row of units under the column names, delete that row; "
                       f"otherwise {fix}")
            msg = (f"{source}: row {row_number(source, i)}: column '{col}' has {_shown(v)}, "
                   f"not a {kind}; {fix}")
            raise InputDataError(msg)
        out[i] = parsed
    return out


def _looks_northing(v: np.ndarray) -> bool:
    return bool(((v > 1.0e6) & (v < 7.0e6)).all())


def _looks_easting(v: np.ndarray) -> bool:
    plain = (v > 1.0e5) & (v < 9.0e5)
    zoned = (v > 1.3e7) & (v < 4.6e7)  # with the zone number in front (e.g. 38 440228)
    return bool((plain | zoned).all())


def _surveyors_xy(x: np.ndarray, y: np.ndarray, x_col: str, y_col: str,
                  source: SheetSource) -> tuple[np.ndarray, np.ndarray]:
    """Swap x and y when x holds northings and y eastings (Chinese surveying convention)."""
    if _looks_northing(x) and _looks_easting(y) and not (_looks_easting(x)
                                                         and _looks_northing(y)):
        logger.warning("%s: column '%s' holds northings and '%s' eastings (the surveying "
                       "convention X = north); using '%s' as easting and '%s' as northing",
                       source, x_col, y_col, y_col, x_col)
        return y, x
    return x, y


def _sheet_with_coordinates(book: pd.ExcelFile, sheets: list[str],
                            header_row: int) -> str | None:
    """The first of ``sheets`` whose column names (in ``header_row``) hold coordinates."""
    for name in sheets:
        cols = read_cells(book, name, header_row - 1, 0).columns
        if coordinate_columns(list(cols)) is not None:
            return name
    return None


def _no_coordinates(book: pd.ExcelFile, source: SheetSource, spec: LayerSpec | NetworkSpec,
                    what: str, columns: list[object]) -> str:
    """The message for a sheet without coordinate columns, naming a sheet that has them when
    none was chosen (a workbook whose first sheet is a description, 说明)."""
    head = read_cells(book, source.sheet, None, source.header_row + 10)
    msg = _why_no_coordinates(source, spec, what, columns, head)
    if wanted_sheet(spec, what) is None:
        hidden = hidden_sheets(book)
        others = [str(n) for n in book.sheet_names if n != source.sheet]
        shown = _sheet_with_coordinates(book, [n for n in others if n not in hidden],
                                        source.header_row)
        if shown is not None:
            msg += f"; sheet '{shown}' has them: set sheet = \"{shown}\" in [{what}]"
        else:  # a sheet Excel hides (an old copy?) is named as such
            kept = _sheet_with_coordinates(book, [n for n in others if n in hidden],
                                           source.header_row)
            if kept is not None:
                msg += (f"; sheet '{kept}', hidden in Excel, has them: unhide it and set "
                        f"sheet = \"{kept}\" in [{what}] if it is the one to read")
    return msg


def _why_no_coordinates(source: SheetSource, spec: LayerSpec | NetworkSpec, what: str,
                        columns: list[object], head: pd.DataFrame) -> str:
    shown = [str(c) for c in columns]
    given = [n for n in (getattr(spec, "x_column", None), getattr(spec, "y_column", None)) if n]
    if given:
        missing = [n for n in given if find_column(columns, (n,)) is None]
        name = missing[0] if missing else given[0]
        return (f"{source}: no column '{name}'{suggest(name, shown)} (x_column/y_column in "
                f"[{what}]); columns in row {source.header_row} are {shown}; fix the name")
    # the column names may sit lower (a title row above them)
    for r in range(source.header_row, len(head)):
        cells = [c for c in head.iloc[r].tolist() if not is_blank(c)]
        if coordinate_columns(cells) is not None:
            return (f"{source}: no coordinate columns in row {source.header_row}, but row "
                    f"{r + 1} holds column names; set header_row = {r + 1} in [{what}]")
    return (f"{source}: no coordinate columns; columns in row {source.header_row} are "
            f"{shown}; name them 经度/纬度 (lon/lat, degrees) or X/Y (metres, with crs = "
            f"\"EPSG:...\"), or set x_column and y_column in [{what}]")


__all__ = [
    "COLUMN_ALIASES", "LAT_NAMES", "LON_NAMES", "OPTIONAL_COLUMNS", "SPREADSHEET_SUFFIXES",
    "TABLE_SUFFIXES", "X_NAMES", "Y_NAMES", "SheetSource", "alias_hint", "apply_aliases",
    "coordinate_columns", "find_column", "header_key", "is_spreadsheet", "number_text",
    "parse_coordinate",
    "read_sheet", "read_sheet_layer", "row_number", "sheet_names", "source_of",
]
