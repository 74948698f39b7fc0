"""Fleet registers and candidate sheets as planners keep them: cells that must be read, or
refused with one line naming the file, sheet, Excel row and column (never misread).

Each workbook is written here with openpyxl (tests/helpers_excel.py); the sums read back are
compared with the sheet's own cells.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from helpers_excel import CANDIDATE_HEADERS, DATA, FLEET_HEADERS, layer_rows, write_workbook

from siting import candidates, tables
from siting._errors import InputDataError
from siting.candidates import CANDIDATE_COLUMNS
from siting.demand import FLEET_COLUMNS
from siting.layers import read_layer
from siting.scenario import LayerSpec, load_scenario

VEHICLES = 3  # column of 车辆数（辆） in layer_rows
CAPEX = 3  # column of 造价系数 in the candidates' layer_rows


def fleet_book(tmp_path: Path, edit=None, *, name: str = "fleet.xlsx") -> tuple[Path, list]:
    """A register of every 30th bundled fleet point (header in row 1), edited by ``edit``."""
    rows = layer_rows("fleet", FLEET_HEADERS, every=30)
    if edit is not None:
        edit(rows)
    return write_workbook(tmp_path / name, {"车辆台账": rows}), rows


def read_fleet(path: Path, **spec) -> gpd.GeoDataFrame:
    return read_layer(LayerSpec(path=path, **spec), what="demand", required=FLEET_COLUMNS,
                      geom="point", id_column="fleet_id")


# =========================================================================== number cells
def test_true_in_a_number_column_is_refused_not_read_as_one(tmp_path):
    """Excel's TRUE in 车辆数 was read as 1 vehicle without a word."""
    def edit(rows):
        rows[4][VEHICLES] = True  # Excel row 5

    path, rows = fleet_book(tmp_path, edit)
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (
        f"{path}, sheet '车辆台账': row 5 (fleet_id '{rows[4][0]}'): column '车辆数（辆）' has "
        "TRUE (true/false), not a number; give a number")


@pytest.mark.parametrize(("cell", "value"), [
    ("1,200", 1200.0), ("１２", 12.0), (" 1,200.5 ", 1200.5), ("１，２００", 1200.0),
    ("+12", 12.0),
])
def test_numbers_stored_as_text_with_separators_or_full_width(tmp_path, cell, value):
    def edit(rows):
        rows[3][VEHICLES] = cell

    path, rows = fleet_book(tmp_path, edit)
    got = read_fleet(path)
    assert got["vehicles"].iloc[2] == value
    expected = sum(float(r[VEHICLES]) for i, r in enumerate(rows[1:]) if i != 2) + value
    assert got["vehicles"].sum() == pytest.approx(expected)


def test_a_whole_column_of_text_numbers_is_read(tmp_path):
    """Every cell text (pandas 3 then gives the column its str dtype, not object)."""
    def edit(rows):
        for r in rows[1:]:
            r[VEHICLES] = f"{r[VEHICLES] * 1000:,}".translate(str.maketrans("0123", "０１２３"))

    path, _ = fleet_book(tmp_path, edit)
    got = read_fleet(path)
    want = layer_rows("fleet", FLEET_HEADERS, every=30)
    assert got["vehicles"].tolist() == [r[VEHICLES] * 1000 for r in want[1:]]


