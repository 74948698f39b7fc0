"""Reruns are byte-identical (issue 10 §7): same scenario, same files.

Only the timing fields of report.json (``timings``, ``solver.seconds``) may differ. Dates that a
format requires (GeoPackage ``last_change``, style ``update_time``, the PDF's creation date) come
from ``SOURCE_DATE_EPOCH`` or a fixed date.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers_cli import Case, invoke

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

TIMING = ("timings",)


def _report_without_timings(path: Path) -> dict:
    rep = json.loads(path.read_text(encoding="utf-8"))
    for key in TIMING:
        rep.pop(key, None)
    rep["solver"].pop("seconds", None)
    return rep


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("rerun")
    case = Case(root).fast(time_limit_s=60)
    outs = []
    for name in ("a", "b"):
        out = root / name
        res = invoke("run", str(case.toml), "--out", str(out), "-q", "--basemap", "none")
        assert res.exit_code == 0, res.output
        outs.append(out)
    rep = json.loads((outs[0] / "report.json").read_text(encoding="utf-8"))
    assert rep["solver"]["status"] == "optimal", "test set-up: the small case must solve"
    return outs[0], outs[1]


def test_every_output_file_is_byte_identical(two_runs):
    a, b = two_runs
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert {"map.html", "results.gpkg", "stations.geojson", "summary.csv"} <= set(names)
    differ = [n for n in names if n != "report.json"
              and (a / n).read_bytes() != (b / n).read_bytes()]
    assert differ == []
    assert _report_without_timings(a / "report.json") == _report_without_timings(
        b / "report.json")


def test_briefing_is_byte_identical(two_runs, tmp_path):
    from siting.briefing import write_briefing

    a, _ = two_runs
    first = write_briefing(a, out_pdf=tmp_path / "one.pdf")
    second = write_briefing(a, out_pdf=tmp_path / "two.pdf")
    assert first[0].read_bytes() == second[0].read_bytes()
    for p1, p2 in zip(first[1:], second[1:], strict=True):
        assert p1.read_bytes() == p2.read_bytes(), p1.name


def test_geopackage_dates_follow_source_date_epoch(two_runs, tmp_path, monkeypatch):
    from siting._reproducible import FIXED_DATE

    a, _ = two_runs
    con = sqlite3.connect(a / "results.gpkg")
    try:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
        stamps |= {r[0] for r in con.execute("SELECT update_time FROM layer_styles")}
    finally:
        con.close()
    assert stamps == {FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%S.000Z")}

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    case = Case(tmp_path).fast(time_limit_s=60)
    res = case.run()
    assert res.exit_code == 0, res.output
    con = sqlite3.connect(case.out / "results.gpkg")
    try:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
    finally:
        con.close()
    assert stamps == {"2023-11-14T22:13:20.000Z"}
