"""Tables on the briefing pages: rows of text on shared baselines, zebra-striped.

A table is laid out in figure coordinates (0..1 of the page) from a top edge downwards. Cells
are measured with the page fonts: a column marked to wrap breaks its text over lines (never
cut while there is room; a :class:`Named` cell cut at :data:`MAX_CELL_LINES` ends with its id),
others are cut with an ellipsis only when they do not fit. A row is as tall as its tallest
cell; :func:`layout_rows` gives the heights first, so a long table can be split over pages.

No row is left out: a :class:`TableFlow` is drawn a page's worth at a time, and the rows that
do not fit their place on a page (:func:`table_block`) continue on the pages after it, under
the table's title marked "(continued)" and its header repeated (:func:`flow_pages`, which also
draws the station table's pages).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from siting.briefing.context import PAGE_SIZE_IN, PageContext, draw_symbol, new_page
from siting.briefing.text import fit_width, wrap_width
from siting.symbology import TypeSymbol

__all__ = ["MAX_CELL_LINES", "PAGE_BOTTOM", "PAGE_TOP", "Named", "Table", "TableFlow",
           "draw_row_symbols", "draw_rows", "flow_pages", "layout_rows", "line_height", "named",
           "table_block", "zone_cell"]

#: Cell padding, points.
_PAD_PT = 3.0
#: Lines a wrapped body cell may take; a longer text is cut with an ellipsis (a 500-character
#: name would otherwise push its table off the page).
MAX_CELL_LINES = 4
#: Lowest edge (page fraction) a table may reach: clear of the caveat and the page footer.
PAGE_BOTTOM = 0.07
#: Top edge (page fraction) of the first table on a page of its own, under the title block.
PAGE_TOP = 0.885
#: Height of a table's title, page fraction.
_TITLE_H = 10.5 * 1.6 / 72.0 / PAGE_SIZE_IN[1]


@dataclass(frozen=True)
class Named:
    """A cell holding a name from the user's data: cut for being too long, it ends with
    ``ref`` (its id) in brackets, so the full name can be found in the run's data files."""

    text: str
    ref: str

    def __str__(self) -> str:
        return self.text


def named(ctx: PageContext, text: str, ref: object) -> Named:
    """A :class:`Named` cell: ``text`` (already drawable) and its id ``ref``, made drawable."""
    return Named(text, ctx.fonts.safe(str(ref), "?"))


def zone_cell(ctx: PageContext, zone_id: str) -> str | Named:
    """A zone's name, with its id for when the name is cut (a zone without a name, or outside
    the zones, is shown by its id or label alone)."""
    name = ctx.zone(zone_id)
    return named(ctx, name, zone_id) if zone_id in ctx.zone_names else name


@dataclass(frozen=True)
class Table:
    """A table: header, body rows, column widths (fractions of the table's width), alignments
    (``left``/``right``/``center``) and which columns wrap; ``total`` is a bold last row."""

    header: Sequence[str]
    rows: Sequence[Sequence[str | Named]]
    widths: Sequence[float]
    aligns: Sequence[str]
    wrap: Sequence[bool] = field(default_factory=tuple)
    total: Sequence[str] | None = None
    fontsize: float = 8.5
    max_lines: int = MAX_CELL_LINES


