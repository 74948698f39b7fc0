"""Display labels in Chinese and English for the map, the report and the briefing.

One plain dict per language, same keys in both. :func:`t` looks a key up and fills any
``{placeholders}``. Labels are plain text: callers HTML-escape them where they end up in HTML.
"""

from __future__ import annotations

#: Languages with a label table.
LANGS: tuple[str, ...] = ("zh", "en")

ZH: dict[str, str] = {
    # map furniture
    "map.subtitle": "充换电站与加氢站选址方案",
    "map.schematic_note": "示意路网 / schematic road network — not surveyed",
    "map.legend": "图例",
    "map.provenance": "数据来源",
    "map.no_basemap": "无底图",
    "map.summary": "需求覆盖率 {coverage}　投资 {spent} / 预算 {budget}",
    "map.aggregated_note": "需求点共 {n} 个，按边长 {size} 米的六边形汇总",
    # layers
    "layer.demand": "需求点",
    "layer.demand_year": "需求点 {year}",
    "layer.demand_cells": "需求（六边形汇总）",
    "layer.demand_cells_year": "需求（六边形汇总）{year}",
    "layer.coverage": "服务范围",
    "layer.zones": "片区",
    "layer.roads": "路网",
    "layer.candidates": "候选站址",
    "layer.excluded": "排除的候选站址",
    "layer.h2_supply": "氢源",
    "layer.substations": "变电站",
    "layer.sensitive_sites": "敏感目标",
    "layer.corridors": "货运通道",
    "layer.basemap_osm": "OpenStreetMap",
    "layer.basemap_tianditu": "天地图",
    "layer.basemap_amap": "高德地图",
    # legend entries
    "legend.new": "新建",
    "legend.existing": "现有（空心）",
    "legend.demand_size": "需求：圆面积∝日能耗（kWh，氢按 33.3 kWh/kg 折算）",
    "legend.cell_size": "六边形：颜色=服务比例，深浅∝日能耗",
    "legend.served_share": "服务比例",
    "legend.coverage": "所建站点的服务范围",
    "legend.zones": "片区边界",
    "legend.roads": "道路",
    "legend.candidates": "候选站址",
    "legend.excluded": "排除的候选站址（见弹窗原因）",
    # popup / table fields
    "field.type": "类型",
    "field.name": "名称",
    "field.site_id": "站址编号",
    "field.cost": "投资",
    "field.capacity": "能力",
    "field.served_demand": "服务需求",
    "field.served_energy": "日供能",
    "field.n_demand_served": "服务需求点数",
    "field.zone": "片区",
    "field.year": "年份",
    "field.existing": "现有站",
    "field.reason": "选址理由",
    "field.segment": "车队类别",
    "field.pathway": "技术路线",
    "field.vehicles": "新能源车辆",
    "field.energy": "日能耗",
    "field.served_share": "服务比例",
    "field.served_by": "服务站点",
    "field.rule_outcome": "规则判定",
    "field.chosen": "已选中",
    "field.allowed_types": "可建类型",
    "field.threshold_min": "服务时间阈值",
    "field.points": "需求点数",
    "field.weight": "权重",
    # units and words
    "unit.wan_yuan": "万元",
    "unit.money": "{value} 万元",
    "unit.minutes": "{value} 分钟",
    "unit.vehicles": "辆",
    "unit.per_day": "/日",
    "word.yes": "是",
    "word.no": "否",
    "word.none": "无",
    # pathways
    "pathway.swap": "换电",
    "pathway.charging": "充电",
    "pathway.hydrogen": "加氢",
}

EN: dict[str, str] = {
    "map.subtitle": "Battery-swap, charging and hydrogen station siting plan",
    "map.schematic_note": "示意路网 / schematic road network — not surveyed",
    "map.legend": "Legend",
    "map.provenance": "Data sources",
    "map.no_basemap": "No basemap",
    "map.summary": "Demand covered {coverage} · spent {spent} of {budget}",
    "map.aggregated_note": "{n} demand points summed into hexagons of {size} m side",
    "layer.demand": "Demand",
    "layer.demand_year": "Demand {year}",
    "layer.demand_cells": "Demand (hexagon totals)",
    "layer.demand_cells_year": "Demand (hexagon totals) {year}",
    "layer.coverage": "Coverage areas",
    "layer.zones": "Zones",
    "layer.roads": "Roads",
    "layer.candidates": "Candidate sites",
    "layer.excluded": "Excluded candidates",
    "layer.h2_supply": "Hydrogen supply",
    "layer.substations": "Substations",
    "layer.sensitive_sites": "Sensitive sites",
    "layer.corridors": "Truck corridors",
    "layer.basemap_osm": "OpenStreetMap",
    "layer.basemap_tianditu": "Tianditu",
    "layer.basemap_amap": "Amap",
    "legend.new": "new",
    "legend.existing": "existing (outlined)",
    "legend.demand_size": "Demand: circle area ∝ daily energy (kWh; H₂ at 33.3 kWh/kg)",
    "legend.cell_size": "Hexagons: colour = share served, depth ∝ daily energy",
    "legend.served_share": "Share served",
    "legend.coverage": "Coverage of the chosen stations",
    "legend.zones": "Zone boundaries",
    "legend.roads": "Roads",
    "legend.candidates": "Candidate sites",
    "legend.excluded": "Excluded candidates (reason in popup)",
    "field.type": "Type",
    "field.name": "Name",
    "field.site_id": "Site",
    "field.cost": "Cost",
    "field.capacity": "Capacity",
    "field.served_demand": "Demand served",
    "field.served_energy": "Energy supplied",
    "field.n_demand_served": "Demand points served",
    "field.zone": "Zone",
    "field.year": "Year",
    "field.existing": "Existing",
    "field.reason": "Reason",
    "field.segment": "Fleet segment",
    "field.pathway": "Pathway",
    "field.vehicles": "NEVs",
    "field.energy": "Daily energy",
    "field.served_share": "Share served",
    "field.served_by": "Served by",
    "field.rule_outcome": "Rule outcome",
    "field.chosen": "Chosen",
    "field.allowed_types": "Allowed types",
    "field.threshold_min": "Time threshold",
    "field.points": "Demand points",
    "field.weight": "Weight",
    "unit.wan_yuan": "M CNY",
    "unit.money": "{value} M CNY",
    "unit.minutes": "{value} min",
    "unit.vehicles": "vehicles",
    "unit.per_day": "/day",
    "word.yes": "yes",
    "word.no": "no",
    "word.none": "none",
    "pathway.swap": "battery swap",
    "pathway.charging": "charging",
    "pathway.hydrogen": "hydrogen",
}

#: Label tables by language code.
LABELS: dict[str, dict[str, str]] = {"zh": ZH, "en": EN}


def check_lang(lang: str) -> str:
    """Return ``lang`` if a label table exists for it, else raise ValueError naming the choices."""
    if lang not in LABELS:
        msg = f"language '{lang}' is not supported; use one of {list(LANGS)}"
        raise ValueError(msg)
    return lang


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Parameters
    ----------
    key
        A key of :data:`ZH` / :data:`EN`, e.g. ``"layer.roads"``.
    lang
        ``"zh"`` or ``"en"``.
    **values
        Values for the label's ``{placeholders}``.

    Returns
    -------
    str
        Plain text (not HTML-escaped).

    Raises
    ------
    KeyError
        If the key is unknown (a typo in the caller, not a user error).
    ValueError
        If the language is unsupported.
    """
    table = LABELS[check_lang(lang)]
    text = table[key]
    return text.format(**values) if values else text
