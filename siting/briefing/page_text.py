"""The method, the solver outcome, the data sources and the caveats, flowed as text.

The text is built as (style, paragraph) blocks from the report (:func:`method_blocks`) and
flowed down A4 pages (:func:`pages_text`) — starting below the station table when the last
table page has room — wrapping Chinese and Latin text by measured width. The data sources are
said once: the network's provenance, the scenario's description and its sources file.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from siting._format import money, number
from siting.briefing.context import (
    CAVEAT_RED,
    PAGE_SIZE_IN,
    PageContext,
    new_page,
    pathway_name,
    solver_name,
)
from siting.briefing.text import wrap_width
from siting.report_text import notes, solver_text
from siting.run_folder import RunData

__all__ = ["method_blocks", "pages_text"]

#: Font size (points) of each block style: heading, paragraph, red caveat.
_SIZE = {"h": 12.0, "p": 9.5, "red": 10.0}
_TOP, _BOTTOM = 0.88, 0.07


def method_blocks(data: RunData, ctx: PageContext) -> list[tuple[str, str]]:
    """(style, text) blocks of the method text: style in {"h", "p", "red"}. Call after the
    table pages are drawn: when a name was cut in a table, a caveat says where it is whole."""
    rep = data.report
    inputs = rep.inputs
    blocks = [("h", ctx.label("brief.method_title")), ("p", _method(data, ctx)),
              ("p", ctx.label("brief.per_year_note")),
              ("h", ctx.label("brief.solver_title")),
              ("p", ctx.fonts.safe(solver_text(rep, ctx.lang, label=False))),  # under its title
              ("p", ctx.label(
                  "brief.inputs_line", demand=number(inputs.demand_points),
                  fleet=number(inputs.fleet_points), cand=number(inputs.candidates),
                  existing=number(inputs.existing_stations), options=number(inputs.options)))]
    blocks.append(("h", ctx.label("brief.provenance_title")))
    p = rep.provenance
    if p.network:
        blocks.append(("p", ctx.label("brief.network_line", source=ctx.fonts.safe(p.network))))
    elif rep.network.source:
        blocks.append(("p", ctx.label("brief.network_line",
                                      source=ctx.fonts.safe(rep.network.source))))
    if p.description:
        blocks.append(("p", ctx.fonts.safe(p.description)))
    if p.sources_file:
        blocks.append(("p", ctx.label("map.sources_file", file=p.sources_file)))
    if not (p.network or p.description or p.sources_file) and rep.data_provenance:
        blocks.append(("p", ctx.fonts.safe(rep.data_provenance)))
    blocks.append(("h", ctx.label("brief.caveat_title")))
    for note in notes(rep):
        blocks.append(("red", ctx.fonts.safe(note)))
    if rep.network.schematic:
        blocks.append(("red", ctx.label("brief.schematic_caveat")))
    if ctx.cut_tables:
        blocks.append(("p", ctx.label("brief.names_cut")))
    blocks.append(("p", ctx.label("brief.general_caveat")))
    return blocks


def _method(data: RunData, ctx: PageContext) -> str:
    """The method paragraph: model, budget, coverage rule, network size (and its posted speed
    limits), capacity, zones."""
    rep = data.report
    solver = rep.solver
    reqs = _zone_requirements(data, ctx)
    sep = ctx.label("rule.sep")
    capacity = ctx.label("brief.method_capacitated" if solver.capacitated
                         else "brief.method_uncapacitated")
    if solver.capacitated and solver.max_alloc_options:
        capacity += ctx.label("brief.method_nearest", n=int(solver.max_alloc_options))
    return ctx.label(
        "brief.method", budget=money(rep.budget, ctx.lang), unit=ctx.weight_unit,
        nodes=number(rep.inputs.network_nodes), edges=number(rep.inputs.network_edges),
        limits=(ctx.label("brief.method_limits", n=number(rep.network.posted_limits))
                if rep.network.posted_limits else ""),
        capacity=capacity,
        zones=ctx.label("brief.method_zones", items=sep.join(reqs)) if reqs else "",
        variables=number(solver.variables), constraints=number(solver.constraints),
        solver=solver_name(solver.name))


def _zone_requirements(data: RunData, ctx: PageContext) -> list[str]:
    """One phrase per zone requirement of the scenario ("at least 1 ... in ... by 2027")."""
    rep = data.report
    unknown = ctx.label("brief.unknown")
    reqs = []
    for r in rep.zone_requirements:
        zone = ctx.zone(str(r.get("zone", "")))
        years = rep.scenario.years
        year = r.get("by_year") or (years[-1] if years else unknown)
        if r.get("pathway"):
            reqs.append(ctx.label("brief.zone_req_pathway", zone=zone, min=r.get("min", 1),
                                  pathway=pathway_name(str(r["pathway"]), ctx), year=year))
        else:
            tid = str(r.get("station_type", ""))
            reqs.append(ctx.label("brief.zone_req_type", zone=zone, min=r.get("min", 1),
                                  type=ctx.type_name(tid), year=year))
    return reqs


def pages_text(blocks: list[tuple[str, str]], ctx: PageContext, *,
               start: tuple[Figure, float] | None = None) -> list[Figure]:
    """Flow text blocks down A4 pages, starting a new page when one is full.

    ``start`` = (page, top edge): begin on that page below the given height when at least a
    heading and two lines fit there; the returned list holds only the new pages.
    """
    figs: list[Figure] = []
    width_pt = 0.94 * PAGE_SIZE_IN[0] * 72

    def page() -> Figure:
        cont = bool(figs) or start is not None
        heading = ctx.label("brief.page_method") + (ctx.label("brief.continued") if cont
                                                    else "")
        f = new_page(ctx, heading)
        figs.append(f)
        return f

    fig: Figure | None = None
    y = _TOP
    if start is not None:
        first_h = _SIZE["h"] * 1.45 / 72 / PAGE_SIZE_IN[1]
        first_p = 3 * _SIZE["p"] * 1.45 / 72 / PAGE_SIZE_IN[1]
        if start[1] - 0.05 - first_h - first_p > _BOTTOM:
            fig, y = start[0], start[1] - 0.04
    for style, text in blocks:
        fs = _SIZE[style]
        lines = wrap_width(text, width_pt, fs, bold=style in ("h", "red"))
        line_h = fs * 1.45 / 72 / PAGE_SIZE_IN[1]
        gap = (0.7 if style == "h" else 0.25) * line_h
        if fig is None:
            fig = page()
        elif y - gap - line_h * min(len(lines), 2) < _BOTTOM:
            fig, y = page(), _TOP
        y -= gap
        for line in lines:
            if y - line_h < _BOTTOM:
                fig, y = page(), _TOP
            fig.text(0.03, y, line, fontsize=fs, va="top",
                     fontweight="bold" if style in ("h", "red") else "normal",
                     color=CAVEAT_RED if style == "red" else "black")
            y -= line_h
    return figs
