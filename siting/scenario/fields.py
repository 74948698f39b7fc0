"""Field types every scenario section shares: pathways, vehicle classes, numbers with their
bounds (money in CNY, shares 0-1, lon/lat in degrees), planning years, and the strict base model
(unknown keys are errors)."""

from __future__ import annotations

import typing
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

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


class StrictModel(BaseModel):
    """Base: unknown keys are errors (a misspelt key must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
