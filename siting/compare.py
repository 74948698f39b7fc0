"""Compare two runs: the two plans on maps that move together, the changed stations marked,
and the key figures side by side.

Reads the run folders through :func:`siting.run_folder.load_run` (the typed report, the
stations and the context layers), so runs from different scenarios, budgets or versions can be
compared. ``compare.html`` is one offline page built without a template engine
(:mod:`siting.webpage`): two Leaflet maps side by side whose views stay in step, each with its
plan's headline, a collapsed legend and layer list; stations new in B, removed from A, or of a
changed type carry a ring; below, the figures (the final planning year's headline, money,
stations by type, corridor trucks, the solver's outcome, then per year) and the list of
changed stations, all in the run's language. ``compare_kpis.csv`` and ``compare_stations.csv``
hold the same tables with plain numbers (one CSV writer, formulas defused).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from siting._errors import ScenarioError
from siting._escape import html_text
from siting._format import MISSING, money, number, percent
from siting.i18n import LANGS, t
from siting.report import Report
from siting.report_text import (
    headline_text,
    money_text,
    objective_text,
    scenario_title,
    status_name,
)
from siting.run_folder import RunData, load_run
from siting.symbology import TypeSymbol, symbols_from_report
from siting.webpage import (
    bounds_of,
    legend_rows,
    page,
    roads_data,
    station_icons,
    zones_data,
)

__all__ = ["CHANGE_MARKS", "Comparison", "compare_page", "compare_runs", "write_comparison"]

#: Ring drawn around a changed station: status → (CSS class, colour).
CHANGE_MARKS: dict[str, tuple[str, str]] = {
    "new": ("siting-mark-new", "#1a9850"),
    "removed": ("siting-mark-removed", "#d7301f"),
    "type_changed": ("siting-mark-type", "#e08214"),
    "year_changed": ("siting-mark-year", "#4575b4"),
}
#: Order of the station statuses in the table.
_STATUS_ORDER = ("new", "removed", "type_changed", "year_changed", "same")


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side.

    Attributes
    ----------
    kpis
        One row per figure: ``key``, ``figure`` (label in ``lang``), ``unit``, ``a``, ``b``,
        ``change`` (B - A for numbers, empty otherwise).
    stations
        One row per site in either plan: ``site_id``, ``name``, ``type_a``, ``type_b``,
        ``year_a``, ``year_b`` (0 = not in that plan), ``existing``, ``status`` (``new`` /
        ``removed`` / ``type_changed`` / ``year_changed`` / ``same``), geometry (WGS84).
    name_a, name_b
        Labels of the runs (folder names).
    lang
        Language of the labels (run A's unless asked).
    """

    kpis: pd.DataFrame
    stations: gpd.GeoDataFrame
    name_a: str
    name_b: str
    lang: str = "zh"
    run_a: RunData | None = None
    run_b: RunData | None = None


def compare_runs(run_a: Path, run_b: Path, *, lang: str | None = None) -> Comparison:
    """Compare the run folders ``run_a`` and ``run_b`` (labels in ``lang``, default run A's
    language)."""
    a, b = load_run(run_a), load_run(run_b)
    lang = lang or a.report.scenario.lang or "zh"
    if lang not in LANGS:
        msg = f"language '{lang}' is not supported; use --lang zh or --lang en"
        raise ScenarioError(msg)
    return Comparison(_kpis(a.report, b.report, lang), _stations(a, b), Path(run_a).name,
                      Path(run_b).name, lang, a, b)


