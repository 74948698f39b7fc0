"""A layer's geometries: present, of the expected family, 2-D; invalid polygons repaired.

:func:`check_geometries` refuses empty geometries and geometries of another family (single-part
multi-points become points when points are expected); :func:`repair_polygons` repairs
self-intersecting polygons with ``shapely.make_valid`` (keeping the polygonal part, with a
warning), since such polygons are common in hand-digitised planning data.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from siting._errors import InputDataError
from siting.layers.records import RowIds, is_table, where

logger = logging.getLogger(__name__)

GeomFamily = Literal["point", "line", "polygon", "any"]

#: Geometry types of each family a layer may be asked for.
FAMILIES: dict[str, tuple[str, ...]] = {
    "point": ("Point", "MultiPoint"),
    "line": ("LineString", "MultiLineString", "LinearRing"),
    "polygon": ("Polygon", "MultiPolygon"),
    "any": ("Point", "MultiPoint", "LineString", "MultiLineString", "LinearRing", "Polygon",
            "MultiPolygon", "GeometryCollection"),
}


def check_geometries(gdf: gpd.GeoDataFrame, path: Path, what: str, geom: str,
                     ids: RowIds | None) -> gpd.GeoDataFrame:
    """``gdf`` with 2-D geometries of family ``geom`` (a key of :data:`FAMILIES`).

    Empty geometries and geometries of another family are an
    :class:`~siting._errors.InputDataError` naming the first; for ``"point"`` layers,
    single-part multi-points become points and multi-part ones are refused.
    """
    geoms = gdf.geometry.values
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if missing.size:
        msg = (f"{where(path, int(missing[0]), ids)}: empty geometry in the {what} layer; "
               "draw the feature or delete the row")
        raise InputDataError(msg)
    types = shapely.get_type_id(geoms)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"])[types]
    wrong = np.flatnonzero(~np.isin(names, FAMILIES[geom]))
    if wrong.size:
        i = int(wrong[0])
        msg = (f"{where(path, i, ids)}: geometry is a {names[i]}, but the {what} layer needs "
               f"{geom}s; give a {geom} layer")
        raise InputDataError(msg)
    geoms = shapely.force_2d(geoms)
    if geom == "point":
        multi = np.flatnonzero(names == "MultiPoint")
        if multi.size:
            parts = shapely.get_num_geometries(geoms[multi])
            many = multi[parts > 1]
            if many.size:
                msg = (f"{where(path, int(many[0]), ids)}: a MultiPoint with "
                       f"{int(parts[parts > 1][0])} points; the {what} layer needs one point "
                       "per feature, so split it")
                raise InputDataError(msg)
            geoms = geoms.copy()
            geoms[multi] = shapely.get_geometry(geoms[multi], 0)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def repair_polygons(gdf: gpd.GeoDataFrame, path: Path, what: str,
                    ids: RowIds | None) -> gpd.GeoDataFrame:
    """``gdf`` with its invalid polygons repaired by ``shapely.make_valid`` (one warning).

    Vertices do not move; the polygonal part of the repair is kept. A polygon with no area
    left after repair is an :class:`~siting._errors.InputDataError`.
    """
    geoms = gdf.geometry.values
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    invalid = np.flatnonzero(polygonal & ~shapely.is_valid(geoms))
    if invalid.size == 0:
        return gdf
    first = int(invalid[0])
    reason = shapely.is_valid_reason(geoms[first])
    fixed = np.array(geoms, dtype=object)
    for i in invalid:
        repaired = _polygonal_part(shapely.make_valid(geoms[i]))
        if repaired is None:
            why = shapely.is_valid_reason(geoms[i])
            msg = (f"{where(path, int(i), ids)}: invalid polygon ({why}) with no area left "
                   "after repair; redraw it")
            raise InputDataError(msg)
        fixed[i] = repaired
    logger.warning("%s: repaired %d invalid polygon(s) in the %s layer with make_valid "
                   "(first: %s %d, %s); check them in QGIS", path, invalid.size, what,
                   "row" if is_table(path) else "feature", first + 1, reason)
    return gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))


def _polygonal_part(g: shapely.Geometry) -> shapely.Geometry | None:
    if isinstance(g, (shapely.Polygon, shapely.MultiPolygon)):
        return None if g.is_empty else g
    parts = [p for p in shapely.get_parts(g) if isinstance(p, (shapely.Polygon,
                                                                shapely.MultiPolygon))]
    polys = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
