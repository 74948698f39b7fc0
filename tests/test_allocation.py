"""The allocation LP of a fixed plan: the best allocation (recomputed here), and the start it
gives a capacitated solve."""

from __future__ import annotations

import numpy as np
import pytest

from siting.model import SitingModel, capacitated_steps, decode
from siting.model.heuristics import GreedyPlan
from tests.helpers_capacitated import random_cover as _random_cover
from tests.helpers_capacitated import served as _served
from tests.helpers_capacitated import small_input as _mi


def test_a_poor_greedy_allocation_is_replaced_by_the_best_one():
    # S0 reaches rows A (weight 1) and B (weight 5), S1 only B; 10 kWh each, room for 10.
    # Filling S0 with B leaves S1 idle (5); the best allocation serves both (6).
    mi = _mi([1, 5], [10, 10], [0, 0], [[0], [0, 1]], [1, 1], [10, 10], budget=2)
    m = SitingModel.from_input(mi, capacitated=True, reductions=False, cost_tiebreak=0.0)
    poor = GreedyPlan(open_year=np.array([0, 0]), served=np.array([0.0, 1.0]),
                      z=np.array([0.0, 10.0, 0.0]), objective=5.0)
    v = decode.start_vector(m.layout, m.reduced, poor)
    assert decode.rows_hold(m.layout, v, tol=1e-9)
    assert m.layout.col_obj @ v == pytest.approx(6.0)


@pytest.mark.parametrize("seed", range(6))
def test_the_allocation_lp_finds_the_best_allocation(seed):
    rng = np.random.default_rng(seed)
    n_rows, n_opt, P = 12, 5, 2
    cover = _random_cover(rng, n_rows, n_opt, 3)
    year = rng.integers(0, P, n_rows)
    mi = _mi(rng.integers(1, 6, n_rows), rng.integers(1, 8, n_rows), year, cover,
             np.ones(n_opt), rng.integers(3, 12, n_opt), budget=n_opt)
    m = SitingModel.from_input(mi, capacitated=True, reductions=False, cost_tiebreak=0.0)
    lay = m.layout
    open_year = rng.integers(-1, P, n_opt)  # some closed, some opening in the second year
    x = ((open_year[:, None] >= 0) & (np.arange(P)[None, :] >= open_year[:, None])).ravel()
    v = decode.allocation_for_plan(lay, x.astype(float))
    assert v is not None and decode.rows_hold(lay, v, tol=1e-7)
    expected = sum(_served(mi, [int(i) for i in np.flatnonzero(year == p)],
                           [int(o) for o in np.flatnonzero((open_year >= 0) & (open_year <= p))])
                   for p in range(P))
    assert lay.col_obj @ v == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(("tiebreak", "cost_status"), [(0.0, "none"), (1e-6, "time_limit")])
def test_a_stopped_solve_returns_its_stations_best_allocation(monkeypatch, tiebreak,
                                                              cost_status):
    # one station, room for 10 kWh, reaching a 10-kWh row of weight 1 and one of weight 5.
    # The greedy fills it in row order (weight 1). With no time for the solver (its set-up
    # priced out) and none for the start's LP, the plan still comes back with the best
    # allocation of its station: weight 5.
    from siting.model import phases, solve

    mi = _mi([1, 5], [10, 10], [0, 0], [[0], [0]], [1], [10], budget=1)
    m = SitingModel.from_input(mi, capacitated=True, reductions=False,
                               cost_tiebreak=tiebreak)
    monkeypatch.setattr(solve, "START_LP_SHARE", 0.0)
    monkeypatch.setattr(phases, "LP_S_PER_NNZ", 1e3)  # no LP step either
    monkeypatch.setattr(phases, "RUN_MIN_S_PER_NNZ", 1e3)
    sol = m.solve(time_limit_s=4)  # below 5 s: no uncapacitated relaxation first
    assert sol.objective == pytest.approx(5.0)
    # the capacity-pool bound is 5 (the station's 10 kWh go to the weight-5 row): the plan
    # reaches it, so it is proven in coverage; the cheapest-plan step had no time (and
    # without a tie-breaker there are no costs to compare)
    assert sol.bound == pytest.approx(5.0)
    assert sol.status == "optimal" and sol.cost_status == cost_status


def test_no_solver_run_when_its_set_up_would_overrun(monkeypatch):
    # S0 reaches a row of weight 5, S1 one of weight 1; a third row (weight 5) is out of
    # reach, which the capacity-pool bound does not know (10): the plan (6) is not proven,
    # yet with the time left below the solver's set-up it comes back at once, unsolved
    import time

    from siting.model import highs, phases, yearbound

    calls = []
    real = highs.solve_highs
    monkeypatch.setattr(highs, "solve_highs", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(phases, "LP_S_PER_NNZ", 1e3)
    monkeypatch.setattr(phases, "RUN_MIN_S_PER_NNZ", 1e3)
    monkeypatch.setattr(yearbound, "BOUND_RUN_MIN_S_PER_NNZ", 1e3)  # the final year's bound too
    # (the Lagrangian bound, which runs when the LP does not fit, would prove the plan: off)
    monkeypatch.setattr(capacitated_steps, "LAGRANGE_MIN_S", 1e3)
    mi = _mi([5, 1, 5], [10, 10, 10], [0, 0, 0], [[0], [1], []], [1, 1], [10, 10], budget=2)
    m = SitingModel.from_input(mi, capacitated=True, reductions=False, cost_tiebreak=0.0)
    t0 = time.perf_counter()
    sol = m.solve(time_limit_s=30)
    assert time.perf_counter() - t0 < 10
    assert sol.year_bound == pytest.approx(10.0)
    assert sol.status == "time_limit" and sol.objective == pytest.approx(6.0)
    assert sol.bound == pytest.approx(10.0)
    assert calls == []


def test_nothing_is_prepared_for_a_solve_past_its_deadline(monkeypatch):
    # a limit spent by the start: the allocation rows no limit can bind are not looked for
    # (the 10k city at a 1 s limit spent 0.44 s on them), and the start still comes back
    from siting.model import reform

    calls = []
    real = reform.free_allocation
    monkeypatch.setattr(reform, "free_allocation",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    mi = _mi([5, 1, 5], [10, 10, 10], [0, 0, 0], [[0], [1], [0, 1]], [1, 1], [10, 10],
             budget=2)
    m = SitingModel.from_input(mi, capacitated=True, reductions=False)
    assert m.solve(time_limit_s=1e-4).objective > 0
    assert calls == []
    assert m.solve(time_limit_s=10).status == "optimal"
    assert calls == [1]  # with time, it is
