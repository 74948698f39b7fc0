"""The interactive map: a self-contained folium/Leaflet HTML page of a solved plan.

:func:`build_map` turns a :class:`~siting.results.SitingResult` (WGS84) into one HTML file:
a layer per station type (inline-styled ``DivIcon`` markers, existing stations outlined),
demand circles sized by daily energy and coloured by the share served (summed into hexagons
when there are many points), coverage areas, zones, roads, candidates with their rule outcome,
any extra layers, a legend, the schematic-network note and the data provenance.

By default the page needs no network at all except for basemap tiles: Leaflet's JS and CSS are
inlined from the installed ``django-js-lib-leaflet`` package (see :mod:`siting._assets`), and
nothing else (no jQuery, Bootstrap or Font Awesome) is used. Every text that comes from data is
HTML-escaped before it reaches the page; JSON embedded in ``<script>`` has ``<``, ``>`` and
``&`` escaped.

Basemaps: ``"osm"`` (OpenStreetMap), ``"tianditu"`` (天地图, needs the user's key),
``"amap"`` (高德; all geometry is shifted from WGS84 to GCJ-02 so it lines up with the tiles)
and ``"none"`` (plain background; the road layer still shows the network).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import os
import re
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from siting import _assets
from siting._errors import CRSMismatchError
from siting._escape import html_text, script_json
from siting.crs import layer_utm_crs
from siting.i18n import check_lang, t

if TYPE_CHECKING:
    from siting.results import SitingResult
    from siting.scenario import StationType

logger = logging.getLogger(__name__)

#: Basemap choices of :func:`build_map`.
BASEMAPS: tuple[str, ...] = ("osm", "tianditu", "amap", "none")
#: Above this many road segments the road layer is simplified at ~10 m instead of ~2 m.
ROAD_SEGMENTS_COARSE = 100_000
#: Above this many demand points the demand layer is summed into hexagons.
AGGREGATE_ABOVE: int = 5000
#: Lower heating value used to put hydrogen (kg) on the kWh scale of the demand circles.
H2_KWH_PER_KG: float = 33.3
#: Share-served classes: (upper bound, exclusive; colour; label).
SHARE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.005, "#d73027", "0%"),
    (0.5, "#fc8d59", "1–49%"),
    (0.995, "#91cf60", "50–99%"),
    (math.inf, "#1a9850", "100%"),
)
#: Chromium flags for headless screenshots (no first-run, no background traffic).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
CHROMIUM_PATH = "/usr/bin/chromium"

_OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
_OSM_ATTR = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
             "contributors")
_TDT_URL = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
_TDT_ATTR = "&copy; 天地图 / 国家地理信息公共服务平台"
_AMAP_URL = ("https://webrd0{{s}}.is.autonavi.com/appmaptile?lang={lang}&size=1&scale=1"
             "&style=8&x={{x}}&y={{y}}&z={{z}}")
_AMAP_ATTR = "&copy; 高德地图 AutoNavi"
_PLAIN_BACKGROUND = "#f2efe9"
_DEFAULT_COLOR = "#555555"
_COLOR_RE = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\(\s*[\d.%\s,]+\))$")
_ICON_PX = 24
_R_MIN, _R_MAX = 3.0, 16.0
_ROAD_WEIGHT = {"motorway": 3.0, "trunk": 3.0, "primary": 2.2, "secondary": 1.8}
#: Extra layers whose key contains one of these start hidden.
_HIDDEN_EXTRAS: tuple[str, ...] = ("substation", "sensitive")
#: Extra layers: (key fragment, i18n key, colour, glyph); the first fragment found wins.
_EXTRA_STYLES: tuple[tuple[str, str, str, str], ...] = (
    ("corridor", "layer.corridors", "#6a3d9a", "→"),
    ("substation", "layer.substations", "#b8860b", "⚡"),
    ("sensitive", "layer.sensitive_sites", "#c0392b", "!"),
    ("h2", "layer.h2_supply", "#0e7c86", "H"),
    ("hydrogen", "layer.h2_supply", "#0e7c86", "H"),
    ("supply", "layer.h2_supply", "#0e7c86", "H"),
)


# --------------------------------------------------------------------------- public API
def build_map(
    result: SitingResult,
    *,
    lang: str | None = "zh",
    basemap: str = "osm",
    cdn: bool = False,
    tianditu_key: str | None = None,
    aggregate_above: int = AGGREGATE_ABOVE,
    hex_size_m: float | None = None,
) -> str:
    """Render a solved plan as a self-contained interactive HTML map.

    Parameters
    ----------
    result
        The solved plan; every GeoDataFrame in WGS84 (EPSG:4326).
    lang
        Label language, ``"zh"`` or ``"en"``; ``None`` takes the scenario's ``lang``.
    basemap
        One of ``{"osm", "tianditu", "amap", "none"}``. ``"amap"`` shifts every geometry to
        GCJ-02 so it lines up with Amap's tiles. Tiles need a network; nothing else does.
    cdn
        ``False`` (default) inlines Leaflet so the file works offline; ``True`` links
        Leaflet's CDN instead (smaller file, needs internet).
    tianditu_key
        The user's 天地图 browser key, required for ``basemap="tianditu"``. It is written
        into the HTML (tile URLs), as the Tianditu JS API would.
    aggregate_above
        When the demand layer has more points than this, it is drawn as hexagon totals.
    hex_size_m
        Hexagon side in metres for the aggregated demand; default picks one from the extent.

    Returns
    -------
    str
        The complete HTML document (UTF-8 text).

    Raises
    ------
    ValueError
        Unknown ``lang`` or ``basemap``, or ``basemap="tianditu"`` without a key.
    """
    lang = check_lang(lang or result.scenario.lang)
    if basemap not in BASEMAPS:
        msg = f"basemap '{basemap}' is not supported; use one of {list(BASEMAPS)}"
        raise ValueError(msg)
    if basemap == "tianditu" and not (tianditu_key or "").strip():
        msg = ("basemap 'tianditu' needs a Tianditu key; pass tianditu_key=... (get one at "
               "https://console.tianditu.gov.cn) or use basemap 'osm', 'amap' or 'none'")
        raise ValueError(msg)
    ctx = _Context.make(result, lang)
    layers = _display_layers(result, aggregate_above=aggregate_above, hex_size_m=hex_size_m)
    if basemap == "amap":
        layers = layers.map(_to_gcj02)
    fmap = _new_map(layers, ctx, basemap=basemap, cdn=cdn, tianditu_key=tianditu_key)
    fmap.get_root().title = html_text(_display_title(result, ctx))
    # Drawing order = stacking order on the canvas; the top layer takes the clicks. Filled
    # areas go under the demand circles, roads over the (opaque) demand hexagons.
    _add_coverage(fmap, layers.coverage, ctx)
    _add_zones(fmap, layers.zones, ctx)
    if layers.cells:
        _add_demand(fmap, layers, ctx)
        _add_roads(fmap, layers.roads, ctx)
    else:
        _add_roads(fmap, layers.roads, ctx)
        _add_demand(fmap, layers, ctx)
    _add_candidates(fmap, layers.candidates, ctx)
    extras = _add_extras(fmap, layers.extras, ctx)
    _add_stations(fmap, layers.stations, ctx)
    _Overlay(_title_html(result, ctx), _legend_html(result, layers, ctx, extras),
             background=_PLAIN_BACKGROUND if basemap == "none" else None).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    (south, west), (north, east) = _bounds(layers)
    fmap.fit_bounds([[south, west], [north, east]], padding=(30, 30), max_zoom=16)
    root = fmap.get_root()
    _number_elements(root)
    return root.render()


def write_map(result: SitingResult, path: str | os.PathLike[str], **kw: Any) -> Path:
    """Build the map and write it atomically (``.tmp`` sibling, then rename).

    Parameters
    ----------
    result
        The solved plan (WGS84).
    path
        Target ``.html`` file; its folder is created if missing.
    **kw
        Keyword arguments of :func:`build_map`.

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    text = build_map(result, **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    logger.info("wrote %s (%.1f MB)", path, len(text.encode("utf-8")) / 1e6)
    return path


def aggregate_demand_hex(
    demand: gpd.GeoDataFrame,
    *,
    size_m: float | None = None,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Sum demand points into pointy-top hexagons of side ``size_m`` in a metric CRS.

    Parameters
    ----------
    demand
        Demand points in WGS84 with ``energy`` (daily), ``energy_unit`` (``kWh``/``kg``),
        ``weight`` and ``served_share`` (0-1); missing columns count as 0 (share) or 1.
    size_m
        Hexagon side (= circumradius) in metres; default: chosen from the extent so that
        the bounding box holds about 3,000 cells (at least 250 m).
    crs
        Metric CRS for the binning; default the UTM zone of the points
        (:func:`siting.crs.layer_utm_crs`).

    Returns
    -------
    GeoDataFrame
        One row per non-empty cell, EPSG:4326 hexagon polygons, with ``n_points``,
        ``energy_kwh`` (kg of hydrogen at 33.3 kWh/kg), ``weight``, ``served_weight``,
        ``served_share`` (weight-averaged) and ``size_m``.
    """
    pts = demand.to_crs(crs or layer_utm_crs(demand))
    x = pts.geometry.x.to_numpy(float)
    y = pts.geometry.y.to_numpy(float)
    size = float(size_m) if size_m else _auto_hex_size(x, y)
    q, r = _hex_index(x, y, size)
    frame = pd.DataFrame({
        "q": q, "r": r,
        "energy_kwh": _energy_kwh(demand),
        "weight": _num(demand, "weight", 1.0),
    })
    frame["served_weight"] = frame["weight"] * np.clip(_num(demand, "served_share", 0.0), 0, 1)
    frame["n_points"] = 1
    cells = frame.groupby(["q", "r"], sort=True).sum().reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(cells["weight"] > 0, cells["served_weight"] / cells["weight"], 0.0)
    cells["served_share"] = share
    cells["size_m"] = size
    polys = _hexagons(cells["q"].to_numpy(), cells["r"].to_numpy(), size)
    out = gpd.GeoDataFrame(cells, geometry=polys, crs=pts.crs).to_crs("EPSG:4326")
    return out


def offline_page(browser: Any) -> Any:
    """A new playwright page that loads only ``file:`` and ``data:`` URLs (every other
    request is aborted), as a mailed map.html is read offline."""
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:")) else r.abort())
    return page


def screenshot_map(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    width: int = 1280,
    height: int = 800,
    *,
    executable_path: str = CHROMIUM_PATH,
    settle_ms: int = 1500,
    timeout_ms: int = 60_000,
) -> Path:
    """Save a PNG screenshot of a map page with headless Chromium (via playwright).

    Parameters
    ----------
    html_path
        The map HTML file.
    png_path
        Where to write the PNG (written to a ``.tmp`` sibling, then renamed).
    width, height
        Viewport size in CSS pixels.
    executable_path
        The Chromium binary (Debian's by default; playwright never downloads one here).
    settle_ms
        Extra wait after the map has loaded, for tiles and rendering (milliseconds).
    timeout_ms
        Page-load timeout (milliseconds).

    Returns
    -------
    Path
        The PNG file.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        msg = "screenshot_map needs playwright; run `pip install playwright`"
        raise ImportError(msg) from None
    if not Path(executable_path).exists():
        msg = (f"{executable_path}: Chromium not found; install it (apt install chromium) or "
               "pass executable_path=...")
        raise FileNotFoundError(msg)
    src = Path(html_path).resolve()
    png = Path(png_path)
    png.parent.mkdir(parents=True, exist_ok=True)
    tmp = png.with_suffix(".tmp.png")

    def shoot() -> None:
        with tempfile.TemporaryDirectory(prefix="siting-chromium-") as profile, \
                sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=executable_path, headless=True,
                args=list(CHROMIUM_ARGS), viewport={"width": width, "height": height})
            try:
                page = ctx.new_page()
                page.goto(src.as_uri(), wait_until="load", timeout=timeout_ms)
                page.wait_for_selector(".leaflet-container", timeout=timeout_ms)
                page.wait_for_timeout(settle_ms)
                page.screenshot(path=str(tmp), full_page=False)
            finally:
                ctx.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        shoot()
    else:  # Jupyter, or another playwright session: the sync API needs its own thread
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(shoot).result()
    os.replace(tmp, png)
    return png


# --------------------------------------------------------------------------- context
@dataclass(frozen=True)
class _Context:
    """Per-map lookups: language, station types, zone names, units."""

    lang: str
    types: dict[str, StationType]
    type_order: tuple[str, ...]
    zone_names: dict[str, str]
    segment_names: dict[str, str]
    weight_unit: str

    @classmethod
    def make(cls, result: SitingResult, lang: str) -> _Context:
        sc = result.scenario
        zone_names: dict[str, str] = {}
        if result.zones is not None and len(result.zones):
            ids = result.zones.get("zone_id", pd.Series(dtype=object))
            names = result.zones.get("name", ids)
            zone_names = {str(i): str(n) for i, n in zip(ids, names, strict=False)}
        segs = {s.id: _local(s.name, s.name_en, s.id, lang) for s in sc.segments}
        unit = t("unit.vehicles", lang) if sc.weight == "vehicles" else "kWh" + t(
            "unit.per_day", lang)
        return cls(lang=lang, types={st.id: st for st in sc.station_types},
                   type_order=tuple(st.id for st in sc.station_types), zone_names=zone_names,
                   segment_names=segs, weight_unit=unit)

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def type_name(self, type_id: str) -> str:
        st = self.types.get(type_id)
        return _local(st.name, st.name_en, st.id, self.lang) if st else str(type_id)

    def type_look(self, type_id: str) -> tuple[str, str, str]:
        """(colour, glyph, family) of a station type, safe for inline CSS/HTML."""
        st = self.types.get(type_id)
        if st is None:
            return _DEFAULT_COLOR, "?", "charging"
        return _safe_color(st.color), (st.glyph or "?")[:2], st.family

    def zone(self, zone_id: object) -> str:
        z = _text(zone_id)
        return self.zone_names.get(z, z) if z else self.t("word.none")

    def money(self, cny: object) -> str:
        v = _float(cny)
        if v is None:
            return "—"
        if self.lang == "zh":
            value = v / 1e4
            return self.t("unit.money", value=f"{value:,.0f}" if value >= 100 else f"{value:,.1f}")
        return self.t("unit.money", value=f"{v / 1e6:,.2f}")

    def yes_no(self, flag: object) -> str:
        return self.t("word.yes") if _truthy(flag) else self.t("word.no")


# --------------------------------------------------------------------------- layers
@dataclass(frozen=True)
class _Layers:
    """The frames to draw, in display coordinates (WGS84, or GCJ-02 for Amap)."""

    stations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    cells: dict[int | None, gpd.GeoDataFrame]
    hex_size_m: float | None
    candidates: gpd.GeoDataFrame
    coverage: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame
    extras: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    def map(self, fn: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> _Layers:
        return _Layers(
            stations=fn(self.stations), demand=fn(self.demand),
            cells={k: fn(v) for k, v in self.cells.items()}, hex_size_m=self.hex_size_m,
            candidates=fn(self.candidates), coverage=fn(self.coverage),
            zones=None if self.zones is None else fn(self.zones), roads=fn(self.roads),
            extras={k: fn(v) for k, v in self.extras.items()})

    def all_frames(self) -> Iterable[gpd.GeoDataFrame]:
        yield from (self.stations, self.demand, self.candidates, self.coverage)
        yield from self.cells.values()
        if self.zones is not None:
            yield self.zones


def _display_layers(result: SitingResult, *, aggregate_above: int,
                    hex_size_m: float | None) -> _Layers:
    def clean(gdf: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame:
        if gdf is None:
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        _check_wgs84(gdf, what)
        keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
        return gdf.loc[keep]

    demand = clean(result.demand, "demand")
    cells: dict[int | None, gpd.GeoDataFrame] = {}
    size: float | None = None
    if len(demand) > aggregate_above:
        pts = demand.to_crs(layer_utm_crs(demand))
        size = float(hex_size_m) if hex_size_m else _auto_hex_size(
            pts.geometry.x.to_numpy(float), pts.geometry.y.to_numpy(float))
        for year, part in _by_year(demand):
            cells[year] = aggregate_demand_hex(part, size_m=size, crs=str(pts.crs))
        logger.info("demand: %d points summed into hexagons of %.0f m", len(demand), size)
    return _Layers(
        stations=clean(result.stations, "stations"), demand=demand, cells=cells,
        hex_size_m=size, candidates=clean(result.candidates, "candidates"),
        coverage=clean(result.coverage_areas, "coverage_areas"),
        zones=None if result.zones is None else clean(result.zones, "zones"),
        roads=clean(result.roads, "roads"),
        extras={str(k): clean(v, f"extra_layers['{k}']")
                for k, v in (result.extra_layers or {}).items() if v is not None and len(v)})


def _check_wgs84(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        msg = (f"SitingResult.{what}: layer is in {gdf.crs.to_string()}, expected WGS84 "
               "(EPSG:4326); reproject it with .to_crs('EPSG:4326') before building the map")
        raise CRSMismatchError(msg)


def _by_year(gdf: gpd.GeoDataFrame) -> list[tuple[int | None, gpd.GeoDataFrame]]:
    if "year" not in gdf.columns or gdf["year"].nunique() <= 1:
        return [(None, gdf)]
    return [(int(y), part) for y, part in gdf.groupby("year", sort=True)]


def _to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Shift every coordinate from WGS84 to GCJ-02 (for Amap tiles); a copy."""
    if not len(gdf):
        return gdf
    from siting.crs import wgs84_to_gcj02

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(lon, float), np.asarray(lat, float)])

    geoms = shapely.transform(gdf.geometry.to_numpy(), shift)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def _bounds(layers: _Layers) -> tuple[tuple[float, float], tuple[float, float]]:
    """((south, west), (north, east)) of the data; roads only if nothing else; padded."""
    boxes = [f.total_bounds for f in layers.all_frames() if len(f)]
    if not boxes and len(layers.roads):
        boxes = [layers.roads.total_bounds]
    if not boxes:  # nothing to show: Suizhou's centre
        return (31.66, 113.34), (31.73, 113.42)
    b = np.array(boxes)
    west, south, east, north = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    pad = 0.005
    if east - west < pad:
        west, east = west - pad, east + pad
    if north - south < pad:
        south, north = south - pad, north + pad
    return (float(south), float(west)), (float(north), float(east))


# --------------------------------------------------------------------------- map shell
def _new_map(layers: _Layers, ctx: _Context, *, basemap: str, cdn: bool,
             tianditu_key: str | None) -> folium.Map:
    (south, west), (north, east) = _bounds(layers)
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=12,
                      tiles=None, control_scale=False, prefer_canvas=True)
    # Only Leaflet is needed: drop folium's jQuery/Bootstrap/Font Awesome links. Instance
    # attributes, so folium's class-level lists are left untouched.
    if cdn:
        fmap.default_js = [("leaflet", _assets.LEAFLET_CDN_JS)]
        fmap.default_css = [("leaflet_css", _assets.LEAFLET_CDN_CSS)]
    else:
        fmap.default_js = []
        fmap.default_css = []
        fmap.get_root().header.add_child(_Literal(_assets.inline_leaflet_html()),
                                         name="leaflet_inline")
    for tile in _tile_layers(basemap, ctx.lang, tianditu_key):
        tile.add_to(fmap)
    return fmap


def _tile_layers(basemap: str, lang: str, key: str | None) -> list[folium.TileLayer]:
    if basemap == "osm":
        return [folium.TileLayer(_OSM_URL, attr=_OSM_ATTR, name=t("layer.basemap_osm", lang),
                                 max_zoom=19)]
    if basemap == "tianditu":
        tk = urllib.parse.quote((key or "").strip(), safe="")
        name = t("layer.basemap_tianditu", lang)
        return [
            folium.TileLayer(_TDT_URL.format(layer="vec", key=tk), attr=_TDT_ATTR, name=name,
                             subdomains="01234567", max_zoom=18),
            folium.TileLayer(_TDT_URL.format(layer="cva", key=tk), attr=_TDT_ATTR,
                             name=name + " 注记", subdomains="01234567", max_zoom=18,
                             overlay=True, control=False),
        ]
    if basemap == "amap":
        url = _AMAP_URL.format(lang="zh_cn" if lang == "zh" else "en")
        return [folium.TileLayer(url, attr=_AMAP_ATTR, name=t("layer.basemap_amap", lang),
                                 subdomains="1234", max_zoom=18)]
    return []


class _Literal(Element):
    """Text written into the page as it is, never parsed as a template (inlined assets)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Literal"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _number_elements(root: Element) -> None:
    """Give every element a sequential id instead of folium's random one.

    The ids appear in the page as JavaScript variable names (``map_<id>``); numbering them in
    tree order makes two runs of the same plan write byte-identical files.
    """
    stack = [root]
    n = 0
    while stack:
        el = stack.pop()
        el._id = f"{n:06d}"
        n += 1
        stack.extend(reversed(list(el._children.values())))


class _Overlay(MacroElement):
    """Title box, schematic banner and legend: fixed HTML outside the map (pre-escaped)."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
        .siting-box { position: fixed; z-index: 1001; background: rgba(255,255,255,.94);
          border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.35); color: #222;
          font: 12px/1.45 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
        #siting-title { top: 10px; left: 60px; max-width: 52vw; padding: 6px 12px; }
        #siting-title h1 { font-size: 16px; margin: 0; }
        #siting-title .sub { color: #555; }
        .siting-banner { margin-top: 4px; padding: 2px 6px; border-radius: 4px;
          background: #fff3cd; border: 1px solid #e0a800; color: #7a5300; font-weight: 600; }
        #siting-legend { bottom: 24px; left: 10px; max-width: 300px; max-height: 62vh;
          overflow: auto; padding: 6px 10px; }
        #siting-legend summary { font-weight: 600; cursor: pointer; }
        #siting-legend .row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
        #siting-legend .sw { flex: 0 0 auto; display: inline-flex; align-items: center;
          justify-content: center; min-width: 26px; }
        #siting-legend h4 { margin: 6px 0 2px; font-size: 12px; }
        #siting-legend .prov { color: #555; font-size: 11px; }
        .siting-pop table { border-collapse: collapse; }
        .siting-pop td { padding: 1px 6px 1px 0; vertical-align: top; }
        .siting-pop td:first-child { color: #666; white-space: nowrap; }
        .siting-zone-label { background: transparent; border: 0; box-shadow: none;
          color: #4a2c7a; font-weight: 700; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
        .siting-station, .siting-excluded, .siting-extra { background: transparent; border: 0; }
        {% if this.background %}.leaflet-container { background: {{ this.background }}; }{% endif %}
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        {{ this.title_html }}
        {{ this.legend_html }}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, position: "bottomright"})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, title_html: str, legend_html: str, *, background: str | None) -> None:
        super().__init__()
        self._name = "SitingOverlay"
        self.title_html = title_html
        self.legend_html = legend_html
        self.background = background


class _Bind(MacroElement):
    """Bind an (already escaped) popup and tooltip to the parent marker."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.popup }}, {maxWidth: 360});
        {% if this.tooltip %}
        {{ this._parent.get_name() }}.bindTooltip({{ this.tooltip }});
        {% endif %}
        {% endmacro %}
    """)

    def __init__(self, popup_html: str, tooltip_html: str | None = None) -> None:
        super().__init__()
        self._name = "Bind"
        self.popup = _js(popup_html)
        self.tooltip = _js(tooltip_html) if tooltip_html else ""


class _DataLayer(MacroElement):
    """An ``L.geoJSON`` layer from pre-built features (compact: one element per layer).

    Feature properties: ``p`` popup HTML, ``t`` tooltip HTML (both escaped already), ``s``
    style overrides. Points become circle markers, or ``DivIcon`` markers when ``icon`` is set.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
            style: function (f) {
                return Object.assign({}, {{ this.style }}, f.properties.s || {});
            },
            pointToLayer: function (f, ll) {
                {% if this.icon %}
                return L.marker(ll, {icon: L.divIcon({{ this.icon }}), keyboard: false});
                {% else %}
                return L.circleMarker(
                    ll, Object.assign({}, {{ this.style }}, f.properties.s || {}));
                {% endif %}
            },
            onEachFeature: function (f, layer) {
                var p = f.properties;
                if (p.p) { layer.bindPopup(p.p, {maxWidth: 360}); }
                if (p.t) { layer.bindTooltip(p.t, {{ this.tooltip }}); }
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: str, *, style: dict[str, Any], icon: dict[str, Any] | None = None,
                 tooltip: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._name = "DataLayer"
        self.data = data
        self.style = _js(style)
        self.icon = _js(icon) if icon else ""
        self.tooltip = _js(tooltip or {})


def _group(fmap: folium.Map, name: str, *, show: bool = True) -> folium.FeatureGroup:
    """A toggleable layer; Leaflet shows layer names as HTML, so the name is escaped."""
    return folium.FeatureGroup(name=html_text(name), show=show).add_to(fmap)


# --------------------------------------------------------------------------- layer builders
def _add_roads(fmap: folium.Map, roads: gpd.GeoDataFrame, ctx: _Context) -> None:
    if not len(roads):
        return
    group = _group(fmap, ctx.t("layer.roads"))
    geoms = shapely.get_parts(roads.geometry.to_numpy(), return_index=True)
    parts, idx = geoms
    lines = shapely.get_type_id(parts) == 1
    parts, idx = parts[lines], idx[lines]
    cls = _texts(roads, "road_class")[idx] if "road_class" in roads.columns else np.full(
        len(parts), "", dtype=object)
    weight = np.array([_ROAD_WEIGHT.get(str(c).removesuffix("_link"), 1.0) for c in cls])
    feats = []
    # ~2 m; ~10 m on city-wide networks, where the map opens at city scale (a 200k-node
    # network's road layer was most of a 22 MB map.html)
    tol = 2e-5 if len(parts) < ROAD_SEGMENTS_COARSE else 1e-4
    for w in sorted(set(weight.tolist()), reverse=True):
        # Segments joined into polylines before simplifying: every shared node is written
        # once, and straight runs of a street shrink to their ends.
        merged = shapely.line_merge(shapely.multilinestrings(parts[weight == w]))
        pieces = shapely.get_parts(merged)
        pieces = _round(shapely.simplify(pieces, tol, preserve_topology=False))
        pieces = pieces[~shapely.is_empty(pieces) & (shapely.get_num_coordinates(pieces) >= 2)]
        if len(pieces):
            feats.append(_feature(shapely.to_geojson(shapely.multilinestrings(pieces)),
                                  {"s": {"weight": w}}))
    style = {"color": "#7a7a7a", "weight": 1.0, "opacity": 0.8, "interactive": False}
    _DataLayer(_collection(feats), style=style).add_to(group)


def _add_zones(fmap: folium.Map, zones: gpd.GeoDataFrame | None, ctx: _Context) -> None:
    if zones is None or not len(zones):
        return
    group = _group(fmap, ctx.t("layer.zones"))
    ids = _texts(zones, "zone_id")
    names = _texts(zones, "name") if "name" in zones.columns else ids
    geoms = _geojson(zones, simplify=2e-5)
    feats = []
    for zid, name, geom in zip(ids, names, geoms, strict=True):
        label = name or zid
        popup = _popup(label, [(ctx.t("field.zone"), f"{label} ({zid})")])
        feats.append(_feature(geom, {"p": popup, "t": html_text(label)}))
    style = {"color": "#6a3d9a", "weight": 2, "dashArray": "6 4", "fillOpacity": 0.03,
             "fillColor": "#6a3d9a"}
    # labels sit in the shadow pane: above the areas, below the station markers
    tip = {"permanent": True, "direction": "center", "className": "siting-zone-label",
           "pane": "shadowPane"}
    _DataLayer(_collection(feats), style=style, tooltip=tip).add_to(group)


def _add_coverage(fmap: folium.Map, cov: gpd.GeoDataFrame, ctx: _Context) -> None:
    if not len(cov):
        return
    group = _group(fmap, ctx.t("layer.coverage"))
    types = _texts(cov, "station_type")
    sites = _texts(cov, "site_id")
    thresh = _num(cov, "threshold_min", np.nan)
    feats = []
    for st, site, th, geom in zip(types, sites, thresh, _geojson(cov, simplify=5e-5),
                                  strict=True):
        color = ctx.type_look(st)[0]
        rows = [(ctx.t("field.type"), ctx.type_name(st)), (ctx.t("field.site_id"), site)]
        if np.isfinite(th):
            rows.append((ctx.t("field.threshold_min"), ctx.t("unit.minutes", value=f"{th:g}")))
        feats.append(_feature(geom, {"p": _popup(ctx.t("layer.coverage"), rows),
                                     "s": {"color": color, "fillColor": color}}))
    style = {"weight": 1, "opacity": 0.55, "fillOpacity": 0.08}
    _DataLayer(_collection(feats), style=style).add_to(group)


def _add_demand(fmap: folium.Map, layers: _Layers, ctx: _Context) -> None:
    if layers.cells:
        last = max((k for k in layers.cells if k is not None), default=None)
        for year, cells in layers.cells.items():
            key = "layer.demand_cells" if year is None else "layer.demand_cells_year"
            group = _group(fmap, ctx.t(key, year=year), show=year == last)
            _DataLayer(_cell_features(cells, ctx), style={"weight": 0.6, "opacity": 0.8}
                       ).add_to(group)
        return
    demand = layers.demand
    if not len(demand):
        return
    e_max = float(np.nanmax(_energy_kwh(demand), initial=0.0))
    parts = _by_year(demand)
    last = parts[-1][0]
    for year, part in parts:
        key = "layer.demand" if year is None else "layer.demand_year"
        group = _group(fmap, ctx.t(key, year=year), show=year == last)
        style = {"color": "#333333", "weight": 0.8, "fillOpacity": 0.75, "opacity": 0.9}
        _DataLayer(_demand_features(part, e_max, ctx), style=style).add_to(group)


def _demand_features(demand: gpd.GeoDataFrame, e_max: float, ctx: _Context) -> str:
    energy = _num(demand, "energy", np.nan)
    e_kwh = _energy_kwh(demand)
    share = np.clip(_num(demand, "served_share", 0.0), 0, 1)
    radius = radius_px(e_kwh, e_max)
    units = _texts(demand, "energy_unit")
    names = _texts(demand, "name")
    fleet = _texts(demand, "fleet_id")
    segs = _texts(demand, "segment")
    paths = _texts(demand, "pathway")
    years = _texts(demand, "year")
    veh = _num(demand, "vehicles", np.nan)
    by = _texts(demand, "served_by")
    geoms = _geojson(demand)
    feats = []
    for i, geom in enumerate(geoms):
        rows = [
            (ctx.t("field.segment"), ctx.segment_names.get(segs[i], segs[i])),
            (ctx.t("field.pathway"), _pathway(paths[i], ctx)),
            (ctx.t("field.year"), years[i]),
            (ctx.t("field.vehicles"), _fmt(veh[i], 1)),
            (ctx.t("field.energy"), f"{_fmt(energy[i], 1)} {units[i]}{ctx.t('unit.per_day')}"),
            (ctx.t("field.served_share"), f"{share[i]:.0%}"),
            (ctx.t("field.served_by"), by[i] or ctx.t("word.none")),
        ]
        props = {"p": _popup(names[i] or fleet[i], rows),
                 "s": {"radius": round(float(radius[i]), 1), "fillColor": share_color(share[i])}}
        feats.append(_feature(geom, props))
    return _collection(feats)


def _cell_features(cells: gpd.GeoDataFrame, ctx: _Context) -> str:
    e = cells["energy_kwh"].to_numpy(float)
    e_max = float(e.max(initial=0.0)) or 1.0
    feats = []
    for i, geom in enumerate(_geojson(cells)):
        share = float(cells["served_share"].iat[i])
        rows = [
            (ctx.t("field.points"), f"{int(cells['n_points'].iat[i]):,}"),
            (ctx.t("field.energy"), f"{_fmt(e[i], 0)} kWh{ctx.t('unit.per_day')}"),
            (ctx.t("field.weight"), f"{_fmt(cells['weight'].iat[i], 1)} {ctx.weight_unit}"),
            (ctx.t("field.served_share"), f"{share:.0%}"),
        ]
        color = share_color(share)
        props = {"p": _popup(ctx.t("layer.demand_cells"), rows),
                 "s": {"color": color, "fillColor": color,
                       "fillOpacity": round(0.2 + 0.6 * math.sqrt(max(e[i], 0) / e_max), 2)}}
        feats.append(_feature(geom, props))
    return _collection(feats)


def _add_candidates(fmap: folium.Map, cands: gpd.GeoDataFrame, ctx: _Context) -> None:
    if not len(cands):
        return
    excluded = excluded_candidates(cands)
    chosen = np.array([_truthy(v) for v in cands.get("chosen", [False] * len(cands))])
    ids = _texts(cands, "site_id")
    names = _texts(cands, "name")
    allowed = _texts(cands, "allowed_types")
    zones = _texts(cands, "zone")
    outcome = _texts(cands, "rule_outcome")
    geoms = _geojson(cands)
    ok_feats: list[str] = []
    bad_feats: list[str] = []
    for i, geom in enumerate(geoms):
        types = "; ".join(ctx.type_name(a.strip()) for a in allowed[i].split(";") if a.strip())
        rows = [(ctx.t("field.site_id"), ids[i]), (ctx.t("field.allowed_types"), types),
                (ctx.t("field.zone"), ctx.zone(zones[i])),
                (ctx.t("field.rule_outcome"), outcome[i]),
                (ctx.t("field.chosen"), ctx.yes_no(chosen[i]))]
        props: dict[str, Any] = {"p": _popup(names[i] or ids[i], rows)}
        if excluded[i]:
            props["t"] = html_text(outcome[i])
            bad_feats.append(_feature(geom, props))
        else:
            if chosen[i]:
                props["s"] = {"color": "#222222", "weight": 2}
            ok_feats.append(_feature(geom, props))
    if ok_feats:
        group = _group(fmap, ctx.t("layer.candidates"))
        style = {"radius": 3.5, "color": "#8a8a8a", "weight": 1, "fillColor": "#b0b0b0",
                 "fillOpacity": 0.9}
        _DataLayer(_collection(ok_feats), style=style).add_to(group)
    if bad_feats:
        group = _group(fmap, ctx.t("layer.excluded"))
        _DataLayer(_collection(bad_feats), style={}, icon=_EXCLUDED_ICON).add_to(group)


def excluded_candidates(cands: pd.DataFrame) -> np.ndarray:
    """Boolean mask of candidate sites excluded for every station type (drawn as crosses).

    ``rule_outcome`` holds one note per allowed type, ``"; "``-separated, as written by
    :mod:`siting.candidates` (``"swap: allowed by the site; hydrogen: excluded — 120 m from
    a school"``). A site is excluded when it is not chosen and every note says ``excluded``
    (or ``排除``); a site eligible for some type stays a candidate, with the full text in its
    popup. A boolean ``eligible`` column, when present, decides instead.
    """
    n = len(cands)
    chosen = np.array([_truthy(v) for v in cands.get("chosen", [False] * n)], dtype=bool)
    if "eligible" in cands.columns:
        return ~np.array([_truthy(v) for v in cands["eligible"]], dtype=bool) & ~chosen

    def all_excluded(text: str) -> bool:
        notes = [x.strip().lower() for x in text.split(";") if x.strip()]
        return bool(notes) and all("excluded" in x or "排除" in x for x in notes)

    bad = np.array([all_excluded(s) for s in _texts(cands, "rule_outcome")], dtype=bool)
    return bad & ~chosen


_EXCLUDED_ICON = {
    "html": '<div style="color:#b03030;font:700 14px/14px sans-serif;text-align:center;'
            'text-shadow:0 0 2px #fff">✕</div>',
    "className": "siting-excluded", "iconSize": [14, 14], "iconAnchor": [7, 7],
}


def _extra_look(key: str, lang: str) -> tuple[str, str, str]:
    """(display name, colour, glyph) of an extra layer from its key."""
    low = key.lower()
    for frag, label, color, glyph in _EXTRA_STYLES:
        if frag in low:
            return t(label, lang), color, glyph
    return key, "#444444", "•"


def _add_extras(fmap: folium.Map, extras: dict[str, gpd.GeoDataFrame],
                ctx: _Context) -> list[tuple[str, str, str]]:
    """Draw extra layers; returns (name, colour, glyph) of each for the legend."""
    drawn = []
    for key, gdf in extras.items():
        name, color, glyph = _extra_look(key, ctx.lang)
        # context layers that clutter the plan start hidden (one click in the layer control)
        hidden = any(k in key.lower() for k in _HIDDEN_EXTRAS)
        group = _group(fmap, name, show=not hidden)
        cols = [c for c in gdf.columns if c != gdf.geometry.name][:12]
        feats = []
        for i, geom in enumerate(_geojson(gdf, simplify=2e-5)):
            row = gdf.iloc[i]
            rows = [(str(c), _text(row[c])) for c in cols]
            title = _text(row.get("name", "")) or _text(row.get(cols[0], "")) if cols else name
            feats.append(_feature(geom, {"p": _popup(title or name, rows)}))
        icon = {"html": _extra_icon_html(color, glyph), "className": "siting-extra",
                "iconSize": [18, 18], "iconAnchor": [9, 9]}
        style = {"color": color, "weight": 3, "opacity": 0.8, "fillOpacity": 0.1}
        if "corridor" in key.lower():
            style["dashArray"] = "8 6"
        _DataLayer(_collection(feats), style=style, icon=icon).add_to(group)
        drawn.append((name, color, glyph))
    return drawn


def _extra_icon_html(color: str, glyph: str, px: int = 18) -> str:
    return (f'<div style="width:{px - 4}px;height:{px - 4}px;background:#fff;border:2px solid '
            f"{color};color:{color};transform:rotate(45deg);display:flex;align-items:center;"
            f'justify-content:center"><span style="transform:rotate(-45deg);'
            f'font:700 10px sans-serif">{html_text(glyph)}</span></div>')


def _add_stations(fmap: folium.Map, stations: gpd.GeoDataFrame, ctx: _Context) -> None:
    if not len(stations):
        return
    types = _texts(stations, "station_type")
    order = list(ctx.type_order) + sorted(set(types) - set(ctx.type_order))
    for type_id in order:
        idx = np.flatnonzero(types == type_id)
        if not len(idx):
            continue
        group = _group(fmap, f"{ctx.type_name(type_id)} ({len(idx)})")
        color, glyph, family = ctx.type_look(type_id)
        for i in idx:
            row = stations.iloc[i]
            existing = _truthy(row.get("existing", False))
            site = _text(row.get("site_id", ""))
            icon = folium.DivIcon(
                html=station_icon_html(color, glyph, family, existing=existing, site_id=site),
                icon_size=(_ICON_PX, _ICON_PX), icon_anchor=(_ICON_PX // 2, _ICON_PX // 2),
                class_name=f"siting-station siting-{family}")
            marker = folium.Marker([row.geometry.y, row.geometry.x], icon=icon)
            name = _text(row.get("name", "")) or site
            tip = f"{html_text(name)} · {html_text(ctx.type_name(type_id))}"
            _Bind(_station_popup(row, ctx), tip).add_to(marker)
            marker.add_to(group)


def _station_popup(row: pd.Series, ctx: _Context) -> str:
    type_id = _text(row.get("station_type", ""))
    unit = _text(row.get("capacity_unit", ""))
    energy_unit = unit.split("/")[0] if unit else ""
    rows = [
        (ctx.t("field.type"), ctx.type_name(type_id)),
        (ctx.t("field.site_id"), _text(row.get("site_id", ""))),
        (ctx.t("field.cost"), ctx.money(row.get("capex"))),
        (ctx.t("field.capacity"), f"{_fmt(row.get('capacity'), 0)} {unit}".strip()),
        (ctx.t("field.served_demand"),
         f"{_fmt(row.get('served_demand'), 1)} {ctx.weight_unit}"),
        (ctx.t("field.served_energy"),
         f"{_fmt(row.get('served_energy'), 0)} {energy_unit}{ctx.t('unit.per_day')}"),
        (ctx.t("field.n_demand_served"), _fmt(row.get("n_demand_served"), 0)),
        (ctx.t("field.zone"), ctx.zone(row.get("zone", ""))),
        (ctx.t("field.year"), _text(row.get("year", ""))),
        (ctx.t("field.existing"), ctx.yes_no(row.get("existing", False))),
        (ctx.t("field.reason"), _text(row.get("reason", ""))),
    ]
    title = _text(row.get("name", "")) or _text(row.get("site_id", ""))
    return _popup(title, rows)


def station_icon_html(color: str, glyph: str, family: str, *, existing: bool = False,
                      site_id: str = "", px: int = _ICON_PX) -> str:
    """Inline-styled HTML of a station marker (no icon font needed).

    Shape by family: circle = charging, rounded square = swap, diamond = hydrogen. New
    stations are filled with the type colour; existing ones are outlined (white fill).

    Parameters
    ----------
    color
        CSS colour of the station type (anything not a plain colour becomes grey).
    glyph
        One or two characters drawn in the middle (escaped).
    family
        ``"charging"``, ``"swap"`` or ``"hydrogen"``.
    existing
        Outline style for stations that already exist.
    site_id
        Written (escaped) into a ``data-site`` attribute, for tests and scripting.
    px
        Icon size in CSS pixels.
    """
    color = _safe_color(color)
    fill, ink, border = ("#ffffff", color, f"3px solid {color}") if existing else (
        color, "#ffffff", "2px solid #ffffff")
    radius = {"charging": "50%", "swap": "5px"}.get(family, "3px")
    rotate = "transform:rotate(45deg);" if family == "hydrogen" else ""
    unrotate = "transform:rotate(-45deg);" if family == "hydrogen" else ""
    inner = px - 6 if family == "hydrogen" else px
    return (
        f'<div class="siting-icon" data-site="{html_text(site_id, quote=True)}" '
        f'style="box-sizing:border-box;width:{inner}px;height:{inner}px;margin:'
        f"{(px - inner) // 2}px;background:{fill};border:{border};border-radius:{radius};"
        f"{rotate}box-shadow:0 1px 3px rgba(0,0,0,.5);display:flex;align-items:center;"
        f'justify-content:center"><span style="{unrotate}color:{ink};'
        f'font:700 {max(8, round(inner * 0.5))}px/1 sans-serif">{html_text(glyph[:2])}'
        "</span></div>")


# --------------------------------------------------------------------------- title, legend
def _display_title(result: SitingResult, ctx: _Context) -> str:
    sc = result.scenario
    return _local(sc.name, sc.name_en, sc.name, ctx.lang)


def _title_html(result: SitingResult, ctx: _Context) -> str:
    title = _display_title(result, ctx)
    parts = [f'<div id="siting-title" class="siting-box"><h1>{html_text(title)}</h1>',
             f'<div class="sub">{html_text(ctx.t("map.subtitle"))}</div>']
    summary = _summary(result.report.to_dict(), ctx)
    if summary:
        parts.append(f'<div class="sub">{html_text(summary)}</div>')
    if _schematic(result.report.to_dict()):
        parts.append(f'<div class="siting-banner">⚠ {html_text(ctx.t("map.schematic_note"))}'
                     "</div>")
    parts.append("</div>")
    return "".join(parts)


def _legend_html(result: SitingResult, layers: _Layers, ctx: _Context,
                 extras: list[tuple[str, str, str]]) -> str:
    esc = html_text
    out = ['<div id="siting-legend" class="siting-box"><details open>',
           f"<summary>{esc(ctx.t('map.legend'))}</summary>"]
    types = list(ctx.type_order) + sorted(
        set(_texts(layers.stations, "station_type")) - set(ctx.type_order))
    for type_id in types:
        color, glyph, family = ctx.type_look(type_id)
        out.append(_legend_row(station_icon_html(color, glyph, family, px=22),
                               esc(ctx.type_name(type_id))))
    if types:
        color, glyph, family = ctx.type_look(types[0])
        pair = (station_icon_html(color, glyph, family, px=20)
                + station_icon_html(color, glyph, family, existing=True, px=20))
        label = f"{esc(ctx.t('legend.new'))} / {esc(ctx.t('legend.existing'))}"
        out.append(_legend_row(pair, label))
    out.append(f"<h4>{esc(ctx.t('legend.served_share'))}</h4>")
    swatches = "".join(
        f'<span style="display:inline-block;width:12px;height:12px;border-radius:50%;'
        f'background:{c};border:1px solid #333;margin-right:2px"></span>{esc(lab)} '
        for _, c, lab in SHARE_CLASSES)
    out.append(f'<div class="row">{swatches}</div>')
    if layers.cells:
        out.append(_legend_row(
            '<span style="display:inline-block;width:14px;height:12px;background:#91cf60;'
            'clip-path:polygon(25% 0,75% 0,100% 50%,75% 100%,25% 100%,0 50%)"></span>',
            esc(ctx.t("legend.cell_size"))))
        out.append(f'<div class="prov">{esc(ctx.t("map.aggregated_note", n=f"{len(layers.demand):,}", size=f"{layers.hex_size_m:,.0f}"))}</div>')  # noqa: E501
    elif len(layers.demand):
        out.append(f"<div>{esc(ctx.t('legend.demand_size'))}</div>")
        out.append(_size_scale(_energy_kwh(layers.demand)))
    if len(layers.coverage):
        out.append(_legend_row(
            '<span style="display:inline-block;width:18px;height:12px;background:rgba(80,80,'
            '200,.12);border:1px solid rgba(80,80,200,.6)"></span>',
            esc(ctx.t("legend.coverage"))))
    if layers.zones is not None and len(layers.zones):
        out.append(_legend_row(
            '<span style="display:inline-block;width:18px;height:12px;border:2px dashed '
            '#6a3d9a"></span>', esc(ctx.t("legend.zones"))))
    if len(layers.roads):
        out.append(_legend_row('<span style="display:inline-block;width:20px;height:0;'
                               'border-top:2px solid #7a7a7a"></span>',
                               esc(ctx.t("legend.roads"))))
    if len(layers.candidates):
        out.append(_legend_row('<span style="display:inline-block;width:7px;height:7px;'
                               'border-radius:50%;background:#b0b0b0;border:1px solid #8a8a8a">'
                               "</span>", esc(ctx.t("legend.candidates"))))
        if excluded_candidates(layers.candidates).any():
            out.append(_legend_row(_EXCLUDED_ICON["html"], esc(ctx.t("legend.excluded"))))
    for name, color, glyph in extras:
        out.append(_legend_row(_extra_icon_html(color, glyph, px=16), esc(name)))
    if _schematic(result.report.to_dict()):
        out.append(f'<div class="siting-banner">{esc(ctx.t("map.schematic_note"))}</div>')
    prov = _provenance(result.report.to_dict())
    if prov:
        out.append(f'<details class="prov"><summary>{esc(ctx.t("map.provenance"))}</summary>'
                   f"{esc(prov)}</details>")
    out.append("</details></div>")
    return "".join(out)


def _legend_row(swatch_html: str, label_html: str) -> str:
    return f'<div class="row"><span class="sw">{swatch_html}</span><span>{label_html}</span></div>'


def _size_scale(e_kwh: np.ndarray) -> str:
    e_max = float(np.nanmax(e_kwh, initial=0.0))
    if not e_max > 0:
        return ""
    values = sorted({_nice(e_max), _nice(e_max / 4), _nice(e_max / 16)}, reverse=True)
    items = []
    for v in values:
        r = float(radius_px(np.array([v]), e_max)[0])
        d = 2 * r
        items.append(f'<span style="display:inline-flex;align-items:center;gap:3px;'
                     f'margin-right:6px"><span style="display:inline-block;width:{d:.0f}px;'
                     f'height:{d:.0f}px;border-radius:50%;background:#ccc;border:1px solid '
                     f'#333"></span>{v:,.0f}</span>')
    return f'<div class="row">{"".join(items)} kWh</div>'


def _nice(v: float) -> float:
    if v <= 0:
        return 0.0
    mag = 10 ** math.floor(math.log10(v))
    return min((m * mag for m in (1, 2, 5, 10)), key=lambda x: abs(x - v))


def _summary(report: dict[str, Any], ctx: _Context) -> str:
    cov = _float(report.get("coverage_share"))
    spent = _float(report.get("spent"))
    budget = report.get("budget")
    if isinstance(budget, dict):
        budget = budget.get("total")
    budget_v = _float(budget)
    if cov is None or spent is None or budget_v is None:
        return ""
    return ctx.t("map.summary", coverage=f"{cov:.1%}", spent=ctx.money(spent),
                 budget=ctx.money(budget_v))


def _schematic(report: dict[str, Any]) -> bool:
    net = report.get("network")
    return isinstance(net, dict) and bool(net.get("schematic"))


def _provenance(report: dict[str, Any]) -> str:
    def flat(v: object) -> str:
        if isinstance(v, dict):
            return "; ".join(f"{k}: {flat(x)}" for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return "; ".join(flat(x) for x in v)
        return "" if v is None else str(v)

    parts = [flat(report.get("data_provenance"))]
    net = report.get("network")
    if isinstance(net, dict):
        parts.append(flat(net.get("provenance") or net.get("source") or ""))
    return " · ".join(p for p in parts if p)


# --------------------------------------------------------------------------- helpers
def share_color(share: float) -> str:
    """Colour of a served share (0-1) from :data:`SHARE_CLASSES`."""
    for upper, color, _ in SHARE_CLASSES:
        if share < upper:
            return color
    return SHARE_CLASSES[-1][1]


def radius_px(e_kwh: np.ndarray, e_max: float) -> np.ndarray:
    """Circle radius in pixels for daily energy: area ∝ energy, at least 3 px, 16 px at max."""
    e = np.nan_to_num(np.asarray(e_kwh, float), nan=0.0)
    if not e_max > 0:
        return np.full(e.shape, _R_MIN)
    return np.maximum(_R_MIN, _R_MAX * np.sqrt(np.clip(e, 0, None) / e_max))


def _energy_kwh(demand: gpd.GeoDataFrame) -> np.ndarray:
    e = _num(demand, "energy", 0.0)
    units = _texts(demand, "energy_unit")
    return np.where(np.char.lower(units.astype(str)) == "kg", e * H2_KWH_PER_KG, e)


def _auto_hex_size(x: np.ndarray, y: np.ndarray, n_target: int = 3000) -> float:
    if not len(x):
        return 250.0
    area = float((x.max() - x.min()) * (y.max() - y.min()))
    size = math.sqrt(area / (n_target * 1.5 * math.sqrt(3))) if area > 0 else 0.0
    return float(min(max(round(size / 50) * 50, 250.0), 20_000.0))


def _hex_index(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the pointy-top hexagon of side ``size`` holding each point."""
    qf = (math.sqrt(3) / 3 * x - y / 3) / size
    rf = (2 / 3 * y) / size
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def _hexagons(q: np.ndarray, r: np.ndarray, size: float) -> np.ndarray:
    cx = size * math.sqrt(3) * (q + r / 2)
    cy = size * 1.5 * r
    ang = np.deg2rad(30 + 60 * np.arange(7))
    xs = cx[:, None] + size * np.cos(ang)[None, :]
    ys = cy[:, None] + size * np.sin(ang)[None, :]
    return shapely.polygons(np.stack([xs, ys], axis=-1))


def _round(geoms: np.ndarray, digits: int = 5) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, digits))


def _geojson(gdf: gpd.GeoDataFrame, simplify: float = 0.0) -> list[str]:
    geoms = gdf.geometry.to_numpy()
    if simplify:
        geoms = shapely.simplify(geoms, simplify, preserve_topology=True)
    return list(shapely.to_geojson(_round(geoms)))


def _feature(geometry_json: str, props: dict[str, Any]) -> str:
    return f'{{"type":"Feature","geometry":{geometry_json},"properties":{_js(props)}}}'


def _collection(features: Sequence[str]) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def _js(obj: object) -> str:
    """JSON for a ``<script>`` (see :func:`siting._escape.script_json`)."""
    return script_json(obj)


def _popup(title: str, rows: Sequence[tuple[str, str]]) -> str:
    """Popup HTML; every label and value is escaped here."""
    body = "".join(f"<tr><td>{html_text(k)}</td><td>{html_text(v)}</td></tr>"
                   for k, v in rows if v not in ("", None))
    return f'<div class="siting-pop"><b>{html_text(title)}</b><table>{body}</table></div>'


def _pathway(p: str, ctx: _Context) -> str:
    try:
        return ctx.t(f"pathway.{p}")
    except KeyError:
        return p


def _local(zh: str, en: str, fallback: str, lang: str) -> str:
    text = (en or zh) if lang == "en" else (zh or en)
    return text or fallback


def _safe_color(color: object) -> str:
    c = str(color or "").strip()
    if _COLOR_RE.match(c):
        return c
    logger.warning("station colour %r is not a plain CSS colour; using grey", c)
    return _DEFAULT_COLOR


def _num(gdf: pd.DataFrame, col: str, default: float) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), default, dtype=float)
    return pd.to_numeric(gdf[col], errors="coerce").fillna(default).to_numpy(float)


def _texts(gdf: pd.DataFrame, col: str) -> np.ndarray:
    if col not in gdf.columns:
        return np.full(len(gdf), "", dtype=object)
    return np.array([_text(v) for v in gdf[col]], dtype=object)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:g}"
    if isinstance(value, (np.integer, np.floating)):
        return _text(value.item())
    try:
        if pd.isna(value):  # type: ignore[arg-type]
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def _float(value: object) -> float | None:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _fmt(value: object, digits: int) -> str:
    v = _float(value)
    return "—" if v is None else f"{v:,.{digits}f}"


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    try:
        return bool(value) and not pd.isna(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return bool(value)
