"""Compare two runs: which stations differ, and how the key figures moved.

Reads only the run folders' ``stations.geojson`` and ``report.json`` (the output contract), so
runs from different scenarios, budgets or versions can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from siting._errors import ScenarioError
from siting._escape import html_text
from siting.i18n import LANGS, t
from siting.run_folder import load_run

#: Report figures compared side by side (key path → label).
KPIS: dict[str, str] = {
    "budget": "budget (CNY)",
    "spent": "spent (CNY)",
    "headline.year": "final planning year",
    "headline.vehicles_total": "NEV vehicles, final year",
    "headline.vehicles_covered": "NEV vehicles covered, final year",
    "coverage_share": "coverage share, final year",
    "objective": "objective (all years + corridors, a score)",
    "solver.status": "solver status",
    "solver.gap": "solver gap",
}


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side.

    Attributes
    ----------
    kpis
        One row per figure: ``figure``, ``a``, ``b``, ``change``.
    stations
        One row per (site, type) in either run: ``site_id``, ``station_type``, ``name``,
        ``in_a``, ``in_b``, ``year_a``, ``year_b``, ``status`` (only A / only B / both /
        both, year changed), with geometry (WGS84).
    name_a, name_b
        Labels of the runs (folder names).
    """

    kpis: pd.DataFrame
    stations: gpd.GeoDataFrame
    name_a: str
    name_b: str


def _get(report: dict[str, Any], path: str) -> object:
    node: object = report
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def compare_runs(run_a: Path, run_b: Path) -> Comparison:
    """Compare the run folders ``run_a`` and ``run_b``."""
    run_data_a, run_data_b = load_run(run_a, layers=False), load_run(run_b, layers=False)
    rep_a, st_a = run_data_a.report, run_data_a.stations
    rep_b, st_b = run_data_b.report, run_data_b.stations
    rows = []
    for key, label in KPIS.items():
        a, b = _get(rep_a, key), _get(rep_b, key)
        change = (b - a) if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) else ("" if a == b else "changed")
        rows.append({"figure": label, "a": a, "b": b, "change": change})
    types = sorted(set(rep_a.get("by_type", {})) | set(rep_b.get("by_type", {})))
    for type_id in types:
        a = rep_a.get("by_type", {}).get(type_id, {}).get("count", 0)
        b = rep_b.get("by_type", {}).get(type_id, {}).get("count", 0)
        rows.append({"figure": f"stations: {type_id}", "a": a, "b": b, "change": b - a})
    kpis = pd.DataFrame(rows)

    keys = ["site_id", "station_type"]
    a = st_a[[*keys, "name", "year", "geometry"]].rename(columns={"year": "year_a"})
    b = st_b[[*keys, "name", "year", "geometry"]].rename(columns={"year": "year_b"})
    m = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    m["name"] = m["name_a"].fillna(m["name_b"])
    m["geometry"] = m["geometry_a"].where(m["geometry_a"].notna(), m["geometry_b"])
    m["in_a"] = m["_merge"] != "right_only"
    m["in_b"] = m["_merge"] != "left_only"
    status = m["_merge"].astype(str).map({"left_only": "only A", "right_only": "only B",
                                          "both": "both"})
    changed = (m["_merge"] == "both") & (m["year_a"] != m["year_b"])
    m["status"] = status.where(~changed, "both, year changed").astype(str)
    cols = [*keys, "name", "in_a", "in_b", "year_a", "year_b", "status"]
    stations = gpd.GeoDataFrame(m[cols], geometry=list(m["geometry"]), crs="EPSG:4326")
    stations = stations.sort_values(["status", "site_id", "station_type"]).reset_index(drop=True)
    return Comparison(kpis, stations, run_a.name, run_b.name)


def write_comparison(cmp: Comparison, run_a: Path, run_b: Path, out_dir: Path, *,
                     lang: str = "zh") -> Path:
    """Write ``compare.html`` (both maps side by side + difference tables) and CSV/GeoJSON.

    The page embeds each run's own self-contained ``map.html`` (as ``srcdoc`` iframes), so it
    opens offline as one file, like the maps themselves. Written atomically into ``out_dir``.
    """
    from siting._atomic import atomic_dir
    from siting._csv import write_csv

    if lang not in LANGS:
        msg = f"language '{lang}' is not supported; use --lang zh or --lang en"
        raise ScenarioError(msg)
    maps = []
    for run in (run_a, run_b):
        f = run / "map.html"
        maps.append(f.read_text(encoding="utf-8") if f.is_file() else
                    f"<p>{html_text(t('compare.map_missing', lang))}</p>")

    def table(df: pd.DataFrame) -> str:
        head = "".join(f"<th>{html_text(c)}</th>" for c in df.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html_text('' if pd.isna(v) else v)}</td>"
                             for v in row) + "</tr>"
            for row in df.itertuples(index=False))
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    diff = cmp.stations[cmp.stations["status"] != "both"].drop(columns="geometry")
    a, b = html_text(cmp.name_a), html_text(cmp.name_b)
    title = html_text(t("compare.title", lang))
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}: {a} / {b}</title>
<style>
body {{ font-family: sans-serif; margin: 12px; }}
.maps {{ display: flex; gap: 8px; }} .maps div {{ flex: 1; }}
iframe {{ width: 100%; height: 560px; border: 1px solid #999; }}
table {{ border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; }}
</style></head><body>
<h2>{title}: A = {a}, B = {b}</h2>
<div class="maps">
<div><h3>A: {a}</h3><iframe srcdoc="{html_text(maps[0])}"></iframe></div>
<div><h3>B: {b}</h3><iframe srcdoc="{html_text(maps[1])}"></iframe></div>
</div>
<h3>{html_text(t("compare.kpis", lang))}</h3>{table(cmp.kpis)}
<h3>{html_text(t("compare.stations", lang))} ({len(diff)})</h3>{table(diff)}
</body></html>
"""
    with atomic_dir(out_dir, kind="compare", inputs=(run_a, run_b)) as tmp:
        (tmp / "compare.html").write_text(page, encoding="utf-8")
        write_csv(tmp / "compare_kpis.csv", cmp.kpis)
        write_csv(tmp / "compare_stations.csv", cmp.stations.drop(columns="geometry"))
        cmp.stations.to_file(tmp / "compare_stations.geojson", driver="GeoJSON")
    return out_dir
