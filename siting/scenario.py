"""The scenario file: schema (pydantic), TOML loading, path resolution and validation.

A scenario is one TOML file that names every input layer (relative to the file's folder),
the fleet segments, the station types, the budget and the rules. ``load_scenario`` returns a
validated, frozen :class:`Scenario` or raises :class:`~siting._errors.ScenarioError` with a
one-line message naming the file, the field and the fix.

Units are in the field names: ``_kph``, ``_min``, ``_m``, ``_km``, ``_kw``, ``_mw``; money is
in CNY (yuan); capacity is per day, in the unit its station type states.
"""

from __future__ import annotations

import difflib
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from siting._errors import ScenarioError, echo
from siting._preflight import check_path_text, file_problem

#: Technology pathways a demand point can follow; station types say which ones they serve.
#: A technology pathway: battery swap, charging, or hydrogen fuel cell.
Pathway = Literal["swap", "charging", "hydrogen"]
#: A vehicle class: vans and light trucks, or heavy trucks.
VehicleClass = Literal["light", "heavy"]
PATHWAYS: tuple[Pathway, ...] = typing.get_args(Pathway)
#: Energy unit of each pathway's daily demand and of the capacity of the types serving it.
PATHWAY_UNITS: dict[str, str] = {"swap": "kWh", "charging": "kWh", "hydrogen": "kg"}
#: Vehicle classes with their own speed table.
VEHICLE_CLASSES: tuple[str, ...] = typing.get_args(VehicleClass)
#: Coordinate conventions a layer may be flagged with (converted to WGS84 on load).
COORD_FLAGS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

#: Default free-flow speeds by OSM road class and vehicle class (km/h). Heavy trucks are
#: limited to 60-80 km/h on expressways and move slower in town; see data/suizhou/SOURCES.md.
DEFAULT_SPEEDS_KPH: dict[str, dict[str, float]] = {
    "motorway": {"light": 100.0, "heavy": 80.0},
    "motorway_link": {"light": 50.0, "heavy": 40.0},
    "trunk": {"light": 70.0, "heavy": 55.0},
    "trunk_link": {"light": 40.0, "heavy": 30.0},
    "primary": {"light": 50.0, "heavy": 40.0},
    "primary_link": {"light": 35.0, "heavy": 30.0},
    "secondary": {"light": 40.0, "heavy": 35.0},
    "secondary_link": {"light": 30.0, "heavy": 25.0},
    "tertiary": {"light": 35.0, "heavy": 30.0},
    "tertiary_link": {"light": 25.0, "heavy": 20.0},
    "unclassified": {"light": 30.0, "heavy": 25.0},
    "residential": {"light": 25.0, "heavy": 20.0},
    "living_street": {"light": 10.0, "heavy": 8.0},
    "service": {"light": 20.0, "heavy": 15.0},
    "road": {"light": 30.0, "heavy": 25.0},
}

# Numbers are strict: TOML has number types, so ``true`` (a bool) or ``"32"`` (text) where a
# number belongs is a mistake to report, not a value to convert (pydantic's lax mode would
# read ``budget.total = true`` as 1 CNY). Integers are accepted where floats are expected.
NonNegative = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
Money = NonNegative
Positive = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
Share = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]
Lon = Annotated[float, Strict(), Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Strict(), Field(ge=-90, le=90, allow_inf_nan=False)]
#: Earliest and latest planning year accepted (a typo such as 20250 or -2025 is an error).
YEAR_MIN, YEAR_MAX = 1900, 2200
#: A planning year given as a TOML integer.
Year = Annotated[int, Strict(), Field(ge=YEAR_MIN, le=YEAR_MAX)]
#: A planning year used as a table key (TOML keys are text: ``{ "2025" = 0.4 }``).
YearKey = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
#: ``(longitude, latitude)`` in degrees.
LonLat = tuple[Lon, Lat]


