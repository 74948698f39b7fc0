"""The review-board briefing: a printable PDF (and one PNG per page) of a finished run.

:func:`write_briefing` reads a run folder (``report.json``, ``stations.geojson`` and, when present,
``results.gpkg``) and draws A4 landscape pages with matplotlib only:

1. a static map of the plan in a metric (UTM) CRS — roads, zones, coverage areas and stations,
   with a scale bar, a north arrow, a legend and, for schematic road networks, a red caveat;
2. the key figures — budget, spent, coverage, coverage by fleet segment and by technology
   pathway, stations by zone and by year;
3. the station table (as many pages as it needs), then the method, the solver outcome, the data
   provenance and the caveats.

Chinese labels need a CJK font: the Noto Sans CJK fonts of Debian's ``fonts-noto-cjk`` (or a
common Windows/macOS CJK font) are looked up through :mod:`matplotlib.font_manager`. Without one
the briefing falls back to English labels, replaces text it cannot draw, and logs a warning, so
no page ever shows empty boxes. Fonts are embedded in the PDF (TrueType, ``pdf.fonttype`` 42) and
user strings are never interpreted as mathtext.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import json
import logging
import math
import os
import tempfile
import textwrap
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import matplotlib.text
import numpy as np
import pandas as pd
import pyogrio
import shapely
from matplotlib import colors as mcolors
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import CRS, Transformer

from siting._errors import CRSMismatchError, InputDataError, ScenarioError
from siting._reproducible import output_date, source_date_epoch
from siting.crs import layer_utm_crs

try:  # the shared label table, when the colleague's module is installed
    from siting import i18n as _i18n
except ImportError:  # pragma: no cover - exercised only in a partial checkout
    _i18n = None

logger = logging.getLogger(__name__)

__all__ = [
    "RunData",
    "briefing_rc",
    "find_cjk_font",
    "load_run",
    "nice_scale_length",
    "north_angle_deg",
    "render_briefing",
    "write_briefing",
]

#: A4 landscape, inches.
PAGE_SIZE_IN: tuple[float, float] = (11.69, 8.27)
#: Resolution of the PNG copies of the pages (dots per inch).
PNG_DPI: int = 110
#: Station rows per table page.
ROWS_PER_PAGE: int = 24
#: Stations are numbered on the map (and the number repeated in the table) up to this count.
MAX_MAP_LABELS: int = 60

#: CJK font families tried in order (Debian's Noto first, then common desktop fonts).
_CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC",
)
#: Font files registered with matplotlib before the lookup (Debian fonts-noto-cjk).
_CJK_FILE_GLOBS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.otf",
)
_LATIN_FAMILY = "DejaVu Sans"

_CAVEAT_RED = "#c00000"
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22", "#7f7f7f")
_MARKERS = ("o", "s", "^", "D", "P", "h", "v", "X", "*")
#: Road drawing width (points) and grey by OSM class; other classes get the last entry.
_ROAD_STYLE: dict[str, tuple[float, str]] = {
    "motorway": (1.6, "#8a8a8a"), "trunk": (1.4, "#8a8a8a"), "primary": (1.1, "#9a9a9a"),
    "secondary": (0.9, "#a6a6a6"), "tertiary": (0.7, "#b0b0b0"), "other": (0.4, "#c4c4c4"),
}

# --------------------------------------------------------------------------- labels
# Keys starting with "brief." are the briefing's own; the others mirror siting.i18n, which is
# used when it has the key.
_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "brief.subtitle": "充换电站与加氢站选址方案 · 评审简报",
        "brief.page_map": "规划布局图",
        "brief.page_figures": "关键指标",
        "brief.page_stations": "站点清单",
        "brief.page_method": "方法、数据来源与说明",
        "brief.continued": "（续）",
        "brief.page_of": "第 {i} / {n} 页",
        "brief.budget": "总预算",
        "brief.spent": "已用投资",
        "brief.spent_share": "占预算 {share}",
        "brief.coverage": "需求覆盖率",
        "brief.covered_weight": "覆盖 {value} / {total} {unit}",
        "brief.stations": "站点",
        "brief.stations_value": "新建 {new} 座 · 现有 {existing} 座",
        "brief.solver": "求解",
        "brief.by_segment": "按车队类别的需求覆盖率",
        "brief.by_pathway": "按技术路线的需求覆盖率",
        "brief.by_zone": "按片区统计的站点",
        "brief.by_year": "按年度统计",
        "brief.share_axis": "覆盖率（%）",
        "brief.more_rows": "……另有 {n} 行",
        "brief.no_data": "无数据",
        "brief.no_stations": "本方案未选出站点。",
        "brief.no_features": "运行结果中没有可绘制的要素",
        "brief.outside_zones": "片区外",
        "brief.col_no": "序号",
        "brief.col_count": "站点数",
        "brief.col_new": "新建站点",
        "brief.col_capex": "投资（万元）",
        "brief.col_spent": "投资（万元）",
        "brief.col_budget": "预算（万元）",
        "brief.col_coverage": "覆盖率",
        "brief.col_year": "建成年份",
        "brief.col_served": "服务需求（{unit}）",
        "brief.status_existing": "现有",
        "brief.legend_existing": "现有站（空心符号）",
        "brief.north": "北",
        "brief.crs_note": "坐标系：{crs}",
        "brief.schematic_caveat": ("注意：本方案所用路网为示意路网，按文献描述的走向绘制，"
                                   "未经测绘；行驶时间与服务范围仅供参考。"),
        "brief.general_caveat": ("本简报为规划辅助材料：站址须经现场踏勘、电网接入与安全评估"
                                 "确认；车队规模等数据如为假设，见数据来源说明。"),
        "brief.method_title": "方法",
        "brief.method": (
            "采用带预算约束的最大覆盖选址模型：在总投资不超过 {budget} 的前提下选择站点及其类型"
            "（每个站址最多一种类型，综合能源站除外），使被覆盖的需求（{unit}）最大。"
            "需求点只有在某站点的类型服务其技术路线（换电、充电、加氢），且沿路网的行驶时间"
            "不超过该车队类别的时间阈值时才算被覆盖；行驶时间由路网（{nodes} 个节点、"
            "{edges} 条路段）按道路等级与车型的车速计算。{capacity}{zones}"
            "模型为混合整数规划（{variables} 个变量、{constraints} 个约束），由 {solver} 求解。"),
        "brief.method_capacitated": "每座站点的日供能力（kWh/日或 kg/日）限制其可服务的需求。",
        "brief.method_uncapacitated": "本次计算未考虑站点日供能力约束（非容量约束模型）。",
        "brief.method_nearest": "每个需求点只由其最近的 {n} 个候选站点方案供能。",
        "brief.method_zones": "片区要求：{items}。",
        "brief.zone_req_pathway": "{zone} 至少 {min} 座{pathway}站（{year} 年前）",
        "brief.zone_req_type": "{zone} 至少 {min} 座“{type}”（{year} 年前）",
        "brief.solver_title": "求解结果",
        "brief.solver_line": ("求解器 {name}；状态 {status}；相对间隙 {gap}；目标值 {objective}；"
                              "上界 {bound}；用时 {seconds} 秒"),
        "brief.inputs_line": ("输入：需求点 {demand} 个（来自 {fleet} 个车队点），"
                              "候选站址 {cand} 个，现有站 {existing} 座，可选方案 {options} 个。"),
        "brief.network_line": "路网：{source}",
        "brief.provenance_title": "数据来源",
        "brief.caveat_title": "说明与注意事项",
        "brief.unknown": "未知",
        "brief.weight_vehicles": "辆",
        "brief.weight_energy": "kWh/日",
        # mirrors of siting.i18n keys
        "field.name": "名称",
        "field.type": "类型",
        "field.zone": "片区",
        "field.year": "年份",
        "field.capacity": "能力",
        "layer.roads": "路网",
        "layer.zones": "片区",
        "layer.coverage": "服务范围",
        "pathway.swap": "换电",
        "pathway.charging": "充电",
        "pathway.hydrogen": "加氢",
    },
    "en": {
        "brief.subtitle": ("Battery-swap, charging and hydrogen station siting plan · "
                           "review briefing"),
        "brief.page_map": "Plan map",
        "brief.page_figures": "Key figures",
        "brief.page_stations": "Stations",
        "brief.page_method": "Method, data sources and caveats",
        "brief.continued": " (continued)",
        "brief.page_of": "page {i} of {n}",
        "brief.budget": "Budget",
        "brief.spent": "Spent",
        "brief.spent_share": "{share} of the budget",
        "brief.coverage": "Demand covered",
        "brief.covered_weight": "{value} of {total} {unit}",
        "brief.stations": "Stations",
        "brief.stations_value": "{new} new · {existing} existing",
        "brief.solver": "Solver",
        "brief.by_segment": "Demand covered by fleet segment",
        "brief.by_pathway": "Demand covered by technology pathway",
        "brief.by_zone": "Stations by zone",
        "brief.by_year": "By year",
        "brief.share_axis": "share covered (%)",
        "brief.more_rows": "... {n} more rows",
        "brief.no_data": "no data",
        "brief.no_stations": "No stations were chosen in this plan.",
        "brief.no_features": "the run holds no features to draw",
        "brief.outside_zones": "outside zones",
        "brief.col_no": "No.",
        "brief.col_count": "Stations",
        "brief.col_new": "New stations",
        "brief.col_capex": "Capex (M CNY)",
        "brief.col_spent": "Spent (M CNY)",
        "brief.col_budget": "Budget (M CNY)",
        "brief.col_coverage": "Covered",
        "brief.col_year": "Opens",
        "brief.col_served": "Served ({unit})",
        "brief.status_existing": "existing",
        "brief.legend_existing": "existing station (outlined)",
        "brief.north": "N",
        "brief.crs_note": "CRS: {crs}",
        "brief.schematic_caveat": ("Caution: the road network is SCHEMATIC - drawn from described "
                                   "corridors, not surveyed; travel times and coverage areas are "
                                   "indicative only."),
        "brief.general_caveat": ("This briefing is a planning aid: every site must be confirmed by "
                                 "a site survey, a grid-connection study and a safety assessment; "
                                 "fleet figures may be assumptions (see the data sources)."),
        "brief.method_title": "Method",
        "brief.method": (
            "A budgeted maximal covering location model chooses sites and station types (at most "
            "one type per site unless the type is an integrated one) to maximise the demand "
            "covered ({unit}) while the capital spent stays within {budget}. A demand point counts "
            "as covered only by a station whose type serves its technology pathway (battery "
            "swap, charging, hydrogen) and that lies within its fleet segment's travel-time "
            "threshold on the road network ({nodes} nodes, {edges} links; speeds by road class "
            "and vehicle class). {capacity}{zones}The model is a mixed-integer program "
            "({variables} variables, {constraints} constraints) solved by {solver}."),
        "brief.method_capacitated": ("Each station's daily capacity (kWh/day or kg/day) limits the "
                                     "demand it can serve. "),
        "brief.method_uncapacitated": ("Station capacities were not enforced in this run "
                                       "(uncapacitated model). "),
        "brief.method_nearest": "Each demand point draws only from its {n} nearest options. ",
        "brief.method_zones": "Zone requirements: {items}. ",
        "brief.zone_req_pathway": "at least {min} {pathway} station(s) in {zone} by {year}",
        "brief.zone_req_type": "at least {min} '{type}' in {zone} by {year}",
        "brief.solver_title": "Solver outcome",
        "brief.solver_line": ("solver {name}; status {status}; relative gap {gap}; objective "
                              "{objective}; bound {bound}; {seconds} s"),
        "brief.inputs_line": ("Inputs: {demand} demand points (from {fleet} fleet points), {cand} "
                              "candidate sites, {existing} existing stations, {options} options."),
        "brief.network_line": "Road network: {source}",
        "brief.provenance_title": "Data sources",
        "brief.caveat_title": "Caveats",
        "brief.unknown": "unknown",
        "brief.weight_vehicles": "NEVs",
        "brief.weight_energy": "kWh/day",
        "field.name": "Name",
        "field.type": "Type",
        "field.zone": "Zone",
        "field.year": "Year",
        "field.capacity": "Capacity",
        "layer.roads": "Roads",
        "layer.zones": "Zones",
        "layer.coverage": "Coverage areas",
        "pathway.swap": "battery swap",
        "pathway.charging": "charging",
        "pathway.hydrogen": "hydrogen",
    },
}


def _label(key: str, lang: str, **values: object) -> str:
    """A display label: siting.i18n when it knows ``key``, else the briefing's own table."""
    if _i18n is not None and not key.startswith("brief."):
        try:
            return _i18n.t(key, lang, **values)
        except (KeyError, ValueError):
            pass
    text = _LABELS[lang][key]
    return text.format(**values) if values else text


