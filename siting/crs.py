"""Coordinate conventions: the Chinese GCJ-02 / BD-09 offsets, output CRSs, metric CRSs.

Chinese web maps do not publish WGS84 coordinates. Amap (Gaode) and Tencent use **GCJ-02**,
WGS84 plus a deliberate, smoothly varying offset (about 500 m around Suizhou); Baidu uses
**BD-09**, a further rotation/scaling of GCJ-02. Points copied from those maps must be shifted
back to WGS84 before they meet OpenStreetMap roads, and a planning office that overlays our
results on an Amap basemap needs them shifted forward.

All functions here are numpy-vectorised: they take scalars or arrays of longitudes and
latitudes in degrees and return float64 arrays of the same shape. Outside China (the usual
bounding-box test of the published formula) the offset is zero.

The forward WGS84 -> GCJ-02 transform is the widely published formula (Krasovsky ellipsoid
semi-major axis 6378245 m, first eccentricity squared 0.00669342162296594323, and the two
offset polynomials in ``lon - 105``, ``lat - 35``). It has no closed-form inverse; the inverse
here is solved by fixed-point iteration to better than 1e-10 degrees (about 0.01 mm), so a
round trip is exact for any practical purpose (the one-step inverse many libraries use is off
by up to a couple of metres).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from siting._errors import CRSMismatchError, echo

if TYPE_CHECKING:  # geopandas is imported where used: parse_crs must stay quick to import
    import geopandas as gpd

logger = logging.getLogger(__name__)

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

#: Krasovsky 1940 semi-major axis (m) and first eccentricity squared, as used by GCJ-02.
_A = 6378245.0
_EE = 0.00669342162296594323
#: BD-09's constant: pi * 3000 / 180.
_X_PI = np.pi * 3000.0 / 180.0
#: The bounding box inside which the GCJ-02 offset applies (lon_min, lon_max, lat_min, lat_max).
CHINA_OFFSET_BBOX: tuple[float, float, float, float] = (72.004, 137.8347, 0.8293, 55.8271)
#: Iterative inverses stop when the forward transform reproduces the input to this (degrees).
_TOL_DEG = 1e-10
_MAX_ITER = 30

#: Canonical names of the non-EPSG conventions.
GCJ02 = "GCJ-02"
BD09 = "BD-09"
WGS84 = "EPSG:4326"

_ALIASES: dict[str, str] = {
    "WGS84": WGS84, "WGS-84": WGS84, "WGS 84": WGS84, "WGS_84": WGS84,
    "CGCS2000": "EPSG:4490", "CGCS-2000": "EPSG:4490", "CGCS 2000": "EPSG:4490",
    "GCJ-02": GCJ02, "GCJ02": GCJ02, "GCJ_02": GCJ02, "GCJ 02": GCJ02,
    "BD-09": BD09, "BD09": BD09, "BD_09": BD09, "BD 09": BD09,
}
_ACCEPTED = ("EPSG:<code> (e.g. EPSG:4326, EPSG:4490, EPSG:4547), WGS84, CGCS2000, "
             "GCJ-02, BD-09")


# --------------------------------------------------------------------------- helpers
def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if lon_a.shape != lat_a.shape:
        lon_a, lat_a = np.broadcast_arrays(lon_a, lat_a)
    return lon_a, lat_a


def in_china(lon: ArrayLike, lat: ArrayLike) -> npt.NDArray[np.bool_]:
    """True where a point lies in the box in which the GCJ-02 offset applies.

    Parameters
    ----------
    lon, lat
        Degrees (WGS84 or GCJ-02; the box is coarse enough that the offset does not matter).

    Returns
    -------
    numpy.ndarray
        Boolean array, same shape as the inputs.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    w, e, s, n = CHINA_OFFSET_BBOX
    return (lon_a >= w) & (lon_a <= e) & (lat_a >= s) & (lat_a <= n)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS84 ``lon``, ``lat`` (zero outside)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _invert(forward, lon: FloatArray, lat: FloatArray, start: tuple[FloatArray, FloatArray],
            what: str) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(x) = (lon, lat)`` for x by fixed-point iteration from ``start``."""
    x_lon, x_lat = start
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        r_lon = lon - f_lon
        r_lat = lat - f_lat
        x_lon = x_lon + r_lon
        x_lat = x_lat + r_lat
        err = np.nanmax(np.abs(np.concatenate([r_lon.ravel(), r_lat.ravel()])), initial=0.0)
        if err < _TOL_DEG:
            break
    else:  # pragma: no cover - the offsets are contractions; this does not happen in practice
        logger.warning("%s inverse did not converge below %g deg in %d iterations",
                       what, _TOL_DEG, _MAX_ITER)
    return x_lon, x_lat


# --------------------------------------------------------------------------- GCJ-02
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift WGS84 coordinates to GCJ-02 (Amap, Tencent).

    Parameters
    ----------
    lon, lat
        WGS84 longitude and latitude, degrees (scalars or arrays of one shape).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude, degrees. Unchanged outside China.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift GCJ-02 coordinates back to WGS84 (iterative inverse, error < 1e-10 degrees).

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude, degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude, degrees. Unchanged outside China.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return _invert(wgs84_to_gcj02, lon_a, lat_a, (lon_a - dlon, lat_a - dlat), "GCJ-02")


# --------------------------------------------------------------------------- BD-09
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift GCJ-02 coordinates to Baidu's BD-09.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude, degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude, degrees. Unchanged outside China.
    """
    x, y = _as_arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    inside = in_china(x, y)
    return (np.where(inside, z * np.cos(theta) + 0.0065, x),
            np.where(inside, z * np.sin(theta) + 0.006, y))


