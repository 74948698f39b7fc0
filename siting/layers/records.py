"""How messages name a layer's records, and its cells as text.

:func:`feature_label` names one record (``"fleet.gpkg: feature 5 (fleet_id 'SAN005')"``; a
*row* of a CSV table or a sheet, a *feature* of a GIS layer); :func:`id_text` reads an id
cell the same whichever way the file stores it. The short helpers below turn cells and
numbers into text for one-line messages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting import tables
from siting._errors import echo

TABLE_SUFFIXES = (".csv", ".txt")


@dataclass(frozen=True)
class RowIds:
    """The id of every feature (as text, in file order) and the column holding them."""

    column: str
    values: list[str]


def row_ids(gdf: pd.DataFrame, id_column: str | None) -> RowIds | None:
    """The ids of ``gdf``'s records (None: no id column, or not in the frame)."""
    if id_column is None or id_column not in gdf.columns:
        return None
    return RowIds(id_column, [id_text(v) for v in gdf[id_column]])


def is_table(path: str | Path) -> bool:
    """True for a plain table (CSV or a spreadsheet's sheet): its records are *rows*; a GIS
    layer's are *features*."""
    if isinstance(path, tables.SheetSource):
        return True
    return Path(str(path)).suffix.lower() in TABLE_SUFFIXES


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


def where(path: Path, row: int, ids: RowIds | None) -> str:
    """:func:`feature_label` of the 0-based position ``row``, with its id when known."""
    if ids is None:
        return feature_label(path, row)
    return feature_label(path, row, ids.values[row], ids.column)


def cell_text(v: Any) -> str:
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
    text = cell_text(v).strip()
    m = _INTEGRAL_TEXT.match(text)
    return m.group(1) if m else text


def show(v: Any) -> str:
    """A cell's value for a message, quoted and clipped (``None`` -> ``nothing``)."""
    return echo(cell_text(v)) if v is not None else "nothing"


def num(x: float) -> str:
    """A number for a message: short, and never hundreds of digits (``1e+300``)."""
    if not math.isfinite(x) or abs(x) >= 1e15:
        return f"{x:.6g}"
    return f"{x:.6g}" if abs(x) < 1e5 else f"{x:.1f}"


def one_line(e: BaseException) -> str:
    """An exception's text on one line (its type's name when it has no text)."""
    return " ".join(str(e).split()) or type(e).__name__

