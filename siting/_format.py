"""Figures for people: money, numbers and shares, printed the same way everywhere.

The map, the briefing, the command line and the comparison all print figures through these
functions, so one amount never appears in two spellings (it used to: a station costing nothing
was ``0.0 万元`` on the map and ``0 万元`` in the briefing).

Rules
-----
- Money is CNY, shown as 万元 (10,000 CNY) in Chinese and as million CNY in English:
  ``3,000,000`` → ``300 万元`` / ``3.00 M CNY``; whole 万元 from 100 万元 up (and for 0), one
  decimal below (``35.5 万元``); always two decimals in million CNY.
- Numbers get thousands separators and a fixed number of decimals (``12,345.6``).
- Shares (0-1) are percentages with a fixed number of decimals (``0.7234`` → ``72.3%``).
- A missing, non-numeric or non-finite value prints as :data:`MISSING` (an em dash), without
  its unit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, cast

from siting.i18n import t

__all__ = ["MISSING", "as_float", "money", "money_column", "number", "percent"]

#: What a missing figure prints as (in tables, popups and text alike).
MISSING = "—"


def as_float(value: object) -> float | None:
    """``value`` as a finite float, or None when it is missing, not a number, NaN or infinite.

    ``None``, ``""``, ``"abc"``, ``nan`` and ``inf`` give None; ``"2.5"``, ``3`` and numpy
    scalars give floats.
    """
    try:
        v = float(cast(Any, value))
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def money(cny: object, lang: str = "zh", *, unit: bool = True) -> str:
    """An amount of CNY for display: 万元 in Chinese, million CNY in English.

    Parameters
    ----------
    cny
        The amount in yuan (CNY); anything :func:`as_float` rejects prints as :data:`MISSING`.
    lang
        ``"zh"`` (``1,200 万元``) or ``"en"`` (``12.00 M CNY``).
    unit
        ``False`` leaves the unit off (for table columns whose header names it).

    Returns
    -------
    str
        E.g. ``"300 万元"``, ``"35.5 万元"``, ``"0 万元"``, ``"3.00 M CNY"``, ``"0.36"``.

    Raises
    ------
    ValueError
        If ``lang`` has no label table.
    """
    v = as_float(cny)
    if v is None:
        return MISSING
    if lang == "zh":
        wan = v / 1e4
        text = f"{wan:,.0f}" if abs(wan) >= 100 or wan == 0 else f"{wan:,.1f}"
    else:
        text = f"{v / 1e6:,.2f}"
    return t("unit.money", lang, value=text) if unit else text


def money_column(values: Iterable[object], lang: str = "zh") -> list[str]:
    """Amounts of CNY for one table column, without the unit, all with the same decimals.

    Chinese: whole 万元 when every amount is a whole number of 万元 (or at least 100 万元),
    else one decimal for all; English: million CNY with two decimals (as :func:`money`).
    Missing values print as :data:`MISSING`.
    """
    vals = [as_float(v) for v in values]
    if lang != "zh":
        return [money(v, lang, unit=False) for v in vals]
    wan = [v / 1e4 for v in vals if v is not None]
    whole = all(abs(w) >= 100 or abs(w - round(w)) < 0.05 for w in wan)
    fmt = "{:,.0f}" if whole else "{:,.1f}"
    return [MISSING if v is None else fmt.format(v / 1e4) for v in vals]


def number(value: object, digits: int = 0, *, unit: str = "") -> str:
    """A number with thousands separators and ``digits`` decimals, then `` unit`` if given.

    Parameters
    ----------
    value
        The number; anything :func:`as_float` rejects prints as :data:`MISSING` (no unit).
    digits
        Decimal places.
    unit
        Appended after a space when not empty, e.g. ``"kWh/day"``.

    Returns
    -------
    str
        E.g. ``number(12345.67, 1)`` → ``"12,345.7"``; ``number(8000, unit="kWh/day")`` →
        ``"8,000 kWh/day"``.
    """
    v = as_float(value)
    if v is None:
        return MISSING
    text = f"{v:,.{digits}f}"
    return f"{text} {unit}" if unit else text


def percent(share: object, digits: int = 1) -> str:
    """A share (0-1) as a percentage with ``digits`` decimals: ``0.7234`` → ``"72.3%"``.

    Anything :func:`as_float` rejects prints as :data:`MISSING`.
    """
    v = as_float(share)
    return MISSING if v is None else f"{v:.{digits}%}"


def header_years(years: Iterable[int | None]) -> dict[str, str]:
    """``{"year": "2025", "years": "2023-2025"}`` for column headers that name the final
    planning year and the span of years a figure sums (ASCII hyphen, for scripts);
    :data:`MISSING` when no year is known."""
    ys = sorted({int(y) for y in years if y is not None})
    if not ys:
        return {"year": MISSING, "years": MISSING}
    return {"year": str(ys[-1]), "years": f"{ys[0]}-{ys[-1]}" if len(ys) > 1 else str(ys[0])}