# --------------------------------------------------------------------------- fonts
def find_cjk_font(*, families: Sequence[str] = _CJK_FAMILIES,
                  file_globs: Sequence[str] = _CJK_FILE_GLOBS) -> str | None:
    """The family name of an installed font that can draw Chinese, or None.

    Registers the font files matching ``file_globs`` with matplotlib's font manager (once), then
    asks it for each of ``families`` in turn without falling back to a default font.

    Parameters
    ----------
    families
        Family names to try, most preferred first.
    file_globs
        Glob patterns of font files (``.ttc``/``.otf``/``.ttf``) to register first.

    Returns
    -------
    str or None
        The first family matplotlib resolves, e.g. ``"Noto Sans CJK SC"``.
    """
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for pattern in file_globs:
        for path in sorted(glob.glob(pattern)):
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError) as exc:
                    logger.debug("cannot register font %s: %s", path, exc)
    for family in families:
        try:
            font_manager.findfont(font_manager.FontProperties(family=family),
                                  fallback_to_default=False)
        except ValueError:
            continue
        return family
    return None


@dataclass(frozen=True)
class _Fonts:
    """The font family list for the pages and a test of which strings it can draw."""

    family: tuple[str, ...]
    cjk: str | None
    latin_codepoints: frozenset[int]

    @classmethod
    def resolve(cls) -> _Fonts:
        cjk = find_cjk_font()
        latin = font_manager.get_font(font_manager.findfont(
            font_manager.FontProperties(family=_LATIN_FAMILY)))
        codepoints = frozenset(latin.get_charmap())
        family = (cjk, _LATIN_FAMILY) if cjk else (_LATIN_FAMILY,)
        return cls(family=family, cjk=cjk, latin_codepoints=codepoints)

    def can_draw(self, text: str) -> bool:
        """True when every character of ``text`` has a glyph in the page fonts."""
        if self.cjk is not None:
            return True
        return all(ord(c) in self.latin_codepoints or c in "\n\t" for c in text)

    def safe(self, text: str, fallback: str | None = None) -> str:
        """``text`` if drawable, else ``fallback`` if drawable, else ``text`` with gaps as '?'."""
        text = str(text)
        if self.can_draw(text):
            return text
        if fallback is not None and self.can_draw(str(fallback)):
            return str(fallback)
        return "".join(c if self.can_draw(c) else "?" for c in text)


_SUBSET_DROP_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "VORG", "vhea", "vmtx",
                       "DSIG")


def _figure_chars(figs: Iterable[Figure]) -> str:
    """Every character the pages draw: their text artists plus printable ASCII (tick labels)."""
    chars = {chr(c) for c in range(32, 127)} | set("…·–—%°")
    for fig in figs:
        for artist in fig.findobj(matplotlib.text.Text):
            chars.update(artist.get_text())
    chars.discard("\n")
    return "".join(sorted(chars))


