"""What the command line prints after a run, a sweep or a comparison, in the run's language.

Printed on a console without rich markup (``siting.cli.out``): user text is shown as it is.

The same sentences as the map and the briefing (:mod:`siting.report_text`): the final
planning year's headline first, then the money, stations by type (by name), corridor trucks
apart, the solver's outcome (a time-limited plan as a range, never "optimal"), then a table per
planning year. Labels come from the ``console.*`` group of :mod:`siting.i18n`. Tables are drawn
with box characters and padded columns, or, with ``siting --plain-tables`` (the QGIS plugin,
whose log is in a proportional font), printed one line per row (:func:`print_table`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, JustifyMethod
from rich.table import Table

from siting._format import money, number, percent
from siting._terminal import terminal_text
from siting.i18n import LABELS, t
from siting.report import Report
from siting.report_text import (
    corridor_text,
    headline_label,
    headline_text,
    labelled,
    mandate_text,
    money_text,
    notes,
    scenario_title,
    solver_text,
    status_name,
)
from siting.symbology import symbols_from_report

if TYPE_CHECKING:
    from siting.compare import Comparison
    from siting.cost_curve import CostPoint
    from siting.sweep import SweepPoint

__all__ = ["print_comparison", "print_cost_curve", "print_robust", "print_run", "print_sweep",
           "print_table", "print_written", "stage_label", "table_lines", "target_text"]


def stage_label(stage: str, label: str, lang: str) -> str:
    """A pipeline stage's progress label in ``lang`` (``label`` when there is none)."""
    key = f"console.stage_{stage}"
    return t(key, lang) if key in LABELS.get(lang, {}) else label


def print_table(out: Console, table: Table, lang: str) -> None:
    """Print ``table`` drawn with box characters, or, on a console whose ``plain_tables`` is
    set (``siting --plain-tables``, :class:`siting.cli.common.ResultsConsole`), as
    :func:`table_lines`.

    Cells fold rather than end in ``…``: rich wraps text at spaces, so a Chinese sentence
    (no spaces) or a long output path wider than its column lost its end."""
    if not getattr(out, "plain_tables", False):
        for col in table.columns:
            col.overflow = "fold"
        out.print(table)
        return
    for line in table_lines(table, lang):
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def table_lines(table: Table, lang: str) -> list[str]:
    """``table`` as plain lines that read the same in any font: its title, then one line per
    row, each cell after its column's header (``年份：2023；覆盖率：26.1%``; a table without
    a header: ``label：value``), empty cells left out. Cell text is printed as it is, but each
    cell made safe on its own (:func:`siting._terminal.terminal_text`: control characters as
    symbols, a bidi override closed at the end of its cell, not of the row)."""
    sep = t("rule.sep", lang)
    headers = [terminal_text(str(col.header)) for col in table.columns]
    lines = [terminal_text(str(table.title))] if table.title else []
    for cells in zip(*([terminal_text(str(c)) for c in col.cells] for col in table.columns)):
        if table.show_header:
            parts = [labelled(h, v, lang) for h, v in zip(headers, cells) if v]
        else:
            parts = [labelled(cells[0], sep.join(v for v in cells[1:] if v), lang)]
        lines.append(sep.join(parts))
    return lines


def print_written(out: Console, files: Sequence[Path], lang: str) -> None:
    """The files a command wrote (the briefing's PDF and pages), in ``lang``."""
    sep = "、" if lang == "zh" else ", "
    out.print(t("console.files_written", lang, files=sep.join(str(f) for f in files)),
              markup=False, soft_wrap=True)


