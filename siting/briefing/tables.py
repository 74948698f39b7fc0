"""Tables on the briefing pages: rows of text on shared baselines, zebra-striped.

A table is laid out in figure coordinates (0..1 of the page) from a top edge downwards. Cells
are measured with the page fonts: a column marked to wrap breaks its text over lines (never
cut while there is room), others are cut with an ellipsis only when they do not fit. A row is
as tall as its tallest cell; :func:`layout_rows` gives the heights first, so a long table can
be split over pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from siting.briefing.context import PAGE_SIZE_IN, PageContext
from siting.briefing.text import fit_width, wrap_width

__all__ = ["MAX_CELL_LINES", "PAGE_BOTTOM", "Table", "draw_rows", "layout_rows", "line_height",
           "table_block"]

#: Cell padding, points.
_PAD_PT = 3.0
#: Lines a wrapped body cell may take; a longer text is cut with an ellipsis (a 500-character
#: name would otherwise push its table off the page).
MAX_CELL_LINES = 4
#: Lowest edge (page fraction) a table may reach: clear of the caveat and the page footer.
PAGE_BOTTOM = 0.07


@dataclass(frozen=True)
class Table:
    """A table: header, body rows, column widths (fractions of the table's width), alignments
    (``left``/``right``/``center``) and which columns wrap; ``total`` is a bold last row."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float]
    aligns: Sequence[str]
    wrap: Sequence[bool] = field(default_factory=tuple)
    total: Sequence[str] | None = None
    fontsize: float = 8.5
    max_lines: int = MAX_CELL_LINES


def _cells(table: Table, row: Sequence[str], width_fig: float, bold: bool, *,
           wrap_all: bool = False) -> list[list[str]]:
    """Each cell's lines: wrapped columns (every column of the header, which may also break
    after a slash) broken to fit, others cut only if too wide."""
    out = []
    width_pt = width_fig * PAGE_SIZE_IN[0] * 72.0
    wraps = list(table.wrap) + [False] * (len(row) - len(table.wrap))
    if wrap_all:
        wraps = [True] * len(row)
    for text, w, wrap in zip(row, table.widths, wraps, strict=False):
        room = max(4.0, w * width_pt - 2 * _PAD_PT)
        text = str(text)
        if wrap:
            out.append(wrap_width(text, room, table.fontsize, bold=bold, slash=wrap_all,
                                  max_lines=None if wrap_all else table.max_lines) or [""])
        else:
            out.append([fit_width(text, room, table.fontsize, bold=bold)])
    return out


def line_height(fontsize: float) -> float:
    """One text line of a table, as a fraction of the page height."""
    return fontsize * 1.35 / 72.0 / PAGE_SIZE_IN[1]


def layout_rows(table: Table, width_fig: float) -> list[tuple[list[list[str]], float]]:
    """(cell lines, row height as a page fraction) for the header, each row and the total."""
    lh = line_height(table.fontsize)
    rows: list[tuple[Sequence[str], bool]] = [(table.header, True)]
    rows += [(r, False) for r in table.rows]
    if table.total is not None:
        rows.append((table.total, True))
    out = []
    for k, (row, bold) in enumerate(rows):
        cells = _cells(table, row, width_fig, bold, wrap_all=k == 0)
        n = max(len(c) for c in cells) if cells else 1
        out.append((cells, n * lh + 0.6 * lh))
    return out


def draw_rows(fig: Figure, table: Table, laid: list[tuple[list[list[str]], float]],
              x: float, top: float, width: float, *, header: bool = True,
              total: bool = False, tops: list[float] | None = None) -> float:
    """Draw laid-out rows (``laid[0]`` the header when ``header``) from ``top`` down; return
    the bottom edge. ``total`` draws the last row bold above a rule; ``tops``, when given,
    receives each row's top edge."""
    fs = table.fontsize
    edges = [x]
    for w in table.widths:
        edges.append(edges[-1] + w * width)
    pad = _PAD_PT / 72.0 / PAGE_SIZE_IN[0]
    y = top
    body_index = 0
    for k, (cells, h) in enumerate(laid):
        if tops is not None:
            tops.append(y)
        is_header = header and k == 0
        is_total = total and k == len(laid) - 1
        if not is_header and not is_total:
            if body_index % 2 == 1:
                fig.add_artist(Rectangle((x, y - h), width, h, facecolor="#f1f3f6",
                                         edgecolor="none", transform=fig.transFigure, zorder=0))
            body_index += 1
        if is_total:
            fig.add_artist(Line2D([x, x + width], [y, y], color="#333333", linewidth=0.6,
                                  transform=fig.transFigure))
        lh = line_height(fs)
        for col, lines in enumerate(cells):
            align = table.aligns[col] if col < len(table.aligns) else "left"
            if align == "right":
                tx = edges[col + 1] - pad
            elif align == "center":
                tx = (edges[col] + edges[col + 1]) / 2
            else:
                tx = edges[col] + pad
            for i, line in enumerate(lines):
                fig.text(tx, y - 0.3 * lh - (i + 0.78) * lh, line, ha=align, va="baseline",
                         fontsize=fs, fontweight="bold" if (is_header or is_total) else "normal")
        y -= h
        if is_header:
            fig.add_artist(Line2D([x, x + width], [y, y], color="black", linewidth=0.8,
                                  transform=fig.transFigure))
    return y


def table_block(fig: Figure, ctx: PageContext, title: str, table: Table, x: float, top: float,
                width: float, *, max_rows: int | None = None,
                bottom: float = PAGE_BOTTOM) -> float:
    """A titled table at (``x``, ``top``) of ``width`` (page fractions); at most ``max_rows``
    body rows, and only the rows that end above ``bottom`` (the last row then says how many
    more there are; nothing is drawn when not even that fits). Returns the bottom edge."""
    rows = list(table.rows)
    y = top - 10.5 * 1.6 / 72.0 / PAGE_SIZE_IN[1]
    keep = len(rows) if max_rows is None or len(rows) <= max_rows else max_rows - 1
    keep = min(keep, _rows_that_fit(table, width, y - bottom))
    if keep < 0:
        return top
    if keep < len(rows):
        rows = [*rows[:keep], [ctx.label("brief.more_rows", n=len(rows) - keep)]
                + [""] * (len(table.header) - 1)]
    if not rows:
        rows = [[ctx.label("brief.no_data")] + [""] * (len(table.header) - 1)]
    t = Table(table.header, rows, table.widths, table.aligns, table.wrap, table.total,
              table.fontsize, table.max_lines)
    fig.text(x, top, title, fontsize=10.5, va="top", fontweight="bold")
    return draw_rows(fig, t, layout_rows(t, width), x, y, width, total=t.total is not None)


def _rows_that_fit(table: Table, width: float, room: float) -> int:
    """How many body rows of ``table`` fit in ``room`` (a page fraction) with its header, its
    total and, when not all fit, a one-line "n more" row; -1 when not even those fit."""
    laid = layout_rows(table, width)
    n = len(table.rows)
    fixed = laid[0][1] + (laid[-1][1] if table.total is not None else 0.0)
    heights = [h for _, h in laid[1:n + 1]]
    if fixed + sum(heights) <= room:
        return n
    more = 1.6 * line_height(table.fontsize)
    used, keep = fixed + more, 0
    if used > room:
        return -1
    while keep < n and used + heights[keep] <= room:
        used += heights[keep]
        keep += 1
    return keep
