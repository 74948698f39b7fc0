"""Text layout for the pages: display width (CJK characters are two cells), cutting, wrapping."""

from __future__ import annotations

import textwrap
import unicodedata

__all__ = ["display_width", "fit", "wrap"]


def display_width(text: str) -> int:
    """Display width of ``text`` in half-width cells (CJK characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


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


def wrap(text: str, cells: int) -> list[str]:
    """Wrap ``text`` to lines of at most ``cells`` display cells.

    Latin words break at spaces; CJK characters may break anywhere (not before closing
    punctuation).
    """
    lines: list[str] = []
    for para in str(text).split("\n"):
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
        if word:
            tokens.append(word)
        line = ""
        for tok in tokens:
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
