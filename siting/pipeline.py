"""Run a scenario end to end: layers → network → demand/options → coverage → MIP → result.

:func:`solve_scenario` returns a :class:`~siting.results.SitingResult`; :func:`run` also writes
the output contract into a folder (atomically). Each stage reports its progress and time through
a :class:`StageHooks` (the CLI shows them as rich progress bars; library users get no output).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting._checks import (
    check_layers_overlap,
    check_reachable,
    check_speed_classes,
    warn_gcj_suspects,
    warn_unused_setbacks,
)
from siting._errors import InputDataError, NetworkError
from siting._resources import (
    SMALLER_MIP_HINT,
    check_fits,
    check_scenario_files,
    estimate_run_bytes,
)
from siting.candidates import CANDIDATE_COLUMNS, EXISTING_COLUMNS, RuleLayers, build_options
from siting.corridors import Flow, corridor_flows, flows_gdf, warn_overlaps
from siting.coverage import SiteReach, demand_site_times, option_coverage, site_reach
from siting.crs import point_xy
from siting.demand import FLEET_COLUMNS, build_demand
from siting.economics import station_costs
from siting.figures import (
    DemandArrays,
    PlanFigures,
    ReportInputs,
    build_report,
    station_years,
    unique_served,
)
from siting.layers import feature_label, read_layer
from siting.model import (
    ArcCoverFlow,
    GridGroup,
    ModelInput,
    SitingModel,
    Solution,
    ZoneMinimum,
)
from siting.network import RoadNetwork, load_network
from siting.report import Report
from siting.results import SitingResult, station_table
from siting.scenario import DEFAULT_SPEEDS_KPH, Scenario, suggest
from siting.service_areas import coverage_areas
from siting.supply import SupplyDistances, road_distances
from siting.tables import source_of
from siting.zone_coverage import demand_in_zones, target_floor, zone_floors

log = logging.getLogger(__name__)

#: Stage names, in order, with their display labels.
STAGES: dict[str, str] = {
    "layers": "Reading layers",
    "network": "Loading road network",
    "demand": "Building demand and options",
    "travel_times": "Travel times (sparse shortest paths)",
    "coverage": "Coverage sets",
    "model": "Building and solving the MIP",
    "results": "Assembling results",
    "mandates": "Pricing the mandates (re-solves)",
    "outputs": "Writing outputs",
}


@runtime_checkable
class StageHooks(Protocol):
    """Progress callbacks a caller may pass to the pipeline (the CLI shows rich bars).

    Any object with these three methods will do; :class:`NoHooks` does nothing.
    """

    def start(self, stage: str, label: str) -> None:
        """A stage begins (``label`` is :data:`STAGES`' display text)."""

    def update(self, stage: str, fraction: float) -> None:
        """Fraction (0-1) of the stage done."""

    def finish(self, stage: str, seconds: float) -> None:
        """A stage ended after ``seconds``."""


class NoHooks:
    """Progress callbacks that do nothing (the default)."""

    def start(self, stage: str, label: str) -> None:
        """Nothing."""

    def update(self, stage: str, fraction: float) -> None:
        """Nothing."""

    def finish(self, stage: str, seconds: float) -> None:
        """Nothing."""


@dataclass
class _Timer:
    hooks: StageHooks
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[float], None]]:
        self.hooks.start(name, STAGES[name])
        t0 = time.perf_counter()
        try:
            yield lambda f: self.hooks.update(name, f)
        finally:
            dt = time.perf_counter() - t0
            self.timings[name] = round(dt, 3)
            self.hooks.finish(name, dt)


@dataclass(frozen=True)
class Inputs:
    """Every input layer of a scenario, read and checked, in EPSG:4326."""

    fleet: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame | None
    rules: RuleLayers


