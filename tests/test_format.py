"""siting._format: one spelling of money, numbers and shares for the map, briefing and CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siting import _format as F


@pytest.mark.parametrize(("cny", "zh", "en"), [
    (3_000_000, "300 万元", "3.00 M CNY"),
    (12_000_000, "1,200 万元", "12.00 M CNY"),
    (352_000, "35.2 万元", "0.35 M CNY"),
    (1_000_000, "100 万元", "1.00 M CNY"),
    (999_000, "99.9 万元", "1.00 M CNY"),
    (0, "0 万元", "0.00 M CNY"),          # one spelling of zero (the map used to say 0.0 万元)
    (0.0, "0 万元", "0.00 M CNY"),
    (np.float64(40e6), "4,000 万元", "40.00 M CNY"),
    ("2500000", "250 万元", "2.50 M CNY"),
])
def test_money_in_wan_yuan_and_million_cny(cny: object, zh: str, en: str) -> None:
    assert F.money(cny, "zh") == zh
    assert F.money(cny, "en") == en
    assert F.money(cny, "zh", unit=False) == zh.removesuffix(" 万元")
    assert F.money(cny, "en", unit=False) == en.removesuffix(" M CNY")


@pytest.mark.parametrize("bad", [None, "", "n/a", math.nan, math.inf, -math.inf, {"total": 1}])
def test_missing_figures_print_one_dash_without_unit(bad: object) -> None:
    assert F.money(bad, "zh") == F.MISSING == "—"
    assert F.money(bad, "en", unit=False) == F.MISSING
    assert F.number(bad, 1, unit="kWh/day") == F.MISSING
    assert F.percent(bad) == F.MISSING
    assert F.as_float(bad) is None


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language 'fr'"):
        F.money(1e6, "fr")


def test_numbers_and_percent() -> None:
    assert F.number(12345.678, 1) == "12,345.7"
    assert F.number(8000, unit="kWh/day") == "8,000 kWh/day"
    assert F.number(np.int64(7)) == "7"
    assert F.number(True) == "1"
    assert F.percent(0.7234) == "72.3%"
    assert F.percent(0.5, 0) == "50%"
    assert F.percent(0.001234, 2) == "0.12%"
    assert F.percent(1) == "100.0%"


@given(st.floats(min_value=0, max_value=1e11, allow_nan=False))
def test_money_reads_back_to_the_amount(cny: float) -> None:
    # the printed figure, times its unit, is the amount to within the last printed digit
    zh = F.money(cny, "zh", unit=False).replace(",", "")
    step = 1e4 if cny / 1e4 >= 100 or cny == 0 else 1e3
    assert abs(float(zh) * 1e4 - cny) <= step / 2 + 1e-6 * cny
    en = F.money(cny, "en", unit=False).replace(",", "")
    assert abs(float(en) * 1e6 - cny) <= 1e4 / 2 + 1e-6 * cny


def test_busy_note_only_for_a_stopped_solve_that_got_little_processor_time() -> None:
    from siting.pipeline.solving import BUSY_CPU_SHARE, busy_note

    assert busy_note(9.2, 19.3, "optimal", "en") is None  # proven: the load did not matter
    assert busy_note(0.1, 1.0, "time_limit", "en") is None  # too short to tell
    assert busy_note(BUSY_CPU_SHARE * 20, 20.0, "time_limit", "en") is None
    assert busy_note(25.0, 19.1, "time_limit", "en") is None  # idle: 1.3 cores
    en = busy_note(9.2, 19.3, "time_limit", "en")
    assert en is not None and "about 48% of one processor core's time (9.2 s in 19.3 s)" in en
    zh = busy_note(9.2, 19.3, "time_limit", "zh")
    assert zh is not None and "约 48% 的计算时间（19.3 秒内 9.2 秒）" in zh
