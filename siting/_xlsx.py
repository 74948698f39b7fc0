"""The one Excel writer: typed cells, no formulas, byte-identical reruns (openpyxl).

A CSV opened in Excel, WPS or LibreOffice is read by guessing: a site id ``001`` becomes the
number 1, ``3/4`` a date, ``1E5`` the number 100000, a 18-digit id loses its last digits,
``TRUE`` a boolean (measured with LibreOffice 7.4 on a CSV written by :mod:`siting._csv`).
Every table a planner opens in a spreadsheet is therefore also written as ``.xlsx`` by
:func:`write_xlsx`, where each cell carries its type:

* text stays text, whatever it looks like: every text cell is written as a string, never as
  a formula (openpyxl would make a formula of a string starting with ``=``), so the
  apostrophe that :mod:`siting._csv` puts before formula-like text is not needed here;
* control characters, which XML cannot hold, are shown as symbols
  (:func:`siting._terminal.visible_controls`), lone surrogates as U+FFFD, and text over
  Excel's 32,767 characters per cell is cut, ending in :data:`CUT_MARK`;
* numbers are numbers; NaN and None are empty cells; infinities are the text ``inf``/``-inf``;
* the header row is bold and frozen, with an autofilter and column widths that fit the text
  (a CJK character counts twice);
* further tables go on sheets of their own (``more``), and an optional last sheet
  (``about``) holds label/value pairs: what the figures count, for which year, where the
  data come from;
* the workbook's dates are :func:`siting._reproducible.output_date` and every zip entry is
  stamped with it, so that two runs write the same bytes.
"""

from __future__ import annotations

import io
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from siting._atomic import atomic_write_bytes
from siting._reproducible import output_date
from siting._terminal import visible_controls

__all__ = ["CUT_MARK", "MAX_CELL_CHARS", "Sheet", "write_xlsx", "xlsx_bytes", "xlsx_text"]

#: Most characters Excel holds in one cell.
MAX_CELL_CHARS: int = 32_767
#: End of a text cut to :data:`MAX_CELL_CHARS`.
CUT_MARK: str = "… [cut: longer than Excel allows]"
#: Widest column, in characters.
_MAX_WIDTH: int = 60
#: Characters XML 1.0 cannot hold beyond the C0 controls: lone surrogates, U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def xlsx_text(text: str) -> str:
    """``text`` as a cell can hold it: controls as symbols, no surrogates, at most
    :data:`MAX_CELL_CHARS` characters (cut ones end in :data:`CUT_MARK`)."""
    text = _NOT_XML.sub("\ufffd", visible_controls(text))
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS - len(CUT_MARK)] + CUT_MARK
    return text


def _value(value: Any) -> tuple[Any, bool]:
    """A cell's value and whether it is text."""
    if value is None:
        return None, False
    if isinstance(value, (bool, np.bool_)):
        return bool(value), False
    if isinstance(value, (int, np.integer)):
        return int(value), False
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return None, False
        if math.isinf(v):
            return ("inf" if v > 0 else "-inf"), True
        return v, False
    try:
        if pd.isna(value):
            return None, False
    except (TypeError, ValueError):
        pass
    return xlsx_text(str(value)), True


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Cell:
    """Write one cell; text is stored as a string whatever it starts with."""
    v, is_text = _value(value)
    c = ws.cell(row=row, column=col)
    c.value = v
    if is_text:
        c.data_type = "s"  # openpyxl makes a formula of "=..." otherwise
    return c


