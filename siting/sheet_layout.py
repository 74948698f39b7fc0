"""What Excel shows a planner but pandas does not tell: hidden rows, columns and sheets, and
column names that take two rows (merged header cells).

pandas reads every row and column of a sheet, hidden or not, and a merged cell as its first
cell. In Excel, hiding rows (by hand, with a filter or a collapsed group) is how many planners
leave vehicles out, so reading them without a word changes the plan: :func:`warn_hidden` says
which rows are hidden and that siting counts them. A header of two rows (a merged group title
such as 车辆信息 over 车牌号 | 类型 | 数量) gives columns named ``Unnamed: 3``:
:func:`two_level_rows` finds it, :func:`two_level_message` names the fix.

Everything comes from the sheet's XML part (``.xlsx``/``.xlsm``: one read of the part and a
few regular expressions, about 0.2 s for a 50,000-row sheet), or for an ``.xls`` from xlrd's
reading of the sheet's records (``formatting_info=True``: about 1 s for 50,000 rows).
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import pandas as pd
from openpyxl.utils.cell import get_column_letter, range_boundaries

from siting._cells import is_blank
from siting._errors import clip

if TYPE_CHECKING:
    from siting.tables import SheetSource

__all__ = ["Merge", "SheetLayout", "first_few", "hidden_sheets", "merge_ref", "read_layout",
           "two_level_message", "two_level_rows", "warn_hidden", "worksheet_xml"]

logger = logging.getLogger(__name__)

#: A row or column (``<col min max>``) Excel hides: by hand, by a filter or a collapsed group.
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\s[^>]*?\bhidden="(?:1|true)"[^>]*>')
_HIDDEN_COL = re.compile(rb'<(?:\w+:)?col\s[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ATTR = re.compile(rb'\b(r|min|max)="(\d+)"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?\bref="([A-Z]+\d+:[A-Z]+\d+)"')
_SHOWN = 3  # row runs / cells named in a message before "..."

#: A merged range: first row, first column, last row, last column (1-based, A = 1).
Merge = tuple[int, int, int, int]


@dataclass(frozen=True)
class SheetLayout:
    """What a sheet says beyond its values (empty when its XML or records cannot be read).

    Rows are numbered as Excel numbers them, columns from 1 (A).
    """

    hidden_rows: tuple[int, ...] = ()
    hidden_columns: tuple[int, ...] = ()
    merged: tuple[Merge, ...] = ()
    xml: bytes | None = field(default=None, repr=False)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _targets(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """``{relationship id or type: part path}`` of the relationships of ``part``."""
    folder, name = posixpath.split(part)
    rels = ElementTree.fromstring(z.read(posixpath.join(folder, "_rels", name + ".rels")))
    out: dict[str, str] = {}
    for rel in rels:
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out[rel.get("Id", "")] = path
        out.setdefault(rel.get("Type", "").rsplit("/", 1)[-1], path)
    return out


def worksheet_xml(path: Path, sheet: str) -> bytes | None:
    """The XML of sheet ``sheet`` of an ``.xlsx``/``.xlsm`` workbook; None when it cannot be
    found (an ``.xls``, a damaged file): only a better message is lost then."""
    try:
        with zipfile.ZipFile(path) as z:
            book = _targets(z, "")["officeDocument"]
            parts = _targets(z, book)
            for el in ElementTree.fromstring(z.read(book)).iter():
                if _local(el.tag) == "sheet" and el.get("name") == sheet:
                    rid = next(v for k, v in el.attrib.items() if _local(k) == "id")
                    return z.read(parts[rid])
    except (OSError, KeyError, StopIteration, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    return None


def _xls_layout(path: Path, sheet: str) -> SheetLayout:
    """Hidden rows and columns and merged ranges of one sheet of an ``.xls`` (xlrd); empty
    when xlrd cannot read them: only warnings are lost, python-calamine has read the values."""
    import xlrd  # a dependency; open_workbook has checked it is installed

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True,
                                  logfile=io.StringIO())  # xlrd prints notes on stdout
        try:
            ws = book.sheet_by_name(sheet)
        finally:
            book.release_resources()
    except Exception:  # xlrd raises many types for files it does not fully understand
        return SheetLayout()
    return SheetLayout(
        tuple(sorted(r + 1 for r, info in ws.rowinfo_map.items() if info.hidden)),
        tuple(sorted(c + 1 for c, info in ws.colinfo_map.items() if info.hidden)),
        tuple((r1 + 1, c1 + 1, r2, c2) for r1, r2, c1, c2 in ws.merged_cells))


def read_layout(path: Path, sheet: str) -> SheetLayout:
    """Hidden rows and columns and merged ranges of one sheet, from its XML part (an ``.xls``:
    from xlrd)."""
    if path.suffix.lower() == ".xls":
        return _xls_layout(path, sheet)
    xml = worksheet_xml(path, sheet)
    if xml is None:
        return SheetLayout()
    rows: list[int] = []
    cols: list[int] = []
    if b'hidden="' in xml:  # one quick scan first: most sheets hide nothing
        for m in _HIDDEN_ROW.finditer(xml):
            attrs = dict(_ATTR.findall(m.group()))
            if b"r" in attrs:
                rows.append(int(attrs[b"r"]))
        for m in _HIDDEN_COL.finditer(xml):
            attrs = dict(_ATTR.findall(m.group()))
            if b"min" in attrs:
                lo = int(attrs[b"min"])
                cols.extend(range(lo, int(attrs.get(b"max") or lo) + 1))
    merged: list[Merge] = []
    start = xml.find(b"mergeCell")  # the list follows the cells: skip to it
    if start >= 0:
        for m in _MERGE.finditer(xml, start - 10):
            c1, r1, c2, r2 = range_boundaries(m.group(1).decode())
            if c1 and r1 and c2 and r2:  # always, for a ref of two cells
                merged.append((r1, c1, r2, c2))
    return SheetLayout(tuple(rows), tuple(cols), tuple(merged), xml)


def hidden_sheets(book: pd.ExcelFile) -> set[str]:
    """Names of the sheets Excel hides (hidden or "very hidden") in a workbook opened by
    python-calamine (any workbook :func:`siting.workbook.open_workbook` opens)."""
    meta = getattr(book.book, "sheets_metadata", None)
    if meta is None:
        return set()
    from python_calamine import SheetVisibleEnum  # installed: it opened the book

    return {str(m.name) for m in meta if m.visible != SheetVisibleEnum.Visible}


def merge_ref(m: Merge) -> str:
    """A merged range as Excel writes it: ``B2:B5``."""
    return f"{get_column_letter(m[1])}{m[0]}:{get_column_letter(m[3])}{m[2]}"


def first_few(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, c ...`` (the first few of ``items``)."""
    if len(items) > _SHOWN:
        return ", ".join(items[:_SHOWN]) + " ..."
    return " and ".join(items) if len(items) < 3 else f"{items[0]}, {items[1]} and {items[2]}"


