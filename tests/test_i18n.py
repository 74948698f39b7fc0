"""The one label table (siting/locale/*.json): complete in both languages and used as written."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

from siting import i18n

SITING = Path(i18n.__file__).parent
#: Key groups looked up with a computed key (f"pathway.{p}", f"status.{s}", "csv." + column).
DYNAMIC = ("pathway.", "status.", "csv.", "rule.cat_", "sweep.csv_", "compare.status_",
           "console.stage_")
#: The key groups (see siting/i18n.py).
GROUPS = ("map", "layer", "legend", "field", "unit", "word", "pathway", "status", "brief", "csv",
          "xlsx", "compare", "rule", "reason", "sweep", "console", "plan")
#: A string literal that looks like a label key (file names like "map.html" are not keys).
KEY = re.compile(r"^(?:" + "|".join(GROUPS) + r")\.[a-z0-9_]+$")
FILE_SUFFIXES = (".html", ".json", ".csv", ".png", ".pdf", ".gpkg", ".geojson")


def _literals() -> dict[str, list[str]]:
    """Every string literal in the package that has the shape of a label key -> where."""
    found: dict[str, list[str]] = {}
    for path in sorted(SITING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and KEY.match(node.value) and not node.value.endswith(FILE_SUFFIXES)):
                found.setdefault(node.value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_key_exists_in_both_languages() -> None:
    assert list(i18n.LANGS) == ["zh", "en"]
    for lang in i18n.LANGS:
        raw = json.loads((SITING / "locale" / f"{lang}.json").read_text(encoding="utf-8"))
        assert raw == i18n.LABELS[lang]  # the module serves the file as written
    assert set(i18n.ZH) == set(i18n.EN), set(i18n.ZH) ^ set(i18n.EN)
    assert {k.split(".", 1)[0] for k in i18n.ZH} == set(GROUPS)
    assert all(v.strip() for table in (i18n.ZH, i18n.EN) for v in table.values())


def test_placeholders_match_between_languages() -> None:
    fields = string.Formatter()
    for key in i18n.ZH:
        zh = {f for _, f, _, _ in fields.parse(i18n.ZH[key]) if f}
        en = {f for _, f, _, _ in fields.parse(i18n.EN[key]) if f}
        assert zh == en, key


@pytest.mark.slow
def test_every_key_the_code_names_is_in_the_table() -> None:
    # a literal ending in "_" is the fixed part of a computed key (f"rule.cat_{c}")
    missing = {k: where for k, where in _literals().items() if k not in i18n.ZH
               and not (k.endswith("_") and k.startswith(DYNAMIC))}
    assert not missing


@pytest.mark.slow
def test_every_label_is_used() -> None:
    used = set(_literals())
    unused = sorted(k for k in i18n.ZH if k not in used and not k.startswith(DYNAMIC))
    assert not unused


def test_the_briefing_and_the_map_share_labels() -> None:
    # one table: the briefing's field/layer names are the map's
    assert i18n.t("field.zone", "zh") == "片区" and i18n.t("layer.coverage", "en") == \
        "Coverage areas"
    assert i18n.t("brief.page_of", "en", i=2, n=5) == "page 2 of 5"
    assert i18n.t("status.time_limit", "zh") == "达到时限"
    assert i18n.t("csv.capex", "zh") == "投资（元）" and i18n.t("csv.capex", "en") == "capex_cny"


def test_t_looks_up_and_formats() -> None:
    assert i18n.t("layer.roads", "zh") == "路网"
    assert i18n.t("layer.roads", "en") == "Roads"
    assert i18n.t("layer.demand_year", "en", year=2027) == "Demand 2027"
    with pytest.raises(ValueError, match="language 'de'"):
        i18n.t("layer.roads", "de")
    with pytest.raises(KeyError):
        i18n.t("no.such.key", "zh")


def test_english_console_names_a_zone_without_stations_in_english() -> None:
    """A zone the plan puts no station in is missing from ``by_zone``; its English name
    comes with its coverage figures (it used to fall back to the Chinese name)."""
    import io

    from rich.console import Console

    from siting.console import print_run
    from tests.helpers_report import make_report

    rep = make_report(
        scenario={"name": "p", "years": [2025], "weight": "vehicles", "lang": "en"},
        zone_coverage={"xihe": {"name": "淅河", "name_en": "Xihe", "year": 2025,
                                "coverage_share": 0.5, "demand_weight": 10.0,
                                "weight_covered": 5.0}})
    buf = io.StringIO()
    print_run(Console(file=buf, width=200), rep, Path("out"))
    text = buf.getvalue()
    assert "Xihe" in text and "淅河" not in text
    rep_zh = make_report(zone_coverage=rep.model_dump()["zone_coverage"])
    buf = io.StringIO()
    print_run(Console(file=buf, width=200), rep_zh, Path("out"))
    assert "淅河" in buf.getvalue()


def test_the_run_summary_says_each_label_once() -> None:
    """The coverage, corridor and solver rows of the run summary print their label once (the
    sentences carry their label where they stand alone, on the map and in the explorer, and
    the console printed it again: ``货运通道：货运通道：26 / 26 …``, ``求解：求解：已证明最优``);
    the map's sentences keep theirs."""
    import io

    from siting.cli.common import ResultsConsole
    from siting.console import print_run
    from siting.report_text import corridor_text, headline_text, solver_text
    from tests.helpers_report import make_report

    corridor = [{"id": "c", "trucks_per_day": 26.0, "length_km": 40.0, "trucks_covered": 26.0,
                 "weight": 26.0}]
    want = {"zh": ["2025 年：新能源车辆覆盖 300 / 400 辆（75.0%）",
                   "货运通道：26 / 26 辆/日货车可在途中补能（1 条通道，另计，不含在上述覆盖中）",
                   "求解：已证明最优（HiGHS，1.0 秒）"],
            "en": ["2025: 300 of 400 new-energy vehicles covered (75.0%)",
                   "corridors: 26 of 26 trucks/day can refuel on their route (1 corridor, "
                   "counted apart from the coverage above)",
                   "solver: proven optimal (HiGHS, 1.0 s)"]}
    for lang, rows in want.items():
        rep = make_report(scenario={"name": "p", "years": [2025], "weight": "vehicles",
                                    "lang": lang}, corridors=corridor)
        # standalone (the map, the explorer): each sentence with its label
        assert [headline_text(rep, lang), corridor_text(rep, lang),
                solver_text(rep, lang, seconds=True)] == rows
        buf = io.StringIO()
        plain = ResultsConsole(file=buf, width=40)
        plain.plain_tables = True
        print_run(plain, rep, Path("out"))
        lines = buf.getvalue().splitlines()
        assert lines[1] == rows[0] and rows[1] in lines and rows[2] in lines, lines
        drawn = io.StringIO()  # a terminal's table: the label in its column, not in the value
        print_run(ResultsConsole(file=drawn, width=200), rep, Path("out"))
        cells = [[c.strip() for c in ln.strip("│ ").split("│")]
                 for ln in drawn.getvalue().splitlines() if ln.startswith("│")]
        for row in rows:
            label, value = row.split("：" if lang == "zh" else ": ", 1)
            assert [label, value] in cells, cells
        # a plan without stations says so rather than leaving the row empty
        assert [i18n.t("console.stations", lang), i18n.t("word.none", lang)] in cells, cells


