"""QGIS layer styles (QML) for every layer of ``results.gpkg``, in the outputs' one symbology.

:func:`layer_styles` gives a QML document per layer; :func:`siting.export.write_layer_styles`
stores them in the GeoPackage's ``layer_styles`` table, which QGIS applies when a layer is
opened. The symbols are :mod:`siting.symbology`'s, as on the map and in the briefing:

- ``stations`` — per station type its colour, shape (circle = charging, square = swap, diamond
  = hydrogen) and glyph; existing stations hollow; labelled with the station name;
- ``demand`` — small grey circles, darker where less is served (graduated on
  ``served_share``), so demand never reads as a station; a location's rows (one per pathway
  and year) drawn so that its final year's least-served pathway is on top, as its notes say;
- ``coverage_areas`` — light fills in the type colours; ``zones`` — dashed purple outlines,
  labelled with the zone name (``name_en`` in English);
- ``candidates`` — small hollow grey dots, sites every rule excluded as red crosses;
- ``roads`` — greys, wider for higher road classes;
- a schematic road network's caveat (``map.schematic_note``) as the layer notes of ``roads``
  and ``coverage_areas`` (QGIS shows a notes icon beside them in the Layers panel);
- ``h2_supply``, ``substations``, ``sensitive`` — white triangles outlined in their colour
  (supply sites labelled with their daily capacity and the final year's use), ``corridors`` —
  dashed brown lines; any other layer a plain grey symbol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from matplotlib.colors import to_rgba

from siting.i18n import t
from siting.symbology import (
    CANDIDATE_COLOR,
    DEMAND_OUTLINE,
    DEMAND_SHARE_CLASSES,
    EXCLUDED_COLOR,
    ROAD_COLOR,
    ZONE_COLOR,
    TypeSymbol,
    context_look,
    symbols_from_types,
)

if TYPE_CHECKING:
    from siting.results import SitingResult

__all__ = ["QGIS_SHAPE", "layer_styles", "rgba"]

#: QGIS SimpleMarker shape of each symbol shape.
QGIS_SHAPE: dict[str, str] = {"circle": "circle", "square": "square", "diamond": "diamond"}
#: Font of glyphs and labels (QGIS falls back to a font that has the characters).
_FONT = "Noto Sans CJK SC"
#: Road width (mm) by class; others the last.
_ROAD_MM: tuple[tuple[str, float], ...] = (
    ("motorway", 0.9), ("trunk", 0.8), ("primary", 0.6), ("secondary", 0.45),
    ("tertiary", 0.3))


def rgba(color: str | None, alpha: int = 255) -> str:
    """CSS colour -> QGIS ``"r,g,b,a"`` (``alpha`` 0-255 times the colour's own alpha)."""
    try:
        r, g, b, a = to_rgba(color or "#555555")
    except ValueError:
        r, g, b, a = to_rgba("#555555")
    return f"{round(r * 255)},{round(g * 255)},{round(b * 255)},{round(a * alpha)}"


# --------------------------------------------------------------------------- symbol layers
def _layer(cls: str, props: Mapping[str, str]) -> str:
    opts = "".join(f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>'
                   for k, v in props.items())
    legacy = "".join(f"<prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in props.items())
    return (f'<layer class="{cls}" enabled="1" locked="0" pass="0">'
            f'<Option type="Map">{opts}</Option>{legacy}</layer>')


def _symbol(kind: str, name: str, layers: Sequence[str], alpha: float = 1.0) -> str:
    return (f'<symbol type="{kind}" name="{name}" alpha="{alpha:g}" clip_to_extent="1" '
            f'force_rhr="0">{"".join(layers)}</symbol>')


def _simple_marker(shape: str, fill: str, outline: str, size: float, width: float) -> str:
    return _layer("SimpleMarker", {
        "name": shape, "color": fill, "outline_color": outline, "outline_style": "solid",
        "outline_width": f"{width:g}", "outline_width_unit": "MM", "size": f"{size:g}",
        "size_unit": "MM", "joinstyle": "miter", "scale_method": "diameter"})


def _font_marker(glyph: str, color: str, size: float) -> str:
    return _layer("FontMarker", {
        "font": _FONT, "font_style": "Bold", "chr": glyph, "color": color, "size": f"{size:g}",
        "size_unit": "MM", "outline_width": "0", "offset": "0,0", "offset_unit": "MM",
        "vertical_anchor_point": "1", "horizontal_anchor_point": "1", "joinstyle": "miter"})


def station_symbol(name: str, sym: TypeSymbol, *, existing: bool, size: float = 5.0) -> str:
    """A station marker: the type's shape filled with its colour and a white glyph, or hollow
    (white fill, coloured outline and glyph) for existing stations."""
    shape = QGIS_SHAPE.get(sym.shape, "circle")
    color = rgba(sym.color)
    if existing:
        base = _simple_marker(shape, "255,255,255,255", color, size, 0.7)
        glyph = _font_marker(sym.glyph, color, size * 0.5)
    else:
        base = _simple_marker(shape, color, "255,255,255,255", size, 0.35)
        glyph = _font_marker(sym.glyph, "255,255,255,255", size * 0.5)
    return _symbol("marker", name, [base, glyph])


def _marker(name: str, shape: str, fill: str, outline: str, size: float,
            width: float = 0.3) -> str:
    return _symbol("marker", name, [_simple_marker(shape, fill, outline, size, width)])


def _fill(name: str, color: str, outline: str, style: str = "solid",
          outline_style: str = "solid", width: float = 0.5) -> str:
    return _symbol("fill", name, [_layer("SimpleFill", {
        "color": color, "style": style, "outline_color": outline,
        "outline_style": outline_style, "outline_width": f"{width:g}",
        "outline_width_unit": "MM"})])


def _line(name: str, color: str, width: float, style: str = "solid") -> str:
    return _symbol("line", name, [_layer("SimpleLine", {
        "line_color": color, "line_width": f"{width:g}", "line_width_unit": "MM",
        "line_style": style, "capstyle": "round", "joinstyle": "round"})])


# --------------------------------------------------------------------------- renderers
def _qml(renderer: str, labeling: str = "", notes: str = "") -> str:
    """A QML document: the renderer, optional labels and optional layer notes.

    ``notes`` (plain text) become the layer's *notes* (QGIS 3.20+: an icon beside the layer
    in the Layers panel, the text as its tooltip, and Layer Properties ▸ Notes).
    """
    cats = "Symbology|Labeling" if labeling else "Symbology"
    enabled = ' labelsEnabled="1"' if labeling else ""
    props = ""
    if notes:
        cats += "|CustomProperties"
        props = ('<customproperties><Option type="Map"><Option type="QString" '
                 f'name="userNotes" value={quoteattr(f"<p>{escape(notes)}</p>")}/></Option>'
                 "</customproperties>\n")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="3.22.0" styleCategories="{cats}"{enabled}>\n'
            f"{renderer}\n{labeling}\n{props}<blendMode>0</blendMode>\n"
            "<featureBlendMode>0</featureBlendMode>\n</qgis>\n")


def _single(symbol: str) -> str:
    return ('<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><symbols>{symbol}</symbols></renderer-v2>')


def _categorized(attr: str, cats: list[tuple[str, str, str]]) -> str:
    """``cats`` = [(value, label, symbol xml named by its index)]."""
    categories = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr(v)} label={quoteattr(lab)}/>'
        for i, (v, lab, _) in enumerate(cats))
    symbols = "".join(sym for _, _, sym in cats)
    return (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
            f'enableorderby="0" forceraster="0"><categories>{categories}</categories>'
            f"<symbols>{symbols}</symbols></renderer-v2>")


