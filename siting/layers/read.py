"""The public read API: :func:`read_layer`, every input layer read, checked and in WGS84.

The checks run in the order the package docstring (:mod:`siting.layers`) lists them; each
step lives in its own module: opening the file (:mod:`.files`), columns (:mod:`.columns`),
geometries (:mod:`.geometry`), the CRS and coordinates (:mod:`.coordinates`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from siting import tables
from siting._errors import InputDataError, ScenarioError
from siting.crs import WGS84, shift_geometries
from siting.layers.columns import check_column, check_unique, find_column, match_columns
from siting.layers.coordinates import check_in_china, to_wgs84
from siting.layers.files import read_any
from siting.layers.geometry import FAMILIES, check_geometries, repair_polygons
from siting.layers.records import RowIds, row_ids
from siting.scenario import LayerSpec, NetworkSpec

logger = logging.getLogger(__name__)


def read_layer(
    spec: LayerSpec | NetworkSpec | str | Path,
    *,
    what: str,
    required: Mapping[str, str],
    geom: str,
    id_column: str | None = None,
    optional: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read, check and normalise one input layer.

    Parameters
    ----------
    spec
        The scenario's layer entry (``path``, ``layer``, ``crs``, ``coords``; a
        :class:`~siting.scenario.NetworkSpec` with a ``path`` works too), or a bare path (then
        the file must carry its own CRS and WGS84 coordinates).
    what
        The scenario section the layer comes from (``"demand"``, ``"candidates"``,
        ``"zones"``, ``"hydrogen.supply"`` ...); used in messages as ``[what]``.
    required
        ``{column: kind}`` with kind ``"number"`` (float, finite, >= 0), ``"int"`` (whole
        number >= 0) or ``"text"`` (non-empty; numbers are turned into text, ``1.0`` -> "1").
    geom
        Expected geometry family: ``"point"``, ``"line"``, ``"polygon"``, or ``"any"`` (mixed
        layers, e.g. sensitive sites drawn as points or outlines).
    id_column
        Column holding feature ids: checked unique and named in every row error.
    optional
        ``{column: kind}`` checked like ``required`` when present, ignored when absent.

    Returns
    -------
    geopandas.GeoDataFrame
        In **EPSG:4326** (WGS84 lon/lat degrees), 2-D geometries, index 0..n-1 in file order;
        checked columns converted to float64 / int64 / str.

    Raises
    ------
    ScenarioError
        The file is missing or cannot be read.
    InputDataError
        Empty layer, missing column, bad value, duplicate id or bad geometry.
    CRSMismatchError
        No CRS anywhere, or coordinates that are not possible lon/lat after reprojection.
    """
    spec, file = _layer_spec(spec, what, geom)
    gdf, path = _open(spec, file, what)
    gdf, checks, shown = _columns(gdf, path, what, required, optional, id_column)
    ids = row_ids(gdf, id_column)
    gdf = check_geometries(gdf, path, what, geom, ids)
    gdf, coords = to_wgs84(gdf, path, spec, what, ids)
    check_in_china(gdf, path, what, ids, coords)
    for col, kind in checks.items():
        gdf[col] = check_column(gdf[col], kind, path, what, shown.get(col, col), ids)
    if id_column is not None:
        _normalise_ids(gdf, path, what, id_column, ids)
    if geom in ("polygon", "any"):
        gdf = repair_polygons(gdf, path, what, ids)
    if coords != "wgs84":
        logger.info("%s: shifting %d %s features from %s to WGS84", path, len(gdf), what,
                    coords.upper())
        gdf = gdf.set_geometry(gpd.GeoSeries(
            shift_geometries(gdf.geometry.values, coords, "wgs84"), index=gdf.index, crs=WGS84))
    return gdf


def _layer_spec(spec: LayerSpec | NetworkSpec | str | Path, what: str, geom: str
                ) -> tuple[LayerSpec | NetworkSpec, Path]:
    """``spec`` as a scenario entry (a bare path becomes one) and its file; refuse an entry
    without a file and an unknown geometry family."""
    if isinstance(spec, (str, Path)):
        spec = LayerSpec(path=Path(spec))
    if spec.path is None:
        msg = f"read_layer: the [{what}] entry names no file (path is missing)"
        raise ScenarioError(msg)
    if geom not in FAMILIES:
        msg = f"geom must be one of {list(FAMILIES)}, got {geom!r}"
        raise ValueError(msg)
    return spec, Path(spec.path)


def _open(spec: LayerSpec | NetworkSpec, file: Path, what: str
          ) -> tuple[gpd.GeoDataFrame, Path]:
    """The layer's features (index 0..n-1 in file order) and how messages name its source
    (the path, or a workbook's sheet); an empty layer is refused."""
    gdf = read_any(file, spec, what)
    path = tables.source_of(spec, what)  # + sheet of a workbook
    if len(gdf) == 0:
        msg = (f"{path}: the {what} layer has no features; add features or point [{what}] "
               "to another file/layer")
        raise InputDataError(msg)
    return gdf.reset_index(drop=True), path  # type: ignore[return-value]  # a SheetSource too


def _columns(gdf: gpd.GeoDataFrame, path: Path, what: str, required: Mapping[str, str],
             optional: Mapping[str, str] | None, id_column: str | None
             ) -> tuple[gpd.GeoDataFrame, dict[str, str], dict[str, str]]:
    """The layer with its columns named as asked (Chinese aliases and letter case).

    Returns the frame, ``{column: kind}`` to check (the required ones and the optional ones
    present) and the columns' names as the file spells them, for messages.
    """
    checks = dict(required)
    gdf, shown = tables.apply_aliases(gdf, [*checks, *(optional or {}), id_column])  # 车辆数 ...
    gdf = match_columns(gdf, path, what, checks, id_column)
    present_optional = {c: k for c, k in (optional or {}).items()
                        if find_column(gdf, c) is not None}
    gdf = match_columns(gdf, path, what, present_optional, None)
    checks.update(present_optional)
    return gdf, checks, shown


def _normalise_ids(gdf: gpd.GeoDataFrame, path: Path, what: str, id_column: str,
                   ids: RowIds | None) -> None:
    """Replace the id column by the ids as text (:func:`~.records.id_text`), checked unique."""
    raw_ids = gdf[id_column]
    gdf[id_column] = pd.Series(ids.values if ids is not None else [], index=gdf.index,
                               dtype=object)
    check_unique(gdf[id_column], raw_ids, path, what, id_column)
