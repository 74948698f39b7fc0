"""Display labels in Chinese and English: the one table for the map, the briefing and the exports.

Every user-visible label lives in ``siting/locale/<lang>.json`` (package data): one flat JSON
object per language, with the same keys in both. Keys are grouped by prefix: ``map.`` (map
furniture), ``layer.``, ``legend.``, ``field.`` (popup and table fields), ``unit.``, ``word.``,
``pathway.``, ``status.`` (solver outcomes), ``brief.`` (the PDF briefing), ``csv.`` (the
headers of ``summary.csv`` and ``summary.xlsx``), ``xlsx.`` (the workbooks' sheet names and
their "about" sheet), ``compare.`` (``compare.html`` and its CSVs), ``rule.`` (rule
outcomes of candidate sites), ``reason.`` (why a station is in the plan), ``plan.`` (the
report's sentences every output shares, :mod:`siting.report_text`), ``sweep.`` (``curve.png``,
``curve.csv``, ``explorer.html``) and ``console.`` (what the command line prints). An output
is in one language: its labels, the names from the scenario (``name_en`` in English) and the
texts built from them. :func:`t` looks a key up and fills any ``{placeholders}``.
Labels are plain text: callers HTML-escape them where they end up in HTML. To add a language,
add ``<lang>.json`` with every key and list it in :data:`LANGS`.
"""

from __future__ import annotations

import json
from importlib import resources

#: Languages with a label table.
LANGS: tuple[str, ...] = ("zh", "en")


def _load(lang: str) -> dict[str, str]:
    """The label table of ``lang`` from the package's ``locale/<lang>.json``."""
    text = resources.files("siting").joinpath("locale", f"{lang}.json").read_text(
        encoding="utf-8")
    table = json.loads(text)
    if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        msg = f"siting/locale/{lang}.json: must be one JSON object of text labels"
        raise ValueError(msg)
    return table


#: Label tables by language code (``LABELS["zh"]["layer.roads"] == "路网"``).
LABELS: dict[str, dict[str, str]] = {lang: _load(lang) for lang in LANGS}
#: The Chinese and the English table.
ZH: dict[str, str] = LABELS["zh"]
EN: dict[str, str] = LABELS["en"]


def check_lang(lang: str) -> str:
    """Return ``lang`` if a label table exists for it, else raise ValueError naming the choices."""
    if lang not in LABELS:
        msg = f"language '{lang}' is not supported; use one of {list(LANGS)}"
        raise ValueError(msg)
    return lang


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Parameters
    ----------
    key
        A key of the label tables, e.g. ``"layer.roads"``.
    lang
        ``"zh"`` or ``"en"``.
    **values
        Values for the label's ``{placeholders}``.

    Returns
    -------
    str
        Plain text (not HTML-escaped).

    Raises
    ------
    KeyError
        If the key is unknown (a typo in the caller, not a user error).
    ValueError
        If the language is unsupported.
    """
    table = LABELS[check_lang(lang)]
    text = table[key]
    return text.format(**values) if values else text
