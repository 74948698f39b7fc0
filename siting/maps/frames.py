"""The frames a map draws, prepared from a :class:`~siting.results.SitingResult`.

:func:`display_layers` checks that every layer is WGS84, drops empty geometries and sums a
large demand layer into hexagons; :func:`to_gcj02` shifts everything for Amap tiles;
:func:`bounds` is the extent the map opens on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from siting._errors import CRSMismatchError
from siting.crs import layer_utm_crs
from siting.maps.hexbins import aggregate_demand_hex, auto_hex_size

if TYPE_CHECKING:
    from siting.results import SitingResult

__all__ = ["AGGREGATE_ABOVE", "DisplayLayers", "bounds", "by_year", "display_layers", "to_gcj02"]

logger = logging.getLogger(__name__)

#: Above this many demand points the demand layer is summed into hexagons.
AGGREGATE_ABOVE: int = 5000


@dataclass(frozen=True)
class DisplayLayers:
    """The frames to draw, in display coordinates (WGS84, or GCJ-02 for Amap)."""

    stations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    cells: dict[int | None, gpd.GeoDataFrame]
    hex_size_m: float | None
    candidates: gpd.GeoDataFrame
    coverage: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame
    extras: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    def map(self, fn: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> DisplayLayers:
        """The same layers with ``fn`` applied to every frame (e.g. a coordinate shift)."""
        return DisplayLayers(
            stations=fn(self.stations), demand=fn(self.demand),
            cells={k: fn(v) for k, v in self.cells.items()}, hex_size_m=self.hex_size_m,
            candidates=fn(self.candidates), coverage=fn(self.coverage),
            zones=None if self.zones is None else fn(self.zones), roads=fn(self.roads),
            extras={k: fn(v) for k, v in self.extras.items()})

    def all_frames(self) -> Iterable[gpd.GeoDataFrame]:
        """The frames that set the map's extent (every layer but roads and extras)."""
        yield from (self.stations, self.demand, self.candidates, self.coverage)
        yield from self.cells.values()
        if self.zones is not None:
            yield self.zones


def display_layers(result: SitingResult, *, aggregate_above: int,
                   hex_size_m: float | None) -> DisplayLayers:
    """The result's frames ready to draw: WGS84 checked, empty geometries dropped, demand
    summed into hexagons per year when it has more than ``aggregate_above`` points."""
    def clean(gdf: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame:
        if gdf is None:
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        _check_wgs84(gdf, what)
        keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
        return gdf.loc[keep]

    demand = clean(result.demand, "demand")
    cells: dict[int | None, gpd.GeoDataFrame] = {}
    size: float | None = None
    if len(demand) > aggregate_above:
        pts = demand.to_crs(layer_utm_crs(demand))
        size = float(hex_size_m) if hex_size_m else auto_hex_size(
            pts.geometry.x.to_numpy(float), pts.geometry.y.to_numpy(float))
        for year, part in by_year(demand):
            cells[year] = aggregate_demand_hex(part, size_m=size, crs=str(pts.crs))
        logger.info("demand: %d points summed into hexagons of %.0f m", len(demand), size)
    return DisplayLayers(
        stations=clean(result.stations, "stations"), demand=demand, cells=cells,
        hex_size_m=size, candidates=clean(result.candidates, "candidates"),
        coverage=clean(result.coverage_areas, "coverage_areas"),
        zones=None if result.zones is None else clean(result.zones, "zones"),
        roads=clean(result.roads, "roads"),
        extras={str(k): clean(v, f"extra_layers['{k}']")
                for k, v in (result.extra_layers or {}).items() if v is not None and len(v)})


def _check_wgs84(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        msg = (f"SitingResult.{what}: layer is in {gdf.crs.to_string()}, expected WGS84 "
               "(EPSG:4326); reproject it with .to_crs('EPSG:4326') before building the map")
        raise CRSMismatchError(msg)


def by_year(gdf: gpd.GeoDataFrame) -> list[tuple[int | None, gpd.GeoDataFrame]]:
    """(year, rows) per planning year, or one ``(None, gdf)`` when there is a single year."""
    if "year" not in gdf.columns or gdf["year"].nunique() <= 1:
        return [(None, gdf)]
    return [(int(y), part) for y, part in gdf.groupby("year", sort=True)]


def to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Shift every coordinate from WGS84 to GCJ-02 (for Amap tiles); a copy."""
    if not len(gdf):
        return gdf
    from siting.crs import wgs84_to_gcj02

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(lon, float), np.asarray(lat, float)])

    geoms = shapely.transform(gdf.geometry.to_numpy(), shift)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def bounds(layers: DisplayLayers, *, focus: bool = False
           ) -> tuple[tuple[float, float], tuple[float, float]]:
    """((south, west), (north, east)) of the data; roads only if nothing else; padded.

    With ``focus`` only the plan's own extent counts — stations, demand and zones — when
    there are any: the map opens on them, not on the far end of a long service area.
    """
    frames = list(layers.all_frames())
    if focus:
        plan = [f for f in (layers.stations, layers.demand, *layers.cells.values(),
                            layers.zones) if f is not None and len(f)]
        frames = plan or frames
    boxes = [f.total_bounds for f in frames if len(f)]
    if not boxes and len(layers.roads):
        boxes = [layers.roads.total_bounds]
    if not boxes:  # nothing to show: Suizhou's centre
        return (31.66, 113.34), (31.73, 113.42)
    b = np.array(boxes)
    west, south, east, north = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = 0.005
    if east - west < pad:
        west, east = west - pad, east + pad
    if north - south < pad:
        south, north = south - pad, north + pad
    return (float(south), float(west)), (float(north), float(east))
