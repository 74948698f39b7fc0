r"""What the plan costs to run and what it saves: levelised cost, diesel displaced, CO2 avoided.

Inputs are the scenario's ``[economics]`` (defaults and their sources:
``data/suizhou/SOURCES.md``). Every figure is per planning year and per year of
``operating_days`` days; nothing is summed over planning years.

**Levelised cost** of a station in a year:

.. math::

    \text{LCO} = \frac{K \cdot \text{CRF}(r, L) + K \cdot m + E}{Q}, \qquad
    \text{CRF}(r, L) = \frac{r (1+r)^L}{(1+r)^L - 1}

with capex *K* (CNY; 0 for an existing station, whose capex is sunk), discount rate *r*,
lifetime *L* (years), yearly O&M share *m*, energy bought *E* (CNY/year: kWh × electricity
price; delivered hydrogen kg × its price; on-site hydrogen kg × electrolysis kWh/kg ×
electricity price) and energy delivered *Q* that year (kWh/year, kg/year, or kWh-equivalent
for a station delivering both, hydrogen at 33.3 kWh/kg LHV).

**Diesel displaced**: each covered new-energy vehicle would otherwise burn diesel on its daily
distance: distance = the row's daily energy / the segment's use per km (kWh/km or kg/km),
diesel = distance × the segment's L/100 km / 100. **CO2 avoided** = diesel × its CO2 factor −
electricity served × the grid factor (default: the Central China grid's) − hydrogen served ×
its factor (delivered: ``hydrogen_co2_kg_per_kg``; from on-site electrolysers: their kWh/kg
× the grid factor). Corridor trucks are not counted (their diesel is not modelled).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from siting.report import H2_KWH_PER_KG, EconomicsFigures, EconomicsYear

if TYPE_CHECKING:
    from siting.figures import DemandArrays
    from siting.scenario import EconomicsSpec, Scenario


def capital_recovery_factor(rate: float, years: float) -> float:
    """Share of a capital cost repaid each year over ``years`` at ``rate`` (1/years at 0)."""
    if years <= 0:
        msg = "lifetime must be positive"
        raise ValueError(msg)
    if rate <= 0:
        return 1.0 / years
    g = (1.0 + rate) ** years
    return rate * g / (g - 1.0)


def _per_station(options: pd.DataFrame) -> pd.DataFrame:
    """capex (0 if existing) of each (site_id, station_type)."""
    o = options[["site_id", "station_type", "capex", "existing"]].copy()
    o["site_id"] = o["site_id"].astype(str)
    o["capex"] = np.where(o["existing"].astype(bool), 0.0, o["capex"].astype(float))
    return o.drop_duplicates(["site_id", "station_type"]).set_index(["site_id", "station_type"])


def station_costs(per_year: pd.DataFrame, options: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """``per_year`` (from :func:`siting.figures.station_years`) with yearly energy and cost.

    Adds ``kwh_per_year``, ``h2_kg_per_year``, ``cost_cny_per_year`` (annualised capex + O&M
    + energy bought), ``levelised_cost`` and ``levelised_cost_unit`` (see the module notes).
    """
    out = per_year.copy()
    ec = sc.economics
    days = ec.operating_days
    kwh = out["energy_kwh_per_day"].to_numpy(dtype=float) * days
    kg = out["h2_kg_per_day"].to_numpy(dtype=float) * days
    caps = _per_station(options)
    keys = list(zip(out["site_id"].astype(str), out["station_type"].astype(str), strict=True))
    capex = np.array([float(caps["capex"].get(k, 0.0)) for k in keys])
    annual = np.zeros(len(out))
    buy = np.zeros(len(out))
    units = []
    delivered = np.zeros(len(out))
    for i, tid in enumerate(out["station_type"].astype(str)):
        st = sc.station_type(tid)
        annual[i] = capex[i] * (capital_recovery_factor(ec.discount_rate, ec.lifetime(st))
                                + ec.opex(st))
        h2_price = (ec.electrolysis_kwh_per_kg * ec.electricity_cny_per_kwh
                    if st.onsite_production else ec.hydrogen_cny_per_kg)
        buy[i] = kwh[i] * ec.electricity_cny_per_kwh + kg[i] * h2_price
        electric = any(p != "hydrogen" for p in st.serves)
        hydrogen = "hydrogen" in st.serves
        if electric and hydrogen:
            units.append("CNY/kWh-eq")
            delivered[i] = kwh[i] + kg[i] * H2_KWH_PER_KG
        elif hydrogen:
            units.append("CNY/kg")
            delivered[i] = kg[i]
        else:
            units.append("CNY/kWh")
            delivered[i] = kwh[i]
    cost = annual + buy
    with np.errstate(divide="ignore", invalid="ignore"):
        lco = np.where(delivered > 1e-9, cost / delivered, np.nan)
    out["kwh_per_year"] = kwh
    out["h2_kg_per_year"] = kg
    out["cost_cny_per_year"] = cost
    out["levelised_cost"] = lco
    out["levelised_cost_unit"] = units
    return out


def diesel_l_per_km(sc: Scenario) -> dict[str, float]:
    """Diesel a segment's conventional vehicle burns per km, L/km."""
    ec = sc.economics
    out = {}
    for seg in sc.segments:
        per100 = ec.diesel_l_per_100km.get(seg.id)
        out[seg.id] = (per100 / 100.0 if per100 is not None
                       else seg.kwh_per_km * ec.diesel_l_per_kwh)
    return out


