"""The plugin's own words in Chinese or English: parameter labels, log lines, its own errors.

The texts are written in English in the code, each through :func:`tr`, and looked up in
:data:`ZH` when QGIS runs in Chinese: the provider calls :func:`set_locale` with QGIS's locale
as it loads (``locale/userLocale``, which QGIS sets to the language of its interface, else the
system's), and a locale starting with ``zh`` gives Chinese. A text missing from :data:`ZH` is
shown in English. What siting itself prints (its summary, its one-line errors, the outputs)
comes from siting in the run's language, not from here. Imports nothing from QGIS, so it is
tested on its own.
"""

from __future__ import annotations

#: Chinese of each English text of the plugin (``{}``: a value filled in with ``format``).
ZH: dict[str, str] = {
    # ---- the provider and its setting
    "siting — swap, charging and hydrogen station siting": "siting — 换电、充电与加氢站选址",
    "siting executable (full path; empty: SITING_EXECUTABLE, then PATH)":
        "siting 可执行文件（完整路径；留空：先看 SITING_EXECUTABLE，再看 PATH）",
    "Station siting": "站点选址",
    # ---- algorithms
    "Validate scenario": "检查方案",
    "Checks a scenario file, or the given layers as a scenario, the way a run would (network, "
    "demand, candidates, rules, reachability) and reports what a run would work with. Writes "
    "nothing. A problem stops it with one line naming the layer, the feature and the fix.":
        "像运行时一样检查方案文件，或把给定的图层当作方案检查（路网、需求、候选站址、规则、"
        "可达性），并报告运行将用到的内容。不写出任何文件。发现问题时以一行信息停止，指明图层、"
        "要素和修改方法。",
    "Site stations (run)": "站点选址（运行）",
    "Places battery-swap, charging and hydrogen stations so that the most fleet demand is "
    "served within the budget, and writes the output folder: map.html (interactive, offline), "
    "results.gpkg (styled layers, loaded into the project), stations.geojson, summary.csv, "
    "report.json. Give a scenario file, or the road, fleet and candidate layers (a starter "
    "scenario is built from the bundled Suizhou station types and segments, as `siting init` "
    "does). Cancel stops siting and leaves the output folder as it was.":
        "在预算内布设换电站、充电站和加氢站，使尽可能多的车队需求得到服务，并写出输出文件夹："
        "map.html（交互式，可离线查看）、results.gpkg（带样式的图层，加载到工程中）、"
        "stations.geojson、summary.csv、report.json。请给出方案文件，或路网、车队和候选站址"
        "图层（将像 `siting init` 一样，用内置的随州站型和车辆类别生成初始方案）。取消会停止 "
        "siting，输出文件夹保持原样。",
    "Coverage against budget (sweep)": "覆盖率与预算（预算扫描）",
    "Solves the scenario for a range of budgets and writes curve.csv and curve.png (the knee "
    "marked) and, optionally, a full run folder per budget. Budgets: a list in million CNY, or "
    "N budgets from FROM to TO times the scenario's budget.":
        "在一系列预算下求解方案，写出 curve.csv 和 curve.png（标出拐点），并可为每个预算写出"
        "完整的运行文件夹。预算：以百万元为单位的列表，或方案预算的 FROM 倍到 TO 倍之间的 N 个"
        "预算。",
    "Review-board briefing (PDF)": "评审汇报材料（PDF）",
    "Writes briefing.pdf and one PNG per page into a run folder written by 'Site stations "
    "(run)' or `siting run`.":
        "在由“站点选址（运行）”或 `siting run` 写出的运行文件夹中写出 briefing.pdf，"
        "并为每页写出一张 PNG。",
    # ---- parameters
    "Scenario file (.toml); when given, the layers below and the budget, years and time limit "
    "are not used": "方案文件（.toml）；给出时不使用下面的图层，也不使用预算、规划年份和求解时限",
    "Road network (lines, with a highway road-class column)":
        "路网（线图层，含 highway 道路等级字段）",
    "Fleet points (fleet_id/编号, segment/车辆类别, vehicles/车辆数, daily_km/日均里程)":
        "车队点位（fleet_id/编号、segment/车辆类别、vehicles/车辆数、daily_km/日均里程）",
    "Candidate sites (site_id/站点编号, allowed_types/可建类型)":
        "候选站址（site_id/站点编号、allowed_types/可建类型）",
    "Existing stations (site_id, station_type)": "现有站点（site_id、station_type）",
    "Zones (polygons with zone_id)": "片区（面图层，含 zone_id）",
    "Scenario title (default: the fleet layer's name)": "方案名称（默认：车队图层的名称）",
    "Lon/lat of the point layers are": "点图层的经纬度属于",
    "WGS84 (GPS, OpenStreetMap, Tianditu)": "WGS84（GPS、OpenStreetMap、天地图）",
    "GCJ-02 (Amap, Tencent)": "GCJ-02（高德、腾讯）",
    "BD-09 (Baidu)": "BD-09（百度）",
    "Budget (million CNY; default 32)": "预算（百万元；默认 32）",
    "Planning years, comma-separated (default 2023,2024,2025)":
        "规划年份，以逗号分隔（默认 2023,2024,2025）",
    "Solver time limit (seconds)": "求解时限（秒）",
    "CRS of the exported layers (default WGS84)": "导出图层的坐标参考系（默认 WGS84）",
    "Language of the outputs": "输出语言",
    "Scenario's language": "方案设定",
    "Basemap of map.html": "map.html 的底图",
    "Load the result layers into the project": "将结果图层加载到工程中",
    "Output folder": "输出文件夹",
    "Budgets in million CNY, e.g. 10,20,40 (instead of N/from/to)":
        "预算（百万元），例如 10,20,40（代替个数/最小/最大）",
    "Number of budgets": "预算个数",
    "Smallest budget (× the scenario's)": "最小预算（方案预算的倍数）",
    "Largest budget (× the scenario's)": "最大预算（方案预算的倍数）",
    "Write a full run (map and exports) per budget": "为每个预算写出完整运行结果（地图和导出文件）",
    "Run folder": "运行文件夹",
    # ---- outputs
    "Summary": "摘要",
    "Scenario file used": "所用方案文件",
    "Coverage share (0-1)": "覆盖率（0–1）",
    "coverage against budget": "覆盖率与预算",
    # ---- the layer inputs, as messages name them
    "Road network": "路网",
    "Fleet points": "车队点位",
    "Candidate sites": "候选站址",
    "Existing stations": "现有站点",
    "Zones": "片区",
    "{} layer '{}'": "{}图层“{}”",
    # ---- log lines
    "Using the scenario file {}; the layer inputs are not used": "使用方案文件 {}；不使用图层输入",
    "{}: using the file {}": "{}：直接使用文件 {}",
    "Scenario written to {} - a temporary folder that QGIS empties when it closes: copy the "
    "folder to keep the scenario and rerun it with `siting run`":
        "方案已写入 {}——QGIS 关闭时会清空这个临时文件夹：要保留方案，请复制该文件夹，"
        "之后可用 `siting run` 重新运行",
    "{}: no style in the GeoPackage": "{}：GeoPackage 中没有样式",
    "cancelling: asking siting to stop (outputs are left as they were)":
        "正在取消：请 siting 停止（输出保持原样）",
    # ---- errors
    "{}: scenario file not found; choose an existing .toml file":
        "{}：找不到方案文件；请选择已有的 .toml 文件",
    "Give a scenario file, or the {} layer (with the road network, fleet and candidate layers)":
        "请给出方案文件，或{}图层（连同路网、车队点位和候选站址图层）",
    "The output CRS has no authority id (EPSG:...); choose an EPSG CRS":
        "输出坐标参考系没有权威编号（EPSG:...）；请选择 EPSG 坐标参考系",
    "{} has no CRS; set it in QGIS (Layer ▸ Set CRS) and run again":
        "{}没有坐标参考系；请在 QGIS 中设置（图层 ▸ 设置坐标参考系）后再运行",
    "{}: cannot write {}: {}": "{}：无法写入 {}：{}",
    "environment variable {}": "环境变量 {}",
    "Processing setting 'siting executable'": "处理工具设置“siting 可执行文件”",
    "{} is '{}', which is not an executable file; give the full path of siting (e.g. "
    "/home/me/siting/.venv/bin/siting)":
        "{}为“{}”，不是可执行文件；请给出 siting 的完整路径（例如 "
        "/home/me/siting/.venv/bin/siting）",
    "the siting executable was not found: install siting (pip install siting in a virtual "
    "environment), then set the environment variable {} or Settings ▸ Options ▸ Processing ▸ "
    "Providers ▸ siting ▸ siting executable to its full path (e.g. "
    "/home/me/siting/.venv/bin/siting)":
        "找不到 siting 可执行文件：请安装 siting（在虚拟环境中 pip install siting），然后把环境"
        "变量 {} 或“设置 ▸ 选项 ▸ 处理 ▸ 提供者 ▸ siting ▸ siting 可执行文件”设为它的完整路径"
        "（例如 /home/me/siting/.venv/bin/siting）",
    "cannot start {}: {}": "无法启动 {}：{}",
    "cancelled; siting stopped and left the output folder as it was":
        "已取消；siting 已停止，输出文件夹保持原样",
    "interrupted; previous outputs left as they were": "已中断；之前的输出保持原样",
    "siting stopped with exit code {}: {}": "siting 已停止，退出码 {}：{}",
    "no output": "无输出",
}

_lang = "en"


def language_of(locale: str | None) -> str:
    """``"zh"`` for a locale starting with ``zh`` (``zh_CN``, ``zh-Hans``, ``zh_TW``), else
    ``"en"``."""
    return "zh" if (locale or "").strip().lower().startswith("zh") else "en"


def set_locale(locale: str | None) -> str:
    """Show the plugin's texts in the language of QGIS's ``locale``; return it (zh or en)."""
    global _lang
    _lang = language_of(locale)
    return _lang


def language() -> str:
    """The language the plugin's texts are shown in: ``"zh"`` or ``"en"``."""
    return _lang


def tr(text: str) -> str:
    """``text`` (English, as written in the code) in the plugin's language."""
    return ZH.get(text, text) if _lang == "zh" else text
