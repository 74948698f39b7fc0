"""Map symbology: demand circles, station and context-layer icons (see :mod:`siting.symbology`).

Icons are inline-styled HTML (no icon font, no image files), so the page needs nothing but
Leaflet. Every text in an icon is HTML-escaped; colours pass :func:`safe_color` before they
reach inline CSS. The colours, glyphs and shapes are :mod:`siting.symbology`'s, shared with the
briefing, the comparison, the budget explorer, ``curve.png`` and the GeoPackage styles.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from siting._escape import html_text
from siting.i18n import t
from siting.symbology import (
    DEFAULT_COLOR,
    DEMAND_SHARE_CLASSES,
    EXCLUDED_COLOR,
    context_look,
    demand_color,
    hex_color,
)

__all__ = [
    "DEFAULT_COLOR", "EXCLUDED_ICON", "HIDDEN_EXTRAS", "ICON_PX", "ROAD_WEIGHT", "SHARE_CLASSES",
    "extra_icon_html", "extra_look", "radius_px", "safe_color", "share_color",
    "station_icon_html",
]

#: Share-served classes of the demand: (upper bound, exclusive; colour; label).
SHARE_CLASSES: tuple[tuple[float, str, str], ...] = DEMAND_SHARE_CLASSES
#: Station marker size, CSS pixels.
ICON_PX = 24
#: Road line width (px) by OSM class (``_link`` roads as their class); others 1.0.
ROAD_WEIGHT: dict[str, float] = {"motorway": 3.0, "trunk": 3.0, "primary": 2.2, "secondary": 1.8}
#: Extra layers whose key contains one of these start hidden.
HIDDEN_EXTRAS: tuple[str, ...] = ("substation", "sensitive")
#: The cross drawn for excluded candidate sites (a Leaflet ``divIcon`` spec).
EXCLUDED_ICON: dict[str, Any] = {
    "html": f'<div style="color:{EXCLUDED_COLOR};font:700 14px/14px sans-serif;'
            'text-align:center;text-shadow:0 0 2px #fff">✕</div>',
    "className": "siting-excluded", "iconSize": [14, 14], "iconAnchor": [7, 7],
}

_R_MIN, _R_MAX = 3.0, 14.0


def share_color(share: float) -> str:
    """Fill colour of a served share (0-1) from :data:`SHARE_CLASSES` (greys)."""
    return demand_color(share)


def radius_px(e_kwh: np.ndarray, e_max: float) -> np.ndarray:
    """Circle radius in pixels for daily energy: area ∝ energy, at least 3 px, 14 px at max."""
    e = np.nan_to_num(np.asarray(e_kwh, float), nan=0.0)
    if not e_max > 0:
        return np.full(e.shape, _R_MIN)
    return np.maximum(_R_MIN, _R_MAX * np.sqrt(np.clip(e, 0, None) / e_max))


def safe_color(color: object) -> str:
    """``color`` as ``#rrggbb`` when it is a plain CSS colour (hex, name, rgb()), else grey."""
    return hex_color(color, DEFAULT_COLOR)


def station_icon_html(color: str, glyph: str, family: str, *, existing: bool = False,
                      site_id: str = "", px: int = ICON_PX, mark: str = "") -> str:
    """Inline-styled HTML of a station marker (no icon font needed).

    Shape by family: circle = charging, rounded square = swap, diamond = hydrogen. New
    stations are filled with the type colour; existing ones are hollow (white fill, coloured
    outline and glyph).

    Parameters
    ----------
    color
        CSS colour of the station type (anything not a plain colour becomes grey).
    glyph
        One or two characters drawn in the middle (escaped).
    family
        ``"charging"``, ``"swap"`` or ``"hydrogen"``.
    existing
        Hollow style for stations that already exist.
    site_id
        Written (escaped) into a ``data-site`` attribute, for tests and scripting.
    px
        Icon size in CSS pixels.
    mark
        CSS class of a change ring around the marker (``siting-mark-new`` ...), or ``""``.
    """
    color = safe_color(color)
    fill, ink, border = ("#ffffff", color, f"3px solid {color}") if existing else (
        color, "#ffffff", "2px solid #ffffff")
    radius = {"charging": "50%", "swap": "5px"}.get(family, "3px")
    rotate = "transform:rotate(45deg);" if family == "hydrogen" else ""
    unrotate = "transform:rotate(-45deg);" if family == "hydrogen" else ""
    inner = px - 6 if family == "hydrogen" else px
    size = max(8, round(inner * (0.5 if len(glyph[:2]) < 2 else 0.36)))
    cls = f"siting-icon {mark}".strip()
    return (
        f'<div class="{html_text(cls, quote=True)}" data-site="{html_text(site_id, quote=True)}" '
        f'style="box-sizing:border-box;width:{inner}px;height:{inner}px;margin:'
        f"{(px - inner) // 2}px;background:{fill};border:{border};border-radius:{radius};"
        f"{rotate}box-shadow:0 1px 3px rgba(0,0,0,.5);display:flex;align-items:center;"
        f'justify-content:center"><span style="{unrotate}color:{ink};'
        f'font:700 {size}px/1 sans-serif">{html_text(glyph[:2])}'
        "</span></div>")


def extra_look(key: str, lang: str) -> tuple[str, str, str]:
    """(display name, colour, glyph) of an extra layer from its key."""
    look = context_look(key)
    if look is None:
        return key, "#444444", "•"
    label, color, glyph = look
    return t(label, lang), color, glyph


def extra_icon_html(color: str, glyph: str, px: int = 18) -> str:
    """A white triangle with a coloured outline and ``glyph`` (escaped): a context point
    (supply site, substation, sensitive site) — a shape no station family uses."""
    color = safe_color(color)
    h = round(px * 0.9)
    size = 8 if len(glyph) < 2 else 6.5
    return (f'<svg width="{px}" height="{h}" viewBox="0 0 {px} {h}" style="display:block">'
            f'<polygon points="{px / 2:g},1 {px - 1},{h - 1} 1,{h - 1}" fill="#ffffff" '
            f'stroke="{color}" stroke-width="2" stroke-linejoin="round"/>'
            f'<text x="{px / 2:g}" y="{h - 3}" text-anchor="middle" fill="{color}" '
            f'font-family="sans-serif" font-weight="700" font-size="{size}">'
            f"{html_text(glyph)}</text></svg>")
