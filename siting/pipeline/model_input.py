"""The MIP's input from a prepared scenario, and the checks and warnings on the way.

:func:`build_model_input` turns demand rows, options and coverage into a
:class:`~siting.model.ModelInput`: years, zone requirements, grid limits, budgets, hydrogen
supply, coverage floors and corridor flows. Around it: the snap-distance check
(:func:`check_snaps`; :func:`warn_reconnected` for points moved off a stray piece of road),
the hydrogen delivery cost (a tie-breaker) and supply distances, and warnings about limits
an uncapacitated run does not model and about demand no option reaches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting._errors import NetworkError, echo
from siting.candidates import RuleLayers
from siting.corridors import Flow
from siting.coverage import Reconnected
from siting.crs import point_xy
from siting.figures import weight_unit
from siting.layers import feature_label
from siting.model import ArcCoverFlow, CoverageFloor, GridGroup, ModelInput, ZoneMinimum
from siting.network import RoadNetwork
from siting.scenario import Scenario
from siting.supply import SupplyDistances, road_distances
from siting.zone_coverage import target_floor, zone_floors

log = logging.getLogger(__name__)


def check_snaps(what: str, path: str | Path, ids: pd.Series, snap_m: np.ndarray, limit: float,
                *, n_first: int | None = None, second_path: str | Path | None = None) -> None:
    """Refuse points farther than ``limit`` (m) from the nearest road node.

    ``ids`` may hold two layers one after the other (candidates, then existing stations):
    the first ``n_first`` belong to ``path``, the rest to ``second_path``.
    """
    far = np.flatnonzero(snap_m > limit)
    if len(far):
        k = int(far[0])
        src, row = path, k
        if n_first is not None and second_path is not None and k >= n_first:
            src, row = second_path, k - n_first
        msg = (f"{feature_label(src, row, ids.iloc[k], str(ids.name))} is {snap_m[k]:.0f} m "
               f"from the nearest road (limit {limit:.0f} m); move it, extend the network, or "
               f"raise network.max_snap_m [{len(far)} {what} feature(s) too far]")
        raise NetworkError(msg)


#: A fleet point this far (m) from its road has a long straight leg ...
FAR_SNAP_M = 300.0
#: ... and when more than this share of the fleet layer's points do, a warning says so.
FAR_SNAP_SHARE = 0.2


def warn_far_snaps(path: str | Path, ids: pd.Series, snap_m: np.ndarray,
                   access_speed_kph: float) -> None:
    """Warn when over :data:`FAR_SNAP_SHARE` of the fleet points lie more than
    :data:`FAR_SNAP_M` from their road: their straight legs, timed at ``access_speed_kph``,
    then make much of every drive (a sparse or clipped network extract covers more than it
    should, or the coordinates are off)."""
    snap_m = np.asarray(snap_m, dtype=float)
    far = snap_m > FAR_SNAP_M
    if not len(snap_m) or far.mean() <= FAR_SNAP_SHARE:
        return
    k = int(np.argmax(snap_m))
    farthest = feature_label(path, k, ids.iloc[k], str(ids.name)).removeprefix(f"{path}: ")
    log.warning("%s: %.0f%% of the fleet features are more than %.0f m from the nearest road "
                "(median %.0f m; farthest %s, %.0f m); the straight leg to the road is timed "
                "at network.access_speed_kph = %g km/h and makes much of their drives - check "
                "that the road network holds the roads the vehicles use (not a sparse or "
                "clipped extract) and that the points' coordinates are right",
                path, 100 * far.mean(), FAR_SNAP_M, float(np.median(snap_m)),
                farthest, snap_m[k], access_speed_kph)


def warn_reconnected(path: str | Path, ids: pd.Series, again: Reconnected, *,
                     old_snap_m: np.ndarray) -> None:
    """Warn that fleet points were snapped past a network piece no candidate site is on
    (:func:`siting.coverage.reconnect_stranded`): the first, how many, the longest leg."""
    k = int(again.moved[0])
    others = len(again.moved) - 1
    log.warning("%s%s: the nearest road is on a piece of the network that no road connects to "
                "any candidate site, so it was snapped to the nearest road that does connect "
                "(%.0f m away instead of %.0f m; longest such leg %.0f m, within "
                "network.max_snap_m); check the road network there if that is wrong",
                feature_label(path, k, ids.iloc[k], str(ids.name)),
                f" and {others} other fleet feature(s)" if others else "",
                again.snap_m[k], old_snap_m[k], float(again.snap_m[again.moved].max()))


def delivery_cost(sc: Scenario, options: pd.DataFrame) -> np.ndarray | None:
    """Hydrogen delivery cost of each option over the plan, CNY (a tie-breaker only).

    ``cost_per_kg_km × supply distance (km) × hydrogen capacity (kg/day) × 365 × years`` for
    delivered-hydrogen options; zero for the rest. Among plans of equal coverage the one whose
    hydrogen travels less wins; it never limits the budget or trades coverage.
    """
    if sc.hydrogen is None or sc.hydrogen.cost_per_kg_km <= 0 or options.empty:
        return None
    km = options["supply_km"].to_numpy(dtype=float)
    kg = options["h2_capacity"].to_numpy(dtype=float)
    cost = sc.hydrogen.cost_per_kg_km * np.nan_to_num(km) * kg * 365.0 * len(sc.years)
    return np.where(np.isfinite(cost), cost, 0.0)


def supply_ids_kg(rules: RuleLayers) -> tuple[list[str], np.ndarray]:
    """Supply site ids and their daily output, kg/day."""
    if rules.supply is None:
        return [], np.zeros(0)
    return (rules.supply["supply_id"].astype(str).tolist(),
            rules.supply["kg_per_day"].to_numpy(dtype=float))


def supply_measure(sc: Scenario, net: RoadNetwork, rules: RuleLayers
                   ) -> Callable[[np.ndarray], SupplyDistances] | None:
    """Road distances from the supply sites to any site coordinates (None: no supply)."""
    if sc.hydrogen is None or rules.supply is None or not len(rules.supply):
        return None
    spec = sc.hydrogen
    pts = rules.supply.geometry.representative_point()
    supply_xy = point_xy(gpd.GeoDataFrame(geometry=pts, crs=rules.supply.crs), net.crs)
    ids, kg = supply_ids_kg(rules)

    def measure(site_xy: np.ndarray) -> SupplyDistances:
        return road_distances(net, site_xy, supply_xy, ids, kg, limit_km=spec.delivery_km,
                              max_snap_m=sc.network.max_snap_m)

    return measure


def warn_unmodelled_limits(sc: Scenario, options: pd.DataFrame) -> None:
    """Uncapacitated runs model no daily limit: say which stated limits are then ignored."""
    if sc.solver.capacitated:
        return
    ignored = []
    if np.isfinite(options["vehicles_cap"].to_numpy(dtype=float)).any():
        ignored.append("station types' vehicles_per_day")
    if sc.hydrogen is not None and options["delivered_h2"].any():
        ignored.append("hydrogen supply sites' kg_per_day")
    if any(sc.corridor_use_per_km(c) > 0 for c in sc.corridors):
        ignored.append("corridor trucks' refuelling energy")
    if ignored:
        log.warning("%s: [solver] capacitated = false: %s are not enforced (an uncapacitated "
                    "run models no daily limit); set capacitated = true to enforce them",
                    sc.source_file, ", ".join(ignored))


def fleet_rows(fleet: gpd.GeoDataFrame, demand: gpd.GeoDataFrame) -> np.ndarray:
    """Row of the fleet layer behind each demand row (fleet ids are unique)."""
    pos = pd.Series(np.arange(len(fleet)), index=fleet["fleet_id"].astype(str).to_numpy())
    return pos.reindex(demand["fleet_id"].astype(str).to_numpy()).to_numpy(dtype=int)


def warn_unreachable(sc: Scenario, demand: gpd.GeoDataFrame, cover: sp.csr_matrix,
                     options: pd.DataFrame) -> None:
    """Warn when over a fifth of the final year's demand weight reaches no option, telling
    apart the pathways no candidate offers from the demand beyond every threshold."""
    if not len(demand):
        return
    year = demand["year"].to_numpy()
    last = year == year.max()
    w = demand["weight"].to_numpy(dtype=float)
    reach = np.asarray(cover.getnnz(axis=1) > 0)
    total = float(w[last].sum())
    lost = last & ~reach
    if total <= 0 or float(w[lost].sum()) <= 0.2 * total:
        return
    offered = set().union(*options["serves"]) if len(options) else set()
    pathway = demand["pathway"].to_numpy()
    unit = weight_unit(sc.weight)
    parts = []
    for p in sorted(set(pathway[lost].tolist()) - offered):
        parts.append(f"{w[lost & (pathway == p)].sum():,.1f} need the {p} pathway, which no "
                     "candidate site's allowed_types offers")
    far = np.flatnonzero(lost & np.isin(pathway, sorted(offered)))
    if len(far):
        parts.append(f"{w[far].sum():,.1f} are farther than their segment's threshold_min "
                     f"from every candidate of their pathway (first: fleet_id "
                     f"{echo(demand['fleet_id'].iloc[int(far[0])])})")
    log.warning("%s: in %d, %s of %s %s (%.0f%%) can reach no candidate option: %s; they "
                "cannot be covered", sc.demand.path, int(year.max()), f"{w[lost].sum():,.1f}",
                f"{total:,.1f}", unit, 100 * w[lost].sum() / total, "; ".join(parts))


def build_model_input(sc: Scenario, demand: gpd.GeoDataFrame, options: pd.DataFrame,
                      cover: sp.csr_matrix, rules: RuleLayers, flows: list[Flow],
                      demand_zones: dict[str, np.ndarray] | None = None) -> ModelInput:
    """The siting MIP's input for a prepared scenario.

    Parameters
    ----------
    sc
        The scenario (years, budgets, zone requirements, grid, hydrogen, coverage floors).
    demand
        Demand rows (:func:`siting.demand.build_demand`): weight, energy, year, pathway.
    options
        Buildable options (:func:`siting.candidates.build_options`).
    cover
        (n_demand, n_options) travel times, s, of the pairs within the demand's threshold.
    rules
        The rule layers (substations for the grid limits, supply sites).
    flows
        Corridor flows (:func:`siting.corridors.corridor_flows`).
    demand_zones
        Per zone id, the demand rows inside it (for the zones' coverage floors).

    Returns
    -------
    siting.model.ModelInput
        Costs in CNY, capacities per day, grid limits in kW, supply in kg/day.
    """
    year_idx = demand["year"].map({y: k for k, y in enumerate(sc.years)}).to_numpy(dtype=int)
    zone_min, zone_labels = _zone_minimums(sc, options)
    grid_groups, grid_labels = _grid_groups(sc, options, rules)
    budget_by_year = (np.array([sc.budget_for_year(y) for y in sc.years], dtype=float)
                      if sc.budget.by_year else None)
    ids, kg = supply_ids_kg(rules)
    supply_pairs = _supply_pairs(sc, options, ids)
    floors, minimise_cost, budget_total = _floors_and_budget(sc, demand, demand_zones or {})
    return ModelInput(
        coverage_floors=floors, minimise_cost=minimise_cost,
        option_tiebreak=delivery_cost(sc, options),
        weight=demand["weight"].to_numpy(dtype=float),
        energy=demand["energy"].to_numpy(dtype=float),
        year=year_idx,
        cover=cover,
        option_site=options["site_idx"].to_numpy(dtype=int),
        option_cost=options["capex"].to_numpy(dtype=float),
        option_capacity=options["capacity"].to_numpy(dtype=float),
        option_capacity_h2=options["h2_capacity"].to_numpy(dtype=float),
        unit=(demand["pathway"] == "hydrogen").to_numpy().astype(np.int64),
        year_labels=[str(y) for y in sc.years],
        source=str(sc.source_file),
        option_existing=options["existing"].to_numpy(dtype=bool),
        budget_total=budget_total,
        budget_by_year=budget_by_year,
        zone_min=zone_min,
        zone_labels=zone_labels,
        grid_groups=grid_groups,
        grid_labels=grid_labels,
        flows=[ArcCoverFlow(f.weight, f.arc_sets, energy=f.energy, unit=f.unit,
                            vehicles=f.vehicles, draw_options=f.draw_options) for f in flows],
        vehicles=demand["vehicles"].to_numpy(dtype=float),
        option_vehicles_cap=options["vehicles_cap"].to_numpy(dtype=float),
        supply_capacity=kg if supply_pairs is not None else None,
        supply_pairs=supply_pairs, supply_labels=ids,
    )


def _zone_minimums(sc: Scenario, options: pd.DataFrame) -> tuple[list[ZoneMinimum], list[str]]:
    """Each ``[[zone_requirements]]`` as the options that count and the minimum, with a label."""
    years = sc.years
    zone_min: list[ZoneMinimum] = []
    zone_labels: list[str] = []
    for r in sc.zone_requirements:
        in_zone = options["zones"].astype(str).str.split(";").apply(lambda zs, z=r.zone: z in zs)
        if r.station_type is not None:
            fits = options["station_type"] == r.station_type
            what = f"{r.station_type} station(s)"
        else:
            fits = options["serves"].apply(lambda s, p=r.pathway: p in s)
            what = f"{r.pathway} station(s)"
        by = years.index(r.by_year) if r.by_year is not None else len(years) - 1
        zone_min.append(ZoneMinimum(np.flatnonzero((in_zone & fits).to_numpy()), int(r.min), by))
        zone_labels.append(f"zone '{r.zone}' needs {r.min} {what} by {years[by]}")
    return zone_min, zone_labels


def _grid_groups(sc: Scenario, options: pd.DataFrame, rules: RuleLayers
                 ) -> tuple[list[GridGroup], list[str]]:
    """The options drawing on each substation, their grid load (kW) and its spare kW."""
    grid_groups: list[GridGroup] = []
    grid_labels: list[str] = []
    if sc.grid is not None and rules.substations is not None:
        spare = dict(zip(rules.substations[sc.grid.id_column].astype(str),
                         rules.substations[sc.grid.spare_column].astype(float)))
        for sub_id, grp in options.groupby("substation"):
            kw = grp["grid_kw"].to_numpy(dtype=float)
            if sub_id and (kw > 0).any():
                grid_groups.append(GridGroup(grp["option"].to_numpy(), kw,
                                             spare[str(sub_id)] * 1000.0))
                grid_labels.append(str(sub_id))
    return grid_groups, grid_labels


def _supply_pairs(sc: Scenario, options: pd.DataFrame, ids: list[str]) -> sp.csr_matrix | None:
    """(n_options, n_supply) ones where an option can draw hydrogen from a supply site."""
    if sc.hydrogen is None or not ids or "supply_reach" not in options.columns:
        return None
    col = {sid: k for k, sid in enumerate(ids)}
    r_, c_ = [], []
    for o, reach in enumerate(options["supply_reach"]):
        for sid in reach:
            r_.append(o)
            c_.append(col[sid])
    return sp.csr_matrix((np.ones(len(r_)), (r_, c_)), shape=(len(options), len(ids)))


def _floors_and_budget(sc: Scenario, demand: gpd.GeoDataFrame,
                       demand_zones: dict[str, np.ndarray]
                       ) -> tuple[list[CoverageFloor], bool, float]:
    """The coverage floors (the target first, when there is one), whether the run minimises
    cost (it has a target), and the total budget (CNY; unlimited for a target run without
    ``budget_cap``)."""
    floors = zone_floors(sc, demand, demand_zones)
    goal = target_floor(sc, demand)
    budget_total = float(sc.budget.total)
    if goal is not None:  # least cost to the target: the total budget is the question
        floors.insert(0, goal)
        if not sc.objective.budget_cap:
            budget_total = float("inf")
    return floors, goal is not None, budget_total
