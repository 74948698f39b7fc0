"""The budget explorer: ``explorer.html``, written by ``siting sweep``.

One offline page (no template engine, see :mod:`siting.webpage`) for a commission meeting: the
budget–coverage curve and a slider over the swept budgets; moving it shows that budget's plan on
the map — the stations it builds (ringed where they are new against the next smaller budget),
the demand locations shaded by what that plan serves — with its figures: the final planning
year's headline, the money, corridor trucks, how the solver ended (a time-limited plan as a
range), the per-year table and the notes (a point showing a smaller budget's plan says so).
Budgets with no plan are on the curve and the slider, and say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from siting._escape import html_text
from siting._format import money, number, percent
from siting.i18n import t
from siting.maps.values import energy_kwh, numbers, texts
from siting.report_text import (
    corridor_text,
    headline_text,
    money_text,
    notes,
    solver_text,
    status_name,
)
from siting.symbology import DEMAND_OUTLINE, DEMAND_SHARE_CLASSES, symbols_from_types
from siting.webpage import bounds_of, legend_rows, page, roads_data, station_icons, zones_data

if TYPE_CHECKING:
    from siting.results import SitingResult
    from siting.sweep import SweepPoint

__all__ = ["NEW_MARK", "explorer_page"]

#: CSS class of the ring around a station new against the next smaller budget.
NEW_MARK = "siting-mark-new"


def _demand(result: SitingResult) -> tuple[list[dict], np.ndarray]:
    """Final-year demand by fleet location: positions and sizes, and the row keys."""
    d = result.demand
    if not len(d):
        return [], np.zeros(0, dtype=object)
    last = result.report.final_year
    d = d[numbers(d, "year", last) == last]
    keys = texts(d, "fleet_id")
    kwh = energy_kwh(d)
    out = []
    uniq = list(dict.fromkeys(keys.tolist()))
    e = {k: 0.0 for k in uniq}
    pos: dict[str, tuple[float, float]] = {}
    for k, v, g in zip(keys, kwh, d.geometry, strict=True):
        e[k] += float(v)
        pos.setdefault(k, (round(float(g.y), 5), round(float(g.x), 5)))
    e_max = max(e.values(), default=0.0) or 1.0
    for k in uniq:
        out.append({"lat": pos[k][0], "lon": pos[k][1],
                    "r": round(max(2.5, 11.0 * float(np.sqrt(e[k] / e_max))), 1)})
    return out, np.array(uniq, dtype=object)


def _shares(result: SitingResult, order: np.ndarray) -> list[float]:
    """Served share (weighted) of each location in the final year, in ``order``."""
    d = result.demand
    last = result.report.final_year
    d = d[numbers(d, "year", last) == last]
    w = numbers(d, "weight", 1.0)
    s = np.clip(numbers(d, "served_share", 0.0), 0, 1)
    keys = texts(d, "fleet_id")
    tot: dict[str, float] = {}
    srv: dict[str, float] = {}
    for k, wi, si in zip(keys, w, s, strict=True):
        tot[k] = tot.get(k, 0.0) + float(wi)
        srv[k] = srv.get(k, 0.0) + float(wi * si)
    return [round(srv.get(k, 0.0) / tot[k], 3) if tot.get(k) else 0.0 for k in order]


def _point(p: SweepPoint, result: SitingResult | None, prev: set[tuple[str, str]], lang: str,
           names: dict[str, str], order: np.ndarray) -> tuple[dict, set[tuple[str, str]]]:
    """One budget's data for the page (all text escaped)."""
    esc = html_text
    item: dict = {"budget": p.budget, "label": esc(money(p.budget, lang)),
                  "share": None if result is None else round(float(p.coverage_share), 5),
                  "status": p.status, "carried": bool(p.carried)}
    if result is None:
        item["figures"] = (f'<div class="banner">{esc(t("sweep.no_plan", lang))} '
                           f"{esc(status_name(p.status, lang))}</div>")
        item["stations"], item["demand"] = [], []
        return item, prev
    rep = result.report
    rows = "".join(
        f"<tr><td>{y.year}</td><td>{esc(number(y.nev_vehicles))}</td>"
        f"<td>{esc(number(y.vehicles_covered))}</td><td>{esc(percent(y.coverage_share))}</td>"
        f"<td>{y.new_stations}</td><td>{esc(money(y.spent, lang, unit=False))}</td></tr>"
        for y in rep.by_year.values())
    head = "".join(f"<th>{esc(t(k, lang))}</th>" for k in (
        "field.year", "console.col_nev", "console.col_covered", "console.col_share",
        "console.col_new", "console.col_spent"))
    stopped = rep.solver.status != "optimal"
    parts = [f'<div class="head">{esc(headline_text(rep, lang))}</div>',
             f"<div>{esc(money_text(rep, lang))}</div>"]
    corr = corridor_text(rep, lang)
    if corr:
        parts.append(f"<div>{esc(corr)}</div>")
    parts.append(f'<div class="{"warn" if stopped else ""}">{esc(solver_text(rep, lang))}</div>')
    parts += [f'<div class="banner">{esc(n)}</div>' for n in notes(rep)]
    parts.append(f'<table class="fig"><tr>{head}</tr>{rows}</table>')
    item["figures"] = "".join(parts)
    keys = set()
    stations = []
    for s in result.stations.itertuples(index=False):
        key = (str(s.site_id), str(s.station_type))
        keys.add(key)
        new = bool(prev) and key not in prev and not s.existing
        tname = names.get(str(s.station_type), str(s.station_type))
        opened = t("legend.existing_short", lang) if s.existing else str(s.year)
        popup = (f'<div class="siting-pop"><b>{esc(s.name)}</b><table>'
                 f"<tr><td>{esc(t('field.type', lang))}</td><td>{esc(tname)}</td></tr>"
                 f"<tr><td>{esc(t('field.site_id', lang))}</td><td>{esc(s.site_id)}</td></tr>"
                 f"<tr><td>{esc(t('field.opens', lang))}</td><td>{esc(opened)}</td></tr>"
                 f"<tr><td>{esc(t('field.cost', lang))}</td>"
                 f"<td>{esc(money(s.capex, lang))}</td></tr></table></div>")
        stations.append({"lat": round(float(s.geometry.y), 6),
                         "lon": round(float(s.geometry.x), 6),
                         "k": f"{s.station_type}|{int(bool(s.existing))}|"
                              f"{NEW_MARK if new else ''}",
                         "p": popup, "t": esc(f"{s.name} · {tname}")})
    item["stations"] = stations
    item["demand"] = _shares(result, order)
    return item, keys