def _width(value: Any) -> int:
    """Display width of a cell's text in characters (wide CJK characters count twice)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    line = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line[:_MAX_WIDTH])


def _fill_sheet(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]],
                formats: Mapping[str, str] | None = None) -> None:
    """Header row and rows; ``formats`` maps a column name to an Excel number format."""
    given = formats or {}
    fmt = {j: given[h] for j, h in enumerate(header, start=1) if h in given}
    bold = Font(bold=True)
    widths = [0] * len(header)
    for j, h in enumerate(header, start=1):
        c = _put(ws, 1, j, str(h))
        c.font = bold
        c.alignment = Alignment(wrap_text=True, vertical="top")
        widths[j - 1] = _width(c.value)
    n = 1
    for n, row in enumerate(rows, start=2):
        for j, v in enumerate(row, start=1):
            c = _put(ws, n, j, v)
            if j in fmt and not isinstance(c.value, str):
                c.number_format = fmt[j]
            if j <= len(widths):
                widths[j - 1] = max(widths[j - 1], _width(c.value))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(_MAX_WIDTH, max(8, w + 2))
    ws.freeze_panes = "A2"
    if header:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(n, 1)}"


def _sheet_title(title: str) -> str:
    """A legal sheet name: no ``[]:*?/\\``, at most 31 characters, not empty."""
    clean = re.sub(r"[\[\]:*?/\\]", "_", xlsx_text(title)).strip("'") or "Sheet"
    return clean[:31]


def _reproducible_zip(data: bytes) -> bytes:
    """``data`` (a zip) rewritten with every entry stamped :func:`output_date`."""
    stamp = output_date().timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


@dataclass(frozen=True)
class Sheet:
    """A further sheet of a workbook: its name, column names, rows and, by column name, an
    Excel number format (``"0.0%"`` for a share, ``"#,##0"`` for yuan)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    formats: Mapping[str, str] = field(default_factory=dict)


def xlsx_bytes(data: pd.DataFrame | Iterable[Sequence[Any]], header: Sequence[str] | None = None,
               *, sheet: str, formats: Mapping[str, str] | None = None,
               more: Sequence[Sheet] = (), about: Sequence[tuple[str, Any]] = (),
               about_sheet: str = "About") -> bytes:
    """An ``.xlsx`` workbook of one table, and optionally more (see the module notes).

    Parameters
    ----------
    data
        A data frame (its columns are the header) or rows of values.
    header
        Column names when ``data`` is rows.
    sheet
        Name of the table's sheet.
    formats
        Excel number formats by column name (others: General).
    more
        Further tables, each on a sheet of its own after the first.
    about
        Label/value pairs for a last sheet named ``about_sheet``; none: no such sheet.
    about_sheet
        Name of that sheet.
    """
    if isinstance(data, pd.DataFrame):
        header = [str(c) for c in data.columns]
        rows: Iterable[Sequence[Any]] = data.itertuples(index=False, name=None)
    else:
        rows = data
    wb = Workbook()
    stamp = output_date().replace(tzinfo=None)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "siting"
    ws = wb.active
    assert ws is not None
    ws.title = _sheet_title(sheet)
    _fill_sheet(ws, list(header or []), rows, formats)
    for extra in more:
        _fill_sheet(wb.create_sheet(_sheet_title(extra.title)), list(extra.header), extra.rows,
                    extra.formats)
    if about:
        info = wb.create_sheet(_sheet_title(about_sheet))
        for i, (label, value) in enumerate(about, start=1):
            _put(info, i, 1, label).font = Font(bold=True)
            _put(info, i, 2, value).alignment = Alignment(wrap_text=True, vertical="top")
        info.column_dimensions["A"].width = min(_MAX_WIDTH, max(
            [8] + [_width(label) + 2 for label, _ in about]))
        info.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    # ExcelWriter, not wb.save(): save() stamps the workbook "modified" now
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return _reproducible_zip(buf.getvalue())


def write_xlsx(path: str | os.PathLike[str], data: pd.DataFrame | Iterable[Sequence[Any]],
               header: Sequence[str] | None = None, *, sheet: str,
               formats: Mapping[str, str] | None = None, more: Sequence[Sheet] = (),
               about: Sequence[tuple[str, Any]] = (), about_sheet: str = "About") -> Path:
    """Write :func:`xlsx_bytes` to ``path`` atomically; returns ``path``."""
    return atomic_write_bytes(path, xlsx_bytes(data, header, sheet=sheet, formats=formats,
                                               more=more, about=about,
                                               about_sheet=about_sheet))
