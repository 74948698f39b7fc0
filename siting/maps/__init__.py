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
``&`` escaped (see :mod:`siting._escape`).

Basemaps: ``"osm"`` (OpenStreetMap), ``"tianditu"`` (天地图, needs the user's key),
``"amap"`` (高德; all geometry is shifted from WGS84 to GCJ-02 so it lines up with the tiles)
and ``"none"`` (plain background; the road layer still shows the network).

Modules
-------
``build``
    :func:`build_map` / :func:`write_map`: the page, basemaps, drawing order.
``frames``
    The result's frames prepared for drawing (WGS84 check, hexagons, GCJ-02 shift, extent).
``layers``
    One builder per layer (roads, zones, coverage, demand, candidates, extras, stations).
``legend``
    The title box and the legend.
``elements``
    The custom folium elements (overlay, popup binding, GeoJSON data layer, literal text) and
    the deterministic element ids.
``style``, ``features``, ``values``, ``context``, ``hexbins``
    Symbology; GeoJSON/popup text; reading cells; per-map lookups; demand hexagons.
"""

from __future__ import annotations

from siting.maps.build import BASEMAPS, build_map, write_map
from siting.maps.frames import AGGREGATE_ABOVE
from siting.maps.hexbins import aggregate_demand_hex
from siting.maps.layers import ROAD_SEGMENTS_COARSE, excluded_candidates
from siting.maps.style import SHARE_CLASSES, radius_px, share_color, station_icon_html
from siting.maps.values import H2_KWH_PER_KG

__all__ = [
    "AGGREGATE_ABOVE",
    "BASEMAPS",
    "H2_KWH_PER_KG",
    "ROAD_SEGMENTS_COARSE",
    "SHARE_CLASSES",
    "aggregate_demand_hex",
    "build_map",
    "excluded_candidates",
    "radius_px",
    "share_color",
    "station_icon_html",
    "write_map",
]
