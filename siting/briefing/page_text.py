"""The last page(s) of the briefing: method, solver outcome, data sources and caveats.

The text is built as (style, paragraph) blocks from the report (:func:`method_blocks`) and
flowed down A4 pages (:func:`pages_text`), wrapping Chinese and Latin text by display width.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from siting._format import money, number, percent
from siting.briefing.context import (
    CAVEAT_RED,
    PAGE_SIZE_IN,
    PageContext,
    new_page,
    pathway_name,
    solver_name,
    status_text,
)
from siting.briefing.text import wrap
from siting.run_folder import RunData

__all__ = ["method_blocks", "pages_text"]

#: Font size (points) of each block style: heading, paragraph, red caveat.
_SIZE = {"h": 12.5, "p": 10.0, "red": 10.5}


def method_blocks(data: RunData, ctx: PageContext) -> list[tuple[str, str]]:
    """(style, text) blocks of the method page: style in {"h", "p", "red"}."""
    rep = data.report
    inputs = rep.get("inputs") or {}
    net = rep.get("network") or {}
    blocks = [("h", ctx.label("brief.method_title")), ("p", _method(rep, ctx)),
              ("h", ctx.label("brief.solver_title")), ("p", _solver_line(rep, ctx))]
    if inputs:
        blocks.append(("p", ctx.label(
            "brief.inputs_line", demand=number(inputs.get("demand_points")),
            fleet=number(inputs.get("fleet_points")), cand=number(inputs.get("candidates")),
            existing=number(inputs.get("existing_stations")),
            options=number(inputs.get("options")))))
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


def _method(rep: dict[str, Any], ctx: PageContext) -> str:
    """The method paragraph: model, budget, coverage rule, network size, capacity, zones."""
    solver = rep.get("solver") or {}
    inputs = rep.get("inputs") or {}
    unknown = ctx.label("brief.unknown")
    reqs = _zone_requirements(rep, ctx)
    sep = "；" if ctx.lang == "zh" else "; "
    capacitated = solver.get("capacitated", True)
    capacity = ctx.label("brief.method_capacitated" if capacitated
                         else "brief.method_uncapacitated")
    if capacitated and solver.get("max_alloc_options"):
        capacity += ctx.label("brief.method_nearest", n=int(solver["max_alloc_options"]))
    return ctx.label(
        "brief.method", budget=money(rep.get("budget"), ctx.lang), unit=ctx.weight_unit,
        nodes=number(inputs.get("network_nodes")) if "network_nodes" in inputs else unknown,
        edges=number(inputs.get("network_edges")) if "network_edges" in inputs else unknown,
        capacity=capacity,
        zones=ctx.label("brief.method_zones", items=sep.join(reqs)) if reqs else "",
        variables=number(solver.get("variables")) if "variables" in solver else unknown,
        constraints=number(solver.get("constraints")) if "constraints" in solver else unknown,
        solver=solver_name(solver.get("name")))


def _zone_requirements(rep: dict[str, Any], ctx: PageContext) -> list[str]:
    """One phrase per zone requirement of the scenario ("at least 1 ... in ... by 2027")."""
    unknown = ctx.label("brief.unknown")
    reqs = []
    for r in rep.get("zone_requirements") or []:
        zone = ctx.zone(str(r.get("zone", "")))
        year = r.get("by_year") or (rep.get("scenario") or {}).get("years", [unknown])[-1]
        if r.get("pathway"):
            reqs.append(ctx.label("brief.zone_req_pathway", zone=zone, min=r.get("min", 1),
                                  pathway=pathway_name(str(r["pathway"]), ctx), year=year))
        else:
            tid = str(r.get("station_type", ""))
            name = ctx.styles[tid].label if tid in ctx.styles else ctx.fonts.safe(tid, "?")
            reqs.append(ctx.label("brief.zone_req_type", zone=zone, min=r.get("min", 1),
                                  type=name, year=year))
    return reqs


def _solver_line(rep: dict[str, Any], ctx: PageContext) -> str:
    """Solver, status, gap, objective, bound and seconds in one sentence."""
    solver = rep.get("solver") or {}
    return ctx.label(
        "brief.solver_line", name=solver_name(solver.get("name")),
        status=status_text(solver.get("status", ctx.label("brief.unknown")), ctx),
        gap=percent(solver.get("gap"), 2), objective=number(rep.get("objective"), 2),
        bound=number(solver.get("bound"), 2), seconds=number(solver.get("seconds"), 1))


def pages_text(blocks: list[tuple[str, str]], ctx: PageContext) -> list[Figure]:
    """Flow text blocks down A4 pages, starting a new page when one is full."""
    top, bottom = 0.88, 0.07
    figs: list[Figure] = []
    fig: Figure | None = None
    y = top

    def page() -> Figure:
        heading = ctx.label("brief.page_method") + (ctx.label("brief.continued") if figs else "")
        f = new_page(ctx, heading)
        figs.append(f)
        return f

    for style, text in blocks:
        fs = _SIZE[style]
        # 0.94 of the page width in points / (half a font size per half-width cell)
        cells = int(0.94 * PAGE_SIZE_IN[0] * 72 / (fs * 0.52))
        lines = wrap(text, cells)
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
                     color=CAVEAT_RED if style == "red" else "black")
            y -= line_h
    return figs
