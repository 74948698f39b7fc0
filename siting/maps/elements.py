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
from siting.maps.features import js

__all__ = ["Bind", "DataLayer", "LiteralText", "Overlay", "layer_group", "number_elements"]


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


class Bind(MacroElement):
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
        self.popup = js(popup_html)
        self.tooltip = js(tooltip_html) if tooltip_html else ""


class DataLayer(MacroElement):
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
        self.style = js(style)
        self.icon = js(icon) if icon else ""
        self.tooltip = js(tooltip or {})


def layer_group(fmap: folium.Map, name: str, *, show: bool = True) -> folium.FeatureGroup:
    """A toggleable layer; Leaflet shows layer names as HTML, so the name is escaped."""
    group = folium.FeatureGroup(name=html_text(name), show=show)
    group.add_to(fmap)
    return group
