"""The fleet and what serves it: fleet segments, station types, truck corridors."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict, StrictBool, field_validator, model_validator

from siting.scenario.fields import (
    LonLat,
    Money,
    NonNegative,
    Pathway,
    Positive,
    Share,
    StrictModel,
    VehicleClass,
    YearKey,
)


class Segment(StrictModel):
    """A fleet segment (sanitation, municipal, logistics, heavy work trucks ...).

    The fleet layer gives, per depot/yard/work-area point, the segment, the number of vehicles
    and their daily distance. The segment turns that into daily energy per pathway per year:
    ``vehicles × nev_share[year] × pathway_split[pathway] × daily_km × use-per-km``.
    """

    id: str
    name: str = ""
    name_en: str = ""
    vehicle_class: VehicleClass
    #: Longest acceptable drive from the demand point to a station, minutes.
    threshold_min: Positive
    #: Battery-electric consumption, kWh per km (swap and charging pathways). The upper
    #: bounds here and below catch unit slips (Wh for kWh ...) that would reach the solver as
    #: numbers it cannot scale.
    kwh_per_km: Annotated[float, Strict(), Field(gt=0, le=50, allow_inf_nan=False)]
    #: Fuel-cell consumption, kg hydrogen per km.
    h2_kg_per_km: Annotated[float, Strict(), Field(gt=0, le=5, allow_inf_nan=False)]
    #: New-energy share of the segment's fleet per planning year (0-1).
    nev_share: dict[YearKey, Share]
    #: Split of the new-energy vehicles over pathways; must sum to 1.
    pathway_split: dict[Pathway, Share]

    @field_validator("pathway_split")
    @classmethod
    def _sums_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            msg = ("pathway_split is empty; give the shares of swap, charging and hydrogen, "
                   "summing to 1, e.g. { charging = 1.0 }")
            raise ValueError(msg)
        if abs(sum(v.values()) - 1.0) > 1e-6:
            msg = f"pathway_split must sum to 1 (it sums to {sum(v.values()):.3f})"
            raise ValueError(msg)
        return v


class StationType(StrictModel):
    """A kind of station that can be built: what it serves, what it costs, what it holds."""

    id: str
    name: str = ""
    name_en: str = ""
    #: Pathways this type serves (an integrated energy station serves several).
    serves: list[Pathway] = Field(min_length=1)
    #: Capital cost of building one, CNY.
    capex: Money
    #: Daily capacity in ``capacity_unit`` (kWh/day for swap and charging, kg/day for hydrogen).
    capacity: Positive
    capacity_unit: str = "kWh/day"
    #: Daily hydrogen capacity, kg/day, of a type that serves hydrogen AND an electric pathway
    #: (an integrated station): ``capacity`` is then its electric capacity in kWh/day and the
    #: two are separate limits. Required for such types; not used otherwise.
    h2_capacity_kg: Positive | None = None
    #: Vehicle classes the type can serve (a heavy-truck chassis swap station takes no vans).
    vehicle_classes: list[VehicleClass] = Field(
        default_factory=lambda: list[VehicleClass](["light", "heavy"]), min_length=1)
    #: Most vehicles it serves per day (connectors × charging turns per connector, or swap
    #: bays × swaps per bay), besides the energy ``capacity``; None = energy limit only.
    vehicles_per_day: Positive | None = None
    #: Peak grid load, kW (used against substation spare capacity).
    grid_kw: NonNegative = 0.0
    #: Hydrogen types: True if the type produces hydrogen on site (no supply site needed).
    onsite_production: StrictBool = False
    #: Map colour (CSS) and one-or-two-letter glyph, the type's symbol in every output;
    #: ``glyph_en`` replaces ``glyph`` in English outputs (default: ``glyph``).
    color: str = "#555555"
    glyph: str = "?"
    glyph_en: str = ""

    @model_validator(mode="after")
    def _pools(self) -> StationType:
        mixed = "hydrogen" in self.serves and len(self.serves) > 1
        if mixed and self.h2_capacity_kg is None:
            msg = (f"station type '{self.id}' serves hydrogen and electric pathways; give "
                   "h2_capacity_kg (kg/day) besides capacity (kWh/day)")
            raise ValueError(msg)
        return self

    def capacity_for(self, pathway: str) -> float:
        """Daily capacity available to ``pathway`` (kg/day for hydrogen, else kWh/day)."""
        if pathway == "hydrogen" and self.h2_capacity_kg is not None:
            return float(self.h2_capacity_kg)
        return float(self.capacity)

    @property
    def family(self) -> Pathway:
        """``hydrogen`` if served, else ``swap`` if served, else ``charging``."""
        order: tuple[Pathway, ...] = ("hydrogen", "swap", "charging")
        for fam in order:
            if fam in self.serves:
                return fam
        return self.serves[0]


class Corridor(StrictModel):
    """A truck flow between two points, covered when a station lies within ``detour_km``."""

    id: str
    name: str = ""
    name_en: str = ""
    origin: LonLat
    destination: LonLat
    trucks_per_day: Annotated[float, Strict(), Field(gt=0, le=100_000, allow_inf_nan=False)]
    pathway: Pathway
    vehicle_class: VehicleClass = "heavy"
    range_km: Positive = 200.0
    detour_km: NonNegative = 2.0
    #: The fleet segment the trucks belong to (their energy use per km comes from it). The
    #: corridor's trucks must not also be in the fleet layer: they would count twice.
    segment: str | None = None
    #: Energy use per km (kWh/km, or kg/km for hydrogen), when not taken from ``segment``.
    kwh_per_km: Annotated[float, Field(ge=0, le=50)] | None = None
    h2_kg_per_km: Annotated[float, Field(ge=0, le=5)] | None = None

    @model_validator(mode="after")
    def _two_ends(self) -> Corridor:
        if tuple(self.origin) == tuple(self.destination):
            msg = (f"origin and destination are the same point {tuple(self.origin)}; give "
                   "the two ends of the trucks' trip")
            raise ValueError(msg)
        return self
