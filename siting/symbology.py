"""One symbology for every output: a station type's colour, glyph and shape, and the demand.

Every output that draws stations — ``map.html``, ``compare.html``, ``explorer.html``, the
briefing, ``curve.png`` and the GeoPackage's QGIS styles — takes a type's symbol from here, so a
DC hub is the same colour and glyph everywhere:

- **colour** — the scenario's ``color`` of the type (any CSS colour; a colour that is not a
  plain CSS colour, or a type the scenario does not define, gets a palette colour);
- **glyph** — the scenario's ``glyph`` (``glyph_en`` in English outputs when given), one or two
  characters drawn inside the marker;
- **shape** — by family: circle = charging, rounded square = swap, diamond = hydrogen;
- **new / existing** — new stations are filled with the colour (white glyph); existing
  stations are hollow (white fill, coloured outline and glyph).

Demand is never drawn like a station: small grey circles without a glyph, darker where less of
it is served (:data:`DEMAND_SHARE_CLASSES`), so a reader's eye goes to the gaps.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib import colors as mcolors

if TYPE_CHECKING:
    from siting.report import Report
    from siting.scenario import StationType

__all__ = [
    "CANDIDATE_COLOR",
    "CONTEXT_LAYERS",
    "DEFAULT_COLOR",
    "DEMAND_OUTLINE",
    "DEMAND_SHARE_CLASSES",
    "EXCLUDED_COLOR",
    "FAMILY_SHAPE",
    "PALETTE",
    "ROAD_COLOR",
    "ZONE_COLOR",
    "TypeSymbol",
    "context_look",
    "demand_color",
    "hex_color",
    "symbols_from_report",
    "symbols_from_types",
]

logger = logging.getLogger(__name__)

#: Colour of station types nothing defines.
DEFAULT_COLOR = "#555555"
#: Colours for types without a usable colour of their own, in order.
PALETTE: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                            "#e377c2", "#17becf", "#bcbd22")
#: Marker shape by station family.
FAMILY_SHAPE: dict[str, str] = {"charging": "circle", "swap": "square", "hydrogen": "diamond"}
#: Served-share classes of the demand: (upper bound, exclusive; fill colour; label). Greys,
#: darkest where nothing is served: demand reads as background, the gaps stand out, and no
#: station colour is reused.
DEMAND_SHARE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.005, "#252525", "0%"),
    (0.5, "#636363", "1–49%"),
    (0.995, "#a8a8a8", "50–99%"),
    (math.inf, "#e4e4e4", "100%"),
)
#: Outline of demand circles and hexagons.
DEMAND_OUTLINE = "#4d4d4d"

#: Context layers: (key fragment, i18n key of the layer name, colour, glyph); the first
#: fragment found in a layer's key wins. Drawn as white diamonds with a coloured outline and
#: glyph (points) or coloured lines/outlines.
CONTEXT_LAYERS: tuple[tuple[str, str, str, str], ...] = (
    ("corridor", "layer.corridors", "#8c510a", "→"),
    ("substation", "layer.substations", "#b8860b", "⚡"),
    ("sensitive", "layer.sensitive_sites", "#c0392b", "!"),
    ("h2", "layer.h2_supply", "#0e7c86", "H₂"),
    ("hydrogen", "layer.h2_supply", "#0e7c86", "H₂"),
    ("supply", "layer.h2_supply", "#0e7c86", "H₂"),
)
#: Zones (dashed outline), roads, candidate sites (grey dots) and excluded sites (crosses).
ZONE_COLOR = "#6a3d9a"
ROAD_COLOR = "#7a7a7a"
CANDIDATE_COLOR = "#9a9a9a"
EXCLUDED_COLOR = "#b03030"

_CSS_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\(\s*[\d.%\s,]+\))$")


def hex_color(color: object, fallback: str = DEFAULT_COLOR) -> str:
    """``color`` (a CSS colour: hex, name, ``rgb()``) as ``#rrggbb``; ``fallback`` when it is
    not a plain colour (logged)."""
    text = str(color or "").strip()
    if _CSS_COLOR.match(text):
        value: Any = text
        if text.lower().startswith("rgb"):
            value = _rgb_tuple(text)
        try:
            return str(mcolors.to_hex(value))
        except (ValueError, TypeError):
            pass
    if text:
        logger.warning("station colour %r is not a plain CSS colour; using %s", text,
                       fallback or "a palette colour")
    return fallback


def _rgb_tuple(text: str) -> tuple[float, float, float] | None:
    """``rgb(r, g, b)`` / ``rgba(...)`` (0-255 or %) as 0-1 floats; None when malformed."""
    parts = [p.strip() for p in text[text.index("(") + 1:].rstrip(")").split(",")][:3]
    try:
        vals = [float(p[:-1]) / 100 if p.endswith("%") else float(p) / 255 for p in parts]
    except ValueError:
        return None
    if len(vals) != 3 or not all(0 <= v <= 1 for v in vals):
        return None
    return (vals[0], vals[1], vals[2])


def context_look(key: str) -> tuple[str, str, str] | None:
    """(i18n key of the name, colour, glyph) of a context layer from its key, or None."""
    low = key.lower()
    for frag, label, color, glyph in CONTEXT_LAYERS:
        if frag in low:
            return label, color, glyph
    return None


def demand_color(share: float) -> str:
    """Fill colour of a served share (0-1) from :data:`DEMAND_SHARE_CLASSES`."""
    for upper, color, _ in DEMAND_SHARE_CLASSES:
        if share < upper:
            return color
    return DEMAND_SHARE_CLASSES[-1][1]


@dataclass(frozen=True)
class TypeSymbol:
    """How one station type is drawn, in every output."""

    type_id: str
    label: str
    color: str
    glyph: str
    family: str

    @property
    def shape(self) -> str:
        """``circle`` (charging), ``square`` (swap) or ``diamond`` (hydrogen)."""
        return FAMILY_SHAPE.get(self.family, "circle")


def _glyph(glyph: str, glyph_en: str, lang: str) -> str:
    g = (glyph_en or glyph) if lang == "en" else glyph
    return (g or "?")[:2]


def _name(name: str, name_en: str, fallback: str, lang: str) -> str:
    text = (name_en or name) if lang == "en" else (name or name_en)
    return text or fallback


def _finish(rows: Sequence[tuple[str, str, str, str, str, str]],
            extra_ids: Iterable[str]) -> dict[str, TypeSymbol]:
    """Symbols from (id, label, colour, glyph, family, raw colour) rows, palette filling in."""
    out: dict[str, TypeSymbol] = {}
    k = 0
    for tid, label, color, glyph, family, _ in rows:
        if not color:
            color = PALETTE[k % len(PALETTE)]
            k += 1
        out[tid] = TypeSymbol(tid, label, color, glyph, family)
    for tid in sorted(set(extra_ids) - set(out)):
        out[tid] = TypeSymbol(tid, tid, PALETTE[k % len(PALETTE)], "?", "charging")
        k += 1
    return out


def symbols_from_types(types: Iterable[StationType], lang: str, *,
                       extra_ids: Iterable[str] = ()) -> dict[str, TypeSymbol]:
    """Symbols of the scenario's station types (in the scenario's order), in ``lang``.

    ``extra_ids`` are types the scenario does not define (they get palette colours and ``?``).
    """
    rows = [(st.id, _name(st.name, st.name_en, st.id, lang), hex_color(st.color, ""),
             _glyph(st.glyph, st.glyph_en, lang), st.family, st.color) for st in types]
    return _finish(rows, extra_ids)


def symbols_from_report(report: Report, lang: str, *,
                        extra_ids: Iterable[str] = ()) -> dict[str, TypeSymbol]:
    """Symbols of the station types of a run, read from its report (``by_type``)."""
    rows = [(tid, _name(f.name, f.name_en, tid, lang), hex_color(f.color, "") if f.color
             else "", _glyph(f.glyph, f.glyph_en, lang), f.family or "charging", f.color)
            for tid, f in report.by_type.items()]
    return _finish(rows, extra_ids)