def _subset_to_truetype(src: str, face_index: int, chars: str, dst: Path, family: str) -> None:
    """Write the glyphs of ``chars`` from one face of ``src`` as a small TrueType font.

    CFF (PostScript-outline) faces such as Noto Sans CJK are converted to quadratic TrueType
    outlines: matplotlib embeds every ``pdf.fonttype`` 42 font as a TrueType CID font, which a
    CFF program does not match, and subsetting a 65,000-glyph CJK face with its layout tables at
    save time takes seconds per face. The family is renamed to ``family`` so the subset never
    shadows the installed font.
    """
    from fontTools import subset as ft_subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    # recalcTimestamp=False: head.modified keeps the source's date (identical reruns)
    font = TTFont(src, fontNumber=face_index, lazy=True, recalcTimestamp=False)
    opts = ft_subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.notdef_outline = True
    opts.drop_tables = [*opts.drop_tables, *_SUBSET_DROP_TABLES]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.name_legacy = True
    subsetter = ft_subset.Subsetter(opts)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    if "CFF " in font:
        order = font.getGlyphOrder()
        outlines = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for name in order:
            pen = TTGlyphPen(None)
            # CFF outer contours run counter-clockwise, TrueType ones clockwise
            outlines[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyf.glyphs[name] = pen.glyph()
        del font["CFF "]
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        maxp.maxZones = 1
        for field in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours",
                      "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                      "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                      "maxComponentElements", "maxComponentDepth"):
            setattr(maxp, field, 0)  # the point/contour maxima are recomputed on save
        post = font["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        post.glyphOrder = order
        font["head"].glyphDataFormat = 0
        font.sfntVersion = "\x00\x01\x00\x00"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
    font.save(str(dst))


@contextlib.contextmanager
def _embedding_fonts(fonts: _Fonts, chars: str, workdir: Path) -> Iterator[_Fonts]:
    """Fonts for saving: the CJK faces cut down to ``chars``, registered while in the block.

    Falls back to ``fonts`` (the full installed faces: correct, but slower to save) when the
    subset cannot be made.
    """
    if fonts.cjk is None:
        yield fonts
        return
    # unique per glyph set (never shadows the installed family), and the same on every rerun
    family = f"{fonts.cjk} siting {hashlib.sha1(chars.encode('utf-8')).hexdigest()[:10]}"
    made: list[str] = []
    try:
        seen: set[tuple[str, int]] = set()
        for weight in ("normal", "bold"):
            found = font_manager.findfont(
                font_manager.FontProperties(family=fonts.cjk, weight=weight),
                fallback_to_default=False)
            key = (str(getattr(found, "path", found)), int(getattr(found, "face_index", 0)))
            if key in seen:
                continue
            seen.add(key)
            dst = workdir / f"cjk-{weight}.ttf"
            _subset_to_truetype(key[0], key[1], chars, dst, family)
            font_manager.fontManager.addfont(dst)
            made.append(str(dst))
        names = {e.name for e in font_manager.fontManager.ttflist if e.fname in made}
        if family not in names:
            msg = f"subset font registered as {sorted(names)}, not '{family}'"
            raise RuntimeError(msg)
    except Exception as exc:  # any fontTools / FreeType trouble: keep the full font
        logger.warning("could not subset the CJK font (%s); embedding the full font, which is "
                       "slower", exc)
        _unregister(made)
        yield fonts
        return
    try:
        yield dataclasses.replace(fonts, family=(family, *fonts.family[1:]))
    finally:
        _unregister(made)


def _unregister(paths: list[str]) -> None:
    if paths:
        ttflist = font_manager.fontManager.ttflist
        ttflist[:] = [e for e in ttflist if e.fname not in paths]


# --------------------------------------------------------------------------- run folder
@dataclass(frozen=True)
class RunData:
    """What the briefing reads from a run folder.

    Attributes
    ----------
    run_dir
        The run folder.
    report
        ``report.json`` as a dict.
    stations
        ``stations.geojson`` (EPSG:4326), with display columns filled in when missing.
    roads, zones, coverage_areas
        Layers of ``results.gpkg`` in EPSG:4326, or None when the file or layer is absent.
    """

    run_dir: Path
    report: dict[str, Any]
    stations: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    zones: gpd.GeoDataFrame | None
    coverage_areas: gpd.GeoDataFrame | None


_STATION_DEFAULTS: dict[str, Any] = {
    "name": "", "family": "", "capex": 0.0, "capacity": np.nan, "capacity_unit": "",
    "zone": "", "year": 0, "existing": False, "served_demand": np.nan,
}


def load_run(run_dir: str | os.PathLike[str]) -> RunData:
    """Read the parts of a run folder the briefing needs.

    Parameters
    ----------
    run_dir
        A folder written by ``siting run`` / ``siting demo``.

    Returns
    -------
    RunData
        Layers reprojected to WGS84 (EPSG:4326).

    Raises
    ------
    InputDataError
        When ``report.json`` or ``stations.geojson`` is missing or unreadable.
    CRSMismatchError
        When a ``results.gpkg`` layer has no CRS.
    """
    run = Path(run_dir)
    report_path = run / "report.json"
    if not report_path.is_file():
        msg = f"{report_path}: not found; pass a folder written by `siting run` or `siting demo`"
        raise InputDataError(msg)
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{report_path}: cannot be read as JSON ({exc}); re-run `siting run` to rewrite it"
        raise InputDataError(msg) from exc
    if not isinstance(report, dict):
        msg = f"{report_path}: top level is not a JSON object; re-run `siting run` to rewrite it"
        raise InputDataError(msg)
    from siting._run_report import check_report  # wrong types: one line, not a crash

    check_report(report, report_path)

    stations = _read_stations(run / "stations.geojson")
    gpkg = run / "results.gpkg"
    layers: dict[str, gpd.GeoDataFrame | None] = {"roads": None, "zones": None,
                                                   "coverage_areas": None}
    if gpkg.is_file():
        present = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
        for name in layers:
            if name in present:
                layers[name] = _to_wgs84(gpd.read_file(gpkg, layer=name), f"{gpkg} layer '{name}'")
    else:
        logger.warning("%s not found: the map shows stations only", gpkg)
    return RunData(run_dir=run, report=report, stations=stations, **layers)


def _read_stations(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        msg = f"{path}: not found; pass a folder written by `siting run` or `siting demo`"
        raise InputDataError(msg)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types
        msg = f"{path}: cannot be read ({exc}); re-run `siting run` to rewrite it"
        raise InputDataError(msg) from exc
    if len(gdf) == 0:
        cols = ["site_id", "station_type", *_STATION_DEFAULTS]
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs="EPSG:4326")
    for col in ("site_id", "station_type"):
        if col not in gdf.columns:
            msg = (f"{path}: column '{col}' is missing (columns: {list(gdf.columns)}); "
                   "re-run `siting run` to rewrite it")
            raise InputDataError(msg)
    if gdf.crs is None:  # RFC 7946: GeoJSON coordinates are WGS84
        gdf = gdf.set_crs("EPSG:4326")
    gdf = _to_wgs84(gdf, str(path))
    for col, default in _STATION_DEFAULTS.items():
        if col not in gdf.columns:
            gdf[col] = default
    gdf["site_id"] = gdf["site_id"].astype(str)
    gdf["station_type"] = gdf["station_type"].astype(str)
    gdf["name"] = [str(n) if isinstance(n, str) and n else s
                   for n, s in zip(gdf["name"], gdf["site_id"])]
    gdf["zone"] = gdf["zone"].fillna("").astype(str)
    gdf["existing"] = gdf["existing"].fillna(False).astype(bool)
    return gdf


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = f"{what}: has no CRS; re-run `siting run` so the layer is written with EPSG:4326"
        raise CRSMismatchError(msg)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return gdf.to_crs("EPSG:4326") if not gdf.crs.equals(CRS("EPSG:4326")) else gdf


# --------------------------------------------------------------------------- formatting
def _cells(text: str) -> int:
    """Display width of ``text`` in half-width cells (CJK characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` display cells with an ellipsis."""
    if _cells(text) <= cells:
        return text
    out, used = [], 0
    for c in text:
        w = _cells(c)
        if used + w > cells - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def _wrap(text: str, cells: int) -> list[str]:
    """Wrap ``text`` to lines of at most ``cells`` display cells.

    Latin words break at spaces; CJK characters may break anywhere (not before closing
    punctuation).
    """
    lines: list[str] = []
    for para in str(text).split("\n"):
        tokens: list[str] = []
        word = ""
        for c in para:
            if c == " ":
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append(" ")
            elif _cells(c) == 2:
                if word:
                    tokens.append(word)
                    word = ""
                if c in "，。；：、）》”！？" and tokens:
                    tokens[-1] += c
                else:
                    tokens.append(c)
            else:
                word += c
        if word:
            tokens.append(word)
        line = ""
        for tok in tokens:
            if _cells(line) + _cells(tok) <= cells or not line.strip():
                line += tok
                continue
            lines.append(line.rstrip())
            if _cells(tok) > cells:  # a single over-long word: hard split
                tok = "\n".join(textwrap.wrap(tok, cells))
                *head, tok = tok.split("\n")
                lines.extend(head)
            line = "" if tok == " " else tok
        lines.append(line.rstrip())
    return lines


def _money(value: float | None, lang: str, *, unit: bool = True) -> str:
    """CNY as 万元 (zh) or million CNY (en)."""
    if value is None or not np.isfinite(value):
        return "-"
    if lang == "zh":
        v = value / 1e4
        s = f"{v:,.0f}" if abs(v) >= 100 or v == 0 else f"{v:,.1f}"
        return f"{s} 万元" if unit else s
    s = f"{value / 1e6:,.2f}"
    return f"{s} M CNY" if unit else s


def _pct(share: float | None) -> str:
    if share is None or not np.isfinite(share):
        return "-"
    return f"{share * 100:.1f}%"


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return "-"
    return f"{v:,.{digits}f}"


# --------------------------------------------------------------------------- map helpers
def nice_scale_length(max_length_m: float) -> float:
    """The longest 1, 2 or 5 × 10^k metres that does not exceed ``max_length_m``.

    Parameters
    ----------
    max_length_m
        Upper bound of the scale bar, metres (> 0).

    Returns
    -------
    float
        A round length in metres.
    """
    if not max_length_m > 0:
        msg = f"scale bar bound must be positive metres, got {max_length_m}"
        raise ValueError(msg)
    base = 10.0 ** math.floor(math.log10(max_length_m))
    for m in (5.0, 2.0, 1.0):
        if m * base <= max_length_m * (1 + 1e-12):
            return m * base
    return base  # pragma: no cover - 1 × base always fits


def north_angle_deg(crs: str | CRS, lon: float, lat: float) -> float:
    """Direction of true north in a projected CRS, degrees clockwise from the grid's +y axis.

    Parameters
    ----------
    crs
        A projected CRS (e.g. ``"EPSG:32649"``).
    lon, lat
        The place, WGS84 degrees.

    Returns
    -------
    float
        Negative when true north leans west of grid north (east of a UTM zone's meridian in
        the northern hemisphere).
    """
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x0, y0 = tr.transform(lon, lat)
    x1, y1 = tr.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def _polygon_patches(geoms: Iterable[shapely.Geometry]) -> list[PathPatch]:
    """Matplotlib patches for (multi)polygons, holes kept (exteriors CCW, holes CW)."""
    patches = []
    for geom in geoms:
        for poly in shapely.get_parts(shapely.orient_polygons(geom)):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords)
                                                          for r in poly.interiors]
            verts = np.concatenate(rings)
            codes = np.concatenate([
                [MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2) + [MplPath.CLOSEPOLY]
                for r in rings])
            patches.append(PathPatch(MplPath(verts, codes)))
    return patches


