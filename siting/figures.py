"""The plan's figures, per year and per station: computed once, from the allocation.

Everything here starts from ``share`` — an (n_demand × n_options) sparse matrix of the share of
each demand row's daily need served by each option (the model's allocation when capacitated;
the nearest open station when not). A demand row belongs to one planning year, so every sum
below is taken within one year: vehicles and energy per day are never added across years.

:func:`station_years` gives per station and year the vehicles served, energy per day and
utilisation; :func:`build_report` assembles the :class:`~siting.report.Report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from siting import __version__
from siting.economics import plan_economics
from siting.report import (
    OUTSIDE_ZONES,
    CorridorFigures,
    GridUse,
    Headline,
    InputCounts,
    NetworkInfo,
    ObjectiveParts,
    Provenance,
    Report,
    ScenarioInfo,
    ShareFigures,
    SolverInfo,
    StationYear,
    SupplyUse,
    TargetFigures,
    TypeFigures,
    YearFigures,
    ZoneFigures,
)
from siting.zone_coverage import zone_coverage

if TYPE_CHECKING:
    import geopandas as gpd

    from siting.corridors import Flow
    from siting.model import ModelInput, Solution
    from siting.network import RoadNetwork
    from siting.scenario import Scenario

ELECTRIC = ("swap", "charging")


def weight_unit(weight: str) -> str:
    """Unit of the coverage weight: ``"NEV vehicles"`` or ``"kWh/day"``."""
    return "NEV vehicles" if weight == "vehicles" else "kWh/day"


@dataclass(frozen=True)
class DemandArrays:
    """Per demand row: year index, weight, vehicles, daily energy split by energy carrier."""

    year: np.ndarray      # (n,) index into the planning years
    weight: np.ndarray    # (n,) objective weight
    vehicles: np.ndarray  # (n,) new-energy vehicles
    kwh: np.ndarray       # (n,) electric energy per day (0 for hydrogen rows)
    kg: np.ndarray        # (n,) hydrogen per day, kg (0 for electric rows)

    @classmethod
    def from_demand(cls, demand: pd.DataFrame, years: list[int]) -> DemandArrays:
        """From the demand frame (``year``, ``weight``, ``vehicles``, ``energy``, ``pathway``)."""
        index = {y: k for k, y in enumerate(years)}
        h2 = (demand["pathway"] == "hydrogen").to_numpy()
        energy = demand["energy"].to_numpy(dtype=float)
        return cls(year=demand["year"].map(index).to_numpy(dtype=int),
                   weight=demand["weight"].to_numpy(dtype=float),
                   vehicles=demand["vehicles"].to_numpy(dtype=float),
                   kwh=np.where(h2, 0.0, energy), kg=np.where(h2, energy, 0.0))


def _served_by_year(share: sp.csr_matrix, values: np.ndarray, year: np.ndarray,
                    n_years: int) -> np.ndarray:
    """(n_years, n_options): Σ over a year's rows of share × value."""
    out = np.zeros((n_years, share.shape[1]))
    for p in range(n_years):
        v = np.where(year == p, values, 0.0)
        out[p] = share.T @ v
    return out


