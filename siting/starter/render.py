"""The scenario file the starter writes: one function per section, in the file's order.

Every key of the schema is written, each with its meaning, unit and default; the keys not in
use are commented out with a working example value. ``tests/test_starter.py`` checks that the
file, its commented keys switched on, holds exactly the schema's keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from siting.scenario import (
    DEFAULT_SPEEDS_KPH,
    Corridor,
    EconomicsSpec,
    GridSpec,
    HydrogenSpec,
    NetworkSpec,
    ObjectiveSpec,
    Scenario,
    SetbackSpec,
    SolverSpec,
    StationType,
    UncertaintySpec,
    ZoneRequirement,
    ZonesSpec,
)
from siting.starter.defaults import LAYER_EXAMPLES, LAYER_KEY_DOCS, default
from siting.starter.placing import PlacedLayer
from siting.starter.toml_text import Writer


@dataclass
class Choices:
    """Everything the starter decided, for writing the file."""

    name: str
    years: list[int]
    budget_cny: float
    time_limit_s: float
    lang: str
    output_crs: str
    layers: dict[str, PlacedLayer]
    layer_options: dict[str, dict[str, object]]
    outside: bool
    segments: list[dict[str, Any]]
    segment_notes: list[str]
    station_types: list[dict[str, Any]]
    bundled: dict[str, Any]


def render(c: Choices) -> str:
    """The text of ``scenario.toml`` for the starter's choices (valid TOML)."""
    w = Writer()
    for write_section in SECTIONS:
        write_section(w, c)
    return w.text()


def _layer_section(w: Writer, section: str, path: str, options: dict[str, object], *,
                   active: bool = True, explain: bool = False) -> None:
    """The keys of one layer section: ``path``, then the options given (active) and the
    others (commented out, example values); ``explain`` documents each key."""
    w.key("path", path, LAYER_KEY_DOCS["path"] if explain else "", active=active)
    examples = {**LAYER_EXAMPLES, "layer": section.split(".")[-1]}
    for k in ("layer", "sheet", "header_row", "x_column", "y_column", "crs", "coords"):
        if k in options:
            w.key(k, options[k], LAYER_KEY_DOCS[k] if explain else "", active=active)
        else:
            w.key(k, examples[k], LAYER_KEY_DOCS[k] if explain else "", active=False)


def _top_level(w: Writer, c: Choices) -> None:
    """The file's opening comment and the top-level keys (name, years, language ...)."""
    w.note("siting scenario written by `siting init`. Every key of the scenario is listed: the "
           "ones in use are active, the others are commented out (\"# key = value\") with an "
           "example value; delete the \"# \" to use one. Money is CNY (yuan); units are in the "
           "key names (_min minutes, _km kilometres, _kw kilowatts, _mw megawatts, _s seconds). "
           "Paths are relative to this folder. Check with `siting validate scenario.toml`, run "
           "with `siting run scenario.toml`. Reference: README.md, section Scenario reference.")
    w.note("Starting figures (station types, fleet segments, budget) are the bundled Suizhou "
           "scenario's assumptions (data/suizhou/SOURCES.md): replace them with your own.")
    w.blank()
    w.key("name", c.name, "Title of the map, report and briefing.")
    w.key("name_en", "", "English title (used with lang = \"en\").")
    w.key("description", "", "One or two sentences shown in the report and briefing.")
    w.key("years", c.years, "Planning years, increasing. More than one = phasing: built "
          "stations stay built, demand and budgets per year; never summed.")
    w.key("weight", default(Scenario, "weight"), "What coverage counts: \"vehicles\" "
          "(new-energy vehicles served, default) or \"energy\" (kWh/day served; hydrogen "
          "at 33.3 kWh/kg).")
    w.key("lang", c.lang, "Labels of map, report and briefing: \"zh\" or \"en\".")
    w.key("output_crs", c.output_crs, "CRS of the exported GeoPackage/CSV: \"EPSG:4326\" "
          "(default), \"EPSG:4490\", \"EPSG:4547\", \"GCJ-02\" ... (stations.geojson is always "
          "WGS84).")
    w.key("allow_outside_paths", c.outside, "true lets layer paths leave this folder (default "
          "false).")
    w.key("corridor_weight", default(Scenario, "corridor_weight"), "Weight of one covered "
          "corridor truck against one unit of point demand (default 1).")


