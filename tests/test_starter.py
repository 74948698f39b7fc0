"""``siting init``: a starter scenario for the planner's own layers, checked by running it."""

from __future__ import annotations

import json
import re
import tomllib
import types
import typing
from pathlib import Path

import geopandas as gpd
import pytest
from helpers_excel import FLEET_HEADERS, layer_rows, write_workbook
from pydantic import BaseModel

from siting.scenario import LayerSpec, Scenario, load_scenario
from siting.starter import INTERNAL_KEYS, match_segment, toml_value
from tests.helpers_cli import error_line, invoke

DATA = Path(__file__).resolve().parents[1] / "data" / "suizhou"
#: A commented-out TOML line as the starter writes it: "# key = value" or "# [table]".
_COMMENTED = re.compile(r"^# ((\[\[?[A-Za-z0-9_.]+\]\]?)|([A-Za-z_][A-Za-z0-9_]* = .*))$")


def init(folder: Path, *extra: str, fleet: Path | None = None, validate: bool = True):
    args = ["init", str(folder), "--network", str(DATA / "roads.geojson"),
            "--fleet", str(fleet or DATA / "fleet.geojson"),
            "--candidates", str(DATA / "candidates.geojson"), *extra]
    if not validate:
        args.append("--no-validate")
    return invoke(*args)


def ok(res) -> str:
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    return res.output


