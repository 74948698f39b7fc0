"""The Lagrangian bound of capacitated models: its knapsacks solved exactly, never below the
best plan (enumerated here) at any prices, tighter than the capacity pools where catchments
matter, and used by the solve only where the model's LP does not fit."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from siting.model import SitingModel, capacitated_steps, lagrange, phases
from siting.model.poolbound import pool_bound, pool_relaxation
from tests.helpers_capacitated import (
    brute_force,
    random_phased_instance,
    small_input,
)


def _parts(mi):
    m = SitingModel.from_input(mi, capacitated=True)
    return m, m.reduced, m.layout, m._coverage_obj()


def _lagrangian(mi, seconds=3.0):
    _, rd, lay, cov = _parts(mi)
    pool = pool_relaxation(rd, cov[lay.oy:lay.oy + lay.n_y])
    return lagrange.lagrangian(rd, lay, cov, pool.price, start=None, threads=1,
                               deadline=time.perf_counter() + seconds)


@pytest.mark.parametrize("seed", range(25))
def test_each_knapsack_is_filled_as_its_lp_would(seed):
    rng = np.random.default_rng(seed)
    n, G = 12, 5
    r, g = np.nonzero(rng.random((n, G)) < 0.5)
    items = sp.csr_matrix((np.arange(1, len(r) + 1), (r, g)), shape=(n, G))
    worth = rng.normal(1, 1, n)
    amount = np.where(rng.random(n) < 0.2, 0.0, rng.random(n) * 3)
    room = np.where(rng.random(G) < 0.2, np.inf, rng.random(G) * 5)
    take = lagrange.fill(items, worth, amount, room[g])
    for k in range(G):
        e = np.flatnonzero(g == k)
        if not len(e):
            continue
        limited = bool(np.isfinite(room[k]))
        res = linprog(-worth[r[e]], A_ub=[amount[r[e]]] if limited else None,
                      b_ub=[room[k]] if limited else None, bounds=[(0, 1)] * len(e))
        assert worth[r[e]] @ take[e] == pytest.approx(-res.fun, abs=1e-9)
        assert ((take[e] >= 0) & (take[e] <= 1)).all()
        if limited:
            assert amount[r[e]] @ take[e] <= room[k] + 1e-9


@pytest.mark.parametrize("seed", range(10))
def test_any_prices_bound_every_plan(seed):
    mi = random_phased_instance(seed)
    best = brute_force(mi)
    _, rd, lay, cov = _parts(mi)
    rng = np.random.default_rng(seed)
    w = cov[lay.oy:lay.oy + lay.n_y]
    for price in (np.zeros(rd.n_rows), w * rng.random(rd.n_rows), w * 2,
                  rng.exponential(1.0, rd.n_rows)):
        value = lagrange.value_at(rd, lay, cov, price)
        assert math.isfinite(value) and value >= best - 1e-6


@pytest.mark.parametrize("seed", range(10))
def test_the_method_bounds_every_plan_and_its_plan_is_what_it_says(seed):
    mi = random_phased_instance(seed)
    best = brute_force(mi)
    _, rd, lay, cov = _parts(mi)
    lag = _lagrangian(mi, seconds=0.4)
    assert math.isfinite(lag.bound) and lag.bound >= best - 1e-6
    # it starts from the pool LP's prices, where it equals the pool bound, and keeps its best
    assert lag.bound <= pool_bound(rd, cov[lay.oy:lay.oy + lay.n_y]) + 1e-6
    if lag.plan is not None:
        assert float(cov @ lag.plan) == pytest.approx(lag.plan_value)
        assert lag.plan_value <= best + 1e-6
        x = lag.plan
        assert (lay.A @ x <= lay.row_ub + 1e-6).all() and (lay.A @ x >= lay.row_lb - 1e-6).all()


def test_a_station_serves_its_own_catchment_not_the_city():
    # one station's money. A reaches one dense row (10 kWh, weight 10); B two thin rows
    # (50 kWh each, weight 5). Either covers 10. The pool bound buys 100 kWh and fills it
    # with the densest demand anywhere (10 from A's row + 9 from B's): 19. Priced per row,
    # each station earns its own catchment: 10, the optimum.
    mi = small_input([10, 5, 5], [10, 50, 50], [0, 0, 0], [[0], [1], [1]], [1, 1],
                     [100, 100], budget=1)
    assert brute_force(mi) == pytest.approx(10)
    _, rd, lay, cov = _parts(mi)
    assert pool_bound(rd, cov[lay.oy:lay.oy + lay.n_y]) == pytest.approx(19)
    assert _lagrangian(mi).bound == pytest.approx(10, abs=1e-6)


def test_vehicles_a_day_limit_what_a_station_earns():
    # room for 100 kWh but one vehicle a day: of three one-vehicle rows it serves one
    mi = small_input([1, 1, 1], [10, 10, 10], [0, 0, 0], [[0], [0], [0]], [1], [100],
                     budget=1, vehicles=np.ones(3), option_vehicles_cap=np.array([1.0]))
    _, rd, lay, cov = _parts(mi)
    assert SitingModel.from_input(mi, capacitated=True).solve(
        time_limit_s=5).objective == pytest.approx(1)
    assert lagrange.value_at(rd, lay, cov, np.zeros(rd.n_rows)) == pytest.approx(1)


def _spy(monkeypatch):
    calls = []
    real = lagrange.lagrangian

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(lagrange, "lagrangian", spy)
    return calls


def test_the_solve_uses_it_where_the_lp_does_not_fit(monkeypatch):
    mi = small_input([10, 5, 5], [10, 50, 50], [0, 0, 0], [[0], [1], [1]], [1, 1],
                     [100, 100], budget=1)
    calls = _spy(monkeypatch)
    # an LP priced far beyond the time left, and HiGHS's own solve kept from proving
    monkeypatch.setattr(phases, "LP_S_PER_NNZ", 1e3)
    monkeypatch.setattr(phases, "RUN_MIN_S_PER_NNZ", 1e3)
    sol = SitingModel.from_input(mi, capacitated=True).solve(time_limit_s=6)
    assert calls
    assert sol.objective == pytest.approx(10)
    assert sol.bound == pytest.approx(10, abs=1e-6)  # the pool's 19 would be reported
    assert sol.status == "optimal"  # the bound meets the plan: proven


def test_a_one_year_model_reports_the_bound_as_its_final_year_bound_too(monkeypatch):
    # one station's money: A serves its row (10); B reaches two rows of 8 but has room for
    # one (8). A Lagrangian bound of 10.5 (above the plan's 10: not proven); the final
    # year's own bound says less (uncapacitated: 16; capacity pools: 10 + 90 % of 8 = 17.2)
    mi = small_input([10, 8, 8], [10, 100, 100], [0, 0, 0], [[0], [1], [1]], [1, 1],
                     [100, 100], budget=1)
    monkeypatch.setattr(phases, "LP_S_PER_NNZ", 1e3)
    monkeypatch.setattr(phases, "RUN_MIN_S_PER_NNZ", 1e3)
    monkeypatch.setattr(lagrange, "lagrangian", lambda *a, **k: lagrange.Lagrangian(
        10.5, None, -math.inf, (), 1, 0.0))
    sol = SitingModel.from_input(mi, capacitated=True).solve(time_limit_s=6)
    assert sol.status == "time_limit"
    assert sol.bound == pytest.approx(10.5)
    assert sol.year_bound == pytest.approx(10.5)


def test_the_solve_leaves_it_out_where_the_lp_fits(monkeypatch):
    mi = random_phased_instance(1)
    calls = _spy(monkeypatch)
    sol = SitingModel.from_input(mi, capacitated=True).solve(time_limit_s=6)
    assert not calls
    assert sol.objective == pytest.approx(brute_force(mi))


def test_no_time_no_step(monkeypatch):
    mi = random_phased_instance(2)
    calls = _spy(monkeypatch)
    monkeypatch.setattr(phases, "LP_S_PER_NNZ", 1e3)
    monkeypatch.setattr(capacitated_steps, "LAGRANGE_MIN_S", 1e3)
    SitingModel.from_input(mi, capacitated=True).solve(time_limit_s=3)
    assert not calls


def test_the_local_search_gives_way_only_to_a_lagrangian_step_that_will_run(monkeypatch):
    from siting.model import heuristics

    monkeypatch.setattr(heuristics, "LOCAL_SEARCH_MIN_COLUMNS", 0)
    monkeypatch.setattr(phases, "LP_S_PER_NNZ", 1e3)  # too large for the LP
    m = SitingModel.from_input(random_phased_instance(3), capacitated=True)
    share = heuristics.LOCAL_SEARCH_SHARE * 60
    assert m._search_seconds(60, lagrangian=True) == 0.0
    assert m._search_seconds(60, lagrangian=False) == pytest.approx(share)  # CBC, least cost
    monkeypatch.setattr(phases, "LP_S_PER_NNZ", 1e-9)  # the LP fits: no step
    assert m._search_seconds(60, lagrangian=True) == pytest.approx(share)
