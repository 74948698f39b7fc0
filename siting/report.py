"""The run report: one typed record, built in one place, read by every output.

:class:`Report` is what ``report.json`` holds. :func:`build_report` makes it from the solved
plan (in :mod:`siting.pipeline`); the map, the briefing, the comparison, the sweep and the
console read its fields, never a loose dict. :func:`read_report` reads a ``report.json`` back
(for ``siting brief`` and ``siting compare``) and names the key when a file was edited into
the wrong shape.

**What the figures count.** A plan covers demand over several planning years; vehicles and
daily energy are never added up across years. Every per-vehicle or per-day figure is for one
year, and the year is named:

* :attr:`Report.headline` — the final planning year: new-energy vehicles (or daily energy, as
  the scenario's ``weight`` says) covered, of that year's new-energy fleet, and the share;
* :attr:`Report.by_year` — the same for every year, with energy per day, stations and money;
* :attr:`Report.station_years` — per station and year: vehicles served, energy per day,
  capacity and utilisation;
* ``coverage_share`` — the headline's share (the output contract's key);
* ``objective`` — what the optimiser maximised: covered weight summed over the planning years
  plus covered corridor trucks × ``corridor_weight`` (:attr:`Report.objective_parts` splits
  it). It is a score, not a count of vehicles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siting._errors import InputDataError

#: Key of ``by_zone`` for the stations outside every zone (a zone may not have this id).
OUTSIDE_ZONES = "(outside zones)"
#: Lower heating value of hydrogen, kWh per kg, to put hydrogen on the energy scale.
H2_KWH_PER_KG = 33.3


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ScenarioInfo(_Record):
    """Which scenario was solved."""

    name: str
    name_en: str = ""
    file: str = ""
    years: list[int]
    weight: Literal["vehicles", "energy"] = "vehicles"
    lang: Literal["zh", "en"] = "zh"
    #: Unit of the coverage weight: ``"NEV vehicles"`` or ``"kWh/day"``.
    weight_unit: str = "NEV vehicles"


class Headline(_Record):
    """The plan's coverage in the final planning year."""

    year: int
    #: Unit of ``covered``/``total``: ``"NEV vehicles"`` or ``"kWh/day"`` (the weight).
    unit: str
    covered: float
    total: float
    share: float
    #: New-energy vehicles covered and in the fleet that year (whatever the weight).
    vehicles_covered: float
    vehicles_total: float
    #: When the solver stopped before proving its plan optimal: a proven upper bound on the
    #: weight (``unit``) *any* plan could cover in this year, and that bound's share — so the
    #: headline reads as a range, ``share`` … ``share_bound``. It is the bound of a separate
    #: solve that maximises this year's covered weight alone (every constraint kept,
    #: capacities relaxed), not the objective's bound: the objective sums every planning
    #: year plus corridor trucks, so its bound says nothing about one year by itself.
    #: None when the plan is proven optimal.
    covered_bound: float | None = None
    share_bound: float | None = None


class YearFigures(_Record):
    """One planning year (point demand only; corridor trucks are in ``corridors``)."""

    year: int
    nev_vehicles: float
    vehicles_covered: float
    demand_weight: float
    weight_covered: float
    coverage_share: float
    #: Daily electric energy (swap + charging) needed and served, kWh/day.
    energy_kwh_per_day: float
    energy_kwh_per_day_served: float
    #: Daily hydrogen needed and served, kg/day.
    h2_kg_per_day: float
    h2_kg_per_day_served: float
    new_stations: int
    stations_open: int
    #: Capital spent on stations opening that year, CNY.
    spent: float
    #: The budget cap used for that year, CNY (None: no yearly cap).
    budget: float | None = None


class TypeFigures(_Record):
    """One station type, in the final planning year."""

    name: str
    name_en: str = ""
    count: int
    new: int
    existing: int
    capex: float
    capacity: float
    capacity_unit: str
    #: Final year: weight served (``weight_unit``), vehicles served, energy per day served in
    #: ``capacity_unit``'s unit, and served / capacity.
    served_demand: float
    served_vehicles: float
    served_energy: float
    utilisation: float | None = None
    #: The type's symbol in every output: CSS colour, glyph (``glyph_en`` in English
    #: outputs; empty = ``glyph``) and family (``swap``/``charging``/``hydrogen``: the shape).
    color: str = ""
    glyph: str = ""
    glyph_en: str = ""
    family: str = ""


class ZoneFigures(_Record):
    """Stations in one zone (the smallest containing zone of each site)."""

    name: str = ""
    name_en: str = ""
    count: int
    by_type: dict[str, int]
    capex: float


