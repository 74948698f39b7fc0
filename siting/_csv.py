"""The one CSV writer: spreadsheet-safe text cells, proper quoting, UTF-8 with BOM.

Every CSV the project writes goes through :func:`write_csv` (or :func:`csv_text`):

* cells are quoted when they hold a comma, a quote, a line feed **or a carriage return**
  (rows end in CRLF, RFC 4180), so a name with a line break stays one cell;
* a text cell that a spreadsheet would read as a formula — starting, after optional spaces,
  with ``=``, ``+``, ``-``, ``@`` or their full-width forms ``＝ ＋ － ＠``, or starting with a
  tab or a carriage return — gets a leading apostrophe, which Excel and WPS show as text
  (OWASP's "CSV injection" advice). Numbers are written as numbers;
* the file is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly, and it is
  written atomically.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siting._atomic import atomic_write_bytes

__all__ = ["FORMULA_START", "cell", "csv_text", "neutralise", "write_csv"]

#: Characters that make a spreadsheet read a cell as a formula (after optional spaces).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
#: Characters that are dangerous as the very first character of a cell.
_CONTROL_START: tuple[str, ...] = ("\t", "\r", "\n")


def neutralise(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    if text.startswith(_CONTROL_START) or text.lstrip(" \u3000").startswith(FORMULA_START):
        return "'" + text
    return text


def cell(value: Any) -> str:
    """One value as CSV cell text: numbers as numbers, missing as empty, text neutralised.

    Integral floats are written without ``.0`` (a year 2025.0 is ``2025``); other floats in
    their shortest exact form; booleans as ``true``/``false`` unless the caller maps them.
    """
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return neutralise(str(value))


def csv_text(rows: Iterable[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    """CSV text of ``rows`` (each cell through :func:`cell`), CRLF line ends, minimal quoting."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if header is not None:
        w.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        w.writerow([cell(v) for v in row])
    return buf.getvalue()


def frame_csv_text(df: pd.DataFrame) -> str:
    """CSV text of a data frame: its columns as the header, one row per record, no index."""
    return csv_text(df.itertuples(index=False, name=None), header=[str(c) for c in df.columns])


def write_csv(path: str | os.PathLike[str], data: pd.DataFrame | Iterable[Sequence[Any]],
              header: Sequence[str] | None = None, *, bom: bool = True) -> Path:
    """Write a CSV file atomically, spreadsheet-safe (see the module notes).

    Parameters
    ----------
    path
        The ``.csv`` file; its folder must exist.
    data
        A data frame (its columns are the header) or rows of values.
    header
        Column names when ``data`` is rows.
    bom
        Start with the UTF-8 byte-order mark (Excel needs it for Chinese text).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    text = frame_csv_text(data) if isinstance(data, pd.DataFrame) else csv_text(data, header)
    return atomic_write_bytes(path, text.encode("utf-8-sig" if bom else "utf-8"))