class _Strict(BaseModel):
    """Base: unknown keys are errors (a misspelt key must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerSpec(_Strict):
    """One input layer: a vector file (GeoPackage, GeoJSON, Shapefile ...) and its options.

    ``crs`` is only used when the file carries no CRS of its own; ``coords`` flags geographic
    data in the Chinese GCJ-02 (Amap/Tencent) or BD-09 (Baidu) conventions, which are shifted
    to WGS84 on load.
    """

    path: Path
    layer: str | None = None
    crs: str | None = None
    coords: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    # Tables of points (Excel workbooks, CSV): see siting/tables.py.
    #: Excel: the sheet to read (default the first).
    sheet: str | None = None
    #: Excel: the row holding the column names, as Excel numbers rows (rows above are skipped).
    header_row: Annotated[int, Field(ge=1, le=10_000)] = 1
    #: Excel/CSV: the x (longitude or easting) and y (latitude or northing) columns; default
    #: found by name (lon/lat, 经度/纬度, 东经/北纬, X/Y ...).
    x_column: str | None = None
    y_column: str | None = None


class NetworkSpec(_Strict):
    """Where the road network comes from.

    Exactly one of ``path`` (OSM XML ``.osm``/``.osm.bz2``, ``.osm.pbf``, ``.graphml``, or a
    GIS line layer ``.gpkg``/``.shp``/``.geojson``), ``place`` (an OSM place name, downloaded
    through osmnx and cached) or ``bbox`` (``[west, south, east, north]``, WGS84) is given.
    """

    path: Path | None = None
    layer: str | None = None
    crs: str | None = None
    coords: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    place: str | None = None
    bbox: tuple[Lon, Lat, Lon, Lat] | None = None
    #: Column of a line layer holding the road class (OSM ``highway`` values).
    class_column: str = "highway"
    #: Column of a line layer saying a line is one-way (truthy values); absent = two-way.
    oneway_column: str | None = None
    #: True for a network drawn by hand or generated, not surveyed; shown on map and report.
    schematic: StrictBool = False
    #: One sentence on where the network comes from, shown in the report and map legend.
    provenance: str = ""
    #: Download cache folder for online OSM (relative to the scenario file).
    cache_dir: Path = Path(".cache/osm")
    #: Speed overrides, km/h, ``{road_class: {light: .., heavy: ..}}``; merged over defaults.
    speeds_kph: dict[str, dict[str, Positive]] = Field(default_factory=dict)
    #: Demand or candidates farther than this from the nearest road node are rejected.
    max_snap_m: Positive = 2000.0
    #: Speed assumed for the straight-line leg between a point and its snapped node (km/h).
    access_speed_kph: Positive = 15.0

    @model_validator(mode="after")
    def _one_source(self) -> NetworkSpec:
        given = [k for k in ("path", "place", "bbox") if getattr(self, k) is not None]
        if len(given) != 1:
            msg = "give exactly one of network.path, network.place or network.bbox"
            raise ValueError(msg)
        if self.bbox is not None:
            west, south, east, north = self.bbox
            if not (west < east and south < north):
                msg = ("network.bbox must be [west, south, east, north] with west < east and "
                       "south < north")
                raise ValueError(msg)
        for cls, table in self.speeds_kph.items():
            unknown = set(table) - set(VEHICLE_CLASSES)
            if unknown:
                msg = (f"speeds_kph.{cls} has unknown vehicle class {sorted(unknown)}; "
                       f"use {list(VEHICLE_CLASSES)}")
                raise ValueError(msg)
        return self

    def speed_table(self) -> dict[str, dict[str, float]]:
        """Default speeds with the scenario's overrides merged in (km/h)."""
        table = {k: dict(v) for k, v in DEFAULT_SPEEDS_KPH.items()}
        for cls, over in self.speeds_kph.items():
            table.setdefault(cls, dict(DEFAULT_SPEEDS_KPH["road"])).update(over)
        return table


class Segment(_Strict):
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


class StationType(_Strict):
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


class Budget(_Strict):
    """Capital budget in CNY: a total, and optionally a cap per year (phasing)."""

    total: Money
    by_year: dict[YearKey, Money] = Field(default_factory=dict)


class SolverSpec(_Strict):
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


class ZoneRequirement(_Strict):
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


class ZonesSpec(LayerSpec):
    """Zone polygons (parks, districts, demonstration zones)."""

    id_column: str = "zone_id"
    name_column: str = "name"
    #: Column with the zone's English name (used by English outputs when present).
    name_en_column: str = "name_en"


class HydrogenSpec(_Strict):
    """Hydrogen supply: sites with daily output; a station needs one within ``delivery_km``."""

    supply: LayerSpec
    delivery_km: Positive = 30.0
    #: Delivered cost per kg per km of distance (CNY/kg/km), a tie-breaker in the objective.
    cost_per_kg_km: NonNegative = 0.0


class SetbackSpec(_Strict):
    """Separation distances (m) of hydrogen stations from sensitive sites, by site category."""

    sites: LayerSpec
    category_column: str = "category"
    distance_m: dict[str, NonNegative]
    #: Station pathways the setbacks apply to.
    applies_to: list[Pathway] = Field(
        default_factory=lambda: list[Pathway](["hydrogen"]))


