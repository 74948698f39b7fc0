"""Assembling the page: :func:`build_map` draws every layer into one folium map and renders it.

Drawing order is stacking order on the canvas (the top layer takes the clicks): coverage
areas and zones under the demand, roads over opaque demand hexagons, stations on top.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import folium
from branca.element import Figure

from siting import _assets
from siting._atomic import atomic_write_text
from siting._escape import html_text
from siting.i18n import check_lang, t
from siting.maps.context import MapContext
from siting.maps.elements import LayerList, LiteralText, Overlay, number_elements
from siting.maps.frames import AGGREGATE_ABOVE, DisplayLayers, bounds, display_layers, to_gcj02
from siting.maps.layers import (
    add_candidates,
    add_coverage,
    add_demand,
    add_extras,
    add_roads,
    add_stations,
    add_zones,
)
from siting.maps.legend import Extras, display_title, legend_html, title_html
from siting.maps.robustness import LAYER_KEY as ROBUSTNESS_KEY
from siting.maps.robustness import add_robustness

if TYPE_CHECKING:
    from siting.results import SitingResult

__all__ = ["BASEMAPS", "build_map", "write_map"]

logger = logging.getLogger(__name__)

#: Basemap choices of :func:`build_map`.
BASEMAPS: tuple[str, ...] = ("osm", "tianditu", "amap", "none")

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
    _check_basemap(basemap, tianditu_key)
    ctx = MapContext.make(result, lang)
    layers = display_layers(result, aggregate_above=aggregate_above, hex_size_m=hex_size_m)
    if basemap == "amap":
        layers = layers.map(to_gcj02)
    fmap = _new_map(layers, ctx, basemap=basemap, cdn=cdn, tianditu_key=tianditu_key)
    root = cast(Figure, fmap.get_root())
    root.title = html_text(display_title(result, ctx))
    extras = _draw_layers(fmap, layers, result, ctx)
    _add_controls(fmap, layers, result, ctx, extras, basemap=basemap)
    number_elements(root)
    return root.render()


def _check_basemap(basemap: str, tianditu_key: str | None) -> None:
    """Refuse an unknown basemap, or ``"tianditu"`` without a key (``ValueError``)."""
    if basemap not in BASEMAPS:
        msg = f"basemap '{basemap}' is not supported; use one of {list(BASEMAPS)}"
        raise ValueError(msg)
    if basemap == "tianditu" and not (tianditu_key or "").strip():
        msg = ("basemap 'tianditu' needs a Tianditu key; pass tianditu_key=... (get one at "
               "https://console.tianditu.gov.cn) or use basemap 'osm', 'amap' or 'none'")
        raise ValueError(msg)


def _draw_layers(fmap: folium.Map, layers: DisplayLayers, result: SitingResult,
                 ctx: MapContext) -> Extras:
    """Draw every data layer, bottom to top; returns the legend entries of the extra layers.

    Drawing order = stacking order on the canvas; the top layer takes the clicks. Filled
    areas go under the demand circles, roads over the (opaque) demand hexagons, stations on
    top. Each legend entry is (name, colour, glyph, notes).
    """
    add_coverage(fmap, layers.coverage, ctx)
    add_zones(fmap, layers.zones, ctx)
    if layers.cells:
        add_demand(fmap, layers, ctx)
        add_roads(fmap, layers.roads, ctx)
    else:
        add_roads(fmap, layers.roads, ctx)
        add_demand(fmap, layers, ctx)
    add_candidates(fmap, layers.candidates, ctx)
    extras = add_extras(fmap, {k: v for k, v in layers.extras.items()
                               if k != ROBUSTNESS_KEY}, ctx)
    rob = result.report.robustness
    robust = add_robustness(fmap, layers.extras.get(ROBUSTNESS_KEY), ctx,
                            no_regret=rob.no_regret_share if rob is not None else 0.9)
    if robust is not None:
        extras.append(robust)
    add_stations(fmap, layers.stations, ctx)
    return extras


def _add_controls(fmap: folium.Map, layers: DisplayLayers, result: SitingResult,
                  ctx: MapContext, extras: Extras, *,
                  basemap: str) -> None:
    """Add the title and legend overlay (fitted to the plan's extent) and the layer switcher.

    With ``basemap="none"`` the overlay also paints the plain background under the layers.
    """
    (south, west), (north, east) = bounds(layers, focus=True)
    Overlay(title_html(result, ctx, basemap=basemap), legend_html(result, layers, ctx, extras),
            background=_PLAIN_BACKGROUND if basemap == "none" else None,
            bounds=[[south, west], [north, east]]).add_to(fmap)
    control = folium.LayerControl(collapsed=True)
    LayerList().add_to(control)
    control.add_to(fmap)


def write_map(result: SitingResult, path: str | os.PathLike[str], **kw: Any) -> Path:
    """Build the map and write it atomically (a temporary sibling, then a rename).

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
    atomic_write_text(path, text)
    logger.info("wrote %s (%.1f MB)", path, len(text.encode("utf-8")) / 1e6)
    return path


def _new_map(layers: DisplayLayers, ctx: MapContext, *, basemap: str, cdn: bool,
             tianditu_key: str | None) -> folium.Map:
    """An empty map around the layers' extent: Leaflet only (inlined or CDN) and the tiles."""
    (south, west), (north, east) = bounds(layers)
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=12,
                      font_size="12px", tiles=None, control_scale=False, prefer_canvas=True)
    # Only Leaflet is needed: drop folium's jQuery/Bootstrap/Font Awesome links. Instance
    # attributes, so folium's class-level lists are left untouched.
    if cdn:
        fmap.default_js = [("leaflet", _assets.LEAFLET_CDN_JS)]
        fmap.default_css = [("leaflet_css", _assets.LEAFLET_CDN_CSS)]
    else:
        fmap.default_js = []
        fmap.default_css = []
        cast(Figure, fmap.get_root()).header.add_child(LiteralText(_assets.inline_leaflet_html()),
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