def read_inputs(sc: Scenario) -> Inputs:
    """Read and validate every layer the scenario names."""
    fleet = read_layer(sc.demand, what="demand", required=FLEET_COLUMNS, geom="point",
                       id_column="fleet_id")
    cand = read_layer(sc.candidates, what="candidates", required=CANDIDATE_COLUMNS,
                      geom="point", id_column="site_id")
    existing = (read_layer(sc.existing, what="existing", required=EXISTING_COLUMNS,
                           geom="point", id_column="site_id") if sc.existing else None)
    zones = supply = sensitive = subs = None
    if sc.zones is not None:
        zones = read_layer(sc.zones, what="zones",
                           required={sc.zones.id_column: "text"}, geom="polygon",
                           id_column=sc.zones.id_column)
        zones = zones.rename(columns={sc.zones.id_column: "zone_id",
                                      sc.zones.name_column: "name",
                                      sc.zones.name_en_column: "name_en"})
        if "name" not in zones.columns:
            zones["name"] = zones["zone_id"]
        zones["name"] = zones["name"].fillna(zones["zone_id"]).astype(str)
        zones["name_en"] = (zones["name_en"].fillna("").astype(str)
                            if "name_en" in zones.columns else "")
        known = set(zones["zone_id"].astype(str))
        for what, zone in ([("zone_requirements", r.zone) for r in sc.zone_requirements]
                           + [("zone_coverage", z.zone) for z in sc.zone_coverage]):
            if zone not in known:
                msg = (f"{sc.source_file}: {what} zone '{zone}' is not in "
                       f"{sc.zones.path.name}{suggest(zone, sorted(known))}; use one of "
                       f"{sorted(known)}")
                raise InputDataError(msg)
    if sc.hydrogen is not None:
        supply = read_layer(sc.hydrogen.supply, what="hydrogen.supply",
                            required={"supply_id": "text", "kg_per_day": "number"}, geom="any",
                            id_column="supply_id")
    if sc.setbacks is not None:
        sensitive = read_layer(sc.setbacks.sites, what="setbacks.sites",
                               required={sc.setbacks.category_column: "text"}, geom="any")
        warn_unused_setbacks(sc.setbacks.distance_m, sensitive[sc.setbacks.category_column],
                             path=sc.setbacks.sites.path, column=sc.setbacks.category_column)
    if sc.grid is not None:
        subs = read_layer(sc.grid.substations, what="grid.substations",
                          required={sc.grid.id_column: "text", sc.grid.spare_column: "number"},
                          geom="any", id_column=sc.grid.id_column)
    return Inputs(fleet, cand, existing, RuleLayers(zones, supply, sensitive, subs))


def _layer_list(sc: Scenario, inputs: Inputs) -> list[tuple[str, Path, Any]]:
    """``(section, path, frame)`` of every layer read, for checks against the network."""
    r = inputs.rules
    return [(section, spec.path, gdf) for section, spec, gdf in (
        ("demand", sc.demand, inputs.fleet),
        ("candidates", sc.candidates, inputs.candidates),
        ("existing", sc.existing, inputs.existing),
        ("zones", sc.zones, r.zones),
        ("hydrogen.supply", sc.hydrogen.supply if sc.hydrogen else None, r.supply),
        ("setbacks.sites", sc.setbacks.sites if sc.setbacks else None, r.sensitive),
        ("grid.substations", sc.grid.substations if sc.grid else None, r.substations),
    ) if spec is not None and gdf is not None]