_CSS = """
#side { position: absolute; top: 0; left: 0; bottom: 0; width: 390px; overflow: auto;
  box-sizing: border-box; padding: 8px 12px; border-right: 1px solid #ccc; background: #fff; }
#map { position: absolute; top: 0; left: 390px; right: 0; bottom: 0; }
#side h1 { font-size: 16px; margin: 0 0 2px; }
#side .sub { color: #555; }
#budget { font-size: 20px; font-weight: 700; margin: 6px 0 0; }
#slider { width: 100%; margin: 6px 0 2px; }
#ticks { display: flex; justify-content: space-between; color: #666; font-size: 11px; }
#figures .head { font-size: 14px; font-weight: 700; margin-top: 6px; }
#figures table { margin-top: 6px; }
#figures table.fig th, #figures table.fig td { padding: 2px 5px; font-size: 12px; }
#curve { margin-top: 8px; }
#curve svg { display: block; }
.legend { position: absolute; bottom: 10px; left: 400px; z-index: 1000; max-width: 280px;
  max-height: calc(100% - 80px); overflow: auto; font-size: 12px; }
.legend summary { cursor: pointer; font-weight: 600; }
.siting-mark-new { outline: 3px solid #1a9850; outline-offset: 3px; }
.dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%;
  border: 1px solid #4d4d4d; }
"""

