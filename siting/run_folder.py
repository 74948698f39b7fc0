"""Reading a finished run folder back: the one reader of the briefing and of ``siting compare``.

A run folder is what ``siting run`` / ``siting demo`` write (the output contract):
``report.json``, ``stations.geojson`` and ``results.gpkg`` among others. :func:`load_run` reads
the report, the stations and (optionally) the context layers of the GeoPackage, checks them and
returns them in WGS84 (EPSG:4326). Every problem is one :class:`~siting._errors.InputDataError`
line naming the file and the fix.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
from pyproj import CRS

from siting._errors import CRSMismatchError, InputDataError

__all__ = ["CONTEXT_LAYERS", "RunData", "load_run", "read_report", "read_stations"]

logger = logging.getLogger(__name__)

#: Layers of ``results.gpkg`` that :func:`load_run` reads besides the stations.
CONTEXT_LAYERS: tuple[str, ...] = ("roads", "zones", "coverage_areas")

#: Station columns filled in when a ``stations.geojson`` lacks them, with their defaults.
_STATION_DEFAULTS: dict[str, Any] = {
    "name": "", "family": "", "capex": 0.0, "capacity": np.nan, "capacity_unit": "",
    "zone": "", "year": 0, "existing": False, "served_demand": np.nan,
}
_FIX = "pass a folder written by `siting run` or `siting demo`"
_REWRITE = "re-run `siting run` to rewrite it"


@dataclass(frozen=True)
class RunData:
    """What a run folder holds, as read by :func:`load_run`.

    Attributes
    ----------
    run_dir
        The run folder.
    report
        ``report.json`` as a dict.
    stations
        ``stations.geojson`` (EPSG:4326) with at least ``site_id``, ``station_type``, ``name``
        (the site id when empty), ``family``, ``capex``, ``capacity``, ``capacity_unit``,
        ``zone`` (text, ``""`` outside zones), ``year``, ``existing`` (bool) and
        ``served_demand``; features without geometry are dropped.
    roads, zones, coverage_areas
        Layers of ``results.gpkg`` in EPSG:4326, or None when the file or the layer is absent
        (or when they were not asked for).
    """

    run_dir: Path
    report: dict[str, Any]
    stations: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    coverage_areas: gpd.GeoDataFrame | None = None


def load_run(run_dir: str | os.PathLike[str], *, layers: bool = True) -> RunData:
    """Read a run folder: the report, the stations and, with ``layers``, the context layers.

    Parameters
    ----------
    run_dir
        A folder written by ``siting run`` / ``siting demo``.
    layers
        Also read the ``roads``, ``zones`` and ``coverage_areas`` layers of ``results.gpkg``
        (a missing file is logged and gives None layers).

    Returns
    -------
    RunData
        Layers in WGS84 (EPSG:4326).

    Raises
    ------
    InputDataError
        When ``report.json`` or ``stations.geojson`` is missing or unreadable.
    CRSMismatchError
        When a layer has no CRS.
    """
    run = Path(run_dir)
    report = read_report(run)
    stations = read_stations(run)
    found: dict[str, gpd.GeoDataFrame | None] = dict.fromkeys(CONTEXT_LAYERS)
    gpkg = run / "results.gpkg"
    if layers and gpkg.is_file():
        present = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
        for name in CONTEXT_LAYERS:
            if name in present:
                found[name] = _to_wgs84(gpd.read_file(gpkg, layer=name), f"{gpkg} layer '{name}'")
    elif layers:
        logger.warning("%s not found: the map shows stations only", gpkg)
    return RunData(run_dir=run, report=report, stations=stations, **found)


def read_report(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """``report.json`` of a run folder as a dict (see :func:`load_run` for the errors)."""
    path = Path(run_dir) / "report.json"
    if not path.is_file():
        msg = f"{path}: not found; {_FIX}"
        raise InputDataError(msg)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        msg = f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); {_REWRITE}"
        raise InputDataError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot be read ({exc}); {_REWRITE}"
        raise InputDataError(msg) from None
    if not isinstance(report, dict):
        msg = f"{path}: top level is not a JSON object; {_REWRITE}"
        raise InputDataError(msg)
    from siting._run_report import check_report  # wrong types: one line, not a crash

    return check_report(report, path)


def read_stations(run_dir: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """``stations.geojson`` of a run folder in WGS84, display columns filled in when missing.

    See :class:`RunData` for the columns and :func:`load_run` for the errors.
    """
    path = Path(run_dir) / "stations.geojson"
    if not path.is_file():
        msg = f"{path}: not found; {_FIX}"
        raise InputDataError(msg)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types
        msg = f"{path}: cannot be read ({exc}); {_REWRITE}"
        raise InputDataError(msg) from exc
    if len(gdf) == 0:
        cols = ["site_id", "station_type", *_STATION_DEFAULTS]
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs="EPSG:4326")
    for col in ("site_id", "station_type"):
        if col not in gdf.columns:
            msg = (f"{path}: column '{col}' is missing (columns: {list(gdf.columns)}); "
                   f"{_REWRITE}")
            raise InputDataError(msg)
    if gdf.crs is None:  # RFC 7946: GeoJSON coordinates are WGS84
        gdf = gdf.set_crs("EPSG:4326")
    gdf = _to_wgs84(gdf, str(path))
    for col, default in _STATION_DEFAULTS.items():
        if col not in gdf.columns:
            gdf[col] = default
    gdf["site_id"] = gdf["site_id"].astype(str)
    gdf["station_type"] = gdf["station_type"].astype(str)
    gdf["name"] = [str(n) if isinstance(n, str) and n else s
                   for n, s in zip(gdf["name"], gdf["site_id"], strict=True)]
    gdf["zone"] = gdf["zone"].fillna("").astype(str)
    gdf["existing"] = [_flag(v) for v in gdf["existing"]]
    return gdf


def _flag(value: object) -> bool:
    """A yes/no cell: booleans and numbers as such, text ``true``/``yes``/``1``/``是`` (a file
    saved by other software may hold the flag as text), missing = no."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t", "是")
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    return bool(value)


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = f"{what}: has no CRS; re-run `siting run` so the layer is written with EPSG:4326"
        raise CRSMismatchError(msg)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return gdf.to_crs("EPSG:4326") if not gdf.crs.equals(CRS("EPSG:4326")) else gdf