def _line_segments(geoms: Iterable[shapely.Geometry]) -> list[np.ndarray]:
    parts = shapely.get_parts(np.asarray(list(geoms), dtype=object))
    return [np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty]


@dataclass(frozen=True)
class _TypeStyle:
    label: str
    color: str
    marker: str


def _type_styles(report: dict[str, Any], stations: gpd.GeoDataFrame, lang: str,
                 fonts: _Fonts) -> dict[str, _TypeStyle]:
    by_type = report.get("by_type") or {}
    order = list(by_type) + sorted(set(stations["station_type"]) - set(by_type))
    styles = {}
    for k, tid in enumerate(order):
        info = by_type.get(tid) or {}
        color = info.get("color")
        if not (isinstance(color, str) and mcolors.is_color_like(color)):
            color = _PALETTE[k % len(_PALETTE)]
        styles[tid] = _TypeStyle(label=_type_name(tid, info, lang, fonts), color=color,
                                 marker=_MARKERS[k % len(_MARKERS)])
    return styles


def _type_name(tid: str, info: dict[str, Any], lang: str, fonts: _Fonts) -> str:
    name = info.get("name") or tid
    if lang == "en" and info.get("name_en"):
        name = info["name_en"]
    return fonts.safe(name, tid)


# --------------------------------------------------------------------------- context
@dataclass(frozen=True)
class _Ctx:
    """Everything a page needs besides the data: language, fonts, derived names."""

    lang: str
    fonts: _Fonts
    title: str
    zone_names: dict[str, str]
    styles: dict[str, _TypeStyle]
    weight_unit: str

    def label(self, key: str, **values: object) -> str:
        return self.fonts.safe(_label(key, self.lang, **values))

    def zone(self, zone_id: str) -> str:
        if not zone_id or zone_id == "(outside zones)":
            return self.label("brief.outside_zones")
        return self.fonts.safe(self.zone_names.get(zone_id, zone_id), zone_id)


def _make_ctx(data: RunData, lang: str, fonts: _Fonts) -> _Ctx:
    rep = data.report
    sc = rep.get("scenario") or {}
    name, name_en = str(sc.get("name") or ""), str(sc.get("name_en") or "")
    title = name_en if lang == "en" and name_en else name
    title = fonts.safe(title, name_en or data.run_dir.name) or data.run_dir.name
    zone_names: dict[str, str] = {}
    if data.zones is not None and "zone_id" in data.zones.columns:
        names = data.zones["name"] if "name" in data.zones.columns else data.zones["zone_id"]
        zone_names = {str(z): str(n) if isinstance(n, str) and n else str(z)
                      for z, n in zip(data.zones["zone_id"], names)}
    weight = sc.get("weight")
    unit_en = str(sc.get("weight_unit") or "")
    if weight == "vehicles" or unit_en == "NEV vehicles":
        unit = _label("brief.weight_vehicles", lang)
    elif weight == "energy" or unit_en == "kWh/day":
        unit = _label("brief.weight_energy", lang)
    else:
        unit = unit_en
    return _Ctx(lang=lang, fonts=fonts, title=title, zone_names=zone_names,
                styles=_type_styles(rep, data.stations, lang, fonts),
                weight_unit=fonts.safe(unit, unit_en))


def _new_page(ctx: _Ctx, heading: str) -> Figure:
    fig = Figure(figsize=PAGE_SIZE_IN, facecolor="white")
    fig.text(0.03, 0.955, ctx.title, fontsize=17, fontweight="bold", va="baseline")
    fig.text(0.97, 0.955, heading, fontsize=12, ha="right", va="baseline", color="#333333")
    fig.text(0.03, 0.925, ctx.label("brief.subtitle"), fontsize=9.5, color="#555555",
             va="baseline")
    fig.add_artist(Line2D([0.03, 0.97], [0.912, 0.912], color="#999999", linewidth=0.6))
    return fig


def _draw_caveat(fig: Figure, ctx: _Ctx, schematic: bool, *, y: float = 0.063) -> None:
    if schematic:
        lines = _wrap(ctx.label("brief.schematic_caveat"), 170)
        fig.text(0.03, y, "\n".join(lines), fontsize=10, color=_CAVEAT_RED, fontweight="bold",
                 va="top", linespacing=1.3)


