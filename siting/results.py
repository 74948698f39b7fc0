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

from siting.figures import PlanFigures
from siting.i18n import t
from siting.report import Report
from siting.scenario import Scenario

#: Columns every ``stations`` frame carries (the output contract's, plus display fields).
#: The served figures are for one year, ``figures_year`` (the final planning year).
STATION_COLUMNS: tuple[str, ...] = (
    "site_id", "name", "station_type", "family", "capex", "capacity", "capacity_unit", "zone",
    "year", "existing", "figures_year", "served_demand", "served_vehicles", "served_energy",
    "energy_unit", "served_h2_kg", "utilisation", "n_demand_served", "marginal_demand",
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
        station opens. The served figures are the final planning year's (``figures_year``):
        ``served_demand`` the objective weight (vehicles or kWh/day per ``scenario.weight``),
        ``served_vehicles``, ``served_energy`` per day in ``energy_unit`` (the unit of
        ``capacity_unit`` without ``/day``), ``served_h2_kg`` per day for integrated stations,
        ``utilisation`` = served energy / capacity.
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
        The run report (:class:`siting.report.Report`, report.json's content).
    extra_layers
        Further named layers (hydrogen supply sites, substations, sensitive sites, corridors).
    station_years
        One row per station and year it is open: vehicles, energy per day, capacity and
        utilisation (:func:`siting.figures.station_years`).
    """

    scenario: Scenario
    stations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    coverage_areas: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame
    report: Report
    extra_layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    station_years: pd.DataFrame | None = None


# --------------------------------------------------------------------------- assembling
def station_table(options: pd.DataFrame, sites: gpd.GeoDataFrame, open_year: np.ndarray,
                  years: list[int], fig: PlanFigures, scenario: Scenario, *,
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
        Planning years; the served figures are the last year's.
    fig
        What each option serves per year (:class:`siting.figures.PlanFigures`).
    scenario
        For type names, families and the weight's unit.
    unique_weight
        Per option: weight it serves in the final year to demand no other chosen station can
        reach (at most what it serves); None = not computed.
    """
    last = len(years) - 1
    chosen = np.flatnonzero(open_year >= 0)
    opt = options.iloc[chosen]
    types = {t.id: t for t in scenario.station_types}
    energy, _cap, util = fig.main()
    unit = np.where(np.isfinite(fig.cap_kwh), "kWh/day", "kg/day")
    h2_side = np.where(np.isfinite(fig.cap_kwh) & np.isfinite(fig.cap_kg), fig.kg[last], np.nan)
    reasons = [_reason(o, k, fig, energy[last], unit, util[last], unique_weight, years[last],
                       scenario) for k, o in zip(chosen.tolist(), opt.itertuples(index=False))]
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
        "figures_year": int(years[last]),
        "served_demand": fig.weight[last, chosen],
        "served_vehicles": fig.vehicles[last, chosen],
        "served_energy": energy[last, chosen],
        "energy_unit": unit[chosen],
        "served_h2_kg": h2_side[chosen],
        "utilisation": util[last, chosen],
        "n_demand_served": fig.rows[last, chosen].astype(int),
        "marginal_demand": (np.zeros(len(chosen)) if unique_weight is None
                            else np.round(unique_weight[chosen], 6)),
        "reason": reasons,
    }, geometry=sites.geometry.to_numpy()[opt["site_idx"].to_numpy()], crs=sites.crs)
    return out.sort_values(["year", "site_id", "station_type"], kind="stable").reset_index(
        drop=True)


def _reason(o: Any, k: int, fig: PlanFigures, energy: np.ndarray, unit: np.ndarray,
            util: np.ndarray, unique_weight: np.ndarray | None, year: int,
            scenario: Scenario) -> str:
    """Why a station is in the plan, in the final year's figures (never a sum over years),
    in the scenario's language (``reason.*`` labels)."""
    lang = scenario.lang
    if o.existing:
        return t("rule.existing", lang)
    wu = t("unit.vehicles", lang) if scenario.weight == "vehicles" else t("unit.kwh_day", lang)
    e_unit = t("unit.kwh_day", lang) if unit[k] == "kWh/day" else t("unit.kg_day", lang)
    text = t("reason.serves", lang, year=year, value=f"{fig.weight[-1, k]:,.1f}", unit=wu,
             n=int(fig.rows[-1, k]), energy=f"{energy[k]:,.0f}", energy_unit=e_unit)
    if np.isfinite(util[k]):
        text += t("reason.utilisation", lang, share=f"{util[k]:.0%}")
    if unique_weight is not None:
        text += t("reason.unique", lang, value=f"{unique_weight[k]:,.1f}", unit=wu)
    return text + t("reason.eligible", lang, why=o.eligible_reason)