def test_plain_tables_print_one_line_per_row_with_user_text_as_it_is() -> None:
    """``siting --plain-tables`` (what the QGIS plugin runs): each table one line per row, each
    cell after its header, without box drawing or padding (QGIS's log is in a proportional
    font, where the padded columns collapsed into an unreadable jumble); lines are not wrapped;
    the scenario's and the zones' names are printed as they are, made safe cell by cell."""
    import io

    from siting.cli.common import ResultsConsole
    from siting.console import print_run
    from tests.helpers_report import make_report

    name = "随州 [/] {x} <b>方案</b>"
    rep = make_report(name=name, years=(2024, 2025), zone_coverage={"z1": {
        "name": "淅河 [b]{0}\x1b[2J\u202e", "year": 2025, "coverage_share": 0.5,
        "demand_weight": 10.0, "weight_covered": 5.0}})
    buf = io.StringIO()
    plain = ResultsConsole(file=buf, width=40, highlight=False, markup=False)
    plain.plain_tables = True
    print_run(plain, rep, Path("out"))
    lines = buf.getvalue().splitlines()
    assert not set("".join(lines)) & set("│┃─━┏┡└"), lines
    assert lines[0] == name
    assert i18n.t("console.written", "zh") + "：out" in lines
    share = i18n.t("console.col_share", "zh")
    rows = [ln for ln in lines if ln.startswith("年份：")]
    assert rows == [f"年份：{y}；新能源车辆：400；已覆盖：300；{share}：75.0%；新建站点：1；"
                    f"投资（万元）：850" for y in (2024, 2025)], lines
    # a name's escape sequence shown as a symbol, its bidi override closed in its own cell
    assert any(ln.startswith("片区：淅河 [b]{0}\u241b[2J\u202e\u202c；") for ln in lines), lines
    assert "\x1b" not in buf.getvalue()
    drawn = io.StringIO()  # a terminal's: drawn tables, as before
    print_run(ResultsConsole(file=drawn, width=100, markup=False), rep, Path("out"))
    assert "│" in drawn.getvalue() and "年份：2024" not in drawn.getvalue()
    en = io.StringIO()
    plain_en = ResultsConsole(file=en, width=40)
    plain_en.plain_tables = True
    print_run(plain_en, make_report(scenario={"name": "p", "years": [2025],
                                              "weight": "vehicles", "lang": "en"}), Path("o"))
    assert any(ln.startswith("Year: 2025; ") for ln in en.getvalue().splitlines()), en.getvalue()


def test_progress_json_labels_are_in_the_runs_language(capsys, monkeypatch) -> None:
    """The QGIS plugin shows the JSON progress lines' labels: they were English in a Chinese
    run while the terminal's bars were Chinese."""
    from siting.cli import common

    monkeypatch.setitem(common.JSON_PROGRESS, "on", True)
    for lang in ("zh", "en"):
        common.RichHooks(None, lang).start("network", "Loading road network")
        line = json.loads(capsys.readouterr().out)
        assert line["label"] == i18n.t("console.stage_network", lang)
    assert i18n.t("console.stage_network", "zh") != i18n.t("console.stage_network", "en")
