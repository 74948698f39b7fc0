"""``siting validate``: check a scenario and all its layers without solving or writing.

Runs every stage up to the coverage sets (:func:`siting.pipeline.prepare`), so each input error
a run would hit is reported the same way (one line, exit code 2), and summarises what the run
would work with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from siting.pipeline import prepare
from siting.scenario import load_scenario


def validate_scenario(path: str | Path) -> dict[str, Any]:
    """Validate the scenario at ``path``; return counts describing it.

    The ``"road filter"`` entry (only when the fleet road filter dropped edges of a GraphML
    network or line layer) says how many and why (:meth:`RoadNetwork.filter_summary`);
    ``"posted speed limits"`` counts the edges with a ``maxspeed``, ``"unread maxspeed"``
    the values that hold no readable limit (:meth:`RoadNetwork.maxspeed_summary`).

    Raises
    ------
    SitingError
        The first problem found, as one line naming file, feature/field and fix.
    """
    sc = load_scenario(path)
    prep = prepare(sc)
    net, demand, sites, options = prep.net, prep.demand, prep.sites, prep.options
    coverable = np.asarray(prep.cover.getnnz(axis=1) > 0)
    comp = net.components()
    filtered = {"road filter": net.filter_summary()} if net.dropped else {}
    if net.n_posted_limits:
        hgv = (f"; {net.n_hgv_limits:,} for heavy vehicles (maxspeed:hgv)"
               if net.n_hgv_limits else "")
        filtered["posted speed limits"] = (f"{net.n_posted_limits:,} of {net.n_edges:,} "
                                           f"directed edges (maxspeed){hgv}")
    if net.unread_maxspeed:
        filtered["unread maxspeed"] = net.maxspeed_summary()
    return {
        "scenario": sc.name,
        "network": f"{len(net.node_id)} nodes, {len(net.edge_u)} directed edges"
                   f"{' (SCHEMATIC)' if net.schematic else ''}",
        **filtered,
        "largest component": f"{comp.largest_share:.1%} of nodes ({comp.n_components} pieces)",
        "fleet points": int(demand["fleet_id"].nunique()) if len(demand) else 0,
        "demand points": len(demand),
        "candidate sites": int((~sites["existing"]).sum()),
        "existing stations": int(sites["existing"].sum()),
        "options (site × type) eligible": len(options),
        "options excluded by rules": int(sites["n_excluded"].sum()),
        "demand reachable by some option": f"{coverable.mean():.1%}" if len(demand) else "n/a",
        "corridors": len(prep.flows),
        "budget (CNY)": f"{sc.budget.total:,.0f}",
    }
