"""The CLI's sweep, compare, brief, validate and network commands, through typer's runner."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from siting.cli import app
from siting.scenario import load_scenario
from siting.sweep import knee_index
from tests.helpers_cli import set_key

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

DATA = Path(__file__).resolve().parents[1] / "data" / "suizhou"
runner = CliRunner()


def _scenario(tmp: Path, time_limit_s: float = 6.0) -> Path:
    dst = tmp / "suizhou"
    shutil.copytree(DATA, dst)
    toml = dst / "scenario.toml"
    set_key(toml, "time_limit_s", str(time_limit_s))
    return toml


def _ok(res) -> None:
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output


def test_knee_is_the_point_farthest_above_the_chord():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = np.array([0.0, 0.7, 0.8, 0.85, 0.9])
    # distances above the chord y = 0.225 x: 0, 0.475, 0.35, 0.175, 0 -> index 1
    assert knee_index(x, y) == 1


@pytest.mark.parametrize("y", [[0.0, 0.25, 0.5, 0.75, 1.0],     # straight: no knee
                               [0.0, 0.1, 0.2, 0.4, 1.0],       # convex: below the chord
                               [0.5, 0.5, 0.5, 0.5, 0.5],       # flat
                               [0.0, 0.02, 0.51, 0.76, 1.0]])  # within 0.05 of the chord
def test_no_knee_where_the_curve_has_none(y):
    assert knee_index(np.arange(5.0), np.array(y)) is None


def test_curve_keeps_every_budget_and_marks_carried_plans(tmp_path):
    from siting.sweep import SweepPoint, _write_curve

    pts = [SweepPoint(1e6, float("nan"), float("nan"), float("nan"), 0, "infeasible", None,
                      False, ""),
           SweepPoint(2e6, 1.9e6, 0.4, 10.0, 2, "optimal", 0.0, False, "budget_0002.00M"),
           SweepPoint(3e6, 1.9e6, 0.4, 10.0, 2, "optimal", 0.0, True, "budget_0003.00M",
                      carried_from=2e6),
           SweepPoint(4e6, 3.9e6, 0.7, 17.0, 4, "time_limit", 0.05, False, "budget_0004.00M")]
    _write_curve(pts, tmp_path)
    with open(tmp_path / "curve.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["budget_cny"] for r in rows] == ["1000000", "2000000", "3000000", "4000000"]
    assert rows[0]["status"] == "infeasible" and rows[0]["run_folder"] == ""
    assert rows[2]["plan_of_budget_cny"] == "2000000"
    assert [r["plan_of_budget_cny"] for r in (rows[1], rows[3])] == ["", ""]
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_sweep_over_eight_budgets_never_decreases(tmp_path):
    toml = _scenario(tmp_path, time_limit_s=4.0)
    out = tmp_path / "sweep"
    res = runner.invoke(app, ["sweep", str(toml), "--n", "8", "--from", "0.25", "--to", "2",
                              "--no-maps", "--out", str(out), "-q", "--lang", "en"])
    _ok(res)
    with open(out / "curve.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8
    budgets = [float(r["budget_cny"]) for r in rows]
    assert budgets == sorted(budgets)
    # budgets below the zone requirements' cost have no plan; every larger one has
    feasible = [r for r in rows if r["run_folder"]]
    planless = [r["status"] for r in rows if not r["run_folder"]]
    assert set(planless) <= {"infeasible", "no plan found in time"}
    assert rows[-len(feasible):] == feasible  # only the smallest budgets lack a plan
    assert len(feasible) >= 5
    # the objective (covered weight over all planning years + corridor trucks) never falls as
    # the budget grows: a solve that stops with less shows the smaller budget's plan. The
    # final year's share alone may dip, since the objective trades it against earlier years.
    from siting._format import header_years
    from siting.scenario import load_scenario

    named = header_years(load_scenario(toml).years)  # the headers name the years
    assert named == {"year": "2025", "years": "2023-2025"}
    objectives = [float(r["objective_score_summed_2023-2025"]) for r in feasible]
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(objectives)), objectives
    assert all(0 <= float(r["coverage_share_2025"]) <= 1 for r in feasible)
    assert all(float(r["spent_cny"]) <= float(r["budget_cny"]) + 1e-6 for r in feasible)
    assert sum(r["knee"] == "yes" for r in rows) <= 1
    assert (out / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the sweep's language and title, for the QGIS plugin's curve layer (it named it in
    # English whatever the sweep's language)
    name = load_scenario(toml).name_en
    assert json.loads((out / "sweep.json").read_text(encoding="utf-8")) == {
        "lang": "en", "name": name, "title": f"{name}: coverage against budget"}


def test_sweep_with_maps_writes_a_run_per_budget(tmp_path):
    toml = _scenario(tmp_path, time_limit_s=4.0)
    out = tmp_path / "sweep"
    res = runner.invoke(app, ["sweep", str(toml), "--budgets", "48,72", "--out", str(out),
                              "--basemap", "none", "-q", "--crs", "EPSG:4547", "--cdn"])
    _ok(res)
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    assert [p.name for p in runs] == ["budget_0048.00M", "budget_0072.00M"]
    base = load_scenario(toml).budget
    for r in runs:
        report = json.loads((r / "report.json").read_text(encoding="utf-8"))
        budget = float(r.name[7:-1]) * 1e6
        assert report["budget"] == pytest.approx(budget)
        # the yearly caps the plan was solved with (scaled with the total), not the scenario's
        factor = budget / base.total
        for y, cap in base.by_year.items():
            assert report["budget_by_year"][str(y)] == pytest.approx(cap * factor)
            assert report["by_year"][str(y)]["spent"] <= cap * factor + 1e-6
        assert (r / "map.html").is_file()
        # each budget's run is written with the run options (one run writer for all)
        assert report["output_crs"] == "EPSG:4547"
        assert (r / "stations_EPSG4547.geojson").is_file()
        assert "cdn.jsdelivr.net/npm/leaflet" in (r / "map.html").read_text(encoding="utf-8")
    # one budget explorer for the sweep, offline, holding every budget's plan
    page = (out / "explorer.html").read_text(encoding="utf-8")
    assert "<script src=" not in page and 'id="slider"' in page


def test_sweep_rejects_bad_budget_list(tmp_path):
    toml = _scenario(tmp_path)
    res = runner.invoke(app, ["sweep", str(toml), "--budgets", "ten,20"])
    assert res.exit_code == 2
    assert "--budgets" in res.output and "Traceback" not in res.output


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("runs")
    toml = _scenario(tmp, time_limit_s=4.0)
    a, b = tmp / "run_a", tmp / "run_b"
    _ok(runner.invoke(app, ["run", str(toml), "--out", str(a), "--basemap", "none", "-q"]))
    set_key(toml, "total", "48000000.0")
    _ok(runner.invoke(app, ["run", str(toml), "--out", str(b), "--basemap", "none", "-q"]))
    return a, b


def test_compare_lists_station_differences(two_runs, tmp_path):
    a, b = two_runs
    out = tmp_path / "cmp"
    _ok(runner.invoke(app, ["compare", str(a), str(b), "--out", str(out)]))
    import geopandas as gpd

    sa = gpd.read_file(a / "stations.geojson")
    sb = gpd.read_file(b / "stations.geojson")
    ta = dict(zip(sa["site_id"], sa["station_type"]))
    tb = dict(zip(sb["site_id"], sb["station_type"]))
    # the CSV is in the runs' language (the bundled scenario: Chinese), one row per site
    with open(out / "compare_stations.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    status = {r["站址编号"]: r["变化"] for r in rows}
    from python_calamine import CalamineWorkbook  # the same table, typed, for spreadsheets

    book = CalamineWorkbook.from_path(str(out / "compare_stations.xlsx"))
    cells = book.get_sheet_by_index(0).to_python()
    assert book.sheet_names == ["方案对比"] and cells[0] == list(rows[0])
    assert [dict(zip(cells[0], r, strict=True))["变化"] for r in cells[1:]] == [
        r["变化"] for r in rows]
    assert set(status) == set(ta) | set(tb)
    assert {s for s, v in status.items() if v == "B 取消"} == set(ta) - set(tb)
    assert {s for s, v in status.items() if v == "B 新增"} == set(tb) - set(ta)
    assert {s for s, v in status.items() if v == "类型改变"} == {
        s for s in set(ta) & set(tb) if ta[s] != tb[s]}
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert 'id="map-a"' in html and 'id="map-b"' in html and "<iframe" not in html
    with open(out / "compare_kpis.csv", encoding="utf-8-sig") as fh:
        kpis = {r["指标"]: r for r in csv.DictReader(fh)}
    ra = json.loads((a / "report.json").read_text(encoding="utf-8"))
    rb = json.loads((b / "report.json").read_text(encoding="utf-8"))
    assert float(kpis["预算"]["变化（B − A）"]) == pytest.approx(rb["budget"] - ra["budget"])
    assert float(kpis["该年覆盖的新能源车辆"]["A"]) == pytest.approx(
        ra["headline"]["vehicles_covered"])


def test_compare_missing_run_is_a_clean_error(tmp_path):
    res = runner.invoke(app, ["compare", str(tmp_path / "nope"), str(tmp_path / "nope2")])
    assert res.exit_code == 2
    assert "report.json" in res.output and "Traceback" not in res.output


def test_brief_writes_pdf_and_pages(two_runs):
    a, _ = two_runs
    res = runner.invoke(app, ["--progress-json", "brief", str(a)])
    _ok(res)
    assert (a / "briefing.pdf").read_bytes()[:5] == b"%PDF-"
    assert (a / "briefing-1.png").is_file()
    # the briefing's progress, for the QGIS plugin's bar: start, rising shares, finish
    events = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events[:1] + events[-1:]] == ["start", "finish"]
    assert {e["stage"] for e in events} == {"brief"}
    shares = [e["fraction"] for e in events if e["event"] == "update"]
    assert shares == sorted(shares) and len(shares) >= 4 and shares[-1] == 1.0


def test_validate_summarises_without_writing(tmp_path):
    toml = _scenario(tmp_path)
    before = sorted(p.name for p in toml.parent.iterdir())
    res = runner.invoke(app, ["validate", str(toml)])
    _ok(res)
    assert "valid" in res.output and "demand points" in res.output
    assert sorted(p.name for p in toml.parent.iterdir()) == before


def test_network_fetch_needs_exactly_one_area(tmp_path):
    res = runner.invoke(app, ["network", "fetch", str(tmp_path / "n.npz")])
    assert res.exit_code == 2 and "--place or --bbox" in res.output
    res = runner.invoke(app, ["network", "fetch", str(tmp_path / "n.npz"), "--bbox", "1,2,3"])
    assert res.exit_code == 2 and "four numbers" in res.output


@pytest.mark.parametrize("command", ["robust", "run", "sweep", "init"])
def test_help_shows_bracketed_words_as_typed(command):
    """Help text is plain text: ``[uncertainty]`` (a scenario section) is not read as rich
    markup and dropped ("Sample the  ranges" before)."""
    res = runner.invoke(app, [command, "--help"], prog_name="siting")
    assert res.exit_code == 0, res.output
    if command == "robust":
        assert "Sample the [uncertainty] ranges" in " ".join(res.output.split())
    assert "Usage: siting " + command in res.output
