"""User text as data: escaping for HTML pages, inline scripts and spreadsheet cells.

folium/branca render every element's output a second time as Jinja2 template source (a
``MacroElement``'s rendered macros become new ``Element(template=...)`` children of the
figure). Text that reaches a page through folium must therefore carry no Jinja2 delimiter:
all three (``{{``, ``{%``, ``{#``) start with ``{``, so every ``{`` and ``}`` of user text is
written as a character reference (``&#123;`` in HTML, ``\\u007b`` in JSON strings). The browser
shows the original character; the template engine sees none.

Every page the project writes (``map.html``, ``compare.html``, ``explorer.html``) escapes user
text with :func:`html_text` and embeds data with :func:`script_json`; nothing else may put
user text into HTML.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["close_bidi", "html_text", "script_json", "template_safe"]

_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
#: A ``{`` that would open a Jinja2 tag. In compact JSON a structural ``{`` is followed by
#: ``"`` or ``}``, so these can only sit inside strings, where ``\u007b`` is the same text.
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def html_text(text: object, *, quote: bool = True) -> str:
    """Escape ``text`` for HTML text or a quoted attribute, and for folium's templates.

    ``& < > " '`` become entities (``quote=True``), and ``{`` / ``}`` become ``&#123;`` /
    ``&#125;``, so the text can pass through any number of Jinja2 renders unchanged.
    ``None`` gives ``""``.
    """
    if text is None:
        return ""
    return close_bidi(html.escape(str(text), quote=quote).translate(_BRACES))


#: Bidi controls that open an embedding or override (closed by PDF, U+202C) ...
_OPEN_EMBEDDING = frozenset("\u202a\u202b\u202d\u202e")
#: ... or an isolate (closed by PDI, U+2069).
_OPEN_ISOLATE = frozenset("\u2066\u2067\u2068")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def close_bidi(text: str) -> str:
    """``text`` with every bidi embedding, override or isolate it opens closed at its end.

    A name holding a right-to-left override (U+202E) and no closing mark would otherwise
    reverse the text after it on the page (the station type beside it in a tooltip, the
    next cell of a row): a way to make one name look like another. Closed at the end of its
    own text, it turns only that text around. Text without such controls is unchanged.
    """
    if not _BIDI.search(text):
        return text
    open_: list[str] = []
    for ch in text:
        if ch in _OPEN_EMBEDDING:
            open_.append("\u202c")
        elif ch in _OPEN_ISOLATE:
            open_.append("\u2069")
        elif ch == "\u202c" and open_ and open_[-1] == "\u202c":
            open_.pop()
        elif ch == "\u2069" and "\u2069" in open_:
            while open_.pop() != "\u2069":  # an isolate's end closes what it holds
                pass
    return text + "".join(reversed(open_))


def template_safe(text: str) -> str:
    """``text`` with every ``{`` that would open a Jinja2 tag written as ``\\u007b``.

    For JSON (or JavaScript string literals) only: the replacement is a JSON escape, valid
    inside strings, and a structural ``{`` of compact JSON is never followed by ``{``, ``%``
    or ``#``.
    """
    return _JINJA_OPEN.sub(r"\\u007b", text)


def script_json(obj: Any) -> str:
    """Compact JSON that is safe inside an HTML ``<script>`` and inside folium's templates.

    ``<``, ``>``, ``&`` and the line separators U+2028/U+2029 are escaped (no ``</script>``
    break-out), NaN/inf are refused, and Jinja2 openers are neutralised
    (:func:`template_safe`).
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return template_safe(text)