def _rules(rules: list[tuple[str, str, str]], *, else_symbol: str | None = None,
           else_label: str = "") -> str:
    """A rule-based renderer: [(filter expression, label, symbol xml named by its index)],
    then an ELSE rule drawn with ``else_symbol`` (``else_label`` in the legend)."""
    items = "".join(
        f'<rule key="r{i}" symbol="{i}" filter={quoteattr(expr)} label={quoteattr(lab)}/>'
        for i, (expr, lab, _) in enumerate(rules))
    syms = [sym for _, _, sym in rules]
    if else_symbol is not None:
        k = len(rules)
        items += f'<rule key="r{k}" symbol="{k}" filter="ELSE" label={quoteattr(else_label)}/>'
        syms.append(else_symbol)
    return ('<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><rules key="root">{items}</rules>'
            f'<symbols>{"".join(syms)}</symbols></renderer-v2>')


#: Drawing order of the demand rows (one per location, pathway and year, all at the
#: location's point): earlier years first, then the better-served pathways, so the circle on
#: top is the final year's least-served pathway (without an order QGIS drew them in file
#: order and a location showed whichever row came last).
_DEMAND_ORDER = ('<orderby><orderByClause asc="1" nullsFirst="1">"year"</orderByClause>'
                 '<orderByClause asc="0" nullsFirst="0">"served_share"</orderByClause>'
                 "</orderby>")


