"""Compare two runs: which stations differ, and how the key figures moved.

Reads only the run folders' ``stations.geojson`` and ``report.json`` (the output contract), so
runs from different scenarios, budgets or versions can be compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from siting._errors import InputDataError

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


def _read_run(run: Path) -> tuple[dict, gpd.GeoDataFrame]:
    rep, st = run / "report.json", run / "stations.geojson"
    for f in (rep, st):
        if not f.is_file():
            msg = f"{f}: not found; give a folder written by `siting run` or `siting demo`"
            raise InputDataError(msg)
    try:
        report = json.loads(rep.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        msg = f"{rep}: not valid JSON ({e.msg} at line {e.lineno}); re-run to rewrite it"
        raise InputDataError(msg) from None
    from siting._run_report import check_report  # wrong types: one line, not a crash

    return check_report(report, rep), gpd.read_file(st)


def _get(report: dict, path: str) -> object:
    node: object = report
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def compare_runs(run_a: Path, run_b: Path) -> Comparison:
    """Compare the run folders ``run_a`` and ``run_b``."""
    rep_a, st_a = _read_run(run_a)
    rep_b, st_b = _read_run(run_b)
    rows = []
    for key, label in KPIS.items():
        a, b = _get(rep_a, key), _get(rep_b, key)
        change = (b - a) if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) else ("" if a == b else "changed")
        rows.append({"figure": label, "a": a, "b": b, "change": change})
    types = sorted(set(rep_a.get("by_type", {})) | set(rep_b.get("by_type", {})))
    for t in types:
        a = rep_a.get("by_type", {}).get(t, {}).get("count", 0)
        b = rep_b.get("by_type", {}).get(t, {}).get("count", 0)
        rows.append({"figure": f"stations: {t}", "a": a, "b": b, "change": b - a})
    kpis = pd.DataFrame(rows)

    key = ["site_id", "station_type"]
    a = st_a[[*key, "name", "year", "geometry"]].rename(columns={"year": "year_a"})
    b = st_b[[*key, "name", "year", "geometry"]].rename(columns={"year": "year_b"})
    m = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    m["name"] = m["name_a"].fillna(m["name_b"])
    m["geometry"] = m["geometry_a"].where(m["geometry_a"].notna(), m["geometry_b"])
    m["in_a"] = m["_merge"] != "right_only"
    m["in_b"] = m["_merge"] != "left_only"
    status = m["_merge"].astype(str).map({"left_only": "only A", "right_only": "only B",
                                          "both": "both"})
    changed = (m["_merge"] == "both") & (m["year_a"] != m["year_b"])
    m["status"] = status.where(~changed, "both, year changed").astype(str)
    cols = [*key, "name", "in_a", "in_b", "year_a", "year_b", "status"]
    stations = gpd.GeoDataFrame(m[cols], geometry=list(m["geometry"]), crs="EPSG:4326")
    stations = stations.sort_values(["status", "site_id", "station_type"]).reset_index(drop=True)
    return Comparison(kpis, stations, run_a.name, run_b.name)


def write_comparison(cmp: Comparison, run_a: Path, run_b: Path, out_dir: Path, *,
                     lang: str = "zh") -> Path:
    """Write ``compare.html`` (both maps side by side + difference tables) and CSV/GeoJSON.

    The page embeds each run's own self-contained ``map.html`` (as ``srcdoc`` iframes), so it
    opens offline as one file, like the maps themselves. Written atomically into ``out_dir``.
    """
    import html

    from siting._atomic import atomic_dir
    from siting._csv import write_csv

    zh = lang == "zh"
    maps = []
    for run in (run_a, run_b):
        f = run / "map.html"
        maps.append(f.read_text(encoding="utf-8") if f.is_file() else
                    "<p>map.html missing in this run</p>")

    def table(df: pd.DataFrame) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>"
                             for v in row) + "</tr>"
            for row in df.itertuples(index=False))
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    diff = cmp.stations[cmp.stations["status"] != "both"].drop(columns="geometry")
    a, b = html.escape(cmp.name_a), html.escape(cmp.name_b)
    title = "方案对比" if zh else "Run comparison"
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
<div><h3>A: {a}</h3><iframe srcdoc="{html.escape(maps[0], quote=True)}"></iframe></div>
<div><h3>B: {b}</h3><iframe srcdoc="{html.escape(maps[1], quote=True)}"></iframe></div>
</div>
<h3>{"关键指标" if zh else "Key figures"}</h3>{table(cmp.kpis)}
<h3>{"站点差异" if zh else "Stations that differ"} ({len(diff)})</h3>{table(diff)}
</body></html>
"""
    with atomic_dir(out_dir, kind="compare", inputs=(run_a, run_b)) as tmp:
        (tmp / "compare.html").write_text(page, encoding="utf-8")
        write_csv(tmp / "compare_kpis.csv", cmp.kpis)
        write_csv(tmp / "compare_stations.csv", cmp.stations.drop(columns="geometry"))
        cmp.stations.to_file(tmp / "compare_stations.geojson", driver="GeoJSON")
    return out_dir