class ShareFigures(_Record):
    """Coverage of one segment or pathway in the final planning year."""

    name: str = ""
    name_en: str = ""
    coverage_share: float
    demand_weight: float
    nev_vehicles: float = 0.0
    vehicles_covered: float = 0.0


class StationYear(_Record):
    """One station in one year it is open."""

    site_id: str
    station_type: str
    year: int
    #: Fleet vehicles served (point demand) and corridor trucks refuelling, per day.
    vehicles: float
    corridor_trucks: float = 0.0
    #: Electric energy (swap/charging) served, kWh/day (corridor trucks included), and the
    #: electric capacity, kWh/day.
    energy_kwh_per_day: float
    capacity_kwh_per_day: float | None = None
    #: Hydrogen served, kg/day, and the hydrogen capacity, kg/day.
    h2_kg_per_day: float
    capacity_h2_kg_per_day: float | None = None
    #: Served / capacity of the station's main pool (electric, or hydrogen for H2-only types).
    utilisation: float | None = None
    h2_utilisation: float | None = None
    #: Energy delivered that year: kWh/year (electric) and kg/year (hydrogen), at
    #: ``economics.operating_days`` days a year.
    kwh_per_year: float | None = None
    h2_kg_per_year: float | None = None
    #: Levelised cost of what the station delivers that year: (annualised capex + O&M +
    #: energy bought) / energy delivered, in ``levelised_cost_unit`` (CNY/kWh, CNY/kg, or
    #: CNY/kWh-equivalent for stations delivering both, hydrogen at 33.3 kWh/kg). None when
    #: it delivers nothing that year.
    levelised_cost: float | None = None
    levelised_cost_unit: str = ""


class CorridorFigures(_Record):
    """A truck corridor (flow-refuelling model), counted apart from the point demand."""

    id: str
    name: str = ""
    name_en: str = ""
    pathway: str = ""
    trucks_per_day: float
    length_km: float
    #: 1 when the plan lets the round trip refuel within range, else 0 (a share when the
    #: solver returns a fraction).
    covered: float | None = None
    trucks_covered: float | None = None
    #: Objective weight of the flow: trucks per day × ``corridor_weight``.
    weight: float
    #: Energy the covered trucks take on the route per day (kWh, or kg of hydrogen), drawn
    #: from the on-route stations' capacity; 0 = not modelled (no energy use per km given).
    energy_per_day: float = 0.0
    energy_unit: str = "kWh/day"


class ObjectiveParts(_Record):
    """What the optimiser's objective adds up."""

    #: Σ over planning years of covered point-demand weight (vehicle-years, or kWh/day-years).
    point_demand: float
    #: Σ of covered corridor trucks per day (final plan).
    corridor_trucks: float
    corridor_weight: float


class ZoneCoverage(_Record):
    """One zone's demand and the share of it the plan covers (final planning year)."""

    name: str = ""
    #: The zone layer's English name ("" when it has none).
    name_en: str = ""
    year: int
    #: Covered weight / the zone's whole weight that year (None: no demand in the zone).
    coverage_share: float | None = None
    demand_weight: float = 0.0
    weight_covered: float = 0.0
    nev_vehicles: float = 0.0
    vehicles_covered: float = 0.0
    #: The scenario's minimum share for the zone (``[[zone_coverage]]``), its year and the
    #: share the plan covers in that year.
    min_share: float | None = None
    min_share_year: int | None = None
    share_in_min_year: float | None = None


class TargetFigures(_Record):
    """A least-cost run: the target, what reaching it costs and how sure that is."""

    #: Required covered share of the final year's demand weight, and that year.
    share: float
    year: int
    unit: str
    required: float
    covered: float
    achieved_share: float
    #: Capital cost of the plan (CNY), a lower bound on the least cost, the relative gap.
    spent: float
    cost_bound: float | None = None
    gap: float | None = None
    status: str = ""
    #: budget.total when kept as a cap (``[objective] budget_cap``), else None.
    budget_cap: float | None = None


class MandatePrice(_Record):
    """What one mandate costs: the plan re-solved without it."""

    #: ``zone_requirement:<k>``, ``zone_coverage:<k>`` or the family name.
    key: str
    #: ``zone_requirement``, ``zone_floor`` or the family name (see
    #: :data:`siting.scenario.MANDATE_FAMILIES`).
    kind: str
    #: The mandate in words (English; the briefing translates the kind).
    label: str
    #: The zone of a zone requirement or zone coverage floor.
    zone: str = ""
    #: Final-year coverage share and capital cost with the mandate (the run's plan) and
    #: without it.
    coverage_with: float
    coverage_without: float | None = None
    spent_with: float
    spent_without: float | None = None
    #: Coverage points gained (coverage mode) and money saved (CNY) without the mandate.
    coverage_gained: float | None = None
    money_saved: float | None = None
    #: Whether the mandate changes the plan's value (binds): gained > 0.05 points, or saved >
    #: 0.1 % of the spending.
    binding: bool | None = None
    #: Solver status of the re-solve; ``"infeasible"`` / ``"failed"`` with a note.
    status: str = ""
    gap: float | None = None
    note: str = ""


