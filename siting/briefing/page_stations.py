"""Pages 3+ of the briefing: the station table, as many pages as it needs.

Rows are numbered as the stations are on the map; capex in 万元 (Chinese) or million CNY
(English), capacity with its unit, served demand in the scenario's weight unit.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from siting._format import MISSING, as_float, money, number
from siting.briefing.context import PAGE_SIZE_IN, PageContext, new_page
from siting.briefing.tables import draw_table
from siting.run_folder import RunData

__all__ = ["ROWS_PER_PAGE", "pages_stations"]

#: Station rows per table page.
ROWS_PER_PAGE: int = 24
_WIDTHS = [0.05, 0.25, 0.15, 0.16, 0.08, 0.10, 0.11, 0.10]
_ALIGNS = ["right", "left", "left", "left", "right", "right", "right", "right"]


def pages_stations(data: RunData, ctx: PageContext) -> list[Figure]:
    """The station table pages (one page saying so when no station was chosen)."""
    header = [ctx.label("brief.col_no"), ctx.label("field.name"), ctx.label("field.type"),
              ctx.label("field.zone"), ctx.label("brief.col_year"), ctx.label("brief.col_capex"),
              ctx.label("field.capacity"), ctx.label("brief.col_served", unit=ctx.weight_unit)]
    rows = [_station_row(k, s, ctx)
            for k, s in enumerate(data.stations.itertuples(index=False), start=1)]
    chunks = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    figs = []
    for n, chunk in enumerate(chunks):
        heading = ctx.label("brief.page_stations") + (ctx.label("brief.continued") if n else "")
        fig = new_page(ctx, heading)
        ax = fig.add_axes((0.03, 0.07, 0.94, 0.82))
        ax.set_axis_off()
        if chunk:
            draw_table(ax, header, chunk, _WIDTHS, _ALIGNS, fontsize=8.5,
                       row_h=1.0 / (ROWS_PER_PAGE + 1), width_in=0.94 * PAGE_SIZE_IN[0])
        else:
            ax.text(0.0, 0.95, ctx.label("brief.no_stations"), fontsize=11, va="top")
        figs.append(fig)
    return figs


def _station_row(k: int, s: Any, ctx: PageContext) -> list[str]:
    """The table cells of station number ``k`` (a row of the stations frame)."""
    style = ctx.styles.get(s.station_type)
    cap_unit = ctx.fonts.safe(str(s.capacity_unit or ""), "")
    return [
        str(k), ctx.fonts.safe(str(s.name), s.site_id),
        style.label if style else ctx.fonts.safe(s.station_type, "?"),
        ctx.zone(str(s.zone)),
        ctx.label("brief.status_existing") if s.existing else _year(s.year),
        money(s.capex, ctx.lang, unit=False),
        number(s.capacity, unit=cap_unit), number(s.served_demand, 1),
    ]


def _year(value: Any) -> str:
    """An opening year for the table (:data:`~siting._format.MISSING` when not a year)."""
    f = as_float(value)
    return str(int(f)) if f is not None and f > 0 else MISSING
