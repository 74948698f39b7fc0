"""The union of plans' stations (siting.model.union) and where the Lagrangian step uses it."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest

from siting.model import SitingModel, capacitated_steps, decode, lagrange, union
from siting.model.poolbound import pool_relaxation
from tests.helpers_capacitated import (
    brute_force,
    random_cover,
    random_phased_instance,
    served,
    small_input,
)


def _instance(seed: int):
    """One year, six options, money for three; capacities that bind."""
    rng = np.random.default_rng(seed)
    n_rows, n_opt = 14, 6
    cost = np.ones(n_opt)
    return small_input(rng.integers(1, 6, n_rows), rng.integers(1, 5, n_rows).astype(float),
                       np.zeros(n_rows, int), random_cover(rng, n_rows, n_opt, 3), cost,
                       rng.integers(3, 9, n_opt).astype(float), budget=3.0)


def _parts(mi):
    m = SitingModel.from_input(mi, capacitated=True)
    return m.reduced, m.layout, m._coverage_obj()


def _stations(lay, opened):
    x = np.zeros(lay.n_x)
    x[list(opened)] = 1.0  # one year: the x block is one column per option
    return x


def _best_within(mi, allowed):
    """The best plan's coverage among the options in ``allowed`` (enumerated)."""
    rows = list(range(len(mi.weight)))
    return max(served(mi, rows, list(s)) for k in range(4)
               for s in itertools.combinations(sorted(allowed), k))


@pytest.mark.parametrize("seed", range(8))
def test_its_plan_keeps_to_the_union_holds_every_row_and_is_worth_what_it_says(seed):
    mi = _instance(seed)
    _rd, lay, cov = _parts(mi)
    a, b = {0, 1, 2}, {2, 3, 4}
    got = union.union_plan(lay, cov, [_stations(lay, a), _stations(lay, b)],
                           deadline=time.perf_counter() + 30, threads=1)
    assert got is not None
    full, value = got
    opened = set(np.flatnonzero(full[:lay.n_x] > 0.5).tolist())
    assert opened <= a | b  # option 5 stays closed
    assert decode.rows_hold(lay, full)
    assert value == pytest.approx(float(cov @ full))
    # no better than the best plan on the union, no better than its own stations allow
    assert value <= _best_within(mi, a | b) + 1e-6
    assert value <= served(mi, list(range(len(mi.weight))), sorted(opened)) + 1e-6


def test_one_plan_or_no_time_gives_nothing():
    _rd, lay, cov = _parts(_instance(0))
    x = _stations(lay, {0, 1, 2})
    assert union.union_plan(lay, cov, [x], deadline=time.perf_counter() + 30,
                            threads=1) is None
    assert union.union_plan(lay, cov, [x, _stations(lay, {3, 4, 5})],
                            deadline=time.perf_counter() - 1, threads=1) is None


def test_its_expected_time_counts_the_entries_of_the_columns_it_keeps():
    _rd, lay, _cov = _parts(_instance(1))
    plans = [_stations(lay, {0, 1}), _stations(lay, {1, 3})]
    free = np.zeros(lay.n_x, bool)
    free[[0, 1, 3]] = True
    ub = lay.col_ub.copy()
    ub[:lay.n_x][~free] = 0.0
    lb = np.minimum(lay.col_lb, ub)
    keep = decode.open_columns(lay, lb, ub)
    nnz = decode.column_subset(lay, keep, lb, ub).A.nnz
    assert union.expected_seconds(lay, plans) == pytest.approx(nnz * union.S_PER_NNZ)
    # a wider union keeps more columns
    assert union.expected_seconds(lay, [*plans, _stations(lay, {2, 4, 5})]) > \
        union.expected_seconds(lay, plans)


def test_the_lagrangian_returns_its_best_plans_stations_best_first():
    mi = _instance(3)
    rd, lay, cov = _parts(mi)
    pool = pool_relaxation(rd, cov[lay.oy:lay.oy + lay.n_y])
    start = decode.allocation_for_plan(lay, _stations(lay, {5}), time_limit_s=10)
    lag = lagrange.lagrangian(rd, lay, cov, pool.price, start=start, threads=1,
                              deadline=time.perf_counter() + 1.0, keep=2)
    assert 1 <= len(lag.stations) <= 2
    values = [served(mi, list(range(len(mi.weight))), np.flatnonzero(x > 0.5).tolist())
              for x in lag.stations]
    assert values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(max(lag.plan_value, float(cov @ start)))


