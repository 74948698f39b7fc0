"""GeoJSON features and popups as text, ready for a ``<script>`` in the page.

Geometries are written with 5 decimals (~1 m); properties go through
:func:`siting._escape.script_json`; popup HTML escapes every label and value here, so no
caller hands user text to the page unescaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from siting._escape import html_text, script_json

__all__ = ["PopupTable", "collection", "feature", "geojson", "js", "popup_html",
           "round_coords"]


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


@dataclass(frozen=True)
class PopupTable:
    """A small table in a popup: a header row and body rows of display text."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]


def popup_html(title: str, rows: Sequence[tuple[str, str]], *,
               tables: Sequence[PopupTable] = (), after: Sequence[tuple[str, str]] = ()) -> str:
    """Popup HTML; every label and value is escaped here (rows with an empty value dropped).

    ``rows`` are (label, value) pairs, then each of ``tables``, then the ``after`` pairs.
    """
    def pairs(items: Sequence[tuple[str, str]]) -> str:
        body = "".join(f"<tr><td>{html_text(k)}</td><td>{html_text(v)}</td></tr>"
                       for k, v in items if v not in ("", None))
        return f"<table>{body}</table>" if body else ""

    grids = "".join(
        '<table class="grid"><tr>' + "".join(f"<th>{html_text(h)}</th>" for h in tb.header)
        + "</tr>" + "".join("<tr>" + "".join(f"<td>{html_text(c)}</td>" for c in r) + "</tr>"
                            for r in tb.rows) + "</table>"
        for tb in tables)
    return (f'<div class="siting-pop"><b>{html_text(title)}</b>{pairs(rows)}{grids}'
            f"{pairs(after)}</div>")