_JS = """
(function () {
  var map = L.map("map", {preferCanvas: true});
  var overlays = {};
  var r = siting.roads(map, DATA.roads);
  if (r) { overlays[DATA.labels.roads] = r; }
  var z = siting.zones(map, DATA.zones, true);
  if (z) { overlays[DATA.labels.zones] = z; }
  var demand = L.layerGroup().addTo(map);
  overlays[DATA.labels.demand] = demand;
  var dots = DATA.locations.map(function (d) {
    return L.circleMarker([d.lat, d.lon], {radius: d.r, color: DATA.outline, weight: 0.6,
                                           fillOpacity: 0.8, interactive: false})
      .addTo(demand);
  });
  var stations = L.layerGroup().addTo(map);
  overlays[DATA.labels.stations] = stations;
  L.control.layers(null, overlays, {collapsed: true}).addTo(map);
  L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
  siting.fit(map, DATA.bounds);
  siting.labels(map);

  function shade(s) {
    for (var i = 0; i < DATA.classes.length; i++) {
      if (s < DATA.classes[i][0]) { return DATA.classes[i][1]; }
    }
    return DATA.classes[DATA.classes.length - 1][1];
  }
  var slider = document.getElementById("slider");
  var svgNS = "http://www.w3.org/2000/svg";
  var W = 360, H = 200, L0 = 44, R0 = 10, T0 = 10, B0 = 34;
  var xs = DATA.points.map(function (p) { return p.budget; });
  var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
  if (x1 === x0) { x1 = x0 + 1; }
  function px(b) { return L0 + (W - L0 - R0) * (b - x0) / (x1 - x0); }
  function py(s) { return T0 + (H - T0 - B0) * (1 - s); }
  function el(name, attrs, parent) {
    var e = document.createElementNS(svgNS, name);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  var svg = el("svg", {width: W, height: H, role: "img"});
  document.getElementById("curve").appendChild(svg);
  [0, 0.25, 0.5, 0.75, 1].forEach(function (s) {
    el("line", {x1: L0, x2: W - R0, y1: py(s), y2: py(s), stroke: "#e3e3e3"}, svg);
    var tx = el("text", {x: L0 - 4, y: py(s) + 4, "text-anchor": "end", "font-size": 10,
                         fill: "#555"}, svg);
    tx.textContent = Math.round(s * 100) + "%";
  });
  var ok = DATA.points.filter(function (p) { return p.share !== null; });
  el("polyline", {points: ok.map(function (p) { return px(p.budget) + "," + py(p.share); })
                          .join(" "), fill: "none", stroke: "#1f6feb", "stroke-width": 2}, svg);
  var marks = DATA.points.map(function (p, i) {
    var g;
    if (p.share === null) {
      g = el("text", {x: px(p.budget), y: py(0) + 4, "text-anchor": "middle",
                      "font-size": 13, fill: "#d1242f"}, svg);
      g.textContent = "×";
    } else {
      g = el("circle", {cx: px(p.budget), cy: py(p.share), r: 4.5,
                        fill: p.carried ? "#fff" : (p.status === "optimal" ? "#1f6feb" :
                                                    "#bf8700"),
                        stroke: "#1f6feb", "stroke-width": 1.5}, svg);
    }
    g.style.cursor = "pointer";
    g.addEventListener("click", function () { slider.value = i; show(i); });
    return g;
  });
  var cursor = el("line", {y1: T0, y2: H - B0, stroke: "#d1242f", "stroke-dasharray": "3 3"},
                  svg);
  var xl = el("text", {x: (L0 + W - R0) / 2, y: H - 6, "text-anchor": "middle",
                       "font-size": 11, fill: "#333"}, svg);
  xl.textContent = DATA.labels.x_axis;
  [0, DATA.points.length - 1].forEach(function (i) {
    var tx = el("text", {x: px(DATA.points[i].budget), y: H - B0 + 14,
                         "text-anchor": i ? "end" : "start", "font-size": 10, fill: "#555"},
                svg);
    tx.textContent = DATA.points[i].tick;
  });

  function show(i) {
    var p = DATA.points[i];
    document.getElementById("budget").innerHTML = p.label;
    document.getElementById("figures").innerHTML = p.figures;
    stations.clearLayers();
    p.stations.forEach(function (s) {
      stations.addLayer(siting.station(s, DATA.icons, DATA.icon_px));
    });
    dots.forEach(function (d, k) {
      var s = p.demand.length ? p.demand[k] : 0;
      d.setStyle({fillColor: shade(s)});
    });
    window.setTimeout(function () {
      sitingDeclutter(".zone-label", ".siting-station, .box, .leaflet-control");
    }, 0);
    cursor.setAttribute("x1", px(p.budget));
    cursor.setAttribute("x2", px(p.budget));
    marks.forEach(function (m, k) { m.setAttribute("stroke-width", k === i ? 3 : 1.5); });
  }
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  show(Number(slider.value));
  window.sitingMap = map;  // for scripting and tests
})();
"""