def _check_snaps(what: str, path: str | Path, ids: pd.Series, snap_m: np.ndarray, limit: float,
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


def _delivery_cost(sc: Scenario, options: pd.DataFrame) -> np.ndarray | None:
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


def _supply_ids_kg(rules: RuleLayers) -> tuple[list[str], np.ndarray]:
    """Supply site ids and their daily output, kg/day."""
    if rules.supply is None:
        return [], np.zeros(0)
    return (rules.supply["supply_id"].astype(str).tolist(),
            rules.supply["kg_per_day"].to_numpy(dtype=float))


def _supply_measure(sc: Scenario, net: RoadNetwork, rules: RuleLayers
                    ) -> Callable[[np.ndarray], SupplyDistances] | None:
    """Road distances from the supply sites to any site coordinates (None: no supply)."""
    if sc.hydrogen is None or rules.supply is None or not len(rules.supply):
        return None
    spec = sc.hydrogen
    pts = rules.supply.geometry.representative_point()
    supply_xy = point_xy(gpd.GeoDataFrame(geometry=pts, crs=rules.supply.crs), net.crs)
    ids, kg = _supply_ids_kg(rules)

    def measure(site_xy: np.ndarray) -> SupplyDistances:
        return road_distances(net, site_xy, supply_xy, ids, kg, limit_km=spec.delivery_km,
                              max_snap_m=sc.network.max_snap_m)

    return measure


def _warn_unmodelled_limits(sc: Scenario, options: pd.DataFrame) -> None:
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


def _fleet_rows(fleet: gpd.GeoDataFrame, demand: gpd.GeoDataFrame) -> np.ndarray:
    """Row of the fleet layer behind each demand row (fleet ids are unique)."""
    pos = pd.Series(np.arange(len(fleet)), index=fleet["fleet_id"].astype(str).to_numpy())
    return pos.reindex(demand["fleet_id"].astype(str).to_numpy()).to_numpy(dtype=int)


def _warn_unreachable(sc: Scenario, demand: gpd.GeoDataFrame, cover: sp.csr_matrix) -> None:
    """Warn when many demand points reach no option within their threshold."""
    if not len(demand):
        return
    reach = np.asarray(cover.getnnz(axis=1) > 0)
    share = 1.0 - float(reach.mean())
    if share > 0.2:
        k = int(np.flatnonzero(~reach)[0])
        log.warning("%s: %.0f%% of demand points reach no candidate within their threshold "
                    "(first: feature of fleet_id '%s'); they cannot be covered", sc.demand.path,
                    100 * share, demand["fleet_id"].iloc[k])


def _model_input(sc: Scenario, demand: gpd.GeoDataFrame, options: pd.DataFrame,
                 cover: sp.csr_matrix, sites: gpd.GeoDataFrame, rules: RuleLayers,
                 flows: list[Flow], demand_zones: dict[str, np.ndarray] | None = None
                 ) -> ModelInput:
    years = sc.years
    year_idx = demand["year"].map({y: k for k, y in enumerate(years)}).to_numpy(dtype=int)
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
    budget_by_year = (np.array([sc.budget_for_year(y) for y in years], dtype=float)
                      if sc.budget.by_year else None)
    ids, kg = _supply_ids_kg(rules)
    supply_pairs = None
    if sc.hydrogen is not None and ids and "supply_reach" in options.columns:
        col = {sid: k for k, sid in enumerate(ids)}
        r_, c_ = [], []
        for o, reach in enumerate(options["supply_reach"]):
            for sid in reach:
                r_.append(o)
                c_.append(col[sid])
        supply_pairs = sp.csr_matrix((np.ones(len(r_)), (r_, c_)), shape=(len(options), len(ids)))
    floors = zone_floors(sc, demand, demand_zones or {})
    goal = target_floor(sc, demand)
    budget_total = float(sc.budget.total)
    if goal is not None:  # least cost to the target: the total budget is the question
        floors.insert(0, goal)
        if not sc.objective.budget_cap:
            budget_total = float("inf")
    return ModelInput(
        coverage_floors=floors, minimise_cost=goal is not None,
        option_tiebreak=_delivery_cost(sc, options),
        weight=demand["weight"].to_numpy(dtype=float),
        energy=demand["energy"].to_numpy(dtype=float),
        year=year_idx,
        cover=cover,
        option_site=options["site_idx"].to_numpy(dtype=int),
        option_cost=options["capex"].to_numpy(dtype=float),
        option_capacity=options["capacity"].to_numpy(dtype=float),
        option_capacity_h2=options["h2_capacity"].to_numpy(dtype=float),
        unit=(demand["pathway"] == "hydrogen").to_numpy().astype(np.int64),
        year_labels=[str(y) for y in years],
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


@dataclass(frozen=True)
class Prepared:
    """Everything up to the MIP: reusable across budgets (sweeps) without recomputing paths."""

    scenario: Scenario
    net: RoadNetwork
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    options: pd.DataFrame
    cover: sp.csr_matrix
    reach: SiteReach
    flows: list[Flow]
    rules: RuleLayers
    model_input: ModelInput
    timings: dict[str, float]
    #: Per zone id, the demand rows inside the zone (see :mod:`siting.zone_coverage`).
    in_zone: dict[str, np.ndarray] = field(default_factory=dict)


def prepare(sc: Scenario, *, hooks: StageHooks | None = None,
            client: object | None = None) -> Prepared:
    """Read the layers, load the network and build demand, options and coverage sets.

    Parameters
    ----------
    sc
        A validated scenario (:func:`siting.scenario.load_scenario`).
    hooks
        Progress callbacks.
    client
        Optional dask.distributed client for the travel-time stage.

    Raises
    ------
    SitingError
        Any input or network problem, as a one-line message.
    """
    timer = _Timer(hooks or NoHooks())
    with timer.stage("layers"):
        check_scenario_files(sc)  # fail fast, with an estimate, on files too big for memory
        inputs = read_inputs(sc)
    with timer.stage("network"):
        net = load_network(sc.network)
        check_speed_classes(sc.network.speeds_kph, net, source=str(sc.source_file),
                            defaults=list(DEFAULT_SPEEDS_KPH))
        check_layers_overlap(net, _layer_list(sc, inputs), margin_m=sc.network.max_snap_m)
        warn_gcj_suspects(sc, net, demand=inputs.fleet, candidates=inputs.candidates,
                          existing=inputs.existing)
    with timer.stage("demand") as prog:
        demand = build_demand(inputs.fleet, sc, source=source_of(sc.demand))
        prog(0.5)
        sites, options = build_options(inputs.candidates, inputs.existing, sc, inputs.rules,
                                       net.crs, source=source_of(sc.candidates),
                                       existing_source=source_of(sc.existing)
                                       if sc.existing else "existing layer",
                                       supply_distances=_supply_measure(sc, net, inputs.rules))
        _warn_unmodelled_limits(sc, options)
        if options.empty:
            msg = (f"{sc.candidates.path}: no candidate (site, station type) passes the rules; "
                   "see each site's rule_outcome with `siting validate`")
            raise InputDataError(msg)
    speeds = sc.network.speed_table()
    with timer.stage("travel_times") as prog:
        site_xy = point_xy(sites, net.crs)
        # Snap the fleet layer itself (errors then name its rows), then give every demand row
        # its fleet point's node.
        fleet_xy = point_xy(inputs.fleet, net.crs)
        fleet_node, fleet_snap = net.snap(fleet_xy[:, 0], fleet_xy[:, 1])
        _check_snaps("demand", source_of(sc.demand), inputs.fleet["fleet_id"], fleet_snap,
                     sc.network.max_snap_m)
        row = _fleet_rows(inputs.fleet, demand)
        dem_node, dem_snap = np.asarray(fleet_node)[row], np.asarray(fleet_snap)[row]
        cutoffs = (demand.groupby("vehicle_class")["threshold_s"].max().to_dict()
                   if len(demand) else {})
        reach = site_reach(net, site_xy, cutoffs, speeds,
                           access_speed_kph=sc.network.access_speed_kph, client=client,
                           progress=prog)
        _check_snaps("candidate", source_of(sc.candidates), sites["site_id"], reach.site_snap_m,
                     sc.network.max_snap_m, n_first=len(inputs.candidates),
                     second_path=source_of(sc.existing) if sc.existing else None)
    with timer.stage("coverage"):
        site_times = demand_site_times(reach, dem_node, dem_snap,
                                       demand["vehicle_class"].to_numpy(),
                                       demand["threshold_s"].to_numpy(dtype=float))
        cover = option_coverage(site_times, demand["pathway"].to_numpy(), options,
                                demand["vehicle_class"].to_numpy())
        density = cover.nnz / max(1, cover.shape[0] * cover.shape[1])
        check_fits(estimate_run_bytes(len(demand), len(options), density, net.n_nodes,
                                      net.n_edges, n_sites=len(sites),
                                      capacitated=sc.solver.capacitated,
                                      max_alloc_options=sc.solver.max_alloc_options),
                   f"{sc.source_file}: the MIP", SMALLER_MIP_HINT)
        check_reachable(cover, net, dem_node, reach.site_node,
                        demand_ids=demand["fleet_id"].tolist(), source=source_of(sc.demand),
                        fleet_ids=inputs.fleet["fleet_id"].astype(str).tolist())
        _warn_unreachable(sc, demand, cover)
        try:
            flows = corridor_flows(sc.corridors, net, site_xy, options, speeds,
                                   weight_factor=sc.corridor_weight,
                                   max_snap_m=sc.network.max_snap_m,
                                   use_per_km={c.id: sc.corridor_use_per_km(c)
                                               for c in sc.corridors})
        except NetworkError as exc:
            raise NetworkError(f"{sc.source_file}: {exc}") from None
        warn_overlaps(sc.corridors, inputs.fleet, {g.id: g.vehicle_class for g in sc.segments},
                      net.crs)
        in_zone = demand_in_zones(demand, inputs.rules.zones)
        mi = _model_input(sc, demand, options, cover, sites, inputs.rules, flows, in_zone)
    return Prepared(sc, net, demand, sites, options, cover, reach, flows, inputs.rules, mi,
                    dict(timer.timings), in_zone)


def solve_prepared(prep: Prepared, *, hooks: StageHooks | None = None,
                   model_input: ModelInput | None = None,
                   start_plan: np.ndarray | None = None) -> tuple[SitingResult, dict[str, float]]:
    """Build and solve the MIP of a prepared scenario and assemble the result.

    ``model_input`` replaces the prepared one (a sweep changes only the budget);
    ``start_plan`` (opening year index per option, -1 = closed) is a plan to start from as
    well (a sweep passes the smaller budget's).
    """
    sc = prep.scenario
    timer = _Timer(hooks or NoHooks(), dict(prep.timings))
    mi = model_input or prep.model_input
    with timer.stage("model"):
        model = SitingModel.from_input(mi, capacitated=sc.solver.capacitated,
                                       max_alloc_options=sc.solver.max_alloc_options)
        sol = model.solve(sc.solver.name, time_limit_s=sc.solver.time_limit_s,
                          mip_gap=sc.solver.mip_gap, threads=sc.solver.threads,
                          start_plan=start_plan)
    with timer.stage("results"):
        result = assemble(sc, prep.net, prep.demand, prep.sites, prep.options, prep.cover,
                          prep.reach, prep.flows, sol, mi, prep.rules, in_zone=prep.in_zone)
    return result, timer.timings


def solve_scenario(sc: Scenario, *, hooks: StageHooks | None = None,
                   client: object | None = None) -> tuple[SitingResult, dict[str, float]]:
    """Solve a scenario and return its result (and the stage timings, s).

    Raises
    ------
    SitingError
        Any input, network, infeasibility or solver problem, as a one-line message.
    """
    prep = prepare(sc, hooks=hooks, client=client)
    return solve_prepared(prep, hooks=hooks)


def with_lang(sc: Scenario, lang: str | None) -> Scenario:
    """``sc`` with its output language set to ``lang`` (``--lang``); ``sc`` itself when None.

    The language is the run's: rule outcomes, station reasons, the report's ``lang`` (which
    ``siting brief`` and ``siting compare`` default to) and every output file use it.
    """
    if not lang or lang == sc.lang:
        return sc
    from siting._errors import ScenarioError
    from siting.i18n import LANGS

    if lang not in LANGS:
        msg = f"--lang '{lang}' is not supported; use --lang zh or --lang en"
        raise ScenarioError(msg)
    return sc.model_copy(update={"lang": lang})


def run(sc: Scenario, out_dir: Path, *, hooks: StageHooks | None = None,
        client: object | None = None, lang: str | None = None, basemap: str = "osm",
        cdn: bool = False, output_crs: str | None = None,
        tianditu_key: str | None = None, shapefile: bool = False,
        mandates: bool | None = None, workers: int | None = None) -> SitingResult:
    """Solve ``sc`` and write the output contract into ``out_dir`` (atomically).

    The folder appears only when everything has been written; an error or Ctrl-C leaves a
    previous ``out_dir`` as it was. ``mandates`` (default ``[mandates] price``) also prices
    every mandate (:mod:`siting.mandates`) on ``workers`` processes.
    """
    from siting._atomic import check_output_dir, output_lock
    from siting._preflight import check_output_writable
    from siting.crs import parse_crs
    from siting.scenario import input_paths

    # Fail before the solve, not after it, on a bad output CRS or output folder; hold the
    # folder's lock from here, so a second run into it stops at once.
    if output_crs is not None:
        parse_crs(output_crs, where="--crs")
    check_output_dir(out_dir, "run", inputs=input_paths(sc))
    sc = with_lang(sc, lang)
    check_output_writable(out_dir, "output folder")
    with output_lock(out_dir):
        return _run_locked(sc, out_dir, hooks=hooks, client=client, lang=lang,
                           basemap=basemap, cdn=cdn, output_crs=output_crs,
                           tianditu_key=tianditu_key, shapefile=shapefile,
                           mandates=sc.mandates.price if mandates is None else mandates,
                           workers=workers)


def _run_locked(sc: Scenario, out_dir: Path, *, hooks: StageHooks | None, client: object | None,
                lang: str | None, basemap: str, cdn: bool, output_crs: str | None,
                tianditu_key: str | None, shapefile: bool, mandates: bool = False,
                workers: int | None = None) -> SitingResult:
    from siting.export import OutputOptions, write_run

    hooks = hooks or NoHooks()
    prep = prepare(sc, hooks=hooks, client=client)
    result, timings = solve_prepared(prep, hooks=hooks)
    timer = _Timer(hooks, dict(timings))
    if mandates:
        from siting.mandates import price

        with timer.stage("mandates") as prog:
            prices = price(sc, prep.model_input, result.report, workers=workers,
                           progress=lambda done, total: prog(done / total))
        result = replace(result, report=result.report.model_copy(update={"mandates": prices}))
    options = OutputOptions(lang=lang, basemap=basemap, cdn=cdn, tianditu_key=tianditu_key,
                            crs=output_crs, shapefile=shapefile)
    with timer.stage("outputs"):
        report = result.report.model_copy(update={"timings": dict(timer.timings)})
        result = replace(result, report=report)
        write_run(result, out_dir, options)
    return result


# --------------------------------------------------------------------------- results
def assemble(sc: Scenario, net: RoadNetwork, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
             options: pd.DataFrame, cover: sp.csr_matrix, reach: SiteReach, flows: list[Flow],
             sol: Solution, mi: ModelInput, rules: RuleLayers,
             in_zone: dict[str, np.ndarray] | None = None) -> SitingResult:
    """Turn the solution into a :class:`SitingResult` keyed by the input ids.

    Station figures are the final planning year's (named in ``figures_year``); per year they
    are in ``station_years`` and the report.
    """
    n_opt = len(options)
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

    dem = demand.copy()
    dem["served_share"] = np.round(served, 6)
    best = np.asarray(share.argmax(axis=1)).ravel() if n_opt else np.zeros(len(dem), int)
    has = np.asarray(share.max(axis=1).todense()).ravel() > 1e-9 if n_opt else np.zeros(
        len(dem), bool)
    dem["served_by"] = np.where(has, options["site_id"].to_numpy()[best] if n_opt else "", "")

    cand = sites.copy()
    chosen_sites = set(options["site_idx"].to_numpy()[open_year >= 0].tolist())
    cand["chosen"] = [i in chosen_sites for i in range(len(cand))]
    areas = coverage_areas(sc, net, options, open_year, reach)
    roads = net.edges_gdf()
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
    zone_names = ({} if rules.zones is None else
                  dict(zip(rules.zones["zone_id"].astype(str), rules.zones["name"].astype(str))))
    zone_names_en = ({} if rules.zones is None or "name_en" not in rules.zones else
                     dict(zip(rules.zones["zone_id"].astype(str),
                              rules.zones["name_en"].astype(str))))
    report = build_report(sc, sol, ReportInputs(
        net=net, demand=dem, stations=stations, station_years=per_year, candidates=cand,
        options=options, flows=flows, extra=extra, zone_names=zone_names,
        budget_total=float(mi.budget_total), budget_by_year=mi.budget_by_year,
        zone_names_en=zone_names_en, in_zone=in_zone or {}, model_input=mi))
    zones = _zones_with_coverage(rules.zones, report)
    return SitingResult(sc, stations, dem, cand.drop(columns=["capex_factor"], errors="ignore"),
                        areas, zones, roads, report, extra, station_years=per_year)


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
    c = cover.tocoo()
    ok = (open_year[c.col] >= 0) & (open_year[c.col] <= year[c.row])
    rows, cols, t = c.row[ok], c.col[ok], c.data[ok]
    order = np.lexsort((t, rows))
    rows, cols = rows[order], cols[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, bool)
    rows, cols = rows[first], cols[first]
    return sp.csr_matrix((served[rows], (rows, cols)), shape=cover.shape)