def vehicle_km_per_day(sc: Scenario, demand: pd.DataFrame) -> np.ndarray:
    """(n_demand,) kilometres a day of each demand row's vehicles: energy / use per km."""
    use = {}
    for seg in sc.segments:
        use[(seg.id, "swap")] = use[(seg.id, "charging")] = seg.kwh_per_km
        use[(seg.id, "hydrogen")] = seg.h2_kg_per_km
    per_km = np.array([use.get((s, p), np.nan) for s, p in
                       zip(demand["segment"].astype(str), demand["pathway"].astype(str),
                           strict=True)], dtype=float)
    energy = demand["energy"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        km = np.where(per_km > 0, energy / per_km, 0.0)
    return np.nan_to_num(km)


def plan_economics(sc: Scenario, demand: pd.DataFrame, dem: DemandArrays, served: np.ndarray,
                   costs: pd.DataFrame) -> EconomicsFigures:
    """The plan's yearly savings and costs (see the module notes).

    Parameters
    ----------
    demand
        The demand frame (``segment``, ``pathway``, ``energy``), in the order of ``dem``.
    dem
        Its arrays (year index, vehicles, kWh, kg per day).
    served
        (n_demand,) share of each row served.
    costs
        :func:`station_costs` output.
    """
    ec: EconomicsSpec = sc.economics
    days = ec.operating_days
    km = vehicle_km_per_day(sc, demand) * served
    lpk = diesel_l_per_km(sc)
    diesel = km * np.array([lpk.get(s, 0.0) for s in demand["segment"].astype(str)])
    onsite = {t.id for t in sc.station_types if t.onsite_production}
    by_year = {}
    for p, y in enumerate(sc.years):
        m = dem.year == p
        kwh = float((dem.kwh[m] * served[m]).sum()) * days
        kg = float((dem.kg[m] * served[m]).sum()) * days
        rows = costs[costs["year"] == y]
        st_kg = rows["h2_kg_per_year"].to_numpy(dtype=float)
        own = rows["station_type"].astype(str).isin(onsite).to_numpy()
        onsite_share = float(st_kg[own].sum() / st_kg.sum()) if st_kg.sum() > 0 else 0.0
        h2_factor = (onsite_share * ec.electrolysis_kwh_per_kg * ec.grid_co2_kg_per_kwh
                     + (1.0 - onsite_share) * ec.hydrogen_co2_kg_per_kg)
        d = float(diesel[m].sum()) * days
        co2_d = d * ec.diesel_co2_kg_per_l / 1000.0
        co2_e = kwh * ec.grid_co2_kg_per_kwh / 1000.0
        co2_h = kg * h2_factor / 1000.0
        by_year[str(y)] = EconomicsYear(
            year=y, vehicle_km_per_year=float(km[m].sum()) * days, diesel_l_per_year=d,
            electricity_kwh_per_year=kwh, h2_kg_per_year=kg, co2_diesel_t_per_year=co2_d,
            co2_electricity_t_per_year=co2_e, co2_hydrogen_t_per_year=co2_h,
            co2_avoided_t_per_year=co2_d - co2_e - co2_h,
            cost_cny_per_year=float(rows["cost_cny_per_year"].sum()))
    last = costs[costs["year"] == sc.years[-1]]
    lev: dict[str, float] = {}
    units: dict[str, str] = {}
    for tid, grp in last.groupby("station_type"):
        unit = str(grp["levelised_cost_unit"].iloc[0])
        q = grp["cost_cny_per_year"].to_numpy(dtype=float)
        if unit == "CNY/kg":
            amount = grp["h2_kg_per_year"].to_numpy(dtype=float)
        elif unit == "CNY/kWh":
            amount = grp["kwh_per_year"].to_numpy(dtype=float)
        else:
            amount = (grp["kwh_per_year"].to_numpy(dtype=float)
                      + grp["h2_kg_per_year"].to_numpy(dtype=float) * H2_KWH_PER_KG)
        if amount.sum() > 0:
            lev[str(tid)] = float(q.sum() / amount.sum())
            units[str(tid)] = unit
    return EconomicsFigures(
        discount_rate=ec.discount_rate, operating_days=days,
        electricity_cny_per_kwh=ec.electricity_cny_per_kwh,
        hydrogen_cny_per_kg=ec.hydrogen_cny_per_kg, diesel_co2_kg_per_l=ec.diesel_co2_kg_per_l,
        grid_co2_kg_per_kwh=ec.grid_co2_kg_per_kwh, grid_factor_source=ec.grid_factor_source,
        hydrogen_co2_kg_per_kg=ec.hydrogen_co2_kg_per_kg, by_year=by_year,
        levelised_by_type=lev, levelised_unit_by_type=units,
        note="point demand only: corridor trucks are not counted")
