"""The map's layers: one builder per layer, each adding a toggleable group to the map.

Every builder takes the folium map, its frames (WGS84, or GCJ-02 for Amap) and the
:class:`~siting.maps.context.MapContext`; popups and tooltips are escaped HTML
(:func:`~siting.maps.features.popup_html`), data goes in as one
:class:`~siting.maps.elements.DataLayer` per layer (compact: no element per feature), except
station markers, which are ``DivIcon`` markers with a :class:`~siting.maps.elements.Bind`.

What a popup says per day or per vehicle is one planning year's figure, with the year named
(station popups carry a row per year); nothing is summed over years.
"""

from __future__ import annotations

import math
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siting._escape import html_text
from siting._format import MISSING, number, percent
from siting.candidates import category_name
from siting.maps.context import MapContext
from siting.maps.elements import Bind, DataLayer, LazyDataLayer, layer_group
from siting.maps.features import PopupTable, collection, feature, geojson, popup_html, round_coords
from siting.maps.frames import DisplayLayers
from siting.maps.style import (
    EXCLUDED_ICON,
    HIDDEN_EXTRAS,
    ICON_PX,
    ROAD_WEIGHT,
    extra_icon_html,
    extra_look,
    radius_px,
    share_color,
    station_icon_html,
)
from siting.maps.values import energy_kwh, local_name, numbers, text, texts, truthy
from siting.symbology import CANDIDATE_COLOR, DEMAND_OUTLINE, ROAD_COLOR, ZONE_COLOR

__all__ = [
    "ROAD_SEGMENTS_COARSE", "add_candidates", "add_coverage", "add_demand", "add_extras",
    "add_roads", "add_stations", "add_zones", "excluded_candidates",
]

#: Above this many road segments the road layer is simplified at ~10 m instead of ~2 m.
ROAD_SEGMENTS_COARSE = 100_000


def add_roads(fmap: folium.Map, roads: gpd.GeoDataFrame, ctx: MapContext) -> None:
    """The road network, one multi-line per road-class weight.

    On city-wide networks (:data:`ROAD_SEGMENTS_COARSE` segments or more) it is simplified at
    ~10 m, and the minor roads (every class without a weight of its own in ``ROAD_WEIGHT``)
    go in a layer of their own, off when the map opens and drawn when switched on
    (:class:`~siting.maps.elements.LazyDataLayer`): on the 100k city they were 95 % of the
    road layer's vertices and half the map's opening time. A network with no road of a
    weighted class (no ``road_class`` column, say) is drawn whole, as smaller ones are.
    """
    if not len(roads):
        return
    geoms = shapely.get_parts(roads.geometry.to_numpy(), return_index=True)
    parts, idx = geoms
    lines = shapely.get_type_id(parts) == 1
    parts, idx = parts[lines], idx[lines]
    cls = texts(roads, "road_class")[idx] if "road_class" in roads.columns else np.full(
        len(parts), "", dtype=object)
    weight = np.array([ROAD_WEIGHT.get(str(c).removesuffix("_link"), 1.0) for c in cls])
    city_wide = len(parts) >= ROAD_SEGMENTS_COARSE
    # ~2 m; ~10 m on city-wide networks, where the map opens at city scale (a 200k-node
    # network's road layer was most of a 22 MB map.html)
    tol = 2e-5 if not city_wide else 1e-4
    # coordinates to the simplification's scale: 4 decimals (~10 m) for the ~10 m one
    digits = 5 if tol < 1e-4 else 4
    main: list[str] = []
    minor: list[str] = []
    for w in sorted(set(weight.tolist()), reverse=True):
        # Segments joined into polylines before simplifying: every shared node is written
        # once, and straight runs of a street shrink to their ends.
        merged = shapely.line_merge(shapely.multilinestrings(parts[weight == w]))
        pieces = shapely.get_parts(merged)
        pieces = round_coords(shapely.simplify(pieces, tol, preserve_topology=False), digits)
        pieces = pieces[~shapely.is_empty(pieces) & (shapely.get_num_coordinates(pieces) >= 2)]
        if len(pieces):
            (minor if city_wide and w <= 1.0 else main).append(
                feature(shapely.to_geojson(shapely.multilinestrings(pieces)),
                        {"s": {"weight": w}}))
    if not main:  # no class of its own anywhere (e.g. no road_class): no map without roads
        main, minor = minor, []
    style = {"color": ROAD_COLOR, "weight": 1.0, "opacity": 0.8, "interactive": False}
    if main:
        DataLayer(collection(main), style=style).add_to(layer_group(fmap, ctx.t("layer.roads")))
    if minor:
        LazyDataLayer(collection(minor), style=style).add_to(
            layer_group(fmap, ctx.t("layer.roads_minor"), show=False))