@pytest.mark.parametrize("cell", ["1,20", "12,5", "1,2000", "1.200,5"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused(tmp_path, cell):
    def edit(rows):
        rows[3][VEHICLES] = cell

    path, _ = fleet_book(tmp_path, edit)
    with pytest.raises(InputDataError, match=rf"row 4 \(fleet_id '\w+'\): column '车辆数（辆）' "
                       rf"has '{cell}', not a number; give a number"):
        read_fleet(path)


@pytest.mark.parametrize(("cell", "value"), [
    ("113,38", None), ("113,380,1", None), ("440,228.5", 440228.5), ("1,234,567", 1234567.0),
])
def test_parse_coordinate_reads_commas_only_as_thousands_separators(cell, value):
    """A decimal comma (113,38) used to become 11338 and the layer was said to be in metres."""
    assert tables.parse_coordinate(cell) == value


def test_decimal_comma_in_a_longitude_names_the_cell(tmp_path):
    def edit(rows):
        rows[3][-2] = f"{rows[3][-2]:.5f}".replace(".", ",")

    path, rows = fleet_book(tmp_path, edit)
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value).startswith(
        f"{path}, sheet '车辆台账': row 4: column '经度' has '{rows[3][-2]}', not a longitude; "
        "give a number (decimal degrees")


# =========================================================================== candidates
def candidates_book(tmp_path: Path, edit=None) -> tuple[Path, list]:
    rows = layer_rows("candidates", CANDIDATE_HEADERS)
    if edit is not None:
        edit(rows)
    return write_workbook(tmp_path / "cand.xlsx", {"候选站点": rows}), rows


def candidate_sites(path: Path) -> gpd.GeoDataFrame:
    """The candidates of ``path`` stacked as the model sees them (``_types``, ``capex_factor``)."""
    sc = load_scenario(DATA / "scenario.toml")
    cand = read_layer(LayerSpec(path=path), what="candidates", required=CANDIDATE_COLUMNS,
                      geom="point", id_column="site_id")
    return candidates._stack_sites(cand, None, [t.id for t in sc.station_types],
                                   tables.source_of(LayerSpec(path=path)), "existing layer")


def test_true_as_capex_factor_is_refused(tmp_path):
    def edit(rows):
        rows[3][CAPEX] = True  # Excel row 4

    path, rows = candidates_book(tmp_path, edit)
    with pytest.raises(InputDataError, match=rf"row 4 \(site_id '{rows[3][0]}'\): capex_factor "
                       r"is TRUE \(true/false\); give a number >= 0"):
        candidate_sites(path)


@pytest.mark.parametrize("sep", ["；", "，", "、", "\n", " / "])
def test_allowed_types_separated_the_chinese_way(tmp_path, sep):
    """An IME's full-width ；，、 or a line break in the cell (Alt+Enter) separates types too."""
    multi = []

    def edit(rows):
        for i, r in enumerate(rows[1:], start=1):
            if ";" in r[2]:
                multi.append(i)
                r[2] = r[2].replace(";", sep)

    path, _ = candidates_book(tmp_path, edit)
    assert multi
    got = candidate_sites(path)
    (tmp_path / "plain").mkdir()
    want = candidate_sites(candidates_book(tmp_path / "plain")[0])
    assert got["_types"].tolist() == want["_types"].tolist()


# =========================================================================== formulas
def test_formula_without_a_saved_result_says_to_save_the_file_in_excel(tmp_path):
    """A workbook written by a program (openpyxl, an export) holds formulas but no results;
    the cells read as empty and the message said 'fill it in' although Excel shows a value."""
    def edit(rows):
        for r in rows[1:]:
            r[VEHICLES] = f"={r[VEHICLES]}*1"

    path, rows = fleet_book(tmp_path, edit)
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (
        f"{path}, sheet '车辆台账': row 2: cell D2 holds a formula ({rows[1][VEHICLES]}) whose "
        "result was never saved (the file was written by a program, not by Excel); open it "
        "in Excel or WPS and save it, or paste the values")


def test_formula_with_its_saved_result_is_read(tmp_path):
    """What Excel, WPS and LibreOffice write: the formula and its last result (<v>)."""
    import re
    import shutil
    import zipfile

    def edit(rows):
        for r in rows[1:]:
            r[VEHICLES] = f"={r[VEHICLES]}*1"
        rows[1][1] = '=IF(1=1,"","x")'  # a formula whose saved result is empty text

    path, rows = fleet_book(tmp_path, edit)
    cached = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(cached, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<f>(\d+)\*1</f><v\s*/>", rb"<f>\1*1</f><v>\1</v>", data)
                # Excel writes an empty text result as t="str" and an empty <v>
                data, n = re.subn(rb'<c r="B2"([^>]*)><f>(IF[^<]*)</f><v\s*/>',
                                  rb'<c r="B2"\1 t="str"><f>\2</f><v></v>', data)
                assert n == 1
            zout.writestr(item, data)
    shutil.move(cached, path)
    got = read_fleet(path)
    assert got["vehicles"].sum() == sum(int(r[VEHICLES][1:-2]) for r in rows[1:])


# =========================================================================== sheets
def test_a_description_sheet_first_names_the_sheet_with_the_data(tmp_path):
    """A register whose first sheet explains the table (说明): the message says which sheet
    holds coordinates, not only to rename columns in the description."""
    rows = layer_rows("fleet", FLEET_HEADERS, every=30)
    path = write_workbook(tmp_path / "fleet.xlsx", {"说明": [["本表为环卫车辆台账"]],
                                                    "环卫车辆": rows})
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}, sheet '说明': no coordinate columns")
    assert msg.endswith("; sheet '环卫车辆' has them: set sheet = \"环卫车辆\" in [demand]")
    assert read_fleet(path, sheet="环卫车辆")["vehicles"].sum() == sum(
        r[VEHICLES] for r in rows[1:])


def test_a_hidden_sheet_with_coordinates_is_named_as_hidden(tmp_path):
    """The only sheet with coordinates is hidden (an old copy?): the hint says so rather than
    pointing to it as the sheet to read."""
    import openpyxl

    rows = layer_rows("fleet", FLEET_HEADERS, every=30)
    path = write_workbook(tmp_path / "fleet.xlsx", {"说明": [["本表为环卫车辆台账"]],
                                                    "旧台账": rows})
    wb = openpyxl.load_workbook(path)
    wb["旧台账"].sheet_state = "hidden"
    wb.save(path)
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value).endswith(
        "; sheet '旧台账', hidden in Excel, has them: unhide it and set sheet = \"旧台账\" in "
        "[demand] if it is the one to read")


