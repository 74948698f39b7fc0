"""Tables on the briefing pages: text rows on a shared baseline, zebra-striped."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from siting.briefing.context import PAGE_SIZE_IN, PageContext
from siting.briefing.text import fit

__all__ = ["draw_table", "table_axes"]


def table_axes(fig: Figure, rect: tuple[float, float, float, float], title: str,
               header: list[str], rows: list[list[str]], widths: list[float],
               aligns: list[str], ctx: PageContext, *, max_rows: int = 10) -> None:
    """A titled table in its own axes at ``rect`` (figure fractions), at most ``max_rows``
    rows (the last says how many more there are); ``widths`` are fractions of the width."""
    ax = fig.add_axes(rect)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10.5, loc="left")
    if len(rows) > max_rows:
        extra = len(rows) - (max_rows - 1)
        rows = [*rows[: max_rows - 1], [ctx.label("brief.more_rows", n=extra)] + [""] * (
            len(header) - 1)]
    if not rows:
        rows = [[ctx.label("brief.no_data")] + [""] * (len(header) - 1)]
    draw_table(ax, header, rows, widths, aligns, fontsize=8.5, row_h=1.0 / (max_rows + 1),
                width_in=rect[2] * PAGE_SIZE_IN[0])


def draw_table(ax: Any, header: list[str], rows: list[list[str]], widths: list[float],
                aligns: list[str], *, fontsize: float, row_h: float, width_in: float) -> None:
    """Rows of text in axes coordinates (0..1), header on top, zebra shading.

    Cells share a baseline per row (``va="baseline"``), so digits, commas and Chinese line up.
    """
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    pad = 0.006
    # characters that fit a column: width in points / (fontsize/2 per half-width cell)
    cells = [max(4, int(w * width_in * 72 / (fontsize * 0.55)) - 1) for w in widths]
    xs = [edges[k] + pad if al == "left" else edges[k + 1] - pad for k, al in enumerate(aligns)]
    # baseline a third of a row below the row's middle: cap height ~0.7 em sits centred
    drop = 0.35 * fontsize / (72 * ax.get_position().height * ax.figure.get_size_inches()[1])

    def put(y_mid: float, values: list[str], **kw: Any) -> None:
        for x, v, al, n in zip(xs, values, aligns, cells):
            ax.text(x, y_mid - drop, fit(str(v), n), ha=al, va="baseline", fontsize=fontsize,
                    transform=ax.transAxes, clip_on=False, **kw)

    put(1.0 - row_h / 2, header, fontweight="bold")
    ax.add_line(Line2D([0, 1], [1.0 - row_h, 1.0 - row_h], color="black", linewidth=0.8,
                       transform=ax.transAxes))
    stripes = [Rectangle((0, 1.0 - (i + 2) * row_h), 1, row_h)
               for i in range(1, len(rows), 2)]
    if stripes:
        ax.add_collection(PatchCollection(stripes, facecolor="#f1f3f6", edgecolor="none",
                                          transform=ax.transAxes, zorder=0))
    for i, row in enumerate(rows):
        put(1.0 - (i + 1.5) * row_h, row)