def add_zones(fmap: folium.Map, zones: gpd.GeoDataFrame | None, ctx: MapContext) -> None:
    """Zone outlines with their names as labels (decluttered in the page: a label that would
    cover a station or a larger zone's label moves or hides) and a popup."""
    if zones is None or not len(zones):
        return
    group = layer_group(fmap, ctx.t("layer.zones"))
    ids = texts(zones, "zone_id")
    geoms = geojson(zones, simplify=2e-5)
    area = shapely.area(zones.geometry.to_numpy())
    rank = {int(k): r for r, k in enumerate(np.argsort(-area, kind="stable"))}
    by_zone = ctx.report.by_zone
    feats = []
    share = numbers(zones, "coverage_share", np.nan) if "coverage_share" in zones.columns \
        else np.full(len(zones), np.nan)
    floor = numbers(zones, "min_share", np.nan) if "min_share" in zones.columns \
        else np.full(len(zones), np.nan)
    for k, (zid, geom) in enumerate(zip(ids, geoms, strict=True)):
        label = ctx.zone(zid)
        rows = [(ctx.t("field.zone"), label)]
        if np.isfinite(share[k]):  # share of the zone's own demand, not a station count
            rows.append((ctx.t("field.zone_coverage"), percent(share[k], 1)))
        if np.isfinite(floor[k]):
            rows.append((ctx.t("field.zone_min_share"), percent(floor[k], 0)))
        info = by_zone.get(zid)
        if info is not None:
            types = ctx.t("rule.list_sep").join(
                f"{ctx.type_name(t)} {n}" for t, n in info.by_type.items())
            rows += [(ctx.t("field.stations"), f"{info.count}（{types}）" if ctx.lang == "zh"
                      else f"{info.count} ({types})"),
                     (ctx.t("field.cost"), ctx.money(info.capex))]
        tip = f'<span data-rank="{rank[k]}">{html_text(label)}</span>'
        feats.append(feature(geom, {"p": popup_html(label, rows), "t": tip}))
    style = {"color": ZONE_COLOR, "weight": 2, "dashArray": "6 4", "fillOpacity": 0.03,
             "fillColor": ZONE_COLOR}
    # labels sit in the shadow pane: above the areas, below the station markers
    tip_opts = {"permanent": True, "direction": "center", "className": "siting-zone-label",
                "pane": "shadowPane"}
    DataLayer(collection(feats), style=style, tooltip=tip_opts).add_to(group)


def add_coverage(fmap: folium.Map, cov: gpd.GeoDataFrame, ctx: MapContext) -> None:
    if not len(cov):
        return
    group = layer_group(fmap, ctx.t("layer.coverage"))
    types = texts(cov, "station_type")
    sites = texts(cov, "site_id")
    segs = texts(cov, "segment")
    thresh = numbers(cov, "threshold_min", np.nan)
    feats = []
    for st, site, seg, th, geom in zip(types, sites, segs, thresh,
                                       geojson(cov, simplify=5e-5), strict=True):
        color = ctx.symbol(st).color
        rows = [(ctx.t("field.type"), ctx.type_name(st)), (ctx.t("field.site_id"), site)]
        if seg:
            rows.append((ctx.t("field.segment"), ctx.segment_names.get(seg, seg)))
        if np.isfinite(th):
            rows.append((ctx.t("field.threshold_min"), ctx.t("unit.minutes", value=f"{th:g}")))
        feats.append(feature(geom, {"p": popup_html(ctx.t("layer.coverage"), rows),
                                     "s": {"color": color, "fillColor": color}}))
    style = {"weight": 1, "opacity": 0.55, "fillOpacity": 0.08}
    DataLayer(collection(feats), style=style).add_to(group)


