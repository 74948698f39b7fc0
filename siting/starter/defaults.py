"""What the starter starts from: the bundled Suizhou scenario, the schema's defaults, and the
text that explains each key of a layer section."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from siting._errors import ScenarioError

#: Fields of :class:`~siting.scenario.Scenario` set by ``load_scenario``, not by users.
INTERNAL_KEYS: frozenset[str] = frozenset({"base_dir", "source_file"})


def bundled_toml() -> Path:
    """``data/suizhou/scenario.toml`` beside the package (a clone or an editable install),
    else in the current folder."""
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        p = base / "data" / "suizhou" / "scenario.toml"
        if p.is_file():
            return p
    msg = ("siting init: the bundled scenario data/suizhou/scenario.toml was not found (it "
           "holds the starting station types and segments); run from the siting repository "
           "or install siting from it")
    raise ScenarioError(msg)



def bundled() -> dict[str, Any]:
    """The bundled scenario, as TOML tables (station types, segments, budget, years)."""
    return tomllib.loads(bundled_toml().read_text(encoding="utf-8"))


def default(model: type[BaseModel], name: str) -> Any:
    """The default value of field ``name`` of a scenario section ``model``."""
    f = model.model_fields[name]
    if f.default_factory is not None:
        return f.default_factory()  # type: ignore[call-arg]
    return f.default


#: What each key of a layer section means (shared by every layer section).
LAYER_KEY_DOCS: dict[str, str] = {
    "path": "The file, relative to this folder: GeoPackage, GeoJSON, Shapefile, CSV, or an "
            "Excel workbook (.xlsx/.xls).",
    "layer": "Layer inside a GeoPackage (default the first; for a workbook, the sheet).",
    "crs": "CRS of the coordinates when the file has none of its own (CSV, Excel, a "
           "Shapefile without .prj): \"EPSG:4326\" (lon/lat, the default for lon/lat "
           "columns), \"EPSG:4490\" (CGCS2000), \"EPSG:4547\" (CGCS2000 3-degree GK, CM 114E, "
           "metres) ...",
    "coords": "\"wgs84\" (default), \"gcj02\" (Amap/Tencent web-map coordinates) or \"bd09\" "
              "(Baidu); shifted to WGS84 on reading.",
    "sheet": "Excel: the sheet (default the first).",
    "header_row": "Excel: the row with the column names as Excel numbers it (default 1; "
                  "rows above, e.g. a title, are skipped).",
    "x_column": "Excel/CSV: column of longitude (or x/easting in metres); default found by "
                "name: lon, 经度, 东经, X, X坐标 ...",
    "y_column": "Excel/CSV: column of latitude (or y/northing); default found by name: lat, "
                "纬度, 北纬, Y, Y坐标 ...",
}
#: Example values of the optional layer keys, written commented out.
LAYER_EXAMPLES: dict[str, object] = {
    "layer": "roads", "crs": "EPSG:4547", "coords": "gcj02", "sheet": "Sheet1",
    "header_row": 2, "x_column": "经度", "y_column": "纬度",
}
