"""A layer's columns: found by name (any letter case), checked by kind, ids unique.

:func:`match_columns` finds the columns a layer needs (a missing one gets a "did you mean"
suggestion) and renames case variants; :func:`check_column` converts a column to float64,
int64 or str and refuses empty, non-numeric, infinite or negative values with one line naming
the record; :func:`check_unique` refuses duplicate ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from siting import tables
from siting._errors import InputDataError, echo
from siting.layers.records import (
    RowIds,
    cell_text,
    feature_label,
    is_table,
    num,
    show,
    where,
)
from siting.scenario import suggest
from siting.sheet_merged import merged_note

logger = logging.getLogger(__name__)

ColumnKind = Literal["number", "int", "text"]


def find_column(gdf: pd.DataFrame, name: str) -> str | None:
    """The column called ``name``, else the one column that differs only in letter case."""
    if name in gdf.columns:
        return name
    lower = [c for c in gdf.columns if str(c).lower() == name.lower()]
    return lower[0] if len(lower) == 1 else None


def match_columns(gdf: gpd.GeoDataFrame, path: Path, what: str, checks: Mapping[str, str],
                  id_column: str | None) -> gpd.GeoDataFrame:
    """``gdf`` with the columns of ``checks`` (and ``id_column``) named as asked.

    A column that differs only in letter case is renamed; a missing one is an
    :class:`~siting._errors.InputDataError` with a "did you mean" suggestion.
    """
    wanted = list(checks)
    if id_column is not None and id_column not in wanted:
        wanted.append(id_column)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    renames = {}
    for col in wanted:
        found = find_column(gdf, col)
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


def check_column(s: pd.Series, kind: str, path: Path, what: str, col: str,
                 ids: RowIds | None) -> pd.Series:
    """Column ``s`` checked as ``kind`` and converted: ``"text"`` (non-empty, str),
    ``"number"`` (finite, >= 0, float64) or ``"int"`` (also whole, int64).

    The first bad value is an :class:`~siting._errors.InputDataError` naming its record
    (``col`` is the column's name as the file spells it).
    """
    if kind == "text":
        missing = np.flatnonzero(s.isna().to_numpy())
        if missing.size == 0:
            text = s.map(cell_text)
            missing = np.flatnonzero((text.str.strip() == "").to_numpy())
        if missing.size:
            why, fix = _empty(path, int(missing[0]), col)
            msg = (f"{where(path, missing[0], ids)}: column '{col}' is empty{why}; {fix} "
                   f"(the {what} layer needs it)")
            raise InputDataError(msg)
        return s.map(cell_text).astype(str)
    if kind not in ("number", "int"):
        msg = f"unknown column kind {kind!r} for '{col}'; use 'number', 'int' or 'text'"
        raise ValueError(msg)
    if pd.api.types.is_bool_dtype(s):
        msg = (f"{path}: column '{col}' of the {what} layer holds true/false values, not "
               "numbers; give numbers")
        raise InputDataError(msg)
    values, truth = to_numbers(s)
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    was_missing = s.isna().to_numpy()
    why, fix = _empty(path, int(np.argmax(was_missing)), col) if was_missing.any() else ("", "")
    checks: list[tuple[np.ndarray, Callable[[int], str], str]] = [
        (was_missing, lambda i: f"is empty{why or ' (NaN)'}", fix),
        (truth, lambda i: f"has {truth_text(s.iloc[i])}, not a number", "give a number"),
        (np.isnan(arr) & ~was_missing & ~truth,
         lambda i: f"has {show(s.iloc[i])}, not a number", "give a number"),
        (np.isinf(arr), lambda i: f"is {arr[i]}", "give a finite number"),
        (arr < 0, lambda i: f"is negative ({num(float(arr[i]))})", "give a value >= 0"),
    ]
    if kind == "int":
        frac = np.isfinite(arr) & (np.abs(arr - np.round(arr)) > 1e-9)
        checks.append((frac, lambda i: f"is {num(float(arr[i]))}, not a whole number",
                       "give a whole number"))
    for mask, describe, fix in checks:
        bad = np.flatnonzero(mask)
        if bad.size:
            i = int(bad[0])
            more = f" ({bad.size} rows)" if bad.size > 1 else ""
            msg = f"{where(path, i, ids)}: column '{col}' {describe(i)}{more}; {fix}"
            raise InputDataError(msg)
    if kind == "int":
        return pd.Series(np.round(arr).astype(np.int64), index=s.index, name=s.name)
    return pd.Series(arr, index=s.index, name=s.name)


def _empty(path: Path, index: int, col: str) -> tuple[str, str]:
    """Why the cell of row ``index`` in column ``col`` is empty (``" (cell D5 is part of merged
    cell C5:D5 ...)"``, or ``""``) and the fix, for the "is empty" messages."""
    note = merged_note(path, index, col) if isinstance(path, tables.SheetSource) else None
    return (f" ({note[0]})", note[1]) if note else ("", "fill it in")


def to_numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The cells of ``s`` as numbers (NaN where a cell is not one) and which cells are
    true/false.

    Text is read as :func:`siting.tables.number_text` reads it (full-width digits, ``1,200``);
    a true/false cell (Excel's TRUE) is not a number: pandas would read it as 1 or 0.
    """
    if s.dtype != object and not pd.api.types.is_string_dtype(s):  # pandas 3: str columns
        return pd.to_numeric(s, errors="coerce"), np.zeros(len(s), dtype=bool)
    truth = s.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    cells = s.map(lambda v: tables.number_text(v) if isinstance(v, str)
                  else None if isinstance(v, (bool, np.bool_)) else v)
    return pd.to_numeric(cells, errors="coerce"), truth


def truth_text(v: object) -> str:
    """A true/false cell as a message shows it: ``TRUE (true/false)``, as Excel writes it."""
    return f"{'TRUE' if v else 'FALSE'} (true/false)"


def check_unique(s: pd.Series, raw: pd.Series, path: Path, what: str, col: str) -> None:
    """Refuse duplicate ids (``s``, normalised by :func:`id_text`), naming both records.

    ``raw`` holds the ids as read; when the two spellings differ (``1`` and ``1.0``) both are
    shown, since they only count as one id after normalising.
    """
    dup = s.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((s == s.iloc[i]).to_numpy())[0])
        a, b = cell_text(raw.iloc[first]), cell_text(raw.iloc[i])
        same = "" if a.strip() == b.strip() else (
            f"; {echo(b)} and {echo(a)} are the same id")
        word = "row" if is_table(path) else "feature"
        msg = (f"{feature_label(path, i, s.iloc[i], col)}: duplicate {col} (also {word} "
               f"{tables.row_number(path, first)}){same}; give every {word} of the {what} "
               f"layer its own {col}")
        raise InputDataError(msg)