def add_demand(fmap: folium.Map, layers: DisplayLayers, ctx: MapContext) -> None:
    """Demand per planning year: one circle per fleet location (its pathways in the popup),
    or hexagon totals for large layers; only the final year is shown at first."""
    if layers.cells:
        _add_demand_cells(fmap, layers, ctx)
        return
    demand = layers.demand
    if not len(demand):
        return
    cols = _DemandColumns(demand, layers.stations, ctx)
    groups = cols.locations()
    e_max = float(max((g.energy_kwh for g in groups), default=0.0))
    years = sorted({g.year for g in groups})
    last = years[-1]
    single = len(years) == 1
    for year in years:
        key = "layer.demand" if single else "layer.demand_year"
        group = layer_group(fmap, ctx.t(key, year=year), show=year == last)
        style = {"color": DEMAND_OUTLINE, "weight": 0.8, "fillOpacity": 0.8, "opacity": 0.9}
        feats = [cols.feature(g, e_max, ctx) for g in groups if g.year == year]
        DataLayer(collection(feats), style=style).add_to(group)


def _add_demand_cells(fmap: folium.Map, layers: DisplayLayers, ctx: MapContext) -> None:
    """Hexagon totals of demand per planning year (large layers); the final year shown."""
    last = max((k for k in layers.cells if k is not None), default=None)
    for year, cells in layers.cells.items():
        key = "layer.demand_cells" if year is None else "layer.demand_cells_year"
        group = layer_group(fmap, ctx.t(key, year=year), show=year == last)
        DataLayer(_cell_features(cells, ctx, year),
                  style={"weight": 0.6, "opacity": 0.8}).add_to(group)


class _Location:
    """The demand rows of one fleet location in one year (one circle on the map)."""

    def __init__(self, rows: np.ndarray, year: str, kwh: np.ndarray, w: np.ndarray,
                 share: np.ndarray) -> None:
        self.rows = rows
        self.year = year
        self.energy_kwh = float(kwh[rows].sum())
        wr = w[rows]
        self.share = float((wr * share[rows]).sum() / wr.sum()) if wr.sum() > 0 else 0.0


class _DemandColumns:
    """The demand layer's display columns, read once (a popup per location indexes them)."""

    def __init__(self, demand: gpd.GeoDataFrame, stations: gpd.GeoDataFrame,
                 ctx: MapContext) -> None:
        self.fleet_id = texts(demand, "fleet_id")
        self.year = texts(demand, "year")
        self.kwh = energy_kwh(demand)
        self.w = numbers(demand, "weight", 1.0)
        self.share = np.clip(numbers(demand, "served_share", 0.0), 0, 1)
        self.geom = geojson(demand)
        self.vehicles = numbers(demand, "vehicles", np.nan)
        self.energy = numbers(demand, "energy", np.nan)
        self.segment = texts(demand, "segment")
        self.name = texts(demand, "name")
        self.pathway = texts(demand, "pathway")
        self.unit = texts(demand, "energy_unit")
        by = texts(demand, "served_by")
        names = dict(zip(texts(stations, "site_id"), texts(stations, "name"), strict=True))
        none = ctx.t("word.none")
        self.served_by = [names.get(b, b) if b else none for b in by]

    def locations(self) -> list[_Location]:
        """Rows grouped by fleet location (``fleet_id``, else position) and year, in order of
        first appearance."""
        fleet = np.where(self.fleet_id == "", np.array(self.geom, dtype=object), self.fleet_id)
        codes, _ = pd.factorize(pd.MultiIndex.from_arrays([fleet, self.year]), sort=False)
        order = np.argsort(codes, kind="stable")
        cuts = np.flatnonzero(np.diff(codes[order])) + 1
        return [_Location(rows, str(self.year[rows[0]]), self.kwh, self.w, self.share)
                for rows in np.split(order, cuts)]

    def feature(self, loc: _Location, e_max: float, ctx: MapContext) -> str:
        """One location's circle: size from its energy, colour from its served share."""
        rows = loc.rows
        first = int(rows[0])
        veh = self.vehicles[rows]
        v_total = float(np.nansum(veh))
        v_served = float(np.nansum(veh * self.share[rows]))
        seg = str(self.segment[first])
        served = (f"{number(v_served, 1)} {ctx.t('unit.vehicles')}（{percent(loc.share, 0)}）"
                  if ctx.lang == "zh" else
                  f"{number(v_served, 1)} {ctx.t('unit.vehicles')} ({percent(loc.share, 0)})")
        info = [
            (ctx.t("field.segment"), ctx.segment_names.get(seg, seg)),
            (ctx.t("field.year"), loc.year),
            (ctx.t("field.vehicles"), f"{number(v_total, 1)} {ctx.t('unit.vehicles')}"),
            (ctx.t("field.served_vehicles"), served),
        ]
        body = []
        for i in rows:
            unit = str(self.unit[i])
            body.append([ctx.pathway(str(self.pathway[i])), number(self.vehicles[i], 1),
                         number(self.energy[i], 0,
                                unit=ctx.unit(f"{unit}/day") if unit else ""),
                         percent(self.share[i], 0), self.served_by[i]])
        table = PopupTable([ctx.t("field.pathway"), ctx.t("field.vehicles"),
                            ctx.t("field.energy"), ctx.t("field.served_share"),
                            ctx.t("field.served_by")], body)
        name = str(self.name[first]) or str(self.fleet_id[first])
        props = {"p": popup_html(name, info, tables=[table]),
                 "s": {"radius": round(float(radius_px(np.array([loc.energy_kwh]), e_max)[0]),
                                       1),
                       "fillColor": share_color(loc.share)}}
        return feature(self.geom[first], props)


