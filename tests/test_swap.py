"""The swap search on plain MCLPs (siting/model/swap.py): when it applies, that it escapes the
greedy's trap, that its plans fit the budget, and that a solve with it proves the same optimum
(recomputed by enumeration)."""

from __future__ import annotations

import itertools
import logging
import time

import numpy as np
import pytest
import scipy.sparse as sp

from siting.model import SitingModel, phases, swap
from siting.model.inputs import ModelInput, ZoneMinimum


def _mclp(cover: list[list[int]], weight: list[float], p: int, *, n_opt: int | None = None,
          cost: list[float] | None = None, years: list[int] | None = None,
          cap: float = np.inf) -> ModelInput:
    n = n_opt if n_opt is not None else 1 + max(o for c in cover for o in c)
    rows = [i for i, c in enumerate(cover) for _ in c]
    cols = [o for c in cover for o in c]
    c = np.ones(n) if cost is None else np.array(cost, float)
    return ModelInput(
        weight=np.array(weight, float), energy=np.array(weight, float),
        year=np.zeros(len(cover), np.int64) if years is None else np.array(years),
        cover=sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cover), n)),
        option_site=np.arange(n), option_cost=c, option_capacity=np.full(n, cap),
        option_existing=np.zeros(n, bool), budget_total=float(p) * float(c.min()))


def _covered(cover: list[list[int]], weight: list[float], opened: set[int]) -> float:
    return sum(w for c, w in zip(cover, weight, strict=True) if opened & set(c))


def _optimum(cover: list[list[int]], weight: list[float], n: int, p: int) -> float:
    return max(_covered(cover, weight, set(s)) for k in range(p + 1)
               for s in itertools.combinations(range(n), k))


# rows a, b, c, d of weight 1: o0 covers {a, b}, o1 {a, c}, o2 {b, d}. With p = 2 the plan
# {o0, o1} covers 3 and no single swap... except o0 -> o2, which covers all 4.
TRAP = ([[0, 1], [0, 2], [1], [2]], [1.0, 1.0, 1.0, 1.0])


def test_plain_mclp_size_is_p_on_a_plain_mclp_only():
    cover, weight = TRAP
    m = SitingModel.from_input(_mclp(cover, weight, 2), capacitated=False, reductions=False)
    assert swap.plain_mclp_size(m.reduced, m.layout) == 2
    others = [
        _mclp(cover, weight, 2, cost=[1.0, 1.0, 2.0]),                # unequal costs
        _mclp(cover, weight, 2, years=[0, 0, 1, 1]),                  # two years
    ]
    for mi in others:
        m = SitingModel.from_input(mi, capacitated=False, reductions=False)
        assert swap.plain_mclp_size(m.reduced, m.layout) == 0
    capped = SitingModel.from_input(_mclp(cover, weight, 2, cap=1.5), capacitated=True,
                                    reductions=False)
    assert swap.plain_mclp_size(capped.reduced, capped.layout) == 0
    zone = _mclp(cover, weight, 2)
    zone.zone_min.append(ZoneMinimum(options=np.array([2]), minimum=1, by_year=0))
    m = SitingModel.from_input(zone, capacitated=False, reductions=False)
    assert swap.plain_mclp_size(m.reduced, m.layout) == 0


def test_the_swap_escapes_the_plan_no_single_station_improves():
    cover, weight = TRAP
    m = SitingModel.from_input(_mclp(cover, weight, 2), capacitated=False, reductions=False)
    plan = swap.swap_plan(m.reduced, 2, [np.array([1.0, 1.0, 0.0])],
                          deadline=time.perf_counter() + 10)
    assert plan is not None
    assert set(np.flatnonzero(plan).tolist()) == {1, 2}
    v = swap.plan_vector(m.reduced, m.layout, plan)
    assert float(m.layout.col_obj @ v) == pytest.approx(4.0, abs=1e-3)  # tie-breaker aside


