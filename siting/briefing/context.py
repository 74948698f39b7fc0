"""What every briefing page shares: the page frame, the language and fonts, the symbols.

:class:`PageContext` carries the language, the fonts, the run's report and the names derived
from it (title, zones, station-type symbols, the unit of the demand weight); :func:`new_page`
starts an A4 landscape page with the title block; :func:`draw_symbol` draws a station type's
symbol — the same colour, glyph and shape as on the map (:mod:`siting.symbology`), hollow for
existing stations. Labels come from the one table in :mod:`siting.i18n`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.text import Text

from siting._format import MISSING
from siting.briefing.fonts import Fonts
from siting.briefing.text import WIDTH_MARGIN, fit_width, text_width_pt, wrap_width
from siting.i18n import LABELS, t
from siting.report import OUTSIDE_ZONES, Report
from siting.report_text import scenario_title
from siting.report_text import solver_name as _solver_name
from siting.run_folder import RunData
from siting.symbology import TypeSymbol, symbols_from_report

__all__ = [
    "CAVEAT_RED",
    "PAGE_SIZE_IN",
    "SYMBOL_HANDLER_MAP",
    "TITLE_MIN_PT",
    "PageContext",
    "SymbolHandle",
    "SymbolHandler",
    "TypeStyle",
    "draw_caveat",
    "draw_symbol",
    "fit_title",
    "make_context",
    "new_page",
    "pathway_name",
    "solver_name",
    "status_text",
    "symbol_handles",
    "type_styles",
]

#: A4 landscape, inches.
PAGE_SIZE_IN: tuple[float, float] = (11.69, 8.27)
#: Smallest font size (pt) a long plan title shrinks to before it is cut.
TITLE_MIN_PT = 12.0
#: Space (pt) kept between the title and the page heading.
_TITLE_GAP_PT = 18.0
#: Colour of caveats (the schematic-network warning).
CAVEAT_RED = "#c00000"
#: matplotlib marker of each symbol shape.
_MARKER = {"circle": "o", "square": "s", "diamond": "D"}

#: Kept for callers of the old name: a station type's look is its :class:`TypeSymbol`.
TypeStyle = TypeSymbol


def type_styles(report: Report, stations: Any, lang: str, fonts: Fonts) -> dict[str, TypeSymbol]:
    """Symbols by station type: the report's types in order, then types only the stations
    name (palette colours); labels the fonts can draw."""
    extra = [str(v) for v in stations["station_type"]] if len(stations) else []
    out = {}
    for tid, sym in symbols_from_report(report, lang, extra_ids=extra).items():
        out[tid] = TypeSymbol(sym.type_id, fonts.safe(sym.label, tid), sym.color,
                              fonts.safe(sym.glyph, "?"), sym.family)
    return out


@dataclass(frozen=True)
class PageContext:
    """Everything a page needs besides the layers: language, fonts, the report, names."""

    lang: str
    fonts: Fonts
    title: str
    zone_names: dict[str, str]
    styles: dict[str, TypeSymbol]
    weight_unit: str
    report: Report
    #: Titles of the tables in which a name was cut ("" for the station table), filled as
    #: the pages are drawn; the method text then says where the full names are.
    cut_tables: set[str] = field(default_factory=set)

    def label(self, key: str, **values: object) -> str:
        """The label ``key`` (see :mod:`siting.i18n`), with what the fonts cannot draw replaced."""
        return self.fonts.safe(t(key, self.lang, **values))

    def zone(self, zone_id: str) -> str:
        """Display name of a zone id (``outside zones`` when empty)."""
        if not zone_id or zone_id == OUTSIDE_ZONES:
            return self.label("brief.outside_zones")
        return self.fonts.safe(self.zone_names.get(zone_id, zone_id), zone_id)

    def type_name(self, type_id: str) -> str:
        """Display name of a station type."""
        sym = self.styles.get(type_id)
        return sym.label if sym else self.fonts.safe(type_id, "?")

    def unit(self, unit: str) -> str:
        """A unit in this language: ``kWh/day`` → ``kWh/日``; others as given."""
        return {"kWh/day": self.label("unit.kwh_day"), "kg/day": self.label("unit.kg_day")}.get(
            unit, self.fonts.safe(unit, ""))


def _zone_names(data: RunData, lang: str) -> dict[str, str]:
    """Zone id → name in ``lang``: the zones layer's ``name``/``name_en``, else the report's."""
    names: dict[str, str] = {}
    for zid, z in data.report.by_zone.items():
        name = (z.name_en or z.name) if lang == "en" else (z.name or z.name_en)
        if name:
            names[zid] = name
    zones = data.zones
    if zones is not None and "zone_id" in zones.columns:
        zh = zones["name"] if "name" in zones.columns else zones["zone_id"]
        en = zones["name_en"] if "name_en" in zones.columns else [""] * len(zones)
        for z, a, b in zip(zones["zone_id"], zh, en, strict=True):
            a = a if isinstance(a, str) and a else ""
            b = b if isinstance(b, str) and b else ""
            names[str(z)] = ((b or a) if lang == "en" else (a or b)) or str(z)
    return names


def make_context(data: RunData, lang: str, fonts: Fonts) -> PageContext:
    """The page context of a run in ``lang``: title, zone names, symbols, weight unit."""
    rep = data.report
    sc = rep.scenario
    title = (fonts.safe(scenario_title(rep, lang), sc.name_en or data.run_dir.name)
             or data.run_dir.name)
    unit = t("brief.weight_vehicles" if sc.weight == "vehicles" else "brief.weight_energy", lang)
    return PageContext(lang=lang, fonts=fonts, title=title,
                       zone_names=_zone_names(data, lang),
                       styles=type_styles(rep, data.stations, lang, fonts),
                       weight_unit=fonts.safe(unit, sc.weight_unit), report=rep)


def fit_title(title: str, heading: str) -> tuple[str, float]:
    """The plan's title on one line left of the page ``heading``, and its font size: 17 pt,
    smaller down to :data:`TITLE_MIN_PT` for a long title, then cut with an ellipsis (line
    breaks become spaces)."""
    title = " ".join(title.split())
    room = 0.94 * PAGE_SIZE_IN[0] * 72.0 - text_width_pt(heading, 12) - _TITLE_GAP_PT
    size = 17.0
    while size > TITLE_MIN_PT and text_width_pt(title, size, bold=True) > room * (
            1.0 - WIDTH_MARGIN):
        size -= 0.5
    return fit_width(title, room, size, bold=True), size


def new_page(ctx: PageContext, heading: str) -> Figure:
    """An A4 landscape page with the plan's title, ``heading`` and the subtitle."""
    fig = Figure(figsize=PAGE_SIZE_IN, facecolor="white")
    title, size = fit_title(ctx.title, heading)
    fig.text(0.03, 0.955, title, fontsize=size, fontweight="bold", va="baseline")
    fig.text(0.97, 0.955, heading, fontsize=12, ha="right", va="baseline", color="#333333")
    fig.text(0.03, 0.925, ctx.label("brief.subtitle"), fontsize=9.5, color="#555555",
             va="baseline")
    fig.add_artist(Line2D([0.03, 0.97], [0.912, 0.912], color="#999999", linewidth=0.6))
    return fig


