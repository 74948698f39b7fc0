"""The folium elements the map is made of, and the rules that keep the page safe.

folium renders an element's output a second time as Jinja2 source (see
:mod:`siting._escape`), so these elements only ever receive text that is already escaped:
popups, tooltips and legend HTML through :func:`~siting._escape.html_text`, data through
:func:`~siting._escape.script_json`. Inlined assets (Leaflet's JS and CSS) go in as
:class:`LiteralText`, which is never parsed as a template. :func:`number_elements` replaces
folium's random element ids with sequential ones, so the same plan gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from siting._escape import html_text
from siting._pagejs import DECLUTTER_JS
from siting.maps.features import js

__all__ = ["Bind", "DataLayer", "LayerList", "LazyDataLayer", "LiteralText", "Overlay",
           "layer_group", "number_elements"]


class LiteralText(Element):
    """Text written into the page as it is, never parsed as a template (inlined assets)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Literal"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def number_elements(root: Element) -> None:
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


class Overlay(MacroElement):
    """Title box, banners and legend: fixed HTML outside the map (pre-escaped), and the page
    script that keeps them readable: popups open clear of the title box, the legend fits
    between the title and the foot of the window, zone labels never cover a station or each
    other (a label moves up or down, or hides until the reader zooms in).

    Printed (the browser's Print, or Save as PDF), the page is A4 landscape with the whole
    legend on the right (on screen it scrolls: printed, it was cut after five rows), the
    zoom and layer buttons left out and the colours kept; the map shows the view on screen.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
        .siting-box { position: fixed; z-index: 1001; background: rgba(255,255,255,.94);
          border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.35); color: #222;
          font: 12px/1.45 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
        #siting-title { top: 10px; left: 56px; max-width: min(46vw, 620px); padding: 6px 12px; }
        #siting-title h1 { font-size: 15px; margin: 0; }
        #siting-title .sub { color: #555; }
        #siting-title .head { font-size: 13.5px; font-weight: 700; color: #111; }
        #siting-title .warn { color: #7a5300; }
        .siting-banner { margin-top: 4px; padding: 2px 6px; border-radius: 4px;
          background: #fff3cd; border: 1px solid #e0a800; color: #7a5300; font-weight: 600; }
        #siting-legend { bottom: 24px; left: 10px; max-width: 290px; max-height: 60vh;
          overflow: auto; padding: 6px 10px; }
        #siting-legend summary { font-weight: 600; cursor: pointer; }
        #siting-legend .row { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
        #siting-legend .row.wrap { flex-wrap: wrap; gap: 2px 8px; }
        #siting-legend .share { display: inline-flex; align-items: center; gap: 3px; }
        #siting-legend .share span { display: inline-block; width: 11px; height: 11px;
          border-radius: 50%; }
        #siting-legend .sw { flex: 0 0 auto; display: inline-flex; align-items: center;
          justify-content: center; min-width: 26px; }
        #siting-legend h4 { margin: 4px 0 1px; font-size: 12px; }
        #siting-legend .prov { color: #555; font-size: 11px; }
        #siting-legend .sub-row { padding-left: 32px; }
        .siting-pop { font: 12px/1.4 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
          sans-serif; }
        .siting-box, .siting-pop, .leaflet-control-layers label { overflow-wrap: anywhere; }
        .siting-pop table.grid th { overflow-wrap: normal; }
        .leaflet-control-layers-expanded { max-width: min(360px, 80vw); }
        .siting-pop table { border-collapse: collapse; margin-top: 2px; }
        .siting-pop td, .siting-pop th { padding: 1px 6px 1px 0; vertical-align: top; }
        .siting-pop td:first-child { color: #666; white-space: nowrap; }
        .siting-pop table.grid { margin: 4px 0; }
        .siting-pop table.grid th { font-weight: 600; color: #444; text-align: right;
          border-bottom: 1px solid #ccc; vertical-align: bottom; min-width: 3em; }
        .siting-pop table.grid td { text-align: right; color: #222; white-space: nowrap; }
        .siting-pop table.grid th:first-child, .siting-pop table.grid td:first-child {
          text-align: left; }
        .siting-zone-label { background: transparent; border: 0; box-shadow: none;
          color: #4a2c7a; font-weight: 700; text-shadow: 0 0 3px #fff, 0 0 3px #fff;
          white-space: nowrap; }
        .siting-zone-label:before { display: none; }
        .siting-station, .siting-excluded, .siting-extra { background: transparent; border: 0; }
        {% if this.background %}.leaflet-container { background: {{ this.background }}; }{% endif %}
        @page { size: A4 landscape; margin: 8mm; }
        @media print {
          html, body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          #siting-legend { max-height: none !important; overflow: visible !important;
            left: auto; right: 10px; bottom: 10px; }
          .leaflet-control-zoom, .leaflet-control-layers { display: none !important; }
          .siting-box { box-shadow: none; border: 1px solid #888; }
        }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        {{ this.title_html }}
        {{ this.legend_html }}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function (map) {
          L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
          var title = document.getElementById("siting-title");
          var legend = document.getElementById("siting-legend");
          function fit() {
            var top = title ? title.getBoundingClientRect().bottom : 0;
            if (legend) {
              legend.style.maxHeight = Math.max(120, window.innerHeight - top - 40) + "px";
            }
          }
          function clear(e) {
            // a popup opens clear of the title box and the legend: pan the map if it would
            // sit under either (after Leaflet's own pan into the window)
            var el = e.popup.getElement();
            if (!el) { return; }
            var r = el.getBoundingClientRect();
            var dx = 0, dy = 0;
            if (title) {
              var t = title.getBoundingClientRect();
              if (r.top < t.bottom + 8 && r.left < t.right && r.right > t.left) {
                dy = r.top - t.bottom - 8;
              }
            }
            if (legend) {
              var g = legend.getBoundingClientRect();
              if (r.left < g.right + 8 && r.bottom - dy > g.top && r.top - dy < g.bottom) {
                dx = r.left - g.right - 8;
              }
            }
            if (dx || dy) { map.panBy([dx, dy]); }
          }
          function frame() {
            var top = title ? title.getBoundingClientRect().bottom : 0;
            var left = legend ? legend.getBoundingClientRect().right : 0;
            var ctl = document.querySelector(".leaflet-control-layers");
            var right = ctl ? window.innerWidth - ctl.getBoundingClientRect().left : 0;
            map.fitBounds({{ this.bounds }}, {paddingTopLeft: [left + 10, top + 10],
                                             paddingBottomRight: [right + 10, 30],
                                             maxZoom: 16});
          }
          {{ this.declutter_js }}
          function declutter() {
            sitingDeclutter(".siting-zone-label",
                            ".siting-station, .siting-box, .leaflet-control");
          }
          function later() { window.setTimeout(declutter, 0); }
          fit();
          window.addEventListener("resize", fit);
          map.on("zoomend moveend overlayadd overlayremove resize", later);
          map.on("popupopen", function (e) { window.setTimeout(function () { clear(e); },
                                                               300); });
          map.whenReady(function () { window.setTimeout(function () {
            fit(); frame(); declutter(); }, 0); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, title_html: str, legend_html: str, *, background: str | None,
                 bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "SitingOverlay"
        self.title_html = title_html
        self.legend_html = legend_html
        self.background = background
        self.bounds = js(bounds)
        self.declutter_js = DECLUTTER_JS


class LayerList(MacroElement):
    """Child of folium's ``LayerControl`` (created with ``collapsed=True``): on a screen of
    at least ``min_width`` × ``min_height`` CSS pixels the list stays open; on a smaller one
    (a 1366×768 laptop) it is a button that opens on hover or touch, so it covers no map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (ctl, map) {
          if (window.innerWidth >= {{ this.min_width }} &&
              window.innerHeight >= {{ this.min_height }}) {
            var el = ctl.getContainer();
            L.DomEvent.off(el, "mouseleave", ctl.collapse, ctl);
            map.off("click", ctl.collapse, ctl);
            ctl.expand();
          }
        })({{ this._parent.get_name() }}, {{ this._parent._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, *, min_width: int = 1500, min_height: int = 850) -> None:
        super().__init__()
        self._name = "LayerList"
        self.min_width = int(min_width)
        self.min_height = int(min_height)


class Bind(MacroElement):
    """Bind an (already escaped) popup and tooltip to the parent marker."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.popup }}, {maxWidth: 460});
        {% if this.tooltip %}
        {{ this._parent.get_name() }}.bindTooltip({{ this.tooltip }});
        {% endif %}
        {% endmacro %}
    """)

    def __init__(self, popup_html: str, tooltip_html: str | None = None) -> None:
        super().__init__()
        self._name = "Bind"
        self.popup = js(popup_html)
        self.tooltip = js(tooltip_html) if tooltip_html else ""


#: The options of every ``L.geoJSON`` layer here (style, points, popups, tooltips).
_GEOJSON_OPTIONS = """{
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
                if (p.p) { layer.bindPopup(p.p, {maxWidth: 460}); }
                if (p.t) { layer.bindTooltip(p.t, {{ this.tooltip }}); }
            }
        }"""


class DataLayer(MacroElement):
    """An ``L.geoJSON`` layer from pre-built features (compact: one element per layer).

    Feature properties: ``p`` popup HTML, ``t`` tooltip HTML (both escaped already), ``s``
    style overrides. Points become circle markers, or ``DivIcon`` markers when ``icon`` is set.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data }}, """ + _GEOJSON_OPTIONS + """
        ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: str, *, style: dict[str, Any], icon: dict[str, Any] | None = None,
                 tooltip: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._name = "DataLayer"
        self.data = data
        self.style = js(style)
        self.icon = js(icon) if icon else ""
        self.tooltip = js(tooltip or {})


class LazyDataLayer(DataLayer):
    """A :class:`DataLayer` built only when its layer group is first switched on.

    Its features stay in the page as inert JSON (``<script type="application/json">``: the
    browser tokenises it but does not run it) until then; the group should be created with
    ``show=False``. On the 100k city the minor roads were 11.8 MB of a 19.9 MB map, and
    parsing and drawing them 3.5 s of its 6.5-7.1 s opening (2026-12-07). ``data`` must be
    script-safe JSON (:func:`~siting.maps.features.js`: no ``<`` in it, so no ``</script>``).
    """

    _template = Template("""
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.get_name() }}_data">{{ this.data }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = null;
        {{ this._parent.get_name() }}.on("add", function () {
            if ({{ this.get_name() }}) { return; }
            var data = JSON.parse(
                document.getElementById("{{ this.get_name() }}_data").textContent);
            {{ this.get_name() }} = L.geoJSON(data, """ + _GEOJSON_OPTIONS + """
            ).addTo({{ this._parent.get_name() }});
        });
        {% endmacro %}
    """)

    def __init__(self, data: str, *, style: dict[str, Any], icon: dict[str, Any] | None = None,
                 tooltip: dict[str, Any] | None = None) -> None:
        super().__init__(data, style=style, icon=icon, tooltip=tooltip)
        self._name = "LazyDataLayer"


def layer_group(fmap: folium.Map, name: str, *, show: bool = True) -> folium.FeatureGroup:
    """A toggleable layer; Leaflet shows layer names as HTML, so the name is escaped."""
    group = folium.FeatureGroup(name=html_text(name), show=show)
    group.add_to(fmap)
    return group