def print_run(out: Console, report: Report, target: Path) -> None:
    """The run summary: headline, money, stations, corridors, solver, notes, per-year table."""
    lang = report.scenario.lang
    name = scenario_title(report, lang)
    tab = Table(title=name, show_header=False)
    # each sentence without its own label: the table prints that in the first column
    tab.add_row(headline_label(report, lang), headline_text(report, lang, label=False))
    if report.target is not None:
        tab.add_row(t("console.target", lang), target_text(report, lang))
    else:
        tab.add_row(t("console.money", lang), money_text(report, lang))
    symbols = symbols_from_report(report, lang)
    sep = t("rule.list_sep", lang)
    tab.add_row(t("console.stations", lang), sep.join(
        f"{symbols[k].label if k in symbols else k} {v.count}"
        for k, v in report.by_type.items() if v.count) or t("word.none", lang))
    corr = corridor_text(report, lang, label=False)
    if corr:
        tab.add_row(t("plan.corridors_label", lang), corr)
    tab.add_row(t("plan.solver_label", lang),
                solver_text(report, lang, seconds=True, label=False))
    for note in notes(report):
        tab.add_row(t("console.note", lang), note)
    if report.network.schematic:
        tab.add_row(t("console.network", lang), t("map.schematic_note", lang))
    if report.timings:
        tab.add_row(t("console.times", lang), sep.join(
            f"{stage_label(k, k, lang)} {v:.1f} {t('unit.seconds', lang)}"
            for k, v in report.timings.items()))
    tab.add_row(t("console.written", lang), str(target))
    print_table(out, tab, lang)
    years = _table(t("console.by_year", lang), (
        "field.year", "console.col_nev", "console.col_covered", "console.col_share",
        "console.col_new", "console.col_spent"), lang, justify="right")
    for y in report.by_year.values():
        years.add_row(str(y.year), number(y.nev_vehicles), number(y.vehicles_covered),
                      percent(y.coverage_share), str(y.new_stations),
                      money(y.spent, lang, unit=False))
    print_table(out, years, lang)
    _print_commission(out, report, lang)


def target_text(report: Report, lang: str) -> str:
    """A least-cost run's target and what it costs (with the proven bound when not proven)."""
    tg = report.target
    assert tg is not None
    bound = ("" if tg.status == "optimal" or tg.cost_bound is None else
             t("plan.target_bound", lang, bound=money(tg.cost_bound, lang),
               gap=percent(tg.gap, 2)))
    return t("plan.target", lang, share=percent(tg.share), year=tg.year,
             spent=money(tg.spent, lang), bound=bound)


def _print_commission(out: Console, report: Report, lang: str) -> None:
    """What the plan saves, the share of each zone's demand covered, the mandates' price."""
    year = report.final_year
    ec = report.economics
    if ec is not None and ec.by_year and str(year) in ec.by_year:
        e = ec.by_year[str(year)]
        out.print(t("console.economics", lang, year=year,
                    diesel=number(e.diesel_l_per_year / 1e3),
                    carbon=number(e.co2_avoided_t_per_year),
                    grid=f"{ec.grid_co2_kg_per_kwh:g}"), markup=False, soft_wrap=True)
    if report.zone_coverage:
        unit = t("unit.vehicles" if report.scenario.weight == "vehicles" else "unit.kwh_day",
                 lang)  # the demand weight of the final year
        z = _table(t("brief.zone_coverage", lang, year=year), (
            "field.zone", "console.col_zone_demand", "console.col_zone_covered",
            "console.col_share", "field.zone_min_share"), lang, justify="right",
            left="field.zone", unit=unit)
        for zid, zc in report.zone_coverage.items():
            floor = ("" if zc.min_share is None else
                     f"≥ {percent(zc.min_share)} ({zc.min_share_year})")
            name = zc.name_en if lang == "en" and zc.name_en else zc.name or zid
            z.add_row(name, number(zc.demand_weight, 1),
                      number(zc.weight_covered, 1), percent(zc.coverage_share), floor)
        print_table(out, z, lang)
    if report.mandates:
        symbols = symbols_from_report(report, lang)

        def zone_name(zid: str) -> str:
            zf = report.by_zone.get(zid)
            zc = report.zone_coverage.get(zid)
            if lang == "en" and zf is not None and zf.name_en:
                return zf.name_en
            if lang == "en" and zc is not None and zc.name_en:
                return zc.name_en
            return (zf.name if zf is not None and zf.name else
                    zc.name if zc is not None and zc.name else zid)

        def type_name(tid: str) -> str:
            return symbols[tid].label if tid in symbols else tid

        m = _table(t("brief.mandates", lang, year=year), (
            "brief.col_mandate", "brief.col_cover_without", "brief.col_gain",
            "brief.col_saved", "brief.col_binds"), lang)
        for p in report.mandates:
            label = mandate_text(p, report, lang, zone_name=zone_name, type_name=type_name)
            if p.coverage_without is None:
                m.add_row(label, status_name(p.status, lang), "", "", "")
                continue
            m.add_row(label, percent(p.coverage_without),
                      number(100 * (p.coverage_gained or 0.0), 1),
                      money(p.money_saved, lang),
                      t("word.yes" if p.binding else "word.no", lang))
        print_table(out, m, lang)


def _table(title: str, keys: Sequence[str], lang: str, *, justify: JustifyMethod = "left",
           left: str | None = None, **fmt: object) -> Table:
    """A titled table with one column per label key, in ``lang`` (``fmt`` fills the labels'
    placeholders); every column ``justify``-ed but the one of key ``left``."""
    tab = Table(title=title)
    for key in keys:
        tab.add_column(t(key, lang, **fmt), justify="left" if key == left else justify)
    return tab