def _kpis(ra: Report, rb: Report, lang: str) -> pd.DataFrame:
    """The figures compared: headline (final year), money, stations, corridors, objective."""
    rows: list[dict[str, object]] = []

    def add(key: str, label: str, unit: str, va: object, vb: object) -> None:
        change: object = ""
        if (isinstance(va, int | float) and isinstance(vb, int | float)
                and not isinstance(va, bool) and not isinstance(vb, bool)):
            change = float(vb) - float(va)
        rows.append({"key": key, "figure": label, "unit": unit, "a": va, "b": vb,
                     "change": change})

    ha, hb = ra.headline, rb.headline
    add("final_year", t("compare.final_year", lang), "", ha.year, hb.year)
    add("nev_vehicles", t("compare.nev_vehicles", lang), t("unit.vehicles", lang),
        ha.vehicles_total, hb.vehicles_total)
    add("vehicles_covered", t("compare.vehicles_covered", lang), t("unit.vehicles", lang),
        ha.vehicles_covered, hb.vehicles_covered)
    add("coverage_share", t("compare.coverage_share", lang), "%", ha.share, hb.share)
    add("budget", t("compare.budget", lang), "CNY", ra.budget, rb.budget)
    add("spent", t("compare.spent", lang), "CNY", ra.spent, rb.spent)
    types = list(dict.fromkeys([*ra.by_type, *rb.by_type]))
    symbols = symbols_from_report(ra, lang) | {
        k: v for k, v in symbols_from_report(rb, lang).items() if k not in ra.by_type}
    for tid in types:
        ca = ra.by_type[tid].count if tid in ra.by_type else 0
        cb = rb.by_type[tid].count if tid in rb.by_type else 0
        name = symbols[tid].label if tid in symbols else tid
        add(f"stations:{tid}", t("compare.stations_of", lang, type=name),
            t("unit.stations", lang), ca, cb)
    if ra.corridors or rb.corridors:
        add("corridor_trucks", t("compare.corridor_trucks", lang), t("unit.trucks_day", lang),
            sum(c.trucks_covered or 0.0 for c in ra.corridors),
            sum(c.trucks_covered or 0.0 for c in rb.corridors))
    add("objective", t("compare.objective", lang), "", ra.objective, rb.objective)
    add("solver_status", t("compare.solver_status", lang), "", status_name(ra.solver.status,
                                                                            lang),
        status_name(rb.solver.status, lang))
    years = list(dict.fromkeys([*ra.by_year, *rb.by_year]))
    for y in years:
        fa, fb = ra.by_year.get(y), rb.by_year.get(y)
        add(f"covered:{y}", t("compare.covered_in", lang, year=y), t("unit.vehicles", lang),
            fa.vehicles_covered if fa else None, fb.vehicles_covered if fb else None)
    return pd.DataFrame(rows, columns=["key", "figure", "unit", "a", "b", "change"])


def _stations(a: RunData, b: RunData) -> gpd.GeoDataFrame:
    """One row per site in either plan, with what changed."""
    def table(st: gpd.GeoDataFrame) -> pd.DataFrame:
        return pd.DataFrame({"site_id": st["site_id"].astype(str), "name": st["name"],
                             "type": st["station_type"].astype(str),
                             "year": st["year"].fillna(0).astype(int),
                             "existing": st["existing"].astype(bool),
                             "geometry": st.geometry.to_numpy()})

    ta, tb = table(a.stations), table(b.stations)
    m = ta.merge(tb, on="site_id", how="outer", suffixes=("_a", "_b"), indicator=True)
    out = pd.DataFrame({
        "site_id": m["site_id"],
        "name": m["name_a"].where(m["name_a"].notna(), m["name_b"]).astype(str),
        "type_a": m["type_a"].fillna("").astype(str),
        "type_b": m["type_b"].fillna("").astype(str),
        "year_a": m["year_a"].fillna(0).astype(int), "year_b": m["year_b"].fillna(0).astype(int),
        "existing": m["existing_a"].where(m["existing_a"].notna(), m["existing_b"]).astype(bool),
    })
    status = []
    for merge, ty_a, ty_b, y_a, y_b in zip(m["_merge"].astype(str), out["type_a"],
                                           out["type_b"], out["year_a"], out["year_b"],
                                           strict=True):
        if merge == "right_only":
            status.append("new")
        elif merge == "left_only":
            status.append("removed")
        elif ty_a != ty_b:
            status.append("type_changed")
        elif y_a != y_b:
            status.append("year_changed")
        else:
            status.append("same")
    out["status"] = status
    geom = m["geometry_a"].where(m["geometry_a"].notna(), m["geometry_b"])
    gdf = gpd.GeoDataFrame(out, geometry=list(geom), crs="EPSG:4326")
    gdf["_order"] = [_STATUS_ORDER.index(s) for s in gdf["status"]]
    gdf = gdf.sort_values(["_order", "site_id"], kind="stable").drop(columns="_order")
    return gdf.reset_index(drop=True)