def _network(w: Writer, c: Choices) -> None:
    """``[network]``: the road layer, or an OSM place or bbox, and how it is read."""
    net = c.layers["network"]
    w.table("network", "The road network. Exactly one of path, place (an OSM place name, "
            "downloaded once and cached) or bbox ([west, south, east, north], WGS84).")
    w.key("path", net.path, "A road line layer (.gpkg, .shp, .geojson) or OSM data (.osm, "
          ".osm.pbf, .osm.bz2, .graphml, .npz).")
    w.key("place", "随州市", "OSM place name (needs internet once).", active=False)
    w.key("bbox", [113.2, 31.55, 113.55, 31.8], "[west, south, east, north] in degrees.",
          active=False)
    opts = c.layer_options.get("network", {})
    for k in ("layer", "crs", "coords"):
        w.key(k, opts.get(k, LAYER_EXAMPLES[k]), LAYER_KEY_DOCS[k], active=k in opts)
    # left at its default: a line layer without that column is then a warning naming its
    # columns, not an error (written active, a layer of 等级/fclass failed to validate)
    w.key("class_column", default(NetworkSpec, "class_column"), "Column of a line layer "
          "with the road class (OSM highway values: motorway, trunk, primary ... residential, "
          "or 主干路, 次干路, 支路 ...); default highway.", active=False)
    w.key("oneway_column", "oneway", "Column marking one-way lines (absent = all two-way).",
          active=False)
    w.key("schematic", default(NetworkSpec, "schematic"), "true for a network drawn by hand "
          "or generated, not surveyed; the map and report then say so.")
    w.key("provenance", "", "One sentence on where the network comes from (report, legend).")
    w.key("cache_dir", str(default(NetworkSpec, "cache_dir")), "Download cache for place/"
          "bbox, relative to this folder.", active=False)
    w.key("max_snap_m", default(NetworkSpec, "max_snap_m"), "A fleet point or site farther "
          "than this from every road (metres) is an error.")
    w.key("access_speed_kph", default(NetworkSpec, "access_speed_kph"), "Speed (km/h) on "
          "the straight leg between a point and its nearest road.")
    example = {"primary": dict(DEFAULT_SPEEDS_KPH["primary"])}
    w.key("speeds_kph", example, "Speed overrides in km/h per road class and vehicle class "
          "(light/heavy), merged over the defaults (README).", active=False)


def _point_layers(w: Writer, c: Choices) -> None:
    """``[demand]`` (the fleet), ``[candidates]`` and ``[existing]``."""
    dem = c.layers["demand"]
    w.table("demand", "The fleet layer: one point per depot, yard or work area, with columns "
            "fleet_id (编号), segment (车辆类别), vehicles (车辆数), daily_km (日均里程) and "
            "optionally name (名称). Chinese column names are recognised.")
    _layer_section(w, "demand", dem.path, c.layer_options.get("demand", {}), explain=True)

    # ---- candidates / existing
    w.table("candidates", "Candidate sites: points with site_id (站点编号), allowed_types "
            "(可建类型: station type ids separated by ';') and optionally name and "
            "capex_factor (造价系数, 1 = the type's capex). Keys as in [demand].")
    _layer_section(w, "candidates", c.layers["candidates"].path,
                   c.layer_options.get("candidates", {}))
    ex = c.layers.get("existing")
    w.table("existing", "Existing stations: points with site_id and station_type (站型); "
            "fixed open at no cost, they count for coverage and capacity.", active=ex is not None)
    _layer_section(w, "existing", ex.path if ex else "existing.gpkg",
                   c.layer_options.get("existing", {}), active=ex is not None)


