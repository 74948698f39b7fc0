"""``report.json`` and GeoJSON text: sorted keys, rounded floats and coordinates, so reruns
write the same bytes."""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from siting.crs import WGS84, is_shift
from siting.report import Report

logger = logging.getLogger(__name__)

#: Decimal places of written coordinates: degrees (1e-8 deg ~ 1 mm) and metres (1 mm).
DEGREE_DECIMALS = 8
METRE_DECIMALS = 3
#: Decimal places of floats in report.json and GeoJSON properties.
FLOAT_DECIMALS = 6


# =========================================================================== JSON
def clean_value(v: Any) -> Any:
    """A JSON-ready copy of ``v``: numpy scalars to Python, floats rounded, NaN/inf to None.

    Floats are rounded to ``FLOAT_DECIMALS`` places; non-zero values smaller than that keep
    three significant digits (a MIP gap of 1e-9 stays 1e-09). Dict keys become strings,
    tuples/sets lists (sets sorted), paths and other objects strings.
    """
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not math.isfinite(x):
            return None
        r = round(x, FLOAT_DECIMALS)
        if r == 0.0 and x != 0.0:
            r = float(f"{x:.3g}")
        return r + 0.0  # no -0.0
    if isinstance(v, Mapping):
        return {str(k): clean_value(val) for k, val in v.items()}
    if isinstance(v, (set, frozenset)):
        return sorted((clean_value(x) for x in v), key=str)
    if isinstance(v, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return [clean_value(x) for x in list(v)]
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "model_dump"):
        return clean_value(v.model_dump())
    return str(v)


def report_text(report: Report | Mapping[str, Any], *, output_crs: str = WGS84) -> str:
    """report.json content: ``report`` plus ``output_crs``; sorted keys, 2-space indent.

    Parameters
    ----------
    report
        The result's report (not modified).
    output_crs
        Stored as ``report["output_crs"]``.

    Returns
    -------
    str
        UTF-8-ready JSON text (non-ASCII kept as is), ending with a newline.
    """
    doc = report.to_dict() if isinstance(report, Report) else copy.deepcopy(dict(report))
    doc["output_crs"] = output_crs
    return json.dumps(clean_value(doc), ensure_ascii=False, indent=2, sort_keys=True,
                      allow_nan=False) + "\n"


def _round_geometry(g: shapely.Geometry, decimals: int) -> shapely.Geometry:
    return shapely.transform(g, lambda c: np.round(c, decimals))


def geojson_text(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    first: tuple[str, ...] = (),
    crs_name: str | None = None,
) -> str:
    """A GeoJSON FeatureCollection, one feature per line, deterministic for equal input.

    Parameters
    ----------
    gdf
        The layer. With ``crs_name`` None it must be WGS84 (EPSG:4326), as RFC 7946 wants.
    name
        The collection's ``name`` member.
    first
        Property names written first, in this order (then the other columns in frame order).
    crs_name
        Output CRS when not WGS84. ``EPSG:xxxx`` adds the (pre-RFC 7946) ``crs`` member that
        GDAL/QGIS read; ``GCJ-02``/``BD-09`` are stated in ``coordinate_convention`` only.
        Both add ``crs_name``.

    Returns
    -------
    str
        The JSON text; coordinates rounded to 1 mm (``DEGREE_DECIMALS`` for degrees,
        ``METRE_DECIMALS`` for projected CRSs), floats to ``FLOAT_DECIMALS`` places.
    """
    if crs_name is None and gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        msg = f"geojson_text: layer '{name}' is in {gdf.crs}, not WGS84; give crs_name"
        raise ValueError(msg)
    projected = gdf.crs is not None and gdf.crs.is_projected
    decimals = METRE_DECIMALS if projected else DEGREE_DECIMALS
    geom_name = gdf.geometry.name
    cols = [c for c in first if c in gdf.columns]
    cols += [c for c in gdf.columns if c not in cols and c != geom_name]
    head: dict[str, Any] = {"type": "FeatureCollection", "name": name}
    if crs_name is not None:
        head["crs_name"] = crs_name
        if is_shift(crs_name):
            head["coordinate_convention"] = (
                f"{crs_name}: Chinese web-map offset applied to WGS84 lon/lat; not a standard "
                "CRS, GIS software will treat it as WGS84")
        else:
            code = crs_name.split(":")[1]
            head["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{code}"}}
    lines = []
    records = gdf[cols].to_dict(orient="records") if cols else [{} for _ in range(len(gdf))]
    for props, geom in zip(records, gdf.geometry.values, strict=True):
        g = None
        if geom is not None and not shapely.is_empty(geom):
            g = mapping(_round_geometry(geom, decimals))
        feat = {"type": "Feature", "properties": clean_value(props), "geometry": g}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":"),
                                allow_nan=False))
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    body = ",\n".join(lines)
    return f'{head_text},"features":[\n{body}\n]}}\n' if lines else \
        f'{head_text},"features":[]}}\n'


