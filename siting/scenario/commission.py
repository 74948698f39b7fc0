"""What the commission asks: the objective (a target at least cost), the price of mandates,
economics (levelised cost, diesel, CO2) and the uncertainty of the fleet guesses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from siting.scenario.fields import Pathway, Positive, Share, StrictModel
from siting.scenario.fleet import StationType


class ObjectiveSpec(StrictModel):
    """What the optimiser does: maximise coverage within the budget, or reach a target at
    least cost."""

    #: None (default): maximise the covered demand within [budget]. A share 0-1: the cheapest
    #: plan (capital cost) covering at least this share of the final planning year's demand
    #: weight (NEV vehicles, or kWh/day); every rule still holds, budget.by_year caps too.
    target_share: Share | None = None
    #: With target_share: keep budget.total as a cap as well (default: not, the question is
    #: what the target costs).
    budget_cap: bool = False


#: Rule families whose price ``[mandates] families`` may ask for.
MANDATE_FAMILIES: tuple[str, ...] = ("zone_requirements", "zone_coverage", "budget_by_year",
                                     "grid", "hydrogen_supply", "setbacks",
                                     "vehicles_per_day")


class MandatesSpec(StrictModel):
    """The price of each mandate: the plan re-solved without it (coverage gained or money
    saved)."""

    #: Price every zone requirement and zone coverage floor (and the families below) on
    #: ``siting run``; ``siting run --mandates`` does the same for one run.
    price: bool = False
    #: Rule families to price as a whole, besides each zone requirement: any of
    #: zone_requirements, zone_coverage, budget_by_year, grid, hydrogen_supply, setbacks,
    #: vehicles_per_day.
    families: list[Literal["zone_requirements", "zone_coverage", "budget_by_year", "grid",
                           "hydrogen_supply", "setbacks", "vehicles_per_day"]] = Field(
        default_factory=list)
    #: Worker processes for the re-solves (default: the number of CPU cores, at most 8).
    workers: Annotated[int, Field(ge=1, le=256)] | None = None


#: Default lifetime of a station, years, by family (see data/suizhou/SOURCES.md).
DEFAULT_LIFETIME_YEARS: dict[Pathway, float] = {"swap": 10.0, "charging": 10.0, "hydrogen": 15.0}
#: Default yearly operation and maintenance cost as a share of capex, by family.
DEFAULT_OPEX_SHARE: dict[Pathway, float] = {"swap": 0.05, "charging": 0.03, "hydrogen": 0.05}
#: The Central China (华中) regional grid's average CO2 emission factor for 2022, kg/kWh
#: (MEE and NBS, announced 26 Dec 2024; see data/suizhou/SOURCES.md).
CENTRAL_CHINA_GRID_CO2: float = 0.5395
CENTRAL_CHINA_GRID_SOURCE: str = (
    "华中区域电网 2022 年平均二氧化碳排放因子 0.5395 kg CO₂/kWh — 生态环境部、国家统计局《关于"
    "发布2022年电力二氧化碳排放因子的公告》(2024-12-26)")


class TypeEconomics(StrictModel):
    """One station type's lifetime and running cost (defaults: by family)."""

    lifetime_years: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    #: Yearly operation and maintenance as a share of capex (0.03 = 3 %/year).
    opex_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None