def _segments(w: Writer, c: Choices) -> None:
    """``[[segments]]``: one per value of the fleet layer's segment column."""
    w.blank()
    w.note("Fleet segments. Every value of the fleet layer's segment column needs one "
           "[[segments]] with that id. threshold_min: longest acceptable drive to a station "
           "(minutes); kwh_per_km / h2_kg_per_km: consumption per vehicle-km; nev_share: "
           "new-energy share of the segment's vehicles per year (0-1); pathway_split: how the "
           "new-energy vehicles split over swap, charging and hydrogen (sums to 1); "
           "vehicle_class: light or heavy (road speeds).")
    for note in c.segment_notes:
        w.note(note)
    for seg in c.segments:
        w.table("segments", array=True)
        for k in ("id", "name", "name_en", "vehicle_class", "threshold_min", "kwh_per_km",
                  "h2_kg_per_km", "nev_share", "pathway_split"):
            w.key(k, seg[k])


def _station_types(w: Writer, c: Choices) -> None:
    """``[[station_types]]``: the bundled types, every key written."""
    w.blank()
    w.note("Station types that can be built (Suizhou's assumptions: replace capex and capacity "
           "with your own quotes). serves: pathways served; capex: CNY per station; capacity: "
           "per day in capacity_unit (kWh/day for swap and charging, kg/day for hydrogen); "
           "h2_capacity_kg: hydrogen kg/day of a type that also serves electric pathways; "
           "grid_kw: peak load on the substation; onsite_production: makes its own hydrogen "
           "(needs no supply site); vehicle_classes: which vehicles it can serve (a heavy-"
           "truck chassis swap station takes no vans); vehicles_per_day: most vehicles a day "
           "(connectors x charging turns, or bays x swaps), besides the energy capacity; "
           "color and glyph: the type's symbol on every map, chart and GIS style (glyph_en "
           "in English outputs).")
    for st in c.station_types:
        w.table("station_types", array=True)
        for k in ("id", "name", "name_en", "serves", "capex", "capacity", "capacity_unit",
                  "h2_capacity_kg", "grid_kw", "onsite_production", "vehicle_classes",
                  "vehicles_per_day", "color", "glyph", "glyph_en"):
            if k in st:
                w.key(k, st[k])
            elif k == "h2_capacity_kg":
                w.key(k, 500.0, "Only for types serving hydrogen and an electric pathway.",
                      active=False)
            elif k == "vehicles_per_day":
                w.key(k, 20.0, "Vehicles a day (none: the energy capacity alone limits it).",
                      active=False)
            else:
                w.key(k, default(StationType, k))


def _budget_and_solver(w: Writer, c: Choices) -> None:
    """``[budget]`` and ``[solver]``."""
    b = c.bundled
    w.table("budget", "Capital budget, CNY. by_year caps what may be spent in each year.")
    w.key("total", c.budget_cny)
    by_year = {str(y): round(c.budget_cny / len(c.years), 2) for y in c.years}
    bundled_by_year = b.get("budget", {}).get("by_year", {})
    same_years = sorted(int(y) for y in bundled_by_year) == c.years and c.budget_cny == float(
        b["budget"]["total"])
    w.key("by_year", {str(k): float(v) for k, v in bundled_by_year.items()} if same_years
          else by_year, "Yearly caps (CNY); default: none.", active=same_years)
    w.table("solver", "The MIP solver.")
    w.key("name", default(SolverSpec, "name"), "\"highs\" (default) or \"cbc\".")
    w.key("time_limit_s", c.time_limit_s, f"Seconds the solver may search (default "
          f"{default(SolverSpec, 'time_limit_s'):g}); at the limit the best plan found is "
          "written with its gap.")
    w.key("mip_gap", default(SolverSpec, "mip_gap"), "Stop when the plan is within this "
          "relative gap of the bound (0 = prove the optimum).")
    w.key("threads", default(SolverSpec, "threads"), "Solver threads.")
    w.key("capacitated", default(SolverSpec, "capacitated"), "true: daily capacities, demand "
          "allocated to stations; false: plain maximal coverage.")
    w.key("max_alloc_options", default(SolverSpec, "max_alloc_options"), "0 = exact; N > 0: "
          "each demand point draws only from its N nearest options (city-scale runs: 10-20).")


