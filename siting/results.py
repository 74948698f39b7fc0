"""The solved plan, keyed by the original ids, ready for maps and exports.

:class:`SitingResult` is what every output writer consumes: GeoDataFrames in WGS84
(EPSG:4326) plus the ``report`` dict of the output contract. Nothing downstream needs the
model, the network or the scenario's raw layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from siting.scenario import Scenario

#: Columns every ``stations`` frame carries (the output contract's, plus display fields).
STATION_COLUMNS: tuple[str, ...] = (
    "site_id", "name", "station_type", "family", "capex", "capacity", "capacity_unit", "zone",
    "year", "existing", "served_demand", "served_energy", "n_demand_served", "reason",
)


@dataclass(frozen=True)
class SitingResult:
    """A solved scenario, in WGS84, keyed by the ids of the input layers.

    Attributes
    ----------
    scenario
        The validated scenario that was solved.
    stations
        Chosen (and existing) stations, points: ``STATION_COLUMNS``. ``year`` is the year the
        station opens; ``served_demand`` the objective weight it serves (vehicles or kWh/day per
        ``scenario.weight``); ``served_energy`` the daily energy in ``capacity_unit``'s unit.
    demand
        Demand points (one per fleet point × pathway × year) with ``served_share`` (0-1) and
        ``served_by`` (site id of the station serving most of it, "" if none).
    candidates
        Candidate sites with ``zone``, ``rule_outcome`` (why a type was or was not eligible) and
        ``chosen`` (bool).
    coverage_areas
        Polygons reachable from each chosen station within its segment thresholds:
        ``site_id``, ``station_type``, ``threshold_min``.
    zones
        Zone polygons (``zone_id``, ``name``) or None.
    roads
        Simplified road lines (``road_class``) for the basemap-free map and the briefing.
    report
        The output contract's report.json content.
    extra_layers
        Further named layers (hydrogen supply sites, substations, sensitive sites, corridors).
    """

    scenario: Scenario
    stations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    coverage_areas: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame
    report: dict[str, Any]
    extra_layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
