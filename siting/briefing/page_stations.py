"""Pages 3+ of the briefing: the station table, as many pages as it needs, with a totals row.

Rows are numbered as the stations are on the map and carry the type's symbol; names wrap (a
name longer than four lines is cut with "…" and the station's id); capex in 万元 (Chinese) or
million CNY (English); capacity with its unit; what each station serves is the final planning
year's (vehicles per day, energy per day, utilisation), the year named in the header;
coordinates in the run's output CRS. The method text follows on the last table page when there
is room (:func:`pages_stations` returns where the table ends).
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from siting._format import MISSING, as_float, money_column, number, percent
from siting.briefing.context import PageContext, new_page
from siting.briefing.tables import (
    PAGE_TOP,
    Named,
    Table,
    TableFlow,
    draw_row_symbols,
    flow_pages,
    named,
    zone_cell,
)
from siting.crs import WGS84, parse_crs, to_output_crs
from siting.run_folder import RunData

__all__ = ["ROWS_PER_PAGE", "pages_stations", "station_table"]

#: Station rows per table page, at most (fewer when names wrap).
ROWS_PER_PAGE: int = 24
_X, _WIDTH = 0.03, 0.94
_WIDTHS = [0.045, 0.15, 0.13, 0.11, 0.05, 0.06, 0.085, 0.07, 0.1, 0.07, 0.13]
_ALIGNS = ["right", "left", "left", "left", "right", "right", "right", "right", "right",
           "right", "right"]
_WRAP = [False, True, True, True, False, False, True, False, True, False, True]
_SYMBOL_PT = 9.0


def station_table(data: RunData, ctx: PageContext) -> Table:
    """The station table: one row per station and a totals row."""
    rep = ctx.report
    year = rep.final_year
    per_year = {(s.site_id, s.station_type): s for s in rep.station_years if s.year == year}
    coords, coord_head = _coordinates(data, ctx)
    rows: list[list[str | Named]] = []
    kwh = kg = veh = capex = 0.0
    for k, s in enumerate(data.stations.itertuples(index=False), start=1):
        sy = per_year.get((str(s.site_id), str(s.station_type)))
        unit = str(s.capacity_unit or "")
        if sy is not None:
            vehicles = sy.vehicles + sy.corridor_trucks
            if sy.capacity_kwh_per_day is not None:
                energy = number(sy.energy_kwh_per_day, unit=ctx.label("unit.kwh_day"))
                kwh += sy.energy_kwh_per_day
                if sy.capacity_h2_kg_per_day is not None:
                    energy += f" + {number(sy.h2_kg_per_day, unit=ctx.label('unit.kg_day'))}"
                    kg += sy.h2_kg_per_day
            else:
                energy = number(sy.h2_kg_per_day, unit=ctx.label("unit.kg_day"))
                kg += sy.h2_kg_per_day
            util = sy.utilisation if sy.utilisation is not None else sy.h2_utilisation
        else:
            vehicles = as_float(getattr(s, "served_vehicles", None)) or 0.0
            energy, util = MISSING, None
        veh += vehicles
        capex += 0.0 if s.existing else float(s.capex or 0.0)
        rows.append([
            str(k), named(ctx, ctx.fonts.safe(str(s.name), s.site_id), s.site_id),
            named(ctx, ctx.type_name(str(s.station_type)), s.station_type),
            zone_cell(ctx, str(s.zone)),
            ctx.label("brief.status_existing") if s.existing else _year(s.year),
            "",
            number(s.capacity, unit=ctx.unit(unit)), number(vehicles), energy,
            percent(util, 0), coords[k - 1]])
    total_energy = " + ".join(
        t for t in (number(kwh, unit=ctx.label("unit.kwh_day")) if kwh else "",
                    number(kg, unit=ctx.label("unit.kg_day")) if kg else "") if t)
    capex_col = money_column([*(0.0 if e else c for e, c in zip(
        data.stations["existing"], data.stations["capex"], strict=True)), capex], ctx.lang)
    for row, cell in zip(rows, capex_col, strict=False):
        row[5] = cell
    total = ["", ctx.label("brief.total", n=len(rows)), "", "", "", capex_col[-1], "",
             number(veh), total_energy or MISSING, "", ""]
    header = [ctx.label("brief.col_no"), ctx.label("field.name"), ctx.label("field.type"),
              ctx.label("field.zone"), ctx.label("brief.col_year"), ctx.label("brief.col_capex"),
              ctx.label("field.capacity"), ctx.label("brief.col_vehicles_day", year=year),
              ctx.label("brief.col_energy_day", year=year),
              ctx.label("brief.col_util", year=year), coord_head]
    return Table(header, rows, _WIDTHS, _ALIGNS, _WRAP, total if rows else None, fontsize=8)


def _coordinates(data: RunData, ctx: PageContext) -> tuple[list[str], str]:
    """Each station's coordinates in the output CRS, and the column's header."""
    st = data.stations
    out = ctx.report.output_crs or WGS84
    try:
        crs = parse_crs(out)
        pts = to_output_crs(st, crs).geometry if len(st) else st.geometry
    except Exception:  # an unreadable CRS in an edited report: WGS84
        crs, pts = WGS84, st.geometry
    projected = bool(len(st)) and pts.crs is not None and pts.crs.is_projected
    if projected:
        vals = [f"{p.x:.0f}, {p.y:.0f}" for p in pts]
        head = ctx.label("brief.col_xy", crs=crs)
    else:
        vals = [f"{p.x:.5f}, {p.y:.5f}" for p in pts]
        head = ctx.label("brief.col_lonlat", crs="WGS84" if crs == WGS84 else crs)
    return vals, head


def pages_stations(data: RunData, ctx: PageContext) -> tuple[list[Figure], float]:
    """The station table pages (:func:`~siting.briefing.tables.flow_pages`: at most
    :data:`ROWS_PER_PAGE` rows a page, the header repeated), and the height left free on the
    last one (the bottom edge of the table, a page fraction)."""
    table = station_table(data, ctx)
    heading = ctx.label("brief.page_stations")
    if not table.rows:
        fig = new_page(ctx, heading)
        fig.text(_X, PAGE_TOP, ctx.label("brief.no_stations"), fontsize=11, va="top")
        return [fig], PAGE_TOP - 0.05
    styles = [ctx.styles.get(str(t)) for t in data.stations["station_type"]]
    existing = [bool(e) for e in data.stations["existing"]]

    def symbols(fig: Figure, first: int, tops: list[float]) -> None:
        end = first + len(tops)
        draw_row_symbols(fig, _X + 0.009, tops, styles[first:end], existing[first:end],
                         table.fontsize, _SYMBOL_PT)

    flow = TableFlow(None, table, _WIDTH, on_rows=symbols)
    return flow_pages(ctx, heading, [flow], continued=False, limit=ROWS_PER_PAGE, x=_X)


def _year(value: Any) -> str:
    """An opening year for the table (:data:`~siting._format.MISSING` when not a year)."""
    f = as_float(value)
    return str(int(f)) if f is not None and f > 0 else MISSING

