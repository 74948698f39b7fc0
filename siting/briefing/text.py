"""Text layout for the pages: display width, measured width, cutting and wrapping.

Widths are measured with the page fonts (:func:`text_width_pt`), so a cell is cut or wrapped
only when its text does not fit; :func:`display_width` (CJK characters count as two cells) is
the quick estimate for running text.
"""

from __future__ import annotations

import functools
import textwrap
import unicodedata

from matplotlib import rcParams
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

__all__ = ["WIDTH_MARGIN", "display_width", "fit", "fit_ref", "fit_width", "text_width_pt",
           "wrap", "wrap_width"]

_T2P = TextToPath()
#: Share of a measured width kept free: raster pages (PNG) draw hinted glyphs a little wider
#: than the outlines measure.
WIDTH_MARGIN = 0.04


def display_width(text: str) -> int:
    """Display width of ``text`` in half-width cells (CJK characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@functools.lru_cache(maxsize=20_000)
def _width(text: str, size: float, bold: bool, family: tuple[str, ...]) -> float:
    prop = FontProperties(family=list(family), size=size, weight="bold" if bold else "normal")
    w, _, _ = _T2P.get_text_width_height_descent(text, prop, ismath=False)
    return float(w)


def text_width_pt(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` in points at font ``size`` with the current ``font.family``."""
    if not text:
        return 0.0
    return _width(text, float(size), bold, tuple(rcParams["font.family"]))


def fit(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` display cells with an ellipsis."""
    if display_width(text) <= cells:
        return text
    out, used = [], 0
    for c in text:
        w = display_width(c)
        if used + w > cells - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def fit_width(text: str, width_pt: float, size: float, *, bold: bool = False) -> str:
    """``text`` cut with an ellipsis only if it is wider than ``width_pt`` at ``size``."""
    width_pt *= 1.0 - WIDTH_MARGIN
    if text_width_pt(text, size, bold=bold) <= width_pt:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width_pt(text[:mid] + "…", size, bold=bold) <= width_pt:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def fit_ref(text: str, ref: str, width_pt: float, size: float, *, bold: bool = False) -> str:
    """``text`` on one line no wider than ``width_pt`` at ``size``: whole when it fits, else cut
    to end with "… [ref]" (the id to find the full name by; on a line of its own when too
    long to end the first) — for a chart's or a legend's label, where a name cut with "…"
    alone could not be traced."""
    text = " ".join(text.split())
    if fit_width(text, width_pt, size, bold=bold) == text:
        return text
    one = text_width_pt(f"… [{ref}]", size, bold=bold) <= width_pt * (1.0 - WIDTH_MARGIN)
    return "\n".join(wrap_width(text, width_pt, size, bold=bold, max_lines=1 if one else 2,
                                ref=ref))


def _tokens(para: str, *, slash: bool = False) -> list[str]:
    """Words (Latin runs, with ``slash`` also cut after a slash; each CJK character with its
    closing punctuation) and spaces."""
    tokens: list[str] = []
    word = ""
    for c in para:
        if c == " ":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(" ")
        elif display_width(c) == 2:
            if word:
                tokens.append(word)
                word = ""
            if c in "，。；：、）》”！？" and tokens:
                tokens[-1] += c
            else:
                tokens.append(c)
        else:
            word += c
            if slash and c == "/":  # a line may break after a slash: "vehicles/" "day"
                tokens.append(word)
                word = ""
    if word:
        tokens.append(word)
    return tokens


def wrap(text: str, cells: int) -> list[str]:
    """Wrap ``text`` to lines of at most ``cells`` display cells.

    Latin words break at spaces; CJK characters may break anywhere (not before closing
    punctuation).
    """
    lines: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for tok in _tokens(para):
            if display_width(line) + display_width(tok) <= cells or not line.strip():
                line += tok
                continue
            lines.append(line.rstrip())
            if display_width(tok) > cells:  # a single over-long word: hard split
                tok = "\n".join(textwrap.wrap(tok, cells))
                *head, tok = tok.split("\n")
                lines.extend(head)
            line = "" if tok == " " else tok
        lines.append(line.rstrip())
    return lines


def wrap_width(text: str, width_pt: float, size: float, *, bold: bool = False,
               slash: bool = False, max_lines: int | None = None, ref: str = "") -> list[str]:
    """Wrap ``text`` to lines no wider than ``width_pt`` at font ``size`` (measured, with
    :data:`WIDTH_MARGIN` to spare); a word wider than a line is split. ``slash``: a line may
    also break after a slash (column headers such as ``vehicles/day``; not names, where a
    URL-like text would come apart). ``max_lines``: at most that many lines, the last cut
    with an ellipsis when there was more (a 500-character name must not run off the page),
    followed by ``ref`` in brackets when given (the id to find the full name by)."""
    limit = width_pt * (1.0 - WIDTH_MARGIN)
    lines = _wrap_lines(text, limit, size, bold=bold, slash=slash)
    if max_lines is None or len(lines) <= max_lines:
        return lines
    tail = f"… [{ref}]" if ref else "…"
    if ref and max_lines > 1 and text_width_pt(tail, size, bold=bold) > limit:
        # an id too long to end a line: on lines of its own under the cut name
        ref_lines = wrap_width(f"[{ref}]", width_pt, size, bold=bold, max_lines=max_lines // 2)
        return wrap_width(text, width_pt, size, bold=bold, slash=slash,
                          max_lines=max_lines - len(ref_lines)) + ref_lines
    kept = lines[: max(1, max_lines)]
    last = kept[-1].rstrip()
    while last and text_width_pt(last + tail, size, bold=bold) > limit:
        last = last[:-1].rstrip()
    kept[-1] = fit_width(last + tail, width_pt, size, bold=bold)
    return kept


def _wrap_lines(text: str, width_pt: float, size: float, *, bold: bool,
                slash: bool) -> list[str]:
    """:func:`wrap_width`'s lines, every one (``width_pt`` already less the margin)."""
    lines: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for tok in _tokens(para, slash=slash):
            trial = line + tok
            if text_width_pt(trial, size, bold=bold) <= width_pt:
                line = trial
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = "" if tok == " " else tok
            while text_width_pt(line, size, bold=bold) > width_pt and len(line) > 1:
                cut = _longest_fit(line, width_pt, size, bold=bold)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _longest_fit(text: str, width_pt: float, size: float, *, bold: bool) -> int:
    """The longest prefix length (at least 1) of ``text`` no wider than ``width_pt``: a
    bisection, so a 500-character word is split in a few dozen measurements, not thousands."""
    lo, hi = 1, len(text) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width_pt(text[:mid], size, bold=bold) <= width_pt:
            lo = mid
        else:
            hi = mid - 1
    return lo