def _graduated_demand(size: float, lang: str) -> str:
    """Demand circles graduated on ``served_share``: greys, darkest where nothing is served;
    drawn in :data:`_DEMAND_ORDER`."""
    bounds = [0.0, *[u for u, _, _ in DEMAND_SHARE_CLASSES[:-1]], 1.0]
    ranges, symbols = [], []
    for i, (lo, hi, (_, color, label)) in enumerate(zip(
            bounds[:-1], bounds[1:], DEMAND_SHARE_CLASSES, strict=True)):
        lab = t("legend.served_label", lang, share=label)
        ranges.append(f'<range render="true" symbol="{i}" lower="{lo:.6f}" upper="{hi:.6f}" '
                      f"label={quoteattr(lab)}/>")
        symbols.append(_marker(str(i), "circle", rgba(color, 210), rgba(DEMAND_OUTLINE),
                               size, 0.15))
    return ('<renderer-v2 type="graduatedSymbol" attr="served_share" '
            'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="1" '
            f'forceraster="0"><ranges>{"".join(ranges)}</ranges>'
            f'<symbols>{"".join(symbols)}</symbols><mode name="fixed"/>{_DEMAND_ORDER}'
            "</renderer-v2>")


def _labels(expression: str, *, color: str = "34,34,34,255", size: float = 8.5,
            bold: bool = False, placement: int = 0, dist: float = 2.0) -> str:
    """Simple labels from a QGIS expression, with a white buffer; ``placement`` 0 = around a
    point, 1 = over it (polygons: 0 = around the centroid)."""
    weight = 75 if bold else 50
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(expression)} isExpression="1" fontFamily="{_FONT}" '
        f'fontSize="{size:g}" fontSizeUnit="Point" fontWeight="{weight}" '
        f'textColor="{color}" textOpacity="1" namedStyle="{"Bold" if bold else "Regular"}" '
        'multilineHeight="1" blendMode="0" fontItalic="0" fontUnderline="0" '
        'fontStrikeout="0" fontLetterSpacing="0" fontWordSpacing="0" useSubstitutions="0" '
        'previewBkgrdColor="255,255,255,255">'
        '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.9" bufferNoFill="1" '
        'bufferJoinStyle="128" bufferBlendMode="0"/></text-style>'
        '<text-format wrapChar="" multilineAlign="3" plussign="0" leftDirectionSymbol="&lt;" '
        'rightDirectionSymbol="&gt;" addDirectionSymbol="0" reverseDirectionSymbol="0" '
        'placeDirectionSymbol="0" formatNumbers="0" decimals="3"/>'
        f'<placement placement="{placement}" dist="{dist:g}" distUnits="MM" '
        'quadOffset="4" priority="5" offsetType="0" placementFlags="10" centroidInside="1" '
        'fitInPolygonOnly="0" centroidWhole="0" overrunDistance="0" '
        'overrunDistanceUnit="MM"/>'
        '<rendering obstacle="1" obstacleFactor="1" obstacleType="1" upsidedownLabels="0" '
        'displayAll="0" scaleVisibility="0" fontLimitPixelSize="0" limitNumLabels="0" '
        'mergeLines="0" labelPerPart="0" drawLabels="1" zIndex="0"/>'
        "</settings></labeling>")


def _q(value: str) -> str:
    """A QGIS expression string literal of ``value``, as ``QgsExpression.quotedString`` writes
    it: QGIS reads a backslash in a literal as an escape, so backslashes are doubled (an id
    ending in one would otherwise swallow the closing quote), quotes doubled, and line breaks
    and tabs written as ``\\n`` and ``\\t``."""
    text = value.replace("\\", "\\\\").replace("'", "''")
    return "'" + text.replace("\n", "\\n").replace("\t", "\\t") + "'"


# --------------------------------------------------------------------------- per layer
def _stations(symbols: Mapping[str, TypeSymbol], lang: str) -> str:
    rules = []
    new, old = t("legend.new", lang), t("legend.existing_short", lang)
    for i, (tid, sym) in enumerate(symbols.items()):
        for existing in (False, True):
            expr = f'"station_type" = {_q(tid)} AND ' + (
                '"existing"' if existing else 'NOT "existing"')
            label = f"{sym.label}（{old if existing else new}）" if lang == "zh" else \
                f"{sym.label} ({old if existing else new})"
            rules.append((expr, label, station_symbol(str(2 * i + existing), sym,
                                                      existing=existing)))
    renderer = _rules(rules, else_symbol=_marker("else", "circle", rgba("#555555"),
                                                 "255,255,255,255", 4.0),
                      else_label=t("legend.other_station", lang))
    return _qml(renderer, _labels('"name"', size=8, dist=2.5))


