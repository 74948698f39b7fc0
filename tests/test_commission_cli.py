"""The commission's commands end to end on a shrunken copy of the bundled scenario.

``siting run --target``, ``siting sweep --targets``, ``siting run --mandates`` and ``siting
robust``: exit 0, the files re-read, and their figures checked against each other and against
what the plan itself says (stations' capex, coverage shares recomputed from the demand layer).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from siting.i18n import t
from siting.scenario import load_scenario
from tests.helpers_cli import Case, invoke

pytestmark = pytest.mark.slow


def ok(res) -> str:
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    return res.output


@pytest.fixture
def small(tmp_path: Path) -> Case:
    return Case(tmp_path).fast(time_limit_s=15.0, every=20)


def _final_share(run: Path) -> float:
    """Covered share of the final year's NEV vehicles, from the GeoPackage's demand layer."""
    dem = gpd.read_file(run / "results.gpkg", layer="demand")
    last = dem["year"] == dem["year"].max()
    v = dem.loc[last, "vehicles"].to_numpy(float)
    return float((v * dem.loc[last, "served_share"].to_numpy(float)).sum() / v.sum())


def test_run_to_a_target(small: Case) -> None:
    ok(small.run("--target", "0.6"))
    rep = json.loads((small.out / "report.json").read_text(encoding="utf-8"))
    assert rep["mode"] == "least_cost"
    tg = rep["target"]
    assert tg["share"] == 0.6 and tg["year"] == 2025
    assert tg["achieved_share"] >= 0.6 - 1e-6
    assert _final_share(small.out) == pytest.approx(tg["achieved_share"], abs=1e-6)
    st = gpd.read_file(small.out / "stations.geojson")
    assert tg["spent"] == pytest.approx(float(st.loc[~st["existing"], "capex"].sum()))
    assert tg["cost_bound"] <= tg["spent"] + 1e-6
    # the yearly caps still hold
    for y, cap in rep["budget_by_year"].items():
        assert rep["by_year"][y]["spent"] <= cap + 1e-6


def test_cost_curve(small: Case) -> None:
    res = invoke("sweep", str(small.toml), "--targets", "0.3,0.6", "--no-maps", "--out",
                 str(small.out), "-q")
    ok(res)
    with open(small.out / "cost_curve.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    # headers in the run's language (zh), naming the year the shares are of
    year = max(load_scenario(small.toml).years)
    target, covered = f"目标：{year}年覆盖率", f"{year}年覆盖率（规划末年）"
    assert [float(r[target]) for r in rows] == [0.3, 0.6]
    spent = [float(r["投资（元）"]) for r in rows]
    assert spent[0] <= spent[1]  # a higher target never costs less
    for r in rows:
        assert float(r[covered]) >= float(r[target]) - 1e-6
        assert r["求解状态"] in {"最优", "达到时限"}  # the status in words, as in curve.csv
    assert (small.out / "cost_curve.png").stat().st_size > 0
    # the console in the scenario's language (zh): the table's title, the files written
    flat = "".join(res.output.split())  # the console wraps long lines
    name = load_scenario(small.toml).display_name
    assert "".join(t("console.cost_title", "zh", name=name).split()) in flat
    assert "cost_curve.csv、cost_curve.png" in flat and "leastcost" not in flat


def test_price_of_the_mandates(small: Case) -> None:
    text = ok(small.run("--mandates", "--workers", "2"))
    # the console names the mandates in the run's language (zh), not the report's sentences
    flat = "".join(text.split())
    assert t("brief.mandate_kind_grid", "zh") in flat and "substation" not in text
    rep = json.loads((small.out / "report.json").read_text(encoding="utf-8"))
    keys = [m["key"] for m in rep["mandates"]]
    n_req = small.toml.read_text(encoding="utf-8").count("[[zone_requirements]]")
    assert n_req >= 2
    assert keys[:n_req + 1] == [f"zone_requirement:{k + 1}" for k in range(n_req)] + [
        "zone_requirements"]
    # the bundled [mandates] families (the shrunken case has no yearly caps to price)
    assert "grid" in keys and "budget_by_year" not in keys
    for m in rep["mandates"]:
        assert m["coverage_with"] == pytest.approx(rep["coverage_share"])
        if m["coverage_without"] is not None:  # dropping a rule never loses coverage here
            assert m["coverage_without"] >= m["coverage_with"] - 1e-9
            # report.json keeps 6 decimals
            assert m["coverage_gained"] == pytest.approx(
                m["coverage_without"] - m["coverage_with"], abs=2e-6)
            assert m["money_saved"] == pytest.approx(m["spent_with"] - m["spent_without"],
                                                     abs=1.0)


def test_robust_with_local_processes(small: Case) -> None:
    text = ok(invoke("robust", str(small.toml), "--n", "3", "--workers", "2", "--time-limit",
                     "3", "--out", str(small.out), "-q", "--basemap", "none"))
    assert "个样本" in text and "无悔站点" in text and "samples" not in text.replace(
        "samples.csv", "")
    with open(small.out / "robustness.csv", encoding="utf-8-sig") as f:
        stations = list(csv.DictReader(f))
    with open(small.out / "samples.csv", encoding="utf-8-sig") as f:
        samples = list(csv.DictReader(f))
    assert len(samples) == 3
    from python_calamine import CalamineWorkbook  # the same table, typed, for spreadsheets

    cells = CalamineWorkbook.from_path(str(small.out / "robustness.xlsx")).get_sheet_by_index(
        0).to_python()
    assert cells[0] == list(stations[0]) and len(cells) == len(stations) + 1
    for got, row in zip(cells[1:], stations, strict=True):
        assert got[0] == row["site_id"] and got[8] == pytest.approx(float(row["chosen_share"]))
    for s in stations:
        share = float(s["chosen_share"])
        assert 0 <= share <= 1
        assert share == pytest.approx(int(s["samples_chosen"]) / 3)
        assert (s["no_regret"] == "true") == (share >= 0.9)
    for s in samples:  # the sample's own plan starts from the plan: never worse
        assert float(s["own_objective"]) >= float(s["base_objective"]) * (1 - 1e-5)
        assert float(s["regret"]) == pytest.approx(
            max(0.0, float(s["own_share"]) - float(s["base_share"])), abs=1e-5)
    rep = json.loads((small.out / "plan" / "report.json").read_text(encoding="utf-8"))
    rob = rep["robustness"]
    assert rob["samples"] == 3 and rob["backend"].startswith("processes")
    assert rob["regret_max"] == pytest.approx(max(float(s["regret"]) for s in samples))
    lay = gpd.read_file(small.out / "plan" / "results.gpkg", layer="robustness")
    assert len(lay) == len(stations)
    html = (small.out / "plan" / "map.html").read_text(encoding="utf-8")
    assert "稳健性" in html  # the robustness layer's name in the layer control
    assert np.isfinite(rob["own_share_mean"])