def _zones(w: Writer, c: Choices) -> None:
    """``[zones]``, ``[[zone_requirements]]`` and ``[[zone_coverage]]``."""
    zl = c.layers.get("zones")
    w.table("zones", "Zones (parks, districts, demonstration areas): polygons. Keys as in "
            "[demand], plus the id and name columns.", active=zl is not None)
    zopts = c.layer_options.get("zones", {})
    _layer_section(w, "zones", zl.path if zl else "zones.gpkg", zopts, active=zl is not None)
    w.key("id_column", default(ZonesSpec, "id_column"), "Column with the zone id.",
          active=zl is not None)
    w.key("name_column", default(ZonesSpec, "name_column"), "Column with the zone name.",
          active=zl is not None)
    w.key("name_en_column", default(ZonesSpec, "name_en_column"), "Column with the zone's "
          "English name (English outputs; optional).", active=zl is not None)
    w.table("zone_requirements", "At least min stations serving pathway (or of station_type) "
            "in a zone by a year. Give either pathway or station_type.", array=True,
            active=False)
    w.key("zone", "xihe_chem", "A zone id of the zones layer.", active=False)
    w.key("pathway", "hydrogen", "\"swap\", \"charging\" or \"hydrogen\".", active=False)
    w.key("station_type", "hydrogen", "Instead of pathway: a station type id.", active=False)
    w.key("min", default(ZoneRequirement, "min"), "Number of stations (default 1).",
          active=False)
    w.key("by_year", c.years[-1], "By this planning year (default the last).", active=False)

    w.table("zone_coverage", "At least min_share of the demand located in a zone covered "
            "(share of the zone's NEV vehicles or kWh/day that year, demand out of every "
            "station's reach included) - a constraint of the plan.", array=True, active=False)
    w.key("zone", "hedian", "A zone id of the zones layer.", active=False)
    w.key("min_share", 0.8, "Share 0-1.", active=False)
    w.key("by_year", c.years[-1], "In this planning year (default the last).", active=False)


def _objective_and_mandates(w: Writer, c: Choices) -> None:
    """``[objective]`` (a target at least cost) and ``[mandates]`` (their price)."""
    w.table("objective", "Default: maximise the covered demand within [budget]. With "
            "target_share: the cheapest plan covering at least that share of the last year's "
            "demand (siting run --target 0.95 does the same for one run).", active=False)
    w.key("target_share", 0.95, "Share 0-1 of the final year's demand weight; every rule "
          "still holds and budget.by_year still caps each year.", active=False)
    w.key("budget_cap", default(ObjectiveSpec, "budget_cap"), "true: budget.total caps the "
          "plan too (default false: the question is what the target costs).", active=False)
    w.table("mandates", "The price of each mandate: the plan re-solved without each zone "
            "requirement and zone coverage floor (and the families below), in parallel "
            "(siting run --mandates does the same for one run).", active=False)
    w.key("price", True, "Price them on every run (default false).", active=False)
    w.key("families", ["budget_by_year", "grid"], "Rule families to price as a whole: "
          "zone_requirements, zone_coverage, budget_by_year, grid, hydrogen_supply, setbacks, "
          "vehicles_per_day.", active=False)
    w.key("workers", 2, "Worker processes (default the CPU cores, at most 8).", active=False)


