"""Everything up to the MIP: :func:`prepare` runs the stages that read, snap and cover.

Stages, in order (:data:`~siting.pipeline.stages.STAGES`): ``layers`` (read and check every
layer), ``network`` (load the road network, check the layers against it), ``demand`` (demand
rows and buildable options), ``travel_times`` (snap, shortest paths from the sites) and
``coverage`` (who each option can serve, the corridor flows and the
:class:`~siting.model.ModelInput`). The result, :class:`Prepared`, is reused across the solves
of a sweep, a cost curve, the mandates and the robust samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting._checks import (
    check_layers_overlap,
    check_reachable,
    check_speed_classes,
    warn_gcj_suspects,
)
from siting._errors import InputDataError, NetworkError
from siting._resources import (
    SMALLER_MIP_HINT,
    check_fits,
    check_scenario_files,
    estimate_run_bytes,
)
from siting.candidates import RuleLayers, build_options
from siting.corridors import Flow, corridor_flows, warn_overlaps
from siting.coverage import (
    SiteReach,
    demand_site_times,
    option_coverage,
    reconnect_stranded,
    site_reach,
)
from siting.crs import point_xy
from siting.demand import build_demand
from siting.model import ModelInput
from siting.network import RoadNetwork, load_network
from siting.pipeline.inputs import Inputs, layer_list, read_inputs
from siting.pipeline.model_input import (
    build_model_input,
    check_snaps,
    fleet_rows,
    supply_measure,
    warn_far_snaps,
    warn_reconnected,
    warn_unmodelled_limits,
    warn_unreachable,
)
from siting.pipeline.stages import NoHooks, StageHooks, StageTimer
from siting.scenario import DEFAULT_SPEEDS_KPH, Scenario
from siting.tables import source_of
from siting.zone_coverage import demand_in_zones


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


@dataclass(frozen=True)
class _Snapped:
    """The travel-time stage's result: where demand and sites meet the road network."""

    site_xy: np.ndarray       # (n_sites, 2) in the network's metric CRS, m
    demand_node: np.ndarray   # road node of each demand row
    demand_snap_m: np.ndarray  # its distance to that node, m
    reach: SiteReach


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
    timer = StageTimer(hooks or NoHooks())
    with timer.stage("layers"):
        check_scenario_files(sc)  # fail fast, with an estimate, on files too big for memory
        inputs = read_inputs(sc)
    with timer.stage("network"):
        net = _network(sc, inputs)
    with timer.stage("demand") as prog:
        demand, sites, options = _demand_and_options(sc, net, inputs, prog)
    with timer.stage("travel_times") as prog:
        snapped = _travel_times(sc, net, inputs, demand, sites, client, prog)
    with timer.stage("coverage"):
        cover = _coverage(sc, net, inputs, demand, sites, options, snapped)
        flows = _flows(sc, net, inputs, options, snapped.site_xy)
        in_zone = demand_in_zones(demand, inputs.rules.zones)
        mi = build_model_input(sc, demand, options, cover, inputs.rules, flows, in_zone)
    return Prepared(sc, net, demand, sites, options, cover, snapped.reach, flows, inputs.rules,
                    mi, dict(timer.timings), in_zone)


def _network(sc: Scenario, inputs: Inputs) -> RoadNetwork:
    """The ``network`` stage: load the road network and check the layers against it."""
    net = load_network(sc.network)
    check_speed_classes(sc.network.speeds_kph, net, source=str(sc.source_file),
                        defaults=list(DEFAULT_SPEEDS_KPH))
    check_layers_overlap(net, layer_list(sc, inputs), margin_m=sc.network.max_snap_m)
    warn_gcj_suspects(sc, net, demand=inputs.fleet, candidates=inputs.candidates,
                      existing=inputs.existing)
    return net


