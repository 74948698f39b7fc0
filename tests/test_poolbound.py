"""The capacity-pool bound: never below the best plan (enumerated here), tight where only
capacity binds, and used by the solve where it is the tightest bound."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from siting.model import ModelInput, SitingModel
from siting.model.poolbound import pool_bound
from tests.helpers_capacitated import brute_force as _brute
from tests.helpers_capacitated import random_cover as _random_cover
from tests.helpers_capacitated import small_input as _mi


def _bound(mi: ModelInput) -> float:
    rd = SitingModel.from_input(mi, capacitated=True).reduced
    return pool_bound(rd, rd.weight)


def test_a_station_is_worth_no_more_than_its_catchment():
    # A has room for 100 but reaches one 10-kWh row; B has room for 25 and reaches three: with
    # one station's money the best plan is B serving 2.5 rows. Counting A's full capacity
    # would give 4; capped at its catchment, the bound is the optimum.
    mi = _mi([1, 1, 1, 1], [10, 10, 10, 10], [0] * 4, [[0], [1], [1], [1]], [1, 1],
             [100, 25], budget=1)
    assert _brute(mi) == pytest.approx(2.5)
    assert _bound(mi) == pytest.approx(2.5)


def test_the_money_spent_by_a_year_limits_that_year():
    # 2 years, caps 1 then 2 (total 3). The big station (cost 2, room for 30) can open in the
    # second year only: the first year's two rows get the small one's 10 kWh (weight 1), the
    # second year's row all 30 kWh from both (weight 3). The total cap alone would let the
    # big one serve the first year too (weight 2 then: a bound of 5).
    mi = _mi([1, 1, 3], [10, 10, 30], [0, 0, 1], [[0, 1], [0, 1], [0, 1]], [1, 2], [10, 30],
             budget=3, by_year=[1, 2])
    best = _brute(mi)
    assert best == pytest.approx(1 + 3)
    assert _bound(mi) == pytest.approx(best)


def test_built_stays_built():
    # caps 1 and 1: A serves the first year's row; B and C each one second-year row. A stays
    # open in the second year and uses its money, so only one of B and C follows: 2 in all.
    # Without the years' order the second year could buy B and C (a bound of 3).
    mi = _mi([1, 1, 1], [10, 10, 10], [0, 1, 1], [[0], [1], [2]], [1, 1, 1], [10, 10, 10],
             budget=2, by_year=[1, 1])
    assert _brute(mi) == pytest.approx(2.0)
    assert _bound(mi) == pytest.approx(2.0)


@pytest.mark.parametrize("seed", range(8))
def test_never_below_the_best_plan(seed):
    rng = np.random.default_rng(seed)
    n_rows, n_opt, P = 7, 4, 2
    cover = _random_cover(rng, n_rows, n_opt, 2)
    cost = rng.integers(1, 4, n_opt).astype(float)
    mi = _mi(rng.integers(1, 5, n_rows), rng.integers(1, 6, n_rows), rng.integers(0, P, n_rows),
             cover, cost, rng.integers(2, 9, n_opt), budget=float(cost.sum() * 0.6),
             by_year=[float(cost.sum()) * 0.4, math.inf],
             existing=[True] + [False] * (n_opt - 1))
    assert _bound(mi) >= _brute(mi) - 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_never_below_the_best_plan_with_unlimited_stations_and_rows_without_energy(seed):
    # a station of unlimited capacity counts what its catchment can draw; a row without
    # energy (served by reach alone) counts whole; a year without a cap spends the total
    rng = np.random.default_rng(100 + seed)
    n_rows, n_opt, P = 7, 4, 2
    cap = rng.integers(2, 9, n_opt).astype(float)
    cap[rng.integers(0, n_opt)] = math.inf
    energy = rng.integers(0, 6, n_rows).astype(float)  # some rows need no energy
    cost = rng.integers(1, 4, n_opt).astype(float)
    mi = _mi(rng.integers(1, 5, n_rows), energy, rng.integers(0, P, n_rows),
             _random_cover(rng, n_rows, n_opt, 2), cost, cap, budget=float(cost.sum() * 0.5),
             by_year=[math.inf, float(cost.sum()) * 0.3])
    assert _bound(mi) >= _brute(mi) - 1e-6


def test_the_final_year_bound_takes_it_when_tighter():
    # uncapacitated, the one affordable station covers 3 rows; within capacity, 2.5
    mi = _mi([1, 1, 1, 1], [10, 10, 10, 10], [0] * 4, [[0], [1], [1], [1]], [1, 1],
             [100, 25], budget=1)
    capacitated = SitingModel.from_input(mi, capacitated=True)
    uncapacitated = SitingModel.from_input(mi, capacitated=False)
    deadline = time.perf_counter() + 5.0
    assert uncapacitated.year_bound(0, deadline=deadline) == pytest.approx(3.0)
    assert capacitated.year_bound(0, deadline=deadline) == pytest.approx(2.5)
    assert capacitated.solve(time_limit_s=5).objective == pytest.approx(2.5)
