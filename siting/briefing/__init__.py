"""The review-board briefing: a printable PDF (and one PNG per page) of a finished run.

:func:`write_briefing` reads a run folder (``report.json``, ``stations.geojson`` and, when present,
``results.gpkg``; see :mod:`siting.run_folder`) and draws A4 landscape pages with matplotlib only:

1. a static map of the plan in a metric (UTM) CRS — roads, zones, coverage areas and stations,
   with a scale bar, a north arrow, a legend and, for schematic road networks, a red caveat (a
   zone whose name has no room on the map is marked with a letter named in the panel's key;
   what the side panel has no room for continues on the next page);
2. the key figures — budget, spent, coverage, coverage by fleet segment and by technology
   pathway, stations by zone and by year;
3. the station table (as many pages as it needs), then the method, the solver outcome, the data
   provenance and the caveats.

A table that does not fit its place on a page continues on the pages right after it, its header
repeated (:func:`siting.briefing.tables.flow_pages`); nothing is left out. A name longer than
its cell's four lines — or too long for a chart's label or the map's legend — is cut with "…"
and its id, and the caveats say where it is whole.

Chinese labels need a CJK font: the Noto Sans CJK fonts of Debian's ``fonts-noto-cjk`` (or a
common Windows/macOS CJK font) are looked up through :mod:`matplotlib.font_manager`. Without one
the briefing falls back to English labels, replaces text it cannot draw, and logs a warning, so
no page ever shows empty boxes. Fonts are embedded in the PDF (TrueType, ``pdf.fonttype`` 42) and
user strings are never interpreted as mathtext. Labels come from :mod:`siting.i18n`, figures are
printed by :mod:`siting._format`.

Modules
-------
``build``
    :func:`render_briefing`, :func:`write_briefing`, :func:`briefing_rc`: pages, language, files.
``page_map``, ``page_figures``, ``page_stations``, ``page_text``
    One module per page kind (``map_panel``: the map page's side panel).
``context``
    The page frame and what every page shares (language, fonts, type styles, names).
``cartography``
    Map projection, extent, scale bar and north arrow.
``fonts``
    Finding a CJK font; embedding only the glyphs used.
``tables``, ``text``
    Table drawing; display width, cutting and wrapping of CJK and Latin text.
"""

from __future__ import annotations

from siting.briefing.build import PNG_DPI, briefing_rc, render_briefing, write_briefing
from siting.briefing.cartography import nice_scale_length, north_angle_deg
from siting.briefing.context import PAGE_SIZE_IN
from siting.briefing.fonts import Fonts, find_cjk_font
from siting.briefing.page_map import MAX_MAP_LABELS
from siting.briefing.page_stations import ROWS_PER_PAGE
from siting.run_folder import RunData, load_run

__all__ = [
    "MAX_MAP_LABELS",
    "PAGE_SIZE_IN",
    "PNG_DPI",
    "ROWS_PER_PAGE",
    "Fonts",
    "RunData",
    "briefing_rc",
    "find_cjk_font",
    "load_run",
    "nice_scale_length",
    "north_angle_deg",
    "render_briefing",
    "write_briefing",
]