def _demand_and_options(sc: Scenario, net: RoadNetwork, inputs: Inputs,
                        prog: Callable[[float], None]
                        ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """The ``demand`` stage: demand rows, candidate sites and their buildable options."""
    demand = build_demand(inputs.fleet, sc, source=source_of(sc.demand))
    prog(0.5)
    sites, options = build_options(inputs.candidates, inputs.existing, sc, inputs.rules,
                                   net.crs, source=source_of(sc.candidates),
                                   existing_source=source_of(sc.existing)
                                   if sc.existing else "existing layer",
                                   supply_distances=supply_measure(sc, net, inputs.rules))
    warn_unmodelled_limits(sc, options)
    if options.empty:
        msg = (f"{sc.candidates.path}: no candidate (site, station type) passes the rules; "
               "see each site's rule_outcome with `siting validate`")
        raise InputDataError(msg)
    return demand, sites, options


def _travel_times(sc: Scenario, net: RoadNetwork, inputs: Inputs, demand: gpd.GeoDataFrame,
                  sites: gpd.GeoDataFrame, client: object | None,
                  prog: Callable[[float], None]) -> _Snapped:
    """The ``travel_times`` stage: snap fleet points and sites, shortest paths from sites."""
    site_xy = point_xy(sites, net.crs)
    # Snap the fleet layer itself (errors then name its rows), then give every demand row
    # its fleet point's node.
    fleet_xy = point_xy(inputs.fleet, net.crs)
    fleet_node, fleet_snap = net.snap(fleet_xy[:, 0], fleet_xy[:, 1])
    check_snaps("demand", source_of(sc.demand), inputs.fleet["fleet_id"], fleet_snap,
                sc.network.max_snap_m)
    row = fleet_rows(inputs.fleet, demand)
    cutoffs = (demand.groupby("vehicle_class")["threshold_s"].max().to_dict()
               if len(demand) else {})
    reach = site_reach(net, site_xy, cutoffs, sc.network.speed_table(),
                       access_speed_kph=sc.network.access_speed_kph, client=client,
                       progress=prog)
    check_snaps("candidate", source_of(sc.candidates), sites["site_id"], reach.site_snap_m,
                sc.network.max_snap_m, n_first=len(inputs.candidates),
                second_path=source_of(sc.existing) if sc.existing else None)
    again = reconnect_stranded(net, fleet_xy, fleet_node, fleet_snap, reach.site_node,
                               sc.network.max_snap_m)
    if len(again.moved):
        warn_reconnected(source_of(sc.demand), inputs.fleet["fleet_id"], again,
                         old_snap_m=np.asarray(fleet_snap))
    warn_far_snaps(source_of(sc.demand), inputs.fleet["fleet_id"], again.snap_m,
                   sc.network.access_speed_kph)
    dem_node, dem_snap = again.node[row], again.snap_m[row]
    return _Snapped(site_xy, dem_node, dem_snap, reach)


def _coverage(sc: Scenario, net: RoadNetwork, inputs: Inputs, demand: gpd.GeoDataFrame,
              sites: gpd.GeoDataFrame, options: pd.DataFrame, snapped: _Snapped
              ) -> sp.csr_matrix:
    """Coverage (n_demand, n_options, travel times in s), checked to fit in memory and to
    reach the fleet."""
    site_times = demand_site_times(snapped.reach, snapped.demand_node, snapped.demand_snap_m,
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
    check_reachable(cover, net, snapped.demand_node, snapped.reach.site_node,
                    demand_ids=demand["fleet_id"].tolist(), source=source_of(sc.demand),
                    fleet_ids=inputs.fleet["fleet_id"].astype(str).tolist())
    warn_unreachable(sc, demand, cover, options)
    return cover


def _flows(sc: Scenario, net: RoadNetwork, inputs: Inputs, options: pd.DataFrame,
           site_xy: np.ndarray) -> list[Flow]:
    """The corridors' truck flows, with a warning where a corridor overlaps the fleet."""
    try:
        flows = corridor_flows(sc.corridors, net, site_xy, options, sc.network.speed_table(),
                               weight_factor=sc.corridor_weight,
                               max_snap_m=sc.network.max_snap_m,
                               use_per_km={c.id: sc.corridor_use_per_km(c)
                                           for c in sc.corridors})
    except NetworkError as exc:
        raise NetworkError(f"{sc.source_file}: {exc}") from None
    warn_overlaps(sc.corridors, inputs.fleet, {g.id: g.vehicle_class for g in sc.segments},
                  net.crs)
    return flows
