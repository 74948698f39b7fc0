"""``siting init``: a commented starter scenario for a planner's own layers.

:func:`write_starter` takes the files a planning office has — a road layer, a fleet register
(Excel or any GIS layer), candidate sites, optionally existing stations and zones — and writes
``FOLDER/scenario.toml`` with **every key** of the scenario schema, each explained (meaning,
unit, default). Keys the starter does not use are written commented out (``# key = value``)
with a working example value, so uncommenting a section is all it takes to switch it on.

Starting points come from the bundled Suizhou scenario (``data/suizhou/scenario.toml``): its
station types (costs and capacities are Suizhou's assumptions) and its fleet segments. The
fleet layer's ``segment`` values are read: a value that is a bundled segment id is used as
is; a value that names one (``环卫``, ``渣土车``, ``Logistics`` ...) gets that segment's
figures under the layer's own value; any other value gets the municipal segment's figures,
marked as an assumption. Excel workbooks are scanned for the sheet and the row holding the
coordinate columns.

Layers are **copied** into the folder (a Shapefile with its sidecar files), so the folder can
be zipped and mailed, and the scenario's paths are plain file names; with ``link=True`` they
are **referenced** where they are, by paths relative to the folder (and
``allow_outside_paths = true`` when they lie outside it). A file already inside the folder is
referenced. Nothing is overwritten: an existing ``scenario.toml`` or a different file of the
same name in the folder stops the command before it writes anything.
"""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import tomllib
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from siting import tables
from siting._errors import ScenarioError, SitingError
from siting.scenario import (
    DEFAULT_SPEEDS_KPH,
    Corridor,
    EconomicsSpec,
    GridSpec,
    HydrogenSpec,
    LayerSpec,
    NetworkSpec,
    ObjectiveSpec,
    Scenario,
    Segment,
    SetbackSpec,
    SolverSpec,
    StationType,
    UncertaintySpec,
    ZoneRequirement,
    ZonesSpec,
)

#: Layer sections ``init`` can fill, in the order of the command's options.
LAYER_OPTIONS: tuple[str, ...] = ("network", "demand", "candidates", "existing", "zones")
#: The segment whose figures an unrecognised fleet segment gets (marked as an assumption).
FALLBACK_SEGMENT = "municipal"
_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd",
                       ".shp.xml")
_WIDTH = 92


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class PlacedLayer:
    """Where a layer ended up: the path written into the scenario and how it got there."""

    section: str
    source: Path
    path: str
    how: str  # "copied", "referenced", "in the folder"


@dataclass
class StarterResult:
    """What :func:`write_starter` wrote and what the user should look at next."""

    scenario: Path
    layers: list[PlacedLayer]
    next_steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- bundled
def bundled_toml() -> Path:
    """``data/suizhou/scenario.toml`` beside the package (a clone or an editable install),
    else in the current folder."""
    for base in (Path(__file__).resolve().parents[1], Path.cwd()):
        p = base / "data" / "suizhou" / "scenario.toml"
        if p.is_file():
            return p
    msg = ("siting init: the bundled scenario data/suizhou/scenario.toml was not found (it "
           "holds the starting station types and segments); run from the siting repository "
           "or install siting from it")
    raise ScenarioError(msg)


