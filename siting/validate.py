"""``siting validate``: check a scenario and all its layers without solving or writing.

Runs every stage up to the coverage sets, so each input error a run would hit is reported the
same way (one line, exit code 2), and summarises what the run would work with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from siting.candidates import build_options
from siting.coverage import demand_site_times, option_coverage, site_reach
from siting.demand import build_demand
from siting.network import load_network
from siting.pipeline import _check_snaps, _xy, read_inputs
from siting.scenario import load_scenario


def validate_scenario(path: str | Path) -> dict[str, Any]:
    """Validate the scenario at ``path``; return counts describing it.

    Raises
    ------
    SitingError
        The first problem found, as one line naming file, feature/field and fix.
    """
    sc = load_scenario(path)
    inputs = read_inputs(sc)
    net = load_network(sc.network)
    demand = build_demand(inputs.fleet, sc, source=str(sc.demand.path))
    sites, options = build_options(inputs.candidates, inputs.existing, sc, inputs.rules, net.crs,
                                   source=str(sc.candidates.path))
    dem_xy = _xy(demand, net.crs)
    node, snap = net.snap(dem_xy[:, 0], dem_xy[:, 1])
    _check_snaps("demand", sc.demand.path, demand["fleet_id"], snap, sc.network.max_snap_m)
    cutoffs = demand.groupby("vehicle_class")["threshold_s"].max().to_dict()
    reach = site_reach(net, _xy(sites, net.crs), cutoffs, sc.network.speed_table(),
                       access_speed_kph=sc.network.access_speed_kph)
    _check_snaps("candidate", sc.candidates.path, sites["site_id"], reach.site_snap_m,
                 sc.network.max_snap_m)
    times = demand_site_times(reach, node, snap, demand["vehicle_class"].to_numpy(),
                              demand["threshold_s"].to_numpy(dtype=float))
    cover = option_coverage(times, demand["pathway"].to_numpy(), options)
    coverable = np.asarray(cover.getnnz(axis=1) > 0)
    comp = net.components()
    return {
        "scenario": sc.name,
        "network": f"{len(net.node_id)} nodes, {len(net.edge_u)} directed edges"
                   f"{' (SCHEMATIC)' if net.schematic else ''}",
        "largest component": f"{comp.largest_share:.1%} of nodes ({comp.n_components} pieces)",
        "fleet points": len(inputs.fleet),
        "demand points": len(demand),
        "candidate sites": int((~sites["existing"]).sum()),
        "existing stations": int(sites["existing"].sum()),
        "options (site × type) eligible": len(options),
        "options excluded by rules": int(sites["rule_outcome"].str.count("excluded").sum()),
        "demand reachable by some option": f"{coverable.mean():.1%}" if len(demand) else "n/a",
        "budget (CNY)": f"{sc.budget.total:,.0f}",
    }
