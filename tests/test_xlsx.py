"""The Excel writer (siting._xlsx): text a spreadsheet would misread stays text, nothing is a
formula, XML cannot be broken, and reruns write the same bytes."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from siting._xlsx import CUT_MARK, MAX_CELL_CHARS, Sheet, write_xlsx, xlsx_bytes

#: Ids a spreadsheet may misread from a CSV (LibreOffice 7.4, measured: 001, 3/4, 1E5, the
#: 18-digit id, TRUE and 12:30 became numbers, a date, a time or a boolean; Excel also reads
#: 1-2 as a date), and text a spreadsheet would run as a formula.
MISREAD = ["001", "3/4", "1-2", "1E5", "123456789012345678", "TRUE", "12:30", "2023-05",
           "0x1F", "  7"]
FORMULAS = ['=HYPERLINK("http://evil.example","点击")', "@SUM(1+1)", "+1", "-1+2", "＝1+1",
            "\t=1"]


def _frame() -> pd.DataFrame:
    ids = MISREAD + FORMULAS
    return pd.DataFrame({"站址编号": ids, "数值": np.arange(len(ids), dtype=float) + 0.5})


def _cells(data: bytes, sheet: int = 0) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(sheet).to_python()


def _sheet_xml(data: bytes, n: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(f"xl/worksheets/sheet{n}.xml").decode("utf-8")


def test_text_that_looks_like_numbers_dates_or_formulas_stays_text() -> None:
    df = _frame()
    data = xlsx_bytes(df, sheet="站点")
    cells = _cells(data)
    assert cells[0] == ["站址编号", "数值"]
    assert [r[0] for r in cells[1:]] == list(df["站址编号"])  # a leading tab is legal text
    assert [r[1] for r in cells[1:]] == list(df["数值"])  # numbers stay numbers
    xml = _sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml  # no cell is a formula


def test_controls_surrogates_and_overlong_text_cannot_break_the_file() -> None:
    long = "长" * (MAX_CELL_CHARS + 10)
    rows = [["a\x1b[2Jb\x00c\x0b", "\ud800x", long, None, float("nan"), float("inf"), True]]
    data = xlsx_bytes(rows, ["ctl", "sur", "long", "none", "nan", "inf", "bool"], sheet="t")
    got = _cells(data)[1]
    assert got[0] == "a␛[2Jb␀c␋"
    assert got[1] == "\ufffdx"
    assert len(got[2]) == MAX_CELL_CHARS and got[2].endswith(CUT_MARK)
    assert got[3] == "" and got[4] == ""
    assert got[5] == "inf" and got[6] is True


def test_about_sheet_and_sheet_names() -> None:
    data = xlsx_bytes([[1]], ["x"], sheet="a/b:c*d?[e]" + "x" * 40,
                      more=[Sheet("按年度", ["年份", "=x"], [[2025, "=1+1"]])],
                      about=[("=label", "=value"), ("数据来源", "示意路网")], about_sheet="说明")
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert wb.sheet_names == ["a_b_c_d__e_xxxxxxxxxxxxxxxxxxxx"[:31], "按年度", "说明"]
    assert _cells(data, 1) == [["年份", "=x"], [2025, "=1+1"]]
    assert _cells(data, 2) == [["=label", "=value"], ["数据来源", "示意路网"]]
    assert all("<f>" not in _sheet_xml(data, n) for n in (1, 2, 3))


def test_number_formats_by_column_name_apply_to_numbers_only() -> None:
    import openpyxl

    data = xlsx_bytes([[0.4783, "n/a", 1900000.0]], ["利用率", "备注", "投资（元）"], sheet="s",
                      formats={"利用率": "0.0%", "投资（元）": "#,##0", "备注": "0.0%"})
    ws = openpyxl.load_workbook(io.BytesIO(data))["s"]
    assert [c.number_format for c in ws[2]] == ["0.0%", "General", "#,##0"]
    assert [c.value for c in ws[2]] == [0.4783, "n/a", 1900000]


def test_reruns_write_the_same_bytes_dated_by_source_date_epoch(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = write_xlsx(tmp_path / "a.xlsx", _frame(), sheet="s")
    b = write_xlsx(tmp_path / "b.xlsx", _frame(), sheet="s")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
        assert core.count("2000-01-01T00:00:00") == 2  # created and modified
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    c = write_xlsx(tmp_path / "c.xlsx", _frame(), sheet="s")
    with zipfile.ZipFile(c) as z:
        assert {i.date_time[:3] for i in z.infolist()} == {(2023, 11, 14)}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_reads_every_id_as_written(tmp_path: Path) -> None:
    """The spreadsheet itself: LibreOffice opens the workbook and saves it as CSV; every id
    comes back as written and no formula ran (the same ids from a CSV come back mangled)."""
    df = _frame().iloc[:-1]  # a CSV cell cannot start with a tab in LibreOffice's export
    write_xlsx(tmp_path / "t.xlsx", df, sheet="s")
    subprocess.run(["soffice", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path),
                    str(tmp_path / "t.xlsx")], check=True, capture_output=True, timeout=180,
                   env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    rows = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text("utf-8"))))
    assert [r[0] for r in rows[1:]] == list(df["站址编号"])
