"""What the starter reads from the user's layers before writing anything: the sheet and header
row of a workbook, whether its coordinates are metres, the fleet's segment values, and QGIS
layer names (``path|layername=x``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from siting import tables
from siting._errors import SitingError
from siting.scenario import LayerSpec
from siting.sheet_layout import hidden_sheets
from siting.workbook import open_workbook, pick_sheet


@dataclass
class LayerInfo:
    """What the starter learnt about one layer file (all optional)."""

    options: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    xy_metres: bool = False


def inspect_table(path: Path, crs: str | None, sheet: object = None) -> LayerInfo:
    """Sheet and header row of the first sheet (or of ``sheet``) with coordinate columns, and
    whether those are x/y (metres) or lon/lat.

    Without ``sheet``, sheets hidden in Excel are skipped, as the reader skips them
    (:func:`siting.workbook.pick_sheet`), and a note names them: the scenario must not send
    the planner to a sheet they cannot see (an old copy of the register, kept hidden)."""
    info = LayerInfo()
    if path.suffix.lower() in (".csv", ".txt"):
        from siting.layers import read_table

        try:
            cols = tables.coordinate_columns(list(read_table(path, crs=None).columns),
                                             projected=bool(crs))
        except SitingError:
            return info
        info.xy_metres = cols is not None and not cols[2]
        return info
    if not tables.is_spreadsheet(path):
        return info
    try:
        import pandas as pd

        with open_workbook(path, "input") as book:
            names = [str(s) for s in book.sheet_names]
            hidden = [n for n in names if n in hidden_sheets(book)] if sheet is None else []
            skipped = (f"; hidden in Excel, so skipped: {', '.join(hidden)}" if hidden else "")
            looked = [n for n in names if n not in hidden and (sheet is None or n == str(sheet))]
            for name in looked:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # openpyxl: unsupported extensions ...
                    head = pd.read_excel(book, sheet_name=name, header=None, nrows=12,
                                         dtype=object)
                for r in range(len(head)):
                    cells = [c for c in head.iloc[r].tolist() if not pd.isna(c)]
                    cols = tables.coordinate_columns(cells, projected=bool(crs))
                    if cols is not None:
                        info.options["sheet"] = name
                        if r > 0:
                            info.options["header_row"] = r + 1
                        info.xy_metres = not cols[2]
                        if len(names) > 1 and sheet is None:
                            info.notes.append(f"{path.name}: using sheet '{name}' (sheets: "
                                              f"{', '.join(names)}{skipped})")
                        return info
            if hidden:
                info.notes.append(f"{path.name}: no coordinate columns in the sheets Excel "
                                  f"shows{skipped}")
    except SitingError:
        return info  # validation will say what is wrong with the file
    return info


def fleet_segments(spec: LayerSpec) -> list[str] | None:
    """Distinct ``segment`` values of the fleet layer in file order, or None if unreadable.

    A workbook whose rows do not all pass the layer checks yet (a totals row 合计, a
    coordinate cell to fix, x/y without a CRS) still gives its segment column's values
    (:func:`_sheet_segments`): the validation after writing names the row to fix, and the
    scenario must already hold the register's own segment words when it is fixed.
    """
    from siting.layers import read_layer

    try:
        fleet = read_layer(spec, what="demand", required={"segment": "text"}, geom="point")
    except SitingError:
        return _sheet_segments(spec)
    return list(dict.fromkeys(str(v) for v in fleet["segment"]))


def _sheet_segments(spec: LayerSpec) -> list[str] | None:
    """The non-blank cells of a workbook sheet's segment column (车辆类别 ...) as text, in
    order and once each; None for other files or when there is no such column."""
    path = Path(str(spec.path))
    if not tables.is_spreadsheet(path):
        return None
    import pandas as pd

    try:
        with open_workbook(path, "demand") as book, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl: unsupported extensions ...
            df = pd.read_excel(book, sheet_name=pick_sheet(book, path, spec, "demand")[0],
                               header=spec.header_row - 1, dtype=object)
    except (SitingError, ValueError, KeyError):
        return None
    col = tables.find_column(df.columns, ("segment", *tables.COLUMN_ALIASES["segment"]))
    if col is None:
        return None
    from siting.layers.records import cell_text

    values = [t for t in (cell_text(v).strip() for v in df[col]) if t]
    return list(dict.fromkeys(values)) or None



def split_layer_uri(uri: str | Path) -> tuple[Path, str | None]:
    """``"roads.gpkg|layername=roads"`` (QGIS's way of naming a layer in a file) -> path, name.

    A plain path gives ``(path, None)``. For a workbook the layer name is the sheet.
    """
    text = str(uri)
    if "|" not in text:
        return Path(text), None
    path, _, rest = text.partition("|")
    for part in rest.split("|"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "layername" and value:
            return Path(path), value
    return Path(path), None