class EconomicsYear(_Record):
    """What the plan displaces and emits in one planning year (point demand; a year of
    ``operating_days``)."""

    year: int
    #: Covered vehicle-km per year, and the diesel those vehicles would burn, L/year.
    vehicle_km_per_year: float
    diesel_l_per_year: float
    #: Energy served per year.
    electricity_kwh_per_year: float
    h2_kg_per_year: float
    #: CO2: diesel avoided minus grid electricity and hydrogen used, t/year.
    co2_diesel_t_per_year: float
    co2_electricity_t_per_year: float
    co2_hydrogen_t_per_year: float
    co2_avoided_t_per_year: float
    #: Plan-wide levelised cost that year: total yearly cost / energy delivered.
    cost_cny_per_year: float = 0.0


class EconomicsFigures(_Record):
    """The plan's running cost and savings, with the inputs used."""

    discount_rate: float
    operating_days: float
    electricity_cny_per_kwh: float
    hydrogen_cny_per_kg: float
    diesel_co2_kg_per_l: float
    grid_co2_kg_per_kwh: float
    grid_factor_source: str
    hydrogen_co2_kg_per_kg: float
    by_year: dict[str, EconomicsYear] = Field(default_factory=dict)
    #: Final year, per station type: mean levelised cost weighted by energy delivered.
    levelised_by_type: dict[str, float] = Field(default_factory=dict)
    levelised_unit_by_type: dict[str, str] = Field(default_factory=dict)
    #: Corridor trucks are not counted here (their diesel is not modelled).
    note: str = ""


class RobustStation(_Record):
    """One candidate (site, station type) across the samples of a robustness study."""

    site_id: str
    station_type: str
    name: str = ""
    zone: str = ""
    #: Share of samples whose own optimal plan builds it; whether the base plan does.
    chosen_share: float
    in_base_plan: bool = False
    existing: bool = False
    no_regret: bool = False


class RobustnessFigures(_Record):
    """``siting robust``: the plan under sampled fleets."""

    samples: int
    seed: int
    no_regret_share: float
    #: How the samples ran: ``"processes (N)"`` or ``"dask <address>"``; seconds in total.
    backend: str = ""
    seconds: float = 0.0
    #: Final-year coverage of each sample's own plan and of the base plan on that sample
    #: (means), and the base plan's regret (own − base, share points): mean, 90th pct, max.
    own_share_mean: float
    base_share_mean: float
    regret_mean: float
    regret_p90: float
    regret_max: float
    #: Samples whose solver stopped at its time limit (their regret may be understated).
    samples_not_proven: int = 0
    stations: list[RobustStation] = Field(default_factory=list)


class SolverInfo(_Record):
    """How the plan was found and how good it is proven to be.

    ``bound`` is a proven upper bound on the *objective* (``Report.objective``: covered
    weight summed over the planning years plus covered corridor trucks × weight); the
    plan's objective and it form the range ``objective_range``. ``gap`` is
    (bound − objective) / objective.
    """

    name: str
    status: str
    gap: float | None = None
    bound: float | None = None
    #: True when the plan's objective is proven optimal (within ``mip_gap``).
    proven_optimal: bool = False
    #: Whether the plan is proven the cheapest of the plans with its coverage: "optimal",
    #: "time_limit" (a cheaper one may exist), "not_run", "none" (no costs), "weighted"
    #: (one weighted objective; CBC). See siting.model.phases.
    cost_status: str = ""
    #: [the plan's objective, the proven bound on it] (equal when proven optimal).
    objective_range: list[float] | None = None
    seconds: float = 0.0
    time_limit_s: float | None = None
    mip_gap: float | None = None
    capacitated: bool = True
    max_alloc_options: int = 0
    variables: int = 0
    constraints: int = 0


class InputCounts(_Record):
    """How big the instance was."""

    demand_points: int
    fleet_points: int
    candidates: int
    existing_stations: int
    options: int
    excluded_options: int
    network_nodes: int
    network_edges: int
    corridors: int


class NetworkInfo(_Record):
    """The road network used."""

    source: str
    schematic: bool = False
    components: int = 1
    largest_component_share: float = 1.0
    crs: str = ""
    #: Directed links with a posted speed limit (``maxspeed``), which caps their speed.
    posted_limits: int = 0