def _cell_features(cells: gpd.GeoDataFrame, ctx: MapContext, year: int | None) -> str:
    e = cells["energy_kwh"].to_numpy(float)
    e_max = float(e.max(initial=0.0)) or 1.0
    feats = []
    for i, geom in enumerate(geojson(cells)):
        share = float(cells["served_share"].iat[i])
        rows = [
            (ctx.t("field.year"), "" if year is None else str(year)),
            (ctx.t("field.points"), f"{int(cells['n_points'].iat[i]):,}"),
            (ctx.t("field.energy"), number(e[i], 0, unit=ctx.t("unit.kwh_day"))),
            (ctx.t("field.weight"), number(cells["weight"].iat[i], 1, unit=ctx.weight_unit)),
            (ctx.t("field.served_share"), percent(share, 0)),
        ]
        color = share_color(share)
        props = {"p": popup_html(ctx.t("layer.demand_cells"), rows),
                 "s": {"color": DEMAND_OUTLINE, "fillColor": color,
                       "fillOpacity": round(0.25 + 0.6 * math.sqrt(max(e[i], 0) / e_max), 2)}}
        feats.append(feature(geom, props))
    return collection(feats)


def add_candidates(fmap: folium.Map, cands: gpd.GeoDataFrame, ctx: MapContext) -> None:
    if not len(cands):
        return
    excluded = excluded_candidates(cands)
    chosen = np.array([truthy(v) for v in cands.get("chosen", [False] * len(cands))])
    ids = texts(cands, "site_id")
    names = texts(cands, "name")
    allowed = texts(cands, "allowed_types")
    zones = texts(cands, "zone")
    outcome = texts(cands, "rule_outcome")
    geoms = geojson(cands)
    ok_feats: list[str] = []
    bad_feats: list[str] = []
    sep = ctx.t("rule.list_sep")
    for i, geom in enumerate(geoms):
        types = sep.join(ctx.type_name(a.strip()) for a in allowed[i].split(";") if a.strip())
        rows = [(ctx.t("field.site_id"), ids[i]), (ctx.t("field.allowed_types"), types),
                (ctx.t("field.zone"), ctx.zone(zones[i])),
                (ctx.t("field.rule_outcome"), outcome[i]),
                (ctx.t("field.chosen"), ctx.yes_no(chosen[i]))]
        props: dict[str, Any] = {"p": popup_html(names[i] or ids[i], rows)}
        if excluded[i]:
            props["t"] = html_text(outcome[i])
            bad_feats.append(feature(geom, props))
        else:
            if chosen[i]:
                props["s"] = {"color": "#222222", "weight": 2}
            ok_feats.append(feature(geom, props))
    if ok_feats:
        group = layer_group(fmap, ctx.t("layer.candidates"), show=False)
        style = {"radius": 3.5, "color": CANDIDATE_COLOR, "weight": 1, "fillColor": "#ffffff",
                 "fillOpacity": 0.9}
        DataLayer(collection(ok_feats), style=style).add_to(group)
    if bad_feats:
        group = layer_group(fmap, ctx.t("layer.excluded"))
        DataLayer(collection(bad_feats), style={}, icon=EXCLUDED_ICON).add_to(group)


