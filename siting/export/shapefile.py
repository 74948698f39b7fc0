"""Shapefiles: GBK text with a ``.cpg``, ASCII field names of at most 10 characters."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd

from siting._csv import write_csv
from siting.crs import WGS84, parse_crs
from siting.export.geopackage import gis_ready, result_layers
from siting.results import SitingResult

logger = logging.getLogger(__name__)

#: Shapefile (DBF) field names: at most 10 ASCII characters.
SHAPEFILE_FIELDS: dict[str, str] = {
    "station_type": "st_type", "capacity_unit": "cap_unit", "served_demand": "srv_demand",
    "served_energy": "srv_energy", "n_demand_served": "n_srv_dem", "demand_id": "demand_id",
    "vehicle_class": "veh_class", "energy_unit": "en_unit", "threshold_s": "thresh_s",
    "served_share": "srv_share", "served_by": "served_by", "allowed_types": "allow_type",
    "rule_outcome": "rule_out", "threshold_min": "thresh_min", "capex_factor": "capex_fac",
}
SHAPEFILE_LAYERS: tuple[str, ...] = ("stations", "demand", "candidates", "coverage_areas")


# =========================================================================== Shapefile
def shapefile_field_names(columns: list[str]) -> dict[str, str]:
    """Map column names to unique DBF field names of at most 10 ASCII characters.

    Known columns use :data:`SHAPEFILE_FIELDS`; others are reduced to ASCII letters, digits
    and ``_``, cut to 10 characters, and numbered when they would collide (``field_1`` for a
    name with no ASCII letters at all).
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        base = SHAPEFILE_FIELDS.get(col) or re.sub(r"[^A-Za-z0-9_]", "", str(col))[:10]
        if not base:
            base = "field"
        name = base
        k = 1
        while name.lower() in used or name == "field":
            suffix = f"_{k}"
            name = base[: 10 - len(suffix)] + suffix
            k += 1
        used.add(name.lower())
        out[col] = name
    return out


def _gbk_safe(v: Any, max_bytes: int = 254) -> Any:
    """Text that GBK can encode, at most ``max_bytes`` bytes (the DBF field limit)."""
    if not isinstance(v, str):
        return v
    data = v.encode("gbk", errors="replace")
    if len(data) > max_bytes:
        data = data[:max_bytes]
    return data.decode("gbk", errors="ignore")


def write_shapefile(result: SitingResult, out_dir: str | Path,
                    crs: str | None = None) -> list[Path]:
    """Write stations, demand, candidates and coverage areas as GBK Shapefiles.

    For desktop GIS that still expects Shapefiles (common in Chinese planning offices):
    text is encoded GBK (characters GBK lacks become ``?``, text is cut at 254 bytes) and a
    ``.cpg`` file says so; field names are ASCII, at most 10 characters, listed with the full
    column names in ``shapefile_fields.csv`` (UTF-8 with BOM).

    Parameters
    ----------
    result
        The solved plan.
    out_dir
        Folder (created if needed).
    crs
        Output CRS (default WGS84); see :func:`siting.crs.to_output_crs`.

    Returns
    -------
    list of pathlib.Path
        The ``.shp`` files written (empty layers are skipped).
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = parse_crs(crs) if crs else WGS84
    layers = result_layers(result)
    written = []
    rows = [("layer", "field", "column")]
    for name in SHAPEFILE_LAYERS:
        gdf = layers.get(name)
        if gdf is None or len(gdf) == 0:
            logger.info("shapefile: layer %s is empty, not written", name)
            continue
        ready = gis_ready(gdf, target)
        geom = ready.geometry.name
        names = shapefile_field_names([c for c in ready.columns if c != geom])
        ready = ready.rename(columns=names)
        for col in names.values():
            if ready[col].dtype == object or pd.api.types.is_string_dtype(ready[col]):
                ready[col] = ready[col].map(_gbk_safe).astype(object)
        path = folder / f"{name}.shp"
        ready.to_file(path, driver="ESRI Shapefile", encoding="GBK", engine="pyogrio")
        cpg = path.with_suffix(".cpg")
        if not cpg.exists() or cpg.read_text(encoding="ascii", errors="replace").strip() \
                .upper() not in ("GBK", "CP936", "936"):
            cpg.write_text("GBK", encoding="ascii")
        rows += [(name, short, full) for full, short in names.items()]
        written.append(path)
    write_csv(folder / "shapefile_fields.csv", rows[1:], header=rows[0])
    return written


