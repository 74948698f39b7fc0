"""The commission's page: what the target costs, what the plan saves, coverage by zone and the
price of each mandate.

Drawn when the report has any of them (``target``, ``economics``, ``zone_coverage``,
``mandates``). Every figure names its year and unit; nothing is summed over planning years.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from siting._format import MISSING, money, number, percent
from siting.briefing.context import PAGE_SIZE_IN, PageContext, new_page, pathway_name
from siting.briefing.tables import Named, Table, TableFlow, flow_pages, named, table_block
from siting.briefing.text import fit, fit_ref, wrap
from siting.report import MandatePrice, Report
from siting.report_text import mandate_text
from siting.run_folder import RunData

__all__ = ["page_commission"]

#: Top edges of the mandates table and of the economics note at the foot of the page.
_MANDATES_TOP, _NOTE_TOP = 0.36, 0.088


def page_commission(data: RunData, ctx: PageContext) -> list[Figure]:
    """The page, then the pages continuing its tables when they did not fit on it; none when
    the run has none of its figures."""
    rep = data.report
    if not (rep.target or rep.economics or rep.zone_coverage or rep.mandates):
        return []
    heading = ctx.label("brief.page_commission")
    fig = new_page(ctx, heading)
    year = str(rep.headline.year)
    _tiles(fig, rep, year, ctx)
    _zone_chart(fig, rep, year, ctx)
    rest: list[TableFlow] = []
    _levelised_table(fig, rep, year, ctx, rest)
    _mandates_table(fig, rep, year, ctx, rest)
    ec = rep.economics
    notes = []
    if ec is not None:
        notes.append(ctx.label("brief.econ_note", factor=f"{ec.grid_co2_kg_per_kwh:g}",
                               source=ctx.fonts.safe(ec.grid_factor_source),
                               days=number(ec.operating_days),
                               rate=percent(ec.discount_rate)))
    fig.text(0.03, _NOTE_TOP, "\n".join(wrap(" ".join(notes), 205)), fontsize=7,
             color="#555555", va="top", linespacing=1.3)
    return [fig, *flow_pages(ctx, heading, rest)[0]]


def _tile(fig: Figure, k: int, key: str, value: str, sub: str) -> None:
    x = 0.03 + k * 0.238
    fig.add_artist(Rectangle((x, 0.775), 0.225, 0.115, facecolor="#f3f5f8",
                             edgecolor="#d0d5dd", linewidth=0.6, transform=fig.transFigure))
    fig.text(x + 0.01, 0.872, key, fontsize=9, color="#555555", va="top")
    fig.text(x + 0.01, 0.84, value, fontsize=15, fontweight="bold", va="top")
    fig.text(x + 0.01, 0.79, fit(sub, 48), fontsize=7.5, color="#555555", va="center")


def _tiles(fig: Figure, rep: Report, year: str, ctx: PageContext) -> None:
    tiles: list[tuple[str, str, str]] = []
    tg = rep.target
    if tg is not None:
        proven = tg.status == "optimal"
        sub = (ctx.label("brief.target_proven") if proven else
               ctx.label("brief.target_bound", bound=money(tg.cost_bound, ctx.lang),
                         gap=percent(tg.gap, 1)))
        tiles.append((ctx.label("brief.target_cost", share=percent(tg.share), year=tg.year),
                      money(tg.spent, ctx.lang), sub))
    ey = rep.economics.by_year.get(year) if rep.economics is not None else None
    if ey is not None:
        tiles.append((ctx.label("brief.diesel", year=year),
                      ctx.label("brief.diesel_value", value=number(ey.diesel_l_per_year / 1e3)),
                      ctx.label("brief.km_value", value=number(ey.vehicle_km_per_year / 1e4))))
        tiles.append((ctx.label("brief.co2", year=year),
                      ctx.label("brief.co2_value", value=number(ey.co2_avoided_t_per_year)),
                      ctx.label("brief.co2_sub",
                                diesel=number(ey.co2_diesel_t_per_year),
                                grid=number(ey.co2_electricity_t_per_year),
                                h2=number(ey.co2_hydrogen_t_per_year))))
        tiles.append((ctx.label("brief.running_cost", year=year),
                      money(ey.cost_cny_per_year, ctx.lang),
                      ctx.label("brief.running_cost_sub")))
    for k, (key, value, sub) in enumerate(tiles[:4]):
        _tile(fig, k, key, value, sub)


def _zone_chart(fig: Figure, rep: Report, year: str, ctx: PageContext) -> None:
    """Share of each zone's demand covered (bars), the zone's floor as a tick; a zone's name
    too long for its label is cut to end with its id."""
    zc = rep.zone_coverage
    ax = fig.add_axes((0.16, 0.48, 0.3, 0.24))
    title = ctx.label("brief.zone_coverage", year=year)
    ax.set_title(title, fontsize=10.5, loc="left")
    ax.set_xlim(0, 100)
    rows = [(zid, info) for zid, info in zc.items()]
    if not rows:
        ax.set_yticks([])
        ax.text(50, 0.5, ctx.label("brief.no_data"), ha="center", va="center", color="#777777")
        return
    ypos = np.arange(len(rows))[::-1]
    vals = [100.0 * (info.coverage_share or 0.0) for _, info in rows]
    ax.barh(ypos, vals, color="#6a3d9a", height=0.6)
    room = 0.12 * PAGE_SIZE_IN[0] * 72
    labels = [fit_ref(ctx.zone(zid), ctx.fonts.safe(zid, "?"), room, 8) for zid, _ in rows]
    if any(shown != " ".join(ctx.zone(zid).split()) for shown, (zid, _) in zip(
            labels, rows, strict=True)):
        ctx.cut_tables.add(title)
    ax.set_yticks(ypos, labels, fontsize=8)
    for y, v, (_, info) in zip(ypos, vals, rows, strict=True):
        ax.text(min(v, 100) + 1.5 if v < 85 else v - 1.5, y,
                percent(info.coverage_share), va="center",
                ha="left" if v < 85 else "right", fontsize=7.5,
                color="black" if v < 85 else "white")
        floor = info.min_share
        if floor is not None:
            ax.plot([100 * floor] * 2, [y - 0.4, y + 0.4], color="#d1242f", linewidth=2)
    ax.set_xlabel(ctx.label("brief.zone_axis"), fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _levelised_table(fig: Figure, rep: Report, year: str, ctx: PageContext,
                     rest: list[TableFlow]) -> None:
    """Levelised cost by station type, right of the zone chart (above the mandates)."""
    lev = rep.economics.levelised_by_type if rep.economics is not None else {}
    units = rep.economics.levelised_unit_by_type if rep.economics is not None else {}
    rows = []
    for tid, value in lev.items():
        name = ctx.styles[tid].label if tid in ctx.styles else tid
        unit = str(units.get(tid, ""))
        rows.append([name, f"{value:,.2f}", ctx.label(_unit_key(unit))])
    header = [ctx.label("field.type"), ctx.label("brief.col_levelised"),
              ctx.label("brief.col_unit")]
    table_block(fig, ctx, ctx.label("brief.levelised", year=year),
                Table(header, rows, [0.5, 0.22, 0.28], ["left", "right", "left"]),
                0.53, 0.72, 0.44, max_rows=8, bottom=_MANDATES_TOP + 0.02, rest=rest)


def _unit_key(unit: str) -> str:
    return {"CNY/kWh": "brief.unit_cny_kwh", "CNY/kg": "brief.unit_cny_kg",
            "CNY/kWh-eq": "brief.unit_cny_kwh_eq"}.get(unit, "brief.unit_cny_kwh_eq")


def _mandates_table(fig: Figure, rep: Report, year: str, ctx: PageContext,
                    rest: list[TableFlow]) -> None:
    """What each mandate costs: coverage without it, points gained, money saved, binding."""
    mandates = rep.mandates
    least_cost = rep.mode == "least_cost"
    rows: list[list[str | Named]] = []
    for m in mandates:
        label = named(ctx, ctx.fonts.safe(_mandate_label(m, rep, ctx)), m.key)
        if m.coverage_without is None:
            rows.append([label, ctx.label("brief.mandate_failed"), MISSING, MISSING, MISSING])
            continue
        rows.append([label, percent(m.coverage_without),
                     MISSING if least_cost else number(100 * (m.coverage_gained or 0.0), 1),
                     money(m.money_saved, ctx.lang),
                     ctx.label("word.yes") if m.binding else ctx.label("word.no")])
    title = ctx.label("brief.mandates", year=year)
    if not mandates:
        title += " — " + ctx.label("brief.mandates_none")
    header = [ctx.label("brief.col_mandate"), ctx.label("brief.col_cover_without"),
              ctx.label("brief.col_gain"), ctx.label("brief.col_saved"),
              ctx.label("brief.col_binds")]
    table_block(fig, ctx, title,
                Table(header, rows, [0.52, 0.13, 0.12, 0.13, 0.1],
                      ["left", "right", "right", "right", "left"], wrap=[True]),
                0.03, _MANDATES_TOP, 0.94, max_rows=7, bottom=_NOTE_TOP + 0.008, rest=rest)


def _mandate_label(m: MandatePrice, rep: Report, ctx: PageContext) -> str:
    """A mandate in the page's language (see :func:`siting.report_text.mandate_text`)."""
    return mandate_text(m, rep, ctx.lang, zone_name=ctx.zone, type_name=ctx.type_name,
                        pathway_name=lambda p: pathway_name(p, ctx))
