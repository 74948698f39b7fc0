"""The title box and the legend of the map, as escaped HTML for the page's overlay.

The title box gives the plan's headline — the final planning year's covered new-energy
vehicles of that year's fleet — the money, the corridor trucks (apart from the point
coverage), how the solver ended (a plan stopped at its time limit as a range up to the bound),
the report's notes and the caveats (schematic network, GCJ-02 shift for Amap). The legend gives
each drawn layer's symbol. Every text passes :func:`~siting._escape.html_text`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from siting._escape import html_text
from siting.maps.context import MapContext
from siting.maps.frames import DisplayLayers
from siting.maps.layers import excluded_candidates
from siting.maps.style import (
    EXCLUDED_ICON,
    SHARE_CLASSES,
    extra_icon_html,
    radius_px,
    station_icon_html,
)
from siting.maps.values import energy_kwh, local_name, texts
from siting.report_text import corridor_text, headline_text, money_text, notes, solver_text
from siting.symbology import CANDIDATE_COLOR, DEMAND_OUTLINE, ROAD_COLOR, ZONE_COLOR

if TYPE_CHECKING:
    from siting.results import SitingResult

__all__ = ["display_title", "legend_html", "title_html"]

#: (name, colour, glyph, notes) of each context layer drawn.
Extras = list[tuple[str, str, str, list[str]]]


def display_title(result: SitingResult, ctx: MapContext) -> str:
    """The scenario's name in the map's language (plain text)."""
    sc = result.scenario
    return local_name(sc.name, sc.name_en, sc.name, ctx.lang)


def title_html(result: SitingResult, ctx: MapContext, *, basemap: str = "osm") -> str:
    """The title box: name, headline (final year), money, corridors, solver, notes, caveats."""
    rep = result.report
    esc = html_text
    parts = [f'<div id="siting-title" class="siting-box"><h1>{esc(display_title(result, ctx))}'
             "</h1>",
             f'<div class="sub">{esc(ctx.t("map.subtitle"))}</div>',
             f'<div class="head">{esc(headline_text(rep, ctx.lang))}</div>',
             f'<div class="sub">{esc(money_text(rep, ctx.lang))}</div>']
    corridors = corridor_text(rep, ctx.lang)
    if corridors:
        parts.append(f'<div class="sub">{esc(corridors)}</div>')
    stopped = rep.solver.status != "optimal"
    parts.append(f'<div class="sub{" warn" if stopped else ""}">'
                 f"{esc(solver_text(rep, ctx.lang))}</div>")
    for note in notes(rep):
        parts.append(f'<div class="siting-banner">{esc(note)}</div>')
    if basemap == "amap":
        parts.append(f'<div class="siting-banner">{esc(ctx.t("map.gcj02_note"))}</div>')
    if rep.network.schematic:
        parts.append(f'<div class="siting-banner">⚠ {esc(ctx.t("map.schematic_note"))}</div>')
    parts.append("</div>")
    return "".join(parts)


def legend_html(result: SitingResult, layers: DisplayLayers, ctx: MapContext,
                extras: Extras) -> str:
    """The legend box: station types, new/existing, demand shares and sizes, then the other
    drawn layers and the data sources (collapsed)."""
    esc = html_text
    out = ['<div id="siting-legend" class="siting-box"><details open>',
           f"<summary>{esc(ctx.t('map.legend'))}</summary>"]
    types = list(ctx.type_order) + sorted(
        set(texts(layers.stations, "station_type")) - set(ctx.type_order))
    for type_id in types:
        color, glyph, family = ctx.type_look(type_id)
        out.append(_legend_row(station_icon_html(color, glyph, family, px=20),
                               esc(ctx.type_name(type_id))))
    if types:
        color, glyph, family = ctx.type_look(types[0])
        pair = (station_icon_html(color, glyph, family, px=18)
                + station_icon_html(color, glyph, family, existing=True, px=18))
        label = f"{esc(ctx.t('legend.new'))} / {esc(ctx.t('legend.existing'))}"
        out.append(_legend_row(pair, label))
    year = result.report.final_year
    out.append(f"<h4>{esc(ctx.t('legend.served_share', year=year))}</h4>")
    swatches = "".join(
        f'<span class="share"><span style="background:{c};border:1px solid {DEMAND_OUTLINE}">'
        f"</span>{esc(lab)}</span>" for _, c, lab in SHARE_CLASSES)
    out.append(f'<div class="row wrap">{swatches}</div>')
    if layers.cells:
        out.append(f'<div class="prov">{esc(ctx.t("legend.cell_size"))}</div>')
        out.append(f'<div class="prov">{esc(ctx.t("map.aggregated_note", n=f"{len(layers.demand):,}", size=f"{layers.hex_size_m:,.0f}"))}</div>')  # noqa: E501
    elif len(layers.demand):
        out.append(f'<div class="prov">{esc(ctx.t("legend.demand_size"))}</div>')
        out.append(_size_scale(_location_energy(layers), ctx))
    more = []
    if len(layers.coverage):
        more.append(_legend_row(
            '<span style="display:inline-block;width:18px;height:12px;background:rgba(80,80,'
            '200,.12);border:1px solid rgba(80,80,200,.6)"></span>',
            esc(ctx.t("legend.coverage"))))
    if layers.zones is not None and len(layers.zones):
        more.append(_legend_row(
            f'<span style="display:inline-block;width:18px;height:12px;border:2px dashed '
            f'{ZONE_COLOR}"></span>', esc(ctx.t("legend.zones"))))
    if len(layers.roads):
        more.append(_legend_row(f'<span style="display:inline-block;width:20px;height:0;'
                                f'border-top:2px solid {ROAD_COLOR}"></span>',
                                esc(ctx.t("legend.roads"))))
    if len(layers.candidates):
        more.append(_legend_row(f'<span style="display:inline-block;width:7px;height:7px;'
                                f'border-radius:50%;background:#fff;border:1px solid '
                                f'{CANDIDATE_COLOR}"></span>', esc(ctx.t("legend.candidates"))))
        if excluded_candidates(layers.candidates).any():
            more.append(_legend_row(EXCLUDED_ICON["html"], esc(ctx.t("legend.excluded"))))
    for name, color, glyph, lines in extras:
        more.append(_legend_row(extra_icon_html(color, glyph, px=16), esc(name)))
        for line in lines:
            more.append(f'<div class="prov sub-row">{esc(line)}</div>')
    out.extend(more)
    rep = result.report
    if rep.network.schematic:
        out.append(f'<div class="siting-banner">{esc(ctx.t("map.schematic_note"))}</div>')
    prov = _provenance(result, ctx)
    if prov:
        out.append(f'<details class="prov"><summary>{esc(ctx.t("map.provenance"))}</summary>'
                   + "".join(f"<div>{esc(p)}</div>" for p in prov) + "</details>")
    out.append("</details></div>")
    return "".join(out)


def _legend_row(swatch_html: str, label_html: str) -> str:
    return f'<div class="row"><span class="sw">{swatch_html}</span><span>{label_html}</span></div>'


def _location_energy(layers: DisplayLayers) -> np.ndarray:
    """Daily energy (kWh) of each fleet location and year: what a demand circle's area shows."""
    demand = layers.demand
    e = energy_kwh(demand)
    keys = [f"{f}|{y}" for f, y in zip(texts(demand, "fleet_id"), texts(demand, "year"),
                                        strict=True)]
    sums: dict[str, float] = {}
    for k, v in zip(keys, e, strict=True):
        sums[k] = sums.get(k, 0.0) + float(v)
    return np.array(list(sums.values()))