def _bd09_to_gcj02_approx(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    inside = in_china(lon, lat)
    return np.where(inside, z * np.cos(theta), lon), np.where(inside, z * np.sin(theta), lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift BD-09 coordinates back to GCJ-02.

    The usual closed-form inverse (off by up to ~0.2 m) is refined by fixed-point iteration
    against :func:`gcj02_to_bd09`, so a round trip is exact to < 1e-10 degrees.

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude, degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude, degrees. Unchanged outside China.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    start = _bd09_to_gcj02_approx(lon_a, lat_a)
    return _invert(gcj02_to_bd09, lon_a, lat_a, start, "BD-09")


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift WGS84 coordinates to BD-09 (via GCJ-02). Degrees in, degrees out."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Shift BD-09 coordinates back to WGS84 (via GCJ-02). Degrees in, degrees out."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_SHIFTS = {
    ("wgs84", "gcj02"): wgs84_to_gcj02, ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("wgs84", "bd09"): wgs84_to_bd09, ("bd09", "wgs84"): bd09_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09, ("bd09", "gcj02"): bd09_to_gcj02,
}
#: The scenario's ``coords`` flags (a layer's or the network's lon/lat convention).
COORDS_FLAGS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")
#: The ``coords`` flag of each shifted convention :func:`parse_crs` returns.
COORDS_OF_CRS: dict[str, str] = {GCJ02: "gcj02", BD09: "bd09"}


def shift_coords(lon: ArrayLike, lat: ArrayLike, src: str,
                 dst: str = "wgs84") -> tuple[FloatArray, FloatArray]:
    """Shift lon/lat degrees from one coordinate convention to another.

    The one dispatch on the scenario's ``coords`` flags: layers, line networks and GraphML
    nodes flagged ``coords = "gcj02"``/``"bd09"`` all come back to WGS84 through it.

    Parameters
    ----------
    lon, lat
        Degrees in convention ``src`` (scalars or arrays of one shape).
    src, dst
        {"wgs84", "gcj02", "bd09"} (see :data:`COORDS_FLAGS`); ``dst`` defaults to WGS84.

    Returns
    -------
    tuple of numpy.ndarray
        float64 longitude and latitude in ``dst``, degrees (a copy when ``src == dst``).

    Raises
    ------
    ValueError
        An unknown convention.
    """
    for flag in (src, dst):
        if flag not in COORDS_FLAGS:
            msg = f"unknown coordinate convention '{flag}'; use one of {', '.join(COORDS_FLAGS)}"
            raise ValueError(msg)
    lon_a, lat_a = _as_arrays(lon, lat)
    if src == dst:
        return lon_a.copy(), lat_a.copy()
    out_lon, out_lat = _SHIFTS[(src, dst)](lon_a, lat_a)
    return np.asarray(out_lon, dtype=np.float64), np.asarray(out_lat, dtype=np.float64)


def shift_geometries(geoms: ArrayLike, src: str, dst: str) -> np.ndarray:
    """Apply a GCJ-02/BD-09 shift to every vertex of shapely geometries.

    Parameters
    ----------
    geoms
        Array of shapely geometries with lon/lat degree coordinates (any dimension; Z kept).
    src, dst
        Conventions, ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` (see :func:`shift_coords`).

    Returns
    -------
    numpy.ndarray
        New geometries (object array); the input is not modified.
    """
    arr = np.asarray(geoms, dtype=object)
    if src == dst:
        return arr.copy()

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = shift_coords(coords[:, 0], coords[:, 1], src, dst)
        out = coords.copy()
        out[:, 0] = x
        out[:, 1] = y
        return out

    return shapely.transform(arr, move, include_z=False)


# --------------------------------------------------------------------------- CRS names
def parse_crs(text: str, *, where: str = "") -> str:
    """Normalise a CRS name as users write it.

    Parameters
    ----------
    text
        ``"EPSG:4326"``, ``"epsg:4547"``, ``"WGS84"``, ``"CGCS2000"`` (-> EPSG:4490),
        ``"GCJ-02"``/``"GCJ02"``, ``"BD-09"``/``"BD09"`` (case-insensitive).
    where
        Prefix for the error message (e.g. the scenario file and field).

    Returns
    -------
    str
        ``"EPSG:<code>"`` (checked with pyproj), ``"GCJ-02"`` or ``"BD-09"``.

    Raises
    ------
    CRSMismatchError
        One line listing the accepted forms. Also for a code PROJ knows that is not a 2-D
        geographic or projected CRS (a vertical, geocentric, 3-D or compound one): layers
        are 2-D lon/lat or x/y.
    """
    prefix = f"{where}: " if where else ""
    raw = str(text).strip()
    alias = _ALIASES.get(raw.upper())
    if alias is not None:
        return alias
    m = re.fullmatch(r"EPSG\s*:\s*(\d{4,6})", raw, flags=re.IGNORECASE)
    if m is None:
        msg = f"{prefix}unknown CRS {echo(raw)}; use one of {_ACCEPTED}"
        raise CRSMismatchError(msg)
    code = int(m.group(1))
    try:
        crs = CRS.from_epsg(code)
    except CRSError:
        msg = f"{prefix}EPSG code {code} is not known to PROJ; use one of {_ACCEPTED}"
        raise CRSMismatchError(msg) from None
    if crs.is_compound or not (crs.is_geographic or crs.is_projected) or len(
            crs.axis_info) != 2:
        kind = crs.type_name[0].lower() + crs.type_name[1:]
        msg = (f"{prefix}EPSG:{code} ({crs.name}) is a {kind}, not a 2-D geographic or "
               f"projected CRS; use one of {_ACCEPTED}")
        raise CRSMismatchError(msg)
    return f"EPSG:{code}"


def is_shift(crs: str) -> bool:
    """True for the non-EPSG conventions ``"GCJ-02"`` and ``"BD-09"`` (after :func:`parse_crs`)."""
    return crs in (GCJ02, BD09)


def crs_slug(crs: str) -> str:
    """A file-name-safe form of a CRS name: ``"EPSG:4547"`` -> ``"EPSG4547"``, ``"GCJ-02"`` ->
    ``"GCJ02"``."""
    return re.sub(r"[^A-Za-z0-9]", "", parse_crs(crs))


# --------------------------------------------------------------------------- frames
def to_output_crs(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """Reproject (or shift) a GeoDataFrame for export. Writes nothing; returns a copy.

    Parameters
    ----------
    gdf
        Input layer; normally WGS84 (EPSG:4326). A frame in another CRS is first brought to
        WGS84. A frame without CRS raises.
    crs
        Anything :func:`parse_crs` accepts. ``EPSG:xxxx`` goes through pyproj
        (``GeoDataFrame.to_crs``); ``GCJ-02`` / ``BD-09`` shift the lon/lat vertices and the
        result keeps the EPSG:4326 label, because neither is a real CRS (GIS software treats
        such data as WGS84, which is what overlaying on an Amap/Baidu basemap needs).

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in the requested CRS.

    Raises
    ------
    CRSMismatchError
        If ``gdf`` has no CRS or ``crs`` is not understood.
    """
    import geopandas as gpd

    target = parse_crs(crs)
    if gdf.crs is None:
        msg = "to_output_crs: the layer has no CRS; set it (gdf.set_crs('EPSG:4326')) first"
        raise CRSMismatchError(msg)
    if not is_shift(target):
        return gdf.to_crs(target)
    out = gdf.to_crs(WGS84) if not CRS.from_user_input(gdf.crs).equals(CRS.from_epsg(4326)) \
        else gdf.copy()
    dst = "gcj02" if target == GCJ02 else "bd09"
    out[out.geometry.name] = gpd.GeoSeries(
        shift_geometries(out.geometry.values, "wgs84", dst), index=out.index, crs=WGS84)
    return out


def utm_crs(lon: ArrayLike, lat: ArrayLike) -> str:
    """The UTM zone (WGS84 datum) containing the mean of the given points.

    The one rule siting uses to pick a metric CRS: the road network's ``x``/``y`` (mean of
    its nodes), hexagon bins and the briefing's maps (centre of a layer's bounds, through
    :func:`layer_utm_crs`) and zone areas all call it.

    Parameters
    ----------
    lon, lat
        WGS84 degrees, scalars or arrays (NaNs ignored).

    Returns
    -------
    str
        ``"EPSG:326zz"`` north of the equator, ``"EPSG:327zz"`` south (e.g. ``"EPSG:32649"``
        for Suizhou, 113.4 E).

    Raises
    ------
    ValueError
        No finite coordinate given.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    if not ok.any():
        msg = "utm_crs: no finite coordinates given"
        raise ValueError(msg)
    mlon = float(np.nanmean(np.where(np.isfinite(lon_a), lon_a, np.nan)))
    mlat = float(np.nanmean(np.where(np.isfinite(lat_a), lat_a, np.nan)))
    if not (np.isfinite(mlon) and np.isfinite(mlat)):
        msg = "utm_crs: no finite coordinates given"
        raise ValueError(msg)
    mlon = ((mlon + 180.0) % 360.0) - 180.0
    zone = min(int((mlon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{32600 + zone if mlat >= 0 else 32700 + zone}"


#: Former name of :func:`utm_crs` (kept importable).
metric_crs = utm_crs


def layer_utm_crs(geo: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """:func:`utm_crs` of the centre of a layer's bounds (in WGS84), e.g. ``"EPSG:32649"``.

    Parameters
    ----------
    geo
        A GeoDataFrame or GeoSeries with a CRS (any; its bounds are taken in EPSG:4326).

    Returns
    -------
    str
        ``"EPSG:326zz"`` / ``"EPSG:327zz"``.

    Raises
    ------
    CRSMismatchError
        The layer has no CRS.
    ValueError
        The layer is empty.
    """
    if geo.crs is None:
        msg = "layer_utm_crs: the layer has no CRS; set it (gdf.set_crs('EPSG:4326')) first"
        raise CRSMismatchError(msg)
    wgs = geo if CRS.from_user_input(geo.crs).equals(CRS.from_epsg(4326)) else geo.to_crs(WGS84)
    x0, y0, x1, y1 = wgs.total_bounds
    return utm_crs((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def point_xy(gdf: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """(n, 2) coordinates of a point layer in ``crs`` (e.g. the network's metric CRS)."""
    g = gdf.geometry.to_crs(crs)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()]) if len(g) else np.empty((0, 2))
