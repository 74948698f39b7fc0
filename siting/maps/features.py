"""GeoJSON features and popups as text, ready for a ``<script>`` in the page.

Geometries are written with 5 decimals (~1 m); properties go through
:func:`siting._escape.script_json`; popup HTML escapes every label and value here, so no
caller hands user text to the page unescaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from siting._escape import html_text, script_json

__all__ = ["collection", "feature", "geojson", "js", "popup_html", "round_coords"]


def round_coords(geoms: np.ndarray, digits: int = 5) -> np.ndarray:
    """Geometries with every coordinate rounded to ``digits`` decimals (degrees: 5 ≈ 1 m)."""
    return shapely.transform(geoms, lambda c: np.round(c, digits))


def geojson(gdf: gpd.GeoDataFrame, simplify: float = 0.0) -> list[str]:
    """GeoJSON geometry text per row, simplified by ``simplify`` degrees first when > 0."""
    geoms = gdf.geometry.to_numpy()
    if simplify:
        geoms = shapely.simplify(geoms, simplify, preserve_topology=True)
    return list(shapely.to_geojson(round_coords(geoms)))


def feature(geometry_json: str, props: dict[str, Any]) -> str:
    """One GeoJSON Feature as text (``props`` as script-safe JSON)."""
    return f'{{"type":"Feature","geometry":{geometry_json},"properties":{js(props)}}}'


def collection(features: Sequence[str]) -> str:
    """A GeoJSON FeatureCollection of pre-built feature texts."""
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def js(obj: object) -> str:
    """JSON for a ``<script>`` (see :func:`siting._escape.script_json`)."""
    return script_json(obj)


def popup_html(title: str, rows: Sequence[tuple[str, str]]) -> str:
    """Popup HTML; every label and value is escaped here (rows with an empty value dropped)."""
    body = "".join(f"<tr><td>{html_text(k)}</td><td>{html_text(v)}</td></tr>"
                   for k, v in rows if v not in ("", None))
    return f'<div class="siting-pop"><b>{html_text(title)}</b><table>{body}</table></div>'