def _cells(table: Table, row: Sequence[str | Named], width_fig: float, bold: bool, *,
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
        ref = text.ref if isinstance(text, Named) else ""
        if wrap:
            out.append(wrap_width(str(text), room, table.fontsize, bold=bold, slash=wrap_all,
                                  max_lines=None if wrap_all else table.max_lines,
                                  ref=ref) or [""])
        else:
            out.append([fit_width(str(text), room, table.fontsize, bold=bold)])
    return out


def line_height(fontsize: float) -> float:
    """One text line of a table, as a fraction of the page height."""
    return fontsize * 1.35 / 72.0 / PAGE_SIZE_IN[1]


def layout_rows(table: Table, width_fig: float) -> list[tuple[list[list[str]], float]]:
    """(cell lines, row height as a page fraction) for the header, each row and the total."""
    lh = line_height(table.fontsize)
    rows: list[tuple[Sequence[str | Named], bool]] = [(table.header, True)]
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


def draw_row_symbols(fig: Figure, x: float, tops: Sequence[float],
                     styles: Sequence[TypeSymbol | None], existing: Sequence[bool],
                     fontsize: float, size: float) -> None:
    """A station type's symbol at ``x`` (page fraction) on the first line of each row whose
    top edge is in ``tops`` (rows of a table at ``fontsize``), hollow when ``existing``."""
    ax = fig.add_axes((0, 0, 1, 1), facecolor="none")
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    lh = line_height(fontsize)
    for top, sym, old in zip(tops, styles, existing, strict=False):
        if sym is not None:
            draw_symbol(ax, x, top - 0.3 * lh - 0.45 * lh, sym, existing=old, size=size)


@dataclass
class TableFlow:
    """A table drawn over one page or more: its ``title`` (None: the page heading names it),
    its rows laid out at ``width`` (a page fraction) and how many body rows are ``drawn``.
    ``on_rows(fig, first, tops)`` is called with the index and top edges of the body rows
    drawn on each page (the station table draws its symbols)."""

    title: str | None
    table: Table
    width: float
    on_rows: Callable[[Figure, int, list[float]], None] | None = None
    drawn: int = 0
    #: Whether the title was drawn already (it then says "continued").
    titled: bool = False
    laid: list[tuple[list[list[str]], float]] = field(init=False, repr=False)
    #: Whether a :class:`Named` cell was cut (a name too long for its lines).
    cut: bool = field(init=False)

    def __post_init__(self) -> None:
        self.laid = layout_rows(self.table, self.width)
        self.cut = any(isinstance(text, Named) and _was_cut(text.text, lines)
                       for row, (cells, _) in zip(self.table.rows, self.laid[1:], strict=False)
                       for text, lines in zip(row, cells, strict=False))

    @property
    def left(self) -> int:
        """Body rows not drawn yet."""
        return len(self.table.rows) - self.drawn


def _was_cut(text: str, lines: Sequence[str]) -> bool:
    """Whether ``lines`` lost (or gained: the id) characters of ``text``; wrapping only moves
    them."""
    return "".join(text.split()) != "".join("".join(lines).split())


def _more_height(table: Table) -> float:
    """Height of the line under a table that says how many rows follow."""
    return 1.6 * line_height(table.fontsize)


def _take(flow: TableFlow, room: float, limit: int | None, *, fresh: bool = False) -> int:
    """How many of the rows left of ``flow`` go in ``room`` (a page fraction, from its title
    down) at most ``limit``: all with the total row when they fit, else as many as fit above a
    line saying how many follow, one at least when the page is ``fresh`` (its own page: a row
    is at most :data:`MAX_CELL_LINES` lines, so one always fits)."""
    table = flow.table
    n_body = len(table.rows)
    room -= (_TITLE_H if flow.title else 0.0) + flow.laid[0][1]
    heights = [h for _, h in flow.laid[1 + flow.drawn:1 + n_body]]
    total = flow.laid[-1][1] if table.total is not None else 0.0
    n = len(heights)
    if (limit is None or n <= limit) and sum(heights) + total <= room:
        return n
    used, keep = _more_height(table), 0
    cap = min(n - 1, n if limit is None else limit)  # the total goes with the last row
    while keep < cap and used + heights[keep] <= room:
        used += heights[keep]
        keep += 1
    return max(keep, 1) if fresh else keep


def _draw_part(fig: Figure, ctx: PageContext, flow: TableFlow, x: float, top: float,
               n: int) -> float:
    """Draw the next ``n`` rows of ``flow`` from ``top``: the title (continued after its first
    part), the header, the rows, the total after the last row, else a line saying how many
    rows follow. Returns the bottom edge."""
    table = flow.table
    first = flow.drawn
    flow.drawn += n
    last = flow.left == 0
    y = top
    if flow.title:
        title = flow.title + (ctx.label("brief.continued") if flow.titled else "")
        fig.text(x, top, title, fontsize=10.5, va="top", fontweight="bold")
        flow.titled = True
        y -= _TITLE_H
    total = last and table.total is not None
    rows = [flow.laid[0], *flow.laid[1 + first:1 + flow.drawn]]
    tops: list[float] = []
    y = draw_rows(fig, table, rows + ([flow.laid[-1]] if total else []), x, y, flow.width,
                  total=total, tops=tops)
    if flow.on_rows is not None:
        flow.on_rows(fig, first, tops[1:1 + n])
    if flow.cut:
        ctx.cut_tables.add(flow.title or "")
    if not last:
        y = _more_line(fig, ctx.label("brief.more_rows", n=flow.left), flow, x, y)
    return y


def _more_line(fig: Figure, text: str, flow: TableFlow, x: float, top: float) -> float:
    """The line under a table's part saying how many rows follow; returns its bottom edge."""
    lh = line_height(flow.table.fontsize)
    fig.text(x + _PAD_PT / 72.0 / PAGE_SIZE_IN[0], top - 0.3 * lh, text,
             fontsize=flow.table.fontsize, va="top", color="#555555")
    return top - _more_height(flow.table)


def table_block(fig: Figure, ctx: PageContext, title: str, table: Table, x: float, top: float,
                width: float, *, rest: list[TableFlow], max_rows: int | None = None,
                bottom: float = PAGE_BOTTOM) -> float:
    """A titled table at (``x``, ``top``) of ``width`` (page fractions): at most ``max_rows``
    body rows, and only the rows that end above ``bottom``. The rows left — all of them, and
    nothing drawn, when not one fits — are added to ``rest`` for :func:`flow_pages` to draw on
    the pages after this one, and the table's last line says how many follow. Returns the
    bottom edge (``top`` when nothing was drawn)."""
    if not table.rows:
        table = replace(table, rows=[[ctx.label("brief.no_data")] + [""] * (
            len(table.header) - 1)])
    flow = TableFlow(title, table, width)
    n = _take(flow, top - bottom, max_rows)
    if n:
        y = _draw_part(fig, ctx, flow, x, top, n)
    elif top - _TITLE_H - _more_height(table) >= bottom:  # the title, and where the rows are
        fig.text(x, top, title, fontsize=10.5, va="top", fontweight="bold")
        y = _more_line(fig, ctx.label("brief.rows_follow", n=flow.left), flow, x, top - _TITLE_H)
        flow.titled = True
    else:
        y = top
    if flow.left:
        rest.append(flow)
    return y


def flow_pages(ctx: PageContext, heading: str, flows: Sequence[TableFlow], *,
               continued: bool = True, limit: int | None = None, x: float = 0.03,
               gap: float = 0.03) -> tuple[list[Figure], float]:
    """New pages holding the rows left of ``flows``, one table under the other, each page's
    part with its title and header: pages headed ``heading``, marked continued (from the second
    page on when not ``continued``); at most ``limit`` rows of a table a page. Returns the pages
    and the bottom edge of the last table (:data:`PAGE_TOP` when there was nothing to draw)."""
    pages: list[Figure] = []
    top = PAGE_TOP
    for flow in flows:
        while flow.left:
            n = _take(flow, top - PAGE_BOTTOM, limit) if pages else 0
            if n == 0:
                mark = ctx.label("brief.continued") if continued or pages else ""
                pages.append(new_page(ctx, heading + mark))
                top = PAGE_TOP
                n = _take(flow, top - PAGE_BOTTOM, limit, fresh=True)
            top = _draw_part(pages[-1], ctx, flow, x, top, n) - gap
    return pages, top + gap if pages else PAGE_TOP