class GridSpec(_Strict):
    """Substations with spare capacity (MW); each station draws from its nearest substation."""

    substations: LayerSpec
    id_column: str = "substation_id"
    spare_column: str = "spare_mw"


class Corridor(_Strict):
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


class ObjectiveSpec(_Strict):
    """What the optimiser does: maximise coverage within the budget, or reach a target at
    least cost."""

    #: None (default): maximise the covered demand within [budget]. A share 0-1: the cheapest
    #: plan (capital cost) covering at least this share of the final planning year's demand
    #: weight (NEV vehicles, or kWh/day); every rule still holds, budget.by_year caps too.
    target_share: Share | None = None
    #: With target_share: keep budget.total as a cap as well (default: not, the question is
    #: what the target costs).
    budget_cap: bool = False


class ZoneCoverageSpec(_Strict):
    """At least ``min_share`` of the demand located in ``zone`` covered by ``by_year``."""

    zone: str
    #: Share 0-1 of the zone's demand weight (its fleet points' NEV vehicles or kWh/day that
    #: year, those no station can reach included).
    min_share: Share
    #: Planning year it applies to (default: the last year).
    by_year: int | None = None


#: Rule families whose price ``[mandates] families`` may ask for.
MANDATE_FAMILIES: tuple[str, ...] = ("zone_requirements", "zone_coverage", "budget_by_year",
                                     "grid", "hydrogen_supply", "setbacks",
                                     "vehicles_per_day")


class MandatesSpec(_Strict):
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


class TypeEconomics(_Strict):
    """One station type's lifetime and running cost (defaults: by family)."""

    lifetime_years: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] | None = None
    #: Yearly operation and maintenance as a share of capex (0.03 = 3 %/year).
    opex_share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None


class EconomicsSpec(_Strict):
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


class SegmentRanges(_Strict):
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


