"""A layer's coordinates: its CRS found, reprojected to WGS84, checked to be lon/lat.

:func:`to_wgs84` takes the file's own CRS, else the scenario's ``crs`` for the layer, else
refuses (:class:`~siting._errors.CRSMismatchError`); projected layers are reprojected, and
coordinates that are no possible lon/lat (metres labelled as degrees, swapped columns) are
refused with the likely fix. :func:`check_in_china` warns about features outside China.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from siting._errors import CRSMismatchError
from siting.crs import COORDS_OF_CRS, WGS84, is_shift, parse_crs
from siting.layers.records import RowIds, num, where
from siting.scenario import LayerSpec, NetworkSpec

logger = logging.getLogger(__name__)

#: Coordinates (WGS84) every feature must fall in: China's extent, generously.
CHINA_BBOX: tuple[float, float, float, float] = (73.0, 136.0, 3.0, 54.0)


def to_wgs84(gdf: gpd.GeoDataFrame, path: Path, spec: LayerSpec | NetworkSpec, what: str,
             ids: RowIds | None) -> tuple[gpd.GeoDataFrame, str]:
    """Reproject to EPSG:4326; return the frame and the coordinate convention to undo."""
    coords: str = spec.coords
    from_spec = bool(gdf.attrs.get("siting_crs_from_spec")) or gdf.crs is None
    if gdf.crs is None:
        if spec.crs is None:
            msg = (f'{path} has no CRS; add crs = "EPSG:4326" to [{what}] in the scenario '
                   "(or the CRS the coordinates are in, e.g. EPSG:4547)")
            raise CRSMismatchError(msg)
        parsed = parse_crs(spec.crs, where=f"{path}: [{what}] crs")
        if is_shift(parsed):
            coords = COORDS_OF_CRS[parsed]
            parsed = WGS84
        gdf = gdf.set_crs(parsed)
    elif spec.crs is not None:
        parsed = parse_crs(spec.crs, where=f"{path}: [{what}] crs")
        if is_shift(parsed):
            coords = COORDS_OF_CRS[parsed]
        elif not from_spec and not CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(
                parsed)):
            logger.warning("%s: the file says its CRS is %s; [%s] crs = %s is ignored", path,
                           gdf.crs.to_string(), what, parsed)
    src = CRS.from_user_input(gdf.crs)
    if src.is_geographic:
        _check_degrees(gdf, path, what, ids, src)
        _check_lonlat(gdf, path, what, ids, src.to_string())
    if not src.equals(CRS.from_epsg(4326)):
        gdf = gdf.to_crs(WGS84)
        _check_lonlat(gdf, path, what, ids, src.to_string())
    if coords != "wgs84" and not src.is_geographic:
        logger.warning("%s: coords = %s is set but the layer is projected (%s); GCJ-02/BD-09 "
                       "apply to lon/lat only, shifting anyway", path, coords, src.to_string())
    return gdf, coords


def _check_degrees(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: RowIds | None,
                   src: CRS) -> None:
    b = shapely.bounds(gdf.geometry.values)
    # far beyond any degree value: metres (projected data) labelled as lon/lat
    bad = np.flatnonzero((np.abs(b) > 1000.0).any(axis=1))
    if bad.size:
        i = int(bad[0])
        msg = (f"{where(path, i, ids)}: coordinates ({num(b[i, 0])}, {num(b[i, 1])}) look "
               f"like metres but the layer's CRS is {src.to_string()} (degrees); set the right "
               f'crs for [{what}], e.g. crs = "EPSG:4547" for CGCS2000 zone 38')
        raise CRSMismatchError(msg)


_SWAPPED_FIX = "lon/lat look swapped; put longitude in x (first) and latitude in y (second)"


def _in_box(b: np.ndarray, box: tuple[float, float, float, float],
            swap: bool = False) -> np.ndarray:
    """Rows of bounds ``b`` (minx, miny, maxx, maxy) inside ``box`` (w, e, s, n)."""
    x0, y0, x1, y1 = (b[:, 1], b[:, 0], b[:, 3], b[:, 2]) if swap else b.T
    w, e, s, n = box
    with np.errstate(invalid="ignore"):
        return (x0 >= w) & (x1 <= e) & (y0 >= s) & (y1 <= n)


def _check_lonlat(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: RowIds | None,
                  src: str) -> None:
    """Refuse coordinates no place on Earth has: non-finite, |lon| > 180 or |lat| > 90."""
    b = shapely.bounds(gdf.geometry.values)
    ok = _in_box(b, (-180.0, 180.0, -90.0, 90.0))
    if ok.all():
        return
    i = int(np.flatnonzero(~ok)[0])
    if not np.isfinite(b[i]).all():
        msg = (f"{where(path, i, ids)}: coordinates cannot be converted from {src} to WGS84 "
               f"lon/lat (they lie outside the area {src} covers); check the CRS of the "
               f"layer (the file's own, or crs in [{what}])")
        raise CRSMismatchError(msg)
    swapped = _in_box(b, (-180.0, 180.0, -90.0, 90.0), swap=True)
    fix = (_SWAPPED_FIX if swapped[~ok].all() else
           f"check the CRS of the layer (the file's own, or crs in [{what}])")
    msg = (f"{where(path, i, ids)}: coordinates ({num(b[i, 0])}, {num(b[i, 1])}) are not "
           "valid lon/lat (longitude -180..180, latitude -90..90); " + fix)
    raise CRSMismatchError(msg)


def check_in_china(gdf: gpd.GeoDataFrame, path: Path, what: str, ids: RowIds | None,
                   coords: str) -> str | None:
    """Warn (once per layer) about features outside China; return the warning text.

    siting is built for Chinese cities, and data placed outside China is more often a wrong
    CRS or swapped columns than a foreign city, so the warning carries those hints; but real
    data from elsewhere (an OSM extract of Helsinki) works. Features that do not reach the
    road network are refused later (see :func:`siting._checks.check_layers_overlap`).
    """
    b = shapely.bounds(gdf.geometry.values)
    ok = _in_box(b, CHINA_BBOX)
    if ok.all():
        return None
    bad = np.flatnonzero(~ok)
    i = int(bad[0])
    if _in_box(b, CHINA_BBOX, swap=True)[~ok].all():
        fix = _SWAPPED_FIX
    else:
        fix = (f"if the data should be in China, check the CRS of the layer (the file's own, "
               f"or crs in [{what}])")
    label = "GCJ-02" if coords == "gcj02" else "BD-09" if coords == "bd09" else "WGS84"
    text = (f"{where(path, i, ids)}: coordinates ({num(b[i, 0])}, {num(b[i, 1])}) ({label} "
            f"lon/lat) are outside China (73-136 E, 3-54 N) [{bad.size} of {len(b)} "
            f"feature(s) of the {what} layer]; {fix}")
    logger.warning("%s", text)
    return text