# --------------------------------------------------------------------------- page 1: map
def _page_map(data: RunData, ctx: _Ctx) -> Figure:
    rep = data.report
    schematic = bool((rep.get("network") or {}).get("schematic", False))
    fig = _new_page(ctx, ctx.label("brief.page_map"))
    ax = fig.add_axes((0.03, 0.09, 0.66, 0.81))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#777777")

    layers = [g for g in (data.stations, data.coverage_areas, data.zones, data.roads)
              if g is not None and len(g)]
    if not layers:
        ax.text(0.5, 0.5, ctx.label("brief.no_features"), ha="center", va="center",
                transform=ax.transAxes, fontsize=12, color="#777777")
        _map_side_panel(fig, data, ctx, [])
        _draw_caveat(fig, ctx, schematic)
        return fig

    crs = CRS.from_user_input(layer_utm_crs(layers[0]))
    proj = {k: (g.to_crs(crs) if g is not None and len(g) else None)
            for k, g in (("stations", data.stations), ("coverage", data.coverage_areas),
                         ("zones", data.zones), ("roads", data.roads))}
    xlim, ylim = _extent(proj, ax)
    handles: list[tuple[Any, str]] = []

    roads = proj["roads"]
    if roads is not None:
        pad = 0.05 * (xlim[1] - xlim[0])
        clipped = roads.geometry.clip_by_rect(xlim[0] - pad, ylim[0] - pad, xlim[1] + pad,
                                              ylim[1] + pad)
        cls = (roads["road_class"].fillna("").astype(str).to_numpy()
               if "road_class" in roads.columns else np.full(len(roads), "other"))
        keep = ~clipped.is_empty.to_numpy()
        named = [c for k in _ROAD_STYLE if k != "other" for c in (k, f"{k}_link")]
        for klass, (width, color) in _ROAD_STYLE.items():
            if klass == "other":
                sel = keep & ~np.isin(cls, named)
            else:
                sel = keep & np.isin(cls, [klass, f"{klass}_link"])
            if sel.any():
                ax.add_collection(LineCollection(_line_segments(clipped[sel]), colors=color,
                                                 linewidths=width, zorder=1,
                                                 capstyle="round"))
        handles.append((Line2D([], [], color="#9a9a9a", linewidth=1.1), ctx.label("layer.roads")))

    cov = proj["coverage"]
    if cov is not None:
        types = (cov["station_type"].astype(str) if "station_type" in cov.columns
                 else pd.Series("", index=cov.index))
        for tid, grp in cov.groupby(types):
            merged = shapely.union_all(shapely.make_valid(grp.geometry.to_numpy()))
            color = ctx.styles[tid].color if tid in ctx.styles else "#7f7f7f"
            ax.add_collection(PatchCollection(_polygon_patches([merged]), facecolor=color,
                                              edgecolor=color, alpha=0.13, linewidth=0.4,
                                              zorder=2))
        handles.append((Patch(facecolor="#7f7f7f", alpha=0.25, edgecolor="#7f7f7f"),
                        ctx.label("layer.coverage")))

    zones = proj["zones"]
    if zones is not None:
        ax.add_collection(LineCollection(_line_segments(zones.geometry.boundary),
                                         colors="#6a3d9a", linewidths=1.2, linestyles="--",
                                         zorder=3))
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        ids = (zones["zone_id"].astype(str) if "zone_id" in zones.columns
               else pd.Series("", index=zones.index))
        for zid, geom in zip(ids, zones.geometry):
            # the name sits on the zone's top edge, clear of the stations inside it
            x0, _, x1, top = geom.bounds
            x = (x0 + x1) / 2
            if xlim[0] <= x <= xlim[1] and ylim[0] <= top <= ylim[1]:
                ax.text(x, top, ctx.zone(zid), fontsize=8, color="#4a2370", ha="center",
                        va="bottom", zorder=4, path_effects=halo)
        handles.append((Line2D([], [], color="#6a3d9a", linewidth=1.2, linestyle="--"),
                        ctx.label("layer.zones")))

    st = proj["stations"]
    if st is not None:
        for tid, style in ctx.styles.items():
            sel = st[st["station_type"] == tid]
            if not len(sel):
                continue
            new, old = sel[~sel["existing"]], sel[sel["existing"]]
            ax.scatter(new.geometry.x, new.geometry.y, s=46, marker=style.marker,
                       color=style.color, edgecolors="black", linewidths=0.5, zorder=6)
            ax.scatter(old.geometry.x, old.geometry.y, s=46, marker=style.marker,
                       facecolors="white", edgecolors=style.color, linewidths=1.6, zorder=6)
            handles.append((Line2D([], [], linestyle="", marker=style.marker, markersize=7,
                                   markerfacecolor=style.color, markeredgecolor="black",
                                   markeredgewidth=0.5), f"{style.label} ({len(sel)})"))
        if st["existing"].any():
            handles.append((Line2D([], [], linestyle="", marker="o", markersize=7,
                                   markerfacecolor="white", markeredgecolor="#555555",
                                   markeredgewidth=1.6), ctx.label("brief.legend_existing")))
        if len(st) <= MAX_MAP_LABELS:
            halo = [patheffects.withStroke(linewidth=2, foreground="white")]
            for k, (x, y) in enumerate(zip(st.geometry.x, st.geometry.y), start=1):
                ax.annotate(str(k), (x, y), xytext=(4, 3), textcoords="offset points",
                            fontsize=6.5, zorder=7, path_effects=halo)

    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    _scale_bar(ax, xlim, ylim)
    lon, lat = _centre_lonlat(xlim, ylim, crs)
    _north_arrow(ax, xlim, ylim, north_angle_deg(crs, lon, lat), ctx.label("brief.north"))
    epsg = crs.to_epsg()
    ax.text(0.995, 0.005, ctx.label("brief.crs_note", crs=f"{crs.name} (EPSG:{epsg})"),
            transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5, color="#555555",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1})
    _map_side_panel(fig, data, ctx, handles)
    _draw_caveat(fig, ctx, schematic)
    return fig


def _extent(proj: dict[str, gpd.GeoDataFrame | None],
            ax: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """Map limits (metres) around stations, coverage and zones, matching the axes' shape."""
    focus = [proj[k] for k in ("stations", "coverage", "zones") if proj[k] is not None]
    if not focus:
        focus = [proj["roads"]]
    b = np.array([g.total_bounds for g in focus])
    x0, y0 = b[:, 0].min(), b[:, 1].min()
    x1, y1 = b[:, 2].max(), b[:, 3].max()
    w = max(x1 - x0, 2000.0) * 1.1
    h = max(y1 - y0, 2000.0) * 1.1
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    fig_w, fig_h = ax.figure.get_size_inches()
    pos = ax.get_position()
    box = (pos.width * fig_w) / (pos.height * fig_h)
    if w / h < box:
        w = h * box
    else:
        h = w / box
    return (cx - w / 2, cx + w / 2), (cy - h / 2, cy + h / 2)


def _centre_lonlat(xlim: tuple[float, float], ylim: tuple[float, float],
                   crs: CRS) -> tuple[float, float]:
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return tr.transform((xlim[0] + xlim[1]) / 2, (ylim[0] + ylim[1]) / 2)


def _scale_bar(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float]) -> float:
    """Draw a two-part scale bar in the lower left; return its length in metres."""
    w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
    length = nice_scale_length(0.25 * w)
    x0, y0, bh = xlim[0] + 0.04 * w, ylim[0] + 0.05 * h, 0.012 * h
    ax.add_patch(Rectangle((x0 - 0.015 * w, y0 - 0.035 * h), length + 0.05 * w, 0.085 * h,
                           facecolor="white", edgecolor="none", alpha=0.8, zorder=8))
    ax.add_patch(Rectangle((x0, y0), length / 2, bh, facecolor="black", edgecolor="black",
                           linewidth=0.6, zorder=9))
    ax.add_patch(Rectangle((x0 + length / 2, y0), length / 2, bh, facecolor="white",
                           edgecolor="black", linewidth=0.6, zorder=9))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    for x, text in ((x0, "0"), (x0 + length, label)):
        ax.text(x, y0 + 1.8 * bh, text, ha="center", va="bottom", fontsize=8, zorder=9)
    return length


def _north_arrow(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float],
                 angle_deg: float, label: str) -> None:
    """An arrow pointing to true north (``angle_deg`` clockwise from the grid's +y)."""
    w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
    size = 0.07 * h
    bx, by = xlim[1] - 0.06 * w, ylim[1] - 0.05 * h - size
    a = math.radians(angle_deg)
    tip = (bx + size * math.sin(a), by + size * math.cos(a))
    ax.annotate("", xy=tip, xytext=(bx, by), zorder=9,
                arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.4", "color": "black",
                            "linewidth": 1.8})
    ax.text(tip[0], tip[1] + 0.01 * h, label, ha="center", va="bottom", fontsize=11,
            fontweight="bold", zorder=9)


def _map_side_panel(fig: Figure, data: RunData, ctx: _Ctx,
                    handles: list[tuple[Any, str]]) -> None:
    rep = data.report
    x = 0.72
    if handles:
        fig.legend([h for h, _ in handles], [lbl for _, lbl in handles], loc="upper left",
                   bbox_to_anchor=(x - 0.008, 0.9), fontsize=8.5, frameon=False,
                   borderaxespad=0.0, handlelength=1.8)
    n_new = int((~data.stations["existing"]).sum())
    n_old = int(data.stations["existing"].sum())
    facts = [
        (ctx.label("brief.budget"), _money(rep.get("budget"), ctx.lang)),
        (ctx.label("brief.spent"), _money(rep.get("spent"), ctx.lang)),
        (ctx.label("brief.coverage"), _pct(rep.get("coverage_share"))),
        (ctx.label("brief.stations"), ctx.label("brief.stations_value", new=n_new, existing=n_old)),
    ]
    y = 0.42
    for key, value in facts:
        fig.text(x, y, key, fontsize=9, color="#555555", va="top")
        fig.text(x, y - 0.028, value, fontsize=12.5, fontweight="bold", va="top")
        y -= 0.07


