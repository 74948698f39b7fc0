"""Offline web assets: Leaflet's JavaScript and CSS, read from the installed package.

The map must open on a computer without internet, so ``map.html`` carries Leaflet inline
instead of linking a CDN. The files come from the ``django-js-lib-leaflet`` wheel
(``js_lib_leaflet/static/js_lib_leaflet/``); nothing is copied into this repository. The
CSS refers to a few images (``images/layers.png`` ...); they become ``data:`` URIs.
"""

from __future__ import annotations

import base64
import functools
import importlib.resources
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

#: Leaflet from a CDN, used when the caller asks for a small file (``cdn=True``).
LEAFLET_CDN_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"
LEAFLET_CDN_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css"

_PACKAGE = "js_lib_leaflet"
_STATIC = "static/js_lib_leaflet"
_URL_RE = re.compile(r"url\(\s*(['\"]?)(images/[^'\")]+)\1\s*\)")
_SOURCEMAP_RE = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)


def _static_dir() -> Traversable:
    try:
        root = importlib.resources.files(_PACKAGE)
    except ModuleNotFoundError:
        msg = ("the Leaflet assets package is not installed; run "
               "`pip install django-js-lib-leaflet` (or pass cdn=True to link a CDN instead)")
        raise ImportError(msg) from None
    folder = root / _STATIC
    if not (folder / "leaflet.js").is_file():
        msg = (f"{folder}: leaflet.js not found in the installed django-js-lib-leaflet; "
               "reinstall it with `pip install --force-reinstall django-js-lib-leaflet`")
        raise ImportError(msg)
    return folder


@functools.cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, without its source-map comment.

    Returns
    -------
    str
        Safe to place inside a ``<script>`` element (it contains no ``</script``).
    """
    text = (_static_dir() / "leaflet.js").read_text(encoding="utf-8")
    text = _SOURCEMAP_RE.sub("", text)
    if "</script" in text.lower():  # pragma: no cover - guards a future Leaflet release
        text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
    return text


@functools.cache
def leaflet_css() -> str:
    """Leaflet's CSS with every ``url(images/...)`` replaced by a base64 ``data:`` URI.

    Returns
    -------
    str
        Safe to place inside a ``<style>`` element.
    """
    folder = _static_dir()
    text = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        rel = match.group(2)
        data = (folder / rel).read_bytes()
        mime = "image/svg+xml" if rel.endswith(".svg") else "image/png"
        return f'url("data:{mime};base64,{base64.b64encode(data).decode("ascii")}")'

    text = _URL_RE.sub(inline, text)
    return text.replace("</style", "<\\/style")


def inline_leaflet_html() -> str:
    """``<style>`` + ``<script>`` elements carrying Leaflet, for the page ``<head>``."""
    return f"<style>\n{leaflet_css()}\n</style>\n<script>\n{leaflet_js()}\n</script>\n"