@pytest.mark.parametrize("seed", range(8))
def test_swap_plans_fit_the_budget_and_never_cover_less_than_their_guide(seed):
    rng = np.random.default_rng(seed)
    n, rows, p = 9, 20, int(rng.integers(1, 4))
    cover = [sorted(set(rng.choice(n, int(rng.integers(1, 4)), replace=False).tolist()))
             for _ in range(rows)]
    weight = rng.integers(1, 10, rows).astype(float).tolist()
    m = SitingModel.from_input(_mclp(cover, weight, p, n_opt=n), capacitated=False,
                               reductions=False)
    guide = rng.random(n)
    plan = swap.swap_plan(m.reduced, p, [guide], deadline=time.perf_counter() + 10)
    assert plan is not None and plan.sum() <= p
    got = _covered(cover, weight, set(np.flatnonzero(plan).tolist()))
    first = set(np.argsort(-guide)[:p].tolist())
    assert _covered(cover, weight, first) <= got <= _optimum(cover, weight, n, p)
    v = swap.plan_vector(m.reduced, m.layout, plan)
    from siting.model.decode import rows_hold

    assert rows_hold(m.layout, v, tol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_a_solve_with_the_swap_proves_the_enumerated_optimum(seed, caplog):
    rng = np.random.default_rng(100 + seed)
    n, rows, p = 10, 30, 3
    cover = [sorted(set(rng.choice(n, int(rng.integers(1, 4)), replace=False).tolist()))
             for _ in range(rows)]
    weight = rng.integers(1, 10, rows).astype(float).tolist()
    m = SitingModel.from_input(_mclp(cover, weight, p, n_opt=n), capacitated=False)
    with caplog.at_level(logging.INFO, logger="siting.model.phases"):
        sol = m.solve(time_limit_s=20, threads=1)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(_optimum(cover, weight, n, p), abs=1e-6)
    opened = set(np.flatnonzero(sol.open_year >= 0).tolist())
    assert len(opened) <= p
    assert _covered(cover, weight, opened) == pytest.approx(sol.objective, abs=1e-6)


def test_a_solve_runs_the_swap_on_a_plain_mclp_and_not_otherwise(monkeypatch):
    calls: list[int] = []
    real = swap.swap_plan

    def spy(rd, p, guides, *, deadline):
        calls.append(p)
        return real(rd, p, guides, deadline=deadline)

    monkeypatch.setattr(swap, "swap_plan", spy)
    rng = np.random.default_rng(7)
    cover = [sorted(set(rng.choice(12, 3, replace=False).tolist())) for _ in range(40)]
    weight = rng.integers(1, 10, 40).astype(float).tolist()
    SitingModel.from_input(_mclp(cover, weight, 3, n_opt=12),
                           capacitated=False).solve(time_limit_s=20, threads=1)
    assert calls == [3]
    SitingModel.from_input(_mclp(cover, weight, 3, n_opt=12, cost=[1.0] * 11 + [2.0]),
                           capacitated=False).solve(time_limit_s=20, threads=1)
    assert calls == [3]


def test_an_improver_plan_that_breaks_a_row_is_ignored():
    cover, weight = TRAP
    m = SitingModel.from_input(_mclp(cover, weight, 2), capacitated=False, reductions=False,
                               cost_tiebreak=0.0)
    lay = m.layout
    start = swap.plan_vector(m.reduced, lay, np.array([True, True, False]))
    val = float(lay.col_obj @ start)
    every = swap.plan_vector(m.reduced, lay, np.array([True, True, True]))  # 3 > p stations
    deadline = time.perf_counter() + 10
    got = phases._improved(lay, lambda _lp, _s, _d: every, start, start, val, deadline)
    assert got[0] is start and got[1] == val
    good = swap.plan_vector(m.reduced, lay, np.array([False, True, True]))
    got = phases._improved(lay, lambda _lp, _s, _d: good, start, start, val, deadline)
    assert got[0] is good and got[1] == pytest.approx(4.0)


def _fewest(cover: list[list[int]], weight: list[float], n: int, best: float) -> int:
    """The fewest stations that cover ``best`` (enumerated)."""
    for k in range(n + 1):
        if any(_covered(cover, weight, set(s)) >= best - 1e-9
               for s in itertools.combinations(range(n), k)):
            return k
    raise AssertionError("unreachable")


def test_the_budget_dual_proves_the_cheapest_plan_only_when_enumeration_agrees(caplog):
    """Step 2 skipped on the LP's budget dual (phases.no_cheaper_plan) gives the fewest
    stations that reach the optimum, as enumeration finds; and the proof is used."""
    used = 0
    for seed in range(24):
        rng = np.random.default_rng(200 + seed)
        n, rows, p = 9, 24, int(rng.integers(2, 6))
        cover = [sorted(set(rng.choice(n, int(rng.integers(1, 4)), replace=False).tolist()))
                 for _ in range(rows)]
        weight = rng.integers(1, 10, rows).astype(float).tolist()
        m = SitingModel.from_input(_mclp(cover, weight, p, n_opt=n), capacitated=False)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="siting.model.phases"):
            sol = m.solve(time_limit_s=20, threads=1)
        best = _optimum(cover, weight, n, p)
        assert sol.status == "optimal" and sol.cost_status == "optimal"
        assert sol.objective == pytest.approx(best, abs=1e-6)
        assert int((sol.open_year >= 0).sum()) == _fewest(cover, weight, n, best), seed
        used += "proven by the LP's budget dual" in caplog.text
    assert used >= 3