# --------------------------------------------------------------------------- page 2: figures
def _page_figures(data: RunData, ctx: _Ctx) -> Figure:
    rep = data.report
    fig = _new_page(ctx, ctx.label("brief.page_figures"))
    budget, spent = rep.get("budget"), rep.get("spent")
    share = (spent / budget) if isinstance(budget, int | float) and budget and \
        isinstance(spent, int | float) else None
    total = rep.get("demand_weight_total")
    cover = rep.get("coverage_share")
    # covered weight = share x total (the objective may also hold corridor flows/tie-breaks)
    covered = (cover * total if isinstance(cover, int | float) and isinstance(total, int | float)
               else None)
    n_new = int((~data.stations["existing"]).sum())
    n_old = int(data.stations["existing"].sum())
    solver = rep.get("solver") or {}
    tiles = [
        (ctx.label("brief.budget"), _money(budget, ctx.lang), ""),
        (ctx.label("brief.spent"), _money(spent, ctx.lang),
         ctx.label("brief.spent_share", share=_pct(share)) if share is not None else ""),
        (ctx.label("brief.coverage"), _pct(rep.get("coverage_share")),
         ctx.label("brief.covered_weight", value=_num(covered, 1), total=_num(total, 1),
                   unit=ctx.weight_unit) if covered is not None else ""),
        (ctx.label("brief.stations"), f"{n_new + n_old}",
         ctx.label("brief.stations_value", new=n_new, existing=n_old)),
        (ctx.label("brief.solver"), _status(solver.get("status"), ctx, short=True),
         f"{_solver_name(solver.get('name'))}, gap {_gap(solver.get('gap'))}, "
         f"{_num(solver.get('seconds'), 1)} s"),
    ]
    for k, (key, value, sub) in enumerate(tiles):
        x = 0.03 + k * 0.19
        fig.add_artist(Rectangle((x, 0.76), 0.175, 0.125, facecolor="#f3f5f8",
                                 edgecolor="#d0d5dd", linewidth=0.6,
                                 transform=fig.transFigure))
        fig.text(x + 0.01, 0.868, key, fontsize=9, color="#555555", va="top")
        fig.text(x + 0.01, 0.835, value, fontsize=16, fontweight="bold", va="top")
        fig.text(x + 0.01, 0.782, _fit(sub, 38), fontsize=7.5, color="#555555", va="center")

    seg = rep.get("by_segment") or {}
    seg_rows = [(_seg_name(sid, info, ctx), info.get("coverage_share"))
                for sid, info in seg.items()]
    pw = rep.get("by_pathway") or {}
    pw_rows = [(_pathway_name(p, ctx), info.get("coverage_share")) for p, info in pw.items()]
    _bar_chart(fig.add_axes((0.14, 0.47, 0.32, 0.23)), seg_rows, ctx.label("brief.by_segment"), ctx)
    _bar_chart(fig.add_axes((0.62, 0.47, 0.34, 0.23)), pw_rows, ctx.label("brief.by_pathway"), ctx,
               color="#2ca02c")

    types = list(ctx.styles)
    zone_rows = []
    for zid, info in sorted((rep.get("by_zone") or {}).items(), key=_zone_order(ctx)):
        counts = info.get("by_type") or {}
        detail = ", ".join(f"{ctx.styles[t].label if t in ctx.styles else t} {n}"
                           for t, n in sorted(counts.items(), key=lambda kv: (
                               types.index(kv[0]) if kv[0] in types else len(types), kv[0])))
        zone_rows.append([ctx.zone(str(zid)), str(info.get("count", "-")),
                          ctx.fonts.safe(detail), _money(info.get("capex"), ctx.lang,
                                                         unit=False)])
    _table_axes(fig, (0.03, 0.06, 0.45, 0.27), ctx.label("brief.by_zone"),
                [ctx.label("field.zone"), ctx.label("brief.col_count"), ctx.label("field.type"),
                 ctx.label("brief.col_capex")], zone_rows, [0.28, 0.12, 0.42, 0.18],
                ["left", "right", "left", "right"], ctx)
    year_rows = [[str(y), str(info.get("new_stations", "-")),
                  _money(info.get("spent"), ctx.lang, unit=False),
                  _money(info.get("budget"), ctx.lang, unit=False),
                  _pct(info.get("coverage_share"))]
                 for y, info in (rep.get("by_year") or {}).items()]
    _table_axes(fig, (0.52, 0.06, 0.45, 0.27), ctx.label("brief.by_year"),
                [ctx.label("field.year"), ctx.label("brief.col_new"), ctx.label("brief.col_spent"),
                 ctx.label("brief.col_budget"), ctx.label("brief.col_coverage")], year_rows,
                [0.14, 0.2, 0.22, 0.22, 0.22], ["left", "right", "right", "right", "right"], ctx)
    return fig


def _zone_order(ctx: _Ctx) -> Callable[[tuple[str, Any]], tuple[int, int, str]]:
    """Sort key for by_zone items: zones in the zones layer's order, then others, outside last."""
    order = {z: k for k, z in enumerate(ctx.zone_names)}

    def key(item: tuple[str, Any]) -> tuple[int, int, str]:
        zid = str(item[0])
        if not zid or zid == "(outside zones)":
            return (2, 0, zid)
        return (0, order[zid], zid) if zid in order else (1, 0, zid)

    return key


def _gap(gap: Any) -> str:
    return "-" if not isinstance(gap, int | float) else f"{gap * 100:.2f}%"


def _seg_name(sid: str, info: dict[str, Any], ctx: _Ctx) -> str:
    name = info.get("name_en") if ctx.lang == "en" and info.get("name_en") else info.get("name")
    return ctx.fonts.safe(str(name or sid), sid)


def _pathway_name(p: str, ctx: _Ctx) -> str:
    try:
        return ctx.fonts.safe(_label(f"pathway.{p}", ctx.lang), p)
    except KeyError:
        return ctx.fonts.safe(p, "?")


def _bar_chart(ax: Any, rows: list[tuple[str, float | None]], title: str, ctx: _Ctx, *,
               color: str = "#1f77b4") -> None:
    ax.set_title(title, fontsize=10.5, loc="left")
    ax.set_xlim(0, 100)
    if not rows:
        ax.set_yticks([])
        ax.text(50, 0.5, ctx.label("brief.no_data"), ha="center", va="center", color="#777777")
        ax.set_ylim(0, 1)
        return
    labels = [_fit(lbl, 22) for lbl, _ in rows]
    values = [100.0 * v if isinstance(v, int | float) else 0.0 for _, v in rows]
    ypos = np.arange(len(rows))[::-1]
    ax.barh(ypos, values, color=color, height=0.6)
    ax.set_yticks(ypos, labels, fontsize=8.5)
    for y, v, (_, raw) in zip(ypos, values, rows):
        ax.text(min(v, 100) + 1.5 if v < 85 else v - 1.5, y, _pct(raw), va="center",
                ha="left" if v < 85 else "right", fontsize=8,
                color="black" if v < 85 else "white")
    ax.set_xlabel(ctx.label("brief.share_axis"), fontsize=8.5)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _table_axes(fig: Figure, rect: tuple[float, float, float, float], title: str,
                header: list[str], rows: list[list[str]], widths: list[float],
                aligns: list[str], ctx: _Ctx, *, max_rows: int = 10) -> None:
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10.5, loc="left")
    if len(rows) > max_rows:
        extra = len(rows) - (max_rows - 1)
        rows = [*rows[: max_rows - 1], [ctx.label("brief.more_rows", n=extra)] + [""] * (
            len(header) - 1)]
    if not rows:
        rows = [[ctx.label("brief.no_data")] + [""] * (len(header) - 1)]
    _draw_table(ax, header, rows, widths, aligns, fontsize=8.5, row_h=1.0 / (max_rows + 1),
                width_in=rect[2] * PAGE_SIZE_IN[0])


