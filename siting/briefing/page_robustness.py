"""The robustness page (``siting robust``): how often each station is chosen under sampled
fleets, the no-regret stations and the plan's regret."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from siting._format import number, percent
from siting.briefing.context import PAGE_SIZE_IN, PageContext, new_page
from siting.briefing.tables import Named, Table, TableFlow, flow_pages, named, table_block
from siting.briefing.text import fit_width, wrap, wrap_width
from siting.report import RobustStation
from siting.run_folder import RunData

__all__ = ["page_robustness"]

#: Top edge of the note at the foot of the page; the table ends above it.
_NOTE_TOP = 0.075
#: Room (page fraction) and font size (pt) of the chart's bar labels.
_LABEL_ROOM, _LABEL_PT = 0.095, 7.5


def page_robustness(data: RunData, ctx: PageContext) -> list[Figure]:
    """The page, then the pages continuing its table when it did not fit on it; none when the
    run is not a robustness study's plan."""
    rob = data.report.robustness
    if rob is None:
        return []
    heading = ctx.label("brief.page_robustness")
    fig = new_page(ctx, heading)
    year = data.report.headline.year
    summary = ctx.label(
        "brief.robust_summary", n=rob.samples, seed=rob.seed, year=year,
        own=percent(rob.own_share_mean), base=percent(rob.base_share_mean),
        mean=number(100 * rob.regret_mean, 1), p90=number(100 * rob.regret_p90, 1),
        max=number(100 * rob.regret_max, 1), stopped=rob.samples_not_proven)
    fig.text(0.03, 0.885, "\n".join(wrap(summary, 150)), fontsize=9.5, va="top",
             linespacing=1.35)
    stations = rob.stations
    _share_chart(fig, stations, rob.no_regret_share, ctx)
    # ids and names wrap (a long id is never cut); a name too long for its lines ends with
    # its id, as in every briefing table
    rows: list[list[str | Named]] = [
        [ctx.fonts.safe(s.site_id), named(ctx, ctx.fonts.safe(s.name, s.site_id), s.site_id),
         _type_label(s.station_type, ctx), percent(s.chosen_share),
         ctx.label("word.yes") if s.in_base_plan else ctx.label("word.no"),
         ctx.label("word.yes") if s.no_regret else ""]
        for s in stations]
    header = [ctx.label("field.site_id"), ctx.label("brief.col_name"), ctx.label("field.type"),
              ctx.label("brief.col_chosen"), ctx.label("brief.col_in_plan"),
              ctx.label("brief.col_no_regret")]
    rest: list[TableFlow] = []
    table_block(fig, ctx, ctx.label("brief.robust_table"),
                Table(header, rows, [0.11, 0.29, 0.25, 0.12, 0.1, 0.13],
                      ["left", "left", "left", "right", "left", "left"],
                      wrap=[True, True, True, False, False, False]),
                0.5, 0.76, 0.47, max_rows=18, bottom=_NOTE_TOP + 0.008, rest=rest)
    fig.text(0.03, _NOTE_TOP, "\n".join(wrap(ctx.label("brief.robust_note"), 205)),
             fontsize=7, color="#555555", va="top", linespacing=1.3)
    return [fig, *flow_pages(ctx, heading, rest)[0]]


def _type_label(type_id: str, ctx: PageContext) -> str:
    return ctx.styles[type_id].label if type_id in ctx.styles else type_id


def _chart_label(site_id: str, type_name: str) -> str:
    """A bar's label: the site's id whole (the table beside the chart and summary.csv are
    looked up by it) and its type, cut to the label's room; an id too long for the room alone
    takes two lines."""
    room = _LABEL_ROOM * PAGE_SIZE_IN[0] * 72
    text = " ".join(f"{site_id} {type_name}".split())
    if fit_width(text, room, _LABEL_PT) == text or fit_width(site_id + " …", room,
                                                            _LABEL_PT) == site_id + " …":
        return fit_width(text, room, _LABEL_PT)
    return "\n".join(wrap_width(site_id, room, _LABEL_PT, max_lines=2))


def _share_chart(fig: Figure, stations: list[RobustStation], no_regret: float,
                 ctx: PageContext) -> None:
    """Share of samples choosing each station (the 16 most chosen), no-regret line."""
    ax = fig.add_axes((0.13, 0.14, 0.32, 0.62))
    ax.set_title(ctx.label("brief.robust_chart"), fontsize=10.5, loc="left")
    top = stations[:16]
    ax.set_xlim(0, 100)
    if not top:
        ax.set_yticks([])
        ax.text(50, 0.5, ctx.label("brief.no_data"), ha="center", va="center", color="#777777")
        return
    ypos = np.arange(len(top))[::-1]
    vals = [100.0 * s.chosen_share for s in top]
    colors = [ctx.styles[s.station_type].color if s.station_type in ctx.styles
              else "#777777" for s in top]
    ax.barh(ypos, vals, color=colors, height=0.6,
            edgecolor=["black" if s.in_base_plan else "none" for s in top])
    labels = [_chart_label(ctx.fonts.safe(s.site_id, "?"), _type_label(s.station_type, ctx))
              for s in top]
    ax.set_yticks(ypos, labels, fontsize=_LABEL_PT)
    ax.axvline(100 * no_regret, color="#d1242f", linewidth=1.2, linestyle="--")
    ax.text(100 * no_regret, len(top) - 0.4, ctx.label("brief.no_regret_line",
                                                         share=percent(no_regret)),
            fontsize=7.5, color="#d1242f", ha="right", va="bottom")
    ax.set_xlabel(ctx.label("brief.col_chosen"), fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
