"""Map symbology: share-served colours, circle sizes, station and extra-layer icons.

Icons are inline-styled HTML (no icon font, no image files), so the page needs nothing but
Leaflet. Every text in an icon is HTML-escaped; colours from the scenario pass
:func:`safe_color` before they reach inline CSS.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import numpy as np

from siting._escape import html_text
from siting.i18n import t

__all__ = [
    "DEFAULT_COLOR", "EXCLUDED_ICON", "HIDDEN_EXTRAS", "ICON_PX", "ROAD_WEIGHT", "SHARE_CLASSES",
    "extra_icon_html", "extra_look", "radius_px", "safe_color", "share_color",
    "station_icon_html",
]

logger = logging.getLogger(__name__)

#: Share-served classes: (upper bound, exclusive; colour; label).
SHARE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.005, "#d73027", "0%"),
    (0.5, "#fc8d59", "1–49%"),
    (0.995, "#91cf60", "50–99%"),
    (math.inf, "#1a9850", "100%"),
)
#: Colour of station types the scenario does not define (and of unsafe colours).
DEFAULT_COLOR = "#555555"
#: Station marker size, CSS pixels.
ICON_PX = 24
#: Road line width (px) by OSM class (``_link`` roads as their class); others 1.0.
ROAD_WEIGHT: dict[str, float] = {"motorway": 3.0, "trunk": 3.0, "primary": 2.2, "secondary": 1.8}
#: Extra layers whose key contains one of these start hidden.
HIDDEN_EXTRAS: tuple[str, ...] = ("substation", "sensitive")
#: The cross drawn for excluded candidate sites (a Leaflet ``divIcon`` spec).
EXCLUDED_ICON: dict[str, Any] = {
    "html": '<div style="color:#b03030;font:700 14px/14px sans-serif;text-align:center;'
            'text-shadow:0 0 2px #fff">✕</div>',
    "className": "siting-excluded", "iconSize": [14, 14], "iconAnchor": [7, 7],
}

_COLOR_RE = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\(\s*[\d.%\s,]+\))$")
_R_MIN, _R_MAX = 3.0, 16.0
#: Extra layers: (key fragment, i18n key, colour, glyph); the first fragment found wins.
_EXTRA_STYLES: tuple[tuple[str, str, str, str], ...] = (
    ("corridor", "layer.corridors", "#6a3d9a", "→"),
    ("substation", "layer.substations", "#b8860b", "⚡"),
    ("sensitive", "layer.sensitive_sites", "#c0392b", "!"),
    ("h2", "layer.h2_supply", "#0e7c86", "H"),
    ("hydrogen", "layer.h2_supply", "#0e7c86", "H"),
    ("supply", "layer.h2_supply", "#0e7c86", "H"),
)


def share_color(share: float) -> str:
    """Colour of a served share (0-1) from :data:`SHARE_CLASSES`."""
    for upper, color, _ in SHARE_CLASSES:
        if share < upper:
            return color
    return SHARE_CLASSES[-1][1]


def radius_px(e_kwh: np.ndarray, e_max: float) -> np.ndarray:
    """Circle radius in pixels for daily energy: area ∝ energy, at least 3 px, 16 px at max."""
    e = np.nan_to_num(np.asarray(e_kwh, float), nan=0.0)
    if not e_max > 0:
        return np.full(e.shape, _R_MIN)
    return np.maximum(_R_MIN, _R_MAX * np.sqrt(np.clip(e, 0, None) / e_max))


def safe_color(color: object) -> str:
    """``color`` when it is a plain CSS colour (hex, name, rgb()/rgba()), else grey (logged)."""
    c = str(color or "").strip()
    if _COLOR_RE.match(c):
        return c
    logger.warning("station colour %r is not a plain CSS colour; using grey", c)
    return DEFAULT_COLOR


def station_icon_html(color: str, glyph: str, family: str, *, existing: bool = False,
                      site_id: str = "", px: int = ICON_PX) -> str:
    """Inline-styled HTML of a station marker (no icon font needed).

    Shape by family: circle = charging, rounded square = swap, diamond = hydrogen. New
    stations are filled with the type colour; existing ones are outlined (white fill).

    Parameters
    ----------
    color
        CSS colour of the station type (anything not a plain colour becomes grey).
    glyph
        One or two characters drawn in the middle (escaped).
    family
        ``"charging"``, ``"swap"`` or ``"hydrogen"``.
    existing
        Outline style for stations that already exist.
    site_id
        Written (escaped) into a ``data-site`` attribute, for tests and scripting.
    px
        Icon size in CSS pixels.
    """
    color = safe_color(color)
    fill, ink, border = ("#ffffff", color, f"3px solid {color}") if existing else (
        color, "#ffffff", "2px solid #ffffff")
    radius = {"charging": "50%", "swap": "5px"}.get(family, "3px")
    rotate = "transform:rotate(45deg);" if family == "hydrogen" else ""
    unrotate = "transform:rotate(-45deg);" if family == "hydrogen" else ""
    inner = px - 6 if family == "hydrogen" else px
    return (
        f'<div class="siting-icon" data-site="{html_text(site_id, quote=True)}" '
        f'style="box-sizing:border-box;width:{inner}px;height:{inner}px;margin:'
        f"{(px - inner) // 2}px;background:{fill};border:{border};border-radius:{radius};"
        f"{rotate}box-shadow:0 1px 3px rgba(0,0,0,.5);display:flex;align-items:center;"
        f'justify-content:center"><span style="{unrotate}color:{ink};'
        f'font:700 {max(8, round(inner * 0.5))}px/1 sans-serif">{html_text(glyph[:2])}'
        "</span></div>")


def extra_look(key: str, lang: str) -> tuple[str, str, str]:
    """(display name, colour, glyph) of an extra layer from its key."""
    low = key.lower()
    for frag, label, color, glyph in _EXTRA_STYLES:
        if frag in low:
            return t(label, lang), color, glyph
    return key, "#444444", "•"


def extra_icon_html(color: str, glyph: str, px: int = 18) -> str:
    """A diamond with ``glyph`` (escaped) for the points of an extra layer."""
    return (f'<div style="width:{px - 4}px;height:{px - 4}px;background:#fff;border:2px solid '
            f"{color};color:{color};transform:rotate(45deg);display:flex;align-items:center;"
            f'justify-content:center"><span style="transform:rotate(-45deg);'
            f'font:700 10px sans-serif">{html_text(glyph)}</span></div>')
