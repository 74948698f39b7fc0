"""The solved plan, keyed by the original ids, ready for maps and exports.

:class:`SitingResult` is what every output writer consumes: GeoDataFrames in WGS84
(EPSG:4326) plus the ``report`` dict of the output contract. Nothing downstream needs the
model, the network or the scenario's raw layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from siting.scenario import Scenario

#: Columns every ``stations`` frame carries (the output contract's, plus display fields).
STATION_COLUMNS: tuple[str, ...] = (
    "site_id", "name", "station_type", "family", "capex", "capacity", "capacity_unit", "zone",
    "year", "existing", "served_demand", "served_energy", "n_demand_served", "marginal_demand",
    "reason",
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


# --------------------------------------------------------------------------- assembling
def station_table(options: pd.DataFrame, sites: gpd.GeoDataFrame, open_year: np.ndarray,
                  years: list[int], served_weight: np.ndarray, served_energy: np.ndarray,
                  n_served: np.ndarray, scenario: Scenario, *,
                  unique_weight: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """The chosen (and existing) stations as WGS84 points with ``STATION_COLUMNS``.

    Parameters
    ----------
    options
        Options table from :func:`siting.candidates.build_options`.
    sites
        Sites (EPSG:4326) that ``options.site_idx`` indexes.
    open_year
        (n_options,) index into ``years`` of the year each option opens, -1 if never.
    years
        Planning years.
    served_weight, served_energy, n_served
        Per option: objective weight served, daily energy served, demand points served.
    unique_weight
        Per option: weight of the demand only this station can reach (its marginal coverage
        before capacity effects); None = not computed.
    scenario
        For type names and families.
    """
    chosen = np.flatnonzero(open_year >= 0)
    opt = options.iloc[chosen]
    types = {t.id: t for t in scenario.station_types}
    reasons = []
    for k, o in zip(chosen, opt.itertuples(index=False)):
        if o.existing:
            reasons.append("existing station")
            continue
        marginal = ("" if unique_weight is None else
                    f", {unique_weight[k]:.1f} of it reachable from no other chosen station")
        reasons.append(
            f"serves {served_weight[k]:.1f} {_weight_unit(scenario)} "
            f"({n_served[k]} demand points){marginal}; eligible: {o.eligible_reason}")
    out = gpd.GeoDataFrame({
        "site_id": opt["site_id"].to_numpy(),
        "name": opt["name"].to_numpy(),
        "station_type": opt["station_type"].to_numpy(),
        "family": [types[t].family for t in opt["station_type"]],
        "capex": opt["capex"].to_numpy(dtype=float),
        "capacity": opt["capacity"].to_numpy(dtype=float),
        "capacity_unit": opt["capacity_unit"].to_numpy(),
        "zone": opt["zone"].to_numpy(),
        "year": [int(years[int(y)]) for y in open_year[chosen]],
        "existing": opt["existing"].to_numpy(dtype=bool),
        "served_demand": served_weight[chosen],
        "served_energy": served_energy[chosen],
        "n_demand_served": n_served[chosen].astype(int),
        "marginal_demand": (np.zeros(len(chosen)) if unique_weight is None
                            else np.round(unique_weight[chosen], 6)),
        "reason": reasons,
    }, geometry=sites.geometry.to_numpy()[opt["site_idx"].to_numpy()], crs=sites.crs)
    return out.sort_values(["year", "site_id", "station_type"], kind="stable").reset_index(
        drop=True)


def _weight_unit(scenario: Scenario) -> str:
    return "NEV vehicles" if scenario.weight == "vehicles" else "kWh/day"
