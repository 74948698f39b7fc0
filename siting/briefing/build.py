"""Assembling the briefing: drawing the pages and writing the PDF and the PNGs.

:func:`write_briefing` reads the run folder, picks the language and the fonts, cuts the CJK
font down to the characters the pages will draw (known before drawing: the report, the labels
and the station and zone names; if a page draws anything else, the subset is made again with
it), renders the pages inside :func:`briefing_rc` and writes every file atomically.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from siting._atomic import atomic_write_bytes
from siting._errors import ScenarioError
from siting._reproducible import output_date, source_date_epoch
from siting.briefing.context import make_context
from siting.briefing.fonts import Fonts, embedding_fonts, english_without_cjk, figure_chars
from siting.briefing.page_commission import page_commission
from siting.briefing.page_figures import page_figures
from siting.briefing.page_map import page_map
from siting.briefing.page_robustness import page_robustness
from siting.briefing.page_stations import pages_stations
from siting.briefing.page_text import method_blocks, pages_text
from siting.i18n import LABELS, LANGS
from siting.report import Report
from siting.run_folder import RunData, load_run

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["PNG_DPI", "briefing_rc", "data_chars", "render_briefing", "resolve_lang",
           "write_briefing"]

logger = logging.getLogger(__name__)

#: Resolution of the PNG copies of the pages (dots per inch).
PNG_DPI: int = 110
#: Share of a briefing's time taken once its pages are drawn (the rest is writing them).
_DRAWN = 0.4
#: Label groups of other outputs, never drawn in the briefing (left out of the font subset).
_OTHER_OUTPUTS = ("csv.", "compare.")


def render_briefing(data: RunData, *, lang: str = "zh",
                    fonts: Fonts | None = None) -> list[Figure]:
    """Draw the briefing pages (A4 landscape matplotlib figures) for a loaded run.

    Call inside :func:`briefing_rc` (as :func:`write_briefing` does) so the CJK font, TrueType
    embedding and literal (non-mathtext) text apply.

    Parameters
    ----------
    data
        From :func:`load_run` (layers in EPSG:4326; the map is drawn in their UTM zone).
    lang
        ``"zh"`` or ``"en"``.
    fonts
        Resolved fonts (default: looked up now).

    Returns
    -------
    list of matplotlib.figure.Figure
        Map, key figures, the commission's page (cost, savings, zones, mandates) and the
        robustness page when the run has them, station table page(s) (the method text starts
        below the table when there is room), method page(s) — each with a page footer. A
        table that does not fit its place continues on pages right after its own, its header
        repeated (nothing is left out).
    """
    fonts = fonts or Fonts.resolve()
    ctx = make_context(data, lang, fonts)
    figs = [*page_map(data, ctx), *page_figures(data, ctx), *page_commission(data, ctx),
            *page_robustness(data, ctx)]
    tables, bottom = pages_stations(data, ctx)
    # the method text last: it says where the full names are when a table cut some
    text = pages_text(method_blocks(data, ctx), ctx, start=(tables[-1], bottom))
    figs += [*tables, *text]
    version = data.report.siting_version
    for i, fig in enumerate(figs, start=1):
        fig.text(0.97, 0.02, ctx.label("brief.page_of", i=i, n=len(figs)), ha="right",
                 fontsize=8, color="#555555")
        fig.text(0.03, 0.02, f"siting {version}" if version else "siting", fontsize=8,
                 color="#555555")
    return figs


def briefing_rc(fonts: Fonts) -> dict[RcKeyType, Any]:
    """matplotlib rcParams for the briefing: fonts, TrueType embedding, no mathtext/TeX."""
    return {
        "font.family": list(fonts.family),
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "text.usetex": False,
        "text.parse_math": False,
        "axes.unicode_minus": False,
        "figure.dpi": 100,
    }


def resolve_lang(lang: str | None, report: Report, fonts: Fonts, where: Path) -> str:
    """The briefing's language: ``lang``, else the run's (the report's), else ``"zh"``;
    English (with a warning) when Chinese is asked for and no CJK font is installed."""
    chosen = lang or report.scenario.lang or "zh"
    if chosen not in LANGS:
        msg = f"{where}: language '{chosen}' is not supported; use --lang zh or --lang en"
        raise ScenarioError(msg)
    return english_without_cjk(chosen, fonts, "the briefing",
                               " and replaces Chinese text it cannot draw")


def data_chars(data: RunData, lang: str) -> str:
    """A superset of the characters the pages will draw, known before drawing them.

    The report, the station and zone names, and the labels in ``lang`` (all but those of other
    outputs: ``csv.*`` and ``compare.*``).
    """
    labels = [v for k, v in LABELS[lang].items() if not k.startswith(_OTHER_OUTPUTS)]
    parts = [json.dumps(data.report.to_dict(), ensure_ascii=False), *labels]
    for col in ("site_id", "name", "station_type", "zone", "capacity_unit"):
        parts.extend(map(str, data.stations[col]))
    if data.zones is not None:
        for col in ("zone_id", "name"):
            if col in data.zones.columns:
                parts.extend(map(str, data.zones[col]))
    chars = {chr(c) for c in range(32, 127)} | set("…·–—%°").union(*parts)
    chars.discard("\n")
    return "".join(sorted(chars))


def _save_pages(figs: list[Figure], pdf_path: Path, *, title: str, creator: str,
                progress: Callable[[float], None]) -> list[Path]:
    """Write ``<stem>-<n>.png`` per page and the PDF, each atomically; return the PNG paths.
    ``progress`` gets the share of the pages written (PNGs then PDF pages) as it grows."""
    pngs = []
    steps = 2 * len(figs)
    for i, fig in enumerate(figs, start=1):
        png = pdf_path.with_name(f"{pdf_path.stem}-{i}.png")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PNG_DPI)
        atomic_write_bytes(png, buf.getvalue())
        pngs.append(png)
        progress(i / steps)
    buf = io.BytesIO()
    meta = {"Title": title, "Creator": creator, "CreationDate": output_date()}
    # matplotlib subsets the embedded fonts with fontTools, which stamps each subset with the
    # time unless SOURCE_DATE_EPOCH is set: set it for this write only
    with source_date_epoch(), PdfPages(buf, metadata=meta) as pdf:
        for i, fig in enumerate(figs, start=len(figs) + 1):
            pdf.savefig(fig)
            progress(i / steps)
    atomic_write_bytes(pdf_path, buf.getvalue())
    return pngs


def write_briefing(run_dir: str | os.PathLike[str], *, lang: str | None = None,
                   out_pdf: str | os.PathLike[str] | None = None,
                   progress: Callable[[float], None] | None = None) -> list[Path]:
    """Write the review-board briefing of a run: a PDF and one PNG per page.

    Parameters
    ----------
    run_dir
        A run folder (``report.json``, ``stations.geojson``, optionally ``results.gpkg``).
    lang
        ``"zh"`` or ``"en"``; default: the report's language, else ``"zh"``. Chinese falls back
        to English (with a logged warning) when no CJK font is installed.
    progress
        Called with the share of the work done (0..1): after reading the run, after drawing
        the pages, then as each page is written (the briefing takes ~10 s).
    out_pdf
        Where to write the PDF (default ``run_dir/briefing.pdf``); the PNGs go next to it as
        ``<stem>-1.png``, ``<stem>-2.png`` ...

    Returns
    -------
    list of Path
        The PDF, then the PNGs in page order. Each file is written to a temporary name and
        renamed into place; PNGs of an earlier, longer briefing are removed.

    Raises
    ------
    InputDataError
        When the run folder lacks ``report.json`` or ``stations.geojson``.
    ScenarioError
        When ``lang`` is not supported.
    """
    report = progress or (lambda _share: None)
    data = load_run(run_dir)
    report(0.05)
    pdf_path = Path(out_pdf) if out_pdf is not None else data.run_dir / "briefing.pdf"
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    fonts = Fonts.resolve()
    chosen = resolve_lang(lang, data.report, fonts, data.run_dir / "report.json")
    title = make_context(data, chosen, fonts).title
    chars = data_chars(data, chosen)
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix="siting-fonts-",
                                         ignore_cleanup_errors=True) as tmp, \
                embedding_fonts(fonts, chars, Path(tmp)) as pdf_fonts, \
                matplotlib.rc_context(briefing_rc(pdf_fonts)):
            figs = render_briefing(data, lang=chosen, fonts=pdf_fonts)
            report(_DRAWN)
            unseen = set(figure_chars(figs)) - set(chars)
            if unseen and attempt == 1 and pdf_fonts is not fonts:
                logger.debug("characters outside the font subset: %r; redoing it", unseen)
                chars += "".join(sorted(unseen))
                continue
            pngs = _save_pages(figs, pdf_path, title=title,
                               creator=f"siting {data.report.siting_version}",
                               progress=lambda k: report(_DRAWN + (1.0 - _DRAWN) * k))
            break
    for old in pdf_path.parent.glob(f"{pdf_path.stem}-*.png"):
        suffix = old.stem[len(pdf_path.stem) + 1:]
        if suffix.isdigit() and int(suffix) > len(figs):
            old.unlink()
    logger.info("briefing: %s (%d pages, %s)", pdf_path, len(figs), chosen)
    return [pdf_path, *pngs]
