"""Excel point layers (siting/tables.py) through read_layer and the real CLI.

Workbooks are built here with openpyxl from the bundled layers: Chinese column names, a title
row, GCJ-02 degrees, EPSG:4547 metres with the surveyors' X = northing. Positions read back
are compared with the bundled WGS84 layers; errors are checked for the file, the sheet,
Excel's row number and the column.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from helpers_excel import (
    CANDIDATE_HEADERS,
    DATA,
    FLEET_HEADERS,
    layer_rows,
    write_workbook,
)
from pyproj import Geod

from siting import tables
from siting._errors import InputDataError, ScenarioError
from siting.demand import FLEET_COLUMNS
from siting.layers import read_layer
from siting.scenario import LayerSpec
from tests.helpers_cli import Case, error_line

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tables"
GEOD = Geod(ellps="WGS84")


def metres_apart(a: gpd.GeoSeries, b: gpd.GeoSeries) -> np.ndarray:
    """Geodesic distance (m) between matching points of two WGS84 series."""
    _, _, d = GEOD.inv(a.x.to_numpy(), a.y.to_numpy(), b.x.to_numpy(), b.y.to_numpy())
    return np.asarray(d)


def bundled(layer: str, every: int = 1) -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / f"{layer}.geojson").iloc[::every].reset_index(drop=True)


# =========================================================================== cells and names
@pytest.mark.parametrize(("cell", "value"), [
    (113.38, 113.38), (31, 31.0), ("113.38", 113.38), (" 113.38 ", 113.38),
    ("１１３.３８", 113.38), ("113.38°", 113.38), ("E113.38", 113.38), ("113.38E", 113.38),
    ("东经113.38", 113.38), ("北纬 31.7", 31.7), ("113°22′48″", 113 + 22 / 60 + 48 / 3600),
    ("113°22'48\"", 113 + 22 / 60 + 48 / 3600), ("113度22分48秒", 113 + 22 / 60 + 48 / 3600),
    ("31°42.5′", 31 + 42.5 / 60), ("440,228.5", 440228.5), ("-12.5", -12.5),
])
def test_parse_coordinate_accepts(cell, value):
    assert tables.parse_coordinate(cell) == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("cell", ["", "abc", "113.38.1", "113°61′", True, None, float("nan"),
                                  "inf", "113°22′70″", "一百一十三"])
def test_parse_coordinate_refuses(cell):
    assert tables.parse_coordinate(cell) is None


def test_header_key_ignores_case_width_spaces_and_units():
    assert tables.header_key("车辆数（辆）") == "车辆数"
    assert tables.header_key(" 日均里程 (km) ") == "日均里程"
    assert tables.header_key("Ｘ坐标") == "x坐标"
    assert tables.header_key("Longitude") == "longitude"


def test_aliases_map_chinese_names_and_keep_canonical_ones():
    gdf = gpd.GeoDataFrame({"编号": ["a"], "名称": ["n"], "vehicles": [3], "数量": [9],
                            "车辆类别": ["sanitation"]},
                           geometry=gpd.points_from_xy([113.4], [31.7]), crs="EPSG:4326")
    out, shown = tables.apply_aliases(gdf, ["fleet_id", "segment", "vehicles"])
    # vehicles exists under its own name: the alias 数量 is not used for it
    assert shown == {"fleet_id": "编号", "segment": "车辆类别", "name": "名称"}
    assert list(out.columns[:5]) == ["fleet_id", "name", "vehicles", "数量", "segment"]


@pytest.mark.parametrize(("columns", "projected", "expected"), [
    (["编号", "经度", "纬度"], False, ("经度", "纬度", True)),
    (["编号", "东经", "北纬"], False, ("东经", "北纬", True)),
    (["编号", "X坐标", "Y坐标"], True, ("X坐标", "Y坐标", False)),
    (["lon", "lat", "x", "y"], True, ("x", "y", False)),
    (["lon", "lat", "x", "y"], False, ("lon", "lat", True)),
    (["编号", "名称"], False, None),
])
def test_coordinate_columns(columns, projected, expected):
    assert tables.coordinate_columns(columns, projected=projected) == expected


# =========================================================================== reading
def test_gcj02_sheet_with_title_row_reads_as_the_bundled_fleet(tmp_path):
    path = write_workbook(tmp_path / "台账.xlsx", {
        "说明": [["本表为示意数据"]],
        "车辆台账": layer_rows("fleet", FLEET_HEADERS, coords="gcj02", title="随州市车辆台账"),
    })
    spec = LayerSpec(path=path, sheet="车辆台账", header_row=2, coords="gcj02")
    got = read_layer(spec, what="demand", required=FLEET_COLUMNS, geom="point",
                     id_column="fleet_id")
    want = bundled("fleet")
    assert got["fleet_id"].tolist() == want["fleet_id"].tolist()
    assert got["name"].tolist() == want["name"].tolist()  # 名称 -> name
    assert got["vehicles"].tolist() == want["vehicles"].astype(float).tolist()
    # GCJ-02 undone: back on the WGS84 points (the inverse is iterative, ~1e-6 deg)
    assert metres_apart(got.geometry, want.geometry).max() < 0.5


def test_epsg4547_sheet_with_surveyors_xy_is_swapped_back(tmp_path, caplog):
    path = write_workbook(tmp_path / "候选站点.xlsx", {"站点": layer_rows(
        "candidates", CANDIDATE_HEADERS, coords="epsg4547", lon="X坐标", lat="Y坐标")})
    got = read_layer(LayerSpec(path=path, crs="EPSG:4547"), what="candidates",
                     required={"site_id": "text", "allowed_types": "text"}, geom="point",
                     id_column="site_id", optional={"capex_factor": "number"})
    want = bundled("candidates")
    assert got["site_id"].tolist() == want["site_id"].tolist()
    assert got["capex_factor"].tolist() == pytest.approx(want["capex_factor"].tolist())
    assert metres_apart(got.geometry, want.geometry).max() < 0.05  # rounded to 1 cm
    assert "holds northings" in caplog.text


def test_xls_workbook_with_dms_text(tmp_path):
    got = read_layer(FIXTURES / "fleet_2003.xls", what="demand", required=FLEET_COLUMNS,
                     geom="point", id_column="fleet_id")
    want = bundled("fleet").iloc[:12].reset_index(drop=True)
    assert got["fleet_id"].tolist() == want["fleet_id"].tolist()
    # the first three rows hold 31°43′26.483″-style text: 0.001″ is 3 cm
    assert metres_apart(got.geometry, want.geometry).max() < 0.05


def test_csv_with_east_north_headers(tmp_path):
    rows = layer_rows("fleet", FLEET_HEADERS, lon="东经", lat="北纬", every=50)
    path = tmp_path / "fleet.csv"
    path.write_text("\n".join(",".join(str(c) for c in r) for r in rows), encoding="gb18030")
    got = read_layer(path, what="demand", required=FLEET_COLUMNS, geom="point",
                     id_column="fleet_id")
    want = bundled("fleet", every=50)
    assert got["fleet_id"].tolist() == want["fleet_id"].tolist()
    assert metres_apart(got.geometry, want.geometry).max() < 0.01


@pytest.mark.parametrize("sep", [";", "\t"])
def test_csv_with_bom_and_semicolons_or_tabs(tmp_path, sep):
    """Excel's "CSV (semicolon)" and tab-separated text: the separator is found from the
    header line (it was one column: 'cannot read table: Error tokenizing data')."""
    rows = layer_rows("fleet", FLEET_HEADERS, every=50)
    rows[1][1] = "Müller, Söhne & Co"  # a comma inside a cell does not make it a CSV
    path = tmp_path / "fleet.csv"
    path.write_text("\n".join(sep.join(str(c) for c in r) for r in rows),
                    encoding="utf-8-sig")
    got = read_layer(path, what="demand", required=FLEET_COLUMNS, geom="point",
                     id_column="fleet_id")
    want = bundled("fleet", every=50)
    assert got["fleet_id"].tolist() == want["fleet_id"].tolist()
    assert metres_apart(got.geometry, want.geometry).max() < 0.01
    assert got["vehicles"].tolist() == want["vehicles"].tolist()
    # decimal commas (the reason for semicolons) are named as such
    rows[1][-1] = str(rows[1][-1]).replace(".", ",")
    path.write_text("\n".join(sep.join(str(c) for c in r) for r in rows),
                    encoding="utf-8-sig")
    with pytest.raises(InputDataError, match=r"row 1: coordinate column '纬度' has "
                       r"'\d+,\d+', not a number; write numbers with a decimal point"):
        read_layer(path, what="demand", required=FLEET_COLUMNS, geom="point")


def test_first_sheet_is_default_and_others_are_named(tmp_path, caplog):
    path = write_workbook(tmp_path / "f.xlsx", {
        "车辆": layer_rows("fleet", FLEET_HEADERS, every=100),
        "备用": [["x"]]})
    got = read_layer(path, what="demand", required=FLEET_COLUMNS, geom="point")
    assert len(got) == len(bundled("fleet", every=100))
    assert "2 sheets; reading the first, '车辆'" in caplog.text


# =========================================================================== errors
def fleet_book(tmp_path: Path, *, every: int = 30, title: bool = False,
               edit=None) -> Path:
    rows = layer_rows("fleet", FLEET_HEADERS, every=every,
                      title="车辆台账（示意）" if title else None)
    if edit is not None:
        edit(rows)
    return write_workbook(tmp_path / "fleet.xlsx", {"车辆台账": rows})


def read_fleet(path: Path, **spec) -> gpd.GeoDataFrame:
    return read_layer(LayerSpec(path=path, **spec), what="demand", required=FLEET_COLUMNS,
                      geom="point", id_column="fleet_id")


def test_bad_number_names_sheet_excel_row_and_chinese_column(tmp_path):
    def edit(rows):
        rows[6][3] = "twenty"  # the 6th data row: Excel row 7 (header in row 1)

    path = fleet_book(tmp_path, edit=edit)
    fid = bundled("fleet", every=30)["fleet_id"].iloc[5]
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (
        f"{path}, sheet '车辆台账': row 7 (fleet_id '{fid}'): column '车辆数（辆）' has "
        "'twenty', not a number; give a number")


def test_row_numbers_count_the_title_row(tmp_path):
    def edit(rows):
        rows[4][3] = -3  # title row 1, header row 2: rows[4] is Excel row 5

    path = fleet_book(tmp_path, title=True, edit=edit)
    with pytest.raises(InputDataError, match=r"sheet '车辆台账': row 5 \(fleet_id '\w+'\): column "
                       r"'车辆数（辆）' is negative \(-3\)"):
        read_fleet(path, header_row=2)


def test_empty_coordinate_cell(tmp_path):
    def edit(rows):
        rows[3][-1] = None

    path = fleet_book(tmp_path, edit=edit)
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (f"{path}, sheet '车辆台账': row 4: column '纬度' is empty; fill in "
                            "the latitude or delete the row")


def test_text_in_coordinate_cell(tmp_path):
    def edit(rows):
        rows[2][-2] = "见附图"

    path = fleet_book(tmp_path, edit=edit)
    with pytest.raises(InputDataError, match=r"row 3: column '经度' has '见附图', not a "
                       r"longitude; give a number \(decimal degrees"):
        read_fleet(path)


def test_empty_row_between_data_rows(tmp_path):
    def edit(rows):
        rows.insert(5, [None] * len(rows[0]))

    path = fleet_book(tmp_path, edit=edit)
    with pytest.raises(InputDataError, match=r"sheet '车辆台账': row 6 is empty but rows below "
                       "it hold data; delete the empty row"):
        read_fleet(path)


def test_duplicate_id_names_both_excel_rows(tmp_path):
    def edit(rows):
        rows[9][0] = rows[2][0]

    path = fleet_book(tmp_path, edit=edit)
    with pytest.raises(InputDataError,
                       match=r"row 10 \(fleet_id '\w+'\): duplicate fleet_id \(also row 3\)"):
        read_fleet(path)


def test_title_row_without_header_row_is_explained(tmp_path):
    path = fleet_book(tmp_path, title=True)
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (f"{path}, sheet '车辆台账': no coordinate columns in row 1, but "
                            "row 2 holds column names; set header_row = 2 in [demand]")


def test_missing_sheet_suggests_the_nearest(tmp_path):
    path = fleet_book(tmp_path)
    with pytest.raises(ScenarioError) as e:
        read_fleet(path, sheet="车辆台帐")
    assert str(e.value) == (f"{path}: cannot read demand layer: no sheet '车辆台帐' (did you "
                            "mean '车辆台账'?); sheets are ['车辆台账']; fix sheet in [demand]")


def test_sheet_option_on_a_geojson_is_refused():
    with pytest.raises(ScenarioError, match=r"fleet.geojson: sheet in \[demand\] applies only "
                       "to an Excel workbook, and this file is not one; remove sheet from"):
        read_fleet(DATA / "fleet.geojson", sheet="x")


def test_not_a_workbook(tmp_path):
    path = tmp_path / "fleet.xlsx"
    path.write_text("编号,经度,纬度\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"fleet.xlsx: cannot read demand layer: not an "
                       r"Excel \.xlsx workbook \(.*\); it is a text \(CSV\) table with an "
                       r"Excel name: rename it \.csv$"):
        read_fleet(path)


def test_degrees_with_a_projected_crs(tmp_path):
    path = fleet_book(tmp_path)
    with pytest.raises(InputDataError, match=r"hold longitude/latitude \(degrees\) but crs = "
                       r'"EPSG:4547" in \[demand\] is a projected CRS'):
        read_fleet(path, crs="EPSG:4547")


def test_xy_without_crs_asks_for_one(tmp_path):
    rows = layer_rows("fleet", FLEET_HEADERS, coords="epsg4547", lon="X", lat="Y", every=30)
    path = write_workbook(tmp_path / "fleet.xlsx", {"车辆台账": rows})
    with pytest.raises(InputDataError, match=r"sheet '车辆台账' has no CRS; add crs = "):
        read_fleet(path)


# =========================================================================== the CLI
def excel_case(tmp_path: Path, *, every: int = 30) -> Case:
    """The bundled scenario with its fleet (GCJ-02, title row) and candidates (EPSG:4547
    metres) in workbooks."""
    case = Case(tmp_path)
    write_workbook(case.dir / "车辆台账.xlsx", {
        "说明": [["示意数据"]],
        "车辆": layer_rows("fleet", FLEET_HEADERS, coords="gcj02", every=every,
                         title="随州市专用车辆台账"),
    })
    write_workbook(case.dir / "候选站点.xlsx", {"候选": layer_rows(
        "candidates", CANDIDATE_HEADERS, coords="epsg4547", lon="X坐标", lat="Y坐标")})
    case.sub('[demand]\npath = "fleet.geojson"',
             '[demand]\npath = "车辆台账.xlsx"\nsheet = "车辆"\nheader_row = 2\ncoords = "gcj02"')
    case.sub('[candidates]\npath = "candidates.geojson"',
             '[candidates]\npath = "候选站点.xlsx"\ncrs = "EPSG:4547"')
    (case.dir / "fleet.geojson").unlink()
    (case.dir / "candidates.geojson").unlink()
    return case


@pytest.mark.slow
def test_run_on_excel_layers_gives_the_geojson_plan(tmp_path):
    """The same scenario from workbooks and from the bundled GeoJSON: the same optimum.

    The workbook's fleet is in GCJ-02, so its points come back from the conversion moved by
    millimetres (travel times differ by up to 0.0013 min): the model is the same but for
    that. Both runs are proven optimal, in coverage and then in cost; where several plans
    tie on both, each run may return a different one of them (seen: the same 114.8 and
    57.48 M CNY from different depot and hub sites), so the plans are compared by what they
    achieve and by their stations of each type, not site by site."""
    xl = excel_case(tmp_path / "xl")
    xl.total_budget_only()  # as Case.fast does for gj
    xl.time_limit(20)
    gj = Case(tmp_path / "gj").fast(20, every=30)
    for c in (xl, gj):
        res = c.run()
        assert res.exit_code == 0, res.output
    rep = [json.loads((c.out / "report.json").read_text(encoding="utf-8")) for c in (xl, gj)]
    assert rep[0]["inputs"] == rep[1]["inputs"]
    for r in rep:
        assert r["solver"]["status"] == "optimal" and r["solver"]["cost_status"] == "optimal"
    assert rep[0]["objective"] == pytest.approx(rep[1]["objective"], rel=1e-6)
    assert rep[0]["spent"] == pytest.approx(rep[1]["spent"], rel=1e-9)
    st = [gpd.read_file(c.out / "stations.geojson") for c in (xl, gj)]
    assert sorted(st[0]["station_type"]) == sorted(st[1]["station_type"])
    assert len(st[0]) == len(st[1]) > 0
    dem = gpd.read_file(xl.out / "results.gpkg", layer="demand")
    assert set(dem["fleet_id"]) <= set(bundled("fleet", every=30)["fleet_id"])


def test_validate_excel_bad_row_one_line(tmp_path):
    case = excel_case(tmp_path)
    from openpyxl import load_workbook

    wb = load_workbook(case.dir / "车辆台账.xlsx")
    ws = wb["车辆"]
    ws["D5"] = "二十"  # 车辆数（辆）, Excel row 5 (title row 1, header row 2)
    fid = ws["A5"].value
    wb.save(case.dir / "车辆台账.xlsx")
    line = error_line(case.validate())
    assert line == (f"error: {case.dir / '车辆台账.xlsx'}, sheet '车辆': row 5 (fleet_id '{fid}'): "
                    "column '车辆数（辆）' has '二十', not a number; give a number")


@pytest.mark.slow
def test_validate_excel_unknown_segment_names_excel_row(tmp_path):
    case = excel_case(tmp_path)
    from openpyxl import load_workbook

    wb = load_workbook(case.dir / "车辆台账.xlsx")
    ws = wb["车辆"]
    ws["C9"] = "环卫车"
    fid = ws["A9"].value
    wb.save(case.dir / "车辆台账.xlsx")
    line = error_line(case.validate())
    assert re.search(rf"车辆台账.xlsx, sheet '车辆': row 9 \(fleet_id '{fid}'\): segment "
                     r"'环卫车' is not defined in the scenario", line), line


def test_xls_without_xlrd_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "xlrd", None)  # import xlrd fails
    path = FIXTURES / "fleet_2003.xls"
    with pytest.raises(ScenarioError) as e:
        read_fleet(path)
    assert str(e.value) == (f"{path}: cannot read .xls workbooks: the xlrd package is not "
                            "installed; pip install xlrd, or save the sheet as .xlsx from Excel")


def test_sheet_without_coordinate_columns(tmp_path):
    path = write_workbook(tmp_path / "f.xlsx", {"Sheet1": [["编号", "名称"], ["a", "b"]]})
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (
        f"{path}, sheet 'Sheet1': no coordinate columns; columns in row 1 are ['编号', '名称']; "
        "name them 经度/纬度 (lon/lat, degrees) or X/Y (metres, with crs = \"EPSG:...\"), or set "
        "x_column and y_column in [demand]")
