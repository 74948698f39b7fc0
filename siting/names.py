"""Names in the output's language: scenario texts with an English variant, zone names.

The scenario gives Chinese names (``name``) and, where it has them, English ones
(``name_en``: scenario, segments, station types, corridors; the zones layer's ``name_en``
column). English outputs use the English name and fall back to the Chinese one; Chinese outputs
the other way round; an id when both are empty.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["local_name", "zone_names"]


def local_name(zh: str, en: str, fallback: str, lang: str) -> str:
    """The name in ``lang`` (the other language's when empty), else ``fallback``."""
    name = (en or zh) if lang == "en" else (zh or en)
    return name or fallback


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def zone_names(zones: pd.DataFrame | None, lang: str) -> dict[str, str]:
    """Zone id → display name in ``lang`` (``name_en`` in English when given, else ``name``)."""
    if zones is None or not len(zones) or "zone_id" not in zones.columns:
        return {}
    ids = [_text(v) for v in zones["zone_id"]]
    zh = [_text(v) for v in zones["name"]] if "name" in zones.columns else ids
    en = ([_text(v) for v in zones["name_en"]] if "name_en" in zones.columns
          else [""] * len(ids))
    return {i: local_name(z, e, i, lang) for i, z, e in zip(ids, zh, en, strict=True)}
