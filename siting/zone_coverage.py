"""Coverage by zone, and the coverage floors of a scenario (its target, its zones' minimums).

A zone's demand is the demand of the fleet points lying inside its polygon (a point inside
two nested zones counts for both). Its coverage is a *share*: the covered weight (NEV vehicles
or kWh/day, the scenario's ``weight``) of one planning year over the zone's whole weight that
year, demand no station can reach included — not a count of stations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import shapely

from siting.model import CoverageFloor
from siting.report import ZoneCoverage

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.figures import DemandArrays
    from siting.scenario import Scenario

BoolArray = npt.NDArray[np.bool_]


def demand_in_zones(demand: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None
                    ) -> dict[str, BoolArray]:
    """Per zone id, which demand rows lie inside the zone (on its boundary counts as inside).

    Parameters
    ----------
    demand
        Demand points (EPSG:4326), one row per fleet point × pathway × year.
    zones
        Zone polygons (EPSG:4326) with ``zone_id``; None gives ``{}``.
    """
    if zones is None or not len(zones) or not len(demand):
        return {}
    pts = demand.geometry.to_crs(zones.crs) if demand.crs != zones.crs else demand.geometry
    xy = shapely.get_coordinates(pts.to_numpy())
    out: dict[str, BoolArray] = {}
    for zid, geom in zip(zones["zone_id"].astype(str), zones.geometry, strict=True):
        if geom is None or geom.is_empty:
            out[zid] = np.zeros(len(demand), dtype=bool)
            continue
        shapely.prepare(geom)
        out[zid] = np.asarray(shapely.intersects_xy(geom, xy[:, 0], xy[:, 1]), dtype=bool)
    return out


def _year_rows(demand: gpd.GeoDataFrame, year: int) -> BoolArray:
    return (demand["year"].to_numpy() == year)


def target_floor(sc: Scenario, demand: gpd.GeoDataFrame) -> CoverageFloor | None:
    """The floor of ``[objective] target_share`` on the final year's demand (None: no target)."""
    share = sc.objective.target_share
    if share is None:
        return None
    year = sc.years[-1]
    rows = np.flatnonzero(_year_rows(demand, year))
    what = "NEV vehicles" if sc.weight == "vehicles" else "daily energy"
    return CoverageFloor(rows, float(share),
                         f"target: {100 * share:g} % of the {year} demand ({what}) covered")


def zone_floors(sc: Scenario, demand: gpd.GeoDataFrame, in_zone: dict[str, BoolArray]
                ) -> list[CoverageFloor]:
    """The floors of ``[[zone_coverage]]`` (zones' minimum covered shares), in file order."""
    out = []
    for z in sc.zone_coverage:
        year = z.by_year if z.by_year is not None else sc.years[-1]
        mask = in_zone.get(z.zone, np.zeros(len(demand), dtype=bool)) & _year_rows(demand, year)
        out.append(CoverageFloor(np.flatnonzero(mask), float(z.min_share),
                                 f"zone '{z.zone}' covered at least {100 * z.min_share:g} % "
                                 f"in {year}"))
    return out


def zone_coverage(sc: Scenario, dem: DemandArrays, served: np.ndarray,
                  in_zone: dict[str, BoolArray], zone_names: dict[str, str],
                  zone_names_en: dict[str, str] | None = None) -> dict[str, ZoneCoverage]:
    """Per zone, the share of its final-year demand the plan covers (and its floor, if any).

    A zone with a floor in an earlier year reports that year's share as ``min_share_year``.
    """
    last = len(sc.years) - 1
    floors = {z.zone: z for z in sc.zone_coverage}
    out = {}
    for zid, mask in in_zone.items():
        m = mask & (dem.year == last)
        w = float(dem.weight[m].sum())
        wc = float((dem.weight[m] * served[m]).sum())
        fl = floors.get(zid)
        floor_year = None if fl is None else (fl.by_year or sc.years[-1])
        floor_share = None
        if fl is not None and floor_year is not None:
            mf = mask & (dem.year == sc.years.index(floor_year))
            wf = float(dem.weight[mf].sum())
            floor_share = float((dem.weight[mf] * served[mf]).sum()) / wf if wf > 0 else None
        out[zid] = ZoneCoverage(
            name=zone_names.get(zid, ""), name_en=(zone_names_en or {}).get(zid, ""),
            year=sc.years[-1],
            coverage_share=wc / w if w > 0 else None, demand_weight=w, weight_covered=wc,
            nev_vehicles=float(dem.vehicles[m].sum()),
            vehicles_covered=float((dem.vehicles[m] * served[m]).sum()),
            min_share=None if fl is None else float(fl.min_share), min_share_year=floor_year,
            share_in_min_year=floor_share)
    return out
