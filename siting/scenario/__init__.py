"""The scenario file: schema (pydantic), TOML loading, path resolution and validation.

A scenario is one TOML file that names every input layer (relative to the file's folder),
the fleet segments, the station types, the budget and the rules. ``load_scenario`` returns a
validated, frozen :class:`Scenario` or raises :class:`~siting._errors.ScenarioError` with a
one-line message naming the file, the field and the fix.

Units are in the field names: ``_kph``, ``_min``, ``_m``, ``_km``, ``_kw``, ``_mw``; money is
in CNY (yuan); capacity is per day, in the unit its station type states.

One module per area, every public name importable from here:

- :mod:`.fields` — field types (pathways, shares, years, units) and the strict base model;
- :mod:`.layers` — input layers, the road network, zones;
- :mod:`.fleet` — fleet segments, station types, truck corridors;
- :mod:`.rules` — budget, solver, zone requirements and floors, hydrogen, setbacks, grid;
- :mod:`.commission` — objective, mandates, economics, uncertainty;
- :mod:`.schema` — the top-level :class:`Scenario` and its checks across sections;
- :mod:`.messages` — one-line error messages; :mod:`.load` — :func:`load_scenario`.
"""

from __future__ import annotations

from siting.scenario.commission import (
    CENTRAL_CHINA_GRID_CO2,
    CENTRAL_CHINA_GRID_SOURCE,
    DEFAULT_LIFETIME_YEARS,
    DEFAULT_OPEX_SHARE,
    MANDATE_FAMILIES,
    EconomicsSpec,
    MandatesSpec,
    ObjectiveSpec,
    Range,
    SegmentRanges,
    TypeEconomics,
    UncertaintySpec,
)
from siting.scenario.fields import (
    COORD_FLAGS,
    PATHWAY_UNITS,
    PATHWAYS,
    VEHICLE_CLASSES,
    YEAR_MAX,
    YEAR_MIN,
    Lat,
    Lon,
    LonLat,
    Money,
    NonNegative,
    Pathway,
    Positive,
    Share,
    StrictModel,
    VehicleClass,
    Year,
    YearKey,
)
from siting.scenario.fleet import Corridor, Segment, StationType
from siting.scenario.layers import DEFAULT_SPEEDS_KPH, LayerSpec, NetworkSpec, ZonesSpec
from siting.scenario.load import input_paths, layer_paths, load_scenario
from siting.scenario.messages import suggest
from siting.scenario.rules import (
    Budget,
    GridSpec,
    HydrogenSpec,
    SetbackSpec,
    SolverSpec,
    ZoneCoverageSpec,
    ZoneRequirement,
)
from siting.scenario.schema import Scenario

__all__ = [
    "CENTRAL_CHINA_GRID_CO2",
    "CENTRAL_CHINA_GRID_SOURCE",
    "COORD_FLAGS",
    "DEFAULT_LIFETIME_YEARS",
    "DEFAULT_OPEX_SHARE",
    "DEFAULT_SPEEDS_KPH",
    "MANDATE_FAMILIES",
    "PATHWAYS",
    "PATHWAY_UNITS",
    "VEHICLE_CLASSES",
    "YEAR_MAX",
    "YEAR_MIN",
    "Budget",
    "Corridor",
    "EconomicsSpec",
    "GridSpec",
    "HydrogenSpec",
    "Lat",
    "LayerSpec",
    "Lon",
    "LonLat",
    "MandatesSpec",
    "Money",
    "NetworkSpec",
    "NonNegative",
    "ObjectiveSpec",
    "Pathway",
    "Positive",
    "Range",
    "Scenario",
    "Segment",
    "SegmentRanges",
    "SetbackSpec",
    "Share",
    "SolverSpec",
    "StationType",
    "StrictModel",
    "TypeEconomics",
    "UncertaintySpec",
    "VehicleClass",
    "Year",
    "YearKey",
    "ZoneCoverageSpec",
    "ZoneRequirement",
    "ZonesSpec",
    "input_paths",
    "layer_paths",
    "load_scenario",
    "suggest",
]