def _economics(w: Writer, c: Choices) -> None:
    """``[economics]``: running costs, diesel displaced, CO2 avoided (defaults written)."""
    ec = EconomicsSpec()
    w.table("economics", "What the plan costs to run and saves: levelised cost per station "
            "and year, diesel displaced, CO2 avoided. Defaults and their sources: "
            "data/suizhou/SOURCES.md.", active=False)
    w.key("discount_rate", ec.discount_rate, "Real discount rate (0.08 = the 8 % social "
          "discount rate of 建设项目经济评价方法与参数, 3rd ed.).", active=False)
    w.key("operating_days", ec.operating_days, "Working days a year.", active=False)
    w.key("electricity_cny_per_kwh", ec.electricity_cny_per_kwh, "Electricity price the "
          "stations pay, CNY/kWh.", active=False)
    w.key("hydrogen_cny_per_kg", ec.hydrogen_cny_per_kg, "Price of delivered hydrogen, "
          "CNY/kg.", active=False)
    w.key("electrolysis_kwh_per_kg", ec.electrolysis_kwh_per_kg, "On-site electrolysers' "
          "electricity use, kWh per kg of hydrogen.", active=False)
    w.key("lifetime_years", dict(ec.lifetime_years), "Station lifetime, years, by family.",
          active=False)
    w.key("opex_share", dict(ec.opex_share), "Yearly operation and maintenance as a share of "
          "capex, by family.", active=False)
    w.key("station_types", {"swap_heavy": {"lifetime_years": 8.0, "opex_share": 0.06}},
          "Per station type overrides of the two above.", active=False)
    w.key("diesel_l_per_100km", {"sanitation": 40.0}, "Diesel the conventional vehicle of a "
          "segment burns, L/100 km (segments not listed: kwh_per_km x diesel_l_per_kwh).",
          active=False)
    w.key("diesel_l_per_kwh", ec.diesel_l_per_kwh, "Diesel replaced per kWh of battery-"
          "electric use (the fallback above), L/kWh.", active=False)
    w.key("diesel_co2_kg_per_l", ec.diesel_co2_kg_per_l, "CO2 from diesel, kg/L.",
          active=False)
    w.key("grid_co2_kg_per_kwh", ec.grid_co2_kg_per_kwh, "CO2 of grid electricity, kg/kWh "
          "(default: Central China grid 2022, MEE/NBS).", active=False)
    w.key("grid_factor_source", ec.grid_factor_source, "Where that factor comes from.",
          active=False)
    w.key("hydrogen_co2_kg_per_kg", ec.hydrogen_co2_kg_per_kg, "CO2 of delivered hydrogen, "
          "kg per kg.", active=False)


def _uncertainty(w: Writer, c: Choices) -> None:
    """``[uncertainty]``: ranges of the fleet guesses for ``siting robust``."""
    w.table("uncertainty", "Ranges of the fleet guesses for siting robust: multipliers "
            "[low, high] of the scenario's values, drawn uniformly per sample and segment.",
            active=False)
    w.key("seed", default(UncertaintySpec, "seed"), "Random seed.", active=False)
    w.key("samples", default(UncertaintySpec, "samples"), "Samples (siting robust --n).",
          active=False)
    w.key("no_regret_share", default(UncertaintySpec, "no_regret_share"), "Chosen in at "
          "least this share of samples = no-regret.", active=False)
    w.key("time_limit_s", 10.0, "Solver time limit per sample (default solver.time_limit_s).",
          active=False)
    w.key("vehicles", [0.8, 1.2], "Fleet sizes.", active=False)
    w.key("nev_share", [0.75, 1.25], "New-energy share of every year (adoption ramp).",
          active=False)
    w.key("hydrogen_share", [0.5, 1.5], "Hydrogen's share of the pathway split.",
          active=False)
    w.key("swap_share", [0.8, 1.2], "Swap's share within the electric pathways.",
          active=False)
    w.key("segments", {"muck_truck": {"vehicles": [0.6, 1.4]}}, "Ranges of one segment, "
          "replacing the ones above for it.", active=False)