def _capacities(options: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(electric kWh/day, hydrogen kg/day) capacity per option; NaN where the type has none."""
    serves = options["serves"].to_list()
    elec = np.array([any(p in ELECTRIC for p in s) for s in serves], dtype=bool)
    h2 = np.array(["hydrogen" in s for s in serves], dtype=bool)
    cap = options["capacity"].to_numpy(dtype=float)
    cap_h2 = options["h2_capacity"].to_numpy(dtype=float)
    return np.where(elec, cap, np.nan), np.where(h2, cap_h2, np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(den) & (den > 0), num / den, np.nan)


@dataclass(frozen=True)
class PlanFigures:
    """Per option and year (arrays (n_years, n_options)): what each station serves."""

    vehicles: np.ndarray
    weight: np.ndarray
    kwh: np.ndarray
    kg: np.ndarray
    rows: np.ndarray          # demand rows served (share > 0)
    cap_kwh: np.ndarray       # (n_options,) NaN when no electric pool
    cap_kg: np.ndarray        # (n_options,) NaN when no hydrogen pool
    trucks: np.ndarray | None = None  # corridor trucks refuelling per day (in kwh/kg above)

    @classmethod
    def compute(cls, share: sp.csr_matrix, dem: DemandArrays, options: pd.DataFrame,
                n_years: int, flows: list[Flow] | None = None,
                flow_alloc: sp.csr_matrix | None = None) -> PlanFigures:
        """Sum the allocation ``share`` per year (see the module notes).

        Corridor trucks (``flow_alloc``: daily energy each flow takes at each option, in the
        final year) add to the stations' energy, and are counted in ``trucks``.
        """
        served_rows = sp.csr_matrix((share > 1e-9).astype(float))
        cap_kwh, cap_kg = _capacities(options)
        fig = cls(vehicles=_served_by_year(share, dem.vehicles, dem.year, n_years),
                  weight=_served_by_year(share, dem.weight, dem.year, n_years),
                  kwh=_served_by_year(share, dem.kwh, dem.year, n_years),
                  kg=_served_by_year(share, dem.kg, dem.year, n_years),
                  rows=_served_by_year(served_rows, np.ones(len(dem.year)), dem.year, n_years),
                  cap_kwh=cap_kwh, cap_kg=cap_kg, trucks=np.zeros((n_years, share.shape[1])))
        assert fig.trucks is not None
        if flows and flow_alloc is not None and flow_alloc.nnz:
            fa = sp.csr_matrix(flow_alloc)
            energy = np.array([f.energy for f in flows], dtype=float)
            h2 = np.array([f.unit == 1 for f in flows], dtype=bool)
            inv = np.divide(1.0, energy, out=np.zeros_like(energy), where=energy > 0)
            trucks = np.array([f.vehicles for f in flows], dtype=float)
            last = n_years - 1
            fig.kwh[last] += np.asarray(fa.T @ (~h2).astype(float)).ravel()
            fig.kg[last] += np.asarray(fa.T @ h2.astype(float)).ravel()
            fig.trucks[last] += np.asarray(fa.T @ (inv * trucks)).ravel()
        return fig

    def utilisation(self) -> tuple[np.ndarray, np.ndarray]:
        """(electric, hydrogen) served / capacity per year and option (NaN: no such pool)."""
        return _ratio(self.kwh, self.cap_kwh[None, :]), _ratio(self.kg, self.cap_kg[None, :])

    def main(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per year and option: energy in the main pool's unit, its capacity and utilisation.

        The main pool is the electric one when the type has it, else hydrogen (kg).
        """
        elec = np.isfinite(self.cap_kwh)
        energy = np.where(elec[None, :], self.kwh, self.kg)
        cap = np.where(elec, self.cap_kwh, self.cap_kg)
        return energy, cap, _ratio(energy, cap[None, :])


def station_years(options: pd.DataFrame, open_year: np.ndarray, years: list[int],
                  fig: PlanFigures) -> pd.DataFrame:
    """One row per open station and year it is open, with what it serves that year.

    Columns: ``site_id, station_type, year, vehicles, corridor_trucks, energy_kwh_per_day,
    capacity_kwh_per_day, h2_kg_per_day, capacity_h2_kg_per_day, utilisation,
    h2_utilisation`` (utilisation = served / capacity; NaN where the type has no such pool).
    """
    util_e, util_h = fig.utilisation()
    _, _, util_main = fig.main()
    recs = []
    for o in np.flatnonzero(open_year >= 0).tolist():
        for p in range(int(open_year[o]), len(years)):
            recs.append({
                "site_id": str(options["site_id"].iat[o]),
                "station_type": str(options["station_type"].iat[o]),
                "year": int(years[p]),
                "vehicles": float(fig.vehicles[p, o]),
                "corridor_trucks": float(fig.trucks[p, o]) if fig.trucks is not None else 0.0,
                "energy_kwh_per_day": float(fig.kwh[p, o]),
                "capacity_kwh_per_day": float(fig.cap_kwh[o]),
                "h2_kg_per_day": float(fig.kg[p, o]),
                "capacity_h2_kg_per_day": float(fig.cap_kg[o]),
                "utilisation": float(util_main[p, o]),
                "h2_utilisation": float(util_h[p, o]) if np.isfinite(fig.cap_kwh[o])
                else float("nan"),
            })
    cols = ["site_id", "station_type", "year", "vehicles", "corridor_trucks",
            "energy_kwh_per_day",
            "capacity_kwh_per_day", "h2_kg_per_day", "capacity_h2_kg_per_day", "utilisation",
            "h2_utilisation"]
    del util_e
    return pd.DataFrame(recs, columns=cols).sort_values(
        ["year", "site_id", "station_type"], kind="stable").reset_index(drop=True)


def unique_served(share: sp.csr_matrix, cover: sp.csr_matrix, open_year: np.ndarray,
                  dem: DemandArrays, year_index: int) -> np.ndarray:
    """Per option: the weight it serves in a year to rows no other open station can reach.

    At most what the option serves that year: closing the station loses at least this.
    """
    c = cover.tocoo()
    ok = (open_year[c.col] >= 0) & (open_year[c.col] <= dem.year[c.row])
    n_reach = np.bincount(c.row[ok], minlength=cover.shape[0])
    only = (n_reach == 1) & (dem.year == year_index)
    v = np.where(only, dem.weight, 0.0)
    return np.asarray(share.T @ v).ravel()


# --------------------------------------------------------------------------- the report
def _share(covered: float, total: float) -> float:
    return covered / total if total > 0 else 0.0


def _year_figures(sc: Scenario, dem: DemandArrays, served: np.ndarray,
                  stations: gpd.GeoDataFrame, budget_by_year: np.ndarray | None
                  ) -> dict[str, YearFigures]:
    out = {}
    for p, y in enumerate(sc.years):
        m = dem.year == p
        built = stations[(stations["year"] == y) & ~stations["existing"]]
        open_ = stations[stations["year"] <= y]
        w, v = float(dem.weight[m].sum()), float(dem.vehicles[m].sum())
        wc = float((dem.weight[m] * served[m]).sum())
        out[str(y)] = YearFigures(
            year=y, nev_vehicles=v, vehicles_covered=float((dem.vehicles[m] * served[m]).sum()),
            demand_weight=w, weight_covered=wc, coverage_share=_share(wc, w),
            energy_kwh_per_day=float(dem.kwh[m].sum()),
            energy_kwh_per_day_served=float((dem.kwh[m] * served[m]).sum()),
            h2_kg_per_day=float(dem.kg[m].sum()),
            h2_kg_per_day_served=float((dem.kg[m] * served[m]).sum()),
            new_stations=len(built), stations_open=len(open_),
            spent=float(built["capex"].sum()),
            budget=None if budget_by_year is None else float(budget_by_year[p]))
    return out


def _headline(sc: Scenario, by_year: dict[str, YearFigures], sol: Solution) -> Headline:
    last = by_year[str(sc.years[-1])]
    covered_bound = share_bound = None
    if sol.status != "optimal":
        # a proven bound on the final year's weight any plan covers (Solution.year_bound);
        # unknown (no time left to compute it): the year's whole weight
        b = float(sol.year_bound)
        covered_bound = last.demand_weight if not np.isfinite(b) else min(
            max(b, last.weight_covered), last.demand_weight)
        share_bound = _share(covered_bound, last.demand_weight)
    return Headline(year=last.year, unit=weight_unit(sc.weight), covered=last.weight_covered,
                    total=last.demand_weight, share=last.coverage_share,
                    vehicles_covered=last.vehicles_covered, vehicles_total=last.nev_vehicles,
                    covered_bound=covered_bound, share_bound=share_bound)


def _type_figures(sc: Scenario, stations: gpd.GeoDataFrame) -> dict[str, TypeFigures]:
    out = {}
    for t in sc.station_types:
        st = stations[stations["station_type"] == t.id]
        cap = float(st["capacity"].sum())
        energy = float(st["served_energy"].sum())
        out[t.id] = TypeFigures(
            name=t.name or t.id, name_en=t.name_en or "", count=len(st),
            new=int((~st["existing"]).sum()), existing=int(st["existing"].sum()),
            capex=float(st["capex"].sum()), capacity=cap, capacity_unit=t.capacity_unit,
            served_demand=float(st["served_demand"].sum()),
            served_vehicles=float(st["served_vehicles"].sum()), served_energy=energy,
            utilisation=energy / cap if cap > 0 else None, color=t.color, glyph=t.glyph,
            glyph_en=t.glyph_en, family=t.family)
    return out


def _zone_figures(stations: gpd.GeoDataFrame, zone_names: dict[str, str],
                  zone_names_en: dict[str, str]) -> dict[str, ZoneFigures]:
    out = {}
    for z, grp in stations.groupby("zone"):
        key = str(z) or OUTSIDE_ZONES
        out[key] = ZoneFigures(
            name=zone_names.get(str(z), ""), name_en=zone_names_en.get(str(z), ""),
            count=len(grp),
            by_type={str(k): int(v) for k, v in grp["station_type"].value_counts()
                     .sort_index().items()},
            capex=float(grp["capex"].sum()))
    return out


def _share_figures(mask_of: dict[str, np.ndarray], names: dict[str, tuple[str, str]],
                   dem: DemandArrays, served: np.ndarray, last: int) -> dict[str, ShareFigures]:
    out = {}
    final = dem.year == last
    for key, mask in mask_of.items():
        m = mask & final
        w = float(dem.weight[m].sum())
        name, name_en = names.get(key, ("", ""))
        out[key] = ShareFigures(
            name=name, name_en=name_en,
            coverage_share=_share(float((dem.weight[m] * served[m]).sum()), w),
            demand_weight=w, nev_vehicles=float(dem.vehicles[m].sum()),
            vehicles_covered=float((dem.vehicles[m] * served[m]).sum()))
    return out


def _corridors(sc: Scenario, flows: list[Flow], sol: Solution) -> list[CorridorFigures]:
    fc = getattr(sol, "flow_covered", None)
    by_id = {c.id: c for c in sc.corridors}
    out = []
    for k, f in enumerate(flows):
        c = by_id.get(f.corridor_id)
        covered = None if fc is None else float(fc[k])
        trucks = c.trucks_per_day if c is not None else f.weight
        out.append(CorridorFigures(
            id=f.corridor_id, name=f.name, name_en=c.name_en if c is not None else "",
            pathway=c.pathway if c is not None else "",
            trucks_per_day=trucks, length_km=f.length_km, covered=covered,
            trucks_covered=None if covered is None else covered * trucks, weight=f.weight,
            energy_per_day=f.energy, energy_unit="kg/day" if f.unit == 1 else "kWh/day"))
    return out


def supply_figures(sc: Scenario, sol: Solution, supply: gpd.GeoDataFrame | None,
                   options: pd.DataFrame) -> dict[str, SupplyUse]:
    """Per hydrogen supply site: its kg/day and what the plan draws from it each year."""
    if sc.hydrogen is None or supply is None or not len(supply):
        return {}
    use = getattr(sol, "supply_use", None)
    basis = ""
    if "supply_basis" in options.columns:
        kinds = sorted({b for b in options["supply_basis"].astype(str) if b})
        basis = " and ".join(kinds)
    out = {}
    for k, (sid, kg) in enumerate(zip(supply["supply_id"].astype(str),
                                      supply["kg_per_day"].astype(float), strict=True)):
        name = str(supply["name"].iloc[k]) if "name" in supply.columns else ""
        used = ({} if use is None else
                {str(y): float(use[k, p]) for p, y in enumerate(sc.years)})
        out[sid] = SupplyUse(name=name, kg_per_day=float(kg), used_kg_per_day=used,
                             delivery_km=sc.hydrogen.delivery_km, distance_basis=basis)
    return out


def _provenance(sc: Scenario, net: RoadNetwork) -> str:
    prov = []
    if net.schematic:
        prov.append("SCHEMATIC road network — drawn from described corridors, not surveyed; "
                    "travel times are indicative only.")
    if sc.network.provenance:
        prov.append(sc.network.provenance)
    if sc.description:
        prov.append(sc.description)
    sources = sc.base_dir / "SOURCES.md"
    if sources.exists():
        prov.append(f"Figures and assumptions: {sources.name} in the scenario folder.")
    return " ".join(prov)


@dataclass(frozen=True)
class ReportInputs:
    """What :func:`build_report` reads besides the scenario and the solution."""

    net: RoadNetwork
    demand: gpd.GeoDataFrame       # with served_share
    stations: gpd.GeoDataFrame     # final-year figures (see siting.results.station_table)
    station_years: pd.DataFrame
    candidates: gpd.GeoDataFrame
    options: pd.DataFrame
    flows: list[Flow]
    extra: dict[str, Any]
    zone_names: dict[str, str]
    budget_total: float
    budget_by_year: np.ndarray | None
    zone_names_en: dict[str, str] = field(default_factory=dict)
    #: Per zone id, its demand rows (:func:`siting.zone_coverage.demand_in_zones`).
    in_zone: dict[str, np.ndarray] = field(default_factory=dict)
    #: The model input solved (its target floor, in a least-cost run).
    model_input: ModelInput | None = None


def build_report(sc: Scenario, sol: Solution, ri: ReportInputs) -> Report:
    """The run's :class:`~siting.report.Report` (every figure per year; see the module)."""
    dem = DemandArrays.from_demand(ri.demand, sc.years)
    served = ri.demand["served_share"].to_numpy(dtype=float)
    by_year = _year_figures(sc, dem, served, ri.stations, ri.budget_by_year)
    headline = _headline(sc, by_year, sol)
    last = len(sc.years) - 1
    seg = ri.demand["segment"].to_numpy()
    pw = ri.demand["pathway"].to_numpy()
    corridors = _corridors(sc, ri.flows, sol)
    new = ri.stations[~ri.stations["existing"]]
    return Report(
        siting_version=__version__,
        scenario=ScenarioInfo(name=sc.name, name_en=sc.name_en, file=sc.source_file.name,
                              years=list(sc.years), weight=sc.weight, lang=sc.lang,
                              weight_unit=weight_unit(sc.weight)),
        budget=float(ri.budget_total),
        budget_by_year=({} if ri.budget_by_year is None else
                        {str(y): float(b) for y, b in zip(sc.years, ri.budget_by_year)}),
        spent=float(new["capex"].sum()),
        objective=float(sol.objective),
        objective_parts=ObjectiveParts(
            point_demand=float((dem.weight * served).sum()),
            corridor_trucks=float(sum(c.trucks_covered or 0.0 for c in corridors)),
            corridor_weight=float(sc.corridor_weight)),
        coverage_share=headline.share,
        headline=headline,
        by_year=by_year,
        by_type=_type_figures(sc, ri.stations),
        by_zone=_zone_figures(ri.stations, ri.zone_names, ri.zone_names_en),
        by_segment=_share_figures(
            {s.id: seg == s.id for s in sc.segments},
            {s.id: (s.name or s.id, s.name_en or s.id) for s in sc.segments}, dem, served, last),
        by_pathway=_share_figures({p: pw == p for p in sorted(set(pw))}, {}, dem, served, last),
        station_years=[StationYear.model_validate(
                           {k: (None if isinstance(v, float) and np.isnan(v) else v)
                            for k, v in r.items()})
                       for r in ri.station_years.to_dict("records")],
        corridors=corridors,
        zone_requirements=[r.model_dump() for r in sc.zone_requirements],
        grid=_grid(sc, sol, ri),
        hydrogen_supply=supply_figures(sc, sol, ri.extra.get("h2_supply"), ri.options),
        solver=SolverInfo(
            name=sol.solver, status=sol.status,
            gap=None if sol.gap is None else float(sol.gap),
            bound=None if sol.bound is None else float(sol.bound),
            proven_optimal=sol.status == "optimal", cost_status=sol.cost_status,
            objective_range=[float(sol.objective), float(max(sol.bound, sol.objective))
                             if np.isfinite(sol.bound) else float(sol.objective)],
            seconds=float(sol.seconds), time_limit_s=sc.solver.time_limit_s,
            mip_gap=sc.solver.mip_gap, capacitated=sc.solver.capacitated,
            max_alloc_options=sc.solver.max_alloc_options, variables=int(sol.n_vars),
            constraints=int(sol.n_cons)),
        inputs=_input_counts(ri),
        network=_network_info(ri.net),
        data_provenance=_provenance(sc, ri.net),
        provenance=Provenance(
            network=sc.network.provenance or "", description=sc.description or "",
            sources_file="SOURCES.md" if (sc.base_dir / "SOURCES.md").exists() else ""),
        extra_layers=sorted(ri.extra),
        mode="least_cost" if sc.objective.target_share is not None else "coverage",
        target=_target(sc, sol, by_year, ri),
        zone_coverage=zone_coverage(sc, dem, served, ri.in_zone, ri.zone_names,
                                    ri.zone_names_en),
        economics=plan_economics(sc, ri.demand, dem, served, ri.station_years)
        if "cost_cny_per_year" in ri.station_years.columns else None,
    )


def _target(sc: Scenario, sol: Solution, by_year: dict[str, YearFigures],
            ri: ReportInputs) -> TargetFigures | None:
    """The target of a least-cost run and what the plan achieves (None otherwise)."""
    share = sc.objective.target_share
    if share is None:
        return None
    last = by_year[str(sc.years[-1])]
    spent = float(ri.stations.loc[~ri.stations["existing"], "capex"].sum())
    return TargetFigures(
        share=float(share), year=last.year, unit=weight_unit(sc.weight),
        required=float(share) * last.demand_weight, covered=last.weight_covered,
        achieved_share=last.coverage_share, spent=spent,
        cost_bound=None if sol.bound is None or not np.isfinite(sol.bound) else float(sol.bound),
        gap=None if sol.gap is None or not np.isfinite(sol.gap) else float(sol.gap),
        status=sol.status,
        budget_cap=float(sc.budget.total) if sc.objective.budget_cap else None)


def _grid(sc: Scenario, sol: Solution, ri: ReportInputs) -> dict[str, GridUse]:
    if sc.grid is None or "substations" not in ri.extra:
        return {}
    subs = ri.extra["substations"]
    opened = ri.options.iloc[np.flatnonzero(np.asarray(sol.open_year) >= 0)]
    opened = opened[~opened["existing"].astype(bool)]
    used = opened.groupby("substation")["grid_kw"].sum().to_dict()
    return {sid: GridUse(spare_kw=spare * 1000.0, new_load_kw=float(used.get(sid, 0.0)))
            for sid, spare in zip(subs[sc.grid.id_column].astype(str),
                                  subs[sc.grid.spare_column].astype(float))}


def _input_counts(ri: ReportInputs) -> InputCounts:
    cand, demand = ri.candidates, ri.demand
    excluded = int(cand["n_excluded"].sum()) if len(cand) and "n_excluded" in cand else 0
    return InputCounts(
        demand_points=len(demand),
        fleet_points=int(demand["fleet_id"].nunique()) if len(demand) else 0,
        candidates=int((~cand["existing"]).sum()), existing_stations=int(cand["existing"].sum()),
        options=len(ri.options), excluded_options=excluded,
        network_nodes=len(ri.net.node_id), network_edges=len(ri.net.edge_u),
        corridors=len(ri.flows))


def _network_info(net: RoadNetwork) -> NetworkInfo:
    comp = net.components()
    return NetworkInfo(source=net.source, schematic=bool(net.schematic),
                       components=int(comp.n_components),
                       largest_component_share=float(comp.largest_share), crs=net.crs,
                       posted_limits=net.n_posted_limits)