class Scenario(_Strict):
    """A validated scenario. Paths are absolute (resolved against the scenario's folder)."""

    name: str
    name_en: str = ""
    description: str = ""
    #: Planning years; the first is the base year. One year = no phasing.
    years: list[Year] = Field(min_length=1)
    #: What coverage counts: new-energy ``vehicles`` served, or daily ``energy`` served
    #: (kWh, with hydrogen counted at 33.3 kWh/kg LHV).
    weight: Literal["vehicles", "energy"] = "vehicles"
    lang: Literal["zh", "en"] = "zh"
    #: CRS of exported files (``EPSG:4326``, ``EPSG:4490``, ``EPSG:4547``, ``GCJ-02`` ...).
    output_crs: str = "EPSG:4326"
    #: Allow layer paths outside the scenario's folder.
    allow_outside_paths: StrictBool = False
    network: NetworkSpec
    demand: LayerSpec
    segments: list[Segment] = Field(min_length=1)
    candidates: LayerSpec
    existing: LayerSpec | None = None
    station_types: list[StationType] = Field(min_length=1)
    budget: Budget
    solver: SolverSpec = SolverSpec()
    zones: ZonesSpec | None = None
    zone_requirements: list[ZoneRequirement] = Field(default_factory=list)
    hydrogen: HydrogenSpec | None = None
    setbacks: SetbackSpec | None = None
    grid: GridSpec | None = None
    corridors: list[Corridor] = Field(default_factory=list)
    #: Weight of one covered corridor truck relative to one covered demand unit.
    corridor_weight: Annotated[float, Strict(), Field(ge=0, le=1000, allow_inf_nan=False)] = 1.0
    objective: ObjectiveSpec = ObjectiveSpec()
    zone_coverage: list[ZoneCoverageSpec] = Field(default_factory=list)
    mandates: MandatesSpec = MandatesSpec()
    economics: EconomicsSpec = EconomicsSpec()
    uncertainty: UncertaintySpec | None = None
    #: Folder of the scenario file (set by ``load_scenario``).
    base_dir: Path = Path(".")
    #: The scenario file itself (set by ``load_scenario``).
    source_file: Path = Path("scenario.toml")

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        type_ids = [t.id for t in self.station_types]
        _no_duplicates("station_types", type_ids)
        _no_duplicates("segments", [s.id for s in self.segments])
        _no_duplicates("corridors", [c.id for c in self.corridors])
        if sorted(set(self.years)) != self.years:
            msg = f"years must be increasing and distinct, got {self.years}"
            raise ValueError(msg)
        for s in self.segments:
            missing = [y for y in self.years if y not in s.nev_share]
            if missing:
                msg = (f"segment '{s.id}' nev_share lacks year(s) {missing}; give a share for "
                       f"every year in {self.years}")
                raise ValueError(msg)
        for r in self.zone_requirements:
            if r.station_type is not None and r.station_type not in type_ids:
                raise ValueError(_unknown("zone_requirements station_type", r.station_type,
                                          type_ids))
            if r.by_year is not None and r.by_year not in self.years:
                msg = f"zone requirement by_year {r.by_year} is not one of years {self.years}"
                raise ValueError(msg)
        if self.zone_requirements and self.zones is None:
            msg = "zone_requirements are given but no [zones] layer is; add [zones] path=..."
            raise ValueError(msg)
        extra_years = set(self.budget.by_year) - set(self.years)
        if extra_years:
            msg = f"budget.by_year has year(s) {sorted(extra_years)} not in years {self.years}"
            raise ValueError(msg)
        served = {p for t in self.station_types for p in t.serves}
        wanted = {p for s in self.segments for p, v in s.pathway_split.items() if v > 0}
        unserved = wanted - served
        if unserved:
            msg = (f"pathway(s) {sorted(unserved)} have demand but no station type serves them; "
                   "add a station type with serves=[...]")
            raise ValueError(msg)
        for s in self.segments:
            for p, v in s.pathway_split.items():
                if v > 0 and not any(p in t.serves and s.vehicle_class in t.vehicle_classes
                                     for t in self.station_types):
                    msg = (f"segment '{s.id}' ({s.vehicle_class} vehicles) has {p} demand but no "
                           f"station type serves {p} for {s.vehicle_class} vehicles; add "
                           f"'{s.vehicle_class}' to a type's vehicle_classes")
                    raise ValueError(msg)
        seg_ids = [s.id for s in self.segments]
        for c in self.corridors:
            if c.segment is not None and c.segment not in seg_ids:
                raise ValueError(_unknown(f"corridor '{c.id}' segment", c.segment, seg_ids))
        self._check_commission_keys(type_ids, seg_ids)
        return self

    def _check_commission_keys(self, type_ids: list[str], seg_ids: list[str]) -> None:
        """Zone coverage floors, economics and uncertainty name known years, types, segments."""
        for z in self.zone_coverage:
            if z.by_year is not None and z.by_year not in self.years:
                msg = f"zone_coverage by_year {z.by_year} is not one of years {self.years}"
                raise ValueError(msg)
        if self.zone_coverage and self.zones is None:
            msg = "zone_coverage is given but no [zones] layer is; add [zones] path=..."
            raise ValueError(msg)
        for tid in self.economics.station_types:
            if tid not in type_ids:
                raise ValueError(_unknown("economics.station_types", tid, type_ids))
        for sid in self.economics.diesel_l_per_100km:
            if sid not in seg_ids:
                raise ValueError(_unknown("economics.diesel_l_per_100km segment", sid, seg_ids))
        if self.uncertainty is not None:
            for sid in self.uncertainty.segments:
                if sid not in seg_ids:
                    raise ValueError(_unknown("uncertainty.segments", sid, seg_ids))

    def corridor_use_per_km(self, c: Corridor) -> float:
        """Energy a corridor truck uses per km: kWh/km, or kg/km for hydrogen corridors.

        From the corridor's own ``kwh_per_km``/``h2_kg_per_km``, else its ``segment``'s, else
        0 (then the corridor draws no station capacity).
        """
        own = c.h2_kg_per_km if c.pathway == "hydrogen" else c.kwh_per_km
        if own is not None:
            return float(own)
        if c.segment is not None:
            seg = self.segment(c.segment)
            return float(seg.h2_kg_per_km if c.pathway == "hydrogen" else seg.kwh_per_km)
        return 0.0

    # ------------------------------------------------------------------ helpers
    def station_type(self, type_id: str) -> StationType:
        """The station type with this id (KeyError if none)."""
        for t in self.station_types:
            if t.id == type_id:
                return t
        raise KeyError(type_id)

    def segment(self, segment_id: str) -> Segment:
        """The fleet segment with this id (KeyError if none)."""
        for s in self.segments:
            if s.id == segment_id:
                return s
        raise KeyError(segment_id)

    @property
    def display_name(self) -> str:
        """The name in the scenario's language."""
        return self.name_en if self.lang == "en" and self.name_en else self.name

    def budget_for_year(self, year: int) -> float:
        """Budget available in ``year`` (the yearly cap, else the total)."""
        return self.budget.by_year.get(year, self.budget.total)


