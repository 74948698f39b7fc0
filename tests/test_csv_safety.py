"""CSV injection (issue 10 §3): every CSV goes through one writer that quotes properly and
defuses cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from siting._csv import csv_text, neutralise, write_csv
from tests.helpers_cli import Case, invoke

pytestmark = pytest.mark.slow  # end to end: left out of the fast lane

HOSTILE = [
    '=HYPERLINK("http://evil.example","点击")', "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0", "+1", "  =1+1", "\u3000=1", "＝1+1", "＋1", "－1", "＠SUM(A1)",
    "\t=1", "\r=1", "Depot\r=cmd|' /C calc'!A0", "Yard\n=1", 'say "hi", then =1',
]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def _dangerous(value: str) -> bool:
    """Would a spreadsheet evaluate this cell? (A plain number such as -2.5 is data.)"""
    try:
        float(value)
    except ValueError:
        pass
    else:
        return False
    return value.startswith(("\t", "\r", "\n")) or value.lstrip(" \u3000").startswith(
        ("=", "+", "-", "@", "＝", "＋", "－", "＠"))


@pytest.mark.parametrize("text", HOSTILE)
def test_each_hostile_cell_stays_one_defused_cell(text):
    rows = _cells(csv_text([[text, 1]], header=["name", "n"]))
    assert rows == [["name", "n"], [neutralise(text), "1"]]
    assert not _dangerous(rows[1][0])
    assert rows[1][0].lstrip("'") == text  # nothing else changed


def test_numbers_stay_numbers_and_plain_text_is_untouched():
    rows = _cells(csv_text([[-2.5, -3, 2025.0, float("nan"), None, "随州 depot", True]]))
    assert rows == [["-2.5", "-3", "2025", "", "", "随州 depot", "true"]]


def test_write_csv_has_bom_and_crlf(tmp_path):
    path = write_csv(tmp_path / "x.csv", [["a\rb", 1]], header=["名称", "n"])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 2  # two row ends; the CR inside the cell is quoted
    assert _cells(raw.decode("utf-8-sig")) == [["名称", "n"], ["a\rb", "1"]]


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("csv")
    case = Case(root).fast()
    names = iter(HOSTILE * 50)

    def rename(doc: dict) -> None:
        for f in doc["features"]:
            f["properties"]["name"] = next(names)

    case.edit("candidates.geojson", rename)
    case.edit("existing.geojson", rename)
    a, b = root / "a", root / "b"
    res = invoke("run", str(case.toml), "--out", str(a), "-q", "--basemap", "none")
    assert res.exit_code == 0, res.output
    case.sub("total = 60000000.0", "total = 45000000.0")  # a different plan for B
    res = invoke("run", str(case.toml), "--out", str(b), "-q", "--basemap", "none")
    assert res.exit_code == 0, res.output
    return a, b


def _check_file(path: Path) -> list[list[str]]:
    rows = _cells(path.read_bytes().decode("utf-8-sig"))
    width = len(rows[0])
    for r in rows:
        assert len(r) == width, f"{path.name}: a row was split: {r}"
        for v in r:
            assert not _dangerous(v), f"{path.name}: live formula {v!r}"
    return rows


def test_summary_csv_keeps_each_station_on_one_row(hostile_runs):
    a, _ = hostile_runs
    rows = _check_file(a / "summary.csv")
    n = len(json.loads((a / "stations.geojson").read_text(encoding="utf-8"))["features"])
    assert len(rows) == n + 1
    names = {r[rows[0].index("名称")] for r in rows[1:]}
    assert names & {neutralise(h) for h in HOSTILE}, "test set-up: no hostile name chosen"


def test_compare_csvs_are_defused(hostile_runs, tmp_path):
    a, b = hostile_runs
    res = invoke("compare", str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert res.exit_code == 0, res.output
    for name in ("compare_kpis.csv", "compare_stations.csv"):
        _check_file(tmp_path / "cmp" / name)
