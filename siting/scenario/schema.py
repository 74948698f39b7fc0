"""The top-level :class:`Scenario`: every section, and the checks across sections."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, Strict, StrictBool, model_validator

from siting.scenario.commission import (
    EconomicsSpec,
    MandatesSpec,
    ObjectiveSpec,
    UncertaintySpec,
)
from siting.scenario.fields import StrictModel, Year
from siting.scenario.fleet import Corridor, Segment, StationType
from siting.scenario.layers import LayerSpec, NetworkSpec, ZonesSpec
from siting.scenario.messages import unknown_name
from siting.scenario.rules import (
    Budget,
    GridSpec,
    HydrogenSpec,
    SetbackSpec,
    SolverSpec,
    ZoneCoverageSpec,
    ZoneRequirement,
)


class Scenario(StrictModel):
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
                raise ValueError(unknown_name("zone_requirements station_type", r.station_type,
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
                raise ValueError(unknown_name(f"corridor '{c.id}' segment", c.segment, seg_ids))
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
                raise ValueError(unknown_name("economics.station_types", tid, type_ids))
        for sid in self.economics.diesel_l_per_100km:
            if sid not in seg_ids:
                raise ValueError(unknown_name("economics.diesel_l_per_100km segment", sid, seg_ids))
        if self.uncertainty is not None:
            for sid in self.uncertainty.segments:
                if sid not in seg_ids:
                    raise ValueError(unknown_name("uncertainty.segments", sid, seg_ids))

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