class SupplyUse(_Record):
    """One hydrogen supply site: what it can deliver and what the plan draws, kg/day."""

    name: str = ""
    kg_per_day: float
    #: Hydrogen delivered to the plan's stations, kg/day, by planning year.
    used_kg_per_day: dict[str, float] = Field(default_factory=dict)
    #: Stations it may deliver to (within delivery distance) and how that was measured.
    delivery_km: float = 0.0
    distance_basis: str = ""


class Provenance(_Record):
    """Where the data come from, in parts (``data_provenance`` is the same in one text)."""

    #: The network's provenance text, as the scenario gives it.
    network: str = ""
    #: The scenario's description.
    description: str = ""
    #: File in the scenario folder listing sources and assumptions (e.g. ``SOURCES.md``).
    sources_file: str = ""


class GridUse(_Record):
    """One substation: spare capacity and the new stations' peak load on it, kW."""

    spare_kw: float
    new_load_kw: float


class Report(_Record):
    """The content of ``report.json`` (see the module notes for what each figure counts)."""

    siting_version: str = ""
    scenario: ScenarioInfo
    #: Total budget used for this plan, CNY, and the yearly caps used (CNY by year).
    budget: float
    budget_by_year: dict[str, float] = Field(default_factory=dict)
    spent: float
    objective: float
    objective_parts: ObjectiveParts | None = None
    #: The headline's share (final planning year).
    coverage_share: float
    headline: Headline
    by_year: dict[str, YearFigures]
    by_type: dict[str, TypeFigures]
    #: Per zone id, and :data:`OUTSIDE_ZONES` for the stations outside every zone.
    by_zone: dict[str, ZoneFigures] = Field(default_factory=dict)
    by_segment: dict[str, ShareFigures] = Field(default_factory=dict)
    by_pathway: dict[str, ShareFigures] = Field(default_factory=dict)
    station_years: list[StationYear] = Field(default_factory=list)
    corridors: list[CorridorFigures] = Field(default_factory=list)
    zone_requirements: list[dict[str, Any]] = Field(default_factory=list)
    grid: dict[str, GridUse] = Field(default_factory=dict)
    hydrogen_supply: dict[str, SupplyUse] = Field(default_factory=dict)
    solver: SolverInfo
    inputs: InputCounts
    network: NetworkInfo
    data_provenance: str = ""
    provenance: Provenance = Field(default_factory=Provenance)
    extra_layers: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    output_crs: str | None = None
    #: Remarks a reader must see with the figures (e.g. a sweep point showing a smaller
    #: budget's plan), in English; empty for a plain run.
    notes: list[str] = Field(default_factory=list)
    #: ``"coverage"`` (maximise coverage within the budget) or ``"least_cost"`` (the cheapest
    #: plan reaching ``target``).
    mode: Literal["coverage", "least_cost"] = "coverage"
    target: TargetFigures | None = None
    #: Coverage share of each zone's demand (final year), with the zones' floors.
    zone_coverage: dict[str, ZoneCoverage] = Field(default_factory=dict)
    #: The price of each mandate (``siting run --mandates``).
    mandates: list[MandatePrice] = Field(default_factory=list)
    economics: EconomicsFigures | None = None
    #: ``siting robust`` only.
    robustness: RobustnessFigures | None = None

    @property
    def final_year(self) -> int:
        """The last planning year (the headline's)."""
        return self.headline.year

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``report.json``'s content)."""
        return self.model_dump(mode="json")


def read_report(path: str | Path) -> Report:
    """Read a ``report.json`` written by ``siting run``.

    Raises
    ------
    InputDataError
        Missing, not JSON, or a key of the wrong type (the message names the key and the fix).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: not found; pass a folder written by `siting run` or `siting demo`"
        raise InputDataError(msg)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        msg = f"{path}: cannot be read as JSON ({e}); re-run `siting run` to rewrite it"
        raise InputDataError(msg) from None
    if not isinstance(raw, dict):
        msg = f"{path}: top level is not a JSON object; re-run `siting run` to rewrite it"
        raise InputDataError(msg)
    from siting._run_report import check_report  # strict JSON types, named in one line

    check_report(raw, path)
    try:
        return Report.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "missing":  # the input is the enclosing table: nothing to echo
            what = "is missing"
        else:
            got = repr(err.get("input"))
            what = f"{err['msg'].lower()} (got {got if len(got) <= 40 else got[:39] + '…'})"
        msg = (f"{path}: key '{key}' {what}; this file was not written by this version of "
               "siting or was edited — re-run `siting run`")
        raise InputDataError(msg) from None