@pytest.mark.parametrize("seed", range(10))
def test_the_budget_dual_bounds_the_lp_with_one_station_fewer(seed):
    """The supergradient no_cheaper_plan relies on: the LP with the budget lowered by one
    station covers at most z - y (HiGHS's row dual, either sign convention)."""
    from siting.model import highs
    from siting.model.reform import opening_form

    rng = np.random.default_rng(300 + seed)
    n, rows, p = 12, 40, int(rng.integers(2, 6))
    cover = [sorted(set(rng.choice(n, int(rng.integers(1, 4)), replace=False).tolist()))
             for _ in range(rows)]
    weight = rng.integers(1, 10, rows).astype(float).tolist()
    m = SitingModel.from_input(_mclp(cover, weight, p, n_opt=n), capacitated=False,
                               cost_tiebreak=0.0)
    form = opening_form(m.layout)
    lay = form.layout
    r = lay.row_names.index("budget_total_all")
    lp = phases.lp_guided(lay, None, deadline=time.perf_counter() + 10, threads=1)
    assert lp.row_dual is not None
    a = float(lay.A.tocsr()[r].data[0])
    lower = lay.row_ub.copy()
    lower[r] -= a
    from dataclasses import replace

    h = highs.solve_relaxation(replace(lay, row_ub=lower), time_limit_s=10, threads=1)
    assert h is not None
    z_less = float(h.getInfo().objective_function_value)
    assert z_less <= lp.bound - abs(float(lp.row_dual[r])) * a + 1e-6


def test_no_cheaper_plan_is_not_claimed_when_fewer_stations_cover_as_much():
    # o1 and o2 cover every row; the plan opens o0 as well (3 stations, p = 3): the LP
    # covers everything without using its whole budget, so its dual proves nothing
    from siting.model.reform import opening_form

    cover, weight = TRAP
    m = SitingModel.from_input(_mclp(cover, weight, 3), capacitated=False, reductions=False,
                               cost_tiebreak=0.0)
    lay = m.layout
    form = opening_form(lay)
    lp = phases.lp_guided(form.layout, None, deadline=time.perf_counter() + 10, threads=1)
    plan = swap.plan_vector(m.reduced, lay, np.array([True, True, True]))
    cost = np.zeros(lay.A.shape[1])
    cost[:lay.n_x] = 1.0
    assert float(lay.col_obj @ plan) == pytest.approx(4.0)
    assert not phases.no_cheaper_plan(form, cost, plan, lp, tol=1e-9)