def explorer_page(points: Sequence[SweepPoint], results: dict[str, SitingResult], *,
                  lang: str) -> str:
    """``explorer.html`` for a sweep: ``points`` in budget order, ``results`` by run folder."""
    first = next(iter(results.values()), None)
    sc = first.scenario if first is not None else None
    present = {str(v) for r in results.values() for v in r.stations["station_type"]}
    symbols = symbols_from_types(sc.station_types if sc else [], lang, extra_ids=present)
    names = {k: s.label for k, s in symbols.items()}
    locations, order = _demand(first) if first is not None else ([], np.zeros(0, object))
    prev: set[tuple[str, str]] = set()
    items = []
    for p in points:
        result = results.get(p.folder) if p.folder else None
        item, keys = _point(p, result, prev, lang, names, order)
        item["tick"] = html_text(money(p.budget, lang))
        items.append(item)
        if result is not None:
            prev = keys
    title = sc.display_name if sc else ""
    feasible = [i for i, it in enumerate(items) if it["share"] is not None]
    start = feasible[len(feasible) // 2] if feasible else 0  # the middle plan first
    classes = [[u if np.isfinite(u) else 10.0, c] for u, c, _ in DEMAND_SHARE_CLASSES]
    share_legend = "".join(
        f'<span style="margin-right:8px"><span class="dot" style="background:{c}"></span> '
        f"{html_text(lab)}</span>" for _, c, lab in DEMAND_SHARE_CLASSES)
    body = (
        f'<div id="side"><h1>{html_text(title)}</h1>'
        f'<div class="sub">{html_text(t("sweep.explorer_title", lang))}</div>'
        f'<div id="budget"></div>'
        f'<input id="slider" type="range" min="0" max="{max(len(items) - 1, 0)}" step="1" '
        f'value="{start}" aria-label="{html_text(t("sweep.slider", lang))}">'
        f'<div id="ticks"><span>{items[0]["tick"] if items else ""}</span>'
        f'<span>{items[-1]["tick"] if items else ""}</span></div>'
        f'<div id="figures"></div><div id="curve"></div>'
        f'<div class="sub">{html_text(t("sweep.curve_note", lang))}</div></div>'
        f'<div id="map"></div>'
        f'<details class="legend box"><summary>{html_text(t("map.legend", lang))}</summary>'
        f"{legend_rows(symbols)}"
        f'<div class="row"><span class="sw"><span class="dot" style="outline:3px solid '
        f'#1a9850;outline-offset:2px;border-radius:50%"></span></span><span>'
        f'{html_text(t("sweep.new_station", lang))}</span></div>'
        f'<div>{html_text(t("legend.served_share", lang, year=first.report.final_year if first else ""))}</div>'  # noqa: E501
        f"<div>{share_legend}</div></details>")
    data = {
        "points": items, "locations": locations, "classes": classes, "outline": DEMAND_OUTLINE,
        "icons": station_icons(symbols, px=22, marks=("", NEW_MARK)), "icon_px": 22,
        "roads": roads_data(first.roads) if first is not None else None,
        "zones": zones_data(first.zones, lang) if first is not None else None,
        "bounds": bounds_of([r.stations for r in results.values()]
                            + ([first.demand, first.zones] if first is not None else [])),
        "labels": {"roads": html_text(t("layer.roads", lang)),
                   "zones": html_text(t("layer.zones", lang)),
                   "demand": html_text(t("sweep.layer_demand", lang)),
                   "stations": html_text(t("compare.layer_stations", lang)),
                   "x_axis": t("sweep.x_axis", lang)},
    }
    return page(title=f"{title} · {t('sweep.explorer_title', lang)}", lang=lang, css=_CSS,
                body=body, data=data, script=_JS)