# --------------------------------------------------------------------------- the page
def _fmt(key: str, value: object, lang: str) -> str:
    """A figure of the KPI table for display."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        return value
    if key == "coverage_share":
        return percent(value)
    if key in ("budget", "spent"):
        return money(value, lang)
    if key == "final_year":
        return str(value)
    if key == "objective":
        return number(value, 1)
    return number(value)


def _fmt_change(key: str, value: object, lang: str) -> str:
    if not isinstance(value, int | float) or key == "final_year":
        return ""
    v = float(value)
    if v == 0:
        return "±0"
    sign = "+" if v > 0 else "−"
    if key == "coverage_share":
        return f"{sign}{abs(v) * 100:.1f} {t('unit.points', lang)}"
    if key in ("budget", "spent"):
        return sign + money(abs(v), lang)
    return sign + (number(abs(v), 1) if key == "objective" else number(abs(v)))


def _kpi_table(cmp: Comparison) -> str:
    lang = cmp.lang
    head = (f"<tr><th>{html_text(t('compare.col_figure', lang))}</th>"
            f"<th>A</th><th>B</th><th>{html_text(t('compare.col_change', lang))}</th></tr>")
    body = []
    for r in cmp.kpis.itertuples(index=False):
        key, unit = str(r.key), str(r.unit)  # both always text (see _kpis)
        label = str(r.figure) + (f"（{unit}）" if lang == "zh" and unit and unit not in (
            "CNY", "%") else f" ({unit})" if unit and unit not in ("CNY", "%") else "")
        body.append(f"<tr><td>{html_text(label)}</td><td>{html_text(_fmt(key, r.a, lang))}"
                    f"</td><td>{html_text(_fmt(key, r.b, lang))}</td>"
                    f"<td>{html_text(_fmt_change(key, r.change, lang))}</td></tr>")
    return f'<table class="fig" id="kpis">{head}{"".join(body)}</table>'


def _station_table(cmp: Comparison, names: dict[str, str]) -> str:
    lang = cmp.lang
    changed = cmp.stations[cmp.stations["status"] != "same"]
    cols = ["col_site", "col_name", "col_type_a", "col_type_b", "col_year_a", "col_year_b",
            "col_status"]
    head = "".join(f'<th class="txt">{html_text(t("compare." + c, lang))}</th>'
                   if k in (1, 2, 3, 6) else f"<th>{html_text(t('compare.' + c, lang))}</th>"
                   for k, c in enumerate(cols))
    rows = []
    def year(y: int, existing: bool) -> str:
        return t("legend.existing_short", lang) if existing and y else (
            str(y) if y else MISSING)

    for r in changed.itertuples(index=False):
        cells = [r.site_id, r.name, names.get(r.type_a, r.type_a) or MISSING,
                 names.get(r.type_b, r.type_b) or MISSING, year(r.year_a, r.existing),
                 year(r.year_b, r.existing),
                 t(f"compare.status_{r.status}", lang)]
        rows.append(f'<tr class="{r.status}">' + "".join(
            f'<td class="txt">{html_text(c)}</td>' if k in (1, 2, 3, 6) else
            f"<td>{html_text(c)}</td>" for k, c in enumerate(cells)) + "</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="7">{html_text(t("compare.no_changes", lang))}</td></tr>')
    return f'<table class="fig" id="changes"><tr>{head}</tr>{"".join(rows)}</table>'


def _map_data(run: RunData, side: str, cmp: Comparison, names: dict[str, str]) -> dict:
    """What one map draws: its stations (with popups, change marks), roads, zones."""
    lang = cmp.lang
    status = {r.site_id: r.status for r in cmp.stations.itertuples(index=False)}
    changes = {"a": {"removed", "type_changed", "year_changed"},
               "b": {"new", "type_changed", "year_changed"}}[side]
    stations = []
    for s in run.stations.itertuples(index=False):
        st = status.get(str(s.site_id), "same")
        mark = CHANGE_MARKS[st][0] if st in changes else ""
        name = str(s.name)
        tname = names.get(str(s.station_type), str(s.station_type))
        rows = [(t("field.type", lang), tname), (t("field.site_id", lang), str(s.site_id)),
                (t("field.opens", lang), t("legend.existing_short", lang) if s.existing
                 else str(s.year)),
                (t("field.cost", lang), money(s.capex, lang))]
        if st != "same":
            rows.append((t("compare.col_status", lang), t(f"compare.status_{st}", lang)))
        popup = (f'<div class="siting-pop"><b>{html_text(name)}</b><table>' + "".join(
            f"<tr><td>{html_text(k)}</td><td>{html_text(v)}</td></tr>" for k, v in rows)
            + "</table></div>")
        stations.append({"lat": round(float(s.geometry.y), 6),
                         "lon": round(float(s.geometry.x), 6),
                         "k": f"{s.station_type}|{int(bool(s.existing))}|{mark}", "p": popup,
                         "t": html_text(f"{name} · {tname}")})
    return {"stations": stations, "roads": roads_data(run.roads),
            "zones": zones_data(run.zones, lang)}


_CSS = """
#head { height: 38px; display: flex; align-items: center; gap: 16px; padding: 0 12px;
  border-bottom: 1px solid #ccc; background: #fafafa; white-space: nowrap; overflow: hidden; }