def draw_caveat(fig: Figure, ctx: PageContext, schematic: bool, *, y: float = 0.063) -> None:
    """The red schematic-network caveat at the foot of a page (nothing when not schematic)."""
    if schematic:
        lines = wrap_width(ctx.label("brief.schematic_caveat"), 0.94 * PAGE_SIZE_IN[0] * 72,
                           10)
        fig.text(0.03, y, "\n".join(lines), fontsize=10, color=CAVEAT_RED, fontweight="bold",
                 va="top", linespacing=1.3)


def draw_symbol(ax: Any, x: Any, y: Any, sym: TypeSymbol, *, existing: bool = False,
                size: float = 11.0, transform: Any = None, zorder: float = 6) -> None:
    """A station type's symbol at ``x``, ``y`` (scalars or arrays): its shape filled with its
    colour and the glyph in white, or hollow (white, coloured outline and glyph) when
    ``existing``. ``size`` is the marker's width in points."""
    kw: dict[str, Any] = {} if transform is None else {"transform": transform}
    marker = _MARKER.get(sym.shape, "o")
    msize = size * (0.82 if marker == "D" else 1.0)
    face, edge, ink = ("white", sym.color, sym.color) if existing else (sym.color, "white",
                                                                       "white")
    ax.plot(x, y, linestyle="", marker=marker, markersize=msize, markerfacecolor=face,
            markeredgecolor=edge, markeredgewidth=1.6 if existing else 0.8, zorder=zorder,
            **kw)
    if not existing:  # a thin dark rim keeps light colours visible on white paper
        ax.plot(x, y, linestyle="", marker=marker, markersize=msize + 1.2,
                markerfacecolor="none", markeredgecolor="#333333", markeredgewidth=0.4,
                zorder=zorder - 0.1, **kw)
    xs = x if hasattr(x, "__len__") else [x]
    ys = y if hasattr(y, "__len__") else [y]
    fs = size * (0.55 if len(sym.glyph) < 2 else 0.4)
    halo = [] if existing else [patheffects.withStroke(linewidth=0.6, foreground=sym.color)]
    for xi, yi in zip(xs, ys, strict=True):
        ax.text(xi, yi, sym.glyph, ha="center", va="center_baseline", fontsize=fs, color=ink,
                fontweight="bold", zorder=zorder + 0.1, path_effects=halo, **kw)


