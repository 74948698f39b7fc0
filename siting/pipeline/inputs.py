"""Reading a scenario's input layers: every layer it names, read and checked, in EPSG:4326.

:func:`read_inputs` reads the fleet, candidate and existing-station layers and the rule layers
(zones, hydrogen supply, setback sites, substations) through :func:`siting.layers.read_layer`;
:func:`layer_list` lists them for the checks against the road network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from siting._checks import warn_unused_setbacks
from siting._errors import InputDataError
from siting.candidates import CANDIDATE_COLUMNS, EXISTING_COLUMNS, RuleLayers
from siting.demand import FLEET_COLUMNS
from siting.layers import feature_label, read_layer
from siting.report import OUTSIDE_ZONES
from siting.scenario import Scenario, suggest


@dataclass(frozen=True)
class Inputs:
    """Every input layer of a scenario, read and checked, in EPSG:4326."""

    fleet: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame | None
    rules: RuleLayers


def read_inputs(sc: Scenario) -> Inputs:
    """Read and validate every layer the scenario names.

    Parameters
    ----------
    sc
        A validated scenario (:func:`siting.scenario.load_scenario`).

    Returns
    -------
    Inputs
        The layers in EPSG:4326 (WGS84 lon/lat); the zones with ``zone_id``, ``name`` and
        ``name_en`` columns.

    Raises
    ------
    SitingError
        A missing or unreadable file, a bad column, value or geometry, or a zone named in
        ``zone_requirements`` / ``zone_coverage`` that the zones layer does not have.
    """
    fleet = read_layer(sc.demand, what="demand", required=FLEET_COLUMNS, geom="point",
                       id_column="fleet_id")
    cand = read_layer(sc.candidates, what="candidates", required=CANDIDATE_COLUMNS,
                      geom="point", id_column="site_id")
    existing = (read_layer(sc.existing, what="existing", required=EXISTING_COLUMNS,
                           geom="point", id_column="site_id") if sc.existing else None)
    zones = _read_zones(sc)
    supply = sensitive = subs = None
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


def _read_zones(sc: Scenario) -> gpd.GeoDataFrame | None:
    """The zones layer with ``zone_id``, ``name`` and ``name_en``; every zone the scenario
    names checked to exist in it (None: the scenario has no zones)."""
    if sc.zones is None:
        return None
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
    if OUTSIDE_ZONES in known:
        row = int((zones["zone_id"].astype(str) == OUTSIDE_ZONES).to_numpy().argmax())
        where = feature_label(sc.zones.path, row, OUTSIDE_ZONES, sc.zones.id_column)
        msg = (f"{where}: this id is kept for the stations outside every zone in the "
               "report; give the zone another id")
        raise InputDataError(msg)
    for what, zone in ([("zone_requirements", r.zone) for r in sc.zone_requirements]
                       + [("zone_coverage", z.zone) for z in sc.zone_coverage]):
        if zone not in known:
            msg = (f"{sc.source_file}: {what} zone '{zone}' is not in "
                   f"{sc.zones.path.name}{suggest(zone, sorted(known))}; use one of "
                   f"{sorted(known)}")
            raise InputDataError(msg)
    return zones


def layer_list(sc: Scenario, inputs: Inputs) -> list[tuple[str, Path, Any]]:
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
