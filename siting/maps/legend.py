"""The title box and the legend of the map, as escaped HTML for the page's overlay.

Both read the plan's report (coverage, spent, budget, schematic flag, provenance) and the
drawn layers; every text passes :func:`~siting._escape.html_text`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from siting._escape import html_text
from siting._format import as_float, percent
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

if TYPE_CHECKING:
    from siting.results import SitingResult

__all__ = ["display_title", "legend_html", "title_html"]


def display_title(result: SitingResult, ctx: MapContext) -> str:
    """The scenario's name in the map's language (plain text)."""
    sc = result.scenario
    return local_name(sc.name, sc.name_en, sc.name, ctx.lang)


def title_html(result: SitingResult, ctx: MapContext) -> str:
    """The title box: name, subtitle, coverage/spent summary and the schematic banner."""
    title = display_title(result, ctx)
    parts = [f'<div id="siting-title" class="siting-box"><h1>{html_text(title)}</h1>',
             f'<div class="sub">{html_text(ctx.t("map.subtitle"))}</div>']
    report = result.report.to_dict()
    summary = _summary(report, ctx)
    if summary:
        parts.append(f'<div class="sub">{html_text(summary)}</div>')
    if _schematic(report):
        parts.append(f'<div class="siting-banner">⚠ {html_text(ctx.t("map.schematic_note"))}'
                     "</div>")
    parts.append("</div>")
    return "".join(parts)


def legend_html(result: SitingResult, layers: DisplayLayers, ctx: MapContext,
                extras: list[tuple[str, str, str]]) -> str:
    """The legend box: station types, served-share colours, demand sizes, the other layers,
    the schematic note and the data provenance. ``extras`` = (name, colour, glyph) drawn."""
    esc = html_text
    out = ['<div id="siting-legend" class="siting-box"><details open>',
           f"<summary>{esc(ctx.t('map.legend'))}</summary>"]
    types = list(ctx.type_order) + sorted(
        set(texts(layers.stations, "station_type")) - set(ctx.type_order))
    for type_id in types:
        color, glyph, family = ctx.type_look(type_id)
        out.append(_legend_row(station_icon_html(color, glyph, family, px=22),
                               esc(ctx.type_name(type_id))))
    if types:
        color, glyph, family = ctx.type_look(types[0])
        pair = (station_icon_html(color, glyph, family, px=20)
                + station_icon_html(color, glyph, family, existing=True, px=20))
        label = f"{esc(ctx.t('legend.new'))} / {esc(ctx.t('legend.existing'))}"
        out.append(_legend_row(pair, label))
    out.append(f"<h4>{esc(ctx.t('legend.served_share'))}</h4>")
    swatches = "".join(
        f'<span style="display:inline-block;width:12px;height:12px;border-radius:50%;'
        f'background:{c};border:1px solid #333;margin-right:2px"></span>{esc(lab)} '
        for _, c, lab in SHARE_CLASSES)
    out.append(f'<div class="row">{swatches}</div>')
    if layers.cells:
        out.append(_legend_row(
            '<span style="display:inline-block;width:14px;height:12px;background:#91cf60;'
            'clip-path:polygon(25% 0,75% 0,100% 50%,75% 100%,25% 100%,0 50%)"></span>',
            esc(ctx.t("legend.cell_size"))))
        out.append(f'<div class="prov">{esc(ctx.t("map.aggregated_note", n=f"{len(layers.demand):,}", size=f"{layers.hex_size_m:,.0f}"))}</div>')  # noqa: E501
    elif len(layers.demand):
        out.append(f"<div>{esc(ctx.t('legend.demand_size'))}</div>")
        out.append(_size_scale(energy_kwh(layers.demand)))
    if len(layers.coverage):
        out.append(_legend_row(
            '<span style="display:inline-block;width:18px;height:12px;background:rgba(80,80,'
            '200,.12);border:1px solid rgba(80,80,200,.6)"></span>',
            esc(ctx.t("legend.coverage"))))
    if layers.zones is not None and len(layers.zones):
        out.append(_legend_row(
            '<span style="display:inline-block;width:18px;height:12px;border:2px dashed '
            '#6a3d9a"></span>', esc(ctx.t("legend.zones"))))
    if len(layers.roads):
        out.append(_legend_row('<span style="display:inline-block;width:20px;height:0;'
                               'border-top:2px solid #7a7a7a"></span>',
                               esc(ctx.t("legend.roads"))))
    if len(layers.candidates):
        out.append(_legend_row('<span style="display:inline-block;width:7px;height:7px;'
                               'border-radius:50%;background:#b0b0b0;border:1px solid #8a8a8a">'
                               "</span>", esc(ctx.t("legend.candidates"))))
        if excluded_candidates(layers.candidates).any():
            out.append(_legend_row(EXCLUDED_ICON["html"], esc(ctx.t("legend.excluded"))))
    for name, color, glyph in extras:
        out.append(_legend_row(extra_icon_html(color, glyph, px=16), esc(name)))
    report = result.report.to_dict()
    if _schematic(report):
        out.append(f'<div class="siting-banner">{esc(ctx.t("map.schematic_note"))}</div>')
    prov = _provenance(report)
    if prov:
        out.append(f'<details class="prov"><summary>{esc(ctx.t("map.provenance"))}</summary>'
                   f"{esc(prov)}</details>")
    out.append("</details></div>")
    return "".join(out)


def _legend_row(swatch_html: str, label_html: str) -> str:
    return f'<div class="row"><span class="sw">{swatch_html}</span><span>{label_html}</span></div>'


def _size_scale(e_kwh: np.ndarray) -> str:
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
                     f'height:{d:.0f}px;border-radius:50%;background:#ccc;border:1px solid '
                     f'#333"></span>{v:,.0f}</span>')
    return f'<div class="row">{"".join(items)} kWh</div>'


def _nice(v: float) -> float:
    if v <= 0:
        return 0.0
    mag = 10 ** math.floor(math.log10(v))
    return min((m * mag for m in (1, 2, 5, 10)), key=lambda x: abs(x - v))


def _summary(report: dict[str, Any], ctx: MapContext) -> str:
    cov = as_float(report.get("coverage_share"))
    spent = as_float(report.get("spent"))
    budget = report.get("budget")
    if isinstance(budget, dict):
        budget = budget.get("total")
    budget_v = as_float(budget)
    if cov is None or spent is None or budget_v is None:
        return ""
    return ctx.t("map.summary", coverage=percent(cov), spent=ctx.money(spent),
                 budget=ctx.money(budget_v))


def _schematic(report: dict[str, Any]) -> bool:
    net = report.get("network")
    return isinstance(net, dict) and bool(net.get("schematic"))


def _provenance(report: dict[str, Any]) -> str:
    def flat(v: object) -> str:
        if isinstance(v, dict):
            return "; ".join(f"{k}: {flat(x)}" for k, x in v.items())
        if isinstance(v, (list, tuple)):
            return "; ".join(flat(x) for x in v)
        return "" if v is None else str(v)

    parts = [flat(report.get("data_provenance"))]
    net = report.get("network")
    if isinstance(net, dict):
        parts.append(flat(net.get("provenance") or net.get("source") or ""))
    return " · ".join(p for p in parts if p)