class SymbolHandle:
    """A legend entry for a station type's symbol (drawn by :class:`SymbolHandler`)."""

    def __init__(self, sym: TypeSymbol, *, existing: bool = False) -> None:
        self.sym = sym
        self.existing = existing


class SymbolHandler(HandlerBase):
    """Draws a :class:`SymbolHandle` in a legend: the type's shape, colour and glyph."""

    def create_artists(self, legend: Any, orig_handle: Any, xdescent: float, ydescent: float,
                       width: float, height: float, fontsize: float, trans: Any) -> list[Any]:
        sym: TypeSymbol = orig_handle.sym
        existing = orig_handle.existing
        cx, cy = width / 2 - xdescent, height / 2 - ydescent
        marker = _MARKER.get(sym.shape, "o")
        size = fontsize * (1.25 if marker != "D" else 1.0)
        face, edge, ink = ("white", sym.color, sym.color) if existing else (
            sym.color, "white", "white")
        dot = Line2D([cx], [cy], linestyle="", marker=marker, markersize=size,
                     markerfacecolor=face, markeredgecolor=edge,
                     markeredgewidth=1.4 if existing else 0.6, transform=trans)
        glyph = Text(cx, cy, sym.glyph, ha="center", va="center_baseline",
                     fontsize=fontsize * (0.62 if len(sym.glyph) < 2 else 0.45), color=ink,
                     fontweight="bold", transform=trans)
        return [dot, glyph]


#: ``handler_map`` for legends of :class:`SymbolHandle` entries.
SYMBOL_HANDLER_MAP: dict[type, HandlerBase] = {SymbolHandle: SymbolHandler()}


def symbol_handles(symbols: list[TypeSymbol]) -> tuple[list[SymbolHandle], list[str]]:
    """Legend handles and labels for station types (use with :data:`SYMBOL_HANDLER_MAP`)."""
    return [SymbolHandle(s) for s in symbols], [s.label for s in symbols]


def status_text(status: Any, ctx: PageContext, *, short: bool = False) -> str:
    """Solver status for display, translated (the raw value is not shown)."""
    if status is None:
        return MISSING
    raw = str(status)
    if f"status.{raw}" not in LABELS[ctx.lang]:
        return ctx.fonts.safe(raw.replace("_", " "), "?")
    return ctx.label(f"status.{raw}")


def solver_name(name: Any) -> str:
    """``HiGHS`` / ``CBC`` for the report's solver name (other names as given)."""
    return _solver_name(name)


def pathway_name(pathway: str, ctx: PageContext) -> str:
    """Display name of a technology pathway (the raw value when unknown)."""
    try:
        return ctx.fonts.safe(t(f"pathway.{pathway}", ctx.lang), pathway)
    except KeyError:
        return ctx.fonts.safe(pathway, "?")