def _draw_table(ax: Any, header: list[str], rows: list[list[str]], widths: list[float],
                aligns: list[str], *, fontsize: float, row_h: float, width_in: float) -> None:
    """Rows of text in axes coordinates (0..1), header on top, zebra shading.

    Cells share a baseline per row (``va="baseline"``), so digits, commas and Chinese line up.
    """
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    pad = 0.006
    # characters that fit a column: width in points / (fontsize/2 per half-width cell)
    cells = [max(4, int(w * width_in * 72 / (fontsize * 0.55)) - 1) for w in widths]
    xs = [edges[k] + pad if al == "left" else edges[k + 1] - pad for k, al in enumerate(aligns)]
    # baseline a third of a row below the row's middle: cap height ~0.7 em sits centred
    drop = 0.35 * fontsize / (72 * ax.get_position().height * ax.figure.get_size_inches()[1])

    def put(y_mid: float, values: list[str], **kw: Any) -> None:
        for x, v, al, n in zip(xs, values, aligns, cells):
            ax.text(x, y_mid - drop, _fit(str(v), n), ha=al, va="baseline", fontsize=fontsize,
                    transform=ax.transAxes, clip_on=False, **kw)

    put(1.0 - row_h / 2, header, fontweight="bold")
    ax.add_line(Line2D([0, 1], [1.0 - row_h, 1.0 - row_h], color="black", linewidth=0.8,
                       transform=ax.transAxes))
    stripes = [Rectangle((0, 1.0 - (i + 2) * row_h), 1, row_h)
               for i in range(1, len(rows), 2)]
    if stripes:
        ax.add_collection(PatchCollection(stripes, facecolor="#f1f3f6", edgecolor="none",
                                          transform=ax.transAxes, zorder=0))
    for i, row in enumerate(rows):
        put(1.0 - (i + 1.5) * row_h, row)


# --------------------------------------------------------------------------- page 3+: stations
def _pages_stations(data: RunData, ctx: _Ctx) -> list[Figure]:
    st = data.stations
    header = [ctx.label("brief.col_no"), ctx.label("field.name"), ctx.label("field.type"),
              ctx.label("field.zone"), ctx.label("brief.col_year"), ctx.label("brief.col_capex"),
              ctx.label("field.capacity"), ctx.label("brief.col_served", unit=ctx.weight_unit)]
    widths = [0.05, 0.25, 0.15, 0.16, 0.08, 0.10, 0.11, 0.10]
    aligns = ["right", "left", "left", "left", "right", "right", "right", "right"]
    rows = []
    for k, s in enumerate(st.itertuples(index=False), start=1):
        style = ctx.styles.get(s.station_type)
        cap_unit = ctx.fonts.safe(str(s.capacity_unit or ""), "")
        rows.append([
            str(k), ctx.fonts.safe(str(s.name), s.site_id),
            style.label if style else ctx.fonts.safe(s.station_type, "?"),
            ctx.zone(str(s.zone)),
            ctx.label("brief.status_existing") if s.existing else _year(s.year),
            _money(_float(s.capex), ctx.lang, unit=False),
            f"{_num(_float(s.capacity))} {cap_unit}".strip(), _num(_float(s.served_demand), 1),
        ])
    chunks = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    figs = []
    for n, chunk in enumerate(chunks):
        heading = ctx.label("brief.page_stations") + (ctx.label("brief.continued") if n else "")
        fig = _new_page(ctx, heading)
        ax = fig.add_axes((0.03, 0.07, 0.94, 0.82))
        ax.set_axis_off()
        if chunk:
            _draw_table(ax, header, chunk, widths, aligns, fontsize=8.5,
                        row_h=1.0 / (ROWS_PER_PAGE + 1), width_in=0.94 * PAGE_SIZE_IN[0])
        else:
            ax.text(0.0, 0.95, ctx.label("brief.no_stations"), fontsize=11, va="top")
        figs.append(fig)
    return figs


