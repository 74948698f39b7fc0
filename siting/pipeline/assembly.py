"""Assembling the result: the solved plan keyed by the input ids, with its figures and report.

:func:`assemble` turns a :class:`~siting.model.Solution` into a
:class:`~siting.results.SitingResult`: the station table, demand with its served share,
candidates marked chosen, service areas, the context layers (supply, substations, sensitive
sites, corridors), zones with their coverage, and the typed report.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting.candidates import RuleLayers
from siting.corridors import Flow, flows_gdf
from siting.coverage import SiteReach
from siting.economics import station_costs
from siting.figures import (
    DemandArrays,
    PlanFigures,
    ReportInputs,
    build_report,
    station_years,
    unique_served,
)
from siting.model import ModelInput, Solution
from siting.model.decode import nearest_alloc
from siting.network import RoadNetwork
from siting.report import Report
from siting.results import SitingResult, station_table
from siting.scenario import Scenario
from siting.service_areas import coverage_areas


def assemble(sc: Scenario, net: RoadNetwork, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
             options: pd.DataFrame, cover: sp.csr_matrix, reach: SiteReach, flows: list[Flow],
             sol: Solution, mi: ModelInput, rules: RuleLayers,
             in_zone: dict[str, np.ndarray] | None = None) -> SitingResult:
    """Turn the solution into a :class:`SitingResult` keyed by the input ids.

    Station figures are the final planning year's (named in ``figures_year``); per year they
    are in ``station_years`` and the report.
    """
    open_year = np.asarray(sol.open_year, dtype=int)
    served = np.clip(np.asarray(sol.served, dtype=float), 0.0, 1.0)
    energy = demand["energy"].to_numpy(dtype=float)
    share = _allocation_shares(sol, cover, open_year, mi.year, served, energy,
                               sc.solver.capacitated)
    dem_arrays = DemandArrays.from_demand(demand, sc.years)
    fig = PlanFigures.compute(share, dem_arrays, options, len(sc.years), flows,
                              getattr(sol, "flow_alloc", None))
    last = len(sc.years) - 1
    unique = unique_served(share, cover, open_year, dem_arrays, last)
    stations = station_table(options, sites, open_year, sc.years, fig, sc, unique_weight=unique)
    per_year = station_costs(station_years(options, open_year, sc.years, fig), options, sc)

    dem = _demand_served(demand, served, share, options)
    cand = sites.copy()
    chosen_sites = set(options["site_idx"].to_numpy()[open_year >= 0].tolist())
    cand["chosen"] = [i in chosen_sites for i in range(len(cand))]
    areas = coverage_areas(sc, net, options, open_year, reach)
    roads = net.edges_gdf()
    extra = _extra_layers(sc, sol, net, rules, flows)
    zone_names, zone_names_en = _zone_names(rules.zones)
    report = build_report(sc, sol, ReportInputs(
        net=net, demand=dem, stations=stations, station_years=per_year, candidates=cand,
        options=options, flows=flows, extra=extra, zone_names=zone_names,
        budget_total=float(mi.budget_total), budget_by_year=mi.budget_by_year,
        zone_names_en=zone_names_en, in_zone=in_zone or {}, model_input=mi))
    zones = _zones_with_coverage(rules.zones, report)
    return SitingResult(sc, stations, dem, cand.drop(columns=["capex_factor"], errors="ignore"),
                        areas, zones, roads, report, extra, station_years=per_year)


def _demand_served(demand: gpd.GeoDataFrame, served: np.ndarray, share: sp.csr_matrix,
                   options: pd.DataFrame) -> gpd.GeoDataFrame:
    """Demand with ``served_share`` (0-1) and ``served_by`` (the site serving the largest
    share of it; empty when none does)."""
    n_opt = len(options)
    dem = demand.copy()
    dem["served_share"] = np.round(served, 6)
    best = np.asarray(share.argmax(axis=1)).ravel() if n_opt else np.zeros(len(dem), int)
    has = np.asarray(share.max(axis=1).todense()).ravel() > 1e-9 if n_opt else np.zeros(
        len(dem), bool)
    dem["served_by"] = np.where(has, options["site_id"].to_numpy()[best] if n_opt else "", "")
    return dem


def _extra_layers(sc: Scenario, sol: Solution, net: RoadNetwork, rules: RuleLayers,
                  flows: list[Flow]) -> dict[str, gpd.GeoDataFrame]:
    """The context layers of the result: supply sites (with their use), substations,
    sensitive sites and corridors (with the trucks covered), by layer name."""
    extra: dict[str, gpd.GeoDataFrame] = {}
    if rules.supply is not None:
        extra["h2_supply"] = _supply_layer(sc, sol, rules.supply)
    if rules.substations is not None:
        extra["substations"] = rules.substations
    if rules.sensitive is not None:
        extra["sensitive"] = rules.sensitive
    if flows:
        fg = flows_gdf(flows, net.crs)
        fc = getattr(sol, "flow_covered", None)
        fg["covered"] = (np.asarray(fc, dtype=float) if fc is not None
                         else np.zeros(len(flows)))
        extra["corridors"] = fg
    return extra


def _zone_names(zones: gpd.GeoDataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    """Zone names by zone id, and their English names (empty without zones)."""
    zone_names = ({} if zones is None else
                  dict(zip(zones["zone_id"].astype(str), zones["name"].astype(str))))
    zone_names_en = ({} if zones is None or "name_en" not in zones else
                     dict(zip(zones["zone_id"].astype(str), zones["name_en"].astype(str))))
    return zone_names, zone_names_en


def _zones_with_coverage(zones: gpd.GeoDataFrame | None, report: Report
                         ) -> gpd.GeoDataFrame | None:
    """The zones layer with the share of each zone's final-year demand covered (and its
    floor): ``coverage_share``, ``demand_weight``, ``min_share`` (NaN where none)."""
    if zones is None or not report.zone_coverage:
        return zones
    out = zones.copy()
    ids = out["zone_id"].astype(str)
    zc = report.zone_coverage

    def col(attr: str) -> list[float]:
        vals = [getattr(zc[z], attr) if z in zc else None for z in ids]
        return [np.nan if v is None else float(v) for v in vals]

    out["coverage_share"] = col("coverage_share")
    out["demand_weight"] = col("demand_weight")
    out["min_share"] = col("min_share")
    return out


def _supply_layer(sc: Scenario, sol: Solution, supply: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The supply sites with what the plan draws from each in the final year, kg/day."""
    out = supply.copy()
    use = getattr(sol, "supply_use", None)
    year = sc.years[-1]
    out[f"used_kg_per_day_{year}"] = (np.round(use[:, -1], 3) if use is not None
                                      else np.nan)
    return out


def _allocation_shares(sol: Solution, cover: sp.csr_matrix, open_year: np.ndarray,
                       year: np.ndarray, served: np.ndarray, energy: np.ndarray,
                       capacitated: bool) -> sp.csr_matrix:
    """(n_demand, n_options) share of each demand's full need served by each option."""
    if capacitated and sol.alloc is not None:
        alloc = sp.csr_matrix(sol.alloc)
        inv = np.divide(1.0, energy, out=np.zeros_like(energy), where=energy > 0)
        return sp.csr_matrix(sp.diags(inv) @ alloc)
    # Uncapacitated: each served demand goes to its nearest station open in its year.
    return nearest_alloc(cover, open_year, year, served)
