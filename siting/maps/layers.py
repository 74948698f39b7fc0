"""The map's layers: one builder per layer, each adding a toggleable group to the map.

Every builder takes the folium map, its frames (WGS84, or GCJ-02 for Amap) and the
:class:`~siting.maps.context.MapContext`; popups and tooltips are escaped HTML
(:func:`~siting.maps.features.popup_html`), data goes in as one
:class:`~siting.maps.elements.DataLayer` per layer (compact: no element per feature), except
station markers, which are ``DivIcon`` markers with a :class:`~siting.maps.elements.Bind`.
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
from siting._format import number, percent
from siting.maps.context import MapContext
from siting.maps.elements import Bind, DataLayer, layer_group
from siting.maps.features import collection, feature, geojson, popup_html, round_coords
from siting.maps.frames import DisplayLayers, by_year
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
from siting.maps.values import energy_kwh, numbers, text, texts, truthy

__all__ = [
    "ROAD_SEGMENTS_COARSE", "add_candidates", "add_coverage", "add_demand", "add_extras",
    "add_roads", "add_stations", "add_zones", "excluded_candidates",
]

#: Above this many road segments the road layer is simplified at ~10 m instead of ~2 m.
ROAD_SEGMENTS_COARSE = 100_000


def add_roads(fmap: folium.Map, roads: gpd.GeoDataFrame, ctx: MapContext) -> None:
    if not len(roads):
        return
    group = layer_group(fmap, ctx.t("layer.roads"))
    geoms = shapely.get_parts(roads.geometry.to_numpy(), return_index=True)
    parts, idx = geoms
    lines = shapely.get_type_id(parts) == 1
    parts, idx = parts[lines], idx[lines]
    cls = texts(roads, "road_class")[idx] if "road_class" in roads.columns else np.full(
        len(parts), "", dtype=object)
    weight = np.array([ROAD_WEIGHT.get(str(c).removesuffix("_link"), 1.0) for c in cls])
    feats = []
    # ~2 m; ~10 m on city-wide networks, where the map opens at city scale (a 200k-node
    # network's road layer was most of a 22 MB map.html)
    tol = 2e-5 if len(parts) < ROAD_SEGMENTS_COARSE else 1e-4
    for w in sorted(set(weight.tolist()), reverse=True):
        # Segments joined into polylines before simplifying: every shared node is written
        # once, and straight runs of a street shrink to their ends.
        merged = shapely.line_merge(shapely.multilinestrings(parts[weight == w]))
        pieces = shapely.get_parts(merged)
        pieces = round_coords(shapely.simplify(pieces, tol, preserve_topology=False))
        pieces = pieces[~shapely.is_empty(pieces) & (shapely.get_num_coordinates(pieces) >= 2)]
        if len(pieces):
            feats.append(feature(shapely.to_geojson(shapely.multilinestrings(pieces)),
                                  {"s": {"weight": w}}))
    style = {"color": "#7a7a7a", "weight": 1.0, "opacity": 0.8, "interactive": False}
    DataLayer(collection(feats), style=style).add_to(group)


def add_zones(fmap: folium.Map, zones: gpd.GeoDataFrame | None, ctx: MapContext) -> None:
    if zones is None or not len(zones):
        return
    group = layer_group(fmap, ctx.t("layer.zones"))
    ids = texts(zones, "zone_id")
    names = texts(zones, "name") if "name" in zones.columns else ids
    geoms = geojson(zones, simplify=2e-5)
    feats = []
    share = numbers(zones, "coverage_share", np.nan) if "coverage_share" in zones.columns \
        else np.full(len(zones), np.nan)
    floor = numbers(zones, "min_share", np.nan) if "min_share" in zones.columns \
        else np.full(len(zones), np.nan)
    for k, (zid, name, geom) in enumerate(zip(ids, names, geoms, strict=True)):
        label = name or zid
        rows = [(ctx.t("field.zone"), f"{label} ({zid})")]
        if np.isfinite(share[k]):  # share of the zone's own demand, not a station count
            rows.append((ctx.t("field.zone_coverage"), percent(share[k], 1)))
        if np.isfinite(floor[k]):
            rows.append((ctx.t("field.zone_min_share"), percent(floor[k], 0)))
        popup = popup_html(label, rows)
        feats.append(feature(geom, {"p": popup, "t": html_text(label)}))
    style = {"color": "#6a3d9a", "weight": 2, "dashArray": "6 4", "fillOpacity": 0.03,
             "fillColor": "#6a3d9a"}
    # labels sit in the shadow pane: above the areas, below the station markers
    tip = {"permanent": True, "direction": "center", "className": "siting-zone-label",
           "pane": "shadowPane"}
    DataLayer(collection(feats), style=style, tooltip=tip).add_to(group)


def add_coverage(fmap: folium.Map, cov: gpd.GeoDataFrame, ctx: MapContext) -> None:
    if not len(cov):
        return
    group = layer_group(fmap, ctx.t("layer.coverage"))
    types = texts(cov, "station_type")
    sites = texts(cov, "site_id")
    thresh = numbers(cov, "threshold_min", np.nan)
    feats = []
    for st, site, th, geom in zip(types, sites, thresh, geojson(cov, simplify=5e-5),
                                  strict=True):
        color = ctx.type_look(st)[0]
        rows = [(ctx.t("field.type"), ctx.type_name(st)), (ctx.t("field.site_id"), site)]
        if np.isfinite(th):
            rows.append((ctx.t("field.threshold_min"), ctx.t("unit.minutes", value=f"{th:g}")))
        feats.append(feature(geom, {"p": popup_html(ctx.t("layer.coverage"), rows),
                                     "s": {"color": color, "fillColor": color}}))
    style = {"weight": 1, "opacity": 0.55, "fillOpacity": 0.08}
    DataLayer(collection(feats), style=style).add_to(group)


def add_demand(fmap: folium.Map, layers: DisplayLayers, ctx: MapContext) -> None:
    if layers.cells:
        last = max((k for k in layers.cells if k is not None), default=None)
        for year, cells in layers.cells.items():
            key = "layer.demand_cells" if year is None else "layer.demand_cells_year"
            group = layer_group(fmap, ctx.t(key, year=year), show=year == last)
            DataLayer(_cell_features(cells, ctx), style={"weight": 0.6, "opacity": 0.8}
                       ).add_to(group)
        return
    demand = layers.demand
    if not len(demand):
        return
    e_max = float(np.nanmax(energy_kwh(demand), initial=0.0))
    parts = by_year(demand)
    last = parts[-1][0]
    for year, part in parts:
        key = "layer.demand" if year is None else "layer.demand_year"
        group = layer_group(fmap, ctx.t(key, year=year), show=year == last)
        style = {"color": "#333333", "weight": 0.8, "fillOpacity": 0.75, "opacity": 0.9}
        DataLayer(_demand_features(part, e_max, ctx), style=style).add_to(group)


def _demand_features(demand: gpd.GeoDataFrame, e_max: float, ctx: MapContext) -> str:
    energy = numbers(demand, "energy", np.nan)
    e_kwh = energy_kwh(demand)
    share = np.clip(numbers(demand, "served_share", 0.0), 0, 1)
    radius = radius_px(e_kwh, e_max)
    units = texts(demand, "energy_unit")
    names = texts(demand, "name")
    fleet = texts(demand, "fleet_id")
    segs = texts(demand, "segment")
    paths = texts(demand, "pathway")
    years = texts(demand, "year")
    veh = numbers(demand, "vehicles", np.nan)
    by = texts(demand, "served_by")
    geoms = geojson(demand)
    per_day = ctx.t("unit.per_day")
    feats = []
    for i, geom in enumerate(geoms):
        rows = [
            (ctx.t("field.segment"), ctx.segment_names.get(segs[i], segs[i])),
            (ctx.t("field.pathway"), ctx.pathway(paths[i])),
            (ctx.t("field.year"), years[i]),
            (ctx.t("field.vehicles"), number(veh[i], 1)),
            (ctx.t("field.energy"), number(energy[i], 1, unit=units[i] + per_day)),
            (ctx.t("field.served_share"), percent(share[i], 0)),
            (ctx.t("field.served_by"), by[i] or ctx.t("word.none")),
        ]
        props = {"p": popup_html(names[i] or fleet[i], rows),
                 "s": {"radius": round(float(radius[i]), 1), "fillColor": share_color(share[i])}}
        feats.append(feature(geom, props))
    return collection(feats)


def _cell_features(cells: gpd.GeoDataFrame, ctx: MapContext) -> str:
    e = cells["energy_kwh"].to_numpy(float)
    e_max = float(e.max(initial=0.0)) or 1.0
    feats = []
    for i, geom in enumerate(geojson(cells)):
        share = float(cells["served_share"].iat[i])
        rows = [
            (ctx.t("field.points"), f"{int(cells['n_points'].iat[i]):,}"),
            (ctx.t("field.energy"), number(e[i], 0, unit=f"kWh{ctx.t('unit.per_day')}")),
            (ctx.t("field.weight"), number(cells["weight"].iat[i], 1, unit=ctx.weight_unit)),
            (ctx.t("field.served_share"), percent(share, 0)),
        ]
        color = share_color(share)
        props = {"p": popup_html(ctx.t("layer.demand_cells"), rows),
                 "s": {"color": color, "fillColor": color,
                       "fillOpacity": round(0.2 + 0.6 * math.sqrt(max(e[i], 0) / e_max), 2)}}
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
    for i, geom in enumerate(geoms):
        types = "; ".join(ctx.type_name(a.strip()) for a in allowed[i].split(";") if a.strip())
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
        group = layer_group(fmap, ctx.t("layer.candidates"))
        style = {"radius": 3.5, "color": "#8a8a8a", "weight": 1, "fillColor": "#b0b0b0",
                 "fillOpacity": 0.9}
        DataLayer(collection(ok_feats), style=style).add_to(group)
    if bad_feats:
        group = layer_group(fmap, ctx.t("layer.excluded"))
        DataLayer(collection(bad_feats), style={}, icon=EXCLUDED_ICON).add_to(group)


def excluded_candidates(cands: pd.DataFrame) -> np.ndarray:
    """Boolean mask of candidate sites excluded for every station type (drawn as crosses).

    ``rule_outcome`` holds one note per allowed type, ``"; "``-separated, as written by
    :mod:`siting.candidates` (``"swap: allowed by the site; hydrogen: excluded — 120 m from
    a school"``). A site is excluded when it is not chosen and every note says ``excluded``
    (or ``排除``); a site eligible for some type stays a candidate, with the full text in its
    popup. A boolean ``eligible`` column, when present, decides instead.
    """
    n = len(cands)
    chosen = np.array([truthy(v) for v in cands.get("chosen", [False] * n)], dtype=bool)
    if "eligible" in cands.columns:
        return ~np.array([truthy(v) for v in cands["eligible"]], dtype=bool) & ~chosen

    def all_excluded(text: str) -> bool:
        notes = [x.strip().lower() for x in text.split(";") if x.strip()]
        return bool(notes) and all("excluded" in x or "排除" in x for x in notes)

    bad = np.array([all_excluded(s) for s in texts(cands, "rule_outcome")], dtype=bool)
    return bad & ~chosen


def add_extras(fmap: folium.Map, extras: dict[str, gpd.GeoDataFrame],
                ctx: MapContext) -> list[tuple[str, str, str]]:
    """Draw extra layers; returns (name, colour, glyph) of each for the legend."""
    drawn = []
    for key, gdf in extras.items():
        name, color, glyph = extra_look(key, ctx.lang)
        # context layers that clutter the plan start hidden (one click in the layer control)
        hidden = any(k in key.lower() for k in HIDDEN_EXTRAS)
        group = layer_group(fmap, name, show=not hidden)
        cols = [c for c in gdf.columns if c != gdf.geometry.name][:12]
        feats = []
        for i, geom in enumerate(geojson(gdf, simplify=2e-5)):
            row = gdf.iloc[i]
            rows = [(str(c), text(row[c])) for c in cols]
            title = text(row.get("name", "")) or text(row.get(cols[0], "")) if cols else name
            feats.append(feature(geom, {"p": popup_html(title or name, rows)}))
        icon = {"html": extra_icon_html(color, glyph), "className": "siting-extra",
                "iconSize": [18, 18], "iconAnchor": [9, 9]}
        style = {"color": color, "weight": 3, "opacity": 0.8, "fillOpacity": 0.1}
        if "corridor" in key.lower():
            style["dashArray"] = "8 6"
        DataLayer(collection(feats), style=style, icon=icon).add_to(group)
        drawn.append((name, color, glyph))
    return drawn


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
            marker = folium.Marker([row.geometry.y, row.geometry.x], icon=icon)
            name = text(row.get("name", "")) or site
            tip = f"{html_text(name)} · {html_text(ctx.type_name(type_id))}"
            Bind(_station_popup(row, ctx), tip).add_to(marker)
            marker.add_to(group)


def _station_popup(row: pd.Series, ctx: MapContext) -> str:
    type_id = text(row.get("station_type", ""))
    unit = text(row.get("capacity_unit", ""))
    energy_unit = unit.split("/")[0] if unit else ""
    rows = [
        (ctx.t("field.type"), ctx.type_name(type_id)),
        (ctx.t("field.site_id"), text(row.get("site_id", ""))),
        (ctx.t("field.cost"), ctx.money(row.get("capex"))),
        (ctx.t("field.capacity"), number(row.get("capacity"), 0, unit=unit)),
        (ctx.t("field.served_demand"),
         number(row.get("served_demand"), 1, unit=ctx.weight_unit)),
        (ctx.t("field.served_energy"),
         number(row.get("served_energy"), 0, unit=f"{energy_unit}{ctx.t('unit.per_day')}")),
        (ctx.t("field.n_demand_served"), number(row.get("n_demand_served"), 0)),
        (ctx.t("field.zone"), ctx.zone(row.get("zone", ""))),
        (ctx.t("field.year"), text(row.get("year", ""))),
        (ctx.t("field.existing"), ctx.yes_no(row.get("existing", False))),
        (ctx.t("field.reason"), text(row.get("reason", ""))),
    ]
    title = text(row.get("name", "")) or text(row.get("site_id", ""))
    return popup_html(title, rows)
