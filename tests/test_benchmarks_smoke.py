"""Smoke run of benchmarks/run.py on tiny sizes: tables, rows, checks and JSON (no timings)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"

sys.path.insert(0, str(ROOT / "benchmarks"))
import _instances as inst  # noqa: E402

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane


def _run(tmp_path: Path, *args: str) -> tuple[str, dict]:
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, str(RUN), "--quick", *args, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout, json.loads(out.read_text(encoding="utf-8"))


def _table_rows(text: str, heading: str) -> list[list[str]]:
    """Body rows of the Markdown table following ``heading``."""
    lines = text.split(heading, 1)[1].splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:  # skip the header and the |---| line
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_mclp_and_paths_tables(tmp_path: Path) -> None:
    text, res = _run(tmp_path, "--only", "mclp,paths", "--mclp-sizes", "300x30,500x40",
                     "--radii", "1500,4000", "--time-limit", "20", "--quick-hard-limit",
                     "20", "--graph-sizes", "2500", "--sources", "40", "--nx-budget-s", "0.2",
                     "--in-process")
    rows = _table_rows(text, "### MCLP")
    # (instance, radius) x (ours, spopt), in order
    assert [(r[0], r[1], r[4]) for r in rows] == [
        (i, r, t) for i in ("300x30", "500x40") for r in ("1500", "4000")
        for t in ("ours", "spopt")]
    for r in rows:
        assert r[5] == "optimal"
    for ours, spopt in zip(rows[::2], rows[1::2]):
        assert ours[6] == spopt[6]                     # covered weight, as printed
        assert spopt[-1].startswith("✓ equal")
    # the JSON holds the same figures, objectives recomputed from the plans
    mrows = res["mclp"]["rows"]
    for ours, spopt in zip(mrows[::2], mrows[1::2]):
        assert ours["objective_recomputed"] == spopt["objective_recomputed"]
        assert ours["objective"] == pytest.approx(ours["objective_recomputed"])
    prow = _table_rows(text, "### Travel times")
    assert len(prow) == 1 and prow[0][1] == "40" and prow[0][8].startswith("✓")
    p = res["paths"]["rows"][0]
    assert p["rows_differing"] == 0 and p["rows_checked"] >= 1
    assert res["checks"] == {"ok": True, "failures": []}


def test_pipeline_table(tmp_path: Path) -> None:
    text, res = _run(tmp_path, "--only", "pipeline", "--pipeline-size", "400,25,2500",
                     "--pipeline-time-limit", "3")
    assert text.startswith("Machine: ")
    rows = _table_rows(text, "### Full pipeline")
    stages = [r[0] for r in rows]
    assert stages[:8] == ["layers", "network", "demand", "travel_times", "coverage", "model",
                          "results", "outputs"]
    assert stages[-1].startswith("**total**")
    pl = res["pipeline"]
    # 400 demand rows requested: fleet points x pathways (2 or 3 each), all of one year
    assert abs(pl["demand_points"] - 400) <= 3
    assert pl["candidates"] == 25 and pl["map_mb"] > 0
    assert sum(pl["stages_s"].values()) <= pl["total_s"] + 1e-6
    # the pre-flight memory estimate was recorded: the benchmark's patch of check_fits is
    # where the pipeline looks it up
    assert [e["what"] for e in pl["memory_estimates"]] == ["the MIP"]
    assert pl["memory_estimates"][0]["estimate_gb"] > 0
    assert re.search(r"\| map\.html +\| [\d.]+ MB", text)


def test_road_grid_is_connected_two_way() -> None:
    net = inst.road_grid(900, seed=3)
    # every directed edge has its reverse, with the same length
    fwd = set(zip(net.edge_u.tolist(), net.edge_v.tolist()))
    assert all((v, u) in fwd for u, v in fwd)
    lengths = np.hypot(net.x[net.edge_v] - net.x[net.edge_u], net.y[net.edge_v] - net.y[net.edge_u])
    np.testing.assert_allclose(net.edge_length_m, lengths)
    assert net.components().n_components == 1
    assert {"residential", "primary", "trunk"} == set(net.edge_class.tolist())


def test_sparse_cover_matches_brute_force() -> None:
    m = inst.random_mclp(200, 20, side_m=5000.0, seed=4)
    cover = inst.sparse_cover(m.demand_xy, m.site_xy, 1200.0)
    d = np.hypot(*(m.demand_xy[:, None, :] - m.site_xy[None, :, :]).transpose(2, 0, 1))
    c = cover.tocoo()
    assert set(zip(c.row.tolist(), c.col.tolist())) == set(zip(*np.nonzero(d <= 1200.0)))
    np.testing.assert_allclose(c.data, d[c.row, c.col])
    assert m.p == 2 and set(np.unique(m.weight)) <= set(range(1, 101))


def test_osm_extract_table(tmp_path: Path) -> None:
    text, res = _run(tmp_path, "--only", "osm", "--osm-mb", "0.1", "--osmnx-budget-s", "60",
                     "--in-process")
    rows = _table_rows(text, "### OSM extract")
    assert [(r[0], r[3], r[4]) for r in rows[:4]] == [
        ("city.osm.pbf", "siting", "cold (parse + cache write)"),
        ("city.osm.pbf", "siting", "cached reload"),
        ("city.osm", "siting", "cold (XML)"),
        ("city.osm", "osmnx", "graph_from_xml")]  # 60 s for a ~1 s job: it finishes
    osm = res["osm"]
    # the file is the requested size (a probe calibrates bytes per node), within 30 %
    assert 0.07 < osm["pbf_mb"] < 0.13
    # every graph equals the layout the extract was written with (counted by the writer)
    layout = (osm["layout_drivable_nodes"], osm["layout_drivable_edges"])
    assert 0 < layout[0] < osm["osm_nodes"]
    for r in osm["rows"]:
        assert (r["drivable_nodes"], r["drivable_edges"]) == layout, r
    assert [r[-1] for r in rows[:4]] == ["✓ = layout", "✓ = cold load", "✓ = layout",
                                         "✓ = layout"]
    assert osm["osmnx_basis"] == "measured" and osm["rows"][3]["graph_nodes"] >= layout[0]
    assert res["checks"] == {"ok": True, "failures": []}


def test_osm_city_layout_matches_an_independent_count(tmp_path: Path) -> None:
    import osmium

    from siting.network import osm as _osm

    city = inst.write_osm_city([tmp_path / "c.osm.pbf", tmp_path / "c.osm"], 3000, seed=5)
    for path in city.paths:
        nodes, ways, kept_nodes, edges = 0, 0, set(), 0
        for obj in osmium.FileProcessor(str(path)):
            if obj.is_node():
                nodes += 1
            elif obj.is_way():
                ways += 1
                refs = [n.ref for n in obj.nodes]
                if _osm.is_truck_way(obj.tags):
                    kept_nodes.update(refs)
                    edges += (len(refs) - 1) * (1 if _osm.oneway_direction(obj.tags) else 2)
        assert (nodes, ways) == (city.n_nodes, city.n_ways)
        assert (len(kept_nodes), edges) == (city.drivable_nodes, city.drivable_edges)
    assert 2000 < city.n_nodes < 4500 and city.drivable_nodes < city.n_nodes


def test_formulations_table_and_same_optimum(capsys) -> None:
    import formulations

    assert formulations.main(["--sizes", "300x30", "--radii", "2000", "--time-limit",
                              "10"]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and "✓" in ln]
    # every variant proved the same optimum as the baseline on the tiny instance
    assert {ln.split("|")[1].strip() for ln in rows} == {v.name for v in formulations.VARIANTS}
    assert "× baseline (geo. mean)" in out
