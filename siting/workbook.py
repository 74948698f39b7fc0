"""Opening an Excel workbook and choosing its sheet, for :mod:`siting.tables`.

Every workbook is read by pandas with python-calamine (a Rust reader: a 50,000-row fleet
register in about 0.6 s, against 5.5 s with openpyxl), the old binary ``.xls`` too (0.5 s for
50,000 rows, against 1.5 s with pandas' xlrd engine, which pandas 3 deprecates). xlrd is still
needed for an ``.xls``: it alone tells its hidden rows and columns
(:func:`siting.sheet_layout.read_layout`). A file that does not open is named with what it
really is (:func:`siting.file_kind.misnamed_hint`). Without a ``sheet``, the first sheet Excel
shows is read: a hidden sheet is skipped, as a planner never sees it.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from pathlib import Path

import pandas as pd

from siting._errors import ScenarioError
from siting.file_kind import misnamed_hint
from siting.scenario import LayerSpec, NetworkSpec, suggest
from siting.sheet_layout import hidden_sheets

__all__ = ["open_workbook", "pick_sheet", "read_cells", "sheet_names", "wanted_sheet"]

logger = logging.getLogger(__name__)


def _check_readers(path: Path) -> None:
    """Refuse a workbook whose readers are not installed: python-calamine (the values), and
    xlrd for an ``.xls`` (its hidden rows and columns)."""
    old = path.suffix.lower() == ".xls"
    for package in ("python-calamine", "xlrd") if old else ("python-calamine",):
        try:
            importlib.import_module(package.replace("-", "_"))
        except ImportError:
            fix = ", or save the sheet as .xlsx from Excel" if old else ""
            msg = (f"{path}: cannot read {'.xls' if old else '.xlsx'} workbooks: the {package} "
                   f"package is not installed; pip install {package}{fix}")
            raise ScenarioError(msg) from None


def open_workbook(path: Path, what: str) -> pd.ExcelFile:
    """The workbook at ``path``, opened for pandas; ``what`` (the scenario section) is named
    in messages.

    Raises
    ------
    ScenarioError
        The file is missing, is not a file, its reader is not installed, or it is not a
        workbook (the message names what it is, when its first bytes tell).
    """
    if not path.exists():
        msg = (f"{path}: cannot read {what} layer: file not found; check path in [{what}] of "
               "the scenario")
        raise ScenarioError(msg)
    if not path.is_file():
        msg = (f"{path}: cannot read {what} layer: it is not a file; give the path of an "
               f"Excel workbook in [{what}] of the scenario")
        raise ScenarioError(msg)
    _check_readers(path)
    kind = ".xls (Excel 97-2003)" if path.suffix.lower() == ".xls" else ".xlsx"
    hint = misnamed_hint(path) if kind != ".xlsx" else None
    if hint is not None:  # calamine would read an .xlsx named .xls, but not its layout
        msg = f"{path}: cannot read {what} layer: not an Excel {kind} workbook; {hint}"
        raise ScenarioError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reader warnings about styles, extensions ...
            return pd.ExcelFile(path, engine="calamine")
    except Exception as e:  # calamine raises many types for bad files
        reason = " ".join(str(e).split()) or type(e).__name__
        fix = misnamed_hint(path) or ("open it in Excel or WPS and save it again as .xlsx "
                                      "(not password-protected)")
        msg = f"{path}: cannot read {what} layer: not an Excel {kind} workbook ({reason}); {fix}"
        raise ScenarioError(msg) from None


def sheet_names(path: str | Path, what: str = "input") -> list[str]:
    """The sheet names of a workbook, in order."""
    with open_workbook(Path(path), what) as book:
        return [str(s) for s in book.sheet_names]


def wanted_sheet(spec: LayerSpec | NetworkSpec, what: str) -> str | None:
    """The sheet a layer's section names (``sheet``, or ``layer``), None for the default."""
    sheet = getattr(spec, "sheet", None)
    layer = spec.layer
    if sheet is not None and layer is not None and sheet != layer:
        msg = (f"{spec.path}: [{what}] sets sheet = '{sheet}' and layer = '{layer}'; for a "
               "workbook give only sheet")
        raise ScenarioError(msg)
    return sheet if sheet is not None else layer


def pick_sheet(book: pd.ExcelFile, path: Path, spec: LayerSpec | NetworkSpec, what: str,
                *, warn: bool = False) -> tuple[str, list[str]]:
    """The sheet to read and all sheet names: ``sheet`` (or ``layer``) of ``spec``, else the
    first sheet Excel shows (a hidden one is skipped). ``warn``: say which sheet is read when
    there are several, and that a sheet chosen by name is hidden in Excel."""
    names = [str(s) for s in book.sheet_names]
    wanted = wanted_sheet(spec, what)
    hidden = hidden_sheets(book)
    if wanted is not None:
        if wanted not in names:
            msg = (f"{path}: cannot read {what} layer: no sheet '{wanted}'"
                   f"{suggest(wanted, names)}; sheets are {names}; fix sheet in [{what}]")
            raise ScenarioError(msg)
        if warn and wanted in hidden:
            logger.warning("%s: sheet '%s' is hidden in Excel, but sheet = \"%s\" in [%s] "
                           "names it, so siting reads it; check that it is the sheet you mean "
                           "(or unhide it)", path, wanted, wanted, what)
        return wanted, names
    if not names:
        msg = f"{path}: cannot read {what} layer: the workbook has no sheets"
        raise ScenarioError(msg)
    sheet = ([n for n in names if n not in hidden] or names)[0]
    if warn and len(names) > 1:
        logger.warning("%s has %d sheets; reading the first%s, '%s' (set sheet = ... in [%s] "
                       "to choose)", path, len(names), "" if sheet == names[0] else
                       " one Excel shows", sheet, what)
    return sheet, names


def read_cells(book: pd.ExcelFile, sheet: str, header: int | None, nrows: int | None = None,
           ) -> pd.DataFrame:
    """Cells of ``sheet`` as Excel holds them (``dtype=object``), from column A."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reader warnings: unsupported extensions ...
        return pd.read_excel(book, sheet_name=sheet, header=header, nrows=nrows, dtype=object)


