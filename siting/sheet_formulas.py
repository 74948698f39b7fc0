"""Formulas in a workbook whose results were never saved (an ``.xlsx`` written by a program).

pandas reads such a cell as empty; :func:`refuse_unsaved_formulas` names the cell and the fix
instead of letting the column checks say "fill it in" about a cell Excel shows a value in.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from siting._errors import InputDataError
from siting.sheet_layout import worksheet_xml

if TYPE_CHECKING:
    from siting.tables import SheetSource

__all__ = ["refuse_unsaved_formulas"]

#: A cell holding a formula and no saved result (``<v/>`` or no ``<v>``), in a sheet's XML.
#: A text cell (``t="str"``) with an empty ``<v>`` is a saved result: the empty text that
#: Excel stores for ``=IF(...,"",...)``.
_UNSAVED_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"(?![^>]*\bt="str")[^>]*>\s*'
                              rb"<f(?:\s[^>]*)?(?:/>|>([^<]*)</f>)\s*(?:<v\s*/>|<v>\s*</v>)?"
                              rb"\s*</c>")


def refuse_unsaved_formulas(source: SheetSource, n_rows: int, xml: bytes | None = None) -> None:
    """Refuse a data row's formula whose result was never saved (an ``.xlsx`` written by a
    program: openpyxl, some exports). pandas reads such a cell as empty, so the message would
    otherwise say "fill it in" about a cell Excel shows a value in.

    ``xml`` is the sheet's XML part when the caller has it already
    (:func:`siting.sheet_layout.worksheet_xml`); an ``.xls`` is not scanned."""
    if xml is None and source.path.suffix.lower() != ".xls":
        xml = worksheet_xml(source.path, source.sheet)
    if xml is None:  # only a better message is lost: pandas has read the file
        return
    for m in _UNSAVED_FORMULA.finditer(xml):
        row = int(m.group(2))
        if source.header_row < row <= source.header_row + n_rows:
            formula = html.unescape((m.group(3) or b"").decode("utf-8", "replace"))
            msg = (f"{source}: row {row}: cell {m.group(1).decode()}{row} holds a formula "
                   f"({'=' + formula if len(formula) < 40 else '=' + formula[:36] + '...'}) "
                   "whose result was never saved (the file was written by a program, not by "
                   "Excel); open it in Excel or WPS and save it, or paste the values")
            raise InputDataError(msg)
