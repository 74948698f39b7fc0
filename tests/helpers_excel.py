"""Build Excel workbooks from the bundled layers, the way a planning office keeps them.

Every workbook is written with openpyxl in the test itself (no binary fixtures): Chinese
column names, coordinates in degrees (WGS84 or Amap's GCJ-02) or in metres (EPSG:4547, with
the surveyors' X = northing), an optional title row above the column names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
from pyproj import Transformer

from siting.crs import wgs84_to_gcj02

DATA = Path(__file__).resolve().parents[1] / "data" / "suizhou"

#: Chinese headers for the bundled fleet columns (what a 车辆台账 would use).
FLEET_HEADERS = {"fleet_id": "编号", "name": "名称", "segment": "车辆类别",
                 "vehicles": "车辆数（辆）", "daily_km": "日均里程(km)"}
CANDIDATE_HEADERS = {"site_id": "站点编号", "name": "站点名称", "allowed_types": "可建类型",
                     "capex_factor": "造价系数"}


def write_workbook(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """Write ``{sheet name: rows}`` (each row a list of cells, the first row(s) headers)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def layer_rows(layer: str, headers: dict[str, str], *, coords: str = "wgs84",
               lon: str = "经度", lat: str = "纬度", every: int = 1,
               title: str | None = None) -> list[list[object]]:
    """Rows of a bundled point layer: a header row (``headers`` renames columns) + data.

    ``coords``: ``"wgs84"`` or ``"gcj02"`` (degrees, columns ``lon``/``lat``), or
    ``"epsg4547"`` (metres; ``lon`` holds the northing and ``lat`` the easting, as Chinese
    surveyors write X and Y).
    """
    gdf = gpd.read_file(DATA / f"{layer}.geojson").iloc[::every]
    x = gdf.geometry.x.to_numpy()
    y = gdf.geometry.y.to_numpy()
    if coords == "gcj02":
        x, y = wgs84_to_gcj02(x, y)
    elif coords == "epsg4547":
        east, north = Transformer.from_crs("EPSG:4326", "EPSG:4547",
                                           always_xy=True).transform(x, y)
        x, y = np.round(north, 2), np.round(east, 2)  # X = north, Y = east
    rows: list[list[object]] = []
    if title is not None:
        rows.append([title])
    rows.append([*(headers[c] for c in headers), lon, lat])
    for i, (_, r) in enumerate(gdf.iterrows()):
        rows.append([_cell(r[c]) for c in headers] + [float(x[i]), float(y[i])])
    return rows


def _cell(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    return v