def excluded_candidates(cands: pd.DataFrame) -> np.ndarray:
    """Boolean mask of candidate sites excluded for every station type (drawn as crosses).

    A site is excluded when it is not chosen and a rule excluded every type it allows:
    ``excluded_types`` (written by :mod:`siting.candidates`) lists the excluded ids, compared
    with ``allowed_types``. A boolean ``eligible`` column, when present, decides instead; for
    frames with neither, ``rule_outcome`` is read (every ``; ``-separated note saying
    ``excluded`` or ``排除``).
    """
    n = len(cands)
    chosen = np.array([truthy(v) for v in cands.get("chosen", [False] * n)], dtype=bool)
    if "eligible" in cands.columns:
        return ~np.array([truthy(v) for v in cands["eligible"]], dtype=bool) & ~chosen
    if "excluded_types" in cands.columns and "allowed_types" in cands.columns:
        def split(v: str) -> set[str]:
            return {x.strip() for x in v.replace(",", ";").split(";") if x.strip()}

        bad = np.array([bool(split(a)) and split(a) <= split(e) for a, e in zip(
            texts(cands, "allowed_types"), texts(cands, "excluded_types"), strict=True)],
            dtype=bool)
        return bad & ~chosen

    def all_excluded(value: str) -> bool:
        notes = [x.strip().lower() for x in value.replace("；", ";").split(";") if x.strip()]
        return bool(notes) and all("excluded" in x or "排除" in x for x in notes)

    bad = np.array([all_excluded(s) for s in texts(cands, "rule_outcome")], dtype=bool)
    return bad & ~chosen


def add_extras(fmap: folium.Map, extras: dict[str, gpd.GeoDataFrame],
                ctx: MapContext) -> list[tuple[str, str, str, list[str]]]:
    """Draw the context layers; returns (name, colour, glyph, legend notes) of each."""
    drawn = []
    for key, gdf in extras.items():
        name, color, glyph = extra_look(key, ctx.lang)
        # context layers that clutter the plan start hidden (one click in the layer control)
        hidden = any(k in key.lower() for k in HIDDEN_EXTRAS)
        group = layer_group(fmap, name, show=not hidden)
        kind = _extra_kind(key)
        feats = []
        notes: list[str] = []
        for i, geom in enumerate(geojson(gdf, simplify=2e-5)):
            row = gdf.iloc[i]
            title, rows, tip, note = _extra_popup(kind, row, gdf, ctx)
            props: dict[str, Any] = {"p": popup_html(title or name, rows)}
            if tip:
                props["t"] = html_text(tip)
            feats.append(feature(geom, props))
            if note:
                notes.append(note)
        icon = {"html": extra_icon_html(color, glyph), "className": "siting-extra",
                "iconSize": [18, 16], "iconAnchor": [9, 10]}
        style = {"color": color, "weight": 3, "opacity": 0.8, "fillOpacity": 0.1}
        if kind == "corridor":
            style["dashArray"] = "10 6"
        DataLayer(collection(feats), style=style, icon=icon,
                  tooltip={"direction": "top"}).add_to(group)
        drawn.append((name, color, glyph, notes))
    return drawn