# =========================================================================== the schema
def schema_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key a scenario file can hold, as dotted paths (list entries not indexed)."""
    keys = set()
    for name, f in model.model_fields.items():
        if not prefix and name in INTERNAL_KEYS:
            continue
        path = f"{prefix}{name}"
        keys.add(path)
        for sub in _models_in(f.annotation):
            keys |= schema_keys(sub, path + ".")
    return keys


def _models_in(tp: object) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    if typing.get_origin(tp) in (list, typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _models_in(a)]
    return []  # dicts (nev_share, speeds_kph ...) are values, not sections


def file_keys(doc: dict, prefix: str = "") -> set[str]:
    keys = set()
    for k, v in doc.items():
        path = f"{prefix}{k}"
        keys.add(path)
        if isinstance(v, dict) and not _is_value_table(path):
            keys |= file_keys(v, path + ".")
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for x in v:
                keys |= file_keys(x, path + ".")
    return keys


def _is_value_table(path: str) -> bool:
    """Inline tables that are values of one key, not sections."""
    return path.rsplit(".", 1)[-1] in ("nev_share", "pathway_split", "speeds_kph", "by_year",
                                       "distance_m", "lifetime_years", "opex_share",
                                       "station_types", "diesel_l_per_100km", "segments")


def uncommented(text: str) -> str:
    """The starter file with every commented-out key and table switched on."""
    return "\n".join(m.group(1) if (m := _COMMENTED.match(line)) else line
                     for line in text.splitlines())


def test_every_schema_key_is_in_the_starter_file(tmp_path):
    ok(init(tmp_path / "s", validate=False))
    text = (tmp_path / "s" / "scenario.toml").read_text(encoding="utf-8")
    everything = tomllib.loads(uncommented(text))  # also: the commented examples are TOML
    want = schema_keys(Scenario)
    got = file_keys(everything)
    assert want - got == set(), f"keys of the schema missing from the starter: {want - got}"
    assert got - want == set(), f"keys in the starter that the schema lacks: {got - want}"
    # every key, active or not, has a comment line above it or belongs to a documented block
    active = tomllib.loads(text)
    assert set(active) < set(everything)


def test_schema_keys_sees_nested_sections():
    keys = schema_keys(Scenario)
    assert {"network.max_snap_m", "hydrogen.supply.coords", "segments.nev_share",
            "demand.sheet", "zones.id_column", "corridors.detour_km"} <= keys
    assert "base_dir" not in keys


# =========================================================================== end to end
@pytest.mark.slow
def test_init_on_the_bundled_layers_then_run(tmp_path):
    folder = tmp_path / "我的方案"
    out = ok(init(folder, "--existing", str(DATA / "existing.geojson"), "--zones",
                  str(DATA / "zones.geojson"), "--time-limit", "5", "--budget", "20"))
    n_fleet = len(json.loads((DATA / "fleet.geojson").read_text(encoding="utf-8"))["features"])
    assert f"valid: fleet points {n_fleet}" in out
    assert "then: siting run" in out
    for name in ("roads.geojson", "fleet.geojson", "candidates.geojson", "existing.geojson",
                 "zones.geojson"):
        assert (folder / name).read_bytes() == (DATA / name).read_bytes()  # copied
        assert f"path = '{name}' (copied from" in out
    sc = load_scenario(folder / "scenario.toml")
    assert sc.budget.total == 20e6 and sc.solver.time_limit_s == 5.0 and sc.name == "我的方案"
    assert [s.id for s in sc.segments] == ["sanitation", "municipal", "logistics", "muck_truck"]
    res = invoke("run", str(folder / "scenario.toml"), "--out", str(tmp_path / "run"), "-q",
                 "--basemap", "none")
    ok(res)
    report = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert report["spent"] <= 20e6
    assert report["inputs"]["fleet_points"] == n_fleet
    assert report["inputs"]["existing_stations"] == 2  # --existing was given
    assert report["scenario"]["name"] == "我的方案"
    stations = gpd.read_file(tmp_path / "run" / "stations.geojson")
    assert (~stations["existing"]).sum() >= 1


def test_init_on_a_road_layer_without_a_highway_column(tmp_path, caplog):
    """A road layer whose classes are in another column (等级, Geofabrik's fclass): init
    leaves class_column at its default, so the scenario validates with the documented
    warning naming the columns (it wrote class_column = "highway" active, and the fresh
    scenario failed: 'the road layer has no column highway')."""
    roads = gpd.read_file(DATA / "roads.geojson").rename(columns={"highway": "等级"})
    path = tmp_path / "道路.gpkg"
    roads.to_file(path)
    folder = tmp_path / "s"
    res = invoke("init", str(folder), "--network", str(path), "--fleet",
                 str(DATA / "fleet.geojson"), "--candidates", str(DATA / "candidates.geojson"))
    out = ok(res)
    assert "valid: fleet points" in out
    assert "no 'highway' column" in caplog.text and "'等级'" in caplog.text
    doc = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    assert "class_column" not in doc["network"]
    assert "# class_column = " in (folder / "scenario.toml").read_text(encoding="utf-8")


def test_init_links_layers_where_they_are(tmp_path):
    folder = tmp_path / "s"
    out = ok(init(folder, "--link", validate=False))
    doc = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    assert doc["allow_outside_paths"] is True
    assert (folder / doc["demand"]["path"]).resolve() == (DATA / "fleet.geojson").resolve()
    assert doc["demand"]["path"].startswith("../")
    assert "(referenced from" in out
    assert sorted(p.name for p in folder.iterdir()) == ["scenario.toml"]
    assert load_scenario(folder / "scenario.toml").demand.path == (DATA / "fleet.geojson")


@pytest.mark.slow
def test_excel_register_with_own_segment_names(tmp_path):
    """A register with a title row, GCJ-02 lon/lat and its own segment words validates."""
    rows = layer_rows("fleet", FLEET_HEADERS, coords="gcj02", every=25, title="车辆台账")
    words = {"sanitation": "环卫车", "municipal": "洒水车", "logistics": "物流配送",
             "muck_truck": "渣土车"}
    for r in rows[2:]:
        r[2] = words[r[2]]
    book = write_workbook(tmp_path / "台账.xlsx", {"封面": [["2024年"]], "台账": rows})
    folder = tmp_path / "s"
    out = ok(init(folder, "--coords", "gcj02", "--years", "2025,2026", fleet=book))
    doc = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    assert doc["demand"] | {"path": None} == {"path": None, "sheet": "台账", "header_row": 2,
                                              "coords": "gcj02"}
    segs = {s["id"]: s for s in doc["segments"]}
    assert set(segs) == set(words.values())
    bundled = {s["id"]: s for s in tomllib.loads(
        (DATA / "scenario.toml").read_text(encoding="utf-8"))["segments"]}
    # named ones get their bundled figures; 洒水车 matches nothing: municipal, flagged
    assert segs["环卫车"]["kwh_per_km"] == bundled["sanitation"]["kwh_per_km"]
    assert segs["渣土车"]["pathway_split"] == bundled["muck_truck"]["pathway_split"]
    assert segs["物流配送"]["threshold_min"] == bundled["logistics"]["threshold_min"]
    assert segs["洒水车"]["kwh_per_km"] == bundled["municipal"]["kwh_per_km"]
    # years beyond the bundled ones carry the last bundled share (2025)
    assert segs["环卫车"]["nev_share"] == {"2025": 0.4, "2026": 0.4}
    assert "ASSUMPTION" in (folder / "scenario.toml").read_text(encoding="utf-8")
    assert "check [[segments]] 环卫车, 洒水车, 物流配送, 渣土车" in out
    assert "valid: fleet points 15" in out


def hidden_copy_book(path: Path, rows: list[list[object]]) -> Path:
    """A register ('台账') behind a hidden old copy of it ('旧台账', first, segments 'old')."""
    import openpyxl

    write_workbook(path, {"旧台账": [rows[0], *([*r[:2], "old", *r[3:]] for r in rows[1:3])],
                          "台账": rows})
    wb = openpyxl.load_workbook(path)
    wb["旧台账"].sheet_state = "hidden"
    wb.save(path)
    return path


def test_init_skips_a_hidden_sheet_as_the_reader_does(tmp_path):
    """init wrote sheet = "旧台账": the first sheet with coordinates, hidden in Excel, so the
    scenario read a sheet the planner cannot see."""
    from siting.starter.inspection import fleet_segments, inspect_table

    rows = layer_rows("fleet", FLEET_HEADERS, every=30)
    book = hidden_copy_book(tmp_path / "台账.xlsx", rows)
    info = inspect_table(book, None)
    assert info.options == {"sheet": "台账"}
    assert info.notes == ["台账.xlsx: using sheet '台账' (sheets: 旧台账, 台账; hidden in Excel, "
                          "so skipped: 旧台账)"]
    # the segment words of a register that does not validate yet (a totals row) come from
    # the sheet the reader reads, not from the hidden first one
    rows.append(["合计", None, None, 1, None, None, None])
    book = hidden_copy_book(tmp_path / "合计.xlsx", rows)
    assert fleet_segments(LayerSpec(path=book)) == list(dict.fromkeys(r[2] for r in rows[1:-1]))


@pytest.mark.parametrize(("value", "want", "how"), [
    ("sanitation", "sanitation", "id"), ("环卫", "sanitation", "name"),
    ("环卫车", "sanitation", "name"), ("渣土车", "muck_truck", "name"),
    ("Logistics", "logistics", "name"), ("市政园林", "municipal", "name"),
    ("洒水车", "municipal", "assumed"), ("x", "municipal", "assumed"),
])
def test_match_segment(value, want, how):
    templates = tomllib.loads((DATA / "scenario.toml").read_text(encoding="utf-8"))["segments"]
    t, got_how = match_segment(value, templates)
    assert (t["id"], got_how) == (want, how)


# =========================================================================== refusals
def test_init_refuses_an_existing_scenario(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "scenario.toml").write_text("# mine\n", encoding="utf-8")
    line = error_line(init(folder))
    assert line == (f"error: {folder / 'scenario.toml'}: a scenario already exists; init "
                    "never overwrites it — edit it, or give another folder")
    assert (folder / "scenario.toml").read_text(encoding="utf-8") == "# mine\n"
    assert sorted(p.name for p in folder.iterdir()) == ["scenario.toml"]


def test_init_refuses_to_overwrite_a_different_layer(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "fleet.geojson").write_text("{}", encoding="utf-8")
    line = error_line(init(folder))
    assert "fleet.geojson: a different file of this name is already in the folder" in line
    assert sorted(p.name for p in folder.iterdir()) == ["fleet.geojson"]  # nothing written
    assert (folder / "fleet.geojson").read_text(encoding="utf-8") == "{}"


def test_init_missing_layer(tmp_path):
    res = invoke("init", str(tmp_path / "s"), "--network", str(DATA / "roads.geojson"),
                 "--fleet", str(tmp_path / "nope.xlsx"), "--candidates",
                 str(DATA / "candidates.geojson"))
    line = error_line(res)
    assert line == (f"error: --fleet {tmp_path / 'nope.xlsx'}: file not found; give the path "
                    "of the demand layer")
    assert not (tmp_path / "s").exists()


def test_init_that_does_not_validate_says_what_to_fix(tmp_path):
    rows = layer_rows("fleet", FLEET_HEADERS, coords="epsg4547", lon="X", lat="Y", every=30)
    book = write_workbook(tmp_path / "fleet.xlsx", {"车辆": rows})
    folder = tmp_path / "s"
    res = init(folder, fleet=book)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert lines[-1].startswith(f"error: {folder / 'fleet.xlsx'}, sheet '车辆' has no CRS")
    assert "does not validate yet; fix this, then run `siting validate" in res.output
    assert (folder / "scenario.toml").is_file()  # written: the user edits it


def test_toml_values_are_escaped():
    nasty = 'a "quoted" \\ back\nslash\t\x7f}}{{'
    assert tomllib.loads(f"x = {toml_value(nasty)}")["x"] == nasty
    assert tomllib.loads(f"x = {toml_value({'2023': 0.5, 'a b': [1, 2.5]})}")["x"] == {
        "2023": 0.5, "a b": [1, 2.5]}


def test_init_name_with_quotes_round_trips(tmp_path):
    ok(init(tmp_path / "s", "--name", '随州 "示范" \\ 方案', validate=False))
    assert load_scenario(tmp_path / "s" / "scenario.toml").name == '随州 "示范" \\ 方案'


def test_init_keeps_the_registers_segments_when_a_row_is_wrong(tmp_path):
    """A totals row (合计) stops validation, but the segments must still be the register's own
    words: they used to fall back to the bundled ids, so after deleting the totals row the
    scenario failed again on every 环卫 row (and init never overwrites it)."""
    import openpyxl

    rows = layer_rows("fleet", FLEET_HEADERS, every=25)
    words = {"sanitation": "环卫", "municipal": "市政", "logistics": "物流配送",
             "muck_truck": "渣土车"}
    for r in rows[1:]:
        r[2] = words[r[2]]
    rows.append(["合计", None, None, sum(r[3] for r in rows[1:]), None, None, None])
    book = write_workbook(tmp_path / "台账.xlsx", {"台账": rows})
    folder = tmp_path / "s"
    res = init(folder, fleet=book)
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines()[-1] == (
        f"error: {folder / '台账.xlsx'}, sheet '台账': row {len(rows)}: column '经度' is empty; "
        "fill in the longitude or delete the row")
    doc = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    assert [s["id"] for s in doc["segments"]] == list(dict.fromkeys(
        r[2] for r in rows[1:-1]))
    wb = openpyxl.load_workbook(folder / "台账.xlsx")
    wb.active.delete_rows(len(rows))
    wb.save(folder / "台账.xlsx")
    ok(invoke("validate", str(folder / "scenario.toml")))
