"""Reading display values out of result tables: text, numbers, flags, names, energy.

Result frames come from GeoPackages, GeoJSON and pandas, so a cell may be ``None``, NaN, a
numpy scalar or a string; these helpers turn any of them into what the map shows.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd

from siting.names import local_name

__all__ = ["H2_KWH_PER_KG", "energy_kwh", "local_name", "numbers", "text", "texts", "truthy"]

#: Lower heating value used to put hydrogen (kg) on the kWh scale of the demand circles.
H2_KWH_PER_KG: float = 33.3


def text(value: object) -> str:
    """A cell as display text: ``""`` for None/NaN, ``2.5`` not ``2.50000``, numpy as Python."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:g}"
    if isinstance(value, (np.integer, np.floating)):
        return text(value.item())
    try:
        if pd.isna(cast(Any, value)):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def texts(frame: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as an object array of display text (all ``""`` when the column is absent)."""
    if col not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return np.array([text(v) for v in frame[col]], dtype=object)


def numbers(frame: pd.DataFrame, col: str, default: float) -> np.ndarray:
    """Column ``col`` as floats; missing or non-numeric cells (or no column) give ``default``."""
    if col not in frame.columns:
        return np.full(len(frame), default, dtype=float)
    return pd.to_numeric(frame[col], errors="coerce").fillna(default).to_numpy(float)


def truthy(value: object) -> bool:
    """A flag cell as bool: ``"yes"``/``"true"``/``"1"``/``"t"``/``"y"`` and non-zero numbers."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    try:
        return bool(value) and not pd.isna(cast(Any, value))
    except (TypeError, ValueError):
        return bool(value)


def energy_kwh(demand: pd.DataFrame) -> np.ndarray:
    """Daily energy of demand rows in kWh; hydrogen (``energy_unit`` kg) at 33.3 kWh/kg."""
    e = numbers(demand, "energy", 0.0)
    units = texts(demand, "energy_unit")
    return np.where(np.char.lower(units.astype(str)) == "kg", e * H2_KWH_PER_KG, e)
