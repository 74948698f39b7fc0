"""Headless-browser helpers for tests, benchmarks and the README pictures (not shipped).

The runtime package never starts a browser; these helpers drive Debian's Chromium through
playwright for the browser tests (``tests/``), the map-opening benchmark (``benchmarks/``) and
``scripts/make_readme_pictures.py``. ``tests`` find this package through pytest's
``pythonpath`` setting; scripts put the repository root on ``sys.path`` first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_PATH", "offline_page", "screenshot_map"]

#: Chromium flags for headless screenshots (no first-run, no background traffic).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
#: Debian's Chromium (playwright never downloads a browser here).
CHROMIUM_PATH = "/usr/bin/chromium"


def offline_page(browser: Any) -> Any:
    """A new playwright page that loads only ``file:`` and ``data:`` URLs (every other
    request is aborted), as a mailed map.html is read offline."""
    page = browser.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "data:")) else r.abort())
    return page


def screenshot_map(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    width: int = 1280,
    height: int = 800,
    *,
    executable_path: str = CHROMIUM_PATH,
    settle_ms: int = 1500,
    timeout_ms: int = 60_000,
) -> Path:
    """Save a PNG screenshot of a map page with headless Chromium (via playwright).

    Parameters
    ----------
    html_path
        The map HTML file.
    png_path
        Where to write the PNG (written to a ``.tmp`` sibling, then renamed).
    width, height
        Viewport size in CSS pixels.
    executable_path
        The Chromium binary (Debian's by default; playwright never downloads one here).
    settle_ms
        Extra wait after the map has loaded, for tiles and rendering (milliseconds).
    timeout_ms
        Page-load timeout (milliseconds).

    Returns
    -------
    Path
        The PNG file.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        msg = "screenshot_map needs playwright; run `pip install playwright`"
        raise ImportError(msg) from None
    if not Path(executable_path).exists():
        msg = (f"{executable_path}: Chromium not found; install it (apt install chromium) or "
               "pass executable_path=...")
        raise FileNotFoundError(msg)
    src = Path(html_path).resolve()
    png = Path(png_path)
    png.parent.mkdir(parents=True, exist_ok=True)
    tmp = png.with_suffix(".tmp.png")

    def shoot() -> None:
        with tempfile.TemporaryDirectory(prefix="siting-chromium-") as profile, \
                sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=executable_path, headless=True,
                args=list(CHROMIUM_ARGS), viewport={"width": width, "height": height})
            try:
                page = ctx.new_page()
                page.goto(src.as_uri(), wait_until="load", timeout=timeout_ms)
                page.wait_for_selector(".leaflet-container", timeout=timeout_ms)
                page.wait_for_timeout(settle_ms)
                page.screenshot(path=str(tmp), full_page=False)
            finally:
                ctx.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        shoot()
    else:  # Jupyter, or another playwright session: the sync API needs its own thread
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(shoot).result()
    os.replace(tmp, png)
    return png