#head h1 { font-size: 16px; margin: 0; }
#head .sub { color: #555; overflow: hidden; text-overflow: ellipsis; }
#maps { display: flex; gap: 6px; height: calc(100vh - 110px); min-height: 360px;
  padding: 6px; box-sizing: border-box; }
.pane { flex: 1 1 0; position: relative; min-width: 0; }
.map { position: absolute; inset: 0; border: 1px solid #999; border-radius: 4px; }
.label { position: absolute; top: 8px; left: 52px; right: 62px; z-index: 1000;
  font-size: 12px; pointer-events: none; }
.label b { font-size: 13px; }
.label div { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.legend { position: absolute; bottom: 8px; left: 8px; z-index: 1000; max-width: 260px;
  max-height: calc(100% - 90px); overflow: auto; font-size: 12px; }
.legend summary { cursor: pointer; font-weight: 600; }
#tables { padding: 8px 12px 24px; display: flex; flex-wrap: wrap; gap: 24px; }
#tables h2 { font-size: 15px; margin: 6px 0; }
tr.new td { background: #eaf6ec; } tr.removed td { background: #fbeaea; }
tr.type_changed td { background: #fdf1e2; }
.siting-mark-new, .siting-mark-removed, .siting-mark-type, .siting-mark-year {
  outline-offset: 3px; border-radius: 50%; }
.siting-mark-new { outline: 3px solid #1a9850; }
.siting-mark-removed { outline: 3px dashed #d7301f; }
.siting-mark-type { outline: 3px solid #e08214; }
.siting-mark-year { outline: 2px dotted #4575b4; }
.ring { display: inline-block; width: 14px; height: 14px; border-radius: 50%;
  box-sizing: border-box; }
"""

_JS = """
(function () {
  var maps = ["a", "b"].map(function (side) {
    var d = DATA[side];
    var map = L.map("map-" + side, {preferCanvas: true, zoomControl: true});
    var overlays = {};
    var r = siting.roads(map, d.roads);
    if (r) { overlays[DATA.labels.roads] = r; }
    var z = siting.zones(map, d.zones, true);
    if (z) { overlays[DATA.labels.zones] = z; }
    var group = L.layerGroup(d.stations.map(function (s) {
      return siting.station(s, DATA.icons, DATA.icon_px); })).addTo(map);
    overlays[DATA.labels.stations] = group;
    L.control.layers(null, overlays, {collapsed: true}).addTo(map);
    L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
    return map;
  });
  var top = Math.max.apply(null, Array.prototype.map.call(
    document.querySelectorAll(".label"), function (el) { return el.offsetHeight; }));
  maps[0].fitBounds(DATA.bounds, {paddingTopLeft: [20, top + 16], paddingBottomRight: [20, 20],
                                  maxZoom: 15});
  maps[1].setView(maps[0].getCenter(), maps[0].getZoom(), {animate: false});
  siting.sync(maps[0], maps[1]);
  maps.forEach(siting.labels);
  window.sitingMaps = maps;  // for scripting and tests
})();
"""


def compare_page(cmp: Comparison) -> str:
    """``compare.html`` of a comparison (one offline file, no template engine)."""
    a, b = cmp.run_a, cmp.run_b
    if a is None or b is None:
        msg = "compare_page needs a Comparison made by compare_runs (with both runs read)"
        raise ValueError(msg)
    lang = cmp.lang
    symbols = _symbols(cmp)
    names = {k: s.label for k, s in symbols.items()}
    marks = ["", *(c for c, _ in CHANGE_MARKS.values())]
    title = t("compare.title", lang)

    def pane(side: str, run: RunData, name: str) -> str:
        rep = run.report
        counts = run.stations["station_type"].astype(str).value_counts().to_dict()
        stopped = rep.solver.status != "optimal"
        return (
            f'<div class="pane"><div class="map" id="map-{side}"></div>'
            f'<div class="label box"><b>{side.upper()}: {html_text(name)}</b> · '
            f"{html_text(scenario_title(rep, lang))}"
            f'<div title="{html_text(headline_text(rep, lang))}">'
            f"{html_text(headline_text(rep, lang))}</div>"
            f"<div>{html_text(money_text(rep, lang))}</div>"
            f'<div class="{"warn" if stopped else ""}">'
            f"{html_text(objective_text(rep, lang))}</div></div>"
            f'<details class="legend box"><summary>{html_text(t("map.legend", lang))}</summary>'
            f"{legend_rows(symbols, counts)}{_mark_legend(side, lang)}</details></div>")

    body = (f'<div id="head"><h1>{html_text(title)}</h1><span class="sub">A = '
            f"{html_text(cmp.name_a)} · B = {html_text(cmp.name_b)} · "
            f"{html_text(t('compare.synced', lang))}</span></div>"
            f'<div id="maps">{pane("a", a, cmp.name_a)}{pane("b", b, cmp.name_b)}</div>'
            f'<div id="tables"><div><h2>{html_text(t("compare.kpis", lang))}</h2>'
            f"{_kpi_table(cmp)}</div><div><h2>"
            f'{html_text(t("compare.stations", lang))} '
            f"({int((cmp.stations['status'] != 'same').sum())})</h2>"
            f"{_station_table(cmp, names)}</div></div>")
    data = {"a": _map_data(a, "a", cmp, names), "b": _map_data(b, "b", cmp, names),
            "icons": station_icons(symbols, px=22, marks=marks), "icon_px": 22,
            "bounds": bounds_of([a.stations, b.stations, a.zones, b.zones]),
            "labels": {"roads": html_text(t("layer.roads", lang)),
                       "zones": html_text(t("layer.zones", lang)),
                       "stations": html_text(t("compare.layer_stations", lang))}}
    return page(title=f"{title}: {cmp.name_a} / {cmp.name_b}", lang=lang, css=_CSS, body=body,
                data=data, script=_JS)


def _symbols(cmp: Comparison) -> dict[str, TypeSymbol]:
    """Station-type symbols of both runs (A's first; types only B or only the stations name
    get palette colours)."""
    a, b, lang = cmp.run_a, cmp.run_b, cmp.lang
    if a is None or b is None:
        return {}
    symbols = symbols_from_report(a.report, lang) | {
        k: v for k, v in symbols_from_report(b.report, lang).items() if k not in a.report.by_type}
    extra = set(a.stations["station_type"].astype(str)) | set(
        b.stations["station_type"].astype(str))
    symbols |= {k: v for k, v in symbols_from_report(a.report, lang, extra_ids=extra).items()
                if k not in symbols}
    return symbols


def _mark_legend(side: str, lang: str) -> str:
    shown = ("removed", "type_changed", "year_changed") if side == "a" else (
        "new", "type_changed", "year_changed")
    rows = []
    for status in shown:
        color = CHANGE_MARKS[status][1]
        style = {"removed": "dashed", "year_changed": "dotted"}.get(status, "solid")
        rows.append(f'<div class="row"><span class="sw"><span class="ring" style="border:3px '
                    f'{style} {color}"></span></span><span>'
                    f'{html_text(t(f"compare.status_{status}", lang))}</span></div>')
    return "".join(rows)


def write_comparison(cmp: Comparison, run_a: Path, run_b: Path, out_dir: Path, *,
                     lang: str | None = None) -> Path:
    """Write ``compare.html``, ``compare_kpis.csv``, ``compare_stations.csv`` (and the same
    table as ``compare_stations.xlsx``) and ``compare_stations.geojson`` into ``out_dir``
    (atomically; see the module)."""
    from siting._atomic import atomic_dir
    from siting._csv import write_csv
    from siting._xlsx import write_xlsx

    if lang is not None and lang != cmp.lang:
        if lang not in LANGS:
            msg = f"language '{lang}' is not supported; use --lang zh or --lang en"
            raise ScenarioError(msg)
        cmp = compare_runs(run_a, run_b, lang=lang)
    lang = cmp.lang
    html = compare_page(cmp)
    kpis = cmp.kpis.drop(columns="key").rename(columns={
        "figure": t("compare.col_figure", lang), "unit": t("compare.col_unit", lang),
        "a": "A", "b": "B", "change": t("compare.col_change", lang)})
    names = {k: s.label for k, s in _symbols(cmp).items()}
    stations = cmp.stations.drop(columns="geometry")
    stations = stations.assign(type_a=[names.get(v, v) for v in stations["type_a"]],
                               type_b=[names.get(v, v) for v in stations["type_b"]],
                               status=[t(f"compare.status_{s}", lang)
                                       for s in stations["status"]],
                               existing=[t("word.yes" if e else "word.no", lang)
                                         for e in stations["existing"]])
    stations = stations.rename(columns={
        "site_id": t("compare.col_site", lang), "name": t("compare.col_name", lang),
        "type_a": t("compare.col_type_a", lang), "type_b": t("compare.col_type_b", lang),
        "year_a": t("compare.col_year_a", lang), "year_b": t("compare.col_year_b", lang),
        "existing": t("field.existing", lang), "status": t("compare.col_status", lang)})
    with atomic_dir(out_dir, kind="compare", inputs=(run_a, run_b)) as tmp:
        (tmp / "compare.html").write_text(html, encoding="utf-8")
        write_csv(tmp / "compare_kpis.csv", kpis)
        write_csv(tmp / "compare_stations.csv", stations)
        # typed cells: a site id such as 001 or 3/4 stays text in a spreadsheet
        write_xlsx(tmp / "compare_stations.xlsx", stations, sheet=t("compare.title", lang))
        cmp.stations.to_file(tmp / "compare_stations.geojson", driver="GeoJSON")
    return out_dir

