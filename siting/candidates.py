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

The rule outcomes are written in the scenario's language (``scenario.lang``, which a run's
``--lang`` sets) from the ``rule.*`` labels of :mod:`siting.i18n`: station types by their name
in that language, distances with their unit. ``excluded_types`` lists, per site, the type ids
a rule excluded (``;``-joined), for code that needs the outcome rather than the text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from siting._errors import InputDataError, echo
from siting.crs import layer_utm_crs, point_xy
from siting.i18n import LABELS, t
from siting.layers import feature_label
from siting.layers.columns import to_numbers, truth_text
from siting.scenario import Scenario, StationType, suggest
from siting.supply import SupplyDistances, straight_line

#: Columns of the candidate layer (name → kind).
CANDIDATE_COLUMNS: dict[str, str] = {"site_id": "text", "allowed_types": "text"}
#: Columns of the existing-stations layer.
EXISTING_COLUMNS: dict[str, str] = {"site_id": "text", "station_type": "text"}

OPTION_COLUMNS = [
    "option", "site_idx", "site_id", "name", "station_type", "serves", "capex", "capacity",
    "capacity_unit", "h2_capacity", "grid_kw", "existing", "zone", "zones", "substation",
    "supply_id", "supply_km", "eligible_reason", "vehicles_cap", "vehicle_classes",
    "supply_basis", "delivered_h2", "supply_reach",
]
#: Optional columns of the existing-stations layer: what is left for the planned fleets.
SPARE_COLUMNS: dict[str, str] = {"spare_capacity": "number", "spare_vehicles_per_day": "number"}


@dataclass(frozen=True)
class RuleLayers:
    """The optional rule layers, each in EPSG:4326 (None when the scenario has no such rule)."""

    zones: gpd.GeoDataFrame | None = None
    supply: gpd.GeoDataFrame | None = None
    sensitive: gpd.GeoDataFrame | None = None
    substations: gpd.GeoDataFrame | None = None


