"""Merged cells among a sheet's data rows, read as Excel shows them.

Registers merge a cell down over a block of rows: one 车辆类别, 所属单位 or 片区 for several
vehicles, one 经度 for a depot's rows. pandas reads the value in the range's first row only
and leaves the other rows empty, while Excel shows it on every row: :func:`fill_merged`
copies it down over the range, and :func:`warn_merged` says so in one line naming the ranges.
A count (车辆数) merged over rows is refused (:func:`refuse_merged_counts`): it may be the
rows' total rather than each row's, and copying a total would multiply it. So is an id (编号)
merged over rows (:func:`refuse_merged_ids`): copied down it would be a duplicate id.

A range across columns keeps its value in its first column, as Excel stores it (the top-left
cell holds the value, the others are empty): the other columns stay empty, and when one of
them is a cell siting needs, :func:`merged_note` names the range in the "is empty" message,
with the fix. The merged ranges come from :func:`siting.sheet_layout.read_layout` (the
sheet's XML, or xlrd for an ``.xls``): filling 12,500 ranges of a 50,000-row sheet takes a
few milliseconds.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl.utils.cell import get_column_letter

from siting._errors import InputDataError, SitingError, clip
from siting.sheet_layout import Merge, SheetLayout, first_few, merge_ref, read_layout
from siting.workbook import open_workbook, read_cells

if TYPE_CHECKING:
    from siting.tables import SheetSource

__all__ = ["fill_merged", "merged_note", "refuse_merged_counts", "refuse_merged_ids",
           "warn_across", "warn_merged"]

logger = logging.getLogger(__name__)


def fill_merged(cells: pd.DataFrame, layout: SheetLayout, header_row: int,
                ) -> tuple[pd.DataFrame, list[Merge]]:
    """Copy the value of each merged range that spans several data rows to every row of it.

    Parameters
    ----------
    cells
        The sheet's rows below the header row, from column A, blank cells as None (changed
        in place).
    layout
        The sheet's merged ranges.
    header_row
        The row of the column names (as Excel numbers rows): ranges starting in it or above
        are header cells, not data (:func:`siting.sheet_layout.two_level_rows`).

    Returns
    -------
    (pandas.DataFrame, list)
        ``cells``, and the ranges whose value was copied. The value goes down the range's
        first column only (the other columns it covers stay as they are), and a range that
        runs past the last row holding any value stops there: it adds no rows.
    """
    first = header_row + 1
    columns: defaultdict[int, list[Merge]] = defaultdict(list)
    for m in layout.merged:
        if m[0] >= first and m[2] > m[0] and m[1] <= cells.shape[1]:
            columns[m[1]].append(m)
    if not columns:
        return cells, []
    rows = np.flatnonzero(cells.notna().to_numpy().any(axis=1))
    end = int(rows[-1]) if rows.size else -1  # the last row holding a value (0-based)
    filled: list[Merge] = []
    for col, ranges in sorted(columns.items()):
        values = cells.iloc[:, col - 1].to_numpy(dtype=object)
        source = np.arange(len(values))  # the row each cell takes its value from
        for m in ranges:
            top, last = m[0] - first, min(m[2] - first, end)
            if top < last and not pd.isna(values[top]):
                source[top + 1:last + 1] = top
                filled.append(m)
        cells.isetitem(col - 1, values[source])
    return cells, sorted(filled)


def refuse_merged_counts(source: SheetSource, filled: Sequence[Merge], columns: Sequence[str],
                         is_count: Callable[[str], bool]) -> None:
    """Refuse a merged cell spanning several rows of a count column (车辆数): its value may
    be each row's or the rows' total, and copying it down would multiply a total by the
    number of rows, so siting does not guess.

    ``columns`` are the names in the header row from column A; ``is_count`` tells whether a
    column holds counts that add up over rows."""
    _refuse(source, filled, columns, is_count,
            "and siting cannot tell whether its value is each row's count or the rows' "
            "total; unmerge it and give each row its own count")


def refuse_merged_ids(source: SheetSource, filled: Sequence[Merge], columns: Sequence[str],
                      is_id: Callable[[str], bool]) -> None:
    """Refuse a merged cell spanning several rows of an id column (编号): copied down, every
    row of the range would carry the same id, which the layer refuses as a duplicate without
    saying why. ``columns`` and ``filled`` as for :func:`refuse_merged_counts`."""
    _refuse(source, filled, columns, is_id,
            "so every row it spans would have the same id; unmerge it and give each row its "
            "own id")


def _refuse(source: SheetSource, filled: Sequence[Merge], columns: Sequence[str],
            hit: Callable[[str], bool], why: str) -> None:
    """Raise for the first range of ``filled`` in a column that ``hit`` names."""
    hits = [m for m in filled if m[1] <= len(columns) and hit(columns[m[1] - 1])]
    if not hits:
        return
    m = hits[0]
    more = f" (and {len(hits) - 1} more such cells)" if len(hits) > 1 else ""
    msg = (f"{source}: column '{clip(columns[m[1] - 1])}': merged cell {merge_ref(m)} spans "
           f"rows {m[0]}-{m[2]}{more}, {why}")
    raise InputDataError(msg)


def warn_across(source: SheetSource, layout: SheetLayout, n_rows: int,
                columns: Sequence[str], used: Callable[[str], bool]) -> None:
    """Say in one line which cells of columns siting reads are covered by a merged cell
    across columns, so read as empty: Excel keeps the value in the merged cell's first column.

    An empty cell a column needs is refused anyway (naming the merge, :func:`merged_note`);
    this line is for optional columns (造价系数 ...), whose empty cell takes the default.
    ``n_rows`` data rows follow the header row; ``columns`` are the header row's names from
    column A; ``used`` tells whether siting reads a column."""
    first, last = source.header_row + 1, source.header_row + n_rows
    hits = [(m, c) for m in layout.merged if m[3] > m[1] and m[2] >= first and m[0] <= last
            for c in range(m[1] + 1, min(m[3], len(columns)) + 1) if used(columns[c - 1])]
    if not hits:
        return
    refs = list(dict.fromkeys(merge_ref(m) for m, _ in hits))
    cols = list(dict.fromkeys(f"'{clip(columns[c - 1])}'" for _, c in hits))
    logger.warning("%s: %s %s %s across columns, so %s %s read as empty (Excel keeps a merged "
                   "cell's value in its first column) and an optional column takes its "
                   "default there; unmerge and fill in each column", source,
                   "merged cell" if len(refs) == 1 else f"{len(refs)} merged cells",
                   first_few(refs), "spans" if len(refs) == 1 else "span",
                   "column" if len(cols) == 1 else "columns", first_few(cols)
                   + (" is" if len(cols) == 1 else " are"))


def warn_merged(source: SheetSource, filled: Sequence[Merge], columns: Sequence[str],
                used: Callable[[str], bool]) -> None:
    """Say in one line that the value of each merged range (``filled``, of
    :func:`fill_merged`) in a column siting reads was used for every row the range spans.

    ``columns`` are the names in the header row from column A; ``used`` tells whether siting
    reads a column of that name (merged cells in a 备注 column are not named)."""
    named = [m for m in filled if m[1] <= len(columns) and used(columns[m[1] - 1])]
    if not named:
        return
    cols = list(dict.fromkeys(f"'{clip(columns[m[1] - 1])}'" for m in named))
    refs = [merge_ref(m) for m in named]
    cells = (f"merged cell {refs[0]} spans" if len(refs) == 1 else
             f"{len(refs)} merged cells ({first_few(refs)}) span")
    logger.warning("%s: %s several rows in %s %s; siting used the value of each merged cell "
                   "for every row it spans, as Excel shows it; if that is not what a row "
                   "means, unmerge the cell and give each row its own value",
                   source, cells, "column" if len(cols) == 1 else "columns",
                   " and ".join([", ".join(cols[:-1]), cols[-1]] if len(cols) > 1 else cols))


def merged_note(source: SheetSource, index: int, column: str) -> tuple[str, str] | None:
    """For an empty cell siting needs: why it is empty and the fix, when a merged range
    across columns covers it (its value is in the range's first column), else None.

    Parameters
    ----------
    source
        The sheet.
    index
        The data row's 0-based position (Excel's row ``header_row + 1 + index``).
    column
        The column's name as the header row spells it.

    Returns
    -------
    (str, str) or None
        ``("cell D5 is part of merged cell C5:D5, whose value Excel keeps in C5", "unmerge
        C5:D5 and fill in D5")``. Only error messages call this: it reads the sheet again.
    """
    row = source.header_row + 1 + index
    try:
        hits = [m for m in read_layout(source.path, source.sheet).merged
                if m[0] <= row <= m[2] and m[3] > m[1]]
        if not hits:
            return None
        with open_workbook(source.path, "input") as book:
            names = [str(c).strip() for c in
                     read_cells(book, source.sheet, source.header_row - 1, 0).columns]
    except SitingError:  # the file changed since it was read: keep the plain message
        return None
    keys = [n.casefold() for n in names]
    if column.casefold() not in keys:
        return None
    col = (names.index(column) if column in names else keys.index(column.casefold())) + 1
    for m in hits:
        if m[1] < col <= m[3]:
            cell, top = f"{get_column_letter(col)}{row}", f"{get_column_letter(m[1])}{m[0]}"
            return (f"cell {cell} is part of merged cell {merge_ref(m)}, whose value Excel "
                    f"keeps in {top}", f"unmerge {merge_ref(m)} and fill in {cell}")
    return None
