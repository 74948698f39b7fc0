"""Candidate sites × station types → buildable options, with the siting rules applied.

Every candidate row allows some station types (``allowed_types``, ``;``-separated ids). Each
(site, type) pair becomes an *option* unless a rule excludes it; the reason is recorded either
way and shown on the map and in ``results.gpkg``:

- **hydrogen supply** — a type serving hydrogen without on-site production needs a supply site
  within ``hydrogen.delivery_km`` (straight-line distance; trailers drive further, so keep the
  limit conservative);
- **setbacks** — types serving a pathway in ``setbacks.applies_to`` keep ``distance_m[category]``
  from every sensitive site of that category (GB 50516 figures in the bundled scenario);
- **grid** — each site draws from its nearest substation; the model caps the summed ``grid_kw``
  of the stations on one substation at its spare capacity.

Existing stations become options fixed open at zero capital cost.
All distances are computed in the network's metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from siting._errors import InputDataError, echo
from siting.crs import layer_utm_crs, point_xy
from siting.layers import feature_label
from siting.scenario import Scenario, suggest

#: Columns of the candidate layer (name → kind).
CANDIDATE_COLUMNS: dict[str, str] = {"site_id": "text", "allowed_types": "text"}
#: Columns of the existing-stations layer.
EXISTING_COLUMNS: dict[str, str] = {"site_id": "text", "station_type": "text"}

OPTION_COLUMNS = [
    "option", "site_idx", "site_id", "name", "station_type", "serves", "capex", "capacity",
    "capacity_unit", "h2_capacity", "grid_kw", "existing", "zone", "zones", "substation",
    "supply_id", "supply_km", "eligible_reason",
]


@dataclass(frozen=True)
class RuleLayers:
    """The optional rule layers, each in EPSG:4326 (None when the scenario has no such rule)."""

    zones: gpd.GeoDataFrame | None = None
    supply: gpd.GeoDataFrame | None = None
    sensitive: gpd.GeoDataFrame | None = None
    substations: gpd.GeoDataFrame | None = None


def build_options(candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None,
                  scenario: Scenario, rules: RuleLayers, metric_crs: str, *,
                  source: str = "candidates layer",
                  existing_source: str = "existing layer",
                  ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Apply the rules and list the buildable (site, station type) options.

    Parameters
    ----------
    candidates
        Points in EPSG:4326 with ``site_id``, ``allowed_types`` and optionally ``name`` and
        ``capex_factor``.
    existing
        Existing stations (points, EPSG:4326: ``site_id``, ``station_type``, optional ``name``)
        or None. They are appended to the sites and fixed open at zero cost.
    scenario
        Station types and rule settings.
    rules
        Zones, hydrogen supply sites, sensitive sites and substations.
    metric_crs
        Projected CRS (metres) used for distances.

    Returns
    -------
    sites, options
        ``sites``: candidates plus existing stations (EPSG:4326) with ``zone``, ``zones``,
        ``existing``, ``substation`` and ``rule_outcome``; ``options``: one row per eligible
        (site, type) — see ``OPTION_COLUMNS``; ``site_idx`` indexes ``sites``.
    """
    type_ids = [t.id for t in scenario.station_types]
    sites = _stack_sites(candidates, existing, type_ids, source, existing_source)
    xy = point_xy(sites, metric_crs)

    zone_of, zones_of = _zones(sites, rules.zones)
    substation, _ = _nearest(xy, rules.substations, metric_crs,
                             scenario.grid.id_column if scenario.grid else "substation_id")
    sites["zone"] = zone_of
    sites["zones"] = zones_of
    sites["substation"] = substation

    supply_id, supply_m = _nearest(xy, rules.supply, metric_crs, "supply_id")
    setback_fail = _setback_failures(xy, rules.sensitive, scenario, metric_crs)

    rows: list[dict] = []
    outcome: list[str] = []
    for i, (allowed, is_existing) in enumerate(zip(sites["_types"], sites["existing"])):
        notes = []
        for tid in allowed:
            st = scenario.station_type(tid)
            reason = _exclusion(st, scenario, supply_id[i], supply_m[i], setback_fail, i)
            if reason and not is_existing:
                notes.append(f"{tid}: excluded — {reason}")
                continue
            why = "existing station" if is_existing else _eligibility(st, scenario,
                                                                      supply_id[i], supply_m[i])
            notes.append(f"{tid}: {why}")
            factor = float(sites["capex_factor"].iloc[i])
            rows.append({
                "site_idx": i, "site_id": sites["site_id"].iloc[i], "name": sites["name"].iloc[i],
                "station_type": tid, "serves": tuple(st.serves),
                "capex": 0.0 if is_existing else st.capex * factor,
                "capacity": st.capacity, "capacity_unit": st.capacity_unit,
                "h2_capacity": st.capacity_for("hydrogen"),
                "grid_kw": st.grid_kw, "existing": bool(is_existing), "zone": zone_of[i],
                "zones": zones_of[i], "substation": substation[i],
                "supply_id": supply_id[i] if "hydrogen" in st.serves else "",
                "supply_km": (supply_m[i] / 1000.0 if "hydrogen" in st.serves
                              and np.isfinite(supply_m[i]) else np.nan),
                "eligible_reason": why,
            })
        outcome.append("; ".join(notes))
    sites["rule_outcome"] = outcome
    sites = sites.drop(columns=["_types"])
    options = pd.DataFrame(rows, columns=[c for c in OPTION_COLUMNS if c != "option"])
    options.insert(0, "option", np.arange(len(options)))
    return sites, options