@pytest.mark.parametrize(("name", "content", "fix"), [
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
     "it is an Excel 97-2003 workbook or a password-protected one"),
    ("table.xlsx", "编号,经度,纬度\nA1,113.38,31.69\n".encode("gb18030"),
     "it is a text (CSV) table with an Excel name: rename it .csv"),
    ("export.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>",
     "it is a web page (HTML/XML) with an Excel name"),
    ("new.xls", None, "it is an .xlsx workbook named .xls: rename it .xlsx"),
])
def test_a_misnamed_workbook_says_what_the_file_is(tmp_path, name, content, fix):
    """A file that does not open as its name says: the message names what it really is
    (was only the reader's 'File is not a zip file')."""
    from siting._errors import ScenarioError

    path = tmp_path / name
    if content is None:  # a real .xlsx, renamed
        fleet_book(tmp_path)[0].rename(path)
    else:
        path.write_bytes(content)
    with pytest.raises(ScenarioError) as e:
        tables.sheet_names(path, "demand")
    msg = str(e.value)
    assert msg.startswith(f"{path}: cannot read demand layer: not an Excel ")
    assert fix in msg and "\n" not in msg


def test_a_corrupt_workbook_keeps_the_general_fix(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(Exception, match=r"save it again as \.xlsx \(not password-protected\)$"):
        tables.sheet_names(path, "demand")


def test_a_units_row_under_the_column_names_is_named_as_such(tmp_path):
    rows = layer_rows("fleet", FLEET_HEADERS, every=30)
    units = ["", "", "", "辆", "km", "度", "度"][: len(rows[0])]
    path = write_workbook(tmp_path / "fleet.xlsx", {"车辆台账": [rows[0], units, *rows[1:]]})
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value).startswith(f"{path}, sheet '车辆台账': row 2: column '")
    assert "has '度', not a longitude; if it is a row of units under the column names, " \
           "delete that row; otherwise give a number" in str(e.value)
    # a bad value further down keeps the plain fix
    rows[3][rows[0].index("经度")] = "度"
    with pytest.raises(InputDataError, match=r"row 4: column '经度' has '度', not a longitude; "
                       r"give a number"):
        read_fleet(write_workbook(tmp_path / "f2.xlsx", {"车辆台账": rows}))


# =========================================================================== what Excel hides
def hidden_book(tmp_path: Path, edit) -> tuple[Path, list]:
    """:func:`fleet_book` with ``edit(workbook, sheet)`` applied by openpyxl."""
    import openpyxl

    path, rows = fleet_book(tmp_path)
    wb = openpyxl.load_workbook(path)
    edit(wb, wb["车辆台账"])
    wb.save(path)
    return path, rows


def test_hidden_rows_are_counted_and_named(tmp_path, caplog):
    """Hiding rows is how many planners leave vehicles out; they were read without a word."""
    def edit(wb, ws):
        for r in (3, 4, 5, 9, 20):  # 20: below the last point (row 13), not data
            ws.row_dimensions[r].hidden = True

    path, rows = hidden_book(tmp_path, edit)
    got = read_fleet(path)
    assert got["vehicles"].sum() == sum(r[VEHICLES] for r in rows[1:])  # read, as before
    assert (f"{path}, sheet '车辆台账': 4 rows (3-5, 9) are hidden in Excel, but siting reads "
            "hidden rows like the others; to leave them out, delete them; otherwise unhide them "
            "(or clear the filter)") in caplog.messages


