"""The robustness layer (``siting robust``): candidate stations by how often sampled fleets
choose them.

Each (site, station type) chosen in some sample is a ring sized and coloured by the share of
samples choosing it: green at or above the no-regret share, amber from half of it, grey
below; a solid fill marks the stations of the plan itself. Popups give the share, the samples
and whether the plan builds it.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np

from siting._format import percent
from siting.maps.context import MapContext
from siting.maps.elements import DataLayer, layer_group
from siting.maps.features import collection, feature, geojson, popup_html
from siting.maps.values import numbers, texts, truthy

__all__ = ["LAYER_KEY", "add_robustness", "robustness_color"]

#: The extra layer key under which a result carries the robustness layer.
LAYER_KEY = "robustness"
_GREEN, _AMBER, _GREY = "#1a7f37", "#bf8700", "#8c959f"


def robustness_color(share: float, no_regret: float) -> str:
    """Green at or above ``no_regret``, amber from half of it, grey below."""
    if share >= no_regret - 1e-12:
        return _GREEN
    return _AMBER if share >= no_regret / 2 else _GREY


def add_robustness(fmap: folium.Map, layer: gpd.GeoDataFrame, ctx: MapContext, *,
                   no_regret: float = 0.9) -> tuple[str, str, str, list[str]] | None:
    """Draw the layer; returns (name, colour, glyph, sub-lines) for the legend (None when
    empty)."""
    if layer is None or not len(layer):
        return None
    name = ctx.t("layer.robustness")
    group = layer_group(fmap, name)
    share = np.clip(numbers(layer, "chosen_share", 0.0), 0.0, 1.0)
    in_plan = [truthy(v) for v in layer.get("in_base_plan", [False] * len(layer))]
    sites = texts(layer, "site_id")
    names = texts(layer, "name")
    types = texts(layer, "station_type")
    chosen = numbers(layer, "samples_chosen", np.nan)
    feats = []
    for i, geom in enumerate(geojson(layer)):
        color = robustness_color(float(share[i]), no_regret)
        rows = [(ctx.t("field.type"), ctx.type_name(types[i])),
                (ctx.t("field.chosen_share"), percent(share[i], 0)),
                (ctx.t("field.samples_chosen"), "" if np.isnan(chosen[i]) else
                 f"{int(chosen[i])}"),
                (ctx.t("field.in_plan"), ctx.yes_no(in_plan[i])),
                (ctx.t("field.no_regret"), ctx.yes_no(share[i] >= no_regret - 1e-12))]
        style = {"radius": round(6.0 + 12.0 * float(share[i]), 1), "color": color,
                 "fillColor": color, "fillOpacity": 0.55 if in_plan[i] else 0.0}
        feats.append(feature(geom, {"p": popup_html(names[i] or sites[i], rows), "s": style,
                                     "t": sites[i]}))
    DataLayer(collection(feats), style={"weight": 2.5, "opacity": 0.9}).add_to(group)
    return name, _GREEN, "◎", []
