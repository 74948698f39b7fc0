"""Layer sections of a scenario: an input layer's file and options, the road network, zones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from siting.scenario.fields import VEHICLE_CLASSES, Lat, Lon, Positive, StrictModel

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


class LayerSpec(StrictModel):
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
    #: Excel: the sheet to read (default the first one Excel shows: hidden sheets are skipped).
    sheet: str | None = None
    #: Excel: the row holding the column names, as Excel numbers rows (rows above are skipped).
    header_row: Annotated[int, Field(ge=1, le=10_000)] = 1
    #: Excel/CSV: the x (longitude or easting) and y (latitude or northing) columns; default
    #: found by name (lon/lat, 经度/纬度, 东经/北纬, X/Y ...).
    x_column: str | None = None
    y_column: str | None = None


class NetworkSpec(StrictModel):
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


class ZonesSpec(LayerSpec):
    """Zone polygons (parks, districts, demonstration zones)."""

    id_column: str = "zone_id"
    name_column: str = "name"
    #: Column with the zone's English name (used by English outputs when present).
    name_en_column: str = "name_en"