def test_a_row_hidden_by_a_filter_and_a_hidden_column_siting_reads(tmp_path, caplog):
    def edit(wb, ws):
        ws.auto_filter.ref = "A1:H13"  # Excel hides the rows a filter leaves out
        ws.row_dimensions[7].hidden = True
        ws["H1"] = "备注"
        ws["H2"] = "旧车"
        for col in ("D", "H"):  # 车辆数（辆） is read, 备注 is not
            ws.column_dimensions[col].hidden = True

    path, _ = hidden_book(tmp_path, edit)
    read_fleet(path)
    assert caplog.messages == [
        f"{path}, sheet '车辆台账': row 7 is hidden in Excel, but siting reads hidden rows like "
        "the others; to leave it out, delete it; otherwise unhide it (or clear the filter)",
        f"{path}, sheet '车辆台账': column D ('车辆数（辆）') is hidden in Excel, but siting reads "
        "it by its name; unhide it to check the values, or delete it if not to be used"]


def test_a_hidden_first_sheet_is_skipped_and_one_chosen_by_name_is_named(tmp_path, caplog):
    """The default sheet is the first one Excel shows, not an old copy hidden before it."""
    def edit(wb, ws):
        old = wb.create_sheet("旧台账", 0)
        for row in ws.iter_rows(max_row=4, values_only=True):
            old.append(row)
        old.sheet_state = "hidden"

    path, rows = hidden_book(tmp_path, edit)
    assert len(read_fleet(path)) == len(rows) - 1
    assert (f"{path} has 2 sheets; reading the first one Excel shows, '车辆台账' (set sheet = "
            "... in [demand] to choose)") in caplog.messages
    caplog.clear()
    assert len(read_fleet(path, sheet="旧台账")) == 3
    assert caplog.messages == [
        f"{path}: sheet '旧台账' is hidden in Excel, but sheet = \"旧台账\" in [demand] names it, "
        "so siting reads it; check that it is the sheet you mean (or unhide it)"]