def _step(monkeypatch, fits=True):
    """lagrangian_step's call of the Lagrangian, with the union's LP expected to fit or not."""
    mi = _instance(4)
    rd, lay, cov = _parts(mi)
    start = decode.allocation_for_plan(lay, _stations(lay, {0}), time_limit_s=10)
    seen = {}

    def fake_lagrangian(*a, deadline, keep, union_at, **k):
        seen.update(until=deadline, keep=keep, union_at=union_at)
        return lagrange.Lagrangian(100.0, None, -math.inf, (), 3, 0.0)

    monkeypatch.setattr(lagrange, "lagrangian", fake_lagrangian)
    monkeypatch.setattr(union, "expected_seconds", lambda *a: 0.0 if fits else math.inf)
    t0 = time.perf_counter()
    bound, got = capacitated_steps.lagrangian_step(
        rd, lay, cov, pool_relaxation(rd, cov[lay.oy:lay.oy + lay.n_y]), start, 1e9,
        deadline=t0 + 10.0, threads=1)
    assert bound == 100.0 and got is start  # the Lagrangian found nothing better
    return seen, t0


def test_the_step_leaves_the_union_its_share_of_the_time(monkeypatch):
    seen, t0 = _step(monkeypatch)
    step = capacitated_steps.LAGRANGE_SHARE * 10.0
    assert seen["until"] == pytest.approx(t0 + step, abs=0.05)
    assert seen["union_at"] == pytest.approx(
        t0 + (1 - capacitated_steps.UNION_SHARE) * step, abs=0.05)
    assert seen["keep"] == union.UNION_PLANS


def test_no_union_where_its_lp_would_not_fit(monkeypatch):
    seen, _ = _step(monkeypatch, fits=False)
    assert seen["union_at"] == math.inf


def _priced_from_one_station():
    """(rd, lay, cov, pool prices, a one-station start) of an instance."""
    rd, lay, cov = _parts(_instance(5))
    pool = pool_relaxation(rd, cov[lay.oy:lay.oy + lay.n_y])
    return rd, lay, cov, pool.price, decode.allocation_for_plan(
        lay, _stations(lay, {0}), time_limit_s=10)


def test_the_lagrangian_keeps_the_unions_plan_when_it_covers_more(monkeypatch):
    rd, lay, cov, price, start = _priced_from_one_station()
    calls = []
    better = decode.allocation_for_plan(lay, _stations(lay, {1, 2, 3}), time_limit_s=10)

    def fake_union(lay_, cov_, stations, *, deadline, threads):
        calls.append(len(stations))
        return better, float(cov_ @ better)

    monkeypatch.setattr(union, "union_plan", fake_union)
    monkeypatch.setattr(lagrange, "_plan_at", lambda *a, **k: None)  # no plans of its own
    lag = lagrange.lagrangian(rd, lay, cov, price, start=start, threads=1,
                              deadline=time.perf_counter() + 0.5,
                              union_at=time.perf_counter())
    assert float(cov @ better) > float(cov @ start)  # three stations against one
    assert calls == [1]  # once, on the start's stations
    assert lag.plan is better
    assert (lag.stations[0] == better[:lay.n_x]).all()


def test_steps_that_end_early_still_leave_the_union_its_turn(monkeypatch):
    rd, lay, cov, price, start = _priced_from_one_station()
    calls = []
    monkeypatch.setattr(union, "union_plan",
                        lambda *a, **k: calls.append(1))  # finds nothing
    monkeypatch.setattr(lagrange, "MIN_THETA", 10.0)  # no step at all
    lag = lagrange.lagrangian(rd, lay, cov, price, start=start, threads=1,
                              deadline=time.perf_counter() + 30,
                              union_at=time.perf_counter() + 20)
    assert lag.steps == 0 and calls == [1]
    # not when no union was asked for
    lagrange.lagrangian(rd, lay, cov, price, start=start, threads=1,
                        deadline=time.perf_counter() + 30)
    assert calls == [1]


@pytest.mark.parametrize("seed", range(4))
def test_on_phased_models_its_plan_holds_every_row_and_bounds_hold(seed):
    # two years, yearly caps, an existing station on some seeds (as test_lagrange's)
    mi = random_phased_instance(seed)
    rd, lay, cov = _parts(mi)
    pool = pool_relaxation(rd, cov[lay.oy:lay.oy + lay.n_y])
    lag = lagrange.lagrangian(rd, lay, cov, pool.price, start=None, threads=1,
                              deadline=time.perf_counter() + 0.5)
    plans = list(lag.stations)
    if len(plans) < 2:  # one plan: make a second from its stations, the last one closed
        x = plans[0].reshape(-1, lay.P).copy()
        x[np.flatnonzero(x.any(axis=1) & ~np.asarray(mi.option_existing)[rd.opt])[-1:]] = 0
        plans.append(x.ravel())
    got = union.union_plan(lay, cov, plans, deadline=time.perf_counter() + 30, threads=1)
    assert got is not None
    full, value = got
    free = np.zeros(lay.n_x, bool)
    for x in plans:
        free |= x > 0.5
    assert not (full[:lay.n_x] > 0.5)[~free].any()
    assert decode.rows_hold(lay, full)
    assert value == pytest.approx(float(cov @ full))
    assert value <= brute_force(mi) + 1e-6