# --------------------------------------------------------------------------- hidden rows
def _runs(numbers: Sequence[int]) -> str:
    """``5-7, 12, 20-25 ...``: the first few runs of consecutive numbers."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    shown = [f"{a}-{b}" if b > a else str(a) for a, b in runs[:_SHOWN]]
    return ", ".join(shown) + (" ..." if len(runs) > _SHOWN else "")


def warn_hidden(source: SheetSource, layout: SheetLayout, n_rows: int, columns: Sequence[str],
                used: Callable[[str], bool]) -> None:
    """Warn (one line each) about hidden data rows, and hidden columns that siting reads.

    Parameters
    ----------
    source
        The sheet, for the message (its ``header_row`` places the data rows).
    layout
        The sheet's :func:`read_layout`.
    n_rows
        Number of data rows (Excel rows ``header_row + 1`` to ``header_row + n_rows``).
    columns
        Column names in the header row, in sheet order (column A first).
    used
        Whether siting reads a column of that name.
    """
    first, last = source.header_row + 1, source.header_row + n_rows
    rows = sorted({r for r in layout.hidden_rows if first <= r <= last})
    if rows:
        it = "it" if len(rows) == 1 else "them"
        logger.warning("%s: %s hidden in Excel, but siting reads hidden rows like the others; "
                       "to leave %s out, delete %s; otherwise unhide %s (or clear the filter)",
                       source, f"row {rows[0]} is" if len(rows) == 1 else
                       f"{len(rows)} rows ({_runs(rows)}) are", it, it, it)
    hidden = [f"{get_column_letter(c)} ('{clip(columns[c - 1])}')"
              for c in sorted(set(layout.hidden_columns))
              if c <= len(columns) and used(columns[c - 1])]
    if hidden:
        it, its = ("it", "its name") if len(hidden) == 1 else ("them", "their names")
        logger.warning("%s: %s %s %s hidden in Excel, but siting reads %s by %s; unhide %s "
                       "to check the values, or delete %s if not to be used", source,
                       "column" if len(hidden) == 1 else "columns", ", ".join(hidden),
                       "is" if len(hidden) == 1 else "are", it, its, it, it)


# --------------------------------------------------------------------------- two-level headers
def _unnamed(name: object) -> bool:
    return str(name).startswith("Unnamed:")


def _is_name(value: object, number: Callable[[object], object]) -> bool:
    """A cell that reads as a column name: text that is not a number."""
    return isinstance(value, str) and value.strip() != "" and number(value) is None


def two_level_rows(layout: SheetLayout, header_row: int, columns: Sequence[object],
                   first_row: Sequence[object], number: Callable[[object], object],
                   ) -> tuple[int, int] | None:
    """The first and last row of a two-level header around ``header_row``, or None.

    A header takes two rows when a merged cell spans the header row and a row above or below
    it (``A1:A2`` '经度'), when a merged group title in the header row stands over names in
    the row below (``C1:E1`` '车辆信息' over 编号 | 类型 | 数量), or, without merged cells,
    when the row below the header holds only names, some of them under columns the header
    row leaves unnamed. A merged title over the whole width of the table is not a header.

    Parameters
    ----------
    layout
        The sheet's merged ranges.
    header_row
        The header row set in the scenario (as Excel numbers rows).
    columns, first_row
        The column names pandas read from the header row (``Unnamed: i`` for an empty cell)
        and the cells of the row below it, both from column A.
    number
        Parses a cell as a number (None when it is not one): a cell that parses is data.
    """
    width = [i + 1 for i, c in enumerate(columns) if not _unnamed(c)]
    width += [i + 1 for i, v in enumerate(first_row) if not is_blank(v)]
    if not width:
        return None
    lo, hi = min(width), max(width)

    def names_below(m: Merge) -> bool:
        cells = list(first_row[m[1] - 1:m[3]])
        return bool(cells) and all(_is_name(v, number) for v in cells)

    parts = [m for m in layout.merged if not (m[1] <= lo and m[3] >= hi)]  # not a title
    vertical = [m for m in parts if m[0] < m[2] and m[0] <= header_row <= m[2]]
    group = [m for m in parts if m[0] == m[2] == header_row and m[3] > m[1] and names_below(m)]
    if vertical or group:
        return (min([header_row] + [m[0] for m in vertical]),
                max([header_row + 1 if group else header_row] + [m[2] for m in vertical]))
    filled = [v for v in first_row if not is_blank(v)]
    under_unnamed = any(_unnamed(c) and i < len(first_row) and _is_name(first_row[i], number)
                        for i, c in enumerate(columns))
    if (len(columns) - sum(map(_unnamed, columns)) >= 2 and under_unnamed and len(filled) >= 2
            and all(_is_name(v, number) for v in filled)):
        return header_row, header_row + 1
    return None


def two_level_message(source: SheetSource, layout: SheetLayout, head: pd.DataFrame,
                      rows: tuple[int, int], what: str) -> str:
    """The one-line error for a two-level header (:func:`two_level_rows`).

    ``head`` holds the sheet's first rows as read with no header (row 1 first, column A
    first). The fix: unmerge the merged cells that reach into the lower row, write in it the
    names that stand only above it, and set ``header_row`` to it (rows above it are skipped).
    """
    upper, lower = rows
    inside = sorted(m for m in layout.merged if m[0] <= lower and m[2] >= upper)

    def cell(r: int, c: int) -> object:
        ok = r - 1 < len(head) and c - 1 < head.shape[1]
        v = head.iat[r - 1, c - 1] if ok else None
        return None if is_blank(v) else v

    moves = []
    for c in range(1, head.shape[1] + 1):
        above = [cell(r, c) for r in range(lower - 1, upper - 1, -1) if cell(r, c) is not None]
        if cell(lower, c) is None and above:
            moves.append(f"'{clip(str(above[0]))}'")
    if inside:
        detail = "merged cells " + first_few(
            [f"{merge_ref(m)} '{clip(str(cell(m[0], m[1]) or ''))}'" for m in inside])
    else:
        detail = f"row {lower} has names under columns left unnamed in row {upper}"
    fix = []
    spans = [merge_ref(m) for m in inside if m[2] == lower and m[0] < lower]
    if spans:
        fix.append("unmerge " + first_few(spans))
    if moves:
        fix.append(f"write {first_few(moves)} in row {lower}")
    if lower != source.header_row:
        fix.append(f"set header_row = {lower} in [{what}] (rows above it are skipped)")
    steps = ", then ".join(fix) if len(fix) < 3 else f"{fix[0]}, {fix[1]}, then {fix[2]}"
    count = {2: "two", 3: "three"}.get(lower - upper + 1, str(lower - upper + 1))
    return (f"{source}: the column names take {count} rows, {upper}-{lower} ({detail}), but "
            f"siting reads them from one row (header_row = {source.header_row}); {steps}")