class EconomicsSpec(StrictModel):
    """What the plan costs to run and what it saves (levelised cost, diesel, CO2)."""

    #: Real discount rate for annualising capex (0.08 = the 8 % social discount rate).
    discount_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.08
    #: Days a year the fleets work and the stations deliver.
    operating_days: Annotated[float, Field(gt=0, le=366, allow_inf_nan=False)] = 330.0
    #: Price the stations pay for electricity, CNY/kWh.
    electricity_cny_per_kwh: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.70
    #: Price of delivered hydrogen bought by a station, CNY/kg.
    hydrogen_cny_per_kg: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] = 35.0
    #: Electricity an on-site electrolyser uses per kg of hydrogen, kWh/kg.
    electrolysis_kwh_per_kg: Annotated[float, Field(gt=0, le=200, allow_inf_nan=False)] = 55.0
    #: Station lifetime, years, by family (swap, charging, hydrogen).
    lifetime_years: dict[Literal["swap", "charging", "hydrogen"],
                         Annotated[float, Field(gt=0, le=100)]] = Field(
        default_factory=lambda: dict(DEFAULT_LIFETIME_YEARS))
    #: Yearly O&M as a share of capex, by family.
    opex_share: dict[Literal["swap", "charging", "hydrogen"],
                     Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: dict(DEFAULT_OPEX_SHARE))
    #: Per station type overrides of lifetime_years and opex_share.
    station_types: dict[str, TypeEconomics] = Field(default_factory=dict)
    #: Diesel a segment's conventional vehicle burns, L/100 km, by segment id; segments not
    #: listed use kwh_per_km × diesel_l_per_kwh × 100.
    diesel_l_per_100km: dict[str, Annotated[float, Field(gt=0, le=500)]] = Field(
        default_factory=dict)
    #: Diesel replaced per kWh a battery-electric vehicle uses (fallback above), L/kWh.
    diesel_l_per_kwh: Annotated[float, Field(gt=0, le=5, allow_inf_nan=False)] = 0.30
    #: CO2 from burning diesel, kg/L.
    diesel_co2_kg_per_l: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 2.66
    #: CO2 of grid electricity, kg/kWh (default: the Central China grid's 2022 factor).
    grid_co2_kg_per_kwh: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)] = (
        CENTRAL_CHINA_GRID_CO2)
    #: Where grid_co2_kg_per_kwh comes from (shown with the figure).
    grid_factor_source: str = CENTRAL_CHINA_GRID_SOURCE
    #: CO2 of delivered hydrogen, kg per kg H2 (production and delivery).
    hydrogen_co2_kg_per_kg: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 10.0

    def lifetime(self, st: StationType) -> float:
        """Lifetime of a station type, years."""
        own = self.station_types.get(st.id)
        if own is not None and own.lifetime_years is not None:
            return float(own.lifetime_years)
        return float(self.lifetime_years.get(st.family, DEFAULT_LIFETIME_YEARS[st.family]))

    def opex(self, st: StationType) -> float:
        """Yearly O&M of a station type as a share of its capex."""
        own = self.station_types.get(st.id)
        if own is not None and own.opex_share is not None:
            return float(own.opex_share)
        return float(self.opex_share.get(st.family, DEFAULT_OPEX_SHARE[st.family]))


def _range(v: tuple[float, float]) -> tuple[float, float]:
    lo, hi = v
    if lo > hi:
        msg = f"range [{lo}, {hi}] must be [low, high] with low <= high"
        raise ValueError(msg)
    return v


Range = Annotated[tuple[Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)],
                        Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]],
                  AfterValidator(_range)]


class SegmentRanges(StrictModel):
    """Multipliers drawn uniformly in [low, high] per sample (1 = the scenario's value)."""

    #: Fleet size (vehicles of every fleet point of the segment).
    vehicles: Range | None = None
    #: New-energy share of every planning year (the adoption ramp), clipped to 1.
    nev_share: Range | None = None
    #: Hydrogen's share of the pathway split (hydrogen uptake), clipped to 1; the electric
    #: pathways share the rest in their own proportions.
    hydrogen_share: Range | None = None
    #: Battery swap's share within the electric pathways (swap vs charging), clipped to 1.
    swap_share: Range | None = None


class UncertaintySpec(SegmentRanges):
    """Ranges of the fleet guesses, for ``siting robust`` (the base values are the middle)."""

    #: Random seed (the same seed gives the same samples).
    seed: int = 0
    #: Samples to draw (``siting robust --n`` overrides).
    samples: Annotated[int, Field(ge=1, le=100_000)] = 50
    #: A station chosen in at least this share of the samples is "no-regret".
    no_regret_share: Annotated[float, Field(gt=0, le=1)] = 0.9
    #: Solver time limit per sample, s (default: solver.time_limit_s).
    time_limit_s: Positive | None = None
    #: Ranges of one segment (by id), replacing the ranges above for it.
    segments: dict[str, SegmentRanges] = Field(default_factory=dict)