def _supply_setbacks_grid(w: Writer, c: Choices) -> None:
    """``[hydrogen]``, ``[setbacks]`` and ``[grid]``, each with its layer."""
    w.table("hydrogen", "Hydrogen supply: stations without on-site production need a supply "
            "site within delivery_km (straight line).", active=False)
    w.key("delivery_km", default(HydrogenSpec, "delivery_km"), "Kilometres (default 30).",
          active=False)
    w.key("cost_per_kg_km", default(HydrogenSpec, "cost_per_kg_km"), "Delivered cost, "
          "CNY per kg per km; a tie-breaker between equally good plans.", active=False)
    w.table("hydrogen.supply", "Supply sites: points with supply_id and kg_per_day.",
            active=False)
    _layer_section(w, "hydrogen.supply", "h2_supply.gpkg", {}, active=False)
    w.table("setbacks", "Separation of stations from sensitive sites (schools, hospitals ...), "
            "metres by category; candidates closer are excluded, with the reason.",
            active=False)
    w.key("category_column", default(SetbackSpec, "category_column"), "Column with the "
          "site category.", active=False)
    w.key("distance_m", {"school": 50.0, "hospital": 50.0, "dense_housing": 35.0},
          "Metres per category (GB 50516 figures for hydrogen in the Suizhou example).",
          active=False)
    w.key("applies_to", default(SetbackSpec, "applies_to"), "Pathways whose stations keep "
          "the setbacks (default [\"hydrogen\"]).", active=False)
    w.table("setbacks.sites", "Sensitive sites: points or polygons with a category column.",
            active=False)
    _layer_section(w, "setbacks.sites", "sensitive.gpkg", {}, active=False)
    w.table("grid", "Substations with spare capacity: the grid_kw of the stations drawing "
            "from one substation (their nearest) may not exceed its spare MW.", active=False)
    w.key("id_column", default(GridSpec, "id_column"), "Column with the substation id.",
          active=False)
    w.key("spare_column", default(GridSpec, "spare_column"), "Column with spare capacity, "
          "MW.", active=False)
    w.table("grid.substations", "The substations layer (points).", active=False)
    _layer_section(w, "grid.substations", "substations.gpkg", {}, active=False)


def _corridors(w: Writer, c: Choices) -> None:
    """``[[corridors]]``: truck flows between two points."""
    w.table("corridors", "Truck flows between two points (lon/lat, WGS84), covered when "
            "stations on the route keep the round trip within range_km (detour_km off the "
            "route at most).", array=True, active=False)
    w.key("id", "city_link", active=False)
    w.key("name", "", active=False)
    w.key("name_en", "", "English name (English outputs).", active=False)
    w.key("origin", [113.48, 31.69], "[lon, lat]", active=False)
    w.key("destination", [113.37, 31.7], "[lon, lat]", active=False)
    w.key("trucks_per_day", 100.0, active=False)
    w.key("pathway", "swap", active=False)
    w.key("vehicle_class", default(Corridor, "vehicle_class"), active=False)
    w.key("range_km", default(Corridor, "range_km"), "Driving range of the trucks.",
          active=False)
    w.key("detour_km", default(Corridor, "detour_km"), "Longest detour to a station, km on "
          "the roads (there and back).", active=False)
    w.key("segment", "muck_truck", "Fleet segment of the trucks: their energy use per km. The "
          "corridor's trucks must not also be in the fleet layer.", active=False)
    w.key("kwh_per_km", 1.9, "Or the energy use per km directly (kWh/km) ...", active=False)
    w.key("h2_kg_per_km", 0.09, "... and kg/km for hydrogen corridors.", active=False)


#: The sections of the file, in order.
SECTIONS: tuple[Callable[[Writer, Choices], None], ...] = (
    _top_level,
    _network,
    _point_layers,
    _segments,
    _station_types,
    _budget_and_solver,
    _zones,
    _objective_and_mandates,
    _economics,
    _uncertainty,
    _supply_setbacks_grid,
    _corridors,
)