def _float(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _year(v: Any) -> str:
    f = _float(v)
    return str(int(f)) if f is not None and np.isfinite(f) and f > 0 else "-"


# --------------------------------------------------------------------------- last page(s)
def _method_blocks(data: RunData, ctx: _Ctx) -> list[tuple[str, str]]:
    """(style, text) blocks of the method page: style in {"h", "p", "red"}."""
    rep = data.report
    solver = rep.get("solver") or {}
    inputs = rep.get("inputs") or {}
    net = rep.get("network") or {}
    unknown = ctx.label("brief.unknown")
    reqs = []
    for r in rep.get("zone_requirements") or []:
        zone = ctx.zone(str(r.get("zone", "")))
        year = r.get("by_year") or (rep.get("scenario") or {}).get("years", [unknown])[-1]
        if r.get("pathway"):
            reqs.append(ctx.label("brief.zone_req_pathway", zone=zone, min=r.get("min", 1),
                              pathway=_pathway_name(str(r["pathway"]), ctx), year=year))
        else:
            tid = str(r.get("station_type", ""))
            name = ctx.styles[tid].label if tid in ctx.styles else ctx.fonts.safe(tid, "?")
            reqs.append(ctx.label("brief.zone_req_type", zone=zone, min=r.get("min", 1), type=name,
                              year=year))
    sep = "；" if ctx.lang == "zh" else "; "
    capacitated = solver.get("capacitated", True)
    method = ctx.label(
        "brief.method", budget=_money(rep.get("budget"), ctx.lang), unit=ctx.weight_unit,
        nodes=_num(inputs.get("network_nodes")) if "network_nodes" in inputs else unknown,
        edges=_num(inputs.get("network_edges")) if "network_edges" in inputs else unknown,
        capacity=ctx.label("brief.method_capacitated" if capacitated
                           else "brief.method_uncapacitated") + (
            ctx.label("brief.method_nearest", n=int(solver["max_alloc_options"]))
            if capacitated and solver.get("max_alloc_options") else ""),
        zones=ctx.label("brief.method_zones", items=sep.join(reqs)) if reqs else "",
        variables=_num(solver.get("variables")) if "variables" in solver else unknown,
        constraints=_num(solver.get("constraints")) if "constraints" in solver else unknown,
        solver=_solver_name(solver.get("name")))
    solver_line = ctx.label(
        "brief.solver_line", name=_solver_name(solver.get("name")),
        status=_status(solver.get("status", unknown), ctx), gap=_gap(solver.get("gap")),
        objective=_num(rep.get("objective"), 2), bound=_num(solver.get("bound"), 2),
        seconds=_num(solver.get("seconds"), 1))
    blocks = [("h", ctx.label("brief.method_title")), ("p", method),
              ("h", ctx.label("brief.solver_title")), ("p", solver_line)]
    if inputs:
        blocks.append(("p", ctx.label(
            "brief.inputs_line", demand=_num(inputs.get("demand_points")),
            fleet=_num(inputs.get("fleet_points")), cand=_num(inputs.get("candidates")),
            existing=_num(inputs.get("existing_stations")), options=_num(inputs.get("options")))))
    blocks.append(("h", ctx.label("brief.provenance_title")))
    if net.get("source"):
        blocks.append(("p", ctx.label("brief.network_line", source=ctx.fonts.safe(net["source"]))))
    prov = rep.get("data_provenance")
    if isinstance(prov, list):
        prov = " ".join(map(str, prov))
    if prov:
        blocks.append(("p", ctx.fonts.safe(str(prov))))
    blocks.append(("h", ctx.label("brief.caveat_title")))
    if net.get("schematic"):
        blocks.append(("red", ctx.label("brief.schematic_caveat")))
    blocks.append(("p", ctx.label("brief.general_caveat")))
    return blocks


_STATUS_ZH = {"optimal": "最优", "time_limit": "达到时限", "feasible": "可行", "infeasible": "无解",
              "not_solved": "未求解", "unbounded": "无界"}


def _status(status: Any, ctx: _Ctx, *, short: bool = False) -> str:
    """Solver status for display: translated in Chinese, with the raw value unless ``short``."""
    raw = str(status) if status is not None else "-"
    if ctx.lang == "zh" and raw in _STATUS_ZH:
        return _STATUS_ZH[raw] if short else f"{_STATUS_ZH[raw]}（{raw}）"
    return ctx.fonts.safe(raw.replace("_", " "), "?")


def _solver_name(name: Any) -> str:
    names = {"highs": "HiGHS", "cbc": "CBC"}
    return names.get(str(name).lower(), str(name)) if name else "-"


def _pages_text(blocks: list[tuple[str, str]], ctx: _Ctx) -> list[Figure]:
    """Flow text blocks down A4 pages, starting a new page when one is full."""
    size = {"h": 12.5, "p": 10.0, "red": 10.5}
    top, bottom = 0.88, 0.07
    figs: list[Figure] = []
    fig: Figure | None = None
    y = top

    def page() -> Figure:
        heading = ctx.label("brief.page_method") + (ctx.label("brief.continued") if figs else "")
        f = _new_page(ctx, heading)
        figs.append(f)
        return f

    for style, text in blocks:
        fs = size[style]
        # 0.94 of the page width in points / (half a font size per half-width cell)
        cells = int(0.94 * PAGE_SIZE_IN[0] * 72 / (fs * 0.52))
        lines = _wrap(text, cells)
        line_h = fs * 1.45 / 72 / PAGE_SIZE_IN[1]
        gap = (0.6 if style == "h" else 0.25) * line_h
        if fig is None:
            fig = page()
        elif y - gap - line_h * min(len(lines), 2) < bottom:
            fig, y = page(), top
        y -= gap
        for line in lines:
            if y - line_h < bottom:
                fig, y = page(), top
            fig.text(0.03, y, line, fontsize=fs, va="top",
                     fontweight="bold" if style in ("h", "red") else "normal",
                     color=_CAVEAT_RED if style == "red" else "black")
            y -= line_h
    return figs


# --------------------------------------------------------------------------- assembly
def render_briefing(data: RunData, *, lang: str = "zh",
                    fonts: _Fonts | None = None) -> list[Figure]:
    """Draw the briefing pages (A4 landscape matplotlib figures) for a loaded run.

    Call inside :func:`briefing_rc` (as :func:`write_briefing` does) so the CJK font, TrueType
    embedding and literal (non-mathtext) text apply.

    Parameters
    ----------
    data
        From :func:`load_run` (layers in EPSG:4326; the map is drawn in their UTM zone).
    lang
        ``"zh"`` or ``"en"``.
    fonts
        Resolved fonts (default: looked up now).

    Returns
    -------
    list of matplotlib.figure.Figure
        Map, key figures, station table page(s), method page(s) — each with a page footer.
    """
    fonts = fonts or _Fonts.resolve()
    ctx = _make_ctx(data, lang, fonts)
    figs = [_page_map(data, ctx), _page_figures(data, ctx), *_pages_stations(data, ctx),
            *_pages_text(_method_blocks(data, ctx), ctx)]
    version = data.report.get("siting_version")
    for i, fig in enumerate(figs, start=1):
        fig.text(0.97, 0.02, ctx.label("brief.page_of", i=i, n=len(figs)), ha="right",
                 fontsize=8, color="#555555")
        fig.text(0.03, 0.02, f"siting {version}" if version else "siting", fontsize=8,
                 color="#555555")
    return figs


def briefing_rc(fonts: _Fonts) -> dict[str, Any]:
    """matplotlib rcParams for the briefing: fonts, TrueType embedding, no mathtext/TeX."""
    return {
        "font.family": list(fonts.family),
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "text.usetex": False,
        "text.parse_math": False,
        "axes.unicode_minus": False,
        "figure.dpi": 100,
    }


def _resolve_lang(lang: str | None, report: dict[str, Any], fonts: _Fonts, where: Path) -> str:
    sc = report.get("scenario") or {}
    chosen = lang or report.get("lang") or sc.get("lang") or "zh"
    if chosen not in _LABELS:
        msg = f"{where}: language '{chosen}' is not supported; use --lang zh or --lang en"
        raise ScenarioError(msg)
    if chosen == "zh" and fonts.cjk is None:
        logger.warning("no CJK font found (install fonts-noto-cjk); the briefing uses English "
                       "labels and replaces Chinese text it cannot draw")
        chosen = "en"
    return chosen


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _data_chars(data: RunData, lang: str) -> str:
    """A superset of the characters the pages will draw, known before drawing them."""
    parts = [json.dumps(data.report, ensure_ascii=False), *_LABELS[lang].values(),
             *_STATUS_ZH.values()]
    if _i18n is not None:
        parts.extend(_i18n.LABELS.get(lang, {}).values())
    for col in ("site_id", "name", "station_type", "zone", "capacity_unit"):
        parts.extend(map(str, data.stations[col]))
    if data.zones is not None:
        for col in ("zone_id", "name"):
            if col in data.zones.columns:
                parts.extend(map(str, data.zones[col]))
    chars = {chr(c) for c in range(32, 127)} | set("…·–—%°").union(*parts)
    chars.discard("\n")
    return "".join(sorted(chars))


def _save_pages(figs: list[Figure], pdf_path: Path, *, title: str, creator: str) -> list[Path]:
    """Write ``<stem>-<n>.png`` per page and the PDF, each atomically; return the PNG paths."""
    pngs = []
    for i, fig in enumerate(figs, start=1):
        png = pdf_path.with_name(f"{pdf_path.stem}-{i}.png")
        _atomic_write(png, lambda p, f=fig: f.savefig(p, format="png", dpi=PNG_DPI))
        pngs.append(png)

    def write_pdf(p: Path) -> None:
        meta = {"Title": title, "Creator": creator, "CreationDate": output_date()}
        # matplotlib subsets the embedded fonts with fontTools, which stamps each subset with
        # the time unless SOURCE_DATE_EPOCH is set: set it for this write only
        with source_date_epoch(), PdfPages(p, metadata=meta) as pdf:
            for fig in figs:
                pdf.savefig(fig)

    _atomic_write(pdf_path, write_pdf)
    return pngs


def write_briefing(run_dir: str | os.PathLike[str], *, lang: str | None = None,
                   out_pdf: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write the review-board briefing of a run: a PDF and one PNG per page.

    Parameters
    ----------
    run_dir
        A run folder (``report.json``, ``stations.geojson``, optionally ``results.gpkg``).
    lang
        ``"zh"`` or ``"en"``; default: the report's language, else ``"zh"``. Chinese falls back
        to English (with a logged warning) when no CJK font is installed.
    out_pdf
        Where to write the PDF (default ``run_dir/briefing.pdf``); the PNGs go next to it as
        ``<stem>-1.png``, ``<stem>-2.png`` ...

    Returns
    -------
    list of Path
        The PDF, then the PNGs in page order. Each file is written to a temporary name and
        renamed into place; PNGs of an earlier, longer briefing are removed.

    Raises
    ------
    InputDataError
        When the run folder lacks ``report.json`` or ``stations.geojson``.
    ScenarioError
        When ``lang`` is not supported.
    """
    data = load_run(run_dir)
    pdf_path = Path(out_pdf) if out_pdf is not None else data.run_dir / "briefing.pdf"
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    fonts = _Fonts.resolve()
    chosen = _resolve_lang(lang, data.report, fonts, data.run_dir / "report.json")
    title = _make_ctx(data, chosen, fonts).title
    chars = _data_chars(data, chosen)
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix="siting-fonts-",
                                         ignore_cleanup_errors=True) as tmp, \
                _embedding_fonts(fonts, chars, Path(tmp)) as pdf_fonts, \
                matplotlib.rc_context(briefing_rc(pdf_fonts)):
            figs = render_briefing(data, lang=chosen, fonts=pdf_fonts)
            unseen = set(_figure_chars(figs)) - set(chars)
            if unseen and attempt == 1 and pdf_fonts is not fonts:
                logger.debug("characters outside the font subset: %r; redoing it", unseen)
                chars += "".join(sorted(unseen))
                continue
            pngs = _save_pages(figs, pdf_path, title=title,
                               creator=f"siting {data.report.get('siting_version', '')}")
            break
    for old in pdf_path.parent.glob(f"{pdf_path.stem}-*.png"):
        suffix = old.stem[len(pdf_path.stem) + 1:]
        if suffix.isdigit() and int(suffix) > len(figs):
            old.unlink()
    logger.info("briefing: %s (%d pages, %s)", pdf_path, len(figs), chosen)
    return [pdf_path, *pngs]
