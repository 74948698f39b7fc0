"""The plan's rules: budget, solver, zone requirements and floors, hydrogen supply, setbacks,
grid."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict, StrictBool, model_validator

from siting.scenario.fields import (
    Money,
    NonNegative,
    Pathway,
    Positive,
    Share,
    StrictModel,
    Year,
    YearKey,
)
from siting.scenario.layers import LayerSpec


class Budget(StrictModel):
    """Capital budget in CNY: a total, and optionally a cap per year (phasing)."""

    total: Money
    by_year: dict[YearKey, Money] = Field(default_factory=dict)


class SolverSpec(StrictModel):
    """MIP solver options."""

    name: Literal["highs", "cbc"] = "highs"
    time_limit_s: Positive = 60.0
    mip_gap: Share = 0.0
    threads: Annotated[int, Strict(), Field(ge=1, le=256)] = 2  # HiGHS aborts on absurd counts
    #: Use daily capacities and allocate demand to stations (capacitated coverage).
    capacitated: StrictBool = True
    #: Capacitated only: a demand point may draw energy from at most this many station
    #: options, its nearest by travel time (0 = every option within its threshold, exact).
    #: City-scale runs (50k+ demand points) need 10-20 to fit in memory.
    max_alloc_options: Annotated[int, Strict(), Field(ge=0, le=10_000)] = 0


class ZoneRequirement(StrictModel):
    """At least ``min`` stations serving ``pathway`` (or of ``station_type``) inside ``zone``."""

    zone: str
    pathway: Pathway | None = None
    station_type: str | None = None
    min: Annotated[int, Strict(), Field(ge=1, le=10_000)] = 1
    #: By this planning year (default: the last year).
    by_year: Year | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ZoneRequirement:
        if (self.pathway is None) == (self.station_type is None):
            msg = "zone requirement needs exactly one of pathway or station_type"
            raise ValueError(msg)
        return self


class HydrogenSpec(StrictModel):
    """Hydrogen supply: sites with daily output; a station needs one within ``delivery_km``."""

    supply: LayerSpec
    delivery_km: Positive = 30.0
    #: Delivered cost per kg per km of distance (CNY/kg/km), a tie-breaker in the objective.
    cost_per_kg_km: NonNegative = 0.0


class SetbackSpec(StrictModel):
    """Separation distances (m) of hydrogen stations from sensitive sites, by site category."""

    sites: LayerSpec
    category_column: str = "category"
    distance_m: dict[str, NonNegative]
    #: Station pathways the setbacks apply to.
    applies_to: list[Pathway] = Field(
        default_factory=lambda: list[Pathway](["hydrogen"]))


class GridSpec(StrictModel):
    """Substations with spare capacity (MW); each station draws from its nearest substation."""

    substations: LayerSpec
    id_column: str = "substation_id"
    spare_column: str = "spare_mw"


class ZoneCoverageSpec(StrictModel):
    """At least ``min_share`` of the demand located in ``zone`` covered by ``by_year``."""

    zone: str
    #: Share 0-1 of the zone's demand weight (its fleet points' NEV vehicles or kWh/day that
    #: year, those no station can reach included).
    min_share: Share
    #: Planning year it applies to (default: the last year).
    by_year: int | None = None
