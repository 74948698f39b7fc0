"""``summary.csv`` and ``summary.xlsx``: one row per station in the run's language.

The CSV goes through the one CSV writer (:mod:`siting._csv`), for scripts and GIS; the
workbook through the one Excel writer (:mod:`siting._xlsx`), for whoever opens the table in
Excel, WPS or LibreOffice: there a site id such as ``001`` or ``3/4`` stays text (a CSV
loses it to a number or a date), and a second sheet says what the figures count, for which
year, how the plan was found and where the data come from.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from siting import i18n
from siting._csv import write_csv
from siting._xlsx import Sheet, write_xlsx
from siting.crs import WGS84, crs_slug, parse_crs, to_output_crs
from siting.export.json_files import METRE_DECIMALS
from siting.names import zone_names
from siting.report_text import (
    corridor_text,
    headline_label,
    headline_text,
    money_text,
    notes,
    scenario_title,
    solver_text,
)
from siting.results import STATION_COLUMNS, SitingResult
from siting.symbology import symbols_from_types

logger = logging.getLogger(__name__)



# =========================================================================== CSV
def summary_frame(result: SitingResult, *, crs: str = WGS84, lang: str = "zh") -> pd.DataFrame:
    """The station table as it goes into summary.csv (headers in ``lang``).

    Parameters
    ----------
    result
        The solved plan.
    crs
        When not WGS84, x/y columns in that CRS are added after lon/lat.
    lang
        ``"zh"`` (Chinese headers, 是/否, 换电/充电/加氢) or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        One row per station, ``STATION_COLUMNS`` plus ``type_name`` and coordinates.
    """
    st = result.stations
    lang = lang if lang in i18n.LANGS else "en"
    symbols = symbols_from_types(getattr(result.scenario, "station_types", []), lang)
    df = pd.DataFrame({c: st[c].to_numpy() for c in STATION_COLUMNS if c in st.columns})
    if "station_type" in df.columns:
        pos = list(df.columns).index("station_type") + 1
        df.insert(pos, "type_name", [symbols[t].label if t in symbols else t
                                     for t in df["station_type"]])
    yes, no = i18n.t("word.yes", lang), i18n.t("word.no", lang)
    if "existing" in df.columns:
        df["existing"] = [yes if bool(v) else no for v in df["existing"]]
    if "family" in df.columns:
        df["family"] = [i18n.t(f"pathway.{v}", lang) if f"pathway.{v}" in i18n.LABELS[lang]
                        else v for v in df["family"]]
    if "zone" in df.columns:  # the zone's name in the language, not its id
        names = zone_names(result.zones, lang)
        df["zone"] = [names.get(str(z), str(z)) if isinstance(z, str) and z else ""
                      for z in df["zone"]]
    units = {"kWh/day": i18n.t("unit.kwh_day", lang), "kg/day": i18n.t("unit.kg_day", lang)}
    for col in ("capacity_unit", "energy_unit"):
        if col in df.columns:
            df[col] = [units.get(str(u), u) for u in df[col]]
    geoms = st.geometry.to_crs(WGS84) if st.crs is not None else st.geometry
    reps = shapely.point_on_surface(geoms.values) if len(st) else np.array([])
    df["lon"] = np.round(shapely.get_x(reps), 7) if len(st) else []
    df["lat"] = np.round(shapely.get_y(reps), 7) if len(st) else []
    for col in ("capex",):
        if col in df.columns:
            df[col] = df[col].astype(float).round(2)
    for col in ("capacity", "served_demand", "served_vehicles", "served_energy", "served_h2_kg",
                "marginal_demand"):
        if col in df.columns:
            df[col] = df[col].astype(float).round(3)
    if "utilisation" in df.columns:
        df["utilisation"] = df["utilisation"].astype(float).round(4)
    year = result.report.final_year
    wu = result.report.scenario.weight_unit
    if lang == "zh":
        wu = "辆" if result.report.scenario.weight == "vehicles" else "kWh/日"
    headers = _summary_headers(lang, year=year, wu=wu)
    if crs != WGS84 and len(st):
        out = to_output_crs(st, crs).geometry
        pts = shapely.point_on_surface(out.values)
        nd = METRE_DECIMALS if out.crs is not None and out.crs.is_projected else 7
        slug = crs_slug(crs)
        df[f"x_{slug}"] = np.round(shapely.get_x(pts), nd)
        df[f"y_{slug}"] = np.round(shapely.get_y(pts), nd)
        if lang == "zh":
            headers[f"x_{slug}"] = f"X（{crs}）"
            headers[f"y_{slug}"] = f"Y（{crs}）"
    return df.rename(columns=headers)


def write_summary_csv(result: SitingResult, path: str | Path, *, crs: str = WGS84,
                      lang: str = "zh") -> Path:
    """Write summary.csv: UTF-8 with BOM (so Excel shows Chinese), CRLF-free, one row per
    station. See :func:`summary_frame` for the columns.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    df = summary_frame(result, crs=parse_crs(crs), lang=lang)
    return write_csv(path, df)

