"""What every briefing page shares: the page frame, the language and fonts, type styles.

:class:`PageContext` carries the language, the fonts and the names derived from the run (title,
zones, station-type styles, the unit of the demand weight); :func:`new_page` starts an A4
landscape page with the title block. Labels come from the one table in :mod:`siting.i18n`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
from matplotlib import colors as mcolors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from siting._format import MISSING
from siting.briefing.fonts import Fonts
from siting.briefing.text import wrap
from siting.i18n import LABELS, t
from siting.run_folder import RunData

__all__ = [
    "CAVEAT_RED", "PAGE_SIZE_IN", "PageContext", "TypeStyle", "draw_caveat", "make_context",
    "new_page", "pathway_name", "solver_name", "status_text", "type_styles",
]

#: A4 landscape, inches.
PAGE_SIZE_IN: tuple[float, float] = (11.69, 8.27)
#: Colour of caveats (the schematic-network warning).
CAVEAT_RED = "#c00000"
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22", "#7f7f7f")
_MARKERS = ("o", "s", "^", "D", "P", "h", "v", "X", "*")


@dataclass(frozen=True)
class TypeStyle:
    """How a station type is drawn: its display name, colour and marker."""

    label: str
    color: str
    marker: str


def type_styles(report: dict[str, Any], stations: gpd.GeoDataFrame, lang: str,
                fonts: Fonts) -> dict[str, TypeStyle]:
    """Styles by station type: the report's types in order (their colours when valid), then
    types only the stations name; palette colours and markers otherwise."""
    by_type = report.get("by_type") or {}
    order = list(by_type) + sorted(set(stations["station_type"]) - set(by_type))
    styles = {}
    for k, tid in enumerate(order):
        info = by_type.get(tid) or {}
        color = info.get("color")
        if not (isinstance(color, str) and mcolors.is_color_like(color)):
            color = _PALETTE[k % len(_PALETTE)]
        styles[tid] = TypeStyle(label=_type_name(tid, info, lang, fonts), color=color,
                                 marker=_MARKERS[k % len(_MARKERS)])
    return styles


def _type_name(tid: str, info: dict[str, Any], lang: str, fonts: Fonts) -> str:
    name = info.get("name") or tid
    if lang == "en" and info.get("name_en"):
        name = info["name_en"]
    return fonts.safe(name, tid)


@dataclass(frozen=True)
class PageContext:
    """Everything a page needs besides the data: language, fonts, derived names."""

    lang: str
    fonts: Fonts
    title: str
    zone_names: dict[str, str]
    styles: dict[str, TypeStyle]
    weight_unit: str

    def label(self, key: str, **values: object) -> str:
        """The label ``key`` (see :mod:`siting.i18n`), with what the fonts cannot draw replaced."""
        return self.fonts.safe(t(key, self.lang, **values))

    def zone(self, zone_id: str) -> str:
        """Display name of a zone id (``outside zones`` when empty)."""
        if not zone_id or zone_id == "(outside zones)":
            return self.label("brief.outside_zones")
        return self.fonts.safe(self.zone_names.get(zone_id, zone_id), zone_id)


def make_context(data: RunData, lang: str, fonts: Fonts) -> PageContext:
    """The page context of a run in ``lang``: title, zone names, type styles, weight unit."""
    rep = data.report
    sc = rep.get("scenario") or {}
    name, name_en = str(sc.get("name") or ""), str(sc.get("name_en") or "")
    title = name_en if lang == "en" and name_en else name
    title = fonts.safe(title, name_en or data.run_dir.name) or data.run_dir.name
    zone_names: dict[str, str] = {}
    if data.zones is not None and "zone_id" in data.zones.columns:
        names = data.zones["name"] if "name" in data.zones.columns else data.zones["zone_id"]
        zone_names = {str(z): str(n) if isinstance(n, str) and n else str(z)
                      for z, n in zip(data.zones["zone_id"], names)}
    weight = sc.get("weight")
    unit_en = str(sc.get("weight_unit") or "")
    if weight == "vehicles" or unit_en == "NEV vehicles":
        unit = t("brief.weight_vehicles", lang)
    elif weight == "energy" or unit_en == "kWh/day":
        unit = t("brief.weight_energy", lang)
    else:
        unit = unit_en
    return PageContext(lang=lang, fonts=fonts, title=title, zone_names=zone_names,
                styles=type_styles(rep, data.stations, lang, fonts),
                weight_unit=fonts.safe(unit, unit_en))


def new_page(ctx: PageContext, heading: str) -> Figure:
    """An A4 landscape page with the plan's title, ``heading`` and the subtitle."""
    fig = Figure(figsize=PAGE_SIZE_IN, facecolor="white")
    fig.text(0.03, 0.955, ctx.title, fontsize=17, fontweight="bold", va="baseline")
    fig.text(0.97, 0.955, heading, fontsize=12, ha="right", va="baseline", color="#333333")
    fig.text(0.03, 0.925, ctx.label("brief.subtitle"), fontsize=9.5, color="#555555",
             va="baseline")
    fig.add_artist(Line2D([0.03, 0.97], [0.912, 0.912], color="#999999", linewidth=0.6))
    return fig


def draw_caveat(fig: Figure, ctx: PageContext, schematic: bool, *, y: float = 0.063) -> None:
    """The red schematic-network caveat at the foot of a page (nothing when not schematic)."""
    if schematic:
        lines = wrap(ctx.label("brief.schematic_caveat"), 170)
        fig.text(0.03, y, "\n".join(lines), fontsize=10, color=CAVEAT_RED, fontweight="bold",
                 va="top", linespacing=1.3)


def status_text(status: Any, ctx: PageContext, *, short: bool = False) -> str:
    """Solver status for display: translated, in Chinese with the raw value unless ``short``."""
    if status is None:
        return MISSING
    raw = str(status)
    if f"status.{raw}" not in LABELS[ctx.lang]:
        return ctx.fonts.safe(raw.replace("_", " "), "?")
    name = ctx.label(f"status.{raw}")
    return name if short or ctx.lang != "zh" else f"{name}（{raw}）"


def solver_name(name: Any) -> str:
    """``HiGHS`` / ``CBC`` for the report's solver name (other names as given)."""
    names = {"highs": "HiGHS", "cbc": "CBC"}
    return names.get(str(name).lower(), str(name)) if name else MISSING


def pathway_name(pathway: str, ctx: PageContext) -> str:
    """Display name of a technology pathway (the raw value when unknown)."""
    try:
        return ctx.fonts.safe(t(f"pathway.{pathway}", ctx.lang), pathway)
    except KeyError:
        return ctx.fonts.safe(pathway, "?")