# --------------------------------------------------------------------------- helpers
def _stack_sites(candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None,
                 type_ids: list[str], source: str, existing_source: str) -> gpd.GeoDataFrame:
    cand = candidates.copy()
    cand["_types"] = [
        _parse_types(v, type_ids, source, r, sid)
        for r, (v, sid) in enumerate(zip(cand["allowed_types"], cand["site_id"]))
    ]
    cand["existing"] = False
    frames = [cand]
    if existing is not None and len(existing):
        ex = existing.copy()
        ex["_types"] = [
            _parse_types(v, type_ids, existing_source, r, sid)
            for r, (v, sid) in enumerate(zip(ex["station_type"], ex["site_id"]))
        ]
        ex["existing"] = True
        ex["allowed_types"] = ex["station_type"]
        cand_ids = cand["site_id"].astype(str).tolist()
        for r, sid in enumerate(ex["site_id"].astype(str)):
            if sid in cand_ids:
                other = feature_label(source, cand_ids.index(sid), sid, "site_id")
                msg = (f"{feature_label(existing_source, r, sid, 'site_id')}: the same site_id "
                       f"as {other}; give existing stations their own ids")
                raise InputDataError(msg)
        frames.append(ex)
    sites = pd.concat(frames, ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=candidates.crs)
    sites["site_id"] = sites["site_id"].astype(str)
    if "name" not in sites.columns:
        sites["name"] = sites["site_id"]
    sites["name"] = sites["name"].fillna(sites["site_id"]).astype(str)
    if "capex_factor" not in sites.columns:
        sites["capex_factor"] = 1.0
    raw = sites["capex_factor"]
    factor = pd.to_numeric(raw, errors="coerce")
    bad = (factor.isna() & raw.notna() & (raw.astype(str).str.strip() != "")) | ~(
        np.isfinite(factor.fillna(1.0)) & (factor.fillna(1.0) >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        src = source if i < len(candidates) else existing_source
        row = i if i < len(candidates) else i - len(candidates)
        v = raw.iloc[i]
        shown = echo(v)
        msg = (f"{feature_label(src, row, sites['site_id'].iloc[i], 'site_id')}: capex_factor "
               f"is {shown}; give a number >= 0 (1 = the station type's capex), or "
               "leave it empty")
        raise InputDataError(msg)
    sites["capex_factor"] = factor.fillna(1.0)
    return sites


def _parse_types(value: object, type_ids: list[str], source: str, row: int,
                 site_id: object) -> list[str]:
    parts = [p.strip() for p in str(value if value is not None else "").replace(",", ";")
             .split(";") if p.strip()]
    if not parts:
        msg = (f"{feature_label(source, row, site_id, 'site_id')}: allowed_types is empty; "
               f"list station type ids separated by ';' from {type_ids}")
        raise InputDataError(msg)
    for p in parts:
        if p not in type_ids:
            msg = (f"{feature_label(source, row, site_id, 'site_id')}: unknown station type "
                   f"{echo(p)}{suggest(p, type_ids)}; use ids from the scenario's station_types "
                   f"{type_ids}")
            raise InputDataError(msg)
    return parts


def _zones(sites: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> tuple[list[str], list[str]]:
    """Most specific (smallest) zone of each site, and every zone containing it (';'-joined)."""
    n = len(sites)
    if zones is None or not len(zones):
        return [""] * n, [""] * n
    z = zones[["zone_id", "geometry"]].copy()
    z["_area"] = z.geometry.to_crs(layer_utm_crs(z.geometry)).area
    joined = gpd.sjoin(sites[["geometry"]].reset_index(names="_site"), z, how="inner",
                       predicate="within")
    joined = joined.sort_values(["_site", "_area", "zone_id"])
    zone_of = [""] * n
    zones_of = [""] * n
    for site, grp in joined.groupby("_site", sort=False):
        ids = grp["zone_id"].astype(str).tolist()
        zone_of[int(site)] = ids[0]
        zones_of[int(site)] = ";".join(sorted(ids))
    return zone_of, zones_of


def _nearest(xy: np.ndarray, layer: gpd.GeoDataFrame | None, crs: str,
             id_column: str) -> tuple[list[str], np.ndarray]:
    """Id of and distance (m) to the nearest feature of ``layer`` for each site."""
    n = len(xy)
    if layer is None or not len(layer) or n == 0:
        return [""] * n, np.full(n, np.inf)
    pts = point_xy(gpd.GeoDataFrame(geometry=layer.geometry.representative_point(), crs=layer.crs),
              crs)
    dist, idx = cKDTree(pts).query(xy)
    ids = layer[id_column].astype(str).to_numpy()[idx]
    return list(ids), np.asarray(dist, dtype=float)


def _setback_failures(xy: np.ndarray, sensitive: gpd.GeoDataFrame | None, scenario: Scenario,
                      crs: str) -> dict[int, str]:
    """Site index → the first setback it breaks (text), for sites breaking any."""
    if sensitive is None or scenario.setbacks is None or not len(sensitive) or not len(xy):
        return {}
    spec = scenario.setbacks
    geoms = sensitive.geometry.to_crs(crs)
    cats = sensitive[spec.category_column].astype(str).to_numpy()
    names = (sensitive["name"].astype(str).to_numpy() if "name" in sensitive.columns
             else np.array([f"#{k + 1}" for k in range(len(sensitive))]))
    site_pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)
    fails: dict[int, str] = {}
    for cat, need in sorted(spec.distance_m.items()):
        sel = np.flatnonzero(cats == cat)
        if not len(sel) or need <= 0:
            continue
        sub = gpd.GeoDataFrame({"_k": sel}, geometry=geoms.iloc[sel].to_numpy(), crs=crs)
        near = gpd.sjoin_nearest(gpd.GeoDataFrame(geometry=site_pts), sub, how="left",
                                 distance_col="_d")
        near = near[~near.index.duplicated(keep="first")]
        for i, (d, k) in enumerate(zip(near["_d"].to_numpy(), near["_k"].to_numpy())):
            if i not in fails and d < need:
                fails[i] = (f"{d:.0f} m from {cat} '{names[int(k)]}' (setback {need:.0f} m)")
    return fails


def _exclusion(st, scenario: Scenario, supply_id: str, supply_m: float,
               setback_fail: dict[int, str], site: int) -> str:
    """Why this type may not be built at this site, or ''."""
    if (scenario.setbacks is not None and set(st.serves) & set(scenario.setbacks.applies_to)
            and site in setback_fail):
        return setback_fail[site]
    if "hydrogen" in st.serves and not st.onsite_production and scenario.hydrogen is not None:
        limit_m = scenario.hydrogen.delivery_km * 1000.0
        if not np.isfinite(supply_m):
            return "no hydrogen supply site given"
        if supply_m > limit_m:
            return (f"nearest hydrogen supply '{supply_id}' is {supply_m / 1000:.1f} km away "
                    f"(delivery limit {scenario.hydrogen.delivery_km:g} km)")
    return ""


def _eligibility(st, scenario: Scenario, supply_id: str, supply_m: float) -> str:
    """Which rule made this (site, type) eligible, in words."""
    parts = ["allowed by the site"]
    if "hydrogen" in st.serves:
        if st.onsite_production:
            parts.append("on-site hydrogen production")
        elif scenario.hydrogen is not None and np.isfinite(supply_m):
            parts.append(f"supply '{supply_id}' {supply_m / 1000:.1f} km away")
    if scenario.setbacks is not None and set(st.serves) & set(scenario.setbacks.applies_to):
        parts.append("setbacks met")
    return ", ".join(parts)