def _bundled() -> dict[str, Any]:
    return tomllib.loads(bundled_toml().read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- TOML text
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(v: object) -> str:
    """One TOML value (strings escaped: user text stays text)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if v == v and abs(v) != float("inf") else "nan"
    if isinstance(v, (str, Path)):
        return _toml_str(str(v))
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    msg = f"cannot write {type(v).__name__} as TOML"
    raise TypeError(msg)


def toml_key(k: object) -> str:
    text = str(k)
    return text if _BARE_KEY.match(text) else _toml_str(text)


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class _Writer:
    """Lines of a commented TOML file; ``active=False`` writes ``# key = value``."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, text: str, prefix: str = "# ") -> None:
        for para in text.split("\n"):
            words = para.split()
            line = prefix.rstrip() if not words else prefix
            for w in words:
                if len(line) + len(w) + 1 > _WIDTH and line.strip() != "#":
                    self.lines.append(line.rstrip())
                    line = prefix
                line += ("" if line == prefix else " ") + w
            self.lines.append(line.rstrip())

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def key(self, key: str, value: object, doc: str = "", *, active: bool = True) -> None:
        if doc:
            self.note(doc)
        self.lines.append(f"{'' if active else '# '}{toml_key(key)} = {toml_value(value)}")

    def table(self, name: str, doc: str = "", *, array: bool = False,
              active: bool = True) -> None:
        self.blank()
        if doc:
            self.note(doc)
        head = f"[[{name}]]" if array else f"[{name}]"
        self.lines.append(("" if active else "# ") + head)

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def _default(model: type[BaseModel], name: str) -> Any:
    f = model.model_fields[name]
    if f.default_factory is not None:
        return f.default_factory()  # type: ignore[call-arg]
    return f.default


# --------------------------------------------------------------------------- docs
#: What each key of a layer section means (shared by every layer section).
LAYER_KEY_DOCS: dict[str, str] = {
    "path": "The file, relative to this folder: GeoPackage, GeoJSON, Shapefile, CSV, or an "
            "Excel workbook (.xlsx/.xls).",
    "layer": "Layer inside a GeoPackage (default the first; for a workbook, the sheet).",
    "crs": "CRS of the coordinates when the file has none of its own (CSV, Excel, a "
           "Shapefile without .prj): \"EPSG:4326\" (lon/lat, the default for lon/lat "
           "columns), \"EPSG:4490\" (CGCS2000), \"EPSG:4547\" (CGCS2000 3-degree GK, CM 114E, "
           "metres) ...",
    "coords": "\"wgs84\" (default), \"gcj02\" (Amap/Tencent web-map coordinates) or \"bd09\" "
              "(Baidu); shifted to WGS84 on reading.",
    "sheet": "Excel: the sheet (default the first).",
    "header_row": "Excel: the row with the column names as Excel numbers it (default 1; "
                  "rows above, e.g. a title, are skipped).",
    "x_column": "Excel/CSV: column of longitude (or x/easting in metres); default found by "
                "name: lon, 经度, 东经, X, X坐标 ...",
    "y_column": "Excel/CSV: column of latitude (or y/northing); default found by name: lat, "
                "纬度, 北纬, Y, Y坐标 ...",
}
_LAYER_EXAMPLES: dict[str, object] = {
    "layer": "roads", "crs": "EPSG:4547", "coords": "gcj02", "sheet": "Sheet1",
    "header_row": 2, "x_column": "经度", "y_column": "纬度",
}


# --------------------------------------------------------------------------- inspection
@dataclass
class _LayerInfo:
    """What the starter learnt about one layer file (all optional)."""

    options: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    xy_metres: bool = False


def _inspect_table(path: Path, crs: str | None, sheet: object = None) -> _LayerInfo:
    """Sheet and header row of the first sheet (or of ``sheet``) with coordinate columns, and
    whether those are x/y (metres) or lon/lat."""
    info = _LayerInfo()
    if path.suffix.lower() in (".csv", ".txt"):
        from siting.layers import read_table

        try:
            cols = tables.coordinate_columns(list(read_table(path, crs=None).columns),
                                             projected=bool(crs))
        except SitingError:
            return info
        info.xy_metres = cols is not None and not cols[2]
        return info
    if not tables.is_spreadsheet(path):
        return info
    try:
        import pandas as pd

        with tables._open(path, "input") as book:
            names = [str(s) for s in book.sheet_names]
            for name in [n for n in names if sheet is None or n == str(sheet)]:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # openpyxl: unsupported extensions ...
                    head = pd.read_excel(book, sheet_name=name, header=None, nrows=12,
                                         dtype=object)
                for r in range(len(head)):
                    cells = [c for c in head.iloc[r].tolist() if not pd.isna(c)]
                    cols = tables.coordinate_columns(cells, projected=bool(crs))
                    if cols is not None:
                        info.options["sheet"] = name
                        if r > 0:
                            info.options["header_row"] = r + 1
                        info.xy_metres = not cols[2]
                        if len(names) > 1 and sheet is None:
                            info.notes.append(f"{path.name}: using sheet '{name}' (sheets: "
                                              f"{', '.join(names)})")
                        return info
    except SitingError:
        return info  # validation will say what is wrong with the file
    return info


def _fleet_segments(spec: LayerSpec) -> list[str] | None:
    """Distinct ``segment`` values of the fleet layer in file order, or None if unreadable."""
    from siting.layers import read_layer

    try:
        fleet = read_layer(spec, what="demand", required={"segment": "text"}, geom="point")
    except SitingError:
        return None
    return list(dict.fromkeys(str(v) for v in fleet["segment"]))


def _core(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    t = re.sub(r"\(.*?\)", "", t)
    t = re.sub(r"[\s_\-&/]+", "", t)
    return re.sub(r"(车辆|车)$", "", t)


def match_segment(value: str, templates: Sequence[dict[str, Any]]) -> tuple[dict[str, Any],
                                                                             str]:
    """The bundled segment a fleet ``segment`` value stands for.

    Returns
    -------
    (dict, str)
        The template and how it matched: ``"id"`` (the value is a bundled id), ``"name"``
        (it names one: ``环卫`` for 环卫作业车辆, ``logistics`` ...), or ``"assumed"`` (the
        :data:`FALLBACK_SEGMENT`'s figures).
    """
    for t in templates:
        if value == t["id"]:
            return t, "id"
    v = _core(value)
    if v:
        for t in templates:
            names = [_core(str(t.get(k, ""))) for k in ("id", "name", "name_en")]
            if any(n and (v == n or (len(v) >= 2 and (v in n or n in v))) for n in names):
                return t, "name"
    fallback = next((t for t in templates if t["id"] == FALLBACK_SEGMENT), templates[0])
    return fallback, "assumed"


def _year_shares(shares: dict[str, float], years: Sequence[int]) -> dict[str, float]:
    """The bundled new-energy shares carried to other years (nearest bundled year)."""
    have = sorted(int(y) for y in shares)
    return {str(y): float(shares[str(min(have, key=lambda h: (abs(h - y), -h)))])
            for y in years}


def split_layer_uri(uri: str | Path) -> tuple[Path, str | None]:
    """``"roads.gpkg|layername=roads"`` (QGIS's way of naming a layer in a file) -> path, name.

    A plain path gives ``(path, None)``. For a workbook the layer name is the sheet.
    """
    text = str(uri)
    if "|" not in text:
        return Path(text), None
    path, _, rest = text.partition("|")
    for part in rest.split("|"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "layername" and value:
            return Path(path), value
    return Path(path), None


# --------------------------------------------------------------------------- placing files
def _place(src: Path, folder: Path, section: str, link: bool,
           placed: dict[Path, str]) -> PlacedLayer:
    real = src.resolve()
    base = folder.resolve()
    if real.is_relative_to(base):
        return PlacedLayer(section, src, real.relative_to(base).as_posix(), "in the folder")
    if link:
        try:
            rel = Path(os.path.relpath(real, base)).as_posix()
        except ValueError:  # another drive (Windows): only an absolute path reaches it
            rel = real.as_posix()
        return PlacedLayer(section, src, rel, "referenced")
    if real in placed:
        return PlacedLayer(section, src, placed[real], "copied")
    name = src.name
    taken = set(placed.values())
    stem, suffix = (name[:-len(src.suffix)], src.suffix) if src.suffix else (name, "")
    n = 2
    while name in taken:
        name = f"{stem}_{n}{suffix}"
        n += 1
    placed[real] = name
    return PlacedLayer(section, src, name, "copied")


def _files_of(src: Path) -> list[Path]:
    """A layer file and, for a Shapefile, its sidecar files."""
    if src.suffix.lower() != ".shp":
        return [src]
    stem = src.name[:-4]
    return [src, *(p for p in sorted(src.parent.iterdir()) if p != src
                   and p.name.lower().startswith(stem.lower() + ".")
                   and p.name[len(stem):].lower() in _SHAPEFILE_SIDECARS)]


def _copy_plan(layers: Iterable[PlacedLayer], folder: Path) -> list[tuple[Path, Path]]:
    plan: dict[Path, Path] = {}
    for lay in layers:
        if lay.how != "copied":
            continue
        files = _files_of(lay.source)
        new_stem = lay.path[:-len(lay.source.suffix)] if lay.source.suffix else lay.path
        old_stem = lay.source.name[:-len(lay.source.suffix)] if lay.source.suffix else (
            lay.source.name)
        for f in files:
            dest = folder / (new_stem + f.name[len(old_stem):])
            plan[dest] = f
    for dest, f in plan.items():
        if dest.exists() and not filecmp.cmp(dest, f, shallow=False):
            msg = (f"{dest}: a different file of this name is already in the folder; init does "
                   "not overwrite files: rename or remove it, or use --link to reference the "
                   "layers where they are")
            raise ScenarioError(msg)
    return [(f, dest) for dest, f in plan.items()]


def _copy(src: Path, dest: Path) -> None:
    if dest.exists():
        return  # the same content (checked by _copy_plan)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.copy2(src, tmp)
    os.replace(tmp, dest)


# --------------------------------------------------------------------------- the file
@dataclass
class _Choices:
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


def _layer_section(w: _Writer, section: str, path: str, options: dict[str, object], *,
                   active: bool = True, explain: bool = False) -> None:
    w.key("path", path, LAYER_KEY_DOCS["path"] if explain else "", active=active)
    examples = {**_LAYER_EXAMPLES, "layer": section.split(".")[-1]}
    for k in ("layer", "sheet", "header_row", "x_column", "y_column", "crs", "coords"):
        if k in options:
            w.key(k, options[k], LAYER_KEY_DOCS[k] if explain else "", active=active)
        else:
            w.key(k, examples[k], LAYER_KEY_DOCS[k] if explain else "", active=False)


def _render(c: _Choices) -> str:
    w = _Writer()
    b = c.bundled
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
    w.key("weight", _default(Scenario, "weight"), "What coverage counts: \"vehicles\" "
          "(new-energy vehicles served, default) or \"energy\" (kWh/day served; hydrogen "
          "at 33.3 kWh/kg).")
    w.key("lang", c.lang, "Labels of map, report and briefing: \"zh\" or \"en\".")
    w.key("output_crs", c.output_crs, "CRS of the exported GeoPackage/CSV: \"EPSG:4326\" "
          "(default), \"EPSG:4490\", \"EPSG:4547\", \"GCJ-02\" ... (stations.geojson is always "
          "WGS84).")
    w.key("allow_outside_paths", c.outside, "true lets layer paths leave this folder (default "
          "false).")
    w.key("corridor_weight", _default(Scenario, "corridor_weight"), "Weight of one covered "
          "corridor truck against one unit of point demand (default 1).")

    # ---- network
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
        w.key(k, opts.get(k, _LAYER_EXAMPLES[k]), LAYER_KEY_DOCS[k], active=k in opts)
    w.key("class_column", _default(NetworkSpec, "class_column"), "Column of a line layer "
          "with the road class (OSM highway values: motorway, trunk, primary ... residential).")
    w.key("oneway_column", "oneway", "Column marking one-way lines (absent = all two-way).",
          active=False)
    w.key("schematic", _default(NetworkSpec, "schematic"), "true for a network drawn by hand "
          "or generated, not surveyed; the map and report then say so.")
    w.key("provenance", "", "One sentence on where the network comes from (report, legend).")
    w.key("cache_dir", str(_default(NetworkSpec, "cache_dir")), "Download cache for place/"
          "bbox, relative to this folder.", active=False)
    w.key("max_snap_m", _default(NetworkSpec, "max_snap_m"), "A fleet point or site farther "
          "than this from every road (metres) is an error.")
    w.key("access_speed_kph", _default(NetworkSpec, "access_speed_kph"), "Speed (km/h) on "
          "the straight leg between a point and its nearest road.")
    example = {"primary": dict(DEFAULT_SPEEDS_KPH["primary"])}
    w.key("speeds_kph", example, "Speed overrides in km/h per road class and vehicle class "
          "(light/heavy), merged over the defaults (README).", active=False)

    # ---- demand
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

    # ---- segments
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

    # ---- station types
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
                w.key(k, _default(StationType, k))

    # ---- budget & solver
    w.table("budget", "Capital budget, CNY. by_year caps what may be spent in each year.")
    w.key("total", c.budget_cny)
    by_year = {str(y): round(c.budget_cny / len(c.years), 2) for y in c.years}
    bundled_by_year = b.get("budget", {}).get("by_year", {})
    same_years = sorted(int(y) for y in bundled_by_year) == c.years and c.budget_cny == float(
        b["budget"]["total"])
    w.key("by_year", {str(k): float(v) for k, v in bundled_by_year.items()} if same_years
          else by_year, "Yearly caps (CNY); default: none.", active=same_years)
    w.table("solver", "The MIP solver.")
    w.key("name", _default(SolverSpec, "name"), "\"highs\" (default) or \"cbc\".")
    w.key("time_limit_s", c.time_limit_s, f"Seconds the solver may search (default "
          f"{_default(SolverSpec, 'time_limit_s'):g}); at the limit the best plan found is "
          "written with its gap.")
    w.key("mip_gap", _default(SolverSpec, "mip_gap"), "Stop when the plan is within this "
          "relative gap of the bound (0 = prove the optimum).")
    w.key("threads", _default(SolverSpec, "threads"), "Solver threads.")
    w.key("capacitated", _default(SolverSpec, "capacitated"), "true: daily capacities, demand "
          "allocated to stations; false: plain maximal coverage.")
    w.key("max_alloc_options", _default(SolverSpec, "max_alloc_options"), "0 = exact; N > 0: "
          "each demand point draws only from its N nearest options (city-scale runs: 10-20).")

    # ---- zones
    zl = c.layers.get("zones")
    w.table("zones", "Zones (parks, districts, demonstration areas): polygons. Keys as in "
            "[demand], plus the id and name columns.", active=zl is not None)
    zopts = c.layer_options.get("zones", {})
    _layer_section(w, "zones", zl.path if zl else "zones.gpkg", zopts, active=zl is not None)
    w.key("id_column", _default(ZonesSpec, "id_column"), "Column with the zone id.",
          active=zl is not None)
    w.key("name_column", _default(ZonesSpec, "name_column"), "Column with the zone name.",
          active=zl is not None)
    w.key("name_en_column", _default(ZonesSpec, "name_en_column"), "Column with the zone's "
          "English name (English outputs; optional).", active=zl is not None)
    w.table("zone_requirements", "At least min stations serving pathway (or of station_type) "
            "in a zone by a year. Give either pathway or station_type.", array=True,
            active=False)
    w.key("zone", "xihe_chem", "A zone id of the zones layer.", active=False)
    w.key("pathway", "hydrogen", "\"swap\", \"charging\" or \"hydrogen\".", active=False)
    w.key("station_type", "hydrogen", "Instead of pathway: a station type id.", active=False)
    w.key("min", _default(ZoneRequirement, "min"), "Number of stations (default 1).",
          active=False)
    w.key("by_year", c.years[-1], "By this planning year (default the last).", active=False)

    w.table("zone_coverage", "At least min_share of the demand located in a zone covered "
            "(share of the zone's NEV vehicles or kWh/day that year, demand out of every "
            "station's reach included) - a constraint of the plan.", array=True, active=False)
    w.key("zone", "hedian", "A zone id of the zones layer.", active=False)
    w.key("min_share", 0.8, "Share 0-1.", active=False)
    w.key("by_year", c.years[-1], "In this planning year (default the last).", active=False)

    # ---- what the commission asks
    w.table("objective", "Default: maximise the covered demand within [budget]. With "
            "target_share: the cheapest plan covering at least that share of the last year's "
            "demand (siting run --target 0.95 does the same for one run).", active=False)
    w.key("target_share", 0.95, "Share 0-1 of the final year's demand weight; every rule "
          "still holds and budget.by_year still caps each year.", active=False)
    w.key("budget_cap", _default(ObjectiveSpec, "budget_cap"), "true: budget.total caps the "
          "plan too (default false: the question is what the target costs).", active=False)
    w.table("mandates", "The price of each mandate: the plan re-solved without each zone "
            "requirement and zone coverage floor (and the families below), in parallel "
            "(siting run --mandates does the same for one run).", active=False)
    w.key("price", True, "Price them on every run (default false).", active=False)
    w.key("families", ["budget_by_year", "grid"], "Rule families to price as a whole: "
          "zone_requirements, zone_coverage, budget_by_year, grid, hydrogen_supply, setbacks, "
          "vehicles_per_day.", active=False)
    w.key("workers", 2, "Worker processes (default the CPU cores, at most 8).", active=False)
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
    w.table("uncertainty", "Ranges of the fleet guesses for siting robust: multipliers "
            "[low, high] of the scenario's values, drawn uniformly per sample and segment.",
            active=False)
    w.key("seed", _default(UncertaintySpec, "seed"), "Random seed.", active=False)
    w.key("samples", _default(UncertaintySpec, "samples"), "Samples (siting robust --n).",
          active=False)
    w.key("no_regret_share", _default(UncertaintySpec, "no_regret_share"), "Chosen in at "
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

    # ---- rules
    w.table("hydrogen", "Hydrogen supply: stations without on-site production need a supply "
            "site within delivery_km (straight line).", active=False)
    w.key("delivery_km", _default(HydrogenSpec, "delivery_km"), "Kilometres (default 30).",
          active=False)
    w.key("cost_per_kg_km", _default(HydrogenSpec, "cost_per_kg_km"), "Delivered cost, "
          "CNY per kg per km; a tie-breaker between equally good plans.", active=False)
    w.table("hydrogen.supply", "Supply sites: points with supply_id and kg_per_day.",
            active=False)
    _layer_section(w, "hydrogen.supply", "h2_supply.gpkg", {}, active=False)
    w.table("setbacks", "Separation of stations from sensitive sites (schools, hospitals ...), "
            "metres by category; candidates closer are excluded, with the reason.",
            active=False)
    w.key("category_column", _default(SetbackSpec, "category_column"), "Column with the "
          "site category.", active=False)
    w.key("distance_m", {"school": 50.0, "hospital": 50.0, "dense_housing": 35.0},
          "Metres per category (GB 50516 figures for hydrogen in the Suizhou example).",
          active=False)
    w.key("applies_to", _default(SetbackSpec, "applies_to"), "Pathways whose stations keep "
          "the setbacks (default [\"hydrogen\"]).", active=False)
    w.table("setbacks.sites", "Sensitive sites: points or polygons with a category column.",
            active=False)
    _layer_section(w, "setbacks.sites", "sensitive.gpkg", {}, active=False)
    w.table("grid", "Substations with spare capacity: the grid_kw of the stations drawing "
            "from one substation (their nearest) may not exceed its spare MW.", active=False)
    w.key("id_column", _default(GridSpec, "id_column"), "Column with the substation id.",
          active=False)
    w.key("spare_column", _default(GridSpec, "spare_column"), "Column with spare capacity, "
          "MW.", active=False)
    w.table("grid.substations", "The substations layer (points).", active=False)
    _layer_section(w, "grid.substations", "substations.gpkg", {}, active=False)

    # ---- corridors
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
    w.key("vehicle_class", _default(Corridor, "vehicle_class"), active=False)
    w.key("range_km", _default(Corridor, "range_km"), "Driving range of the trucks.",
          active=False)
    w.key("detour_km", _default(Corridor, "detour_km"), "Longest detour to a station, km on "
          "the roads (there and back).", active=False)
    w.key("segment", "muck_truck", "Fleet segment of the trucks: their energy use per km. The "
          "corridor's trucks must not also be in the fleet layer.", active=False)
    w.key("kwh_per_km", 1.9, "Or the energy use per km directly (kWh/km) ...", active=False)
    w.key("h2_kg_per_km", 0.09, "... and kg/km for hydrogen corridors.", active=False)
    return w.text()


# --------------------------------------------------------------------------- entry point
def write_starter(
    folder: str | Path,
    *,
    network: str | Path,
    fleet: str | Path,
    candidates: str | Path,
    existing: str | Path | None = None,
    zones: str | Path | None = None,
    link: bool = False,
    name: str | None = None,
    years: Sequence[int] | None = None,
    budget_cny: float | None = None,
    time_limit_s: float | None = None,
    lang: str | None = None,
    output_crs: str | None = None,
    crs: str | None = None,
    coords: str | None = None,
) -> StarterResult:
    """Write ``folder/scenario.toml`` for the given layers (copied or referenced).

    Parameters
    ----------
    folder
        Created if missing. Must not hold a ``scenario.toml`` yet.
    network, fleet, candidates, existing, zones
        The layer files (existing and zones optional).
    link
        Reference the layers where they are (paths relative to ``folder``) instead of
        copying them into it.
    name, years, budget_cny, time_limit_s, lang, output_crs
        Scenario settings; default: the bundled scenario's (name: the folder's name).
    crs, coords
        CRS and coordinate convention (``"gcj02"``, ``"bd09"``) of the point layers that do
        not carry one (Excel, CSV): written to their sections.

    Returns
    -------
    StarterResult
        The scenario file, where each layer went, and what to edit next.

    Raises
    ------
    ScenarioError
        ``scenario.toml`` exists, a layer file is missing, a copy would overwrite a
        different file, or an option is invalid. Nothing is written then.
    """
    folder = Path(folder)
    target = folder / "scenario.toml"
    if target.exists() or target.is_symlink():
        msg = (f"{target}: a scenario already exists; init never overwrites it — edit it, or "
               "give another folder")
        raise ScenarioError(msg)
    if folder.exists() and not folder.is_dir():
        msg = f"{folder}: not a folder; give a folder for the new scenario"
        raise ScenarioError(msg)
    uris = {"network": network, "demand": fleet, "candidates": candidates,
            "existing": existing, "zones": zones}
    option = {"network": "--network", "demand": "--fleet", "candidates": "--candidates",
              "existing": "--existing", "zones": "--zones"}
    given: dict[str, Path | None] = {}
    layer_names: dict[str, str] = {}
    for section, uri in uris.items():
        p, layer_name = split_layer_uri(uri) if uri is not None else (None, None)
        given[section] = p
        if layer_name is not None:
            layer_names[section] = layer_name
        if p is not None and not p.is_file():
            msg = (f"{option[section]} {p}: file not found; give the path of the "
                   f"{'road' if section == 'network' else section} layer")
            raise ScenarioError(msg)
    if coords is not None and coords not in ("wgs84", "gcj02", "bd09"):
        msg = f"--coords {coords}: give wgs84, gcj02 or bd09"
        raise ScenarioError(msg)
    from siting.crs import parse_crs

    if crs is not None:
        parse_crs(crs, where="--crs")
    if output_crs is not None:
        parse_crs(output_crs, where="--output-crs")
    b = _bundled()
    yrs = sorted(set(years)) if years else [int(y) for y in b["years"]]
    if lang is not None and lang not in ("zh", "en"):
        msg = f"--lang {lang}: give zh or en"
        raise ScenarioError(msg)
    if budget_cny is not None and not (budget_cny >= 0 and budget_cny < float("inf")):
        msg = f"--budget {budget_cny / 1e6:g}: give a budget >= 0 in million CNY"
        raise ScenarioError(msg)
    if time_limit_s is not None and not (0 < time_limit_s < float("inf")):
        msg = f"--time-limit {time_limit_s:g}: give a number of seconds > 0"
        raise ScenarioError(msg)

    # where each layer goes (nothing copied yet)
    placed_names: dict[Path, str] = {}
    layers: dict[str, PlacedLayer] = {}
    for section, p in given.items():
        if p is not None:
            layers[section] = _place(Path(p), folder, section, link, placed_names)
    plan = _copy_plan(layers.values(), folder)
    outside = any(lay.path.startswith("../") or Path(lay.path).is_absolute()
                  for lay in layers.values())

    # what the files say (read where they are: nothing is written before the copies)
    layer_options: dict[str, dict[str, object]] = {
        s: {("sheet" if tables.is_spreadsheet(given[s] or "") else "layer"): name}
        for s, name in layer_names.items()}
    notes: list[str] = []
    metres: list[str] = []
    for section in ("demand", "candidates", "existing"):
        lay = layers.get(section)
        if lay is None:
            continue
        info = _inspect_table(lay.source, crs, layer_options.get(section, {}).get("sheet"))
        opts = {**info.options, **layer_options.get(section, {})}
        if lay.source.suffix.lower() in tables.TABLE_SUFFIXES:
            if info.xy_metres:  # --crs is for x/y columns, --coords for lon/lat ones
                if crs is not None:
                    opts["crs"] = crs
                else:
                    metres.append(section)
            elif coords not in (None, "wgs84"):
                opts["coords"] = coords
        layer_options[section] = opts
        notes += info.notes
    fleet_spec = LayerSpec(path=layers["demand"].source.resolve(),
                           **layer_options.get("demand", {}))  # type: ignore[arg-type]
    values = _fleet_segments(fleet_spec)
    templates = [dict(s) for s in b["segments"]]
    segments, seg_notes = _segments(values, templates, yrs)
    types = [dict(t) for t in b["station_types"]]
    for t in types:
        StationType.model_validate(t)

    choices = _Choices(
        name=name or folder.resolve().name, years=yrs,
        budget_cny=float(budget_cny if budget_cny is not None else b["budget"]["total"]),
        time_limit_s=float(time_limit_s if time_limit_s is not None else
                           _default(SolverSpec, "time_limit_s")),
        lang=lang or str(b.get("lang", "zh")), output_crs=output_crs or "EPSG:4326",
        layers=layers, layer_options=layer_options, outside=outside, segments=segments,
        segment_notes=seg_notes, station_types=types, bundled=b)
    text = _render(choices)
    tomllib.loads(text)  # a bug here must not leave a broken file behind

    folder.mkdir(parents=True, exist_ok=True)
    for src, dest in plan:
        _copy(src, dest)
    tmp = target.with_name(f".scenario.toml.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)

    steps = []
    if metres:
        steps.append(f"set crs = \"EPSG:...\" in [{metres[0]}]: its x/y columns are metres "
                     "(e.g. EPSG:4547 for CGCS2000 3-degree GK, CM 114E), or rerun init with "
                     "--crs")
    assumed = [s["id"] for s, how in zip(segments, _hows(values, templates)) if how != "id"]
    if assumed:
        steps.append(f"check [[segments]] {', '.join(assumed)}: figures copied from the Suizhou "
                     "example (new-energy shares, pathway split, consumption, threshold_min)")
    steps.append("replace [[station_types]] capex and capacity with your own quotes (Suizhou's "
                 "assumptions now)")
    steps.append(f"set [budget] total (now {choices.budget_cny / 1e6:g} M CNY) and by_year")
    if "zones" in layers:
        steps.append("add [[zone_requirements]] if a zone must get a station (example in the "
                     "file)")
    return StarterResult(target, list(layers.values()), steps, notes)


def _hows(values: list[str] | None, templates: list[dict[str, Any]]) -> list[str]:
    if values is None:
        return ["id"] * len(templates)
    return [match_segment(v, templates)[1] for v in values]


def _segments(values: list[str] | None, templates: list[dict[str, Any]],
              years: Sequence[int]) -> tuple[list[dict[str, Any]], list[str]]:
    """The [[segments]] for the fleet's segment values (all bundled ones if unreadable)."""
    notes: list[str] = []
    if values is None:
        chosen = [(t, t["id"], "id") for t in templates]
        notes.append("The fleet layer could not be read yet (`siting validate` says why): "
                     "all bundled segments are listed.")
    else:
        chosen = []
        for v in values:
            t, how = match_segment(v, templates)
            chosen.append((t, v, how))
            if how == "name":
                notes.append(f"Segment '{v}': figures of the bundled '{t['id']}' "
                             f"({t.get('name', '')}).")
            elif how == "assumed":
                notes.append(f"Segment '{v}': ASSUMPTION — no bundled segment matches; "
                             f"figures copied from '{t['id']}'. Check them.")
    out = []
    for t, v, how in chosen:
        seg = dict(t)
        seg["id"] = v
        if how == "assumed":
            seg["name"], seg["name_en"] = v, v
        seg["nev_share"] = _year_shares({str(k): x for k, x in t["nev_share"].items()}, years)
        Segment.model_validate(seg)
        out.append(seg)
    return out, notes


#: Fields of :class:`~siting.scenario.Scenario` set by ``load_scenario``, not by users.
INTERNAL_KEYS: frozenset[str] = frozenset({"base_dir", "source_file"})


__all__ = ["INTERNAL_KEYS", "LAYER_KEY_DOCS", "PlacedLayer", "StarterResult", "bundled_toml",
           "match_segment", "split_layer_uri", "toml_value", "write_starter"]
