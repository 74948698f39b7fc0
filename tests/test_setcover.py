"""The set cover that proves saturated coverage (siting.model.setcover).

Checked against enumeration written here: the cover returned covers every row, meets every row
of the model (budget, one option per site) and costs no less than the cheapest cover; the swap
search never loses a row or adds cost; a model whose cover would break a row gets no cover
(HiGHS then runs).
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
from siting.model import setcover as SC
from siting.model.reform import opening_form


def _cover_all_layout(m: MCLP):  # type: ignore[no-untyped-def]
    model = m.model
    lay, cost = model.layout, model.tiebreak_cost()
    form = opening_form(replace(lay, col_obj=lay.col_obj + lay.eps * cost))  # coverage only
    clay, scale = PH._cost_layout(form, cost, float(form.layout.col_obj @ form.layout.col_ub))
    return clay, scale


def _cheapest_cover(cov: np.ndarray, cost: np.ndarray) -> float:
    """Least cost of a set of facilities covering every coverable client (enumeration)."""
    need = cov.any(axis=1)
    best = math.inf
    for k in range(cov.shape[1] + 1):
        for sel in itertools.combinations(range(cov.shape[1]), k):
            if sel and np.all(cov[need][:, list(sel)].any(axis=1)):
                best = min(best, float(cost[list(sel)].sum()))
    return best


@pytest.mark.parametrize("seed", range(10))
def test_the_cover_is_a_cover_and_its_cost_is_bracketed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cov = rng.random((25, 9)) < 0.3
    cost = rng.integers(1, 6, 9).astype(float)
    m = MCLP.from_coverage(sp.csr_matrix(cov), np.ones(25), facility_costs=cost,
                           budget=float(cost.sum()))
    clay, scale = _cover_all_layout(m)
    cp = SC.cover_problem(clay)
    assert cp is not None
    got = SC.cheap_cover(cp)
    assert got is not None
    assert got[1] >= _cheapest_cover(cov, cost) / scale - 1e-9
    v = SC.full_cover(clay)
    assert v is not None
    chosen = np.flatnonzero(v[:cov.shape[1]] > 0.5)    # one year: x columns first
    need = cov.any(axis=1)
    assert np.all(cov[need][:, chosen].any(axis=1))


def test_a_cover_that_breaks_the_budget_is_not_returned() -> None:
    # covering everything needs facilities 0 and 1 (cost 2); the budget allows 1
    cov = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1]], dtype=bool)
    m = MCLP.from_coverage(sp.csr_matrix(cov), np.ones(3), p_facilities=1)
    clay, _ = _cover_all_layout(m)
    assert SC.cover_problem(clay) is not None
    assert SC.full_cover(clay) is None


def test_rows_no_free_column_can_cover_leave_the_heuristic_out() -> None:
    cov = np.array([[1, 0], [0, 1]], dtype=bool)
    m = MCLP.from_coverage(sp.csr_matrix(cov), np.ones(2), p_facilities=2)
    clay, _ = _cover_all_layout(m)
    ub = clay.col_ub.copy()
    ub[0] = 0.0                      # facility 0 cannot open: client 0 has no column left
    assert SC.full_cover(replace(clay, col_ub=ub)) is None


@pytest.mark.parametrize("seed", range(8))
def test_saturated_mclps_are_proven_and_cheapest(seed: int) -> None:
    """The whole solve: full coverage proven (by the set cover or HiGHS) and the plan the
    cheapest full cover, as enumeration says."""
    rng = np.random.default_rng(100 + seed)
    cov = rng.random((20, 8)) < 0.35
    cov[:, 0] |= ~cov.any(axis=1)            # every client coverable
    cost = rng.integers(1, 4, 8).astype(float)
    m = MCLP.from_coverage(sp.csr_matrix(cov), rng.integers(1, 5, 20).astype(float),
                           facility_costs=cost, budget=float(cost.sum()))
    m.solve(time_limit_s=30)
    assert m.status == "optimal" and bool(m.covered.all())
    assert float(cost[m.selected].sum()) == pytest.approx(_cheapest_cover(cov, cost))


def test_swaps_keep_a_cover_and_never_add_cost() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        n, m = int(rng.integers(5, 40)), int(rng.integers(3, 15))
        M = sp.csr_matrix(rng.random((n, m)) < 0.3, dtype=float)
        M = M[np.diff(M.indptr) > 0]
        if not M.shape[0]:
            continue
        Mt = M.T.tocsr()
        c = rng.integers(1, 5, m).astype(float) * rng.choice([1.0, 0.5])
        got = SC._greedy(M, Mt, c, rng.random(m) < 0.2)
        assert got is not None
        sel, before = got
        assert (M @ sel.astype(float)).min() >= 1
        sel2, after = SC._swap_in(M, Mt, c, sel.copy(), M @ sel.astype(float))
        assert (M @ sel2.astype(float)).min() >= 1
        assert after <= before + 1e-9 and after == pytest.approx(float(c[sel2].sum()))


def test_a_passed_deadline_gives_no_cover_rather_than_a_late_one() -> None:
    rng = np.random.default_rng(3)
    cov = rng.random((40, 12)) < 0.3
    cov[:, 0] = True
    m = MCLP.from_coverage(sp.csr_matrix(cov), np.ones(40), p_facilities=12)
    clay, _ = _cover_all_layout(m)
    assert SC.full_cover(clay, deadline=0.0) is None          # long past
    assert SC.full_cover(clay) is not None