def _coverage(symbols: Mapping[str, TypeSymbol], notes: str = "") -> str:
    cats = [(tid, sym.label, _fill(str(i), rgba(sym.color, 45), rgba(sym.color, 200),
                                   width=0.3))
            for i, (tid, sym) in enumerate(symbols.items())]
    return _qml(_categorized("station_type", cats), notes=notes)


def _candidates(lang: str) -> str:
    excluded = ('"excluded_types" IS NOT NULL AND "excluded_types" <> \'\' AND '
                '"excluded_types" = "allowed_types" AND NOT "chosen"')
    rules = [(excluded, t("legend.excluded", lang),
              _marker("0", "cross2", rgba(EXCLUDED_COLOR), rgba(EXCLUDED_COLOR), 2.6, 0.5))]
    other = _marker("1", "circle", "255,255,255,230", rgba(CANDIDATE_COLOR), 1.8, 0.3)
    return _qml(_rules(rules, else_symbol=other, else_label=t("legend.candidates", lang)))


def _roads(lang: str, notes: str = "") -> str:
    cats = []
    for i, (cls, width) in enumerate(_ROAD_MM):
        cats.append((cls, cls, _line(str(2 * i), rgba(ROAD_COLOR), width)))
        cats.append((f"{cls}_link", f"{cls}_link", _line(str(2 * i + 1), rgba(ROAD_COLOR),
                                                         width * 0.7)))
    cats.append(("", t("legend.other_roads", lang), _line(str(len(cats)), rgba(ROAD_COLOR, 200),
                                                        0.2)))
    return _qml(_categorized("road_class", cats), notes=notes)


def _zones(lang: str) -> str:
    name = ('coalesce(nullif("name_en", \'\'), "name", "zone_id")' if lang == "en" else
            'coalesce(nullif("name", \'\'), "zone_id")')
    return _qml(_single(_fill("0", "0,0,0,0", rgba(ZONE_COLOR), "no", "dash", 0.6)),
                _labels(name, color=rgba(ZONE_COLOR), size=9, bold=True, placement=1))


def _context(key: str, columns: Sequence[str], year: int, lang: str) -> str:
    look = context_look(key)
    color = rgba(look[1] if look else "#444444")
    if "corridor" in key.lower():
        return _qml(_single(_line("0", color, 0.8, "dash")))
    symbol = _marker("0", "triangle", "255,255,255,255", color, 3.6, 0.6)
    label = ""
    used = f"used_kg_per_day_{year}"
    if look is not None and look[0] == "layer.h2_supply" and "kg_per_day" in columns:
        unit = t("unit.kg_day", lang)
        use = (f" || '  ' || round(coalesce(\"{used}\", 0)) || ' / '" if used in columns
               else " || '  '")
        label = _labels(f'"name"{use} || round("kg_per_day") || {_q(" " + unit)}', size=7.5,
                        color=color)
    elif "name" in columns:
        label = _labels('"name"', size=7.5, color=color)
    return _qml(_single(symbol), label)


def layer_styles(result: SitingResult, lang: str, layers: Mapping[str, Sequence[str]]
                 ) -> dict[str, str]:
    """QML per layer of the GeoPackage (``layers``: layer name → its columns)."""
    present = ([str(v) for v in result.stations["station_type"]]
               if "station_type" in result.stations.columns else [])
    symbols = symbols_from_types(result.scenario.station_types, lang, extra_ids=present)
    year = result.report.final_year
    # a schematic network's caveat, where a planner looks in QGIS: the layer notes of the
    # roads and of the service areas drawn along them
    notes = t("map.schematic_note", lang) if result.report.network.schematic else ""
    out = {
        "stations": _stations(symbols, lang),
        "coverage_areas": _coverage(symbols, notes),
        "demand": _qml(_graduated_demand(1.8, lang),
                       notes=t("legend.demand_layer_note", lang, year=year,
                               year_field="year", pathway_field="pathway")),
        "candidates": _candidates(lang),
        "zones": _zones(lang),
        "roads": _roads(lang, notes),
    }
    for name, columns in layers.items():
        if name not in out:
            out[name] = _context(name, columns, year, lang)
    return out