def write_summary_xlsx(result: SitingResult, path: str | Path, *, crs: str = WGS84,
                       lang: str = "zh") -> Path:
    """Write summary.xlsx: the table of :func:`summary_frame` with typed cells (ids stay
    text, numbers are numbers, nothing is a formula) and a second sheet on the plan
    (:func:`summary_about`). Returns ``path``."""
    df = summary_frame(result, crs=parse_crs(crs), lang=lang)
    heads = _summary_headers(lang, year=result.report.final_year, wu="")
    formats = {heads["capex"]: YUAN, heads["utilisation"]: SHARE}
    return write_xlsx(path, df, sheet=i18n.t("xlsx.sheet_stations", lang), formats=formats,
                      more=[by_year_sheet(result, lang)], about=summary_about(result, lang),
                      about_sheet=i18n.t("xlsx.sheet_about", lang))


#: Excel number formats: yuan, a share, a count to one decimal.
YUAN, SHARE, ONE_DECIMAL = "#,##0", "0.0%", "#,##0.0"


#: Columns of the by-year sheet: label key and the :class:`~siting.report.YearFigures` field.
_YEAR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("field.year", "year"), ("xlsx.col_nev", "nev_vehicles"),
    ("xlsx.col_covered", "vehicles_covered"), ("xlsx.col_share", "coverage_share"),
    ("xlsx.col_kwh", "energy_kwh_per_day"), ("xlsx.col_kwh_served", "energy_kwh_per_day_served"),
    ("xlsx.col_h2", "h2_kg_per_day"), ("xlsx.col_h2_served", "h2_kg_per_day_served"),
    ("xlsx.col_new", "new_stations"), ("xlsx.col_open", "stations_open"),
    ("xlsx.col_spent", "spent"), ("xlsx.col_budget", "budget"))


def by_year_sheet(result: SitingResult, lang: str) -> Sheet:
    """The plan year by year (point demand): each figure that year's, in its unit."""
    rows = [[getattr(y, f) for _, f in _YEAR_COLUMNS]
            for y in result.report.by_year.values()]
    header = [i18n.t(k, lang) for k, _ in _YEAR_COLUMNS]
    kinds = {"coverage_share": SHARE, "spent": YUAN, "budget": YUAN, "year": "0",
             "new_stations": "0", "stations_open": "0"}
    formats = {h: kinds.get(f, ONE_DECIMAL) for h, (_, f) in zip(header, _YEAR_COLUMNS,
                                                                  strict=True)}
    return Sheet(i18n.t("xlsx.sheet_years", lang), header, rows, formats)


def summary_about(result: SitingResult, lang: str) -> list[tuple[str, str]]:
    """Label/value pairs on the plan behind a station table: scenario, the final year's
    headline, money, corridors, how the plan was found, the data's provenance, notes."""
    rep = result.report
    wu = i18n.t("unit.vehicles", lang) if rep.scenario.weight == "vehicles" else \
        i18n.t("unit.kwh_day", lang)
    pairs = [(i18n.t("xlsx.scenario", lang), scenario_title(rep, lang)),
             (i18n.t("xlsx.figures", lang), i18n.t("xlsx.figures_text", lang,
                                                  year=rep.final_year, wu=wu)),
             (headline_label(rep, lang), headline_text(rep, lang, label=False)),
             (i18n.t("xlsx.money", lang), money_text(rep, lang))]
    if rep.corridors:
        pairs.append((i18n.t("plan.corridors_label", lang),
                      corridor_text(rep, lang, label=False)))
    pairs += [(i18n.t("plan.solver_label", lang), solver_text(rep, lang, label=False)),
              (i18n.t("xlsx.data", lang), rep.data_provenance),
              (i18n.t("xlsx.written_by", lang), f"siting {rep.siting_version}")]
    pairs += [(i18n.t("xlsx.note", lang), n) for n in notes(rep)]
    return pairs


def _summary_headers(lang: str, *, year: object, wu: str) -> dict[str, str]:
    """summary.csv headers by column: the ``csv.*`` labels of :mod:`siting.i18n`, filled with
    the figures' ``year`` and the demand weight unit ``wu``."""
    return {k.removeprefix("csv."): i18n.t(k, lang, year=year, wu=wu)
            for k in i18n.LABELS[lang] if k.startswith("csv.")}
