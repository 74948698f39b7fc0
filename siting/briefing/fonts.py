"""Fonts of the briefing: finding a CJK font, and embedding only the glyphs the pages use.

Chinese labels need a CJK font: the Noto Sans CJK fonts of Debian's ``fonts-noto-cjk`` (or a
common Windows/macOS CJK font) are looked up through :mod:`matplotlib.font_manager`. Without one
the briefing falls back to English labels and :meth:`Fonts.safe` replaces text it cannot draw,
so no page ever shows empty boxes. For the PDF the CJK faces are cut down to the characters the
pages draw and converted to TrueType outlines (:func:`embedding_fonts`): a full Noto CJK face is
16 MB and takes seconds per face to subset at save time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib.text
from matplotlib import font_manager
from matplotlib.figure import Figure

__all__ = ["LATIN_FAMILY", "Fonts", "embedding_fonts", "english_without_cjk", "figure_chars",
           "find_cjk_font"]

logger = logging.getLogger(__name__)

#: CJK font families tried in order (Debian's Noto first, then common desktop fonts).
_CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC",
)
#: Font files registered with matplotlib before the lookup (Debian fonts-noto-cjk).
_CJK_FILE_GLOBS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.otf",
)
#: The Latin font (matplotlib's bundled DejaVu Sans, always present).
LATIN_FAMILY = "DejaVu Sans"


def find_cjk_font(*, families: Sequence[str] = _CJK_FAMILIES,
                  file_globs: Sequence[str] = _CJK_FILE_GLOBS) -> str | None:
    """The family name of an installed font that can draw Chinese, or None.

    Registers the font files matching ``file_globs`` with matplotlib's font manager (once), then
    asks it for each of ``families`` in turn without falling back to a default font.

    Parameters
    ----------
    families
        Family names to try, most preferred first.
    file_globs
        Glob patterns of font files (``.ttc``/``.otf``/``.ttf``) to register first.

    Returns
    -------
    str or None
        The first family matplotlib resolves, e.g. ``"Noto Sans CJK SC"``.
    """
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for pattern in file_globs:
        for path in sorted(glob.glob(pattern)):
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError) as exc:
                    logger.debug("cannot register font %s: %s", path, exc)
    for family in families:
        try:
            font_manager.findfont(font_manager.FontProperties(family=family),
                                  fallback_to_default=False)
        except ValueError:
            continue
        return family
    return None


@dataclass(frozen=True)
class Fonts:
    """The font family list for the pages and a test of which strings it can draw.

    Attributes
    ----------
    family
        ``font.family`` for matplotlib: the CJK family (when found), then DejaVu Sans.
    cjk
        The CJK family name, or None when no CJK font is installed.
    latin_codepoints
        Characters DejaVu Sans can draw.
    cjk_codepoints
        Characters the CJK font can draw (empty without one).
    """

    family: tuple[str, ...]
    cjk: str | None
    latin_codepoints: frozenset[int]
    cjk_codepoints: frozenset[int] = frozenset()

    @classmethod
    def resolve(cls) -> Fonts:
        """Look the fonts up now (see :func:`find_cjk_font`)."""
        cjk = find_cjk_font()
        latin = font_manager.get_font(font_manager.findfont(
            font_manager.FontProperties(family=LATIN_FAMILY)))
        codepoints = frozenset(latin.get_charmap())
        cjk_points: frozenset[int] = frozenset()
        if cjk is not None:
            path = font_manager.findfont(font_manager.FontProperties(family=cjk),
                                         fallback_to_default=False)
            cjk_points = frozenset(font_manager.get_font(path).get_charmap())
        family = (cjk, LATIN_FAMILY) if cjk else (LATIN_FAMILY,)
        return cls(family=family, cjk=cjk, latin_codepoints=codepoints,
                   cjk_codepoints=cjk_points)

    def can_draw(self, text: str) -> bool:
        """True when every character of ``text`` has a glyph in the page fonts (a line break
        is drawn as one; a tab or another control character is not)."""
        return all(c == "\n" or ord(c) in self.latin_codepoints or ord(c) in self.cjk_codepoints
                   for c in text)

    def safe(self, text: str, fallback: str | None = None) -> str:
        """``text`` if drawable, else ``fallback`` if drawable, else ``text`` with gaps as '?'.

        Control characters other than a line break (a tab, a carriage return, a bell) are
        spaces first: no font has a glyph for them, and drawn they are empty boxes.
        """
        text = str(text).translate(_CONTROL_AS_SPACE)
        if self.can_draw(text):
            return text
        if fallback is not None:
            other = str(fallback).translate(_CONTROL_AS_SPACE)
            if self.can_draw(other):
                return other
        return "".join(c if self.can_draw(c) else "?" for c in text)


#: Control characters (C0 but the line break, DEL, C1) → a space, for :meth:`Fonts.safe`.
_CONTROL_AS_SPACE: dict[int, str] = {c: " " for c in (*range(32), *range(127, 160)) if c != 10}


_SUBSET_DROP_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "VORG", "vhea", "vmtx",
                       "DSIG")


def figure_chars(figs: Iterable[Figure]) -> str:
    """Every character the pages draw: their text artists plus printable ASCII (tick labels)."""
    chars = {chr(c) for c in range(32, 127)} | set("…·–—%°")
    for fig in figs:
        for artist in fig.findobj(matplotlib.text.Text):
            chars.update(artist.get_text())
    chars.discard("\n")
    return "".join(sorted(chars))


def _subset_to_truetype(src: str, face_index: int, chars: str, dst: Path, family: str) -> None:
    """Write the glyphs of ``chars`` from one face of ``src`` as a small TrueType font.

    CFF (PostScript-outline) faces such as Noto Sans CJK are converted to quadratic TrueType
    outlines: matplotlib embeds every ``pdf.fonttype`` 42 font as a TrueType CID font, which a
    CFF program does not match, and subsetting a 65,000-glyph CJK face with its layout tables at
    save time takes seconds per face. The family is renamed to ``family`` so the subset never
    shadows the installed font.
    """
    from fontTools import subset as ft_subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    # recalcTimestamp=False: head.modified keeps the source's date (identical reruns)
    font = TTFont(src, fontNumber=face_index, lazy=True, recalcTimestamp=False)
    opts = ft_subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.notdef_outline = True
    opts.drop_tables = [*opts.drop_tables, *_SUBSET_DROP_TABLES]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.name_legacy = True
    subsetter = ft_subset.Subsetter(opts)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    if "CFF " in font:
        order = font.getGlyphOrder()
        outlines = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for name in order:
            pen = TTGlyphPen(None)
            # CFF outer contours run counter-clockwise, TrueType ones clockwise
            outlines[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyf.glyphs[name] = pen.glyph()
        del font["CFF "]
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        maxp.maxZones = 1
        for field in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours",
                      "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                      "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                      "maxComponentElements", "maxComponentDepth"):
            setattr(maxp, field, 0)  # the point/contour maxima are recomputed on save
        post = font["post"]
        post.formatType = 2.0
        post.extraNames = []
        post.mapping = {}
        post.glyphOrder = order
        font["head"].glyphDataFormat = 0
        font.sfntVersion = "\x00\x01\x00\x00"
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
    font.save(str(dst))


def english_without_cjk(lang: str, fonts: Fonts, what: str, also: str = "") -> str:
    """``lang``, or ``"en"`` with a warning when it is ``"zh"`` and no CJK font is installed
    (Chinese labels would be drawn as empty boxes); ``what`` names the output in the warning
    (``"curve.png"``), ``also`` adds to it."""
    if lang == "zh" and fonts.cjk is None:
        logger.warning("no CJK font found (install fonts-noto-cjk); %s uses English labels%s",
                       what, also)
        return "en"
    return lang


@contextlib.contextmanager
def embedding_fonts(fonts: Fonts, chars: str, workdir: Path) -> Iterator[Fonts]:
    """Fonts for saving: the CJK faces cut down to ``chars``, registered while in the block.

    Falls back to ``fonts`` (the full installed faces: correct, but slower to save) when the
    subset cannot be made.
    """
    if fonts.cjk is None:
        yield fonts
        return
    # unique per glyph set (never shadows the installed family), and the same on every rerun
    family = f"{fonts.cjk} siting {hashlib.sha1(chars.encode('utf-8')).hexdigest()[:10]}"
    made: list[str] = []
    try:
        seen: set[tuple[str, int]] = set()
        for weight in ("normal", "bold"):
            found = font_manager.findfont(
                font_manager.FontProperties(family=fonts.cjk, weight=weight),
                fallback_to_default=False)
            key = (str(getattr(found, "path", found)), int(getattr(found, "face_index", 0)))
            if key in seen:
                continue
            seen.add(key)
            dst = workdir / f"cjk-{weight}.ttf"
            _subset_to_truetype(key[0], key[1], chars, dst, family)
            font_manager.fontManager.addfont(dst)
            made.append(str(dst))
        names = {e.name for e in font_manager.fontManager.ttflist if e.fname in made}
        if family not in names:
            msg = f"subset font registered as {sorted(names)}, not '{family}'"
            raise RuntimeError(msg)
    except Exception as exc:  # any fontTools / FreeType trouble: keep the full font
        logger.warning("could not subset the CJK font (%s); embedding the full font, which is "
                       "slower", exc)
        _unregister(made)
        yield fonts
        return
    try:
        yield dataclasses.replace(fonts, family=(family, *fonts.family[1:]))
    finally:
        _unregister(made)


def _unregister(paths: list[str]) -> None:
    if paths:
        ttflist = font_manager.fontManager.ttflist
        ttflist[:] = [e for e in ttflist if e.fname not in paths]