def build_options(candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None,
                  scenario: Scenario, rules: RuleLayers, metric_crs: str, *,
                  source: str | Path = "candidates layer",
                  existing_source: str | Path = "existing layer",
                  supply_distances: Callable[[np.ndarray], SupplyDistances] | None = None,
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
    supply_distances
        ``supply_distances(site_xy)`` gives the distances from the hydrogen supply sites to
        the sites (``site_xy`` in ``metric_crs``): the pipeline measures them on the roads
        (:func:`siting.supply.road_distances`). None: straight lines.

    Returns
    -------
    sites, options
        ``sites``: candidates plus existing stations (EPSG:4326) with ``zone``, ``zones``,
        ``existing``, ``substation`` and ``rule_outcome``; ``options``: one row per eligible
        (site, type) — see ``OPTION_COLUMNS``; ``site_idx`` indexes ``sites``.
    """
    type_ids = [t.id for t in scenario.station_types]
    sites = _stack_sites(candidates, existing, type_ids, source, existing_source)
    facts = _site_facts(sites, scenario, rules, metric_crs, supply_distances)
    sites["zone"] = facts.zone_of
    sites["zones"] = facts.zones_of
    sites["substation"] = facts.substation
    rows: list[dict[str, object]] = []
    outcome: list[str] = []
    excluded: list[str] = []
    for i, (allowed, is_existing) in enumerate(zip(sites["_types"], sites["existing"])):
        site_rows, notes, out = _site_options(sites, i, allowed, bool(is_existing), scenario,
                                              facts, existing_source)
        rows.extend(site_rows)
        outcome.append(t("rule.sep", scenario.lang).join(notes))
        excluded.append(";".join(out))
    return _with_outcomes(sites, outcome, excluded), _options_table(rows)


# --------------------------------------------------------------------------- rule steps
@dataclass(frozen=True)
class _SiteFacts:
    """What the rules know of each site (lists and arrays in the order of the stacked sites).

    Attributes
    ----------
    zone_of, zones_of
        Most specific zone id, and every zone id containing the site (``;``-joined).
    substation
        Id of the nearest substation ("" without a substation layer).
    supply
        Distances from every hydrogen supply site (:class:`siting.supply.SupplyDistances`).
    supply_id, supply_m, supply_road
        Nearest supply site: its id, its distance in metres (``inf`` when none) and whether
        that distance was measured on the roads.
    setback_fail
        Site index → the first setback it breaks (text in the scenario's language).
    """

    zone_of: list[str]
    zones_of: list[str]
    substation: list[str]
    supply: SupplyDistances
    supply_id: list[str]
    supply_m: np.ndarray
    supply_road: np.ndarray
    setback_fail: dict[int, str]


def _site_facts(sites: gpd.GeoDataFrame, scenario: Scenario, rules: RuleLayers,
                metric_crs: str,
                supply_distances: Callable[[np.ndarray], SupplyDistances] | None,
                ) -> _SiteFacts:
    """Zones, nearest substation, supply distances and setback breaches of every site.

    Distances are measured in ``metric_crs`` (metres); ``sites`` is in EPSG:4326.
    """
    xy = point_xy(sites, metric_crs)
    zone_of, zones_of = _zones(sites, rules.zones)
    substation, _ = _nearest(xy, rules.substations, metric_crs,
                             scenario.grid.id_column if scenario.grid else "substation_id")
    sd = _supply(xy, rules.supply, metric_crs, supply_distances)
    supply_id, supply_km, supply_road = sd.nearest()
    return _SiteFacts(zone_of=zone_of, zones_of=zones_of, substation=substation, supply=sd,
                      supply_id=supply_id, supply_m=supply_km * 1000.0, supply_road=supply_road,
                      setback_fail=_setback_failures(xy, rules.sensitive, scenario, metric_crs))


def _site_options(sites: gpd.GeoDataFrame, i: int, allowed: list[str], is_existing: bool,
                  scenario: Scenario, facts: _SiteFacts, existing_source: str | Path,
                  ) -> tuple[list[dict[str, object]], list[str], list[str]]:
    """The rules applied to each type site ``i`` allows.

    Returns the option rows of the eligible types, one note per type (why it is eligible or
    excluded, in the scenario's language) and the ids of the excluded types. An existing
    station is never excluded: it is there already.
    """
    lang = scenario.lang
    road = bool(facts.supply_road[i])
    rows: list[dict[str, object]] = []
    notes: list[str] = []
    out: list[str] = []
    for tid in allowed:
        st = scenario.station_type(tid)
        reason = _exclusion(st, scenario, facts.supply_id[i], facts.supply_m[i],
                            facts.setback_fail, i, road=road)
        if reason and not is_existing:
            notes.append(t("rule.excluded", lang, type=_type_name(st, lang), reason=reason))
            out.append(tid)
            continue
        why = t("rule.existing", lang) if is_existing else _eligibility(
            st, scenario, facts.supply_id[i], facts.supply_m[i], road=road)
        notes.append(t("rule.eligible", lang, type=_type_name(st, lang), why=why))
        rows.append(_option_row(sites, i, st, is_existing, why, scenario, facts,
                                existing_source))
    return rows, notes, out


def _option_row(sites: gpd.GeoDataFrame, i: int, st: StationType, is_existing: bool, why: str,
                scenario: Scenario, facts: _SiteFacts,
                existing_source: str | Path) -> dict[str, object]:
    """One row of the options table: type ``st`` at site ``i`` (see ``OPTION_COLUMNS``)."""
    factor = float(sites["capex_factor"].iloc[i])
    capacity, h2_capacity, vcap = _capacities(st, sites, i, is_existing, existing_source)
    return {
        "site_idx": i, "site_id": sites["site_id"].iloc[i], "name": sites["name"].iloc[i],
        "station_type": st.id, "serves": tuple(st.serves),
        "capex": 0.0 if is_existing else st.capex * factor,
        "capacity": capacity, "capacity_unit": st.capacity_unit,
        "h2_capacity": h2_capacity, "vehicles_cap": vcap,
        "vehicle_classes": tuple(st.vehicle_classes),
        "grid_kw": st.grid_kw, "existing": is_existing, "zone": facts.zone_of[i],
        "zones": facts.zones_of[i], "substation": facts.substation[i],
        **_supply_fields(st, i, scenario, facts),
        "eligible_reason": why,
    }


def _supply_fields(st: StationType, i: int, scenario: Scenario,
                   facts: _SiteFacts) -> dict[str, object]:
    """The hydrogen-supply columns of an option (blank for types not serving hydrogen).

    ``supply_km`` in km (NaN when no supply site is in reach); ``supply_reach``: the supply
    sites within the delivery distance of a type selling delivered hydrogen.
    """
    h2 = "hydrogen" in st.serves
    delivered = h2 and not st.onsite_production and scenario.hydrogen is not None
    supply_m = facts.supply_m[i]
    return {
        "supply_id": facts.supply_id[i] if h2 else "",
        "supply_km": supply_m / 1000.0 if h2 and np.isfinite(supply_m) else np.nan,
        "supply_basis": (("road" if facts.supply_road[i] else "straight line")
                         if h2 and facts.supply.ids else ""),
        "delivered_h2": bool(delivered),
        "supply_reach": (_within(facts.supply, i, scenario.hydrogen.delivery_km)
                         if delivered and scenario.hydrogen is not None else ()),
    }


def _with_outcomes(sites: gpd.GeoDataFrame, outcome: list[str],
                   excluded: list[str]) -> gpd.GeoDataFrame:
    """``sites`` with ``rule_outcome``, ``excluded_types`` and ``n_excluded``, less ``_types``."""
    sites["rule_outcome"] = outcome
    sites["excluded_types"] = excluded
    sites["n_excluded"] = [len([x for x in e.split(";") if x]) for e in excluded]
    return sites.drop(columns=["_types"])


def _options_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The options table: ``rows`` in ``OPTION_COLUMNS`` order, numbered by ``option``."""
    options = pd.DataFrame(rows, columns=[c for c in OPTION_COLUMNS if c != "option"])
    options.insert(0, "option", np.arange(len(options)))
    return options


# --------------------------------------------------------------------------- helpers
def _capacities(st: StationType, sites: gpd.GeoDataFrame, i: int, is_existing: bool,
                source: str | Path) -> tuple[float, float, float]:
    """(capacity, hydrogen capacity, vehicles per day) an option offers the planned fleets.

    A new station offers its type's figures. An existing one offers what its layer says is
    spare (``spare_capacity`` in the type's capacity unit per day, ``spare_vehicles_per_day``)
    — a bus depot's posts that already charge the buses have little left — or its type's
    figures where the layer leaves them blank.
    """
    capacity, h2 = float(st.capacity), float(st.capacity_for("hydrogen"))
    vcap = float(st.vehicles_per_day) if st.vehicles_per_day is not None else math.inf
    if not is_existing:
        return capacity, h2, vcap
    spare = _spare(sites, i, "spare_capacity", source)
    if spare is not None:
        if st.family == "hydrogen" and len(st.serves) == 1:
            capacity = h2 = spare
        else:
            capacity = spare
    spare_v = _spare(sites, i, "spare_vehicles_per_day", source)
    if spare_v is not None:
        vcap = spare_v
    # a station with nothing spare still counts as open (zone rules), but serves no one
    return max(capacity, 1e-9), max(h2, 1e-9), max(vcap, 1e-9)


def _spare(sites: gpd.GeoDataFrame, i: int, col: str, source: str | Path) -> float | None:
    if col not in sites.columns:
        return None
    v = sites[col].iloc[i]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    # read as every numeric column is: TRUE is not 1, '1,200' is 1200
    nums, truth = to_numbers(sites[col].iloc[i:i + 1])
    value = math.nan if truth[0] else float(nums.iloc[0])
    if not math.isfinite(value) or value < 0:
        msg = (f"{source}: station '{sites['site_id'].iloc[i]}': {col} = {v!r}; give a number "
               ">= 0 (what the station can still serve per day), or leave it blank")
        raise InputDataError(msg)
    return value


def _stack_sites(candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None,
                 type_ids: list[str], source: str | Path,
                 existing_source: str | Path) -> gpd.GeoDataFrame:
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
    factor, truth = to_numbers(raw)
    bad = truth | (factor.isna() & raw.notna() & (raw.astype(str).str.strip() != "")) | ~(
        np.isfinite(factor.fillna(1.0)) & (factor.fillna(1.0) >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        src = source if i < len(candidates) else existing_source
        row = i if i < len(candidates) else i - len(candidates)
        v = raw.iloc[i]
        shown = truth_text(v) if truth[i] else echo(v)
        msg = (f"{feature_label(src, row, sites['site_id'].iloc[i], 'site_id')}: capex_factor "
               f"is {shown}; give a number >= 0 (1 = the station type's capex), or "
               "leave it empty")
        raise InputDataError(msg)
    sites["capex_factor"] = factor.fillna(1.0)
    return sites


#: What separates station type ids in a cell: ``;`` or ``,`` (also full-width, as a Chinese
#: input method types them), ``、``, ``/`` or a line break inside the cell (Alt+Enter).
_TYPE_SEPARATORS = re.compile(r"[;,、/\r\n]")


def _parse_types(value: object, type_ids: list[str], source: str | Path, row: int,
                 site_id: object) -> list[str]:
    parts = [p.strip() for p in _TYPE_SEPARATORS.split(
        unicodedata.normalize("NFKC", str(value if value is not None else ""))) if p.strip()]
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
    """Site index → the first setback it breaks (text in the scenario's language)."""
    if sensitive is None or scenario.setbacks is None or not len(sensitive) or not len(xy):
        return {}
    spec = scenario.setbacks
    lang = scenario.lang
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
                fails[i] = t("rule.setback", lang, d=f"{d:,.0f}", category=category_name(
                    cat, lang), name=names[int(k)], need=f"{need:,.0f}")
    return fails


def category_name(category: str, lang: str) -> str:
    """Display name of a sensitive-site category (``school`` → 学校); others as given."""
    key = f"rule.cat_{category}"
    return t(key, lang) if key in LABELS[lang] else category


def _type_name(st: StationType, lang: str) -> str:
    """A station type's name in ``lang`` (the other language's, then its id, when empty)."""
    name = (st.name_en or st.name) if lang == "en" else (st.name or st.name_en)
    return name or st.id


def _supply(xy: np.ndarray, layer: gpd.GeoDataFrame | None, crs: str,
            measure: Callable[[np.ndarray], SupplyDistances] | None) -> SupplyDistances:
    """Supply-site distances of every site (none when there is no supply layer)."""
    if layer is None or not len(layer):
        return SupplyDistances([], np.zeros(0), np.zeros((len(xy), 0)),
                               np.zeros((len(xy), 0), dtype=bool))
    if measure is not None:
        return measure(xy)
    pts = point_xy(gpd.GeoDataFrame(geometry=layer.geometry.representative_point(),
                                    crs=layer.crs), crs)
    kg = (pd.to_numeric(layer["kg_per_day"], errors="coerce").fillna(0.0).to_numpy(float)
          if "kg_per_day" in layer.columns else np.full(len(layer), np.inf))
    return straight_line(xy, pts, layer["supply_id"].astype(str).tolist(), kg)


def _within(sd: SupplyDistances, site: int, limit_km: float) -> tuple[str, ...]:
    """Ids of the supply sites within ``limit_km`` of a site (nearest first)."""
    km = sd.km[site]
    order = np.argsort(km, kind="stable")
    return tuple(sd.ids[j] for j in order.tolist() if km[j] <= limit_km)


def _exclusion(st: StationType, scenario: Scenario, supply_id: str, supply_m: float,
               setback_fail: dict[int, str], site: int, *, road: bool = False) -> str:
    """Why this type may not be built at this site (scenario's language), or ''."""
    lang = scenario.lang
    if (scenario.setbacks is not None and set(st.serves) & set(scenario.setbacks.applies_to)
            and site in setback_fail):
        return setback_fail[site]
    if "hydrogen" in st.serves and not st.onsite_production and scenario.hydrogen is not None:
        limit = f"{scenario.hydrogen.delivery_km:g}"
        if not supply_id:
            return t("rule.no_supply", lang)
        if not np.isfinite(supply_m):
            return t("rule.no_supply_by_road", lang, km=f"{2 * scenario.hydrogen.delivery_km:g}",
                     limit=limit)
        if supply_m > scenario.hydrogen.delivery_km * 1000.0:
            key = "rule.supply_far_road" if road else "rule.supply_far_line"
            return t(key, lang, supply=supply_id, km=f"{supply_m / 1000:.1f}", limit=limit)
    return ""


def _eligibility(st: StationType, scenario: Scenario, supply_id: str, supply_m: float, *,
                 road: bool = False) -> str:
    """Which rule made this (site, type) eligible, in words (scenario's language)."""
    lang = scenario.lang
    parts = [t("rule.allowed", lang)]
    if "hydrogen" in st.serves:
        if st.onsite_production:
            parts.append(t("rule.onsite_h2", lang))
        elif scenario.hydrogen is not None and np.isfinite(supply_m):
            key = "rule.supply_road" if road else "rule.supply_line"
            parts.append(t(key, lang, supply=supply_id, km=f"{supply_m / 1000:.1f}"))
    if scenario.setbacks is not None and set(st.serves) & set(scenario.setbacks.applies_to):
        parts.append(t("rule.setbacks_met", lang))
    return t("rule.list_sep", lang).join(parts)
