"""A full cover fast: a greedy set cover improved by swaps, for saturated instances.

When the LP relaxation covers every demand row, the coverage step asks for *a* plan that
covers everything within the budget (:func:`siting.model.phases._cover_all`); that plan proves
the coverage optimum. On the 10k × 1k MCLP HiGHS took ~4 s to find its first one. Here the same
question is answered as a weighted set-cover problem — each demand row needs one open option
among those covering it, at least cost: the greedy cover (least cost per newly covered row,
Chvátal 1979), its redundant columns dropped, then a swap search (add one column, drop the
columns it makes redundant, while that saves). On the 10k × 1k MCLP: 112 columns greedy, 99
after the swaps, 0.05 s; HiGHS's cost step then takes it to 92 within its 2 s.

(Tried and dropped: Beasley's Lagrangian heuristic, 1990 — subgradient steps on the row
multipliers, a greedy cover from each step's reduced costs. On that instance it reached 94
columns in 1.4 s with the swaps, 106 without; its bound stayed at 69 against the LP's 82.8.)

Only the layout is used. Cover rows are recognised by their shape (one fixed-open coverage
column against a set of binary option columns, all of one coefficient); every other row —
budgets, one option per site, yearly budgets — is checked on the final vector, and a cover
that breaks one is not returned (the caller then asks HiGHS). Layouts with other free
columns (allocation, flows) or rows with a lower limit (zone requirements) are left to HiGHS.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from siting.model.build import Layout
from siting.model.decode import rows_hold
from siting.model.inputs import BoolArray, FloatArray

log = logging.getLogger(__name__)

#: Row and bound tolerance of the final check.
TOL: float = 1e-7


@dataclass(frozen=True)
class CoverProblem:
    """The set-cover view of a layout whose coverage columns are all fixed open.

    Attributes
    ----------
    M
        (cover rows × free binary columns) 0/1 CSR: which columns cover which row.
    cost
        (free binary columns,) cost of each (>= 0).
    free
        Layout column index of each free binary column.
    base
        The layout's column vector with every fixed column at its bound and free ones at 0.
    """

    M: sp.csr_matrix
    cost: FloatArray
    free: np.ndarray
    base: FloatArray


def cover_problem(lay: Layout) -> CoverProblem | None:
    """The set-cover rows of ``lay`` (maximising ``-cost``), or None when ``lay`` is not of
    that shape (see the module docstring)."""
    fixed = lay.col_lb >= lay.col_ub
    free_bin = lay.col_int & ~fixed & (lay.col_lb == 0) & (lay.col_ub == 1)
    if (not free_bin.any() or (lay.col_obj[free_bin] > 0).any()
            or (~fixed & ~free_bin).any()):
        return None   # nothing to choose, or columns (allocation, flows) it does not set
    base = np.where(fixed, lay.col_lb, 0.0)
    A = lay.A.tocsr()
    act = A @ base
    if (act < lay.row_lb - TOL).any():
        return None   # a row with a lower limit (zone requirement) the cover may not meet
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    cols, vals = A.indices, A.data
    on_free = free_bin[cols]
    # a cover row: (fixed part) > ub, to be made up by free columns of one negative coefficient
    need = act - lay.row_ub
    n_free = np.bincount(rows, weights=on_free, minlength=A.shape[0])
    neg = np.bincount(rows, weights=on_free & (vals < 0), minlength=A.shape[0])
    vmin = np.full(A.shape[0], np.inf)
    vmax = np.full(A.shape[0], -np.inf)
    np.minimum.at(vmin, rows[on_free], vals[on_free])
    np.maximum.at(vmax, rows[on_free], vals[on_free])
    is_cover = (need > TOL) & (n_free > 0) & (neg == n_free) & np.isclose(vmin, vmax)
    is_cover &= np.isclose(need, -vmin, rtol=1e-9, atol=TOL)    # one column is enough
    # every other row that still needs something cannot be handled here
    if ((need > TOL) & ~is_cover).any():
        return None
    if not is_cover.any():
        return None
    free = np.flatnonzero(free_bin)
    pos = np.full(lay.A.shape[1], -1)
    pos[free] = np.arange(len(free))
    take = is_cover[rows] & on_free
    cr = np.unique(rows[take], return_inverse=True)[1]
    M = sp.csr_matrix((np.ones(int(take.sum())), (cr, pos[cols[take]])),
                      shape=(int(is_cover.sum()), len(free)))
    M.data[:] = 1.0
    return CoverProblem(M, -np.asarray(lay.col_obj[free], dtype=float), free, base)


def cheap_cover(cp: CoverProblem, *, deadline: float = math.inf
                ) -> tuple[BoolArray, float] | None:
    """(columns of a cheap cover, its cost): the greedy cover (least cost per newly covered
    row), its redundant columns dropped, improved by :func:`_swap_in` until no swap saves or
    ``deadline`` (``time.perf_counter()``) passes. None when the greedy cover is not complete
    by the deadline. (Every row of ``cp.M`` has a column and every cost is >= 0:
    :func:`cover_problem` builds it so; zero costs count as a trillionth of the largest.)"""
    M = cp.M
    Mt = M.T.tocsr()
    c = np.maximum(cp.cost, 1e-12 * max(1.0, float(cp.cost.max(initial=0.0))))
    got = _greedy(M, Mt, c, np.zeros(len(c), dtype=bool), deadline=deadline)
    if got is None:
        return None
    sel, _ = _swap_in(M, Mt, c, got[0], M @ got[0].astype(float), deadline=deadline)
    return sel, float(cp.cost[sel].sum())


def _greedy(M: sp.csr_matrix, Mt: sp.csr_matrix, c: FloatArray, start: BoolArray, *,
            deadline: float = math.inf) -> tuple[BoolArray, float] | None:
    """``start`` completed to a cover (least cost per newly covered row), then its redundant
    columns dropped, dearest first: (columns, cost)."""
    sel = start.copy()
    count = M @ sel.astype(float)
    while (count < 0.5).any():
        if time.perf_counter() > deadline:
            return None
        gain = Mt @ (count < 0.5).astype(float)
        j = int(np.argmin(np.where(gain > 0, c / np.maximum(gain, 1e-300), np.inf)))
        sel[j] = True
        count[Mt.indices[Mt.indptr[j]:Mt.indptr[j + 1]]] += 1.0
    _drop_redundant(Mt, c, sel, count)
    return sel, float(c[sel].sum())


def _drop_redundant(Mt: sp.csr_matrix, c: FloatArray, sel: BoolArray, count: FloatArray
                    ) -> None:
    """Drop selected columns whose every row is covered twice, dearest first (in place)."""
    for j in np.flatnonzero(sel)[np.argsort(-c[sel], kind="stable")]:
        rows = Mt.indices[Mt.indptr[j]:Mt.indptr[j + 1]]
        if (count[rows] >= 1.5).all():
            sel[j] = False
            count[rows] -= 1.0


def _swap_in(M: sp.csr_matrix, Mt: sp.csr_matrix, c: FloatArray, sel: BoolArray,
             count: FloatArray, *, deadline: float = math.inf) -> tuple[BoolArray, float]:
    """Local search: add the column that makes the most cost redundant, while that saves.

    A selected column *k* becomes redundant when a new column *j* covers every row only *k*
    covers. Two such columns may share a row nobody else covers, so they are dropped one at
    a time, each only while every row it covers stays covered; a move that then saves
    nothing is undone and *j* not tried again until a move succeeds. Each round is one
    sparse product (selected × rows) · (rows × all columns).
    """
    banned = np.zeros(len(c), dtype=bool)
    while time.perf_counter() <= deadline:
        chosen = np.flatnonzero(sel)
        only = (count < 1.5)
        U = Mt[chosen].multiply(only[None, :]).tocsr()          # rows only k covers
        size = np.asarray(U.sum(axis=1)).ravel()
        hits = (U @ M).tocsr()                                  # |U_k ∩ R_j|
        kk = np.repeat(np.arange(len(chosen)), np.diff(hits.indptr))
        full = hits.data >= size[kk] - 0.5
        saving = np.bincount(hits.indices[full], weights=c[chosen[kk[full]]],
                             minlength=len(c)) - c
        saving[sel | banned] = -np.inf
        j = int(np.argmax(saving))
        if saving[j] <= 1e-9 * max(1.0, float(c[j])):
            return sel, float(c[sel].sum())
        drop = chosen[kk[full & (hits.indices == j)]]
        sel[j] = True
        count[Mt.indices[Mt.indptr[j]:Mt.indptr[j + 1]]] += 1.0
        gone = []
        for k in drop[np.argsort(-c[drop], kind="stable")].tolist():
            rows = Mt.indices[Mt.indptr[k]:Mt.indptr[k + 1]]
            if (count[rows] >= 1.5).all():
                sel[k] = False
                count[rows] -= 1.0
                gone.append(k)
        if float(c[gone].sum()) - float(c[j]) <= 1e-9 * max(1.0, float(c[j])):
            for k in [j, *gone]:       # undo: nothing saved
                sel[k] = k != j
                count[Mt.indices[Mt.indptr[k]:Mt.indptr[k + 1]]] += -1.0 if k == j else 1.0
            banned[j] = True
            continue
        banned[:] = False
        _drop_redundant(Mt, c, sel, count)
    return sel, float(c[sel].sum())


def full_cover(lay: Layout, *, deadline: float = math.inf) -> FloatArray | None:
    """A column vector of ``lay`` opening a cheap cover of every cover row and meeting every
    row and bound of the layout, or None (not set-cover shaped, no cover by ``deadline``, or
    the cover breaks a row)."""
    t0 = time.perf_counter()
    cp = cover_problem(lay)
    if cp is None:
        return None
    got = cheap_cover(cp, deadline=deadline)
    if got is None:
        return None
    sel, cost = got
    v = cp.base.copy()
    v[cp.free[sel]] = 1.0
    ok = rows_hold(lay, v, TOL)
    log.info("set cover: %d columns, cost %.6g, %s, %.2f s", int(sel.sum()), cost,
             "meets every row" if ok else "breaks a row", time.perf_counter() - t0)
    return v if ok else None
