r"""Opening-year form of a phased layout: one binary per (option, year it opens).

The layout (:mod:`siting.model.build`) states a phased plan with *state* columns
:math:`x_{o,p}` = "option *o* is open in year *p*" and the rows
:math:`x_{o,p} \le x_{o,p+1}`. Here the same model is written with *opening* columns
:math:`u_{o,q}` = "option *o* opens in year *q*":

.. math::

    x_{o,p} = \textstyle\sum_{q \le p} u_{o,q}, \qquad \sum_q u_{o,q} \le 1, \quad u \ge 0.

It is the same set of integer plans (a one-to-one change of variables, :math:`u_{o,q} =
x_{o,q} - x_{o,q-1}`), and the same LP relaxation: every row of the layout is carried over as
:math:`A T u`, whatever family it belongs to (budgets, zones, capacity, the rows other
modules add). What changes is how the rows *look* to the MIP solver: a yearly budget
:math:`\sum_o c_o (x_{o,p} - x_{o,p-1}) \le B_p` becomes the knapsack row
:math:`\sum_o c_o u_{o,p} \le B_p` (positive coefficients: cover cuts apply), the
built-stays-built rows disappear (they become :math:`-u \le 0`), and "one option per site"
becomes one clique over every type *and* year at the site.

Measured with HiGHS 1.16 on the bundled scenario (3 years, uncapacitated, coverage objective,
2 cores, restarts off): 9.6 s to a proven optimum in this form against 20.6 s in the state
form (benchmarks/README.md, "Formulation of the phased model"). With one planning year the
two forms are identical and :func:`opening_form` returns the layout unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from siting.model.build import Layout, equilibrate_rows
from siting.model.inputs import FloatArray


@dataclass(frozen=True)
class OpeningForm:
    """A layout in opening-year form and the map back to the state form.

    Attributes
    ----------
    layout
        The transformed layout: the first ``n_x`` columns are :math:`u_{o,q}` (option-major,
        like the x block), every other column unchanged; rows: the original rows that still
        bind, then one ``open_once_<k>`` row per option.
    T
        (n, n) sparse map from the transformed columns to the original ones (``v = T @ w``).
    """

    layout: Layout
    T: sp.csr_matrix

    def to_state(self, w: FloatArray) -> FloatArray:
        """Original column values of transformed values ``w`` (x = cumulative sums of u)."""
        return np.asarray(self.T @ w, dtype=float)

    def from_state(self, v: FloatArray) -> FloatArray:
        """Transformed values of original values ``v`` (u = yearly increments of x)."""
        lay = self.layout
        w = np.asarray(v, dtype=float).copy()
        if lay.n_x and lay.P > 1:
            X = w[:lay.n_x].reshape(-1, lay.P)
            w[:lay.n_x] = np.diff(np.c_[np.zeros(len(X)), X], axis=1).ravel()
        return w


def opening_form(lay: Layout) -> OpeningForm:
    """The layout with the x block in opening-year form (see the module docstring).

    Parameters
    ----------
    lay
        A layout whose first ``n_x`` columns are x in option-major order (``P`` per option).

    Returns
    -------
    OpeningForm
        With ``P == 1`` (or no x columns) the same layout and an identity map.
    """
    n = lay.A.shape[1]
    P, nx = lay.P, lay.n_x
    if P <= 1 or nx == 0:
        return OpeningForm(lay, sp.identity(n, format="csr"))
    no = nx // P
    pp, qq = np.tril_indices(P)                      # x_{o,p} gets u_{o,q} for q <= p
    o = np.repeat(np.arange(no), len(pp))
    rows = np.r_[o * P + np.tile(pp, no), np.arange(nx, n)]
    cols = np.r_[o * P + np.tile(qq, no), np.arange(nx, n)]
    T = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    # only the x block changes: A_x T_x next to the other columns, unchanged
    csc = lay.A.tocsc()
    Tx = T[:nx, :nx].tocsc()
    A = sp.hstack([csc[:, :nx] @ Tx, csc[:, nx:]], format="csr")
    A.eliminate_zeros()
    obj = np.asarray(T.T @ lay.col_obj, dtype=float)
    lb, ub = lay.col_lb.copy(), lay.col_ub.copy()
    ulb, uub, extra = _opening_bounds(lay.col_lb[:nx].reshape(no, P),
                                      lay.col_ub[:nx].reshape(no, P))
    lb[:nx], ub[:nx] = ulb.ravel(), uub.ravel()
    keep = ~_implied_by_bounds(A, lay.row_lb, lay.row_ub, lb)
    A, row_lb, row_ub = A[keep], lay.row_lb[keep], lay.row_ub[keep]
    names = [nm for nm, k in zip(lay.row_names, keep.tolist(), strict=True) if k]
    # Σ_q u_{o,q} <= 1 (x_{o,P-1} <= 1), and x_{o,p} >= 1 where the state form asked for it
    once = sp.csr_matrix((np.ones(nx), (np.repeat(np.arange(no), P), np.arange(nx))),
                         shape=(no, n))
    blocks, lbs, ubs = [A, once], [row_lb, np.full(no, -np.inf)], [row_ub, np.ones(no)]
    names += [f"open_once_{k}" for k in range(no)]
    if len(extra):
        eo, ep = extra // P, extra % P
        m = len(extra)
        r = np.repeat(np.arange(m), ep + 1)
        c = np.concatenate([eo[k] * P + np.arange(ep[k] + 1) for k in range(m)])
        blocks.append(sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(m, n)))
        lbs.append(np.ones(m))
        ubs.append(np.full(m, np.inf))
        names += [f"open_by_{k}" for k in extra.tolist()]
    A2, lb2, ub2 = equilibrate_rows(sp.vstack(blocks).tocsr(), np.concatenate(lbs),
                                    np.concatenate(ubs))
    out = replace(lay, A=A2, row_lb=lb2, row_ub=ub2, row_names=names, col_obj=obj,
                  col_lb=lb, col_ub=ub)
    return OpeningForm(out, T)


def _opening_bounds(xlb: FloatArray, xub: FloatArray
                    ) -> tuple[FloatArray, FloatArray, np.ndarray]:
    """Bounds of u from bounds of x (per option × year); the x >= 1 bounds left for rows.

    ``x_{o,0} >= 1`` (an existing station) fixes ``u_{o,0} = 1`` and the later u to 0;
    ``x_{o,p} <= 0`` fixes ``u_{o,q} = 0`` for ``q <= p``; any other ``x_{o,p} >= 1`` is
    returned (flat index ``o * P + p``) and becomes a row.
    """
    no, P = xlb.shape
    ulb, uub = np.zeros((no, P)), np.ones((no, P))
    closed = xub < 0.5                                        # x_{o,p} = 0
    uub[np.flip(np.cumsum(np.flip(closed, 1), 1), 1) > 0] = 0.0   # and so every q <= p
    first = xlb[:, 0] > 0.5
    ulb[first, 0] = 1.0
    uub[first, 1:] = 0.0
    forced = (xlb > 0.5) & ~first[:, None]
    # only the earliest forced year of an option needs a row
    earliest = np.where(forced.any(1), np.argmax(forced, 1), -1)
    extra = np.flatnonzero(earliest >= 0) * P + earliest[earliest >= 0]
    return ulb, uub, extra.astype(np.int64)


def _implied_by_bounds(A: sp.csr_matrix, row_lb: FloatArray, row_ub: FloatArray,
                       col_lb: FloatArray) -> np.ndarray:
    """Rows no column values within bounds can violate: empty rows whose bounds hold at 0,
    and rows ``Σ a u <= b`` with every ``a <= 0`` on columns bounded below by 0 and b >= 0
    (what the built-stays-built rows become)."""
    nnz = np.diff(A.indptr)
    rows = np.repeat(np.arange(A.shape[0]), nnz)
    pos = np.zeros(A.shape[0], dtype=bool)
    np.logical_or.at(pos, rows, A.data > 0)
    neg_lb = np.zeros(A.shape[0], dtype=bool)
    np.logical_or.at(neg_lb, rows, col_lb[A.indices] < 0)
    upper_only = ~np.isfinite(row_lb) & (row_ub >= 0)
    return upper_only & ~pos & ~neg_lb