def _extra_kind(key: str) -> str:
    low = key.lower()
    for kind in ("corridor", "substation", "sensitive"):
        if kind in low:
            return kind
    if any(k in low for k in ("h2", "hydrogen", "supply")):
        return "supply"
    return "other"


def _extra_popup(kind: str, row: pd.Series, gdf: gpd.GeoDataFrame, ctx: MapContext
                 ) -> tuple[str, list[tuple[str, str]], str, str]:
    """(title, rows, tooltip, legend note) of a context feature, in the map's language."""
    rep = ctx.report
    name = text(row.get("name", ""))
    last = str(rep.final_year)
    if kind == "supply":
        sid = text(row.get("supply_id", ""))
        use = rep.hydrogen_supply.get(sid)
        kg = use.kg_per_day if use is not None else row.get("kg_per_day")
        rows = [(ctx.t("field.site_id"), sid),
                (ctx.t("field.supply_capacity"), number(kg, 0, unit=ctx.t("unit.kg_day")))]
        if use is not None:
            for y, v in use.used_kg_per_day.items():
                cap = use.kg_per_day
                rows.append((ctx.t("field.supply_used", year=y),
                             f"{number(v, 0, unit=ctx.t('unit.kg_day'))}"
                             + (f"（{percent(v / cap, 0)}）" if ctx.lang == "zh" and cap > 0
                                else f" ({percent(v / cap, 0)})" if cap > 0 else "")))
            if use.delivery_km:
                basis = {"road": ctx.t("field.by_road"),
                         "straight line": ctx.t("field.straight_line")}.get(
                             use.distance_basis, use.distance_basis)
                rows.append((ctx.t("field.delivery_km"),
                             f"{number(use.delivery_km, 0, unit=ctx.t('unit.km'))}"
                             + (f"（{basis}）" if ctx.lang == "zh" and basis
                                else f" ({basis})" if basis else "")))
            used = use.used_kg_per_day.get(last)
            note = ctx.t("legend.supply_use", name=name or sid, used=number(used, 0),
                         cap=number(use.kg_per_day, 0), year=last)
        else:
            note = ""
        tip = note or name
        return name or sid, rows, tip, note
    if kind == "substation":
        sid = text(row.get("substation_id", ""))
        grid = rep.grid.get(sid)
        rows = [(ctx.t("field.site_id"), sid),
                (ctx.t("field.voltage"), number(row.get("voltage_kv"), 0, unit="kV")),
                (ctx.t("field.spare_mw"), number(row.get("spare_mw"), 1, unit="MW"))]
        if grid is not None:
            rows.append((ctx.t("field.new_load"), number(grid.new_load_kw, 0, unit="kW")))
        return name or sid, rows, name, ""
    if kind == "sensitive":
        cat = text(row.get("category", ""))
        rows = [(ctx.t("field.category"), category_name(cat, ctx.lang) if cat else "")]
        return name, rows, name, ""
    if kind == "corridor":
        cid = text(row.get("corridor_id", row.get("id", "")))
        fig = next((c for c in rep.corridors if c.id == cid), None)
        if fig is None and name:
            fig = next((c for c in rep.corridors if c.name == name), None)
        title = local_name(fig.name, fig.name_en, fig.id, ctx.lang) if fig else name or cid
        rows = []
        if fig is not None:
            covered = fig.trucks_covered
            rows = [(ctx.t("field.pathway"), ctx.pathway(fig.pathway)),
                    (ctx.t("field.trucks_per_day"), number(fig.trucks_per_day, 0)),
                    (ctx.t("field.trucks_covered"), number(covered, 0)),
                    (ctx.t("field.length_km"), number(fig.length_km, 1, unit=ctx.t("unit.km")))]
            if fig.energy_per_day:
                rows.append((ctx.t("field.corridor_energy"),
                             number(fig.energy_per_day, 0, unit=ctx.unit(fig.energy_unit))))
            tip = ctx.t("legend.corridor_tip", name=title, covered=number(covered, 0),
                        total=number(fig.trucks_per_day, 0))
        else:
            rows = [(ctx.t("field.trucks_per_day"), number(row.get("trucks_per_day"), 0))]
            tip = title
        return title, rows, tip, ""
    cols = [c for c in gdf.columns if c != gdf.geometry.name][:12]
    rows = [(str(c), text(row[c])) for c in cols]
    return name or (text(row.get(cols[0], "")) if cols else ""), rows, "", ""