def print_sweep(out: Console, points: Sequence[SweepPoint], *, name: str, lang: str,
                target: Path) -> None:
    """The sweep table: budget, spent, the final year's coverage, stations, outcome."""
    tab = _table(t("console.sweep_title", lang, name=name), (
        "console.col_budget", "console.col_spent", "console.col_share",
        "console.col_stations", "console.col_status"), lang)
    for p in points:
        status = status_name(p.status, lang)
        if p.carried_from is not None:
            status += t("console.plan_of", lang, budget=money(p.carried_from, lang))
        tab.add_row(money(p.budget, lang, unit=False), money(p.spent, lang, unit=False),
                    percent(p.coverage_share), str(p.stations), status)
    print_table(out, tab, lang)
    out.print(t("console.sweep_written", lang, target=str(target)), markup=False,
              soft_wrap=True)  # paths are never broken over lines


def print_cost_curve(out: Console, points: Sequence[CostPoint], *, name: str, lang: str,
                     target: Path) -> None:
    """The least cost of each coverage target (``siting sweep --targets``), in ``lang``."""
    tab = _table(t("console.cost_title", lang, name=name), (
        "console.col_target", "console.col_least_cost", "console.col_covered",
        "console.col_stations", "console.col_status"), lang)
    for p in points:
        status = status_name(p.status, lang)
        if p.plan_of_target is not None:
            status += t("console.plan_of_target", lang, share=percent(p.plan_of_target))
        if p.folder and p.status != "optimal" and p.cost_bound is not None:
            status += t("console.cost_at_least", lang, bound=money(p.cost_bound, lang))
        tab.add_row(percent(p.target), money(p.spent, lang), percent(p.achieved_share),
                    str(p.stations), status)
    print_table(out, tab, lang)
    for p in points:
        if not p.folder:
            out.print(f"{percent(p.target)}: {p.note}", markup=False, soft_wrap=True)
    out.print(t("console.cost_written", lang, target=str(target)), markup=False,
              soft_wrap=True)


def print_robust(out: Console, report: Report, target: Path) -> None:
    """A robustness study's summary and its no-regret stations, in the report's language."""
    lang = report.scenario.lang
    f = report.robustness
    assert f is not None
    out.print(t("console.robust_summary", lang, n=f.samples, backend=f.backend,
                seconds=number(f.seconds, 1), own=percent(f.own_share_mean),
                year=report.final_year, base=percent(f.base_share_mean),
                mean=number(100 * f.regret_mean, 1), p90=number(100 * f.regret_p90, 1),
                max=number(100 * f.regret_max, 1)), markup=False, soft_wrap=True)
    symbols = symbols_from_report(report, lang)
    tab = Table(title=t("console.robust_table", lang, share=percent(f.no_regret_share)))
    for key in ("console.col_site", "field.type", "console.col_chosen", "console.col_in_plan"):
        tab.add_column(t(key, lang))
    for st in f.stations:
        if st.no_regret:
            label = symbols[st.station_type].label if st.station_type in symbols else \
                st.station_type
            tab.add_row(st.site_id, label, percent(st.chosen_share),
                        t("word.yes" if st.in_base_plan else "word.no", lang))
    print_table(out, tab, lang)
    out.print(t("console.robust_written", lang, target=str(target)), markup=False,
              soft_wrap=True)


def print_comparison(out: Console, cmp: Comparison, target: Path) -> None:
    """The comparison's figures and how many stations changed, in the comparison's language."""
    from siting.compare import _fmt, _fmt_change

    lang = cmp.lang
    tab = Table(title=f"A = {cmp.name_a}, B = {cmp.name_b}")
    for col in (t("compare.col_figure", lang), "A", "B", t("compare.col_change", lang)):
        tab.add_column(col)
    for r in cmp.kpis.itertuples(index=False):
        key = str(r.key)
        tab.add_row(str(r.figure), _fmt(key, r.a, lang), _fmt(key, r.b, lang),
                    _fmt_change(key, r.change, lang))
    print_table(out, tab, lang)
    counts = cmp.stations["status"].value_counts().to_dict()
    out.print(t("console.changes", lang) + t("rule.list_sep", lang).join(
        f"{t(f'compare.status_{k}', lang)} {v}" for k, v in sorted(counts.items())))
    out.print(t("console.compare_written", lang, target=str(target / "compare.html")),
              markup=False, soft_wrap=True)