# =========================================================================== two-level headers
def two_level_book(tmp_path: Path, merges: list[str]) -> Path:
    """车辆信息 over 编号 … 日均里程 (A1:E1) and 经度/纬度 in row 1 only (F1:F2, G1:G2 when
    merged): the column names take rows 1 and 2."""
    import openpyxl

    rows = layer_rows("fleet", FLEET_HEADERS, every=30)
    path, _ = fleet_book(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["车辆台账"]
    ws.insert_rows(1)
    for col, text in (("A", "车辆信息"), ("F", rows[0][5]), ("G", rows[0][6])):
        ws[f"{col}1"] = text
    ws["F2"] = ws["G2"] = None
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


@pytest.mark.parametrize(("merges", "header_row", "fix"), [
    (["A1:E1", "F1:F2", "G1:G2"], 1, "unmerge F1:F2 and G1:G2, write '经度' and '纬度' in row 2, "
     "then set header_row = 2 in [demand] (rows above it are skipped)"),
    (["A1:E1", "F1:F2", "G1:G2"], 2, "unmerge F1:F2 and G1:G2, then write '经度' and '纬度' in "
     "row 2"),
])
def test_a_merged_two_level_header_names_the_cells_and_the_fix(tmp_path, merges, header_row,
                                                                fix):
    """Was: columns 'Unnamed: 5' ... and 'no coordinate columns', or 'row 2: column '经度' is
    empty'."""
    path = two_level_book(tmp_path, merges)
    with pytest.raises(InputDataError) as e:
        read_fleet(path, header_row=header_row)
    assert str(e.value) == (
        f"{path}, sheet '车辆台账': the column names take two rows, 1-2 (merged cells A1:E1 "
        f"'车辆信息', F1:F2 '经度' and G1:G2 '纬度'), but siting reads them from one row "
        f"(header_row = {header_row}); {fix}")


def test_the_fix_of_a_two_level_header_reads_the_register(tmp_path):
    """Unmerged, the names written in row 2 and header_row = 2, as the message says."""
    import openpyxl

    path = two_level_book(tmp_path, ["A1:E1", "F1:F2", "G1:G2"])
    wb = openpyxl.load_workbook(path)
    ws = wb["车辆台账"]
    for ref in ("F1:F2", "G1:G2"):
        ws.unmerge_cells(ref)
    ws["F2"], ws["G2"] = "经度", "纬度"
    wb.save(path)
    assert read_fleet(path, header_row=2)["vehicles"].sum() == sum(
        r[VEHICLES] for r in layer_rows("fleet", FLEET_HEADERS, every=30)[1:])


def test_a_two_level_header_without_merged_cells(tmp_path):
    path = two_level_book(tmp_path, [])
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (
        f"{path}, sheet '车辆台账': the column names take two rows, 1-2 (row 2 has names under "
        "columns left unnamed in row 1), but siting reads them from one row (header_row = 1); "
        "write '经度' and '纬度' in row 2, then set header_row = 2 in [demand] (rows above it "
        "are skipped)")


def test_a_merged_title_over_the_table_is_not_a_second_header_row(tmp_path):
    """A title merged across the whole table keeps the title-row hint (and reads once set)."""
    import openpyxl

    path, rows = fleet_book(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["车辆台账"]
    ws.insert_rows(1)
    ws["A1"] = "随州市专用车辆台账"
    ws.merge_cells("A1:G1")
    wb.save(path)
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == (f"{path}, sheet '车辆台账': no coordinate columns in row 1, but "
                            "row 2 holds column names; set header_row = 2 in [demand]")
    assert len(read_fleet(path, header_row=2)) == len(rows) - 1


# =========================================================================== merged data cells
def test_a_cell_merged_down_over_rows_counts_on_each_row(tmp_path, caplog):
    """One 车辆类别 for a block of vehicles, one 经度/纬度 for a depot's rows: pandas read the
    value in the first row only, and the others were 'column 车辆类别 is empty'."""
    def edit(wb, ws):
        ws["C3"] = "渣土车"
        ws["B10"] = "同一停车场"
        for r in (8, 9):
            ws[f"F{r}"], ws[f"G{r}"] = 113.38, 31.69
        ws["H1"], ws["H2"] = "备注", "同上"
        for ref in ("C3:C6", "F8:F9", "G8:G9", "B10:B11", "C12:C16", "H2:H5"):
            ws.merge_cells(ref)  # C12:C16 runs past the last point (row 13); 备注 is not read

    path, rows = hidden_book(tmp_path, edit)
    got = read_fleet(path)
    assert len(got) == len(rows) - 1  # no rows added below row 13
    assert got["segment"].tolist()[:5] == [rows[1][2]] + ["渣土车"] * 4
    assert got["segment"].tolist()[10:] == [rows[11][2]] * 2
    assert got["name"].tolist()[8:10] == ["同一停车场"] * 2
    assert got.geometry.x.tolist()[6:8] == [113.38] * 2
    assert got.geometry.y.tolist()[6:8] == [31.69] * 2
    assert caplog.messages == [
        f"{path}, sheet '车辆台账': 5 merged cells (C3:C6, F8:F9, G8:G9 ...) span several rows "
        "in columns '车辆类别', '经度', '纬度' and '名称'; siting used the value of each merged "
        "cell for every row it spans, as Excel shows it; if that is not what a row means, "
        "unmerge the cell and give each row its own value"]


def test_a_count_merged_over_rows_is_refused(tmp_path):
    """A 车辆数 merged over three rows may be each row's count or the rows' total: copying a
    total down would triple it, so siting asks instead of guessing."""
    col = "ABCDEFGH"[VEHICLES]
    path, _ = hidden_book(tmp_path, lambda wb, ws: ws.merge_cells(f"{col}4:{col}6"))
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    header = openpyxl_header(path)[VEHICLES]
    assert str(e.value) == (
        f"{path}, sheet '车辆台账': column '{header}': merged cell {col}4:{col}6 spans rows 4-6, "
        "and siting cannot tell whether its value is each row's count or the rows' total; "
        "unmerge it and give each row its own count")


@pytest.mark.parametrize("what", ["demand", "existing"])
def test_an_id_merged_over_rows_is_refused_as_merged(tmp_path, what):
    """A 编号 merged over rows, copied down, was refused as a duplicate id without a word on
    the merge; every layer now names the merged cell and the fix."""
    path, _ = hidden_book(tmp_path, lambda wb, ws: ws.merge_cells("A4:A5"))
    header = openpyxl_header(path)[0]
    with pytest.raises(InputDataError) as e:
        if what == "demand":
            read_fleet(path)
        else:
            read_layer(LayerSpec(path=path), what=what, required={"fleet_id": "text"},
                       geom="point", id_column="fleet_id")
    assert str(e.value) == (
        f"{path}, sheet '车辆台账': column '{header}': merged cell A4:A5 spans rows 4-5, so "
        "every row it spans would have the same id; unmerge it and give each row its own id")


def test_a_merged_count_column_of_another_layer_is_copied_like_any_cell(tmp_path, caplog):
    """Only the fleet's 车辆数 is refused when merged: in another layer a column of that name
    is not read as a count."""
    col = "ABCDEFGH"[VEHICLES]
    path, rows = hidden_book(tmp_path, lambda wb, ws: ws.merge_cells(f"{col}4:{col}6"))
    got = read_layer(LayerSpec(path=path), what="existing", required={"fleet_id": "text"},
                     geom="point", id_column="fleet_id")
    assert len(got) == len(rows) - 1


def openpyxl_header(path: Path) -> list[str]:
    import openpyxl

    ws = openpyxl.load_workbook(path, read_only=True)["车辆台账"]
    return [str(c.value) for c in next(ws.iter_rows(max_row=1))]


@pytest.mark.parametrize(("merge", "end"), [
    ("D5:E5", "row 5 (fleet_id '{id}'): column '日均里程(km)' is empty (cell E5 is part of "
     "merged cell D5:E5, whose value Excel keeps in D5); unmerge D5:E5 and fill in E5"),
    ("B4:C4", "row 4 (fleet_id '{id}'): column '车辆类别' is empty (cell C4 is part of merged "
     "cell B4:C4, whose value Excel keeps in B4); unmerge B4:C4 and fill in C4 (the demand "
     "layer needs it)"),
    ("F6:G7", "row 6: column '纬度' is empty (cell G6 is part of merged cell F6:G7, whose value "
     "Excel keeps in F6); unmerge F6:G7 and fill in G6"),
])
def test_a_cell_merged_across_columns_names_the_range_in_the_error(tmp_path, merge, end):
    """Excel keeps a merged value in the first column only: the cell to its right is empty,
    and the message says why (it was only 'is empty; fill it in')."""
    path, rows = hidden_book(tmp_path, lambda wb, ws: ws.merge_cells(merge))
    row = int(merge[1])
    with pytest.raises(InputDataError) as e:
        read_fleet(path)
    assert str(e.value) == f"{path}, sheet '车辆台账': " + end.format(id=rows[row - 1][0])


def test_an_optional_cell_a_merge_across_columns_empties_is_warned(tmp_path, caplog):
    """编号 merged over 名称 (A5:B5): Excel shows the id across both cells and keeps it in A5,
    so 名称 reads as empty and takes its default without a word."""
    path, rows = hidden_book(tmp_path, lambda wb, ws: ws.merge_cells("A5:B5"))
    got = read_fleet(path)
    assert len(got) == len(rows) - 1
    assert caplog.messages == [
        f"{path}, sheet '车辆台账': merged cell A5:B5 spans across columns, so column '名称' is "
        "read as empty (Excel keeps a merged cell's value in its first column) and an optional "
        "column takes its default there; unmerge and fill in each column"]


def test_xls_merged_cells_hidden_row_and_hidden_sheet_as_in_xlsx(caplog):
    """An .xls got none of these checks: the hidden old copy was read as the register, and
    车辆类别 merged over each block of four was empty in three rows of four."""
    path = Path(__file__).resolve().parent / "fixtures" / "tables" / "fleet_merged_2003.xls"
    got = read_fleet(path)
    bundled = gpd.read_file(DATA / "fleet.geojson")
    want = bundled.groupby("segment", sort=False).head(4)
    assert got["fleet_id"].tolist() == want["fleet_id"].tolist()
    assert got["segment"].tolist() == want["segment"].tolist()
    assert caplog.messages == [
        f"{path} has 2 sheets; reading the first one Excel shows, '车辆台账' (set sheet = ... "
        "in [demand] to choose)",
        f"{path}, sheet '车辆台账': row 7 is hidden in Excel, but siting reads hidden rows like "
        "the others; to leave it out, delete it; otherwise unhide it (or clear the filter)",
        f"{path}, sheet '车辆台账': 4 merged cells (C2:C5, C6:C9, C10:C13 ...) span several rows "
        "in column '车辆类别'; siting used the value of each merged cell for every row it "
        "spans, as Excel shows it; if that is not what a row means, unmerge the cell and give "
        "each row its own value"]


def test_xlsx_without_python_calamine_says_what_to_install(tmp_path, monkeypatch):
    from siting._errors import ScenarioError

    path, _ = fleet_book(tmp_path)
    monkeypatch.setitem(__import__("sys").modules, "python_calamine", None)
    with pytest.raises(ScenarioError) as e:
        read_fleet(path)
    assert str(e.value) == (f"{path}: cannot read .xlsx workbooks: the python-calamine package "
                            "is not installed; pip install python-calamine")