def add_stations(fmap: folium.Map, stations: gpd.GeoDataFrame, ctx: MapContext) -> None:
    if not len(stations):
        return
    types = texts(stations, "station_type")
    order = list(ctx.type_order) + sorted(set(types) - set(ctx.type_order))
    for type_id in order:
        idx = np.flatnonzero(types == type_id)
        if not len(idx):
            continue
        group = layer_group(fmap, f"{ctx.type_name(type_id)} ({len(idx)})")
        color, glyph, family = ctx.type_look(type_id)
        for i in idx:
            row = stations.iloc[i]
            existing = truthy(row.get("existing", False))
            site = text(row.get("site_id", ""))
            icon = folium.DivIcon(
                html=station_icon_html(color, glyph, family, existing=existing, site_id=site),
                icon_size=(ICON_PX, ICON_PX), icon_anchor=(ICON_PX // 2, ICON_PX // 2),
                class_name=f"siting-station siting-{family}")
            marker = folium.Marker([row.geometry.y, row.geometry.x], icon=icon,
                                   z_index_offset=1000)  # above the context points
            name = text(row.get("name", "")) or site
            tip = f"{html_text(name)} · {html_text(ctx.type_name(type_id))}"
            Bind(station_popup(row, ctx), tip).add_to(marker)
            marker.add_to(group)


def station_popup(row: pd.Series, ctx: MapContext) -> str:
    """A station's popup: what it is, where, what it cost, and per planning year what it
    serves against its capacity (vehicles, corridor trucks, energy per day, utilisation)."""
    type_id = text(row.get("station_type", ""))
    site = text(row.get("site_id", ""))
    unit = text(row.get("capacity_unit", ""))
    existing = truthy(row.get("existing", False))
    opened = ctx.t("legend.existing_short") if existing else text(row.get("year", ""))
    rows = [
        (ctx.t("field.type"), ctx.type_name(type_id)),
        (ctx.t("field.site_id"), site),
        (ctx.t("field.zone"), ctx.zone(row.get("zone", ""))),
        (ctx.t("field.opens"), opened),
        (ctx.t("field.cost"), ctx.money(row.get("capex"))),
        (ctx.t("field.capacity"), number(row.get("capacity"), 0, unit=ctx.unit(unit))),
    ]
    table = _station_year_table(site, type_id, ctx)
    rows_after = [(ctx.t("field.reason"), text(row.get("reason", "")))]
    title = text(row.get("name", "")) or site
    return popup_html(title, rows, tables=[table] if table else [], after=rows_after)


def _station_year_table(site: str, type_id: str, ctx: MapContext) -> PopupTable | None:
    years = [s for s in ctx.report.station_years
             if s.site_id == site and s.station_type == type_id]
    if not years:
        return None
    body = []
    for s in years:
        if s.capacity_kwh_per_day is not None:
            energy = number(s.energy_kwh_per_day, 0)
            cap = number(s.capacity_kwh_per_day, 0)
            unit = ctx.t("unit.kwh_day")
            if s.capacity_h2_kg_per_day is not None:
                energy += f" + {number(s.h2_kg_per_day, 0)} kg"
                cap += f" + {number(s.capacity_h2_kg_per_day, 0)} kg"
        else:
            energy = number(s.h2_kg_per_day, 0)
            cap = number(s.capacity_h2_kg_per_day, 0)
            unit = ctx.t("unit.kg_day")
        util = s.utilisation if s.utilisation is not None else s.h2_utilisation
        body.append([str(s.year), number(s.vehicles, 1),
                     number(s.corridor_trucks, 0) if s.corridor_trucks else MISSING,
                     f"{energy} / {cap}", percent(util, 0)])
    unit_h = ctx.t("field.energy_of_capacity", unit=unit)
    return PopupTable([ctx.t("field.year"), ctx.t("field.vehicles_day"),
                       ctx.t("field.corridor_trucks"), unit_h, ctx.t("field.utilisation")], body)