def _no_duplicates(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            msg = f"{what} has duplicate id '{i}'; ids must be unique"
            raise ValueError(msg)
        seen.add(i)


def _unknown(what: str, value: str, known: list[str]) -> str:
    near = difflib.get_close_matches(value, known, n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return f"{what} {echo(value)} is not defined{hint}; known: {known}"


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """``" (did you mean 'x'?)"`` for the closest known name, or an empty string."""
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


#: Arrays of tables in a scenario; an error inside one names the entry (1-based) and its id.
_TABLE_ARRAYS = ("segments", "station_types", "corridors", "zone_requirements")


def _entry_hint(raw: dict, loc: tuple) -> str:
    """``" ([[corridors]] entry 2, id 'hedian_urban')"`` for a location inside a table array.

    Field paths keep TOML's 0-based positions (``corridors.1.origin``); people count entries
    from 1, so the entry is named that way too, with its id when it has one.
    """
    if len(loc) < 2 or loc[0] not in _TABLE_ARRAYS or not isinstance(loc[1], int):
        return ""
    items = raw.get(loc[0])
    if not isinstance(items, list) or not 0 <= loc[1] < len(items):
        return ""
    item = items[loc[1]]
    ident = item.get("id", item.get("zone")) if isinstance(item, dict) else None
    named = f", id {echo(ident)}" if isinstance(ident, str) else ""
    return f" ([[{loc[0]}]] entry {loc[1] + 1}{named})"


def _format_pydantic_error(path: Path, err: ValidationError, raw: dict | None = None) -> str:
    """One line naming the file, the first failing field and what is wrong."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if p not in ("function-after",))
    msg = first["msg"].removeprefix("Value error, ")
    fix = ""
    inp = first.get("input")
    if first["type"] == "extra_forbidden":
        msg = "unknown key (misspelt?); remove it or check the scenario reference in README"
    elif first["type"] == "missing":
        msg = "required field is missing; add it"
    elif isinstance(inp, bool) and first["type"] in ("float_type", "int_type"):
        msg = "true/false is not a number"
        fix = "; give a number" if first["type"] == "float_type" else "; give a whole number"
    elif first["type"] in _TYPE_FIXES:
        fix = _TYPE_FIXES[first["type"]]
    shown = f" (got {echo(inp)})" if isinstance(inp, (str, int, float)) and first["type"] not in (
        "missing", "value_error") else ""
    more = f" [+{len(err.errors()) - 1} more]" if len(err.errors()) > 1 else ""
    where = f"field '{loc}'{_entry_hint(raw or {}, first['loc'])}: " if loc else ""
    return f"{path}: {where}{msg}{shown}{fix}{more}"


#: The fix appended to pydantic's wording for common type errors.
_TYPE_FIXES: dict[str, str] = {
    "float_parsing": "; give a number without quotes or units, e.g. 32000000.0",
    "float_type": "; give a number (without quotes)",
    "int_parsing": "; give a whole number without quotes",
    "int_type": "; give a whole number (without quotes or decimals)",
    "int_from_float": "; give a whole number",
    "bool_parsing": "; give true or false",
    "bool_type": "; give true or false (without quotes)",
    "string_type": "; give text in double quotes",
    "list_type": "; give a list in square brackets",
    "dict_type": "; give a table, e.g. { key = value }",
    "literal_error": "",
    "greater_than": "; give a larger value",
    "greater_than_equal": "; give a larger value",
    "less_than_equal": "; give a smaller value",
    "finite_number": "; give a finite number",
}


def _resolve(base: Path, p: Path, allow_outside: bool, field: str, source: Path) -> Path:
    full = (p if p.is_absolute() else (base / p)).resolve()
    if not allow_outside and not full.is_relative_to(base.resolve()):
        where = (f"absolute path '{p}' is outside the scenario folder" if p.is_absolute()
                 else f"path '{p}' leaves the scenario folder")
        msg = (f"{source}: field '{field}': {where}; move the file into it or set "
               "allow_outside_paths = true")
        raise ScenarioError(msg)
    return full


def _resolve_layer_paths(raw: dict, base: Path, source: Path) -> dict:
    """Rewrite every ``path`` key in the raw TOML dict to an absolute, checked path."""
    allow = bool(raw.get("allow_outside_paths", False))

    def walk(node: object, where: str) -> object:
        if isinstance(node, dict):
            out: dict[str, object] = {}
            for k, v in node.items():
                here = f"{where}.{k}" if where else k
                if k in ("path", "cache_dir") and isinstance(v, str):
                    check_path_text(v, f"{source}: field '{here}'")
                    out[k] = str(_resolve(base, Path(v), allow or k == "cache_dir", here,
                                          source))
                else:
                    out[k] = walk(v, here)
            return out
        if isinstance(node, list):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(node)]
        return node

    return walk(raw, "")  # type: ignore[return-value]


def layer_paths(sc: Scenario) -> dict[str, Path]:
    """The files a scenario reads, by field (``"demand.path"`` ...); unset ones left out."""
    checks: list[tuple[str, Path | None]] = [
        ("network.path", sc.network.path),
        ("demand.path", sc.demand.path),
        ("candidates.path", sc.candidates.path),
        ("existing.path", sc.existing.path if sc.existing else None),
        ("zones.path", sc.zones.path if sc.zones else None),
        ("hydrogen.supply.path", sc.hydrogen.supply.path if sc.hydrogen else None),
        ("setbacks.sites.path", sc.setbacks.sites.path if sc.setbacks else None),
        ("grid.substations.path", sc.grid.substations.path if sc.grid else None),
    ]
    return {field: p for field, p in checks if p is not None}


def input_paths(sc: Scenario) -> list[Path]:
    """Everything a run reads: the scenario's folder and each layer file (an output folder may
    not be or contain any of them)."""
    return [sc.source_file.parent, *layer_paths(sc).values()]


def _check_files_exist(sc: Scenario) -> None:
    for field, p in layer_paths(sc).items():
        why = file_problem(p)
        if why == "file not found":
            msg = f"{sc.source_file}: field '{field}': file not found: {p}; check the path"
            raise ScenarioError(msg)
        if why is not None:
            msg = (f"{sc.source_file}: field '{field}': {p} {why}; give the path of a GIS "
                   "file (GeoPackage, GeoJSON, Shapefile, CSV ...)")
            raise ScenarioError(msg)


def _too_deep(path: Path) -> str:
    return (f"{path}: values are nested too deeply (lists or tables inside each other hundreds "
            "of levels deep); a scenario needs only a few levels - check the brackets")


def load_scenario(path: str | Path) -> Scenario:
    """Read, resolve and validate a scenario TOML file.

    Parameters
    ----------
    path
        The scenario file. Layer paths inside it are relative to its folder.

    Returns
    -------
    Scenario
        Frozen, validated; every layer path absolute and existing.

    Raises
    ------
    ScenarioError
        One line naming the file, the field and the fix.

    Notes
    -----
    The file is UTF-8; a byte-order mark at its start (how Windows Notepad saves UTF-8) is
    accepted silently.
    """
    path = check_path_text(path, "scenario")
    why = file_problem(path)
    if why == "file not found":
        msg = f"{path}: scenario file not found; give the path to a scenario .toml file"
        raise ScenarioError(msg)
    if why is not None or path.is_dir():
        msg = f"{path}: {why or 'is a folder, not a file'}; give the path to a scenario .toml file"
        raise ScenarioError(msg)
    try:
        data = path.read_bytes()
    except OSError as e:
        msg = (f"{path}: cannot read the scenario file ({e.strerror or type(e).__name__}); "
               "check its permissions")
        raise ScenarioError(msg) from None
    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        msg = f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8"
        raise ScenarioError(msg) from None
    except tomllib.TOMLDecodeError as e:
        msg = f"{path}: not valid TOML: {e}; fix the syntax at that line"
        raise ScenarioError(msg) from None
    except RecursionError:
        raise ScenarioError(_too_deep(path)) from None
    base = path.resolve().parent
    try:
        raw = _resolve_layer_paths(raw, base, path)
        raw["base_dir"] = str(base)
        raw["source_file"] = str(path)
        try:
            sc = Scenario.model_validate(raw)
        except ValidationError as e:
            raise ScenarioError(_format_pydantic_error(path, e, raw)) from None
    except RecursionError:
        raise ScenarioError(_too_deep(path)) from None
    _check_files_exist(sc)
    from siting.crs import parse_crs  # checked now, not after a long solve at export time

    parse_crs(sc.output_crs, where=f"{path}: field 'output_crs'")
    return sc
