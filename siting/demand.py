"""Fleet layer → demand points with daily energy, pathway, weight and year.

One fleet point (a depot, yard or work area with ``vehicles`` vehicles of one segment driving
``daily_km`` km a day) becomes one demand point per technology pathway and planning year:

``vehicles_nev = vehicles × nev_share[year] × pathway_split[pathway]``
``energy = vehicles_nev × daily_km × (kwh_per_km | h2_kg_per_km)`` (kWh/day or kg/day)

The objective weight is ``vehicles_nev`` (``scenario.weight == "vehicles"``) or the daily energy in
kWh, hydrogen counted at its lower heating value (``"energy"``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from siting._cells import is_blank
from siting._errors import InputDataError, echo
from siting.layers import feature_label
from siting.scenario import PATHWAY_UNITS, PATHWAYS, Scenario, suggest

#: Lower heating value of hydrogen, kWh per kg (33.3 kWh/kg; used to weigh H2 energy as kWh).
H2_KWH_PER_KG = 33.3

#: Largest plausible vehicles at one fleet point and daily distance per vehicle (km).
MAX_VEHICLES = 100_000.0
MAX_DAILY_KM = 2_000.0

#: Columns of the demand table :func:`build_demand` returns (besides ``geometry``).
DEMAND_COLUMNS: list[str] = [
    "demand_id", "fleet_id", "name", "segment", "pathway", "vehicle_class", "year",
    "vehicles", "energy", "energy_unit", "weight", "threshold_s",
]

#: Columns of the fleet layer (name → kind) that ``build_demand`` needs.
FLEET_COLUMNS: dict[str, str] = {
    "fleet_id": "text", "segment": "text", "vehicles": "number", "daily_km": "number",
}


def build_demand(fleet: gpd.GeoDataFrame, scenario: Scenario, *,
                 source: str | Path = "fleet layer") -> gpd.GeoDataFrame:
    """Turn fleet points into demand points, one per fleet point × pathway × year.

    Parameters
    ----------
    fleet
        Points in EPSG:4326 with ``fleet_id``, ``segment``, ``vehicles``, ``daily_km`` and
        optionally ``name``.
    scenario
        Gives the segments (NEV shares per year, pathway split, consumption, thresholds).
    source
        Name of the file, for error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``demand_id, fleet_id, name, segment, pathway, vehicle_class, year,
        vehicles, energy, energy_unit, weight, threshold_s, geometry``; rows with zero vehicles
        are dropped.

    Raises
    ------
    InputDataError
        A fleet row names a segment the scenario does not define.
    """
    _check_segments(fleet, scenario, source)
    _check_plausible(fleet, source)
    base = _fleet_table(fleet, _fixed_pathways(fleet, scenario, source))
    factors = _factors(scenario)
    if factors.empty:
        return _empty(fleet.crs)
    df = _demand_rows(base, factors, scenario.weight)
    geometry = fleet.geometry.to_numpy()[df["_row"].to_numpy()]
    out = gpd.GeoDataFrame(df[DEMAND_COLUMNS].reset_index(drop=True), geometry=list(geometry),
                           crs=fleet.crs)
    out["year"] = out["year"].astype(int)
    return out


def _check_segments(fleet: gpd.GeoDataFrame, scenario: Scenario, source: str | Path) -> None:
    """Refuse the first fleet row whose ``segment`` the scenario does not define."""
    seg_ids = [s.id for s in scenario.segments]
    unknown = ~fleet["segment"].astype(str).isin(seg_ids)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        bad = str(fleet["segment"].iloc[row])
        msg = (f"{feature_label(source, row, fleet['fleet_id'].iloc[row], 'fleet_id')}: segment "
               f"{echo(bad)} is not defined in the scenario{suggest(bad, seg_ids)}; use one of "
               f"{seg_ids}")
        raise InputDataError(msg)


def _fleet_table(fleet: gpd.GeoDataFrame, fixed: np.ndarray) -> pd.DataFrame:
    """One row per fleet point: ids, name, segment, vehicles, daily km, fixed pathway, row.

    ``fixed`` is the point's own pathway ("" where it follows its segment's split); ``_row``
    is the point's position in ``fleet`` (to take its geometry back).
    """
    names = fleet["name"].astype(str) if "name" in fleet.columns else fleet["fleet_id"].astype(str)
    return pd.DataFrame({
        "fleet_id": fleet["fleet_id"].astype(str).to_numpy(),
        "name": names.to_numpy(),
        "segment": fleet["segment"].astype(str).to_numpy(),
        "fleet_vehicles": fleet["vehicles"].astype(float).to_numpy(),
        "daily_km": fleet["daily_km"].astype(float).to_numpy(),
        "fixed": fixed,
        "_row": np.arange(len(fleet)),
    })


def _factors(scenario: Scenario) -> pd.DataFrame:
    """Per (segment, pathway, year) with a NEV share: the factors a fleet point is scaled by.

    One small table joined once to the fleet points (no per-row Python): ``nev_share``,
    pathway ``split``, energy ``use_per_km`` (kWh/km, or kg/km for hydrogen),
    ``vehicle_class`` and ``threshold_s`` (s). Empty when no year has a NEV share.
    """
    return pd.DataFrame([
        {
            "segment": s.id, "pathway": p, "year": y, "nev_share": s.nev_share[y],
            "split": s.pathway_split.get(p, 0.0),
            "use_per_km": s.h2_kg_per_km if p == "hydrogen" else s.kwh_per_km,
            "vehicle_class": s.vehicle_class, "threshold_s": s.threshold_min * 60.0,
        }
        for s in scenario.segments for p in PATHWAYS for y in scenario.years
        if s.nev_share[y] > 0
    ])


def _demand_rows(base: pd.DataFrame, factors: pd.DataFrame, weight: str) -> pd.DataFrame:
    """Fleet points × factors → vehicles, daily energy and weight of each demand row.

    Rows with no vehicles are dropped; the rest are ordered by year, fleet point and pathway
    and get their ``demand_id`` (``fleet_id:pathway:year``). ``weight`` is the scenario's
    objective weight: ``"vehicles"``, or the energy in kWh/day (hydrogen at its LHV).
    """
    df = base.merge(factors, on="segment", how="inner")
    # a fleet point with a fixed pathway sends all its new-energy vehicles that way
    # (宜电则电、宜氢则氢 decided per fleet); the others follow their segment's split
    df["share"] = df["nev_share"] * np.where(df["fixed"] == "", df["split"],
                                             (df["fixed"] == df["pathway"]).astype(float))
    df["vehicles"] = df["fleet_vehicles"] * df["share"]
    df = df[df["vehicles"] > 0].copy()
    df["energy"] = df["vehicles"] * df["daily_km"] * df["use_per_km"]
    df["energy_unit"] = df["pathway"].map(PATHWAY_UNITS)
    if weight == "vehicles":
        df["weight"] = df["vehicles"]
    else:
        df["weight"] = np.where(df["pathway"] == "hydrogen", df["energy"] * H2_KWH_PER_KG,
                                df["energy"])
    df = df.sort_values(["year", "_row", "pathway"], kind="stable")
    df["demand_id"] = (df["fleet_id"] + ":" + df["pathway"] + ":" + df["year"].astype(str))
    return df


def _fixed_pathways(fleet: gpd.GeoDataFrame, scenario: Scenario, source: str | Path
                    ) -> np.ndarray:
    """The ``pathway`` column of the fleet layer ("" where blank or absent), checked.

    A fleet point may fix its technology pathway (``swap``, ``charging`` or ``hydrogen``);
    its segment must then give the energy use of that pathway.
    """
    if "pathway" not in fleet.columns:
        return np.full(len(fleet), "", dtype=object)
    raw = fleet["pathway"]
    values = np.array(["" if is_blank(v) else str(v).strip().lower() for v in raw],
                      dtype=object)
    for i, v in enumerate(values):
        fid = fleet["fleet_id"].iloc[i]
        if v and v not in PATHWAYS:
            msg = (f"{source}: feature {i + 1} (fleet_id '{fid}'): pathway '{raw.iloc[i]}' is not "
                   f"one of {list(PATHWAYS)}{suggest(v, list(PATHWAYS))}; leave it blank to use "
                   "the segment's pathway_split")
            raise InputDataError(msg)
        if v:
            seg = scenario.segment(str(fleet["segment"].iloc[i]))
            use = seg.h2_kg_per_km if v == "hydrogen" else seg.kwh_per_km
            if use <= 0:
                unit = "h2_kg_per_km" if v == "hydrogen" else "kwh_per_km"
                msg = (f"{source}: feature {i + 1} (fleet_id '{fid}'): pathway '{v}' but segment "
                       f"'{seg.id}' has {unit} = 0; give the segment its {unit}")
                raise InputDataError(msg)
    return values


def _check_plausible(fleet: gpd.GeoDataFrame, source: str | Path) -> None:
    """Refuse magnitudes no fleet point can have (wrong units, a stray exponent ...).

    Such values would otherwise reach the solver as numbers it cannot scale (1e300 vehicles
    make HiGHS stop with status "Unknown").
    """
    for col, limit, fix in (
        ("vehicles", MAX_VEHICLES, "vehicles is the number of vehicles at this point"),
        ("daily_km", MAX_DAILY_KM, "daily_km is kilometres per vehicle per day"),
    ):
        values = pd.to_numeric(fleet[col], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(~(np.abs(values) <= limit))
        if bad.size:
            i = int(bad[0])
            msg = (f"{feature_label(source, i, fleet['fleet_id'].iloc[i], 'fleet_id')}: {col} "
                   f"is {values[i]:g}, more than {limit:,.0f}; check the units ({fix})")
            raise InputDataError(msg)


def _empty(crs: object) -> gpd.GeoDataFrame:
    """The demand table with no rows (every column of :data:`DEMAND_COLUMNS`)."""
    return gpd.GeoDataFrame({c: [] for c in DEMAND_COLUMNS}, geometry=[], crs=crs)
