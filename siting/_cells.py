"""What counts as an empty cell or attribute, the same for sheets, tables and GIS layers."""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["is_blank"]


def is_blank(value: object) -> bool:
    """True for a cell or attribute without a value: None, NaN, pandas' NA/NaT, and text of
    only white space."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()
