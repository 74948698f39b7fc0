"""Pieces of the two pages written without folium: ``compare.html`` and ``explorer.html``.

Both are one offline file: Leaflet inline (:mod:`siting._assets`), the data as JSON in a
``<script>`` (:func:`siting._escape.script_json`), the markup built here with every user text
through :func:`siting._escape.html_text`. No template engine renders them, so nothing in a name
is ever read as template source. The station icons are the map's
(:func:`siting.maps.style.station_icon_html`), in the one symbology (:mod:`siting.symbology`).

:data:`BASE_JS` holds the page script both share: drawing roads and zones, station markers
from pre-built icons, popups from pre-built (escaped) HTML, and keeping two maps' views in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from siting import _assets
from siting._escape import html_text, script_json
from siting._pagejs import DECLUTTER_JS
from siting.maps.style import ICON_PX, station_icon_html
from siting.names import zone_names
from siting.symbology import ROAD_COLOR, ZONE_COLOR, TypeSymbol

__all__ = [
    "BASE_CSS", "BASE_JS", "legend_rows", "page", "roads_data", "station_icons", "zones_data",
]

#: Styles both pages share (boxes over the map, tables, legend rows).
BASE_CSS = f"""
html, body {{ margin: 0; padding: 0; height: 100%;
  font: 13px/1.45 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  color: #222; }}
.leaflet-container {{ font-size: 12px; background: #f2efe9; }}
.box {{ background: rgba(255,255,255,.95); border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); padding: 4px 8px; }}
table.fig {{ border-collapse: collapse; font-size: 12.5px; }}
table.fig th, table.fig td {{ border-bottom: 1px solid #ddd; padding: 3px 8px;
  text-align: right; vertical-align: top; white-space: nowrap; }}
table.fig th {{ background: #f3f5f8; font-weight: 600; }}
table.fig th:first-child, table.fig td:first-child {{ text-align: left; white-space: normal; }}
table.fig td.txt, table.fig th.txt {{ text-align: left; white-space: normal; }}
.row {{ display: flex; align-items: center; gap: 6px; margin: 2px 0; }}
.sw {{ flex: 0 0 auto; display: inline-flex; align-items: center; justify-content: center;
  min-width: 24px; }}
.siting-station {{ background: transparent; border: 0; }}
.siting-pop, .legend, .leaflet-control-layers label {{ overflow-wrap: anywhere; }}
.leaflet-control-layers-expanded {{ max-width: min(360px, 80vw); }}
.siting-pop table {{ border-collapse: collapse; }}
.siting-pop td {{ padding: 1px 6px 1px 0; vertical-align: top; }}
.siting-pop td:first-child {{ color: #666; white-space: nowrap; }}
.zone-label {{ background: transparent; border: 0; box-shadow: none; color: #4a2c7a;
  font-weight: 700; text-shadow: 0 0 3px #fff, 0 0 3px #fff; white-space: nowrap; }}
.zone-label:before {{ display: none; }}
.warn {{ color: #7a5300; }}
.banner {{ margin-top: 3px; padding: 2px 6px; border-radius: 4px; background: #fff3cd;
  border: 1px solid #e0a800; color: #7a5300; font-weight: 600; }}
.road {{ stroke: {ROAD_COLOR}; }}
"""

#: Page script both pages share (plain JavaScript; data come as JSON arguments).
BASE_JS = """
var siting = (function () {
  function roads(map, data) {
    if (!data) { return null; }
    return L.geoJSON(data, {interactive: false, style: function (f) {
      return {color: "__ROAD__", weight: f.properties.w || 1, opacity: 0.8};
    }}).addTo(map);
  }
  function zones(map, data, labels) {
    if (!data) { return null; }
    return L.geoJSON(data, {style: {color: "__ZONE__", weight: 2, dashArray: "6 4",
                                    fillOpacity: 0.03, fillColor: "__ZONE__"},
      onEachFeature: function (f, layer) {
        layer.bindPopup(f.properties.p);
        if (labels) {
          layer.bindTooltip(f.properties.t, {permanent: true, direction: "center",
                                             className: "zone-label", pane: "shadowPane"});
        }
      }}).addTo(map);
  }
  function station(st, icons, size) {
    var icon = L.divIcon({html: icons[st.k], className: "siting-station",
                          iconSize: [size, size], iconAnchor: [size / 2, size / 2]});
    var m = L.marker([st.lat, st.lon], {icon: icon, keyboard: false});
    if (st.p) { m.bindPopup(st.p, {maxWidth: 420}); }
    if (st.t) { m.bindTooltip(st.t); }
    return m;
  }
  function sync(a, b) {
    var busy = false;
    function follow(src, dst) {
      src.on("move", function () {
        if (busy) { return; }
        busy = true;
        dst.setView(src.getCenter(), src.getZoom(), {animate: false});
        busy = false;
      });
    }
    follow(a, b);
    follow(b, a);
  }
  function fit(map, bounds) {
    map.fitBounds(bounds, {padding: [20, 20], maxZoom: 15});
  }
  function labels(map) {
    function run() {
      window.setTimeout(function () {
        sitingDeclutter(".zone-label", ".siting-station, .box, .leaflet-control");
      }, 0);
    }
    map.on("zoomend moveend overlayadd overlayremove resize", run);
    run();
  }
  return {roads: roads, zones: zones, station: station, sync: sync, fit: fit,
          labels: labels};
})();
""".replace("__ROAD__", ROAD_COLOR).replace("__ZONE__", ZONE_COLOR)


def page(*, title: str, lang: str, css: str, body: str, data: Mapping[str, Any],
         script: str) -> str:
    """A complete offline page: Leaflet inline, ``css``, the ``body`` markup (escaped by the
    caller), ``data`` as ``var DATA = …`` and ``script``.

    ``title`` is plain text (escaped here); ``body`` must already be escaped HTML.
    """
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
            f'initial-scale=1"><title>{html_text(title)}</title>\n'
            f"{_assets.inline_leaflet_html()}<style>{BASE_CSS}{css}</style></head>\n"
            f"<body>\n{body}\n<script>\nvar DATA = {script_json(data)};\n{DECLUTTER_JS}\n"
            f"{BASE_JS}\n"
            f"{script}\n</script>\n</body></html>\n")


def roads_data(roads: gpd.GeoDataFrame | None, *, tolerance: float = 5e-5) -> dict | None:
    """The road layer as a compact FeatureCollection: lines merged per width class,
    simplified by ``tolerance`` degrees, coordinates to 5 decimals (WGS84)."""
    if roads is None or not len(roads):
        return None
    weights = {"motorway": 2.6, "trunk": 2.6, "primary": 2.0, "secondary": 1.6}
    parts, idx = shapely.get_parts(roads.geometry.to_numpy(), return_index=True)
    lines = shapely.get_type_id(parts) == 1
    parts, idx = parts[lines], idx[lines]
    cls = (roads["road_class"].astype(str).to_numpy()[idx] if "road_class" in roads.columns
           else np.full(len(parts), "", dtype=object))
    w = np.array([weights.get(str(c).removesuffix("_link"), 0.8) for c in cls])
    feats = []
    for width in sorted(set(w.tolist()), reverse=True):
        merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(
            parts[w == width])))
        merged = shapely.simplify(merged, tolerance, preserve_topology=False)
        merged = merged[~shapely.is_empty(merged)]
        if not len(merged):
            continue
        coords = [np.round(shapely.get_coordinates(g), 5).tolist() for g in merged]
        feats.append({"type": "Feature", "properties": {"w": width},
                      "geometry": {"type": "MultiLineString", "coordinates": coords}})
    return {"type": "FeatureCollection", "features": feats}


def zones_data(zones: gpd.GeoDataFrame | None, lang: str) -> dict | None:
    """Zones as a FeatureCollection with ``t`` (the escaped name, a label) and ``p`` (popup)."""
    if zones is None or not len(zones):
        return None
    names = zone_names(zones, lang)
    ids = zones["zone_id"].astype(str).tolist() if "zone_id" in zones.columns else [""] * len(
        zones)
    feats = []
    # larger zones' names are placed first
    ranks = np.argsort(np.argsort(-shapely.area(zones.geometry.to_numpy()), kind="stable"))
    for zid, geom, rank in zip(ids, shapely.simplify(zones.geometry.to_numpy(), 2e-5), ranks,
                               strict=True):
        name = html_text(names.get(zid, zid))
        feats.append({"type": "Feature", "properties": {
            "t": f'<span data-rank="{int(rank)}">{name}</span>', "p": f"<b>{name}</b>"},
                      "geometry": shapely.geometry.mapping(
                          shapely.transform(geom, lambda c: np.round(c, 5)))})
    return {"type": "FeatureCollection", "features": feats}


def station_icons(symbols: Mapping[str, TypeSymbol], *, px: int = ICON_PX,
                  marks: Iterable[str] = ("",)) -> dict[str, str]:
    """Icon HTML by key ``"<type>|<0 new, 1 existing>|<mark>"`` for every type."""
    out = {}
    for tid, sym in symbols.items():
        for existing in (False, True):
            for mark in marks:
                out[f"{tid}|{int(existing)}|{mark}"] = station_icon_html(
                    sym.color, sym.glyph, sym.family, existing=existing, px=px, mark=mark)
    return out


def legend_rows(symbols: Mapping[str, TypeSymbol], counts: Mapping[str, int] | None = None,
                *, px: int = 18) -> str:
    """Legend rows (escaped HTML): each type's icon and name (with its count when given)."""
    rows = []
    for tid, sym in symbols.items():
        label = html_text(sym.label) + (f" ({counts.get(tid, 0)})" if counts is not None
                                        else "")
        rows.append(f'<div class="row"><span class="sw">'
                    f"{station_icon_html(sym.color, sym.glyph, sym.family, px=px)}</span>"
                    f"<span>{label}</span></div>")
    return "".join(rows)


def bounds_of(frames: Sequence[gpd.GeoDataFrame | None]) -> list[list[float]]:
    """[[south, west], [north, east]] of the frames with features (Suizhou when none)."""
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        return [[31.66, 113.34], [31.73, 113.42]]
    b = np.array(boxes)
    return [[float(b[:, 1].min()), float(b[:, 0].min())],
            [float(b[:, 3].max()), float(b[:, 2].max())]]