def _size_scale(e_kwh: np.ndarray, ctx: MapContext) -> str:
    e_max = float(np.nanmax(e_kwh, initial=0.0))
    if not e_max > 0:
        return ""
    values = sorted({_nice(e_max), _nice(e_max / 4), _nice(e_max / 16)}, reverse=True)
    items = []
    for v in values:
        r = float(radius_px(np.array([v]), e_max)[0])
        d = 2 * r
        items.append(f'<span style="display:inline-flex;align-items:center;gap:3px;'
                     f'margin-right:6px"><span style="display:inline-block;width:{d:.0f}px;'
                     f'height:{d:.0f}px;border-radius:50%;background:#bbb;border:1px solid '
                     f'{DEMAND_OUTLINE}"></span>{v:,.0f}</span>')
    return f'<div class="row">{"".join(items)} {html_text(ctx.t("unit.kwh_day"))}</div>'


def _nice(v: float) -> float:
    if v <= 0:
        return 0.0
    mag = 10 ** math.floor(math.log10(v))
    return min((m * mag for m in (1, 2, 5, 10)), key=lambda x: abs(x - v))


def _provenance(result: SitingResult, ctx: MapContext) -> list[str]:
    """The data sources once each: the network's provenance, the scenario's description and
    the sources file (the schematic caveat is said above, not repeated here)."""
    rep = result.report
    p = rep.provenance
    out = []
    if p.network or p.description or p.sources_file:
        if p.network:
            out.append(ctx.t("map.network_source", text=p.network))
        if p.description:
            out.append(p.description)
        if p.sources_file:
            out.append(ctx.t("map.sources_file", file=p.sources_file))
    elif rep.data_provenance:  # a report written before the provenance had parts
        out.append(rep.data_provenance)
    return out
