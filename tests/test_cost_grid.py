"""The cost step's early stop on whole-unit costs (siting.model.phases.cost_grid).

When every station cost is a whole multiple of a step g, two plans' costs differ by a multiple
of g, so the cost step may stop once its gap is below g. These tests check the step found, that
the step reaches HiGHS, and — against enumeration written here — that the plan kept is still
the cheapest of the best coverage.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from siting.model import MCLP
from siting.model import phases as PH


@pytest.mark.parametrize(("costs", "step"), [
    ([1.0, 1.0, 1.0], 1.0),
    ([2_000_000.0, 760_000.0], 40_000.0),
    ([0.5, 1.5, 0.0], 0.5),                    # zeros (existing stations) ignored
    ([2.3, 6.9, 15.675], 0.025),               # millions of CNY to the thousand
    ([1.0 / 3.0, 1.0], 0.0),                   # no whole step within 10^6
    ([], 0.0),
    ([1.0, math.nan], 0.0),
    ([1.0, math.inf], 0.0),
])
def test_cost_grid_finds_the_common_step(costs: list[float], step: float) -> None:
    assert PH.cost_grid(np.array(costs)) == pytest.approx(step)


def test_cost_grid_never_claims_a_step_the_costs_do_not_share() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        c = rng.integers(1, 50, size=6) * rng.choice([1.0, 0.01, 1000.0])
        g = PH.cost_grid(c)
        assert g > 0
        ratio = c / g
        assert np.allclose(ratio, np.round(ratio), rtol=0, atol=1e-6)
        assert np.gcd.reduce(np.round(ratio).astype(np.int64)) == 1   # the largest step


def _enumerate(cov: np.ndarray, w: np.ndarray, cost: np.ndarray, budget: float
               ) -> tuple[float, float]:
    """(best covered weight, least cost of a plan covering it), by enumeration."""
    n_fac = cov.shape[1]
    best, cheapest = -1.0, math.inf
    for k in range(n_fac + 1):
        for sel in itertools.combinations(range(n_fac), k):
            c = float(cost[list(sel)].sum())
            if c > budget + 1e-9:
                continue
            got = float(w[cov[:, list(sel)].any(axis=1)].sum()) if sel else 0.0
            if got > best + 1e-9:
                best, cheapest = got, c
            elif abs(got - best) <= 1e-9:
                cheapest = min(cheapest, c)
    return best, cheapest


@pytest.mark.parametrize("seed", range(12))
def test_whole_unit_costs_still_give_the_cheapest_plan(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_cli, n_fac = 14, 8
    cov = rng.random((n_cli, n_fac)) < 0.3
    w = rng.integers(1, 6, n_cli).astype(float)
    unit = [1.0, 10_000.0, 0.25][seed % 3]
    cost = rng.integers(1, 4, n_fac) * unit
    budget = float(cost.sum()) * 0.45
    best, cheapest = _enumerate(cov, w, cost, budget)
    m = MCLP.from_coverage(sp.csr_matrix(cov), w, facility_costs=cost, budget=budget)
    m.solve(time_limit_s=30)
    assert m.covered_weight == pytest.approx(best)
    assert m.solution.cost_status in ("optimal", "none")
    assert float(cost[m.selected].sum()) == pytest.approx(cheapest)


def test_the_cost_step_asks_highs_to_stop_within_one_step() -> None:
    """The runner of step 2 gets ``mip_abs_gap`` = 0.99 × the step in its objective's scale."""
    from siting.model import highs as H

    rng = np.random.default_rng(5)
    cov = rng.random((30, 10)) < 0.25
    m = MCLP.from_coverage(sp.csr_matrix(cov), rng.integers(1, 9, 30).astype(float),
                           p_facilities=4)
    model = m.model
    seen: list[float] = []

    def run(lay, **kw):  # type: ignore[no-untyped-def]
        seen.append(float(kw.get("abs_gap", 0.0)))
        return H.solve_highs(lay, **kw)

    import time

    lay = model.layout
    cost = model.tiebreak_cost()
    cov_lay = replace(lay, col_obj=lay.col_obj + lay.eps * cost)   # coverage only
    res = PH.solve_lexicographic(cov_lay, cost, run, deadline=time.perf_counter() + 30,
                                 mip_gap=0.0, threads=1, msg=False, start=None,
                                 coverable=model.reduced.coverable_weight(), lp_first=False)
    assert res.cost_status == "optimal"
    # unit costs, objective scaled by the largest cost (1): the step is 1
    assert seen[-1] == pytest.approx(PH.CLOSE_ENOUGH * 1.0)
    assert seen[0] == 0.0                                          # step 1: no early stop
